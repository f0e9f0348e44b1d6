//! Arbitrary bytes as a Beast TCP stream, pushed in chunks whose sizes come from the input:
//! never panics, never holds more than its capacity, and every Mode S frame it yields goes
//! through the stateful decoder (CPR, tracker) without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_modes::{BeastDeframer, BeastKind, Decoder, TrackerConfig};

fuzz_target!(|data: &[u8]| {
    let (sizes, stream) = data.split_at(data.len().min(8));
    let mut d = BeastDeframer::with_capacity(512);
    let mut dec = Decoder::new(TrackerConfig {
        receiver: Some((59.7, 32.0)),
        max_aircraft: 16,
        ..TrackerConfig::default()
    });
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = usize::from(sizes.get(i % sizes.len().max(1)).copied().unwrap_or(64)).max(1);
        i += 1;
        let taken = d.push(&rest[..n.min(rest.len())]);
        rest = &rest[taken..];
        while let Some(r) = d.next_frame() {
            if let Ok(f) = r {
                if matches!(f.kind, BeastKind::ModeSShort | BeastKind::ModeSLong) {
                    let out = dec.decode(f.data(), Some(f.mlat_ticks as f64 / 12e6));
                    if let Some(fix) = out.fix {
                        assert!(fix.lat_deg.abs() <= 90.0 && fix.lon_deg.abs() <= 180.0);
                    }
                }
            }
        }
        assert!(d.buffered() <= 512);
    }
    let _ = d.finish();
    assert!(dec.tracker().len() <= 16);
});
