//! Operators (pilots) and take-off points of Remote ID aircraft as entities of their own,
//! linked to their aircraft's track, each with its own observation history.
//!
//! Outside fusion on purpose: a person on the ground is not tracked (no class for one, and a
//! separate track would raise false alerts); the operator follows from what the aircraft
//! broadcasts (Remote ID System message). Pure and driven by data time, so a replay of the
//! same observations rebuilds the same entities.

use picket_core::{
    GeoPoint, Identity, Observation, SensorId, Timestamp, Track, TrackId, TrackStatus,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Operator fixes kept per entity (the oldest are dropped).
pub const MAX_OPERATOR_FIXES: usize = 256;
/// Entities kept at most (the least recently heard is dropped first).
pub const MAX_OPERATOR_ENTITIES: usize = 1024;
/// An operator stays visible this long after its aircraft's track ended or its last report,
/// data-time seconds: the pilot's last position is what an officer wants once the drone is gone.
pub const OPERATOR_GRACE_S: f64 = 600.0;
/// A fix at the same place as the previous one is kept only after this long, seconds (a pilot
/// standing still must not push the whole history out within minutes).
const SAME_PLACE_EVERY_S: f64 = 10.0;
/// Closer than this to the previous fix counts as the same place, metres.
const SAME_PLACE_M: f64 = 1.0;

/// One report of where the operator stood.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperatorFix {
    /// Time of validity of the broadcast that carried it.
    pub time: Timestamp,
    /// Where the operator stood.
    pub position: GeoPoint,
    /// The receiver that heard it.
    pub sensor_id: SensorId,
}

/// An aircraft's operator and take-off point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperatorEntity {
    /// The aircraft's Remote ID UAS ID.
    pub uas_id: String,
    /// The aircraft's (latest) confirmed track; `None` until fusion confirmed one.
    pub aircraft_track_id: Option<TrackId>,
    /// True while that track is alive and still carries this UAS ID.
    pub aircraft_live: bool,
    /// When the aircraft's track ended (deleted or re-identified), if it did.
    pub aircraft_ended: Option<Timestamp>,
    /// Operator fixes, oldest first, at most [`MAX_OPERATOR_FIXES`].
    pub positions: VecDeque<OperatorFix>,
    /// Where the aircraft says it took off (the latest such report).
    pub take_off: Option<GeoPoint>,
    /// First report of an operator position or take-off point.
    pub first_seen: Timestamp,
    /// Latest such report.
    pub last_seen: Timestamp,
}

impl OperatorEntity {
    /// The latest operator position, if any was reported.
    pub fn position(&self) -> Option<&GeoPoint> {
        self.positions.back().map(|f| &f.position)
    }
    /// Data time after which the entity is forgotten (`None`: not while its aircraft lives).
    fn expires(&self) -> Option<Timestamp> {
        if self.aircraft_live {
            return None;
        }
        let end = self
            .aircraft_ended
            .map_or(self.last_seen, |e| e.max(self.last_seen));
        Some(end.plus_secs_f64(OPERATOR_GRACE_S))
    }
}

/// What changed in a step: entities to publish anew and UAS IDs to forget.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct OperatorChanges {
    pub(crate) updated: Vec<OperatorEntity>,
    pub(crate) removed: Vec<String>,
}

/// Builds and expires the entities; one per UAS ID.
#[derive(Debug, Default)]
pub(crate) struct OperatorBook {
    by_uas: BTreeMap<String, OperatorEntity>,
    dirty: BTreeSet<String>,
    removed: BTreeSet<String>,
}

/// The UAS ID and the operator / take-off facts of an observation, if it carries any.
pub(crate) fn operator_report(o: &Observation) -> Option<&str> {
    let Some(Identity::RemoteId(uas)) = &o.identity else {
        return None;
    };
    let valid = |p: &Option<GeoPoint>| p.as_ref().is_some_and(GeoPoint::is_valid);
    (valid(&o.side.operator_position) || valid(&o.side.take_off_position)).then_some(uas.as_str())
}

