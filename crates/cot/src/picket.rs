//! The CoT events Picket sends: tracks, their operator and take-off points, stale-outs,
//! deletes, alert markers and GeoChat lines.
//!
//! Conventions (each kept by a test in `tests/it/picket.rs`):
//! - One uid per track for its whole life: `picket-<site>-T<id>`; operator and take-off
//!   points are `…-operator` and `…-takeoff`, linked to the track with
//!   `<link uid relation="p-p">`. Alert markers are `picket-<site>-A<id>-<tag>`, the tag
//!   proving Picket issued the uid (see [`CotProfile::with_alert_secret`]).
//! - The type's affiliation follows the threat level (never understating it): info →
//!   unknown `u` (neutral `n` for birds and for manned aircraft that identify themselves),
//!   caution → suspect `s`, warning and imminent → hostile `h`. The function follows the
//!   class: drone `A-M-H-Q` (UAV, uppercase Q: WinTAK ignores `q`), manned aircraft `A-C`,
//!   bird and unknown `A` (air track).
//! - `ce` is the track's horizontal 1-σ (`sigma_horizontal_m`); `le` is its vertical 1-σ when
//!   the caller knows it, else CoT's "unknown" 9999999 — never invented.
//! - Tracks go stale after `stale_periods` × the update period (2–3). When a track ends its
//!   last event is re-sent with `stale` = `time` (a stale-out): TAK clients then grey it out
//!   and drop it on their own schedule, and servers stop replaying it. A `t-x-d-d` delete
//!   ([`encode_delete`]) is available to remove an item outright (e.g. a false track).
//! - Alerts are `b-a-g` ("Geo-fence Breached") markers at the target, with an
//!   `<emergency>` detail as ATAK's own alerts have, addressed with `<marti><dest callsign>`
//!   to the affected units only; re-send them until cleared (their `stale` is short), then
//!   send the `b-a-o-can` cancel with the same uid. Each lifecycle step also sends one
//!   direct GeoChat line (`b-t-f`) per recipient whose device uid is known, carrying the
//!   officer-readable reasons.
//!
//! All times are arguments (`now` is the send time, normally wall-clock time: TAK clients
//! drop events whose `stale` has already passed).

use crate::event::{CotEvent, Element, Point, UNKNOWN_ERROR_M};
use crate::timefmt::format_cot_time;
use picket_core::{
    AlertEvent, AlertId, AlertState, GeoPoint, TargetClass, ThreatLevel, Timestamp, Track, TrackId,
    TrackStatus,
};
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;

/// Hex digits of the tag in an alert marker uid (48 bits of SHA-256).
pub const ALERT_TAG_HEX: usize = 12;

/// The secret that tags alert marker uids: random per output run, supplied by the caller
/// (this crate has no randomness). Never printed.
#[derive(Clone, PartialEq, Eq)]
struct AlertSecret([u8; 16]);

impl fmt::Debug for AlertSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AlertSecret(..)")
    }
}

