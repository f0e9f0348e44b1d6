//! Protected units: the people Picket exists for. Fixed posts and moving patrols.

use crate::{Enu, GeoPoint, LocalFrame, Timestamp, UnitId};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The protected area of a fixed unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "shape")]
pub enum UnitGeometry {
    /// A circle about a point.
    Circle {
        /// Centre.
        center: GeoPoint,
        /// Radius, metres.
        radius_m: f64,
    },
    /// A polygon (vertices in order; closed implicitly).
    Polygon {
        /// Vertices.
        vertices: Vec<GeoPoint>,
    },
}

/// Fixed or moving.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum UnitKind {
    /// A post that does not move.
    Fixed {
        /// What is protected.
        geometry: UnitGeometry,
    },
    /// A patrol whose position arrives as reports (TAK SA).
    Moving {
        /// Radius of the protection bubble that moves with the unit, metres.
        radius_m: f64,
        /// After this long without a report the position is stale and flagged.
        stale_after: Duration,
    },
}

/// A protected unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProtectedUnit {
    /// Stable id from the config.
    pub id: UnitId,
    /// Human name ("Post Alpha").
    pub name: String,
    /// The sector it belongs to (access control: need to know).
    pub sector: String,
    /// Its TAK callsign, if any.
    pub callsign: Option<String>,
    /// Fixed or moving.
    pub kind: UnitKind,
}

/// The state of a unit at one time, in the local frame: what assessment needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitState {
    /// Reference position (centre / centroid / last report), ENU.
    pub position_enu: Enu,
    /// Velocity ENU m/s (zero for fixed units).
    pub velocity_enu_mps: [f64; 3],
    /// Protection radius about the reference position, metres.
    pub radius_m: f64,
    /// True when a moving unit's last report is older than its staleness limit.
    pub stale: bool,
}

impl ProtectedUnit {
    /// Radius of protection (for a polygon: the distance from centroid to the farthest vertex).
    pub fn radius_m(&self, frame: &LocalFrame) -> f64 {
        match &self.kind {
            UnitKind::Fixed {
                geometry: UnitGeometry::Circle { radius_m, .. },
            } => *radius_m,
            UnitKind::Fixed {
                geometry: UnitGeometry::Polygon { vertices },
            } => {
                let c = self.fixed_position_enu(frame).unwrap_or_default();
                vertices
                    .iter()
                    .map(|v| frame.to_enu(v).horizontal_distance_m(&c))
                    .fold(0.0, f64::max)
            }
            UnitKind::Moving { radius_m, .. } => *radius_m,
        }
    }

    /// Reference position of a fixed unit (centre or vertex centroid); `None` for moving units.
    pub fn fixed_position_enu(&self, frame: &LocalFrame) -> Option<Enu> {
        match &self.kind {
            UnitKind::Fixed {
                geometry: UnitGeometry::Circle { center, .. },
            } => Some(frame.to_enu(center)),
            UnitKind::Fixed {
                geometry: UnitGeometry::Polygon { vertices },
            } => {
                if vertices.is_empty() {
                    return None;
                }
                let n = vertices.len() as f64;
                let s = vertices
                    .iter()
                    .map(|v| frame.to_enu(v))
                    .fold([0.0; 3], |a, p| {
                        [a[0] + p.east_m, a[1] + p.north_m, a[2] + p.up_m]
                    });
                Some(Enu::new(s[0] / n, s[1] / n, s[2] / n))
            }
            UnitKind::Moving { .. } => None,
        }
    }

    /// True when the unit moves (its position comes from reports).
    pub fn is_moving(&self) -> bool {
        matches!(self.kind, UnitKind::Moving { .. })
    }

    /// Whether a moving unit's report at `last` is stale at `now`.
    pub fn is_stale(&self, last: Timestamp, now: Timestamp) -> bool {
        match &self.kind {
            UnitKind::Moving { stale_after, .. } => {
                now.seconds_since(last) > stale_after.as_secs_f64()
            }
            UnitKind::Fixed { .. } => false,
        }
    }
}

/// True when `p` lies inside the polygon `poly` (ENU, horizontal only; even-odd rule).
pub fn point_in_polygon(p: &Enu, poly: &[Enu]) -> bool {
    let mut inside = false;
    let n = poly.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (&poly[i], &poly[j]);
        if (a.north_m > p.north_m) != (b.north_m > p.north_m) {
            let x = (b.east_m - a.east_m) * (p.north_m - a.north_m) / (b.north_m - a.north_m)
                + a.east_m;
            if p.east_m < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_contains_its_centre_not_outside() {
        let sq = [
            Enu::new(0.0, 0.0, 0.0),
            Enu::new(10.0, 0.0, 0.0),
            Enu::new(10.0, 10.0, 0.0),
            Enu::new(0.0, 10.0, 0.0),
        ];
        assert!(point_in_polygon(&Enu::new(5.0, 5.0, 0.0), &sq));
        assert!(!point_in_polygon(&Enu::new(15.0, 5.0, 0.0), &sq));
        assert!(!point_in_polygon(&Enu::new(5.0, -0.1, 0.0), &sq));
    }

    #[test]
    fn moving_unit_goes_stale_after_its_limit() {
        let u = ProtectedUnit {
            id: "p".into(),
            name: "P".into(),
            sector: "s".into(),
            callsign: None,
            kind: UnitKind::Moving {
                radius_m: 300.0,
                stale_after: Duration::from_secs(30),
            },
        };
        let t0 = Timestamp::from_micros(0);
        assert!(!u.is_stale(t0, t0.plus_secs_f64(29.0)));
        assert!(u.is_stale(t0, t0.plus_secs_f64(31.0)));
    }
}
