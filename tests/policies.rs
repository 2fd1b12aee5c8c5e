//! The bundled policies as data: each one's decision table and diagnostics, as `attend compile`
//! and `attend check` show them, in one snapshot per policy; and every file in `policies/` is
//! in the canonical form `attend fmt` prints, which is a fixed point.

use std::path::{Path, PathBuf};

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::source::Source;
use attend::syntax::{self, Surface};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The path relative to the crate root, with `/` separators, so snapshots are the same on
/// every machine.
fn relative(path: &Path) -> String {
    let rel = path.strip_prefix(root()).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn load(path: &Path) -> Source {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Source::new(relative(path), text)
}

/// Files directly in `dir` (relative to the crate root) whose names end with `ext`, sorted.
/// A directory that does not exist holds none.
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

/// Every policy, in either surface.
fn policies() -> Vec<PathBuf> {
    let mut all = files("policies", ".policy");
    all.extend(files("policies/toml", ".toml"));
    all.extend(files("policies/corrected", ".policy"));
    all
}

/// Everything `attend fmt` prints: the policies and the calendar files.
fn formattable() -> Vec<PathBuf> {
    let mut all = policies();
    all.extend(files("policies/calendars", ".calendar"));
    all.extend(files("policies/calendars", ".toml"));
    all
}

/// The syntax and model stages find malformed policies; a bundled policy must have none. The
/// national rules' findings (other codes) are the point of the seed policies and only go in
/// the snapshot.
fn is_malformation(code: &str) -> bool {
    code.starts_with("syntax::") || code.starts_with("model::") || code.starts_with("input::")
}

#[test]
fn tables() {
    insta::glob!(
        "../policies",
        "{*.policy,toml/*.toml,corrected/*.policy}",
        |path| {
            let src = load(path);
            let name = src.name().to_string();
            let analysis = attend::analyse(&src, None);
            let malformed: Vec<String> = analysis
                .diagnostics
                .iter()
                .filter(|d| d.is_error() && is_malformation(&d.code))
                .map(|d| format!("{} {}", d.code, d.message))
                .collect();
            assert!(malformed.is_empty(), "{name} is malformed: {malformed:#?}");
            let Some(checked) = analysis.checked else {
                panic!("{name}: no checked policy although no syntax or model error");
            };
            let (table, table_diagnostics) = attend::table::compile(&checked);
            let mut diagnostics = analysis.diagnostics;
            diagnostics.extend(table_diagnostics);
            let mut rendered = render_diagnostics(&diagnostics, DiagnosticFormat::Human, false);
            if rendered.is_empty() {
                rendered = "no findings\n".into();
            }
            let shown = format!(
                "---- attend check {name}\n\n{rendered}\n---- attend compile {name}\n\n{}",
                attend::table::render_text(&table)
            );
            insta::assert_snapshot!(shown);
        }
    );
}

#[test]
fn the_glob_sees_every_policy() {
    // `tables` and the helpers here must agree on what a policy is.
    assert!(policies().len() >= 6, "policies/ holds {:?}", policies());
}

fn print(src: &Source) -> Result<String, String> {
    let file = syntax::parse(src).map_err(|d| {
        let rendered = render_diagnostics(&d, DiagnosticFormat::Human, false);
        format!("{} does not parse:\n{rendered}", src.name())
    })?;
    Ok(syntax::print(&file, Surface::of_path(src.name())))
}

#[test]
fn fmt_is_idempotent() {
    for path in formattable() {
        let src = load(&path);
        let once = print(&src).unwrap_or_else(|e| panic!("{e}"));
        let again = print(&Source::new(src.name(), once.clone()))
            .unwrap_or_else(|e| panic!("{}: the canonical form does not parse: {e}", src.name()));
        assert_eq!(
            once,
            again,
            "{}: `attend fmt` is not a fixed point",
            src.name()
        );
    }
}

#[test]
fn every_policy_file_is_canonical() {
    let mut unformatted = Vec::new();
    for path in formattable() {
        let src = load(&path);
        let printed = print(&src).unwrap_or_else(|e| panic!("{e}"));
        if printed != src.text() {
            unformatted.push(src.name().to_string());
        }
    }
    assert!(
        unformatted.is_empty(),
        "not in canonical form (run `attend fmt --write FILE`): {unformatted:?}"
    );
}