impl AlertSecret {
    /// The tag of `id`: the first [`ALERT_TAG_HEX`] lowercase hex digits of
    /// SHA-256(secret ‖ id as 8 big-endian bytes).
    fn tag(&self, id: AlertId) -> String {
        let digest = Sha256::new()
            .chain_update(self.0)
            .chain_update(id.0.to_be_bytes())
            .finalize();
        let mut s = String::with_capacity(ALERT_TAG_HEX);
        for b in &digest[..ALERT_TAG_HEX / 2] {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
    /// True when `tag` is `id`'s tag. Compares every byte whatever the first difference, so
    /// the time taken does not say how much of a guess was right.
    fn verify(&self, id: AlertId, tag: &str) -> bool {
        let want = self.tag(id);
        tag.len() == want.len()
            && tag
                .bytes()
                .zip(want.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Why a [`CotProfile`] setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The site name cannot be part of a uid.
    #[error("site `{0}` must be 1–32 characters of A–Z, a–z, 0–9, `_` or `-` (it becomes part of CoT uids)")]
    BadSite(String),
    /// Update period out of range.
    #[error("track update period must be between 0.1 s and 1 h")]
    BadUpdatePeriod,
    /// Stale multiple out of range.
    #[error("stale_periods must be between 2 and 3 update periods")]
    BadStalePeriods,
    /// Alert stale out of range.
    #[error("alert stale time must be between 5 s and 10 min")]
    BadAlertStale,
    /// Callsign empty, too long or with control characters.
    #[error("callsign must be 1–64 printable characters")]
    BadCallsign,
}

/// How Picket names itself and times its events on TAK.
#[derive(Clone, Debug, PartialEq)]
pub struct CotProfile {
    site: String,
    sender_uid: String,
    sender_callsign: String,
    update_period: Duration,
    stale_periods: f64,
    alert_stale: Duration,
    alert_secret: Option<AlertSecret>,
}

impl CotProfile {
    /// A profile for `site`, sending track updates every `update_period`. Defaults: stale
    /// after 2.5 periods, alert markers stale after 30 s, sender uid `picket-<site>`,
    /// callsign `PICKET <site>`.
    pub fn new(site: &str, update_period: Duration) -> Result<Self, ProfileError> {
        let ok = !site.is_empty()
            && site.len() <= 32
            && site
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(ProfileError::BadSite(site.chars().take(64).collect()));
        }
        if !(0.1..=3600.0).contains(&update_period.as_secs_f64()) {
            return Err(ProfileError::BadUpdatePeriod);
        }
        Ok(CotProfile {
            site: site.to_owned(),
            sender_uid: format!("picket-{site}"),
            sender_callsign: format!("PICKET {site}"),
            update_period,
            stale_periods: 2.5,
            alert_stale: Duration::from_secs(30),
            alert_secret: None,
        })
    }
    /// Sets the stale multiple (2–3 update periods).
    pub fn with_stale_periods(mut self, periods: f64) -> Result<Self, ProfileError> {
        if !(2.0..=3.0).contains(&periods) {
            return Err(ProfileError::BadStalePeriods);
        }
        self.stale_periods = periods;
        Ok(self)
    }
    /// Sets how long an alert marker stays valid without a re-send (5 s – 10 min).
    /// Re-send active alerts at least every third of this.
    pub fn with_alert_stale(mut self, stale: Duration) -> Result<Self, ProfileError> {
        if !(5.0..=600.0).contains(&stale.as_secs_f64()) {
            return Err(ProfileError::BadAlertStale);
        }
        self.alert_stale = stale;
        Ok(self)
    }
    /// Sets the secret that tags alert marker uids (`picket-<site>-A<id>-<tag>`). Give each
    /// output a fresh random one when it starts: the tag cannot be guessed, so a reply that
    /// names a marker's uid comes from a device that received the marker (markers go only
    /// to the threatened unit's callsign), and uids of an earlier run (whose alert ids
    /// restart at 1) name nothing in this one. Without a secret, markers carry no tag and
    /// [`CotProfile::alert_of_uid`] accepts no uid at all.
    pub fn with_alert_secret(mut self, secret: [u8; 16]) -> Self {
        self.alert_secret = Some(AlertSecret(secret));
        self
    }
    /// True when alert uids are tagged (a secret is set).
    pub fn has_alert_secret(&self) -> bool {
        self.alert_secret.is_some()
    }
    /// Sets the callsign Picket's alerts and chat lines come from.
    pub fn with_callsign(mut self, callsign: &str) -> Result<Self, ProfileError> {
        let c = callsign.trim();
        if c.is_empty() || c.chars().count() > 64 || c.chars().any(char::is_control) {
            return Err(ProfileError::BadCallsign);
        }
        self.sender_callsign = c.to_owned();
        Ok(self)
    }
    /// The site name.
    pub fn site(&self) -> &str {
        &self.site
    }
    /// Picket's own uid on TAK (`picket-<site>`).
    pub fn sender_uid(&self) -> &str {
        &self.sender_uid
    }
    /// Picket's callsign on TAK.
    pub fn sender_callsign(&self) -> &str {
        &self.sender_callsign
    }
    /// How long a track event stays valid.
    pub fn track_stale(&self) -> Duration {
        self.update_period.mul_f64(self.stale_periods)
    }
    /// How long an alert marker stays valid.
    pub fn alert_stale(&self) -> Duration {
        self.alert_stale
    }
    /// The uid of a track: `picket-<site>-T<id>`.
    pub fn track_uid(&self, id: TrackId) -> String {
        format!("picket-{}-T{}", self.site, id.0)
    }
    /// The uid of an alert marker: `picket-<site>-A<id>-<tag>` (untagged
    /// `picket-<site>-A<id>` without a secret).
    pub fn alert_uid(&self, id: AlertId) -> String {
        match &self.alert_secret {
            Some(secret) => format!("picket-{}-A{}-{}", self.site, id.0, secret.tag(id)),
            None => format!("picket-{}-A{}", self.site, id.0),
        }
    }
    /// `rest` after this site's alert prefix `picket-<site>-A`.
    fn after_alert_prefix<'a>(&self, uid: &'a str) -> Option<&'a str> {
        uid.strip_prefix("picket-")?
            .strip_prefix(self.site.as_str())?
            .strip_prefix("-A")
    }
    /// True when `uid` has the form of this site's alert uids (`picket-<site>-A…`), whether
    /// or not Picket issued it: a reply naming such a uid that
    /// [`CotProfile::alert_of_uid`] refuses is a guess or a leftover of an earlier run.
    pub fn looks_like_alert_uid(&self, uid: &str) -> bool {
        self.after_alert_prefix(uid).is_some()
    }
    /// The alert whose marker has exactly this uid: this site's `picket-<site>-A<id>-<tag>`
    /// with the tag this profile's secret gives `id`. `None` for anything else — an
    /// untagged or wrongly tagged uid, and every uid when no secret is set.
    pub fn alert_of_uid(&self, uid: &str) -> Option<AlertId> {
        let secret = self.alert_secret.as_ref()?;
        let (digits, tag) = self.after_alert_prefix(uid)?.split_once('-')?;
        let id = alert_digits(digits)?;
        secret.verify(id, tag).then_some(id)
    }
    /// The `messageId` of the GeoChat line sent for one alert lifecycle step:
    /// `<alert uid>-<state>-<ms>` (unique per line; receipts quote it back).
    pub fn chat_message_id(&self, alert: &AlertEvent, now: Timestamp) -> String {
        format!(
            "{}-{}-{}",
            self.alert_uid(alert.alert_id),
            alert.state.as_str(),
            now.as_micros().div_euclid(1000)
        )
    }
    /// The alert a GeoChat `messageId` of [`CotProfile::chat_message_id`]'s form belongs to
    /// (its alert uid checked as [`CotProfile::alert_of_uid`] does).
    pub fn alert_of_chat_message_id(&self, message_id: &str) -> Option<AlertId> {
        let secret = self.alert_secret.as_ref()?;
        let rest = self.after_alert_prefix(message_id)?;
        let (digits, rest) = rest.split_once('-')?;
        let (tag, rest) = rest.split_once('-')?;
        let (state, ms) = rest.split_once('-')?;
        let state_ok = !state.is_empty() && state.bytes().all(|b| b.is_ascii_lowercase());
        let ms = ms.strip_prefix('-').unwrap_or(ms);
        let ms_ok = !ms.is_empty() && ms.len() <= 20 && ms.bytes().all(|b| b.is_ascii_digit());
        if !(state_ok && ms_ok) {
            return None;
        }
        let id = alert_digits(digits)?;
        secret.verify(id, tag).then_some(id)
    }
}

/// An alert id written as Picket writes it: decimal, no sign, no leading zero.
fn alert_digits(digits: &str) -> Option<AlertId> {
    let ok = !digits.is_empty()
        && digits.len() <= 20
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !ok {
        return None;
    }
    digits.parse().ok().map(AlertId)
}

/// A track with what assessment says about it: the input of [`encode_track`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackReport<'a> {
    /// The fused track.
    pub track: &'a Track,
    /// Its class.
    pub class: TargetClass,
    /// True when it sends no Remote ID / ADS-B identity.
    pub dark: bool,
    /// The highest threat level it poses to any unit (info when none).
    pub level: ThreatLevel,
    /// Vertical 1-σ, metres, when known (else `le` is "unknown").
    pub sigma_vertical_m: Option<f64>,
}

