//! ASTM F3411 / ASD-STAN prEN 4709-002 messages: 25 bytes each, little-endian; byte 0 is the
//! message type (high nibble) and protocol version (low nibble).
//!
//! Every sentinel ("unknown", "invalid", out of range) decodes to `None`, never to a number.
//! The protocol version is kept as sent: versions 0 (F3411-19), 1 (F3411-20) and 2
//! (F3411-22a) share one layout, and an unknown version is decoded with it too, not rejected.
//! The encoder writes the same layout, mapping `None` back to each field's sentinel.

use crate::fields::{code_enum, Text};
use picket_core::Timestamp;
use serde::Serialize;

/// Length of every Remote ID message.
pub const MESSAGE_LEN: usize = 25;
/// Most messages a Message Pack may hold.
pub const MAX_PACK_MESSAGES: usize = 10;
/// Seconds from the Unix epoch to 2019-01-01T00:00:00Z, the epoch of System and
/// Authentication timestamps.
pub const EPOCH_2019_UNIX_S: i64 = 1_546_300_800;

/// Why bytes are not a Remote ID message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer than 25 bytes.
    #[error("a Remote ID message is 25 bytes; got {0}")]
    TooShort(usize),
    /// A Message Pack whose single-message size is not 25.
    #[error("message pack declares {0}-byte messages; only 25 is defined")]
    PackMessageSize(u8),
    /// A Message Pack declaring more messages than allowed.
    #[error("message pack declares {0} messages; at most {MAX_PACK_MESSAGES} are allowed")]
    PackTooManyMessages(u8),
    /// A Message Pack whose messages run past the end of the bytes.
    #[error("message pack declares {declared} messages ({needed} bytes) but only {available} bytes are present")]
    PackTruncated {
        /// Messages declared.
        declared: u8,
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// A Message Pack inside a Message Pack.
    #[error("a message pack may not contain another message pack")]
    NestedPack,
}

/// Why a message cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// More messages than a pack may hold.
    #[error("a message pack holds at most {MAX_PACK_MESSAGES} messages; got {0}")]
    PackTooLarge(usize),
    /// A pack inside a pack.
    #[error("a message pack may not contain another message pack")]
    NestedPack,
    /// [`Message::encode`] on a pack (use [`MessagePack::encode`]).
    #[error("a message pack is not a 25-byte message; use MessagePack::encode")]
    PackIsNotSingle,
}

code_enum! {
    /// Message type (high nibble of byte 0).
    MessageType {
        /// Basic ID.
        BasicId = 0 => "basic_id",
        /// Location/Vector.
        Location = 1 => "location",
        /// Authentication (one page).
        Authentication = 2 => "authentication",
        /// Self-ID.
        SelfId = 3 => "self_id",
        /// System.
        System = 4 => "system",
        /// Operator ID.
        OperatorId = 5 => "operator_id",
        /// Message Pack.
        MessagePack = 15 => "message_pack",
    }
}

code_enum! {
    /// What kind of UAS ID a Basic ID message carries.
    IdType {
        /// None.
        None = 0 => "none",
        /// Manufacturer serial number (ANSI/CTA-2063-A).
        SerialNumber = 1 => "serial_number",
        /// CAA-assigned registration id.
        CaaRegistrationId = 2 => "caa_registration_id",
        /// UTM-assigned UUID.
        UtmAssignedUuid = 3 => "utm_assigned_uuid",
        /// Specific session id.
        SpecificSessionId = 4 => "specific_session_id",
    }
}

code_enum! {
    /// Type of aircraft.
    UaType {
        /// Not declared.
        None = 0 => "none",
        /// Aeroplane / fixed wing.
        Aeroplane = 1 => "aeroplane",
        /// Helicopter or multirotor.
        HelicopterOrMultirotor = 2 => "helicopter_or_multirotor",
        /// Gyroplane.
        Gyroplane = 3 => "gyroplane",
        /// Hybrid lift (VTOL fixed wing).
        HybridLift = 4 => "hybrid_lift",
        /// Ornithopter.
        Ornithopter = 5 => "ornithopter",
        /// Glider.
        Glider = 6 => "glider",
        /// Kite.
        Kite = 7 => "kite",
        /// Free balloon.
        FreeBalloon = 8 => "free_balloon",
        /// Captive balloon.
        CaptiveBalloon = 9 => "captive_balloon",
        /// Airship.
        Airship = 10 => "airship",
        /// Free fall / parachute.
        FreeFallParachute = 11 => "free_fall_parachute",
        /// Rocket.
        Rocket = 12 => "rocket",
        /// Tethered powered aircraft.
        TetheredPoweredAircraft = 13 => "tethered_powered_aircraft",
        /// Ground obstacle.
        GroundObstacle = 14 => "ground_obstacle",
        /// Other.
        OtherAircraft = 15 => "other",
    }
}

