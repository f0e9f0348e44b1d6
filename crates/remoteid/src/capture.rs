//! Captures and radio frames → Remote ID records: what `picket decode FILE` prints.
//!
//! [`decode_frame`] takes one captured packet (any supported link type) and finds every Remote
//! ID payload in it; [`CaptureDecoder`] walks a whole pcap/pcapng capture and yields one
//! [`DecodeRecord`] per decoded message (a Message Pack's messages become one record each), or
//! one quarantine record per frame whose radio CRC failed or whose Remote ID payload is
//! malformed. The record schema is documented in `docs/decode-remoteid.md`.

use crate::auth::{AuthAssembler, AuthData};
use crate::dji::{self, DjiDroneId, DjiFlightInfo, DjiOther, DJI_OUI};
use crate::french::{self, FrenchBeacon, FRENCH_OUI};
use crate::message::{
    AuthPage, BasicId, DecodeError, Location, Message, OperatorId, SelfId, System, UnknownMessage,
};
use crate::transport::{self, Transport, NAN_SERVICE_ID, ODID_OUI};
use picket_core::Timestamp;
use picket_pcap::ble::{self, CrcStatus, Phy};
use picket_pcap::dot11::{self, nan};
use picket_pcap::{radiotap, CaptureError, LinkType, MacAddr, Packets};
use serde::{Serialize, Serializer};
use std::collections::VecDeque;

/// Radio facts about one received frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RadioMeta {
    /// Sender address: 802.11 transmitter address, or Bluetooth advertiser address.
    pub mac: Option<MacAddr>,
    /// Received signal strength, dBm.
    pub rssi_dbm: Option<i16>,
    /// Wi-Fi channel centre frequency, MHz.
    pub freq_mhz: Option<u16>,
    /// Bluetooth LE channel index (0–39).
    pub ble_channel: Option<u8>,
    /// Bluetooth LE physical layer.
    pub ble_phy: Option<Phy>,
}

/// What the receiver said about the frame's integrity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrity {
    /// The CRC/FCS was checked and is good.
    Good,
    /// The receiver gives no verdict.
    Unknown,
    /// The frame failed a check: its bytes are not what was sent.
    Failed(QuarantineReason),
}

/// One Remote ID (or DJI / French) payload found in a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// An ASTM / ASD-STAN payload: the transport's counter and a message or pack.
    Odid {
        /// Transport.
        transport: Transport,
        /// Transport message counter.
        counter: u8,
        /// The message (a pack for Wi-Fi and Bluetooth 5).
        message: Message,
        /// Set when the pack was cut short (its complete messages are still in `message`).
        defect: Option<DecodeError>,
    },
    /// An ASTM payload that could not be decoded.
    Malformed {
        /// Transport.
        transport: Transport,
        /// Why.
        error: DecodeError,
    },
    /// A DJI DroneID element.
    Dji(DjiDroneId),
    /// A French beacon element.
    French(FrenchBeacon),
}

impl Found {
    /// The transport it came by.
    pub fn transport(&self) -> Transport {
        match self {
            Found::Odid { transport, .. } | Found::Malformed { transport, .. } => *transport,
            Found::Dji(_) => Transport::Dji,
            Found::French(_) => Transport::French,
        }
    }
}

/// One frame, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameDecode {
    /// Radio facts.
    pub radio: RadioMeta,
    /// Integrity verdict of the receiver.
    pub integrity: Integrity,
    /// Remote ID payloads found (empty for frames that carry none). When `integrity` is
    /// `Failed`, these are what the damaged bytes appear to say: never trust them.
    pub found: Vec<Found>,
}

