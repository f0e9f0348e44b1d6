//! Beast binary framing (Mode-S Beast, dump1090/readsb port 30005, Radarcape 12 MHz mode).
//!
//! A frame is `0x1A`, a type byte, a 6-byte big-endian 12 MHz timestamp, a signal byte and
//! the payload: `'1'` Mode A/C (2 bytes), `'2'` Mode S short (7), `'3'` Mode S long (14),
//! `'4'` receiver status (14). Every `0x1A` after the type byte is doubled on the wire.
//!
//! Resynchronisation: bytes that do not start a frame are skipped up to the next `0x1A`
//! followed by a known type byte; a `0x1A` followed by anything but `0x1A` inside a frame
//! starts a new frame and the cut-short one is reported and dropped. One ambiguity is
//! inherent to the format: a frame cut right after an unpaired `0x1A` reads the next frame's
//! start as an escaped byte, and that next frame is lost too.

use serde::Serialize;

const ESC: u8 = 0x1A;

/// Longest frame on the wire: escape + type + every one of 6 + 1 + 14 bytes doubled.
pub const MAX_FRAME_WIRE_BYTES: usize = 2 + 2 * (6 + 1 + 14);

/// The kind of a Beast frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BeastKind {
    /// `'1'`: a Mode A/C reply (2 bytes).
    ModeAc,
    /// `'2'`: a 56-bit Mode S reply.
    ModeSShort,
    /// `'3'`: a 112-bit Mode S reply.
    ModeSLong,
    /// `'4'`: receiver status (Radarcape; 14 bytes, not decoded).
    Status,
}

impl BeastKind {
    fn from_type(t: u8) -> Option<Self> {
        match t {
            b'1' => Some(BeastKind::ModeAc),
            b'2' => Some(BeastKind::ModeSShort),
            b'3' => Some(BeastKind::ModeSLong),
            b'4' => Some(BeastKind::Status),
            _ => None,
        }
    }
    /// Payload bytes of this kind.
    pub const fn payload_len(self) -> usize {
        match self {
            BeastKind::ModeAc => 2,
            BeastKind::ModeSShort => 7,
            BeastKind::ModeSLong | BeastKind::Status => 14,
        }
    }
    /// The type byte on the wire.
    pub const fn type_byte(self) -> u8 {
        match self {
            BeastKind::ModeAc => b'1',
            BeastKind::ModeSShort => b'2',
            BeastKind::ModeSLong => b'3',
            BeastKind::Status => b'4',
        }
    }
}

/// One unescaped Beast frame. Small and `Copy`: no allocation per frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BeastFrame {
    /// What it carries.
    pub kind: BeastKind,
    /// The receiver's 48-bit 12 MHz counter at reception (0 when the source has none).
    pub mlat_ticks: u64,
    /// Signal level byte (0–255, source-specific scale; 255 = unknown for dump1090-fa).
    pub signal: u8,
    data: [u8; 14],
}

impl BeastFrame {
    /// A frame from its parts; `None` when `data` is not the kind's payload length.
    pub fn new(kind: BeastKind, mlat_ticks: u64, signal: u8, data: &[u8]) -> Option<Self> {
        if data.len() != kind.payload_len() {
            return None;
        }
        let mut d = [0u8; 14];
        d[..data.len()].copy_from_slice(data);
        Some(BeastFrame {
            kind,
            mlat_ticks: mlat_ticks & 0xFFFF_FFFF_FFFF,
            signal,
            data: d,
        })
    }
    /// The payload (2, 7 or 14 bytes).
    pub fn data(&self) -> &[u8] {
        &self.data[..self.kind.payload_len()]
    }
    /// Append the escaped wire form of this frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(ESC);
        out.push(self.kind.type_byte());
        let ts = self.mlat_ticks.to_be_bytes();
        let body = ts[2..]
            .iter()
            .chain(std::iter::once(&self.signal))
            .chain(self.data().iter());
        for &b in body {
            out.push(b);
            if b == ESC {
                out.push(ESC);
            }
        }
    }
}