fn same_place(a: &GeoPoint, b: &GeoPoint) -> bool {
    let (a, b) = (a.to_ecef(), b.to_ecef());
    let d2: f64 = (0..3).map(|i| (a[i] - b[i]).powi(2)).sum();
    d2 < SAME_PLACE_M * SAME_PLACE_M
}

impl OperatorBook {
    /// Takes the operator and take-off facts of `observations` (in time order).
    pub(crate) fn observe(&mut self, observations: &[Observation]) {
        for o in observations {
            let Some(uas) = operator_report(o) else {
                continue;
            };
            if !self.by_uas.contains_key(uas) {
                self.make_room();
                self.by_uas.insert(
                    uas.to_string(),
                    OperatorEntity {
                        uas_id: uas.to_string(),
                        aircraft_track_id: None,
                        aircraft_live: false,
                        aircraft_ended: None,
                        positions: VecDeque::new(),
                        take_off: None,
                        first_seen: o.time,
                        last_seen: o.time,
                    },
                );
                self.removed.remove(uas);
            }
            let Some(e) = self.by_uas.get_mut(uas) else {
                continue;
            };
            e.first_seen = e.first_seen.min(o.time);
            e.last_seen = e.last_seen.max(o.time);
            if let Some(t) = o.side.take_off_position.filter(GeoPoint::is_valid) {
                e.take_off = Some(t);
            }
            if let Some(p) = o.side.operator_position.filter(GeoPoint::is_valid) {
                let keep = e.positions.back().is_none_or(|last| {
                    o.time > last.time
                        && (!same_place(&last.position, &p)
                            || o.time.seconds_since(last.time) >= SAME_PLACE_EVERY_S)
                });
                if keep {
                    if e.positions.len() == MAX_OPERATOR_FIXES {
                        e.positions.pop_front();
                    }
                    e.positions.push_back(OperatorFix {
                        time: o.time,
                        position: p,
                        sensor_id: o.sensor_id.clone(),
                    });
                }
            }
            self.dirty.insert(uas.to_string());
        }
    }

    /// Drops the least recently heard entity when the book is full (not-live ones first).
    fn make_room(&mut self) {
        while self.by_uas.len() >= MAX_OPERATOR_ENTITIES {
            let victim = self
                .by_uas
                .values()
                .min_by_key(|e| (e.aircraft_live, e.last_seen))
                .map(|e| e.uas_id.clone());
            let Some(v) = victim else { return };
            self.forget(&v);
        }
    }

    fn forget(&mut self, uas: &str) {
        if self.by_uas.remove(uas).is_some() {
            self.dirty.remove(uas);
            self.removed.insert(uas.to_string());
        }
    }

    /// Links entities to the tracks fusion published at `now` (confirmed and deleted ones).
    pub(crate) fn link(&mut self, tracks: &[Track], now: Timestamp) {
        for t in tracks {
            let uas = match &t.identity {
                Some(Identity::RemoteId(u)) => Some(u.as_str()),
                _ => None,
            };
            // A track that now carries another identity (or none) no longer flies for the
            // entity that was linked to it.
            for e in self.by_uas.values_mut() {
                if e.aircraft_track_id == Some(t.id)
                    && e.aircraft_live
                    && (Some(e.uas_id.as_str()) != uas || t.status == TrackStatus::Deleted)
                {
                    e.aircraft_live = false;
                    e.aircraft_ended = Some(now);
                    self.dirty.insert(e.uas_id.clone());
                }
            }
            let Some(e) = uas.and_then(|u| self.by_uas.get_mut(u)) else {
                continue;
            };
            if t.status == TrackStatus::Confirmed
                && (!e.aircraft_live || e.aircraft_track_id != Some(t.id))
            {
                e.aircraft_track_id = Some(t.id);
                e.aircraft_live = true;
                e.aircraft_ended = None;
                self.dirty.insert(e.uas_id.clone());
            }
        }
    }

