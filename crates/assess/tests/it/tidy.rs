//! The crate's promises as absences: no I/O, no clock, no async runtime, no hash-order output.

use std::path::Path;

fn crate_file(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

#[test]
fn depends_only_on_core_serde_and_thiserror() {
    let manifest = crate_file("Cargo.toml");
    let deps: Vec<&str> = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table")
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split(['=', '.']).next())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(deps, vec!["picket-core", "serde", "thiserror"]);
}

#[test]
fn sources_read_no_clock_do_no_io_and_iterate_no_hash_maps() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for entry in std::fs::read_dir(&src).expect("src dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        for banned in [
            "SystemTime",
            "Instant::now",
            "std::fs",
            "std::net",
            "std::io",
            "tokio",
            "HashMap",
            "HashSet",
            "thread_rng",
            "println!",
        ] {
            assert!(
                !text.contains(banned),
                "{} uses `{banned}`: assessment takes time and data as arguments",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 5, "found the sources ({checked})");
}
