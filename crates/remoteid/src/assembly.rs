//! Assembly: one aircraft per UAS ID across messages, transports and randomised MAC addresses.
//!
//! (First cut: the per-sender view of [`crate::to_observations`], with state kept between
//! calls so a Basic ID heard in one frame names the Locations of later frames.)

use crate::capture::DecodeRecord;
use crate::observe::{to_observations, ObservationContext};
use picket_core::Observation;

/// Turns a stream of decode records (in reception order) into observations.
#[derive(Debug, Clone)]
pub struct Assembler {
    context: ObservationContext,
}

impl Assembler {
    /// An assembler for one receiver.
    pub fn new(context: ObservationContext) -> Self {
        Assembler { context }
    }

    /// Takes the records of one or more frames (in reception order) and appends the
    /// observations they yield.
    pub fn push(&mut self, records: &[DecodeRecord], out: &mut Vec<Observation>) {
        out.extend(to_observations(records, &self.context));
    }
}
