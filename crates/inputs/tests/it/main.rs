//! The SAPIENT fusion node adapter over a real socket, with the official sample frames.

mod asterix_file;

mod modes_feeds;

mod remoteid_live;

mod tak;

use picket_core::{GeoPoint, LocalFrame, SensorId};
use picket_pipeline::{Feed, PipelineConfig, SensorInfo, SiteModel, Source};
use picket_sapient::{decode_frame, Content};
use picket_store::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

fn sample(name: &str) -> Vec<u8> {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base.join(format!("sapient/dstl_testharness_Default.{name}.frame.bin"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("shared test data missing: {}: {e}", p.display()))
}

async fn reply(stream: &mut tokio::net::TcpStream) -> Content {
    let mut buf = vec![0u8; 65536];
    let mut have = Vec::new();
    loop {
        if let Ok((msg, _)) = decode_frame(&have) {
            return msg.content.expect("a reply has content");
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("a reply within 5 s")
            .unwrap();
        assert!(n > 0, "the fusion node closed the connection");
        have.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_answers_bad_frames_with_error_and_turns_detections_into_observations() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}").parse().unwrap();
    let sensor = SensorId("sapient-node".into());
    let site = SiteModel {
        name: "test".into(),
        frame: LocalFrame::new(GeoPoint::new(51.17, -1.82, 100.0)),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "radar".into(),
            position: None,
            silence_timeout_s: 60.0,
        }],
    };
    let adapter = picket_inputs::SapientServer {
        listen,
        node_id: "a8654cdf-4328-47de-81fa-c495589e30c1".into(),
        tasking: None,
    };
    let config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor, Source::Adapter(Arc::new(adapter)))]),
    );
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(SqliteStore::open_in_memory().unwrap()), rx)
        .unwrap();

    let mut stream = None;
    for _ in 0..50 {
        if let Ok(s) = tokio::net::TcpStream::connect(listen).await {
            stream = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut s = stream.expect("the fusion node listens");
    s.write_all(&sample("Registration")).await.unwrap();
    assert!(matches!(reply(&mut s).await, Content::RegistrationAck(_)));

    // A frame whose length is right but whose content is not a SapientMessage.
    let garbage = [0xffu8, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02];
    s.write_all(&(garbage.len() as u32).to_le_bytes())
        .await
        .unwrap();
    s.write_all(&garbage).await.unwrap();
    assert!(
        matches!(reply(&mut s).await, Content::Error(_)),
        "bad frame answered with Error"
    );

    // The connection survives: status and a detection still go through.
    s.write_all(&sample("StatusReport")).await.unwrap();
    s.write_all(&sample("DetectionReport")).await.unwrap();
    let m = p.metrics.clone();
    tokio::time::timeout(Duration::from_secs(5), async {
        while m.counter_sum("picket_fusion_observations_total") < 1 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the detection reached fusion as an observation");
    assert!(
        m.counter_sum("picket_input_malformed_total") >= 1,
        "the bad frame was counted"
    );
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
}

/// A second connection registering a node id live on another connection is refused (a
/// rejecting RegistrationAck, counted); the first keeps the id and its tasks; once it is gone
/// the id is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_connection_cannot_take_over_a_live_node_id() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}").parse().unwrap();
    let sensor = SensorId("sapient-node".into());
    let site = SiteModel {
        name: "test".into(),
        frame: LocalFrame::new(GeoPoint::new(51.17, -1.82, 100.0)),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "radar".into(),
            position: None,
            silence_timeout_s: 60.0,
        }],
    };
    let tasking = picket_pipeline::Tasking::default();
    let adapter = picket_inputs::SapientServer {
        listen,
        node_id: "a8654cdf-4328-47de-81fa-c495589e30c1".into(),
        tasking: Some(tasking.clone()),
    };
    let config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor.clone(), Source::Adapter(Arc::new(adapter)))]),
    );
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(SqliteStore::open_in_memory().unwrap()), rx)
        .unwrap();
    let registration = sample("Registration");
    let node = decode_frame(&registration)
        .unwrap()
        .0
        .node_id
        .expect("the sample Registration names its node");
    let connect = || async move {
        for _ in 0..50 {
            if let Ok(s) = tokio::net::TcpStream::connect(listen).await {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the fusion node does not listen");
    };
    let accepted = |c: Content| match c {
        Content::RegistrationAck(a) => a.acceptance,
        other => panic!("expected a RegistrationAck, got {other:?}"),
    };

    let mut first = connect().await;
    first.write_all(&registration).await.unwrap();
    assert_eq!(accepted(reply(&mut first).await), Some(true));
    let refused_before = p.metrics.counter_sum("picket_input_malformed_total");
    let mut second = connect().await;
    second.write_all(&registration).await.unwrap();
    let ack = reply(&mut second).await;
    let Content::RegistrationAck(a) = &ack else {
        panic!("expected a RegistrationAck, got {ack:?}")
    };
    assert_eq!(a.acceptance, Some(false), "{a:?}");
    assert!(
        a.ack_response_reason
            .iter()
            .any(|r| r.contains("another connection")),
        "{a:?}"
    );
    assert_eq!(
        p.metrics.counter_sum("picket_input_malformed_total"),
        refused_before + 1,
        "the refused registration was counted"
    );
    drop(second);

    // A task for the node still reaches the first connection.
    let look = picket_pipeline::LookAt {
        task_id: "01JTASK".into(),
        target: GeoPoint::new(51.18, -1.80, 150.0),
        node_id: Some(node.clone()),
    };
    let asker = {
        let (t, s) = (tasking.clone(), sensor.clone());
        tokio::spawn(async move { t.look_at(&s, look, Duration::from_secs(5)).await })
    };
    let Content::Task(task) = reply(&mut first).await else {
        panic!("the first connection got no Task")
    };
    assert_eq!(task.task_id.as_deref(), Some("01JTASK"));
    let ack = picket_sapient::task_ack(
        &node,
        None,
        picket_core::Timestamp::from_micros(0),
        Some("01JTASK"),
        picket_sapient::proto::task_ack::TaskStatus::Accepted,
        vec![],
    );
    first
        .write_all(&picket_sapient::encode_frame(&ack).unwrap())
        .await
        .unwrap();
    let answered = asker.await.unwrap().expect("the first connection answered");
    assert_eq!(answered.status, "accepted");

    // Once the first connection is gone, the id may register again.
    drop(first);
    let mut third = connect().await;
    let mut ok = false;
    for _ in 0..50 {
        third.write_all(&registration).await.unwrap();
        if accepted(reply(&mut third).await) == Some(true) {
            ok = true;
            break;
        }
        // The server may not have seen the first connection close yet.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "the node id was not freed when its connection closed");
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asterix_datagrams_become_radar_observations_positioned_by_cat034() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}").parse().unwrap();
    let sensor = SensorId("radar-asterix".into());
    let site = SiteModel {
        name: "test".into(),
        frame: LocalFrame::new(GeoPoint::new(45.5, 16.0, 100.0)),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "radar".into(),
            // No position: the radar's CAT-034 messages give it.
            position: None,
            silence_timeout_s: 60.0,
        }],
    };
    let adapter = picket_inputs::AsterixUdp { listen };
    let config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor, Source::Adapter(Arc::new(adapter)))]),
    );
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(SqliteStore::open_in_memory().unwrap()), rx)
        .unwrap();
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let pcap = std::fs::read(base.join("asterix/croatiacontrol_cat_034_048.pcap"))
        .expect("shared ASTERIX sample");
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sent = 0;
    for d in picket_asterix::capture::udp_datagrams(&pcap).unwrap() {
        let d = d.unwrap();
        client.send_to(d.payload, listen).await.unwrap();
        sent += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(sent > 10);
    // Every CAT-048 report is either an input or rejected with its reason; the only reason here
    // is reports of radars that never give their position in CAT-034. The capture holds every
    // datagram twice (networks A and B): the second copy is dropped, not counted.
    let m = p.metrics.clone();
    let sensor_id = SensorId("radar-asterix".into());
    let counts = || {
        let st = p.state.read().unwrap();
        let s = &st.sensors[&sensor_id];
        (s.lines, s.malformed)
    };
    tokio::time::timeout(Duration::from_secs(5), async {
        while counts().0 < 64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{:?}\n{}", counts(), m.render()));
    // Let a late copy show, if one were counted.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (lines, malformed) = counts();
    assert_eq!(lines, 64, "one per distinct CAT-048 report");
    // Only radar 25/12 gives its position (one CAT-034 with I034/120); its 9 distinct reports
    // after that are observations. Reports of the other six radars (25/11, 13, 14, 201, 204,
    // 205) are rejected: placing them at 25/12 would put every plot in the wrong place.
    assert_eq!(
        (lines - malformed, malformed),
        (9, 55),
        "{lines} reports, {malformed} rejected"
    );
    assert_eq!(
        m.counter_value(
            "picket_input_malformed_total",
            &[("sensor", "radar-asterix"), ("reason", "no radar position")]
        ),
        Some(malformed),
        "{}",
        m.render()
    );
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
}

/// The observations an offline decode of the whole capture gives: what the live feed must give.
fn offline_beast_positions(bytes: &[u8], receiver: (f64, f64)) -> usize {
    let mut decoder = picket_modes::Decoder::new(picket_modes::TrackerConfig {
        receiver: Some(receiver),
        ..Default::default()
    });
    let mut n = 0;
    for f in picket_modes::framing::beast::frames(bytes) {
        let Ok(f) = f else { continue };
        if !matches!(
            f.kind,
            picket_modes::BeastKind::ModeSShort | picket_modes::BeastKind::ModeSLong
        ) {
            continue;
        }
        // The live adapter times CPR pairing by reception; the replayed capture arrives within
        // about a second, so one reception time for the whole file is the same pairing.
        let d = decoder.decode(f.data(), Some(0.0));
        if let Some(fix) = &d.fix {
            let t = picket_core::Timestamp::from_micros(0);
            if picket_modes::to_observation(&SensorId("x".into()), t, fix).is_some() {
                n += 1;
            }
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beast_feed_survives_a_disconnect_and_garbage_without_losing_a_frame() {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let capture = std::fs::read(base.join("adsb/beastblackbox_ulss7_beast.bin"))
        .expect("shared Beast capture");
    let receiver = (59.7, 32.0);
    let expected = offline_beast_positions(&capture, receiver);
    assert!(expected > 1000, "{expected}");

    // Split the capture at a frame boundary near its middle: the server sends the first half,
    // then garbage (no 0x1a), then drops the connection; on reconnect it sends the rest.
    let mid = {
        let mut at = capture.len() / 2;
        while !(capture[at] == 0x1a && capture[at - 1] != 0x1a && capture[at + 1] != 0x1a) {
            at += 1;
        }
        at
    };
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (first, rest) = (capture[..mid].to_vec(), capture[mid..].to_vec());
    tokio::spawn(async move {
        let (mut s, _) = server.accept().await.unwrap();
        for c in first.chunks(1000) {
            s.write_all(c).await.unwrap();
        }
        s.write_all(b"garbage without escapes\x00\x01\x02")
            .await
            .unwrap();
        drop(s);
        let (mut s, _) = server.accept().await.unwrap();
        s.write_all(b"\x00\x33noise").await.unwrap();
        for c in rest.chunks(777) {
            s.write_all(c).await.unwrap();
        }
        // Keep the connection open until the test ends.
        tokio::time::sleep(Duration::from_secs(30)).await;
    });

    let sensor = SensorId("adsb-1".into());
    let site = SiteModel {
        name: "test".into(),
        frame: LocalFrame::new(GeoPoint::new(receiver.0, receiver.1, 0.0)),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "adsb".into(),
            position: Some(GeoPoint::new(receiver.0, receiver.1, 0.0)),
            silence_timeout_s: 60.0,
        }],
    };
    let adapter = picket_inputs::BeastTcp {
        addr: addr.to_string(),
    };
    let mut config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor.clone(), Source::Adapter(Arc::new(adapter)))]),
    );
    // The time-compressed replay makes every position look like a new object; keep the
    // tracker's tentative tracks short-lived so fusion keeps up in a debug build.
    config.tracker.max_coast_tentative_s = 0.5;
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(SqliteStore::open_in_memory().unwrap()), rx)
        .unwrap();
    let sent = || {
        let st = p.state.read().unwrap();
        let s = &st.sensors[&sensor];
        s.lines - s.malformed
    };
    tokio::time::timeout(Duration::from_secs(20), async {
        while sent() < expected as u64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} of {expected} positions", sent()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sent(), expected as u64, "no frame lost, none counted twice");
    assert!(
        p.metrics
            .counter_value(
                "picket_input_malformed_total",
                &[("sensor", "adsb-1"), ("reason", "beast framing")]
            )
            .unwrap_or(0)
            >= 1,
        "the garbage was counted: {}",
        p.metrics.render()
    );
    // The 61 s capture arrived in about a second, stamped with arrival time: fusion sees
    // aircraft jumping kilometres per second and has a long backlog to drain. Draining on
    // shutdown is the pipeline's promise (tested elsewhere); here the feed is what is checked.
    tx.send(true).unwrap();
    drop(p);
}
