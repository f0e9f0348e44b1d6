//! Independent check with takproto 3.0.1: our XML and frames parse there, field by field,
//! and the frames takproto makes parse here.

use super::{drone_track, run_referee, t0, warning_alert, ATAK_SA};
use picket_core::{AlertState, GeoPoint, TargetClass, ThreatLevel};
use picket_cot::convert::{from_tak_message, to_tak_message};
use picket_cot::framing::{decode_datagram, encode_mesh, encode_stream, split_stream};
use picket_cot::negotiation::takp_offer;
use picket_cot::picket::{
    encode_alert, encode_delete, encode_operator, encode_presence, encode_takeoff, encode_track,
};
use picket_cot::proto::{TakControl, TakMessage};
use picket_cot::xml::{decode_xml, encode_xml};
use picket_cot::{CotEvent, CotProfile, Limits, Recipient, TrackReport};
use prost::Message;
use serde_json::{json, Value};
use std::time::Duration;

/// Every kind of event Picket sends, plus an ATAK report re-encoded by us.
fn picket_events() -> Vec<CotEvent> {
    let p = CotProfile::new("nogales", Duration::from_secs(1)).unwrap();
    let track = drone_track();
    let r = TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Warning);
    let now = t0().plus_secs_f64(0.25);
    let alert = encode_alert(
        &p,
        &warning_alert(AlertState::Raised),
        "Post Alpha",
        &[Recipient::with_uid("ALPHA-1", "ANDROID-589520ccfcd20f01")],
        now,
    )
    .unwrap();
    let mut cleared = warning_alert(AlertState::Cleared);
    cleared.cleared_reason = Some("left the area".into());
    let cancel = encode_alert(
        &p,
        &cleared,
        "Post Alpha",
        &[Recipient::callsign("ALPHA-1")],
        now,
    )
    .unwrap()
    .marker;
    vec![
        encode_track(&p, &r, now),
        encode_operator(&p, &r, now).unwrap(),
        encode_takeoff(&p, &r, &GeoPoint::new(31.31, -109.92, 1390.0), now),
        alert.marker,
        alert.chats[0].clone(),
        cancel,
        encode_delete("picket-nogales-T12", now),
        encode_presence(
            &p,
            &GeoPoint::new(31.3, -109.9, 1400.0),
            now,
            Duration::from_secs(60),
        ),
        takp_offer("protouid", &[1], now),
        decode_xml(ATAK_SA.as_bytes()).unwrap(),
    ]
}

