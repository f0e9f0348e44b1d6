//! End-to-end tests of the `picket` binary.

mod demo;
