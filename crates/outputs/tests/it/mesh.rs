//! Mesh UDP: Picket's CoT as datagrams to a mesh peer, and officers' SA from a multicast
//! mesh (XML and TAK protocol v1 datagrams) into a live pipeline.

use super::moving_unit::{
    friendly_sensor, patrol_mapping, patrol_site, patrol_state, wait_position, PATROL_LAT,
    PATROL_LON,
};
use super::peers::{sa_xml, takproto};
use super::{cot, dests, naco_now, run_scenario};
use picket_cot::framing::encode_mesh;
use picket_inputs::{TakSaInput, TakSaSource};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{Feed, OutputSink, Pace, PipelineConfig, Source};
use picket_store::SqliteStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracks_and_alerts_go_to_a_mesh_peer_as_one_xml_event_per_datagram() {
    let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let url = format!("udp://{}", peer.local_addr().unwrap());
    let got: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = got.clone();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while let Ok((n, _)) = peer.recv_from(&mut buf).await {
            sink.lock().unwrap().push(buf[..n].to_vec());
        }
    });
    let out = TakOutput::new(TakOutputConfig::new(TakTarget::parse(&url).unwrap())).unwrap();
    let s = naco_now();
    let (metrics, _) = run_scenario(&s, vec![OutputSink::Adapter(Arc::new(out))], Pace::Max).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    reader.abort();

    let datagrams = got.lock().unwrap().clone();
    let sent = metrics.counter_sum("picket_tak_events_sent_total");
    assert_eq!(datagrams.len() as u64, sent, "one datagram per event sent");
    let xml: Vec<String> = datagrams
        .iter()
        .map(|d| String::from_utf8(d.clone()).expect("XML is UTF-8"))
        .collect();
    let events: Vec<_> = xml.iter().map(|x| cot(x)).collect();
    for (v, e) in takproto(&xml).iter().zip(&events) {
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["uid"], e.uid.as_str());
    }
    assert_eq!(events[0].cot_type, "a-f-G-E-S", "presence first");
    assert!(events.iter().any(|e| e.cot_type == "a-h-A-M-H-Q"));
    let alerts: Vec<_> = events.iter().filter(|e| e.cot_type == "b-a-g").collect();
    assert!(!alerts.is_empty());
    assert!(
        alerts.iter().all(|e| dests(e).len() == 1),
        "each alert to one unit"
    );
    assert!(
        events
            .iter()
            .any(|e| e.uid.contains("-T") && e.stale == e.time),
        "an ended track's stale-out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sa_on_the_multicast_mesh_moves_the_patrol_in_xml_and_in_tak_protocol_v1() {
    let port = super::peers::free_port();
    let group: std::net::SocketAddr = format!("239.2.3.1:{port}").parse().unwrap();
    let input = TakSaInput {
        source: TakSaSource::Udp(group),
        units: patrol_mapping(),
        fallback_hae_m: 1400.0,
        accept_acks_from_mesh: false,
    };
    let mut c = PipelineConfig::new(
        patrol_site(vec![friendly_sensor("mesh-sa")]),
        Feed::Live(vec![("mesh-sa".into(), Source::Adapter(Arc::new(input)))]),
    );
    c.reorder_window_s = 0.2;
    let (stop, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let device = tokio::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();

    // An ATAK device speaking XML on the mesh.
    let xml = sa_xml("ANDROID-P7", "PATROL7", PATROL_LAT, PATROL_LON, 60.0);
    device.send_to(xml.as_bytes(), group).await.unwrap();
    wait_position(&p.state, PATROL_LAT, PATROL_LON).await;

    // The same device after switching to TAK protocol v1 on the mesh; reported twice
    // (standing still) so the picture settles on the spot.
    let (lat, lon) = (PATROL_LAT + 0.001, PATROL_LON - 0.001);
    let ev = cot(&sa_xml("ANDROID-P7", "PATROL7", lat, lon, 60.0));
    device
        .send_to(&encode_mesh(&ev, None).unwrap(), group)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ev = cot(&sa_xml("ANDROID-P7", "PATROL7", lat, lon, 60.0));
    device
        .send_to(&encode_mesh(&ev, None).unwrap(), group)
        .await
        .unwrap();
    wait_position(&p.state, lat, lon).await;

    // Garbage on the mesh is counted and the input goes on.
    device
        .send_to(b"\xbf\x01\xbf\xff\xff", group)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        p.metrics.counter_sum("picket_input_malformed_total") >= 1,
        "the bad datagram was counted"
    );
    assert!(!patrol_state(&p.state).1);
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_on_the_mesh_counts_only_where_the_site_opted_in() {
    use super::ack::{chat_xml, drone_line};
    use super::moving_unit::ORIGIN;
    use picket_core::{GeoPoint, LocalFrame, SensorId, UnitId};
    use picket_pipeline::SensorInfo;
    use std::time::Instant;

    let port = super::peers::free_port();
    let group: std::net::SocketAddr = format!("239.2.3.1:{port}").parse().unwrap();
    let rid_addr: std::net::SocketAddr = format!("127.0.0.1:{}", super::peers::free_port())
        .parse()
        .unwrap();
    let input = TakSaInput {
        source: TakSaSource::Udp(group),
        units: patrol_mapping(),
        fallback_hae_m: 1400.0,
        accept_acks_from_mesh: true,
    };
    let mut sensors = vec![friendly_sensor("mesh-sa")];
    sensors.push(SensorInfo {
        id: SensorId("rid-1".into()),
        kind: "remote_id".into(),
        position: Some(ORIGIN),
        silence_timeout_s: 60.0,
    });
    let mut c = PipelineConfig::new(
        patrol_site(sensors),
        Feed::Live(vec![
            ("mesh-sa".into(), Source::Adapter(Arc::new(input))),
            ("rid-1".into(), Source::Udp(rid_addr)),
        ]),
    );
    c.reorder_window_s = 0.2;
    let (stop, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let device = tokio::net::UdpSocket::bind("0.0.0.0:0").await.unwrap();
    let frame = LocalFrame::new(ORIGIN);
    let start = frame.to_enu(&GeoPoint::new(PATROL_LAT, PATROL_LON, 1401.0));
    let t0 = Instant::now();
    let alert_of_patrol = || {
        p.state
            .read()
            .unwrap()
            .alerts
            .values()
            .find(|a| a.unit_id == UnitId::from("patrol-7"))
            .map(|a| (a.alert_id, a.acknowledged_by.clone()))
    };
    let mut i = 0;
    let id = loop {
        if i % 4 == 0 {
            let sa = sa_xml("ANDROID-P7", "PATROL7", PATROL_LAT, PATROL_LON, 30.0);
            device.send_to(sa.as_bytes(), group).await.unwrap();
        }
        i += 1;
        let d = t0.elapsed().as_secs_f64();
        let drone = frame.to_geo(&picket_core::Enu::new(
            start.east_m,
            start.north_m - 1400.0 + 20.0 * d,
            start.up_m + 80.0,
        ));
        device
            .send_to(drone_line(drone).as_bytes(), rid_addr)
            .await
            .unwrap();
        if let Some((id, _)) = alert_of_patrol() {
            break id;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no alert for the patrol"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // A device of no unit: not heard, even opted in.
    let stranger = chat_xml(
        "ANDROID-X",
        "STRANGER",
        "All Chat Rooms",
        "All Chat Rooms",
        "ACK",
    );
    device.send_to(stranger.as_bytes(), group).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(alert_of_patrol(), Some((id, None)));
    let ack = chat_xml(
        "ANDROID-P7",
        "PATROL7",
        "All Chat Rooms",
        "All Chat Rooms",
        "ack",
    );
    device.send_to(ack.as_bytes(), group).await.unwrap();
    let sent = Instant::now();
    while alert_of_patrol().and_then(|a| a.1).is_none() {
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "the patrol's mesh ACK did not acknowledge"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        alert_of_patrol().and_then(|a| a.1).as_deref(),
        Some("PATROL7 (TAK mesh ANDROID-P7)")
    );
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
}
