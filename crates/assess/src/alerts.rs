//! The alert lifecycle: raised once per (track, unit), updated on material change,
//! acknowledged by a person, cleared when over. Hysteresis on both ends; a per-unit rate cap.
//!
//! Each event is applied when it is returned, so that one round's decisions (the rate cap,
//! merges) see each other; the caller stores it and, when the store refuses, calls
//! [`AlertManager::revert`] so the manager never believes in a transition nobody recorded.

use crate::words;
use crate::{AssessConfig, Threat};
use picket_core::{
    AlertEvent, AlertId, AlertState, TargetClass, ThreatLevel, Timestamp, TrackId, UnitId,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Updates other than level rises are sent at most this often per alert, seconds.
const MIN_UPDATE_INTERVAL_S: f64 = 5.0;
/// A closest-approach change is material above this fraction and this many metres.
const CPA_CHANGE_FRACTION: f64 = 0.25;
const CPA_CHANGE_M: f64 = 50.0;
/// A time-to-closest-approach change is material above this fraction and this many seconds.
const TIME_CHANGE_FRACTION: f64 = 0.20;
const TIME_CHANGE_S: f64 = 10.0;
/// Below this time to closest approach (s) and opening faster than this (m/s), the approach
/// is over.
const PASSED_TIME_S: f64 = 1.0;
const OPENING_MPS: f64 = 0.5;
/// An alerted track still closing faster than this (m/s) is not "no longer a threat", even
/// when its predicted miss distance has grown past the caution margin: the clear timer waits
/// until it passes or stops approaching, so a near miss hovering on the margin is not
/// cleared and raised again.
const STILL_CLOSING_MPS: f64 = 2.0;
/// The rate cap counts raises over this window, seconds.
const RATE_WINDOW_S: f64 = 60.0;

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// No alert with this id was ever raised.
    #[error("alert {0} does not exist; check the id against the active alerts")]
    Unknown(AlertId),
    /// The alert is over.
    #[error("alert {0} is already cleared; nothing to acknowledge")]
    AlreadyCleared(AlertId),
    /// Someone acknowledged it already.
    #[error("alert {id} was already acknowledged by {by}")]
    AlreadyAcknowledged {
        /// The alert.
        id: AlertId,
        /// Who acknowledged it first.
        by: String,
    },
    /// The acknowledgement names nobody.
    #[error("an acknowledgement must say who acknowledges (empty name)")]
    NoAcknowledger,
}

/// Counts of what the alert manager did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertMetrics {
    /// Alerts raised.
    pub raised: u64,
    /// Updated events sent.
    pub updated: u64,
    /// Alerts cleared.
    pub cleared: u64,
    /// Alerts acknowledged.
    pub acknowledged: u64,
    /// Threats folded into an existing alert of their unit because of the rate cap.
    pub merged: u64,
    /// Alerts raised, per unit.
    pub raised_per_unit: BTreeMap<UnitId, u64>,
    /// Mean seconds from raise to acknowledgement (`None` before the first acknowledgement).
    pub mean_time_to_acknowledge_s: Option<f64>,
}

type PairKey = (TrackId, UnitId);

/// Withdrawn alert ids remembered (see [`AlertManager::revert`]).
const MAX_WITHDRAWN: usize = 4096;

/// Per (track, unit) hysteresis state.
#[derive(Clone, Debug, Default)]
struct Pair {
    /// Consecutive assessments at caution or above.
    consecutive: u32,
    /// When the level last went (and stayed) below caution.
    below_since: Option<Timestamp>,
    /// Its own alert.
    alert: Option<AlertId>,
    /// The unit's alert it was folded into by the rate cap.
    merged_into: Option<AlertId>,
}

/// One round's threats by pair, borrowed from the caller's slice: every (track, unit) is
/// assessed every round, so copying them (reasons and all) would cost more than the rest.
type Current<'t> = BTreeMap<(TrackId, &'t UnitId), &'t Threat>;

