//! A store that refuses alert events (a full disk): what was not stored did not happen. A
//! refused acknowledgement leaves the alert unacknowledged so a retry succeeds; a refused
//! raise is raised again at a later step, and stored and announced once.

use super::{lines, scenario, site};
use picket_core::{AlertEvent, AlertState, Input, Principal, Role, Timestamp, Track};
use picket_pipeline::{
    AckError, Acknowledger, AlertError, Command, Event, Feed, OutputSink, Pace, PipelineConfig,
    UnitAck,
};
use picket_store::{AuditEntry, SqliteStore, Store, StoreCounts, StoreError};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// When the wrapped store refuses alert events, and what it refused.
#[derive(Default)]
struct Refusals {
    /// Every alert event is refused while set.
    down: AtomicBool,
    /// This many more Raised events are refused.
    raises: AtomicUsize,
    refused: Mutex<Vec<AlertEvent>>,
}

/// A real SQLite store that refuses alert events as [`Refusals`] says, like a full disk.
struct RefusingStore {
    inner: SqliteStore,
    refusals: Arc<Refusals>,
}

impl Store for RefusingStore {
    fn append_inputs(&mut self, inputs: &[Input]) -> Result<(), StoreError> {
        self.inner.append_inputs(inputs)
    }
    fn append_tracks(&mut self, tracks: &[Track]) -> Result<(), StoreError> {
        self.inner.append_tracks(tracks)
    }
    fn append_alert_event(&mut self, event: &AlertEvent) -> Result<(), StoreError> {
        let r = &self.refusals;
        let refuse_raise = event.state == AlertState::Raised
            && r.raises
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if r.down.load(Ordering::SeqCst) || refuse_raise {
            r.refused.lock().unwrap().push(event.clone());
            return Err(StoreError::Backend {
                path: "test".into(),
                what: format!(
                    "appending alert {} ({})",
                    event.alert_id,
                    event.state.as_str()
                ),
                source: Box::new(std::io::Error::other("no space left on device")),
                hint: "the disk is full; free space, then retry",
            });
        }
        self.inner.append_alert_event(event)
    }
    fn alert_events(&self) -> Result<Vec<AlertEvent>, StoreError> {
        self.inner.alert_events()
    }
    fn current_alerts(&self) -> Result<Vec<AlertEvent>, StoreError> {
        self.inner.current_alerts()
    }
    fn counts(&self) -> Result<StoreCounts, StoreError> {
        self.inner.counts()
    }
    fn user_count(&self) -> Result<u64, StoreError> {
        self.inner.user_count()
    }
    fn issue_token(
        &mut self,
        user: &str,
        role: Role,
        sectors: &[String],
    ) -> Result<String, StoreError> {
        self.inner.issue_token(user, role, sectors)
    }
    fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        self.inner.authenticate(token)
    }
    fn revoke_tokens(&mut self, user: &str) -> Result<u64, StoreError> {
        self.inner.revoke_tokens(user)
    }
    fn audit(
        &mut self,
        time: Timestamp,
        who: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.inner.audit(time, who, action, detail)
    }
    fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_log()
    }
}

fn config(outputs: Vec<OutputSink>) -> PipelineConfig {
    let s = scenario();
    let mut c = PipelineConfig::new(
        site(&s),
        Feed::Playback {
            lines: lines(&s),
            pace: Pace::Max,
        },
    );
    c.outputs = outputs;
    c
}

