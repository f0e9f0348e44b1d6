//! The stages: fusion, assessment + alerting, the store thread, output sinks, and the live-mode
//! watermark and sensor watchdog.

use crate::inputs::IngestMsg;
use crate::metrics::{Counter, Gauge, Metrics};
use crate::state::{Event, SensorInfo, SharedState, TrackView, UnitView};
use crate::{wall_now, OutputSink, PipelineConfig, PipelineError};
use picket_assess::{AlertError, AlertManager, Assessor};
use picket_core::{
    AlertEvent, AlertId, Input, Observation, TargetClass, Timestamp, Track, TrackId, TrackStatus,
    UnitPosition,
};
use picket_fusion::Tracker;
use picket_remoteid::crosscheck::{CrossCheck, CrossCheckStats};
use picket_store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// A command to the alerting stage.
#[derive(Debug)]
pub enum Command {
    /// A person acknowledges an alert.
    Acknowledge {
        /// The alert.
        alert_id: AlertId,
        /// Who.
        by: String,
        /// The stored Acknowledged event, or why not.
        reply: oneshot::Sender<Result<AlertEvent, AckError>>,
    },
    /// A person acknowledges from a device of a unit (e.g. a TAK GeoChat reply): the unit's
    /// active alerts not yet acknowledged, each stored, announced and audited.
    AcknowledgeUnit(UnitAck, oneshot::Sender<Result<Vec<AlertEvent>, AckError>>),
}

/// An acknowledgement that came from a unit's device rather than through the API.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitAck {
    /// The unit the device belongs to.
    pub unit_id: picket_core::UnitId,
    /// Only this alert (it must be the unit's); all the unit's unacknowledged ones when None.
    pub alert_id: Option<AlertId>,
    /// Who, as recorded in the alert (e.g. `PATROL7 (TAK ANDROID-P7)`).
    pub by: String,
    /// How it came, for the audit log (e.g. `TAK server chat from ANDROID-P7`).
    pub via: String,
    /// When the device says it sent the acknowledgement (the CoT event's `time`), if known.
    /// Nobody acknowledges an alert before it was raised: a named alert raised later is
    /// refused ([`AckError::BeforeRaised`]) and, without a named alert, the unit's alerts
    /// raised later are left alone — a replay (alert ids restart in every run) acknowledges
    /// nothing of today's.
    pub sent: Option<Timestamp>,
}

/// Lets an adapter acknowledge alerts for a person its protocol identifies (the same path
/// as the API's acknowledgements: stored, announced, audited).
#[derive(Clone, Debug)]
pub struct Acknowledger {
    // Weak: an adapter holding it must not keep the alerting stage alive (it ends when the
    // pipeline's own command senders are gone, and the adapters end after it).
    commands: mpsc::WeakSender<Command>,
}

impl Acknowledger {
    /// An acknowledger sending to `commands` (the pipeline's command queue).
    pub fn new(commands: &mpsc::Sender<Command>) -> Self {
        Acknowledger {
            commands: commands.downgrade(),
        }
    }
    /// Acknowledges; the stored Acknowledged events (empty: nothing was left to acknowledge).
    pub async fn acknowledge_unit(&self, ack: UnitAck) -> Result<Vec<AlertEvent>, AckError> {
        let (tx, rx) = oneshot::channel();
        let commands = self.commands.upgrade().ok_or(AckError::Stopped)?;
        commands
            .send(Command::AcknowledgeUnit(ack, tx))
            .await
            .map_err(|_| AckError::Stopped)?;
        rx.await.map_err(|_| AckError::Stopped)?
    }
}

/// Why an acknowledgement did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// Refused by the alert lifecycle.
    #[error(transparent)]
    Refused(#[from] AlertError),
    /// The acknowledgement was sent before the alert was raised (a replay, or about an
    /// earlier alert with the same id).
    #[error(
        "acknowledgement of {alert_id} sent at {sent}, before the alert was raised at {raised}"
    )]
    BeforeRaised {
        /// The alert named.
        alert_id: AlertId,
        /// When the device says it sent the acknowledgement.
        sent: Timestamp,
        /// When the alert was raised.
        raised: Timestamp,
    },
    /// The store could not record it; it was not announced.
    #[error("the acknowledgement could not be stored: {0}")]
    NotStored(String),
    /// The pipeline is shutting down.
    #[error("the pipeline is shutting down")]
    Stopped,
}

// ---------------------------------------------------------------- store thread

pub(crate) enum StoreCmd {
    Inputs(Vec<Input>),
    Tracks(Vec<Track>),
    Alert(Box<AlertEvent>, oneshot::Sender<Result<(), String>>),
    /// A step's alert events, written in order; after a refusal the rest are not written
    /// (their results say so), as a later one may depend on the refused one.
    Alerts(Vec<AlertEvent>, oneshot::Sender<Vec<Result<(), String>>>),
    Audit {
        who: String,
        action: &'static str,
        detail: String,
    },
    /// Something waits in the urgent lane.
    Wake,
}

/// The way to the store thread: bulk records (observations, tracks) through a bounded
/// channel, alert events and audit entries through an urgent lane the thread serves before
/// each bulk batch (and between its chunks) — an alert must not wait behind seconds of
/// observations still to be written. The lane is bounded too ([`URGENT_LANE`]): when the
/// store stalls, producers wait for room rather than drop what must not be lost.
#[derive(Clone)]
pub(crate) struct StoreTx {
    bulk: mpsc::Sender<StoreCmd>,
    urgent: mpsc::Sender<StoreCmd>,
}

/// Alert events and audit entries waiting for the store thread, at most.
pub(crate) const URGENT_LANE: usize = 256;

