//! SAPIENT DetectionReports → [`Observation`]s.
//!
//! A node declares its units, datum and class taxonomy once, in its Registration
//! ([`NodeProfile::from_registration`]); its position comes with every StatusReport
//! ([`node_position`]). A DetectionReport then becomes an observation: a WGS-84 position
//! (`Location`) or a range/azimuth/elevation from the node (`RangeBearing`), its errors as
//! 1-σ, the object id as identity, the classification as a [`ClassHint`] and the ENU velocity
//! as the reported velocity.

use crate::proto::registration::{self, location_type, velocity_type, DetectionDefinition};
use crate::proto::{
    detection_report::{DetectionReportClassification, LocationOneof, SubClass, VelocityOneof},
    sapient_message::Content,
    DetectionReport, Location, LocationCoordinateSystem, LocationDatum, RangeBearing,
    RangeBearingCoordinateSystem, RangeBearingDatum, Registration, SapientMessage, SpeedUnits,
    StatusReport,
};
use crate::reply::timestamp_from_proto;
use crate::utm::{grid_convergence_deg, utm_to_geodetic, UtmZone};
use picket_core::{
    ClassHint, GeoPoint, Identity, Measurement, Observation, SensorId, SideFacts, TargetClass,
};

/// Metres per degree of latitude (mean), for converting angular errors to metres.
const M_PER_DEG: f64 = 111_320.0;
/// Mean Earth radius, metres, for converting radian errors to metres.
const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// Units, datum and UTM zone a node uses for `Location`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocationFrame {
    /// Coordinate system, when declared.
    pub coordinate_system: Option<LocationCoordinateSystem>,
    /// Datum, when declared.
    pub datum: Option<LocationDatum>,
    /// UTM zone text (e.g. "30U"), when declared.
    pub zone: Option<String>,
}

/// Units and north a node uses for `RangeBearing`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeBearingFrame {
    /// Angle and distance units, when declared.
    pub coordinate_system: Option<RangeBearingCoordinateSystem>,
    /// Which north, when declared.
    pub datum: Option<RangeBearingDatum>,
}

/// What a node declared about itself in its Registration, as needed to read its reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeProfile {
    /// The node's UUID (the Registration's `node_id`).
    pub node_id: String,
    /// Its name, if given.
    pub name: Option<String>,
    /// Its node types (radar, camera, ...).
    pub node_types: Vec<registration::NodeType>,
    /// Frame of the node's own location in StatusReports (`location_definition`).
    pub node_location: LocationFrame,
    /// Frame of detection `Location`s (first detection definition giving location units).
    pub detection_location: LocationFrame,
    /// Frame of detection `RangeBearing`s.
    pub detection_range_bearing: RangeBearingFrame,
    /// Units of ENU velocity east/north rates (m/s when unspecified).
    pub velocity_units: Option<SpeedUnits>,
    /// Units of ENU velocity up rates (as east/north when unspecified).
    pub up_velocity_units: Option<SpeedUnits>,
    /// The class taxonomy the node may report, one `Class/Sub/Sub` path per entry.
    pub classes: Vec<String>,
}

fn location_frame(lt: &registration::LocationType) -> (LocationFrame, RangeBearingFrame) {
    let mut l = LocationFrame {
        zone: lt.zone.clone().filter(|z| !z.trim().is_empty()),
        ..LocationFrame::default()
    };
    let mut rb = RangeBearingFrame::default();
    match lt.coordinates_oneof {
        Some(location_type::CoordinatesOneof::LocationUnits(u)) => {
            l.coordinate_system = known(LocationCoordinateSystem::try_from(u).ok())
        }
        Some(location_type::CoordinatesOneof::RangeBearingUnits(u)) => {
            rb.coordinate_system = known(RangeBearingCoordinateSystem::try_from(u).ok())
        }
        None => {}
    }
    match lt.datum_oneof {
        Some(location_type::DatumOneof::LocationDatum(d)) => {
            l.datum = known(LocationDatum::try_from(d).ok())
        }
        Some(location_type::DatumOneof::RangeBearingDatum(d)) => {
            rb.datum = known(RangeBearingDatum::try_from(d).ok())
        }
        None => {}
    }
    (l, rb)
}

