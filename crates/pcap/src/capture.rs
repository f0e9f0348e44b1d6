//! pcap and pcapng files, read from a byte slice.
//!
//! [`packets`] sniffs the format and returns an iterator of [`Packet`]s that borrow the input.
//! Every length in the file is checked against what is left before it is used: a block or
//! record that claims more bytes than remain is a [`CaptureError`], and the iterator stops
//! there (it is fused).
//!
//! The record and block decoding ([`State`]) is shared with the incremental reader
//! ([`crate::stream`]), which holds one record at a time instead of the whole capture.

use crate::bytes::Endian;
use std::fmt;

/// A capture's link-layer header type (the `LINKTYPE_*` number of tcpdump.org).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// Raw IEEE 802.11 frames, no radio header.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// IEEE 802.11 with a radiotap header.
    pub const RADIOTAP: LinkType = LinkType(127);
    /// Bluetooth LE link layer, no pseudo-header.
    pub const BLUETOOTH_LE_LL: LinkType = LinkType(251);
    /// Bluetooth LE link layer with the 10-byte PHDR pseudo-header.
    pub const BLUETOOTH_LE_LL_WITH_PHDR: LinkType = LinkType(256);
    /// Nordic Semiconductor's nRF Sniffer for Bluetooth LE.
    pub const NORDIC_BLE: LinkType = LinkType(272);
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            LinkType::IEEE802_11 => "IEEE802_11",
            LinkType::RADIOTAP => "IEEE802_11_RADIOTAP",
            LinkType::BLUETOOTH_LE_LL => "BLUETOOTH_LE_LL",
            LinkType::BLUETOOTH_LE_LL_WITH_PHDR => "BLUETOOTH_LE_LL_WITH_PHDR",
            LinkType::NORDIC_BLE => "NORDIC_BLE",
            _ => return write!(f, "LINKTYPE {}", self.0),
        };
        f.write_str(name)
    }
}

/// Which container the bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap (microsecond or nanosecond variant, either byte order).
    Pcap,
    /// pcapng (any number of sections and interfaces).
    PcapNg,
}

/// One captured packet, borrowing the capture's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// 1-based frame number, counting packets only (as Wireshark numbers them).
    pub number: u64,
    /// Capture time, nanoseconds since the Unix epoch; `None` when the block has none (pcapng
    /// simple packet block).
    pub timestamp_ns: Option<i64>,
    /// Link-layer header type of the interface it was captured on.
    pub link_type: LinkType,
    /// pcapng interface id (0 for pcap).
    pub interface_id: u32,
    /// The captured bytes (possibly shorter than `original_len`).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub original_len: u32,
}

/// Why a capture could not be read (further).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// The first bytes are neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng capture (starts with {0:02x?})")]
    NotACapture(Vec<u8>),
    /// A header, record or block claims more bytes than the input has left.
    #[error("capture ends inside the {what} at byte {offset}: it needs {needed} bytes, {available} are left")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Byte offset of its start.
        offset: usize,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left in the input from `offset`.
        available: usize,
    },
    /// A pcapng block whose total length is impossible (under 12, not a multiple of 4, or
    /// not repeated at its end).
    #[error("pcapng block at byte {offset} has an invalid length ({length})")]
    BadBlockLength {
        /// Byte offset of the block.
        offset: usize,
        /// The length it claims.
        length: u32,
    },
    /// A pcapng section header whose byte-order magic is not 0x1A2B3C4D in either order.
    #[error("pcapng section header at byte {offset} has no valid byte-order magic")]
    BadByteOrder {
        /// Byte offset of the section header.
        offset: usize,
    },
    /// A pcapng packet block naming an interface that no description block introduced.
    #[error("pcapng packet block at byte {offset} names interface {interface}, but only {known} are described")]
    UnknownInterface {
        /// Byte offset of the block.
        offset: usize,
        /// Interface id in the block.
        interface: u32,
        /// Number of interfaces described so far in the section.
        known: usize,
    },
    /// A pcapng section describing more interfaces than [`MAX_INTERFACES`]: refused so that a
    /// stream of tiny description blocks cannot grow the reader's memory without end.
    #[error("pcapng interface description at byte {offset} is one more than the {max} interfaces a section may have here")]
    TooManyInterfaces {
        /// Byte offset of the refused interface description block.
        offset: usize,
        /// The limit ([`MAX_INTERFACES`]).
        max: usize,
    },
}

