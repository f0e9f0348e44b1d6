//! Track life: M-of-N confirmation, coasting, deletion, ids.

use crate::*;
use picket_core::TrackId;

const FAR: [f64; 3] = [4_000.0, 4_000.0, 100.0];

fn status_of(out: &[Track], id: TrackId) -> Option<TrackStatus> {
    out.iter().find(|t| t.id == id).map(|t| t.status)
}

#[test]
fn three_hits_in_a_row_confirm_on_the_third() {
    let mut tr = tracker();
    let p = [100.0, 0.0, 50.0];
    let out = tr.step(&[pos_obs("radar", 0.0, p, 3.0, 3.0)], at(0.0));
    let id = out[0].id;
    assert_eq!(id, TrackId(1));
    assert_eq!(status_of(&out, id), Some(TrackStatus::Tentative));
    let out = tr.step(&[pos_obs("radar", 1.0, p, 3.0, 3.0)], at(1.0));
    assert_eq!(status_of(&out, id), Some(TrackStatus::Tentative));
    let out = tr.step(&[pos_obs("radar", 2.0, p, 3.0, 3.0)], at(2.0));
    assert_eq!(status_of(&out, id), Some(TrackStatus::Confirmed));
    assert_eq!(tr.stats().tracks_confirmed, 1);
}

#[test]
fn a_miss_in_a_scan_of_the_same_sensor_delays_confirmation() {
    let mut tr = tracker();
    let p = [100.0, 0.0, 50.0];
    let s = |t: f64| pos_obs("radar", t, p, 3.0, 3.0);
    let far = |t: f64| pos_obs("radar", t, FAR, 3.0, 3.0);
    // Opportunities: hit, miss (radar scanned, saw only the far object), hit, hit.
    let id = tr.step(&[s(0.0), far(0.0)], at(0.0))[0].id;
    tr.step(&[far(1.0)], at(1.0));
    let out = tr.step(&[s(2.0), far(2.0)], at(2.0));
    assert_eq!(
        status_of(&out, id),
        Some(TrackStatus::Tentative),
        "2 of 3 is not enough"
    );
    let out = tr.step(&[s(3.0), far(3.0)], at(3.0));
    assert_eq!(
        status_of(&out, id),
        Some(TrackStatus::Confirmed),
        "3 of the last 4"
    );
}

#[test]
fn too_many_misses_within_the_window_prevent_confirmation() {
    let cfg = TrackerConfig {
        max_coast_tentative_s: 10.0,
        ..TrackerConfig::default()
    };
    let mut tr = Tracker::new(frame(), cfg);
    let p = [100.0, 0.0, 50.0];
    let s = |t: f64| pos_obs("radar", t, p, 3.0, 3.0);
    let far = |t: f64| pos_obs("radar", t, FAR, 3.0, 3.0);
    // hit, miss, miss, miss, hit, miss, miss, hit: never 3 hits among 5 consecutive opportunities.
    let pattern = [true, false, false, false, true, false, false, true];
    for (k, &hit) in pattern.iter().enumerate() {
        let t = k as f64;
        let obs = if hit {
            vec![s(t), far(t)]
        } else {
            vec![far(t)]
        };
        let out = tr.step(&obs, at(t));
        assert_ne!(
            status_of(&out, TrackId(1)),
            Some(TrackStatus::Confirmed),
            "scan {k}"
        );
    }
    let t1 = tr
        .tracks()
        .into_iter()
        .find(|t| t.id == TrackId(1))
        .unwrap();
    assert_eq!(t1.hits, 3);
    assert_eq!(t1.status, TrackStatus::Tentative);
}

#[test]
fn reports_about_other_identities_are_not_misses() {
    let mut tr = tracker();
    // Drone A reports once a second, drones B and C in between, all through one receiver.
    // Each message is its own scan; none of B's or C's are opportunities for A.
    let mut obs = Vec::new();
    for k in 0..3 {
        let t = k as f64;
        obs.push(rid_obs("rid-1", t, [0.0, 0.0, 50.0], "A"));
        obs.push(rid_obs("rid-1", t + 0.3, [500.0, 0.0, 50.0], "B"));
        obs.push(rid_obs("rid-1", t + 0.6, [0.0, 500.0, 50.0], "C"));
    }
    let out = tr.step(&obs, at(3.0));
    assert_eq!(out.len(), 3);
    assert!(
        out.iter().all(|t| t.status == TrackStatus::Confirmed),
        "{out:#?}"
    );
}

