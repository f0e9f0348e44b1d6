//! Mutated captures: no panic anywhere, and every error is a typed value.

use crate::capture;
use picket_pcap::{ble, dot11, packets, radiotap, LinkType};

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Flip bytes, overwrite lengths with extremes, truncate or duplicate a slice.
pub fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
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
                let extreme = [0x00u8, 0xFF, 0x7F, 0x80][rng.below(4)];
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

fn parse_everything(bytes: &[u8]) {
    let Ok(it) = packets(bytes) else { return };
    for p in it.take(10_000) {
        let Ok(p) = p else { return };
        match p.link_type {
            LinkType::RADIOTAP => {
                if let Ok((_, f)) = radiotap::parse(p.data) {
                    if let Ok(m) = dot11::parse_mgmt(f) {
                        let _ = m.ssid();
                        if let Some(e) = m.elements() {
                            e.for_each(|e| {
                                let _ = e.map(|e| e.vendor());
                            });
                        }
                        if let Some((c, r)) = m.action() {
                            if let Some(a) = dot11::nan::service_discovery_attributes(c, r) {
                                a.for_each(|a| {
                                    let _ = dot11::nan::service_descriptor(a.data);
                                });
                            }
                        }
                    }
                }
            }
            LinkType::NORDIC_BLE => {
                if let Ok((_, ll)) = ble::parse_nordic(p.data) {
                    if let Ok(adv) = ble::parse_adv_pdu(ll.pdu) {
                        ble::AdStructures::new(adv.data).for_each(drop);
                    }
                }
                let _ = ble::parse_phdr(p.data);
            }
            _ => {}
        }
    }
}

#[test]
fn thousands_of_mutated_captures_never_panic() {
    let seeds = [
        capture("odid_wifi_bcn_sample.pcap"),
        capture("odid_wifi_sample.pcap"),
        capture("dji_air3.pcapng"),
        capture("odid_bt5_lr_sample.pcapng")[..12_000].to_vec(),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for seed in &seeds {
        for _ in 0..1_000 {
            parse_everything(&mutate(&mut rng, seed));
            runs += 1;
        }
    }
    assert_eq!(runs, 4_000);
}

#[test]
fn random_bytes_into_every_parser_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let _ = radiotap::parse(&bytes);
        let _ = dot11::parse_mgmt(&bytes).map(|m| m.elements().map(|e| e.count()));
        let _ = ble::parse_nordic(&bytes);
        let _ = ble::parse_phdr(&bytes);
        let _ = ble::parse_ll(&bytes, ble::Phy::LeCoded);
        let _ = ble::parse_adv_pdu(&bytes);
        ble::AdStructures::new(&bytes).for_each(drop);
        let _ = dot11::nan::service_descriptor(&bytes);
        parse_everything(&bytes);
    }
}

#[test]
fn a_huge_block_length_is_an_error_after_the_good_blocks() {
    let mut bytes = capture("dji_air3.pcapng");
    // Find the first enhanced packet block and claim 2 GB for it.
    let mut off = 0usize;
    loop {
        let t = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
        if t == 6 {
            break;
        }
        off += len;
    }
    bytes[off + 4..off + 8].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    let results: Vec<_> = packets(&bytes).unwrap().collect();
    assert_eq!(results.len(), 1, "the error, then nothing");
    assert!(matches!(
        results[0],
        Err(picket_pcap::CaptureError::Truncated {
            needed: 0x8000_0000,
            ..
        })
    ));
}
