//! Manned-aircraft awareness: what ADS-B tells assessment beyond "this is a manned aircraft".
//!
//! - **Lists**: aircraft of the own agency and other allowed aircraft, by ICAO address, are
//!   labelled as such (and never alerted, even when they fly like drones).
//! - **Moves with an aircraft**: a dark drone-class or unidentified track that stays close to
//!   an ADS-B aircraft in 3-D position *and* velocity is most likely that aircraft seen by
//!   another sensor (a radar painting the agency's helicopter): it is suppressed, with the
//!   aircraft named in the reason. Gates: horizontally within [`MOVES_WITH_HORIZONTAL_M`]
//!   (within [`MOVES_WITH_HOVER_HORIZONTAL_M`] when the aircraft moves slower than
//!   [`MOVES_WITH_MIN_SPEED_MPS`]: two things hovering near each other prove little),
//!   vertically within [`MOVES_WITH_VERTICAL_M`], horizontal velocities within
//!   [`MOVES_WITH_VELOCITY_MPS`] — on [`MOVES_WITH_UPDATES`] consecutive updates of the track
//!   spanning at least [`MOVES_WITH_SPAN_S`]. Until then it is held at info ("confirming"); a
//!   single update outside the gates ends the suppression at once.
//! - **Flies like a drone**: an ADS-B target whose emitter category says small (B6 UAV, or
//!   B4 ultralight / paraglider: class hint drone or unknown), slower than
//!   [`DRONE_LIKE_MAX_SPEED_MPS`] and lower than [`DRONE_LIKE_MAX_HEIGHT_M`] above the site
//!   origin (the site has no terrain model) is flagged. It is never suppressed: its threat is
//!   assessed like a drone's, capped at caution (it broadcasts who it is), or info when it is
//!   on a list. Tracks moving with such a target are not suppressed either. An aircraft that
//!   sends no category (and every SBS-1 feed, which cannot carry one) is not flagged: most
//!   are helicopters and light aircraft, and alerting on them is what must not happen.
//!
//! Pure: positions and velocities come in already extrapolated to the assessment time.

use crate::words;
use picket_core::{Enu, TargetClass, Timestamp, TrackId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Horizontal distance gate for "moves with an aircraft", metres (radar azimuth error at a few
/// kilometres plus ADS-B NACp 8 position error).
pub const MOVES_WITH_HORIZONTAL_M: f64 = 250.0;
/// The horizontal gate when the aircraft is (nearly) hovering, metres.
pub const MOVES_WITH_HOVER_HORIZONTAL_M: f64 = 75.0;
/// Below this ground speed (m/s) the aircraft counts as hovering.
pub const MOVES_WITH_MIN_SPEED_MPS: f64 = 5.0;
/// Vertical distance gate, metres (pressure altitude without a GNSS correction is good to
/// ~150 m; radar elevation to ~1°).
pub const MOVES_WITH_VERTICAL_M: f64 = 200.0;
/// Horizontal velocity difference gate, m/s.
pub const MOVES_WITH_VELOCITY_MPS: f64 = 10.0;
/// Consecutive updates of the track inside the gates before it is suppressed.
pub const MOVES_WITH_UPDATES: u32 = 3;
/// ... spanning at least this many seconds.
pub const MOVES_WITH_SPAN_S: f64 = 2.0;
/// An ADS-B target slower than this (m/s) ...
pub const DRONE_LIKE_MAX_SPEED_MPS: f64 = 40.0;
/// ... and lower than this above the site origin (m) flies like a drone.
pub const DRONE_LIKE_MAX_HEIGHT_M: f64 = 150.0;

/// Aircraft the site knows by ICAO address (config `[aircraft]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AircraftLists {
    /// The agency's own aircraft (helicopters, planes).
    pub own_agency: Vec<u32>,
    /// Other aircraft allowed to fly here (medevac, partner agencies).
    pub allowed: Vec<u32>,
}

impl AircraftLists {
    /// How the lists name `icao`, if they do.
    pub fn label(&self, icao: u32) -> Option<&'static str> {
        let icao = icao & 0x00FF_FFFF;
        if self.own_agency.iter().any(|a| a & 0x00FF_FFFF == icao) {
            Some("own agency")
        } else if self.allowed.iter().any(|a| a & 0x00FF_FFFF == icao) {
            Some("allowed")
        } else {
            None
        }
    }
}

