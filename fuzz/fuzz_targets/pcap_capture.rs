//! Arbitrary bytes as a pcap/pcapng capture, decoded all the way to Remote ID records:
//! never panics, and the number of records stays bounded by the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packets) = picket_pcap::packets(data) {
        for p in packets {
            let Ok(p) = p else { break };
            assert!(p.data.len() <= data.len());
        }
    }
    if let Ok(records) = picket_remoteid::CaptureDecoder::new(data) {
        let n = records.count();
        assert!(n <= data.len() / 16 * 10 + 10, "{n} records from {} bytes", data.len());
    }
});
