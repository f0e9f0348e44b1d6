//! The Rust GOSPA against the shared Python scorer (`score.py`, scipy's optimal assignment) on
//! the very tracks.csv the harness wrote.

use crate::*;
use picket_bench::gospa::{self, GospaSummary};
use picket_bench::scenario;
use std::path::Path;
use std::process::Command;

/// `$PICKET_REFEREE_PYTHON`, else `<workspace root>/.venv-referees/bin/python`.
pub fn referee_python() -> PathBuf {
    let py = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-referees/bin/python"));
    assert!(
        py.exists(),
        "referee Python missing at {} (run scripts/referees.sh or set PICKET_REFEREE_PYTHON)",
        py.display()
    );
    py
}

fn score_py(truth: &Path, tracks: &Path) -> serde_json::Value {
    let out = Command::new(referee_python())
        .arg(shared_data().join("tracking/score.py"))
        .arg("--truth")
        .arg(truth)
        .arg("--tracks")
        .arg(tracks)
        .args(["--c", "100", "--c", "50"])
        .output()
        .expect("run score.py");
    assert!(
        out.status.success(),
        "score.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("score.py prints JSON")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn assert_same(ours: &GospaSummary, py: &serde_json::Value, what: &str) {
    let f = |k: &str| py[k].as_f64().unwrap_or_else(|| panic!("{what}: no `{k}`"));
    let pairs = [
        ("gospa_mean", ours.gospa_mean_m),
        ("gospa_rms_per_target_m", ours.gospa_rms_per_truth_m),
        ("gospa2_loc_share", ours.loc_share),
        ("loc_rmse_m", ours.loc_rmse_m),
        ("missed_mean", ours.missed_mean),
        ("false_mean", ours.false_mean),
        ("card_abs_err_mean", ours.card_abs_err_mean),
    ];
    for (k, v) in pairs {
        assert!(close(v, f(k)), "{what} {k}: Rust {v} vs score.py {}", f(k));
    }
    assert_eq!(
        ours.id_switches as f64,
        f("id_switches"),
        "{what} id_switches"
    );
    assert_eq!(ours.truths_total as f64, f("truths_total"), "{what}");
    assert_eq!(
        ours.truths_never_tracked as f64,
        f("truths_never_tracked"),
        "{what}"
    );
    let lat = ours.init_latency_mean_scans.expect("latency");
    assert!(close(lat, f("init_latency_scans_mean")), "{what} latency");
}

#[test]
fn rust_gospa_equals_score_py_on_the_harness_tracks() {
    for n in [10, 50, 200] {
        let (report, csv) = run_once(n);
        let py = score_py(&scenario_dir(n).join("truth.csv"), csv);
        for g in &report.gospa {
            let key = format!("c={}", g.c_m);
            assert_same(g, &py[&key], &format!("scen_n{n} {key}"));
        }
    }
}

#[test]
fn rust_gospa_equals_score_py_on_a_deliberately_bad_track_set() {
    // Truth shifted, thinned and duplicated: many near-ties, misses and false tracks, so the
    // assignment (not just nearest neighbours) decides the score.
    let truth_path = scenario_dir(10).join("truth.csv");
    let truth = scenario::load_points(&truth_path, "target_id").unwrap();
    let path = scratch("bad_tracks.csv");
    let mut text = String::from("scan,t,track_id,x,y\n");
    let mut tracks = Vec::new();
    for (k, s) in truth.iter().enumerate() {
        let mut pts = gospa::ScanPoints::default();
        for (i, (&id, xy)) in s.ids.iter().zip(&s.xy).enumerate() {
            if (i + k) % 4 == 0 {
                continue; // missed
            }
            let wobble = ((k * 7 + i * 13) % 23) as f64 * 3.0;
            let mut push = |tid: i64, x: f64, y: f64| {
                // Stored as the CSV stores it.
                let (x, y): (f64, f64) = (
                    format!("{x:.3}").parse().unwrap(),
                    format!("{y:.3}").parse().unwrap(),
                );
                text.push_str(&format!("{k},{k}.000,{tid},{x:.3},{y:.3}\n"));
                pts.ids.push(tid);
                pts.xy.push([x, y]);
            };
            push(id, xy[0] + wobble, xy[1] - 0.5 * wobble);
            if i % 3 == 0 {
                push(1_000 + id, xy[0] - 40.0, xy[1] + 35.0); // a twin
            }
        }
        tracks.push(pts);
    }
    std::fs::write(&path, text).unwrap();
    let py = score_py(&truth_path, &path);
    for c in [100.0, 50.0] {
        let ours = gospa::score(&truth, &tracks, c);
        assert!(ours.false_mean > 1.0 && ours.missed_mean > 1.0, "{ours:?}");
        assert_same(&ours, &py[&format!("c={c}")], &format!("bad set c={c}"));
    }
}
