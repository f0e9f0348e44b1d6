//! Cursor-on-Target (CoT) codec for Picket's TAK output and friendly-SA input.
//!
//! - [`CotEvent`] / [`Element`]: one CoT `<event>` with its `<point>` and a generic `<detail>`
//!   tree; [`xml`] encodes and decodes CoT XML with bounded size, nesting and counts
//!   ([`Limits`]), typed errors ([`DecodeError`], [`EncodeError`]).
//! - [`proto`]: Picket's own prost definitions of the TAK protocol v1 messages (TakMessage,
//!   CotEvent, Detail, Contact, Group, PrecisionLocation, Status, Takv, Track), wire-compatible
//!   with the public `.proto` files; [`convert`] maps them to and from [`CotEvent`].
//! - [`framing`]: mesh datagrams (`0xbf 0x01 0xbf` + protobuf), stream frames (`0xbf` + varint
//!   length + protobuf), XML stream splitting at `</event>`, and a buffering
//!   [`StreamDecoder`] for one TCP connection.
//! - [`negotiation`]: the `t-x-takp-v/q/r` events and the client-side [`Negotiation`] state
//!   machine (XML until the server accepts protobuf), plus [`MeshVersions`] for mesh networks.
//! - [`picket`]: what Picket sends: tracks (type escalating with the threat level), their
//!   operator and take-off points, stale-outs and deletes, alerts (`b-a-g` / `b-a-o-can`)
//!   and GeoChat lines addressed to the affected callsigns only; [`ChatLine`] reads replies.
//! - [`reply`]: devices' replies about Picket's alerts — `y-a-r` / `y-a-w` acknowledgements
//!   and GeoChat delivered / read receipts of its chat lines → [`AlertReply`].
//! - [`sa`]: friendly position reports (`a-f-G-…`) → [`FriendlySa`].
//!
//! It is not for: sockets, TLS, timers or clocks (every time is an argument), routing
//! decisions (who gets which alert) or config files.
#![deny(missing_docs)]

mod error;
mod event;
mod timefmt;

pub mod convert;
pub mod framing;
pub mod negotiation;
pub mod picket;
pub mod proto;
pub mod reply;
pub mod sa;
pub mod xml;

pub use error::{DecodeError, EncodeError, FrameError};
pub use event::{CotEvent, Element, Limits, Point, UNKNOWN_ERROR_M};
pub use framing::{StreamDecoder, StreamError, WireFormat};
pub use negotiation::{MeshVersions, Negotiation, NegotiationStep, TakControlInfo};
pub use picket::{
    parse_ack, AckRequest, AlertCot, ChatLine, CotProfile, ProfileError, Recipient, TrackReport,
};
pub use reply::{AlertReply, ReplyError, ReplyKind};
pub use sa::{FriendlySa, SaError};
pub use timefmt::{format_cot_time, parse_cot_time};
