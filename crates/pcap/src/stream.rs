//! pcap and pcapng captures read incrementally from any [`std::io::Read`]: one record (pcap) or
//! block (pcapng) is held at a time, so a capture of gigabytes is read in constant memory.
//!
//! Same decoding as [`crate::packets`] over a slice (the record and block code is shared), with
//! the same errors where the input can be seen the same way. What a stream adds: a record
//! longer than a limit is refused before it is read ([`ReadError::TooLarge`]: a stream has no
//! length to check a claim against), and read errors ([`ReadError::Io`]). A pcapng section's
//! interfaces are bounded as in the slice reader ([`crate::capture::MAX_INTERFACES`],
//! [`CaptureError::TooManyInterfaces`]), so they cannot grow with the input either. In a
//! [`CaptureError::Truncated`] from a block that was read whole but is too short inside,
//! `available` counts the bytes of that block, not of the rest of the input.

use crate::bytes::Endian;
use crate::capture::{
    block_length_valid, magic, not_a_capture, pcap_kind, pcap_record_header, section_byte_order,
    truncated, Kind, Magic, State, PCAPNG_SHB, PCAP_FILE_HEADER_BYTES, PCAP_RECORD_HEADER_BYTES,
};
use crate::{CaptureError, CaptureFormat, Packet};
use std::io::Read;

/// Longest record or block read by default, bytes: above libpcap's largest snapshot length
/// (256 KiB) with room for pcapng options.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// Why a capture stream could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// What the slice reader would say of the same bytes.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// A record or block claims more bytes than the reader's limit; it is not read.
    #[error("capture {what} at byte {offset} claims {length} bytes, over the {max}-byte limit")]
    TooLarge {
        /// What was being read.
        what: &'static str,
        /// Byte offset of its start.
        offset: u64,
        /// Bytes it claims.
        length: u64,
        /// The limit.
        max: usize,
    },
    /// Reading the underlying stream failed.
    #[error("cannot read the capture at byte {offset}: {source}")]
    Io {
        /// Byte offset of the record being read.
        offset: u64,
        /// The error.
        source: std::io::Error,
    },
}

/// The packets of a capture read from `R`, in file order, one at a time
/// ([`PacketReader::next_packet`]); each borrows the reader until the next. Fused: after an
/// error or the end it yields nothing more. Wrap a file in a `BufReader`: records are read
/// with a few small reads each.
#[derive(Debug)]
pub struct PacketReader<R> {
    inner: R,
    /// The current record or block (at most `max_record_bytes`).
    buf: Vec<u8>,
    /// Bytes at the start of `buf` already read for the next record (the pcapng magic).
    kept: usize,
    /// Stream offset of the next record or block.
    offset: u64,
    max_record_bytes: usize,
    done: bool,
    kind: Kind,
    state: State,
}

impl<R: Read> PacketReader<R> {
    /// Sniffs the format from the stream's first bytes; records up to
    /// [`DEFAULT_MAX_RECORD_BYTES`].
    ///
    /// Errors when the bytes are not a capture (or the pcap file header is cut short), or the
    /// first read fails; problems further in come out of [`next_packet`](Self::next_packet).
    pub fn new(inner: R) -> Result<Self, ReadError> {
        Self::with_max_record_bytes(inner, DEFAULT_MAX_RECORD_BYTES)
    }

