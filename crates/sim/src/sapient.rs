//! The scenario's radar as a SAPIENT node (BSI Flex 335 v2.0): the same detections as its
//! JSON lines in [`Scenario::feed`], as length-prefixed protobuf frames: one Registration, a
//! StatusReport with the node's position every few seconds, and one DetectionReport per
//! detection with range and bearing from the node, their 1-σ errors, a classification and an
//! object id.
//!
//! The object ids come from the radar's own plot-to-track association, as a real radar's do:
//! a detection continues the object whose predicted position is nearest within a gate of
//! three σ (plus what the object may have manoeuvred since), greedily, nearest pair first;
//! otherwise it starts a new object. An object unseen for [`OBJECT_TIMEOUT_S`] is forgotten.
//! Clutter therefore gets short-lived ids, and two birds crossing may swap theirs, as with a
//! real sensor.

use crate::scenario::{FeedFrame, Scenario};
use picket_core::{
    ClassHint, GeoPoint, Input, Measurement, Observation, SensorId, TargetClass, Timestamp,
};
use picket_obsjson::{decode_line, SensorContext};
use picket_sapient::proto::detection_report::{
    DetectionReportClassification, LocationOneof, SubClass,
};
use picket_sapient::proto::{
    sapient_message::Content, DetectionReport, RangeBearing, RangeBearingCoordinateSystem,
    RangeBearingDatum, SapientMessage,
};
use picket_sapient::reply::timestamp_to_proto;
use picket_sapient::upstream::ulid;
use picket_sapient::{encode_frame, message_from_json};

/// The radar node's UUID.
pub const RADAR_NODE_ID: &str = "3f0d7c52-9b1e-4c8a-a6f4-2d5e8b7c9a01";
/// The radar's sensor id in the scenario.
pub const RADAR_SENSOR_ID: &str = "radar-1";
/// An object not detected for this long is forgotten; a later detection starts a new id.
pub const OBJECT_TIMEOUT_S: f64 = 3.0;
/// A StatusReport (with the node's position) this often, seconds.
const STATUS_PERIOD_S: f64 = 5.0;
/// Speed change an object may make between detections, for the association gate, m/s.
const MANOEUVRE_MPS: f64 = 25.0;
/// Position and velocity gains of the radar's alpha-beta filter.
const ALPHA: f64 = 0.5;
const BETA: f64 = 0.15;

/// One object of the radar's own tracker.
struct RadarObject {
    id: String,
    /// Position, radar-local ENU metres.
    pos: [f64; 3],
    /// Velocity estimate, m/s.
    vel: [f64; 3],
    last: Timestamp,
}

/// The radar's SAPIENT frames for `scenario`, in time order: empty when it has no radar.
pub fn sapient_radar(scenario: &Scenario) -> Vec<FeedFrame> {
    let sensor = SensorId(RADAR_SENSOR_ID.into());
    let Some(radar) = scenario
        .sensors
        .iter()
        .find(|s| s.id == sensor)
        .and_then(|s| s.position)
    else {
        return Vec::new();
    };
    let ctx = SensorContext {
        sensor_id: sensor.clone(),
        position: Some(radar),
    };
    let detections: Vec<Observation> = scenario
        .feed
        .iter()
        .filter(|f| f.sensor_id == sensor)
        .filter_map(|f| match decode_line(&f.line, &ctx) {
            Ok(Input::Observation(o)) => Some(o),
            _ => None,
        })
        .collect();
    let mut frames = Vec::new();
    let frame_at = |time: Timestamp, msg: &SapientMessage| FeedFrame {
        time,
        sensor_id: sensor.clone(),
        bytes: encode_frame(msg).expect("the simulator's messages fit in a frame"),
    };
    frames.push(frame_at(scenario.start, &registration(scenario.start)));
    let mut next_status = scenario.start;
    let mut objects: Vec<RadarObject> = Vec::new();
    let mut seq: u64 = 0;
    let mut i = 0;
    while i < detections.len() {
        let time = detections[i].time;
        let n = detections[i..]
            .iter()
            .take_while(|o| o.time == time)
            .count();
        let scan = &detections[i..i + n];
        i += n;
        while next_status <= time {
            frames.push(frame_at(next_status, &status(next_status, &radar, seq)));
            seq += 1;
            next_status = next_status.plus_secs_f64(STATUS_PERIOD_S);
        }
        let ids = associate(&mut objects, scan, time, &mut seq);
        for (o, id) in scan.iter().zip(ids) {
            if let Some(msg) = detection(o, &id, seq) {
                frames.push(frame_at(time, &msg));
                seq += 1;
            }
        }
    }
    frames
}

