//! Encoder → decoder round trips for every message type and protocol version, and decode →
//! encode → decode idempotence on arbitrary bytes.

use crate::Rng;
use picket_core::Timestamp;
use picket_remoteid::fields::Text;
use picket_remoteid::message::*;
use picket_remoteid::transport;

const VERSIONS: [u8; 4] = [0, 1, 2, 7];

fn random_location(rng: &mut Rng, version: u8) -> Location {
    fn maybe(rng: &mut Rng, lo: f64, hi: f64) -> Option<f64> {
        let v = rng.range(lo, hi);
        (rng.below(5) != 0).then_some(v)
    }
    let speed = [rng.range(0.0, 63.75), rng.range(63.75, 254.25)][rng.below(2)];
    let (lat, lon) = (rng.range(-90.0, 90.0), rng.range(-180.0, 180.0));
    let pos = rng.below(6) != 0;
    Location {
        protocol_version: version,
        status: OperationalStatus::from_code(rng.below(5) as u8),
        height_type: HeightType::from_code(rng.below(2) as u8),
        direction_deg: maybe(rng, 0.0, 359.49),
        speed_horizontal_mps: maybe(rng, speed, speed),
        speed_vertical_mps: maybe(rng, -62.0, 62.0),
        lat: pos.then_some(lat),
        lon: pos.then_some(lon),
        alt_baro_m: maybe(rng, -999.0, 31_767.0),
        alt_geo_m: maybe(rng, -999.0, 31_767.0),
        height_m: maybe(rng, -999.0, 31_767.0),
        horizontal_accuracy: HorizontalAccuracy(rng.below(13) as u8),
        vertical_accuracy: VerticalAccuracy(rng.below(7) as u8),
        baro_accuracy: VerticalAccuracy(rng.below(7) as u8),
        speed_accuracy: SpeedAccuracy(rng.below(5) as u8),
        timestamp_s: maybe(rng, 0.0, 3599.94),
        timestamp_accuracy_s: maybe(rng, 0.1, 1.5),
    }
}

fn close(a: Option<f64>, b: Option<f64>, step: f64) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= step / 2.0 + 1e-9,
        _ => false,
    }
}

#[test]
fn location_round_trips_every_field_within_its_resolution_for_every_version() {
    let mut rng = Rng(7);
    for version in VERSIONS {
        for _ in 0..2_000 {
            let l = random_location(&mut rng, version);
            let d = Location::decode(&l.encode());
            assert_eq!(d.protocol_version, version);
            assert_eq!((d.status, d.height_type), (l.status, l.height_type));
            assert!(
                close(d.direction_deg, l.direction_deg, 1.0),
                "{l:?} → {d:?}"
            );
            let speed_step = if l.speed_horizontal_mps.is_some_and(|s| s > 63.75) {
                0.75
            } else {
                0.25
            };
            assert!(
                close(d.speed_horizontal_mps, l.speed_horizontal_mps, speed_step),
                "{l:?} → {d:?}"
            );
            assert!(close(d.speed_vertical_mps, l.speed_vertical_mps, 0.5));
            assert!(close(d.lat, l.lat, 1e-7) && close(d.lon, l.lon, 1e-7));
            assert!(close(d.alt_baro_m, l.alt_baro_m, 0.5));
            assert!(close(d.alt_geo_m, l.alt_geo_m, 0.5));
            assert!(close(d.height_m, l.height_m, 0.5));
            assert_eq!(d.horizontal_accuracy, l.horizontal_accuracy);
            assert_eq!(d.vertical_accuracy, l.vertical_accuracy);
            assert_eq!(d.baro_accuracy, l.baro_accuracy);
            assert_eq!(d.speed_accuracy, l.speed_accuracy);
            assert!(close(d.timestamp_s, l.timestamp_s, 0.1));
            assert!(close(d.timestamp_accuracy_s, l.timestamp_accuracy_s, 0.1));
        }
    }
}

