//! Per-aircraft state: the CPR frames awaiting a partner, the last known position, and the
//! facts a position needs to become an observation (callsign, category, velocity, NACp).
//!
//! Position resolution, in order of preference, the way dump1090/readsb do it:
//! 1. **global**: an even and an odd frame of the same kind within `pair_window_s`;
//! 2. **local against the aircraft**: its last position, if younger than `local_window_s`;
//! 3. **local against the receiver**: when the result lies within `receiver_max_range_m`
//!    (a range well inside the half-zone of ~333 km where local decoding is unambiguous).
//!
//! A global or aircraft-local result that would need the aircraft to fly faster than
//! ~1 550 kt since its last position is discarded (and, for a global result, the old
//! position is forgotten so the next pair starts afresh). Time is an argument (seconds on any
//! monotonic scale); `None` means unknown, and then no age or speed check applies.
//! The number of aircraft is bounded: the least recently heard are evicted first.

use crate::adsb::{Adsb, EmitterCategory};
use crate::altitude::{Emergency, Squawk};
use crate::callsign::Callsign;
use crate::commb::CommBReport;
use crate::cpr::{self, Cpr};
use crate::message::{AddressSource, Body, ModeS};
use serde::Serialize;
use std::collections::HashMap;

/// Tuning of the tracker. `Default` gives dump1090-like values.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackerConfig {
    /// At most this many aircraft are remembered (≥ 1).
    pub max_aircraft: usize,
    /// An even and an odd frame pair up only if received within this many seconds.
    pub pair_window_s: f64,
    /// An aircraft's last position serves as a local reference for this many seconds.
    pub local_window_s: f64,
    /// An aircraft not heard for this long is forgotten (its state starts afresh).
    pub ttl_s: f64,
    /// The receiver's position (latitude, longitude in degrees), if known.
    pub receiver: Option<(f64, f64)>,
    /// Airborne positions decoded against the receiver are kept only within this range.
    pub receiver_max_range_m: f64,
    /// Surface positions decoded against the receiver are kept only within this range.
    pub surface_receiver_max_range_m: f64,
    /// A velocity older than this (seconds) is not attached to a position.
    pub velocity_max_age_s: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            max_aircraft: 4096,
            pair_window_s: 10.0,
            local_window_s: 30.0,
            ttl_s: 300.0,
            receiver: None,
            receiver_max_range_m: 200_000.0,
            surface_receiver_max_range_m: 60_000.0,
            velocity_max_age_s: 10.0,
        }
    }
}

/// How a position was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CprMethod {
    /// From an even/odd pair.
    Global,
    /// Locally, against the aircraft's previous position.
    LocalAircraft,
    /// Locally, against the receiver's position.
    LocalReceiver,
}

/// A reported velocity, with the time it was heard.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VelocityFacts {
    /// Ground speed, knots.
    pub ground_speed_kt: Option<f64>,
    /// Track over ground, degrees.
    pub track_deg: Option<f64>,
    /// Vertical rate, feet per minute.
    pub vertical_rate_fpm: Option<i32>,
    /// GNSS height minus barometric altitude, feet.
    pub geo_minus_baro_ft: Option<i32>,
    /// When it was heard (seconds), if known.
    pub time_s: Option<f64>,
}

/// A resolved position with what is known of the aircraft at that moment.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionFix {
    /// 24-bit address.
    pub address: u32,
    /// True for a DF18 non-ICAO address.
    pub non_icao: bool,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// True for a surface position.
    pub on_ground: bool,
    /// How the position was resolved.
    pub method: CprMethod,
    /// Barometric altitude of this position message, feet.
    pub altitude_baro_ft: Option<i32>,
    /// GNSS height (HAE) of this position message, feet.
    pub altitude_gnss_ft: Option<i32>,
    /// ADS-B type code of the position message (precision class).
    pub typecode: u8,
    /// Latest NACp heard (operational status or target state).
    pub nac_p: Option<u8>,
    /// Latest callsign heard.
    pub callsign: Option<Callsign>,
    /// Emitter category, if heard.
    pub category: Option<EmitterCategory>,
    /// Latest velocity, if younger than `velocity_max_age_s`.
    pub velocity: Option<VelocityFacts>,
    /// Latest Mode A code heard.
    pub squawk: Option<Squawk>,
    /// Emergency declared (squawk or aircraft status).
    pub emergency: Option<Emergency>,
    /// Time of the position message (seconds), if known.
    pub time_s: Option<f64>,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    cpr: Cpr,
    surface: bool,
    time_s: Option<f64>,
}

