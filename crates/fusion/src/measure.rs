//! Turning an [`Observation`] into a 3-D ENU position measurement with covariance, or a reason
//! to refuse it.

use crate::bearing::BearingMeas;
use crate::config::SensorModel;
use crate::kalman::{M3, V3};
use picket_core::{GeoPoint, LocalFrame, Measurement, Observation};
use std::cmp::Ordering;

/// Variance added to every measurement's diagonal (1 cm σ) so a near-singular but accepted
/// covariance cannot make the filter singular.
const NOISE_FLOOR_M2: f64 = 1.0e-4;
/// Largest accepted measurement variance (σ = 1000 km); anything vaguer carries no information
/// and only risks overflow.
const MAX_VARIANCE_M2: f64 = 1.0e12;
/// Largest accepted radar range, metres.
const MAX_RANGE_M: f64 = 1.0e6;
/// A bearing vaguer than this (1-σ, degrees) carries no useful direction.
const MAX_BEARING_SIGMA_DEG: f64 = 45.0;
/// Reported velocities faster than this are ignored as implausible, m/s.
const MAX_REPORTED_SPEED_MPS: f64 = 1_000.0;

/// Why an observation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// A NaN or infinite number somewhere in it.
    NonFinite,
    /// A position outside WGS-84 ranges.
    InvalidPosition,
    /// A value outside its physical range (negative range, elevation beyond ±90°, σ ≤ 0, ...).
    InvalidValue,
    /// The covariance is not positive definite (or absurdly large).
    BadCovariance,
}

/// An accepted observation with its measurement in site ENU.
#[derive(Clone, Debug)]
pub(crate) struct Prepared<'a> {
    /// The original observation (identity, hints, side facts).
    pub obs: &'a Observation,
    /// Position, site ENU metres.
    pub z: V3,
    /// Covariance of `z`, m², positive definite, floored.
    pub r: M3,
    /// Trace of `r`, for the cheap pre-gate.
    pub trace_r_m2: f64,
    /// Reported velocity when present and plausible.
    pub reported_velocity: Option<V3>,
    /// Operator position when present and valid.
    pub operator_position: Option<GeoPoint>,
    /// For a bearing-only report: the bearing (then `z` is the sensor's position and `r` unused).
    pub bearing: Option<BearingMeas>,
}

/// Rows are the site-frame unit vectors east, north, up expressed in ECEF at `p`, so that
/// `v_enu = M · v_ecef`.
pub(crate) fn enu_basis(p: &GeoPoint) -> M3 {
    let (sl, cl) = p.lat_deg.to_radians().sin_cos();
    let (so, co) = p.lon_deg.to_radians().sin_cos();
    M3::new(-so, co, 0.0, -sl * co, -sl * so, cl, cl * co, cl * so, sl)
}

fn finite_geo(p: &GeoPoint) -> bool {
    p.lat_deg.is_finite() && p.lon_deg.is_finite() && p.alt_hae_m.is_finite()
}

/// True when every number the observation carries is finite.
fn all_finite(o: &Observation) -> bool {
    let m = match &o.measurement {
        Measurement::Position {
            position,
            cov_enu_m2,
        } => finite_geo(position) && cov_enu_m2.iter().flatten().all(|v| v.is_finite()),
        Measurement::RangeAzEl {
            sensor_position,
            range_m,
            azimuth_deg,
            elevation_deg,
            sigma_range_m,
            sigma_azimuth_deg,
            sigma_elevation_deg,
        } => {
            finite_geo(sensor_position)
                && [
                    *range_m,
                    *azimuth_deg,
                    *elevation_deg,
                    *sigma_range_m,
                    *sigma_azimuth_deg,
                    *sigma_elevation_deg,
                ]
                .iter()
                .all(|v| v.is_finite())
        }
        Measurement::Bearing {
            sensor_position,
            bearing_deg,
            sigma_bearing_deg,
        } => {
            finite_geo(sensor_position) && bearing_deg.is_finite() && sigma_bearing_deg.is_finite()
        }
    };
    let s = &o.side;
    m && o.class_hint.is_none_or(|h| h.confidence.is_finite())
        && s.operator_position.as_ref().is_none_or(finite_geo)
        && s.reported_velocity_enu_mps
            .is_none_or(|v| v.iter().all(|c| c.is_finite()))
        && s.rssi_dbm.is_none_or(f64::is_finite)
}

