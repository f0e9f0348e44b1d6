//! Per-aircraft state of an SBS-1 (BaseStation) feed: the receiver has already resolved
//! positions (no CPR here), but callsign and velocity come on lines of their own (MSG,1 and
//! MSG,4), so they are remembered and attached to the next position (MSG,2 / MSG,3) to make
//! the same [`PositionFix`] a Beast or AVR feed gives.
//!
//! Time is an argument (seconds on any monotonic scale, e.g. reception time). The number of
//! aircraft is bounded: the least recently heard is evicted first.

use crate::altitude::Squawk;
use crate::callsign::Callsign;
use crate::framing::sbs::SbsMessage;
use crate::tracker::{CprMethod, PositionFix, TrackerConfig, VelocityFacts};
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
struct SbsAircraft {
    last_seen_s: f64,
    callsign: Option<Callsign>,
    velocity: Option<VelocityFacts>,
    squawk: Option<Squawk>,
}

/// What an SBS feed has told about each aircraft so far.
#[derive(Clone, Debug)]
pub struct SbsTracker {
    max_aircraft: usize,
    ttl_s: f64,
    velocity_max_age_s: f64,
    aircraft: HashMap<u32, SbsAircraft>,
}

impl SbsTracker {
    /// A tracker with the bounds and ages of `config` (`max_aircraft`, `ttl_s`,
    /// `velocity_max_age_s`; the CPR settings do not apply).
    pub fn new(config: &TrackerConfig) -> Self {
        SbsTracker {
            max_aircraft: config.max_aircraft.max(1),
            ttl_s: config.ttl_s,
            velocity_max_age_s: config.velocity_max_age_s,
            aircraft: HashMap::new(),
        }
    }

    /// Aircraft currently remembered.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// True when no aircraft is remembered.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }

    /// Take one `MSG` line heard at `time_s`; a line with a position gives a fix carrying the
    /// aircraft's latest callsign, velocity (if younger than `velocity_max_age_s`) and squawk.
    pub fn update(&mut self, m: &SbsMessage, time_s: f64) -> Option<PositionFix> {
        if !self.aircraft.contains_key(&m.address) && self.aircraft.len() >= self.max_aircraft {
            self.evict(time_s);
        }
        let a = self.aircraft.entry(m.address).or_default();
        if time_s - a.last_seen_s > self.ttl_s {
            *a = SbsAircraft::default();
        }
        a.last_seen_s = time_s;
        if let Some(cs) = m.callsign.as_deref().filter(|c| !c.trim().is_empty()) {
            a.callsign = Some(Callsign::from_bits(Callsign::encode(cs.trim())));
        }
        if m.squawk.is_some() {
            a.squawk = m.squawk;
        }
        if m.transmission == 4 || m.ground_speed_kt.is_some() || m.track_deg.is_some() {
            a.velocity = Some(VelocityFacts {
                ground_speed_kt: m.ground_speed_kt,
                track_deg: m.track_deg,
                vertical_rate_fpm: m.vertical_rate_fpm,
                geo_minus_baro_ft: None,
                time_s: Some(time_s),
            });
        }
        let (lat_deg, lon_deg) = (m.lat_deg?, m.lon_deg?);
        let velocity = a.velocity.filter(|v| {
            v.time_s
                .is_none_or(|t| time_s - t <= self.velocity_max_age_s)
        });
        Some(PositionFix {
            address: m.address,
            non_icao: false,
            lat_deg,
            lon_deg,
            on_ground: m.transmission == 2 || m.on_ground == Some(true),
            // Resolved by the receiver's own decoder; SBS does not say how.
            method: CprMethod::Global,
            altitude_baro_ft: m.altitude_ft,
            altitude_gnss_ft: None,
            typecode: 0,
            nac_p: None,
            callsign: a.callsign,
            category: None,
            velocity,
            squawk: a.squawk,
            emergency: a.squawk.and_then(Squawk::emergency),
            time_s: Some(time_s),
        })
    }

