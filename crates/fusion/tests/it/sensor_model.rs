//! Per-sensor noise floors, biases and latency (`SensorModel`).

use crate::*;
use picket_fusion::{ConfigError, SensorModel};

/// A radar 1 km south-west of the origin.
fn radar_site() -> GeoPoint {
    frame().to_geo(&Enu::new(-700.0, -700.0, 5.0))
}

/// A radar report of site-ENU `p` with the given azimuth bias added and tiny stated noise.
fn biased_radar(t_s: f64, p: [f64; 3], bias_az_deg: f64) -> Observation {
    let sensor = radar_site();
    let target = frame().to_geo(&Enu::new(p[0], p[1], p[2]));
    let local = LocalFrame::new(sensor).to_enu(&target);
    let range_m = local.distance_m(&Enu::default());
    Observation {
        sensor_id: SensorId::from("radar"),
        time: at(t_s),
        measurement: Measurement::RangeAzEl {
            sensor_position: sensor,
            range_m: range_m + 20.0,
            azimuth_deg: Enu::default().bearing_to_deg(&local) + bias_az_deg,
            elevation_deg: (local.up_m / range_m).asin().to_degrees(),
            sigma_range_m: 2.0,
            sigma_azimuth_deg: 0.1,
            sigma_elevation_deg: 0.2,
        },
        identity: None,
        class_hint: None,
        side: Default::default(),
    }
}

fn target(s: f64) -> [f64; 3] {
    [1_500.0 + 15.0 * s, 1_800.0, 120.0]
}

fn final_error_m(model: Option<SensorModel>) -> f64 {
    let mut tr = tracker();
    if let Some(m) = model {
        tr.set_sensor_model(SensorId::from("radar"), m).unwrap();
    }
    for k in 0..10 {
        let s = k as f64;
        tr.step(&[biased_radar(s, target(s), 2.0)], at(s));
    }
    dist_m(&tr.tracks()[0].position_enu, target(9.0))
}

#[test]
fn a_configured_azimuth_and_range_bias_is_taken_off_radar_reports() {
    // 2° at ~3.6 km is ~125 m; 20 m of range bias on top.
    let raw = final_error_m(None);
    let corrected = final_error_m(Some(SensorModel {
        bias_azimuth_deg: 2.0,
        bias_range_m: 20.0,
        ..SensorModel::default()
    }));
    assert!(raw > 100.0, "uncorrected error {raw:.1} m");
    assert!(corrected < 3.0, "corrected error {corrected:.1} m");
}

#[test]
fn latency_moves_reports_back_to_their_time_of_validity() {
    // A target at 20 m/s whose positions are stamped 0.5 s late.
    let truth = |s: f64| [20.0 * s, 0.0, 100.0];
    let run = |model: Option<SensorModel>| {
        let mut tr = tracker();
        if let Some(m) = model {
            tr.set_sensor_model(SensorId::from("gps"), m).unwrap();
        }
        for k in 0..20 {
            let s = k as f64;
            tr.step(&[pos_obs("gps", s + 0.5, truth(s), 1.0, 1.0)], at(s + 0.5));
        }
        let t = tr.picture(at(19.5)).remove(0);
        dist_m(&t.position_enu, truth(19.5))
    };
    let late = run(None);
    let corrected = run(Some(SensorModel {
        latency_s: 0.5,
        ..SensorModel::default()
    }));
    assert!(late > 8.0, "uncorrected lag {late:.1} m");
    assert!(corrected < 1.0, "corrected lag {corrected:.2} m");
}

#[test]
fn noise_floors_raise_overconfident_reports_and_keep_honest_ones() {
    let sigma_after_one = |sigma_m: f64, model: SensorModel| {
        let mut tr = tracker();
        tr.set_sensor_model(SensorId::from("rx"), model).unwrap();
        let out = tr.step(
            &[pos_obs("rx", 0.0, [0.0, 0.0, 50.0], sigma_m, sigma_m)],
            at(0.0),
        );
        out[0].sigma_horizontal_m
    };
    let floor = SensorModel {
        sigma_position_m: Some(20.0),
        sigma_altitude_m: Some(30.0),
        ..SensorModel::default()
    };
    assert!((sigma_after_one(0.5, floor) - 20.0).abs() < 0.01);
    assert!((sigma_after_one(50.0, floor) - 50.0).abs() < 0.01);
    assert!((sigma_after_one(0.5, SensorModel::default()) - 0.5).abs() < 0.01);
}

