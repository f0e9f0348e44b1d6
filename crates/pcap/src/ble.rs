//! Bluetooth LE captures: sniffer headers, link-layer packets, advertising PDUs, AD structures.
//!
//! * [`parse_nordic`]: nRF Sniffer for Bluetooth LE (link type 272), header versions 1–3.
//! * [`parse_phdr`]: `LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR` (256).
//! * [`parse_ll`]: a bare link-layer packet (251, and the tail of the two above).
//! * [`parse_adv_pdu`]: legacy and extended advertising PDUs; [`AdStructures`] walks the
//!   advertising data.

use crate::bytes::{array_at, u16_le, u32_le, u8_at};
use crate::MacAddr;

/// The access address of every advertising-channel packet.
pub const ADVERTISING_ACCESS_ADDRESS: u32 = 0x8E89_BED6;

/// A Bluetooth LE physical layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phy {
    /// LE 1M.
    Le1M,
    /// LE 2M.
    Le2M,
    /// LE Coded (long range, S=2 or S=8).
    LeCoded,
}

/// What the receiver says about the packet's CRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrcStatus {
    /// Checked and good.
    Ok,
    /// Checked and bad: the bytes are not what was sent.
    Failed,
    /// The capture does not say.
    Unknown,
}

/// Radio facts about one received BLE packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BleRadio {
    /// RF channel index as the sniffer reports it (0–39 for the Nordic header; the PHDR header
    /// gives the RF channel 0–39 too).
    pub channel: u8,
    /// Received signal strength, dBm.
    pub rssi_dbm: Option<i16>,
    /// CRC verdict.
    pub crc: CrcStatus,
    /// Physical layer.
    pub phy: Phy,
}

/// Why a BLE capture record could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BleError {
    /// Shorter than a header or the length a field claims.
    #[error("BLE {what} needs {needed} bytes, the packet has {len}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        len: usize,
    },
    /// A Nordic sniffer header version Picket does not read (the pre-1.0 0xBEEF format).
    #[error("Nordic BLE sniffer header version {0} is not supported")]
    UnsupportedNordicVersion(u8),
    /// A Nordic sniffer record that is not a received packet (a ping, a scan state, ...).
    #[error("Nordic BLE sniffer record id {0} carries no packet")]
    NotAPacket(u8),
    /// A link-layer packet on a non-advertising access address.
    #[error("access address {0:#010x} is not the advertising access address")]
    NotAdvertising(u32),
}

fn truncated(what: &'static str, needed: usize, len: usize) -> BleError {
    BleError::Truncated { what, needed, len }
}

/// The nRF Sniffer header (after the board id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NordicHeader {
    /// Board id.
    pub board_id: u8,
    /// Sniffer protocol version (1, 2 or 3).
    pub protocol_version: u8,
    /// Sniffer packet counter.
    pub packet_counter: u16,
    /// Record id (2 or 6 for received packets).
    pub packet_id: u8,
    /// The flags byte: bit 0 CRC OK, bit 1 direction, bit 2 encrypted, bit 3 MIC OK, bits 4–6
    /// PHY (version 3).
    pub flags: u8,
    /// Connection event counter.
    pub event_counter: u16,
    /// Sniffer timestamp (version 3) or time since the previous packet, microseconds.
    pub timestamp_us: u32,
    /// Channel, RSSI, CRC and PHY.
    pub radio: BleRadio,
}

