//! SAPIENT (BSI Flex 335 v2.0) fusion node: sensors connect over TCP, register, report status
//! and detections. One `picket_sapient::Session` per connection; malformed input gets an Error
//! reply and is counted, and the connection survives.

use picket_core::Input;
use picket_pipeline::{AdapterContext, LiveAdapter};
use picket_sapient::session::{Event, Session};
use picket_sapient::MappingOptions;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Connections beyond this are refused: a flood of sockets must not exhaust the node.
const MAX_CONNECTIONS: usize = 64;
/// A new connection must register within this.
const REGISTER_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);
/// A registered node silent for this long is disconnected (it may reconnect).
const SILENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Picket as a SAPIENT fusion node listening on `listen`.
#[derive(Debug, Clone)]
pub struct SapientServer {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// This fusion node's UUID (sent as `node_id` in replies).
    pub node_id: String,
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
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    // Reap finished connections so a connect/disconnect loop holds no memory.
                    while conns.try_join_next().is_some() {}
                    if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                        sink.reject("too many connections", &format!("refused {peer}"));
                        continue;
                    }
                    open.fetch_add(1, Ordering::Relaxed);
                    let (sink, node_id, open, shutdown) = (sink.clone(), self.node_id.clone(), open.clone(), shutdown.clone());
                    conns.spawn(async move {
                        connection(stream, peer, sink, &node_id, shutdown).await;
                        open.fetch_sub(1, Ordering::Relaxed);
                    });
                }
            }
        }
        conns.shutdown().await;
    }
}

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    sink: picket_pipeline::InputSink,
    node_id: &str,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut session = Session::new(node_id, sink.sensor_id().clone(), MappingOptions::default());
    let mut buf = vec![0u8; 64 * 1024];
    tracing::info!(sensor = %sink.sensor_id(), %peer, "SAPIENT sensor connected");
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
            r = tokio::time::timeout(limit, stream.read(&mut buf)) => match r {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => n,
                Err(_) => {
                    sink.reject("sapient idle", &format!("{peer}: nothing for {limit:?}; closing"));
                    break;
                }
            },
        };
        for ev in session.on_bytes(&buf[..n], crate::wall_now()) {
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
                    sink.announce(true, format!("SAPIENT node {peer} registered"));
                    tracing::info!(sensor = %sink.sensor_id(), %peer, "SAPIENT node registered: {profile:?}");
                }
                Event::Status { position, .. } => {
                    tracing::debug!(sensor = %sink.sensor_id(), %peer, ?position, "SAPIENT status report");
                }
                Event::Other(_) => {}
            }
        }
    }
    sink.announce(false, format!("SAPIENT node {peer} disconnected"));
    tracing::info!(sensor = %sink.sensor_id(), %peer, "SAPIENT sensor disconnected");
}
