//! `picket decode` for Beast, AVR and SBS-1 files: one [`DecodeRecord`] per message
//! (`docs/decode-modes.md`), and the stateful [`Decoder`] an input adapter uses per frame.

use crate::adsb::{Adsb, AirspeedType, VerticalRateSource};
use crate::altitude::{Emergency, Squawk};
use crate::commb::{BdsSet, CommBReport};
use crate::framing::beast::{self, BeastError, BeastFrame, BeastKind};
use crate::framing::{avr, sbs};
use crate::message::{AddressSource, Body, DecodeError, ModeS};
use crate::tracker::{AircraftTracker, CprMethod, PositionFix, TrackerConfig};
use picket_core::Timestamp;
use serde::Serialize;
use std::fmt::Write as _;

/// The three file / stream formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Beast binary.
    Beast,
    /// AVR text (`*HEX;`, `@TIMEHEX;`).
    Avr,
    /// SBS-1 / BaseStation CSV.
    Sbs,
}

/// Guess the format of a file from its first bytes: SBS record types, AVR `*`/`@` records,
/// or a run of well-formed Beast frames. `None` when none fits.
pub fn format_from_bytes(bytes: &[u8]) -> Option<Format> {
    let head = &bytes[..bytes.len().min(4096)];
    let text = head.trim_ascii_start();
    for prefix in [&b"MSG,"[..], b"STA,", b"AIR,", b"ID,", b"SEL,", b"CLK,"] {
        if text.starts_with(prefix) {
            return Some(Format::Sbs);
        }
    }
    if matches!(text.first(), Some(b'*' | b'@')) {
        return avr::frames(text)
            .next()
            .is_some_and(|r| r.is_ok())
            .then_some(Format::Avr);
    }
    // Beast: most of the head is frames, and at least two of them (or the whole input is one).
    let (mut ok, mut garbage) = (0usize, 0usize);
    for r in beast::frames(head) {
        match r {
            Ok(_) => ok += 1,
            Err(BeastError::Garbage { bytes } | BeastError::Interrupted { bytes }) => {
                garbage += bytes
            }
            Err(BeastError::Truncated { .. }) => {}
        }
    }
    let enough = ok >= 2 || (ok == 1 && bytes.len() <= beast::MAX_FRAME_WIRE_BYTES);
    (enough && garbage * 4 <= head.len()).then_some(Format::Beast)
}

/// What [`Decoder::decode`] makes of one Mode S frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The reply, or why it was rejected.
    pub message: Result<ModeS, DecodeError>,
    /// The address is trustworthy: parity-checked (DF11/17/18), or recovered from
    /// address/parity and matching an aircraft already heard in a parity-checked reply.
    pub address_verified: bool,
    /// The position this reply resolved, with the aircraft's latest facts.
    pub fix: Option<PositionFix>,
}

/// Stateful Mode S decoding: parity, fields, and CPR positions per aircraft.
#[derive(Clone, Debug)]
pub struct Decoder {
    tracker: AircraftTracker,
}

impl Decoder {
    /// A decoder with the given tracker settings (receiver position, windows, bounds).
    pub fn new(config: TrackerConfig) -> Self {
        Decoder {
            tracker: AircraftTracker::new(config),
        }
    }
    /// The per-aircraft state.
    pub fn tracker(&self) -> &AircraftTracker {
        &self.tracker
    }
    /// Decode a 7- or 14-byte frame received at `time_s` (seconds on any monotonic scale,
    /// e.g. Beast ticks / 12e6; `None` if unknown).
    pub fn decode(&mut self, frame: &[u8], time_s: Option<f64>) -> Decoded {
        match ModeS::decode(frame) {
            Ok(m) => {
                let address_verified = match m.address_source {
                    AddressSource::Recovered => self.tracker.is_known(m.address),
                    _ => true,
                };
                let fix = self.tracker.update(&m, time_s);
                Decoded {
                    message: Ok(m),
                    address_verified,
                    fix,
                }
            }
            Err(e) => Decoded {
                message: Err(e),
                address_verified: false,
                fix: None,
            },
        }
    }
}

