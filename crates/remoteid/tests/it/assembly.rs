//! Assembly across messages, transports and addresses; spoof and plausibility evidence.

use crate::capture;
use picket_core::{GeoPoint, Identity, Measurement, Observation, SensorId, Timestamp};
use picket_pcap::{LinkType, MacAddr};
use picket_remoteid::capture::RecordBuilder;
use picket_remoteid::fields::Text;
use picket_remoteid::french::{self, FrenchBeacon};
use picket_remoteid::message::*;
use picket_remoteid::{decode_capture, decode_frame, transport, Assembler, ObservationContext};

const PARROT: &str = "1588E040445AC004418";
/// Where the Parrot's pilot stood (its System message): the receiver was next to them.
const PARROT_RECEIVER: GeoPoint = GeoPoint {
    lat_deg: 47.198656,
    lon_deg: 8.7302205,
    alt_hae_m: 480.0,
};

fn ctx(receiver: Option<GeoPoint>) -> ObservationContext {
    let mut c = ObservationContext::new(SensorId("rid-1".into()));
    c.receiver_position = receiver;
    c
}

fn assemble(name: &str, receiver: Option<GeoPoint>) -> (Vec<Observation>, Assembler) {
    let rs = decode_capture(&capture(name)).unwrap();
    let mut a = Assembler::new(ctx(receiver));
    let mut out = Vec::new();
    a.push(&rs, &mut out);
    (out, a)
}

fn max_score(obs: &[Observation]) -> f64 {
    obs.iter()
        .filter_map(|o| o.side.spoof.as_ref())
        .map(|s| s.score)
        .fold(0.0, f64::max)
}

#[test]
fn the_real_parrot_flight_is_one_aircraft_and_not_suspicious() {
    let (obs, a) = assemble("parrot_anafi4_real.pcapng", Some(PARROT_RECEIVER));
    assert_eq!(obs.len(), 1140);
    assert_eq!(a.len(), 1);
    let first_id = obs.iter().position(|o| o.identity.is_some()).unwrap();
    assert!(obs[first_id..]
        .iter()
        .all(|o| o.identity == Some(Identity::RemoteId(PARROT.into()))));
    // Nothing at all is suspicious: no evidence on any of its 1140 observations.
    let score = max_score(&obs);
    assert_eq!(
        score,
        0.0,
        "{:?}",
        obs.iter().find_map(|o| o.side.spoof.clone())
    );
    let v = &a.aircraft()[0];
    assert_eq!(v.uas_id.as_deref(), Some(PARROT));
    assert_eq!(v.operator_location_type.as_deref(), Some("live_gnss"));
    let op = v.operator_position.unwrap();
    assert!((op.lat_deg - 47.1987).abs() < 1e-3 && (op.lon_deg - 8.7302).abs() < 1e-3);
    assert_eq!(
        v.take_off_position, None,
        "live GNSS is not a take-off point"
    );
}

#[test]
fn the_spoofed_parrot_is_flagged_for_its_distance_from_the_pilot() {
    // Without a receiver position: the drone–operator distance alone.
    let (obs, _) = assemble("parrot_anafi4_spoofed.pcapng", None);
    assert_eq!(obs.len(), 26);
    let spoof = obs
        .last()
        .unwrap()
        .side
        .spoof
        .clone()
        .expect("spoof evidence");
    assert!(spoof.score >= 0.7, "{spoof:?}");
    assert!(
        spoof.reasons[0].starts_with("claims to be 25 km from its pilot"),
        "{spoof:?}"
    );
    // Every observation of it carries the evidence (the pilot is in every System message).
    assert!(obs
        .iter()
        .all(|o| o.side.spoof.as_ref().is_some_and(|s| s.score >= 0.7)));
}

#[test]
fn the_spoofed_capture_has_no_signal_strength_so_no_signal_evidence() {
    // Its radiotap headers carry no antenna signal: with a receiver position the score is
    // the same, and no reason speaks of signal strength.
    let (with_rx, _) = assemble("parrot_anafi4_spoofed.pcapng", Some(PARROT_RECEIVER));
    let (without, _) = assemble("parrot_anafi4_spoofed.pcapng", None);
    assert!(with_rx.iter().all(|o| o.side.rssi_dbm.is_none()));
    assert_eq!(
        with_rx.last().unwrap().side.spoof,
        without.last().unwrap().side.spoof
    );
}

