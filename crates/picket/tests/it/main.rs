//! End-to-end tests of the `picket` binary.

mod architecture;
mod decode;
mod demo;
mod sapient;
