//! Picket as a child node of a parent SAPIENT node: what it sends upward (its Registration as
//! a fusion node, StatusReports, its confirmed tracks as DetectionReports, its alerts as
//! Alerts) and how it answers a parent's Task. Pure: time and ids are arguments.
//!
//! Ids: SAPIENT wants ULIDs. A track's `object_id` is a ULID built from the track's start time
//! and its Picket track id, so it stays the same for the track's life and differs between
//! tracks; the Picket id itself (`T12`) travels in `track_info` as `picket_track_id`. An
//! alert's `alert_id` is built the same way from its raise time and Picket alert id.

use crate::proto::{
    alert, detection_report, registration as reg, sapient_message::Content, task, Alert,
    AssociatedDetection, DetectionReport, EnuVelocity, EnuVelocityUnits, Location,
    LocationCoordinateSystem, LocationDatum, Registration, SapientMessage, SpeedUnits,
    StatusReport,
};
use crate::reply::{task_ack, timestamp_to_proto};
use crate::ICD_VERSION;
use picket_core::{
    AlertEvent, AlertState, GeoPoint, TargetClass, ThreatLevel, Timestamp, Track, TrackStatus,
};

/// Metres per degree of latitude (for position errors in degrees).
const M_PER_DEG: f64 = 111_320.0;

/// Who Picket is to its parent.
#[derive(Clone, Debug, PartialEq)]
pub struct ChildNode {
    /// Picket's node id (a UUID, stable across restarts).
    pub node_id: String,
    /// Its name (the site's).
    pub name: String,
    /// Seconds between two StatusReports (declared in the Registration).
    pub status_interval_s: f64,
    /// Where Picket's site is (reported as the node's location).
    pub location: Option<GeoPoint>,
    /// Picket's version, for `config_data`.
    pub software_version: String,
}

/// A ULID (26 Crockford base-32 characters) of 48 bits of Unix milliseconds and 80 bits of
/// `entropy` (its low 80 bits).
pub fn ulid(unix_ms: i64, entropy: u128) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let ms = (unix_ms.max(0) as u128) & 0xFFFF_FFFF_FFFF;
    let v = (ms << 80) | (entropy & ((1u128 << 80) - 1));
    (0..26)
        .map(|i| ALPHABET[((v >> (125 - 5 * i)) & 0x1f) as usize] as char)
        .collect()
}

/// Tags the entropy of ids of one kind, so a track and an alert never share an id.
const TRACK_TAG: u128 = 0x7472 << 64; // "tr"
const ALERT_TAG: u128 = 0x616c << 64; // "al"
const REPORT_TAG: u128 = 0x7270 << 64; // "rp"

/// The `object_id` of a track (stable for its life).
pub fn object_id(track: &Track) -> String {
    ulid(
        track.first_seen.as_micros() / 1000,
        TRACK_TAG | u128::from(track.id.0),
    )
}

/// The `alert_id` of an alert (stable across its lifecycle events).
pub fn alert_id(ev: &AlertEvent) -> String {
    ulid(
        ev.raised_time.as_micros() / 1000,
        ALERT_TAG | u128::from(ev.alert_id.0),
    )
}

/// A `report_id`: `seq` counts the reports Picket sent (unique within a run; the time part
/// separates runs).
pub fn report_id(time: Timestamp, seq: u64) -> String {
    ulid(time.as_micros() / 1000, REPORT_TAG | u128::from(seq))
}

fn envelope(node: &ChildNode, time: Timestamp, content: Content) -> SapientMessage {
    SapientMessage {
        timestamp: Some(timestamp_to_proto(time)),
        node_id: Some(node.node_id.clone()),
        destination_id: None,
        content: Some(content),
        additional_information: None,
    }
}

fn seconds(v: f32) -> reg::Duration {
    reg::Duration {
        units: Some(reg::TimeUnits::Seconds as i32),
        value: Some(v),
    }
}

