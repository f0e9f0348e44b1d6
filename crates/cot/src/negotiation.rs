//! TAK protocol version negotiation, as pure state machines.
//!
//! Streams (client side, [`Negotiation`]): both ends start in XML. A server that speaks TAK
//! protocol v1 may send `t-x-takp-v` with `<TakControl><TakProtocolSupport version="1"/>`;
//! the client answers `t-x-takp-q` with `<TakRequest version="1"/>` (reusing the offer's
//! uid) and then must send nothing until `t-x-takp-r` arrives with
//! `<TakResponse status="true|false"/>`. On `true` both directions switch to protobuf
//! stream frames from the next byte; on `false` both stay in XML. With no response within
//! the timeout (one minute), the client must disconnect.
//!
//! Mesh ([`MeshVersions`]): each device announces the versions it can decode in a
//! TakControl at least once a minute and sends with the highest version every known peer
//! supports; peers without a TakControl for two minutes count as speaking only the version
//! they last used.

use crate::event::{CotEvent, Element, Point};
use crate::framing::WireFormat;
use crate::proto;
use picket_core::Timestamp;
use std::collections::HashMap;
use std::time::Duration;

/// Type of the server's offer.
pub const TYPE_OFFER: &str = "t-x-takp-v";
/// Type of the client's request.
pub const TYPE_REQUEST: &str = "t-x-takp-q";
/// Type of the server's response.
pub const TYPE_RESPONSE: &str = "t-x-takp-r";
/// The only TAK protocol version beyond XML this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// True for the negotiation events (`t-x-takp-*`), which are not part of the picture.
pub fn is_negotiation_event(event: &CotEvent) -> bool {
    event.cot_type.starts_with("t-x-takp")
}

/// What a `<TakControl>` detail says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TakControlInfo {
    /// Versions listed in `<TakProtocolSupport version>` (offer).
    pub supported_versions: Vec<u32>,
    /// Version in `<TakRequest version>` (request).
    pub requested_version: Option<u32>,
    /// `<TakResponse status>` (response); anything but `true` reads as `false`.
    pub response_status: Option<bool>,
}

impl TakControlInfo {
    /// Reads the `<TakControl>` of an event, if it has one.
    pub fn from_event(event: &CotEvent) -> Option<Self> {
        let tc = event.detail_element("TakControl")?;
        let version = |e: &Element| e.get("version").and_then(|v| v.trim().parse::<u32>().ok());
        Some(TakControlInfo {
            supported_versions: tc
                .find_all("TakProtocolSupport")
                .filter_map(version)
                .collect(),
            requested_version: tc.find("TakRequest").and_then(version),
            response_status: tc.find("TakResponse").map(|r| {
                r.get("status")
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"))
            }),
        })
    }
}

fn control_event(uid: &str, cot_type: &str, tak_control: Element, now: Timestamp) -> CotEvent {
    CotEvent {
        uid: uid.to_owned(),
        cot_type: cot_type.to_owned(),
        how: "m-g".to_owned(),
        time: now,
        start: now,
        stale: now.plus(Duration::from_secs(60)),
        access: None,
        qos: None,
        opex: None,
        point: Point {
            lat_deg: 0.0,
            lon_deg: 0.0,
            hae_m: 0.0,
            ce_m: 999_999.0,
            le_m: 999_999.0,
        },
        detail: vec![tak_control],
    }
}

/// A server's `t-x-takp-v` offer of `versions`.
pub fn takp_offer(uid: &str, versions: &[u32], now: Timestamp) -> CotEvent {
    let tc = Element {
        name: "TakControl".to_owned(),
        children: versions
            .iter()
            .map(|v| Element::new("TakProtocolSupport").attr("version", v.to_string()))
            .collect(),
        ..Default::default()
    };
    control_event(uid, TYPE_OFFER, tc, now)
}

/// A client's `t-x-takp-q` request for `version`, reusing the offer's `uid`.
pub fn takp_request(uid: &str, version: u32, now: Timestamp) -> CotEvent {
    control_event(
        uid,
        TYPE_REQUEST,
        Element::new("TakControl")
            .child(Element::new("TakRequest").attr("version", version.to_string())),
        now,
    )
}

