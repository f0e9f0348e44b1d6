//! pyModeS' golden file: 600 real messages (DF17, DF20, DF21) with the values pyModeS 2.21.1
//! decodes. Every listed value must come out of `picket decode` (AVR path), within the
//! rounding pyModeS 2 applies (integer knots; 3 decimals on angles).

use crate::data::read_adsb;
use picket_modes::{decode_records, Format};
use serde_json::{Map, Value};

/// Our record key for a golden key, and the tolerance of numeric comparisons.
fn ours_for(key: &str) -> Option<(&'static str, f64)> {
    Some(match key {
        "df" => ("df", 0.0),
        "typecode" => ("typecode", 0.0),
        "altitude" => ("altitude_baro_ft", 0.0),
        "squawk" => ("squawk", 0.0),
        "callsign" => ("callsign", 0.0),
        // pyModeS 2 truncates ground speed to whole knots.
        "groundspeed" => ("ground_speed_kt", 1.0),
        "track" | "true_track" => ("track_deg", 1e-3),
        "vertical_rate" | "baro_vertical_rate" => ("vertical_rate_fpm", 0.0),
        "inertial_vertical_rate" => ("inertial_vertical_rate_fpm", 0.0),
        "indicated_airspeed" => ("indicated_airspeed_kt", 0.0),
        "true_airspeed" => ("true_airspeed_kt", 0.0),
        "mach" => ("mach", 1e-9),
        "magnetic_heading" => ("heading_deg", 1e-3),
        "roll" => ("roll_deg", 1e-3),
        // pyModeS 2 rounds the track rate to 3 decimals.
        "track_rate" => ("track_rate_deg_s", 1e-3),
        "selected_altitude_mcp" => ("selected_altitude_ft", 0.0),
        "selected_altitude_fms" => ("selected_altitude_fms_ft", 0.0),
        "baro_pressure_setting" => ("baro_setting_hpa", 1e-6),
        _ => return None,
    })
}

#[test]
fn the_600_golden_messages_decode_to_the_listed_values() {
    let golden: Map<String, Value> =
        serde_json::from_slice(&read_adsb("pymodes_golden_v2.json")).expect("golden json");
    assert_eq!(golden.len(), 600);
    let mut checked = 0;
    let mut failures = Vec::new();
    for (hex, expect) in &golden {
        let line = format!("*{hex};");
        let rec = decode_records(line.as_bytes(), Format::Avr, None)
            .next()
            .expect("a record");
        let ours = serde_json::to_value(&rec).unwrap();
        let mut bad = |what: String| failures.push(format!("{hex}: {what}"));
        for (k, want) in expect.as_object().expect("object") {
            checked += 1;
            match k.as_str() {
                "icao" => {
                    let got = ours["icao"].as_str().unwrap_or_default();
                    if !got.eq_ignore_ascii_case(want.as_str().unwrap()) {
                        bad(format!("icao {got} ≠ {want}"));
                    }
                }
                "cpr_format" => {
                    if ours["cpr_odd"].as_bool().map(u64::from) != want.as_u64() {
                        bad(format!("cpr_format {} ≠ {want}", ours["cpr_odd"]));
                    }
                }
                "category" => {
                    let n = ours["category"]
                        .as_str()
                        .and_then(|c| c[1..].parse::<u64>().ok());
                    if n != want.as_u64() {
                        bad(format!("category {} ≠ {want}", ours["category"]));
                    }
                }
                "bds" => {
                    // "BDS40,BDS45" against ["4,0", "4,5"].
                    let want: Vec<String> = want
                        .as_str()
                        .unwrap()
                        .split(',')
                        .map(|b| format!("{},{}", &b[3..4], &b[4..5]))
                        .collect();
                    let got: Vec<String> = ours["bds"]
                        .as_array()
                        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                        .unwrap_or_default();
                    if got != want {
                        bad(format!("bds {got:?} ≠ {want:?}"));
                    }
                }
                key => {
                    let Some((field, tol)) = ours_for(key) else {
                        bad(format!("golden key {key} has no counterpart"));
                        continue;
                    };
                    let got = &ours[field];
                    let same = match (want, got) {
                        (Value::Number(w), Value::Number(g)) => {
                            (w.as_f64().unwrap() - g.as_f64().unwrap()).abs() <= tol
                                && (tol != 1.0 || g.as_f64().unwrap() >= w.as_f64().unwrap())
                        }
                        // pyModeS 2 pads callsigns with '_'.
                        (Value::String(w), Value::String(g)) => w.trim_end_matches('_') == g,
                        _ => false,
                    };
                    if !same {
                        bad(format!("{key} {want} ≠ {field} {got}"));
                    }
                }
            }
        }
        // Comm-B replies pyModeS 2 leaves without a register must have none here either.
        if matches!(expect["df"].as_u64(), Some(20 | 21)) && expect.get("bds").is_none() {
            let n = ours["bds"].as_array().map_or(0, Vec::len);
            if n != 0 {
                failures.push(format!(
                    "{hex}: bds {} where pyModeS 2 infers none",
                    ours["bds"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 3_000, "{checked} values compared");
}
