//! UDP payloads out of a classic libpcap file: just enough (Ethernet with VLAN tags, Linux
//! cooked, raw IP; IPv4 and IPv6; UDP) to replay and decode ASTERIX captures.
//!
//! To be merged into `picket-pcap` once that crate grows a UDP layer; until then it lives here
//! so the ASTERIX input does not wait on it. pcapng is not read here.

use picket_core::Timestamp;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A capture that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// The file does not start with a classic pcap magic number.
    #[error("not a classic pcap file (magic {magic:08x}); pcapng is not supported here")]
    NotPcap {
        /// The first four bytes, little-endian.
        magic: u32,
    },
    /// The file ends inside its 24-byte global header.
    #[error("pcap global header truncated: {available} of 24 bytes")]
    TruncatedHeader {
        /// Bytes present.
        available: usize,
    },
    /// A packet record runs past the end of the file.
    #[error(
        "pcap record {index} at byte {offset} truncated: needs {needed} bytes, {available} left"
    )]
    TruncatedRecord {
        /// Packet index (0-based).
        index: usize,
        /// Offset of the record header.
        offset: usize,
        /// Bytes the record needs.
        needed: usize,
        /// Bytes left in the file.
        available: usize,
    },
}

/// One UDP datagram from a capture.
#[derive(Clone, Debug, PartialEq)]
pub struct UdpDatagram<'a> {
    /// Index of the packet in the capture (0-based, counting every packet).
    pub index: usize,
    /// Capture time.
    pub time: Timestamp,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// The UDP payload, trimmed to the UDP length (link-layer padding removed).
    pub payload: &'a [u8],
}

/// The UDP datagrams of a capture; other packets are passed over.
pub struct UdpDatagrams<'a> {
    file: &'a [u8],
    pos: usize,
    index: usize,
    big_endian: bool,
    nanos: bool,
    link_type: u32,
    done: bool,
}

/// Opens a classic pcap file held in memory.
pub fn udp_datagrams(file: &[u8]) -> Result<UdpDatagrams<'_>, CaptureError> {
    if file.len() < 24 {
        if file.len() >= 4 {
            check_magic(file)?;
        }
        return Err(CaptureError::TruncatedHeader {
            available: file.len(),
        });
    }
    let (big_endian, nanos) = check_magic(file)?;
    let link_type = read_u32(&file[20..24], big_endian);
    Ok(UdpDatagrams {
        file,
        pos: 24,
        index: 0,
        big_endian,
        nanos,
        link_type,
        done: false,
    })
}

fn check_magic(file: &[u8]) -> Result<(bool, bool), CaptureError> {
    let magic = u32::from_le_bytes([file[0], file[1], file[2], file[3]]);
    match magic {
        0xa1b2_c3d4 => Ok((false, false)),
        0xa1b2_3c4d => Ok((false, true)),
        0xd4c3_b2a1 => Ok((true, false)),
        0x4d3c_b2a1 => Ok((true, true)),
        _ => Err(CaptureError::NotPcap { magic }),
    }
}

fn read_u32(b: &[u8], big_endian: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

impl<'a> Iterator for UdpDatagrams<'a> {
    type Item = Result<UdpDatagram<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done && self.pos < self.file.len() {
            let rest = &self.file[self.pos..];
            let index = self.index;
            if rest.len() < 16 {
                self.done = true;
                return Some(Err(CaptureError::TruncatedRecord {
                    index,
                    offset: self.pos,
                    needed: 16,
                    available: rest.len(),
                }));
            }
            let secs = read_u32(&rest[0..4], self.big_endian);
            let frac = read_u32(&rest[4..8], self.big_endian);
            let incl = read_u32(&rest[8..12], self.big_endian) as usize;
            let Some(data) = rest.get(16..16usize.saturating_add(incl)) else {
                self.done = true;
                return Some(Err(CaptureError::TruncatedRecord {
                    index,
                    offset: self.pos,
                    needed: 16usize.saturating_add(incl),
                    available: rest.len(),
                }));
            };
            self.pos += 16 + incl;
            self.index += 1;
            let micros = if self.nanos {
                i64::from(frac) / 1000
            } else {
                i64::from(frac)
            };
            let time = Timestamp::from_micros(i64::from(secs) * 1_000_000 + micros);
            if let Some((src, dst, payload)) = udp_of_frame(self.link_type, data) {
                return Some(Ok(UdpDatagram {
                    index,
                    time,
                    src,
                    dst,
                    payload,
                }));
            }
        }
        None
    }
}

