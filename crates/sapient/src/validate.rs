//! Mandatory-field checks, with the path of each missing or wrong field
//! (`registration.mode_definition[0].settle_time.units`), so an Error or a rejecting
//! RegistrationAck tells the sensor's integrator exactly what to fix.
//!
//! Only presence and the ICD version are enforced; identifier formats (UUID, ULID) are not,
//! because a detection from a sensor with sloppy ids is still a detection.

use crate::proto::registration::{self, ModeDefinition};
use crate::proto::{
    detection_report::LocationOneof, sapient_message::Content, DetectionReport, Location,
    RangeBearing, Registration, SapientMessage, StatusReport,
};
use crate::ICD_VERSION;
use std::fmt;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// A mandatory field is absent (or empty, or an enumeration left UNSPECIFIED).
    #[error("`{path}` is mandatory but missing")]
    Missing {
        /// Field path, e.g. `registration.capabilities`.
        path: String,
    },
    /// The registration names another ICD version.
    #[error("`{path}` is {found:?}; this fusion node speaks {expected:?}")]
    WrongIcdVersion {
        /// Field path.
        path: String,
        /// What the node sent.
        found: String,
        /// What Picket accepts.
        expected: &'static str,
    },
}

impl ValidationError {
    /// The path of the field at fault.
    pub fn path(&self) -> &str {
        match self {
            ValidationError::Missing { path } | ValidationError::WrongIcdVersion { path, .. } => {
                path
            }
        }
    }
}

/// Every problem found in one message (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl ValidationErrors {
    /// One human-readable line per problem (for `ack_response_reason` / `error_message`).
    pub fn reasons(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

#[derive(Default)]
struct Checker {
    errors: Vec<ValidationError>,
}

impl Checker {
    fn missing(&mut self, path: String) {
        self.errors.push(ValidationError::Missing { path });
    }
    fn string(&mut self, v: &Option<String>, path: impl FnOnce() -> String) {
        if v.as_deref().is_none_or(|s| s.trim().is_empty()) {
            self.missing(path());
        }
    }
    fn present<T>(&mut self, v: &Option<T>, path: impl FnOnce() -> String) {
        if v.is_none() {
            self.missing(path());
        }
    }
    /// An enumeration that must be set to something other than UNSPECIFIED (0).
    fn enumeration(&mut self, v: Option<i32>, path: impl FnOnce() -> String) {
        if v.unwrap_or(0) == 0 {
            self.missing(path());
        }
    }
    fn duration(&mut self, d: &Option<registration::Duration>, path: &str) {
        match d {
            None => self.missing(path.to_owned()),
            Some(d) => {
                self.enumeration(d.units, || format!("{path}.units"));
                self.present(&d.value, || format!("{path}.value"));
            }
        }
    }
    fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }
}

/// Checks the envelope's mandatory fields (timestamp, node id, content) and, for the contents
/// Picket acts on (Registration, StatusReport, DetectionReport), theirs.
pub fn validate_message(msg: &SapientMessage) -> Result<(), ValidationErrors> {
    let mut c = Checker::default();
    c.present(&msg.timestamp, || "timestamp".into());
    c.string(&msg.node_id, || "node_id".into());
    match &msg.content {
        None => c.missing("content".into()),
        Some(Content::Registration(r)) => registration_checks(&mut c, r),
        Some(Content::StatusReport(s)) => status_checks(&mut c, s),
        Some(Content::DetectionReport(d)) => detection_checks(&mut c, d),
        Some(_) => {}
    }
    c.finish()
}

/// Checks a Registration: node definition, ICD version, capabilities, status definition and
/// mode definitions, with their own mandatory parts.
pub fn validate_registration(reg: &Registration) -> Result<(), ValidationErrors> {
    let mut c = Checker::default();
    registration_checks(&mut c, reg);
    c.finish()
}

/// Checks a StatusReport: report id, system, info and mode.
pub fn validate_status_report(status: &StatusReport) -> Result<(), ValidationErrors> {
    let mut c = Checker::default();
    status_checks(&mut c, status);
    c.finish()
}

