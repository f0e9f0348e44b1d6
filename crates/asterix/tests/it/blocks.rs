//! Hand-built data blocks: every item's length, errors and their recovery, JSON lines.

use crate::{capture, CAT_034_048};
use picket_asterix::capture::udp_datagrams;
use picket_asterix::{decode_asterix_pcap, decode_asterix_records, records, AsterixError, Record};

fn block(category: u8, body: &[u8]) -> Vec<u8> {
    let len = (body.len() + 3) as u16;
    let mut b = vec![category];
    b.extend_from_slice(&len.to_be_bytes());
    b.extend_from_slice(body);
    b
}

/// A CAT-048 record carrying all 28 UAP items.
fn every_item_cat048() -> Vec<u8> {
    let mut r = vec![0xFF, 0xFF, 0xFF, 0xFE]; // FSPEC: FRN 1..=28
    r.extend([25, 201]); // 010
    r.extend([0x00, 0x01, 0x40]); // 140: 320/128 = 2.5 s
    r.extend([0xA1, 0x80]); // 020: TYP 5, FX; ext: TST
    r.extend([0x01, 0x00, 0x40, 0x00]); // 040: 1 NM, 90°
    r.extend([0x0F, 0xC0]); // 070: 7700
    r.extend([0x05, 0x28]); // 090: FL 330
    r.extend([0x80, 0x10]); // 130: SRL only, 16 * 360/8192
    r.extend([0x3C, 0x66, 0x0C]); // 220
    r.extend([0x10, 0x10, 0xA0, 0x82, 0x08, 0x20]); // 240: "DAB" and five spaces, 6 bits each
    r.extend([1, 0xC2, 0x36, 0xD4, 0x18, 0x20, 0x01, 0xC0, 0x40]); // 250: one MB, BDS 4,0
    r.extend([0x0D, 0xEB]); // 161: 3563
    r.extend([0xFF, 0x80, 0x00, 0x80]); // 042: x -1 NM, y +1 NM
    r.extend([0x08, 0x00, 0x80, 0x00]); // 200: 2048/16384 NM/s, 180°
    r.extend([0x41, 0x80]); // 170: RAD 2, FX; ext TRE
    r.extend([0x01, 0x02, 0x03, 0x04]); // 210
    r.extend([0x03, 0x04]); // 030: codes 1, 2
    r.extend([0x00, 0x00]); // 080
    r.extend([0x00, 0x00, 0x00, 0x00]); // 100
    r.extend([0x00, 0x10]); // 110: 16 * 25 ft
    r.extend([0xC0, 0x83, 0xFF, 1, 0, 1, 0, 2, 0, 3]); // 120: CAL (D, -1), RDS x1
    r.extend([0x24, 0x80]); // 230
    r.extend([0u8; 7]); // 260
    r.extend([0]); // 055
    r.extend([0, 0]); // 050
    r.extend([0]); // 065
    r.extend([0, 0]); // 060
    r.extend([3, 0xAA, 0xBB]); // SP: length 3
    r.extend([2, 0xCC]); // RE: length 2
    r
}

#[test]
fn a_record_with_every_cat048_item_decodes_to_the_end_of_its_block() {
    let rec = every_item_cat048();
    let payload = block(48, &rec);
    let out: Vec<_> = records(&payload).collect();
    assert_eq!(out.len(), 1, "{out:?}");
    let d = out[0].as_ref().unwrap();
    assert_eq!(d.offset, 3);
    assert_eq!(d.bytes.len(), rec.len());
    let Record::Cat048(r) = &d.record else {
        panic!("not CAT-048")
    };
    assert_eq!(r.time_of_day_s, Some(2.5));
    let desc = r.descriptor.unwrap();
    assert_eq!((desc.typ, desc.tst), (5, Some(true)));
    let p = r.polar.unwrap();
    assert_eq!((p.rho_nm, p.theta_deg), (1.0, 90.0));
    assert_eq!(r.mode_3a.unwrap().octal(), "7700");
    assert_eq!(r.flight_level.unwrap().fl, 330.0);
    assert_eq!(r.plot.unwrap().srl_deg, Some(16.0 * 360.0 / 8192.0));
    assert_eq!(r.plot.unwrap().srr, None);
    assert_eq!(r.aircraft_address, Some(0x3C660C));
    assert_eq!(r.aircraft_id.as_deref(), Some("DAB"));
    assert_eq!((r.mode_s_mb.len(), r.mode_s_mb[0].bds1), (1, 4));
    assert_eq!(r.track_number, Some(3563));
    let c = r.cartesian.unwrap();
    assert_eq!((c.x_nm, c.y_nm), (-1.0, 1.0));
    let v = r.velocity.unwrap();
    assert!((v.ground_speed_mps - 0.125 * 1852.0).abs() < 1e-9);
    assert_eq!(v.heading_deg, 180.0);
    let s = r.track_status.unwrap();
    assert_eq!((s.rad, s.end_of_track), (2, Some(true)));
    assert_eq!(r.warnings, [1, 2]);
    assert_eq!(r.height_3d_ft, Some(400.0));
    let dop = r.doppler.unwrap();
    assert_eq!(
        (dop.calculated_mps, dop.doubtful, dop.raw_count),
        (Some(-1), Some(true), 1)
    );
    assert_eq!(r.comms.unwrap().com, 1);
    assert_eq!(
        r.skipped,
        ["I048/260", "I048/055", "I048/050", "I048/065", "I048/060", "I048/SP", "I048/RE"]
    );
}

