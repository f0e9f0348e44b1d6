//! Remote ID live from field receivers, over UDP datagrams or MQTT messages (one payload each).
//!
//! A payload is one of (schema: `docs/schemas/remoteid-input.schema.json`, prose:
//! `docs/remoteid-input.md`):
//! * **a radiotap frame** (binary, first byte 0x00): one 802.11 frame as a monitor-mode Wi-Fi
//!   card captures it (DLT 127) — the over-the-air bytes, decoded like a capture's;
//! * **a pcap or pcapng capture** (binary, by its magic number): every packet of any link type
//!   `picket decode` reads (radiotap, 802.11, Nordic BLE sniffer, BLE link layer);
//! * **JSON lines** (first byte `{`): each object either carries raw bytes (`frame_hex` /
//!   `frame_b64` with a `link_type`, or a transport payload `payload_hex` / `payload_b64` with
//!   its `transport`), or messages a receiver decoded itself (`message` / `messages`, the
//!   record of `picket decode`, so its output can be fed back in).
//!
//! Everything found becomes `DecodeRecord`s and goes through one [`Assembler`] per sensor.
//! Hostile input is counted through the `InputSink` (reason and detail) and never stops the
//! input; sizes are bounded before anything is allocated for them.

use picket_core::{GeoPoint, Input, Observation, SensorId, Timestamp};
use picket_pcap::{LinkType, MacAddr};
use picket_pipeline::Backoff;
use picket_pipeline::{AdapterContext, InputSink, LiveAdapter};
use picket_remoteid::capture::{
    scan_ble_adv_data, Found, FrameDecode, Integrity, RadioMeta, RecordBuilder,
};
use picket_remoteid::fields::Text;
use picket_remoteid::message::{
    CategoryEu, ClassEu, ClassificationType, DescriptionType, HeightType, HorizontalAccuracy,
    IdType, OperationalStatus, OperatorIdType, OperatorLocationType, SpeedAccuracy, UaType,
    VerticalAccuracy,
};
use picket_remoteid::transport::{self, Transport, ODID_OUI};
use picket_remoteid::{
    Assembler, BasicId, DecodeRecord, Location, ObservationContext, OperatorId, QuarantineReason,
    RecordMessage, SelfId, System,
};
use serde_json::{Map, Value};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Largest payload (datagram or MQTT message) decoded, bytes; larger ones are rejected whole.
pub const MAX_PAYLOAD_BYTES: usize = 65_536;
/// Most JSON lines decoded from one payload; the rest are rejected with one count.
pub const MAX_RECORDS_PER_PAYLOAD: usize = 512;
/// A record's own `time` is used when it is at most this far ahead of its reception, seconds
/// (receivers' clocks drift a little; a far-future time would drag fusion's clock).
pub const MAX_RECORD_TIME_AHEAD_S: f64 = 5.0;
/// A record's own `time` is used when it is at most this far behind its reception, seconds
/// (a receiver that buffered through a link outage); older ones get the reception time.
pub const MAX_RECORD_TIME_BEHIND_S: f64 = 300.0;

/// The MQTT client refuses (and drops the connection on) packets larger than this; anything
/// between [`MAX_PAYLOAD_BYTES`] and this is counted and skipped.
const MAX_MQTT_PACKET_BYTES: usize = 1 << 20;

/// One thing in a payload that could not be used: counted per `reason`, logged with `detail`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// Short, fixed reason (a metric label).
    pub reason: &'static str,
    /// What exactly, in words.
    pub detail: String,
}

fn rejected(reason: &'static str, detail: impl Into<String>) -> Rejected {
    Rejected {
        reason,
        detail: detail.into(),
    }
}

/// A payload of `len` bytes, more than [`MAX_PAYLOAD_BYTES`].
fn too_large(len: usize) -> Rejected {
    rejected(
        "too large",
        format!("payload of {len} bytes (at most {MAX_PAYLOAD_BYTES})"),
    )
}

/// One receiver's decoding state: authentication pages per sender, the assembly of aircraft
/// across frames. Pure (no I/O, no clock: reception times are arguments).
#[derive(Debug)]
pub struct RemoteIdLiveDecoder {
    builder: RecordBuilder,
    assembler: Assembler,
    frame: u64,
    records: Vec<DecodeRecord>,
}

impl RemoteIdLiveDecoder {
    /// A decoder for the receiver `sensor_id`, standing at `receiver_position` when known (the
    /// signal-strength plausibility check needs it).
    pub fn new(sensor_id: SensorId, receiver_position: Option<GeoPoint>) -> Self {
        let mut context = ObservationContext::new(sensor_id);
        context.receiver_position = receiver_position;
        RemoteIdLiveDecoder {
            builder: RecordBuilder::new(),
            assembler: Assembler::new(context),
            frame: 0,
            records: Vec::new(),
        }
    }

    /// Decode one payload received at `received`: observations to `out`, problems to
    /// `rejects`. Never panics; work is bounded by the payload's length.
    pub fn decode(
        &mut self,
        received: Timestamp,
        payload: &[u8],
        out: &mut Vec<Observation>,
        rejects: &mut Vec<Rejected>,
    ) {
        self.records.clear();
        if payload.len() > MAX_PAYLOAD_BYTES {
            rejects.push(too_large(payload.len()));
            return;
        }
        let first = payload.iter().find(|b| !b.is_ascii_whitespace()).copied();
        match (payload.first(), first) {
            (None, _) => rejects.push(rejected("empty", "empty payload")),
            (Some(0x00), _) => {
                if let Err(e) = self.raw_frame(received, None, LinkType::RADIOTAP, payload, None) {
                    rejects.push(e);
                }
            }
            (Some(_), _) if is_capture(payload) => self.capture(received, payload, rejects),
            (_, Some(b'{')) => self.json_lines(received, payload, rejects),
            (Some(b), _) => rejects.push(rejected(
                "unknown payload",
                format!(
                    "payload starts with byte 0x{b:02x}: not a radiotap frame (0x00), a pcap/pcapng \
                     capture or JSON (`{{`)"
                ),
            )),
        }
        self.finish(out, rejects);
    }

    /// Quarantined records are counted; the rest go to assembly.
    fn finish(&mut self, out: &mut Vec<Observation>, rejects: &mut Vec<Rejected>) {
        for r in &self.records {
            if let Some(q) = &r.quarantine {
                rejects.push(rejected("quarantined", q.detail.clone()));
            }
        }
        if !self.records.is_empty() {
            self.assembler.push(&self.records, out);
        }
    }

    fn next_frame(&mut self) -> u64 {
        self.frame += 1;
        self.frame
    }