/// Radar-local ENU of a range/azimuth/elevation, and its 1-σ position error (cross-range
/// or range, whichever is larger), metres.
fn local(m: &Measurement) -> Option<([f64; 3], f64)> {
    let Measurement::RangeAzEl {
        range_m,
        azimuth_deg,
        elevation_deg,
        sigma_range_m,
        sigma_azimuth_deg,
        sigma_elevation_deg,
        ..
    } = m
    else {
        return None;
    };
    let (sa, ca) = azimuth_deg.to_radians().sin_cos();
    let (se, ce) = elevation_deg.to_radians().sin_cos();
    let sigma_m =
        sigma_range_m.max(range_m * sigma_azimuth_deg.max(*sigma_elevation_deg).to_radians());
    Some((
        [range_m * ce * sa, range_m * ce * ca, range_m * se],
        sigma_m,
    ))
}

/// Object ids for one scan's detections (greedy nearest neighbour against predicted objects).
fn associate(
    objects: &mut Vec<RadarObject>,
    scan: &[Observation],
    time: Timestamp,
    seq: &mut u64,
) -> Vec<String> {
    objects.retain(|o| time.seconds_since(o.last) <= OBJECT_TIMEOUT_S);
    let points: Vec<Option<([f64; 3], f64)>> = scan.iter().map(|o| local(&o.measurement)).collect();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (oi, obj) in objects.iter().enumerate() {
        let dt = time.seconds_since(obj.last);
        let pred = [0, 1, 2].map(|k| obj.pos[k] + obj.vel[k] * dt);
        for (di, p) in points.iter().enumerate() {
            let Some((p, sigma_m)) = p else { continue };
            let d = (0..3).map(|k| (p[k] - pred[k]).powi(2)).sum::<f64>().sqrt();
            // Noise of the new plot and of the smoothed position, and what the object may
            // have manoeuvred since.
            if d <= 4.0 * sigma_m + MANOEUVRE_MPS * dt {
                pairs.push((d, oi, di));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut ids: Vec<Option<String>> = vec![None; scan.len()];
    let mut taken = vec![false; objects.len()];
    for (_, oi, di) in pairs {
        if taken[oi] || ids[di].is_some() {
            continue;
        }
        taken[oi] = true;
        let Some((p, _)) = points[di] else { continue };
        let obj = &mut objects[oi];
        let dt = time.seconds_since(obj.last);
        if dt > 0.0 {
            for ((pos, vel), z) in obj.pos.iter_mut().zip(&mut obj.vel).zip(p) {
                let pred = *pos + *vel * dt;
                let residual = z - pred;
                *pos = pred + ALPHA * residual;
                *vel += BETA * residual / dt;
            }
        }
        obj.last = time;
        ids[di] = Some(obj.id.clone());
    }
    ids.into_iter()
        .zip(&points)
        .map(|(id, p)| {
            id.unwrap_or_else(|| {
                *seq += 1;
                let id = ulid(time.as_micros() / 1_000, u128::from(*seq) | (0x6f62 << 64));
                if let Some((pos, _)) = p {
                    objects.push(RadarObject {
                        id: id.clone(),
                        pos: *pos,
                        vel: [0.0; 3],
                        last: time,
                    });
                }
                id
            })
        })
        .collect()
}

fn envelope(time: Timestamp, content: Content) -> SapientMessage {
    SapientMessage {
        timestamp: Some(timestamp_to_proto(time)),
        node_id: Some(RADAR_NODE_ID.into()),
        destination_id: None,
        additional_information: None,
        content: Some(content),
    }
}

/// The radar's Registration: range-bearing detections in degrees and metres from true north,
/// its own location in WGS-84 latitude/longitude/height, velocities in m/s.
fn registration(time: Timestamp) -> SapientMessage {
    let json = format!(
        r#"{{"timestamp":"{}","nodeId":"{RADAR_NODE_ID}","registration":{{
        "nodeDefinition":[{{"nodeType":"NODE_TYPE_RADAR"}}],"icdVersion":"BSI Flex 335 v2.0",
        "name":"Naco radar","capabilities":[{{"category":"Radar","type":"Range"}}],
        "statusDefinition":{{"statusInterval":{{"units":"TIME_UNITS_SECONDS","value":5}},
          "locationDefinition":{{"locationUnits":"LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M",
                                 "locationDatum":"LOCATION_DATUM_WGS84_E"}}}},
        "modeDefinition":[{{"modeName":"Default","modeType":"MODE_TYPE_DEFAULT",
          "settleTime":{{"units":"TIME_UNITS_SECONDS","value":0}},
          "detectionDefinition":[{{
            "locationType":{{"rangeBearingUnits":"RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M",
                             "rangeBearingDatum":"RANGE_BEARING_DATUM_TRUE"}},
            "detectionClassDefinition":[{{"classDefinition":[{{"type":"Air Vehicle",
               "subClass":[{{"type":"UAV","level":1}},{{"type":"Manned Aircraft","level":1}}]}},
               {{"type":"Bird"}},{{"type":"Unknown"}}]}}],
            "velocityType":{{"enuVelocityUnits":{{"eastNorthRateUnits":"SPEED_UNITS_MS"}},
                             "locationDatum":"LOCATION_DATUM_WGS84_E"}}}}],
          "task":{{"regionDefinition":{{"regionType":["REGION_TYPE_AREA_OF_INTEREST"],
             "regionArea":[{{"locationUnits":"LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M",
                             "locationDatum":"LOCATION_DATUM_WGS84_E"}}]}}}}}}]}}}}"#,
        time.to_rfc3339()
    );
    message_from_json(&json).expect("the simulator's registration is valid")
}

