//! SAPIENT (BSI Flex 335 v2.0) fusion node: sensors connect over TCP, register, report status
//! and detections. One `picket_sapient::Session` per connection; malformed input gets an Error
//! reply and is counted, and the connection survives.
//!
//! Tasks: with a [`Tasking`] handle the server takes look-at tasks for its sensor (from the
//! API), sends each as a SAPIENT Task to the registered node it names (or the only one) and
//! answers with the node's TaskAck. A node id belongs to the connection that registered it
//! while that connection lives: another connection registering the same id is refused.

use picket_core::{Input, SensorId};
use picket_pipeline::{AdapterContext, LiveAdapter, TaskAck, TaskError, TaskRequest, Tasking};
use picket_sapient::session::{Event, Session};
use picket_sapient::{Content, MappingOptions};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// Connections beyond this are refused: a flood of sockets must not exhaust the node.
const MAX_CONNECTIONS: usize = 64;
/// A new connection must register within this.
const REGISTER_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);
/// A registered node silent for this long is disconnected (it may reconnect).
const SILENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);
/// Tasks sent to one node and not yet acknowledged, at most.
const MAX_PENDING_TASKS: usize = 16;

/// Registered nodes that take tasks: node id → its connection's task queue.
type Nodes = Arc<Mutex<BTreeMap<String, mpsc::Sender<TaskRequest>>>>;

/// Picket as a SAPIENT fusion node listening on `listen`.
#[derive(Debug, Clone)]
pub struct SapientServer {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// This fusion node's UUID (sent as `node_id` in replies).
    pub node_id: String,
    /// Where the server takes tasks for its sensor (none: it takes none).
    pub tasking: Option<Tasking>,
}

impl LiveAdapter for SapientServer {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { me.serve(ctx).await })
    }
}

impl SapientServer {
    async fn serve(self, ctx: AdapterContext) {
        let AdapterContext {
            sink, mut shutdown, ..
        } = ctx;
        let listener = match TcpListener::bind(self.listen).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(sensor = %sink.sensor_id(), addr = %self.listen, "cannot listen for SAPIENT sensors: {e}");
                return;
            }
        };
        tracing::info!(sensor = %sink.sensor_id(), addr = %self.listen, "SAPIENT fusion node listening");
        let open = Arc::new(AtomicUsize::new(0));
        let mut conns = tokio::task::JoinSet::new();
        let nodes: Nodes = Arc::default();
        let mut tasks = self
            .tasking
            .as_ref()
            .map(|t| t.register(sink.sensor_id().clone()));
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                Some(req) = next_task(&mut tasks) => route_task(req, &nodes, sink.sensor_id()),
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    // Reap finished connections so a connect/disconnect loop holds no memory.
                    while conns.try_join_next().is_some() {}
                    if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                        sink.reject("too many connections", &format!("refused {peer}"));
                        continue;
                    }
                    open.fetch_add(1, Ordering::Relaxed);
                    let (sink, node_id, open, shutdown, nodes) = (sink.clone(), self.node_id.clone(), open.clone(), shutdown.clone(), nodes.clone());
                    conns.spawn(async move {
                        connection(stream, peer, sink, &node_id, shutdown, nodes).await;
                        open.fetch_sub(1, Ordering::Relaxed);
                    });
                }
            }
        }
        conns.shutdown().await;
    }
}

