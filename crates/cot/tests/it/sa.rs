//! Friendly SA from officers' devices → what the unit mapping needs.

use super::{t0, ATAK_SA};
use picket_core::{Timestamp, UnitId};
use picket_cot::convert::encode_payload;
use picket_cot::xml::decode_xml;
use picket_cot::{FriendlySa, Limits, SaError};

#[test]
fn an_atak_report_gives_uid_callsign_position_and_times() {
    let sa = FriendlySa::decode_xml(ATAK_SA.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(sa.uid, "ANDROID-589520ccfcd20f01");
    assert_eq!(sa.callsign.as_deref(), Some("ALPHA-1"));
    assert_eq!(sa.cot_type, "a-f-G-U-C");
    assert_eq!(
        (sa.team.as_deref(), sa.role.as_deref()),
        (Some("Cyan"), Some("Team Member"))
    );
    assert_eq!((sa.lat_deg, sa.lon_deg), (31.3301234, -109.9512345));
    assert_eq!((sa.hae_m, sa.ce_m), (Some(1398.2), Some(4.9)));
    assert_eq!((sa.speed_mps, sa.course_deg), (Some(1.25), Some(271.5)));
    assert_eq!(
        sa.time,
        Timestamp::parse_rfc3339("2026-11-26T12:00:01.5Z").unwrap()
    );
    assert!(!sa.is_stale_at(sa.time.plus_secs_f64(359.0)));
    assert!(sa.is_stale_at(sa.time.plus_secs_f64(360.0)));
}

#[test]
fn the_same_report_over_protobuf_reads_the_same() {
    let ev = decode_xml(ATAK_SA.as_bytes()).unwrap();
    let sa = FriendlySa::decode_payload(&encode_payload(&ev).unwrap(), &Limits::default()).unwrap();
    assert_eq!(sa, FriendlySa::from_event(&ev).unwrap());
}

#[test]
fn maps_to_a_unit_position_with_a_fallback_height_when_the_device_has_none() {
    let xml = ATAK_SA.replace(r#"hae="1398.2""#, r#"hae="9999999.0""#);
    let sa = FriendlySa::decode_xml(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(sa.hae_m, None);
    let up = sa.to_unit_position(UnitId::from("patrol-7"), 1_400.0);
    assert_eq!(up.unit_id, UnitId::from("patrol-7"));
    assert_eq!(up.time, sa.time);
    assert_eq!(
        (
            up.position.lat_deg,
            up.position.lon_deg,
            up.position.alt_hae_m
        ),
        (31.3301234, -109.9512345, 1_400.0)
    );
}

#[test]
fn only_friendly_ground_reports_are_sa() {
    for t in ["a-h-G", "a-f-A-M-F", "b-t-f", "a-f-Gx", "a-u-G-U-C"] {
        let xml = ATAK_SA.replace(r#"type="a-f-G-U-C""#, &format!(r#"type="{t}""#));
        assert_eq!(
            FriendlySa::decode_xml(xml.as_bytes(), &Limits::default()),
            Err(SaError::NotFriendlyGround(t.into())),
            "{t}"
        );
    }
    for t in ["a-f-G", "a-f-G-E-V-C"] {
        let xml = ATAK_SA.replace(r#"type="a-f-G-U-C""#, &format!(r#"type="{t}""#));
        assert!(
            FriendlySa::decode_xml(xml.as_bytes(), &Limits::default()).is_ok(),
            "{t}"
        );
    }
}

#[test]
fn a_report_without_contact_or_track_still_gives_a_position() {
    let xml = r#"<event version="2.0" uid="S-1-5-21-42" type="a-f-G-U-C" how="h-e" time="2026-11-26T12:00:00Z" start="2026-11-26T12:00:00Z" stale="2026-11-26T12:05:00Z"><point lat="31.3" lon="-109.9" hae="1400" ce="10" le="10"/></event>"#;
    let sa = FriendlySa::decode_xml(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        (sa.callsign, sa.speed_mps, sa.course_deg),
        (None, None, None)
    );
    assert_eq!(sa.time, t0());
    assert!(matches!(
        FriendlySa::decode_xml(b"<event/>", &Limits::default()),
        Err(SaError::Decode(_))
    ));
}
