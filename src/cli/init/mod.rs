//! `attend init`: a school's first policy, written from a few flags. It asks only for what it
//! cannot infer (the phase and the school's name, and only on a terminal), then writes the
//! policy, a calendar skeleton, two letter templates and `attend.toml`, never over a file.

mod policy;
mod terms;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{EXIT_FAILURE, EXIT_OK, fs, progress};
use crate::model::Phase;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  attend init --phase primary --name \"Test School\"\n  \
    attend init school --phase secondary --name \"St Anne's Academy\" --urn 123456\n\n\
    Writes attendance.policy, school.calendar (term dates to replace with the school's), \
    attend.toml and letters/ in FOLDER. On a terminal it asks for a phase or name not given; \
    elsewhere it says which flag to pass. An existing file is left alone unless --force.\n\n\
    Exit status: 0 written, 2 a value missing or wrong, a file already there, or a file that \
    cannot be written (nothing is written then)."
)]
pub struct InitArgs {
    /// The folder to write into (made if missing)
    #[arg(default_value = ".", value_name = "FOLDER")]
    folder: PathBuf,
    /// The school's phase: it sets the register times, the target and the pastoral role
    #[arg(long, value_name = "PHASE", value_parser = phase_parser())]
    phase: Option<Phase>,
    /// The school's name, as the policy and its letters give it
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The school's unique reference number (six digits)
    #[arg(long, value_name = "URN", value_parser = clap::value_parser!(u32).range(100_000..=999_999))]
    urn: Option<u32>,
    /// The academic year of the calendar skeleton, by the year its autumn term is in (2026 for
    /// 2026-27); by default the year the school is in, or from August the one about to start
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(2000..=2100))]
    year: Option<i32>,
    /// Replace files that are already there
    #[arg(long)]
    force: bool,
}

fn phase_parser() -> impl clap::builder::TypedValueParser<Value = Phase> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Phase::keywords())
        .try_map(|word| Phase::from_keyword(&word).ok_or("not a phase"))
}

/// The files, relative to the folder, in the order they are written and listed.
pub const POLICY: &str = "attendance.policy";
pub const CALENDAR: &str = "school.calendar";
const CONFIG: &str = super::config::FILE_NAME;
const CONCERN: &str = "letters/concern.md";
const THREE_DAY: &str = "letters/three-day.md";

pub fn run(args: &InitArgs) -> u8 {
    match run_inner(args) {
        Ok(()) => EXIT_OK,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_FAILURE
        }
    }
}

fn run_inner(args: &InitArgs) -> Result<(), String> {
    let today = today()?;
    let interactive = std::io::stdin().is_terminal();
    let phase = match args.phase {
        Some(phase) => phase,
        None if interactive => ask_phase(&mut std::io::stdin().lock(), &mut std::io::stderr())?,
        None => {
            return Err(format!(
                "`attend init` needs the school's phase\n  = help: pass `--phase primary` (or {})",
                phases_but("primary")
            ));
        }
    };
    let name = match &args.name {
        Some(name) => checked_name(name)?,
        None if interactive => ask_name(&mut std::io::stdin().lock(), &mut std::io::stderr())?,
        None => {
            return Err(
                "`attend init` needs the school's name\n  = help: pass `--name \"Your School\"`"
                    .to_string(),
            );
        }
    };
    let year = args.year.unwrap_or_else(|| terms::academic_year_of(today));
    let answers = policy::Answers {
        name,
        phase,
        urn: args.urn,
        today,
    };
    let calendar = terms::skeleton(year)
        .ok_or_else(|| format!("no calendar can be made for the academic year {year}"))?;
    let files: [(&str, String); 5] = [
        (POLICY, policy::policy(&answers)),
        (CALENDAR, calendar),
        (CONFIG, policy::CONFIG.to_string()),
        (CONCERN, policy::CONCERN_LETTER.to_string()),
        (THREE_DAY, policy::THREE_DAY_LETTER.to_string()),
    ];
    write_all(&args.folder, &files, args.force)?;
    if !progress::quiet() {
        let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
        let here = args.folder == Path::new(".");
        println!(
            "wrote {} and {last}{}\n\nNext, in {}:\n  \
             1. Replace the placeholder term dates in {CALENDAR} with your school's.\n  \
             2. Read the comments in {POLICY} and change what they tell you to.\n  \
             3. attend check {POLICY}        (attend.toml gives it the calendar)\n  \
             4. attend run {POLICY} --calendar {CALENDAR} --register REGISTER --pupils PUPILS --out out",
            rest.join(", "),
            if here {
                String::new()
            } else {
                format!(" in {}", args.folder.display())
            },
            if here {
                "this folder".to_string()
            } else {
                args.folder.display().to_string()
            },
        );
    }
    Ok(())
}

