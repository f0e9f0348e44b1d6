//! CAT-048 target reports → [`Observation`]s (range, azimuth, elevation from the radar).
//!
//! The radar's position comes from the site config or from CAT-034 I034/120
//! ([`RadarSite::position_from_cat034`]). CAT-048 carries only a time of day, so the date comes from a
//! reference time the caller gives (capture time, receive time) — [`resolve_time_of_day`].

use crate::{Cat034, Cat048, DataSource, METRES_PER_FOOT, METRES_PER_NM};
use picket_core::{GeoPoint, Identity, Measurement, Observation, SensorId, SideFacts, Timestamp};

/// Mean Earth radius used for the elevation of a target of known height, metres.
const EARTH_RADIUS_M: f64 = 6_371_000.0;
/// Seconds in a day.
const DAY_S: f64 = 86_400.0;

/// Where a radar stands and how good its measurements are.
#[derive(Clone, Debug, PartialEq)]
pub struct RadarSite {
    /// The sensor's id in Picket.
    pub sensor_id: SensorId,
    /// Antenna position (WGS-84, height above the ellipsoid).
    pub position: GeoPoint,
    /// 1-σ range error, metres.
    pub sigma_range_m: f64,
    /// 1-σ azimuth error, degrees.
    pub sigma_azimuth_deg: f64,
    /// 1-σ error of a height reported by the target (flight level or 3D height), metres; it
    /// becomes the elevation error.
    pub sigma_height_m: f64,
    /// Elevation error used when the report carries no height at all (2D radar), degrees.
    pub sigma_elevation_unknown_deg: f64,
}

impl RadarSite {
    /// A site with typical surveillance-radar errors (range 30 m, azimuth 0.1°, reported
    /// height 60 m, unknown elevation 10°).
    pub fn new(sensor_id: SensorId, position: GeoPoint) -> Self {
        RadarSite {
            sensor_id,
            position,
            sigma_range_m: 30.0,
            sigma_azimuth_deg: 0.1,
            sigma_height_m: 60.0,
            sigma_elevation_unknown_deg: 10.0,
        }
    }

    /// The radar position a CAT-034 message declares (I034/120), if it carries one.
    pub fn position_from_cat034(msg: &Cat034) -> Option<GeoPoint> {
        msg.position
            .map(|p| GeoPoint::new(p.lat_deg, p.lon_deg, p.alt_hae_m))
            .filter(GeoPoint::is_valid)
    }
}

/// Why a target report gives no observation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObserveError {
    /// No I048/040 measured position.
    #[error("target report has no measured polar position (I048/040)")]
    NoPosition,
    /// No I048/140 time of day.
    #[error("target report has no time of day (I048/140)")]
    NoTime,
    /// I048/020 TYP = 0: the record reports no detection.
    #[error("target report descriptor says no detection (TYP 0)")]
    NoDetection,
    /// The radar position is not a valid WGS-84 position.
    #[error("radar position {0:?} is not a valid WGS-84 position")]
    BadSite(GeoPoint),
}

/// An observation with the radar facts that have no place in [`Observation`].
#[derive(Clone, Debug, PartialEq)]
pub struct RadarObservation {
    /// The observation for fusion.
    pub observation: Observation,
    /// The radar's data source identifier.
    pub data_source: Option<DataSource>,
    /// The radar's own track number (I048/161).
    pub track_number: Option<u16>,
    /// A simulated target (I048/020 SIM) — never a real object.
    pub simulated: bool,
    /// A test target or field monitor (I048/020 TST or RAB) — a fixed transponder, not traffic.
    pub test_target: bool,
}

/// The UTC time of a time of day (seconds since midnight), on the day that puts it nearest to
/// `reference` (so a report just before midnight read just after it lands on the right day).
pub fn resolve_time_of_day(time_of_day_s: f64, reference: Timestamp) -> Timestamp {
    let ref_s = reference.as_secs_f64();
    let midnight = (ref_s / DAY_S).floor() * DAY_S;
    let mut t = midnight + time_of_day_s.rem_euclid(DAY_S);
    if t - ref_s > DAY_S / 2.0 {
        t -= DAY_S;
    } else if ref_s - t > DAY_S / 2.0 {
        t += DAY_S;
    }
    Timestamp::from_secs_f64(t)
}

