//! The 56-bit ME field of ADS-B extended squitters (DF17, DF18): identification and category,
//! airborne and surface positions, velocity, aircraft status, target state, operational status.

use crate::altitude::{ac12_ft, encode_ac12_ft, Emergency, Squawk};
use crate::callsign::Callsign;
use crate::cpr::Cpr;
use serde::{Serialize, Serializer};

/// Bits `first..=last` of the 56-bit ME field, numbered 1…56 from the most significant bit as
/// in DO-260B.
#[inline]
fn field(me: u64, first: u32, last: u32) -> u64 {
    (me >> (56 - last)) & ((1u64 << (last - first + 1)) - 1)
}

/// The type code: the top five bits of ME.
#[inline]
pub fn typecode(me: u64) -> u8 {
    field(me, 1, 5) as u8
}

/// The emitter category of an identification message: set A–D from the type code (4 → A,
/// 3 → B, 2 → C, 1 → D) and the 3-bit CA number. Shown as `A3`, `B6`, ….
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EmitterCategory {
    /// Type code 1–4.
    pub typecode: u8,
    /// Category number 0–7 within the set.
    pub number: u8,
}

impl EmitterCategory {
    /// The set letter: `A` (TC 4) … `D` (TC 1).
    pub fn set(&self) -> char {
        match self.typecode {
            4 => 'A',
            3 => 'B',
            2 => 'C',
            _ => 'D',
        }
    }
    /// True for set A numbers 1–7 (light … rotorcraft) and B1 glider, B2 lighter-than-air,
    /// B4 ultralight: aircraft with someone on board.
    pub fn is_crewed(&self) -> bool {
        matches!((self.set(), self.number), ('A', 1..=7) | ('B', 1 | 2 | 4))
    }
    /// True for B6, "unmanned aerial vehicle".
    pub fn is_uav(&self) -> bool {
        self.set() == 'B' && self.number == 6
    }
    /// True for A7, rotorcraft.
    pub fn is_rotorcraft(&self) -> bool {
        self.set() == 'A' && self.number == 7
    }
    /// A short description (DO-260B Table 2-13), for people.
    pub fn describe(&self) -> &'static str {
        match (self.set(), self.number) {
            (_, 0) => "no category information",
            ('A', 1) => "light (< 15 500 lb)",
            ('A', 2) => "small (15 500 – 75 000 lb)",
            ('A', 3) => "large (75 000 – 300 000 lb)",
            ('A', 4) => "high vortex large",
            ('A', 5) => "heavy (> 300 000 lb)",
            ('A', 6) => "high performance",
            ('A', 7) => "rotorcraft",
            ('B', 1) => "glider / sailplane",
            ('B', 2) => "lighter-than-air",
            ('B', 3) => "parachutist / skydiver",
            ('B', 4) => "ultralight / hang-glider / paraglider",
            ('B', 6) => "unmanned aerial vehicle",
            ('B', 7) => "space / trans-atmospheric vehicle",
            ('C', 1) => "surface vehicle – emergency",
            ('C', 2) => "surface vehicle – service",
            ('C', 3..=7) => "ground obstruction",
            _ => "reserved",
        }
    }
}

impl std::fmt::Display for EmitterCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.set(), self.number)
    }
}

impl Serialize for EmitterCategory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An airborne position (TC 9–18 with barometric altitude, TC 20–22 with GNSS height).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AirbornePosition {
    /// Type code 9–18 or 20–22 (lower is more precise).
    pub typecode: u8,
    /// Surveillance status (0 none, 1 permanent alert, 2 temporary alert, 3 SPI).
    pub surveillance_status: u8,
    /// Barometric altitude, feet (TC 9–18).
    pub altitude_baro_ft: Option<i32>,
    /// GNSS height (HAE), feet (TC 20–22).
    pub altitude_gnss_ft: Option<i32>,
    /// The CPR-encoded position.
    pub cpr: Cpr,
}

