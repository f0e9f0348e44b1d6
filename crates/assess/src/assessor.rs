//! The assessor: per-track memory, unit positions, and the threat of each track to each unit.

use crate::awareness::{Awareness, Facts, Seen};
use crate::classify::{classify, ClassEvidence, ClassInputs, Classification, SpeedEvidence};
use crate::geometry::{closest_approach, closest_approach_turning};
use crate::words;
use crate::AssessConfig;
use picket_core::{
    BorderLine, Enu, GeoPoint, Identity, LocalFrame, ProtectedUnit, TargetClass, ThreatLevel,
    Timestamp, Track, TrackId, TrackStatus, UnitId, UnitKind, UnitPosition, UnitState, Zone,
    ZoneKind,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// A track descending faster than this (m/s) toward a unit within [`DIVE_RANGE_M`] is at
/// least a warning.
const DIVE_VERTICAL_SPEED_MPS: f64 = -3.0;
/// Range within which a dive counts, metres.
const DIVE_RANGE_M: f64 = 1_000.0;
/// Below this closing speed (m/s, either way) the range is "holding".
const HOLDING_MPS: f64 = 0.5;
/// A track is not extrapolated more than this far from its last estimate, seconds; tracks
/// further off in time are not assessed (fusion should have deleted them).
const MAX_EXTRAPOLATION_S: f64 = 30.0;
/// Memory of a track not updated for this long is dropped even without a Deleted snapshot.
const FORGET_AFTER_S: f64 = 600.0;
/// Velocity reports kept per track (to smooth them and to recognise circling), seconds.
const HISTORY_WINDOW_S: f64 = 120.0;
/// Reports are kept at least this far apart (a later one within it replaces the last), and
/// never more than this many: memory is bounded whatever the update rate.
const HISTORY_MIN_SPACING_S: f64 = 0.5;
const HISTORY_CAP: usize = 256;
/// Assessment uses the track's velocity averaged over this many seconds of reports: a radar
/// track's course can swing ±15° from one report to the next, and a straight-line prediction
/// three minutes ahead amplifies that into kilometres.
const SMOOTHING_S: f64 = 6.0;
/// Slower than this (m/s) a course means nothing (hover, drift, clutter).
const MIN_COURSE_SPEED_MPS: f64 = 2.0;
/// The turn rate is averaged over at least this long, seconds ...
const TURN_RATE_SPAN_S: f64 = 10.0;
/// ... and must still show over the last this many seconds (a track that has rolled out of
/// its turn is predicted straight again as soon as its smoothed course says so).
const TURN_NOW_SPAN_S: f64 = 4.0;
/// A track turning at least this fast (°/s) ...
const MIN_TURN_RATE_DPS: f64 = 0.5;
/// ... that has turned at least this far the same way within the window is circling, and its
/// path is predicted along the turn rather than along a straight line. A weave (turns both
/// ways) or a small turn onto a new heading does not qualify, so an evasive or re-aimed
/// attacker is still predicted straight; a turn of 60° or more counts while it lasts (and
/// for up to the rate span after, until the averaged rate settles).
const MIN_CIRCLING_TURN_DEG: f64 = 60.0;
/// A caution (the long-range level) needs a steady course: over the last this many seconds
/// ...
const STEADY_SPAN_S: f64 = 10.0;
/// ... the (smoothed) course changed by less than this many degrees. A turning or brand-new
/// track's straight-line prediction minutes ahead is noise; warnings and imminent levels
/// are never held back by this.
const STEADY_MAX_TURN_DEG: f64 = 20.0;
/// Faster than this (m/s, smoothed) an unidentified track is most likely a manned aircraft
/// not yet confirmed as such (that takes a sustained speed); it is not alerted meanwhile.
const FAST_UNCONFIRMED_MPS: f64 = crate::classify::MANNED_SPEED_MPS;
/// A caution from beyond radius + margin needs the track itself to close on the unit at
/// least this fast (m/s), not just the unit on it.
const MIN_OWN_APPROACH_MPS: f64 = 2.0;
/// An unclassified track that has stayed within this many metres of where it was first seen
/// ...
const CLUTTER_MAX_EXCURSION_M: f64 = 100.0;
/// ... for at least this many seconds, and is not moving now, is most likely ground clutter
/// (a reflector the radar keeps reporting): shown, not alerted. A hovering drone the radar
/// recognises as one is classified a drone and is not affected.
const CLUTTER_MIN_AGE_S: f64 = 30.0;

/// The protected site: its local frame, its units and its zones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// The local ENU frame all geometry is done in.
    pub frame: LocalFrame,
    /// Protected units (fixed posts and moving patrols).
    pub units: Vec<ProtectedUnit>,
    /// Zones; `Border` zones are used to report crossings and which side a pilot stands on.
    pub zones: Vec<Zone>,
}

