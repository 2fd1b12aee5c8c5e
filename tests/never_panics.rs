//! Whatever text arrives, `attend` answers with diagnostics, never a panic: random bytes, token
//! soup from the grammar's vocabulary, and the real policies mutated (spans deleted,
//! duplicated, swapped, tokens inserted, the file truncated), in both surfaces. For every input
//! the whole pipeline runs as the CLI would: parse, lower, check, render the diagnostics as
//! text and JSON, compile and render the table, and print the AST in both surfaces; a printed
//! form must itself read back.
//!
//! 10,000 cases in all, split so the test threads share the work.

use std::path::Path;
use std::sync::LazyLock;

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::source::Source;
use attend::syntax::{self, Surface};
use proptest::prelude::*;
use proptest::sample::Index;

/// The files mutations start from: every policy and calendar in both surfaces, and every
/// error case (small, so most mutations are cheap).
static CORPUS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "policies",
        "policies/toml",
        "policies/corrected",
        "policies/real",
        "policies/calendars",
        "tests/errors",
        "tests/forms",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("readable directory entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let kept = [".policy", ".toml", ".calendar"]
                .iter()
                .any(|ext| name.ends_with(ext));
            if path.is_file() && kept {
                files.push((
                    format!("{dir}/{name}"),
                    std::fs::read(&path).expect("readable file"),
                ));
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "corpus too small: {}", files.len());
    files
});

/// Words and marks the two surfaces are made of, and some they must refuse.
const VOCABULARY: &[&str] = &[
    // boundary wordings as schools write them
    "under",
    "at least",
    "or less",
    "read as",
    "defines",
    "≥",
    "–",
    "—",
    "“",
    "”",
    "\u{a0}",
    // statements and structure
    "policy",
    "\"X\"",
    "{",
    "}",
    "(",
    ")",
    ":",
    ",",
    ".",
    "\n",
    " ",
    "\t",
    "#",
    "# comment\n",
    "extends",
    "national",
    "urn",
    "phase",
    "primary",
    "type",
    "academy",
    "target",
    "ratified",
    "review",
    "cites",
    "act",
    "calendar",
    "session",
    "am",
    "pm",
    "opens",
    "late_after",
    "closes",
    "term",
    "autumn",
    "half_term",
    "holiday",
    "bank_holiday",
    "inset",
    "closed",
    "stages",
    "is",
    "expect",
    "monitor",
    "listen",
    "facilitate",
    "formalise",
    "enforce",
    "bands",
    "band",
    "attendance",
    "absence",
    "over",
    "from",
    "possible",
    "sessions",
    "stage",
    "on",
    "enter",
    "define",
    "when",
    "escalation",
    "days",
    "marked",
    "day",
    "trigger",
    "then",
    "once",
    "per",
    "repeat",
    "every",
    "school_weeks",
    "school_days",
    "plan",
    "at",
    "after",
    "escalate",
    "to",
    "open",
    "miss",
    "met",
    "letters",
    "meetings",
    "roles",
    "procedures",
    "penalty_notices",
    "threshold",
    "in",
    "limit",
    "years",
    "fine",
    "second_fine",
    "within",
    "limits",
    "register_open",
    "minutes",
    "sessions_per_year",
    // conditions
    "and",
    "or",
    "not",
    "of",
    "below",
    "above",
    "less",
    "more",
    "than",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "-",
    "..",
    "..=",
    "<..",
    "<..=",
    "year_to_date",
    "this_term",
    "this_half_term",
    "rolling",
    "last",
    "count",
    "consecutive_days",
    "unauthorised",
    "present",
    "absent",
    "pupil.fsm",
    "pupil.stage",
    "pupil.year_group",
    "pupil.nothing",
    "persistent_absence",
    "attendance(year_to_date)",
    "count(L, this_half_term)",
    "consecutive_days({N, O})",
    // actions
    "letter",
    "meeting",
    "contact",
    "home_visit",
    "support",
    "notify",
    "refer",
    "consider",
    "local_authority",
    "penalty_notice",
    "penalty_warning",
    "by",
    "champion",
    // values, good and bad
    "0",
    "1",
    "10",
    "65535",
    "4294967296",
    "99999999999999999999",
    "90%",
    "100%",
    "95.9%",
    "12.34567%",
    "999%",
    "%",
    "%%",
    "2024-09-04",
    "2024-02-30",
    "0000-00-00",
    "08:55",
    "25:00",
    "9:5",
    "£80",
    "£",
    "£99999999999999999999.99",
    "{N, O}",
    "{#}",
    "{}",
    "{N,",
    "N",
    "O",
    "L",
    "U",
    "Y",
    "Q9",
    "/",
    "\\",
    "\"unterminated",
    "\"esc\\t\"",
    "\"\\\"\"",
    // TOML
    "[policy]",
    "[[trigger]]",
    "[[bands]]",
    "[[bands.band]]",
    "[[escalation.step]]",
    "[[calendar]]",
    "[letters]",
    "name = \"X\"",
    "when = \"",
    "then = \"contact\"",
    "= ",
    "[",
    "]",
    "[[",
    "]]",
    "'''",
    "\"\"\"",
    "true",
    "1979-05-27T07:32:00Z",
    "inf",
    "nan",
    "{ a = 1 }",
    // hostile characters
    "\0",
    "\r",
    "\r\n",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "🙂",
    "\u{202e}",
    "\u{7f}",
];

fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(VOCABULARY)
}

/// Runs everything the CLI would on one input, and checks that printed forms read back.
fn exercise(name: &str, text: &str) {
    let src = Source::new(name, text);
    let analysis = attend::analyse(&src, None);
    render_diagnostics(&analysis.diagnostics, DiagnosticFormat::Human, false);
    render_diagnostics(&analysis.diagnostics, DiagnosticFormat::Json, false);
    if let Some(checked) = &analysis.checked {
        let (table, diagnostics) = attend::table::compile(checked);
        render_diagnostics(&diagnostics, DiagnosticFormat::Human, false);
        attend::table::render_text(&table);
        attend::table::render_markdown(&table);
        attend::table::render_json(&table);
    }
    if let Err(diagnostics) = attend::load_calendar(&src) {
        render_diagnostics(&diagnostics, DiagnosticFormat::Human, false);
    }
    let Ok(file) = syntax::parse(&src) else {
        return;
    };
    for (surface, ext) in [(Surface::Dsl, "policy"), (Surface::Toml, "toml")] {
        // What TOML cannot hold (a statement or block written twice) is refused by
        // `attend fmt --to toml`, so there is no TOML form to hold to a fixed point.
        if surface == Surface::Toml && !syntax::toml_cannot_hold(&file).is_empty() {
            continue;
        }
        let printed = syntax::print(&file, surface);
        // A calendar-only file printed as DSL is a `.calendar` file.
        let ext = match (&file, surface) {
            (syntax::ast::File::Calendars(_), Surface::Dsl) => "calendar",
            _ => ext,
        };
        let again = Source::new(format!("printed.{ext}"), printed.clone());
        match syntax::parse(&again) {
            Ok(reparsed) => {
                let reprinted = syntax::print(&reparsed, surface);
                assert_eq!(
                    reprinted, printed,
                    "{name}: printing as {surface:?} is not a fixed point"
                );
            }
            Err(d) => panic!(
                "{name}: parses, but its {surface:?} form does not:\n{}\n---- input\n{text}\n---- printed\n{printed}",
                render_diagnostics(&d, DiagnosticFormat::Human, false)
            ),
        }
    }
}

