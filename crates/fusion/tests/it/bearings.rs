//! Bearing-only sensors: triangulation starts tracks, bearings update them, a lone bearing
//! starts nothing.

use crate::*;

/// A direction finder at site-ENU `pos` reporting the compass bearing of `target`, plus `noise_deg`.
fn bearing_obs(
    sensor: &str,
    pos: [f64; 3],
    t_s: f64,
    target: [f64; 3],
    noise_deg: f64,
) -> Observation {
    let f = frame();
    let sensor_geo = f.to_geo(&Enu::new(pos[0], pos[1], pos[2]));
    // The bearing as the sensor measures it: in its own local frame.
    let local =
        LocalFrame::new(sensor_geo).to_enu(&f.to_geo(&Enu::new(target[0], target[1], target[2])));
    Observation {
        sensor_id: SensorId::from(sensor),
        time: at(t_s),
        measurement: Measurement::Bearing {
            sensor_position: sensor_geo,
            bearing_deg: Enu::default().bearing_to_deg(&local) + noise_deg,
            sigma_bearing_deg: 1.0,
        },
        identity: None,
        class_hint: None,
        side: Default::default(),
    }
}

const DF_A: [f64; 3] = [0.0, 0.0, 10.0];
const DF_B: [f64; 3] = [2_500.0, -300.0, 10.0];

fn drone(s: f64) -> [f64; 3] {
    [600.0 + 8.0 * s, 1_800.0 - 5.0 * s, 120.0]
}

#[test]
fn two_direction_finders_triangulate_a_drone_and_track_it() {
    let mut tr = tracker();
    let mut rng = Rng::new(4);
    let mut sum_sq = 0.0;
    for k in 0..30 {
        let s = k as f64;
        let obs = [
            bearing_obs("df-a", DF_A, s, drone(s), rng.gauss()),
            bearing_obs("df-b", DF_B, s + 0.2, drone(s + 0.2), rng.gauss()),
        ];
        tr.step(&obs, at(s + 0.2));
        if k >= 10 {
            let live = tr.tracks();
            assert_eq!(live.len(), 1, "k={k}: {live:#?}");
            let p = drone(s + 0.2);
            sum_sq += live[0]
                .position_enu
                .horizontal_distance_m(&Enu::new(p[0], p[1], 0.0))
                .powi(2);
        }
    }
    let live = tr.tracks();
    let t = &live[0];
    assert_eq!(t.status, TrackStatus::Confirmed);
    assert_eq!(t.sensors, [SensorId::from("df-a"), SensorId::from("df-b")]);
    // The first pair starts the track; every later bearing updates it.
    assert_eq!(t.hits, 60);
    // One 1° fix from 1.9 and 2.7 km is good to 33 and 47 m across the two rays; the filter,
    // tuned for agile drones, stays below that and within its own σ.
    let rms = (sum_sq / 20.0).sqrt();
    let sigma = t.sigma_horizontal_m;
    assert!(
        rms < 40.0,
        "horizontal RMS error {rms:.1} m (σ now {sigma:.1} m)"
    );
    assert!(
        rms < 1.5 * sigma,
        "RMS {rms:.1} m against a claimed σ of {sigma:.1} m"
    );
}

#[test]
fn bearings_refine_a_radar_track_instead_of_starting_new_ones() {
    let mut tr = tracker();
    let mut rng = Rng::new(9);
    for k in 0..20 {
        let s = k as f64;
        // A coarse position source (30 m σ) and a sharp direction finder.
        let mut obs = vec![pos_obs(
            "radar",
            s,
            noisy(&mut rng, drone(s), 30.0, 30.0),
            30.0,
            30.0,
        )];
        obs.push(bearing_obs(
            "df-a",
            DF_A,
            s + 0.5,
            drone(s + 0.5),
            0.2 * rng.gauss(),
        ));
        tr.step(&obs, at(s + 0.5));
    }
    let live = tr.tracks();
    assert_eq!(
        live.len(),
        1,
        "a bearing started a track of its own: {live:#?}"
    );
    assert_eq!(live[0].hits, 40);
    assert!(live[0].sensors.contains(&SensorId::from("df-a")));
}

#[test]
fn a_lone_bearing_starts_no_track_and_is_refused_when_it_expires() {
    let mut tr = tracker();
    let out = tr.step(&[bearing_obs("df-a", DF_A, 0.0, drone(0.0), 0.0)], at(0.0));
    assert!(out.is_empty());
    assert!(tr.tracks().is_empty());
    assert_eq!(
        tr.stats().observations_rejected,
        0,
        "still waiting for a partner"
    );
    tr.step(&[], at(picket_fusion::BEARING_PAIRING_WINDOW_S + 0.1));
    assert_eq!(tr.stats().observations_rejected, 1);
    // Two bearings of one sensor never triangulate with each other.
    let mut tr = tracker();
    tr.step(
        &[
            bearing_obs("df-a", DF_A, 0.0, drone(0.0), 0.0),
            bearing_obs("df-a", DF_A, 0.5, [-900.0, 1_000.0, 50.0], 0.0),
        ],
        at(0.5),
    );
    assert!(tr.tracks().is_empty());
}

#[test]
fn bearings_whose_rays_do_not_cross_start_no_track() {
    let mut tr = tracker();
    // Both finders look due north: parallel rays.
    let north_of = |p: [f64; 3]| [p[0], p[1] + 1_000.0, 50.0];
    tr.step(
        &[
            bearing_obs("df-a", DF_A, 0.0, north_of(DF_A), 0.0),
            bearing_obs("df-b", DF_B, 0.0, north_of(DF_B), 0.0),
        ],
        at(0.0),
    );
    assert!(tr.tracks().is_empty());
}
