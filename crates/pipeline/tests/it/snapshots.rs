//! Track snapshots in the store are thinned to one per interval per track, but every track's
//! first estimate and its end are kept; observations are all stored either way.

use super::{lines, run_to_end, scenario, site};
use picket_pipeline::{Feed, OutputSink, Pace, PipelineConfig};
use picket_store::{SqliteStore, Store};
use std::collections::BTreeMap;

/// (track id, time µs, status) of every stored snapshot, in insertion order; the count of
/// stored observations; the lines of the JSON-lines track output.
async fn run(interval_s: f64) -> (Vec<(i64, i64, String)>, u64, usize) {
    let s = scenario();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let mut c = PipelineConfig::new(
        site(&s),
        Feed::Playback {
            lines: lines(&s),
            pace: Pace::Max,
        },
    );
    c.track_snapshot_interval_s = interval_s;
    let lines_file = dir.path().join("tracks.jsonl");
    c.outputs = vec![OutputSink::TracksJsonl(lines_file.clone())];
    run_to_end(c, Box::new(SqliteStore::open(&db).unwrap())).await;
    let observations = SqliteStore::open(&db)
        .unwrap()
        .counts()
        .unwrap()
        .observations;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare("SELECT track_id, time_us, status FROM track_snapshots ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let lines = std::fs::read_to_string(&lines_file)
        .unwrap()
        .lines()
        .count();
    (rows, observations, lines)
}

type ByTrack = BTreeMap<i64, Vec<(i64, String)>>;

fn by_track(rows: &[(i64, i64, String)]) -> ByTrack {
    let mut m: ByTrack = BTreeMap::new();
    for (id, t, st) in rows {
        m.entry(*id).or_default().push((*t, st.clone()));
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_thinned_per_track_but_first_and_last_are_kept() {
    let (all, obs_all, lines_all) = run(0.0).await;
    let (thin, obs_thin, lines_thin) = run(3.0).await;
    assert_eq!(obs_all, obs_thin, "observations are all stored either way");
    assert_eq!(
        (lines_all, lines_thin),
        (all.len(), all.len()),
        "the JSON-lines output keeps every update"
    );
    assert!(!all.is_empty());
    assert!(
        thin.len() * 2 < all.len(),
        "{} snapshots thinned to {}: expected fewer than half (short tracks keep two each)",
        all.len(),
        thin.len()
    );
    let (all, thin) = (by_track(&all), by_track(&thin));
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        thin.keys().collect::<Vec<_>>(),
        "every shown track is stored"
    );
    for (id, snaps) in &thin {
        let full = &all[id];
        assert_eq!(
            snaps.first(),
            full.first(),
            "track {id}: its first estimate"
        );
        assert_eq!(snaps.last(), full.last(), "track {id}: its last (its end)");
        if full.last().is_some_and(|(_, st)| st == "deleted") {
            assert_eq!(snaps.last().unwrap().1, "deleted", "track {id} ended");
        }
        // Between them, one per interval: the step period (0.5 s) is the only slack,
        // as the snapshot time is the track's last update, not the step's. The last one
        // (its end, or its newest estimate when the inputs ended) may come sooner.
        let between = &snaps[..snaps.len() - 1];
        for w in between.windows(2) {
            let gap_s = (w[1].0 - w[0].0) as f64 / 1e6;
            assert!(gap_s >= 2.5, "track {id}: snapshots {gap_s} s apart");
        }
    }
}
