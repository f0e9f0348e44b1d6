//! A decoded Location (with what is known of its aircraft) → a `picket_core::Observation`.
//!
//! * Position: latitude/longitude; height above the ellipsoid from the geodetic altitude, else
//!   the pressure altitude, else the operator's altitude plus the height above take-off, else 0
//!   with a vertical σ of 1000 m (so fusion treats it as "height unknown").
//! * σ from the accuracy codes: they are 95 % bounds, so σ_h = bound / 2.448 (a circular
//!   Gaussian holds 95 % within 2.448 σ) and σ_v = bound / 1.96; unknown codes use the
//!   context's defaults. A pressure altitude standing in for a geodetic one adds 30 m (geoid
//!   and weather) in quadrature.
//! * Time of validity: the Location's "tenths of a second past the hour", placed in the hour
//!   that puts it nearest the reception time (so 59:59.9 received at 00:00.2 is the previous
//!   hour); when that is further than `max_timestamp_offset_s` from reception (a wrong or
//!   missing clock), the reception time is used instead.
//! * Identity: the Basic ID's UAS ID (a serial number preferred), claimed, not trusted.
//! * Side facts: operator position from the System message, reported velocity (ENU) from
//!   speed, direction and vertical speed, RSSI. (Take-off point and spoof evidence are added
//!   by [`crate::assembly`].)

use crate::capture::{DecodeRecord, RecordMessage};
use crate::message::{BasicId, HeightType, IdType, Location, System};
use picket_core::{GeoPoint, Identity, Measurement, Observation, SensorId, SideFacts, Timestamp};
use picket_pcap::MacAddr;

/// Settings for turning Remote ID into observations.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservationContext {
    /// The receiver that heard the message.
    pub sensor_id: SensorId,
    /// 1-σ horizontal error when the message gives no accuracy, metres.
    pub default_sigma_horizontal_m: f64,
    /// 1-σ vertical error when the message gives no accuracy, metres.
    pub default_sigma_vertical_m: f64,
    /// Largest distance between the Location's own time and its reception for the Location's
    /// time to be used, seconds.
    pub max_timestamp_offset_s: f64,
    /// Where the receiver stands, when known: lets the assembler check a signal's strength
    /// against the distance the aircraft claims (see [`crate::evidence`]).
    pub receiver_position: Option<GeoPoint>,
}

impl ObservationContext {
    /// Defaults: 30 m horizontal and 45 m vertical σ when unknown, 10 s timestamp tolerance,
    /// receiver position unknown.
    pub fn new(sensor_id: SensorId) -> Self {
        ObservationContext {
            sensor_id,
            default_sigma_horizontal_m: 30.0,
            default_sigma_vertical_m: 45.0,
            max_timestamp_offset_s: 10.0,
            receiver_position: None,
        }
    }
}

/// What is known of the aircraft a Location belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AircraftContext<'a> {
    /// Its Basic ID (the serial-number one when it sends several).
    pub basic_id: Option<&'a BasicId>,
    /// Its latest System message.
    pub system: Option<&'a System>,
}

/// Vertical σ when no altitude at all is known, metres.
const UNKNOWN_ALTITUDE_SIGMA_M: f64 = 1000.0;
/// Extra vertical σ when a pressure altitude stands in for a geodetic one, metres.
const BARO_FOR_GEO_SIGMA_M: f64 = 30.0;

/// The absolute time of a Location timestamp (`seconds_past_hour`) received at `received`:
/// the instant in the previous, same or next UTC hour that is nearest `received`.
pub fn location_time(received: Timestamp, seconds_past_hour: f64) -> Timestamp {
    const HOUR_US: i64 = 3_600_000_000;
    let us = received.as_micros();
    let hour_start = us.div_euclid(HOUR_US) * HOUR_US;
    let offset = (seconds_past_hour * 1e6).round() as i64;
    [hour_start - HOUR_US, hour_start, hour_start + HOUR_US]
        .iter()
        .map(|h| h + offset)
        .min_by_key(|t| (t - us).unsigned_abs())
        .map(Timestamp::from_micros)
        .unwrap_or(received)
}

