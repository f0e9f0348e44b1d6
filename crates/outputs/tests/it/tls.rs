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
