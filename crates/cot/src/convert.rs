//! [`CotEvent`] ⇄ TAK protocol v1 [`proto::TakMessage`].
//!
//! Sender rule of the TAK protocol: a detail element goes into its typed message only when
//! that is lossless (no children, no text, only the message's attributes, values that parse);
//! otherwise it travels verbatim in `xmlDetail`. Only the first element of each typed kind is
//! typed. On decoding, typed elements come first (contact, __group, precisionlocation,
//! status, takv, track), then the `xmlDetail` elements in their order.

use crate::event::{CotEvent, Element, Limits};
use crate::proto;
use crate::xml::{check_decoded_point, parse_fragment, write_fragment};
use crate::{DecodeError, EncodeError};
use picket_core::Timestamp;
use prost::Message;

/// Converts an event to a TakMessage (no TakControl).
pub fn to_tak_message(event: &CotEvent) -> Result<proto::TakMessage, EncodeError> {
    Ok(proto::TakMessage {
        tak_control: None,
        cot_event: Some(to_proto_event(event)?),
    })
}

/// Encodes an event as protobuf bytes of a TakMessage (the TAK protocol v1 payload).
pub fn encode_payload(event: &CotEvent) -> Result<Vec<u8>, EncodeError> {
    Ok(to_tak_message(event)?.encode_to_vec())
}

fn millis(t: Timestamp, field: &'static str) -> Result<u64, EncodeError> {
    u64::try_from(t.as_micros().div_euclid(1000)).map_err(|_| EncodeError::BeforeEpoch(field))
}

/// Converts an event to the protobuf CotEvent.
pub fn to_proto_event(event: &CotEvent) -> Result<proto::CotEvent, EncodeError> {
    if event.uid.is_empty() {
        return Err(EncodeError::Empty("uid"));
    }
    if event.cot_type.is_empty() {
        return Err(EncodeError::Empty("type"));
    }
    crate::xml::check_point_for_encoding(&event.point)?;
    let mut detail = proto::Detail::default();
    let mut rest: Vec<&Element> = Vec::new();
    for e in &event.detail {
        if !try_typed(e, &mut detail) {
            rest.push(e);
        }
    }
    let mut xml = String::new();
    for e in rest {
        write_fragment(std::slice::from_ref(e), &mut xml)?;
    }
    detail.xml_detail = xml;
    let p = &event.point;
    Ok(proto::CotEvent {
        r#type: event.cot_type.clone(),
        access: event.access.clone().unwrap_or_default(),
        qos: event.qos.clone().unwrap_or_default(),
        opex: event.opex.clone().unwrap_or_default(),
        uid: event.uid.clone(),
        send_time: millis(event.time, "time")?,
        start_time: millis(event.start, "start")?,
        stale_time: millis(event.stale, "stale")?,
        how: event.how.clone(),
        lat: p.lat_deg,
        lon: p.lon_deg,
        hae: p.hae_m,
        ce: p.ce_m,
        le: p.le_m,
        detail: (!event.detail.is_empty()).then_some(detail),
    })
}

/// True when `e` has no content and exactly the attribute names allowed, each non-empty,
/// with all of `required` present.
fn plain(e: &Element, allowed: &[&str], required: &[&str]) -> bool {
    e.children.is_empty()
        && e.text.is_empty()
        && e.attrs
            .iter()
            .all(|(k, v)| !v.is_empty() && allowed.contains(&k.as_str()))
        && required.iter().all(|r| e.get(r).is_some())
}

fn owned(e: &Element, k: &str) -> String {
    e.get(k).unwrap_or_default().to_owned()
}

/// Moves `e` into its typed field when lossless and not yet set; returns whether it did.
fn try_typed(e: &Element, d: &mut proto::Detail) -> bool {
    match e.name.as_str() {
        "contact" if d.contact.is_none() && plain(e, &["callsign", "endpoint"], &["callsign"]) => {
            d.contact = Some(proto::Contact {
                endpoint: owned(e, "endpoint"),
                callsign: owned(e, "callsign"),
            });
        }
        "__group" if d.group.is_none() && plain(e, &["name", "role"], &["name", "role"]) => {
            d.group = Some(proto::Group {
                name: owned(e, "name"),
                role: owned(e, "role"),
            });
        }
        "precisionlocation"
            if d.precision_location.is_none() && plain(e, &["geopointsrc", "altsrc"], &[]) =>
        {
            d.precision_location = Some(proto::PrecisionLocation {
                geopointsrc: owned(e, "geopointsrc"),
                altsrc: owned(e, "altsrc"),
            });
        }
        "status" if d.status.is_none() && plain(e, &["battery"], &["battery"]) => {
            // Only when writing the number back gives the same text.
            match e
                .get("battery")
                .and_then(|b| b.parse::<u32>().ok().filter(|n| n.to_string() == b))
            {
                Some(battery) => d.status = Some(proto::Status { battery }),
                None => return false,
            }
        }
        "takv" if d.takv.is_none() && plain(e, &["device", "platform", "os", "version"], &[]) => {
            d.takv = Some(proto::Takv {
                device: owned(e, "device"),
                platform: owned(e, "platform"),
                os: owned(e, "os"),
                version: owned(e, "version"),
            });
        }
        "track" if d.track.is_none() && plain(e, &["speed", "course"], &["speed", "course"]) => {
            let num = |k| {
                e.get(k)
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite())
            };
            match (num("speed"), num("course")) {
                (Some(speed), Some(course)) => d.track = Some(proto::Track { speed, course }),
                _ => return false,
            }
        }
        _ => return false,
    }
    true
}

