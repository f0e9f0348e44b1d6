//! Alerts: one per (track, unit), with a lifecycle raised → updated* → acknowledged? → cleared.

use crate::{AlertId, GeoPoint, TargetClass, Timestamp, TrackId, UnitId};
use serde::{Deserialize, Serialize};

/// How bad it is, in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreatLevel {
    /// Worth showing on the map; no alert.
    Info,
    /// Approaching; be aware.
    Caution,
    /// Will pass within the unit's protection radius soon.
    Warning,
    /// Inside, or about to be inside, the protection radius: take cover.
    Imminent,
}

impl ThreatLevel {
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            ThreatLevel::Info => "info",
            ThreatLevel::Caution => "caution",
            ThreatLevel::Warning => "warning",
            ThreatLevel::Imminent => "imminent",
        }
    }
}

/// Where an alert is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// First announcement.
    Raised,
    /// Level, closest approach or time changed materially.
    Updated,
    /// A person acknowledged it.
    Acknowledged,
    /// Over (with a reason).
    Cleared,
}

impl AlertState {
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Raised => "raised",
            AlertState::Updated => "updated",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Cleared => "cleared",
        }
    }
}

/// One alert lifecycle event: the record stored, streamed and written to `--alerts-out`.
///
/// Field names are part of Picket's public JSON schema (`docs/alerts.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// The alert this event belongs to.
    pub alert_id: AlertId,
    /// What happened to it.
    pub state: AlertState,
    /// Protected unit threatened.
    pub unit_id: UnitId,
    /// Track doing the threatening.
    pub track_id: TrackId,
    /// Current level.
    pub level: ThreatLevel,
    /// Data time of this event.
    pub time: Timestamp,
    /// Time the alert was first raised.
    pub raised_time: Timestamp,
    /// Where the track is now.
    pub position: GeoPoint,
    /// What the track is believed to be.
    pub target_class: TargetClass,
    /// True when the target sends no Remote ID / ADS-B identity.
    pub dark: bool,
    /// Current horizontal distance from unit to track, metres.
    pub range_m: f64,
    /// Compass bearing from the unit to the track, degrees.
    pub bearing_deg: f64,
    /// Rate at which the distance shrinks, m/s (negative when opening).
    pub closing_speed_mps: f64,
    /// Predicted closest horizontal distance, metres.
    pub closest_approach_m: f64,
    /// Predicted seconds until closest approach (0 when it is now or past).
    pub time_to_closest_approach_s: f64,
    /// Why, in an officer's words, most important first.
    pub reasons: Vec<String>,
    /// Who acknowledged it (set from the acknowledgement on).
    pub acknowledged_by: Option<String>,
    /// Why it was cleared (set on the cleared event).
    pub cleared_reason: Option<String>,
}

/// The current state of one alert (the latest event wins).
pub type Alert = AlertEvent;
