//! CoT XML: encode a [`CotEvent`] to text, decode bytes into one with bounded work.
//!
//! Decoding uses `quick-xml` as a pull parser and builds only what [`Limits`] allow: the
//! input length is checked first, then nesting depth, element and attribute counts as the
//! parser goes. DOCTYPEs are refused; only XML's predefined entities and character
//! references are resolved.

use crate::event::{CotEvent, Element, Limits, Point, UNKNOWN_ERROR_M};
use crate::timefmt::{format_cot_time, parse_cot_time};
use crate::{DecodeError, EncodeError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::fmt::Write as _;

/// The XML declaration ATAK writes before every event on a stream.
pub const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;

/// Encodes an event as a complete CoT XML message: the declaration, a newline, the event.
///
/// This is the form TAK servers expect on a stream (one message after another, nothing
/// after `</event>`) and the form a mesh UDP datagram carries.
pub fn encode_xml(event: &CotEvent) -> Result<String, EncodeError> {
    let mut out = String::with_capacity(512);
    out.push_str(XML_DECLARATION);
    out.push('\n');
    write_event(event, &mut out)?;
    Ok(out)
}

/// Appends the `<event>` element alone (no declaration) to `out`.
pub fn write_event(event: &CotEvent, out: &mut String) -> Result<(), EncodeError> {
    if event.uid.is_empty() {
        return Err(EncodeError::Empty("uid"));
    }
    if event.cot_type.is_empty() {
        return Err(EncodeError::Empty("type"));
    }
    check_point_for_encoding(&event.point)?;
    out.push_str(r#"<event version="2.0""#);
    push_attr(out, "uid", &event.uid);
    push_attr(out, "type", &event.cot_type);
    push_attr(out, "how", &event.how);
    push_attr(out, "time", &format_cot_time(event.time));
    push_attr(out, "start", &format_cot_time(event.start));
    push_attr(out, "stale", &format_cot_time(event.stale));
    for (k, v) in [
        ("access", &event.access),
        ("qos", &event.qos),
        ("opex", &event.opex),
    ] {
        if let Some(v) = v {
            push_attr(out, k, v);
        }
    }
    out.push('>');
    let p = &event.point;
    let _ = write!(
        out,
        r#"<point lat="{}" lon="{}" hae="{}" ce="{}" le="{}"/>"#,
        p.lat_deg, p.lon_deg, p.hae_m, p.ce_m, p.le_m
    );
    out.push_str("<detail>");
    write_fragment(&event.detail, out)?;
    out.push_str("</detail></event>");
    Ok(())
}

/// Appends elements (e.g. the children of `<detail>`) as XML text.
pub fn write_fragment(elements: &[Element], out: &mut String) -> Result<(), EncodeError> {
    for e in elements {
        write_element(e, out)?;
    }
    Ok(())
}

fn write_element(e: &Element, out: &mut String) -> Result<(), EncodeError> {
    check_name(&e.name)?;
    out.push('<');
    out.push_str(&e.name);
    for (k, v) in &e.attrs {
        check_name(k)?;
        push_attr(out, k, v);
    }
    if e.text.is_empty() && e.children.is_empty() {
        out.push_str("/>");
        return Ok(());
    }
    out.push('>');
    push_text(out, &e.text);
    for c in &e.children {
        write_element(c, out)?;
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
    Ok(())
}

pub(crate) fn check_point_for_encoding(p: &Point) -> Result<(), EncodeError> {
    for (field, v) in [
        ("lat", p.lat_deg),
        ("lon", p.lon_deg),
        ("hae", p.hae_m),
        ("ce", p.ce_m),
        ("le", p.le_m),
    ] {
        if !v.is_finite() {
            return Err(EncodeError::NotFinite { field });
        }
    }
    if !(-90.0..=90.0).contains(&p.lat_deg) {
        return Err(EncodeError::OutOfRange {
            field: "lat",
            value: p.lat_deg.to_string(),
        });
    }
    if !(-180.0..=180.0).contains(&p.lon_deg) {
        return Err(EncodeError::OutOfRange {
            field: "lon",
            value: p.lon_deg.to_string(),
        });
    }
    Ok(())
}

/// XML 1.0 names, simplified: a letter, `_` or `:` (or any non-ASCII) first, then also
/// digits, `-` and `.`.
fn check_name(name: &str) -> Result<(), EncodeError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(EncodeError::InvalidName(name.chars().take(64).collect()))
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let ok_first =
        |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':' || (!c.is_ascii() && xml_char(c));
    let ok_rest = |c: char| ok_first(c) || c.is_ascii_digit() || c == '-' || c == '.';
    matches!(chars.next(), Some(c) if ok_first(c)) && chars.all(ok_rest)
}

fn bad_name(pos: u64, name: &str) -> DecodeError {
    xml_error(
        pos,
        format!(
            "`{}` is not a valid XML name",
            name.chars().take(64).collect::<String>()
        ),
    )
}

/// Characters XML 1.0 cannot carry at all are dropped rather than producing a document
/// every peer would reject.
pub(crate) fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn push_attr(out: &mut String, key: &str, value: &str) {
    out.push(' ');
    out.push_str(key);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Attribute-value normalisation would turn raw whitespace controls into spaces.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out.push('"');
}

fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// Decodes one CoT XML event with the default [`Limits`].
pub fn decode_xml(bytes: &[u8]) -> Result<CotEvent, DecodeError> {
    decode_xml_with(bytes, &Limits::default())
}

/// Decodes one CoT XML event (an optional declaration, then `<event>`), within `limits`.
pub fn decode_xml_with(bytes: &[u8], limits: &Limits) -> Result<CotEvent, DecodeError> {
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let root = parse_root(bytes, limits)?;
    event_from_element(root)
}

/// Parses the children of a `<detail>` written as a fragment (TAK protobuf `xmlDetail`).
pub(crate) fn parse_fragment(text: &str, limits: &Limits) -> Result<Vec<Element>, DecodeError> {
    let wrapped_len = text.len() + "<detail></detail>".len();
    if wrapped_len > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            len: wrapped_len,
            max: limits.max_bytes,
        });
    }
    let mut wrapped = String::with_capacity(wrapped_len);
    wrapped.push_str("<detail>");
    wrapped.push_str(text);
    wrapped.push_str("</detail>");
    Ok(parse_root(wrapped.as_bytes(), limits)?.children)
}

