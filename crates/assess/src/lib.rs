//! Threat assessment and the alert lifecycle.
//!
//! [`Assessor`] labels each fused track (drone / bird / manned aircraft / unknown; cooperative or
//! dark), remembers what the track did (border crossings, class evidence, recent path), and
//! scores the threat it poses to every protected unit — closest point of approach, time to it,
//! dives, pilot position — with reasons written for an officer. [`AlertManager`] turns those
//! scores into alerts that are raised once per (track, unit), updated when they change
//! materially, acknowledged by a person and cleared when the threat is over.
//!
//! This crate is **not** for I/O: it reads no clock (time is always an argument, taken from the
//! data), opens no socket or file, spawns no task, and knows no wire or config file format.
//! Everything it iterates is ordered (`BTreeMap`), so the same inputs give the same outputs.
//!
//! # How a level is decided
//! Horizontal motion of the track relative to the unit (a patrol's velocity comes from its
//! successive position reports) gives the closest approach within [`AssessConfig::horizon_s`]:
//! - **imminent**: inside the unit's radius now, or closest approach inside it within
//!   `imminent_time_s`;
//! - **warning**: closest approach inside the radius within `warning_time_s`, or a dive
//!   (descending faster than 3 m/s) while closing within 1 km;
//! - **caution**: closest approach within radius + `caution_margin_m`;
//! - **info**: anything else, and always for birds and manned aircraft.
//!
//! Motion is judged on the track's velocity averaged over the last 6 s of confirmed
//! estimates (radar courses swing ±15° report to report). Refinements keep clutter, loiterers
//! and manned traffic quiet without delaying a real attack, each stated in the reasons:
//! - a track that has turned at least 60° the same way and is still turning is *circling*:
//!   its path is predicted along its turn, not along the tangent;
//! - a caution (and only a caution: the level that rests on a prediction minutes ahead) from
//!   beyond radius + margin needs a steady course (under 20° of turn over 10 s) and the track
//!   itself closing at 2 m/s or more (not just a patrol driving toward it);
//! - an unidentified track faster than 45 m/s is not alerted while its manned-aircraft status
//!   is being confirmed (8 s sustained);
//! - an unclassified track that has not moved 100 m in 30 s and is still is treated as
//!   ground clutter;
//! - a dark drone-class or unidentified track that moves with an ADS-B aircraft (close in
//!   position and velocity over several updates) is that aircraft seen by another sensor:
//!   suppressed, the aircraft named; an ADS-B target that is small, slow and low is flagged
//!   as flying like a drone (never suppressed; at most caution). See [`AircraftLists`] and
//!   the `awareness` module for the gates.
//!
//! Alerts: raised after `raise_after` consecutive assessments at caution or above; rises are
//! announced at once, falls once they have lasted 5 s, material changes at most every 5 s;
//! cleared when the track is lost, reclassified, past its closest approach and opening, or
//! below caution for `clear_after_s` while no longer closing.
#![deny(missing_docs)]

mod alerts;
mod assessor;
mod awareness;
mod classify;
mod geometry;
mod words;

pub use alerts::{AlertError, AlertManager, AlertMetrics};
pub use assessor::{Assessor, Site, Threat};
pub use awareness::AircraftLists;
pub use classify::Classification;
pub use geometry::{closest_approach, Approach};

use serde::{Deserialize, Serialize};

/// Tuning of assessment and alerting. Times in seconds of data time, distances in metres.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssessConfig {
    /// Look-ahead for the closest approach, s.
    pub horizon_s: f64,
    /// A closest approach within a unit's radius plus this margin (within the horizon) is at
    /// least caution, m.
    pub caution_margin_m: f64,
    /// A closest approach inside the radius within this time is a warning, s.
    pub warning_time_s: f64,
    /// A closest approach inside the radius within this time (or being inside now) is
    /// imminent, s.
    pub imminent_time_s: f64,
    /// Consecutive assessments at caution or above before an alert is raised (hysteresis).
    pub raise_after: u32,
    /// An alert whose level stays below caution this long is cleared, s.
    pub clear_after_s: f64,
    /// At most this many alerts raised per unit per minute; further threats to the unit are
    /// merged into one of its active alerts. 0 means no cap.
    pub max_raises_per_unit_per_minute: u32,
    /// Tracks with fewer updates than this are not assessed (only confirmed tracks are).
    pub min_track_hits: u32,
    /// Aircraft known by ICAO address: own agency and allowed (labelled, never alerted).
    pub aircraft: AircraftLists,
}

impl Default for AssessConfig {
    fn default() -> Self {
        AssessConfig {
            horizon_s: 180.0,
            caution_margin_m: 300.0,
            warning_time_s: 120.0,
            imminent_time_s: 30.0,
            raise_after: 2,
            clear_after_s: 15.0,
            max_raises_per_unit_per_minute: 6,
            min_track_hits: 3,
            aircraft: AircraftLists::default(),
        }
    }
}

/// A configuration value that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("assessment setting `{field}` is {value}: {expected}")]
pub struct AssessConfigError {
    /// The offending setting.
    pub field: &'static str,
    /// Its value, as written.
    pub value: String,
    /// What it should be.
    pub expected: &'static str,
}

impl AssessConfig {
    /// Check that every setting makes sense (finite, non-negative, times ordered).
    pub fn validate(&self) -> Result<(), AssessConfigError> {
        let non_negative = [
            ("horizon_s", self.horizon_s),
            ("caution_margin_m", self.caution_margin_m),
            ("warning_time_s", self.warning_time_s),
            ("imminent_time_s", self.imminent_time_s),
            ("clear_after_s", self.clear_after_s),
        ];
        for (field, value) in non_negative {
            if !value.is_finite() || value < 0.0 {
                return Err(AssessConfigError {
                    field,
                    value: value.to_string(),
                    expected: "must be a finite number ≥ 0",
                });
            }
        }
        if self.imminent_time_s > self.warning_time_s {
            return Err(AssessConfigError {
                field: "imminent_time_s",
                value: self.imminent_time_s.to_string(),
                expected: "must not exceed warning_time_s",
            });
        }
        if self.warning_time_s > self.horizon_s {
            return Err(AssessConfigError {
                field: "warning_time_s",
                value: self.warning_time_s.to_string(),
                expected: "must not exceed horizon_s",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert_eq!(AssessConfig::default().validate(), Ok(()));
    }

    #[test]
    fn negative_or_unordered_times_are_rejected_with_the_field_name() {
        let c = AssessConfig {
            horizon_s: -1.0,
            ..AssessConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().field, "horizon_s");
        let c = AssessConfig {
            imminent_time_s: 200.0,
            ..AssessConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().field, "imminent_time_s");
        let c = AssessConfig {
            clear_after_s: f64::NAN,
            ..AssessConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().field, "clear_after_s");
    }
}
