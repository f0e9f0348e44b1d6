//! Track management: scans, gating, assignment, birth, M-of-N confirmation, deletion.

use crate::assign::{self, Pair};
use crate::bearing::{self, BearingMeas, BEARING_GATE_CHI2};
use crate::config::{ConfigError, SensorModel, TrackerConfig};
use crate::imm::{ImmParams, ImmState};
use crate::jpda;
use crate::kalman::{KfState, Projection, M3, V3};
use crate::measure::{self, Prepared};
use crate::reach::{self, Area, Grid, Motion, Reach};
use picket_core::{
    ClassHint, Enu, GeoPoint, Identity, LocalFrame, Observation, SensorId, SpoofEvidence,
    TargetClass, Timestamp, Track, TrackId, TrackStatus,
};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// Observations more than this much older than a track they gate with are refused (no OOSM).
pub const MAX_LATENESS_S: f64 = 2.0;
/// Observations more than this much later than the `now` of their [`Tracker::step`] are refused;
/// otherwise one bogus future timestamp would make every later report look late.
pub const MAX_FUTURE_S: f64 = 5.0;
/// σ of the velocity prior of a track born from a report that states its own velocity, m/s
/// (capped by [`TrackerConfig::initial_speed_sigma_mps`]).
pub const REPORTED_VELOCITY_SIGMA_MPS: f64 = 3.0;
/// Most live tracks at once; reports that would start more are refused (counted), so a flood of
/// hostile reports cannot grow memory and per-scan work without bound.
pub const MAX_LIVE_TRACKS: usize = 10_000;
/// A bearing that updates no track waits this long for a bearing from another sensor to
/// triangulate with, seconds.
pub const BEARING_PAIRING_WINDOW_S: f64 = 2.0;
/// Most bearings waiting for a partner; the oldest are dropped (counted as refused).
const MAX_PENDING_BEARINGS: usize = 1_000;
/// `ln det S` enters the cost clamped to ±this, so one absurd covariance cannot dominate a cluster.
const LN_DET_CLAMP: f64 = 60.0;
/// Most sensor-local labels (SAPIENT object ids) one track keeps; one per node.
pub const MAX_LABELS_PER_TRACK: usize = 16;
/// Most spoofing reasons a track lists.
pub const MAX_SPOOF_REASONS: usize = 8;
/// Spoof score of a cooperative report just outside the gate of the track that holds its
/// identity; it rises to [`CONFLICT_SCORE_MAX`] at three times the gate's Mahalanobis distance.
const CONFLICT_SCORE_MIN: f64 = 0.5;
/// Highest spoof score from position conflicts alone (a manoeuvre the filter missed is never
/// ruled out entirely).
const CONFLICT_SCORE_MAX: f64 = 0.95;
/// Longest identity or sensor name quoted in a spoofing reason, characters.
const MAX_QUOTED_CHARS: usize = 40;

/// Counters since the tracker was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerStats {
    /// Observations that updated an existing track.
    pub observations_used: u64,
    /// Observations that associated with no track and started a new one (both bearings of a
    /// triangulated fix count).
    pub observations_unassociated: u64,
    /// Cooperative reports (Remote ID, ADS-B) whose identity belongs to a track that other
    /// sensors hold far from the claimed position: kept as spoof evidence on that track, not
    /// used as a position.
    pub observations_conflicting: u64,
    /// Observations refused: non-finite or invalid values, bad covariance, too late, from the
    /// future, exact duplicates within a scan, a new track beyond [`MAX_LIVE_TRACKS`], or a
    /// bearing that found neither a track nor a partner to triangulate with in time.
    pub observations_rejected: u64,
    /// Tracks that reached Confirmed.
    pub tracks_confirmed: u64,
    /// Tracks deleted.
    pub tracks_deleted: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Tentative,
    Confirmed,
}

/// Internal state of one live track. The filter state is always at `time`, the last update.
#[derive(Clone, Debug)]
struct TrackState {
    id: TrackId,
    life: Life,
    /// The combined (moment-matched) estimate of `modes`.
    kf: KfState,
    /// The motion-model-conditioned estimates (one model when IMM is off).
    modes: ImmState,
    /// Time of the estimate.
    time: Timestamp,
    /// Time of the last hit (equal to `time` except after JPDA updates that were mostly
    /// "missed"); coasting is measured from it.
    last_hit: Timestamp,
    first_seen: Timestamp,
    hits: u32,
    /// M-of-N history, newest opportunity in bit 0 (1 = hit); misses the tracker counted per
    /// sensor since `sensor_marks` are still to be shifted in (see [`TrackState::catch_up`]).
    history: u64,
    /// The cooperative identity (Remote ID, ICAO) of the first such report that updated it.
    identity: Option<Identity>,
    /// Sensor-local labels (SAPIENT object ids), sorted, at most one per node (the latest).
    labels: Vec<Identity>,
    /// Time and sensor of the latest update by a non-cooperative report (radar, SAPIENT,
    /// bearing): while recent, the track's position does not rest on the target's own word.
    independent_hit: Option<(Timestamp, SensorId)>,
    class_sum: [f64; 4],
    /// Number of hints per class, indexed by `class_index`.
    class_count: [u32; 4],
    sensors: Vec<SensorId>,
    /// Per entry of `sensors`: that sensor's [`ScanCounts`] when they were last taken into
    /// `history`. Scans of a sensor that every track of it misses (any with an anonymous
    /// report; with cooperative reports only, for a track holding no cooperative identity)
    /// are counted per sensor instead of shifted into every track.
    sensor_marks: Vec<ScanCounts>,
    /// Epoch of the track's entries in the step's gating grid.
    grid_epoch: u32,
    operator_position: Option<GeoPoint>,
    callsign: Option<String>,
    take_off_position: Option<GeoPoint>,
    /// Spoof evidence of the newest observation that carried some.
    spoof: Option<SpoofEvidence>,
    /// Cooperative reports of this track's identity far from where other sensors hold it.
    conflict: Option<Conflict>,
    /// Bounds for gating without predicting; kept in step with `kf`, `modes` and `time` by
    /// [`Tracker::refresh_bounds`].
    reach: Reach,
    /// Until this time deletion for uncertainty cannot strike the track (likewise kept).
    sigma_safe_until: Timestamp,
    /// Until this time the track cannot have coasted too long.
    coast_safe_until: Timestamp,
    /// Generation of the track's entries in `Tracker::deadlines`; older entries are void.
    deadline_gen: u32,
}

/// Evidence from cooperative reports that contradict the other sensors.
#[derive(Clone, Debug)]
struct Conflict {
    /// Highest score of any conflicting report.
    score: f64,
    /// The latest conflict in words.
    reason: String,
    /// Number of conflicting reports.
    count: u32,
}

/// Scans of one sensor that are misses for every track of it not updated by them, by kind:
/// scans holding an anonymous report, and scans of cooperative reports only (which only tracks
/// holding no cooperative identity miss).
type ScanCounts = [u64; 2];
const ANONYMOUS_SCANS: usize = 0;
const COOPERATIVE_SCANS: usize = 1;

/// `history` after `n` more misses.
fn shifted(history: u64, n: u64) -> u64 {
    if n >= 64 {
        0
    } else {
        history << n
    }
}

/// Remote ID and ADS-B identities: the target's own claim, unique to one object. Other
/// identities (SAPIENT object ids) are labels local to one sensor.
fn is_cooperative(i: &Identity) -> bool {
    matches!(i, Identity::RemoteId(_) | Identity::Icao(_))
}

/// The node of a sensor-local label.
fn label_node(i: &Identity) -> Option<&str> {
    match i {
        Identity::SapientObject { node, .. } => Some(node),
        _ => None,
    }
}

const CLASSES: [TargetClass; 4] = [
    TargetClass::Drone,
    TargetClass::Bird,
    TargetClass::MannedAircraft,
    TargetClass::Unknown,
];

fn class_index(c: TargetClass) -> usize {
    match c {
        TargetClass::Drone => 0,
        TargetClass::Bird => 1,
        TargetClass::MannedAircraft => 2,
        TargetClass::Unknown => 3,
    }
}

/// `a − b` in seconds without overflow for any pair of timestamps.
fn seconds_between(a: Timestamp, b: Timestamp) -> f64 {
    (i128::from(a.as_micros()) - i128::from(b.as_micros())) as f64 * 1e-6
}

impl TrackState {
    /// Takes the side facts, identity, class evidence and sensor of an observation that updated
    /// (or started) this track.
    ///
    /// Returns the labels it dropped (replaced by a newer label of the same node, or beyond
    /// [`MAX_LABELS_PER_TRACK`]).
    /// `marks`: the current [`ScanCounts`] of the observation's sensor.
    fn absorb(&mut self, p: &Prepared<'_>, marks: ScanCounts) -> Vec<Identity> {
        let o = p.obs;
        let mut dropped = Vec::new();
        match &o.identity {
            Some(i) if is_cooperative(i) => {
                self.identity.get_or_insert_with(|| i.clone());
            }
            Some(label) => {
                if let Err(at) = self.labels.binary_search(label) {
                    let node = label_node(label);
                    if let Some(old) = self.labels.iter().position(|l| label_node(l) == node) {
                        dropped.push(self.labels.remove(old));
                    }
                    let at = self.labels.binary_search(label).err().unwrap_or(at);
                    self.labels.insert(at, label.clone());
                    if self.labels.len() > MAX_LABELS_PER_TRACK {
                        // The first in sort order, so the choice is deterministic.
                        let first = if at == 0 { 1 } else { 0 };
                        dropped.push(self.labels.remove(first));
                    }
                }
            }
            None => {}
        }
        if !o.identity.as_ref().is_some_and(is_cooperative)
            && self
                .independent_hit
                .as_ref()
                .is_none_or(|(t, _)| o.time >= *t)
        {
            self.independent_hit = Some((o.time, o.sensor_id.clone()));
        }
        if let Some(h) = o.class_hint {
            let i = class_index(h.class);
            self.class_sum[i] += f64::from(h.confidence.clamp(0.0, 1.0));
            self.class_count[i] = self.class_count[i].saturating_add(1);
        }
        if let Err(at) = self.sensors.binary_search(&o.sensor_id) {
            self.sensors.insert(at, o.sensor_id.clone());
            self.sensor_marks.insert(at, marks);
        }
        if p.operator_position.is_some() {
            self.operator_position = p.operator_position;
        }
        if o.side.callsign.is_some() {
            self.callsign.clone_from(&o.side.callsign);
        }
        if o.side.take_off_position.is_some() {
            self.take_off_position = o.side.take_off_position;
        }
        if o.side.spoof.is_some() {
            self.spoof.clone_from(&o.side.spoof);
        }
        self.hits = self.hits.saturating_add(1);
        dropped
    }

