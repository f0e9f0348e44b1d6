//! Picket as a child of a parent SAPIENT (BSI Flex 335 v2.0) node: it connects over TCP,
//! registers as a fusion node, reports its status periodically, and forwards its confirmed
//! tracks as DetectionReports and its alert lifecycle events as Alerts. The parent's Tasks
//! get TaskAcks (Registration and Status requests are served), its AlertAcks and Errors are
//! counted and logged.
//!
//! Intake never waits on the parent: messages go into a bounded queue (full → counted as
//! dropped). While the link is down, track reports are dropped (the next update supersedes
//! them) and alert messages are held, a bounded number, and sent after the next registration.
//! The link reconnects with backoff (0.5 s doubling to 30 s, afresh after a registration
//! that lasted 10 s).

use picket_core::{TrackId, TrackStatus};
use picket_pipeline::metrics::{Counter, Gauge};
use picket_pipeline::Backoff;
use picket_pipeline::{wall_now, Event, OutputAdapter, OutputContext};
use picket_sapient::upstream::{self, ChildNode, ParentRequest};
use picket_sapient::{Content, Deframer, SapientMessage};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

/// A TCP connect or a RegistrationAck must come within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Alert messages held while the link is down, at most (oldest dropped first).
const HELD_ALERTS: usize = 256;
/// Object ids of ended tracks remembered, so their alerts' later events still name them.
const ENDED_TRACKS: usize = 1024;
/// After the pipeline ends, this long to send what is queued.
const DRAIN: Duration = Duration::from_secs(5);

/// How a [`SapientParentOutput`] is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct SapientParentConfig {
    /// The parent node, `host:port`.
    pub addr: String,
    /// Who Picket is to the parent (node id, name, status interval, location).
    pub node: ChildNode,
    /// Messages waiting for the link at most; more are dropped (default 1024).
    pub queue_capacity: usize,
    /// One DetectionReport per track at most this often (default 1 s); a track's end is
    /// always reported.
    pub track_period: Duration,
}

/// Why a SAPIENT parent output cannot be set up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SapientParentConfigError {
    /// The URL is not `tcp://HOST:PORT`.
    #[error(
        "SAPIENT parent url `{url}` {why} — use tcp://HOST:PORT, e.g. tcp://192.168.1.10:5020"
    )]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

impl SapientParentConfig {
    /// Reads `tcp://HOST:PORT` into `host:port`.
    pub fn parse_url(url: &str) -> Result<String, SapientParentConfigError> {
        let u = url.trim();
        let bad = |why| SapientParentConfigError::BadUrl {
            url: u.chars().take(200).collect(),
            why,
        };
        let rest = u
            .strip_prefix("tcp://")
            .ok_or_else(|| bad("does not start with tcp://"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| bad("does not hold a port"))?;
        if host.is_empty() || host.contains(['/', ' ', '@', '?']) {
            return Err(bad("does not hold a host name or IP address"));
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => Ok(rest.to_owned()),
            _ => Err(bad("does not hold a port 1-65535")),
        }
    }
}

/// Tracks and alerts to a parent SAPIENT node. See the module documentation.
#[derive(Clone)]
pub struct SapientParentOutput {
    config: SapientParentConfig,
}

impl fmt::Debug for SapientParentOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SapientParentOutput")
            .field("parent", &self.config.addr)
            .field("node_id", &self.config.node.node_id)
            .finish()
    }
}

impl SapientParentOutput {
    /// An output with these settings.
    pub fn new(config: SapientParentConfig) -> Self {
        SapientParentOutput { config }
    }
}

impl OutputAdapter for SapientParentOutput {
    fn spawn(&self, ctx: OutputContext) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { run(me.config, ctx).await })
    }
}

#[derive(Clone)]
struct Counters {
    sent: Counter,
    dropped: Counter,
    parent_errors: Counter,
    alert_acks: Counter,
    tasks: Counter,
    registered: Gauge,
}

/// What the intake hands the link.
enum Outgoing {
    Track(Box<SapientMessage>),
    Alert(Box<SapientMessage>),
}

