//! Mutated and random datagrams and captures never panic.

use crate::{capture, CAT_034_048};
use picket_asterix::capture::udp_datagrams;
use picket_asterix::observe::{target_report_to_observation, RadarSite};
use picket_asterix::{decode_asterix_pcap, decode_asterix_records, records, Record};
use picket_core::{GeoPoint, SensorId, Timestamp};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        match rng.below(5) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                v.insert(i, rng.next() as u8);
            }
            3 if len > 0 => {
                v.remove(rng.below(len));
            }
            _ => v.truncate(rng.below(len + 1)),
        }
    }
    v
}

fn exercise(payload: &[u8]) -> usize {
    let site = RadarSite::new(SensorId::from("r"), GeoPoint::new(43.57, 16.4, 780.0));
    let mut n = 0;
    for r in records(payload).flatten() {
        n += 1;
        if let Record::Cat048(c) = &r.record {
            let _ = target_report_to_observation(c, &site, Timestamp::from_micros(0));
        }
    }
    let _ = decode_asterix_records(payload);
    n
}

#[test]
fn thousands_of_mutated_sample_datagrams_never_panic() {
    let file = capture(CAT_034_048);
    let payloads: Vec<Vec<u8>> = udp_datagrams(&file)
        .unwrap()
        .map(|d| d.unwrap().payload.to_vec())
        .collect();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut decoded = 0;
    for i in 0..5000 {
        decoded += exercise(&mutate(&mut rng, &payloads[i % payloads.len()]));
    }
    // Most single mutations leave some records readable: the walk does not give up early.
    assert!(decoded > 2000, "{decoded}");
}

#[test]
fn mutated_captures_never_panic() {
    let file = capture(CAT_034_048);
    let mut rng = Rng(0x0bad_f00d_dead_beef);
    for _ in 0..300 {
        let m = mutate(&mut rng, &file);
        let _ = decode_asterix_pcap(&m);
        if let Ok(it) = udp_datagrams(&m) {
            for d in it.flatten() {
                exercise(d.payload);
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0xfeed_face_cafe_beef);
    for _ in 0..3000 {
        let len = rng.below(200);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if len >= 3 && rng.below(2) == 0 {
            // A plausible header so the record decoders are reached.
            bytes[0] = if rng.below(2) == 0 { 48 } else { 34 };
            bytes[1] = 0;
            bytes[2] = len as u8;
        }
        exercise(&bytes);
        let _ = decode_asterix_pcap(&bytes);
    }
}