/// The next task request, or never when the server takes no tasks.
async fn next_task(rx: &mut Option<mpsc::Receiver<TaskRequest>>) -> Option<TaskRequest> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Hands a task to the connection of the node it names, or of the only registered node.
fn route_task(req: TaskRequest, nodes: &Nodes, sensor: &SensorId) {
    let target = {
        let Ok(nodes) = nodes.lock() else { return };
        match &req.look_at.node_id {
            Some(id) => nodes
                .get(id)
                .cloned()
                .ok_or_else(|| TaskError::UnknownNode(id.clone())),
            None => match nodes.len() {
                0 => Err(TaskError::NoNode(sensor.clone())),
                1 => Ok(nodes.values().next().cloned().expect("one node")),
                _ => Err(TaskError::Ambiguous(nodes.keys().cloned().collect())),
            },
        }
    };
    let tx = match target {
        Ok(tx) => tx,
        Err(e) => {
            let _ = req.reply.send(Err(e));
            return;
        }
    };
    if let Err(e) = tx.try_send(req) {
        let (req, err) = match e {
            mpsc::error::TrySendError::Full(r) => (r, TaskError::Busy),
            mpsc::error::TrySendError::Closed(r) => (r, TaskError::Disconnected),
        };
        let _ = req.reply.send(Err(err));
    }
}

/// Tasks sent on one connection, waiting for their TaskAck.
type Pending = HashMap<String, oneshot::Sender<Result<TaskAck, TaskError>>>;

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    sink: picket_pipeline::InputSink,
    node_id: &str,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    nodes: Nodes,
) {
    let mut session = Session::new(node_id, sink.sensor_id().clone(), MappingOptions::default());
    let mut buf = vec![0u8; 64 * 1024];
    tracing::info!(sensor = %sink.sensor_id(), %peer, "SAPIENT sensor connected");
    let (task_tx, mut task_rx) = mpsc::channel::<TaskRequest>(MAX_PENDING_TASKS);
    let mut pending = Pending::new();
    let mut registered_as: Option<String> = None;
    handle(
        &mut stream,
        peer,
        &sink,
        node_id,
        &mut shutdown,
        &mut session,
        &mut buf,
        &task_tx,
        &mut task_rx,
        &mut pending,
        &nodes,
        &mut registered_as,
    )
    .await;
    if let (Some(id), Ok(mut n)) = (&registered_as, nodes.lock()) {
        // Only our own entry: the node may already have reconnected on another socket.
        if n.get(id).is_some_and(|tx| tx.same_channel(&task_tx)) {
            n.remove(id);
        }
    }
    for (_, reply) in pending.drain() {
        let _ = reply.send(Err(TaskError::Disconnected));
    }
    sink.announce(false, format!("SAPIENT node {peer} disconnected"));
    tracing::info!(sensor = %sink.sensor_id(), %peer, "SAPIENT sensor disconnected");
}

/// Claims `id` in the registry for this connection (whose task queue is `task_tx`) when a
/// valid Registration names it. An id live on another connection stays that connection's: the
/// claim is refused (the node gets a rejecting RegistrationAck) so a second socket cannot
/// take over a live node's tasks. A connection registering again under a new id gives up
/// its old one (only if the entry is still its own).
fn claim_node(
    nodes: &Nodes,
    task_tx: &mpsc::Sender<TaskRequest>,
    registered_as: &mut Option<String>,
    id: &str,
) -> Result<(), String> {
    let mut n = nodes
        .lock()
        .map_err(|_| "node registry unavailable".to_owned())?;
    if let Some(held) = n.get(id) {
        // A closed queue is a connection that has ended without cleaning up: free to take.
        if !held.same_channel(task_tx) && !held.is_closed() {
            return Err(format!(
                "node id {id} is already registered on another connection"
            ));
        }
    }
    if let Some(old) = registered_as.take() {
        if old != id && n.get(&old).is_some_and(|tx| tx.same_channel(task_tx)) {
            n.remove(&old);
        }
    }
    n.insert(id.to_owned(), task_tx.clone());
    *registered_as = Some(id.to_owned());
    Ok(())
}

