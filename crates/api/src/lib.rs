//! HTTP API (REST + WebSocket) with token authentication, and the web console's static files.
#![deny(missing_docs)]