/// Why a frame's link layer could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Radiotap header problem.
    #[error(transparent)]
    Radiotap(#[from] radiotap::RadiotapError),
    /// Bluetooth LE header or PDU problem.
    #[error(transparent)]
    Ble(#[from] ble::BleError),
    /// A link type Picket does not decode.
    #[error("link type {0} is not supported (radiotap, 802.11, Nordic BLE, BLE LL, BLE LL with PHDR are)")]
    UnsupportedLinkType(LinkType),
}

/// Decode one captured packet of link type `link_type`.
///
/// Frames that are not management frames or not advertising PDUs give an empty `found`.
pub fn decode_frame(link_type: LinkType, data: &[u8]) -> Result<FrameDecode, FrameError> {
    match link_type {
        LinkType::RADIOTAP => {
            let (rt, frame) = radiotap::parse(data)?;
            let integrity = if rt.bad_fcs() {
                Integrity::Failed(QuarantineReason::BadFcs)
            } else if rt.bad_plcp() {
                Integrity::Failed(QuarantineReason::BadPlcpCrc)
            } else if rt.fcs_present() {
                Integrity::Good
            } else {
                Integrity::Unknown
            };
            let (mac, found) = scan_dot11(frame);
            Ok(FrameDecode {
                radio: RadioMeta {
                    mac,
                    rssi_dbm: rt.antenna_signal_dbm.map(i16::from),
                    freq_mhz: rt.channel_freq_mhz,
                    ..RadioMeta::default()
                },
                integrity,
                found,
            })
        }
        LinkType::IEEE802_11 => {
            let (mac, found) = scan_dot11(data);
            Ok(FrameDecode {
                radio: RadioMeta {
                    mac,
                    ..RadioMeta::default()
                },
                integrity: Integrity::Unknown,
                found,
            })
        }
        LinkType::NORDIC_BLE => {
            let (h, ll) = ble::parse_nordic(data)?;
            Ok(ble_frame(h.radio, &ll))
        }
        LinkType::BLUETOOTH_LE_LL_WITH_PHDR => {
            let (h, ll) = ble::parse_phdr(data)?;
            Ok(ble_frame(h.radio, &ll))
        }
        LinkType::BLUETOOTH_LE_LL => {
            let ll = ble::parse_ll(data, Phy::Le1M)?;
            let radio = ble::BleRadio {
                channel: 0,
                rssi_dbm: None,
                crc: CrcStatus::Unknown,
                phy: Phy::Le1M,
            };
            let mut f = ble_frame(radio, &ll);
            f.radio.ble_channel = None;
            Ok(f)
        }
        other => Err(FrameError::UnsupportedLinkType(other)),
    }
}

fn ble_frame(radio: ble::BleRadio, ll: &ble::LlPacket<'_>) -> FrameDecode {
    let (mac, found) = if ll.access_address == ble::ADVERTISING_ACCESS_ADDRESS {
        scan_ble_adv_pdu(ll.pdu)
    } else {
        (None, Vec::new())
    };
    FrameDecode {
        radio: RadioMeta {
            mac,
            rssi_dbm: radio.rssi_dbm,
            freq_mhz: None,
            ble_channel: Some(radio.channel),
            ble_phy: Some(radio.phy),
        },
        integrity: match radio.crc {
            CrcStatus::Ok => Integrity::Good,
            CrcStatus::Failed => Integrity::Failed(QuarantineReason::BleCrcFailed),
            CrcStatus::Unknown => Integrity::Unknown,
        },
        found,
    }
}

/// Find Remote ID payloads in an 802.11 frame (without FCS): ODID, DJI and French vendor
/// elements of beacons and probe responses, and NAN service discovery frames. Returns the
/// transmitter address too. Non-management or unreadable frames give nothing.
pub fn scan_dot11(frame: &[u8]) -> (Option<MacAddr>, Vec<Found>) {
    let Ok(m) = dot11::parse_mgmt(frame) else {
        return (None, Vec::new());
    };
    let mut found = Vec::new();
    if let Some(elements) = m.elements() {
        for e in elements.map_while(Result::ok) {
            let Some((oui, rest)) = e.vendor() else {
                continue;
            };
            match oui {
                ODID_OUI => match transport::decode_wifi_vendor(rest) {
                    Some(Ok(c)) => found.push(Found::Odid {
                        transport: Transport::WifiBeacon,
                        counter: c.counter,
                        message: c.message,
                        defect: c.defect,
                    }),
                    Some(Err(error)) => found.push(Found::Malformed {
                        transport: Transport::WifiBeacon,
                        error,
                    }),
                    None => {}
                },
                DJI_OUI => found.extend(dji::decode(rest).map(Found::Dji)),
                FRENCH_OUI => found.extend(french::decode(rest).map(Found::French)),
                _ => {}
            }
        }
    } else if let Some((category, rest)) = m.action() {
        if let Some(attrs) = nan::service_discovery_attributes(category, rest) {
            for a in attrs.filter(|a| a.id == nan::SERVICE_DESCRIPTOR) {
                let Some(sd) = nan::service_descriptor(a.data) else {
                    continue;
                };
                let (true, Some(info)) = (sd.service_id == NAN_SERVICE_ID, sd.service_info) else {
                    continue;
                };
                found.push(match transport::decode_nan_service_info(info) {
                    Ok(c) => Found::Odid {
                        transport: Transport::WifiNan,
                        counter: c.counter,
                        message: c.message,
                        defect: c.defect,
                    },
                    Err(error) => Found::Malformed {
                        transport: Transport::WifiNan,
                        error,
                    },
                });
            }
        }
    }
    (Some(m.transmitter), found)
}

/// Find Remote ID payloads in a Bluetooth LE advertising PDU (2-byte header and payload).
/// Extended advertising PDUs are reported as [`Transport::BleLongRange`], legacy ones as
/// [`Transport::BleLegacy`]. Returns the advertiser address too.
pub fn scan_ble_adv_pdu(pdu: &[u8]) -> (Option<MacAddr>, Vec<Found>) {
    let Ok(adv) = ble::parse_adv_pdu(pdu) else {
        return (None, Vec::new());
    };
    let transport = if adv.extended.is_some() {
        Transport::BleLongRange
    } else {
        Transport::BleLegacy
    };
    (adv.advertiser, scan_ble_adv_data(adv.data, transport))
}

/// Find Remote ID payloads in advertising data (AD structures), e.g. as an HCI LE
/// advertising report or a field receiver hands it over.
pub fn scan_ble_adv_data(data: &[u8], transport: Transport) -> Vec<Found> {
    let mut found = Vec::new();
    for ad in ble::AdStructures::new(data).filter(|a| a.ad_type == ble::AD_SERVICE_DATA_16) {
        match transport::decode_ble_service_data(ad.data) {
            Some(Ok(c)) => found.push(Found::Odid {
                transport,
                counter: c.counter,
                message: c.message,
                defect: c.defect,
            }),
            Some(Err(error)) => found.push(Found::Malformed { transport, error }),
            None => {}
        }
    }
    found
}

/// Why a frame was quarantined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    /// 802.11 FCS check failed (radiotap flags).
    BadFcs,
    /// 802.11 PLCP CRC check failed (radiotap RX flags).
    BadPlcpCrc,
    /// Bluetooth LE CRC check failed (sniffer header).
    BleCrcFailed,
    /// A Remote ID payload that does not decode (bad pack header, too short, ...).
    MalformedRemoteId,
}

