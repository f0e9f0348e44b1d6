//! The JSON lines of `picket decode` for ASTERIX (schema: `docs/decode-asterix.md`).

use crate::capture::{udp_datagrams, CaptureError};
use crate::{records, Record};
use serde::Serializer;
use serde_json::{json, Map, Value};

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        })
}

pub(crate) fn hex_ser<S: Serializer, const N: usize>(b: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(b))
}

pub(crate) fn opt_hex_ser<S: Serializer>(b: &Option<[u8; 4]>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&hex(b)),
        None => s.serialize_none(),
    }
}

pub(crate) fn octal_ser<S: Serializer>(code: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{code:04o}"))
}

pub(crate) fn icao_ser<S: Serializer>(a: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(a) => s.serialize_str(&format!("{a:06X}")),
        None => s.serialize_none(),
    }
}

/// One JSON object per record (or error) of one datagram, in order.
///
/// Each object has `offset` (byte offset in `payload`) and then either `category`, `length`,
/// `hex` and the decoded record under `cat048` / `cat034` (or `"unsupported": true`), or
/// `error` with the reason. Never panics.
pub fn decode_asterix_records(payload: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    for item in records(payload) {
        let line = match item {
            Ok(d) => {
                let mut m = Map::new();
                m.insert("offset".into(), json!(d.offset));
                m.insert("category".into(), json!(d.record.category()));
                m.insert("length".into(), json!(d.bytes.len()));
                m.insert("hex".into(), json!(hex(d.bytes)));
                let (key, body) = match &d.record {
                    Record::Cat048(r) => ("cat048", serde_json::to_value(r)),
                    Record::Cat034(r) => ("cat034", serde_json::to_value(r)),
                    Record::Unsupported { .. } => ("unsupported", Ok(Value::Bool(true))),
                };
                // Serialising plain structs of numbers, strings and options cannot fail; if it
                // ever did, the line says so instead of vanishing.
                m.insert(
                    key.into(),
                    body.unwrap_or_else(|e| json!({ "serialise_error": e.to_string() })),
                );
                Value::Object(m)
            }
            Err(e) => json!({ "offset": error_offset(&e), "error": e.to_string() }),
        };
        out.push(line);
    }
    out
}

fn error_offset(e: &crate::AsterixError) -> usize {
    use crate::AsterixError::*;
    match e {
        BlockTooShort { offset, .. }
        | BadBlockLength { offset, .. }
        | Truncated { offset, .. }
        | Malformed { offset, .. } => *offset,
    }
}

/// The JSON lines of a whole classic pcap capture: for each UDP datagram, each of its
/// records as [`decode_asterix_records`] gives them, with `packet` (index in the capture),
/// `time` (capture time, RFC 3339), `src` and `dst` added. A record that runs past the end of
/// the file adds a final `{"error": ...}` line.
pub fn decode_asterix_pcap(file: &[u8]) -> Result<Vec<Value>, CaptureError> {
    let mut out = Vec::new();
    for d in udp_datagrams(file)? {
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                out.push(json!({ "error": e.to_string() }));
                break;
            }
        };
        for mut line in decode_asterix_records(d.payload) {
            if let Value::Object(m) = &mut line {
                m.insert("packet".into(), json!(d.index));
                m.insert("time".into(), json!(d.time.to_rfc3339()));
                m.insert("src".into(), json!(d.src.to_string()));
                m.insert("dst".into(), json!(d.dst.to_string()));
            }
            out.push(line);
        }
    }
    Ok(out)
}
