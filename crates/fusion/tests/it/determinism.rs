//! Same observations in, same tracks out, bit for bit, whatever their order.

use crate::*;
use picket_core::{ClassHint, TargetClass};

/// A busy scenario: crossing targets, a Remote ID drone, clutter, several sensors, batches of
/// about two seconds.
fn scenario() -> Vec<(Vec<Observation>, Timestamp)> {
    let mut rng = Rng::new(42);
    let mut batches = Vec::new();
    for b in 0..15 {
        let mut obs = Vec::new();
        for k in 0..4 {
            let s = b as f64 * 2.0 + k as f64 * 0.5;
            let a = [-300.0 + 15.0 * s, 0.0, 100.0];
            let c = [0.0, -300.0 + 15.0 * s, 100.0];
            obs.push(pos_obs(
                "radar-1",
                s,
                noisy(&mut rng, a, 3.0, 3.0),
                3.0,
                3.0,
            ));
            obs.push(pos_obs(
                "radar-1",
                s,
                noisy(&mut rng, c, 3.0, 3.0),
                3.0,
                3.0,
            ));
            let d = [500.0 - 8.0 * s, 500.0, 60.0];
            let mut r = rid_obs("rid-1", s + 0.1, noisy(&mut rng, d, 4.0, 6.0), "D-1");
            r.class_hint = Some(ClassHint {
                class: TargetClass::Drone,
                confidence: 0.9,
            });
            obs.push(r);
            for _ in 0..5 {
                let p = [
                    rng.range(-3_000.0, 3_000.0),
                    rng.range(-3_000.0, 3_000.0),
                    rng.range(0.0, 300.0),
                ];
                obs.push(pos_obs("radar-2", s + 0.2, p, 10.0, 20.0));
            }
        }
        batches.push((obs, at(b as f64 * 2.0 + 1.6)));
    }
    batches
}

fn run(batches: &[(Vec<Observation>, Timestamp)]) -> String {
    let mut tr = tracker();
    let mut log = String::new();
    for (obs, now) in batches {
        log.push_str(&format!("{:?}\n", tr.step(obs, *now)));
    }
    log.push_str(&format!("{:?}\n{:?}", tr.tracks(), tr.stats()));
    log
}

#[test]
fn two_runs_give_identical_tracks() {
    let s = scenario();
    let a = run(&s);
    assert!(
        a.contains("Confirmed"),
        "the scenario should confirm tracks"
    );
    assert_eq!(a, run(&s));
}

#[test]
fn shuffled_input_within_each_call_gives_identical_tracks() {
    let s = scenario();
    let reference = run(&s);
    for seed in 1..=3 {
        let mut rng = Rng::new(seed);
        let mut shuffled = s.clone();
        for (obs, _) in &mut shuffled {
            rng.shuffle(obs);
        }
        assert_eq!(reference, run(&shuffled), "shuffle seed {seed}");
    }
}

#[test]
fn one_big_call_equals_the_same_data_in_one_shuffled_call() {
    let s = scenario();
    let all: Vec<Observation> = s.iter().flat_map(|(o, _)| o.clone()).collect();
    let now = s.last().unwrap().1;
    let mut shuffled = all.clone();
    Rng::new(77).shuffle(&mut shuffled);
    let mut a = tracker();
    let mut b = tracker();
    let out_a = format!("{:?}", a.step(&all, now));
    let out_b = format!("{:?}", b.step(&shuffled, now));
    assert_eq!(out_a, out_b);
    assert_eq!(format!("{:?}", a.tracks()), format!("{:?}", b.tracks()));
}