fn referee(xml: &[String], frames: &[Vec<u8>]) -> Value {
    let frames: Vec<String> = frames
        .iter()
        .map(|f| f.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let out = run_referee(&[], &json!({ "xml": xml, "frames": frames }).to_string());
    serde_json::from_str(&out).expect("referee prints JSON")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Detail elements, order-free, attributes sorted.
fn detail_set(ev: &CotEvent) -> Vec<String> {
    let mut v: Vec<String> = ev
        .detail
        .iter()
        .map(|e| {
            let mut e = e.clone();
            sort_attrs(&mut e);
            format!("{e:?}")
        })
        .collect();
    v.sort();
    v
}

fn sort_attrs(e: &mut picket_cot::Element) {
    e.attrs.sort();
    for c in &mut e.children {
        sort_attrs(c);
    }
}

/// Checks takproto's view of a message against the event it came from.
fn check_against(msg: &Value, ev: &CotEvent, ms_tolerance: i64, what: &str) {
    let e = &msg["cotEvent"];
    assert_eq!(e["uid"], ev.uid, "{what}: uid");
    assert_eq!(e["type"], ev.cot_type, "{what}: type");
    assert_eq!(e["how"], ev.how, "{what}: how");
    for (field, t) in [
        ("sendTime", ev.time),
        ("startTime", ev.start),
        ("staleTime", ev.stale),
    ] {
        let theirs = e[field].as_i64().expect("a time");
        let ours = t.as_micros().div_euclid(1000);
        // takproto converts through a float and truncates: it may be 1 ms short.
        assert!(
            (theirs - ours).abs() <= ms_tolerance,
            "{what}: {field} {theirs} vs {ours}"
        );
    }
    let p = &ev.point;
    for (field, v) in [
        ("lat", p.lat_deg),
        ("lon", p.lon_deg),
        ("hae", p.hae_m),
        ("ce", p.ce_m),
        ("le", p.le_m),
    ] {
        assert_eq!(e[field].as_f64(), Some(v), "{what}: {field}");
    }
    if let Some(cs) = ev.callsign() {
        let d = &e["detail"];
        // takproto puts a GeoChat's whole detail into xmlDetail; otherwise contact is typed.
        if !ev.uid.starts_with("GeoChat.") {
            assert_eq!(d["contact"]["callsign"], cs, "{what}: callsign");
        }
    }
    if let Some(t) = ev.detail_element("track") {
        let d = &e["detail"]["track"];
        assert_eq!(
            d["speed"].as_f64(),
            t.get("speed").and_then(|s| s.parse().ok()),
            "{what}: speed"
        );
        assert_eq!(
            d["course"].as_f64(),
            t.get("course").and_then(|s| s.parse().ok()),
            "{what}: course"
        );
    }
}

#[test]
fn our_xml_parses_with_takproto_and_means_the_same() {
    let events = picket_events();
    let xml: Vec<String> = events.iter().map(|e| encode_xml(e).unwrap()).collect();
    let out = referee(&xml, &[]);
    for (ev, r) in events.iter().zip(out["xml"].as_array().unwrap()) {
        assert_eq!(r["ok"], true, "{}: {}", ev.cot_type, r["error"]);
        check_against(&r["msg"], ev, 1, &ev.cot_type);
        // And what takproto made of it decodes back here to the same detail.
        let dg = decode_datagram(&unhex(r["mesh"].as_str().unwrap()), &Limits::default()).unwrap();
        let back = dg.event.unwrap();
        assert_eq!(detail_set(&back), detail_set(ev), "{}", ev.cot_type);
        assert_eq!((back.uid.as_str(), back.point), (ev.uid.as_str(), ev.point));
    }
    // takproto recognises our chat line as GeoChat from Picket.
    let chat = &out["xml"][4]["msg"];
    assert_eq!(chat["takControl"]["contactUid"], "picket-nogales");
}

#[test]
fn our_mesh_and_stream_frames_parse_with_takproto_byte_for_byte() {
    let events = picket_events();
    let control = TakControl {
        min_proto_version: 1,
        max_proto_version: 1,
        contact_uid: "picket-nogales".into(),
    };
    let mut frames = Vec::new();
    for ev in &events {
        frames.push(encode_mesh(ev, Some(control.clone())).unwrap());
        frames.push(encode_stream(ev).unwrap());
    }
    let out = referee(&[], &frames);
    let results = out["frames"].as_array().unwrap();
    assert_eq!(results.len(), frames.len());
    for (i, r) in results.iter().enumerate() {
        let ev = &events[i / 2];
        assert_eq!(r["ok"], true, "frame {i} ({}): {}", ev.cot_type, r["error"]);
        let msg = &r["msg"];
        check_against(msg, ev, 0, &ev.cot_type);
        let ours = to_tak_message(ev)
            .unwrap()
            .cot_event
            .unwrap()
            .detail
            .unwrap_or_default();
        assert_eq!(
            msg["cotEvent"]["detail"]["xmlDetail"], ours.xml_detail,
            "{}",
            ev.cot_type
        );
        if i % 2 == 0 {
            assert_eq!(msg["takControl"]["contactUid"], "picket-nogales");
            assert_eq!(msg["takControl"]["maxProtoVersion"], 1);
        }
    }
}

#[test]
fn frames_takproto_makes_from_an_atak_report_decode_here() {
    let out = referee(&[ATAK_SA.to_owned()], &[]);
    let r = &out["xml"][0];
    assert_eq!(r["ok"], true, "{}", r["error"]);
    let expected = decode_xml(ATAK_SA.as_bytes()).unwrap();

    let mesh = unhex(r["mesh"].as_str().unwrap());
    let from_mesh = decode_datagram(&mesh, &Limits::default())
        .unwrap()
        .event
        .unwrap();

    let stream = unhex(r["stream"].as_str().unwrap());
    let (payload, used) = split_stream(&stream, 1 << 20)
        .unwrap()
        .expect("a whole frame");
    assert_eq!(used, stream.len());
    let msg = TakMessage::decode(payload).unwrap();
    let from_stream = from_tak_message(msg, &Limits::default()).unwrap();

    for got in [&from_mesh, &from_stream] {
        assert_eq!(got.uid, expected.uid);
        assert_eq!(got.cot_type, expected.cot_type);
        assert_eq!(
            (got.time, got.start, got.stale),
            (expected.time, expected.start, expected.stale)
        );
        assert_eq!(got.point, expected.point);
        assert_eq!(detail_set(got), detail_set(&expected));
    }
}

#[test]
fn taky_routes_alerts_and_chat_to_the_recipients_and_tracks_to_everyone() {
    let events = picket_events();
    let xml: Vec<String> = events.iter().map(|e| encode_xml(e).unwrap()).collect();
    let out: Value =
        serde_json::from_str(&run_referee(&[], &json!({ "taky": xml }).to_string())).expect("JSON");
    let r = out["taky"].as_array().unwrap();
    for (ev, t) in events.iter().zip(r) {
        assert_eq!(t["ok"], true, "{}: {}", ev.cot_type, t["error"]);
    }
    // Track, operator, take-off: plain details without marti → broadcast to all clients,
    // and never mistaken for a TAK user (which would rename Picket's connection).
    for t in &r[0..3] {
        assert_eq!(t["detail_class"], "Detail");
        assert_eq!(t["marti"], json!([]));
    }
    // The alert marker and its cancel go by marti to the recipients only.
    assert_eq!(
        (r[3]["detail_class"].as_str(), &r[3]["marti"]),
        (Some("Detail"), &json!(["ALPHA-1"]))
    );
    assert_eq!(r[5]["marti"], json!(["ALPHA-1"]));
    // The chat line is a direct GeoChat to the recipient's device, not a broadcast.
    let chat = &r[4]["chat"];
    assert_eq!(r[4]["detail_class"], "GeoChat");
    assert_eq!(chat["broadcast"], false);
    assert_eq!(chat["dst_uid"], "ANDROID-589520ccfcd20f01");
    assert_eq!(chat["src_uid"], "picket-nogales");
    assert_eq!(chat["src_cs"], "PICKET nogales");
    assert_eq!(
        chat["message"],
        events[4].detail_element("remarks").unwrap().text.as_str()
    );
    // Picket's presence registers it as a user with its callsign.
    assert_eq!(r[7]["user"]["callsign"], "PICKET nogales");
    assert_eq!(r[7]["user"]["uid"], "picket-nogales");
}
