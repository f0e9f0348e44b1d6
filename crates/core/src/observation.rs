//! What a sensor saw: one detection with its time of validity, measurement, uncertainty,
//! identity claims and side facts. Every ingest adapter produces these.

use crate::{GeoPoint, SensorId, Timestamp, UnitId};
use serde::{Deserialize, Serialize};

/// What kind of object a track or a detection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetClass {
    /// An uncrewed aircraft.
    Drone,
    /// A bird or a flock.
    Bird,
    /// A crewed aircraft (aeroplane, helicopter).
    MannedAircraft,
    /// Not (yet) known.
    Unknown,
}

impl TargetClass {
    /// The word an officer reads.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetClass::Drone => "drone",
            TargetClass::Bird => "bird",
            TargetClass::MannedAircraft => "manned aircraft",
            TargetClass::Unknown => "unknown",
        }
    }
}

/// A sensor's own classification of a detection (e.g. radar micro-Doppler), with confidence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassHint {
    /// The class the sensor claims.
    pub class: TargetClass,
    /// The sensor's confidence in [0, 1].
    pub confidence: f32,
}

/// An identity a detection carries. Claimed, never trusted without evidence.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// A Remote ID UAS ID (serial number, session id, ...).
    RemoteId(String),
    /// A Mode S / ADS-B ICAO 24-bit address.
    Icao(u32),
    /// A SAPIENT node's object id.
    SapientObject {
        /// The reporting node.
        node: String,
        /// The node's object id.
        object: String,
    },
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::RemoteId(s) => write!(f, "Remote ID {s}"),
            Identity::Icao(a) => write!(f, "ICAO {a:06X}"),
            Identity::SapientObject { node, object } => write!(f, "SAPIENT {node}/{object}"),
        }
    }
}

/// The measurement itself, in the sensor's natural coordinates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Measurement {
    /// A WGS-84 position (Remote ID, ADS-B, SAPIENT location).
    Position {
        /// The reported position.
        position: GeoPoint,
        /// Covariance in the local East-North-Up axes, m², row-major 3×3.
        cov_enu_m2: [[f64; 3]; 3],
    },
    /// Range, azimuth and elevation from a sensor at a known position (radar).
    RangeAzEl {
        /// Where the sensor stood when it measured.
        sensor_position: GeoPoint,
        /// Slant range, metres.
        range_m: f64,
        /// Azimuth, degrees clockwise from true north.
        azimuth_deg: f64,
        /// Elevation above the local horizontal, degrees.
        elevation_deg: f64,
        /// 1-σ range error, metres.
        sigma_range_m: f64,
        /// 1-σ azimuth error, degrees.
        sigma_azimuth_deg: f64,
        /// 1-σ elevation error, degrees.
        sigma_elevation_deg: f64,
    },
    /// A bearing only (RF direction finder, acoustic array).
    Bearing {
        /// Where the sensor stood when it measured.
        sensor_position: GeoPoint,
        /// Bearing, degrees clockwise from true north.
        bearing_deg: f64,
        /// 1-σ bearing error, degrees.
        sigma_bearing_deg: f64,
    },
}

impl Measurement {
    /// A position measurement with independent horizontal and vertical 1-σ errors.
    pub fn position(position: GeoPoint, sigma_h_m: f64, sigma_v_m: f64) -> Self {
        let h = sigma_h_m * sigma_h_m;
        let v = sigma_v_m * sigma_v_m;
        Measurement::Position {
            position,
            cov_enu_m2: [[h, 0.0, 0.0], [0.0, h, 0.0], [0.0, 0.0, v]],
        }
    }
}

/// Facts that come with a detection but are not the target's position.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SideFacts {
    /// Where the pilot / operator stands, when the target says so (Remote ID System message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_position: Option<GeoPoint>,
    /// Velocity the target reports of itself, ENU m/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_velocity_enu_mps: Option<[f64; 3]>,
    /// Received signal strength, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi_dbm: Option<f64>,
    /// A callsign or flight id the target broadcasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// Where the target says it took off (Remote ID System message, operator location type
    /// "take-off").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_off_position: Option<GeoPoint>,
    /// Evidence that what the target broadcasts about itself is false (spoofed or implausible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoof: Option<SpoofEvidence>,
}

/// Why a cooperative target's own reports are not to be believed, and how strongly.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpoofEvidence {
    /// Combined score in [0, 1]: 0 = nothing suspicious, 1 = certainly false.
    pub score: f64,
    /// Each finding in words an officer understands, strongest first.
    pub reasons: Vec<String>,
}

/// One detection by one sensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The sensor that made it.
    pub sensor_id: SensorId,
    /// Time of validity (when the target was where the measurement says), UTC.
    pub time: Timestamp,
    /// What was measured, with its uncertainty.
    pub measurement: Measurement,
    /// The identity the detection claims, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// The sensor's own classification, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_hint: Option<ClassHint>,
    /// Side facts (operator position, RSSI, reported velocity, callsign).
    #[serde(default)]
    pub side: SideFacts,
}

/// A friendly unit reporting where it is (TAK SA or its stand-in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitPosition {
    /// Which protected unit.
    pub unit_id: UnitId,
    /// When it was there.
    pub time: Timestamp,
    /// Where it was.
    pub position: GeoPoint,
}

/// Anything an input adapter hands to the pipeline.
// Observations are by far the common variant: boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// A detection of a (possibly hostile) object.
    Observation(Observation),
    /// A friendly unit's own position report.
    UnitPosition(UnitPosition),
}

impl Input {
    /// The time of validity of the input.
    pub fn time(&self) -> Timestamp {
        match self {
            Input::Observation(o) => o.time,
            Input::UnitPosition(u) => u.time,
        }
    }
}