    fn raw_frame(
        &mut self,
        received: Timestamp,
        time: Option<Timestamp>,
        link_type: LinkType,
        bytes: &[u8],
        radio: Option<&RadioOverride>,
    ) -> Result<(), Rejected> {
        let mut decoded = picket_remoteid::decode_frame(link_type, bytes)
            .map_err(|e| rejected("frame", e.to_string()))?;
        if let Some(r) = radio {
            r.apply(&mut decoded);
        }
        let frame = self.next_frame();
        let time = sane_time(time, received);
        self.builder
            .records(frame, Some(time), &decoded, &mut self.records);
        Ok(())
    }

    fn capture(&mut self, received: Timestamp, bytes: &[u8], rejects: &mut Vec<Rejected>) {
        let packets = match picket_pcap::packets(bytes) {
            Ok(p) => p,
            Err(e) => return rejects.push(rejected("capture", e.to_string())),
        };
        for p in packets {
            let p = match p {
                Ok(p) => p,
                Err(e) => return rejects.push(rejected("capture", e.to_string())),
            };
            let time = p
                .timestamp_ns
                .map(|ns| Timestamp::from_micros(ns.div_euclid(1000)));
            if let Err(e) = self.raw_frame(received, time, p.link_type, p.data, None) {
                rejects.push(e);
            }
        }
    }

    fn json_lines(&mut self, received: Timestamp, payload: &[u8], rejects: &mut Vec<Rejected>) {
        // Consecutive decoded records with the same `frame` and `mac` are one broadcast (a pack).
        let mut group: Option<(u64, Option<MacAddr>, u64)> = None;
        let mut lines = payload
            .split(|&b| b == b'\n')
            .filter(|l| l.iter().any(|b| !b.is_ascii_whitespace()));
        for (n, line) in lines.by_ref().enumerate() {
            if n == MAX_RECORDS_PER_PAYLOAD {
                rejects.push(rejected(
                    "too many records",
                    format!("more than {MAX_RECORDS_PER_PAYLOAD} JSON lines in one payload: the rest are dropped"),
                ));
                break;
            }
            let obj = match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(o)) => o,
                Ok(_) => {
                    rejects.push(rejected("json", "a record must be a JSON object"));
                    continue;
                }
                Err(e) => {
                    rejects.push(rejected("json", e.to_string()));
                    continue;
                }
            };
            if let Err(e) = self.json_record(received, &obj, &mut group) {
                rejects.push(e);
            }
        }
    }

    fn json_record(
        &mut self,
        received: Timestamp,
        o: &Map<String, Value>,
        group: &mut Option<(u64, Option<MacAddr>, u64)>,
    ) -> Result<(), Rejected> {
        let bad = |detail: String| rejected("record", detail);
        let time = match o.get("time") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(Timestamp::parse_rfc3339(s).map_err(|e| {
                bad(format!(
                    "`time`: {e} (RFC 3339, e.g. 2024-10-07T13:22:54.047Z)"
                ))
            })?),
            Some(_) => return Err(bad("`time` must be an RFC 3339 string".into())),
        };
        let radio = RadioOverride::from_json(o).map_err(bad)?;
        let transport = match o.get("transport") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                transport_named(s).ok_or_else(|| bad(format!("`transport` \"{}\" is not one of wifi_beacon, wifi_nan, ble4, ble5, ble_legacy, ble_long_range, dji, french", clip(s))))?,
            ),
            Some(_) => return Err(bad("`transport` must be a string".into())),
        };
        if let Some(q) = o.get("quarantine").filter(|v| !v.is_null()) {
            // A `picket decode` quarantine record: the receiver's radio said the frame is bad.
            let detail = q
                .get("detail")
                .and_then(Value::as_str)
                .or_else(|| q.get("reason").and_then(Value::as_str))
                .unwrap_or("quarantined by the receiver");
            return Err(rejected("quarantined", clip(detail).to_owned()));
        }
        if let Some(bytes) = bytes_field(o, "frame").map_err(bad)? {
            let link_type = link_type(o).map_err(bad)?;
            return self.raw_frame(received, time, link_type, &bytes, Some(&radio));
        }
        if let Some(bytes) = bytes_field(o, "payload").map_err(bad)? {
            let transport = transport.ok_or_else(|| {
                bad("`payload_hex`/`payload_b64` needs `transport` (wifi_beacon, wifi_nan, ble4, ble5)".into())
            })?;
            let found = transport_payload(transport, &bytes).map_err(bad)?;
            let mut decoded = FrameDecode {
                radio: RadioMeta::default(),
                integrity: Integrity::Unknown,
                found,
            };
            radio.apply(&mut decoded);
            let frame = self.next_frame();
            self.builder.records(
                frame,
                Some(sane_time(time, received)),
                &decoded,
                &mut self.records,
            );
            return Ok(());
        }
        if radio.crc_ok == Some(false) {
            // Messages the receiver decoded from a frame whose CRC failed are not evidence.
            return Err(rejected(
                "quarantined",
                "the receiver reports crc_ok: false".to_owned(),
            ));
        }
        let messages: Vec<&Value> = match (o.get("message"), o.get("messages")) {
            (Some(m), None) if m.is_object() => vec![m],
            (None, Some(Value::Array(a))) if !a.is_empty() && a.len() <= 16 => a.iter().collect(),
            (None, Some(_)) => {
                return Err(bad(
                    "`messages` must be an array of 1 to 16 message objects".into(),
                ))
            }
            (Some(_), None) => return Err(bad("`message` must be an object".into())),
            (Some(_), Some(_)) => return Err(bad("give `message` or `messages`, not both".into())),
            (None, None) => return Err(bad(
                "a record needs frame_hex/frame_b64, payload_hex/payload_b64, message or messages"
                    .into(),
            )),
        };
        let mut decoded = Vec::with_capacity(messages.len());
        for m in messages {
            let Value::Object(m) = m else {
                return Err(bad("`messages` must hold objects".into()));
            };
            if let Some(m) = decoded_message(m).map_err(bad)? {
                decoded.push(m);
            }
        }
        let key = match o.get("frame") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| bad("`frame` must be a non-negative integer".into()))?,
            ),
        };
        let frame = match (key, *group) {
            (Some(k), Some((gk, gm, f))) if k == gk && gm == radio.mac => f,
            _ => self.next_frame(),
        };
        *group = key.map(|k| (k, radio.mac, frame));
        let time = sane_time(time, received);
        let counter = o
            .get("counter")
            .and_then(Value::as_u64)
            .and_then(|c| u8::try_from(c).ok());
        for (i, message) in decoded.into_iter().enumerate() {
            self.records.push(DecodeRecord {
                frame,
                time: Some(time),
                transport,
                mac: radio.mac,
                rssi_dbm: radio.rssi_dbm,
                freq_mhz: radio.freq_mhz,
                ble_channel: radio.ble_channel,
                ble_phy: None,
                counter,
                pack_index: (o.contains_key("messages")).then_some(i as u8),
                pack_defect: None,
                message: Some(message),
                auth_assembled: None,
                quarantine: None,
            });
        }
        Ok(())
    }
}

