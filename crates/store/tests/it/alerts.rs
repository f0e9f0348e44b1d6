//! Current alerts and the refusal of alert events that would not read back.

use crate::fixtures::*;
use picket_core::{AlertId, AlertState, ThreatLevel, Timestamp};
use picket_store::{SqliteStore, Store, StoreError};

#[test]
fn current_alerts_are_the_latest_event_of_each_alert_ordered_by_id() {
    let (_dir, _path, mut store) = disk_store();
    let sequence = [
        alert(5, AlertState::Raised, ThreatLevel::Caution, 0),
        alert(2, AlertState::Raised, ThreatLevel::Warning, 1),
        alert(5, AlertState::Updated, ThreatLevel::Imminent, 2),
        alert(9, AlertState::Raised, ThreatLevel::Warning, 3),
        alert(2, AlertState::Acknowledged, ThreatLevel::Warning, 4),
        alert(2, AlertState::Cleared, ThreatLevel::Info, 5),
    ];
    for e in &sequence {
        store.append_alert_event(e).unwrap();
    }
    let current = store.current_alerts().unwrap();
    assert_eq!(
        current,
        vec![
            sequence[5].clone(),
            sequence[2].clone(),
            sequence[3].clone()
        ]
    );
}

#[test]
fn latest_means_last_stored_even_when_data_times_tie() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let raised = alert(1, AlertState::Raised, ThreatLevel::Warning, 0);
    let mut acked = alert(1, AlertState::Acknowledged, ThreatLevel::Warning, 0);
    acked.time = raised.time;
    store.append_alert_event(&raised).unwrap();
    store.append_alert_event(&acked).unwrap();
    assert_eq!(store.current_alerts().unwrap(), vec![acked]);
}

#[test]
fn alert_ids_beyond_i64_keep_their_order() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let high = alert(u64::MAX, AlertState::Raised, ThreatLevel::Warning, 0);
    let low = alert(3, AlertState::Raised, ThreatLevel::Warning, 1);
    store.append_alert_event(&high).unwrap();
    store.append_alert_event(&low).unwrap();
    let ids: Vec<AlertId> = store
        .current_alerts()
        .unwrap()
        .iter()
        .map(|a| a.alert_id)
        .collect();
    assert_eq!(ids, vec![AlertId(3), AlertId(u64::MAX)]);
}

#[test]
fn an_alert_with_a_non_finite_number_is_refused_and_nothing_is_stored() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let good = alert(1, AlertState::Raised, ThreatLevel::Warning, 0);
    store.append_alert_event(&good).unwrap();
    let mut bad = alert(1, AlertState::Updated, ThreatLevel::Imminent, 1);
    bad.time_to_closest_approach_s = f64::NAN;
    let err = store.append_alert_event(&bad).unwrap_err();
    assert!(matches!(err, StoreError::Unrepresentable { .. }), "{err:?}");
    assert!(err.to_string().contains("alert A1 (updated)"), "{err}");
    // The history stays readable: the bad event did not poison it.
    assert_eq!(store.alert_events().unwrap(), vec![good]);
}

#[test]
fn an_alert_with_a_time_outside_the_calendar_is_refused() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut bad = alert(4, AlertState::Raised, ThreatLevel::Warning, 0);
    bad.time = Timestamp::from_micros(i64::MAX);
    assert!(matches!(
        store.append_alert_event(&bad),
        Err(StoreError::Unrepresentable { .. })
    ));
    assert_eq!(store.counts().unwrap().alert_events, 0);
}

#[test]
fn a_batch_of_alert_events_is_stored_in_order_all_or_none() {
    let (_dir, path, mut store) = disk_store();
    let batch = [
        alert(1, AlertState::Raised, ThreatLevel::Warning, 0),
        alert(2, AlertState::Raised, ThreatLevel::Caution, 0),
        alert(1, AlertState::Updated, ThreatLevel::Imminent, 1),
    ];
    store.append_alert_events(&batch).unwrap();
    // Through another connection: committed, in order.
    let reader = SqliteStore::open(&path).unwrap();
    assert_eq!(reader.alert_events().unwrap(), batch.to_vec());

    // One that cannot be stored spoils the batch: none of it is written.
    let mut bad = alert(3, AlertState::Raised, ThreatLevel::Warning, 2);
    bad.time_to_closest_approach_s = f64::NAN;
    let next = [
        alert(2, AlertState::Cleared, ThreatLevel::Info, 2),
        bad,
        alert(4, AlertState::Raised, ThreatLevel::Warning, 2),
    ];
    let (stored, e) = store.append_alert_events(&next).unwrap_err();
    assert_eq!(stored, 0);
    assert!(matches!(e, StoreError::Unrepresentable { .. }), "{e}");
    assert_eq!(reader.alert_events().unwrap(), batch.to_vec());
}
