//! Association: crossing targets, clutter, identity, class evidence, sensors.

use crate::*;
use picket_core::{ClassHint, TargetClass};

#[test]
fn two_crossing_targets_keep_their_ids() {
    let mut tr = tracker();
    let mut rng = Rng::new(11);
    let a = |s: f64| [-300.0 + 15.0 * s, 0.0, 100.0];
    let b = |s: f64| [0.0, -300.0 + 15.0 * s, 100.0];
    let mut ids = None;
    for k in 0..=40 {
        let s = k as f64;
        let obs = [
            pos_obs("radar", s, noisy(&mut rng, a(s), 3.0, 3.0), 3.0, 3.0),
            pos_obs("radar", s, noisy(&mut rng, b(s), 3.0, 3.0), 3.0, 3.0),
        ];
        tr.step(&obs, at(s));
        let live = tr.tracks();
        assert_eq!(live.len(), 2, "k={k}: {live:#?}");
        // Which track is which is only decidable while the targets are apart.
        if dist_m(&Enu::new(a(s)[0], a(s)[1], a(s)[2]), b(s)) < 60.0 {
            continue;
        }
        let ia = nearest(&live, a(s)).unwrap().id;
        let ib = nearest(&live, b(s)).unwrap().id;
        assert_ne!(ia, ib);
        match ids {
            None => ids = Some((ia, ib)),
            Some(prev) => assert_eq!((ia, ib), prev, "ids swapped at t={s} s"),
        }
    }
    assert!(tr
        .tracks()
        .iter()
        .all(|t| t.status == TrackStatus::Confirmed));
}

#[test]
fn uniform_clutter_over_100_scans_confirms_no_track() {
    let mut tr = tracker();
    let mut rng = Rng::new(2024);
    let mut born = 0;
    for k in 0..100 {
        let s = k as f64;
        let obs: Vec<_> = (0..15)
            .map(|_| {
                let p = [
                    rng.range(-5_000.0, 5_000.0),
                    rng.range(-5_000.0, 5_000.0),
                    rng.range(0.0, 500.0),
                ];
                pos_obs("radar", s, p, 10.0, 20.0)
            })
            .collect();
        let out = tr.step(&obs, at(s));
        born += out.iter().filter(|t| t.hits == 1).count();
        assert!(
            out.iter().all(|t| t.status != TrackStatus::Confirmed),
            "clutter confirmed at scan {k}: {out:#?}"
        );
        // Tentative clutter tracks die after 3 s: at most ~4 scans' worth are alive.
        assert!(tr.tracks().len() <= 15 * 5, "{} live", tr.tracks().len());
    }
    assert!(born > 1_000, "clutter should start tracks ({born})");
    assert_eq!(tr.stats().tracks_confirmed, 0);
}

#[test]
fn identity_attaches_and_a_different_identity_does_not_associate() {
    let mut tr = tracker();
    let p = [400.0, 400.0, 90.0];
    let out = tr.step(&[pos_obs("radar", 0.0, p, 3.0, 3.0)], at(0.0));
    let radar_track = out[0].id;
    assert_eq!(out[0].identity, None);

    // A Remote ID report at the same place joins the radar track and gives it its identity.
    let out = tr.step(&[rid_obs("rid-1", 0.5, p, "SERIAL-A")], at(0.5));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, radar_track);
    assert_eq!(out[0].identity, Some(Identity::RemoteId("SERIAL-A".into())));
    assert_eq!(
        out[0].sensors,
        vec![SensorId::from("radar"), SensorId::from("rid-1")]
    );

    // Another serial at exactly the same place may not join it: it starts its own track.
    let out = tr.step(&[rid_obs("rid-1", 1.0, p, "SERIAL-B")], at(1.0));
    assert_eq!(out.len(), 1);
    assert_ne!(out[0].id, radar_track);
    assert_eq!(out[0].identity, Some(Identity::RemoteId("SERIAL-B".into())));
    assert_eq!(out[0].hits, 1);

    // A's next report returns to A's track, which keeps its identity.
    let out = tr.step(&[rid_obs("rid-1", 1.5, p, "SERIAL-A")], at(1.5));
    assert_eq!(out[0].id, radar_track);
    assert_eq!(out[0].hits, 3);
}

#[test]
fn same_serial_prefers_its_own_track_over_a_nearer_stranger() {
    let mut tr = tracker();
    let born = tr.step(
        &[
            rid_obs("rid-1", 0.0, [0.0, 0.0, 50.0], "A"),
            rid_obs("rid-1", 0.0, [20.0, 0.0, 50.0], "B"),
        ],
        at(0.0),
    );
    let serial_a = Some(Identity::RemoteId("A".into()));
    let track_a = born.iter().find(|t| t.identity == serial_a).unwrap().id;
    // A's next report lies right on B's track; identity keeps it with A.
    let out = tr.step(&[rid_obs("rid-1", 1.0, [19.0, 0.0, 50.0], "A")], at(1.0));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, track_a);
    assert_eq!(out[0].identity, serial_a);
    assert_eq!(out[0].hits, 2);
}

