//! Records with awkward values (long decimals, identities, optional fields set and unset).

use picket_core::{
    AlertEvent, AlertId, AlertState, ClassHint, Enu, GeoPoint, Identity, Input, Measurement,
    Observation, SensorId, SideFacts, TargetClass, ThreatLevel, Timestamp, Track, TrackId,
    TrackStatus, UnitId, UnitPosition,
};
use picket_store::SqliteStore;
use std::path::PathBuf;

pub const T0_US: i64 = 1_795_000_000_123_456;

/// A fresh on-disk store in its own temporary directory (kept alive by the returned guard).
pub fn disk_store() -> (tempfile::TempDir, PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("picket.db");
    let store = SqliteStore::open(&path).expect("open store");
    (dir, path, store)
}

pub fn remote_id_observation(i: i64) -> Observation {
    Observation {
        sensor_id: SensorId::from("rid-1"),
        time: Timestamp::from_micros(T0_US + i * 100_000),
        measurement: Measurement::position(
            GeoPoint::new(
                31.345_678_912_345 + i as f64 * 1e-7,
                -110.123_456_789_012,
                1_523.37,
            ),
            4.7,
            9.1,
        ),
        identity: Some(Identity::RemoteId(format!("1581F5FJD22{i:05}"))),
        class_hint: Some(ClassHint {
            class: TargetClass::Drone,
            confidence: 0.9,
        }),
        side: SideFacts {
            operator_position: Some(GeoPoint::new(31.34, -110.12, 1_400.0)),
            reported_velocity_enu_mps: Some([3.1, -12.7, 0.25]),
            rssi_dbm: Some(-71.5),
            callsign: None,
            spoof: None,
            take_off_position: None,
        },
    }
}

pub fn radar_observation(i: i64) -> Observation {
    Observation {
        sensor_id: SensorId::from("radar-1"),
        time: Timestamp::from_micros(T0_US + i * 250_000 + 7),
        measurement: Measurement::RangeAzEl {
            sensor_position: GeoPoint::new(31.33, -110.11, 1_390.5),
            range_m: 1_834.217 + i as f64,
            azimuth_deg: 147.3,
            elevation_deg: 3.05,
            sigma_range_m: 5.0,
            sigma_azimuth_deg: 0.7,
            sigma_elevation_deg: 1.1,
        },
        identity: None,
        class_hint: None,
        side: SideFacts::default(),
    }
}

pub fn unit_position(i: i64) -> UnitPosition {
    UnitPosition {
        unit_id: UnitId::from("patrol-7"),
        time: Timestamp::from_micros(T0_US + i * 1_000_000),
        position: GeoPoint::new(31.301_234_5, -110.098_765_4, 1_402.25),
    }
}

pub fn inputs(n: i64) -> Vec<Input> {
    (0..n)
        .map(|i| match i % 3 {
            0 => Input::Observation(remote_id_observation(i)),
            1 => Input::Observation(radar_observation(i)),
            _ => Input::UnitPosition(unit_position(i)),
        })
        .collect()
}

pub fn track(id: u64, i: i64) -> Track {
    Track {
        id: TrackId(id),
        status: if i == 0 {
            TrackStatus::Tentative
        } else {
            TrackStatus::Confirmed
        },
        time: Timestamp::from_micros(T0_US + i * 500_000),
        first_seen: Timestamp::from_micros(T0_US),
        position: GeoPoint::new(31.344_444_4, -110.122_222_2, 1_510.0 + i as f64),
        position_enu: Enu::new(-1_203.75, 1_644.125, 120.5),
        velocity_enu_mps: [4.25, -17.5, -0.125],
        sigma_horizontal_m: 6.3,
        hits: 12 + i as u32,
        identity: Some(Identity::Icao(0x00AB12)),
        class_hint: None,
        sensors: vec![SensorId::from("radar-1"), SensorId::from("rid-1")],
        operator_position: None,
        callsign: Some("N123AB".into()),
        other_identities: Vec::new(),
        spoof: None,
        take_off_position: None,
    }
}

pub fn alert(id: u64, state: AlertState, level: ThreatLevel, i: i64) -> AlertEvent {
    AlertEvent {
        alert_id: AlertId(id),
        state,
        unit_id: UnitId::from("post-alpha"),
        track_id: TrackId(id.wrapping_add(40)),
        level,
        time: Timestamp::from_micros(T0_US + i * 1_000_000),
        raised_time: Timestamp::from_micros(T0_US),
        position: GeoPoint::new(31.35, -110.13, 1_550.0),
        target_class: TargetClass::Drone,
        dark: true,
        range_m: 1_204.333_333_333_3 - i as f64 * 17.1,
        bearing_deg: 134.999_999_9,
        closing_speed_mps: 17.8,
        closest_approach_m: 42.0,
        time_to_closest_approach_s: 66.6,
        reasons: vec![
            "dark drone closing on post-alpha".into(),
            format!("closest approach 42 m in {} s", 66 - i),
        ],
        acknowledged_by: (state == AlertState::Acknowledged).then(|| "duty-officer".into()),
        cleared_reason: (state == AlertState::Cleared).then(|| "track lost".into()),
    }
}
