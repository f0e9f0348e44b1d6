//! Closed-form closest-approach cases.

use picket_assess::closest_approach;

fn check(pos_m: [f64; 2], vel_mps: [f64; 2], horizon_s: f64, distance_m: f64, time_s: f64) {
    let a = closest_approach(pos_m, vel_mps, horizon_s);
    assert!(
        (a.distance_m - distance_m).abs() < 1e-6,
        "distance {} ≠ {distance_m} for {pos_m:?} {vel_mps:?}",
        a.distance_m
    );
    assert!(
        (a.time_s - time_s).abs() < 1e-6,
        "time {} ≠ {time_s} for {pos_m:?} {vel_mps:?}",
        a.time_s
    );
}

#[test]
fn head_on_hits_the_centre_at_range_over_speed() {
    // 1 km north, flying south at 20 m/s.
    check([0.0, 1_000.0], [0.0, -20.0], 180.0, 0.0, 50.0);
    // From the south-west, diagonally.
    check([-600.0, -800.0], [6.0, 8.0], 180.0, 0.0, 100.0);
}

#[test]
fn perpendicular_pass_misses_by_the_offset() {
    // 1 km west, 200 m north, flying east at 20 m/s: passes 200 m north after 50 s.
    check([-1_000.0, 200.0], [20.0, 0.0], 180.0, 200.0, 50.0);
}

#[test]
fn receding_object_is_closest_now() {
    check([0.0, 1_000.0], [0.0, 10.0], 180.0, 1_000.0, 0.0);
    check([300.0, 400.0], [3.0, 4.0], 180.0, 500.0, 0.0);
}

#[test]
fn approach_beyond_the_horizon_is_clamped_to_it() {
    // 5 km out at 10 m/s: at the 180 s horizon it is still 3.2 km away.
    check([0.0, 5_000.0], [0.0, -10.0], 180.0, 3_200.0, 180.0);
}

#[test]
fn relative_standstill_is_closest_now() {
    check([0.0, 700.0], [0.0, 0.0], 180.0, 700.0, 0.0);
}