/// What one returned event changed, kept until the next call so that
/// [`AlertManager::revert`] can put it back.
#[derive(Debug)]
enum Undo {
    /// A raise: the alert goes, as if never raised (and is raised again later).
    Raised { key: PairKey },
    /// An update: the alert as it was, and the tracks folded into it this round.
    Updated {
        before: Box<ActiveAlert>,
        merged_now: Vec<TrackId>,
    },
    /// A clear: the alert and its pair as they were.
    Cleared {
        alert: Box<ActiveAlert>,
        pair: Option<Pair>,
    },
    /// An acknowledgement: the latest event before it, and the wait it added to the mean.
    Acknowledged {
        latest: Box<AlertEvent>,
        waited_s: f64,
    },
}

#[derive(Clone, Debug)]
struct ActiveAlert {
    key: PairKey,
    latest: AlertEvent,
    /// What was last announced (Raised or Updated), to judge material change.
    sent_level: ThreatLevel,
    sent_cpa_m: f64,
    sent_time_s: f64,
    sent_at: Timestamp,
    /// Since when the level has stayed below what was last sent (a fall is announced only
    /// once it has lasted, so a level on a boundary does not flap).
    lower_since: Option<Timestamp>,
    /// Tracks of the same unit folded into this alert.
    merged: BTreeSet<TrackId>,
}

/// Turns per-assessment threats into alert lifecycle events.
pub struct AlertManager {
    config: AssessConfig,
    next_id: u64,
    pairs: BTreeMap<PairKey, Pair>,
    alerts: BTreeMap<AlertId, ActiveAlert>,
    raises: BTreeMap<UnitId, VecDeque<Timestamp>>,
    metrics: AlertMetrics,
    ack_time_sum_s: f64,
    /// How to revert each event of the latest call, by alert and state.
    undo: Vec<(AlertId, AlertState, Undo)>,
    /// Ids below `next_id` whose raise was reverted (no alert has them).
    withdrawn: BTreeSet<AlertId>,
}

/// Drones and unknowns are alerted, and ADS-B targets flying like drones.
fn is_alertable(t: &Threat) -> bool {
    matches!(t.class, TargetClass::Drone | TargetClass::Unknown) || t.drone_like
}

fn event(
    id: AlertId,
    state: AlertState,
    t: &Threat,
    level: ThreatLevel,
    now: Timestamp,
    raised_time: Timestamp,
    reasons: Vec<String>,
) -> AlertEvent {
    AlertEvent {
        alert_id: id,
        state,
        unit_id: t.unit_id.clone(),
        track_id: t.track_id,
        level,
        time: now,
        raised_time,
        position: t.position,
        target_class: t.class,
        dark: t.dark,
        range_m: t.range_m,
        bearing_deg: t.bearing_deg,
        closing_speed_mps: t.closing_speed_mps,
        closest_approach_m: t.closest_approach_m,
        time_to_closest_approach_s: t.time_to_closest_approach_s,
        reasons,
        acknowledged_by: None,
        cleared_reason: None,
    }
}

fn material_change(a: &ActiveAlert, t: &Threat) -> bool {
    let d_cpa = (t.closest_approach_m - a.sent_cpa_m).abs();
    let d_t = (t.time_to_closest_approach_s - a.sent_time_s).abs();
    (d_cpa > CPA_CHANGE_FRACTION * a.sent_cpa_m.abs() && d_cpa > CPA_CHANGE_M)
        || (d_t > TIME_CHANGE_FRACTION * a.sent_time_s.abs() && d_t > TIME_CHANGE_S)
}

impl AlertManager {
    /// An alert manager with no alerts; the first alert gets id 1.
    pub fn new(config: AssessConfig) -> Self {
        AlertManager {
            config,
            next_id: 1,
            pairs: BTreeMap::new(),
            alerts: BTreeMap::new(),
            raises: BTreeMap::new(),
            metrics: AlertMetrics::default(),
            ack_time_sum_s: 0.0,
            undo: Vec::new(),
            withdrawn: BTreeSet::new(),
        }
    }