/// Parse a Nordic BLE sniffer record (link type 272) into its header and link-layer packet.
pub fn parse_nordic(packet: &[u8]) -> Result<(NordicHeader, LlPacket<'_>), BleError> {
    let len = packet.len();
    if packet.get(1..3) == Some(&[0xBE, 0xEF]) {
        return Err(BleError::UnsupportedNordicVersion(0));
    }
    let board_id = u8_at(packet, 0).ok_or(truncated("Nordic header", 17, len))?;
    let protocol_version = u8_at(packet, 3).ok_or(truncated("Nordic header", 17, len))?;
    if !(1..=3).contains(&protocol_version) {
        return Err(BleError::UnsupportedNordicVersion(protocol_version));
    }
    let packet_counter = u16_le(packet, 4).ok_or(truncated("Nordic header", 17, len))?;
    let packet_id = u8_at(packet, 6).ok_or(truncated("Nordic header", 17, len))?;
    if packet_id != 0x02 && packet_id != 0x06 {
        return Err(BleError::NotAPacket(packet_id));
    }
    let ble_header_len = u8_at(packet, 7).ok_or(truncated("Nordic header", 17, len))? as usize;
    if ble_header_len < 10 || packet.len() < 7 + ble_header_len {
        return Err(truncated(
            "Nordic packet header",
            7 + ble_header_len.max(10),
            len,
        ));
    }
    let flags = packet[8];
    let phy = if protocol_version >= 3 {
        match (flags >> 4) & 0x7 {
            1 => Phy::Le2M,
            2 => Phy::LeCoded,
            _ => Phy::Le1M,
        }
    } else {
        Phy::Le1M
    };
    let header = NordicHeader {
        board_id,
        protocol_version,
        packet_counter,
        packet_id,
        flags,
        event_counter: u16_le(packet, 11).unwrap_or(0),
        timestamp_us: u32_le(packet, 13).unwrap_or(0),
        radio: BleRadio {
            channel: packet[9],
            // The sniffer sends the magnitude; RSSI is always negative.
            rssi_dbm: Some(-(packet[10] as i16)),
            crc: if flags & 0x01 != 0 {
                CrcStatus::Ok
            } else {
                CrcStatus::Failed
            },
            phy,
        },
    };
    let ll = parse_ll(&packet[7 + ble_header_len..], phy)?;
    Ok((header, ll))
}

/// The PHDR pseudo-header of link type 256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhdrHeader {
    /// Signal power, dBm, when valid.
    pub signal_dbm: Option<i8>,
    /// Noise power, dBm, when valid.
    pub noise_dbm: Option<i8>,
    /// Access address offenses (bit errors), when valid.
    pub access_address_offenses: Option<u8>,
    /// Reference access address, when valid.
    pub reference_access_address: Option<u32>,
    /// The raw flags word.
    pub flags: u16,
    /// Channel, RSSI, CRC and PHY.
    pub radio: BleRadio,
}

/// Parse a `LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR` record.
pub fn parse_phdr(packet: &[u8]) -> Result<(PhdrHeader, LlPacket<'_>), BleError> {
    if packet.len() < 10 {
        return Err(truncated("LE PHDR header", 10, packet.len()));
    }
    let flags = u16_le(packet, 8).unwrap_or(0);
    let signal = (flags & 0x0002 != 0).then_some(packet[1] as i8);
    let phy = match (flags >> 14) & 0x3 {
        1 => Phy::Le2M,
        2 => Phy::LeCoded,
        _ => Phy::Le1M,
    };
    let crc = match (flags & 0x0400 != 0, flags & 0x0800 != 0) {
        (true, true) => CrcStatus::Ok,
        (true, false) => CrcStatus::Failed,
        _ => CrcStatus::Unknown,
    };
    let header = PhdrHeader {
        signal_dbm: signal,
        noise_dbm: (flags & 0x0004 != 0).then_some(packet[2] as i8),
        access_address_offenses: (flags & 0x0020 != 0).then_some(packet[3]),
        reference_access_address: (flags & 0x0010 != 0).then(|| u32_le(packet, 4).unwrap_or(0)),
        flags,
        radio: BleRadio {
            channel: packet[0],
            rssi_dbm: signal.map(i16::from),
            crc,
            phy,
        },
    };
    let ll = parse_ll(&packet[10..], phy)?;
    Ok((header, ll))
}

