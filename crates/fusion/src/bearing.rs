//! Bearing-only reports (RF direction finders, acoustic arrays): the extended-Kalman update of
//! a track by one bearing, and the triangulation of two bearings from different sensors into a
//! position fix that can start a track.

use crate::kalman::{KfState, Projection, M3, V3};
use nalgebra::{Matrix2, Matrix6, SVector, Vector2};

/// Chi-square gate of one bearing (1 degree of freedom, 99.9 %).
pub(crate) const BEARING_GATE_CHI2: f64 = 10.83;
/// Two bearings crossing at less than this angle do not fix a position (the fix would be a
/// long thin ellipse along the rays), degrees.
pub(crate) const MIN_CROSSING_DEG: f64 = 10.0;
/// A triangulated target is farther than this from either sensor: not a fix, metres.
pub(crate) const MAX_FIX_RANGE_M: f64 = 50_000.0;
/// Target speed assumed when pairing bearings taken at different times: the fix's horizontal
/// σ grows by this times the time between them, m/s.
pub(crate) const PAIRING_SPEED_MPS: f64 = 30.0;
/// A bearing fix says nothing about height: the fix is placed this high above the sensors,
/// metres, with [`FIX_VERTICAL_SIGMA_M`].
pub(crate) const FIX_HEIGHT_M: f64 = 100.0;
/// Vertical 1-σ of a bearing fix, metres.
pub(crate) const FIX_VERTICAL_SIGMA_M: f64 = 300.0;
/// Closer than this to the sensor, a bearing is undefined, metres.
const MIN_HORIZONTAL_RANGE_M: f64 = 1.0;

/// A bearing in the site frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BearingMeas {
    /// The sensor's position, site ENU metres.
    pub sensor: V3,
    /// Compass bearing in the site frame (clockwise from the site's north), radians.
    pub bearing_rad: f64,
    /// 1-σ, radians (> 0).
    pub sigma_rad: f64,
}

/// The innovation of a bearing against a track's projection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BearingInnovation {
    /// Measured minus predicted bearing, wrapped to (−π, π], radians.
    pub y: f64,
    /// Innovation variance, rad².
    pub s: f64,
    /// `y² / s`.
    pub d2: f64,
    /// Jacobian of the bearing with respect to east and north at the prediction.
    h: [f64; 2],
    /// Measurement variance plus the retrodiction noise seen through `h`, rad².
    r_eff: f64,
}

fn wrap(a: f64) -> f64 {
    let w = a.rem_euclid(std::f64::consts::TAU);
    if w > std::f64::consts::PI {
        w - std::f64::consts::TAU
    } else {
        w
    }
}

impl BearingMeas {
    /// The bearing's innovation against a projection of a track (position `proj.z` with
    /// covariance `proj.s`); `None` when the track is on top of the sensor or `S` is not
    /// positive.
    pub fn innovation(&self, proj: &Projection) -> Option<BearingInnovation> {
        let de = proj.z[0] - self.sensor[0];
        let dn = proj.z[1] - self.sensor[1];
        let r2 = de * de + dn * dn;
        if r2.sqrt() < MIN_HORIZONTAL_RANGE_M {
            return None;
        }
        // bearing = atan2(Δe, Δn): ∂/∂e = Δn/r², ∂/∂n = −Δe/r².
        let h = [dn / r2, -de / r2];
        let hs = |m: &M3| {
            h[0] * (m[(0, 0)] * h[0] + m[(0, 1)] * h[1])
                + h[1] * (m[(1, 0)] * h[0] + m[(1, 1)] * h[1])
        };
        let var = self.sigma_rad * self.sigma_rad;
        let s = hs(&proj.s) + var;
        let y = wrap(self.bearing_rad - de.atan2(dn));
        let d2 = y * y / s;
        let r_eff = var + proj.extra_m2 * (h[0] * h[0] + h[1] * h[1]);
        (s > 0.0 && s.is_finite() && d2.is_finite()).then_some(BearingInnovation {
            y,
            s,
            d2,
            h,
            r_eff,
        })
    }
}

impl BearingInnovation {
    /// `ln S`, for association costs and model likelihoods.
    pub fn ln_s(&self) -> f64 {
        self.s.ln()
    }
}