/// pcap (either byte order, µs or ns) or pcapng magic.
fn is_capture(b: &[u8]) -> bool {
    matches!(
        b.get(..4),
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x0a, 0x0d, 0x0d, 0x0a]
        )
    )
}

/// The record's own time when it is plausible against the reception time, else the reception.
fn sane_time(time: Option<Timestamp>, received: Timestamp) -> Timestamp {
    match time {
        Some(t) => {
            let ahead_s = t.seconds_since(received);
            if (-MAX_RECORD_TIME_BEHIND_S..=MAX_RECORD_TIME_AHEAD_S).contains(&ahead_s) {
                t
            } else {
                received
            }
        }
        None => received,
    }
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn transport_named(s: &str) -> Option<Transport> {
    Some(match s {
        "wifi_beacon" => Transport::WifiBeacon,
        "wifi_nan" => Transport::WifiNan,
        "ble4" | "ble_legacy" => Transport::BleLegacy,
        "ble5" | "ble_long_range" => Transport::BleLongRange,
        "dji" => Transport::Dji,
        "french" => Transport::French,
        _ => return None,
    })
}

fn link_type(o: &Map<String, Value>) -> Result<LinkType, String> {
    match o.get("link_type") {
        None | Some(Value::Null) => Ok(LinkType::RADIOTAP),
        Some(Value::String(s)) => match s.as_str() {
            "radiotap" => Ok(LinkType::RADIOTAP),
            "ieee802_11" => Ok(LinkType::IEEE802_11),
            "nordic_ble" => Ok(LinkType::NORDIC_BLE),
            "ble_ll_phdr" => Ok(LinkType::BLUETOOTH_LE_LL_WITH_PHDR),
            "ble_ll" => Ok(LinkType::BLUETOOTH_LE_LL),
            other => Err(format!(
                "`link_type` \"{}\" is not one of radiotap, ieee802_11, nordic_ble, ble_ll_phdr, ble_ll (or a DLT number)",
                clip(other)
            )),
        },
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(LinkType)
            .ok_or_else(|| "`link_type` must be a name or a DLT number".to_owned()),
    }
}

/// `<name>_hex` or `<name>_b64` (not both), decoded.
fn bytes_field(o: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, String> {
    let hex = o.get(&format!("{name}_hex")).filter(|v| !v.is_null());
    let b64 = o.get(&format!("{name}_b64")).filter(|v| !v.is_null());
    match (hex, b64) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(format!("give `{name}_hex` or `{name}_b64`, not both")),
        (Some(Value::String(s)), None) => decode_hex(s)
            .map(Some)
            .ok_or_else(|| format!("`{name}_hex` is not an even number of hex digits")),
        (None, Some(Value::String(s))) => decode_b64(s)
            .map(Some)
            .ok_or_else(|| format!("`{name}_b64` is not base64 (standard alphabet)")),
        _ => Err(format!("`{name}_hex`/`{name}_b64` must be a string")),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.chunks_exact(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    for chunk in body.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = acc << 6 | val(c)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            2 => out.push((acc >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

fn parse_mac(s: &str) -> Option<MacAddr> {
    let hex: String = s.chars().filter(|c| !matches!(c, ':' | '-')).collect();
    let b = decode_hex(&hex)?;
    let b: [u8; 6] = b.try_into().ok()?;
    Some(MacAddr(b))
}

/// The radio facts a JSON record states about its frame.
#[derive(Debug, Default)]
struct RadioOverride {
    mac: Option<MacAddr>,
    rssi_dbm: Option<i16>,
    freq_mhz: Option<u16>,
    ble_channel: Option<u8>,
    crc_ok: Option<bool>,
}

impl RadioOverride {
    fn from_json(o: &Map<String, Value>) -> Result<Self, String> {
        let int = |key: &str, lo: i64, hi: i64| -> Result<Option<i64>, String> {
            match o.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_i64().or_else(|| {
                    v.as_f64()
                        .filter(|f| f.is_finite() && f.fract() == 0.0)
                        .map(|f| f as i64)
                }) {
                    Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                    _ => Err(format!("`{key}` must be an integer {lo}..{hi}")),
                },
            }
        };
        let mac = match o.get("mac") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(parse_mac(s).ok_or_else(|| {
                format!(
                    "`mac` \"{}\" is not six hex bytes (aa:bb:cc:dd:ee:ff)",
                    clip(s)
                )
            })?),
            Some(_) => return Err("`mac` must be a string".into()),
        };
        let crc_ok = match o.get("crc_ok") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err("`crc_ok` must be true or false".into()),
        };
        Ok(RadioOverride {
            mac,
            rssi_dbm: int("rssi_dbm", -200, 50)?.map(|v| v as i16),
            freq_mhz: int("freq_mhz", 1, 100_000)?.map(|v| v as u16),
            ble_channel: int("ble_channel", 0, 39)?.map(|v| v as u8),
            crc_ok,
        })
    }

    /// What the record states wins over what the frame's own headers say.
    fn apply(&self, d: &mut FrameDecode) {
        let r = &mut d.radio;
        r.mac = self.mac.or(r.mac);
        r.rssi_dbm = self.rssi_dbm.or(r.rssi_dbm);
        r.freq_mhz = self.freq_mhz.or(r.freq_mhz);
        r.ble_channel = self.ble_channel.or(r.ble_channel);
        match self.crc_ok {
            Some(false) => {
                let ble = r.ble_channel.is_some()
                    || d.found.iter().any(|f| {
                        matches!(
                            f.transport(),
                            Transport::BleLegacy | Transport::BleLongRange
                        )
                    });
                d.integrity = Integrity::Failed(if ble {
                    QuarantineReason::BleCrcFailed
                } else {
                    QuarantineReason::BadFcs
                });
            }
            Some(true) if d.integrity == Integrity::Unknown => d.integrity = Integrity::Good,
            _ => {}
        }
    }
}

/// A transport-level payload: what a receiver hands over without the radio framing.
fn transport_payload(t: Transport, b: &[u8]) -> Result<Vec<Found>, String> {
    let odid = |transport, r: Result<transport::Carried, picket_remoteid::DecodeError>| match r {
        Ok(c) => Found::Odid {
            transport,
            counter: c.counter,
            message: c.message,
            defect: c.defect,
        },
        Err(error) => Found::Malformed { transport, error },
    };
    match t {
        Transport::WifiBeacon => {
            // The vendor element's body: OUI FA:0B:BC, type 0x0D, counter, pack.
            let rest = b.strip_prefix(&ODID_OUI[..]).ok_or(
                "a wifi_beacon payload is the vendor element body: FA 0B BC 0D counter pack",
            )?;
            let r = transport::decode_wifi_vendor(rest)
                .ok_or("a wifi_beacon payload's vendor type is not 0x0D (ASTM Remote ID)")?;
            Ok(vec![odid(Transport::WifiBeacon, r)])
        }
        Transport::WifiNan => Ok(vec![odid(
            Transport::WifiNan,
            transport::decode_nan_service_info(b),
        )]),
        Transport::BleLegacy | Transport::BleLongRange => {
            let found = scan_ble_adv_data(b, t);
            if found.is_empty() {
                return Err(format!(
                    "a {} payload is advertising data (AD structures) with a service data \
                     element for UUID 0xFFFA, app code 0x0D; none found",
                    t.as_str()
                ));
            }
            Ok(found)
        }
        Transport::Dji | Transport::French => Err(format!(
            "{} payloads come inside Wi-Fi frames: send frame_hex/frame_b64",
            t.as_str()
        )),
    }
}

// ---- decoded messages (the `message` object of `picket decode` records) -------------------

struct Fields<'a>(&'a Map<String, Value>, &'static str);

impl Fields<'_> {
    fn err(&self, key: &str, what: &str) -> String {
        format!("{} `{key}` {what}", self.1)
    }
    fn f64(&self, key: &str, lo: f64, hi: f64) -> Result<Option<f64>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(Some(x)),
                _ => Err(self.err(key, &format!("must be a number {lo}..{hi} or null"))),
            },
        }
    }
    fn u64(&self, key: &str, hi: u64) -> Result<Option<u64>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(x) if x <= hi => Ok(Some(x)),
                _ => Err(self.err(key, &format!("must be an integer 0..{hi}"))),
            },
        }
    }
    fn version(&self) -> Result<u8, String> {
        Ok(self.u64("protocol_version", 15)?.unwrap_or(2) as u8)
    }
    /// A coded field: its snake_case name or its number; absent → code 0.
    fn code<T>(
        &self,
        key: &str,
        from_code: fn(u8) -> T,
        name: fn(&T) -> Option<&'static str>,
        max: u8,
    ) -> Result<T, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(from_code(0)),
            Some(Value::String(s)) => (0..=max)
                .map(from_code)
                .find(|c| name(c) == Some(s.as_str()))
                .ok_or_else(|| self.err(key, &format!("\"{}\" is not a known name", clip(s)))),
            Some(v) => v
                .as_u64()
                .filter(|&n| n <= u64::from(max))
                .map(|n| from_code(n as u8))
                .ok_or_else(|| self.err(key, &format!("must be a name or a code 0..{max}"))),
        }
    }
    fn text<const N: usize>(&self, key: &str) -> Result<Text<N>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Text::default()),
            Some(Value::String(s)) => {
                let bytes = match s.strip_prefix("hex:") {
                    Some(h) => {
                        decode_hex(h).ok_or_else(|| self.err(key, "has bad hex after `hex:`"))?
                    }
                    None if s.is_ascii() => s.as_bytes().to_vec(),
                    None => return Err(self.err(key, "must be ASCII (or hex:…)")),
                };
                if bytes.len() > N {
                    return Err(self.err(key, &format!("is longer than {N} bytes")));
                }
                let mut t = [0u8; N];
                t[..bytes.len()].copy_from_slice(&bytes);
                Ok(Text(t))
            }
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }
    fn time(&self, key: &str) -> Result<Option<Timestamp>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Timestamp::parse_rfc3339(s)
                .map(Some)
                .map_err(|e| self.err(key, &e.to_string())),
            Some(_) => Err(self.err(key, "must be an RFC 3339 string")),
        }
    }
}

