//! CoT codec speed, events/s: a Picket track → XML and → protobuf stream frame, and the
//! decodes back (XML, protobuf, an ATAK position report). In bench mode the takproto
//! referee (xml2proto, parse_stream) is timed on the same track event and the ratio printed.
//!
//! `cargo bench -p picket-cot`.

use criterion::{black_box, Criterion, Throughput};
use picket_core::{
    GeoPoint, SensorId, TargetClass, ThreatLevel, Timestamp, Track, TrackId, TrackStatus,
};
use picket_cot::convert::decode_payload;
use picket_cot::framing::{encode_stream, split_stream};
use picket_cot::picket::encode_track;
use picket_cot::xml::{decode_xml, encode_xml};
use picket_cot::{CotProfile, FriendlySa, Limits, TrackReport};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ATAK_SA: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" time="2026-11-26T12:00:01.500Z" start="2026-11-26T12:00:01.500Z" stale="2026-11-26T12:06:01.500Z" how="m-g"><point lat="31.3301234" lon="-109.9512345" hae="1398.2" ce="4.9" le="9999999.0"/><detail><takv os="34" version="5.3.0.4" device="GOOGLE PIXEL 8" platform="ATAK-CIV"/><contact endpoint="*:-1:stcp" callsign="ALPHA-1"/><uid Droid="ALPHA-1"/><precisionlocation altsrc="GPS" geopointsrc="GPS"/><__group role="Team Member" name="Cyan"/><status battery="88"/><track course="271.5" speed="1.25"/></detail></event>"#;

fn track() -> Track {
    let t0 = Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap();
    Track {
        id: TrackId(12),
        status: TrackStatus::Confirmed,
        time: t0,
        first_seen: t0,
        position: GeoPoint::new(31.33451234, -109.94876543, 1512.345),
        position_enu: picket_core::Enu::new(850.0, -850.0, 110.0),
        velocity_enu_mps: [10.0, -10.0, 0.0],
        sigma_horizontal_m: 23.4,
        hits: 14,
        identity: None,
        class_hint: None,
        sensors: vec![SensorId::from("radar-1"), SensorId::from("rf-2")],
        operator_position: None,
        callsign: None,
        other_identities: Vec::new(),
        spoof: None,
        take_off_position: None,
    }
}

fn referee(xml: &str, n: u32) -> Option<serde_json::Value> {
    use std::io::Write;
    let root =
        std::fs::canonicalize(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")).ok()?;
    let py = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv-referees/bin/python"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/takproto_referee.py");
    let mut child = Command::new(py)
        .arg(script)
        .args(["bench", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(xml.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

fn rate(mut f: impl FnMut(), n: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    f64::from(n) / t.elapsed().as_secs_f64()
}

fn main() {
    let profile = CotProfile::new("bench", Duration::from_secs(1)).unwrap();
    let track = track();
    let report = TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Warning);
    let now = track.time;
    let event = encode_track(&profile, &report, now);
    let xml = encode_xml(&event).unwrap();
    let frame = encode_stream(&event).unwrap();
    let limits = Limits::default();

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("cot");
    g.throughput(Throughput::Elements(1));
    g.bench_function("track_to_xml", |b| {
        b.iter(|| encode_xml(&encode_track(&profile, black_box(&report), now)).unwrap())
    });
    g.bench_function("track_to_stream_frame", |b| {
        b.iter(|| encode_stream(&encode_track(&profile, black_box(&report), now)).unwrap())
    });
    g.bench_function("xml_decode", |b| {
        b.iter(|| decode_xml(black_box(xml.as_bytes())).unwrap())
    });
    g.bench_function("stream_frame_decode", |b| {
        b.iter(|| {
            let (p, _) = split_stream(black_box(&frame), 1 << 20).unwrap().unwrap();
            decode_payload(p, &limits).unwrap()
        })
    });
    g.bench_function("atak_sa_decode", |b| {
        b.iter(|| FriendlySa::decode_xml(black_box(ATAK_SA.as_bytes()), &limits).unwrap())
    });
    g.finish();
    c.final_summary();

    // Side by side with the referee, same event, same machine, plain loops.
    let n = 20_000;
    let ours_xml2proto = rate(
        || {
            let ev = decode_xml(black_box(xml.as_bytes())).unwrap();
            black_box(encode_stream(&ev).unwrap());
        },
        n,
    );
    let ours_parse = rate(
        || {
            let (p, _) = split_stream(black_box(&frame), 1 << 20).unwrap().unwrap();
            black_box(decode_payload(p, &limits).unwrap());
        },
        n,
    );
    match referee(&xml, n) {
        Some(r) => {
            let theirs_x = r["xml2proto_per_s"].as_f64().unwrap_or(f64::NAN);
            let theirs_p = r["parse_stream_per_s"].as_f64().unwrap_or(f64::NAN);
            println!("XML → stream frame: picket-cot {ours_xml2proto:.0}/s, takproto {theirs_x:.0}/s, ratio {:.1}×", ours_xml2proto / theirs_x);
            println!("stream frame decode: picket-cot {ours_parse:.0}/s, takproto {theirs_p:.0}/s, ratio {:.1}× (takproto stops at the protobuf message; picket-cot also builds and checks the event)", ours_parse / theirs_p);
        }
        None => println!("takproto referee unavailable: picket-cot XML→frame {ours_xml2proto:.0}/s, frame decode {ours_parse:.0}/s"),
    }
}