fn wgs84_location_type() -> reg::LocationType {
    reg::LocationType {
        coordinates_oneof: Some(reg::location_type::CoordinatesOneof::LocationUnits(
            LocationCoordinateSystem::LatLngDegM as i32,
        )),
        datum_oneof: Some(reg::location_type::DatumOneof::LocationDatum(
            LocationDatum::Wgs84E as i32,
        )),
        zone: None,
    }
}

fn class(name: &str, subs: &[&str]) -> reg::ClassDefinition {
    reg::ClassDefinition {
        r#type: Some(name.into()),
        units: Some("probability".into()),
        sub_class: subs
            .iter()
            .map(|s| reg::SubClass {
                r#type: Some((*s).into()),
                units: Some("probability".into()),
                level: Some(1),
                sub_class: Vec::new(),
            })
            .collect(),
    }
}

/// The SAPIENT classification (class, sub-class) of an assessed class. Picket's own server
/// reads these names back to the same classes.
pub fn class_names(c: TargetClass) -> (&'static str, Option<&'static str>) {
    match c {
        TargetClass::Drone => ("Air Vehicle", Some("UAV")),
        TargetClass::MannedAircraft => ("Air Vehicle", Some("Manned Aircraft")),
        TargetClass::Bird => ("Animal", Some("Bird")),
        TargetClass::Unknown => ("Unknown", None),
    }
}

/// Picket's Registration as a fusion node: it reports tracks (WGS-84 locations, ENU
/// velocities in m/s, the classes of [`class_names`]) and takes `request` tasks
/// (`Registration`, `Status`).
pub fn registration(node: &ChildNode, time: Timestamp) -> SapientMessage {
    let detection = reg::DetectionDefinition {
        location_type: Some(wgs84_location_type()),
        detection_class_definition: vec![reg::DetectionClassDefinition {
            confidence_definition: Some(reg::ConfidenceDefinition::SingleClass as i32),
            class_definition: vec![
                class("Air Vehicle", &["UAV", "Manned Aircraft"]),
                class("Animal", &["Bird"]),
                class("Unknown", &[]),
            ],
            ..Default::default()
        }],
        velocity_type: Some(reg::VelocityType {
            velocity_units_oneof: Some(reg::velocity_type::VelocityUnitsOneof::EnuVelocityUnits(
                EnuVelocityUnits {
                    east_north_rate_units: Some(SpeedUnits::Ms as i32),
                    up_rate_units: Some(SpeedUnits::Ms as i32),
                },
            )),
            datum_oneof: Some(reg::velocity_type::DatumOneof::LocationDatum(
                LocationDatum::Wgs84E as i32,
            )),
            zone: None,
        }),
        ..Default::default()
    };
    let mode = reg::ModeDefinition {
        mode_name: Some("Default".into()),
        mode_type: Some(reg::ModeType::Default as i32),
        mode_description: Some("fused tracks of the site's sensors".into()),
        settle_time: Some(seconds(0.0)),
        scan_type: Some(reg::ScanType::Fixed as i32),
        tracking_type: Some(reg::TrackingType::Track as i32),
        detection_definition: vec![detection],
        task: Some(reg::TaskDefinition {
            concurrent_tasks: Some(1),
            region_definition: Some(reg::RegionDefinition {
                region_type: vec![reg::RegionType::AreaOfInterest as i32],
                region_area: vec![wgs84_location_type()],
                ..Default::default()
            }),
            command: vec![reg::Command {
                units: Some("Registration, Status".into()),
                completion_time: Some(seconds(1.0)),
                r#type: Some(reg::CommandType::Request as i32),
            }],
        }),
        ..Default::default()
    };
    let r = Registration {
        node_definition: vec![reg::NodeDefinition {
            node_type: Some(reg::NodeType::FusionNode as i32),
            node_sub_type: vec!["counter-UAS early warning".into()],
        }],
        icd_version: Some(ICD_VERSION.into()),
        name: Some(node.name.clone()),
        short_name: Some("Picket".into()),
        capabilities: vec![reg::Capability {
            category: Some("Fusion".into()),
            r#type: Some("Tracks".into()),
            value: Some("confirmed tracks and alerts".into()),
            units: None,
        }],
        status_definition: Some(reg::StatusDefinition {
            status_interval: Some(seconds(node.status_interval_s as f32)),
            location_definition: Some(wgs84_location_type()),
            ..Default::default()
        }),
        mode_definition: vec![mode],
        config_data: vec![reg::ConfigurationData {
            manufacturer: "Picket".into(),
            model: "Picket fusion node".into(),
            software_version: Some(node.software_version.clone()),
            ..Default::default()
        }],
        ..Default::default()
    };
    envelope(node, time, Content::Registration(r))
}

