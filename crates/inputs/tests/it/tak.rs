//! The TAK SA input against a real TCP peer on loopback.

use picket_core::{GeoPoint, LocalFrame, SensorId};
use picket_pipeline::{Feed, PipelineConfig, SensorInfo, SiteModel, Source};
use picket_store::SqliteStore;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A TAK server that accepts and drops every connection at once (full, or refusing us) must
/// not be hammered: the waits between attempts grow (0.5 s, 1 s, 2 s, ...), since only a
/// connection that lasted resets them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_accepts_and_drops_at_once_is_retried_ever_more_slowly() {
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let accepted: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let log = accepted.clone();
    let server_task = tokio::spawn(async move {
        loop {
            let (s, _) = server.accept().await.unwrap();
            log.lock().unwrap().push(Instant::now());
            drop(s);
        }
    });
    let sensor = SensorId("tak-sa".into());
    let site = SiteModel {
        name: "test".into(),
        frame: LocalFrame::new(GeoPoint::new(31.34, -109.94, 1400.0)),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "tak".into(),
            position: None,
            silence_timeout_s: 60.0,
        }],
    };
    let adapter = picket_inputs::TakSaInput {
        source: picket_inputs::TakSaSource::Tcp(addr.to_string()),
        units: vec![],
        fallback_hae_m: 1400.0,
        accept_acks_from_mesh: false,
    };
    let config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor, Source::Adapter(Arc::new(adapter)))]),
    );
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(SqliteStore::open_in_memory().unwrap()), rx)
        .unwrap();
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let times: Vec<f64> = accepted
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.duration_since(t0).as_secs_f64())
        .collect();
    // Attempts near 0, 0.5 and 1.5 s (the next at 3.5 s); a backoff reset on every connect
    // would give one every 0.5 s: 7 in this time.
    assert!(
        (2..=4).contains(&times.len()),
        "connection attempts at {times:?} s"
    );
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] >= 0.4, "first wait {gaps:?}");
    if gaps.len() >= 2 {
        assert!(gaps[1] >= 1.5 * gaps[0], "waits do not grow: {gaps:?}");
    }
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
    server_task.abort();
}