/// `None` for an enumeration's UNSPECIFIED (0) value.
fn known<T: Copy + Into<i32>>(v: Option<T>) -> Option<T> {
    v.filter(|v| (*v).into() != 0)
}

impl NodeProfile {
    /// Reads what matters from a node's Registration (sent by `node_id`).
    pub fn from_registration(node_id: &str, reg: &Registration) -> Self {
        let mut p = NodeProfile {
            node_id: node_id.to_owned(),
            name: reg.name.clone().or_else(|| reg.short_name.clone()),
            node_types: reg
                .node_definition
                .iter()
                .filter_map(|n| n.node_type)
                .filter_map(|t| registration::NodeType::try_from(t).ok())
                .collect(),
            ..NodeProfile::default()
        };
        if let Some(lt) = reg
            .status_definition
            .as_ref()
            .and_then(|s| s.location_definition.as_ref())
        {
            p.node_location = location_frame(lt).0;
        }
        // The default mode's definitions first, then the others in order.
        let mut modes: Vec<_> = reg.mode_definition.iter().collect();
        modes.sort_by_key(|m| m.mode_type != Some(registration::ModeType::Default as i32));
        let defs: Vec<&DetectionDefinition> = modes
            .iter()
            .flat_map(|m| m.detection_definition.iter())
            .collect();
        for d in &defs {
            let Some(lt) = &d.location_type else { continue };
            let (l, rb) = location_frame(lt);
            if p.detection_location.coordinate_system.is_none() && l.coordinate_system.is_some() {
                p.detection_location = l;
            }
            if p.detection_range_bearing.coordinate_system.is_none()
                && rb.coordinate_system.is_some()
            {
                p.detection_range_bearing = rb;
            }
        }
        if let Some(units) = defs.iter().find_map(|d| {
            match d.velocity_type.as_ref()?.velocity_units_oneof.as_ref()? {
                velocity_type::VelocityUnitsOneof::EnuVelocityUnits(u) => Some(*u),
            }
        }) {
            p.velocity_units = known(
                units
                    .east_north_rate_units
                    .and_then(|u| SpeedUnits::try_from(u).ok()),
            );
            p.up_velocity_units = known(
                units
                    .up_rate_units
                    .and_then(|u| SpeedUnits::try_from(u).ok()),
            );
        }
        for d in &defs {
            for cd in &d.detection_class_definition {
                for c in &cd.class_definition {
                    let Some(name) = c.r#type.as_deref() else {
                        continue;
                    };
                    push_class_paths(&mut p.classes, name, &c.sub_class, 0);
                }
            }
        }
        p.classes.sort();
        p.classes.dedup();
        p
    }
}

fn push_class_paths(
    out: &mut Vec<String>,
    prefix: &str,
    subs: &[registration::SubClass],
    depth: usize,
) {
    out.push(prefix.to_owned());
    // Protobuf's own recursion limit already bounds this; the depth cap keeps the list small.
    if depth >= 16 {
        return;
    }
    for s in subs {
        if let Some(t) = s.r#type.as_deref() {
            push_class_paths(out, &format!("{prefix}/{t}"), &s.sub_class, depth + 1);
        }
    }
}