async fn run(config: SapientParentConfig, ctx: OutputContext) {
    let OutputContext {
        mut events,
        metrics,
        shutdown,
        ..
    } = ctx;
    let l = [("parent", config.addr.as_str())];
    let c = Counters {
        sent: metrics.counter(
            "picket_sapient_parent_sent_total",
            "SAPIENT messages sent to the parent node.",
            &l,
        ),
        dropped: metrics.counter(
            "picket_sapient_parent_dropped_total",
            "Track reports or alerts not sent to the parent node (queue full or link down).",
            &l,
        ),
        parent_errors: metrics.counter(
            "picket_sapient_parent_errors_total",
            "Error messages and rejected registrations from the parent node.",
            &l,
        ),
        alert_acks: metrics.counter(
            "picket_sapient_parent_alert_acks_total",
            "AlertAcks received from the parent node.",
            &l,
        ),
        tasks: metrics.counter(
            "picket_sapient_parent_tasks_total",
            "Tasks received from the parent node (each answered with a TaskAck).",
            &l,
        ),
        registered: metrics.gauge(
            "picket_sapient_parent_registered",
            "1 while Picket is registered with its parent SAPIENT node.",
            &l,
        ),
    };
    let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
    let (stop_tx, stop_rx) = watch::channel(false);
    let link = tokio::spawn(link(config.clone(), rx, c.clone(), stop_rx, shutdown));
    let mut seq = 0u64;
    let mut objects: HashMap<TrackId, (String, picket_core::Timestamp)> = HashMap::new();
    let mut ended: VecDeque<(TrackId, String)> = VecDeque::new();
    while let Some(ev) = events.recv().await {
        let out = match &*ev {
            Event::Tracks { tracks, .. } => {
                let mut out = Vec::new();
                for v in tracks {
                    let t = &v.track;
                    let deleted = t.status == TrackStatus::Deleted;
                    if t.status != TrackStatus::Confirmed && !deleted {
                        continue;
                    }
                    let last = objects.get(&t.id).map(|(_, at)| *at);
                    // A track never reported needs no end; one reported recently waits.
                    let due = match last {
                        None => !deleted,
                        Some(at) => {
                            deleted || t.time.seconds_since(at) >= config.track_period.as_secs_f64()
                        }
                    };
                    if !due {
                        continue;
                    }
                    seq += 1;
                    let msg = upstream::track_report(&config.node, t, v.class, seq);
                    if deleted {
                        if let Some((id, _)) = objects.remove(&t.id) {
                            if ended.len() == ENDED_TRACKS {
                                ended.pop_front();
                            }
                            ended.push_back((t.id, id));
                        }
                    } else {
                        objects.insert(t.id, (upstream::object_id(t), t.time));
                    }
                    out.push(Outgoing::Track(Box::new(msg)));
                }
                out
            }
            Event::Alert(a) => {
                let object = objects
                    .get(&a.track_id)
                    .map(|(id, _)| id.clone())
                    .or_else(|| {
                        ended
                            .iter()
                            .find(|(t, _)| *t == a.track_id)
                            .map(|(_, id)| id.clone())
                    })
                    .unwrap_or_else(|| a.track_id.to_string());
                vec![Outgoing::Alert(Box::new(upstream::alert_message(
                    &config.node,
                    a,
                    &object,
                )))]
            }
            _ => Vec::new(),
        };
        for o in out {
            if tx.try_send(o).is_err() {
                c.dropped.inc();
            }
        }
    }
    // The pipeline is over: let the link send what is queued, for a bounded time.
    drop(tx);
    if tokio::time::timeout(DRAIN, link).await.is_err() {
        let _ = stop_tx.send(true);
    }
}

fn frame(msg: &SapientMessage) -> Option<Vec<u8>> {
    picket_sapient::encode_frame(msg).ok()
}

/// Holds alerts while the link is down; track reports are dropped (counted).
fn hold(o: Outgoing, held: &mut VecDeque<SapientMessage>, c: &Counters) {
    match o {
        Outgoing::Track(_) => c.dropped.inc(),
        Outgoing::Alert(m) => {
            if held.len() == HELD_ALERTS {
                held.pop_front();
                c.dropped.inc();
            }
            held.push_back(*m);
        }
    }
}

