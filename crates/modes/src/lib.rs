//! Mode S / ADS-B for Picket: bytes from a receiver in, aircraft positions and identities out.
//!
//! Two layers, both pure (no I/O, no clock; time is an argument):
//! - **framing** ([`framing`]): Beast binary ([`BeastDeframer`], bounded, streaming), AVR text
//!   and SBS-1 CSV lines;
//! - **format**: Mode S parity and address recovery ([`crc`]), the reply formats
//!   ([`ModeS`]), ADS-B extended squitter fields ([`Adsb`]), Comm-B registers ([`CommB`]),
//!   CPR arithmetic ([`cpr`]) and per-aircraft CPR state ([`AircraftTracker`]).
//!
//! On top: [`decode_records`] (the `picket decode` JSON-lines records of a file),
//! [`Decoder`] (per-frame stateful decoding for an input adapter) and [`to_observation`].
//!
//! Not for: sockets, files, reconnecting, deciding what an aircraft means to a protected unit
//! (that is fusion's and assessment's business). Every decoder takes attacker-controlled
//! bytes: no panics, allocations bounded by the input or by fixed limits.
#![deny(missing_docs)]

pub mod adsb;
pub mod altitude;
pub mod callsign;
pub mod commb;
pub mod cpr;
pub mod crc;
pub mod encode;
pub mod framing;
mod message;
mod observation;
mod record;
mod sbs_state;
mod tracker;

pub use adsb::{Adsb, AirbornePosition, EmitterCategory, SurfacePosition, Velocity};
pub use altitude::{Emergency, Squawk};
pub use callsign::Callsign;
pub use commb::{BdsSet, CommB, CommBReport};
pub use framing::beast::{BeastDeframer, BeastError, BeastFrame, BeastKind};
pub use message::{AddressSource, Body, DecodeError, ModeS};
pub use observation::{sigma_h_from_nac_p, to_observation, DEFAULT_SIGMA_H_M};
pub use record::{
    decode_records, format_from_bytes, DecodeRecord, DecodeRecords, Decoded, Decoder, Format,
};
pub use sbs_state::SbsTracker;
pub use tracker::{
    Aircraft, AircraftTracker, CprMethod, PositionFix, TrackerConfig, VelocityFacts,
};