/// One remembered track as awareness sees it at the assessment time.
pub(crate) struct Seen<'a> {
    pub id: TrackId,
    /// Time of its last update (counts updates, not assessments).
    pub updated: Timestamp,
    /// Confirmed tracks only have a velocity worth comparing.
    pub confirmed: bool,
    pub icao: Option<u32>,
    pub callsign: Option<&'a str>,
    /// Assessment's class.
    pub class: TargetClass,
    /// Dark: no Remote ID or ADS-B identity.
    pub dark: bool,
    /// The sensors' accumulated class hint (for ADS-B: from the emitter category).
    pub hint: Option<TargetClass>,
    pub position: Enu,
    pub velocity_enu_mps: [f64; 3],
}

/// What awareness concluded about one track.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Facts {
    /// An ADS-B aircraft on a list: "own agency" or "allowed".
    pub listed: Option<&'static str>,
    /// An ADS-B target flying like a drone: the reason.
    pub drone_like: Option<String>,
    /// Moving with an ADS-B aircraft: the reason, and what that does to the track's alerting.
    pub moves_with: Option<(String, Hold)>,
}

/// What moving with an ADS-B target does to a track's alerting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    /// Suppressed (or held at info while confirming): the aircraft is on a list, or flies as
    /// only a manned aircraft does (fast or high).
    Info,
    /// At most caution: the target is unlisted and flies low and slow. An ADS-B transmitter
    /// costs little; a hostile drone carrying one must not silence its own radar track.
    Caution,
    /// Nothing: the target itself flies like a drone and is assessed as one.
    Nothing,
}

impl Facts {
    /// The reasons to state, in order.
    pub fn reasons(&self) -> Vec<String> {
        let mut r = Vec::new();
        if let Some(l) = self.listed {
            r.push(format!("{l} aircraft (config [aircraft])"));
        }
        r.extend(self.drone_like.clone());
        r.extend(self.moves_with.as_ref().map(|m| m.0.clone()));
        r
    }
}

#[derive(Clone, Copy, Debug)]
struct Streak {
    partner: TrackId,
    since: Timestamp,
    last_update: Timestamp,
    updates: u32,
}

/// Awareness state across assessments: streaks of "moves with" per track, and the latest
/// facts per track.
#[derive(Clone, Debug, Default)]
pub(crate) struct Awareness {
    lists: AircraftLists,
    streaks: BTreeMap<TrackId, Streak>,
    facts: BTreeMap<TrackId, Facts>,
}

/// "A1B2C3 (own agency, CBP21)".
fn aircraft_words(icao: u32, listed: Option<&str>, callsign: Option<&str>) -> String {
    let mut extra: Vec<String> = Vec::new();
    extra.extend(listed.map(str::to_owned));
    extra.extend(
        callsign
            .filter(|c| !c.trim().is_empty())
            .map(words::sanitize),
    );
    let hex = format!("{:06X}", icao & 0x00FF_FFFF);
    if extra.is_empty() {
        hex
    } else {
        format!("{hex} ({})", extra.join(", "))
    }
}

impl Awareness {
    pub(crate) fn new(lists: AircraftLists) -> Self {
        Awareness {
            lists,
            ..Default::default()
        }
    }

    /// The latest facts about a track (from the last [`Awareness::update`]).
    pub(crate) fn facts(&self, id: TrackId) -> Option<&Facts> {
        self.facts.get(&id)
    }

