//! SBS-1 / BaseStation CSV lines (dump1090/readsb port 30003): already decoded by the
//! receiver, one transmission per line:
//! `MSG,type,session,aircraft,HEX,flight,date_gen,time_gen,date_log,time_log,callsign,altitude,
//! ground_speed,track,lat,lon,vertical_rate,squawk,alert,emergency,spi,is_on_ground`.
//! Dates and times carry no zone; they are taken as UTC.

use crate::altitude::Squawk;
use picket_core::Timestamp;

/// Longest line accepted, bytes.
pub const MAX_LINE_BYTES: usize = 512;

/// One `MSG` line.
#[derive(Clone, Debug, PartialEq)]
pub struct SbsMessage {
    /// Transmission type 1–8 (1 identification, 2 surface, 3 airborne position, 4 velocity,
    /// 5 surveillance altitude, 6 surveillance identity, 7 air-to-air, 8 all-call).
    pub transmission: u8,
    /// 24-bit address.
    pub address: u32,
    /// When the message was generated (date and time fields 7–8), taken as UTC.
    pub time: Option<Timestamp>,
    /// Callsign.
    pub callsign: Option<String>,
    /// Barometric altitude, feet.
    pub altitude_ft: Option<i32>,
    /// Ground speed, knots.
    pub ground_speed_kt: Option<f64>,
    /// Track, degrees.
    pub track_deg: Option<f64>,
    /// Latitude, degrees.
    pub lat_deg: Option<f64>,
    /// Longitude, degrees.
    pub lon_deg: Option<f64>,
    /// Vertical rate, feet per minute.
    pub vertical_rate_fpm: Option<i32>,
    /// Mode A code.
    pub squawk: Option<Squawk>,
    /// Squawk changed.
    pub alert: Option<bool>,
    /// Emergency flag.
    pub emergency: Option<bool>,
    /// Ident (SPI) flag.
    pub spi: Option<bool>,
    /// On the ground.
    pub on_ground: Option<bool>,
}

/// A line that is not a valid SBS `MSG` line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SbsError {
    /// Longer than [`MAX_LINE_BYTES`].
    #[error("SBS line longer than {MAX_LINE_BYTES} bytes")]
    TooLong,
    /// Not UTF-8 text.
    #[error("SBS line is not text")]
    NotText,
    /// A record type other than `MSG` (`STA`, `AIR`, `ID`, `SEL`, `CLK`) or not SBS at all.
    #[error("not an SBS MSG line (starts with {0:?})")]
    NotMsg(String),
    /// Too few or too many comma-separated fields.
    #[error("SBS MSG line has {0} fields; expected 10 to 22")]
    FieldCount(usize),
    /// A field that does not parse or is out of range.
    #[error("SBS field `{0}` is malformed or out of range")]
    BadField(&'static str),
}