/// Symmetrises, checks positive definiteness and size, and applies the noise floor.
fn accept_covariance(r: M3) -> Result<M3, Rejection> {
    let r = (r + r.transpose()) * 0.5;
    if (0..3).any(|i| r[(i, i)] > MAX_VARIANCE_M2) || nalgebra::Cholesky::new(r).is_none() {
        return Err(Rejection::BadCovariance);
    }
    Ok(r + M3::identity() * NOISE_FLOOR_M2)
}

/// The observation as the sensor's model says it should have been reported: latency taken
/// off its time, bias off its angles and range, its σ raised to the model's floors. Values the
/// model cannot correct (non-finite ones) are left for [`prepare`] to refuse.
pub(crate) fn apply_model(o: &Observation, m: &SensorModel) -> Observation {
    let floor = |sigma: f64, min: Option<f64>| min.map_or(sigma, |f| sigma.max(f));
    let mut out = o.clone();
    if m.latency_s > 0.0 {
        out.time = o.time.plus_secs_f64(-m.latency_s);
    }
    match &mut out.measurement {
        Measurement::Position { cov_enu_m2, .. } => {
            if let Some(f) = m.sigma_position_m {
                // Raise the smaller horizontal eigenvalue to f²: adding the shortfall to both
                // axes keeps the ellipse's orientation and lifts every direction to f or more.
                let (a, b, c) = (cov_enu_m2[0][0], cov_enu_m2[1][1], cov_enu_m2[0][1]);
                let half_trace = 0.5 * (a + b);
                let l_min = half_trace - (0.25 * (a - b) * (a - b) + c * c).sqrt();
                let shortfall = f * f - l_min;
                if shortfall > 0.0 {
                    cov_enu_m2[0][0] += shortfall;
                    cov_enu_m2[1][1] += shortfall;
                }
            }
            if let Some(f) = m.sigma_altitude_m {
                cov_enu_m2[2][2] = cov_enu_m2[2][2].max(f * f);
            }
        }
        Measurement::RangeAzEl {
            range_m,
            azimuth_deg,
            elevation_deg,
            sigma_range_m,
            sigma_azimuth_deg,
            sigma_elevation_deg,
            ..
        } => {
            *range_m -= m.bias_range_m;
            *azimuth_deg -= m.bias_azimuth_deg;
            *elevation_deg = (*elevation_deg - m.bias_elevation_deg).clamp(-90.0, 90.0);
            *sigma_range_m = floor(*sigma_range_m, m.sigma_range_m);
            *sigma_azimuth_deg = floor(*sigma_azimuth_deg, m.sigma_azimuth_deg);
            *sigma_elevation_deg = floor(*sigma_elevation_deg, m.sigma_elevation_deg);
        }
        Measurement::Bearing {
            bearing_deg,
            sigma_bearing_deg,
            ..
        } => {
            *bearing_deg -= m.bias_azimuth_deg;
            *sigma_bearing_deg = floor(*sigma_bearing_deg, m.sigma_bearing_deg);
        }
    }
    out
}

