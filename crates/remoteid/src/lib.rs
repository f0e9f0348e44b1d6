//! Remote ID: the ASTM F3411 / ASD-STAN prEN 4709-002 broadcast codec, its transports, DJI's
//! Wi-Fi DroneID and the French beacon, capture decoding and the mapping to observations.
//!
//! * [`message`]: every message type (Basic ID, Location/Vector, Authentication, Self-ID,
//!   System, Operator ID, Message Pack) for protocol versions 0–2 (unknown versions are kept,
//!   not rejected), decode and encode; sentinels decode to `None`.
//! * [`auth`]: Authentication page reassembly.
//! * [`transport`]: Wi-Fi beacon vendor element, Wi-Fi NAN, Bluetooth 4 legacy and Bluetooth 5
//!   extended advertising framing (decode and encode).
//! * [`dji`], [`french`]: the proprietary DJI DroneID element and the French beacon.
//! * [`capture`]: frames and pcap/pcapng captures → [`DecodeRecord`]s (`picket decode`),
//!   CRC-failed frames quarantined with their reason.
//! * [`observe`]: a Location (with the aircraft's Basic ID and System) → `Observation`.
//! * [`assembly`]: one aircraft per UAS ID across messages, transports and randomised MAC
//!   addresses, with its operator and take-off point; DJI and French beacons included.
//! * [`evidence`]: spoof and plausibility evidence per aircraft, combined into a score.
//! * [`crosscheck`]: disagreement between receivers — the RSSI difference of two receivers
//!   hearing the same UAS ID against the one its claimed position predicts.
//!
//! Not for: sockets, files, brokers or the clock (adapters own those). Input bytes
//! are attacker-controlled: nothing here panics on them, and allocations are bounded by them.
#![deny(missing_docs)]

pub mod assembly;
pub mod auth;
pub mod capture;
pub mod crosscheck;
pub mod dji;
pub mod evidence;
pub mod fields;
pub mod french;
pub mod message;
pub mod observe;
pub mod transport;

pub use assembly::{AircraftView, Assembler};
pub use auth::{AuthAssembler, AuthData};
pub use capture::{
    decode_capture, decode_frame, CaptureDecoder, DecodeRecord, FrameDecode, Quarantine,
    QuarantineReason, RecordMessage,
};
pub use crosscheck::CrossCheck;
pub use message::{
    AuthPage, BasicId, DecodeError, EncodeError, Location, Message, MessagePack, OperatorId,
    PackView, SelfId, System, MESSAGE_LEN,
};
pub use observe::{
    location_time, to_observation, to_observations, AircraftContext, ObservationContext,
};
pub use transport::Transport;
