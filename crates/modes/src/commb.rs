//! Comm-B replies (DF20/21): the 56-bit MB field does not say which register (BDS) it holds,
//! so it is inferred from reserved bits, status/value consistency and physical ranges, the
//! way pyModeS 2.x does (`bds.infer(msg, mrar=False)`): registers 1,0 1,7 2,0 3,0 4,0 4,5 5,0
//! 6,0 are tried; a reply that fits exactly one is decoded, an ambiguous one is reported with
//! its candidates and not decoded.

use crate::callsign::Callsign;
use serde::Serialize;

/// Bits `first..=last` of the MB field, numbered 0…55 from the most significant bit.
#[inline]
fn bits(mb: u64, first: u32, last: u32) -> u64 {
    (mb >> (55 - last)) & ((1u64 << (last - first + 1)) - 1)
}

#[inline]
fn bit(mb: u64, i: u32) -> bool {
    bits(mb, i, i) == 1
}

/// A status bit that says "not available" while its value field is non-zero: the reply is
/// not this register.
#[inline]
fn wrong_status(mb: u64, status: u32, first: u32, last: u32) -> bool {
    !bit(mb, status) && bits(mb, first, last) != 0
}

/// A set of candidate Comm-B registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BdsSet(u8);

/// The registers the inference tries, in report order, with their names.
const REGISTERS: [(u8, &str); 8] = [
    (BdsSet::B10, "1,0"),
    (BdsSet::B17, "1,7"),
    (BdsSet::B20, "2,0"),
    (BdsSet::B30, "3,0"),
    (BdsSet::B40, "4,0"),
    (BdsSet::B45, "4,5"),
    (BdsSet::B50, "5,0"),
    (BdsSet::B60, "6,0"),
];

impl BdsSet {
    /// BDS 1,0 data link capability.
    pub const B10: u8 = 1;
    /// BDS 1,7 common-usage GICB capability.
    pub const B17: u8 = 1 << 1;
    /// BDS 2,0 aircraft identification.
    pub const B20: u8 = 1 << 2;
    /// BDS 3,0 ACAS active resolution advisory.
    pub const B30: u8 = 1 << 3;
    /// BDS 4,0 selected vertical intention.
    pub const B40: u8 = 1 << 4;
    /// BDS 4,5 meteorological hazard report.
    pub const B45: u8 = 1 << 5;
    /// BDS 5,0 track and turn report.
    pub const B50: u8 = 1 << 6;
    /// BDS 6,0 heading and speed report.
    pub const B60: u8 = 1 << 7;

    /// True when no register fits.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Number of candidate registers.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// True when `flag` (one of the `B..` constants) is a candidate.
    pub fn contains(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
    /// The candidates' names (`"4,0"`, `"5,0"`, …), in register order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        REGISTERS
            .into_iter()
            .filter(move |(f, _)| self.0 & f != 0)
            .map(|(_, n)| n)
    }
}

impl Serialize for BdsSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

/// A Comm-B reply whose register was identified, with its fields (absent when the register
/// says "not available").
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CommBReport {
    /// BDS 1,0 (not decoded further).
    DataLinkCapability,
    /// BDS 1,7: bit map of the 24 common-usage GICB registers supported.
    GicbCapability {
        /// The 24-bit capability map (bit 23 = BDS 0,5 … bit 0 = BDS 6,0).
        map: u32,
    },
    /// BDS 2,0.
    Identification(Callsign),
    /// BDS 3,0 (not decoded further).
    AcasResolutionAdvisory,
    /// BDS 4,0.
    SelectedVerticalIntention {
        /// MCP/FCU selected altitude, feet.
        mcp_altitude_ft: Option<i32>,
        /// FMS selected altitude, feet.
        fms_altitude_ft: Option<i32>,
        /// Barometric pressure setting, hPa.
        baro_setting_hpa: Option<f64>,
    },
    /// BDS 4,5 (not decoded further).
    MeteorologicalHazard,
    /// BDS 5,0.
    TrackAndTurn {
        /// Roll angle, degrees (positive right wing down).
        roll_deg: Option<f64>,
        /// True track, degrees.
        true_track_deg: Option<f64>,
        /// Ground speed, knots.
        ground_speed_kt: Option<f64>,
        /// Track angle rate, degrees per second.
        track_rate_deg_s: Option<f64>,
        /// True airspeed, knots.
        true_airspeed_kt: Option<f64>,
    },
    /// BDS 6,0.
    HeadingAndSpeed {
        /// Magnetic heading, degrees.
        magnetic_heading_deg: Option<f64>,
        /// Indicated airspeed, knots.
        indicated_airspeed_kt: Option<f64>,
        /// Mach number.
        mach: Option<f64>,
        /// Barometric altitude rate, feet per minute.
        baro_vertical_rate_fpm: Option<i32>,
        /// Inertial vertical velocity, feet per minute.
        inertial_vertical_rate_fpm: Option<i32>,
    },
}