impl StoreTx {
    /// Queues `cmd`; waits while its lane is full (backpressure: nothing is dropped). Err when
    /// the store thread has ended.
    pub(crate) async fn send(&self, cmd: StoreCmd) -> Result<(), ()> {
        match cmd {
            StoreCmd::Alert(..) | StoreCmd::Alerts(..) | StoreCmd::Audit { .. } => {
                self.urgent.send(cmd).await.map_err(|_| ())?;
                // Full: the thread is busy and serves the lane before its next batch.
                let _ = self.bulk.try_send(StoreCmd::Wake);
                Ok(())
            }
            bulk => self.bulk.send(bulk).await.map_err(|_| ()),
        }
    }
}

/// Observations written per store call: between two, waiting alerts go first.
const STORE_CHUNK: usize = 128;

/// The store lives on its own thread (SQLite is blocking); a bounded channel feeds it.
pub(crate) fn spawn_store(
    mut store: Box<dyn Store>,
    cap: usize,
    metrics: Arc<Metrics>,
) -> (StoreTx, std::thread::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<StoreCmd>(cap);
    let (urgent, mut lane) = mpsc::channel::<StoreCmd>(URGENT_LANE);
    let written = metrics.counter(
        "picket_store_records_total",
        "Records written to the store.",
        &[],
    );
    let errors = metrics.counter(
        "picket_store_errors_total",
        "Store writes that failed.",
        &[],
    );
    let handle = std::thread::Builder::new()
        .name("picket-store".into())
        .spawn(move || {
            let record = |n: usize, r: Result<(), picket_store::StoreError>| match r {
                Ok(()) => written.add(n as u64),
                Err(e) => {
                    errors.inc();
                    tracing::error!("store write failed: {e}");
                }
            };
            let alert = |ev: &AlertEvent,
                         reply: oneshot::Sender<Result<(), String>>,
                         store: &mut Box<dyn Store>| {
                let r = store.append_alert_event(ev);
                let _ = reply.send(r.as_ref().map(|_| ()).map_err(|e| e.to_string()));
                record(1, r);
            };
            let alerts = |evs: &[AlertEvent],
                          reply: oneshot::Sender<Vec<Result<(), String>>>,
                          store: &mut Box<dyn Store>| {
                let out: Vec<Result<(), String>> = match store.append_alert_events(evs) {
                    Ok(()) => {
                        record(evs.len(), Ok(()));
                        evs.iter().map(|_| Ok(())).collect()
                    }
                    Err((stored, e)) => {
                        let why = e.to_string();
                        record(stored, Ok(()));
                        record(1, Err(e));
                        (0..evs.len())
                            .map(|i| match i.cmp(&stored) {
                                std::cmp::Ordering::Less => Ok(()),
                                std::cmp::Ordering::Equal => Err(why.clone()),
                                std::cmp::Ordering::Greater => {
                                    Err("not written: an earlier alert event was refused".into())
                                }
                            })
                            .collect()
                    }
                };
                let _ = reply.send(out);
            };
            type Lane = mpsc::Receiver<StoreCmd>;
            let urgent_first = |store: &mut Box<dyn Store>, lane: &mut Lane| loop {
                match lane.try_recv().ok() {
                    Some(StoreCmd::Alert(ev, reply)) => alert(&ev, reply, store),
                    Some(StoreCmd::Alerts(evs, reply)) => alerts(&evs, reply, store),
                    Some(StoreCmd::Audit {
                        who,
                        action,
                        detail,
                    }) => record(1, store.audit(wall_now(), &who, action, &detail)),
                    // Only alerts and audit entries take the lane.
                    Some(_) => {}
                    None => return,
                }
            };
            let write = |cmd: StoreCmd, store: &mut Box<dyn Store>, lane: &mut Lane| {
                let (n, r) = match cmd {
                    StoreCmd::Inputs(v) => {
                        // Observations in chunks; waiting alerts go between them.
                        for chunk in v.chunks(STORE_CHUNK) {
                            urgent_first(store, lane);
                            record(chunk.len(), store.append_inputs(chunk));
                        }
                        (0, Ok(()))
                    }
                    StoreCmd::Tracks(v) => (v.len(), store.append_tracks(&v)),
                    StoreCmd::Alert(ev, reply) => {
                        alert(&ev, reply, store);
                        (0, Ok(()))
                    }
                    StoreCmd::Alerts(evs, reply) => {
                        alerts(&evs, reply, store);
                        (0, Ok(()))
                    }
                    StoreCmd::Audit {
                        who,
                        action,
                        detail,
                    } => (1, store.audit(wall_now(), &who, action, &detail)),
                    StoreCmd::Wake => (0, Ok(())),
                };
                record(n, r);
            };
            loop {
                urgent_first(&mut store, &mut lane);
                let Some(cmd) = rx.blocking_recv() else {
                    urgent_first(&mut store, &mut lane);
                    return;
                };
                write(cmd, &mut store, &mut lane);
            }
        })
        .expect("spawning a thread at start-up");
    (StoreTx { bulk: tx, urgent }, handle)
}

// ---------------------------------------------------------------- output sinks

pub(crate) struct Sinks {
    alerts: Vec<mpsc::Sender<String>>,
    tracks: Vec<mpsc::Sender<String>>,
    adapters: Vec<mpsc::Sender<Arc<Event>>>,
    dropped: Counter,
}

