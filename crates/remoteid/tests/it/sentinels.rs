//! Unknown and invalid values decode to `None`, never to numbers; `None` encodes to the
//! sentinel.

use crate::hex;
use picket_remoteid::message::*;

fn location(bytes: &[u8]) -> Location {
    Location::decode(bytes.try_into().unwrap())
}

/// The reference Location with one byte range replaced.
fn with(at: usize, patch: &[u8]) -> Vec<u8> {
    let mut b = hex("12 26 24 16 0a 42 bf 24 1b 6e d1 b4 b6 98 08 ac 08 70 08 6b 53 15 0e 02 00");
    b[at..at + patch.len()].copy_from_slice(patch);
    b
}

#[test]
fn direction_361_and_anything_past_359_is_unknown() {
    // 181 with the east/west bit set = 361.
    assert_eq!(location(&with(1, &[0x26, 181])).direction_deg, None);
    assert_eq!(location(&with(1, &[0x26, 180])).direction_deg, None, "360");
    assert_eq!(location(&with(1, &[0x26, 179])).direction_deg, Some(359.0));
    assert_eq!(
        location(&with(1, &[0x24, 200])).direction_deg,
        Some(200.0),
        "without E/W bit"
    );
}

#[test]
fn speed_255_with_multiplier_is_unknown_but_without_it_is_63_75() {
    assert_eq!(
        location(&with(1, &[0x27, 0x24, 255])).speed_horizontal_mps,
        None
    );
    assert_eq!(
        location(&with(1, &[0x26, 0x24, 255])).speed_horizontal_mps,
        Some(63.75)
    );
    assert_eq!(
        location(&with(1, &[0x27, 0x24, 254])).speed_horizontal_mps,
        Some(254.25)
    );
    assert_eq!(
        location(&with(1, &[0x27, 0x24, 0])).speed_horizontal_mps,
        Some(63.75)
    );
}

#[test]
fn vertical_speed_63_and_beyond_62_is_unknown() {
    assert_eq!(
        location(&with(4, &[126])).speed_vertical_mps,
        None,
        "63 m/s"
    );
    assert_eq!(
        location(&with(4, &[125])).speed_vertical_mps,
        None,
        "62.5 m/s"
    );
    assert_eq!(location(&with(4, &[124])).speed_vertical_mps, Some(62.0));
    assert_eq!(location(&with(4, &[0x84])).speed_vertical_mps, Some(-62.0));
    assert_eq!(
        location(&with(4, &[0x80])).speed_vertical_mps,
        None,
        "-64 m/s"
    );
}

#[test]
fn zero_position_and_out_of_range_positions_are_unknown() {
    let l = location(&with(5, &[0; 8]));
    assert_eq!((l.lat, l.lon), (None, None));
    // lat 0 with a real longitude is the equator, a valid place.
    let l = location(&with(5, &[0, 0, 0, 0]));
    assert_eq!((l.lat, l.lon), (Some(0.0), Some(-122.966389)));
    // lon −214.6°: the garbage a CRC-failed frame decoded to.
    let l = location(&with(9, &(-2_146_000_000i32).to_le_bytes()));
    assert_eq!((l.lat, l.lon), (None, None));
    let l = location(&with(5, &(910_000_000i32).to_le_bytes()));
    assert_eq!((l.lat, l.lon), (None, None), "lat 91°");
}

#[test]
fn altitudes_of_minus_1000_are_unknown() {
    let l = location(&with(13, &[0; 6]));
    assert_eq!((l.alt_baro_m, l.alt_geo_m, l.height_m), (None, None, None));
    let l = location(&with(13, &[1, 0]));
    assert_eq!(l.alt_baro_m, Some(-999.5));
}

#[test]
fn timestamp_0xffff_and_past_the_hour_is_unknown_and_accuracy_0_is_unknown() {
    assert_eq!(location(&with(21, &[0xff, 0xff])).timestamp_s, None);
    assert_eq!(
        location(&with(21, &36_000u16.to_le_bytes())).timestamp_s,
        None
    );
    assert_eq!(
        location(&with(21, &35_999u16.to_le_bytes())).timestamp_s,
        Some(3599.9)
    );
    assert_eq!(location(&with(23, &[0])).timestamp_accuracy_s, None);
}

#[test]
fn accuracy_codes_unknown_and_reserved_have_no_bound() {
    assert_eq!(HorizontalAccuracy(0).bound_m(), None);
    assert_eq!(HorizontalAccuracy(13).bound_m(), None);
    assert_eq!(HorizontalAccuracy(1).bound_m(), Some(18_520.0));
    assert_eq!(VerticalAccuracy(7).bound_m(), None);
    assert_eq!(SpeedAccuracy(5).bound_mps(), None);
    assert_eq!(
        HorizontalAccuracy::from_bound_m(Some(2.0)),
        HorizontalAccuracy(11)
    );
    assert_eq!(VerticalAccuracy::from_bound_m(None), VerticalAccuracy(0));
}