/// One decoded message; `Ok(None)` for the kinds that carry nothing for observations
/// (authentication pages, DJI, French beacons, unknown types), which are skipped.
fn decoded_message(m: &Map<String, Value>) -> Result<Option<RecordMessage>, String> {
    let kind = m.get("message_type").and_then(Value::as_str).ok_or(
        "a message needs `message_type` (basic_id, location, system, operator_id, self_id)",
    )?;
    Ok(Some(match kind {
        "basic_id" => {
            let f = Fields(m, "basic_id");
            RecordMessage::BasicId(BasicId {
                protocol_version: f.version()?,
                id_type: f.code("id_type", IdType::from_code, |c| c.name(), 15)?,
                ua_type: f.code("ua_type", UaType::from_code, |c| c.name(), 15)?,
                uas_id: f.text("uas_id")?,
            })
        }
        "location" => {
            let f = Fields(m, "location");
            let lat = f.f64("lat", -90.0, 90.0)?;
            let lon = f.f64("lon", -180.0, 180.0)?;
            if lat.is_some() != lon.is_some() {
                return Err("location: give both `lat` and `lon`, or neither".into());
            }
            RecordMessage::Location(Location {
                protocol_version: f.version()?,
                status: f.code("status", OperationalStatus::from_code, |c| c.name(), 15)?,
                height_type: f.code("height_type", HeightType::from_code, |c| c.name(), 1)?,
                direction_deg: f.f64("direction_deg", 0.0, 360.0)?,
                speed_horizontal_mps: f.f64("speed_horizontal_mps", 0.0, 254.25)?,
                speed_vertical_mps: f.f64("speed_vertical_mps", -62.0, 62.0)?,
                lat,
                lon,
                alt_baro_m: f.f64("alt_baro_m", -1000.0, 31767.5)?,
                alt_geo_m: f.f64("alt_geo_m", -1000.0, 31767.5)?,
                height_m: f.f64("height_m", -1000.0, 31767.5)?,
                horizontal_accuracy: HorizontalAccuracy::from_bound_m(f.f64(
                    "horizontal_accuracy_m",
                    0.0,
                    1e6,
                )?),
                vertical_accuracy: VerticalAccuracy::from_bound_m(f.f64(
                    "vertical_accuracy_m",
                    0.0,
                    1e6,
                )?),
                baro_accuracy: VerticalAccuracy::from_bound_m(f.f64(
                    "baro_accuracy_m",
                    0.0,
                    1e6,
                )?),
                speed_accuracy: SpeedAccuracy::from_bound_mps(f.f64(
                    "speed_accuracy_mps",
                    0.0,
                    1e6,
                )?),
                timestamp_s: f.f64("timestamp_s", 0.0, 3599.9)?,
                timestamp_accuracy_s: f.f64("timestamp_accuracy_s", 0.0, 1.5)?,
            })
        }
        "system" => {
            let f = Fields(m, "system");
            let lat = f.f64("operator_lat", -90.0, 90.0)?;
            let lon = f.f64("operator_lon", -180.0, 180.0)?;
            if lat.is_some() != lon.is_some() {
                return Err(
                    "system: give both `operator_lat` and `operator_lon`, or neither".into(),
                );
            }
            RecordMessage::System(System {
                protocol_version: f.version()?,
                operator_location_type: f.code(
                    "operator_location_type",
                    OperatorLocationType::from_code,
                    |c| c.name(),
                    3,
                )?,
                classification_type: f.code(
                    "classification_type",
                    ClassificationType::from_code,
                    |c| c.name(),
                    7,
                )?,
                operator_lat: lat,
                operator_lon: lon,
                area_count: f.u64("area_count", u64::from(u16::MAX))?.unwrap_or(0) as u16,
                area_radius_m: f.f64("area_radius_m", 0.0, 2550.0)?.unwrap_or(0.0),
                area_ceiling_m: f.f64("area_ceiling_m", -1000.0, 31767.5)?,
                area_floor_m: f.f64("area_floor_m", -1000.0, 31767.5)?,
                category_eu: f.code("category_eu", CategoryEu::from_code, |c| c.name(), 15)?,
                class_eu: f.code("class_eu", ClassEu::from_code, |c| c.name(), 15)?,
                operator_alt_geo_m: f.f64("operator_alt_geo_m", -1000.0, 31767.5)?,
                timestamp: f.time("timestamp")?,
            })
        }
        "operator_id" => {
            let f = Fields(m, "operator_id");
            RecordMessage::OperatorId(OperatorId {
                protocol_version: f.version()?,
                operator_id_type: f.code(
                    "operator_id_type",
                    OperatorIdType::from_code,
                    |c| c.name(),
                    255,
                )?,
                operator_id: f.text("operator_id")?,
            })
        }
        "self_id" => {
            let f = Fields(m, "self_id");
            RecordMessage::SelfId(SelfId {
                protocol_version: f.version()?,
                description_type: f.code(
                    "description_type",
                    DescriptionType::from_code,
                    |c| c.name(),
                    255,
                )?,
                description: f.text("description")?,
            })
        }
        "authentication" | "unknown" | "dji_flight_info" | "dji_other" | "french_beacon" => {
            return Ok(None)
        }
        other => {
            return Err(format!(
                "`message_type` \"{}\" is not one of basic_id, location, system, operator_id, \
                 self_id (authentication, unknown, dji_flight_info, dji_other, french_beacon are \
                 accepted and skipped)",
                clip(other)
            ))
        }
    }))
}

