//! `picket demo --speed max --no-serve --alerts-out FILE` against the scenario's ground truth.

use picket_core::{AlertEvent, AlertState, Timestamp, UnitId};
use picket_sim::{Scenario, TruthKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

const START: &str = "2026-11-26T12:00:00Z";

fn run_demo(seed: u64, dir: &std::path::Path) -> Vec<AlertEvent> {
    let alerts = dir.join("alerts.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["demo", "--speed", "max", "--no-serve", "--start", START])
        .args(["--seed", &seed.to_string()])
        .arg("--alerts-out")
        .arg(&alerts)
        .arg("--tracks-out")
        .arg(dir.join("tracks.jsonl"))
        .arg("--store")
        .arg(dir.join("demo.sqlite"))
        .env("PICKET_LOG", "warn")
        .output()
        .expect("run picket");
    assert!(
        out.status.success(),
        "demo failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&alerts)
        .expect("alerts file")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("picket-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The truth object an alert is about: the nearest one to the alert's position at its time.
fn culprit<'a>(s: &'a Scenario, a: &AlertEvent) -> Option<(&'a str, TruthKind, f64)> {
    let p = s.frame.to_enu(&a.position);
    s.truth
        .iter()
        .filter_map(|t| {
            let x = t.at(a.time)?;
            Some((
                t.name.as_str(),
                t.kind,
                x.position_enu.horizontal_distance_m(&p),
            ))
        })
        .min_by(|x, y| x.2.total_cmp(&y.2))
        .filter(|x| x.2 < 150.0)
}

fn check_seed(seed: u64) {
    let dir = tempdir(&format!("demo-{seed}"));
    let alerts = run_demo(seed, &dir);
    let s = picket_sim::naco(Timestamp::parse_rfc3339(START).unwrap(), seed);
    let raised: Vec<&AlertEvent> = alerts
        .iter()
        .filter(|a| a.state == AlertState::Raised)
        .collect();
    let mut report = String::new();
    for a in &alerts {
        report.push_str(&format!(
            "{} {:>12} {:?} {} T{} {:?} {:?}\n",
            a.time.seconds_since(s.start),
            a.state.as_str(),
            a.level,
            a.unit_id,
            a.track_id.0,
            culprit(&s, a).map(|c| c.0),
            a.reasons.first()
        ));
    }

    // One alert per (track, unit): never raised twice.
    let mut seen = BTreeSet::new();
    for a in &raised {
        assert!(
            seen.insert((a.track_id, a.unit_id.clone())),
            "raised twice: {a:?}\n{report}"
        );
    }

    // The diving dark drone: alerted for Post Alpha at least 30 s before its closest approach.
    let alpha = UnitId("post-alpha".into());
    let striker = s.truth.iter().find(|t| t.name == "dark-striker").unwrap();
    let alpha_pos = s.unit_position_enu(&alpha, s.start).unwrap();
    let (cpa_time, cpa_m) = striker.closest_approach_to(&alpha_pos).unwrap();
    assert!(cpa_m < 30.0);
    let first = raised
        .iter()
        .filter(|a| a.unit_id == alpha && culprit(&s, a).is_some_and(|c| c.0 == "dark-striker"))
        .map(|a| a.time)
        .min()
        .unwrap_or_else(|| panic!("the striker was never alerted for Post Alpha\n{report}"));
    let warning_s = cpa_time.seconds_since(first);
    assert!(
        warning_s >= 30.0,
        "only {warning_s:.1} s of warning\n{report}"
    );
    eprintln!("seed {seed}: striker warning {warning_s:.1} s before closest approach");

    // The Remote ID drone chasing the patrol: alerted for the patrol.
    let patrol = UnitId("patrol-7".into());
    assert!(
        raised
            .iter()
            .any(|a| a.unit_id == patrol && culprit(&s, a).is_some_and(|c| c.0 == "rid-chaser")),
        "the chaser was never alerted for Patrol 7\n{report}"
    );

    // The spoofer, really flying to Post Bravo while its Remote ID says it is far away: the
    // radar's track of it is alerted for the post.
    let bravo = UnitId("post-bravo".into());
    assert!(
        raised
            .iter()
            .any(|a| a.unit_id == bravo && culprit(&s, a).is_some_and(|c| c.0 == "rid-spoofer")),
        "the spoofer was never alerted for Post Bravo\n{report}"
    );

    // The hobby drone, the birds and the helicopter: no alert event at all.
    let mut by_culprit: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &alerts {
        if let Some((name, kind, _)) = culprit(&s, a) {
            *by_culprit.entry(name).or_default() += 1;
            assert!(
                name != "hobby" && kind != TruthKind::Bird && kind != TruthKind::MannedAircraft,
                "{name} raised an alert: {a:?}\n{report}"
            );
        }
    }
    // The helicopter came in as real Beast frames: its track carries the ICAO address and the
    // callsign decoded from Mode S, and is classed as a manned aircraft.
    let tracks = std::fs::read_to_string(dir.join("tracks.jsonl")).unwrap();
    let heli = tracks
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|t| t["identity"]["icao"] == 0xA8F2C1)
        .expect("a track identified by the helicopter's ICAO address");
    assert_eq!(heli["callsign"], "CBP21", "{heli}");
    assert_eq!(heli["class"], "manned_aircraft", "{heli}");
    assert!(heli["sensors"].to_string().contains("adsb-1"), "{heli}");

    // The chaser came in as Remote ID Wi-Fi beacons: its track carries the serial and the pilot's
    // position from the System message, which stands on the Mexican side.
    let chaser = tracks
        .lines()
        .rev()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|t| t["identity"]["remote_id"] == "1581F5BKD2353005Q2")
        .expect("a track identified by the chaser's Remote ID serial");
    let pilot: picket_core::GeoPoint =
        serde_json::from_value(chaser["operator_position"].clone()).expect("pilot position");
    let border = picket_core::BorderLine::new(&s.zones[0], &s.frame);
    assert_eq!(
        border.on_home_side(&s.frame.to_enu(&pilot)),
        Some(false),
        "pilot in Mexico"
    );

    // The Remote ID spoofer claims to hover 25 km inside Mexico: its Remote ID track carries
    // spoof evidence (pilot distance, signal too strong for the claimed distance).
    let spoofer = tracks
        .lines()
        .rev()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|t| t["identity"]["remote_id"] == "1581F4XR7A0021C3")
        .expect("a track identified by the spoofer's Remote ID serial");
    assert!(
        spoofer["spoof"]["score"].as_f64().unwrap_or(0.0) >= 0.5,
        "{spoofer}"
    );
    let why = spoofer["spoof"]["reasons"].to_string();
    assert!(why.contains("from its pilot"), "{spoofer}");
    // The receiver's configured position reaches the assembler: the signal is too strong.
    assert!(why.contains("far too strong"), "{spoofer}");
    // The chaser's own broadcasts are honest.
    assert!(chaser["spoof"].is_null(), "{chaser}");
    // Both receivers hear the chaser and their RSSI difference fits its claimed positions; the
    // spoofer is heard by rid-east alone, so the cross-receiver check has nothing on it.
    assert!(
        !tracks.contains("disagree with the claimed position"),
        "a cross-receiver finding in the demo"
    );

    // Nothing else either: every alert is about one of the hostile drones.
    for a in &raised {
        let c = culprit(&s, a).map(|c| c.0);
        assert!(
            matches!(
                c,
                Some("dark-striker") | Some("rid-chaser") | Some("rid-spoofer")
            ),
            "alert about {c:?} (clutter?): {a:?}\n{report}"
        );
    }
}

#[test]
fn demo_alerts_exactly_the_two_hostile_drones_with_warning_time() {
    check_seed(1);
}

#[test]
fn demo_alerts_are_right_for_other_noise_seeds_too() {
    check_seed(2);
    check_seed(3);
}