    /// Recompute every track's facts from `seen` (all remembered tracks, extrapolated to the
    /// same time).
    pub(crate) fn update(&mut self, seen: &[Seen<'_>]) {
        self.facts.clear();
        // ADS-B targets first: lists and drone-like flags.
        for s in seen {
            let Some(icao) = s.icao else { continue };
            let listed = self.lists.label(icao);
            let speed = s.velocity_enu_mps[0].hypot(s.velocity_enu_mps[1]);
            let small = matches!(s.hint, Some(TargetClass::Drone | TargetClass::Unknown));
            let drone_like = (s.confirmed
                && small
                && speed < DRONE_LIKE_MAX_SPEED_MPS
                && s.position.up_m < DRONE_LIKE_MAX_HEIGHT_M)
                .then(|| {
                    let category = match s.hint {
                        Some(TargetClass::Drone) => "UAV category",
                        _ => "ultralight or unknown category",
                    };
                    format!(
                        "ADS-B target flies like a drone: {} at {} above the site, {category}",
                        words::speed(speed),
                        words::distance(s.position.up_m)
                    )
                });
            if listed.is_some() || drone_like.is_some() {
                self.facts.insert(
                    s.id,
                    Facts {
                        listed,
                        drone_like,
                        moves_with: None,
                    },
                );
            }
        }
        // Dark drone-class and unidentified tracks: do they move with an ADS-B aircraft?
        let aircraft: Vec<&Seen<'_>> = seen
            .iter()
            .filter(|s| s.icao.is_some() && s.confirmed)
            .collect();
        let mut streaks = BTreeMap::new();
        for s in seen {
            let candidate = s.dark
                && s.icao.is_none()
                && s.confirmed
                && matches!(s.class, TargetClass::Drone | TargetClass::Unknown);
            if !candidate {
                continue;
            }
            let best = aircraft
                .iter()
                .filter_map(|a| gate(s, a).map(|score| (score, *a)))
                .min_by(|x, y| x.0.total_cmp(&y.0));
            let Some((_, a)) = best else { continue };
            let icao = a.icao.unwrap_or_default();
            let who = aircraft_words(icao, self.lists.label(icao), a.callsign);
            if self
                .facts
                .get(&a.id)
                .is_some_and(|f| f.drone_like.is_some())
            {
                self.facts.entry(s.id).or_default().moves_with = Some((
                    format!(
                        "moves with ADS-B target {who}, which itself flies like a drone: not \
                         suppressed"
                    ),
                    Hold::Nothing,
                ));
                continue;
            }
            let manned_like = a.velocity_enu_mps[0].hypot(a.velocity_enu_mps[1])
                > DRONE_LIKE_MAX_SPEED_MPS
                || a.position.up_m > DRONE_LIKE_MAX_HEIGHT_M;
            if self.lists.label(icao).is_none() && !manned_like {
                streaks.remove(&s.id);
                self.facts.entry(s.id).or_default().moves_with = Some((
                    format!(
                        "moves with unlisted ADS-B target {who}, which flies low and slow: at \
                         most caution"
                    ),
                    Hold::Caution,
                ));
                continue;
            }
            let streak = match self.streaks.get(&s.id) {
                Some(k) if k.partner == a.id => {
                    let mut k = *k;
                    if s.updated > k.last_update {
                        k.updates += 1;
                        k.last_update = s.updated;
                    }
                    k
                }
                _ => Streak {
                    partner: a.id,
                    since: s.updated,
                    last_update: s.updated,
                    updates: 1,
                },
            };
            streaks.insert(s.id, streak);
            let confirmed = streak.updates >= MOVES_WITH_UPDATES
                && streak.last_update.seconds_since(streak.since) >= MOVES_WITH_SPAN_S;
            let reason = if confirmed {
                format!("moves with ADS-B aircraft {who}, suppressed")
            } else {
                format!("moves with ADS-B aircraft {who}; confirming, not alerted meanwhile")
            };
            self.facts.entry(s.id).or_default().moves_with = Some((reason, Hold::Info));
        }
        // Tracks that left the gates (or are gone) start afresh next time.
        self.streaks = streaks;
    }
}

/// How well `s` matches aircraft `a` (lower is better), or `None` outside the gates.
fn gate(s: &Seen<'_>, a: &Seen<'_>) -> Option<f64> {
    let dh = s.position.horizontal_distance_m(&a.position);
    let dv = (s.position.up_m - a.position.up_m).abs();
    let dvel = (s.velocity_enu_mps[0] - a.velocity_enu_mps[0])
        .hypot(s.velocity_enu_mps[1] - a.velocity_enu_mps[1]);
    let a_speed = a.velocity_enu_mps[0].hypot(a.velocity_enu_mps[1]);
    let max_h = if a_speed < MOVES_WITH_MIN_SPEED_MPS {
        MOVES_WITH_HOVER_HORIZONTAL_M
    } else {
        MOVES_WITH_HORIZONTAL_M
    };
    (dh <= max_h && dv <= MOVES_WITH_VERTICAL_M && dvel <= MOVES_WITH_VELOCITY_MPS)
        .then(|| dh / max_h + dv / MOVES_WITH_VERTICAL_M + dvel / MOVES_WITH_VELOCITY_MPS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(id: u64, t: f64, icao: Option<u32>, pos: [f64; 3], vel: [f64; 3]) -> Seen<'static> {
        Seen {
            id: TrackId(id),
            updated: Timestamp::from_micros((t * 1e6) as i64),
            confirmed: true,
            icao,
            callsign: icao.map(|_| "CBP21"),
            class: if icao.is_some() {
                TargetClass::MannedAircraft
            } else {
                TargetClass::Unknown
            },
            dark: icao.is_none(),
            hint: icao.map(|_| TargetClass::MannedAircraft),
            position: Enu::new(pos[0], pos[1], pos[2]),
            velocity_enu_mps: vel,
        }
    }

    fn lists() -> AircraftLists {
        AircraftLists {
            own_agency: vec![0xA1B2C3],
            allowed: vec![0x00AB12],
        }
    }

    /// Helicopter at 30 m/s east, 300 m up; a radar track 60 m off moving alike.
    fn pair(t: f64, off_m: f64, radar_vel: [f64; 3]) -> Vec<Seen<'static>> {
        let x = 30.0 * t;
        vec![
            seen(1, t, Some(0xA1B2C3), [x, 0.0, 300.0], [30.0, 0.0, 0.0]),
            seen(2, t, None, [x + off_m, 40.0, 260.0], radar_vel),
        ]
    }