/// Converts an observation into a site-ENU position measurement.
pub(crate) fn prepare<'a>(
    frame: &LocalFrame,
    site_basis: &M3,
    o: &'a Observation,
) -> Result<Prepared<'a>, Rejection> {
    if !all_finite(o) {
        return Err(Rejection::NonFinite);
    }
    let (z, r) = match &o.measurement {
        Measurement::Position {
            position,
            cov_enu_m2,
        } => {
            if !position.is_valid() {
                return Err(Rejection::InvalidPosition);
            }
            let e = frame.to_enu(position);
            let r = M3::from_fn(|i, j| cov_enu_m2[i][j]);
            (V3::new(e.east_m, e.north_m, e.up_m), accept_covariance(r)?)
        }
        Measurement::RangeAzEl {
            sensor_position,
            range_m,
            azimuth_deg,
            elevation_deg,
            sigma_range_m,
            sigma_azimuth_deg,
            sigma_elevation_deg,
        } => {
            if !sensor_position.is_valid() {
                return Err(Rejection::InvalidPosition);
            }
            let range_ok = *range_m > 0.0 && *range_m <= MAX_RANGE_M;
            if !range_ok
                || !(-90.0..=90.0).contains(elevation_deg)
                || *sigma_range_m <= 0.0
                || *sigma_azimuth_deg <= 0.0
                || *sigma_elevation_deg <= 0.0
            {
                return Err(Rejection::InvalidValue);
            }
            polar_to_site(
                frame,
                site_basis,
                sensor_position,
                *range_m,
                azimuth_deg.to_radians(),
                elevation_deg.to_radians(),
                *sigma_range_m,
                sigma_azimuth_deg.to_radians(),
                sigma_elevation_deg.to_radians(),
            )?
        }
        Measurement::Bearing {
            sensor_position,
            bearing_deg,
            sigma_bearing_deg,
        } => {
            if !sensor_position.is_valid() {
                return Err(Rejection::InvalidPosition);
            }
            if !(*sigma_bearing_deg > 0.0 && *sigma_bearing_deg <= MAX_BEARING_SIGMA_DEG) {
                return Err(Rejection::InvalidValue);
            }
            // The bearing is measured against the sensor's own north; turn it into the site's.
            let (sb, cb) = bearing_deg.to_radians().sin_cos();
            let rot = site_basis * enu_basis(sensor_position).transpose();
            let dir = rot * V3::new(sb, cb, 0.0);
            let s = frame.to_enu(sensor_position);
            let sensor = V3::new(s.east_m, s.north_m, s.up_m);
            let bearing = BearingMeas {
                sensor,
                bearing_rad: dir[0].atan2(dir[1]),
                sigma_rad: sigma_bearing_deg.to_radians(),
            };
            if !(sensor.iter().all(|v| v.is_finite()) && bearing.bearing_rad.is_finite()) {
                return Err(Rejection::NonFinite);
            }
            return Ok(Prepared {
                obs: o,
                z: sensor,
                r: M3::identity(),
                trace_r_m2: 0.0,
                reported_velocity: None,
                operator_position: o.side.operator_position.filter(GeoPoint::is_valid),
                bearing: Some(bearing),
            });
        }
    };
    if z.iter().any(|v| !v.is_finite()) {
        return Err(Rejection::NonFinite);
    }
    let reported_velocity = o
        .side
        .reported_velocity_enu_mps
        .map(|v| V3::new(v[0], v[1], v[2]))
        .filter(|v| v.norm() <= MAX_REPORTED_SPEED_MPS);
    let operator_position = o.side.operator_position.filter(GeoPoint::is_valid);
    Ok(Prepared {
        obs: o,
        z,
        trace_r_m2: r.trace(),
        r,
        reported_velocity,
        operator_position,
        bearing: None,
    })
}

/// A polar measurement from a sensor to a site-ENU position with its linearised covariance.
///
/// Azimuth and elevation are measured in the sensor's own local frame (true north and the local
/// horizontal at the sensor), which is rotated against the site frame by the Earth's curvature;
/// the rotation is applied exactly through ECEF.
#[allow(clippy::too_many_arguments)]
fn polar_to_site(
    frame: &LocalFrame,
    site_basis: &M3,
    sensor: &GeoPoint,
    range_m: f64,
    az_rad: f64,
    el_rad: f64,
    sigma_range_m: f64,
    sigma_az_rad: f64,
    sigma_el_rad: f64,
) -> Result<(V3, M3), Rejection> {
    let (sa, ca) = az_rad.sin_cos();
    let (se, ce) = el_rad.sin_cos();
    let unit = V3::new(ce * sa, ce * ca, se);
    // Columns: ∂p/∂range, ∂p/∂azimuth, ∂p/∂elevation.
    let jac = M3::from_columns(&[
        unit,
        V3::new(ce * ca, -ce * sa, 0.0) * range_m,
        V3::new(-se * sa, -se * ca, ce) * range_m,
    ]);
    let polar = M3::from_diagonal(&V3::new(
        sigma_range_m * sigma_range_m,
        sigma_az_rad * sigma_az_rad,
        sigma_el_rad * sigma_el_rad,
    ));
    let r_sensor = jac * polar * jac.transpose();
    let rot = site_basis * enu_basis(sensor).transpose();
    let s = frame.to_enu(sensor);
    let z = V3::new(s.east_m, s.north_m, s.up_m) + rot * (unit * range_m);
    let r = accept_covariance(rot * r_sensor * rot.transpose())?;
    Ok((z, r))
}

