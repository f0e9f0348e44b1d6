//! Arbitrary bytes as a JSON-lines observation: must never panic; errors are typed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_core::{GeoPoint, SensorId};
use picket_obsjson::{decode_line, encode, SensorContext};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let ctx = SensorContext {
        sensor_id: SensorId("radar-1".into()),
        position: Some(GeoPoint::new(31.348, -109.948, 1_410.0)),
    };
    if let Ok(input) = decode_line(line, &ctx) {
        // Whatever decodes must survive its own round trip.
        let again = decode_line(&encode(&input), &ctx).expect("re-decoding an encoded input");
        assert_eq!(again.time(), input.time());
    }
});
