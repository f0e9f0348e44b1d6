//! Hostile input: mutated XML and protobuf never panic, and bounded work stays bounded.

use super::xml::sample_event;
use super::ATAK_SA;
use picket_cot::convert::{decode_payload, encode_payload};
use picket_cot::framing::{decode_datagram, encode_mesh, encode_stream, split_stream};
use picket_cot::xml::{decode_xml, decode_xml_with, encode_xml};
use picket_cot::{DecodeError, FriendlySa, Limits, StreamDecoder, WireFormat};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b"<",
    b">",
    b"/>",
    b"&",
    b"&#0;",
    b"&#x110000;",
    b"&lt;",
    b"\"",
    b"'",
    b"]]>",
    b"<![CDATA[",
    b"<!DOCTYPE x>",
    b"<?xml",
    b"</event>",
    b"<event>",
    b"\xbf",
    b"\x00",
    b"\xff\xff",
    b"NaN",
    b"-1e309",
    b"99999999999999999999",
    b"<detail>",
    b"</detail>",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 => {
                let s = INTERESTING[rng.below(INTERESTING.len())];
                v.splice(at..at, s.iter().copied());
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            _ => v.truncate(at),
        }
    }
    v
}

#[test]
fn thousands_of_mutated_xml_events_decode_or_fail_without_panicking() {
    let seeds = [
        encode_xml(&sample_event()).unwrap().into_bytes(),
        ATAK_SA.as_bytes().to_vec(),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut err) = (0, 0);
    for i in 0..4_000 {
        let m = mutate(&mut rng, &seeds[i % 2]);
        match decode_xml(&m) {
            Ok(ev) => {
                ok += 1;
                // Whatever decodes must re-encode and decode to itself.
                let again = decode_xml(encode_xml(&ev).unwrap().as_bytes()).unwrap();
                assert_eq!(again.uid, ev.uid);
            }
            Err(_) => err += 1,
        }
        let _ = FriendlySa::decode_xml(&m, &Limits::default());
        let _ = decode_datagram(&m, &Limits::default());
    }
    assert!(
        ok > 100 && err > 100,
        "mutations should hit both outcomes: {ok} ok, {err} errors"
    );
}

#[test]
fn thousands_of_mutated_protobuf_frames_decode_or_fail_without_panicking() {
    let ev = sample_event();
    let seeds = [
        encode_mesh(&ev, None).unwrap(),
        encode_stream(&ev).unwrap(),
        encode_payload(&decode_xml(ATAK_SA.as_bytes()).unwrap()).unwrap(),
    ];
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let (mut ok, mut err) = (0, 0);
    for i in 0..6_000 {
        let m = mutate(&mut rng, &seeds[i % 3]);
        match decode_datagram(&m, &Limits::default()) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
        let _ = decode_payload(&m, &Limits::default());
        if let Ok(Some((p, _))) = split_stream(&m, 1 << 20) {
            let _ = decode_payload(p, &Limits::default());
        }
        let mut dec = StreamDecoder::new(Limits::default());
        dec.set_wire(WireFormat::ProtobufV1);
        dec.push(&m);
        while let Ok(Some(_)) = dec.next_event() {}
    }
    assert!(ok > 50 && err > 50, "{ok} ok, {err} errors");
}

#[test]
fn random_bytes_never_panic_any_decoder() {
    let mut rng = Rng(42);
    for _ in 0..3_000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = decode_xml(&bytes);
        let _ = decode_payload(&bytes, &Limits::default());
        let _ = decode_datagram(&bytes, &Limits::default());
        let mut dec = StreamDecoder::new(Limits::default());
        dec.push(&bytes);
        while let Ok(Some(_)) = dec.next_event() {}
    }
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    let depth = 100_000;
    let xml = format!(
        r#"<event uid="u" type="t" how="h" time="2026-11-26T12:00:00Z" start="2026-11-26T12:00:00Z" stale="2026-11-26T12:00:00Z"><point lat="1" lon="2"/><detail>{}{}</detail></event>"#,
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let limits = Limits {
        max_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_eq!(
        decode_xml_with(xml.as_bytes(), &limits),
        Err(DecodeError::TooDeep { max: 32 })
    );
}

#[test]
fn an_xml_detail_inside_protobuf_is_held_to_the_same_limits() {
    let mut ev = sample_event();
    ev.detail = (0..20)
        .map(|i| picket_cot::Element::new("x").attr("i", i.to_string()))
        .collect();
    let bytes = encode_payload(&ev).unwrap();
    let small = Limits {
        max_elements: 10,
        ..Limits::default()
    };
    assert_eq!(
        decode_payload(&bytes, &small),
        Err(DecodeError::TooManyElements { max: 10 })
    );
    assert_eq!(
        decode_payload(&bytes, &Limits::default()).unwrap().detail,
        ev.detail
    );
}