code_enum! {
    /// Operational status in a Location message.
    OperationalStatus {
        /// Undeclared.
        Undeclared = 0 => "undeclared",
        /// On the ground.
        Ground = 1 => "ground",
        /// Airborne.
        Airborne = 2 => "airborne",
        /// Emergency.
        Emergency = 3 => "emergency",
        /// Remote ID system failure.
        RemoteIdSystemFailure = 4 => "remote_id_system_failure",
    }
}

code_enum! {
    /// What the Location message's height is measured from.
    HeightType {
        /// Above the take-off point.
        AboveTakeoff = 0 => "above_takeoff",
        /// Above ground level.
        AboveGround = 1 => "above_ground",
    }
}

code_enum! {
    /// Authentication type.
    AuthType {
        /// None.
        None = 0 => "none",
        /// UAS ID signature.
        UasIdSignature = 1 => "uas_id_signature",
        /// Operator ID signature.
        OperatorIdSignature = 2 => "operator_id_signature",
        /// Message set signature.
        MessageSetSignature = 3 => "message_set_signature",
        /// Authentication provided by Network Remote ID.
        NetworkRemoteId = 4 => "network_remote_id",
        /// Specific authentication method.
        SpecificMethod = 5 => "specific_method",
    }
}

code_enum! {
    /// Self-ID description type.
    DescriptionType {
        /// Free text.
        Text = 0 => "text",
        /// Emergency.
        Emergency = 1 => "emergency",
        /// Extended status.
        ExtendedStatus = 2 => "extended_status",
    }
}

code_enum! {
    /// Where the System message's operator position comes from.
    OperatorLocationType {
        /// The take-off point.
        Takeoff = 0 => "takeoff",
        /// Live GNSS of the operator.
        LiveGnss = 1 => "live_gnss",
        /// A fixed location.
        Fixed = 2 => "fixed",
    }
}

code_enum! {
    /// Which classification the System message's category/class fields follow.
    ClassificationType {
        /// Undeclared.
        Undeclared = 0 => "undeclared",
        /// European Union (category and class per EU 2019/945).
        Eu = 1 => "eu",
    }
}

code_enum! {
    /// EU operation category.
    CategoryEu {
        /// Undeclared.
        Undeclared = 0 => "undeclared",
        /// Open.
        Open = 1 => "open",
        /// Specific.
        Specific = 2 => "specific",
        /// Certified.
        Certified = 3 => "certified",
    }
}

code_enum! {
    /// EU aircraft class (C0–C6); the wire code is the class number plus one.
    ClassEu {
        /// Undeclared.
        Undeclared = 0 => "undeclared",
        /// C0.
        Class0 = 1 => "class_0",
        /// C1.
        Class1 = 2 => "class_1",
        /// C2.
        Class2 = 3 => "class_2",
        /// C3.
        Class3 = 4 => "class_3",
        /// C4.
        Class4 = 5 => "class_4",
        /// C5.
        Class5 = 6 => "class_5",
        /// C6.
        Class6 = 7 => "class_6",
    }
}

code_enum! {
    /// Operator ID type.
    OperatorIdType {
        /// Operator (registration) id.
        OperatorId = 0 => "operator_id",
    }
}

/// Horizontal accuracy code (4 bits) of a Location message: a 95 % bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct HorizontalAccuracy(pub u8);

impl HorizontalAccuracy {
    const BOUNDS_M: [f64; 13] = [
        0.0, 18_520.0, 7_408.0, 3_704.0, 1_852.0, 926.0, 555.6, 185.2, 92.6, 30.0, 10.0, 3.0, 1.0,
    ];
    /// The 95 % bound in metres; `None` for unknown (0) or reserved (13–15) codes.
    pub fn bound_m(self) -> Option<f64> {
        match self.0 {
            1..=12 => Some(Self::BOUNDS_M[self.0 as usize]),
            _ => None,
        }
    }
    /// The finest code whose bound is at least `m` (0 for `None`).
    pub fn from_bound_m(m: Option<f64>) -> Self {
        match m {
            Some(m) if m.is_finite() => HorizontalAccuracy(
                (1..=12u8)
                    .rev()
                    .find(|&c| Self::BOUNDS_M[c as usize] >= m)
                    .unwrap_or(1),
            ),
            _ => HorizontalAccuracy(0),
        }
    }
}

/// Vertical (geodetic or barometric) accuracy code (4 bits): a 95 % bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct VerticalAccuracy(pub u8);

impl VerticalAccuracy {
    const BOUNDS_M: [f64; 7] = [0.0, 150.0, 45.0, 25.0, 10.0, 3.0, 1.0];
    /// The 95 % bound in metres; `None` for unknown (0) or reserved (7–15) codes.
    pub fn bound_m(self) -> Option<f64> {
        match self.0 {
            1..=6 => Some(Self::BOUNDS_M[self.0 as usize]),
            _ => None,
        }
    }
    /// The finest code whose bound is at least `m` (0 for `None`).
    pub fn from_bound_m(m: Option<f64>) -> Self {
        match m {
            Some(m) if m.is_finite() => VerticalAccuracy(
                (1..=6u8)
                    .rev()
                    .find(|&c| Self::BOUNDS_M[c as usize] >= m)
                    .unwrap_or(1),
            ),
            _ => VerticalAccuracy(0),
        }
    }
}

