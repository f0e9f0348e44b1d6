//! Mutated and random input never panics and never allocates beyond the input's bound.

use crate::alloc_probe::largest_allocation;
use crate::{sample, SAMPLES};
use picket_core::{GeoPoint, SensorId, Timestamp};
use picket_sapient::observe::{message_to_observation, node_position};
use picket_sapient::validate::validate_message;
use picket_sapient::{
    decode_frame, decode_sapient_stream, message_to_json, Content, Deframer, MappingOptions,
    NodeProfile, Session,
};

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
        match rng.below(6) {
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
            4 => v.truncate(rng.below(len + 1)),
            _ if len >= 4 => {
                // A hostile or off-by-some length prefix.
                let l = match rng.below(3) {
                    0 => u32::MAX,
                    1 => rng.next() as u32,
                    _ => (len as u32)
                        .wrapping_sub(4)
                        .wrapping_add(rng.below(5) as u32)
                        .wrapping_sub(2),
                };
                v[..4].copy_from_slice(&l.to_le_bytes());
            }
            _ => {}
        }
    }
    v
}

fn exercise(bytes: &[u8], profile: &NodeProfile) {
    let post = GeoPoint::new(51.2, -1.8, 120.0);
    let opts = MappingOptions::default();
    if let Ok((msg, _)) = decode_frame(bytes) {
        let _ = validate_message(&msg);
        let _ = message_to_json(&msg);
        let _ = message_to_observation(&msg, &SensorId::from("s"), profile, Some(post), &opts);
        if let Some(Content::StatusReport(s)) = &msg.content {
            let _ = node_position(s, profile, &opts);
        }
        if let Some(Content::Registration(r)) = &msg.content {
            let _ = NodeProfile::from_registration("n", r);
        }
    }
    let _ = decode_sapient_stream(bytes);
    let mut session = Session::new("fusion", SensorId::from("s"), MappingOptions::default());
    session.on_bytes(
        &sample("dstl_testharness_Default.Registration.frame.bin"),
        Timestamp::from_micros(0),
    );
    for chunk in bytes.chunks(13) {
        session.on_bytes(chunk, Timestamp::from_micros(0));
    }
    let mut d = Deframer::new();
    for chunk in bytes.chunks(7) {
        d.push(chunk);
        while d.next_message().is_some() {}
    }
}

#[test]
fn thousands_of_mutated_sample_frames_never_panic_or_overallocate() {
    let (reg, _) =
        decode_frame(&sample("dstl_testharness_Default.Registration.frame.bin")).unwrap();
    let Some(Content::Registration(r)) = &reg.content else {
        panic!()
    };
    let profile = NodeProfile::from_registration("n", r);
    let frames: Vec<Vec<u8>> = SAMPLES
        .iter()
        .map(|n| sample(&format!("{n}.frame.bin")))
        .collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut largest_seen = 0;
    for i in 0..4000 {
        let m = mutate(&mut rng, &frames[i % frames.len()]);
        let ((), largest) = largest_allocation(|| exercise(&m, &profile));
        largest_seen = largest_seen.max(largest);
    }
    // Generous constant factor over the largest input (a few KiB), far from the 4 GiB a
    // mutated length prefix can claim.
    assert!(
        largest_seen < 1 << 20,
        "largest allocation {largest_seen} bytes"
    );
}

#[test]
fn random_bytes_never_panic() {
    let profile = NodeProfile::default();
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..2000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        exercise(&bytes, &profile);
        // Also as a payload behind a correct length prefix.
        let mut framed = (bytes.len() as u32).to_le_bytes().to_vec();
        framed.extend(&bytes);
        exercise(&framed, &profile);
    }
}
