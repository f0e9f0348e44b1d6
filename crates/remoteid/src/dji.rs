//! DJI's proprietary Wi-Fi DroneID: a vendor element with OUI 26:37:12 in the beacons of
//! older DJI drones (Mavic Pro / Air / 2, Spark, Mini).
//!
//! DJI never published the format. What is decoded here is what independent analyses agree
//! on (Freek van Tienen and Jan Dumon's reverse engineering as used by Kismet; the Mavic Air 2
//! parser of RemoteIDReceiver): after the vendor type 0x58 and two further bytes, a
//! subcommand 0x10 carries flight telemetry ("flight info") in a version-1 or version-2
//! layout. Positions are radians × 10⁷; height is in decimetres; speeds in cm/s; angles in
//! hundredths of a degree. Anything else (subcommand 0x11 "flight purpose", other versions) is
//! kept raw.

use crate::fields::{HexBytes, Text};
use picket_core::Timestamp;
use serde::Serialize;

/// DJI's DroneID OUI.
pub const DJI_OUI: [u8; 3] = [0x26, 0x37, 0x12];
/// The vendor type byte of DroneID elements.
pub const DJI_VENDOR_TYPE: u8 = 0x58;
/// Subcommand of flight telemetry.
pub const SUBCOMMAND_FLIGHT_INFO: u8 = 0x10;
/// Subcommand of the user-entered flight purpose.
pub const SUBCOMMAND_FLIGHT_PURPOSE: u8 = 0x11;

/// A decoded DroneID element.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "message_type", rename_all = "snake_case")]
pub enum DjiDroneId {
    /// Flight telemetry (subcommand 0x10, versions 1 and 2).
    DjiFlightInfo(Box<DjiFlightInfo>),
    /// Anything else, kept raw.
    DjiOther(DjiOther),
}

/// A DroneID element Picket does not decode.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DjiOther {
    /// Subcommand byte (0x11 = flight purpose), when present.
    pub subcommand: Option<u8>,
    /// Record version byte, when present.
    pub version: Option<u8>,
    /// Serial number, when the record starts with one (flight purpose).
    pub serial: Option<Text<16>>,
    /// The element's bytes after the OUI.
    pub raw: HexBytes,
}

/// DJI flight telemetry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DjiFlightInfo {
    /// Record version (1 or 2).
    pub version: u8,
    /// Sequence number.
    pub sequence: u16,
    /// State bits (bit 0 serial valid, 4 motors on, 5 in air, 6 GNSS valid, ...).
    pub state_bits: u16,
    /// True when the state says the motors run.
    pub motor_on: bool,
    /// True when the state says the aircraft is in the air.
    pub in_air: bool,
    /// Serial number.
    pub serial: Text<16>,
    /// Latitude, degrees (`None` when 0/0).
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Altitude, metres (reference not documented; barometric above take-off is likely).
    pub alt_m: f64,
    /// Height above take-off, metres.
    pub height_m: f64,
    /// Velocity north, m/s.
    pub v_north_mps: f64,
    /// Velocity east, m/s.
    pub v_east_mps: f64,
    /// Velocity up, m/s.
    pub v_up_mps: f64,
    /// Yaw / heading, degrees.
    pub yaw_deg: f64,
    /// Pitch, degrees (version 1 only).
    pub pitch_deg: Option<f64>,
    /// Roll, degrees (version 1 only).
    pub roll_deg: Option<f64>,
    /// Time from the remote controller's app (version 2 only).
    pub app_time: Option<Timestamp>,
    /// Pilot latitude, degrees (version 2 only).
    pub pilot_lat: Option<f64>,
    /// Pilot longitude, degrees (version 2 only).
    pub pilot_lon: Option<f64>,
    /// Home point latitude, degrees.
    pub home_lat: Option<f64>,
    /// Home point longitude, degrees.
    pub home_lon: Option<f64>,
    /// Product type code.
    pub product_type: u8,
    /// UUID (user-set, may be empty).
    pub uuid: Text<20>,
    /// The element's bytes after the OUI.
    pub raw: HexBytes,
}

