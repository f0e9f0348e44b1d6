//! Time inside Picket: UTC microseconds since the Unix epoch; RFC 3339 at the edges.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A point in time, UTC, integer microseconds since 1970-01-01T00:00:00Z.
///
/// Serialised as an RFC 3339 string with microsecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// A timestamp that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not an RFC 3339 time (expected e.g. 2026-11-26T12:00:00.5Z)")]
pub struct TimestampError {
    input: String,
}

impl Timestamp {
    /// From microseconds since the Unix epoch.
    pub const fn from_micros(us: i64) -> Self {
        Timestamp(us)
    }
    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }
    /// From (possibly fractional) seconds since the Unix epoch, rounded to the microsecond.
    pub fn from_secs_f64(s: f64) -> Self {
        Timestamp((s * 1e6).round() as i64)
    }
    /// Seconds since the Unix epoch as a float.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-6
    }
    /// `self - earlier` in seconds (negative when `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 * 1e-6
    }
    /// This time plus a duration.
    pub fn plus(self, d: Duration) -> Self {
        Timestamp(
            self.0
                .saturating_add(d.as_micros().min(i64::MAX as u128) as i64),
        )
    }
    /// This time plus (possibly negative) seconds.
    pub fn plus_secs_f64(self, s: f64) -> Self {
        Timestamp(self.0.saturating_add((s * 1e6).round() as i64))
    }
    /// Parse RFC 3339 (any offset; stored as UTC).
    pub fn parse_rfc3339(s: &str) -> Result<Self, TimestampError> {
        let err = || TimestampError {
            input: s.chars().take(64).collect(),
        };
        let dt = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| err())?;
        let us = dt.unix_timestamp_nanos() / 1000;
        i64::try_from(us).map(Timestamp).map_err(|_| err())
    }
    /// Format as RFC 3339 UTC with microseconds, e.g. `2026-11-26T12:00:00.250000Z`.
    pub fn to_rfc3339(self) -> String {
        match OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1000) {
            Ok(dt) => {
                let (y, mo, d) = (dt.year(), dt.month() as u8, dt.day());
                format!(
                    "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
                    dt.hour(),
                    dt.minute(),
                    dt.second(),
                    dt.microsecond()
                )
            }
            Err(_) => format!("@{}us", self.0),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_keeps_microseconds() {
        let t = Timestamp::parse_rfc3339("2026-11-26T12:34:56.123456Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-26T12:34:56.123456Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let a = Timestamp::parse_rfc3339("2026-11-26T13:00:00+01:00").unwrap();
        let b = Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert!(Timestamp::parse_rfc3339("").is_err());
    }

    #[test]
    fn arithmetic_in_seconds() {
        let t = Timestamp::from_micros(1_000_000);
        assert_eq!(t.plus_secs_f64(1.5).as_micros(), 2_500_000);
        assert!((t.plus_secs_f64(2.0).seconds_since(t) - 2.0).abs() < 1e-12);
    }
}
