//! Disagreement between receivers: the same broadcast heard by two receivers at known places
//! must be louder at the one nearer the position it claims.
//!
//! The transmit power is unknown (and the sender's to choose), but it cancels in the
//! difference of two receivers' RSSIs of the same transmitter at about the same time. Under a
//! log-distance path loss `L(d) = L₀ + 10·n·log10(d)`,
//!
//! ```text
//! RSSI_A − RSSI_B ≈ 10·n·log10(d_B / d_A)
//! ```
//!
//! where `d_X` is the distance from receiver X to the *claimed* position. A claimed position
//! that is false shows up as a measured difference outside what the claim predicts.
//!
//! * Exponent: the prediction is the band n ∈ [[`N_MIN`], [`N_MAX`]] = [2, 3]: free space
//!   (n = 2) for a drone in line of sight of a raised receiver, up to n = 3 over ground with
//!   clutter. A measured difference inside the band disagrees by 0 dB.
//! * Fading margin: single Wi-Fi / Bluetooth RSSI readings scatter by σ ≈ 4–8 dB (multipath,
//!   the drone's antenna pattern as it turns, 1 dB RSSI steps), so a difference of two scatters
//!   by about √2 times that, and two receivers' gains and cable losses may differ by a few dB.
//!   A pair disagrees only when the median over at least [`MIN_PAIRED_REPORTS`] paired reports
//!   is more than [`MARGIN_DB`] = 12 dB outside the band (about 1.5 σ of a single difference,
//!   far more for a median of several).
//! * Pairing: each receiver's latest report per UAS ID is kept; a report pairs with another
//!   receiver's latest one when their times (the observations' own, no clock is read) are
//!   within [`PAIR_WINDOW_S`]; each report is used at most once per receiver pair, so one
//!   receiver hearing ten frames to the other's one does not count ten times. Paired reports
//!   older than [`SAMPLE_MEMORY_S`] no longer count.
//! * Score: weight 0 at [`MARGIN_DB`], rising linearly to 0.9 at 30 dB of disagreement; the
//!   strongest receiver pair per aircraft is kept as the finding, for [`MEMORY_S`] of data time
//!   after it was last confirmed (it is cleared when that pair agrees again). The finding is
//!   merged into every observation of that UAS ID the same way [`crate::evidence`] combines
//!   its findings: score 1 − (1 − s)(1 − w), reasons strongest first.
//!
//! Only the geometry can discriminate: a claim far from both receivers predicts nearly equal
//! signals, so a drone halfway between them claiming to be 25 km away agrees. A receiver that
//! hears a drone at all although the claimed position is far beyond radio range is the
//! per-receiver signal-strength check of [`crate::evidence`] (the 1 W free-space limit), not
//! repeated here.
//!
//! Where it runs: the pipeline's fusion stage, just before each tracker step, because only
//! there do all receivers' observations meet in time order next to the site's receiver
//! positions, while fusion itself stays sensor-agnostic.
//!
//! State is bounded: at most [`MAX_RECEIVERS`] receivers and `max_aircraft` UAS IDs (the one
//! heard least recently is dropped), each forgotten [`MEMORY_S`] of data time after it was
//! last heard.

use crate::evidence::{combine, ground_distance_m};
use picket_core::{
    GeoPoint, Identity, Measurement, Observation, SensorId, SpoofEvidence, Timestamp,
};
use std::collections::{HashMap, VecDeque};

