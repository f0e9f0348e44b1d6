//! Picket's JSON-lines observation format: the documented stand-in wire format that sensors
//! without a codec of their own speak (see `docs/observations.md`). One line in, one
//! [`picket_core::Input`] out; and the encoder the simulator uses.
//!
//! Not for: real sensor wire formats (Remote ID, Mode S, SAPIENT have their own codecs), I/O.
//! Lines are attacker-controlled: length is bounded, every number is checked, errors are typed.
#![deny(missing_docs)]

use picket_core::{
    ClassHint, GeoPoint, Identity, Input, Measurement, Observation, SensorId, SideFacts,
    TargetClass, Timestamp, UnitId, UnitPosition,
};
use serde::{Deserialize, Serialize};

/// Longest line accepted, bytes. Anything longer is rejected before parsing.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Why a line was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ObsJsonError {
    /// Longer than [`MAX_LINE_BYTES`].
    #[error("line is {0} bytes, longer than the {MAX_LINE_BYTES}-byte limit")]
    TooLong(usize),
    /// Not JSON, or not the documented shape.
    #[error("not a valid observation record: {0}")]
    Json(String),
    /// A `time` that is not RFC 3339.
    #[error("bad `time`: {0}")]
    Time(String),
    /// A detection with no, or more than one, measurement.
    #[error(
        "a detection needs exactly one of `position`, `range_m`+`azimuth_deg`, or `bearing_deg`"
    )]
    Measurement,
    /// A radar or bearing measurement on a sensor with no known position.
    #[error(
        "`{0}` measurements need the sensor's position: set `position` for sensor in the config"
    )]
    NoSensorPosition(&'static str),
    /// A number out of range or not finite.
    #[error("`{field}` = {value} is out of range ({expect})")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
        /// What is allowed.
        expect: &'static str,
    },
    /// The line names another sensor than the input it arrived on.
    #[error("line names sensor `{named}` but arrived on the input of sensor `{input}`")]
    WrongSensor {
        /// Named in the line.
        named: String,
        /// The input's sensor.
        input: String,
    },
    /// An ICAO address that is not six hex digits.
    #[error("`icao` must be six hex digits, got `{0}`")]
    Icao(String),
}

/// What the decoder knows about the sensor an input belongs to.
#[derive(Clone, Debug)]
pub struct SensorContext {
    /// The sensor's id from the config.
    pub sensor_id: SensorId,
    /// Its position, needed for range/azimuth and bearing measurements.
    pub position: Option<GeoPoint>,
}

/// The wire record (one JSON object per line).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// `detection` (default) or `unit_position`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// Sensor id (optional; must match the input's sensor when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
    /// Time of validity, RFC 3339.
    pub time: String,
    /// Unit id (unit_position records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// WGS-84 position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<GeoPoint>,
    /// Horizontal 1-σ, metres (position measurements; default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_h_m: Option<f64>,
    /// Vertical 1-σ, metres (position measurements; default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_v_m: Option<f64>,
    /// Slant range, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_m: Option<f64>,
    /// Azimuth, degrees from true north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azimuth_deg: Option<f64>,
    /// Elevation, degrees (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation_deg: Option<f64>,
    /// Range 1-σ, metres (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_range_m: Option<f64>,
    /// Azimuth 1-σ, degrees (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_azimuth_deg: Option<f64>,
    /// Elevation 1-σ, degrees (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_elevation_deg: Option<f64>,
    /// Bearing, degrees from true north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
    /// Bearing 1-σ, degrees (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_bearing_deg: Option<f64>,
    /// Remote ID UAS ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// ICAO address, six hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icao: Option<String>,
    /// Callsign / flight id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// Operator (pilot) position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<GeoPoint>,
    /// Reported velocity, ENU m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity_enu_mps: Option<[f64; 3]>,
    /// RSSI, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi_dbm: Option<f64>,
    /// Sensor classification: drone | bird | manned_aircraft | unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<TargetClass>,
    /// Confidence of `class` in [0, 1] (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_confidence: Option<f32>,
}

fn check(
    field: &'static str,
    v: f64,
    lo: f64,
    hi: f64,
    expect: &'static str,
) -> Result<f64, ObsJsonError> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(ObsJsonError::OutOfRange {
            field,
            value: v,
            expect,
        })
    }
}

