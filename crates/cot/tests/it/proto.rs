//! TAK protocol v1: the CotEvent ⇄ protobuf mapping and mesh / stream framing.

use super::xml::sample_event;
use super::{t0, ATAK_SA};
use picket_core::Timestamp;
use picket_cot::convert::{decode_payload, encode_payload, to_tak_message};
use picket_cot::framing::{
    decode_datagram, decode_mesh, encode_for_stream, encode_mesh, encode_mesh_message,
    encode_stream, get_varint, mesh_payload, put_varint, split_stream, split_xml_stream,
    MESH_HEADER_V1,
};
use picket_cot::negotiation::takp_response;
use picket_cot::proto::{TakControl, TakMessage};
use picket_cot::xml::{decode_xml, encode_xml};
use picket_cot::{
    CotEvent, Element, EncodeError, FrameError, Limits, StreamDecoder, StreamError, WireFormat,
};
use prost::Message;

fn limits() -> Limits {
    Limits::default()
}

/// One detail element as (name, sorted attributes, text).
type Flat = (String, Vec<(String, String)>, String);

/// Detail elements as comparable triples, order-free.
fn detail_set(ev: &CotEvent) -> Vec<Flat> {
    let mut v: Vec<_> = ev
        .detail
        .iter()
        .map(|e| {
            let mut a = e.attrs.clone();
            a.sort();
            (e.name.clone(), a, e.text.clone())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn typed_elements_go_to_typed_fields_and_the_rest_to_xml_detail() {
    let msg = to_tak_message(&sample_event()).unwrap();
    let ev = msg.cot_event.unwrap();
    assert_eq!(ev.uid, "picket-test-T1");
    assert_eq!(ev.r#type, "a-h-A-M-H-Q");
    assert_eq!(ev.send_time, t0().as_micros() as u64 / 1000);
    assert_eq!(ev.stale_time - ev.send_time, 2_500);
    assert_eq!(
        (ev.lat, ev.lon, ev.hae, ev.ce),
        (31.5, -110.25, 1500.0, 12.5)
    );
    let d = ev.detail.unwrap();
    assert_eq!(d.contact.unwrap().callsign, "UAV T1");
    let track = d.track.unwrap();
    assert_eq!((track.speed, track.course), (14.14, 135.0));
    assert_eq!(
        d.xml_detail,
        r#"<remarks>dark drone &lt;fast&gt; &amp; "low"</remarks>"#
    );
    assert!(d.group.is_none() && d.takv.is_none() && d.status.is_none());
}

#[test]
fn protobuf_round_trip_gives_back_the_same_event() {
    let ev = sample_event();
    let back = decode_payload(&encode_payload(&ev).unwrap(), &limits()).unwrap();
    assert_eq!(back, ev);
}

#[test]
fn an_atak_report_keeps_every_detail_element_through_protobuf() {
    let ev = decode_xml(ATAK_SA.as_bytes()).unwrap();
    let msg = to_tak_message(&ev).unwrap();
    let d = msg.cot_event.as_ref().unwrap().detail.clone().unwrap();
    assert_eq!(d.group.as_ref().unwrap().name, "Cyan");
    assert_eq!(d.status.as_ref().unwrap().battery, 88);
    assert_eq!(d.takv.as_ref().unwrap().platform, "ATAK-CIV");
    assert_eq!(d.precision_location.as_ref().unwrap().altsrc, "GPS");
    assert_eq!(d.xml_detail, r#"<uid Droid="ALPHA-1"/>"#);
    let back = decode_payload(&msg.encode_to_vec(), &limits()).unwrap();
    assert_eq!(detail_set(&back), detail_set(&ev));
    assert_eq!(
        (back.uid, back.time, back.point),
        (ev.uid.clone(), ev.time, ev.point)
    );
}

#[test]
fn elements_that_typed_fields_would_change_travel_as_xml() {
    let mut ev = sample_event();
    ev.detail = vec![
        // An extra attribute, an empty value, a non-canonical number, a second contact.
        Element::new("contact")
            .attr("callsign", "A")
            .attr("phone", "123"),
        Element::new("__group")
            .attr("name", "Cyan")
            .attr("role", ""),
        Element::new("status").attr("battery", "088"),
        Element::new("track")
            .attr("speed", "1")
            .attr("course", "north"),
    ];
    let msg = to_tak_message(&ev).unwrap();
    let d = msg.cot_event.as_ref().unwrap().detail.clone().unwrap();
    assert!(d.contact.is_none() && d.group.is_none() && d.status.is_none() && d.track.is_none());
    let back = decode_payload(&msg.encode_to_vec(), &limits()).unwrap();
    assert_eq!(back.detail, ev.detail);
}

#[test]
fn events_before_1970_cannot_be_sent_as_protobuf() {
    let mut ev = sample_event();
    ev.start = Timestamp::from_micros(-1_000);
    assert_eq!(encode_payload(&ev), Err(EncodeError::BeforeEpoch("start")));
}

#[test]
fn varints_round_trip_and_overlong_ones_are_refused() {
    for v in [
        0u64,
        1,
        127,
        128,
        300,
        16_383,
        16_384,
        u32::MAX as u64,
        u64::MAX,
    ] {
        let mut b = Vec::new();
        put_varint(&mut b, v);
        assert_eq!(get_varint(&b).unwrap(), Some((v, b.len())), "{v}");
        assert_eq!(
            get_varint(&b[..b.len() - 1]).unwrap(),
            None,
            "{v} truncated"
        );
    }
    assert_eq!(get_varint(&[0x80; 11]), Err(FrameError::VarintTooLong));
    assert_eq!(
        get_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
        Err(FrameError::VarintTooLong)
    );
}

#[test]
fn mesh_datagrams_carry_the_v1_header_then_the_message() {
    let ev = sample_event();
    let control = TakControl {
        min_proto_version: 1,
        max_proto_version: 1,
        contact_uid: "picket-test".into(),
    };
    let d = encode_mesh(&ev, Some(control.clone())).unwrap();
    assert_eq!(&d[..3], &MESH_HEADER_V1);
    assert_eq!(
        &d[3..],
        encode_mesh_message(&TakMessage {
            tak_control: Some(control.clone()),
            cot_event: to_tak_message(&ev).unwrap().cot_event,
        })[3..]
            .to_vec()
    );
    let msg = decode_mesh(&d, &limits()).unwrap();
    assert_eq!(msg.tak_control, Some(control.clone()));
    let dg = decode_datagram(&d, &limits()).unwrap();
    assert_eq!(dg.wire, WireFormat::ProtobufV1);
    assert_eq!(dg.control, Some(control));
    assert_eq!(dg.event, Some(ev.clone()));
    let xml = decode_datagram(encode_xml(&ev).unwrap().as_bytes(), &limits()).unwrap();
    assert_eq!((xml.wire, xml.event), (WireFormat::Xml, Some(ev)));
}

#[test]
fn mesh_headers_are_checked() {
    assert_eq!(mesh_payload(&[]), Err(FrameError::Truncated { len: 0 }));
    assert_eq!(
        mesh_payload(&[0xbf, 0x01]),
        Err(FrameError::Truncated { len: 2 })
    );
    assert_eq!(
        mesh_payload(&[0xbe, 0x01, 0xbf]),
        Err(FrameError::BadMagic { found: 0xbe })
    );
    assert_eq!(
        mesh_payload(&[0xbf, 0x01, 0x00]),
        Err(FrameError::BadMagic { found: 0 })
    );
    assert_eq!(
        mesh_payload(&[0xbf, 0x02, 0xbf]),
        Err(FrameError::UnsupportedVersion { version: 2 })
    );
    assert_eq!(mesh_payload(&[0xbf, 0x01, 0xbf]), Ok(&[][..]));
    let control_only = encode_mesh_message(&TakMessage {
        tak_control: Some(TakControl {
            min_proto_version: 1,
            max_proto_version: 1,
            contact_uid: "x".into(),
        }),
        cot_event: None,
    });
    let dg = decode_datagram(&control_only, &limits()).unwrap();
    assert!(dg.event.is_none() && dg.control.is_some());
}

#[test]
fn stream_frames_are_magic_length_message_and_split_only_when_whole() {
    let ev = sample_event();
    let frame = encode_stream(&ev).unwrap();
    let payload = encode_payload(&ev).unwrap();
    assert_eq!(frame[0], 0xbf);
    let (len, used) = get_varint(&frame[1..]).unwrap().unwrap();
    assert_eq!(len as usize, payload.len());
    assert_eq!(&frame[1 + used..], &payload[..]);
    for cut in 0..frame.len() {
        assert_eq!(
            split_stream(&frame[..cut], 1 << 20),
            Ok(None),
            "prefix {cut}"
        );
    }
    let mut two = frame.clone();
    two.extend_from_slice(&frame);
    let (p, consumed) = split_stream(&two, 1 << 20).unwrap().unwrap();
    assert_eq!((p, consumed), (&payload[..], frame.len()));
}

#[test]
fn a_hostile_stream_length_is_refused_before_its_body_arrives() {
    let mut hdr = vec![0xbf];
    put_varint(&mut hdr, 4_000_000_000);
    assert_eq!(
        split_stream(&hdr, 1 << 20),
        Err(FrameError::TooLarge {
            len: 4_000_000_000,
            max: 1 << 20
        })
    );
    assert_eq!(
        split_stream(b"<?xml", 1 << 20),
        Err(FrameError::BadMagic { found: b'<' })
    );
}

#[test]
fn xml_streams_split_after_each_end_tag_and_give_up_past_the_limit() {
    let a = encode_xml(&sample_event()).unwrap();
    let both = format!("{a}{a}");
    let (first, n) = split_xml_stream(both.as_bytes(), 1 << 20).unwrap().unwrap();
    assert_eq!((first, n), (a.as_bytes(), a.len()));
    assert_eq!(
        split_xml_stream(&a.as_bytes()[..a.len() - 1], 1 << 20),
        Ok(None)
    );
    assert_eq!(
        split_xml_stream(&[b'x'; 100], 64),
        Err(FrameError::NoEventEnd { len: 100 })
    );
}

#[test]
fn the_stream_decoder_reassembles_xml_then_switches_to_protobuf() {
    let ev = sample_event();
    let mut second = ev.clone();
    second.uid = "picket-test-T2".into();
    let response = takp_response("proto-1", true, t0());
    let mut bytes = encode_for_stream(&ev, WireFormat::Xml).unwrap();
    bytes.extend_from_slice(b"\n\r\n");
    bytes.extend(encode_for_stream(&response, WireFormat::Xml).unwrap());
    bytes.extend(encode_for_stream(&second, WireFormat::ProtobufV1).unwrap());
    bytes.extend(encode_for_stream(&ev, WireFormat::ProtobufV1).unwrap());

    let mut dec = StreamDecoder::new(Limits::default());
    let mut got = Vec::new();
    for chunk in bytes.chunks(7) {
        dec.push(chunk);
        while let Some(e) = dec.next_event().unwrap() {
            // The adapter's job: switch right after the accepted response.
            if e.cot_type == "t-x-takp-r" {
                dec.set_wire(WireFormat::ProtobufV1);
            }
            got.push(e);
        }
    }
    assert_eq!(got, vec![ev.clone(), response, second, ev]);
    assert_eq!(dec.buffered(), 0);
}

#[test]
fn a_bad_message_costs_one_event_but_lost_framing_is_fatal() {
    let ev = sample_event();
    let mut dec = StreamDecoder::new(Limits::default());
    dec.push(b"<event uid=\"broken\"></event>");
    dec.push(encode_xml(&ev).unwrap().as_bytes());
    let err = dec.next_event().unwrap_err();
    assert!(!err.is_fatal(), "{err}");
    assert_eq!(dec.next_event().unwrap(), Some(ev));

    let mut dec = StreamDecoder::new(Limits::default());
    dec.set_wire(WireFormat::ProtobufV1);
    dec.push(b"<?xml version");
    assert!(matches!(dec.next_event(), Err(e @ StreamError::Frame(_)) if e.is_fatal()));
}