/// The threat one track poses to one unit at one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Threat {
    /// The track.
    pub track_id: TrackId,
    /// The unit.
    pub unit_id: UnitId,
    /// How bad.
    pub level: ThreatLevel,
    /// What the track is believed to be.
    pub class: TargetClass,
    /// True when the track carries no Remote ID / ADS-B identity.
    pub dark: bool,
    /// Where the track is (extrapolated to the assessment time).
    pub position: GeoPoint,
    /// Horizontal distance from unit to track, metres.
    pub range_m: f64,
    /// Compass bearing from the unit to the track, degrees.
    pub bearing_deg: f64,
    /// Rate at which the range shrinks, m/s (negative when opening).
    pub closing_speed_mps: f64,
    /// Predicted closest horizontal distance within the horizon, metres.
    pub closest_approach_m: f64,
    /// Seconds until the closest approach, in `[0, horizon]`.
    pub time_to_closest_approach_s: f64,
    /// Why, in an officer's words, most important first.
    pub reasons: Vec<String>,
    /// An ADS-B target flying like a drone: alerted (up to caution) although its class is
    /// manned aircraft.
    #[serde(default)]
    pub drone_like: bool,
}

/// A border crossing remembered for a track.
#[derive(Clone, Copy, Debug)]
struct Crossing {
    time: Timestamp,
    course_deg: f64,
}

#[derive(Clone, Debug)]
struct TrackMemory {
    last: Track,
    /// Last snapshot position in the site frame (for crossings between successive snapshots).
    last_enu: Enu,
    /// Recent velocity reports (ENU m/s), oldest first.
    velocities: VecDeque<(Timestamp, [f64; 3])>,
    /// Where and when this assessor first saw the track, and the farthest it has been from
    /// there since (horizontal metres).
    first_seen: (Timestamp, Enu),
    max_excursion_m: f64,
    crossing: Option<Crossing>,
    evidence: ClassEvidence,
    speed: SpeedEvidence,
    /// Identity is kept once seen: fusion may drop it on a snapshot without a cooperative report.
    identity: Option<Identity>,
    operator: Option<GeoPoint>,
}

impl TrackMemory {
    fn classification(&self) -> Classification {
        classify(&ClassInputs {
            identity: self.identity.as_ref(),
            other_identities: &self.last.other_identities,
            evidence: &self.evidence,
            sustained_fast_mps: self.speed.sustained_fast_mps,
            callsign: self.last.callsign.as_deref(),
        })
    }

    /// The velocity averaged over the [`SMOOTHING_S`] of reports ending at report `idx`.
    fn smoothed_at(&self, idx: usize) -> [f64; 3] {
        let Some(&(t_end, _)) = self.velocities.get(idx) else {
            return self.last.velocity_enu_mps;
        };
        let mut sum = [0.0; 3];
        let mut n = 0.0;
        for &(t, v) in self.velocities.range(..=idx).rev() {
            if t_end.seconds_since(t) > SMOOTHING_S {
                break;
            }
            for k in 0..3 {
                sum[k] += v[k];
            }
            n += 1.0;
        }
        if n == 0.0 {
            return self.last.velocity_enu_mps;
        }
        [sum[0] / n, sum[1] / n, sum[2] / n]
    }

    /// The smoothed velocity now (ENU m/s).
    fn velocity(&self) -> [f64; 3] {
        match self.velocities.len() {
            0 => self.last.velocity_enu_mps,
            n => self.smoothed_at(n - 1),
        }
    }

    /// Smoothed courses (time, degrees), oldest first, from reports whose smoothing window
    /// is full and since the track last moved slower than [`MIN_COURSE_SPEED_MPS`] (turns
    /// are never measured across a hover).
    fn courses(&self) -> Vec<(Timestamp, f64)> {
        let Some(&(t_first, _)) = self.velocities.front() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for i in (0..self.velocities.len()).rev() {
            let t = self.velocities[i].0;
            let v = self.smoothed_at(i);
            if t.seconds_since(t_first) < SMOOTHING_S || v[0].hypot(v[1]) < MIN_COURSE_SPEED_MPS {
                break;
            }
            out.push((t, v[0].atan2(v[1]).to_degrees()));
        }
        out.reverse();
        out
    }

    /// The turn rate (°/s, clockwise positive) when the track is circling, else `None`:
    /// turning the same way now (last [`TURN_NOW_SPAN_S`]) as over [`TURN_RATE_SPAN_S`],
    /// and [`MIN_CIRCLING_TURN_DEG`] or more in all.
    fn circling_turn_rate_dps(courses: &[(Timestamp, f64)]) -> Option<f64> {
        let &(t_now, _) = courses.last()?;
        let turns = courses
            .windows(2)
            .map(|w| (w[0].0, wrap_deg(w[1].1 - w[0].1)));
        let mut total = 0.0;
        let mut now_rate = None;
        let mut rate = None;
        for (t_from, turn) in turns.rev() {
            total += turn;
            let span = t_now.seconds_since(t_from);
            if now_rate.is_none() && span >= TURN_NOW_SPAN_S {
                now_rate = Some(total / span);
            }
            if rate.is_none() && span >= TURN_RATE_SPAN_S {
                rate = Some(total / span);
            }
        }
        let (rate, now_rate) = (rate?, now_rate?);
        let agree = |r: f64| r.abs() >= MIN_TURN_RATE_DPS && r.signum() == total.signum();
        (agree(rate) && agree(now_rate) && total.abs() >= MIN_CIRCLING_TURN_DEG).then_some(rate)
    }