/// A link-layer packet: access address, PDU and CRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LlPacket<'a> {
    /// Access address.
    pub access_address: u32,
    /// Coding indicator (LE Coded only: 0 = S=8, 1 = S=2).
    pub coding_indicator: Option<u8>,
    /// The PDU: 2-byte header and payload.
    pub pdu: &'a [u8],
    /// The CRC as captured, when the capture holds it.
    pub crc: Option<[u8; 3]>,
}

/// Parse a link-layer packet (access address, [coding indicator,] PDU, CRC). On the LE Coded
/// PHY a coding-indicator byte sits between the access address and the PDU.
pub fn parse_ll(bytes: &[u8], phy: Phy) -> Result<LlPacket<'_>, BleError> {
    let len = bytes.len();
    let access_address = u32_le(bytes, 0).ok_or(truncated("link-layer packet", 6, len))?;
    let (coding_indicator, at) = if phy == Phy::LeCoded {
        let ci = u8_at(bytes, 4).ok_or(truncated("link-layer packet", 7, len))?;
        (Some(ci & 0x3), 5)
    } else {
        (None, 4)
    };
    let pdu_len = u8_at(bytes, at + 1).ok_or(truncated("PDU header", at + 2, len))? as usize;
    let pdu = bytes
        .get(at..at + 2 + pdu_len)
        .ok_or(truncated("PDU", at + 2 + pdu_len, len))?;
    Ok(LlPacket {
        access_address,
        coding_indicator,
        pdu,
        crc: array_at::<3>(bytes, at + 2 + pdu_len),
    })
}

/// Advertising PDU types (4-bit field of the PDU header).
pub mod pdu_type {
    /// ADV_IND.
    pub const ADV_IND: u8 = 0;
    /// ADV_DIRECT_IND.
    pub const ADV_DIRECT_IND: u8 = 1;
    /// ADV_NONCONN_IND.
    pub const ADV_NONCONN_IND: u8 = 2;
    /// SCAN_REQ (or AUX_SCAN_REQ).
    pub const SCAN_REQ: u8 = 3;
    /// SCAN_RSP.
    pub const SCAN_RSP: u8 = 4;
    /// CONNECT_IND (or AUX_CONNECT_REQ).
    pub const CONNECT_IND: u8 = 5;
    /// ADV_SCAN_IND.
    pub const ADV_SCAN_IND: u8 = 6;
    /// ADV_EXT_IND, AUX_ADV_IND, AUX_SCAN_RSP, AUX_SYNC_IND or AUX_CHAIN_IND.
    pub const ADV_EXT: u8 = 7;
    /// AUX_CONNECT_RSP.
    pub const AUX_CONNECT_RSP: u8 = 8;
}

/// The extended header of an extended advertising PDU (fields Picket uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ExtendedHeader {
    /// AdvMode (0 non-connectable non-scannable, 1 connectable, 2 scannable).
    pub adv_mode: u8,
    /// Advertising data info (DID and SID), when present.
    pub adi: Option<u16>,
    /// AuxPtr bytes, when present (the data continues in another packet).
    pub aux_ptr: Option<[u8; 3]>,
    /// TX power, dBm, when present.
    pub tx_power_dbm: Option<i8>,
}

/// An advertising PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdvPdu<'a> {
    /// PDU type (see [`pdu_type`]).
    pub pdu_type: u8,
    /// TxAdd: the advertiser address is random.
    pub tx_random: bool,
    /// The advertiser's address, when the PDU carries one.
    pub advertiser: Option<MacAddr>,
    /// Advertising data (AD structures), possibly empty.
    pub data: &'a [u8],
    /// The extended header, for extended advertising PDUs.
    pub extended: Option<ExtendedHeader>,
}