/// Speed accuracy code (4 bits): a 95 % bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SpeedAccuracy(pub u8);

impl SpeedAccuracy {
    const BOUNDS_MPS: [f64; 5] = [0.0, 10.0, 3.0, 1.0, 0.3];
    /// The 95 % bound in m/s; `None` for unknown (0) or reserved (5–15) codes.
    pub fn bound_mps(self) -> Option<f64> {
        match self.0 {
            1..=4 => Some(Self::BOUNDS_MPS[self.0 as usize]),
            _ => None,
        }
    }
    /// The finest code whose bound is at least `mps` (0 for `None`).
    pub fn from_bound_mps(mps: Option<f64>) -> Self {
        match mps {
            Some(v) if v.is_finite() => SpeedAccuracy(
                (1..=4u8)
                    .rev()
                    .find(|&c| Self::BOUNDS_MPS[c as usize] >= v)
                    .unwrap_or(1),
            ),
            _ => SpeedAccuracy(0),
        }
    }
}

fn serialize_h_acc<S: serde::Serializer>(a: &HorizontalAccuracy, s: S) -> Result<S::Ok, S::Error> {
    a.bound_m().serialize(s)
}
fn serialize_v_acc<S: serde::Serializer>(a: &VerticalAccuracy, s: S) -> Result<S::Ok, S::Error> {
    a.bound_m().serialize(s)
}
fn serialize_s_acc<S: serde::Serializer>(a: &SpeedAccuracy, s: S) -> Result<S::Ok, S::Error> {
    a.bound_mps().serialize(s)
}

