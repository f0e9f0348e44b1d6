//! Same inputs, same outputs — whatever the order of tracks within a batch.

use crate::*;

fn run(reverse_batches: bool) -> (Vec<Vec<Threat>>, Vec<AlertEvent>) {
    let mut rig = Rig::new(site());
    let flights = [
        straight(
            11,
            0.0,
            [0.0, 2_500.0, 100.0],
            [0.0, -18.0, 0.0],
            &Kind::dark_drone(),
        ),
        straight(
            12,
            0.0,
            [-1_500.0, -1_500.0, 80.0],
            [12.0, 14.0, 0.0],
            &Kind::remote_id("A"),
        ),
        straight(
            13,
            0.0,
            [800.0, 0.0, 60.0],
            [-9.0, 1.0, 0.0],
            &Kind::unknown(),
        ),
        straight(14, 0.0, [0.0, 600.0, 40.0], [3.0, -2.0, 0.0], &Kind::bird()),
    ];
    let mut all = Vec::new();
    for i in 0..120 {
        let s = f64::from(i);
        if i % 3 == 0 {
            rig.assessor
                .update_unit_position(&patrol_at(s, -1_000.0 + 5.0 * s, 0.0));
        }
        let mut snaps: Vec<Track> = flights.iter().map(|f| f(s)).collect();
        if reverse_batches {
            snaps.reverse();
        }
        all.push(rig.step(&snaps, s).0);
    }
    (all, rig.events)
}

#[test]
fn the_same_scenario_gives_identical_threats_and_events() {
    let (a_threats, a_events) = run(false);
    let (b_threats, b_events) = run(false);
    assert_eq!(a_threats, b_threats);
    assert_eq!(a_events, b_events);
    assert!(!a_events.is_empty(), "the scenario exercises alerting");
}

#[test]
fn track_order_within_a_batch_does_not_matter() {
    let (a_threats, a_events) = run(false);
    let (b_threats, b_events) = run(true);
    assert_eq!(a_threats, b_threats);
    assert_eq!(a_events, b_events);
}

#[test]
fn threats_come_ordered_by_track_then_unit() {
    let (threats, _) = run(false);
    let last = threats.last().expect("rounds");
    let keys: Vec<(u64, String)> = last
        .iter()
        .map(|t| (t.track_id.0, t.unit_id.0.clone()))
        .collect();
    let mut expected = Vec::new();
    for id in [11, 12, 13, 14] {
        expected.push((id, POST.to_owned()));
        expected.push((id, PATROL.to_owned()));
    }
    assert_eq!(keys, expected);
}