/// One JSON line of `picket decode` for a Mode S source. Absent fields are omitted.
/// See `docs/decode-modes.md` for the schema.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DecodeRecord {
    /// 1-based position of this record in the output (rejected input counts too).
    pub frame: u64,
    /// Input format.
    pub format: Option<Format>,
    /// `mode_s`, `mode_ac`, `status` (Beast receiver status) or `sbs`; absent for skipped bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// Receiver 12 MHz clock (Beast, AVR `@`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mlat_ticks: Option<u64>,
    /// Message time (SBS: date and time generated, taken as UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Beast signal level byte.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<u8>,
    /// The raw frame, upper-case hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
    /// Downlink format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df: Option<u8>,
    /// 24-bit address, six upper-case hex digits; `~` in front for a DF18 non-ICAO address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icao: Option<String>,
    /// Parity: DF11/17/18 checked; address/parity formats: the address belongs to an aircraft
    /// already heard in a checked reply of this input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crc_ok: Option<bool>,
    /// ADS-B type code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typecode: Option<u8>,
    /// SBS transmission type (1–8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sbs_type: Option<u8>,
    /// Comm-B registers the reply may hold (decoded only when exactly one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bds: Option<BdsSet>,
    /// Emitter category (`A3`, `A7` rotorcraft, `B6` UAV, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Callsign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// Barometric (pressure) altitude, feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude_baro_ft: Option<i32>,
    /// GNSS height, feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude_gnss_ft: Option<i32>,
    /// GNSS height minus barometric altitude, feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_minus_baro_ft: Option<i32>,
    /// Latitude, degrees, once CPR resolves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, degrees, once CPR resolves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// How the position was resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpr: Option<CprMethod>,
    /// CPR frame parity of a position message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpr_odd: Option<bool>,
    /// On the ground.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_ground: Option<bool>,
    /// Ground speed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground_speed_kt: Option<f64>,
    /// Track over ground, degrees from true north.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_deg: Option<f64>,
    /// Heading, degrees (magnetic for Comm-B 6,0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    /// Indicated airspeed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicated_airspeed_kt: Option<f64>,
    /// True airspeed, knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_airspeed_kt: Option<f64>,
    /// Mach number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mach: Option<f64>,
    /// Vertical rate, feet per minute (barometric for Comm-B 6,0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vertical_rate_fpm: Option<i32>,
    /// Source of an ADS-B vertical rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vertical_rate_source: Option<VerticalRateSource>,
    /// Inertial vertical rate (Comm-B 6,0), feet per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inertial_vertical_rate_fpm: Option<i32>,
    /// Roll angle (Comm-B 5,0), degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roll_deg: Option<f64>,
    /// Track angle rate (Comm-B 5,0), degrees per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_rate_deg_s: Option<f64>,
    /// MCP/FCU selected altitude (ADS-B target state or Comm-B 4,0), feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_altitude_ft: Option<i32>,
    /// FMS selected altitude (ADS-B target state or Comm-B 4,0), feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_altitude_fms_ft: Option<i32>,
    /// Barometric pressure setting, hPa.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baro_setting_hpa: Option<f64>,
    /// Navigation accuracy category for position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nac_p: Option<u8>,
    /// ADS-B version (operational status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adsb_version: Option<u8>,
    /// Mode A code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub squawk: Option<Squawk>,
    /// A Mode A/C reply's four digits (Mode A squawk or Mode C altitude; the reply does not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_ac: Option<String>,
    /// Emergency declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
    /// Why the input was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn hex_upper(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

fn icao_text(address: u32, non_icao: bool) -> String {
    if non_icao {
        format!("~{address:06X}")
    } else {
        format!("{address:06X}")
    }
}

/// Seconds of a 12 MHz tick count; 0 means "no timestamp" (dump1090-fa without MLAT).
fn ticks_to_s(ticks: Option<u64>) -> Option<f64> {
    ticks.filter(|&t| t != 0).map(|t| t as f64 / 12e6)
}

