//! Reference vectors of opendroneid-core-c @ beb5639c78d8 (`test/test_inout.c`), as listed in
//! shared/data/remoteid/README.md, decode to the values the reference library gives.

use crate::hex;
use picket_core::Timestamp;
use picket_remoteid::message::*;

fn decode(s: &str) -> Message {
    Message::decode(&hex(s)).expect("a message")
}

#[test]
fn location_vector_decodes_to_the_reference_values() {
    let Message::Location(l) =
        decode("12 26 24 16 0a 42 bf 24 1b 6e d1 b4 b6 98 08 ac 08 70 08 6b 53 15 0e 02 00")
    else {
        panic!("not a location")
    };
    assert_eq!(l.protocol_version, 2);
    assert_eq!(l.status, OperationalStatus::Airborne);
    assert_eq!(l.height_type, HeightType::AboveGround);
    assert_eq!(l.direction_deg, Some(216.0));
    assert_eq!(l.speed_horizontal_mps, Some(5.5));
    assert_eq!(l.speed_vertical_mps, Some(5.0));
    assert_eq!(l.lat, Some(45.539309));
    assert_eq!(l.lon, Some(-122.966389));
    assert_eq!(l.alt_baro_m, Some(100.0));
    assert_eq!(l.alt_geo_m, Some(110.0));
    assert_eq!(l.height_m, Some(80.0));
    assert_eq!(l.timestamp_s, Some(360.5));
    assert_eq!(l.horizontal_accuracy.bound_m(), Some(3.0)); // code 11: < 3 m
    assert_eq!(l.vertical_accuracy.bound_m(), Some(1.0)); // code 6: < 1 m
    assert_eq!(l.baro_accuracy.bound_m(), Some(3.0)); // code 5: < 3 m
    assert_eq!(l.speed_accuracy.bound_mps(), Some(1.0)); // code 3: < 1 m/s
    assert_eq!(l.timestamp_accuracy_s, Some(0.2));
}

#[test]
fn system_vector_decodes_with_the_reference_truncations() {
    let Message::System(s) =
        decode("42 04 a6 bf 24 1b d2 d1 b4 b6 23 00 07 31 09 23 08 24 f9 07 00 3f ab 01 00")
    else {
        panic!("not a system message")
    };
    assert_eq!(s.protocol_version, 2);
    assert_eq!(s.operator_location_type, OperatorLocationType::Takeoff);
    assert_eq!(s.classification_type, ClassificationType::Eu);
    assert_eq!(s.operator_lat, Some(45.539319));
    assert_eq!(s.operator_lon, Some(-122.966379));
    assert_eq!(s.area_count, 35);
    // The reference encoder truncated 75 → 70, 176.9 → 176.5, 41.7 → 41.5.
    assert_eq!(s.area_radius_m, 70.0);
    assert_eq!(s.area_ceiling_m, Some(176.5));
    assert_eq!(s.area_floor_m, Some(41.5));
    assert_eq!(s.category_eu, CategoryEu::Specific);
    assert_eq!(s.class_eu, ClassEu::Class3);
    assert_eq!(s.operator_alt_geo_m, Some(20.5));
    // 28 000 000 s after 2019-01-01T00:00:00Z.
    assert_eq!(
        s.timestamp,
        Some(Timestamp::parse_rfc3339("2019-11-21T01:46:40Z").unwrap())
    );
}

#[test]
fn basic_id_vector_is_a_caa_registration_of_a_multirotor() {
    let mut b = hex("02 22");
    b.extend_from_slice(b"12345678901234567890");
    b.extend_from_slice(&[0, 0, 0]);
    let Message::BasicId(id) = Message::decode(&b).unwrap() else {
        panic!("not a basic id")
    };
    assert_eq!(id.protocol_version, 2);
    assert_eq!(id.id_type, IdType::CaaRegistrationId);
    assert_eq!(id.ua_type, UaType::HelicopterOrMultirotor);
    assert_eq!(id.uas_id.as_str(), Some("12345678901234567890"));
    assert_eq!(id.encode().to_vec(), b, "re-encodes byte for byte");
}

#[test]
fn authentication_page_zero_vector_carries_header_and_17_bytes() {
    let mut b = hex("22 10 01 28 00 3f ab 01");
    b.extend_from_slice(b"12345678901234567");
    let Message::Authentication(a) = Message::decode(&b).unwrap() else {
        panic!("not an authentication page")
    };
    assert_eq!(a.auth_type, AuthType::UasIdSignature);
    assert_eq!(a.page, 0);
    assert_eq!(a.last_page_index, Some(1));
    assert_eq!(a.length, Some(40));
    assert_eq!(
        a.timestamp,
        Some(Timestamp::parse_rfc3339("2019-11-21T01:46:40Z").unwrap())
    );
    assert_eq!(a.page_data(), b"12345678901234567");
    assert_eq!(a.encode().to_vec(), b, "re-encodes byte for byte");
}

#[test]
fn location_and_system_vectors_re_encode_byte_for_byte() {
    for v in [
        "12 26 24 16 0a 42 bf 24 1b 6e d1 b4 b6 98 08 ac 08 70 08 6b 53 15 0e 02 00",
        "42 04 a6 bf 24 1b d2 d1 b4 b6 23 00 07 31 09 23 08 24 f9 07 00 3f ab 01 00",
    ] {
        let m = decode(v);
        assert_eq!(m.encode().unwrap().to_vec(), hex(v), "{v}");
    }
}
