//! Circling tracks are predicted along their turn; one that breaks off toward a unit is
//! alerted once its new course is steady.

use crate::*;

/// Clockwise circle of `radius_m` about `centre` at `speed_mps`, starting due north of it.
fn on_circle(id: u64, s: f64, centre: [f64; 2], radius_m: f64, speed_mps: f64) -> Track {
    let a = speed_mps / radius_m * s; // radians travelled, clockwise from north
    let pos = [
        centre[0] + radius_m * a.sin(),
        centre[1] + radius_m * a.cos(),
        80.0,
    ];
    let vel = [speed_mps * a.cos(), -speed_mps * a.sin(), 0.0];
    track(id, s, pos, vel, &Kind::dark_drone())
}

#[test]
fn a_drone_circling_far_off_is_not_alerted_and_is_described_as_circling() {
    let mut rig = Rig::new(post_only_site());
    let mut last = Vec::new();
    for i in 0..180 {
        let s = f64::from(i);
        last = rig
            .step(&[on_circle(1, s, [0.0, 1_700.0], 120.0, 10.0)], s)
            .0;
    }
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    let th = threat_for(&last, 1, POST).expect("assessed");
    assert_eq!(th.level, ThreatLevel::Info);
    assert!(
        th.reasons
            .iter()
            .any(|r| r.starts_with("circling, turning 5°/s right")),
        "{:?}",
        th.reasons
    );
    // Predicted along the circle, the nearest it gets is the circle's near side.
    assert!(
        (th.closest_approach_m - (1_700.0 - 120.0)).abs() < 25.0,
        "{th:?}"
    );
}

#[test]
fn a_circling_drone_that_breaks_off_toward_the_post_is_alerted_in_time() {
    let mut rig = Rig::new(post_only_site());
    let centre = [0.0, 1_700.0];
    // Circle for 90 s, then fly straight at the post from wherever it is, at 15 m/s.
    let mut breakoff: Option<([f64; 3], f64)> = None;
    let mut raised_at = None;
    let mut cpa_time_s = 0.0;
    for i in 0..300 {
        let s = f64::from(i);
        let tr = if s < 90.0 {
            on_circle(2, s, centre, 120.0, 10.0)
        } else {
            let (p0, s0) = *breakoff.get_or_insert_with(|| {
                let p = on_circle(2, 90.0, centre, 120.0, 10.0).position_enu;
                ([p.east_m, p.north_m, p.up_m], 90.0)
            });
            let r = p0[0].hypot(p0[1]);
            cpa_time_s = s0 + r / 15.0;
            let v = [-15.0 * p0[0] / r, -15.0 * p0[1] / r, 0.0];
            straight(2, s0, p0, v, &Kind::dark_drone())(s)
        };
        let (_, ev) = rig.step(&[tr], s);
        if raised_at.is_none() && ev.iter().any(|e| e.state == AlertState::Raised) {
            raised_at = Some(s);
        }
    }
    let raised_at = raised_at.expect("alerted after breaking off");
    assert!(
        raised_at >= 90.0,
        "not while circling (raised at {raised_at})"
    );
    assert!(
        raised_at <= 90.0 + 12.0,
        "within 12 s of breaking off (raised at {raised_at})"
    );
    assert!(
        cpa_time_s - raised_at >= 60.0,
        "{cpa_time_s} vs {raised_at}"
    );
}
