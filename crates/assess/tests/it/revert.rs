//! Reverting an event the store refused: the manager forgets the transition, so a retry (an
//! acknowledgement) or a later round (raise, update, clear) does it again, once.

use crate::*;
use picket_assess::AlertError;
use picket_core::AlertId;

fn hot() -> [Threat; 1] {
    [threat(1, POST, ThreatLevel::Warning, 50.0, 60.0)]
}

/// Rounds at `time_s`, `time_s + 1`, ... until one returns events; those events.
fn until_events(
    mgr: &mut AlertManager,
    th: &[Threat],
    live: &[TrackId],
    time_s: f64,
) -> Vec<AlertEvent> {
    for i in 0..10 {
        let ev = mgr.process(th, live, t(time_s + f64::from(i)));
        if !ev.is_empty() {
            return ev;
        }
    }
    panic!("no event in ten rounds from {time_s} s");
}

#[test]
fn a_reverted_acknowledgement_is_forgotten_and_a_retry_succeeds() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let raised = until_events(&mut mgr, &hot(), &[TrackId(1)], 0.0);
    assert_eq!(raised[0].state, AlertState::Raised);
    let id = raised[0].alert_id;

    let ack = mgr.acknowledge(id, "officer.garcia", t(11.0)).unwrap();
    assert!(mgr.is_pending(&ack));
    assert!(mgr.revert(&ack), "the acknowledgement was pending");
    assert!(!mgr.revert(&ack), "reverted once only");
    assert_eq!(mgr.active(), raised, "back to the raised event");
    assert_eq!(mgr.metrics().acknowledged, 0);
    assert_eq!(mgr.metrics().mean_time_to_acknowledge_s, None);

    // The retry is not "already acknowledged": it succeeds, and only it counts.
    let again = mgr.acknowledge(id, "officer.lee", t(21.0)).unwrap();
    assert_eq!(again.acknowledged_by.as_deref(), Some("officer.lee"));
    assert_eq!(mgr.metrics().acknowledged, 1);
    assert_eq!(mgr.metrics().mean_time_to_acknowledge_s, Some(20.0));
    assert_eq!(
        mgr.acknowledge(id, "officer.garcia", t(22.0)),
        Err(AlertError::AlreadyAcknowledged {
            id,
            by: "officer.lee".into()
        })
    );
}

#[test]
fn a_reverted_raise_is_raised_again_at_the_next_round_with_the_same_id() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let live = [TrackId(1)];
    let first = until_events(&mut mgr, &hot(), &live, 0.0);
    assert_eq!(first.len(), 1);
    let raise_time = first[0].time;
    assert!(mgr.revert(&first[0]));
    assert!(mgr.active().is_empty(), "not raised");
    assert_eq!(mgr.metrics().raised, 0);
    assert!(mgr.metrics().raised_per_unit.is_empty());
    assert_eq!(
        mgr.acknowledge(first[0].alert_id, "ops", raise_time),
        Err(AlertError::Unknown(first[0].alert_id)),
        "nothing was raised, so nothing to acknowledge"
    );

    let next = raise_time.plus_secs_f64(1.0);
    let second = mgr.process(&hot(), &live, next);
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(second[0].state, AlertState::Raised);
    assert_eq!(second[0].time, next);
    assert_eq!(second[0].raised_time, next);
    // The withdrawn id is never given again (the refused write may have reached the file).
    assert_eq!(second[0].alert_id.0, first[0].alert_id.0 + 1);
    assert_eq!(
        mgr.acknowledge(first[0].alert_id, "ops", next),
        Err(AlertError::Unknown(first[0].alert_id)),
        "still never raised"
    );
    assert_eq!(mgr.metrics().raised, 1);
    assert_eq!(mgr.metrics().raised_per_unit.get(&unit(POST)), Some(&1));
    // Kept this time: nothing more to say while the threat stays the same.
    assert!(mgr
        .process(&hot(), &live, next.plus_secs_f64(1.0))
        .is_empty());
    assert_eq!(mgr.active(), second);
}

#[test]
fn a_withdrawn_id_below_a_stored_one_stays_unknown() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let two = [
        threat(1, POST, ThreatLevel::Warning, 50.0, 60.0),
        threat(2, POST, ThreatLevel::Caution, 150.0, 60.0),
    ];
    let live = [TrackId(1), TrackId(2)];
    let ev = until_events(&mut mgr, &two, &live, 0.0);
    assert_eq!(ev.len(), 2, "{ev:?}");
    // The first raise (the worse threat, lower id) is refused, the second stored.
    assert!(mgr.revert(&ev[0]));
    let gap = ev[0].alert_id;
    assert_eq!(
        mgr.acknowledge(gap, "ops", ev[0].time),
        Err(AlertError::Unknown(gap))
    );
    let again = mgr.process(&two, &live, ev[0].time.plus_secs_f64(1.0));
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].track_id, TrackId(1));
    assert!(again[0].alert_id > ev[1].alert_id, "a new id, not the gap");
    assert_eq!(mgr.metrics().raised, 2);
}

