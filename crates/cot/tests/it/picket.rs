//! What Picket sends to TAK: track types, uids, errors, stale times, linked points, alerts.

use super::{cooperative_track, drone_track, t0, warning_alert};
use picket_core::{AlertState, GeoPoint, TargetClass, ThreatLevel, TrackId, TrackStatus};
use picket_cot::picket::{
    affiliation, alert_text, encode_alert, encode_alert_chat, encode_alert_marker, encode_delete,
    encode_operator, encode_presence, encode_takeoff, encode_track, encode_track_ended, stale_out,
    track_cot_type,
};
use picket_cot::xml::{decode_xml, encode_xml};
use picket_cot::{
    ChatLine, CotEvent, CotProfile, ProfileError, Recipient, TrackReport, UNKNOWN_ERROR_M,
};
use std::time::Duration;

/// A TAK output's profile: alert marker uids tagged with the output's secret.
fn profile() -> CotProfile {
    CotProfile::new("nogales", Duration::from_secs(1))
        .unwrap()
        .with_alert_secret(*b"picket-test-0001")
}

const LEVELS: [ThreatLevel; 4] = [
    ThreatLevel::Info,
    ThreatLevel::Caution,
    ThreatLevel::Warning,
    ThreatLevel::Imminent,
];
const CLASSES: [TargetClass; 4] = [
    TargetClass::Drone,
    TargetClass::Bird,
    TargetClass::MannedAircraft,
    TargetClass::Unknown,
];

#[test]
fn a_drone_escalates_unknown_then_suspect_then_hostile_uav() {
    let types: Vec<String> = LEVELS
        .iter()
        .map(|&l| track_cot_type(TargetClass::Drone, l, true))
        .collect();
    assert_eq!(
        types,
        ["a-u-A-M-H-Q", "a-s-A-M-H-Q", "a-h-A-M-H-Q", "a-h-A-M-H-Q"]
    );
}

#[test]
fn uav_types_end_in_uppercase_q_and_only_atoms_are_lowercase() {
    for class in CLASSES {
        for level in LEVELS {
            for dark in [false, true] {
                let t = track_cot_type(class, level, dark);
                let atoms: Vec<&str> = t.split('-').collect();
                assert_eq!(atoms[0], "a", "{t}");
                assert!(["n", "u", "s", "h"].contains(&atoms[1]), "{t}");
                assert!(
                    atoms[2..]
                        .iter()
                        .all(|a| a.chars().all(|c| c.is_ascii_uppercase())),
                    "{t}: dimension and function atoms are uppercase"
                );
                assert!(!t.contains('q'), "{t}");
                if class == TargetClass::Drone {
                    assert!(t.ends_with("-A-M-H-Q"), "{t}");
                }
            }
        }
    }
}

#[test]
fn birds_and_identified_aircraft_are_neutral_until_assessed_otherwise() {
    assert_eq!(
        track_cot_type(TargetClass::Bird, ThreatLevel::Info, true),
        "a-n-A"
    );
    assert_eq!(
        track_cot_type(TargetClass::MannedAircraft, ThreatLevel::Info, false),
        "a-n-A-C"
    );
    // A dark aircraft is not vouched for; an alerting one is never shown as neutral.
    assert_eq!(
        track_cot_type(TargetClass::MannedAircraft, ThreatLevel::Info, true),
        "a-u-A-C"
    );
    assert_eq!(
        affiliation(TargetClass::Bird, ThreatLevel::Warning, true),
        'h'
    );
    assert_eq!(
        track_cot_type(TargetClass::Unknown, ThreatLevel::Caution, true),
        "a-s-A"
    );
}

#[test]
fn a_track_event_carries_uid_errors_course_speed_and_stale_field_by_field() {
    let track = drone_track();
    let p = profile().with_stale_periods(3.0).unwrap();
    let now = t0().plus_secs_f64(0.25);
    let ev = encode_track(
        &p,
        &TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Warning),
        now,
    );
    let xml = encode_xml(&ev).unwrap();
    for expected in [
        r#"uid="picket-nogales-T12""#,
        r#"type="a-h-A-M-H-Q""#,
        r#"how="m-f""#,
        r#"time="2026-11-26T12:00:00.250Z""#,
        r#"start="2026-11-26T12:00:00.250Z""#,
        r#"stale="2026-11-26T12:00:03.250Z""#,
        r#"<point lat="31.3345123" lon="-109.9487654" hae="1512.3" ce="23.5" le="9999999"/>"#,
        r#"<contact callsign="Dark UAV T12"/>"#,
        r#"<track speed="14.14" course="135"/>"#,
        r#"<__picket track="12" class="drone" dark="true" level="warning" status="confirmed" data_time="2026-11-26T12:00:00.000Z"/>"#,
    ] {
        assert!(xml.contains(expected), "missing {expected} in\n{xml}");
    }
    let back = decode_xml(xml.as_bytes()).unwrap();
    assert_eq!(back, ev);
    let remarks = &back.detail_element("remarks").unwrap().text;
    assert!(
        remarks.contains("dark drone") && remarks.contains("radar-1, rf-2"),
        "{remarks}"
    );
}