/// Parse an advertising-channel PDU (2-byte header and payload, as in [`LlPacket::pdu`]).
pub fn parse_adv_pdu(pdu: &[u8]) -> Result<AdvPdu<'_>, BleError> {
    let len = pdu.len();
    let h0 = u8_at(pdu, 0).ok_or(truncated("PDU header", 2, len))?;
    let plen = u8_at(pdu, 1).ok_or(truncated("PDU header", 2, len))? as usize;
    let payload = pdu
        .get(2..2 + plen)
        .ok_or(truncated("PDU payload", 2 + plen, len))?;
    let pdu_type = h0 & 0x0F;
    let tx_random = h0 & 0x40 != 0;
    let addr = |at: usize| array_at::<6>(payload, at).map(MacAddr::from_ble);
    let mut out = AdvPdu {
        pdu_type,
        tx_random,
        advertiser: None,
        data: &[],
        extended: None,
    };
    match pdu_type {
        pdu_type::ADV_IND
        | pdu_type::ADV_NONCONN_IND
        | pdu_type::ADV_SCAN_IND
        | pdu_type::SCAN_RSP => {
            out.advertiser = Some(addr(0).ok_or(truncated("AdvA", 8, len))?);
            out.data = &payload[6..];
        }
        pdu_type::ADV_DIRECT_IND => out.advertiser = addr(0),
        pdu_type::SCAN_REQ | pdu_type::CONNECT_IND => out.advertiser = addr(6),
        pdu_type::ADV_EXT | pdu_type::AUX_CONNECT_RSP => {
            let b0 = u8_at(payload, 0).ok_or(truncated("extended header", 3, len))?;
            let hlen = (b0 & 0x3F) as usize;
            let header =
                payload
                    .get(1..1 + hlen)
                    .ok_or(truncated("extended header", 3 + hlen, len))?;
            let mut ext = ExtendedHeader {
                adv_mode: b0 >> 6,
                ..ExtendedHeader::default()
            };
            if let Some((&flags, fields)) = header.split_first() {
                let mut at = 0usize;
                let mut take = |bit: u8, n: usize| -> Result<Option<&[u8]>, BleError> {
                    if flags & (1 << bit) == 0 {
                        return Ok(None);
                    }
                    let f = fields.get(at..at + n).ok_or(truncated(
                        "extended header field",
                        3 + at + n,
                        len,
                    ))?;
                    at += n;
                    Ok(Some(f))
                };
                if let Some(a) = take(0, 6)? {
                    out.advertiser = array_at::<6>(a, 0).map(MacAddr::from_ble);
                }
                take(1, 6)?; // TargetA
                take(2, 1)?; // CTEInfo
                ext.adi = take(3, 2)?.and_then(|f| u16_le(f, 0));
                ext.aux_ptr = take(4, 3)?.and_then(|f| array_at::<3>(f, 0));
                take(5, 18)?; // SyncInfo
                ext.tx_power_dbm = take(6, 1)?.map(|f| f[0] as i8);
            }
            out.extended = Some(ext);
            out.data = &payload[1 + hlen..];
        }
        _ => {}
    }
    Ok(out)
}

/// One AD structure of advertising data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdStructure<'a> {
    /// AD type (0x16 = service data, 16-bit UUID).
    pub ad_type: u8,
    /// The data after the type byte.
    pub data: &'a [u8],
}

/// AD type: service data with a 16-bit UUID.
pub const AD_SERVICE_DATA_16: u8 = 0x16;

/// Iterator over AD structures (length, type, data). Stops at a zero length (padding) or at a
/// structure that runs past the end; [`AdStructures::stopped_early`] tells the latter.
#[derive(Clone, Debug)]
pub struct AdStructures<'a> {
    bytes: &'a [u8],
    offset: usize,
    overrun: bool,
}

impl<'a> AdStructures<'a> {
    /// AD structures in `data`.
    pub fn new(data: &'a [u8]) -> Self {
        AdStructures {
            bytes: data,
            offset: 0,
            overrun: false,
        }
    }
    /// True when a structure claimed more bytes than were left.
    pub fn stopped_early(&self) -> bool {
        self.overrun
    }
}

