//! The pipeline runtime: inputs, fusion, assessment, alerting, store and outputs as tasks joined by bounded channels.
#![deny(missing_docs)]
