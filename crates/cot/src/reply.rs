//! Replies from TAK devices that refer to one of Picket's alerts: CoT acknowledgements
//! (`y-a-r` received, `y-a-w` wilco) and GeoChat receipts (`b-t-f-d` delivered, `b-t-f-r`
//! read) of Picket's alert chat lines.
//!
//! What the types mean (MITRE's `CoTtypes.xml`, "Replies"): `y-a` ack, `y-a-r` received,
//! `y-a-w` wilco; `y-c-…` (tasking complete / failed) and `y-s-…` (status) are not
//! acknowledgements and are not read here. A reply names what it answers with a `<link uid>`
//! (MITRE's relation `p-t`, "the tasking that elicited this event"); ATAK's own task replies
//! instead reuse the request's uid as their event uid. Both are accepted. The replying
//! device is the `<link relation="p-p">` producer (as ATAK writes in chat and receipts).
//!
//! Only the exact, tagged uid of a marker Picket sent counts ([`CotProfile::alert_of_uid`]):
//! the tag comes from a secret of the running output, so a reply naming it was written by
//! someone who received the marker, and a uid of this site's form with no tag or a wrong
//! one ([`ReplyError::Unverified`]) is a guess or a leftover of an earlier run. The device
//! uid, by contrast, is whatever the sender wrote: TAK servers relay it unchecked.
//!
//! GeoChat receipts are sent by ATAK on its own: `b-t-f-d` as soon as a direct line arrives,
//! `b-t-f-r` when the conversation is shown on screen. Each carries the original line's
//! `messageId` as its event uid and in `<__chatreceipt messageId>`. A read receipt means the
//! line was displayed, not that a person decided anything, so [`ReplyKind::acknowledges`] is
//! false for both receipts: callers record them as "seen" only.
//!
//! Pure: the event was already decoded within [`crate::Limits`]; this only looks at it.

use crate::event::{CotEvent, Element, Limits};
use crate::picket::CotProfile;
use crate::DecodeError;
use picket_core::{AlertId, Timestamp};

/// Longest device uid taken from a reply (longer ones are not a device's).
pub const MAX_SENDER_UID: usize = 256;
/// Longest callsign kept from a reply (characters).
const MAX_CALLSIGN_CHARS: usize = 64;

/// What a reply says about an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// `y-a-r` (or the generic `y-a`): the alert was received.
    Received,
    /// `y-a-w`: will comply.
    Wilco,
    /// `b-t-f-d`: Picket's chat line reached the device (sent automatically).
    Delivered,
    /// `b-t-f-r`: Picket's chat line was shown on the device (sent automatically).
    Read,
}

impl ReplyKind {
    /// The kind of a CoT type, when it is one of the replies read here.
    pub fn of_type(cot_type: &str) -> Option<Self> {
        match cot_type {
            "y-a" | "y-a-r" => Some(ReplyKind::Received),
            "y-a-w" => Some(ReplyKind::Wilco),
            "b-t-f-d" => Some(ReplyKind::Delivered),
            "b-t-f-r" => Some(ReplyKind::Read),
            _ => None,
        }
    }
    /// True for a person's deliberate acknowledgement (`y-a-r`, `y-a-w`); false for the
    /// receipts a device sends by itself.
    pub fn acknowledges(self) -> bool {
        matches!(self, ReplyKind::Received | ReplyKind::Wilco)
    }
    /// A short word for logs, audit entries and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyKind::Received => "received",
            ReplyKind::Wilco => "wilco",
            ReplyKind::Delivered => "delivered",
            ReplyKind::Read => "read",
        }
    }
}

/// A device's reply about one of this site's alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertReply {
    /// What it says.
    pub kind: ReplyKind,
    /// The alert it is about.
    pub alert_id: AlertId,
    /// The replying device's uid (its `<link relation="p-p">`). Claimed by the sender: only a
    /// server that authenticates devices makes it trustworthy.
    pub sender_uid: String,
    /// The callsign the reply names, if any (informative only; never an identity).
    pub sender_callsign: Option<String>,
    /// When the device made the reply.
    pub time: Timestamp,
}