    /// Whether `o` may have been this track's report, for M-of-N: a cooperative identity of
    /// its own (or any, while it has none); a label it holds, or any label of a node that has
    /// not labelled it (a node's other object ids are other objects).
    fn could_have_taken(&self, o: &Observation) -> bool {
        match &o.identity {
            None => true,
            Some(i) if is_cooperative(i) => self.identity.as_ref().is_none_or(|x| x == i),
            Some(label) => {
                let node = label_node(label);
                self.labels.binary_search(label).is_ok()
                    || !self.labels.iter().any(|l| label_node(l) == node)
            }
        }
    }

    /// Whether a non-cooperative sensor updated the track within `window_s` before `at`.
    fn independently_held(&self, at: Timestamp, window_s: f64) -> bool {
        self.independent_hit
            .as_ref()
            .is_some_and(|(t, _)| seconds_between(at, *t) <= window_s)
    }

    /// Spoof evidence of the observations merged with identity conflicts: the highest score,
    /// the reasons of both (stronger source first, each once, at most [`MAX_SPOOF_REASONS`]).
    fn spoof_evidence(&self) -> Option<SpoofEvidence> {
        let Some(c) = &self.conflict else {
            return self.spoof.clone();
        };
        let conflict = SpoofEvidence {
            score: c.score,
            reasons: vec![c.reason.clone()],
        };
        let Some(obs) = &self.spoof else {
            return Some(conflict);
        };
        let (first, second) = if obs.score.total_cmp(&c.score).is_gt() {
            (obs, &conflict)
        } else {
            (&conflict, obs)
        };
        let mut reasons: Vec<String> = Vec::new();
        for r in first.reasons.iter().chain(&second.reasons) {
            if reasons.len() >= MAX_SPOOF_REASONS {
                break;
            }
            if !reasons.contains(r) {
                reasons.push(r.clone());
            }
        }
        Some(SpoofEvidence {
            score: first.score.max(second.score).clamp(0.0, 1.0),
            reasons,
        })
    }

    /// Misses counted by `counts` since they were last taken into `history`; cooperative
    /// scans count when `claimless` (the track held no cooperative identity meanwhile).
    fn pending_misses(&self, counts: &BTreeMap<SensorId, ScanCounts>, claimless: bool) -> u64 {
        let mut n = 0u64;
        for (s, mark) in self.sensors.iter().zip(&self.sensor_marks) {
            let now = counts.get(s).copied().unwrap_or_default();
            n = n.saturating_add(now[ANONYMOUS_SCANS].saturating_sub(mark[ANONYMOUS_SCANS]));
            if claimless {
                n = n
                    .saturating_add(now[COOPERATIVE_SCANS].saturating_sub(mark[COOPERATIVE_SCANS]));
            }
        }
        n
    }

    /// Shifts the pending misses into `history` (see [`Self::pending_misses`]).
    fn catch_up(&mut self, counts: &BTreeMap<SensorId, ScanCounts>, claimless: bool) {
        let n = self.pending_misses(counts, claimless);
        self.history = shifted(self.history, n);
        for (s, mark) in self.sensors.iter().zip(self.sensor_marks.iter_mut()) {
            *mark = counts.get(s).copied().unwrap_or_default();
        }
    }

    /// Opportunities missed since the last hit (newest bits of the history).
    fn consecutive_misses(&self, counts: &BTreeMap<SensorId, ScanCounts>) -> u32 {
        let pending = self.pending_misses(counts, self.identity.is_none());
        shifted(self.history, pending).trailing_zeros()
    }

    /// A track may take an observation unless both carry cooperative identities and they
    /// differ. Sensor-local labels never block.
    fn may_take(&self, o: &Observation) -> bool {
        match (&self.identity, &o.identity) {
            (Some(a), Some(b)) if is_cooperative(b) => a == b,
            _ => true,
        }
    }

    /// The class with the most summed confidence among decisive hints (drone, bird, manned
    /// aircraft); confidence = its sum over the number of decisive hints, so contradicting
    /// hints lower it. An `unknown` hint means the sensor could not tell: it neither supports
    /// nor weakens a class, and decides only when no sensor ever said more.
    fn class_hint(&self) -> Option<ClassHint> {
        const UNKNOWN: usize = 3;
        let decisive: u32 = self.class_count[..UNKNOWN].iter().sum();
        let (best, denominator) = if decisive > 0 {
            // First maximum in enum order, so ties resolve the same way every time.
            let mut best = 0;
            for i in 1..UNKNOWN {
                if self.class_sum[i] > self.class_sum[best] {
                    best = i;
                }
            }
            (best, decisive)
        } else if self.class_count[UNKNOWN] > 0 {
            (UNKNOWN, self.class_count[UNKNOWN])
        } else {
            return None;
        };
        let confidence = (self.class_sum[best] / f64::from(denominator)).clamp(0.0, 1.0);
        Some(ClassHint {
            class: CLASSES[best],
            confidence: confidence as f32,
        })
    }

    fn snapshot(&self, frame: &LocalFrame, status: TrackStatus) -> Track {
        self.snapshot_of(frame, status, &self.kf, self.time)
    }

    /// A snapshot with the estimate `kf` valid at `time` (the track's own, or a prediction).
    fn snapshot_of(
        &self,
        frame: &LocalFrame,
        status: TrackStatus,
        kf: &KfState,
        time: Timestamp,
    ) -> Track {
        let x = &kf.x;
        let enu = Enu::new(x[0], x[1], x[2]);
        Track {
            id: self.id,
            status,
            time,
            first_seen: self.first_seen,
            position: frame.to_geo(&enu),
            position_enu: enu,
            velocity_enu_mps: [x[3], x[4], x[5]],
            sigma_horizontal_m: kf.sigma_horizontal_m(),
            hits: self.hits,
            identity: self.identity.clone(),
            class_hint: self.class_hint(),
            sensors: self.sensors.clone(),
            operator_position: self.operator_position,
            callsign: self.callsign.clone(),
            take_off_position: self.take_off_position,
            other_identities: self.labels.clone(),
            spoof: self.spoof_evidence(),
        }
    }

    fn status(&self) -> TrackStatus {
        match self.life {
            Life::Tentative => TrackStatus::Tentative,
            Life::Confirmed => TrackStatus::Confirmed,
        }
    }
}

/// A track's prediction for one scan.
struct Prediction {
    /// The state the update starts from: predicted to the scan time, or as is for late data.
    prior: KfState,
    /// The models the update starts from, likewise.
    modes: ImmState,
    proj: Projection,
    /// The scan is more than [`MAX_LATENESS_S`] older than the track.
    too_late: bool,
}

/// The multi-target tracker of one site. See the crate documentation for the algorithm.
#[derive(Clone, Debug)]
pub struct Tracker {
    frame: LocalFrame,
    site_basis: M3,
    config: TrackerConfig,
    /// Spectral density of the white acceleration of the constant-velocity model, m²/s³.
    q: f64,
    /// Motion models.
    imm: ImmParams,
    /// Live tracks, sorted by id (new ids are always the largest). Boxed: deleting one track
    /// moves the pointers behind it, not the states (about 2 kB each).
    #[allow(clippy::vec_box)]
    tracks: Vec<Box<TrackState>>,
    next_id: u64,
    stats: TrackerStats,
    /// Bearings that updated no track, waiting for a partner to triangulate with; in
    /// processing order.
    pending_bearings: Vec<PendingBearing>,
    /// Which live track holds each identity: a cooperative identity's newest track, a label's
    /// only track.
    owners: BTreeMap<Identity, TrackId>,
    /// Noise floors, biases and latencies of sensors that have them.
    sensor_models: BTreeMap<SensorId, SensorModel>,
    /// Live tracks holding each cooperative identity, sorted (more than one when the identity
    /// moved to another track while the first lived on): the tracks whose M-of-N a scan of
    /// cooperative reports touches without visiting every track.
    claimants: BTreeMap<Identity, Vec<TrackId>>,
    /// When tracks may become due for deletion, so that deletion visits only those.
    deadlines: Deadlines,
    /// Per sensor, the scans every track of it misses unless they update it (see
    /// `TrackState::sensor_marks`).
    scan_counts: BTreeMap<SensorId, ScanCounts>,
    /// During a step with many scans: the tracks near each place, for gating.
    gating: Option<Gating>,
}

/// The gating grids of one step: each track's box is good for scans from `from` to `until`.
/// A track is listed in `claimless` while it holds no cooperative identity (and stays there
/// when it takes one until its box changes), otherwise in `claimed`: a scan of cooperative
/// reports needs only the first and the holders of its identities.
#[derive(Clone, Debug)]
struct Gating {
    claimless: Grid,
    claimed: Grid,
    from: Timestamp,
    until: Timestamp,
}

