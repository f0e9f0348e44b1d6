//! Spoof and plausibility evidence about one aircraft's own broadcasts.
//!
//! Every Remote ID frame is written by whoever flies the drone, so each claim is checked
//! against physics and against what the receiver itself measured. Each check yields a
//! [`Finding`] with a weight wᵢ in [0, 1] (how strongly it says "this is false") and a reason in
//! words an officer understands; the score is 1 − Π(1 − wᵢ), reasons strongest first.
//!
//! | check | evidence | weight |
//! |---|---|---|
//! | jump | implied speed between consecutive positions (less their accuracy) above 60 m/s | 0 at 60 m/s → 0.9 at 200 m/s |
//! | acceleration | change of the reported velocity above 30 m/s² | 0 at 30 → 0.5 at 100 m/s² |
//! | pilot distance | claimed drone–operator distance above 5 km | 0 at 5 km, 0.5 at 15 km, 0.9 at 30 km |
//! | signal strength | RSSI above what a 1 W (30 dBm EIRP) transmitter at the claimed distance from the receiver can give (free space), by more than 6 dB | 0 at 6 dB → 0.9 at 30 dB |
//! | counter | the transport's message counter going backwards within 3 s (per sender address and transport) | 0.2 once, 0.4 from 3, 0.6 from 10 |
//! | timestamps | Location time going back by more than 1 s, or System time by more than 5 s | same as counter |
//! | radio address | a universally administered MAC whose OUI is not the one of the manufacturer the serial's ANSI/CTA-2063 prefix names (known makers only) | 0.35, 0.5 when the OUI is another known maker's |
//!
//! Findings of events (jumps, regressions) are remembered for [`MEMORY_S`] of record time;
//! findings of states (pilot distance, signal strength) are replaced by each new position.
//! A locally administered (randomised) MAC is normal and never evidence.
//!
//! Disagreement between receivers: one [`crate::Assembler`] serves one receiver, so the
//! same UAS ID heard by two receivers is judged by [`crate::crosscheck`] (their RSSI
//! difference against the claimed position), run where all receivers' observations meet; per
//! receiver, two transmitters sending the same serial at once show up here as impossible
//! jumps ("two transmitters"), counter and timestamp regressions.

use picket_core::{GeoPoint, SpoofEvidence, Timestamp};
use picket_pcap::MacAddr;

/// How long an event finding (jump, regression) stays attached, seconds of record time.
pub const MEMORY_S: f64 = 120.0;
/// Fastest plausible small drone, m/s.
pub const MAX_PLAUSIBLE_SPEED_MPS: f64 = 60.0;
/// Highest plausible horizontal acceleration, m/s² (about 3 g; consumer multirotors manage 1).
pub const MAX_PLAUSIBLE_ACCEL_MPS2: f64 = 30.0;
/// Strongest transmitter assumed for the signal-strength check, dBm EIRP (1 W).
pub const MAX_EIRP_DBM: f64 = 30.0;
/// Findings weaker than this are not reported.
const MIN_WEIGHT: f64 = 0.01;

/// What a finding is about (one finding per kind is kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// An impossible jump between consecutive positions.
    Jump,
    /// An impossible change of the reported velocity.
    Acceleration,
    /// The drone claims to be too far from its pilot.
    OperatorDistance,
    /// The signal is too strong for the claimed distance from the receiver.
    SignalStrength,
    /// The transport's message counter went backwards.
    CounterRegression,
    /// Location or System timestamps went backwards.
    TimestampRegression,
    /// The radio address belongs to another manufacturer than the serial's.
    MacManufacturer,
}

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// Strength in [0, 1].
    pub weight: f64,
    /// In words.
    pub reason: String,
    /// Record time it was last confirmed.
    pub time: Timestamp,
}

