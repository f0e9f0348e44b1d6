//! Length-prefix framing and stream reassembly.

use crate::alloc_probe::largest_allocation;
use crate::{sample, SAMPLES};
use picket_sapient::{
    decode_frame, decode_sapient_stream, split_frame, Deframer, FrameError, SapientMessage,
    MAX_FRAME_LEN,
};

fn samples_stream() -> (Vec<u8>, Vec<SapientMessage>) {
    let mut stream = Vec::new();
    let mut msgs = Vec::new();
    for name in SAMPLES {
        let f = sample(&format!("{name}.frame.bin"));
        msgs.push(decode_frame(&f).unwrap().0);
        stream.extend(f);
    }
    (stream, msgs)
}

#[test]
fn a_4_gb_length_prefix_is_an_error_and_allocates_nothing_near_its_size() {
    let hostile = [0xff, 0xff, 0xff, 0xff, 0x0a, 0x00];
    let (results, largest) = largest_allocation(|| {
        let a = decode_frame(&hostile).map(|_| ());
        let mut d = Deframer::new();
        d.push(&hostile);
        let b = d.next_payload().map(|r| r.map(|_| ()));
        let c = decode_sapient_stream(&hostile);
        (a, b, c)
    });
    let too_large = FrameError::TooLarge {
        len: u64::from(u32::MAX),
        max: MAX_FRAME_LEN,
    };
    assert_eq!(results.0, Err(too_large.clone()));
    assert_eq!(results.1, Some(Err(too_large)));
    assert_eq!(results.2.len(), 1);
    assert!(results.2[0]["error"]
        .as_str()
        .unwrap()
        .contains("4294967295"));
    assert!(largest < 64 * 1024, "largest allocation {largest} bytes");
}

#[test]
fn the_maximum_frame_is_accepted_and_one_byte_more_is_refused() {
    let mut at_max = vec![16u8, 0, 0, 0];
    at_max.extend([0u8; 16]);
    assert_eq!(
        split_frame(&at_max, 16).unwrap().map(|(p, n)| (p.len(), n)),
        Some((16, 20))
    );
    let mut over = vec![17u8, 0, 0, 0];
    over.extend([0u8; 17]);
    assert!(matches!(
        split_frame(&over, 16),
        Err(FrameError::TooLarge { len: 17, max: 16 })
    ));
}

#[test]
fn the_deframer_reassembles_the_samples_from_any_chunking() {
    let (stream, expected) = samples_stream();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..200 {
        let mut d = Deframer::new();
        let mut got = Vec::new();
        let mut rest = stream.as_slice();
        while !rest.is_empty() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = 1 + (seed % if round % 2 == 0 { 7 } else { 900 }) as usize;
            let (chunk, tail) = rest.split_at(n.min(rest.len()));
            rest = tail;
            d.push(chunk);
            while let Some(m) = d.next_message() {
                got.push(m.unwrap_or_else(|(e, _)| panic!("round {round}: {e}")));
            }
        }
        assert_eq!(got, expected, "round {round}");
        assert_eq!(d.buffered_len(), 0);
    }
}

#[test]
fn a_malformed_payload_is_reported_with_its_bytes_and_the_next_frame_still_decodes() {
    let (stream, expected) = samples_stream();
    // Field 1 (timestamp) as a length-delimited field running past the payload.
    let garbage = [0x0a, 0x7f, 0x01];
    let mut d = Deframer::new();
    d.push(&(garbage.len() as u32).to_le_bytes());
    d.push(&garbage);
    d.push(&stream);
    let Some(Err((FrameError::Protobuf(_), quoted))) = d.next_message() else {
        panic!("expected a protobuf error")
    };
    assert_eq!(quoted, garbage);
    let rest: Vec<_> = std::iter::from_fn(|| d.next_message())
        .map(|m| m.unwrap())
        .collect();
    assert_eq!(rest, expected);
}

#[test]
fn an_oversized_frame_is_skipped_and_the_stream_resumes_after_it() {
    let (stream, expected) = samples_stream();
    let mut d = Deframer::with_max_frame_len(1024);
    let big = vec![0x55u8; 5000];
    d.push(&(big.len() as u32).to_le_bytes());
    assert!(matches!(
        d.next_payload(),
        Some(Err(FrameError::TooLarge { len: 5000, .. }))
    ));
    for chunk in big.chunks(333) {
        d.push(chunk);
        assert!(d.buffered_len() == 0, "discarded bytes are never buffered");
    }
    d.push(&stream);
    // The registration sample is larger than 1 KiB: it is refused and skipped too.
    let mut got = Vec::new();
    let mut refused = 0;
    while let Some(m) = d.next_message() {
        match m {
            Ok(m) => got.push(m),
            Err((FrameError::TooLarge { .. }, _)) => refused += 1,
            Err((e, _)) => panic!("{e}"),
        }
    }
    assert_eq!(refused, 1);
    assert_eq!(got, expected[1..]);
}

#[test]
fn a_truncated_frame_says_how_many_bytes_it_needs() {
    let f = sample("dstl_testharness_Default.StatusReport.frame.bin");
    let cut = &f[..f.len() - 10];
    assert_eq!(
        decode_frame(cut),
        Err(FrameError::Truncated {
            needed: f.len(),
            available: f.len() - 10
        })
    );
    let lines = decode_sapient_stream(cut);
    assert_eq!(lines.len(), 1);
    assert!(lines[0]["error"].as_str().unwrap().contains("truncated"));
}
