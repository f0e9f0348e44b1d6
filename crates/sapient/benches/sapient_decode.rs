//! SAPIENT DetectionReport decode speed (frame → SapientMessage, and → Observation), and the
//! same decode by the sapient-py referee (upb, C) in the same run, with the ratio.
//!
//! `cargo bench -p picket-sapient`; the referee comparison runs only in bench mode.

use criterion::{black_box, Criterion, Throughput};
use picket_core::{GeoPoint, SensorId};
use picket_sapient::observe::message_to_observation;
use picket_sapient::{decode_frame, decode_payload, Content, MappingOptions, NodeProfile};
use std::path::PathBuf;
use std::time::Instant;

fn root() -> PathBuf {
    let r = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&r).unwrap_or(r)
}

fn shared() -> PathBuf {
    std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data"))
}

fn sample(name: &str) -> Vec<u8> {
    let p = shared().join("sapient").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn profile() -> NodeProfile {
    let (reg, _) =
        decode_frame(&sample("dstl_testharness_Default.Registration.frame.bin")).unwrap();
    let Some(Content::Registration(r)) = &reg.content else {
        panic!("not a registration")
    };
    NodeProfile::from_registration("n", r)
}

fn benches(c: &mut Criterion, payload: &[u8]) {
    let profile = profile();
    let sensor = SensorId::from("sapient-1");
    let opts = MappingOptions::default();
    let post = Some(GeoPoint::new(51.2, -1.8, 120.0));
    let mut g = c.benchmark_group("sapient");
    g.throughput(Throughput::Elements(1));
    g.bench_function("detection_report_decode", |b| {
        b.iter(|| decode_payload(black_box(payload)).unwrap())
    });
    g.bench_function("detection_report_to_observation", |b| {
        b.iter(|| {
            let m = decode_payload(black_box(payload)).unwrap();
            message_to_observation(&m, &sensor, &profile, post, &opts).unwrap()
        })
    });
    g.finish();
}

fn ours_per_s(payload: &[u8], n: usize) -> f64 {
    let t0 = Instant::now();
    for _ in 0..n {
        black_box(decode_payload(black_box(payload)).unwrap());
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

fn referee_per_s(n: usize) -> f64 {
    let py = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-referees/bin/python"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sapient_referee.py");
    let out = std::process::Command::new(&py)
        .arg(script)
        .args(["bench", &n.to_string()])
        .env("PICKET_SHARED_DATA", shared())
        .output()
        .unwrap_or_else(|e| panic!("referee {} ({e}): run scripts/referees.sh", py.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["detection_reports_per_s"].as_f64().unwrap()
}

fn main() {
    let frame = sample("dstl_testharness_Default.DetectionReport.frame.bin");
    let payload = &frame[4..];
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, payload);
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        let n = 200_000;
        let ours = ours_per_s(payload, n);
        let theirs = referee_per_s(n);
        println!(
            "SAPIENT DetectionReport decode ({} B payload): picket-sapient {:.0}/s, sapient-py (upb) {:.0}/s, ratio {:.2}x",
            payload.len(),
            ours,
            theirs,
            ours / theirs
        );
    }
}
