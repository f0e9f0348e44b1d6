//! Threat assessment and alert lifecycle: classification, closest approach, levels with reasons, raise/update/ack/clear. No I/O, no clock.
#![deny(missing_docs)]