impl DecodeRecord {
    /// Fill the fields of a Mode S frame decoded by `decoded`.
    fn mode_s(&mut self, frame: &[u8], decoded: &Decoded) {
        self.kind = Some("mode_s");
        self.hex = Some(hex_upper(frame));
        if let Some(&b) = frame.first() {
            self.df = Some((b >> 3).min(24));
        }
        let m = match &decoded.message {
            Ok(m) => m,
            Err(e) => {
                if matches!(e, DecodeError::Parity { .. }) {
                    self.crc_ok = Some(false);
                }
                self.error = Some(e.to_string());
                return;
            }
        };
        self.icao = Some(icao_text(m.address, m.non_icao()));
        self.crc_ok = Some(decoded.address_verified);
        self.altitude_baro_ft = m.altitude_baro_ft();
        self.squawk = m.squawk();
        self.emergency = self.squawk.and_then(Squawk::emergency);
        match &m.body {
            Body::ShortAcas { on_ground, .. } | Body::LongAcas { on_ground, .. } => {
                self.on_ground = Some(*on_ground);
            }
            Body::Altitude { flight_status, .. } | Body::Identity { flight_status, .. } => {
                self.on_ground = on_ground_of_fs(*flight_status);
            }
            Body::AllCall { capability } => {
                self.on_ground = match capability {
                    4 => Some(true),
                    5 => Some(false),
                    _ => None,
                };
            }
            Body::Extended { adsb, .. } => {
                if let Some(a) = adsb {
                    self.adsb(a);
                }
            }
            Body::CommBAltitude {
                flight_status,
                commb,
                ..
            }
            | Body::CommBIdentity {
                flight_status,
                commb,
                ..
            } => {
                self.on_ground = on_ground_of_fs(*flight_status);
                self.bds = Some(commb.bds);
                if let Some(r) = &commb.report {
                    self.commb(r);
                }
            }
        }
        if let Some(f) = &decoded.fix {
            self.lat = Some(f.lat_deg);
            self.lon = Some(f.lon_deg);
            self.cpr = Some(f.method);
        }
    }

    fn adsb(&mut self, a: &Adsb) {
        self.typecode = Some(a.typecode());
        match a {
            Adsb::Identification { category, callsign } => {
                self.category = Some(category.to_string());
                self.callsign = Some(callsign.as_str().to_string());
            }
            Adsb::SurfacePosition(p) => {
                self.on_ground = Some(true);
                self.ground_speed_kt = p.ground_speed_kt;
                self.track_deg = p.track_deg;
                self.cpr_odd = Some(p.cpr.odd);
            }
            Adsb::AirbornePosition(p) => {
                self.on_ground = Some(false);
                self.altitude_baro_ft = p.altitude_baro_ft;
                self.altitude_gnss_ft = p.altitude_gnss_ft;
                self.cpr_odd = Some(p.cpr.odd);
            }
            Adsb::Velocity(v) => {
                self.ground_speed_kt = v.ground_speed_kt;
                self.track_deg = v.track_deg;
                self.heading_deg = v.heading_deg;
                match v.airspeed_type {
                    Some(AirspeedType::Ias) => self.indicated_airspeed_kt = v.airspeed_kt,
                    Some(AirspeedType::Tas) => self.true_airspeed_kt = v.airspeed_kt,
                    None => {}
                }
                self.vertical_rate_fpm = v.vertical_rate_fpm;
                self.vertical_rate_source = v.vertical_rate_fpm.map(|_| v.vertical_rate_source);
                self.geo_minus_baro_ft = v.geo_minus_baro_ft;
            }
            Adsb::AircraftStatus { emergency, squawk } => {
                self.squawk = Some(*squawk);
                self.emergency = emergency.or(squawk.emergency());
            }
            Adsb::TargetState {
                selected_altitude_ft,
                selected_altitude_fms,
                baro_setting_hpa,
                nac_p,
            } => {
                if *selected_altitude_fms {
                    self.selected_altitude_fms_ft = *selected_altitude_ft;
                } else {
                    self.selected_altitude_ft = *selected_altitude_ft;
                }
                self.baro_setting_hpa = *baro_setting_hpa;
                self.nac_p = Some(*nac_p);
            }
            Adsb::OperationalStatus { version, nac_p, .. } => {
                self.adsb_version = Some(*version);
                self.nac_p = *nac_p;
            }
            Adsb::Other { .. } => {}
        }
    }

    fn commb(&mut self, r: &CommBReport) {
        match *r {
            CommBReport::Identification(cs) => self.callsign = Some(cs.as_str().to_string()),
            CommBReport::SelectedVerticalIntention {
                mcp_altitude_ft,
                fms_altitude_ft,
                baro_setting_hpa,
            } => {
                self.selected_altitude_ft = mcp_altitude_ft;
                self.selected_altitude_fms_ft = fms_altitude_ft;
                self.baro_setting_hpa = baro_setting_hpa;
            }
            CommBReport::TrackAndTurn {
                roll_deg,
                true_track_deg,
                ground_speed_kt,
                track_rate_deg_s,
                true_airspeed_kt,
            } => {
                self.roll_deg = roll_deg;
                self.track_deg = true_track_deg;
                self.ground_speed_kt = ground_speed_kt;
                self.track_rate_deg_s = track_rate_deg_s;
                self.true_airspeed_kt = true_airspeed_kt;
            }
            CommBReport::HeadingAndSpeed {
                magnetic_heading_deg,
                indicated_airspeed_kt,
                mach,
                baro_vertical_rate_fpm,
                inertial_vertical_rate_fpm,
            } => {
                self.heading_deg = magnetic_heading_deg;
                self.indicated_airspeed_kt = indicated_airspeed_kt;
                self.mach = mach;
                self.vertical_rate_fpm = baro_vertical_rate_fpm;
                self.inertial_vertical_rate_fpm = inertial_vertical_rate_fpm;
            }
            CommBReport::DataLinkCapability
            | CommBReport::GicbCapability { .. }
            | CommBReport::AcasResolutionAdvisory
            | CommBReport::MeteorologicalHazard => {}
        }
    }