/// Elevation angle, degrees, of a target at `target_alt_m` seen at slant range `range_m` from
/// a radar at `radar_alt_m` (heights on a spherical Earth, no refraction). Clamped to ±90°.
pub fn elevation_deg(range_m: f64, radar_alt_m: f64, target_alt_m: f64) -> f64 {
    if range_m <= 0.0 {
        return 0.0;
    }
    let rr = EARTH_RADIUS_M + radar_alt_m;
    let rt = EARTH_RADIUS_M + target_alt_m;
    let s = (rt * rt - rr * rr - range_m * range_m) / (2.0 * range_m * rr);
    s.clamp(-1.0, 1.0).asin().to_degrees()
}

/// Maps one CAT-048 target report to an observation from `site`.
///
/// Range and azimuth come from I048/040. The elevation comes from the target's height: the 3D
/// radar height (I048/110, MSL) if present, else the flight level (I048/090, pressure altitude,
/// taken as a height — good to the site's `sigma_height_m`); with neither it is 0° with
/// `sigma_elevation_unknown_deg`. The ICAO address (I048/220) becomes the identity, the
/// callsign (I048/240) a side fact, the track velocity (I048/200) the reported velocity.
pub fn target_report_to_observation(
    report: &Cat048,
    site: &RadarSite,
    reference: Timestamp,
) -> Result<RadarObservation, ObserveError> {
    if !site.position.is_valid() {
        return Err(ObserveError::BadSite(site.position));
    }
    if report.descriptor.is_some_and(|d| d.typ == 0) {
        return Err(ObserveError::NoDetection);
    }
    let polar = report.polar.ok_or(ObserveError::NoPosition)?;
    let tod = report.time_of_day_s.ok_or(ObserveError::NoTime)?;
    let range_m = polar.rho_nm * METRES_PER_NM;

    let target_alt_m = report
        .height_3d_ft
        .map(|ft| ft * METRES_PER_FOOT)
        .or_else(|| {
            report
                .flight_level
                .filter(|f| !f.garbled)
                .map(|f| f.alt_baro_m())
        });
    let (elevation_deg, sigma_elevation_deg) = match target_alt_m {
        Some(alt) if range_m > 0.0 => (
            elevation_deg(range_m, site.position.alt_hae_m, alt),
            (site.sigma_height_m / range_m).atan().to_degrees(),
        ),
        _ => (0.0, site.sigma_elevation_unknown_deg),
    };

    let observation = Observation {
        sensor_id: site.sensor_id.clone(),
        time: resolve_time_of_day(tod, reference),
        measurement: Measurement::RangeAzEl {
            sensor_position: site.position,
            range_m,
            azimuth_deg: polar.theta_deg,
            elevation_deg,
            sigma_range_m: site.sigma_range_m,
            sigma_azimuth_deg: site.sigma_azimuth_deg,
            sigma_elevation_deg,
        },
        identity: report.aircraft_address.map(Identity::Icao),
        class_hint: None,
        side: SideFacts {
            reported_velocity_enu_mps: report.velocity.map(|v| v.enu_mps()),
            callsign: report.aircraft_id.clone().filter(|c| !c.is_empty()),
            ..SideFacts::default()
        },
    };
    let d = report.descriptor.unwrap_or_default();
    Ok(RadarObservation {
        observation,
        data_source: report.data_source,
        track_number: report.track_number,
        simulated: d.sim,
        test_target: d.rab || d.tst == Some(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn time_of_day_lands_on_the_reference_day() {
        let got = resolve_time_of_day(3_600.5, t("2026-11-26T01:00:03Z"));
        assert_eq!(got, t("2026-11-26T01:00:00.5Z"));
    }

    #[test]
    fn time_of_day_just_before_midnight_read_after_it_is_yesterday() {
        let got = resolve_time_of_day(86_399.0, t("2026-11-26T00:00:02Z"));
        assert_eq!(got, t("2026-11-25T23:59:59Z"));
    }

    #[test]
    fn time_of_day_just_after_midnight_read_before_it_is_tomorrow() {
        let got = resolve_time_of_day(1.0, t("2026-11-25T23:59:58Z"));
        assert_eq!(got, t("2026-11-26T00:00:01Z"));
    }

    #[test]
    fn elevation_of_a_target_level_with_the_radar_dips_with_earth_curvature() {
        // 10 km away at the same height: the target is below the radar's horizontal by
        // about d / (2R) radians.
        let e = elevation_deg(10_000.0, 100.0, 100.0);
        let expected = -(10_000.0 / (2.0 * EARTH_RADIUS_M)).to_degrees();
        assert!((e - expected).abs() < 1e-4, "{e} vs {expected}");
    }

    #[test]
    fn elevation_of_a_close_high_target_is_near_the_flat_earth_angle() {
        let e = elevation_deg(1_000.0, 0.0, 500.0);
        assert!((e - 30.0).abs() < 0.01, "{e}");
    }
}
