#!/usr/bin/env bash
# CI's fuzzing step (called by .ci/run): installs cargo-fuzz if missing, builds every target
# (every [[bin]] of Cargo.toml, the iCalendar import `ics` among them)
# and runs each for a short fixed time, failing on any crash, timeout, memory blow-up or broken
# property. A longer run is `fuzz/run-all.sh 600`.
set -euo pipefail
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi
exec ./run-all.sh "${FUZZ_SECONDS:-8}"
