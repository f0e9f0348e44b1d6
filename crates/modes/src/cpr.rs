//! Compact Position Reporting (DO-260B §A.1.7): the 17-bit latitude/longitude encoding of
//! ADS-B positions, decoded globally from an even/odd pair or locally against a reference.
//!
//! Pure arithmetic. Which frames to pair, how old a reference may be and which reference to
//! trust is the tracker's business ([`crate::AircraftTracker`]).

use serde::Serialize;

/// 2^17: one CPR zone is divided into this many steps.
const STEPS: f64 = 131_072.0;
/// Number of latitude zones between the equator and a pole (NZ).
const NZ: f64 = 15.0;

/// Latitudes (degrees) at which the number of longitude zones drops from 59 to 58, 58 to 57,
/// … 2 to 1, from NL(lat) = ⌊2π / acos(1 − (1 − cos(π / 2NZ)) / cos²(lat))⌋; at exactly 87°
/// NL is 2. Checked against the closed form in the tests.
const NL_TRANSITIONS: [f64; 58] = [
    10.47047129996848,
    14.828174368686794,
    18.186263570713354,
    21.029394926028463,
    23.545044865570706,
    25.829247070587755,
    27.938987101219045,
    29.911356857318083,
    31.77209707681077,
    33.53993436298484,
    35.22899597796385,
    36.85025107593526,
    38.41241892412256,
    39.922566843338615,
    41.38651832260239,
    42.80914012243555,
    44.194549514192744,
    45.546267226602346,
    46.867332524987454,
    48.160391280966216,
    49.42776439255687,
    50.67150165553835,
    51.893424691687684,
    53.09516152796003,
    54.278174722729,
    55.44378444495043,
    56.59318756205918,
    57.72747353866114,
    58.84763776148457,
    59.954592766940294,
    61.04917774246351,
    62.13216659210329,
    63.20427479381928,
    64.2661652256744,
    65.31845309682089,
    66.36171008382617,
    67.39646774084667,
    68.4232202208333,
    69.44242631144024,
    70.454510749876,
    71.45986473028982,
    72.45884544728945,
    73.45177441667865,
    74.43893415725137,
    75.42056256653356,
    76.39684390794469,
    77.36789461328188,
    78.33374082922747,
    79.29428225456925,
    80.24923213280512,
    81.19801349271948,
    82.13956980510606,
    83.07199444719814,
    83.99173562980565,
    84.89166190702085,
    85.75541620944418,
    86.535369975121,
    87.0,
];

/// The number of longitude zones at a latitude (1 … 59).
pub fn nl(lat_deg: f64) -> u32 {
    let a = lat_deg.abs();
    if a.is_nan() {
        return 1;
    }
    let passed = NL_TRANSITIONS.partition_point(|&t| t < a);
    59 - passed as u32
}

/// One CPR-encoded position: parity and the two 17-bit fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Cpr {
    /// True for an odd frame (F = 1).
    pub odd: bool,
    /// 17-bit encoded latitude.
    pub lat: u32,
    /// 17-bit encoded longitude.
    pub lon: u32,
}

impl Cpr {
    fn yz(&self) -> f64 {
        f64::from(self.lat & 0x1_FFFF) / STEPS
    }
    fn xz(&self) -> f64 {
        f64::from(self.lon & 0x1_FFFF) / STEPS
    }
    fn i(&self) -> f64 {
        if self.odd {
            1.0
        } else {
            0.0
        }
    }
}