fn check_point(field: &'static str, p: GeoPoint) -> Result<GeoPoint, ObsJsonError> {
    check(field, p.lat_deg, -90.0, 90.0, "latitude −90…90")?;
    check(field, p.lon_deg, -180.0, 180.0, "longitude −180…180")?;
    check(
        field,
        p.alt_hae_m,
        -1_000.0,
        100_000.0,
        "height −1 km…100 km",
    )?;
    Ok(p)
}

fn sigma(field: &'static str, v: Option<f64>, default: f64) -> Result<f64, ObsJsonError> {
    check(field, v.unwrap_or(default), 1e-3, 1e5, "a positive 1-σ")
}

/// Decode one line arriving on the input of the sensor described by `ctx`.
pub fn decode_line(line: &str, ctx: &SensorContext) -> Result<Input, ObsJsonError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(ObsJsonError::TooLong(line.len()));
    }
    let r: Record = serde_json::from_str(line).map_err(|e| ObsJsonError::Json(e.to_string()))?;
    if let Some(named) = &r.sensor {
        if named != &ctx.sensor_id.0 {
            return Err(ObsJsonError::WrongSensor {
                named: named.chars().take(64).collect(),
                input: ctx.sensor_id.0.clone(),
            });
        }
    }
    let time = Timestamp::parse_rfc3339(&r.time).map_err(|e| ObsJsonError::Time(e.to_string()))?;
    match r.record_type.as_deref() {
        None | Some("detection") => {}
        Some("unit_position") => {
            let unit = r
                .unit
                .ok_or_else(|| ObsJsonError::Json("a unit_position record needs `unit`".into()))?;
            let position = check_point(
                "position",
                r.position.ok_or_else(|| {
                    ObsJsonError::Json("a unit_position record needs `position`".into())
                })?,
            )?;
            return Ok(Input::UnitPosition(UnitPosition {
                unit_id: UnitId(unit),
                time,
                position,
            }));
        }
        Some(other) => {
            return Err(ObsJsonError::Json(format!(
                "unknown `type` `{}` (expected detection or unit_position)",
                other.chars().take(32).collect::<String>()
            )))
        }
    }
    let kinds = [
        r.position.is_some(),
        r.range_m.is_some(),
        r.bearing_deg.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        return Err(ObsJsonError::Measurement);
    }
    let measurement = if let Some(p) = r.position {
        Measurement::position(
            check_point("position", p)?,
            sigma("sigma_h_m", r.sigma_h_m, 10.0)?,
            sigma("sigma_v_m", r.sigma_v_m, 15.0)?,
        )
    } else if let Some(range_m) = r.range_m {
        let sensor_position = ctx
            .position
            .ok_or(ObsJsonError::NoSensorPosition("range_m"))?;
        Measurement::RangeAzEl {
            sensor_position,
            range_m: check("range_m", range_m, 0.0, 1e6, "0…1000 km")?,
            azimuth_deg: check(
                "azimuth_deg",
                r.azimuth_deg.ok_or(ObsJsonError::Measurement)?,
                -360.0,
                360.0,
                "−360…360",
            )?,
            elevation_deg: check(
                "elevation_deg",
                r.elevation_deg.unwrap_or(0.0),
                -90.0,
                90.0,
                "−90…90",
            )?,
            sigma_range_m: sigma("sigma_range_m", r.sigma_range_m, 5.0)?,
            sigma_azimuth_deg: sigma("sigma_azimuth_deg", r.sigma_azimuth_deg, 1.0)?,
            sigma_elevation_deg: sigma("sigma_elevation_deg", r.sigma_elevation_deg, 1.0)?,
        }
    } else {
        let sensor_position = ctx
            .position
            .ok_or(ObsJsonError::NoSensorPosition("bearing_deg"))?;
        Measurement::Bearing {
            sensor_position,
            bearing_deg: check(
                "bearing_deg",
                r.bearing_deg.ok_or(ObsJsonError::Measurement)?,
                -360.0,
                360.0,
                "−360…360",
            )?,
            sigma_bearing_deg: sigma("sigma_bearing_deg", r.sigma_bearing_deg, 3.0)?,
        }
    };
    let identity = match (r.remote_id, r.icao) {
        (Some(_), Some(_)) => {
            return Err(ObsJsonError::Json(
                "a detection carries `remote_id` or `icao`, not both".into(),
            ))
        }
        (Some(id), None) => {
            if id.is_empty() || id.len() > 64 {
                return Err(ObsJsonError::Json(
                    "`remote_id` must be 1–64 characters".into(),
                ));
            }
            Some(Identity::RemoteId(id))
        }
        (None, Some(hex)) => {
            let ok = hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit());
            let addr = u32::from_str_radix(&hex, 16).ok().filter(|_| ok);
            Some(Identity::Icao(addr.ok_or_else(|| {
                ObsJsonError::Icao(hex.chars().take(16).collect())
            })?))
        }
        (None, None) => None,
    };
    let class_hint = match r.class {
        Some(class) => {
            let c = r.class_confidence.unwrap_or(0.5);
            check("class_confidence", f64::from(c), 0.0, 1.0, "0…1")?;
            Some(ClassHint {
                class,
                confidence: c,
            })
        }
        None => None,
    };
    if let Some(v) = r.velocity_enu_mps {
        for x in v {
            check("velocity_enu_mps", x, -1_000.0, 1_000.0, "±1000 m/s")?;
        }
    }
    if let Some(c) = &r.callsign {
        if c.len() > 32 {
            return Err(ObsJsonError::Json(
                "`callsign` is longer than 32 characters".into(),
            ));
        }
    }
    let side = SideFacts {
        operator_position: r.operator.map(|p| check_point("operator", p)).transpose()?,
        reported_velocity_enu_mps: r.velocity_enu_mps,
        rssi_dbm: r
            .rssi_dbm
            .map(|v| check("rssi_dbm", v, -200.0, 50.0, "−200…50 dBm"))
            .transpose()?,
        callsign: r.callsign,
        ..SideFacts::default()
    };
    Ok(Input::Observation(Observation {
        sensor_id: ctx.sensor_id.clone(),
        time,
        measurement,
        identity,
        class_hint,
        side,
    }))
}