    /// As [`new`](Self::new), with records and blocks limited to `max_record_bytes` (the
    /// most this reader holds).
    pub fn with_max_record_bytes(inner: R, max_record_bytes: usize) -> Result<Self, ReadError> {
        let mut r = PacketReader {
            inner,
            buf: Vec::new(),
            kept: 0,
            offset: 0,
            max_record_bytes,
            done: false,
            kind: Kind::PcapNg {
                endian: Endian::Little,
            },
            state: State::default(),
        };
        r.fill(4)?;
        let head: [u8; 4] = r
            .buf
            .as_slice()
            .try_into()
            .map_err(|_| not_a_capture(&r.buf))?;
        match magic(head).ok_or_else(|| not_a_capture(&r.buf))? {
            Magic::Pcap { endian, nanos } => {
                r.fill(PCAP_FILE_HEADER_BYTES)?;
                if r.buf.len() < PCAP_FILE_HEADER_BYTES {
                    return Err(truncated(
                        "pcap file header",
                        0,
                        PCAP_FILE_HEADER_BYTES as u64,
                        r.buf.len(),
                    )
                    .into());
                }
                r.kind = pcap_kind(&r.buf, endian, nanos);
                r.offset = PCAP_FILE_HEADER_BYTES as u64;
            }
            // The magic is the first section header's block type: kept for its block.
            Magic::PcapNg => r.kept = r.buf.len(),
        }
        Ok(r)
    }

    /// Which container this is.
    pub fn format(&self) -> CaptureFormat {
        self.kind.format()
    }

    /// Bytes of the stream consumed so far: up to the end of the last record or block read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next packet; `None` at the end of the stream, or after an error.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, ReadError>> {
        if self.done {
            return None;
        }
        let read = match self.kind {
            Kind::Pcap {
                endian,
                link_type,
                nanos,
            } => self.read_pcap_record(endian, link_type, nanos),
            Kind::PcapNg { .. } => self.read_pcapng_packet_block(),
        };
        let pending = match read {
            Ok(Some(p)) => p,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        // Decoded only once the record is whole in `buf`: the packet borrows it.
        let packet = match pending {
            Pending::Pcap {
                link_type,
                nanos,
                header,
                len,
            } => {
                let [sec, frac, _, orig] = header;
                Ok(self.state.pcap_packet(
                    link_type,
                    nanos,
                    sec,
                    frac,
                    orig,
                    &self.buf[PCAP_RECORD_HEADER_BYTES..len],
                ))
            }
            Pending::Block {
                endian,
                block_type,
                at,
                len,
            } => self
                .state
                .packet_block(endian, block_type, &self.buf[8..len - 4], at, len),
        };
        if packet.is_err() {
            self.done = true;
        }
        Some(packet.map_err(ReadError::Capture))
    }

    /// Reads into `buf` until it holds `len` bytes or the stream ends.
    fn fill(&mut self, len: usize) -> Result<(), ReadError> {
        let want = len.saturating_sub(self.buf.len()) as u64;
        // Grows with what arrives, never by what a header claims.
        (&mut self.inner)
            .take(want)
            .read_to_end(&mut self.buf)
            .map(|_| ())
            .map_err(|source| ReadError::Io {
                offset: self.offset,
                source,
            })
    }

    /// Starts a record at `offset`: `buf` keeps only bytes already read for it.
    fn begin(&mut self) {
        self.buf.truncate(self.kept);
        self.kept = 0;
    }

    fn too_large(&self, what: &'static str, length: u64) -> Result<(), ReadError> {
        if length > self.max_record_bytes as u64 {
            return Err(ReadError::TooLarge {
                what,
                offset: self.offset,
                length,
                max: self.max_record_bytes,
            });
        }
        Ok(())
    }

    fn read_pcap_record(
        &mut self,
        endian: Endian,
        link_type: crate::LinkType,
        nanos: bool,
    ) -> Result<Option<Pending>, ReadError> {
        self.begin();
        let at = offset_usize(self.offset);
        self.fill(PCAP_RECORD_HEADER_BYTES)?;
        if self.buf.is_empty() {
            return Ok(None);
        }
        let Some(header) = pcap_record_header(endian, &self.buf, 0) else {
            return Err(truncated(
                "pcap record header",
                at,
                PCAP_RECORD_HEADER_BYTES as u64,
                self.buf.len(),
            )
            .into());
        };
        let needed = PCAP_RECORD_HEADER_BYTES as u64 + header[2] as u64;
        self.too_large("pcap record", needed)?;
        // Within the limit, so it fits a usize.
        let len = needed as usize;
        self.fill(len)?;
        if self.buf.len() < len {
            return Err(truncated("pcap record", at, needed, self.buf.len()).into());
        }
        self.offset += needed;
        Ok(Some(Pending::Pcap {
            link_type,
            nanos,
            header,
            len,
        }))
    }

