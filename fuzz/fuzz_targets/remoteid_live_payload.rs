//! Arbitrary bytes as one Remote ID field-receiver payload (UDP datagram or MQTT message):
//! radiotap, capture or JSON lines. Never panics; state carries across payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_core::{SensorId, Timestamp};
use picket_inputs::RemoteIdLiveDecoder;

fuzz_target!(|data: &[u8]| {
    let mut d = RemoteIdLiveDecoder::new(SensorId("fuzz".into()), None);
    let (mut obs, mut rejects) = (Vec::new(), Vec::new());
    let rx = Timestamp::from_micros(1_700_000_000_000_000);
    // Twice: the second pass sees the state (authentication pages, assembly) of the first.
    d.decode(rx, data, &mut obs, &mut rejects);
    d.decode(rx, data, &mut obs, &mut rejects);
    // Also every line as a JSON record on its own, with the binary forms prefixed.
    let mut json = b"{\"frame_hex\":\"".to_vec();
    json.extend(data.iter().flat_map(|b| format!("{b:02x}").into_bytes()));
    json.extend_from_slice(b"\"}");
    d.decode(rx, &json, &mut obs, &mut rejects);
});
