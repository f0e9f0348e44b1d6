//! Interacting multiple models (IMM): a constant-velocity model and, when enabled, two
//! coordinated-turn models of fixed rate (one left, one right), all on the same 6-D state.
//!
//! A coordinated turn of known rate ω is linear in `[e, n, ve, vn]`, so every model is a
//! Kalman filter on the same state and mixing needs no state conversion; a turn at another rate
//! is followed by the nearer model plus its process noise. Height is constant-velocity in all
//! models. With one model the IMM is exactly the plain constant-velocity filter.

use crate::kalman::{Innovation, KfState, Projection, V3};
use nalgebra::{Matrix6, Vector6};

/// Most models in one IMM.
pub(crate) const MAX_MODELS: usize = 3;
/// A model probability never drops below this, so a model can always come back.
const MIN_PROBABILITY: f64 = 1.0e-6;

/// The motion models of a tracker and how they switch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ImmParams {
    /// Number of models in use, 1 or 3.
    n: usize,
    /// Turn rate of each model, rad/s, counter-clockwise seen from above (0 = straight).
    omega: [f64; MAX_MODELS],
    /// White-acceleration spectral density of each model, m²/s³.
    q: [f64; MAX_MODELS],
    /// Rate of leaving the current model, 1/s.
    switch_per_s: f64,
}

impl ImmParams {
    /// Constant velocity only.
    pub fn cv_only(q: f64) -> Self {
        ImmParams {
            n: 1,
            omega: [0.0; MAX_MODELS],
            q: [q; MAX_MODELS],
            switch_per_s: 0.0,
        }
    }

    /// Constant velocity plus left and right turns at `turn_rad_s`, switching at `switch_per_s`.
    /// The turn models carry `q_turn` because the real turn rate varies around theirs.
    pub fn with_turns(q: f64, q_turn: f64, turn_rad_s: f64, switch_per_s: f64) -> Self {
        ImmParams {
            n: 3,
            omega: [0.0, turn_rad_s, -turn_rad_s],
            q: [q, q_turn, q_turn],
            switch_per_s,
        }
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.n
    }

    /// The largest white-acceleration spectral density of the models, m²/s³.
    pub fn max_q(&self) -> f64 {
        self.q[..self.n].iter().copied().fold(0.0, f64::max)
    }

    /// The largest turn rate of the models, rad/s (0 with constant velocity only).
    pub fn max_turn_rate(&self) -> f64 {
        self.omega[..self.n].iter().fold(0.0, |m, w| m.max(w.abs()))
    }

    /// Rate of leaving the current model, 1/s.
    pub fn switch_per_s(&self) -> f64 {
        self.switch_per_s
    }

    /// Probability of moving from model `i` to model `j` within `dt_s`.
    fn transition(&self, i: usize, j: usize, dt_s: f64) -> f64 {
        if self.n == 1 {
            return 1.0;
        }
        let stay = (-self.switch_per_s * dt_s.max(0.0)).exp();
        if i == j {
            stay
        } else {
            (1.0 - stay) / (self.n - 1) as f64
        }
    }
}

/// The model-conditioned estimates of one track and the model probabilities.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ImmState {
    /// One estimate per model (only the first `params.len()` are used).
    pub models: [KfState; MAX_MODELS],
    /// Model probabilities, summing to 1 over the used models.
    pub mu: [f64; MAX_MODELS],
}

/// The state of a coordinated turn at `omega` rad/s after `dt_s`, with process noise `q`.
pub(crate) fn predict_model(kf: &KfState, dt_s: f64, q: f64, omega: f64) -> KfState {
    if omega == 0.0 {
        return kf.predict(dt_s, q);
    }
    if dt_s <= 0.0 {
        return kf.clone();
    }
    let (s, c) = (omega * dt_s).sin_cos();
    let (a, b) = (s / omega, (1.0 - c) / omega);
    let mut f = Matrix6::identity();
    // e' = e + a·ve − b·vn, n' = n + b·ve + a·vn, ve' = c·ve − s·vn, vn' = s·ve + c·vn.
    f[(0, 3)] = a;
    f[(0, 4)] = -b;
    f[(1, 3)] = b;
    f[(1, 4)] = a;
    f[(2, 5)] = dt_s;
    f[(3, 3)] = c;
    f[(3, 4)] = -s;
    f[(4, 3)] = s;
    f[(4, 4)] = c;
    kf.transition(&f, dt_s, q)
}