/// Encode an input as one line (no trailing newline). Inverse of [`decode_line`].
pub fn encode(input: &Input) -> String {
    let mut r = Record::default();
    match input {
        Input::UnitPosition(u) => {
            r.record_type = Some("unit_position".into());
            r.unit = Some(u.unit_id.0.clone());
            r.time = u.time.to_rfc3339();
            r.position = Some(u.position);
        }
        Input::Observation(o) => {
            r.sensor = Some(o.sensor_id.0.clone());
            r.time = o.time.to_rfc3339();
            match &o.measurement {
                Measurement::Position {
                    position,
                    cov_enu_m2,
                } => {
                    r.position = Some(*position);
                    r.sigma_h_m = Some(cov_enu_m2[0][0].max(cov_enu_m2[1][1]).sqrt());
                    r.sigma_v_m = Some(cov_enu_m2[2][2].sqrt());
                }
                Measurement::RangeAzEl {
                    range_m,
                    azimuth_deg,
                    elevation_deg,
                    sigma_range_m,
                    sigma_azimuth_deg,
                    sigma_elevation_deg,
                    ..
                } => {
                    r.range_m = Some(*range_m);
                    r.azimuth_deg = Some(*azimuth_deg);
                    r.elevation_deg = Some(*elevation_deg);
                    r.sigma_range_m = Some(*sigma_range_m);
                    r.sigma_azimuth_deg = Some(*sigma_azimuth_deg);
                    r.sigma_elevation_deg = Some(*sigma_elevation_deg);
                }
                Measurement::Bearing {
                    bearing_deg,
                    sigma_bearing_deg,
                    ..
                } => {
                    r.bearing_deg = Some(*bearing_deg);
                    r.sigma_bearing_deg = Some(*sigma_bearing_deg);
                }
            }
            match &o.identity {
                Some(Identity::RemoteId(s)) => r.remote_id = Some(s.clone()),
                Some(Identity::Icao(a)) => r.icao = Some(format!("{a:06X}")),
                Some(Identity::SapientObject { .. }) | None => {}
            }
            if let Some(h) = o.class_hint {
                r.class = Some(h.class);
                r.class_confidence = Some(h.confidence);
            }
            r.operator = o.side.operator_position;
            r.velocity_enu_mps = o.side.reported_velocity_enu_mps;
            r.rssi_dbm = o.side.rssi_dbm;
            r.callsign = o.side.callsign.clone();
        }
    }
    // Serialising plain numbers and strings cannot fail.
    serde_json::to_string(&r).unwrap_or_default()
}

#[cfg(test)]
mod tests;
