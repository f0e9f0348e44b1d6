//! The webhook output against a local HTTP receiver: signed bodies, retries on 5xx, order
//! kept, and refused events in the dead-letter file.

use super::{naco_now, run_scenario};
use hmac::{Hmac, Mac};
use picket_core::{AlertEvent, AlertState};
use picket_outputs::{event_id, WebhookOutput, WebhookOutputConfig, WebhookSecret};
use picket_pipeline::{OutputSink, Pace};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "correct horse battery staple";

/// One POST as the receiver saw it.
#[derive(Clone, Debug)]
struct Request {
    signature: Option<String>,
    event_id: Option<String>,
    body: Vec<u8>,
    /// What the receiver answered.
    status: u16,
}

/// A minimal HTTP/1.1 receiver: `answer(n)` gives the status of the n-th request (0-based).
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    async fn start(answer: fn(usize) -> u16) -> Self {
        Self::start_slow(answer, Duration::ZERO).await
    }

    /// Like `start`, taking `delay` before each answer.
    async fn start_slow(answer: fn(usize) -> u16, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        tokio::spawn(async move {
            loop {
                let Ok((s, _)) = listener.accept().await else {
                    return;
                };
                let g = g.clone();
                tokio::spawn(async move { serve(s, g, answer, delay).await });
            }
        });
        Receiver { port, got }
    }

    fn requests(&self) -> Vec<Request> {
        self.got.lock().unwrap().clone()
    }
}