#[test]
fn dji_air3_is_one_identified_aircraft_with_its_pilot_and_no_evidence() {
    let (obs, a) = assemble("dji_air3.pcapng", None);
    assert_eq!(obs.len(), 9);
    assert!(obs
        .iter()
        .all(|o| o.identity == Some(Identity::RemoteId("1581F6N8A23B2ML3Y3KR".into()))));
    assert!(
        obs.iter().all(|o| o.side.spoof.is_none()),
        "{:?}",
        obs[0].side
    );
    // Serial 1581 = DJI and MAC 60:60:1f = DJI: consistent.
    let v = &a.aircraft()[0];
    assert_eq!(
        v.addresses,
        vec![Some(MacAddr([0x60, 0x60, 0x1f, 0x71, 0x93, 0x3b]))]
    );
    let op = obs[0].side.operator_position.unwrap();
    assert_eq!((op.lat_deg, op.lon_deg), (33.6632364, -82.1916647));
}

#[test]
fn a_sender_without_basic_id_is_one_aircraft_by_address_with_its_take_off_point() {
    let (obs, a) = assemble("odid_wifi_sample.pcap", None);
    assert_eq!(obs.len(), 31);
    assert_eq!(
        a.len(),
        1,
        "NAN and beacon frames from one address: one aircraft"
    );
    assert!(obs.iter().all(|o| o.identity.is_none()));
    // Its System says the operator position is the take-off point.
    let v = &a.aircraft()[0];
    assert_eq!(v.operator_location_type.as_deref(), Some("takeoff"));
    assert!(v.take_off_position.is_some());
    assert!(obs.iter().any(|o| o.side.take_off_position.is_some()));
}

#[test]
fn crc_failed_frames_never_reach_the_assembler() {
    let (obs, a) = assemble("odid_bt5_lr_sample.pcapng", None);
    assert!(obs.is_empty(), "no GNSS fix in this capture");
    // The garbage Basic IDs of the 30 CRC-failed frames made no aircraft.
    assert_eq!(a.len(), 1);
    assert_eq!(a.aircraft()[0].uas_id.as_deref(), Some("SSEVTFG93700070"));
}

// ---- Synthetic frames through the real encoder and decoder ----

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn location(lat: f64, lon: f64, tenths_past_hour: f64) -> Message {
    Message::Location(Location {
        protocol_version: 2,
        status: OperationalStatus::Airborne,
        height_type: HeightType::AboveTakeoff,
        direction_deg: Some(90.0),
        speed_horizontal_mps: Some(5.0),
        speed_vertical_mps: Some(0.0),
        lat: Some(lat),
        lon: Some(lon),
        alt_baro_m: None,
        alt_geo_m: Some(500.0),
        height_m: Some(50.0),
        horizontal_accuracy: HorizontalAccuracy::from_bound_m(Some(10.0)),
        vertical_accuracy: VerticalAccuracy::from_bound_m(Some(25.0)),
        baro_accuracy: VerticalAccuracy(0),
        speed_accuracy: SpeedAccuracy::from_bound_mps(Some(1.0)),
        timestamp_s: Some(tenths_past_hour),
        timestamp_accuracy_s: Some(0.1),
    })
}

fn basic_id(serial: &str) -> Message {
    Message::BasicId(BasicId {
        protocol_version: 2,
        id_type: IdType::SerialNumber,
        ua_type: UaType::HelicopterOrMultirotor,
        uas_id: Text::new(serial),
    })
}

fn system(op_lat: f64, op_lon: f64, kind: u8) -> Message {
    Message::System(System {
        protocol_version: 2,
        operator_location_type: OperatorLocationType::from_code(kind),
        classification_type: ClassificationType::from_code(0),
        operator_lat: Some(op_lat),
        operator_lon: Some(op_lon),
        area_count: 1,
        area_radius_m: 0.0,
        area_ceiling_m: None,
        area_floor_m: None,
        category_eu: CategoryEu::from_code(0),
        class_eu: ClassEu::from_code(0),
        operator_alt_geo_m: Some(450.0),
        timestamp: None,
    })
}

