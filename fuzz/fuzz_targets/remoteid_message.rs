//! Arbitrary bytes as a Remote ID message or Message Pack, and through each transport's
//! framing: must never panic; whatever decodes must survive its own round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_remoteid::message::{Message, MessagePack};
use picket_remoteid::{dji, french, transport};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::decode(data) {
        if let Ok(bytes) = m.encode_to_vec() {
            let again = Message::decode(&bytes).expect("re-decoding an encoded message");
            assert_eq!(again.encode_to_vec().ok(), Some(bytes));
        }
    }
    let _ = MessagePack::decode_lenient(data);
    let _ = transport::decode_wifi_vendor(data);
    let _ = transport::decode_nan_service_info(data);
    let _ = transport::decode_ble_service_data(data);
    let _ = dji::decode(data);
    let _ = french::decode(data);
});