    /// Whether the course is steady enough to trust a long straight-line prediction.
    fn course(&self, courses: &[(Timestamp, f64)]) -> Course {
        let v = self.velocity();
        if v[0].hypot(v[1]) < MIN_COURSE_SPEED_MPS {
            return Course::Steady;
        }
        let Some(&(t_now, c_now)) = courses.last() else {
            return Course::TooNew;
        };
        let Some(&(_, c_then)) = courses
            .iter()
            .rev()
            .find(|(t, _)| t_now.seconds_since(*t) >= STEADY_SPAN_S)
        else {
            return Course::TooNew;
        };
        let turn = wrap_deg(c_now - c_then);
        if turn.abs() >= STEADY_MAX_TURN_DEG {
            Course::Turning(turn)
        } else {
            Course::Steady
        }
    }
}

/// How far a track's straight-line prediction can be trusted.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Course {
    /// Holding its course (or hardly moving).
    Steady,
    /// Not enough history to tell.
    TooNew,
    /// Turned this many degrees over the steady span.
    Turning(f64),
}

/// An angle difference brought into (−180°, 180°].
fn wrap_deg(d: f64) -> f64 {
    let w = d.rem_euclid(360.0);
    if w > 180.0 {
        w - 360.0
    } else {
        w
    }
}

#[derive(Clone, Copy, Debug)]
struct UnitReport {
    time: Timestamp,
    position: Enu,
    velocity_enu_mps: [f64; 3],
}

#[derive(Clone, Debug)]
struct PreparedUnit {
    unit: ProtectedUnit,
    /// Reference position of a fixed unit; `None` for moving units (and empty polygons).
    fixed: Option<Enu>,
    radius_m: f64,
}

struct PreparedBorder {
    line: BorderLine,
    name: String,
}

/// Keeps per-track history and unit positions; scores every live confirmed track against
/// every unit.
pub struct Assessor {
    site: Site,
    config: AssessConfig,
    units: Vec<PreparedUnit>,
    unit_index: BTreeMap<UnitId, usize>,
    reports: BTreeMap<UnitId, UnitReport>,
    borders: Vec<PreparedBorder>,
    tracks: BTreeMap<TrackId, TrackMemory>,
    awareness: Awareness,
}

fn finite3(v: &[f64; 3]) -> bool {
    v.iter().all(|x| x.is_finite())
}

impl Assessor {
    /// An assessor for `site`.
    pub fn new(site: Site, config: AssessConfig) -> Self {
        let units: Vec<PreparedUnit> = site
            .units
            .iter()
            .map(|u| {
                let r = u.radius_m(&site.frame);
                PreparedUnit {
                    unit: u.clone(),
                    fixed: u.fixed_position_enu(&site.frame),
                    radius_m: if r.is_finite() { r.max(0.0) } else { 0.0 },
                }
            })
            .collect();
        let mut unit_index = BTreeMap::new();
        for (i, u) in units.iter().enumerate() {
            // The first unit with an id wins; a duplicate id is a config error caught upstream.
            unit_index.entry(u.unit.id.clone()).or_insert(i);
        }
        let borders = site
            .zones
            .iter()
            .filter(|z| z.kind == ZoneKind::Border)
            .map(|z| PreparedBorder {
                line: BorderLine::new(z, &site.frame),
                name: z.name.clone(),
            })
            .collect();
        Assessor {
            awareness: Awareness::new(config.aircraft.clone()),
            site,
            config,
            units,
            unit_index,
            reports: BTreeMap::new(),
            borders,
            tracks: BTreeMap::new(),
        }
    }

    /// The site being protected.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// A moving unit reports its position. Velocity is estimated from successive reports.
    /// Reports for unknown or fixed units, invalid positions and out-of-order reports are
    /// ignored.
    pub fn update_unit_position(&mut self, p: &UnitPosition) {
        let Some(&i) = self.unit_index.get(&p.unit_id) else {
            return;
        };
        let UnitKind::Moving { stale_after, .. } = &self.units[i].unit.kind else {
            return;
        };
        if !p.position.is_valid() {
            return;
        }
        let position = self.site.frame.to_enu(&p.position);
        let velocity = match self.reports.get(&p.unit_id) {
            Some(prev) if p.time < prev.time => return,
            Some(prev) => {
                let dt = p.time.seconds_since(prev.time);
                if dt < 0.2 {
                    // Same instant (or nearly): a correction, not motion.
                    prev.velocity_enu_mps
                } else if dt > stale_after.as_secs_f64() {
                    // Average over a long gap says nothing about the speed now.
                    [0.0; 3]
                } else {
                    [
                        (position.east_m - prev.position.east_m) / dt,
                        (position.north_m - prev.position.north_m) / dt,
                        (position.up_m - prev.position.up_m) / dt,
                    ]
                }
            }
            None => [0.0; 3],
        };
        self.reports.insert(
            p.unit_id.clone(),
            UnitReport {
                time: p.time,
                position,
                velocity_enu_mps: if finite3(&velocity) {
                    velocity
                } else {
                    [0.0; 3]
                },
            },
        );
    }