impl ImmState {
    /// A new track: every model starts from `kf`, probabilities from the model's stationary
    /// share (straight flight most likely).
    pub fn birth(kf: KfState, params: &ImmParams) -> Self {
        let mut mu = [0.0; MAX_MODELS];
        if params.n == 1 {
            mu[0] = 1.0;
        } else {
            mu[0] = 0.8;
            let rest = 0.2 / (params.n - 1) as f64;
            for m in mu.iter_mut().take(params.n).skip(1) {
                *m = rest;
            }
        }
        ImmState {
            models: [kf.clone(), kf.clone(), kf],
            mu,
        }
    }

    /// The moment-matched combination of the models.
    pub fn combined(&self, params: &ImmParams) -> KfState {
        combine(&self.models[..params.n], &self.mu[..params.n])
    }

    /// Interaction and prediction `dt_s ≥ 0` ahead: the predicted models and their prior
    /// probabilities.
    pub fn predict(&self, dt_s: f64, params: &ImmParams) -> ImmState {
        let n = params.n;
        if n == 1 {
            let m = predict_model(&self.models[0], dt_s, params.q[0], params.omega[0]);
            return ImmState {
                models: [m.clone(), m.clone(), m],
                mu: [1.0, 0.0, 0.0],
            };
        }
        let mut c = [0.0; MAX_MODELS];
        for (j, cj) in c.iter_mut().enumerate().take(n) {
            *cj = (0..n)
                .map(|i| params.transition(i, j, dt_s) * self.mu[i])
                .sum();
        }
        let mut models = self.models.clone();
        for j in 0..n {
            let mut w = [0.0; MAX_MODELS];
            for (i, wi) in w.iter_mut().enumerate().take(n) {
                *wi = params.transition(i, j, dt_s) * self.mu[i] / c[j].max(f64::MIN_POSITIVE);
            }
            let mixed = combine(&self.models[..n], &w[..n]);
            models[j] = predict_model(&mixed, dt_s, params.q[j], params.omega[j]);
        }
        ImmState {
            models,
            mu: normalised(c, n),
        }
    }

    /// The posterior after a measurement, given how one model takes it: `model_update`
    /// returns the model's posterior and `d² + ln det S` of its innovation (so the models'
    /// likelihoods compare), or `None` when the model cannot take it. `None` when no model
    /// gives a sound posterior.
    pub fn update_with(
        &self,
        params: &ImmParams,
        mut model_update: impl FnMut(&KfState) -> Option<(KfState, f64)>,
    ) -> Option<ImmState> {
        let n = params.n;
        let mut models = self.models.clone();
        let mut log_w = [f64::NEG_INFINITY; MAX_MODELS];
        for j in 0..n {
            // The closure returns only sound states (the filters' updates check).
            let Some((post, d2_ln_det)) = model_update(&self.models[j]) else {
                continue;
            };
            models[j] = post;
            log_w[j] = self.mu[j].max(MIN_PROBABILITY).ln() - 0.5 * d2_ln_det;
        }
        let best = log_w[..n].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !best.is_finite() {
            return None;
        }
        let mut mu = [0.0; MAX_MODELS];
        for j in 0..n {
            if log_w[j].is_finite() {
                mu[j] = (log_w[j] - best).exp();
            } else if !models[j].is_sound() {
                // A model that could not take the measurement keeps its prediction at the
                // smallest weight, if that prediction is itself sound.
                return None;
            }
        }
        Some(ImmState {
            models,
            mu: normalised(mu, n),
        })
    }

    /// The probabilistic-data-association posterior: with probability `beta[h]` hypothesis
    /// `h` (a position `z` with noise `r`, through the combined projection's `c` and extra
    /// noise) is the target's, with `1 − Σ beta` none is. Each model's posterior is the
    /// moment-matched mixture of its per-hypothesis posteriors; its likelihood is
    /// `(1 − Pd) + Σ Pd·N(y)/λ` on the horizontal innovation (`ln_pd_over_lambda` = ln(Pd/λ)).
    pub fn update_mixture(
        &self,
        params: &ImmParams,
        proj: &Projection,
        hypotheses: &[(f64, V3, nalgebra::Matrix3<f64>)],
        ln_miss: f64,
        ln_pd_over_lambda: f64,
    ) -> Option<ImmState> {
        let n = params.n;
        let beta0 = (1.0 - hypotheses.iter().map(|h| h.0).sum::<f64>()).max(0.0);
        let mut models = self.models.clone();
        let mut log_w = [f64::NEG_INFINITY; MAX_MODELS];
        let mut states: Vec<KfState> = Vec::with_capacity(hypotheses.len() + 1);
        let mut weights: Vec<f64> = Vec::with_capacity(hypotheses.len() + 1);
        for j in 0..n {
            let prior = &self.models[j];
            states.clear();
            weights.clear();
            states.push(prior.clone());
            weights.push(beta0);
            // ln of (1 − Pd) + Σ Pd·N/λ, accumulated stably.
            let mut terms = vec![ln_miss];
            for (beta, z, r) in hypotheses {
                let pj = prior.project(proj.c, proj.extra_m2);
                let Some(innov) = pj.innovation(z, r) else {
                    continue;
                };
                let Some(post) = prior.update(&pj, &innov) else {
                    continue;
                };
                states.push(post);
                weights.push(*beta);
                terms.push(ln_pd_over_lambda + innov.horizontal_ln_density());
            }
            let sum: f64 = weights.iter().sum();
            if !(sum > 0.0 && sum.is_finite()) {
                continue;
            }
            let w: Vec<f64> = weights.iter().map(|v| v / sum).collect();
            let mixed = combine(&states, &w);
            if !mixed.is_sound() {
                continue;
            }
            models[j] = mixed;
            let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let ln_lik = top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln();
            log_w[j] = self.mu[j].max(MIN_PROBABILITY).ln() + ln_lik;
        }
        let best = log_w[..n].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !best.is_finite() {
            return None;
        }
        let mut mu = [0.0; MAX_MODELS];
        for j in 0..n {
            if log_w[j].is_finite() {
                mu[j] = (log_w[j] - best).exp();
            } else if !models[j].is_sound() {
                return None;
            }
        }
        Some(ImmState {
            models,
            mu: normalised(mu, n),
        })
    }

