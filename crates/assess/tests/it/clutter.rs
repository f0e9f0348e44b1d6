//! Radar clutter, hovering objects and noisy courses.

use crate::*;

/// A radar return that never moves, reported with a few m/s of velocity noise.
fn jitter(id: u64, s: f64, at: [f64; 2], kind: &Kind) -> Track {
    let k = (s * 7.0).sin();
    let j = (s * 3.0).cos();
    track(
        id,
        s,
        [at[0] + 5.0 * k, at[1] + 5.0 * j, 20.0],
        [3.0 * k, 3.0 * j, 2.0 * k],
        kind,
    )
}

#[test]
fn stationary_unclassified_clutter_is_not_alerted_even_near_a_post() {
    let mut rig = Rig::new(post_only_site());
    let mut last = Vec::new();
    for i in 0..120 {
        let s = f64::from(i);
        last = rig
            .step(&[jitter(1, s, [0.0, 550.0], &Kind::unknown())], s)
            .0;
    }
    // Within radius + margin it was alerted at first; after 30 s of not moving it is clutter.
    let th = threat_for(&last, 1, POST).expect("assessed");
    assert_eq!(th.level, ThreatLevel::Info);
    assert!(
        th.reasons
            .iter()
            .any(|r| r
                == "unclassified and stationary for 119 s: likely ground clutter, not alerted"),
        "{:?}",
        th.reasons
    );
    assert!(rig.alerts.active().is_empty(), "{:?}", rig.events);
}

#[test]
fn a_hovering_object_the_radar_calls_a_drone_stays_alerted() {
    let mut rig = Rig::new(post_only_site());
    for i in 0..120 {
        let s = f64::from(i);
        rig.step(&[jitter(2, s, [0.0, 550.0], &Kind::dark_drone())], s);
    }
    assert_eq!(rig.count(AlertState::Raised), 1);
    assert_eq!(rig.count(AlertState::Cleared), 0, "{:?}", rig.events);
    assert_eq!(rig.alerts.active().len(), 1);
}

#[test]
fn a_patrol_driving_toward_a_distant_hovering_object_is_not_cautioned() {
    let mut rig = Rig::new(site());
    // Patrol 1 drives east at 10 m/s toward an object hovering 2 km ahead of it.
    let mut last = Vec::new();
    for i in 0..40 {
        let s = f64::from(i);
        if i % 3 == 0 {
            rig.assessor
                .update_unit_position(&patrol_at(s, -3_000.0 + 10.0 * s, 3_000.0));
        }
        let tr = jitter(3, s, [-1_000.0 + 0.0, 3_600.0], &Kind::dark_drone());
        last = rig.step(&[tr], s).0;
    }
    let th = threat_for(&last, 3, PATROL).expect("assessed");
    assert!(
        th.closest_approach_m <= 700.0,
        "the patrol's path passes near it: {th:?}"
    );
    assert_eq!(th.level, ThreatLevel::Info, "{th:?}");
    assert!(
        th.reasons
            .iter()
            .any(|r| r == "not approaching by itself (Patrol 1 is moving toward it)"),
        "{:?}",
        th.reasons
    );
    assert!(
        rig.events.iter().all(|e| e.unit_id != unit(PATROL)),
        "{:?}",
        rig.events
    );
}

#[test]
fn a_straight_approach_with_a_course_swinging_15_degrees_per_report_is_alerted() {
    let mut rig = Rig::new(post_only_site());
    // 2.5 km north, inbound at 20 m/s; the reported course alternates ±15° (radar noise).
    let mut raised_at = None;
    for i in 0..60 {
        let s = f64::from(i);
        let wobble = if i % 2 == 0 { 15f64 } else { -15.0 }.to_radians();
        let vel = [-20.0 * wobble.sin(), -20.0 * wobble.cos(), 0.0];
        let tr = track(
            4,
            s,
            [0.0, 2_500.0 - 20.0 * s, 100.0],
            vel,
            &Kind::dark_drone(),
        );
        let (_, ev) = rig.step(&[tr], s);
        if raised_at.is_none() && !ev.is_empty() {
            raised_at = Some(s);
        }
    }
    let raised_at = raised_at.expect("alerted");
    assert!(raised_at <= 17.0, "raised at {raised_at}");
    assert!(
        rig.events[0].closest_approach_m < 100.0,
        "{:?}",
        rig.events[0]
    );
    assert_eq!(rig.count(AlertState::Raised), 1);
    assert_eq!(rig.count(AlertState::Cleared), 0);
}
