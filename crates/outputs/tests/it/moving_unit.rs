//! Officers' positions from TAK: an ATAK-like client publishes SA for a patrol through taky;
//! Picket's live pipeline moves the patrol's bubble with it, flags it stale when it stops,
//! and warns that patrol — and only it — of a drone closing on where it now is.

use super::peers::{percentile_ms, sa_xml, TakClient, Taky};
use super::{cot, dests, wall_now};
use picket_core::{GeoPoint, LocalFrame, ProtectedUnit, SensorId, UnitGeometry, UnitId, UnitKind};
use picket_inputs::{TakSaInput, TakSaSource, TakUnitMapping};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{Feed, OutputSink, PipelineConfig, SensorInfo, SiteModel, Source};
use picket_store::SqliteStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub const ORIGIN: GeoPoint = GeoPoint {
    lat_deg: 31.345,
    lon_deg: -109.948,
    alt_hae_m: 1400.0,
};
/// Where the patrol starts: ~3 km north of Post Alpha, far outside its bubble.
pub const PATROL_LAT: f64 = 31.372;
pub const PATROL_LON: f64 = -109.95;

pub fn patrol_site(sensors: Vec<SensorInfo>) -> SiteModel {
    SiteModel {
        name: "naco-live".into(),
        frame: LocalFrame::new(ORIGIN),
        units: vec![
            ProtectedUnit {
                id: "post-alpha".into(),
                name: "Post Alpha".into(),
                sector: "naco".into(),
                callsign: Some("ALPHA".into()),
                kind: UnitKind::Fixed {
                    geometry: UnitGeometry::Circle {
                        center: GeoPoint::new(31.3405, -109.961, 1398.0),
                        radius_m: 300.0,
                    },
                },
            },
            ProtectedUnit {
                id: "patrol-7".into(),
                name: "Patrol 7".into(),
                sector: "naco".into(),
                callsign: Some("PATROL7".into()),
                kind: UnitKind::Moving {
                    radius_m: 400.0,
                    stale_after: Duration::from_secs(2),
                },
            },
        ],
        zones: vec![],
        sensors,
    }
}

pub fn friendly_sensor(id: &str) -> SensorInfo {
    SensorInfo {
        id: SensorId(id.into()),
        kind: "friendly".into(),
        position: None,
        silence_timeout_s: 60.0,
    }
}

pub fn patrol_mapping() -> Vec<TakUnitMapping> {
    vec![TakUnitMapping {
        unit_id: "patrol-7".into(),
        uid: Some("ANDROID-P7".into()),
        callsign: Some("PATROL7".into()),
    }]
}

/// The patrol's position and stale flag in the live picture.
pub fn patrol_state(state: &picket_pipeline::SharedState) -> (Option<GeoPoint>, bool) {
    let s = state.read().unwrap();
    s.units
        .get(&UnitId::from("patrol-7"))
        .map_or((None, false), |u| (u.position, u.stale))
}