impl AirbornePosition {
    /// NUCp (ADS-B version 0 navigation uncertainty category) implied by the type code.
    pub fn nuc_p(&self) -> u8 {
        match self.typecode {
            9..=18 => 18 - self.typecode,
            20 => 9,
            21 => 8,
            _ => 0,
        }
    }
}

/// A surface position (TC 5–8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SurfacePosition {
    /// Type code 5–8.
    pub typecode: u8,
    /// Ground speed from the movement field, knots.
    pub ground_speed_kt: Option<f64>,
    /// Ground track, degrees from true north, when its status bit is set.
    pub track_deg: Option<f64>,
    /// The CPR-encoded position (surface zones).
    pub cpr: Cpr,
}

/// How the airspeed of a velocity message was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AirspeedType {
    /// Indicated airspeed.
    Ias,
    /// True airspeed.
    Tas,
}

/// Where the vertical rate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerticalRateSource {
    /// GNSS geometric rate.
    Gnss,
    /// Barometric rate.
    Baro,
}

/// Airborne velocity (TC 19): subtypes 1–2 carry ground velocity, 3–4 airspeed and heading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Velocity {
    /// Subtype 1–4 (2 and 4 are supersonic scales).
    pub subtype: u8,
    /// Ground speed, knots (subtypes 1–2).
    pub ground_speed_kt: Option<f64>,
    /// Track over ground, degrees from true north (subtypes 1–2).
    pub track_deg: Option<f64>,
    /// Airspeed, knots (subtypes 3–4).
    pub airspeed_kt: Option<f64>,
    /// Indicated or true (subtypes 3–4).
    pub airspeed_type: Option<AirspeedType>,
    /// Heading, degrees (subtypes 3–4; magnetic or true per the operational status).
    pub heading_deg: Option<f64>,
    /// Vertical rate, feet per minute (positive up).
    pub vertical_rate_fpm: Option<i32>,
    /// Source of the vertical rate.
    pub vertical_rate_source: VerticalRateSource,
    /// GNSS height minus barometric altitude, feet.
    pub geo_minus_baro_ft: Option<i32>,
    /// Navigation accuracy category for velocity.
    pub nac_v: u8,
}

/// A decoded ME field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Adsb {
    /// TC 1–4: callsign and emitter category.
    Identification {
        /// Emitter category.
        category: EmitterCategory,
        /// Flight identification.
        callsign: Callsign,
    },
    /// TC 5–8.
    SurfacePosition(SurfacePosition),
    /// TC 9–18, 20–22.
    AirbornePosition(AirbornePosition),
    /// TC 19.
    Velocity(Velocity),
    /// TC 28 subtype 1: emergency / priority status and the Mode A code.
    AircraftStatus {
        /// The declared emergency, if any.
        emergency: Option<Emergency>,
        /// The Mode A code being squawked.
        squawk: Squawk,
    },
    /// TC 29 subtype 1 (ADS-B version 2): target state and status.
    TargetState {
        /// Selected altitude, feet.
        selected_altitude_ft: Option<i32>,
        /// True when the selected altitude comes from the FMS, false for the MCP/FCU.
        selected_altitude_fms: bool,
        /// Barometric pressure setting, hPa.
        baro_setting_hpa: Option<f64>,
        /// Navigation accuracy category for position.
        nac_p: u8,
    },
    /// TC 31: operational status.
    OperationalStatus {
        /// 0 airborne, 1 surface.
        subtype: u8,
        /// ADS-B version (0, 1, 2).
        version: u8,
        /// Navigation accuracy category for position (versions 1 and 2 only).
        nac_p: Option<u8>,
    },
    /// Anything else (TC 0, 23–27, 30, other subtypes): kept by type code only.
    Other {
        /// The type code.
        typecode: u8,
        /// The 3-bit subtype field.
        subtype: u8,
    },
}

