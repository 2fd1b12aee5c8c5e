//! The corpus of real policies (`policies/real/`): each is well-formed, canonical, and `attend
//! check` finds in it the flaws an expert lists in its `<name>.expected.md` (recall), and
//! nothing the list marks as not a flaw (false positives). The list's format is documented in
//! `policies/real/README.md`.

use std::path::{Path, PathBuf};

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::diagnostic::Diagnostic;
use attend::source::Source;
use attend::syntax::{self, Surface};

/// The least recall the corpus must keep: every listed flaw is found today (see the report the
/// test prints); a rule change that loses one fails here.
const MIN_RECALL_PERCENT: usize = 90;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn policies() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join("policies/real"))
        .expect("policies/real exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    found.sort();
    found
}

fn load(path: &Path) -> Source {
    let rel = path.strip_prefix(root()).unwrap_or(path);
    let name = rel.to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    Source::new(name, text)
}

#[derive(Debug, PartialEq)]
enum Kind {
    Flaw,
    NotAFlaw,
    Pending,
}

#[derive(Debug)]
struct Expected {
    kind: Kind,
    /// A rule code, or `None` for `any` (and for pending items, which name none).
    code: Option<String>,
    line: usize,
    text: String,
}

/// The list items `- flaw CODE line N: ...`, `- not-a-flaw CODE|any line N: ...`,
/// `- pending line N: ...`; every other line is prose.
fn parse_expected(name: &str, text: &str) -> Vec<Expected> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(item) = line.strip_prefix("- ") else {
            continue;
        };
        let (head, rest) = item
            .split_once(": ")
            .unwrap_or_else(|| panic!("{name}:{}: an item needs `: ` after its line", i + 1));
        let words: Vec<&str> = head.split_whitespace().collect();
        let (kind, code, number) = match words.as_slice() {
            ["flaw", code, "line", n] => (Kind::Flaw, Some(code.to_string()), n),
            ["not-a-flaw", "any", "line", n] => (Kind::NotAFlaw, None, n),
            ["not-a-flaw", code, "line", n] => (Kind::NotAFlaw, Some(code.to_string()), n),
            ["pending", "line", n] => (Kind::Pending, None, n),
            _ => panic!(
                "{name}:{}: not an item of the documented form: {line}",
                i + 1
            ),
        };
        if let Some(code) = &code {
            assert!(
                code.len() == 5
                    && code.starts_with("AT")
                    && code[2..].chars().all(|c| c.is_ascii_digit()),
                "{name}:{}: `{code}` is not a rule code",
                i + 1
            );
        }
        let line_no: usize = number
            .parse()
            .unwrap_or_else(|_| panic!("{name}:{}: `{number}` is not a line", i + 1));
        out.push(Expected {
            kind,
            code,
            line: line_no,
            text: rest.to_string(),
        });
    }
    out
}

/// The 1-based line each finding starts on, with its code.
fn finding_lines(src: &Source, diagnostics: &[Diagnostic]) -> Vec<(String, usize)> {
    diagnostics
        .iter()
        .filter_map(|d| {
            let loc = d.loc.as_ref()?;
            let before = src.text().get(..loc.span.start)?;
            Some((d.code.clone(), before.matches('\n').count() + 1))
        })
        .collect()
}

fn is_malformation(code: &str) -> bool {
    code.starts_with("syntax::") || code.starts_with("model::") || code.starts_with("input::")
}

#[test]
fn the_corpus_holds_at_least_twelve_documents_each_with_its_expert_list() {
    let all = policies();
    assert!(all.len() >= 12, "only {} real policies", all.len());
    for path in &all {
        let src = load(path);
        let head: String = src.text().lines().take(8).collect::<Vec<_>>().join("\n");
        assert!(
            head.contains("http") && head.contains("Read: "),
            "{}: the header must give the source address and the date read",
            src.name()
        );
        let expected = path.with_extension("expected.md");
        assert!(
            expected.is_file(),
            "{} has no {}",
            src.name(),
            expected.display()
        );
    }
    for entry in std::fs::read_dir(root().join("policies/real")).expect("policies/real") {
        let path = entry.expect("entry").path();
        let name = path.to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".expected.md") {
            assert!(
                Path::new(&format!("{stem}.policy")).is_file(),
                "{name} belongs to no policy"
            );
        }
    }
}

