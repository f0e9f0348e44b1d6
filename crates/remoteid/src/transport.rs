//! How Remote ID messages travel: the framing each broadcast transport wraps them in.
//!
//! | transport | carrier | payload |
//! |---|---|---|
//! | Wi-Fi beacon | vendor element `DD len FA:0B:BC 0D` | counter, Message Pack |
//! | Wi-Fi NAN | Service Descriptor Attribute, service id `88 69 19 9D 92 09` | counter, Message Pack |
//! | Bluetooth 4 legacy advertising | AD `len 16 FA FF 0D` (service data, UUID 0xFFFA) | counter, one message |
//! | Bluetooth 5 extended advertising (long range) | same AD | counter, Message Pack |
//!
//! Decoders take the carrier's bytes; encoders build them (for the simulator and tests).

use crate::message::{DecodeError, EncodeError, Message, MessagePack, MESSAGE_LEN};
use serde::Serialize;

/// The ASTM / ASD-STAN OUI used in Wi-Fi vendor elements.
pub const ODID_OUI: [u8; 3] = [0xFA, 0x0B, 0xBC];
/// The vendor type that follows [`ODID_OUI`].
pub const ODID_VENDOR_TYPE: u8 = 0x0D;
/// The 16-bit service UUID of Remote ID over Bluetooth (ASTM).
pub const BLE_SERVICE_UUID: u16 = 0xFFFA;
/// The application code after the UUID.
pub const BLE_APP_CODE: u8 = 0x0D;
/// NAN service id: first 6 bytes of SHA-256("org.opendroneid.remoteid").
pub const NAN_SERVICE_ID: [u8; 6] = [0x88, 0x69, 0x19, 0x9D, 0x92, 0x09];

/// How a message reached the receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Wi-Fi beacon vendor element.
    WifiBeacon,
    /// Wi-Fi Aware (NAN) service discovery frame.
    WifiNan,
    /// Bluetooth 4 legacy advertising.
    BleLegacy,
    /// Bluetooth 5 extended advertising (normally on the LE Coded PHY, "long range").
    BleLongRange,
    /// DJI's proprietary Wi-Fi DroneID vendor element.
    Dji,
    /// The French "signalement électronique" beacon.
    French,
}

impl Transport {
    /// The snake_case name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::WifiBeacon => "wifi_beacon",
            Transport::WifiNan => "wifi_nan",
            Transport::BleLegacy => "ble_legacy",
            Transport::BleLongRange => "ble_long_range",
            Transport::Dji => "dji",
            Transport::French => "french",
        }
    }
}

/// Messages as one transport frame carried them.
#[derive(Clone, Debug, PartialEq)]
pub struct Carried {
    /// The transport's message counter (wraps at 256).
    pub counter: u8,
    /// The message (a pack for Wi-Fi and Bluetooth 5; one message for Bluetooth 4).
    pub message: Message,
    /// A pack that declared more messages than the frame holds: its complete messages are in
    /// `message`, and this says what was missing.
    pub defect: Option<DecodeError>,
}

/// Decode the bytes after a vendor element's OUI when the OUI is [`ODID_OUI`]: vendor type
/// 0x0D, counter, Message Pack. `None` when the vendor type is not Remote ID's.
pub fn decode_wifi_vendor(after_oui: &[u8]) -> Option<Result<Carried, DecodeError>> {
    let (&vtype, rest) = after_oui.split_first()?;
    if vtype != ODID_VENDOR_TYPE {
        return None;
    }
    Some(decode_counter_and_message(rest))
}

/// Decode a NAN service-info field (counter, Message Pack).
pub fn decode_nan_service_info(info: &[u8]) -> Result<Carried, DecodeError> {
    decode_counter_and_message(info)
}

/// Decode the data of a service-data AD structure (after the AD type byte 0x16): UUID
/// 0xFFFA, app code 0x0D, counter, then a message or a Message Pack. `None` when the UUID or
/// app code is another's.
pub fn decode_ble_service_data(data: &[u8]) -> Option<Result<Carried, DecodeError>> {
    if data.len() < 3
        || u16::from_le_bytes([data[0], data[1]]) != BLE_SERVICE_UUID
        || data[2] != BLE_APP_CODE
    {
        return None;
    }
    Some(decode_counter_and_message(&data[3..]))
}

fn decode_counter_and_message(b: &[u8]) -> Result<Carried, DecodeError> {
    let (&counter, rest) = b.split_first().ok_or(DecodeError::TooShort(0))?;
    if rest.first().is_some_and(|h| h >> 4 == 0xF) {
        let (pack, defect) = MessagePack::decode_lenient(rest)?;
        return Ok(Carried {
            counter,
            message: Message::MessagePack(pack),
            defect,
        });
    }
    Ok(Carried {
        counter,
        message: Message::decode(rest)?,
        defect: None,
    })
}

/// A complete Wi-Fi vendor element (`DD len FA 0B BC 0D counter pack`).
pub fn encode_wifi_vendor_element(counter: u8, pack: &MessagePack) -> Result<Vec<u8>, EncodeError> {
    let body = pack.encode()?;
    let mut out = Vec::with_capacity(7 + body.len());
    out.push(221);
    out.push((5 + body.len()) as u8);
    out.extend_from_slice(&ODID_OUI);
    out.push(ODID_VENDOR_TYPE);
    out.push(counter);
    out.extend_from_slice(&body);
    Ok(out)
}

/// A NAN service-info field (`counter pack`).
pub fn encode_nan_service_info(counter: u8, pack: &MessagePack) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![counter];
    out.extend_from_slice(&pack.encode()?);
    Ok(out)
}

/// The Bluetooth 4 legacy AD structure: `1E 16 FA FF 0D counter message` (31 bytes, the whole
/// legacy advertising data).
pub fn encode_ble_legacy_ad(counter: u8, message: &Message) -> Result<Vec<u8>, EncodeError> {
    let m = message.encode()?;
    let mut out = Vec::with_capacity(6 + MESSAGE_LEN);
    out.push((5 + MESSAGE_LEN) as u8);
    out.push(0x16);
    out.extend_from_slice(&BLE_SERVICE_UUID.to_le_bytes());
    out.push(BLE_APP_CODE);
    out.push(counter);
    out.extend_from_slice(&m);
    Ok(out)
}

/// The Bluetooth 5 extended-advertising AD structure: `len 16 FA FF 0D counter pack`.
pub fn encode_ble_extended_ad(counter: u8, pack: &MessagePack) -> Result<Vec<u8>, EncodeError> {
    let body = pack.encode()?;
    let mut out = Vec::with_capacity(6 + body.len());
    out.push((5 + body.len()) as u8);
    out.push(0x16);
    out.extend_from_slice(&BLE_SERVICE_UUID.to_le_bytes());
    out.push(BLE_APP_CODE);
    out.push(counter);
    out.extend_from_slice(&body);
    Ok(out)
}