#[test]
fn the_uid_is_stable_for_the_whole_life_of_a_track() {
    let mut track = drone_track();
    let p = profile();
    let uids: Vec<String> = LEVELS
        .iter()
        .enumerate()
        .map(|(i, &level)| {
            track.time = t0().plus_secs_f64(i as f64);
            track.position.lat_deg += 0.001;
            encode_track(
                &p,
                &TrackReport::new(&track, TargetClass::Drone, true, level),
                track.time,
            )
            .uid
        })
        .collect();
    assert!(uids.iter().all(|u| u == "picket-nogales-T12"), "{uids:?}");
    assert_ne!(p.track_uid(TrackId(12)), p.track_uid(TrackId(13)));
}

#[test]
fn stale_is_between_two_and_three_update_periods() {
    let track = drone_track();
    for periods in [2.0, 2.5, 3.0] {
        let p = CotProfile::new("s", Duration::from_millis(800))
            .unwrap()
            .with_stale_periods(periods)
            .unwrap();
        let ev = encode_track(
            &p,
            &TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Info),
            t0(),
        );
        assert!((ev.stale.seconds_since(ev.time) - 0.8 * periods).abs() < 1e-6);
    }
    let p = CotProfile::new("s", Duration::from_secs(1)).unwrap();
    assert_eq!(
        p.clone().with_stale_periods(1.5),
        Err(ProfileError::BadStalePeriods)
    );
    assert_eq!(
        p.with_stale_periods(3.5),
        Err(ProfileError::BadStalePeriods)
    );
}

#[test]
fn ce_is_the_tracks_sigma_and_le_is_unknown_unless_given() {
    let mut track = drone_track();
    track.sigma_horizontal_m = 7.04;
    let mut r = TrackReport::new(&track, TargetClass::Drone, false, ThreatLevel::Info);
    let ev = encode_track(&profile(), &r, t0());
    assert_eq!((ev.point.ce_m, ev.point.le_m), (7.0, UNKNOWN_ERROR_M));
    r.sigma_vertical_m = Some(12.34);
    assert_eq!(encode_track(&profile(), &r, t0()).point.le_m, 12.3);
    track.sigma_horizontal_m = f64::NAN;
    let r = TrackReport::new(&track, TargetClass::Drone, false, ThreatLevel::Info);
    assert_eq!(
        encode_track(&profile(), &r, t0()).point.ce_m,
        UNKNOWN_ERROR_M
    );
}

#[test]
fn cooperative_tracks_show_their_callsign_and_identity() {
    let track = cooperative_track();
    let ev = encode_track(
        &profile(),
        &TrackReport::new(&track, TargetClass::Drone, false, ThreatLevel::Info),
        t0(),
    );
    assert_eq!(ev.callsign(), Some("UAV T12 HOBBY-1"));
    assert!(ev
        .detail_element("remarks")
        .unwrap()
        .text
        .contains("Remote ID 1581F5FJD228400DA"));
}

#[test]
fn an_ended_track_is_staled_out_at_once_under_the_same_uid() {
    let mut track = drone_track();
    let now = t0().plus_secs_f64(5.0);
    let live = encode_track(
        &profile(),
        &TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Warning),
        now,
    );
    let ended = encode_track_ended(
        &profile(),
        &TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Warning),
        now,
    );
    assert_eq!(ended.uid, live.uid);
    assert_eq!(ended.cot_type, live.cot_type);
    assert_eq!((ended.time, ended.stale), (now, now));
    assert!(ended.is_stale_at(now) && !live.is_stale_at(now));
    track.status = TrackStatus::Deleted;
    let deleted = encode_track(
        &profile(),
        &TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Warning),
        now,
    );
    assert_eq!(deleted.stale, deleted.time);
}