/// Site-specific knowledge and defaults the mapping needs.
#[derive(Clone, Debug, PartialEq)]
pub struct MappingOptions {
    /// Horizontal 1-σ when a location has no x/y error, metres.
    pub default_sigma_h_m: f64,
    /// Vertical 1-σ when a location has no z error, metres.
    pub default_sigma_v_m: f64,
    /// Vertical 1-σ when a location has no altitude at all (the node's own altitude is
    /// used, or 0 m), metres.
    pub unknown_height_sigma_m: f64,
    /// Range 1-σ when a range-bearing has none, metres.
    pub default_sigma_range_m: f64,
    /// Azimuth 1-σ when a range-bearing has none, degrees.
    pub default_sigma_azimuth_deg: f64,
    /// Elevation 1-σ when a range-bearing has an elevation without error, degrees.
    pub default_sigma_elevation_deg: f64,
    /// Elevation 1-σ when a range-bearing has no elevation (it is then 0°), degrees.
    pub unknown_elevation_sigma_deg: f64,
    /// Geoid height above the ellipsoid at the site (EGM), metres, for `WGS84_G` altitudes.
    /// When unknown, geoid altitudes are taken as ellipsoidal and the vertical error grows
    /// by `unknown_geoid_sigma_m`.
    pub geoid_undulation_m: Option<f64>,
    /// Extra vertical 1-σ for geoid altitudes when the undulation is unknown, metres.
    pub unknown_geoid_sigma_m: f64,
    /// Magnetic declination at the site, degrees east; needed for `MAGNETIC` azimuths.
    pub magnetic_declination_deg: Option<f64>,
    /// The node's platform heading, degrees true; needed for `PLATFORM` azimuths.
    pub platform_heading_deg: Option<f64>,
}

impl Default for MappingOptions {
    fn default() -> Self {
        MappingOptions {
            default_sigma_h_m: 10.0,
            default_sigma_v_m: 15.0,
            unknown_height_sigma_m: 300.0,
            default_sigma_range_m: 10.0,
            default_sigma_azimuth_deg: 2.0,
            default_sigma_elevation_deg: 3.0,
            unknown_elevation_sigma_deg: 15.0,
            geoid_undulation_m: None,
            unknown_geoid_sigma_m: 60.0,
            magnetic_declination_deg: None,
            platform_heading_deg: None,
        }
    }
}