/// A Comm-B reply: the raw MB field, the registers it may be, and the decoded report when it
/// is exactly one of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CommB {
    /// The 56-bit MB field.
    pub mb: u64,
    /// Candidate registers.
    pub bds: BdsSet,
    /// The decoded report when exactly one register fits.
    pub report: Option<CommBReport>,
}

impl CommB {
    /// Infer and decode. `df20_altitude_ft` is the altitude of a DF20 reply (it lets BDS 6,0
    /// check Mach against indicated airspeed); `None` for DF21.
    pub fn decode(mb: u64, df20_altitude_ft: Option<i32>) -> CommB {
        let bds = infer(mb, df20_altitude_ft);
        let report = (bds.len() == 1).then(|| report(mb, bds)).flatten();
        CommB { mb, bds, report }
    }
}

/// Which registers the MB field may hold.
pub fn infer(mb: u64, df20_altitude_ft: Option<i32>) -> BdsSet {
    let mut set = 0;
    if mb == 0 {
        return BdsSet(0);
    }
    if is10(mb) {
        set |= BdsSet::B10;
    }
    if is17(mb) {
        set |= BdsSet::B17;
    }
    if is20(mb) {
        set |= BdsSet::B20;
    }
    if is30(mb) {
        set |= BdsSet::B30;
    }
    if is40(mb) {
        set |= BdsSet::B40;
    }
    if is45(mb) {
        set |= BdsSet::B45;
    }
    if is50(mb) {
        set |= BdsSet::B50;
    }
    if is60(mb, df20_altitude_ft) {
        set |= BdsSet::B60;
    }
    BdsSet(set)
}

fn is10(mb: u64) -> bool {
    if bits(mb, 0, 7) != 0x10 || bits(mb, 9, 13) != 0 {
        return false;
    }
    // Overlay command capability goes with subnetwork version ≥ 5.
    let ovc = bit(mb, 14);
    let subnet = bits(mb, 16, 22);
    if ovc {
        subnet >= 5
    } else {
        subnet <= 4
    }
}

fn is17(mb: u64) -> bool {
    // Trailing bits reserved; a transponder that reports capabilities can report 2,0.
    bits(mb, 24, 55) == 0 && bit(mb, 6)
}

fn is20(mb: u64) -> bool {
    bits(mb, 0, 7) == 0x20 && Callsign::from_bits(bits(mb, 8, 55)).is_valid()
}

fn is30(mb: u64) -> bool {
    bits(mb, 0, 7) == 0x30 && bits(mb, 28, 29) != 3 && bits(mb, 15, 21) < 48
}

fn is40(mb: u64) -> bool {
    !(wrong_status(mb, 0, 1, 12)
        || wrong_status(mb, 13, 14, 25)
        || wrong_status(mb, 26, 27, 38)
        || wrong_status(mb, 47, 48, 50)
        || wrong_status(mb, 53, 54, 55)
        || bits(mb, 39, 46) != 0
        || bits(mb, 51, 52) != 0)
}

fn is45(mb: u64) -> bool {
    if wrong_status(mb, 0, 1, 2)
        || wrong_status(mb, 3, 4, 5)
        || wrong_status(mb, 6, 7, 8)
        || wrong_status(mb, 9, 10, 11)
        || wrong_status(mb, 12, 13, 14)
        || wrong_status(mb, 15, 16, 25)
        || wrong_status(mb, 26, 27, 37)
        || wrong_status(mb, 38, 39, 50)
        || bits(mb, 51, 55) != 0
    {
        return false;
    }
    // Static air temperature must be plausible (checked whatever its status, as pyModeS 2 does).
    let temp_c = signed(bits(mb, 17, 25), bit(mb, 16), 9) as f64 * 0.25;
    temp_c == 0.0 || (-80.0..=60.0).contains(&temp_c)
}

