//! The MQTT output through the real Mosquitto broker on 127.0.0.1:1883: the built-in
//! scenario's alert events arrive on `<prefix>/alerts/<unit_id>`, parse, and keep their order.

use super::{naco_now, run_scenario};
use picket_core::AlertEvent;
use picket_outputs::{MqttOutput, MqttOutputConfig};
use picket_pipeline::{OutputSink, Pace};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BROKER: (&str, u16) = ("127.0.0.1", 1883);

/// A message as received: topic, retain flag, payload.
type Message = (String, bool, Vec<u8>);

/// A subscriber on `<prefix>/alerts/#`, recording (topic, retain, payload) in arrival order.
struct Subscriber {
    got: Arc<Mutex<Vec<Message>>>,
    _client: AsyncClient,
}

impl Subscriber {
    async fn start(prefix: &str) -> Self {
        let mut o = MqttOptions::new(format!("{prefix}-sub"), BROKER.0, BROKER.1);
        o.set_keep_alive(Duration::from_secs(30));
        o.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut el) = AsyncClient::new(o, 100);
        let no_broker = "cannot connect to Mosquitto on 127.0.0.1:1883 — start it with \
                         `mosquitto -d -c /etc/mosquitto/mosquitto.conf`";
        // Connected and subscribed before the scenario starts, or the test fails.
        client
            .subscribe(format!("{prefix}/alerts/#"), QoS::AtLeastOnce)
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, el.poll()).await {
                Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => break,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("{no_broker}: {e}"),
                Err(_) => panic!("{no_broker}: no answer within 5 s"),
            }
        }
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        tokio::spawn(async move {
            while let Ok(ev) = el.poll().await {
                if let Event::Incoming(Packet::Publish(p)) = ev {
                    g.lock()
                        .unwrap()
                        .push((p.topic.clone(), p.retain, p.payload.to_vec()));
                }
            }
        });
        Subscriber {
            got,
            _client: client,
        }
    }

    fn messages(&self) -> Vec<Message> {
        self.got.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_alerts_arrive_through_mosquitto_on_per_unit_topics_in_order() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("picket-test-{}-{nanos}", std::process::id());
    let sub = Subscriber::start(&prefix).await;

    let mut c = MqttOutputConfig::parse_url("mqtt://127.0.0.1:1883").unwrap();
    c.topic_prefix = prefix.clone();
    c.client_id = Some(format!("{prefix}-pub"));
    let out = MqttOutput::new(c).unwrap();
    let dir = tempfile::tempdir().unwrap();
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

    let produced: Vec<AlertEvent> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!produced.is_empty(), "the scenario raises alerts");
    assert_eq!(
        metrics.counter_sum("picket_mqtt_published_total"),
        produced.len() as u64
    );
    assert_eq!(
        metrics.counter_sum("picket_mqtt_acknowledged_total"),
        produced.len() as u64,
        "the broker acknowledged every publish before the output ended"
    );
    assert_eq!(metrics.counter_sum("picket_mqtt_dropped_total"), 0);

    let deadline = Instant::now() + Duration::from_secs(10);
    while sub.messages().len() < produced.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let msgs = sub.messages();
    assert_eq!(msgs.len(), produced.len(), "one message per alert event");

    let mut received = Vec::new();
    for (topic, retain, payload) in &msgs {
        assert!(!retain, "alert events are not retained");
        let ev: AlertEvent = serde_json::from_slice(payload).expect("payload is an AlertEvent");
        assert_eq!(topic, &format!("{prefix}/alerts/{}", ev.unit_id.0));
        received.push(ev);
    }
    assert!(
        msgs.iter()
            .any(|(t, _, _)| t == &format!("{prefix}/alerts/post-alpha")),
        "post-alpha is threatened in the scenario"
    );
    // One publisher, QoS 1, one subscriber: order is kept (checked per unit topic, which is
    // what MQTT promises, and overall).
    let units: std::collections::BTreeSet<String> =
        produced.iter().map(|e| e.unit_id.0.clone()).collect();
    for u in &units {
        let want: Vec<&AlertEvent> = produced.iter().filter(|e| &e.unit_id.0 == u).collect();
        let got: Vec<&AlertEvent> = received.iter().filter(|e| &e.unit_id.0 == u).collect();
        assert_eq!(got, want, "events of {u} in order");
    }
    assert_eq!(received, produced);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mqtt_output_without_a_broker_drops_nothing_silently_and_ends() {
    // Nobody listens on this port: the output keeps retrying, counts what it could not get
    // acknowledged, and the pipeline still ends.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = MqttOutputConfig::parse_url(&format!("mqtt://127.0.0.1:{port}")).unwrap();
    let out = MqttOutput::new(c).unwrap();
    let s = naco_now();
    let (metrics, _) = run_scenario(&s, vec![OutputSink::Adapter(Arc::new(out))], Pace::Max).await;
    let alerts = metrics.counter_sum("picket_alert_events_total");
    assert!(alerts > 0);
    assert_eq!(metrics.counter_sum("picket_mqtt_acknowledged_total"), 0);
    assert_eq!(
        metrics.counter_sum("picket_mqtt_published_total")
            + metrics.counter_sum("picket_mqtt_dropped_total"),
        alerts,
        "every alert event is either queued or counted as dropped"
    );
}