/// One claimed position of the aircraft, with what the receiver measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fix {
    /// Time of validity (the message's own time when usable, else reception).
    pub time: Timestamp,
    /// Reception time.
    pub received: Timestamp,
    /// Claimed position (altitude above the ellipsoid, or `None` when unknown).
    pub lat_deg: f64,
    /// Claimed longitude.
    pub lon_deg: f64,
    /// Claimed altitude above the ellipsoid, metres.
    pub alt_hae_m: Option<f64>,
    /// 95 % horizontal accuracy the message claims, metres.
    pub accuracy_h_m: Option<f64>,
    /// Reported horizontal velocity (east, north), m/s.
    pub velocity_en_mps: Option<[f64; 2]>,
    /// Claimed operator position.
    pub operator: Option<GeoPoint>,
    /// Sender address.
    pub mac: Option<MacAddr>,
    /// Received signal strength, dBm.
    pub rssi_dbm: Option<f64>,
    /// Carrier frequency, MHz (2437 assumed when unknown).
    pub freq_mhz: Option<f64>,
}

/// Combined score of independent weights: 1 − Π(1 − wᵢ).
pub fn combine(weights: impl IntoIterator<Item = f64>) -> f64 {
    1.0 - weights
        .into_iter()
        .map(|w| 1.0 - w.clamp(0.0, 1.0))
        .product::<f64>()
}

/// Great-circle ground distance (spherical Earth), metres.
pub fn ground_distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let a = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.clamp(0.0, 1.0).sqrt().asin()
}

/// Linear ramp through the points `(x, y)` (sorted by x), flat outside them.
fn ramp(x: f64, points: &[(f64, f64)]) -> f64 {
    let Some(&(x0, y0)) = points.first() else {
        return 0.0;
    };
    if x.is_nan() || x <= x0 {
        return y0;
    }
    for w in points.windows(2) {
        let ((xa, ya), (xb, yb)) = (w[0], w[1]);
        if x <= xb {
            return ya + (yb - ya) * (x - xa) / (xb - xa);
        }
    }
    points.last().map_or(0.0, |p| p.1)
}

/// Weight of a claimed drone–operator distance.
pub fn operator_distance_weight(distance_m: f64) -> f64 {
    ramp(
        distance_m,
        &[(5_000.0, 0.0), (15_000.0, 0.5), (30_000.0, 0.9)],
    )
}

/// Weight of an implied speed between two positions.
pub fn speed_weight(speed_mps: f64) -> f64 {
    ramp(speed_mps, &[(MAX_PLAUSIBLE_SPEED_MPS, 0.0), (200.0, 0.9)])
}

/// Weight of a horizontal acceleration.
pub fn accel_weight(accel_mps2: f64) -> f64 {
    ramp(accel_mps2, &[(MAX_PLAUSIBLE_ACCEL_MPS2, 0.0), (100.0, 0.5)])
}

/// Weight of a number of counter or timestamp regressions.
pub fn regression_weight(count: u32) -> f64 {
    match count {
        0 => 0.0,
        1 | 2 => 0.2,
        3..=9 => 0.4,
        _ => 0.6,
    }
}

/// Free-space path loss, dB, at `distance_m` and `freq_mhz`.
pub fn free_space_loss_db(distance_m: f64, freq_mhz: f64) -> f64 {
    20.0 * distance_m.max(1.0).log10() + 20.0 * freq_mhz.log10() - 27.55
}

/// The strongest signal a transmitter at `distance_m` can give, dBm (free space, 1 W EIRP).
pub fn max_rssi_dbm(distance_m: f64, freq_mhz: f64) -> f64 {
    MAX_EIRP_DBM - free_space_loss_db(distance_m, freq_mhz)
}

/// Weight of a signal `excess_db` stronger than physics allows.
pub fn rssi_excess_weight(excess_db: f64) -> f64 {
    ramp(excess_db, &[(6.0, 0.0), (30.0, 0.9)])
}

/// A drone manufacturer: its ANSI/CTA-2063 manufacturer code and its radio OUIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Manufacturer {
    /// Name.
    pub name: &'static str,
    /// Four-character ANSI/CTA-2063 manufacturer code (the serial's prefix).
    pub serial_code: &'static str,
    /// IEEE OUIs its radios use (universally administered addresses).
    pub ouis: &'static [[u8; 3]],
}