#[test]
fn a_floor_lifts_every_horizontal_direction_of_a_correlated_covariance() {
    let mut tr = tracker();
    tr.set_sensor_model(
        SensorId::from("rx"),
        SensorModel {
            sigma_position_m: Some(10.0),
            ..SensorModel::default()
        },
    )
    .unwrap();
    // A thin ellipse along the diagonal: σ 1 m across, ~30 m along.
    let mut o = pos_obs("rx", 0.0, [0.0, 0.0, 50.0], 1.0, 1.0);
    if let Measurement::Position { cov_enu_m2, .. } = &mut o.measurement {
        cov_enu_m2[0][0] = 450.5;
        cov_enu_m2[1][1] = 450.5;
        cov_enu_m2[0][1] = 449.5;
        cov_enu_m2[1][0] = 449.5;
    }
    let t = tr.step(&[o], at(0.0)).remove(0);
    // Larger axis: 900 + (100 - 1) = 999 m² → σ ≈ 31.6 m (orientation kept).
    assert!(
        (t.sigma_horizontal_m - 999.0_f64.sqrt()).abs() < 0.05,
        "{}",
        t.sigma_horizontal_m
    );
}

#[test]
fn a_bearing_sensor_model_corrects_its_north() {
    let mut tr = tracker();
    tr.set_sensor_model(
        SensorId::from("df-1"),
        SensorModel {
            bias_azimuth_deg: -3.0,
            sigma_bearing_deg: Some(2.0),
            ..SensorModel::default()
        },
    )
    .unwrap();
    assert_eq!(
        tr.sensor_model(&SensorId::from("df-1"))
            .map(|m| m.sigma_bearing_deg),
        Some(Some(2.0))
    );
    // Two direction finders see a target at (0, 1000); df-1's north is 3° off to the left.
    let p = Enu::new(0.0, 1_000.0, 0.0);
    let bearing = |sensor: &str, at_enu: Enu, bias: f64, s: f64| {
        let pos = frame().to_geo(&at_enu);
        Observation {
            sensor_id: SensorId::from(sensor),
            time: at(s),
            measurement: Measurement::Bearing {
                sensor_position: pos,
                bearing_deg: at_enu.bearing_to_deg(&p) + bias,
                sigma_bearing_deg: 0.3,
            },
            identity: None,
            class_hint: None,
            side: Default::default(),
        }
    };
    let out = tr.step(
        &[
            bearing("df-1", Enu::new(-1_000.0, 0.0, 0.0), -3.0, 0.0),
            bearing("df-2", Enu::new(1_000.0, 0.0, 0.0), 0.0, 0.0),
        ],
        at(0.0),
    );
    assert_eq!(out.len(), 1);
    let e = out[0].position_enu;
    assert!(
        e.east_m.abs() < 5.0 && (e.north_m - 1_000.0).abs() < 5.0,
        "fix at {e:?}"
    );
}

#[test]
fn invalid_models_are_refused_and_a_neutral_one_removes_the_sensors() {
    let mut tr = tracker();
    let id = SensorId::from("radar");
    for bad in [
        SensorModel {
            latency_s: -0.1,
            ..SensorModel::default()
        },
        SensorModel {
            latency_s: 3_600.0,
            ..SensorModel::default()
        },
        SensorModel {
            sigma_range_m: Some(f64::NAN),
            ..SensorModel::default()
        },
        SensorModel {
            sigma_azimuth_deg: Some(0.0),
            ..SensorModel::default()
        },
        SensorModel {
            bias_azimuth_deg: 400.0,
            ..SensorModel::default()
        },
    ] {
        assert!(
            matches!(
                tr.set_sensor_model(id.clone(), bad),
                Err(ConfigError::OutOfRange { .. })
            ),
            "{bad:?}"
        );
    }
    assert_eq!(tr.sensor_model(&id), None);
    let m = SensorModel {
        bias_range_m: 5.0,
        ..SensorModel::default()
    };
    tr.set_sensor_model(id.clone(), m).unwrap();
    assert_eq!(tr.sensor_model(&id), Some(&m));
    tr.set_sensor_model(id.clone(), SensorModel::default())
        .unwrap();
    assert_eq!(tr.sensor_model(&id), None);
}
