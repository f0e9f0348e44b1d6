//! Arbitrary bytes as an SBS-1 feed: lines parsed and joined per aircraft by `SbsTracker`
//! (the live `format = "sbs"` path): no panic, the aircraft count stays bounded, and every
//! observation made is a valid position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket_modes::framing::sbs;
use picket_modes::{to_observation, SbsTracker, TrackerConfig};

fuzz_target!(|data: &[u8]| {
    let mut tracker = SbsTracker::new(&TrackerConfig {
        max_aircraft: 8,
        ..TrackerConfig::default()
    });
    let sensor = picket_core::SensorId("fuzz".into());
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let Ok(m) = sbs::parse_line(line) else { continue };
        if let Some(fix) = tracker.update(&m, i as f64) {
            if let Some(o) = to_observation(&sensor, picket_core::Timestamp::from_micros(0), &fix) {
                let picket_core::Measurement::Position { position, .. } = o.measurement else {
                    panic!("an ADS-B observation is a position");
                };
                assert!(position.is_valid());
            }
        }
        assert!(tracker.len() <= 8);
    }
});