/// Smallest path-loss exponent considered (free space).
pub const N_MIN: f64 = 2.0;
/// Largest path-loss exponent considered (ground clutter).
pub const N_MAX: f64 = 3.0;
/// Disagreement beyond the exponent band that fading and receiver differences explain, dB.
pub const MARGIN_DB: f64 = 12.0;
/// Disagreement at which the weight reaches its maximum, dB.
pub const FULL_DB: f64 = 30.0;
/// Highest weight of a disagreement (RSSI alone never proves a lie).
pub const MAX_WEIGHT: f64 = 0.9;
/// Largest time difference of two receivers' reports to pair them, seconds.
pub const PAIR_WINDOW_S: f64 = 1.0;
/// Paired reports needed before a receiver pair is judged.
pub const MIN_PAIRED_REPORTS: usize = 4;
/// Paired reports kept per receiver pair (the median is taken over them).
pub const MAX_PAIRED_REPORTS: usize = 9;
/// Paired reports older than this (data time) no longer count, seconds.
pub const SAMPLE_MEMORY_S: f64 = 30.0;
/// A finding (and an aircraft not heard) is forgotten after this much data time, seconds.
pub const MEMORY_S: f64 = 120.0;
/// Most receivers with known positions taken into account.
pub const MAX_RECEIVERS: usize = 64;
/// Default most UAS IDs followed at once.
pub const DEFAULT_MAX_AIRCRAFT: usize = 1024;
/// Distances below this are taken as this (near field, antenna height), metres.
const MIN_DISTANCE_M: f64 = 10.0;
/// Most reasons an observation's merged evidence lists (as fusion keeps).
const MAX_REASONS: usize = 8;
/// Longest receiver name quoted in a reason, characters.
const MAX_QUOTED_CHARS: usize = 40;
/// Longest UAS ID used as a key, bytes (F3411 IDs have 20; longer ones are cut).
const MAX_ID_BYTES: usize = 64;
/// RSSI readings outside this range are not measurements, dBm.
const RSSI_RANGE_DBM: std::ops::RangeInclusive<f64> = -150.0..=30.0;
/// How often (data time) forgotten aircraft are swept out, seconds.
const SWEEP_S: f64 = 10.0;

/// Counters since the cross-check was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrossCheckStats {
    /// Report pairs of one UAS ID from two receivers compared.
    pub pairs: u64,
    /// Comparisons that left a receiver pair disagreeing with the claimed position.
    pub disagreements: u64,
    /// UAS IDs dropped because the table was full.
    pub evicted: u64,
}

/// The current cross-receiver finding about one aircraft.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossFinding {
    /// Strength in [0, 1].
    pub weight: f64,
    /// Disagreement beyond the predicted band, dB (median over the paired reports).
    pub disagreement_db: f64,
    /// In words.
    pub reason: String,
    /// Data time it was last confirmed.
    pub time: Timestamp,
    /// The receiver pair (indices into the receiver list, smaller first).
    pair: (usize, usize),
}

/// One receiver's latest report of one aircraft.
#[derive(Clone, Copy, Debug)]
struct Slot {
    receiver: usize,
    /// Increases with every report, so a report is paired once per receiver pair.
    seq: u64,
    time: Timestamp,
    rssi_dbm: f64,
    /// Distance from the receiver to the position this report claims, metres.
    distance_m: f64,
}

/// One comparison of two receivers' reports.
#[derive(Clone, Copy, Debug)]
struct Sample {
    time: Timestamp,
    /// Measured RSSI_a − RSSI_b, dB.
    measured_db: f64,
    /// The predicted band of RSSI_a − RSSI_b, dB (low, high).
    predicted_db: (f64, f64),
    /// Measured less the nearest point of the band (0 inside), dB.
    disagreement_db: f64,
}

#[derive(Clone, Debug)]
struct Pair {
    a: usize,
    b: usize,
    /// Sequence numbers of the reports last paired (a's, b's).
    used: (u64, u64),
    samples: VecDeque<Sample>,
}

#[derive(Clone, Debug)]
struct Aircraft {
    slots: Vec<Slot>,
    pairs: Vec<Pair>,
    finding: Option<CrossFinding>,
    last_heard: Timestamp,
    next_seq: u64,
}

/// Cross-receiver RSSI check over all receivers' Remote ID observations.
#[derive(Clone, Debug)]
pub struct CrossCheck {
    receivers: Vec<(SensorId, GeoPoint)>,
    aircraft: HashMap<String, Aircraft>,
    max_aircraft: usize,
    newest: Option<Timestamp>,
    last_sweep: Option<Timestamp>,
    stats: CrossCheckStats,
}