/// Checks a DetectionReport: report id, object id and a location (or range-bearing) with
/// its coordinate system and datum.
pub fn validate_detection_report(det: &DetectionReport) -> Result<(), ValidationErrors> {
    let mut c = Checker::default();
    detection_checks(&mut c, det);
    c.finish()
}

fn registration_checks(c: &mut Checker, r: &Registration) {
    const P: &str = "registration";
    if r.node_definition.is_empty() {
        c.missing(format!("{P}.node_definition"));
    }
    for (i, n) in r.node_definition.iter().enumerate() {
        c.enumeration(n.node_type, || {
            format!("{P}.node_definition[{i}].node_type")
        });
    }
    match r.icd_version.as_deref().map(str::trim) {
        None | Some("") => c.missing(format!("{P}.icd_version")),
        Some(v) if v != ICD_VERSION => c.errors.push(ValidationError::WrongIcdVersion {
            path: format!("{P}.icd_version"),
            found: v.chars().take(64).collect(),
            expected: ICD_VERSION,
        }),
        Some(_) => {}
    }
    if r.capabilities.is_empty() {
        c.missing(format!("{P}.capabilities"));
    }
    for (i, cap) in r.capabilities.iter().enumerate() {
        c.string(&cap.category, || format!("{P}.capabilities[{i}].category"));
        c.string(&cap.r#type, || format!("{P}.capabilities[{i}].type"));
    }
    match &r.status_definition {
        None => c.missing(format!("{P}.status_definition")),
        Some(s) => c.duration(
            &s.status_interval,
            &format!("{P}.status_definition.status_interval"),
        ),
    }
    if r.mode_definition.is_empty() {
        c.missing(format!("{P}.mode_definition"));
    }
    for (i, m) in r.mode_definition.iter().enumerate() {
        mode_checks(c, m, &format!("{P}.mode_definition[{i}]"));
    }
}

fn mode_checks(c: &mut Checker, m: &ModeDefinition, p: &str) {
    c.string(&m.mode_name, || format!("{p}.mode_name"));
    c.enumeration(m.mode_type, || format!("{p}.mode_type"));
    c.duration(&m.settle_time, &format!("{p}.settle_time"));
    let Some(task) = &m.task else {
        c.missing(format!("{p}.task"));
        return;
    };
    let Some(region) = &task.region_definition else {
        c.missing(format!("{p}.task.region_definition"));
        return;
    };
    if region.region_type.is_empty() {
        c.missing(format!("{p}.task.region_definition.region_type"));
    }
    if region.region_area.is_empty() {
        c.missing(format!("{p}.task.region_definition.region_area"));
    }
}

fn status_checks(c: &mut Checker, s: &StatusReport) {
    const P: &str = "status_report";
    c.string(&s.report_id, || format!("{P}.report_id"));
    c.enumeration(s.system, || format!("{P}.system"));
    c.enumeration(s.info, || format!("{P}.info"));
    c.string(&s.mode, || format!("{P}.mode"));
}

fn detection_checks(c: &mut Checker, d: &DetectionReport) {
    const P: &str = "detection_report";
    c.string(&d.report_id, || format!("{P}.report_id"));
    c.string(&d.object_id, || format!("{P}.object_id"));
    match &d.location_oneof {
        None => c.missing(format!("{P}.location")),
        Some(LocationOneof::Location(l)) => location_checks(c, l, &format!("{P}.location")),
        Some(LocationOneof::RangeBearing(rb)) => {
            range_bearing_checks(c, rb, &format!("{P}.range_bearing"))
        }
    }
}

fn location_checks(c: &mut Checker, l: &Location, p: &str) {
    c.present(&l.x, || format!("{p}.x"));
    c.present(&l.y, || format!("{p}.y"));
    c.present(&l.coordinate_system, || format!("{p}.coordinate_system"));
    c.present(&l.datum, || format!("{p}.datum"));
}

fn range_bearing_checks(c: &mut Checker, rb: &RangeBearing, p: &str) {
    c.present(&rb.coordinate_system, || format!("{p}.coordinate_system"));
    c.present(&rb.datum, || format!("{p}.datum"));
}