fn location(p: GeoPoint, sigma_horizontal_m: Option<f64>) -> Location {
    let (x_error, y_error) = match sigma_horizontal_m {
        Some(s) if s.is_finite() && s >= 0.0 => {
            let cos_lat = p.lat_deg.to_radians().cos().abs().max(1e-6);
            (Some(s / (M_PER_DEG * cos_lat)), Some(s / M_PER_DEG))
        }
        _ => (None, None),
    };
    Location {
        x: Some(p.lon_deg),
        y: Some(p.lat_deg),
        z: Some(p.alt_hae_m),
        x_error,
        y_error,
        z_error: None,
        coordinate_system: Some(LocationCoordinateSystem::LatLngDegM as i32),
        datum: Some(LocationDatum::Wgs84E as i32),
        utm_zone: None,
    }
}

/// A StatusReport: system OK, mode `Default`, the site's location. `info` is NEW for the first
/// report after registering, UNCHANGED after.
pub fn status_report(node: &ChildNode, time: Timestamp, seq: u64, first: bool) -> SapientMessage {
    let info = if first {
        crate::proto::status_report::Info::New
    } else {
        crate::proto::status_report::Info::Unchanged
    };
    let s = StatusReport {
        report_id: Some(report_id(time, seq)),
        system: Some(crate::proto::status_report::System::Ok as i32),
        info: Some(info as i32),
        mode: Some("Default".into()),
        node_location: node.location.map(|p| location(p, None)),
        ..Default::default()
    };
    envelope(node, time, Content::StatusReport(s))
}

/// A DetectionReport of one of Picket's tracks, with its assessed class. A deleted track's
/// last report has `state = "lost"`; others `"tracked"`.
pub fn track_report(
    node: &ChildNode,
    track: &Track,
    class: TargetClass,
    seq: u64,
) -> SapientMessage {
    let (name, sub) = class_names(class);
    let confidence = track.class_hint.as_ref().map(|h| h.confidence);
    let [e, n, u] = track.velocity_enu_mps;
    let mut info = vec![detection_report::TrackObjectInfo {
        r#type: Some("picket_track_id".into()),
        value: Some(track.id.to_string()),
        error: None,
    }];
    if let Some(c) = &track.callsign {
        info.push(detection_report::TrackObjectInfo {
            r#type: Some("callsign".into()),
            value: Some(c.clone()),
            error: None,
        });
    }
    let d = DetectionReport {
        report_id: Some(report_id(track.time, seq)),
        object_id: Some(object_id(track)),
        state: Some(
            if track.status == TrackStatus::Deleted {
                "lost"
            } else {
                "tracked"
            }
            .into(),
        ),
        location_oneof: Some(detection_report::LocationOneof::Location(location(
            track.position,
            Some(track.sigma_horizontal_m),
        ))),
        track_info: info,
        classification: vec![detection_report::DetectionReportClassification {
            r#type: Some(name.into()),
            confidence,
            sub_class: sub
                .map(|s| detection_report::SubClass {
                    r#type: Some(s.into()),
                    confidence,
                    level: Some(1),
                    sub_class: Vec::new(),
                })
                .into_iter()
                .collect(),
        }],
        velocity_oneof: Some(detection_report::VelocityOneof::EnuVelocity(EnuVelocity {
            east_rate: Some(e),
            north_rate: Some(n),
            up_rate: Some(u),
            ..Default::default()
        })),
        ..Default::default()
    };
    envelope(node, track.time, Content::DetectionReport(d))
}