#[inline]
fn u16_at(b: &[u8; MESSAGE_LEN], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
#[inline]
fn i32_at(b: &[u8; MESSAGE_LEN], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
#[inline]
fn u32_at(b: &[u8; MESSAGE_LEN], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Altitude / height: u16 × 0.5 − 1000 m; raw 0 (−1000 m) is "unknown".
#[inline]
fn decode_alt(raw: u16) -> Option<f64> {
    (raw != 0).then_some(raw as f64 * 0.5 - 1000.0)
}
#[inline]
fn encode_alt(m: Option<f64>) -> u16 {
    match m {
        Some(m) if m.is_finite() => ((m + 1000.0) * 2.0).round().clamp(1.0, 65535.0) as u16,
        _ => 0,
    }
}

/// A latitude/longitude pair (1e-7 degrees); both zero, or either out of range, is "unknown".
#[inline]
fn decode_lat_lon(lat_raw: i32, lon_raw: i32) -> (Option<f64>, Option<f64>) {
    if lat_raw == 0 && lon_raw == 0 {
        return (None, None);
    }
    let lat = lat_raw as f64 / 1e7;
    let lon = lon_raw as f64 / 1e7;
    if lat.abs() > 90.0 || lon.abs() > 180.0 {
        return (None, None);
    }
    (Some(lat), Some(lon))
}
#[inline]
fn encode_deg(d: Option<f64>) -> i32 {
    match d {
        Some(d) if d.is_finite() => {
            (d * 1e7).round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
        }
        _ => 0,
    }
}

fn decode_epoch_2019(raw: u32) -> Option<Timestamp> {
    // Zero would be 2019-01-01T00:00:00Z exactly: senders use it for "not set".
    (raw != 0).then(|| Timestamp::from_micros((EPOCH_2019_UNIX_S + raw as i64) * 1_000_000))
}
fn encode_epoch_2019(t: Option<Timestamp>) -> u32 {
    match t {
        Some(t) => (t.as_micros().div_euclid(1_000_000) - EPOCH_2019_UNIX_S)
            .clamp(0, u32::MAX as i64) as u32,
        None => 0,
    }
}

#[inline]
fn header(kind: MessageType, version: u8) -> u8 {
    (kind.code() << 4) | (version & 0x0F)
}

/// Basic ID: who the aircraft says it is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BasicId {
    /// Protocol version (low nibble of byte 0).
    pub protocol_version: u8,
    /// What kind of id `uas_id` is.
    pub id_type: IdType,
    /// Type of aircraft.
    pub ua_type: UaType,
    /// The id: 20 bytes of ASCII, NUL-padded (binary for some id types).
    pub uas_id: Text<20>,
}

impl BasicId {
    /// Decode from a 25-byte message (byte 0 is not checked).
    pub fn decode(b: &[u8; MESSAGE_LEN]) -> Self {
        let mut id = [0u8; 20];
        id.copy_from_slice(&b[2..22]);
        BasicId {
            protocol_version: b[0] & 0x0F,
            id_type: IdType::from_code(b[1] >> 4),
            ua_type: UaType::from_code(b[1] & 0x0F),
            uas_id: Text(id),
        }
    }
    /// Encode as a 25-byte message.
    pub fn encode(&self) -> [u8; MESSAGE_LEN] {
        let mut b = [0u8; MESSAGE_LEN];
        b[0] = header(MessageType::BasicId, self.protocol_version);
        b[1] = (self.id_type.code() << 4) | (self.ua_type.code() & 0x0F);
        b[2..22].copy_from_slice(&self.uas_id.0);
        b
    }
}

/// Location/Vector: where the aircraft is and how it moves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Location {
    /// Protocol version.
    pub protocol_version: u8,
    /// Operational status.
    pub status: OperationalStatus,
    /// Reference of `height_m`.
    pub height_type: HeightType,
    /// Track direction, degrees clockwise from true north, 0–359.
    pub direction_deg: Option<f64>,
    /// Ground speed, m/s (0.25 m/s steps to 63.75, then 0.75 m/s steps to 254.25).
    pub speed_horizontal_mps: Option<f64>,
    /// Vertical speed, m/s, positive up (0.5 m/s steps, ±62).
    pub speed_vertical_mps: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Pressure altitude (standard atmosphere, 29.92 inHg), metres.
    pub alt_baro_m: Option<f64>,
    /// Geodetic altitude (WGS-84 height above the ellipsoid), metres.
    pub alt_geo_m: Option<f64>,
    /// Height above the take-off point or the ground (`height_type`), metres.
    pub height_m: Option<f64>,
    /// Horizontal accuracy: 95 % bound, metres (serialised as `horizontal_accuracy_m`).
    #[serde(rename = "horizontal_accuracy_m", serialize_with = "serialize_h_acc")]
    pub horizontal_accuracy: HorizontalAccuracy,
    /// Geodetic vertical accuracy: 95 % bound, metres.
    #[serde(rename = "vertical_accuracy_m", serialize_with = "serialize_v_acc")]
    pub vertical_accuracy: VerticalAccuracy,
    /// Barometric altitude accuracy: 95 % bound, metres.
    #[serde(rename = "baro_accuracy_m", serialize_with = "serialize_v_acc")]
    pub baro_accuracy: VerticalAccuracy,
    /// Speed accuracy: 95 % bound, m/s.
    #[serde(rename = "speed_accuracy_mps", serialize_with = "serialize_s_acc")]
    pub speed_accuracy: SpeedAccuracy,
    /// Time of the position: seconds past the full UTC hour (0.1 s steps).
    pub timestamp_s: Option<f64>,
    /// Accuracy of `timestamp_s`, seconds (0.1–1.5).
    pub timestamp_accuracy_s: Option<f64>,
}

impl Location {
    /// Decode from a 25-byte message (byte 0 is not checked).
    pub fn decode(b: &[u8; MESSAGE_LEN]) -> Self {
        let flags = b[1];
        let ew = flags & 0x02 != 0;
        let speed_mult = flags & 0x01 != 0;
        let direction = b[2] as u16 + if ew { 180 } else { 0 };
        let speed_raw = b[3];
        let speed = match (speed_mult, speed_raw) {
            (true, 255) => None, // 255 m/s: "invalid, no value or unknown"
            (false, r) => Some(r as f64 * 0.25),
            (true, r) => Some(r as f64 * 0.75 + 63.75),
        };
        let vs = (b[4] as i8) as f64 * 0.5;
        let (lat, lon) = decode_lat_lon(i32_at(b, 5), i32_at(b, 9));
        let ts_raw = u16_at(b, 21);
        let ts_acc = b[23] & 0x0F;
        Location {
            protocol_version: b[0] & 0x0F,
            status: OperationalStatus::from_code(flags >> 4),
            height_type: HeightType::from_code((flags >> 2) & 0x01),
            direction_deg: (direction < 360).then_some(direction as f64),
            speed_horizontal_mps: speed,
            // 63 m/s is the sentinel; anything beyond ±62 is out of range.
            speed_vertical_mps: (vs.abs() <= 62.0).then_some(vs),
            lat,
            lon,
            alt_baro_m: decode_alt(u16_at(b, 13)),
            alt_geo_m: decode_alt(u16_at(b, 15)),
            height_m: decode_alt(u16_at(b, 17)),
            horizontal_accuracy: HorizontalAccuracy(b[19] & 0x0F),
            vertical_accuracy: VerticalAccuracy(b[19] >> 4),
            baro_accuracy: VerticalAccuracy(b[20] >> 4),
            speed_accuracy: SpeedAccuracy(b[20] & 0x0F),
            // 0xFFFF is the sentinel; 36000 and above would be past the hour.
            timestamp_s: (ts_raw < 36_000).then_some(ts_raw as f64 / 10.0),
            timestamp_accuracy_s: (ts_acc != 0).then_some(ts_acc as f64 / 10.0),
        }
    }

    /// Encode as a 25-byte message. Values are rounded to the nearest step and clamped to the
    /// field's range; `None` becomes the field's sentinel.
    pub fn encode(&self) -> [u8; MESSAGE_LEN] {
        let mut b = [0u8; MESSAGE_LEN];
        b[0] = header(MessageType::Location, self.protocol_version);
        let (dir_raw, ew) = match self.direction_deg {
            Some(d) if d.is_finite() => {
                let d = (d.round() as i64).rem_euclid(360) as u16;
                if d >= 180 {
                    ((d - 180) as u8, true)
                } else {
                    (d as u8, false)
                }
            }
            _ => (181, true), // 361: unknown
        };
        let (speed_raw, mult) = match self.speed_horizontal_mps {
            Some(s) if s.is_finite() => {
                let s = s.max(0.0);
                if s <= 63.75 {
                    ((s / 0.25).round() as u8, false)
                } else {
                    (((s - 63.75) / 0.75).round().min(254.0) as u8, true)
                }
            }
            _ => (255, true),
        };
        let vs_raw = match self.speed_vertical_mps {
            Some(v) if v.is_finite() => (v.clamp(-62.0, 62.0) * 2.0).round() as i8,
            _ => 126, // 63 m/s: unknown
        };
        b[1] = (self.status.code() << 4)
            | ((self.height_type.code() & 1) << 2)
            | ((ew as u8) << 1)
            | mult as u8;
        b[2] = dir_raw;
        b[3] = speed_raw;
        b[4] = vs_raw as u8;
        let (lat, lon) = match (self.lat, self.lon) {
            (Some(la), Some(lo)) => (encode_deg(Some(la)), encode_deg(Some(lo))),
            _ => (0, 0),
        };
        b[5..9].copy_from_slice(&lat.to_le_bytes());
        b[9..13].copy_from_slice(&lon.to_le_bytes());
        b[13..15].copy_from_slice(&encode_alt(self.alt_baro_m).to_le_bytes());
        b[15..17].copy_from_slice(&encode_alt(self.alt_geo_m).to_le_bytes());
        b[17..19].copy_from_slice(&encode_alt(self.height_m).to_le_bytes());
        b[19] = (self.vertical_accuracy.0 << 4) | (self.horizontal_accuracy.0 & 0x0F);
        b[20] = (self.baro_accuracy.0 << 4) | (self.speed_accuracy.0 & 0x0F);
        let ts = match self.timestamp_s {
            Some(t) if t.is_finite() => (t * 10.0).round().clamp(0.0, 35_999.0) as u16,
            _ => 0xFFFF,
        };
        b[21..23].copy_from_slice(&ts.to_le_bytes());
        b[23] = match self.timestamp_accuracy_s {
            Some(a) if a.is_finite() => (a * 10.0).round().clamp(1.0, 15.0) as u8,
            _ => 0,
        };
        b
    }
}

/// One page of an Authentication message.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AuthPage {
    /// Protocol version.
    pub protocol_version: u8,
    /// Authentication type.
    pub auth_type: AuthType,
    /// Page number (0–15).
    pub page: u8,
    /// Page 0 only: index of the last page.
    pub last_page_index: Option<u8>,
    /// Page 0 only: total length of the authentication data, bytes.
    pub length: Option<u8>,
    /// Page 0 only: time of the signature.
    pub timestamp: Option<Timestamp>,
    /// Authentication data carried by this page: 17 bytes on page 0, 23 on the others.
    #[serde(serialize_with = "serialize_page_data")]
    pub data: [u8; 23],
}