/// The UDP endpoints and payload of one link-layer frame, when it is an unfragmented UDP packet.
pub fn udp_of_frame(link_type: u32, frame: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
    let (ethertype, ip) = match link_type {
        // Ethernet, with up to two 802.1Q / 802.1ad tags.
        1 => {
            let mut ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
            let mut at = 14;
            for _ in 0..2 {
                if ethertype == 0x8100 || ethertype == 0x88a8 {
                    ethertype = u16::from_be_bytes([*frame.get(at + 2)?, *frame.get(at + 3)?]);
                    at += 4;
                }
            }
            (ethertype, frame.get(at..)?)
        }
        // Linux cooked capture (SLL).
        113 => (
            u16::from_be_bytes([*frame.get(14)?, *frame.get(15)?]),
            frame.get(16..)?,
        ),
        // Raw IP.
        101 | 228 | 229 => match frame.first()? >> 4 {
            4 => (0x0800, frame),
            6 => (0x86dd, frame),
            _ => return None,
        },
        _ => return None,
    };
    let (src_ip, dst_ip, udp) = match ethertype {
        0x0800 => {
            let h = ip.get(..20)?;
            let ihl = usize::from(h[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
            let frag = u16::from_be_bytes([h[6], h[7]]);
            // Fragments (more-fragments flag or an offset) cannot be decoded on their own.
            if h[0] >> 4 != 4 || ihl < 20 || h[9] != 17 || frag & 0x3fff != 0 {
                return None;
            }
            let src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
            let dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
            let body = ip.get(ihl..total.min(ip.len()))?;
            (IpAddr::V4(src), IpAddr::V4(dst), body)
        }
        0x86dd => {
            // No extension headers: the next header must be UDP.
            if *ip.get(6)? != 17 {
                return None;
            }
            let payload_len = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            let mut s = [0u8; 16];
            s.copy_from_slice(ip.get(8..24)?);
            let mut d = [0u8; 16];
            d.copy_from_slice(ip.get(24..40)?);
            let body = ip.get(40..40 + payload_len.min(ip.len().saturating_sub(40)))?;
            (
                IpAddr::V6(Ipv6Addr::from(s)),
                IpAddr::V6(Ipv6Addr::from(d)),
                body,
            )
        }
        _ => return None,
    };
    let src_port = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dst_port = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    let udp_len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    if udp_len < 8 {
        return None;
    }
    let payload = udp.get(8..udp_len.min(udp.len()))?;
    Some((
        SocketAddr::new(src_ip, src_port),
        SocketAddr::new(dst_ip, dst_port),
        payload,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_header(link_type: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&link_type.to_le_bytes());
        h
    }

    fn record(h: &mut Vec<u8>, secs: u32, usecs: u32, frame: &[u8]) {
        h.extend_from_slice(&secs.to_le_bytes());
        h.extend_from_slice(&usecs.to_le_bytes());
        h.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        h.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        h.extend_from_slice(frame);
    }

    fn raw_ipv4_udp(payload: &[u8], padding: usize) -> Vec<u8> {
        let total = 20 + 8 + payload.len();
        let mut f = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
        ];
        f.extend_from_slice(&[10, 0, 0, 1, 239, 1, 2, 3]);
        let ulen = 8 + payload.len();
        f.extend_from_slice(&[0x13, 0x88, 0x1f, 0x90, (ulen >> 8) as u8, ulen as u8, 0, 0]);
        f.extend_from_slice(payload);
        f.extend(std::iter::repeat_n(0x88, padding));
        f
    }

    #[test]
    fn udp_payload_is_trimmed_to_the_udp_length() {
        let mut file = pcap_header(101);
        record(&mut file, 10, 250_000, &raw_ipv4_udp(b"abc", 7));
        let got: Vec<_> = udp_datagrams(&file).unwrap().collect();
        assert_eq!(got.len(), 1);
        let d = got[0].as_ref().unwrap();
        assert_eq!(d.payload, b"abc");
        assert_eq!(d.src, "10.0.0.1:5000".parse().unwrap());
        assert_eq!(d.dst, "239.1.2.3:8080".parse().unwrap());
        assert_eq!(d.time, Timestamp::from_micros(10_250_000));
    }

    #[test]
    fn a_record_running_past_the_file_is_an_error_not_a_panic() {
        let mut file = pcap_header(101);
        record(&mut file, 1, 0, &raw_ipv4_udp(b"abc", 0));
        file.truncate(file.len() - 2);
        let got: Vec<_> = udp_datagrams(&file).unwrap().collect();
        assert!(matches!(
            got[..],
            [Err(CaptureError::TruncatedRecord { .. })]
        ));
    }

    #[test]
    fn pcapng_is_refused_by_magic() {
        let file = [0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0];
        assert!(matches!(
            udp_datagrams(&file),
            Err(CaptureError::NotPcap { .. })
        ));
    }

    #[test]
    fn fragments_are_passed_over() {
        let mut frame = raw_ipv4_udp(b"abc", 0);
        frame[6] = 0x20; // more fragments
        let mut file = pcap_header(101);
        record(&mut file, 1, 0, &frame);
        assert_eq!(udp_datagrams(&file).unwrap().count(), 0);
    }
}
