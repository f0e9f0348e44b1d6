//! Closest point of approach under relative constant-velocity motion (horizontal only).

use serde::{Deserialize, Serialize};

/// Where and when two constant-velocity objects come closest (horizontally).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approach {
    /// Closest horizontal distance within the horizon, metres.
    pub distance_m: f64,
    /// Seconds from now until then, in `[0, horizon]` (0 when it is now or already past).
    pub time_s: f64,
}

/// Closest approach of an object at `rel_pos_m` (east, north metres, relative to the unit)
/// moving at `rel_vel_mps` relative to the unit, looking at most `horizon_s` ahead.
///
/// Receding objects get time 0 and their current distance; objects still closing at the
/// horizon get the horizon and their distance then. Non-finite inputs give a non-finite
/// distance, which callers treat as "no threat".
pub fn closest_approach(rel_pos_m: [f64; 2], rel_vel_mps: [f64; 2], horizon_s: f64) -> Approach {
    let [x, y] = rel_pos_m;
    let [vx, vy] = rel_vel_mps;
    let vv = vx * vx + vy * vy;
    let horizon = if horizon_s.is_finite() {
        horizon_s.max(0.0)
    } else {
        0.0
    };
    // Below ~3 mm/s relative speed the geometry is a standstill; avoid dividing by noise.
    let t = if vv > 1e-5 {
        (-(x * vx + y * vy) / vv).clamp(0.0, horizon)
    } else {
        0.0
    };
    let t = if t.is_finite() { t } else { 0.0 };
    Approach {
        distance_m: (x + vx * t).hypot(y + vy * t),
        time_s: t,
    }
}

/// Closest approach of a track flying a steady turn: it starts at `rel_pos_m` (relative to
/// the unit) with horizontal `track_vel_mps`, turning at `turn_rate_dps` (degrees per second,
/// positive clockwise as seen from above, like a compass), while the unit moves at constant
/// `unit_vel_mps`. The arc is followed in one-second chords, each solved exactly.
pub(crate) fn closest_approach_turning(
    rel_pos_m: [f64; 2],
    track_vel_mps: [f64; 2],
    unit_vel_mps: [f64; 2],
    turn_rate_dps: f64,
    horizon_s: f64,
) -> Approach {
    let omega = turn_rate_dps.to_radians();
    let horizon = if horizon_s.is_finite() {
        horizon_s.clamp(0.0, 86_400.0)
    } else {
        0.0
    };
    if omega.abs() < 1e-6 || !omega.is_finite() {
        let rel_v = [
            track_vel_mps[0] - unit_vel_mps[0],
            track_vel_mps[1] - unit_vel_mps[1],
        ];
        return closest_approach(rel_pos_m, rel_v, horizon);
    }
    let speed = track_vel_mps[0].hypot(track_vel_mps[1]);
    let course0 = track_vel_mps[0].atan2(track_vel_mps[1]);
    let r = speed / omega;
    let at = |tau: f64| -> [f64; 2] {
        let c = course0 + omega * tau;
        [
            rel_pos_m[0] + r * (course0.cos() - c.cos()) - unit_vel_mps[0] * tau,
            rel_pos_m[1] + r * (c.sin() - course0.sin()) - unit_vel_mps[1] * tau,
        ]
    };
    let mut best = Approach {
        distance_m: rel_pos_m[0].hypot(rel_pos_m[1]),
        time_s: 0.0,
    };
    let steps = horizon.ceil() as u32;
    let mut a = at(0.0);
    let mut ta = 0.0;
    for k in 1..=steps {
        let tb = f64::from(k).min(horizon);
        let b = at(tb);
        let d = [b[0] - a[0], b[1] - a[1]];
        let dd = d[0] * d[0] + d[1] * d[1];
        let s = if dd > 1e-12 {
            (-(a[0] * d[0] + a[1] * d[1]) / dd).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let dist = (a[0] + s * d[0]).hypot(a[1] + s * d[1]);
        // Follow a descent to its bottom; but a later pass (a circle coming round again) that
        // is no closer than the first beyond the chord error (< 1 m) keeps the first time.
        let continuing = ta - best.time_s <= 1.0 + 1e-9;
        if dist < best.distance_m && (continuing || dist < best.distance_m - 1.0) {
            best = Approach {
                distance_m: dist,
                time_s: ta + s * (tb - ta),
            };
        }
        a = b;
        ta = tb;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standstill_is_closest_now() {
        let a = closest_approach([300.0, 400.0], [0.0, 0.0], 180.0);
        assert_eq!(a.time_s, 0.0);
        assert!((a.distance_m - 500.0).abs() < 1e-9);
    }

    #[test]
    fn no_turn_is_the_straight_line_answer() {
        let a = closest_approach_turning([-1_000.0, 200.0], [20.0, 0.0], [0.0, 0.0], 0.0, 180.0);
        assert!((a.distance_m - 200.0).abs() < 1e-9 && (a.time_s - 50.0).abs() < 1e-9);
    }

    #[test]
    fn a_circling_track_stays_on_its_circle() {
        // Flying east at 10 m/s, turning right at 5.73 °/s: a 100 m radius circle whose centre
        // is 100 m south of the start. From 2 km north of the unit it never comes closer than
        // 2 km − 200 m, however long we look.
        let omega_dps = (10.0f64 / 100.0).to_degrees();
        let a = closest_approach_turning([0.0, 2_000.0], [10.0, 0.0], [0.0, 0.0], omega_dps, 180.0);
        assert!((a.distance_m - 1_800.0).abs() < 1.0, "{a:?}");
        // Half a turn (π·100 m at 10 m/s) brings it to the southernmost point.
        assert!(
            (a.time_s - std::f64::consts::PI * 10.0).abs() < 0.5,
            "{a:?}"
        );
        // Straight-line prediction would have it 1.8 km east of there, nowhere near.
        let straight = closest_approach([0.0, 2_000.0], [10.0, 0.0], 180.0);
        assert_eq!(straight.time_s, 0.0);
    }

    #[test]
    fn a_track_circling_the_unit_keeps_its_distance() {
        // Flying north 1 km east of the unit, turning left on a 1 km circle centred on the
        // unit: the distance never shrinks.
        let omega_dps = -(20.0f64 / 1_000.0).to_degrees();
        let a = closest_approach_turning([1_000.0, 0.0], [0.0, 20.0], [0.0, 0.0], omega_dps, 180.0);
        assert!((a.distance_m - 1_000.0).abs() < 1.0, "{a:?}");
    }

    #[test]
    fn nan_velocity_does_not_panic_and_is_not_a_small_distance() {
        let a = closest_approach([100.0, 0.0], [f64::NAN, 0.0], 180.0);
        assert!(a.distance_m.is_nan() || a.distance_m >= 100.0);
    }
}
