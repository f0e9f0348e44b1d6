//! Latency benchmark: observation in → CoT bytes out, in process, through the real pipeline
//! (fusion, assessment, alerting, store) and the real TAK output writing XML to a local TCP
//! socket.
//!
//! Paced sensors hand dark-drone position observations of many targets closing on a ring of
//! protected units to the pipeline (`InputSink`, like any input adapter): each sensor
//! reports every target once per scan, all plots of a scan with one time of validity (the
//! wall-clock time the scan is injected), the sensors' scans staggered evenly. A
//! reader on the TAK socket stamps every CoT event when its bytes arrive. Each track event
//! carries the time of its newest observation (`__picket data_time`), each alert marker the
//! time of the fusion step that raised or updated it; fusion processes data of time `t` in
//! the step at the next step boundary `b`, which runs when the first observation with time
//! ≥ `b` arrives (the reorder window is 0). That observation triggered the CoT, and the
//! latency is the CoT's arrival on the socket minus that observation's injection. Before
//! that, observations wait up to one step period in fusion's batch (reported separately:
//! the age of the newest observation, a setting more than a cost). A subscriber to the
//! pipeline's events splits the latency into fusion + assessment and the TAK output.
//!
//! Run: `cargo bench -p picket-outputs --bench latency -- [--sensors 50] [--targets 100]
//! [--scan-ms 100] [--seconds 10] [--step-ms 200] [--units 10] [--warmup-s 3]`
//! [--no-store-observations] (input rate = sensors × targets / scan period: 50 000
//! observations/s by default).

use picket_core::{
    ClassHint, GeoPoint, Input, LocalFrame, Measurement, Observation, ProtectedUnit, SensorId,
    SideFacts, TargetClass, Timestamp, UnitGeometry, UnitKind,
};
use picket_cot::framing::split_xml_stream;
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{
    AdapterContext, Event, Feed, LiveAdapter, OutputSink, PipelineConfig, SensorInfo, SiteModel,
    Source,
};
use picket_store::{SqliteStore, Store, StoreError};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

const ORIGIN: GeoPoint = GeoPoint {
    lat_deg: 31.345,
    lon_deg: -109.948,
    alt_hae_m: 1400.0,
};

fn wall_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

#[derive(Clone, Debug)]
struct Args {
    sensors: usize,
    scan_ms: u64,
    seconds: f64,
    targets: usize,
    step_ms: u64,
    units: usize,
    warmup_s: f64,
    /// Leave observations out of the store (tracks, alerts and audit still go in): shows
    /// what persisting every observation costs.
    no_store_observations: bool,
}

fn args() -> Args {
    let mut a = Args {
        sensors: 50,
        scan_ms: 100,
        seconds: 10.0,
        targets: 100,
        step_ms: 200,
        units: 10,
        warmup_s: 3.0,
        no_store_observations: false,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = || v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--sensors" => a.sensors = val().parse().expect("--sensors N"),
            "--scan-ms" => a.scan_ms = val().parse().expect("--scan-ms MS"),
            "--seconds" => a.seconds = val().parse().expect("--seconds S"),
            "--targets" => a.targets = val().parse().expect("--targets N"),
            "--step-ms" => a.step_ms = val().parse().expect("--step-ms MS"),
            "--units" => a.units = val().parse().expect("--units N"),
            "--warmup-s" => a.warmup_s = val().parse().expect("--warmup-s S"),
            "--no-store-observations" => {
                a.no_store_observations = true;
                i += 1;
                continue;
            }
            // `cargo bench` passes `--bench`; ignore what is not ours.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

impl Args {
    fn rate(&self) -> f64 {
        (self.sensors * self.targets) as f64 * 1000.0 / self.scan_ms as f64
    }
}

/// Injection times (µs since the epoch, also the observations' times of validity).
type Injected = Arc<Mutex<Vec<i64>>>;

/// One paced sensor: a LiveAdapter like any protocol input.
#[derive(Debug)]
struct Generator {
    args: Args,
    /// Which sensor (its scans are offset by `index` × scan period / sensors).
    index: usize,
    start: Instant,
    frame: LocalFrame,
    injected: Injected,
    done: tokio::sync::mpsc::Sender<()>,
}

impl Generator {
    /// Where target `k` is `t_s` seconds after the start: on a ring 1.5–3 km out, flying
    /// at 15 m/s straight at the site's centre, 80–200 m up.
    fn position(&self, k: usize, t_s: f64) -> GeoPoint {
        let n = self.args.targets as f64;
        let angle = (k as f64 / n) * std::f64::consts::TAU;
        let r0 = 1_500.0 + 1_500.0 * ((k * 7919) % 1000) as f64 / 1000.0;
        let r = (r0 - 15.0 * t_s).max(50.0);
        let up = 80.0 + (k % 120) as f64;
        self.frame
            .to_geo(&picket_core::Enu::new(r * angle.sin(), r * angle.cos(), up))
    }
}

impl LiveAdapter for Generator {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let me = Generator {
            args: self.args.clone(),
            index: self.index,
            start: self.start,
            frame: self.frame,
            injected: self.injected.clone(),
            done: self.done.clone(),
        };
        tokio::spawn(async move {
            let sink = ctx.sink;
            let sensor = sink.sensor_id().clone();
            let scan = Duration::from_millis(me.args.scan_ms);
            let offset = scan.mul_f64(me.index as f64 / me.args.sensors as f64);
            let end = me.start + Duration::from_secs_f64(me.args.seconds);
            let mut at = me.start + offset;
            while at < end {
                tokio::time::sleep_until(at.into()).await;
                // One scan: every target once, one time of validity.
                let now_us = wall_us();
                let t_s = me.start.elapsed().as_secs_f64();
                for k in 0..me.args.targets {
                    let obs = Observation {
                        sensor_id: sensor.clone(),
                        time: Timestamp::from_micros(now_us),
                        measurement: Measurement::position(me.position(k, t_s), 5.0, 8.0),
                        identity: None,
                        class_hint: Some(ClassHint {
                            class: TargetClass::Drone,
                            confidence: 0.9,
                        }),
                        side: SideFacts::default(),
                    };
                    if !sink.send(Input::Observation(obs)).await {
                        return;
                    }
                }
                me.injected
                    .lock()
                    .unwrap()
                    .extend(std::iter::repeat_n(now_us, me.args.targets));
                at += scan;
            }
            let _ = me.done.send(()).await;
        })
    }
}

/// One CoT event as it arrived: its kind, uid, the data time it carries (ms), arrival (µs).
struct Arrival {
    alert: bool,
    uid: String,
    data_ms: i64,
    at_us: i64,
}

fn attr<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = xml.find(&key)? + key.len();
    let rest = &xml[i..];
    Some(&rest[..rest.find('"')?])
}