impl Default for CrossCheck {
    fn default() -> Self {
        CrossCheck::new()
    }
}

/// The predicted band of RSSI_a − RSSI_b for the claimed distances, dB (low, high).
pub fn predicted_difference_db(distance_a_m: f64, distance_b_m: f64) -> (f64, f64) {
    let l = (distance_b_m.max(MIN_DISTANCE_M) / distance_a_m.max(MIN_DISTANCE_M)).log10();
    let (x, y) = (10.0 * N_MIN * l, 10.0 * N_MAX * l);
    (x.min(y), x.max(y))
}

/// Signed distance of `measured_db` from the band `(low, high)` (0 inside), dB.
pub fn disagreement_db(measured_db: f64, (low, high): (f64, f64)) -> f64 {
    if measured_db < low {
        measured_db - low
    } else if measured_db > high {
        measured_db - high
    } else {
        0.0
    }
}

/// Weight of a disagreement of `db` (absolute) dB.
pub fn disagreement_weight(db: f64) -> f64 {
    let db = db.abs();
    if db.is_nan() || db <= MARGIN_DB {
        0.0
    } else {
        (MAX_WEIGHT * (db - MARGIN_DB) / (FULL_DB - MARGIN_DB)).min(MAX_WEIGHT)
    }
}

/// `evidence` with one more finding of `weight` merged in (1 − Π(1 − wᵢ), reasons strongest
/// first, each once, at most 8).
pub fn merge_finding(evidence: Option<&SpoofEvidence>, weight: f64, reason: &str) -> SpoofEvidence {
    let Some(old) = evidence else {
        return SpoofEvidence {
            score: combine([weight]),
            reasons: vec![reason.to_owned()],
        };
    };
    let mut reasons: Vec<String> = old
        .reasons
        .iter()
        .filter(|r| *r != reason)
        .cloned()
        .collect();
    // The old reasons are sorted strongest first and none is stronger than their combination.
    let at = if weight > old.score { 0 } else { reasons.len() };
    reasons.insert(at, reason.to_owned());
    reasons.truncate(MAX_REASONS);
    SpoofEvidence {
        score: combine([old.score, weight]),
        reasons,
    }
}

fn quoted(s: &str) -> &str {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// "12 dB louder" / "3 dB quieter".
fn louder(db: f64) -> String {
    if db >= 0.0 {
        format!("{db:.0} dB louder")
    } else {
        format!("{:.0} dB quieter", -db)
    }
}

/// "2 to 3 dB quieter" (the band never straddles 0) / "the same".
fn louder_band((low, high): (f64, f64)) -> String {
    if low.abs().max(high.abs()) < 0.5 {
        "the same".to_owned()
    } else if low >= 0.0 {
        format!("{low:.0} to {high:.0} dB louder")
    } else {
        format!("{:.0} to {:.0} dB quieter", -high, -low)
    }
}

fn median_by_disagreement(samples: &VecDeque<Sample>) -> Option<Sample> {
    let mut v: Vec<Sample> = samples.iter().copied().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|x, y| x.disagreement_db.total_cmp(&y.disagreement_db));
    Some(v[(v.len() - 1) / 2])
}

impl CrossCheck {
    /// No receivers yet, at most [`DEFAULT_MAX_AIRCRAFT`] UAS IDs.
    pub fn new() -> Self {
        CrossCheck::with_capacity(DEFAULT_MAX_AIRCRAFT)
    }

    /// At most `max_aircraft` UAS IDs (at least 1) followed at once.
    pub fn with_capacity(max_aircraft: usize) -> Self {
        CrossCheck {
            receivers: Vec::new(),
            aircraft: HashMap::new(),
            max_aircraft: max_aircraft.max(1),
            newest: None,
            last_sweep: None,
            stats: CrossCheckStats::default(),
        }
    }