fn is50(mb: u64) -> bool {
    // Sign bits are not covered by the status checks (as in pyModeS 2).
    if wrong_status(mb, 0, 2, 10)
        || wrong_status(mb, 11, 13, 22)
        || wrong_status(mb, 23, 24, 33)
        || wrong_status(mb, 34, 36, 44)
        || wrong_status(mb, 45, 46, 55)
    {
        return false;
    }
    let Some(CommBReport::TrackAndTurn {
        roll_deg,
        ground_speed_kt,
        true_airspeed_kt,
        ..
    }) = track_and_turn(mb)
    else {
        return false;
    };
    if roll_deg.is_some_and(|r| r.abs() > 50.0) {
        return false;
    }
    if ground_speed_kt.is_some_and(|g| g > 600.0) || true_airspeed_kt.is_some_and(|t| t > 600.0) {
        return false;
    }
    !matches!((ground_speed_kt, true_airspeed_kt), (Some(g), Some(t)) if (t - g).abs() > 200.0)
}

fn is60(mb: u64, df20_altitude_ft: Option<i32>) -> bool {
    if wrong_status(mb, 0, 1, 11)
        || wrong_status(mb, 12, 13, 22)
        || wrong_status(mb, 23, 24, 33)
        || wrong_status(mb, 34, 35, 44)
        || wrong_status(mb, 45, 46, 55)
    {
        return false;
    }
    let Some(CommBReport::HeadingAndSpeed {
        indicated_airspeed_kt: ias,
        mach,
        baro_vertical_rate_fpm: vrb,
        inertial_vertical_rate_fpm: vri,
        ..
    }) = heading_and_speed(mb)
    else {
        return false;
    };
    if ias.is_some_and(|v| v > 500.0) || mach.is_some_and(|m| m > 1.0) {
        return false;
    }
    if vrb.is_some_and(|v| v.abs() > 6000) || vri.is_some_and(|v| v.abs() > 6000) {
        return false;
    }
    // With the altitude of a DF20, Mach and IAS must describe the same speed (ISA, ±20 kt).
    if let (Some(ias), Some(mach), Some(alt_ft)) = (ias, mach, df20_altitude_ft) {
        if (ias - mach_to_cas_kt(mach, f64::from(alt_ft) * 0.3048)).abs() > 20.0 {
            return false;
        }
    }
    true
}

/// Sign-and-magnitude field of `width` magnitude bits, as two's complement of width + 1 bits.
fn signed(mag: u64, negative: bool, width: u32) -> i64 {
    let m = mag as i64;
    if negative {
        m - (1i64 << width)
    } else {
        m
    }
}

fn report(mb: u64, bds: BdsSet) -> Option<CommBReport> {
    if bds.contains(BdsSet::B10) {
        Some(CommBReport::DataLinkCapability)
    } else if bds.contains(BdsSet::B17) {
        Some(CommBReport::GicbCapability {
            map: bits(mb, 0, 23) as u32,
        })
    } else if bds.contains(BdsSet::B20) {
        Some(CommBReport::Identification(Callsign::from_bits(bits(
            mb, 8, 55,
        ))))
    } else if bds.contains(BdsSet::B30) {
        Some(CommBReport::AcasResolutionAdvisory)
    } else if bds.contains(BdsSet::B40) {
        Some(CommBReport::SelectedVerticalIntention {
            mcp_altitude_ft: bit(mb, 0).then(|| bits(mb, 1, 12) as i32 * 16),
            fms_altitude_ft: bit(mb, 13).then(|| bits(mb, 14, 25) as i32 * 16),
            baro_setting_hpa: bit(mb, 26).then(|| bits(mb, 27, 38) as f64 * 0.1 + 800.0),
        })
    } else if bds.contains(BdsSet::B45) {
        Some(CommBReport::MeteorologicalHazard)
    } else if bds.contains(BdsSet::B50) {
        track_and_turn(mb)
    } else if bds.contains(BdsSet::B60) {
        heading_and_speed(mb)
    } else {
        None
    }
}

fn track_and_turn(mb: u64) -> Option<CommBReport> {
    Some(CommBReport::TrackAndTurn {
        roll_deg: bit(mb, 0).then(|| signed(bits(mb, 2, 10), bit(mb, 1), 9) as f64 * 45.0 / 256.0),
        true_track_deg: bit(mb, 11).then(|| {
            (signed(bits(mb, 13, 22), bit(mb, 12), 10) as f64 * 90.0 / 512.0).rem_euclid(360.0)
        }),
        ground_speed_kt: bit(mb, 23).then(|| bits(mb, 24, 33) as f64 * 2.0),
        track_rate_deg_s: bit(mb, 34)
            .then(|| signed(bits(mb, 36, 44), bit(mb, 35), 9) as f64 * 8.0 / 256.0),
        true_airspeed_kt: bit(mb, 45).then(|| bits(mb, 46, 55) as f64 * 2.0),
    })
}

