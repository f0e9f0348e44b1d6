//! Picket's JSON-lines observation format (the documented stand-in wire format): line in, Input out. No I/O.
#![deny(missing_docs)]