/// A radiotap (antenna signal) + 802.11 beacon from `mac` with the given elements.
fn beacon(mac: [u8; 6], rssi_dbm: i8, elements: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 9, 0, 0x20, 0, 0, 0, rssi_dbm as u8];
    f.extend_from_slice(&[0x80, 0x00, 0, 0]);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&[0x64, 0, 0x01, 0x04]);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(elements);
    f
}

fn odid(counter: u8, messages: Vec<Message>) -> Vec<u8> {
    let pack = MessagePack {
        protocol_version: 2,
        messages,
    };
    transport::encode_wifi_vendor_element(counter, &pack).unwrap()
}

/// Feeds frames one by one (as a live input does) and collects the observations.
struct Feed {
    builder: RecordBuilder,
    assembler: Assembler,
    frame: u64,
    out: Vec<Observation>,
}

impl Feed {
    fn new(receiver: Option<GeoPoint>) -> Self {
        Feed {
            builder: RecordBuilder::new(),
            assembler: Assembler::new(ctx(receiver)),
            frame: 0,
            out: Vec::new(),
        }
    }
    fn with(assembler: Assembler) -> Self {
        Feed {
            builder: RecordBuilder::new(),
            assembler,
            frame: 0,
            out: Vec::new(),
        }
    }
    /// Returns the observations of this frame.
    fn frame(&mut self, at: Timestamp, bytes: &[u8]) -> Vec<Observation> {
        self.frame += 1;
        let d = decode_frame(LinkType::RADIOTAP, bytes).unwrap();
        let mut recs = Vec::new();
        self.builder.records(self.frame, Some(at), &d, &mut recs);
        let n = self.out.len();
        self.assembler.push(&recs, &mut self.out);
        self.out[n..].to_vec()
    }
}

const MAC_A: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x01];
const MAC_B: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x02];
const MAC_C: [u8; 6] = [0x06, 0x99, 0x88, 0x77, 0x66, 0x03];
const SERIAL: &str = "1668A23KX90D77H1";

#[test]
fn randomised_addresses_with_one_serial_are_one_aircraft() {
    let mut f = Feed::new(None);
    let full = |c: u8, tph: f64, lon: f64| {
        odid(
            c,
            vec![
                basic_id(SERIAL),
                location(31.3, lon, tph),
                system(31.29, -109.9, 1),
            ],
        )
    };
    let id = Some(Identity::RemoteId(SERIAL.into()));
    // MAC A sends full packs, then the module changes its address to B.
    let o = f.frame(
        t("2026-11-26T12:00:00.0Z"),
        &beacon(MAC_A, -60, &full(1, 0.0, -109.9)),
    );
    assert_eq!(o[0].identity, id);
    let o = f.frame(
        t("2026-11-26T12:00:01.0Z"),
        &beacon(MAC_B, -60, &full(2, 1.0, -109.89995)),
    );
    assert_eq!(o[0].identity, id);
    assert_eq!(f.assembler.len(), 1);
    // Address C first sends Location-only packs: an aircraft of its own, without identity...
    let loc_only = |c: u8, tph: f64| odid(c, vec![location(31.3, -109.8999, tph)]);
    let o = f.frame(
        t("2026-11-26T12:00:02.0Z"),
        &beacon(MAC_C, -60, &loc_only(7, 2.0)),
    );
    assert_eq!(o[0].identity, None);
    assert_eq!(f.assembler.len(), 2);
    // ... until a Basic ID arrives on C: merged into the serial's aircraft.
    f.frame(
        t("2026-11-26T12:00:03.0Z"),
        &beacon(MAC_C, -60, &full(8, 3.0, -109.89985)),
    );
    assert_eq!(f.assembler.len(), 1);
    let o = f.frame(
        t("2026-11-26T12:00:04.0Z"),
        &beacon(MAC_C, -60, &loc_only(9, 4.0)),
    );
    assert_eq!(
        o[0].identity, id,
        "a Location-only pack on a linked address"
    );
    // The operator reaches the Location-only observation too.
    assert!(o[0].side.operator_position.is_some());
    let v = &f.assembler.aircraft()[0];
    assert_eq!(v.uas_id.as_deref(), Some(SERIAL));
    assert_eq!(v.addresses.len(), 3);
    // Randomised addresses are no evidence; nothing here is suspicious.
    assert!(f.out.iter().all(|o| o.side.spoof.is_none()), "{:?}", f.out);
}

