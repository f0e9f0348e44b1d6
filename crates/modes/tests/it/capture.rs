//! The real Beast capture against the dump1090 SBS-1 decode of the same capture
//! (`../shared/data/adsb/README.md`).

use crate::data::{beast_capture, read_adsb, RECEIVER};
use picket_modes::framing::beast;
use picket_modes::{decode_records, BeastKind, CprMethod, DecodeRecord, Format, ModeS};
use std::collections::{BTreeMap, HashMap};

/// The SBS transmission type dump1090 writes for one of our Mode S records, if any.
fn sbs_type_of(r: &DecodeRecord) -> Option<u8> {
    if r.kind != Some("mode_s") || r.crc_ok != Some(true) {
        return None;
    }
    match (r.df?, r.typecode) {
        (17, Some(1..=4)) => Some(1),
        (17, Some(5..=8)) => Some(2),
        (17, Some(9..=18 | 20..=22)) => Some(3),
        (17, Some(19)) => Some(4),
        (4 | 20, _) => Some(5),
        (5 | 21, _) => Some(6),
        (0 | 16, _) => Some(7),
        (11, _) => Some(8),
        _ => None,
    }
}

type Sequences = HashMap<(u8, String), Vec<DecodeRecord>>;

fn by_type_and_icao(records: impl Iterator<Item = DecodeRecord>, sbs: bool) -> Sequences {
    let mut out: Sequences = HashMap::new();
    for r in records {
        let t = if sbs { r.sbs_type } else { sbs_type_of(&r) };
        if let (Some(t), Some(icao)) = (t, r.icao.clone()) {
            out.entry((t, icao)).or_default().push(r);
        }
    }
    out
}

fn close(a: Option<f64>, b: Option<f64>, tol: f64) -> bool {
    matches!((a, b), (Some(a), Some(b)) if (a - b).abs() <= tol)
}

/// Do our record and dump1090's line say the same thing?
fn agrees(t: u8, sbs: &DecodeRecord, ours: &DecodeRecord) -> bool {
    match t {
        1 => sbs.callsign.as_deref().map(str::trim) == ours.callsign.as_deref(),
        3 => {
            sbs.altitude_baro_ft == ours.altitude_baro_ft
                && (sbs.lat.is_none()
                    || (close(sbs.lat, ours.lat, 1e-3) && close(sbs.lon, ours.lon, 1e-3)))
        }
        // dump1090 writes whole knots and whole degrees, the latter as (int)(angle + 0.5) on
        // the -180…180 scale: one degree high for westward tracks. Hence 1.5° (mod 360).
        4 => {
            let track_ok = match (sbs.track_deg, ours.track_deg) {
                (Some(a), Some(b)) => ((a - b + 540.0).rem_euclid(360.0) - 180.0).abs() <= 1.5,
                _ => false,
            };
            close(sbs.ground_speed_kt, ours.ground_speed_kt, 1.0)
                && track_ok
                && sbs.vertical_rate_fpm == ours.vertical_rate_fpm
        }
        5 | 7 => sbs.altitude_baro_ft == ours.altitude_baro_ft,
        6 => sbs.squawk == ours.squawk,
        _ => true,
    }
}

struct Comparison {
    /// Per SBS type: (lines, lines matched by an agreeing record of ours).
    per_type: BTreeMap<u8, (usize, usize)>,
    sbs_positions: usize,
    agreeing_positions: usize,
    /// Positions we resolved that the SBS decode has none for: (ours, next SBS position).
    extra_positions: Vec<(DecodeRecord, Option<DecodeRecord>)>,
}