/// A server's `t-x-takp-r` response.
pub fn takp_response(uid: &str, accepted: bool, now: Timestamp) -> CotEvent {
    control_event(
        uid,
        TYPE_RESPONSE,
        Element::new("TakControl").child(
            Element::new("TakResponse").attr("status", if accepted { "true" } else { "false" }),
        ),
        now,
    )
}

/// What the connection must do after feeding the negotiation an event or a tick.
#[derive(Clone, Debug, PartialEq)]
pub enum NegotiationStep {
    /// Nothing changes.
    Nothing,
    /// Send this request now, as XML; then send nothing until the response
    /// ([`Negotiation::may_send`] is false meanwhile — queue outgoing events).
    SendRequest(Box<CotEvent>),
    /// The server accepted: from the next byte on, both directions are protobuf stream
    /// frames (switch the decoder with `StreamDecoder::set_wire` now).
    SwitchToProtobuf,
    /// The server refused: carry on in XML.
    StayXml,
    /// No response in time: the negotiation is in an unknown state; close the connection and
    /// reconnect (the protocol's rule).
    Disconnect,
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    Xml { refused: bool },
    Awaiting { since: Timestamp },
    Protobuf,
}

/// Client-side negotiation on one TAK server stream. Pure: feed it every received event and
/// tick it with the time.
#[derive(Clone, Debug)]
pub struct Negotiation {
    state: State,
    want_protobuf: bool,
    timeout: Duration,
}

impl Negotiation {
    /// A negotiation for a new connection. With `want_protobuf` false it never leaves XML.
    /// The response timeout is one minute (the protocol's minimum).
    pub fn new(want_protobuf: bool) -> Self {
        Negotiation {
            state: State::Xml { refused: false },
            want_protobuf,
            timeout: Duration::from_secs(60),
        }
    }
    /// Sets how long to wait for the server's response before [`NegotiationStep::Disconnect`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// The encoding to send (and expect) now.
    pub fn wire(&self) -> WireFormat {
        match self.state {
            State::Protobuf => WireFormat::ProtobufV1,
            _ => WireFormat::Xml,
        }
    }
    /// False while a request awaits its response: the client must not send then.
    pub fn may_send(&self) -> bool {
        !matches!(self.state, State::Awaiting { .. })
    }
    /// Feeds a received event (any event; non-negotiation events are ignored).
    pub fn on_event(&mut self, event: &CotEvent, now: Timestamp) -> NegotiationStep {
        match (event.cot_type.as_str(), &self.state) {
            (TYPE_OFFER, State::Xml { refused: false }) if self.want_protobuf => {
                let offers_v1 = TakControlInfo::from_event(event)
                    .is_some_and(|i| i.supported_versions.contains(&PROTOCOL_VERSION));
                if !offers_v1 {
                    return NegotiationStep::Nothing;
                }
                self.state = State::Awaiting { since: now };
                NegotiationStep::SendRequest(Box::new(takp_request(
                    &event.uid,
                    PROTOCOL_VERSION,
                    now,
                )))
            }
            (TYPE_RESPONSE, State::Awaiting { .. }) => {
                let accepted = TakControlInfo::from_event(event)
                    .and_then(|i| i.response_status)
                    .unwrap_or(false);
                if accepted {
                    self.state = State::Protobuf;
                    NegotiationStep::SwitchToProtobuf
                } else {
                    self.state = State::Xml { refused: true };
                    NegotiationStep::StayXml
                }
            }
            _ => NegotiationStep::Nothing,
        }
    }
    /// Checks the response timeout.
    pub fn poll(&mut self, now: Timestamp) -> NegotiationStep {
        if let State::Awaiting { since } = self.state {
            if now.seconds_since(since) >= self.timeout.as_secs_f64() {
                self.state = State::Xml { refused: true };
                return NegotiationStep::Disconnect;
            }
        }
        NegotiationStep::Nothing
    }
}

