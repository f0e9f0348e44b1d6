//! SAPIENT framing: each frame is a 4-byte little-endian payload length, then that many bytes
//! of one protobuf `SapientMessage`.
//!
//! Lengths are checked against a maximum before anything is allocated, so a peer announcing a
//! 4 GB frame costs nothing but an error.

use crate::proto::SapientMessage;
use prost::Message;

/// Default largest accepted payload, bytes (1 MiB). Real SAPIENT messages are kilobytes; a
/// registration with a large class taxonomy stays far below this.
pub const MAX_FRAME_LEN: usize = 1 << 20;

/// Bytes of the length prefix.
pub const HEADER_LEN: usize = 4;

/// Why a frame could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix announces more than the maximum frame size.
    #[error("frame announces {len} bytes, more than the {max}-byte maximum")]
    TooLarge {
        /// The announced payload length.
        len: u64,
        /// The maximum in force.
        max: usize,
    },
    /// The input ends inside a frame.
    #[error("frame truncated: needs {needed} bytes, {available} available")]
    Truncated {
        /// Bytes the frame needs (header included).
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// The payload is not a valid protobuf `SapientMessage`.
    #[error("payload is not a valid SapientMessage: {0}")]
    Protobuf(String),
}

impl From<prost::DecodeError> for FrameError {
    fn from(e: prost::DecodeError) -> Self {
        FrameError::Protobuf(e.to_string())
    }
}

/// Encodes a message as one frame (length prefix + protobuf).
pub fn encode_frame(msg: &SapientMessage) -> Result<Vec<u8>, FrameError> {
    let len = msg.encoded_len();
    if len > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge {
            len: len as u64,
            max: MAX_FRAME_LEN,
        });
    }
    let mut out = Vec::with_capacity(HEADER_LEN + len);
    // `len` fits in u32: it is at most MAX_FRAME_LEN.
    out.extend_from_slice(&(len as u32).to_le_bytes());
    msg.encode(&mut out)
        .map_err(|e| FrameError::Protobuf(e.to_string()))?;
    Ok(out)
}

/// The payload of the frame at the start of `bytes` and the number of bytes the frame takes.
///
/// `Ok(None)` when `bytes` does not yet hold a whole frame (a stream should read more);
/// `Err(TooLarge)` when the prefix announces more than `max_len`.
pub fn split_frame(bytes: &[u8], max_len: usize) -> Result<Option<(&[u8], usize)>, FrameError> {
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let len_usize = usize::try_from(len).unwrap_or(usize::MAX);
    if len_usize > max_len {
        return Err(FrameError::TooLarge {
            len: u64::from(len),
            max: max_len,
        });
    }
    let end = HEADER_LEN + len_usize;
    Ok(bytes.get(HEADER_LEN..end).map(|p| (p, end)))
}

/// Decodes the frame at the start of `bytes`: the message and the bytes consumed.
pub fn decode_frame(bytes: &[u8]) -> Result<(SapientMessage, usize), FrameError> {
    match split_frame(bytes, MAX_FRAME_LEN)? {
        Some((payload, used)) => Ok((SapientMessage::decode(payload)?, used)),
        None => {
            let needed = match bytes.get(..HEADER_LEN) {
                Some(h) => {
                    HEADER_LEN.saturating_add(u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize)
                }
                None => HEADER_LEN,
            };
            Err(FrameError::Truncated {
                needed,
                available: bytes.len(),
            })
        }
    }
}

/// Decodes a protobuf `SapientMessage` payload (no length prefix).
pub fn decode_payload(payload: &[u8]) -> Result<SapientMessage, FrameError> {
    Ok(SapientMessage::decode(payload)?)
}

/// Reassembles frames from a byte stream that arrives in arbitrary chunks (a TCP socket).
///
/// Memory stays bounded by the largest accepted frame plus the largest chunk pushed. After a
/// [`FrameError::TooLarge`] the announced bytes are discarded as they arrive (never stored), so
/// a peer that lied about one length can still be answered; whether to keep such a peer is
/// the server's choice.
#[derive(Debug)]
pub struct Deframer {
    buf: Vec<u8>,
    start: usize,
    max_len: usize,
    discard: u64,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer::new()
    }
}