    /// Reads blocks up to the next packet block (section headers and interface descriptions
    /// update the state on the way).
    fn read_pcapng_packet_block(&mut self) -> Result<Option<Pending>, ReadError> {
        loop {
            self.begin();
            let at = offset_usize(self.offset);
            self.fill(8)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            let Some(block_type_le) = crate::bytes::u32_le(&self.buf, 0) else {
                return Err(truncated("pcapng block header", at, 12, self.buf.len()).into());
            };
            // A section header fixes the byte order of everything up to the next one.
            if block_type_le == PCAPNG_SHB {
                self.fill(12)?;
                let endian = match crate::bytes::u32_le(&self.buf, 8) {
                    Some(word) => {
                        section_byte_order(word).ok_or(CaptureError::BadByteOrder { offset: at })?
                    }
                    None => {
                        return Err(
                            truncated("pcapng section header", at, 28, self.buf.len()).into()
                        )
                    }
                };
                self.kind = Kind::PcapNg { endian };
                self.state.section();
            }
            let Kind::PcapNg { endian } = self.kind else {
                return Ok(None);
            };
            let (Some(block_type), Some(len)) =
                (endian.u32(&self.buf, 0), endian.u32(&self.buf, 4))
            else {
                return Err(truncated("pcapng block header", at, 12, self.buf.len()).into());
            };
            if !block_length_valid(len) {
                return Err(CaptureError::BadBlockLength {
                    offset: at,
                    length: len,
                }
                .into());
            }
            self.too_large("pcapng block", len as u64)?;
            let len = len as usize;
            self.fill(len)?;
            if self.buf.len() < len {
                return Err(truncated("pcapng block", at, len as u64, self.buf.len()).into());
            }
            if endian.u32(&self.buf, len - 4) != Some(len as u32) {
                return Err(CaptureError::BadBlockLength {
                    offset: at,
                    length: len as u32,
                }
                .into());
            }
            self.offset += len as u64;
            match block_type {
                1 => self
                    .state
                    .interface_description(endian, &self.buf[8..len - 4], at, len)?,
                2 | 3 | 6 => {
                    return Ok(Some(Pending::Block {
                        endian,
                        block_type,
                        at,
                        len,
                    }))
                }
                // Section headers, name resolution, statistics, custom and unknown blocks
                // carry no packets.
                _ => {}
            }
        }
    }
}

/// A record read whole into `buf`, to be decoded.
enum Pending {
    Pcap {
        link_type: crate::LinkType,
        nanos: bool,
        /// Seconds, fraction, captured and original length.
        header: [u32; 4],
        /// Bytes of the record, header included.
        len: usize,
    },
    Block {
        endian: Endian,
        block_type: u32,
        at: usize,
        /// Bytes of the block.
        len: usize,
    },
}