fn serialize_page_data<S: serde::Serializer>(d: &[u8; 23], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::fields::hex(d))
}

impl AuthPage {
    /// The bytes of authentication data this page carries (17 on page 0, 23 on the others).
    pub fn page_data(&self) -> &[u8] {
        if self.page == 0 {
            &self.data[..17]
        } else {
            &self.data
        }
    }
    /// Decode from a 25-byte message.
    pub fn decode(b: &[u8; MESSAGE_LEN]) -> Self {
        let page = b[1] & 0x0F;
        let mut data = [0u8; 23];
        if page == 0 {
            data[..17].copy_from_slice(&b[8..25]);
        } else {
            data.copy_from_slice(&b[2..25]);
        }
        AuthPage {
            protocol_version: b[0] & 0x0F,
            auth_type: AuthType::from_code(b[1] >> 4),
            page,
            last_page_index: (page == 0).then_some(b[2]),
            length: (page == 0).then_some(b[3]),
            timestamp: if page == 0 {
                decode_epoch_2019(u32_at(b, 4))
            } else {
                None
            },
            data,
        }
    }
    /// Encode as a 25-byte message.
    pub fn encode(&self) -> [u8; MESSAGE_LEN] {
        let mut b = [0u8; MESSAGE_LEN];
        b[0] = header(MessageType::Authentication, self.protocol_version);
        b[1] = (self.auth_type.code() << 4) | (self.page & 0x0F);
        if self.page == 0 {
            b[2] = self.last_page_index.unwrap_or(0);
            b[3] = self.length.unwrap_or(0);
            b[4..8].copy_from_slice(&encode_epoch_2019(self.timestamp).to_le_bytes());
            b[8..25].copy_from_slice(&self.data[..17]);
        } else {
            b[2..25].copy_from_slice(&self.data);
        }
        b
    }
}

