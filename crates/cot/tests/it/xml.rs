//! CoT XML: exact output, round trips, what ATAK writes, and typed errors.

use super::{t0, ATAK_SA};
use picket_core::Timestamp;
use picket_cot::xml::{decode_xml, decode_xml_with, encode_xml};
use picket_cot::{CotEvent, DecodeError, Element, EncodeError, Limits, Point, UNKNOWN_ERROR_M};

pub fn sample_event() -> CotEvent {
    CotEvent {
        uid: "picket-test-T1".into(),
        cot_type: "a-h-A-M-H-Q".into(),
        how: "m-f".into(),
        time: t0(),
        start: t0(),
        stale: t0().plus_secs_f64(2.5),
        access: None,
        qos: None,
        opex: None,
        point: Point {
            lat_deg: 31.5,
            lon_deg: -110.25,
            hae_m: 1500.0,
            ce_m: 12.5,
            le_m: UNKNOWN_ERROR_M,
        },
        detail: vec![
            Element::new("contact").attr("callsign", "UAV T1"),
            Element::new("track")
                .attr("speed", "14.14")
                .attr("course", "135"),
            Element::new("remarks").text("dark drone <fast> & \"low\""),
        ],
    }
}

#[test]
fn encodes_the_exact_cot_xml_atak_expects() {
    let xml = encode_xml(&sample_event()).unwrap();
    assert_eq!(
        xml,
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            "\n",
            r#"<event version="2.0" uid="picket-test-T1" type="a-h-A-M-H-Q" how="m-f" "#,
            r#"time="2026-11-26T12:00:00.000Z" start="2026-11-26T12:00:00.000Z" "#,
            r#"stale="2026-11-26T12:00:02.500Z">"#,
            r#"<point lat="31.5" lon="-110.25" hae="1500" ce="12.5" le="9999999"/>"#,
            r#"<detail><contact callsign="UAV T1"/><track speed="14.14" course="135"/>"#,
            r#"<remarks>dark drone &lt;fast&gt; &amp; "low"</remarks></detail></event>"#
        )
    );
}

#[test]
fn encode_then_decode_gives_back_the_same_event() {
    let mut ev = sample_event();
    ev.access = Some("Unclassified".into());
    ev.qos = Some("1-r-c".into());
    ev.detail.push(
        Element::new("shape").child(
            Element::new("polyline")
                .attr("closed", "true")
                .child(Element::new("vertex").attr("lat", "1").attr("lon", "2"))
                .child(Element::new("vertex").attr("lat", "3").attr("lon", "4")),
        ),
    );
    ev.detail.push(
        Element::new("remarks")
            .attr("source", "a \"quoted\" & <bracketed>\tvalue\nwith lines")
            .text("Ünïcödé ✈ text, 'apostrophes' and\nnew lines"),
    );
    let back = decode_xml(encode_xml(&ev).unwrap().as_bytes()).unwrap();
    assert_eq!(back, ev);
}

#[test]
fn times_keep_milliseconds_and_drop_microseconds() {
    let mut ev = sample_event();
    ev.time = Timestamp::from_micros(t0().as_micros() + 123_456);
    let xml = encode_xml(&ev).unwrap();
    assert!(xml.contains(r#"time="2026-11-26T12:00:00.123Z""#), "{xml}");
    let back = decode_xml(xml.as_bytes()).unwrap();
    assert_eq!(back.time.as_micros(), t0().as_micros() + 123_000);
}

#[test]
fn decodes_an_atak_position_report_field_by_field() {
    let ev = decode_xml(ATAK_SA.as_bytes()).unwrap();
    assert_eq!(ev.uid, "ANDROID-589520ccfcd20f01");
    assert_eq!(ev.cot_type, "a-f-G-U-C");
    assert_eq!(ev.how, "m-g");
    assert_eq!(
        ev.time,
        Timestamp::parse_rfc3339("2026-11-26T12:00:01.5Z").unwrap()
    );
    assert_eq!(ev.stale.seconds_since(ev.time), 360.0);
    assert_eq!(ev.point.lat_deg, 31.3301234);
    assert_eq!(ev.point.lon_deg, -109.9512345);
    assert_eq!(ev.point.known_hae_m(), Some(1398.2));
    assert_eq!(ev.point.known_ce_m(), Some(4.9));
    assert_eq!(ev.point.known_le_m(), None);
    assert_eq!(ev.callsign(), Some("ALPHA-1"));
    let names: Vec<&str> = ev.detail.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "takv",
            "contact",
            "uid",
            "precisionlocation",
            "__group",
            "status",
            "track"
        ]
    );
    assert_eq!(
        ev.detail_element("__group").unwrap().get("role"),
        Some("Team Member")
    );
    assert!(
        ev.detail.iter().all(|e| e.text.is_empty()),
        "whitespace is not text"
    );
}

