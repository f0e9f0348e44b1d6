//! Benchmark-only crate: see `benches/vs_opendroneid.rs`.