/// The makers of the shared captures and the scenario (unknown makers give no evidence).
pub const MANUFACTURERS: &[Manufacturer] = &[
    Manufacturer {
        name: "Parrot",
        serial_code: "1588",
        ouis: &[
            [0x90, 0x3a, 0xe6],
            [0x90, 0x03, 0xb7],
            [0xa0, 0x14, 0x3d],
            [0x00, 0x12, 0x1c],
            [0x00, 0x26, 0x7e],
        ],
    },
    Manufacturer {
        name: "DJI",
        serial_code: "1581",
        ouis: &[
            [0x60, 0x60, 0x1f],
            [0x34, 0xd2, 0x62],
            [0x48, 0x1c, 0xb9],
            [0xe4, 0x7a, 0x2c],
            [0x58, 0xb8, 0x58],
        ],
    },
];

/// The manufacturer an ANSI/CTA-2063 serial names, when Picket knows it.
pub fn manufacturer_of_serial(serial: &str) -> Option<&'static Manufacturer> {
    let code = serial.get(..4)?;
    MANUFACTURERS.iter().find(|m| m.serial_code == code)
}

/// The known manufacturer a radio OUI belongs to.
pub fn manufacturer_of_oui(oui: [u8; 3]) -> Option<&'static Manufacturer> {
    MANUFACTURERS.iter().find(|m| m.ouis.contains(&oui))
}

/// Evidence about a serial sent from `mac`: `None` when consistent, randomised or unknown.
pub fn mac_manufacturer_finding(serial: &str, mac: MacAddr) -> Option<(f64, String)> {
    if mac.is_locally_administered() {
        return None;
    }
    let maker = manufacturer_of_serial(serial)?;
    if maker.ouis.contains(&mac.oui()) {
        return None;
    }
    Some(match manufacturer_of_oui(mac.oui()) {
        Some(other) => (
            0.5,
            format!(
                "serial says {} but the radio address {mac} is a {} one",
                maker.name, other.name
            ),
        ),
        None => (
            0.35,
            format!(
                "serial says {} but the radio address {mac} is not one of {}'s",
                maker.name, maker.name
            ),
        ),
    })
}

fn km(m: f64) -> String {
    if m >= 10_000.0 {
        format!("{:.0} km", m / 1000.0)
    } else if m >= 1000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{m:.0} m")
    }
}

/// Most message-counter streams kept per aircraft (sender address × transport × type).
const MAX_COUNTER_STREAMS: usize = 16;

/// The evidence state of one aircraft.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    findings: Vec<Finding>,
    last_fix: Option<Fix>,
    last_system_time: Option<Timestamp>,
    counters: Vec<(CounterKey, u8, Timestamp)>,
    counter_regressions: u32,
    timestamp_regressions: u32,
}

/// Which message counter: sender address, transport and (for single messages) message type.
pub type CounterKey = (Option<MacAddr>, u8, Option<u8>);

impl Evidence {
    fn set(&mut self, kind: FindingKind, weight: f64, reason: String, time: Timestamp) {
        self.findings.retain(|f| f.kind != kind);
        if weight >= MIN_WEIGHT {
            self.findings.push(Finding {
                kind,
                weight,
                reason,
                time,
            });
        }
    }

    /// Keeps the stronger of the old and new event finding.
    fn event(&mut self, kind: FindingKind, weight: f64, reason: String, time: Timestamp) {
        match self.findings.iter_mut().find(|f| f.kind == kind) {
            Some(f) if f.weight > weight => f.time = time,
            _ => self.set(kind, weight, reason, time),
        }
    }

