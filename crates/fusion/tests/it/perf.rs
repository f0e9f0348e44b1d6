//! Throughput: 200 targets per scan.

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
