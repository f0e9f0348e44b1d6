//! The tracking benchmark on the shared scenarios (`../shared/data/tracking`), scored in Rust
//! and cross-checked against the shared Python scorer.

mod errors;
mod referee;
mod scenarios;

use picket_bench::{run_tracking_bench, BenchOptions, BenchReport};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The workspace root, resolved (so `..` below it means the real parent).
pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// The shared data folder: `$PICKET_SHARED_DATA`, else `<workspace root>/../shared/data`.
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"));
    assert!(
        dir.join("tracking/README.md").is_file(),
        "shared tracking data missing at {} (set PICKET_SHARED_DATA to the folder holding \
         tracking/)",
        dir.display()
    );
    dir
}

/// `tracking/scen_n{n}`.
pub fn scenario_dir(n: usize) -> PathBuf {
    shared_data().join(format!("tracking/scen_n{n}"))
}

/// A scratch file under the target dir, unique per test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("picket-bench");
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir.join(name)
}

/// One benchmark run per shared scenario, shared by the tests: the report and its tracks.csv.
pub fn run_once(n: usize) -> &'static (BenchReport, PathBuf) {
    static RUNS: [OnceLock<(BenchReport, PathBuf)>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match n {
        10 => &RUNS[0],
        50 => &RUNS[1],
        200 => &RUNS[2],
        _ => panic!("no shared scenario with {n} targets"),
    };
    slot.get_or_init(|| {
        let out = scratch(&format!("tracks_n{n}.csv"));
        let report = run_tracking_bench(&scenario_dir(n), Some(&out), &BenchOptions::default())
            .unwrap_or_else(|e| panic!("bench on scen_n{n}: {e}"));
        eprintln!("{report}");
        (report, out)
    })
}
