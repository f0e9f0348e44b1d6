//! Every record kind goes into a real file and comes back as it went in, also after a reopen.

use crate::fixtures::*;
use picket_core::{
    AlertState, Input, Observation, Role, ThreatLevel, Timestamp, Track, UnitPosition,
};
use picket_store::{AuditEntry, SqliteStore, Store, StoreCounts};
use rusqlite::Connection;

/// A second, read-only look at the file, as an investigator's tool would have.
fn inspect(path: &std::path::Path) -> Connection {
    Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

#[test]
fn observations_keep_their_typed_columns_and_their_full_record() {
    let (_dir, path, mut store) = disk_store();
    let batch = inputs(9);
    store.append_inputs(&batch).unwrap();

    let db = inspect(&path);
    let mut stmt = db
        .prepare(
            "SELECT sensor_id, time_us, kind, lat_deg, lon_deg, alt_hae_m, identity, json \
             FROM observations ORDER BY id",
        )
        .unwrap();
    type Row = (
        String,
        i64,
        String,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<String>,
        String,
    );
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<&Observation> = batch
        .iter()
        .filter_map(|i| match i {
            Input::Observation(o) => Some(o),
            Input::UnitPosition(_) => None,
        })
        .collect();
    assert_eq!(rows.len(), expected.len());
    for (row, o) in rows.iter().zip(&expected) {
        assert_eq!(row.0, o.sensor_id.0);
        assert_eq!(row.1, o.time.as_micros());
        let back: Observation = serde_json::from_str(&row.7).unwrap();
        assert_eq!(&back, *o, "the JSON column reads back bit for bit");
    }
    // A Remote ID position has a target position and an identity; a radar plot has neither.
    let rid = &rows[0];
    assert_eq!(rid.2, "position");
    assert_eq!(rid.3, Some(31.345_678_912_345));
    assert_eq!(rid.4, Some(-110.123_456_789_012));
    assert_eq!(rid.5, Some(1_523.37));
    assert_eq!(rid.6.as_deref(), Some("remote_id:1581F5FJD2200000"));
    let radar = &rows[1];
    assert_eq!(radar.2, "range_az_el");
    assert_eq!((radar.3, radar.6.as_deref()), (None, None));
}

#[test]
fn unit_positions_round_trip() {
    let (_dir, path, mut store) = disk_store();
    let batch = inputs(9);
    store.append_inputs(&batch).unwrap();

    let db = inspect(&path);
    let mut stmt = db
        .prepare("SELECT unit_id, time_us, lat_deg, json FROM unit_positions ORDER BY id")
        .unwrap();
    let rows: Vec<(String, i64, f64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<&UnitPosition> = batch
        .iter()
        .filter_map(|i| match i {
            Input::UnitPosition(u) => Some(u),
            Input::Observation(_) => None,
        })
        .collect();
    assert_eq!(rows.len(), 3);
    for (row, u) in rows.iter().zip(&expected) {
        assert_eq!(row.0, "patrol-7");
        assert_eq!(row.1, u.time.as_micros());
        assert_eq!(row.2, u.position.lat_deg);
        assert_eq!(&serde_json::from_str::<UnitPosition>(&row.3).unwrap(), *u);
    }
}

#[test]
fn track_snapshots_round_trip_with_status_velocity_and_identity() {
    let (_dir, path, mut store) = disk_store();
    let tracks: Vec<Track> = (0..4).map(|i| track(7, i)).collect();
    store.append_tracks(&tracks).unwrap();

    let db = inspect(&path);
    let mut stmt = db
        .prepare(
            "SELECT track_id, time_us, status, lat_deg, vel_e_mps, vel_n_mps, vel_u_mps, identity, json \
             FROM track_snapshots ORDER BY id",
        )
        .unwrap();
    type Row = (i64, i64, String, f64, f64, f64, f64, String, String);
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].2, "tentative");
    assert_eq!(rows[1].2, "confirmed");
    for (row, t) in rows.iter().zip(&tracks) {
        assert_eq!(row.0, 7);
        assert_eq!(row.1, t.time.as_micros());
        assert_eq!(row.3, t.position.lat_deg);
        assert_eq!([row.4, row.5, row.6], t.velocity_enu_mps);
        assert_eq!(row.7, "icao:00AB12");
        assert_eq!(&serde_json::from_str::<Track>(&row.8).unwrap(), t);
    }
}

#[test]
fn alert_events_come_back_equal_and_in_insertion_order() {
    let (_dir, _path, mut store) = disk_store();
    let events = vec![
        alert(2, AlertState::Raised, ThreatLevel::Caution, 0),
        alert(1, AlertState::Raised, ThreatLevel::Warning, 1),
        alert(2, AlertState::Updated, ThreatLevel::Imminent, 2),
        alert(1, AlertState::Acknowledged, ThreatLevel::Warning, 3),
        alert(1, AlertState::Cleared, ThreatLevel::Info, 4),
    ];
    for e in &events {
        store.append_alert_event(e).unwrap();
    }
    assert_eq!(store.alert_events().unwrap(), events);
}