#[test]
fn location_time_rolls_over_the_hour() {
    let mut f = Feed::new(None);
    // Sent at 12:59:59.9 (3599.9 s past the hour), received at 13:00:00.2.
    let o = f.frame(
        t("2026-11-26T13:00:00.2Z"),
        &beacon(
            MAC_A,
            -60,
            &odid(1, vec![basic_id(SERIAL), location(31.3, -109.9, 3599.9)]),
        ),
    );
    assert_eq!(o[0].time, t("2026-11-26T12:59:59.9Z"));
    // The next one, sent at 13:00:00.9, lands in the new hour; no timestamp regression.
    let o = f.frame(
        t("2026-11-26T13:00:01.1Z"),
        &beacon(MAC_A, -60, &odid(2, vec![location(31.3, -109.9, 0.9)])),
    );
    assert_eq!(o[0].time, t("2026-11-26T13:00:00.9Z"));
    assert_eq!(o[0].side.spoof, None);
}

#[test]
fn counter_and_timestamp_regressions_are_evidence() {
    let mut f = Feed::new(None);
    let base = t("2026-11-26T12:00:00Z");
    // A replay of old broadcasts interleaved with the live ones (same address and serial):
    // counters 10, 11, 3, 12, 4, ... and timestamps going back 8 s.
    let mut last = Vec::new();
    for i in 0..6u8 {
        let at = base.plus_secs_f64(f64::from(i) * 0.5);
        let (counter, tph) = if i % 2 == 0 {
            (10 + i / 2, f64::from(i) * 0.5)
        } else {
            (2 + i / 2, 3600.0 - 8.0 + f64::from(i) * 0.5)
        };
        last = f.frame(
            at,
            &beacon(
                MAC_A,
                -60,
                &odid(counter, vec![basic_id(SERIAL), location(31.3, -109.9, tph)]),
            ),
        );
    }
    let s = last[0].side.spoof.clone().expect("evidence");
    assert!(
        s.reasons
            .iter()
            .any(|r| r.contains("message counter went backwards")),
        "{s:?}"
    );
    assert!(
        s.reasons
            .iter()
            .any(|r| r.contains("timestamps went backwards")),
        "{s:?}"
    );
    assert!(s.score >= 0.5, "{s:?}");
}

#[test]
fn a_counter_wrapping_past_255_is_not_a_regression() {
    let mut f = Feed::new(None);
    let base = t("2026-11-26T12:00:00Z");
    let mut out = Vec::new();
    for (i, c) in [253u8, 254, 255, 0, 1, 2].into_iter().enumerate() {
        out = f.frame(
            base.plus_secs_f64(i as f64 * 0.1),
            &beacon(
                MAC_A,
                -60,
                &odid(
                    c,
                    vec![basic_id(SERIAL), location(31.3, -109.9, i as f64 * 0.1)],
                ),
            ),
        );
    }
    assert_eq!(out[0].side.spoof, None);
}

#[test]
fn an_impossible_jump_is_evidence_and_names_two_transmitters() {
    let mut f = Feed::new(None);
    let pack =
        |c: u8, lat: f64, tph: f64| odid(c, vec![basic_id(SERIAL), location(lat, -109.9, tph)]);
    f.frame(
        t("2026-11-26T12:00:00Z"),
        &beacon(MAC_A, -60, &pack(1, 31.3, 0.0)),
    );
    // 11 km north one second later, from another address.
    let o = f.frame(
        t("2026-11-26T12:00:01Z"),
        &beacon(MAC_B, -60, &pack(1, 31.4, 1.0)),
    );
    let s = o[0].side.spoof.clone().unwrap();
    assert!(
        s.reasons[0].starts_with("position jumped 11 km in 1.0 s"),
        "{s:?}"
    );
    assert!(s.reasons[0].contains("two transmitters"), "{s:?}");
    assert!(s.score >= 0.8, "{s:?}");
}

