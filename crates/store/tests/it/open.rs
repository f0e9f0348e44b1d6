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
