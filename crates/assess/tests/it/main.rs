//! Integration tests of picket-assess: one binary, one module per behaviour.

mod acknowledge;
mod awareness;
mod border;
mod circling;
mod classes;
mod clutter;
mod cpa;
mod determinism;
mod dive;
mod hostile;
mod hysteresis;
mod lifecycle;
mod moving;
mod rate_cap;
mod revert;
mod scenario;
mod tidy;

use picket_assess::{AlertManager, AssessConfig, Assessor, Site, Threat};
use picket_core::{
    AlertEvent, AlertState, ClassHint, Enu, GeoPoint, Identity, LocalFrame, ProtectedUnit,
    TargetClass, ThreatLevel, Timestamp, Track, TrackId, TrackStatus, UnitGeometry, UnitId,
    UnitKind, UnitPosition, Zone, ZoneGeometry, ZoneKind,
};
use std::time::Duration;

/// Site origin: just north of the border at Naco, Arizona.
pub fn frame() -> LocalFrame {
    LocalFrame::new(GeoPoint::new(31.345, -109.95, 1_400.0))
}

pub const POST: &str = "post-alpha";
pub const PATROL: &str = "patrol-1";

/// Post Alpha (radius 300 m) at the origin, Patrol 1 (radius 400 m, stale after 30 s), and
/// the US–Mexico border along 31.3333°N with the US to the north.
pub fn site() -> Site {
    let f = frame();
    Site {
        frame: f,
        units: vec![
            ProtectedUnit {
                id: POST.into(),
                name: "Post Alpha".into(),
                sector: "naco".into(),
                callsign: None,
                kind: UnitKind::Fixed {
                    geometry: UnitGeometry::Circle {
                        center: f.origin(),
                        radius_m: 300.0,
                    },
                },
            },
            ProtectedUnit {
                id: PATROL.into(),
                name: "Patrol 1".into(),
                sector: "naco".into(),
                callsign: Some("BRAVO-1".into()),
                kind: UnitKind::Moving {
                    radius_m: 400.0,
                    stale_after: Duration::from_secs(30),
                },
            },
        ],
        zones: vec![Zone {
            id: "border".into(),
            name: "US–Mexico border".into(),
            kind: ZoneKind::Border,
            geometry: ZoneGeometry::Line {
                points: vec![
                    GeoPoint::new(31.3333, -110.05, 1_400.0),
                    GeoPoint::new(31.3333, -109.85, 1_400.0),
                ],
            },
            home_side: Some(GeoPoint::new(31.36, -109.95, 1_400.0)),
        }],
    }
}

/// A site with only Post Alpha (so a patrol never gets in the way).
pub fn post_only_site() -> Site {
    let mut s = site();
    s.units.truncate(1);
    s
}

pub fn t(s: f64) -> Timestamp {
    Timestamp::from_secs_f64(1_800_000_000.0 + s)
}

/// What a target is, as fusion would report it.
#[derive(Clone, Debug, Default)]
pub struct Kind {
    pub identity: Option<Identity>,
    pub hint: Option<ClassHint>,
    pub operator: Option<GeoPoint>,
}

impl Kind {
    pub fn dark_drone() -> Self {
        Kind {
            hint: Some(ClassHint {
                class: TargetClass::Drone,
                confidence: 0.7,
            }),
            ..Kind::default()
        }
    }
    pub fn remote_id(serial: &str) -> Self {
        Kind {
            identity: Some(Identity::RemoteId(serial.into())),
            ..Kind::default()
        }
    }
    pub fn bird() -> Self {
        Kind {
            hint: Some(ClassHint {
                class: TargetClass::Bird,
                confidence: 0.8,
            }),
            ..Kind::default()
        }
    }
    pub fn unknown() -> Self {
        Kind::default()
    }
}