fn compare(receiver: Option<(f64, f64)>) -> Comparison {
    let sbs_bytes = read_adsb("beastblackbox_decoded_sbs.txt");
    let theirs = by_type_and_icao(decode_records(&sbs_bytes, Format::Sbs, None), true);
    let capture = beast_capture();
    let ours = by_type_and_icao(decode_records(&capture, Format::Beast, receiver), false);
    let mut c = Comparison {
        per_type: BTreeMap::new(),
        sbs_positions: 0,
        agreeing_positions: 0,
        extra_positions: Vec::new(),
    };
    for ((t, icao), lines) in &theirs {
        let mine = ours
            .get(&(*t, icao.clone()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let e = c.per_type.entry(*t).or_default();
        for (k, line) in lines.iter().enumerate() {
            e.0 += 1;
            // dump1090 writes one line per accepted frame, in order: the k-th line of an
            // aircraft and type is our k-th record of that aircraft and type.
            let ok = mine.get(k).is_some_and(|r| agrees(*t, line, r));
            e.1 += usize::from(ok);
            if *t == 3 && line.lat.is_some() {
                c.sbs_positions += 1;
                c.agreeing_positions += usize::from(ok && mine[k].lat.is_some());
            }
            if *t == 3 && line.lat.is_none() && mine.get(k).is_some_and(|r| r.lat.is_some()) {
                let next = lines[k..].iter().find(|l| l.lat.is_some()).cloned();
                c.extra_positions.push((mine[k].clone(), next));
            }
        }
    }
    c
}

#[test]
fn every_df17_frame_of_the_capture_passes_parity() {
    let capture = beast_capture();
    let mut kinds: HashMap<BeastKind, usize> = HashMap::new();
    let mut dfs: BTreeMap<u8, usize> = BTreeMap::new();
    let mut df17_ok = 0;
    for f in beast::frames(&capture) {
        let f = f.expect("the capture is clean Beast: no skipped bytes");
        *kinds.entry(f.kind).or_default() += 1;
        if f.kind == BeastKind::ModeAc {
            continue;
        }
        let df = f.data()[0] >> 3;
        *dfs.entry(df).or_default() += 1;
        if df == 17 {
            let m = ModeS::decode(f.data()).expect("DF17 frame passes parity");
            assert_eq!(m.df, 17);
            df17_ok += 1;
        }
    }
    // The counts in the data's README.
    assert_eq!(kinds[&BeastKind::ModeAc], 5_026);
    assert_eq!(kinds[&BeastKind::ModeSShort], 4_942);
    assert_eq!(kinds[&BeastKind::ModeSLong], 3_986);
    let expect: BTreeMap<u8, usize> = [
        (0, 440),
        (4, 328),
        (5, 196),
        (11, 3_978),
        (16, 62),
        (17, 3_436),
        (20, 262),
        (21, 226),
    ]
    .into();
    assert_eq!(dfs, expect);
    assert_eq!(df17_ok, 3_436);
}

#[test]
fn capture_positions_agree_with_the_sbs_decode_of_the_same_capture() {
    let c = compare(None);
    let share = c.agreeing_positions as f64 / c.sbs_positions as f64;
    println!(
        "SBS positions {} agreeing within 1e-3°: {} ({:.2} %)",
        c.sbs_positions,
        c.agreeing_positions,
        100.0 * share
    );
    assert_eq!(
        c.sbs_positions, 1_456,
        "the README's count of MSG,3 lines with lat/lon"
    );
    assert!(share >= 0.99, "{share}");
    // Without a receiver position we resolve exactly what dump1090 resolved.
    assert!(
        c.extra_positions.is_empty(),
        "{} extra",
        c.extra_positions.len()
    );
}

#[test]
fn every_kind_of_sbs_line_is_matched_by_the_same_frame_decoded_here() {
    let c = compare(None);
    for (t, (lines, matched)) in &c.per_type {
        println!("MSG,{t}: {lines} lines, {matched} matched");
        // Every line: the same frames, the same values, the same addresses trusted.
        assert_eq!(
            matched, lines,
            "MSG,{t}: only {matched} of {lines} lines matched"
        );
    }
    // All the README's transmission types are present.
    assert_eq!(
        c.per_type.keys().copied().collect::<Vec<_>>(),
        [1, 3, 4, 5, 6, 7, 8]
    );
}

#[test]
fn receiver_relative_decoding_adds_early_positions_that_the_track_confirms() {
    let c = compare(Some(RECEIVER));
    assert!(c.agreeing_positions as f64 >= 0.99 * c.sbs_positions as f64);
    assert!(
        !c.extra_positions.is_empty(),
        "a receiver position resolves lone first frames"
    );
    for (ours, next) in &c.extra_positions {
        assert!(
            matches!(
                ours.cpr,
                Some(CprMethod::LocalReceiver | CprMethod::LocalAircraft)
            ),
            "{ours:?}"
        );
        // The first position dump1090 gives the same aircraft is a few seconds later and
        // close by: an airliner covers < 10 km in the time it takes to get a pair.
        let next = next
            .as_ref()
            .expect("the track gets a global position later");
        let d_lat_km = (ours.lat.unwrap() - next.lat.unwrap()).abs() * 111.0;
        let d_lon_km =
            (ours.lon.unwrap() - next.lon.unwrap()).abs() * 111.0 * RECEIVER.0.to_radians().cos();
        assert!(d_lat_km.hypot(d_lon_km) < 10.0, "{ours:?} vs {next:?}");
    }
    println!(
        "{} positions before dump1090 had any",
        c.extra_positions.len()
    );
}
