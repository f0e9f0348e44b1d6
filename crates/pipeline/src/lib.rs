//! The pipeline runtime: inputs → fusion → assessment → alerting → store and outputs, as
//! tasks joined by bounded channels (backpressure, never unbounded queues), with clean
//! shutdown and per-stage counters.
//!
//! Owns: the stage tasks, the store thread, the JSON-lines output sinks, the live picture
//! ([`LiveState`]) and the event stream the API serves. Not for: protocol details (codecs
//! decode), algorithms (fusion and assessment crates), the config file format (the binary).
//!
//! Time: in playback (demo, replay) fusion steps are driven by data time only, so a replay
//! gives exactly the live result; in live mode a watermark from the wall clock lets fusion
//! step when sensors are quiet.
#![deny(missing_docs)]

pub mod backoff;
mod inputs;
pub mod metrics;
pub mod operators;
mod stages;
pub mod state;
pub mod tasking;

pub use backoff::Backoff;
pub use inputs::{
    AdapterContext, FrameDecoder, FrameDecoderFactory, InputSink, LiveAdapter, Pace, PlaybackFrame,
    PlaybackLine, Source,
};
pub use metrics::Metrics;
pub use operators::{OperatorEntity, OperatorFix};
pub use picket_assess::AlertError;
pub use stages::{AckError, Acknowledger, Command, UnitAck};
pub use state::{Event, LiveState, SensorInfo, SharedState, SiteModel, TrackView, UnitView};
pub use tasking::{LookAt, TaskAck, TaskError, TaskRequest, Tasking};

/// The wall clock as a Picket [`picket_core::Timestamp`] (the Unix epoch if the clock is set
/// before it). The one wall-clock reader of the runtime crates: the pure crates take time as
/// an argument, and this is where adapters get it.
pub fn wall_now() -> picket_core::Timestamp {
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    picket_core::Timestamp::from_micros(us)
}

use picket_assess::AssessConfig;
use picket_fusion::TrackerConfig;
use picket_obsjson::SensorContext;
use picket_store::Store;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

/// Where a pipeline's data comes from.
#[derive(Clone, Debug)]
pub enum Feed {
    /// Live inputs, one per sensor.
    Live(Vec<(picket_core::SensorId, Source)>),
    /// A time-ordered recorded or simulated feed.
    Playback {
        /// The lines, in time order.
        lines: Vec<PlaybackLine>,
        /// How fast.
        pace: Pace,
    },
}

/// An output of the pipeline.
#[derive(Clone, Debug)]
pub enum OutputSink {
    /// Every alert lifecycle event, one JSON object per line (`docs/alerts.md`).
    AlertsJsonl(PathBuf),
    /// Every confirmed track update and deletion, one JSON object per line (`docs/tracks.md`).
    TracksJsonl(PathBuf),
    /// A protocol output from another crate (TAK / Cursor-on-Target, webhook, MQTT, ...).
    Adapter(Arc<dyn OutputAdapter>),
}

/// An output component of its own protocol. It receives every [`Event`] in order over a
/// bounded queue: alert events always (the alerting stage waits for room — they must not be
/// lost), other events only when there is room (a slow peer loses track updates, which the
/// next update supersedes, and never stalls alerting).
pub trait OutputAdapter: Send + Sync + std::fmt::Debug {
    /// Start the adapter's task; it ends when `events` closes (pipeline end) or at shutdown.
    fn spawn(&self, ctx: OutputContext) -> JoinHandle<()>;
}

/// What an [`OutputAdapter`] gets to work with.
pub struct OutputContext {
    /// The pipeline's events, in order.
    pub events: mpsc::Receiver<Arc<Event>>,
    /// The site (units with their callsigns and sectors, zones, sensors).
    pub site: SiteModel,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Turns true at shutdown.
    pub shutdown: watch::Receiver<bool>,
    /// For outputs that hear people answer (TAK chat): acknowledges alerts.
    pub acknowledger: Acknowledger,
}

/// Everything a pipeline needs.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// The site.
    pub site: SiteModel,
    /// Tracker settings.
    pub tracker: TrackerConfig,
    /// Noise floors, biases and latencies of sensors that have them (fusion corrects their
    /// reports before tracking).
    pub sensor_models: Vec<(picket_core::SensorId, picket_fusion::SensorModel)>,
    /// Assessment and alerting settings.
    pub assess: AssessConfig,
    /// The inputs.
    pub feed: Feed,
    /// File outputs.
    pub outputs: Vec<OutputSink>,
    /// Fusion steps this often in data time, seconds.
    pub step_period_s: f64,
    /// Live mode: hold data this long for late arrivals before stepping, seconds.
    pub reorder_window_s: f64,
    /// A shown track's snapshot goes to the store at most this often (data time), seconds;
    /// its first and its deletion always do. 0: every update. Observations are all stored,
    /// so the thinned estimates can be recomputed by replay; storing each step's estimate
    /// of every track cost more CPU than fusion at tens of thousands of reports a second.
    pub track_snapshot_interval_s: f64,
    /// Capacity of each bounded channel between stages.
    pub channel_capacity: usize,
    /// Append to JSON-lines output files instead of starting them afresh (live sites).
    pub append_outputs: bool,
    /// Playback only: recorded binary frames, merged with the lines by time.
    pub playback_frames: Vec<PlaybackFrame>,
    /// Playback only: the decoder of each sensor whose recording is binary frames.
    pub frame_decoders: Vec<(picket_core::SensorId, Arc<dyn FrameDecoderFactory>)>,
}