    /// [`Self::update_with`] a 3-D position `z` with noise `r` through `z = p + c·v`, where
    /// `proj` is the combined projection (its `c` and extra noise are used for every model).
    pub fn update(
        &self,
        proj: &Projection,
        z: &V3,
        r: &nalgebra::Matrix3<f64>,
        params: &ImmParams,
    ) -> Option<ImmState> {
        self.update_with(params, |m| {
            let pj = m.project(proj.c, proj.extra_m2);
            let innov: Innovation = pj.innovation(z, r)?;
            let post = m.update(&pj, &innov)?;
            Some((post, innov.d2 + innov.ln_det))
        })
    }

    /// Every used model finite, positive definite and plausible; probabilities finite.
    #[cfg(test)]
    pub fn is_sound(&self, params: &ImmParams) -> bool {
        self.models[..params.n].iter().all(KfState::is_sound)
            && self.mu[..params.n]
                .iter()
                .all(|m| m.is_finite() && *m >= 0.0)
    }
}

/// Probabilities scaled to sum to 1 and floored at [`MIN_PROBABILITY`].
fn normalised(mut p: [f64; MAX_MODELS], n: usize) -> [f64; MAX_MODELS] {
    for v in p.iter_mut().take(n) {
        if !v.is_finite() || *v < MIN_PROBABILITY {
            *v = MIN_PROBABILITY;
        }
    }
    let sum: f64 = p[..n].iter().sum();
    for v in p.iter_mut().take(n) {
        *v /= sum;
    }
    for v in p.iter_mut().skip(n) {
        *v = 0.0;
    }
    p
}