/// Writes every file, or none when one is already there and `force` is not given: a
/// half-made folder would mix the school's files with new ones.
fn write_all(folder: &Path, files: &[(&str, String)], force: bool) -> Result<(), String> {
    if !force {
        // Named as the user named the folder: `attend.toml`, not `./attend.toml`.
        let existing: Vec<String> = files
            .iter()
            .map(|(name, _)| folder.join(name))
            .filter(|path| path.exists())
            .map(|path| format!("`{}`", path.strip_prefix(".").unwrap_or(&path).display()))
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} already {}, so nothing was written\n  = help: pass `--force` to replace {}, or give `attend init` another folder",
                existing.join(", "),
                if existing.len() == 1 {
                    "exists"
                } else {
                    "exist"
                },
                if existing.len() == 1 { "it" } else { "them" },
            ));
        }
    }
    for (name, text) in files {
        let path = folder.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create the folder `{}`: {e}", parent.display()))?;
        }
        fs::write_atomically(&path, text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}

/// Today on this computer's clock, or `ATTEND_TODAY` (`YYYY-MM-DD`), as `attend run` reads it.
fn today() -> Result<NaiveDate, String> {
    match std::env::var("ATTEND_TODAY") {
        Ok(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            format!(
                "ATTEND_TODAY=`{text}` is not a date\n  = help: dates are ISO 8601: `YYYY-MM-DD`"
            )
        }),
        Err(_) => Ok(chrono::Local::now().date_naive()),
    }
}

fn phases_but(but: &str) -> String {
    let others: Vec<String> = Phase::keywords()
        .filter(|p| *p != but)
        .map(|p| format!("`{p}`"))
        .collect();
    others.join(", ")
}

/// A name the policy can hold: some text, on one line.
fn checked_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(
            "the school's name is empty\n  = help: pass `--name \"Your School\"`".to_string(),
        );
    }
    if name.chars().any(char::is_control) {
        return Err("the school's name has a line break or another control character\n  = help: pass the name on one line: `--name \"Your School\"`".to_string());
    }
    Ok(name.to_string())
}

/// How many times a prompt asks again after an answer it cannot use.
const TRIES: usize = 3;

fn ask_phase(input: &mut dyn BufRead, prompt: &mut dyn Write) -> Result<Phase, String> {
    let all: Vec<&str> = Phase::keywords().collect();
    for _ in 0..TRIES {
        let answer = ask(
            input,
            prompt,
            &format!("School phase ({}): ", all.join(", ")),
        )?;
        if let Some(phase) = Phase::from_keyword(&answer) {
            return Ok(phase);
        }
        let _ = writeln!(prompt, "`{answer}` is not a phase");
    }
    Err("no phase was given\n  = help: pass `--phase primary` (or another phase)".to_string())
}

fn ask_name(input: &mut dyn BufRead, prompt: &mut dyn Write) -> Result<String, String> {
    let mut last = String::new();
    for _ in 0..TRIES {
        let answer = ask(input, prompt, "School name: ")?;
        match checked_name(&answer) {
            Ok(name) => return Ok(name),
            Err(message) => {
                let _ = writeln!(prompt, "{}", message.lines().next().unwrap_or_default());
                last = message;
            }
        }
    }
    Err(last)
}

/// One line typed after `question`; the end of the input is an error, not an empty answer.
fn ask(input: &mut dyn BufRead, prompt: &mut dyn Write, question: &str) -> Result<String, String> {
    let _ = write!(prompt, "{question}");
    let _ = prompt.flush();
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) => Err("no answer was given (end of input)\n  = help: pass the value as a flag: `attend init --phase primary --name \"Your School\"`".to_string()),
        Ok(_) => Ok(line.trim().to_string()),
        Err(e) => Err(format!("cannot read the answer: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_asks_again_after_an_answer_it_cannot_use() {
        let mut input: &[u8] = b"college\nsecondary\n";
        let mut prompt = Vec::new();
        let phase = ask_phase(&mut input, &mut prompt).expect("the second answer is a phase");
        assert_eq!(phase, Phase::Secondary);
        let shown = String::from_utf8(prompt).expect("UTF-8");
        assert!(shown.contains("`college` is not a phase"), "{shown}");
        assert_eq!(shown.matches("School phase (").count(), 2, "{shown}");
    }

    #[test]
    fn a_name_is_trimmed_and_an_empty_one_is_asked_again() {
        let mut input: &[u8] = b"   \n  St Anne's \"Academy\"  \n";
        let mut prompt = Vec::new();
        let name = ask_name(&mut input, &mut prompt).expect("the second answer is a name");
        assert_eq!(name, "St Anne's \"Academy\"");
        assert!(String::from_utf8_lossy(&prompt).contains("the school's name is empty"));
    }

    #[test]
    fn the_end_of_input_is_an_error_with_the_flags_to_pass() {
        let mut input: &[u8] = b"";
        let error = ask_phase(&mut input, &mut Vec::new()).expect_err("no answer");
        assert!(error.contains("--phase primary"), "{error}");
    }

    #[test]
    fn three_unusable_answers_give_up() {
        let mut input: &[u8] = b"a\nb\nc\nprimary\n";
        let error = ask_phase(&mut input, &mut Vec::new()).expect_err("three tries only");
        assert!(error.contains("no phase was given"), "{error}");
    }
}