#[test]
fn a_delete_names_its_target_in_a_link_and_is_not_stale_on_arrival() {
    let ev = encode_delete("picket-nogales-T12", t0());
    assert_eq!(ev.cot_type, "t-x-d-d");
    assert_ne!(ev.uid, "picket-nogales-T12");
    let link = ev.detail_element("link").unwrap();
    assert_eq!(link.get("uid"), Some("picket-nogales-T12"));
    assert_eq!(link.get("relation"), Some("p-p"));
    assert!(ev.detail_element("__forcedelete").is_some());
    assert!(ev.stale.seconds_since(ev.time) >= 30.0);
}

fn link_of(ev: &CotEvent) -> (&str, &str, &str) {
    let l = ev.detail_element("link").expect("a link");
    (
        l.get("uid").unwrap(),
        l.get("type").unwrap(),
        l.get("relation").unwrap(),
    )
}

#[test]
fn operator_and_takeoff_are_separate_events_linked_to_their_track() {
    let track = drone_track();
    let r = TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Warning);
    let op = encode_operator(&profile(), &r, t0()).expect("operator position known");
    assert_eq!(op.uid, "picket-nogales-T12-operator");
    assert_eq!(op.cot_type, "a-h-G");
    assert_eq!(
        (op.point.lat_deg, op.point.lon_deg, op.point.hae_m),
        (31.32, -109.93, 1400.0)
    );
    assert_eq!(link_of(&op), ("picket-nogales-T12", "a-h-A-M-H-Q", "p-p"));
    let takeoff = encode_takeoff(&profile(), &r, &GeoPoint::new(31.31, -109.92, 1390.0), t0());
    assert_eq!(takeoff.uid, "picket-nogales-T12-takeoff");
    assert_eq!(takeoff.cot_type, "b-m-p-s-m");
    assert_eq!(
        link_of(&takeoff),
        ("picket-nogales-T12", "a-h-A-M-H-Q", "p-p")
    );
    assert_eq!(
        takeoff.detail_element("color").unwrap().get("argb"),
        Some("-65536")
    );
    assert_eq!(op.stale, takeoff.stale);
    let coop = cooperative_track();
    assert!(encode_operator(
        &profile(),
        &TrackReport::new(&coop, TargetClass::Drone, false, ThreatLevel::Info),
        t0()
    )
    .is_none());
    let gone = stale_out(&op, t0().plus_secs_f64(9.0));
    assert_eq!(
        (gone.uid.as_str(), gone.stale),
        (op.uid.as_str(), gone.time)
    );
}

fn dests(ev: &CotEvent) -> Vec<&str> {
    ev.detail_element("marti")
        .expect("marti")
        .find_all("dest")
        .map(|d| d.get("callsign").unwrap())
        .collect()
}

fn recipients() -> Vec<Recipient> {
    vec![
        Recipient::with_uid("ALPHA-1", "ANDROID-589520ccfcd20f01"),
        Recipient::callsign("ALPHA-2"),
    ]
}

#[test]
fn an_alert_is_a_geofence_breach_marker_for_the_affected_callsigns_only() {
    let alert = warning_alert(AlertState::Raised);
    let now = t0().plus_secs_f64(0.5);
    let out = encode_alert(&profile(), &alert, "Post Alpha", &recipients(), now).unwrap();
    let m = &out.marker;
    assert_eq!(m.cot_type, "b-a-g");
    // Tag: the first 12 hex of SHA-256(secret ‖ 7 as 8 big-endian bytes), from Python.
    assert_eq!(m.uid, "picket-nogales-A7-bf6496def639");
    assert_eq!(
        profile().alert_of_uid(&m.uid),
        Some(picket_core::AlertId(7))
    );
    // The chat line of the same step names the same uid in its messageId.
    let chat = out.chats[0].detail_element("__chat").unwrap();
    assert!(
        chat.get("messageId")
            .unwrap()
            .starts_with(&format!("{}-raised-", m.uid)),
        "{chat:?}"
    );
    assert_eq!(dests(m), ["ALPHA-1", "ALPHA-2"]);
    assert_eq!(link_of(m), ("picket-nogales-T12", "a-h-A-M-H-Q", "p-p"));
    let em = m.detail_element("emergency").unwrap();
    assert_eq!(em.get("type"), Some("Geo-fence Breached"));
    assert_eq!(em.text, "PICKET nogales");
    assert_eq!(
        m.detail_element("remarks").unwrap().text,
        "WARNING Post Alpha: dark drone, 1.2 km SE, closing 18 m/s, ~60 s; crossed the border 40 s ago"
    );
    assert_eq!(m.stale.seconds_since(now), 30.0);
    assert_eq!(
        (m.point.lat_deg, m.point.lon_deg),
        (31.3345123, -109.9487654)
    );
}