impl<'a> TrackReport<'a> {
    /// A report without a vertical error.
    pub fn new(track: &'a Track, class: TargetClass, dark: bool, level: ThreatLevel) -> Self {
        TrackReport {
            track,
            class,
            dark,
            level,
            sigma_vertical_m: None,
        }
    }
}

/// The CoT affiliation letter for a target: `n`, `u`, `s` or `h`.
pub fn affiliation(class: TargetClass, level: ThreatLevel, dark: bool) -> char {
    match level {
        ThreatLevel::Info => match class {
            TargetClass::Bird => 'n',
            TargetClass::MannedAircraft if !dark => 'n',
            _ => 'u',
        },
        ThreatLevel::Caution => 's',
        ThreatLevel::Warning | ThreatLevel::Imminent => 'h',
    }
}

/// The CoT type of a track, e.g. `a-h-A-M-H-Q` for a hostile drone.
pub fn track_cot_type(class: TargetClass, level: ThreatLevel, dark: bool) -> String {
    let function = match class {
        TargetClass::Drone => "A-M-H-Q",
        TargetClass::MannedAircraft => "A-C",
        TargetClass::Bird | TargetClass::Unknown => "A",
    };
    format!("a-{}-{function}", affiliation(class, level, dark))
}

fn round_dp(v: f64, dp: i32) -> f64 {
    let f = 10f64.powi(dp);
    (v * f).round() / f
}

fn point_of(p: &GeoPoint, ce_m: Option<f64>, le_m: Option<f64>) -> Point {
    let err = |e: Option<f64>| match e {
        Some(v) if v.is_finite() && v >= 0.0 => round_dp(v.min(UNKNOWN_ERROR_M), 1),
        _ => UNKNOWN_ERROR_M,
    };
    Point {
        lat_deg: round_dp(p.lat_deg, 7),
        lon_deg: round_dp(p.lon_deg, 7),
        hae_m: if p.alt_hae_m.is_finite() {
            round_dp(p.alt_hae_m, 1)
        } else {
            UNKNOWN_ERROR_M
        },
        ce_m: err(ce_m),
        le_m: err(le_m),
    }
}

fn event(
    uid: String,
    cot_type: String,
    how: &str,
    now: Timestamp,
    stale: Timestamp,
    point: Point,
) -> CotEvent {
    CotEvent {
        uid,
        cot_type,
        how: how.to_owned(),
        time: now,
        start: now,
        stale,
        access: None,
        qos: None,
        opex: None,
        point,
        detail: Vec::new(),
    }
}

