//! One Mode S reply (56 or 112 bits): downlink format, address, parity check and the
//! format-specific fields.

use crate::adsb::Adsb;
use crate::altitude::{ac13_ft, Squawk};
use crate::commb::CommB;
use crate::crc;

/// Why a Mode S frame was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Neither 7 nor 14 bytes.
    #[error("a Mode S frame is 7 or 14 bytes, got {len}")]
    Length {
        /// The length received.
        len: usize,
    },
    /// The downlink format is one Picket does not decode (DF19 military, DF22, DF24 Comm-D, …).
    #[error("downlink format {df} is not decoded")]
    UnsupportedDf {
        /// The downlink format.
        df: u8,
    },
    /// The frame length does not match its downlink format.
    #[error("DF{df} is {expected} bytes long, got {len}")]
    LengthMismatch {
        /// The downlink format.
        df: u8,
        /// Bytes the format needs.
        expected: usize,
        /// Bytes received.
        len: usize,
    },
    /// The parity check failed (DF11/17/18): corrupted or not a Mode S reply.
    #[error("DF{df} parity check failed (remainder {remainder:06X})")]
    Parity {
        /// The downlink format.
        df: u8,
        /// The non-zero CRC remainder.
        remainder: u32,
    },
}

/// How the address of a reply was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressSource {
    /// Transmitted in clear and the parity checked (DF11/17/18).
    Checked,
    /// DF11 parity overlaid with a non-zero interrogator code (II or SI, 1–127).
    CheckedWithInterrogator(u8),
    /// Recovered from the address/parity field (DF0/4/5/16/20/21): any corruption gives a
    /// different address, so it is trustworthy only if that aircraft is already known.
    Recovered,
}

/// The fields of each supported downlink format.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Body {
    /// DF0 short air-air surveillance (ACAS).
    ShortAcas {
        /// Vertical status: true on the ground.
        on_ground: bool,
        /// Barometric altitude, feet.
        altitude_ft: Option<i32>,
    },
    /// DF4 surveillance altitude reply.
    Altitude {
        /// Flight status (0–7).
        flight_status: u8,
        /// Barometric altitude, feet.
        altitude_ft: Option<i32>,
    },
    /// DF5 surveillance identity reply.
    Identity {
        /// Flight status (0–7).
        flight_status: u8,
        /// Mode A code.
        squawk: Squawk,
    },
    /// DF11 all-call reply.
    AllCall {
        /// Transponder capability (4 = on ground, 5 = airborne, …).
        capability: u8,
    },
    /// DF16 long air-air surveillance (ACAS).
    LongAcas {
        /// Vertical status: true on the ground.
        on_ground: bool,
        /// Barometric altitude, feet.
        altitude_ft: Option<i32>,
    },
    /// DF17 / DF18 extended squitter.
    Extended {
        /// DF17 capability (CA) or DF18 control field (CF).
        ca_cf: u8,
        /// True for DF18 with a non-ICAO (anonymous / TIS-B) address.
        non_icao: bool,
        /// The decoded ME field; `None` for DF18 control fields with another layout
        /// (coarse TIS-B, management messages).
        adsb: Option<Adsb>,
    },
    /// DF20 Comm-B altitude reply.
    CommBAltitude {
        /// Flight status (0–7).
        flight_status: u8,
        /// Barometric altitude, feet.
        altitude_ft: Option<i32>,
        /// The Comm-B payload.
        commb: CommB,
    },
    /// DF21 Comm-B identity reply.
    CommBIdentity {
        /// Flight status (0–7).
        flight_status: u8,
        /// Mode A code.
        squawk: Squawk,
        /// The Comm-B payload.
        commb: CommB,
    },
}

/// A decoded Mode S reply.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModeS {
    /// Downlink format (0–24).
    pub df: u8,
    /// 24-bit aircraft address.
    pub address: u32,
    /// How the address was obtained.
    pub address_source: AddressSource,
    /// Format-specific fields.
    pub body: Body,
}

