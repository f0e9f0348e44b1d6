//! DetectionReport → Observation, node profiles and node positions.

use crate::{referee, sample};
use picket_core::{
    ClassHint, GeoPoint, Identity, LocalFrame, Measurement, SensorId, TargetClass, Timestamp,
};
use picket_sapient::observe::{message_to_observation, node_position};
use picket_sapient::proto::registration::NodeType;
use picket_sapient::proto::{LocationCoordinateSystem, LocationDatum};
use picket_sapient::{
    decode_frame, message_from_json, Content, MapError, MappingOptions, NodeProfile, SapientMessage,
};

const NODE: &str = "5b9a4a8e-0c31-4d1e-9a57-1f2e3d4c5b6a";
const POST: GeoPoint = GeoPoint::new(51.2, -1.8, 120.0);

fn msg(json: &str) -> SapientMessage {
    message_from_json(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

/// A radar registering range-bearing detections in degrees/metres from true north, node
/// location in lat/lng degrees, velocity in `speed_units`.
fn radar_registration(speed_units: &str) -> SapientMessage {
    msg(&format!(
        r#"{{"timestamp":"2026-11-26T12:00:00Z","nodeId":"{NODE}","registration":{{
        "nodeDefinition":[{{"nodeType":"NODE_TYPE_RADAR"}}],"icdVersion":"BSI Flex 335 v2.0",
        "capabilities":[{{"category":"Radar","type":"Range"}}],
        "statusDefinition":{{"statusInterval":{{"units":"TIME_UNITS_SECONDS","value":1}},
          "locationDefinition":{{"locationUnits":"LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M",
                                 "locationDatum":"LOCATION_DATUM_WGS84_E"}}}},
        "modeDefinition":[{{"modeName":"Default","modeType":"MODE_TYPE_DEFAULT",
          "settleTime":{{"units":"TIME_UNITS_SECONDS","value":0}},
          "detectionDefinition":[{{
            "locationType":{{"rangeBearingUnits":"RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M",
                             "rangeBearingDatum":"RANGE_BEARING_DATUM_TRUE"}},
            "detectionClassDefinition":[{{"classDefinition":[{{"type":"Air Vehicle",
               "subClass":[{{"type":"UAV","level":1,"subClass":[{{"type":"Multirotor","level":2}}]}}]}},
               {{"type":"Bird"}}]}}],
            "velocityType":{{"enuVelocityUnits":{{"eastNorthRateUnits":"{speed_units}"}},
                             "locationDatum":"LOCATION_DATUM_WGS84_E"}}}}],
          "task":{{"regionDefinition":{{"regionType":["REGION_TYPE_AREA_OF_INTEREST"],
             "regionArea":[{{"locationUnits":"LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M",
                             "locationDatum":"LOCATION_DATUM_WGS84_E"}}]}}}}}}]}}}}"#
    ))
}

fn profile(reg: &SapientMessage) -> NodeProfile {
    let Some(Content::Registration(r)) = &reg.content else {
        panic!("not a registration")
    };
    NodeProfile::from_registration(NODE, r)
}

fn detection(body: &str) -> SapientMessage {
    msg(&format!(
        r#"{{"timestamp":"2026-11-26T12:00:01.250Z","nodeId":"{NODE}",
            "detectionReport":{{"reportId":"01JDR","objectId":"01JOBJ",{body}}}}}"#
    ))
}

fn sensor() -> SensorId {
    SensorId::from("radar-1")
}

#[test]
fn the_profile_keeps_declared_units_datum_velocity_units_and_taxonomy() {
    let p = profile(&radar_registration("SPEED_UNITS_KPH"));
    assert_eq!(p.node_types, [NodeType::Radar]);
    assert_eq!(
        p.node_location.coordinate_system,
        Some(LocationCoordinateSystem::LatLngDegM)
    );
    assert_eq!(p.node_location.datum, Some(LocationDatum::Wgs84E));
    assert!(p.detection_range_bearing.coordinate_system.is_some());
    assert_eq!(
        p.classes,
        [
            "Air Vehicle",
            "Air Vehicle/UAV",
            "Air Vehicle/UAV/Multirotor",
            "Bird"
        ]
    );
}

