//! The TAK output's tasks: one takes in pipeline events (never blocking the pipeline), the
//! other holds the connection — connect, announce, negotiate, send, reconnect with backoff.

use super::picture::{Batch, Kind, Outgoing, Picture};
use super::{profile, TakOutputConfig, TakTarget};
use picket_core::{GeoPoint, Timestamp};
use picket_cot::framing::encode_for_stream;
use picket_cot::negotiation::is_negotiation_event;
use picket_cot::picket::encode_presence;
use picket_cot::xml::encode_xml;
use picket_cot::{
    parse_ack, AckRequest, AlertReply, ChatLine, CotEvent, FriendlySa, Limits, Negotiation,
    NegotiationStep, ReplyError, ReplyKind, StreamDecoder, WireFormat,
};
use picket_inputs::TakTlsClient;
use picket_pipeline::metrics::{Counter, Gauge};
use picket_pipeline::Backoff;
use picket_pipeline::{Acknowledger, Metrics, OutputContext, UnitAck};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, Notify};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);
/// Picket re-announces itself this often; TAK servers list it as a contact meanwhile.
const PRESENCE_PERIOD_S: f64 = 30.0;
const PRESENCE_STALE: Duration = Duration::from_secs(90);
/// After the pipeline ends, this long to deliver what is still waiting.
const DRAIN: Duration = Duration::from_secs(10);
/// Events per write: bounds how long the picture is locked and how long an alert can wait
/// behind a burst of track positions.
const MAX_BATCH: usize = 500;
/// Largest datagram sent on a mesh (UDP's limit, less headers).
const MAX_DATAGRAM: usize = 65_000;
/// Acknowledgements heard and waiting for the pipeline. One task hands them over one at a
/// time, so a flood of replies neither grows memory nor crowds the alerting stage (which
/// serves commands before data); beyond this many waiting, more are dropped and counted.
const ACK_QUEUE: usize = 64;

/// Counters of one TAK output, labelled by its target.
struct Meters {
    sent: HashMap<Kind, Counter>,
    reconnects: Counter,
    dropped: Counter,
    connected: Gauge,
}

impl Meters {
    fn new(m: &Metrics, target: &str) -> Self {
        let sent = Kind::ALL
            .iter()
            .map(|k| {
                (
                    *k,
                    m.counter(
                        "picket_tak_events_sent_total",
                        "CoT events written to a TAK output, per kind.",
                        &[("output", target), ("kind", k.as_str())],
                    ),
                )
            })
            .collect();
        Meters {
            sent,
            reconnects: m.counter(
                "picket_tak_reconnects_total",
                "Connection attempts to a TAK server after the first one.",
                &[("output", target)],
            ),
            dropped: m.counter(
                "picket_tak_events_dropped_total",
                "CoT events a TAK output could not send (queue full during an outage, unencodable, datagram too large or refused).",
                &[("output", target)],
            ),
            connected: m.gauge(
                "picket_tak_connected",
                "1 while a TAK output is connected to its server (mesh outputs: while the socket is open).",
                &[("output", target)],
            ),
        }
    }
}

/// State the two tasks share.
struct Shared {
    picture: Mutex<Picture>,
    wake: Notify,
    meters: Meters,
    position: GeoPoint,
    want_protobuf: bool,
    label: String,
    /// Dropped one-shots already added to the counter.
    reported_dropped: Mutex<u64>,
    /// Officers' acknowledgements heard on the server connection wait here for the one task
    /// that hands them to the pipeline.
    ack_queue: mpsc::Sender<UnitAck>,
    acks: Counter,
    /// Acknowledgements dropped because [`ACK_QUEUE`] were already waiting.
    acks_dropped: Counter,
    /// `y-a-…` replies naming an alert uid this output did not issue (untagged, wrong tag,
    /// earlier run): guesses or replays.
    replies_unverified: Counter,
    /// GeoChat receipts of Picket's alert lines from units' devices.
    delivered: Counter,
    read: Counter,
}

