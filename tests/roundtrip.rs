//! The two surfaces say the same thing: every bundled policy converted DSL → TOML (or TOML →
//! DSL) and read back lowers to an equal model (locations take no part in equality), compiles
//! to an equal decision table, gets the same findings, and keeps every comment.

use std::path::{Path, PathBuf};

use attend::Analysis;
use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::source::Source;
use attend::syntax::comments::{self, Dialect};
use attend::syntax::{self, Surface};
use attend::table::{DecisionTable, SourceRef};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(ext))
        .collect();
    found.sort();
    found
}

/// Every policy and calendar file, in either surface, with its name relative to the crate.
fn sources() -> Vec<Source> {
    let mut paths = files("policies", ".policy");
    paths.extend(files("policies/corrected", ".policy"));
    paths.extend(files("policies/real", ".policy"));
    paths.extend(files("policies/toml", ".toml"));
    paths.extend(files("policies/calendars", ".calendar"));
    paths.extend(files("policies/calendars", ".toml"));
    paths.extend(files("tests/forms", ".policy"));
    paths.extend(files("tests/forms", ".toml"));
    paths
        .iter()
        .map(|path| {
            let rel = path.strip_prefix(root()).unwrap_or(path);
            let name = rel.to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
            Source::new(name, text)
        })
        .collect()
}

fn other(surface: Surface) -> Surface {
    match surface {
        Surface::Dsl => Surface::Toml,
        Surface::Toml => Surface::Dsl,
    }
}

/// `policies/x.policy` → `policies/x.policy.toml`: a name in the other surface.
fn renamed(name: &str, surface: Surface) -> String {
    match surface {
        Surface::Dsl => format!("{name}.policy"),
        Surface::Toml => format!("{name}.toml"),
    }
}

fn dialect(surface: Surface) -> Dialect {
    match surface {
        Surface::Dsl => Dialect::Dsl,
        Surface::Toml => Dialect::Toml,
    }
}

/// Converts a file to the other surface, failing with the diagnostics if the result does not
/// read back.
fn convert(src: &Source) -> Source {
    let file = syntax::parse(src).unwrap_or_else(|d| {
        panic!("{} does not parse:\n{}", src.name(), render(&d));
    });
    let target = other(Surface::of_path(src.name()));
    let text = syntax::print(&file, target);
    let converted = Source::new(renamed(src.name(), target), text);
    if let Err(d) = syntax::parse(&converted) {
        panic!(
            "{} converted to {target:?} does not parse:\n{}\n---- converted text\n{}",
            src.name(),
            render(&d),
            converted.text()
        );
    }
    converted
}

fn render(diagnostics: &[attend::diagnostic::Diagnostic]) -> String {
    render_diagnostics(diagnostics, DiagnosticFormat::Human, false)
}

/// The table without where each row was written: the two surfaces put the same rule on
/// different lines.
fn without_positions(mut table: DecisionTable) -> DecisionTable {
    for row in &mut table.rows {
        row.source = SourceRef {
            file: String::new(),
            line: 0,
            column: 0,
        };
    }
    table
}

/// What the findings say, not where.
fn findings(analysis: &Analysis) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = analysis
        .diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.severity.as_str().to_string()))
        .collect();
    out.sort();
    out
}

fn comment_texts(src: &Source) -> Vec<String> {
    let mut texts: Vec<String> = comments::scan(src.text(), dialect(Surface::of_path(src.name())))
        .into_iter()
        .map(|c| c.text)
        .collect();
    texts.sort();
    texts
}

/// A policy and its conversion say the same thing.
fn assert_same_policy(original: &Source, converted: &Source) {
    let (a, b) = (
        attend::analyse(original, None),
        attend::analyse(converted, None),
    );
    let (name, to) = (original.name(), converted.name());
    assert_eq!(
        findings(&a),
        findings(&b),
        "{name} → {to}: different findings"
    );
    let (Some(a), Some(b)) = (a.checked, b.checked) else {
        panic!("{name} → {to}: one of them is not well-formed");
    };
    assert!(a.policy() == b.policy(), "{name} → {to}: the models differ");
    let (ta, _) = attend::table::compile(&a);
    let (tb, _) = attend::table::compile(&b);
    assert_eq!(
        without_positions(ta),
        without_positions(tb),
        "{name} → {to}: the decision tables differ"
    );
}

