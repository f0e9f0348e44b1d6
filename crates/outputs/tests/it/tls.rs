//! Mutual TLS to taky's TLS port (client certificates required), with certificates made
//! for the test.

use super::peers::{takproto, Pki, TakClient, Taky};
use super::{cot, dests, naco_now, run_scenario};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget, TlsFiles};
use picket_pipeline::{OutputSink, Pace};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_tak_over_mutual_tls_and_an_untrusted_client_certificate_is_refused() {
    let pki = Pki::new();
    let taky = Taky::start(Some(&pki));
    let alpha = TakClient::tls(
        taky.port,
        pki.rustls_client("alpha-device"),
        "ANDROID-ALPHA",
        "ALPHA",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let good_url = format!("tls://127.0.0.1:{}", taky.port);
    let (cert, key) = pki.client("picket");
    let mut good = TakOutputConfig::new(TakTarget::parse(&good_url).unwrap());
    good.tls = Some(TlsFiles {
        ca: pki.ca.clone(),
        cert,
        key,
    });
    // Same server under its other name, with a certificate from a CA taky does not trust.
    let bad_url = format!("tls://localhost:{}", taky.port);
    let (cert, key) = pki.stranger_client("impostor");
    let mut bad = TakOutputConfig::new(TakTarget::parse(&bad_url).unwrap());
    bad.tls = Some(TlsFiles {
        ca: pki.ca.clone(),
        cert,
        key,
    });
    bad.callsign = Some("IMPOSTOR".into());

    let s = naco_now();
    let outputs = vec![
        OutputSink::Adapter(Arc::new(TakOutput::new(good).unwrap())),
        OutputSink::Adapter(Arc::new(TakOutput::new(bad).unwrap())),
    ];
    let (metrics, _) = run_scenario(&s, outputs, Pace::Max).await;
    assert!(
        taky.log().contains("CERTIFICATE_VERIFY_FAILED"),
        "taky refused the untrusted certificate for that reason:\n{}",
        taky.log()
    );
    alpha
        .settle(Duration::from_millis(500), Duration::from_secs(10))
        .await;

    let got: Vec<_> = alpha
        .events()
        .into_iter()
        .map(|r| (cot(&r.xml), r.xml))
        .filter(|(e, _)| e.uid.starts_with("picket-") || e.uid.starts_with("GeoChat.picket-"))
        .collect();
    assert!(
        got.iter().any(|(e, _)| e.cot_type == "a-h-A-M-H-Q"),
        "hostile track over TLS"
    );
    let alerts: Vec<_> = got.iter().filter(|(e, _)| e.cot_type == "b-a-g").collect();
    assert!(!alerts.is_empty(), "alert over TLS\n{}", taky.log());
    assert!(alerts.iter().all(|(e, _)| dests(e) == ["ALPHA"]));
    let parsed = takproto(&got.iter().map(|(_, x)| x.clone()).collect::<Vec<_>>());
    assert!(
        parsed.iter().all(|v| v["ok"] == true),
        "takproto parses all"
    );

    assert!(
        !alpha.events().iter().any(|r| r.xml.contains("IMPOSTOR")),
        "nothing from the untrusted certificate reached a device"
    );
    assert_eq!(
        metrics.counter_value("picket_tak_reconnects_total", &[("output", &good_url)]),
        Some(0)
    );
    assert!(
        metrics
            .counter_value("picket_tak_reconnects_total", &[("output", &bad_url)])
            .unwrap_or(0)
            >= 1,
        "the refused output keeps trying"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patrols_sa_comes_in_over_mutual_tls_and_an_untrusted_certificate_brings_nothing() {
    use super::moving_unit::{
        friendly_sensor, patrol_mapping, patrol_site, patrol_state, wait_position, PATROL_LAT,
        PATROL_LON,
    };
    use picket_inputs::{TakSaInput, TakSaSource};
    use picket_pipeline::{Feed, PipelineConfig, Source};
    use picket_store::SqliteStore;
    use tokio::sync::watch;

    let pki = Pki::new();
    let taky = Taky::start(Some(&pki));
    let (cert, key) = pki.client("picket-sa");
    let good = TakSaInput {
        source: TakSaSource::Tls {
            host: "127.0.0.1".into(),
            port: taky.port,
            files: TlsFiles {
                ca: pki.ca.clone(),
                cert,
                key,
            },
        },
        units: patrol_mapping(),
        fallback_hae_m: 1400.0,
        accept_acks_from_mesh: false,
    };
    // The same server under its other name, with a certificate taky does not trust.
    let (cert, key) = pki.stranger_client("impostor-sa");
    let bad = TakSaInput {
        source: TakSaSource::Tls {
            host: "localhost".into(),
            port: taky.port,
            files: TlsFiles {
                ca: pki.ca.clone(),
                cert,
                key,
            },
        },
        units: patrol_mapping(),
        fallback_hae_m: 1400.0,
        accept_acks_from_mesh: false,
    };
    let mut c = PipelineConfig::new(
        patrol_site(vec![friendly_sensor("tak-tls"), friendly_sensor("tak-bad")]),
        Feed::Live(vec![
            ("tak-tls".into(), Source::Adapter(Arc::new(good))),
            ("tak-bad".into(), Source::Adapter(Arc::new(bad))),
        ]),
    );
    c.reorder_window_s = 0.2;
    let (stop, rx) = watch::channel(false);
    let p =
        picket_pipeline::start(c, Box::new(SqliteStore::open_in_memory().unwrap()), rx).unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;

    let patrol = TakClient::tls(
        taky.port,
        pki.rustls_client("patrol-device"),
        "ANDROID-P7",
        "PATROL7",
    )
    .await;
    for i in 0..3 {
        let lat = PATROL_LAT + 0.0001 * i as f64;
        for _ in 0..2 {
            patrol
                .send(&super::peers::sa_xml(
                    "ANDROID-P7",
                    "PATROL7",
                    lat,
                    PATROL_LON,
                    60.0,
                ))
                .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        wait_position(&p.state, lat, PATROL_LON).await;
    }
    assert!(!patrol_state(&p.state).1, "fresh over TLS");
    assert!(
        taky.log().contains("CERTIFICATE_VERIFY_FAILED"),
        "taky refused the untrusted certificate:\n{}",
        taky.log()
    );
    assert_eq!(
        p.metrics
            .counter_value("picket_input_lines_total", &[("sensor", "tak-bad")])
            .unwrap_or(0),
        0,
        "nothing came in over the refused connection"
    );
    assert!(
        p.metrics
            .counter_value("picket_input_lines_total", &[("sensor", "tak-tls")])
            .unwrap_or(0)
            >= 6,
        "the patrol's reports came in over TLS"
    );
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), p.join())
        .await
        .expect("stops on shutdown");
}
