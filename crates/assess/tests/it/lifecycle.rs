//! One drone, one post: raised once, updated on level change, cleared when lost.

use crate::*;

#[test]
fn approaching_drone_raises_once_updates_on_level_change_and_clears_when_lost() {
    let mut rig = Rig::new(post_only_site());
    // 3 km north of Post Alpha, inbound at 20 m/s: closest approach (0 m) in 150 s.
    let fly = straight(
        1,
        0.0,
        [0.0, 3_000.0, 100.0],
        [0.0, -20.0, 0.0],
        &Kind::dark_drone(),
    );
    for i in 0..60 {
        let s = f64::from(i);
        rig.step(&[fly(s)], s);
    }
    let raised: Vec<AlertEvent> = rig.raised_for(1, POST).into_iter().cloned().collect();
    assert_eq!(
        raised.len(),
        1,
        "exactly one Raised over 60 assessments: {:?}",
        rig.events
    );
    assert_eq!(
        raised[0].alert_id,
        picket_core::AlertId(1),
        "ids start at 1"
    );
    assert_eq!(raised[0].level, ThreatLevel::Caution);
    // A caution needs a steady course: 6 s to average the velocity, then 10 s steady, then
    // two assessments in a row.
    assert_eq!(raised[0].time, t(17.0));
    assert!(raised[0].dark);
    assert_eq!(raised[0].target_class, TargetClass::Drone);
    assert_eq!(raised[0].reasons[0], "dark drone (no Remote ID)");
    assert!(
        raised[0].reasons[1].starts_with("2.7 km N of Post Alpha, closing 20 m/s"),
        "{:?}",
        raised[0].reasons
    );

    // Closest approach comes within the 120 s warning time at t = 30 s.
    let warning = rig
        .events
        .iter()
        .find(|e| e.state == AlertState::Updated && e.level == ThreatLevel::Warning)
        .expect("an Updated event when the level rises to warning");
    assert!(
        warning.time >= t(29.0) && warning.time <= t(31.0),
        "{warning:?}"
    );
    assert_eq!(warning.alert_id, raised[0].alert_id);
    assert_eq!(warning.raised_time, raised[0].time);
    // Updates are throttled: nowhere near one per scan.
    assert!(rig.count(AlertState::Updated) <= 6, "{:?}", rig.events);
    assert_eq!(rig.count(AlertState::Cleared), 0);

    // Fusion drops the track.
    let (_, ev) = rig.step(&[deleted(fly(60.0))], 60.0);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].state, AlertState::Cleared);
    assert_eq!(ev[0].cleared_reason.as_deref(), Some("track lost"));
    assert_eq!(ev[0].alert_id, raised[0].alert_id);
    assert!(rig.alerts.active().is_empty());
    let m = rig.alerts.metrics();
    assert_eq!((m.raised, m.cleared), (1, 1));
    assert_eq!(m.raised_per_unit.get(&unit(POST)), Some(&1));
}

#[test]
fn closing_in_reaches_imminent_and_each_event_carries_the_geometry() {
    let mut rig = Rig::new(post_only_site());
    let fly = straight(
        4,
        0.0,
        [0.0, 1_500.0, 80.0],
        [0.0, -20.0, 0.0],
        &Kind::dark_drone(),
    );
    for i in 0..60 {
        let s = f64::from(i);
        rig.step(&[fly(s)], s);
    }
    let imminent = rig
        .events
        .iter()
        .find(|e| e.level == ThreatLevel::Imminent)
        .expect("imminent before reaching the post");
    // Closest approach within 30 s: 1500 m − 600 m at 20 m/s ⇒ t = 45 s.
    assert!(imminent.time <= t(46.0), "{imminent:?}");
    assert!((imminent.bearing_deg - 0.0).abs() < 1.0 || (imminent.bearing_deg - 360.0).abs() < 1.0);
    assert!((imminent.closing_speed_mps - 20.0).abs() < 0.5);
    assert!(imminent.closest_approach_m < 5.0);
    assert!(imminent.time_to_closest_approach_s <= 30.0);
}

#[test]
fn a_drone_that_passes_and_opens_is_cleared_as_passed() {
    let mut rig = Rig::new(post_only_site());
    // Passes 150 m east of the post, northbound, then flies away.
    let fly = straight(
        2,
        0.0,
        [150.0, -1_000.0, 80.0],
        [0.0, 20.0, 0.0],
        &Kind::dark_drone(),
    );
    let mut cleared = None;
    for i in 0..120 {
        let s = f64::from(i);
        let (_, ev) = rig.step(&[fly(s)], s);
        if let Some(e) = ev.iter().find(|e| e.state == AlertState::Cleared) {
            cleared = Some((s, e.clone()));
            break;
        }
    }
    let (s, e) = cleared.expect("cleared after passing");
    assert_eq!(
        e.cleared_reason.as_deref(),
        Some("passed: closest approach over, opening")
    );
    // Cleared once it is beyond radius + margin (600 m) while opening: ~t = 80 s.
    assert!((75.0..=85.0).contains(&s), "cleared at {s}");
    assert_eq!(rig.count(AlertState::Raised), 1);
}

#[test]
fn a_caution_is_held_back_while_the_track_is_too_new_and_says_why() {
    let mut rig = Rig::new(post_only_site());
    let fly = straight(
        3,
        0.0,
        [0.0, 3_000.0, 100.0],
        [0.0, -20.0, 0.0],
        &Kind::dark_drone(),
    );
    let (threats, _) = rig.step(&[fly(0.0)], 0.0);
    let th = threat_for(&threats, 3, POST).expect("assessed");
    assert_eq!(th.level, ThreatLevel::Info);
    assert!(
        th.reasons
            .iter()
            .any(|r| r == "track too new to predict its course"),
        "{:?}",
        th.reasons
    );
    assert!(
        th.closest_approach_m < 1.0,
        "the geometry itself is reported: {th:?}"
    );
}

#[test]
fn a_turning_track_far_out_is_not_a_caution_until_it_settles() {
    let mut rig = Rig::new(post_only_site());
    // 2.5 km north, 15 m/s, swinging its course by 3°/s. At t = 19 s its velocity averaged
    // over the last 6 s points straight at the post, 2.5 km away: a caution by geometry.
    let at = |s: f64| {
        let course = (180.0 + 3.0 * (s - 16.0)).to_radians();
        track(
            6,
            s,
            [0.0, 2_500.0, 100.0],
            [15.0 * course.sin(), 15.0 * course.cos(), 0.0],
            &Kind::dark_drone(),
        )
    };
    let mut last = Vec::new();
    for i in 0..=19 {
        last = rig.step(&[at(f64::from(i))], f64::from(i)).0;
    }
    let th = threat_for(&last, 6, POST).expect("assessed");
    assert!(th.closest_approach_m < 50.0, "{th:?}");
    assert_eq!(th.level, ThreatLevel::Info, "{th:?}");
    assert!(
        th.reasons
            .iter()
            .any(|r| r == "course changing (30° in 10 s), too early to predict"),
        "{:?}",
        th.reasons
    );
}
