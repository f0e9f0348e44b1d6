//! Remote ID from field receivers over a real UDP socket and the real Mosquitto broker on
//! 127.0.0.1:1883, fed with the real captures in `shared/data/remoteid/`: the live input must
//! give exactly the observations an offline decode of the same capture gives.

use picket_core::{Identity, Input, Measurement, Observation, SensorId, Timestamp};
use picket_pipeline::{Event, Feed, Pipeline, PipelineConfig, SensorInfo, SiteModel, Source};
use picket_remoteid::{decode_capture, Assembler, DecodeRecord, ObservationContext};
use picket_store::{SqliteStore, Store, StoreError};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

fn capture(name: &str) -> Vec<u8> {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base.join("remoteid").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("shared test data missing: {}: {e}", p.display()))
}

/// Open (true) or closed; a store whose gate is closed takes no inputs, which stalls the
/// whole pipeline back to the inputs (backpressure).
type Gate = Arc<(Mutex<bool>, std::sync::Condvar)>;

fn set_gate(gate: &Gate, open: bool) {
    *gate.0.lock().unwrap() = open;
    gate.1.notify_all();
}

/// A store that also keeps every input it is given, for the test to look at.
struct Tap {
    inner: SqliteStore,
    seen: Arc<Mutex<Vec<Input>>>,
    gate: Gate,
}

impl Store for Tap {
    fn append_inputs(&mut self, inputs: &[Input]) -> Result<(), StoreError> {
        let (open, changed) = &*self.gate;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
        drop(open);
        self.seen.lock().unwrap().extend_from_slice(inputs);
        self.inner.append_inputs(inputs)
    }
    fn append_tracks(&mut self, tracks: &[picket_core::Track]) -> Result<(), StoreError> {
        self.inner.append_tracks(tracks)
    }
    fn append_alert_event(&mut self, e: &picket_core::AlertEvent) -> Result<(), StoreError> {
        self.inner.append_alert_event(e)
    }
    fn alert_events(&self) -> Result<Vec<picket_core::AlertEvent>, StoreError> {
        self.inner.alert_events()
    }
    fn current_alerts(&self) -> Result<Vec<picket_core::AlertEvent>, StoreError> {
        self.inner.current_alerts()
    }
    fn counts(&self) -> Result<picket_store::StoreCounts, StoreError> {
        self.inner.counts()
    }
    fn user_count(&self) -> Result<u64, StoreError> {
        self.inner.user_count()
    }
    fn issue_token(
        &mut self,
        user: &str,
        role: picket_core::Role,
        sectors: &[String],
    ) -> Result<String, StoreError> {
        self.inner.issue_token(user, role, sectors)
    }
    fn authenticate(&self, token: &str) -> Result<Option<picket_core::Principal>, StoreError> {
        self.inner.authenticate(token)
    }
    fn revoke_tokens(&mut self, user: &str) -> Result<u64, StoreError> {
        self.inner.revoke_tokens(user)
    }
    fn audit(&mut self, t: Timestamp, who: &str, a: &str, d: &str) -> Result<(), StoreError> {
        self.inner.audit(t, who, a, d)
    }
    fn audit_log(&self) -> Result<Vec<picket_store::AuditEntry>, StoreError> {
        self.inner.audit_log()
    }
}

/// What is compared: who (claimed identity) and where (1e-7° and 0.1 m), plus the operator.
type Key = (Option<String>, i64, i64, i64, Option<(i64, i64)>);

fn key(o: &Observation) -> Key {
    let Measurement::Position { position: p, .. } = &o.measurement else {
        panic!("Remote ID observations are positions: {o:?}")
    };
    let id = o.identity.as_ref().map(|i| match i {
        Identity::RemoteId(s) => s.clone(),
        other => panic!("{other:?}"),
    });
    let q = |x: f64, s: f64| (x * s).round() as i64;
    (
        id,
        q(p.lat_deg, 1e7),
        q(p.lon_deg, 1e7),
        q(p.alt_hae_m, 10.0),
        o.side
            .operator_position
            .map(|op| (q(op.lat_deg, 1e7), q(op.lon_deg, 1e7))),
    )
}

fn sorted(obs: impl IntoIterator<Item = Observation>) -> Vec<Key> {
    let mut k: Vec<Key> = obs.into_iter().map(|o| key(&o)).collect();
    k.sort();
    k
}

/// The offline decode: the capture's records, frame by frame (as a receiver hears them), through
/// one assembler. Also how many records were quarantined.
fn offline(bytes: &[u8], sensor: &str) -> (Vec<Key>, usize) {
    let records = decode_capture(bytes).expect("a readable capture");
    let quarantined = records.iter().filter(|r| r.quarantine.is_some()).count();
    let mut a = Assembler::new(ObservationContext::new(SensorId(sensor.into())));
    let mut out = Vec::new();
    for frame in records.chunk_by(|x, y| x.frame == y.frame) {
        a.push(frame, &mut out);
    }
    (sorted(out), quarantined)
}

