//! The API over a real socket, backed by a real pipeline and a real store: authentication,
//! roles, sectors, acknowledgement, the WebSocket handshake, the audit log.

use futures::{SinkExt, StreamExt};
use picket_core::{Principal, Role, Timestamp};
use picket_pipeline::{Feed, Pace, PipelineConfig, PlaybackLine};
use picket_store::{SqliteStore, Store};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

struct StoreAuth(Mutex<SqliteStore>);

impl picket_api::Auth for StoreAuth {
    fn authenticate(&self, token: &str) -> Option<Principal> {
        self.0.lock().unwrap().authenticate(token).ok().flatten()
    }
    fn audit(&self, who: &str, action: &str, detail: &str) {
        let _ = self
            .0
            .lock()
            .unwrap()
            .audit(Timestamp::from_micros(0), who, action, detail);
    }
}

struct Harness {
    addr: SocketAddr,
    admin: String,
    operator: String,
    viewer: String,
    outsider: String,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _shutdown: watch::Sender<bool>,
}

/// A pipeline that has played the whole built-in scenario, and the API in front of it.
async fn harness() -> Harness {
    let s = picket_sim::naco(Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap(), 1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("api.sqlite");
    let mut store = SqliteStore::open(&db).unwrap();
    let admin = store
        .issue_token("ada", Role::Admin, &["*".into()])
        .unwrap();
    let operator = store
        .issue_token("olly", Role::Operator, &["naco".into()])
        .unwrap();
    let viewer = store
        .issue_token("vic", Role::Viewer, &["naco".into()])
        .unwrap();
    let outsider = store
        .issue_token("otto", Role::Operator, &["sasabe".into()])
        .unwrap();
    let site = picket_simsite::site_model(&s, 10.0);
    let lines = s
        .feed
        .iter()
        .map(|f| PlaybackLine {
            sensor_id: f.sensor_id.clone(),
            line: f.line.clone(),
        })
        .collect();
    let (tx, rx) = watch::channel(false);
    let config = PipelineConfig::new(
        site,
        Feed::Playback {
            lines,
            pace: Pace::Max,
        },
    );
    let mut p = picket_pipeline::start(config, Box::new(store), rx.clone()).unwrap();
    p.inputs_finished().await;
    let ctx = picket_api::ApiContext {
        state: p.state.clone(),
        commands: p.commands.clone(),
        events: p.events.clone(),
        metrics: p.metrics.clone(),
        auth: Arc::new(StoreAuth(Mutex::new(SqliteStore::open(&db).unwrap()))),
        web_root: None,
        shutdown: rx.clone(),
        failed: p.failed.clone(),
        tasking: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(picket_api::serve(listener, ctx, rx));
    // Keep the pipeline (its command loop) alive for the test's life.
    tokio::spawn(async move {
        p.join().await;
    });
    Harness {
        addr,
        admin,
        operator,
        viewer,
        outsider,
        db,
        _dir: dir,
        _shutdown: tx,
    }
}

/// An HTTP client. In a whole-workspace build reqwest's rustls has no built-in crypto provider
/// (feature unification with picket-outputs), so ring is installed first.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn url(h: &Harness, path: &str) -> String {
    format!("http://{}{path}", h.addr)
}

async fn get(h: &Harness, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut r = client().get(url(h, path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    let code = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        code,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

async fn ack(h: &Harness, id: u64, token: &str) -> (u16, serde_json::Value) {
    let resp = client()
        .post(url(h, &format!("/api/alerts/{id}/ack")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or_default())
}

const ROUTES: &[&str] = &[
    "/api/site",
    "/api/tracks",
    "/api/operators",
    "/api/units",
    "/api/alerts",
    "/api/sensors",
    "/metrics",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_needs_a_valid_token() {
    let h = harness().await;
    for r in ROUTES {
        assert_eq!(get(&h, r, None).await.0, 401, "{r} without a token");
        assert_eq!(
            get(&h, r, Some("0123456789abcdef")).await.0,
            401,
            "{r} with a wrong token"
        );
        assert_eq!(
            get(&h, r, Some(&h.viewer)).await.0,
            200,
            "{r} with a valid token"
        );
    }
    let (code, body) = get(&h, "/api/alerts", None).await;
    assert_eq!(code, 401);
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    assert_eq!(get(&h, "/healthz", None).await.0, 200);
    let (code, metrics) = get(&h, "/metrics", Some(&h.admin)).await;
    assert_eq!(code, 200);
    assert!(metrics
        .as_str()
        .unwrap()
        .contains("picket_input_lines_total{sensor=\"radar-1\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_and_alerts_of_other_sectors_are_never_sent() {
    let h = harness().await;
    let (_, site) = get(&h, "/api/site", Some(&h.operator)).await;
    assert_eq!(site["units"].as_array().unwrap().len(), 3);
    let (_, alerts) = get(&h, "/api/alerts", Some(&h.operator)).await;
    assert!(!alerts.as_array().unwrap().is_empty());

    let (_, site) = get(&h, "/api/site", Some(&h.outsider)).await;
    assert!(site["units"].as_array().unwrap().is_empty(), "{site}");
    let (_, units) = get(&h, "/api/units", Some(&h.outsider)).await;
    assert!(units.as_array().unwrap().is_empty(), "{units}");
    let (_, alerts) = get(&h, "/api/alerts", Some(&h.outsider)).await;
    assert!(alerts.as_array().unwrap().is_empty(), "{alerts}");
    // Not even by guessing an id.
    let id = get(&h, "/api/alerts", Some(&h.admin)).await.1[0]["alert_id"]
        .as_u64()
        .unwrap();
    assert_eq!(ack(&h, id, &h.outsider).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_acknowledge_once_viewers_may_not_and_it_is_audited() {
    let h = harness().await;
    assert_eq!(get(&h, "/api/site", Some(&h.operator)).await.0, 200);
    let (_, alerts) = get(&h, "/api/alerts", Some(&h.admin)).await;
    let active = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["state"] != "cleared")
        .expect("an active alert at the end of the scenario");
    let id = active["alert_id"].as_u64().unwrap();
    assert_eq!(ack(&h, id, &h.viewer).await.0, 403);
    let (code, ev) = ack(&h, id, &h.operator).await;
    assert_eq!(code, 200, "{ev}");
    assert_eq!(ev["state"], "acknowledged");
    assert_eq!(ev["acknowledged_by"], "olly");
    assert_eq!(
        ack(&h, id, &h.operator).await.0,
        409,
        "second acknowledgement"
    );
    assert_eq!(ack(&h, 999_999, &h.admin).await.0, 404);
    let (code, body) = {
        let r = client()
            .post(url(&h, "/api/alerts/not-a-number/ack"))
            .bearer_auth(&h.admin)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(code, 400, "{body}");
    let (_, after) = get(&h, "/api/alerts", Some(&h.viewer)).await;
    let a = after
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert_id"] == id)
        .unwrap();
    assert_eq!(a["acknowledged_by"], "olly");
    // The alert budget is exported: alerts raised per unit, time to acknowledge.
    let (_, metrics) = get(&h, "/metrics", Some(&h.admin)).await;
    let metrics = metrics.as_str().unwrap().to_string();
    assert!(
        metrics.contains("picket_alerts_raised_per_unit_total{unit=\"post-alpha\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("picket_alert_mean_time_to_acknowledge_ms "),
        "{metrics}"
    );
    let log = SqliteStore::open(&h.db).unwrap().audit_log().unwrap();
    assert!(log
        .iter()
        .any(|e| e.who == "olly" && e.action == "acknowledge_alert"));
    assert!(log
        .iter()
        .any(|e| e.who == "olly" && e.action == "view_site" && e.detail.contains("patrol-7")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_wants_a_token_first() {
    let h = harness().await;
    let ws_url = format!("ws://{}/api/ws", h.addr);

    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    ws.send(Message::Text(r#"{"token":"wrong"}"#.into()))
        .await
        .unwrap();
    match ws.next().await {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(u16::from(f.code), 4401),
        other => panic!("expected close 4401, got {other:?}"),
    }

    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    ws.send(Message::Text(
        format!(r#"{{"token":"{}"}}"#, h.viewer).into(),
    ))
    .await
    .unwrap();
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("stream ended")
        };
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        kinds.push(v["type"].as_str().unwrap().to_string());
        if v["type"] == "hello" {
            assert_eq!(v["user"], "vic");
            assert_eq!(v["role"], "viewer");
        }
        if v["type"] == "tracks" {
            assert!(v["tracks"].is_array());
        }
    }
    assert_eq!(kinds[0], "hello");
    assert_eq!(kinds[1], "tracks", "snapshot follows hello");
    assert_eq!(kinds[2], "units");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_are_entities_linked_to_their_aircraft_with_their_history() {
    let h = harness().await;
    for path in ["/api/operators", "/api/operators/T1"] {
        assert_eq!(get(&h, path, None).await.0, 401, "{path} without a token");
        assert_eq!(get(&h, path, Some("wrong")).await.0, 401, "{path}");
    }
    let (code, list) = get(&h, "/api/operators", Some(&h.viewer)).await;
    assert_eq!(code, 200, "{list}");
    let list = list.as_array().unwrap().clone();
    assert!(!list.is_empty(), "the scenario's Remote ID pilots");
    let (_, tracks) = get(&h, "/api/tracks", Some(&h.viewer)).await;
    let tracks = tracks.as_array().unwrap();
    let mut live = 0;
    for op in &list {
        let uas = op["uas_id"].as_str().unwrap();
        assert!(op["aircraft_track_id"].is_u64(), "{op}");
        assert!(op["position"]["lat_deg"].is_f64(), "{op}");
        assert!(op["fixes"].as_u64().unwrap() >= 1, "{op}");
        assert!(
            op.get("positions").is_none(),
            "the list carries no history: {op}"
        );
        if op["aircraft_live"] == true {
            live += 1;
            // Linked to the live track that carries its UAS ID.
            let t = tracks
                .iter()
                .find(|t| t["id"] == op["aircraft_track_id"])
                .unwrap_or_else(|| panic!("no live track for {op}"));
            assert_eq!(t["identity"]["remote_id"], uas, "{t}");
            assert_eq!(t["operator_position"], op["position"], "{t}");
        } else {
            assert!(op["aircraft_ended"].is_string(), "{op}");
        }
    }
    assert!(live >= 1, "an aircraft still flying at the end: {list:?}");

    // One aircraft's operator with its history, oldest first, ending at the latest fix.
    let op = list.iter().find(|o| o["aircraft_live"] == true).unwrap();
    let id = op["aircraft_track_id"].as_u64().unwrap();
    let (code, one) = get(&h, &format!("/api/operators/T{id}"), Some(&h.viewer)).await;
    assert_eq!(code, 200, "{one}");
    assert_eq!(one["uas_id"], op["uas_id"]);
    let fixes = one["positions"].as_array().unwrap();
    assert_eq!(fixes.len() as u64, one["fixes"].as_u64().unwrap());
    assert!(fixes.len() > 1 && fixes.len() <= 256, "{}", fixes.len());
    assert_eq!(fixes.last().unwrap()["position"], one["position"]);
    let times: Vec<&str> = fixes.iter().map(|f| f["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    assert!(fixes
        .iter()
        .all(|f| f["sensor_id"].as_str().unwrap().starts_with("rid")));
    assert_eq!(
        get(&h, &format!("/api/operators/{id}"), Some(&h.viewer))
            .await
            .1,
        one
    );
    assert_eq!(
        get(&h, "/api/operators/T999999", Some(&h.admin)).await.0,
        404
    );
    assert_eq!(get(&h, "/api/operators/pilot", Some(&h.admin)).await.0, 400);

    // Sectors: like `/api/tracks`, which sends every track to every caller, an operator of
    // another sector sees the same aircraft and so the same operators.
    let (_, outsider_tracks) = get(&h, "/api/tracks", Some(&h.outsider)).await;
    assert_eq!(outsider_tracks.as_array().unwrap(), tracks);
    let (_, outsider) = get(&h, "/api/operators", Some(&h.outsider)).await;
    assert_eq!(outsider.as_array().unwrap(), &list);

    let log = SqliteStore::open(&h.db).unwrap().audit_log().unwrap();
    let uas = op["uas_id"].as_str().unwrap();
    assert!(log
        .iter()
        .any(|e| e.who == "vic" && e.action == "view_operators" && e.detail.contains(uas)));
    assert!(log.iter().any(|e| e.who == "vic"
        && e.action == "view_operator"
        && e.detail == format!("T{id} uas {uas}")));
    assert!(log
        .iter()
        .any(|e| e.who == "otto" && e.action == "view_operators"));
}
