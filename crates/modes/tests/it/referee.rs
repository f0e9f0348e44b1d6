//! An independent check against pyModeS 3.6.1, run as a subprocess on the same messages:
//! the Mode S frames of the real Beast capture and pyModeS' own 2 000-message sample.

use crate::data::{capture_mode_s, hex, pymodes_sample, referee_python, script, RECEIVER};
use picket_modes::cpr;
use picket_modes::{Adsb, Body, Decoder, ModeS, TrackerConfig};
use serde_json::Value;
use std::process::Command;

/// Run the referee on (frame, time) pairs; one JSON object per message, in order.
fn referee(
    messages: &[(Vec<u8>, Option<f64>)],
    name: &str,
    reference: Option<(f64, f64)>,
) -> Vec<Value> {
    let path = std::env::temp_dir().join(format!("picket-modes-{}-{name}.csv", std::process::id()));
    let body: String = messages
        .iter()
        .map(|(f, t)| {
            format!(
                "{},{}\n",
                hex(f),
                t.map(|t| format!("{t:.6}")).unwrap_or_default()
            )
        })
        .collect();
    std::fs::write(&path, body).expect("write the referee's input");
    let mut cmd = Command::new(referee_python());
    cmd.arg(script("pymodes_referee.py")).arg(&path);
    if let Some((lat, lon)) = reference {
        cmd.arg(format!("{lat},{lon}"));
    }
    let out = cmd.output().expect("run the pyModeS referee");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "referee failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("referee json"))
        .collect();
    assert_eq!(rows.len(), messages.len(), "one referee row per message");
    rows
}

#[derive(Default, Debug)]
struct Tally {
    compared: usize,
    mismatches: Vec<String>,
    positions_both: usize,
    positions_ours_only: usize,
    positions_theirs_only: usize,
    local_compared: usize,
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

/// Compare one message's stateless fields; `ref_pos` enables the local CPR comparison.
fn compare_stateless(t: &mut Tally, frame: &[u8], theirs: &Value, reference: Option<(f64, f64)>) {
    let i = theirs["i"].as_u64().unwrap_or(0);
    let mut bad = |what: String| t.mismatches.push(format!("#{i} {}: {what}", hex(frame)));
    let m = match ModeS::decode(frame) {
        Ok(m) => m,
        Err(e) => {
            // pyModeS decodes anything; it must at least agree the parity is bad.
            if theirs.get("crc_valid") == Some(&Value::Bool(true)) {
                bad(format!("we reject ({e}) what pyModeS calls CRC-valid"));
            }
            return;
        }
    };
    t.compared += 1;
    if theirs["df"].as_u64() != Some(u64::from(m.df)) {
        bad(format!("df {} ≠ {}", m.df, theirs["df"]));
    }
    if !theirs["icao"]
        .as_str()
        .unwrap_or_default()
        .eq_ignore_ascii_case(&format!("{:06X}", m.address))
    {
        bad(format!("icao {:06X} ≠ {}", m.address, theirs["icao"]));
    }
    let alt = m.altitude_baro_ft().map(f64::from);
    match &m.body {
        Body::ShortAcas { .. }
        | Body::Altitude { .. }
        | Body::LongAcas { .. }
        | Body::CommBAltitude { .. }
            if alt != num(theirs, "altitude") =>
        {
            bad(format!("altitude {alt:?} ≠ {}", theirs["altitude"]));
        }
        Body::Identity { squawk, .. } | Body::CommBIdentity { squawk, .. }
            if theirs["squawk"].as_str() != Some(squawk.to_string().as_str()) =>
        {
            bad(format!("squawk {squawk} ≠ {}", theirs["squawk"]));
        }
        _ => {}
    }
    let Some(a) = m.adsb() else { return };
    if theirs["typecode"].as_u64() != Some(u64::from(a.typecode())) {
        bad(format!(
            "typecode {} ≠ {}",
            a.typecode(),
            theirs["typecode"]
        ));
    }
    match a {
        Adsb::Identification { category, callsign } => {
            if theirs["callsign"].as_str().map(str::trim) != Some(callsign.as_str().trim()) {
                bad(format!("callsign {callsign} ≠ {}", theirs["callsign"]));
            }
            if theirs["category"].as_u64() != Some(u64::from(category.number)) {
                bad(format!("category {category} ≠ {}", theirs["category"]));
            }
        }
        Adsb::AirbornePosition(p) => {
            if p.altitude_baro_ft.map(f64::from) != num(theirs, "altitude")
                && p.altitude_gnss_ft.is_none()
            {
                bad(format!(
                    "altitude {:?} ≠ {}",
                    p.altitude_baro_ft, theirs["altitude"]
                ));
            }
            if theirs["cpr_lat"].as_u64() != Some(u64::from(p.cpr.lat))
                || theirs["cpr_lon"].as_u64() != Some(u64::from(p.cpr.lon))
            {
                bad("cpr fields differ".into());
            }
            if let Some((rlat, rlon)) = reference {
                let (lat, lon) = cpr::local_airborne(&p.cpr, rlat, rlon);
                t.local_compared += 1;
                let (Some(tl), Some(tn)) = (num(theirs, "latitude"), num(theirs, "longitude"))
                else {
                    bad("pyModeS gives no local position".into());
                    return;
                };
                if (lat - tl).abs() > 1e-9 || (lon - tn).abs() > 1e-9 {
                    bad(format!("local position {lat},{lon} ≠ {tl},{tn}"));
                }
            }
        }
        Adsb::Velocity(v) => {
            // pyModeS truncates ground speed to whole knots.
            if v.ground_speed_kt.map(f64::trunc) != num(theirs, "groundspeed") {
                bad(format!(
                    "ground speed {:?} ≠ {}",
                    v.ground_speed_kt, theirs["groundspeed"]
                ));
            }
            let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            };
            if !same(v.track_deg, num(theirs, "track"))
                || !same(v.heading_deg, num(theirs, "heading"))
            {
                bad(format!(
                    "track/heading {:?}/{:?} ≠ {}/{}",
                    v.track_deg, v.heading_deg, theirs["track"], theirs["heading"]
                ));
            }
            if !same(v.airspeed_kt, num(theirs, "airspeed")) {
                bad(format!(
                    "airspeed {:?} ≠ {}",
                    v.airspeed_kt, theirs["airspeed"]
                ));
            }
            if v.vertical_rate_fpm.map(f64::from) != num(theirs, "vertical_rate")
                || v.geo_minus_baro_ft.map(f64::from) != num(theirs, "geo_minus_baro")
            {
                bad(format!(
                    "vertical rate / geo-baro {:?}/{:?} ≠ {}/{}",
                    v.vertical_rate_fpm,
                    v.geo_minus_baro_ft,
                    theirs["vertical_rate"],
                    theirs["geo_minus_baro"]
                ));
            }
        }
        _ => {}
    }
}

