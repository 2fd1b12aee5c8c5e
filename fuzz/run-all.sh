#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 60), one after another, on its
# seed corpus (fuzz/build-corpus.sh) with its dictionary. Fails if any target crashes, panics,
# breaks a property, takes more than 10 s on one input or more than 2 GB; the input is saved
# in fuzz/artifacts/<target>/. Prints each target's executions at the end.
#
#   fuzz/run-all.sh 600                   # ten minutes per target
#   fuzz/run-all.sh 30 register_long      # some targets only
#   fuzz/run-all.sh 120 ics               # the iCalendar import (seeds: tests/ics/)
#   KEEP_GOING=1 fuzz/run-all.sh 600      # carry on past findings, saving each one
#
# Before the run, every saved reproducer in fuzz/regressions/<target>/ is replayed once.
# Needs cargo-fuzz (`cargo install --locked cargo-fuzz`) and a C++ compiler; builds on the
# stable toolchain (RUSTC_BOOTSTRAP lets libFuzzer's coverage flags through).
set -uo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(grep -oP '^name = "\K[a-z_]+(?="$)' Cargo.toml | grep -v '^attend-fuzz$')
fi

# The dictionary of each target's input language.
dict_of() {
    case $1 in
        policy_dsl | fmt_roundtrip) echo dict/policy.dict ;;
        policy_toml) echo dict/toml.dict ;;
        *) echo "dict/$1.dict" ;;
    esac
}

export RUSTC_BOOTSTRAP=1
echo "== building ${#targets[@]} fuzz targets"
build_started=$SECONDS
cargo fuzz build -s none || exit 1
echo "built in $((SECONDS - build_started)) s"
./build-corpus.sh >/dev/null

bin=target/x86_64-unknown-linux-gnu/release
logs=$(mktemp -d)
failed=()
for t in "${targets[@]}"; do
    if [ -d "regressions/$t" ] && [ -n "$(ls -A "regressions/$t")" ]; then
        echo "== $t: replaying regressions/$t"
        if ! "$bin/$t" -timeout=10 -rss_limit_mb=2048 regressions/"$t"/* >"$logs/$t.replay" 2>&1; then
            tail -40 "$logs/$t.replay"
            failed+=("$t (a saved regression)")
        fi
    fi
    echo "== $t: fuzzing for $seconds s"
    mkdir -p "artifacts/$t" "corpus/$t"
    # libFuzzer stops at the first finding; in fork mode it saves it and carries on.
    keep_going=()
    if [ -n "${KEEP_GOING:-}" ]; then
        keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    touch "$logs/$t.start"
    "$bin/$t" "corpus/$t" "${keep_going[@]}" \
        -dict="$(dict_of "$t")" \
        -max_total_time="$seconds" \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$t/" \
        -print_final_stats=1 \
        >"$logs/$t.log" 2>&1
    status=$?
    found=$(find "artifacts/$t" -type f -newer "$logs/$t.start" | sort)
    if [ $status -ne 0 ] || [ -n "$found" ]; then
        grep -a -v '^#[0-9]' "$logs/$t.log" | tail -60
        failed+=("$t")
        for f in $found; do
            echo "-- reproduce: fuzz/target/x86_64-unknown-linux-gnu/release/$t fuzz/$f"
        done
        # What went wrong and the input itself, kept for the end of the output: a CI log is
        # often read from its tail only, and the finding must be reproducible from it alone.
        {
            # -a: a panic message quotes the input, which may hold NUL bytes.
            echo "-- $t: $(grep -a -m1 -E "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|deadly signal|out-of-memory|timeout after" "$logs/$t.log" || echo "exit status $status")"
            grep -a -m1 -A3 "panicked at" "$logs/$t.log" | tail -n +2 | cut -c1-300
            for f in $found; do
                echo "-- $f ($(wc -c <"$f") bytes), base64 (decode with base64 -d):"
                # Whole up to 64 KiB: a cut input rarely reproduces the finding.
                head -c 65536 "$f" | base64 -w 100
            done
        } >>"$logs/findings"
    fi
done

echo "== executions"
for t in "${targets[@]}"; do
    # The final stats, or in fork mode the last status line (`#N: cov: ...`).
    runs=$(grep -a -oP 'stat::number_of_executed_units: \K\d+' "$logs/$t.log" ||
        grep -a -oP '^#\K\d+(?=: cov)' "$logs/$t.log" | tail -1 || echo "-")
    cov=$(grep -a -oP '^#\d+:?\s+(DONE\s+)?cov: \K\d+' "$logs/$t.log" | tail -1 || echo "-")
    printf '%-18s %12s executions  cov %s\n' "$t" "$runs" "$cov"
done
if [ -s "$logs/findings" ]; then
    echo "== findings"
    cat "$logs/findings"
fi
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
