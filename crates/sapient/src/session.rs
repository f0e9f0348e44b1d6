//! One SAPIENT connection, as the fusion node sees it, without the socket: bytes in, events
//! out (replies to send, observations, status). The TCP server owns one [`Session`] per peer,
//! feeds it what it reads, writes the replies back and forwards the rest.
//!
//! Malformed input never ends a session: it produces an Error reply and a
//! [`Event::Rejected`] to count. Time is an argument.

use crate::framing::{decode_payload, encode_frame, Deframer, FrameError};
use crate::observe::{message_to_observation, node_position, DetectionObservation, MappingOptions};
use crate::proto::{sapient_message::Content, SapientMessage};
use crate::reply::{error_reply, registration_ack, registration_reply};
use crate::validate::validate_message;
use crate::NodeProfile;
use picket_core::{GeoPoint, SensorId, Timestamp};

/// What the session asks its owner to do or know.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Send this frame (length prefix included) to the peer.
    Reply(Vec<u8>),
    /// The node registered (or registered again) and was accepted.
    Registered(Box<NodeProfile>),
    /// A StatusReport; `position` when it carried a readable node location.
    Status {
        /// The node's position, now also used for its range-bearing detections.
        position: Option<GeoPoint>,
        /// The whole message (system state, mode, field of view, ...).
        message: Box<SapientMessage>,
    },
    /// A detection, as an observation.
    Observation(Box<DetectionObservation>),
    /// A message the session does not map (Alert — already acknowledged —, AlertAck,
    /// TaskAck, ...); the server may act on it.
    Other(Box<SapientMessage>),
    /// Input that was refused (and answered with an Error or a rejecting RegistrationAck).
    Rejected {
        /// Why, for the operator and the quarantine counter.
        reason: String,
    },
}

/// The fusion node's side of one connection.
#[derive(Debug)]
pub struct Session {
    own_node_id: String,
    sensor_id: SensorId,
    options: MappingOptions,
    deframer: Deframer,
    peer_node_id: Option<String>,
    profile: Option<NodeProfile>,
    position: Option<GeoPoint>,
}

impl Session {
    /// A session of fusion node `own_node_id` (its UUID) with a peer whose detections are
    /// attributed to `sensor_id`.
    pub fn new(own_node_id: &str, sensor_id: SensorId, options: MappingOptions) -> Self {
        Session {
            own_node_id: own_node_id.to_owned(),
            sensor_id,
            options,
            deframer: Deframer::new(),
            peer_node_id: None,
            profile: None,
            position: None,
        }
    }

    /// The registered node's profile, once it registered.
    pub fn profile(&self) -> Option<&NodeProfile> {
        self.profile.as_ref()
    }

    /// The node's last known position.
    pub fn position(&self) -> Option<GeoPoint> {
        self.position
    }

    /// Feeds bytes read from the peer; returns what follows from every complete frame in them.
    pub fn on_bytes(&mut self, chunk: &[u8], now: Timestamp) -> Vec<Event> {
        self.on_bytes_with(chunk, now, &mut |_| Ok(()))
    }

    /// As [`Session::on_bytes`], but a valid Registration is accepted only if `claim` grants
    /// its node id (e.g. the id is not live on another connection); when `claim` refuses with
    /// a reason, the node gets a rejecting RegistrationAck with it, the session keeps its
    /// previous registration (if any), and an [`Event::Rejected`] follows.
    pub fn on_bytes_with(
        &mut self,
        chunk: &[u8],
        now: Timestamp,
        claim: &mut dyn FnMut(&str) -> Result<(), String>,
    ) -> Vec<Event> {
        self.deframer.push(chunk);
        let mut events = Vec::new();
        while let Some(next) = self.deframer.next_payload() {
            match next {
                Ok(payload) => self.on_payload(&payload, now, claim, &mut events),
                Err(e) => self.reject(&[], e.to_string(), now, &mut events),
            }
        }
        events
    }

