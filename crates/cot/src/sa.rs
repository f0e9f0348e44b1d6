//! Friendly situational awareness (SA): the position reports officers' TAK devices send
//! (`a-f-G-…`), reduced to what Picket needs to move a protection bubble.
//!
//! Which unit a report belongs to (by uid or callsign) is config, decided by the caller;
//! [`FriendlySa::to_unit_position`] does the final mapping.

use crate::event::{CotEvent, Limits};
use crate::DecodeError;
use picket_core::{GeoPoint, Timestamp, UnitId, UnitPosition};

/// One friendly ground position report.
#[derive(Clone, Debug, PartialEq)]
pub struct FriendlySa {
    /// The device's uid (stable per device, e.g. `ANDROID-…`).
    pub uid: String,
    /// `<contact callsign>`, when present.
    pub callsign: Option<String>,
    /// CoT type, e.g. `a-f-G-U-C`.
    pub cot_type: String,
    /// `<__group name>` (team colour), when present.
    pub team: Option<String>,
    /// `<__group role>`, when present.
    pub role: Option<String>,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the ellipsoid, metres, when the device knows it.
    pub hae_m: Option<f64>,
    /// Horizontal 1-σ error, metres, when known.
    pub ce_m: Option<f64>,
    /// When the report was made.
    pub time: Timestamp,
    /// When the device says it goes stale.
    pub stale: Timestamp,
    /// `<track speed>`, m/s, when present.
    pub speed_mps: Option<f64>,
    /// `<track course>`, degrees, when present.
    pub course_deg: Option<f64>,
}

/// Why an event is not usable friendly SA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaError {
    /// The bytes were not a CoT event.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The event is not a friendly ground report.
    #[error("CoT type `{0}` is not friendly ground SA (a-f-G…)")]
    NotFriendlyGround(String),
}

/// True for friendly ground types: `a-f-G` and `a-f-G-…`.
pub fn is_friendly_ground(cot_type: &str) -> bool {
    cot_type == "a-f-G" || cot_type.starts_with("a-f-G-")
}

impl FriendlySa {
    /// Reads friendly SA from a decoded event.
    pub fn from_event(event: &CotEvent) -> Result<Self, SaError> {
        if !is_friendly_ground(&event.cot_type) {
            return Err(SaError::NotFriendlyGround(
                event.cot_type.chars().take(64).collect(),
            ));
        }
        let group = event.detail_element("__group");
        let track = event.detail_element("track");
        let track_num = |k: &str| {
            track
                .and_then(|t| t.get(k))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        let nonempty = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(FriendlySa {
            uid: event.uid.clone(),
            callsign: nonempty(event.callsign()),
            cot_type: event.cot_type.clone(),
            team: nonempty(group.and_then(|g| g.get("name"))),
            role: nonempty(group.and_then(|g| g.get("role"))),
            lat_deg: event.point.lat_deg,
            lon_deg: event.point.lon_deg,
            hae_m: event.point.known_hae_m(),
            ce_m: event.point.known_ce_m(),
            time: event.time,
            stale: event.stale,
            speed_mps: track_num("speed").filter(|s| *s >= 0.0),
            course_deg: track_num("course"),
        })
    }
    /// Decodes friendly SA from one CoT XML message.
    pub fn decode_xml(bytes: &[u8], limits: &Limits) -> Result<Self, SaError> {
        Self::from_event(&crate::xml::decode_xml_with(bytes, limits)?)
    }
    /// Decodes friendly SA from one TAK protocol v1 payload (after framing).
    pub fn decode_payload(bytes: &[u8], limits: &Limits) -> Result<Self, SaError> {
        Self::from_event(&crate::convert::decode_payload(bytes, limits)?)
    }
    /// True when the device's own stale time has passed at `now`.
    pub fn is_stale_at(&self, now: Timestamp) -> bool {
        now >= self.stale
    }
    /// The report as a unit position for `unit_id` (chosen by the caller's config). Devices
    /// that send no height get `fallback_hae_m` (e.g. the site's ground height).
    pub fn to_unit_position(&self, unit_id: UnitId, fallback_hae_m: f64) -> UnitPosition {
        UnitPosition {
            unit_id,
            time: self.time,
            position: GeoPoint::new(
                self.lat_deg,
                self.lon_deg,
                self.hae_m.unwrap_or(fallback_hae_m),
            ),
        }
    }
}