/// A StatusReport carrying the node's position.
fn status(time: Timestamp, radar: &GeoPoint, seq: u64) -> SapientMessage {
    let json = format!(
        r#"{{"timestamp":"{}","nodeId":"{RADAR_NODE_ID}","statusReport":{{
        "reportId":"{}","system":"SYSTEM_OK","info":"INFO_NEW","mode":"Default",
        "nodeLocation":{{"x":{},"y":{},"z":{}}}}}}}"#,
        time.to_rfc3339(),
        ulid(time.as_micros() / 1_000, u128::from(seq) | (0x7374 << 64)),
        radar.lon_deg,
        radar.lat_deg,
        radar.alt_hae_m
    );
    message_from_json(&json).expect("the simulator's status report is valid")
}

/// The classification a radar with micro-Doppler gives: a path in its declared taxonomy.
fn classification(hint: Option<ClassHint>) -> Vec<DetectionReportClassification> {
    let Some(h) = hint else {
        return Vec::new();
    };
    let top = |name: &str, sub: Option<&str>| DetectionReportClassification {
        r#type: Some(name.into()),
        confidence: Some(h.confidence),
        sub_class: sub
            .map(|s| SubClass {
                r#type: Some(s.into()),
                confidence: Some(h.confidence),
                level: Some(1),
                sub_class: Vec::new(),
            })
            .into_iter()
            .collect(),
    };
    vec![match h.class {
        TargetClass::Drone => top("Air Vehicle", Some("UAV")),
        TargetClass::MannedAircraft => top("Air Vehicle", Some("Manned Aircraft")),
        TargetClass::Bird => top("Bird", None),
        TargetClass::Unknown => top("Unknown", None),
    }]
}

