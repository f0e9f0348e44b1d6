//! TAK protocol negotiation: XML until the server says yes; mesh version choice.

use super::t0;
use picket_cot::negotiation::{
    is_negotiation_event, takp_offer, takp_request, takp_response, TYPE_REQUEST,
};
use picket_cot::proto::TakControl;
use picket_cot::xml::{decode_xml, encode_xml};
use picket_cot::{MeshVersions, Negotiation, NegotiationStep, TakControlInfo, WireFormat};
use std::time::Duration;

#[test]
fn a_v1_offer_is_answered_with_a_request_reusing_its_uid_then_accepted() {
    let mut n = Negotiation::new(true);
    assert_eq!((n.wire(), n.may_send()), (WireFormat::Xml, true));
    let offer = takp_offer("proto-42", &[1], t0());
    let step = n.on_event(&offer, t0());
    let NegotiationStep::SendRequest(req) = step else {
        panic!("expected a request, got {step:?}");
    };
    assert_eq!(req.cot_type, TYPE_REQUEST);
    assert_eq!(req.uid, "proto-42");
    assert_eq!(
        TakControlInfo::from_event(&req).unwrap().requested_version,
        Some(1)
    );
    assert!(
        !n.may_send(),
        "nothing may be sent while the request is pending"
    );
    assert_eq!(n.wire(), WireFormat::Xml);
    let step = n.on_event(
        &takp_response("proto-42", true, t0()),
        t0().plus_secs_f64(0.2),
    );
    assert_eq!(step, NegotiationStep::SwitchToProtobuf);
    assert_eq!((n.wire(), n.may_send()), (WireFormat::ProtobufV1, true));
}

#[test]
fn a_refusal_keeps_xml_and_a_second_offer_is_not_chased() {
    let mut n = Negotiation::new(true);
    assert!(matches!(
        n.on_event(&takp_offer("p", &[1], t0()), t0()),
        NegotiationStep::SendRequest(_)
    ));
    assert_eq!(
        n.on_event(&takp_response("p", false, t0()), t0()),
        NegotiationStep::StayXml
    );
    assert_eq!((n.wire(), n.may_send()), (WireFormat::Xml, true));
    assert_eq!(
        n.on_event(&takp_offer("p", &[1], t0()), t0()),
        NegotiationStep::Nothing
    );
}

#[test]
fn no_response_within_the_timeout_means_disconnect() {
    let mut n = Negotiation::new(true).with_timeout(Duration::from_secs(60));
    let _ = n.on_event(&takp_offer("p", &[1], t0()), t0());
    assert_eq!(n.poll(t0().plus_secs_f64(59.9)), NegotiationStep::Nothing);
    assert_eq!(
        n.poll(t0().plus_secs_f64(60.0)),
        NegotiationStep::Disconnect
    );
    assert_eq!(n.wire(), WireFormat::Xml);
}

#[test]
fn xml_only_clients_and_offers_without_v1_stay_in_xml() {
    let mut n = Negotiation::new(false);
    assert_eq!(
        n.on_event(&takp_offer("p", &[1], t0()), t0()),
        NegotiationStep::Nothing
    );
    let mut n = Negotiation::new(true);
    assert_eq!(
        n.on_event(&takp_offer("p", &[2, 3], t0()), t0()),
        NegotiationStep::Nothing
    );
    // A response nobody asked for changes nothing.
    assert_eq!(
        n.on_event(&takp_response("p", true, t0()), t0()),
        NegotiationStep::Nothing
    );
    assert_eq!(n.wire(), WireFormat::Xml);
}

#[test]
fn negotiation_events_match_the_protocol_text_and_survive_xml() {
    let offer = takp_offer("protouid", &[1], t0());
    let xml = encode_xml(&offer).unwrap();
    assert!(xml.contains(r#"type="t-x-takp-v""#));
    assert!(xml.contains(r#"<point lat="0" lon="0" hae="0" ce="999999" le="999999"/>"#));
    assert!(xml.contains(
        r#"<detail><TakControl><TakProtocolSupport version="1"/></TakControl></detail>"#
    ));
    let back = decode_xml(xml.as_bytes()).unwrap();
    assert!(is_negotiation_event(&back));
    assert_eq!(
        TakControlInfo::from_event(&back)
            .unwrap()
            .supported_versions,
        [1]
    );
    let req = encode_xml(&takp_request("protouid", 1, t0())).unwrap();
    assert!(req.contains(r#"<TakControl><TakRequest version="1"/></TakControl>"#));
    let resp = encode_xml(&takp_response("protouid", true, t0())).unwrap();
    assert!(resp.contains(r#"<TakControl><TakResponse status="true"/></TakControl>"#));
}

fn v1() -> TakControl {
    TakControl {
        min_proto_version: 1,
        max_proto_version: 1,
        contact_uid: String::new(),
    }
}

#[test]
fn the_mesh_uses_protobuf_only_while_every_known_peer_decodes_it() {
    let mut m = MeshVersions::new("picket-s", Duration::from_secs(300));
    assert_eq!(m.wire(t0()), WireFormat::ProtobufV1, "alone on the mesh");
    m.observe("ANDROID-1", WireFormat::ProtobufV1, Some(&v1()), t0());
    assert_eq!(m.send_version(t0()), 1);
    m.observe("legacy", WireFormat::Xml, None, t0());
    assert_eq!(m.send_version(t0()), 0, "a legacy XML device joined");
    // The legacy device goes silent and is forgotten.
    m.observe(
        "ANDROID-1",
        WireFormat::ProtobufV1,
        Some(&v1()),
        t0().plus_secs_f64(301.0),
    );
    assert_eq!(m.peer_count(), 1);
    assert_eq!(m.send_version(t0().plus_secs_f64(301.0)), 1);
}

#[test]
fn a_peer_without_takcontrol_for_two_minutes_counts_as_the_version_it_last_used() {
    let mut m = MeshVersions::new("picket-s", Duration::from_secs(600));
    m.observe("ANDROID-1", WireFormat::ProtobufV1, Some(&v1()), t0());
    // It keeps talking, in XML, without TakControl.
    m.observe("ANDROID-1", WireFormat::Xml, None, t0().plus_secs_f64(60.0));
    assert_eq!(
        m.send_version(t0().plus_secs_f64(100.0)),
        1,
        "its TakControl is fresh"
    );
    assert_eq!(
        m.send_version(t0().plus_secs_f64(121.0)),
        0,
        "now it counts as XML-only"
    );
    // Picket's own echoes never count.
    let mut m = MeshVersions::new("picket-s", Duration::from_secs(600));
    m.observe("picket-s", WireFormat::Xml, None, t0());
    assert_eq!((m.peer_count(), m.own_control().max_proto_version), (0, 1));
}
