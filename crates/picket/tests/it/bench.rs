//! `picket bench tracking DIR --out tracks.csv` on a shared tracking scenario.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn bench_tracking_writes_tracks_and_reports_gospa() {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = base.join("tracking/scen_n10");
    assert!(
        dir.is_dir(),
        "shared tracking scenario missing: {}",
        dir.display()
    );
    let out = std::env::temp_dir().join(format!("picket-bench-{}.csv", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["bench", "tracking"])
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("gospa"), "{text}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.lines().count() > 1000, "tracks.csv has the tracks");
}