/// A SAPIENT Alert for one lifecycle event of a Picket alert: raised and updated are ACTIVE,
/// acknowledged ACKNOWLEDGE, cleared CLEAR; imminent is CRITICAL / high priority, warning
/// WARNING / medium, lower levels WARNING / low. The track that threatens is the associated
/// detection (by its `object_id`, see [`object_id`]).
pub fn alert_message(node: &ChildNode, ev: &AlertEvent, track_object_id: &str) -> SapientMessage {
    let status = match ev.state {
        AlertState::Raised | AlertState::Updated => alert::AlertStatus::Active,
        AlertState::Acknowledged => alert::AlertStatus::Acknowledge,
        AlertState::Cleared => alert::AlertStatus::Clear,
    };
    let (kind, priority) = match ev.level {
        ThreatLevel::Imminent => (alert::AlertType::Critical, alert::DiscretePriority::High),
        ThreatLevel::Warning => (alert::AlertType::Warning, alert::DiscretePriority::Medium),
        ThreatLevel::Caution | ThreatLevel::Info => {
            (alert::AlertType::Warning, alert::DiscretePriority::Low)
        }
    };
    let mut description = format!(
        "{} {} {}: {} {} {:.0} m from {} ({:.0}°)",
        ev.level.as_str(),
        ev.state.as_str(),
        if ev.dark { "dark" } else { "cooperative" },
        ev.target_class.as_str(),
        ev.track_id,
        ev.range_m,
        ev.unit_id,
        ev.bearing_deg,
    );
    if let Some(r) = ev.reasons.first() {
        description.push_str(" — ");
        description.push_str(r);
    }
    if let Some(r) = &ev.cleared_reason {
        description.push_str(" — cleared: ");
        description.push_str(r);
    }
    let a = Alert {
        alert_id: Some(alert_id(ev)),
        alert_type: Some(kind as i32),
        status: Some(status as i32),
        description: Some(description),
        location_oneof: Some(alert::LocationOneof::Location(location(ev.position, None))),
        region_id: Some(ev.unit_id.0.clone()),
        priority: Some(priority as i32),
        associated_detection: vec![AssociatedDetection {
            timestamp: Some(timestamp_to_proto(ev.time)),
            node_id: Some(node.node_id.clone()),
            object_id: Some(track_object_id.to_owned()),
            association_type: None,
        }],
        ..Default::default()
    };
    envelope(node, ev.time, Content::Alert(a))
}

/// What a parent's Task asks Picket to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParentRequest {
    /// Send the Registration again.
    Registration,
    /// Send a StatusReport now.
    Status,
    /// Nothing Picket does (it has been rejected with a reason).
    Refused,
}