#[test]
fn converting_keeps_the_policy() {
    let mut policies = 0;
    for src in sources() {
        let converted = convert(&src);
        match syntax::parse(&src) {
            Ok(syntax::ast::File::Policy(_)) => {
                assert_same_policy(&src, &converted);
                // And back again, from the other surface.
                assert_same_policy(&converted, &convert(&converted));
                policies += 1;
            }
            Ok(syntax::ast::File::Calendars(_)) => {
                let (a, da) = attend::load_calendar(&src).expect("the calendar loads");
                let (b, db) = attend::load_calendar(&converted).expect("the conversion loads");
                assert!(a == b, "{}: the calendars differ", src.name());
                assert_eq!(da.len(), db.len(), "{}: different findings", src.name());
            }
            Err(d) => panic!("{} does not parse:\n{}", src.name(), render(&d)),
        }
    }
    assert!(policies >= 6, "only {policies} policies converted");
}

/// The text without its comments: own-line comments drop their line, trailing ones are cut.
fn without_comments(src: &Source) -> String {
    let text = src.text();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for comment in comments::scan(text, dialect(Surface::of_path(src.name()))) {
        let start = comment.span.start;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let own_line = text[line_start..start].trim().is_empty();
        let cut = if own_line { line_start } else { start };
        out.push_str(text[last..cut].trim_end_matches([' ', '\t']));
        // Skip the comment and, for an own-line comment, its line break.
        last =
            comment.span.end + usize::from(own_line && text[comment.span.end..].starts_with('\n'));
    }
    out.push_str(&text[last..]);
    out
}

/// Converting there and back prints every statement as the canonical form does, in the same
/// order and the same written forms. (Comments are compared as a whole in
/// `converting_keeps_every_comment`, and the whole text in
/// `formatting_is_a_fixed_point_and_conversion_returns_the_identical_text`.)
#[test]
fn converting_back_gives_the_canonical_statements() {
    for src in sources() {
        let there = convert(&src);
        let back = convert(&there);
        let canonical = syntax::parse(&src)
            .map(|f| syntax::print(&f, Surface::of_path(src.name())))
            .unwrap_or_else(|d| panic!("{}:\n{}", src.name(), render(&d)));
        let canonical = Source::new(src.name(), canonical);
        assert_eq!(
            without_comments(&back),
            without_comments(&canonical),
            "{}: converting there and back changes the statements",
            src.name()
        );
    }
}

#[test]
fn converting_keeps_every_comment() {
    for src in sources() {
        let converted = convert(&src);
        let (before, after) = (comment_texts(&src), comment_texts(&converted));
        assert_eq!(
            before.len(),
            after.len(),
            "{}: comments lost or added",
            src.name()
        );
        assert_eq!(before, after, "{}: comments changed", src.name());
    }
}

/// `attend fmt` is a fixed point in both surfaces, and converting to the other surface and back
/// returns the identical text (comments, blank lines and all), for every bundled policy and
/// calendar and the example.
#[test]
fn formatting_is_a_fixed_point_and_conversion_returns_the_identical_text() {
    let mut paths = files("examples", ".policy");
    paths.extend(files("policies", ".policy"));
    paths.extend(files("policies/corrected", ".policy"));
    paths.extend(files("policies/real", ".policy"));
    paths.extend(files("policies/toml", ".toml"));
    paths.extend(files("policies/calendars", ".calendar"));
    paths.extend(files("policies/calendars", ".toml"));
    paths.extend(files("tests/forms", ".policy"));
    paths.extend(files("tests/forms", ".toml"));
    let mut checked = 0;
    for path in paths {
        let rel = path.strip_prefix(root()).unwrap_or(&path);
        let name = rel.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let src = Source::new(name.clone(), text);
        let surface = Surface::of_path(&name);
        let formatted = Source::new(name.clone(), print(&src, surface));
        assert_eq!(
            print(&formatted, surface),
            formatted.text(),
            "{name}: formatting is not a fixed point"
        );
        let there = convert(&formatted);
        assert_eq!(
            print(&there, other(surface)),
            there.text(),
            "{name}: its {:?} form is not a fixed point",
            other(surface)
        );
        assert_eq!(
            print(&there, surface),
            formatted.text(),
            "{name}: converting there and back changes the text"
        );
        checked += 1;
    }
    assert!(checked >= 19, "only {checked} files");
}

fn print(src: &Source, surface: Surface) -> String {
    let file = syntax::parse(src).unwrap_or_else(|d| {
        panic!("{} does not parse:\n{}", src.name(), render(&d));
    });
    syntax::print(&file, surface)
}
