//! Arbitrary bytes as an ASTERIX datagram and as a pcap capture: block walk, CAT-048/034
//! record decode, JSON lines and the observation mapping must never panic, and every record
//! lies inside the datagram.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_asterix::observe::{target_report_to_observation, RadarSite};
use picket_asterix::{decode_asterix_pcap, decode_asterix_records, records, Record};
use picket_core::{GeoPoint, SensorId, Timestamp};

fuzz_target!(|data: &[u8]| {
    let site = RadarSite::new(
        SensorId("radar-1".into()),
        GeoPoint::new(43.57, 16.4, 780.0),
    );
    for r in records(data).flatten() {
        assert!(r.offset + r.bytes.len() <= data.len());
        if let Record::Cat048(c) = &r.record {
            let _ = target_report_to_observation(c, &site, Timestamp::from_micros(0));
        }
    }
    let _ = decode_asterix_records(data);
    let _ = decode_asterix_pcap(data);
});
