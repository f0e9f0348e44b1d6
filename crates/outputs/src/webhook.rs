//! The webhook output: every alert lifecycle event POSTed as JSON (the `docs/alerts.md`
//! schema), signed with HMAC-SHA256, retried with backoff, in order, and written to a
//! dead-letter file when it cannot be delivered.
//!
//! Two tasks: intake takes events from the pipeline and never waits on the network (a
//! slow or failing receiver must not hold up alerting); delivery sends one event at a time
//! (order per webhook) from a bounded queue between them.

use hmac::{Hmac, Mac};
use picket_core::AlertEvent;
use picket_pipeline::metrics::Counter;
use picket_pipeline::{wall_now, Event, OutputAdapter, OutputContext};
use sha2::Sha256;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Mutex};

/// After the pipeline ends, this long to deliver what is still queued; the rest is
/// dead-lettered so that shutdown is never held up by a dead receiver.
const DRAIN: Duration = Duration::from_secs(10);
/// Longest a receiver may take to answer one POST.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared secret the signatures are made with.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Reads the secret from the environment variable `name` (secrets stay out of config
    /// files). Missing or empty is an error naming the variable.
    pub fn from_env(name: &str) -> Result<Self, WebhookConfigError> {
        match std::env::var_os(name) {
            Some(v) if !v.is_empty() => Ok(WebhookSecret(v.as_encoded_bytes().to_vec())),
            _ => Err(WebhookConfigError::SecretMissing(name.to_owned())),
        }
    }

    /// A secret given directly (tests, embedding).
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        WebhookSecret(bytes.into())
    }

    /// `sha256=<hex HMAC-SHA256 of body>`, the `X-Picket-Signature` header value.
    pub fn signature(&self, body: &[u8]) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(body);
        let tag = mac.finalize().into_bytes();
        let mut s = String::with_capacity(7 + 64);
        s.push_str("sha256=");
        for b in tag {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// How a [`WebhookOutput`] is set up.
#[derive(Clone, Debug)]
pub struct WebhookOutputConfig {
    /// Where to POST (`http://` or `https://`).
    pub url: String,
    /// Signs every body.
    pub secret: WebhookSecret,
    /// JSON-lines file for events that could not be delivered.
    pub dead_letter: PathBuf,
    /// Attempts per event, the first included (default 8).
    pub max_attempts: u32,
    /// Wait before the first retry; doubles each time (default 0.5 s).
    pub min_backoff: Duration,
    /// Longest wait between two attempts (default 30 s).
    pub max_backoff: Duration,
    /// Events waiting for delivery at most; more are dead-lettered (default 1024).
    pub queue_capacity: usize,
}

impl WebhookOutputConfig {
    /// Defaults: 8 attempts, 0.5 s → 30 s backoff, 1024 queued events.
    pub fn new(url: impl Into<String>, secret: WebhookSecret, dead_letter: PathBuf) -> Self {
        WebhookOutputConfig {
            url: url.into(),
            secret,
            dead_letter,
            max_attempts: 8,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            queue_capacity: 1024,
        }
    }
}

/// Why a webhook output cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum WebhookConfigError {
    /// The secret's environment variable is not set.
    #[error("webhook secret: environment variable `{0}` is not set or empty (set it to the shared secret before starting Picket)")]
    SecretMissing(String),
    /// The URL is not an http(s) URL.
    #[error("webhook url `{url}` {why} — use http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A setting is out of range.
    #[error("webhook {0}")]
    Setting(&'static str),
    /// The dead-letter file cannot be opened for appending.
    #[error("cannot open the webhook dead-letter file `{path}`: {source}")]
    DeadLetter {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP client could not be built.
    #[error("webhook HTTP client: {0}")]
    Client(String),
}

/// Alert lifecycle events to an HTTP endpoint. See the module documentation.
#[derive(Clone)]
pub struct WebhookOutput {
    config: WebhookOutputConfig,
    url: reqwest::Url,
    client: reqwest::Client,
}

impl fmt::Debug for WebhookOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookOutput")
            .field("url", &label(&self.url))
            .finish()
    }
}

/// The URL without credentials, query or fragment (they may hold tokens), for logs and
/// metric labels.
fn label(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

impl WebhookOutput {
    /// Checks the settings, opens the dead-letter file and builds the HTTP client (errors
    /// now, not at the first alert).
    pub fn new(config: WebhookOutputConfig) -> Result<Self, WebhookConfigError> {
        let shown: String = config.url.trim().chars().take(200).collect();
        let url =
            reqwest::Url::parse(config.url.trim()).map_err(|_| WebhookConfigError::BadUrl {
                url: shown.clone(),
                why: "is not a URL",
            })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookConfigError::BadUrl {
                url: shown,
                why: "has a scheme other than http or https",
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(WebhookConfigError::BadUrl {
                url: shown,
                why: "has no host",
            });
        }
        if config.max_attempts == 0 {
            return Err(WebhookConfigError::Setting(
                "max_attempts must be at least 1",
            ));
        }
        if config.queue_capacity == 0 {
            return Err(WebhookConfigError::Setting(
                "queue capacity must be at least 1",
            ));
        }
        if config.min_backoff.is_zero() || config.max_backoff < config.min_backoff {
            return Err(WebhookConfigError::Setting(
                "backoff must be positive, its maximum at least its minimum",
            ));
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.dead_letter)
            .map_err(|source| WebhookConfigError::DeadLetter {
                path: config.dead_letter.clone(),
                source,
            })?;
        let tls = tls_config().map_err(|e| WebhookConfigError::Client(e.to_string()))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(REQUEST_TIMEOUT)
            // A redirected POST may turn into a GET without the body; a 3xx is a
            // misconfigured URL, reported (dead-lettered), not followed.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("picket/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookConfigError::Client(e.to_string()))?;
        Ok(WebhookOutput {
            config,
            url,
            client,
        })
    }
}

/// rustls with the ring provider (no aws-lc) and the system's trust store.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_platform_verifier()?
    .with_no_client_auth())
}