    /// Feed the threats of one assessment at `now` (all of them, Info ones included) and the
    /// tracks still alive; returns the lifecycle events, cleared first, then raised, then
    /// updated, each in id order.
    ///
    /// The events are already applied. Store them in order and [`Self::revert`] each one the
    /// store refused (skipping those [`Self::is_pending`] no longer lists) before the next
    /// call: the next call forgets how to revert them.
    pub fn process(
        &mut self,
        threats: &[Threat],
        live_tracks: &[TrackId],
        now: Timestamp,
    ) -> Vec<AlertEvent> {
        self.undo.clear();
        let live: BTreeSet<TrackId> = live_tracks.iter().copied().collect();
        // One threat per pair; if a caller sends two, the worse one counts. A pair not
        // assessed this round has no current threat (not a stale one).
        let mut current: Current<'_> = BTreeMap::new();
        for t in threats {
            if !live.contains(&t.track_id) {
                continue;
            }
            let key = (t.track_id, &t.unit_id);
            match current.get(&key) {
                Some(old) if old.level >= t.level => {}
                _ => {
                    current.insert(key, t);
                }
            }
        }
        for window in self.raises.values_mut() {
            while window
                .front()
                .is_some_and(|t| now.seconds_since(*t) >= RATE_WINDOW_S)
            {
                window.pop_front();
            }
        }
        self.raises.retain(|_, w| !w.is_empty());

        let mut cleared = Vec::new();
        let mut to_update: BTreeSet<AlertId> = BTreeSet::new();

        // 1. Alerts: clear or mark for update.
        let ids: Vec<AlertId> = self.alerts.keys().copied().collect();
        for id in ids {
            let Some(key) = self.alerts.get(&id).map(|a| a.key.clone()) else {
                continue;
            };
            let threat = current.get(&(key.0, &key.1)).copied();
            let verdict = self.judge(&key, threat, live.contains(&key.0), now);
            match verdict {
                Verdict::Clear(reason) => {
                    if let Some(a) = self.alerts.remove(&id) {
                        cleared.push(self.clear(id, a, threat, reason, now));
                    }
                }
                Verdict::Hold => {}
                Verdict::Active(t) => {
                    let level = self.effective_level(id, &current);
                    if let Some(a) = self.alerts.get_mut(&id) {
                        // Rises go out at once; a fall once it has lasted; material changes
                        // at most every few seconds.
                        if level < a.sent_level {
                            a.lower_since.get_or_insert(now);
                        } else {
                            a.lower_since = None;
                        }
                        let rises = level > a.sent_level;
                        let fell = a
                            .lower_since
                            .is_some_and(|since| now.seconds_since(since) >= MIN_UPDATE_INTERVAL_S);
                        let since = now.seconds_since(a.sent_at);
                        if rises
                            || (since >= MIN_UPDATE_INTERVAL_S && (fell || material_change(a, t)))
                        {
                            to_update.insert(id);
                        }
                    }
                }
            }
        }

        // 2. Pairs folded into another alert: release them when that alert is gone or they
        //    are no longer a threat.
        let merged_keys: Vec<PairKey> = self
            .pairs
            .iter()
            .filter(|(_, p)| p.merged_into.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        for key in merged_keys {
            let host = self.pairs.get(&key).and_then(|p| p.merged_into);
            let Some(host) = host else { continue };
            let threat = current.get(&(key.0, &key.1)).copied();
            let verdict = self.judge(&key, threat, live.contains(&key.0), now);
            let host_alive = self.alerts.contains_key(&host);
            let release = !host_alive || matches!(verdict, Verdict::Clear(_));
            if release {
                if let Some(a) = self.alerts.get_mut(&host) {
                    a.merged.remove(&key.0);
                }
                if let Some(p) = self.pairs.get_mut(&key) {
                    p.merged_into = None;
                    p.below_since = None;
                    if host_alive {
                        p.consecutive = 0;
                    }
                }
            }
        }

        // 3. Free pairs: count consecutive assessments at caution or above, raise or merge.
        //    Only pairs at caution or above get a state; a pair below it that has none
        //    would be forgotten at the end of the round anyway.
        let mut candidates: Vec<(ThreatLevel, PairKey)> = Vec::new();
        let raise_after = self.config.raise_after.max(1);
        let hot = |t: &Threat| t.level >= ThreatLevel::Caution && is_alertable(t);
        for (key, p) in self.pairs.iter_mut() {
            let cooled = current.get(&(key.0, &key.1)).is_some_and(|t| !hot(t));
            if cooled && p.alert.is_none() && p.merged_into.is_none() {
                p.consecutive = 0;
            }
        }
        for (&(track, unit), t) in &current {
            if !hot(t) {
                continue;
            }
            let key = (track, unit.clone());
            let p = self.pairs.entry(key.clone()).or_default();
            if p.alert.is_some() || p.merged_into.is_some() {
                continue;
            }
            p.consecutive = p.consecutive.saturating_add(1);
            if p.consecutive >= raise_after {
                candidates.push((t.level, key));
            }
        }
        // Worst first, so the rate cap spends its raises on what matters most.
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut raised = Vec::new();
        // Tracks folded into each alert this round: an update that is not stored lets go of
        // them, so they are folded (and announced) again.
        let mut merged_now: BTreeMap<AlertId, Vec<TrackId>> = BTreeMap::new();
        for (_, key) in candidates {
            let Some(t) = current.get(&(key.0, &key.1)).copied() else {
                continue;
            };
            match self.merge_target(&key.1) {
                Some(host) if self.capped(&key.1) => {
                    if let Some(a) = self.alerts.get_mut(&host) {
                        a.merged.insert(key.0);
                    }
                    if let Some(p) = self.pairs.get_mut(&key) {
                        p.merged_into = Some(host);
                    }
                    self.metrics.merged += 1;
                    merged_now.entry(host).or_default().push(key.0);
                    to_update.insert(host);
                }
                // Under the cap — or over it with no alert of the unit to fold into: a threat
                // is never dropped silently.
                _ => raised.push(self.raise(&key, t, now)),
            }
        }

        // 4. Updated events, one per alert.
        let mut updated = Vec::new();
        for id in to_update {
            let merged = merged_now.remove(&id).unwrap_or_default();
            if let Some(ev) = self.update(id, now, &current, merged) {
                updated.push(ev);
            }
        }

        // Forget pairs with nothing to remember, and pairs of dead tracks.
        self.pairs.retain(|k, p| {
            let keep_state = p.alert.is_some()
                || p.merged_into.is_some()
                || p.consecutive > 0
                || p.below_since.is_some();
            live.contains(&k.0) && keep_state
        });

        let mut events = cleared;
        events.extend(raised);
        events.extend(updated);
        events
    }

    /// Decide what a pair with an alert (its own or a host's) does this round.
    fn judge<'t>(
        &mut self,
        key: &PairKey,
        threat: Option<&'t Threat>,
        live: bool,
        now: Timestamp,
    ) -> Verdict<'t> {
        if !live {
            return Verdict::Clear("track lost".to_owned());
        }
        let clear_after = self.config.clear_after_s;
        let below_for = |p: &mut Pair| -> bool {
            let since = *p.below_since.get_or_insert(now);
            now.seconds_since(since) >= clear_after
        };
        let Some(p) = self.pairs.get_mut(key) else {
            return Verdict::Clear("track lost".to_owned());
        };
        let Some(t) = threat else {
            // Live but not assessed (e.g. the unit lost its position): count as no threat.
            return if below_for(p) {
                Verdict::Clear(format!("no longer a threat for {:.0} s", clear_after))
            } else {
                Verdict::Hold
            };
        };
        if !is_alertable(t) {
            return Verdict::Clear(format!("reclassified as {}", t.class.as_str()));
        }
        if t.level >= ThreatLevel::Caution {
            p.below_since = None;
            return Verdict::Active(t);
        }
        if t.time_to_closest_approach_s < PASSED_TIME_S && t.closing_speed_mps < -OPENING_MPS {
            return Verdict::Clear("passed: closest approach over, opening".to_owned());
        }
        if t.closing_speed_mps > STILL_CLOSING_MPS && t.time_to_closest_approach_s >= PASSED_TIME_S
        {
            p.below_since = None;
            return Verdict::Hold;
        }
        if below_for(p) {
            Verdict::Clear(format!("no longer a threat for {:.0} s", clear_after))
        } else {
            Verdict::Hold
        }
    }

    /// The level an alert stands at: its own threat's, raised by any threat merged into it.
    fn effective_level(&self, id: AlertId, current: &Current<'_>) -> ThreatLevel {
        let Some(a) = self.alerts.get(&id) else {
            return ThreatLevel::Info;
        };
        let threat = |track: TrackId| current.get(&(track, &a.key.1)).copied();
        let own = threat(a.key.0);
        a.merged
            .iter()
            .filter_map(|t| threat(*t))
            .chain(own)
            .map(|t| t.level)
            .max()
            .unwrap_or(ThreatLevel::Info)
    }

    /// The capped unit's alert to fold a new threat into: highest level, then oldest.
    fn merge_target(&self, unit: &UnitId) -> Option<AlertId> {
        self.alerts
            .iter()
            .filter(|(_, a)| &a.key.1 == unit)
            .max_by(|(ia, a), (ib, b)| a.sent_level.cmp(&b.sent_level).then(ib.cmp(ia)))
            .map(|(id, _)| *id)
    }

    fn capped(&self, unit: &UnitId) -> bool {
        let cap = self.config.max_raises_per_unit_per_minute;
        cap > 0 && self.raises.get(unit).map_or(0, VecDeque::len) >= cap as usize
    }

    fn raise(&mut self, key: &PairKey, t: &Threat, now: Timestamp) -> AlertEvent {
        let id = AlertId(self.next_id);
        self.next_id += 1;
        let ev = event(
            id,
            AlertState::Raised,
            t,
            t.level,
            now,
            now,
            t.reasons.clone(),
        );
        self.alerts.insert(
            id,
            ActiveAlert {
                key: key.clone(),
                latest: ev.clone(),
                sent_level: t.level,
                sent_cpa_m: t.closest_approach_m,
                sent_time_s: t.time_to_closest_approach_s,
                sent_at: now,
                lower_since: None,
                merged: BTreeSet::new(),
            },
        );
        if let Some(p) = self.pairs.get_mut(key) {
            p.alert = Some(id);
            p.below_since = None;
        }
        self.raises.entry(key.1.clone()).or_default().push_back(now);
        self.undo
            .push((id, AlertState::Raised, Undo::Raised { key: key.clone() }));
        self.metrics.raised += 1;
        *self
            .metrics
            .raised_per_unit
            .entry(key.1.clone())
            .or_insert(0) += 1;
        ev
    }

    /// Build and record an Updated event from the primary threat and any merged ones.
    fn update(
        &mut self,
        id: AlertId,
        now: Timestamp,
        current: &Current<'_>,
        merged_now: Vec<TrackId>,
    ) -> Option<AlertEvent> {
        let a = self.alerts.get(&id)?;
        let threat = |track: TrackId| current.get(&(track, &a.key.1)).copied();
        let t = threat(a.key.0)?;
        let mut level = t.level;
        let mut reasons = t.reasons.clone();
        for track in &a.merged {
            let Some(m) = threat(*track) else {
                continue;
            };
            level = level.max(m.level);
            reasons.push(format!(
                "also {track} ({}): {}, {} {}, closest approach {} in {}",
                m.reasons.first().map_or("unknown", String::as_str),
                m.level.as_str(),
                words::distance(m.range_m),
                words::compass(m.bearing_deg),
                words::distance(m.closest_approach_m),
                words::eta(m.time_to_closest_approach_s)
            ));
        }
        let mut ev = event(
            id,
            AlertState::Updated,
            t,
            level,
            now,
            a.latest.raised_time,
            reasons,
        );
        ev.acknowledged_by.clone_from(&a.latest.acknowledged_by);
        let a = self.alerts.get_mut(&id)?;
        let before = Box::new(a.clone());
        a.latest = ev.clone();
        a.sent_level = level;
        a.sent_cpa_m = t.closest_approach_m;
        a.sent_time_s = t.time_to_closest_approach_s;
        a.sent_at = now;
        a.lower_since = None;
        self.undo.push((
            id,
            AlertState::Updated,
            Undo::Updated { before, merged_now },
        ));
        self.metrics.updated += 1;
        Some(ev)
    }

    /// The Cleared event of an alert already removed from the active set.
    fn clear(
        &mut self,
        id: AlertId,
        a: ActiveAlert,
        threat: Option<&Threat>,
        reason: String,
        now: Timestamp,
    ) -> AlertEvent {
        let mut ev = match threat {
            Some(t) => event(
                id,
                AlertState::Cleared,
                t,
                t.level,
                now,
                a.latest.raised_time,
                t.reasons.clone(),
            ),
            None => AlertEvent {
                state: AlertState::Cleared,
                time: now,
                ..a.latest.clone()
            },
        };
        ev.acknowledged_by.clone_from(&a.latest.acknowledged_by);
        ev.cleared_reason = Some(reason);
        let pair = self.pairs.get(&a.key).cloned();
        if let Some(p) = self.pairs.get_mut(&a.key) {
            p.alert = None;
            p.consecutive = 0;
            p.below_since = None;
        }
        self.undo.push((
            id,
            AlertState::Cleared,
            Undo::Cleared {
                alert: Box::new(a),
                pair,
            },
        ));
        self.metrics.cleared += 1;
        ev
    }

    /// A person acknowledges an active alert: returns the Acknowledged event, or an error when
    /// the alert is unknown, already cleared or already acknowledged. Like [`Self::process`],
    /// the event is applied: [`Self::revert`] it if the store refuses it, so a retry can
    /// succeed.
    pub fn acknowledge(
        &mut self,
        id: AlertId,
        by: &str,
        now: Timestamp,
    ) -> Result<AlertEvent, AlertError> {
        self.undo.clear();
        let Some(a) = self.alerts.get_mut(&id) else {
            return Err(
                if id.0 >= 1 && id.0 < self.next_id && !self.withdrawn.contains(&id) {
                    AlertError::AlreadyCleared(id)
                } else {
                    AlertError::Unknown(id)
                },
            );
        };
        if let Some(first) = &a.latest.acknowledged_by {
            return Err(AlertError::AlreadyAcknowledged {
                id,
                by: first.clone(),
            });
        }
        let by: String = by.chars().filter(|c| !c.is_control()).take(64).collect();
        let by = by.trim().to_owned();
        if by.is_empty() {
            return Err(AlertError::NoAcknowledger);
        }
        let ev = AlertEvent {
            state: AlertState::Acknowledged,
            time: now,
            acknowledged_by: Some(by),
            ..a.latest.clone()
        };
        let latest = Box::new(std::mem::replace(&mut a.latest, ev.clone()));
        let waited_s = now.seconds_since(ev.raised_time).max(0.0);
        self.undo.push((
            id,
            AlertState::Acknowledged,
            Undo::Acknowledged { latest, waited_s },
        ));
        self.metrics.acknowledged += 1;
        self.ack_time_sum_s += waited_s;
        self.update_mean_time_to_acknowledge();
        Ok(ev)
    }

    fn update_mean_time_to_acknowledge(&mut self) {
        let n = self.metrics.acknowledged;
        if n == 0 {
            // Exactly zero, not what is left of subtracting floats.
            self.ack_time_sum_s = 0.0;
        }
        self.metrics.mean_time_to_acknowledge_s = (n > 0).then(|| self.ack_time_sum_s / n as f64);
    }

    /// Whether `ev`, returned by the latest [`Self::process`] or [`Self::acknowledge`], still
    /// waits to be stored: false once reverting the raise of its alert withdrew it (an update
    /// of an alert that was never stored must not be stored either), or after the next call.
    pub fn is_pending(&self, ev: &AlertEvent) -> bool {
        self.undo
            .iter()
            .any(|(id, state, _)| *id == ev.alert_id && *state == ev.state)
    }

    /// Undo `ev`, an event of the latest [`Self::process`] or [`Self::acknowledge`] that the
    /// store refused, as if it had never been decided: an acknowledgement is no longer
    /// recorded (a retry can succeed); a raise is withdrawn (the pair is raised again at a
    /// later round, the pairs folded into it are let go, its pending update is dropped); an
    /// update is decided again at a later round; a cleared alert is active again until a
    /// later round clears it. Returns false (and changes nothing) when `ev` is not pending.
    pub fn revert(&mut self, ev: &AlertEvent) -> bool {
        let id = ev.alert_id;
        let Some(i) = self
            .undo
            .iter()
            .position(|(i, s, _)| *i == id && *s == ev.state)
        else {
            return false;
        };
        let (_, _, undo) = self.undo.remove(i);
        match undo {
            Undo::Raised { key } => {
                // Its update this round (tracks folded into it) goes with it.
                let before = self.undo.len();
                self.undo.retain(|(i, ..)| *i != id);
                let dropped_updates = (before - self.undo.len()) as u64;
                self.metrics.updated = self.metrics.updated.saturating_sub(dropped_updates);
                if let Some(a) = self.alerts.remove(&id) {
                    for track in a.merged {
                        self.release(&(track, key.1.clone()), id);
                    }
                }
                if let Some(p) = self.pairs.get_mut(&key) {
                    if p.alert == Some(id) {
                        // `consecutive` stays: still hot next round, it is raised again.
                        p.alert = None;
                    }
                }
                if let Some(w) = self.raises.get_mut(&key.1) {
                    if let Some(j) = w.iter().rposition(|t| *t == ev.time) {
                        w.remove(j);
                    }
                    if w.is_empty() {
                        self.raises.remove(&key.1);
                    }
                }
                self.metrics.raised = self.metrics.raised.saturating_sub(1);
                if let Some(n) = self.metrics.raised_per_unit.get_mut(&key.1) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        self.metrics.raised_per_unit.remove(&key.1);
                    }
                }
                // Its id is never given again: a refusal may come after the write reached
                // the file (the commit stored, a later step of the write failed), and two
                // alerts under one id would mix their histories. A gap is harmless. The
                // set only tells "never raised" from "cleared"; the oldest are forgotten.
                self.withdrawn.insert(id);
                while self.withdrawn.len() > MAX_WITHDRAWN {
                    self.withdrawn.pop_first();
                }
            }
            Undo::Updated { before, merged_now } => {
                if let Some(a) = self.alerts.get_mut(&id) {
                    let merged = std::mem::take(&mut a.merged);
                    *a = *before;
                    a.merged = merged;
                }
                for track in merged_now {
                    self.release(&(track, ev.unit_id.clone()), id);
                }
                self.metrics.updated = self.metrics.updated.saturating_sub(1);
            }
            Undo::Cleared { alert, pair } => {
                let mut a = *alert;
                // Tracks folded into it were let go when it cleared: take back those still
                // free (one may have been raised on its own since).
                let unit = a.key.1.clone();
                a.merged
                    .retain(|track| match self.pairs.get_mut(&(*track, unit.clone())) {
                        Some(p) if p.alert.is_none() && p.merged_into.is_none() => {
                            p.merged_into = Some(id);
                            true
                        }
                        _ => false,
                    });
                if let Some(p) = pair {
                    self.pairs.insert(a.key.clone(), p);
                }
                self.alerts.insert(id, a);
                self.metrics.cleared = self.metrics.cleared.saturating_sub(1);
            }
            Undo::Acknowledged { latest, waited_s } => {
                if let Some(a) = self.alerts.get_mut(&id) {
                    a.latest = *latest;
                }
                self.metrics.acknowledged = self.metrics.acknowledged.saturating_sub(1);
                self.ack_time_sum_s -= waited_s;
                self.update_mean_time_to_acknowledge();
            }
        }
        true
    }

    /// Let go of a pair folded into `host` this round: it is folded in (or raised) again at
    /// a later round.
    fn release(&mut self, key: &PairKey, host: AlertId) {
        if let Some(a) = self.alerts.get_mut(&host) {
            a.merged.remove(&key.0);
        }
        if let Some(p) = self.pairs.get_mut(key) {
            if p.merged_into == Some(host) {
                p.merged_into = None;
                self.metrics.merged = self.metrics.merged.saturating_sub(1);
            }
        }
    }

    /// Whether [`Self::process`] may read the reasons of this pair's threat at `level`: when
    /// it can raise or update an alert (caution or above) or the pair is in an alert (its
    /// own or merged into one; updates and clears quote it). For
    /// [`crate::Assessor::assess_with_reasons`]: the events are the same as with every reason.
    pub fn wants_reasons(&self, track: TrackId, unit: &UnitId, level: ThreatLevel) -> bool {
        level >= ThreatLevel::Caution
            || self
                .pairs
                .range((track, UnitId(String::new()))..)
                .take_while(|(k, _)| k.0 == track)
                .any(|(k, p)| &k.1 == unit && (p.alert.is_some() || p.merged_into.is_some()))
    }

    /// The latest event of each alert not cleared, in id order.
    pub fn active(&self) -> Vec<AlertEvent> {
        self.alerts.values().map(|a| a.latest.clone()).collect()
    }

    /// What the manager has done so far.
    pub fn metrics(&self) -> AlertMetrics {
        self.metrics.clone()
    }
}

enum Verdict<'t> {
    /// The alert ends, with this reason.
    Clear(String),
    /// Below caution but not for long enough: keep it, say nothing.
    Hold,
    /// Still a threat at caution or above.
    Active(&'t Threat),
}