#[test]
fn every_real_policy_is_well_formed_and_canonical() {
    for path in policies() {
        let src = load(&path);
        let analysis = attend::analyse(&src, None);
        let malformed: Vec<Diagnostic> = analysis
            .diagnostics
            .iter()
            .filter(|d| is_malformation(&d.code))
            .cloned()
            .collect();
        assert!(
            malformed.is_empty(),
            "{}:\n{}",
            src.name(),
            render_diagnostics(&malformed, DiagnosticFormat::Human, false)
        );
        assert!(analysis.checked.is_some(), "{} was not checked", src.name());
        let file = syntax::parse(&src).unwrap_or_else(|_| panic!("{} parses", src.name()));
        assert_eq!(
            syntax::print(&file, Surface::Dsl),
            src.text(),
            "{}: not in the form `attend fmt` prints",
            src.name()
        );
    }
}

#[test]
fn check_finds_what_an_expert_finds_and_nothing_an_expert_rejects() {
    let mut listed: usize = 0;
    let mut found: usize = 0;
    let mut pending = 0;
    let mut false_positives = Vec::new();
    let mut missed = Vec::new();
    let mut report = String::from("file: flaws found / listed, false positives, pending\n");
    for path in policies() {
        let src = load(&path);
        let expected_path = path.with_extension("expected.md");
        let expected_text = std::fs::read_to_string(&expected_path).expect("expected list");
        let expected = parse_expected(&expected_path.to_string_lossy(), &expected_text);
        let analysis = attend::analyse(&src, None);
        let lines = finding_lines(&src, &analysis.diagnostics);
        let at = |code: &Option<String>, line: usize| {
            lines
                .iter()
                .any(|(c, l)| *l == line && code.as_ref().is_none_or(|want| want == c))
        };
        let (mut file_listed, mut file_found, mut file_fp, mut file_pending) = (0, 0, 0, 0);
        for e in &expected {
            match e.kind {
                Kind::Flaw => {
                    file_listed += 1;
                    if at(&e.code, e.line) {
                        file_found += 1;
                    } else {
                        missed.push(format!(
                            "{}:{} {}: {}",
                            src.name(),
                            e.line,
                            e.code.as_deref().unwrap_or("any"),
                            e.text
                        ));
                    }
                }
                Kind::NotAFlaw => {
                    if at(&e.code, e.line) {
                        file_fp += 1;
                        false_positives.push(format!(
                            "{}:{} {}: {}",
                            src.name(),
                            e.line,
                            e.code.as_deref().unwrap_or("any"),
                            e.text
                        ));
                    }
                }
                Kind::Pending => file_pending += 1,
            }
        }
        report.push_str(&format!(
            "{}: {file_found} / {file_listed}, {file_fp}, {file_pending}\n",
            src.name()
        ));
        listed += file_listed;
        found += file_found;
        pending += file_pending;
    }
    let recall = (found * 100).checked_div(listed).unwrap_or(0);
    report.push_str(&format!(
        "total: recall {found} / {listed} ({recall}%), false positives {}, pending {pending} (not counted)\n",
        false_positives.len()
    ));
    println!("{report}");
    for m in &missed {
        println!("missed: {m}");
    }
    assert!(
        false_positives.is_empty(),
        "false positives:\n{}",
        false_positives.join("\n")
    );
    assert!(
        listed > 0 && recall >= MIN_RECALL_PERCENT,
        "recall {recall}% below {MIN_RECALL_PERCENT}%:\n{}",
        missed.join("\n")
    );
}
