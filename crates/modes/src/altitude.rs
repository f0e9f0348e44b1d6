//! Altitude codes (13-bit AC of DF0/4/16/20, 12-bit of ADS-B positions), the 13-bit identity
//! code (squawk) and the Gillham (Mode C) code they share.

use serde::{Serialize, Serializer};
use std::fmt;

/// A Mode A identity code ("squawk"): four octal digits, held as hex nibbles `0xABCD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Squawk(u16);

impl Squawk {
    /// From four octal digits packed as nibbles (`0x7700`). Digits above 7 are masked to 3 bits.
    pub const fn from_nibbles(code: u16) -> Self {
        Squawk(code & 0x7777)
    }
    /// The four digits packed as nibbles (`0x7700` for squawk 7700).
    pub const fn nibbles(self) -> u16 {
        self.0
    }
    /// The digits A, B, C, D.
    pub const fn digits(self) -> [u8; 4] {
        [
            ((self.0 >> 12) & 7) as u8,
            ((self.0 >> 8) & 7) as u8,
            ((self.0 >> 4) & 7) as u8,
            (self.0 & 7) as u8,
        ]
    }
    /// The emergency this code declares, if it is one of 7500, 7600, 7700.
    pub fn emergency(self) -> Option<Emergency> {
        match self.0 {
            0x7500 => Some(Emergency::UnlawfulInterference),
            0x7600 => Some(Emergency::NoCommunications),
            0x7700 => Some(Emergency::General),
            _ => None,
        }
    }
    /// The 13-bit identity field (C1 A1 C2 A2 C4 A4 X B1 D1 B2 D2 B4 D4) as a squawk.
    pub fn from_id13(id: u16) -> Self {
        let bit = |i: u32| (id >> (12 - i)) & 1;
        let a = (bit(5) << 2) | (bit(3) << 1) | bit(1);
        let b = (bit(11) << 2) | (bit(9) << 1) | bit(7);
        let c = (bit(4) << 2) | (bit(2) << 1) | bit(0);
        let d = (bit(12) << 2) | (bit(10) << 1) | bit(8);
        Squawk((a << 12) | (b << 8) | (c << 4) | d)
    }
    /// The same code in the 13-bit identity field layout (X = 0). Inverse of [`Squawk::from_id13`].
    pub fn to_id13(self) -> u16 {
        let [a, b, c, d] = self.digits().map(u16::from);
        let put = |v: u16, i: u32| v << (12 - i);
        put(c & 1, 0)
            | put(a & 1, 1)
            | put((c >> 1) & 1, 2)
            | put((a >> 1) & 1, 3)
            | put((c >> 2) & 1, 4)
            | put((a >> 2) & 1, 5)
            | put(b & 1, 7)
            | put(d & 1, 8)
            | put((b >> 1) & 1, 9)
            | put((d >> 1) & 1, 10)
            | put((b >> 2) & 1, 11)
            | put((d >> 2) & 1, 12)
    }
}

impl fmt::Display for Squawk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.digits();
        write!(f, "{a}{b}{c}{d}")
    }
}

impl Serialize for Squawk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An emergency or priority state an aircraft declares (squawk 7500/7600/7700 or the ADS-B
/// aircraft status message, TC 28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Emergency {
    /// General emergency (squawk 7700).
    General,
    /// Lifeguard / medical.
    Medical,
    /// Minimum fuel.
    MinimumFuel,
    /// No communications (squawk 7600).
    NoCommunications,
    /// Unlawful interference, i.e. hijack (squawk 7500).
    UnlawfulInterference,
    /// Downed aircraft.
    DownedAircraft,
}

impl Emergency {
    /// From the 3-bit emergency state of ADS-B TC 28 subtype 1 (0 = none, 7 = reserved).
    pub fn from_es_state(state: u8) -> Option<Self> {
        match state {
            1 => Some(Emergency::General),
            2 => Some(Emergency::Medical),
            3 => Some(Emergency::MinimumFuel),
            4 => Some(Emergency::NoCommunications),
            5 => Some(Emergency::UnlawfulInterference),
            6 => Some(Emergency::DownedAircraft),
            _ => None,
        }
    }
}

/// Reflected-binary (Gray) code to binary.
fn gray_to_binary(mut g: u32) -> u32 {
    let mut shift = 1;
    while shift < 32 {
        g ^= g >> shift;
        shift <<= 1;
    }
    g
}

/// A Mode C (Gillham) code, given as the four identity digits, in feet; `None` when the
/// code is not a valid altitude (D1 set, or an impossible 100-ft digit).
pub fn gillham_ft(code: Squawk) -> Option<i32> {
    let [a, b, c, d] = code.digits().map(u32::from);
    if d & 1 != 0 {
        return None; // D1 is never used for altitude
    }
    let bit = |digit: u32, weight: u32| (digit >> weight) & 1;
    // 500-ft Gray code, most significant first: D2 D4 A1 A2 A4 B1 B2 B4.
    let g500 = (bit(d, 1) << 7)
        | (bit(d, 2) << 6)
        | (bit(a, 0) << 5)
        | (bit(a, 1) << 4)
        | (bit(a, 2) << 3)
        | (bit(b, 0) << 2)
        | (bit(b, 1) << 1)
        | bit(b, 2);
    // 100-ft code C1 C2 C4: a 5-state Gray sequence 1,2,3,4,(7→)5.
    let g100 = (bit(c, 0) << 2) | (bit(c, 1) << 1) | bit(c, 2);
    let n500 = gray_to_binary(g500) as i32;
    let mut n100 = match gray_to_binary(g100) {
        n @ 1..=4 => n as i32,
        7 => 5,
        _ => return None,
    };
    if n500 % 2 == 1 {
        n100 = 6 - n100;
    }
    Some(n500 * 500 + n100 * 100 - 1300)
}

