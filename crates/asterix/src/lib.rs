//! ASTERIX codec for Picket's radar input: CAT-048 monoradar target reports and CAT-034
//! monoradar service messages.
//!
//! A UDP datagram holds one or more *data blocks* (category, length, records); each record
//! starts with an FSPEC naming the items it carries. [`records`] walks a datagram and yields
//! typed [`Record`]s; [`observe`] turns a CAT-048 target report into a
//! [`picket_core::Observation`] given the radar's position (from CAT-034 I034/120 or the site
//! config). [`capture`] pulls UDP payloads out of a classic pcap file, for `picket decode` and
//! for replay. [`decode_asterix_records`] and [`decode_asterix_pcap`] produce the JSON lines of
//! `picket decode` (schema in `docs/decode-asterix.md`).
//!
//! It is not for: sockets, files, clocks (everything is `&[u8]` in, values out; time is an
//! argument), other categories (CAT-062, CAT-021, ... are reported as unsupported blocks),
//! or encoding.
#![deny(missing_docs)]

pub mod capture;
mod cat034;
mod cat048;
mod json;
pub mod observe;
mod reader;

pub use cat034::{
    Cat034, CollimationError, ComStatus, MessageCount, ModeSStatus, PolarWindow, ProcessingMode,
    SensorStatus, SourcePosition, SystemStatus,
};
pub use cat048::{
    CartesianPosition, Cat048, CommsCapability, DopplerSpeed, FlightLevel, Mode3A, ModeSMb,
    PlotCharacteristics, PolarPosition, PolarVelocity, TargetReportDescriptor, TrackQuality,
    TrackStatus, METRES_PER_FOOT, METRES_PER_NM,
};
pub use json::{decode_asterix_pcap, decode_asterix_records};

use reader::Reader;
use serde::Serialize;

/// I0xx/010 data source identifier: system area code and system identification code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DataSource {
    /// System area code.
    pub sac: u8,
    /// System identification code.
    pub sic: u8,
}

/// What went wrong decoding a datagram. Offsets are from the start of the datagram.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AsterixError {
    /// Fewer than the 3 octets of a data block header remain.
    #[error("data block at byte {offset}: only {available} bytes left, a block header needs 3")]
    BlockTooShort {
        /// Where the block would start.
        offset: usize,
        /// Bytes left in the datagram.
        available: usize,
    },
    /// The block's LEN is below 3 or runs past the datagram.
    #[error(
        "data block at byte {offset} (CAT {category:03}): LEN {declared} but {available} bytes left"
    )]
    BadBlockLength {
        /// Where the block starts.
        offset: usize,
        /// Its category.
        category: u8,
        /// Its LEN field.
        declared: usize,
        /// Bytes left in the datagram from the block's start.
        available: usize,
    },
    /// An item runs past the end of its data block.
    #[error("CAT {category:03} {item} at byte {offset}: needs {needed} bytes, {available} left in the block")]
    Truncated {
        /// The block's category.
        category: u8,
        /// The item being read.
        item: &'static str,
        /// Where the read started.
        offset: usize,
        /// Bytes the item needs.
        needed: usize,
        /// Bytes left in the block.
        available: usize,
    },
    /// An item's contents break the format (the rest of the block cannot be parsed).
    #[error("CAT {category:03} {item} at byte {offset}: {reason}")]
    Malformed {
        /// The block's category.
        category: u8,
        /// The item being read.
        item: &'static str,
        /// Where the item starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// One decoded ASTERIX record.
// Records are built once and handed on; boxing the big variants would cost an allocation
// per record on the hot path for little gain.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// A monoradar target report.
    Cat048(Cat048),
    /// A monoradar service message.
    Cat034(Cat034),
    /// A whole data block of a category this crate does not decode.
    Unsupported {
        /// The block's category.
        category: u8,
    },
}

impl Record {
    /// The ASTERIX category number.
    pub fn category(&self) -> u8 {
        match self {
            Record::Cat048(_) => 48,
            Record::Cat034(_) => 34,
            Record::Unsupported { category } => *category,
        }
    }
}

/// A record with where it sits in the datagram.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedRecord<'a> {
    /// Offset of the record's first byte (its FSPEC) in the datagram; for an unsupported
    /// block, of the block header.
    pub offset: usize,
    /// The record's bytes (FSPEC and items); for an unsupported block, the whole block.
    pub bytes: &'a [u8],
    /// The decoded record.
    pub record: Record,
}

/// The records of one datagram, in order. See [`records`].
pub struct Records<'a> {
    payload: &'a [u8],
    next_block: usize,
    block: Option<(u8, Reader<'a>)>,
    done: bool,
}

/// Walks every data block of a datagram (e.g. one UDP payload) and yields its records.
///
/// A record that fails to decode yields an error and ends its data block (records carry no
/// length, so the rest of the block cannot be found); decoding goes on with the next block.
/// A broken block header yields an error and ends the walk. Never panics; allocates only
/// what the records hold.
pub fn records(payload: &[u8]) -> Records<'_> {
    Records {
        payload,
        next_block: 0,
        block: None,
        done: false,
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<DecodedRecord<'a>, AsterixError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((category, reader)) = self.block.as_mut() {
                if !reader.is_empty() {
                    let start = reader.pos();
                    let offset = reader.offset();
                    let decoded = match *category {
                        48 => cat048::decode(reader).map(Record::Cat048),
                        _ => cat034::decode(reader).map(Record::Cat034),
                    };
                    return Some(match decoded {
                        Ok(record) => Ok(DecodedRecord {
                            offset,
                            bytes: &reader.bytes()[start..reader.pos()],
                            record,
                        }),
                        Err(e) => {
                            self.block = None;
                            Err(e)
                        }
                    });
                }
                self.block = None;
            }
            if self.done || self.next_block >= self.payload.len() {
                return None;
            }
            let offset = self.next_block;
            let rest = &self.payload[offset..];
            if rest.len() < 3 {
                self.done = true;
                return Some(Err(AsterixError::BlockTooShort {
                    offset,
                    available: rest.len(),
                }));
            }
            let category = rest[0];
            let declared = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
            if declared < 3 || declared > rest.len() {
                self.done = true;
                return Some(Err(AsterixError::BadBlockLength {
                    offset,
                    category,
                    declared,
                    available: rest.len(),
                }));
            }
            self.next_block = offset + declared;
            let block = &rest[..declared];
            match category {
                48 | 34 => {
                    self.block = Some((category, Reader::new(&block[3..], offset + 3, category)))
                }
                _ => {
                    return Some(Ok(DecodedRecord {
                        offset,
                        bytes: block,
                        record: Record::Unsupported { category },
                    }))
                }
            }
        }
    }
}
