//! The French "signalement électronique" beacon (arrêté du 27 décembre 2019): a Wi-Fi vendor
//! element with OUI 6A:5C:35, vendor type 1, then type-length-value fields, big-endian.

use crate::fields::{HexBytes, Text};
use serde::Serialize;

/// OUI of the French beacon (SGDSN).
pub const FRENCH_OUI: [u8; 3] = [0x6A, 0x5C, 0x35];
/// Its vendor type.
pub const FRENCH_VENDOR_TYPE: u8 = 0x01;

/// A decoded French beacon.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct FrenchBeacon {
    /// Protocol version (TLV 1).
    pub protocol_version: Option<u8>,
    /// French id: manufacturer trigram, model and serial (TLV 2, 30 bytes).
    pub french_id: Option<Text<30>>,
    /// ANSI/CTA-2063 serial (TLV 3).
    pub uas_id: Option<Text<20>>,
    /// Latitude, degrees (TLV 4, 1e-5°).
    pub lat: Option<f64>,
    /// Longitude, degrees (TLV 5).
    pub lon: Option<f64>,
    /// Altitude above mean sea level, metres (TLV 6).
    pub alt_msl_m: Option<f64>,
    /// Height above the take-off point, metres (TLV 7).
    pub height_m: Option<f64>,
    /// Take-off latitude, degrees (TLV 8).
    pub home_lat: Option<f64>,
    /// Take-off longitude, degrees (TLV 9).
    pub home_lon: Option<f64>,
    /// Ground speed, m/s (TLV 10).
    pub speed_horizontal_mps: Option<f64>,
    /// True course, degrees (TLV 11).
    pub direction_deg: Option<f64>,
    /// TLVs of types Picket does not know, as `type:hex`.
    pub unknown_fields: Vec<String>,
    /// True when a TLV ran past the end of the element (the rest was ignored).
    pub truncated: bool,
}

/// Cap on kept unknown TLVs (a 255-byte element holds at most 127).
const MAX_UNKNOWN: usize = 128;

fn be_int(v: &[u8]) -> Option<i64> {
    match v.len() {
        1 => Some(v[0] as i8 as i64),
        2 => Some(i16::from_be_bytes([v[0], v[1]]) as i64),
        4 => Some(i32::from_be_bytes([v[0], v[1], v[2], v[3]]) as i64),
        _ => None,
    }
}

fn text<const N: usize>(v: &[u8]) -> Text<N> {
    let mut t = [0u8; N];
    let n = v.len().min(N);
    t[..n].copy_from_slice(&v[..n]);
    Text(t)
}

/// Decode the bytes after the OUI of a French beacon element. `None` when the vendor type is
/// not 1.
pub fn decode(after_oui: &[u8]) -> Option<FrenchBeacon> {
    let (&vtype, mut rest) = after_oui.split_first()?;
    if vtype != FRENCH_VENDOR_TYPE {
        return None;
    }
    let mut out = FrenchBeacon::default();
    while let [t, l, tail @ ..] = rest {
        let Some(v) = tail.get(..*l as usize) else {
            out.truncated = true;
            break;
        };
        rest = &tail[*l as usize..];
        let deg = || be_int(v).map(|x| x as f64 / 1e5);
        match t {
            1 => out.protocol_version = v.first().copied(),
            2 => out.french_id = Some(text(v)),
            3 => out.uas_id = Some(text(v)),
            4 => out.lat = deg().filter(|d| d.abs() <= 90.0),
            5 => out.lon = deg().filter(|d| d.abs() <= 180.0),
            6 => out.alt_msl_m = be_int(v).map(|x| x as f64),
            7 => out.height_m = be_int(v).map(|x| x as f64),
            8 => out.home_lat = deg().filter(|d| d.abs() <= 90.0),
            9 => out.home_lon = deg().filter(|d| d.abs() <= 180.0),
            10 => out.speed_horizontal_mps = v.first().map(|&s| s as f64),
            11 => {
                out.direction_deg = be_int(v)
                    .map(|x| x as f64)
                    .filter(|d| (0.0..360.0).contains(d))
            }
            _ if out.unknown_fields.len() < MAX_UNKNOWN => out
                .unknown_fields
                .push(format!("{t}:{}", crate::fields::hex(v))),
            _ => {}
        }
    }
    Some(out)
}

/// Encode a French beacon element (`DD len 6A 5C 35 01 TLVs`) from its fields; for tests and
/// the simulator. Unset fields are left out.
pub fn encode_element(b: &FrenchBeacon) -> Vec<u8> {
    let mut tlv: Vec<u8> = Vec::new();
    let mut put = |t: u8, v: &[u8]| {
        tlv.push(t);
        tlv.push(v.len() as u8);
        tlv.extend_from_slice(v);
    };
    let deg = |d: f64| ((d * 1e5).round() as i32).to_be_bytes();
    if let Some(v) = b.protocol_version {
        put(1, &[v]);
    }
    if let Some(id) = &b.french_id {
        put(2, &id.0);
    }
    if let Some(id) = &b.uas_id {
        put(3, id.visible());
    }
    if let Some(d) = b.lat {
        put(4, &deg(d));
    }
    if let Some(d) = b.lon {
        put(5, &deg(d));
    }
    if let Some(a) = b.alt_msl_m {
        put(6, &(a.round() as i16).to_be_bytes());
    }
    if let Some(a) = b.height_m {
        put(7, &(a.round() as i16).to_be_bytes());
    }
    if let Some(d) = b.home_lat {
        put(8, &deg(d));
    }
    if let Some(d) = b.home_lon {
        put(9, &deg(d));
    }
    if let Some(s) = b.speed_horizontal_mps {
        put(10, &[s.round().clamp(0.0, 255.0) as u8]);
    }
    if let Some(c) = b.direction_deg {
        put(11, &(c.round() as i16).to_be_bytes());
    }
    let mut out = vec![221, (4 + tlv.len()) as u8];
    out.extend_from_slice(&FRENCH_OUI);
    out.push(FRENCH_VENDOR_TYPE);
    out.extend_from_slice(&tlv);
    out
}

/// Raw bytes of an element, for records that keep them.
pub fn raw(after_oui: &[u8]) -> HexBytes {
    HexBytes(after_oui.to_vec())
}