fn opt<T>(
    s: &str,
    name: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, SbsError> {
    let s = s.trim();
    if s.is_empty() {
        Ok(None)
    } else {
        parse(s).map(Some).ok_or(SbsError::BadField(name))
    }
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "-1" | "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

fn finite(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_time(date: &str, time: &str) -> Option<Timestamp> {
    let d = date.as_bytes();
    let ok_date = d.len() == 10
        && d[4] == b'/'
        && d[7] == b'/'
        && d.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let t = time.as_bytes();
    let ok_time = t.len() >= 8
        && t[2] == b':'
        && t[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| t[i].is_ascii_digit())
        && (t.len() == 8
            || (t[8] == b'.'
                && (10..=15).contains(&t.len())
                && t[9..].iter().all(u8::is_ascii_digit)));
    if !ok_date || !ok_time {
        return None;
    }
    let rfc = format!("{}-{}-{}T{}Z", &date[..4], &date[5..7], &date[8..10], time);
    Timestamp::parse_rfc3339(&rfc).ok()
}

fn squawk(s: &str) -> Option<Squawk> {
    let b = s.as_bytes();
    if b.len() != 4 || !b.iter().all(|c| (b'0'..=b'7').contains(c)) {
        return None;
    }
    let v = b.iter().fold(0u16, |a, c| (a << 4) | u16::from(c - b'0'));
    Some(Squawk::from_nibbles(v))
}

/// Parse one line (a trailing CR/LF is ignored).
pub fn parse_line(line: &[u8]) -> Result<SbsMessage, SbsError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(SbsError::TooLong);
    }
    let text = std::str::from_utf8(line).map_err(|_| SbsError::NotText)?;
    let text = text.trim_end_matches(['\r', '\n']);
    let mut f: [&str; 22] = [""; 22];
    let mut n = 0;
    for part in text.split(',') {
        if n == 22 {
            return Err(SbsError::FieldCount(text.split(',').count()));
        }
        f[n] = part;
        n += 1;
    }
    if f[0] != "MSG" {
        return Err(SbsError::NotMsg(f[0].chars().take(8).collect()));
    }
    if n < 10 {
        return Err(SbsError::FieldCount(n));
    }
    let transmission = f[1]
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|t| (1..=8).contains(t))
        .ok_or(SbsError::BadField("transmission type"))?;
    let hex = f[4].trim();
    if hex.len() != 6 {
        return Err(SbsError::BadField("hex ident"));
    }
    let address = u32::from_str_radix(hex, 16).map_err(|_| SbsError::BadField("hex ident"))?;
    let time = if f[6].trim().is_empty() && f[7].trim().is_empty() {
        None
    } else {
        Some(
            parse_time(f[6].trim(), f[7].trim())
                .ok_or(SbsError::BadField("date/time generated"))?,
        )
    };
    let callsign = opt(f[10], "callsign", |s| {
        (s.len() <= 16 && s.is_ascii()).then(|| s.to_string())
    })?;
    let lat = opt(f[14], "lat", |s| {
        finite(s).filter(|v| (-90.0..=90.0).contains(v))
    })?;
    let lon = opt(f[15], "lon", |s| {
        finite(s).filter(|v| (-180.0..=180.0).contains(v))
    })?;
    Ok(SbsMessage {
        transmission,
        address,
        time,
        callsign,
        altitude_ft: opt(f[11], "altitude", |s| {
            s.parse::<i32>()
                .ok()
                .filter(|a| (-2_000..=200_000).contains(a))
        })?,
        ground_speed_kt: opt(f[12], "ground speed", |s| {
            finite(s).filter(|v| (0.0..=5_000.0).contains(v))
        })?,
        track_deg: opt(f[13], "track", |s| {
            finite(s).filter(|v| (-360.0..=360.0).contains(v))
        })?,
        lat_deg: lat,
        lon_deg: lon,
        vertical_rate_fpm: opt(f[16], "vertical rate", |s| {
            s.parse::<i32>().ok().filter(|v| v.abs() <= 100_000)
        })?,
        squawk: opt(f[17], "squawk", squawk)?,
        alert: opt(f[18], "alert", flag)?,
        emergency: opt(f[19], "emergency", flag)?,
        spi: opt(f[20], "spi", flag)?,
        on_ground: opt(f[21], "is on ground", flag)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_line_parses_with_utc_time() {
        let m = parse_line(
            b"MSG,3,1,1,400159,1,2018/04/03,19:03:29.021,2018/04/10,21:24:39.724,,2625,,,59.74472,30.57192,,,,,,0\r\n",
        )
        .unwrap();
        assert_eq!(
            (m.transmission, m.address, m.altitude_ft),
            (3, 0x400159, Some(2625))
        );
        assert_eq!((m.lat_deg, m.lon_deg), (Some(59.74472), Some(30.57192)));
        assert_eq!(m.on_ground, Some(false));
        assert_eq!(m.time.unwrap().to_rfc3339(), "2018-04-03T19:03:29.021000Z");
    }

    #[test]
    fn squawk_and_flags_parse_and_bad_values_are_named() {
        let m = parse_line(b"MSG,6,1,1,4CA2D1,1,2018/04/03,19:02:28.3,,,,,,,,,,7700,-1,-1,0,0")
            .unwrap();
        assert_eq!(m.squawk.map(|s| s.to_string()).as_deref(), Some("7700"));
        assert_eq!(
            (m.alert, m.emergency, m.spi),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(
            parse_line(b"MSG,3,1,1,400159,1,,,,,,2625,,,91.5,30.0,,,,,,0"),
            Err(SbsError::BadField("lat"))
        );
        assert_eq!(
            parse_line(b"MSG,6,1,1,4CA2D1,1,,,,,,,,,,,,7800,,,,"),
            Err(SbsError::BadField("squawk"))
        );
        assert!(matches!(
            parse_line(b"Total processed 13954 messages"),
            Err(SbsError::NotMsg(_))
        ));
    }
}