#[test]
fn tentative_track_is_deleted_after_its_coast_time_exactly_once() {
    let mut tr = tracker();
    let id = tr.step(
        &[pos_obs("radar", 0.0, [0.0, 0.0, 20.0], 3.0, 3.0)],
        at(0.0),
    )[0]
    .id;
    assert!(tr.step(&[], at(2.9)).is_empty());
    assert_eq!(tr.tracks().len(), 1);
    let out = tr.step(&[], at(3.1));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, id);
    assert_eq!(out[0].status, TrackStatus::Deleted);
    assert_eq!(
        out[0].time,
        at(0.0),
        "a deleted track reports its last estimate"
    );
    assert!(tr.tracks().is_empty());
    assert!(tr.step(&[], at(10.0)).is_empty(), "deleted only once");
    assert_eq!(tr.stats().tracks_deleted, 1);
}

#[test]
fn confirmed_track_coasts_eight_seconds_before_deletion() {
    let mut tr = tracker();
    for k in 0..3 {
        tr.step(
            &[pos_obs("radar", k as f64, [0.0, 0.0, 20.0], 3.0, 3.0)],
            at(k as f64),
        );
    }
    assert_eq!(tr.tracks()[0].status, TrackStatus::Confirmed);
    assert!(tr.step(&[], at(2.0 + 7.9)).is_empty());
    let out = tr.step(&[], at(2.0 + 8.1));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].status, TrackStatus::Deleted);
}

#[test]
fn a_track_too_uncertain_is_deleted_before_its_coast_time() {
    let cfg = TrackerConfig {
        max_sigma_horizontal_m: 25.0,
        ..TrackerConfig::default()
    };
    let mut tr = Tracker::new(frame(), cfg);
    for k in 0..3 {
        tr.step(
            &[pos_obs("radar", k as f64, [0.0, 0.0, 20.0], 3.0, 3.0)],
            at(k as f64),
        );
    }
    // A newborn track's prediction is more uncertain than 25 m one second on (30 m/s velocity
    // prior), but the scan that updates it must not be the one that deletes it.
    let live = tr.tracks();
    assert_eq!(live.len(), 1);
    assert_eq!((live[0].hits, live[0].status), (3, TrackStatus::Confirmed));
    let mut deleted_at = None;
    for tenth in 1..80 {
        let t = 2.0 + tenth as f64 * 0.1;
        if !tr.step(&[], at(t)).is_empty() {
            deleted_at = Some(t - 2.0);
            break;
        }
    }
    let after_s = deleted_at.expect("deleted within the 8 s coast");
    assert!(
        after_s > 1.0 && after_s < 7.9,
        "deleted after {after_s} s of coasting"
    );
}

#[test]
fn a_stale_track_is_not_revived_by_a_late_arrival_in_the_same_call() {
    let mut tr = tracker();
    let p = [0.0, 0.0, 20.0];
    tr.step(&[pos_obs("radar", 0.0, p, 3.0, 3.0)], at(0.0));
    // Nothing for 10 s, then a report at the same place: the old track died at the scan, so a
    // new one starts.
    let out = tr.step(&[pos_obs("radar", 10.0, p, 3.0, 3.0)], at(10.0));
    assert_eq!(out.len(), 2);
    assert_eq!(
        (out[0].id, out[0].status),
        (TrackId(1), TrackStatus::Deleted)
    );
    assert_eq!(
        (out[1].id, out[1].status),
        (TrackId(2), TrackStatus::Tentative)
    );
}

#[test]
fn track_ids_start_at_one_and_are_never_reused() {
    let mut tr = tracker();
    let mut seen = Vec::new();
    for round in 0..4 {
        let t = round as f64 * 20.0;
        let out = tr.step(
            &[
                pos_obs("radar", t, [0.0, 0.0, 20.0], 3.0, 3.0),
                pos_obs("radar", t, [900.0, 0.0, 20.0], 3.0, 3.0),
            ],
            at(t),
        );
        seen.extend(
            out.iter()
                .filter(|t| t.status != TrackStatus::Deleted)
                .map(|t| t.id.0),
        );
    }
    assert_eq!(seen, (1..=8).collect::<Vec<u64>>());
}

#[test]
fn step_output_is_sorted_by_id_with_one_snapshot_per_track() {
    let mut tr = tracker();
    let mut obs = Vec::new();
    for i in 0..6 {
        obs.push(pos_obs(
            "radar",
            0.0,
            [i as f64 * 700.0, 0.0, 20.0],
            3.0,
            3.0,
        ));
        obs.push(pos_obs(
            "radar",
            1.0,
            [i as f64 * 700.0, 0.0, 20.0],
            3.0,
            3.0,
        ));
    }
    let out = tr.step(&obs, at(1.0));
    let ids: Vec<u64> = out.iter().map(|t| t.id.0).collect();
    assert_eq!(ids, (1..=6).collect::<Vec<u64>>());
    assert!(out.iter().all(|t| t.hits == 2 && t.time == at(1.0)));
}
