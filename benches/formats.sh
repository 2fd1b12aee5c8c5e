#!/usr/bin/env bash
# Reading speed of the MIS formats against the long CSV (issue 9, item 5): the same
# 100,000-pupil register read from the long CSV, from SIMS `SessionAttendances` XML and from
# Wonde-style JSON lines (codes by id, through their code list), in one run of this script.
# Each is `attend run` with ATTEND_TIMINGS=1 (which prints the reading time) under
# /usr/bin/time -v (peak memory); the three runs must give byte-identical summary.csv, and
# none may read more than 4 times slower per mark than the long CSV.
#
#   benches/formats.sh                       # 100,000 pupils, the first 20 school days
#   DAYS=0 benches/formats.sh                # the whole year (about 7 GB of XML on disk)
#   PUPILS=20000 DAYS=40 benches/formats.sh
#
# The register is `attend generate`'s (as benches/resources.sh makes it, in $DATA); the
# formats are made from it by scripts/convert_register.py. DAYS keeps the first N school days:
# the XML of a whole year of 100,000 pupils is 38 million records, more disk than a CI machine
# spares, and the cost per mark does not depend on how many days there are.
#
# Measured on the project's 2-core machine while five other helpers' Rust builds shared it
# (2026-12-02, load average 19; the absolute times are inflated by that, the ratios less so,
# as the three runs shared it alike): 100,000 pupils x 20 school days, 3,880,198 marks.
#   format       size    read     per mark  ratio  peak memory
#   long CSV      86 MB   6.7 s   1,732 ns   1.00     93 MB
#   SIMS XML     807 MB  24.4 s   6,299 ns   3.64    120 MB
#   JSON lines   474 MB  10.7 s   2,747 ns   1.59    105 MB
# All three gave byte-identical actions.csv and summary.csv.
set -euo pipefail
cd "$(dirname "$0")/.."

PUPILS=${PUPILS:-100000}
DAYS=${DAYS:-20}
DATA=${DATA:-/tmp/attend-resources}
PROFILE=${PROFILE:-ci}
MAX_RATIO=${MAX_RATIO:-4}
CALENDAR=policies/calendars/camden-2024-25.calendar

echo "== cargo build --profile $PROFILE"
cargo build --profile "$PROFILE" --locked --quiet
attend=target/$PROFILE/attend

cohort="$DATA/cohort-$PUPILS"
# Made once (delete it to make it again): every format here is converted from it, so
# whichever generator made it, the comparison is of the same marks.
if [ ! -s "$cohort/register.csv" ] || [ ! -s "$cohort/pupils.csv" ]; then
    echo "== generating $PUPILS pupils in $cohort"
    "$attend" generate --cohort "$PUPILS" --phase secondary --seed 1 \
        --calendar "$CALENDAR" --out "$cohort" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== converting (the first ${DAYS} school days; 0 is all)"
# The first DAYS dates are cut out by awk (Python would spend minutes on the whole year);
# the (DAYS+1)th date to appear is where the kept span ends, in a register written pupil by
# pupil (as `attend generate` writes it) or date by date.
if [ "$DAYS" -gt 0 ]; then
    cutoff=$(awk -F, -v d="$DAYS" 'NR > 1 && !seen[$2]++ { if (++n > d) { print $2; exit } }' \
        "$cohort/register.csv")
    awk -F, -v c="$cutoff" 'NR == 1 || c == "" || $2 < c' "$cohort/register.csv" >"$work/subset.csv"
else
    cp "$cohort/register.csv" "$work/subset.csv"
fi
python3 scripts/convert_register.py --register "$work/subset.csv" \
    --long-out "$work/register.csv" --sims-out "$work/register.xml" \
    --jsonl-out "$work/register.jsonl" --codes-out "$work/codes.json"
rm -f "$work/subset.csv"
marks=$(($(wc -l <"$work/register.csv") - 1))

# Runs attend on one format; prints "seconds-reading peak-MB".
measure() {
    local name=$1 register=$2
    shift 2
    ATTEND_TIMINGS=1 /usr/bin/time -v -o "$work/$name.time" "$attend" run policies/national.policy \
        --calendar "$CALENDAR" --register "$register" --pupils "$cohort/pupils.csv" \
        --out "$work/$name" --no-report --no-ledger "$@" >/dev/null 2>"$work/$name.err" || {
        cat "$work/$name.err" >&2
        echo "attend run on $name failed" >&2
        exit 1
    }
    local read rss
    read=$(grep -oP 'timings: read \K[0-9.]+' "$work/$name.err")
    rss=$(grep -oP 'Maximum resident set size \(kbytes\): \K\d+' "$work/$name.time")
    echo "$read $((rss / 1024))"
}

status=0
read -r long_s long_mb < <(measure long "$work/register.csv") || exit 1
[ -n "$long_s" ] || exit 1
printf '%-10s %9s %12s %10s %8s %9s\n' format size "read (s)" "ns/mark" ratio "peak MB"
row() {
    local name=$1 file=$2 seconds=$3 mb=$4
    local size ns ratio
    size=$(du -h "$file" | cut -f1)
    ns=$(awk -v s="$seconds" -v m="$marks" 'BEGIN { printf "%.0f", s * 1e9 / m }')
    ratio=$(awk -v s="$seconds" -v l="$long_s" 'BEGIN { printf "%.2f", s / l }')
    printf '%-10s %9s %12s %10s %8s %9s\n' "$name" "$size" "$seconds" "$ns" "$ratio" "$mb"
    if awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r > m) }'; then
        echo "FAILED: $name reads ${ratio}x slower per mark than the long CSV (ceiling ${MAX_RATIO}x)"
        status=1
    fi
}
row long "$work/register.csv" "$long_s" "$long_mb"
read -r sims_s sims_mb < <(measure sims "$work/register.xml")
row sims-xml "$work/register.xml" "$sims_s" "$sims_mb"
read -r json_s json_mb < <(measure jsonl "$work/register.jsonl" --codes-map "$work/codes.json")
row json-lines "$work/register.jsonl" "$json_s" "$json_mb"
echo "$marks marks, $PUPILS pupils"

for name in sims jsonl; do
    if ! cmp -s "$work/long/summary.csv" "$work/$name/summary.csv" \
        || ! cmp -s "$work/long/actions.csv" "$work/$name/actions.csv"; then
        echo "FAILED: $name gives other outputs than the long CSV"
        status=1
    fi
done
exit $status