/// Wrap a longitude into [-180, 180).
fn wrap_lon(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// Latitudes of an even/odd pair in zones of `span` degrees (360 airborne, 90 surface),
/// each in [0, span) before any hemisphere choice.
fn pair_lats(even: &Cpr, odd: &Cpr, span: f64) -> (f64, f64) {
    let (yz_e, yz_o) = (even.yz(), odd.yz());
    let j = (59.0 * yz_e - 60.0 * yz_o + 0.5).floor();
    let lat_e = span / (4.0 * NZ) * (j.rem_euclid(60.0) + yz_e);
    let lat_o = span / (4.0 * NZ - 1.0) * (j.rem_euclid(59.0) + yz_o);
    (lat_e, lat_o)
}

/// Longitude of the latest frame of a pair at latitude `lat`, in zones of `span` degrees;
/// `None` at the poles.
fn pair_lon(even: &Cpr, odd: &Cpr, latest_odd: bool, lat: f64, span: f64) -> f64 {
    let nl = f64::from(nl(lat));
    let i = if latest_odd { 1.0 } else { 0.0 };
    let ni = (nl - i).max(1.0);
    let m = (even.xz() * (nl - 1.0) - odd.xz() * nl + 0.5).floor();
    let xz = if latest_odd { odd.xz() } else { even.xz() };
    span / ni * (m.rem_euclid(ni) + xz)
}

/// Global airborne decoding of an even/odd pair; the position is that of the latest frame
/// (`latest_odd`). `None` when the two frames straddle a longitude-zone boundary (the pair
/// cannot be resolved; wait for the next one).
pub fn global_airborne(even: &Cpr, odd: &Cpr, latest_odd: bool) -> Option<(f64, f64)> {
    let (mut lat_e, mut lat_o) = pair_lats(even, odd, 360.0);
    if lat_e >= 270.0 {
        lat_e -= 360.0;
    }
    if lat_o >= 270.0 {
        lat_o -= 360.0;
    }
    if !(-90.0..=90.0).contains(&lat_e) || !(-90.0..=90.0).contains(&lat_o) {
        return None;
    }
    if nl(lat_e) != nl(lat_o) {
        return None;
    }
    let lat = if latest_odd { lat_o } else { lat_e };
    let lon = wrap_lon(pair_lon(even, odd, latest_odd, lat, 360.0));
    Some((lat, lon))
}

/// Global surface decoding of an even/odd pair: surface zones are a quarter of airborne
/// ones, so the answer is one of four; the reference (receiver or last known position,
/// within 45 NM) picks it.
pub fn global_surface(
    even: &Cpr,
    odd: &Cpr,
    latest_odd: bool,
    ref_lat: f64,
    ref_lon: f64,
) -> Option<(f64, f64)> {
    let (lat_e, lat_o) = pair_lats(even, odd, 90.0);
    // Northern or southern hemisphere: the candidate nearer the reference.
    let shift = if (lat_e - 90.0 - ref_lat).abs() < (lat_e - ref_lat).abs() {
        -90.0
    } else {
        0.0
    };
    let (lat_e, lat_o) = (lat_e + shift, lat_o + shift);
    if nl(lat_e) != nl(lat_o) {
        return None;
    }
    let lat = if latest_odd { lat_o } else { lat_e };
    let lon0 = pair_lon(even, odd, latest_odd, lat, 90.0);
    let lon = (0..4)
        .map(|k| wrap_lon(lon0 + 90.0 * f64::from(k)))
        .min_by(|a, b| {
            let da = wrap_lon(a - ref_lon).abs();
            let db = wrap_lon(b - ref_lon).abs();
            da.total_cmp(&db)
        })?;
    Some((lat, lon))
}

fn local(frame: &Cpr, ref_lat: f64, ref_lon: f64, span: f64) -> (f64, f64) {
    let i = frame.i();
    let dlat = span / (4.0 * NZ - i);
    let yz = frame.yz();
    let j = (ref_lat / dlat).floor() + (0.5 + ref_lat.rem_euclid(dlat) / dlat - yz).floor();
    let lat = dlat * (j + yz);
    let ni = (f64::from(nl(lat)) - i).max(1.0);
    let dlon = span / ni;
    let xz = frame.xz();
    let m = (ref_lon / dlon).floor() + (0.5 + ref_lon.rem_euclid(dlon) / dlon - xz).floor();
    (lat, wrap_lon(dlon * (m + xz)))
}

/// Local airborne decoding against a reference position: exact when the aircraft is within
/// half a zone (about 180 NM) of the reference. The caller decides whether it is.
pub fn local_airborne(frame: &Cpr, ref_lat: f64, ref_lon: f64) -> (f64, f64) {
    local(frame, ref_lat, ref_lon, 360.0)
}

/// Local surface decoding against a reference: exact within about 45 NM of it.
pub fn local_surface(frame: &Cpr, ref_lat: f64, ref_lon: f64) -> (f64, f64) {
    local(frame, ref_lat, ref_lon, 90.0)
}

/// Encode a position as an airborne CPR frame (for tests and the built-in scenario).
pub fn encode_airborne(lat_deg: f64, lon_deg: f64, odd: bool) -> Cpr {
    let i = if odd { 1.0 } else { 0.0 };
    let dlat = 360.0 / (4.0 * NZ - i);
    let yz = (STEPS * lat_deg.rem_euclid(dlat) / dlat + 0.5).floor();
    let rlat = dlat * (yz / STEPS + (lat_deg / dlat).floor());
    let ni = (f64::from(nl(rlat)) - i).max(1.0);
    let dlon = 360.0 / ni;
    let xz = (STEPS * lon_deg.rem_euclid(dlon) / dlon + 0.5).floor();
    Cpr {
        odd,
        lat: (yz as u32) & 0x1_FFFF,
        lon: (xz as u32) & 0x1_FFFF,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nl_closed_form(lat: f64) -> u32 {
        if lat == 0.0 {
            return 59;
        }
        if lat.abs() == 87.0 {
            return 2;
        }
        if lat.abs() > 87.0 {
            return 1;
        }
        let a = 1.0 - (std::f64::consts::PI / (2.0 * NZ)).cos();
        let b = lat.to_radians().cos().powi(2);
        (2.0 * std::f64::consts::PI / (1.0 - a / b).acos()).floor() as u32
    }

    #[test]
    fn nl_table_agrees_with_the_closed_form_away_from_transitions() {
        let mut lat: f64 = -90.0;
        while lat <= 90.0 {
            let near = NL_TRANSITIONS.iter().any(|t| (t - lat.abs()).abs() < 1e-9);
            if !near {
                assert_eq!(nl(lat), nl_closed_form(lat), "lat {lat}");
            }
            lat += 0.0137;
        }
        assert_eq!(nl(0.0), 59);
        assert_eq!(nl(87.0), 2);
        assert_eq!(nl(-87.5), 1);
    }

    // The worked example of "The 1090 MHz Riddle": 8D40621D58C382D690C8AC2863A7 (even)
    // and 8D40621D58C386435CC412692AD6 (odd), even received last.
    const EVEN: Cpr = Cpr {
        odd: false,
        lat: 93_000,
        lon: 51_372,
    };
    const ODD: Cpr = Cpr {
        odd: true,
        lat: 74_158,
        lon: 50_194,
    };

    #[test]
    fn global_pair_resolves_the_riddle_example() {
        let (lat, lon) = global_airborne(&EVEN, &ODD, false).unwrap();
        assert!((lat - 52.25720).abs() < 1e-5, "{lat}");
        assert!((lon - 3.91937).abs() < 1e-5, "{lon}");
    }

    #[test]
    fn local_decoding_against_a_nearby_reference_agrees_with_global() {
        let (lat, lon) = local_airborne(&EVEN, 52.258, 3.918);
        assert!((lat - 52.25720).abs() < 1e-5 && (lon - 3.91937).abs() < 1e-5);
    }

    #[test]
    fn encode_then_decode_round_trips_within_cpr_resolution() {
        // ~5 m resolution: 360/59/2^17 degrees of latitude.
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..2_000 {
            let lat = -85.0 + 170.0 * rnd();
            let lon = -180.0 + 360.0 * rnd();
            let e = encode_airborne(lat, lon, false);
            let o = encode_airborne(lat, lon, true);
            for latest_odd in [false, true] {
                if let Some((dlat, dlon)) = global_airborne(&e, &o, latest_odd) {
                    assert!((dlat - lat).abs() < 1e-4, "lat {lat} → {dlat}");
                    assert!(
                        wrap_lon(dlon - lon).abs() < 1e-4 / lat.to_radians().cos(),
                        "lon {lon} → {dlon}"
                    );
                }
            }
            let (llat, llon) = local_airborne(&o, lat + 1.0, lon - 1.0);
            assert!((llat - lat).abs() < 1e-4 && wrap_lon(llon - lon).abs() < 1e-3);
        }
    }

    #[test]
    fn surface_pair_is_resolved_by_the_reference_hemisphere() {
        // Christchurch (NZ) surface pair from pyModeS' tests (C8200A, TC 7); pyModeS 3.6.1
        // gives (-43.485644, 172.539417) for the odd frame and (-43.485741, 172.539293)
        // for the even one decoded locally.
        let even = Cpr {
            odd: false,
            lat: 1_246,
            lon: 57_074,
        };
        let odd = Cpr {
            odd: true,
            lat: 64_585,
            lon: 67_947,
        };
        let (lat, lon) = global_surface(&even, &odd, true, -43.496, 172.558).unwrap();
        assert!(
            (lat + 43.485_644).abs() < 1e-6 && (lon - 172.539_417).abs() < 1e-6,
            "{lat} {lon}"
        );
        let (lat, lon) = local_surface(&even, -43.496, 172.558);
        assert!(
            (lat + 43.485_741).abs() < 1e-6 && (lon - 172.539_293).abs() < 1e-6,
            "{lat} {lon}"
        );
        // A northern reference would pick the wrong hemisphere: the reference matters.
        let (lat_n, _) = global_surface(&even, &odd, true, 46.5, 172.5).unwrap();
        assert!(lat_n > 0.0);
    }
}
