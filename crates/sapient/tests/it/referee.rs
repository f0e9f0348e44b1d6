//! Interoperability with an independent implementation: PyPI sapient-py (framing) and its
//! generated v2.0 classes, run as a separate process.

use crate::{hex, referee, unhex};
use picket_core::{GeoPoint, SensorId, Timestamp};
use picket_sapient::observe::message_to_observation;
use picket_sapient::validate::validate_message;
use picket_sapient::{
    content_name, decode_frame, encode_frame, error_reply, look_at_task, message_from_json,
    message_to_json, registration_ack, Content, MappingOptions, NodeProfile,
};
use serde_json::Value;

#[test]
fn frames_built_by_sapient_py_decode_to_the_messages_it_built() {
    let lines = referee(&["make-frames"], "");
    assert_eq!(lines.len(), 7, "the referee builds seven messages");
    let mut contents = Vec::new();
    let mut profile = None;
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap();
        let frame = unhex(v["frame"].as_str().unwrap());
        let (msg, used) = decode_frame(&frame).unwrap();
        assert_eq!(used, frame.len());
        assert_eq!(message_to_json(&msg), v["json"], "{}", content_name(&msg));
        assert_eq!(encode_frame(&msg).unwrap(), frame, "{}", content_name(&msg));
        assert_eq!(validate_message(&msg), Ok(()), "{}", content_name(&msg));
        if let Some(Content::Registration(r)) = &msg.content {
            profile = Some(NodeProfile::from_registration(
                msg.node_id.as_deref().unwrap(),
                r,
            ));
        }
        contents.push(content_name(&msg));
    }
    assert_eq!(
        contents,
        [
            "registration",
            "statusReport",
            "detectionReport",
            "detectionReport",
            "task",
            "alert",
            "error"
        ]
    );
    // The referee's range-bearing detection maps with the referee's registration.
    let profile = profile.unwrap();
    let v: Value = serde_json::from_str(&lines[2]).unwrap();
    let (det, _) = decode_frame(&unhex(v["frame"].as_str().unwrap())).unwrap();
    let post = GeoPoint::new(51.2, -1.8, 120.0);
    let o = message_to_observation(
        &det,
        &SensorId::from("r"),
        &profile,
        Some(post),
        &MappingOptions::default(),
    )
    .unwrap();
    assert_eq!(
        o.observation.class_hint.map(|h| h.class),
        Some(picket_core::TargetClass::Drone)
    );
}

#[test]
fn frames_we_build_are_read_by_sapient_py_as_the_same_messages() {
    let t = Timestamp::parse_rfc3339("2026-11-26T12:00:00.123456Z").unwrap();
    let me = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    let node = "5b9a4a8e-0c31-4d1e-9a57-1f2e3d4c5b6a";
    let detection = message_from_json(&format!(
        r#"{{"timestamp":"2026-11-26T12:00:01Z","nodeId":"{node}","detectionReport":{{
           "reportId":"R1","objectId":"O1","location":{{"x":-1.79,"y":51.21,"z":180,
           "coordinateSystem":"LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M",
           "datum":"LOCATION_DATUM_WGS84_E"}},"detectionConfidence":0.9,
           "classification":[{{"type":"Air Vehicle","confidence":0.8,
              "subClass":[{{"type":"UAV","confidence":0.7,"level":1}}]}}]}}}}"#
    ))
    .unwrap();
    let msgs = [
        registration_ack(me, node, t, true, vec![]),
        registration_ack(
            me,
            node,
            t,
            false,
            vec!["`registration.icd_version` is mandatory".into()],
        ),
        error_reply(
            me,
            Some(node),
            t,
            &[0xde, 0xad, 0xbe, 0xef],
            vec!["bad frame".into()],
        ),
        look_at_task(me, node, t, "01JTASK", GeoPoint::new(51.21, -1.79, 180.0)),
        detection,
    ];
    let stream: Vec<u8> = msgs.iter().flat_map(|m| encode_frame(m).unwrap()).collect();
    let theirs = referee(&["frames-to-json"], &(hex(&stream) + "\n"));
    assert_eq!(theirs.len(), msgs.len());
    for (m, line) in msgs.iter().zip(&theirs) {
        let theirs: Value = serde_json::from_str(line).unwrap();
        assert_eq!(message_to_json(m), theirs, "{}", content_name(m));
    }
    let ack: Value = serde_json::from_str(&theirs[0]).unwrap();
    assert_eq!(ack["registrationAck"]["acceptance"], Value::Bool(true));
    assert_eq!(ack["timestamp"], "2026-11-26T12:00:00.123456Z");
    assert_eq!(ack["destinationId"], node);
    let task: Value = serde_json::from_str(&theirs[3]).unwrap();
    assert_eq!(
        task["task"]["command"]["lookAt"]["locationList"]["locations"][0]["y"],
        serde_json::json!(51.21)
    );
}
