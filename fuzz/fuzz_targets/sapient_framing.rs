//! Arbitrary bytes as a SAPIENT TCP stream, fed in chunks: framing, protobuf decode,
//! validation, JSON and the mapping must never panic; a decoded message re-encodes to a frame
//! that decodes to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_core::{GeoPoint, SensorId, Timestamp};
use picket_sapient::observe::message_to_observation;
use picket_sapient::validate::validate_message;
use picket_sapient::{
    decode_frame, decode_sapient_stream, encode_frame, message_to_json, Deframer, MappingOptions,
    NodeProfile, Session,
};

fuzz_target!(|data: &[u8]| {
    let chunk = 1 + usize::from(data.first().copied().unwrap_or(0) % 64);
    let mut d = Deframer::new();
    let profile = NodeProfile::default();
    for part in data.chunks(chunk) {
        d.push(part);
        while let Some(m) = d.next_message() {
            let Ok(msg) = m else { continue };
            let _ = validate_message(&msg);
            let _ = message_to_json(&msg);
            let _ = message_to_observation(
                &msg,
                &SensorId("s".into()),
                &profile,
                Some(GeoPoint::new(51.2, -1.8, 120.0)),
                &MappingOptions::default(),
            );
            if let Ok(frame) = encode_frame(&msg) {
                let (again, used) = decode_frame(&frame).expect("our own frame decodes");
                assert_eq!(used, frame.len());
                assert_eq!(again, msg);
            }
        }
    }
    let _ = decode_sapient_stream(data);
    // The server's view: a session survives anything, chunked anyhow.
    let mut session = Session::new("fusion", SensorId("s".into()), MappingOptions::default());
    for part in data.chunks(chunk) {
        let _ = session.on_bytes(part, Timestamp::from_micros(0));
    }
});
