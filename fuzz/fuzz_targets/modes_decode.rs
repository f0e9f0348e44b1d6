//! Arbitrary bytes as a Mode S frame (stateless), and as a whole file in each format through
//! `decode_records` (the `picket decode` path): no panic, at most one record per input byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_modes::framing::{avr, sbs};
use picket_modes::{decode_records, format_from_bytes, Format, ModeS};

fuzz_target!(|data: &[u8]| {
    let _ = ModeS::decode(data);
    let _ = avr::parse_record(data);
    let _ = sbs::parse_line(data);
    let _ = format_from_bytes(data);
    for format in [Format::Beast, Format::Avr, Format::Sbs] {
        let n = decode_records(data, format, Some((-43.5, 172.5)))
            .inspect(|r| {
                assert!(r.lat.is_none_or(|v| v.abs() <= 90.0));
                assert!(r.lon.is_none_or(|v| v.abs() <= 180.0));
            })
            .count();
        assert!(n <= data.len() + 1);
    }
});
