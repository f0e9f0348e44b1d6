//! Integration tests of picket-modes: real captures first (shared data), then the pyModeS
//! referee, framing under damage, mutated inputs, the `picket decode` records.

mod capture;
mod data;
mod framing;
mod golden;
mod mutated;
mod records;
mod referee;
