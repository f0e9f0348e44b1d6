//! Multi-target tracking: Kalman filter in local ENU, gating, optimal assignment, M-of-N confirmation, deletion. No I/O, no clock.
#![deny(missing_docs)]
