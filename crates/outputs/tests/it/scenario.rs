//! The built-in scenario, through a real pipeline, to taky over plain TCP: what ATAK-like
//! clients receive, parsed with takproto.

use super::peers::{percentile_ms, takproto, Proxy, Received, TakClient, Taky};
use super::{cot, dests, naco_now, run_scenario};
use picket_cot::CotEvent;
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{OutputSink, Pace};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// What one client got from Picket (events whose uid Picket owns), in arrival order.
fn from_picket(events: &[Received]) -> Vec<(Received, CotEvent)> {
    events
        .iter()
        .map(|r| (r.clone(), cot(&r.xml)))
        .filter(|(_, e)| e.uid.starts_with("picket-") || e.uid.starts_with("GeoChat.picket-"))
        .collect()
}

/// Whether `got` is `sent` as taky relays it (see [`assert_relayed_unchanged`]).
fn relayed_unchanged(sent: &CotEvent, got: &CotEvent) -> bool {
    (
        &got.uid,
        &got.cot_type,
        &got.how,
        got.time,
        got.start,
        got.stale,
    ) == (
        &sent.uid,
        &sent.cot_type,
        &sent.how,
        sent.time,
        sent.start,
        sent.stale,
    ) && (got.point.lat_deg - sent.point.lat_deg).abs() <= 5.1e-7
        && (got.point.lon_deg - sent.point.lon_deg).abs() <= 5.1e-7
        && (got.point.hae_m - sent.point.hae_m).abs() <= 0.051
        && (got.point.ce_m - sent.point.ce_m).abs() <= 0.051
        && (got.point.le_m - sent.point.le_m).abs() <= 0.051
        && got.detail == sent.detail
}