#[test]
fn none_encodes_to_each_sentinel() {
    let l = Location {
        protocol_version: 2,
        status: OperationalStatus::Undeclared,
        height_type: HeightType::AboveTakeoff,
        direction_deg: None,
        speed_horizontal_mps: None,
        speed_vertical_mps: None,
        lat: None,
        lon: None,
        alt_baro_m: None,
        alt_geo_m: None,
        height_m: None,
        horizontal_accuracy: HorizontalAccuracy(0),
        vertical_accuracy: VerticalAccuracy(0),
        baro_accuracy: VerticalAccuracy(0),
        speed_accuracy: SpeedAccuracy(0),
        timestamp_s: None,
        timestamp_accuracy_s: None,
    };
    let b = l.encode();
    assert_eq!(b[1] & 0x03, 0x03, "E/W and speed multiplier set");
    assert_eq!((b[2], b[3], b[4]), (181, 255, 126), "361°, 255 m/s, 63 m/s");
    assert_eq!(&b[5..19], &[0; 14], "0/0 and −1000 m");
    assert_eq!(&b[21..23], &[0xff, 0xff]);
    assert_eq!(Location::decode(&b), l);
}

#[test]
fn system_zero_timestamp_and_zero_operator_position_are_unknown() {
    let b = hex("42 04 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    let Message::System(s) = Message::decode(&b).unwrap() else {
        panic!()
    };
    assert_eq!((s.operator_lat, s.operator_lon), (None, None));
    assert_eq!(s.timestamp, None);
    assert_eq!(
        (s.area_ceiling_m, s.area_floor_m, s.operator_alt_geo_m),
        (None, None, None)
    );
}

#[test]
fn unknown_versions_and_types_are_kept_not_rejected() {
    let mut b = hex("1f 26 24 16 0a 42 bf 24 1b 6e d1 b4 b6 98 08 ac 08 70 08 6b 53 15 0e 02 00");
    let Message::Location(l) = Message::decode(&b).unwrap() else {
        panic!()
    };
    assert_eq!(l.protocol_version, 15);
    assert_eq!(l.lat, Some(45.539309));
    b[0] = 0xA3;
    let Message::Unknown(u) = Message::decode(&b).unwrap() else {
        panic!()
    };
    assert_eq!((u.message_type_code, u.protocol_version), (10, 3));
    assert_eq!(u.raw.to_vec(), b);
    // Reserved codes survive too.
    b = hex("02 7e 41 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    let Message::BasicId(id) = Message::decode(&b).unwrap() else {
        panic!()
    };
    assert_eq!((id.id_type.code(), id.id_type.name()), (7, None));
    assert_eq!(id.encode().to_vec(), b);
}

#[test]
fn pack_header_errors_are_typed() {
    assert_eq!(
        MessagePack::decode(&[0xF2, 24, 1]),
        Err(DecodeError::PackMessageSize(24))
    );
    assert_eq!(
        MessagePack::decode(&[0xF2, 25, 11]),
        Err(DecodeError::PackTooManyMessages(11))
    );
    assert!(matches!(
        MessagePack::decode(&[0xF2, 25, 2, 0x10]),
        Err(DecodeError::PackTruncated { declared: 2, .. })
    ));
    let mut nested = vec![0xF2, 25, 1];
    nested.extend_from_slice(&[0xF2; 25]);
    assert_eq!(MessagePack::decode(&nested), Err(DecodeError::NestedPack));
    assert_eq!(Message::decode(&[0x10; 24]), Err(DecodeError::TooShort(24)));
}

#[test]
fn pack_view_decodes_the_same_messages_as_the_pack_without_allocating_a_vec() {
    let loc = hex("12 26 24 16 0a 42 bf 24 1b 6e d1 b4 b6 98 08 ac 08 70 08 6b 53 15 0e 02 00");
    let mut b = vec![0xF2, 25, 2];
    b.extend_from_slice(&loc);
    b.extend_from_slice(&loc);
    let view = PackView::new(&b).unwrap();
    assert_eq!(view.len(), 2);
    let pack = MessagePack::decode(&b).unwrap();
    assert_eq!(view.messages().collect::<Vec<_>>(), pack.messages);
    assert_eq!(
        PackView::new(&b[..40]).unwrap_err(),
        MessagePack::decode(&b[..40]).unwrap_err()
    );
}