fn xml_error(position: u64, e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Xml {
        position,
        message: e.to_string().chars().take(200).collect(),
    }
}

/// Builds the element tree of a document, bounded by `limits`.
fn parse_root(bytes: &[u8], limits: &Limits) -> Result<Element, DecodeError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| xml_error(reader.error_position(), e))?;
        let pos = reader.buffer_position();
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                if root.is_some() {
                    return Err(DecodeError::TrailingContent);
                }
                elements += 1;
                if elements > limits.max_elements {
                    return Err(DecodeError::TooManyElements {
                        max: limits.max_elements,
                    });
                }
                if stack.len() >= limits.max_depth {
                    return Err(DecodeError::TooDeep {
                        max: limits.max_depth,
                    });
                }
                let el = element_from_start(s, limits, pos)?;
                if matches!(ev, Event::Start(_)) {
                    stack.push(el);
                } else {
                    attach(&mut stack, &mut root, el);
                }
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| xml_error(pos, "end tag without a start tag"))?;
                if el.text.chars().all(char::is_whitespace) {
                    el.text.clear();
                }
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| xml_error(pos, e))?;
                push_text_to(&mut stack, root.is_some(), &s, pos)?;
            }
            Event::CData(c) => {
                let s = c.decode().map_err(|e| xml_error(pos, e))?;
                push_text_to(&mut stack, root.is_some(), &s, pos)?;
            }
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r, pos)?;
                let mut buf = [0u8; 4];
                push_text_to(&mut stack, root.is_some(), c.encode_utf8(&mut buf), pos)?;
            }
            Event::DocType(_) => return Err(DecodeError::DocType),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(xml_error(
            reader.buffer_position(),
            "document ends inside an element",
        ));
    }
    root.ok_or(DecodeError::Empty)
}

fn not_xml_char(pos: u64, c: char) -> DecodeError {
    xml_error(
        pos,
        format!("character U+{:04X} is not allowed in XML 1.0", u32::from(c)),
    )
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn push_text_to(
    stack: &mut [Element],
    after_root: bool,
    s: &str,
    pos: u64,
) -> Result<(), DecodeError> {
    if let Some(c) = s.chars().find(|&c| !xml_char(c)) {
        return Err(not_xml_char(pos, c));
    }
    match stack.last_mut() {
        Some(top) => {
            top.text.push_str(s);
            Ok(())
        }
        None if s.chars().all(char::is_whitespace) => Ok(()),
        None if after_root => Err(DecodeError::TrailingContent),
        None => Err(xml_error(pos, "text before the root element")),
    }
}

fn resolve_reference(r: &quick_xml::events::BytesRef<'_>, pos: u64) -> Result<char, DecodeError> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| xml_error(pos, e))? {
        return Ok(c);
    }
    let name = r.decode().map_err(|e| xml_error(pos, e))?;
    match name.as_ref() {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(xml_error(
            pos,
            format!(
                "unknown entity `&{};`",
                other.chars().take(32).collect::<String>()
            ),
        )),
    }
}