/// Self-ID: a free-text description of the flight.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SelfId {
    /// Protocol version.
    pub protocol_version: u8,
    /// What the text describes.
    pub description_type: DescriptionType,
    /// The text (23 bytes, NUL-padded).
    pub description: Text<23>,
}

impl SelfId {
    /// Decode from a 25-byte message.
    pub fn decode(b: &[u8; MESSAGE_LEN]) -> Self {
        let mut t = [0u8; 23];
        t.copy_from_slice(&b[2..25]);
        SelfId {
            protocol_version: b[0] & 0x0F,
            description_type: DescriptionType::from_code(b[1]),
            description: Text(t),
        }
    }
    /// Encode as a 25-byte message.
    pub fn encode(&self) -> [u8; MESSAGE_LEN] {
        let mut b = [0u8; MESSAGE_LEN];
        b[0] = header(MessageType::SelfId, self.protocol_version);
        b[1] = self.description_type.code();
        b[2..25].copy_from_slice(&self.description.0);
        b
    }
}

/// System: where the operator is, the operating area, the aircraft's EU class.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct System {
    /// Protocol version.
    pub protocol_version: u8,
    /// Where the operator position comes from.
    pub operator_location_type: OperatorLocationType,
    /// Which classification `category_eu`/`class_eu` follow.
    pub classification_type: ClassificationType,
    /// Operator latitude, degrees.
    pub operator_lat: Option<f64>,
    /// Operator longitude, degrees.
    pub operator_lon: Option<f64>,
    /// Number of aircraft in the operating area (1 for a single aircraft; 0 is sent too).
    pub area_count: u16,
    /// Radius of the operating area, metres (10 m steps).
    pub area_radius_m: f64,
    /// Ceiling of the operating area (geodetic), metres.
    pub area_ceiling_m: Option<f64>,
    /// Floor of the operating area (geodetic), metres.
    pub area_floor_m: Option<f64>,
    /// EU category.
    pub category_eu: CategoryEu,
    /// EU class.
    pub class_eu: ClassEu,
    /// Operator geodetic altitude (WGS-84 HAE), metres.
    pub operator_alt_geo_m: Option<f64>,
    /// Time of the message (whole seconds).
    pub timestamp: Option<Timestamp>,
}

impl System {
    /// Decode from a 25-byte message.
    pub fn decode(b: &[u8; MESSAGE_LEN]) -> Self {
        let (lat, lon) = decode_lat_lon(i32_at(b, 2), i32_at(b, 6));
        System {
            protocol_version: b[0] & 0x0F,
            operator_location_type: OperatorLocationType::from_code(b[1] & 0x03),
            classification_type: ClassificationType::from_code((b[1] >> 2) & 0x07),
            operator_lat: lat,
            operator_lon: lon,
            area_count: u16_at(b, 10),
            area_radius_m: b[12] as f64 * 10.0,
            area_ceiling_m: decode_alt(u16_at(b, 13)),
            area_floor_m: decode_alt(u16_at(b, 15)),
            category_eu: CategoryEu::from_code(b[17] >> 4),
            class_eu: ClassEu::from_code(b[17] & 0x0F),
            operator_alt_geo_m: decode_alt(u16_at(b, 18)),
            timestamp: decode_epoch_2019(u32_at(b, 20)),
        }
    }
    /// Encode as a 25-byte message.
    pub fn encode(&self) -> [u8; MESSAGE_LEN] {
        let mut b = [0u8; MESSAGE_LEN];
        b[0] = header(MessageType::System, self.protocol_version);
        b[1] = ((self.classification_type.code() & 0x07) << 2)
            | (self.operator_location_type.code() & 0x03);
        let (lat, lon) = match (self.operator_lat, self.operator_lon) {
            (Some(la), Some(lo)) => (encode_deg(Some(la)), encode_deg(Some(lo))),
            _ => (0, 0),
        };
        b[2..6].copy_from_slice(&lat.to_le_bytes());
        b[6..10].copy_from_slice(&lon.to_le_bytes());
        b[10..12].copy_from_slice(&self.area_count.to_le_bytes());
        b[12] = if self.area_radius_m.is_finite() {
            (self.area_radius_m / 10.0).round().clamp(0.0, 255.0) as u8
        } else {
            0
        };
        b[13..15].copy_from_slice(&encode_alt(self.area_ceiling_m).to_le_bytes());
        b[15..17].copy_from_slice(&encode_alt(self.area_floor_m).to_le_bytes());
        b[17] = (self.category_eu.code() << 4) | (self.class_eu.code() & 0x0F);
        b[18..20].copy_from_slice(&encode_alt(self.operator_alt_geo_m).to_le_bytes());
        b[20..24].copy_from_slice(&encode_epoch_2019(self.timestamp).to_le_bytes());
        b
    }
}