/// A quarantined frame: never a message, always with its reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quarantine {
    /// Why.
    pub reason: QuarantineReason,
    /// What exactly, in words.
    pub detail: String,
}

/// Any decoded payload of a record: an ASTM message (never a pack: packs are split), a DJI
/// DroneID element or a French beacon.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "message_type", rename_all = "snake_case")]
pub enum RecordMessage {
    /// Basic ID.
    BasicId(BasicId),
    /// Location/Vector.
    Location(Location),
    /// One Authentication page.
    Authentication(AuthPage),
    /// Self-ID.
    SelfId(SelfId),
    /// System.
    System(System),
    /// Operator ID.
    OperatorId(OperatorId),
    /// An undefined ASTM message type.
    Unknown(UnknownMessage),
    /// DJI flight telemetry.
    DjiFlightInfo(Box<DjiFlightInfo>),
    /// Another DJI DroneID element, raw.
    DjiOther(DjiOther),
    /// French beacon.
    FrenchBeacon(FrenchBeacon),
}

impl RecordMessage {
    fn from_message(m: &Message) -> Option<Self> {
        Some(match m {
            Message::BasicId(x) => RecordMessage::BasicId(*x),
            Message::Location(x) => RecordMessage::Location(*x),
            Message::Authentication(x) => RecordMessage::Authentication(*x),
            Message::SelfId(x) => RecordMessage::SelfId(*x),
            Message::System(x) => RecordMessage::System(*x),
            Message::OperatorId(x) => RecordMessage::OperatorId(*x),
            Message::Unknown(x) => RecordMessage::Unknown(*x),
            Message::MessagePack(_) => return None,
        })
    }
}