#[test]
fn pretty_printed_and_compact_xml_decode_alike() {
    let compact: String = ATAK_SA.lines().map(str::trim).collect::<Vec<_>>().join("");
    assert_eq!(
        decode_xml(compact.as_bytes()).unwrap(),
        decode_xml(ATAK_SA.as_bytes()).unwrap()
    );
}

#[test]
fn references_and_cdata_are_resolved() {
    let xml = r#"<event uid="u" type="b-t-f" how="h-e" time="2026-11-26T12:00:00Z" start="2026-11-26T12:00:00Z" stale="2026-11-26T12:01:00Z"><point lat="1" lon="2"/><detail><remarks who="&#x41;&#66;&apos;">x &lt; y<![CDATA[ <raw> & ]]>z</remarks></detail></event>"#;
    let ev = decode_xml(xml.as_bytes()).unwrap();
    let r = ev.detail_element("remarks").unwrap();
    assert_eq!(r.get("who"), Some("AB'"));
    assert_eq!(r.text, "x < y <raw> & z");
}

#[test]
fn missing_height_and_errors_read_as_unknown_and_nan_does_too() {
    let xml = r#"<event uid="u" type="a-f-G" how="m-g" time="2026-11-26T12:00:00Z" start="2026-11-26T12:00:00Z" stale="2026-11-26T12:01:00Z"><point lat="1" lon="2" ce="NaN"/></event>"#;
    let ev = decode_xml(xml.as_bytes()).unwrap();
    assert_eq!(ev.point.hae_m, UNKNOWN_ERROR_M);
    assert_eq!(ev.point.ce_m, UNKNOWN_ERROR_M);
    assert_eq!(ev.point.le_m, UNKNOWN_ERROR_M);
    assert!(ev.detail.is_empty());
}

