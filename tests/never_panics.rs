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
        "policies/calendars",
        "tests/errors",
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        exercise_both(&String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn token_soup(tokens in prop::collection::vec(token(), 0..80), wrap in any::<bool>()) {
        let body: String = tokens.concat();
        // Half the soups sit inside a policy, so the parser gets past the header.
        let text = if wrap { format!("policy \"Soup\" {{\n{body}\n}}\n") } else { body };
        exercise_both(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

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