async fn serve(
    mut s: TcpStream,
    got: Arc<Mutex<Vec<Request>>>,
    answer: fn(usize) -> u16,
    delay: Duration,
) {
    let mut buf = Vec::new();
    loop {
        // Read one request: headers, then Content-Length bytes of body.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        assert!(head.starts_with("POST "), "{head}");
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .expect("a Content-Length");
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[head_end..head_end + len].to_vec();
        buf.drain(..head_end + len);
        let status = {
            let mut g = got.lock().unwrap();
            let status = answer(g.len());
            g.push(Request {
                signature: header("x-picket-signature"),
                event_id: header("x-picket-event-id"),
                body,
                status,
            });
            status
        };
        tokio::time::sleep(delay).await;
        let reply = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
        if s.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn hmac_hex(body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn output(port: u16, dead_letter: std::path::PathBuf) -> WebhookOutput {
    let mut c = WebhookOutputConfig::new(
        format!("http://127.0.0.1:{port}/picket/alerts"),
        WebhookSecret::from_bytes(SECRET),
        dead_letter,
    );
    c.min_backoff = Duration::from_millis(100);
    c.max_backoff = Duration::from_millis(400);
    c.max_attempts = 4;
    WebhookOutput::new(c).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_retries_after_a_500_and_delivers_every_alert_signed_and_in_order() {
    // The first delivery fails with 500, everything after succeeds.
    let rx = Receiver::start(|n| if n == 0 { 500 } else { 200 }).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dead.jsonl");
    let s = naco_now();
    let out = output(rx.port, dl.clone());
    // The pipeline's own alerts file gives the order alerting produced.
    let jsonl = dir.path().join("alerts.jsonl");
    let (metrics, _) = run_scenario(
        &s,
        vec![
            OutputSink::AlertsJsonl(jsonl.clone()),
            OutputSink::Adapter(Arc::new(out)),
        ],
        Pace::Max,
    )
    .await;

    let reqs = rx.requests();
    assert!(reqs.len() >= 3, "only {} requests", reqs.len());
    assert_eq!(reqs[0].status, 500);
    // The failed first event is retried, with the same body and the same event id.
    assert_eq!(
        reqs[1].body, reqs[0].body,
        "the retry re-sends the first event"
    );
    assert_eq!(reqs[1].event_id, reqs[0].event_id);

    for r in &reqs {
        let sig = r.signature.as_deref().expect("X-Picket-Signature");
        assert_eq!(sig, format!("sha256={}", hmac_hex(&r.body)), "signature");
        let ev: AlertEvent = serde_json::from_slice(&r.body).expect("body is an AlertEvent");
        assert_eq!(r.event_id.as_deref(), Some(event_id(&ev).as_str()));
    }
    // Delivered = every 200, exactly once each, in the pipeline's order.
    let delivered: Vec<AlertEvent> = reqs
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let raised = delivered
        .iter()
        .filter(|e| e.state == AlertState::Raised)
        .count();
    assert!(raised >= 1, "the scenario raises alerts");
    assert_eq!(
        metrics.counter_sum("picket_webhook_delivered_total"),
        delivered.len() as u64
    );
    assert_eq!(metrics.counter_sum("picket_webhook_retries_total"), 1);
    // Per alert, the lifecycle is in order: raised first, cleared last, times non-decreasing.
    let mut ids: Vec<u64> = delivered.iter().map(|e| e.alert_id.0).collect();
    ids.dedup();
    let mut seen_ids = ids.clone();
    seen_ids.sort_unstable();
    seen_ids.dedup();
    for id in seen_ids {
        let life: Vec<&AlertEvent> = delivered.iter().filter(|e| e.alert_id.0 == id).collect();
        assert_eq!(
            life[0].state,
            AlertState::Raised,
            "alert {id} starts raised"
        );
        assert!(
            life.windows(2).all(|w| w[0].time <= w[1].time),
            "alert {id} events in time order"
        );
        assert!(
            life.iter()
                .position(|e| e.state == AlertState::Cleared)
                .is_none_or(|i| i == life.len() - 1),
            "alert {id}: nothing after cleared"
        );
    }
    let produced: Vec<AlertEvent> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        delivered, produced,
        "every alert event delivered once, in the order alerting produced them"
    );
    let dead = std::fs::read_to_string(&dl).unwrap_or_default();
    assert!(dead.is_empty(), "nothing dead-lettered: {dead}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_events_refused_with_400_land_in_the_dead_letter_file_with_the_reason() {
    let rx = Receiver::start(|_| 400).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dead.jsonl");
    let s = naco_now();
    let out = output(rx.port, dl.clone());
    let (metrics, _) = run_scenario(&s, vec![OutputSink::Adapter(Arc::new(out))], Pace::Max).await;

    let reqs = rx.requests();
    assert!(!reqs.is_empty());
    let text = std::fs::read_to_string(&dl).expect("a dead-letter file");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("dead-letter lines are JSON"))
        .collect();
    // A 400 is permanent: one attempt per event, each event dead-lettered once.
    assert_eq!(lines.len(), reqs.len(), "one attempt per event, no retries");
    assert_eq!(metrics.counter_sum("picket_webhook_retries_total"), 0);
    assert_eq!(
        metrics.counter_sum("picket_webhook_dead_lettered_total"),
        lines.len() as u64
    );
    for (line, req) in lines.iter().zip(&reqs) {
        assert_eq!(line["reason"], "refused: HTTP 400 Bad Request", "{line}");
        assert_eq!(line["attempts"], 1);
        assert_eq!(
            line["url"],
            format!("http://127.0.0.1:{}/picket/alerts", rx.port)
        );
        let ev: AlertEvent =
            serde_json::from_value(line["event"].clone()).expect("the event is kept whole");
        let sent: AlertEvent = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(ev, sent);
        assert_eq!(line["event_id"], event_id(&ev));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_webhook_gives_up_after_max_attempts_without_holding_up_the_pipeline() {
    // A port nobody listens on: every attempt is a connection error.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dead.jsonl");
    let s = naco_now();
    let out = output(port, dl.clone());
    let (metrics, _) = run_scenario(&s, vec![OutputSink::Adapter(Arc::new(out))], Pace::Max).await;
    let alerts = metrics.counter_sum("picket_alert_events_total");
    let text = std::fs::read_to_string(&dl).expect("a dead-letter file");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    assert_eq!(
        metrics.counter_sum("picket_webhook_delivered_total"),
        0,
        "nothing can be delivered"
    );
    if alerts > 0 {
        assert_eq!(
            lines.len() as u64,
            alerts,
            "every alert event accounted for"
        );
    }
    let first = &lines[0];
    let reason = first["reason"].as_str().unwrap();
    assert!(reason.starts_with("gave up after 4 attempts"), "{reason}");
    assert_eq!(first["attempts"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_webhook_overflows_its_own_queue_into_the_dead_letter_file_and_alerting_goes_on() {
    let rx = Receiver::start_slow(|_| 200, Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().unwrap();
    let dl = dir.path().join("dead.jsonl");
    let mut c = WebhookOutputConfig::new(
        format!("http://127.0.0.1:{}/h", rx.port),
        WebhookSecret::from_bytes(SECRET),
        dl.clone(),
    );
    c.queue_capacity = 1;
    let out = WebhookOutput::new(c).unwrap();
    let jsonl = dir.path().join("alerts.jsonl");
    let s = naco_now();
    let (metrics, _) = run_scenario(
        &s,
        vec![
            OutputSink::AlertsJsonl(jsonl.clone()),
            OutputSink::Adapter(Arc::new(out)),
        ],
        Pace::Max,
    )
    .await;
    let produced = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    let dead: Vec<serde_json::Value> = std::fs::read_to_string(&dl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let full = dead.iter().filter(|l| l["reason"] == "queue full").count();
    assert!(full > 0, "a queue of one overflows: {dead:?}");
    // Every event is accounted for: delivered, or dead-lettered with a reason.
    assert_eq!(
        metrics.counter_sum("picket_webhook_delivered_total") + dead.len() as u64,
        produced as u64
    );
    assert_eq!(
        rx.requests().len() as u64,
        metrics.counter_sum("picket_webhook_delivered_total")
    );
}
