//! Wiring: site model from the scenario or the config, the store, the pipeline, the API.

use crate::config::{self, OutputConfig, OutputWhat, SiteConfig};
use crate::Speed;
use anyhow::{bail, Context, Result};
use picket_core::{Principal, Role, SensorId, Timestamp};
use picket_pipeline::{
    wall_now, Feed, OutputSink, Pace, PipelineConfig, PlaybackLine, SensorInfo, SiteModel, Source,
};
use picket_store::{SqliteStore, Store};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

/// Arguments of `picket demo`.
pub(crate) struct DemoArgs {
    pub speed: Speed,
    pub serve: bool,
    pub alerts_out: Option<PathBuf>,
    pub tracks_out: Option<PathBuf>,
    pub listen: SocketAddr,
    pub store: Option<PathBuf>,
    pub seed: u64,
    pub web_root: Option<PathBuf>,
    pub start: Option<Timestamp>,
    /// `--tak`: also stream to a TAK server or device.
    pub tak: Option<picket_outputs::TakOutput>,
}

/// Token checks and audit over a second connection to the store file.
struct StoreAuth {
    store: Mutex<SqliteStore>,
}

impl picket_api::Auth for StoreAuth {
    fn authenticate(&self, token: &str) -> Option<Principal> {
        let s = self.store.lock().ok()?;
        s.authenticate(token).ok().flatten()
    }
    fn audit(&self, who: &str, action: &str, detail: &str) {
        if let Ok(mut s) = self.store.lock() {
            if let Err(e) = s.audit(wall_now(), who, action, detail) {
                tracing::error!("audit log write failed: {e}");
            }
        }
    }
}

fn pace(speed: Speed) -> Pace {
    match speed {
        Speed::Max => Pace::Max,
        Speed::Times(x) => Pace::Speed(x),
    }
}

/// The console's files: `--web-root`, `$PICKET_WEB_ROOT`, `web/` next to the checkout the
/// binary was built in, or `./web`.
fn find_web_root(explicit: Option<PathBuf>) -> Option<PathBuf> {
    let candidates = explicit
        .into_iter()
        .chain(std::env::var_os("PICKET_WEB_ROOT").map(PathBuf::from))
        .chain(std::env::current_exe().ok().and_then(|exe| {
            // target/<profile>/picket → <checkout>/web
            exe.parent()?.parent()?.parent().map(|p| p.join("web"))
        }))
        .chain(Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web"),
        ))
        .chain(Some(PathBuf::from("web")));
    for c in candidates {
        if c.join("index.html").is_file() {
            if !c.join("node_modules/leaflet/dist/leaflet.js").is_file() {
                tracing::warn!(
                    "the console's map library is missing: run `npm ci --prefix {}`",
                    c.display()
                );
            }
            return Some(c);
        }
    }
    None
}

fn shutdown_on_ctrl_c() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        // Ctrl-C, or SIGTERM from a service manager: both drain the pipeline.
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        let which = tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok().then_some("Ctrl-C"),
            _ = term => Some("SIGTERM"),
        };
        if let Some(which) = which {
            eprintln!("stopping ({which}) …");
            let _ = tx.send(true);
        }
        // Keep the sender alive so receivers don't see a spurious change.
        std::future::pending::<()>().await;
    });
    rx
}

fn peak_memory_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn open_store(path: &Path) -> Result<SqliteStore> {
    SqliteStore::open(path).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn serve_api(
    pipeline: &picket_pipeline::Pipeline,
    store_path: &Path,
    listen: SocketAddr,
    web_root: Option<PathBuf>,
    shutdown: watch::Receiver<bool>,
    tasking: picket_pipeline::Tasking,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let auth = Arc::new(StoreAuth {
        store: Mutex::new(open_store(store_path)?),
    });
    let ctx = picket_api::ApiContext {
        state: pipeline.state.clone(),
        commands: pipeline.commands.clone(),
        events: pipeline.events.clone(),
        metrics: pipeline.metrics.clone(),
        auth,
        web_root,
        shutdown: shutdown.clone(),
        failed: pipeline.failed.clone(),
        tasking,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (is another Picket running? choose another with --listen)"))?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = picket_api::serve(listener, ctx, shutdown).await {
            tracing::error!("API server stopped: {e}");
        }
    });
    Ok((addr, task))
}