/// Waits `d` while keeping the queue moving (alerts held, track reports dropped). False when
/// the link should end: stop, shutdown, or intake over while the parent is unreachable.
async fn wait_draining(
    d: Duration,
    rx: &mut mpsc::Receiver<Outgoing>,
    held: &mut VecDeque<SapientMessage>,
    c: &Counters,
    stop: &mut watch::Receiver<bool>,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let until = tokio::time::Instant::now() + d;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return true,
            _ = stop.changed() => return false,
            _ = shutdown.changed() => return false,
            o = rx.recv() => match o {
                Some(o) => hold(o, held, c),
                // Intake ended while the parent is unreachable: nothing more will come.
                None => return false,
            },
        }
    }
}

/// How long one frame may take to go out before the parent counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

async fn write(w: &mut OwnedWriteHalf, msg: &SapientMessage, c: &Counters) -> bool {
    let Some(f) = frame(msg) else { return true };
    // A parent that stops reading must not wedge the link: give up and reconnect.
    match tokio::time::timeout(WRITE_TIMEOUT, w.write_all(&f)).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) | Err(_) => return false,
    }
    c.sent.inc();
    true
}

/// Connects and registers; `Ok` with the split stream once the parent accepted.
async fn register(
    config: &SapientParentConfig,
    c: &Counters,
) -> Result<(tokio::net::tcp::OwnedReadHalf, OwnedWriteHalf, Deframer), String> {
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, TcpStream::connect(&config.addr))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut r, mut w) = stream.into_split();
    if !write(&mut w, &upstream::registration(&config.node, wall_now()), c).await {
        return Err("connection closed while registering".into());
    }
    let mut deframer = Deframer::new();
    let mut buf = vec![0u8; 16 * 1024];
    let until = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
    loop {
        let n = tokio::time::timeout_at(until, r.read(&mut buf))
            .await
            .map_err(|_| "no RegistrationAck within 10 s".to_string())?
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the parent closed the connection before acknowledging".into());
        }
        deframer.push(&buf[..n]);
        while let Some(m) = deframer.next_message() {
            let Ok(m) = m else {
                c.parent_errors.inc();
                continue;
            };
            if let Some(Content::RegistrationAck(ack)) = &m.content {
                if ack.acceptance == Some(true) {
                    return Ok((r, w, deframer));
                }
                c.parent_errors.inc();
                return Err(format!(
                    "registration rejected: {}",
                    ack.ack_response_reason.join("; ")
                ));
            }
        }
    }
}

