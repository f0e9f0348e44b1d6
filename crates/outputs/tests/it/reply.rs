//! An officer acknowledges from TAK without typing: the unit's device answers Picket's alert
//! marker with a CoT `y-a-r` (received) reply linked to the marker's uid, through taky. The
//! alert becomes acknowledged by that officer, stored and audited. The same reply from a
//! device of another unit is heard and refused, and a GeoChat read receipt of Picket's alert
//! line is counted as "seen" without acknowledging anything. A reply forged from
//! another connection under ALPHA's device uid but naming a guessed marker uid (untagged or
//! wrongly tagged) is refused, and so is a reply dated before the alert was raised.

use super::ack::drone_line;
use super::moving_unit::{friendly_sensor, patrol_site, ORIGIN};
use super::peers::{free_port, TakClient, Taky};
use super::{cot, wall_now};
use picket_core::{AlertState, GeoPoint, LocalFrame, SensorId, Timestamp, UnitId};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{Feed, OutputSink, PipelineConfig, SensorInfo, Source};
use picket_store::{SqliteStore, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

const PICKET_CS: &str = "PICKET naco-live";

/// A `y-a-r` reply as a CoT tool or plugin sends it: linked to the alert marker (relation
/// `p-t`, MITRE's "the tasking that elicited this event"), the device as producer (`p-p`),
/// addressed to Picket's callsign.
fn received_xml(device_uid: &str, callsign: &str, alert_uid: &str) -> String {
    received_xml_at(device_uid, callsign, alert_uid, wall_now())
}

/// [`received_xml`] dated `time` (still fresh: stale a minute from now).
fn received_xml_at(device_uid: &str, callsign: &str, alert_uid: &str, time: Timestamp) -> String {
    let t = picket_cot::format_cot_time(time);
    let s = picket_cot::format_cot_time(wall_now().plus_secs_f64(60.0));
    let uid = format!("{device_uid}.reply.{:x}", wall_now().as_micros());
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="{uid}" type="y-a-r" how="h-e" time="{t}" start="{t}" stale="{s}"><point lat="31.3405" lon="-109.961" hae="1398.0" ce="9999999.0" le="9999999.0"/><detail><link uid="{alert_uid}" type="b-a-g" relation="p-t"/><link uid="{device_uid}" type="a-f-G-U-C" relation="p-p"/><contact callsign="{callsign}"/><marti><dest callsign="{PICKET_CS}"/></marti></detail></event>"#
    )
}

/// A GeoChat read receipt as ATAK's GeoChatService writes it: the original line's messageId
/// as uid and in `__chatreceipt`, the device as producer.
fn read_receipt_xml(
    device_uid: &str,
    callsign: &str,
    picket_uid: &str,
    message_id: &str,
) -> String {
    let t = picket_cot::format_cot_time(wall_now());
    let s = picket_cot::format_cot_time(wall_now().plus_secs_f64(86_400.0));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="{message_id}" type="b-t-f-r" how="m-g" time="{t}" start="{t}" stale="{s}"><point lat="31.3405" lon="-109.961" hae="1398.0" ce="9999999.0" le="9999999.0"/><detail><__chatreceipt id="{picket_uid}" messageId="{message_id}" senderCallsign="{callsign}" chatroom="{PICKET_CS}" parent="RootContactGroup" groupOwner="false"><chatgrp id="{picket_uid}" uid0="{device_uid}" uid1="{picket_uid}"/></__chatreceipt><link uid="{device_uid}" type="a-f-G-U-C" relation="p-p"/><marti><dest callsign="{PICKET_CS}"/></marti></detail></event>"#
    )
}

