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
use crate::source::Source;

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

/// Parses a file of either surface into the one AST.
pub fn parse(src: &Source) -> Result<ast::File, Vec<Diagnostic>> {
    match Surface::of_path(src.name()) {
        Surface::Dsl => dsl::parse_file(src),
        Surface::Toml => self::toml::parse_file(src),
    }
}

/// Prints an AST in either surface.
pub fn print(file: &ast::File, surface: Surface) -> String {
    match surface {
        Surface::Dsl => print_dsl::print_file(file),
        Surface::Toml => print_toml::print_file(file),
    }
}
