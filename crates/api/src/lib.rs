//! Picket's HTTP API (REST + WebSocket) and the web console's static files.
//!
//! Every API route and the event stream need a bearer token (no anonymous access); what a
//! caller sees is filtered by their sectors (officer positions are need-to-know), and what
//! they look at or do is written to the audit log. Owns the JSON shapes of the API.
//! Not for: fusion or assessment internals, token storage (behind the [`Auth`] trait).
#![deny(missing_docs)]

mod routes;
mod tasks;
mod ws;

use picket_core::Principal;
use picket_pipeline::{Command, Event, Metrics, SharedState};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, watch};

/// Checks tokens and records the audit log (implemented over the store by the binary).
pub trait Auth: Send + Sync {
    /// The principal a bearer token belongs to, or `None`.
    fn authenticate(&self, token: &str) -> Option<Principal>;
    /// Record who saw or did what.
    fn audit(&self, who: &str, action: &str, detail: &str);
}

/// What the API serves from.
#[derive(Clone)]
pub struct ApiContext {
    /// The live picture.
    pub state: SharedState,
    /// Commands to the alerting stage.
    pub commands: mpsc::Sender<Command>,
    /// Live events.
    pub events: broadcast::Sender<Arc<Event>>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Token checks and audit.
    pub auth: Arc<dyn Auth>,
    /// Directory of the console's files (`index.html`, `app.js`, `node_modules/leaflet`).
    pub web_root: Option<PathBuf>,
    /// Turns true at shutdown: open event streams close (they would otherwise keep the
    /// pipeline's channels, and so the process, alive).
    pub shutdown: watch::Receiver<bool>,
    /// True once a pipeline stage crashed: `/healthz` then answers 503.
    pub failed: watch::Receiver<bool>,
    /// Sensors that take tasks (look-at), reached through their input adapters.
    pub tasking: picket_pipeline::Tasking,
}

/// The router with every route.
pub fn router(ctx: ApiContext) -> axum::Router {
    routes::router(ctx)
}

/// Serve until `shutdown` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: ApiContext,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router(ctx))
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await
}