impl Adsb {
    /// Decode a 56-bit ME field. Total: every bit pattern is some variant.
    pub fn decode(me: u64) -> Adsb {
        let tc = typecode(me);
        match tc {
            1..=4 => Adsb::Identification {
                category: EmitterCategory {
                    typecode: tc,
                    number: field(me, 6, 8) as u8,
                },
                callsign: Callsign::from_bits(field(me, 9, 56)),
            },
            5..=8 => Adsb::SurfacePosition(SurfacePosition {
                typecode: tc,
                ground_speed_kt: movement_kt(field(me, 6, 12) as u8),
                track_deg: (field(me, 13, 13) == 1)
                    .then(|| field(me, 14, 20) as f64 * 360.0 / 128.0),
                cpr: cpr_of(me),
            }),
            9..=18 | 20..=22 => {
                let alt = field(me, 9, 20) as u16;
                let (baro, gnss) = if tc <= 18 {
                    (ac12_ft(alt), None)
                } else if alt == 0 {
                    (None, None)
                } else {
                    // GNSS height is a plain count of metres.
                    (None, Some((f64::from(alt) * 3.280_839_895).round() as i32))
                };
                Adsb::AirbornePosition(AirbornePosition {
                    typecode: tc,
                    surveillance_status: field(me, 6, 7) as u8,
                    altitude_baro_ft: baro,
                    altitude_gnss_ft: gnss,
                    cpr: cpr_of(me),
                })
            }
            19 => match velocity(me) {
                Some(v) => Adsb::Velocity(v),
                None => Adsb::Other {
                    typecode: tc,
                    subtype: field(me, 6, 8) as u8,
                },
            },
            28 if field(me, 6, 8) == 1 => Adsb::AircraftStatus {
                emergency: Emergency::from_es_state(field(me, 9, 11) as u8),
                squawk: Squawk::from_id13(field(me, 12, 24) as u16),
            },
            29 if field(me, 6, 7) == 1 => {
                let alt = field(me, 10, 20) as i32;
                let baro = field(me, 21, 29);
                Adsb::TargetState {
                    selected_altitude_ft: (alt != 0).then(|| (alt - 1) * 32),
                    selected_altitude_fms: field(me, 9, 9) == 1,
                    baro_setting_hpa: (baro != 0).then(|| 800.0 + (baro - 1) as f64 * 0.8),
                    nac_p: field(me, 40, 43) as u8,
                }
            }
            31 if field(me, 6, 8) <= 1 => {
                let version = field(me, 41, 43) as u8;
                Adsb::OperationalStatus {
                    subtype: field(me, 6, 8) as u8,
                    version,
                    nac_p: (version >= 1).then(|| field(me, 45, 48) as u8),
                }
            }
            _ => Adsb::Other {
                typecode: tc,
                subtype: field(me, 6, 8) as u8,
            },
        }
    }

    /// The type code this message was decoded from.
    pub fn typecode(&self) -> u8 {
        match self {
            Adsb::Identification { category, .. } => category.typecode,
            Adsb::SurfacePosition(p) => p.typecode,
            Adsb::AirbornePosition(p) => p.typecode,
            Adsb::Velocity(_) => 19,
            Adsb::AircraftStatus { .. } => 28,
            Adsb::TargetState { .. } => 29,
            Adsb::OperationalStatus { .. } => 31,
            Adsb::Other { typecode, .. } => *typecode,
        }
    }
}

fn cpr_of(me: u64) -> Cpr {
    Cpr {
        odd: field(me, 22, 22) == 1,
        lat: field(me, 23, 39) as u32,
        lon: field(me, 40, 56) as u32,
    }
}

/// Surface movement field (7 bits) to ground speed in knots (DO-260B §2.2.3.2.4.2): a
/// piecewise-linear scale, finer at taxi speeds.
fn movement_kt(m: u8) -> Option<f64> {
    let m = f64::from(m);
    match m as u8 {
        1 => Some(0.0),
        2..=8 => Some(0.125 + (m - 2.0) * 0.125),
        9..=12 => Some(1.0 + (m - 9.0) * 0.25),
        13..=38 => Some(2.0 + (m - 13.0) * 0.5),
        39..=93 => Some(15.0 + (m - 39.0)),
        94..=108 => Some(70.0 + (m - 94.0) * 2.0),
        109..=123 => Some(100.0 + (m - 109.0) * 5.0),
        124 => Some(175.0),
        _ => None, // 0 = not available, 125–127 reserved
    }
}