#[test]
fn every_message_type_round_trips_exactly_for_every_version() {
    let mut rng = Rng(11);
    for version in VERSIONS {
        let t = Timestamp::from_micros((EPOCH_2019_UNIX_S + 182_006_573) * 1_000_000);
        let messages = [
            Message::BasicId(BasicId {
                protocol_version: version,
                id_type: IdType::SerialNumber,
                ua_type: UaType::Aeroplane,
                uas_id: Text::new("1581F6N8A23B2ML3Y3KR"),
            }),
            Message::SelfId(SelfId {
                protocol_version: version,
                description_type: DescriptionType::Emergency,
                description: Text::new("Lost link, returning"),
            }),
            Message::OperatorId(OperatorId {
                protocol_version: version,
                operator_id_type: OperatorIdType::OperatorId,
                operator_id: Text::new("FIN87astrdge12kxyz8"),
            }),
            Message::System(System {
                protocol_version: version,
                operator_location_type: OperatorLocationType::LiveGnss,
                classification_type: ClassificationType::Eu,
                operator_lat: Some(33.6632364),
                operator_lon: Some(-82.1916647),
                area_count: 3,
                area_radius_m: 250.0,
                area_ceiling_m: Some(120.5),
                area_floor_m: Some(-20.0),
                category_eu: CategoryEu::Certified,
                class_eu: ClassEu::Class6,
                operator_alt_geo_m: Some(80.0),
                timestamp: Some(t),
            }),
            Message::Authentication(AuthPage {
                protocol_version: version,
                auth_type: AuthType::MessageSetSignature,
                page: 0,
                last_page_index: Some(2),
                length: Some(63),
                timestamp: Some(t),
                data: {
                    let mut d = [0u8; 23];
                    d[..17].copy_from_slice(&rng.message()[..17]);
                    d
                },
            }),
            Message::Authentication(AuthPage {
                protocol_version: version,
                auth_type: AuthType::MessageSetSignature,
                page: 2,
                last_page_index: None,
                length: None,
                timestamp: None,
                data: rng.message()[..23].try_into().unwrap(),
            }),
            Message::Location(Location::decode(
                &random_location(&mut rng, version).encode(),
            )),
            Message::Unknown(UnknownMessage {
                message_type_code: 9,
                protocol_version: version,
                raw: {
                    let mut r = rng.message();
                    r[0] = 0x90 | version;
                    r
                },
            }),
        ];
        for m in &messages {
            let bytes = m.encode().unwrap();
            assert_eq!(bytes[0] & 0x0F, version, "the version is written as given");
            assert_eq!(&Message::decode(&bytes).unwrap(), m, "version {version}");
        }
        let pack = MessagePack {
            protocol_version: version,
            messages: messages.to_vec(),
        };
        let bytes = pack.encode().unwrap();
        assert_eq!(bytes.len(), 3 + 25 * messages.len());
        assert_eq!(MessagePack::decode(&bytes).unwrap(), pack);
        // And through every transport's framing.
        let ie = transport::encode_wifi_vendor_element(200, &pack).unwrap();
        let (oui, rest) = (&ie[2..5], &ie[5..]);
        assert_eq!(oui, transport::ODID_OUI);
        let c = transport::decode_wifi_vendor(rest).unwrap().unwrap();
        assert_eq!(
            (c.counter, &c.message),
            (200, &Message::MessagePack(pack.clone()))
        );
        let info = transport::encode_nan_service_info(7, &pack).unwrap();
        assert_eq!(
            transport::decode_nan_service_info(&info).unwrap().message,
            Message::MessagePack(pack.clone())
        );
        let ad = transport::encode_ble_extended_ad(9, &pack).unwrap();
        assert_eq!(ad[0] as usize, ad.len() - 1);
        let c = transport::decode_ble_service_data(&ad[2..])
            .unwrap()
            .unwrap();
        assert_eq!(c.message, Message::MessagePack(pack.clone()));
        for m in &messages {
            let ad = transport::encode_ble_legacy_ad(3, m).unwrap();
            assert_eq!(ad.len(), 31, "fills the legacy advertising data exactly");
            let c = transport::decode_ble_service_data(&ad[2..])
                .unwrap()
                .unwrap();
            assert_eq!((c.counter, &c.message), (3, m));
        }
    }
}

