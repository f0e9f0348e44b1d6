//! Picket's Remote ID decoder and the C reference library (opendroneid-core-c via the
//! `opendroneid` crate), side by side in one run, messages per second on one core.
//!
//! The C library reads a fixed-size pack struct from the pointer it is given without checking
//! the buffer's length, so every buffer handed to it here is padded to 256 bytes.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use opendroneid::Message as _;
use picket_remoteid::capture::{scan_dot11, Found};
use picket_remoteid::message::{Location, Message, MessagePack, PackView, MESSAGE_LEN};
use std::path::PathBuf;

const LOCATION: [u8; 25] = [
    0x12, 0x26, 0x24, 0x16, 0x0a, 0x42, 0xbf, 0x24, 0x1b, 0x6e, 0xd1, 0xb4, 0xb6, 0x98, 0x08, 0xac,
    0x08, 0x70, 0x08, 0x6b, 0x53, 0x15, 0x0e, 0x02, 0x00,
];

fn pad(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    v.resize(256, 0);
    v
}

/// The Parrot capture's Location messages and packs.
fn parrot() -> (Vec<[u8; MESSAGE_LEN]>, Vec<Vec<u8>>) {
    let dir = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/data")
        });
    let path = dir.join("remoteid/parrot_anafi4_real.pcapng");
    let bytes =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing ({e})", path.display()));
    let (mut locs, mut packs) = (Vec::new(), Vec::new());
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
                for m in &pack.messages {
                    if let Message::Location(l) = m {
                        locs.push(l.encode());
                    }
                }
                packs.push(pack.encode().unwrap());
            }
        }
    }
    assert_eq!((locs.len(), packs.len()), (1140, 1140));
    (locs, packs)
}

fn bench(c: &mut Criterion) {
    let (locs, packs) = parrot();
    // Both decoders agree on the positions before anything is timed.
    for l in &locs {
        let ours = Location::decode(l);
        let theirs = opendroneid::Location::decode(&pad(l)[..]).unwrap();
        assert!((ours.lat.unwrap() - theirs.latitude()).abs() < 1e-9);
        assert!((ours.lon.unwrap() - theirs.longitude()).abs() < 1e-9);
    }

    let mut g = c.benchmark_group("location_reference_vector");
    g.throughput(Throughput::Elements(1));
    g.bench_function("picket", |b| {
        b.iter(|| black_box(Location::decode(black_box(&LOCATION))))
    });
    let padded = pad(&LOCATION);
    g.bench_function("opendroneid_c", |b| {
        b.iter(|| black_box(opendroneid::Location::decode(black_box(&padded[..]))))
    });
    g.finish();

    let mut g = c.benchmark_group("parrot_locations");
    g.throughput(Throughput::Elements(locs.len() as u64));
    g.bench_function("picket", |b| {
        b.iter(|| {
            for l in black_box(&locs) {
                black_box(Location::decode(l));
            }
        })
    });
    let padded: Vec<Vec<u8>> = locs.iter().map(|l| pad(l)).collect();
    g.bench_function("opendroneid_c", |b| {
        b.iter(|| {
            for l in black_box(&padded) {
                black_box(opendroneid::Location::decode(&l[..]).ok());
            }
        })
    });
    g.finish();

    let messages: u64 = packs.iter().map(|p| p[2] as u64).sum();
    let mut g = c.benchmark_group("parrot_packs");
    g.throughput(Throughput::Elements(messages));
    g.bench_function("picket_vec", |b| {
        b.iter(|| {
            for p in black_box(&packs) {
                black_box(MessagePack::decode(p).ok());
            }
        })
    });
    g.bench_function("picket_view", |b| {
        b.iter(|| {
            for p in black_box(&packs) {
                if let Ok(v) = PackView::new(p) {
                    v.messages().for_each(|m| {
                        black_box(m);
                    });
                }
            }
        })
    });
    let padded: Vec<Vec<u8>> = packs.iter().map(|p| pad(p)).collect();
    g.bench_function("opendroneid_c", |b| {
        b.iter(|| {
            for p in black_box(&padded) {
                black_box(opendroneid::UasData::decode(&p[..]).ok());
            }
        })
    });
    g.finish();

    // A synthetic full pack: Basic ID, Location, Self-ID, System, Operator ID.
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut msg = |t: u8| {
        let mut m = LOCATION;
        for b in m[1..].iter_mut() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            *b = rng as u8 & 0x3F;
        }
        m[0] = t << 4 | 2;
        Message::decode_single(&m)
    };
    let pack = MessagePack {
        protocol_version: 2,
        messages: vec![msg(0), msg(1), msg(3), msg(4), msg(5)],
    }
    .encode()
    .unwrap();
    let padded = pad(&pack);
    let mut g = c.benchmark_group("synthetic_pack_of_5");
    g.throughput(Throughput::Elements(5));
    for (name, run) in [("picket_vec", 0), ("picket_view", 2), ("opendroneid_c", 1)] {
        g.bench_with_input(BenchmarkId::from_parameter(name), &run, |b, &run| {
            b.iter(|| {
                if run == 0 {
                    black_box(MessagePack::decode(black_box(&pack)).ok());
                } else if run == 2 {
                    if let Ok(v) = PackView::new(black_box(&pack)) {
                        v.messages().for_each(|m| {
                            black_box(m);
                        });
                    }
                } else {
                    black_box(opendroneid::UasData::decode(black_box(&padded[..])).ok());
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