/// Create the output files now (so a bad path fails at start) and a writer task for each.
pub(crate) fn open_sinks(
    outputs: &[OutputSink],
    cap: usize,
    metrics: Arc<Metrics>,
    site: &crate::SiteModel,
    shutdown: &watch::Receiver<bool>,
    append: bool,
    acknowledger: &Acknowledger,
) -> Result<(Sinks, Vec<JoinHandle<()>>), PipelineError> {
    let mut sinks = Sinks {
        alerts: vec![],
        tracks: vec![],
        adapters: vec![],
        dropped: metrics.counter(
            "picket_output_events_dropped_total",
            "Non-alert events an output adapter had no room for.",
            &[],
        ),
    };
    let mut tasks = vec![];
    for o in outputs {
        let (path, list, what) = match o {
            OutputSink::AlertsJsonl(p) => (p, &mut sinks.alerts, "alerts"),
            OutputSink::TracksJsonl(p) => (p, &mut sinks.tracks, "tracks"),
            OutputSink::Adapter(a) => {
                let (tx, rx) = mpsc::channel(cap.max(256));
                sinks.adapters.push(tx);
                tasks.push(a.spawn(crate::OutputContext {
                    events: rx,
                    site: site.clone(),
                    metrics: metrics.clone(),
                    shutdown: shutdown.clone(),
                    acknowledger: acknowledger.clone(),
                }));
                continue;
            }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| PipelineError::Output {
                path: path.clone(),
                source,
            })?;
        }
        // A live site keeps adding to its files across restarts; a demo or replay starts fresh.
        let file = if append {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        } else {
            std::fs::File::create(path)
        };
        let file = file.map_err(|source| PipelineError::Output {
            path: path.clone(),
            source,
        })?;
        let (tx, mut rx) = mpsc::channel::<String>(cap);
        list.push(tx);
        let lines = metrics.counter(
            "picket_output_lines_total",
            "Lines written to JSON-lines outputs.",
            &[("output", what)],
        );
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut w = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
            while let Some(line) = rx.recv().await {
                let mut batch = vec![line];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                for l in &batch {
                    if let Err(e) = w.write_all(l.as_bytes()).await {
                        tracing::error!(path = %path.display(), "cannot write output: {e}");
                    }
                    let _ = w.write_all(b"\n").await;
                }
                lines.add(batch.len() as u64);
                let _ = w.flush().await;
            }
            let _ = w.flush().await;
            let _ = w.get_mut().sync_all().await;
        }));
    }
    Ok((sinks, tasks))
}

// ---------------------------------------------------------------- fusion stage

/// Live inputs stamped further ahead of the wall clock than this are dropped.
const MAX_FUTURE_S: f64 = 5.0;

pub(crate) struct StepMsg {
    now: Timestamp,
    tracks: Vec<Track>,
    unit_positions: Vec<UnitPosition>,
    /// The step's observations that carry an operator position or take-off point.
    operator_obs: Vec<Observation>,
    last: bool,
}

pub(crate) struct FusionStage {
    tracker: Tracker,
    /// Remote ID receivers' disagreement with claimed positions, judged on each step's
    /// observations before the tracker sees them (see `picket_remoteid::crosscheck`).
    crosscheck: CrossCheck,
    crosscheck_seen: CrossCheckStats,
    crosscheck_pairs: Counter,
    crosscheck_disagreements: Counter,
    step_us: i64,
    reorder_us: i64,
    live: bool,
    future: Counter,
    buffer: Vec<Input>,
    next_boundary: Option<i64>,
    max_seen: Option<Timestamp>,
    last_step: Option<Timestamp>,
    steps: Counter,
    late: Counter,
    observations: Counter,
    confirmed: Counter,
    queue: Gauge,
}

impl FusionStage {
    pub(crate) fn new(
        config: &PipelineConfig,
        live: bool,
        reorder_s: f64,
        metrics: Arc<Metrics>,
    ) -> Self {
        let c = |n: &str, h: &str| metrics.counter(n, h, &[("stage", "fusion")]);
        let mut tracker = Tracker::new(config.site.frame, config.tracker);
        for (sensor, model) in &config.sensor_models {
            // The config loader checked the values; an invalid model leaves the sensor's
            // reports as they come.
            let _ = tracker.set_sensor_model(sensor.clone(), *model);
        }
        let mut crosscheck = CrossCheck::new();
        for s in &config.site.sensors {
            if let (true, Some(p)) = (s.kind == "remote_id", s.position) {
                crosscheck.set_receiver(s.id.clone(), p);
            }
        }
        FusionStage {
            tracker,
            crosscheck,
            crosscheck_seen: CrossCheckStats::default(),
            crosscheck_pairs: metrics.counter(
                "picket_remoteid_crosscheck_pairs_total",
                "Remote ID reports of one UAS ID from two receivers whose RSSIs were compared.",
                &[],
            ),
            crosscheck_disagreements: metrics.counter(
                "picket_remoteid_crosscheck_disagreements_total",
                "Receiver-pair comparisons that disagreed with the claimed position.",
                &[],
            ),
            step_us: (config.step_period_s * 1e6).round() as i64,
            reorder_us: (reorder_s * 1e6).round() as i64,
            live,
            future: c(
                "picket_fusion_future_inputs_total",
                "Live inputs dropped because their time lies more than 5 s in the future.",
            ),
            buffer: Vec::new(),
            next_boundary: None,
            max_seen: None,
            last_step: None,
            steps: c("picket_fusion_steps_total", "Fusion steps run."),
            late: c(
                "picket_fusion_late_inputs_total",
                "Inputs older than the last fusion step when they arrived.",
            ),
            observations: c(
                "picket_fusion_observations_total",
                "Observations handed to the tracker.",
            ),
            confirmed: c(
                "picket_fusion_track_updates_total",
                "Confirmed track updates published.",
            ),
            queue: metrics.gauge(
                "picket_queue_depth",
                "Messages waiting in a stage's input channel.",
                &[("stage", "fusion")],
            ),
        }
    }

    fn aligned_after(&self, t_us: i64) -> i64 {
        t_us.div_euclid(self.step_us) * self.step_us + self.step_us
    }