fn rad_e7_pair(lat_raw: i32, lon_raw: i32) -> (Option<f64>, Option<f64>) {
    if lat_raw == 0 && lon_raw == 0 {
        return (None, None);
    }
    let lat = (lat_raw as f64 / 1e7).to_degrees();
    let lon = (lon_raw as f64 / 1e7).to_degrees();
    if lat.abs() > 90.0 || lon.abs() > 180.0 {
        return (None, None);
    }
    (Some(lat), Some(lon))
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let v: [u8; N] = self.b.get(self.at..self.at + N)?.try_into().ok()?;
        self.at += N;
        Some(v)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|a| a[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take::<2>().map(u16::from_le_bytes)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take::<2>().map(i16::from_le_bytes)
    }
    fn i32(&mut self) -> Option<i32> {
        self.take::<4>().map(i32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take::<8>().map(u64::from_le_bytes)
    }
}

/// Decode the bytes after the OUI of a DroneID vendor element. `None` when the vendor type is
/// not 0x58 (not DroneID).
pub fn decode(after_oui: &[u8]) -> Option<DjiDroneId> {
    if after_oui.first() != Some(&DJI_VENDOR_TYPE) {
        return None;
    }
    let raw = HexBytes(after_oui.to_vec());
    let subcommand = after_oui.get(3).copied();
    let version = after_oui.get(4).copied();
    if subcommand == Some(SUBCOMMAND_FLIGHT_INFO) {
        if let Some(info) = flight_info(after_oui, raw.clone()) {
            return Some(DjiDroneId::DjiFlightInfo(Box::new(info)));
        }
    }
    let serial = (subcommand == Some(SUBCOMMAND_FLIGHT_PURPOSE))
        .then(|| after_oui.get(4..20)?.try_into().ok().map(Text))
        .flatten();
    Some(DjiDroneId::DjiOther(DjiOther {
        subcommand,
        version,
        serial,
        raw,
    }))
}

fn flight_info(b: &[u8], raw: HexBytes) -> Option<DjiFlightInfo> {
    let mut r = Reader { b, at: 4 };
    let version = r.u8()?;
    if version != 1 && version != 2 {
        return None;
    }
    let sequence = r.u16()?;
    let state_bits = r.u16()?;
    let serial = Text(r.take::<16>()?);
    let lon_raw = r.i32()?;
    let lat_raw = r.i32()?;
    let alt_m = r.i16()? as f64;
    let height_m = r.i16()? as f64 / 10.0;
    let v_north_mps = r.i16()? as f64 / 100.0;
    let v_east_mps = r.i16()? as f64 / 100.0;
    let v_up_mps = r.i16()? as f64 / 100.0;
    let (mut pitch_deg, mut roll_deg, mut app_time, mut pilot) = (None, None, None, (None, None));
    let yaw_deg;
    if version == 1 {
        pitch_deg = Some(r.i16()? as f64 / 100.0);
        roll_deg = Some(r.i16()? as f64 / 100.0);
        yaw_deg = r.i16()? as f64 / 100.0;
    } else {
        yaw_deg = r.i16()? as f64 / 100.0;
        let ms = r.u64()?;
        app_time = (ms != 0 && ms < i64::MAX as u64 / 1000)
            .then(|| Timestamp::from_micros(ms as i64 * 1000));
        let plat = r.i32()?;
        let plon = r.i32()?;
        pilot = rad_e7_pair(plat, plon);
    }
    let home_lon_raw = r.i32()?;
    let home_lat_raw = r.i32()?;
    let product_type = r.u8()?;
    let _uuid_len = r.u8()?;
    let uuid = r.take::<20>().map(Text).unwrap_or_default();
    let (lat, lon) = rad_e7_pair(lat_raw, lon_raw);
    let (home_lat, home_lon) = rad_e7_pair(home_lat_raw, home_lon_raw);
    Some(DjiFlightInfo {
        version,
        sequence,
        state_bits,
        motor_on: state_bits & 0x10 != 0,
        in_air: state_bits & 0x20 != 0,
        serial,
        lat,
        lon,
        alt_m,
        height_m,
        v_north_mps,
        v_east_mps,
        v_up_mps,
        yaw_deg,
        pitch_deg,
        roll_deg,
        app_time,
        pilot_lat: pilot.0,
        pilot_lon: pilot.1,
        home_lat,
        home_lon,
        product_type,
        uuid,
        raw,
    })
}