    #[test]
    fn a_track_moving_with_an_aircraft_is_suppressed_after_several_updates() {
        let mut a = Awareness::new(lists());
        a.update(&pair(0.0, 40.0, [29.0, 1.0, 0.0]));
        let f = a.facts(TrackId(2)).unwrap().moves_with.clone().unwrap();
        assert!(f.0.contains("confirming"), "{}", f.0);
        // The same update assessed again does not count twice.
        a.update(&pair(0.0, 40.0, [29.0, 1.0, 0.0]));
        a.update(&pair(1.0, 40.0, [29.0, 1.0, 0.0]));
        assert!(a
            .facts(TrackId(2))
            .unwrap()
            .moves_with
            .as_ref()
            .unwrap()
            .0
            .contains("confirming"));
        a.update(&pair(2.0, 40.0, [29.0, 1.0, 0.0]));
        let f = a.facts(TrackId(2)).unwrap();
        assert_eq!(
            f.moves_with.as_ref().unwrap().0,
            "moves with ADS-B aircraft A1B2C3 (own agency, CBP21), suppressed"
        );
        assert_eq!(a.facts(TrackId(1)).unwrap().listed, Some("own agency"));
        // One update outside the gates ends it at once.
        a.update(&pair(3.0, 400.0, [29.0, 1.0, 0.0]));
        assert!(a.facts(TrackId(2)).is_none());
        a.update(&pair(4.0, 40.0, [29.0, 1.0, 0.0]));
        assert!(a
            .facts(TrackId(2))
            .unwrap()
            .moves_with
            .as_ref()
            .unwrap()
            .0
            .contains("confirming"));
    }

    #[test]
    fn a_different_velocity_or_height_is_not_moving_with() {
        let mut a = Awareness::new(lists());
        for t in 0..5 {
            a.update(&pair(f64::from(t), 40.0, [10.0, 0.0, 0.0]));
        }
        assert!(a.facts(TrackId(2)).is_none());
        let mut high = pair(0.0, 40.0, [30.0, 0.0, 0.0]);
        high[1].position.up_m = 600.0;
        a.update(&high);
        assert!(a.facts(TrackId(2)).is_none());
    }

