//! Picket's shared model: the vocabulary every other crate speaks.
//!
//! Owns [`Timestamp`] (UTC, integer microseconds), the WGS-84 ⇄ ECEF ⇄ local ENU frames,
//! [`Observation`], [`Track`], [`ProtectedUnit`], [`Zone`] and the [`Alert`] lifecycle records.
//! It does no I/O, reads no clock and knows no wire or config format.
#![deny(missing_docs)]

mod alert;
mod auth;
mod geo;
mod ids;
mod observation;
mod time;
mod track;
mod unit;
mod zone;

pub use alert::{Alert, AlertEvent, AlertState, ThreatLevel};
pub use auth::{Principal, Role};
pub use geo::{Enu, GeoPoint, LocalFrame};
pub use ids::{AlertId, SensorId, TrackId, UnitId};
pub use observation::{
    ClassHint, Identity, Input, Measurement, Observation, SideFacts, SpoofEvidence, TargetClass,
    UnitPosition,
};
pub use time::{Timestamp, TimestampError};
pub use track::{Track, TrackStatus};
pub use unit::{point_in_polygon, ProtectedUnit, UnitGeometry, UnitKind, UnitState};
pub use zone::{BorderLine, Zone, ZoneGeometry, ZoneKind};