/// The Gaussian with the mean and covariance of the mixture `Σ w_i N(x_i, P_i)`.
fn combine(models: &[KfState], w: &[f64]) -> KfState {
    if models.len() == 1 {
        return models[0].clone();
    }
    let mut x = Vector6::zeros();
    for (m, &wi) in models.iter().zip(w) {
        x += m.x * wi;
    }
    let mut p = Matrix6::zeros();
    for (m, &wi) in models.iter().zip(w) {
        let d = m.x - x;
        p += (m.p + d * d.transpose()) * wi;
    }
    KfState {
        x,
        p: (p + p.transpose()) * 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kalman::M3;

    fn moving(v: [f64; 3]) -> KfState {
        KfState::birth(&V3::zeros(), &(M3::identity() * 4.0), &V3::from(v), 1.0)
    }

    #[test]
    fn quarter_turn_lands_on_the_closed_form_arc() {
        // 10 m/s east, turning left at 90°/s for 1 s: a quarter circle of radius 10/ω.
        let omega = std::f64::consts::FRAC_PI_2;
        let p = predict_model(&moving([10.0, 0.0, 1.0]), 1.0, 0.0, omega);
        let radius = 10.0 / omega;
        assert!((p.x[0] - radius).abs() < 1e-9, "{}", p.x[0]);
        assert!((p.x[1] - radius).abs() < 1e-9, "{}", p.x[1]);
        assert!((p.x[2] - 1.0).abs() < 1e-12, "height is constant-velocity");
        assert!(p.x[3].abs() < 1e-9 && (p.x[4] - 10.0).abs() < 1e-9);
        assert!(p.is_sound());
    }

    #[test]
    fn a_zero_rate_turn_is_the_constant_velocity_model() {
        let s = moving([3.0, -4.0, 0.5]);
        assert_eq!(predict_model(&s, 2.0, 0.7, 0.0), s.predict(2.0, 0.7));
    }

    #[test]
    fn one_model_imm_equals_the_plain_filter_bit_for_bit() {
        let params = ImmParams::cv_only(0.3);
        let s = moving([5.0, 1.0, 0.0]);
        let imm = ImmState::birth(s.clone(), &params).predict(1.5, &params);
        assert_eq!(imm.combined(&params), s.predict(1.5, 0.3));
    }

    #[test]
    fn combining_two_models_adds_the_spread_of_their_means() {
        let a = KfState::birth(&V3::new(-1.0, 0.0, 0.0), &M3::identity(), &V3::zeros(), 1.0);
        let b = KfState::birth(&V3::new(1.0, 0.0, 0.0), &M3::identity(), &V3::zeros(), 1.0);
        let c = combine(&[a, b], &[0.5, 0.5]);
        assert!(c.x[0].abs() < 1e-12);
        // Variance 1 within each model plus 1 from the spread.
        assert!((c.p[(0, 0)] - 2.0).abs() < 1e-12);
        assert!((c.p[(1, 1)] - 1.0).abs() < 1e-12);
    }

    /// Position fixes of a target flying east at 20 m/s for 20 s, turning left at 12°/s for
    /// 15 s, then flying straight again; σ = 3 m, deterministic noise.
    fn scripted_turn() -> Vec<(f64, V3)> {
        let (mut p, mut v) = (V3::new(0.0, 0.0, 100.0), V3::new(20.0, 0.0, 0.0));
        let omega = 12f64.to_radians();
        let mut out = Vec::new();
        let mut seed = 1u64;
        let mut noise = || {
            // SplitMix64 → uniform in [−√3, √3]σ (unit variance).
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let u = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
            (2.0 * u - 1.0) * 3f64.sqrt() * 3.0
        };
        for k in 1..=50 {
            let turning = (21..=35).contains(&k);
            if turning {
                let (s, c) = omega.sin_cos();
                let (a, b) = (s / omega, (1.0 - c) / omega);
                p += V3::new(a * v[0] - b * v[1], b * v[0] + a * v[1], 0.0);
                v = V3::new(c * v[0] - s * v[1], s * v[0] + c * v[1], 0.0);
            } else {
                p += v;
            }
            out.push((k as f64, p + V3::new(noise(), noise(), noise())));
        }
        out
    }

    #[test]
    fn the_left_turn_model_takes_over_in_a_left_turn_and_hands_back_after_it() {
        let params = ImmParams::with_turns(0.01, 1.0, 10f64.to_radians(), 0.05);
        let r = M3::identity() * 9.0;
        let mut s = ImmState::birth(
            KfState::birth(&V3::new(0.0, 0.0, 100.0), &r, &V3::new(20.0, 0.0, 0.0), 2.0),
            &params,
        );
        let mut mu_at = Vec::new();
        let mut t_prev = 0.0;
        for (t, z) in scripted_turn() {
            let pred = s.predict(t - t_prev, &params);
            let proj = pred.combined(&params).project(0.0, 0.0);
            s = pred.update(&proj, &z, &r, &params).expect("sound update");
            assert!(s.is_sound(&params), "t={t}");
            mu_at.push(s.mu);
            t_prev = t;
        }
        // Straight before the turn: constant velocity dominates.
        assert!(mu_at[18][0] > 0.6, "t=19 s: {:?}", mu_at[18]);
        // Late in the turn: the left-turn model (index 1) dominates, the right one is out.
        for (k, mu) in mu_at.iter().enumerate().take(35).skip(28) {
            assert!(mu[1] > 0.6, "t={} s: {mu:?}", k + 1);
            assert!(mu[2] < 0.05, "t={} s: {mu:?}", k + 1);
        }
        // Back to straight flight.
        assert!(mu_at[49][0] > 0.6, "t=50 s: {:?}", mu_at[49]);
    }

    #[test]
    fn probabilities_stay_normalised_through_prediction() {
        let params = ImmParams::with_turns(0.1, 1.0, 0.2, 0.1);
        let mut s = ImmState::birth(moving([10.0, 0.0, 0.0]), &params);
        s.mu = [0.2, 0.7, 0.1];
        let p = s.predict(2.0, &params);
        let sum: f64 = p.mu[..3].iter().sum();
        assert!((sum - 1.0).abs() < 1e-12);
        // Switching pulls every probability towards 1/3.
        assert!(p.mu[1] < 0.7 && p.mu[0] > 0.2);
        assert!(p.is_sound(&params));
    }
}
