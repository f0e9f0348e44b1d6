//! ASTERIX record decode speed over the CAT-048 datagrams of the Croatia Control sample, and
//! the same datagrams through asterix-decoder (C++ behind Python) in the same run, with the
//! ratio. `cargo bench -p picket-asterix`; the referee comparison runs only in bench mode.

use criterion::{black_box, Criterion, Throughput};
use picket_asterix::capture::udp_datagrams;
use picket_asterix::records;
use std::path::PathBuf;
use std::time::Instant;

fn root() -> PathBuf {
    let r = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&r).unwrap_or(r)
}

fn capture_path() -> PathBuf {
    std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data"))
        .join("asterix/croatiacontrol_cat_034_048.pcap")
}

fn decode_all(payloads: &[Vec<u8>]) -> usize {
    payloads
        .iter()
        .map(|p| records(black_box(p)).filter(Result::is_ok).count())
        .sum()
}

fn referee_per_s(rounds: usize) -> (f64, u64) {
    let py = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-referees/bin/python"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/asterix_referee.py");
    let out = std::process::Command::new(&py)
        .arg(script)
        .args([
            "bench",
            capture_path().to_str().unwrap(),
            &rounds.to_string(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("referee {} ({e}): run scripts/referees.sh", py.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["cat048_records_per_s"].as_f64().unwrap(),
        v["records_per_round"].as_u64().unwrap(),
    )
}

fn main() {
    let file = std::fs::read(capture_path()).expect("sample capture (PICKET_SHARED_DATA)");
    let payloads: Vec<Vec<u8>> = udp_datagrams(&file)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|d| d.payload.first() == Some(&48))
        .map(|d| d.payload.to_vec())
        .collect();
    let per_round = decode_all(&payloads);
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("asterix");
    g.throughput(Throughput::Elements(per_round as u64));
    g.bench_function("cat048_datagrams_decode", |b| {
        b.iter(|| decode_all(&payloads))
    });
    g.finish();
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        let rounds = 2_000;
        let t0 = Instant::now();
        let mut n = 0;
        for _ in 0..rounds {
            n += decode_all(&payloads);
        }
        let ours = n as f64 / t0.elapsed().as_secs_f64();
        let (theirs, their_per_round) = referee_per_s(200);
        assert_eq!(
            their_per_round as usize, per_round,
            "both decode the same records"
        );
        println!(
            "ASTERIX records ({per_round} per round, {} datagrams): picket-asterix {ours:.0}/s, asterix-decoder {theirs:.0}/s, ratio {:.1}x",
            payloads.len(),
            ours / theirs
        );
    }
}
