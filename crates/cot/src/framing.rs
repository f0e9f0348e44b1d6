//! TAK protocol framing, separate from the payload format.
//!
//! - Mesh (UDP datagram): `0xbf <version varint> 0xbf` then one TakMessage. Version 1 only.
//! - Stream (TCP/TLS after negotiation): `0xbf <length varint>` then one TakMessage.
//! - XML stream (TCP/TLS before or without negotiation): events one after another, split
//!   after each `</event>`.
//!
//! Splitting checks a declared length against the limit before waiting for (or allocating)
//! the body, so a hostile length costs nothing.

use crate::convert::{decode_tak_message, from_tak_message, to_tak_message};
use crate::event::{CotEvent, Limits};
use crate::xml::{decode_xml_with, encode_xml};
use crate::{proto, DecodeError, EncodeError, FrameError};
use prost::Message;

/// The TAK protocol magic byte.
pub const MAGIC: u8 = 0xbf;
/// The mesh header of TAK protocol version 1.
pub const MESH_HEADER_V1: [u8; 3] = [MAGIC, 0x01, MAGIC];
const END_TAG: &[u8] = b"</event>";

/// The encoding in use on a connection (or a mesh).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFormat {
    /// CoT XML ("TAK protocol version 0").
    Xml,
    /// TAK protocol version 1 (protobuf).
    ProtobufV1,
}

/// Appends `v` as an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at the start of `buf`: `Ok(None)` when `buf` ends inside it,
/// `Ok(Some((value, bytes used)))` otherwise.
pub fn get_varint(buf: &[u8]) -> Result<Option<(u64, usize)>, FrameError> {
    let mut v: u64 = 0;
    for (i, &b) in buf.iter().enumerate() {
        if i >= 10 || (i == 9 && b > 1) {
            return Err(FrameError::VarintTooLong);
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((v, i + 1)));
        }
    }
    Ok(None)
}

/// Frames a TakMessage for a mesh datagram.
pub fn encode_mesh_message(msg: &proto::TakMessage) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + msg.encoded_len());
    out.extend_from_slice(&MESH_HEADER_V1);
    // Writing into a Vec cannot run out of space.
    let _ = msg.encode(&mut out);
    out
}

/// Frames a TakMessage for a stream.
pub fn encode_stream_message(msg: &proto::TakMessage) -> Vec<u8> {
    let len = msg.encoded_len();
    let mut out = Vec::with_capacity(11 + len);
    out.push(MAGIC);
    put_varint(&mut out, len as u64);
    let _ = msg.encode(&mut out);
    out
}

/// An event as a TAK protocol v1 mesh datagram. `control` adds the TakControl that mesh
/// senders must broadcast at least once a minute (rule 1 of mesh negotiation).
pub fn encode_mesh(
    event: &CotEvent,
    control: Option<proto::TakControl>,
) -> Result<Vec<u8>, EncodeError> {
    let mut msg = to_tak_message(event)?;
    msg.tak_control = control;
    Ok(encode_mesh_message(&msg))
}

/// An event as a TAK protocol v1 stream frame.
pub fn encode_stream(event: &CotEvent) -> Result<Vec<u8>, EncodeError> {
    Ok(encode_stream_message(&to_tak_message(event)?))
}

/// An event in the given wire format, ready to write to a stream (XML: declaration,
/// newline and event, nothing after `</event>`).
pub fn encode_for_stream(event: &CotEvent, wire: WireFormat) -> Result<Vec<u8>, EncodeError> {
    match wire {
        WireFormat::Xml => Ok(encode_xml(event)?.into_bytes()),
        WireFormat::ProtobufV1 => encode_stream(event),
    }
}

/// Strips and checks a mesh header; returns the protobuf payload.
pub fn mesh_payload(datagram: &[u8]) -> Result<&[u8], FrameError> {
    let first = *datagram.first().ok_or(FrameError::Truncated { len: 0 })?;
    if first != MAGIC {
        return Err(FrameError::BadMagic { found: first });
    }
    let rest = &datagram[1..];
    let (version, used) = get_varint(rest)?.ok_or(FrameError::Truncated {
        len: datagram.len(),
    })?;
    let rest = &rest[used..];
    match rest.first() {
        None => {
            return Err(FrameError::Truncated {
                len: datagram.len(),
            })
        }
        Some(&b) if b != MAGIC => return Err(FrameError::BadMagic { found: b }),
        Some(_) => {}
    }
    if version != 1 {
        return Err(FrameError::UnsupportedVersion { version });
    }
    Ok(&rest[1..])
}

/// Decodes a mesh datagram of TAK protocol v1 into its TakMessage.
pub fn decode_mesh(datagram: &[u8], limits: &Limits) -> Result<proto::TakMessage, FrameError> {
    let payload = mesh_payload(datagram)?;
    if payload.len() > limits.max_bytes {
        return Err(FrameError::TooLarge {
            len: payload.len() as u64,
            max: limits.max_bytes,
        });
    }
    proto::TakMessage::decode(payload).map_err(|e| FrameError::Protobuf(e.to_string()))
}

/// What one mesh datagram carried.
#[derive(Clone, Debug, PartialEq)]
pub struct Datagram {
    /// Encoding the sender used (tells the mesh negotiation what the sender speaks).
    pub wire: WireFormat,
    /// The sender's TakControl, when present (protobuf only).
    pub control: Option<proto::TakControl>,
    /// The event, when present.
    pub event: Option<CotEvent>,
}

/// Why a datagram was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatagramError {
    /// Framing was wrong.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The event inside was wrong.
    #[error(transparent)]
    Event(#[from] DecodeError),
}