/// Why a report could not become an observation (or a node position).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MapError {
    /// The message is not a DetectionReport.
    #[error("message is not a DetectionReport")]
    NotADetection,
    /// The envelope has no usable timestamp.
    #[error("message has no valid timestamp")]
    NoTimestamp,
    /// The report has no object id.
    #[error("detection_report.object_id is missing")]
    NoObjectId,
    /// The report has neither location nor range-bearing.
    #[error("detection_report has neither location nor range_bearing")]
    NoLocation,
    /// A coordinate the measurement needs is absent.
    #[error("`{0}` is missing")]
    MissingField(&'static str),
    /// Neither the report nor the node's registration says which units or datum apply.
    #[error("`{0}` is unspecified in the report and in the node's registration")]
    Unspecified(&'static str),
    /// A UTM location without a usable zone.
    #[error("UTM zone {0:?} is missing or not of the form `30U` (number and latitude band)")]
    UtmZone(Option<String>),
    /// A range-bearing from a node whose position is not known yet.
    #[error("range-bearing needs the node's position; no StatusReport with node_location yet")]
    NoNodePosition,
    /// A `MAGNETIC` azimuth without the site's declination.
    #[error("azimuth is magnetic but no magnetic declination is configured")]
    NoDeclination,
    /// A `PLATFORM` azimuth without the platform heading.
    #[error("azimuth is platform-relative but the platform heading is unknown")]
    NoPlatformHeading,
    /// The numbers do not make a position or a measurement (NaN, out of range, negative
    /// range).
    #[error("{0} is not a valid value")]
    Invalid(&'static str),
}

/// An observation and the SAPIENT facts that have no place in [`Observation`].
#[derive(Clone, Debug, PartialEq)]
pub struct DetectionObservation {
    /// The observation for fusion.
    pub observation: Observation,
    /// `detection_confidence` (0..1) — how sure the node is that something is there.
    pub detection_confidence: Option<f32>,
    /// The classification path chosen (`["Air Vehicle", "UAV", "Multirotor"]`), with each
    /// level's confidence.
    pub class_path: Vec<(String, Option<f32>)>,
    /// The report's ULID.
    pub report_id: Option<String>,
    /// A special state such as "lost".
    pub state: Option<String>,
}

/// The node's position from a StatusReport's `node_location`, read in the node's declared
/// frame.
pub fn node_position(
    status: &StatusReport,
    profile: &NodeProfile,
    opts: &MappingOptions,
) -> Result<GeoPoint, MapError> {
    let loc = status
        .node_location
        .as_ref()
        .ok_or(MapError::MissingField("status_report.node_location"))?;
    location_to_geo(loc, &profile.node_location, opts, None).map(|(p, _)| p)
}

/// Maps a SapientMessage carrying a DetectionReport; see [`detection_to_observation`].
pub fn message_to_observation(
    msg: &SapientMessage,
    sensor_id: &SensorId,
    profile: &NodeProfile,
    node_position: Option<GeoPoint>,
    opts: &MappingOptions,
) -> Result<DetectionObservation, MapError> {
    let Some(Content::DetectionReport(det)) = &msg.content else {
        return Err(MapError::NotADetection);
    };
    let time = msg
        .timestamp
        .as_ref()
        .and_then(timestamp_from_proto)
        .ok_or(MapError::NoTimestamp)?;
    let node = msg.node_id.as_deref().unwrap_or(profile.node_id.as_str());
    detection_to_observation(det, node, time, sensor_id, profile, node_position, opts)
}

/// Maps one DetectionReport from node `node_id` (the envelope's `node_id`), sent at `time`
/// (the envelope's timestamp), to an observation by `sensor_id`.
///
/// `node_position` is the node's last reported position (needed for range-bearing reports;
/// its altitude also stands in for a missing detection altitude).
pub fn detection_to_observation(
    det: &DetectionReport,
    node_id: &str,
    time: picket_core::Timestamp,
    sensor_id: &SensorId,
    profile: &NodeProfile,
    node_position: Option<GeoPoint>,
    opts: &MappingOptions,
) -> Result<DetectionObservation, MapError> {
    let object = det
        .object_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(MapError::NoObjectId)?;
    let measurement = match &det.location_oneof {
        None => return Err(MapError::NoLocation),
        Some(LocationOneof::Location(loc)) => {
            let (position, sigma) = location_to_geo(
                loc,
                &profile.detection_location,
                opts,
                node_position.map(|p| p.alt_hae_m),
            )?;
            Measurement::Position {
                position,
                cov_enu_m2: [
                    [sigma[0] * sigma[0], 0.0, 0.0],
                    [0.0, sigma[1] * sigma[1], 0.0],
                    [0.0, 0.0, sigma[2] * sigma[2]],
                ],
            }
        }
        Some(LocationOneof::RangeBearing(rb)) => {
            range_bearing_measurement(rb, profile, node_position, opts)?
        }
    };
    let detection_confidence = det.detection_confidence.filter(|c| c.is_finite());
    let (class_hint, class_path) = classify(&det.classification, detection_confidence);
    let velocity = match &det.velocity_oneof {
        Some(VelocityOneof::EnuVelocity(v)) => match (v.east_rate, v.north_rate) {
            (Some(e), Some(n)) => {
                let k = speed_factor(profile.velocity_units);
                let ku = speed_factor(profile.up_velocity_units.or(profile.velocity_units));
                Some([e * k, n * k, v.up_rate.unwrap_or(0.0) * ku])
                    .filter(|v| v.iter().all(|x| x.is_finite()))
            }
            _ => None,
        },
        None => None,
    };
    let observation = Observation {
        sensor_id: sensor_id.clone(),
        time,
        measurement,
        identity: Some(Identity::SapientObject {
            node: node_id.to_owned(),
            object: object.to_owned(),
        }),
        class_hint,
        side: SideFacts {
            reported_velocity_enu_mps: velocity,
            callsign: det.id.clone().filter(|s| !s.trim().is_empty()),
            ..SideFacts::default()
        },
    };
    Ok(DetectionObservation {
        observation,
        detection_confidence,
        class_path,
        report_id: det.report_id.clone(),
        state: det.state.clone(),
    })
}

fn speed_factor(units: Option<SpeedUnits>) -> f64 {
    match units {
        Some(SpeedUnits::Kph) => 1.0 / 3.6,
        _ => 1.0,
    }
}

fn positive(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite() && *x > 0.0)
}

/// A `Location` as a WGS-84 point with ENU 1-σ errors in metres.
fn location_to_geo(
    loc: &Location,
    frame: &LocationFrame,
    opts: &MappingOptions,
    fallback_alt_m: Option<f64>,
) -> Result<(GeoPoint, [f64; 3]), MapError> {
    let cs = known(
        loc.coordinate_system
            .and_then(|c| LocationCoordinateSystem::try_from(c).ok()),
    )
    .or(frame.coordinate_system)
    .ok_or(MapError::Unspecified("location.coordinate_system"))?;
    let datum = known(loc.datum.and_then(|d| LocationDatum::try_from(d).ok()))
        .or(frame.datum)
        .ok_or(MapError::Unspecified("location.datum"))?;
    let x = loc.x.ok_or(MapError::MissingField("location.x"))?;
    let y = loc.y.ok_or(MapError::MissingField("location.y"))?;
    if !x.is_finite() || !y.is_finite() {
        return Err(MapError::Invalid("location x/y"));
    }
    let (lat, lon, sx_m, sy_m) = match cs {
        LocationCoordinateSystem::LatLngDegM => {
            let k = M_PER_DEG;
            (
                y,
                x,
                loc.x_error.map(|e| e * k * y.to_radians().cos()),
                loc.y_error.map(|e| e * k),
            )
        }
        LocationCoordinateSystem::LatLngRadM => {
            let (lat, lon) = (y.to_degrees(), x.to_degrees());
            let r = EARTH_RADIUS_M;
            (
                lat,
                lon,
                loc.x_error.map(|e| e * r * y.cos()),
                loc.y_error.map(|e| e * r),
            )
        }
        LocationCoordinateSystem::UtmM => {
            let text = loc
                .utm_zone
                .clone()
                .filter(|z| !z.trim().is_empty())
                .or_else(|| frame.zone.clone());
            let zone = text
                .as_deref()
                .and_then(UtmZone::parse)
                .ok_or_else(|| MapError::UtmZone(text.clone()))?;
            let (lat, lon) = utm_to_geodetic(x, y, zone);
            (lat, lon, loc.x_error, loc.y_error)
        }
        LocationCoordinateSystem::Unspecified => {
            return Err(MapError::Unspecified("location.coordinate_system"))
        }
    };
    let (mut alt, mut sv) = match loc.z.filter(|z| z.is_finite()) {
        Some(z) => (z, positive(loc.z_error).unwrap_or(opts.default_sigma_v_m)),
        None => (fallback_alt_m.unwrap_or(0.0), opts.unknown_height_sigma_m),
    };
    if datum == LocationDatum::Wgs84G && loc.z.is_some() {
        match opts.geoid_undulation_m {
            Some(n) => alt += n,
            None => sv = sv.hypot(opts.unknown_geoid_sigma_m),
        }
    }
    let p = GeoPoint::new(lat, lon, alt);
    if !p.is_valid() {
        return Err(MapError::Invalid("location"));
    }
    let sx = positive(sx_m).unwrap_or(opts.default_sigma_h_m);
    let sy = positive(sy_m).unwrap_or(opts.default_sigma_h_m);
    Ok((p, [sx, sy, sv]))
}

fn range_bearing_measurement(
    rb: &RangeBearing,
    profile: &NodeProfile,
    node_position: Option<GeoPoint>,
    opts: &MappingOptions,
) -> Result<Measurement, MapError> {
    let frame = &profile.detection_range_bearing;
    let cs = known(
        rb.coordinate_system
            .and_then(|c| RangeBearingCoordinateSystem::try_from(c).ok()),
    )
    .or(frame.coordinate_system)
    .ok_or(MapError::Unspecified("range_bearing.coordinate_system"))?;
    let datum = known(rb.datum.and_then(|d| RangeBearingDatum::try_from(d).ok()))
        .or(frame.datum)
        .ok_or(MapError::Unspecified("range_bearing.datum"))?;
    let sensor = node_position.ok_or(MapError::NoNodePosition)?;
    let (deg_per_unit, m_per_unit) = match cs {
        RangeBearingCoordinateSystem::DegreesM => (1.0, 1.0),
        RangeBearingCoordinateSystem::RadiansM => (180.0 / std::f64::consts::PI, 1.0),
        RangeBearingCoordinateSystem::DegreesKm => (1.0, 1000.0),
        RangeBearingCoordinateSystem::RadiansKm => (180.0 / std::f64::consts::PI, 1000.0),
        RangeBearingCoordinateSystem::Unspecified => {
            return Err(MapError::Unspecified("range_bearing.coordinate_system"))
        }
    };
    let az = rb
        .azimuth
        .ok_or(MapError::MissingField("range_bearing.azimuth"))?
        * deg_per_unit;
    let north_offset = match datum {
        RangeBearingDatum::True => 0.0,
        RangeBearingDatum::Magnetic => opts
            .magnetic_declination_deg
            .ok_or(MapError::NoDeclination)?,
        RangeBearingDatum::Grid => {
            let zone = profile
                .node_location
                .zone
                .as_deref()
                .and_then(UtmZone::parse)
                .unwrap_or_else(|| UtmZone::of(sensor.lat_deg, sensor.lon_deg));
            grid_convergence_deg(sensor.lat_deg, sensor.lon_deg, zone)
        }
        RangeBearingDatum::Platform => opts
            .platform_heading_deg
            .ok_or(MapError::NoPlatformHeading)?,
        RangeBearingDatum::Unspecified => return Err(MapError::Unspecified("range_bearing.datum")),
    };
    let azimuth_deg = (az + north_offset).rem_euclid(360.0);
    if !azimuth_deg.is_finite() {
        return Err(MapError::Invalid("range_bearing.azimuth"));
    }
    let sigma_azimuth_deg = positive(rb.azimuth_error.map(|e| e * deg_per_unit))
        .unwrap_or(opts.default_sigma_azimuth_deg);
    let Some(range) = rb.range else {
        return Ok(Measurement::Bearing {
            sensor_position: sensor,
            bearing_deg: azimuth_deg,
            sigma_bearing_deg: sigma_azimuth_deg,
        });
    };
    let range_m = range * m_per_unit;
    if !range_m.is_finite() || range_m < 0.0 {
        return Err(MapError::Invalid("range_bearing.range"));
    }
    let (elevation_deg, sigma_elevation_deg) = match rb.elevation.map(|e| e * deg_per_unit) {
        Some(e) if e.is_finite() && (-90.0..=90.0).contains(&e) => (
            e,
            positive(rb.elevation_error.map(|x| x * deg_per_unit))
                .unwrap_or(opts.default_sigma_elevation_deg),
        ),
        Some(_) => return Err(MapError::Invalid("range_bearing.elevation")),
        None => (0.0, opts.unknown_elevation_sigma_deg),
    };
    Ok(Measurement::RangeAzEl {
        sensor_position: sensor,
        range_m,
        azimuth_deg,
        elevation_deg,
        sigma_range_m: positive(rb.range_error.map(|e| e * m_per_unit))
            .unwrap_or(opts.default_sigma_range_m),
        sigma_azimuth_deg,
        sigma_elevation_deg,
    })
}

/// The class a name in a SAPIENT taxonomy stands for, by keyword.
pub fn class_of_name(name: &str) -> TargetClass {
    let n = name.to_ascii_lowercase();
    const DRONE: &[&str] = &[
        "uav",
        "uas",
        "drone",
        "rpas",
        "multirotor",
        "multi-rotor",
        "multi rotor",
        "quadcopter",
        "quadrotor",
        "hexacopter",
        "octocopter",
        "unmanned",
        "fpv",
        "loitering munition",
    ];
    const BIRD: &[&str] = &["bird", "avian"];
    const MANNED: &[&str] = &[
        "manned",
        "aircraft",
        "aeroplane",
        "airplane",
        "airliner",
        "helicopter",
        "glider",
    ];
    if DRONE.iter().any(|k| n.contains(k)) {
        TargetClass::Drone
    } else if BIRD.iter().any(|k| n.contains(k)) {
        TargetClass::Bird
    } else if MANNED.iter().any(|k| n.contains(k)) {
        TargetClass::MannedAircraft
    } else {
        TargetClass::Unknown
    }
}

/// Picks the most confident classification and, below it, the most confident sub-class at
/// each level; the most specific level naming a known class sets the hint, with that level's
/// confidence (or its nearest parent's, or the detection confidence).
fn classify(
    classes: &[DetectionReportClassification],
    detection_confidence: Option<f32>,
) -> (Option<ClassHint>, Vec<(String, Option<f32>)>) {
    let conf = |c: Option<f32>| c.filter(|x| x.is_finite()).unwrap_or(-1.0);
    let Some(top) = classes
        .iter()
        .filter(|c| c.r#type.is_some())
        .max_by(|a, b| conf(a.confidence).total_cmp(&conf(b.confidence)))
    else {
        return (None, Vec::new());
    };
    let mut path = vec![(top.r#type.clone().unwrap_or_default(), top.confidence)];
    let mut subs: &[SubClass] = &top.sub_class;
    while path.len() < 16 {
        let Some(s) = subs
            .iter()
            .filter(|s| s.r#type.is_some())
            .max_by(|a, b| conf(a.confidence).total_cmp(&conf(b.confidence)))
        else {
            break;
        };
        path.push((s.r#type.clone().unwrap_or_default(), s.confidence));
        subs = &s.sub_class;
    }
    let hint = path
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, (name, _))| match class_of_name(name) {
            TargetClass::Unknown => None,
            class => Some((i, class)),
        })
        .map(|(i, class)| {
            let confidence = path[..=i]
                .iter()
                .rev()
                .find_map(|(_, c)| c.filter(|x| x.is_finite()))
                .or(detection_confidence)
                .unwrap_or(0.5)
                .clamp(0.0, 1.0);
            ClassHint { class, confidence }
        });
    (hint, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(t: &str, c: Option<f32>, subs: Vec<SubClass>) -> DetectionReportClassification {
        DetectionReportClassification {
            r#type: Some(t.into()),
            confidence: c,
            sub_class: subs,
        }
    }

    fn sub(t: &str, c: Option<f32>, level: i32) -> SubClass {
        SubClass {
            r#type: Some(t.into()),
            confidence: c,
            level: Some(level),
            sub_class: vec![],
        }
    }

    #[test]
    fn the_most_specific_known_class_sets_the_hint_with_its_confidence() {
        let c = [class(
            "Air Vehicle",
            Some(0.9),
            vec![sub("UAV", Some(0.7), 1)],
        )];
        let (hint, path) = classify(&c, None);
        assert_eq!(
            hint,
            Some(ClassHint {
                class: TargetClass::Drone,
                confidence: 0.7
            })
        );
        assert_eq!(path.len(), 2);
    }

    #[test]
    fn unmanned_is_a_drone_not_a_manned_aircraft() {
        assert_eq!(class_of_name("Unmanned Aerial Vehicle"), TargetClass::Drone);
        assert_eq!(
            class_of_name("Fixed-wing aircraft"),
            TargetClass::MannedAircraft
        );
        assert_eq!(class_of_name("Bird"), TargetClass::Bird);
        assert_eq!(class_of_name("Human"), TargetClass::Unknown);
    }

    #[test]
    fn a_class_outside_the_air_taxonomy_gives_no_hint_but_keeps_its_path() {
        let c = [class("Human", Some(0.8), vec![sub("Male", Some(0.6), 1)])];
        let (hint, path) = classify(&c, Some(0.9));
        assert_eq!(hint, None);
        assert_eq!(
            path,
            vec![("Human".into(), Some(0.8)), ("Male".into(), Some(0.6))]
        );
    }

    #[test]
    fn the_most_confident_of_several_classifications_wins() {
        let c = [
            class("Bird", Some(0.2), vec![]),
            class("Drone", Some(0.75), vec![]),
        ];
        let (hint, _) = classify(&c, None);
        assert_eq!(hint.map(|h| h.class), Some(TargetClass::Drone));
    }
}
