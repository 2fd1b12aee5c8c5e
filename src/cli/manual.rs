//! `attend completions` and `attend man`: shell completion scripts and roff manual pages,
//! generated from the clap definitions (clap_complete, clap_mangen) so they never drift from
//! the commands they describe.

use std::path::PathBuf;

use clap::CommandFactory;

use super::{Cli, EXIT_FAILURE, EXIT_OK, fs, progress};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    attend completions bash > ~/.local/share/bash-completion/completions/attend\n  \
    attend completions zsh > ~/.zfunc/_attend   # with `fpath+=~/.zfunc` before compinit\n  \
    attend completions fish > ~/.config/fish/completions/attend.fish\n  \
    attend completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  attend man | man -l -\n  \
    attend man --out ~/.local/share/man/man1   # then `man attend`, `man attend-check`")]
pub struct ManArgs {
    /// Write attend.1 and a page per subcommand (attend-check.1, ...) into this folder, made
    /// if missing; without it, attend.1 is printed
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> u8 {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "attend", &mut script);
    print_bytes(&script)
}

pub fn man(args: &ManArgs) -> u8 {
    let pages = match pages() {
        Ok(pages) => pages,
        Err(e) => {
            eprintln!("error: cannot render the manual pages: {e}");
            return EXIT_FAILURE;
        }
    };
    let Some(out) = &args.out else {
        return match pages.first() {
            Some((_, roff)) => print_bytes(roff),
            None => EXIT_FAILURE,
        };
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create `{}`: {e}", out.display());
        return EXIT_FAILURE;
    }
    for (name, roff) in &pages {
        let path = out.join(name);
        if let Err(e) = fs::write_atomically(&path, roff) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return EXIT_FAILURE;
        }
    }
    if !progress::quiet() {
        eprintln!("wrote {} manual pages in {}", pages.len(), out.display());
    }
    EXIT_OK
}

/// Every page, `attend.1` first, then each subcommand's (`attend-calendar-import.1` for a
/// nested one), as file name and roff text.
pub fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // As clap_mangen's own `generate_to`, but rendered in memory so each file is written
    // atomically; `help` is no page of its own.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    collect(&command, &mut pages)?;
    Ok(pages)
}

fn collect(command: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    // Every page names the program and version, not the subcommand (clap_mangen's default for
    // a subcommand, which has no version of its own, is its bare name).
    let man = clap_mangen::Man::new(command.clone())
        .source(format!("attend {}", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    pages.push((man.get_filename(), roff));
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages)?;
    }
    Ok(())
}

fn print_bytes(bytes: &[u8]) -> u8 {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_FAILURE,
    }
}