/// The 13-bit altitude code of DF0/4/16/20 (C1 A1 C2 A2 C4 A4 M B1 Q B2 D2 B4 D4), feet.
/// `None` for "unknown" (all zeros), metric altitudes (M = 1, not decoded) and invalid Gillham codes.
pub fn ac13_ft(ac: u16) -> Option<i32> {
    let ac = ac & 0x1FFF;
    if ac == 0 {
        return None;
    }
    let m = (ac >> 6) & 1;
    let q = (ac >> 4) & 1;
    if m == 1 {
        return None;
    }
    if q == 1 {
        // Drop M and Q: the remaining 11 bits count 25-ft steps from -1000 ft.
        let n = ((ac & 0x1F80) >> 2) | ((ac & 0x0020) >> 1) | (ac & 0x000F);
        return Some(i32::from(n) * 25 - 1000);
    }
    gillham_ft(Squawk::from_id13(ac))
}

/// The 12-bit altitude of an ADS-B airborne position (C1 A1 C2 A2 C4 A4 B1 Q B2 D2 B4 D4), feet.
pub fn ac12_ft(ac: u16) -> Option<i32> {
    let ac = ac & 0xFFF;
    if ac == 0 {
        return None;
    }
    if (ac >> 4) & 1 == 1 {
        let n = ((ac & 0xFE0) >> 1) | (ac & 0x00F);
        return Some(i32::from(n) * 25 - 1000);
    }
    // Insert M = 0 to get the 13-bit layout, then decode the Gillham code.
    let ac13 = ((ac & 0xFC0) << 1) | (ac & 0x3F);
    gillham_ft(Squawk::from_id13(ac13))
}

/// Encode an altitude in 25-ft steps (Q = 1) as the 12-bit ADS-B field; `None` outside
/// -1000 … 50 175 ft.
pub fn encode_ac12_ft(alt_ft: i32) -> Option<u16> {
    if !(-1000..=50_175).contains(&alt_ft) {
        return None;
    }
    let n = ((alt_ft + 1000 + 12) / 25) as u16; // nearest 25-ft step
    if n > 0x7FF {
        return None;
    }
    Some(((n & 0x7F0) << 1) | 0x010 | (n & 0x00F))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squawk_from_id13_round_trips_all_codes() {
        for code in 0u16..0x1000 {
            let nib = ((code >> 9) & 7) << 12
                | ((code >> 6) & 7) << 8
                | ((code >> 3) & 7) << 4
                | (code & 7);
            let s = Squawk::from_nibbles(nib);
            assert_eq!(Squawk::from_id13(s.to_id13()), s);
        }
    }

    #[test]
    fn emergency_squawks_are_recognised_and_others_are_not() {
        assert_eq!(
            Squawk::from_nibbles(0x7500).emergency(),
            Some(Emergency::UnlawfulInterference)
        );
        assert_eq!(
            Squawk::from_nibbles(0x7600).emergency(),
            Some(Emergency::NoCommunications)
        );
        assert_eq!(
            Squawk::from_nibbles(0x7700).emergency(),
            Some(Emergency::General)
        );
        assert_eq!(Squawk::from_nibbles(0x7000).emergency(), None);
        assert_eq!(Squawk::from_nibbles(0x1200).to_string(), "1200");
    }

    #[test]
    fn q_bit_altitude_is_25_ft_steps() {
        // 12-bit 0xC38 from the classic DF17 example 8D40621D58C382D690C8AC2863A7 = 38 000 ft.
        assert_eq!(ac12_ft(0xC38), Some(38_000));
        for alt in (-1000..50_000).step_by(25) {
            assert_eq!(ac12_ft(encode_ac12_ft(alt).unwrap()), Some(alt));
        }
    }

    #[test]
    fn gillham_code_walks_100_ft_steps_without_gaps() {
        // Every valid Mode C code maps to a distinct altitude; the set covers
        // -1200 … 126 700 ft in 100-ft steps (the full Gillham range).
        let mut alts: Vec<i32> = (0u16..0x1000)
            .filter_map(|c| {
                let nib =
                    ((c >> 9) & 7) << 12 | ((c >> 6) & 7) << 8 | ((c >> 3) & 7) << 4 | (c & 7);
                gillham_ft(Squawk::from_nibbles(nib))
            })
            .collect();
        alts.sort_unstable();
        let n = alts.len();
        alts.dedup();
        assert_eq!(alts.len(), n, "two codes decode to one altitude");
        assert_eq!(alts.first(), Some(&-1200));
        assert!(alts.windows(2).all(|w| w[1] - w[0] == 100));
    }

    #[test]
    fn unknown_and_metric_altitudes_are_none() {
        assert_eq!(ac13_ft(0), None);
        assert_eq!(ac13_ft(1 << 6), None);
        assert_eq!(ac12_ft(0), None);
    }
}