fn site(sensors: &[(&str, f64)]) -> SiteModel {
    SiteModel {
        name: "test".into(),
        frame: picket_core::LocalFrame::new(picket_core::GeoPoint::new(45.5, 8.7, 400.0)),
        units: vec![],
        zones: vec![],
        sensors: sensors
            .iter()
            .map(|(id, silence_timeout_s)| SensorInfo {
                id: SensorId((*id).into()),
                kind: "remote_id".into(),
                position: None,
                silence_timeout_s: *silence_timeout_s,
            })
            .collect(),
    }
}

fn start(
    site: SiteModel,
    sources: Vec<(SensorId, Source)>,
) -> (Pipeline, watch::Sender<bool>, Arc<Mutex<Vec<Input>>>) {
    let gate: Gate = Arc::new((Mutex::new(true), std::sync::Condvar::new()));
    start_gated(site, sources, gate, 1024)
}

/// A pipeline with `channel_capacity` whose store takes inputs only while `gate` is open.
fn start_gated(
    site: SiteModel,
    sources: Vec<(SensorId, Source)>,
    gate: Gate,
    channel_capacity: usize,
) -> (Pipeline, watch::Sender<bool>, Arc<Mutex<Vec<Input>>>) {
    let mut config = PipelineConfig::new(site, Feed::Live(sources));
    // Captures replayed in a second look like objects jumping about: keep tentative tracks
    // short-lived so fusion keeps up in a debug build.
    config.tracker.max_coast_tentative_s = 0.5;
    config.channel_capacity = channel_capacity;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = Tap {
        inner: SqliteStore::open_in_memory().unwrap(),
        seen: seen.clone(),
        gate,
    };
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(store), rx).unwrap();
    (p, tx, seen)
}

fn observations_of(seen: &Mutex<Vec<Input>>, sensor: &str) -> Vec<Observation> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|i| match i {
            Input::Observation(o) if o.sensor_id.0 == sensor => Some(o.clone()),
            _ => None,
        })
        .collect()
}

async fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(secs), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