/// The TaskAck for a parent's Task and what to do: `request` tasks `Registration` and
/// `Status` (also `Heartbeat`) are accepted; a task stopping one of these is accepted and
/// does nothing; anything else (look-at, mode change, ...) is rejected with a reason —
/// Picket steers no sensor on a parent's behalf.
pub fn answer_parent_task(
    node: &ChildNode,
    msg: &SapientMessage,
    time: Timestamp,
) -> (SapientMessage, ParentRequest) {
    let to = msg.node_id.as_deref();
    let Some(Content::Task(t)) = &msg.content else {
        let ack = task_ack(
            &node.node_id,
            to,
            time,
            None,
            crate::proto::task_ack::TaskStatus::Rejected,
            vec!["not a task".into()],
        );
        return (ack, ParentRequest::Refused);
    };
    let id = t.task_id.as_deref();
    let reject = |why: String| {
        (
            task_ack(
                &node.node_id,
                to,
                time,
                id,
                crate::proto::task_ack::TaskStatus::Rejected,
                vec![why],
            ),
            ParentRequest::Refused,
        )
    };
    let accept = |what: ParentRequest| {
        (
            task_ack(
                &node.node_id,
                to,
                time,
                id,
                crate::proto::task_ack::TaskStatus::Accepted,
                Vec::new(),
            ),
            what,
        )
    };
    let command = t.command.as_ref().and_then(|c| c.command.as_ref());
    match command {
        Some(task::command::Command::Request(r)) => {
            let r = r.trim().to_ascii_lowercase();
            if r.starts_with("registration") {
                accept(ParentRequest::Registration)
            } else if r.starts_with("status") || r.starts_with("heartbeat") {
                accept(ParentRequest::Status)
            } else {
                reject(format!(
                    "request {:?} is not one Picket serves (Registration, Status)",
                    r.chars().take(64).collect::<String>()
                ))
            }
        }
        Some(_) => reject(
            "Picket is a fusion node: it takes only Registration and Status requests, \
             and steers no sensor on a parent's behalf"
                .into(),
        ),
        None if t.control == Some(task::Control::Stop as i32) => accept(ParentRequest::Refused),
        None => reject("the task has no command".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate_message;
    use picket_core::{AlertId, TrackId, UnitId};

    fn node() -> ChildNode {
        ChildNode {
            node_id: "4f0b2a9e-6c1d-8e3f-9a2b-1c2d3e4f5a6b".into(),
            name: "Naco".into(),
            status_interval_s: 10.0,
            location: Some(GeoPoint::new(31.34, -109.96, 1400.0)),
            software_version: "0.1.0".into(),
        }
    }

    fn track() -> Track {
        // From JSON, so fields added to Track later (with serde defaults) need no edit here.
        serde_json::from_value(serde_json::json!({
            "id": 12,
            "status": "confirmed",
            "time": "2026-01-01T12:00:00Z",
            "first_seen": "2026-01-01T11:59:50Z",
            "position": {"lat_deg": 31.33, "lon_deg": -109.96, "alt_hae_m": 1450.0},
            "position_enu": {"east_m": 0.0, "north_m": -1000.0, "up_m": 50.0},
            "velocity_enu_mps": [0.0, 30.0, 0.0],
            "sigma_horizontal_m": 11.132,
            "hits": 9,
            "identity": null,
            "class_hint": null,
            "sensors": ["radar"],
            "operator_position": null,
            "callsign": null
        }))
        .expect("a track")
    }

    #[test]
    fn ulids_follow_the_spec_example_and_order_by_time() {
        assert_eq!(ulid(1_469_918_176_385, 0), "01ARYZ6S410000000000000000");
        assert!(ulid(1_469_918_176_386, 0) > ulid(1_469_918_176_385, u128::MAX));
        assert_eq!(ulid(-5, u128::MAX).len(), 26);
    }

    #[test]
    fn what_picket_sends_upward_passes_its_own_fusion_node_checks() {
        let t0 = Timestamp::from_micros(1_767_268_800_000_000);
        for m in [
            registration(&node(), t0),
            status_report(&node(), t0, 1, true),
            track_report(&node(), &track(), TargetClass::Drone, 2),
        ] {
            assert_eq!(validate_message(&m), Ok(()), "{m:?}");
        }
    }

    #[test]
    fn a_track_report_carries_a_stable_object_id_the_class_and_the_velocity() {
        let mut t = track();
        let a = track_report(&node(), &t, TargetClass::Drone, 1);
        t.time = Timestamp::from_micros(t.time.as_micros() + 1_000_000);
        let b = track_report(&node(), &t, TargetClass::Drone, 2);
        let (Some(Content::DetectionReport(a)), Some(Content::DetectionReport(b))) =
            (a.content, b.content)
        else {
            panic!("detection reports")
        };
        assert_eq!(a.object_id, b.object_id);
        assert_ne!(a.report_id, b.report_id);
        assert_eq!(a.classification[0].r#type.as_deref(), Some("Air Vehicle"));
        assert_eq!(
            a.classification[0].sub_class[0].r#type.as_deref(),
            Some("UAV")
        );
        assert_eq!(crate::observe::class_of_name("UAV"), TargetClass::Drone);
        let Some(detection_report::VelocityOneof::EnuVelocity(v)) = a.velocity_oneof else {
            panic!("velocity")
        };
        assert_eq!(v.north_rate, Some(30.0));
        let Some(detection_report::LocationOneof::Location(l)) = a.location_oneof else {
            panic!("location")
        };
        assert!((l.y_error.unwrap() - 1e-4).abs() < 1e-9);
        assert_eq!(a.track_info[0].value.as_deref(), Some("T12"));
    }

    #[test]
    fn alerts_keep_their_id_across_lifecycle_events_and_map_levels() {
        let mut ev = AlertEvent {
            alert_id: AlertId(3),
            state: AlertState::Raised,
            unit_id: UnitId::from("post-alpha"),
            track_id: TrackId(12),
            level: ThreatLevel::Imminent,
            time: Timestamp::from_micros(1_000_000),
            raised_time: Timestamp::from_micros(1_000_000),
            position: GeoPoint::new(31.33, -109.96, 1450.0),
            target_class: TargetClass::Drone,
            dark: true,
            range_m: 250.0,
            bearing_deg: 180.0,
            closing_speed_mps: 30.0,
            closest_approach_m: 0.0,
            time_to_closest_approach_s: 8.0,
            reasons: vec!["inside 300 m".into()],
            acknowledged_by: None,
            cleared_reason: None,
        };
        let Some(Content::Alert(a)) = alert_message(&node(), &ev, "OBJ").content else {
            panic!("alert")
        };
        ev.state = AlertState::Cleared;
        ev.time = Timestamp::from_micros(9_000_000);
        let Some(Content::Alert(c)) = alert_message(&node(), &ev, "OBJ").content else {
            panic!("alert")
        };
        assert_eq!(a.alert_id, c.alert_id);
        assert_eq!(a.status, Some(alert::AlertStatus::Active as i32));
        assert_eq!(c.status, Some(alert::AlertStatus::Clear as i32));
        assert_eq!(a.alert_type, Some(alert::AlertType::Critical as i32));
        assert_eq!(a.associated_detection[0].object_id.as_deref(), Some("OBJ"));
    }

    #[test]
    fn parent_tasks_requests_are_served_and_look_ats_refused() {
        let t0 = Timestamp::from_micros(0);
        let mut msg = SapientMessage {
            node_id: Some("parent".into()),
            content: Some(Content::Task(crate::proto::Task {
                task_id: Some("T1".into()),
                control: Some(task::Control::Start as i32),
                command: Some(task::Command {
                    command: Some(task::command::Command::Request("Status".into())),
                    command_parameter: None,
                }),
                ..Default::default()
            })),
            ..Default::default()
        };
        let (ack, what) = answer_parent_task(&node(), &msg, t0);
        assert_eq!(what, ParentRequest::Status);
        let Some(Content::TaskAck(a)) = ack.content else {
            panic!("task ack")
        };
        assert_eq!(a.task_id.as_deref(), Some("T1"));
        assert_eq!(crate::reply::task_status_name(a.task_status), "accepted");
        assert_eq!(ack.destination_id.as_deref(), Some("parent"));

        msg = crate::reply::look_at_task("parent", "me", t0, "T2", GeoPoint::new(1.0, 2.0, 3.0));
        let (ack, what) = answer_parent_task(&node(), &msg, t0);
        assert_eq!(what, ParentRequest::Refused);
        let Some(Content::TaskAck(a)) = ack.content else {
            panic!("task ack")
        };
        assert_eq!(crate::reply::task_status_name(a.task_status), "rejected");
        assert!(!a.reason.is_empty());
    }
}