/// Bytes the deframer skipped, and why. None of these stops the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BeastError {
    /// Bytes that do not start a frame (line noise, a stream joined mid-frame, unknown types).
    #[error("skipped {bytes} bytes that do not start a Beast frame")]
    Garbage {
        /// Bytes skipped.
        bytes: usize,
    },
    /// A frame cut short by the start of another one.
    #[error("dropped a Beast frame cut short after {bytes} bytes by the next frame start")]
    Interrupted {
        /// Bytes dropped.
        bytes: usize,
    },
    /// The input ended in the middle of a frame.
    #[error("the input ends with {bytes} bytes of an incomplete Beast frame")]
    Truncated {
        /// Bytes left over.
        bytes: usize,
    },
}

enum Step {
    NeedMore,
    Frame(BeastFrame, usize),
    Skip(BeastError, usize),
}

fn starts_frame(buf: &[u8], i: usize) -> bool {
    buf[i] == ESC
        && buf
            .get(i + 1)
            .is_some_and(|&t| BeastKind::from_type(t).is_some())
}

/// Skip to the next plausible frame start; never skips a trailing lone `0x1A`.
fn skip_garbage(buf: &[u8]) -> Step {
    let mut i = 1;
    while i < buf.len() {
        if buf[i] == ESC && (i + 1 == buf.len() || starts_frame(buf, i)) {
            break;
        }
        i += 1;
    }
    Step::Skip(BeastError::Garbage { bytes: i }, i)
}

fn step(buf: &[u8]) -> Step {
    if buf.is_empty() || (buf[0] == ESC && buf.len() < 2) {
        return Step::NeedMore;
    }
    if buf[0] != ESC {
        return skip_garbage(buf);
    }
    let Some(kind) = BeastKind::from_type(buf[1]) else {
        return skip_garbage(buf);
    };
    let want = 7 + kind.payload_len();
    let mut out = [0u8; 21];
    let (mut i, mut k) = (2, 0);
    while k < want {
        let Some(&b) = buf.get(i) else {
            return Step::NeedMore;
        };
        if b == ESC {
            match buf.get(i + 1) {
                None => return Step::NeedMore,
                Some(&ESC) => i += 2,
                Some(_) => return Step::Skip(BeastError::Interrupted { bytes: i }, i),
            }
        } else {
            i += 1;
        }
        out[k] = b;
        k += 1;
    }
    let mlat_ticks = out[..6].iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
    let mut data = [0u8; 14];
    data[..kind.payload_len()].copy_from_slice(&out[7..want]);
    Step::Frame(
        BeastFrame {
            kind,
            mlat_ticks,
            signal: out[6],
            data,
        },
        i,
    )
}

/// Streaming deframer with a fixed-size buffer: a TCP reader [`push`](Self::push)es what it
/// read and drains [`next_frame`](Self::next_frame) until `None`.
#[derive(Clone, Debug)]
pub struct BeastDeframer {
    buf: Vec<u8>,
    start: usize,
    capacity: usize,
}

impl Default for BeastDeframer {
    fn default() -> Self {
        Self::new()
    }
}

impl BeastDeframer {
    /// Default buffer size, bytes.
    pub const DEFAULT_CAPACITY: usize = 64 * 1024;

    /// A deframer with [`Self::DEFAULT_CAPACITY`].
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A deframer holding at most `capacity` bytes (at least one maximal frame).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(MAX_FRAME_WIRE_BYTES);
        BeastDeframer {
            buf: Vec::with_capacity(capacity),
            start: 0,
            capacity,
        }
    }

    /// Append received bytes; returns how many were taken (fewer than offered when the buffer
    /// is full: drain frames, then push the rest).
    pub fn push(&mut self, chunk: &[u8]) -> usize {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let n = chunk.len().min(self.capacity - self.buf.len());
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// The next frame, or the next run of skipped bytes; `None` when more input is needed.
    pub fn next_frame(&mut self) -> Option<Result<BeastFrame, BeastError>> {
        match step(&self.buf[self.start..]) {
            Step::NeedMore => None,
            Step::Frame(f, used) => {
                self.start += used;
                Some(Ok(f))
            }
            Step::Skip(e, used) => {
                self.start += used;
                Some(Err(e))
            }
        }
    }

    /// Bytes held (an incomplete frame, or input not yet drained).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// End of stream: report and drop an incomplete frame left in the buffer.
    pub fn finish(&mut self) -> Option<BeastError> {
        let n = self.buffered();
        self.buf.clear();
        self.start = 0;
        (n > 0).then_some(BeastError::Truncated { bytes: n })
    }
}