    /// Run fusion for every buffered input older than `now`.
    fn flush(&mut self, now: Timestamp, last: bool) -> (StepMsg, Vec<Input>) {
        // Stable sort: same-time inputs keep arrival order, which playback makes deterministic.
        self.buffer.sort_by_key(|i| i.time());
        let split = self.buffer.partition_point(|i| i.time() < now);
        let split = if last { self.buffer.len() } else { split };
        let mut batch: Vec<Input> = self.buffer.drain(..split).collect();
        // In time order, so each report pairs with the other receivers' latest ones; the
        // finding is stored with the observation too.
        for i in &mut batch {
            if let Input::Observation(o) = i {
                self.crosscheck.observe(o);
            }
        }
        let cc = self.crosscheck.stats();
        self.crosscheck_pairs
            .add(cc.pairs.saturating_sub(self.crosscheck_seen.pairs));
        self.crosscheck_disagreements.add(
            cc.disagreements
                .saturating_sub(self.crosscheck_seen.disagreements),
        );
        self.crosscheck_seen = cc;
        // Moved, not copied: at tens of thousands of reports a second the copies (and their
        // allocations) cost more than a fifth of the step.
        let mut obs: Vec<Observation> = Vec::with_capacity(batch.len());
        let mut units = Vec::new();
        for i in batch {
            match i {
                Input::Observation(o) => obs.push(o),
                Input::UnitPosition(u) => units.push(u),
            }
        }
        self.observations.add(obs.len() as u64);
        let operator_obs = obs
            .iter()
            .filter(|o| crate::operators::operator_report(o).is_some())
            .cloned()
            .collect();
        let tracks = self.tracker.step(&obs, now);
        self.steps.inc();
        self.last_step = Some(now);
        // The same inputs for the store, each in time order (rows are read back by time).
        let batch: Vec<Input> = obs
            .into_iter()
            .map(Input::Observation)
            .chain(units.iter().cloned().map(Input::UnitPosition))
            .collect();
        (
            StepMsg {
                now,
                tracks,
                unit_positions: units,
                operator_obs,
                last,
            },
            batch,
        )
    }

    /// Steps due now that data up to `watermark` may be processed.
    fn advance(&mut self, watermark: Timestamp) -> Vec<(StepMsg, Vec<Input>)> {
        let mut out = Vec::new();
        let Some(mut b) = self.next_boundary else {
            return out;
        };
        let mut empty_run = 0;
        while watermark.as_micros() >= b {
            let earliest = self.buffer.iter().map(|i| i.time().as_micros()).min();
            if earliest.is_none_or(|e| e >= b) {
                empty_run += 1;
                // Across a long gap in the data, jump instead of stepping through it.
                if empty_run > 4 {
                    let target = earliest
                        .unwrap_or(watermark.as_micros())
                        .min(watermark.as_micros());
                    let jump = target.div_euclid(self.step_us) * self.step_us;
                    if jump > b {
                        b = jump;
                        continue;
                    }
                }
            } else {
                empty_run = 0;
            }
            out.push(self.flush(Timestamp::from_micros(b), false));
            b += self.step_us;
        }
        self.next_boundary = Some(b);
        out
    }

    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::Receiver<IngestMsg>,
        tx: mpsc::Sender<StepMsg>,
        store: StoreTx,
    ) {
        while let Some(msg) = rx.recv().await {
            self.queue.set((rx.max_capacity() - rx.capacity()) as u64);
            let watermark = match msg {
                IngestMsg::Input(input) => {
                    let t = input.time();
                    // Live: a time of validity in the future is a bad clock or a lie; it must
                    // not drag fusion's clock ahead of the world (and coast out every track).
                    if self.live {
                        let limit = wall_now().plus_secs_f64(MAX_FUTURE_S);
                        if t > limit {
                            self.future.inc();
                            continue;
                        }
                    }
                    if self.last_step.is_some_and(|s| t < s) {
                        self.late.inc();
                    }
                    if self.next_boundary.is_none() {
                        self.next_boundary = Some(self.aligned_after(t.as_micros()));
                    }
                    if self.max_seen.is_none_or(|m| t > m) {
                        self.max_seen = Some(t);
                    }
                    self.buffer.push(input);
                    // Data may be processed up to the newest time seen, less the reorder window;
                    // live, never beyond the wall clock.
                    let newest = self.max_seen.unwrap_or(t);
                    let newest = if self.live {
                        newest.min(wall_now())
                    } else {
                        newest
                    };
                    Timestamp::from_micros(newest.as_micros() - self.reorder_us)
                }
                IngestMsg::Watermark(w) => w,
            };
            for (step, batch) in self.advance(watermark) {
                self.confirmed.add(
                    step.tracks
                        .iter()
                        .filter(|t| t.status == TrackStatus::Confirmed)
                        .count() as u64,
                );
                // The step goes on to assessment first: the warning path must not wait for
                // the store to take the step's observations (it still gets all of them).
                if tx.send(step).await.is_err() {
                    return;
                }
                if !batch.is_empty() && store.send(StoreCmd::Inputs(batch)).await.is_err() {
                    return;
                }
            }
        }
        // Inputs ended: process what is left and say so.
        let now = match (self.max_seen, self.next_boundary) {
            (Some(m), Some(b)) => m.max(Timestamp::from_micros(b - self.step_us)),
            (Some(m), None) => m,
            _ => self.last_step.unwrap_or_default(),
        };
        let now = now.plus_secs_f64(1e-6);
        let (step, batch) = self.flush(now, true);
        if !batch.is_empty() {
            let _ = store.send(StoreCmd::Inputs(batch)).await;
        }
        let _ = tx.send(step).await;
    }
}

// ---------------------------------------------------------------- assessment + alerting stage

/// A step's alert events on their way into the store, and the store's answer to come.
type StoringAlerts = (Vec<AlertEvent>, oneshot::Receiver<Vec<Result<(), String>>>);

/// Cleared alerts are kept in the live picture this long (data time), seconds.
const CLEARED_RETENTION_S: f64 = 3_600.0;

