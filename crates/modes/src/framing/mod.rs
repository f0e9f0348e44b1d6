//! Framing: how Mode S frames travel (Beast binary, AVR text) and the receiver-decoded
//! SBS-1 lines. Separate from the format layer ([`crate::ModeS`]), which reads the frames.

pub mod avr;
pub mod beast;
pub mod sbs;
