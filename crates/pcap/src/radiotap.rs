//! The radiotap header (link type 127) in front of captured 802.11 frames.
//!
//! Only the fields a Remote ID receiver needs are kept: TSF timer, flags (FCS present, bad
//! FCS), rate, channel, antenna signal and noise, RX flags (bad PLCP CRC). Fields are aligned
//! to their natural size relative to the start of the header; parsing stops at the first field
//! past the ones kept, so vendor namespaces and newer fields never get in the way.

use crate::bytes::{u16_le, u32_le, u64_le, u8_at};

/// The radiotap fields Picket uses. Absent fields are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Radiotap {
    /// TSF timer of the first bit of the frame, microseconds.
    pub tsft_us: Option<u64>,
    /// The flags byte.
    pub flags: Option<u8>,
    /// Data rate in units of 500 kb/s.
    pub rate_500kbps: Option<u8>,
    /// Channel centre frequency, MHz.
    pub channel_freq_mhz: Option<u16>,
    /// Channel flags (band, modulation).
    pub channel_flags: Option<u16>,
    /// Antenna signal, dBm.
    pub antenna_signal_dbm: Option<i8>,
    /// Antenna noise, dBm.
    pub antenna_noise_dbm: Option<i8>,
    /// Antenna index.
    pub antenna: Option<u8>,
    /// RX flags.
    pub rx_flags: Option<u16>,
}

/// Flags bit: the frame ends with its 4-byte FCS.
pub const FLAG_FCS_PRESENT: u8 = 0x10;
/// Flags bit: the frame failed its FCS check.
pub const FLAG_BAD_FCS: u8 = 0x40;
/// RX flags bit: the PLCP CRC check failed.
pub const RX_FLAG_BAD_PLCP: u16 = 0x0002;

impl Radiotap {
    /// True when the 802.11 frame carries its FCS at the end.
    pub fn fcs_present(&self) -> bool {
        self.flags.is_some_and(|f| f & FLAG_FCS_PRESENT != 0)
    }
    /// True when the receiver says the FCS check failed.
    pub fn bad_fcs(&self) -> bool {
        self.flags.is_some_and(|f| f & FLAG_BAD_FCS != 0)
    }
    /// True when the receiver says the PLCP header CRC failed.
    pub fn bad_plcp(&self) -> bool {
        self.rx_flags.is_some_and(|f| f & RX_FLAG_BAD_PLCP != 0)
    }
}

/// Why a radiotap header could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RadiotapError {
    /// Shorter than the 8-byte fixed header, or than the length it claims.
    #[error("radiotap header claims {claimed} bytes but the packet has {available}")]
    Truncated {
        /// Bytes the header claims (or 8 for the fixed part).
        claimed: usize,
        /// Bytes in the packet.
        available: usize,
    },
    /// Version other than 0.
    #[error("radiotap version {0} is not supported (only 0 exists)")]
    Version(u8),
    /// A field runs past the header's end.
    #[error("radiotap field {bit} runs past the header's {len} bytes")]
    FieldOverrun {
        /// Presence bit of the field.
        bit: u32,
        /// Header length.
        len: usize,
    },
}

/// (alignment, size) of radiotap fields 0..=14, the ones up to the RX flags.
const FIELDS: [(usize, usize); 15] = [
    (8, 8), // 0 TSFT
    (1, 1), // 1 flags
    (1, 1), // 2 rate
    (2, 4), // 3 channel
    (1, 2), // 4 FHSS
    (1, 1), // 5 antenna signal dBm
    (1, 1), // 6 antenna noise dBm
    (2, 2), // 7 lock quality
    (2, 2), // 8 TX attenuation
    (2, 2), // 9 dB TX attenuation
    (1, 1), // 10 dBm TX power
    (1, 1), // 11 antenna
    (1, 1), // 12 dB antenna signal
    (1, 1), // 13 dB antenna noise
    (2, 2), // 14 RX flags
];

