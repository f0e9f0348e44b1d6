//! The pipeline end to end: playback and live inputs, malformed lines, store-before-announce,
//! backpressure, determinism, shutdown.

use picket_core::{AlertState, Timestamp};
use picket_pipeline::{
    Event, Feed, OutputSink, Pace, PipelineConfig, PlaybackLine, SiteModel, Source,
};
use picket_store::{SqliteStore, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

mod snapshots;
mod store_refusals;

fn scenario() -> picket_sim::Scenario {
    picket_sim::naco(Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap(), 1)
}

fn site(s: &picket_sim::Scenario) -> SiteModel {
    picket_simsite::site_model(s, 2.0)
}

fn lines(s: &picket_sim::Scenario) -> Vec<PlaybackLine> {
    s.feed
        .iter()
        .map(|f| PlaybackLine {
            sensor_id: f.sensor_id.clone(),
            line: f.line.clone(),
        })
        .collect()
}

async fn run_to_end(
    config: PipelineConfig,
    store: Box<dyn Store>,
) -> Arc<picket_pipeline::Metrics> {
    let (_tx, rx) = watch::channel(false);
    let mut p = picket_pipeline::start(config, store, rx).expect("start");
    tokio::time::timeout(Duration::from_secs(120), p.inputs_finished())
        .await
        .expect("scenario finishes");
    let m = p.metrics.clone();
    p.join().await;
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_lines_are_counted_and_the_stream_goes_on() {
    let s = scenario();
    let mut feed = lines(&s);
    let bad = [
        "not json at all",
        "{\"time\":\"2026-11-26T12:00:05Z\"}",
        "{\"time\":\"yesterday\",\"range_m\":5,\"azimuth_deg\":1}",
        "{\"time\":\"2026-11-26T12:00:05Z\",\"range_m\":-1,\"azimuth_deg\":1}",
    ];
    for (i, b) in bad.iter().enumerate() {
        feed.insert(
            100 + i * 500,
            PlaybackLine {
                sensor_id: "radar-1".into(),
                line: b.to_string(),
            },
        );
    }
    let mut c = PipelineConfig::new(
        site(&s),
        Feed::Playback {
            lines: feed,
            pace: Pace::Max,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    c.outputs = vec![OutputSink::AlertsJsonl(alerts.clone())];
    let m = run_to_end(c, Box::new(SqliteStore::open_in_memory().unwrap())).await;
    assert_eq!(
        m.counter_sum("picket_input_malformed_total"),
        bad.len() as u64
    );
    assert_eq!(
        m.counter_value(
            "picket_input_malformed_total",
            &[("sensor", "radar-1"), ("reason", "bad time")]
        ),
        Some(1)
    );
    assert_eq!(
        m.counter_sum("picket_input_lines_total"),
        (s.feed.len() + bad.len()) as u64
    );
    let text = std::fs::read_to_string(&alerts).unwrap();
    let raised = text
        .lines()
        .filter(|l| l.contains("\"state\":\"raised\""))
        .count();
    assert!(
        raised >= 2,
        "the stream went on and alerted: {raised} raised"
    );
    assert!(m
        .render()
        .contains("picket_input_malformed_total{sensor=\"radar-1\",reason=\"bad record\"} 1\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_feed_gives_the_same_alerts_byte_for_byte() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for run in 0..2 {
        let mut c = PipelineConfig::new(
            site(&s),
            Feed::Playback {
                lines: lines(&s),
                pace: Pace::Max,
            },
        );
        let a = dir.path().join(format!("alerts-{run}.jsonl"));
        let t = dir.path().join(format!("tracks-{run}.jsonl"));
        c.outputs = vec![
            OutputSink::AlertsJsonl(a.clone()),
            OutputSink::TracksJsonl(t.clone()),
        ];
        run_to_end(c, Box::new(SqliteStore::open_in_memory().unwrap())).await;
        outputs.push((std::fs::read(&a).unwrap(), std::fs::read(&t).unwrap()));
    }
    assert!(!outputs[0].0.is_empty() && !outputs[0].1.is_empty());
    assert!(outputs[0] == outputs[1], "two runs of the same feed differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_slot_channels_nothing_is_lost_and_every_input_is_stored() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let mut c = PipelineConfig::new(
        site(&s),
        Feed::Playback {
            lines: lines(&s),
            pace: Pace::Max,
        },
    );
    c.channel_capacity = 1;
    run_to_end(c, Box::new(SqliteStore::open(&db).unwrap())).await;
    let counts = SqliteStore::open(&db).unwrap().counts().unwrap();
    assert_eq!(
        counts.observations + counts.unit_positions,
        s.feed.len() as u64,
        "every input line is stored"
    );
    assert!(counts.alert_events > 0 && counts.track_snapshots > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_in_the_store_before_anyone_hears_of_it() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let c = PipelineConfig::new(
        site(&s),
        Feed::Playback {
            lines: lines(&s),
            pace: Pace::Max,
        },
    );
    let (_tx, rx) = watch::channel(false);
    let store = SqliteStore::open(&db).unwrap();
    let mut p = picket_pipeline::start(c, Box::new(store), rx).unwrap();
    let mut events = p.events.subscribe();
    let reader = SqliteStore::open(&db).unwrap();
    let mut checked = 0;
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => if let Event::Alert(a) = &*ev {
                    let stored = reader.alert_events().unwrap();
                    assert!(stored.iter().any(|x| x == a), "announced before stored: {a:?}");
                    checked += 1;
                },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
            _ = p.inputs_finished() => break,
        }
    }
    assert!(checked > 0, "no alert was announced");
    p.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_udp_input_decodes_datagrams_and_stops_on_shutdown() {
    let s = scenario();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    drop(sock);
    let radar = s
        .sensors
        .iter()
        .find(|x| x.id.0 == "radar-1")
        .unwrap()
        .id
        .clone();
    let c = PipelineConfig::new(site(&s), Feed::Live(vec![(radar, Source::Udp(addr))]));
    let (tx, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let now = Timestamp::from_micros(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64,
    );
    // Two good lines and one bad in one datagram, then garbage, repeated until seen.
    let good = |dt: f64| {
        format!(
            "{{\"time\":\"{}\",\"range_m\":1500,\"azimuth_deg\":180,\"elevation_deg\":2}}",
            now.plus_secs_f64(dt)
        )
    };
    let datagram = format!("{}\nnonsense\n{}\n", good(0.0), good(0.5));
    let m = p.metrics.clone();
    let mut ok = false;
    for _ in 0..50 {
        client.send_to(datagram.as_bytes(), addr).await.unwrap();
        client.send_to(&[0xff, 0xfe, 0x00], addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if m.counter_sum("picket_input_lines_total") >= 4 {
            ok = true;
            break;
        }
    }
    assert!(ok, "UDP lines arrived");
    assert!(
        m.counter_sum("picket_input_malformed_total") >= 2,
        "nonsense and non-UTF-8 counted"
    );
    // The watermark lets fusion process quiet live data within a couple of seconds.
    tokio::time::timeout(Duration::from_secs(5), async {
        while m.counter_sum("picket_fusion_observations_total") == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("fusion stepped on live data");
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("pipeline stops on shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_live_sensor_becomes_a_sensor_down_event() {
    let s = scenario();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    drop(sock);
    let radar = s
        .sensors
        .iter()
        .find(|x| x.id.0 == "radar-1")
        .unwrap()
        .id
        .clone();
    let mut site = site(&s);
    site.sensors.retain(|x| x.id == radar);
    let c = PipelineConfig::new(site, Feed::Live(vec![(radar.clone(), Source::Udp(addr))]));
    let (tx, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    let mut events = p.events.subscribe();
    let down = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(ev) = events.recv().await {
                if let Event::Sensor {
                    sensor_id,
                    up: false,
                    reason,
                } = &*ev
                {
                    return (sensor_id.clone(), reason.clone());
                }
            }
        }
    })
    .await
    .expect("a sensor-down event within 10 s");
    assert_eq!(down.0, radar);
    assert!(down.1.contains("no data"), "{}", down.1);
    assert!(!p.state.read().unwrap().sensors[&radar].up);
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .unwrap();
}

#[test]
fn alert_states_cover_the_lifecycle_in_the_demo_feed() {
    // Sanity of the acceptance scenario as seen through the pipeline: raised and cleared occur.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let mut c = PipelineConfig::new(
        site(&s),
        Feed::Playback {
            lines: lines(&s),
            pace: Pace::Max,
        },
    );
    c.outputs = vec![OutputSink::AlertsJsonl(a.clone())];
    rt.block_on(run_to_end(
        c,
        Box::new(SqliteStore::open_in_memory().unwrap()),
    ));
    let states: Vec<AlertState> = std::fs::read_to_string(&a)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<picket_core::AlertEvent>(l)
                .unwrap()
                .state
        })
        .collect();
    assert!(states.contains(&AlertState::Raised));
    assert!(states.contains(&AlertState::Updated));
    assert!(states.contains(&AlertState::Cleared));
}

/// An output adapter that keeps what it is given.
#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<Arc<Event>>>);

#[derive(Debug)]
struct RecorderAdapter(Arc<Recorder>);

impl picket_pipeline::OutputAdapter for RecorderAdapter {
    fn spawn(&self, mut ctx: picket_pipeline::OutputContext) -> tokio::task::JoinHandle<()> {
        let rec = self.0.clone();
        tokio::spawn(async move {
            while let Some(e) = ctx.events.recv().await {
                rec.0.lock().unwrap().push(e);
            }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_adapters_get_every_alert_event_in_order() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let rec = Arc::new(Recorder::default());
    let mut c = PipelineConfig::new(
        site(&s),
        Feed::Playback {
            lines: lines(&s),
            pace: Pace::Max,
        },
    );
    c.outputs = vec![
        OutputSink::AlertsJsonl(a.clone()),
        OutputSink::Adapter(Arc::new(RecorderAdapter(rec.clone()))),
    ];
    run_to_end(c, Box::new(SqliteStore::open_in_memory().unwrap())).await;
    let from_file: Vec<picket_core::AlertEvent> = std::fs::read_to_string(&a)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got = rec.0.lock().unwrap();
    let alerts: Vec<&picket_core::AlertEvent> = got
        .iter()
        .filter_map(|e| match &**e {
            Event::Alert(a) => Some(a),
            _ => None,
        })
        .collect();
    assert!(!from_file.is_empty());
    assert_eq!(
        alerts.len(),
        from_file.len(),
        "every alert event reached the adapter"
    );
    assert!(
        alerts.iter().zip(&from_file).all(|(x, y)| *x == y),
        "in order"
    );
    assert!(
        got.iter().any(|e| matches!(&**e, Event::Tracks { .. })),
        "tracks too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_from_the_far_future_is_dropped_and_does_not_stall_fusion() {
    let s = scenario();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    drop(sock);
    let radar = s
        .sensors
        .iter()
        .find(|x| x.id.0 == "radar-1")
        .unwrap()
        .id
        .clone();
    let c = PipelineConfig::new(site(&s), Feed::Live(vec![(radar, Source::Udp(addr))]));
    let (tx, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let m = p.metrics.clone();
    let line = |t: &str| format!("{{\"time\":\"{t}\",\"range_m\":1500,\"azimuth_deg\":180}}\n");
    for _ in 0..50 {
        client
            .send_to(line("9999-01-01T00:00:00Z").as_bytes(), addr)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        if m.counter_sum("picket_fusion_future_inputs_total") > 0 {
            break;
        }
    }
    assert!(
        m.counter_sum("picket_fusion_future_inputs_total") > 0,
        "{}",
        m.render()
    );
    // Present-day reports still reach the tracker afterwards.
    tokio::time::timeout(Duration::from_secs(10), async {
        while m.counter_sum("picket_fusion_observations_total") == 0 {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_micros() as i64;
            let t = Timestamp::from_micros(now).to_rfc3339();
            client.send_to(line(&t).as_bytes(), addr).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("fusion keeps stepping on live data");
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_sites_append_to_their_outputs_and_playbacks_start_afresh() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tracks.jsonl");
    let short: Vec<PlaybackLine> = lines(&s).into_iter().take(1500).collect();
    let mut counts = Vec::new();
    for append in [false, false, true] {
        let mut c = PipelineConfig::new(
            site(&s),
            Feed::Playback {
                lines: short.clone(),
                pace: Pace::Max,
            },
        );
        c.outputs = vec![OutputSink::TracksJsonl(t.clone())];
        c.append_outputs = append;
        run_to_end(c, Box::new(SqliteStore::open_in_memory().unwrap())).await;
        counts.push(std::fs::read_to_string(&t).unwrap().lines().count());
    }
    assert!(counts[0] > 0);
    assert_eq!(counts[1], counts[0], "a fresh start truncates");
    assert_eq!(counts[2], 2 * counts[0], "appending keeps what was there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sensor_model_corrects_the_radars_reports_before_tracking() {
    let s = scenario();
    let radar = s.sensors.iter().find(|x| x.id.0 == "radar-1").unwrap();
    let radar_enu = s.frame.to_enu(&radar.position.unwrap());
    // A hovering target 2 km due east of the radar, reported by a radar whose north is 4°
    // off: every report says azimuth 94°.
    let t0 = Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap();
    let feed: Vec<PlaybackLine> = (0..20)
        .map(|k| PlaybackLine {
            sensor_id: radar.id.clone(),
            line: format!(
                "{{\"time\":\"{}\",\"range_m\":2000,\"azimuth_deg\":94,\"elevation_deg\":1.5}}",
                t0.plus_secs_f64(f64::from(k)).to_rfc3339()
            ),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut bearings = Vec::new();
    for bias_deg in [0.0, 4.0] {
        let mut c = PipelineConfig::new(
            site(&s),
            Feed::Playback {
                lines: feed.clone(),
                pace: Pace::Max,
            },
        );
        if bias_deg != 0.0 {
            c.sensor_models = vec![(
                radar.id.clone(),
                picket_fusion::SensorModel {
                    bias_azimuth_deg: bias_deg,
                    ..Default::default()
                },
            )];
        }
        let t = dir.path().join(format!("tracks-{bias_deg}.jsonl"));
        c.outputs = vec![OutputSink::TracksJsonl(t.clone())];
        run_to_end(c, Box::new(SqliteStore::open_in_memory().unwrap())).await;
        let last = std::fs::read_to_string(&t)
            .unwrap()
            .lines()
            .last()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .expect("the target is tracked");
        let e = &last["position_enu"];
        let (de, dn) = (
            e["east_m"].as_f64().unwrap() - radar_enu.east_m,
            e["north_m"].as_f64().unwrap() - radar_enu.north_m,
        );
        bearings.push(de.atan2(dn).to_degrees());
    }
    assert!((bearings[0] - 94.0).abs() < 0.2, "{bearings:?}");
    assert!((bearings[1] - 90.0).abs() < 0.2, "{bearings:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_are_rebuilt_the_same_by_a_replay_and_their_history_is_stored() {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let mut pictures = Vec::new();
    for run in 0..2 {
        let db = dir.path().join(format!("store-{run}.sqlite"));
        let c = PipelineConfig::new(
            site(&s),
            Feed::Playback {
                lines: lines(&s),
                pace: Pace::Max,
            },
        );
        let (_tx, rx) = watch::channel(false);
        let mut p = picket_pipeline::start(c, Box::new(SqliteStore::open(&db).unwrap()), rx)
            .expect("start");
        tokio::time::timeout(Duration::from_secs(120), p.inputs_finished())
            .await
            .expect("scenario finishes");
        let operators = p.state.read().unwrap().operators.clone();
        p.join().await;
        pictures.push((operators, db));
    }
    let (operators, db) = &pictures[0];
    assert!(!operators.is_empty(), "the scenario's pilots");
    assert!(
        *operators == pictures[1].0,
        "a replay of the same observations rebuilds the same operators"
    );
    let store = SqliteStore::open(db).unwrap();
    for (uas, e) in operators {
        assert_eq!(&e.uas_id, uas);
        assert!(
            e.aircraft_track_id.is_some(),
            "only linked ones are published"
        );
        assert!(!e.positions.is_empty() && e.positions.len() <= 256);
        assert!(e.first_seen <= e.positions[0].time);
        // The latest fix, or a report at the same place since (kept every 10 s only).
        let last_fix = e.positions.back().unwrap().time;
        assert!(e.last_seen >= last_fix && e.last_seen.seconds_since(last_fix) < 10.0);
        // Every fix is one of the aircraft's stored observations.
        let stored = store.operator_observations(uas, usize::MAX).unwrap();
        assert!(stored.len() >= e.positions.len());
        for f in &e.positions {
            assert!(
                stored.iter().any(|o| o.time == f.time
                    && o.sensor_id == f.sensor_id
                    && o.side.operator_position == Some(f.position)),
                "{uas}: fix at {} not stored",
                f.time
            );
        }
    }
}

/// Runs the scenario's feed (with `rewrite` applied to each decoded input) through the
/// pipeline; returns the metrics and the track lines.
async fn run_with_tracks(
    s: &picket_sim::Scenario,
    rewrite: impl Fn(&mut picket_core::Input),
) -> (Arc<picket_pipeline::Metrics>, String) {
    let feed = s
        .feed
        .iter()
        .map(|f| {
            let ctx = picket_obsjson::SensorContext {
                sensor_id: f.sensor_id.clone(),
                position: s
                    .sensors
                    .iter()
                    .find(|x| x.id == f.sensor_id)
                    .and_then(|x| x.position),
            };
            let line = match picket_obsjson::decode_line(&f.line, &ctx) {
                Ok(mut input) => {
                    rewrite(&mut input);
                    picket_obsjson::encode(&input)
                }
                Err(_) => f.line.clone(),
            };
            PlaybackLine {
                sensor_id: f.sensor_id.clone(),
                line,
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tracks.jsonl");
    let mut c = PipelineConfig::new(
        site(s),
        Feed::Playback {
            lines: feed,
            pace: Pace::Max,
        },
    );
    c.outputs = vec![OutputSink::TracksJsonl(t.clone())];
    let m = run_to_end(c, Box::new(SqliteStore::open_in_memory().unwrap())).await;
    (m, std::fs::read_to_string(&t).unwrap())
}

const CHASER_SERIAL: &str = "1581F5BKD2353005Q2";
const CROSS_REASON: &str = "disagree with the claimed position";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receivers_cross_check_agrees_with_the_honest_drones() {
    let s = scenario();
    let (m, tracks) = run_with_tracks(&s, |_| {}).await;
    // The chaser is heard by both receivers (the hobby drone and the spoofer only by
    // rid-east): its reports pair, and agree with where it says it is.
    let pairs = m.counter_sum("picket_remoteid_crosscheck_pairs_total");
    assert!(pairs >= 20, "{pairs} report pairs compared");
    assert_eq!(
        m.counter_sum("picket_remoteid_crosscheck_disagreements_total"),
        0
    );
    assert!(!tracks.contains(CROSS_REASON));
}

/// The chaser's real receptions (the simulator's RSSIs from its true distances), but its
/// Remote ID now claims to hover 150 m from rid-west: rid-west should hear it some 30 dB
/// louder than rid-east, and does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receivers_cross_check_catches_a_false_claim_in_the_scenario() {
    let s = scenario();
    let claim = picket_core::GeoPoint::new(31.3450, -109.9690, 1_500.0);
    let (m, tracks) = run_with_tracks(&s, |i| {
        if let picket_core::Input::Observation(o) = i {
            if o.identity == Some(picket_core::Identity::RemoteId(CHASER_SERIAL.into())) {
                o.measurement = picket_core::Measurement::position(claim, 5.0, 8.0);
            }
        }
    })
    .await;
    assert!(m.counter_sum("picket_remoteid_crosscheck_disagreements_total") > 20);
    let mut flagged = 0;
    for l in tracks.lines().filter(|l| l.contains(CROSS_REASON)) {
        let t: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(t["identity"]["remote_id"], CHASER_SERIAL, "{l}");
        let why = t["spoof"]["reasons"].to_string();
        let db: f64 = why
            .split("receivers rid-west and rid-east disagree with the claimed position by ")
            .nth(1)
            .and_then(|r| r.split(" dB").next())
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("the reason names both receivers: {why}"));
        assert!(db > 15.0, "{why}");
        flagged += 1;
    }
    assert!(flagged >= 10, "{flagged} track updates carry the finding");
}