fn class_label(class: TargetClass) -> &'static str {
    match class {
        TargetClass::Drone => "UAV",
        TargetClass::Bird => "Bird",
        TargetClass::MannedAircraft => "Aircraft",
        TargetClass::Unknown => "Unknown",
    }
}

/// The map label of a track, e.g. `Dark UAV T12` or `Aircraft T3 N123AB`.
pub fn track_label(r: &TrackReport<'_>) -> String {
    let dark = if r.dark && r.class != TargetClass::Bird {
        "Dark "
    } else {
        ""
    };
    let mut s = format!("{dark}{} T{}", class_label(r.class), r.track.id.0);
    if let Some(cs) = r
        .track
        .callsign
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        s.push(' ');
        s.push_str(&printable(cs));
    }
    s
}

/// Replaces control characters (newlines included) with spaces: GeoChat and map labels
/// are one line.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn stale_for(status: TrackStatus, now: Timestamp, stale: Duration) -> Timestamp {
    match status {
        TrackStatus::Deleted => now,
        _ => now.plus(stale),
    }
}

/// A track as CoT. A deleted track (status `deleted`) comes out as its stale-out event
/// (`stale` = `time`).
pub fn encode_track(profile: &CotProfile, r: &TrackReport<'_>, now: Timestamp) -> CotEvent {
    let t = r.track;
    let cot_type = track_cot_type(r.class, r.level, r.dark);
    let stale = stale_for(t.status, now, profile.track_stale());
    let mut ev = event(
        profile.track_uid(t.id),
        cot_type,
        "m-f",
        now,
        stale,
        point_of(&t.position, Some(t.sigma_horizontal_m), r.sigma_vertical_m),
    );
    let speed = t.ground_speed_mps();
    let course = t.course_deg();
    let mut remarks = format!(
        "Picket {}: {}{}, threat {}; {} updates from {}",
        t.status_word(),
        if r.dark { "dark " } else { "" },
        r.class.as_str(),
        r.level.as_str(),
        t.hits,
        if t.sensors.is_empty() {
            "no sensor".to_owned()
        } else {
            t.sensors
                .iter()
                .map(|s| s.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    if let Some(id) = &t.identity {
        remarks.push_str(&format!("; identity {id}"));
    }
    ev.detail = vec![
        Element::new("contact").attr("callsign", track_label(r)),
        Element::new("track")
            .attr(
                "speed",
                fmt_num(if speed.is_finite() {
                    round_dp(speed, 2)
                } else {
                    0.0
                }),
            )
            .attr(
                "course",
                fmt_num(if course.is_finite() {
                    round_dp(course, 1) % 360.0
                } else {
                    0.0
                }),
            ),
        Element::new("remarks").text(printable(&remarks)),
        Element::new("__picket")
            .attr("track", t.id.0.to_string())
            .attr("class", class_key(r.class))
            .attr("dark", if r.dark { "true" } else { "false" })
            .attr("level", r.level.as_str())
            .attr("status", t.status_word())
            .attr("data_time", format_cot_time(t.time)),
    ];
    ev
}

trait StatusWord {
    fn status_word(&self) -> &'static str;
}
impl StatusWord for Track {
    fn status_word(&self) -> &'static str {
        match self.status {
            TrackStatus::Tentative => "tentative",
            TrackStatus::Confirmed => "confirmed",
            TrackStatus::Deleted => "deleted",
        }
    }
}

fn class_key(c: TargetClass) -> &'static str {
    match c {
        TargetClass::Drone => "drone",
        TargetClass::Bird => "bird",
        TargetClass::MannedAircraft => "manned_aircraft",
        TargetClass::Unknown => "unknown",
    }
}

fn fmt_num(v: f64) -> String {
    // `-0` reads oddly on a device.
    if v == 0.0 {
        "0".to_owned()
    } else {
        v.to_string()
    }
}

/// The stale-out of a previously sent event: the same event with `time`, `start` and
/// `stale` all `now`. Send it for a track's operator and take-off points when the track ends.
pub fn stale_out(sent: &CotEvent, now: Timestamp) -> CotEvent {
    let mut ev = sent.clone();
    ev.time = now;
    ev.start = now;
    ev.stale = now;
    ev
}

/// The stale-out of a track that ended (same uid, type and last position; `stale` = `time`).
pub fn encode_track_ended(profile: &CotProfile, r: &TrackReport<'_>, now: Timestamp) -> CotEvent {
    let mut ev = encode_track(profile, r, now);
    ev.stale = now;
    ev
}

/// A `t-x-d-d` delete of the map item `target_uid` (ATAK's convention: the target in
/// `<link uid relation="p-p">`, plus `<__forcedelete/>`). Its own `stale` is a minute ahead
/// so receivers do not drop it as already stale.
pub fn encode_delete(target_uid: &str, now: Timestamp) -> CotEvent {
    let mut ev = event(
        format!("{target_uid}-delete"),
        "t-x-d-d".to_owned(),
        "m-g",
        now,
        now.plus(Duration::from_secs(60)),
        Point {
            lat_deg: 0.0,
            lon_deg: 0.0,
            hae_m: 0.0,
            ce_m: UNKNOWN_ERROR_M,
            le_m: UNKNOWN_ERROR_M,
        },
    );
    ev.detail = vec![
        Element::new("link")
            .attr("uid", target_uid)
            .attr("relation", "p-p"),
        Element::new("__forcedelete"),
    ];
    ev
}

fn link_to_track(profile: &CotProfile, id: TrackId, track_type: &str) -> Element {
    Element::new("link")
        .attr("uid", profile.track_uid(id))
        .attr("type", track_type)
        .attr("relation", "p-p")
}

/// The operator (pilot) position of a track as its own event (`…-operator`, ground type
/// with the drone's affiliation), linked to the track. `None` when no operator position is
/// known.
pub fn encode_operator(
    profile: &CotProfile,
    r: &TrackReport<'_>,
    now: Timestamp,
) -> Option<CotEvent> {
    let t = r.track;
    let pos = t.operator_position.as_ref()?;
    let track_type = track_cot_type(r.class, r.level, r.dark);
    let mut ev = event(
        format!("{}-operator", profile.track_uid(t.id)),
        format!("a-{}-G", affiliation(r.class, r.level, r.dark)),
        "m-g",
        now,
        stale_for(t.status, now, profile.track_stale()),
        point_of(pos, None, None),
    );
    ev.detail = vec![
        Element::new("contact").attr("callsign", format!("Pilot of T{}", t.id.0)),
        link_to_track(profile, t.id, &track_type),
        Element::new("remarks").text(format!(
            "Operator position broadcast by {} (T{})",
            track_label(r),
            t.id.0
        )),
    ];
    Some(ev)
}

/// ATAK spot-marker colours (ARGB as a signed 32-bit integer) by affiliation.
fn argb(aff: char) -> i32 {
    let c: u32 = match aff {
        'h' => 0xFFFF_0000,
        's' => 0xFFFF_8000,
        'n' => 0xFF00_FF00,
        _ => 0xFFFF_FF00,
    };
    c as i32
}

/// The take-off (launch) point of a track as its own event (`…-takeoff`, a `b-m-p-s-m`
/// spot marker coloured by affiliation), linked to the track. The caller supplies the
/// position (e.g. a Remote ID take-off location).
pub fn encode_takeoff(
    profile: &CotProfile,
    r: &TrackReport<'_>,
    takeoff: &GeoPoint,
    now: Timestamp,
) -> CotEvent {
    let t = r.track;
    let aff = affiliation(r.class, r.level, r.dark);
    let track_type = track_cot_type(r.class, r.level, r.dark);
    let mut ev = event(
        format!("{}-takeoff", profile.track_uid(t.id)),
        "b-m-p-s-m".to_owned(),
        "m-g",
        now,
        stale_for(t.status, now, profile.track_stale()),
        point_of(takeoff, None, None),
    );
    ev.detail = vec![
        Element::new("contact").attr("callsign", format!("Take-off of T{}", t.id.0)),
        link_to_track(profile, t.id, &track_type),
        Element::new("color").attr("argb", argb(aff).to_string()),
        Element::new("remarks").text(format!("Take-off point of {}", track_label(r))),
    ];
    ev
}

/// Picket's own presence on TAK (`a-f-G-E-S`, a friendly sensor) with `takv`, `contact`
/// and `__group`, so TAK servers list it as a contact that alerts and chat come from.
pub fn encode_presence(
    profile: &CotProfile,
    position: &GeoPoint,
    now: Timestamp,
    stale: Duration,
) -> CotEvent {
    let mut ev = event(
        profile.sender_uid.clone(),
        "a-f-G-E-S".to_owned(),
        "h-e",
        now,
        now.plus(stale),
        point_of(position, None, None),
    );
    ev.detail = vec![
        Element::new("takv")
            .attr("device", "Picket")
            .attr("platform", "Picket")
            .attr("os", std::env::consts::OS)
            .attr("version", env!("CARGO_PKG_VERSION")),
        Element::new("contact")
            .attr("callsign", profile.sender_callsign.clone())
            .attr("endpoint", "*:-1:stcp"),
        Element::new("__group")
            .attr("name", "Cyan")
            .attr("role", "HQ"),
    ];
    ev
}

/// Someone an alert is addressed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The TAK callsign (used for `<marti><dest callsign>` routing).
    pub callsign: String,
    /// The device uid, when known from its SA (needed for a direct GeoChat line).
    pub uid: Option<String>,
}

