//! The official BSI Flex 335 v2.0 sample messages (dstl test harness).

use crate::{referee, sample, SAMPLES};
use picket_sapient::proto::detection_report::{LocationOneof, VelocityOneof};
use picket_sapient::proto::LocationCoordinateSystem;
use picket_sapient::{
    content_name, decode_frame, decode_sapient_stream, encode_frame, message_from_json,
    message_to_json, Content,
};
use prost::Message;
use serde_json::Value;

#[test]
fn every_official_frame_decodes_and_reencodes_byte_for_byte() {
    for name in SAMPLES {
        let frame = sample(&format!("{name}.frame.bin"));
        let (msg, used) = decode_frame(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(used, frame.len(), "{name}: one frame fills the file");
        assert!(msg.content.is_some(), "{name}: has content");
        assert_eq!(
            encode_frame(&msg).unwrap(),
            frame,
            "{name}: re-encoding differs"
        );
    }
}

#[test]
fn every_json_sample_is_the_same_message_as_its_frame() {
    for name in SAMPLES {
        let frame = sample(&format!("{name}.frame.bin"));
        let json = String::from_utf8(sample(&format!("{name}.json"))).unwrap();
        let (from_frame, _) = decode_frame(&frame).unwrap();
        let from_json = message_from_json(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(from_json, from_frame, "{name}");
        assert_eq!(
            from_json.encode_to_vec(),
            frame[4..],
            "{name}: JSON re-encodes to the frame"
        );
    }
}

#[test]
fn the_detection_sample_fields_read_from_the_frame_match_its_json_text() {
    let (msg, _) = decode_frame(&sample(
        "dstl_testharness_Default.DetectionReport.frame.bin",
    ))
    .unwrap();
    let json: Value =
        serde_json::from_slice(&sample("dstl_testharness_Default.DetectionReport.json")).unwrap();
    let j = &json["detectionReport"];
    assert_eq!(msg.node_id.as_deref(), json["nodeId"].as_str());
    let Some(Content::DetectionReport(d)) = &msg.content else {
        panic!("not a detection report")
    };
    assert_eq!(d.object_id.as_deref(), j["objectId"].as_str());
    assert_eq!(d.report_id.as_deref(), j["reportId"].as_str());
    let Some(LocationOneof::Location(l)) = &d.location_oneof else {
        panic!("no location")
    };
    assert_eq!(l.x, j["location"]["x"].as_f64());
    assert_eq!(l.y, j["location"]["y"].as_f64());
    assert_eq!(l.z, j["location"]["z"].as_f64());
    assert_eq!(
        l.coordinate_system,
        Some(LocationCoordinateSystem::UtmM as i32)
    );
    assert_eq!(l.utm_zone.as_deref(), j["location"]["utmZone"].as_str());
    assert_eq!(
        d.detection_confidence.map(f64::from),
        j["detectionConfidence"]
            .as_f64()
            .map(|c| f64::from(c as f32))
    );
    let c = &d.classification[0];
    assert_eq!(c.r#type.as_deref(), j["classification"][0]["type"].as_str());
    assert_eq!(
        c.sub_class[0].r#type.as_deref(),
        j["classification"][0]["subClass"][0]["type"].as_str()
    );
    assert_eq!(
        c.sub_class[0].level.map(i64::from),
        j["classification"][0]["subClass"][0]["level"].as_i64()
    );
    let Some(VelocityOneof::EnuVelocity(v)) = &d.velocity_oneof else {
        panic!("no velocity")
    };
    assert_eq!(v.east_rate, j["enu_velocity"]["eastRate"].as_f64());
    assert_eq!(v.north_rate, j["enu_velocity"]["northRate"].as_f64());
    assert_eq!(v.up_rate, j["enu_velocity"]["upRate"].as_f64());
    assert_eq!(d.id.as_deref(), j["id"].as_str());
    let ts = msg.timestamp.unwrap();
    // "2023-07-07T12:44:17.027638700Z"
    assert_eq!((ts.seconds, ts.nanos), (1_688_733_857, 27_638_700));
}

#[test]
fn a_stream_of_the_three_samples_decodes_to_three_json_lines_in_order() {
    let mut stream = Vec::new();
    let mut offsets = Vec::new();
    for name in SAMPLES {
        offsets.push(stream.len());
        stream.extend(sample(&format!("{name}.frame.bin")));
    }
    let lines = decode_sapient_stream(&stream);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let contents: Vec<_> = lines
        .iter()
        .map(|l| l["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        ["registration", "statusReport", "detectionReport"]
    );
    for (line, off) in lines.iter().zip(&offsets) {
        assert_eq!(line["offset"].as_u64(), Some(*off as u64));
        let content = line["content"].as_str().unwrap();
        assert!(line["message"][content].is_object(), "{line}");
    }
}

#[test]
fn our_json_of_every_sample_equals_the_referee_json() {
    let frames: Vec<Vec<u8>> = SAMPLES
        .iter()
        .map(|n| sample(&format!("{n}.frame.bin")))
        .collect();
    let input: String = frames.iter().map(|f| crate::hex(f) + "\n").collect();
    let theirs = referee(&["frames-to-json"], &input);
    assert_eq!(theirs.len(), frames.len());
    for (frame, their_line) in frames.iter().zip(&theirs) {
        let (msg, _) = decode_frame(frame).unwrap();
        let ours = message_to_json(&msg);
        let theirs: Value = serde_json::from_str(their_line).unwrap();
        assert_eq!(ours, theirs, "{}", content_name(&msg));
    }
}
