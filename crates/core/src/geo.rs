//! Space: WGS-84 at the edges, local East-North-Up metres inside.
//!
//! Conversions go through ECEF with the `map_3d` crate (WGS-84 ellipsoid).

use serde::{Deserialize, Serialize};

/// A WGS-84 position: latitude and longitude in degrees, height above the ellipsoid in metres.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, degrees, positive north.
    pub lat_deg: f64,
    /// Longitude, degrees, positive east.
    pub lon_deg: f64,
    /// Height above the WGS-84 ellipsoid, metres.
    pub alt_hae_m: f64,
}

impl GeoPoint {
    /// A position from degrees and metres (HAE).
    pub const fn new(lat_deg: f64, lon_deg: f64, alt_hae_m: f64) -> Self {
        GeoPoint {
            lat_deg,
            lon_deg,
            alt_hae_m,
        }
    }
    /// True when latitude, longitude and height are finite and within range.
    pub fn is_valid(&self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && self.alt_hae_m.is_finite()
            && (-90.0..=90.0).contains(&self.lat_deg)
            && (-180.0..=180.0).contains(&self.lon_deg)
            && (-1_000.0..=100_000.0).contains(&self.alt_hae_m)
    }
    /// Earth-centred, Earth-fixed coordinates in metres.
    pub fn to_ecef(&self) -> [f64; 3] {
        let (x, y, z) = map_3d::geodetic2ecef(
            self.lat_deg.to_radians(),
            self.lon_deg.to_radians(),
            self.alt_hae_m,
            map_3d::Ellipsoid::WGS84,
        );
        [x, y, z]
    }
    /// The WGS-84 position of ECEF coordinates in metres.
    pub fn from_ecef(ecef: [f64; 3]) -> Self {
        let (lat, lon, alt) =
            map_3d::ecef2geodetic(ecef[0], ecef[1], ecef[2], map_3d::Ellipsoid::WGS84);
        GeoPoint::new(lat.to_degrees(), lon.to_degrees(), alt)
    }
}

/// A position in a site's local East-North-Up frame, metres from the site origin.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Enu {
    /// Metres east of the origin.
    pub east_m: f64,
    /// Metres north of the origin.
    pub north_m: f64,
    /// Metres up from the origin (along the ellipsoid normal at the origin).
    pub up_m: f64,
}

impl Enu {
    /// A local position from its three components.
    pub const fn new(east_m: f64, north_m: f64, up_m: f64) -> Self {
        Enu {
            east_m,
            north_m,
            up_m,
        }
    }
    /// As an array `[e, n, u]`.
    pub const fn to_array(self) -> [f64; 3] {
        [self.east_m, self.north_m, self.up_m]
    }
    /// Horizontal distance to another local position, metres.
    pub fn horizontal_distance_m(&self, other: &Enu) -> f64 {
        (self.east_m - other.east_m).hypot(self.north_m - other.north_m)
    }
    /// 3-D distance to another local position, metres.
    pub fn distance_m(&self, other: &Enu) -> f64 {
        let d = [
            self.east_m - other.east_m,
            self.north_m - other.north_m,
            self.up_m - other.up_m,
        ];
        (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
    }
    /// Compass bearing from `self` to `other`, degrees clockwise from north in [0, 360).
    pub fn bearing_to_deg(&self, other: &Enu) -> f64 {
        let b = (other.east_m - self.east_m)
            .atan2(other.north_m - self.north_m)
            .to_degrees();
        (b + 360.0) % 360.0
    }
}

/// A site's local tangent frame: ENU metres about a WGS-84 origin.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalFrame {
    origin: GeoPoint,
}

impl LocalFrame {
    /// The frame whose (0, 0, 0) is `origin`.
    pub const fn new(origin: GeoPoint) -> Self {
        LocalFrame { origin }
    }
    /// The frame's origin.
    pub const fn origin(&self) -> GeoPoint {
        self.origin
    }
    /// WGS-84 → local ENU.
    pub fn to_enu(&self, p: &GeoPoint) -> Enu {
        let o = &self.origin;
        let (e, n, u) = map_3d::geodetic2enu(
            p.lat_deg.to_radians(),
            p.lon_deg.to_radians(),
            p.alt_hae_m,
            o.lat_deg.to_radians(),
            o.lon_deg.to_radians(),
            o.alt_hae_m,
            map_3d::Ellipsoid::WGS84,
        );
        Enu::new(e, n, u)
    }
    /// Local ENU → WGS-84.
    pub fn to_geo(&self, p: &Enu) -> GeoPoint {
        let o = &self.origin;
        let (lat, lon, alt) = map_3d::enu2geodetic(
            p.east_m,
            p.north_m,
            p.up_m,
            o.lat_deg.to_radians(),
            o.lon_deg.to_radians(),
            o.alt_hae_m,
            map_3d::Ellipsoid::WGS84,
        );
        GeoPoint::new(lat.to_degrees(), lon.to_degrees(), alt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecef_of_equator_prime_meridian_is_semi_major_axis() {
        let e = GeoPoint::new(0.0, 0.0, 0.0).to_ecef();
        assert!((e[0] - 6_378_137.0).abs() < 1e-6, "{e:?}");
        assert!(e[1].abs() < 1e-6 && e[2].abs() < 1e-6);
        let back = GeoPoint::from_ecef(e);
        assert!(back.lat_deg.abs() < 1e-9 && back.lon_deg.abs() < 1e-9);
    }

    #[test]
    fn enu_round_trip_is_millimetre_exact_over_tens_of_km() {
        let f = LocalFrame::new(GeoPoint::new(31.34, -109.95, 1_400.0));
        for &(e, n, u) in &[
            (0.0, 0.0, 0.0),
            (1_000.0, -2_000.0, 150.0),
            (-30_000.0, 25_000.0, 3_000.0),
        ] {
            let g = f.to_geo(&Enu::new(e, n, u));
            let back = f.to_enu(&g);
            assert!((back.east_m - e).abs() < 1e-3, "{back:?}");
            assert!((back.north_m - n).abs() < 1e-3, "{back:?}");
            assert!((back.up_m - u).abs() < 1e-3, "{back:?}");
        }
    }

    #[test]
    fn one_arc_minute_of_latitude_is_about_a_nautical_mile() {
        let f = LocalFrame::new(GeoPoint::new(31.0, -110.0, 0.0));
        let p = f.to_enu(&GeoPoint::new(31.0 + 1.0 / 60.0, -110.0, 0.0));
        // Meridian arc at 31°N is ~1848 m per arc minute.
        assert!((p.north_m - 1_848.0).abs() < 3.0, "{p:?}");
        assert!(p.east_m.abs() < 1e-6);
    }

    #[test]
    fn bearings_are_compass_degrees() {
        let o = Enu::default();
        assert!((o.bearing_to_deg(&Enu::new(0.0, 1.0, 0.0)) - 0.0).abs() < 1e-9);
        assert!((o.bearing_to_deg(&Enu::new(1.0, 0.0, 0.0)) - 90.0).abs() < 1e-9);
        assert!((o.bearing_to_deg(&Enu::new(-1.0, -1.0, 0.0)) - 225.0).abs() < 1e-9);
    }
}