/// A step with at least this many position scans gets a gating grid (building it visits every
/// track once).
const GRID_MIN_SCANS: usize = 4;
/// The grid covers at most this much data time before the step's latest report; older scans
/// (late data) visit every track.
const GRID_SPAN_S: f64 = 5.0;

/// Times from which tracks may be due for deletion, earliest first: per track, one entry for
/// coasting (`coast_safe_until`) and one for uncertainty (`sigma_safe_until`) of its current
/// generation; entries of older generations and of deleted tracks are skipped when they come
/// up.
#[derive(Clone, Debug, Default)]
struct Deadlines {
    coast: BinaryHeap<Reverse<(Timestamp, TrackId, u32)>>,
    sigma: BinaryHeap<Reverse<(Timestamp, TrackId, u32)>>,
}

/// Predictions of some tracks for one scan (those that may gate with it and the holders of
/// its identities), by ascending track index.
struct Predictions {
    index: Vec<usize>,
    preds: Vec<Prediction>,
}

impl Predictions {
    fn get(&self, ti: usize) -> Option<&Prediction> {
        self.index.binary_search(&ti).ok().map(|k| &self.preds[k])
    }
}

/// What the track holding an observation's identity means for that observation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// No live track holds it (or the observation has none).
    None,
    /// Track index that holds it and gates with the observation: the observation goes there
    /// or nowhere.
    Gated(usize),
    /// Track index that holds the cooperative identity, is held by other sensors and does not
    /// gate: the claim contradicts them.
    Conflict(usize),
    /// A holder that does not gate and is not held by other sensors: the observation is free
    /// to go to another track or start one, which then holds the identity.
    Elsewhere,
}

/// A bearing waiting for a partner.
#[derive(Clone, Debug)]
struct PendingBearing {
    obs: Observation,
    meas: BearingMeas,
}

/// What one `step` call touched.
#[derive(Default)]
struct StepLog {
    updated: BTreeSet<TrackId>,
    deleted: Vec<Track>,
}

impl Tracker {
    /// A tracker for the site `frame`. Config fields that [`TrackerConfig::validate`] would
    /// refuse are replaced by their defaults.
    pub fn new(frame: LocalFrame, config: TrackerConfig) -> Self {
        let config = config.sanitized();
        let a = config.process_noise_accel_mps2;
        Tracker {
            frame,
            site_basis: measure::enu_basis(&frame.origin()),
            config,
            q: a * a,
            imm: imm_params(&config),
            tracks: Vec::new(),
            next_id: 1,
            stats: TrackerStats::default(),
            pending_bearings: Vec::new(),
            owners: BTreeMap::new(),
            sensor_models: BTreeMap::new(),
            claimants: BTreeMap::new(),
            deadlines: Deadlines::default(),
            scan_counts: BTreeMap::new(),
            gating: None,
        }
    }

    /// Applies `model` to every later report of `sensor` (noise floors, bias, latency; see
    /// [`SensorModel`]); a neutral model removes the sensor's. An invalid model is refused and
    /// the sensor keeps the one it had.
    pub fn set_sensor_model(
        &mut self,
        sensor: SensorId,
        model: SensorModel,
    ) -> Result<(), ConfigError> {
        model.validate()?;
        if model.is_neutral() {
            self.sensor_models.remove(&sensor);
        } else {
            self.sensor_models.insert(sensor, model);
        }
        Ok(())
    }

    /// The model in force for `sensor`, if any.
    pub fn sensor_model(&self, sensor: &SensorId) -> Option<&SensorModel> {
        self.sensor_models.get(sensor)
    }

    /// The configuration in force (after sanitising).
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Process observations (any order; they are sorted internally by time then sensor), then run
    /// deletion at `now`.
    ///
    /// Returns snapshots of every track that was born or updated in this call (status
    /// Tentative/Confirmed, estimate at its last update time) plus every track deleted in this
    /// call (status Deleted, exactly once, estimate at its last update). One snapshot per track,
    /// sorted by [`TrackId`]; a track born and deleted within the same call appears only as
    /// Deleted.
    ///
    /// `now` is data time (the latest time the caller knows of), not wall-clock time read here;
    /// observations more than [`MAX_FUTURE_S`] after it are refused.
    pub fn step(&mut self, observations: &[Observation], now: Timestamp) -> Vec<Track> {
        let mut log = StepLog::default();
        // Reports of modelled sensors, corrected; indexed like `observations` (empty: none).
        let corrected: Vec<Option<Observation>> = if self.sensor_models.is_empty() {
            Vec::new()
        } else {
            observations
                .iter()
                .map(|o| {
                    self.sensor_models
                        .get(&o.sensor_id)
                        .map(|m| measure::apply_model(o, m))
                })
                .collect()
        };
        let mut prepared: Vec<Prepared<'_>> = Vec::with_capacity(observations.len());
        for (i, o) in observations.iter().enumerate() {
            let o = corrected.get(i).and_then(Option::as_ref).unwrap_or(o);
            if seconds_between(o.time, now) > MAX_FUTURE_S {
                self.stats.observations_rejected += 1;
                continue;
            }
            match measure::prepare(&self.frame, &self.site_basis, o) {
                Ok(p) => prepared.push(p),
                Err(_) => self.stats.observations_rejected += 1,
            }
        }
        prepared.sort_by(|a, b| measure::canonical_cmp(a.obs, b.obs));
        // The same report twice (e.g. a receiver hearing one broadcast on two channels) would
        // otherwise start a twin track.
        let before = prepared.len();
        prepared.dedup_by(|b, a| measure::canonical_cmp(a.obs, b.obs) == Ordering::Equal);
        self.stats.observations_rejected += (before - prepared.len()) as u64;

        self.gating_for(&prepared);
        let mut start = 0;
        while start < prepared.len() {
            let head = prepared[start].obs;
            let len = prepared[start..]
                .iter()
                .take_while(|p| {
                    p.obs.time == head.time
                        && p.obs.sensor_id == head.sensor_id
                        && p.bearing.is_some() == prepared[start].bearing.is_some()
                })
                .count();
            let scan = &prepared[start..start + len];
            if scan[0].bearing.is_some() {
                self.process_bearing_scan(scan, &mut log);
            } else {
                self.process_scan(scan, &mut log);
            }
            start += len;
        }
        self.gating = None;
        self.delete_stale(now, true, &[], &mut log);
        self.expire_bearings(now);
        #[cfg(debug_assertions)]
        self.check_bookkeeping();

        let mut out: Vec<Track> = self
            .tracks
            .iter()
            .filter(|t| log.updated.contains(&t.id))
            .map(|t| t.snapshot(&self.frame, t.status()))
            .collect();
        out.append(&mut log.deleted);
        out.sort_by_key(|t| t.id);
        out
    }

    /// Snapshots of all live tracks (tentative and confirmed) at their last update, sorted by id.
    pub fn tracks(&self) -> Vec<Track> {
        self.tracks
            .iter()
            .map(|t| t.snapshot(&self.frame, t.status()))
            .collect()
    }

    /// The air picture at `at`: every confirmed track that has not missed more than
    /// [`TrackerConfig::max_reported_misses`] consecutive opportunities, its estimate predicted
    /// to `at` (a track updated after `at` is given as it is), sorted by id. This is what a
    /// display or a scorer should show at `at`; [`Self::tracks`] also lists tentative and
    /// fading tracks.
    pub fn picture(&self, at: Timestamp) -> Vec<Track> {
        let max_misses = self.config.max_reported_misses;
        self.tracks
            .iter()
            .filter(|t| {
                t.life == Life::Confirmed && t.consecutive_misses(&self.scan_counts) <= max_misses
            })
            .map(|t| {
                let dt_s = seconds_between(at, t.time);
                if dt_s > 0.0 {
                    let kf = t.modes.predict(dt_s, &self.imm).combined(&self.imm);
                    t.snapshot_of(&self.frame, TrackStatus::Confirmed, &kf, at)
                } else {
                    t.snapshot(&self.frame, TrackStatus::Confirmed)
                }
            })
            .collect()
    }