// ---- adapters ------------------------------------------------------------------------------

/// Decode a payload received at `received` and hand its observations on; false when the
/// pipeline is shutting down.
async fn deliver(
    decoder: &mut RemoteIdLiveDecoder,
    sink: &InputSink,
    received: Timestamp,
    payload: &[u8],
) -> bool {
    let mut obs = Vec::new();
    let mut rejects = Vec::new();
    decoder.decode(received, payload, &mut obs, &mut rejects);
    for r in rejects {
        sink.reject(r.reason, &r.detail);
    }
    for o in obs {
        if !sink.send(Input::Observation(o)).await {
            return false;
        }
    }
    true
}

/// A Remote ID field receiver sending payloads as UDP datagrams to `listen`.
#[derive(Debug, Clone)]
pub struct RemoteIdUdp {
    /// Address to listen on.
    pub listen: SocketAddr,
}

impl LiveAdapter for RemoteIdUdp {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let listen = self.listen;
        tokio::spawn(async move { serve_udp(listen, ctx).await })
    }
}

async fn serve_udp(listen: SocketAddr, ctx: AdapterContext) {
    let AdapterContext {
        sink,
        mut shutdown,
        position,
    } = ctx;
    let socket = match tokio::net::UdpSocket::bind(listen).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(sensor = %sink.sensor_id(), %listen, "cannot listen for Remote ID: {e}");
            return;
        }
    };
    tracing::info!(sensor = %sink.sensor_id(), %listen, "listening for Remote ID datagrams");
    let mut decoder = RemoteIdLiveDecoder::new(sink.sensor_id().clone(), position);
    // One byte more than accepted, so an oversized datagram is seen as such, not cut.
    let mut buf = vec![0u8; MAX_PAYLOAD_BYTES + 1];
    loop {
        let n = tokio::select! {
            _ = shutdown.changed() => return,
            r = socket.recv_from(&mut buf) => match r { Ok((n, _)) => n, Err(_) => continue },
        };
        if !deliver(&mut decoder, &sink, crate::wall_now(), &buf[..n]).await {
            return;
        }
    }
}

/// Where an MQTT input subscribes: `mqtt://HOST[:PORT]/TOPIC-FILTER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttSubscription {
    /// Broker host name or IP address.
    pub host: String,
    /// Broker port (1883 by default).
    pub port: u16,
    /// Topic filter (`+` and `#` wildcards allowed).
    pub topic: String,
}

impl fmt::Display for MqttSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "mqtt://[{}]:{}/{}", self.host, self.port, self.topic)
        } else {
            write!(f, "mqtt://{}:{}/{}", self.host, self.port, self.topic)
        }
    }
}

impl MqttSubscription {
    /// Reads `mqtt://HOST[:PORT]/TOPIC` (IPv6 hosts in brackets). The error says what is wrong.
    pub fn parse_url(url: &str) -> Result<Self, String> {
        let rest = url
            .trim()
            .strip_prefix("mqtt://")
            .ok_or("does not start with mqtt://")?;
        let (authority, topic) = rest
            .split_once('/')
            .ok_or("names no topic (mqtt://HOST[:PORT]/TOPIC)")?;
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or("has an unclosed [ in its host")?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = match port {
            None => 1883,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or("does not hold a port 1-65535")?,
        };
        if host.is_empty() || host.contains([' ', '@', '?', '#', '/']) {
            return Err("does not hold a host name or IP address".into());
        }
        check_topic_filter(topic)?;
        Ok(MqttSubscription {
            host: host.to_owned(),
            port,
            topic: topic.to_owned(),
        })
    }
}

/// MQTT 3.1.1 §4.7 topic filter rules.
fn check_topic_filter(t: &str) -> Result<(), String> {
    if t.is_empty() {
        return Err("names no topic (mqtt://HOST[:PORT]/TOPIC)".into());
    }
    if t.len() > 1024 || t.contains('\0') {
        return Err("has a topic longer than 1024 bytes or with a NUL".into());
    }
    let levels: Vec<&str> = t.split('/').collect();
    for (i, l) in levels.iter().enumerate() {
        if l.contains('#') && (*l != "#" || i + 1 != levels.len()) {
            return Err("has a topic with `#` other than as the whole last level".into());
        }
        if l.contains('+') && *l != "+" {
            return Err("has a topic with `+` other than as a whole level".into());
        }
    }
    Ok(())
}

