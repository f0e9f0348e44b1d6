//! An officer acknowledges from ATAK: the unit's device answers Picket's alert chat line
//! with "ACK" through taky; the alert becomes acknowledged by that officer, stored and
//! audited like an API acknowledgement, and the acknowledgement goes back to the device.
//! A device of no unit claiming the unit's callsign is not heard.

use super::moving_unit::{friendly_sensor, patrol_site, ORIGIN};
use super::peers::{free_port, TakClient, Taky};
use super::wall_now;
use picket_core::{AlertState, GeoPoint, LocalFrame, SensorId, UnitId};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{Feed, OutputSink, PipelineConfig, SensorInfo, Source};
use picket_store::{SqliteStore, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A direct GeoChat line as ATAK sends it, from `uid` / `callsign` to Picket (`to_uid`).
pub fn chat_xml(uid: &str, callsign: &str, to_uid: &str, to_callsign: &str, text: &str) -> String {
    let t = picket_cot::format_cot_time(wall_now());
    let s = picket_cot::format_cot_time(wall_now().plus_secs_f64(86_400.0));
    let msg = format!("{:x}", wall_now().as_micros());
    format!(
        r#"<event version="2.0" uid="GeoChat.{uid}.{to_uid}.{msg}" type="b-t-f" how="h-g-i-g-o" time="{t}" start="{t}" stale="{s}"><point lat="31.3405" lon="-109.961" hae="1398.0" ce="9999999.0" le="9999999.0"/><detail><__chat parent="RootContactGroup" groupOwner="false" messageId="{msg}" chatroom="{to_callsign}" id="{to_uid}" senderCallsign="{callsign}"><chatgrp uid0="{uid}" uid1="{to_uid}" id="{to_uid}"/></__chat><link uid="{uid}" type="a-f-G-U-C" relation="p-p"/><remarks source="BAO.F.ATAK.{uid}" to="{to_uid}" time="{t}">{text}</remarks><marti><dest callsign="{to_callsign}"/></marti></detail></event>"#
    )
}

pub fn drone_line(p: GeoPoint) -> String {
    format!(
        r#"{{"sensor":"rid-1","time":"{}","position":{{"lat_deg":{},"lon_deg":{},"alt_hae_m":{}}},"sigma_h_m":5,"sigma_v_m":8,"remote_id":"PICKETACK0001","velocity_enu_mps":[0,20,0],"class":"drone","class_confidence":0.9}}"#,
        wall_now(),
        p.lat_deg,
        p.lon_deg,
        p.alt_hae_m
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officers_ack_in_geochat_acknowledges_the_units_alert_and_is_audited() {
    let taky = Taky::start(None);
    let alpha = TakClient::tcp(taky.port, "ANDROID-ALPHA", "ALPHA").await;
    let stranger = TakClient::tcp(taky.port, "ANDROID-X", "STRANGER").await;
    let rid_addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut sensors = vec![friendly_sensor("tak-sa")];
    sensors.push(SensorInfo {
        id: SensorId("rid-1".into()),
        kind: "remote_id".into(),
        position: Some(ORIGIN),
        silence_timeout_s: 60.0,
    });
    let mut c = PipelineConfig::new(
        patrol_site(sensors),
        Feed::Live(vec![("rid-1".into(), Source::Udp(rid_addr))]),
    );
    c.reorder_window_s = 0.2;
    let out = TakOutput::new(TakOutputConfig::new(
        TakTarget::parse(&format!("tcp://127.0.0.1:{}", taky.port)).unwrap(),
    ))
    .unwrap();
    c.outputs = vec![OutputSink::Adapter(Arc::new(out))];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("picket.db");
    let (stop, rx) = watch::channel(false);
    let p = picket_pipeline::start(c, Box::new(SqliteStore::open(&db).unwrap()), rx).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // ALPHA's SA through the server: Picket learns its device uid.
    alpha.announce().await;

    // A drone 1.4 km south of Post Alpha, closing at 20 m/s.
    let frame = LocalFrame::new(ORIGIN);
    let post = frame.to_enu(&GeoPoint::new(31.3405, -109.961, 1398.0));
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let t0 = Instant::now();
    let feeding = {
        let udp = Arc::new(udp);
        tokio::spawn(async move {
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
        })
    };
    let raised = loop {
        if let Some(id) = p
            .state
            .read()
            .unwrap()
            .alerts
            .values()
            .find(|a| a.unit_id == UnitId::from("post-alpha"))
            .map(|a| a.alert_id)
        {
            if alpha
                .events()
                .iter()
                .any(|r| r.xml.contains("type=\"b-t-f\"") && r.xml.contains("ANDROID-ALPHA"))
            {
                break id;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no alert chat reached ALPHA\n{}",
            taky.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let picket_uid = "picket-naco-live";
    let picket_cs = "PICKET naco-live";
    let acked_by = || {
        p.state
            .read()
            .unwrap()
            .alerts
            .get(&raised)
            .and_then(|a| a.acknowledged_by.clone())
    };

    // A device of no unit, claiming ALPHA's callsign in its chat line: not heard.
    stranger
        .send(&chat_xml(
            "ANDROID-X",
            "ALPHA",
            picket_uid,
            picket_cs,
            "ACK",
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(acked_by(), None, "the stranger's ACK was ignored");

    // ALPHA answers Picket's chat line.
    let sent = Instant::now();
    alpha
        .send(&chat_xml(
            "ANDROID-ALPHA",
            "ALPHA",
            picket_uid,
            picket_cs,
            "ACK",
        ))
        .await;
    while acked_by().is_none() {
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "ALPHA's ACK did not acknowledge the alert\n{}",
            taky.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = sent.elapsed();
    assert_eq!(acked_by().as_deref(), Some("ALPHA (TAK ANDROID-ALPHA)"));
    // The acknowledgement goes back to ALPHA's device as a chat line.
    let t = Instant::now();
    while !alpha
        .events()
        .iter()
        .any(|r| r.xml.contains("acknowledged by ALPHA (TAK ANDROID-ALPHA)"))
    {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no acknowledgement line back on ALPHA's device"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        p.metrics.counter_value(
            "picket_tak_acknowledgements_total",
            &[("output", &format!("tcp://127.0.0.1:{}", taky.port))]
        ),
        Some(1),
        "one acknowledgement heard (the stranger's was not)"
    );
    feeding.abort();
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(20), p.join())
        .await
        .expect("stops on shutdown");

    // Stored and audited like an API acknowledgement.
    let store = SqliteStore::open(&db).unwrap();
    let acked: Vec<_> = store
        .alert_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.state == AlertState::Acknowledged)
        .collect();
    assert_eq!(acked.len(), 1, "{acked:?}");
    assert_eq!(acked[0].alert_id, raised);
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
        )) && audit[0].detail.contains("chat from ANDROID-ALPHA"),
        "{}",
        audit[0].detail
    );
    eprintln!(
        "ACK in GeoChat through taky → alert acknowledged in the pipeline: {:.0} ms",
        took.as_secs_f64() * 1000.0
    );
}