/// Why an event is not a usable reply about one of this site's alerts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The bytes were not a CoT event.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The event is not one of the reply types read here.
    #[error("CoT type `{0}` is not an acknowledgement or chat receipt")]
    NotAReply(String),
    /// The reply refers to none of this site's alerts (someone else's traffic).
    #[error("the reply refers to no alert of this site")]
    NotOurs,
    /// The reply names a uid of this site's alert form that Picket did not issue (no tag, a
    /// wrong tag, or a tag of an earlier run): a guess or a replay, never an acknowledgement.
    #[error("the reply names `{0}`, which is not the uid of a marker this output sent")]
    Unverified(String),
    /// The reply links more than one of this site's alerts: which one it answers is unclear.
    #[error("the reply links alerts {0} and {1}; one reply answers one alert")]
    Ambiguous(AlertId, AlertId),
    /// No usable device uid (missing, empty, too long or with control characters).
    #[error("the reply does not say which device sent it")]
    NoSender,
    /// The reply was already stale when it arrived (e.g. replayed by a server).
    #[error("the reply went stale at {0}")]
    Stale(Timestamp),
}

impl AlertReply {
    /// Reads a reply about one of `profile`'s alerts from `event`, received at `now`.
    pub fn from_event(
        profile: &CotProfile,
        event: &CotEvent,
        now: Timestamp,
    ) -> Result<Self, ReplyError> {
        let kind = ReplyKind::of_type(&event.cot_type)
            .ok_or_else(|| ReplyError::NotAReply(event.cot_type.chars().take(64).collect()))?;
        let alert_id = if kind.acknowledges() {
            acked_alert(profile, event)?
        } else {
            receipt_alert(profile, event)?
        };
        if event.is_stale_at(now) {
            // Alert ids start again at 1 in a new run: a reply a server replays from an
            // earlier one must not acknowledge today's alert of the same number.
            return Err(ReplyError::Stale(event.stale));
        }
        let receipt = event.detail_element("__chatreceipt");
        let sender_uid = producer(profile, event)
            .or_else(|| {
                // ATAK's UAS tool names the replying device here.
                event
                    .detail_element("request")
                    .and_then(|r| r.get("_notifyUid"))
            })
            .or_else(|| {
                receipt
                    .and_then(|r| r.find("chatgrp"))
                    .and_then(|g| g.get("uid0"))
            })
            .map(str::trim)
            .filter(|u| usable_uid(u))
            .ok_or(ReplyError::NoSender)?
            .to_owned();
        let sender_callsign = receipt
            .and_then(|r| r.get("senderCallsign"))
            .or_else(|| event.callsign())
            .map(|c| {
                c.chars()
                    .filter(|ch| !ch.is_control())
                    .take(MAX_CALLSIGN_CHARS)
                    .collect::<String>()
            })
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        Ok(AlertReply {
            kind,
            alert_id,
            sender_uid,
            sender_callsign,
            time: event.time,
        })
    }

    /// Decodes a reply from one CoT XML message.
    pub fn decode_xml(
        profile: &CotProfile,
        bytes: &[u8],
        limits: &Limits,
        now: Timestamp,
    ) -> Result<Self, ReplyError> {
        Self::from_event(profile, &crate::xml::decode_xml_with(bytes, limits)?, now)
    }
}

fn links(event: &CotEvent) -> impl Iterator<Item = &Element> {
    event.detail.iter().filter(|e| e.name == "link")
}

/// The alert a `y-a-…` answers: the one alert its links name, else its own uid (ATAK's
/// task replies reuse the request's uid). Any alert-like uid that is not exactly a marker
/// uid Picket issued makes the whole reply [`ReplyError::Unverified`].
fn acked_alert(profile: &CotProfile, event: &CotEvent) -> Result<AlertId, ReplyError> {
    let mut found: Option<AlertId> = None;
    for uid in links(event).filter_map(|l| l.get("uid")).map(str::trim) {
        let id = match profile.alert_of_uid(uid) {
            Some(id) => id,
            None if profile.looks_like_alert_uid(uid) => return Err(unverified(uid)),
            None => continue,
        };
        match found {
            Some(f) if f != id => return Err(ReplyError::Ambiguous(f, id)),
            _ => found = Some(id),
        }
    }
    if let Some(id) = found {
        return Ok(id);
    }
    let own = event.uid.trim();
    match profile.alert_of_uid(own) {
        Some(id) => Ok(id),
        None if profile.looks_like_alert_uid(own) => Err(unverified(own)),
        None => Err(ReplyError::NotOurs),
    }
}

fn unverified(uid: &str) -> ReplyError {
    ReplyError::Unverified(
        uid.chars()
            .take(80)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
    )
}