    fn mode_ac(&mut self, data: &[u8]) {
        self.kind = Some("mode_ac");
        self.hex = Some(hex_upper(data));
        let code = data
            .iter()
            .take(2)
            .fold(0u16, |a, &b| (a << 8) | u16::from(b));
        let sq = Squawk::from_nibbles(code);
        self.mode_ac = Some(sq.to_string());
        // 7500/7600/7700 have C = 0, which no Mode C altitude has: these are Mode A emergencies.
        self.emergency = sq.emergency();
    }

    fn sbs(&mut self, m: &sbs::SbsMessage) {
        self.kind = Some("sbs");
        self.sbs_type = Some(m.transmission);
        self.time = m.time;
        self.icao = Some(icao_text(m.address, false));
        self.callsign = m.callsign.clone();
        self.altitude_baro_ft = m.altitude_ft;
        self.ground_speed_kt = m.ground_speed_kt;
        self.track_deg = m.track_deg;
        self.lat = m.lat_deg;
        self.lon = m.lon_deg;
        self.vertical_rate_fpm = m.vertical_rate_fpm;
        self.squawk = m.squawk;
        self.on_ground = m.on_ground;
        self.emergency = m
            .squawk
            .and_then(Squawk::emergency)
            .or((m.emergency == Some(true)).then_some(Emergency::General));
    }
}

fn on_ground_of_fs(fs: u8) -> Option<bool> {
    match fs {
        0 | 2 => Some(false),
        1 | 3 => Some(true),
        _ => None,
    }
}

/// Decode a whole file into records, lazily. Stateful across the file (CPR pairs, known
/// addresses); memory is bounded by the tracker's aircraft limit, not by the file.
/// `receiver` (latitude, longitude in degrees) enables local CPR decoding against it.
pub fn decode_records(
    bytes: &[u8],
    format: Format,
    receiver: Option<(f64, f64)>,
) -> DecodeRecords<'_> {
    let config = TrackerConfig {
        receiver,
        ..TrackerConfig::default()
    };
    let source = match format {
        Format::Beast => Source::Beast(beast::frames(bytes)),
        Format::Avr => Source::Avr(avr::frames(bytes)),
        Format::Sbs => Source::Sbs(bytes.split(is_newline as fn(&u8) -> bool)),
    };
    DecodeRecords {
        format,
        source,
        decoder: Decoder::new(config),
        count: 0,
    }
}

fn is_newline(b: &u8) -> bool {
    *b == b'\n'
}

enum Source<'a> {
    Beast(beast::Frames<'a>),
    Avr(avr::Frames<'a>),
    Sbs(std::slice::Split<'a, u8, fn(&u8) -> bool>),
}

/// Iterator returned by [`decode_records`].
pub struct DecodeRecords<'a> {
    format: Format,
    source: Source<'a>,
    decoder: Decoder,
    count: u64,
}

impl DecodeRecords<'_> {
    /// The decoder's state so far (aircraft, positions).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    fn beast(&mut self, r: Result<BeastFrame, BeastError>, rec: &mut DecodeRecord) {
        match r {
            Err(e) => rec.error = Some(e.to_string()),
            Ok(f) => {
                rec.mlat_ticks = Some(f.mlat_ticks);
                rec.signal = Some(f.signal);
                match f.kind {
                    BeastKind::ModeAc => rec.mode_ac(f.data()),
                    BeastKind::Status => {
                        rec.kind = Some("status");
                        rec.hex = Some(hex_upper(f.data()));
                    }
                    BeastKind::ModeSShort | BeastKind::ModeSLong => {
                        let d = self
                            .decoder
                            .decode(f.data(), ticks_to_s(Some(f.mlat_ticks)));
                        rec.mode_s(f.data(), &d);
                    }
                }
            }
        }
    }
}