    /// A new claimed position: jump, acceleration, pilot distance and signal strength checks.
    /// `receiver` is where the receiver stands, `receiver_name` its id for the words.
    pub fn on_fix(&mut self, fix: &Fix, receiver: Option<&GeoPoint>, receiver_name: &str) {
        let now = fix.received;
        if let Some(prev) = self.last_fix {
            let dt = fix.time.seconds_since(prev.time);
            let gap_s = fix.received.seconds_since(prev.received);
            let d = ground_distance_m(prev.lat_deg, prev.lon_deg, fix.lat_deg, fix.lon_deg);
            // Position noise is not motion: allow both fixes' 95 % bounds (at least 30 m).
            let allowance =
                (prev.accuracy_h_m.unwrap_or(30.0) + fix.accuracy_h_m.unwrap_or(30.0)).max(30.0);
            // Judge over the time the positions claim, but never less than the reception gap's
            // order (a replayed old position would otherwise look like a jump in zero time).
            let span_s = dt.abs().max(gap_s.abs()).max(0.1);
            let implied = (d - allowance).max(0.0) / span_s;
            let w = speed_weight(implied);
            if w >= MIN_WEIGHT {
                let who = if prev.mac.is_some() && fix.mac.is_some() && prev.mac != fix.mac {
                    " (two transmitters sending the same identity?)"
                } else {
                    ""
                };
                self.event(
                    FindingKind::Jump,
                    w,
                    format!(
                        "position jumped {} in {span_s:.1} s ({implied:.0} m/s; a small drone flies at most {MAX_PLAUSIBLE_SPEED_MPS:.0} m/s){who}",
                        km(d)
                    ),
                    now,
                );
            }
            if let (Some(v0), Some(v1)) = (prev.velocity_en_mps, fix.velocity_en_mps) {
                if dt >= 0.2 {
                    let a = (v1[0] - v0[0]).hypot(v1[1] - v0[1]) / dt;
                    let w = accel_weight(a);
                    if w >= MIN_WEIGHT {
                        self.event(
                            FindingKind::Acceleration,
                            w,
                            format!("reported speed changed at {a:.0} m/s² (a drone manages at most {MAX_PLAUSIBLE_ACCEL_MPS2:.0})"),
                            now,
                        );
                    }
                }
            }
            if dt < -1.0 && gap_s.abs() <= 10.0 {
                self.timestamp_regressions += 1;
                self.regression_finding(FindingKind::TimestampRegression, now);
            }
        }
        match fix.operator.filter(GeoPoint::is_valid) {
            Some(op) => {
                let d = ground_distance_m(fix.lat_deg, fix.lon_deg, op.lat_deg, op.lon_deg);
                self.set(
                    FindingKind::OperatorDistance,
                    operator_distance_weight(d),
                    format!(
                        "claims to be {} from its pilot (consumer drones stay within a few km; beyond 15 km is implausible)",
                        km(d)
                    ),
                    now,
                );
            }
            None => self.set(FindingKind::OperatorDistance, 0.0, String::new(), now),
        }
        match (receiver, fix.rssi_dbm) {
            (Some(rx), Some(rssi)) if rssi.is_finite() => {
                let ground = ground_distance_m(rx.lat_deg, rx.lon_deg, fix.lat_deg, fix.lon_deg);
                let up = fix.alt_hae_m.map_or(0.0, |a| a - rx.alt_hae_m);
                let d = ground.hypot(up);
                let freq = fix.freq_mhz.unwrap_or(2437.0);
                let limit = max_rssi_dbm(d, freq);
                let w = if d > 100.0 {
                    rssi_excess_weight(rssi - limit)
                } else {
                    0.0
                };
                self.set(
                    FindingKind::SignalStrength,
                    w,
                    format!(
                        "heard at {rssi:.0} dBm by {receiver_name}, far too strong for the {} it claims to be away (at most {limit:.0} dBm)",
                        km(d)
                    ),
                    now,
                );
            }
            _ => {}
        }
        self.last_fix = Some(*fix);
    }

    fn regression_finding(&mut self, kind: FindingKind, now: Timestamp) {
        let (n, what) = match kind {
            FindingKind::CounterRegression => (self.counter_regressions, "message counter"),
            _ => (self.timestamp_regressions, "timestamps"),
        };
        self.set(
            kind,
            regression_weight(n),
            format!(
                "its {what} went backwards {} (a second transmitter or replayed messages)",
                if n == 1 {
                    "once".to_owned()
                } else {
                    format!("{n} times")
                }
            ),
            now,
        );
    }