/// Decodes a mesh UDP datagram of either kind: TAK protocol v1 (starts with `0xbf`) or
/// CoT XML (anything else).
pub fn decode_datagram(datagram: &[u8], limits: &Limits) -> Result<Datagram, DatagramError> {
    if datagram.first() == Some(&MAGIC) {
        let msg = decode_mesh(datagram, limits)?;
        let control = msg.tak_control.clone();
        let event = match msg.cot_event {
            Some(_) => Some(from_tak_message(msg, limits)?),
            None => None,
        };
        Ok(Datagram {
            wire: WireFormat::ProtobufV1,
            control,
            event,
        })
    } else {
        Ok(Datagram {
            wire: WireFormat::Xml,
            control: None,
            event: Some(decode_xml_with(datagram, limits)?),
        })
    }
}

/// Splits one stream frame off the front of `buf`.
///
/// `Ok(None)`: more bytes are needed. `Ok(Some((payload, consumed)))`: a whole frame;
/// drop `consumed` bytes. A declared length over `max_len` is an error at once.
pub fn split_stream(buf: &[u8], max_len: usize) -> Result<Option<(&[u8], usize)>, FrameError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first != MAGIC {
        return Err(FrameError::BadMagic { found: first });
    }
    let Some((len, used)) = get_varint(&buf[1..])? else {
        return Ok(None);
    };
    if len > max_len as u64 {
        return Err(FrameError::TooLarge { len, max: max_len });
    }
    // len ≤ max_len, so it fits in usize.
    let start = 1 + used;
    let end = start + len as usize;
    Ok(buf.get(start..end).map(|payload| (payload, end)))
}

/// Splits one XML event off the front of a CoT XML stream (everything up to and including
/// the first `</event>`; leading whitespace and the declaration stay with the event).
///
/// `Ok(None)`: more bytes are needed. An error when `max_len` bytes hold no `</event>`.
pub fn split_xml_stream(buf: &[u8], max_len: usize) -> Result<Option<(&[u8], usize)>, FrameError> {
    match find(buf, END_TAG) {
        Some(i) if i + END_TAG.len() <= max_len => {
            let end = i + END_TAG.len();
            Ok(Some((&buf[..end], end)))
        }
        Some(_) => Err(FrameError::NoEventEnd { len: buf.len() }),
        None if buf.len() > max_len => Err(FrameError::NoEventEnd { len: buf.len() }),
        None => Ok(None),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Why [`StreamDecoder::next_event`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// Frame boundaries are lost: close the connection.
    #[error("stream framing lost: {0}")]
    Frame(#[from] FrameError),
    /// One message was dropped because its content was bad; the stream goes on.
    #[error("dropped one message: {0}")]
    Event(#[from] DecodeError),
}

impl StreamError {
    /// True when the connection must be closed (frame boundaries lost).
    pub fn is_fatal(&self) -> bool {
        matches!(self, StreamError::Frame(_))
    }
}

/// Reassembles events from the bytes of one TCP/TLS connection, in XML or protobuf framing.
///
/// Pure: the caller reads the socket, [`push`](Self::push)es bytes, and drains
/// [`next_event`](Self::next_event) until it returns `Ok(None)`. When negotiation switches
/// the connection to protobuf, call [`set_wire`](Self::set_wire) right after the event that
/// switched it; bytes already buffered are then read as protobuf.
#[derive(Debug)]
pub struct StreamDecoder {
    buf: Vec<u8>,
    start: usize,
    wire: WireFormat,
    limits: Limits,
}

impl StreamDecoder {
    /// A decoder for a fresh connection (XML until told otherwise).
    pub fn new(limits: Limits) -> Self {
        StreamDecoder {
            buf: Vec::new(),
            start: 0,
            wire: WireFormat::Xml,
            limits,
        }
    }
    /// The framing now expected.
    pub fn wire(&self) -> WireFormat {
        self.wire
    }
    /// Switches framing (after a successful negotiation).
    pub fn set_wire(&mut self, wire: WireFormat) {
        self.wire = wire;
    }
    /// Bytes buffered and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }
    /// Adds bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        // Compact lazily so draining many small frames stays linear.
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }
    /// The next complete event, `Ok(None)` when more bytes are needed.
    ///
    /// Protobuf frames without a CotEvent (TakControl only) are skipped.
    pub fn next_event(&mut self) -> Result<Option<CotEvent>, StreamError> {
        loop {
            let pending = &self.buf[self.start..];
            let (frame, consumed) = match self.wire {
                WireFormat::Xml => {
                    // Whitespace between events is not part of any event.
                    let skip = pending
                        .iter()
                        .take_while(|b| b.is_ascii_whitespace())
                        .count();
                    if skip > 0 {
                        self.start += skip;
                        continue;
                    }
                    match split_xml_stream(pending, self.limits.max_bytes)? {
                        Some(x) => x,
                        None => return Ok(None),
                    }
                }
                WireFormat::ProtobufV1 => match split_stream(pending, self.limits.max_bytes)? {
                    Some(x) => x,
                    None => return Ok(None),
                },
            };
            let result = match self.wire {
                WireFormat::Xml => decode_xml_with(frame, &self.limits).map(Some),
                WireFormat::ProtobufV1 => {
                    decode_tak_message(frame, &self.limits).and_then(|m| match m.cot_event {
                        Some(_) => from_tak_message(m, &self.limits).map(Some),
                        None => Ok(None),
                    })
                }
            };
            self.start += consumed;
            match result {
                Ok(Some(ev)) => return Ok(Some(ev)),
                Ok(None) => continue,
                Err(e) => return Err(StreamError::Event(e)),
            }
        }
    }
}
