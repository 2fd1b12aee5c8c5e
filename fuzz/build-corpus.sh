#!/usr/bin/env bash
# Builds the seed corpora, fuzz/corpus/<target>/, from the repository's own fixtures: the
# policies and calendars in both surfaces, the error fixtures, the rule fixtures, the examples,
# the engine scenarios (whole for `run_scenario`, split into their sections for the readers),
# the iCalendar feeds of tests/ics/ (for `ics`)
# and a few hand-made seeds for formats the repository has no file of (CTF XML, codes maps).
# Files are named by their content's hash, as libFuzzer names what it finds, so re-running adds
# nothing twice and keeps what the fuzzer found before.
#
#   fuzz/build-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus

# add TARGET FILE...: copies each file into the target's corpus under its content hash.
add() {
    local target=$1 f
    shift
    mkdir -p "$corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$target/$(sha1sum <"$f" | cut -c1-40)"
    done
}

# add_text TARGET: the text on standard input as one corpus file.
add_text() {
    local tmp
    tmp=$(mktemp)
    cat >"$tmp"
    add "$1" "$tmp"
    rm -f "$tmp"
}

# section NAME FILE: the body of one `--- NAME` section of a scenario.
section() {
    awk -v want="--- $1" '/^--- / { on = ($0 == want); next } on' "$2"
}

dsl=(policies/*.policy policies/corrected/*.policy policies/real/*.policy tests/errors/*.policy tests/rules/*.policy
    examples/*.policy tests/forms/*.policy)
toml=(policies/toml/*.toml tests/forms/*.toml)
calendars=(policies/calendars/*.calendar policies/calendars/*.toml)
scenarios=(tests/scenarios/*.scenario)

add policy_dsl "${dsl[@]}"
add policy_toml "${toml[@]}"
add fmt_roundtrip "${dsl[@]}" "${toml[@]}" "${calendars[@]}"
add calendar "${calendars[@]}"
add run_scenario "${scenarios[@]}"
add ics tests/ics/*.ics tests/ics/quirks/*.ics tests/ics/malformed/*.ics

for s in "${scenarios[@]}"; do
    section calendar "$s" | add_text calendar
    section pupils "$s" | add_text pupils
    register=$(section register "$s")
    if head -1 <<<"$register" | grep -q start_date; then
        add_text register_compact <<<"$register"
    else
        add_text register_long <<<"$register"
    fi
done

# The example register is thousands of rows: its first 40 lines are seed enough, and keep
# each execution fast.
head -40 examples/data/register.csv | add_text register_long
head -40 examples/data/pupils.csv | add_text pupils

add_text register_long <<'EOF'
pupil_id,date,session,mark,minutes_late
P1,2024-09-02,AM,/,
P1,2024-09-02,PM,L,12
P2,2024-09-03,am,"/",
P2,2024-09-03,pm,-,
EOF

add_text register_compact <<'EOF'
pupil_id,start_date,marks
P1,2024-09-02,"/\ /\ /\ /\ /\ ## ##|II /\ LN G\ /\ ## ##"
P2,2024-10-21,"- - -- /\ /\ ## ##"
EOF

add_text register_ctf <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header><DocumentName>Common Transfer File</DocumentName></Header>
  <CTFpupilData>
    <Pupil>
      <UPN>A123456789012</UPN>
      <Surname>Never stored</Surname>
      <DOB>2015-05-01</DOB>
      <BasicDetails><NCyearActual>4</NCyearActual></BasicDetails>
      <Attendance>
        <YearData>
          <AttendanceStartDate>2024-09-02</AttendanceStartDate>
          <SessionsPossible>20</SessionsPossible>
          <SessionsAuthorised>2</SessionsAuthorised>
          <SessionsAttended>18</SessionsAttended>
          <SessionsUnauthorised>0</SessionsUnauthorised>
          <AttendanceMarks>/\/\/\/\/\####II/\/\/\/\####</AttendanceMarks>
        </YearData>
      </Attendance>
    </Pupil>
    <Pupil>
      <UPN>B123456789012</UPN>
      <DOB>2012-01-31</DOB>
      <BasicDetails><NCyearActual>R</NCyearActual></BasicDetails>
      <Attendance><YearData>
        <AttendanceStartDate>2024-11-04</AttendanceStartDate>
        <AttendanceMarks>/\GGNN/\&amp;</AttendanceMarks>
      </YearData></Attendance>
    </Pupil>
  </CTFpupilData>
</CTfile>
EOF

add_text pupils <<'EOF'
pupil_id,date_of_birth,year_group,admission_date,leaving_date,sen,fsm,looked_after
P1,2015-05-01,4,2024-09-02,,E,true,false
P2,2019-08-31,R,,2025-03-31,K,yes,no
P3,2008-09-01,13,,,,,
EOF

add_text codes_map <<'EOF'
local,national
AB,/
LA,L
ILL,I
EOF
add_text codes_map <<'EOF'
mis_mark,mark,valid_from,valid_to
V,V,,2024-08-18
V,K,2024-08-19,
@,/,2024-09-01,2025-08-31
EOF

# The MIS formats (docs/data.md): the test fixtures written from data-formats.md's shapes.
add register_sims tests/formats/sims.xml
add register_json tests/formats/wonde.jsonl tests/formats/arbor.json
add_text register_mapped <<'EOF'
Adno,Surname,Date,Session,Mark
1001,X,02/09/2024,am,/
1001,X,02/09/2024,13:15,\
1002,Y,2024-09-03,AM,C1
EOF
add register_grid tests/formats/grid.csv
add_text register_grid <<'EOF'
pupil_id,Name,02/09/2024,03/09/2024
P1,X,/\,LN
P2,Y,C1C1,#
EOF

# The ledger: the scenario the target records (its actions.csv with `done` filled in), and
# ledger files an `attend run` and an `attend done` wrote, which the fuzzer corrupts.
attend=target/debug/attend
[ -x "$attend" ] || cargo build --quiet --bin attend
ledger_dir=$(mktemp -d)
scenario=tests/scenarios/same_action_from_two_rules_is_one_row.scenario
section policy "$scenario" >"$ledger_dir/s.policy"
section calendar "$scenario" >"$ledger_dir/s.calendar"
section register "$scenario" >"$ledger_dir/r.csv"
if "$attend" run "$ledger_dir/s.policy" --calendar "$ledger_dir/s.calendar" \
    --register "$ledger_dir/r.csv" --allow-missing --allow-errors --out "$ledger_dir/out" \
    --no-report -q \
    --ledger "$ledger_dir/ledger.sqlite" >/dev/null 2>&1; then
    add ledger "$ledger_dir/ledger.sqlite"
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $NF = "2024-09-16"; print }' \
        "$ledger_dir/out/actions.csv" >"$ledger_dir/done.csv"
    add ledger "$ledger_dir/out/actions.csv" "$ledger_dir/done.csv"
    "$attend" done --import "$ledger_dir/done.csv" --ledger "$ledger_dir/ledger.sqlite" \
        >/dev/null 2>&1 && add ledger "$ledger_dir/ledger.sqlite"
fi
rm -rf "$ledger_dir"
add_text ledger <<'CSV'
id,done,note
0000000,yes,letter posted
deadbeef,2024-09-16,
CSV

du -sh "$corpus"
for d in "$corpus"/*/; do
    echo "$(basename "$d"): $(find "$d" -type f | wc -l) files"
done
