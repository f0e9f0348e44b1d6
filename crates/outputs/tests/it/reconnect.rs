//! A TAK server that is not there yet, then drops the connection: Picket retries with
//! backoff, announces itself again and re-sends its picture on each new connection.

use super::peers::free_port;
use super::{naco_now, run_scenario};
use picket_cot::{CotEvent, Limits, StreamDecoder};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{OutputSink, Pace};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

async fn read_events(sock: &mut TcpStream, until_eof: bool, min: usize) -> Vec<CotEvent> {
    let mut dec = StreamDecoder::new(Limits::default());
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(30), sock.read(&mut buf))
            .await
            .expect("data or end within 30 s")
            .unwrap();
        if n == 0 {
            return out;
        }
        dec.push(&buf[..n]);
        while let Some(e) = dec.next_event().unwrap() {
            out.push(e);
        }
        if !until_eof && out.len() >= min {
            return out;
        }
    }
}

fn track_uids(evs: &[CotEvent]) -> BTreeSet<String> {
    evs.iter()
        .filter(|e| e.cot_type.starts_with("a-") && e.detail_element("__picket").is_some())
        .map(|e| e.uid.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_until_the_server_is_up_and_resends_the_picture_after_a_drop() {
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let out = TakOutput::new(TakOutputConfig::new(TakTarget::parse(&url).unwrap())).unwrap();
    let s = naco_now();
    let run = tokio::spawn(async move {
        run_scenario(&s, vec![OutputSink::Adapter(Arc::new(out))], Pace::Max).await
    });
    // Nobody listens for the first second.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (mut first, _) = listener.accept().await.unwrap();
    let one = read_events(&mut first, false, 30).await;
    drop(first);
    let (mut second, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("Picket reconnects")
        .unwrap();
    let two = read_events(&mut second, true, 0).await;
    let (metrics, _) = run.await.unwrap();

    assert_eq!(one[0].cot_type, "a-f-G-E-S");
    assert_eq!(two[0].cot_type, "a-f-G-E-S", "announced again");
    let reconnects = metrics
        .counter_value("picket_tak_reconnects_total", &[("output", &url)])
        .unwrap();
    assert!(
        reconnects >= 2,
        "{reconnects}: refused attempts, then the drop"
    );
    let again = track_uids(&one).intersection(&track_uids(&two)).count();
    assert!(again >= 1, "the tracks on the picture were sent again");
    assert!(two.iter().any(|e| e.cot_type == "b-a-g"));
}