#[test]
fn each_recipient_with_a_known_device_gets_one_direct_chat_line() {
    let alert = warning_alert(AlertState::Raised);
    let now = t0().plus_secs_f64(0.5);
    let out = encode_alert(&profile(), &alert, "Post Alpha", &recipients(), now).unwrap();
    assert_eq!(out.chats.len(), 1, "ALPHA-2's device uid is unknown");
    let c = &out.chats[0];
    assert_eq!(c.cot_type, "b-t-f");
    assert!(
        c.uid
            .starts_with("GeoChat.picket-nogales.ANDROID-589520ccfcd20f01."),
        "{}",
        c.uid
    );
    let chat = c.detail_element("__chat").unwrap();
    assert_eq!(chat.get("chatroom"), Some("ALPHA-1"));
    assert_eq!(chat.get("id"), Some("ANDROID-589520ccfcd20f01"));
    assert_eq!(chat.get("senderCallsign"), Some("PICKET nogales"));
    let grp = chat.find("chatgrp").unwrap();
    assert_eq!(grp.get("uid0"), Some("picket-nogales"));
    assert_eq!(grp.get("uid1"), Some("ANDROID-589520ccfcd20f01"));
    assert_eq!(link_of(c).0, "picket-nogales");
    let remarks = c.detail_element("remarks").unwrap();
    assert_eq!(remarks.get("to"), Some("ANDROID-589520ccfcd20f01"));
    assert_eq!(remarks.get("time"), Some("2026-11-26T12:00:00.500Z"));
    assert!(remarks.text.starts_with("WARNING Post Alpha: dark drone"));
    assert_eq!(dests(c), ["ALPHA-1"]);
}

#[test]
fn clearing_cancels_the_same_uid_and_says_why() {
    let mut alert = warning_alert(AlertState::Cleared);
    alert.cleared_reason = Some("track lost 30 s ago".into());
    let raised = encode_alert_marker(
        &profile(),
        &warning_alert(AlertState::Raised),
        "Post Alpha",
        &recipients(),
        t0(),
    )
    .unwrap();
    let out = encode_alert(
        &profile(),
        &alert,
        "Post Alpha",
        &recipients(),
        t0().plus_secs_f64(40.0),
    )
    .unwrap();
    assert_eq!(out.marker.cot_type, "b-a-o-can");
    assert_eq!(out.marker.uid, raised.uid);
    assert_eq!(
        out.marker
            .detail_element("emergency")
            .unwrap()
            .get("cancel"),
        Some("true")
    );
    assert_eq!(dests(&out.marker), ["ALPHA-1", "ALPHA-2"]);
    assert!(
        out.marker.stale > out.marker.time,
        "a cancel must not arrive stale"
    );
    let line = &out.chats[0].detail_element("remarks").unwrap().text;
    assert_eq!(line, "CLEARED Post Alpha: drone T12 - track lost 30 s ago");
}

#[test]
fn chat_lines_of_successive_lifecycle_events_are_distinct_messages() {
    let r = &recipients()[0];
    let a =
        encode_alert_chat(&profile(), &warning_alert(AlertState::Raised), "P", r, t0()).unwrap();
    let mut upd = warning_alert(AlertState::Updated);
    upd.level = ThreatLevel::Imminent;
    let b = encode_alert_chat(&profile(), &upd, "P", r, t0().plus_secs_f64(3.0)).unwrap();
    assert_ne!(a.uid, b.uid);
    assert!(b
        .detail_element("remarks")
        .unwrap()
        .text
        .starts_with("IMMINENT P:"));
    assert!(encode_alert_chat(&profile(), &upd, "P", &Recipient::callsign("X"), t0()).is_none());
}

#[test]
fn without_recipients_nothing_is_encoded_because_it_would_be_broadcast() {
    let alert = warning_alert(AlertState::Raised);
    assert!(encode_alert(&profile(), &alert, "P", &[], t0()).is_none());
    assert!(encode_alert_marker(&profile(), &alert, "P", &[], t0()).is_none());
}

#[test]
fn alert_text_falls_back_to_the_numbers_and_names_who_acknowledged() {
    let mut a = warning_alert(AlertState::Acknowledged);
    a.reasons.clear();
    a.acknowledged_by = Some("sgt.ramos".into());
    assert_eq!(
        alert_text(&a, "Post\nAlpha"),
        "WARNING Post Alpha: dark drone, 1.2 km SE, closing 18 m/s, closest 40 m in ~60 s (acknowledged by sgt.ramos)"
    );
}