/// A Remote ID field receiver publishing payloads to an MQTT broker; Picket subscribes
/// (QoS 1, clean session), reconnecting with backoff and subscribing again on every connection.
/// A message is acknowledged once handed to the pipeline, so the broker holds the rest back
/// while the pipeline is behind (the connection itself is kept alive meanwhile).
#[derive(Debug, Clone)]
pub struct RemoteIdMqtt {
    /// Broker and topic filter.
    pub subscription: MqttSubscription,
    /// MQTT client id; default `picket-<sensor>-<process id>` (must be unique on the broker).
    pub client_id: Option<String>,
}

impl LiveAdapter for RemoteIdMqtt {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { run_mqtt(me, ctx).await })
    }
}

/// MQTT messages taken from the broker and waiting for the pipeline, at most. The broker's
/// event loop must keep being polled while the pipeline holds records back (keep-alive pings,
/// a lost connection noticed): a broker drops a client it has not heard from for 1.5
/// keep-alive periods. So records wait here, bounded in number and in bytes: 20 s of a
/// receiver sending 50 payloads a second.
const MQTT_BACKLOG: usize = 1024;
/// Payload bytes waiting for the pipeline, at most (payloads are at most
/// [`MAX_PAYLOAD_BYTES`]; larger ones wait as their length only).
const MQTT_BACKLOG_BYTES: usize = 8 << 20;

/// One message from the broker, waiting for the pipeline.
struct Received {
    /// When it was received: its records are stamped with this, not with when the pipeline
    /// took them.
    at: Timestamp,
    /// The connection it came on ([`Generation`]): its acknowledgement means something only
    /// there.
    connection: u64,
    publish: rumqttc::Publish,
    /// Its payload was longer than [`MAX_PAYLOAD_BYTES`] (and was not kept), bytes.
    oversize: Option<usize>,
}

/// A message [`forward`] has handed on, to be acknowledged by [`poll_broker`] (which alone
/// knows whether its connection is still up): the connection it came on, and the message
/// (its payload dropped).
struct AckRequest {
    connection: u64,
    publish: rumqttc::Publish,
}

/// Which broker connection an acknowledgement may go out on. A clean session's packet ids
/// start afresh on every connection, so a message's acknowledgement means something only on
/// the connection it came on, and only while that connection is up: rumqttc keeps requests
/// made while it is disconnected and sends them once connected again, where the same packet
/// id names another message (one the pipeline has not taken yet). rumqttc itself drops the
/// acknowledgements still queued when a connection fails; this refuses those asked for after.
#[derive(Debug, Default)]
struct Generation {
    /// The latest connection, counted from 1 (0: none yet).
    current: u64,
    /// Whether it is still up (lost from the first error on).
    up: bool,
}

impl Generation {
    /// A connection was made (ConnAck): messages from now on belong to it.
    fn connected(&mut self) {
        self.current += 1;
        self.up = true;
    }

    /// The connection failed: nothing of it may be acknowledged any more, not even while the
    /// next one is being made.
    fn lost(&mut self) {
        self.up = false;
    }

    /// Whether a connection is up.
    fn up(&self) -> bool {
        self.up
    }

    /// The connection a message received now came on.
    fn current(&self) -> u64 {
        self.current
    }

    /// Whether a message that came on `connection` may be acknowledged now.
    fn may_ack(&self, connection: u64) -> bool {
        self.up && connection == self.current
    }
}

