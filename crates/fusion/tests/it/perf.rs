//! Throughput: 200 targets per scan; a step bringing thousands of new targets at once.

use crate::*;
use std::time::Instant;

#[test]
fn two_hundred_targets_per_scan_stay_within_budget() {
    let mut tr = tracker();
    let mut rng = Rng::new(8);
    // A 20 × 10 grid, 150 m apart, all moving; plus the starting positions jittered.
    let targets: Vec<([f64; 3], [f64; 3])> = (0..200)
        .map(|i| {
            let p = [
                (i % 20) as f64 * 150.0 - 1_500.0 + rng.range(-20.0, 20.0),
                (i / 20) as f64 * 150.0 - 750.0 + rng.range(-20.0, 20.0),
                rng.range(30.0, 300.0),
            ];
            let v = [rng.range(-15.0, 15.0), rng.range(-15.0, 15.0), 0.0];
            (p, v)
        })
        .collect();
    let scans = 30;
    let mut per_scan_s = Vec::new();
    for k in 0..scans {
        let s = k as f64;
        let obs: Vec<_> = targets
            .iter()
            .map(|(p, v)| {
                let truth = [p[0] + v[0] * s, p[1] + v[1] * s, p[2]];
                pos_obs("radar", s, noisy(&mut rng, truth, 3.0, 5.0), 3.0, 5.0)
            })
            .collect();
        let start = Instant::now();
        let out = tr.step(&obs, at(s));
        per_scan_s.push(start.elapsed().as_secs_f64());
        assert_eq!(out.len(), 200, "scan {k}");
    }
    assert_eq!(tr.tracks().len(), 200);
    assert!(tr.tracks().iter().all(|t| t.hits == scans));
    // Median of the scans after the tracks exist, so one descheduling does not fail the test.
    let mut steady = per_scan_s[3..].to_vec();
    steady.sort_by(f64::total_cmp);
    let median_ms = steady[steady.len() / 2] * 1e3;
    // Release builds must meet the 5 ms budget. Unoptimised nalgebra is ~100× slower with the
    // three IMM models (~90 ms alone on the 2-core machine, twice that beside the other tests):
    // there the bound only catches a blow-up.
    let budget_ms = if cfg!(debug_assertions) { 400.0 } else { 5.0 };
    eprintln!("200 targets: median {median_ms:.2} ms per scan (budget {budget_ms} ms)");
    assert!(median_ms < budget_ms, "median {median_ms} ms per scan");
}

/// Seconds for two steps of `n` targets on a grid 400 m apart, every report at its own time
/// (one scan each, as Remote ID messages and radar plots are): the first starts every track,
/// the second updates each. Checks the outcome too: one track per target, each hit twice.
fn flood_s(n: usize, identified: bool) -> f64 {
    let side = (n as f64).sqrt().ceil() as usize;
    let report = |i: usize, step: usize| {
        let t_s = step as f64 + i as f64 / n as f64;
        let p = [
            (i % side) as f64 * 400.0 + 2.0 * t_s,
            (i / side) as f64 * 400.0 - 3.0 * t_s,
            120.0,
        ];
        if identified {
            rid_obs("rid-rx", t_s, p, &format!("1596F{i:015}"))
        } else {
            pos_obs("radar", t_s, p, 5.0, 8.0)
        }
    };
    let mut tr = tracker();
    let start = Instant::now();
    for step in 0..2 {
        let obs: Vec<_> = (0..n).map(|i| report(i, step)).collect();
        tr.step(&obs, at(step as f64 + 1.0));
    }
    let elapsed_s = start.elapsed().as_secs_f64();
    let tracks = tr.tracks();
    assert_eq!(tracks.len(), n, "{n} targets, identified {identified}");
    assert!(
        tracks.iter().all(|t| t.hits == 2),
        "{n} targets, identified {identified}"
    );
    elapsed_s
}

#[test]
fn a_step_of_thousands_of_new_targets_costs_about_linear_time() {
    // Visiting every track for every one-report scan made this quadratic: 16× the time for
    // 4× the targets (over 30 s for 1000 in a debug build). The best of two runs, so one
    // descheduling does not fail the test.
    for identified in [true, false] {
        let best = |n| {
            (0..2)
                .map(|_| flood_s(n, identified))
                .fold(f64::MAX, f64::min)
        };
        let (small_s, large_s) = (best(500), best(2_000));
        let ratio = large_s / small_s;
        eprintln!(
            "identified {identified}: 500 targets {:.0} ms, 2000 targets {:.0} ms, ratio {ratio:.1}",
            small_s * 1e3,
            large_s * 1e3
        );
        assert!(ratio < 8.0, "identified {identified}: ratio {ratio:.1}");
    }
}