    /// Track snapshots from fusion, in time order. Deleted tracks are forgotten; tentative
    /// ones are remembered (for crossings and class evidence) but not assessed.
    pub fn update_tracks(&mut self, tracks: &[Track]) {
        for t in tracks {
            if t.status == TrackStatus::Deleted {
                self.tracks.remove(&t.id);
                continue;
            }
            if !t.position.is_valid() || !finite3(&t.velocity_enu_mps) {
                continue;
            }
            let enu = self.site.frame.to_enu(&t.position);
            match self.tracks.get_mut(&t.id) {
                None => {
                    let mut m = TrackMemory {
                        last: t.clone(),
                        last_enu: enu,
                        velocities: VecDeque::new(),
                        first_seen: (t.time, enu),
                        max_excursion_m: 0.0,
                        crossing: None,
                        evidence: ClassEvidence::default(),
                        speed: SpeedEvidence::default(),
                        identity: None,
                        operator: None,
                    };
                    absorb(&mut m, t, enu);
                    self.tracks.insert(t.id, m);
                }
                Some(m) => {
                    if t.time < m.last.time {
                        continue;
                    }
                    if t.time > m.last.time {
                        if let Some(c) =
                            crossing(&self.borders, m.last.time, &m.last_enu, t.time, &enu)
                        {
                            m.crossing = Some(c);
                        }
                    }
                    absorb(m, t, enu);
                }
            }
        }
    }

    /// What a remembered track is believed to be.
    /// With the manned-aircraft awareness of the last assessment in its reasons (own agency /
    /// allowed, flies like a drone, moves with an ADS-B aircraft).
    pub fn classification(&self, track: TrackId) -> Option<Classification> {
        self.tracks.get(&track).map(|m| {
            let mut c = m.classification();
            if let Some(f) = self.awareness.facts(track) {
                c.reasons.extend(f.reasons());
            }
            c
        })
    }

    /// Every unit's state at `now` in site order: `None` for a moving unit with no report
    /// yet. A stale moving unit keeps its last reported position and zero velocity (that is
    /// what assessment uses), with `stale` set.
    pub fn unit_states(&self, now: Timestamp) -> Vec<(UnitId, Option<UnitState>)> {
        self.units
            .iter()
            .map(|u| (u.unit.id.clone(), self.unit_state(u, now).map(|s| s.0)))
            .collect()
    }

    /// The state of one unit at `now` and, for a moving unit, the age of its last report.
    fn unit_state(&self, u: &PreparedUnit, now: Timestamp) -> Option<(UnitState, Option<f64>)> {
        match &u.unit.kind {
            UnitKind::Fixed { .. } => u.fixed.map(|position_enu| {
                (
                    UnitState {
                        position_enu,
                        velocity_enu_mps: [0.0; 3],
                        radius_m: u.radius_m,
                        stale: false,
                    },
                    None,
                )
            }),
            UnitKind::Moving { stale_after, .. } => {
                let r = self.reports.get(&u.unit.id)?;
                let age_s = now.seconds_since(r.time);
                let stale = u.unit.is_stale(r.time, now);
                let (position_enu, velocity_enu_mps) = if stale {
                    (r.position, [0.0; 3])
                } else {
                    let dt = age_s.clamp(0.0, stale_after.as_secs_f64());
                    let v = r.velocity_enu_mps;
                    (
                        Enu::new(
                            r.position.east_m + v[0] * dt,
                            r.position.north_m + v[1] * dt,
                            r.position.up_m + v[2] * dt,
                        ),
                        v,
                    )
                };
                Some((
                    UnitState {
                        position_enu,
                        velocity_enu_mps,
                        radius_m: u.radius_m,
                        stale,
                    },
                    Some(age_s),
                ))
            }
        }
    }

    /// Assess every live confirmed track against every unit at data time `now` (tracks and
    /// moving units are extrapolated to `now`). Returns one threat per (track, unit), Info
    /// ones included, ordered by track then unit (site order).
    pub fn assess(&mut self, now: Timestamp) -> Vec<Threat> {
        self.assess_with_reasons(now, |_, _, _| true)
    }