/// A confirmed track snapshot at `time_s` at ENU `pos` moving at ENU `vel`.
pub fn track(id: u64, time_s: f64, pos: [f64; 3], vel: [f64; 3], kind: &Kind) -> Track {
    let f = frame();
    let enu = Enu::new(pos[0], pos[1], pos[2]);
    Track {
        id: TrackId(id),
        status: TrackStatus::Confirmed,
        time: t(time_s),
        first_seen: t(0.0),
        position: f.to_geo(&enu),
        position_enu: enu,
        velocity_enu_mps: vel,
        sigma_horizontal_m: 5.0,
        hits: 10,
        identity: kind.identity.clone(),
        class_hint: kind.hint,
        sensors: vec!["radar-1".into()],
        operator_position: kind.operator,
        callsign: None,
        other_identities: Vec::new(),
        spoof: None,
        take_off_position: None,
    }
}

/// A straight, constant-velocity flight: `start + vel·(time_s − t0_s)`.
pub fn straight(
    id: u64,
    t0_s: f64,
    start: [f64; 3],
    vel: [f64; 3],
    kind: &Kind,
) -> impl Fn(f64) -> Track {
    let kind = kind.clone();
    move |time_s| {
        let dt = time_s - t0_s;
        track(
            id,
            time_s,
            [
                start[0] + vel[0] * dt,
                start[1] + vel[1] * dt,
                start[2] + vel[2] * dt,
            ],
            vel,
            &kind,
        )
    }
}

pub fn deleted(mut tr: Track) -> Track {
    tr.status = TrackStatus::Deleted;
    tr
}

pub fn patrol_at(time_s: f64, east_m: f64, north_m: f64) -> UnitPosition {
    UnitPosition {
        unit_id: PATROL.into(),
        time: t(time_s),
        position: frame().to_geo(&Enu::new(east_m, north_m, 0.0)),
    }
}

pub fn unit(id: &str) -> UnitId {
    UnitId(id.into())
}

/// The threat for one (track, unit) pair, if assessed.
pub fn threat_for<'a>(threats: &'a [Threat], track: u64, unit_id: &str) -> Option<&'a Threat> {
    threats
        .iter()
        .find(|th| th.track_id == TrackId(track) && th.unit_id.0 == unit_id)
}

/// Assessor + alert manager driven together, the way the pipeline drives them.
pub struct Rig {
    pub assessor: Assessor,
    pub alerts: AlertManager,
    pub events: Vec<AlertEvent>,
}

impl Rig {
    pub fn new(site: Site) -> Self {
        Rig {
            assessor: Assessor::new(site, AssessConfig::default()),
            alerts: AlertManager::new(AssessConfig::default()),
            events: Vec::new(),
        }
    }

    /// Feed snapshots, assess at `time_s`, process alerts; returns this round's threats and
    /// events (events are also kept in `self.events`).
    pub fn step(&mut self, tracks: &[Track], time_s: f64) -> (Vec<Threat>, Vec<AlertEvent>) {
        self.assessor.update_tracks(tracks);
        let threats = self.assessor.assess(t(time_s));
        let live: Vec<TrackId> = tracks
            .iter()
            .filter(|tr| tr.status != TrackStatus::Deleted)
            .map(|tr| tr.id)
            .collect();
        let ev = self.alerts.process(&threats, &live, t(time_s));
        self.events.extend(ev.iter().cloned());
        (threats, ev)
    }

    pub fn count(&self, state: AlertState) -> usize {
        self.events.iter().filter(|e| e.state == state).count()
    }

    pub fn raised_for(&self, track: u64, unit_id: &str) -> Vec<&AlertEvent> {
        self.events
            .iter()
            .filter(|e| {
                e.state == AlertState::Raised
                    && e.track_id == TrackId(track)
                    && e.unit_id.0 == unit_id
            })
            .collect()
    }
}

/// A synthetic threat for driving the alert manager directly.
pub fn threat(track: u64, unit_id: &str, level: ThreatLevel, cpa_m: f64, tcpa_s: f64) -> Threat {
    Threat {
        track_id: TrackId(track),
        unit_id: unit(unit_id),
        level,
        class: TargetClass::Drone,
        dark: true,
        position: frame().origin(),
        range_m: 1_000.0,
        bearing_deg: 180.0,
        closing_speed_mps: 10.0,
        closest_approach_m: cpa_m,
        time_to_closest_approach_s: tcpa_s,
        reasons: vec!["dark drone (no Remote ID)".into()],
        drone_like: false,
    }
}
