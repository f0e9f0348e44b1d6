//! Arbitrary bytes as TAK protocol v1 (mesh datagram, stream frames, bare payload): must
//! never panic; whatever decodes must survive its own protobuf round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_cot::convert::{decode_payload, encode_payload};
use picket_cot::framing::decode_datagram;
use picket_cot::{Limits, StreamDecoder, WireFormat};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(ev) = decode_payload(data, &limits) {
        if let Ok(bytes) = encode_payload(&ev) {
            // Re-encoding can grow (CDATA → entities); past the size limit it may fail.
            if bytes.len() <= limits.max_bytes {
                let again = decode_payload(&bytes, &limits).expect("re-decoding an encoded event");
                assert_eq!(again.uid, ev.uid);
            }
        }
    }
    let _ = decode_datagram(data, &limits);
    let mut dec = StreamDecoder::new(limits);
    dec.set_wire(WireFormat::ProtobufV1);
    dec.push(data);
    while let Ok(Some(_)) = dec.next_event() {}
});
