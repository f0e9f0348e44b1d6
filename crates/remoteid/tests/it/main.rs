//! picket-remoteid: real captures first, then reference vectors, round trips, sentinels,
//! robustness and the mapping to observations.

mod assembly;
mod captures;
mod observe;
mod proprietary;
mod robustness;
mod roundtrip;
mod sentinels;
mod vectors;

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

/// Bytes from a hex string with optional spaces.
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Great-circle distance (spherical Earth, mean radius), metres: an independent yardstick.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);
impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
    /// 25 random bytes.
    pub fn message(&mut self) -> [u8; 25] {
        let mut b = [0u8; 25];
        b.iter_mut().for_each(|x| *x = self.next_u64() as u8);
        b
    }
}
