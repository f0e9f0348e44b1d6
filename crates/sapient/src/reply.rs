//! Messages a fusion node sends: RegistrationAck, Error and look-at Tasks; and the
//! conversions between Picket's [`Timestamp`] and protobuf's.

use crate::proto::{
    location_or_range_bearing::FovOneof, sapient_message::Content, task, Error, Location,
    LocationCoordinateSystem, LocationDatum, LocationList, LocationOrRangeBearing, RegistrationAck,
    SapientMessage, Task,
};
use crate::validate::{validate_registration, ValidationErrors};
use picket_core::{GeoPoint, Timestamp};

/// Longest offending packet quoted back in an Error message, bytes. A hostile peer must not
/// be able to make the fusion node echo a megabyte per bad frame.
pub const MAX_QUOTED_PACKET: usize = 4096;

/// Picket time as a protobuf timestamp.
pub fn timestamp_to_proto(t: Timestamp) -> prost_types::Timestamp {
    let us = t.as_micros();
    prost_types::Timestamp {
        seconds: us.div_euclid(1_000_000),
        nanos: (us.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// A protobuf timestamp as Picket time (microsecond resolution), or `None` when its nanos
/// are out of range or it does not fit.
pub fn timestamp_from_proto(t: &prost_types::Timestamp) -> Option<Timestamp> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    let us = t
        .seconds
        .checked_mul(1_000_000)?
        .checked_add(i64::from(t.nanos) / 1000)?;
    Some(Timestamp::from_micros(us))
}

fn envelope(
    own_node_id: &str,
    to: Option<&str>,
    time: Timestamp,
    content: Content,
) -> SapientMessage {
    SapientMessage {
        timestamp: Some(timestamp_to_proto(time)),
        node_id: Some(own_node_id.to_owned()),
        destination_id: to.map(str::to_owned),
        content: Some(content),
        additional_information: None,
    }
}

/// A RegistrationAck from `own_node_id` to `to`, accepting or rejecting with reasons.
pub fn registration_ack(
    own_node_id: &str,
    to: &str,
    time: Timestamp,
    accepted: bool,
    reasons: Vec<String>,
) -> SapientMessage {
    envelope(
        own_node_id,
        Some(to),
        time,
        Content::RegistrationAck(RegistrationAck {
            acceptance: Some(accepted),
            ack_response_reason: reasons,
        }),
    )
}

/// The answer to a Registration message: validates it and acknowledges (accepted, or
/// rejected with one reason per problem). Returns the ack and the validation outcome.
/// Anything but a Registration is rejected with a reason saying so.
pub fn registration_reply(
    own_node_id: &str,
    msg: &SapientMessage,
    time: Timestamp,
) -> (SapientMessage, Result<(), ValidationErrors>) {
    let to = msg.node_id.as_deref().unwrap_or_default();
    let outcome = match &msg.content {
        Some(Content::Registration(r)) => validate_registration(r),
        _ => Err(ValidationErrors(vec![
            crate::validate::ValidationError::Missing {
                path: "registration".into(),
            },
        ])),
    };
    let ack = match &outcome {
        Ok(()) => registration_ack(own_node_id, to, time, true, Vec::new()),
        Err(e) => registration_ack(own_node_id, to, time, false, e.reasons()),
    };
    (ack, outcome)
}

/// An Error message quoting (up to [`MAX_QUOTED_PACKET`] bytes of) the offending packet.
pub fn error_reply(
    own_node_id: &str,
    to: Option<&str>,
    time: Timestamp,
    packet: &[u8],
    errors: Vec<String>,
) -> SapientMessage {
    let quoted = &packet[..packet.len().min(MAX_QUOTED_PACKET)];
    envelope(
        own_node_id,
        to,
        time,
        Content::Error(Error {
            packet: Some(quoted.to_vec()),
            error_message: errors,
        }),
    )
}

/// A Task asking node `to` to look at a WGS-84 position (e.g. a track's), in decimal degrees
/// and metres above the ellipsoid. `task_id` is the caller's ULID for the task.
pub fn look_at_task(
    own_node_id: &str,
    to: &str,
    time: Timestamp,
    task_id: &str,
    target: GeoPoint,
) -> SapientMessage {
    let location = Location {
        x: Some(target.lon_deg),
        y: Some(target.lat_deg),
        z: Some(target.alt_hae_m),
        coordinate_system: Some(LocationCoordinateSystem::LatLngDegM as i32),
        datum: Some(LocationDatum::Wgs84E as i32),
        ..Location::default()
    };
    let look_at = LocationOrRangeBearing {
        fov_oneof: Some(FovOneof::LocationList(LocationList {
            locations: vec![location],
        })),
    };
    envelope(
        own_node_id,
        Some(to),
        time,
        Content::Task(Task {
            task_id: Some(task_id.to_owned()),
            task_name: Some("look at".into()),
            control: Some(task::Control::Start as i32),
            command: Some(task::Command {
                command: Some(task::command::Command::LookAt(look_at)),
                command_parameter: None,
            }),
            ..Task::default()
        }),
    )
}

/// An AlertAck from `own_node_id` to `to` for alert `alert_id`.
pub fn alert_ack(
    own_node_id: &str,
    to: Option<&str>,
    time: Timestamp,
    alert_id: Option<&str>,
    status: crate::proto::alert_ack::AlertAckStatus,
    reasons: Vec<String>,
) -> SapientMessage {
    envelope(
        own_node_id,
        to,
        time,
        Content::AlertAck(crate::proto::AlertAck {
            alert_id: alert_id.map(str::to_owned),
            reason: reasons,
            alert_ack_status: Some(status as i32),
        }),
    )
}

/// A TaskAck from `own_node_id` to `to` for task `task_id`.
pub fn task_ack(
    own_node_id: &str,
    to: Option<&str>,
    time: Timestamp,
    task_id: Option<&str>,
    status: crate::proto::task_ack::TaskStatus,
    reasons: Vec<String>,
) -> SapientMessage {
    envelope(
        own_node_id,
        to,
        time,
        Content::TaskAck(crate::proto::TaskAck {
            task_id: task_id.map(str::to_owned),
            task_status: Some(status as i32),
            associated_file: None,
            reason: reasons,
        }),
    )
}

/// A TaskAck's status in words: `accepted`, `rejected`, `completed`, `failed` or
/// `unspecified` (also for values this ICD version does not define).
pub fn task_status_name(status: Option<i32>) -> &'static str {
    use crate::proto::task_ack::TaskStatus;
    match status.and_then(|s| TaskStatus::try_from(s).ok()) {
        Some(TaskStatus::Accepted) => "accepted",
        Some(TaskStatus::Rejected) => "rejected",
        Some(TaskStatus::Completed) => "completed",
        Some(TaskStatus::Failed) => "failed",
        Some(TaskStatus::Unspecified) | None => "unspecified",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_including_before_1970() {
        for us in [0i64, 1, 1_688_733_857_027_638, -1, -1_500_000] {
            let t = Timestamp::from_micros(us);
            let p = timestamp_to_proto(t);
            assert!((0..1_000_000_000).contains(&p.nanos));
            assert_eq!(timestamp_from_proto(&p), Some(t));
        }
    }

    #[test]
    fn out_of_range_nanos_are_refused() {
        let p = prost_types::Timestamp {
            seconds: 0,
            nanos: 1_000_000_000,
        };
        assert_eq!(timestamp_from_proto(&p), None);
    }

    #[test]
    fn error_reply_quotes_at_most_the_bound() {
        let big = vec![7u8; MAX_QUOTED_PACKET * 3];
        let m = error_reply(
            "me",
            None,
            Timestamp::from_micros(0),
            &big,
            vec!["x".into()],
        );
        let Some(Content::Error(e)) = m.content else {
            panic!("not an error message")
        };
        assert_eq!(e.packet.map(|p| p.len()), Some(MAX_QUOTED_PACKET));
    }
}