/// Parse the radiotap header of `packet`; returns it and the 802.11 frame after it, with the
/// FCS cut off when the flags say it is present.
pub fn parse(packet: &[u8]) -> Result<(Radiotap, &[u8]), RadiotapError> {
    let truncated = |claimed| RadiotapError::Truncated {
        claimed,
        available: packet.len(),
    };
    let version = u8_at(packet, 0).ok_or(truncated(8))?;
    if version != 0 {
        return Err(RadiotapError::Version(version));
    }
    let len = u16_le(packet, 2).ok_or(truncated(8))? as usize;
    if len < 8 || len > packet.len() {
        return Err(truncated(len.max(8)));
    }
    let header = &packet[..len];
    let present = u32_le(header, 4).ok_or(truncated(8))?;
    // Skip the extended presence words: their fields come after word 0's.
    let mut off = 8usize;
    let mut word = present;
    while word & 0x8000_0000 != 0 {
        word = u32_le(header, off).ok_or(RadiotapError::FieldOverrun { bit: 31, len })?;
        off += 4;
    }
    let mut rt = Radiotap::default();
    for (bit, &(align, size)) in FIELDS.iter().enumerate() {
        if present & (1 << bit) == 0 {
            continue;
        }
        off = off.div_ceil(align) * align;
        let field = header
            .get(off..off + size)
            .ok_or(RadiotapError::FieldOverrun {
                bit: bit as u32,
                len,
            })?;
        match bit {
            0 => rt.tsft_us = u64_le(field, 0),
            1 => rt.flags = Some(field[0]),
            2 => rt.rate_500kbps = Some(field[0]),
            3 => {
                rt.channel_freq_mhz = u16_le(field, 0);
                rt.channel_flags = u16_le(field, 2);
            }
            5 => rt.antenna_signal_dbm = Some(field[0] as i8),
            6 => rt.antenna_noise_dbm = Some(field[0] as i8),
            11 => rt.antenna = Some(field[0]),
            14 => rt.rx_flags = u16_le(field, 0),
            _ => {}
        }
        off += size;
    }
    let mut frame = &packet[len..];
    if rt.fcs_present() {
        frame = &frame[..frame.len().saturating_sub(4)];
    }
    Ok((rt, frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_aligned_relative_to_the_header() {
        // present: flags, rate, channel, antenna signal; channel needs 2-byte alignment.
        let mut p = vec![0, 0, 0, 0];
        p.extend_from_slice(&0b10_1110u32.to_le_bytes());
        p.extend_from_slice(&[0x10, 0x02]); // flags (FCS present), rate 1 Mb/s
        p.extend_from_slice(&2437u16.to_le_bytes());
        p.extend_from_slice(&0x00a0u16.to_le_bytes());
        p.push(0xdf_u8); // -33 dBm
        let n = p.len() as u16;
        p[2..4].copy_from_slice(&n.to_le_bytes());
        p.extend_from_slice(b"frame-body");
        p.extend_from_slice(&[1, 2, 3, 4]); // FCS
        let (rt, frame) = parse(&p).unwrap();
        assert_eq!(rt.channel_freq_mhz, Some(2437));
        assert_eq!(rt.antenna_signal_dbm, Some(-33));
        assert_eq!(rt.rate_500kbps, Some(2));
        assert!(rt.fcs_present() && !rt.bad_fcs());
        assert_eq!(frame, b"frame-body");
    }

    #[test]
    fn a_length_past_the_packet_is_an_error() {
        let p = [0u8, 0, 0xff, 0xff, 0, 0, 0, 0];
        assert!(matches!(parse(&p), Err(RadiotapError::Truncated { .. })));
    }

    #[test]
    fn a_field_past_the_header_is_an_error() {
        // TSFT present but the header is only 8 bytes long.
        let p = [0u8, 0, 8, 0, 1, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9];
        assert!(matches!(
            parse(&p),
            Err(RadiotapError::FieldOverrun { bit: 0, .. })
        ));
    }
}