    /// Counters since creation.
    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Deletes tracks that, at time `at`, coasted too long or (unless `spare` marks them)
    /// grew too uncertain. `spare` is indexed like `self.tracks`; empty spares nobody.
    ///
    /// Every scan calls this, so it visits only the tracks whose deadlines have passed (a
    /// pass over all of them per scan made a step of N one-report scans cost O(N²)).
    fn delete_stale(
        &mut self,
        at: Timestamp,
        check_sigma: bool,
        spare: &[bool],
        log: &mut StepLog,
    ) {
        let cfg = self.config;
        let mut due: Vec<usize> = Vec::new();
        let mut sigma_kept = Vec::new();
        let current = |tracks: &[Box<TrackState>], id: TrackId, gen: u32| {
            tracks
                .binary_search_by_key(&id, |t| t.id)
                .ok()
                .filter(|&ti| tracks[ti].deadline_gen == gen)
        };
        while let Some(&Reverse((time, id, gen))) = self.deadlines.coast.peek() {
            if time >= at {
                break;
            }
            self.deadlines.coast.pop();
            due.extend(current(&self.tracks, id, gen));
        }
        if check_sigma {
            while let Some(&Reverse(entry)) = self.deadlines.sigma.peek() {
                if entry.0 >= at {
                    break;
                }
                self.deadlines.sigma.pop();
                if let Some(ti) = current(&self.tracks, entry.1, entry.2) {
                    due.push(ti);
                    sigma_kept.push(entry);
                }
            }
        }
        if due.is_empty() {
            return;
        }
        due.sort_unstable();
        due.dedup();
        let q = self.q;
        let mut doomed: Vec<usize> = Vec::new();
        for &ti in &due {
            let t = &mut self.tracks[ti];
            let spared = spare.get(ti).copied().unwrap_or(false);
            let age_s = seconds_between(at, t.time);
            let limit_s = match t.life {
                Life::Tentative => cfg.max_coast_tentative_s,
                Life::Confirmed => cfg.max_coast_confirmed_s,
            };
            let stale = seconds_between(at, t.last_hit) > limit_s
                || (check_sigma
                    && !spared
                    && age_s > 0.0
                    && at > t.sigma_safe_until
                    && too_uncertain(
                        t.kf.sigma_horizontal_after_m(age_s, q),
                        cfg.max_sigma_horizontal_m,
                    ));
            if stale {
                doomed.push(ti);
            } else if t.coast_safe_until < at {
                // Coasting only grows with `at`: not too long now, so not before now either.
                t.coast_safe_until = at;
                let entry = (at, t.id, t.deadline_gen);
                self.deadlines.coast.push(Reverse(entry));
            }
        }
        // Uncertainty need not grow with `at`: a track kept is looked at again next time.
        for entry in sigma_kept {
            let gone = doomed
                .binary_search_by_key(&entry.1, |&ti| self.tracks[ti].id)
                .is_ok();
            if !gone {
                self.deadlines.sigma.push(Reverse(entry));
            }
        }
        let frame = self.frame;
        for &ti in &doomed {
            let t = &self.tracks[ti];
            self.stats.tracks_deleted += 1;
            log.updated.remove(&t.id);
            log.deleted.push(t.snapshot(&frame, TrackStatus::Deleted));
            for i in t.identity.iter().chain(&t.labels) {
                if self.owners.get(i) == Some(&t.id) {
                    self.owners.remove(i);
                }
            }
            forget_claim(&mut self.claimants, t);
        }
        // Few at a time: removing each moves the pointers behind it; many: one pass.
        if doomed.len() <= 8 {
            for &ti in doomed.iter().rev() {
                self.tracks.remove(ti);
            }
        } else {
            let (mut k, mut i) = (0, 0);
            self.tracks.retain(|_| {
                let keep = doomed.get(k) != Some(&i);
                if !keep {
                    k += 1;
                }
                i += 1;
                keep
            });
        }
    }

    /// Brings track `ti`'s gating and deletion bounds in step with its estimate; call after
    /// every change of `kf`, `modes`, `time` or `last_hit`.
    fn refresh_bounds(&mut self, ti: usize) {
        let (q, max_sigma_m, n) = (self.q, self.config.max_sigma_horizontal_m, self.imm.len());
        let Some(t) = self.tracks.get_mut(ti) else {
            return;
        };
        t.reach = Reach::of(&t.kf, &t.modes.models[..n], t.modes.mu[0]);
        t.sigma_safe_until = reach::sigma_safe_until(&t.kf, t.time, q, max_sigma_m);
        self.refresh_deadlines(ti);
        self.grid_insert(ti);
    }

    /// Files track `ti`'s deadlines anew (a new generation); call after every change of
    /// `sigma_safe_until`, `last_hit` or `life`.
    fn refresh_deadlines(&mut self, ti: usize) {
        let cfg = self.config;
        let Some(t) = self.tracks.get_mut(ti) else {
            return;
        };
        let limit_s = match t.life {
            Life::Tentative => cfg.max_coast_tentative_s,
            Life::Confirmed => cfg.max_coast_confirmed_s,
        };
        t.coast_safe_until = reach::coast_safe_until(t.last_hit, limit_s);
        t.deadline_gen = t.deadline_gen.wrapping_add(1);
        let d = &mut self.deadlines;
        d.coast
            .push(Reverse((t.coast_safe_until, t.id, t.deadline_gen)));
        d.sigma
            .push(Reverse((t.sigma_safe_until, t.id, t.deadline_gen)));
        // Void entries pile up while tracks are updated: rebuilt when they outnumber the rest.
        if d.coast.len() + d.sigma.len() > 4 * self.tracks.len() + 64 {
            d.coast = self
                .tracks
                .iter()
                .map(|t| Reverse((t.coast_safe_until, t.id, t.deadline_gen)))
                .collect();
            d.sigma = self
                .tracks
                .iter()
                .map(|t| Reverse((t.sigma_safe_until, t.id, t.deadline_gen)))
                .collect();
        }
    }

    /// Sorted indices of the tracks whose gate boxes in the step's grids meet the reports in
    /// `area` of a scan at `scan_time` (only tracks holding no cooperative identity unless
    /// `claimed`); `None` when there is no grid for that time (or the area is too large to
    /// look up), and the caller must visit every track.
    fn nearby(&self, scan_time: Timestamp, area: &Area, claimed: bool) -> Option<Vec<usize>> {
        let g = self.gating.as_ref()?;
        if scan_time < g.from || scan_time > g.until {
            return None;
        }
        let (lo, hi) = area.query_box(self.config.gate_chi2);
        let mut entries = Vec::new();
        if !g.claimless.query(lo, hi, &mut entries)
            || (claimed && !g.claimed.query(lo, hi, &mut entries))
        {
            return None;
        }
        // Boxes that large (reports far older than the tracks): visiting them all is cheaper.
        if entries.len() >= self.tracks.len() {
            return None;
        }
        let mut index: Vec<usize> = entries
            .iter()
            .filter_map(|(id, epoch)| {
                let ti = self.tracks.binary_search_by_key(id, |t| t.id).ok()?;
                (self.tracks[ti].grid_epoch == *epoch).then_some(ti)
            })
            .collect();
        index.sort_unstable();
        index.dedup();
        Some(index)
    }

    /// What the motion models (and the retrodiction of late data) allow, for [`Reach`].
    fn motion(&self) -> Motion {
        Motion {
            q_max: self.imm.max_q().max(self.q),
            turn_max_rad_s: self.imm.max_turn_rate(),
            models: self.imm.len(),
            switch_per_s: self.imm.switch_per_s(),
        }
    }

    /// Sorted indices of the tracks holding any of the cooperative `identities`.
    fn claimants_of(&self, identities: &[&Identity]) -> Vec<usize> {
        let mut index: Vec<usize> = identities
            .iter()
            .filter_map(|i| self.claimants.get(*i))
            .flatten()
            .filter_map(|id| self.tracks.binary_search_by_key(id, |t| t.id).ok())
            .collect();
        index.sort_unstable();
        index.dedup();
        index
    }

    /// Lists track `ti` in the step's gating grid (if any) with its current gate box, good for
    /// every scan the grid serves.
    fn grid_insert(&mut self, ti: usize) {
        let (gate, motion) = (self.config.gate_chi2, self.motion());
        let (Some(g), Some(t)) = (self.gating.as_mut(), self.tracks.get_mut(ti)) else {
            return;
        };
        let (lo, hi) = t.reach.gate_box(
            seconds_between(g.from, t.time),
            seconds_between(g.until, t.time),
            &motion,
            gate,
        );
        t.grid_epoch = t.grid_epoch.wrapping_add(1);
        let grid = if t.identity.is_none() {
            &mut g.claimless
        } else {
            &mut g.claimed
        };
        grid.insert(t.id, t.grid_epoch, lo, hi);
    }

