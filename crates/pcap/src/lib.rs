//! Packet captures, read from memory: the framing layer under Picket's radio decoders.
//!
//! * [`capture`]: pcap and pcapng files over `&[u8]` → [`Packet`]s (frame number, time, link
//!   type, bytes). Bounded: a length that points past the end of the input is an error, never
//!   an allocation.
//! * [`stream`]: the same, read incrementally from any `std::io::Read` ([`PacketReader`]):
//!   one record held at a time, at most a set limit, so captures of any size stream.
//! * [`radiotap`]: the radiotap header (DLT 127) — TSF, flags (FCS present, bad FCS), rate,
//!   channel, antenna signal.
//! * [`dot11`]: 802.11 management frames — beacons, probes and action frames, their transmitter
//!   address, information elements, vendor elements, and Wi-Fi NAN service discovery frames.
//! * [`ble`]: Bluetooth LE — the Nordic sniffer header (DLT 272), the LE link layer with PHDR
//!   (DLT 256), advertising PDUs (legacy and extended) and AD structures.
//!
//! Not for: what the payloads mean (Remote ID lives in `picket-remoteid`), reading files or
//! sockets, or the clock. Every parser returns borrowed slices of its input and typed errors; no
//! input makes it panic.
#![deny(missing_docs)]

pub mod ble;
pub mod capture;
pub mod dot11;
pub mod radiotap;
pub mod stream;

mod bytes;
mod mac;

pub use capture::{packets, CaptureError, CaptureFormat, LinkType, Packet, Packets};
pub use mac::MacAddr;
pub use stream::{PacketReader, ReadError, DEFAULT_MAX_RECORD_BYTES};