    /// Where a receiver stands. `false` (and ignored) when the position is invalid or
    /// [`MAX_RECEIVERS`] are known already; a known receiver is moved.
    pub fn set_receiver(&mut self, id: SensorId, position: GeoPoint) -> bool {
        if !position.is_valid() {
            return false;
        }
        if let Some(r) = self.receivers.iter_mut().find(|r| r.0 == id) {
            r.1 = position;
            return true;
        }
        if self.receivers.len() >= MAX_RECEIVERS {
            return false;
        }
        self.receivers.push((id, position));
        true
    }

    /// Receivers with known positions.
    pub fn receivers(&self) -> usize {
        self.receivers.len()
    }

    /// UAS IDs followed.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// Whether no UAS ID is followed.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }

    /// Counters.
    pub fn stats(&self) -> CrossCheckStats {
        self.stats
    }

    /// The current finding about a UAS ID.
    pub fn finding(&self, uas_id: &str) -> Option<&CrossFinding> {
        self.aircraft.get(key(uas_id))?.finding.as_ref()
    }

    /// Takes one observation (in data-time order, as fusion receives them): a Remote ID
    /// position report with an RSSI from a receiver with a known position is compared with the
    /// other receivers' reports of the same UAS ID; then any live finding about that UAS ID is
    /// merged into `o.side.spoof`. Other observations pass untouched.
    pub fn observe(&mut self, o: &mut Observation) {
        let Some(Identity::RemoteId(id)) = &o.identity else {
            return;
        };
        let id = key(id).to_owned();
        let now = o.time;
        if self.newest.is_none_or(|n| now > n) {
            self.newest = Some(now);
        }
        self.sweep();
        let report = self.report_of(o);
        if report.is_some() && !self.aircraft.contains_key(&id) {
            self.make_room();
            self.aircraft.insert(
                id.clone(),
                Aircraft {
                    slots: Vec::new(),
                    pairs: Vec::new(),
                    finding: None,
                    last_heard: now,
                    next_seq: 0,
                },
            );
        }
        let Some(a) = self.aircraft.get_mut(&id) else {
            return;
        };
        if let Some((receiver, rssi_dbm, distance_m)) = report {
            if now > a.last_heard {
                a.last_heard = now;
            }
            let seq = a.next_seq;
            a.next_seq += 1;
            let slot = Slot {
                receiver,
                seq,
                time: now,
                rssi_dbm,
                distance_m,
            };
            let (pairs, disagreements) = a.compare(&slot, &self.receivers);
            self.stats.pairs += pairs;
            self.stats.disagreements += disagreements;
            match a.slots.iter_mut().find(|s| s.receiver == receiver) {
                Some(s) => *s = slot,
                None => a.slots.push(slot),
            }
        }
        if let Some(f) = &a.finding {
            if now.seconds_since(f.time) > MEMORY_S {
                a.finding = None;
            }
        }
        if let Some(f) = &a.finding {
            o.side.spoof = Some(merge_finding(o.side.spoof.as_ref(), f.weight, &f.reason));
        }
    }

    /// (receiver index, RSSI, distance to the claimed position) of a usable report.
    fn report_of(&self, o: &Observation) -> Option<(usize, f64, f64)> {
        let rssi = o.side.rssi_dbm.filter(|r| RSSI_RANGE_DBM.contains(r))?;
        let Measurement::Position { position, .. } = &o.measurement else {
            return None;
        };
        if !position.is_valid() {
            return None;
        }
        let i = self.receivers.iter().position(|r| r.0 == o.sensor_id)?;
        let rx = &self.receivers[i].1;
        let ground = ground_distance_m(rx.lat_deg, rx.lon_deg, position.lat_deg, position.lon_deg);
        let distance = ground.hypot(position.alt_hae_m - rx.alt_hae_m);
        Some((i, rssi, distance.max(MIN_DISTANCE_M)))
    }

