//! Behavioural tests of the tracker, through its public API only.

mod association;
mod bearings;
mod determinism;
mod filter;
mod hostile;
mod identity;
mod invariants;
mod jpda;
mod late;
mod lifecycle;
mod manoeuvre;
mod perf;
mod radar;
mod sensor_model;

use picket_core::{
    Enu, GeoPoint, Identity, LocalFrame, Measurement, Observation, SensorId, Timestamp, Track,
    TrackStatus,
};
use picket_fusion::{Tracker, TrackerConfig};

/// Start of every scenario, seconds since the Unix epoch.
pub const T0_S: f64 = 1_790_000_000.0;

pub fn frame() -> LocalFrame {
    LocalFrame::new(GeoPoint::new(31.34, -109.95, 1_400.0))
}

pub fn tracker() -> Tracker {
    Tracker::new(frame(), TrackerConfig::default())
}

/// Scenario time `s` seconds after `T0_S`.
pub fn at(s: f64) -> Timestamp {
    Timestamp::from_secs_f64(T0_S + s)
}

/// A position report at site-ENU `p` with independent σ.
pub fn pos_obs(sensor: &str, t_s: f64, p: [f64; 3], sigma_h_m: f64, sigma_v_m: f64) -> Observation {
    let geo = frame().to_geo(&Enu::new(p[0], p[1], p[2]));
    Observation {
        sensor_id: SensorId::from(sensor),
        time: at(t_s),
        measurement: Measurement::position(geo, sigma_h_m, sigma_v_m),
        identity: None,
        class_hint: None,
        side: Default::default(),
    }
}

/// Same as `pos_obs` with a Remote ID identity.
pub fn rid_obs(sensor: &str, t_s: f64, p: [f64; 3], serial: &str) -> Observation {
    Observation {
        identity: Some(Identity::RemoteId(serial.to_owned())),
        ..pos_obs(sensor, t_s, p, 5.0, 8.0)
    }
}

/// Deterministic pseudo-random numbers (SplitMix64), with a Gaussian by Box–Muller.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
    pub fn gauss(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// A 3-D point plus Gaussian noise.
pub fn noisy(rng: &mut Rng, p: [f64; 3], sigma_h_m: f64, sigma_v_m: f64) -> [f64; 3] {
    [
        p[0] + sigma_h_m * rng.gauss(),
        p[1] + sigma_h_m * rng.gauss(),
        p[2] + sigma_v_m * rng.gauss(),
    ]
}

pub fn dist_m(a: &Enu, b: [f64; 3]) -> f64 {
    a.distance_m(&Enu::new(b[0], b[1], b[2]))
}

/// The live track nearest to `p`.
pub fn nearest(tracks: &[Track], p: [f64; 3]) -> Option<&Track> {
    tracks
        .iter()
        .filter(|t| t.status != TrackStatus::Deleted)
        .min_by(|a, b| dist_m(&a.position_enu, p).total_cmp(&dist_m(&b.position_enu, p)))
}

/// Every number in a track is finite.
pub fn all_finite(t: &Track) -> bool {
    let p = &t.position;
    let e = &t.position_enu;
    [
        p.lat_deg,
        p.lon_deg,
        p.alt_hae_m,
        e.east_m,
        e.north_m,
        e.up_m,
        t.sigma_horizontal_m,
    ]
    .iter()
    .chain(t.velocity_enu_mps.iter())
    .all(|v| v.is_finite())
        && t.class_hint.is_none_or(|h| h.confidence.is_finite())
        && t.operator_position.is_none_or(|o| o.is_valid())
}
