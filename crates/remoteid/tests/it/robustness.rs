//! Arbitrary and mutated bytes into every entry point: no panic, typed errors, bounded output.

use crate::{capture, Rng};
use picket_pcap::LinkType;
use picket_remoteid::capture::{scan_ble_adv_data, scan_ble_adv_pdu, scan_dot11};
use picket_remoteid::message::{Message, MessagePack};
use picket_remoteid::{
    decode_capture, decode_frame, dji, french, transport, CaptureDecoder, Transport,
};

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if v.is_empty() {
            break;
        }
        let at = rng.below(v.len());
        match rng.below(5) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v[at] = rng.next_u64() as u8,
            2 => {
                let extreme = [0x00u8, 0xFF, 0x7F, 0x80, 0x19, 0x0A][rng.below(6)];
                for b in v.iter_mut().skip(at).take(4) {
                    *b = extreme;
                }
            }
            3 => v.truncate(at),
            _ => {
                let end = (at + rng.below(64)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
        }
    }
    v
}

fn every_entry_point(bytes: &[u8]) {
    let _ = Message::decode(bytes);
    let _ = MessagePack::decode_lenient(bytes);
    let _ = transport::decode_wifi_vendor(bytes);
    let _ = transport::decode_nan_service_info(bytes);
    let _ = transport::decode_ble_service_data(bytes);
    let _ = dji::decode(bytes);
    let _ = french::decode(bytes);
    let _ = scan_dot11(bytes);
    let _ = scan_ble_adv_pdu(bytes);
    let _ = scan_ble_adv_data(bytes, Transport::BleLegacy);
    for lt in [
        LinkType::RADIOTAP,
        LinkType::IEEE802_11,
        LinkType::NORDIC_BLE,
        LinkType::BLUETOOTH_LE_LL,
        LinkType::BLUETOOTH_LE_LL_WITH_PHDR,
    ] {
        let _ = decode_frame(lt, bytes);
    }
}

#[test]
fn random_bytes_into_every_entry_point_never_panic() {
    let mut rng = Rng(0xDEAD_BEEF);
    for _ in 0..20_000 {
        let len = rng.below(300);
        let mut b: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        // Steer a third of them into the interesting headers.
        match rng.below(3) {
            0 if b.len() > 3 => {
                b[0] = 0xF0 | (rng.next_u64() as u8 & 0x0F);
                b[1] = 25;
                b[2] = rng.below(12) as u8;
            }
            1 if b.len() > 1 => b[0] = [0x0D, 0x58, 0x01][rng.below(3)],
            _ => {}
        }
        every_entry_point(&b);
    }
}

#[test]
fn thousands_of_mutated_real_frames_and_captures_never_panic() {
    let mut rng = Rng(0x1234_5678);
    // Whole small captures, mutated.
    let small = [
        capture("odid_wifi_bcn_sample.pcap"),
        capture("odid_wifi_sample.pcap"),
        capture("dji_air3.pcapng"),
    ];
    let mut runs = 0;
    for seed in &small {
        for _ in 0..700 {
            let m = mutate(&mut rng, seed);
            if let Ok(d) = CaptureDecoder::new(&m) {
                // Bounded: never more records than 10 per 16 bytes of input.
                let n = d.take(100_000).count();
                assert!(n <= m.len() / 16 * 10 + 10);
            }
            runs += 1;
        }
    }
    // Single frames of every link type, mutated.
    let frames: Vec<(LinkType, Vec<u8>)> = [
        "odid_bt5_lr_sample.pcapng",
        "parrot_anafi4_spoofed.pcapng",
        "odid_wifi_sample.pcap",
    ]
    .iter()
    .flat_map(|name| {
        let bytes = capture(name);
        picket_pcap::packets(&bytes)
            .unwrap()
            .take(40)
            .map(|p| {
                let p = p.unwrap();
                (p.link_type, p.data.to_vec())
            })
            .collect::<Vec<_>>()
    })
    .collect();
    for (lt, f) in &frames {
        for _ in 0..25 {
            let m = mutate(&mut rng, f);
            let _ = decode_frame(*lt, &m);
            every_entry_point(&m);
            runs += 1;
        }
    }
    assert!(runs >= 5_000, "{runs} runs");
}

#[test]
fn a_truncated_capture_yields_its_good_records_then_the_error() {
    let bytes = capture("odid_wifi_bcn_sample.pcap");
    let cut = &bytes[..bytes.len() - 10];
    let results: Vec<_> = CaptureDecoder::new(cut).unwrap().collect();
    let (ok, err): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(ok.len(), 20 * 5, "the first 20 beacons' messages");
    assert_eq!(err.len(), 1);
    assert!(decode_capture(cut).is_err());
    assert!(decode_capture(b"not a capture").is_err());
}