impl Shared {
    fn picture(&self) -> MutexGuard<'_, Picture> {
        self.picture.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, now: Timestamp) -> Batch {
        let (batch, dropped) = {
            let mut p = self.picture();
            (p.take(now, MAX_BATCH), p.dropped())
        };
        if batch.more {
            self.wake.notify_one();
        }
        let mut seen = self
            .reported_dropped
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if dropped > *seen {
            self.meters.dropped.add(dropped - *seen);
            *seen = dropped;
        }
        batch
    }

    fn presence(&self, now: Timestamp) -> Outgoing {
        let p = self.picture();
        Outgoing {
            kind: Kind::Presence,
            event: encode_presence(p.profile(), &self.position, now, PRESENCE_STALE),
        }
    }

    fn finishing_and_idle(&self) -> bool {
        let p = self.picture();
        p.is_finishing() && p.is_idle()
    }

    /// How long the sender may sleep before something falls due.
    fn sleep_for(&self, now: Timestamp, presence_due: Timestamp) -> Duration {
        let due = self
            .picture()
            .next_due()
            .map_or(presence_due, |d| d.min(presence_due));
        let s = due.seconds_since(now).clamp(0.01, 1.0);
        Duration::from_secs_f64(s)
    }
}

/// The output's life: take in events until the pipeline ends or shuts down, then give the
/// connection a bounded time to deliver what waits.
pub(crate) async fn run(config: TakOutputConfig, tls: Option<TakTlsClient>, ctx: OutputContext) {
    let OutputContext {
        mut events,
        site,
        metrics,
        mut shutdown,
        acknowledger,
    } = ctx;
    let label = config.target.to_string();
    let profile = match profile(&site.name, &config) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(output = %label, "TAK output not started: {e}");
            return;
        }
    };
    // A fresh secret per run tags the alert marker uids: only devices that received a
    // marker can name it in a reply, and uids of an earlier run (ids restart at 1) name
    // nothing now.
    let mut secret = [0u8; 16];
    let profile = match getrandom::fill(&mut secret) {
        Ok(()) => profile.with_alert_secret(secret),
        Err(e) => {
            tracing::error!(output = %label, "no random secret for alert uids ({e}): markers go out untagged and no CoT reply can acknowledge them");
            profile
        }
    };
    let refused = metrics.counter(
        "picket_tak_acknowledgements_refused_total",
        "Acknowledgements from a unit's device that acknowledged nothing: the alert named is not an open alert of that unit, or the pipeline refused (e.g. sent before the alert was raised).",
        &[("output", &label)],
    );
    let (ack_queue, ack_rx) = mpsc::channel(ACK_QUEUE);
    // Ends when the output does (its queue's sender lives in `shared`).
    tokio::spawn(hand_over_acks(ack_rx, acknowledger, label.clone(), refused));
    let update_period_s = config.update_period.as_secs_f64();
    let shared = Arc::new(Shared {
        picture: Mutex::new(Picture::new(
            profile,
            update_period_s,
            &site,
            &config.device_uids,
        )),
        wake: Notify::new(),
        meters: Meters::new(&metrics, &label),
        position: site.frame.origin(),
        want_protobuf: config.want_protobuf,
        label: label.clone(),
        reported_dropped: Mutex::new(0),
        ack_queue,
        acks: metrics.counter(
            "picket_tak_acknowledgements_total",
            "Acknowledgements (GeoChat ACK replies and y-a-r / y-a-w CoT replies from units' devices) heard from the TAK server.",
            &[("output", &label)],
        ),
        acks_dropped: metrics.counter(
            "picket_tak_acknowledgements_dropped_total",
            "Acknowledgements heard from the TAK server and dropped because too many were already waiting for the pipeline.",
            &[("output", &label)],
        ),
        replies_unverified: metrics.counter(
            "picket_tak_replies_unverified_total",
            "y-a-r / y-a-w replies naming an alert uid this output did not issue (no tag, a wrong tag, or an earlier run's): never acknowledgements.",
            &[("output", &label)],
        ),
        delivered: receipts(&metrics, &label, ReplyKind::Delivered),
        read: receipts(&metrics, &label, ReplyKind::Read),
    });
    let mut sender = match config.target.clone() {
        TakTarget::Udp(addr) => tokio::spawn(mesh_loop(addr, shared.clone())),
        TakTarget::Tcp { host, port } | TakTarget::Tls { host, port } => {
            tokio::spawn(stream_loop(host, port, tls, shared.clone()))
        }
    };
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(ev) => {
                    shared.picture().apply(&ev);
                    shared.wake.notify_one();
                }
                None => break,
            },
            _ = shutdown.changed() => break,
        }
    }
    let unaddressed = {
        let mut p = shared.picture();
        p.finish();
        p.unaddressed()
    };
    if unaddressed > 0 {
        tracing::warn!(output = %label, "{unaddressed} alert events went to no TAK device: their units have no callsign");
    }
    shared.wake.notify_one();
    if tokio::time::timeout(DRAIN, &mut sender).await.is_err() {
        sender.abort();
        tracing::warn!(output = %label, "TAK output stopped with events undelivered (no connection within {} s of the end)", DRAIN.as_secs());
    }
}

