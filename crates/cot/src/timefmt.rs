//! CoT times: W3C XML Schema `dateTime` in UTC, written with milliseconds (the precision of
//! TAK protocol v1), read with any fraction.

use picket_core::Timestamp;
use time::OffsetDateTime;

/// Formats a time as CoT does, e.g. `2026-11-26T12:00:00.250Z` (sub-millisecond digits are
/// dropped, rounding towards the past, so XML and protobuf carry the same instant).
///
/// Times outside years 0000–9999 are clamped to that range's ends.
pub fn format_cot_time(t: Timestamp) -> String {
    let ms = t.as_micros().div_euclid(1000);
    // 0000-01-01 and 9999-12-31T23:59:59.999 in ms since the epoch.
    let ms = ms.clamp(-62_167_219_200_000, 253_402_300_799_999);
    match OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) {
        Ok(dt) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            dt.month() as u8,
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        ),
        // Unreachable after the clamp; keep a valid dateTime anyway.
        Err(_) => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// Parses a CoT `dateTime` (RFC 3339 with an offset; CoT uses `Z`). `None` when invalid.
pub fn parse_cot_time(s: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(s.trim()).ok()
}