    /// Forgets aircraft not heard (and findings not confirmed) for [`MEMORY_S`] of data time.
    pub fn expire(&mut self, now: Timestamp) {
        self.aircraft.retain(|_, a| {
            if a.finding
                .as_ref()
                .is_some_and(|f| now.seconds_since(f.time) > MEMORY_S)
            {
                a.finding = None;
            }
            now.seconds_since(a.last_heard) <= MEMORY_S
        });
    }

    fn sweep(&mut self) {
        let Some(now) = self.newest else { return };
        if self
            .last_sweep
            .is_none_or(|s| now.seconds_since(s) >= SWEEP_S)
        {
            self.last_sweep = Some(now);
            self.expire(now);
        }
    }

    /// Drops the aircraft heard least recently while the table is full.
    fn make_room(&mut self) {
        while self.aircraft.len() >= self.max_aircraft {
            let Some(oldest) = self
                .aircraft
                .iter()
                .min_by_key(|(_, a)| a.last_heard)
                .map(|(k, _)| k.clone())
            else {
                return;
            };
            self.aircraft.remove(&oldest);
            self.stats.evicted += 1;
        }
    }
}

fn key(id: &str) -> &str {
    if id.len() <= MAX_ID_BYTES {
        return id;
    }
    let mut end = MAX_ID_BYTES;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    &id[..end]
}