fn login_link(addr: SocketAddr, token: &str) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    format!("http://{host}:{}/#token={token}", addr.port())
}

fn sim_site(s: &picket_sim::Scenario) -> SiteModel {
    picket_simsite::site_model(s, 10.0)
}

fn outputs(alerts: Option<PathBuf>, tracks: Option<PathBuf>) -> Vec<OutputSink> {
    alerts
        .map(OutputSink::AlertsJsonl)
        .into_iter()
        .chain(tracks.map(OutputSink::TracksJsonl))
        .collect()
}

/// `picket demo`.
pub(crate) async fn demo(args: DemoArgs) -> Result<()> {
    // Data time starts now (to the second), so outputs to real tools carry real times.
    let start = args
        .start
        .unwrap_or_else(|| Timestamp::from_micros(wall_now().as_micros() / 1_000_000 * 1_000_000));
    let scenario = picket_sim::naco(start, args.seed);
    let store_path = match args.store {
        Some(p) => p,
        None => {
            let dir = std::env::temp_dir().join(format!("picket-demo-{}", std::process::id()));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.join("demo.sqlite")
        }
    };
    let mut store = open_store(&store_path)?;
    // The demo issues a fresh admin token at every start; only its hash is stored.
    let token = store
        .issue_token("demo-admin", Role::Admin, &["*".to_string()])
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The ADS-B receiver speaks Beast, the Remote ID receivers hand over radiotap Wi-Fi
    // beacons and the radar is a SAPIENT node, decoded by the real codecs; the other sensors
    // speak the JSON-lines observation format until their codecs take over.
    let adsb = SensorId("adsb-1".into());
    let radar = SensorId(picket_sim::RADAR_SENSOR_ID.into());
    let radar_frames = picket_sim::sapient_radar(&scenario);
    let rid: Vec<SensorId> = scenario
        .sensors
        .iter()
        .filter(|x| x.kind == "remote_id")
        .map(|x| x.id.clone())
        .collect();
    let lines: Vec<PlaybackLine> = scenario
        .feed
        .iter()
        .filter(|f| f.sensor_id != adsb && f.sensor_id != radar && !rid.contains(&f.sensor_id))
        .map(|f| PlaybackLine {
            sensor_id: f.sensor_id.clone(),
            line: f.line.clone(),
        })
        .collect();
    let mut config = PipelineConfig::new(
        sim_site(&scenario),
        Feed::Playback {
            lines,
            pace: pace(args.speed),
        },
    );
    let mut frames: Vec<picket_pipeline::PlaybackFrame> = scenario
        .beast
        .iter()
        .chain(&scenario.remote_id)
        .chain(&radar_frames)
        .map(|f| picket_pipeline::PlaybackFrame {
            sensor_id: f.sensor_id.clone(),
            received: f.time,
            bytes: f.bytes.clone(),
        })
        .collect();
    frames.sort_by_key(|f| f.received);
    config.playback_frames = frames;
    config.frame_decoders = vec![(
        adsb,
        Arc::new(picket_inputs::BeastPlayback) as Arc<dyn picket_pipeline::FrameDecoderFactory>,
    )];
    for id in rid {
        config
            .frame_decoders
            .push((id, Arc::new(picket_inputs::RemoteIdPlayback)));
    }
    config
        .frame_decoders
        .push((radar, Arc::new(crate::sapient_playback::SapientPlayback)));
    config.outputs = outputs(args.alerts_out, args.tracks_out);
    if let Some(tak) = args.tak {
        println!("Streaming tracks and alerts to TAK at {}", tak.target());
        config.outputs.push(OutputSink::Adapter(Arc::new(tak)));
    }
    let shutdown = shutdown_on_ctrl_c();
    let wall = Instant::now();
    let mut pipeline = picket_pipeline::start(config, Box::new(store), shutdown.clone())?;
    let mut api = None;
    if args.serve {
        let web_root = find_web_root(args.web_root);
        if web_root.is_none() {
            tracing::warn!("console files not found (use --web-root DIR); serving the API only");
        }
        let (addr, task) = serve_api(
            &pipeline,
            &store_path,
            args.listen,
            web_root,
            shutdown.clone(),
            picket_pipeline::Tasking::default(),
        )
        .await?;
        println!(
            "Picket demo: {} — {} s of border traffic",
            scenario.name,
            scenario.end.seconds_since(scenario.start)
        );
        println!(
            "Console (admin login link, shown once): {}",
            login_link(addr, &token)
        );
        println!("Store: {}", store_path.display());
        println!("Press Ctrl-C to stop.");
        api = Some(task);
    } else {
        println!("Picket demo (no console): {}", scenario.name);
    }
    let mut stop = shutdown.clone();
    tokio::select! {
        _ = pipeline.inputs_finished() => {}
        _ = stop.wait_for(|s| *s) => {}
    }
    let elapsed = wall.elapsed().as_secs_f64();
    let data_s = scenario.end.seconds_since(scenario.start);
    let m = &pipeline.metrics;
    println!(
        "scenario done: {data_s:.0} s of data in {elapsed:.2} s wall ({:.0}× real time); {} inputs, {} malformed; alerts raised {}, updated {}, cleared {}; peak memory {:.0} MiB",
        data_s / elapsed.max(1e-9),
        m.counter_sum("picket_input_lines_total"),
        m.counter_sum("picket_input_malformed_total"),
        m.counter_value("picket_alert_events_total", &[("state", "raised")]).unwrap_or(0),
        m.counter_value("picket_alert_events_total", &[("state", "updated")]).unwrap_or(0),
        m.counter_value("picket_alert_events_total", &[("state", "cleared")]).unwrap_or(0),
        peak_memory_mib().unwrap_or(f64::NAN),
    );
    if let Some(task) = api {
        if !*shutdown.borrow() {
            println!("The console stays up with the final picture; press Ctrl-C to stop.");
        }
        let _ = stop.wait_for(|s| *s).await;
        let _ = task.await;
    }
    pipeline.join().await;
    Ok(())
}