fn parse_ms(s: &str) -> Option<i64> {
    picket_cot::parse_cot_time(s).map(|t| t.as_micros().div_euclid(1000))
}

fn site(args: &Args) -> SiteModel {
    let frame = LocalFrame::new(ORIGIN);
    let units = (0..args.units)
        .map(|i| {
            let a = i as f64 / args.units as f64 * std::f64::consts::TAU;
            ProtectedUnit {
                id: format!("post-{i}").as_str().into(),
                name: format!("Post {i}"),
                sector: "bench".into(),
                callsign: Some(format!("POST{i}")),
                kind: UnitKind::Fixed {
                    geometry: UnitGeometry::Circle {
                        center: frame.to_geo(&picket_core::Enu::new(
                            400.0 * a.sin(),
                            400.0 * a.cos(),
                            0.0,
                        )),
                        radius_m: 300.0,
                    },
                },
            }
        })
        .collect();
    SiteModel {
        name: "bench".into(),
        frame,
        units,
        zones: vec![],
        sensors: (0..args.sensors)
            .map(|j| SensorInfo {
                id: SensorId(format!("radar-{j}")),
                kind: "radar".into(),
                position: Some(ORIGIN),
                silence_timeout_s: 60.0,
            })
            .collect(),
    }
}

/// SQLite, without the observations (`--no-store-observations`).
struct NoObservations(SqliteStore);