async fn link(
    config: SapientParentConfig,
    mut rx: mpsc::Receiver<Outgoing>,
    c: Counters,
    mut stop: watch::Receiver<bool>,
    mut shutdown: watch::Receiver<bool>,
) {
    let addr = config.addr.clone();
    let mut backoff = Backoff::new();
    let mut held: VecDeque<SapientMessage> = VecDeque::new();
    let status_every = Duration::from_secs_f64(config.node.status_interval_s.clamp(0.1, 3600.0));
    let mut status_seq = 0u64;
    'connect: loop {
        let (mut r, mut w, mut deframer) = match register(&config, &c).await {
            Ok(x) => x,
            Err(e) => {
                let wait = backoff.failed(tokio::time::Instant::now());
                tracing::warn!(parent = %addr, "SAPIENT parent: {e}; retrying in {wait:?}");
                if !wait_draining(wait, &mut rx, &mut held, &c, &mut stop, &mut shutdown).await {
                    break;
                }
                continue;
            }
        };
        backoff.connected(tokio::time::Instant::now());
        c.registered.set(1);
        tracing::info!(parent = %addr, node = %config.node.node_id, "registered with the parent SAPIENT node");
        status_seq += 1;
        let mut ok = write(
            &mut w,
            &upstream::status_report(&config.node, wall_now(), status_seq, true),
            &c,
        )
        .await;
        while ok {
            let Some(m) = held.pop_front() else { break };
            ok = write(&mut w, &m, &c).await;
        }
        let mut tick = tokio::time::interval(status_every);
        tick.reset();
        let mut buf = vec![0u8; 16 * 1024];
        while ok {
            tokio::select! {
                _ = stop.changed() => break 'connect,
                _ = shutdown.changed() => {
                    // Deliver what intake already queued, then end (intake closes the queue).
                    while let Ok(o) = rx.try_recv() {
                        let (Outgoing::Track(m) | Outgoing::Alert(m)) = o;
                        if !write(&mut w, &m, &c).await { break; }
                    }
                    break 'connect;
                }
                o = rx.recv() => match o {
                    Some(Outgoing::Track(m) | Outgoing::Alert(m)) => ok = write(&mut w, &m, &c).await,
                    None => break 'connect,
                },
                _ = tick.tick() => {
                    status_seq += 1;
                    let s = upstream::status_report(&config.node, wall_now(), status_seq, false);
                    ok = write(&mut w, &s, &c).await;
                }
                n = r.read(&mut buf) => {
                    let n = match n { Ok(0) | Err(_) => break, Ok(n) => n };
                    deframer.push(&buf[..n]);
                    while let Some(m) = deframer.next_message() {
                        let m = match m {
                            Ok(m) => m,
                            Err((e, _)) => {
                                c.parent_errors.inc();
                                tracing::warn!(parent = %addr, "unreadable frame from the parent: {e}");
                                continue;
                            }
                        };
                        ok = from_parent(&config, m, &mut w, &c, &mut status_seq).await && ok;
                    }
                }
            }
        }
        c.registered.set(0);
        let wait = backoff.failed(tokio::time::Instant::now());
        tracing::warn!(parent = %addr, "lost the parent SAPIENT node; reconnecting in {wait:?}");
        if !wait_draining(wait, &mut rx, &mut held, &c, &mut stop, &mut shutdown).await {
            break;
        }
    }
    c.registered.set(0);
}

/// Acts on one message from the parent; false when the socket failed.
async fn from_parent(
    config: &SapientParentConfig,
    m: SapientMessage,
    w: &mut OwnedWriteHalf,
    c: &Counters,
    status_seq: &mut u64,
) -> bool {
    let addr = &config.addr;
    match &m.content {
        Some(Content::Task(_)) => {
            c.tasks.inc();
            let now = wall_now();
            let (ack, what) = upstream::answer_parent_task(&config.node, &m, now);
            tracing::info!(parent = %addr, ?what, "task from the parent SAPIENT node");
            if !write(w, &ack, c).await {
                return false;
            }
            match what {
                ParentRequest::Registration => {
                    write(w, &upstream::registration(&config.node, now), c).await
                }
                ParentRequest::Status => {
                    *status_seq += 1;
                    let s = upstream::status_report(&config.node, now, *status_seq, false);
                    write(w, &s, c).await
                }
                ParentRequest::Refused => true,
            }
        }
        Some(Content::AlertAck(a)) => {
            c.alert_acks.inc();
            tracing::info!(parent = %addr, alert = ?a.alert_id, status = ?a.alert_ack_status, reasons = ?a.reason, "AlertAck from the parent SAPIENT node");
            true
        }
        Some(Content::Error(e)) => {
            c.parent_errors.inc();
            tracing::warn!(parent = %addr, "Error from the parent SAPIENT node: {}", e.error_message.join("; "));
            true
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_tcp_host_port() {
        assert_eq!(
            SapientParentConfig::parse_url("tcp://10.0.0.5:5020").as_deref(),
            Ok("10.0.0.5:5020")
        );
        assert_eq!(
            SapientParentConfig::parse_url("tcp://parent.local:5020/").as_deref(),
            Ok("parent.local:5020")
        );
        for (u, why) in [
            ("udp://h:1", "tcp://"),
            ("tcp://h", "port"),
            ("tcp://h:0", "port 1-65535"),
            ("tcp://:5020", "host"),
        ] {
            let e = SapientParentConfig::parse_url(u).unwrap_err().to_string();
            assert!(e.contains(why), "{u}: {e}");
        }
    }
}
