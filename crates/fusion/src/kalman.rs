//! The 6-D constant-velocity Kalman filter: state `[e, n, u, ve, vn, vu]` in site ENU metres and m/s.
//!
//! Measurements are 3-D positions. One measurement model covers both the usual case and slightly
//! late data: `z = p + c·v + w`, with `c = 0` for a measurement at the state's time and `c = −Δ`
//! for a measurement `Δ` seconds older than the state (the state is retrodicted for the
//! innovation, then updated in place; the process noise over `Δ` is added to the measurement noise).

use nalgebra::{Cholesky, Matrix2, Matrix3, Matrix6, SMatrix, Vector3, Vector6, U3};

/// 3-vector.
pub(crate) type V3 = Vector3<f64>;
/// 3×3 matrix.
pub(crate) type M3 = Matrix3<f64>;
/// 6×3 matrix.
type M63 = SMatrix<f64, 6, 3>;

/// Largest position magnitude a valid state may have, metres (well beyond any Earth-bound point).
const MAX_POSITION_M: f64 = 1.0e8;
/// Largest speed a valid state may have, m/s.
const MAX_SPEED_MPS: f64 = 1.0e5;

/// Mean and covariance of one track.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KfState {
    /// `[e, n, u, ve, vn, vu]`.
    pub x: Vector6<f64>,
    /// Covariance of `x`.
    pub p: Matrix6<f64>,
}

/// A predicted measurement `p + c·v` of a state, with its covariance (without measurement noise).
#[derive(Clone, Debug)]
pub(crate) struct Projection {
    /// Predicted position.
    pub z: V3,
    /// `H P Hᵀ + extra·I`.
    pub s: M3,
    /// The velocity coefficient `c` of the measurement model.
    pub c: f64,
    /// Isotropic variance added to the measurement noise (process noise of a retrodiction), m².
    pub extra_m2: f64,
}

/// The innovation of one measurement against one projection.
#[derive(Clone, Debug)]
pub(crate) struct Innovation {
    /// `z − ẑ`.
    pub y: V3,
    /// Cholesky factor of the innovation covariance `S`.
    chol: Cholesky<f64, U3>,
    /// Mahalanobis distance squared `yᵀ S⁻¹ y`.
    pub d2: f64,
    /// `ln det S`.
    pub ln_det: f64,
    /// Measurement noise plus retrodiction noise.
    r_eff: M3,
}

impl KfState {
    /// A new track: position from a measurement with covariance `r`, velocity `v` with isotropic σ.
    pub fn birth(z: &V3, r: &M3, v: &V3, sigma_v_mps: f64) -> Self {
        let mut x = Vector6::zeros();
        x.fixed_rows_mut::<3>(0).copy_from(z);
        x.fixed_rows_mut::<3>(3).copy_from(v);
        let mut p = Matrix6::zeros();
        p.fixed_view_mut::<3, 3>(0, 0).copy_from(r);
        let var_v = sigma_v_mps * sigma_v_mps;
        for i in 3..6 {
            p[(i, i)] = var_v;
        }
        KfState { x, p }
    }

    /// The state `dt_s ≥ 0` seconds later under the constant-velocity model with white
    /// acceleration of spectral density `q` (m²/s³).
    pub fn predict(&self, dt_s: f64, q: f64) -> KfState {
        if dt_s <= 0.0 {
            return self.clone();
        }
        let mut f = Matrix6::identity();
        for i in 0..3 {
            f[(i, i + 3)] = dt_s;
        }
        self.transition(&f, dt_s, q)
    }

    /// `x' = F x`, `P' = F P Fᵀ + Q` with the white-acceleration `Q` of `dt_s` seconds at
    /// spectral density `q` (m²/s³), symmetrised.
    pub fn transition(&self, f: &Matrix6<f64>, dt_s: f64, q: f64) -> KfState {
        let x = f * self.x;
        let mut p = f * self.p * f.transpose();
        let (dt2, dt3) = (dt_s * dt_s, dt_s * dt_s * dt_s);
        for i in 0..3 {
            p[(i, i)] += q * dt3 / 3.0;
            p[(i, i + 3)] += q * dt2 / 2.0;
            p[(i + 3, i)] += q * dt2 / 2.0;
            p[(i + 3, i + 3)] += q * dt_s;
        }
        KfState {
            x,
            p: symmetrise6(&p),
        }
    }

