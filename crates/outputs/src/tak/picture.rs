//! What TAK should be showing, and what must be sent to get it there.
//!
//! Pure bookkeeping (no sockets, no clock: `now` is an argument). The adapter feeds it every
//! pipeline event as it arrives — which never blocks, so a slow TAK peer cannot stall the
//! alerting stage — and the connection takes a batch of CoT events whenever it can write.
//! Track updates coalesce (only the latest position of a track waits to be sent); alert
//! lifecycle steps, stale-outs and chat lines queue in order.
//!
//! A GeoChat line goes to the unit's device when an alert is raised, changes level,
//! is acknowledged and is cleared. Other updates (closer, sooner) only refresh the marker,
//! whose remarks carry the current text: assessment may update an alert every few seconds,
//! and a phone that chimes that often gets muted.

use picket_core::{
    AlertEvent, AlertId, AlertState, ThreatLevel, Timestamp, TrackId, TrackStatus, UnitId,
};
use picket_cot::picket::{
    encode_alert_chat, encode_alert_marker, encode_operator, encode_takeoff, encode_track,
    encode_track_ended, stale_out, track_cot_type,
};
use picket_cot::{CotEvent, CotProfile, Recipient, TrackReport};
use picket_pipeline::{Event, SiteModel, TrackView};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// What a CoT event is, for the sent-events counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// A track position.
    Track,
    /// A track's operator (pilot) point.
    Operator,
    /// A track's take-off point.
    TakeOff,
    /// An alert marker (`b-a-g`), first sent or re-sent.
    Alert,
    /// An alert cancel (`b-a-o-can`).
    Cancel,
    /// A GeoChat line.
    Chat,
    /// The stale-out of an ended track or of its operator or take-off point.
    StaleOut,
    /// Picket's own presence.
    Presence,
}

impl Kind {
    pub(crate) const ALL: [Kind; 8] = [
        Kind::Track,
        Kind::Operator,
        Kind::TakeOff,
        Kind::Alert,
        Kind::Cancel,
        Kind::Chat,
        Kind::StaleOut,
        Kind::Presence,
    ];
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Operator => "operator",
            Kind::TakeOff => "takeoff",
            Kind::Alert => "alert",
            Kind::Cancel => "cancel",
            Kind::Chat => "chat",
            Kind::StaleOut => "stale_out",
            Kind::Presence => "presence",
        }
    }
}

/// One CoT event ready to encode.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outgoing {
    pub kind: Kind,
    pub event: CotEvent,
}

/// A step that must be sent once, in order (re-queued when a connection fails under it).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Oneshot {
    Chat {
        alert: Box<AlertEvent>,
        unit_name: String,
        recipient: Recipient,
    },
    Cancel {
        alert: Box<AlertEvent>,
        unit_name: String,
        recipients: Vec<Recipient>,
    },
    TrackEnded {
        view: Box<TrackView>,
        level: ThreatLevel,
        /// The linked points last sent (operator, take-off), staled out with the track.
        linked: Vec<CotEvent>,
    },
}

/// Of the update period: the spacing after which a track's fresh update is sent at once.
const FRESH_FRACTION: f64 = 0.75;

/// What one [`Picture::take`] hands the connection.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// The events, in sending order.
    pub out: Vec<Outgoing>,
    /// The one-shot steps among them, to give back with [`Picture::requeue`] if the write fails.
    pub oneshots: Vec<Oneshot>,
    /// Something due did not fit: take again at once.
    pub more: bool,
}

struct UnitInfo {
    name: String,
    callsign: Option<String>,
    device_uid: Option<String>,
}

struct TrackSlot {
    view: TrackView,
    dirty: bool,
    sent_type: Option<String>,
    last_sent: Option<Timestamp>,
    operator: Option<CotEvent>,
    takeoff: Option<CotEvent>,
}

struct AlertSlot {
    alert: AlertEvent,
    dirty: bool,
    last_sent: Option<Timestamp>,
}

/// The TAK picture of one output.
pub(crate) struct Picture {
    profile: CotProfile,
    update_period_s: f64,
    resend_alert_s: f64,
    units: HashMap<UnitId, UnitInfo>,
    /// Device uids learned from SA on the connection, by callsign (units' callsigns only).
    learned: HashMap<String, String>,
    tracks: BTreeMap<TrackId, TrackSlot>,
    alerts: BTreeMap<AlertId, AlertSlot>,
    oneshots: VecDeque<Oneshot>,
    max_oneshots: usize,
    dropped: u64,
    unaddressed: u64,
    finishing: bool,
}