    /// [`Self::assess`], with the reasons of a threat written only where
    /// `wants_reasons(track, unit, level)` says someone reads them (else left empty). The
    /// words are most of an assessment's cost, and at a short step nearly every one of the
    /// (track, unit) pairs is an Info nobody reads (see [`crate::AlertManager::wants_reasons`]).
    pub fn assess_with_reasons(
        &mut self,
        now: Timestamp,
        wants_reasons: impl Fn(TrackId, &UnitId, ThreatLevel) -> bool,
    ) -> Vec<Threat> {
        self.tracks
            .retain(|_, m| now.seconds_since(m.last.time) <= FORGET_AFTER_S);
        let units: Vec<(usize, UnitState, Option<f64>)> = self
            .units
            .iter()
            .enumerate()
            .filter_map(|(i, u)| self.unit_state(u, now).map(|(s, age)| (i, s, age)))
            .collect();
        let seen: Vec<Seen<'_>> = self
            .tracks
            .iter()
            .filter_map(|(id, m)| {
                let dt = now.seconds_since(m.last.time);
                if dt.abs() > MAX_EXTRAPOLATION_S {
                    return None;
                }
                let v = m.velocity();
                let class = m.classification();
                Some(Seen {
                    id: *id,
                    updated: m.last.time,
                    confirmed: m.last.status == TrackStatus::Confirmed
                        && m.last.hits >= self.config.min_track_hits,
                    icao: match m.identity {
                        Some(Identity::Icao(a)) => Some(a),
                        _ => None,
                    },
                    callsign: m.last.callsign.as_deref(),
                    class: class.class,
                    dark: class.dark,
                    hint: m.last.class_hint.map(|h| h.class),
                    position: Enu::new(
                        m.last_enu.east_m + v[0] * dt,
                        m.last_enu.north_m + v[1] * dt,
                        m.last_enu.up_m + v[2] * dt,
                    ),
                    velocity_enu_mps: v,
                })
            })
            .collect();
        self.awareness.update(&seen);
        let mut out = Vec::new();
        for (id, m) in &self.tracks {
            if m.last.status != TrackStatus::Confirmed || m.last.hits < self.config.min_track_hits {
                continue;
            }
            let dt = now.seconds_since(m.last.time);
            if dt.abs() > MAX_EXTRAPOLATION_S {
                continue;
            }
            let v = m.velocity();
            let courses = m.courses();
            let pos = Enu::new(
                m.last_enu.east_m + v[0] * dt,
                m.last_enu.north_m + v[1] * dt,
                m.last_enu.up_m + v[2] * dt,
            );
            let ctx = TrackContext {
                id: *id,
                memory: m,
                class: m.classification(),
                position_enu: pos,
                position: self.site.frame.to_geo(&pos),
                velocity_enu_mps: v,
                turn_rate_dps: TrackMemory::circling_turn_rate_dps(&courses),
                course: m.course(&courses),
                now,
                aware: self.awareness.facts(*id),
            };
            for (i, state, age) in &units {
                out.push(self.threat(&ctx, &self.units[*i], state, *age, &wants_reasons));
            }
        }
        mark_swarms(&mut out);
        out
    }