fn site_model(site: &SiteConfig) -> SiteModel {
    SiteModel {
        name: site.name.clone(),
        frame: site.frame(),
        units: site.units.clone(),
        zones: site.zones.clone(),
        sensors: site
            .sensors
            .iter()
            .map(|s| SensorInfo {
                id: s.id.clone(),
                kind: s.kind.as_str().to_string(),
                position: s.position,
                silence_timeout_s: s.silence_timeout_s,
            })
            .collect(),
    }
}

fn pipeline_config(
    site: &SiteConfig,
    feed: Feed,
    alerts: Option<PathBuf>,
    tracks: Option<PathBuf>,
) -> Result<PipelineConfig> {
    let mut c = PipelineConfig::new(site_model(site), feed);
    let t = &site.tracker;
    let tc = &mut c.tracker;
    if let Some(v) = t.process_noise_accel_mps2 {
        tc.process_noise_accel_mps2 = v;
    }
    if let Some(v) = t.gate_chi2 {
        tc.gate_chi2 = v;
    }
    if let Some(v) = t.confirm_hits {
        tc.confirm_hits = v;
    }
    if let Some(v) = t.confirm_window {
        tc.confirm_window = v;
    }
    if let Some(v) = t.max_coast_tentative_s {
        tc.max_coast_tentative_s = v;
    }
    if let Some(v) = t.max_coast_confirmed_s {
        tc.max_coast_confirmed_s = v;
    }
    if let Some(v) = t.max_sigma_horizontal_m {
        tc.max_sigma_horizontal_m = v;
    }
    if let Some(v) = t.initial_speed_sigma_mps {
        tc.initial_speed_sigma_mps = v;
    }
    if let Some(v) = t.max_reported_misses {
        tc.max_reported_misses = v;
    }
    if let Some(v) = t.imm_turn_rate_deg_s {
        tc.imm_turn_rate_deg_s = v;
    }
    if let Some(v) = t.imm_turn_process_noise_accel_mps2 {
        tc.imm_turn_process_noise_accel_mps2 = v;
    }
    if let Some(v) = t.imm_switch_per_s {
        tc.imm_switch_per_s = v;
    }
    if let Some(v) = t.jpda {
        tc.jpda = v;
    }
    if let Some(v) = t.detection_probability {
        tc.detection_probability = v;
    }
    if let Some(v) = t.clutter_density_per_km2 {
        tc.clutter_density_per_km2 = v;
    }
    if let Some(v) = t.step_period_s {
        c.step_period_s = v;
    }
    if let Some(v) = t.reorder_window_s {
        c.reorder_window_s = v;
    }
    if let Some(v) = site.track_snapshot_interval_s {
        c.track_snapshot_interval_s = v;
    }
    c.sensor_models = site
        .sensors
        .iter()
        .filter(|s| !s.model.is_neutral())
        .map(|s| (s.id.clone(), s.model))
        .collect();
    let a = &site.assessment;
    let ac = &mut c.assess;
    ac.aircraft = site.aircraft.clone();
    if let Some(v) = a.horizon_s {
        ac.horizon_s = v;
    }
    if let Some(v) = a.caution_margin_m {
        ac.caution_margin_m = v;
    }
    if let Some(v) = a.warning_time_s {
        ac.warning_time_s = v;
    }
    if let Some(v) = a.imminent_time_s {
        ac.imminent_time_s = v;
    }
    if let Some(v) = a.raise_after {
        ac.raise_after = v;
    }
    if let Some(v) = a.clear_after_s {
        ac.clear_after_s = v;
    }
    if let Some(v) = a.max_raises_per_unit_per_minute {
        ac.max_raises_per_unit_per_minute = v;
    }
    let mut outs = Vec::new();
    for o in &site.outputs {
        outs.push(match o {
            OutputConfig::Jsonl { what, path } => match what {
                OutputWhat::Alerts => OutputSink::AlertsJsonl(path.clone()),
                OutputWhat::Tracks => OutputSink::TracksJsonl(path.clone()),
            },
            OutputConfig::Cot(cot) => OutputSink::Adapter(Arc::new(
                picket_outputs::TakOutput::new(cot.tak_output(site))
                    .with_context(|| format!("TAK output {}", cot.url))?,
            )),
            OutputConfig::Webhook(w) => {
                let c = w
                    .webhook_output(&site.store_path)
                    .with_context(|| format!("webhook output {}", w.shown_url()))?;
                OutputSink::Adapter(Arc::new(
                    picket_outputs::WebhookOutput::new(c)
                        .with_context(|| format!("webhook output {}", w.shown_url()))?,
                ))
            }
            OutputConfig::Mqtt(m) => OutputSink::Adapter(Arc::new(
                picket_outputs::MqttOutput::new(m.clone())
                    .with_context(|| format!("MQTT output mqtt://{}:{}", m.host, m.port))?,
            )),
            OutputConfig::Sapient { addr } => OutputSink::Adapter(Arc::new(
                picket_outputs::SapientParentOutput::new(sapient_parent(site, addr)),
            )),
        });
    }
    outs.extend(outputs(alerts, tracks));
    c.outputs = outs;
    Ok(c)
}

