//! The MQTT output: every alert lifecycle event published as JSON (the `docs/alerts.md`
//! schema) to `<topic_prefix>/alerts/<unit_id>`, QoS 1, not retained.
//!
//! Intake never waits on the broker: events go into the MQTT client's bounded request
//! queue with `try_publish` (full → counted and logged as dropped), and a second task
//! drives the connection, reconnecting with backoff; QoS 1 publishes not yet acknowledged
//! when a connection drops are sent again on the next one.

use picket_pipeline::Backoff;
use picket_pipeline::{Event, OutputAdapter, OutputContext};
use rumqttc::{AsyncClient, EventLoop, MqttOptions, Packet, QoS};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// After the pipeline ends, this long for the broker to acknowledge what was published.
const DRAIN: Duration = Duration::from_secs(10);

/// How an [`MqttOutput`] is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttOutputConfig {
    /// Broker host name or IP address.
    pub host: String,
    /// Broker port (1883 by default).
    pub port: u16,
    /// Topics are `<topic_prefix>/alerts/<unit_id>` (default `picket`).
    pub topic_prefix: String,
    /// MQTT client id (default `picket-<process id>`); must be unique on the broker.
    pub client_id: Option<String>,
    /// Events waiting for the broker at most; more are dropped (default 1024).
    pub queue_capacity: usize,
}

impl MqttOutputConfig {
    /// Reads `mqtt://HOST[:PORT]`; prefix `picket`, default client id, 1024 queued events.
    pub fn parse_url(url: &str) -> Result<Self, MqttConfigError> {
        let url_s = url.trim();
        let bad = |why: &'static str| MqttConfigError::BadUrl {
            url: url_s.chars().take(200).collect(),
            why,
        };
        let rest = url_s
            .strip_prefix("mqtt://")
            .ok_or_else(|| bad("does not start with mqtt://"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("does not hold a port 1-65535"))?,
            ),
            _ => (rest, 1883),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', ' ', '@', '?']) {
            return Err(bad("does not hold a host name or IP address"));
        }
        Ok(MqttOutputConfig {
            host: host.to_owned(),
            port,
            topic_prefix: "picket".to_owned(),
            client_id: None,
            queue_capacity: 1024,
        })
    }

    /// The topic of a unit's alerts.
    pub fn topic(&self, unit_id: &picket_core::UnitId) -> String {
        format!("{}/alerts/{}", self.topic_prefix, unit_id.0)
    }
}

/// Why an MQTT output cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum MqttConfigError {
    /// The URL is not `mqtt://HOST[:PORT]`.
    #[error("MQTT url `{url}` {why} — use mqtt://HOST[:PORT] (port 1883 by default)")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The topic prefix or client id cannot be used.
    #[error("MQTT {0}")]
    Setting(&'static str),
}

/// Alert lifecycle events to an MQTT broker. See the module documentation.
#[derive(Clone)]
pub struct MqttOutput {
    config: MqttOutputConfig,
}

impl fmt::Debug for MqttOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttOutput")
            .field("broker", &self.label())
            .field("topic_prefix", &self.config.topic_prefix)
            .finish()
    }
}

impl MqttOutput {
    /// Checks the settings.
    pub fn new(config: MqttOutputConfig) -> Result<Self, MqttConfigError> {
        let p = &config.topic_prefix;
        if p.is_empty() || p.contains(['+', '#', '\0']) || p.starts_with('/') || p.ends_with('/') {
            return Err(MqttConfigError::Setting(
                "topic_prefix must be non-empty, without + # or a leading/trailing /",
            ));
        }
        if let Some(id) = &config.client_id {
            if id.is_empty() || id.len() > 256 {
                return Err(MqttConfigError::Setting("client_id must be 1-256 bytes"));
            }
        }
        if config.queue_capacity == 0 {
            return Err(MqttConfigError::Setting(
                "queue capacity must be at least 1",
            ));
        }
        Ok(MqttOutput { config })
    }

    fn label(&self) -> String {
        format!("mqtt://{}:{}", self.config.host, self.config.port)
    }
}

impl OutputAdapter for MqttOutput {
    fn spawn(&self, ctx: OutputContext) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { run(me, ctx).await })
    }
}

