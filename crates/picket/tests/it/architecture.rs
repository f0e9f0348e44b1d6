//! The architecture's invariants, stated as absences in ARCHITECTURE.md, checked over
//! `cargo metadata`: a change that breaks one fails here.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Package name → names of its normal (non-dev, non-build) dependencies, for the whole graph.
fn graph() -> (BTreeMap<String, BTreeSet<String>>, BTreeMap<String, String>) {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let names: BTreeMap<String, String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in v["resolve"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap();
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| names[d["pkg"].as_str().unwrap()].clone())
            .collect();
        g.entry(names[id].clone())
            .or_default()
            .extend::<BTreeSet<String>>(deps);
    }
    (g, names)
}

fn closure(g: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(n) = todo.pop() {
        for d in g.get(&n).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

/// Crates that do I/O (async runtimes, sockets, HTTP, databases, brokers).
const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "async-std",
    "hyper",
    "axum",
    "reqwest",
    "rusqlite",
    "libsqlite3-sys",
    "sqlx",
    "postgres",
    "tokio-postgres",
    "rumqttc",
    "async-nats",
    "tower",
];

#[test]
fn codecs_fusion_assessment_and_the_simulator_do_no_io() {
    let (g, _) = graph();
    for krate in [
        "picket-core",
        "picket-obsjson",
        "picket-fusion",
        "picket-assess",
        "picket-sim",
        "picket-pcap",
        "picket-remoteid",
        "picket-sapient",
        "picket-asterix",
        "picket-cot",
        "picket-modes",
    ] {
        let deps = closure(&g, krate);
        let bad: Vec<&&str> = IO_CRATES.iter().filter(|c| deps.contains(**c)).collect();
        assert!(
            bad.is_empty(),
            "{krate} must do no I/O but depends on {bad:?}"
        );
    }
}

#[test]
fn only_the_binary_knows_the_config_format() {
    let (g, _) = graph();
    for (krate, deps) in &g {
        if krate.starts_with("picket-") {
            assert!(
                !closure(&g, krate).contains("toml"),
                "{krate} depends on toml: only `picket` (the binary) reads the config file"
            );
            assert!(!deps.contains("picket"), "{krate} depends on the binary");
        }
    }
}

#[test]
fn fusion_and_assessment_do_not_know_each_other_or_the_runtime() {
    let (g, _) = graph();
    let fusion = closure(&g, "picket-fusion");
    let assess = closure(&g, "picket-assess");
    assert!(
        !fusion.contains("picket-assess"),
        "fusion must not know assessment"
    );
    assert!(
        !assess.contains("picket-fusion"),
        "assessment works on tracks, not the tracker"
    );
    for k in ["picket-pipeline", "picket-store", "picket-api"] {
        assert!(
            !fusion.contains(k) && !assess.contains(k),
            "{k} under fusion/assessment"
        );
    }
    let store = closure(&g, "picket-store");
    assert!(
        !store.contains("axum") && !store.contains("picket-api"),
        "the store knows no HTTP"
    );
    // The API reaches tracks only through the pipeline's published picture.
    for k in ["picket-fusion", "picket-assess", "picket-store"] {
        assert!(
            !g["picket-api"].contains(k),
            "picket-api depends on {k} directly"
        );
    }
}
