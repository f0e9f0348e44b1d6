//! A drone's take-off point (from Remote ID) through taky to an ATAK-like client: its own
//! event with a stable uid derived from the track's, linked to the track, staling with it,
//! and staled out when the track ends; takproto parses every event.

use super::peers::{takproto, TakClient, Taky};
use super::{cot, naco_now, site, wall_now};
use picket_core::{Enu, GeoPoint, TargetClass, Track, TrackId, TrackStatus};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{Event, Metrics, OutputAdapter, OutputContext, TrackView};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

fn drone(site: &picket_pipeline::SiteModel, status: TrackStatus, north_m: f64) -> TrackView {
    let enu = Enu::new(150.0, north_m, 90.0);
    TrackView {
        track: Track {
            id: TrackId(77),
            status,
            time: wall_now(),
            first_seen: wall_now(),
            position: site.frame.to_geo(&enu),
            position_enu: enu,
            velocity_enu_mps: [0.0, 12.0, 0.0],
            sigma_horizontal_m: 4.0,
            hits: 12,
            identity: Some(picket_core::Identity::RemoteId("1581F5FJD22B000X".into())),
            class_hint: None,
            sensors: vec!["rid-1".into()],
            operator_position: Some(GeoPoint::new(31.3301, -109.9502, 1398.0)),
            callsign: None,
            other_identities: Vec::new(),
            spoof: None,
            take_off_position: Some(GeoPoint::new(31.3299, -109.9507, 1397.0)),
        },
        class: TargetClass::Drone,
        dark: false,
        reasons: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_off_point_reaches_tak_as_a_linked_event_and_is_staled_out_with_its_track() {
    let taky = Taky::start(None);
    let alpha = TakClient::tcp(taky.port, "ANDROID-ALPHA", "ALPHA").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let site = site(&naco_now());
    let url = format!("tcp://127.0.0.1:{}", taky.port);
    let out = TakOutput::new(TakOutputConfig::new(TakTarget::parse(&url).unwrap())).unwrap();
    let (tx, rx) = mpsc::channel(16);
    let (_stop, shutdown) = watch::channel(false);
    let task = out.spawn(OutputContext {
        events: rx,
        site: site.clone(),
        metrics: Arc::new(Metrics::default()),
        shutdown,
        acknowledger: picket_pipeline::Acknowledger::new(&mpsc::channel(1).0),
    });
    let send = |v: TrackView| {
        Arc::new(Event::Tracks {
            time: wall_now(),
            tracks: vec![v],
        })
    };
    tx.send(send(drone(&site, TrackStatus::Confirmed, -900.0)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    tx.send(send(drone(&site, TrackStatus::Deleted, -880.0)))
        .await
        .unwrap();
    drop(tx);
    tokio::time::timeout(Duration::from_secs(15), task)
        .await
        .expect("the output ends with the pipeline")
        .unwrap();
    alpha
        .settle(Duration::from_millis(500), Duration::from_secs(10))
        .await;

    let got: Vec<_> = alpha
        .events()
        .into_iter()
        .map(|r| (cot(&r.xml), r.xml))
        .filter(|(e, _)| e.uid.starts_with("picket-"))
        .collect();
    let track_uid = "picket-Naco-border-station-built-in-T77";
    let takeoffs: Vec<_> = got
        .iter()
        .filter(|(e, _)| e.uid == format!("{track_uid}-takeoff"))
        .collect();
    assert_eq!(
        takeoffs.len(),
        2,
        "the take-off point, then its stale-out: {:?}",
        got.iter().map(|(e, _)| &e.uid).collect::<Vec<_>>()
    );
    let (first, _) = takeoffs[0];
    assert_eq!(first.cot_type, "b-m-p-s-m");
    assert!((first.point.lat_deg - 31.3299).abs() < 1e-6);
    assert!((first.point.lon_deg + 109.9507).abs() < 1e-6);
    let link = first.detail_element("link").expect("linked to its track");
    assert_eq!(
        (link.get("uid"), link.get("relation")),
        (Some(track_uid), Some("p-p"))
    );
    let track = got
        .iter()
        .map(|(e, _)| e)
        .find(|e| e.uid == track_uid)
        .expect("the track");
    assert_eq!(first.stale, track.stale, "stales with its track");
    let (last, _) = takeoffs[1];
    assert_eq!(last.stale, last.time, "staled out when the track ended");
    let parsed = takproto(&got.iter().map(|(_, x)| x.clone()).collect::<Vec<_>>());
    assert!(
        parsed.iter().all(|v| v["ok"] == true),
        "takproto parses all: {parsed:?}"
    );
}
