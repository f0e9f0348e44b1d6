//! The incremental reader over the real captures, read from their files: the same packets as
//! the slice reader, each capture to its end.

use crate::shared_data;
use picket_pcap::{packets, PacketReader};
use std::io::BufReader;

#[test]
fn every_shared_capture_streams_from_its_file_as_it_reads_from_memory() {
    let captures = [
        "remoteid/odid_wifi_bcn_sample.pcap",
        "remoteid/odid_wifi_sample.pcap",
        "remoteid/odid_bt5_lr_sample.pcapng",
        "remoteid/parrot_anafi4_real.pcapng",
        "remoteid/parrot_anafi4_spoofed.pcapng",
        "remoteid/dji_air3.pcapng",
        "asterix/croatiacontrol_cat_034_048.pcap",
        "asterix/croatiacontrol_cat_062_065.pcap",
    ];
    for name in captures {
        let path = shared_data().join(name);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("shared capture {} is missing: {e}", path.display()));
        let expected: Vec<_> = packets(&bytes)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!expected.is_empty(), "{name}");
        let file = std::fs::File::open(&path).unwrap();
        let mut reader = PacketReader::new(BufReader::new(file)).unwrap();
        let mut n = 0;
        while let Some(p) = reader.next_packet() {
            let p = p.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p, expected[n], "{name}: packet {}", n + 1);
            n += 1;
        }
        assert_eq!(n, expected.len(), "{name}");
        assert_eq!(
            reader.offset(),
            bytes.len() as u64,
            "{name}: read to its end"
        );
    }
}

#[test]
fn mutated_captures_stream_as_they_read_from_memory() {
    use crate::robustness::{mutate, Rng};
    let seeds = [
        crate::capture("odid_wifi_bcn_sample.pcap"),
        crate::capture("odid_bt5_lr_sample.pcapng")[..12_000].to_vec(),
    ];
    let mut rng = Rng(0x5DEE_CE66_D1CE_5EED);
    let (mut runs, mut errors) = (0, 0);
    for seed in &seeds {
        for _ in 0..500 {
            let bytes = mutate(&mut rng, seed);
            let Ok(slice) = packets(&bytes) else {
                assert!(PacketReader::new(&bytes[..]).is_err());
                continue;
            };
            let mut expected = Vec::new();
            let mut slice_error = false;
            for p in slice {
                match p {
                    Ok(p) => expected.push(p),
                    Err(_) => {
                        slice_error = true;
                        break;
                    }
                }
            }
            let mut reader = PacketReader::new(&bytes[..]).unwrap();
            let mut n = 0;
            let mut stream_error = false;
            while let Some(p) = reader.next_packet() {
                match p {
                    Ok(p) => {
                        assert_eq!(Some(&p), expected.get(n), "packet {}", n + 1);
                        n += 1;
                    }
                    // A claim over the limit or a short block: where the slice reader stops.
                    Err(_) => stream_error = true,
                }
            }
            assert_eq!((n, stream_error), (expected.len(), slice_error));
            runs += 1;
            errors += usize::from(slice_error);
        }
    }
    // The mutations do reach the error paths, and most still read to the end.
    assert!(
        runs > 900 && errors > 100 && errors < runs,
        "{runs} runs, {errors} errors"
    );
}