impl<'a> Iterator for AdStructures<'a> {
    type Item = AdStructure<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let at = self.offset;
        let n = u8_at(self.bytes, at)? as usize;
        if n == 0 {
            return None;
        }
        let Some(body) = self.bytes.get(at + 1..at + 1 + n) else {
            self.overrun = true;
            self.offset = self.bytes.len();
            return None;
        };
        self.offset = at + 1 + n;
        Some(AdStructure {
            ad_type: body[0],
            data: &body[1..],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_adv_nonconn_gives_address_and_ad_structures() {
        // ADV_NONCONN_IND, TxAdd random, AdvA, one service-data structure.
        let mut pdu = vec![0x42, 0];
        pdu.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        pdu.extend_from_slice(&[4, 0x16, 0xfa, 0xff, 0x0d]);
        pdu[1] = (pdu.len() - 2) as u8;
        let adv = parse_adv_pdu(&pdu).unwrap();
        assert_eq!(adv.pdu_type, pdu_type::ADV_NONCONN_IND);
        assert!(adv.tx_random);
        assert_eq!(adv.advertiser.unwrap().to_string(), "06:05:04:03:02:01");
        let ad: Vec<_> = AdStructures::new(adv.data).collect();
        assert_eq!(ad.len(), 1);
        assert_eq!(ad[0].ad_type, AD_SERVICE_DATA_16);
        assert_eq!(ad[0].data, &[0xfa, 0xff, 0x0d]);
    }

    #[test]
    fn extended_header_fields_are_skipped_in_order() {
        // AUX_ADV_IND: ext header with AdvA + ADI, then AdvData.
        let mut payload = vec![9, 0x09];
        payload.extend_from_slice(&[0x1c, 0x2f, 0xeb, 0xea, 0x7d, 0xe0]);
        payload.extend_from_slice(&[0x75, 0x0e]);
        payload.extend_from_slice(&[2, 0x01, 0x06]);
        let mut pdu = vec![0x07, payload.len() as u8];
        pdu.extend_from_slice(&payload);
        let adv = parse_adv_pdu(&pdu).unwrap();
        assert_eq!(adv.advertiser.unwrap().to_string(), "e0:7d:ea:eb:2f:1c");
        assert_eq!(adv.extended.unwrap().adi, Some(0x0e75));
        assert_eq!(adv.data, &[2, 0x01, 0x06]);
    }

    #[test]
    fn extended_header_longer_than_payload_is_an_error() {
        let pdu = [0x07, 2, 0x3f, 0x01];
        assert!(matches!(
            parse_adv_pdu(&pdu),
            Err(BleError::Truncated { .. })
        ));
    }

    #[test]
    fn coded_phy_packets_carry_a_coding_indicator() {
        let mut b = ADVERTISING_ACCESS_ADDRESS.to_le_bytes().to_vec();
        b.push(0x00);
        b.extend_from_slice(&[0x07, 1, 0x00]);
        b.extend_from_slice(&[0xaa, 0xbb, 0xcc]);
        let ll = parse_ll(&b, Phy::LeCoded).unwrap();
        assert_eq!(ll.coding_indicator, Some(0));
        assert_eq!(ll.pdu, &[0x07, 1, 0x00]);
        assert_eq!(ll.crc, Some([0xaa, 0xbb, 0xcc]));
    }

    #[test]
    fn phdr_crc_flags_map_to_status() {
        let mut b = vec![37u8, (-60i8) as u8, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&(0x0002u16 | 0x0400).to_le_bytes());
        b.extend_from_slice(&ADVERTISING_ACCESS_ADDRESS.to_le_bytes());
        b.extend_from_slice(&[0x02, 0]);
        let (h, _) = parse_phdr(&b).unwrap();
        assert_eq!(h.radio.crc, CrcStatus::Failed);
        assert_eq!(h.radio.rssi_dbm, Some(-60));
        assert_eq!(h.radio.channel, 37);
    }

    #[test]
    fn ad_structure_past_the_end_stops_and_says_so() {
        let mut it = AdStructures::new(&[3, 0x16, 1, 2, 9, 0x16, 1]);
        assert!(it.next().is_some());
        assert!(it.next().is_none());
        assert!(it.stopped_early());
    }
}
