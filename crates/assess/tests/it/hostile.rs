//! Hostile or broken inputs: no panic, nothing absurd in what an officer reads.

use crate::*;

#[test]
fn non_finite_and_out_of_range_tracks_are_ignored() {
    let mut rig = Rig::new(site());
    let mut nan_vel = track(
        1,
        0.0,
        [0.0, 500.0, 50.0],
        [f64::NAN, 0.0, 0.0],
        &Kind::dark_drone(),
    );
    nan_vel.hits = 50;
    let mut bad_geo = track(
        2,
        0.0,
        [0.0, 500.0, 50.0],
        [0.0, -10.0, 0.0],
        &Kind::dark_drone(),
    );
    bad_geo.position.lat_deg = 1_000.0;
    let mut inf = track(
        3,
        0.0,
        [0.0, 500.0, 50.0],
        [0.0, -10.0, 0.0],
        &Kind::dark_drone(),
    );
    inf.position.lon_deg = f64::INFINITY;
    let (threats, events) = rig.step(&[nan_vel, bad_geo, inf], 0.0);
    assert!(threats.is_empty(), "{threats:?}");
    assert!(events.is_empty());
    assert!(rig.assessor.classification(TrackId(1)).is_none());
}

#[test]
fn broken_unit_reports_are_ignored() {
    let mut rig = Rig::new(site());
    let mut p = patrol_at(0.0, 0.0, 0.0);
    p.position.lat_deg = f64::NAN;
    rig.assessor.update_unit_position(&p);
    assert_eq!(rig.assessor.unit_states(t(0.0))[1].1, None);
}

#[test]
fn a_hostile_remote_id_serial_is_shown_sanitised_and_short() {
    let mut rig = Rig::new(post_only_site());
    let serial = format!("EVIL\u{1b}[2J\n{}", "X".repeat(10_000));
    let kind = Kind::remote_id(&serial);
    let mut last = Vec::new();
    for i in 0..3 {
        last = rig
            .step(
                &[track(
                    1,
                    f64::from(i),
                    [0.0, 900.0, 50.0],
                    [0.0, -10.0, 0.0],
                    &kind,
                )],
                f64::from(i),
            )
            .0;
    }
    let th = threat_for(&last, 1, POST).expect("assessed");
    for r in &th.reasons {
        assert!(!r.chars().any(char::is_control), "{r:?}");
        assert!(r.chars().count() < 200, "{} chars", r.chars().count());
    }
    assert!(
        th.reasons[0].starts_with("drone, Remote ID EVIL[2J"),
        "{:?}",
        th.reasons[0]
    );
}

#[test]
fn the_alert_manager_survives_nonsense_threats() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let mut th = threat(1, POST, ThreatLevel::Imminent, f64::NAN, f64::INFINITY);
    th.closing_speed_mps = f64::NAN;
    th.range_m = -5.0;
    let live = [TrackId(1)];
    for s in 0..5 {
        mgr.process(std::slice::from_ref(&th), &live, t(f64::from(s)));
    }
    // Time running backwards must not panic either.
    mgr.process(std::slice::from_ref(&th), &live, t(-100.0));
    assert_eq!(mgr.metrics().raised, 1);
    // A threat for a track that is not live is not alerted.
    let ev = mgr.process(
        &[threat(9, POST, ThreatLevel::Imminent, 0.0, 5.0)],
        &[],
        t(6.0),
    );
    assert!(ev.iter().all(|e| e.track_id != TrackId(9)));
}

#[test]
fn a_deleted_track_is_forgotten() {
    let mut rig = Rig::new(post_only_site());
    let tr = track(4, 0.0, [0.0, 900.0, 50.0], [0.0, -10.0, 0.0], &Kind::bird());
    rig.step(std::slice::from_ref(&tr), 0.0);
    assert!(rig.assessor.classification(TrackId(4)).is_some());
    rig.step(&[deleted(tr)], 1.0);
    assert!(rig.assessor.classification(TrackId(4)).is_none());
}

#[test]
fn a_remote_id_track_with_strong_spoof_evidence_says_so_and_weak_evidence_does_not() {
    let reasons = |score: f64| {
        let mut rig = Rig::new(post_only_site());
        let mut last = Vec::new();
        for i in 0..3 {
            let mut tr = track(
                1,
                f64::from(i),
                [0.0, 900.0, 50.0],
                [0.0, -10.0, 0.0],
                &Kind::remote_id("1581F4XR7A0021C3"),
            );
            tr.spoof = Some(picket_core::SpoofEvidence {
                score,
                reasons: vec!["claims to be 22 km from its pilot".into(), "second".into()],
            });
            last = rig.step(&[tr], f64::from(i)).0;
        }
        threat_for(&last, 1, POST)
            .expect("assessed")
            .reasons
            .clone()
    };
    let strong = reasons(0.8);
    assert!(
        strong.contains(
            &"Remote ID looks spoofed: claims to be 22 km from its pilot; second".to_owned()
        ),
        "{strong:?}"
    );
    assert!(!reasons(0.3).iter().any(|r| r.contains("spoofed")));
}
