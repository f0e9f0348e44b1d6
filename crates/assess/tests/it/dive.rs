//! A fast descent toward a unit within 1 km is at least a warning.

use crate::*;

/// The threat after 20 s of steady flight that ends at `end` (long enough to trust the course).
fn assess_once(vel: [f64; 3], end: [f64; 3]) -> Threat {
    let mut rig = Rig::new(post_only_site());
    let start = [
        end[0] - 20.0 * vel[0],
        end[1] - 20.0 * vel[1],
        end[2] - 20.0 * vel[2],
    ];
    let fly = straight(1, 0.0, start, vel, &Kind::dark_drone());
    let mut threats = Vec::new();
    for i in 0..=20 {
        threats = rig.step(&[fly(f64::from(i))], f64::from(i)).0;
    }
    threat_for(&threats, 1, POST).expect("assessed").clone()
}

#[test]
fn a_diving_drone_within_a_kilometre_is_a_warning_and_says_so() {
    // 900 m north, creeping in at 5 m/s: by geometry only caution (closest approach in 180 s).
    let level_flat = assess_once([0.0, -5.0, 0.0], [0.0, 900.0, 150.0]);
    assert_eq!(level_flat.level, ThreatLevel::Caution);
    assert!(!level_flat.reasons.iter().any(|r| r.starts_with("diving")));
    let diving = assess_once([0.0, -5.0, -6.0], [0.0, 900.0, 150.0]);
    assert_eq!(diving.level, ThreatLevel::Warning);
    assert!(
        diving.reasons.iter().any(|r| r == "diving 6 m/s"),
        "{:?}",
        diving.reasons
    );
}

#[test]
fn a_dive_away_from_the_unit_or_far_off_is_not_escalated() {
    let away = assess_once([0.0, 5.0, -6.0], [0.0, 500.0, 150.0]);
    assert_eq!(
        away.level,
        ThreatLevel::Caution,
        "inside the margin, opening: {away:?}"
    );
    let far = assess_once([0.0, -5.0, -6.0], [0.0, 1_600.0, 150.0]);
    assert_eq!(far.level, ThreatLevel::Info, "{far:?}");
}

#[test]
fn a_gentle_descent_is_not_a_dive() {
    let t = assess_once([0.0, -5.0, -2.0], [0.0, 900.0, 150.0]);
    assert_eq!(t.level, ThreatLevel::Caution);
}
