//! CAT-048 target reports → observations, with the radar position from CAT-034.

use crate::{capture, CAT_034_048};
use picket_asterix::capture::udp_datagrams;
use picket_asterix::observe::{
    resolve_time_of_day, target_report_to_observation, ObserveError, RadarSite,
};
use picket_asterix::{records, Cat048, Record, TargetReportDescriptor, METRES_PER_NM};
use picket_core::{Identity, LocalFrame, Measurement, SensorId};

#[test]
fn sample_target_reports_become_range_az_el_from_the_cat034_radar_position() {
    let file = capture(CAT_034_048);
    let datagrams: Vec<_> = udp_datagrams(&file).unwrap().map(Result::unwrap).collect();
    let all: Vec<_> = datagrams
        .iter()
        .flat_map(|d| records(d.payload).map(move |r| (d.time, r.unwrap().record)))
        .collect();
    // The radar SAC 25 / SIC 12 says where it is in I034/120.
    let site_pos = all
        .iter()
        .find_map(|(_, r)| match r {
            Record::Cat034(c) if c.data_source.map(|d| d.sic) == Some(12) => {
                RadarSite::position_from_cat034(c)
            }
            _ => None,
        })
        .expect("a CAT-034 with I034/120 from SIC 12");
    assert!((site_pos.lat_deg - 43.571).abs() < 0.001 && site_pos.alt_hae_m == 780.0);
    let site = RadarSite::new(SensorId::from("radar-12"), site_pos);
    let frame = LocalFrame::new(site_pos);
    let mut mapped = 0;
    let mut compared_with_i042 = 0;
    for (time, rec) in &all {
        let Record::Cat048(r) = rec else { continue };
        if r.data_source.map(|d| d.sic) != Some(12) {
            continue;
        }
        let o = match target_report_to_observation(r, &site, *time) {
            Ok(o) => o,
            Err(ObserveError::NoPosition) => {
                assert!(r.polar.is_none());
                continue;
            }
            Err(e) => panic!("{e}"),
        };
        mapped += 1;
        let obs = &o.observation;
        let tod = r.time_of_day_s.unwrap();
        // Timestamps are whole microseconds; 1/128 s ticks round by at most half of one.
        assert!((obs.time.as_secs_f64().rem_euclid(86_400.0) - tod).abs() <= 0.5e-6);
        assert!(obs.time.seconds_since(*time).abs() <= 43_200.0);
        assert_eq!(obs.identity, r.aircraft_address.map(Identity::Icao));
        assert_eq!(obs.side.callsign, r.aircraft_id.clone());
        assert_eq!(o.track_number, r.track_number);
        let Measurement::RangeAzEl {
            range_m,
            azimuth_deg,
            elevation_deg,
            ..
        } = obs.measurement
        else {
            panic!("not range-az-el")
        };
        let p = r.polar.unwrap();
        assert_eq!(range_m, p.rho_nm * METRES_PER_NM);
        assert_eq!(azimuth_deg, p.theta_deg);
        // The point the measurement names is at the reported flight level (the elevation was
        // derived from it), at the measured slant range, on the radar's own bearing to the
        // target (I042 here is the radar's flat polar→Cartesian of the same plot).
        let geo = measurement_to_geo(&frame, range_m, azimuth_deg, elevation_deg);
        let fl_alt_m = r.flight_level.unwrap().alt_baro_m();
        assert!(
            (geo.alt_hae_m - fl_alt_m).abs() < 1e-3 * range_m + 5.0,
            "alt {} vs FL {fl_alt_m} at {range_m} m",
            geo.alt_hae_m
        );
        let enu = frame.to_enu(&geo);
        let slant = (enu.east_m.powi(2) + enu.north_m.powi(2) + enu.up_m.powi(2)).sqrt();
        assert!((slant - range_m).abs() < 1e-3, "{slant} vs {range_m}");
        if let Some(c) = r.cartesian {
            let their_bearing = c.x_nm.atan2(c.y_nm).to_degrees().rem_euclid(360.0);
            let ours = enu.east_m.atan2(enu.north_m).to_degrees().rem_euclid(360.0);
            assert!(
                (ours - their_bearing).abs() < 0.1,
                "{ours} vs {their_bearing}"
            );
            compared_with_i042 += 1;
        }
    }
    assert_eq!(mapped, 38);
    assert_eq!(compared_with_i042, 38);
}

/// The WGS-84 point of a range/azimuth/elevation from the frame's origin (straight line).
fn measurement_to_geo(
    f: &LocalFrame,
    range_m: f64,
    az_deg: f64,
    el_deg: f64,
) -> picket_core::GeoPoint {
    let (az, el) = (az_deg.to_radians(), el_deg.to_radians());
    let h = range_m * el.cos();
    f.to_geo(&picket_core::Enu::new(
        h * az.sin(),
        h * az.cos(),
        range_m * el.sin(),
    ))
}

fn report() -> Cat048 {
    Cat048 {
        time_of_day_s: Some(3_600.0),
        descriptor: Some(TargetReportDescriptor {
            typ: 1,
            ..Default::default()
        }),
        polar: Some(picket_asterix::PolarPosition {
            rho_nm: 1.0,
            theta_deg: 45.0,
        }),
        ..Cat048::default()
    }
}

#[test]
fn a_2d_plot_without_height_gets_zero_elevation_with_the_unknown_elevation_error() {
    let site = RadarSite::new(
        SensorId::from("r"),
        picket_core::GeoPoint::new(45.0, 15.0, 100.0),
    );
    let t = picket_core::Timestamp::parse_rfc3339("2026-11-26T01:00:10Z").unwrap();
    let o = target_report_to_observation(&report(), &site, t).unwrap();
    let Measurement::RangeAzEl {
        elevation_deg,
        sigma_elevation_deg,
        ..
    } = o.observation.measurement
    else {
        panic!()
    };
    assert_eq!(elevation_deg, 0.0);
    assert_eq!(sigma_elevation_deg, site.sigma_elevation_unknown_deg);
    assert_eq!(o.observation.time, resolve_time_of_day(3_600.0, t));
    assert_eq!(o.observation.identity, None);
}

#[test]
fn no_detection_and_missing_position_are_typed_errors() {
    let site = RadarSite::new(
        SensorId::from("r"),
        picket_core::GeoPoint::new(45.0, 15.0, 100.0),
    );
    let t = picket_core::Timestamp::from_micros(0);
    let mut r = report();
    r.descriptor.as_mut().unwrap().typ = 0;
    assert_eq!(
        target_report_to_observation(&r, &site, t),
        Err(ObserveError::NoDetection)
    );
    let mut r = report();
    r.polar = None;
    assert_eq!(
        target_report_to_observation(&r, &site, t),
        Err(ObserveError::NoPosition)
    );
    let mut r = report();
    r.time_of_day_s = None;
    assert_eq!(
        target_report_to_observation(&r, &site, t),
        Err(ObserveError::NoTime)
    );
}

#[test]
fn simulated_and_field_monitor_reports_are_flagged() {
    let site = RadarSite::new(
        SensorId::from("r"),
        picket_core::GeoPoint::new(45.0, 15.0, 100.0),
    );
    let t = picket_core::Timestamp::from_micros(0);
    let mut r = report();
    r.descriptor = Some(TargetReportDescriptor {
        typ: 2,
        sim: true,
        rab: true,
        ..Default::default()
    });
    let o = target_report_to_observation(&r, &site, t).unwrap();
    assert!(o.simulated && o.test_target);
}