#[test]
fn a_mac_of_another_manufacturer_is_evidence() {
    let mut f = Feed::new(None);
    // A DJI serial from a Parrot radio address (universally administered).
    let o = f.frame(
        t("2026-11-26T12:00:00Z"),
        &beacon(
            [0x90, 0x3a, 0xe6, 1, 2, 3],
            -60,
            &odid(
                1,
                vec![
                    basic_id("1581F6N8A23B2ML3Y3KR"),
                    location(31.3, -109.9, 0.0),
                ],
            ),
        ),
    );
    let s = o[0].side.spoof.clone().unwrap();
    assert_eq!(s.score, 0.5);
    assert!(s.reasons[0].contains("serial says DJI"), "{s:?}");
}

#[test]
fn a_signal_too_strong_for_the_claimed_distance_is_evidence() {
    // Receiver on the ground near Naco; the drone claims to be 25 km south.
    let rx = GeoPoint::new(31.345, -109.925, 1_405.0);
    let mut f = Feed::new(Some(rx));
    let o = f.frame(
        t("2026-11-26T12:00:00Z"),
        &beacon(
            MAC_A,
            -55,
            &odid(1, vec![basic_id(SERIAL), location(31.12, -109.95, 0.0)]),
        ),
    );
    let s = o[0].side.spoof.clone().unwrap();
    assert!(s.score >= 0.85, "{s:?}");
    assert!(s.reasons[0].contains("heard at -55 dBm by rid-1"), "{s:?}");
    // -80 dBm from 1 km away is normal (free space from 1 W allows -73 dBm there).
    let mut f = Feed::new(Some(rx));
    let o = f.frame(
        t("2026-11-26T12:00:00Z"),
        &beacon(
            MAC_A,
            -80,
            &odid(1, vec![basic_id(SERIAL), location(31.354, -109.925, 0.0)]),
        ),
    );
    assert_eq!(o[0].side.spoof, None);
}

#[test]
fn state_stays_bounded_under_a_flood_of_addresses_and_idle_aircraft_expire() {
    let mut f = Feed::with(Assembler::with_capacity(ctx(None), 100));
    let base = t("2026-11-26T12:00:00Z");
    for i in 0..5_000u32 {
        let b = i.to_le_bytes();
        let mac = [0x02, 0x77, b[0], b[1], b[2], 0x01];
        let serial = format!("FLOOD{i:08}");
        let at = base.plus_secs_f64(f64::from(i) * 0.01);
        f.frame(
            at,
            &beacon(
                mac,
                -60,
                &odid(1, vec![basic_id(&serial), location(31.3, -109.9, 0.0)]),
            ),
        );
        assert!(f.assembler.len() <= 100 && f.assembler.addresses() <= 100);
    }
    assert_eq!(f.assembler.len(), 100);
    // The newest stayed, the oldest were dropped.
    let ids: Vec<String> = f
        .assembler
        .aircraft()
        .iter()
        .filter_map(|a| a.uas_id.clone())
        .collect();
    assert!(
        ids.contains(&"FLOOD00004999".to_owned()) && !ids.contains(&"FLOOD00000000".to_owned())
    );
    // One address cycling through many serials keeps at most a few ids and addresses per aircraft.
    // Five minutes of silence later, one frame: every idle aircraft is forgotten.
    f.frame(
        base.plus_secs_f64(50.0 + 301.0),
        &beacon(
            MAC_A,
            -60,
            &odid(1, vec![basic_id(SERIAL), location(31.3, -109.9, 0.0)]),
        ),
    );
    assert_eq!(f.assembler.len(), 1);
    assert_eq!(f.assembler.addresses(), 1);
}