    /// A gating grid for a step whose reports (sorted by time) are `prepared`, when it has
    /// enough position scans to pay for one.
    fn gating_for(&mut self, prepared: &[Prepared<'_>]) {
        self.gating = None;
        let positions = || {
            prepared
                .iter()
                .filter(|p| p.bearing.is_none())
                .map(|p| p.obs)
        };
        let mut scans = 0;
        let mut last: Option<&Observation> = None;
        for o in positions() {
            if last.is_none_or(|l| l.time != o.time || l.sensor_id != o.sensor_id) {
                scans += 1;
            }
            last = Some(o);
        }
        let (Some(first), Some(last)) = (positions().next(), last) else {
            return;
        };
        if scans < GRID_MIN_SCANS {
            return;
        }
        let until = last.time;
        let from = first.time.max(until.plus_secs_f64(-GRID_SPAN_S));
        self.gating = Some(Gating {
            claimless: Grid::default(),
            claimed: Grid::default(),
            from,
            until,
        });
        for ti in 0..self.tracks.len() {
            self.grid_insert(ti);
        }
    }

    /// Checks the incremental indices and bounds against the tracks (debug builds).
    #[cfg(debug_assertions)]
    fn check_bookkeeping(&self) {
        let n = self.imm.len();
        let mut claimants: BTreeMap<Identity, Vec<TrackId>> = BTreeMap::new();
        let filed = |heap: &BinaryHeap<Reverse<(Timestamp, TrackId, u32)>>| {
            heap.iter().map(|Reverse(e)| *e).collect::<BTreeSet<_>>()
        };
        let (coast, sigma) = (filed(&self.deadlines.coast), filed(&self.deadlines.sigma));
        for t in &self.tracks {
            assert_eq!(
                t.reach,
                Reach::of(&t.kf, &t.modes.models[..n], t.modes.mu[0]),
                "track {}",
                t.id
            );
            assert_eq!(
                t.sigma_safe_until,
                reach::sigma_safe_until(&t.kf, t.time, self.q, self.config.max_sigma_horizontal_m),
                "track {}",
                t.id
            );
            let limit_s = match t.life {
                Life::Tentative => self.config.max_coast_tentative_s,
                Life::Confirmed => self.config.max_coast_confirmed_s,
            };
            assert!(
                t.coast_safe_until >= reach::coast_safe_until(t.last_hit, limit_s),
                "track {}",
                t.id
            );
            let entry = |at| (at, t.id, t.deadline_gen);
            assert!(coast.contains(&entry(t.coast_safe_until)), "track {}", t.id);
            assert!(sigma.contains(&entry(t.sigma_safe_until)), "track {}", t.id);
            assert_eq!(t.sensors.len(), t.sensor_marks.len(), "track {}", t.id);
            for (s, mark) in t.sensors.iter().zip(&t.sensor_marks) {
                let now = self.scan_counts.get(s).copied().unwrap_or_default();
                assert!(mark[0] <= now[0] && mark[1] <= now[1], "track {}", t.id);
            }
            if let Some(i) = &t.identity {
                claimants.entry(i.clone()).or_default().push(t.id);
            }
        }
        assert_eq!(claimants, self.claimants);
    }

    fn predict_for_scan(&self, t: &TrackState, scan_time: Timestamp) -> Prediction {
        let dt_s = seconds_between(scan_time, t.time);
        if dt_s >= 0.0 {
            let modes = t.modes.predict(dt_s, &self.imm);
            let prior = modes.combined(&self.imm);
            Prediction {
                proj: prior.project(0.0, 0.0),
                prior,
                modes,
                too_late: false,
            }
        } else {
            // Late data: compare with the state retrodicted by Δ, update the state in place.
            let lag_s = -dt_s;
            let extra_m2 = self.q * lag_s * lag_s * lag_s / 3.0;
            Prediction {
                proj: t.kf.project(dt_s, extra_m2),
                prior: t.kf.clone(),
                modes: t.modes.clone(),
                too_late: lag_s > MAX_LATENESS_S,
            }
        }
    }

    /// One scan: observations of one sensor at one time.
    fn process_scan(&mut self, scan: &[Prepared<'_>], log: &mut StepLog) {
        let Some(first) = scan.first() else {
            return;
        };
        let scan_time = first.obs.time;
        // Coasted too long: gone before association. Too uncertain: judged after it, so the
        // scan that would reacquire a track is not the one that deletes it.
        self.delete_stale(scan_time, false, &[], log);

        let gate = self.config.gate_chi2;
        // Only tracks that may gate with the scan are predicted (see `reach`), plus the holders
        // of its identities (their predictions judge conflicts). A scan of cooperative reports
        // looks only at the tracks that may take them (`TrackState::may_take`). The step's
        // gating grid, when there is one, finds the nearby tracks without visiting the rest.
        let area = Area::of(scan.iter().map(|p| ([p.z[0], p.z[1]], p.trace_r_m2)));
        let motion = self.motion();
        let coop_only = scan
            .iter()
            .all(|p| p.obs.identity.as_ref().is_some_and(is_cooperative));
        // For a scan of cooperative reports: the tracks holding its identities (the others
        // that may take them hold none).
        let claimed: Option<Vec<usize>> = coop_only.then(|| {
            let identities: Vec<&Identity> = scan
                .iter()
                .filter_map(|p| p.obs.identity.as_ref())
                .collect();
            self.claimants_of(&identities)
        });
        let candidate = |ti: usize| {
            let t = &self.tracks[ti];
            claimed
                .as_ref()
                .is_none_or(|claimed| t.identity.is_none() || claimed.binary_search(&ti).is_ok())
                && t.reach
                    .may_gate(seconds_between(scan_time, t.time), &motion, gate, &area)
        };
        let mut index: Vec<usize> = match self.nearby(scan_time, &area, !coop_only) {
            Some(mut nearby) => {
                if let Some(claimed) = &claimed {
                    nearby.extend_from_slice(claimed);
                    nearby.sort_unstable();
                    nearby.dedup();
                }
                nearby.retain(|&ti| candidate(ti));
                nearby
            }
            None => (0..self.tracks.len()).filter(|&ti| candidate(ti)).collect(),
        };
        index.extend(
            scan.iter()
                .filter_map(|p| p.obs.identity.as_ref().and_then(|i| self.holder(i))),
        );
        index.sort_unstable();
        index.dedup();
        let preds = Predictions {
            preds: index
                .iter()
                .map(|&ti| self.predict_for_scan(&self.tracks[ti], scan_time))
                .collect(),
            index,
        };

        // Sweep along east: only observations within a track's gate radius are examined.
        // d² ≤ gate implies |y|² ≤ gate · λmax(S) ≤ gate · trace(S).
        let max_trace_r = scan.iter().map(|p| p.trace_r_m2).fold(0.0, f64::max);
        let mut by_east: Vec<usize> = (0..scan.len()).collect();
        by_east.sort_by(|&a, &b| scan[a].z[0].total_cmp(&scan[b].z[0]).then(a.cmp(&b)));
        let easts: Vec<f64> = by_east.iter().map(|&j| scan[j].z[0]).collect();

        let mut pairs: Vec<Pair> = Vec::new();
        // Per pair, for JPDA: the horizontal log-density of the innovation. The innovations
        // themselves are not kept (a dense scene gates every report with every track); the
        // few chosen ones are computed again.
        let jpda = self.config.jpda;
        let mut densities: Vec<f64> = Vec::new();
        let mut late = vec![false; scan.len()];
        for (&ti, pred) in preds.index.iter().zip(&preds.preds) {
            let track = &self.tracks[ti];
            let trace_s = pred.proj.s.trace();
            let radius = (gate * (trace_s + max_trace_r)).sqrt();
            let centre = pred.proj.z[0];
            let lo = easts.partition_point(|&e| e < centre - radius);
            let hi = easts.partition_point(|&e| e <= centre + radius);
            for &oj in &by_east[lo.min(hi)..hi] {
                let p = &scan[oj];
                if !track.may_take(p.obs) {
                    continue;
                }
                if (p.z - pred.proj.z).norm_squared() > gate * (trace_s + p.trace_r_m2) {
                    continue;
                }
                let Some(innov) = pred.proj.innovation(&p.z, &p.r) else {
                    continue;
                };
                if innov.d2 > gate {
                    continue;
                }
                if pred.too_late {
                    late[oj] = true;
                    continue;
                }
                pairs.push(Pair {
                    track: ti,
                    obs: oj,
                    cost: innov.d2 + innov.ln_det.clamp(-LN_DET_CLAMP, LN_DET_CLAMP),
                });
                if jpda {
                    densities.push(innov.horizontal_ln_density());
                }
            }
        }
        let (owner, keep) = self.apply_owners(scan, &pairs, &preds, scan_time);
        if let Some(keep) = keep {
            let mut k = keep.iter();
            pairs.retain(|_| k.next().copied().unwrap_or(false));
            if jpda {
                let mut k = keep.iter();
                densities.retain(|_| k.next().copied().unwrap_or(false));
            }
        }

        let mut updated = vec![false; self.tracks.len()];
        let mut consumed = vec![false; scan.len()];
        let chosen = if jpda {
            // Probabilistic association where the clusters are small enough to enumerate;
            // nearest neighbour for the rest.
            let m = self.apply_jpda(
                scan,
                &pairs,
                &densities,
                &preds,
                &mut updated,
                &mut consumed,
                log,
            );
            let rest: Vec<usize> = (0..pairs.len()).filter(|&i| m.fallback[i]).collect();
            let sub: Vec<Pair> = rest.iter().map(|&i| pairs[i]).collect();
            assign::solve(self.tracks.len(), scan.len(), &sub)
                .into_iter()
                .map(|c| rest[c])
                .collect()
        } else {
            assign::solve(self.tracks.len(), scan.len(), &pairs)
        };
        for i in chosen {
            let Pair {
                track: ti, obs: oj, ..
            } = pairs[i];
            consumed[oj] = true;
            let t = &mut self.tracks[ti];
            // Every paired track was predicted.
            let Some(pred) = preds.get(ti) else {
                continue;
            };
            let posterior = if self.imm.len() == 1 {
                pred.proj
                    .innovation(&scan[oj].z, &scan[oj].r)
                    .and_then(|innov| pred.prior.update(&pred.proj, &innov))
                    .map(|kf| (kf.clone(), ImmState::birth(kf, &self.imm)))
            } else {
                pred.modes
                    .update(&pred.proj, &scan[oj].z, &scan[oj].r, &self.imm)
                    .map(|m| (m.combined(&self.imm), m))
            };
            match posterior {
                Some((kf, modes)) => {
                    t.kf = kf;
                    t.modes = modes;
                    if scan_time > t.time {
                        t.time = scan_time;
                    }
                    if scan_time > t.last_hit {
                        t.last_hit = scan_time;
                    }
                    updated[ti] = true;
                    log.updated.insert(t.id);
                    self.absorb_into(ti, &scan[oj]);
                    self.refresh_bounds(ti);
                    self.stats.observations_used += 1;
                }
                None => self.stats.observations_rejected += 1,
            }
        }

        // Before deletion in `finish_scan`, so the indices in `owner` still hold.
        for (oj, p) in scan.iter().enumerate() {
            if consumed[oj] || late[oj] {
                continue;
            }
            if let Some(Owner::Conflict(h)) = owner.get(oj) {
                // Holders are always predicted.
                if let Some(pred) = preds.get(*h) {
                    self.note_conflict(*h, p, pred, log);
                }
            }
        }

        let hits: Vec<usize> = assign::paired_tracks(&pairs)
            .into_iter()
            .filter(|&ti| updated[ti])
            .collect();
        self.finish_scan(scan, &updated, &hits, claimed.as_deref(), log);

        for (oj, p) in scan.iter().enumerate() {
            if consumed[oj] {
                continue;
            }
            match owner.get(oj) {
                // Counted in `note_conflict`.
                Some(Owner::Conflict(_)) => continue,
                // Its identity's track took another report of this scan: a repeat, not a
                // second object.
                Some(Owner::Gated(_)) => {
                    self.stats.observations_rejected += 1;
                    continue;
                }
                _ => {}
            }
            if late[oj] {
                self.stats.observations_rejected += 1;
                continue;
            }
            self.birth(p, log);
        }
    }

    /// JPDA for one position scan: marginal association probabilities per cluster, and the
    /// probabilistic update of every track in an enumerable cluster. A track whose
    /// observations together carry at least half the probability counts as hit. Every
    /// observation in such a cluster is consumed (starts no track). Returns the marginals; the
    /// pairs marked `fallback` are left to nearest-neighbour assignment.
    #[allow(clippy::too_many_arguments)]
    fn apply_jpda(
        &mut self,
        scan: &[Prepared<'_>],
        pairs: &[Pair],
        densities: &[f64],
        preds: &Predictions,
        updated: &mut [bool],
        consumed: &mut [bool],
        log: &mut StepLog,
    ) -> jpda::Marginals {
        let cfg = &self.config;
        let pd = cfg.detection_probability;
        let ln_miss = (1.0 - pd).ln();
        // λ per m² from per km².
        let ln_pd_over_lambda = pd.ln() - (cfg.clutter_density_per_km2 * 1.0e-6).ln();
        let ln_lr: Vec<f64> = densities.iter().map(|d| ln_pd_over_lambda + d).collect();
        let m = jpda::marginals(self.tracks.len(), scan.len(), pairs, &ln_lr, ln_miss);
        let scan_time = scan.first().map(|p| p.obs.time).unwrap_or_default();
        // Pairs come grouped by track, in track order.
        let mut start = 0;
        while start < pairs.len() {
            let ti = pairs[start].track;
            let end = start + pairs[start..].iter().take_while(|p| p.track == ti).count();
            let group: Vec<usize> = (start..end).filter(|&i| !m.fallback[i]).collect();
            start = end;
            if group.is_empty() {
                continue;
            }
            for &i in &group {
                consumed[pairs[i].obs] = true;
            }
            let hypotheses: Vec<(f64, V3, M3)> = group
                .iter()
                .filter(|&&i| m.beta[i] > 0.0)
                .map(|&i| (m.beta[i], scan[pairs[i].obs].z, scan[pairs[i].obs].r))
                .collect();
            let Some(pred) = preds.get(ti) else {
                continue;
            };
            let Some(modes) = pred.modes.update_mixture(
                &self.imm,
                &pred.proj,
                &hypotheses,
                ln_miss,
                ln_pd_over_lambda,
            ) else {
                continue;
            };
            let t = &mut self.tracks[ti];
            t.kf = modes.combined(&self.imm);
            t.modes = modes;
            if scan_time > t.time {
                t.time = scan_time;
            }
            log.updated.insert(t.id);
            let p_detected: f64 = group.iter().map(|&i| m.beta[i]).sum();
            let best = group
                .iter()
                .copied()
                .max_by(|&a, &b| m.beta[a].total_cmp(&m.beta[b]).then(b.cmp(&a)));
            if let (true, Some(best)) = (p_detected >= 0.5, best) {
                if scan_time > t.last_hit {
                    t.last_hit = scan_time;
                }
                updated[ti] = true;
                self.absorb_into(ti, &scan[pairs[best].obs]);
                self.stats.observations_used += 1;
            }
            self.refresh_bounds(ti);
        }
        m
    }

    /// After a scan's updates: M-of-N bookkeeping and deletion of tracks grown too uncertain.
    /// `updated` (by track index) and `hits` (sorted indices) both name the tracks the scan
    /// updated; `claimed`, when known, the tracks that held the identities of a scan of
    /// cooperative reports when it began (no other track can have come to hold one without
    /// being updated).
    fn finish_scan(
        &mut self,
        scan: &[Prepared<'_>],
        updated: &[bool],
        hits: &[usize],
        claimed: Option<&[usize]>,
        log: &mut StepLog,
    ) {
        let Some(first) = scan.first() else {
            return;
        };
        let sensor = &first.obs.sensor_id;
        // A scan is an opportunity for a track when its sensor has updated the track before
        // and it holds an observation the track could have taken (so one Remote ID message
        // about drone B, or one SAPIENT report about object B, is not a miss for A).
        let has_anonymous = scan.iter().any(|p| p.obs.identity.is_none());
        let coop_only = scan
            .iter()
            .all(|p| p.obs.identity.as_ref().is_some_and(is_cooperative));
        // The misses before this scan first, then this scan's hit.
        for &ti in hits {
            if let Some(t) = self.tracks.get_mut(ti) {
                let claimless = t.identity.is_none();
                t.catch_up(&self.scan_counts, claimless);
            }
        }
        // A scan every track of the sensor that it did not update misses (all of them, or all
        // holding no cooperative identity) is counted, not shifted into each.
        let counted = if has_anonymous {
            Some(ANONYMOUS_SCANS)
        } else if coop_only {
            Some(COOPERATIVE_SCANS)
        } else {
            None
        };
        if let Some(kind) = counted {
            let counts = self.scan_counts.entry(sensor.clone()).or_default();
            counts[kind] = counts[kind].saturating_add(1);
        }
        let counts_now = self.scan_counts.get(sensor).copied().unwrap_or_default();
        let mask = window_mask(self.config.confirm_window);
        let mut confirmed = Vec::new();
        for &ti in hits {
            let Some(t) = self.tracks.get_mut(ti) else {
                continue;
            };
            if let Ok(i) = t.sensors.binary_search(sensor) {
                t.sensor_marks[i] = counts_now;
            }
            t.history = (t.history << 1) | 1;
            if t.life == Life::Tentative
                && (t.history & mask).count_ones() >= self.config.confirm_hits
            {
                t.life = Life::Confirmed;
                self.stats.tracks_confirmed += 1;
                confirmed.push(ti);
            }
        }
        // A confirmed track may coast longer (or shorter).
        for ti in confirmed {
            self.refresh_deadlines(ti);
        }
        // The misses not counted: of the tracks holding the scan's cooperative identities, or
        // (a scan with sensor-local labels) of any track.
        let missed = |t: &TrackState| {
            t.sensors.binary_search(sensor).is_ok()
                && scan.iter().any(|p| t.could_have_taken(p.obs))
        };
        match counted {
            Some(ANONYMOUS_SCANS) => {}
            Some(_) => {
                let own: Vec<usize>;
                let claimed = match claimed {
                    Some(claimed) => claimed,
                    None => {
                        let identities: Vec<&Identity> = scan
                            .iter()
                            .filter_map(|p| p.obs.identity.as_ref())
                            .collect();
                        own = self.claimants_of(&identities);
                        &own
                    }
                };
                for &ti in claimed {
                    let t = &mut self.tracks[ti];
                    if !updated.get(ti).copied().unwrap_or(false) && missed(t) {
                        t.history <<= 1;
                    }
                }
            }
            None => {
                for (ti, t) in self.tracks.iter_mut().enumerate() {
                    if !updated.get(ti).copied().unwrap_or(false) && missed(t) {
                        t.history <<= 1;
                    }
                }
            }
        }
        self.delete_stale(first.obs.time, true, updated, log);
    }

    /// One scan of bearings (one sensor, one time): each bearing updates the track it gates
    /// with best (global nearest neighbour), the rest are triangulated with waiting bearings of
    /// other sensors or wait themselves.
    fn process_bearing_scan(&mut self, scan: &[Prepared<'_>], log: &mut StepLog) {
        let Some(first) = scan.first() else {
            return;
        };
        let scan_time = first.obs.time;
        self.delete_stale(scan_time, false, &[], log);
        let preds = Predictions {
            index: (0..self.tracks.len()).collect(),
            preds: self
                .tracks
                .iter()
                .map(|t| self.predict_for_scan(t, scan_time))
                .collect(),
        };
        let mut pairs: Vec<Pair> = Vec::new();
        let mut late = vec![false; scan.len()];
        for (ti, (track, pred)) in self.tracks.iter().zip(&preds.preds).enumerate() {
            for (oj, p) in scan.iter().enumerate() {
                let Some(meas) = &p.bearing else {
                    continue;
                };
                if !track.may_take(p.obs) {
                    continue;
                }
                let Some(innov) = meas.innovation(&pred.proj) else {
                    continue;
                };
                if innov.d2 > BEARING_GATE_CHI2 {
                    continue;
                }
                if pred.too_late {
                    late[oj] = true;
                    continue;
                }
                pairs.push(Pair {
                    track: ti,
                    obs: oj,
                    cost: innov.d2 + innov.ln_s().clamp(-LN_DET_CLAMP, LN_DET_CLAMP),
                });
            }
        }
        // A bearing carries no position to contradict a claim with: only the holder rule.
        let (owner, keep) = self.apply_owners(scan, &pairs, &preds, scan_time);
        if let Some(keep) = keep {
            let mut k = keep.iter();
            pairs.retain(|_| k.next().copied().unwrap_or(false));
        }
        let chosen = assign::solve(self.tracks.len(), scan.len(), &pairs);
        let mut updated = vec![false; self.tracks.len()];
        let mut consumed = vec![false; scan.len()];
        for i in chosen {
            let Pair {
                track: ti, obs: oj, ..
            } = pairs[i];
            let Some(meas) = &scan[oj].bearing else {
                continue;
            };
            consumed[oj] = true;
            let Some(pred) = preds.get(ti) else {
                continue;
            };
            let c = pred.proj.c;
            let extra = pred.proj.extra_m2;
            let posterior = pred.modes.update_with(&self.imm, |m| {
                let proj = m.project(c, extra);
                let innov = meas.innovation(&proj)?;
                let post = bearing::update(m, c, &innov)?;
                Some((post, innov.d2 + innov.ln_s()))
            });
            let t = &mut self.tracks[ti];
            match posterior {
                Some(modes) => {
                    t.kf = modes.combined(&self.imm);
                    t.modes = modes;
                    if scan_time > t.time {
                        t.time = scan_time;
                    }
                    if scan_time > t.last_hit {
                        t.last_hit = scan_time;
                    }
                    updated[ti] = true;
                    log.updated.insert(t.id);
                    self.absorb_into(ti, &scan[oj]);
                    self.refresh_bounds(ti);
                    self.stats.observations_used += 1;
                }
                None => self.stats.observations_rejected += 1,
            }
        }
        let hits: Vec<usize> = assign::paired_tracks(&pairs)
            .into_iter()
            .filter(|&ti| updated[ti])
            .collect();
        self.finish_scan(scan, &updated, &hits, None, log);
        for (oj, p) in scan.iter().enumerate() {
            if consumed[oj] {
                continue;
            }
            if late[oj] || matches!(owner.get(oj), Some(Owner::Gated(_) | Owner::Conflict(_))) {
                self.stats.observations_rejected += 1;
                continue;
            }
            self.triangulate_or_wait(p, log);
        }
    }

    /// Pairs a bearing that updated no track with the best waiting bearing of another sensor
    /// (the one giving the tightest fix) and starts a track at the fix; or makes it wait.
    fn triangulate_or_wait(&mut self, p: &Prepared<'_>, log: &mut StepLog) {
        let Some(meas) = p.bearing else {
            return;
        };
        self.expire_bearings(p.obs.time);
        let mut best: Option<(usize, V3, M3, f64)> = None;
        for (i, w) in self.pending_bearings.iter().enumerate() {
            if w.obs.sensor_id == p.obs.sensor_id || !identities_agree(&w.obs, p.obs) {
                continue;
            }
            let dt_s = seconds_between(p.obs.time, w.obs.time);
            if dt_s.abs() > BEARING_PAIRING_WINDOW_S {
                continue;
            }
            let Some((z, r)) = bearing::triangulate(&w.meas, &meas, dt_s) else {
                continue;
            };
            let size = r[(0, 0)] + r[(1, 1)];
            if best.as_ref().is_none_or(|b| size < b.3) {
                best = Some((i, z, r, size));
            }
        }
        let Some((i, z, r, _)) = best else {
            if self.pending_bearings.len() >= MAX_PENDING_BEARINGS {
                self.pending_bearings.remove(0);
                self.stats.observations_rejected += 1;
            }
            self.pending_bearings.push(PendingBearing {
                obs: p.obs.clone(),
                meas,
            });
            return;
        };
        let partner = self.pending_bearings.remove(i);
        let fix = Prepared {
            obs: p.obs,
            z,
            trace_r_m2: r.trace(),
            r,
            reported_velocity: None,
            operator_position: p.operator_position,
            bearing: None,
        };
        if self.birth(&fix, log) {
            // The partner's sensor and evidence belong to the new track too.
            let partner_fix = Prepared {
                obs: &partner.obs,
                bearing: None,
                operator_position: partner.obs.side.operator_position,
                ..fix.clone()
            };
            let last = self.tracks.len().saturating_sub(1);
            self.absorb_into(last, &partner_fix);
            self.stats.observations_unassociated += 1;
        } else {
            self.stats.observations_rejected += 1;
        }
    }

    /// Drops waiting bearings too old to pair with anything at `at` (counted as refused).
    fn expire_bearings(&mut self, at: Timestamp) {
        let before = self.pending_bearings.len();
        self.pending_bearings
            .retain(|w| seconds_between(at, w.obs.time) <= BEARING_PAIRING_WINDOW_S);
        self.stats.observations_rejected += (before - self.pending_bearings.len()) as u64;
    }

    /// Starts a tentative track at `p`; false (and counted as refused) when it cannot.
    fn birth(&mut self, p: &Prepared<'_>, log: &mut StepLog) -> bool {
        if self.tracks.len() >= MAX_LIVE_TRACKS {
            self.stats.observations_rejected += 1;
            return false;
        }
        let cfg = &self.config;
        let (v, sigma_v) = match p.reported_velocity {
            Some(v) => (
                v,
                REPORTED_VELOCITY_SIGMA_MPS.min(cfg.initial_speed_sigma_mps),
            ),
            None => (V3::zeros(), cfg.initial_speed_sigma_mps),
        };
        let kf = KfState::birth(&p.z, &p.r, &v, sigma_v);
        if !kf.is_sound() {
            self.stats.observations_rejected += 1;
            return false;
        }
        let id = TrackId(self.next_id);
        self.next_id += 1;
        let modes = ImmState::birth(kf.clone(), &self.imm);
        // Both set properly by `refresh_bounds` below.
        let reach = Reach::of(&kf, &[], 1.0);
        let mut t = TrackState {
            id,
            life: Life::Tentative,
            kf,
            modes,
            time: p.obs.time,
            last_hit: p.obs.time,
            first_seen: p.obs.time,
            hits: 0,
            history: 1,
            identity: None,
            labels: Vec::new(),
            independent_hit: None,
            class_sum: [0.0; 4],
            class_count: [0; 4],
            sensors: Vec::new(),
            sensor_marks: Vec::new(),
            grid_epoch: 0,
            operator_position: None,
            callsign: None,
            take_off_position: None,
            spoof: None,
            conflict: None,
            reach,
            sigma_safe_until: p.obs.time,
            coast_safe_until: p.obs.time,
            deadline_gen: 0,
        };
        if self.config.confirm_hits <= 1 {
            t.life = Life::Confirmed;
            self.stats.tracks_confirmed += 1;
        }
        self.stats.observations_unassociated += 1;
        log.updated.insert(id);
        self.tracks.push(Box::new(t));
        let ti = self.tracks.len() - 1;
        self.absorb_into(ti, p);
        self.refresh_bounds(ti);
        true
    }

    /// Index of the live track that holds `identity`.
    fn holder(&self, identity: &Identity) -> Option<usize> {
        let id = self.owners.get(identity)?;
        self.tracks.binary_search_by_key(id, |t| t.id).ok()
    }

    /// Identity ownership for one scan's gated `pairs`: what the track holding each
    /// observation's identity means for it, and which pairs to keep (`None`: all). An
    /// observation whose identity a track holds keeps only its pair with that track when they
    /// gate (a Remote ID serial or a SAPIENT object id already on a track is the strongest
    /// association hint there is). A cooperative claim that does not gate with its holder,
    /// while other sensors hold that track, keeps no pair: it is a conflict, not a position.
    fn apply_owners(
        &self,
        scan: &[Prepared<'_>],
        pairs: &[Pair],
        preds: &Predictions,
        scan_time: Timestamp,
    ) -> (Vec<Owner>, Option<Vec<bool>>) {
        let mut owner = vec![Owner::None; scan.len()];
        if self.owners.is_empty() {
            return (owner, None);
        }
        let mut holders: Vec<Option<usize>> = vec![None; scan.len()];
        let mut any = false;
        for (oj, p) in scan.iter().enumerate() {
            if let Some(h) = p.obs.identity.as_ref().and_then(|i| self.holder(i)) {
                holders[oj] = Some(h);
                any = true;
            }
        }
        if !any {
            return (owner, None);
        }
        for pair in pairs {
            if holders[pair.obs] == Some(pair.track) {
                owner[pair.obs] = Owner::Gated(pair.track);
            }
        }
        let window_s = self.config.max_coast_confirmed_s;
        for (oj, p) in scan.iter().enumerate() {
            let (Some(h), Owner::None) = (holders[oj], owner[oj]) else {
                continue;
            };
            let claim = p.obs.identity.as_ref().is_some_and(is_cooperative);
            owner[oj] = if claim
                && p.bearing.is_none()
                && preds.get(h).is_some_and(|p| !p.too_late)
                && self.tracks[h].independently_held(scan_time, window_s)
            {
                Owner::Conflict(h)
            } else {
                Owner::Elsewhere
            };
        }
        let keep = pairs
            .iter()
            .map(|pair| match owner[pair.obs] {
                Owner::Gated(h) => pair.track == h,
                Owner::Conflict(_) => false,
                Owner::None | Owner::Elsewhere => true,
            })
            .collect();
        (owner, Some(keep))
    }

    /// Takes observation `p` into track `ti` (see [`TrackState::absorb`]) and records which
    /// track holds its identity; a label moves from its previous track to this one.
    fn absorb_into(&mut self, ti: usize, p: &Prepared<'_>) {
        let Some(t) = self.tracks.get_mut(ti) else {
            return;
        };
        let id = t.id;
        let claimed_before = t.identity.is_some();
        let marks = self
            .scan_counts
            .get(&p.obs.sensor_id)
            .copied()
            .unwrap_or_default();
        for d in t.absorb(p, marks) {
            if self.owners.get(&d) == Some(&id) {
                self.owners.remove(&d);
            }
        }
        if let (false, Some(claim)) = (claimed_before, t.identity.clone()) {
            // Cooperative scans it missed while it held no identity count up to here.
            t.catch_up(&self.scan_counts, true);
            let ids = self.claimants.entry(claim).or_default();
            if let Err(at) = ids.binary_search(&id) {
                ids.insert(at, id);
            }
        }
        let Some(identity) = &p.obs.identity else {
            return;
        };
        let holds = if is_cooperative(identity) {
            t.identity.as_ref() == Some(identity)
        } else {
            t.labels.binary_search(identity).is_ok()
        };
        if !holds || self.owners.get(identity) == Some(&id) {
            return;
        }
        let previous = self.owners.insert(identity.clone(), id);
        if let (false, Some(prev)) = (is_cooperative(identity), previous) {
            if let Ok(u) = self.tracks.binary_search_by_key(&prev, |t| t.id) {
                self.tracks[u].labels.retain(|l| l != identity);
            }
        }
    }

    /// Keeps a cooperative report that contradicts track `h` (which holds its identity and
    /// which other sensors hold elsewhere) as spoof evidence on `h`; the report moves nothing.
    fn note_conflict(&mut self, h: usize, p: &Prepared<'_>, pred: &Prediction, log: &mut StepLog) {
        self.stats.observations_conflicting += 1;
        let Some(t) = self.tracks.get_mut(h) else {
            return;
        };
        let gate_d = self.config.gate_chi2.sqrt();
        let d = pred
            .proj
            .innovation(&p.z, &p.r)
            .map(|i| i.d2.sqrt())
            .filter(|d| d.is_finite())
            .unwrap_or(f64::MAX);
        let excess = ((d - gate_d) / (2.0 * gate_d)).clamp(0.0, 1.0);
        let score = CONFLICT_SCORE_MIN + (CONFLICT_SCORE_MAX - CONFLICT_SCORE_MIN) * excess;
        let distance_m = (p.z - pred.proj.z).norm();
        let claimed = p
            .obs
            .identity
            .as_ref()
            .map_or_else(String::new, |i| quoted(&i.to_string()));
        let sensor = t
            .independent_hit
            .as_ref()
            .map_or_else(|| "other sensors".to_owned(), |(_, s)| quoted(&s.0));
        let count = t.conflict.as_ref().map_or(0, |c| c.count).saturating_add(1);
        let mut reason = format!(
            "{claimed} claims a position {} from where {sensor} tracks it",
            words_distance(distance_m)
        );
        if count > 1 {
            reason.push_str(&format!(" ({count} such reports)"));
        }
        let score = t.conflict.as_ref().map_or(score, |c| c.score.max(score));
        t.conflict = Some(Conflict {
            score,
            reason,
            count,
        });
        log.updated.insert(t.id);
    }
}

/// Drops track `t` from `claimants` (it is being deleted).
fn forget_claim(claimants: &mut BTreeMap<Identity, Vec<TrackId>>, t: &TrackState) {
    if let Some(i) = &t.identity {
        if let Some(ids) = claimants.get_mut(i) {
            ids.retain(|x| *x != t.id);
            if ids.is_empty() {
                claimants.remove(i);
            }
        }
    }
}

/// Two observations that may be of the same object: not claiming different cooperative
/// identities (sensor-local labels of different sensors say nothing about each other).
fn identities_agree(a: &Observation, b: &Observation) -> bool {
    match (&a.identity, &b.identity) {
        (Some(x), Some(y)) if is_cooperative(x) && is_cooperative(y) => x == y,
        _ => true,
    }
}

/// A name from a report, safe to quote to an officer: printable characters only, shortened.
fn quoted(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUOTED_CHARS)
        .collect();
    if s.chars().filter(|c| !c.is_control()).count() > MAX_QUOTED_CHARS {
        out.push('…');
    }
    out
}

/// A distance as an officer says it: "640 m", "1.4 km".
fn words_distance(m: f64) -> String {
    if !m.is_finite() {
        "an unknown distance".to_owned()
    } else if m < 1_000.0 {
        format!("{m:.0} m")
    } else {
        format!("{:.1} km", m / 1_000.0)
    }
}

/// The motion models the config asks for.
fn imm_params(c: &TrackerConfig) -> ImmParams {
    let q = c.process_noise_accel_mps2 * c.process_noise_accel_mps2;
    if c.imm_turn_rate_deg_s > 0.0 {
        let a = c.imm_turn_process_noise_accel_mps2;
        ImmParams::with_turns(
            q,
            a * a,
            c.imm_turn_rate_deg_s.to_radians(),
            c.imm_switch_per_s,
        )
    } else {
        ImmParams::cv_only(q)
    }
}

/// True when a horizontal σ exceeds `max_m` (or is not a number).
fn too_uncertain(sigma_m: f64, max_m: f64) -> bool {
    sigma_m.is_nan() || sigma_m > max_m
}

fn window_mask(window: u32) -> u64 {
    if window >= 64 {
        u64::MAX
    } else {
        (1u64 << window) - 1
    }
}

#[cfg(test)]
mod property_tests {
    //! Whatever the input, no track state with a NaN or a covariance that is not positive
    //! definite is ever kept or published.

    use super::*;
    use picket_core::{Enu, Measurement};

    /// SplitMix64.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.unit()
        }
        fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
            xs[(self.next() % xs.len() as u64) as usize]
        }
    }

    fn frame() -> LocalFrame {
        LocalFrame::new(GeoPoint::new(31.34, -109.95, 1_400.0))
    }

    /// A report of one of a few kinds, some degenerate: near-zero noise, far away, straight up,
    /// at zero range, sensors at the same place.
    fn random_obs(rng: &mut Rng, t: Timestamp) -> Observation {
        let f = frame();
        let sensor = *["radar-a", "radar-b", "rid"]
            .get((rng.next() % 3) as usize)
            .unwrap_or(&"x");
        let target = [
            rng.pick(&[0.0, 1.0, 300.0, -2_000.0, 5.0e4, 3.0e6]) + rng.range(-5.0, 5.0),
            rng.pick(&[0.0, -1.0, 250.0, 1_500.0, -4.0e4]) + rng.range(-5.0, 5.0),
            rng.pick(&[0.0, 80.0, 2_000.0]) + rng.range(-1.0, 1.0),
        ];
        let sigma = rng.pick(&[1.0e-9, 1.0e-3, 1.0, 5.0, 1.0e4]);
        let measurement = if rng.next() & 1 == 0 {
            Measurement::position(
                f.to_geo(&Enu::new(target[0], target[1], target[2])),
                sigma,
                sigma,
            )
        } else {
            Measurement::RangeAzEl {
                sensor_position: f.origin(),
                range_m: rng.pick(&[0.0, 1.0e-3, 10.0, 3_000.0, 9.0e5]),
                azimuth_deg: rng.range(-720.0, 720.0),
                elevation_deg: rng.pick(&[-90.0, 0.0, 45.0, 90.0]),
                sigma_range_m: sigma.max(1.0e-6),
                sigma_azimuth_deg: rng.pick(&[1.0e-9, 0.5, 30.0]),
                sigma_elevation_deg: rng.pick(&[1.0e-9, 0.5, 30.0]),
            }
        };
        let mut o = Observation {
            sensor_id: SensorId::from(sensor),
            time: t,
            measurement,
            identity: None,
            class_hint: None,
            side: Default::default(),
        };
        if rng.unit() < 1.0 / 7.0 {
            o.side.reported_velocity_enu_mps = Some([rng.range(-900.0, 900.0), 0.0, 0.0]);
        }
        o
    }

    fn assert_sound(tr: &Tracker, context: &str) {
        for t in &tr.tracks {
            assert!(t.kf.is_sound(), "{context}: track {} {:?}", t.id, t.kf);
            assert!(
                t.modes.is_sound(&tr.imm),
                "{context}: track {} models",
                t.id
            );
            let sum: f64 = t.modes.mu[..tr.imm.len()].iter().sum();
            assert!(
                (sum - 1.0).abs() < 1e-9,
                "{context}: model probabilities sum to {sum}"
            );
        }
    }

    fn finite(t: &Track) -> bool {
        let e = t.position_enu;
        [e.east_m, e.north_m, e.up_m, t.sigma_horizontal_m]
            .iter()
            .chain(t.velocity_enu_mps.iter())
            .all(|v| v.is_finite())
            && t.sigma_horizontal_m >= 0.0
    }

    #[test]
    fn random_degenerate_streams_never_leave_a_nan_or_non_positive_definite_state() {
        let t0 = Timestamp::from_secs_f64(1_790_000_000.0);
        let (mut born, mut updates) = (0, 0);
        for case in 0..40u64 {
            let mut rng = Rng(case);
            let config = TrackerConfig {
                process_noise_accel_mps2: rng.pick(&[0.0, 0.3, 3.0, 500.0]),
                imm_turn_rate_deg_s: rng.pick(&[0.0, 15.0, 180.0]),
                imm_turn_process_noise_accel_mps2: rng.pick(&[0.0, 3.0]),
                jpda: rng.next() & 1 == 0,
                clutter_density_per_km2: rng.pick(&[1.0e-6, 0.1, 1.0e6]),
                confirm_hits: 1,
                confirm_window: 1,
                ..TrackerConfig::default()
            };
            let mut tr = Tracker::new(frame(), config);
            let mut now = t0;
            for step in 0..30 {
                // Duplicate times, small steps, jumps of days, and steps back in time.
                let dt_s = rng.pick(&[0.0, 0.0, 0.25, 1.0, -0.5, -30.0, 86_400.0, 1.0e-6]);
                now = now.plus_secs_f64(dt_s);
                let n = (rng.next() % 6) as usize;
                let mut obs: Vec<Observation> = (0..n)
                    .map(|_| {
                        let lag = rng.pick(&[0.0, 0.0, -0.5, -1.9, -3.0]);
                        random_obs(&mut rng, now.plus_secs_f64(lag))
                    })
                    .collect();
                if let Some(first) = obs.first().cloned() {
                    obs.push(first); // an exact repeat
                }
                let context = format!("case {case} step {step}");
                for t in tr.step(&obs, now) {
                    assert!(finite(&t), "{context}: published {t:?}");
                }
                assert_sound(&tr, &context);
                for t in tr.picture(now.plus_secs_f64(rng.pick(&[0.0, 0.5, 100.0]))) {
                    assert!(finite(&t), "{context}: picture {t:?}");
                }
            }
            born += tr.stats().observations_unassociated;
            updates += tr.stats().observations_used;
        }
        // The streams exercised the filter, not just the input checks.
        assert!(
            born > 200 && updates > 100,
            "born {born}, updates {updates}"
        );
    }
}