    fn threat(
        &self,
        t: &TrackContext<'_>,
        unit: &PreparedUnit,
        s: &UnitState,
        report_age_s: Option<f64>,
        wants_reasons: &dyn Fn(TrackId, &UnitId, ThreatLevel) -> bool,
    ) -> Threat {
        let cfg = &self.config;
        let tv = t.velocity_enu_mps;
        let rel = [
            t.position_enu.east_m - s.position_enu.east_m,
            t.position_enu.north_m - s.position_enu.north_m,
        ];
        let rel_v = [tv[0] - s.velocity_enu_mps[0], tv[1] - s.velocity_enu_mps[1]];
        let range_m = rel[0].hypot(rel[1]);
        let closing_speed_mps = if range_m > 1e-6 {
            -(rel[0] * rel_v[0] + rel[1] * rel_v[1]) / range_m
        } else {
            0.0
        };
        let cpa = match t.turn_rate_dps {
            Some(w) => closest_approach_turning(
                rel,
                [tv[0], tv[1]],
                [s.velocity_enu_mps[0], s.velocity_enu_mps[1]],
                w,
                cfg.horizon_s,
            ),
            None => closest_approach(rel, rel_v, cfg.horizon_s),
        };
        let bearing_deg = s.position_enu.bearing_to_deg(&t.position_enu);
        let vertical_mps = tv[2];
        let radius = s.radius_m;
        let name = &unit.unit.name;

        let mut level = if range_m <= radius
            || (cpa.distance_m <= radius && cpa.time_s <= cfg.imminent_time_s)
        {
            ThreatLevel::Imminent
        } else if cpa.distance_m <= radius && cpa.time_s <= cfg.warning_time_s {
            ThreatLevel::Warning
        } else if cpa.distance_m <= radius + cfg.caution_margin_m {
            ThreatLevel::Caution
        } else {
            ThreatLevel::Info
        };
        // A caution rests on a prediction far ahead; hold it back while the course is not
        // steady (a circling track is predicted along its turn instead, so it is exempt).
        // A caution from afar also needs the track itself to come toward the unit: a patrol
        // driving toward a hovering object is warned when the object is near or the patrol
        // will be on it within the warning time, not three minutes ahead.
        let own_approach_mps = if range_m > 1e-6 {
            -(rel[0] * tv[0] + rel[1] * tv[1]) / range_m
        } else {
            0.0
        };
        let mut held_back = None;
        if level == ThreatLevel::Caution && range_m > radius + cfg.caution_margin_m {
            held_back = match t.course {
                _ if own_approach_mps < MIN_OWN_APPROACH_MPS => Some(format!(
                    "not approaching by itself ({name} is moving toward it)"
                )),
                _ if t.turn_rate_dps.is_some() => None,
                Course::Steady => None,
                Course::TooNew => Some("track too new to predict its course".to_owned()),
                Course::Turning(turn) => Some(format!(
                    "course changing ({:.0}° in {:.0} s), too early to predict",
                    turn.abs(),
                    STEADY_SPAN_S
                )),
            };
            if held_back.is_some() {
                level = ThreatLevel::Info;
            }
        }
        let diving = vertical_mps < DIVE_VERTICAL_SPEED_MPS;
        if diving
            && range_m <= DIVE_RANGE_M
            && (closing_speed_mps > HOLDING_MPS || range_m <= radius)
        {
            level = level.max(ThreatLevel::Warning);
        }
        // Only drones and unknowns are alerted; birds and manned aircraft are shown, not raised.
        // An unlisted ADS-B target flying like a drone is assessed like one, up to caution (it
        // says who it is); a track moving with an ADS-B aircraft is that aircraft: not alerted.
        let aware = t.aware;
        let drone_like = aware.is_some_and(|f| f.drone_like.is_some() && f.listed.is_none());
        let alertable =
            matches!(t.class.class, TargetClass::Drone | TargetClass::Unknown) || drone_like;
        if !alertable {
            level = ThreatLevel::Info;
        }
        if drone_like {
            level = level.min(ThreatLevel::Caution);
        }
        match aware.and_then(|f| f.moves_with.as_ref()).map(|m| m.1) {
            Some(crate::awareness::Hold::Info) => level = ThreatLevel::Info,
            Some(crate::awareness::Hold::Caution) => level = level.min(ThreatLevel::Caution),
            Some(crate::awareness::Hold::Nothing) | None => {}
        }
        // Faster than a small drone but not yet for long enough to be called a manned aircraft:
        // it will be one within seconds (or slow down and be assessed then), so do not alert
        // in between only to clear it again.
        let ground_speed = tv[0].hypot(tv[1]);
        let fast_unconfirmed = alertable && ground_speed > FAST_UNCONFIRMED_MPS;
        if fast_unconfirmed {
            level = ThreatLevel::Info;
        }
        let stationary_s = t.now.seconds_since(t.memory.first_seen.0);
        let clutter = t.class.class == TargetClass::Unknown
            && stationary_s >= CLUTTER_MIN_AGE_S
            && t.memory.max_excursion_m < CLUTTER_MAX_EXCURSION_M
            && ground_speed < MIN_COURSE_SPEED_MPS;
        if clutter {
            level = ThreatLevel::Info;
        }
        let threat = |reasons| Threat {
            track_id: t.id,
            unit_id: unit.unit.id.clone(),
            level,
            class: t.class.class,
            dark: t.class.dark,
            position: t.position,
            range_m,
            bearing_deg,
            closing_speed_mps,
            closest_approach_m: cpa.distance_m,
            time_to_closest_approach_s: cpa.time_s,
            reasons,
            drone_like,
        };
        if !wants_reasons(t.id, &unit.unit.id, level) {
            return threat(Vec::new());
        }

        let mut reasons = vec![match t.memory.identity {
            Some(Identity::Icao(a)) if drone_like => {
                format!(
                    "ADS-B target {:06X}, alerted like a drone (at most caution)",
                    a & 0x00FF_FFFF
                )
            }
            _ => label(&t.class, t.memory.identity.as_ref()),
        }];
        reasons.extend(aware.map(Facts::reasons).unwrap_or_default());
        // What it broadcasts about itself is probably false: say so, with the strongest whys.
        if let Some(s) = t.memory.last.spoof.as_ref().filter(|s| s.score >= 0.5) {
            let why: Vec<&str> = s.reasons.iter().take(2).map(String::as_str).collect();
            reasons.push(format!("Remote ID looks spoofed: {}", why.join("; ")));
        }
        if range_m <= radius {
            reasons.push(format!(
                "inside the {} radius of {name} ({} {})",
                words::distance(radius),
                words::distance(range_m),
                words::compass(bearing_deg)
            ));
        } else {
            let motion = if closing_speed_mps > HOLDING_MPS {
                format!("closing {}", words::speed(closing_speed_mps))
            } else if closing_speed_mps < -HOLDING_MPS {
                format!("opening {}", words::speed(closing_speed_mps))
            } else {
                "holding range".to_owned()
            };
            reasons.push(format!(
                "{} {} of {name}, {motion}",
                words::distance(range_m),
                words::compass(bearing_deg)
            ));
        }
        if cpa.time_s >= 1.0 {
            reasons.push(format!(
                "closest approach {} in {}",
                words::distance(cpa.distance_m),
                words::eta(cpa.time_s)
            ));
        } else if closing_speed_mps < -HOLDING_MPS {
            reasons.push("closest approach over, moving away".to_owned());
        }
        if diving {
            reasons.push(format!("diving {}", words::speed(vertical_mps)));
        }
        if s.stale {
            reasons.push(format!(
                "patrol position stale (last report {} ago)",
                words::ago(report_age_s.unwrap_or(0.0))
            ));
        }
        if let Some(c) = t.memory.crossing {
            reasons.push(format!(
                "crossed the border {} {} ago",
                words::bound(c.course_deg),
                words::ago(t.now.seconds_since(c.time))
            ));
        }
        if let Some(op) = t.memory.operator.filter(GeoPoint::is_valid) {
            reasons.push(self.pilot_words(&op, s));
        }
        if let Some(w) = t.turn_rate_dps {
            reasons.push(format!(
                "circling, turning {:.0}°/s {} (predicted along its turn)",
                w.abs(),
                if w > 0.0 { "right" } else { "left" }
            ));
        }
        reasons.extend(held_back);
        if clutter {
            reasons.push(format!(
                "unclassified and stationary for {}: likely ground clutter, not alerted",
                words::ago(stationary_s)
            ));
        }
        if fast_unconfirmed {
            reasons.push(format!(
                "{} over ground: probably a manned aircraft, not alerted while confirming",
                words::speed(ground_speed)
            ));
        }
        reasons.extend(t.class.reasons.iter().cloned());
        threat(reasons)
    }