    fn reply(&self, msg: &SapientMessage, events: &mut Vec<Event>) {
        // Our own replies are small; a failure to frame one would be a bug, not input.
        if let Ok(frame) = encode_frame(msg) {
            events.push(Event::Reply(frame));
        }
    }

    fn reject(&self, packet: &[u8], reason: String, now: Timestamp, events: &mut Vec<Event>) {
        let to = self.peer_node_id.as_deref();
        let msg = error_reply(&self.own_node_id, to, now, packet, vec![reason.clone()]);
        self.reply(&msg, events);
        events.push(Event::Rejected { reason });
    }

    fn on_payload(
        &mut self,
        payload: &[u8],
        now: Timestamp,
        claim: &mut dyn FnMut(&str) -> Result<(), String>,
        events: &mut Vec<Event>,
    ) {
        let msg = match decode_payload(payload) {
            Ok(m) => m,
            Err(FrameError::Protobuf(e)) => {
                return self.reject(payload, format!("not a SapientMessage: {e}"), now, events)
            }
            Err(e) => return self.reject(payload, e.to_string(), now, events),
        };
        if let Some(Content::Registration(_)) = &msg.content {
            let (ack, outcome) = registration_reply(&self.own_node_id, &msg, now);
            let node = msg.node_id.clone().unwrap_or_default();
            // Claimed only once the Registration is valid: a refused claim must hold nothing.
            let claimed = match &outcome {
                Ok(()) => claim(&node),
                Err(_) => Ok(()),
            };
            if let Err(reason) = claimed {
                let ack =
                    registration_ack(&self.own_node_id, &node, now, false, vec![reason.clone()]);
                self.reply(&ack, events);
                events.push(Event::Rejected {
                    reason: format!("registration rejected: {reason}"),
                });
                return;
            }
            self.reply(&ack, events);
            match (outcome, &msg.content) {
                (Ok(()), Some(Content::Registration(r))) => {
                    let profile = NodeProfile::from_registration(&node, r);
                    self.peer_node_id = Some(node);
                    self.profile = Some(profile.clone());
                    events.push(Event::Registered(Box::new(profile)));
                }
                (Err(e), _) => events.push(Event::Rejected {
                    reason: format!("registration rejected: {e}"),
                }),
                (Ok(()), _) => {}
            }
            return;
        }
        if let Err(e) = validate_message(&msg) {
            return self.reject(payload, e.to_string(), now, events);
        }
        let Some(profile) = &self.profile else {
            let reason = "node is not registered: send a Registration first".to_owned();
            return self.reject(payload, reason, now, events);
        };
        match &msg.content {
            Some(Content::StatusReport(s)) => {
                let position = s
                    .node_location
                    .as_ref()
                    .and_then(|_| node_position(s, profile, &self.options).ok());
                if position.is_some() {
                    self.position = position;
                }
                events.push(Event::Status {
                    position,
                    message: Box::new(msg),
                });
            }
            Some(Content::DetectionReport(_)) => {
                match message_to_observation(
                    &msg,
                    &self.sensor_id,
                    profile,
                    self.position,
                    &self.options,
                ) {
                    Ok(o) => events.push(Event::Observation(Box::new(o))),
                    Err(e) => {
                        self.reject(payload, format!("detection not usable: {e}"), now, events)
                    }
                }
            }
            Some(Content::Alert(a)) => {
                // A sensor's alert is taken in (and logged by the server); tell it so.
                let ack = crate::reply::alert_ack(
                    &self.own_node_id,
                    self.peer_node_id.as_deref(),
                    now,
                    a.alert_id.as_deref(),
                    crate::proto::alert_ack::AlertAckStatus::Accepted,
                    Vec::new(),
                );
                self.reply(&ack, events);
                events.push(Event::Other(Box::new(msg)));
            }
            _ => events.push(Event::Other(Box::new(msg))),
        }
    }
}