/// Operator ID: the operator's registration number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OperatorId {
    /// Protocol version.
    pub protocol_version: u8,
    /// What kind of id.
    pub operator_id_type: OperatorIdType,
    /// The id (20 bytes ASCII, NUL-padded).
    pub operator_id: Text<20>,
}

impl OperatorId {
    /// Decode from a 25-byte message.
    pub fn decode(b: &[u8; MESSAGE_LEN]) -> Self {
        let mut t = [0u8; 20];
        t.copy_from_slice(&b[2..22]);
        OperatorId {
            protocol_version: b[0] & 0x0F,
            operator_id_type: OperatorIdType::from_code(b[1]),
            operator_id: Text(t),
        }
    }
    /// Encode as a 25-byte message.
    pub fn encode(&self) -> [u8; MESSAGE_LEN] {
        let mut b = [0u8; MESSAGE_LEN];
        b[0] = header(MessageType::OperatorId, self.protocol_version);
        b[1] = self.operator_id_type.code();
        b[2..22].copy_from_slice(&self.operator_id.0);
        b
    }
}

/// A message of a type the standard does not define (6–14): kept whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownMessage {
    /// The message type code.
    pub message_type_code: u8,
    /// Protocol version.
    pub protocol_version: u8,
    /// All 25 bytes.
    #[serde(serialize_with = "serialize_raw25")]
    pub raw: [u8; MESSAGE_LEN],
}

fn serialize_raw25<S: serde::Serializer>(d: &[u8; MESSAGE_LEN], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::fields::hex(d))
}

/// A Message Pack: up to ten messages sent together.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessagePack {
    /// Protocol version of the pack header.
    pub protocol_version: u8,
    /// The messages, in order.
    pub messages: Vec<Message>,
}

impl MessagePack {
    /// Decode a pack: header byte, message size (25), count, then the messages. Bytes after
    /// the declared messages are ignored (Bluetooth and NAN frames may pad). A pack cut short
    /// is an error; see [`MessagePack::decode_lenient`] to keep its complete messages.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        match Self::decode_lenient(b)? {
            (pack, None) => Ok(pack),
            (_, Some(defect)) => Err(defect),
        }
    }

    /// Like [`MessagePack::decode`], but a pack that declares more messages than its bytes
    /// hold still yields the complete messages it does hold, with the truncation reported
    /// beside them. (Spoofing tools have been seen to get the element length wrong; what the
    /// frame does say is evidence worth keeping.) Bad headers and nested packs are errors.
    pub fn decode_lenient(b: &[u8]) -> Result<(Self, Option<DecodeError>), DecodeError> {
        if b.len() < 3 {
            return Err(DecodeError::TooShort(b.len()));
        }
        if b[1] as usize != MESSAGE_LEN {
            return Err(DecodeError::PackMessageSize(b[1]));
        }
        let count = b[2];
        if count as usize > MAX_PACK_MESSAGES {
            return Err(DecodeError::PackTooManyMessages(count));
        }
        let needed = 3 + count as usize * MESSAGE_LEN;
        let defect = (b.len() < needed).then_some(DecodeError::PackTruncated {
            declared: count,
            needed,
            available: b.len(),
        });
        let body = &b[3..needed.min(b.len())];
        let mut messages = Vec::with_capacity(count as usize);
        for chunk in body.chunks_exact(MESSAGE_LEN) {
            let arr: &[u8; MESSAGE_LEN] = chunk
                .try_into()
                .map_err(|_| DecodeError::TooShort(chunk.len()))?;
            if arr[0] >> 4 == MessageType::MessagePack.code() {
                return Err(DecodeError::NestedPack);
            }
            messages.push(Message::decode_single(arr));
        }
        Ok((
            MessagePack {
                protocol_version: b[0] & 0x0F,
                messages,
            },
            defect,
        ))
    }

    /// Encode the pack (3 + 25 × n bytes).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        if self.messages.len() > MAX_PACK_MESSAGES {
            return Err(EncodeError::PackTooLarge(self.messages.len()));
        }
        let mut out = Vec::with_capacity(3 + MESSAGE_LEN * self.messages.len());
        out.push(header(MessageType::MessagePack, self.protocol_version));
        out.push(MESSAGE_LEN as u8);
        out.push(self.messages.len() as u8);
        for m in &self.messages {
            out.extend_from_slice(&m.encode().map_err(|_| EncodeError::NestedPack)?);
        }
        Ok(out)
    }
}

/// A validated Message Pack over borrowed bytes: decodes its messages one by one without
/// allocating (the hot path of a receiver that handles each message as it comes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackView<'a> {
    /// Protocol version of the pack header.
    pub protocol_version: u8,
    body: &'a [u8],
}