/// One detection as a DetectionReport from the node.
fn detection(o: &Observation, object_id: &str, seq: u64) -> Option<SapientMessage> {
    let Measurement::RangeAzEl {
        range_m,
        azimuth_deg,
        elevation_deg,
        sigma_range_m,
        sigma_azimuth_deg,
        sigma_elevation_deg,
        ..
    } = o.measurement
    else {
        return None;
    };
    let report = DetectionReport {
        report_id: Some(ulid(
            o.time.as_micros() / 1_000,
            u128::from(seq) | (0x6472 << 64),
        )),
        object_id: Some(object_id.to_owned()),
        classification: classification(o.class_hint),
        location_oneof: Some(LocationOneof::RangeBearing(RangeBearing {
            range: Some(range_m),
            azimuth: Some(azimuth_deg),
            elevation: Some(elevation_deg),
            range_error: Some(sigma_range_m),
            azimuth_error: Some(sigma_azimuth_deg),
            elevation_error: Some(sigma_elevation_deg),
            coordinate_system: Some(RangeBearingCoordinateSystem::DegreesM as i32),
            datum: Some(RangeBearingDatum::True as i32),
        })),
        ..DetectionReport::default()
    };
    Some(envelope(o.time, Content::DetectionReport(report)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use picket_core::Identity;
    use picket_sapient::{decode_frame, MappingOptions, Session};
    use std::collections::{BTreeMap, BTreeSet};

    fn scenario() -> Scenario {
        crate::naco(Timestamp::from_secs_f64(1_790_000_000.0), 7)
    }

    #[test]
    fn every_radar_line_becomes_a_detection_report_the_fusion_node_reads_back() {
        let s = scenario();
        let frames = sapient_radar(&s);
        let lines: Vec<Observation> = s
            .feed
            .iter()
            .filter(|f| f.sensor_id.0 == RADAR_SENSOR_ID)
            .filter_map(|f| {
                let ctx = SensorContext {
                    sensor_id: f.sensor_id.clone(),
                    position: s.sensors.iter().find(|x| x.id == f.sensor_id)?.position,
                };
                match decode_line(&f.line, &ctx).ok()? {
                    Input::Observation(o) => Some(o),
                    Input::UnitPosition(_) => None,
                }
            })
            .collect();
        assert!(lines.len() > 1_000, "{} radar lines", lines.len());
        assert!(frames.windows(2).all(|w| w[0].time <= w[1].time));
        // Through the fusion node's session, as a live SAPIENT connection would be read.
        let mut session = Session::new(
            "00000000-0000-4000-8000-000000000001",
            SensorId(RADAR_SENSOR_ID.into()),
            MappingOptions::default(),
        );
        let mut decoded = Vec::new();
        for f in &frames {
            for e in session.on_bytes(&f.bytes, f.time) {
                match e {
                    picket_sapient::Event::Observation(o) => decoded.push(o.observation),
                    picket_sapient::Event::Rejected { reason } => panic!("rejected: {reason}"),
                    _ => {}
                }
            }
        }
        assert_eq!(decoded.len(), lines.len());
        for (d, l) in decoded.iter().zip(&lines) {
            assert_eq!(d.time, l.time);
            let (
                Measurement::RangeAzEl {
                    range_m: a,
                    azimuth_deg: az_a,
                    sensor_position: pa,
                    ..
                },
                Measurement::RangeAzEl {
                    range_m: b,
                    azimuth_deg: az_b,
                    sensor_position: pb,
                    ..
                },
            ) = (&d.measurement, &l.measurement)
            else {
                panic!("{d:?}")
            };
            assert!((a - b).abs() < 1e-6 && (az_a - az_b).abs() < 1e-9);
            assert!(
                (pa.lat_deg - pb.lat_deg).abs() < 1e-9
                    && (pa.alt_hae_m - pb.alt_hae_m).abs() < 1e-6
            );
            assert!(matches!(d.identity, Some(Identity::SapientObject { .. })));
            if let Some(h) = l.class_hint.filter(|h| h.class != TargetClass::Unknown) {
                assert_eq!(d.class_hint.map(|x| x.class), Some(h.class));
            }
        }
        let first = frames.first().map(|f| decode_frame(&f.bytes).unwrap().0);
        assert!(matches!(
            first.and_then(|m| m.content),
            Some(Content::Registration(_))
        ));
    }

    #[test]
    fn a_target_keeps_its_object_id_across_scans_and_clutter_does_not() {
        let s = scenario();
        let frames = sapient_radar(&s);
        // Detections per object id.
        let mut per_object: BTreeMap<String, usize> = BTreeMap::new();
        for f in &frames {
            if let Some(Content::DetectionReport(d)) = decode_frame(&f.bytes).unwrap().0.content {
                *per_object.entry(d.object_id.unwrap()).or_default() += 1;
            }
        }
        let mut sizes: Vec<usize> = per_object.values().copied().collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes.truncate(30);
        let long_lived = sizes.iter().filter(|&&n| n >= 60).count();
        let singles = per_object.values().filter(|&&n| n == 1).count();
        // The striker, the chasers, the hobby drone, birds, the helicopter, the reflector:
        // each a long-lived id; clutter: many one-detection ids.
        assert!(
            long_lived >= 5,
            "{long_lived} long-lived ids; largest {sizes:?}"
        );
        assert!(singles > 300, "{singles} one-detection ids");
        let ids: BTreeSet<&String> = per_object.keys().collect();
        assert_eq!(ids.len(), per_object.len());
        // Deterministic.
        assert_eq!(frames, sapient_radar(&s));
    }
}
