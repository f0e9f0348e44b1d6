//! The `picket` binary.
#[allow(dead_code)]
mod config;
fn main() {}