fn free_udp() -> std::net::SocketAddr {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `picket decode` lines of a capture, one payload per frame.
fn decoded_payloads(bytes: &[u8]) -> Vec<String> {
    let records: Vec<DecodeRecord> = decode_capture(bytes).unwrap();
    records
        .chunk_by(|x, y| x.frame == y.frame)
        .map(|f| {
            f.iter()
                .map(|r| serde_json::to_string(r).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

fn malformed(p: &Pipeline, sensor: &str, reason: &str) -> u64 {
    p.metrics
        .counter_value(
            "picket_input_malformed_total",
            &[("sensor", sensor), ("reason", reason)],
        )
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_frames_and_decoded_records_give_the_offline_observations_of_real_captures() {
    let dji = capture("dji_air3.pcapng");
    let parrot = capture("parrot_anafi4_real.pcapng");
    let bt5 = capture("odid_bt5_lr_sample.pcapng");
    let bcn = capture("odid_wifi_bcn_sample.pcap");
    // sensor, capture, how it is sent
    let plan: [(&str, &[u8], &str); 5] = [
        ("rid-dji", &dji, "radiotap"),
        ("rid-parrot", &parrot, "radiotap"),
        ("rid-bt5", &bt5, "json-frame"),
        ("rid-dji-decoded", &dji, "decoded"),
        ("rid-bcn-decoded", &bcn, "decoded"),
    ];
    let addrs: Vec<_> = plan.iter().map(|_| free_udp()).collect();
    let (p, tx, seen) = start(
        site(&plan.iter().map(|(s, ..)| (*s, 60.0)).collect::<Vec<_>>()),
        plan.iter()
            .zip(&addrs)
            .map(|((s, ..), a)| {
                (
                    SensorId((*s).into()),
                    Source::Adapter(Arc::new(picket_inputs::RemoteIdUdp { listen: *a })),
                )
            })
            .collect(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut expected = BTreeMap::new();
    for ((sensor, bytes, how), addr) in plan.iter().zip(&addrs) {
        let payloads: Vec<Vec<u8>> = match *how {
            "decoded" => decoded_payloads(bytes)
                .into_iter()
                .map(String::into_bytes)
                .collect(),
            _ => picket_pcap::packets(bytes)
                .unwrap()
                .map(|p| {
                    let p = p.unwrap();
                    if *how == "radiotap" {
                        assert_eq!(p.link_type, picket_pcap::LinkType::RADIOTAP);
                        p.data.to_vec()
                    } else {
                        format!(
                            "{{\"link_type\":{},\"frame_hex\":\"{}\"}}",
                            p.link_type.0,
                            hex(p.data)
                        )
                        .into_bytes()
                    }
                })
                .collect(),
        };
        for (i, d) in payloads.iter().enumerate() {
            client.send_to(d, addr).await.unwrap();
            if *sensor == "rid-dji" && i == 3 {
                // Garbage in the middle of a feed is counted and does not stop it.
                client.send_to(b"\x01garbage", addr).await.unwrap();
                client.send_to(b"{\"mac\": nope}", addr).await.unwrap();
            }
            // UDP has no flow control: pace so a busy 2-core CI machine's socket buffer
            // (about 700 of these datagrams) never overflows while the receiver waits for CPU.
            if i % 5 == 4 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        expected.insert(*sensor, offline(bytes, sensor));
    }
    for (sensor, (want, _)) in &expected {
        wait_for(
            &format!("{sensor}'s {} observations", want.len()),
            30,
            || observations_of(&seen, sensor).len() >= want.len(),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (sensor, (want, quarantined)) in &expected {
        let got = sorted(observations_of(&seen, sensor));
        assert_eq!(got.len(), want.len(), "{sensor}: observation count");
        assert!(
            got == *want,
            "{sensor}: observations differ from the offline decode"
        );
        if !sensor.ends_with("decoded") {
            assert_eq!(
                malformed(&p, sensor, "quarantined"),
                *quarantined as u64,
                "{sensor}: quarantined frames"
            );
        }
    }
    // What the captures are known to hold (shared/data/remoteid/README.md).
    let dji_obs = &expected["rid-dji"].0;
    assert_eq!(dji_obs.len(), 9);
    assert!(dji_obs
        .iter()
        .all(|k| k.0.as_deref() == Some("1581F6N8A23B2ML3Y3KR")
            && (k.1, k.2) == (336_652_717, -821_918_334)
            && k.4.is_some()));
    // The operator walks (live GNSS); the README's System message is one of them.
    assert!(dji_obs
        .iter()
        .any(|k| k.4 == Some((336_632_364, -821_916_647))));
    assert_eq!(expected["rid-dji-decoded"].0, *dji_obs);
    let parrot_obs = &expected["rid-parrot"].0;
    assert!(parrot_obs.len() >= 1140, "{}", parrot_obs.len());
    assert!(
        parrot_obs
            .iter()
            .filter(|k| k.0.as_deref() == Some("1588E040445AC004418"))
            .count()
            >= 385
    );
    let bcn_obs = &expected["rid-bcn-decoded"].0;
    assert_eq!(bcn_obs.len(), 21);
    assert!(bcn_obs
        .iter()
        .all(|k| k.0.as_deref() == Some("MFG1A0123456789")));
    // No GNSS fix in the Bluetooth 5 sample: nothing to place, and its 30 CRC-failed frames
    // are quarantined, never observations.
    assert_eq!(expected["rid-bt5"], (vec![], 30));
    assert_eq!(malformed(&p, "rid-dji", "unknown payload"), 1);
    assert_eq!(malformed(&p, "rid-dji", "json"), 1);
    tx.send(true).unwrap();
    drop(p);
}

type Events = tokio::sync::broadcast::Receiver<Arc<Event>>;

/// The next up/down event of `sensor`, with its reason.
async fn next_sensor_event(events: &mut Events, sensor: &str) -> (bool, String) {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("a sensor event within 10 s")
            .unwrap();
        if let Event::Sensor {
            sensor_id,
            up,
            reason,
        } = &*e
        {
            if sensor_id.0 == sensor {
                return (*up, reason.clone());
            }
        }
    }
}

/// Waits for the sensor's next "subscribed to …" event.
async fn subscribed(events: &mut Events, sensor: &str) {
    loop {
        let (up, reason) = next_sensor_event(events, sensor).await;
        if up && reason.starts_with("subscribed") {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_receiver_goes_down_and_comes_back_up() {
    let addr = free_udp();
    let sensor = "rid-quiet";
    let (p, tx, seen) = start(
        site(&[(sensor, 1.0)]),
        vec![(
            SensorId(sensor.into()),
            Source::Adapter(Arc::new(picket_inputs::RemoteIdUdp { listen: addr })),
        )],
    );
    let mut events = p.events.subscribe();
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let line = decoded_payloads(&capture("dji_air3.pcapng")).remove(0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.send_to(line.as_bytes(), addr).await.unwrap();
    wait_for("the first observation", 5, || {
        observations_of(&seen, sensor).len() == 1
    })
    .await;
    let up = |p: &Pipeline| p.state.read().unwrap().sensors[&SensorId(sensor.into())].up;
    let (is_up, reason) = next_sensor_event(&mut events, sensor).await;
    assert!(!is_up, "silence makes it down: {reason}");
    assert!(reason.contains("no data"), "{reason}");
    assert!(!up(&p));
    client.send_to(line.as_bytes(), addr).await.unwrap();
    let (is_up, reason) = next_sensor_event(&mut events, sensor).await;
    assert!(is_up, "data makes it up again: {reason}");
    assert!(up(&p));
    tx.send(true).unwrap();
    drop(p);
}

/// Forwards TCP connections on `listen` to Mosquitto; `cut` drops every open connection.
async fn proxy(listen: std::net::SocketAddr, cut: watch::Receiver<u32>) {
    let server = tokio::net::TcpListener::bind(listen).await.unwrap();
    loop {
        let (mut inbound, _) = server.accept().await.unwrap();
        let mut cut = cut.clone();
        cut.mark_unchanged();
        tokio::spawn(async move {
            let mut outbound = tokio::net::TcpStream::connect("127.0.0.1:1883")
                .await
                .unwrap();
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                _ = cut.changed() => {}
            }
        });
    }
}

async fn publisher(topic_root: &str) -> rumqttc::AsyncClient {
    let mut opts = rumqttc::MqttOptions::new(format!("{topic_root}-pub"), "127.0.0.1", 1883);
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 64);
    tokio::spawn(async move {
        while eventloop.poll().await.is_ok() {}
        panic!("the test publisher lost Mosquitto");
    });
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_input_waits_for_the_broker_resubscribes_after_a_cut_and_counts_garbage() {
    std::net::TcpStream::connect("127.0.0.1:1883").unwrap_or_else(|e| {
        panic!("Mosquitto must listen on 127.0.0.1:1883 (.ci/run starts it): {e}")
    });
    // The input starts while nothing listens on its broker address (connection refused):
    // it must keep trying, and subscribe once the "broker" (a proxy to Mosquitto) is there.
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let root = format!(
        "picket-it-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    );
    let subscription =
        picket_inputs::MqttSubscription::parse_url(&format!("mqtt://{listen}/{root}/+/rid"))
            .unwrap();
    let sensor = "rid-mqtt";
    let (p, tx, seen) = start(
        site(&[(sensor, 60.0)]),
        vec![(
            SensorId(sensor.into()),
            Source::Adapter(Arc::new(picket_inputs::RemoteIdMqtt {
                subscription,
                client_id: Some(format!("{root}-sub")),
            })),
        )],
    );
    let mut events = p.events.subscribe();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (cut_tx, cut_rx) = watch::channel(0u32);
    tokio::spawn(proxy(listen, cut_rx));
    subscribed(&mut events, sensor).await;

    let dji = capture("dji_air3.pcapng");
    let frames: Vec<Vec<u8>> = picket_pcap::packets(&dji)
        .unwrap()
        .map(|p| p.unwrap().data.to_vec())
        .collect();
    let decoded = decoded_payloads(&dji);
    let (want, _) = offline(&dji, sensor);
    let client = publisher(&root).await;
    let topic = format!("{root}/north/rid");
    use rumqttc::QoS::AtLeastOnce;
    // Radiotap frames, then garbage, then a decoded record per DJI broadcast.
    for f in &frames {
        client
            .publish(&topic, AtLeastOnce, false, f.clone())
            .await
            .unwrap();
    }
    client
        .publish(&topic, AtLeastOnce, false, b"\xffnot remote id".to_vec())
        .await
        .unwrap();
    client
        .publish(
            &topic,
            AtLeastOnce,
            false,
            b"{\"message\":{\"message_type\":\"location\",\"lat\":95,\"lon\":1}}".to_vec(),
        )
        .await
        .unwrap();
    wait_for("the radiotap frames' observations", 10, || {
        observations_of(&seen, sensor).len() >= want.len()
    })
    .await;
    assert_eq!(sorted(observations_of(&seen, sensor)), want);
    wait_for("the garbage counted", 5, || {
        malformed(&p, sensor, "unknown payload") == 1 && malformed(&p, sensor, "record") == 1
    })
    .await;

    // The broker connection is cut: the input reconnects and subscribes again (clean session),
    // and what is published afterwards arrives.
    cut_tx.send(1).unwrap();
    subscribed(&mut events, sensor).await;
    for d in &decoded {
        client
            .publish(&topic, AtLeastOnce, false, d.clone().into_bytes())
            .await
            .unwrap();
    }
    wait_for("the decoded records' observations", 10, || {
        observations_of(&seen, sensor).len() >= 2 * want.len()
    })
    .await;
    let all = sorted(observations_of(&seen, sensor));
    let mut twice: Vec<Key> = want.iter().chain(&want).cloned().collect();
    twice.sort();
    assert_eq!(all, twice);
    tx.send(true).unwrap();
    drop(p);
}

/// A decoded record of one aircraft of its own (serial number `PKT` + `n`, its own address),
/// hovering on a grid point of its own 1.1 km from the next (so fusion gates them apart and
/// a few thousand stay cheap to track).
fn numbered_record(n: usize) -> String {
    let mac = format!("02:00:00:00:{:02x}:{:02x}", (n >> 8) & 0xff, n & 0xff);
    let lat = 33.0 + (n % 64) as f64 * 0.01;
    let lon = -82.0 + (n / 64) as f64 * 0.01;
    format!(
        r#"{{"mac":"{mac}","rssi_dbm":-60,"messages":[{{"message_type":"location","lat":{lat:.5},"lon":{lon:.5},"alt_geo_m":82.0,"height_m":1.5,"horizontal_accuracy_m":3.0}},{{"message_type":"basic_id","id_type":"serial_number","ua_type":"helicopter_or_multirotor","uas_id":"PKT{n:06}"}}]}}"#
    )
}

/// The serial numbers of the sensor's observations so far.
fn serials(seen: &Mutex<Vec<Input>>, sensor: &str) -> Vec<String> {
    let mut ids: Vec<String> = observations_of(seen, sensor)
        .iter()
        .map(|o| match &o.identity {
            Some(Identity::RemoteId(s)) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    ids.sort();
    ids
}

/// Inputs the sensor has handed to the pipeline (or had rejected) so far.
fn handed_on(p: &Pipeline, sensor: &str) -> u64 {
    p.state.read().unwrap().sensors[&SensorId(sensor.into())].lines
}

/// Publishes records `from..to` a few at a time, paced so that the pipeline's steps happen
/// meanwhile and its backpressure builds up to the input.
async fn publish_paced(
    client: &rumqttc::AsyncClient,
    topic: &str,
    qos: rumqttc::QoS,
    from: usize,
    to: usize,
) {
    for n in from..to {
        client
            .publish(topic, qos, false, numbered_record(n))
            .await
            .unwrap();
        if n % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Waits until the input has handed nothing more on (nor dropped anything) for a second: it
/// waits for the pipeline, or has nothing left. Says how much it had handed on.
async fn settled(p: &Pipeline, sensor: &str) -> u64 {
    let mut last = handed_on(p, sensor);
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = handed_on(p, sensor);
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the input never stalled ({last} handed on)");
}

/// While the pipeline does not take records (its store stalls), the MQTT input keeps serving
/// its broker connection: a cut connection is noticed and replaced (and so keep-alive pings
/// are answered) while records wait. QoS 1 messages are acknowledged only once handed on, so
/// the broker holds the rest back and none is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_input_serves_its_broker_while_the_pipeline_is_stalled_and_drops_no_qos1_message() {
    std::net::TcpStream::connect("127.0.0.1:1883").unwrap_or_else(|e| {
        panic!("Mosquitto must listen on 127.0.0.1:1883 (.ci/run starts it): {e}")
    });
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let root = format!(
        "picket-it-stall-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    );
    // Each record is one observation of its own aircraft (checked offline first).
    let mut d = picket_inputs::RemoteIdLiveDecoder::new(SensorId("offline".into()), None);
    for n in [0, 7, 999] {
        let (mut obs, mut rej) = (Vec::new(), Vec::new());
        d.decode(
            Timestamp::parse_rfc3339("2024-10-07T13:22:55Z").unwrap(),
            numbered_record(n).as_bytes(),
            &mut obs,
            &mut rej,
        );
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(obs.len(), 1);
        assert_eq!(
            obs[0].identity,
            Some(Identity::RemoteId(format!("PKT{n:06}")))
        );
    }
    let sensor = "rid-mqtt-stall";
    let gate: Gate = Arc::new((Mutex::new(true), std::sync::Condvar::new()));
    let (p, tx, seen) = start_gated(
        site(&[(sensor, 600.0)]),
        vec![(
            SensorId(sensor.into()),
            Source::Adapter(Arc::new(picket_inputs::RemoteIdMqtt {
                subscription: picket_inputs::MqttSubscription::parse_url(&format!(
                    "mqtt://{listen}/{root}/+/rid"
                ))
                .unwrap(),
                client_id: Some(format!("{root}-sub")),
            })),
        )],
        gate.clone(),
        // Small queues between the stages: the stall reaches the input quickly.
        1,
    );
    let mut events = p.events.subscribe();
    // The "broker" (a proxy to Mosquitto, to cut the connection) starts once the test listens
    // for the input's events: the input retries until then.
    let (cut_tx, cut_rx) = watch::channel(0u32);
    tokio::spawn(proxy(listen, cut_rx));
    subscribed(&mut events, sensor).await;
    let client = publisher(&root).await;
    let topic = format!("{root}/north/rid");
    use rumqttc::QoS::{AtLeastOnce, AtMostOnce};

    // 1. The store stops taking inputs while 400 records are published.
    const N: usize = 400;
    set_gate(&gate, false);
    publish_paced(&client, &topic, AtLeastOnce, 0, N).await;
    let handed = settled(&p, sensor).await;
    assert!(
        handed < N as u64 - 50,
        "the stall did not reach the input: {handed} of {N} handed on"
    );
    // Opened again: every record arrives, once; none was dropped for want of room.
    set_gate(&gate, true);
    let want: Vec<String> = (0..N).map(|n| format!("PKT{n:06}")).collect();
    wait_for("all records after the stall", 30, || {
        observations_of(&seen, sensor).len() >= N
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(serials(&seen, sensor), want);
    assert_eq!(malformed(&p, sensor, "backlog full"), 0);

    // 2. Stalled again, and flooded with QoS 0 messages (no flow control): the input keeps
    // taking them from the broker, and drops and counts what does not fit in its backlog. (The
    // flood is garbage, cheap to reject once the pipeline moves again; a thousand new aircraft
    // in one fusion step would take a debug build minutes.)
    set_gate(&gate, false);
    publish_paced(&client, &topic, AtLeastOnce, N, 2 * N).await;
    settled(&p, sensor).await;
    const FLOOD: u64 = 1500;
    for _ in 0..FLOOD {
        client
            .publish(&topic, AtMostOnce, false, b"\x01flood".to_vec())
            .await
            .unwrap();
    }
    wait_for("the flood's overflow counted", 10, || {
        malformed(&p, sensor, "backlog full") > 0
    })
    .await;
    let handed = settled(&p, sensor).await;
    let stored = observations_of(&seen, sensor).len();
    // The broker connection is cut meanwhile: the input notices at once and subscribes again
    // while its records still wait for the pipeline.
    cut_tx.send(1).unwrap();
    tokio::time::timeout(Duration::from_secs(10), subscribed(&mut events, sensor))
        .await
        .expect("subscribed again while the pipeline is stalled");
    assert_eq!(
        (handed_on(&p, sensor), observations_of(&seen, sensor).len()),
        (handed, stored),
        "the pipeline was still stalled"
    );
    set_gate(&gate, true);
    // Every flood message either waited (and is rejected as garbage now) or was dropped as
    // overflow (as may have been some of the records before it): none went unaccounted, the
    // cut notwithstanding.
    wait_for("the flood accounted for", 30, || {
        malformed(&p, sensor, "unknown payload") + malformed(&p, sensor, "backlog full") >= FLOOD
    })
    .await;
    assert!(malformed(&p, sensor, "unknown payload") <= FLOOD);
    // Once the backlog has drained, what is published on the new connection arrives, none
    // dropped.
    settled(&p, sensor).await;
    let dropped = malformed(&p, sensor, "backlog full");
    publish_paced(&client, &topic, AtLeastOnce, 2 * N, 2 * N + 5).await;
    wait_for("records on the new connection", 30, || {
        let ids = serials(&seen, sensor);
        (2 * N..2 * N + 5).all(|n| ids.binary_search(&format!("PKT{n:06}")).is_ok())
    })
    .await;
    assert_eq!(malformed(&p, sensor, "backlog full"), dropped);
    // Nothing arrived twice.
    let ids = serials(&seen, sensor);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), unique.len());
    tx.send(true).unwrap();
    drop(p);
}

/// What the recording proxy forwarded on one connection, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// Broker to input: a QoS 1 PUBLISH, with its packet id.
    Publish(u16),
    /// Input to broker: a PUBACK, with its packet id.
    PubAck(u16),
}

/// Per connection, what the recording proxy forwarded (logged before it is passed on, so an
/// acknowledgement is always logged after the PUBLISH it answers).
type Recorded = Arc<Mutex<Vec<Vec<Seen>>>>;

/// One MQTT packet at the start of `b`: its first byte, its body and its length, once whole.
fn mqtt_packet(b: &[u8]) -> Option<(u8, &[u8], usize)> {
    let mut remaining = 0usize;
    for i in 0..4 {
        let byte = *b.get(1 + i)?;
        remaining |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            let start = 2 + i;
            let body = b.get(start..start + remaining)?;
            return Some((b[0], body, start + remaining));
        }
    }
    panic!("malformed MQTT remaining length");
}

/// Copies `from` to `to`, logging the PUBLISHes (from the broker) or PUBACKs (from the input)
/// on connection `conn` as they pass.
async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    recorded: Recorded,
    conn: usize,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut chunk = vec![0u8; 16 * 1024];
    let mut pending = Vec::new();
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&chunk[..n]);
        while let Some((first, body, len)) = mqtt_packet(&pending) {
            let seen = match first >> 4 {
                // PUBLISH: topic, then the packet id when QoS > 0.
                3 if (first >> 1) & 3 != 0 => {
                    let topic = u16::from_be_bytes([body[0], body[1]]) as usize;
                    Some(Seen::Publish(u16::from_be_bytes([
                        body[2 + topic],
                        body[3 + topic],
                    ])))
                }
                4 => Some(Seen::PubAck(u16::from_be_bytes([body[0], body[1]]))),
                _ => None,
            };
            if let Some(seen) = seen {
                recorded.lock().unwrap()[conn].push(seen);
            }
            pending.drain(..len);
        }
        if to.write_all(&chunk[..n]).await.is_err() {
            return;
        }
    }
}

/// Forwards TCP connections on `listen` to Mosquitto, recording each one's PUBLISHes and
/// PUBACKs. `cut` drops every open connection; while `hold` is true a new connection is
/// accepted but not passed on (the input waits for its ConnAck) until it turns false.
async fn recording_proxy(
    listen: std::net::SocketAddr,
    recorded: Recorded,
    cut: watch::Receiver<u32>,
    hold: watch::Receiver<bool>,
) {
    let server = tokio::net::TcpListener::bind(listen).await.unwrap();
    loop {
        let (inbound, _) = server.accept().await.unwrap();
        let conn = {
            let mut r = recorded.lock().unwrap();
            r.push(Vec::new());
            r.len() - 1
        };
        let mut cut = cut.clone();
        cut.mark_unchanged();
        let mut hold = hold.clone();
        let recorded = recorded.clone();
        tokio::spawn(async move {
            hold.wait_for(|held| !*held).await.unwrap();
            let outbound = tokio::net::TcpStream::connect("127.0.0.1:1883")
                .await
                .unwrap();
            let (in_read, in_write) = inbound.into_split();
            let (out_read, out_write) = outbound.into_split();
            tokio::select! {
                _ = relay(in_read, out_write, recorded.clone(), conn) => {}
                _ = relay(out_read, in_write, recorded, conn) => {}
                _ = cut.changed() => {}
            }
        });
    }
}

/// Checks that every PUBACK of a connection answers a PUBLISH the broker sent on that same
/// connection and that was not acknowledged yet; gives the packet ids left unacknowledged.
fn unacknowledged(conn: usize, seen: &[Seen]) -> std::collections::BTreeSet<u16> {
    let mut open = std::collections::BTreeSet::new();
    for (i, s) in seen.iter().enumerate() {
        match *s {
            Seen::Publish(id) => assert!(open.insert(id), "connection {conn}: id {id} reused"),
            Seen::PubAck(id) => assert!(
                open.remove(&id),
                "connection {conn}: PUBACK {id} (packet {i}) answers no PUBLISH of this \
                 connection still open: {seen:?}"
            ),
        }
    }
    open
}

/// The messages of a lost connection that still wait for the pipeline are handed on, but not
/// acknowledged: not while the next connection is being made, not on it. (A clean session's
/// packet ids start afresh on every connection: such an acknowledgement would acknowledge
/// another message there, one the pipeline has not taken.) What comes on the new connection
/// is acknowledged once handed on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_input_acknowledges_nothing_of_a_lost_connection_on_the_next_one() {
    std::net::TcpStream::connect("127.0.0.1:1883").unwrap_or_else(|e| {
        panic!("Mosquitto must listen on 127.0.0.1:1883 (.ci/run starts it): {e}")
    });
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let root = format!(
        "picket-it-acks-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
    );
    let sensor = "rid-mqtt-acks";
    let gate: Gate = Arc::new((Mutex::new(true), std::sync::Condvar::new()));
    let (p, tx, seen) = start_gated(
        site(&[(sensor, 600.0)]),
        vec![(
            SensorId(sensor.into()),
            Source::Adapter(Arc::new(picket_inputs::RemoteIdMqtt {
                subscription: picket_inputs::MqttSubscription::parse_url(&format!(
                    "mqtt://{listen}/{root}/+/rid"
                ))
                .unwrap(),
                client_id: Some(format!("{root}-sub")),
            })),
        )],
        gate.clone(),
        1,
    );
    let mut events = p.events.subscribe();
    let recorded: Recorded = Arc::default();
    let (cut_tx, cut_rx) = watch::channel(0u32);
    let (hold_tx, hold_rx) = watch::channel(false);
    tokio::spawn(recording_proxy(listen, recorded.clone(), cut_rx, hold_rx));
    subscribed(&mut events, sensor).await;
    let client = publisher(&root).await;
    let topic = format!("{root}/north/rid");
    use rumqttc::QoS::AtLeastOnce;

    // 1. The pipeline stalls (its store takes nothing). Records are published one at a time
    // until three in a row stay with the input (its stages hold a batch each: few records, so
    // they are through quickly later), then a burst: all wait in the input, unacknowledged.
    set_gate(&gate, false);
    let (mut n, mut staying) = (0, 0);
    while staying < 3 {
        assert!(n < 100, "the stall never reached the input");
        let before = handed_on(&p, sensor);
        client
            .publish(&topic, AtLeastOnce, false, numbered_record(n))
            .await
            .unwrap();
        n += 1;
        tokio::time::sleep(Duration::from_millis(400)).await;
        staying = if handed_on(&p, sensor) == before {
            staying + 1
        } else {
            0
        };
    }
    const BURST: usize = 20;
    publish_paced(&client, &topic, AtLeastOnce, n, n + BURST).await;
    let n = n + BURST;
    let handed = settled(&p, sensor).await;
    assert!(
        handed + 10 < n as u64,
        "the stall did not reach the input: {handed} of {n} handed on"
    );
    let (delivered_first, waiting_first) = {
        let r = recorded.lock().unwrap();
        assert_eq!(r.len(), 1, "one connection so far");
        let publishes = r[0]
            .iter()
            .filter(|s| matches!(s, Seen::Publish(_)))
            .count();
        (publishes, unacknowledged(0, &r[0]).len())
    };
    assert!(
        waiting_first >= 10,
        "{waiting_first} messages wait unacknowledged at the cut"
    );

    // 2. The connection is cut; the next one is held open, unanswered, while the pipeline takes
    // the backlog (the input has no ConnAck yet: rumqttc would send what it is asked for now
    // once connected).
    hold_tx.send(true).unwrap();
    cut_tx.send(1).unwrap();
    wait_for("the input's next connection", 10, || {
        recorded.lock().unwrap().len() == 2
    })
    .await;
    set_gate(&gate, true);
    // Within rumqttc's 5 s wait for a ConnAck.
    wait_for("the backlog handed on", 3, || {
        observations_of(&seen, sensor).len() >= delivered_first
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    hold_tx.send(false).unwrap();
    subscribed(&mut events, sensor).await;

    // 3. New messages on the new connection: each handed on and acknowledged there, once.
    const MORE: usize = 5;
    publish_paced(&client, &topic, AtLeastOnce, n, n + MORE).await;
    wait_for("the new connection's records", 10, || {
        observations_of(&seen, sensor).len() >= delivered_first + MORE
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = recorded.lock().unwrap().clone();
    assert_eq!(r.len(), 2, "no further connection: {r:?}");
    assert_eq!(unacknowledged(0, &r[0]).len(), waiting_first);
    assert!(unacknowledged(1, &r[1]).is_empty(), "{:?}", r[1]);
    let acks = r[1].iter().filter(|s| matches!(s, Seen::PubAck(_))).count();
    assert_eq!(acks, MORE, "{:?}", r[1]);
    // Every record the broker delivered arrived, once.
    let ids = serials(&seen, sensor);
    assert_eq!(ids.len(), delivered_first + MORE);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique);
    tx.send(true).unwrap();
    drop(p);
}

/// Every JSON example of `docs/remoteid-input.md` is accepted and gives the DJI Air 3's
/// position, and uses only keys the JSON Schema declares.
#[test]
fn the_documented_examples_decode_and_follow_the_schema() {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let text = std::fs::read_to_string(docs.join("remoteid-input.md")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(docs.join("schemas/remoteid-input.schema.json")).unwrap(),
    )
    .expect("the schema is JSON");
    let declared = schema["properties"].as_object().unwrap();
    let mut lines = Vec::new();
    let mut in_json = false;
    for l in text.lines() {
        match (in_json, l.trim()) {
            (false, "```json") => in_json = true,
            (true, "```") => in_json = false,
            (true, l) if !l.is_empty() => lines.push(l.to_owned()),
            _ => {}
        }
    }
    assert_eq!(lines.len(), 5, "JSON example lines");
    let rx = Timestamp::parse_rfc3339("2024-10-07T13:22:55Z").unwrap();
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
        for k in v.as_object().unwrap().keys() {
            assert!(declared.contains_key(k), "`{k}` is not in the schema");
        }
        let mut d = picket_inputs::RemoteIdLiveDecoder::new(SensorId("doc".into()), None);
        let (mut obs, mut rejects) = (Vec::new(), Vec::new());
        d.decode(rx, line.as_bytes(), &mut obs, &mut rejects);
        assert!(rejects.is_empty(), "{line}: {rejects:?}");
        assert_eq!(obs.len(), 1, "{line}");
        let k = key(&obs[0]);
        assert_eq!((k.1, k.2), (336_652_717, -821_918_334), "{line}");
        // The record's own time is plausible here, so it is used.
        assert!(obs[0].time.seconds_since(rx).abs() < 10.0);
    }
}

/// Mutated real payloads (radiotap frames, a pcapng capture, `picket decode` lines, raw-frame
/// records) never panic the decoder; plenty are still used, plenty counted.
#[test]
fn mutated_real_payloads_never_panic() {
    let dji = capture("dji_air3.pcapng");
    let bt5 = capture("odid_bt5_lr_sample.pcapng");
    let mut seeds: Vec<Vec<u8>> = picket_pcap::packets(&dji)
        .unwrap()
        .map(|p| p.unwrap().data.to_vec())
        .collect();
    seeds.push(dji.clone());
    seeds.extend(decoded_payloads(&dji).into_iter().map(String::into_bytes));
    seeds.extend(picket_pcap::packets(&bt5).unwrap().take(20).map(|p| {
        let p = p.unwrap();
        format!(
            "{{\"link_type\":272,\"rssi_dbm\":-50,\"frame_hex\":\"{}\"}}",
            hex(p.data)
        )
        .into_bytes()
    }));
    let mut d = picket_inputs::RemoteIdLiveDecoder::new(SensorId("mut".into()), None);
    let rx = Timestamp::parse_rfc3339("2024-10-07T13:22:55Z").unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut used, mut rejected) = (0u64, 0u64);
    for i in 0..20_000 {
        let mut p = seeds[i % seeds.len()].clone();
        for _ in 0..=(rand() % 4) {
            if p.is_empty() {
                break;
            }
            let at = (rand() as usize) % p.len();
            match rand() % 4 {
                0 => p[at] = rand() as u8,
                1 => p[at] ^= 1 << (rand() % 8),
                2 => p.truncate(at),
                _ => p.insert(at, b"{}\":,0x-9e\n"[(rand() % 11) as usize]),
            }
        }
        let (mut obs, mut rej) = (Vec::new(), Vec::new());
        d.decode(rx, &p, &mut obs, &mut rej);
        used += obs.len() as u64;
        rejected += rej.len() as u64;
    }
    assert!(
        used > 1000 && rejected > 1000,
        "{used} observations, {rejected} rejections"
    );
}