/// taky re-serialises what it relays: lat/lon to 6 decimals, hae/ce/le to 1. Everything
/// else must arrive as sent.
fn assert_relayed_unchanged(sent: &CotEvent, got: &CotEvent) {
    assert_eq!(
        (
            &got.uid,
            &got.cot_type,
            &got.how,
            got.time,
            got.start,
            got.stale
        ),
        (
            &sent.uid,
            &sent.cot_type,
            &sent.how,
            sent.time,
            sent.start,
            sent.stale
        ),
        "event header of {}",
        sent.uid
    );
    assert!(
        (got.point.lat_deg - sent.point.lat_deg).abs() <= 5.1e-7,
        "{}",
        sent.uid
    );
    assert!(
        (got.point.lon_deg - sent.point.lon_deg).abs() <= 5.1e-7,
        "{}",
        sent.uid
    );
    for (a, b) in [
        (got.point.hae_m, sent.point.hae_m),
        (got.point.ce_m, sent.point.ce_m),
        (got.point.le_m, sent.point.le_m),
    ] {
        assert!((a - b).abs() <= 0.051, "{}: {a} vs {b}", sent.uid);
    }
    assert_eq!(got.detail, sent.detail, "detail of {}", sent.uid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_reaches_tak_clients_through_taky_with_stable_escalating_tracks_and_addressed_alerts(
) {
    let taky = Taky::start(None);
    // The proxy records exactly what Picket wrote, to compare with what clients receive.
    let proxy = Proxy::start(taky.port).await;
    let alpha = TakClient::tcp(taky.port, "ANDROID-ALPHA", "ALPHA").await;
    let patrol = TakClient::tcp(taky.port, "ANDROID-PATROL7", "PATROL7").await;
    let stranger = TakClient::tcp(taky.port, "ANDROID-STRANGER", "STRANGER").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let s = naco_now();
    let target = TakTarget::parse(&format!("tcp://127.0.0.1:{}", proxy.port)).unwrap();
    let out = TakOutput::new(TakOutputConfig::new(target)).unwrap();
    let (metrics, wall) =
        run_scenario(&s, vec![OutputSink::Adapter(Arc::new(out))], Pace::Max).await;
    for c in [&alpha, &patrol, &stranger] {
        c.settle(Duration::from_millis(500), Duration::from_secs(10))
            .await;
    }

    let sent = proxy.events();
    let label = format!("tcp://127.0.0.1:{}", proxy.port);
    let counted: u64 = [
        "track",
        "operator",
        "takeoff",
        "alert",
        "cancel",
        "chat",
        "stale_out",
        "presence",
    ]
    .iter()
    .map(|k| {
        metrics
            .counter_value(
                "picket_tak_events_sent_total",
                &[("output", &label), ("kind", k)],
            )
            .unwrap_or(0)
    })
    .sum();
    assert_eq!(
        counted as usize,
        sent.len(),
        "the sent counter counts what went out"
    );
    assert_eq!(
        metrics.counter_value("picket_tak_reconnects_total", &[("output", &label)]),
        Some(0)
    );
    assert_eq!(
        metrics.counter_value("picket_tak_events_dropped_total", &[("output", &label)]),
        Some(0)
    );
    assert_eq!(
        metrics.counter_sum("picket_output_events_dropped_total"),
        0,
        "the adapter kept up with the pipeline"
    );

    // Several events may share a uid and a time (a track update and a re-sent alert in the same
    // step): a relayed one must equal one of them.
    let mut sent_by_key: HashMap<(String, i64), Vec<(Received, CotEvent)>> = HashMap::new();
    for r in &sent {
        let e = cot(&r.xml);
        sent_by_key
            .entry((e.uid.clone(), e.time.as_micros()))
            .or_default()
            .push((r.clone(), e));
    }
    let a = from_picket(&alpha.events());
    let p = from_picket(&patrol.events());
    let x = from_picket(&stranger.events());
    assert!(!a.is_empty() && !x.is_empty());

    // Everything relayed arrives unchanged and parses with takproto, field for field.
    let mut latencies = Vec::new();
    for (r, got) in a.iter().chain(&p).chain(&x) {
        let candidates = sent_by_key
            .get(&(got.uid.clone(), got.time.as_micros()))
            .unwrap_or_else(|| panic!("{} was never sent by Picket", got.uid));
        let (sr, sent_ev) = candidates
            .iter()
            .find(|(_, e)| relayed_unchanged(e, got))
            .unwrap_or(&candidates[0]);
        assert_relayed_unchanged(sent_ev, got);
        latencies.push(r.at.duration_since(sr.at));
    }
    let xmls: Vec<String> = a
        .iter()
        .chain(&p)
        .chain(&x)
        .map(|(r, _)| r.xml.clone())
        .collect();
    let parsed = takproto(&xmls);
    for ((_, ev), v) in a.iter().chain(&p).chain(&x).zip(&parsed) {
        assert_eq!(v["ok"], true, "takproto: {v}");
        assert_eq!(v["uid"], ev.uid.as_str());
        assert_eq!(v["type"], ev.cot_type.as_str());
        assert_eq!(v["sendTime"].as_i64(), Some(ev.time.as_micros() / 1000));
        assert_eq!(v["staleTime"].as_i64(), Some(ev.stale.as_micros() / 1000));
        assert!((v["lat"].as_f64().unwrap() - ev.point.lat_deg).abs() < 1e-9);
        if ev.cot_type.starts_with("a-") && ev.detail_element("track").is_some() {
            assert!(v["track"]["speed"].as_f64().is_some(), "{v}");
        }
    }

    // Tracks: one uid per track for its whole life, uppercase Q, escalating for the striker.
    let mut types_by_uid: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, e) in &x {
        if let Some(pk) = e.detail_element("__picket").and_then(|d| d.get("track")) {
            if e.detail_element("__picket")
                .and_then(|d| d.get("alert"))
                .is_none()
            {
                assert_eq!(
                    e.uid,
                    format!("picket-{}-T{pk}", uid_site(&e.uid)),
                    "stable uid"
                );
                types_by_uid
                    .entry(e.uid.clone())
                    .or_default()
                    .push(e.cot_type.clone());
            }
        }
    }
    assert!(types_by_uid.len() >= 3, "{types_by_uid:?}");
    assert!(
        types_by_uid.values().flatten().all(|t| !t.contains("-q")),
        "UAV types use an uppercase Q"
    );
    let striker = types_by_uid
        .iter()
        .find(|(_, t)| t.iter().any(|t| t == "a-h-A-M-H-Q"))
        .unwrap_or_else(|| panic!("no track became a hostile UAV: {types_by_uid:?}"));
    let first_hostile = striker.1.iter().position(|t| t == "a-h-A-M-H-Q").unwrap();
    assert!(
        striker.1[..first_hostile]
            .iter()
            .any(|t| t == "a-u-A-M-H-Q" || t == "a-s-A-M-H-Q"),
        "the striker was shown before it became hostile: {:?}",
        striker.1
    );

    // Ended tracks are staled out: their last event has stale = time.
    let stale_outs: Vec<&CotEvent> = x
        .iter()
        .map(|(_, e)| e)
        .filter(|e| types_by_uid.contains_key(&e.uid) && e.stale == e.time)
        .collect();
    assert!(!stale_outs.is_empty(), "no stale-out for an ended track");
    for so in &stale_outs {
        let last = x.iter().rev().find(|(_, e)| e.uid == so.uid).unwrap();
        assert_eq!(
            last.1.stale, last.1.time,
            "{}: a stale-out is the track's last event",
            so.uid
        );
    }

    // Alerts: to the threatened unit's callsign only; re-sent markers, then a cancel.
    let markers = |evs: &[(Received, CotEvent)], ty: &str| -> Vec<CotEvent> {
        evs.iter()
            .map(|(_, e)| e.clone())
            .filter(|e| e.cot_type == ty)
            .collect()
    };
    let alpha_alerts = markers(&a, "b-a-g");
    assert!(!alpha_alerts.is_empty(), "Post Alpha got no alert");
    assert!(alpha_alerts.iter().all(|e| dests(e) == ["ALPHA"]));
    assert!(
        markers(&x, "b-a-g").is_empty() && markers(&x, "b-a-o-can").is_empty(),
        "a bystander got an alert"
    );
    assert!(markers(&p, "b-a-g").iter().all(|e| dests(e) == ["PATROL7"]));
    assert!(
        markers(&a, "b-a-g")
            .iter()
            .all(|e| !markers(&p, "b-a-g").iter().any(|q| q.uid == e.uid)),
        "each alert went to its own unit only"
    );
    // Every cleared alert is cancelled (all the scenario's units have callsigns), and each
    // cancel reaches the unit that had the alert.
    let cleared = metrics
        .counter_value("picket_alert_events_total", &[("state", "cleared")])
        .unwrap_or(0);
    let sent_cancels: Vec<CotEvent> = sent
        .iter()
        .map(|r| cot(&r.xml))
        .filter(|e| e.cot_type == "b-a-o-can")
        .collect();
    assert!(cleared > 0, "the scenario clears alerts");
    assert_eq!(
        sent_cancels.len() as u64,
        cleared,
        "one cancel per cleared alert"
    );
    for c in &sent_cancels {
        let client = match dests(c).as_slice() {
            [d] if d == "ALPHA" => &a,
            [d] if d == "PATROL7" => &p,
            _ => continue,
        };
        assert!(
            markers(client, "b-a-o-can").iter().any(|e| e.uid == c.uid),
            "{} cancel reached its unit",
            c.uid
        );
        assert!(
            markers(client, "b-a-g").iter().any(|m| m.uid == c.uid),
            "{} cancels an alert its unit had",
            c.uid
        );
    }
    // One direct GeoChat line per lifecycle step, to the device learned from its SA.
    let chats: Vec<CotEvent> = markers(&a, "b-t-f");
    assert!(!chats.is_empty(), "no GeoChat line reached ALPHA");
    assert!(chats.iter().all(|c| c.uid.contains("ANDROID-ALPHA")));
    let raised_for_alpha = alpha_alerts
        .iter()
        .map(|e| e.uid.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(
        chats.len() >= raised_for_alpha,
        "at least one line per alert"
    );

    // Picket announced itself.
    assert!(x.iter().any(|(_, e)| e.cot_type == "a-f-G-E-S"));

    let span = sent
        .last()
        .unwrap()
        .at
        .duration_since(sent[0].at)
        .as_secs_f64();
    eprintln!(
        "naco → taky (TCP): {} events sent in {:.2} s of a {:.2} s run ({:.0} events/s); {} track uids; taky relay latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} events",
        sent.len(),
        span,
        wall.as_secs_f64(),
        sent.len() as f64 / span.max(1e-3),
        types_by_uid.len(),
        percentile_ms(latencies.clone(), 50.0),
        percentile_ms(latencies.clone(), 99.0),
        percentile_ms(latencies.clone(), 100.0),
        latencies.len(),
    );
    assert!(
        percentile_ms(latencies, 99.0) < 1000.0,
        "taky relays within a second"
    );
}

/// The site part of a Picket uid: `picket-<site>-T12` → `<site>`.
fn uid_site(uid: &str) -> &str {
    let rest = uid.strip_prefix("picket-").unwrap_or(uid);
    rest.rsplit_once('-').map_or(rest, |(site, _)| site)
}