    /// The position the state predicts for a measurement `c` seconds away (`c ≤ 0`: the past),
    /// adding `extra_m2` of isotropic noise.
    pub fn project(&self, c: f64, extra_m2: f64) -> Projection {
        let pos = self.x.fixed_rows::<3>(0);
        let vel = self.x.fixed_rows::<3>(3);
        let z = pos + vel * c;
        let ppp = self.p.fixed_view::<3, 3>(0, 0);
        let ppv = self.p.fixed_view::<3, 3>(0, 3);
        let pvv = self.p.fixed_view::<3, 3>(3, 3);
        let mut s = ppp + (ppv + ppv.transpose()) * c + pvv * (c * c);
        for i in 0..3 {
            s[(i, i)] += extra_m2;
        }
        Projection {
            z,
            s: symmetrise3(&s),
            c,
            extra_m2,
        }
    }

    /// The posterior after measuring `innov` (which must come from `self.project(proj.c, ..)`),
    /// Joseph form, symmetrised. `None` when the result would not be a finite, positive-definite,
    /// physically plausible state; the caller then keeps the prior.
    pub fn update(&self, proj: &Projection, innov: &Innovation) -> Option<KfState> {
        // P Hᵀ for H = [I, c·I].
        let pht: M63 = self.p.fixed_view::<6, 3>(0, 0) + self.p.fixed_view::<6, 3>(0, 3) * proj.c;
        // K = P Hᵀ S⁻¹ = (S⁻¹ H P)ᵀ since S and P are symmetric.
        let k: M63 = innov.chol.solve(&pht.transpose()).transpose();
        let x = self.x + k * innov.y;
        let mut h = SMatrix::<f64, 3, 6>::zeros();
        for i in 0..3 {
            h[(i, i)] = 1.0;
            h[(i, i + 3)] = proj.c;
        }
        let a = Matrix6::identity() - k * h;
        let p = a * self.p * a.transpose() + k * innov.r_eff * k.transpose();
        let next = KfState {
            x,
            p: symmetrise6(&p),
        };
        next.is_sound().then_some(next)
    }

    /// Finite, positive-definite and within physical bounds.
    pub fn is_sound(&self) -> bool {
        self.x.iter().all(|v| v.is_finite())
            && self.p.iter().all(|v| v.is_finite())
            && self.x.fixed_rows::<3>(0).norm() <= MAX_POSITION_M
            && self.x.fixed_rows::<3>(3).norm() <= MAX_SPEED_MPS
            && Cholesky::new(self.p).is_some()
    }

    /// [`Self::sigma_horizontal_m`] of the constant-velocity prediction `dt_s` ahead with
    /// process noise `q`, computed on the 2×2 block alone (deletion checks every track).
    pub fn sigma_horizontal_after_m(&self, dt_s: f64, q: f64) -> f64 {
        let dt = dt_s.max(0.0);
        let pp = self.p.fixed_view::<2, 2>(0, 0);
        let pv = self.p.fixed_view::<2, 2>(0, 3);
        let vv = self.p.fixed_view::<2, 2>(3, 3);
        let mut b = pp + (pv + pv.transpose()) * dt + vv * (dt * dt);
        let noise = q * dt * dt * dt / 3.0;
        b[(0, 0)] += noise;
        b[(1, 1)] += noise;
        sigma_horizontal_m(&b)
    }

    /// 1-σ horizontal position uncertainty: root of the larger eigenvalue of the E/N block, metres.
    pub fn sigma_horizontal_m(&self) -> f64 {
        sigma_horizontal_m(&self.p.fixed_view::<2, 2>(0, 0).into_owned())
    }
}

