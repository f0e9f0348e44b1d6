//! From a resolved ADS-B position to Picket's [`Observation`].

use crate::tracker::PositionFix;
use picket_core::{
    ClassHint, GeoPoint, Identity, Measurement, Observation, SensorId, SideFacts, TargetClass,
    Timestamp,
};

const FT_TO_M: f64 = 0.3048;
const KT_TO_MPS: f64 = 1852.0 / 3600.0;
/// Horizontal 1-σ when the aircraft has not told its accuracy.
pub const DEFAULT_SIGMA_H_M: f64 = 50.0;

/// 1-σ horizontal error from NACp: its bound is a 95 % radius (EPU); for a circular normal
/// error R95 = 2.45 σ. `None` for NACp 0 (unknown) and out-of-range values.
pub fn sigma_h_from_nac_p(nac_p: u8) -> Option<f64> {
    let epu_m = match nac_p {
        11 => 3.0,
        10 => 10.0,
        9 => 30.0,
        8 => 92.6,
        7 => 185.2,
        6 => 555.6,
        5 => 926.0,
        4 => 1_852.0,
        3 => 3_704.0,
        2 => 7_408.0,
        1 => 18_520.0,
        _ => return None,
    };
    Some(epu_m / 2.45)
}

/// An observation of an airborne ADS-B position: `Identity::Icao`, callsign and reported
/// velocity (if fresh) as side facts, class hint from the emitter category (crewed set-A/B
/// categories → manned aircraft, B4 ultralight → unknown, B6 → drone).
///
/// Height: GNSS height when the aircraft sends it (σ 15 m); otherwise barometric altitude
/// corrected by the reported GNSS–baro difference (σ 20 m) or, without one, pressure
/// altitude taken as height (σ 150 m: QNH alone moves it by ±30 ft/hPa).
/// `None` for surface positions (no height to give) and positions without any altitude.
pub fn to_observation(
    sensor_id: &SensorId,
    time: Timestamp,
    fix: &PositionFix,
) -> Option<Observation> {
    if fix.on_ground {
        return None;
    }
    let geo_minus_baro = fix.velocity.and_then(|v| v.geo_minus_baro_ft);
    let (alt_hae_m, sigma_v_m) = match (fix.altitude_gnss_ft, fix.altitude_baro_ft, geo_minus_baro)
    {
        (Some(g), _, _) => (f64::from(g) * FT_TO_M, 15.0),
        (None, Some(b), Some(d)) => (f64::from(b + d) * FT_TO_M, 20.0),
        (None, Some(b), None) => (f64::from(b) * FT_TO_M, 150.0),
        (None, None, _) => return None,
    };
    let position = GeoPoint::new(fix.lat_deg, fix.lon_deg, alt_hae_m);
    if !position.is_valid() {
        return None;
    }
    let sigma_h_m = fix
        .nac_p
        .and_then(sigma_h_from_nac_p)
        .unwrap_or(DEFAULT_SIGMA_H_M);
    let reported_velocity_enu_mps = fix.velocity.and_then(|v| {
        let gs = v.ground_speed_kt? * KT_TO_MPS;
        let trk = v.track_deg?.to_radians();
        let up = v
            .vertical_rate_fpm
            .map_or(0.0, |r| f64::from(r) * FT_TO_M / 60.0);
        Some([gs * trk.sin(), gs * trk.cos(), up])
    });
    let callsign = fix
        .callsign
        .filter(|c| !c.as_str().is_empty())
        .map(|c| c.as_str().to_string());
    let class_hint = fix.category.and_then(|c| {
        let class = if c.is_uav() {
            TargetClass::Drone
        } else if c.set() == 'B' && c.number == 4 {
            // Ultralight / hang-glider / paraglider: crewed, but as small, slow and low as a
            // drone; "unknown" keeps assessment's small-target check open for it.
            TargetClass::Unknown
        } else if c.is_crewed() {
            TargetClass::MannedAircraft
        } else {
            return None;
        };
        Some(ClassHint {
            class,
            confidence: 0.8,
        })
    });
    Some(Observation {
        sensor_id: sensor_id.clone(),
        time,
        measurement: Measurement::position(position, sigma_h_m, sigma_v_m),
        identity: Some(Identity::Icao(fix.address)),
        class_hint,
        side: SideFacts {
            operator_position: None,
            reported_velocity_enu_mps,
            rssi_dbm: None,
            callsign,
            spoof: None,
            take_off_position: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::EmitterCategory;
    use crate::callsign::Callsign;
    use crate::tracker::{CprMethod, VelocityFacts};

    fn fix() -> PositionFix {
        PositionFix {
            address: 0x4840D6,
            non_icao: false,
            lat_deg: 59.7,
            lon_deg: 32.0,
            on_ground: false,
            method: CprMethod::Global,
            altitude_baro_ft: Some(10_000),
            altitude_gnss_ft: None,
            typecode: 11,
            nac_p: None,
            callsign: Some(Callsign::from_bits(Callsign::encode("CBP21"))),
            category: Some(EmitterCategory {
                typecode: 4,
                number: 7,
            }),
            velocity: Some(VelocityFacts {
                ground_speed_kt: Some(100.0),
                track_deg: Some(90.0),
                vertical_rate_fpm: Some(-600),
                geo_minus_baro_ft: Some(200),
                time_s: Some(0.0),
            }),
            squawk: None,
            emergency: None,
            time_s: Some(0.0),
        }
    }

    #[test]
    fn an_airborne_fix_becomes_an_icao_observation_with_facts() {
        let o = to_observation(&"adsb-1".into(), Timestamp::from_micros(0), &fix()).unwrap();
        assert_eq!(o.identity, Some(Identity::Icao(0x4840D6)));
        assert_eq!(o.side.callsign.as_deref(), Some("CBP21"));
        assert_eq!(
            o.class_hint.map(|h| h.class),
            Some(TargetClass::MannedAircraft)
        );
        let v = o.side.reported_velocity_enu_mps.unwrap();
        assert!((v[0] - 51.44).abs() < 0.01 && v[1].abs() < 1e-9 && (v[2] + 3.048).abs() < 1e-9);
        let Measurement::Position {
            position,
            cov_enu_m2,
        } = o.measurement
        else {
            panic!()
        };
        assert!((position.alt_hae_m - 10_200.0 * 0.3048).abs() < 1e-9);
        assert_eq!((cov_enu_m2[0][0], cov_enu_m2[2][2]), (2_500.0, 400.0));
    }

    #[test]
    fn nac_p_sets_the_horizontal_sigma_and_surface_fixes_give_nothing() {
        let mut f = fix();
        f.nac_p = Some(9);
        let o = to_observation(&"adsb-1".into(), Timestamp::from_micros(0), &f).unwrap();
        let Measurement::Position { cov_enu_m2, .. } = o.measurement else {
            panic!()
        };
        assert!((cov_enu_m2[0][0].sqrt() - 30.0 / 2.45).abs() < 1e-9);
        f.on_ground = true;
        assert!(to_observation(&"adsb-1".into(), Timestamp::from_micros(0), &f).is_none());
        f.on_ground = false;
        f.altitude_baro_ft = None;
        assert!(to_observation(&"adsb-1".into(), Timestamp::from_micros(0), &f).is_none());
    }
}