impl Store for NoObservations {
    fn append_inputs(&mut self, _: &[Input]) -> Result<(), StoreError> {
        Ok(())
    }
    fn append_tracks(&mut self, t: &[picket_core::Track]) -> Result<(), StoreError> {
        self.0.append_tracks(t)
    }
    fn append_alert_event(&mut self, e: &picket_core::AlertEvent) -> Result<(), StoreError> {
        self.0.append_alert_event(e)
    }
    fn alert_events(&self) -> Result<Vec<picket_core::AlertEvent>, StoreError> {
        self.0.alert_events()
    }
    fn current_alerts(&self) -> Result<Vec<picket_core::AlertEvent>, StoreError> {
        self.0.current_alerts()
    }
    fn counts(&self) -> Result<picket_store::StoreCounts, StoreError> {
        self.0.counts()
    }
    fn user_count(&self) -> Result<u64, StoreError> {
        self.0.user_count()
    }
    fn issue_token(
        &mut self,
        user: &str,
        role: picket_core::Role,
        sectors: &[String],
    ) -> Result<String, StoreError> {
        self.0.issue_token(user, role, sectors)
    }
    fn authenticate(&self, token: &str) -> Result<Option<picket_core::Principal>, StoreError> {
        self.0.authenticate(token)
    }
    fn revoke_tokens(&mut self, user: &str) -> Result<u64, StoreError> {
        self.0.revoke_tokens(user)
    }
    fn audit(
        &mut self,
        time: Timestamp,
        who: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.0.audit(time, who, action, detail)
    }
    fn audit_log(&self) -> Result<Vec<picket_store::AuditEntry>, StoreError> {
        self.0.audit_log()
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

fn main() {
    let args = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(args));
}

async fn run(args: Args) {
    let site = site(&args);
    // The TAK server's end: its own OS thread with blocking reads, as another process
    // would be, so its arrival stamps do not wait for the pipeline's runtime workers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    let mut tak = TakOutputConfig::new(TakTarget::parse(&url).unwrap());
    // The shortest period TAK takes: every step's update of a track is due when it arrives.
    tak.update_period = Duration::from_millis(100);
    let out = TakOutput::new(tak).unwrap();

    let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::default();
    let bytes_in = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let rec = arrivals.clone();
    let nbytes = bytes_in.clone();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let Ok((mut sock, _)) = listener.accept() else {
            return;
        };
        let mut buf = vec![0u8; 1 << 20];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match sock.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let at_us = wall_us();
            nbytes.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            pending.extend_from_slice(&buf[..n]);
            let mut used_total = 0;
            let mut got = Vec::new();
            while let Ok(Some((ev, used))) = split_xml_stream(&pending[used_total..], 1 << 20) {
                used_total += used;
                let xml = std::str::from_utf8(ev).unwrap_or("");
                let ty = attr(xml, "type").unwrap_or("");
                let alert = ty == "b-a-g";
                // Alert markers and track events (not Picket's own `a-f-` presence).
                let track = ty.starts_with("a-") && !ty.starts_with("a-f-");
                let data = if alert || track {
                    attr(xml, "data_time")
                } else {
                    None
                };
                if let (Some(d), Some(uid)) = (data.and_then(parse_ms), attr(xml, "uid")) {
                    got.push(Arrival {
                        alert,
                        uid: uid.to_owned(),
                        data_ms: d,
                        at_us,
                    });
                }
            }
            pending.drain(..used_total);
            rec.lock().unwrap().extend(got);
        }
    });

    let injected: Injected = Arc::new(Mutex::new(Vec::with_capacity(
        (args.rate() * args.seconds) as usize + 16,
    )));
    let (done, mut finished) = tokio::sync::mpsc::channel(args.sensors.max(1));
    let start = Instant::now() + Duration::from_millis(200);
    let feeds = (0..args.sensors)
        .map(|j| {
            let g = Generator {
                args: args.clone(),
                index: j,
                start,
                frame: site.frame,
                injected: injected.clone(),
                done: done.clone(),
            };
            (
                SensorId(format!("radar-{j}")),
                Source::Adapter(Arc::new(g) as Arc<dyn LiveAdapter>),
            )
        })
        .collect();
    drop(done);
    let mut config = PipelineConfig::new(site, Feed::Live(feeds));
    config.reorder_window_s = 0.0;
    config.step_period_s = args.step_ms as f64 / 1000.0;
    config.outputs = vec![OutputSink::Adapter(Arc::new(out))];
    let (stop, shutdown) = watch::channel(false);
    // A database file, as a site has (WAL, synchronous = NORMAL), not an in-memory one.
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite = SqliteStore::open(&dir.path().join("bench.sqlite")).expect("store");
    let store: Box<dyn Store> = if args.no_store_observations {
        Box::new(NoObservations(sqlite))
    } else {
        Box::new(sqlite)
    };
    let pipeline = picket_pipeline::start(config, store, shutdown).expect("pipeline");
    // When assessment published each step's tracks (step time µs, wall µs): splits the
    // latency into pipeline (fusion, assessment) and TAK output (picture, encode, socket).
    let published: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
    // When each step's first alert event was announced (stored first), likewise.
    let announced: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
    let mut events = pipeline.events.subscribe();
    let rec = published.clone();
    let rec_alerts = announced.clone();
    let watcher = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(ev) => match &*ev {
                    Event::Tracks { time, .. } => {
                        rec.lock().unwrap().push((time.as_micros(), wall_us()));
                    }
                    Event::Alert(a) => {
                        rec_alerts
                            .lock()
                            .unwrap()
                            .push((a.time.as_micros(), wall_us()));
                    }
                    _ => {}
                },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    });
    tokio::time::sleep_until(start.into()).await;
    let start_us = wall_us();
    while finished.recv().await.is_some() {}
    let gen_s = start.elapsed().as_secs_f64();
    // Let the last steps reach the socket.
    tokio::time::sleep(Duration::from_millis(args.step_ms * 3 + 500)).await;
    let metrics = pipeline.metrics.clone();
    stop.send(true).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(30), pipeline.join()).await;
    watcher.abort();
    // The output closed its connection when it stopped; the reader has seen the end.
    let _ = reader.join();

    let mut inj = injected.lock().unwrap().clone();
    inj.sort_unstable();
    let n_obs = inj.len();
    let warm_us = start_us + (args.warmup_s * 1e6) as i64;
    // Steady state only: once the sensors stop, a track's update held back by the TAK
    // update period (100 ms) leaves when the period ends, with nothing newer to replace it.
    let cool_us = start_us + (gen_s * 1e6) as i64 - 100_000;
    let arrivals = std::mem::take(&mut *arrivals.lock().unwrap());
    let n_cot = arrivals.len();
    let mut seen: HashSet<(bool, String, i64)> = HashSet::new();
    let step_us = args.step_ms as i64 * 1000;
    let published: std::collections::HashMap<i64, i64> =
        published.lock().unwrap().iter().copied().collect();
    let mut first_announced: std::collections::HashMap<i64, i64> = Default::default();
    for (t, w) in announced.lock().unwrap().iter() {
        first_announced.entry(*t).or_insert(*w);
    }
    let (mut alert_pipe, mut alert_tak) = (Vec::new(), Vec::new());
    // Triggering observation → CoT; of which triggering observation → tracks published;
    // the observation's own age at the CoT (incl. waiting for its step); alerts.
    let (mut total, mut pipe, mut tak, mut age, mut alerts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let ms = |us: i64| us as f64 / 1000.0;
    for a in arrivals {
        let t_us = a.data_ms * 1000;
        if t_us < warm_us || t_us > cool_us || !seen.insert((a.alert, a.uid.clone(), a.data_ms)) {
            continue;
        }
        // The step that processed data of time t: the first boundary after it (alert
        // events carry the step time itself); it ran when the first observation at or
        // after that boundary arrived.
        let b_us = if t_us % step_us == 0 {
            t_us
        } else {
            t_us.div_euclid(step_us) * step_us + step_us
        };
        let i = inj.partition_point(|t| *t < b_us);
        let Some(trigger) = inj.get(i) else { continue };
        if a.alert {
            alerts.push(ms(a.at_us - trigger));
            if let Some(p) = first_announced.get(&b_us) {
                alert_pipe.push(ms(p - trigger));
                alert_tak.push(ms(a.at_us - p));
            }
            continue;
        }
        total.push(ms(a.at_us - trigger));
        age.push(ms(a.at_us - t_us));
        if let Some(p) = published.get(&b_us) {
            pipe.push(ms(p - trigger));
            tak.push(ms(a.at_us - p));
        }
    }
    for v in [
        &mut total,
        &mut pipe,
        &mut tak,
        &mut age,
        &mut alerts,
        &mut alert_pipe,
        &mut alert_tak,
    ] {
        v.sort_by(f64::total_cmp);
    }
    let achieved = n_obs as f64 / gen_s;
    println!(
        "input: {n_obs} observations ({} sensors × {} targets every {} ms) in {gen_s:.2} s = {achieved:.0} obs/s (asked {:.0}); fusion step {} ms, reorder window 0, TAK update period 100 ms{}",
        args.sensors,
        args.targets,
        args.scan_ms,
        args.rate(),
        args.step_ms,
        if args.no_store_observations {
            "; observations not stored"
        } else {
            ""
        }
    );
    println!(
        "output: {n_cot} CoT events with a data time ({:.1} MB XML); after {} s warm-up: {} track events, {} alert markers",
        bytes_in.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6,
        args.warmup_s,
        total.len(),
        alerts.len()
    );
    for (name, v) in [
        ("track CoT: triggering observation → bytes", &total),
        ("  of which fusion + assessment (→ tracks published)", &pipe),
        ("  of which TAK output (published → bytes read)", &tak),
        ("alert CoT: triggering observation → bytes", &alerts),
        (
            "  of which fusion + assessment + durable store (→ announced)",
            &alert_pipe,
        ),
        ("  of which TAK output (announced → bytes read)", &alert_tak),
        (
            "track CoT: age of its newest observation (incl. wait for the step)",
            &age,
        ),
    ] {
        println!(
            "{name}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n = {})",
            pct(v, 50.0),
            pct(v, 90.0),
            pct(v, 99.0),
            pct(v, 100.0),
            v.len()
        );
    }
    for (name, labels) in [
        ("picket_fusion_steps_total", vec![("stage", "fusion")]),
        ("picket_fusion_late_inputs_total", vec![("stage", "fusion")]),
        (
            "picket_tak_events_dropped_total",
            vec![("output", url.as_str())],
        ),
    ] {
        println!("{name}: {:?}", metrics.counter_value(name, &labels));
    }
    let p99 = pct(&total, 99.0).max(pct(&alerts, 99.0));
    println!(
        "target p99 < 10 ms at 50 000 obs/s: {}",
        if p99 < 10.0 && achieved >= 0.98 * 50_000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