#[test]
fn dji_droneid_and_french_beacons_become_observations_with_take_off_and_pilot() {
    // DJI flight info, version 2 (the layout of the proprietary tests), from a DJI address.
    let rad_e7 = |deg: f64| ((deg.to_radians() * 1e7).round() as i32).to_le_bytes();
    let mut body = vec![0x58, 0x62, 0x13, 0x10, 0x02];
    body.extend_from_slice(&0x064du16.to_le_bytes());
    body.extend_from_slice(&0x1f33u16.to_le_bytes());
    body.extend_from_slice(b"0K1CG6G3AH8V2M\0\0");
    body.extend_from_slice(&rad_e7(8.5));
    body.extend_from_slice(&rad_e7(47.25));
    body.extend_from_slice(&120i16.to_le_bytes());
    body.extend_from_slice(&455i16.to_le_bytes());
    body.extend_from_slice(&(-250i16).to_le_bytes());
    body.extend_from_slice(&300i16.to_le_bytes());
    body.extend_from_slice(&50i16.to_le_bytes());
    body.extend_from_slice(&17_328i16.to_le_bytes());
    body.extend_from_slice(&1_607_007_974_277u64.to_le_bytes());
    body.extend_from_slice(&rad_e7(47.245));
    body.extend_from_slice(&rad_e7(8.495));
    body.extend_from_slice(&rad_e7(8.49));
    body.extend_from_slice(&rad_e7(47.24));
    body.extend_from_slice(&[24, 0]);
    body.extend_from_slice(&[0; 20]);
    let mut ie = vec![221, (3 + body.len()) as u8];
    ie.extend_from_slice(&picket_remoteid::dji::DJI_OUI);
    ie.extend_from_slice(&body);
    let mut f = Feed::new(None);
    let o = f.frame(
        t("2020-12-03T15:06:14Z"),
        &beacon([0x60, 0x60, 0x1f, 9, 0x73, 0x68], -70, &ie),
    );
    assert_eq!(o.len(), 1);
    assert_eq!(
        o[0].identity,
        Some(Identity::RemoteId("0K1CG6G3AH8V2M".into()))
    );
    let Measurement::Position { position, .. } = o[0].measurement else {
        panic!()
    };
    assert!((position.lat_deg - 47.25).abs() < 5e-6 && (position.lon_deg - 8.5).abs() < 5e-6);
    let pilot = o[0].side.operator_position.unwrap();
    assert!((pilot.lat_deg - 47.245).abs() < 5e-6);
    let home = o[0].side.take_off_position.unwrap();
    assert!((home.lat_deg - 47.24).abs() < 5e-6 && (home.lon_deg - 8.49).abs() < 5e-6);
    assert_eq!(o[0].side.reported_velocity_enu_mps, Some([3.0, -2.5, 0.5]));
    assert_eq!(o[0].side.spoof, None);

    // The French beacon: identity from its ANSI serial, take-off point.
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
    let o = f.frame(
        t("2020-12-03T15:06:15Z"),
        &beacon(
            [0x60, 0x60, 0x1f, 1, 1, 1],
            -70,
            &french::encode_element(&b),
        ),
    );
    assert_eq!(
        o[0].identity,
        Some(Identity::RemoteId("1581E0M6DF7700119BY".into()))
    );
    let home = o[0].side.take_off_position.unwrap();
    assert_eq!(
        (home.lat_deg, home.lon_deg, home.alt_hae_m),
        (43.94974, 4.81879, 20.0)
    );
    assert_eq!(f.assembler.len(), 2);
}

#[test]
fn mutated_real_frames_and_times_going_back_neither_panic_nor_grow_state() {
    // What the `remoteid_assembly` fuzz target does, on the real Parrot frames: random bytes
    // changed, times jumping back and forth, a small capacity.
    let bytes = capture("parrot_anafi4_real.pcapng");
    let mut rng = crate::Rng(0x5eed_a55e_b1e5);
    let mut f = Feed::with(Assembler::with_capacity(ctx(Some(PARROT_RECEIVER)), 8));
    let mut at = t("2023-04-01T12:00:00Z");
    let mut frames = 0;
    for p in picket_pcap::packets(&bytes).unwrap().map(Result::unwrap) {
        if p.link_type != LinkType::RADIOTAP || p.data.len() < 60 {
            continue;
        }
        for _ in 0..4 {
            let mut d = p.data.to_vec();
            for _ in 0..1 + rng.below(6) {
                let i = rng.below(d.len());
                d[i] = rng.next_u64() as u8;
            }
            at = at.plus_secs_f64(rng.range(-20.0, 30.0));
            if let Ok(dec) = decode_frame(LinkType::RADIOTAP, &d) {
                let mut recs = Vec::new();
                f.builder.records(0, Some(at), &dec, &mut recs);
                f.assembler.push(&recs, &mut f.out);
            }
            assert!(f.assembler.len() <= 8 && f.assembler.addresses() <= 64);
            f.out.clear();
            frames += 1;
        }
        if frames > 8_000 {
            break;
        }
    }
    assert!(frames > 4_000, "{frames}");
}

