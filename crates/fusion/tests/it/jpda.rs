//! Joint probabilistic data association, the option for dense clutter.

use crate::*;

fn jpda_config() -> TrackerConfig {
    TrackerConfig {
        jpda: true,
        detection_probability: 0.9,
        // 10 false reports in the 4 km² around the target, per scan.
        clutter_density_per_km2: 2.5,
        process_noise_accel_mps2: 0.5,
        ..TrackerConfig::default()
    }
}

/// A target crossing a patch of dense clutter, seen 9 scans in 10; returns the RMS error of
/// the track nearest the target over the last 30 scans and the number of confirmed tracks at
/// the end.
fn run_in_clutter(cfg: TrackerConfig, seed: u64) -> (f64, usize) {
    let mut tr = Tracker::new(frame(), cfg);
    let mut rng = Rng::new(seed);
    let truth = |s: f64| [-600.0 + 20.0 * s, 300.0 - 8.0 * s, 100.0];
    let mut sum = 0.0;
    for k in 0..60 {
        let s = k as f64;
        let mut obs = Vec::new();
        if k % 10 != 7 {
            obs.push(pos_obs(
                "radar",
                s,
                noisy(&mut rng, truth(s), 15.0, 15.0),
                15.0,
                15.0,
            ));
        }
        for _ in 0..10 {
            let p = [
                rng.range(-1_000.0, 1_000.0),
                rng.range(-1_000.0, 1_000.0),
                100.0,
            ];
            obs.push(pos_obs("radar", s, p, 15.0, 15.0));
        }
        tr.step(&obs, at(s));
        if k >= 30 {
            let live = tr.tracks();
            let near = nearest(&live, truth(s)).expect("a track");
            sum += dist_m(&near.position_enu, truth(s)).powi(2);
        }
    }
    let confirmed = tr
        .tracks()
        .iter()
        .filter(|t| t.status == TrackStatus::Confirmed)
        .count();
    ((sum / 30.0).sqrt(), confirmed)
}

#[test]
fn jpda_holds_a_target_in_dense_clutter_at_least_as_well_as_nearest_neighbour() {
    let gnn_config = TrackerConfig {
        jpda: false,
        ..jpda_config()
    };
    for seed in 1..=3 {
        let (rms, confirmed) = run_in_clutter(jpda_config(), seed);
        let (gnn_rms, gnn_confirmed) = run_in_clutter(gnn_config, seed);
        eprintln!(
            "seed {seed}: JPDA RMS {rms:.1} m, {confirmed} confirmed; \
             GNN RMS {gnn_rms:.1} m, {gnn_confirmed} confirmed"
        );
        // Reports are 15 m σ per axis.
        assert!(rms < 20.0, "seed {seed}: RMS {rms:.1} m");
        assert!(
            rms <= 1.1 * gnn_rms,
            "seed {seed}: JPDA {rms:.1} m, GNN {gnn_rms:.1} m"
        );
        assert!(
            confirmed <= gnn_confirmed,
            "seed {seed}: {confirmed} vs {gnn_confirmed}"
        );
    }
}

#[test]
fn jpda_on_a_clean_target_matches_nearest_neighbour_closely() {
    let run = |cfg: TrackerConfig| {
        let mut tr = Tracker::new(frame(), cfg);
        let mut rng = Rng::new(12);
        let mut last = None;
        for k in 0..30 {
            let s = k as f64;
            let p = noisy(&mut rng, [100.0 + 9.0 * s, -50.0, 60.0], 4.0, 4.0);
            last = tr.step(&[pos_obs("radar", s, p, 4.0, 4.0)], at(s)).pop();
        }
        last.expect("a track")
    };
    let gnn = run(TrackerConfig {
        jpda: false,
        ..jpda_config()
    });
    // With no clutter around, the one report is the target's with near certainty.
    let jpda = run(TrackerConfig {
        clutter_density_per_km2: 1.0e-3,
        ..jpda_config()
    });
    assert_eq!(jpda.hits, gnn.hits);
    // The estimates differ only through the motion models' weights (JPDA weighs them by the
    // horizontal likelihood): centimetres against 4 m report noise.
    let gap = jpda.position_enu.distance_m(&gnn.position_enu);
    assert!(gap < 0.25, "JPDA and GNN {gap:.3} m apart");
}

#[test]
fn jpda_tracker_stays_deterministic_under_shuffling() {
    let make = || {
        let mut rng = Rng::new(5);
        (0..20)
            .map(|k| {
                let s = k as f64;
                let mut obs: Vec<Observation> = (0..4)
                    .map(|i| {
                        let p = [i as f64 * 60.0 + 10.0 * s, 0.0, 80.0];
                        pos_obs("radar", s, noisy(&mut rng, p, 10.0, 10.0), 10.0, 10.0)
                    })
                    .collect();
                obs.push(pos_obs(
                    "radar",
                    s,
                    [rng.range(0.0, 400.0), 5.0, 80.0],
                    10.0,
                    10.0,
                ));
                obs
            })
            .collect::<Vec<_>>()
    };
    let run = |batches: &[Vec<Observation>]| {
        let mut tr = Tracker::new(frame(), jpda_config());
        let mut log = String::new();
        for (k, b) in batches.iter().enumerate() {
            log.push_str(&format!("{:?}\n", tr.step(b, at(k as f64))));
        }
        log
    };
    let batches = make();
    let mut shuffled = batches.clone();
    let mut rng = Rng::new(77);
    for b in &mut shuffled {
        rng.shuffle(b);
    }
    let a = run(&batches);
    assert!(a.contains("Confirmed"));
    assert_eq!(a, run(&shuffled));
}