/// Runs an input as a DSL and as a TOML file.
fn exercise_both(text: &str) {
    exercise("input.policy", text);
    exercise("input.toml", text);
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete { at: Index, len: usize },
    Insert { at: Index, token: &'static str },
    Duplicate { from: Index, len: usize, to: Index },
    Swap { a: Index, b: Index, len: usize },
    Truncate { at: Index },
    Bytes { at: Index, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => (any::<Index>(), 1..40usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        4 => (any::<Index>(), token()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        1 => (any::<Index>(), 1..200usize, any::<Index>())
            .prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
        1 => (any::<Index>(), any::<Index>(), 1..60usize)
            .prop_map(|(a, b, len)| Mutation::Swap { a, b, len }),
        1 => any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Bytes { at, bytes }),
    ]
}

/// Applies a mutation to bytes (so it may split a character: the result is read lossily, as
/// any file would be).
fn apply(text: &mut Vec<u8>, m: &Mutation) {
    let len = text.len();
    let pos = |i: &Index| if len == 0 { 0 } else { i.index(len + 1) };
    match m {
        Mutation::Delete { at, len: n } => {
            let start = pos(at);
            let end = (start + n).min(len);
            text.drain(start..end);
        }
        Mutation::Insert { at, token } => {
            let at = pos(at);
            text.splice(at..at, token.bytes());
        }
        Mutation::Duplicate { from, len: n, to } => {
            let start = pos(from);
            let end = (start + n).min(len);
            let piece: Vec<u8> = text[start..end].to_vec();
            let to = pos(to);
            text.splice(to..to, piece);
        }
        Mutation::Swap { a, b, len: n } => {
            let (a, b) = (pos(a), pos(b));
            let (first, second) = (a.min(b), a.max(b));
            let n = (*n).min(second - first).min(len - second);
            if n > 0 {
                let (left, right) = text.split_at_mut(second);
                left[first..first + n].swap_with_slice(&mut right[..n]);
            }
        }
        Mutation::Truncate { at } => text.truncate(pos(at)),
        Mutation::Bytes { at, bytes } => {
            let at = pos(at);
            text.splice(at..at, bytes.iter().copied());
        }
    }
}

// ------------------------------------------------------------------ policies that make sense

/// Generated policies that are mostly well-formed, so lowering, the national rules, the shape
/// analysis and the table compiler all see varied input (the other strategies rarely get past
/// the parser).
mod generated {
    use proptest::prelude::*;

    fn percent() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u32..=100).prop_map(|p| format!("{p}%")),
            2 => (0u32..100, 1u32..10_000).prop_map(|(p, f)| format!("{p}.{f}%")),
            1 => Just("100%".to_string()),
            1 => Just("0%".to_string()),
            1 => (101u32..1000).prop_map(|p| format!("{p}%")),
        ]
    }

    fn window() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("year_to_date".to_string()),
            Just("this_term".to_string()),
            Just("this_half_term".to_string()),
            (0u32..60).prop_map(|n| format!("rolling {n} school_weeks")),
            (0u32..200).prop_map(|n| format!("last {n} school_days")),
        ]
    }

    fn codes() -> impl Strategy<Value = String> {
        let code = prop::sample::select(
            &["N", "O", "G", "U", "L", "C", "M", "#", "/", "B", "Y", "Q9"][..],
        );
        prop_oneof![
            // `#` alone is a comment; the closure code is written `{#}`.
            code.clone()
                .prop_filter("`#` alone starts a comment", |c| *c != "#")
                .prop_map(String::from),
            prop::collection::vec(code, 0..5).prop_map(|c| format!("{{{}}}", c.join(", "))),
        ]
    }

    fn op() -> impl Strategy<Value = &'static str> {
        prop::sample::select(&["<", "<=", ">", ">=", "==", "!="][..])
    }

    fn stage() -> impl Strategy<Value = &'static str> {
        prop::sample::select(
            &[
                "expect",
                "monitor",
                "listen",
                "facilitate",
                "formalise",
                "enforce",
                "aspire",
            ][..],
        )
    }

    fn leaf() -> impl Strategy<Value = String> {
        let ratio = prop::sample::select(&["attendance", "absence"][..]);
        let class = || {
            prop::sample::select(
                &[
                    "possible",
                    "present",
                    "absent",
                    "authorised",
                    "unauthorised",
                ][..],
            )
        };
        let flag = prop::sample::select(
            &[
                "pupil.fsm",
                "pupil.sen",
                "pupil.ehc_plan",
                "pupil.social_worker",
                "pupil.looked_after",
                "pupil.compulsory_school_age",
                "persistent_absence",
                "severe_absence",
            ][..],
        );
        prop_oneof![
            (ratio, window(), op(), percent()).prop_map(|(m, w, o, p)| format!("{m}({w}) {o} {p}")),
            (class(), window(), op(), 0u32..400)
                .prop_map(|(m, w, o, n)| format!("{m}({w}) {o} {n}")),
            (class(), window(), op(), percent(), class(), window())
                .prop_map(|(m, w, o, p, m2, w2)| format!("{m}({w}) {o} {p} of {m2}({w2})")),
            (codes(), window(), op(), 0u32..50)
                .prop_map(|(c, w, o, n)| format!("count({c}, {w}) {o} {n} sessions")),
            (codes(), op(), 0u32..40)
                .prop_map(|(c, o, n)| format!("consecutive_days({c}) {o} {n} days")),
            flag.prop_map(String::from),
            (op(), 0u32..14).prop_map(|(o, n)| format!("pupil.year_group {o} {n}")),
            (op(), stage()).prop_map(|(o, s)| format!("pupil.stage {o} {s}")),
        ]
    }

    pub fn condition() -> impl Strategy<Value = String> {
        leaf().prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
                inner.clone().prop_map(|a| format!("not ({a})")),
                inner.prop_map(|a| format!("({a})")),
            ]
        })
    }

    fn action() -> impl Strategy<Value = &'static str> {
        prop::sample::select(
            &[
                "letter concern",
                "meeting parent",
                "contact \"call\"",
                "home_visit by lead",
                "notify local_authority",
                "refer early_help",
                "consider penalty_notice",
                "consider prosecution",
                "penalty_warning",
                "support \"mentor\"",
                "review",
                "notify lead",
                "consider deletion_from_roll",
            ][..],
        )
    }

    fn actions() -> impl Strategy<Value = String> {
        prop::collection::vec(action(), 1..4).prop_map(|a| a.join(", "))
    }

    fn range() -> impl Strategy<Value = String> {
        let between = prop::sample::select(&["-", "to", "..", "..=", "<..", "<..="][..]);
        prop_oneof![
            3 => (percent(), between, percent()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
            1 => percent().prop_map(|p| format!("below {p}")),
            1 => percent().prop_map(|p| format!("{p} and below")),
            1 => percent().prop_map(|p| format!("above {p}")),
            1 => percent().prop_map(|p| format!("{p} or above")),
            1 => percent().prop_map(|p| format!("< {p}")),
            1 => percent().prop_map(|p| format!(">= {p}")),
            1 => percent().prop_map(|p| format!("≤ {p}")),
            1 => percent().prop_map(|p| format!("under {p}")),
            1 => percent().prop_map(|p| format!("at least {p}")),
            1 => percent().prop_map(|p| format!("{p} or less")),
            1 => (percent(), percent()).prop_map(|(a, b)| format!("≥ {a} and < {b}")),
            1 => (percent(), percent()).prop_map(|(a, b)| format!("{a}–{b}")),
            1 => (percent(), percent()).prop_map(|(a, b)| format!("{} —{b}", a.trim_end_matches('%'))),
            1 => (percent(), percent()).prop_map(|(a, b)| format!("Below {a}- {b} read as {b} .. {a}")),
        ]
    }

    fn bands() -> impl Strategy<Value = String> {
        let metric = prop::sample::select(&["attendance", "absence"][..]);
        let band = (range(), stage(), prop::option::of(actions()));
        (
            metric,
            window(),
            prop::option::of(0u32..40),
            prop::collection::vec(band, 0..6),
            any::<u16>(),
        )
            .prop_map(|(metric, window, evidence, bands, set)| {
                let evidence = evidence
                    .map(|n| format!(" from {n} possible sessions"))
                    .unwrap_or_default();
                let mut out = format!("  bands {metric} over {window}{evidence} {{\n");
                for (i, (range, stage, on_enter)) in bands.into_iter().enumerate() {
                    let on_enter = on_enter
                        .map(|a| format!(" on enter: {a}"))
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "    band b{set}_{i} {range} stage {stage}{on_enter}\n"
                    ));
                }
                out.push_str("  }\n");
                out
            })
    }

    fn escalation() -> impl Strategy<Value = String> {
        let step = (0u32..25, prop::option::of(condition()), actions());
        (codes(), prop::collection::vec(step, 0..5)).prop_map(|(codes, steps)| {
            let codes = if codes.starts_with('{') {
                codes
            } else {
                format!("{{{codes}}}")
            };
            let mut out = format!("  escalation \"e\" days marked {codes} {{\n");
            for (day, when, actions) in steps {
                let when = when.map(|c| format!(" when {c}")).unwrap_or_default();
                out.push_str(&format!("    day {day}{when}: {actions}\n"));
            }
            out.push_str("  }\n");
            out
        })
    }

    fn trigger() -> impl Strategy<Value = String> {
        let repeat = prop::option::of(prop_oneof![
            Just(" once per term".to_string()),
            Just(" once per half_term".to_string()),
            (0u32..5).prop_map(|n| format!(" repeat every {n} school_weeks")),
        ]);
        (
            any::<u16>(),
            prop::option::of(0u32..40),
            condition(),
            actions(),
            prop::option::of(stage()),
            repeat,
        )
            .prop_map(|(id, evidence, when, then, stage, repeat)| {
                let evidence = evidence
                    .map(|n| format!(" from {n} possible sessions"))
                    .unwrap_or_default();
                let stage = stage.map(|s| format!(" stage {s}")).unwrap_or_default();
                let repeat = repeat.unwrap_or_default();
                format!("  trigger \"t{id}\"{evidence} when {when} then {then}{stage}{repeat}\n")
            })
    }

    fn plan() -> impl Strategy<Value = String> {
        (any::<u16>(), stage(), 0u32..12, condition(), prop::option::of(stage()), actions()).prop_map(
            |(id, at, weeks, target, escalate, on_miss)| {
                let escalate = escalate.map(|s| format!("    escalate to {s}\n")).unwrap_or_default();
                format!(
                    "  plan \"p{id}\" at {at} {{\n    review after {weeks} school_weeks\n    target {target}\n{escalate}    on miss: {on_miss}\n  }}\n"
                )
            },
        )
    }

    fn calendar() -> impl Strategy<Value = String> {
        let date =
            (2023i32..2027, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}"));
        let time = (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h:02}:{m:02}"));
        (time.clone(), time, date.clone(), date.clone(), prop::collection::vec(date, 0..4)).prop_map(
            |(opens, closes, start, end, closures)| {
                let mut out = format!(
                    "  calendar {{\n    session am opens {opens} closes {closes}\n    term autumn {start} .. {end}\n"
                );
                for d in closures {
                    out.push_str(&format!("    inset {d}\n"));
                }
                out.push_str("  }\n");
                out
            },
        )
    }

    pub fn policy() -> impl Strategy<Value = String> {
        let statements = prop::collection::vec(
            prop_oneof![
                2 => bands(),
                2 => escalation(),
                3 => trigger(),
                1 => plan(),
                1 => calendar(),
                1 => condition().prop_map(|c| format!("  define persistent_absence when {c}\n")),
                1 => condition().prop_map(|c| format!("  define own when {c}\n")),
            ],
            0..6,
        );
        (any::<bool>(), statements).prop_map(|(extends, statements)| {
            let extends = if extends { "  extends national\n" } else { "" };
            format!(
                "policy \"Generated\" {{\n{extends}  roles {{ lead \"Lead\" champion \"Head\" }}\n  letters {{ concern \"letters/concern.md\" }}\n  meetings {{ parent \"Parent meeting\" }}\n{}}}\n",
                statements.concat()
            )
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_500))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        exercise_both(&String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn token_soup(tokens in prop::collection::vec(token(), 0..80), wrap in any::<bool>()) {
        let body: String = tokens.concat();
        // Half the soups sit inside a policy, so the parser gets past the header.
        let text = if wrap { format!("policy \"Soup\" {{\n{body}\n}}\n") } else { body };
        exercise_both(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_500))]

    #[test]
    fn mutated_policies(file in any::<Index>(), mutations in prop::collection::vec(mutation(), 1..4)) {
        let (name, original) = &CORPUS[file.index(CORPUS.len())];
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let text = String::from_utf8_lossy(&bytes);
        // Keep the file's own surface, so most mutants get deep into it.
        exercise(name, &text);
    }
}

