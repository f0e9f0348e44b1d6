//! picket-pcap against the real captures in `../shared/data/remoteid`, plus robustness.

mod captures;
mod robustness;
mod stream;

use std::path::PathBuf;

/// The shared test data folder: `PICKET_SHARED_DATA`, or `<workspace>/../shared/data`.
pub fn shared_data() -> PathBuf {
    std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Bytes of a Remote ID capture; fails the test with a clear message when it is missing.
pub fn capture(name: &str) -> Vec<u8> {
    let path = shared_data().join("remoteid").join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "shared test capture {} is missing ({e}); set PICKET_SHARED_DATA to the shared/data folder",
            path.display()
        )
    })
}