/// Root of the larger eigenvalue of a symmetric 2×2 covariance.
pub(crate) fn sigma_horizontal_m(p: &Matrix2<f64>) -> f64 {
    let (a, b, d) = (p[(0, 0)], 0.5 * (p[(0, 1)] + p[(1, 0)]), p[(1, 1)]);
    let mean = 0.5 * (a + d);
    let half_diff = 0.5 * (a - d);
    let lambda_max = mean + half_diff.hypot(b);
    lambda_max.max(0.0).sqrt()
}

impl Projection {
    /// The innovation of measurement `z` with noise `r`; `None` if `S` is not positive definite.
    pub fn innovation(&self, z: &V3, r: &M3) -> Option<Innovation> {
        let y = z - self.z;
        let s = self.s + r;
        let chol = Cholesky::new(s)?;
        let d2 = y.dot(&chol.solve(&y));
        let ln_det = 2.0
            * chol
                .l_dirty()
                .diagonal()
                .iter()
                .map(|v| v.ln())
                .sum::<f64>();
        if !d2.is_finite() || !ln_det.is_finite() {
            return None;
        }
        let mut r_eff = *r;
        for i in 0..3 {
            r_eff[(i, i)] += self.extra_m2;
        }
        Some(Innovation {
            y,
            chol,
            d2,
            ln_det,
            r_eff,
        })
    }
}

impl Innovation {
    /// ln of the Gaussian density of the horizontal (east, north) part of the innovation,
    /// per m². The leading 2×2 block of `S = L Lᵀ` is `L₂ L₂ᵀ` with `L₂` the leading block of
    /// the Cholesky factor, so no new factorisation is needed.
    pub fn horizontal_ln_density(&self) -> f64 {
        let l = self.chol.l_dirty();
        let u0 = self.y[0] / l[(0, 0)];
        let u1 = (self.y[1] - l[(1, 0)] * u0) / l[(1, 1)];
        -0.5 * (u0 * u0 + u1 * u1) - (l[(0, 0)] * l[(1, 1)]).ln() - std::f64::consts::TAU.ln()
    }
}

fn symmetrise6(p: &Matrix6<f64>) -> Matrix6<f64> {
    (p + p.transpose()) * 0.5
}

