//! Where the shared test data and the Python referee live. Missing data fails the test.

use picket_modes::framing::beast;
use picket_modes::BeastKind;
use std::path::{Path, PathBuf};

/// Receiver position of the shared Beast capture (its README: "near 59.7N 32.0E").
pub const RECEIVER: (f64, f64) = (59.7, 32.0);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn shared_data() -> PathBuf {
    std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"))
}

pub fn read_adsb(name: &str) -> Vec<u8> {
    let path = shared_data().join("adsb").join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "shared test data {} is missing ({e}); set PICKET_SHARED_DATA to the shared/data folder",
            path.display()
        )
    })
}

pub fn referee_python() -> PathBuf {
    let p = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-referees/bin/python"));
    assert!(
        p.exists(),
        "the Python referee {} is missing: run scripts/referees.sh or set PICKET_REFEREE_PYTHON",
        p.display()
    );
    p
}

pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

pub fn beast_capture() -> Vec<u8> {
    read_adsb("beastblackbox_ulss7_beast.bin")
}

/// The Mode S frames of the Beast capture with their 12 MHz timestamps, in order.
pub fn capture_mode_s() -> Vec<(Vec<u8>, u64)> {
    beast::frames(&beast_capture())
        .filter_map(Result::ok)
        .filter(|f| matches!(f.kind, BeastKind::ModeSShort | BeastKind::ModeSLong))
        .map(|f| (f.data().to_vec(), f.mlat_ticks))
        .collect()
}

/// The 2 000 DF17 messages of pyModeS' sample CSV: (frame, unix time).
pub fn pymodes_sample() -> Vec<(Vec<u8>, f64)> {
    let text = String::from_utf8(read_adsb("pymodes_sample_data_adsb.csv")).expect("csv is text");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split(',');
            let ts: f64 = it.next().unwrap().parse().expect("timestamp");
            let hex = it.next().unwrap().trim_matches('"');
            (unhex(hex), ts)
        })
        .collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