/// The extended-Kalman update of `kf` by a bearing whose innovation was taken against
/// `kf.project(c, ..)`; Joseph form. `None` when the result is not sound.
pub(crate) fn update(kf: &KfState, c: f64, innov: &BearingInnovation) -> Option<KfState> {
    // H = [h_e, h_n, 0, c·h_e, c·h_n, 0].
    let mut h = SVector::<f64, 6>::zeros();
    h[0] = innov.h[0];
    h[1] = innov.h[1];
    h[3] = c * innov.h[0];
    h[4] = c * innov.h[1];
    let pht = kf.p * h;
    let k = pht / innov.s;
    let x = kf.x + k * innov.y;
    let a = Matrix6::identity() - k * h.transpose();
    let p = a * kf.p * a.transpose() + k * k.transpose() * innov.r_eff;
    let next = KfState {
        x,
        p: (p + p.transpose()) * 0.5,
    };
    next.is_sound().then_some(next)
}

/// The crossing of two bearings as a site-ENU position with covariance, or `None` when they
/// cross at too shallow an angle, behind a sensor or too far away. `dt_s` is the time between
/// the two bearings (their target may have moved).
pub(crate) fn triangulate(a: &BearingMeas, b: &BearingMeas, dt_s: f64) -> Option<(V3, M3)> {
    let da = Vector2::new(a.bearing_rad.sin(), a.bearing_rad.cos());
    let db = Vector2::new(b.bearing_rad.sin(), b.bearing_rad.cos());
    let crossing = (da[0] * db[1] - da[1] * db[0]).abs();
    if crossing < MIN_CROSSING_DEG.to_radians().sin() {
        return None;
    }
    // a.sensor + ta·da = b.sensor + tb·db.
    let m = Matrix2::new(da[0], -db[0], da[1], -db[1]);
    let rhs = Vector2::new(b.sensor[0] - a.sensor[0], b.sensor[1] - a.sensor[1]);
    let t = m.try_inverse()? * rhs;
    let (ta, tb) = (t[0], t[1]);
    let in_range = |r: f64| (MIN_HORIZONTAL_RANGE_M..=MAX_FIX_RANGE_M).contains(&r);
    if !in_range(ta) || !in_range(tb) {
        return None;
    }
    // Each bearing places the target on its ray within r·σ across it: information
    // n nᵀ / (r σ)² along the ray's normal n.
    let mut info = Matrix2::zeros();
    for (d, r, sigma) in [(da, ta, a.sigma_rad), (db, tb, b.sigma_rad)] {
        let n = Vector2::new(d[1], -d[0]);
        info += n * n.transpose() / (r * sigma).powi(2);
    }
    let cov = info.try_inverse()?;
    let moved = PAIRING_SPEED_MPS * dt_s.abs();
    let up = 0.5 * (a.sensor[2] + b.sensor[2]) + FIX_HEIGHT_M;
    let z = V3::new(a.sensor[0] + ta * da[0], a.sensor[1] + ta * da[1], up);
    let mut r = M3::zeros();
    r.fixed_view_mut::<2, 2>(0, 0)
        .copy_from(&((cov + cov.transpose()) * 0.5));
    r[(0, 0)] += moved * moved;
    r[(1, 1)] += moved * moved;
    r[(2, 2)] = FIX_VERTICAL_SIGMA_M * FIX_VERTICAL_SIGMA_M;
    (z.iter().all(|v| v.is_finite()) && r.iter().all(|v| v.is_finite())).then_some((z, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meas(sensor: [f64; 2], target: [f64; 2], sigma_deg: f64) -> BearingMeas {
        BearingMeas {
            sensor: V3::new(sensor[0], sensor[1], 0.0),
            bearing_rad: (target[0] - sensor[0]).atan2(target[1] - sensor[1]),
            sigma_rad: sigma_deg.to_radians(),
        }
    }

    #[test]
    fn two_exact_bearings_cross_at_the_target() {
        let target = [1_200.0, 2_500.0];
        let a = meas([0.0, 0.0], target, 1.0);
        let b = meas([3_000.0, 0.0], target, 1.0);
        let (z, r) = triangulate(&a, &b, 0.0).expect("a fix");
        assert!(
            (z[0] - target[0]).abs() < 1e-6 && (z[1] - target[1]).abs() < 1e-6,
            "{z}"
        );
        assert!((z[2] - FIX_HEIGHT_M).abs() < 1e-9);
        // Cross-ray σ is range × σ_bearing: ~48 m from the first sensor at 2.77 km.
        let sigma_max = r
            .fixed_view::<2, 2>(0, 0)
            .symmetric_eigenvalues()
            .max()
            .sqrt();
        assert!(sigma_max > 30.0 && sigma_max < 120.0, "σ {sigma_max}");
        assert!(nalgebra::Cholesky::new(r).is_some());
    }

    #[test]
    fn the_fix_covariance_matches_perpendicular_bearings_closed_form() {
        // Sensors on two axes looking at a target at (1000, 1000): each ray is 1414 m long and
        // the rays are perpendicular, so each direction's σ is 1414 m × σ_bearing.
        let target = [1_000.0, 1_000.0];
        let a = meas([0.0, 1_000.0], target, 0.5);
        let b = meas([1_000.0, 0.0], target, 0.5);
        let (z, r) = triangulate(&a, &b, 0.0).unwrap();
        assert!((z[0] - 1_000.0).abs() < 1e-6 && (z[1] - 1_000.0).abs() < 1e-6);
        let expect = (1_000.0 * 0.5f64.to_radians()).powi(2);
        assert!((r[(0, 0)] - expect).abs() < 1e-6 * expect, "{r}");
        assert!((r[(1, 1)] - expect).abs() < 1e-6 * expect, "{r}");
        assert!(r[(0, 1)].abs() < 1e-6);
    }

    #[test]
    fn parallel_diverging_and_behind_the_sensor_bearings_give_no_fix() {
        let a = meas([0.0, 0.0], [0.0, 1_000.0], 1.0);
        let parallel = meas([500.0, 0.0], [500.0, 1_000.0], 1.0);
        assert!(triangulate(&a, &parallel, 0.0).is_none());
        // The second sensor looks away from where the first ray goes.
        let behind = meas([500.0, 0.0], [1_500.0, -800.0], 1.0);
        assert!(triangulate(&a, &behind, 0.0).is_none());
        // Nearly parallel rays crossing 100 km away.
        let far = meas([500.0, 0.0], [0.0, 100_000.0], 1.0);
        assert!(triangulate(&a, &far, 0.0).is_none());
    }

    #[test]
    fn a_bearing_update_pulls_the_track_across_the_ray_not_along_it() {
        let kf = KfState::birth(
            &V3::new(100.0, 1_000.0, 50.0),
            &(M3::identity() * 400.0),
            &V3::zeros(),
            1.0,
        );
        // The target is due north of the sensor; the track sits 100 m east of that ray.
        let m = BearingMeas {
            sensor: V3::zeros(),
            bearing_rad: 0.0,
            sigma_rad: 0.2f64.to_radians(),
        };
        let proj = kf.project(0.0, 0.0);
        let innov = m.innovation(&proj).expect("innovation");
        assert!(innov.y < 0.0, "the ray is west of the track");
        let post = update(&kf, 0.0, &innov).expect("sound");
        assert!(post.x[0] < 100.0 && post.x[0] > 0.0, "east {}", post.x[0]);
        assert!((post.x[1] - 1_000.0).abs() < 15.0, "north {}", post.x[1]);
        assert!(post.p[(0, 0)] < kf.p[(0, 0)], "across-ray variance shrinks");
        assert!(
            (post.p[(1, 1)] - kf.p[(1, 1)]).abs() < 50.0,
            "along-ray variance barely moves"
        );
    }

    #[test]
    fn bearing_innovation_wraps_across_north() {
        let kf = KfState::birth(
            &V3::new(-1.0, 1_000.0, 0.0),
            &M3::identity(),
            &V3::zeros(),
            1.0,
        );
        let m = BearingMeas {
            sensor: V3::zeros(),
            bearing_rad: 0.001,
            sigma_rad: 0.01,
        };
        let innov = m.innovation(&kf.project(0.0, 0.0)).unwrap();
        assert!(innov.y.abs() < 0.01, "y = {}", innov.y);
    }
}