/// Frames of a complete input (a file), ending with [`BeastError::Truncated`] if it stops
/// mid-frame.
pub fn frames(bytes: &[u8]) -> Frames<'_> {
    Frames { rest: bytes }
}

/// Iterator returned by [`frames`].
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    rest: &'a [u8],
}

impl<'a> Frames<'a> {
    /// Bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }
}

impl Iterator for Frames<'_> {
    type Item = Result<BeastFrame, BeastError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match step(self.rest) {
            Step::NeedMore => {
                let n = self.rest.len();
                self.rest = &[];
                Some(Err(BeastError::Truncated { bytes: n }))
            }
            Step::Frame(f, used) => {
                self.rest = &self.rest[used..];
                Some(Ok(f))
            }
            Step::Skip(e, used) => {
                self.rest = &self.rest[used..];
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(ticks: u64, sig: u8, fill: u8) -> BeastFrame {
        BeastFrame::new(BeastKind::ModeSLong, ticks, sig, &[fill; 14]).unwrap()
    }

    #[test]
    fn escaped_bytes_round_trip() {
        let f = BeastFrame::new(BeastKind::ModeSShort, 0x1A1A_1A00_001A, 0x1A, &[0x1A; 7]).unwrap();
        let mut wire = Vec::new();
        f.encode(&mut wire);
        // 14 body bytes, of which 12 (4 timestamp, the signal, 7 data) are 0x1A and doubled.
        assert_eq!(wire.len(), 2 + 14 + 12);
        let got: Vec<_> = frames(&wire).collect();
        assert_eq!(got, vec![Ok(f)]);
    }

    #[test]
    fn garbage_before_a_frame_is_reported_once_then_the_frame_follows() {
        let mut wire = b"hello\x00\x1a".to_vec(); // a lone 0x1A followed by a non-type byte
        wire.push(b'x');
        long(5, 9, 0x8D).encode(&mut wire);
        let got: Vec<_> = frames(&wire).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], Err(BeastError::Garbage { bytes: 8 }));
        assert_eq!(got[1], Ok(long(5, 9, 0x8D)));
    }

    #[test]
    fn a_cut_frame_is_dropped_and_the_next_one_kept() {
        let mut wire = Vec::new();
        long(1, 1, 0x11).encode(&mut wire);
        wire.truncate(10);
        long(2, 2, 0x22).encode(&mut wire);
        let got: Vec<_> = frames(&wire).collect();
        assert_eq!(
            got,
            vec![
                Err(BeastError::Interrupted { bytes: 10 }),
                Ok(long(2, 2, 0x22))
            ]
        );
    }

    #[test]
    fn the_deframer_reassembles_frames_split_at_every_byte() {
        let mut wire = Vec::new();
        for i in 0..20u8 {
            long(u64::from(i), i, 0x1A ^ i).encode(&mut wire);
        }
        let mut d = BeastDeframer::new();
        let mut got = Vec::new();
        for b in &wire {
            assert_eq!(d.push(std::slice::from_ref(b)), 1);
            while let Some(r) = d.next_frame() {
                got.push(r.unwrap());
            }
        }
        assert_eq!(got.len(), 20);
        assert_eq!(d.finish(), None);
    }

    #[test]
    fn the_deframer_never_holds_more_than_its_capacity() {
        let mut d = BeastDeframer::with_capacity(100);
        assert_eq!(d.push(&[0u8; 250]), 100);
        assert_eq!(d.push(&[0u8; 10]), 0);
        while d.next_frame().is_some() {}
        assert_eq!(d.push(&[0u8; 10]), 10);
    }
}