fn cmp_f64s(a: &[f64], b: &[f64]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then(a.len().cmp(&b.len()))
}

fn geo_values(p: &GeoPoint) -> [f64; 3] {
    [p.lat_deg, p.lon_deg, p.alt_hae_m]
}

/// The numbers of a measurement, kind first, in a fixed array: sorting compares these for every
/// pair of observations, so they must not allocate.
fn measurement_values(m: &Measurement) -> (u8, [f64; 12], usize) {
    let mut v = [0.0; 12];
    let (kind, sensor, len): (u8, &GeoPoint, usize) = match m {
        Measurement::Position {
            position,
            cov_enu_m2,
        } => {
            v[3..12].copy_from_slice(cov_enu_m2.as_flattened());
            (0, position, 12)
        }
        Measurement::RangeAzEl {
            sensor_position,
            range_m,
            azimuth_deg,
            elevation_deg,
            sigma_range_m,
            sigma_azimuth_deg,
            sigma_elevation_deg,
        } => {
            v[3..9].copy_from_slice(&[
                *range_m,
                *azimuth_deg,
                *elevation_deg,
                *sigma_range_m,
                *sigma_azimuth_deg,
                *sigma_elevation_deg,
            ]);
            (1, sensor_position, 9)
        }
        Measurement::Bearing {
            sensor_position,
            bearing_deg,
            sigma_bearing_deg,
        } => {
            v[3..5].copy_from_slice(&[*bearing_deg, *sigma_bearing_deg]);
            (2, sensor_position, 5)
        }
    };
    v[..3].copy_from_slice(&geo_values(sensor));
    (kind, v, len)
}

/// A total order on observations by everything the tracker reads: time, sensor, then content.
/// Sorting by it makes the result independent of the order the caller passed observations in;
/// `Equal` means "the same report" (received twice) for the tracker's purposes.
pub(crate) fn canonical_cmp(a: &Observation, b: &Observation) -> Ordering {
    a.time
        .cmp(&b.time)
        .then_with(|| a.sensor_id.cmp(&b.sensor_id))
        .then_with(|| {
            let (ka, va, na) = measurement_values(&a.measurement);
            let (kb, vb, nb) = measurement_values(&b.measurement);
            ka.cmp(&kb).then_with(|| cmp_f64s(&va[..na], &vb[..nb]))
        })
        .then_with(|| a.identity.cmp(&b.identity))
        .then_with(|| {
            let key = |o: &Observation| o.class_hint.map(|h| (h.class, h.confidence.to_bits()));
            key(a).cmp(&key(b))
        })
        .then_with(|| {
            let op = |o: &Observation| o.side.operator_position.map(|p| geo_values(&p));
            let vel = |o: &Observation| o.side.reported_velocity_enu_mps;
            let opt = |x: Option<[f64; 3]>, y: Option<[f64; 3]>| match (x, y) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => cmp_f64s(&x, &y),
            };
            opt(op(a), op(b)).then_with(|| opt(vel(a), vel(b)))
        })
        .then_with(|| a.side.callsign.cmp(&b.side.callsign))
}

#[cfg(test)]
mod tests {
    use super::*;
    use picket_core::{Enu, SensorId, Timestamp};

    fn obs(m: Measurement) -> Observation {
        Observation {
            sensor_id: SensorId::from("s"),
            time: Timestamp::from_micros(0),
            measurement: m,
            identity: None,
            class_hint: None,
            side: Default::default(),
        }
    }

    fn site() -> (LocalFrame, M3) {
        let origin = GeoPoint::new(31.34, -109.95, 1_400.0);
        (LocalFrame::new(origin), enu_basis(&origin))
    }