#[test]
fn side_facts_keep_the_latest_callsign_and_operator_position() {
    let mut tr = tracker();
    let op1 = frame().to_geo(&Enu::new(-800.0, 0.0, 0.0));
    let op2 = frame().to_geo(&Enu::new(-790.0, 5.0, 0.0));
    let mut a = rid_obs("rid-1", 0.0, [0.0, 0.0, 50.0], "A");
    a.side.operator_position = Some(op1);
    a.side.callsign = Some("FLT1".into());
    let mut b = rid_obs("rid-1", 1.0, [1.0, 0.0, 50.0], "A");
    b.side.operator_position = Some(op2);
    let c = rid_obs("rid-1", 2.0, [2.0, 0.0, 50.0], "A");
    tr.step(&[a, b, c], at(2.0));
    let t = &tr.tracks()[0];
    assert_eq!(t.hits, 3);
    assert_eq!(t.operator_position, Some(op2));
    assert_eq!(t.callsign.as_deref(), Some("FLT1"));
}

#[test]
fn class_evidence_is_summed_per_class_and_averaged_over_hints() {
    let mut tr = tracker();
    let hints = [
        (TargetClass::Drone, 0.8),
        (TargetClass::Bird, 0.9),
        (TargetClass::Drone, 0.6),
        (TargetClass::Bird, 0.2),
    ];
    let obs: Vec<_> = hints
        .iter()
        .enumerate()
        .map(|(k, &(class, confidence))| Observation {
            class_hint: Some(ClassHint { class, confidence }),
            ..pos_obs("radar", k as f64, [10.0, 10.0, 30.0], 3.0, 3.0)
        })
        .collect();
    let out = tr.step(&obs, at(3.0));
    assert_eq!(out.len(), 1);
    let h = out[0].class_hint.unwrap();
    // Drone 1.4 beats Bird 1.1; confidence 1.4 / 4 hints.
    assert_eq!(h.class, TargetClass::Drone);
    assert!((h.confidence - 0.35).abs() < 1e-6, "{}", h.confidence);
}

#[test]
fn unknown_hints_neither_support_nor_dilute_a_class() {
    let class_after = |hints: &[(TargetClass, f32)]| {
        let mut tr = tracker();
        let obs: Vec<_> = hints
            .iter()
            .enumerate()
            .map(|(k, &(class, confidence))| Observation {
                class_hint: Some(ClassHint { class, confidence }),
                ..pos_obs("radar", k as f64, [10.0, 10.0, 30.0], 3.0, 3.0)
            })
            .collect();
        tr.step(&obs, at(hints.len() as f64))
            .remove(0)
            .class_hint
            .unwrap()
    };
    let u = (TargetClass::Unknown, 0.3);
    let b = (TargetClass::Bird, 0.75);
    let h = class_after(&[u, b, u, u]);
    assert_eq!(h.class, TargetClass::Bird);
    assert!((h.confidence - 0.75).abs() < 1e-6, "{}", h.confidence);
    // Only "could not tell" so far: the class is unknown, with those hints' confidence.
    let h = class_after(&[u, u]);
    assert_eq!(h.class, TargetClass::Unknown);
    assert!((h.confidence - 0.3).abs() < 1e-6, "{}", h.confidence);
}

#[test]
fn sensors_are_listed_sorted_and_once() {
    let mut tr = tracker();
    let p = [0.0, 0.0, 40.0];
    let obs = [
        pos_obs("zulu", 0.0, p, 3.0, 3.0),
        pos_obs("alpha", 0.5, p, 3.0, 3.0),
        pos_obs("zulu", 1.0, p, 3.0, 3.0),
        pos_obs("mike", 1.5, p, 3.0, 3.0),
    ];
    let out = tr.step(&obs, at(1.5));
    assert_eq!(out.len(), 1);
    let names: Vec<&str> = out[0].sensors.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["alpha", "mike", "zulu"]);
}

#[test]
fn dense_scan_assigns_each_report_to_its_own_track() {
    // 30 targets 25 m apart moving together: gates overlap, so Kuhn–Munkres decides.
    let mut tr = tracker();
    let mut rng = Rng::new(5);
    let truth = |i: usize, s: f64| [i as f64 * 25.0 + 10.0 * s, 5.0 * s, 100.0];
    for k in 0..10 {
        let s = k as f64;
        let obs: Vec<_> = (0..30)
            .map(|i| pos_obs("radar", s, noisy(&mut rng, truth(i, s), 2.0, 2.0), 2.0, 2.0))
            .collect();
        tr.step(&obs, at(s));
    }
    let live = tr.tracks();
    assert_eq!(live.len(), 30);
    assert!(live
        .iter()
        .all(|t| t.hits == 10 && t.status == TrackStatus::Confirmed));
    for i in 0..30 {
        let t = nearest(&live, truth(i, 9.0)).unwrap();
        assert!(dist_m(&t.position_enu, truth(i, 9.0)) < 6.0);
    }
}

#[test]
fn a_report_with_its_own_velocity_starts_a_track_moving_at_that_velocity() {
    let mut tr = tracker();
    let mut o = rid_obs("rid-1", 0.0, [0.0, 0.0, 50.0], "A");
    o.side.reported_velocity_enu_mps = Some([12.0, -4.0, 1.0]);
    let out = tr.step(&[o], at(0.0));
    assert_eq!(out[0].velocity_enu_mps, [12.0, -4.0, 1.0]);
    // Without it, a new track starts at rest.
    let out = tr.step(
        &[pos_obs("radar", 1.0, [900.0, 0.0, 50.0], 3.0, 3.0)],
        at(1.0),
    );
    assert_eq!(out[0].velocity_enu_mps, [0.0, 0.0, 0.0]);
}