/// Decodes protobuf bytes of a TakMessage, refusing inputs over `limits.max_bytes`.
pub fn decode_tak_message(bytes: &[u8], limits: &Limits) -> Result<proto::TakMessage, DecodeError> {
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    proto::TakMessage::decode(bytes).map_err(|e| DecodeError::Protobuf(e.to_string()))
}

/// Decodes protobuf bytes of a TakMessage into its event.
pub fn decode_payload(bytes: &[u8], limits: &Limits) -> Result<CotEvent, DecodeError> {
    let msg = decode_tak_message(bytes, limits)?;
    from_tak_message(msg, limits)
}

/// The event of a TakMessage ([`DecodeError::NoCotEvent`] when it carries none).
pub fn from_tak_message(msg: proto::TakMessage, limits: &Limits) -> Result<CotEvent, DecodeError> {
    from_proto_event(msg.cot_event.ok_or(DecodeError::NoCotEvent)?, limits)
}

fn time_of(ms: u64, attribute: &'static str) -> Result<Timestamp, DecodeError> {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| ms.checked_mul(1000))
        .map(Timestamp::from_micros)
        .ok_or_else(|| DecodeError::bad("event", attribute, &ms.to_string(), "time out of range"))
}

/// Converts a protobuf CotEvent into a [`CotEvent`], with the same checks as XML decoding.
pub fn from_proto_event(p: proto::CotEvent, limits: &Limits) -> Result<CotEvent, DecodeError> {
    let missing = |attribute| DecodeError::MissingAttribute {
        element: "event",
        attribute,
    };
    if p.uid.trim().is_empty() {
        return Err(missing("uid"));
    }
    if p.r#type.trim().is_empty() {
        return Err(missing("type"));
    }
    for (attribute, v) in [("uid", &p.uid), ("type", &p.r#type), ("how", &p.how)] {
        if !v.chars().all(crate::xml::xml_char) {
            return Err(DecodeError::bad(
                "event",
                attribute,
                v,
                "contains a character XML cannot carry",
            ));
        }
    }
    let point = check_decoded_point(p.lat, p.lon, p.hae, p.ce, p.le)?;
    let mut detail = Vec::new();
    if let Some(d) = p.detail {
        if let Some(c) = d.contact {
            detail.push(with_nonempty(
                Element::new("contact"),
                [("callsign", c.callsign), ("endpoint", c.endpoint)],
            ));
        }
        if let Some(g) = d.group {
            detail.push(with_nonempty(
                Element::new("__group"),
                [("name", g.name), ("role", g.role)],
            ));
        }
        if let Some(l) = d.precision_location {
            detail.push(with_nonempty(
                Element::new("precisionlocation"),
                [("geopointsrc", l.geopointsrc), ("altsrc", l.altsrc)],
            ));
        }
        if let Some(s) = d.status {
            detail.push(Element::new("status").attr("battery", s.battery.to_string()));
        }
        if let Some(t) = d.takv {
            detail.push(with_nonempty(
                Element::new("takv"),
                [
                    ("device", t.device),
                    ("platform", t.platform),
                    ("os", t.os),
                    ("version", t.version),
                ],
            ));
        }
        if let Some(t) = d.track {
            detail.push(
                Element::new("track")
                    .attr("speed", t.speed.to_string())
                    .attr("course", t.course.to_string()),
            );
        }
        if !d.xml_detail.trim().is_empty() {
            detail.extend(parse_fragment(&d.xml_detail, limits)?);
        }
    }
    let opt = |s: String| (!s.is_empty()).then_some(s);
    Ok(CotEvent {
        time: time_of(p.send_time, "time")?,
        start: time_of(p.start_time, "start")?,
        stale: time_of(p.stale_time, "stale")?,
        uid: p.uid,
        cot_type: p.r#type,
        how: p.how,
        access: opt(p.access),
        qos: opt(p.qos),
        opex: opt(p.opex),
        point,
        detail,
    })
}

fn with_nonempty<const N: usize>(mut e: Element, attrs: [(&str, String); N]) -> Element {
    for (k, v) in attrs {
        if !v.is_empty() {
            e.attrs.push((k.to_owned(), v));
        }
    }
    e
}
