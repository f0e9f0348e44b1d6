//! The protobuf JSON mapping of SAPIENT messages (the same one `protoc`-generated code and
//! Python's `json_format` use: camelCase names, enums by name, RFC 3339 timestamps), and the
//! JSON lines of `picket decode` (schema: `docs/decode-sapient.md`).

use crate::content_name;
use crate::framing::{split_frame, FrameError, HEADER_LEN, MAX_FRAME_LEN};
use crate::proto::SapientMessage;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use serde_json::{json, Value};
use std::sync::OnceLock;

const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sapient_descriptor.bin"));
const SAPIENT_MESSAGE: &str = "sapient_msg.bsi_flex_335_v2_0.SapientMessage";

/// A JSON document that is not a SAPIENT message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SAPIENT v2.0 message in protobuf JSON: {0}")]
pub struct JsonError(pub String);

/// The descriptors of Picket's SAPIENT definitions (built into the crate at compile time).
pub fn descriptor_pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        // The bytes are the descriptor set build.rs just compiled from proto/; they always
        // decode (the test `descriptor_set_names_sapient_message` keeps that true).
        DescriptorPool::decode(DESCRIPTOR_SET).unwrap_or_default()
    })
}

fn sapient_descriptor() -> Result<MessageDescriptor, JsonError> {
    descriptor_pool()
        .get_message_by_name(SAPIENT_MESSAGE)
        .ok_or_else(|| JsonError("descriptor set lacks SapientMessage".into()))
}

/// A payload (protobuf bytes, no length prefix) as protobuf JSON.
pub fn payload_to_json(payload: &[u8]) -> Result<Value, FrameError> {
    let desc = sapient_descriptor().map_err(|e| FrameError::Protobuf(e.0))?;
    let dynamic = DynamicMessage::decode(desc, payload)?;
    // Through text, not `to_value`: `to_value` widens float fields to f64 digits
    // (0.99 → 0.9900000095367432) where the text keeps the float's shortest form.
    let text = serde_json::to_string(&dynamic).map_err(|e| FrameError::Protobuf(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| FrameError::Protobuf(e.to_string()))
}

/// A message as protobuf JSON.
pub fn message_to_json(msg: &SapientMessage) -> Value {
    // Re-decoding our own encoding cannot fail; the fallback keeps this total anyway.
    payload_to_json(&msg.encode_to_vec()).unwrap_or_else(|e| json!({ "error": e.to_string() }))
}

/// Parses protobuf JSON (camelCase or original field names) into a message.
pub fn message_from_json(text: &str) -> Result<SapientMessage, JsonError> {
    let desc = sapient_descriptor()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let dynamic =
        DynamicMessage::deserialize(desc, &mut de).map_err(|e| JsonError(e.to_string()))?;
    de.end().map_err(|e| JsonError(e.to_string()))?;
    SapientMessage::decode(dynamic.encode_to_vec().as_slice()).map_err(|e| JsonError(e.to_string()))
}

/// Decodes a recorded SAPIENT byte stream (frames back to back) into one JSON object per
/// frame: `{"offset", "length", "content", "message"}`, or `{"offset", "error"}` for a frame
/// whose payload is not a SapientMessage (decoding goes on with the next frame). A length
/// prefix over [`MAX_FRAME_LEN`] or a stream that ends inside a frame adds a final error line
/// (the stream cannot be resynchronised past it). Never panics.
pub fn decode_sapient_stream(bytes: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        match split_frame(rest, MAX_FRAME_LEN) {
            Ok(Some((payload, used))) => {
                let line = match SapientMessage::decode(payload) {
                    Ok(msg) => match payload_to_json(payload) {
                        Ok(message) => json!({
                            "offset": offset,
                            "length": payload.len(),
                            "content": content_name(&msg),
                            "message": message,
                        }),
                        Err(e) => json!({ "offset": offset, "error": e.to_string() }),
                    },
                    Err(e) => json!({
                        "offset": offset,
                        "error": FrameError::from(e).to_string(),
                    }),
                };
                out.push(line);
                offset += used;
            }
            Ok(None) => {
                let needed = rest
                    .get(..HEADER_LEN)
                    .map(|h| HEADER_LEN + u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize)
                    .unwrap_or(HEADER_LEN);
                let e = FrameError::Truncated {
                    needed,
                    available: rest.len(),
                };
                out.push(json!({ "offset": offset, "error": e.to_string() }));
                break;
            }
            Err(e) => {
                out.push(json!({ "offset": offset, "error": e.to_string() }));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_set_names_sapient_message() {
        let d = sapient_descriptor().unwrap();
        assert_eq!(d.full_name(), SAPIENT_MESSAGE);
        assert!(d.get_field_by_name("detection_report").is_some());
    }
}
