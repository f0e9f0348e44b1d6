//! Acknowledgement: once per alert, by someone, only while the alert is active.

use crate::*;
use picket_assess::AlertError;
use picket_core::AlertId;

fn raised(mgr: &mut AlertManager) -> AlertEvent {
    let th = [threat(1, POST, ThreatLevel::Warning, 50.0, 60.0)];
    mgr.process(&th, &[TrackId(1)], t(0.0));
    let ev = mgr.process(&th, &[TrackId(1)], t(1.0));
    assert_eq!(ev.len(), 1);
    ev[0].clone()
}

#[test]
fn acknowledging_works_once_and_is_remembered_on_later_events() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let r = raised(&mut mgr);
    let ack = mgr
        .acknowledge(r.alert_id, "officer.garcia", t(21.0))
        .expect("first ack");
    assert_eq!(ack.state, AlertState::Acknowledged);
    assert_eq!(ack.acknowledged_by.as_deref(), Some("officer.garcia"));
    assert_eq!(ack.time, t(21.0));
    assert_eq!(ack.raised_time, r.raised_time);
    assert_eq!(ack.level, r.level);
    assert_eq!(
        mgr.active(),
        vec![ack.clone()],
        "active shows the latest event"
    );

    let again = mgr.acknowledge(r.alert_id, "officer.lee", t(22.0));
    assert_eq!(
        again,
        Err(AlertError::AlreadyAcknowledged {
            id: r.alert_id,
            by: "officer.garcia".into()
        })
    );
    // A later update still says who acknowledged.
    let up = mgr.process(
        &[threat(1, POST, ThreatLevel::Imminent, 50.0, 20.0)],
        &[TrackId(1)],
        t(23.0),
    );
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].acknowledged_by.as_deref(), Some("officer.garcia"));

    let m = mgr.metrics();
    assert_eq!(m.acknowledged, 1);
    assert_eq!(m.mean_time_to_acknowledge_s, Some(20.0));
}

#[test]
fn acknowledging_an_unknown_id_fails() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    assert_eq!(
        mgr.acknowledge(AlertId(1), "x", t(0.0)),
        Err(AlertError::Unknown(AlertId(1)))
    );
    raised(&mut mgr);
    assert_eq!(
        mgr.acknowledge(AlertId(99), "x", t(2.0)),
        Err(AlertError::Unknown(AlertId(99)))
    );
    assert_eq!(
        mgr.acknowledge(AlertId(0), "x", t(2.0)),
        Err(AlertError::Unknown(AlertId(0)))
    );
    assert_eq!(mgr.metrics().acknowledged, 0);
    assert_eq!(mgr.metrics().mean_time_to_acknowledge_s, None);
}

#[test]
fn acknowledging_a_cleared_alert_fails() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let r = raised(&mut mgr);
    let ev = mgr.process(&[], &[], t(2.0));
    assert_eq!(ev[0].state, AlertState::Cleared);
    assert_eq!(
        mgr.acknowledge(r.alert_id, "officer.garcia", t(3.0)),
        Err(AlertError::AlreadyCleared(r.alert_id))
    );
}

#[test]
fn acknowledging_without_a_name_fails() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let r = raised(&mut mgr);
    assert_eq!(
        mgr.acknowledge(r.alert_id, "  \n", t(3.0)),
        Err(AlertError::NoAcknowledger)
    );
    assert!(mgr.acknowledge(r.alert_id, "ops", t(3.0)).is_ok());
}
