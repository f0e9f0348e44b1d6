//! End-to-end tests of the `picket` binary.

mod architecture;
mod asterix;
mod awareness;
mod bench;
mod decode;
mod demo;
mod sapient;
mod token;
