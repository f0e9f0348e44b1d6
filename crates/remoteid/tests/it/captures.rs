//! Every capture in shared/data/remoteid decodes to the values its README lists.

use crate::{capture, haversine_m};
use picket_core::Timestamp;
use picket_remoteid::capture::QuarantineReason;
use picket_remoteid::message::*;
use picket_remoteid::{decode_capture, DecodeRecord, RecordMessage, Transport};
use std::collections::{BTreeMap, BTreeSet};

fn records(name: &str) -> Vec<DecodeRecord> {
    decode_capture(&capture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn kind(r: &DecodeRecord) -> &'static str {
    match &r.message {
        Some(RecordMessage::BasicId(_)) => "basic_id",
        Some(RecordMessage::Location(_)) => "location",
        Some(RecordMessage::Authentication(_)) => "authentication",
        Some(RecordMessage::SelfId(_)) => "self_id",
        Some(RecordMessage::System(_)) => "system",
        Some(RecordMessage::OperatorId(_)) => "operator_id",
        Some(RecordMessage::Unknown(_)) => "unknown",
        Some(_) => "proprietary",
        None => "quarantined",
    }
}

fn counts(rs: &[DecodeRecord]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for r in rs {
        *m.entry(kind(r)).or_default() += 1;
    }
    m
}

fn locations(rs: &[DecodeRecord]) -> Vec<&Location> {
    rs.iter()
        .filter_map(|r| match &r.message {
            Some(RecordMessage::Location(l)) => Some(l),
            _ => None,
        })
        .collect()
}

fn systems(rs: &[DecodeRecord]) -> Vec<&System> {
    rs.iter()
        .filter_map(|r| match &r.message {
            Some(RecordMessage::System(s)) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn wifi_beacon_sample_is_21_five_message_packs_from_the_test_transmitter() {
    let rs = records("odid_wifi_bcn_sample.pcap");
    let frames: BTreeSet<u64> = rs.iter().map(|r| r.frame).collect();
    assert_eq!(frames.len(), 21);
    assert_eq!(
        counts(&rs),
        BTreeMap::from([
            ("basic_id", 21),
            ("location", 21),
            ("operator_id", 21),
            ("self_id", 21),
            ("system", 21)
        ])
    );
    for r in &rs {
        assert_eq!(r.transport, Some(Transport::WifiBeacon));
        assert_eq!(r.mac.unwrap().to_string(), "84:cc:a8:60:43:24");
        assert_eq!(r.freq_mhz, Some(2437));
        assert!(r.rssi_dbm.is_some() && r.counter.is_some() && r.pack_index.is_some());
        match r.message.as_ref().unwrap() {
            RecordMessage::BasicId(b) => {
                assert_eq!(b.uas_id.as_str(), Some("MFG1A0123456789"));
                assert_eq!(b.id_type, IdType::None);
            }
            RecordMessage::Location(l) => {
                // The transmitter moves at 20.5 m/s; the README's position is its first.
                if r.frame == 1 {
                    assert_eq!((l.lat, l.lon), (Some(45.5457468), Some(-122.9681496)));
                }
                assert_eq!(l.height_m, Some(100.0));
                assert_eq!(l.alt_geo_m, Some(237.0));
                assert_eq!(l.speed_horizontal_mps, Some(20.5));
                assert_eq!(l.speed_vertical_mps, None, "63 m/s means invalid");
                assert_eq!(l.timestamp_s, Some(0.0));
            }
            RecordMessage::SelfId(s) => assert_eq!(s.description.as_str(), Some("Recreational")),
            RecordMessage::System(s) => {
                assert_eq!(s.area_radius_m, 500.0);
                assert_eq!(s.category_eu, CategoryEu::Open);
                // Wire code 5 is class C4.
                assert_eq!((s.class_eu, s.class_eu.code()), (ClassEu::Class4, 5));
            }
            RecordMessage::OperatorId(o) => {
                assert_eq!(o.operator_id.as_str(), Some("GBR-OP-123ABCD"))
            }
            m => panic!("unexpected {m:?}"),
        }
    }
}

#[test]
fn wifi_nan_sample_has_one_message_per_frame_and_no_basic_id() {
    let rs = records("odid_wifi_sample.pcap");
    assert_eq!(
        counts(&rs),
        BTreeMap::from([
            ("location", 31),
            ("operator_id", 3),
            ("self_id", 4),
            ("system", 4)
        ])
    );
    let frames: BTreeSet<u64> = rs.iter().map(|r| r.frame).collect();
    assert_eq!(frames.len(), 42, "one message per NAN or beacon frame");
    let by_transport = |t| rs.iter().filter(|r| r.transport == Some(t)).count();
    assert_eq!(by_transport(Transport::WifiNan), 21);
    assert_eq!(by_transport(Transport::WifiBeacon), 21);
    assert!(rs
        .iter()
        .all(|r| r.mac.unwrap().to_string() == "84:cc:a8:60:43:24"));
}

#[test]
fn bt5_long_range_capture_quarantines_exactly_the_30_crc_failed_frames() {
    let rs = records("odid_bt5_lr_sample.pcapng");
    let quarantined: Vec<_> = rs.iter().filter(|r| r.quarantine.is_some()).collect();
    assert_eq!(quarantined.len(), 30);
    assert!(quarantined.iter().all(|r| r.message.is_none()
        && r.quarantine.as_ref().unwrap().reason == QuarantineReason::BleCrcFailed));
    // No value in a message comes from a damaged frame: every location is the no-fix one.
    for l in locations(&rs) {
        assert_eq!((l.lat, l.lon), (None, None), "lat/lon 0/0 means no fix");
        // The README's "baro altitude −55 m": 218 at −55 and 4 at −54.5.
        assert!(
            matches!(l.alt_baro_m, Some(a) if a == -55.0 || a == -54.5),
            "{l:?}"
        );
        assert_eq!(l.speed_horizontal_mps, None, "255 m/s means invalid");
    }
    for r in rs.iter().filter(|r| r.quarantine.is_none()) {
        assert_eq!(r.transport, Some(Transport::BleLongRange));
        assert_eq!(r.mac.unwrap().to_string(), "e0:7d:ea:eb:2f:1c");
        let rssi = r.rssi_dbm.unwrap();
        assert!((-62..=-52).contains(&rssi));
        match r.message.as_ref().unwrap() {
            RecordMessage::BasicId(b) => {
                assert_eq!(b.uas_id.as_str(), Some("SSEVTFG93700070"));
                assert_eq!(b.id_type, IdType::SerialNumber, "never the garbage type 5");
            }
            RecordMessage::SelfId(s) => assert_eq!(s.description.as_str(), Some("Drone ID demo")),
            RecordMessage::OperatorId(o) => {
                assert_eq!(o.operator_id.as_str(), Some("FIN87astrdge12kxyz8"))
            }
            RecordMessage::Location(_) | RecordMessage::System(_) => {}
            m => panic!("unexpected {m:?}"),
        }
    }
    // Packs grow from 0 to 5 messages while the counter runs 12, 13, 14, ... (the empty
    // packs give no records).
    let mut frames: BTreeMap<u64, (u8, usize)> = BTreeMap::new();
    for r in rs.iter().filter(|r| r.message.is_some()) {
        frames.entry(r.frame).or_insert((r.counter.unwrap(), 0)).1 += 1;
    }
    let sizes: Vec<usize> = frames.values().map(|v| v.1).collect();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    assert_eq!(
        sizes.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([1, 2, 3, 4, 5])
    );
    let counters: Vec<u8> = frames.values().map(|v| v.0).collect();
    assert!(counters[0] > 12);
    assert!(counters
        .windows(2)
        .all(|w| (1..=10).contains(&w[1].wrapping_sub(w[0]))));
}

#[test]
fn parrot_anafi_flight_decodes_serial_counts_and_operator() {
    let rs = records("parrot_anafi4_real.pcapng");
    assert_eq!(
        counts(&rs),
        BTreeMap::from([
            ("basic_id", 385),
            ("location", 1140),
            ("operator_id", 385),
            ("system", 385)
        ])
    );
    let frames: BTreeSet<u64> = rs.iter().map(|r| r.frame).collect();
    assert_eq!(frames.len(), 1140, "1140 ODID beacons among 5091 frames");
    assert!(rs
        .iter()
        .all(|r| r.mac.unwrap().to_string() == "90:3a:e6:5b:c8:a8"
            && r.transport == Some(Transport::WifiBeacon)));
    // About 10 Hz: the median gap between beacons is 0.10 s.
    let times: Vec<i64> = rs
        .iter()
        .filter(|r| r.pack_index == Some(0))
        .map(|r| r.time.unwrap().as_micros())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    assert!((90_000..=110_000).contains(&gaps[gaps.len() / 2]));
    for r in &rs {
        match r.message.as_ref().unwrap() {
            RecordMessage::BasicId(b) => {
                assert_eq!(b.uas_id.as_str(), Some("1588E040445AC004418"));
                assert_eq!(b.id_type, IdType::SerialNumber);
            }
            RecordMessage::OperatorId(o) => assert!(o.operator_id.is_empty()),
            _ => {}
        }
    }
    let locs = locations(&rs);
    assert!(
        locs.iter().all(|l| l.alt_geo_m.is_none()),
        "geodetic -1000 = unknown"
    );
    let statuses: Vec<_> = locs.iter().map(|l| l.status).collect();
    assert_eq!(statuses.first(), Some(&OperationalStatus::Ground));
    assert_eq!(statuses.last(), Some(&OperationalStatus::Airborne));
    let heights: Vec<f64> = locs.iter().map(|l| l.height_m.unwrap()).collect();
    assert_eq!(heights.iter().cloned().fold(f64::MAX, f64::min), 0.0);
    assert_eq!(heights.iter().cloned().fold(f64::MIN, f64::max), 11.0);
    assert!(locs.iter().all(|l| l.speed_horizontal_mps.unwrap() <= 2.0));
    let l0 = locs[0];
    let drift = locs
        .iter()
        .map(|l| {
            haversine_m(
                l0.lat.unwrap(),
                l0.lon.unwrap(),
                l.lat.unwrap(),
                l.lon.unwrap(),
            )
        })
        .fold(0.0, f64::max);
    assert!((7.5..8.5).contains(&drift), "drift {drift} m");
    let sys = systems(&rs);
    assert!(sys.iter().all(|s| s.area_count == 0
        && s.operator_location_type == OperatorLocationType::LiveGnss
        && haversine_m(
            s.operator_lat.unwrap(),
            s.operator_lon.unwrap(),
            47.1987,
            8.7302
        ) < 30.0));
    // Drone–operator distance within each full pack: metres, about 10 on average, 11.8 at
    // the end of the hop (the README's "operator 11 m from the drone").
    let mut pair_m = Vec::new();
    let mut last_loc = None;
    for r in &rs {
        match r.message.as_ref().unwrap() {
            RecordMessage::Location(l) => last_loc = Some((r.frame, *l)),
            RecordMessage::System(s) => {
                let (f, l) = last_loc.unwrap();
                assert_eq!(f, r.frame, "System comes after Location in the same pack");
                pair_m.push(haversine_m(
                    l.lat.unwrap(),
                    l.lon.unwrap(),
                    s.operator_lat.unwrap(),
                    s.operator_lon.unwrap(),
                ));
            }
            _ => {}
        }
    }
    let mean = pair_m.iter().sum::<f64>() / pair_m.len() as f64;
    assert!(pair_m.iter().all(|&d| d < 25.0));
    assert!((9.0..11.0).contains(&mean), "mean {mean} m");
    assert!((11.0..12.5).contains(pair_m.last().unwrap()));
}

#[test]
fn spoofed_parrot_capture_decodes_and_shows_what_differs_from_the_real_one() {
    let spoofed = records("parrot_anafi4_spoofed.pcapng");
    let frames: BTreeSet<u64> = spoofed.iter().map(|r| r.frame).collect();
    assert_eq!(frames.len(), 26, "26 ODID beacons");
    // Same serial and MAC as the real aircraft.
    assert!(spoofed
        .iter()
        .all(|r| r.mac.unwrap().to_string() == "90:3a:e6:5b:c8:a8"));
    assert!(spoofed.iter().any(|r| matches!(&r.message,
        Some(RecordMessage::BasicId(b)) if b.uas_id.as_str() == Some("1588E040445AC004418"))));
    // Difference 1: the vendor element is 3 bytes too short for the 4 messages its pack
    // declares; the three complete ones decode, and the defect is reported on each.
    assert!(spoofed.iter().all(|r| r.pack_defect.as_deref()
        == Some("message pack declares 4 messages (103 bytes) but only 100 bytes are present")));
    assert_eq!(
        counts(&spoofed),
        BTreeMap::from([("basic_id", 26), ("location", 26), ("system", 26)])
    );
    // Difference 2: the frames were injected: no RSSI and no channel in their radiotap header.
    assert!(spoofed
        .iter()
        .all(|r| r.rssi_dbm.is_none() && r.freq_mhz.is_none()));
    // Difference 3: the Location moved to Zurich while the operator stayed put: 24.9 km.
    let locs = locations(&spoofed);
    assert_eq!(
        (locs[0].lat, locs[0].lon),
        (Some(47.3763734), Some(8.5282979))
    );
    for l in &locs {
        let from_operator = haversine_m(l.lat.unwrap(), l.lon.unwrap(), 47.198656, 8.7302205);
        assert!(from_operator > 24_000.0, "{from_operator} m");
    }
    for s in systems(&spoofed) {
        assert_eq!(
            (s.operator_lat, s.operator_lon),
            (Some(47.198656), Some(8.7302205))
        );
    }
    let d = haversine_m(47.3763734, 8.5282979, 47.198656, 8.7302205);
    assert!((24_800.0..25_000.0).contains(&d), "{d} m");
    // The real capture has none of these traits.
    let real = records("parrot_anafi4_real.pcapng");
    assert!(real
        .iter()
        .all(|r| r.pack_defect.is_none() && r.rssi_dbm.is_some()));
}

#[test]
fn dji_air3_astm_beacons_decode_to_serial_position_and_operator() {
    let rs = records("dji_air3.pcapng");
    assert_eq!(
        counts(&rs),
        BTreeMap::from([("basic_id", 9), ("location", 9), ("system", 9)])
    );
    let mut last_loc = None;
    for r in &rs {
        assert_eq!(r.mac.unwrap().to_string(), "60:60:1f:71:93:3b");
        match r.message.as_ref().unwrap() {
            RecordMessage::BasicId(b) => {
                assert_eq!(b.protocol_version, 2);
                assert_eq!(b.uas_id.as_str(), Some("1581F6N8A23B2ML3Y3KR"));
                assert_eq!(b.ua_type, UaType::HelicopterOrMultirotor);
            }
            RecordMessage::Location(l) => {
                assert_eq!(l.protocol_version, 2);
                assert_eq!(l.status, OperationalStatus::Airborne);
                assert_eq!(l.direction_deg, None, "361 = unknown");
                last_loc = Some(*l);
            }
            RecordMessage::System(s) => {
                assert_eq!(s.operator_location_type, OperatorLocationType::LiveGnss);
                let l = last_loc.unwrap();
                let d = haversine_m(
                    l.lat.unwrap(),
                    l.lon.unwrap(),
                    s.operator_lat.unwrap(),
                    s.operator_lon.unwrap(),
                );
                assert!((220.0..235.0).contains(&d), "{d} m");
            }
            m => panic!("unexpected {m:?}"),
        }
    }
    let first = locations(&rs)[0];
    assert_eq!(
        (first.lat, first.lon),
        (Some(33.6652717), Some(-82.1918334))
    );
    assert_eq!(first.alt_geo_m, Some(82.0));
    assert_eq!(first.height_m, Some(1.5));
    assert_eq!(first.timestamp_s, Some(1373.5));
    let sys = systems(&rs)[0];
    assert_eq!(
        (sys.operator_lat, sys.operator_lon),
        (Some(33.6632364), Some(-82.1916647))
    );
    assert_eq!(sys.operator_alt_geo_m, Some(80.0));
    // 182006573 s after 2019-01-01 is 13:22:53Z; the beacon was received at 13:22:54.05Z.
    // (The README's "13:23:04Z" is an arithmetic slip: it would be 10 s in the future.)
    assert_eq!(
        sys.timestamp,
        Some(Timestamp::parse_rfc3339("2024-10-07T13:22:53Z").unwrap())
    );
    assert_eq!(
        rs[0].time.unwrap().to_rfc3339(),
        "2024-10-07T13:22:54.047936Z"
    );
}

#[test]
fn records_serialise_with_unit_suffixed_names_and_null_for_unknown() {
    let rs = records("dji_air3.pcapng");
    let loc = rs.iter().find(|r| kind(r) == "location").unwrap();
    let v = serde_json::to_value(loc).unwrap();
    assert_eq!(v["transport"], "wifi_beacon");
    assert_eq!(v["mac"], "60:60:1f:71:93:3b");
    assert_eq!(v["time"], "2024-10-07T13:22:54.047936Z");
    assert_eq!(v["message"]["message_type"], "location");
    assert_eq!(v["message"]["alt_geo_m"], 82.0);
    assert_eq!(v["message"]["lat"], 33.6652717);
    assert!(v["message"]["direction_deg"].is_null());
    assert!(v["message"]["alt_baro_m"].is_null());
    assert!(v.get("quarantine").is_none());
    let bt5 = records("odid_bt5_lr_sample.pcapng");
    let q = bt5.iter().find(|r| r.quarantine.is_some()).unwrap();
    let v = serde_json::to_value(q).unwrap();
    assert_eq!(v["quarantine"]["reason"], "ble_crc_failed");
    assert_eq!(v["ble_phy"], "le_coded");
    assert!(v.get("message").is_none());
}