#[test]
fn a_reverted_update_is_sent_again_at_the_next_round() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let live = [TrackId(1)];
    until_events(&mut mgr, &hot(), &live, 0.0);
    let worse = [threat(1, POST, ThreatLevel::Imminent, 20.0, 10.0)];
    let up = mgr.process(&worse, &live, t(5.0));
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].state, AlertState::Updated);
    assert!(mgr.revert(&up[0]));
    assert_eq!(mgr.metrics().updated, 0);
    assert_eq!(
        mgr.active()[0].level,
        ThreatLevel::Warning,
        "as last stored"
    );
    let up2 = mgr.process(&worse, &live, t(6.0));
    assert_eq!(up2.len(), 1, "the rise is announced again");
    assert_eq!(up2[0].state, AlertState::Updated);
    assert_eq!(up2[0].level, ThreatLevel::Imminent);
    assert!(
        mgr.process(&worse, &live, t(7.0)).is_empty(),
        "once stored, once"
    );
    assert_eq!(mgr.metrics().updated, 1);
}

#[test]
fn a_reverted_clear_leaves_the_alert_active_until_a_later_round_clears_it() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let raised = until_events(&mut mgr, &hot(), &[TrackId(1)], 0.0);
    let id = raised[0].alert_id;
    let cleared = mgr.process(&[], &[], t(5.0));
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0].state, AlertState::Cleared);
    assert!(mgr.revert(&cleared[0]));
    assert_eq!(mgr.active(), raised, "still active as far as anyone knows");
    assert_eq!(mgr.metrics().cleared, 0);
    let again = mgr.process(&[], &[], t(6.0));
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].state, AlertState::Cleared);
    assert_eq!(again[0].alert_id, id);
    assert_eq!(again[0].cleared_reason.as_deref(), Some("track lost"));
    assert!(mgr.active().is_empty());
    assert_eq!(
        mgr.acknowledge(id, "ops", t(7.0)),
        Err(AlertError::AlreadyCleared(id))
    );
}

#[test]
fn reverting_a_raise_drops_its_update_and_lets_go_of_what_was_folded_into_it() {
    let cfg = AssessConfig {
        max_raises_per_unit_per_minute: 1,
        ..AssessConfig::default()
    };
    let mut mgr = AlertManager::new(cfg);
    let both = [
        threat(1, POST, ThreatLevel::Warning, 100.0, 90.0),
        threat(2, POST, ThreatLevel::Caution, 100.0, 90.0),
    ];
    let live = [TrackId(1), TrackId(2)];
    let ev = until_events(&mut mgr, &both, &live, 0.0);
    let states: Vec<(AlertState, u64)> = ev.iter().map(|e| (e.state, e.track_id.0)).collect();
    assert_eq!(
        states,
        vec![(AlertState::Raised, 1), (AlertState::Updated, 1)]
    );
    assert_eq!(mgr.metrics().merged, 1);
    assert!(mgr.revert(&ev[0]));
    assert!(
        !mgr.is_pending(&ev[1]),
        "an update of a raise never stored is not stored"
    );
    assert!(!mgr.revert(&ev[1]));
    let m = mgr.metrics();
    assert_eq!((m.raised, m.updated, m.merged), (0, 0, 0));
    assert!(mgr.active().is_empty());

    // The same round again: one raise, track 2 folded into it.
    let again = mgr.process(&both, &live, ev[0].time.plus_secs_f64(1.0));
    let states: Vec<(AlertState, u64)> = again.iter().map(|e| (e.state, e.track_id.0)).collect();
    assert_eq!(
        states,
        vec![(AlertState::Raised, 1), (AlertState::Updated, 1)]
    );
    assert!(again[1].reasons.iter().any(|r| r.starts_with("also T2")));
    let m = mgr.metrics();
    assert_eq!((m.raised, m.updated, m.merged), (1, 1, 1));
}

#[test]
fn reverting_a_merge_update_folds_the_track_in_again_later() {
    let cfg = AssessConfig {
        max_raises_per_unit_per_minute: 1,
        ..AssessConfig::default()
    };
    let mut mgr = AlertManager::new(cfg);
    let live = [TrackId(1), TrackId(2)];
    let one = [threat(1, POST, ThreatLevel::Warning, 100.0, 90.0)];
    let raised = until_events(&mut mgr, &one, &live, 0.0);
    assert_eq!(raised[0].state, AlertState::Raised);
    let both = [
        one[0].clone(),
        threat(2, POST, ThreatLevel::Caution, 100.0, 90.0),
    ];
    let ev = until_events(&mut mgr, &both, &live, 2.0);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, AlertState::Updated);
    assert!(mgr.revert(&ev[0]));
    assert_eq!(mgr.metrics().merged, 0);
    assert_eq!(mgr.active(), raised);
    let again = mgr.process(&both, &live, ev[0].time.plus_secs_f64(1.0));
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].state, AlertState::Updated);
    assert!(again[0].reasons.iter().any(|r| r.starts_with("also T2")));
    assert_eq!(mgr.metrics().merged, 1);
}

#[test]
fn only_the_latest_calls_events_can_be_reverted() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let raised = until_events(&mut mgr, &hot(), &[TrackId(1)], 0.0);
    mgr.process(&hot(), &[TrackId(1)], raised[0].time.plus_secs_f64(1.0));
    assert!(!mgr.is_pending(&raised[0]));
    assert!(
        !mgr.revert(&raised[0]),
        "stored and kept: too late to revert"
    );
    assert_eq!(mgr.active(), raised);
    assert_eq!(mgr.metrics().raised, 1);
    assert_eq!(AlertId(1), raised[0].alert_id);
}