#[derive(Clone, Copy, Debug)]
struct Known {
    lat: f64,
    lon: f64,
    surface: bool,
    time_s: Option<f64>,
}

/// What the tracker knows of one aircraft.
#[derive(Clone, Debug)]
pub struct Aircraft {
    /// 24-bit address.
    pub address: u32,
    /// True for a DF18 non-ICAO address.
    pub non_icao: bool,
    /// Last time heard (seconds), if known.
    pub last_seen_s: Option<f64>,
    /// Latest callsign.
    pub callsign: Option<Callsign>,
    /// Emitter category.
    pub category: Option<EmitterCategory>,
    /// Latest Mode A code.
    pub squawk: Option<Squawk>,
    /// Emergency declared.
    pub emergency: Option<Emergency>,
    /// Latest barometric altitude, feet.
    pub altitude_baro_ft: Option<i32>,
    /// Latest velocity.
    pub velocity: Option<VelocityFacts>,
    /// Latest NACp.
    pub nac_p: Option<u8>,
    even: Option<Frame>,
    odd: Option<Frame>,
    position: Option<Known>,
    seq: u64,
}

impl Aircraft {
    fn new(address: u32, non_icao: bool) -> Self {
        Aircraft {
            address,
            non_icao,
            last_seen_s: None,
            callsign: None,
            category: None,
            squawk: None,
            emergency: None,
            altitude_baro_ft: None,
            velocity: None,
            nac_p: None,
            even: None,
            odd: None,
            position: None,
            seq: 0,
        }
    }
    /// Last resolved position (latitude, longitude in degrees) and its time.
    pub fn position(&self) -> Option<(f64, f64, Option<f64>)> {
        self.position.map(|p| (p.lat, p.lon, p.time_s))
    }
}

/// Bounded per-aircraft CPR and identity state. Pure: time is passed in.
#[derive(Clone, Debug)]
pub struct AircraftTracker {
    config: TrackerConfig,
    aircraft: HashMap<u32, Aircraft>,
    seq: u64,
}

fn key(address: u32, non_icao: bool) -> u32 {
    (address & 0xFF_FFFF) | (u32::from(non_icao) << 24)
}

/// Seconds from `a` to `b`, when both are known.
fn age(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some((b - a).abs()),
        _ => None,
    }
}

/// Great-circle distance, metres.
pub(crate) fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().min(1.0).asin()
}

/// Could the aircraft have moved from `from` to (lat, lon) in the time between?
fn plausible(from: &Known, lat: f64, lon: f64, time_s: Option<f64>) -> bool {
    match age(from.time_s, time_s) {
        // 800 m/s ≈ 1 555 kt, plus 2 km for CPR and timing slack.
        Some(dt) => distance_m(from.lat, from.lon, lat, lon) <= 2_000.0 + 800.0 * dt,
        None => true,
    }
}

