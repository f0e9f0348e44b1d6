//! Cost of one `Tracker::step` that brings many new targets at once (a Remote ID queue
//! draining, or a flood of forged Remote ID identities), then of the steps that follow with the
//! same targets. `cargo bench -p picket-fusion`.
//!
//! Cases: `rid` — each report a distinct Remote ID serial; `anon` — no identity; `spread` —
//! targets over a 10 km square; `dense` — all inside a 200 m square; `churn` — over a 10 km
//! square, but every step brings new targets and the old ones fall silent (their tracks coast
//! out and are deleted one by one); `stagger` — every report at its own time within the second
//! (each is a scan of its own, as Remote ID messages and radar plots are); `sync` — all reports
//! of a step at one time (one scan). First a one-shot table (ms for the first step, then each
//! further step), then criterion's measurements of the first and of the last step.

use criterion::{black_box, BatchSize, Criterion};
use picket_core::{
    Enu, GeoPoint, Identity, LocalFrame, Measurement, Observation, SensorId, Timestamp,
};
use picket_fusion::{Tracker, TrackerConfig};
use std::time::{Duration, Instant};

const T0_S: f64 = 1_790_000_000.0;
/// Steps measured after the first.
const FURTHER_STEPS: usize = 5;

#[derive(Clone, Copy)]
struct Case {
    n: usize,
    identified: bool,
    half_width_m: f64,
    staggered: bool,
    churn: bool,
}

impl Case {
    fn name(&self) -> String {
        format!(
            "{}_{}_{}_{}",
            if self.identified { "rid" } else { "anon" },
            if self.churn {
                "churn"
            } else if self.half_width_m > 1_000.0 {
                "spread"
            } else {
                "dense"
            },
            if self.staggered { "stagger" } else { "sync" },
            self.n
        )
    }
}

/// SplitMix64, so every run sees the same targets.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

fn frame() -> LocalFrame {
    LocalFrame::new(GeoPoint::new(31.34, -109.95, 1_400.0))
}

fn at(s: f64) -> Timestamp {
    Timestamp::from_secs_f64(T0_S + s)
}

/// The observations of steps 0..=FURTHER_STEPS; step k covers data time [k, k + 1) s.
fn scenario(case: Case) -> Vec<Vec<Observation>> {
    let f = frame();
    let mut rng = Rng(0x5eed ^ case.n as u64);
    let w = case.half_width_m;
    // With churn, step k reports its own generation of targets.
    let generations = if case.churn { FURTHER_STEPS + 1 } else { 1 };
    let targets: Vec<([f64; 3], [f64; 2])> = (0..case.n * generations)
        .map(|_| {
            let p = [rng.range(-w, w), rng.range(-w, w), rng.range(30.0, 300.0)];
            let v = [rng.range(-15.0, 15.0), rng.range(-15.0, 15.0)];
            (p, v)
        })
        .collect();
    (0..=FURTHER_STEPS)
        .map(|k| {
            let first = if case.churn { k * case.n } else { 0 };
            targets[first..first + case.n]
                .iter()
                .enumerate()
                .map(|(i, (p, v))| {
                    let offset_s = if case.staggered {
                        i as f64 / case.n as f64
                    } else {
                        0.0
                    };
                    let t_s = k as f64 + offset_s;
                    let noise = [rng.range(-3.0, 3.0), rng.range(-3.0, 3.0)];
                    let enu = Enu::new(
                        p[0] + v[0] * t_s + noise[0],
                        p[1] + v[1] * t_s + noise[1],
                        p[2],
                    );
                    Observation {
                        sensor_id: SensorId::from(if case.identified { "rid-rx" } else { "radar" }),
                        time: at(t_s),
                        measurement: Measurement::position(f.to_geo(&enu), 5.0, 8.0),
                        identity: case
                            .identified
                            .then(|| Identity::RemoteId(format!("1596F{:015}", first + i))),
                        class_hint: None,
                        side: Default::default(),
                    }
                })
                .collect()
        })
        .collect()
}

fn now_of(step: usize) -> Timestamp {
    at(step as f64 + 1.0)
}

/// Runs every step once: ms of the first, ms of each further one, and tracks live at the end.
fn one_shot(case: Case) -> (f64, Vec<f64>, usize) {
    let steps = scenario(case);
    let mut tr = Tracker::new(frame(), TrackerConfig::default());
    let mut ms = Vec::new();
    for (k, obs) in steps.iter().enumerate() {
        let start = Instant::now();
        black_box(tr.step(obs, now_of(k)));
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    (ms[0], ms[1..].to_vec(), tr.tracks().len())
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for n in [1_000, 5_000] {
        for identified in [true, false] {
            for staggered in [true, false] {
                out.push(Case {
                    n,
                    identified,
                    half_width_m: 5_000.0,
                    staggered,
                    churn: false,
                });
            }
        }
    }
    for identified in [true, false] {
        for staggered in [true, false] {
            out.push(Case {
                n: 1_000,
                identified,
                half_width_m: 100.0,
                staggered,
                churn: false,
            });
        }
    }
    for n in [1_000, 5_000] {
        for identified in [true, false] {
            out.push(Case {
                n,
                identified,
                half_width_m: 5_000.0,
                staggered: true,
                churn: true,
            });
        }
    }
    out
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    // The table honours a plain-substring filter given like criterion's (`-- rid_spread`).
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let selected = |case: &Case| {
        filter
            .as_ref()
            .is_none_or(|f| case.name().contains(f.as_str()))
    };
    eprintln!("case                     first step ms   further steps ms              live tracks");
    for case in cases().into_iter().filter(|c| selected(c)) {
        let (first, further, live) = one_shot(case);
        let further: Vec<String> = further.iter().map(|m| format!("{m:.1}")).collect();
        eprintln!(
            "{:<24} {first:>13.1}   {:<28}{live:>11}",
            case.name(),
            further.join(" ")
        );
    }

    let mut g = c.benchmark_group("fusion_flood");
    for case in cases().into_iter().filter(|c| selected(c)) {
        let steps = scenario(case);
        let fresh = Tracker::new(frame(), TrackerConfig::default());
        g.bench_function(format!("{}/first_step", case.name()), |b| {
            b.iter_batched(
                || fresh.clone(),
                |mut tr| tr.step(black_box(&steps[0]), now_of(0)),
                BatchSize::LargeInput,
            )
        });
        let mut before_last = fresh.clone();
        for (k, obs) in steps[..FURTHER_STEPS].iter().enumerate() {
            before_last.step(obs, now_of(k));
        }
        g.bench_function(format!("{}/last_step", case.name()), |b| {
            b.iter_batched(
                || before_last.clone(),
                |mut tr| tr.step(black_box(&steps[FURTHER_STEPS]), now_of(FURTHER_STEPS)),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
    c.final_summary();
}