fn symmetrise3(p: &M3) -> M3 {
    (p + p.transpose()) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(var: f64) -> M3 {
        M3::identity() * var
    }

    #[test]
    fn predict_moves_position_by_velocity_times_dt() {
        let s = KfState::birth(
            &V3::new(1.0, 2.0, 3.0),
            &iso(4.0),
            &V3::new(10.0, -5.0, 1.0),
            1.0,
        );
        let p = s.predict(2.0, 0.0);
        assert_eq!(
            p.x.fixed_rows::<3>(0).into_owned(),
            V3::new(21.0, -8.0, 5.0)
        );
        // Without process noise: var_pos = 4 + dt²·1.
        assert!((p.p[(0, 0)] - 8.0).abs() < 1e-12);
        assert!((p.p[(0, 3)] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn process_noise_matches_the_continuous_white_acceleration_model() {
        let s = KfState::birth(&V3::zeros(), &iso(1.0), &V3::zeros(), 1.0);
        let q = 9.0;
        let dt = 2.0;
        let p = s.predict(dt, q);
        let expect_pos = 1.0 + dt * dt + q * dt * dt * dt / 3.0;
        assert!((p.p[(1, 1)] - expect_pos).abs() < 1e-9, "{}", p.p[(1, 1)]);
        assert!((p.p[(4, 4)] - (1.0 + q * dt)).abs() < 1e-9);
    }

    #[test]
    fn update_of_equal_variances_halves_variance_and_averages_position() {
        let s = KfState::birth(&V3::new(0.0, 0.0, 0.0), &iso(4.0), &V3::zeros(), 10.0);
        let proj = s.project(0.0, 0.0);
        let z = V3::new(2.0, -2.0, 1.0);
        let innov = proj.innovation(&z, &iso(4.0)).unwrap();
        // d² = |y|² / 8.
        assert!((innov.d2 - 9.0 / 8.0).abs() < 1e-12);
        assert!((innov.ln_det - 3.0 * 8f64.ln()).abs() < 1e-12);
        let post = s.update(&proj, &innov).unwrap();
        assert!((post.x[0] - 1.0).abs() < 1e-12 && (post.x[1] + 1.0).abs() < 1e-12);
        assert!((post.p[(0, 0)] - 2.0).abs() < 1e-12);
        assert!((post.sigma_horizontal_m() - 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn retrodicted_projection_looks_back_along_the_velocity() {
        let s = KfState::birth(
            &V3::new(100.0, 0.0, 0.0),
            &iso(1.0),
            &V3::new(10.0, 0.0, 0.0),
            1.0,
        );
        let proj = s.project(-1.5, 0.25);
        assert!((proj.z[0] - 85.0).abs() < 1e-12);
        // var = 1 + 1.5²·1 + 0.25.
        assert!((proj.s[(0, 0)] - 3.5).abs() < 1e-12);
    }

    #[test]
    fn horizontal_sigma_ahead_equals_that_of_the_full_prediction() {
        let mut s = KfState::birth(
            &V3::zeros(),
            &M3::new(9.0, 2.0, 0.0, 2.0, 4.0, 0.0, 0.0, 0.0, 1.0),
            &V3::zeros(),
            3.0,
        );
        s.p[(0, 4)] = 1.5;
        s.p[(4, 0)] = 1.5;
        for dt in [0.0, 0.5, 3.0] {
            let full = s.predict(dt, 0.7).sigma_horizontal_m();
            assert!(
                (s.sigma_horizontal_after_m(dt, 0.7) - full).abs() < 1e-12,
                "dt={dt}"
            );
        }
    }

    #[test]
    fn sigma_horizontal_is_the_larger_principal_axis() {
        let p = Matrix2::new(9.0, 0.0, 0.0, 4.0);
        assert!((sigma_horizontal_m(&p) - 3.0).abs() < 1e-12);
        // Rotated ellipse with axes 25 and 1: eigenvalues of [[13,12],[12,13]].
        let p = Matrix2::new(13.0, 12.0, 12.0, 13.0);
        assert!((sigma_horizontal_m(&p) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn horizontal_density_is_the_two_dimensional_gaussian() {
        let s = KfState::birth(
            &V3::zeros(),
            &M3::new(4.0, 1.0, 0.5, 1.0, 9.0, 0.0, 0.5, 0.0, 16.0),
            &V3::zeros(),
            1.0,
        );
        let proj = s.project(0.0, 0.0);
        let innov = proj
            .innovation(&V3::new(1.0, -2.0, 30.0), &M3::identity())
            .unwrap();
        // S_hh = [[5, 1], [1, 10]], det 49, inverse [[10, −1], [−1, 5]] / 49.
        let y = [1.0, -2.0];
        let q = (10.0 * y[0] * y[0] - 2.0 * y[0] * y[1] + 5.0 * y[1] * y[1]) / 49.0;
        let expect = -0.5 * q - 0.5 * 49f64.ln() - (2.0 * std::f64::consts::PI).ln();
        assert!((innov.horizontal_ln_density() - expect).abs() < 1e-12);
    }

    #[test]
    fn non_positive_definite_innovation_is_refused() {
        let s = KfState {
            x: Vector6::zeros(),
            p: Matrix6::zeros(),
        };
        let proj = s.project(0.0, 0.0);
        assert!(proj.innovation(&V3::zeros(), &M3::zeros()).is_none());
    }

    #[test]
    fn a_state_with_nan_is_not_sound() {
        let mut s = KfState::birth(&V3::zeros(), &iso(1.0), &V3::zeros(), 1.0);
        assert!(s.is_sound());
        s.x[4] = f64::NAN;
        assert!(!s.is_sound());
    }
}