#[test]
fn a_range_bearing_detection_is_range_az_el_from_the_reported_node_position() {
    let reg = radar_registration("SPEED_UNITS_MS");
    let p = profile(&reg);
    let status = msg(&format!(
        r#"{{"timestamp":"2026-11-26T12:00:00.5Z","nodeId":"{NODE}","statusReport":{{
        "reportId":"01JS","system":"SYSTEM_OK","info":"INFO_NEW","mode":"Default",
        "nodeLocation":{{"x":-1.8,"y":51.2,"z":120}}}}}}"#
    ));
    let Some(Content::StatusReport(s)) = &status.content else {
        panic!()
    };
    // Coordinate system and datum come from the registration when the location omits them.
    let pos = node_position(s, &p, &MappingOptions::default()).unwrap();
    assert_eq!(pos, POST);
    let det = detection(
        r#""rangeBearing":{"range":1500,"azimuth":135,"elevation":3.5,"rangeError":5,
           "azimuthError":0.5,"coordinateSystem":"RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M",
           "datum":"RANGE_BEARING_DATUM_TRUE"},
           "detectionConfidence":0.875,
           "classification":[{"type":"Air Vehicle","confidence":0.75,
              "subClass":[{"type":"UAV","confidence":0.625,"level":1}]}],
           "enuVelocity":{"eastRate":-10,"northRate":10,"upRate":-0.5}"#,
    );
    let o =
        message_to_observation(&det, &sensor(), &p, Some(pos), &MappingOptions::default()).unwrap();
    let obs = &o.observation;
    assert_eq!(
        obs.time,
        Timestamp::parse_rfc3339("2026-11-26T12:00:01.25Z").unwrap()
    );
    assert_eq!(obs.sensor_id, sensor());
    assert_eq!(
        obs.measurement,
        Measurement::RangeAzEl {
            sensor_position: POST,
            range_m: 1500.0,
            azimuth_deg: 135.0,
            elevation_deg: 3.5,
            sigma_range_m: 5.0,
            sigma_azimuth_deg: 0.5,
            sigma_elevation_deg: MappingOptions::default().default_sigma_elevation_deg,
        }
    );
    assert_eq!(
        obs.identity,
        Some(Identity::SapientObject {
            node: NODE.into(),
            object: "01JOBJ".into()
        })
    );
    assert_eq!(
        obs.class_hint,
        Some(ClassHint {
            class: TargetClass::Drone,
            confidence: 0.625
        })
    );
    assert_eq!(
        obs.side.reported_velocity_enu_mps,
        Some([-10.0, 10.0, -0.5])
    );
    assert_eq!(o.detection_confidence, Some(0.875));
    assert_eq!(o.class_path.len(), 2);
}

#[test]
fn kilometres_and_radians_are_converted_and_kph_velocity_is_metres_per_second() {
    let p = profile(&radar_registration("SPEED_UNITS_KPH"));
    let det = detection(
        r#""rangeBearing":{"range":1.5,"azimuth":1.5707963267948966,
           "coordinateSystem":"RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM",
           "datum":"RANGE_BEARING_DATUM_TRUE"},
           "enuVelocity":{"eastRate":36,"northRate":-72}"#,
    );
    let o = message_to_observation(&det, &sensor(), &p, Some(POST), &MappingOptions::default())
        .unwrap();
    let Measurement::RangeAzEl {
        range_m,
        azimuth_deg,
        elevation_deg,
        sigma_elevation_deg,
        ..
    } = o.observation.measurement
    else {
        panic!("not range-az-el")
    };
    assert!((range_m - 1500.0).abs() < 1e-9);
    assert!((azimuth_deg - 90.0).abs() < 1e-9);
    assert_eq!(elevation_deg, 0.0, "no elevation reported");
    assert_eq!(
        sigma_elevation_deg,
        MappingOptions::default().unknown_elevation_sigma_deg
    );
    let v = o.observation.side.reported_velocity_enu_mps.unwrap();
    assert!(
        (v[0] - 10.0).abs() < 1e-9 && (v[1] + 20.0).abs() < 1e-9,
        "{v:?}"
    );
}

