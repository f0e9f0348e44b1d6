//! Classification gates alerting: birds and manned aircraft are shown, never alerted.

use crate::*;

fn collision_course(rig: &mut Rig, id: u64, kind: &Kind, speed_mps: f64) -> Vec<Threat> {
    let fly = straight(id, 0.0, [0.0, 2_000.0, 100.0], [0.0, -speed_mps, 0.0], kind);
    let mut last = Vec::new();
    for i in 0..90 {
        let s = f64::from(i);
        last = rig.step(&[fly(s)], s).0;
    }
    last
}

#[test]
fn a_bird_on_a_collision_course_never_raises() {
    let mut rig = Rig::new(post_only_site());
    let last = collision_course(&mut rig, 1, &Kind::bird(), 15.0);
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    let th = threat_for(&last, 1, POST).expect("birds are still assessed (shown on the map)");
    assert_eq!(th.class, TargetClass::Bird);
    assert_eq!(th.level, ThreatLevel::Info);
    assert!(
        th.closest_approach_m < 1.0,
        "geometry is still computed: {th:?}"
    );
    assert_eq!(
        rig.assessor.classification(TrackId(1)).map(|c| c.class),
        Some(TargetClass::Bird)
    );
}

#[test]
fn an_adsb_aircraft_on_a_collision_course_never_raises() {
    let mut rig = Rig::new(post_only_site());
    let kind = Kind {
        identity: Some(Identity::Icao(0xA1B2C3)),
        ..Kind::default()
    };
    let last = collision_course(&mut rig, 7, &kind, 20.0);
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    let c = rig.assessor.classification(TrackId(7)).expect("remembered");
    assert_eq!(c.class, TargetClass::MannedAircraft);
    assert!(!c.dark);
    assert_eq!(c.reasons[0], "ADS-B ICAO A1B2C3");
    assert_eq!(
        threat_for(&last, 7, POST).map(|t| t.level),
        Some(ThreatLevel::Info)
    );
}

#[test]
fn a_dark_track_at_helicopter_speed_is_never_alerted() {
    let mut rig = Rig::new(post_only_site());
    // 50 m/s, no identity, no hint, straight over the post: faster than a small drone from
    // the first report, a manned aircraft once sustained for 8 s.
    let fly = straight(
        3,
        0.0,
        [0.0, 4_000.0, 150.0],
        [0.0, -50.0, 0.0],
        &Kind::unknown(),
    );
    let mut first = Vec::new();
    for i in 0..60 {
        let s = f64::from(i);
        let threats = rig.step(&[fly(s)], s).0;
        if i == 3 {
            first = threats;
        }
    }
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    let th = threat_for(&first, 3, POST).expect("assessed");
    assert_eq!(
        (th.class, th.level),
        (TargetClass::Unknown, ThreatLevel::Info)
    );
    assert!(
        th.reasons
            .iter()
            .any(|r| r
                == "50 m/s over ground: probably a manned aircraft, not alerted while confirming"),
        "{:?}",
        th.reasons
    );
    let c = rig.assessor.classification(TrackId(3)).expect("remembered");
    assert_eq!(c.class, TargetClass::MannedAircraft);
    assert!(c.reasons[0].contains("sustained 50 m/s"), "{:?}", c.reasons);
}

#[test]
fn an_alerted_unknown_that_turns_out_to_be_a_bird_is_cleared_as_reclassified() {
    let mut rig = Rig::new(post_only_site());
    let unknown = straight(
        5,
        0.0,
        [0.0, 1_500.0, 60.0],
        [0.0, -12.0, 0.0],
        &Kind::unknown(),
    );
    let bird = straight(
        5,
        0.0,
        [0.0, 1_500.0, 60.0],
        [0.0, -12.0, 0.0],
        &Kind::bird(),
    );
    for i in 0..14 {
        rig.step(&[unknown(f64::from(i))], f64::from(i));
    }
    assert_eq!(
        rig.count(AlertState::Raised),
        1,
        "unknown objects are alerted"
    );
    let (_, ev) = rig.step(&[bird(14.0)], 14.0);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].state, AlertState::Cleared);
    assert_eq!(
        ev[0].cleared_reason.as_deref(),
        Some("reclassified as bird")
    );
    assert_eq!(ev[0].target_class, TargetClass::Bird);
    for i in 15..40 {
        rig.step(&[bird(f64::from(i))], f64::from(i));
    }
    assert_eq!(rig.count(AlertState::Raised), 1, "no re-raise once a bird");
}

#[test]
fn remote_id_drone_is_cooperative_and_named_in_the_reasons() {
    let mut rig = Rig::new(post_only_site());
    let last = collision_course(&mut rig, 9, &Kind::remote_id("1581F5FKD229400"), 15.0);
    let th = threat_for(&last, 9, POST).expect("assessed");
    assert_eq!(th.class, TargetClass::Drone);
    assert!(!th.dark);
    assert_eq!(th.reasons[0], "drone, Remote ID 1581F5FKD229400");
    assert_eq!(
        rig.raised_for(9, POST).len(),
        1,
        "cooperative drones are alerted too"
    );
}

#[test]
fn tentative_and_young_tracks_are_not_assessed() {
    let mut rig = Rig::new(post_only_site());
    let mut tr = track(
        1,
        0.0,
        [0.0, 500.0, 50.0],
        [0.0, -20.0, 0.0],
        &Kind::dark_drone(),
    );
    tr.status = TrackStatus::Tentative;
    assert!(rig.step(&[tr.clone()], 0.0).0.is_empty());
    tr.status = TrackStatus::Confirmed;
    tr.hits = 2;
    assert!(rig.step(&[tr.clone()], 0.0).0.is_empty());
    tr.hits = 3;
    assert_eq!(rig.step(&[tr], 0.0).0.len(), 1);
}