    #[test]
    fn radar_cross_range_sigma_is_range_times_azimuth_sigma() {
        let (frame, basis) = site();
        let o = obs(Measurement::RangeAzEl {
            sensor_position: frame.origin(),
            range_m: 2_000.0,
            azimuth_deg: 0.0,
            elevation_deg: 0.0,
            sigma_range_m: 5.0,
            sigma_azimuth_deg: 1.0,
            sigma_elevation_deg: 0.5,
        });
        let p = prepare(&frame, &basis, &o).unwrap();
        // Due north at the origin: east is cross-range, north is range, up is elevation.
        assert!((p.z[1] - 2_000.0).abs() < 1e-6 && p.z[0].abs() < 1e-6);
        let cross = 2_000.0 * 1f64.to_radians();
        assert!((p.r[(0, 0)] - cross * cross - NOISE_FLOOR_M2).abs() < 1e-6);
        assert!((p.r[(1, 1)] - 25.0 - NOISE_FLOOR_M2).abs() < 1e-9);
        let vert = 2_000.0 * 0.5f64.to_radians();
        assert!((p.r[(2, 2)] - vert * vert - NOISE_FLOOR_M2).abs() < 1e-6);
    }

    #[test]
    fn radar_far_from_the_origin_accounts_for_earth_curvature() {
        let (frame, basis) = site();
        // Sensor 20 km east of the origin; target 3 km north-east of the sensor, 200 m up.
        let sensor = frame.to_geo(&Enu::new(20_000.0, 0.0, 0.0));
        let sensor_frame = LocalFrame::new(sensor);
        let target_local = Enu::new(2_000.0, 2_000.0, 200.0);
        let target = sensor_frame.to_geo(&target_local);
        let range_m = (target_local.to_array().iter().map(|v| v * v).sum::<f64>()).sqrt();
        let o = obs(Measurement::RangeAzEl {
            sensor_position: sensor,
            range_m,
            azimuth_deg: Enu::default().bearing_to_deg(&target_local),
            elevation_deg: (200.0 / range_m).asin().to_degrees(),
            sigma_range_m: 5.0,
            sigma_azimuth_deg: 1.0,
            sigma_elevation_deg: 1.0,
        });
        let p = prepare(&frame, &basis, &o).unwrap();
        let truth = frame.to_enu(&target);
        let err = (p.z - V3::new(truth.east_m, truth.north_m, truth.up_m)).norm();
        assert!(err < 0.01, "error {err} m");
    }

    #[test]
    fn zero_sigma_radar_is_refused() {
        let (frame, basis) = site();
        let o = obs(Measurement::RangeAzEl {
            sensor_position: frame.origin(),
            range_m: 1_000.0,
            azimuth_deg: 10.0,
            elevation_deg: 1.0,
            sigma_range_m: 0.0,
            sigma_azimuth_deg: 1.0,
            sigma_elevation_deg: 1.0,
        });
        assert_eq!(
            prepare(&frame, &basis, &o).unwrap_err(),
            Rejection::InvalidValue
        );
    }

    #[test]
    fn singular_position_covariance_is_refused() {
        let (frame, basis) = site();
        let o = obs(Measurement::position(frame.origin(), 0.0, 5.0));
        assert_eq!(
            prepare(&frame, &basis, &o).unwrap_err(),
            Rejection::BadCovariance
        );
    }

    #[test]
    fn nan_rssi_refuses_the_whole_observation() {
        let (frame, basis) = site();
        let mut o = obs(Measurement::position(frame.origin(), 5.0, 5.0));
        assert!(prepare(&frame, &basis, &o).is_ok());
        o.side.rssi_dbm = Some(f64::NAN);
        assert_eq!(
            prepare(&frame, &basis, &o).unwrap_err(),
            Rejection::NonFinite
        );
    }

    #[test]
    fn canonical_order_distinguishes_content_and_ignores_rssi() {
        let (frame, _) = site();
        let a = obs(Measurement::position(frame.origin(), 5.0, 5.0));
        let mut b = a.clone();
        b.side.rssi_dbm = Some(-70.0);
        assert_eq!(canonical_cmp(&a, &b), Ordering::Equal);
        let c = obs(Measurement::position(frame.origin(), 6.0, 5.0));
        assert_ne!(canonical_cmp(&a, &c), Ordering::Equal);
        assert_eq!(canonical_cmp(&a, &c), canonical_cmp(&c, &a).reverse());
    }
}
