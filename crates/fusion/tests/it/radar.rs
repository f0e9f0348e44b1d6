//! Radar range/azimuth/elevation measurements; unsupported and late data.

use crate::*;

/// A radar report of `target` from `sensor`, exact (noise-free) polar values.
fn radar_report(sensor: GeoPoint, target: GeoPoint, t_s: f64) -> Observation {
    let local = LocalFrame::new(sensor).to_enu(&target);
    let range_m = local.distance_m(&Enu::default());
    Observation {
        sensor_id: SensorId::from("radar"),
        time: at(t_s),
        measurement: Measurement::RangeAzEl {
            sensor_position: sensor,
            range_m,
            azimuth_deg: Enu::default().bearing_to_deg(&local),
            elevation_deg: (local.up_m / range_m).asin().to_degrees(),
            sigma_range_m: 5.0,
            sigma_azimuth_deg: 0.7,
            sigma_elevation_deg: 1.0,
        },
        identity: None,
        class_hint: None,
        side: Default::default(),
    }
}

#[test]
fn radar_report_of_a_known_point_converts_within_one_metre() {
    let f = frame();
    // A radar 1.5 km east, 0.8 km south of the site origin, 10 m up; targets all around it.
    let sensor = f.to_geo(&Enu::new(1_500.0, -800.0, 10.0));
    for (i, target_enu) in [
        [2_500.0, 1_800.0, 150.0],
        [-1_000.0, -2_500.0, 40.0],
        [1_500.0, 2_200.0, 600.0],
        [4_200.0, -800.0, 12.0],
    ]
    .into_iter()
    .enumerate()
    {
        let target = f.to_geo(&Enu::new(target_enu[0], target_enu[1], target_enu[2]));
        let mut tr = tracker();
        let out = tr.step(&[radar_report(sensor, target, i as f64)], at(i as f64));
        assert_eq!(out.len(), 1);
        let err = dist_m(&out[0].position_enu, target_enu);
        assert!(
            err < 1.0,
            "target {i}: {err} m off ({:?})",
            out[0].position_enu
        );
        let geo = out[0].position;
        assert!((geo.lat_deg - target.lat_deg).abs() < 1e-5);
        assert!((geo.lon_deg - target.lon_deg).abs() < 1e-5);
    }
}

#[test]
fn radar_track_uncertainty_is_dominated_by_cross_range_error() {
    let f = frame();
    let sensor = f.origin();
    let target = f.to_geo(&Enu::new(0.0, 3_000.0, 100.0));
    let out = tracker().step(&[radar_report(sensor, target, 0.0)], at(0.0));
    // 3 km × 0.7° ≈ 36.7 m across the beam, against 5 m along it.
    let cross_m = 3_000.0 * 0.7f64.to_radians();
    assert!(
        (out[0].sigma_horizontal_m - cross_m).abs() < 0.5,
        "σh {} vs {cross_m}",
        out[0].sigma_horizontal_m
    );
}

#[test]
fn radar_and_remote_id_of_one_drone_fuse_into_one_track() {
    let f = frame();
    let sensor = f.to_geo(&Enu::new(-300.0, 0.0, 5.0));
    let mut tr = tracker();
    let mut rng = Rng::new(99);
    for k in 0..10 {
        let s = k as f64;
        let truth = [800.0 + 10.0 * s, 600.0, 120.0];
        let g = f.to_geo(&Enu::new(truth[0], truth[1], truth[2]));
        let noisy_rid = noisy(&mut rng, truth, 4.0, 6.0);
        tr.step(
            &[
                radar_report(sensor, g, s),
                rid_obs("rid-1", s + 0.5, noisy_rid, "DRONE-1"),
            ],
            at(s + 0.5),
        );
    }
    let live = tr.tracks();
    assert_eq!(live.len(), 1, "{live:#?}");
    assert_eq!(live[0].hits, 20);
    assert_eq!(live[0].identity, Some(Identity::RemoteId("DRONE-1".into())));
}

#[test]
fn slightly_late_report_updates_in_place_and_a_very_late_one_is_rejected() {
    let mut tr = tracker();
    let v = [10.0, 0.0, 0.0];
    let truth = |s: f64| [v[0] * s, 0.0, 50.0];
    for k in 0..=10 {
        let s = k as f64;
        tr.step(&[pos_obs("radar", s, truth(s), 2.0, 2.0)], at(s));
    }
    // 1.5 s late, where the target was then: accepted, the track keeps its time.
    let out = tr.step(&[pos_obs("rid-1", 8.5, truth(8.5), 3.0, 3.0)], at(10.0));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].hits, 12);
    assert_eq!(out[0].time, at(10.0));
    assert!(dist_m(&out[0].position_enu, truth(10.0)) < 3.0);
    // 3 s late: refused, and it does not start a duplicate track.
    let before = tr.stats().observations_rejected;
    let out = tr.step(&[pos_obs("rid-1", 7.0, truth(7.0), 3.0, 3.0)], at(10.0));
    assert!(out.is_empty(), "{out:#?}");
    assert_eq!(tr.tracks().len(), 1);
    assert_eq!(tr.stats().observations_rejected, before + 1);
}

#[test]
fn a_report_from_the_future_is_rejected() {
    let mut tr = tracker();
    let out = tr.step(
        &[pos_obs("radar", 60.0, [0.0, 0.0, 10.0], 3.0, 3.0)],
        at(0.0),
    );
    assert!(out.is_empty());
    assert_eq!(tr.stats().observations_rejected, 1);
}
