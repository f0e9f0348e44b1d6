//! The `picket decode` records and the observations of the real capture.

use crate::data::{beast_capture, read_adsb, RECEIVER};
use picket_core::{Identity, Measurement, SensorId, Timestamp};
use picket_modes::altitude::Squawk;
use picket_modes::encode::{df17, set_address_parity};
use picket_modes::framing::beast;
use picket_modes::{
    decode_records, format_from_bytes, to_observation, BeastKind, Decoder, Emergency, Format,
    TrackerConfig,
};
use serde_json::Value;

/// Every key `docs/decode-modes.md` documents.
const DOCUMENTED: &[&str] = &[
    "frame",
    "format",
    "kind",
    "mlat_ticks",
    "time",
    "signal",
    "hex",
    "df",
    "icao",
    "crc_ok",
    "typecode",
    "sbs_type",
    "bds",
    "category",
    "callsign",
    "altitude_baro_ft",
    "altitude_gnss_ft",
    "geo_minus_baro_ft",
    "lat",
    "lon",
    "cpr",
    "cpr_odd",
    "on_ground",
    "ground_speed_kt",
    "track_deg",
    "heading_deg",
    "indicated_airspeed_kt",
    "true_airspeed_kt",
    "mach",
    "vertical_rate_fpm",
    "vertical_rate_source",
    "inertial_vertical_rate_fpm",
    "roll_deg",
    "track_rate_deg_s",
    "selected_altitude_ft",
    "selected_altitude_fms_ft",
    "baro_setting_hpa",
    "nac_p",
    "adsb_version",
    "squawk",
    "mode_ac",
    "emergency",
    "error",
];

#[test]
fn capture_records_use_only_documented_keys_and_six_digit_upper_case_addresses() {
    let capture = beast_capture();
    let mut positions = 0;
    let mut n = 0;
    for r in decode_records(&capture, Format::Beast, Some(RECEIVER)) {
        n += 1;
        assert_eq!(r.frame, n);
        let v = serde_json::to_value(&r).unwrap();
        for k in v.as_object().unwrap().keys() {
            assert!(DOCUMENTED.contains(&k.as_str()), "undocumented key {k}");
        }
        if let Some(icao) = &r.icao {
            assert!(
                icao.len() == 6
                    && icao
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
                "{icao}"
            );
        }
        if r.lat.is_some() {
            positions += 1;
            assert!(r.lon.is_some() && r.cpr.is_some());
            assert_eq!(
                v["cpr"]
                    .as_str()
                    .map(|s| s.starts_with("global") || s.starts_with("local")),
                Some(true)
            );
        }
        assert!(r.error.is_none(), "the capture is clean: {r:?}");
        assert_eq!(r.format, Some(Format::Beast));
        assert!(r.mlat_ticks.is_some() && r.signal.is_some());
    }
    assert_eq!(
        n, 13_954,
        "one record per frame ('Total processed 13954 messages')"
    );
    assert!(positions >= 1_456);
}

#[test]
fn format_sniffing_recognises_the_shared_files() {
    assert_eq!(format_from_bytes(&beast_capture()), Some(Format::Beast));
    assert_eq!(
        format_from_bytes(&read_adsb("beastblackbox_decoded_sbs.txt")),
        Some(Format::Sbs)
    );
    assert_eq!(
        format_from_bytes(&read_adsb("pymodes_golden_v2.json")),
        None
    );
    assert_eq!(
        format_from_bytes(&read_adsb("pymodes_sample_data_adsb.csv")),
        None
    );
    let avr: String = beast::frames(&beast_capture())
        .filter_map(Result::ok)
        .take(50)
        .map(|f| {
            format!(
                "*{};\n",
                f.data()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )
        })
        .collect();
    assert_eq!(format_from_bytes(avr.as_bytes()), Some(Format::Avr));
}

