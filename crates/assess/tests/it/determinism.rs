//! Same inputs, same outputs — whatever the order of tracks within a batch.

use crate::*;

fn run(reverse_batches: bool) -> (Vec<Vec<Threat>>, Vec<AlertEvent>) {
    let mut rig = Rig::new(site());
    let flights = [
        straight(
            11,
            0.0,
            [0.0, 2_500.0, 100.0],
            [0.0, -18.0, 0.0],
            &Kind::dark_drone(),
        ),
        straight(
            12,
            0.0,
            [-1_500.0, -1_500.0, 80.0],
            [12.0, 14.0, 0.0],
            &Kind::remote_id("A"),
        ),
        straight(
            13,
            0.0,
            [800.0, 0.0, 60.0],
            [-9.0, 1.0, 0.0],
            &Kind::unknown(),
        ),
        straight(14, 0.0, [0.0, 600.0, 40.0], [3.0, -2.0, 0.0], &Kind::bird()),
    ];
    let mut all = Vec::new();
    for i in 0..120 {
        let s = f64::from(i);
        if i % 3 == 0 {
            rig.assessor
                .update_unit_position(&patrol_at(s, -1_000.0 + 5.0 * s, 0.0));
        }
        let mut snaps: Vec<Track> = flights.iter().map(|f| f(s)).collect();
        if reverse_batches {
            snaps.reverse();
        }
        all.push(rig.step(&snaps, s).0);
    }
    (all, rig.events)
}

#[test]
fn the_same_scenario_gives_identical_threats_and_events() {
    let (a_threats, a_events) = run(false);
    let (b_threats, b_events) = run(false);
    assert_eq!(a_threats, b_threats);
    assert_eq!(a_events, b_events);
    assert!(!a_events.is_empty(), "the scenario exercises alerting");
}

#[test]
fn track_order_within_a_batch_does_not_matter() {
    let (a_threats, a_events) = run(false);
    let (b_threats, b_events) = run(true);
    assert_eq!(a_threats, b_threats);
    assert_eq!(a_events, b_events);
}

#[test]
fn threats_come_ordered_by_track_then_unit() {
    let (threats, _) = run(false);
    let last = threats.last().expect("rounds");
    let keys: Vec<(u64, String)> = last
        .iter()
        .map(|t| (t.track_id.0, t.unit_id.0.clone()))
        .collect();
    let mut expected = Vec::new();
    for id in [11, 12, 13, 14] {
        expected.push((id, POST.to_owned()));
        expected.push((id, PATROL.to_owned()));
    }
    assert_eq!(keys, expected);
}

/// Alert events from threats whose reasons are written only where the alert manager reads
/// them (`assess_with_reasons` + `wants_reasons`), or from every reason (`assess`).
fn lifecycle(lean: bool) -> (Vec<Vec<Threat>>, Vec<AlertEvent>) {
    // A cap of one raise a minute: threats get merged into alerts, merged ones released.
    let cfg = AssessConfig {
        max_raises_per_unit_per_minute: 1,
        ..AssessConfig::default()
    };
    let mut assessor = Assessor::new(site(), cfg.clone());
    let mut alerts = AlertManager::new(cfg);
    // Six drones crossing past the post (raised, merged, passed, cleared), a patrol moving.
    let flights: Vec<_> = (0..6u32)
        .map(|k| {
            let a = f64::from(k) * std::f64::consts::FRAC_PI_3;
            let (e, n) = (a.sin(), a.cos());
            let offset = 60.0 * f64::from(k);
            straight(
                u64::from(k) + 1,
                0.0,
                [1_500.0 * e + offset * n, 1_500.0 * n - offset * e, 80.0],
                [-(12.0 + f64::from(k)) * e, -(12.0 + f64::from(k)) * n, 0.0],
                &Kind::dark_drone(),
            )
        })
        .collect();
    let (mut threats, mut events) = (Vec::new(), Vec::new());
    for i in 0..400 {
        let s = f64::from(i) * 0.5;
        if i % 4 == 0 {
            assessor.update_unit_position(&patrol_at(s, -800.0 + 4.0 * s, 100.0));
        }
        let snaps: Vec<Track> = flights.iter().map(|f| f(s)).collect();
        assessor.update_tracks(&snaps);
        let round = if lean {
            assessor.assess_with_reasons(t(s), |tr, u, l| alerts.wants_reasons(tr, u, l))
        } else {
            assessor.assess(t(s))
        };
        let live: Vec<TrackId> = snaps.iter().map(|tr| tr.id).collect();
        events.extend(alerts.process(&round, &live, t(s)));
        threats.push(round);
    }
    (threats, events)
}

#[test]
fn reasons_written_only_where_alerting_reads_them_give_the_same_events() {
    let (full_threats, full) = lifecycle(false);
    let (lean_threats, lean) = lifecycle(true);
    assert_eq!(full, lean);
    for state in [AlertState::Raised, AlertState::Updated, AlertState::Cleared] {
        assert!(
            full.iter().any(|e| e.state == state),
            "the scenario exercises {state:?}: {full:?}"
        );
    }
    assert!(
        full.iter()
            .any(|e| e.reasons.iter().any(|r| r.starts_with("also T"))),
        "the scenario merges threats into an alert"
    );
    // Everything but the unread reasons is the same; most Info threats go without words.
    let mut without = 0;
    for (f, l) in full_threats
        .iter()
        .flatten()
        .zip(lean_threats.iter().flatten())
    {
        let mut l2 = l.clone();
        l2.reasons.clone_from(&f.reasons);
        assert_eq!(f, &l2);
        if l.reasons.is_empty() {
            assert_eq!(l.level, ThreatLevel::Info);
            without += 1;
        } else {
            assert_eq!(f.reasons, l.reasons);
        }
    }
    assert!(
        without > full_threats.len(),
        "{without} threats without reasons"
    );
}
