//! Mandatory-field validation and the replies built from it.

use crate::sample;
use picket_core::Timestamp;
use picket_sapient::proto::Registration;
use picket_sapient::validate::{validate_message, validate_registration};
use picket_sapient::{decode_frame, registration_reply, Content, SapientMessage, ValidationError};

fn registration_sample() -> SapientMessage {
    decode_frame(&sample("dstl_testharness_Default.Registration.frame.bin"))
        .unwrap()
        .0
}

fn registration_of(msg: &mut SapientMessage) -> &mut Registration {
    match msg.content.as_mut() {
        Some(Content::Registration(r)) => r,
        _ => panic!("not a registration"),
    }
}

fn paths(e: &picket_sapient::ValidationErrors) -> Vec<String> {
    e.0.iter().map(|e| e.path().to_owned()).collect()
}

#[test]
fn the_official_samples_pass_validation() {
    for name in crate::SAMPLES {
        let (msg, _) = decode_frame(&sample(&format!("{name}.frame.bin"))).unwrap();
        assert_eq!(validate_message(&msg), Ok(()), "{name}");
    }
}

#[test]
fn an_empty_registration_names_every_mandatory_field() {
    let e = validate_registration(&Registration::default()).unwrap_err();
    assert_eq!(
        paths(&e),
        [
            "registration.node_definition",
            "registration.icd_version",
            "registration.capabilities",
            "registration.status_definition",
            "registration.mode_definition",
        ]
    );
}

#[test]
fn nested_mandatory_fields_are_reported_with_their_index_path() {
    let mut msg = registration_sample();
    let r = registration_of(&mut msg);
    r.capabilities[0].r#type = None;
    r.node_definition[0].node_type = Some(0);
    let m = &mut r.mode_definition[0];
    m.settle_time.as_mut().unwrap().units = None;
    m.task
        .as_mut()
        .unwrap()
        .region_definition
        .as_mut()
        .unwrap()
        .region_area
        .clear();
    r.status_definition.as_mut().unwrap().status_interval = None;
    let e = validate_registration(r).unwrap_err();
    assert_eq!(
        paths(&e),
        [
            "registration.node_definition[0].node_type",
            "registration.capabilities[0].type",
            "registration.status_definition.status_interval",
            "registration.mode_definition[0].settle_time.units",
            "registration.mode_definition[0].task.region_definition.region_area",
        ]
    );
}

#[test]
fn another_icd_version_is_refused_quoting_what_was_sent() {
    let mut msg = registration_sample();
    registration_of(&mut msg).icd_version = Some("SAPIENT v7".into());
    let Some(Content::Registration(r)) = &msg.content else {
        unreachable!()
    };
    let e = validate_registration(r).unwrap_err();
    assert_eq!(
        e.0,
        [ValidationError::WrongIcdVersion {
            path: "registration.icd_version".into(),
            found: "SAPIENT v7".into(),
            expected: "BSI Flex 335 v2.0",
        }]
    );
    assert!(e.to_string().contains("SAPIENT v7"));
}

#[test]
fn an_envelope_without_timestamp_node_or_content_is_invalid() {
    let e = validate_message(&SapientMessage::default()).unwrap_err();
    assert_eq!(paths(&e), ["timestamp", "node_id", "content"]);
}

#[test]
fn the_registration_reply_accepts_a_valid_node_and_addresses_it() {
    let msg = registration_sample();
    let now = Timestamp::from_micros(1_700_000_000_000_000);
    let (ack, outcome) = registration_reply("fusion-node-uuid", &msg, now);
    assert_eq!(outcome, Ok(()));
    assert_eq!(ack.destination_id, msg.node_id);
    assert_eq!(ack.node_id.as_deref(), Some("fusion-node-uuid"));
    let Some(Content::RegistrationAck(a)) = ack.content else {
        panic!("not an ack")
    };
    assert_eq!(a.acceptance, Some(true));
    assert!(a.ack_response_reason.is_empty());
}

#[test]
fn the_registration_reply_rejects_with_one_reason_per_problem() {
    let mut msg = registration_sample();
    let r = registration_of(&mut msg);
    r.capabilities.clear();
    r.icd_version = None;
    let (ack, outcome) = registration_reply("me", &msg, Timestamp::from_micros(0));
    assert_eq!(outcome.unwrap_err().0.len(), 2);
    let Some(Content::RegistrationAck(a)) = ack.content else {
        panic!("not an ack")
    };
    assert_eq!(a.acceptance, Some(false));
    assert_eq!(a.ack_response_reason.len(), 2);
    assert!(a.ack_response_reason[0].contains("registration.icd_version"));
    assert!(a.ack_response_reason[1].contains("registration.capabilities"));
}
