//! Hysteresis: no raise on a single scan, no clear/re-raise on flicker, clear after a quiet spell.

use crate::*;

/// One assessment of track 1. Below caution it is hovering (neither closing nor opening),
/// so only the clear timer can end its alert.
fn run(mgr: &mut AlertManager, level: ThreatLevel, time_s: f64) -> Vec<AlertEvent> {
    let mut th = threat(1, POST, level, 100.0, 60.0);
    if level < ThreatLevel::Caution {
        th.closing_speed_mps = 0.0;
        th.time_to_closest_approach_s = 0.0;
        th.closest_approach_m = th.range_m;
    }
    mgr.process(&[th], &[TrackId(1)], t(time_s))
}

#[test]
fn a_single_scan_at_caution_does_not_raise() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    assert!(run(&mut mgr, ThreatLevel::Info, 0.0).is_empty());
    assert!(run(&mut mgr, ThreatLevel::Caution, 1.0).is_empty());
    assert!(run(&mut mgr, ThreatLevel::Info, 2.0).is_empty());
    assert!(run(&mut mgr, ThreatLevel::Warning, 3.0).is_empty());
    assert!(run(&mut mgr, ThreatLevel::Info, 4.0).is_empty());
    assert_eq!(mgr.metrics().raised, 0);
    let ev = [
        run(&mut mgr, ThreatLevel::Caution, 5.0),
        run(&mut mgr, ThreatLevel::Caution, 6.0),
    ]
    .concat();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].state, AlertState::Raised);
    assert_eq!(ev[0].time, t(6.0));
}

#[test]
fn flicker_below_caution_for_less_than_clear_after_neither_clears_nor_re_raises() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let mut events = Vec::new();
    let mut s = 0.0;
    for _ in 0..2 {
        events.extend(run(&mut mgr, ThreatLevel::Caution, s));
        s += 1.0;
    }
    // Ten rounds of: 10 s below caution, 1 s back at caution.
    for _ in 0..10 {
        for _ in 0..10 {
            events.extend(run(&mut mgr, ThreatLevel::Info, s));
            s += 1.0;
        }
        events.extend(run(&mut mgr, ThreatLevel::Caution, s));
        s += 1.0;
    }
    let states: Vec<AlertState> = events.iter().map(|e| e.state).collect();
    assert_eq!(states, vec![AlertState::Raised], "{events:?}");
    assert_eq!(mgr.active().len(), 1);

    // Then a quiet spell of 15 s clears it, once.
    let quiet_start = s;
    let mut cleared = Vec::new();
    while s < quiet_start + 20.0 {
        cleared.extend(run(&mut mgr, ThreatLevel::Info, s));
        s += 1.0;
    }
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert_eq!(cleared[0].state, AlertState::Cleared);
    assert_eq!(cleared[0].time, t(quiet_start + 15.0));
    assert_eq!(
        cleared[0].cleared_reason.as_deref(),
        Some("no longer a threat for 15 s")
    );
}

#[test]
fn a_new_approach_after_clearing_raises_a_new_alert_with_a_new_id() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let mut ev = Vec::new();
    for s in 0..2 {
        ev.extend(run(&mut mgr, ThreatLevel::Caution, f64::from(s)));
    }
    for s in 2..20 {
        ev.extend(run(&mut mgr, ThreatLevel::Info, f64::from(s)));
    }
    for s in 20..22 {
        ev.extend(run(&mut mgr, ThreatLevel::Caution, f64::from(s)));
    }
    let ids: Vec<(AlertState, u64)> = ev.iter().map(|e| (e.state, e.alert_id.0)).collect();
    assert_eq!(
        ids,
        vec![
            (AlertState::Raised, 1),
            (AlertState::Cleared, 1),
            (AlertState::Raised, 2)
        ]
    );
}