async fn run(out: MqttOutput, ctx: OutputContext) {
    let OutputContext {
        mut events,
        metrics,
        ..
    } = ctx;
    let label = out.label();
    let l = [("output", label.as_str())];
    let published = metrics.counter(
        "picket_mqtt_published_total",
        "Alert events handed to an MQTT output's client (QoS 1).",
        &l,
    );
    let dropped = metrics.counter(
        "picket_mqtt_dropped_total",
        "Alert events an MQTT output dropped (queue full during a broker outage, or unserialisable).",
        &l,
    );
    let acked_total = metrics.counter(
        "picket_mqtt_acknowledged_total",
        "QoS 1 publishes the MQTT broker acknowledged.",
        &l,
    );
    let connected = metrics.gauge(
        "picket_mqtt_connected",
        "1 while an MQTT output is connected to its broker.",
        &l,
    );
    let c = &out.config;
    let client_id = c
        .client_id
        .clone()
        .unwrap_or_else(|| format!("picket-{}", std::process::id()));
    let mut opts = MqttOptions::new(client_id, c.host.clone(), c.port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, eventloop) = AsyncClient::new(opts, c.queue_capacity);
    let acked = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let connection = tokio::spawn(drive(
        eventloop,
        label.clone(),
        acked.clone(),
        acked_total,
        connected,
        stop_rx,
    ));
    let mut sent = 0u64;
    while let Some(ev) = events.recv().await {
        let Event::Alert(alert) = &*ev else { continue };
        let body = match serde_json::to_vec(alert) {
            Ok(b) => b,
            Err(e) => {
                dropped.inc();
                tracing::error!(output = %label, "alert {} not serialisable: {e}", alert.alert_id.0);
                continue;
            }
        };
        match client.try_publish(c.topic(&alert.unit_id), QoS::AtLeastOnce, false, body) {
            Ok(()) => {
                sent += 1;
                published.inc();
            }
            Err(e) => {
                dropped.inc();
                tracing::warn!(output = %label, "alert {} {} not published: {e}", alert.alert_id.0, alert.state.as_str());
            }
        }
    }
    // The pipeline is over: give the broker a bounded time to acknowledge the rest.
    let until = Instant::now() + DRAIN;
    while acked.load(Ordering::Relaxed) < sent && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let missing = sent.saturating_sub(acked.load(Ordering::Relaxed));
    if missing > 0 {
        tracing::warn!(output = %label, "{missing} alert events not acknowledged by the broker at shutdown");
    }
    let _ = client.try_disconnect();
    // Let the disconnect go out, then stop the connection task.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = stop_tx.send(true);
    let _ = connection.await;
}

async fn drive(
    mut eventloop: EventLoop,
    label: String,
    acked: Arc<AtomicU64>,
    acked_total: picket_pipeline::metrics::Counter,
    connected: picket_pipeline::metrics::Gauge,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new();
    loop {
        let r = tokio::select! {
            r = eventloop.poll() => r,
            _ = stop.changed() => break,
        };
        match r {
            Ok(rumqttc::Event::Incoming(Packet::ConnAck(_))) => {
                connected.set(1);
                backoff.connected(tokio::time::Instant::now());
                tracing::info!(output = %label, "connected to the MQTT broker");
            }
            Ok(rumqttc::Event::Incoming(Packet::PubAck(_))) => {
                acked.fetch_add(1, Ordering::Relaxed);
                acked_total.inc();
            }
            Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => break,
            Ok(_) => {}
            Err(e) => {
                connected.set(0);
                let wait = backoff.failed(tokio::time::Instant::now());
                tracing::warn!(output = %label, "MQTT connection: {e}; reconnecting in {wait:?}");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => break,
                }
            }
        }
    }
    connected.set(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_and_port_with_1883_by_default() {
        let c = MqttOutputConfig::parse_url("mqtt://broker.local").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("broker.local", 1883));
        let c = MqttOutputConfig::parse_url("mqtt://127.0.0.1:1884/").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 1884));
        let c = MqttOutputConfig::parse_url("mqtt://[::1]:1883").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 1883));
        assert_eq!(c.topic_prefix, "picket");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, why) in [
            ("tcp://h:1883", "mqtt://"),
            ("mqtt://h:0", "port 1-65535"),
            ("mqtt://h:x", "port 1-65535"),
            ("mqtt://", "host name"),
        ] {
            let e = MqttOutputConfig::parse_url(url).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
        }
    }

    #[test]
    fn topics_are_prefix_alerts_unit_and_wildcards_are_refused() {
        let mut c = MqttOutputConfig::parse_url("mqtt://h").unwrap();
        c.topic_prefix = "border/naco".into();
        assert_eq!(
            c.topic(&picket_core::UnitId("post-alpha".into())),
            "border/naco/alerts/post-alpha"
        );
        for bad in ["", "a/#", "+", "/a", "a/"] {
            c.topic_prefix = bad.into();
            assert!(MqttOutput::new(c.clone()).is_err(), "{bad}");
        }
    }
}
