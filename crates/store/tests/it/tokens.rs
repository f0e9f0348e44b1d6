//! Credentials: tokens are given out once and kept only as hashes.

use crate::fixtures::*;
use picket_core::{Principal, Role};
use picket_store::{SqliteStore, Store, StoreError};
use sha2::{Digest, Sha256};

fn sectors(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Every byte of every file the store left in `dir` (database, WAL, shared memory).
fn all_file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_issued_token_authenticates_as_its_user_with_role_and_sectors() {
    let (_dir, _path, mut store) = disk_store();
    assert_eq!(store.user_count().unwrap(), 0);
    let token = store
        .issue_token(
            "duty-officer",
            Role::Operator,
            &sectors(&["naco", "sasabe"]),
        )
        .unwrap();
    assert!(token.len() >= 32, "at least 128 bits in hex");
    assert_eq!(store.user_count().unwrap(), 1);
    assert_eq!(
        store.authenticate(&token).unwrap(),
        Some(Principal {
            name: "duty-officer".into(),
            role: Role::Operator,
            sectors: sectors(&["naco", "sasabe"]),
        })
    );
}

#[test]
fn a_wrong_token_does_not_authenticate() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let token = store
        .issue_token("admin", Role::Admin, &sectors(&["*"]))
        .unwrap();
    let mut wrong = token.clone().into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    assert_eq!(store.authenticate(&wrong).unwrap(), None);
    assert_eq!(store.authenticate("").unwrap(), None);
    assert_eq!(store.authenticate(&token.to_uppercase()).unwrap(), None);
    assert_eq!(store.authenticate(&format!("{token} ")).unwrap(), None);
    // The stored hash itself is not a token either.
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(store.authenticate(&hash).unwrap(), None);
}

#[test]
fn the_files_never_contain_the_clear_token_only_its_hash() {
    let (dir, path, mut store) = disk_store();
    let token = store
        .issue_token("admin", Role::Admin, &sectors(&["*"]))
        .unwrap();
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // While open (the write sits in the WAL) and after close (checkpointed into the file).
    let open_bytes = all_file_bytes(dir.path());
    assert!(
        contains(&open_bytes, hash.as_bytes()),
        "the scan does see stored text"
    );
    assert!(!contains(&open_bytes, token.as_bytes()));
    drop(store);
    let closed_bytes = all_file_bytes(dir.path());
    assert!(contains(&closed_bytes, hash.as_bytes()));
    assert!(!contains(&closed_bytes, token.as_bytes()));
    assert!(SqliteStore::open(&path)
        .unwrap()
        .authenticate(&token)
        .unwrap()
        .is_some());
}

#[test]
fn revoking_ends_every_token_of_that_user_and_only_of_that_user() {
    let (_dir, path, mut store) = disk_store();
    let first = store
        .issue_token("patrol-7", Role::Viewer, &sectors(&["naco"]))
        .unwrap();
    let second = store
        .issue_token("patrol-7", Role::Viewer, &sectors(&["naco"]))
        .unwrap();
    let other = store
        .issue_token("admin", Role::Admin, &sectors(&["*"]))
        .unwrap();
    assert_ne!(first, second);
    assert!(
        store.authenticate(&first).unwrap().is_some(),
        "a new token leaves older ones valid"
    );

    assert_eq!(store.revoke_tokens("patrol-7").unwrap(), 2);
    assert_eq!(store.authenticate(&first).unwrap(), None);
    assert_eq!(store.authenticate(&second).unwrap(), None);
    assert_eq!(
        store.authenticate(&other).unwrap().map(|p| p.name),
        Some("admin".into())
    );
    assert_eq!(store.revoke_tokens("patrol-7").unwrap(), 0);
    assert_eq!(store.revoke_tokens("nobody").unwrap(), 0);
    assert_eq!(
        store.user_count().unwrap(),
        2,
        "the user remains, without tokens"
    );

    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.authenticate(&first).unwrap(),
        None,
        "revocation survives a reopen"
    );
}

#[test]
fn issuing_again_replaces_role_and_sectors_for_every_token_of_the_user() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let old = store
        .issue_token("watch", Role::Viewer, &sectors(&["naco"]))
        .unwrap();
    let new = store
        .issue_token("watch", Role::Operator, &sectors(&["sasabe"]))
        .unwrap();
    assert_eq!(store.user_count().unwrap(), 1);
    for token in [&old, &new] {
        let p = store.authenticate(token).unwrap().unwrap();
        assert_eq!((p.role, p.sectors), (Role::Operator, sectors(&["sasabe"])));
    }
}

#[test]
fn empty_or_control_character_user_names_are_refused() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    for bad in ["", "   ", "evil\nadmin"] {
        let err = store.issue_token(bad, Role::Admin, &[]).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidInput {
                    what: "user name",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(store.user_count().unwrap(), 0);
}