/// Most interfaces one pcapng section may describe. Real captures have one per capture device
/// (a handful even when merged); an enhanced packet block could name 2^32, but holding that
/// many would break the stream reader's constant-memory promise. 65,536 (every id the packet
/// block's 16-bit field can name) costs at most about 1 MiB.
pub const MAX_INTERFACES: usize = 1 << 16;

/// The packets of a capture, in file order. Fused: after an error it yields nothing more.
#[derive(Clone, Debug)]
pub struct Packets<'a> {
    bytes: &'a [u8],
    offset: usize,
    done: bool,
    kind: Kind,
    state: State,
}

/// The container and what its header fixes for every record.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Pcap {
        endian: Endian,
        link_type: LinkType,
        nanos: bool,
    },
    PcapNg {
        endian: Endian,
    },
}

/// What reading a capture carries from one record or block to the next: packet numbering and
/// the current pcapng section's interfaces. Shared by the slice and the stream readers.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    number: u64,
    /// pcapng interfaces of the current section (empty for pcap).
    interfaces: Vec<Interface>,
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: LinkType,
    /// if_tsresol as given: decimal (10^-n) or binary (2^-n) fractions of a second.
    resolution: Resolution,
    /// if_tsoffset, seconds.
    offset_s: i64,
}

#[derive(Clone, Copy, Debug)]
enum Resolution {
    Decimal(u8),
    Binary(u8),
}

impl Resolution {
    fn to_ns(self, ticks: u64) -> i128 {
        let t = ticks as i128;
        match self {
            Resolution::Decimal(p) if p <= 9 => t * 10i128.pow(9 - p as u32),
            // Finer than a nanosecond: 10^-38 is the smallest pcapng can state in a byte.
            Resolution::Decimal(p) => t / 10i128.pow((p as u32 - 9).min(38)),
            Resolution::Binary(p) => {
                let p = p.min(127) as u32;
                if p >= 64 {
                    (t * 1_000_000_000) >> p.min(126)
                } else {
                    (t * 1_000_000_000) / (1i128 << p)
                }
            }
        }
    }
}