/// `X-Picket-Event-Id`: the same for every attempt at one event, so receivers can drop
/// duplicates (a retry after a lost answer).
pub fn event_id(ev: &AlertEvent) -> String {
    format!(
        "{}-{}-{}",
        ev.alert_id.0,
        ev.state.as_str(),
        ev.time.to_rfc3339()
    )
}

/// One event ready to send.
struct Job {
    id: String,
    body: Vec<u8>,
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    /// Worth trying again (connection error, 5xx, 429).
    Retry(String),
    /// Not worth trying again (other 4xx and the like).
    Permanent(String),
}

struct Meters {
    delivered: Counter,
    retries: Counter,
    dead: Counter,
}

struct Worker {
    config: WebhookOutputConfig,
    url: reqwest::Url,
    client: reqwest::Client,
    label: String,
    dead_letter: Mutex<()>,
    meters: Meters,
}

impl Worker {
    async fn attempt(&self, job: &Job) -> Attempt {
        let r = self
            .client
            .post(self.url.clone())
            .header("Content-Type", "application/json")
            .header(
                "X-Picket-Signature",
                self.config.secret.signature(&job.body),
            )
            .header("X-Picket-Event-Id", &job.id)
            .body(job.body.clone())
            .send()
            .await;
        match r {
            Ok(resp) => {
                let s = resp.status();
                if s.is_success() {
                    Attempt::Delivered
                } else if s.is_server_error() || s.as_u16() == 429 {
                    Attempt::Retry(format!("HTTP {s}"))
                } else {
                    Attempt::Permanent(format!("HTTP {s}"))
                }
            }
            Err(e) => Attempt::Retry(format!("{e}")),
        }
    }

    /// Delivers one event, retrying with backoff; dead-letters it if that fails or if the
    /// drain deadline passes.
    async fn deliver(&self, job: Job, deadline: &tokio::sync::watch::Receiver<Option<Instant>>) {
        let mut deadline = deadline.clone();
        let mut backoff = self.config.min_backoff;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let why = match self.attempt(&job).await {
                Attempt::Delivered => {
                    self.meters.delivered.inc();
                    return;
                }
                Attempt::Permanent(why) => {
                    return self
                        .dead_letter(&job, &format!("refused: {why}"), attempts)
                        .await
                }
                Attempt::Retry(why) => why,
            };
            if attempts >= self.config.max_attempts {
                return self
                    .dead_letter(
                        &job,
                        &format!("gave up after {attempts} attempts: {why}"),
                        attempts,
                    )
                    .await;
            }
            let wake = Instant::now() + backoff;
            let past = |d: &Option<Instant>| d.is_some_and(|d| wake > d);
            let mut past_deadline = past(&deadline.borrow_and_update());
            if !past_deadline {
                tracing::warn!(output = %self.label, event = %job.id, "webhook attempt {attempts} failed ({why}); retrying in {backoff:?}");
                // The pipeline may end while we wait: do not sleep past its drain deadline.
                tokio::select! {
                    _ = tokio::time::sleep_until(wake.into()) => {}
                    _ = deadline.changed() => {
                        past_deadline = past(&deadline.borrow_and_update());
                        if !past_deadline {
                            tokio::time::sleep_until(wake.into()).await;
                        }
                    }
                }
            }
            if past_deadline {
                return self
                    .dead_letter(
                        &job,
                        &format!("not delivered before shutdown: {why}"),
                        attempts,
                    )
                    .await;
            }
            self.meters.retries.inc();
            backoff = (backoff * 2).min(self.config.max_backoff);
        }
    }

    /// Appends one line `{"time","url","event_id","attempts","reason","event"}`.
    async fn dead_letter(&self, job: &Job, reason: &str, attempts: u32) {
        self.meters.dead.inc();
        tracing::error!(output = %self.label, event = %job.id, "webhook event dead-lettered to {}: {reason}", self.config.dead_letter.display());
        let event: serde_json::Value =
            serde_json::from_slice(&job.body).unwrap_or(serde_json::Value::Null);
        let line = serde_json::json!({
            "time": wall_now().to_rfc3339(),
            "url": self.label,
            "event_id": job.id,
            "attempts": attempts,
            "reason": reason,
            "event": event,
        });
        let mut text = line.to_string();
        text.push('\n');
        let _guard = self.dead_letter.lock().await;
        if let Err(e) = append(&self.config.dead_letter, text.as_bytes()).await {
            tracing::error!(output = %self.label, event = %job.id, "cannot write the dead-letter file {}: {e}; the event is lost", self.config.dead_letter.display());
        }
    }
}

async fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await?;
    f.write_all(bytes).await?;
    f.flush().await
}

impl OutputAdapter for WebhookOutput {
    fn spawn(&self, ctx: OutputContext) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { run(me, ctx).await })
    }
}

async fn run(out: WebhookOutput, ctx: OutputContext) {
    let OutputContext {
        mut events,
        metrics,
        mut shutdown,
        ..
    } = ctx;
    let label = label(&out.url);
    let l = [("output", label.as_str())];
    let worker = Arc::new(Worker {
        meters: Meters {
            delivered: metrics.counter(
                "picket_webhook_delivered_total",
                "Alert events a webhook receiver accepted (2xx).",
                &l,
            ),
            retries: metrics.counter(
                "picket_webhook_retries_total",
                "Webhook attempts that failed and were retried.",
                &l,
            ),
            dead: metrics.counter(
                "picket_webhook_dead_lettered_total",
                "Alert events written to a webhook's dead-letter file instead of delivered.",
                &l,
            ),
        },
        label,
        dead_letter: Mutex::new(()),
        url: out.url,
        client: out.client,
        config: out.config,
    });
    let (tx, mut rx) = mpsc::channel::<Job>(worker.config.queue_capacity);
    // Set once the pipeline is over: delivery stops retrying past it.
    let (deadline_tx, deadline_rx) = tokio::sync::watch::channel::<Option<Instant>>(None);
    let delivery = {
        let worker = worker.clone();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let past = deadline_rx.borrow().is_some_and(|d| Instant::now() > d);
                if past {
                    worker
                        .dead_letter(&job, "not delivered before shutdown", 0)
                        .await;
                } else {
                    worker.deliver(job, &deadline_rx).await;
                }
            }
        })
    };
    let mut shutting_down = false;
    loop {
        let ev = tokio::select! {
            ev = events.recv() => ev,
            // At shutdown the pipeline closes the channel; keep reading until it does.
            r = shutdown.changed(), if !shutting_down => {
                shutting_down = true;
                if r.is_err() || *shutdown.borrow() {
                    let _ = deadline_tx.send(Some(Instant::now() + DRAIN));
                }
                continue;
            }
        };
        let Some(ev) = ev else { break };
        let Event::Alert(alert) = &*ev else { continue };
        let body = match serde_json::to_vec(alert) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(output = %worker.label, "alert {} not serialisable: {e}", alert.alert_id.0);
                continue;
            }
        };
        let job = Job {
            id: event_id(alert),
            body,
        };
        match tx.try_send(job) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(job)) => {
                worker.dead_letter(&job, "queue full", 0).await
            }
            Err(mpsc::error::TrySendError::Closed(job)) => {
                worker.dead_letter(&job, "delivery task ended", 0).await
            }
        }
    }
    drop(tx);
    let _ = deadline_tx.send(Some(Instant::now() + DRAIN));
    let _ = delivery.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let s = WebhookSecret::from_bytes("Jefe").signature(b"what do ya want for nothing?");
        assert_eq!(
            s,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_missing_secret_variable_is_named_in_the_error() {
        let e = WebhookSecret::from_env("PICKET_TEST_SURELY_UNSET_WEBHOOK_SECRET")
            .unwrap_err()
            .to_string();
        assert!(e.contains("PICKET_TEST_SURELY_UNSET_WEBHOOK_SECRET"), "{e}");
    }

    #[test]
    fn bad_urls_and_settings_are_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let dl = dir.path().join("dl.jsonl");
        let s = WebhookSecret::from_bytes("k");
        for url in ["ftp://h/x", "not a url", "http://"] {
            let e = WebhookOutput::new(WebhookOutputConfig::new(url, s.clone(), dl.clone()));
            assert!(matches!(e, Err(WebhookConfigError::BadUrl { .. })), "{url}");
        }
        let mut c = WebhookOutputConfig::new("http://127.0.0.1:1/x", s.clone(), dl.clone());
        c.max_attempts = 0;
        assert!(matches!(
            WebhookOutput::new(c),
            Err(WebhookConfigError::Setting(_))
        ));
        let c = WebhookOutputConfig::new("http://127.0.0.1:1/x", s, dir.path().join("no/such/dl"));
        assert!(matches!(
            WebhookOutput::new(c),
            Err(WebhookConfigError::DeadLetter { .. })
        ));
    }

    #[test]
    fn labels_hide_credentials_and_query() {
        let u = reqwest::Url::parse("https://user:pw@h.example/hook?token=abc").unwrap();
        assert_eq!(label(&u), "https://h.example/hook");
    }
}