#[test]
fn level_rises_are_sent_at_once_but_falls_and_small_changes_are_throttled() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    run(&mut mgr, ThreatLevel::Caution, 0.0);
    run(&mut mgr, ThreatLevel::Caution, 1.0);
    let up = run(&mut mgr, ThreatLevel::Warning, 2.0);
    assert_eq!(up.len(), 1);
    assert_eq!(
        (up[0].state, up[0].level),
        (AlertState::Updated, ThreatLevel::Warning)
    );
    let up = run(&mut mgr, ThreatLevel::Imminent, 2.5);
    assert_eq!(up.len(), 1, "a rise is never held back");
    // A fall is sent only once it has lasted 5 s.
    assert!(run(&mut mgr, ThreatLevel::Warning, 3.0).is_empty());
    assert!(run(&mut mgr, ThreatLevel::Warning, 7.5).is_empty());
    let down = run(&mut mgr, ThreatLevel::Warning, 8.0);
    assert_eq!(down.len(), 1);
    assert_eq!(down[0].level, ThreatLevel::Warning);
    // Same level, same geometry: nothing more.
    for s in 9..30 {
        assert!(run(&mut mgr, ThreatLevel::Warning, f64::from(s)).is_empty());
    }
}

#[test]
fn a_level_flapping_on_a_boundary_is_not_announced_each_time() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    run(&mut mgr, ThreatLevel::Warning, 0.0);
    run(&mut mgr, ThreatLevel::Warning, 1.0);
    let mut events = Vec::new();
    // Warning and caution alternate every 2 s for a minute: the fall never lasts 5 s.
    for s in 2..62 {
        let level = if (s / 2) % 2 == 0 {
            ThreatLevel::Warning
        } else {
            ThreatLevel::Caution
        };
        events.extend(run(&mut mgr, level, f64::from(s)));
    }
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn material_change_of_closest_approach_or_time_is_an_update() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    let go = |mgr: &mut AlertManager, cpa: f64, tcpa: f64, s: f64| {
        mgr.process(
            &[threat(1, POST, ThreatLevel::Caution, cpa, tcpa)],
            &[TrackId(1)],
            t(s),
        )
    };
    go(&mut mgr, 400.0, 150.0, 0.0);
    assert_eq!(go(&mut mgr, 400.0, 150.0, 1.0).len(), 1, "raised");
    // +40 m on 400 m: not material (needs > 25 % and > 50 m).
    assert!(go(&mut mgr, 440.0, 150.0, 10.0).is_empty());
    // −8 s on 150 s: not material (needs > 20 % and > 10 s).
    assert!(go(&mut mgr, 400.0, 142.0, 11.0).is_empty());
    // 400 m → 250 m: material.
    let ev = go(&mut mgr, 250.0, 150.0, 12.0);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].closest_approach_m, 250.0);
    // 150 s → 100 s, but only 2 s after the last update: held until 5 s have passed.
    assert!(go(&mut mgr, 250.0, 100.0, 14.0).is_empty());
    assert_eq!(go(&mut mgr, 250.0, 100.0, 17.0).len(), 1);
}

#[test]
fn a_near_miss_still_closing_is_held_until_it_passes() {
    let mut mgr = AlertManager::new(AssessConfig::default());
    run(&mut mgr, ThreatLevel::Caution, 0.0);
    assert_eq!(run(&mut mgr, ThreatLevel::Caution, 1.0).len(), 1);
    // Predicted to miss by 750 m now, but still closing at 15 m/s for another 40 s.
    let mut miss = threat(1, POST, ThreatLevel::Info, 750.0, 40.0);
    miss.closing_speed_mps = 15.0;
    for s in 2..42 {
        miss.time_to_closest_approach_s = 42.0 - f64::from(s);
        let ev = mgr.process(std::slice::from_ref(&miss), &[TrackId(1)], t(f64::from(s)));
        assert!(ev.is_empty(), "held while closing: {ev:?}");
    }
    // Past closest approach, opening: cleared as passed.
    miss.time_to_closest_approach_s = 0.0;
    miss.closing_speed_mps = -15.0;
    let ev = mgr.process(&[miss], &[TrackId(1)], t(42.0));
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].cleared_reason.as_deref(),
        Some("passed: closest approach over, opening")
    );
}
