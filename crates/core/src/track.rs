//! A track: fusion's belief about one object, as published to assessment and outputs.

use crate::{ClassHint, Enu, GeoPoint, Identity, SensorId, SpoofEvidence, Timestamp, TrackId};
use serde::{Deserialize, Serialize};

/// Where a track is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackStatus {
    /// Seen, not yet confirmed (M-of-N not met).
    Tentative,
    /// Confirmed.
    Confirmed,
    /// Ended (missed too often or too uncertain); this is its last update.
    Deleted,
}

/// A snapshot of one track at `time`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Stable id for the life of the track.
    pub id: TrackId,
    /// Life-cycle status.
    pub status: TrackStatus,
    /// Time of this estimate (data time, not wall time).
    pub time: Timestamp,
    /// When the track was started.
    pub first_seen: Timestamp,
    /// Estimated position, WGS-84.
    pub position: GeoPoint,
    /// Estimated position, site ENU.
    pub position_enu: Enu,
    /// Estimated velocity, ENU m/s.
    pub velocity_enu_mps: [f64; 3],
    /// 1-σ horizontal position uncertainty (root of the larger eigenvalue), metres.
    pub sigma_horizontal_m: f64,
    /// Number of observations that updated it.
    pub hits: u32,
    /// Identity attached from a cooperative report, if any.
    pub identity: Option<Identity>,
    /// Accumulated class evidence from sensors' own classifications (best class, mean confidence).
    pub class_hint: Option<ClassHint>,
    /// Sensors that contributed, sorted.
    pub sensors: Vec<SensorId>,
    /// Operator (pilot) position last reported for this object.
    pub operator_position: Option<GeoPoint>,
    /// A callsign the object broadcasts, if any.
    pub callsign: Option<String>,
    /// Where the object says it took off, if it says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_off_position: Option<GeoPoint>,
    /// Further identities the same object is known by (e.g. a SAPIENT object id besides its
    /// Remote ID serial), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_identities: Vec<Identity>,
    /// Evidence that the object's own reports are false, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoof: Option<SpoofEvidence>,
}

impl Track {
    /// Horizontal ground speed, m/s.
    pub fn ground_speed_mps(&self) -> f64 {
        self.velocity_enu_mps[0].hypot(self.velocity_enu_mps[1])
    }
    /// Course over ground, degrees clockwise from north.
    pub fn course_deg(&self) -> f64 {
        let c = self.velocity_enu_mps[0]
            .atan2(self.velocity_enu_mps[1])
            .to_degrees();
        (c + 360.0) % 360.0
    }
}