impl PipelineConfig {
    /// Defaults for everything but the site and the feed.
    pub fn new(site: SiteModel, feed: Feed) -> Self {
        PipelineConfig {
            site,
            tracker: TrackerConfig::default(),
            sensor_models: Vec::new(),
            assess: AssessConfig::default(),
            feed,
            outputs: Vec::new(),
            step_period_s: 0.5,
            reorder_window_s: 1.0,
            track_snapshot_interval_s: 1.0,
            channel_capacity: 1024,
            append_outputs: false,
            playback_frames: Vec::new(),
            frame_decoders: Vec::new(),
        }
    }
}

/// Why a pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An output file could not be created.
    #[error(
        "cannot create output `{path}`: {source} (check the directory exists and is writable)"
    )]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    Setting(String),
}

/// A running pipeline: handles for the API and for waiting on the end.
pub struct Pipeline {
    /// The live picture.
    pub state: SharedState,
    /// Commands to the alerting stage (acknowledgements).
    pub commands: mpsc::Sender<Command>,
    /// The live event stream.
    pub events: broadcast::Sender<Arc<Event>>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Turns true when a stage (fusion, assessment) died: nothing would be alerted any more,
    /// so the process should stop and be restarted rather than serve a frozen picture.
    pub failed: watch::Receiver<bool>,
    tasks: Vec<JoinHandle<()>>,
    store_thread: std::thread::JoinHandle<()>,
    inputs_done: watch::Receiver<bool>,
}

/// Run a stage; if it panics, log it, count it and raise the pipeline's `failed` flag.
fn supervise(
    stage: &'static str,
    task: impl std::future::Future<Output = ()> + Send + 'static,
    failed: Arc<watch::Sender<bool>>,
    metrics: Arc<Metrics>,
) -> JoinHandle<()> {
    let inner = tokio::spawn(task);
    tokio::spawn(async move {
        if let Err(e) = inner.await {
            if e.is_panic() {
                tracing::error!(
                    stage,
                    "pipeline stage crashed: nothing is assessed or alerted any more"
                );
                metrics
                    .gauge(
                        "picket_stage_failed",
                        "1 when a pipeline stage has crashed.",
                        &[("stage", stage)],
                    )
                    .set(1);
                let _ = failed.send(true);
            }
        }
    })
}

/// Like [`supervise`], for a stage that computes for milliseconds at a time (fusion): it
/// runs on a thread of its own, so the runtime's workers stay free for the rest (the
/// assessment stage waiting for a store reply, inputs, outputs) and the operating system,
/// not the order of tasks, shares the cores. Without it a step held a worker and the
/// warning path queued behind it.
fn supervise_on_thread(
    stage: &'static str,
    task: impl std::future::Future<Output = ()> + Send + 'static,
    failed: Arc<watch::Sender<bool>>,
    metrics: Arc<Metrics>,
) -> JoinHandle<()> {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<bool>();
    let spawned = std::thread::Builder::new()
        .name(format!("picket-{stage}"))
        .spawn(move || {
            let panicked = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(task)))
                        .is_err()
                }
                Err(e) => {
                    tracing::error!(stage, "cannot start the stage's runtime: {e}");
                    true
                }
            };
            let _ = done_tx.send(panicked);
        });
    if let Err(e) = spawned {
        tracing::error!(stage, "cannot start the stage's thread: {e}");
    }
    tokio::spawn(async move {
        // A dropped sender (no thread) counts as a crash too.
        if done_rx.await.unwrap_or(true) {
            tracing::error!(
                stage,
                "pipeline stage crashed: nothing is assessed or alerted any more"
            );
            metrics
                .gauge(
                    "picket_stage_failed",
                    "1 when a pipeline stage has crashed.",
                    &[("stage", stage)],
                )
                .set(1);
            let _ = failed.send(true);
        }
    })
}

impl Pipeline {
    /// Resolves when every input has ended and fusion and assessment have processed all of it
    /// (alerts stored and published). The pipeline keeps serving commands afterwards.
    pub async fn inputs_finished(&mut self) {
        let _ = self.inputs_done.wait_for(|d| *d).await;
    }
    /// Wait for every task to end (after shutdown, or after the inputs end when there is no
    /// command sender left), then for the store to flush.
    pub async fn join(self) {
        drop(self.commands);
        drop(self.events);
        for t in self.tasks {
            let _ = t.await;
        }
        let _ = tokio::task::spawn_blocking(move || self.store_thread.join()).await;
    }
}

