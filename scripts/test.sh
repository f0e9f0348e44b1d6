#!/usr/bin/env bash
# Every test Picket has: formatting, lints, the Rust suites (unit, integration, end-to-end
# demo against ground truth, architecture invariants) and the console in headless Chromium.
# Fails — never skips — when something it needs is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f web/node_modules/playwright-core/package.json ]; then
  npm ci --prefix web --no-audit --no-fund
fi
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || {
  echo "Chromium is needed for the console test: apt-get install -y chromium (or set CHROMIUM)" >&2
  exit 1
}
# Independent referees (pyModeS, sapient-py, asterix-decoder, Stone Soup, takproto, taky).
[ -x .venv-referees/bin/python ] || scripts/referees.sh
# The MQTT output tests talk to a real Mosquitto on 127.0.0.1:1883.
if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  if command -v mosquitto >/dev/null; then
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
    for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break; sleep 0.2; done
  else
    echo "Mosquitto is needed on 127.0.0.1:1883 for the MQTT tests: apt-get install -y mosquitto" >&2
    exit 1
  fi
fi
# A skipped test is not a passed test.
if grep -rn --include='*.rs' '#\[ignore' crates; then
  echo "tests marked #[ignore] found: finish them or remove them" >&2
  exit 1
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The cargo-fuzz targets (not workspace members) must keep compiling against the codecs, and
# every input in their committed corpora (fuzz/corpus/<target>/, grown with
# `cargo +nightly fuzz run <target>`) must still run without a crash. Built on stable without
# instrumentation: libFuzzer's driver with -runs=0 executes each corpus file once.
CARGO_TARGET_DIR="$PWD/target" cargo build --manifest-path fuzz/Cargo.toml --locked --bins
for t in fuzz/fuzz_targets/*.rs; do
  t=$(basename "$t" .rs)
  [ -n "$(ls -A "fuzz/corpus/$t" 2>/dev/null)" ] || {
    echo "fuzz target $t has no corpus in fuzz/corpus/$t: run cargo +nightly fuzz run $t" >&2
    exit 1
  }
done
for corpus in fuzz/corpus/*/; do
  target=$(basename "$corpus")
  "target/debug/$target" -runs=0 -rss_limit_mb=1024 "$corpus" 2>"target/fuzz-replay-$target.log" || {
    tail -20 "target/fuzz-replay-$target.log" >&2
    echo "fuzz corpus replay failed: $target" >&2
    exit 1
  }
  echo "fuzz corpus $target: $(ls "$corpus" | wc -l) inputs replayed"
done
PICKET_BIN="$PWD/target/debug/picket" node web/tests/console.test.mjs
echo "all tests passed"
