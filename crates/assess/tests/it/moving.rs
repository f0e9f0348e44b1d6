//! Moving units: velocity from successive reports, staleness, no report yet.

use crate::*;

/// Patrol 1 drives east at 10 m/s along y = 3000 m, reporting every 3 s from t = 0 to `until_s`.
fn drive(rig: &mut Rig, until_s: f64) {
    let mut s = 0.0;
    while s <= until_s {
        rig.assessor
            .update_unit_position(&patrol_at(s, -2_000.0 + 10.0 * s, 3_000.0));
        s += 3.0;
    }
}

#[test]
fn a_drone_chasing_the_patrol_at_its_speed_is_not_closing() {
    let mut rig = Rig::new(site());
    drive(&mut rig, 30.0);
    // 1 km behind (west of) the patrol at t = 30 s, same velocity.
    let tr = track(
        1,
        30.0,
        [-2_000.0 + 300.0 - 1_000.0, 3_000.0, 100.0],
        [10.0, 0.0, 0.0],
        &Kind::dark_drone(),
    );
    let (threats, _) = rig.step(&[tr], 30.0);
    let th = threat_for(&threats, 1, PATROL).expect("patrol assessed");
    assert!(th.closing_speed_mps.abs() < 0.1, "{th:?}");
    assert_eq!(th.time_to_closest_approach_s, 0.0);
    assert!((th.closest_approach_m - 1_000.0).abs() < 1.0, "{th:?}");
    assert!((th.range_m - 1_000.0).abs() < 1.0);
    assert!(
        (th.bearing_deg - 270.0).abs() < 0.5,
        "track is west of the patrol: {th:?}"
    );
    assert_eq!(th.level, ThreatLevel::Info);
    assert!(
        th.reasons[1].ends_with("of Patrol 1, holding range"),
        "{:?}",
        th.reasons
    );
}

#[test]
fn a_hovering_drone_ahead_of_the_patrol_is_closing_at_the_patrol_speed() {
    let mut rig = Rig::new(site());
    drive(&mut rig, 30.0);
    // Hovering 1 km ahead (east) of where the patrol is at t = 30 s.
    let tr = track(
        2,
        30.0,
        [-2_000.0 + 300.0 + 1_000.0, 3_000.0, 100.0],
        [0.0, 0.0, 0.0],
        &Kind::dark_drone(),
    );
    let (threats, _) = rig.step(&[tr], 30.0);
    let th = threat_for(&threats, 2, PATROL).expect("patrol assessed");
    assert!((th.closing_speed_mps - 10.0).abs() < 0.1, "{th:?}");
    assert!(
        (th.time_to_closest_approach_s - 100.0).abs() < 0.5,
        "{th:?}"
    );
    assert!(th.closest_approach_m < 1.0);
    assert_eq!(
        th.level,
        ThreatLevel::Warning,
        "the patrol drives into it within 120 s"
    );
    // The same hovering drone is nothing to the (fixed, distant) post.
    assert_eq!(
        threat_for(&threats, 2, POST).map(|t| t.level),
        Some(ThreatLevel::Info)
    );
}

#[test]
fn a_unit_position_is_extrapolated_to_the_assessment_time() {
    let mut rig = Rig::new(site());
    drive(&mut rig, 30.0);
    let states = rig.assessor.unit_states(t(31.5));
    let (id, state) = &states[1];
    assert_eq!(id, &unit(PATROL));
    let state = state.expect("reported");
    assert!(!state.stale);
    assert!((state.velocity_enu_mps[0] - 10.0).abs() < 1e-3, "{state:?}");
    assert!(
        (state.position_enu.east_m - (-2_000.0 + 315.0)).abs() < 0.5,
        "{state:?}"
    );
    assert_eq!(state.radius_m, 400.0);
    // The fixed post is always there, never stale.
    let post = states[0].1.expect("fixed");
    assert!(post.position_enu.east_m.abs() < 1e-6 && !post.stale);
}

#[test]
fn a_stale_patrol_is_assessed_at_its_last_position_with_a_warning_reason() {
    let mut rig = Rig::new(site());
    drive(&mut rig, 30.0);
    // Last report at t = 30 s at east −1700 m. 45 s later it is stale (limit 30 s).
    let tr = track(
        3,
        75.0,
        [-1_700.0, 3_500.0, 100.0],
        [0.0, -10.0, 0.0],
        &Kind::dark_drone(),
    );
    let (threats, _) = rig.step(&[tr], 75.0);
    let th = threat_for(&threats, 3, PATROL).expect("still assessed");
    assert!(
        (th.range_m - 500.0).abs() < 1.0,
        "last position, not extrapolated: {th:?}"
    );
    assert!(
        th.reasons
            .iter()
            .any(|r| r == "patrol position stale (last report 45 s ago)"),
        "{:?}",
        th.reasons
    );
    let state = rig.assessor.unit_states(t(75.0))[1].1.expect("reported");
    assert!(state.stale);
    assert_eq!(state.velocity_enu_mps, [0.0; 3]);
}

#[test]
fn a_patrol_without_any_report_is_skipped() {
    let mut rig = Rig::new(site());
    let tr = track(
        4,
        0.0,
        [0.0, 500.0, 100.0],
        [0.0, -10.0, 0.0],
        &Kind::dark_drone(),
    );
    let (threats, _) = rig.step(&[tr], 0.0);
    assert_eq!(threats.len(), 1);
    assert_eq!(threats[0].unit_id, unit(POST));
    assert_eq!(rig.assessor.unit_states(t(0.0))[1], (unit(PATROL), None));
}

#[test]
fn out_of_order_and_unknown_unit_reports_are_ignored() {
    let mut rig = Rig::new(site());
    drive(&mut rig, 30.0);
    rig.assessor
        .update_unit_position(&patrol_at(10.0, 5_000.0, 5_000.0));
    let mut bogus = patrol_at(31.0, 0.0, 0.0);
    bogus.unit_id = unit("nobody");
    rig.assessor.update_unit_position(&bogus);
    let mut post = patrol_at(31.0, 0.0, 0.0);
    post.unit_id = unit(POST);
    rig.assessor.update_unit_position(&post);
    let state = rig.assessor.unit_states(t(30.0))[1].1.expect("reported");
    assert!(
        (state.position_enu.east_m - (-1_700.0)).abs() < 0.5,
        "{state:?}"
    );
    assert!((state.velocity_enu_mps[0] - 10.0).abs() < 1e-3);
}