impl<'a> PackView<'a> {
    /// Check a pack's header and length; see [`MessagePack::decode`] for the rules.
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        if b.len() < 3 {
            return Err(DecodeError::TooShort(b.len()));
        }
        if b[1] as usize != MESSAGE_LEN {
            return Err(DecodeError::PackMessageSize(b[1]));
        }
        let count = b[2];
        if count as usize > MAX_PACK_MESSAGES {
            return Err(DecodeError::PackTooManyMessages(count));
        }
        let needed = 3 + count as usize * MESSAGE_LEN;
        let body = b.get(3..needed).ok_or(DecodeError::PackTruncated {
            declared: count,
            needed,
            available: b.len(),
        })?;
        if body.chunks_exact(MESSAGE_LEN).any(|m| m[0] >> 4 == 0xF) {
            return Err(DecodeError::NestedPack);
        }
        Ok(PackView {
            protocol_version: b[0] & 0x0F,
            body,
        })
    }
    /// Number of messages.
    pub fn len(&self) -> usize {
        self.body.len() / MESSAGE_LEN
    }
    /// True for a pack of no messages.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }
    /// The messages, decoded as they are iterated.
    pub fn messages(&self) -> impl Iterator<Item = Message> + 'a {
        self.body
            .chunks_exact(MESSAGE_LEN)
            .filter_map(|c| <&[u8; MESSAGE_LEN]>::try_from(c).ok())
            .map(Message::decode_single)
    }
}

/// Any Remote ID message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "message_type", rename_all = "snake_case")]
pub enum Message {
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
    /// Message Pack.
    MessagePack(MessagePack),
    /// Undefined message type, kept whole.
    Unknown(UnknownMessage),
}

impl Message {
    /// Decode one 25-byte message. A pack header here (a pack does not fit in 25 bytes with
    /// its messages) decodes as [`Message::Unknown`]; use [`Message::decode`] for packs.
    pub fn decode_single(b: &[u8; MESSAGE_LEN]) -> Message {
        match b[0] >> 4 {
            0 => Message::BasicId(BasicId::decode(b)),
            1 => Message::Location(Location::decode(b)),
            2 => Message::Authentication(AuthPage::decode(b)),
            3 => Message::SelfId(SelfId::decode(b)),
            4 => Message::System(System::decode(b)),
            5 => Message::OperatorId(OperatorId::decode(b)),
            t => Message::Unknown(UnknownMessage {
                message_type_code: t,
                protocol_version: b[0] & 0x0F,
                raw: *b,
            }),
        }
    }

    /// Decode a message or a Message Pack from the start of `b` (extra bytes are ignored).
    pub fn decode(b: &[u8]) -> Result<Message, DecodeError> {
        if b.first()
            .is_some_and(|h| h >> 4 == MessageType::MessagePack.code())
        {
            return MessagePack::decode(b).map(Message::MessagePack);
        }
        let arr: &[u8; MESSAGE_LEN] = b
            .get(..MESSAGE_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(DecodeError::TooShort(b.len()))?;
        Ok(Message::decode_single(arr))
    }

    /// Encode a single (non-pack) message as 25 bytes.
    pub fn encode(&self) -> Result<[u8; MESSAGE_LEN], EncodeError> {
        Ok(match self {
            Message::BasicId(m) => m.encode(),
            Message::Location(m) => m.encode(),
            Message::Authentication(m) => m.encode(),
            Message::SelfId(m) => m.encode(),
            Message::System(m) => m.encode(),
            Message::OperatorId(m) => m.encode(),
            Message::Unknown(m) => m.raw,
            Message::MessagePack(_) => return Err(EncodeError::PackIsNotSingle),
        })
    }

    /// Encode any message; a pack as its full length.
    pub fn encode_to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        match self {
            Message::MessagePack(p) => p.encode(),
            m => m.encode().map(|a| a.to_vec()),
        }
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::BasicId(_) => MessageType::BasicId,
            Message::Location(_) => MessageType::Location,
            Message::Authentication(_) => MessageType::Authentication,
            Message::SelfId(_) => MessageType::SelfId,
            Message::System(_) => MessageType::System,
            Message::OperatorId(_) => MessageType::OperatorId,
            Message::MessagePack(_) => MessageType::MessagePack,
            Message::Unknown(u) => MessageType::from_code(u.message_type_code),
        }
    }

    /// The protocol version the message was sent with.
    pub fn protocol_version(&self) -> u8 {
        match self {
            Message::BasicId(m) => m.protocol_version,
            Message::Location(m) => m.protocol_version,
            Message::Authentication(m) => m.protocol_version,
            Message::SelfId(m) => m.protocol_version,
            Message::System(m) => m.protocol_version,
            Message::OperatorId(m) => m.protocol_version,
            Message::MessagePack(m) => m.protocol_version,
            Message::Unknown(m) => m.protocol_version,
        }
    }

    /// The messages this stands for: a pack's contents, or the message itself.
    pub fn flatten(&self) -> &[Message] {
        match self {
            Message::MessagePack(p) => &p.messages,
            m => std::slice::from_ref(m),
        }
    }
}
