//! Hostile input: nothing panics, nothing non-finite comes out, bad data is counted.

use crate::*;
use picket_core::ClassHint;
use picket_core::TargetClass;

fn radar(t_s: f64, range_m: f64, az: f64, el: f64, sr: f64, sa: f64, se: f64) -> Observation {
    Observation {
        sensor_id: SensorId::from("radar"),
        time: at(t_s),
        measurement: Measurement::RangeAzEl {
            sensor_position: frame().origin(),
            range_m,
            azimuth_deg: az,
            elevation_deg: el,
            sigma_range_m: sr,
            sigma_azimuth_deg: sa,
            sigma_elevation_deg: se,
        },
        identity: None,
        class_hint: None,
        side: Default::default(),
    }
}

fn with_cov(mut o: Observation, cov: [[f64; 3]; 3]) -> Observation {
    if let Measurement::Position { cov_enu_m2, .. } = &mut o.measurement {
        *cov_enu_m2 = cov;
    }
    o
}

fn with_geo(mut o: Observation, g: GeoPoint) -> Observation {
    if let Measurement::Position { position, .. } = &mut o.measurement {
        *position = g;
    }
    o
}

/// Observations that must each be rejected.
fn invalid(t: f64) -> Vec<Observation> {
    let ok = pos_obs("rid", t, [0.0, 0.0, 30.0], 5.0, 5.0);
    let mut v = vec![
        with_geo(ok.clone(), GeoPoint::new(f64::NAN, 0.0, 0.0)),
        with_geo(ok.clone(), GeoPoint::new(31.0, f64::INFINITY, 0.0)),
        with_geo(ok.clone(), GeoPoint::new(95.0, 10.0, 0.0)),
        with_geo(ok.clone(), GeoPoint::new(31.0, -110.0, 1.0e7)),
        with_cov(ok.clone(), [[0.0; 3]; 3]),
        with_cov(
            ok.clone(),
            [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
        with_cov(
            ok.clone(),
            [[1.0, 5.0, 0.0], [5.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
        with_cov(
            ok.clone(),
            [[f64::NAN, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
        with_cov(
            ok.clone(),
            [[1e300, 0.0, 0.0], [0.0, 1e300, 0.0], [0.0, 0.0, 1e300]],
        ),
        radar(t, f64::NAN, 10.0, 1.0, 5.0, 1.0, 1.0),
        radar(t, 1_000.0, f64::INFINITY, 1.0, 5.0, 1.0, 1.0),
        radar(t, -5.0, 10.0, 1.0, 5.0, 1.0, 1.0),
        radar(t, 0.0, 10.0, 1.0, 5.0, 1.0, 1.0),
        radar(t, 1_000.0, 10.0, 120.0, 5.0, 1.0, 1.0),
        radar(t, 1_000.0, 10.0, 1.0, 0.0, 0.0, 0.0),
        radar(t, 1e300, 10.0, 1.0, 5.0, 1.0, 1.0),
    ];
    let mut nan_vel = ok.clone();
    nan_vel.side.reported_velocity_enu_mps = Some([f64::NAN, 0.0, 0.0]);
    v.push(nan_vel);
    let mut nan_hint = ok.clone();
    nan_hint.class_hint = Some(ClassHint {
        class: TargetClass::Drone,
        confidence: f32::NAN,
    });
    v.push(nan_hint);
    let mut inf_operator = ok;
    inf_operator.side.operator_position = Some(GeoPoint::new(f64::INFINITY, 0.0, 0.0));
    v.push(inf_operator);
    v
}

#[test]
fn every_invalid_observation_is_rejected_and_counted() {
    let mut tr = tracker();
    let bad = invalid(0.0);
    let out = tr.step(&bad, at(0.0));
    assert!(out.is_empty(), "{out:#?}");
    assert_eq!(tr.stats().observations_rejected, bad.len() as u64);
    assert_eq!(
        tr.stats().observations_used + tr.stats().observations_unassociated,
        0
    );
}

#[test]
fn hostile_stream_never_panics_and_never_emits_a_non_finite_track() {
    let mut tr = tracker();
    let mut rng = Rng::new(666);
    let mut outputs = Vec::new();
    for k in 0..60 {
        let s = k as f64 * 0.5;
        let mut obs = invalid(s);
        // A genuine target, so some tracks live through the abuse.
        obs.push(pos_obs("radar", s, [10.0 * s, 0.0, 80.0], 3.0, 3.0));
        // Huge jumps: the same "target" alternating across the site and far away.
        let jump = if k % 2 == 0 {
            [0.0, 0.0, 0.0]
        } else {
            [3.0e6, -2.0e6, 5.0e4]
        };
        obs.push(pos_obs("jumpy", s, jump, 5.0, 5.0));
        // Duplicate timestamps: the same report three times, and near-copies.
        let dup = pos_obs("dup", s, [700.0, 700.0, 50.0], 5.0, 5.0);
        obs.extend([dup.clone(), dup.clone(), dup]);
        obs.push(pos_obs("dup", s, [700.5, 700.0, 50.0], 5.0, 5.0));
        // Tiny but valid noise, absurd but finite velocities and confidences.
        obs.push(pos_obs("tiny", s, [-400.0, 300.0, 20.0], 1e-9, 1e-9));
        let mut fast = pos_obs("fast", s, [rng.range(-1e4, 1e4), 0.0, 100.0], 5.0, 5.0);
        fast.side.reported_velocity_enu_mps = Some([1e300, -1e300, 0.0]);
        fast.class_hint = Some(ClassHint {
            class: TargetClass::Bird,
            confidence: 7.5,
        });
        obs.push(fast);
        // Timestamps at the ends of the representable range.
        let mut ancient = pos_obs("clock", s, [0.0, 0.0, 80.0], 5.0, 5.0);
        ancient.time = Timestamp::from_micros(i64::MIN);
        let mut doom = ancient.clone();
        doom.time = Timestamp::from_micros(i64::MAX);
        obs.extend([ancient, doom]);
        rng.shuffle(&mut obs);
        let now = if k == 30 {
            Timestamp::from_micros(i64::MIN)
        } else {
            at(s)
        };
        outputs.extend(tr.step(&obs, now));
        outputs.extend(tr.tracks());
    }
    assert!(!outputs.is_empty());
    for t in &outputs {
        assert!(all_finite(t), "non-finite track {t:#?}");
        assert!(t.sigma_horizontal_m >= 0.0);
        if let Some(h) = t.class_hint {
            assert!((0.0..=1.0).contains(&h.confidence), "{h:?}");
        }
    }
    // The genuine target is tracked throughout.
    let live = tr.tracks();
    let target = nearest(&live, [295.0, 0.0, 80.0]).expect("genuine target tracked");
    assert_eq!(target.status, TrackStatus::Confirmed);
    assert!(dist_m(&target.position_enu, [295.0, 0.0, 80.0]) < 10.0);
    // Exact duplicates are dropped, never a twin track.
    let dup_tracks = live
        .iter()
        .filter(|t| t.sensors == [SensorId::from("dup")])
        .count();
    assert!(
        dup_tracks <= 2,
        "{dup_tracks} tracks from one duplicated report"
    );
}

#[test]
fn invalid_config_values_fall_back_to_defaults() {
    let cfg = TrackerConfig {
        gate_chi2: f64::NAN,
        process_noise_accel_mps2: -3.0,
        confirm_hits: 0,
        confirm_window: 0,
        max_coast_tentative_s: f64::INFINITY,
        max_coast_confirmed_s: 0.0,
        max_sigma_horizontal_m: -1.0,
        initial_speed_sigma_mps: f64::NAN,
        ..TrackerConfig::default()
    };
    assert!(cfg.validate().is_err());
    let mut tr = Tracker::new(frame(), cfg);
    assert_eq!(*tr.config(), TrackerConfig::default());
    let out = tr.step(
        &[pos_obs("radar", 0.0, [0.0, 0.0, 10.0], 3.0, 3.0)],
        at(0.0),
    );
    assert_eq!(out.len(), 1);
    assert!(all_finite(&out[0]));
}

#[test]
fn a_flood_of_reports_is_capped_at_the_live_track_limit() {
    let mut tr = tracker();
    let extra = 50;
    let obs: Vec<_> = (0..picket_fusion::MAX_LIVE_TRACKS + extra)
        .map(|i| {
            let p = [(i % 100) as f64 * 100.0, (i / 100) as f64 * 100.0, 50.0];
            pos_obs("flood", 0.0, p, 3.0, 3.0)
        })
        .collect();
    tr.step(&obs, at(0.0));
    assert_eq!(tr.tracks().len(), picket_fusion::MAX_LIVE_TRACKS);
    assert_eq!(tr.stats().observations_rejected, extra as u64);
    // Once the flood's tracks die, new tracks can start again.
    let out = tr.step(
        &[pos_obs("radar", 5.0, [0.0, 0.0, 10.0], 3.0, 3.0)],
        at(5.0),
    );
    assert_eq!(tr.tracks().len(), 1);
    assert!(out.iter().any(|t| t.status == TrackStatus::Tentative));
}