async fn acknowledge(
    p: &picket_pipeline::Pipeline,
    ev: &AlertEvent,
    by: &str,
) -> Result<AlertEvent, AckError> {
    let (reply, rx) = oneshot::channel();
    p.commands
        .send(Command::Acknowledge {
            alert_id: ev.alert_id,
            by: by.into(),
            reply,
        })
        .await
        .expect("the pipeline takes commands");
    rx.await.expect("the pipeline replies")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgement_the_store_refused_did_not_happen_and_a_retry_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let refusals = Arc::new(Refusals::default());
    let store = RefusingStore {
        inner: SqliteStore::open(&db).unwrap(),
        refusals: refusals.clone(),
    };
    let (_shutdown, rx) = watch::channel(false);
    let mut p = picket_pipeline::start(config(vec![]), Box::new(store), rx).unwrap();
    tokio::time::timeout(Duration::from_secs(120), p.inputs_finished())
        .await
        .expect("scenario finishes");
    let active = p
        .state
        .read()
        .unwrap()
        .alerts
        .values()
        .find(|a| a.state != AlertState::Cleared && a.acknowledged_by.is_none())
        .cloned()
        .expect("an active alert at the end of the scenario");
    let mut announced = p.events.subscribe();

    refusals.down.store(true, Ordering::SeqCst);
    let r = acknowledge(&p, &active, "officer.garcia").await;
    assert!(matches!(r, Err(AckError::NotStored(_))), "{r:?}");
    let by_unit = Acknowledger::new(&p.commands)
        .acknowledge_unit(UnitAck {
            unit_id: active.unit_id.clone(),
            alert_id: Some(active.alert_id),
            by: "PATROL7 (TAK ANDROID-P7)".into(),
            via: "TAK server chat from ANDROID-P7".into(),
            sent: None,
        })
        .await;
    assert!(
        matches!(by_unit, Err(AckError::NotStored(_))),
        "still unacknowledged, so tried and refused again: {by_unit:?}"
    );
    let shown = p.state.read().unwrap().alerts[&active.alert_id].clone();
    assert_eq!(shown, active, "the live picture did not change");

    // The store is back: the retry is not "already acknowledged".
    refusals.down.store(false, Ordering::SeqCst);
    let ack = acknowledge(&p, &active, "officer.garcia")
        .await
        .expect("the retry is stored");
    assert_eq!(ack.state, AlertState::Acknowledged);
    assert_eq!(ack.acknowledged_by.as_deref(), Some("officer.garcia"));
    match acknowledge(&p, &active, "officer.lee").await {
        Err(AckError::Refused(AlertError::AlreadyAcknowledged { by, .. })) => {
            assert_eq!(by, "officer.garcia")
        }
        other => panic!("a second acknowledgement must conflict: {other:?}"),
    }

    let mut heard = Vec::new();
    while let Ok(e) = announced.try_recv() {
        if let Event::Alert(a) = &*e {
            heard.push(a.clone());
        }
    }
    assert_eq!(
        heard,
        vec![ack.clone()],
        "announced once, after it was stored"
    );
    let m = p.metrics.clone();
    p.join().await;

    let refused = refusals.refused.lock().unwrap().clone();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused
        .iter()
        .all(|e| e.alert_id == active.alert_id && e.state == AlertState::Acknowledged));
    let stored: Vec<AlertEvent> = SqliteStore::open(&db)
        .unwrap()
        .alert_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.alert_id == active.alert_id && e.state == AlertState::Acknowledged)
        .collect();
    assert_eq!(stored, vec![ack], "exactly one acknowledgement stored");
    assert_eq!(m.counter_sum("picket_alerts_not_stored_total"), 2);
    assert_eq!(
        m.counter_value("picket_alert_events_total", &[("state", "acknowledged")]),
        Some(1)
    );
}

/// The (track, unit) pair an event is about.
fn pair(e: &AlertEvent) -> (u64, String) {
    (e.track_id.0, e.unit_id.0.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raise_the_store_refused_is_raised_again_and_stored_and_announced_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let jsonl = dir.path().join("alerts.jsonl");
    let refusals = Arc::new(Refusals::default());
    // The first three raises fail: the first alert's raise is refused and retried, step
    // after step, until the store takes it.
    let refused_raises = 3;
    refusals.raises.store(refused_raises, Ordering::SeqCst);
    let store = RefusingStore {
        inner: SqliteStore::open(&db).unwrap(),
        refusals: refusals.clone(),
    };
    let (_shutdown, rx) = watch::channel(false);
    let mut p = picket_pipeline::start(
        config(vec![OutputSink::AlertsJsonl(jsonl.clone())]),
        Box::new(store),
        rx,
    )
    .unwrap();
    tokio::time::timeout(Duration::from_secs(120), p.inputs_finished())
        .await
        .expect("scenario finishes");
    let m = p.metrics.clone();
    p.join().await;

    let refused = refusals.refused.lock().unwrap().clone();
    assert_eq!(refused.len(), refused_raises, "{refused:?}");
    assert!(refused.iter().all(|e| e.state == AlertState::Raised));
    assert_eq!(
        m.counter_sum("picket_alerts_not_stored_total"),
        refused_raises as u64
    );

    let stored = SqliteStore::open(&db).unwrap().alert_events().unwrap();
    let announced: Vec<AlertEvent> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!stored.is_empty());
    assert_eq!(
        announced, stored,
        "announced exactly what was stored, in order"
    );
    for r in &refused {
        let raised: Vec<&AlertEvent> = stored
            .iter()
            .filter(|e| e.state == AlertState::Raised && pair(e) == pair(r))
            .collect();
        assert_eq!(raised.len(), 1, "raised once after the refusal: {raised:?}");
        assert!(raised[0].time > r.time, "raised again at a later step");
        assert_eq!(raised[0].raised_time, raised[0].time);
    }
    // Every alert is raised exactly once, and all its events are about one pair.
    let mut alerts = std::collections::BTreeMap::new();
    for e in &stored {
        let (p, raises) = alerts.entry(e.alert_id).or_insert_with(|| (pair(e), 0));
        assert_eq!(*p, pair(e), "alert {} names two pairs", e.alert_id);
        *raises += usize::from(e.state == AlertState::Raised);
    }
    assert!(
        alerts.values().all(|(_, n)| *n == 1),
        "one Raised event per alert: {alerts:?}"
    );
    let raises = alerts.len();
    assert_eq!(
        m.counter_value("picket_alert_events_total", &[("state", "raised")]),
        Some(raises as u64)
    );
}