impl Iterator for DecodeRecords<'_> {
    type Item = DecodeRecord;
    fn next(&mut self) -> Option<DecodeRecord> {
        let mut rec = DecodeRecord {
            format: Some(self.format),
            ..DecodeRecord::default()
        };
        match &mut self.source {
            Source::Beast(frames) => {
                let r = frames.next()?;
                self.beast(r, &mut rec);
            }
            Source::Avr(frames) => match frames.next()? {
                Err(e) => rec.error = Some(e.to_string()),
                Ok(f) => {
                    rec.mlat_ticks = f.mlat_ticks;
                    if f.data().len() == 2 {
                        rec.mode_ac(f.data());
                    } else {
                        let d = self.decoder.decode(f.data(), ticks_to_s(f.mlat_ticks));
                        rec.mode_s(f.data(), &d);
                    }
                }
            },
            Source::Sbs(lines) => {
                let line = loop {
                    let l = lines.next()?;
                    if !l.trim_ascii().is_empty() {
                        break l;
                    }
                };
                match sbs::parse_line(line) {
                    Ok(m) => rec.sbs(&m),
                    Err(e) => rec.error = Some(e.to_string()),
                }
            }
        }
        self.count += 1;
        rec.frame = self.count;
        Some(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_tells_the_three_formats_apart() {
        let mut beast = Vec::new();
        for _ in 0..3 {
            BeastFrame::new(
                BeastKind::ModeSShort,
                1,
                2,
                &[0x5D, 0x48, 0x4F, 0xDE, 0x3C, 0xF4, 0xB6],
            )
            .unwrap()
            .encode(&mut beast);
        }
        assert_eq!(format_from_bytes(&beast), Some(Format::Beast));
        assert_eq!(
            format_from_bytes(b"\n*5d484fde3cf4b6;\n"),
            Some(Format::Avr)
        );
        assert_eq!(
            format_from_bytes(b"MSG,8,1,1,400159,1,,,,,,,,,,,,,,,,"),
            Some(Format::Sbs)
        );
        assert_eq!(format_from_bytes(b"{\"time\": 1}"), None);
        assert_eq!(format_from_bytes(b""), None);
    }

    #[test]
    fn a_df18_non_icao_address_is_marked_with_a_tilde() {
        // DF18, CF = 1 (ADS-B, other address), identification.
        let me = crate::adsb::encode_identification_me(1, "TEST");
        let mut f = crate::encode::df17(0x00ABCD, 0, me);
        f[0] = (18 << 3) | 1;
        let p = crate::crc::parity(&f[..11]);
        f[11..].copy_from_slice(&p.to_be_bytes()[1..]);
        let line = format!("*{};", hex_upper(&f));
        let r = decode_records(line.as_bytes(), Format::Avr, None)
            .next()
            .unwrap();
        assert_eq!(
            (r.df, r.icao.as_deref(), r.callsign.as_deref()),
            (Some(18), Some("~00ABCD"), Some("TEST"))
        );
    }

    #[test]
    fn mode_a_emergency_codes_are_never_mode_c_altitudes() {
        for code in [0x7500, 0x7600, 0x7700] {
            assert_eq!(
                crate::altitude::gillham_ft(Squawk::from_nibbles(code)),
                None
            );
        }
        let mut r = DecodeRecord::default();
        r.mode_ac(&[0x77, 0x00]);
        assert_eq!(
            (r.mode_ac.as_deref(), r.emergency),
            (Some("7700"), Some(Emergency::General))
        );
    }

    #[test]
    fn an_avr_file_gives_one_record_per_message_with_errors_in_place() {
        let recs: Vec<_> = decode_records(
            b"*8D406B902015A678D4D220AA4BDA;\n*8D406B902015A678D4D220AA4BDB;\nnonsense\n",
            Format::Avr,
            None,
        )
        .collect();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].callsign.as_deref(), Some("EZY85MH"));
        assert_eq!(recs[0].icao.as_deref(), Some("406B90"));
        assert_eq!(recs[1].crc_ok, Some(false));
        assert!(recs[1].error.as_deref().unwrap().contains("parity"));
        assert!(recs[2].error.is_some());
        assert_eq!(recs.iter().map(|r| r.frame).collect::<Vec<_>>(), [1, 2, 3]);
    }
}