    fn pilot_words(&self, op: &GeoPoint, s: &UnitState) -> String {
        let p = self.site.frame.to_enu(op);
        let mut w = format!(
            "pilot {} {}",
            words::distance(s.position_enu.horizontal_distance_m(&p)),
            words::compass(s.position_enu.bearing_to_deg(&p))
        );
        for b in &self.borders {
            match b.line.on_home_side(&p) {
                Some(false) => {
                    w.push_str(", across the border");
                    if !b.name.trim().is_empty() {
                        w.push_str(&format!(" ({})", words::sanitize(&b.name)));
                    }
                    break;
                }
                Some(true) => {
                    w.push_str(", on this side of the border");
                    break;
                }
                None => {}
            }
        }
        w
    }
}

struct TrackContext<'a> {
    id: TrackId,
    memory: &'a TrackMemory,
    class: Classification,
    position_enu: Enu,
    position: GeoPoint,
    /// Smoothed velocity, ENU m/s.
    velocity_enu_mps: [f64; 3],
    /// Set when the track is circling: its path is predicted along the turn.
    turn_rate_dps: Option<f64>,
    course: Course,
    now: Timestamp,
    /// Manned-aircraft awareness (lists, flies like a drone, moves with an aircraft).
    aware: Option<&'a Facts>,
}

/// The first reason: what it is, in a few words.
fn label(c: &Classification, identity: Option<&Identity>) -> String {
    match (c.class, identity) {
        (TargetClass::Drone, Some(Identity::RemoteId(serial))) => {
            format!("drone, Remote ID {}", words::sanitize(serial))
        }
        (TargetClass::Drone, _) => "dark drone (no Remote ID)".to_owned(),
        (TargetClass::Unknown, _) => "unidentified object, dark (no Remote ID or ADS-B)".to_owned(),
        (TargetClass::Bird, _) => "bird (not alerted)".to_owned(),
        (TargetClass::MannedAircraft, Some(Identity::Icao(a))) => {
            format!(
                "manned aircraft, ADS-B ICAO {:06X} (not alerted)",
                a & 0x00FF_FFFF
            )
        }
        (TargetClass::MannedAircraft, _) => "manned aircraft (not alerted)".to_owned(),
    }
}

/// Fold one snapshot into a track's memory.
fn absorb(m: &mut TrackMemory, t: &Track, enu: Enu) {
    if let Some(h) = &t.class_hint {
        m.evidence.add(h);
    }
    if t.identity.is_some() {
        m.identity.clone_from(&t.identity);
    }
    if t.operator_position.is_some() {
        m.operator = t.operator_position;
    }
    // A tentative track's velocity is an initial guess (fusion starts it at zero); only
    // confirmed estimates go into the history.
    if t.status == TrackStatus::Confirmed {
        push_velocity(m, t);
    }
    m.last = t.clone();
    m.last_enu = enu;
    let v = m.velocity();
    m.speed.add(t.time, v[0].hypot(v[1]));
    m.max_excursion_m = m
        .max_excursion_m
        .max(m.first_seen.1.horizontal_distance_m(&enu));
}

