//! End-to-end tests of the `picket` binary.

mod architecture;
mod demo;
