use super::*;

fn radar() -> SensorContext {
    SensorContext {
        sensor_id: SensorId("radar-1".into()),
        position: Some(GeoPoint::new(31.348, -109.948, 1_410.0)),
    }
}

fn rid() -> SensorContext {
    SensorContext {
        sensor_id: SensorId("rid-west".into()),
        position: None,
    }
}

#[test]
fn radar_line_becomes_range_azimuth_observation_with_sensor_position() {
    let line = r#"{"time":"2026-11-26T12:00:01.5Z","range_m":1500.0,"azimuth_deg":190.0,"elevation_deg":3.0,"class":"bird","class_confidence":0.8}"#;
    let Input::Observation(o) = decode_line(line, &radar()).unwrap() else {
        panic!("not an observation")
    };
    assert_eq!(o.sensor_id.0, "radar-1");
    assert_eq!(o.time.to_rfc3339(), "2026-11-26T12:00:01.500000Z");
    match o.measurement {
        Measurement::RangeAzEl {
            sensor_position,
            range_m,
            azimuth_deg,
            sigma_range_m,
            ..
        } => {
            assert_eq!(sensor_position.lat_deg, 31.348);
            assert_eq!(range_m, 1500.0);
            assert_eq!(azimuth_deg, 190.0);
            assert_eq!(sigma_range_m, 5.0, "default range sigma");
        }
        m => panic!("wrong measurement {m:?}"),
    }
    assert_eq!(o.class_hint.unwrap().class, TargetClass::Bird);
}

#[test]
fn remote_id_line_keeps_identity_operator_and_velocity() {
    let line = r#"{"sensor":"rid-west","time":"2026-11-26T12:00:00Z","position":{"lat_deg":31.33,"lon_deg":-109.95,"alt_hae_m":1480},"sigma_h_m":3,"remote_id":"1581F5FKD229400F0","operator":{"lat_deg":31.31,"lon_deg":-109.96,"alt_hae_m":1390},"velocity_enu_mps":[1,12,0],"rssi_dbm":-71}"#;
    let Input::Observation(o) = decode_line(line, &rid()).unwrap() else {
        panic!()
    };
    assert_eq!(
        o.identity,
        Some(Identity::RemoteId("1581F5FKD229400F0".into()))
    );
    assert_eq!(o.side.operator_position.unwrap().lat_deg, 31.31);
    assert_eq!(o.side.reported_velocity_enu_mps, Some([1.0, 12.0, 0.0]));
    assert_eq!(o.side.rssi_dbm, Some(-71.0));
}

#[test]
fn encode_then_decode_is_identity_for_every_measurement_kind() {
    let t = Timestamp::parse_rfc3339("2026-11-26T12:00:00.25Z").unwrap();
    let p = GeoPoint::new(31.34, -109.95, 1_500.0);
    let inputs = vec![
        Input::Observation(Observation {
            sensor_id: SensorId("adsb-1".into()),
            time: t,
            measurement: Measurement::position(p, 8.0, 12.0),
            identity: Some(Identity::Icao(0xA1B2C3)),
            class_hint: None,
            side: SideFacts {
                callsign: Some("CBP123".into()),
                ..Default::default()
            },
        }),
        Input::Observation(Observation {
            sensor_id: SensorId("radar-1".into()),
            time: t,
            measurement: Measurement::RangeAzEl {
                sensor_position: radar().position.unwrap(),
                range_m: 1234.5,
                azimuth_deg: 181.25,
                elevation_deg: 2.5,
                sigma_range_m: 4.0,
                sigma_azimuth_deg: 0.7,
                sigma_elevation_deg: 1.2,
            },
            identity: None,
            class_hint: Some(ClassHint {
                class: TargetClass::Drone,
                confidence: 0.625,
            }),
            side: SideFacts::default(),
        }),
        Input::UnitPosition(UnitPosition {
            unit_id: UnitId("patrol-7".into()),
            time: t,
            position: p,
        }),
    ];
    for input in inputs {
        let ctx = match &input {
            Input::Observation(o) => SensorContext {
                sensor_id: o.sensor_id.clone(),
                position: radar().position,
            },
            Input::UnitPosition(_) => radar(),
        };
        let line = encode(&input);
        assert_eq!(decode_line(&line, &ctx).unwrap(), input, "line: {line}");
    }
}

type Expect = fn(&ObsJsonError) -> bool;

#[test]
fn malformed_lines_are_typed_errors() {
    let cases: &[(&str, Expect)] = &[
        ("not json", |e| matches!(e, ObsJsonError::Json(_))),
        (r#"{"time":"2026-11-26T12:00:00Z"}"#, |e| {
            matches!(e, ObsJsonError::Measurement)
        }),
        (r#"{"time":"noon","range_m":5,"azimuth_deg":1}"#, |e| {
            matches!(e, ObsJsonError::Time(_))
        }),
        (
            r#"{"time":"2026-11-26T12:00:00Z","range_m":-5,"azimuth_deg":1}"#,
            |e| {
                matches!(
                    e,
                    ObsJsonError::OutOfRange {
                        field: "range_m",
                        ..
                    }
                )
            },
        ),
        (
            r#"{"time":"2026-11-26T12:00:00Z","position":{"lat_deg":91,"lon_deg":0,"alt_hae_m":0}}"#,
            |e| {
                matches!(
                    e,
                    ObsJsonError::OutOfRange {
                        field: "position",
                        ..
                    }
                )
            },
        ),
        (
            r#"{"time":"2026-11-26T12:00:00Z","range_m":5,"azimuth_deg":1,"sensor":"radar-2"}"#,
            |e| matches!(e, ObsJsonError::WrongSensor { .. }),
        ),
        (
            r#"{"time":"2026-11-26T12:00:00Z","range_m":5,"azimuth_deg":1,"icao":"XYZ"}"#,
            |e| matches!(e, ObsJsonError::Icao(_)),
        ),
        (
            r#"{"time":"2026-11-26T12:00:00Z","range_m":5,"azimuth_deg":1,"colour":"red"}"#,
            |e| matches!(e, ObsJsonError::Json(m) if m.contains("colour")),
        ),
        (
            r#"{"time":"2026-11-26T12:00:00Z","range_m":5,"azimuth_deg":1,"sigma_range_m":0}"#,
            |e| {
                matches!(
                    e,
                    ObsJsonError::OutOfRange {
                        field: "sigma_range_m",
                        ..
                    }
                )
            },
        ),
    ];
    for (line, is_expected) in cases {
        let err = decode_line(line, &radar()).expect_err(line);
        assert!(is_expected(&err), "{line} → {err:?}");
    }
    let long = format!("{{\"time\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES));
    assert!(matches!(
        decode_line(&long, &radar()),
        Err(ObsJsonError::TooLong(_))
    ));
    let no_pos = r#"{"time":"2026-11-26T12:00:00Z","range_m":5,"azimuth_deg":1}"#;
    assert!(matches!(
        decode_line(no_pos, &rid()),
        Err(ObsJsonError::NoSensorPosition(_))
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic generator: mutate a valid line byte by byte.
    let base = r#"{"sensor":"radar-1","time":"2026-11-26T12:00:00Z","range_m":1500.0,"azimuth_deg":190.0,"class":"bird"}"#.as_bytes().to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        let mut b = base.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % b.len();
            b[i] = (x >> 32) as u8;
        }
        let s = String::from_utf8_lossy(&b);
        let _ = decode_line(&s, &radar());
    }
}
