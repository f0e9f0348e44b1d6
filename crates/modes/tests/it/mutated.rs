//! Thousands of mutated inputs through every decoder: no panic, output bounded by input.
//! (CI cannot run cargo-fuzz; this replays the same kind of damage deterministically.)

use crate::data::{beast_capture, read_adsb, Rng};
use picket_modes::framing::{avr, beast, sbs};
use picket_modes::{decode_records, format_from_bytes, BeastDeframer, Format, ModeS};

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let start = rng.below(base.len());
    let len = 1 + rng.below(1_500);
    let mut v = base[start..(start + len).min(base.len())].to_vec();
    for _ in 0..1 + rng.below(8) {
        if v.is_empty() {
            break;
        }
        let i = rng.below(v.len());
        match rng.below(6) {
            0 => v[i] ^= 1 << rng.below(8),
            1 => v[i] = rng.next() as u8,
            2 => v.insert(
                i,
                [0x1A, b'1', b'2', b'3', b'4', b'*', b';', b','][rng.below(8)],
            ),
            3 => {
                v.remove(i);
            }
            4 => {
                let j = (i + rng.below(30)).min(v.len());
                let dup = v[i..j].to_vec();
                v.splice(i..i, dup);
            }
            _ => v.truncate(i),
        }
    }
    v
}

fn avr_text() -> Vec<u8> {
    let mut text = String::new();
    for f in beast::frames(&beast_capture())
        .filter_map(Result::ok)
        .take(3_000)
    {
        text.push('*');
        text.extend(f.data().iter().map(|b| format!("{b:02X}")));
        text.push_str(";\n");
    }
    text.into_bytes()
}

#[test]
fn mutated_inputs_never_panic_and_output_stays_bounded() {
    let inputs = [
        (Format::Beast, beast_capture()),
        (Format::Avr, avr_text()),
        (Format::Sbs, read_adsb("beastblackbox_decoded_sbs.txt")),
    ];
    let mut rng = Rng(0xF022_2026);
    let mut records = 0usize;
    for round in 0..3_000 {
        let (_, base) = &inputs[round % 3];
        let bytes = mutate(&mut rng, base);
        for format in [Format::Beast, Format::Avr, Format::Sbs] {
            let mut n = 0usize;
            for r in decode_records(&bytes, format, Some((59.7, 32.0))) {
                n += 1;
                assert!(r.lat.is_none_or(|v| (-90.0..=90.0).contains(&v)), "{r:?}");
                assert!(r.lon.is_none_or(|v| (-180.0..=180.0).contains(&v)), "{r:?}");
                assert!(serde_json::to_string(&r).is_ok());
            }
            // At most one record per input byte (plus one for an empty tail).
            assert!(
                n <= bytes.len() + 1,
                "{format:?}: {n} records from {} bytes",
                bytes.len()
            );
            records += n;
        }
        let _ = format_from_bytes(&bytes);
        let mut d = BeastDeframer::with_capacity(256);
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let taken = d.push(&rest[..rest.len().min(1 + rng.below(100))]);
            rest = &rest[taken..];
            while d.next_frame().is_some() {}
            assert!(d.buffered() <= 256);
        }
        for line in bytes.split(|&b| b == b'\n') {
            let _ = sbs::parse_line(line);
            let _ = avr::parse_record(line);
        }
        for w in bytes.windows(14).step_by(7) {
            let _ = ModeS::decode(w);
            let _ = ModeS::decode(&w[..7]);
        }
    }
    assert!(records > 10_000, "{records}");
}