enum End {
    /// Everything was delivered after the pipeline ended.
    Finished,
    /// The connection is gone, for this reason.
    Lost(String),
}

async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port))).await {
        Ok(Ok(s)) => {
            // Alerts are small and urgent: no Nagle delay.
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) => Err(format!("cannot connect: {e}")),
        Err(_) => Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

async fn stream_loop(host: String, port: u16, tls: Option<TakTlsClient>, shared: Arc<Shared>) {
    let mut backoff = Backoff::new();
    let mut attempts: u64 = 0;
    loop {
        let finishing_before = shared.picture().is_finishing();
        if attempts > 0 {
            shared.meters.reconnects.inc();
        }
        attempts += 1;
        let end = match connect_tcp(&host, port).await {
            Err(why) => End::Lost(why),
            Ok(tcp) => match &tls {
                None => {
                    backoff.connected(tokio::time::Instant::now());
                    session(tcp, &shared).await
                }
                Some(c) => {
                    let hs = c.connect(tcp);
                    match tokio::time::timeout(CONNECT_TIMEOUT, hs).await {
                        Ok(Ok(s)) => {
                            backoff.connected(tokio::time::Instant::now());
                            session(s, &shared).await
                        }
                        Ok(Err(e)) => End::Lost(format!("TLS handshake failed: {e}")),
                        Err(_) => End::Lost("TLS handshake timed out".into()),
                    }
                }
            },
        };
        shared.meters.connected.set(0);
        let wait = match end {
            End::Finished => return,
            End::Lost(why) => {
                let wait = backoff.failed(tokio::time::Instant::now());
                // The first failures and then one in twenty: an outage must not flood the log.
                if attempts <= 3 || attempts.is_multiple_of(20) {
                    tracing::warn!(output = %shared.label, "TAK connection: {why}; retrying in {:.1} s", wait.as_secs_f64());
                }
                wait
            }
        };
        if finishing_before {
            if !shared.picture().is_idle() {
                tracing::warn!(output = %shared.label, "pipeline ended while the TAK server was unreachable: last events not delivered");
            }
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            // The end of the pipeline cuts the wait short: one last attempt to deliver.
            _ = shared.wake.notified(), if shared.picture().is_finishing() => {}
        }
    }
}

/// Encodes a batch for the wire; unencodable events are counted as dropped.
fn encode(out: &[Outgoing], wire: WireFormat, meters: &Meters) -> (Vec<u8>, Vec<Kind>) {
    let mut bytes = Vec::new();
    let mut kinds = Vec::with_capacity(out.len());
    for o in out {
        match encode_for_stream(&o.event, wire) {
            Ok(b) => {
                bytes.extend_from_slice(&b);
                kinds.push(o.kind);
            }
            Err(e) => {
                meters.dropped.inc();
                tracing::warn!("CoT event `{}` not encodable: {e}", o.event.uid);
            }
        }
    }
    (bytes, kinds)
}

fn count_sent(meters: &Meters, kinds: &[Kind]) {
    for k in kinds {
        if let Some(c) = meters.sent.get(k) {
            c.inc();
        }
    }
}

/// One connection to a TAK server, until it breaks or everything is delivered at the end.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(stream: S, shared: &Shared) -> End {
    tracing::info!(output = %shared.label, "connected to the TAK server");
    shared.meters.connected.set(1);
    shared.picture().resend_all();
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut negotiation = Negotiation::new(shared.want_protobuf);
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut buf = vec![0u8; 16 * 1024];
    let mut presence_due = Timestamp::from_micros(i64::MIN);
    loop {
        let now = picket_pipeline::wall_now();
        if negotiation.poll(now) == NegotiationStep::Disconnect {
            return End::Lost("the server did not answer the TAK protocol request in time".into());
        }
        if negotiation.may_send() {
            let mut out = Vec::new();
            if now >= presence_due {
                out.push(shared.presence(now));
                presence_due = now.plus_secs_f64(PRESENCE_PERIOD_S);
            }
            let batch = shared.take(now);
            out.extend(batch.out);
            if !out.is_empty() {
                let (bytes, kinds) = encode(&out, negotiation.wire(), &shared.meters);
                let written = async {
                    wr.write_all(&bytes).await?;
                    wr.flush().await
                };
                // A server that stops reading must not hold the output forever.
                let result = match tokio::time::timeout(WRITE_TIMEOUT, written).await {
                    Ok(r) => r.map_err(|e| format!("write failed: {e}")),
                    Err(_) => Err(format!(
                        "the server took no data for {} s",
                        WRITE_TIMEOUT.as_secs()
                    )),
                };
                if let Err(why) = result {
                    shared.picture().requeue(batch.oneshots);
                    return End::Lost(why);
                }
                count_sent(&shared.meters, &kinds);
            }
            if shared.finishing_and_idle() {
                let _ = wr.shutdown().await;
                return End::Finished;
            }
        }
        let sleep = shared.sleep_for(now, presence_due);
        tokio::select! {
            r = rd.read(&mut buf) => {
                let n = match r {
                    Ok(0) => return End::Lost("the server closed the connection".into()),
                    Ok(n) => n,
                    Err(e) => return End::Lost(format!("read failed: {e}")),
                };
                decoder.push(&buf[..n]);
                loop {
                    let ev = match decoder.next_event() {
                        Ok(Some(ev)) => ev,
                        Ok(None) => break,
                        Err(e) if e.is_fatal() => return End::Lost(format!("the server's stream is unreadable: {e}")),
                        // One bad message from the server: not ours to fix, the stream goes on.
                        Err(_) => continue,
                    };
                    match negotiation.on_event(&ev, picket_pipeline::wall_now()) {
                        NegotiationStep::SendRequest(req) => {
                            let sent = match encode_for_stream(&req, WireFormat::Xml) {
                                Ok(b) => wr.write_all(&b).await.and(wr.flush().await),
                                Err(e) => Err(std::io::Error::other(e.to_string())),
                            };
                            if let Err(e) = sent {
                                return End::Lost(format!("write failed: {e}"));
                            }
                        }
                        NegotiationStep::SwitchToProtobuf => {
                            decoder.set_wire(WireFormat::ProtobufV1);
                            tracing::info!(output = %shared.label, "TAK server accepted protocol v1: sending protobuf");
                        }
                        NegotiationStep::StayXml => {
                            tracing::info!(output = %shared.label, "TAK server refused protocol v1: staying with XML");
                        }
                        NegotiationStep::Disconnect => {
                            return End::Lost("TAK protocol negotiation failed".into());
                        }
                        NegotiationStep::Nothing => {}
                    }
                    if !is_negotiation_event(&ev) {
                        if let Ok(sa) = FriendlySa::from_event(&ev) {
                            if let Some(cs) = &sa.callsign {
                                shared.picture().learn_device(cs, &sa.uid);
                            }
                        }
                        heard_ack(&ev, shared);
                        heard_reply(&ev, shared);
                    }
                }
            }
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// An officer's acknowledgement in Picket's chat (`ack`, `ack A12`, ...) from a unit's
/// device, as relayed by the TAK server: acknowledges that unit's alerts through the
/// pipeline (stored, announced, audited). Trust limit: the device uid is whatever the
/// sender wrote — TAK servers check a client's certificate but do not bind the uids in its
/// events to it — and a chat line names no marker, so any client the server admits can
/// acknowledge a unit's alerts by writing that unit's device uid. Only the server
/// connection is listened to (on a mesh there is not even a certificate).
fn heard_ack(ev: &CotEvent, shared: &Shared) {
    let Some(chat) = ChatLine::from_event(ev) else {
        return;
    };
    let Some(req) = parse_ack(&chat.text) else {
        return;
    };
    let found = {
        let p = shared.picture();
        if !chat.is_to(p.profile()) {
            return;
        }
        p.unit_of_device(&chat.sender_uid)
    };
    let Some((unit_id, callsign)) = found else {
        tracing::warn!(output = %shared.label, uid = %chat.sender_uid, "acknowledgement from a device of no unit ignored");
        return;
    };
    let uid: String = chat.sender_uid.chars().take(64).collect();
    submit_ack(
        shared,
        UnitAck {
            unit_id,
            alert_id: match req {
                AckRequest::All => None,
                AckRequest::Alert(id) => Some(id),
            },
            by: format!("{callsign} (TAK {uid})"),
            via: format!("TAK server {} chat from {uid}", shared.label),
            sent: Some(chat.time),
        },
    );
}

/// A device's CoT reply about one of Picket's alerts, relayed by the TAK server. `y-a-r`
/// (received) and `y-a-w` (wilco) linked to an alert marker acknowledge that one alert, by
/// the same path and with the same checks as a chat `ACK`: the sender must be a unit's
/// device, and the alert must be that unit's (the pipeline acknowledges only the unit's own
/// open alerts). Unlike a chat line, the reply must name the marker's tagged uid, which
/// only the unit's devices received; a guessed or earlier run's uid is counted and refused.
/// GeoChat receipts of Picket's alert lines are only counted and logged: ATAK sends
/// `b-t-f-d` on arrival and `b-t-f-r` when the conversation is on screen, by itself —
/// "seen", not a person's decision.
fn heard_reply(ev: &CotEvent, shared: &Shared) {
    if ReplyKind::of_type(&ev.cot_type).is_none() {
        return;
    }
    let (reply, found) = {
        let p = shared.picture();
        let reply = match AlertReply::from_event(p.profile(), ev, picket_pipeline::wall_now()) {
            Ok(r) => r,
            // Replies about other things (other tasks, other chats) are the server's traffic.
            Err(ReplyError::NotOurs | ReplyError::NotAReply(_)) => return,
            Err(e @ ReplyError::Unverified(_)) => {
                shared.replies_unverified.inc();
                tracing::warn!(output = %shared.label, kind = %ev.cot_type, "reply refused: {e}");
                return;
            }
            Err(e) => {
                tracing::warn!(output = %shared.label, kind = %ev.cot_type, "reply about an alert not taken: {e}");
                return;
            }
        };
        let found = p.unit_of_device(&reply.sender_uid);
        (reply, found)
    };
    let uid: String = reply.sender_uid.chars().take(64).collect();
    let Some((unit_id, callsign)) = found else {
        tracing::warn!(output = %shared.label, uid = %uid, alert = %reply.alert_id, kind = reply.kind.as_str(), "reply from a device of no unit ignored");
        return;
    };
    match reply.kind {
        ReplyKind::Delivered | ReplyKind::Read => {
            let (counter, what) = if reply.kind == ReplyKind::Read {
                (&shared.read, "seen")
            } else {
                (&shared.delivered, "delivered")
            };
            counter.inc();
            tracing::info!(output = %shared.label, unit = %unit_id, alert = %reply.alert_id, "alert chat line {what} on {callsign}'s device ({uid})");
        }
        ReplyKind::Received | ReplyKind::Wilco => submit_ack(
            shared,
            UnitAck {
                unit_id,
                alert_id: Some(reply.alert_id),
                by: format!("{callsign} (TAK {uid})"),
                via: format!(
                    "TAK server {} {} reply ({}) from {uid}",
                    shared.label,
                    ev.cot_type,
                    reply.kind.as_str()
                ),
                sent: Some(reply.time),
            },
        ),
    }
}

/// Queues an acknowledgement from a unit's device for the pipeline, off the connection's
/// task (the pipeline's answer must not hold up sending). Dropped and counted when
/// [`ACK_QUEUE`] are already waiting.
fn submit_ack(shared: &Shared, ack: UnitAck) {
    shared.acks.inc();
    if let Err(e) = shared.ack_queue.try_send(ack) {
        shared.acks_dropped.inc();
        let (mpsc::error::TrySendError::Full(ack) | mpsc::error::TrySendError::Closed(ack)) = e;
        tracing::warn!(output = %shared.label, unit = %ack.unit_id, by = %ack.by, "acknowledgement from TAK dropped: {ACK_QUEUE} already waiting");
    }
}

/// Hands queued acknowledgements to the pipeline one at a time, until the output ends.
async fn hand_over_acks(
    mut queue: mpsc::Receiver<UnitAck>,
    acknowledger: Acknowledger,
    label: String,
    refused: Counter,
) {
    while let Some(ack) = queue.recv().await {
        match acknowledger.acknowledge_unit(ack.clone()).await {
            Ok(done) if done.is_empty() => match ack.alert_id {
                // Named an alert the unit has no open, unacknowledged alert of that id: another
                // unit's, already over, or already acknowledged.
                Some(id) => {
                    refused.inc();
                    tracing::warn!(output = %label, unit = %ack.unit_id, by = %ack.by, "acknowledgement of {id} from TAK refused: not an open, unacknowledged alert of this unit");
                }
                None => {
                    tracing::info!(output = %label, unit = %ack.unit_id, by = %ack.by, "acknowledgement from TAK: nothing left to acknowledge");
                }
            },
            Ok(done) => {
                let ids: Vec<String> = done.iter().map(|a| a.alert_id.to_string()).collect();
                tracing::info!(output = %label, unit = %ack.unit_id, by = %ack.by, "alerts {} acknowledged from TAK", ids.join(", "));
            }
            Err(e) => {
                refused.inc();
                tracing::warn!(output = %label, unit = %ack.unit_id, by = %ack.by, "acknowledgement from TAK refused: {e}");
            }
        }
    }
}

fn receipts(metrics: &Metrics, label: &str, kind: ReplyKind) -> Counter {
    metrics.counter(
        "picket_tak_chat_receipts_total",
        "GeoChat receipts of Picket's alert lines from units' devices (delivered: arrived; read: shown on screen). Not acknowledgements.",
        &[("output", label), ("receipt", kind.as_str())],
    )
}

/// Mesh: each event one XML datagram (every TAK device decodes XML; protobuf on a mesh needs
/// every peer's TakControl, which an output that does not listen cannot know).
async fn mesh_loop(addr: SocketAddr, shared: Arc<Shared>) {
    let bind: SocketAddr = if addr.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let mut backoff = Backoff::new();
    let socket = loop {
        match UdpSocket::bind(bind).await {
            Ok(s) => break s,
            Err(e) => {
                tracing::warn!(output = %shared.label, "cannot open a UDP socket: {e}");
                if shared.picture().is_finishing() {
                    return;
                }
                tokio::time::sleep(backoff.failed(tokio::time::Instant::now())).await;
            }
        }
    };
    shared.meters.connected.set(1);
    tracing::info!(output = %shared.label, "sending CoT to the mesh");
    let mut presence_due = Timestamp::from_micros(i64::MIN);
    let mut send_errors: u64 = 0;
    loop {
        let now = picket_pipeline::wall_now();
        let mut out = Vec::new();
        if now >= presence_due {
            out.push(shared.presence(now));
            presence_due = now.plus_secs_f64(PRESENCE_PERIOD_S);
        }
        out.extend(shared.take(now).out);
        for o in &out {
            let bytes = match encode_xml(&o.event) {
                Ok(x) if x.len() <= MAX_DATAGRAM => x,
                Ok(_) | Err(_) => {
                    shared.meters.dropped.inc();
                    continue;
                }
            };
            match socket.send_to(bytes.as_bytes(), addr).await {
                Ok(_) => count_sent(&shared.meters, &[o.kind]),
                Err(e) => {
                    shared.meters.dropped.inc();
                    send_errors += 1;
                    if send_errors <= 3 || send_errors.is_multiple_of(100) {
                        tracing::warn!(output = %shared.label, "mesh datagram not sent: {e}");
                    }
                }
            }
        }
        if shared.finishing_and_idle() {
            shared.meters.connected.set(0);
            return;
        }
        let sleep = shared.sleep_for(now, presence_due);
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}