/// Build and start a pipeline. `shutdown` turning true stops the inputs; the rest drains.
pub fn start(
    config: PipelineConfig,
    store: Box<dyn Store>,
    shutdown: watch::Receiver<bool>,
) -> Result<Pipeline, PipelineError> {
    if !(config.step_period_s > 0.0 && config.step_period_s <= 10.0) {
        return Err(PipelineError::Setting(format!(
            "step period {} s must be in (0, 10]",
            config.step_period_s
        )));
    }
    if !(config.track_snapshot_interval_s >= 0.0 && config.track_snapshot_interval_s <= 3600.0) {
        return Err(PipelineError::Setting(format!(
            "track snapshot interval {} s must be in [0, 3600]",
            config.track_snapshot_interval_s
        )));
    }
    let speed = match &config.feed {
        Feed::Playback {
            pace: Pace::Speed(s),
            ..
        } => *s,
        Feed::Playback {
            pace: Pace::Max, ..
        } => 0.0,
        Feed::Live(_) => 1.0,
    };
    let metrics = Arc::new(Metrics::default());
    let state: SharedState = Arc::new(RwLock::new(LiveState::new(config.site.clone(), speed)));
    let (events, _) = broadcast::channel::<Arc<Event>>(4096);
    let cap = config.channel_capacity.max(1);
    let (ingest_tx, ingest_rx) = mpsc::channel(cap);
    let (step_tx, step_rx) = mpsc::channel(cap);
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (inputs_done_tx, inputs_done_rx) = watch::channel(false);
    let (store_tx, store_thread) = stages::spawn_store(store, cap, metrics.clone());
    let (sinks, sink_tasks) = stages::open_sinks(
        &config.outputs,
        cap,
        metrics.clone(),
        &config.site,
        &shutdown,
        config.append_outputs,
        &Acknowledger::new(&cmd_tx),
    )?;

    let position = |id: &picket_core::SensorId| {
        config
            .site
            .sensors
            .iter()
            .find(|s| &s.id == id)
            .and_then(|s| s.position)
    };
    let sink = |id: &picket_core::SensorId| {
        inputs::InputSink::new(
            ingest_tx.clone(),
            id.clone(),
            state.clone(),
            metrics.clone(),
            events.clone(),
        )
        .with_acknowledger(Acknowledger::new(&cmd_tx))
    };
    let decoder = |id: &picket_core::SensorId| {
        inputs::LineDecoder::new(
            SensorContext {
                sensor_id: id.clone(),
                position: position(id),
            },
            sink(id),
        )
    };
    let mut tasks = Vec::new();
    let live = matches!(config.feed, Feed::Live(_));
    match &config.feed {
        Feed::Live(list) => {
            for (id, source) in list {
                if let Source::Adapter(adapter) = source {
                    tasks.push(adapter.spawn(AdapterContext {
                        sink: sink(id),
                        position: position(id),
                        shutdown: shutdown.clone(),
                    }));
                    continue;
                }
                tasks.push(tokio::spawn(inputs::run_live(
                    decoder(id),
                    source.clone(),
                    ingest_tx.clone(),
                    shutdown.clone(),
                    events.clone(),
                )));
            }
            tasks.push(tokio::spawn(stages::watermark(
                ingest_tx.clone(),
                config.reorder_window_s,
                shutdown.clone(),
            )));
            tasks.push(tokio::spawn(stages::watchdog(
                config.site.sensors.clone(),
                state.clone(),
                events.clone(),
                metrics.clone(),
                shutdown.clone(),
            )));
        }
        Feed::Playback { lines, pace } => {
            let decoders = config.site.sensors.iter().map(|s| decoder(&s.id)).collect();
            let frame_decoders = config
                .frame_decoders
                .iter()
                .filter_map(|(id, factory)| {
                    let info = config.site.sensors.iter().find(|s| &s.id == id)?;
                    Some((id.clone(), factory.make(info), sink(id)))
                })
                .collect();
            tasks.push(tokio::spawn(inputs::run_playback(
                decoders,
                lines.clone(),
                config.playback_frames.clone(),
                frame_decoders,
                *pace,
                ingest_tx.clone(),
                shutdown.clone(),
            )));
        }
    }
    drop(ingest_tx);
    let fusion = stages::FusionStage::new(
        &config,
        live,
        if live { config.reorder_window_s } else { 0.0 },
        metrics.clone(),
    );
    let (failed_tx, failed_rx) = watch::channel(false);
    let failed_tx = Arc::new(failed_tx);
    tasks.push(supervise_on_thread(
        "fusion",
        fusion.run(ingest_rx, step_tx, store_tx.clone()),
        failed_tx.clone(),
        metrics.clone(),
    ));
    let assess = stages::AssessStage::new(
        &config,
        state.clone(),
        events.clone(),
        store_tx,
        sinks,
        metrics.clone(),
        inputs_done_tx,
    );
    tasks.push(supervise(
        "assessment",
        assess.run(step_rx, cmd_rx),
        failed_tx,
        metrics.clone(),
    ));
    // Sinks end after the assessment stage drops their senders; join them last.
    tasks.extend(sink_tasks);
    Ok(Pipeline {
        state,
        commands: cmd_tx,
        events,
        metrics,
        failed: failed_rx,
        tasks,
        store_thread,
        inputs_done: inputs_done_rx,
    })
}