fn velocity(me: u64) -> Option<Velocity> {
    let subtype = field(me, 6, 8) as u8;
    if !(1..=4).contains(&subtype) {
        return None;
    }
    let scale = if subtype == 2 || subtype == 4 {
        4.0
    } else {
        1.0
    };
    let mut v = Velocity {
        subtype,
        ground_speed_kt: None,
        track_deg: None,
        airspeed_kt: None,
        airspeed_type: None,
        heading_deg: None,
        vertical_rate_fpm: None,
        vertical_rate_source: if field(me, 36, 36) == 1 {
            VerticalRateSource::Baro
        } else {
            VerticalRateSource::Gnss
        },
        geo_minus_baro_ft: None,
        nac_v: field(me, 11, 13) as u8,
    };
    if subtype <= 2 {
        let vew = field(me, 15, 24);
        let vns = field(me, 26, 35);
        // 0 means "no velocity information" for that component.
        if vew != 0 && vns != 0 {
            let sign = |bit: u64| if bit == 1 { -1.0 } else { 1.0 };
            let east = sign(field(me, 14, 14)) * (vew - 1) as f64 * scale;
            let north = sign(field(me, 25, 25)) * (vns - 1) as f64 * scale;
            v.ground_speed_kt = Some(east.hypot(north));
            v.track_deg = Some(east.atan2(north).to_degrees().rem_euclid(360.0));
        }
    } else {
        if field(me, 14, 14) == 1 {
            v.heading_deg = Some(field(me, 15, 24) as f64 * 360.0 / 1024.0);
        }
        let asp = field(me, 26, 35);
        if asp != 0 {
            v.airspeed_kt = Some((asp - 1) as f64 * scale);
            v.airspeed_type = Some(if field(me, 25, 25) == 1 {
                AirspeedType::Tas
            } else {
                AirspeedType::Ias
            });
        }
    }
    let vr = field(me, 38, 46) as i32;
    if vr != 0 {
        let sign = if field(me, 37, 37) == 1 { -1 } else { 1 };
        v.vertical_rate_fpm = Some(sign * (vr - 1) * 64);
    }
    let d = field(me, 50, 56) as i32;
    // 0 = no data; 127 = "more than 3137.5 ft", not a value.
    if d != 0 && d != 127 {
        let sign = if field(me, 49, 49) == 1 { -1 } else { 1 };
        v.geo_minus_baro_ft = Some(sign * (d - 1) * 25);
    }
    Some(v)
}

/// Build the ME field of an airborne position with barometric altitude (TC 11: NUCp 7,
/// the common type code), for tests and the built-in scenario. `None` when the altitude
/// cannot be encoded.
pub fn encode_airborne_position_me(cpr: Cpr, altitude_baro_ft: i32) -> Option<u64> {
    let alt = u64::from(encode_ac12_ft(altitude_baro_ft)?);
    Some(
        (11u64 << 51)
            | (alt << 36)
            | (u64::from(cpr.odd) << 34)
            | (u64::from(cpr.lat & 0x1_FFFF) << 17)
            | u64::from(cpr.lon & 0x1_FFFF),
    )
}

/// Build the ME field of an identification message (TC 4 = set A) for tests and the scenario.
pub fn encode_identification_me(category_number: u8, callsign: &str) -> u64 {
    (4u64 << 51) | (u64::from(category_number & 7) << 48) | Callsign::encode(callsign)
}

