//! Manned-aircraft awareness: a dark track moving with an ADS-B aircraft is suppressed with
//! the aircraft named; a small, slow, low ADS-B target is flagged and never suppressed.

use crate::*;
use picket_assess::AircraftLists;

fn rig_with_lists() -> Rig {
    let config = AssessConfig {
        aircraft: AircraftLists {
            own_agency: vec![0xA1B2C3],
            allowed: vec![0xAB1234],
        },
        ..AssessConfig::default()
    };
    Rig {
        assessor: Assessor::new(post_only_site(), config.clone()),
        alerts: AlertManager::new(config),
        events: Vec::new(),
    }
}

fn helicopter() -> Kind {
    Kind {
        identity: Some(Identity::Icao(0xA1B2C3)),
        hint: Some(ClassHint {
            class: TargetClass::MannedAircraft,
            confidence: 0.8,
        }),
        ..Kind::default()
    }
}

/// The agency's helicopter flies over Post Alpha at 30 m/s, 150 m up; a radar sees it as a
/// separate dark track (drone hint) 60 m off, 40 m lower.
fn fly_over(rig: &mut Rig, with_helicopter: bool) -> Vec<Threat> {
    let heli = straight(
        7,
        0.0,
        [0.0, 2_000.0, 150.0],
        [0.0, -30.0, 0.0],
        &helicopter(),
    );
    let radar = straight(
        8,
        0.0,
        [60.0, 2_000.0, 110.0],
        [1.0, -29.0, 0.0],
        &Kind::dark_drone(),
    );
    let mut all = Vec::new();
    for i in 0..90 {
        let s = f64::from(i);
        let mut h = heli(s);
        h.callsign = Some("CBP21".into());
        let tracks = if with_helicopter {
            vec![h, radar(s)]
        } else {
            vec![radar(s)]
        };
        all.extend(rig.step(&tracks, s).0);
    }
    all
}

#[test]
fn a_dark_track_moving_with_the_agency_helicopter_is_suppressed_with_the_reason() {
    // Without the helicopter the same radar track is a real threat: the test can fail.
    let mut alone = rig_with_lists();
    fly_over(&mut alone, false);
    assert!(
        !alone.raised_for(8, POST).is_empty(),
        "the radar track alone raises"
    );

    let mut rig = rig_with_lists();
    let threats = fly_over(&mut rig, true);
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    let radar: Vec<&Threat> = threats
        .iter()
        .filter(|t| t.track_id == TrackId(8))
        .collect();
    assert!(radar.iter().all(|t| t.level == ThreatLevel::Info));
    let last = radar.last().unwrap();
    assert!(
        last.reasons.contains(
            &"moves with ADS-B aircraft A1B2C3 (own agency, CBP21), suppressed".to_owned()
        ),
        "{:?}",
        last.reasons
    );
    // Visible in the track's assessment too, and the helicopter is labelled.
    let c = rig.assessor.classification(TrackId(8)).unwrap();
    assert!(
        c.reasons.iter().any(|r| r.ends_with("suppressed")),
        "{:?}",
        c.reasons
    );
    let h = rig.assessor.classification(TrackId(7)).unwrap();
    assert_eq!(h.class, TargetClass::MannedAircraft);
    assert!(
        h.reasons
            .contains(&"own agency aircraft (config [aircraft])".to_owned()),
        "{:?}",
        h.reasons
    );
}

fn uav(icao: u32) -> Kind {
    Kind {
        identity: Some(Identity::Icao(icao)),
        hint: Some(ClassHint {
            class: TargetClass::Drone,
            confidence: 0.8,
        }),
        ..Kind::default()
    }
}

#[test]
fn a_small_slow_low_adsb_target_is_flagged_and_alerted_at_most_as_caution() {
    let mut rig = rig_with_lists();
    let fly = straight(
        5,
        0.0,
        [0.0, 1_500.0, 80.0],
        [0.0, -15.0, 0.0],
        &uav(0x3C0001),
    );
    let mut levels = Vec::new();
    let mut last = Vec::new();
    for i in 0..90 {
        let s = f64::from(i);
        last = rig.step(&[fly(s)], s).0;
        levels.extend(last.iter().map(|t| t.level));
    }
    assert!(
        levels.iter().all(|l| *l <= ThreatLevel::Caution),
        "{levels:?}"
    );
    assert!(levels.contains(&ThreatLevel::Caution));
    let raised = rig.raised_for(5, POST);
    assert_eq!(raised.len(), 1, "{:?}", rig.events);
    assert!(raised[0]
        .reasons
        .iter()
        .any(|r| r.starts_with("ADS-B target flies like a drone: 15 m/s at 80 m above the site")));
    let th = threat_for(&last, 5, POST).unwrap();
    assert_eq!(
        th.class,
        TargetClass::MannedAircraft,
        "class follows the ICAO identity"
    );

    // The same flight by an allowed aircraft is labelled and flagged but never alerted.
    let mut rig = rig_with_lists();
    let fly = straight(
        6,
        0.0,
        [0.0, 1_500.0, 80.0],
        [0.0, -15.0, 0.0],
        &uav(0xAB1234),
    );
    for i in 0..90 {
        let s = f64::from(i);
        last = rig.step(&[fly(s)], s).0;
    }
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    let th = threat_for(&last, 6, POST).unwrap();
    assert!(th
        .reasons
        .contains(&"allowed aircraft (config [aircraft])".to_owned()));
    assert!(th
        .reasons
        .iter()
        .any(|r| r.starts_with("ADS-B target flies like a drone")));
}