#[test]
fn picket_announces_itself_as_a_tak_contact() {
    let ev = encode_presence(
        &profile(),
        &GeoPoint::new(31.3, -109.9, 1400.0),
        t0(),
        Duration::from_secs(120),
    );
    assert_eq!(ev.uid, "picket-nogales");
    assert_eq!(ev.cot_type, "a-f-G-E-S");
    for name in ["takv", "contact", "__group"] {
        assert!(ev.detail_element(name).is_some(), "{name}");
    }
    assert_eq!(ev.callsign(), Some("PICKET nogales"));
}

#[test]
fn profiles_refuse_names_that_would_break_uids() {
    for bad in ["", "a.b", "with space", "x".repeat(33).as_str(), "ünï"] {
        assert!(
            matches!(
                CotProfile::new(bad, Duration::from_secs(1)),
                Err(ProfileError::BadSite(_))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(
        CotProfile::new("ok", Duration::from_millis(10)),
        Err(ProfileError::BadUpdatePeriod)
    );
    let p = profile();
    assert_eq!(p.clone().with_callsign(" "), Err(ProfileError::BadCallsign));
    assert_eq!(
        p.clone().with_alert_stale(Duration::from_secs(1)),
        Err(ProfileError::BadAlertStale)
    );
    assert_eq!(
        p.with_callsign("PICKET-7").unwrap().sender_callsign(),
        "PICKET-7"
    );
}

#[test]
fn an_officers_chat_reply_to_picket_is_read_back() {
    // What ATAK sends when ALPHA-1 answers in Picket's chat.
    let xml = r#"<event version="2.0" uid="GeoChat.ANDROID-589520ccfcd20f01.picket-nogales.4e5f" type="b-t-f" how="h-g-i-g-o" time="2026-11-26T12:00:09.000Z" start="2026-11-26T12:00:09.000Z" stale="2026-11-27T12:00:09.000Z"><point lat="31.33" lon="-109.95" hae="1398" ce="9999999" le="9999999"/><detail><__chat parent="RootContactGroup" groupOwner="false" messageId="4e5f" chatroom="PICKET nogales" id="picket-nogales" senderCallsign="ALPHA-1"><chatgrp uid0="ANDROID-589520ccfcd20f01" uid1="picket-nogales" id="picket-nogales"/></__chat><link uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" relation="p-p"/><remarks source="BAO.F.ATAK.ANDROID-589520ccfcd20f01" to="picket-nogales" time="2026-11-26T12:00:09.000Z"> ACK </remarks></detail></event>"#;
    let line = ChatLine::from_event(&decode_xml(xml.as_bytes()).unwrap()).unwrap();
    assert_eq!(line.sender_uid, "ANDROID-589520ccfcd20f01");
    assert_eq!(line.sender_callsign.as_deref(), Some("ALPHA-1"));
    assert_eq!(line.text, "ACK");
    assert!(line.is_to(&profile()));
    assert!(!line.is_to(&CotProfile::new("other", Duration::from_secs(1)).unwrap()));
    // Picket's own chat lines read back too; track events are not chat.
    let ours = encode_alert_chat(
        &profile(),
        &warning_alert(AlertState::Raised),
        "P",
        &recipients()[0],
        t0(),
    )
    .unwrap();
    let back = ChatLine::from_event(&ours).unwrap();
    assert_eq!(
        (back.sender_uid.as_str(), back.to.as_deref()),
        ("picket-nogales", Some("ANDROID-589520ccfcd20f01"))
    );
    let track = drone_track();
    let ev = encode_track(
        &profile(),
        &TrackReport::new(&track, TargetClass::Drone, true, ThreatLevel::Info),
        t0(),
    );
    assert!(ChatLine::from_event(&ev).is_none());
}

#[test]
fn an_acknowledgement_is_a_short_deliberate_reply_and_may_name_one_alert() {
    use picket_core::AlertId;
    use picket_cot::{parse_ack, AckRequest};
    for t in [
        "ACK",
        " ack ",
        "Ack.",
        "acknowledged!",
        "ROGER",
        "wilco",
        "acked",
    ] {
        assert_eq!(parse_ack(t), Some(AckRequest::All), "{t:?}");
    }
    assert_eq!(parse_ack("ack A12"), Some(AckRequest::Alert(AlertId(12))));
    assert_eq!(parse_ack("ACK 7"), Some(AckRequest::Alert(AlertId(7))));
    for t in [
        "",
        "a",
        "back",
        "acknowledge the drone? no",
        "ack it now",
        "ack A",
        "ack A1x",
        "ack 99999999999999999999999",
        "not ack",
        &"ack ".repeat(40),
    ] {
        assert_eq!(parse_ack(t), None, "{t:?}");
    }
}
