//! Identities: cooperative claims (Remote ID, ICAO) and sensor-local labels (SAPIENT object
//! ids) on one track, and claims that contradict the other sensors kept as spoof evidence.

use crate::*;
use picket_core::SpoofEvidence;

fn label(node: &str, object: &str) -> Identity {
    Identity::SapientObject {
        node: node.into(),
        object: object.into(),
    }
}

/// A SAPIENT node's detection carrying its object id.
fn sapient_obs(node: &str, object: &str, t_s: f64, p: [f64; 3]) -> Observation {
    Observation {
        identity: Some(label(node, object)),
        ..pos_obs(node, t_s, p, 6.0, 6.0)
    }
}

/// A drone flying east at 10 m/s, 80 m up.
fn drone(s: f64) -> [f64; 3] {
    [-400.0 + 10.0 * s, 300.0, 80.0]
}

fn live(tr: &Tracker) -> Vec<Track> {
    tr.tracks()
}

#[test]
fn radar_and_remote_id_of_one_drone_make_one_track_with_both_sensors() {
    let mut tr = tracker();
    let mut rng = Rng::new(3);
    for k in 0..30 {
        let s = k as f64;
        let obs = [
            pos_obs("radar", s, noisy(&mut rng, drone(s), 8.0, 8.0), 8.0, 8.0),
            rid_obs(
                "rid-1",
                s + 0.5,
                noisy(&mut rng, drone(s + 0.5), 5.0, 8.0),
                "DRONE-1",
            ),
        ];
        tr.step(&obs, at(s + 0.5));
    }
    let tracks = live(&tr);
    assert_eq!(tracks.len(), 1, "{tracks:#?}");
    let t = &tracks[0];
    assert_eq!(t.identity, Some(Identity::RemoteId("DRONE-1".into())));
    assert_eq!(
        t.sensors,
        vec![SensorId::from("radar"), SensorId::from("rid-1")]
    );
    assert_eq!(t.hits, 60);
    assert!(t.other_identities.is_empty());
    assert_eq!(t.spoof, None);
}

#[test]
fn sapient_object_and_remote_id_of_one_drone_make_one_track_with_both_identities() {
    let mut tr = tracker();
    let mut rng = Rng::new(4);
    for k in 0..20 {
        let s = k as f64;
        let obs = [
            sapient_obs("node-a", "17", s, noisy(&mut rng, drone(s), 6.0, 6.0)),
            rid_obs(
                "rid-1",
                s + 0.5,
                noisy(&mut rng, drone(s + 0.5), 5.0, 8.0),
                "DRONE-1",
            ),
        ];
        tr.step(&obs, at(s + 0.5));
    }
    let tracks = live(&tr);
    assert_eq!(tracks.len(), 1, "{tracks:#?}");
    let t = &tracks[0];
    // The cooperative identity is the track's identity; the node's label comes alongside.
    assert_eq!(t.identity, Some(Identity::RemoteId("DRONE-1".into())));
    assert_eq!(t.other_identities, vec![label("node-a", "17")]);
    assert_eq!(t.hits, 40);
    assert_eq!(t.status, TrackStatus::Confirmed);
}

#[test]
fn labels_of_several_nodes_are_sorted_and_a_node_keeps_only_its_latest() {
    let mut tr = tracker();
    let p = [100.0, 100.0, 50.0];
    let obs = [
        sapient_obs("node-b", "2", 0.0, p),
        sapient_obs("node-a", "9", 0.5, p),
        // node-b lost and reacquired the target under a new id.
        sapient_obs("node-b", "5", 1.0, p),
    ];
    let out = tr.step(&obs, at(1.0));
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(out[0].identity, None);
    assert_eq!(
        out[0].other_identities,
        vec![label("node-a", "9"), label("node-b", "5")]
    );
    // The dropped id no longer steers association: a report under it far away is a new object.
    let out = tr.step(
        &[sapient_obs("node-b", "2", 1.5, [2_000.0, 0.0, 50.0])],
        at(1.5),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].hits, 1);
}