impl Recipient {
    /// A recipient known by callsign only.
    pub fn callsign(callsign: &str) -> Self {
        Recipient {
            callsign: callsign.to_owned(),
            uid: None,
        }
    }
    /// A recipient with its device uid.
    pub fn with_uid(callsign: &str, uid: &str) -> Self {
        Recipient {
            callsign: callsign.to_owned(),
            uid: Some(uid.to_owned()),
        }
    }
}

/// The CoT of one alert lifecycle event.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertCot {
    /// The marker: `b-a-g` while the alert is active (re-send it until cleared), the
    /// `b-a-o-can` cancel when it is cleared.
    pub marker: CotEvent,
    /// One direct GeoChat line per recipient whose uid is known (send once per lifecycle
    /// event, not on re-sends).
    pub chats: Vec<CotEvent>,
}

fn compass(bearing_deg: f64) -> &'static str {
    const P: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let i = ((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8;
    P[i]
}

fn upper_level(l: ThreatLevel) -> &'static str {
    match l {
        ThreatLevel::Info => "INFO",
        ThreatLevel::Caution => "CAUTION",
        ThreatLevel::Warning => "WARNING",
        ThreatLevel::Imminent => "IMMINENT",
    }
}

/// The one-line, officer-readable text of an alert event, e.g.
/// `WARNING Post Alpha: dark drone, 1.2 km SE, closing 18 m/s, ~60 s`.
pub fn alert_text(alert: &AlertEvent, unit_name: &str) -> String {
    let unit = printable(unit_name.trim());
    let text = match alert.state {
        AlertState::Cleared => format!(
            "CLEARED {unit}: {} T{} - {}",
            alert.target_class.as_str(),
            alert.track_id.0,
            alert.cleared_reason.as_deref().unwrap_or("over")
        ),
        _ => {
            let reasons = if alert.reasons.is_empty() {
                format!(
                    "{}{}, {:.1} km {}, closing {:.0} m/s, closest {:.0} m in ~{:.0} s",
                    if alert.dark { "dark " } else { "" },
                    alert.target_class.as_str(),
                    alert.range_m / 1000.0,
                    compass(alert.bearing_deg),
                    alert.closing_speed_mps,
                    alert.closest_approach_m,
                    alert.time_to_closest_approach_s
                )
            } else {
                alert.reasons.join("; ")
            };
            let mut s = format!("{} {unit}: {reasons}", upper_level(alert.level));
            if let (AlertState::Acknowledged, Some(who)) = (alert.state, &alert.acknowledged_by) {
                s.push_str(&format!(" (acknowledged by {who})"));
            }
            s
        }
    };
    printable(&text)
}