fn element_from_start(
    s: &BytesStart<'_>,
    limits: &Limits,
    pos: u64,
) -> Result<Element, DecodeError> {
    let name = std::str::from_utf8(s.name().as_ref())
        .map_err(|e| xml_error(pos, e))?
        .to_owned();
    if !valid_name(&name) {
        return Err(bad_name(pos, &name));
    }
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| xml_error(pos, e))?;
        if attrs.len() >= limits.max_attributes {
            return Err(DecodeError::TooManyAttributes {
                element: name.chars().take(64).collect(),
                max: limits.max_attributes,
            });
        }
        let key = std::str::from_utf8(a.key.as_ref())
            .map_err(|e| xml_error(pos, e))?
            .to_owned();
        if !valid_name(&key) {
            return Err(bad_name(pos, &key));
        }
        let value = a
            .unescape_value()
            .map_err(|e| xml_error(pos, e))?
            .into_owned();
        if let Some(c) = value.chars().find(|&c| !xml_char(c)) {
            return Err(not_xml_char(pos, c));
        }
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

/// Turns a parsed `<event>` element into a [`CotEvent`], checking required attributes and
/// coordinate ranges.
pub(crate) fn event_from_element(root: Element) -> Result<CotEvent, DecodeError> {
    if root.name != "event" {
        return Err(DecodeError::NotAnEvent {
            found: root.name.chars().take(64).collect(),
        });
    }
    let required = |attribute: &'static str| -> Result<&str, DecodeError> {
        match root.get(attribute) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(DecodeError::MissingAttribute {
                element: "event",
                attribute,
            }),
        }
    };
    let time_attr = |attribute: &'static str| -> Result<_, DecodeError> {
        let v = required(attribute)?;
        parse_cot_time(v).ok_or_else(|| DecodeError::bad("event", attribute, v, "not a dateTime"))
    };
    let uid = required("uid")?.to_owned();
    let cot_type = required("type")?.to_owned();
    let time = time_attr("time")?;
    let start = time_attr("start")?;
    let stale = time_attr("stale")?;
    let how = root.get("how").unwrap_or_default().to_owned();
    let opt = |k: &str| root.get(k).filter(|v| !v.is_empty()).map(str::to_owned);
    let (access, qos, opex) = (opt("access"), opt("qos"), opt("opex"));
    let point_el = root.find("point").ok_or(DecodeError::MissingPoint)?;
    let point = point_from_element(point_el)?;
    let detail = root
        .children
        .into_iter()
        .find(|c| c.name == "detail")
        .map(|d| d.children)
        .unwrap_or_default();
    Ok(CotEvent {
        uid,
        cot_type,
        how,
        time,
        start,
        stale,
        access,
        qos,
        opex,
        point,
        detail,
    })
}

fn point_from_element(p: &Element) -> Result<Point, DecodeError> {
    let num = |attribute: &'static str| -> Result<Option<f64>, DecodeError> {
        match p.get(attribute) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| DecodeError::bad("point", attribute, v, "not a number")),
        }
    };
    let lat = num("lat")?.ok_or(DecodeError::MissingAttribute {
        element: "point",
        attribute: "lat",
    })?;
    let lon = num("lon")?.ok_or(DecodeError::MissingAttribute {
        element: "point",
        attribute: "lon",
    })?;
    check_decoded_point(
        lat,
        lon,
        num("hae")?.unwrap_or(UNKNOWN_ERROR_M),
        num("ce")?.unwrap_or(UNKNOWN_ERROR_M),
        num("le")?.unwrap_or(UNKNOWN_ERROR_M),
    )
}

/// Range checks shared by XML and protobuf decoding. Position must be valid; height and
/// errors that are not finite (some senders write `NaN`) become "unknown".
pub(crate) fn check_decoded_point(
    lat: f64,
    lon: f64,
    hae: f64,
    ce: f64,
    le: f64,
) -> Result<Point, DecodeError> {
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(DecodeError::bad(
            "point",
            "lat",
            &lat.to_string(),
            "latitude must be within ±90°",
        ));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(DecodeError::bad(
            "point",
            "lon",
            &lon.to_string(),
            "longitude must be within ±180°",
        ));
    }
    let unknown_unless = |v: f64, ok: bool| if ok { v } else { UNKNOWN_ERROR_M };
    Ok(Point {
        lat_deg: lat,
        lon_deg: lon,
        hae_m: unknown_unless(hae, hae.is_finite()),
        ce_m: unknown_unless(ce, ce.is_finite() && ce >= 0.0),
        le_m: unknown_unless(le, le.is_finite() && le >= 0.0),
    })
}