pub(crate) struct AssessStage {
    assessor: Assessor,
    alerts: AlertManager,
    state: SharedState,
    events: broadcast::Sender<Arc<Event>>,
    store: StoreTx,
    sinks: Sinks,
    live: BTreeSet<TrackId>,
    shown: BTreeMap<TrackId, (TargetClass, bool)>,
    /// When each shown track's snapshot last went to the store (data time).
    stored_at: std::collections::HashMap<TrackId, Timestamp>,
    /// Shown tracks' newest estimates not stored yet (thinned), stored when the inputs end.
    unstored: std::collections::HashMap<TrackId, Track>,
    snapshot_interval_s: f64,
    now: Option<Timestamp>,
    speed: f64,
    inputs_done: watch::Sender<bool>,
    alert_counters: BTreeMap<&'static str, Counter>,
    store_refusals: Counter,
    unit_steps: u64,
    metrics: Arc<Metrics>,
    mean_ack: Gauge,
    operators: crate::operators::OperatorBook,
}

impl AssessStage {
    pub(crate) fn new(
        config: &PipelineConfig,
        state: SharedState,
        events: broadcast::Sender<Arc<Event>>,
        store: StoreTx,
        sinks: Sinks,
        metrics: Arc<Metrics>,
        inputs_done: watch::Sender<bool>,
    ) -> Self {
        let site = picket_assess::Site {
            frame: config.site.frame,
            units: config.site.units.clone(),
            zones: config.site.zones.clone(),
        };
        let speed = state.read().map(|s| s.speed).unwrap_or(1.0);
        let alert_counters = ["raised", "updated", "acknowledged", "cleared"]
            .into_iter()
            .map(|s| {
                (
                    s,
                    metrics.counter(
                        "picket_alert_events_total",
                        "Alert lifecycle events announced (stored first).",
                        &[("state", s)],
                    ),
                )
            })
            .collect();
        AssessStage {
            assessor: Assessor::new(site, config.assess.clone()),
            alerts: AlertManager::new(config.assess.clone()),
            state,
            events,
            store,
            sinks,
            live: BTreeSet::new(),
            shown: BTreeMap::new(),
            stored_at: std::collections::HashMap::new(),
            unstored: std::collections::HashMap::new(),
            snapshot_interval_s: config.track_snapshot_interval_s,
            now: None,
            speed,
            inputs_done,
            alert_counters,
            mean_ack: metrics.gauge(
                "picket_alert_mean_time_to_acknowledge_ms",
                "Mean time from raising an alert to its acknowledgement, milliseconds.",
                &[],
            ),
            metrics: metrics.clone(),
            store_refusals: metrics.counter(
                "picket_alerts_not_stored_total",
                "Alert events that could not be stored and so were not announced.",
                &[],
            ),
            unit_steps: 0,
            operators: Default::default(),
        }
    }

    fn publish(&self, e: Event) {
        let e = Arc::new(e);
        for a in &self.sinks.adapters {
            if a.try_send(e.clone()).is_err() {
                self.sinks.dropped.inc();
            }
        }
        // No subscriber is fine: nobody is watching.
        let _ = self.events.send(e);
    }

