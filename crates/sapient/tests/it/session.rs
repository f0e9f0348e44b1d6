//! A whole fusion-node conversation through `Session`, without a socket.

use crate::{referee, sample, unhex};
use picket_core::{Measurement, SensorId, Timestamp};
use picket_sapient::{decode_frame, Content, Event, MappingOptions, Session};
use serde_json::Value;

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap()
}

fn replies(events: &[Event]) -> Vec<picket_sapient::SapientMessage> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Reply(f) => Some(decode_frame(f).unwrap().0),
            _ => None,
        })
        .collect()
}

#[test]
fn the_referee_sensor_registers_reports_its_position_and_its_detections_become_observations() {
    let frames: Vec<Vec<u8>> = referee(&["make-frames"], "")
        .iter()
        .map(|l| {
            unhex(
                serde_json::from_str::<Value>(l).unwrap()["frame"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    let mut s = Session::new(
        "fusion",
        SensorId::from("radar-1"),
        MappingOptions::default(),
    );
    // Everything at once, split mid-frame: the session does not care how bytes arrive.
    let all: Vec<u8> = frames.concat();
    let (a, b) = all.split_at(all.len() / 2 + 3);
    let mut events = s.on_bytes(a, now());
    events.extend(s.on_bytes(b, now()));
    let acks = replies(&events);
    assert_eq!(
        acks.len(),
        2,
        "only the registration and the alert are answered: {acks:?}"
    );
    let Some(Content::RegistrationAck(ack)) = &acks[0].content else {
        panic!("not an ack")
    };
    assert_eq!(ack.acceptance, Some(true));
    let Some(Content::AlertAck(alert_ack)) = &acks[1].content else {
        panic!("the alert is not acknowledged: {acks:?}")
    };
    assert_eq!(
        alert_ack.alert_ack_status,
        Some(picket_sapient::proto::alert_ack::AlertAckStatus::Accepted as i32)
    );
    assert!(alert_ack.alert_id.is_some());
    assert!(matches!(events[1], Event::Registered(_)));
    assert!(matches!(
        events[2],
        Event::Status {
            position: Some(_),
            ..
        }
    ));
    let observations: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Observation(o) => Some(o),
            _ => None,
        })
        .collect();
    assert_eq!(observations.len(), 2);
    let Measurement::RangeAzEl {
        sensor_position,
        range_m,
        ..
    } = &observations[0].observation.measurement
    else {
        panic!("the first detection is range-bearing")
    };
    assert_eq!(
        (*sensor_position, *range_m),
        (s.position().unwrap(), 1500.0)
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Other(_)))
            .count(),
        3,
        "task, alert and error are handed on"
    );
}

#[test]
fn garbage_gets_an_error_reply_and_the_session_goes_on() {
    let mut s = Session::new("fusion", SensorId::from("s"), MappingOptions::default());
    let reg = sample("dstl_testharness_Default.Registration.frame.bin");
    let mut input = vec![3, 0, 0, 0, 0x0a, 0x7f, 0x01]; // a broken protobuf payload
    input.extend(&reg);
    let events = s.on_bytes(&input, now());
    let r = replies(&events);
    assert_eq!(r.len(), 2);
    let Some(Content::Error(e)) = &r[0].content else {
        panic!("not an error reply")
    };
    assert_eq!(e.packet.as_deref(), Some(&[0x0a, 0x7f, 0x01][..]));
    assert!(matches!(events[1], Event::Rejected { .. }));
    assert!(matches!(r[1].content, Some(Content::RegistrationAck(_))));
    assert!(s.profile().is_some());
}

#[test]
fn a_detection_before_registration_is_refused_with_an_error() {
    let mut s = Session::new("fusion", SensorId::from("s"), MappingOptions::default());
    let det = sample("dstl_testharness_Default.DetectionReport.frame.bin");
    let events = s.on_bytes(&det, now());
    let r = replies(&events);
    let Some(Content::Error(e)) = &r[0].content else {
        panic!("not an error reply")
    };
    assert!(e.error_message[0].contains("Registration first"));
    assert!(!events.iter().any(|e| matches!(e, Event::Observation(_))));
}

#[test]
fn an_invalid_registration_is_rejected_with_reasons() {
    let mut s = Session::new("fusion", SensorId::from("s"), MappingOptions::default());
    let (mut msg, _) =
        decode_frame(&sample("dstl_testharness_Default.Registration.frame.bin")).unwrap();
    if let Some(Content::Registration(r)) = &mut msg.content {
        r.icd_version = Some("BSI Flex 335 v1.0".into());
    }
    let events = s.on_bytes(&picket_sapient::encode_frame(&msg).unwrap(), now());
    let r = replies(&events);
    let Some(Content::RegistrationAck(a)) = &r[0].content else {
        panic!("not an ack")
    };
    assert_eq!(a.acceptance, Some(false));
    assert!(a.ack_response_reason[0].contains("v1.0"));
    assert!(s.profile().is_none());
}
