//! Zones: the border line and other areas that matter to assessment.

use crate::{Enu, GeoPoint, LocalFrame};
use serde::{Deserialize, Serialize};

/// What a zone means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// An international border; crossings are reported with their direction.
    Border,
    /// An area where drones are not allowed.
    Restricted,
}

/// The shape of a zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "shape")]
pub enum ZoneGeometry {
    /// A polyline (a border).
    Line {
        /// Vertices in order.
        points: Vec<GeoPoint>,
    },
    /// A polygon.
    Polygon {
        /// Vertices in order.
        vertices: Vec<GeoPoint>,
    },
}

/// A named zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// Id from the config.
    pub id: String,
    /// Human name ("US–Mexico border").
    pub name: String,
    /// What it means.
    pub kind: ZoneKind,
    /// Its shape.
    pub geometry: ZoneGeometry,
    /// For a border: a point on the protected (home) side, so direction can be told.
    pub home_side: Option<GeoPoint>,
}

/// Signed side of point `p` relative to the directed segment `a → b` (positive = left).
fn side(a: &Enu, b: &Enu, p: &Enu) -> f64 {
    (b.east_m - a.east_m) * (p.north_m - a.north_m)
        - (b.north_m - a.north_m) * (p.east_m - a.east_m)
}

impl Zone {
    /// The zone's line or ring in local ENU.
    pub fn points_enu(&self, frame: &LocalFrame) -> Vec<Enu> {
        let pts = match &self.geometry {
            ZoneGeometry::Line { points } => points,
            ZoneGeometry::Polygon { vertices } => vertices,
        };
        pts.iter().map(|p| frame.to_enu(p)).collect()
    }
}

/// A border line prepared in the local frame, answering "which side" and "where crossed".
#[derive(Clone, Debug)]
pub struct BorderLine {
    points: Vec<Enu>,
    home: Option<Enu>,
}

impl BorderLine {
    /// Prepare a border zone in `frame`.
    pub fn new(zone: &Zone, frame: &LocalFrame) -> Self {
        BorderLine {
            points: zone.points_enu(frame),
            home: zone.home_side.map(|h| frame.to_enu(&h)),
        }
    }

    /// Where segment `p → q` crosses the line, if it does: the crossing point (ENU).
    pub fn crossing(&self, p: &Enu, q: &Enu) -> Option<Enu> {
        for w in self.points.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let d1 = side(a, b, p);
            let d2 = side(a, b, q);
            let d3 = side(p, q, a);
            let d4 = side(p, q, b);
            if (d1 > 0.0) != (d2 > 0.0) && (d3 > 0.0) != (d4 > 0.0) {
                let t = d1 / (d1 - d2);
                return Some(Enu::new(
                    p.east_m + t * (q.east_m - p.east_m),
                    p.north_m + t * (q.north_m - p.north_m),
                    p.up_m + t * (q.up_m - p.up_m),
                ));
            }
        }
        None
    }

    /// True when `p` is on the home side: an even number of crossings on the way from the
    /// home point to `p`. `None` when the zone has no home point.
    pub fn on_home_side(&self, p: &Enu) -> Option<bool> {
        let h = self.home?;
        let mut crossings = 0;
        for w in self.points.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let d1 = side(a, b, &h);
            let d2 = side(a, b, p);
            let d3 = side(&h, p, a);
            let d4 = side(&h, p, b);
            if (d1 > 0.0) != (d2 > 0.0) && (d3 > 0.0) != (d4 > 0.0) {
                crossings += 1;
            }
        }
        Some(crossings % 2 == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn border() -> (BorderLine, LocalFrame) {
        let frame = LocalFrame::new(GeoPoint::new(31.34, -109.95, 1_400.0));
        let zone = Zone {
            id: "border".into(),
            name: "border".into(),
            kind: ZoneKind::Border,
            geometry: ZoneGeometry::Line {
                points: vec![
                    GeoPoint::new(31.3333, -110.0, 1_400.0),
                    GeoPoint::new(31.3333, -109.9, 1_400.0),
                ],
            },
            home_side: Some(GeoPoint::new(31.36, -109.95, 1_400.0)),
        };
        (BorderLine::new(&zone, &frame), frame)
    }

    #[test]
    fn northward_flight_crosses_the_parallel_border() {
        let (b, frame) = border();
        let south = frame.to_enu(&GeoPoint::new(31.32, -109.95, 1_450.0));
        let north = frame.to_enu(&GeoPoint::new(31.34, -109.95, 1_450.0));
        let x = b.crossing(&south, &north).expect("crosses");
        let g = frame.to_geo(&x);
        assert!((g.lat_deg - 31.3333).abs() < 1e-4, "{g:?}");
        assert_eq!(b.on_home_side(&south), Some(false));
        assert_eq!(b.on_home_side(&north), Some(true));
        assert!(b
            .crossing(
                &north,
                &frame.to_enu(&GeoPoint::new(31.35, -109.95, 1_450.0))
            )
            .is_none());
    }
}