/// One observation from a Location message; `None` when it has no valid position.
pub fn to_observation(
    location: &Location,
    received: Timestamp,
    rssi_dbm: Option<f64>,
    aircraft: &AircraftContext<'_>,
    ctx: &ObservationContext,
) -> Option<Observation> {
    let (lat, lon) = (location.lat?, location.lon?);
    let sigma_h = location
        .horizontal_accuracy
        .bound_m()
        .map(|b| b / 2.448)
        .unwrap_or(ctx.default_sigma_horizontal_m);
    let sigma_geo = location
        .vertical_accuracy
        .bound_m()
        .map(|b| b / 1.96)
        .unwrap_or(ctx.default_sigma_vertical_m);
    let operator_alt = aircraft.system.and_then(|s| s.operator_alt_geo_m);
    let (alt_hae_m, sigma_v) = if let Some(a) = location.alt_geo_m {
        (a, sigma_geo)
    } else if let Some(a) = location.alt_baro_m {
        let s = location
            .baro_accuracy
            .bound_m()
            .map(|b| b / 1.96)
            .unwrap_or(ctx.default_sigma_vertical_m);
        (a, s.hypot(BARO_FOR_GEO_SIGMA_M))
    } else if let (Some(h), Some(op), HeightType::AboveTakeoff) =
        (location.height_m, operator_alt, location.height_type)
    {
        (op + h, ctx.default_sigma_vertical_m)
    } else {
        (0.0, UNKNOWN_ALTITUDE_SIGMA_M)
    };
    let time = location
        .timestamp_s
        .map(|s| location_time(received, s))
        .filter(|t| t.seconds_since(received).abs() <= ctx.max_timestamp_offset_s)
        .unwrap_or(received);
    let velocity = match (location.speed_horizontal_mps, location.direction_deg) {
        (Some(s), Some(d)) => {
            let r = d.to_radians();
            Some([
                s * r.sin(),
                s * r.cos(),
                location.speed_vertical_mps.unwrap_or(0.0),
            ])
        }
        _ => None,
    };
    let operator_position = aircraft.system.and_then(|s| {
        let (la, lo) = (s.operator_lat?, s.operator_lon?);
        // Without an operator altitude, assume the operator stands where the aircraft took off.
        let alt = s
            .operator_alt_geo_m
            .unwrap_or_else(|| match location.height_m {
                Some(h) if location.height_type == HeightType::AboveTakeoff => alt_hae_m - h,
                _ => alt_hae_m,
            });
        Some(GeoPoint::new(la, lo, alt))
    });
    let identity = aircraft
        .basic_id
        .filter(|b| !b.uas_id.is_empty())
        .map(|b| Identity::RemoteId(b.uas_id.to_string()));
    Some(Observation {
        sensor_id: ctx.sensor_id.clone(),
        time,
        measurement: Measurement::position(GeoPoint::new(lat, lon, alt_hae_m), sigma_h, sigma_v),
        identity,
        class_hint: None,
        side: SideFacts {
            operator_position,
            reported_velocity_enu_mps: velocity,
            rssi_dbm,
            ..SideFacts::default()
        },
    })
}

/// Which Basic ID to prefer when an aircraft sends several (protocol 2 allows two).
fn id_rank(b: &BasicId) -> u8 {
    match b.id_type {
        IdType::SerialNumber => 0,
        IdType::CaaRegistrationId => 1,
        IdType::UtmAssignedUuid => 2,
        IdType::SpecificSessionId => 3,
        _ => 4,
    }
}

#[derive(Default)]
struct Sender {
    basic_id: Option<BasicId>,
    system: Option<System>,
}

/// Observations from a capture's records: every Location with a position becomes one,
/// carrying the latest Basic ID and System heard from the same sender address — including
/// those in the same frame (a Message Pack is one broadcast, whatever the order inside it).
/// Quarantined records never contribute. This is the simple per-address view, without spoof
/// evidence or take-off points; inputs use [`crate::Assembler`], which also joins an aircraft
/// across address changes and transports.
pub fn to_observations(records: &[DecodeRecord], ctx: &ObservationContext) -> Vec<Observation> {
    let mut senders: Vec<(Option<MacAddr>, Sender)> = Vec::new();
    let mut out = Vec::new();
    let good = |r: &&DecodeRecord| r.quarantine.is_none() && r.message.is_some();
    let mut rest = records;
    while let Some(first) = rest.first() {
        // One frame's records are contiguous.
        let n = rest
            .iter()
            .take_while(|r| r.frame == first.frame && r.mac == first.mac)
            .count();
        let (frame, tail) = rest.split_at(n);
        rest = tail;
        let idx = match senders.iter().position(|(m, _)| *m == first.mac) {
            Some(i) => i,
            None => {
                senders.push((first.mac, Sender::default()));
                senders.len() - 1
            }
        };
        let s = &mut senders[idx].1;
        for r in frame.iter().filter(good) {
            match &r.message {
                Some(RecordMessage::BasicId(b))
                    if s.basic_id.is_none_or(|old| id_rank(b) <= id_rank(&old)) =>
                {
                    s.basic_id = Some(*b);
                }
                Some(RecordMessage::System(sys)) => s.system = Some(*sys),
                _ => {}
            }
        }
        for r in frame.iter().filter(good) {
            let (Some(RecordMessage::Location(loc)), Some(time)) = (&r.message, r.time) else {
                continue;
            };
            let aircraft = AircraftContext {
                basic_id: s.basic_id.as_ref(),
                system: s.system.as_ref(),
            };
            out.extend(to_observation(
                loc,
                time,
                r.rssi_dbm.map(f64::from),
                &aircraft,
                ctx,
            ));
        }
    }
    out
}
