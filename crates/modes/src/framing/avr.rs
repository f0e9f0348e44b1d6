//! AVR text framing (dump1090/readsb port 30002 and its MLAT variant): `*HEX;` or
//! `@TTTTTTTTTTTTHEX;` where HEX is a 2-, 7- or 14-byte frame (Mode A/C, short, long Mode S)
//! and T is the 48-bit 12 MHz timestamp, 12 hex digits. Records are usually one per line;
//! several on one line, CR LF line ends and a missing final newline are all accepted.

/// Longest record accepted: `@`, 12 + 28 hex digits, `;`.
pub const MAX_RECORD_BYTES: usize = 42;

/// One AVR record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvrFrame {
    /// The 12 MHz timestamp of an `@` record.
    pub mlat_ticks: Option<u64>,
    data: [u8; 14],
    len: u8,
}

impl AvrFrame {
    /// The frame bytes (2, 7 or 14).
    pub fn data(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

/// A record that is not valid AVR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AvrError {
    /// The record does not start with `*` or `@`.
    #[error("an AVR record starts with '*' or '@', not {0:?}")]
    BadStart(char),
    /// No `;` before the end of the line.
    #[error("AVR record without its closing ';'")]
    Unterminated,
    /// Longer than any valid record.
    #[error("AVR record longer than {MAX_RECORD_BYTES} bytes")]
    TooLong,
    /// A character that is not a hex digit.
    #[error("AVR record has a non-hex character")]
    NotHex,
    /// Hex of a length that is no frame (4, 14 or 28 digits; plus 12 for `@`).
    #[error("AVR record has {digits} hex digits; expected 4, 14 or 28 (plus 12 with '@')")]
    BadLength {
        /// Hex digits found.
        digits: usize,
    },
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parse one record, `*…;` or `@…;` (surrounding whitespace allowed).
pub fn parse_record(record: &[u8]) -> Result<AvrFrame, AvrError> {
    let r = record.trim_ascii();
    if r.len() > MAX_RECORD_BYTES {
        return Err(AvrError::TooLong);
    }
    let (&first, rest) = r.split_first().ok_or(AvrError::Unterminated)?;
    let timed = match first {
        b'*' => false,
        b'@' => true,
        other => return Err(AvrError::BadStart(char::from(other))),
    };
    let hex = rest.strip_suffix(b";").ok_or(AvrError::Unterminated)?;
    let ts_digits = if timed { 12 } else { 0 };
    let frame_digits = hex
        .len()
        .checked_sub(ts_digits)
        .ok_or(AvrError::BadLength { digits: hex.len() })?;
    if !matches!(frame_digits, 4 | 14 | 28) {
        return Err(AvrError::BadLength { digits: hex.len() });
    }
    let mut ticks = 0u64;
    for &c in &hex[..ts_digits] {
        ticks = (ticks << 4) | u64::from(hex_val(c).ok_or(AvrError::NotHex)?);
    }
    let mut data = [0u8; 14];
    for (i, pair) in hex[ts_digits..].chunks_exact(2).enumerate() {
        let hi = hex_val(pair[0]).ok_or(AvrError::NotHex)?;
        let lo = hex_val(pair[1]).ok_or(AvrError::NotHex)?;
        data[i] = (hi << 4) | lo;
    }
    Ok(AvrFrame {
        mlat_ticks: timed.then_some(ticks),
        data,
        len: (frame_digits / 2) as u8,
    })
}

/// The records of a complete input, each parsed; bad records are reported and skipped.
pub fn frames(bytes: &[u8]) -> Frames<'_> {
    Frames { rest: bytes }
}

/// Iterator returned by [`frames`].
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    rest: &'a [u8],
}

impl Iterator for Frames<'_> {
    type Item = Result<AvrFrame, AvrError>;
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.rest.iter().position(|c| !c.is_ascii_whitespace())?;
        let rest = &self.rest[start..];
        // A record ends at its ';' or, if that is missing, at the end of the line. One scan
        // for whichever comes first, and all of it is consumed: linear in the input.
        let end = match rest.iter().position(|&c| c == b';' || c == b'\n') {
            Some(i) if rest[i] == b';' => i + 1,
            Some(i) => i,
            None => rest.len(),
        };
        self.rest = &rest[end..];
        Some(parse_record(&rest[..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_timestamped_records_parse() {
        let f = parse_record(b"*8D406B902015A678D4D220AA4BDA;").unwrap();
        assert_eq!(
            (f.mlat_ticks, f.data().len(), f.data()[0]),
            (None, 14, 0x8D)
        );
        let f = parse_record(b"@0123456789AB5d484fde3cf4b6;\r\n").unwrap();
        assert_eq!(f.mlat_ticks, Some(0x0123_4567_89AB));
        assert_eq!(f.data(), [0x5D, 0x48, 0x4F, 0xDE, 0x3C, 0xF4, 0xB6]);
        assert_eq!(parse_record(b"*2A00;").unwrap().data(), [0x2A, 0x00]);
    }

    #[test]
    fn records_without_newlines_between_them_are_split_at_semicolons() {
        let s = b"*5d484fde3cf4b6;*5d484fde3cf4b6;\n*8D406B902015A678D4D220AA4BDA;";
        let got: Vec<_> = frames(s).collect();
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(Result::is_ok));
    }

    #[test]
    fn a_huge_line_of_records_is_split_in_one_pass() {
        // Quadratic scanning would take minutes here; linear takes milliseconds.
        let line = b"*5d484fde3cf4b6;".repeat(100_000);
        assert_eq!(frames(&line).filter(Result::is_ok).count(), 100_000);
        let junk = [b"x\n".repeat(100_000), b";".to_vec()].concat();
        assert_eq!(frames(&junk).count(), 100_001);
    }

    #[test]
    fn bad_records_are_reported_and_the_next_line_still_parses() {
        let s = b"garbage line\n*5d48;;\n*5d484fde3cf4b6\n*8D406B902015A678D4D220AA4BDA;\n";
        let got: Vec<_> = frames(s).collect();
        assert_eq!(got[0], Err(AvrError::BadStart('g')));
        assert!(got.contains(&Err(AvrError::Unterminated)));
        assert!(got.last().unwrap().is_ok());
        assert_eq!(parse_record(b"*5d484fde3cf4bg;"), Err(AvrError::NotHex));
        assert_eq!(
            parse_record(b"*5d484fde3cf4;"),
            Err(AvrError::BadLength { digits: 12 })
        );
    }
}