/// Flow control: a message is acknowledged (manual PUBACK) only once handed to the pipeline,
/// so a broker that honours its limit of unacknowledged QoS 1 messages per client holds the
/// rest back in its own queue while the pipeline pushes back. Not every broker does
/// (Mosquitto 2.0 honours it only until the first acknowledgement), and QoS 0 has no flow
/// control at all: so what does not fit in the backlog ([`MQTT_BACKLOG`] messages,
/// [`MQTT_BACKLOG_BYTES`]) is dropped, newest first, counted as
/// `picket_input_malformed_total{reason="backlog full"}`, and acknowledged at once, so that a
/// dropped QoS 1 message does not hold one of the broker's in-flight slots for the rest of the
/// session (that acknowledgement may overtake those of waiting messages; brokers match
/// acknowledgements by packet id). Memory stays bounded and the connection alive, whatever
/// the pipeline does. Every acknowledgement is made by the task that polls the connection
/// ([`poll_broker`]), and only while the message's connection is up ([`Generation`]).
async fn run_mqtt(input: RemoteIdMqtt, ctx: AdapterContext) {
    use rumqttc::{AsyncClient, MqttOptions};
    let AdapterContext {
        sink,
        shutdown,
        position,
    } = ctx;
    let sub = &input.subscription;
    let client_id = input
        .client_id
        .clone()
        .unwrap_or_else(|| format!("picket-{}-{}", sink.sensor_id(), std::process::id()));
    let mut opts = MqttOptions::new(client_id, sub.host.clone(), sub.port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_clean_session(true);
    opts.set_max_packet_size(MAX_MQTT_PACKET_BYTES, 64 * 1024);
    opts.set_manual_acks(true);
    // Requests to the event loop: a subscription per connection, and acknowledgements, a burst
    // of them when many messages are dropped at once.
    let (client, eventloop) = AsyncClient::new(opts, MQTT_BACKLOG + 16);
    let (tx, rx) = tokio::sync::mpsc::channel(MQTT_BACKLOG);
    // At most one acknowledgement per message taken from the backlog.
    let (ack_tx, ack_rx) = tokio::sync::mpsc::channel(MQTT_BACKLOG);
    let waiting_bytes = AtomicUsize::new(0);
    let decoder = RemoteIdLiveDecoder::new(sink.sensor_id().clone(), position);
    // Both in this task: when the pipeline waits, only `forward` waits.
    tokio::join!(
        poll_broker(
            eventloop,
            &client,
            sub,
            &sink,
            shutdown.clone(),
            (tx, ack_rx),
            &waiting_bytes,
        ),
        forward(rx, decoder, &sink, shutdown, ack_tx, &waiting_bytes),
    );
    let _ = client.try_disconnect();
}

/// Drives the MQTT connection (connect, subscribe, keep-alive, reconnect with [`Backoff`]),
/// queues received messages for [`forward`] and acknowledges those it has handed on; never
/// waits for the pipeline.
async fn poll_broker(
    mut eventloop: rumqttc::EventLoop,
    client: &rumqttc::AsyncClient,
    sub: &MqttSubscription,
    sink: &InputSink,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    (tx, mut acks): (
        tokio::sync::mpsc::Sender<Received>,
        tokio::sync::mpsc::Receiver<AckRequest>,
    ),
    waiting_bytes: &AtomicUsize,
) {
    use rumqttc::{Event, Packet, QoS, SubscribeReasonCode};
    use tokio::sync::mpsc::error::TrySendError;
    let label = sub.to_string();
    let mut backoff = Backoff::new();
    let mut generation = Generation::default();
    // An acknowledgement the event loop had no room for yet: tried again after its next event.
    let mut held: Option<AckRequest> = None;
    let mut dropped: u64 = 0;
    loop {
        let event = {
            // Acknowledgements are taken while one poll goes on, not between polls: a poll
            // cancelled half-way would abandon a connection attempt.
            let poll = eventloop.poll();
            tokio::pin!(poll);
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    // `forward` ended: the pipeline is shutting down.
                    _ = tx.closed() => return,
                    e = &mut poll => break e,
                    a = acks.recv(), if held.is_none() => match a {
                        Some(a) => acknowledge(client, &generation, &mut held, a),
                        None => return,
                    },
                }
            }
        };
        if let Some(a) = held.take() {
            acknowledge(client, &generation, &mut held, a);
        }
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff.connected(tokio::time::Instant::now());
                generation.connected();
                // A clean session forgets subscriptions: subscribe on every connection.
                if let Err(e) = client.try_subscribe(sub.topic.clone(), QoS::AtLeastOnce) {
                    tracing::error!(sensor = %sink.sensor_id(), broker = %label, "cannot subscribe: {e}");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack
                    .return_codes
                    .iter()
                    .all(|c| matches!(c, SubscribeReasonCode::Success(_)))
                {
                    tracing::info!(sensor = %sink.sensor_id(), broker = %label, "subscribed to Remote ID");
                    sink.announce(true, format!("subscribed to {label}"));
                } else {
                    tracing::error!(sensor = %sink.sensor_id(), broker = %label, "the broker refused the subscription (topic filter or access rights)");
                    sink.announce(
                        false,
                        format!("the broker refused the subscription to {label}"),
                    );
                }
            }
            Ok(Event::Incoming(Packet::Publish(mut publish))) => {
                // An oversized payload is not kept while it waits: only its length is.
                let oversize = (publish.payload.len() > MAX_PAYLOAD_BYTES).then(|| {
                    let len = publish.payload.len();
                    publish.payload = Default::default();
                    len
                });
                let len = publish.payload.len();
                let received = Received {
                    at: crate::wall_now(),
                    connection: generation.current(),
                    publish,
                    oversize,
                };
                // Counted before it is queued: `forward` takes it off when it takes it.
                let before = waiting_bytes.fetch_add(len, Ordering::Relaxed);
                let sent = if before + len <= MQTT_BACKLOG_BYTES {
                    tx.try_send(received)
                } else {
                    Err(TrySendError::Full(received))
                };
                if sent.is_err() {
                    waiting_bytes.fetch_sub(len, Ordering::Relaxed);
                }
                match sent {
                    Ok(()) => {}
                    Err(TrySendError::Full(r)) => {
                        dropped += 1;
                        sink.reject(
                            "backlog full",
                            &format!("{MQTT_BACKLOG} messages or {MQTT_BACKLOG_BYTES} bytes already wait for the pipeline: message dropped ({dropped} so far)"),
                        );
                        // Its connection is up: it has just delivered this.
                        if let Err(e) = client.try_ack(&r.publish) {
                            tracing::warn!(sensor = %sink.sensor_id(), broker = %label, "dropped message not acknowledged: {e}");
                        }
                    }
                    Err(TrySendError::Closed(_)) => return,
                }
            }
            Ok(_) => {}
            Err(e) => {
                if generation.up() {
                    sink.announce(
                        false,
                        format!("MQTT connection to {label} lost: {e}; reconnecting"),
                    );
                    // An oversized retained message or a broker that drops us at once must not
                    // be retried every 0.5 s forever: only a lasting connection resets this.
                    backoff.disconnected(tokio::time::Instant::now());
                }
                // From here until the next ConnAck nothing is acknowledged: the messages still
                // waiting for the pipeline are handed on, but the broker has forgotten them.
                generation.lost();
                held = None;
                let delay = backoff.next_delay();
                tracing::warn!(sensor = %sink.sensor_id(), broker = %label, "MQTT: {e}; reconnecting in {delay:?}");
                let sleep = tokio::time::sleep(delay);
                tokio::pin!(sleep);
                loop {
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        _ = &mut sleep => break,
                        // Of the lost connection: not acknowledged (`generation` refuses).
                        a = acks.recv() => match a {
                            Some(a) => acknowledge(client, &generation, &mut held, a),
                            None => return,
                        },
                    }
                }
            }
        }
    }
}

/// Asks the event loop to acknowledge `a`'s message if its connection is still up (else it is
/// dropped); keeps it in `held` when the event loop's queue is full.
fn acknowledge(
    client: &rumqttc::AsyncClient,
    generation: &Generation,
    held: &mut Option<AckRequest>,
    a: AckRequest,
) {
    if !generation.may_ack(a.connection) {
        return;
    }
    // The event loop (owned by the caller) is never dropped before this: a failure is a full
    // queue, which drains as the event loop is polled.
    if client.try_ack(&a.publish).is_err() {
        *held = Some(a);
    }
}

