//! Remote ID decode throughput (messages per second, one core): synthetic messages and packs,
//! and the real Parrot Anafi capture's packs. The side-by-side comparison with the C
//! reference library lives in `refbench/` (outside the workspace: it needs clang).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use picket_remoteid::capture::{scan_dot11, Found};
use picket_remoteid::message::{Location, Message, MessagePack, MESSAGE_LEN};
use std::path::PathBuf;

const LOCATION: [u8; 25] = [
    0x12, 0x26, 0x24, 0x16, 0x0a, 0x42, 0xbf, 0x24, 0x1b, 0x6e, 0xd1, 0xb4, 0xb6, 0x98, 0x08, 0xac,
    0x08, 0x70, 0x08, 0x6b, 0x53, 0x15, 0x0e, 0x02, 0x00,
];

/// 1024 Location messages with varied fields, so branch prediction does not learn one.
fn varied_locations() -> Vec<[u8; MESSAGE_LEN]> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..1024)
        .map(|_| {
            let mut m = LOCATION;
            for b in m[1..25].iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            m[0] = 0x12;
            m
        })
        .collect()
}

/// The bytes of the real Parrot capture.
fn parrot_capture() -> Vec<u8> {
    let dir = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = dir.join("remoteid/parrot_anafi4_real.pcapng");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing ({e})", path.display()))
}

/// The ODID packs (after the counter) of the real Parrot capture.
fn parrot_packs() -> Vec<Vec<u8>> {
    let bytes = parrot_capture();
    let mut packs = Vec::new();
    for p in picket_pcap::packets(&bytes).unwrap().flatten() {
        let Ok((_, frame)) = picket_pcap::radiotap::parse(p.data) else {
            continue;
        };
        for f in scan_dot11(frame).1 {
            if let Found::Odid {
                message: Message::MessagePack(pack),
                ..
            } = f
            {
                packs.push(pack.encode().unwrap());
            }
        }
    }
    assert_eq!(packs.len(), 1140);
    packs
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("remoteid_decode");

    g.throughput(Throughput::Elements(1));
    g.bench_function("location_reference_vector", |b| {
        b.iter(|| black_box(Location::decode(black_box(&LOCATION))))
    });

    let varied = varied_locations();
    g.throughput(Throughput::Elements(varied.len() as u64));
    g.bench_function("location_varied_1024", |b| {
        b.iter(|| {
            for m in black_box(&varied) {
                black_box(Location::decode(m));
            }
        })
    });

    let mixed: Vec<[u8; MESSAGE_LEN]> = varied
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut m = *m;
            m[0] = ((i % 6) as u8) << 4 | 2;
            m
        })
        .collect();
    g.throughput(Throughput::Elements(mixed.len() as u64));
    g.bench_function("message_decode_mixed_types_1024", |b| {
        b.iter(|| {
            for m in black_box(&mixed) {
                black_box(Message::decode_single(m));
            }
        })
    });

    let pack = MessagePack {
        protocol_version: 2,
        messages: mixed[..5].iter().map(Message::decode_single).collect(),
    }
    .encode()
    .unwrap();
    g.throughput(Throughput::Elements(5));
    g.bench_function("synthetic_pack_of_5", |b| {
        b.iter(|| {
            MessagePack::decode(black_box(&pack))
                .unwrap()
                .messages
                .len()
        })
    });

    let packs = parrot_packs();
    let messages: u64 = packs.iter().map(|p| p[2] as u64).sum();
    g.throughput(Throughput::Elements(messages));
    g.bench_function("parrot_capture_packs", |b| {
        b.iter(|| {
            for p in black_box(&packs) {
                black_box(MessagePack::decode(p).ok());
            }
        })
    });
    g.finish();

    // Assembly (identity, operator, evidence) over the real capture's decoded records.
    let mut g = c.benchmark_group("remoteid_assembly");
    let records = picket_remoteid::decode_capture(&parrot_capture()).unwrap();
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("parrot_capture_records", |b| {
        b.iter(|| {
            let mut ctx =
                picket_remoteid::ObservationContext::new(picket_core::SensorId("bench".into()));
            ctx.receiver_position = Some(picket_core::GeoPoint::new(47.1987, 8.7302, 480.0));
            let mut a = picket_remoteid::Assembler::new(ctx);
            let mut out = Vec::with_capacity(1200);
            a.push(black_box(&records), &mut out);
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