impl Deframer {
    /// A deframer accepting frames up to [`MAX_FRAME_LEN`].
    pub fn new() -> Self {
        Deframer::with_max_frame_len(MAX_FRAME_LEN)
    }

    /// A deframer accepting payloads up to `max_len` bytes.
    pub fn with_max_frame_len(max_len: usize) -> Self {
        Deframer {
            buf: Vec::new(),
            start: 0,
            max_len,
            discard: 0,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        let mut chunk = chunk;
        if self.discard > 0 {
            let skip = usize::try_from(self.discard)
                .unwrap_or(usize::MAX)
                .min(chunk.len());
            chunk = &chunk[skip..];
            self.discard -= skip as u64;
        }
        if chunk.is_empty() {
            return;
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > self.buf.len() / 2 {
            // Reclaim consumed space once it is most of the buffer; amortised O(1) per byte.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// Bytes held, waiting for the rest of their frame.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Bytes still to be discarded from an oversized frame.
    pub fn discarding(&self) -> u64 {
        self.discard
    }

    /// The next complete frame's payload (protobuf bytes, no prefix), if one is buffered.
    ///
    /// `Some(Err(TooLarge))` once per oversized frame; its bytes are then skipped.
    pub fn next_payload(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        let pending = &self.buf[self.start..];
        match split_frame(pending, self.max_len) {
            Ok(Some((payload, used))) => {
                let payload = payload.to_vec();
                self.start += used;
                Some(Ok(payload))
            }
            Ok(None) => None,
            Err(e) => {
                let FrameError::TooLarge { len, .. } = e else {
                    return Some(Err(e));
                };
                // Drop the header and whatever of the payload is already here; skip the rest
                // as it arrives.
                let held = (pending.len() - HEADER_LEN) as u64;
                let drop_now = held.min(len);
                self.start += HEADER_LEN + drop_now as usize;
                self.discard = len - drop_now;
                Some(Err(e))
            }
        }
    }

    /// The next complete frame decoded as a `SapientMessage`, with its payload bytes (for an
    /// Error reply that quotes the offending packet).
    pub fn next_message(&mut self) -> Option<Result<SapientMessage, (FrameError, Vec<u8>)>> {
        match self.next_payload()? {
            Ok(p) => Some(SapientMessage::decode(p.as_slice()).map_err(|e| (e.into(), p))),
            Err(e) => Some(Err((e, Vec::new()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_4_gb_length_prefix_is_rejected_before_any_allocation() {
        let bytes = [0xff, 0xff, 0xff, 0xff, 0x0a];
        assert_eq!(
            split_frame(&bytes, MAX_FRAME_LEN),
            Err(FrameError::TooLarge {
                len: u64::from(u32::MAX),
                max: MAX_FRAME_LEN
            })
        );
    }

    #[test]
    fn a_short_header_needs_more_bytes() {
        assert_eq!(split_frame(&[1, 0], MAX_FRAME_LEN), Ok(None));
        assert_eq!(split_frame(&[2, 0, 0, 0, 9], MAX_FRAME_LEN), Ok(None));
    }

    #[test]
    fn deframer_skips_an_oversized_frame_and_resumes() {
        let mut d = Deframer::with_max_frame_len(8);
        d.push(&[20, 0, 0, 0, 1, 2, 3]);
        assert!(matches!(
            d.next_payload(),
            Some(Err(FrameError::TooLarge { len: 20, .. }))
        ));
        assert_eq!(d.discarding(), 17);
        d.push(&[0u8; 17]);
        assert_eq!(d.buffered_len(), 0);
        d.push(&[2, 0, 0, 0, 7, 7]);
        assert_eq!(d.next_payload(), Some(Ok(vec![7, 7])));
        assert_eq!(d.next_payload(), None);
    }

    #[test]
    fn deframer_reassembles_byte_by_byte() {
        let mut d = Deframer::new();
        let frame = [3u8, 0, 0, 0, 1, 2, 3, 1, 0, 0, 0, 9];
        let mut got = Vec::new();
        for b in frame {
            d.push(&[b]);
            while let Some(p) = d.next_payload() {
                got.push(p.unwrap());
            }
        }
        assert_eq!(got, vec![vec![1, 2, 3], vec![9]]);
        assert_eq!(d.buffered_len(), 0);
    }
}