fn heading_and_speed(mb: u64) -> Option<CommBReport> {
    Some(CommBReport::HeadingAndSpeed {
        magnetic_heading_deg: bit(mb, 0).then(|| {
            (signed(bits(mb, 2, 11), bit(mb, 1), 10) as f64 * 90.0 / 512.0).rem_euclid(360.0)
        }),
        indicated_airspeed_kt: bit(mb, 12).then(|| bits(mb, 13, 22) as f64),
        mach: bit(mb, 23).then(|| bits(mb, 24, 33) as f64 * 2.048 / 512.0),
        baro_vertical_rate_fpm: bit(mb, 34)
            .then(|| signed(bits(mb, 36, 44), bit(mb, 35), 9) as i32 * 32),
        inertial_vertical_rate_fpm: bit(mb, 45)
            .then(|| signed(bits(mb, 47, 55), bit(mb, 46), 9) as i32 * 32),
    })
}

/// Calibrated airspeed (knots) of a Mach number at a pressure altitude (metres), ISA.
fn mach_to_cas_kt(mach: f64, alt_m: f64) -> f64 {
    const R: f64 = 287.052_87;
    const P0: f64 = 101_325.0;
    const RHO0: f64 = 1.225;
    let t = (288.15 - 0.0065 * alt_m).max(216.65);
    let rho_trop = RHO0 * (t / 288.15).powf(4.256_848_030_018_761);
    let rho = rho_trop * (-(alt_m - 11_000.0).max(0.0) / 6_341.552_161).exp();
    let p = rho * R * t;
    let tas = mach * (1.4 * R * t).sqrt();
    let qdyn = p * ((1.0 + rho * tas * tas / (7.0 * p)).powf(3.5) - 1.0);
    let cas = (7.0 * P0 / RHO0 * ((qdyn / P0 + 1.0).powf(2.0 / 7.0) - 1.0)).sqrt();
    cas / 0.514_444
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb_of(hex: &str) -> u64 {
        u64::from_str_radix(&hex[8..22], 16).unwrap()
    }

    #[test]
    fn heading_and_speed_register_is_recognised_and_decoded() {
        // DF20 a0000392d919f719e3bc75c92483 at 4650 ft (pyModeS golden): 6,0 only.
        let c = CommB::decode(mb_of("a0000392d919f719e3bc75c92483"), Some(4650));
        assert_eq!(c.bds.names().collect::<Vec<_>>(), ["6,0"]);
        let Some(CommBReport::HeadingAndSpeed {
            magnetic_heading_deg,
            indicated_airspeed_kt,
            mach,
            baro_vertical_rate_fpm,
            inertial_vertical_rate_fpm,
        }) = c.report
        else {
            panic!("{c:?}")
        };
        assert_eq!(magnetic_heading_deg, Some(250.488_281_25));
        assert_eq!(indicated_airspeed_kt, Some(251.0));
        assert!((mach.unwrap() - 0.412).abs() < 1e-12);
        assert_eq!(
            (baro_vertical_rate_fpm, inertial_vertical_rate_fpm),
            (Some(3808), Some(3744))
        );
    }

    #[test]
    fn an_ambiguous_reply_lists_candidates_and_is_not_decoded() {
        let c = CommB::decode(mb_of("a8000ba4901a2f2b21b0000ed2d5"), None);
        assert_eq!(c.bds.names().collect::<Vec<_>>(), ["5,0", "6,0"]);
        assert_eq!(c.report, None);
    }

    #[test]
    fn identification_register_gives_the_callsign() {
        let c = CommB::decode(mb_of("a000123e202cc371cf8d6017072c"), Some(28_550));
        assert_eq!(
            c.report,
            Some(CommBReport::Identification(Callsign::from_bits(bits(
                c.mb, 8, 55
            ))))
        );
        let Some(CommBReport::Identification(cs)) = c.report else {
            panic!()
        };
        assert_eq!(cs.as_str(), "KLM1385");
    }

    #[test]
    fn isa_cas_of_mach_is_the_speed_of_sound_at_sea_level() {
        // Mach 1 at sea level: CAS = TAS = 661.5 kt.
        assert!((mach_to_cas_kt(1.0, 0.0) - 661.47).abs() < 0.5);
        // At FL350 (ISA) Mach 0.78 is about 264 kt CAS.
        assert!((mach_to_cas_kt(0.78, 35_000.0 * 0.3048) - 264.0).abs() < 2.0);
    }
}
