//! Track management: scans, gating, assignment, birth, M-of-N confirmation, deletion.

use crate::assign::{self, Pair};
use crate::config::TrackerConfig;
use crate::kalman::{KfState, Projection, M3, V3};
use crate::measure::{self, Prepared};
use picket_core::{
    ClassHint, Enu, GeoPoint, Identity, LocalFrame, Observation, SensorId, TargetClass, Timestamp,
    Track, TrackId, TrackStatus,
};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeSet;

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
/// `ln det S` enters the cost clamped to ±this, so one absurd covariance cannot dominate a cluster.
const LN_DET_CLAMP: f64 = 60.0;

/// Counters since the tracker was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerStats {
    /// Observations that updated an existing track.
    pub observations_used: u64,
    /// Observations that associated with no track and started a new one.
    pub observations_unassociated: u64,
    /// Observations refused: non-finite or invalid values, bad covariance, too late, from the
    /// future, unsupported kind (bearing-only), exact duplicates within a scan, or a new track
    /// beyond [`MAX_LIVE_TRACKS`].
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
    kf: KfState,
    time: Timestamp,
    first_seen: Timestamp,
    hits: u32,
    /// M-of-N history, newest opportunity in bit 0 (1 = hit).
    history: u64,
    identity: Option<Identity>,
    /// Sum of hint confidences per class, indexed by `class_index`.
    class_sum: [f64; 4],
    /// Number of hints per class, indexed by `class_index`.
    class_count: [u32; 4],
    sensors: Vec<SensorId>,
    operator_position: Option<GeoPoint>,
    callsign: Option<String>,
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
    fn absorb(&mut self, p: &Prepared<'_>) {
        let o = p.obs;
        if self.identity.is_none() {
            self.identity.clone_from(&o.identity);
        }
        if let Some(h) = o.class_hint {
            let i = class_index(h.class);
            self.class_sum[i] += f64::from(h.confidence.clamp(0.0, 1.0));
            self.class_count[i] = self.class_count[i].saturating_add(1);
        }
        if let Err(at) = self.sensors.binary_search(&o.sensor_id) {
            self.sensors.insert(at, o.sensor_id.clone());
        }
        if p.operator_position.is_some() {
            self.operator_position = p.operator_position;
        }
        if o.side.callsign.is_some() {
            self.callsign.clone_from(&o.side.callsign);
        }
        self.hits = self.hits.saturating_add(1);
    }

    fn may_take(&self, o: &Observation) -> bool {
        match (&self.identity, &o.identity) {
            (Some(a), Some(b)) => a == b,
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
        let x = &self.kf.x;
        let enu = Enu::new(x[0], x[1], x[2]);
        Track {
            id: self.id,
            status,
            time: self.time,
            first_seen: self.first_seen,
            position: frame.to_geo(&enu),
            position_enu: enu,
            velocity_enu_mps: [x[3], x[4], x[5]],
            sigma_horizontal_m: self.kf.sigma_horizontal_m(),
            hits: self.hits,
            identity: self.identity.clone(),
            class_hint: self.class_hint(),
            sensors: self.sensors.clone(),
            operator_position: self.operator_position,
            callsign: self.callsign.clone(),
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
    /// Spectral density of the white acceleration, m²/s³.
    q: f64,
    /// Live tracks, sorted by id (new ids are always the largest).
    tracks: Vec<TrackState>,
    next_id: u64,
    stats: TrackerStats,
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
            tracks: Vec::new(),
            next_id: 1,
            stats: TrackerStats::default(),
        }
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
        let mut prepared: Vec<Prepared<'_>> = Vec::with_capacity(observations.len());
        for o in observations {
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

        let mut start = 0;
        while start < prepared.len() {
            let head = prepared[start].obs;
            let len = prepared[start..]
                .iter()
                .take_while(|p| p.obs.time == head.time && p.obs.sensor_id == head.sensor_id)
                .count();
            self.process_scan(&prepared[start..start + len], &mut log);
            start += len;
        }
        self.delete_stale(now, true, &[], &mut log);

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

    /// Counters since creation.
    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Deletes tracks that, at time `at`, coasted too long or (unless `spare` marks them)
    /// grew too uncertain. `spare` is indexed like `self.tracks`; empty spares nobody.
    fn delete_stale(
        &mut self,
        at: Timestamp,
        check_sigma: bool,
        spare: &[bool],
        log: &mut StepLog,
    ) {
        let cfg = self.config;
        let q = self.q;
        let frame = self.frame;
        let mut kept = Vec::with_capacity(self.tracks.len());
        for (i, t) in self.tracks.drain(..).enumerate() {
            let age_s = seconds_between(at, t.time);
            let limit_s = match t.life {
                Life::Tentative => cfg.max_coast_tentative_s,
                Life::Confirmed => cfg.max_coast_confirmed_s,
            };
            let spared = spare.get(i).copied().unwrap_or(false);
            let stale = age_s > limit_s
                || (check_sigma
                    && !spared
                    && age_s > 0.0
                    && too_uncertain(&t.kf.predict(age_s, q), cfg.max_sigma_horizontal_m));
            if stale {
                self.stats.tracks_deleted += 1;
                log.updated.remove(&t.id);
                log.deleted.push(t.snapshot(&frame, TrackStatus::Deleted));
            } else {
                kept.push(t);
            }
        }
        self.tracks = kept;
    }

    fn predict_for_scan(&self, t: &TrackState, scan_time: Timestamp) -> Prediction {
        let dt_s = seconds_between(scan_time, t.time);
        if dt_s >= 0.0 {
            let prior = t.kf.predict(dt_s, self.q);
            Prediction {
                proj: prior.project(0.0, 0.0),
                prior,
                too_late: false,
            }
        } else {
            // Late data: compare with the state retrodicted by Δ, update the state in place.
            let lag_s = -dt_s;
            let extra_m2 = self.q * lag_s * lag_s * lag_s / 3.0;
            Prediction {
                proj: t.kf.project(dt_s, extra_m2),
                prior: t.kf.clone(),
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
        let sensor = first.obs.sensor_id.clone();
        // Coasted too long: gone before association. Too uncertain: judged after it, so the
        // scan that would reacquire a track is not the one that deletes it.
        self.delete_stale(scan_time, false, &[], log);

        let gate = self.config.gate_chi2;
        let preds: Vec<Prediction> = self
            .tracks
            .iter()
            .map(|t| self.predict_for_scan(t, scan_time))
            .collect();

        // Sweep along east: only observations within a track's gate radius are examined.
        // d² ≤ gate implies |y|² ≤ gate · λmax(S) ≤ gate · trace(S).
        let max_trace_r = scan.iter().map(|p| p.trace_r_m2).fold(0.0, f64::max);
        let mut by_east: Vec<usize> = (0..scan.len()).collect();
        by_east.sort_by(|&a, &b| scan[a].z[0].total_cmp(&scan[b].z[0]).then(a.cmp(&b)));
        let easts: Vec<f64> = by_east.iter().map(|&j| scan[j].z[0]).collect();

        let mut pairs: Vec<Pair> = Vec::new();
        let mut innovations = Vec::new();
        let mut late = vec![false; scan.len()];
        for (ti, (track, pred)) in self.tracks.iter().zip(&preds).enumerate() {
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
                innovations.push(innov);
            }
        }

        let chosen = assign::solve(self.tracks.len(), scan.len(), &pairs);
        let mut updated = vec![false; self.tracks.len()];
        let mut consumed = vec![false; scan.len()];
        for i in chosen {
            let Pair {
                track: ti, obs: oj, ..
            } = pairs[i];
            consumed[oj] = true;
            let t = &mut self.tracks[ti];
            let pred = &preds[ti];
            match pred.prior.update(&pred.proj, &innovations[i]) {
                Some(kf) => {
                    t.kf = kf;
                    if scan_time > t.time {
                        t.time = scan_time;
                    }
                    t.absorb(&scan[oj]);
                    updated[ti] = true;
                    log.updated.insert(t.id);
                    self.stats.observations_used += 1;
                }
                None => self.stats.observations_rejected += 1,
            }
        }

        // M-of-N bookkeeping. A scan is an opportunity for a track when its sensor has updated
        // the track before and it holds an observation the track could have taken (so one
        // Remote ID message about drone B is not a miss for drone A).
        let has_anonymous = scan.iter().any(|p| p.obs.identity.is_none());
        let mask = window_mask(self.config.confirm_window);
        for (ti, t) in self.tracks.iter_mut().enumerate() {
            if updated[ti] {
                t.history = (t.history << 1) | 1;
                if t.life == Life::Tentative
                    && (t.history & mask).count_ones() >= self.config.confirm_hits
                {
                    t.life = Life::Confirmed;
                    self.stats.tracks_confirmed += 1;
                }
            } else if t.sensors.binary_search(&sensor).is_ok()
                && (has_anonymous
                    || t.identity.is_none()
                    || scan.iter().any(|p| p.obs.identity == t.identity))
            {
                t.history <<= 1;
            }
        }

        self.delete_stale(scan_time, true, &updated, log);

        for (oj, p) in scan.iter().enumerate() {
            if consumed[oj] {
                continue;
            }
            if late[oj] {
                self.stats.observations_rejected += 1;
                continue;
            }
            self.birth(p, log);
        }
    }

    fn birth(&mut self, p: &Prepared<'_>, log: &mut StepLog) {
        if self.tracks.len() >= MAX_LIVE_TRACKS {
            self.stats.observations_rejected += 1;
            return;
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
            return;
        }
        let id = TrackId(self.next_id);
        self.next_id += 1;
        let mut t = TrackState {
            id,
            life: Life::Tentative,
            kf,
            time: p.obs.time,
            first_seen: p.obs.time,
            hits: 0,
            history: 1,
            identity: None,
            class_sum: [0.0; 4],
            class_count: [0; 4],
            sensors: Vec::new(),
            operator_position: None,
            callsign: None,
        };
        t.absorb(p);
        if self.config.confirm_hits <= 1 {
            t.life = Life::Confirmed;
            self.stats.tracks_confirmed += 1;
        }
        self.stats.observations_unassociated += 1;
        log.updated.insert(id);
        self.tracks.push(t);
    }
}

/// True when the state's horizontal σ exceeds `max_m` (or is not a number).
fn too_uncertain(kf: &KfState, max_m: f64) -> bool {
    let sigma_m = kf.sigma_horizontal_m();
    sigma_m.is_nan() || sigma_m > max_m
}

fn window_mask(window: u32) -> u64 {
    if window >= 64 {
        u64::MAX
    } else {
        (1u64 << window) - 1
    }
}
