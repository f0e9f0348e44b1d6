//! Throughput of the Mode S decoder on the shared Beast capture, replayed many times, and
//! the same messages through pyModeS 3.6.1 in the same run (a referee, not a timed test).
//!
//! `cargo bench -p picket-modes --bench decode` runs the criterion groups, then prints a table
//! of messages per second, ours against pyModeS, with the ratio. The referee needs the
//! interpreter of `scripts/referees.sh` (or `PICKET_REFEREE_PYTHON`); without it the table
//! says so and shows our figures only.

use criterion::{black_box, criterion_group, Criterion, Throughput};
use picket_modes::framing::beast;
use picket_modes::{decode_records, BeastKind, Decoder, Format, ModeS, TrackerConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn shared_adsb(name: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/data"));
    let path = dir.join("adsb").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing ({e})", path.display()))
}

struct Data {
    capture: Vec<u8>,
    /// Every Mode S frame with its time (seconds from the 12 MHz clock).
    mode_s: Vec<(Vec<u8>, f64)>,
    /// The DF17 frames only.
    df17: Vec<Vec<u8>>,
}

fn data() -> Data {
    let capture = shared_adsb("beastblackbox_ulss7_beast.bin");
    let mode_s: Vec<(Vec<u8>, f64)> = beast::frames(&capture)
        .filter_map(Result::ok)
        .filter(|f| matches!(f.kind, BeastKind::ModeSShort | BeastKind::ModeSLong))
        .map(|f| (f.data().to_vec(), f.mlat_ticks as f64 / 12e6))
        .collect();
    let df17 = mode_s
        .iter()
        .filter(|(f, _)| f[0] >> 3 == 17)
        .map(|(f, _)| f.clone())
        .collect();
    Data {
        capture,
        mode_s,
        df17,
    }
}

fn stateless_df17(d: &Data) -> usize {
    let mut ok = 0;
    for f in &d.df17 {
        ok += usize::from(ModeS::decode(black_box(f)).is_ok());
    }
    ok
}

fn stateless_all(d: &Data) -> usize {
    let mut ok = 0;
    for (f, _) in &d.mode_s {
        ok += usize::from(ModeS::decode(black_box(f)).is_ok());
    }
    ok
}

/// Streaming with CPR: a fresh decoder per pass, every frame in order with its time.
fn streaming(d: &Data) -> usize {
    let mut dec = Decoder::new(TrackerConfig::default());
    let mut fixes = 0;
    for (f, t) in &d.mode_s {
        fixes += usize::from(dec.decode(black_box(f), Some(*t)).fix.is_some());
    }
    fixes
}

/// The whole `picket decode` path: deframing, decoding, CPR, JSON-ready records.
fn records(d: &Data) -> usize {
    decode_records(black_box(&d.capture), Format::Beast, None).count()
}

fn bench(c: &mut Criterion) {
    let d = data();
    let mut g = c.benchmark_group("modes");
    g.measurement_time(Duration::from_secs(3)).sample_size(20);
    g.throughput(Throughput::Elements(d.df17.len() as u64));
    g.bench_function("stateless_df17", |b| b.iter(|| stateless_df17(&d)));
    g.throughput(Throughput::Elements(d.mode_s.len() as u64));
    g.bench_function("stateless_all_mode_s", |b| b.iter(|| stateless_all(&d)));
    g.bench_function("streaming_with_cpr", |b| b.iter(|| streaming(&d)));
    g.throughput(Throughput::Elements(13_954));
    g.bench_function("decode_records_beast_file", |b| b.iter(|| records(&d)));
    g.finish();
}

criterion_group!(benches, bench);

/// Messages per second of `f` over `n` messages, repeated for at least a second.
fn rate(n: usize, mut f: impl FnMut() -> usize) -> f64 {
    let (mut done, t0) = (0usize, Instant::now());
    while t0.elapsed() < Duration::from_secs(1) {
        black_box(f());
        done += n;
    }
    done as f64 / t0.elapsed().as_secs_f64()
}

fn pymodes_rate(python: &Path, msgs: &[(Vec<u8>, f64)], mode: &str) -> Option<f64> {
    let path = std::env::temp_dir().join(format!(
        "picket-modes-bench-{}-{mode}.csv",
        std::process::id()
    ));
    let body: String = msgs
        .iter()
        .map(|(f, t)| {
            format!(
                "{},{t:.6}\n",
                f.iter().map(|b| format!("{b:02X}")).collect::<String>()
            )
        })
        .collect();
    std::fs::write(&path, body).ok()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pymodes_speed.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&path)
        .arg("3")
        .arg(mode)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8(out.stdout).ok()?;
    let key = "\"msgs_per_s\": ";
    let at = text.find(key)? + key.len();
    text[at..].trim_end_matches(['}', '\n']).trim().parse().ok()
}

fn referee_table() {
    let d = data();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv-referees/bin/python"));
    let df17_t: Vec<(Vec<u8>, f64)> = d
        .mode_s
        .iter()
        .filter(|(f, _)| f[0] >> 3 == 17)
        .cloned()
        .collect();
    let rows = [
        (
            "stateless, DF17 only",
            rate(d.df17.len(), || stateless_df17(&d)),
            &df17_t,
            "stateless",
        ),
        (
            "stateless, all Mode S",
            rate(d.mode_s.len(), || stateless_all(&d)),
            &d.mode_s,
            "stateless",
        ),
        (
            "streaming with CPR, all Mode S",
            rate(d.mode_s.len(), || streaming(&d)),
            &d.mode_s,
            "streaming",
        ),
    ];
    println!("\nThroughput on the shared Beast capture (one core), messages per second:");
    println!(
        "{:<34} {:>14} {:>14} {:>8}",
        "mode", "picket-modes", "pyModeS 3.6.1", "ratio"
    );
    for (name, ours, msgs, mode) in rows {
        let theirs = python
            .exists()
            .then(|| pymodes_rate(&python, msgs, mode))
            .flatten();
        match theirs {
            Some(t) => println!("{name:<34} {ours:>14.0} {t:>14.0} {:>7.0}×", ours / t),
            None => println!("{name:<34} {ours:>14.0} {:>14} {:>8}", "(no referee)", "-"),
        }
    }
    let recs = rate(13_954, || records(&d));
    println!(
        "{:<34} {recs:>14.0}",
        "decode_records (Beast file → records)"
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    referee_table();
}