fn marti(recipients: &[Recipient]) -> Element {
    Element {
        name: "marti".to_owned(),
        children: recipients
            .iter()
            .map(|r| Element::new("dest").attr("callsign", r.callsign.clone()))
            .collect(),
        ..Default::default()
    }
}

/// The marker of an alert event for `recipients`: `b-a-g` while active, `b-a-o-can` once
/// cleared (same uid, so receivers cancel the marker they hold). `None` when there is no
/// recipient: a message without `<marti><dest>` would be broadcast to everyone.
pub fn encode_alert_marker(
    profile: &CotProfile,
    alert: &AlertEvent,
    unit_name: &str,
    recipients: &[Recipient],
    now: Timestamp,
) -> Option<CotEvent> {
    if recipients.is_empty() {
        return None;
    }
    let cleared = alert.state == AlertState::Cleared;
    let track_type = track_cot_type(alert.target_class, alert.level, alert.dark);
    let mut ev = event(
        profile.alert_uid(alert.alert_id),
        if cleared { "b-a-o-can" } else { "b-a-g" }.to_owned(),
        "m-f",
        now,
        now.plus(profile.alert_stale),
        point_of(&alert.position, None, None),
    );
    let emergency = if cleared {
        Element::new("emergency").attr("cancel", "true")
    } else {
        Element::new("emergency").attr("type", "Geo-fence Breached")
    }
    .text(profile.sender_callsign.clone());
    ev.detail = vec![
        Element::new("contact").attr(
            "callsign",
            printable(&format!(
                "{} T{} {}",
                if cleared {
                    "CLEARED"
                } else {
                    upper_level(alert.level)
                },
                alert.track_id.0,
                unit_name.trim()
            )),
        ),
        link_to_track(profile, alert.track_id, &track_type),
        emergency,
        Element::new("remarks").text(alert_text(alert, unit_name)),
        Element::new("__picket")
            .attr("alert", alert.alert_id.0.to_string())
            .attr("state", alert.state.as_str())
            .attr("level", alert.level.as_str())
            .attr("unit", alert.unit_id.0.clone())
            .attr("track", alert.track_id.0.to_string())
            .attr("raised_time", format_cot_time(alert.raised_time))
            .attr("data_time", format_cot_time(alert.time)),
        marti(recipients),
    ];
    Some(ev)
}