impl Aircraft {
    /// Compares a new report with the other receivers' latest ones; returns (pairs compared,
    /// pairs found disagreeing).
    fn compare(&mut self, new: &Slot, receivers: &[(SensorId, GeoPoint)]) -> (u64, u64) {
        let (mut compared, mut disagreeing) = (0, 0);
        for other in &self.slots {
            if other.receiver == new.receiver
                || new.time.seconds_since(other.time).abs() > PAIR_WINDOW_S
            {
                continue;
            }
            // Smaller receiver index first, so each pair has one orientation.
            let (a, b) = if new.receiver < other.receiver {
                (new, other)
            } else {
                (other, new)
            };
            let at = match self
                .pairs
                .iter()
                .position(|p| p.a == a.receiver && p.b == b.receiver)
            {
                Some(i) => i,
                None => {
                    self.pairs.push(Pair {
                        a: a.receiver,
                        b: b.receiver,
                        used: (u64::MAX, u64::MAX),
                        samples: VecDeque::new(),
                    });
                    self.pairs.len() - 1
                }
            };
            let pair = &mut self.pairs[at];
            if pair.used.0 == a.seq || pair.used.1 == b.seq {
                continue;
            }
            pair.used = (a.seq, b.seq);
            let measured_db = a.rssi_dbm - b.rssi_dbm;
            let predicted_db = predicted_difference_db(a.distance_m, b.distance_m);
            if pair.samples.len() >= MAX_PAIRED_REPORTS {
                pair.samples.pop_front();
            }
            pair.samples.push_back(Sample {
                time: new.time,
                measured_db,
                predicted_db,
                disagreement_db: disagreement_db(measured_db, predicted_db),
            });
            compared += 1;
            pair.samples
                .retain(|s| new.time.seconds_since(s.time) <= SAMPLE_MEMORY_S);
            if pair.samples.len() < MIN_PAIRED_REPORTS {
                continue;
            }
            let Some(m) = median_by_disagreement(&pair.samples) else {
                continue;
            };
            let weight = disagreement_weight(m.disagreement_db);
            let same_pair = self
                .finding
                .as_ref()
                .is_some_and(|f| f.pair == (a.receiver, b.receiver));
            if weight <= 0.0 {
                // This pair agrees now: its finding no longer holds.
                if same_pair {
                    self.finding = None;
                }
                continue;
            }
            disagreeing += 1;
            // Keep the strongest pair's finding (or this pair's newer word on itself).
            if !same_pair && self.finding.as_ref().is_some_and(|f| f.weight > weight) {
                continue;
            }
            let (na, nb) = (
                quoted(&receivers[a.receiver].0 .0),
                quoted(&receivers[b.receiver].0 .0),
            );
            let reason = format!(
                "receivers {na} and {nb} disagree with the claimed position by {:.0} dB ({na} hears it {} than {nb} where the claimed position predicts {}; median of {} paired reports)",
                m.disagreement_db.abs(),
                louder(m.measured_db),
                louder_band(m.predicted_db),
                pair.samples.len()
            );
            self.finding = Some(CrossFinding {
                weight,
                disagreement_db: m.disagreement_db.abs(),
                reason,
                time: new.time,
                pair: (a.receiver, b.receiver),
            });
        }
        (compared, disagreeing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use picket_core::{Measurement, SideFacts};

    const ID: &str = "1581F4XR7A0021C3";

    fn t(s: f64) -> Timestamp {
        Timestamp::from_micros(1_800_000_000_000_000 + (s * 1e6).round() as i64)
    }

    /// A point `east_m`, `north_m` from (31.345 N, 109.948 W), 1400 m above the ellipsoid.
    fn at(east_m: f64, north_m: f64) -> GeoPoint {
        let lat = 31.345 + north_m / 111_195.0;
        let lon = -109.948 + east_m / (111_195.0 * 31.345f64.to_radians().cos());
        GeoPoint::new(lat, lon, 1_400.0)
    }

    fn obs(receiver: &str, time: Timestamp, claimed: GeoPoint, rssi_dbm: f64) -> Observation {
        Observation {
            sensor_id: SensorId(receiver.into()),
            time,
            measurement: Measurement::position(claimed, 5.0, 8.0),
            identity: Some(Identity::RemoteId(ID.into())),
            class_hint: None,
            side: SideFacts {
                rssi_dbm: Some(rssi_dbm),
                ..SideFacts::default()
            },
        }
    }

    /// Free-space-like RSSI of a 20 dBm transmitter at `from` heard at `rx`, plus `fade_db`.
    fn rssi(from: &GeoPoint, rx: &GeoPoint, fade_db: f64) -> f64 {
        let d = ground_distance_m(from.lat_deg, from.lon_deg, rx.lat_deg, rx.lon_deg)
            .hypot(from.alt_hae_m - rx.alt_hae_m);
        -40.0 - 20.0 * (d / 10.0).max(1.0).log10() + fade_db
    }

    fn two_receivers() -> (CrossCheck, GeoPoint, GeoPoint) {
        let mut c = CrossCheck::new();
        let (north, south) = (at(0.0, 1_000.0), at(0.0, -1_000.0));
        assert!(c.set_receiver(SensorId("rid-north".into()), north));
        assert!(c.set_receiver(SensorId("rid-south".into()), south));
        (c, north, south)
    }

    /// Feeds `n` broadcasts, 0.5 s apart, heard by both receivers; returns the last pair of
    /// observations as they leave the check.
    fn run(
        c: &mut CrossCheck,
        (north, south): (&GeoPoint, &GeoPoint),
        truth: &GeoPoint,
        claimed: &GeoPoint,
        (start_s, n): (f64, usize),
    ) -> Vec<Observation> {
        let mut out = Vec::new();
        for k in 0..n {
            // Fading: a fixed ±4 dB pattern that does not favour either receiver on average.
            let fade = [3.0, -4.0, 1.0, -2.0, 4.0, 0.0, -3.0][k % 7];
            let time = t(start_s + k as f64 * 0.5);
            let mut a = obs("rid-north", time, *claimed, rssi(truth, north, fade));
            let mut b = obs("rid-south", time, *claimed, rssi(truth, south, -fade));
            c.observe(&mut a);
            c.observe(&mut b);
            out = vec![a, b];
        }
        out
    }

    #[test]
    fn an_honest_drone_agrees() {
        let (mut c, north, south) = two_receivers();
        // Near the north receiver: 24 dB louder there, as its position says.
        let truth = at(200.0, 800.0);
        let last = run(&mut c, (&north, &south), &truth, &truth, (0.0, 20));
        assert!(c.stats().pairs >= 19, "{:?}", c.stats());
        assert_eq!(c.stats().disagreements, 0);
        assert!(last.iter().all(|o| o.side.spoof.is_none()), "{last:?}");
        assert!(c.finding(ID).is_none());
    }

    #[test]
    fn a_false_position_disagrees_and_is_named() {
        let (mut c, north, south) = two_receivers();
        // Truly next to the north receiver, claiming 10 km south (nearer the south one).
        let truth = at(100.0, 900.0);
        let claimed = at(0.0, -10_000.0);
        let early = run(&mut c, (&north, &south), &truth, &claimed, (0.0, 3));
        assert!(
            early.iter().all(|o| o.side.spoof.is_none()),
            "judged before {MIN_PAIRED_REPORTS} paired reports: {early:?}"
        );
        let last = run(&mut c, (&north, &south), &truth, &claimed, (1.5, 10));
        let f = c.finding(ID).expect("a finding");
        // Measured ≈ +23 dB (north louder), predicted −2.6…−1.7 dB: about 24 dB off.
        assert!(
            (20.0..30.0).contains(&f.disagreement_db),
            "{} dB",
            f.disagreement_db
        );
        assert!(f.weight > 0.4 && f.weight < MAX_WEIGHT, "{}", f.weight);
        assert!(
            f.reason.starts_with(
                "receivers rid-north and rid-south disagree with the claimed position by 2"
            ),
            "{}",
            f.reason
        );
        for o in &last {
            let e = o.side.spoof.as_ref().expect("merged into every report");
            assert_eq!(e.reasons, vec![f.reason.clone()]);
            assert!((e.score - f.weight).abs() < 1e-12);
        }
    }

    #[test]
    fn the_score_grows_with_the_disagreement() {
        assert_eq!(disagreement_weight(MARGIN_DB), 0.0);
        assert_eq!(disagreement_weight(-10.0), 0.0);
        assert!(disagreement_weight(15.0) > 0.0);
        assert!(disagreement_weight(24.0) > disagreement_weight(15.0));
        assert!(disagreement_weight(-24.0) == disagreement_weight(24.0));
        assert_eq!(disagreement_weight(100.0), MAX_WEIGHT);
        assert_eq!(disagreement_weight(f64::NAN), 0.0);
        // Ten times farther from B: 20 to 30 dB louder at A.
        let (lo, hi) = predicted_difference_db(100.0, 1_000.0);
        assert!((lo - 20.0).abs() < 1e-9 && (hi - 30.0).abs() < 1e-9);
        assert_eq!(disagreement_db(25.0, (lo, hi)), 0.0);
        assert_eq!(disagreement_db(-5.0, (lo, hi)), -25.0);
    }

    #[test]
    fn merging_keeps_the_strongest_reason_first() {
        let old = SpoofEvidence {
            score: 0.5,
            reasons: vec!["a".into(), "b".into()],
        };
        let m = merge_finding(Some(&old), 0.8, "x");
        assert_eq!(m.reasons, ["x", "a", "b"]);
        assert!((m.score - 0.9).abs() < 1e-12);
        let m = merge_finding(Some(&old), 0.2, "x");
        assert_eq!(m.reasons, ["a", "b", "x"]);
        // Merging twice does not repeat the reason.
        let again = merge_finding(Some(&m), 0.2, "x");
        assert_eq!(again.reasons, ["a", "b", "x"]);
    }

    #[test]
    fn one_receiver_hearing_more_often_does_not_count_twice() {
        let (mut c, north, south) = two_receivers();
        let truth = at(100.0, 900.0);
        let claimed = at(0.0, -10_000.0);
        // North hears ten frames for each one south hears: each south report pairs once.
        for k in 0..40 {
            let time = t(k as f64 * 0.1);
            let mut a = obs("rid-north", time, claimed, rssi(&truth, &north, 0.0));
            c.observe(&mut a);
            if k % 10 == 0 {
                let mut b = obs("rid-south", time, claimed, rssi(&truth, &south, 0.0));
                c.observe(&mut b);
            }
        }
        assert_eq!(c.stats().pairs, 4, "{:?}", c.stats());
        // Reports more than a second apart never pair.
        let (mut c, north, south) = two_receivers();
        for k in 0..10 {
            let mut a = obs(
                "rid-north",
                t(k as f64 * 4.0),
                claimed,
                rssi(&truth, &north, 0.0),
            );
            let mut b = obs(
                "rid-south",
                t(k as f64 * 4.0 + 2.0),
                claimed,
                rssi(&truth, &south, 0.0),
            );
            c.observe(&mut a);
            c.observe(&mut b);
        }
        assert_eq!(c.stats().pairs, 0);
    }

    #[test]
    fn findings_expire_and_agreement_clears_them() {
        let (mut c, north, south) = two_receivers();
        let truth = at(100.0, 900.0);
        run(
            &mut c,
            (&north, &south),
            &truth,
            &at(0.0, -10_000.0),
            (0.0, 10),
        );
        assert!(c.finding(ID).is_some());
        // Heard again by one receiver only, long after: the finding has lapsed.
        let mut late = obs("rid-north", t(5.0 + MEMORY_S + 1.0), truth, -50.0);
        c.observe(&mut late);
        assert!(late.side.spoof.is_none() && c.finding(ID).is_none());
        // A pair that agrees again clears its own finding.
        let (mut c, north, south) = two_receivers();
        run(
            &mut c,
            (&north, &south),
            &truth,
            &at(0.0, -10_000.0),
            (0.0, 10),
        );
        assert!(c.finding(ID).is_some());
        for k in 0..12 {
            let time = t(10.0 + k as f64 * 0.5);
            let mut a = obs("rid-north", time, truth, rssi(&truth, &north, 0.0));
            let mut b = obs("rid-south", time, truth, rssi(&truth, &south, 0.0));
            c.observe(&mut a);
            c.observe(&mut b);
        }
        assert!(c.finding(ID).is_none());
    }

    #[test]
    fn state_is_bounded() {
        let mut c = CrossCheck::with_capacity(50);
        let rx = at(0.0, 0.0);
        for i in 0..(MAX_RECEIVERS + 5) {
            let ok = c.set_receiver(SensorId(format!("rid-{i}")), rx);
            assert_eq!(ok, i < MAX_RECEIVERS);
        }
        assert!(!c.set_receiver(SensorId("bad".into()), GeoPoint::new(f64::NAN, 0.0, 0.0)));
        assert_eq!(c.receivers(), MAX_RECEIVERS);
        for i in 0..1_000 {
            let mut o = obs("rid-0", t(i as f64 * 0.01), at(10.0, 10.0), -60.0);
            o.identity = Some(Identity::RemoteId(format!("{i}-{}", "x".repeat(200))));
            c.observe(&mut o);
            assert!(c.len() <= 50);
        }
        assert_eq!(c.stats().evicted, 950);
        // Data time moving on forgets everyone.
        let mut o = obs(
            "rid-0",
            t(10.0 + MEMORY_S + SWEEP_S + 1.0),
            at(10.0, 10.0),
            -60.0,
        );
        c.observe(&mut o);
        assert_eq!(c.len(), 1);
        // Reports from unknown receivers, without RSSI or with absurd values hold no state.
        let mut c = CrossCheck::new();
        c.set_receiver(SensorId("rid-0".into()), rx);
        let mut o = obs("elsewhere", t(0.0), rx, -60.0);
        c.observe(&mut o);
        let mut o = obs("rid-0", t(0.0), rx, f64::NAN);
        c.observe(&mut o);
        let mut o = obs("rid-0", t(0.0), rx, 500.0);
        c.observe(&mut o);
        assert!(c.is_empty());
    }
}