#[test]
fn an_object_id_already_on_a_track_keeps_its_reports_there_even_when_another_is_nearer() {
    let mut tr = tracker();
    // Two objects 30 m apart, each reported under its own id.
    let a = [0.0, 0.0, 60.0];
    let b = [30.0, 0.0, 60.0];
    for k in 0..3 {
        let s = k as f64;
        tr.step(
            &[
                sapient_obs("node-a", "1", s, a),
                sapient_obs("node-a", "2", s, b),
            ],
            at(s),
        );
    }
    let tracks = live(&tr);
    assert_eq!(tracks.len(), 2);
    let track_of = |id: &Identity| {
        tracks
            .iter()
            .find(|t| t.other_identities.contains(id))
            .unwrap()
            .id
    };
    let (ta, tb) = (
        track_of(&label("node-a", "1")),
        track_of(&label("node-a", "2")),
    );
    // Object 1's next report lies nearer object 2's track but within its own gate.
    let out = tr.step(
        &[sapient_obs("node-a", "1", 3.0, [18.0, 0.0, 60.0])],
        at(3.0),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, ta);
    assert_ne!(out[0].id, tb);
}

/// Radar tracks the drone; its Remote ID is honest for 10 s, then claims a position `offset`
/// east of the truth.
fn spoofed_run(offset_m: f64) -> (Tracker, Vec<Vec<Track>>) {
    let mut tr = tracker();
    let mut rng = Rng::new(9);
    let mut outs = Vec::new();
    for k in 0..25 {
        let s = k as f64;
        let honest = noisy(&mut rng, drone(s + 0.5), 5.0, 8.0);
        let claimed = if k < 10 {
            honest
        } else {
            [honest[0] + offset_m, honest[1], honest[2]]
        };
        let obs = [
            pos_obs("radar", s, noisy(&mut rng, drone(s), 8.0, 8.0), 8.0, 8.0),
            rid_obs("rid-1", s + 0.5, claimed, "ABC123"),
        ];
        outs.push(tr.step(&obs, at(s + 0.5)));
    }
    (tr, outs)
}

#[test]
fn a_remote_id_claim_far_from_the_radar_track_is_spoof_evidence_and_does_not_drag_it() {
    let (tr, outs) = spoofed_run(1_400.0);
    let tracks = live(&tr);
    // The lie starts no second track and the radar track keeps the identity.
    assert_eq!(tracks.len(), 1, "{tracks:#?}");
    let t = &tracks[0];
    assert_eq!(t.identity, Some(Identity::RemoteId("ABC123".into())));
    assert!(
        dist_m(&t.position_enu, drone(24.0)) < 30.0,
        "dragged to {:?}",
        t.position_enu
    );
    let spoof = t.spoof.as_ref().expect("spoof evidence");
    assert!(spoof.score >= 0.9, "{spoof:?}");
    assert_eq!(spoof.reasons.len(), 1, "{spoof:?}");
    let reason = &spoof.reasons[0];
    assert!(
        reason.starts_with("Remote ID ABC123 claims a position 1.4 km from where radar tracks it"),
        "{reason}"
    );
    assert!(reason.ends_with("(15 such reports)"), "{reason}");
    assert_eq!(tr.stats().observations_conflicting, 15);
    // No evidence while the claims were honest; the first lie is published at once.
    assert!(outs[..10].iter().flatten().all(|t| t.spoof.is_none()));
    assert!(outs[10].iter().all(|t| t.spoof.is_some()));
    // Only the radar updated the track since the lie began: 10 honest + 25 radar hits.
    assert_eq!(t.hits, 35);
}

