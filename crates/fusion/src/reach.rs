//! Cheap, conservative bounds that let a scan skip the tracks it cannot touch.
//!
//! Predicting a track (three IMM models) costs far more than deciding that it cannot gate
//! with any report of a scan. When reports arrive one per scan (Remote ID messages and radar
//! plots each carry their own time), predicting every track for every scan made a step with N
//! new targets cost O(N²) predictions. These bounds are never tighter than the exact tests
//! they stand in front of, so the tracker's results do not change.

use crate::kalman::KfState;
use picket_core::{Timestamp, TrackId};
use std::collections::HashMap;

/// Relative margin on every bound, far above the rounding of the exact computations.
const REL_MARGIN: f64 = 1.0e-6;

/// Where a track's prediction can be, and how wide its gate can grow, for a scan `dt` seconds
/// after (or before) the estimate, without predicting it.
///
/// Each model's mixed mean is a convex combination of the models' means, so it lies within
/// `r_pos` of the estimate's position (its velocity within `r_vel` of the estimate's), and
/// the mixed covariance's position trace is at most the largest model's plus `r_pos²`
/// (likewise for velocity). A model's motion moves a position by `A·v` with `‖A‖ ≤ dt` (a
/// coordinated turn's chord is no longer than its arc), and `A` differs from the straight
/// line's `dt·I` by at most `ω·dt²/2`. So model `j`'s predicted mean lies within
/// `e_j = r_pos + |dt|·r_vel + ω_j·dt²·|v|/2` of the estimate extrapolated straight along its
/// velocity (late data is retrodicted exactly along it), the combined mean within
/// `Σ μ'_j e_j`, and the combined covariance's position trace is at most
/// `(σp + |dt|·σv)² + q_max·|dt|³ + Σ μ'_j e_j²` (Minkowski's inequality on `pos + A·vel`, plus
/// the spread of the models' means about that point), with `μ'` the models' predicted
/// probabilities, of which only the turning share is bounded here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Reach {
    /// East and north position of the estimate, m.
    pos: [f64; 2],
    /// East and north velocity of the estimate, m/s.
    vel: [f64; 2],
    /// Horizontal speed of the estimate, m/s.
    speed_mps: f64,
    /// Largest distance of a model's position from the estimate's (3-D), m.
    r_pos_m: f64,
    /// Largest distance of a model's velocity from the estimate's (3-D), m/s.
    r_vel_mps: f64,
    /// √(largest trace of a position covariance + r_pos²), m.
    sigma_pos_m: f64,
    /// √(largest trace of a velocity covariance + r_vel²), m/s.
    sigma_vel_mps: f64,
    /// Probability of the straight (constant-velocity) model, the first.
    mu_straight: f64,
}

/// What the motion models allow: the largest white-acceleration density, m²/s³, and turn
/// rate, rad/s; how many models there are and the rate of leaving one, 1/s.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Motion {
    pub q_max: f64,
    pub turn_max_rad_s: f64,
    pub models: usize,
    pub switch_per_s: f64,
}

/// The east/north box holding a scan's reports, and the largest trace of their covariances.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Area {
    pub lo: [f64; 2],
    pub hi: [f64; 2],
    pub max_trace_r_m2: f64,
}

/// Absolute slack on every radius, metres, beyond the relative margins.
const SLACK_M: f64 = 0.01;

