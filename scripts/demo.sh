#!/usr/bin/env bash
# Run Picket's live demo on the built-in border scenario and serve the console.
# Usage: scripts/demo.sh [picket demo options, e.g. --speed 2 --listen 127.0.0.1:8080]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f web/node_modules/leaflet/dist/leaflet.js ]; then
  npm ci --prefix web --no-audit --no-fund
fi
cargo build --release --locked -p picket
exec target/release/picket demo "$@"