    /// Forgets entities whose grace period is over at `now`.
    pub(crate) fn expire(&mut self, now: Timestamp) {
        let gone: Vec<String> = self
            .by_uas
            .values()
            .filter(|e| e.expires().is_some_and(|x| x < now))
            .map(|e| e.uas_id.clone())
            .collect();
        for g in gone {
            self.forget(&g);
        }
    }

    /// What changed since the last call. Only entities linked to an aircraft track are
    /// published; an unlinked one that disappears is reported removed all the same (harmless).
    pub(crate) fn take_changes(&mut self) -> OperatorChanges {
        let updated = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|u| self.by_uas.get(&u))
            .filter(|e| e.aircraft_track_id.is_some())
            .cloned()
            .collect();
        let removed = std::mem::take(&mut self.removed).into_iter().collect();
        OperatorChanges { updated, removed }
    }

    /// Number of entities held (linked or not).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_uas.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use picket_core::{Enu, Measurement, SideFacts};

    fn t(s: f64) -> Timestamp {
        Timestamp::from_secs_f64(1_800_000_000.0 + s)
    }

    fn geo(lat: f64) -> GeoPoint {
        GeoPoint {
            lat_deg: lat,
            lon_deg: -109.95,
            alt_hae_m: 1400.0,
        }
    }

    fn rid(
        uas: &str,
        time: Timestamp,
        op: Option<GeoPoint>,
        take_off: Option<GeoPoint>,
    ) -> Observation {
        Observation {
            sensor_id: SensorId("rid-1".into()),
            time,
            measurement: Measurement::position(geo(31.34), 5.0, 8.0),
            identity: Some(Identity::RemoteId(uas.into())),
            class_hint: None,
            side: SideFacts {
                operator_position: op,
                take_off_position: take_off,
                ..Default::default()
            },
        }
    }

    fn track(id: u64, uas: Option<&str>, status: TrackStatus, time: Timestamp) -> Track {
        Track {
            id: TrackId(id),
            status,
            time,
            first_seen: time,
            position: geo(31.34),
            position_enu: Enu::new(0.0, 0.0, 0.0),
            velocity_enu_mps: [0.0; 3],
            sigma_horizontal_m: 5.0,
            hits: 3,
            identity: uas.map(|u| Identity::RemoteId(u.into())),
            class_hint: None,
            sensors: vec![],
            operator_position: None,
            callsign: None,
            take_off_position: None,
            other_identities: vec![],
            spoof: None,
        }
    }

    #[test]
    fn an_entity_is_built_linked_and_published_once_its_aircraft_is_confirmed() {
        let mut b = OperatorBook::default();
        b.observe(&[
            rid("SER1", t(0.0), Some(geo(31.30)), None),
            rid("SER1", t(1.0), Some(geo(31.301)), Some(geo(31.29))),
            // Not a Remote ID aircraft's operator: ignored.
            rid("SER2", t(1.0), None, None),
        ]);
        // Not linked yet: nothing published.
        assert_eq!(b.take_changes(), OperatorChanges::default());
        b.link(
            &[track(7, Some("SER1"), TrackStatus::Tentative, t(1.0))],
            t(1.0),
        );
        assert!(b.take_changes().updated.is_empty());
        b.link(
            &[track(7, Some("SER1"), TrackStatus::Confirmed, t(2.0))],
            t(2.0),
        );
        let c = b.take_changes();
        assert_eq!(c.updated.len(), 1);
        let e = &c.updated[0];
        assert_eq!(e.uas_id, "SER1");
        assert_eq!(e.aircraft_track_id, Some(TrackId(7)));
        assert!(e.aircraft_live);
        assert_eq!(e.positions.len(), 2);
        assert_eq!(e.position(), Some(&geo(31.301)));
        assert_eq!(e.positions[0].sensor_id.0, "rid-1");
        assert_eq!(e.take_off, Some(geo(31.29)));
        assert_eq!((e.first_seen, e.last_seen), (t(0.0), t(1.0)));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn the_history_is_bounded_and_a_still_pilot_does_not_flood_it() {
        let mut b = OperatorBook::default();
        // Standing still, reporting at 1 Hz: one fix per 10 s.
        let still: Vec<_> = (0..100)
            .map(|i| rid("S", t(f64::from(i)), Some(geo(31.30)), None))
            .collect();
        b.observe(&still);
        b.link(
            &[track(1, Some("S"), TrackStatus::Confirmed, t(100.0))],
            t(100.0),
        );
        let e = b.take_changes().updated.remove(0);
        assert_eq!(e.positions.len(), 10);
        assert_eq!(e.last_seen, t(99.0));
        // Walking: every report is a fix, and only the latest 256 are kept.
        let walking: Vec<_> = (0..1000)
            .map(|i| {
                rid(
                    "S",
                    t(200.0 + f64::from(i)),
                    Some(geo(31.30 + 1e-4 * f64::from(i))),
                    None,
                )
            })
            .collect();
        b.observe(&walking);
        let e = b.take_changes().updated.remove(0);
        assert_eq!(e.positions.len(), MAX_OPERATOR_FIXES);
        assert_eq!(e.positions.back().unwrap().time, t(1199.0));
        assert_eq!(e.positions.front().unwrap().time, t(1199.0 - 255.0));
    }

    #[test]
    fn entities_outlive_their_aircraft_by_the_grace_period_then_expire() {
        let mut b = OperatorBook::default();
        b.observe(&[rid("S", t(0.0), Some(geo(31.30)), None)]);
        b.link(
            &[track(3, Some("S"), TrackStatus::Confirmed, t(0.5))],
            t(0.5),
        );
        // While the aircraft lives, silence does not expire its operator.
        b.expire(t(5_000.0));
        assert_eq!(b.len(), 1);
        b.take_changes();
        b.link(
            &[track(3, Some("S"), TrackStatus::Deleted, t(5_000.0))],
            t(5_000.0),
        );
        let e = b.take_changes().updated.remove(0);
        assert!(!e.aircraft_live);
        assert_eq!(e.aircraft_ended, Some(t(5_000.0)));
        b.expire(t(5_000.0 + OPERATOR_GRACE_S - 1.0));
        assert_eq!(b.len(), 1, "still within the grace period");
        b.expire(t(5_000.0 + OPERATOR_GRACE_S + 1.0));
        assert_eq!(b.len(), 0);
        assert_eq!(b.take_changes().removed, vec!["S".to_string()]);
        // Never linked: forgotten a grace period after its last report.
        b.observe(&[rid("U", t(6_000.0), Some(geo(31.30)), None)]);
        b.expire(t(6_000.0 + OPERATOR_GRACE_S + 1.0));
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn a_track_taking_another_identity_ends_the_link() {
        let mut b = OperatorBook::default();
        b.observe(&[rid("A", t(0.0), Some(geo(31.30)), None)]);
        b.link(
            &[track(3, Some("A"), TrackStatus::Confirmed, t(0.5))],
            t(0.5),
        );
        b.link(
            &[track(3, Some("B"), TrackStatus::Confirmed, t(1.0))],
            t(1.0),
        );
        let e = b.take_changes().updated.remove(0);
        assert_eq!(e.aircraft_track_id, Some(TrackId(3)));
        assert!(!e.aircraft_live);
        assert_eq!(e.aircraft_ended, Some(t(1.0)));
    }

    #[test]
    fn the_entity_count_is_capped_dropping_the_least_recently_heard() {
        let mut b = OperatorBook::default();
        let obs: Vec<_> = (0..MAX_OPERATOR_ENTITIES + 10)
            .map(|i| rid(&format!("S{i:05}"), t(i as f64), Some(geo(31.30)), None))
            .collect();
        b.observe(&obs);
        assert_eq!(b.len(), MAX_OPERATOR_ENTITIES);
        let c = b.take_changes();
        assert_eq!(c.removed.len(), 10);
        assert_eq!(c.removed[0], "S00000");
        assert!(b
            .by_uas
            .contains_key(&format!("S{:05}", MAX_OPERATOR_ENTITIES + 9)));
    }
}
