//! The crate's absences, checked: no I/O, no clock, no async runtime, no hash-order dependence.

const MANIFEST: &str = include_str!("../../Cargo.toml");
const SOURCES: [(&str, &str); 9] = [
    ("jpda.rs", include_str!("../../src/jpda.rs")),
    ("bearing.rs", include_str!("../../src/bearing.rs")),
    ("imm.rs", include_str!("../../src/imm.rs")),
    ("lib.rs", include_str!("../../src/lib.rs")),
    ("config.rs", include_str!("../../src/config.rs")),
    ("kalman.rs", include_str!("../../src/kalman.rs")),
    ("measure.rs", include_str!("../../src/measure.rs")),
    ("assign.rs", include_str!("../../src/assign.rs")),
    ("tracker.rs", include_str!("../../src/tracker.rs")),
];

#[test]
fn fusion_depends_only_on_math_and_the_shared_model() {
    let allowed = [
        "picket-core",
        "nalgebra",
        "pathfinding",
        "serde",
        "thiserror",
    ];
    let mut in_deps = false;
    let mut seen = Vec::new();
    for line in MANIFEST.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            assert!(
                allowed.contains(&name),
                "picket-fusion must not depend on `{name}`: it does no I/O and reads no clock"
            );
            seen.push(name.to_owned());
        }
    }
    assert!(
        seen.iter().any(|n| n == "nalgebra"),
        "manifest not parsed: {seen:?}"
    );
}

#[test]
fn fusion_sources_touch_no_file_socket_clock_or_hash_order() {
    let forbidden = [
        "std::fs",
        "std::net",
        "std::io",
        "SystemTime",
        "Instant",
        "tokio",
        "HashMap",
        "HashSet",
        "thread_rng",
    ];
    for (file, text) in SOURCES {
        for word in forbidden {
            assert!(!text.contains(word), "src/{file} mentions `{word}`");
        }
    }
}