#[test]
fn decode_encode_decode_is_stable_on_arbitrary_bytes() {
    let mut rng = Rng(3);
    for _ in 0..20_000 {
        let mut b = rng.message();
        if b[0] >> 4 == 0xF {
            b[0] &= 0x7F; // packs are covered elsewhere
        }
        let once = Message::decode(&b).unwrap();
        let twice = Message::decode(&once.encode().unwrap()).unwrap();
        assert_eq!(once, twice, "bytes {b:02x?}");
    }
}

#[test]
fn canonical_bytes_re_encode_unchanged() {
    // A real Parrot Location: decode then encode gives the same 25 bytes.
    let b =
        crate::hex("10 10 54 00 00 9f f3 21 1c e3 20 34 05 00 00 00 00 d0 07 00 00 4b 24 00 00");
    let m = Message::decode(&b).unwrap();
    assert_eq!(m.encode().unwrap().to_vec(), b);
}

#[test]
fn a_pack_of_more_than_ten_messages_is_refused_by_the_encoder() {
    let m = Message::decode(&[0x30; 25]).unwrap();
    let pack = MessagePack {
        protocol_version: 2,
        messages: vec![m; 11],
    };
    assert_eq!(pack.encode(), Err(EncodeError::PackTooLarge(11)));
    assert_eq!(
        Message::MessagePack(pack).encode(),
        Err(EncodeError::PackIsNotSingle)
    );
}

#[test]
fn authentication_pages_reassemble_in_any_order_and_cut_to_the_declared_length() {
    use picket_remoteid::AuthAssembler;
    let mut rng = Rng(5);
    let secret: Vec<u8> = (0..63).map(|_| rng.next_u64() as u8).collect();
    let mut pages = Vec::new();
    let mut p0 = [0u8; 23];
    p0[..17].copy_from_slice(&secret[..17]);
    pages.push(AuthPage {
        protocol_version: 2,
        auth_type: AuthType::UasIdSignature,
        page: 0,
        last_page_index: Some(2),
        length: Some(63),
        timestamp: Some(Timestamp::from_micros(1_700_000_000_000_000)),
        data: p0,
    });
    for (i, chunk) in secret[17..].chunks(23).enumerate() {
        let mut d = [0u8; 23];
        d[..chunk.len()].copy_from_slice(chunk);
        pages.push(AuthPage {
            protocol_version: 2,
            auth_type: AuthType::UasIdSignature,
            page: i as u8 + 1,
            last_page_index: None,
            length: None,
            timestamp: None,
            data: d,
        });
    }
    assert_eq!(pages.len(), 3);
    for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
        let mut a = AuthAssembler::new();
        let mut done = None;
        for (n, &i) in order.iter().enumerate() {
            // Pages travel encoded; decode them as a receiver would.
            let Message::Authentication(p) = Message::decode(&pages[i].encode()).unwrap() else {
                panic!()
            };
            let r = a.push(&p);
            assert_eq!(r.is_some(), n == 2, "complete only with the last page");
            done = done.or(r);
        }
        let d = done.unwrap();
        assert_eq!(d.data.0, secret);
        assert_eq!(d.page_count, 3);
        assert_eq!(d.auth_type, AuthType::UasIdSignature);
    }
    // A page of another signature type starts over instead of mixing.
    let mut a = AuthAssembler::new();
    a.push(&pages[0]);
    a.push(&pages[1]);
    let mut foreign = pages[2];
    foreign.auth_type = AuthType::OperatorIdSignature;
    assert!(a.push(&foreign).is_none());
}