fn clamp_ns(ns: i128) -> i64 {
    ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

const PCAP_MAGIC_US: u32 = 0xA1B2_C3D4;
const PCAP_MAGIC_NS: u32 = 0xA1B2_3C4D;
pub(crate) const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_BYTE_ORDER: u32 = 0x1A2B_3C4D;
/// Bytes of a pcap file header and of a pcap record header.
pub(crate) const PCAP_FILE_HEADER_BYTES: usize = 24;
pub(crate) const PCAP_RECORD_HEADER_BYTES: usize = 16;

/// What a capture's first four bytes say it is.
pub(crate) enum Magic {
    Pcap { endian: Endian, nanos: bool },
    PcapNg,
}

pub(crate) fn magic(head: [u8; 4]) -> Option<Magic> {
    match (u32::from_le_bytes(head), u32::from_be_bytes(head)) {
        (PCAP_MAGIC_US, _) => Some(Magic::Pcap {
            endian: Endian::Little,
            nanos: false,
        }),
        (PCAP_MAGIC_NS, _) => Some(Magic::Pcap {
            endian: Endian::Little,
            nanos: true,
        }),
        (_, PCAP_MAGIC_US) => Some(Magic::Pcap {
            endian: Endian::Big,
            nanos: false,
        }),
        (_, PCAP_MAGIC_NS) => Some(Magic::Pcap {
            endian: Endian::Big,
            nanos: true,
        }),
        (PCAPNG_SHB, _) => Some(Magic::PcapNg),
        _ => None,
    }
}

/// The record layout a pcap file header (at least [`PCAP_FILE_HEADER_BYTES`]) sets.
pub(crate) fn pcap_kind(header: &[u8], endian: Endian, nanos: bool) -> Kind {
    let network = endian.u32(header, 20).unwrap_or(0);
    // The top bits of the link-type word may carry FCS information; the type is 16 bits.
    Kind::Pcap {
        endian,
        link_type: LinkType(network & 0xFFFF),
        nanos,
    }
}

/// A pcap record header's seconds, fraction, captured length and original length.
pub(crate) fn pcap_record_header(endian: Endian, b: &[u8], at: usize) -> Option<[u32; 4]> {
    Some([
        endian.u32(b, at)?,
        endian.u32(b, at + 4)?,
        endian.u32(b, at + 8)?,
        endian.u32(b, at + 12)?,
    ])
}

/// The byte order a pcapng section header's magic word (read little-endian) gives.
pub(crate) fn section_byte_order(word_le: u32) -> Option<Endian> {
    match word_le {
        PCAPNG_BYTE_ORDER => Some(Endian::Little),
        x if x.swap_bytes() == PCAPNG_BYTE_ORDER => Some(Endian::Big),
        _ => None,
    }
}

/// Whether a pcapng block length can be one: at least type, length and trailing length, and
/// a multiple of 4.
pub(crate) fn block_length_valid(len: u32) -> bool {
    len >= 12 && len.is_multiple_of(4)
}

pub(crate) fn truncated(
    what: &'static str,
    offset: usize,
    needed: u64,
    available: usize,
) -> CaptureError {
    CaptureError::Truncated {
        what,
        offset,
        needed,
        available,
    }
}

/// Read a capture from memory: sniff the format and return its packets.
///
/// Errors only when the bytes are not a capture at all (or the pcap file header is cut
/// short); problems further in come out of the iterator.
pub fn packets(bytes: &[u8]) -> Result<Packets<'_>, CaptureError> {
    let head = crate::bytes::array_at::<4>(bytes, 0).ok_or_else(|| not_a_capture(bytes))?;
    let (offset, kind) = match magic(head).ok_or_else(|| not_a_capture(bytes))? {
        Magic::Pcap { endian, nanos } => {
            if bytes.len() < PCAP_FILE_HEADER_BYTES {
                return Err(truncated(
                    "pcap file header",
                    0,
                    PCAP_FILE_HEADER_BYTES as u64,
                    bytes.len(),
                ));
            }
            (PCAP_FILE_HEADER_BYTES, pcap_kind(bytes, endian, nanos))
        }
        Magic::PcapNg => (
            0,
            Kind::PcapNg {
                endian: Endian::Little,
            },
        ),
    };
    Ok(Packets {
        bytes,
        offset,
        done: false,
        kind,
        state: State::default(),
    })
}

pub(crate) fn not_a_capture(bytes: &[u8]) -> CaptureError {
    CaptureError::NotACapture(bytes.iter().take(4).copied().collect())
}

impl<'a> Packets<'a> {
    /// Which container this is.
    pub fn format(&self) -> CaptureFormat {
        self.kind.format()
    }

    fn truncated(&self, what: &'static str, offset: usize, needed: u64) -> CaptureError {
        truncated(what, offset, needed, self.left(offset))
    }

    /// Bytes of the input from `offset` on.
    fn left(&self, offset: usize) -> usize {
        self.bytes.len().saturating_sub(offset)
    }