    /// Store an alert event durably, then announce it. Not stored → not announced.
    async fn announce(&mut self, ev: AlertEvent) -> Result<AlertEvent, AckError> {
        let (tx, rx) = oneshot::channel();
        if self
            .store
            .send(StoreCmd::Alert(Box::new(ev.clone()), tx))
            .await
            .is_err()
        {
            return Err(AckError::Stopped);
        }
        match rx.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.store_refusals.inc();
                tracing::error!(alert = %ev.alert_id, "alert event not stored, not announced: {e}");
                return Err(AckError::NotStored(e));
            }
            Err(_) => return Err(AckError::Stopped),
        }
        Ok(self.announce_stored(ev).await)
    }

    /// A step's alert events: stored in one round trip to the store thread (one at a time,
    /// each waited for, they queued behind its bulk writes in turn), then each announced.
    /// One the store refused is reverted; the ones after it were not written and go one
    /// by one, if still pending.
    async fn announce_step(&mut self, storing: Option<StoringAlerts>) {
        let Some((events, rx)) = storing else {
            return;
        };
        let Ok(results) = rx.await else {
            return;
        };
        let mut refused = false;
        for (ev, r) in events.into_iter().zip(results) {
            if refused {
                // An update of an alert whose raise was just refused: not to be stored.
                if self.alerts.is_pending(&ev) && self.announce(ev.clone()).await.is_err() {
                    self.alerts.revert(&ev);
                }
                continue;
            }
            match r {
                Ok(()) => {
                    self.announce_stored(ev).await;
                }
                Err(e) => {
                    refused = true;
                    self.store_refusals.inc();
                    tracing::error!(alert = %ev.alert_id, "alert event not stored, not announced: {e}");
                    // Not stored, so it did not happen: a later step decides it again.
                    self.alerts.revert(&ev);
                }
            }
        }
    }

    /// Hands a step's alert events to the store thread, which writes them while the step's
    /// tracks are published; [`Self::announce_step`] then waits for the write.
    async fn store_step_alerts(&mut self, events: Vec<AlertEvent>) -> Option<StoringAlerts> {
        if events.is_empty() {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        self.store
            .send(StoreCmd::Alerts(events.clone(), tx))
            .await
            .ok()?;
        Some((events, rx))
    }

    /// Announce an alert event the store has taken: metrics, live picture, outputs.
    async fn announce_stored(&mut self, ev: AlertEvent) -> AlertEvent {
        if let Some(c) = self.alert_counters.get(ev.state.as_str()) {
            c.inc();
        }
        // The alert budget: alerts raised per unit (rate() of it is alerts per unit per hour)
        // and how long people take to acknowledge.
        match ev.state {
            picket_core::AlertState::Raised => self
                .metrics
                .counter(
                    "picket_alerts_raised_per_unit_total",
                    "Alerts raised, per protected unit.",
                    &[("unit", &ev.unit_id.0)],
                )
                .inc(),
            picket_core::AlertState::Acknowledged => {
                if let Some(s) = self.alerts.metrics().mean_time_to_acknowledge_s {
                    self.mean_ack.set((s * 1000.0).round().max(0.0) as u64);
                }
            }
            _ => {}
        }
        tracing::info!(
            alert = %ev.alert_id, state = ev.state.as_str(), unit = %ev.unit_id, track = %ev.track_id,
            level = ev.level.as_str(), "{}", ev.reasons.join("; ")
        );
        if let Ok(mut s) = self.state.write() {
            s.alerts.insert(ev.alert_id, ev.clone());
            // Cleared alerts stay in the live picture for an hour (they are in the store for
            // good): a stream of hostile tracks must not grow every snapshot without bound.
            let horizon = ev.time.plus_secs_f64(-CLEARED_RETENTION_S);
            s.alerts
                .retain(|_, a| a.state != picket_core::AlertState::Cleared || a.time >= horizon);
        }
        let line = serde_json::to_string(&ev).unwrap_or_default();
        for s in &self.sinks.alerts {
            let _ = s.send(line.clone()).await;
        }
        // Alerts must reach every output: wait for room rather than drop.
        let event = Arc::new(Event::Alert(ev.clone()));
        for a in &self.sinks.adapters {
            let _ = a.send(event.clone()).await;
        }
        let _ = self.events.send(event);
        ev
    }

    /// Whether `track`'s snapshot goes to the store this step: its first, its deletion, or
    /// one interval after the last one stored.
    fn snapshot_due(&mut self, track: &Track, now: Timestamp) -> bool {
        if track.status == TrackStatus::Deleted {
            self.stored_at.remove(&track.id);
            self.unstored.remove(&track.id);
            return true;
        }
        match self.stored_at.get(&track.id) {
            Some(t) if now.seconds_since(*t) < self.snapshot_interval_s => {
                self.unstored.insert(track.id, track.clone());
                false
            }
            _ => {
                self.stored_at.insert(track.id, now);
                self.unstored.remove(&track.id);
                true
            }
        }
    }

    async fn step(&mut self, step: StepMsg) {
        let now = step.now;
        self.now = Some(now);
        for u in &step.unit_positions {
            self.assessor.update_unit_position(u);
        }
        self.assessor.update_tracks(&step.tracks);
        for t in &step.tracks {
            if t.status == TrackStatus::Deleted {
                self.live.remove(&t.id);
            } else {
                self.live.insert(t.id);
            }
        }
        // Operators and take-off points: entities outside fusion, linked to their aircraft.
        self.operators.observe(&step.operator_obs);
        self.operators.link(&step.tracks, now);
        self.operators.expire(now);
        let operator_changes = self.operators.take_changes();
        // Reasons only where alerting reads them: the same events for a fraction of the cost.
        let live: Vec<TrackId> = self.live.iter().copied().collect();
        let (assessor, alerts) = (&mut self.assessor, &mut self.alerts);
        let threats = assessor.assess_with_reasons(now, |t, u, l| alerts.wants_reasons(t, u, l));
        let events = alerts.process(&threats, &live, now);
        let storing = self.store_step_alerts(events).await;
        // Tracks as people see them: confirmed ones, and the deletion of ones shown before.
        let mut views = Vec::new();
        for t in step.tracks {
            let classification = self.assessor.classification(t.id);
            let label = match &classification {
                Some(c) => (c.class, c.dark),
                None => self
                    .shown
                    .get(&t.id)
                    .copied()
                    .unwrap_or((TargetClass::Unknown, t.identity.is_none())),
            };
            let show = match t.status {
                TrackStatus::Confirmed => {
                    self.shown.insert(t.id, label);
                    true
                }
                TrackStatus::Deleted => self.shown.remove(&t.id).is_some(),
                TrackStatus::Tentative => false,
            };
            if show {
                views.push(TrackView {
                    track: t,
                    class: label.0,
                    dark: label.1,
                    reasons: classification.map(|c| c.reasons).unwrap_or_default(),
                });
            }
        }
        // Labels can change without a fusion update (more evidence): refresh shown ones.
        let unit_views: Vec<UnitView> = self
            .assessor
            .unit_states(now)
            .into_iter()
            .filter_map(|(id, st)| {
                let unit = self.assessor.site().units.iter().find(|u| u.id == id)?;
                unit.is_moving().then(|| UnitView {
                    unit_id: id,
                    sector: unit.sector.clone(),
                    position: st.map(|s| self.assessor.site().frame.to_geo(&s.position_enu)),
                    stale: st.is_some_and(|s| s.stale),
                })
            })
            .collect();
        // Live consumers (TAK, API, console) get the step before the store and the JSON-lines
        // sinks, which take the same records right after.
        let mut stored_tracks: Vec<Track> = views
            .iter()
            .filter(|v| self.snapshot_due(&v.track, now))
            .map(|v| v.track.clone())
            .collect();
        if step.last {
            // The inputs ended: the store gets every track's newest estimate.
            stored_tracks.extend(self.unstored.drain().map(|(_, t)| t));
            stored_tracks.sort_by_key(|t| t.id);
        }
        let track_lines: Vec<String> = if self.sinks.tracks.is_empty() {
            Vec::new()
        } else {
            views
                .iter()
                .map(|v| serde_json::to_string(v).unwrap_or_default())
                .collect()
        };
        if let Ok(mut s) = self.state.write() {
            s.data_time = Some(now);
            for v in &views {
                if v.track.status == TrackStatus::Deleted {
                    s.tracks.remove(&v.track.id);
                } else {
                    s.tracks.insert(v.track.id, v.clone());
                }
            }
            for u in &unit_views {
                s.units.insert(u.unit_id.clone(), u.clone());
            }
            for uas in &operator_changes.removed {
                s.operators.remove(uas);
            }
            for e in operator_changes.updated {
                s.operators.insert(e.uas_id.clone(), e);
            }
        }
        if !views.is_empty() {
            self.publish(Event::Tracks {
                time: now,
                tracks: views,
            });
        }
        // The step's alert events after its tracks: each waits for a durable write, which
        // must not hold back the picture; and an output woken by an alert then finds the
        // step's positions, not the previous step's.
        self.announce_step(storing).await;
        if !stored_tracks.is_empty() {
            let _ = self.store.send(StoreCmd::Tracks(stored_tracks)).await;
        }
        // The JSON-lines output keeps every update (the store is the thinned one).
        for s in &self.sinks.tracks {
            for line in &track_lines {
                let _ = s.send(line.clone()).await;
            }
        }
        self.unit_steps += 1;
        if !unit_views.is_empty()
            && (!step.unit_positions.is_empty() || self.unit_steps.is_multiple_of(4))
        {
            self.publish(Event::Units {
                time: now,
                units: unit_views,
            });
        }
        self.publish(Event::Clock {
            time: now,
            speed: self.speed,
        });
        if step.last {
            if let Ok(mut s) = self.state.write() {
                s.inputs_finished = true;
            }
            let _ = self.inputs_done.send(true);
        }
    }

    /// Acknowledge, store, announce. One the store refused is reverted: nothing was recorded,
    /// so a retry must succeed rather than find it "already acknowledged".
    async fn acknowledge(
        &mut self,
        id: AlertId,
        by: &str,
        now: Timestamp,
    ) -> Result<AlertEvent, AckError> {
        let ev = self.alerts.acknowledge(id, by, now)?;
        let r = self.announce(ev.clone()).await;
        if r.is_err() {
            self.alerts.revert(&ev);
        }
        r
    }

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Acknowledge {
                alert_id,
                by,
                reply,
            } => {
                let now = self.now.unwrap_or_default();
                let r = self.acknowledge(alert_id, &by, now).await;
                let _ = reply.send(r);
            }
            Command::AcknowledgeUnit(ack, reply) => {
                let now = self.now.unwrap_or_default();
                let open: Vec<AlertEvent> = self
                    .alerts
                    .active()
                    .into_iter()
                    .filter(|a| a.unit_id == ack.unit_id && a.acknowledged_by.is_none())
                    .filter(|a| ack.alert_id.is_none_or(|id| id == a.alert_id))
                    .collect();
                let sector = self
                    .state
                    .read()
                    .ok()
                    .and_then(|s| s.unit_sector(&ack.unit_id).map(str::to_owned))
                    .unwrap_or_default();
                // Sent before the alert was raised: not about this alert (a replay, or an
                // alert of the same id in an earlier run). Refused, counted and audited.
                let (ids, early): (Vec<_>, Vec<_>) = open
                    .into_iter()
                    .partition(|a| ack.sent.is_none_or(|t| t >= a.raised_time));
                let mut refusal = None;
                for a in &early {
                    let sent = ack.sent.unwrap_or_default();
                    self.metrics
                        .counter(
                            "picket_acknowledgements_refused_total",
                            "Acknowledgements from units' devices refused, by reason.",
                            &[("reason", "before_raised")],
                        )
                        .inc();
                    let _ = self
                        .store
                        .send(StoreCmd::Audit {
                            who: ack.by.clone(),
                            action: "acknowledge_alert_refused",
                            detail: format!(
                                "{} unit {} sector {sector} via {}: sent {sent}, before the alert was raised at {}",
                                a.alert_id, a.unit_id, ack.via, a.raised_time
                            ),
                        })
                        .await;
                    if ack.alert_id.is_some() {
                        refusal = Some(AckError::BeforeRaised {
                            alert_id: a.alert_id,
                            sent,
                            raised: a.raised_time,
                        });
                    }
                }
                if let Some(e) = refusal {
                    let _ = reply.send(Err(e));
                    return;
                }
                let ids: Vec<AlertId> = ids.into_iter().map(|a| a.alert_id).collect();
                let mut done = Vec::new();
                let mut result = Ok(());
                for id in ids {
                    match self.acknowledge(id, &ack.by, now).await {
                        Ok(ev) => {
                            // Audited like an API acknowledgement (same action and detail).
                            let _ = self
                                .store
                                .send(StoreCmd::Audit {
                                    who: ack.by.clone(),
                                    action: "acknowledge_alert",
                                    detail: format!(
                                        "{id} unit {} sector {sector} via {}",
                                        ev.unit_id, ack.via
                                    ),
                                })
                                .await;
                            done.push(ev);
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                let _ = reply.send(result.map(|()| done));
            }
        }
    }

    pub(crate) async fn run(
        mut self,
        mut steps: mpsc::Receiver<StepMsg>,
        mut commands: mpsc::Receiver<Command>,
    ) {
        let (mut steps_open, mut commands_open) = (true, true);
        while steps_open || commands_open {
            tokio::select! {
                // Commands first: a person waiting beats a backlog of data.
                biased;
                c = commands.recv(), if commands_open => match c {
                    Some(c) => self.command(c).await,
                    None => commands_open = false,
                },
                s = steps.recv(), if steps_open => match s {
                    Some(s) => self.step(s).await,
                    None => {
                        steps_open = false;
                        let _ = self.inputs_done.send(true);
                    }
                },
            }
        }
    }
}

// ---------------------------------------------------------------- live-mode helpers

/// Live mode: tell fusion every second that data older than the reorder window may be processed.
pub(crate) async fn watermark(
    tx: mpsc::Sender<IngestMsg>,
    reorder_s: f64,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_micros() as i64)
                    .unwrap_or(0);
                let w = Timestamp::from_micros(now).plus_secs_f64(-reorder_s);
                // Fusion may be behind (backpressure): never let that delay shutdown.
                tokio::select! {
                    _ = shutdown.changed() => return,
                    r = tx.send(IngestMsg::Watermark(w)) => if r.is_err() { return },
                }
            }
        }
    }
}