/// Add a snapshot's velocity to the history, keeping it sparse and within its window.
fn push_velocity(m: &mut TrackMemory, t: &Track) {
    let sample = (t.time, t.velocity_enu_mps);
    // Reports closer than the spacing to the one before the last replace the last, so the
    // newest report always counts and the history stays sparse.
    let n = m.velocities.len();
    let crowded = n >= 2
        && m.velocities
            .get(n - 2)
            .is_some_and(|(t0, _)| t.time.seconds_since(*t0) < HISTORY_MIN_SPACING_S);
    match m.velocities.back_mut() {
        Some(last) if crowded || last.0 == t.time => *last = sample,
        _ => m.velocities.push_back(sample),
    }
    while m.velocities.len() > HISTORY_CAP
        || m.velocities
            .front()
            .is_some_and(|(first, _)| t.time.seconds_since(*first) > HISTORY_WINDOW_S)
    {
        m.velocities.pop_front();
    }
}

/// Where and when the segment between two successive snapshots crosses a border, if it does.
fn crossing(
    borders: &[PreparedBorder],
    t0: Timestamp,
    p0: &Enu,
    t1: Timestamp,
    p1: &Enu,
) -> Option<Crossing> {
    let seg = p0.horizontal_distance_m(p1);
    borders.iter().find_map(|b| {
        let x = b.line.crossing(p0, p1)?;
        let frac = if seg > 0.0 {
            (p0.horizontal_distance_m(&x) / seg).clamp(0.0, 1.0)
        } else {
            1.0
        };
        Some(Crossing {
            time: t0.plus_secs_f64(t1.seconds_since(t0) * frac),
            course_deg: p0.bearing_to_deg(p1),
        })
    })
}

/// Several drones (or unknown objects) threatening the same unit at once are a coordinated
/// attack: each of their threats says so, most important first after the class.
fn mark_swarms(threats: &mut [Threat]) {
    use std::collections::BTreeMap;
    let converging = |t: &Threat| {
        t.level >= ThreatLevel::Caution
            && matches!(t.class, TargetClass::Drone | TargetClass::Unknown)
            && t.closing_speed_mps > 0.0
    };
    let mut per_unit: BTreeMap<UnitId, usize> = BTreeMap::new();
    for t in threats.iter().filter(|t| converging(t)) {
        *per_unit.entry(t.unit_id.clone()).or_default() += 1;
    }
    for t in threats.iter_mut() {
        let n = per_unit.get(&t.unit_id).copied().unwrap_or(0);
        if n >= 2 && converging(t) {
            let at = t.reasons.len().min(1);
            t.reasons.insert(
                at,
                format!("one of {n} drones converging on this unit (swarm)"),
            );
        }
    }
}

#[cfg(test)]
mod swarm_tests {
    use super::*;
    use picket_core::GeoPoint;

    fn threat(
        track: u64,
        unit: &str,
        level: ThreatLevel,
        class: TargetClass,
        closing: f64,
    ) -> Threat {
        Threat {
            track_id: TrackId(track),
            unit_id: UnitId(unit.into()),
            level,
            class,
            dark: true,
            position: GeoPoint::new(31.3, -109.9, 1500.0),
            range_m: 1000.0,
            bearing_deg: 180.0,
            closing_speed_mps: closing,
            closest_approach_m: 50.0,
            time_to_closest_approach_s: 50.0,
            reasons: vec!["dark drone (no Remote ID)".into(), "1 km S".into()],
            drone_like: false,
        }
    }

    #[test]
    fn two_drones_closing_on_one_unit_are_called_a_swarm() {
        let mut t = vec![
            threat(1, "post", ThreatLevel::Warning, TargetClass::Drone, 20.0),
            threat(2, "post", ThreatLevel::Caution, TargetClass::Unknown, 15.0),
            threat(3, "other", ThreatLevel::Warning, TargetClass::Drone, 20.0),
            threat(4, "post", ThreatLevel::Info, TargetClass::Bird, 10.0),
        ];
        mark_swarms(&mut t);
        assert_eq!(
            t[0].reasons[1],
            "one of 2 drones converging on this unit (swarm)"
        );
        assert_eq!(
            t[1].reasons[1],
            "one of 2 drones converging on this unit (swarm)"
        );
        assert!(
            t[2].reasons.iter().all(|r| !r.contains("swarm")),
            "alone at its unit"
        );
        assert!(
            t[3].reasons.iter().all(|r| !r.contains("swarm")),
            "a bird is no swarm"
        );
    }

    #[test]
    fn an_opening_drone_does_not_make_a_swarm() {
        let mut t = vec![
            threat(1, "post", ThreatLevel::Warning, TargetClass::Drone, 20.0),
            threat(2, "post", ThreatLevel::Caution, TargetClass::Drone, -5.0),
        ];
        mark_swarms(&mut t);
        assert!(t
            .iter()
            .all(|x| x.reasons.iter().all(|r| !r.contains("swarm"))));
    }
}