impl AircraftTracker {
    /// An empty tracker.
    pub fn new(config: TrackerConfig) -> Self {
        let mut config = config;
        config.max_aircraft = config.max_aircraft.max(1);
        // A receiver position that is not a position is no reference at all.
        config.receiver = config.receiver.filter(|(lat, lon)| {
            lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0
        });
        AircraftTracker {
            config,
            aircraft: HashMap::new(),
            seq: 0,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Number of aircraft remembered.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// True when no aircraft is remembered.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }

    /// What is known of an aircraft.
    pub fn get(&self, address: u32, non_icao: bool) -> Option<&Aircraft> {
        self.aircraft.get(&key(address, non_icao))
    }

    /// True when `address` was heard in a parity-checked reply (DF11/17/18) and not yet
    /// forgotten: an address recovered from address/parity that matches is trustworthy.
    pub fn is_known(&self, address: u32) -> bool {
        self.aircraft.contains_key(&key(address, false))
    }

    /// Take one decoded reply into account; returns the position it resolves, if any.
    ///
    /// Parity-checked replies (DF11/17/18) create aircraft; address/parity replies only update
    /// aircraft already known (their address cannot be verified otherwise).
    pub fn update(&mut self, msg: &ModeS, time_s: Option<f64>) -> Option<PositionFix> {
        let time_s = time_s.filter(|t| t.is_finite());
        let k = key(msg.address, msg.non_icao());
        self.seq += 1;
        let seq = self.seq;
        if msg.address_source == AddressSource::Recovered {
            let a = self.aircraft.get_mut(&k)?;
            a.seq = seq;
            if time_s.is_some() {
                a.last_seen_s = time_s;
            }
            update_facts(a, msg, time_s);
            return None;
        }
        if !self.aircraft.contains_key(&k) {
            self.make_room(time_s);
        }
        let ttl = self.config.ttl_s;
        let a = self
            .aircraft
            .entry(k)
            .or_insert_with(|| Aircraft::new(msg.address, msg.non_icao()));
        if age(a.last_seen_s, time_s).is_some_and(|dt| dt > ttl) {
            *a = Aircraft::new(msg.address, msg.non_icao()); // a new flight, as far as we know
        }
        a.seq = seq;
        if time_s.is_some() {
            a.last_seen_s = time_s;
        }
        update_facts(a, msg, time_s);
        let cfg = &self.config;
        match msg.adsb() {
            Some(Adsb::AirbornePosition(p)) => {
                let (lat, lon, method) = resolve(cfg, a, p.cpr, false, time_s).filter(valid)?;
                Some(fix(
                    cfg,
                    a,
                    lat,
                    lon,
                    false,
                    method,
                    p.typecode,
                    time_s,
                    p.altitude_baro_ft,
                    p.altitude_gnss_ft,
                ))
            }
            Some(Adsb::SurfacePosition(p)) => {
                let (lat, lon, method) = resolve(cfg, a, p.cpr, true, time_s).filter(valid)?;
                Some(fix(
                    cfg, a, lat, lon, true, method, p.typecode, time_s, None, None,
                ))
            }
            _ => None,
        }
    }

    /// Evict aircraft so one more fits: first those silent longer than the TTL, then the least
    /// recently heard eighth at once, so a flood of made-up addresses (parity is not
    /// authentication) costs amortised constant time per new aircraft, not a scan each.
    fn make_room(&mut self, now_s: Option<f64>) {
        if self.aircraft.len() < self.config.max_aircraft {
            return;
        }
        if let Some(now) = now_s {
            let ttl = self.config.ttl_s;
            self.aircraft
                .retain(|_, a| !age(a.last_seen_s, Some(now)).is_some_and(|dt| dt > ttl));
        }
        if self.aircraft.len() < self.config.max_aircraft {
            return;
        }
        let batch = (self.config.max_aircraft / 8).max(1);
        let mut seqs: Vec<u64> = self.aircraft.values().map(|a| a.seq).collect();
        let (_, &mut cutoff, _) = seqs.select_nth_unstable(batch - 1);
        self.aircraft.retain(|_, a| a.seq > cutoff);
    }
}

fn valid(p: &(f64, f64, CprMethod)) -> bool {
    p.0.is_finite() && p.1.is_finite() && p.0.abs() <= 90.0 && p.1.abs() <= 180.0
}

fn update_facts(a: &mut Aircraft, msg: &ModeS, time_s: Option<f64>) {
    if let Some(alt) = msg.altitude_baro_ft() {
        a.altitude_baro_ft = Some(alt);
    }
    if let Some(sq) = msg.squawk() {
        a.squawk = Some(sq);
        // A squawk change clears an emergency declared by squawk.
        a.emergency = sq.emergency();
    }
    match &msg.body {
        Body::Extended {
            adsb: Some(adsb), ..
        } => match adsb {
            Adsb::Identification { category, callsign } => {
                a.callsign = Some(*callsign);
                a.category = Some(*category);
            }
            Adsb::Velocity(v) => {
                a.velocity = Some(VelocityFacts {
                    ground_speed_kt: v.ground_speed_kt,
                    track_deg: v.track_deg,
                    vertical_rate_fpm: v.vertical_rate_fpm,
                    geo_minus_baro_ft: v.geo_minus_baro_ft,
                    time_s,
                });
            }
            Adsb::AircraftStatus { emergency, squawk } => {
                a.emergency = emergency.or(squawk.emergency());
            }
            Adsb::TargetState { nac_p, .. } => a.nac_p = Some(*nac_p),
            Adsb::OperationalStatus { nac_p: Some(n), .. } => a.nac_p = Some(*n),
            _ => {}
        },
        Body::CommBAltitude { commb, .. } | Body::CommBIdentity { commb, .. } => {
            if let Some(CommBReport::Identification(cs)) = commb.report {
                a.callsign = Some(cs);
            }
        }
        _ => {}
    }
}

fn resolve(
    cfg: &TrackerConfig,
    a: &mut Aircraft,
    cpr: Cpr,
    surface: bool,
    time_s: Option<f64>,
) -> Option<(f64, f64, CprMethod)> {
    let this = Frame {
        cpr,
        surface,
        time_s,
    };
    let other = if cpr.odd { a.even } else { a.odd };
    if cpr.odd {
        a.odd = Some(this);
    } else {
        a.even = Some(this);
    }
    let recent = a
        .position
        .filter(|p| p.surface == surface)
        .filter(|p| !age(p.time_s, time_s).is_some_and(|dt| dt > cfg.local_window_s));

    // 1. Global, from a fresh partner of the same kind.
    if let Some(o) = other.filter(|o| o.surface == surface) {
        if !age(o.time_s, time_s).is_some_and(|dt| dt > cfg.pair_window_s) {
            let (even, odd) = if cpr.odd { (o.cpr, cpr) } else { (cpr, o.cpr) };
            let global = if surface {
                // Surface pairs need a reference to pick one of four answers.
                let reference = a
                    .position
                    .filter(|p| p.surface)
                    .map(|p| (p.lat, p.lon))
                    .or(cfg.receiver);
                reference
                    .and_then(|(rlat, rlon)| cpr::global_surface(&even, &odd, cpr.odd, rlat, rlon))
            } else {
                cpr::global_airborne(&even, &odd, cpr.odd)
            };
            if let Some((lat, lon)) = global {
                if let Some(r) = recent {
                    if !plausible(&r, lat, lon, time_s) {
                        a.position = None; // one of the two is wrong: let the next pair decide
                        return None;
                    }
                }
                a.position = Some(Known {
                    lat,
                    lon,
                    surface,
                    time_s,
                });
                return Some((lat, lon, CprMethod::Global));
            }
        }
    }
    // 2. Local, against the aircraft's own recent position.
    if let Some(r) = recent {
        let (lat, lon) = if surface {
            cpr::local_surface(&cpr, r.lat, r.lon)
        } else {
            cpr::local_airborne(&cpr, r.lat, r.lon)
        };
        if !plausible(&r, lat, lon, time_s) {
            return None;
        }
        a.position = Some(Known {
            lat,
            lon,
            surface,
            time_s,
        });
        return Some((lat, lon, CprMethod::LocalAircraft));
    }
    // 3. Local, against the receiver.
    let (rlat, rlon) = cfg.receiver?;
    let (lat, lon, range) = if surface {
        let (lat, lon) = cpr::local_surface(&cpr, rlat, rlon);
        (lat, lon, cfg.surface_receiver_max_range_m)
    } else {
        let (lat, lon) = cpr::local_airborne(&cpr, rlat, rlon);
        (lat, lon, cfg.receiver_max_range_m)
    };
    if distance_m(rlat, rlon, lat, lon) > range {
        return None;
    }
    a.position = Some(Known {
        lat,
        lon,
        surface,
        time_s,
    });
    Some((lat, lon, CprMethod::LocalReceiver))
}

#[allow(clippy::too_many_arguments)]
fn fix(
    cfg: &TrackerConfig,
    a: &Aircraft,
    lat_deg: f64,
    lon_deg: f64,
    on_ground: bool,
    method: CprMethod,
    typecode: u8,
    time_s: Option<f64>,
    altitude_baro_ft: Option<i32>,
    altitude_gnss_ft: Option<i32>,
) -> PositionFix {
    let velocity = a
        .velocity
        .filter(|v| !age(v.time_s, time_s).is_some_and(|dt| dt > cfg.velocity_max_age_s));
    PositionFix {
        address: a.address,
        non_icao: a.non_icao,
        lat_deg,
        lon_deg,
        on_ground,
        method,
        altitude_baro_ft,
        altitude_gnss_ft,
        typecode,
        nac_p: a.nac_p,
        callsign: a.callsign,
        category: a.category,
        velocity,
        squawk: a.squawk,
        emergency: a.emergency,
        time_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::encode_airborne_position_me;
    use crate::cpr::encode_airborne;

    fn position_frame(address: u32, lat: f64, lon: f64, odd: bool) -> ModeS {
        let me = encode_airborne_position_me(encode_airborne(lat, lon, odd), 30_000).unwrap();
        ModeS::decode(&crate::encode::df17(address, 5, me)).unwrap()
    }

    #[test]
    fn a_pair_within_the_window_resolves_and_one_outside_does_not() {
        let mut t = AircraftTracker::new(TrackerConfig::default());
        assert!(t
            .update(&position_frame(0xABCDEF, 59.7, 32.0, false), Some(0.0))
            .is_none());
        let f = t
            .update(&position_frame(0xABCDEF, 59.7, 32.0, true), Some(1.0))
            .unwrap();
        assert_eq!(f.method, CprMethod::Global);
        assert!((f.lat_deg - 59.7).abs() < 1e-4 && (f.lon_deg - 32.0).abs() < 1e-4);

        let mut t = AircraftTracker::new(TrackerConfig::default());
        t.update(&position_frame(0x123456, 59.7, 32.0, false), Some(0.0));
        assert!(t
            .update(&position_frame(0x123456, 59.7, 32.0, true), Some(10.5))
            .is_none());
    }

    #[test]
    fn after_a_fix_single_frames_resolve_locally_until_the_reference_is_stale() {
        let mut t = AircraftTracker::new(TrackerConfig::default());
        t.update(&position_frame(1, 50.0, 8.0, false), Some(0.0));
        t.update(&position_frame(1, 50.0, 8.0, true), Some(0.5));
        let f = t
            .update(&position_frame(1, 50.01, 8.01, true), Some(20.0))
            .unwrap();
        assert_eq!(f.method, CprMethod::LocalAircraft);
        assert!((f.lat_deg - 50.01).abs() < 1e-4);
        assert!(t
            .update(&position_frame(1, 50.02, 8.02, true), Some(60.0))
            .is_none());
    }

    #[test]
    fn the_receiver_resolves_a_lone_frame_only_within_range() {
        let cfg = TrackerConfig {
            receiver: Some((59.7, 32.0)),
            ..TrackerConfig::default()
        };
        let mut t = AircraftTracker::new(cfg);
        let f = t
            .update(&position_frame(2, 59.9, 31.5, true), Some(0.0))
            .unwrap();
        assert_eq!(f.method, CprMethod::LocalReceiver);
        assert!((f.lat_deg - 59.9).abs() < 1e-4 && (f.lon_deg - 31.5).abs() < 1e-4);
        // 2.5° north is ~280 km: beyond the 200 km default, so no position.
        assert!(t
            .update(&position_frame(3, 62.2, 32.0, false), Some(0.0))
            .is_none());
    }

    #[test]
    fn the_number_of_aircraft_is_bounded_and_the_oldest_goes_first() {
        let mut t = AircraftTracker::new(TrackerConfig {
            max_aircraft: 3,
            ..TrackerConfig::default()
        });
        for addr in 1..=5u32 {
            t.update(
                &position_frame(addr, 50.0, 8.0, false),
                Some(f64::from(addr)),
            );
        }
        assert_eq!(t.len(), 3);
        assert!(t.get(1, false).is_none() && t.get(2, false).is_none());
        assert!(t.get(5, false).is_some());
    }

    fn surface_frame(cpr: Cpr) -> ModeS {
        // TC 7, movement 44 (20 kt), track status set, track 30/128 of a turn.
        let me = (7u64 << 51)
            | (44 << 44)
            | (1 << 43)
            | (30 << 36)
            | (u64::from(cpr.odd) << 34)
            | (u64::from(cpr.lat) << 17)
            | u64::from(cpr.lon);
        ModeS::decode(&crate::encode::df17(0xC8200A, 4, me)).unwrap()
    }

    #[test]
    fn a_surface_pair_needs_a_reference_and_the_receiver_gives_it() {
        // The Christchurch pair of the cpr tests (pyModeS: -43.485644, 172.539417).
        let even = Cpr {
            odd: false,
            lat: 1_246,
            lon: 57_074,
        };
        let odd = Cpr {
            odd: true,
            lat: 64_585,
            lon: 67_947,
        };
        let mut t = AircraftTracker::new(TrackerConfig::default());
        t.update(&surface_frame(even), Some(0.0));
        assert!(
            t.update(&surface_frame(odd), Some(2.0)).is_none(),
            "four answers, no reference"
        );
        let mut t = AircraftTracker::new(TrackerConfig {
            receiver: Some((-43.496, 172.558)),
            ..TrackerConfig::default()
        });
        let first = t.update(&surface_frame(even), Some(0.0)).unwrap();
        assert_eq!(first.method, CprMethod::LocalReceiver);
        let f = t.update(&surface_frame(odd), Some(2.0)).unwrap();
        assert_eq!((f.method, f.on_ground), (CprMethod::Global, true));
        assert!((f.lat_deg + 43.485_644).abs() < 1e-5 && (f.lon_deg - 172.539_417).abs() < 1e-5);
    }

    #[test]
    fn a_receiver_that_is_not_a_position_is_ignored() {
        let mut t = AircraftTracker::new(TrackerConfig {
            receiver: Some((f64::NAN, 32.0)),
            ..TrackerConfig::default()
        });
        assert_eq!(t.config().receiver, None);
        assert!(t
            .update(&position_frame(4, 59.9, 31.5, true), Some(0.0))
            .is_none());
    }

    #[test]
    fn a_flood_of_made_up_addresses_stays_bounded_and_keeps_the_latest() {
        let mut t = AircraftTracker::new(TrackerConfig {
            max_aircraft: 1_000,
            ..TrackerConfig::default()
        });
        let msg = |a: u32| ModeS::decode(&crate::encode::df11(a, 5)).unwrap();
        for a in 0..50_000u32 {
            t.update(&msg(a), None);
            assert!(t.len() <= 1_000);
        }
        assert!(t.is_known(49_999) && t.is_known(49_900));
        assert!(!t.is_known(0));
    }

    #[test]
    fn an_implausible_jump_is_not_reported() {
        let mut t = AircraftTracker::new(TrackerConfig::default());
        t.update(&position_frame(9, 50.0, 8.0, false), Some(0.0));
        t.update(&position_frame(9, 50.0, 8.0, true), Some(0.5));
        // One second later the pair says 2° further north: impossible.
        t.update(&position_frame(9, 52.0, 8.0, false), Some(1.0));
        assert!(t
            .update(&position_frame(9, 52.0, 8.0, true), Some(1.5))
            .is_none());
        // The next consistent pair is believed again.
        assert!(t
            .update(&position_frame(9, 52.0, 8.0, false), Some(2.0))
            .is_some());
    }
}
