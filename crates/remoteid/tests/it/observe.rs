//! Decoded Remote ID → observations.

use crate::capture;
use picket_core::{Identity, Measurement, SensorId, Timestamp};
use picket_remoteid::message::*;
use picket_remoteid::{decode_capture, location_time, to_observation, to_observations};
use picket_remoteid::{AircraftContext, ObservationContext};

fn ctx() -> ObservationContext {
    ObservationContext::new(SensorId("rid-1".into()))
}

fn sigmas(m: &Measurement) -> (f64, f64) {
    let Measurement::Position { cov_enu_m2, .. } = m else {
        panic!("not a position")
    };
    (cov_enu_m2[0][0].sqrt(), cov_enu_m2[2][2].sqrt())
}

#[test]
fn dji_air3_capture_gives_identified_observations_with_operator_and_data_time() {
    let rs = decode_capture(&capture("dji_air3.pcapng")).unwrap();
    let obs = to_observations(&rs, &ctx());
    assert_eq!(obs.len(), 9);
    let o = &obs[0];
    assert_eq!(
        o.identity,
        Some(Identity::RemoteId("1581F6N8A23B2ML3Y3KR".into()))
    );
    // Location timestamp 1373.5 s past 13:00 = 13:22:53.5, received 13:22:54.05.
    assert_eq!(o.time.to_rfc3339(), "2024-10-07T13:22:53.500000Z");
    let Measurement::Position { position, .. } = &o.measurement else {
        panic!()
    };
    assert_eq!(
        (position.lat_deg, position.lon_deg, position.alt_hae_m),
        (33.6652717, -82.1918334, 82.0)
    );
    // Horizontal accuracy < 1 m (95 %) and vertical < 45 m.
    let (sh, sv) = sigmas(&o.measurement);
    assert!((sh - 1.0 / 2.448).abs() < 1e-9 && (sv - 45.0 / 1.96).abs() < 1e-9);
    let op = o.side.operator_position.unwrap();
    assert_eq!(
        (op.lat_deg, op.lon_deg, op.alt_hae_m),
        (33.6632364, -82.1916647, 80.0)
    );
    assert_eq!(o.side.rssi_dbm, Some(-69.0));
    // Direction unknown: no reported velocity.
    assert_eq!(o.side.reported_velocity_enu_mps, None);
    assert_eq!(o.sensor_id, SensorId("rid-1".into()));
}

#[test]
fn quarantined_frames_never_become_observations_and_no_fix_gives_none() {
    let rs = decode_capture(&capture("odid_bt5_lr_sample.pcapng")).unwrap();
    assert!(
        to_observations(&rs, &ctx()).is_empty(),
        "no GNSS fix in this capture"
    );
}

#[test]
fn parrot_observations_carry_the_serial_once_the_basic_id_is_heard() {
    let rs = decode_capture(&capture("parrot_anafi4_real.pcapng")).unwrap();
    let obs = to_observations(&rs, &ctx());
    assert_eq!(obs.len(), 1140);
    let first_id = obs.iter().position(|o| o.identity.is_some()).unwrap();
    assert!(obs[first_id..]
        .iter()
        .all(|o| o.identity == Some(Identity::RemoteId("1588E040445AC004418".into()))));
    // Geodetic altitude unknown and no pressure altitude: the operator's altitude is unknown
    // too, so the height is flagged as unknown with a 1000 m σ.
    let (_, sv) = sigmas(&obs[first_id].measurement);
    assert_eq!(sv, 1000.0);
    assert!(obs[first_id].side.operator_position.is_some());
}

#[test]
fn location_time_picks_the_hour_nearest_reception() {
    let t = |s| Timestamp::parse_rfc3339(s).unwrap();
    assert_eq!(
        location_time(t("2024-10-07T13:22:54Z"), 1373.5),
        t("2024-10-07T13:22:53.5Z")
    );
    // Sent at 12:59:59.9, received just after the hour.
    assert_eq!(
        location_time(t("2024-10-07T13:00:00.2Z"), 3599.9),
        t("2024-10-07T12:59:59.9Z")
    );
    // Sent at 14:00:00.1, received just before the hour (receiver clock slightly behind).
    assert_eq!(
        location_time(t("2024-10-07T13:59:59.8Z"), 0.1),
        t("2024-10-07T14:00:00.1Z")
    );
}

#[test]
fn a_location_timestamp_far_from_reception_falls_back_to_reception_time() {
    let rs = decode_capture(&capture("odid_wifi_bcn_sample.pcap")).unwrap();
    let obs = to_observations(&rs, &ctx());
    assert_eq!(obs.len(), 21);
    // The test transmitter sends timestamp 0.0 at ~21:52: 8 minutes off, so reception wins.
    assert_eq!(obs[0].time, rs[0].time.unwrap());
    // No Basic ID identity: its id type is "none" but the id is still claimed.
    assert_eq!(
        obs[0].identity,
        Some(Identity::RemoteId("MFG1A0123456789".into()))
    );
    // Speed 20.5 m/s towards 92°: mostly east.
    let v = obs[0].side.reported_velocity_enu_mps.unwrap();
    assert!((v[0].hypot(v[1]) - 20.5).abs() < 1e-9 && v[0] > 20.0);
}

#[test]
fn pressure_altitude_stands_in_for_a_missing_geodetic_one_with_a_wider_sigma() {
    let b =
        crate::hex("12 26 24 16 0a 42 bf 24 1b 6e d1 b4 b6 98 08 00 00 70 08 6b 53 15 0e 02 00");
    let l = Location::decode(&b.try_into().unwrap());
    assert_eq!(l.alt_geo_m, None);
    let o = to_observation(
        &l,
        Timestamp::parse_rfc3339("2024-01-01T10:06:00.8Z").unwrap(),
        None,
        &AircraftContext::default(),
        &ctx(),
    )
    .unwrap();
    let Measurement::Position { position, .. } = &o.measurement else {
        panic!()
    };
    assert_eq!(position.alt_hae_m, 100.0);
    let (_, sv) = sigmas(&o.measurement);
    assert!((sv - (3.0f64 / 1.96).hypot(30.0)).abs() < 1e-9);
    assert_eq!(o.time.to_rfc3339(), "2024-01-01T10:06:00.500000Z");
    assert_eq!(o.identity, None);
}
