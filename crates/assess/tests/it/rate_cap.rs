//! Rate cap: at most N raises per unit per minute; the rest are merged, never dropped.

use crate::*;

#[test]
fn a_swarm_beyond_the_cap_is_merged_into_existing_alerts() {
    let mut rig = Rig::new(post_only_site());
    // Eight dark drones from eight directions, 2 km out, inbound at 15 m/s.
    let flights: Vec<_> = (0..8u32)
        .map(|k| {
            let a = f64::from(k) * std::f64::consts::FRAC_PI_4;
            let (e, n) = (a.sin(), a.cos());
            straight(
                u64::from(k) + 1,
                0.0,
                [2_000.0 * e, 2_000.0 * n, 80.0],
                [-15.0 * e, -15.0 * n, 0.0],
                &Kind::dark_drone(),
            )
        })
        .collect();
    for i in 0..20 {
        let s = f64::from(i);
        let snaps: Vec<Track> = flights.iter().map(|f| f(s)).collect();
        rig.step(&snaps, s);
    }
    assert_eq!(rig.count(AlertState::Raised), 6, "{:?}", rig.events);
    let m = rig.alerts.metrics();
    assert_eq!(m.raised, 6);
    assert_eq!(m.merged, 2);
    assert_eq!(m.raised_per_unit.get(&unit(POST)), Some(&6));
    // The two extra drones are named in an active alert's reasons.
    let active = rig.alerts.active();
    assert_eq!(active.len(), 6);
    let all_reasons: Vec<&String> = active.iter().flat_map(|a| a.reasons.iter()).collect();
    for extra in [
        "also T7 (dark drone (no Remote ID))",
        "also T8 (dark drone (no Remote ID))",
    ] {
        assert!(
            all_reasons.iter().any(|r| r.starts_with(extra)),
            "{extra} missing from {all_reasons:?}"
        );
    }
    // Raised tracks are the first six (same level, so by track id).
    let mut raised: Vec<u64> = rig
        .events
        .iter()
        .filter(|e| e.state == AlertState::Raised)
        .map(|e| e.track_id.0)
        .collect();
    raised.sort_unstable();
    assert_eq!(raised, vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_merged_threat_gets_its_own_alert_when_its_host_clears() {
    let cfg = AssessConfig {
        max_raises_per_unit_per_minute: 1,
        ..AssessConfig::default()
    };
    let mut mgr = AlertManager::new(cfg);
    let both = [
        threat(1, POST, ThreatLevel::Caution, 100.0, 90.0),
        threat(2, POST, ThreatLevel::Caution, 100.0, 90.0),
    ];
    let live = [TrackId(1), TrackId(2)];
    mgr.process(&both, &live, t(0.0));
    let ev = mgr.process(&both, &live, t(1.0));
    let states: Vec<(AlertState, u64)> = ev.iter().map(|e| (e.state, e.track_id.0)).collect();
    assert_eq!(
        states,
        vec![(AlertState::Raised, 1), (AlertState::Updated, 1)]
    );
    assert!(ev[1].reasons.iter().any(|r| r.starts_with("also T2")));
    // Track 1 is lost: its alert clears and track 2 is raised on its own in the same round,
    // despite the cap (a threat is never left without an alert).
    let ev = mgr.process(&both[1..], &live[1..], t(2.0));
    let states: Vec<(AlertState, u64)> = ev.iter().map(|e| (e.state, e.track_id.0)).collect();
    assert_eq!(
        states,
        vec![(AlertState::Cleared, 1), (AlertState::Raised, 2)]
    );
}

#[test]
fn the_cap_is_per_unit_and_per_minute() {
    let cfg = AssessConfig {
        max_raises_per_unit_per_minute: 1,
        ..AssessConfig::default()
    };
    let mut mgr = AlertManager::new(cfg);
    let go = |mgr: &mut AlertManager, track: u64, unit_id: &str, s: f64| {
        let th = [threat(track, unit_id, ThreatLevel::Caution, 100.0, 90.0)];
        mgr.process(&th, &[TrackId(track)], t(s - 1.0));
        mgr.process(&th, &[TrackId(track)], t(s))
    };
    assert_eq!(go(&mut mgr, 1, POST, 1.0)[0].state, AlertState::Raised);
    // Another unit is not affected by Post Alpha's cap.
    assert_eq!(go(&mut mgr, 2, PATROL, 2.0)[0].state, AlertState::Raised);
    // Track 1 is gone (its alert clears); track 3 arrives within the minute: no alert of the
    // unit to merge into, so it is raised anyway rather than dropped.
    let ev = go(&mut mgr, 3, POST, 10.0);
    assert!(ev
        .iter()
        .any(|e| e.state == AlertState::Raised && e.track_id == TrackId(3)));
    // A fourth within the minute is merged into track 3's alert.
    let th = [
        threat(3, POST, ThreatLevel::Caution, 100.0, 90.0),
        threat(4, POST, ThreatLevel::Caution, 100.0, 90.0),
    ];
    mgr.process(&th, &[TrackId(3), TrackId(4)], t(11.0));
    let ev = mgr.process(&th, &[TrackId(3), TrackId(4)], t(12.0));
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0].state, ev[0].track_id),
        (AlertState::Updated, TrackId(3))
    );
    // A minute after the last raise the cap has room again: a fifth is raised.
    let th = [
        threat(3, POST, ThreatLevel::Caution, 100.0, 90.0),
        threat(4, POST, ThreatLevel::Caution, 100.0, 90.0),
        threat(5, POST, ThreatLevel::Caution, 100.0, 90.0),
    ];
    let live = [TrackId(3), TrackId(4), TrackId(5)];
    mgr.process(&th, &live, t(70.0));
    let ev = mgr.process(&th, &live, t(71.0));
    assert!(
        ev.iter()
            .any(|e| e.state == AlertState::Raised && e.track_id == TrackId(5)),
        "{ev:?}"
    );
}