    #[test]
    fn an_unlisted_low_slow_adsb_target_cannot_silence_a_radar_track() {
        // A hostile drone with a cheap ADS-B Out (category "manned" or none), hovering low:
        // the radar track moving with it is held at caution, never suppressed.
        let mut a = Awareness::new(lists());
        for t in 0..5 {
            let t = f64::from(t);
            let x = 10.0 * t;
            a.update(&[
                seen(1, t, Some(0x3C0009), [x, 0.0, 80.0], [10.0, 0.0, 0.0]),
                seen(2, t, None, [x + 20.0, 10.0, 80.0], [10.0, 0.0, 0.0]),
            ]);
            let f = a.facts(TrackId(2)).unwrap().moves_with.clone().unwrap();
            assert_eq!(f.1, Hold::Caution, "{f:?}");
            assert!(
                f.0.starts_with("moves with unlisted ADS-B target 3C0009"),
                "{}",
                f.0
            );
        }
        // The same low, slow flight with a listed aircraft is suppressed.
        let mut a = Awareness::new(lists());
        for t in 0..5 {
            let t = f64::from(t);
            let x = 10.0 * t;
            a.update(&[
                seen(1, t, Some(0xA1B2C3), [x, 0.0, 80.0], [10.0, 0.0, 0.0]),
                seen(2, t, None, [x + 20.0, 10.0, 80.0], [10.0, 0.0, 0.0]),
            ]);
        }
        let f = a.facts(TrackId(2)).unwrap().moves_with.clone().unwrap();
        assert_eq!(f.1, Hold::Info);
        assert!(f.0.ends_with("suppressed"), "{}", f.0);
    }

    #[test]
    fn near_a_hovering_aircraft_the_gate_is_tight() {
        let mut a = Awareness::new(AircraftLists::default());
        let heli = seen(1, 0.0, Some(0xA1B2C3), [0.0, 0.0, 100.0], [0.0, 0.0, 0.0]);
        let drone = seen(2, 0.0, None, [150.0, 0.0, 100.0], [0.0, 0.0, 0.0]);
        a.update(&[heli, drone]);
        assert!(a.facts(TrackId(2)).is_none());
    }

    #[test]
    fn a_small_slow_low_adsb_target_is_flagged_and_its_companions_are_not_suppressed() {
        let mut a = Awareness::new(AircraftLists::default());
        let mut uav = seen(1, 0.0, Some(0x3C0001), [0.0, 0.0, 90.0], [15.0, 0.0, 0.0]);
        uav.hint = Some(TargetClass::Drone);
        let radar = seen(2, 0.0, None, [20.0, 0.0, 90.0], [15.0, 0.0, 0.0]);
        a.update(&[uav, radar]);
        let f = a.facts(TrackId(1)).unwrap();
        assert_eq!(
            f.drone_like.as_deref(),
            Some("ADS-B target flies like a drone: 15 m/s at 90 m above the site, UAV category")
        );
        let r = a.facts(TrackId(2)).unwrap().moves_with.clone().unwrap();
        assert!(
            r.1 == Hold::Nothing && r.0.contains("not suppressed"),
            "{r:?}"
        );
        // A light aircraft (category says manned) or one without a category at the same speed
        // and height is not flagged; an ultralight is.
        let mut cessna = seen(3, 0.0, Some(0x3C0002), [0.0, 0.0, 90.0], [15.0, 0.0, 0.0]);
        cessna.hint = Some(TargetClass::MannedAircraft);
        let mut silent = seen(4, 0.0, Some(0x3C0003), [0.0, 0.0, 90.0], [15.0, 0.0, 0.0]);
        silent.hint = None;
        let mut ultralight = seen(5, 0.0, Some(0x3C0004), [0.0, 0.0, 90.0], [15.0, 0.0, 0.0]);
        ultralight.hint = Some(TargetClass::Unknown);
        a.update(&[cessna, silent, ultralight]);
        assert!(a.facts(TrackId(3)).is_none());
        assert!(a.facts(TrackId(4)).is_none());
        assert!(a.facts(TrackId(5)).unwrap().drone_like.is_some());
        // Fast or high, a UAV-category target is not drone-like either.
        let mut fast = seen(6, 0.0, Some(0x3C0005), [0.0, 0.0, 90.0], [45.0, 0.0, 0.0]);
        fast.hint = Some(TargetClass::Drone);
        let mut high = seen(7, 0.0, Some(0x3C0006), [0.0, 0.0, 400.0], [15.0, 0.0, 0.0]);
        high.hint = Some(TargetClass::Drone);
        a.update(&[fast, high]);
        assert!(a.facts(TrackId(6)).is_none() && a.facts(TrackId(7)).is_none());
    }
}
