//! Input throughput (issue 7, "Speed"):
//!
//! - SAPIENT: DetectionReports per second from a sensor over real TCP loopback, through the
//!   fusion-node server (deframing, validation, mapping) into the pipeline's InputSink, until
//!   fusion has taken every one in.
//! - ASTERIX: CAT-048/034 records per second through the adapter's decoder (records decoded,
//!   target reports mapped to observations), on the shared Croatia Control capture.
//!
//! `cargo bench -p picket-inputs --bench throughput` (release build). Prints one line per
//! measurement and a JSON summary.

use picket_core::{GeoPoint, LocalFrame, SensorId, Timestamp};
use picket_pipeline::{Feed, PipelineConfig, SensorInfo, SiteModel, Source};
use picket_sapient::{decode_frame, encode_frame, Content};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn shared(rel: &str) -> PathBuf {
    std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join(rel)
}

fn sample(name: &str) -> Vec<u8> {
    let p = shared(&format!(
        "sapient/dstl_testharness_Default.{name}.frame.bin"
    ));
    std::fs::read(&p).unwrap_or_else(|e| panic!("shared test data missing: {}: {e}", p.display()))
}

/// `n` DetectionReport frames: the official sample, each with its own report id and a time
/// 1 ms after the previous one (so fusion sees a moving stream, not one instant).
fn detection_frames(n: usize, start: Timestamp) -> Vec<u8> {
    let (msg, _) = decode_frame(&sample("DetectionReport")).unwrap();
    let mut out = Vec::with_capacity(n * 300);
    for i in 0..n {
        let mut m = msg.clone();
        let t = Timestamp::from_micros(start.as_micros() + i as i64 * 1000);
        m.timestamp = Some(picket_sapient::reply::timestamp_to_proto(t));
        if let Some(Content::DetectionReport(d)) = &mut m.content {
            d.report_id = Some(format!("01HBENCH{i:018}"));
        }
        out.extend_from_slice(&encode_frame(&m).unwrap());
    }
    out
}

async fn sapient_reports_per_s(n: usize) -> f64 {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}").parse().unwrap();
    let sensor = SensorId("sapient-node".into());
    let site = SiteModel {
        name: "bench".into(),
        frame: LocalFrame::new(GeoPoint::new(51.17, -1.82, 100.0)),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "radar".into(),
            position: None,
            silence_timeout_s: 60.0,
        }],
    };
    let adapter = picket_inputs::SapientServer {
        listen,
        node_id: "a8654cdf-4328-47de-81fa-c495589e30c1".into(),
        tasking: None,
    };
    let config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor.clone(), Source::Adapter(Arc::new(adapter)))]),
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let store = picket_store::SqliteStore::open_in_memory().unwrap();
    let p = picket_pipeline::start(config, Box::new(store), rx).unwrap();
    let mut s = None;
    for _ in 0..50 {
        if let Ok(c) = tokio::net::TcpStream::connect(listen).await {
            s = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut s = s.expect("the fusion node listens");
    s.write_all(&sample("Registration")).await.unwrap();
    let mut ack = [0u8; 4096];
    let _ = s.read(&mut ack).await.unwrap();
    s.write_all(&sample("StatusReport")).await.unwrap();
    let (msg, _) = decode_frame(&sample("DetectionReport")).unwrap();
    let start = msg
        .timestamp
        .as_ref()
        .and_then(picket_sapient::reply::timestamp_from_proto)
        .unwrap_or_default();
    let frames = detection_frames(n, start);
    let lines = || {
        p.state
            .read()
            .unwrap()
            .sensors
            .get(&sensor)
            .map(|st| (st.lines, st.malformed))
            .unwrap_or_default()
    };
    let t0 = Instant::now();
    // Read (and discard) whatever the node answers, so its writes never block.
    let (mut r, mut w) = s.into_split();
    let drain = tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = r.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    for chunk in frames.chunks(64 * 1024) {
        w.write_all(chunk).await.unwrap();
    }
    while lines().0 < n as u64 {
        tokio::time::sleep(Duration::from_micros(200)).await;
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "stalled at {:?}",
            lines()
        );
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let (got, malformed) = lines();
    assert_eq!(malformed, 0, "every report accepted");
    assert_eq!(got, n as u64);
    drop(w);
    tx.send(true).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), p.join()).await;
    drain.abort();
    n as f64 / elapsed
}

fn asterix_records_per_s(rounds: usize) -> (f64, f64, usize) {
    let file = std::fs::read(shared("asterix/croatiacontrol_cat_034_048.pcap"))
        .expect("shared ASTERIX sample");
    // Network A only: network B repeats every datagram, which the decoder would drop.
    let datagrams: Vec<(Timestamp, Vec<u8>)> = picket_asterix::capture::udp_datagrams(&file)
        .unwrap()
        .map(Result::unwrap)
        .filter(|d| d.dst.ip().to_string().starts_with("232.1."))
        .map(|d| (d.time, d.payload.to_vec()))
        .collect();
    let records_per_round: usize = datagrams
        .iter()
        .map(|(_, p)| picket_asterix::records(p).count())
        .sum();
    let mut decoder = picket_inputs::AsterixDecoder::new(SensorId::from("radar"), None);
    let mut out = Vec::new();
    let mut observations = 0usize;
    let t0 = Instant::now();
    for k in 0..rounds {
        // Each round 10 s later, so no round is taken for a copy of the one before.
        let shift = k as i64 * 10_000_000;
        for (t, p) in &datagrams {
            decoder.datagram(p, Timestamp::from_micros(t.as_micros() + shift), &mut out);
            observations += out.iter().filter(|o| o.is_ok()).count();
            out.clear();
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let records = records_per_round * rounds;
    (
        records as f64 / elapsed,
        observations as f64 / elapsed,
        records,
    )
}

fn main() {
    // `cargo test --benches` runs this too: keep it short there.
    let quick = std::env::args().any(|a| a == "--test") || cfg!(debug_assertions);
    let (n, rounds) = if quick {
        (2_000, 200)
    } else {
        (200_000, 20_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sapient = rt.block_on(sapient_reports_per_s(n));
    println!("sapient: {n} DetectionReports over TCP loopback → InputSink: {sapient:.0} reports/s");
    let (records, obs, total) = asterix_records_per_s(rounds);
    println!(
        "asterix: {total} records decoded and mapped: {records:.0} records/s ({obs:.0} observations/s)"
    );
    println!(
        "{}",
        serde_json::json!({
            "sapient_detection_reports_per_s": sapient.round(),
            "asterix_records_per_s": records.round(),
            "asterix_observations_per_s": obs.round(),
            "sapient_reports": n,
            "asterix_records": total,
        })
    );
}
