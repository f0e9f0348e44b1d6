//! Out-of-sequence measurements: late reports update the track they belong to without
//! corrupting it.

use crate::*;

/// A drone flying a slow curve; a radar fix every second (σ 5 m) and a Remote ID fix half a
/// second after each (σ 4 m). Returns (time of validity, sensor, position, σ).
fn reports() -> Vec<(f64, &'static str, [f64; 3], f64)> {
    let mut rng = Rng::new(31);
    let truth = |s: f64| [200.0 + 14.0 * s, -100.0 + 6.0 * s + 0.05 * s * s, 90.0];
    let mut out = Vec::new();
    for k in 0..40 {
        let s = k as f64;
        out.push((s, "radar", noisy(&mut rng, truth(s), 5.0, 5.0), 5.0));
        let r = s + 0.5;
        out.push((r, "rid-1", noisy(&mut rng, truth(r), 4.0, 4.0), 4.0));
    }
    out
}

fn obs(r: &(f64, &'static str, [f64; 3], f64)) -> Observation {
    pos_obs(r.1, r.0, r.2, r.3, r.3)
}

#[test]
fn remote_id_arriving_late_gives_nearly_the_in_order_track() {
    let mut all = reports();
    // The last Remote ID fix would still be held back in the late run: leave it out of both.
    all.pop();
    // In order: every report in a call at its own time.
    let mut in_order = tracker();
    for r in &all {
        in_order.step(&[obs(r)], at(r.0));
    }
    // Late: radar fixes on time; each Remote ID fix only after the next radar fix, so it is
    // half a second older than the track's last update when it arrives.
    let mut late = tracker();
    let mut held: Vec<Observation> = Vec::new();
    let mut last_time = None;
    for r in &all {
        if r.1 == "rid-1" {
            held.push(obs(r));
            continue;
        }
        let mut batch = vec![obs(r)];
        // The radar fix is processed first (time order), then the held fix as late data.
        late.step(&batch, at(r.0));
        batch.clear();
        let out = late.step(&held, at(r.0));
        held.clear();
        let t = late.tracks();
        assert_eq!(t.len(), 1, "a late report started a second track: {t:#?}");
        if let Some(prev) = last_time {
            assert!(t[0].time >= prev, "track time went backwards");
        }
        last_time = Some(t[0].time);
        assert!(out.iter().all(all_finite));
    }
    let a = &in_order.tracks()[0];
    let b = &late.tracks()[0];
    assert_eq!(a.time, b.time);
    assert_eq!(a.hits, b.hits);
    assert_eq!(a.hits, 79);
    let gap = a.position_enu.horizontal_distance_m(&b.position_enu);
    assert!(
        gap < 0.5 * a.sigma_horizontal_m.max(b.sigma_horizontal_m) + 1.0,
        "in-order and late estimates {gap:.2} m apart (σ {:.2} m)",
        a.sigma_horizontal_m
    );
    // Late data still informs the track: it is tighter than radar alone would make it.
    let mut radar_only = tracker();
    for r in all.iter().filter(|r| r.1 == "radar") {
        radar_only.step(&[obs(r)], at(r.0));
    }
    assert!(b.sigma_horizontal_m < radar_only.tracks()[0].sigma_horizontal_m);
}
