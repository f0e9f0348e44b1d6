//! Manned-aircraft awareness end to end (`picket replay`): a radar track moving with the
//! agency's ADS-B helicopter raises no alert, and without the helicopter's ADS-B the same
//! radar track does; a small, slow, low ADS-B target (UAV category) is flagged and alerted at
//! most as caution.

use picket_core::{AlertEvent, AlertState, Enu, GeoPoint, LocalFrame, ThreatLevel};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

const ORIGIN: GeoPoint = GeoPoint::new(31.345, -109.948, 1400.0);

fn time(s: u32) -> String {
    format!("2026-11-26T12:{:02}:{:02}Z", s / 60, s % 60)
}

fn point(e: f64, n: f64, u: f64) -> String {
    let p = LocalFrame::new(ORIGIN).to_geo(&Enu::new(e, n, u));
    format!(
        r#"{{"lat_deg":{:.7},"lon_deg":{:.7},"alt_hae_m":{:.1}}}"#,
        p.lat_deg, p.lon_deg, p.alt_hae_m
    )
}

/// Feeds over 70 s: the helicopter (ADS-B, A1B2C3) flies south over the post at 30 m/s, 150 m
/// up; a radar sees it 120 m east and 40 m lower (a separate track), calling it a drone; a
/// UAV-category ADS-B target flies south toward the post at 15 m/s, 80 m up, 600 m west.
fn write_feeds(dir: &Path) {
    let (mut heli, mut radar, mut uav) = (String::new(), String::new(), String::new());
    for s in 0..70u32 {
        let t = time(s);
        let north = 2_000.0 - 30.0 * f64::from(s);
        writeln!(
            heli,
            r#"{{"time":"{t}","position":{},"sigma_h_m":10,"sigma_v_m":15,"icao":"A1B2C3","callsign":"CBP21","class":"manned_aircraft","class_confidence":0.8,"velocity_enu_mps":[0,-30,0]}}"#,
            point(0.0, north, 150.0)
        )
        .unwrap();
        writeln!(
            radar,
            r#"{{"time":"{t}","position":{},"sigma_h_m":15,"sigma_v_m":20,"class":"drone","class_confidence":0.6}}"#,
            point(120.0, north, 110.0)
        )
        .unwrap();
        writeln!(
            uav,
            r#"{{"time":"{t}","position":{},"sigma_h_m":10,"sigma_v_m":15,"icao":"3C0001","class":"drone","class_confidence":0.8,"velocity_enu_mps":[0,-15,0]}}"#,
            point(-600.0, 1_500.0 - 15.0 * f64::from(s), 80.0)
        )
        .unwrap();
    }
    std::fs::write(dir.join("adsb-heli.jsonl"), heli).unwrap();
    std::fs::write(dir.join("radar.jsonl"), radar).unwrap();
    std::fs::write(dir.join("adsb-uav.jsonl"), uav).unwrap();
}

fn config(with_helicopter: bool) -> String {
    let mut c = String::from(
        r#"[site]
name = "Awareness"
origin = { lat_deg = 31.345, lon_deg = -109.948, alt_hae_m = 1400.0 }

[aircraft]
own_agency = ["A1B2C3"]

[[sensor]]
id = "radar-1"
kind = "radar"
format = "jsonl"
source = "file:radar.jsonl"
position = { lat_deg = 31.345, lon_deg = -109.948, alt_hae_m = 1400.0 }

[[sensor]]
id = "adsb-2"
kind = "adsb"
format = "jsonl"
source = "file:adsb-uav.jsonl"

[[unit]]
id = "post-alpha"
name = "Post Alpha"
kind = "fixed"
center = { lat_deg = 31.345, lon_deg = -109.948, alt_hae_m = 1400.0 }
radius_m = 300.0
"#,
    );
    if with_helicopter {
        c.push_str(
            "\n[[sensor]]\nid = \"adsb-1\"\nkind = \"adsb\"\nformat = \"jsonl\"\nsource = \"file:adsb-heli.jsonl\"\n",
        );
    }
    c
}

fn replay(dir: &Path, with_helicopter: bool) -> Vec<AlertEvent> {
    let name = if with_helicopter { "with" } else { "without" };
    let cfg = dir.join(format!("site-{name}.toml"));
    std::fs::write(&cfg, config(with_helicopter)).unwrap();
    let alerts = dir.join(format!("alerts-{name}.jsonl"));
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["replay", "--speed", "max", "--config"])
        .arg(&cfg)
        .arg("--alerts-out")
        .arg(&alerts)
        .arg("--tracks-out")
        .arg(dir.join(format!("tracks-{name}.jsonl")))
        .env("PICKET_LOG", "warn")
        .output()
        .expect("run picket");
    assert!(
        out.status.success(),
        "replay failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&alerts)
        .expect("alerts file")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Alerts raised about the radar track (east of the helicopter's line) and the UAV (west).
fn raised(alerts: &[AlertEvent], west: bool) -> Vec<&AlertEvent> {
    let frame = LocalFrame::new(ORIGIN);
    alerts
        .iter()
        .filter(|a| a.state == AlertState::Raised)
        .filter(|a| (frame.to_enu(&a.position).east_m < -300.0) == west)
        .collect()
}

#[test]
fn a_radar_track_moving_with_the_agency_helicopter_is_suppressed_and_a_small_slow_low_adsb_target_is_flagged(
) {
    let dir = std::env::temp_dir().join(format!("picket-it-awareness-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    write_feeds(&dir);

    // Control: without the helicopter's ADS-B, the radar track is a drone heading for the post.
    let without = replay(&dir, false);
    assert!(
        !raised(&without, false).is_empty(),
        "the radar track alone raises: {without:?}"
    );

    let with = replay(&dir, true);
    let radar = raised(&with, false);
    assert!(radar.is_empty(), "suppressed: {radar:?}");
    // Suppressed, not merged: fusion kept the radar track apart from the helicopter's.
    let tracks = std::fs::read_to_string(dir.join("tracks-with.jsonl")).expect("tracks file");
    let dark_drone_updates = tracks
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|t| t["identity"].is_null() && t["class"] == "drone")
        .count();
    assert!(
        dark_drone_updates > 30,
        "{dark_drone_updates} dark drone track records"
    );
    // The track record says why it is quiet.
    let stated = tracks
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|t| t["identity"].is_null() && t["class"] == "drone")
        .filter(|t| {
            t["reasons"].as_array().is_some_and(|r| {
                r.iter().any(|x| {
                    x.as_str()
                        .is_some_and(|x| x.starts_with("moves with ADS-B aircraft"))
                })
            })
        })
        .count();
    assert!(
        stated > 0,
        "no dark drone track record states the suppression"
    );

    let uav = raised(&with, true);
    assert_eq!(uav.len(), 1, "{with:?}");
    assert!(
        uav[0]
            .reasons
            .iter()
            .any(|r| r.starts_with("ADS-B target flies like a drone")),
        "{:?}",
        uav[0].reasons
    );
    let frame = LocalFrame::new(ORIGIN);
    assert!(
        with.iter()
            .filter(|a| frame.to_enu(&a.position).east_m < -300.0)
            .all(|a| a.level <= ThreatLevel::Caution),
        "a flagged ADS-B target is at most caution: {with:?}"
    );
    // Keep the files for a look when debugging: PICKET_KEEP=1.
    if std::env::var_os("PICKET_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