/// First start of a store: create the admin credential and print it once.
fn first_start_admin(store: &mut SqliteStore) -> Result<Option<String>> {
    if store.user_count().map_err(|e| anyhow::anyhow!("{e}"))? > 0 {
        return Ok(None);
    }
    let t = store
        .issue_token("admin", Role::Admin, &["*".to_string()])
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(t))
}

/// A stable UUID for this site's SAPIENT fusion node (sensors see the same node across restarts).
fn node_uuid(site: &SiteConfig, sensor: &SensorId) -> String {
    use sha2::Digest;
    let h =
        sha2::Sha256::digest(format!("picket-sapient-node\0{}\0{}", site.name, sensor).as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8: custom, name-based
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Picket as a child of the parent SAPIENT node at `addr`: one node id per site.
fn sapient_parent(site: &SiteConfig, addr: &str) -> picket_outputs::SapientParentConfig {
    picket_outputs::SapientParentConfig {
        addr: addr.to_owned(),
        node: picket_sapient::upstream::ChildNode {
            node_id: node_uuid(site, &SensorId("sapient-child".into())),
            name: site.name.clone(),
            status_interval_s: 10.0,
            location: Some(site.origin),
            software_version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        queue_capacity: 1024,
        track_period: std::time::Duration::from_secs(1),
    }
}

/// Officers' TAK SA in, mapped to the site's moving units.
fn tak_sa(site: &SiteConfig, source: picket_inputs::TakSaSource) -> picket_inputs::TakSaInput {
    picket_inputs::TakSaInput {
        source,
        units: site.tak_unit_mappings(),
        fallback_hae_m: site.origin.alt_hae_m,
        accept_acks_from_mesh: false,
    }
}

/// The Mode S receiver formats (Beast, AVR, SBS-1), read by one adapter over TCP or from a file.
fn modes_format(f: config::InputFormat) -> Option<picket_inputs::ModesFormat> {
    match f {
        config::InputFormat::Beast => Some(picket_inputs::ModesFormat::Beast),
        config::InputFormat::Avr => Some(picket_inputs::ModesFormat::Avr),
        config::InputFormat::Sbs => Some(picket_inputs::ModesFormat::Sbs),
        _ => None,
    }
}

fn modes_feed(f: config::InputFormat, source: picket_inputs::StreamSource) -> Source {
    Source::Adapter(Arc::new(picket_inputs::ModesFeed {
        format: modes_format(f).unwrap_or(picket_inputs::ModesFormat::Beast),
        source,
    }))
}

fn sources(site: &SiteConfig, tasking: &picket_pipeline::Tasking) -> Vec<(SensorId, Source)> {
    site.sensors
        .iter()
        .map(|s| {
            let src = match &s.source {
                config::Source::Udp(a) if s.format == config::InputFormat::Asterix => {
                    Source::Adapter(Arc::new(picket_inputs::AsterixUdp { listen: *a }))
                }
                config::Source::Udp(a) if s.format == config::InputFormat::Cot => {
                    let mut sa = tak_sa(site, picket_inputs::TakSaSource::Udp(*a));
                    sa.accept_acks_from_mesh = s.accept_acks_from_mesh;
                    Source::Adapter(Arc::new(sa))
                }
                config::Source::Udp(a) if s.format == config::InputFormat::RemoteId => {
                    Source::Adapter(Arc::new(picket_inputs::RemoteIdUdp { listen: *a }))
                }
                config::Source::Udp(a) => Source::Udp(*a),
                // Validation guarantees mqtt:// only for Remote ID.
                config::Source::Mqtt(m) => Source::Adapter(Arc::new(picket_inputs::RemoteIdMqtt {
                    subscription: m.clone(),
                    client_id: None,
                })),
                config::Source::Tcp(a) if modes_format(s.format).is_some() => {
                    modes_feed(s.format, picket_inputs::StreamSource::Tcp(a.clone()))
                }
                config::Source::File(p) if modes_format(s.format).is_some() => {
                    modes_feed(s.format, picket_inputs::StreamSource::File(p.clone()))
                }
                config::Source::Tcp(a) if s.format == config::InputFormat::Cot => Source::Adapter(
                    Arc::new(tak_sa(site, picket_inputs::TakSaSource::Tcp(a.clone()))),
                ),
                config::Source::Tcp(a) => Source::Tcp(a.clone()),
                // Validation guarantees tls:// only for TAK SA, with its files and a port.
                config::Source::Tls(a) => {
                    let (host, port) = a.rsplit_once(':').unwrap_or((a.as_str(), "8089"));
                    Source::Adapter(Arc::new(tak_sa(
                        site,
                        picket_inputs::TakSaSource::Tls {
                            host: host
                                .trim_start_matches('[')
                                .trim_end_matches(']')
                                .to_owned(),
                            port: port.parse().unwrap_or(8089),
                            files: s.tls.clone().unwrap_or(picket_inputs::TlsFiles {
                                ca: Default::default(),
                                cert: Default::default(),
                                key: Default::default(),
                            }),
                        },
                    )))
                }
                config::Source::File(p) if s.format == config::InputFormat::Asterix => {
                    Source::Adapter(Arc::new(picket_inputs::AsterixPcapFile { path: p.clone() }))
                }
                config::Source::File(p) => Source::File(p.clone()),
                // Validation guarantees tcp-listen only for SAPIENT.
                config::Source::TcpListen(a) => {
                    Source::Adapter(Arc::new(picket_inputs::SapientServer {
                        listen: *a,
                        node_id: node_uuid(site, &s.id),
                        tasking: Some(tasking.clone()),
                    }))
                }
            };
            (s.id.clone(), src)
        })
        .collect()
}

/// `picket run --config FILE`.
pub(crate) async fn run_site(
    site: SiteConfig,
    alerts: Option<PathBuf>,
    tracks: Option<PathBuf>,
) -> Result<()> {
    let mut store = open_store(&site.store_path)?;
    let admin = first_start_admin(&mut store)?;
    let tasking = picket_pipeline::Tasking::default();
    let mut config = pipeline_config(&site, Feed::Live(sources(&site, &tasking)), alerts, tracks)?;
    // A live site's outputs grow across restarts; tools tailing them lose nothing.
    config.append_outputs = true;
    let shutdown = shutdown_on_ctrl_c();
    let pipeline = picket_pipeline::start(config, Box::new(store), shutdown.clone())?;
    println!(
        "Picket running site `{}` ({} sensors, {} units)",
        site.name,
        site.sensors.len(),
        site.units.len()
    );
    let mut api = None;
    if let Some(a) = &site.api {
        let web_root = find_web_root(a.web_root.clone());
        let (addr, task) = serve_api(
            &pipeline,
            &site.store_path,
            a.listen,
            web_root,
            shutdown.clone(),
            tasking.clone(),
        )
        .await?;
        println!("API and console on http://{addr}/");
        if let Some(t) = &admin {
            println!(
                "First start: admin login link (shown once, only its hash is stored): {}",
                login_link(addr, t)
            );
        }
        api = Some(task);
    } else if let Some(t) = &admin {
        println!("First start: admin token (shown once, only its hash is stored): {t}");
    }
    let mut stop = shutdown.clone();
    let mut failed = pipeline.failed.clone();
    tokio::select! {
        _ = stop.wait_for(|s| *s) => {}
        _ = failed.wait_for(|f| *f) => {
            // Serving a frozen picture would be worse than stopping: let the supervisor
            // (systemd, the container runtime) restart Picket.
            bail!("a pipeline stage crashed (see the log); stopping so Picket can be restarted");
        }
    }
    if let Some(t) = api {
        let _ = t.await;
    }
    pipeline.join().await;
    Ok(())
}

/// Read every `file:` source of the site, decode each line's time, and merge by time.
fn load_replay(site: &SiteConfig) -> Result<Vec<PlaybackLine>> {
    let mut all: Vec<(Timestamp, usize, PlaybackLine)> = Vec::new();
    for s in &site.sensors {
        let config::Source::File(path) = &s.source else {
            bail!(
                "sensor `{}`: replay reads recorded files, but its source is `{}` (give it `source = \"file:PATH\"`)",
                s.id,
                s.source
            );
        };
        if s.format == config::InputFormat::Asterix {
            continue; // binary frames: `load_replay_frames`
        }
        if modes_format(s.format).is_some() {
            bail!(
                "sensor `{}`: replay merges recordings by their times; a {} recording carries \
                 no absolute time — read it with `picket run` (file: source) or `picket decode`",
                s.id,
                s.format.as_str()
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("sensor `{}`: cannot read {}", s.id, path.display()))?;
        let ctx = picket_obsjson::SensorContext {
            sensor_id: s.id.clone(),
            position: s.position,
        };
        let mut last = Timestamp::default();
        for line in text.lines() {
            // Malformed lines keep their place (they are counted when the pipeline decodes them).
            if let Ok(i) = picket_obsjson::decode_line(line, &ctx) {
                last = i.time();
            }
            let seq = all.len();
            all.push((
                last,
                seq,
                PlaybackLine {
                    sensor_id: s.id.clone(),
                    line: line.to_string(),
                },
            ));
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    Ok(all.into_iter().map(|(_, _, l)| l).collect())
}

/// The recorded binary frames of the site's `file:` sources that hold captures (ASTERIX pcaps),
/// in time order, and their decoders. Returns the number of frames.
fn load_replay_frames(site: &SiteConfig, config: &mut PipelineConfig) -> Result<usize> {
    let mut frames = Vec::new();
    for s in &site.sensors {
        let (config::Source::File(path), config::InputFormat::Asterix) = (&s.source, s.format)
        else {
            continue;
        };
        let bytes = std::fs::read(path)
            .with_context(|| format!("sensor `{}`: cannot read {}", s.id, path.display()))?;
        frames.extend(picket_inputs::pcap_frames(&s.id, &bytes).with_context(|| {
            format!(
                "sensor `{}`: {} is not an ASTERIX capture",
                s.id,
                path.display()
            )
        })?);
        config
            .frame_decoders
            .push((s.id.clone(), Arc::new(picket_inputs::AsterixPlayback)));
    }
    // Stable: frames of one sensor keep their capture order.
    frames.sort_by_key(|f| f.received);
    let n = frames.len();
    config.playback_frames.extend(frames);
    Ok(n)
}

/// `picket replay --config FILE`.
pub(crate) async fn replay(
    site: SiteConfig,
    speed: Speed,
    alerts: Option<PathBuf>,
    tracks: Option<PathBuf>,
    store: Option<PathBuf>,
) -> Result<()> {
    let lines = load_replay(&site)?;
    let n_lines = lines.len();
    let mut config = pipeline_config(
        &site,
        Feed::Playback {
            lines,
            pace: pace(speed),
        },
        alerts,
        tracks,
    )?;
    let n = n_lines + load_replay_frames(&site, &mut config)?;
    let store: Box<dyn Store> = match store {
        Some(p) => Box::new(open_store(&p)?),
        None => Box::new(SqliteStore::open_in_memory().map_err(|e| anyhow::anyhow!("{e}"))?),
    };
    let shutdown = shutdown_on_ctrl_c();
    let wall = Instant::now();
    let mut pipeline = picket_pipeline::start(config, store, shutdown.clone())?;
    let mut stop = shutdown.clone();
    tokio::select! {
        _ = pipeline.inputs_finished() => {}
        _ = stop.wait_for(|s| *s) => {}
    }
    let m = &pipeline.metrics;
    println!(
        "replay done: {n} lines in {:.2} s; {} malformed; {} observations fused; alerts raised {}",
        wall.elapsed().as_secs_f64(),
        m.counter_sum("picket_input_malformed_total"),
        m.counter_sum("picket_fusion_observations_total"),
        m.counter_value("picket_alert_events_total", &[("state", "raised")])
            .unwrap_or(0),
    );
    pipeline.join().await;
    Ok(())
}

/// `picket scenario --out DIR`.
pub(crate) fn write_scenario(out: &Path, seed: u64, start: Timestamp) -> Result<()> {
    let s = picket_sim::naco(start, seed);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for sensor in &s.sensors {
        let path = out.join(format!("{}.jsonl", sensor.id));
        let mut text = String::new();
        for f in s.feed.iter().filter(|f| f.sensor_id == sensor.id) {
            text.push_str(&f.line);
            text.push('\n');
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let truth: Vec<serde_json::Value> = s
        .truth
        .iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name,
                "kind": format!("{:?}", t.kind),
                "expect_alert_for": t.expect_alert_for,
                "samples": t.samples.iter().step_by(10).map(|x| serde_json::json!({
                    "time": x.time,
                    "position": s.frame.to_geo(&x.position_enu),
                    "velocity_enu_mps": x.velocity_enu_mps,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let path = out.join("truth.json");
    std::fs::write(&path, serde_json::to_string_pretty(&truth)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "wrote {} lines for {} sensors and the ground truth of {} objects to {}",
        s.feed.len(),
        s.sensors.len(),
        s.truth.len(),
        out.display()
    );
    Ok(())
}

/// `picket token --config FILE --user NAME`.
/// `picket token --config FILE --user NAME --revoke`.
pub(crate) fn revoke_user_tokens(site: &SiteConfig, user: &str) -> Result<()> {
    let mut store = open_store(&site.store_path)?;
    let n = store
        .revoke_tokens(user)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .audit(
            wall_now(),
            "cli",
            "revoke_tokens",
            &format!("user {user}: {n} tokens"),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("revoked {n} token(s) of `{user}`; open streams close within a minute");
    Ok(())
}

pub(crate) fn issue_user_token(site: &SiteConfig, user: &str) -> Result<()> {
    let Some(u) = site.users.iter().find(|u| u.name == user) else {
        let known: Vec<&str> = site.users.iter().map(|u| u.name.as_str()).collect();
        bail!(
            "no user `{user}` in {} (users: {}); add a [[user]] table first",
            site.file.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    };
    let mut store = open_store(&site.store_path)?;
    let t = store
        .issue_token(&u.name, u.role, &u.sectors)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{t}");
    eprintln!(
        "token for `{}` ({}; sectors {}) — shown once, only its hash is stored",
        u.name,
        u.role.as_str(),
        u.sectors.join(",")
    );
    Ok(())
}