/// Sends one task to the node and remembers it until its TaskAck; false when the socket failed.
async fn send_task(
    stream: &mut TcpStream,
    own_node_id: &str,
    session: &Session,
    req: TaskRequest,
    pending: &mut Pending,
) -> bool {
    let Some(peer_node) = session.profile().map(|p| p.node_id.clone()) else {
        let _ = req.reply.send(Err(TaskError::Disconnected));
        return true;
    };
    // Requests whose asker gave up hold no slot.
    pending.retain(|_, r| !r.is_closed());
    if pending.len() >= MAX_PENDING_TASKS {
        let _ = req.reply.send(Err(TaskError::Busy));
        return true;
    }
    let l = &req.look_at;
    let msg = picket_sapient::look_at_task(
        own_node_id,
        &peer_node,
        crate::wall_now(),
        &l.task_id,
        l.target,
    );
    let Ok(frame) = picket_sapient::encode_frame(&msg) else {
        let _ = req.reply.send(Err(TaskError::Disconnected));
        return true;
    };
    if stream.write_all(&frame).await.is_err() {
        let _ = req.reply.send(Err(TaskError::Disconnected));
        return false;
    }
    pending.insert(l.task_id.clone(), req.reply);
    true
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    stream: &mut TcpStream,
    peer: SocketAddr,
    sink: &picket_pipeline::InputSink,
    node_id: &str,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
    session: &mut Session,
    buf: &mut [u8],
    task_tx: &mpsc::Sender<TaskRequest>,
    task_rx: &mut mpsc::Receiver<TaskRequest>,
    pending: &mut Pending,
    nodes: &Nodes,
    registered_as: &mut Option<String>,
) {
    loop {
        // An idle peer must not hold one of the limited connection slots: a node registers
        // within REGISTER_WITHIN and then reports at least every SILENCE_LIMIT.
        let limit = if session.profile().is_some() {
            SILENCE_LIMIT
        } else {
            REGISTER_WITHIN
        };
        let n = tokio::select! {
            _ = shutdown.changed() => return,
            Some(req) = task_rx.recv() => {
                if !send_task(stream, node_id, session, req, pending).await {
                    return;
                }
                continue;
            }
            r = tokio::time::timeout(limit, stream.read(buf)) => match r {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(n)) => n,
                Err(_) => {
                    sink.reject("sapient idle", &format!("{peer}: nothing for {limit:?}; closing"));
                    return;
                }
            },
        };
        let mut claim = |id: &str| claim_node(nodes, task_tx, registered_as, id);
        for ev in session.on_bytes_with(&buf[..n], crate::wall_now(), &mut claim) {
            match ev {
                Event::Reply(frame) => {
                    if stream.write_all(&frame).await.is_err() {
                        return;
                    }
                }
                Event::Observation(o) => {
                    if !sink.send(Input::Observation(o.observation)).await {
                        return;
                    }
                }
                Event::Rejected { reason } => sink.reject("sapient", &format!("{peer}: {reason}")),
                Event::Registered(profile) => {
                    // The registry entry was claimed (claim_node) before the node was acked.
                    sink.announce(true, format!("SAPIENT node {peer} registered"));
                    tracing::info!(sensor = %sink.sensor_id(), %peer, "SAPIENT node registered: {profile:?}");
                }
                Event::Status { position, .. } => {
                    tracing::debug!(sensor = %sink.sensor_id(), %peer, ?position, "SAPIENT status report");
                }
                Event::Other(msg) => match msg.content {
                    Some(Content::TaskAck(ack)) => {
                        let id = ack.task_id.clone().unwrap_or_default();
                        match pending.remove(&id) {
                            Some(reply) => {
                                let _ = reply.send(Ok(TaskAck {
                                    task_id: id,
                                    node_id: msg.node_id.clone().unwrap_or_default(),
                                    status: picket_sapient::task_status_name(ack.task_status)
                                        .to_owned(),
                                    reasons: ack.reason,
                                }));
                            }
                            None => {
                                tracing::debug!(sensor = %sink.sensor_id(), %peer, task = %id, "TaskAck for no task waiting")
                            }
                        }
                    }
                    Some(Content::Alert(a)) => {
                        tracing::info!(sensor = %sink.sensor_id(), %peer, alert = ?a.alert_id, description = ?a.description, "SAPIENT alert from a sensor (acknowledged)");
                    }
                    _ => {}
                },
            }
        }
    }
}
