//! Syntax: policy text (DSL or TOML) to an AST with spans and comments, and back to text.
//! Knows nothing of what names mean; that is the model's work.

pub mod ast;
pub mod comments;
pub mod dsl;
pub mod error;
pub mod grammar;
pub mod print_dsl;
pub mod print_toml;
pub mod toml;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::Problem;
use crate::source::{Source, Span};

/// A policy or calendar file larger than this is refused, pointing at the first byte past it.
/// The largest bundled policy is under 25 KiB; parsing costs up to about 200 bytes of memory
/// per byte of text (broken TOML, where an error is kept every few bytes), so this bounds a
/// run at a few hundred megabytes whatever it is given.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// The two surfaces of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Dsl,
    Toml,
}

impl Surface {
    /// `.toml` files are TOML; everything else (`.policy`, `.calendar`) is the DSL.
    pub fn of_path(path: &str) -> Surface {
        if path.to_ascii_lowercase().ends_with(".toml") {
            Surface::Toml
        } else {
            Surface::Dsl
        }
    }
}

/// Parses a file of either surface into the one AST. Past
/// [`MAX_PER_FILE`](crate::diagnostic::MAX_PER_FILE) problems the rest are counted, not shown.
pub fn parse(src: &Source) -> Result<ast::File, Vec<Diagnostic>> {
    if src.text().len() > MAX_FILE_BYTES {
        let mut at = MAX_FILE_BYTES;
        while !src.text().is_char_boundary(at) {
            at -= 1;
        }
        let problem = error::SyntaxError::TooLarge {
            limit: "1 MiB".into(),
        };
        return Err(vec![problem.at(&src.loc(Span::new(at, at + 1)))]);
    }
    // An iCalendar feed reads as the `.calendar` text it imports to (its notes are
    // `load_calendar`'s to show).
    if crate::ics::is_icalendar(src.text()) {
        let (imported, _) = crate::ics::as_calendar(src)?;
        return dsl::parse_file(&imported).map_err(crate::diagnostic::limit_per_file);
    }
    let parsed = match Surface::of_path(src.name()) {
        Surface::Dsl => dsl::parse_file(src),
        Surface::Toml => self::toml::parse_file(src),
    };
    parsed.map_err(crate::diagnostic::limit_per_file)
}

/// Prints an AST in either surface.
/// What the TOML surface cannot hold of a policy (a statement or entry written twice), each
/// at the repeat: converting it to TOML would lose text, so `attend fmt --to toml` refuses.
pub fn toml_cannot_hold(file: &ast::File) -> Vec<Diagnostic> {
    print_toml::cannot_hold(file)
}

pub fn print(file: &ast::File, surface: Surface) -> String {
    match surface {
        Surface::Dsl => print_dsl::print_file(file),
        Surface::Toml => print_toml::print_file(file),
    }
}
