//! Arbitrary bytes as CoT XML (event, friendly SA, XML stream): must never panic; whatever
//! decodes must re-encode and decode to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_cot::xml::{decode_xml, encode_xml};
use picket_cot::{FriendlySa, Limits, StreamDecoder};

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = decode_xml(data) {
        let xml = encode_xml(&ev).expect("a decoded event encodes");
        // Escaping can grow text (CDATA → entities) past the size limit; only then may it fail.
        if xml.len() > Limits::default().max_bytes {
            return;
        }
        let again = decode_xml(xml.as_bytes()).expect("re-decoding an encoded event");
        assert_eq!(again.uid, ev.uid);
        assert_eq!(again.point, ev.point);
    }
    let _ = FriendlySa::decode_xml(data, &Limits::default());
    let mut dec = StreamDecoder::new(Limits::default());
    dec.push(data);
    while let Ok(Some(_)) = dec.next_event() {}
});
