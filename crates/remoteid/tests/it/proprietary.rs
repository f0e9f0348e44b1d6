//! DJI DroneID and the French beacon, and the Bluetooth legacy transport, through whole
//! frames.
//!
//! No capture of these is in shared/data (the public ones are GPL or not copied), so the
//! frames are built here from documented layouts with values chosen for the test.

use picket_pcap::LinkType;
use picket_remoteid::capture::{scan_ble_adv_pdu, scan_dot11, Found};
use picket_remoteid::dji::{DjiDroneId, DJI_OUI};
use picket_remoteid::fields::Text;
use picket_remoteid::french::{self, FrenchBeacon};
use picket_remoteid::message::*;
use picket_remoteid::{decode_frame, transport, Transport};

fn beacon_with(elements: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80, 0x00, 0, 0];
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&[0x60, 0x60, 0x1f, 0x09, 0x73, 0x68]);
    f.extend_from_slice(&[0x60, 0x60, 0x1f, 0x09, 0x73, 0x68]);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&[0; 8]); // timestamp
    f.extend_from_slice(&[0x64, 0, 0x01, 0x04]); // interval, capabilities
    f.extend_from_slice(elements);
    f
}

fn rad_e7(deg: f64) -> [u8; 4] {
    ((deg.to_radians() * 1e7).round() as i32).to_le_bytes()
}

#[test]
fn dji_flight_info_version_2_decodes_position_pilot_home_and_app_time() {
    let mut body = vec![0x58, 0x62, 0x13, 0x10, 0x02];
    body.extend_from_slice(&0x064du16.to_le_bytes()); // sequence
    body.extend_from_slice(&0x1f33u16.to_le_bytes()); // state: motors on, in air
    body.extend_from_slice(b"0K1CG6G3AH8V2M\0\0");
    body.extend_from_slice(&rad_e7(8.5)); // lon
    body.extend_from_slice(&rad_e7(47.25)); // lat
    body.extend_from_slice(&120i16.to_le_bytes()); // altitude m
    body.extend_from_slice(&455i16.to_le_bytes()); // height dm
    body.extend_from_slice(&(-250i16).to_le_bytes()); // v north cm/s
    body.extend_from_slice(&300i16.to_le_bytes()); // v east
    body.extend_from_slice(&50i16.to_le_bytes()); // v up
    body.extend_from_slice(&17_328i16.to_le_bytes()); // yaw 0.01°
    body.extend_from_slice(&1_607_007_974_277u64.to_le_bytes()); // app time ms
    body.extend_from_slice(&rad_e7(46.763)); // pilot lat
    body.extend_from_slice(&rad_e7(7.6006)); // pilot lon
    body.extend_from_slice(&rad_e7(8.49)); // home lon
    body.extend_from_slice(&rad_e7(47.24)); // home lat
    body.extend_from_slice(&[24, 0]);
    body.extend_from_slice(&[0; 20]);
    let mut ie = vec![221, (3 + body.len()) as u8];
    ie.extend_from_slice(&DJI_OUI);
    ie.extend_from_slice(&body);
    let (mac, found) = scan_dot11(&beacon_with(&ie));
    assert_eq!(mac.unwrap().to_string(), "60:60:1f:09:73:68");
    let [Found::Dji(DjiDroneId::DjiFlightInfo(i))] = &found[..] else {
        panic!("{found:?}")
    };
    assert_eq!(i.serial.as_str(), Some("0K1CG6G3AH8V2M"));
    assert!((i.lat.unwrap() - 47.25).abs() < 5e-6 && (i.lon.unwrap() - 8.5).abs() < 5e-6);
    assert!((i.pilot_lat.unwrap() - 46.763).abs() < 5e-6);
    assert!((i.pilot_lon.unwrap() - 7.6006).abs() < 5e-6);
    assert!(
        (i.home_lat.unwrap() - 47.24).abs() < 5e-6 && (i.home_lon.unwrap() - 8.49).abs() < 5e-6
    );
    assert_eq!((i.alt_m, i.height_m), (120.0, 45.5));
    assert_eq!((i.v_north_mps, i.v_east_mps, i.v_up_mps), (-2.5, 3.0, 0.5));
    assert_eq!(i.yaw_deg, 173.28);
    assert!(i.motor_on && i.in_air);
    assert_eq!(
        i.app_time.unwrap().to_rfc3339(),
        "2020-12-03T15:06:14.277000Z"
    );
    assert_eq!(i.product_type, 24);
}