#[test]
fn two_records_in_one_block_and_two_blocks_in_one_datagram_all_decode() {
    let rec = every_item_cat048();
    let mut body = rec.clone();
    body.extend(&rec);
    let mut payload = block(48, &body);
    // CAT-034 north marker: 010, 000, 030.
    payload.extend(block(34, &[0xE0, 25, 13, 1, 0x35, 0x6D, 0xFA]));
    let out: Vec<_> = records(&payload).map(|r| r.unwrap()).collect();
    assert_eq!(out.len(), 3);
    assert_eq!(out[1].offset, 3 + rec.len());
    let Record::Cat034(n) = &out[2].record else {
        panic!("not CAT-034")
    };
    assert!(n.is_north_marker());
    assert_eq!(n.time_of_day_s, Some(f64::from(0x356DFA) / 128.0));
}

#[test]
fn a_truncated_item_ends_its_block_but_the_next_block_still_decodes() {
    let rec = every_item_cat048();
    let mut payload = block(48, &rec[..40]);
    payload.extend(block(34, &[0xE0, 25, 13, 1, 0, 0, 0]));
    let out: Vec<_> = records(&payload).collect();
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(
        matches!(out[0], Err(AsterixError::Truncated { category: 48, .. })),
        "{:?}",
        out[0]
    );
    assert!(matches!(out[1].as_ref().unwrap().record, Record::Cat034(_)));
}

#[test]
fn a_block_length_past_the_datagram_ends_the_walk() {
    let mut payload = block(48, &every_item_cat048());
    payload[2] = payload[2].wrapping_add(10);
    let out: Vec<_> = records(&payload).collect();
    assert!(matches!(
        out[..],
        [Err(AsterixError::BadBlockLength {
            offset: 0,
            category: 48,
            ..
        })]
    ));
    let short: Vec<_> = records(&[48, 0]).collect();
    assert!(matches!(
        short[..],
        [Err(AsterixError::BlockTooShort {
            offset: 0,
            available: 2
        })]
    ));
    let zero: Vec<_> = records(&[48, 0, 0]).collect();
    assert!(matches!(
        zero[..],
        [Err(AsterixError::BadBlockLength { declared: 0, .. })]
    ));
}

#[test]
fn a_compound_item_announcing_an_undefined_subfield_is_malformed() {
    // FSPEC: FRN 7 (I048/130) only; primary subfield with FX set, then an extension octet
    // announcing a subfield the edition does not define.
    let payload = block(48, &[0x02, 0x01, 0x80, 0x00]);
    let out: Vec<_> = records(&payload).collect();
    assert!(
        matches!(
            out[..],
            [Err(AsterixError::Malformed {
                item: "I048/130",
                ..
            })]
        ),
        "{out:?}"
    );
}

#[test]
fn an_fspec_naming_items_beyond_the_uap_is_malformed() {
    // CAT-034 has 14 items: a third FSPEC octet is beyond it.
    let payload = block(34, &[0x01, 0x01, 0x80, 0, 0]);
    let out: Vec<_> = records(&payload).collect();
    assert!(
        matches!(
            out[..],
            [Err(AsterixError::Malformed { item: "FSPEC", .. })]
        ),
        "{out:?}"
    );
}

#[test]
fn json_lines_carry_offsets_categories_and_errors() {
    let rec = every_item_cat048();
    let mut payload = block(48, &rec);
    payload.extend(block(62, &[1, 2, 3]));
    payload.extend(block(48, &rec[..10]));
    let lines = decode_asterix_records(&payload);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["offset"], 3);
    assert_eq!(lines[0]["category"], 48);
    assert_eq!(lines[0]["cat048"]["aircraft_address"], "3C660C");
    assert_eq!(lines[0]["cat048"]["mode_3a"]["code"], "7700");
    assert_eq!(lines[1]["category"], 62);
    assert_eq!(lines[1]["unsupported"], true);
    assert!(
        lines[2]["error"].as_str().unwrap().contains("CAT 048"),
        "{}",
        lines[2]
    );
}

#[test]
fn the_sample_capture_has_100_udp_datagrams_from_one_radar_multicast() {
    let file = capture(CAT_034_048);
    let d: Vec<_> = udp_datagrams(&file).unwrap().map(Result::unwrap).collect();
    assert_eq!(d.len(), 100);
    assert_eq!(d[0].src, "10.17.58.184:21124".parse().unwrap());
    assert_eq!(d[0].dst, "232.2.1.31:22131".parse().unwrap());
    // Ethernet padding is not part of the payload: an 11-byte CAT-034 datagram stays 11.
    assert!(d
        .iter()
        .any(|x| x.payload.len() == 11 && x.payload[0] == 34));
    assert!(d.windows(2).all(|w| w[0].time <= w[1].time));
}

#[test]
fn the_pcap_json_lines_have_one_line_per_record_and_no_errors() {
    let lines = decode_asterix_pcap(&capture(CAT_034_048)).unwrap();
    assert_eq!(lines.len(), 128 + 34);
    assert!(lines.iter().all(|l| l.get("error").is_none()));
    assert!(lines
        .iter()
        .all(|l| l["time"].as_str().is_some_and(|t| t.ends_with('Z'))));
    assert_eq!(lines.iter().filter(|l| l["category"] == 34).count(), 34);
    let radar = lines
        .iter()
        .find_map(|l| l["cat034"].get("position"))
        .unwrap();
    assert!((radar["lat_deg"].as_f64().unwrap() - 43.571).abs() < 0.001);
}
