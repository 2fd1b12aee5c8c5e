//! Error cases as data: each `tests/errors/err_*` file is one malformed policy whose first line
//! says what it shows and the code it must emit (`# ...; expect: model::unknown_letter`). The
//! snapshot holds the input and the diagnostics exactly as `attend check` prints them.

use std::path::Path;

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::source::Source;

/// The path relative to the crate root, with `/` separators, so snapshots are the same on
/// every machine.
fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The code named by `expect: CODE` in the case's first line.
fn expected_code(text: &str, name: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with('#'),
        "{name}: the first line must be a `#` comment describing the case"
    );
    let Some((_, code)) = first.split_once("expect:") else {
        panic!("{name}: the first line must say `expect: CODE`");
    };
    code.trim().trim_end_matches('.').to_string()
}

#[test]
fn errors() {
    insta::glob!("errors/err_*", |path| {
        let name = relative(path);
        // Read as bytes: a case may hold text that is not valid UTF-8 on purpose.
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let expected = expected_code(&text, &name);

        let analysis = attend::analyse(&Source::new(name.clone(), text.clone()), None);
        let diagnostics = analysis.diagnostics;
        assert!(!diagnostics.is_empty(), "{name}: no diagnostic");
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert!(
            codes.contains(&expected.as_str()),
            "{name}: expected `{expected}` among {codes:?}"
        );

        let rendered = render_diagnostics(&diagnostics, DiagnosticFormat::Human, false);
        let shown = format!("{text}\n---- attend check {name}\n\n{rendered}");
        insta::assert_snapshot!(shown);
    });
}

/// Every case states its code, and no two cases show the same thing.
#[test]
fn cases_are_distinct() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let mut firsts = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/errors exists") {
        let path = entry.expect("readable entry").path();
        let bytes = std::fs::read(&path).expect("readable case");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let first = text.lines().next().unwrap_or_default().to_string();
        assert!(
            !firsts.contains(&first),
            "{}: same first line as another case",
            path.display()
        );
        firsts.push(first);
    }
    assert!(firsts.len() >= 30, "only {} error cases", firsts.len());
}
