//! Classification v1: what a track is (drone, bird, manned aircraft, unknown) and whether it
//! is dark, each with the evidence that decided it.

use crate::words;
use picket_core::{ClassHint, Identity, TargetClass, Timestamp};
use serde::{Deserialize, Serialize};

/// Faster than this over ground, sustained, is a manned aircraft (small drones fly 10–40 m/s).
pub(crate) const MANNED_SPEED_MPS: f64 = 45.0;
/// How long the speed must stay above [`MANNED_SPEED_MPS`] to count as sustained.
pub(crate) const SUSTAINED_S: f64 = 8.0;
/// Mean sensor confidence needed to believe a bird or manned-aircraft hint.
const MIN_HINT_CONFIDENCE: f64 = 0.5;

/// What a track is believed to be, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// The class.
    pub class: TargetClass,
    /// True when the target carries no cooperative identity (Remote ID or ADS-B).
    pub dark: bool,
    /// The evidence, in an officer's words, most decisive first.
    pub reasons: Vec<String>,
}

/// Sensor class hints accumulated over a track's life.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClassEvidence {
    /// Per known class (drone, bird, manned aircraft): number of hints and sum of confidences.
    tally: [(u32, f64); 3],
    /// Hints that said "unknown"; they neither support nor contradict a class.
    unknown: u32,
}

fn slot(class: TargetClass) -> Option<usize> {
    match class {
        TargetClass::Drone => Some(0),
        TargetClass::Bird => Some(1),
        TargetClass::MannedAircraft => Some(2),
        TargetClass::Unknown => None,
    }
}

const SLOT_CLASS: [TargetClass; 3] = [
    TargetClass::Drone,
    TargetClass::Bird,
    TargetClass::MannedAircraft,
];

impl ClassEvidence {
    pub(crate) fn add(&mut self, hint: &ClassHint) {
        let c = f64::from(hint.confidence);
        if !c.is_finite() {
            return;
        }
        let c = c.clamp(0.0, 1.0);
        match slot(hint.class) {
            Some(i) => {
                self.tally[i].0 = self.tally[i].0.saturating_add(1);
                self.tally[i].1 += c;
            }
            None => self.unknown = self.unknown.saturating_add(1),
        }
    }

    /// The class with the most summed confidence (ties go to the earlier of drone, bird,
    /// manned aircraft), its mean confidence and the number of hints behind it.
    fn dominant(&self) -> Option<(TargetClass, f64, u32)> {
        let mut best: Option<usize> = None;
        for i in 0..3 {
            if self.tally[i].0 == 0 {
                continue;
            }
            match best {
                Some(b) if self.tally[b].1 >= self.tally[i].1 => {}
                _ => best = Some(i),
            }
        }
        best.map(|i| {
            let (n, sum) = self.tally[i];
            (SLOT_CLASS[i], sum / f64::from(n), n)
        })
    }
}

/// What classification looks at for one track.
pub(crate) struct ClassInputs<'a> {
    pub identity: Option<&'a Identity>,
    /// Sensor-local labels the track also carries (SAPIENT object ids).
    pub other_identities: &'a [Identity],
    pub evidence: &'a ClassEvidence,
    /// Set once the track has flown faster than [`MANNED_SPEED_MPS`] for [`SUSTAINED_S`].
    pub sustained_fast_mps: Option<f64>,
    pub callsign: Option<&'a str>,
}

fn hint_words(class: TargetClass, mean: f64, n: u32) -> String {
    let reports = if n == 1 { "report" } else { "reports" };
    format!(
        "sensor classification: {}, {:.0} % confidence ({n} {reports})",
        class.as_str(),
        mean * 100.0
    )
}

/// Classification v1. Order matters: cooperative identity and physics beat sensor hints.
pub(crate) fn classify(inp: &ClassInputs<'_>) -> Classification {
    let mut reasons = Vec::new();
    let dominant = inp.evidence.dominant();
    let class = if let Some(Identity::Icao(addr)) = inp.identity {
        reasons.push(format!("ADS-B ICAO {:06X}", addr & 0x00FF_FFFF));
        if let Some(cs) = inp.callsign {
            reasons.push(format!("callsign {}", words::sanitize(cs)));
        }
        TargetClass::MannedAircraft
    } else if let Some((TargetClass::MannedAircraft, mean, n)) =
        dominant.filter(|d| d.1 >= MIN_HINT_CONFIDENCE)
    {
        reasons.push(hint_words(TargetClass::MannedAircraft, mean, n));
        TargetClass::MannedAircraft
    } else if let Some(v) = inp.sustained_fast_mps {
        reasons.push(format!(
            "sustained {} ground speed, too fast for a small drone",
            words::speed(v)
        ));
        TargetClass::MannedAircraft
    } else if let Some(Identity::RemoteId(serial)) = inp.identity {
        reasons.push(format!("Remote ID {}", words::sanitize(serial)));
        TargetClass::Drone
    } else if let Some((TargetClass::Bird, mean, n)) =
        dominant.filter(|d| d.1 >= MIN_HINT_CONFIDENCE)
    {
        reasons.push(hint_words(TargetClass::Bird, mean, n));
        TargetClass::Bird
    } else if let Some((TargetClass::Drone, mean, n)) = dominant {
        reasons.push(hint_words(TargetClass::Drone, mean, n));
        TargetClass::Drone
    } else {
        match dominant {
            Some((c, mean, n)) => reasons.push(format!(
                "{} (too uncertain to decide)",
                hint_words(c, mean, n)
            )),
            None => reasons.push("no identity and no sensor classification".to_owned()),
        }
        TargetClass::Unknown
    };
    let dark = !matches!(
        inp.identity,
        Some(Identity::RemoteId(_)) | Some(Identity::Icao(_))
    );
    if dark {
        reasons.push("no Remote ID or ADS-B identity (dark)".to_owned());
        for label in inp.identity.into_iter().chain(inp.other_identities) {
            if let Identity::SapientObject { node, object } = label {
                reasons.push(format!(
                    "SAPIENT object {}/{}",
                    words::sanitize(node),
                    words::sanitize(object)
                ));
            }
        }
    }
    Classification {
        class,
        dark,
        reasons,
    }
}