/// A direct GeoChat line (`b-t-f`) from Picket to one recipient carrying [`alert_text`].
/// `None` when the recipient's device uid is unknown (TAK servers route direct chat by uid).
pub fn encode_alert_chat(
    profile: &CotProfile,
    alert: &AlertEvent,
    unit_name: &str,
    recipient: &Recipient,
    now: Timestamp,
) -> Option<CotEvent> {
    let to_uid = recipient.uid.as_deref().filter(|u| !u.trim().is_empty())?;
    let message_id = profile.chat_message_id(alert, now);
    let sender = profile.sender_uid.as_str();
    let mut ev = event(
        format!("GeoChat.{sender}.{to_uid}.{message_id}"),
        "b-t-f".to_owned(),
        "h-g-i-g-o",
        now,
        now.plus(Duration::from_secs(3600)),
        point_of(&alert.position, None, None),
    );
    ev.detail = vec![
        Element::new("__chat")
            .attr("parent", "RootContactGroup")
            .attr("groupOwner", "false")
            .attr("messageId", message_id.clone())
            .attr("chatroom", recipient.callsign.clone())
            .attr("id", to_uid)
            .attr("senderCallsign", profile.sender_callsign.clone())
            .child(
                Element::new("chatgrp")
                    .attr("uid0", sender)
                    .attr("uid1", to_uid)
                    .attr("id", to_uid),
            ),
        Element::new("link")
            .attr("uid", sender)
            .attr("type", "a-f-G-E-S")
            .attr("relation", "p-p"),
        Element::new("remarks")
            .attr("source", format!("BAO.F.ATAK.{sender}"))
            .attr("to", to_uid)
            .attr("time", format_cot_time(now))
            .text(alert_text(alert, unit_name)),
        marti(std::slice::from_ref(recipient)),
    ];
    Some(ev)
}

/// Everything one alert lifecycle event sends: the marker (or cancel) to all recipients and
/// one chat line per recipient with a known uid. `None` without recipients.
pub fn encode_alert(
    profile: &CotProfile,
    alert: &AlertEvent,
    unit_name: &str,
    recipients: &[Recipient],
    now: Timestamp,
) -> Option<AlertCot> {
    let marker = encode_alert_marker(profile, alert, unit_name, recipients, now)?;
    let chats = recipients
        .iter()
        .filter_map(|r| encode_alert_chat(profile, alert, unit_name, r, now))
        .collect();
    Some(AlertCot { marker, chats })
}

/// A GeoChat line received from a TAK device (e.g. an officer answering an alert).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatLine {
    /// The sender's device uid (`<link uid>` / `chatgrp uid0`).
    pub sender_uid: String,
    /// `__chat senderCallsign`, when present.
    pub sender_callsign: Option<String>,
    /// The addressee's uid (`__chat id`): a device uid, or a room such as `All Chat Rooms`.
    pub to: Option<String>,
    /// The message text (`<remarks>`).
    pub text: String,
    /// When it was sent.
    pub time: Timestamp,
}

impl ChatLine {
    /// Reads a GeoChat line (`b-t-f`) from an event; `None` for anything else.
    pub fn from_event(event: &CotEvent) -> Option<Self> {
        if event.cot_type != "b-t-f" {
            return None;
        }
        let chat = event.detail_element("__chat");
        let nonempty = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let sender_uid = nonempty(event.detail_element("link").and_then(|l| l.get("uid")))
            .or_else(|| {
                nonempty(
                    chat.and_then(|c| c.find("chatgrp"))
                        .and_then(|g| g.get("uid0")),
                )
            })?;
        Some(ChatLine {
            sender_uid,
            sender_callsign: nonempty(chat.and_then(|c| c.get("senderCallsign"))),
            to: nonempty(chat.and_then(|c| c.get("id"))),
            text: event
                .detail_element("remarks")
                .map(|r| r.text.trim().to_owned())
                .unwrap_or_default(),
            time: event.time,
        })
    }
    /// True when the line is addressed to Picket directly (a reply in Picket's chat).
    pub fn is_to(&self, profile: &CotProfile) -> bool {
        self.to.as_deref() == Some(profile.sender_uid())
    }
}

/// What an officer's chat line acknowledges (see [`parse_ack`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckRequest {
    /// Every active alert of the officer's unit.
    All,
    /// One alert (`ack A12`).
    Alert(AlertId),
}