fn event_with(attrs: &str, point: &str) -> String {
    format!(r#"<event {attrs}><point {point}/><detail/></event>"#)
}

const GOOD_ATTRS: &str = r#"uid="u" type="a-f-G" how="m-g" time="2026-11-26T12:00:00Z" start="2026-11-26T12:00:00Z" stale="2026-11-26T12:01:00Z""#;

#[test]
fn each_required_event_attribute_is_a_typed_error_when_missing() {
    for attribute in ["uid", "type", "time", "start", "stale"] {
        let attrs: Vec<&str> = GOOD_ATTRS
            .split(' ')
            .filter(|a| !a.starts_with(&format!("{attribute}=")))
            .collect();
        let xml = event_with(&attrs.join(" "), r#"lat="1" lon="2""#);
        assert_eq!(
            decode_xml(xml.as_bytes()),
            Err(DecodeError::MissingAttribute {
                element: "event",
                attribute
            }),
            "without {attribute}"
        );
    }
}

#[test]
fn bad_values_are_typed_errors_that_name_the_attribute() {
    let cases = [
        (
            GOOD_ATTRS.replace("12:01:00Z", "tomorrow"),
            r#"lat="1" lon="2""#,
            "stale",
        ),
        (GOOD_ATTRS.to_owned(), r#"lat="91" lon="2""#, "lat"),
        (GOOD_ATTRS.to_owned(), r#"lat="1" lon="-180.5""#, "lon"),
        (GOOD_ATTRS.to_owned(), r#"lat="north" lon="2""#, "lat"),
        (
            GOOD_ATTRS.to_owned(),
            r#"lat="1" lon="2" hae="high""#,
            "hae",
        ),
    ];
    for (attrs, point, which) in cases {
        match decode_xml(event_with(&attrs, point).as_bytes()) {
            Err(DecodeError::BadAttribute { attribute, .. }) => assert_eq!(attribute, which),
            other => panic!("{which}: expected BadAttribute, got {other:?}"),
        }
    }
}

#[test]
fn structural_problems_are_typed_errors() {
    let no_point = format!(r#"<event {GOOD_ATTRS}><detail/></event>"#);
    assert_eq!(
        decode_xml(no_point.as_bytes()),
        Err(DecodeError::MissingPoint)
    );
    assert_eq!(
        decode_xml(br#"<message uid="u"/>"#),
        Err(DecodeError::NotAnEvent {
            found: "message".into()
        })
    );
    assert_eq!(
        decode_xml(b"  <?xml version=\"1.0\"?>\n "),
        Err(DecodeError::Empty)
    );
    let two_roots = format!("{}<event/>", event_with(GOOD_ATTRS, r#"lat="1" lon="2""#));
    assert_eq!(
        decode_xml(two_roots.as_bytes()),
        Err(DecodeError::TrailingContent)
    );
    let doctype = format!(
        "<!DOCTYPE event [<!ENTITY x \"boom\">]>{}",
        event_with(GOOD_ATTRS, r#"lat="1" lon="2""#)
    );
    assert_eq!(decode_xml(doctype.as_bytes()), Err(DecodeError::DocType));
    let unknown_entity = event_with(GOOD_ATTRS, r#"lat="1" lon="2""#)
        .replace("<detail/>", "<detail><remarks>&x;</remarks></detail>");
    assert!(matches!(
        decode_xml(unknown_entity.as_bytes()),
        Err(DecodeError::Xml { .. })
    ));
    let mismatched = event_with(GOOD_ATTRS, r#"lat="1" lon="2""#).replace("</event>", "</evnt>");
    assert!(matches!(
        decode_xml(mismatched.as_bytes()),
        Err(DecodeError::Xml { .. })
    ));
    let unclosed = event_with(GOOD_ATTRS, r#"lat="1" lon="2""#).replace("</event>", "");
    assert!(matches!(
        decode_xml(unclosed.as_bytes()),
        Err(DecodeError::Xml { .. })
    ));
}

#[test]
fn limits_bound_size_depth_elements_and_attributes() {
    let limits = Limits {
        max_bytes: 4096,
        max_depth: 4,
        max_elements: 10,
        max_attributes: 8,
    };
    let big = event_with(GOOD_ATTRS, r#"lat="1" lon="2""#).replace(
        "<detail/>",
        &format!("<detail><r>{}</r></detail>", "x".repeat(5000)),
    );
    assert_eq!(
        decode_xml_with(big.as_bytes(), &limits),
        Err(DecodeError::TooLarge {
            len: big.len(),
            max: 4096
        })
    );
    let deep = event_with(GOOD_ATTRS, r#"lat="1" lon="2""#)
        .replace("<detail/>", "<detail><a><b><c/></b></a></detail>");
    assert_eq!(
        decode_xml_with(deep.as_bytes(), &limits),
        Err(DecodeError::TooDeep { max: 4 })
    );
    let many = event_with(GOOD_ATTRS, r#"lat="1" lon="2""#).replace(
        "<detail/>",
        &format!("<detail>{}</detail>", "<x/>".repeat(9)),
    );
    assert_eq!(
        decode_xml_with(many.as_bytes(), &limits),
        Err(DecodeError::TooManyElements { max: 10 })
    );
    let attrs: String = (0..9).map(|i| format!(r#" a{i}="v""#)).collect();
    let wide = event_with(GOOD_ATTRS, r#"lat="1" lon="2""#)
        .replace("<detail/>", &format!("<detail><x{attrs}/></detail>"));
    assert_eq!(
        decode_xml_with(wide.as_bytes(), &limits),
        Err(DecodeError::TooManyAttributes {
            element: "x".into(),
            max: 8
        })
    );
}

#[test]
fn encoding_refuses_what_would_be_broken_xml_or_a_bad_position() {
    let mut ev = sample_event();
    ev.detail.push(Element::new("bad name"));
    assert_eq!(
        encode_xml(&ev),
        Err(EncodeError::InvalidName("bad name".into()))
    );
    let mut ev = sample_event();
    ev.point.lat_deg = f64::NAN;
    assert_eq!(
        encode_xml(&ev),
        Err(EncodeError::NotFinite { field: "lat" })
    );
    let mut ev = sample_event();
    ev.point.lon_deg = 200.0;
    assert!(matches!(
        encode_xml(&ev),
        Err(EncodeError::OutOfRange { field: "lon", .. })
    ));
    let mut ev = sample_event();
    ev.uid.clear();
    assert_eq!(encode_xml(&ev), Err(EncodeError::Empty("uid")));
}

#[test]
fn characters_xml_cannot_carry_are_dropped_not_written() {
    let mut ev = sample_event();
    ev.detail = vec![Element::new("remarks")
        .attr("k", "a\u{1}b")
        .text("bell\u{7}here")];
    let xml = encode_xml(&ev).unwrap();
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{7}'));
    let back = decode_xml(xml.as_bytes()).unwrap();
    let r = back.detail_element("remarks").unwrap();
    assert_eq!(r.get("k"), Some("ab"));
    assert_eq!(r.text, "bellhere");
}