/// Nesting at the limit is accepted and every later stage copes with it on a test thread's
/// stack; one more level is refused with a diagnostic.
#[test]
fn nesting_at_the_limit() {
    let limit = attend::syntax::dsl::MAX_DEPTH;
    let nested = |depth: usize| {
        format!(
            "policy \"Deep\" {{\n  define deep when {}pupil.fsm{}\n  define negated when {}pupil.fsm\n}}\n",
            "(".repeat(depth),
            ")".repeat(depth),
            "not ".repeat(depth),
        )
    };
    let at_limit = attend::analyse(&Source::new("deep.policy", nested(limit - 1)), None);
    let codes: Vec<&str> = at_limit
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert!(!codes.contains(&"syntax::too_deep"), "{codes:?}");
    exercise("deep.policy", &nested(limit - 1));
    let over = attend::analyse(&Source::new("deep.policy", nested(limit + 1)), None);
    let codes: Vec<&str> = over.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["syntax::too_deep"]);
    // Far past the limit the parser's own stack guard answers, with the same code.
    let far = attend::analyse(&Source::new("deep.policy", nested(100_000)), None);
    assert!(far.diagnostics.iter().any(|d| d.code == "syntax::too_deep"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn generated_policies(text in generated::policy()) {
        exercise("generated.policy", &text);
    }
}