#[test]
fn a_magnetic_azimuth_needs_the_declination_and_then_is_corrected_to_true() {
    let p = profile(&radar_registration("SPEED_UNITS_MS"));
    let det = detection(
        r#""rangeBearing":{"range":800,"azimuth":358,
           "coordinateSystem":"RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M",
           "datum":"RANGE_BEARING_DATUM_MAGNETIC"}"#,
    );
    let err = message_to_observation(&det, &sensor(), &p, Some(POST), &MappingOptions::default());
    assert_eq!(err.unwrap_err(), MapError::NoDeclination);
    let opts = MappingOptions {
        magnetic_declination_deg: Some(4.5),
        ..MappingOptions::default()
    };
    let o = message_to_observation(&det, &sensor(), &p, Some(POST), &opts).unwrap();
    let Measurement::RangeAzEl { azimuth_deg, .. } = o.observation.measurement else {
        panic!()
    };
    assert!((azimuth_deg - 2.5).abs() < 1e-9, "{azimuth_deg}");
}

#[test]
fn a_range_bearing_before_any_node_position_is_an_error() {
    let p = profile(&radar_registration("SPEED_UNITS_MS"));
    let det = detection(r#""rangeBearing":{"range":800,"azimuth":10}"#);
    let err = message_to_observation(&det, &sensor(), &p, None, &MappingOptions::default());
    assert_eq!(err.unwrap_err(), MapError::NoNodePosition);
}

#[test]
fn an_azimuth_without_range_is_a_bearing_only_measurement() {
    let p = profile(&radar_registration("SPEED_UNITS_MS"));
    let det = detection(r#""rangeBearing":{"azimuth":200,"azimuthError":3}"#);
    let o = message_to_observation(&det, &sensor(), &p, Some(POST), &MappingOptions::default())
        .unwrap();
    assert_eq!(
        o.observation.measurement,
        Measurement::Bearing {
            sensor_position: POST,
            bearing_deg: 200.0,
            sigma_bearing_deg: 3.0
        }
    );
}

#[test]
fn a_lat_lng_location_is_a_position_with_its_errors_in_metres() {
    let p = profile(&radar_registration("SPEED_UNITS_MS"));
    let det = detection(
        r#""location":{"x":-1.79,"y":51.21,"z":180,"xError":0.0001,"yError":0.0001,"zError":4,
           "coordinateSystem":"LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M",
           "datum":"LOCATION_DATUM_WGS84_E"},"id":"G-ABCD""#,
    );
    let o = message_to_observation(&det, &sensor(), &p, Some(POST), &MappingOptions::default())
        .unwrap();
    let Measurement::Position {
        position,
        cov_enu_m2,
    } = o.observation.measurement
    else {
        panic!("not a position")
    };
    assert_eq!(position, GeoPoint::new(51.21, -1.79, 180.0));
    // 0.0001° of latitude ≈ 11.1 m; of longitude at 51.21° ≈ 7.0 m.
    assert!(
        (cov_enu_m2[1][1].sqrt() - 11.13).abs() < 0.05,
        "{cov_enu_m2:?}"
    );
    assert!(
        (cov_enu_m2[0][0].sqrt() - 6.97).abs() < 0.05,
        "{cov_enu_m2:?}"
    );
    assert_eq!(cov_enu_m2[2][2], 16.0);
    assert_eq!(o.observation.side.callsign.as_deref(), Some("G-ABCD"));
}

#[test]
fn a_geoid_altitude_is_raised_by_the_configured_undulation() {
    let p = profile(&radar_registration("SPEED_UNITS_MS"));
    let det = detection(
        r#""location":{"x":-1.79,"y":51.21,"z":100,
           "coordinateSystem":"LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M",
           "datum":"LOCATION_DATUM_WGS84_G"}"#,
    );
    let opts = MappingOptions {
        geoid_undulation_m: Some(47.5),
        ..MappingOptions::default()
    };
    let o = message_to_observation(&det, &sensor(), &p, Some(POST), &opts).unwrap();
    let Measurement::Position { position, .. } = o.observation.measurement else {
        panic!()
    };
    assert_eq!(position.alt_hae_m, 147.5);
}

