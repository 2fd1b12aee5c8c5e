//! The formatter never changes meaning, as a property. For any policy or calendar text that
//! parses (as the DSL, else as TOML):
//! - the canonical form reads back to the same AST, comments included (nothing is lost);
//! - formatting the canonical form gives it back (`attend fmt` is a fixed point);
//! - converting the canonical form to the other surface and back gives the identical text
//!   (`fmt --to toml` then `fmt --to dsl` of a DSL file returns it, and the other way round),
//!   and the converted form is itself canonical; or, for a policy that states something
//!   twice, which TOML cannot hold, the conversion to TOML is refused.
#![no_main]

use attend::diagnostic::Diagnostic;
use attend::source::Source;
use attend::syntax::ast::{File, Item};
use attend::syntax::{self, Surface};
use libfuzzer_sys::{Corpus, fuzz_target};

fn name(surface: Surface) -> &'static str {
    match surface {
        Surface::Dsl => "fuzz.policy",
        Surface::Toml => "fuzz.toml",
    }
}

fn other(surface: Surface) -> Surface {
    match surface {
        Surface::Dsl => Surface::Toml,
        Surface::Toml => Surface::Dsl,
    }
}

fn parse(text: &str, surface: Surface) -> Result<File, Vec<Diagnostic>> {
    syntax::parse(&Source::new(name(surface), text))
}

/// Parses text `attend` printed itself, which must always read back.
fn reparse(text: &str, surface: Surface, what: &str, input: &str) -> File {
    match parse(text, surface) {
        Ok(file) => file,
        Err(diagnostics) => {
            let messages: Vec<_> = diagnostics.iter().map(|d| &d.message).collect();
            panic!(
                "{what} ({surface:?}) does not parse: {messages:?}\n---- input\n{input}\n---- {what}\n{text}"
            )
        }
    }
}

fn has_empty_stages(file: &File) -> bool {
    matches!(file, File::Policy(policy) if policy.node.items.iter().any(
        |item| matches!(&item.node, Item::Stages(entries) if entries.is_empty())
    ))
}

fn same(left: &str, right: &str, what: &str, input: &str) {
    assert!(
        left == right,
        "{what}\n---- input\n{input}\n---- first\n{left}\n---- then\n{right}"
    );
}

fuzz_target!(|data: &[u8]| -> Corpus {
    let Some(input) = std::str::from_utf8(data).ok() else {
        return Corpus::Reject;
    };
    let Some((file, surface)) = [Surface::Dsl, Surface::Toml]
        .into_iter()
        .find_map(|s| parse(input, s).ok().map(|file| (file, s)))
    else {
        return Corpus::Keep;
    };

    let canonical = syntax::print(&file, surface);
    let again = reparse(&canonical, surface, "the formatted text", input);
    // The one documented normalisation (docs/language.md): an empty `stages {}` says nothing,
    // neither surface prints it, and its comments go with the next statement; every other
    // change to the AST is a loss.
    assert!(
        again == file || has_empty_stages(&file),
        "formatting changed the AST\n---- input\n{input}\n---- formatted\n{canonical}\n---- AST before\n{file:#?}\n---- AST after\n{again:#?}"
    );
    same(
        &canonical,
        &syntax::print(&again, surface),
        "`attend fmt` is not a fixed point",
        input,
    );

    // A policy with a statement or entry written twice cannot be converted to TOML without
    // losing the repeat, and `attend fmt --to toml` refuses it at the repeat instead.
    if other(surface) == Surface::Toml && !syntax::toml_cannot_hold(&again).is_empty() {
        return Corpus::Keep;
    }
    let converted = syntax::print(&again, other(surface));
    let converted_file = reparse(&converted, other(surface), "the converted text", input);
    same(
        &converted,
        &syntax::print(&converted_file, other(surface)),
        "the converted text is not canonical",
        input,
    );
    same(
        &canonical,
        &syntax::print(&converted_file, surface),
        "converting to the other surface and back changed the text",
        input,
    );
    Corpus::Keep
});