#[derive(Clone, Debug)]
struct Peer {
    min: u32,
    max: u32,
    last_control: Option<Timestamp>,
    last_used: u32,
    last_seen: Timestamp,
}

/// Mesh protocol-version bookkeeping: which version to broadcast with.
#[derive(Clone, Debug)]
pub struct MeshVersions {
    own_uid: String,
    peers: HashMap<String, Peer>,
    peer_timeout: Duration,
    max_peers: usize,
    overflow: bool,
}

impl MeshVersions {
    /// Bookkeeping for a device `own_uid`; peers unheard for `peer_timeout` are forgotten.
    /// At most 10 000 peers are tracked; beyond that Picket falls back to XML, which every
    /// device decodes.
    pub fn new(own_uid: &str, peer_timeout: Duration) -> Self {
        MeshVersions {
            own_uid: own_uid.to_owned(),
            peers: HashMap::new(),
            peer_timeout,
            max_peers: 10_000,
            overflow: false,
        }
    }
    /// Records one received message: its sender uid (the event uid, or TakControl's
    /// `contactUid`), the encoding it came in and its TakControl, if any.
    pub fn observe(
        &mut self,
        sender_uid: &str,
        wire: WireFormat,
        control: Option<&proto::TakControl>,
        now: Timestamp,
    ) {
        if sender_uid.is_empty() || sender_uid == self.own_uid {
            return;
        }
        self.forget_expired(now);
        let used = match wire {
            WireFormat::Xml => 0,
            WireFormat::ProtobufV1 => PROTOCOL_VERSION,
        };
        if !self.peers.contains_key(sender_uid) && self.peers.len() >= self.max_peers {
            self.overflow = true;
            return;
        }
        let peer = self.peers.entry(sender_uid.to_owned()).or_insert(Peer {
            min: used,
            max: used,
            last_control: None,
            last_used: used,
            last_seen: now,
        });
        peer.last_used = used;
        peer.last_seen = now;
        // TakControl never lists version 0 (it is implied); a zero field means absent.
        if let Some(c) = control.filter(|c| c.max_proto_version > 0) {
            peer.min = c.min_proto_version.max(1).min(c.max_proto_version);
            peer.max = c.max_proto_version;
            peer.last_control = Some(now);
        }
    }
    fn forget_expired(&mut self, now: Timestamp) {
        let timeout = self.peer_timeout.as_secs_f64();
        self.peers
            .retain(|_, p| now.seconds_since(p.last_seen) < timeout);
        if self.peers.len() < self.max_peers {
            self.overflow = false;
        }
    }
    /// The version to broadcast with at `now`: 1 when every known peer decodes it, else 0.
    pub fn send_version(&self, now: Timestamp) -> u32 {
        if self.overflow {
            return 0;
        }
        let timeout = self.peer_timeout.as_secs_f64();
        let all_v1 = self
            .peers
            .values()
            .filter(|p| now.seconds_since(p.last_seen) < timeout)
            .all(|p| {
                let fresh = p.last_control.is_some_and(|t| now.seconds_since(t) < 120.0);
                if fresh {
                    (p.min.max(1)..=p.max).contains(&PROTOCOL_VERSION)
                } else {
                    p.last_used == PROTOCOL_VERSION
                }
            });
        if all_v1 {
            PROTOCOL_VERSION
        } else {
            0
        }
    }
    /// [`Self::send_version`] as a wire format.
    pub fn wire(&self, now: Timestamp) -> WireFormat {
        match self.send_version(now) {
            0 => WireFormat::Xml,
            _ => WireFormat::ProtobufV1,
        }
    }
    /// The TakControl Picket broadcasts (it decodes versions 1..=1 besides XML).
    pub fn own_control(&self) -> proto::TakControl {
        proto::TakControl {
            min_proto_version: PROTOCOL_VERSION,
            max_proto_version: PROTOCOL_VERSION,
            contact_uid: self.own_uid.clone(),
        }
    }
    /// Number of peers tracked.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }
}
