//! Opening: WAL mode, schema version, and errors that name the file and say what to do.

use crate::fixtures::*;
use picket_store::{SqliteStore, Store, StoreError};
use rusqlite::Connection;

#[test]
fn an_on_disk_store_runs_in_wal_mode() {
    let (_dir, path, store) = disk_store();
    let other = Connection::open(&path).unwrap();
    let mode: String = other
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(store);
}

#[test]
fn the_file_records_its_schema_version_and_picket_application_id() {
    let (_dir, path, store) = disk_store();
    drop(store);
    let db = Connection::open(&path).unwrap();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let app: i64 = db
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
    assert_eq!(app, 0x5043_4B54);
}

#[test]
fn a_path_in_a_missing_directory_is_an_error_that_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("picket.db");
    let err = SqliteStore::open(&path).err().expect("must fail");
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("check the directory exists and is writable"),
        "{msg}"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "these are not the tables you are looking for\n".repeat(100),
    )
    .unwrap();
    let err = SqliteStore::open(&path).err().expect("must fail");
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE recipes (name TEXT)")
        .unwrap();
    let err = SqliteStore::open(&path).err().expect("must fail");
    assert!(matches!(err, StoreError::NotAPicketStore { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let db = Connection::open(&path).unwrap();
    let tables: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1, "no Picket tables were added");
}

#[test]
fn a_store_from_a_newer_picket_is_refused() {
    let (_dir, path, store) = disk_store();
    drop(store);
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (99, 1));
        }
        other => panic!("expected SchemaTooNew, got {:?}", other.err()),
    }
}

#[test]
fn reopening_a_current_store_keeps_its_schema_and_data() {
    let (_dir, path, mut store) = disk_store();
    store.append_inputs(&inputs(3)).unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.counts().unwrap().observations, 2);
}

#[test]
fn the_store_can_move_to_another_thread() {
    fn assert_send<T: Send>(_: &T) {}
    let store = SqliteStore::open_in_memory().unwrap();
    assert_send(&store);
    let boxed: Box<dyn Store> = Box::new(store);
    let handle = std::thread::spawn(move || boxed.user_count().unwrap());
    assert_eq!(handle.join().unwrap(), 0);
}

/// The WAL is checkpointed into the file while observations pour in, so it stays short.
#[test]
fn the_wal_stays_short_under_a_steady_stream_of_observations() {
    let (_dir, path, mut store) = crate::fixtures::disk_store();
    let wal = path.with_file_name("picket.db-wal");
    let batch = crate::fixtures::inputs(600);
    let mut largest_wal = 0;
    let start = std::time::Instant::now();
    // About 3 s at a live site's pace: a batch of 600 every 20 ms.
    while start.elapsed() < std::time::Duration::from_secs(3) {
        store.append_inputs(&batch).unwrap();
        largest_wal = largest_wal.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let db = std::fs::metadata(&path).unwrap().len();
    let written = store.counts().unwrap();
    assert!(written.observations > 20_000, "{written:?}");
    assert!(
        db > 8 << 20,
        "the checkpointer moved the pages into the file: {db} bytes"
    );
    assert!(
        largest_wal < db / 2,
        "the WAL grew to {largest_wal} bytes beside a {db}-byte file"
    );
}

/// The checkpoint runs beside the writer: pages reach the file although the writer stays
/// below its own checkpoint threshold (1,000 pages), so no commit of the writer pays for it.
#[test]
fn committed_pages_reach_the_file_without_the_writer_checkpointing() {
    let (_dir, path, mut store) = crate::fixtures::disk_store();
    let before = std::fs::metadata(&path).unwrap().len();
    // About 1.5 MB of WAL: well under the writer's 4 MB threshold.
    store
        .append_inputs(&crate::fixtures::inputs(1_500))
        .unwrap();
    let wal = std::fs::metadata(path.with_file_name("picket.db-wal"))
        .unwrap()
        .len();
    assert!(wal < 3 << 20, "{wal} bytes of WAL");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut after = before;
    while std::time::Instant::now() < deadline {
        after = std::fs::metadata(&path).unwrap().len();
        if after > before + (512 << 10) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        after > before + (512 << 10),
        "the file grew from {before} to {after} bytes only"
    );
}