#[test]
fn audit_entries_round_trip_in_order() {
    let (_dir, _path, mut store) = disk_store();
    let entries = vec![
        AuditEntry {
            time: Timestamp::from_micros(T0_US + 5),
            who: "duty-officer".into(),
            action: "login".into(),
            detail: "from 10.0.0.7".into(),
        },
        // Earlier data time, later insertion: the log keeps insertion order.
        AuditEntry {
            time: Timestamp::from_micros(T0_US),
            who: "duty-officer".into(),
            action: "view_unit".into(),
            detail: "patrol-7 — \"north\" sector".into(),
        },
        AuditEntry {
            time: Timestamp::from_micros(T0_US + 9),
            who: "system".into(),
            action: "acknowledge".into(),
            detail: String::new(),
        },
    ];
    for e in &entries {
        store.audit(e.time, &e.who, &e.action, &e.detail).unwrap();
    }
    assert_eq!(store.audit_log().unwrap(), entries);
}

#[test]
fn counts_follow_every_kind_of_append() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.counts().unwrap(), StoreCounts::default());
    store.append_inputs(&inputs(10)).unwrap(); // 4 rid + 3 radar + 3 unit positions
    store.append_tracks(&[track(1, 0), track(1, 1)]).unwrap();
    store
        .append_alert_event(&alert(1, AlertState::Raised, ThreatLevel::Warning, 0))
        .unwrap();
    store
        .audit(Timestamp::from_micros(T0_US), "a", "login", "")
        .unwrap();
    store.append_inputs(&[]).unwrap();
    store.append_tracks(&[]).unwrap();
    assert_eq!(
        store.counts().unwrap(),
        StoreCounts {
            observations: 7,
            unit_positions: 3,
            track_snapshots: 2,
            alert_events: 1,
            audit_entries: 1,
        }
    );
}

#[test]
fn everything_is_still_there_after_drop_and_reopen() {
    let (_dir, path, mut store) = disk_store();
    let events = vec![
        alert(3, AlertState::Raised, ThreatLevel::Warning, 0),
        alert(3, AlertState::Updated, ThreatLevel::Imminent, 1),
    ];
    store.append_inputs(&inputs(30)).unwrap();
    store
        .append_tracks(&[track(3, 0), track(3, 1), track(3, 2)])
        .unwrap();
    for e in &events {
        store.append_alert_event(e).unwrap();
    }
    let token = store
        .issue_token("duty-officer", Role::Operator, &["naco".to_string()])
        .unwrap();
    store
        .audit(
            Timestamp::from_micros(T0_US),
            "duty-officer",
            "login",
            "console",
        )
        .unwrap();
    let counts = store.counts().unwrap();
    drop(store);

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.counts().unwrap(), counts);
    assert_eq!(counts.observations, 20);
    assert_eq!(store.alert_events().unwrap(), events);
    assert_eq!(store.current_alerts().unwrap(), vec![events[1].clone()]);
    assert_eq!(store.user_count().unwrap(), 1);
    let who = store
        .authenticate(&token)
        .unwrap()
        .expect("token survives a reopen");
    assert_eq!(
        (who.name.as_str(), who.role),
        ("duty-officer", Role::Operator)
    );
    assert_eq!(store.audit_log().unwrap().len(), 1);
}

#[test]
fn an_operators_history_comes_back_from_the_stored_observations() {
    let (_dir, _path, mut store) = disk_store();
    let uas = |o: &Observation| match &o.identity {
        Some(picket_core::Identity::RemoteId(u)) => u.clone(),
        _ => String::new(),
    };
    // One aircraft heard 6 times: with an operator position, without one (not history), with
    // only a take-off point; another aircraft and a radar plot around it.
    let mut ours = Vec::new();
    for i in 0..6 {
        let mut o = remote_id_observation(1);
        o.time = Timestamp::from_micros(T0_US + i * 1_000_000);
        match i {
            2 => o.side.operator_position = None,
            4 => {
                o.side.operator_position = None;
                o.side.take_off_position = Some(picket_core::GeoPoint::new(31.3, -110.1, 1_390.0));
            }
            _ => {}
        }
        ours.push(o);
    }
    let id = uas(&ours[0]);
    let mut batch: Vec<Input> = ours.iter().cloned().map(Input::Observation).collect();
    batch.insert(1, Input::Observation(remote_id_observation(2)));
    batch.insert(3, Input::Observation(radar_observation(1)));
    // Stored out of time order: the history still comes back in time order.
    batch.swap(0, 4);
    store.append_inputs(&batch).unwrap();

    let want: Vec<Observation> = ours
        .iter()
        .filter(|o| o.side.operator_position.is_some() || o.side.take_off_position.is_some())
        .cloned()
        .collect();
    assert_eq!(want.len(), 5);
    assert_eq!(store.operator_observations(&id, 100).unwrap(), want);
    // The latest ones when limited.
    assert_eq!(store.operator_observations(&id, 2).unwrap(), want[3..]);
    assert!(store
        .operator_observations("nobody", 10)
        .unwrap()
        .is_empty());
}