    /// A transport message counter value.
    pub fn on_counter(&mut self, key: CounterKey, counter: u8, now: Timestamp) {
        match self.counters.iter_mut().find(|c| c.0 == key) {
            Some(c) => {
                let step = counter.wrapping_sub(c.1);
                let gap_s = now.seconds_since(c.2);
                // Backwards (not a wrap: 128+ counts forward in 3 s is faster than any sender).
                let regressed = step >= 128 && (0.0..=3.0).contains(&gap_s);
                c.1 = counter;
                c.2 = now;
                if regressed {
                    self.counter_regressions += 1;
                    self.regression_finding(FindingKind::CounterRegression, now);
                }
            }
            None => {
                if self.counters.len() >= MAX_COUNTER_STREAMS {
                    self.counters.remove(0);
                }
                self.counters.push((key, counter, now));
            }
        }
    }

    /// A System message timestamp.
    pub fn on_system_time(&mut self, t: Timestamp, now: Timestamp) {
        if let Some(prev) = self.last_system_time {
            if t.seconds_since(prev) < -5.0 {
                self.timestamp_regressions += 1;
                self.regression_finding(FindingKind::TimestampRegression, now);
            }
        }
        self.last_system_time = Some(t);
    }

    /// The serial heard from a sender address.
    pub fn on_identity(&mut self, serial: &str, mac: Option<MacAddr>, now: Timestamp) {
        if let Some((w, reason)) = mac.and_then(|m| mac_manufacturer_finding(serial, m)) {
            self.event(FindingKind::MacManufacturer, w, reason, now);
        }
    }

    /// Takes over another aircraft's evidence (the same aircraft, learnt late).
    pub fn absorb(&mut self, other: Evidence) {
        for f in other.findings {
            self.event(f.kind, f.weight, f.reason, f.time);
        }
        self.counter_regressions += other.counter_regressions;
        self.timestamp_regressions += other.timestamp_regressions;
        for c in other.counters {
            if !self.counters.iter().any(|x| x.0 == c.0)
                && self.counters.len() < MAX_COUNTER_STREAMS
            {
                self.counters.push(c);
            }
        }
        if self.last_fix.is_none() {
            self.last_fix = other.last_fix;
        }
    }

    /// Forgets event findings older than [`MEMORY_S`].
    pub fn expire(&mut self, now: Timestamp) {
        self.findings
            .retain(|f| now.seconds_since(f.time) <= MEMORY_S);
    }

    /// The current findings, strongest first.
    pub fn findings(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self.findings.iter().collect();
        v.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.kind.cmp(&b.kind)));
        v
    }

    /// The combined evidence, `None` when nothing is suspicious.
    pub fn summary(&self) -> Option<SpoofEvidence> {
        let f = self.findings();
        if f.is_empty() {
            return None;
        }
        Some(SpoofEvidence {
            score: combine(f.iter().map(|x| x.weight)),
            reasons: f.iter().map(|x| x.reason.clone()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_graded() {
        assert_eq!(operator_distance_weight(1_000.0), 0.0);
        assert!((operator_distance_weight(15_000.0) - 0.5).abs() < 1e-12);
        assert!(operator_distance_weight(24_900.0) > 0.7);
        assert_eq!(operator_distance_weight(1e9), 0.9);
        assert_eq!(speed_weight(20.0), 0.0);
        assert!((combine([0.5, 0.5]) - 0.75).abs() < 1e-12);
        assert_eq!(combine([]), 0.0);
    }

    #[test]
    fn free_space_limit_matches_the_textbook() {
        // 2.4 GHz over 1 km: 100.2 dB.
        assert!((free_space_loss_db(1000.0, 2437.0) - 100.19).abs() < 0.05);
    }

    #[test]
    fn mac_against_serial_maker() {
        let parrot = MacAddr([0x90, 0x3a, 0xe6, 1, 2, 3]);
        let dji = MacAddr([0x60, 0x60, 0x1f, 1, 2, 3]);
        let random = MacAddr([0x02, 0x3a, 0xe6, 1, 2, 3]);
        assert_eq!(
            mac_manufacturer_finding("1588E040445AC004418", parrot),
            None
        );
        assert_eq!(
            mac_manufacturer_finding("1588E040445AC004418", random),
            None
        );
        assert_eq!(mac_manufacturer_finding("1668A23KX90D77H1", dji), None);
        let (w, why) = mac_manufacturer_finding("1588E040445AC004418", dji).unwrap();
        assert_eq!(w, 0.5);
        assert!(why.contains("Parrot") && why.contains("DJI"), "{why}");
    }
}