#[test]
fn the_spoofed_broadcasts_replayed_during_the_real_flight_are_two_transmitters() {
    // The spoofer replays the real drone's serial and address: interleave its 26 beacons
    // (moved in time into the real flight) with the real ones, as one receiver would hear them.
    let real = decode_capture(&capture("parrot_anafi4_real.pcapng")).unwrap();
    let mut fake = decode_capture(&capture("parrot_anafi4_spoofed.pcapng")).unwrap();
    let (r0, f0) = (real[0].time.unwrap(), fake[0].time.unwrap());
    let shift_s = r0.seconds_since(f0) + 20.0;
    for r in &mut fake {
        r.time = r.time.map(|t| t.plus_secs_f64(shift_s));
        r.frame += 1_000_000;
    }
    let mut all: Vec<_> = real.into_iter().chain(fake).collect();
    all.sort_by_key(|r| (r.time, r.frame));
    let mut a = Assembler::new(ctx(None));
    let mut out = Vec::new();
    a.push(&all, &mut out);
    assert_eq!(a.len(), 1, "one serial, one address: one aircraft");
    let s = a.aircraft()[0].spoof.clone().expect("evidence");
    assert!(s.score > 0.95, "{s:?}");
    assert!(
        s.reasons
            .iter()
            .any(|r| r.starts_with("position jumped 25 km")),
        "{s:?}"
    );
    assert!(
        s.reasons
            .iter()
            .any(|r| r.contains("message counter went backwards")),
        "{s:?}"
    );
}

#[test]
fn a_serial_and_a_registration_sent_in_separate_frames_name_one_aircraft() {
    let mut f = Feed::new(None);
    let caa = Message::BasicId(BasicId {
        protocol_version: 2,
        id_type: IdType::CaaRegistrationId,
        ua_type: UaType::HelicopterOrMultirotor,
        uas_id: Text::new("FIN87astrdge12k"),
    });
    let base = t("2026-11-26T12:00:00Z");
    let mut last = Vec::new();
    for i in 0..6u8 {
        let id = if i % 2 == 0 {
            caa.clone()
        } else {
            basic_id(SERIAL)
        };
        last = f.frame(
            base.plus_secs_f64(f64::from(i) * 0.3),
            &beacon(
                MAC_A,
                -60,
                &odid(i, vec![id, location(31.3, -109.9, f64::from(i) * 0.3)]),
            ),
        );
    }
    assert_eq!(f.assembler.len(), 1);
    let v = &f.assembler.aircraft()[0];
    assert_eq!(
        v.uas_ids,
        vec!["FIN87astrdge12k".to_owned(), SERIAL.to_owned()]
    );
    // The first ID heard stays the identity (a switch would split the fused track).
    assert_eq!(v.uas_id.as_deref(), Some("FIN87astrdge12k"));
    assert_eq!(
        last[0].identity,
        Some(Identity::RemoteId("FIN87astrdge12k".into()))
    );
}

#[test]
fn location_only_records_without_a_sender_address_never_join_one_aircraft() {
    let mut f = Feed::new(None);
    let mut out = Vec::new();
    for (i, lat) in [31.3, 31.4, 31.5].into_iter().enumerate() {
        f.frame += 1;
        let d = decode_frame(
            LinkType::RADIOTAP,
            &beacon(MAC_A, -60, &odid(1, vec![location(lat, -109.9, i as f64)])),
        )
        .unwrap();
        let mut recs = Vec::new();
        f.builder.records(
            f.frame,
            Some(t(&format!("2026-11-26T12:00:0{i}Z"))),
            &d,
            &mut recs,
        );
        // As a self-decoding receiver that names no sender would hand them over.
        for r in &mut recs {
            r.mac = None;
        }
        f.assembler.push(&recs, &mut out);
    }
    assert_eq!(out.len(), 3);
    // 11 km apart each second: one aircraft would have "jumped"; three strangers did not.
    assert!(out.iter().all(|o| o.side.spoof.is_none()), "{out:?}");
}
