//! UTM ⇄ WGS-84 latitude/longitude (transverse Mercator, Krüger series to third order in n:
//! sub-millimetre within a zone), for SAPIENT nodes that report in `UTM_M`.

/// WGS-84 semi-major axis, metres.
const A: f64 = 6_378_137.0;
/// WGS-84 flattening.
const F: f64 = 1.0 / 298.257_223_563;
/// UTM central scale factor.
const K0: f64 = 0.9996;
/// False easting, metres.
const E0: f64 = 500_000.0;
/// False northing in the southern hemisphere, metres.
const N0_SOUTH: f64 = 10_000_000.0;

/// A UTM zone: number 1..=60 and hemisphere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtmZone {
    /// Zone number, 1..=60.
    pub number: u8,
    /// True in the northern hemisphere.
    pub north: bool,
}

impl UtmZone {
    fn central_meridian_rad(self) -> f64 {
        (f64::from(self.number) * 6.0 - 183.0).to_radians()
    }

    /// Parses a zone written as a number and a latitude band letter, e.g. `30U` or `33 T`.
    ///
    /// The letter is read as an MGRS latitude band (C–M southern hemisphere, N–X northern),
    /// which is how SAPIENT nodes write zones ("30U"). A bare number or any other letter is
    /// refused rather than guessed: a wrong hemisphere moves a target by 10 000 km.
    pub fn parse(s: &str) -> Option<UtmZone> {
        let s = s.trim();
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let number: u8 = s.get(..digits)?.parse().ok()?;
        if !(1..=60).contains(&number) {
            return None;
        }
        let rest = s.get(digits..)?.trim();
        let mut chars = rest.chars();
        let band = chars.next()?.to_ascii_uppercase();
        if chars.next().is_some() {
            return None;
        }
        let north = match band {
            'C'..='H' | 'J'..='M' => false,
            'N' | 'P'..='X' => true,
            _ => return None,
        };
        Some(UtmZone { number, north })
    }

    /// The standard zone of a longitude (ignoring the Norway/Svalbard exceptions).
    pub fn of(lat_deg: f64, lon_deg: f64) -> UtmZone {
        let number = (((lon_deg + 180.0) / 6.0).floor() as i64).rem_euclid(60) as u8 + 1;
        UtmZone {
            number,
            north: lat_deg >= 0.0,
        }
    }
}

fn n() -> f64 {
    F / (2.0 - F)
}

fn rectifying_radius() -> f64 {
    let n = n();
    let n2 = n * n;
    A / (1.0 + n) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0)
}

/// Latitude and longitude (degrees) of a UTM easting/northing (metres) in `zone`.
pub fn utm_to_geodetic(easting_m: f64, northing_m: f64, zone: UtmZone) -> (f64, f64) {
    let n = n();
    let (n2, n3) = (n * n, n * n * n);
    let beta = [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0,
        n2 / 48.0 + n3 / 15.0,
        17.0 * n3 / 480.0,
    ];
    let delta = [
        2.0 * n - 2.0 * n2 / 3.0 - 2.0 * n3,
        7.0 * n2 / 3.0 - 8.0 * n3 / 5.0,
        56.0 * n3 / 15.0,
    ];
    let n0 = if zone.north { 0.0 } else { N0_SOUTH };
    let k = K0 * rectifying_radius();
    let xi = (northing_m - n0) / k;
    let eta = (easting_m - E0) / k;
    let (mut xi_p, mut eta_p) = (xi, eta);
    for (j, b) in beta.iter().enumerate() {
        let m = 2.0 * (j as f64 + 1.0);
        xi_p -= b * (m * xi).sin() * (m * eta).cosh();
        eta_p -= b * (m * xi).cos() * (m * eta).sinh();
    }
    let chi = (xi_p.sin() / eta_p.cosh()).asin();
    let mut phi = chi;
    for (j, d) in delta.iter().enumerate() {
        phi += d * (2.0 * (j as f64 + 1.0) * chi).sin();
    }
    let lambda = zone.central_meridian_rad() + eta_p.sinh().atan2(xi_p.cos());
    let mut lon = lambda.to_degrees();
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    (phi.to_degrees(), lon)
}

/// UTM easting and northing (metres) of a latitude/longitude (degrees) in `zone`.
pub fn geodetic_to_utm(lat_deg: f64, lon_deg: f64, zone: UtmZone) -> (f64, f64) {
    let n = n();
    let (n2, n3) = (n * n, n * n * n);
    let alpha = [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0,
        61.0 * n3 / 240.0,
    ];
    let e = 2.0 * n.sqrt() / (1.0 + n);
    let phi = lat_deg.to_radians();
    let dl = lon_deg.to_radians() - zone.central_meridian_rad();
    let t = (phi.sin().atanh() - e * (e * phi.sin()).atanh()).sinh();
    let xi_p = t.atan2(dl.cos());
    let eta_p = (dl.sin() / (1.0 + t * t).sqrt()).atanh();
    let (mut x, mut y) = (eta_p, xi_p);
    for (j, a) in alpha.iter().enumerate() {
        let m = 2.0 * (j as f64 + 1.0);
        x += a * (m * xi_p).cos() * (m * eta_p).sinh();
        y += a * (m * xi_p).sin() * (m * eta_p).cosh();
    }
    let k = K0 * rectifying_radius();
    let n0 = if zone.north { 0.0 } else { N0_SOUTH };
    (E0 + k * x, n0 + k * y)
}

/// Grid convergence at a point: the angle from true north to grid north, degrees, positive
/// when grid north lies east of true north. True azimuth = grid azimuth + convergence.
pub fn grid_convergence_deg(lat_deg: f64, lon_deg: f64, zone: UtmZone) -> f64 {
    let dl = lon_deg.to_radians() - zone.central_meridian_rad();
    (dl.tan() * lat_deg.to_radians().sin()).atan().to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_letters_are_latitude_bands() {
        assert_eq!(
            UtmZone::parse("30U"),
            Some(UtmZone {
                number: 30,
                north: true
            })
        );
        assert_eq!(
            UtmZone::parse(" 56 h "),
            Some(UtmZone {
                number: 56,
                north: false
            })
        );
        assert_eq!(UtmZone::parse("30"), None);
        assert_eq!(UtmZone::parse("61U"), None);
        assert_eq!(UtmZone::parse("30I"), None);
        assert_eq!(UtmZone::parse("30UU"), None);
    }

    #[test]
    fn a_point_on_the_central_meridian_at_the_equator_is_at_the_false_easting() {
        let z = UtmZone {
            number: 31,
            north: true,
        };
        let (e, n) = geodetic_to_utm(0.0, 3.0, z);
        assert!((e - 500_000.0).abs() < 1e-6 && n.abs() < 1e-6, "{e} {n}");
    }

    #[test]
    fn round_trip_is_sub_millimetre_across_a_zone() {
        for &(lat, lon) in &[(51.17, -1.82), (-33.9, 151.2), (0.5, 2.9), (70.0, 5.9)] {
            let z = UtmZone::of(lat, lon);
            let (e, n) = geodetic_to_utm(lat, lon, z);
            let (lat2, lon2) = utm_to_geodetic(e, n, z);
            assert!((lat2 - lat).abs() < 1e-8, "{lat} {lat2}");
            assert!((lon2 - lon).abs() < 1e-8, "{lon} {lon2}");
        }
    }
}