/// Reads an acknowledgement from a GeoChat line's text: `ack`, `ACK`, `acked`,
/// `acknowledged`, `roger` or `wilco` alone (any case, trailing `.`/`!` ignored) for the
/// unit's alerts, or followed by one alert id (`ack A12`, `ack 12`) for that alert.
/// Anything else (longer sentences included) is not an acknowledgement: a person must have
/// meant it.
pub fn parse_ack(text: &str) -> Option<AckRequest> {
    if text.len() > 64 {
        return None;
    }
    let lower = text.trim().to_ascii_lowercase();
    let mut words = lower
        .split_whitespace()
        .map(|w| w.trim_end_matches(['.', '!']));
    let first = words.next()?;
    if !matches!(
        first,
        "ack" | "acked" | "acknowledge" | "acknowledged" | "roger" | "wilco"
    ) {
        return None;
    }
    let req = match words.next() {
        None => AckRequest::All,
        Some(w) => {
            let id = w.strip_prefix('a').unwrap_or(w);
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            AckRequest::Alert(AlertId(id.parse().ok()?))
        }
    };
    words.next().is_none().then_some(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 16] = *b"0123456789abcdef";

    fn tagged(site: &str, secret: [u8; 16]) -> CotProfile {
        CotProfile::new(site, Duration::from_secs(1))
            .unwrap()
            .with_alert_secret(secret)
    }

    #[test]
    fn the_tag_is_the_first_12_hex_of_sha256_of_secret_and_big_endian_id() {
        // Expected values from Python: hashlib.sha256(secret + struct.pack('>Q', id)).
        let p = tagged("naco", SECRET);
        assert_eq!(p.alert_uid(AlertId(12)), "picket-naco-A12-f8a817dfc7b5");
        assert_eq!(
            tagged("naco", [0; 16]).alert_uid(AlertId(1)),
            "picket-naco-A1-ed8b7b2c2c6b"
        );
        // No secret: untagged, and nothing verifies.
        let plain = CotProfile::new("naco", Duration::from_secs(1)).unwrap();
        assert!(!plain.has_alert_secret() && p.has_alert_secret());
        assert_eq!(plain.alert_uid(AlertId(12)), "picket-naco-A12");
        assert_eq!(plain.alert_of_uid("picket-naco-A12"), None);
        assert_eq!(plain.alert_of_uid(&p.alert_uid(AlertId(12))), None);
    }

    #[test]
    fn only_the_exact_uid_issued_with_this_secret_names_its_alert() {
        let p = tagged("naco-live", SECRET);
        for id in [0, 1, 12, 4_000_000_000, u64::MAX] {
            let uid = p.alert_uid(AlertId(id));
            assert_eq!(p.alert_of_uid(&uid), Some(AlertId(id)), "{uid}");
            assert!(p.looks_like_alert_uid(&uid));
            let tag = uid.rsplit_once('-').unwrap().1;
            assert_eq!(tag.len(), ALERT_TAG_HEX);
            assert!(tag
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            // Every single-character change of the tag is refused.
            for i in 0..tag.len() {
                for c in "0123456789abcdefA".chars() {
                    let mut t: Vec<char> = tag.chars().collect();
                    if t[i] == c {
                        continue;
                    }
                    t[i] = c;
                    let forged = format!(
                        "picket-naco-live-A{id}-{}",
                        t.into_iter().collect::<String>()
                    );
                    assert_eq!(p.alert_of_uid(&forged), None, "{forged}");
                }
            }
        }
        let uid = p.alert_uid(AlertId(12));
        let tag = uid.rsplit_once('-').unwrap().1;
        for bad in [
            "picket-naco-live-A12".to_owned(),
            format!("picket-naco-live-A12-{}", &tag[..ALERT_TAG_HEX - 1]),
            format!("{uid}0"),
            format!("{uid}-"),
            format!(" {uid}"),
            format!("picket-naco-live-A012-{tag}"),
            format!("picket-naco-live-A13-{tag}"),
            format!("picket-naco-live-A+12-{tag}"),
            format!("picket-naco-live-A12-{}", tag.to_uppercase()),
            format!("picket-naco-A12-{tag}"),
            format!("picket-naco-live-T12-{tag}"),
            // Same id, another run's secret.
            tagged("naco-live", *b"fedcba9876543210").alert_uid(AlertId(12)),
            // Same id and secret, another site.
            tagged("nogales", SECRET).alert_uid(AlertId(12)),
            String::new(),
        ] {
            assert_eq!(p.alert_of_uid(&bad), None, "{bad:?}");
        }
        assert!(p.looks_like_alert_uid("picket-naco-live-A12"));
        assert!(!p.looks_like_alert_uid("picket-naco-live-T12"));
        assert!(!p.looks_like_alert_uid("picket-naco-A12"));
        // The secret never shows in debug output.
        let dbg = format!("{p:?}");
        assert!(
            dbg.contains("AlertSecret(..)") && !dbg.contains("48, 49, 50"),
            "{dbg}"
        );
    }

    #[test]
    fn chat_message_ids_carry_the_same_tagged_uid() {
        let p = tagged("naco", SECRET);
        let alert = AlertEvent {
            alert_id: AlertId(12),
            unit_id: "post-alpha".into(),
            track_id: TrackId(7),
            state: AlertState::Raised,
            level: ThreatLevel::Warning,
            time: Timestamp::from_micros(1_000_000),
            raised_time: Timestamp::from_micros(1_000_000),
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
        };
        let now = Timestamp::from_micros(1_760_000_000_123_456);
        let id = p.chat_message_id(&alert, now);
        assert_eq!(
            id,
            format!("{}-raised-1760000000123", p.alert_uid(AlertId(12)))
        );
        assert_eq!(p.alert_of_chat_message_id(&id), Some(AlertId(12)));
        let tag = p.alert_uid(AlertId(12));
        let tag = tag.rsplit_once('-').unwrap().1;
        for bad in [
            "picket-naco-A12-raised-1760000000123".to_owned(),
            id.replace(tag, "000000000000"),
            id.replace("-A12-", "-A13-"),
        ] {
            assert_eq!(p.alert_of_chat_message_id(&bad), None, "{bad}");
        }
        let plain = CotProfile::new("naco", Duration::from_secs(1)).unwrap();
        assert_eq!(plain.alert_of_chat_message_id(&id), None);
    }
}