impl Picture {
    /// A picture for `site`; `device_uids` are units' TAK device uids known from the config.
    pub(crate) fn new(
        profile: CotProfile,
        update_period_s: f64,
        site: &SiteModel,
        device_uids: &[(UnitId, String)],
    ) -> Self {
        let units = site
            .units
            .iter()
            .map(|u| {
                let device_uid = device_uids
                    .iter()
                    .find(|(id, _)| id == &u.id)
                    .map(|(_, uid)| uid.clone());
                (
                    u.id.clone(),
                    UnitInfo {
                        name: u.name.clone(),
                        callsign: u
                            .callsign
                            .as_deref()
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned),
                        device_uid,
                    },
                )
            })
            .collect();
        // Re-send markers at a third of their stale time, so one lost re-send never lets a
        // live alert vanish from a device.
        let resend_alert_s = profile.alert_stale().as_secs_f64() / 3.0;
        Picture {
            profile,
            update_period_s,
            resend_alert_s,
            units,
            learned: HashMap::new(),
            tracks: BTreeMap::new(),
            alerts: BTreeMap::new(),
            oneshots: VecDeque::new(),
            max_oneshots: 10_000,
            dropped: 0,
            unaddressed: 0,
            finishing: false,
        }
    }

    pub(crate) fn profile(&self) -> &CotProfile {
        &self.profile
    }

    /// One-shot steps dropped because the queue was full (a long outage), since the start.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Alert events that had nobody to go to (the unit has no callsign), since the start.
    pub(crate) fn unaddressed(&self) -> u64 {
        self.unaddressed
    }

    /// The current alert level of a track: the highest of its active alerts, info without.
    pub(crate) fn level(&self, track: TrackId) -> ThreatLevel {
        self.alerts
            .values()
            .filter(|a| a.alert.track_id == track)
            .map(|a| a.alert.level)
            .max()
            .unwrap_or(ThreatLevel::Info)
    }

    fn recipients(&self, unit: &UnitId) -> Vec<Recipient> {
        let Some(u) = self.units.get(unit) else {
            return Vec::new();
        };
        let Some(cs) = &u.callsign else {
            return Vec::new();
        };
        let uid = u
            .device_uid
            .clone()
            .or_else(|| self.learned.get(cs).cloned());
        vec![Recipient {
            callsign: cs.clone(),
            uid,
        }]
    }

    fn unit_name(&self, unit: &UnitId) -> String {
        self.units
            .get(unit)
            .map_or_else(|| unit.0.clone(), |u| u.name.clone())
    }

    /// Remembers the device uid behind a unit's callsign (from the device's own SA).
    /// Callsigns of no unit are ignored, so the map stays as small as the site.
    pub(crate) fn learn_device(&mut self, callsign: &str, uid: &str) {
        let callsign = callsign.trim();
        let uid = uid.trim();
        if uid.is_empty() || uid.len() > 256 {
            return;
        }
        if self
            .units
            .values()
            .any(|u| u.callsign.as_deref() == Some(callsign))
        {
            self.learned.insert(callsign.to_owned(), uid.to_owned());
        }
    }

    /// The unit a device belongs to, by the uid the server relayed its message under: the
    /// uid configured for the unit (`tak_uid`), or the uid whose SA, relayed by the server,
    /// carried the unit's callsign. A callsign alone proves nothing (anyone can claim one).
    pub(crate) fn unit_of_device(&self, uid: &str) -> Option<(UnitId, String)> {
        let uid = uid.trim();
        if uid.is_empty() {
            return None;
        }
        self.units
            .iter()
            .filter_map(|(id, u)| Some((id, u, u.callsign.as_ref()?)))
            // A configured uid is the only one of its unit: SA claiming the callsign from
            // another device must not take the unit over.
            .find(|(_, u, cs)| match &u.device_uid {
                Some(d) => d == uid,
                None => self.learned.get(cs.as_str()).map(String::as_str) == Some(uid),
            })
            .map(|(id, _, cs)| (id.clone(), cs.clone()))
    }

    fn push_oneshot(&mut self, o: Oneshot) {
        if self.oneshots.len() >= self.max_oneshots {
            self.oneshots.pop_front();
            self.dropped += 1;
        }
        self.oneshots.push_back(o);
    }

    /// Takes in one pipeline event.
    pub(crate) fn apply(&mut self, event: &Event) {
        match event {
            Event::Tracks { tracks, .. } => {
                for v in tracks {
                    self.apply_track(v);
                }
            }
            Event::Alert(a) => self.apply_alert(a),
            Event::Units { .. } | Event::Sensor { .. } | Event::Clock { .. } => {}
        }
    }

    fn apply_track(&mut self, v: &TrackView) {
        if v.track.status == TrackStatus::Deleted {
            if let Some(slot) = self.tracks.remove(&v.track.id) {
                let level = self.level(v.track.id);
                // A track never sent needs no stale-out: no device holds it.
                if slot.sent_type.is_some() {
                    let mut view = v.clone();
                    // The deletion carries the last estimate; keep the label it was shown with.
                    view.class = slot.view.class;
                    view.dark = slot.view.dark;
                    self.push_oneshot(Oneshot::TrackEnded {
                        view: Box::new(view),
                        level,
                        linked: slot.operator.into_iter().chain(slot.takeoff).collect(),
                    });
                }
            }
            return;
        }
        match self.tracks.get_mut(&v.track.id) {
            Some(slot) => {
                slot.view = v.clone();
                slot.dirty = true;
            }
            None => {
                self.tracks.insert(
                    v.track.id,
                    TrackSlot {
                        view: v.clone(),
                        dirty: true,
                        sent_type: None,
                        last_sent: None,
                        operator: None,
                        takeoff: None,
                    },
                );
            }
        }
    }

    fn apply_alert(&mut self, a: &AlertEvent) {
        let recipients = self.recipients(&a.unit_id);
        let unit_name = self.unit_name(&a.unit_id);
        if recipients.is_empty() {
            // Sending it without <marti><dest> would broadcast it to everyone.
            self.unaddressed += 1;
        }
        let level_before = self.alerts.get(&a.alert_id).map(|s| s.alert.level);
        if a.state == AlertState::Cleared {
            self.alerts.remove(&a.alert_id);
            if !recipients.is_empty() {
                self.push_oneshot(Oneshot::Cancel {
                    alert: Box::new(a.clone()),
                    unit_name: unit_name.clone(),
                    recipients: recipients.clone(),
                });
            }
        }
        let chat = match a.state {
            AlertState::Updated => level_before != Some(a.level),
            AlertState::Raised | AlertState::Acknowledged | AlertState::Cleared => true,
        };
        if a.state != AlertState::Cleared {
            let last_sent = self.alerts.get(&a.alert_id).and_then(|s| s.last_sent);
            self.alerts.insert(
                a.alert_id,
                AlertSlot {
                    alert: a.clone(),
                    dirty: true,
                    last_sent,
                },
            );
        }
        let chatty = recipients.into_iter().filter(|r| chat && r.uid.is_some());
        for r in chatty {
            self.push_oneshot(Oneshot::Chat {
                alert: Box::new(a.clone()),
                unit_name: unit_name.clone(),
                recipient: r,
            });
        }
        // The track's type follows its level: a change goes out at the next take. No change:
        // nothing to re-send (re-sending the last position would use up the track's update
        // period just before its next position arrives, and hold that one back a period).
        let level = self.level(a.track_id);
        if let Some(slot) = self.tracks.get_mut(&a.track_id) {
            let cot_type = track_cot_type(slot.view.class, level, slot.view.dark);
            if slot.sent_type.as_deref() != Some(cot_type.as_str()) {
                slot.dirty = true;
            }
        }
    }

    /// Everything on the picture is sent again (a new connection: the server or devices may
    /// have lost it).
    pub(crate) fn resend_all(&mut self) {
        for s in self.tracks.values_mut() {
            s.dirty = true;
            s.last_sent = None;
        }
        for a in self.alerts.values_mut() {
            a.dirty = true;
            a.last_sent = None;
        }
    }

    /// From now on nothing is held back for pacing: the pipeline has ended.
    pub(crate) fn finish(&mut self) {
        self.finishing = true;
    }

    pub(crate) fn is_finishing(&self) -> bool {
        self.finishing
    }

    /// True when nothing waits to be sent.
    pub(crate) fn is_idle(&self) -> bool {
        self.oneshots.is_empty()
            && !self.tracks.values().any(|s| s.dirty)
            && !self.alerts.values().any(|a| a.dirty)
    }

    /// Gives back one-shot steps a failed write did not deliver (ahead of newer ones).
    pub(crate) fn requeue(&mut self, oneshots: Vec<Oneshot>) {
        for o in oneshots.into_iter().rev() {
            self.oneshots.push_front(o);
        }
        while self.oneshots.len() > self.max_oneshots {
            self.oneshots.pop_back();
            self.dropped += 1;
        }
    }

    /// What to send at wall time `now`, at most about `max` events, most urgent first:
    /// tracks whose type changed (an escalation is news), alert markers due (new, changed,
    /// or a third of their stale time old), the one-shot steps in order (cancels, chat
    /// lines, stale-outs), then routine track positions (at most once per update period).
    /// [`Batch::more`] says something due was left for the next take.
    pub(crate) fn take(&mut self, now: Timestamp, max: usize) -> Batch {
        let mut batch = Batch::default();
        // Once per take, not per track: tracks × alerts would grow quadratically.
        let mut levels: HashMap<TrackId, ThreatLevel> = HashMap::new();
        for a in self.alerts.values() {
            let l = levels.entry(a.alert.track_id).or_insert(a.alert.level);
            *l = (*l).max(a.alert.level);
        }
        self.take_tracks(now, &levels, true, max, &mut batch);

        let resend = self.resend_alert_s;
        let mut markers = Vec::new();
        for slot in self.alerts.values_mut() {
            let due = slot.dirty
                || slot
                    .last_sent
                    .is_none_or(|t| now.seconds_since(t) >= resend);
            if due {
                slot.dirty = false;
                slot.last_sent = Some(now);
                markers.push(slot.alert.clone());
            }
        }
        for a in markers {
            let recipients = self.recipients(&a.unit_id);
            let name = self.unit_name(&a.unit_id);
            if let Some(m) = encode_alert_marker(&self.profile, &a, &name, &recipients, now) {
                batch.out.push(Outgoing {
                    kind: Kind::Alert,
                    event: m,
                });
            }
        }
        while batch.out.len() < max {
            let Some(o) = self.oneshots.pop_front() else {
                break;
            };
            self.encode_oneshot(&o, now, &mut batch);
            batch.oneshots.push(o);
        }
        if !self.oneshots.is_empty() {
            batch.more = true;
        }
        self.take_tracks(now, &levels, false, max, &mut batch);
        batch
    }

    /// Due tracks into `batch`: with `changed_only`, those whose type changed (never
    /// capped: as many as alerts changed); otherwise routine updates up to `max` in all.
    fn take_tracks(
        &mut self,
        now: Timestamp,
        levels: &HashMap<TrackId, ThreatLevel>,
        changed_only: bool,
        max: usize,
        batch: &mut Batch,
    ) {
        for (id, slot) in self.tracks.iter_mut() {
            if !slot.dirty {
                continue;
            }
            let level = levels.get(id).copied().unwrap_or(ThreatLevel::Info);
            let cot_type = track_cot_type(slot.view.class, level, slot.view.dark);
            let type_changed = slot.sent_type.as_deref() != Some(cot_type.as_str());
            // A fresh update in the last quarter of the period goes at once: waiting for the
            // period's end would send it older (and a scan that comes a little early would
            // wait almost a whole period). A held one goes when the period ends.
            let period_over = slot
                .last_sent
                .is_none_or(|t| now.seconds_since(t) >= FRESH_FRACTION * self.update_period_s);
            let due = if changed_only {
                type_changed && slot.sent_type.is_some()
            } else {
                type_changed || period_over || self.finishing
            };
            if !due {
                continue;
            }
            if !changed_only && batch.out.len() >= max {
                batch.more = true;
                return;
            }
            let report = TrackReport::new(&slot.view.track, slot.view.class, slot.view.dark, level);
            batch.out.push(Outgoing {
                kind: Kind::Track,
                event: encode_track(&self.profile, &report, now),
            });
            if let Some(op) = encode_operator(&self.profile, &report, now) {
                slot.operator = Some(op.clone());
                batch.out.push(Outgoing {
                    kind: Kind::Operator,
                    event: op,
                });
            }
            // Where it took off (Remote ID): its own point, linked, staling with the track.
            if let Some(to) = &slot.view.track.take_off_position {
                let ev = encode_takeoff(&self.profile, &report, to, now);
                slot.takeoff = Some(ev.clone());
                batch.out.push(Outgoing {
                    kind: Kind::TakeOff,
                    event: ev,
                });
            }
            slot.dirty = false;
            slot.sent_type = Some(cot_type);
            slot.last_sent = Some(now);
        }
    }

    fn encode_oneshot(&self, o: &Oneshot, now: Timestamp, batch: &mut Batch) {
        match o {
            Oneshot::Chat {
                alert,
                unit_name,
                recipient,
            } => {
                if let Some(ev) = encode_alert_chat(&self.profile, alert, unit_name, recipient, now)
                {
                    batch.out.push(Outgoing {
                        kind: Kind::Chat,
                        event: ev,
                    });
                }
            }
            Oneshot::Cancel {
                alert,
                unit_name,
                recipients,
            } => {
                if let Some(ev) =
                    encode_alert_marker(&self.profile, alert, unit_name, recipients, now)
                {
                    batch.out.push(Outgoing {
                        kind: Kind::Cancel,
                        event: ev,
                    });
                }
            }
            Oneshot::TrackEnded {
                view,
                level,
                linked,
            } => {
                let report = TrackReport::new(&view.track, view.class, view.dark, *level);
                batch.out.push(Outgoing {
                    kind: Kind::StaleOut,
                    event: encode_track_ended(&self.profile, &report, now),
                });
                for ev in linked {
                    batch.out.push(Outgoing {
                        kind: Kind::StaleOut,
                        event: stale_out(ev, now),
                    });
                }
            }
        }
    }

    /// The earliest wall time at which a throttled track or an alert re-send falls due
    /// (`None` when nothing is waiting on time).
    pub(crate) fn next_due(&self) -> Option<Timestamp> {
        let tracks = self
            .tracks
            .values()
            .filter(|s| s.dirty)
            .filter_map(|s| s.last_sent.map(|t| t.plus_secs_f64(self.update_period_s)));
        let alerts = self
            .alerts
            .values()
            .filter_map(|a| a.last_sent.map(|t| t.plus_secs_f64(self.resend_alert_s)));
        tracks.chain(alerts).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use picket_core::{
        AlertId, GeoPoint, LocalFrame, ProtectedUnit, TargetClass, Track, TrackId, UnitGeometry,
        UnitKind,
    };
    use std::time::Duration;

    fn t(s: f64) -> Timestamp {
        Timestamp::from_micros(1_790_000_000_000_000).plus_secs_f64(s)
    }

    fn site() -> SiteModel {
        let origin = GeoPoint::new(31.345, -109.948, 1400.0);
        SiteModel {
            name: "naco".into(),
            frame: LocalFrame::new(origin),
            units: vec![
                ProtectedUnit {
                    id: "post-alpha".into(),
                    name: "Post Alpha".into(),
                    sector: "naco".into(),
                    callsign: Some("ALPHA".into()),
                    kind: UnitKind::Fixed {
                        geometry: UnitGeometry::Circle {
                            center: origin,
                            radius_m: 300.0,
                        },
                    },
                },
                ProtectedUnit {
                    id: "post-quiet".into(),
                    name: "Post Quiet".into(),
                    sector: "naco".into(),
                    callsign: None,
                    kind: UnitKind::Fixed {
                        geometry: UnitGeometry::Circle {
                            center: origin,
                            radius_m: 300.0,
                        },
                    },
                },
            ],
            zones: vec![],
            sensors: vec![],
        }
    }

    /// As the output makes it: alert uids tagged with the run's secret.
    fn picture() -> Picture {
        let p = CotProfile::new("naco", Duration::from_secs(1))
            .unwrap()
            .with_alert_secret(*b"picture-test-key");
        Picture::new(p, 1.0, &site(), &[])
    }

    /// The tagged marker uid of alert `id` (checked to be of the tagged form).
    fn au(p: &Picture, id: u64) -> String {
        let uid = p.profile().alert_uid(AlertId(id));
        let tag = uid
            .strip_prefix(&format!("picket-naco-A{id}-"))
            .unwrap_or_else(|| panic!("untagged: {uid}"));
        assert_eq!(tag.len(), picket_cot::picket::ALERT_TAG_HEX, "{uid}");
        uid
    }

    fn view(id: u64, status: TrackStatus, east_m: f64) -> TrackView {
        let frame = site().frame;
        let enu = picket_core::Enu::new(east_m, -800.0, 100.0);
        TrackView {
            track: Track {
                id: TrackId(id),
                status,
                time: t(0.0),
                first_seen: t(0.0),
                position: frame.to_geo(&enu),
                position_enu: enu,
                velocity_enu_mps: [0.0, 15.0, 0.0],
                sigma_horizontal_m: 6.0,
                hits: 10,
                identity: None,
                class_hint: None,
                sensors: vec![],
                operator_position: None,
                callsign: None,
                other_identities: Vec::new(),
                spoof: None,
                take_off_position: None,
            },
            class: TargetClass::Drone,
            dark: true,
            reasons: Vec::new(),
        }
    }

    fn tracks(v: Vec<TrackView>) -> Event {
        Event::Tracks {
            time: t(0.0),
            tracks: v,
        }
    }

    fn alert(id: u64, track: u64, unit: &str, state: AlertState, level: ThreatLevel) -> Event {
        Event::Alert(AlertEvent {
            alert_id: AlertId(id),
            state,
            unit_id: unit.into(),
            track_id: TrackId(track),
            level,
            time: t(0.0),
            raised_time: t(0.0),
            position: GeoPoint::new(31.34, -109.95, 1500.0),
            target_class: TargetClass::Drone,
            dark: true,
            range_m: 900.0,
            bearing_deg: 180.0,
            closing_speed_mps: 15.0,
            closest_approach_m: 0.0,
            time_to_closest_approach_s: 60.0,
            reasons: vec!["dark drone".into()],
            acknowledged_by: None,
            cleared_reason: None,
        })
    }

    fn types(b: &Batch) -> Vec<(Kind, String, String)> {
        b.out
            .iter()
            .map(|o| (o.kind, o.event.uid.clone(), o.event.cot_type.clone()))
            .collect()
    }

    #[test]
    fn track_updates_coalesce_and_are_paced_by_the_update_period() {
        let mut p = picture();
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 0.0)]));
        let b = p.take(t(0.0), 1000);
        assert_eq!(
            types(&b),
            [(Kind::Track, "picket-naco-T1".into(), "a-u-A-M-H-Q".into())]
        );
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 10.0)]));
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 20.0)]));
        assert!(
            p.take(t(0.5), 1000).out.is_empty(),
            "held until the period is over"
        );
        assert!(
            p.take(t(0.74), 1000).out.is_empty(),
            "held until the period is over"
        );
        assert_eq!(p.next_due(), Some(t(1.0)));
        let b = p.take(t(1.0), 1000);
        assert_eq!(b.out.len(), 1, "two updates coalesced into one");
        let east_of = |ev: &CotEvent| {
            site()
                .frame
                .to_enu(&GeoPoint::new(
                    ev.point.lat_deg,
                    ev.point.lon_deg,
                    ev.point.hae_m,
                ))
                .east_m
        };
        assert!(
            (east_of(&b.out[0].event) - 20.0).abs() < 0.5,
            "the latest one"
        );
        assert!(
            p.take(t(5.0), 1000).out.is_empty(),
            "no update, nothing re-sent"
        );
        // An update in the last quarter of the period goes at once, fresh.
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 30.0)]));
        assert_eq!(p.take(t(5.8), 1000).out.len(), 1);
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 40.0)]));
        assert!(p.take(t(6.5), 1000).out.is_empty(), "spaced ≥ ¾ period");
        assert_eq!(
            p.take(t(6.6), 1000).out.len(),
            1,
            "fresh in the last quarter"
        );
    }

    #[test]
    fn type_escalates_at_once_with_the_alert_level_and_falls_back_when_cleared() {
        let mut p = picture();
        p.apply(&tracks(vec![view(7, TrackStatus::Confirmed, 0.0)]));
        p.take(t(0.0), 1000);
        p.apply(&alert(
            3,
            7,
            "post-alpha",
            AlertState::Raised,
            ThreatLevel::Caution,
        ));
        let b = p.take(t(0.1), 1000);
        let ty = types(&b);
        assert_eq!(
            ty[0],
            (Kind::Track, "picket-naco-T7".into(), "a-s-A-M-H-Q".into())
        );
        assert_eq!(ty[1], (Kind::Alert, au(&p, 3), "b-a-g".into()));
        p.apply(&alert(
            3,
            7,
            "post-alpha",
            AlertState::Updated,
            ThreatLevel::Imminent,
        ));
        let b = p.take(t(0.2), 1000);
        assert_eq!(types(&b)[0].2, "a-h-A-M-H-Q", "escalated without waiting");
        p.apply(&alert(
            3,
            7,
            "post-alpha",
            AlertState::Cleared,
            ThreatLevel::Imminent,
        ));
        let ty = types(&p.take(t(0.3), 1000));
        assert_eq!(ty[0].2, "a-u-A-M-H-Q");
        assert_eq!(ty[1], (Kind::Cancel, au(&p, 3), "b-a-o-can".into()));
        assert_eq!(p.level(TrackId(7)), ThreatLevel::Info);
    }

    #[test]
    fn markers_go_to_the_units_callsign_only_and_are_resent_until_cleared() {
        let mut p = picture();
        p.apply(&alert(
            4,
            9,
            "post-alpha",
            AlertState::Raised,
            ThreatLevel::Warning,
        ));
        let b = p.take(t(0.0), 1000);
        let m = &b.out[0].event;
        let marti = m.detail_element("marti").expect("addressed");
        let dests: Vec<_> = marti
            .find_all("dest")
            .filter_map(|d| d.get("callsign"))
            .collect();
        assert_eq!(dests, ["ALPHA"]);
        assert!(
            p.take(t(5.0), 1000).out.is_empty(),
            "not re-sent before a third of its stale time"
        );
        let b = p.take(t(10.0), 1000);
        assert_eq!(types(&b), [(Kind::Alert, au(&p, 4), "b-a-g".into())]);
        p.apply(&alert(
            4,
            9,
            "post-alpha",
            AlertState::Cleared,
            ThreatLevel::Warning,
        ));
        let ty = types(&p.take(t(11.0), 1000));
        assert_eq!(ty, [(Kind::Cancel, au(&p, 4), "b-a-o-can".into())]);
        assert!(
            p.take(t(60.0), 1000).out.is_empty(),
            "never re-sent after the cancel"
        );
    }

    #[test]
    fn marker_resends_chat_lines_and_cancel_all_name_the_same_tagged_uid() {
        let mut p = picture();
        p.learn_device("ALPHA", "ANDROID-1");
        p.apply(&alert(
            4,
            9,
            "post-alpha",
            AlertState::Raised,
            ThreatLevel::Warning,
        ));
        let mut uids = Vec::new();
        let mut message_ids = Vec::new();
        for (s, state) in [
            (0.0, None),
            (10.0, None),
            (11.0, Some(AlertState::Acknowledged)),
            (12.0, Some(AlertState::Cleared)),
        ] {
            if let Some(state) = state {
                p.apply(&alert(4, 9, "post-alpha", state, ThreatLevel::Warning));
            }
            for o in p.take(t(s), 1000).out {
                match o.kind {
                    Kind::Alert | Kind::Cancel => uids.push(o.event.uid),
                    Kind::Chat => message_ids.push(
                        o.event
                            .detail_element("__chat")
                            .and_then(|c| c.get("messageId"))
                            .unwrap()
                            .to_owned(),
                    ),
                    _ => {}
                }
            }
        }
        let uid = au(&p, 4);
        assert_eq!(
            uids,
            vec![uid.clone(); 4],
            "raise, re-send, acknowledged, cancel"
        );
        assert_eq!(p.profile().alert_of_uid(&uid), Some(AlertId(4)));
        assert_eq!(message_ids.len(), 3, "raised, acknowledged, cleared");
        for m in &message_ids {
            assert!(m.starts_with(&format!("{uid}-")), "{m}");
            assert_eq!(p.profile().alert_of_chat_message_id(m), Some(AlertId(4)));
        }
        // Another run (another secret) issues another uid for the same alert id.
        let other = CotProfile::new("naco", Duration::from_secs(1))
            .unwrap()
            .with_alert_secret(*b"another-run-key!");
        assert_ne!(other.alert_uid(AlertId(4)), uid);
        assert_eq!(other.alert_of_uid(&uid), None);
    }

    #[test]
    fn an_alert_for_a_unit_without_callsign_is_not_broadcast() {
        let mut p = picture();
        p.apply(&alert(
            5,
            9,
            "post-quiet",
            AlertState::Raised,
            ThreatLevel::Warning,
        ));
        assert!(p.take(t(0.0), 1000).out.is_empty());
        assert_eq!(p.unaddressed(), 1);
    }

    #[test]
    fn chat_lines_need_the_device_uid_learned_from_its_sa() {
        let mut p = picture();
        p.apply(&alert(
            6,
            9,
            "post-alpha",
            AlertState::Raised,
            ThreatLevel::Warning,
        ));
        assert!(!types(&p.take(t(0.0), 1000))
            .iter()
            .any(|x| x.0 == Kind::Chat));
        p.learn_device("ALPHA", "ANDROID-1234");
        p.learn_device("STRANGER", "ANDROID-9");
        p.apply(&alert(
            6,
            9,
            "post-alpha",
            AlertState::Updated,
            ThreatLevel::Imminent,
        ));
        let b = p.take(t(1.0), 1000);
        let chat = b
            .out
            .iter()
            .find(|o| o.kind == Kind::Chat)
            .expect("a chat line");
        assert!(
            chat.event.uid.contains("ANDROID-1234"),
            "{}",
            chat.event.uid
        );
        assert_eq!(p.learned.len(), 1, "only units' callsigns are remembered");
    }

    #[test]
    fn chat_lines_mark_raise_level_changes_acknowledgement_and_clear_not_every_update() {
        let mut p = picture();
        p.learn_device("ALPHA", "ANDROID-1");
        let steps = [
            (AlertState::Raised, ThreatLevel::Caution, true),
            (AlertState::Updated, ThreatLevel::Caution, false),
            (AlertState::Updated, ThreatLevel::Warning, true),
            (AlertState::Updated, ThreatLevel::Warning, false),
            (AlertState::Acknowledged, ThreatLevel::Warning, true),
            (AlertState::Updated, ThreatLevel::Caution, true),
            (AlertState::Cleared, ThreatLevel::Caution, true),
        ];
        for (i, (state, level, chat)) in steps.into_iter().enumerate() {
            p.apply(&alert(8, 1, "post-alpha", state, level));
            let b = p.take(t(i as f64), 1000);
            let chats = b.out.iter().filter(|o| o.kind == Kind::Chat).count();
            assert_eq!(chats, usize::from(chat), "step {i}: {state:?} {level:?}");
        }
    }

    #[test]
    fn an_ended_track_is_staled_out_once_with_its_operator_point() {
        let mut p = picture();
        let mut v = view(2, TrackStatus::Confirmed, 0.0);
        v.track.operator_position = Some(GeoPoint::new(31.32, -109.95, 1400.0));
        p.apply(&tracks(vec![v]));
        let b = p.take(t(0.0), 1000);
        assert_eq!(b.out.len(), 2, "track and operator point");
        p.apply(&tracks(vec![view(2, TrackStatus::Deleted, 5.0)]));
        let b = p.take(t(0.2), 1000);
        let ty = types(&b);
        assert_eq!(ty.len(), 2);
        assert!(b
            .out
            .iter()
            .all(|o| o.kind == Kind::StaleOut && o.event.stale == o.event.time));
        assert_eq!(ty[1].1, "picket-naco-T2-operator");
        assert!(p.take(t(3.0), 1000).out.is_empty());
        // A track deleted before it was ever sent leaves nothing to stale out.
        p.apply(&tracks(vec![view(3, TrackStatus::Deleted, 0.0)]));
        assert!(p.take(t(4.0), 1000).out.is_empty());
    }

    #[test]
    fn an_alert_update_that_does_not_change_the_type_does_not_hold_back_the_next_position() {
        let mut p = picture();
        p.apply(&tracks(vec![view(5, TrackStatus::Confirmed, 0.0)]));
        p.apply(&alert(
            2,
            5,
            "post-alpha",
            AlertState::Raised,
            ThreatLevel::Warning,
        ));
        let b = p.take(t(0.0), 1000);
        assert!(types(&b).contains(&(Kind::Track, "picket-naco-T5".into(), "a-h-A-M-H-Q".into())));
        // Same level: the marker refreshes, the track is not re-sent.
        p.apply(&alert(
            2,
            5,
            "post-alpha",
            AlertState::Updated,
            ThreatLevel::Warning,
        ));
        let b = p.take(t(1.05), 1000);
        assert!(
            b.out.iter().all(|o| o.kind != Kind::Track),
            "{:?}",
            types(&b)
        );
        // So the next position goes out as soon as it arrives.
        p.apply(&tracks(vec![view(5, TrackStatus::Confirmed, 20.0)]));
        let b = p.take(t(1.06), 1000);
        assert_eq!(b.out.iter().filter(|o| o.kind == Kind::Track).count(), 1);
    }

    #[test]
    fn a_take_off_point_is_its_own_linked_event_and_is_staled_out_with_the_track() {
        let mut p = picture();
        let mut v = view(4, TrackStatus::Confirmed, 0.0);
        let home = GeoPoint::new(31.31, -109.96, 1395.0);
        v.track.take_off_position = Some(home);
        v.track.operator_position = Some(GeoPoint::new(31.32, -109.95, 1400.0));
        p.apply(&tracks(vec![v.clone()]));
        let b = p.take(t(0.0), 1000);
        let ty = types(&b);
        assert_eq!(
            ty,
            [
                (Kind::Track, "picket-naco-T4".into(), "a-u-A-M-H-Q".into()),
                (
                    Kind::Operator,
                    "picket-naco-T4-operator".into(),
                    "a-u-G".into()
                ),
                (
                    Kind::TakeOff,
                    "picket-naco-T4-takeoff".into(),
                    "b-m-p-s-m".into()
                ),
            ]
        );
        let takeoff = &b.out[2].event;
        assert!((takeoff.point.lat_deg - 31.31).abs() < 1e-9);
        let link = takeoff.detail_element("link").expect("linked");
        assert_eq!(link.get("uid"), Some("picket-naco-T4"));
        assert_eq!(link.get("relation"), Some("p-p"));
        assert_eq!(takeoff.stale, b.out[0].event.stale, "stales with the track");
        // The next update of the track carries it again (its stale moves with the track's).
        v.track.position_enu.east_m = 30.0;
        p.apply(&tracks(vec![v]));
        let b = p.take(t(1.0), 1000);
        assert_eq!(b.out.iter().filter(|o| o.kind == Kind::TakeOff).count(), 1);
        p.apply(&tracks(vec![view(4, TrackStatus::Deleted, 5.0)]));
        let b = p.take(t(2.0), 1000);
        let uids: Vec<_> = b.out.iter().map(|o| o.event.uid.as_str()).collect();
        assert_eq!(
            uids,
            [
                "picket-naco-T4",
                "picket-naco-T4-operator",
                "picket-naco-T4-takeoff"
            ]
        );
        assert!(b
            .out
            .iter()
            .all(|o| o.kind == Kind::StaleOut && o.event.stale == o.event.time));
        assert!(p.take(t(3.0), 1000).out.is_empty());
    }

    #[test]
    fn a_failed_write_gives_oneshots_back_in_order_and_a_reconnect_resends_the_picture() {
        let mut p = picture();
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 0.0)]));
        p.apply(&alert(
            1,
            1,
            "post-alpha",
            AlertState::Raised,
            ThreatLevel::Warning,
        ));
        p.take(t(0.0), 1000);
        p.apply(&alert(
            1,
            1,
            "post-alpha",
            AlertState::Cleared,
            ThreatLevel::Warning,
        ));
        let b = p.take(t(0.1), 1000);
        assert!(p.is_idle());
        p.requeue(b.oneshots);
        p.resend_all();
        let ty = types(&p.take(t(0.2), 1000));
        assert!(ty.contains(&(Kind::Track, "picket-naco-T1".into(), "a-u-A-M-H-Q".into())));
        assert!(ty.contains(&(Kind::Cancel, au(&p, 1), "b-a-o-can".into())));
    }

    #[test]
    fn a_big_batch_is_capped_and_alerts_go_before_routine_positions() {
        let mut p = picture();
        p.apply(&tracks(
            (1..=50)
                .map(|i| view(i, TrackStatus::Confirmed, i as f64))
                .collect(),
        ));
        p.apply(&alert(
            9,
            1,
            "post-alpha",
            AlertState::Raised,
            ThreatLevel::Warning,
        ));
        let b = p.take(t(0.0), 10);
        assert!(b.more, "more is due");
        assert_eq!(b.out[0].kind, Kind::Alert, "the alert first");
        assert_eq!(b.out.len(), 10);
        let mut sent = b.out.len();
        loop {
            let b = p.take(t(0.0), 10);
            sent += b.out.len();
            if !b.more {
                break;
            }
        }
        assert_eq!(sent, 51, "every track once, and the alert");
        assert!(p.is_idle());
    }

    #[test]
    fn finishing_flushes_held_updates() {
        let mut p = picture();
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 0.0)]));
        p.take(t(0.0), 1000);
        p.apply(&tracks(vec![view(1, TrackStatus::Confirmed, 5.0)]));
        assert!(!p.is_idle());
        p.finish();
        assert_eq!(p.take(t(0.1), 1000).out.len(), 1);
        assert!(p.is_idle());
    }

    #[test]
    fn a_device_is_a_units_by_its_configured_or_learned_uid_never_by_callsign_alone() {
        let p = CotProfile::new("naco", Duration::from_secs(1)).unwrap();
        let mut pic = Picture::new(
            p,
            1.0,
            &site(),
            &[("post-alpha".into(), "ANDROID-CFG".into())],
        );
        assert_eq!(
            pic.unit_of_device("ANDROID-CFG"),
            Some(("post-alpha".into(), "ALPHA".into()))
        );
        assert_eq!(pic.unit_of_device("ANDROID-OTHER"), None);
        pic.learn_device("ALPHA", "ANDROID-OTHER");
        assert_eq!(
            pic.unit_of_device("ANDROID-OTHER"),
            None,
            "SA claiming the callsign does not displace the configured uid"
        );
        let mut pic = picture();
        pic.learn_device("ALPHA", "ANDROID-OTHER");
        assert_eq!(
            pic.unit_of_device("ANDROID-OTHER").map(|u| u.0),
            Some("post-alpha".into()),
            "without a configured uid, the one whose SA the server relayed"
        );
        assert_eq!(pic.unit_of_device(""), None);
        assert_eq!(pic.unit_of_device("ANDROID-STRANGER"), None);
    }

    #[test]
    fn a_full_oneshot_queue_drops_the_oldest_and_counts_it() {
        let mut p = picture();
        p.max_oneshots = 2;
        p.learn_device("ALPHA", "ANDROID-1");
        for i in 0..3 {
            p.apply(&alert(
                i,
                1,
                "post-alpha",
                AlertState::Raised,
                ThreatLevel::Warning,
            ));
        }
        assert_eq!(p.dropped(), 1);
        assert_eq!(p.oneshots.len(), 2);
    }
}