impl ModeS {
    /// Decode a 7- or 14-byte Mode S frame. Checks parity for DF11/17/18 (DF11 may carry an
    /// interrogator code in it); recovers the address for address/parity formats.
    pub fn decode(frame: &[u8]) -> Result<ModeS, DecodeError> {
        let len = frame.len();
        if len != 7 && len != 14 {
            return Err(DecodeError::Length { len });
        }
        let df = (frame[0] >> 3).min(24);
        let expected = match df {
            0 | 4 | 5 | 11 => 7,
            16 | 17 | 18 | 20 | 21 => 14,
            _ => return Err(DecodeError::UnsupportedDf { df }),
        };
        if len != expected {
            return Err(DecodeError::LengthMismatch { df, expected, len });
        }
        let rem = crc::remainder(frame).unwrap_or(u32::MAX);
        let aa = (u32::from(frame[1]) << 16) | (u32::from(frame[2]) << 8) | u32::from(frame[3]);
        let low3 = frame[0] & 7;
        let (address, address_source) = match df {
            11 => {
                if rem & !0x7F != 0 {
                    return Err(DecodeError::Parity { df, remainder: rem });
                }
                let source = if rem == 0 {
                    AddressSource::Checked
                } else {
                    AddressSource::CheckedWithInterrogator(rem as u8)
                };
                (aa, source)
            }
            17 | 18 => {
                if rem != 0 {
                    return Err(DecodeError::Parity { df, remainder: rem });
                }
                (aa, AddressSource::Checked)
            }
            _ => (rem, AddressSource::Recovered),
        };
        // The 13-bit AC / ID field sits in bits 20–32 of every short-format surveillance reply.
        let code13 = ((u16::from(frame[2]) << 8) | u16::from(frame[3])) & 0x1FFF;
        let body = match df {
            0 => Body::ShortAcas {
                on_ground: frame[0] & 0x04 != 0,
                altitude_ft: ac13_ft(code13),
            },
            4 => Body::Altitude {
                flight_status: low3,
                altitude_ft: ac13_ft(code13),
            },
            5 => Body::Identity {
                flight_status: low3,
                squawk: Squawk::from_id13(code13),
            },
            11 => Body::AllCall { capability: low3 },
            16 => Body::LongAcas {
                on_ground: frame[0] & 0x04 != 0,
                altitude_ft: ac13_ft(code13),
            },
            17 | 18 => {
                let me = be56(&frame[4..11]);
                let (non_icao, adsb) = if df == 17 {
                    (false, Some(Adsb::decode(me)))
                } else {
                    match low3 {
                        0 | 2 | 6 => (false, Some(Adsb::decode(me))),
                        1 | 5 => (true, Some(Adsb::decode(me))),
                        _ => (low3 == 3, None),
                    }
                };
                Body::Extended {
                    ca_cf: low3,
                    non_icao,
                    adsb,
                }
            }
            20 => {
                let altitude_ft = ac13_ft(code13);
                Body::CommBAltitude {
                    flight_status: low3,
                    altitude_ft,
                    commb: CommB::decode(be56(&frame[4..11]), altitude_ft),
                }
            }
            _ => Body::CommBIdentity {
                flight_status: low3,
                squawk: Squawk::from_id13(code13),
                commb: CommB::decode(be56(&frame[4..11]), None),
            },
        };
        Ok(ModeS {
            df,
            address,
            address_source,
            body,
        })
    }

    /// The ADS-B content of a DF17/18 reply.
    pub fn adsb(&self) -> Option<&Adsb> {
        match &self.body {
            Body::Extended { adsb, .. } => adsb.as_ref(),
            _ => None,
        }
    }

    /// True for DF18 with a non-ICAO address.
    pub fn non_icao(&self) -> bool {
        matches!(self.body, Body::Extended { non_icao: true, .. })
    }

    /// Barometric altitude carried by this reply (surveillance, Comm-B, ACAS or ADS-B position).
    pub fn altitude_baro_ft(&self) -> Option<i32> {
        match &self.body {
            Body::ShortAcas { altitude_ft, .. }
            | Body::Altitude { altitude_ft, .. }
            | Body::LongAcas { altitude_ft, .. }
            | Body::CommBAltitude { altitude_ft, .. } => *altitude_ft,
            Body::Extended {
                adsb: Some(Adsb::AirbornePosition(p)),
                ..
            } => p.altitude_baro_ft,
            _ => None,
        }
    }

    /// Mode A code carried by this reply (DF5, DF21, ADS-B aircraft status).
    pub fn squawk(&self) -> Option<Squawk> {
        match &self.body {
            Body::Identity { squawk, .. } | Body::CommBIdentity { squawk, .. } => Some(*squawk),
            Body::Extended {
                adsb: Some(Adsb::AircraftStatus { squawk, .. }),
                ..
            } => Some(*squawk),
            _ => None,
        }
    }
}

/// Seven bytes, big-endian, as the low 56 bits of a u64.
#[inline]
fn be56(b: &[u8]) -> u64 {
    b.iter()
        .take(7)
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn df17_with_a_bad_bit_is_a_parity_error() {
        let mut f = hex("8D406B902015A678D4D220AA4BDA");
        assert!(ModeS::decode(&f).is_ok());
        f[9] ^= 1;
        assert!(matches!(
            ModeS::decode(&f),
            Err(DecodeError::Parity { df: 17, .. })
        ));
    }

    #[test]
    fn df4_recovers_the_address_and_decodes_altitude() {
        // pyModeS golden: DF20 a000019910010080f500004315b2 → ABB3BE, 1625 ft.
        let m = ModeS::decode(&hex("a000019910010080f500004315b2")).unwrap();
        assert_eq!(
            (m.df, m.address, m.altitude_baro_ft()),
            (20, 0xABB3BE, Some(1625))
        );
        assert_eq!(m.address_source, AddressSource::Recovered);
    }

    #[test]
    fn df5_gives_the_squawk() {
        // DF21 a800178d10010080f50000d5893c → 484B00, squawk 6276.
        let m = ModeS::decode(&hex("a800178d10010080f50000d5893c")).unwrap();
        assert_eq!(m.squawk().map(|s| s.to_string()).as_deref(), Some("6276"));
        assert_eq!(m.address, 0x484B00);
    }

    #[test]
    fn lengths_and_formats_are_checked_before_anything_else() {
        assert_eq!(
            ModeS::decode(&[0x8D; 5]),
            Err(DecodeError::Length { len: 5 })
        );
        assert!(matches!(
            ModeS::decode(&hex("8D406B902015A6")),
            Err(DecodeError::LengthMismatch {
                df: 17,
                expected: 14,
                len: 7
            })
        ));
        assert!(matches!(
            ModeS::decode(&hex("C8406B902015A6")),
            Err(DecodeError::UnsupportedDf { df: 24 })
        ));
    }
}