impl Area {
    /// Magnitude of its coordinates (for rounding slack).
    fn scale(&self) -> f64 {
        self.lo
            .iter()
            .chain(&self.hi)
            .fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// The east/north box around the reports that a track's [`Reach::gate_box`] must meet for
    /// [`Reach::may_gate`] to hold.
    pub fn query_box(&self, gate_chi2: f64) -> ([f64; 2], [f64; 2]) {
        let r = (gate_chi2 * self.max_trace_r_m2 * (1.0 + REL_MARGIN)).sqrt()
            + self.scale() * 1.0e-9
            + SLACK_M;
        (
            [self.lo[0] - r, self.lo[1] - r],
            [self.hi[0] + r, self.hi[1] + r],
        )
    }

    /// The area of reports at `points` (east, north) with covariance traces `traces`.
    pub fn of(points: impl Iterator<Item = ([f64; 2], f64)>) -> Area {
        let mut a = Area {
            lo: [f64::INFINITY; 2],
            hi: [f64::NEG_INFINITY; 2],
            max_trace_r_m2: 0.0,
        };
        for (p, trace) in points {
            for ((lo, hi), v) in a.lo.iter_mut().zip(a.hi.iter_mut()).zip(p) {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
            a.max_trace_r_m2 = a.max_trace_r_m2.max(trace);
        }
        a
    }
}

impl Reach {
    /// The reach of a track with combined estimate `kf`, motion models `models` and the
    /// probability `mu_straight` of the first (straight) one.
    pub fn of(kf: &KfState, models: &[KfState], mu_straight: f64) -> Reach {
        let (mut r_pos, mut r_vel, mut trace_p, mut trace_v) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for s in std::iter::once(kf).chain(models) {
            let d = s.x - kf.x;
            r_pos = r_pos.max(d.fixed_rows::<3>(0).norm());
            r_vel = r_vel.max(d.fixed_rows::<3>(3).norm());
            trace_p = trace_p.max(s.p[(0, 0)] + s.p[(1, 1)] + s.p[(2, 2)]);
            trace_v = trace_v.max(s.p[(3, 3)] + s.p[(4, 4)] + s.p[(5, 5)]);
        }
        Reach {
            pos: [kf.x[0], kf.x[1]],
            vel: [kf.x[3], kf.x[4]],
            speed_mps: kf.x[3].hypot(kf.x[4]),
            r_pos_m: r_pos,
            r_vel_mps: r_vel,
            sigma_pos_m: (trace_p + r_pos * r_pos).sqrt(),
            sigma_vel_mps: (trace_v + r_vel * r_vel).sqrt(),
            mu_straight,
        }
    }

    /// The estimate's east/north position extrapolated `dt_s` along its velocity.
    fn centre(&self, dt_s: f64) -> [f64; 2] {
        [
            self.pos[0] + dt_s * self.vel[0],
            self.pos[1] + dt_s * self.vel[1],
        ]
    }

    /// At least the turning models' share of the probability predicted `dt_s` ahead.
    fn turn_share(&self, dt_s: f64, motion: &Motion) -> f64 {
        if motion.models <= 1 {
            return 0.0;
        }
        let stay = (-motion.switch_per_s * dt_s.max(0.0)).exp();
        let to_each = (1.0 - stay) / (motion.models - 1) as f64;
        let straight = stay * self.mu_straight + to_each * (1.0 - self.mu_straight);
        // The margin covers the flooring and renormalising of the probabilities.
        let share = 1.0 - straight + 1.0e-5;
        if share >= 0.0 {
            share.min(1.0)
        } else {
            1.0
        }
    }

    /// How far from `centre` the predicted mean can be, m, and a bound on the trace of the
    /// predicted position covariance, m², at most `d_s` seconds away (either way) with at
    /// most `turn_share` of the probability on turning models.
    fn growth(&self, d_s: f64, turn_share: f64, motion: &Motion) -> (f64, f64) {
        let d_s = d_s.abs();
        let straight = self.r_pos_m + d_s * self.r_vel_mps;
        let turning = straight + 0.5 * motion.turn_max_rad_s * d_s * d_s * self.speed_mps;
        let off = straight + turn_share * (turning - straight);
        let spread2 = straight * straight + turn_share * (turning * turning - straight * straight);
        let pos = self.sigma_pos_m + d_s * self.sigma_vel_mps;
        let trace = pos * pos + motion.q_max * d_s * d_s * d_s + spread2;
        (off, trace)
    }

    /// Magnitude of the coordinates that enter the bound (for its rounding slack).
    fn scale(&self, d_s: f64) -> f64 {
        let moved = d_s.abs() * (self.vel[0].abs() + self.vel[1].abs());
        self.pos[0].abs() + self.pos[1].abs() + moved
    }

    /// False only when no report in `area` can pass the gate `gate_chi2` of this track
    /// predicted (or retrodicted) `dt_s` seconds away: the exact test passes only when
    /// `|y|² ≤ gate · (trace S + trace R)`. NaN anywhere makes it true.
    pub fn may_gate(&self, dt_s: f64, motion: &Motion, gate_chi2: f64, area: &Area) -> bool {
        let share = self.turn_share(dt_s, motion);
        let (off, trace_s) = self.growth(dt_s, share, motion);
        let c = self.centre(dt_s);
        let scale = self.scale(dt_s) + area.scale();
        let radius = (gate_chi2 * (trace_s + area.max_trace_r_m2) * (1.0 + REL_MARGIN)).sqrt()
            + off * (1.0 + REL_MARGIN)
            + SLACK_M
            + scale * 1.0e-9;
        // Written so that a NaN keeps the track.
        !(0..2).any(|k| area.lo[k] - c[k] > radius || c[k] - area.hi[k] > radius)
    }

    /// An east/north box that meets `area.query_box(gate_chi2)` whenever
    /// `may_gate(dt, …, area)` holds for some `dt` from `dt_from_s` to `dt_until_s`: the
    /// centre moves along a segment, `√(a + b) ≤ √a + √b` splits the radius between the track
    /// and the reports, the turning share is monotonic in `dt`, and every other term grows
    /// with `|dt|`.
    pub fn gate_box(
        &self,
        dt_from_s: f64,
        dt_until_s: f64,
        motion: &Motion,
        gate_chi2: f64,
    ) -> ([f64; 2], [f64; 2]) {
        let d_s = dt_from_s.abs().max(dt_until_s.abs());
        let share = self
            .turn_share(dt_from_s, motion)
            .max(self.turn_share(dt_until_s, motion));
        let (off, trace_s) = self.growth(d_s, share, motion);
        let r = (gate_chi2 * trace_s * (1.0 + REL_MARGIN)).sqrt()
            + off * (1.0 + REL_MARGIN)
            + 2.0 * SLACK_M
            + self.scale(d_s) * 1.0e-9;
        let (a, b) = (self.centre(dt_from_s), self.centre(dt_until_s));
        (
            [a[0].min(b[0]) - r, a[1].min(b[1]) - r],
            [a[0].max(b[0]) + r, a[1].max(b[1]) + r],
        )
    }
}

/// Side of a cell of [`Grid`], metres.
const CELL_M: f64 = 500.0;
/// A track box spanning more cells than this along an axis is kept aside and offered to
/// every query.
const MAX_BOX_CELLS: f64 = 16.0;
/// A query box spanning more cells than this in all is refused (the caller visits every
/// track instead).
const MAX_QUERY_CELLS: f64 = 64.0;

/// A uniform grid of east/north cells listing the tracks whose gate boxes meet each cell, so
/// that a scan finds the tracks near its reports without visiting all of them. Entries carry
/// the epoch of the track's box; the caller skips entries of older boxes and of deleted tracks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grid {
    cells: HashMap<(i64, i64), Vec<(TrackId, u32)>>,
    /// Entries whose boxes are too large (or not finite) for cells.
    wide: Vec<(TrackId, u32)>,
}

/// The cells a box covers, `None` when it is not finite or spans more than `max_per_axis`
/// cells along an axis or `max_total` in all.
fn cell_range(lo: [f64; 2], hi: [f64; 2], max_per_axis: f64, max_total: f64) -> Option<[i64; 4]> {
    let c = [lo[0], hi[0], lo[1], hi[1]].map(|v| (v / CELL_M).floor());
    let (nx, ny) = (c[1] - c[0] + 1.0, c[3] - c[2] + 1.0);
    // Written so that NaN and infinities fail.
    let fits = nx >= 1.0
        && ny >= 1.0
        && nx <= max_per_axis
        && ny <= max_per_axis
        && nx * ny <= max_total
        && c.iter().all(|v| v.abs() < 1.0e15);
    if !fits {
        return None;
    }
    Some([c[0] as i64, c[1] as i64, c[2] as i64, c[3] as i64])
}

impl Grid {
    /// Lists track `id` (box epoch `epoch`) in every cell its box `[lo, hi]` meets.
    pub fn insert(&mut self, id: TrackId, epoch: u32, lo: [f64; 2], hi: [f64; 2]) {
        let max_total = MAX_BOX_CELLS * MAX_BOX_CELLS;
        match cell_range(lo, hi, MAX_BOX_CELLS, max_total) {
            Some([x0, x1, y0, y1]) => {
                for x in x0..=x1 {
                    for y in y0..=y1 {
                        self.cells.entry((x, y)).or_default().push((id, epoch));
                    }
                }
            }
            None => self.wide.push((id, epoch)),
        }
    }

