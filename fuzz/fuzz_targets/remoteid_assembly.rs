//! Arbitrary bytes as a stream of radiotap frames (each prefixed by a length byte and a time
//! step byte) through the record builder and one assembler: never panics, state stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_core::{SensorId, Timestamp};
use picket_pcap::LinkType;
use picket_remoteid::capture::RecordBuilder;
use picket_remoteid::{decode_frame, Assembler, ObservationContext};

fuzz_target!(|data: &[u8]| {
    let mut ctx = ObservationContext::new(SensorId("fuzz".into()));
    ctx.receiver_position = Some(picket_core::GeoPoint::new(47.0, 8.0, 500.0));
    let mut assembler = Assembler::with_capacity(ctx, 8);
    let mut builder = RecordBuilder::new();
    let mut out = Vec::new();
    let mut time = Timestamp::from_micros(1_700_000_000_000_000);
    let mut rest = data;
    let mut frame = 0;
    while let [len, step, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (bytes, tail) = tail.split_at(n);
        rest = tail;
        frame += 1;
        // Steps of up to ~25 s, sometimes backwards.
        time = time.plus_secs_f64((*step as i8) as f64 * 0.2);
        if let Ok(d) = decode_frame(LinkType::RADIOTAP, bytes) {
            let mut recs = Vec::new();
            builder.records(frame, Some(time), &d, &mut recs);
            assembler.push(&recs, &mut out);
        }
        assert!(assembler.len() <= 8 && assembler.addresses() <= 8 * 8);
        out.clear();
    }
});