#[test]
fn dji_elements_that_are_not_flight_info_are_kept_raw() {
    let mut ie = vec![221, 0];
    ie.extend_from_slice(&DJI_OUI);
    ie.extend_from_slice(&[0x58, 0x62, 0x13, 0x11]);
    ie.extend_from_slice(b"3K1CG6G3AH8V2M\0\0");
    ie.extend_from_slice(&[0; 10]);
    ie[1] = (ie.len() - 2) as u8;
    let (_, found) = scan_dot11(&beacon_with(&ie));
    let [Found::Dji(DjiDroneId::DjiOther(o))] = &found[..] else {
        panic!("{found:?}")
    };
    assert_eq!(o.subcommand, Some(0x11));
    assert_eq!(o.serial.unwrap().as_str(), Some("3K1CG6G3AH8V2M"));
    assert_eq!(o.raw.0.len(), ie.len() - 5);
}

#[test]
fn french_beacon_encodes_and_decodes_through_a_beacon_frame() {
    let b = FrenchBeacon {
        protocol_version: Some(1),
        uas_id: Some(Text::new("1581E0M6DF7700119BY")),
        lat: Some(43.94965),
        lon: Some(4.81871),
        alt_msl_m: Some(37.0),
        height_m: Some(17.0),
        home_lat: Some(43.94974),
        home_lon: Some(4.81879),
        speed_horizontal_mps: Some(1.0),
        direction_deg: Some(331.0),
        ..FrenchBeacon::default()
    };
    let ie = french::encode_element(&b);
    // Values are big-endian, 1e-5 degrees: 43.94965° is 0x00430FD5.
    assert!(ie.windows(6).any(|w| w == [4, 4, 0x00, 0x43, 0x0F, 0xD5]));
    let (_, found) = scan_dot11(&beacon_with(&ie));
    let [Found::French(d)] = &found[..] else {
        panic!("{found:?}")
    };
    assert_eq!(d.uas_id.unwrap().as_str(), Some("1581E0M6DF7700119BY"));
    assert_eq!((d.lat, d.lon), (Some(43.94965), Some(4.81871)));
    assert_eq!((d.home_lat, d.home_lon), (Some(43.94974), Some(4.81879)));
    assert_eq!((d.alt_msl_m, d.height_m), (Some(37.0), Some(17.0)));
    assert_eq!(
        (d.speed_horizontal_mps, d.direction_deg),
        (Some(1.0), Some(331.0))
    );
    assert!(!d.truncated && d.unknown_fields.is_empty());
}

#[test]
fn french_tlv_running_past_the_element_is_flagged_not_read() {
    let ie = [0x01, 1, 1, 1, 4, 4, 0, 0x43, 0x0F];
    let d = french::decode(&ie).unwrap();
    assert_eq!(d.protocol_version, Some(1));
    assert_eq!(d.lat, None);
    assert!(d.truncated);
}

#[test]
fn bluetooth_legacy_advertisement_carries_one_message_with_its_counter() {
    let loc = Location::decode(
        &crate::hex("12 26 24 16 0a 42 bf 24 1b 6e d1 b4 b6 98 08 ac 08 70 08 6b 53 15 0e 02 00")
            .try_into()
            .unwrap(),
    );
    let ad = transport::encode_ble_legacy_ad(77, &Message::Location(loc)).unwrap();
    // ADV_NONCONN_IND with a random address, then the AD structure.
    let mut pdu = vec![0x42, (6 + ad.len()) as u8];
    pdu.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 0x55, 0xc6]);
    pdu.extend_from_slice(&ad);
    let (mac, found) = scan_ble_adv_pdu(&pdu);
    assert_eq!(mac.unwrap().to_string(), "c6:55:44:33:22:11");
    let [Found::Odid {
        transport,
        counter,
        message,
        defect,
    }] = &found[..]
    else {
        panic!("{found:?}")
    };
    assert_eq!(
        (*transport, *counter, defect),
        (Transport::BleLegacy, 77, &None)
    );
    assert_eq!(message, &Message::Location(loc));
    // The same packet through a LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR record with a good CRC.
    let mut rec = vec![38u8, (-71i8) as u8, 0, 0, 0, 0, 0, 0];
    rec.extend_from_slice(&(0x0002u16 | 0x0400 | 0x0800).to_le_bytes());
    rec.extend_from_slice(&0x8E89_BED6u32.to_le_bytes());
    rec.extend_from_slice(&pdu);
    rec.extend_from_slice(&[0, 0, 0]);
    let f = decode_frame(LinkType::BLUETOOTH_LE_LL_WITH_PHDR, &rec).unwrap();
    assert_eq!(f.radio.rssi_dbm, Some(-71));
    assert_eq!(f.radio.ble_channel, Some(38));
    assert_eq!(f.found.len(), 1);
}