    fn next_pcap(
        &mut self,
        endian: Endian,
        link_type: LinkType,
        nanos: bool,
    ) -> Option<Result<Packet<'a>, CaptureError>> {
        let at = self.offset;
        if at >= self.bytes.len() {
            return None;
        }
        let b = self.bytes;
        let Some([sec, frac, incl, orig]) = pcap_record_header(endian, b, at) else {
            return Some(Err(self.truncated(
                "pcap record header",
                at,
                PCAP_RECORD_HEADER_BYTES as u64,
            )));
        };
        let start = at + PCAP_RECORD_HEADER_BYTES;
        let end = start as u64 + incl as u64;
        if end > b.len() as u64 {
            return Some(Err(self.truncated(
                "pcap record",
                at,
                PCAP_RECORD_HEADER_BYTES as u64 + incl as u64,
            )));
        }
        let end = end as usize;
        self.offset = end;
        Some(Ok(self.state.pcap_packet(
            link_type,
            nanos,
            sec,
            frac,
            orig,
            &b[start..end],
        )))
    }

    fn next_pcapng(&mut self) -> Option<Result<Packet<'a>, CaptureError>> {
        loop {
            let at = self.offset;
            let b = self.bytes;
            if at >= b.len() {
                return None;
            }
            let Some(block_type_le) = crate::bytes::u32_le(b, at) else {
                return Some(Err(self.truncated("pcapng block header", at, 12)));
            };
            // A section header fixes the byte order of everything up to the next one.
            if block_type_le == PCAPNG_SHB {
                let endian = match crate::bytes::u32_le(b, at + 8) {
                    Some(word) => match section_byte_order(word) {
                        Some(e) => e,
                        None => return Some(Err(CaptureError::BadByteOrder { offset: at })),
                    },
                    None => return Some(Err(self.truncated("pcapng section header", at, 28))),
                };
                self.kind = Kind::PcapNg { endian };
                self.state.section();
            }
            let Kind::PcapNg { endian, .. } = &self.kind else {
                return None;
            };
            let endian = *endian;
            let (Some(block_type), Some(len)) = (endian.u32(b, at), endian.u32(b, at + 4)) else {
                return Some(Err(self.truncated("pcapng block header", at, 12)));
            };
            if !block_length_valid(len) {
                return Some(Err(CaptureError::BadBlockLength {
                    offset: at,
                    length: len,
                }));
            }
            let end = at as u64 + len as u64;
            if end > b.len() as u64 {
                return Some(Err(self.truncated("pcapng block", at, len as u64)));
            }
            let end = end as usize;
            if endian.u32(b, end - 4) != Some(len) {
                return Some(Err(CaptureError::BadBlockLength {
                    offset: at,
                    length: len,
                }));
            }
            // The block body, without type, length and trailing length.
            let body = &b[at + 8..end - 4];
            self.offset = end;
            let available = self.left(at);
            match block_type {
                1 => {
                    if let Err(e) = self
                        .state
                        .interface_description(endian, body, at, available)
                    {
                        return Some(Err(e));
                    }
                }
                2 | 3 | 6 => {
                    return Some(
                        self.state
                            .packet_block(endian, block_type, body, at, available),
                    )
                }
                // Section headers, name resolution, statistics, custom and unknown blocks
                // carry no packets.
                _ => {}
            }
        }
    }
}

impl Kind {
    pub(crate) fn format(&self) -> CaptureFormat {
        match self {
            Kind::Pcap { .. } => CaptureFormat::Pcap,
            Kind::PcapNg { .. } => CaptureFormat::PcapNg,
        }
    }
}