#[test]
fn a_utm_location_matches_the_utm_referee_and_needs_a_zone() {
    let p = profile(&radar_registration("SPEED_UNITS_MS"));
    let cases = [
        (600_000.0, 5_670_000.0),
        (431_234.5, 5_703_210.25),
        (500_000.0, 5_500_000.0),
    ];
    let input: String = cases
        .iter()
        .map(|(e, n)| format!("{e} {n} 30 U\n"))
        .collect();
    let expected = referee(&["utm-to-latlon"], &input);
    for ((e, n), line) in cases.iter().zip(&expected) {
        let mut it = line.split_whitespace().map(|x| x.parse::<f64>().unwrap());
        let (lat, lon) = (it.next().unwrap(), it.next().unwrap());
        let det = detection(&format!(
            r#""location":{{"x":{e},"y":{n},"z":50,"utmZone":"30U",
               "coordinateSystem":"LOCATION_COORDINATE_SYSTEM_UTM_M",
               "datum":"LOCATION_DATUM_WGS84_E"}}"#
        ));
        let o =
            message_to_observation(&det, &sensor(), &p, None, &MappingOptions::default()).unwrap();
        let Measurement::Position { position, .. } = o.observation.measurement else {
            panic!()
        };
        // The `utm` package is a short series: agree within ~1 cm.
        let d = LocalFrame::new(GeoPoint::new(lat, lon, 50.0)).to_enu(&position);
        assert!(
            d.east_m.abs() < 0.01 && d.north_m.abs() < 0.01,
            "{e} {n}: {d:?}"
        );
    }
    let det = detection(
        r#""location":{"x":600000,"y":5670000,
           "coordinateSystem":"LOCATION_COORDINATE_SYSTEM_UTM_M","datum":"LOCATION_DATUM_WGS84_E"}"#,
    );
    let err = message_to_observation(&det, &sensor(), &p, None, &MappingOptions::default());
    assert_eq!(err.unwrap_err(), MapError::UtmZone(None));
}

#[test]
fn the_official_detection_sample_maps_with_the_zone_from_its_location() {
    let (reg, _) =
        decode_frame(&sample("dstl_testharness_Default.Registration.frame.bin")).unwrap();
    let Some(Content::Registration(r)) = &reg.content else {
        panic!()
    };
    let p = NodeProfile::from_registration(reg.node_id.as_deref().unwrap(), r);
    assert_eq!(p.detection_location.zone.as_deref(), Some("30U"));
    assert_eq!(
        p.classes,
        ["Equipment", "Equipment/Weapon", "Equipment/Weapon/Bomb"]
    );
    let (det, _) = decode_frame(&sample(
        "dstl_testharness_Default.DetectionReport.frame.bin",
    ))
    .unwrap();
    let o = message_to_observation(&det, &sensor(), &p, None, &MappingOptions::default()).unwrap();
    let expected = referee(&["utm-to-latlon"], "51.1739726374 -1.82237671048 30 U\n");
    let mut it = expected[0]
        .split_whitespace()
        .map(|x| x.parse::<f64>().unwrap());
    let (lat, lon) = (it.next().unwrap(), it.next().unwrap());
    let Measurement::Position {
        position,
        cov_enu_m2,
    } = &o.observation.measurement
    else {
        panic!()
    };
    assert!((position.lat_deg - lat).abs() < 1e-7 && (position.lon_deg - lon).abs() < 1e-7);
    assert_eq!(position.alt_hae_m, 788.0);
    assert_eq!(cov_enu_m2[0][0], 25.0, "x_error 5 m");
    assert_eq!(
        o.observation.identity,
        Some(Identity::SapientObject {
            node: "a8654cdf-4328-47de-81fa-c495589e30c9".into(),
            object: "01GGYFBAXH4VYRQYEX7S3XGK3H".into()
        })
    );
    // "Human / Male" is outside the air taxonomy: no hint, but the path is kept.
    assert_eq!(o.observation.class_hint, None);
    assert_eq!(o.class_path[0].0, "Human");
    assert_eq!(
        o.observation.side.reported_velocity_enu_mps,
        Some([1.0, 2.0, 3.0])
    );
    assert_eq!(o.state.as_deref(), Some("TestState"));
}

#[test]
fn only_detection_reports_become_observations() {
    let (status, _) =
        decode_frame(&sample("dstl_testharness_Default.StatusReport.frame.bin")).unwrap();
    let p = NodeProfile::default();
    let err = message_to_observation(&status, &sensor(), &p, None, &MappingOptions::default());
    assert_eq!(err.unwrap_err(), MapError::NotADetection);
}