/// Waits until the patrol's position is (`lat`, `lon`); the time it took.
pub async fn wait_position(state: &picket_pipeline::SharedState, lat: f64, lon: f64) -> Duration {
    let t0 = Instant::now();
    loop {
        if let (Some(p), false) = patrol_state(state) {
            if (p.lat_deg - lat).abs() < 1e-7 && (p.lon_deg - lon).abs() < 1e-7 {
                return t0.elapsed();
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "patrol never reached ({lat}, {lon}); now {:?}",
            patrol_state(state)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the patrol is flagged stale.
pub async fn wait_stale(state: &picket_pipeline::SharedState) {
    let t0 = Instant::now();
    while !patrol_state(state).1 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the patrol never went stale"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patrols_sa_through_taky_moves_its_bubble_and_goes_stale_when_it_stops() {
    let taky = Taky::start(None);
    let sensor = "tak-sa";
    let input = TakSaInput {
        source: TakSaSource::Tcp(format!("127.0.0.1:{}", taky.port)),
        units: patrol_mapping(),
        fallback_hae_m: 1400.0,
        accept_acks_from_mesh: false,
    };
    let mut c = PipelineConfig::new(
        patrol_site(vec![friendly_sensor(sensor)]),
        Feed::Live(vec![(sensor.into(), Source::Adapter(Arc::new(input)))]),
    );
    c.reorder_window_s = 0.2;
    let (stop, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let patrol = TakClient::tcp(taky.port, "ANDROID-P7", "PATROL7").await;
    // Another device nearby, of no unit: it must not move the patrol.
    let stranger = TakClient::tcp(taky.port, "ANDROID-X", "STRANGER").await;
    let mut latencies = Vec::new();
    let mut last_report = Instant::now();
    for i in 0..8 {
        // Each stop is reported twice, as a device does while it stands: the second report
        // (no motion since the first) lets the picture settle exactly on the spot, where
        // between reports it dead-reckons.
        let lat = PATROL_LAT + 0.00005 * i as f64;
        let lon = PATROL_LON + 0.00002 * i as f64;
        stranger
            .send(&sa_xml("ANDROID-X", "STRANGER", 31.30, -109.90, 60.0))
            .await;
        patrol
            .send(&sa_xml("ANDROID-P7", "PATROL7", lat, lon, 60.0))
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        patrol
            .send(&sa_xml("ANDROID-P7", "PATROL7", lat, lon, 60.0))
            .await;
        last_report = Instant::now();
        latencies.push(wait_position(&p.state, lat, lon).await);
        let (pos, stale) = patrol_state(&p.state);
        assert!(!stale, "fresh reports: not stale");
        assert!(
            (pos.unwrap().lat_deg - lat).abs() < 1e-7,
            "the stranger did not move the patrol"
        );
    }
    // The patrol stops reporting: flagged stale after its 2 s limit (plus the reorder
    // window and one step), and not before.
    wait_stale(&p.state).await;
    let stale_after = last_report.elapsed();
    assert!(
        stale_after >= Duration::from_secs(2) && stale_after < Duration::from_secs(6),
        "stale after {stale_after:?}"
    );
    assert_eq!(
        p.metrics
            .counter_value("picket_input_lines_total", &[("sensor", sensor)]),
        Some(17),
        "the announcement and sixteen reports; nothing from the stranger"
    );
    eprintln!(
        "TAK SA via taky → unit position in the live picture: p50 {:.0} ms, max {:.0} ms (reorder window 200 ms, fusion step 500 ms); stale flagged {:.2} s after the last report",
        percentile_ms(latencies.clone(), 50.0),
        percentile_ms(latencies, 100.0),
        stale_after.as_secs_f64()
    );
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
}

/// A Remote ID line of a drone at `p`, flying north at 20 m/s.
fn drone_line(p: GeoPoint) -> String {
    format!(
        r#"{{"sensor":"rid-1","time":"{}","position":{{"lat_deg":{},"lon_deg":{},"alt_hae_m":{}}},"sigma_h_m":5,"sigma_v_m":8,"remote_id":"PICKETTEST0001","velocity_enu_mps":[0,20,0],"class":"drone","class_confidence":0.9}}"#,
        wall_now(),
        p.lat_deg,
        p.lon_deg,
        p.alt_hae_m
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drone_closing_on_a_moving_patrol_is_alerted_to_that_patrol_only() {
    let taky = Taky::start(None);
    let alpha = TakClient::tcp(taky.port, "ANDROID-ALPHA", "ALPHA").await;
    let patrol = TakClient::tcp(taky.port, "ANDROID-P7", "PATROL7").await;
    let rid_port = super::peers::free_port();
    let rid_addr: std::net::SocketAddr = format!("127.0.0.1:{rid_port}").parse().unwrap();
    let input = TakSaInput {
        source: TakSaSource::Tcp(format!("127.0.0.1:{}", taky.port)),
        units: patrol_mapping(),
        fallback_hae_m: 1400.0,
        accept_acks_from_mesh: false,
    };
    let mut sensors = vec![friendly_sensor("tak-sa")];
    sensors.push(SensorInfo {
        id: SensorId("rid-1".into()),
        kind: "remote_id".into(),
        position: Some(ORIGIN),
        silence_timeout_s: 60.0,
    });
    let mut c = PipelineConfig::new(
        patrol_site(sensors),
        Feed::Live(vec![
            ("tak-sa".into(), Source::Adapter(Arc::new(input))),
            ("rid-1".into(), Source::Udp(rid_addr)),
        ]),
    );
    c.reorder_window_s = 0.2;
    let out = TakOutput::new(TakOutputConfig::new(
        TakTarget::parse(&format!("tcp://127.0.0.1:{}", taky.port)).unwrap(),
    ))
    .unwrap();
    c.outputs = vec![OutputSink::Adapter(Arc::new(out))];
    let (stop, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let frame = LocalFrame::new(ORIGIN);
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let patrol_at = GeoPoint::new(PATROL_LAT, PATROL_LON, 1401.0);
    let start = frame.to_enu(&patrol_at);
    let t0 = Instant::now();
    let mut alerted = None;
    for i in 0..60 {
        // The patrol reports every second; the drone, 1.4 km south of it, closes at 20 m/s.
        if i % 4 == 0 {
            patrol
                .send(&sa_xml(
                    "ANDROID-P7",
                    "PATROL7",
                    PATROL_LAT,
                    PATROL_LON,
                    30.0,
                ))
                .await;
        }
        let d = t0.elapsed().as_secs_f64();
        let drone = frame.to_geo(&picket_core::Enu::new(
            start.east_m,
            start.north_m - 1400.0 + 20.0 * d,
            start.up_m + 80.0,
        ));
        udp.send_to(drone_line(drone).as_bytes(), rid_addr)
            .await
            .unwrap();
        if patrol
            .events()
            .iter()
            .any(|r| r.xml.contains("type=\"b-a-g\""))
        {
            alerted = Some(t0.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let alerted = alerted.unwrap_or_else(|| panic!("no alert reached PATROL7\n{}", taky.log()));
    patrol
        .settle(Duration::from_millis(300), Duration::from_secs(3))
        .await;
    alpha
        .settle(Duration::from_millis(300), Duration::from_secs(3))
        .await;

    let marker = patrol
        .events()
        .iter()
        .map(|r| cot(&r.xml))
        .find(|e| e.cot_type == "b-a-g")
        .unwrap();
    assert_eq!(dests(&marker), ["PATROL7"]);
    assert_eq!(
        marker
            .detail_element("__picket")
            .and_then(|d| d.get("unit")),
        Some("patrol-7")
    );
    assert!(
        patrol
            .events()
            .iter()
            .any(|r| r.xml.contains("type=\"b-t-f\"") && r.xml.contains("ANDROID-P7")),
        "a GeoChat line to the patrol's device"
    );
    assert!(
        !alpha
            .events()
            .iter()
            .any(|r| r.xml.contains("type=\"b-a-g\"") || r.xml.contains("type=\"b-t-f\"")),
        "Post Alpha, far away, is not warned"
    );
    eprintln!(
        "drone closing on a TAK-reported patrol: alert on PATROL7's device {:.1} s after the drone appeared 1.4 km out",
        alerted.as_secs_f64()
    );
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(15), p.join())
        .await
        .expect("stops on shutdown");
}