/// A stream offset as the slice reader's errors state offsets.
fn offset_usize(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::tests::{block, epb, idb, many_interfaces, pcap_le, shb};
    use crate::capture::MAX_INTERFACES;
    use crate::packets;

    /// Hands out at most `chunk` bytes a read (records straddle reads), and fails once
    /// `fail_at` bytes have been read.
    struct Trickle<'a> {
        bytes: &'a [u8],
        chunk: usize,
        fail_at: Option<usize>,
        at: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.fail_at.is_some_and(|f| self.at >= f) {
                return Err(std::io::Error::other("cable pulled"));
            }
            let n = out
                .len()
                .min(self.chunk)
                .min(self.bytes.len() - self.at)
                .min(self.fail_at.map_or(usize::MAX, |f| f - self.at));
            out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn trickle(bytes: &[u8], chunk: usize) -> Trickle<'_> {
        Trickle {
            bytes,
            chunk,
            fail_at: None,
            at: 0,
        }
    }

    type Owned = (u64, Option<i64>, crate::LinkType, u32, Vec<u8>, u32);

    fn owned(p: Packet<'_>) -> Owned {
        (
            p.number,
            p.timestamp_ns,
            p.link_type,
            p.interface_id,
            p.data.to_vec(),
            p.original_len,
        )
    }

    /// Everything the slice reader makes of `bytes`: its packets and the error it stops at.
    fn by_slice(bytes: &[u8]) -> Result<(Vec<Owned>, Option<CaptureError>), CaptureError> {
        let mut got = Vec::new();
        for p in packets(bytes)? {
            match p {
                Ok(p) => got.push(owned(p)),
                Err(e) => return Ok((got, Some(e))),
            }
        }
        Ok((got, None))
    }

    fn by_stream(r: impl Read) -> Result<(Vec<Owned>, Option<ReadError>), ReadError> {
        let mut reader = PacketReader::new(r)?;
        let mut got = Vec::new();
        while let Some(p) = reader.next_packet() {
            match p {
                Ok(p) => got.push(owned(p)),
                Err(e) => {
                    assert!(reader.next_packet().is_none(), "fused after {e}");
                    return Ok((got, Some(e)));
                }
            }
        }
        assert!(reader.next_packet().is_none(), "fused at the end");
        Ok((got, None))
    }

    fn capture_error(e: ReadError) -> CaptureError {
        match e {
            ReadError::Capture(c) => c,
            other => panic!("expected a capture error, got {other}"),
        }
    }

    /// Every prefix of `file` (a capture cut anywhere), read in chunks of every size that
    /// matters, gives what the slice reader gives: the same packets, the same error.
    fn every_prefix_reads_as_from_a_slice(file: &[u8]) {
        let whole = by_slice(file).unwrap();
        assert!(whole.0.len() >= 3 && whole.1.is_none(), "{whole:?}");
        for cut in 0..=file.len() {
            let prefix = &file[..cut];
            let expected = by_slice(prefix);
            for chunk in [1, 5, 64, usize::MAX] {
                let got = by_stream(trickle(prefix, chunk));
                match (&expected, got) {
                    (Err(e), Err(g)) => assert_eq!(*e, capture_error(g), "cut at {cut}"),
                    (Ok((packets, error)), Ok((got, got_error))) => {
                        assert_eq!(*packets, got, "cut at {cut}, chunks of {chunk}");
                        assert_eq!(*error, got_error.map(capture_error), "cut at {cut}");
                    }
                    (e, g) => panic!("cut at {cut}: slice {e:?}, stream {g:?}"),
                }
            }
        }
    }

    #[test]
    fn a_pcap_cut_anywhere_streams_as_the_slice_reader_reads_it() {
        let file = pcap_le(
            &[(b"abc", 10, 500_000), (b"", 11, 1), (b"defgh", 12, 2)],
            false,
        );
        every_prefix_reads_as_from_a_slice(&file);
    }

    #[test]
    fn a_pcapng_cut_anywhere_streams_as_the_slice_reader_reads_it() {
        let mut file = shb();
        file.extend(idb(127, None));
        file.extend(block(5, &[0; 8])); // statistics: no packet
        file.extend(epb(0, 1_500_000, b"wifi"));
        let mut spb = 3u32.to_le_bytes().to_vec();
        spb.extend_from_slice(b"xyz");
        file.extend(block(3, &spb));
        // A second section: interfaces start afresh.
        file.extend(shb());
        file.extend(idb(272, Some(9)));
        file.extend(epb(0, 2_000_000_123, b"ble!!"));
        let (packets, _) = by_slice(&file).unwrap();
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[2].2, crate::LinkType::NORDIC_BLE);
        every_prefix_reads_as_from_a_slice(&file);
    }

    #[test]
    fn a_record_over_the_limit_is_refused_before_it_is_read() {
        let mut f = pcap_le(&[(b"abc", 1, 0), (b"defg", 2, 0)], false);
        // The second record claims 4 GB.
        let second = 24 + 16 + 3;
        f[second + 8..second + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let (got, error) = by_stream(trickle(&f, usize::MAX)).unwrap();
        assert_eq!(got.len(), 1);
        assert!(
            matches!(
                error,
                Some(ReadError::TooLarge { offset, length, .. })
                    if offset == second as u64 && length == 16 + u32::MAX as u64
            ),
            "{error:?}"
        );
        // The limit is the record's whole length: at it is fine, one byte under is not.
        let f = pcap_le(&[(b"abcd", 1, 0)], false);
        let mut r = PacketReader::with_max_record_bytes(trickle(&f, 3), 20).unwrap();
        assert_eq!(r.next_packet().unwrap().unwrap().data, b"abcd");
        assert_eq!(r.offset(), f.len() as u64);
        let mut r = PacketReader::with_max_record_bytes(trickle(&f, 3), 19).unwrap();
        assert!(matches!(
            r.next_packet(),
            Some(Err(ReadError::TooLarge {
                length: 20,
                max: 19,
                ..
            }))
        ));
        // A pcapng block likewise.
        let mut f = shb();
        f.extend(idb(127, None));
        f.extend(epb(0, 1, &[7; 100]));
        let mut r = PacketReader::with_max_record_bytes(trickle(&f, 64), 64).unwrap();
        assert!(matches!(
            r.next_packet(),
            Some(Err(ReadError::TooLarge {
                what: "pcapng block",
                ..
            }))
        ));
        assert!(r.next_packet().is_none());
    }

    #[test]
    fn a_stream_of_interface_descriptions_is_refused_past_the_limit() {
        // Exactly at the limit: read through, the packet on the last interface comes out.
        let f = many_interfaces(MAX_INTERFACES);
        let (got, error) = by_stream(trickle(&f, 4096)).unwrap();
        assert!(error.is_none(), "{error:?}");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].3, MAX_INTERFACES as u32 - 1);
        // One more: the typed error at the refused block, as the slice reader says it.
        let f = many_interfaces(MAX_INTERFACES + 1);
        let (got, error) = by_stream(trickle(&f, 4096)).unwrap();
        assert!(got.is_empty());
        let error = capture_error(error.expect("an error"));
        assert_eq!(
            error,
            CaptureError::TooManyInterfaces {
                offset: shb().len() + 20 * MAX_INTERFACES,
                max: MAX_INTERFACES,
            }
        );
        assert_eq!(Some(error), by_slice(&f).unwrap().1);
    }

    #[test]
    fn a_read_error_ends_the_stream_with_its_offset() {
        let f = pcap_le(&[(b"abc", 1, 0), (b"defg", 2, 0)], false);
        let second = 24 + 16 + 3;
        let r = Trickle {
            bytes: &f,
            chunk: 4,
            fail_at: Some(second + 10),
            at: 0,
        };
        let (got, error) = by_stream(r).unwrap();
        assert_eq!(got.len(), 1);
        assert!(
            matches!(error, Some(ReadError::Io { offset, .. }) if offset == second as u64),
            "{error:?}"
        );
        // Failing in the file header: no reader at all.
        let r = Trickle {
            bytes: &f,
            chunk: 4,
            fail_at: Some(10),
            at: 0,
        };
        assert!(matches!(
            PacketReader::new(r),
            Err(ReadError::Io { offset: 0, .. })
        ));
    }

    #[test]
    fn the_format_is_sniffed_from_the_stream() {
        let f = pcap_le(&[(b"abc", 1, 0)], true);
        assert_eq!(
            PacketReader::new(trickle(&f, 1)).unwrap().format(),
            CaptureFormat::Pcap
        );
        assert_eq!(
            PacketReader::new(trickle(&shb(), 1)).unwrap().format(),
            CaptureFormat::PcapNg
        );
        assert!(matches!(
            PacketReader::new(trickle(b"hello world", 2)),
            Err(ReadError::Capture(CaptureError::NotACapture(b))) if b == b"hell"
        ));
    }
}