#[test]
fn a_small_conflict_scores_lower_than_a_large_one() {
    // 60 m off with σ of 8 m (radar) and 5 m (Remote ID) is outside the gate, but only by
    // little.
    let score = |offset_m: f64| {
        let (tr, _) = spoofed_run(offset_m);
        tr.tracks()[0].spoof.as_ref().map(|s| s.score)
    };
    let small = score(60.0).expect("60 m is outside the gate");
    let large = score(1_400.0).unwrap();
    assert!((0.5..0.95).contains(&small), "{small}");
    assert!(large > small, "{large} vs {small}");
    // Within the gate it is simply an update.
    assert_eq!(score(10.0), None);
}

#[test]
fn a_remote_id_only_track_that_jumps_is_not_called_a_spoof() {
    // Without another sensor there is nothing to contradict the claim: the far report is
    // a new position (new track), not evidence.
    let mut tr = tracker();
    for k in 0..5 {
        let s = k as f64;
        tr.step(&[rid_obs("rid-1", s, drone(s), "R-1")], at(s));
    }
    tr.step(
        &[rid_obs("rid-1", 5.0, [3_000.0, 0.0, 80.0], "R-1")],
        at(5.0),
    );
    assert_eq!(tr.stats().observations_conflicting, 0);
    assert!(tr.tracks().iter().all(|t| t.spoof.is_none()));
    let near = nearest(&tr.tracks(), [3_000.0, 0.0, 80.0]).unwrap().clone();
    assert_eq!(near.identity, Some(Identity::RemoteId("R-1".into())));
    assert!(dist_m(&near.position_enu, [3_000.0, 0.0, 80.0]) < 1.0);
}

#[test]
fn observation_spoof_evidence_and_conflicts_merge() {
    let mut tr = tracker();
    let mut rng = Rng::new(12);
    for k in 0..15 {
        let s = k as f64;
        let mut r = rid_obs(
            "rid-1",
            s + 0.5,
            noisy(&mut rng, drone(s + 0.5), 5.0, 8.0),
            "ABC123",
        );
        if k >= 10 {
            r.measurement = rid_obs("rid-1", s + 0.5, [3_000.0, 3_000.0, 80.0], "x").measurement;
            r.side.spoof = Some(SpoofEvidence {
                score: 0.4,
                reasons: vec!["speed jumps between messages".into()],
            });
        }
        let obs = [
            pos_obs("radar", s, noisy(&mut rng, drone(s), 8.0, 8.0), 8.0, 8.0),
            r,
        ];
        tr.step(&obs, at(s + 0.5));
    }
    // A conflicting report updates nothing, so the track's own observation evidence comes
    // from the reports it did take: none here. Give it one that it takes.
    let mut honest = rid_obs("rid-1", 15.5, drone(15.5), "ABC123");
    honest.side.spoof = Some(SpoofEvidence {
        score: 0.3,
        reasons: vec!["take-off position moves".into()],
    });
    tr.step(&[honest], at(15.5));
    let t = &tr.tracks()[0];
    let spoof = t.spoof.as_ref().unwrap();
    assert!(spoof.score >= 0.9, "{spoof:?}");
    assert_eq!(spoof.reasons.len(), 2, "{spoof:?}");
    assert!(spoof.reasons[0].starts_with("Remote ID ABC123 claims a position"));
    assert_eq!(spoof.reasons[1], "take-off position moves");
}

#[test]
fn a_conflict_is_not_published_with_control_characters_or_unbounded_names() {
    let serial = format!("EVIL\u{1b}[31m{}", "X".repeat(200));
    let mut tr = tracker();
    for k in 0..12 {
        let s = k as f64;
        let claimed = if k < 3 {
            drone(s + 0.5)
        } else {
            [5_000.0, 0.0, 80.0]
        };
        let obs = [
            pos_obs("radar", s, drone(s), 8.0, 8.0),
            rid_obs("rid-1", s + 0.5, claimed, &serial),
        ];
        tr.step(&obs, at(s + 0.5));
    }
    let t = &tr.tracks()[0];
    let reason = &t.spoof.as_ref().unwrap().reasons[0];
    assert!(!reason.chars().any(char::is_control), "{reason:?}");
    assert!(reason.chars().count() < 150, "{reason}");
}