fn ser_mac<S: Serializer>(m: &Option<MacAddr>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.collect_str(m),
        None => s.serialize_none(),
    }
}

fn ser_phy<S: Serializer>(p: &Option<Phy>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(Phy::Le1M) => s.serialize_str("le_1m"),
        Some(Phy::Le2M) => s.serialize_str("le_2m"),
        Some(Phy::LeCoded) => s.serialize_str("le_coded"),
        None => s.serialize_none(),
    }
}

/// One line of `picket decode`: a decoded message, or a quarantined frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecodeRecord {
    /// 1-based frame number in the capture (as Wireshark numbers it).
    pub frame: u64,
    /// Capture time (`None` only for pcapng simple packet blocks, which carry none).
    pub time: Option<Timestamp>,
    /// Transport; for a quarantined frame, what its (damaged) content looks like, if anything.
    pub transport: Option<Transport>,
    /// Sender address (lower-case, colon-separated).
    #[serde(serialize_with = "ser_mac")]
    pub mac: Option<MacAddr>,
    /// Received signal strength, dBm.
    pub rssi_dbm: Option<i16>,
    /// Wi-Fi channel frequency, MHz.
    pub freq_mhz: Option<u16>,
    /// Bluetooth LE channel index.
    pub ble_channel: Option<u8>,
    /// Bluetooth LE PHY (`le_1m`, `le_2m`, `le_coded`).
    #[serde(serialize_with = "ser_phy")]
    pub ble_phy: Option<Phy>,
    /// Transport message counter.
    pub counter: Option<u8>,
    /// Position in the Message Pack, when the message came in one.
    pub pack_index: Option<u8>,
    /// Set when the message came in a pack that declared more messages than the frame held
    /// (what is missing, in words); the message itself is complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pack_defect: Option<String>,
    /// The decoded message (absent for a quarantined frame).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<RecordMessage>,
    /// Authentication data completed by this page (Authentication records only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_assembled: Option<AuthData>,
    /// Why the frame was quarantined (absent for a decoded message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<Quarantine>,
}

impl DecodeRecord {
    fn base(frame: u64, time: Option<Timestamp>, radio: &RadioMeta) -> Self {
        DecodeRecord {
            frame,
            time,
            transport: None,
            mac: radio.mac,
            rssi_dbm: radio.rssi_dbm,
            freq_mhz: radio.freq_mhz,
            ble_channel: radio.ble_channel,
            ble_phy: radio.ble_phy,
            counter: None,
            pack_index: None,
            pack_defect: None,
            message: None,
            auth_assembled: None,
            quarantine: None,
        }
    }
}

/// Authentication assemblers kept per sender; beyond this many senders the oldest is dropped.
const MAX_AUTH_SENDERS: usize = 256;

/// Turns decoded frames into records, keeping the per-sender authentication state.
#[derive(Debug, Default)]
pub struct RecordBuilder {
    auth: VecDeque<(Option<MacAddr>, AuthAssembler)>,
}