/// Tracks how long a track has been flying faster than a small drone can.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpeedEvidence {
    fast_since: Option<Timestamp>,
    /// Sticky: a helicopter that slows to hover is still a helicopter.
    pub sustained_fast_mps: Option<f64>,
}

impl SpeedEvidence {
    pub(crate) fn add(&mut self, time: Timestamp, ground_speed_mps: f64) {
        if !ground_speed_mps.is_finite() {
            return;
        }
        if ground_speed_mps > MANNED_SPEED_MPS {
            let since = *self.fast_since.get_or_insert(time);
            if time.seconds_since(since) >= SUSTAINED_S && self.sustained_fast_mps.is_none() {
                self.sustained_fast_mps = Some(ground_speed_mps);
            }
        } else {
            self.fast_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(class: TargetClass, confidence: f32) -> ClassHint {
        ClassHint { class, confidence }
    }

    fn run(identity: Option<Identity>, hints: &[ClassHint], fast: Option<f64>) -> Classification {
        let mut evidence = ClassEvidence::default();
        for h in hints {
            evidence.add(h);
        }
        classify(&ClassInputs {
            identity: identity.as_ref(),
            other_identities: &[],
            evidence: &evidence,
            sustained_fast_mps: fast,
            callsign: None,
        })
    }

    #[test]
    fn icao_identity_is_a_manned_aircraft_with_its_address() {
        let c = run(Some(Identity::Icao(0xA1B2C3)), &[], None);
        assert_eq!(c.class, TargetClass::MannedAircraft);
        assert!(!c.dark);
        assert_eq!(c.reasons[0], "ADS-B ICAO A1B2C3");
    }

    #[test]
    fn a_dark_track_names_its_sapient_labels() {
        let evidence = ClassEvidence::default();
        let labels = [Identity::SapientObject {
            node: "radar-1".into(),
            object: "obj-7".into(),
        }];
        let c = classify(&ClassInputs {
            identity: None,
            other_identities: &labels,
            evidence: &evidence,
            sustained_fast_mps: None,
            callsign: None,
        });
        assert!(c.dark);
        assert!(
            c.reasons
                .iter()
                .any(|r| r == "SAPIENT object radar-1/obj-7"),
            "{:?}",
            c.reasons
        );
    }

    #[test]
    fn remote_id_is_a_cooperative_drone() {
        let c = run(
            Some(Identity::RemoteId("1581F5FKD229400".into())),
            &[],
            None,
        );
        assert_eq!(c.class, TargetClass::Drone);
        assert!(!c.dark);
        assert_eq!(c.reasons[0], "Remote ID 1581F5FKD229400");
    }

    #[test]
    fn confident_manned_hint_beats_remote_id() {
        let c = run(
            Some(Identity::RemoteId("X".into())),
            &[hint(TargetClass::MannedAircraft, 0.8)],
            None,
        );
        assert_eq!(c.class, TargetClass::MannedAircraft);
    }

    #[test]
    fn sustained_high_speed_is_a_manned_aircraft() {
        let c = run(None, &[], Some(52.0));
        assert_eq!(c.class, TargetClass::MannedAircraft);
        assert!(c.dark);
        assert!(c.reasons[0].contains("52 m/s"), "{:?}", c.reasons);
    }

    #[test]
    fn mostly_bird_hints_with_some_unknown_make_a_bird() {
        let hints = [
            hint(TargetClass::Bird, 0.7),
            hint(TargetClass::Unknown, 0.3),
            hint(TargetClass::Bird, 0.8),
            hint(TargetClass::Unknown, 0.2),
        ];
        let c = run(None, &hints, None);
        assert_eq!(c.class, TargetClass::Bird);
        assert!(c.reasons[0].contains("75 %"), "{:?}", c.reasons);
    }

    #[test]
    fn unsure_bird_hints_stay_unknown() {
        let c = run(None, &[hint(TargetClass::Bird, 0.3)], None);
        assert_eq!(c.class, TargetClass::Unknown);
        assert!(c.dark);
    }

    #[test]
    fn drone_hints_outweighing_an_early_bird_hint_make_a_drone() {
        let hints = [
            hint(TargetClass::Bird, 0.6),
            hint(TargetClass::Drone, 0.5),
            hint(TargetClass::Drone, 0.5),
        ];
        assert_eq!(run(None, &hints, None).class, TargetClass::Drone);
    }

    #[test]
    fn nothing_known_is_unknown_and_dark() {
        let c = run(None, &[], None);
        assert_eq!(c.class, TargetClass::Unknown);
        assert!(c.dark);
    }

    #[test]
    fn speed_must_be_sustained() {
        let t0 = Timestamp::from_micros(0);
        let mut s = SpeedEvidence::default();
        s.add(t0, 50.0);
        s.add(t0.plus_secs_f64(4.0), 50.0);
        s.add(t0.plus_secs_f64(5.0), 30.0);
        s.add(t0.plus_secs_f64(10.0), 50.0);
        assert_eq!(s.sustained_fast_mps, None);
        s.add(t0.plus_secs_f64(18.5), 51.0);
        assert_eq!(s.sustained_fast_mps, Some(51.0));
        s.add(t0.plus_secs_f64(30.0), 0.0);
        assert_eq!(s.sustained_fast_mps, Some(51.0), "sticky once seen");
    }
}
