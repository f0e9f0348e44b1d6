//! picket-asterix against the Croatia Control sample captures (checked item by item against
//! asterix-decoder), hand-built records, the observation mapping and mutated input.

mod blocks;
mod mapping;
mod mutation;
mod referee;

use std::path::PathBuf;
use std::process::Command;

/// The workspace root (resolved, so a venv interpreter below it finds its pyvenv.cfg).
pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// The shared test data folder: `PICKET_SHARED_DATA`, or `<workspace>/../shared/data`.
pub fn shared_data() -> PathBuf {
    std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"))
}

/// Path of an ASTERIX sample capture; fails the test with a clear message when it is missing.
pub fn capture_path(name: &str) -> PathBuf {
    let path = shared_data().join("asterix").join(name);
    assert!(
        path.exists(),
        "shared ASTERIX capture {} is missing; set PICKET_SHARED_DATA to the shared/data folder",
        path.display()
    );
    path
}

/// Bytes of an ASTERIX sample capture.
pub fn capture(name: &str) -> Vec<u8> {
    std::fs::read(capture_path(name)).expect("read capture")
}

/// The CAT-034 + CAT-048 sample.
pub const CAT_034_048: &str = "croatiacontrol_cat_034_048.pcap";
/// The CAT-062 + CAT-065 sample (categories this crate does not decode).
pub const CAT_062_065: &str = "croatiacontrol_cat_062_065.pcap";

/// The referee Python interpreter; fails the test when it is missing.
pub fn referee_python() -> PathBuf {
    let p = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-referees/bin/python"));
    assert!(
        p.exists(),
        "referee Python {} is missing: run scripts/referees.sh (or set PICKET_REFEREE_PYTHON)",
        p.display()
    );
    p
}

/// Runs `tests/asterix_referee.py <args>` and returns its stdout lines.
pub fn referee(args: &[&str]) -> Vec<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/asterix_referee.py");
    let out = Command::new(referee_python())
        .arg(script)
        .args(args)
        .output()
        .expect("start the referee");
    assert!(
        out.status.success(),
        "referee {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Upper-case hex, as the referee writes record bytes.
pub fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}