#[test]
fn mixed_identities_are_deterministic_whatever_the_input_order() {
    let scenario = || {
        let mut rng = Rng::new(21);
        let mut batches = Vec::new();
        for b in 0..12 {
            let mut obs = Vec::new();
            for k in 0..2 {
                let s = b as f64 * 2.0 + k as f64;
                let other = [300.0 - 12.0 * s, -200.0, 120.0];
                obs.push(pos_obs(
                    "radar",
                    s,
                    noisy(&mut rng, drone(s), 8.0, 8.0),
                    8.0,
                    8.0,
                ));
                obs.push(pos_obs(
                    "radar",
                    s,
                    noisy(&mut rng, other, 8.0, 8.0),
                    8.0,
                    8.0,
                ));
                obs.push(sapient_obs(
                    "node-b",
                    "4",
                    s + 0.2,
                    noisy(&mut rng, drone(s + 0.2), 6.0, 6.0),
                ));
                obs.push(sapient_obs(
                    "node-a",
                    "8",
                    s + 0.2,
                    noisy(&mut rng, drone(s + 0.2), 6.0, 6.0),
                ));
                obs.push(sapient_obs(
                    "node-a",
                    "3",
                    s + 0.2,
                    noisy(&mut rng, other, 6.0, 6.0),
                ));
                let claimed = if b < 6 {
                    noisy(&mut rng, drone(s + 0.5), 5.0, 8.0)
                } else {
                    [2_000.0, 2_000.0, 80.0]
                };
                obs.push(rid_obs("rid-1", s + 0.5, claimed, "ABC123"));
            }
            batches.push((obs, at(b as f64 * 2.0 + 1.6)));
        }
        batches
    };
    let run = |batches: &[(Vec<Observation>, Timestamp)]| {
        let mut tr = tracker();
        let mut log = String::new();
        for (obs, now) in batches {
            log.push_str(&format!("{:?}\n", tr.step(obs, *now)));
        }
        log.push_str(&format!("{:?}\n{:?}", tr.tracks(), tr.stats()));
        (log, tr)
    };
    let s = scenario();
    let (reference, tr) = run(&s);
    let tracks = tr.tracks();
    assert_eq!(tracks.len(), 2, "{tracks:#?}");
    let d = nearest(&tracks, drone(23.0)).unwrap();
    assert_eq!(d.identity, Some(Identity::RemoteId("ABC123".into())));
    assert_eq!(
        d.other_identities,
        vec![label("node-a", "8"), label("node-b", "4")]
    );
    assert!(d.spoof.is_some());
    for seed in 1..=3 {
        let mut rng = Rng::new(seed);
        let mut shuffled = s.clone();
        for (obs, _) in &mut shuffled {
            rng.shuffle(obs);
        }
        assert_eq!(reference, run(&shuffled).0, "shuffle seed {seed}");
    }
}

#[test]
fn a_node_reporting_each_object_at_its_own_time_confirms_and_keeps_them_all() {
    // Five objects, each in its own DetectionReport with its own timestamp (as SAPIENT nodes
    // send them): a report about one object is no missed chance for the others.
    let mut tr = tracker();
    let obj = |i: usize, s: f64| [i as f64 * 300.0 + 5.0 * s, 200.0, 60.0];
    for k in 0..10 {
        let s = k as f64;
        let obs: Vec<Observation> = (0..5)
            .map(|i| {
                let t = s + 0.1 * i as f64;
                sapient_obs("node-a", &format!("{}", i + 1), t, obj(i, t))
            })
            .collect();
        tr.step(&obs, at(s + 0.5));
    }
    let picture = tr.picture(at(9.5));
    assert_eq!(picture.len(), 5, "{picture:#?}");
    assert!(picture.iter().all(|t| t.hits == 10));
}
