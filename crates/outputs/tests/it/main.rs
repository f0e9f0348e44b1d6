//! picket-outputs against real peers: the built-in scenario delivered to a taky TAK server
//! over TCP and mutual TLS and received by ATAK-like clients (parsed with takproto), mesh
//! UDP, officers' positions coming back from TAK into a live pipeline, alert events POSTed
//! to a local webhook receiver, and published through the Mosquitto MQTT broker.

mod ack;
mod mesh;
mod moving_unit;
mod mqtt;
mod negotiation;
mod peers;
mod reconnect;
mod reply;
mod scenario;
mod takeoff;
mod throughput;
mod tls;
mod webhook;

use picket_core::Timestamp;
use picket_cot::xml::decode_xml;
use picket_cot::CotEvent;
use picket_pipeline::{Feed, OutputSink, Pace, PipelineConfig, PlaybackLine, SiteModel};
use picket_store::SqliteStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub fn wall_now() -> Timestamp {
    Timestamp::from_micros(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64,
    )
}

/// The built-in scenario, starting now.
pub fn naco_now() -> picket_sim::Scenario {
    picket_sim::naco(wall_now(), 1)
}

pub fn site(s: &picket_sim::Scenario) -> SiteModel {
    picket_simsite::site_model(s, 10.0)
}

/// Runs the scenario through a pipeline with `outputs`, to the end (outputs flushed).
/// Returns the metrics and the wall time it took.
pub async fn run_scenario(
    s: &picket_sim::Scenario,
    outputs: Vec<OutputSink>,
    pace: Pace,
) -> (Arc<picket_pipeline::Metrics>, Duration) {
    let lines = s
        .feed
        .iter()
        .map(|f| PlaybackLine {
            sensor_id: f.sensor_id.clone(),
            line: f.line.clone(),
        })
        .collect();
    let mut c = PipelineConfig::new(site(s), Feed::Playback { lines, pace });
    c.outputs = outputs;
    let (_tx, rx) = watch::channel(false);
    let started = Instant::now();
    let mut p = picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx)
        .expect("pipeline starts");
    tokio::time::timeout(Duration::from_secs(300), p.inputs_finished())
        .await
        .expect("the scenario finishes");
    let m = p.metrics.clone();
    tokio::time::timeout(Duration::from_secs(60), p.join())
        .await
        .expect("outputs flush and end");
    (m, started.elapsed())
}

/// Decodes a received event with Picket's own codec (for field-by-field comparison).
pub fn cot(xml: &str) -> CotEvent {
    decode_xml(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"))
}

/// The `<marti><dest callsign>`s of an event.
pub fn dests(ev: &CotEvent) -> Vec<String> {
    ev.detail_element("marti")
        .map(|m| {
            m.find_all("dest")
                .filter_map(|d| d.get("callsign"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
