//! TAK protocol v1 only after negotiation: a scripted server that offers `t-x-takp-v`, makes
//! Picket wait, then accepts (protobuf frames follow, parsed by takproto) or refuses (XML
//! goes on). taky never offers, so this path needs its own peer.

use super::peers::takproto;
use super::{naco_now, run_scenario, wall_now};
use picket_cot::framing::split_stream;
use picket_cot::negotiation::{takp_offer, takp_response};
use picket_cot::xml::encode_xml;
use picket_cot::{CotEvent, Limits, StreamDecoder, WireFormat};
use picket_outputs::{TakOutput, TakOutputConfig, TakTarget};
use picket_pipeline::{OutputSink, Pace};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

struct Transcript {
    /// XML events before the server's response, in order.
    before: Vec<CotEvent>,
    /// Bytes after the response, up to the end of the run.
    after: Vec<u8>,
}

async fn negotiate(accept: bool) -> Transcript {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    let out = TakOutput::new(TakOutputConfig::new(TakTarget::parse(&url).unwrap())).unwrap();
    let s = naco_now();
    let run = tokio::spawn(async move {
        run_scenario(&s, vec![OutputSink::Adapter(Arc::new(out))], Pace::Max).await
    });
    let (mut sock, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("Picket connects")
        .unwrap();
    sock.write_all(
        encode_xml(&takp_offer("takp-1", &[1], wall_now()))
            .unwrap()
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut dec = StreamDecoder::new(Limits::default());
    let mut before = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !before.iter().any(|e: &CotEvent| e.cot_type == "t-x-takp-q") {
        let n = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf))
            .await
            .expect("Picket answers the offer")
            .unwrap();
        assert!(n > 0);
        dec.push(&buf[..n]);
        while let Some(e) = dec.next_event().unwrap() {
            before.push(e);
        }
    }
    assert_eq!(dec.buffered(), 0, "nothing after the request");
    // Picket must now wait for the response, sending nothing, however much it has.
    let quiet = tokio::time::timeout(Duration::from_millis(700), sock.read(&mut buf)).await;
    assert!(quiet.is_err(), "Picket sent while awaiting the response");
    sock.write_all(
        encode_xml(&takp_response("takp-1", accept, wall_now()))
            .unwrap()
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut after = Vec::new();
    sock.read_to_end(&mut after).await.unwrap();
    run.await.unwrap();
    Transcript { before, after }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_frames_only_after_the_server_accepts_the_takp_request() {
    let t = negotiate(true).await;
    let request = t.before.last().unwrap();
    assert_eq!(request.cot_type, "t-x-takp-q");
    assert_eq!(request.uid, "takp-1", "the request reuses the offer's uid");
    assert_eq!(t.before[0].cot_type, "a-f-G-E-S", "presence, in XML, first");

    let mut frames = Vec::new();
    let mut rest = &t.after[..];
    while !rest.is_empty() {
        let (_, used) = split_stream(rest, 1 << 20)
            .expect("protobuf stream framing")
            .expect("whole frames");
        frames.push(rest[..used].to_vec());
        rest = &rest[used..];
    }
    assert!(frames.len() >= 20, "{} frames", frames.len());
    let mut dec = StreamDecoder::new(Limits::default());
    dec.set_wire(WireFormat::ProtobufV1);
    dec.push(&t.after);
    let mut events = Vec::new();
    while let Some(e) = dec.next_event().unwrap() {
        events.push(e);
    }
    assert_eq!(events.len(), frames.len());
    assert!(events.iter().any(|e| e.cot_type == "a-h-A-M-H-Q"));
    assert!(events.iter().any(|e| e.cot_type == "b-a-g"));
    let hex: Vec<String> = frames
        .iter()
        .map(|f| {
            format!(
                "hex:{}",
                f.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )
        })
        .collect();
    for (v, e) in takproto(&hex).iter().zip(&events) {
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["uid"], e.uid.as_str());
        assert_eq!(v["type"], e.cot_type.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_goes_on_when_the_server_refuses_protobuf() {
    let t = negotiate(false).await;
    assert!(t.after.starts_with(b"<?xml"), "XML after the refusal");
    let mut dec = StreamDecoder::new(Limits::default());
    dec.push(&t.after);
    let mut n = 0;
    while let Some(e) = dec.next_event().unwrap() {
        assert!(!e.cot_type.starts_with("t-x-takp"), "no second request");
        n += 1;
    }
    assert!(n >= 20, "{n} events");
    assert_eq!(dec.buffered(), 0);
}
