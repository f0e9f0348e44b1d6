//! The 8-character flight identification of ADS-B TC 1–4 and Comm-B BDS 2,0.

use serde::{Serialize, Serializer};
use std::fmt;

/// Six-bit character set of ICAO Annex 10: 1–26 letters, 32 space, 48–57 digits; `#` marks
/// a code with no character.
fn char_of(code: u8) -> u8 {
    match code {
        1..=26 => b'A' + code - 1,
        32 => b' ',
        48..=57 => code,
        _ => b'#',
    }
}

/// A decoded callsign: up to eight ASCII characters, trailing spaces removed.
/// Characters outside the ICAO set are kept as `#` so bad payloads stay visible.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Callsign {
    chars: [u8; 8],
    len: u8,
}

impl Callsign {
    /// From the 48-bit field (eight 6-bit codes, first character in the top bits).
    pub fn from_bits(bits: u64) -> Self {
        let mut chars = [b' '; 8];
        for (i, c) in chars.iter_mut().enumerate() {
            *c = char_of(((bits >> (42 - 6 * i)) & 0x3F) as u8);
        }
        let mut len = 8;
        while len > 0 && chars[len - 1] == b' ' {
            len -= 1;
        }
        Callsign {
            chars,
            len: len as u8,
        }
    }
    /// True when every 6-bit code maps to a letter, digit or space.
    pub fn is_valid(&self) -> bool {
        !self.chars.contains(&b'#')
    }
    /// The callsign text (trailing spaces removed).
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.chars[..usize::from(self.len)]).unwrap_or("")
    }
    /// Encode up to eight characters (A–Z, 0–9, space; others become code 0) as the 48-bit field.
    pub fn encode(text: &str) -> u64 {
        let mut bits = 0u64;
        let mut bytes = text.bytes().chain(std::iter::repeat(b' '));
        for _ in 0..8 {
            let b = bytes.next().unwrap_or(b' ').to_ascii_uppercase();
            let code = match b {
                b'A'..=b'Z' => b - b'A' + 1,
                b'0'..=b'9' => b,
                b' ' => 32,
                _ => 0,
            };
            bits = (bits << 6) | u64::from(code);
        }
        bits
    }
}

impl fmt::Display for Callsign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Callsign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Callsign({:?})", self.as_str())
    }
}

impl Serialize for Callsign {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_keeps_the_text_without_padding() {
        for cs in ["EZY85MH", "KLM1385", "A", "12345678", ""] {
            let c = Callsign::from_bits(Callsign::encode(cs));
            assert_eq!(c.as_str(), cs);
            assert!(c.is_valid());
        }
    }

    #[test]
    fn codes_outside_the_icao_set_show_as_hash_and_make_it_invalid() {
        let c = Callsign::from_bits(0); // eight code-0 characters
        assert_eq!(c.as_str(), "########");
        assert!(!c.is_valid());
    }
}