    /// Appends to `out` every entry whose box may meet `[lo, hi]` (with repeats); false,
    /// appending nothing, when the box is too large to look up.
    pub fn query(&self, lo: [f64; 2], hi: [f64; 2], out: &mut Vec<(TrackId, u32)>) -> bool {
        let Some([x0, x1, y0, y1]) = cell_range(lo, hi, MAX_QUERY_CELLS, MAX_QUERY_CELLS) else {
            return false;
        };
        out.extend_from_slice(&self.wide);
        for x in x0..=x1 {
            for y in y0..=y1 {
                if let Some(entries) = self.cells.get(&(x, y)) {
                    out.extend_from_slice(entries);
                }
            }
        }
        true
    }
}

/// The latest time up to which a track last hit at `last_hit` has not coasted longer than
/// `limit_s`, as `seconds_between(at, last_hit) > limit_s` judges it.
pub(crate) fn coast_safe_until(last_hit: Timestamp, limit_s: f64) -> Timestamp {
    let us = (limit_s * 1.0e6 * (1.0 - REL_MARGIN)).floor();
    if us.is_nan() || us < 0.0 {
        return last_hit;
    }
    // `as` saturates; so does the sum, at a time no report can come after anyway.
    Timestamp::from_micros(last_hit.as_micros().saturating_add(us as i64))
}

/// Largest eigenvalue of the symmetric 2×2 matrix `[[a, b], [b, d]]`.
fn lambda_max(a: f64, b: f64, d: f64) -> f64 {
    let half_diff = 0.5 * (a - d);
    // Covariances here are far from overflow; `hypot` would cost more than the rest.
    0.5 * (a + d) + (half_diff * half_diff + b * b).sqrt()
}

/// The latest time up to which deletion for uncertainty (1-σ horizontal position beyond
/// `max_sigma_m`, predicted by the constant-velocity model with density `q`) cannot strike an
/// estimate `kf` valid at `time`. The predicted horizontal covariance is
/// `Pp + dt·(Pv + Pvᵀ) + dt²·Vv + q·dt³/3·I`; by Weyl's inequality its largest eigenvalue is at
/// most the sum of theirs, a cubic that (with the middle one floored at 0) grows with `dt`.
pub(crate) fn sigma_safe_until(
    kf: &KfState,
    time: Timestamp,
    q: f64,
    max_sigma_m: f64,
) -> Timestamp {
    let p = &kf.p;
    let l0 = lambda_max(p[(0, 0)], 0.5 * (p[(0, 1)] + p[(1, 0)]), p[(1, 1)]);
    let l1 = lambda_max(2.0 * p[(0, 3)], p[(0, 4)] + p[(1, 3)], 2.0 * p[(1, 4)]).max(0.0);
    let l2 = lambda_max(p[(3, 3)], 0.5 * (p[(3, 4)] + p[(4, 3)]), p[(4, 4)]).max(0.0);
    // The exact test's rounding is relative to the sizes of its terms, not to their sum.
    const ROUNDING: f64 = 1.0e-12;
    let size0 = p[(0, 0)].abs() + p[(1, 1)].abs();
    let size1 = 2.0 * (p[(0, 3)].abs() + p[(1, 4)].abs() + p[(0, 4)].abs() + p[(1, 3)].abs());
    let size2 = p[(3, 3)].abs() + p[(4, 4)].abs();
    // A cubic with coefficients ≥ 0, so it grows with `dt ≥ 0`.
    let c = [
        l0 + ROUNDING * size0,
        l1 + ROUNDING * size1,
        l2 + ROUNDING * size2,
        q / 3.0 + ROUNDING * q,
    ];
    let bound = |dt: f64| c[0] + dt * (c[1] + dt * (c[2] + dt * c[3]));
    let limit = max_sigma_m * max_sigma_m * (1.0 - REL_MARGIN);
    // Beyond this the answer is "not for a long while"; it keeps the arithmetic in range.
    const HORIZON_S: f64 = 1.0e7;
    let now = bound(0.0);
    let safe_s = if now.is_nan() || now > limit {
        0.0
    } else if bound(HORIZON_S) <= limit {
        HORIZON_S
    } else {
        // The cubic reaches the limit no later than any one of its growing terms alone does;
        // bisect from there to a part in 1024.
        let room = limit - now;
        let mut bad = HORIZON_S;
        if c[1] > 0.0 {
            bad = bad.min(room / c[1]);
        }
        if c[2] > 0.0 {
            bad = bad.min((room / c[2]).sqrt());
        }
        if c[3] > 0.0 {
            bad = bad.min((room / c[3]).cbrt());
        }
        let mut ok = 0.0;
        for _ in 0..10 {
            let mid = 0.5 * (ok + bad);
            if bound(mid) <= limit {
                ok = mid;
            } else {
                bad = mid;
            }
        }
        ok
    };
    let us = (safe_s * 1.0e6 * (1.0 - REL_MARGIN)).floor() as i64;
    Timestamp::from_micros(time.as_micros().saturating_add(us.max(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imm::{ImmParams, ImmState};
    use crate::kalman::{M3, V3};

    fn birth(p: [f64; 3], v: [f64; 3], sigma_v: f64) -> KfState {
        KfState::birth(
            &V3::new(p[0], p[1], p[2]),
            &(M3::identity() * 25.0),
            &V3::new(v[0], v[1], v[2]),
            sigma_v,
        )
    }

    fn point(p: [f64; 2], trace: f64) -> Area {
        Area::of(std::iter::once((p, trace)))
    }

    fn boxes_meet(a: ([f64; 2], [f64; 2]), b: ([f64; 2], [f64; 2])) -> bool {
        (0..2).all(|k| a.0[k] <= b.1[k] && b.0[k] <= a.1[k])
    }

    /// Every exact gate a track passes at any time offset, its reach admits too, and so does
    /// its grid box for any span of offsets holding that one.
    #[test]
    fn reach_admits_every_report_the_exact_gate_admits() {
        let (q, turn) = (9.0, 15f64.to_radians());
        let mut kept = 0;
        for params in [
            ImmParams::with_turns(q, q, turn, 0.1),
            ImmParams::with_turns(q, 25.0, 3.0 * turn, 5.0),
            ImmParams::cv_only(q),
        ] {
            kept += exact_gates_are_admitted(&params, q);
        }
        assert!(kept > 3_000, "only {kept} reports gated");
    }

    /// Checks [`reach_admits_every_report_the_exact_gate_admits`] for one set of models
    /// (`q`: the straight model's density); returns the number of reports that gated.
    fn exact_gates_are_admitted(params: &ImmParams, q: f64) -> usize {
        let params = *params;
        let motion = Motion {
            q_max: params.max_q(),
            turn_max_rad_s: params.max_turn_rate(),
            models: params.len(),
            switch_per_s: params.switch_per_s(),
        };
        let gate = 16.27;
        let mut kept = 0;
        let velocities = [
            [0.0, 0.0, 0.0],
            [20.0, -5.0, 1.0],
            [-60.0, 40.0, -3.0],
            [0.0, 150.0, 0.0],
        ];
        for (i, v) in velocities.iter().enumerate() {
            for sigma_v in [2.0, 30.0] {
                let kf = birth([100.0 * i as f64, -50.0, 80.0], *v, sigma_v);
                let mut modes = ImmState::birth(kf.clone(), &params);
                // Let the models drift apart, and take turns.
                for _ in 0..3 {
                    modes = modes.predict(1.5, &params);
                }
                if params.len() == 3 {
                    modes.models[1] = modes.models[1].predict(0.7, 25.0);
                    modes.models[2].x[3] += 8.0;
                    modes.mu = [0.2, 0.5, 0.3];
                }
                let combined = modes.combined(&params);
                let reach = Reach::of(&combined, &modes.models, modes.mu[0]);
                let r = M3::identity() * 16.0;
                for &dt in &[0.0, 0.3, 1.0, 4.0, 9.0, -0.5, -1.9, -3.0] {
                    let proj = if dt >= 0.0 {
                        modes
                            .predict(dt, &params)
                            .combined(&params)
                            .project(0.0, 0.0)
                    } else {
                        combined.project(dt, q * dt.abs().powi(3) / 3.0)
                    };
                    let sigma = proj.s.trace().sqrt();
                    // Reports on a grid around the prediction, some inside the gate, some outside.
                    for de in -20..=20 {
                        for dn in -20..=20 {
                            let step = 0.25 * sigma;
                            let z = V3::new(
                                proj.z[0] + de as f64 * step,
                                proj.z[1] + dn as f64 * step,
                                proj.z[2],
                            );
                            let Some(innov) = proj.innovation(&z, &r) else {
                                continue;
                            };
                            if innov.d2 > gate {
                                continue;
                            }
                            kept += 1;
                            let area = point([z[0], z[1]], r.trace());
                            assert!(reach.may_gate(dt, &motion, gate, &area), "dt {dt} v {v:?}");
                            for (from, until) in
                                [(dt, dt), (dt - 1.0, dt), (dt, dt + 2.0), (-4.0, 10.0)]
                            {
                                let track_box = reach.gate_box(from, until, &motion, gate);
                                assert!(
                                    boxes_meet(track_box, area.query_box(gate)),
                                    "dt {dt} v {v:?}"
                                );
                            }
                        }
                    }
                    // Far away is refused.
                    let far = point([proj.z[0] + 50.0 * sigma + 20_000.0, proj.z[1]], r.trace());
                    assert!(!reach.may_gate(dt, &motion, gate, &far), "dt {dt} v {v:?}");
                }
            }
        }
        kept
    }

    /// The two claims the bound rests on, checked directly on predictions of drifting,
    /// turning, switching models: the predicted mean lies within `off` of the straight
    /// extrapolation, and the trace of the predicted position covariance within its bound.
    #[test]
    fn predicted_mean_and_covariance_stay_within_the_growth_bound() {
        let q = 4.0;
        let mut checked = 0;
        for (turn_deg_s, switch_per_s) in [(15.0, 0.1), (90.0, 3.0), (180.0, 100.0)] {
            let params = ImmParams::with_turns(q, 30.0, f64::to_radians(turn_deg_s), switch_per_s);
            let motion = Motion {
                q_max: params.max_q(),
                turn_max_rad_s: params.max_turn_rate(),
                models: params.len(),
                switch_per_s: params.switch_per_s(),
            };
            for (k, mu) in [
                [0.8, 0.1, 0.1],
                [1.0e-6, 0.5, 0.5 - 1.0e-6],
                [0.98, 0.01, 0.01],
            ]
            .iter()
            .enumerate()
            {
                let kf = birth([10.0, 20.0, 50.0], [80.0, -30.0, 2.0], 3.0);
                let mut modes = ImmState::birth(kf, &params);
                // The models disagree in position and in velocity, as after turns.
                modes.models[1].x[0] += 40.0 * k as f64;
                modes.models[1].x[4] += 12.0;
                modes.models[2].x[3] -= 9.0;
                modes.models[2].p[(3, 3)] += 50.0;
                modes.mu = *mu;
                let combined = modes.combined(&params);
                let reach = Reach::of(&combined, &modes.models, modes.mu[0]);
                for dt in [0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0] {
                    let predicted = modes.predict(dt, &params).combined(&params);
                    let share = reach.turn_share(dt, &motion);
                    let (off, trace) = reach.growth(dt, share, &motion);
                    let c = reach.centre(dt);
                    let miss = (predicted.x[0] - c[0]).hypot(predicted.x[1] - c[1]);
                    assert!(
                        miss <= off * (1.0 + 1.0e-9) + 1.0e-9,
                        "dt {dt}: {miss} > {off}"
                    );
                    let s = predicted.p.fixed_view::<3, 3>(0, 0).trace();
                    assert!(s <= trace * (1.0 + 1.0e-9), "dt {dt}: {s} > {trace}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 63);
    }

    #[test]
    fn reach_of_nan_never_refuses() {
        let mut kf = birth([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], 5.0);
        kf.x[0] = f64::NAN;
        let reach = Reach::of(&kf, &[], 1.0);
        let motion = Motion {
            q_max: 9.0,
            turn_max_rad_s: 0.2,
            models: 3,
            switch_per_s: 0.1,
        };
        assert!(reach.may_gate(1.0, &motion, 16.0, &point([1.0e6, 1.0e6], 1.0)));
    }

    #[test]
    fn sigma_is_within_limit_until_the_safe_time_and_beyond_it_soon_after() {
        let q = 9.0;
        let max_sigma_m = 500.0;
        let time = Timestamp::from_secs_f64(1_790_000_000.0);
        for sigma_v in [0.5, 5.0, 30.0, 300.0] {
            let kf = birth([0.0, 0.0, 0.0], [3.0, 4.0, 0.0], sigma_v);
            let safe = sigma_safe_until(&kf, time, q, max_sigma_m);
            let safe_s = safe.seconds_since(time);
            assert!(safe_s > 0.0);
            for k in 0..=100 {
                let dt = safe_s * k as f64 / 100.0;
                assert!(
                    kf.sigma_horizontal_after_m(dt, q) <= max_sigma_m,
                    "σv {sigma_v} dt {dt}"
                );
            }
            // An isotropic covariance meets the bound: the real crossing follows at once.
            assert!(
                kf.sigma_horizontal_after_m(safe_s * 1.01 + 1.0e-3, q) > max_sigma_m,
                "σv {sigma_v}"
            );
        }
        // Already beyond the limit: never safe after `time`.
        let wide = birth([0.0, 0.0, 0.0], [0.0; 3], 1.0);
        assert_eq!(sigma_safe_until(&wide, time, q, 1.0), time);
    }
}
