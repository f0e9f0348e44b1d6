//! picket-cot: CoT XML and TAK protocol v1 codec, Picket's outgoing events, friendly SA and
//! negotiation — specified by example, checked against takproto, and fed hostile input.

mod hostile;
mod negotiation;
mod picket;
mod proto;
mod referee;
mod sa;
mod xml;

use picket_core::{
    AlertEvent, AlertId, AlertState, GeoPoint, Identity, SensorId, TargetClass, ThreatLevel,
    Timestamp, Track, TrackId, TrackStatus, UnitId,
};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// 2026-11-26T12:00:00Z.
pub fn t0() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").expect("valid time")
}

/// A confirmed dark drone track 1.2 km south-east of a post near the US–Mexico border.
pub fn drone_track() -> Track {
    Track {
        id: TrackId(12),
        status: TrackStatus::Confirmed,
        time: t0(),
        first_seen: t0().plus_secs_f64(-40.0),
        position: GeoPoint::new(31.334_512_34, -109.948_765_43, 1_512.345),
        position_enu: picket_core::Enu::new(850.0, -850.0, 110.0),
        // 10 m/s east, 10 m/s south: course 135°, speed 14.14 m/s.
        velocity_enu_mps: [10.0, -10.0, 0.0],
        sigma_horizontal_m: 23.456,
        hits: 14,
        identity: None,
        class_hint: None,
        sensors: vec![SensorId::from("radar-1"), SensorId::from("rf-2")],
        operator_position: Some(GeoPoint::new(31.32, -109.93, 1_400.0)),
        callsign: None,
        other_identities: Vec::new(),
        spoof: None,
        take_off_position: None,
    }
}

/// A cooperative drone with a Remote ID identity and a broadcast callsign.
pub fn cooperative_track() -> Track {
    Track {
        identity: Some(Identity::RemoteId("1581F5FJD228400DA".into())),
        callsign: Some("HOBBY-1".into()),
        operator_position: None,
        ..drone_track()
    }
}

/// A raised warning alert for the drone track against `post-alpha`.
pub fn warning_alert(state: AlertState) -> AlertEvent {
    AlertEvent {
        alert_id: AlertId(7),
        state,
        unit_id: UnitId::from("post-alpha"),
        track_id: TrackId(12),
        level: ThreatLevel::Warning,
        time: t0(),
        raised_time: t0().plus_secs_f64(-5.0),
        position: GeoPoint::new(31.334_512_34, -109.948_765_43, 1_512.3),
        target_class: TargetClass::Drone,
        dark: true,
        range_m: 1_200.0,
        bearing_deg: 135.0,
        closing_speed_mps: 18.0,
        closest_approach_m: 40.0,
        time_to_closest_approach_s: 60.0,
        reasons: vec![
            "dark drone, 1.2 km SE, closing 18 m/s, ~60 s".into(),
            "crossed the border 40 s ago".into(),
        ],
        acknowledged_by: None,
        cleared_reason: None,
    }
}

/// An ATAK-CIV position report as ATAK writes it (whitespace added).
pub const ATAK_SA: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<event version="2.0" uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" time="2026-11-26T12:00:01.500Z" start="2026-11-26T12:00:01.500Z" stale="2026-11-26T12:06:01.500Z" how="m-g">
  <point lat="31.3301234" lon="-109.9512345" hae="1398.2" ce="4.9" le="9999999.0"/>
  <detail>
    <takv os="34" version="5.3.0.4 (4d1c6a52)[playstore].1717077384-CIV" device="GOOGLE PIXEL 8" platform="ATAK-CIV"/>
    <contact endpoint="*:-1:stcp" callsign="ALPHA-1"/>
    <uid Droid="ALPHA-1"/>
    <precisionlocation altsrc="GPS" geopointsrc="GPS"/>
    <__group role="Team Member" name="Cyan"/>
    <status battery="88"/>
    <track course="271.5" speed="1.25"/>
  </detail>
</event>"#;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// The referee Python interpreter; fails the test when it is missing.
pub fn referee_python() -> PathBuf {
    let p = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-referees/bin/python"));
    assert!(
        p.exists(),
        "referee Python {} is missing: run scripts/referees.sh (or set PICKET_REFEREE_PYTHON)",
        p.display()
    );
    p
}

/// Runs `tests/takproto_referee.py` with `args`, feeding `stdin`; returns stdout.
pub fn run_referee(args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/takproto_referee.py");
    let mut child = Command::new(referee_python())
        .arg(&script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the takproto referee");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write to the referee");
    let out = child.wait_with_output().expect("referee ran");
    assert!(
        out.status.success(),
        "takproto referee failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("referee prints UTF-8")
}
