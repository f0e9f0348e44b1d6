//! Border crossings and pilot positions, in words.

use crate::*;

/// North coordinate (site ENU) of the border parallel, 31.3333°N.
fn border_north_m() -> f64 {
    frame()
        .to_enu(&GeoPoint::new(31.3333, -109.95, 1_400.0))
        .north_m
}

fn reason<'a>(th: &'a Threat, prefix: &str) -> Option<&'a String> {
    th.reasons.iter().find(|r| r.starts_with(prefix))
}

#[test]
fn a_northbound_crossing_is_reported_with_direction_and_age() {
    let mut rig = Rig::new(post_only_site());
    // From 2.5 km south of the origin (in Mexico), northbound at 20 m/s.
    let fly = straight(
        1,
        0.0,
        [0.0, -2_500.0, 100.0],
        [0.0, 20.0, 0.0],
        &Kind::dark_drone(),
    );
    let crossed_at_s = (border_north_m() + 2_500.0) / 20.0;
    let mut last = Vec::new();
    for i in 0..100 {
        let s = f64::from(i);
        last = rig.step(&[fly(s)], s).0;
        if s < crossed_at_s {
            let th = threat_for(&last, 1, POST).expect("assessed");
            assert!(
                reason(th, "crossed the border").is_none(),
                "not yet: {:?}",
                th.reasons
            );
        }
    }
    let th = threat_for(&last, 1, POST).expect("assessed");
    let expected = format!(
        "crossed the border northbound {:.0} s ago",
        (99.0 - crossed_at_s).round()
    );
    assert_eq!(
        reason(th, "crossed the border"),
        Some(&expected),
        "{:?}",
        th.reasons
    );
}

#[test]
fn a_southbound_crossing_says_southbound() {
    let mut rig = Rig::new(post_only_site());
    let fly = straight(
        2,
        0.0,
        [300.0, -1_000.0, 100.0],
        [0.0, -15.0, 0.0],
        &Kind::dark_drone(),
    );
    let mut last = Vec::new();
    for i in 0..40 {
        last = rig.step(&[fly(f64::from(i))], f64::from(i)).0;
    }
    let th = threat_for(&last, 2, POST).expect("assessed");
    let r = reason(th, "crossed the border").expect("crossed");
    assert!(r.starts_with("crossed the border southbound "), "{r}");
}

#[test]
fn a_track_first_seen_on_the_home_side_has_no_crossing() {
    let mut rig = Rig::new(post_only_site());
    let fly = straight(
        3,
        0.0,
        [0.0, 2_000.0, 100.0],
        [0.0, -20.0, 0.0],
        &Kind::dark_drone(),
    );
    let mut last = Vec::new();
    for i in 0..30 {
        last = rig.step(&[fly(f64::from(i))], f64::from(i)).0;
    }
    let th = threat_for(&last, 3, POST).expect("assessed");
    assert!(reason(th, "crossed").is_none(), "{:?}", th.reasons);
}

#[test]
fn the_pilot_is_placed_relative_to_the_unit_and_the_border() {
    let mut rig = Rig::new(post_only_site());
    let across = Kind {
        operator: Some(GeoPoint::new(31.32, -109.95, 1_400.0)),
        ..Kind::remote_id("SN-HOSTILE")
    };
    let home = Kind {
        operator: Some(GeoPoint::new(31.355, -109.95, 1_400.0)),
        ..Kind::remote_id("SN-HOBBY")
    };
    let a = straight(4, 0.0, [0.0, 1_000.0, 80.0], [0.0, -10.0, 0.0], &across);
    let b = straight(5, 0.0, [500.0, 1_000.0, 80.0], [0.0, -10.0, 0.0], &home);
    let mut last = Vec::new();
    for i in 0..3 {
        let s = f64::from(i);
        last = rig.step(&[a(s), b(s)], s).0;
    }
    let south_m = -frame()
        .to_enu(&GeoPoint::new(31.32, -109.95, 1_400.0))
        .north_m;
    let pilot = reason(threat_for(&last, 4, POST).expect("assessed"), "pilot").expect("pilot");
    assert_eq!(
        pilot,
        &format!(
            "pilot {:.1} km S, across the border (US–Mexico border)",
            south_m / 1_000.0
        )
    );
    let pilot = reason(threat_for(&last, 5, POST).expect("assessed"), "pilot").expect("pilot");
    assert!(pilot.ends_with("N, on this side of the border"), "{pilot}");
}
