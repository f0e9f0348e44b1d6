//! The built-in border scenario: ground truth and sensor outputs in wire formats.
#![deny(missing_docs)]