/// Waits up to 10 s for `f`.
async fn wait_until(what: &str, taky: &Taky, f: impl Fn() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{what}\n{}",
            taky.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_y_a_r_reply_from_the_units_device_acknowledges_its_alert_and_another_units_is_refused() {
    let taky = Taky::start(None);
    let alpha = TakClient::tcp(taky.port, "ANDROID-ALPHA", "ALPHA").await;
    let patrol = TakClient::tcp(taky.port, "ANDROID-P7", "PATROL7").await;
    let rid_addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let sensors = vec![
        friendly_sensor("tak-sa"),
        SensorInfo {
            id: SensorId("rid-1".into()),
            kind: "remote_id".into(),
            position: Some(ORIGIN),
            silence_timeout_s: 60.0,
        },
    ];
    let mut c = PipelineConfig::new(
        patrol_site(sensors),
        Feed::Live(vec![("rid-1".into(), Source::Udp(rid_addr))]),
    );
    c.reorder_window_s = 0.2;
    let url = format!("tcp://127.0.0.1:{}", taky.port);
    let out = TakOutput::new(TakOutputConfig::new(TakTarget::parse(&url).unwrap())).unwrap();
    c.outputs = vec![OutputSink::Adapter(Arc::new(out))];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("picket.db");
    let (stop, rx) = watch::channel(false);
    let p = picket_pipeline::start(c, Box::new(SqliteStore::open(&db).unwrap()), rx).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    alpha.announce().await;

    // A drone 1.4 km south of Post Alpha, closing at 20 m/s.
    let frame = LocalFrame::new(ORIGIN);
    let post = frame.to_enu(&GeoPoint::new(31.3405, -109.961, 1398.0));
    let udp = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let t0 = Instant::now();
    let feeding = tokio::spawn(async move {
        loop {
            let d = t0.elapsed().as_secs_f64();
            let drone = frame.to_geo(&picket_core::Enu::new(
                post.east_m,
                post.north_m - 1400.0 + 20.0 * d.min(50.0),
                post.up_m + 80.0,
            ));
            let _ = udp.send_to(drone_line(drone).as_bytes(), rid_addr).await;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });

    // ALPHA's device holds the alert marker and Picket's chat line about it.
    let (raised, marker_uid, message_id) = loop {
        let alert = p
            .state
            .read()
            .unwrap()
            .alerts
            .values()
            .find(|a| a.unit_id == UnitId::from("post-alpha"))
            .map(|a| a.alert_id);
        let got = alpha.events();
        let marker = got
            .iter()
            .map(|r| cot(&r.xml))
            .find(|e| e.cot_type == "b-a-g");
        let chat_id = got
            .iter()
            .map(|r| cot(&r.xml))
            .filter(|e| e.cot_type == "b-t-f")
            .find_map(|e| {
                e.detail_element("__chat")
                    .and_then(|c| c.get("messageId"))
                    .map(str::to_owned)
            });
        if let (Some(id), Some(m), Some(chat_id)) = (alert, marker, chat_id) {
            break (id, m.uid, chat_id);
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no alert marker and chat line reached ALPHA\n{}",
            taky.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The marker uid carries the output's tag: `picket-<site>-A<id>-<12 hex>`.
    let tag = marker_uid
        .strip_prefix(&format!("picket-naco-live-A{}-", raised.0))
        .unwrap_or_else(|| panic!("untagged marker uid {marker_uid}"));
    assert!(
        tag.len() == 12 && tag.bytes().all(|b| b.is_ascii_hexdigit()),
        "{marker_uid}"
    );
    assert!(
        message_id.starts_with(&format!("{marker_uid}-")),
        "the chat line names the same uid: {message_id}"
    );
    let picket_uid = "picket-naco-live";
    let acked_by = || {
        p.state
            .read()
            .unwrap()
            .alerts
            .get(&raised)
            .and_then(|a| a.acknowledged_by.clone())
    };
    let counter = |name: &str, extra: Option<(&str, &str)>| {
        let mut labels = vec![("output", url.as_str())];
        labels.extend(extra);
        p.metrics.counter_value(name, &labels).unwrap_or(0)
    };
    // Patrol 7's device forges replies under ALPHA's device uid (visible in ALPHA's SA),
    // naming ALPHA's alert by a uid guessed from the sequence: untagged, or wrongly tagged.
    // It never received the marker (addressed to ALPHA only), so it cannot know the tag.
    let wrong_tag = format!(
        "picket-naco-live-A{}-{}",
        raised.0,
        if tag == "000000000000" {
            "111111111111"
        } else {
            "000000000000"
        }
    );
    for guess in [format!("picket-naco-live-A{}", raised.0), wrong_tag] {
        patrol
            .send(&received_xml("ANDROID-ALPHA", "ALPHA", &guess))
            .await;
    }
    wait_until("the forged replies were not refused", &taky, || {
        counter("picket_tak_replies_unverified_total", None) == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        acked_by(),
        None,
        "a guessed marker uid acknowledged nothing"
    );
    assert_eq!(
        counter("picket_tak_acknowledgements_total", None),
        0,
        "not taken as acknowledgements at all"
    );

    // Patrol 7's device (its SA relayed now that Picket is connected) replies to ALPHA's
    // alert: heard from a unit's device, refused as not that unit's alert.
    patrol.announce().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    patrol
        .send(&received_xml("ANDROID-P7", "PATROL7", &marker_uid))
        .await;
    wait_until("Patrol 7's reply was not refused", &taky, || {
        counter("picket_tak_acknowledgements_refused_total", None) == 1
    })
    .await;
    assert_eq!(
        acked_by(),
        None,
        "another unit's device acknowledged nothing"
    );

    // ALPHA's device reads Picket's chat line: seen, not acknowledged.
    alpha
        .send(&read_receipt_xml(
            "ANDROID-ALPHA",
            "ALPHA",
            picket_uid,
            &message_id,
        ))
        .await;
    wait_until("the read receipt was not counted", &taky, || {
        counter("picket_tak_chat_receipts_total", Some(("receipt", "read"))) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(acked_by(), None, "a read receipt is not an acknowledgement");

    // A reply from ALPHA's device naming the right marker but dated before the alert was
    // raised (a replay of an acknowledgement of an earlier alert): refused and audited.
    let raised_time = p.state.read().unwrap().alerts[&raised].raised_time;
    alpha
        .send(&received_xml_at(
            "ANDROID-ALPHA",
            "ALPHA",
            &marker_uid,
            raised_time.plus_secs_f64(-60.0),
        ))
        .await;
    wait_until("the early reply was not refused", &taky, || {
        counter("picket_tak_acknowledgements_refused_total", None) == 2
    })
    .await;
    assert_eq!(acked_by(), None, "an early reply acknowledged nothing");
    assert_eq!(
        p.metrics.counter_value(
            "picket_acknowledgements_refused_total",
            &[("reason", "before_raised")]
        ),
        Some(1)
    );
    // ALPHA's device replies "received" to the marker.
    let sent = Instant::now();
    alpha
        .send(&received_xml("ANDROID-ALPHA", "ALPHA", &marker_uid))
        .await;
    wait_until("ALPHA's y-a-r did not acknowledge the alert", &taky, || {
        acked_by().is_some()
    })
    .await;
    let took = sent.elapsed();
    assert_eq!(acked_by().as_deref(), Some("ALPHA (TAK ANDROID-ALPHA)"));
    assert_eq!(
        p.state.read().unwrap().alerts[&raised].state,
        AlertState::Acknowledged
    );
    // Announced back to ALPHA's device like any acknowledgement.
    wait_until(
        "no acknowledgement line back on ALPHA's device",
        &taky,
        || {
            alpha
                .events()
                .iter()
                .any(|r| r.xml.contains("acknowledged by ALPHA (TAK ANDROID-ALPHA)"))
        },
    )
    .await;
    assert_eq!(counter("picket_tak_acknowledgements_total", None), 3);
    assert_eq!(
        counter("picket_tak_acknowledgements_refused_total", None),
        2,
        "ALPHA's acknowledgement was taken"
    );
    assert_eq!(
        counter("picket_tak_acknowledgements_dropped_total", None),
        0
    );
    assert_eq!(counter("picket_tak_replies_unverified_total", None), 2);
    feeding.abort();
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(20), p.join())
        .await
        .expect("stops on shutdown");

    let store = SqliteStore::open(&db).unwrap();
    let acked: Vec<_> = store
        .alert_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.state == AlertState::Acknowledged)
        .collect();
    assert_eq!(acked.len(), 1, "{acked:?}");
    assert_eq!(acked[0].alert_id, raised);
    assert_eq!(
        acked[0].acknowledged_by.as_deref(),
        Some("ALPHA (TAK ANDROID-ALPHA)")
    );
    let audit: Vec<_> = store
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "acknowledge_alert")
        .collect();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].who, "ALPHA (TAK ANDROID-ALPHA)");
    assert!(
        audit[0].detail.starts_with(&format!(
            "{raised} unit post-alpha sector naco via TAK server"
        )) && audit[0]
            .detail
            .ends_with("y-a-r reply (received) from ANDROID-ALPHA"),
        "{}",
        audit[0].detail
    );
    // The early reply: audited as refused (the store is flushed now).
    let refused = store
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "acknowledge_alert_refused")
        .collect::<Vec<_>>();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].who, "ALPHA (TAK ANDROID-ALPHA)");
    assert!(
        refused[0].detail.starts_with(&format!(
            "{raised} unit post-alpha sector naco via TAK server"
        )) && refused[0].detail.contains("before the alert was raised"),
        "{}",
        refused[0].detail
    );
    eprintln!(
        "y-a-r through taky → alert acknowledged in the pipeline: {:.0} ms",
        took.as_secs_f64() * 1000.0
    );
}
