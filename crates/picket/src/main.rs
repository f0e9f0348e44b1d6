//! The `picket` binary.
fn main() {}