/// Stream the messages through our decoder and pyModeS' batch decoder; compare positions.
fn compare_streaming(t: &mut Tally, messages: &[(Vec<u8>, Option<f64>)], rows: &[Value]) {
    let mut d = Decoder::new(TrackerConfig::default());
    for ((frame, time), theirs) in messages.iter().zip(rows) {
        let ours = d.decode(frame, *time).fix;
        match (ours, num(theirs, "stream_lat"), num(theirs, "stream_lon")) {
            (Some(f), Some(lat), Some(lon)) => {
                t.positions_both += 1;
                if (f.lat_deg - lat).abs() > 1e-3 || (f.lon_deg - lon).abs() > 1e-3 {
                    t.mismatches.push(format!(
                        "{}: position {},{} ≠ {lat},{lon}",
                        hex(frame),
                        f.lat_deg,
                        f.lon_deg
                    ));
                }
            }
            (Some(_), None, _) => t.positions_ours_only += 1,
            (None, Some(_), _) => t.positions_theirs_only += 1,
            _ => {}
        }
    }
}

#[test]
fn the_capture_decodes_as_pymodes_decodes_it() {
    let msgs: Vec<(Vec<u8>, Option<f64>)> = capture_mode_s()
        .into_iter()
        .map(|(f, ticks)| (f, Some(ticks as f64 / 12e6)))
        .collect();
    let rows = referee(&msgs, "capture", Some(RECEIVER));
    let mut t = Tally::default();
    for ((frame, _), row) in msgs.iter().zip(&rows) {
        compare_stateless(&mut t, frame, row, Some(RECEIVER));
    }
    compare_streaming(&mut t, &msgs, &rows);
    println!("{t:?}");
    assert!(
        t.mismatches.is_empty(),
        "{} mismatches:\n{}",
        t.mismatches.len(),
        t.mismatches.join("\n")
    );
    assert_eq!(
        t.compared, 8_928,
        "every Mode S frame of the capture compared"
    );
    assert!(t.local_compared > 1_400, "{}", t.local_compared);
    // pyModeS resolves fewer positions (no local decoding against the aircraft before its
    // three-fix bootstrap); every one it resolves, we resolve too, at the same place.
    assert_eq!(t.positions_theirs_only, 0);
    assert!(t.positions_both > 1_300, "{}", t.positions_both);
}

#[test]
fn pymodes_own_sample_decodes_as_pymodes_decodes_it() {
    let msgs: Vec<(Vec<u8>, Option<f64>)> = pymodes_sample()
        .into_iter()
        .map(|(f, t)| (f, Some(t)))
        .collect();
    assert_eq!(msgs.len(), 2_000);
    let rows = referee(&msgs, "sample", None);
    let mut t = Tally::default();
    for ((frame, _), row) in msgs.iter().zip(&rows) {
        compare_stateless(&mut t, frame, row, None);
    }
    compare_streaming(&mut t, &msgs, &rows);
    println!("{t:?}");
    assert!(
        t.mismatches.is_empty(),
        "{} mismatches:\n{}",
        t.mismatches.len(),
        t.mismatches.join("\n")
    );
    assert_eq!(t.compared, 2_000);
    assert_eq!(t.positions_theirs_only, 0);
    assert!(t.positions_both > 0);
}