/// Build the ME field of a ground-velocity message (subtype 1, GNSS vertical rate) from
/// east/north knots and a vertical rate in feet per minute (clamped to the field ranges).
pub fn encode_velocity_me(east_kt: f64, north_kt: f64, vertical_rate_fpm: i32) -> u64 {
    let comp = |v: f64| -> (u64, u64) {
        let mag = (v.abs().round() as u64 + 1).min(1023);
        (u64::from(v < 0.0), mag)
    };
    let (dew, vew) = comp(east_kt);
    let (dns, vns) = comp(north_kt);
    let vr_mag = ((i64::from(vertical_rate_fpm).unsigned_abs() + 32) / 64 + 1).min(511);
    (19u64 << 51)
        | (1u64 << 48)
        | (dew << 42)
        | (vew << 32)
        | (dns << 31)
        | (vns << 21)
        | (u64::from(vertical_rate_fpm < 0) << 19)
        | (vr_mag << 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me_of(hex: &str) -> u64 {
        u64::from_str_radix(&hex[8..22], 16).unwrap()
    }

    #[test]
    fn identification_gives_callsign_and_category() {
        let Adsb::Identification { category, callsign } =
            Adsb::decode(me_of("8D406B902015A678D4D220AA4BDA"))
        else {
            panic!("not an identification");
        };
        assert_eq!(callsign.as_str(), "EZY85MH");
        assert_eq!(category.to_string(), "A0");
    }

    #[test]
    fn ground_velocity_of_the_riddle_example() {
        // 8D485020994409940838175B284F: 159.2 kt, 182.88°, -832 ft/min (GNSS), +550 ft geo-baro.
        let Adsb::Velocity(v) = Adsb::decode(me_of("8D485020994409940838175B284F")) else {
            panic!("not a velocity");
        };
        assert!((v.ground_speed_kt.unwrap() - 159.20).abs() < 0.01);
        assert!((v.track_deg.unwrap() - 182.88).abs() < 0.01);
        assert_eq!(v.vertical_rate_fpm, Some(-832));
        assert_eq!(v.vertical_rate_source, VerticalRateSource::Gnss);
        assert_eq!(v.geo_minus_baro_ft, Some(550));
    }

    #[test]
    fn airspeed_velocity_gives_heading_and_tas() {
        // 8DA05F219B06B6AF189400CBC33F: TAS 375 kt, heading 243.98°, -2304 ft/min baro.
        let Adsb::Velocity(v) = Adsb::decode(me_of("8DA05F219B06B6AF189400CBC33F")) else {
            panic!("not a velocity");
        };
        assert_eq!(v.airspeed_kt, Some(375.0));
        assert_eq!(v.airspeed_type, Some(AirspeedType::Tas));
        assert!((v.heading_deg.unwrap() - 243.984_375).abs() < 1e-9);
        assert_eq!(v.vertical_rate_fpm, Some(-2304));
        assert_eq!(v.ground_speed_kt, None);
    }

    #[test]
    fn movement_scale_matches_its_breakpoints() {
        assert_eq!(movement_kt(0), None);
        assert_eq!(movement_kt(1), Some(0.0));
        assert_eq!(movement_kt(41), Some(17.0));
        assert_eq!(movement_kt(124), Some(175.0));
        assert_eq!(movement_kt(125), None);
    }

    #[test]
    fn encoders_round_trip_through_the_decoder() {
        let cpr = crate::cpr::encode_airborne(59.7, 32.0, true);
        let me = encode_airborne_position_me(cpr, 2_625).unwrap();
        let Adsb::AirbornePosition(p) = Adsb::decode(me) else {
            panic!()
        };
        assert_eq!((p.cpr, p.altitude_baro_ft), (cpr, Some(2_625)));
        let Adsb::Velocity(v) = Adsb::decode(encode_velocity_me(-54.0, -9.0, -640)) else {
            panic!()
        };
        assert!(
            (v.track_deg.unwrap() - (-54f64).atan2(-9.0).to_degrees().rem_euclid(360.0)).abs()
                < 1e-9
        );
        assert_eq!(v.vertical_rate_fpm, Some(-640));
        let Adsb::Identification { callsign, category } =
            Adsb::decode(encode_identification_me(7, "CBP21"))
        else {
            panic!()
        };
        assert_eq!(
            (callsign.as_str(), category.is_rotorcraft()),
            ("CBP21", true)
        );
    }
}