#[test]
fn capture_positions_become_icao_observations() {
    let capture = beast_capture();
    let mut d = Decoder::new(TrackerConfig::default());
    let sensor = SensorId::from("adsb-1");
    let mut n = 0;
    let mut with_callsign = 0;
    let mut with_velocity = 0;
    for f in beast::frames(&capture).filter_map(Result::ok) {
        if !matches!(f.kind, BeastKind::ModeSShort | BeastKind::ModeSLong) {
            continue;
        }
        let t = f.mlat_ticks as f64 / 12e6;
        let Some(fix) = d.decode(f.data(), Some(t)).fix else {
            continue;
        };
        let o = to_observation(&sensor, Timestamp::from_secs_f64(t), &fix)
            .expect("airborne fix with altitude");
        n += 1;
        assert_eq!(o.identity, Some(Identity::Icao(fix.address)));
        let Measurement::Position {
            position,
            cov_enu_m2,
        } = &o.measurement
        else {
            panic!()
        };
        assert!(position.is_valid());
        // Near the receiver, at an airliner's height.
        assert!(
            (position.lat_deg - RECEIVER.0).abs() < 3.0
                && (position.lon_deg - RECEIVER.1).abs() < 6.0
        );
        assert!(cov_enu_m2[0][0] > 0.0);
        with_callsign += usize::from(o.side.callsign.is_some());
        with_velocity += usize::from(o.side.reported_velocity_enu_mps.is_some());
    }
    assert_eq!(n, 1_456);
    assert!(
        with_callsign > 1_000 && with_velocity > 1_000,
        "{with_callsign} {with_velocity}"
    );
}

#[test]
fn emergency_squawks_and_status_messages_are_flagged() {
    // DF5 surveillance identity with 7500, from an aircraft first heard in a DF17.
    let known = df17(
        0x3C6586,
        5,
        picket_modes::adsb::encode_identification_me(3, "DLH1"),
    );
    let mut df5 = [0x28u8, 0, 0, 0, 0, 0, 0];
    let id13 = Squawk::from_nibbles(0x7500).to_id13();
    df5[2] = (id13 >> 8) as u8;
    df5[3] = id13 as u8;
    set_address_parity(&mut df5, 0x3C6586);
    // ADS-B aircraft status, TC 28 subtype 1: emergency state 4 (no communications), 7600.
    let me28 = (28u64 << 51)
        | (1 << 48)
        | (4 << 45)
        | (u64::from(Squawk::from_nibbles(0x7600).to_id13()) << 32);
    let avr = format!(
        "*{};\n*{};\n*{};\n",
        crate::data::hex(&known),
        crate::data::hex(&df5),
        crate::data::hex(&df17(0x3C6586, 5, me28))
    );
    let recs: Vec<_> = decode_records(avr.as_bytes(), Format::Avr, None).collect();
    assert_eq!(
        recs[1].squawk.map(|s| s.to_string()).as_deref(),
        Some("7500")
    );
    assert_eq!(recs[1].emergency, Some(Emergency::UnlawfulInterference));
    assert_eq!(
        recs[1].crc_ok,
        Some(true),
        "address recovered and known from the DF17"
    );
    assert_eq!(recs[2].typecode, Some(28));
    assert_eq!(recs[2].emergency, Some(Emergency::NoCommunications));
    assert_eq!(
        serde_json::to_value(&recs[2]).unwrap()["emergency"],
        Value::from("no_communications")
    );
}

#[test]
fn an_address_parity_reply_from_an_unknown_aircraft_is_not_verified() {
    let mut df4 = [0x20u8, 0, 0x0B, 0x38, 0, 0, 0];
    set_address_parity(&mut df4, 0xABCDEF);
    let line = format!("*{};", crate::data::hex(&df4));
    let r = decode_records(line.as_bytes(), Format::Avr, None)
        .next()
        .unwrap();
    assert_eq!((r.icao.as_deref(), r.crc_ok), (Some("ABCDEF"), Some(false)));
    assert!(r.error.is_none() && r.altitude_baro_ft.is_some());
}
