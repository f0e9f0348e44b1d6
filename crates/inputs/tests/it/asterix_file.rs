//! `picket run`'s ASTERIX capture source (`AsterixPcapFile`), streamed from its file through
//! a live pipeline: the same inputs, rejects and capture times as decoding the capture in
//! memory; a capture cut inside its last record replays every whole record and counts the cut.

use picket_core::{GeoPoint, LocalFrame, SensorId, Timestamp};
use picket_inputs::AsterixDecoder;
use picket_pipeline::{Feed, PipelineConfig, SensorInfo, SiteModel, Source};
use picket_store::SqliteStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const SENSOR: &str = "radar-file";

fn shared_capture() -> Vec<u8> {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base.join("asterix/croatiacontrol_cat_034_048.pcap");
    std::fs::read(&p).unwrap_or_else(|e| panic!("shared test data missing: {}: {e}", p.display()))
}

/// What decoding `file` in memory gives: inputs, rejects, and the data time of the last input.
/// Stops where the capture does (a truncated record ends it).
fn offline(file: &[u8]) -> (u64, u64, Option<Timestamp>) {
    let mut decoder = AsterixDecoder::new(SensorId(SENSOR.into()), None);
    let (mut inputs, mut rejects, mut last) = (0, 0, None);
    let mut out = Vec::new();
    for d in picket_asterix::capture::udp_datagrams(file).unwrap() {
        let Ok(d) = d else { break };
        decoder.datagram(d.payload, d.time, &mut out);
        for o in out.drain(..) {
            match o {
                Ok(i) => {
                    inputs += 1;
                    last = Some(i.time());
                }
                Err(_) => rejects += 1,
            }
        }
    }
    (inputs, rejects, last)
}

/// Replays the capture at `path` through a live pipeline until `expected_lines` inputs and
/// rejects are counted; returns its sensor's inputs, rejects, last data time, and the rejects
/// counted as a truncated capture.
async fn replay(path: &Path, expected_lines: u64) -> (u64, u64, Option<Timestamp>, u64) {
    let sensor = SensorId(SENSOR.into());
    let site = SiteModel {
        name: "test".into(),
        frame: LocalFrame::new(GeoPoint::new(45.5, 16.0, 100.0)),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "radar".into(),
            // No position: the radar's CAT-034 messages give it.
            position: None,
            silence_timeout_s: 60.0,
        }],
    };
    let adapter = picket_inputs::AsterixPcapFile {
        path: path.to_path_buf(),
    };
    let config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor.clone(), Source::Adapter(Arc::new(adapter)))]),
    );
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(SqliteStore::open_in_memory().unwrap()), rx)
        .unwrap();
    // A live feed has no end the pipeline is told of: wait for the lines expected, then a
    // while longer for any that should not come.
    let counts = || {
        let st = p.state.read().unwrap();
        let s = &st.sensors[&sensor];
        (s.lines, s.malformed, s.last_time)
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while counts().0 < expected_lines {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{:?} of {expected_lines} lines", counts()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (lines, malformed, last) = counts();
    let truncated = p
        .metrics
        .counter_value(
            "picket_input_malformed_total",
            &[("sensor", SENSOR), ("reason", "capture truncated")],
        )
        .unwrap_or(0);
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
    (lines - malformed, malformed, last, truncated)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("picket-inputs-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_file_streams_with_capture_times_duplicates_dropped_and_cat034_positions() {
    let file = shared_capture();
    let (inputs, rejects, last) = offline(&file);
    // The shared sample: radar 25/12 places itself by CAT-034 and its reports are fused; the
    // network-B copies of every datagram are dropped (see the UDP test for the numbers).
    assert!(
        inputs > 0 && rejects > 0,
        "{inputs} inputs, {rejects} rejects"
    );
    let dir = tmp("asterix-whole");
    let path = dir.join("whole.pcap");
    std::fs::write(&path, &file).unwrap();
    let got = replay(&path, inputs + rejects).await;
    assert_eq!(got, (inputs, rejects, last, 0));
    // Dated by capture time (2016), not by the wall clock.
    let t = last.unwrap();
    assert!(
        t < Timestamp::parse_rfc3339("2020-01-01T00:00:00Z").unwrap(),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_cut_inside_its_last_record_replays_the_whole_ones_and_counts_the_cut() {
    let file = shared_capture();
    // Find the last record and cut it in its middle.
    let mut at = 24;
    let mut last_record = at;
    while at + 16 <= file.len() {
        last_record = at;
        at += 16 + u32::from_le_bytes(file[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    assert_eq!(at, file.len(), "the sample ends on a record boundary");
    let cut = &file[..last_record + 16 + 20];
    let (inputs, rejects, last) = offline(cut);
    assert!(
        picket_asterix::capture::udp_datagrams(cut)
            .unwrap()
            .any(|d| d.is_err()),
        "the in-memory reader sees the cut too"
    );
    assert!(
        inputs > 0 && rejects > 0,
        "{inputs} inputs, {rejects} rejects"
    );
    let dir = tmp("asterix-cut");
    let path = dir.join("cut.pcap");
    std::fs::write(&path, cut).unwrap();
    let got = replay(&path, inputs + rejects + 1).await;
    assert_eq!(
        got,
        (inputs, rejects + 1, last, 1),
        "every whole record replayed, the cut counted once"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