impl State {
    /// A pcap record's packet: `data` its captured bytes.
    pub(crate) fn pcap_packet<'b>(
        &mut self,
        link_type: LinkType,
        nanos: bool,
        sec: u32,
        frac: u32,
        orig: u32,
        data: &'b [u8],
    ) -> Packet<'b> {
        self.number += 1;
        let frac_ns = if nanos {
            frac as i64
        } else {
            frac as i64 * 1000
        };
        Packet {
            number: self.number,
            timestamp_ns: Some(clamp_ns(sec as i128 * 1_000_000_000 + frac_ns as i128)),
            link_type,
            interface_id: 0,
            data,
            original_len: orig,
        }
    }

    /// A new pcapng section: its interfaces are described afresh.
    pub(crate) fn section(&mut self) {
        self.interfaces.clear();
    }

    /// A pcapng interface description block's body (the block at `at`; `available`: bytes of
    /// the input from `at`, for errors).
    pub(crate) fn interface_description(
        &mut self,
        endian: Endian,
        body: &[u8],
        at: usize,
        available: usize,
    ) -> Result<(), CaptureError> {
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(CaptureError::TooManyInterfaces {
                offset: at,
                max: MAX_INTERFACES,
            });
        }
        let link = endian
            .u16(body, 0)
            .ok_or_else(|| truncated("pcapng interface description", at, 20, available))?;
        let mut iface = Interface {
            link_type: LinkType(link as u32),
            resolution: Resolution::Decimal(6),
            offset_s: 0,
        };
        let mut opt = 8usize;
        while let (Some(code), Some(olen)) = (endian.u16(body, opt), endian.u16(body, opt + 2)) {
            let start = opt + 4;
            let Some(value) = body.get(start..start + olen as usize) else {
                break;
            };
            match (code, value) {
                (0, _) => break,
                (9, [r]) => {
                    iface.resolution = if r & 0x80 == 0 {
                        Resolution::Decimal(*r)
                    } else {
                        Resolution::Binary(r & 0x7F)
                    }
                }
                (14, v) if v.len() == 8 => {
                    iface.offset_s = endian.u64(v, 0).unwrap_or(0) as i64;
                }
                _ => {}
            }
            opt = start + (olen as usize).div_ceil(4) * 4;
        }
        self.interfaces.push(iface);
        Ok(())
    }

    fn interface(&self, id: u32, at: usize) -> Result<Interface, CaptureError> {
        self.interfaces
            .get(id as usize)
            .copied()
            .ok_or(CaptureError::UnknownInterface {
                offset: at,
                interface: id,
                known: self.interfaces.len(),
            })
    }

    /// The packet of a pcapng packet (2), simple packet (3) or enhanced packet (6) block's
    /// body (the block at `at`; `available`: bytes of the input from `at`, for errors).
    pub(crate) fn packet_block<'b>(
        &mut self,
        endian: Endian,
        block_type: u32,
        body: &'b [u8],
        at: usize,
        available: usize,
    ) -> Result<Packet<'b>, CaptureError> {
        if block_type == 3 {
            return self.simple_packet_block(endian, body, at, available);
        }
        let what = if block_type == 6 {
            "pcapng enhanced packet block"
        } else {
            "pcapng packet block"
        };
        let fixed = (
            if block_type == 6 {
                endian.u32(body, 0)
            } else {
                endian.u16(body, 0).map(u32::from)
            },
            endian.u32(body, 4),
            endian.u32(body, 8),
            endian.u32(body, 12),
            endian.u32(body, 16),
        );
        let (Some(iface_id), Some(ts_hi), Some(ts_lo), Some(cap), Some(orig)) = fixed else {
            return Err(truncated(what, at, 32, available));
        };
        let Some(data) = body.get(20..).and_then(|d| d.get(..cap as usize)) else {
            return Err(truncated(what, at, 32 + cap as u64, available));
        };
        let iface = self.interface(iface_id, at)?;
        let ticks = ((ts_hi as u64) << 32) | ts_lo as u64;
        let ns = iface.resolution.to_ns(ticks) + iface.offset_s as i128 * 1_000_000_000;
        self.number += 1;
        Ok(Packet {
            number: self.number,
            timestamp_ns: Some(clamp_ns(ns)),
            link_type: iface.link_type,
            interface_id: iface_id,
            data,
            original_len: orig,
        })
    }

    fn simple_packet_block<'b>(
        &mut self,
        endian: Endian,
        body: &'b [u8],
        at: usize,
        available: usize,
    ) -> Result<Packet<'b>, CaptureError> {
        let orig = endian
            .u32(body, 0)
            .ok_or_else(|| truncated("pcapng simple packet block", at, 16, available))?;
        let rest = body.get(4..).unwrap_or(&[]);
        // The captured part is whatever the block holds, at most the original length.
        let data = &rest[..rest.len().min(orig as usize)];
        let iface = self.interface(0, at)?;
        self.number += 1;
        Ok(Packet {
            number: self.number,
            timestamp_ns: None,
            link_type: iface.link_type,
            interface_id: 0,
            data,
            original_len: orig,
        })
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<Packet<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match &self.kind {
            Kind::Pcap {
                endian,
                link_type,
                nanos,
            } => {
                let (e, l, n) = (*endian, *link_type, *nanos);
                self.next_pcap(e, l, n)
            }
            Kind::PcapNg { .. } => self.next_pcapng(),
        };
        match &item {
            None | Some(Err(_)) => self.done = true,
            Some(Ok(_)) => {}
        }
        item
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn pcap_le(records: &[(&[u8], u32, u32)], nanos: bool) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(if nanos { PCAP_MAGIC_NS } else { PCAP_MAGIC_US }).to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&127u32.to_le_bytes());
        for (data, s, f) in records {
            v.extend_from_slice(&s.to_le_bytes());
            v.extend_from_slice(&f.to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(data);
        }
        v
    }

    #[test]
    fn pcap_records_come_out_numbered_with_their_time() {
        let f = pcap_le(&[(b"abc", 10, 500_000), (b"de", 11, 1)], false);
        let p: Vec<_> = packets(&f).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].number, 1);
        assert_eq!(p[0].data, b"abc");
        assert_eq!(p[0].timestamp_ns, Some(10_500_000_000));
        assert_eq!(p[1].timestamp_ns, Some(11_000_001_000));
        assert_eq!(p[1].link_type, LinkType::RADIOTAP);
    }

    #[test]
    fn nanosecond_pcap_keeps_nanoseconds() {
        let f = pcap_le(&[(b"x", 1, 7)], true);
        let p = packets(&f).unwrap().next().unwrap().unwrap();
        assert_eq!(p.timestamp_ns, Some(1_000_000_007));
    }

    #[test]
    fn record_longer_than_the_file_is_an_error_not_an_allocation() {
        let mut f = pcap_le(&[(b"abc", 1, 0)], false);
        // Claim 4 GB of captured bytes.
        f[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut it = packets(&f).unwrap();
        assert!(matches!(
            it.next(),
            Some(Err(CaptureError::Truncated { needed, .. })) if needed == 16 + u32::MAX as u64
        ));
        assert!(it.next().is_none(), "fused after an error");
    }

    #[test]
    fn garbage_is_not_a_capture() {
        assert!(matches!(
            packets(b"hello world"),
            Err(CaptureError::NotACapture(_))
        ));
        assert!(matches!(packets(b""), Err(CaptureError::NotACapture(_))));
    }

    pub(crate) fn block(t: u32, body: &[u8]) -> Vec<u8> {
        let len = 12 + body.len().div_ceil(4) * 4;
        let mut v = Vec::new();
        v.extend_from_slice(&t.to_le_bytes());
        v.extend_from_slice(&(len as u32).to_le_bytes());
        v.extend_from_slice(body);
        v.resize(len - 4, 0);
        v.extend_from_slice(&(len as u32).to_le_bytes());
        v
    }

    pub(crate) fn shb() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&PCAPNG_BYTE_ORDER.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        block(PCAPNG_SHB, &body)
    }

    pub(crate) fn idb(link: u16, tsresol: Option<u8>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&link.to_le_bytes());
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&65535u32.to_le_bytes());
        if let Some(r) = tsresol {
            body.extend_from_slice(&9u16.to_le_bytes());
            body.extend_from_slice(&1u16.to_le_bytes());
            body.extend_from_slice(&[r, 0, 0, 0]);
            body.extend_from_slice(&[0, 0, 0, 0]);
        }
        block(1, &body)
    }

    pub(crate) fn epb(iface: u32, ticks: u64, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ticks as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        block(6, &body)
    }

    #[test]
    fn pcapng_interfaces_set_link_type_and_time_resolution() {
        let mut f = shb();
        f.extend(idb(127, None));
        f.extend(idb(272, Some(9)));
        f.extend(block(5, &[0; 8])); // statistics: skipped
        f.extend(epb(0, 1_500_000, b"wifi"));
        f.extend(epb(1, 2_000_000_123, b"ble!!"));
        let p: Vec<_> = packets(&f).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].link_type, LinkType::RADIOTAP);
        assert_eq!(p[0].timestamp_ns, Some(1_500_000_000));
        assert_eq!(p[1].link_type, LinkType::NORDIC_BLE);
        assert_eq!(p[1].timestamp_ns, Some(2_000_000_123));
        assert_eq!(p[1].data, b"ble!!");
        assert_eq!(p[1].number, 2);
    }

    #[test]
    fn pcapng_packet_on_an_undescribed_interface_is_an_error() {
        let mut f = shb();
        f.extend(epb(3, 0, b"x"));
        assert!(matches!(
            packets(&f).unwrap().next(),
            Some(Err(CaptureError::UnknownInterface { interface: 3, .. }))
        ));
    }

    #[test]
    fn pcapng_block_length_past_the_end_is_an_error() {
        let mut f = shb();
        let mut b = idb(127, None);
        b[4..8].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
        f.extend(b);
        assert!(matches!(
            packets(&f).unwrap().next(),
            Some(Err(CaptureError::Truncated { .. }))
        ));
    }

    #[test]
    fn pcapng_trailing_length_must_match() {
        let mut f = shb();
        let mut b = idb(127, None);
        let n = b.len();
        b[n - 4..].copy_from_slice(&8u32.to_le_bytes());
        f.extend(b);
        assert!(matches!(
            packets(&f).unwrap().next(),
            Some(Err(CaptureError::BadBlockLength { .. }))
        ));
    }

    /// A section of `n` minimal (20-byte) interface descriptions, then a packet on the last.
    pub(crate) fn many_interfaces(n: usize) -> Vec<u8> {
        let mut f = shb();
        let one = idb(127, None);
        assert_eq!(one.len(), 20);
        for _ in 0..n {
            f.extend_from_slice(&one);
        }
        f.extend(epb(n as u32 - 1, 1, b"last"));
        f
    }

    #[test]
    fn a_section_may_describe_max_interfaces_and_no_more() {
        let at_limit = many_interfaces(MAX_INTERFACES);
        let p: Vec<_> = packets(&at_limit)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].interface_id, MAX_INTERFACES as u32 - 1);
        assert_eq!(p[0].data, b"last");

        let over = many_interfaces(MAX_INTERFACES + 1);
        let refused_at = shb().len() + 20 * MAX_INTERFACES;
        let mut it = packets(&over).unwrap();
        assert_eq!(
            it.next(),
            Some(Err(CaptureError::TooManyInterfaces {
                offset: refused_at,
                max: MAX_INTERFACES,
            }))
        );
        assert!(it.next().is_none(), "fused after an error");
    }

    #[test]
    fn a_new_section_starts_the_interface_count_afresh() {
        let mut f = many_interfaces(MAX_INTERFACES);
        f.extend(shb());
        f.extend(idb(272, None));
        f.extend(epb(0, 2, b"next"));
        let p: Vec<_> = packets(&f).unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].link_type, LinkType::NORDIC_BLE);
    }

    #[test]
    fn binary_time_resolution_is_converted() {
        assert_eq!(Resolution::Binary(10).to_ns(1024), 1_000_000_000);
        assert_eq!(Resolution::Decimal(3).to_ns(5), 5_000_000);
        assert_eq!(Resolution::Decimal(12).to_ns(5_000), 5);
    }
}