    fn evict(&mut self, now_s: f64) {
        self.aircraft
            .retain(|_, a| now_s - a.last_seen_s <= self.ttl_s);
        while self.aircraft.len() >= self.max_aircraft {
            let Some(oldest) = self
                .aircraft
                .iter()
                .min_by(|x, y| x.1.last_seen_s.total_cmp(&y.1.last_seen_s))
                .map(|(k, _)| *k)
            else {
                return;
            };
            self.aircraft.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sbs::parse_line;

    #[test]
    fn callsign_and_velocity_lines_are_attached_to_the_next_position() {
        let mut t = SbsTracker::new(&TrackerConfig::default());
        let lines: [&[u8]; 3] = [
            b"MSG,1,1,1,4CA2D1,1,2018/04/03,19:02:28.3,,,CBP21   ,,,,,,,,,,,",
            b"MSG,4,1,1,4CA2D1,1,,,,,,,100,90.0,,,-640,,,,,0",
            b"MSG,3,1,1,4CA2D1,1,,,,,,2625,,,59.74472,30.57192,,,,,,0",
        ];
        assert!(t.update(&parse_line(lines[0]).unwrap(), 0.0).is_none());
        assert!(t.update(&parse_line(lines[1]).unwrap(), 1.0).is_none());
        let fix = t.update(&parse_line(lines[2]).unwrap(), 2.0).unwrap();
        assert_eq!(fix.callsign.unwrap().as_str(), "CBP21");
        assert_eq!(fix.velocity.unwrap().ground_speed_kt, Some(100.0));
        assert_eq!(fix.altitude_baro_ft, Some(2625));
        assert!(!fix.on_ground);
        // Twenty seconds on, the velocity is too old to describe the aircraft.
        let fix = t.update(&parse_line(lines[2]).unwrap(), 22.0).unwrap();
        assert!(fix.velocity.is_none());
        let o = crate::to_observation(&"adsb".into(), picket_core::Timestamp::from_micros(0), &fix)
            .unwrap();
        assert_eq!(o.identity, Some(picket_core::Identity::Icao(0x4CA2D1)));
    }

    #[test]
    fn mangled_lines_never_panic_and_positions_stay_valid() {
        // The fuzz target's property (fuzz/fuzz_targets/modes_sbs_state.rs) on mutations of
        // a real line: bytes replaced by an LCG's choice of SBS-ish characters.
        let base = b"MSG,3,1,1,4CA2D1,1,2018/04/03,19:03:29.021,,,CBP21,2625,100,90.0,59.74472,30.57192,-64,7700,0,1,0,0";
        let alphabet = b"0123456789ABCDEFMSG,.-:/ \r\xff";
        let mut t = SbsTracker::new(&TrackerConfig {
            max_aircraft: 4,
            ..TrackerConfig::default()
        });
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 33) as usize
        };
        let mut fixes = 0;
        for i in 0..20_000 {
            let mut line = base.to_vec();
            for _ in 0..(next() % 4) {
                let at = next() % line.len();
                line[at] = alphabet[next() % alphabet.len()];
            }
            if let Ok(m) = parse_line(&line) {
                if let Some(fix) = t.update(&m, f64::from(i)) {
                    fixes += 1;
                    if let Some(o) = crate::to_observation(
                        &"f".into(),
                        picket_core::Timestamp::from_micros(0),
                        &fix,
                    ) {
                        let picket_core::Measurement::Position { position, .. } = o.measurement
                        else {
                            panic!("a position");
                        };
                        assert!(position.is_valid());
                    }
                }
            }
            assert!(t.len() <= 4);
        }
        assert!(fixes > 1000, "{fixes}");
    }

    #[test]
    fn the_number_of_aircraft_is_bounded() {
        let mut t = SbsTracker::new(&TrackerConfig {
            max_aircraft: 3,
            ..TrackerConfig::default()
        });
        for i in 0..100u32 {
            let line = format!("MSG,3,1,1,{:06X},1,,,,,,1000,,,59.0,30.0,,,,,,0", i + 1);
            assert!(t
                .update(&parse_line(line.as_bytes()).unwrap(), f64::from(i))
                .is_some());
            assert!(t.len() <= 3);
        }
    }
}