/// Live mode: a sensor silent for longer than its timeout becomes a sensor-down event.
pub(crate) async fn watchdog(
    sensors: Vec<SensorInfo>,
    state: SharedState,
    events: broadcast::Sender<Arc<Event>>,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    let start = tokio::time::Instant::now();
    let mut last: BTreeMap<String, (u64, tokio::time::Instant)> = BTreeMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => {}
        }
        let now = tokio::time::Instant::now();
        for s in &sensors {
            let lines = state
                .read()
                .ok()
                .and_then(|st| st.sensors.get(&s.id).map(|x| x.lines))
                .unwrap_or(0);
            let entry = last.entry(s.id.0.clone()).or_insert((0, start));
            if lines != entry.0 {
                *entry = (lines, now);
            }
            let silent = now.duration_since(entry.1).as_secs_f64() > s.silence_timeout_s;
            let was_up = state
                .read()
                .ok()
                .and_then(|st| st.sensors.get(&s.id).map(|x| x.up))
                .unwrap_or(true);
            if silent == was_up {
                if let Ok(mut st) = state.write() {
                    if let Some(x) = st.sensors.get_mut(&s.id) {
                        x.up = !silent;
                    }
                }
                metrics
                    .gauge(
                        "picket_sensor_up",
                        "1 when the sensor's feed is alive.",
                        &[("sensor", &s.id.0)],
                    )
                    .set(u64::from(!silent));
                let reason = if silent {
                    format!("no data for {:.0} s", s.silence_timeout_s)
                } else {
                    "data flowing again".to_string()
                };
                if silent {
                    tracing::warn!(sensor = %s.id, "sensor down: {reason}");
                } else {
                    tracing::info!(sensor = %s.id, "sensor up: {reason}");
                }
                let _ = events.send(Arc::new(Event::Sensor {
                    sensor_id: s.id.clone(),
                    up: !silent,
                    reason,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use picket_core::Role;
    use picket_store::{AuditEntry, StoreCounts, StoreError};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// Closed (false) until the test opens it.
    type Gate = Arc<(Mutex<bool>, std::sync::Condvar)>;

    /// A store whose audit writes wait while `gate` is closed, and which keeps what it was
    /// given.
    struct GatedStore {
        gate: Gate,
        audited: Arc<Mutex<Vec<String>>>,
    }

    impl Store for GatedStore {
        fn append_inputs(&mut self, _: &[Input]) -> Result<(), StoreError> {
            Ok(())
        }
        fn append_tracks(&mut self, _: &[Track]) -> Result<(), StoreError> {
            Ok(())
        }
        fn append_alert_event(&mut self, _: &AlertEvent) -> Result<(), StoreError> {
            Ok(())
        }
        fn alert_events(&self) -> Result<Vec<AlertEvent>, StoreError> {
            Ok(vec![])
        }
        fn current_alerts(&self) -> Result<Vec<AlertEvent>, StoreError> {
            Ok(vec![])
        }
        fn counts(&self) -> Result<StoreCounts, StoreError> {
            Ok(StoreCounts::default())
        }
        fn user_count(&self) -> Result<u64, StoreError> {
            Ok(0)
        }
        fn issue_token(&mut self, _: &str, _: Role, _: &[String]) -> Result<String, StoreError> {
            Ok(String::new())
        }
        fn authenticate(&self, _: &str) -> Result<Option<picket_core::Principal>, StoreError> {
            Ok(None)
        }
        fn revoke_tokens(&mut self, _: &str) -> Result<u64, StoreError> {
            Ok(0)
        }
        fn audit(
            &mut self,
            _: Timestamp,
            _: &str,
            _: &str,
            detail: &str,
        ) -> Result<(), StoreError> {
            let (open, changed) = &*self.gate;
            let mut open = open.lock().unwrap();
            while !*open {
                open = changed.wait(open).unwrap();
            }
            self.audited.lock().unwrap().push(detail.to_owned());
            Ok(())
        }
        fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
            Ok(vec![])
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_store_holds_the_urgent_lane_at_its_bound_and_loses_nothing() {
        let gate: Gate = Arc::default();
        let audited = Arc::new(Mutex::new(Vec::new()));
        let store = GatedStore {
            gate: gate.clone(),
            audited: audited.clone(),
        };
        let (tx, thread) = spawn_store(Box::new(store), 4, Arc::new(Metrics::default()));
        let total = URGENT_LANE + 100;
        let sent = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (tx, sent) = (tx.clone(), sent.clone());
            tokio::spawn(async move {
                for i in 0..total {
                    let cmd = StoreCmd::Audit {
                        who: "test".into(),
                        action: "probe",
                        detail: i.to_string(),
                    };
                    tx.send(cmd).await.expect("the store thread runs");
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        tokio::time::timeout(Duration::from_secs(10), async {
            while sent.load(Ordering::SeqCst) < URGENT_LANE {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the lane fills");
        // Give the producer time to overrun the lane if it could.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let waiting = URGENT_LANE - tx.urgent.capacity();
        assert!(waiting <= URGENT_LANE, "{waiting} in the lane");
        // The lane plus the one entry the stalled store holds; the producer waits.
        assert!(
            sent.load(Ordering::SeqCst) <= URGENT_LANE + 1,
            "{} accepted past the bound",
            sent.load(Ordering::SeqCst)
        );
        assert!(!producer.is_finished(), "the producer waits for room");
        assert!(audited.lock().unwrap().is_empty());

        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        tokio::time::timeout(Duration::from_secs(10), producer)
            .await
            .expect("the producer finishes once the store resumes")
            .unwrap();
        drop(tx);
        tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap();
        let want: Vec<String> = (0..total).map(|i| i.to_string()).collect();
        assert_eq!(
            *audited.lock().unwrap(),
            want,
            "every entry stored, in order"
        );
    }
}