/// The alert whose chat line a receipt is for: `<__chatreceipt messageId>`, else the event
/// uid (ATAK writes the same id in both).
fn receipt_alert(profile: &CotProfile, event: &CotEvent) -> Result<AlertId, ReplyError> {
    let quoted = event
        .detail_element("__chatreceipt")
        .and_then(|r| r.get("messageId"))
        .map(str::trim)
        .filter(|m| !m.is_empty());
    match quoted {
        Some(m) => profile.alert_of_chat_message_id(m),
        None => profile.alert_of_chat_message_id(event.uid.trim()),
    }
    .ok_or(ReplyError::NotOurs)
}

/// The `<link relation="p-p">` that is the replying device (not a link to an alert, not
/// Picket itself).
fn producer<'a>(profile: &CotProfile, event: &'a CotEvent) -> Option<&'a str> {
    links(event)
        .filter(|l| l.get("relation").map(str::trim) == Some("p-p"))
        .filter_map(|l| l.get("uid"))
        .find(|u| {
            let u = u.trim();
            !profile.looks_like_alert_uid(u) && u != profile.sender_uid()
        })
}

fn usable_uid(uid: &str) -> bool {
    !uid.is_empty() && uid.len() <= MAX_SENDER_UID && !uid.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picket::{encode_alert_chat, Recipient};
    use crate::timefmt::format_cot_time;
    use crate::xml::{decode_xml, encode_xml};
    use picket_core::{AlertEvent, AlertState, GeoPoint, TargetClass, ThreatLevel, TrackId};
    use std::time::Duration;

    const SECRET: [u8; 16] = *b"0123456789abcdef";

    fn profile() -> CotProfile {
        CotProfile::new("naco-live", Duration::from_secs(1))
            .unwrap()
            .with_alert_secret(SECRET)
    }

    /// The tagged marker uid of alert `id`, as the output sent it.
    fn au(id: u64) -> String {
        profile().alert_uid(AlertId(id))
    }

    fn now() -> Timestamp {
        Timestamp::from_micros(1_760_000_000_000_000)
    }

    /// A `y-a-…` reply as a device would write it, with `detail` inside `<detail>`.
    fn reply_xml(cot_type: &str, uid: &str, stale_s: f64, detail: &str) -> String {
        let t = format_cot_time(now());
        let s = format_cot_time(now().plus_secs_f64(stale_s));
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><event version="2.0" uid="{uid}" type="{cot_type}" how="h-e" time="{t}" start="{t}" stale="{s}"><point lat="31.34" lon="-109.96" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail>{detail}</detail></event>"#
        )
    }

    fn ack_detail(alert_uid: &str, device: &str) -> String {
        format!(
            r#"<link uid="{alert_uid}" type="b-a-g" relation="p-t"/><link uid="{device}" type="a-f-G-U-C" relation="p-p"/><contact callsign="ALPHA"/>"#
        )
    }

    fn parse(xml: &str) -> Result<AlertReply, ReplyError> {
        AlertReply::decode_xml(&profile(), xml.as_bytes(), &Limits::default(), now())
    }

    fn alert(id: u64) -> AlertEvent {
        AlertEvent {
            alert_id: AlertId(id),
            unit_id: "post-alpha".into(),
            track_id: TrackId(7),
            state: AlertState::Raised,
            level: ThreatLevel::Warning,
            time: now(),
            raised_time: now(),
            position: GeoPoint::new(31.33, -109.96, 1480.0),
            range_m: 1400.0,
            bearing_deg: 180.0,
            closing_speed_mps: 20.0,
            closest_approach_m: 10.0,
            time_to_closest_approach_s: 70.0,
            target_class: TargetClass::Drone,
            dark: false,
            reasons: vec![],
            acknowledged_by: None,
            cleared_reason: None,
        }
    }

    #[test]
    fn a_received_reply_linked_to_an_alert_marker_acknowledges_it() {
        let r = parse(&reply_xml(
            "y-a-r",
            "reply-1",
            60.0,
            &ack_detail(&au(12), "ANDROID-ALPHA"),
        ))
        .unwrap();
        assert_eq!(r.kind, ReplyKind::Received);
        assert!(r.kind.acknowledges());
        assert_eq!(r.alert_id, AlertId(12));
        assert_eq!(r.sender_uid, "ANDROID-ALPHA");
        assert_eq!(r.sender_callsign.as_deref(), Some("ALPHA"));
        assert_eq!(r.time, now());
        // Link order does not matter, nor does the alert link's relation.
        let swapped = format!(
            r#"<link uid="ANDROID-ALPHA" relation="p-p"/><link uid="{}" relation="t-p-r"/>"#,
            au(3)
        );
        let r = parse(&reply_xml("y-a-w", "reply-2", 60.0, &swapped)).unwrap();
        assert_eq!((r.kind, r.alert_id), (ReplyKind::Wilco, AlertId(3)));
        assert_eq!(r.sender_uid, "ANDROID-ALPHA");
    }

    #[test]
    fn an_atak_task_reply_reusing_the_alert_uid_is_read_too() {
        // ATAK's task replies carry the request's uid; the device is in <request _notifyUid>.
        let detail = r#"<request notify="10.0.0.7:4242:tcp" _notifyUid="ANDROID-ALPHA"/>"#;
        let r = parse(&reply_xml("y-a-r", &au(5), 5.0, detail)).unwrap();
        assert_eq!(
            (r.alert_id, r.sender_uid.as_str()),
            (AlertId(5), "ANDROID-ALPHA")
        );
    }

    #[test]
    fn replies_about_other_things_are_not_ours() {
        for (uid, detail) in [
            // Another site's alert, a track of ours, another site whose name starts like ours.
            ("r", ack_detail(&au(12).replace("naco-live", "other"), "D")),
            ("r", ack_detail("picket-naco-live-T12", "D")),
            ("r", ack_detail("picket-naco-A12", "D")),
            ("r", r#"<link uid="D" relation="p-p"/>"#.to_owned()),
        ] {
            assert_eq!(
                parse(&reply_xml("y-a-r", uid, 60.0, &detail)),
                Err(ReplyError::NotOurs),
                "{detail}"
            );
        }
    }

    #[test]
    fn a_reply_naming_an_alert_uid_picket_did_not_issue_is_unverified() {
        let tagged = au(12);
        let tag = tagged.rsplit_once('-').unwrap().1;
        assert_eq!(tag.len(), crate::picket::ALERT_TAG_HEX);
        let mut flipped = tagged.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        let earlier_run = CotProfile::new("naco-live", Duration::from_secs(1))
            .unwrap()
            .with_alert_secret(*b"fedcba9876543210")
            .alert_uid(AlertId(12));
        let other_alert_tag = format!(
            "picket-naco-live-A12-{}",
            au(13).rsplit_once('-').unwrap().1
        );
        for guess in [
            // Guessed from the sequence: no tag, a wrong tag, the tag of another alert, the
            // uid of the same alert in an earlier run (another secret).
            "picket-naco-live-A12".to_owned(),
            "picket-naco-live-A12-000000000000".to_owned(),
            flipped,
            other_alert_tag,
            earlier_run,
            // Malformed lookalikes.
            format!("{tagged}x"),
            format!("{tagged}-"),
            tagged.replace("-A12-", "-A012-"),
            "picket-naco-live-A".to_owned(),
            "picket-naco-live-A99999999999999999999999-000000000000".to_owned(),
        ] {
            assert_eq!(
                parse(&reply_xml(
                    "y-a-r",
                    "r",
                    60.0,
                    &ack_detail(&guess, "ANDROID-ALPHA")
                )),
                Err(ReplyError::Unverified(guess.clone())),
                "{guess}"
            );
            // As the reply's own uid (ATAK's task-reply form) too.
            assert_eq!(
                parse(&reply_xml(
                    "y-a-r",
                    &guess,
                    60.0,
                    r#"<link uid="D" relation="p-p"/>"#
                )),
                Err(ReplyError::Unverified(guess.clone())),
                "{guess}"
            );
        }
        // A real tag next to a guessed one does not carry the guess.
        let mixed = format!(
            r#"<link uid="{tagged}"/><link uid="picket-naco-live-A13"/><link uid="D" relation="p-p"/>"#
        );
        assert_eq!(
            parse(&reply_xml("y-a-r", "r", 60.0, &mixed)),
            Err(ReplyError::Unverified("picket-naco-live-A13".into()))
        );
        // Without a secret nothing is verified (fail closed).
        let untagged = CotProfile::new("naco-live", Duration::from_secs(1)).unwrap();
        let xml = reply_xml("y-a-r", "r", 60.0, &ack_detail(&tagged, "D"));
        assert!(matches!(
            AlertReply::decode_xml(&untagged, xml.as_bytes(), &Limits::default(), now()),
            Err(ReplyError::Unverified(_))
        ));
    }

    #[test]
    fn other_types_are_not_replies_and_tasking_outcomes_are_not_acknowledgements() {
        for t in [
            "b-t-f",
            "y-c-s",
            "y-c-f-r",
            "y-s-e",
            "y-a-x",
            "a-f-G-U-C",
            "b-a-g",
        ] {
            let e = parse(&reply_xml(t, "r", 60.0, &ack_detail(&au(1), "D")));
            assert_eq!(e, Err(ReplyError::NotAReply(t.to_owned())), "{t}");
        }
    }

    #[test]
    fn a_reply_needs_one_alert_one_device_and_to_be_fresh() {
        let two = format!(
            r#"<link uid="{}"/><link uid="{}"/><link uid="D" relation="p-p"/>"#,
            au(1),
            au(2)
        );
        assert_eq!(
            parse(&reply_xml("y-a-r", "r", 60.0, &two)),
            Err(ReplyError::Ambiguous(AlertId(1), AlertId(2)))
        );
        // The same alert linked twice is still one alert.
        let same = format!(
            r#"<link uid="{0}"/><link uid="{0}" relation="p-t"/><link uid="D" relation="p-p"/>"#,
            au(1)
        );
        assert_eq!(
            parse(&reply_xml("y-a-r", "r", 60.0, &same))
                .unwrap()
                .alert_id,
            AlertId(1)
        );
        let long = "D".repeat(MAX_SENDER_UID + 1);
        for device in ["", "  ", "A&#10;B", long.as_str()] {
            assert_eq!(
                parse(&reply_xml("y-a-r", "r", 60.0, &ack_detail(&au(1), device))),
                Err(ReplyError::NoSender),
                "{device:?}"
            );
        }
        // Picket's own uid or an alert uid as the producer is not a device.
        for device in ["picket-naco-live".to_owned(), au(1)] {
            assert_eq!(
                parse(&reply_xml("y-a-r", "r", 60.0, &ack_detail(&au(1), &device))),
                Err(ReplyError::NoSender)
            );
        }
        // A producer link without relation p-p is not the sender either.
        let no_pp = format!(
            r#"<link uid="{}" relation="p-t"/><link uid="D" relation="p-o"/>"#,
            au(1)
        );
        assert_eq!(
            parse(&reply_xml("y-a-r", "r", 60.0, &no_pp)),
            Err(ReplyError::NoSender)
        );
        let stale = parse(&reply_xml("y-a-r", "r", 0.0, &ack_detail(&au(1), "D")));
        assert_eq!(stale, Err(ReplyError::Stale(now())));
    }

    #[test]
    fn chat_receipts_name_the_alert_of_picket_s_line_and_do_not_acknowledge() {
        let p = profile();
        let line = encode_alert_chat(
            &p,
            &alert(12),
            "Post Alpha",
            &Recipient::with_uid("ALPHA", "ANDROID-ALPHA"),
            now(),
        )
        .unwrap();
        let message_id = line
            .detail_element("__chat")
            .and_then(|c| c.get("messageId"))
            .unwrap()
            .to_owned();
        assert_eq!(p.alert_of_chat_message_id(&message_id), Some(AlertId(12)));
        // As ATAK's GeoChatService writes a receipt: uid = messageId, __chatreceipt, p-p link.
        let detail = format!(
            r#"<__chatreceipt id="picket-naco-live" messageId="{message_id}" senderCallsign="ALPHA" chatroom="PICKET naco-live" parent="RootContactGroup" groupOwner="false"><chatgrp id="picket-naco-live" uid0="ANDROID-ALPHA" uid1="picket-naco-live"/></__chatreceipt><link uid="ANDROID-ALPHA" type="a-f-G-U-C" relation="p-p"/><__serverdestination destinations="10.0.0.7:4242:tcp:ANDROID-ALPHA"/>"#
        );
        for (t, kind) in [
            ("b-t-f-d", ReplyKind::Delivered),
            ("b-t-f-r", ReplyKind::Read),
        ] {
            let r = parse(&reply_xml(t, &message_id, 86_400.0, &detail)).unwrap();
            assert_eq!(r.kind, kind);
            assert!(!r.kind.acknowledges(), "{t} is sent by the device itself");
            assert_eq!(r.alert_id, AlertId(12));
            assert_eq!(r.sender_uid, "ANDROID-ALPHA");
            assert_eq!(r.sender_callsign.as_deref(), Some("ALPHA"));
        }
        // Without the link, chatgrp uid0 names the device; without __chatreceipt, the uid
        // carries the message id.
        let bare = format!(
            r#"<__chatreceipt messageId="{message_id}"><chatgrp uid0="ANDROID-ALPHA"/></__chatreceipt>"#
        );
        assert_eq!(
            parse(&reply_xml("b-t-f-r", "x", 60.0, &bare))
                .unwrap()
                .sender_uid,
            "ANDROID-ALPHA"
        );
        let no_receipt = r#"<link uid="ANDROID-ALPHA" relation="p-p"/>"#;
        assert_eq!(
            parse(&reply_xml("b-t-f-d", &message_id, 60.0, no_receipt))
                .unwrap()
                .alert_id,
            AlertId(12)
        );
        assert!(message_id.starts_with(&format!("{}-raised-", au(12))));
        // A receipt for someone else's chat line, for the alert marker's uid, or for a line
        // id without Picket's tag (or with a wrong one) is not ours.
        let (_, tail) = message_id.split_once(&au(12)).unwrap();
        for id in [
            "4de0262c-633f-46eb-b8e5-5ef1eb1e5e22".to_owned(),
            au(12),
            format!("picket-naco-live-A12{tail}"),
            format!("picket-naco-live-A12-000000000000{tail}"),
            format!("{}{tail}", au(13).replace("-A13-", "-A12-")),
            format!("{}-raised-", au(12)),
            format!("{}-RAISED-1", au(12)),
            format!("{}-raised-1x", au(12)),
            format!("{}-raised-1", au(12).replace("naco-live", "other")),
        ] {
            let d = format!(r#"<__chatreceipt messageId="{id}"/><link uid="D" relation="p-p"/>"#);
            assert_eq!(
                parse(&reply_xml("b-t-f-r", "x", 60.0, &d)),
                Err(ReplyError::NotOurs),
                "{id}"
            );
        }
    }

    #[test]
    fn an_encoded_and_decoded_reply_reads_the_same() {
        let ev =
            decode_xml(reply_xml("y-a-r", "r", 60.0, &ack_detail(&au(9), "D")).as_bytes()).unwrap();
        let again = decode_xml(encode_xml(&ev).unwrap().as_bytes()).unwrap();
        assert_eq!(
            AlertReply::from_event(&profile(), &again, now()),
            AlertReply::from_event(&profile(), &ev, now())
        );
    }

    #[test]
    fn malformed_and_hostile_input_gives_typed_errors() {
        let good = reply_xml("y-a-r", "r", 60.0, &ack_detail(&au(1), "ANDROID-ALPHA"));
        let limits = Limits::default();
        let p = profile();
        let decode = |b: &[u8]| AlertReply::decode_xml(&p, b, &limits, now());
        assert!(decode(good.as_bytes()).is_ok());
        for bad in [
            &b""[..],
            b"\xff\xfe<event",
            b"<event uid='r' type='y-a-r'>",
            b"<!DOCTYPE x [<!ENTITY a 'b'>]><event/>",
            b"<notevent/>",
        ] {
            assert!(
                matches!(decode(bad), Err(ReplyError::Decode(_))),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // Every truncation of a good reply is an error or the reply itself, never a panic.
        for n in 0..good.len() {
            if let Ok(r) = decode(&good.as_bytes()[..n]) {
                assert_eq!(r.alert_id, AlertId(1));
            }
        }
        // Too large: refused before parsing.
        let huge = reply_xml(
            "y-a-r",
            "r",
            60.0,
            &format!(
                "{}{}",
                "<link uid=\"x\"/>".repeat(limits.max_bytes / 10),
                ack_detail(&au(1), "D")
            ),
        );
        assert!(matches!(
            decode(huge.as_bytes()),
            Err(ReplyError::Decode(DecodeError::TooLarge { .. }))
        ));
        // Deeply nested detail: bounded by the decoder's depth limit.
        let deep = reply_xml(
            "y-a-r",
            "r",
            60.0,
            &format!("{}{}", "<x>".repeat(200), "</x>".repeat(200)),
        );
        assert!(matches!(
            decode(deep.as_bytes()),
            Err(ReplyError::Decode(DecodeError::TooDeep { .. }))
        ));
        // Error messages stay short whatever the input.
        let long_type = "y".repeat(10_000);
        let e = parse(&reply_xml(&long_type, "r", 60.0, "")).unwrap_err();
        assert!(e.to_string().len() < 200, "{e}");
    }
}