/// Hands queued messages to the pipeline (waiting when it pushes back), then asks
/// [`poll_broker`] to acknowledge each QoS 1 one.
async fn forward(
    mut rx: tokio::sync::mpsc::Receiver<Received>,
    mut decoder: RemoteIdLiveDecoder,
    sink: &InputSink,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    acks: tokio::sync::mpsc::Sender<AckRequest>,
    waiting_bytes: &AtomicUsize,
) {
    loop {
        let r = tokio::select! {
            _ = shutdown.changed() => return,
            r = rx.recv() => match r {
                Some(r) => r,
                None => return,
            },
        };
        waiting_bytes.fetch_sub(r.publish.payload.len(), Ordering::Relaxed);
        match r.oversize {
            Some(len) => {
                let e = too_large(len);
                sink.reject(e.reason, &e.detail);
            }
            None => {
                if !deliver(&mut decoder, sink, r.at, &r.publish.payload).await {
                    return;
                }
            }
        }
        if r.publish.qos != rumqttc::QoS::AtMostOnce {
            let mut publish = r.publish;
            publish.payload = Default::default();
            // Waits only while `poll_broker` holds an acknowledgement back (the event loop's
            // queue full); fails once it has ended, when nothing can be acknowledged anyway.
            let _ = acks
                .send(AckRequest {
                    connection: r.connection,
                    publish,
                })
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_acknowledged_only_while_its_own_connection_is_up() {
        let mut g = Generation::default();
        assert!(!g.up());
        g.connected();
        let first = g.current();
        assert!(g.may_ack(first));
        // Lost: while the next connection is being made, the first one's backlog is still
        // handed on, but not acknowledged (it would go out on the next connection).
        g.lost();
        assert!(!g.up());
        assert!(!g.may_ack(first));
        g.connected();
        let second = g.current();
        assert_ne!(first, second);
        assert!(!g.may_ack(first), "not on the next connection either");
        assert!(g.may_ack(second));
        // Failed attempts (errors without a ConnAck between them) change nothing.
        g.lost();
        g.lost();
        assert!(!g.may_ack(second));
        g.connected();
        assert!(!g.may_ack(second));
        assert!(g.may_ack(g.current()));
    }

    #[test]
    fn mqtt_urls_give_host_port_and_topic() {
        let s = MqttSubscription::parse_url("mqtt://broker.local/rid/+/frames").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.topic.as_str()),
            ("broker.local", 1883, "rid/+/frames")
        );
        let s = MqttSubscription::parse_url("mqtt://[::1]:1884/#").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.topic.as_str()),
            ("::1", 1884, "#")
        );
        assert_eq!(s.to_string(), "mqtt://[::1]:1884/#");
        for (url, why) in [
            ("tcp://h/t", "mqtt://"),
            ("mqtt://h:1883", "names no topic"),
            ("mqtt://h:1883/", "names no topic"),
            ("mqtt://h:0/t", "port"),
            ("mqtt:///t", "host"),
            ("mqtt://h/a/#/b", "`#`"),
            ("mqtt://h/a+", "`+`"),
        ] {
            let e = MqttSubscription::parse_url(url).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
        }
    }

    #[test]
    fn hex_and_base64_decode_and_refuse_garbage() {
        assert_eq!(decode_hex("00fFa0"), Some(vec![0, 0xff, 0xa0]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_b64("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(decode_b64("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(decode_b64("TQ=="), Some(b"M".to_vec()));
        assert_eq!(decode_b64("TQ"), Some(b"M".to_vec()));
        assert_eq!(decode_b64("T"), None);
        assert_eq!(decode_b64("T*=="), None);
        assert_eq!(decode_b64("TQ==="), None);
        assert_eq!(
            parse_mac("90:3A:e6-5b:c8:a8"),
            Some(MacAddr([0x90, 0x3a, 0xe6, 0x5b, 0xc8, 0xa8]))
        );
        assert_eq!(parse_mac("90:3a"), None);
    }

    fn decode(d: &mut RemoteIdLiveDecoder, payload: &[u8]) -> (Vec<Observation>, Vec<Rejected>) {
        let (mut o, mut r) = (Vec::new(), Vec::new());
        d.decode(
            Timestamp::from_micros(1_700_000_000_000_000),
            payload,
            &mut o,
            &mut r,
        );
        (o, r)
    }

    #[test]
    fn a_decoded_json_pack_becomes_one_named_observation() {
        let mut d = RemoteIdLiveDecoder::new(SensorId("rid".into()), None);
        let line = br#"{"mac":"60:60:1f:71:93:3b","rssi_dbm":-69,"messages":[
            {"message_type":"location","lat":33.6652717,"lon":-82.1918334,"alt_geo_m":82.0,"height_m":1.5,"horizontal_accuracy_m":3.0},
            {"message_type":"basic_id","id_type":"serial_number","ua_type":"helicopter_or_multirotor","uas_id":"1581F6N8A23B2ML3Y3KR"}]}"#;
        let line: Vec<u8> = line.iter().copied().filter(|&b| b != b'\n').collect();
        let (o, r) = decode(&mut d, &line);
        assert!(r.is_empty(), "{r:?}");
        assert_eq!(o.len(), 1);
        assert_eq!(
            o[0].identity,
            Some(picket_core::Identity::RemoteId(
                "1581F6N8A23B2ML3Y3KR".into()
            ))
        );
        assert_eq!(o[0].side.rssi_dbm, Some(-69.0));
    }

    #[test]
    fn decoded_messages_from_a_crc_failed_frame_are_quarantined() {
        let mut d = RemoteIdLiveDecoder::new(SensorId("rid".into()), None);
        let line = br#"{"mac":"60:60:1f:71:93:3b","crc_ok":false,"message":{"message_type":"location","lat":33.66,"lon":-82.19}}"#;
        let (o, r) = decode(&mut d, line);
        assert!(o.is_empty(), "{o:?}");
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].reason, "quarantined");
    }

    #[test]
    fn hostile_payloads_are_counted_not_fatal() {
        let mut d = RemoteIdLiveDecoder::new(SensorId("rid".into()), None);
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"\x01\x02", "unknown payload"),
            (b"\x00\x00\x08\x00", "frame"),
            (b"{not json", "json"),
            (b"{}", "record"),
            (b"[1]", "unknown payload"),
            (br#"{"frame_hex":"0g"}"#, "record"),
            (br#"{"payload_hex":"00"}"#, "record"),
            (br#"{"transport":"ble4","payload_hex":"0201"}"#, "record"),
            (
                br#"{"message":{"message_type":"location","lat":91,"lon":0}}"#,
                "record",
            ),
            (
                br#"{"message":{"message_type":"basic_id","uas_id":"123456789012345678901"}}"#,
                "record",
            ),
            (br#"{"message":{"message_type":"teleport"}}"#, "record"),
            (
                br#"{"time":"yesterday","message":{"message_type":"self_id"}}"#,
                "record",
            ),
            (
                br#"{"quarantine":{"reason":"bad_fcs","detail":"x"}}"#,
                "quarantined",
            ),
            (b"\xd4\xc3\xb2\xa1\x00", "capture"),
        ];
        for (payload, reason) in cases {
            let (o, r) = decode(&mut d, payload);
            assert!(o.is_empty());
            assert_eq!(r.len(), 1, "{:?}: {r:?}", String::from_utf8_lossy(payload));
            assert_eq!(
                r[0].reason,
                *reason,
                "{:?}: {r:?}",
                String::from_utf8_lossy(payload)
            );
        }
        let big = vec![b'{'; MAX_PAYLOAD_BYTES + 1];
        assert_eq!(decode(&mut d, &big).1[0].reason, "too large");
        let many = "{}\n".repeat(MAX_RECORDS_PER_PAYLOAD + 10);
        let r = decode(&mut d, many.as_bytes()).1;
        assert_eq!(r.len(), MAX_RECORDS_PER_PAYLOAD + 1);
        assert_eq!(r.last().unwrap().reason, "too many records");
    }

    #[test]
    fn record_time_is_used_only_when_plausible() {
        let rx = Timestamp::from_micros(1_700_000_000_000_000);
        assert_eq!(
            sane_time(Some(rx.plus_secs_f64(-2.0)), rx),
            rx.plus_secs_f64(-2.0)
        );
        assert_eq!(sane_time(Some(rx.plus_secs_f64(60.0)), rx), rx);
        assert_eq!(sane_time(Some(rx.plus_secs_f64(-86_400.0)), rx), rx);
        assert_eq!(sane_time(None, rx), rx);
    }
}
