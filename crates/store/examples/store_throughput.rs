//! How fast the SQLite store appends: observations in batches of 500 (bulk, `synchronous =
//! NORMAL`), then alert events one by one (each fsynced before it returns).
//!
//! `cargo run --release -p picket-store --example store_throughput [observations] [alerts]`

use picket_core::{
    AlertEvent, AlertId, AlertState, GeoPoint, Identity, Input, Measurement, Observation, SensorId,
    SideFacts, TargetClass, ThreatLevel, Timestamp, TrackId, UnitId,
};
use picket_store::{SqliteStore, Store};
use std::time::Instant;

const BATCH: usize = 500;

fn observation(i: usize) -> Input {
    let t0_us = 1_795_000_000_000_000;
    let k = i as f64;
    Input::Observation(Observation {
        sensor_id: SensorId(format!("rid-{}", i % 4)),
        time: Timestamp::from_micros(t0_us + i as i64 * 1_000),
        measurement: Measurement::position(
            GeoPoint::new(
                31.34 + k * 1e-7,
                -110.12 - k * 1e-7,
                1_500.0 + (k * 0.37) % 90.0,
            ),
            5.0,
            10.0,
        ),
        identity: Some(Identity::RemoteId(format!("1581F5FJD22{:05}", i % 50))),
        class_hint: None,
        side: SideFacts {
            rssi_dbm: Some(-70.0 - (k * 0.1) % 20.0),
            reported_velocity_enu_mps: Some([3.0, -12.0, 0.5]),
            ..SideFacts::default()
        },
    })
}

fn alert(i: usize) -> AlertEvent {
    let t = Timestamp::from_micros(1_795_000_000_000_000 + i as i64 * 1_000_000);
    AlertEvent {
        alert_id: AlertId(i as u64 / 4),
        state: match i % 4 {
            0 => AlertState::Raised,
            _ => AlertState::Updated,
        },
        unit_id: UnitId::from("post-alpha"),
        track_id: TrackId(i as u64 / 4),
        level: ThreatLevel::Warning,
        time: t,
        raised_time: t,
        position: GeoPoint::new(31.35, -110.13, 1_550.0),
        target_class: TargetClass::Drone,
        dark: true,
        range_m: 1_200.0,
        bearing_deg: 135.0,
        closing_speed_mps: 17.8,
        closest_approach_m: 42.0,
        time_to_closest_approach_s: 66.0,
        reasons: vec!["dark drone closing".into()],
        acknowledged_by: None,
        cleared_reason: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_obs: usize = args.next().map_or(Ok(200_000), |s| s.parse())?;
    let n_alerts: usize = args.next().map_or(Ok(200), |s| s.parse())?;

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("throughput.db");
    let mut store = SqliteStore::open(&path)?;

    let inputs: Vec<Input> = (0..n_obs).map(observation).collect();
    let start = Instant::now();
    for batch in inputs.chunks(BATCH) {
        store.append_inputs(batch)?;
    }
    let obs_s = start.elapsed().as_secs_f64();

    let alerts: Vec<AlertEvent> = (0..n_alerts).map(alert).collect();
    let start = Instant::now();
    for a in &alerts {
        store.append_alert_event(a)?;
    }
    let alert_s = start.elapsed().as_secs_f64();

    let counts = store.counts()?;
    assert_eq!(counts.observations as usize, n_obs);
    let bytes = std::fs::metadata(&path)?.len()
        + std::fs::metadata(dir.path().join("throughput.db-wal")).map_or(0, |m| m.len());
    println!(
        "observations: {n_obs} in batches of {BATCH}: {obs_s:.3} s = {:.0} obs/s ({:.0} bytes/obs on disk)",
        n_obs as f64 / obs_s,
        bytes as f64 / n_obs as f64
    );
    println!(
        "alert events: {n_alerts} durable appends: {alert_s:.3} s = {:.0} events/s ({:.2} ms each)",
        n_alerts as f64 / alert_s,
        alert_s * 1e3 / n_alerts.max(1) as f64
    );
    Ok(())
}