impl RecordBuilder {
    /// A builder with no state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The records of one decoded frame, appended to `out`.
    pub fn records(
        &mut self,
        frame: u64,
        time: Option<Timestamp>,
        decoded: &FrameDecode,
        out: &mut impl Extend<DecodeRecord>,
    ) {
        let radio = &decoded.radio;
        if let Integrity::Failed(reason) = decoded.integrity {
            let mut r = DecodeRecord::base(frame, time, radio);
            r.transport = decoded.found.first().map(Found::transport);
            r.quarantine = Some(Quarantine {
                reason,
                detail: match reason {
                    QuarantineReason::BadFcs => "radiotap flags: the 802.11 FCS check failed",
                    QuarantineReason::BadPlcpCrc => "radiotap RX flags: the PLCP CRC check failed",
                    _ => "the sniffer's CRC check failed",
                }
                .to_owned(),
            });
            out.extend([r]);
            return;
        }
        for f in &decoded.found {
            let mut r = DecodeRecord::base(frame, time, radio);
            r.transport = Some(f.transport());
            match f {
                Found::Odid {
                    counter,
                    message,
                    defect,
                    ..
                } => {
                    r.counter = Some(*counter);
                    r.pack_defect = defect.as_ref().map(ToString::to_string);
                    let is_pack = matches!(message, Message::MessagePack(_));
                    for (i, m) in message.flatten().iter().enumerate() {
                        let mut rec = r.clone();
                        rec.pack_index = is_pack.then_some(i as u8);
                        if let Message::Authentication(page) = m {
                            rec.auth_assembled = self.assembler(radio.mac).push(page);
                        }
                        rec.message = RecordMessage::from_message(m);
                        out.extend([rec]);
                    }
                }
                Found::Malformed { error, .. } => {
                    r.quarantine = Some(Quarantine {
                        reason: QuarantineReason::MalformedRemoteId,
                        detail: error.to_string(),
                    });
                    out.extend([r]);
                }
                Found::Dji(d) => {
                    r.message = Some(match d {
                        DjiDroneId::DjiFlightInfo(i) => RecordMessage::DjiFlightInfo(i.clone()),
                        DjiDroneId::DjiOther(o) => RecordMessage::DjiOther(o.clone()),
                    });
                    out.extend([r]);
                }
                Found::French(b) => {
                    r.message = Some(RecordMessage::FrenchBeacon(b.clone()));
                    out.extend([r]);
                }
            }
        }
    }

    fn assembler(&mut self, mac: Option<MacAddr>) -> &mut AuthAssembler {
        let pos = match self.auth.iter().position(|(m, _)| *m == mac) {
            Some(p) => p,
            None => {
                if self.auth.len() >= MAX_AUTH_SENDERS {
                    self.auth.pop_front();
                }
                self.auth.push_back((mac, AuthAssembler::new()));
                self.auth.len() - 1
            }
        };
        &mut self.auth[pos].1
    }
}

/// Walks a capture and yields its Remote ID records, in frame order. Fused: after a capture
/// error it yields that error once and stops (records before it have been yielded).
#[derive(Debug)]
pub struct CaptureDecoder<'a> {
    packets: Packets<'a>,
    builder: RecordBuilder,
    pending: VecDeque<DecodeRecord>,
}

impl<'a> CaptureDecoder<'a> {
    /// Start decoding `bytes` (pcap or pcapng).
    pub fn new(bytes: &'a [u8]) -> Result<Self, CaptureError> {
        Ok(CaptureDecoder {
            packets: picket_pcap::packets(bytes)?,
            builder: RecordBuilder::new(),
            pending: VecDeque::new(),
        })
    }
}

impl Iterator for CaptureDecoder<'_> {
    type Item = Result<DecodeRecord, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Some(Ok(r));
            }
            let p = match self.packets.next()? {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            // Frames whose link layer cannot be read carry nothing recognisable: skip them.
            let Ok(decoded) = decode_frame(p.link_type, p.data) else {
                continue;
            };
            let time = p
                .timestamp_ns
                .map(|ns| Timestamp::from_micros(ns.div_euclid(1000)));
            self.builder
                .records(p.number, time, &decoded, &mut self.pending);
        }
    }
}

/// Decode a whole capture into records. For output as it goes (and the records before a
/// damaged tail), iterate a [`CaptureDecoder`] instead.
pub fn decode_capture(bytes: &[u8]) -> Result<Vec<DecodeRecord>, CaptureError> {
    CaptureDecoder::new(bytes)?.collect()
}
