//! `attend demo`: the bundled example from start to finish — King's Cross Academy's policy as
//! written, checked and compiled, then run on the example register with every output (actions,
//! summary, letters, report) written to one folder and the morning list printed.

use std::path::Path;

use super::inputs::print_problems;
use super::run::{write_outputs, write_report};
use super::{
    DiagnosticFormat, EXIT_FAILURE, EXIT_OK, bundled_calendar, color_stdout, count_findings, fs,
    render_diagnostics,
};
use crate::register::{self, Input, ReadOptions};
use crate::source::Source;
use crate::table::{self, SchoolDays};
use crate::{analyse, engine};

/// The bundled example, compiled into the binary so `attend demo` works from any directory.
const DEMO_POLICY: &str = include_str!("../../policies/kings-cross-academy.policy");

/// Runs `attend demo` and returns the exit status.
pub fn run() -> u8 {
    let src = Source::new("policies/kings-cross-academy.policy", DEMO_POLICY);
    let calendar = bundled_calendar();
    println!(
        "attend demo: King's Cross Academy's attendance policy (seed document 002), as written,"
    );
    println!("with the illustrative Camden 2024-25 calendar.\n");
    println!(
        "$ attend check policies/kings-cross-academy.policy --calendar policies/calendars/camden-2024-25.calendar\n"
    );
    let analysis = analyse(&src, Some(&calendar));
    print!(
        "{}",
        render_diagnostics(
            &analysis.diagnostics,
            DiagnosticFormat::Human,
            color_stdout()
        )
    );
    println!(
        "checked 1 policy: {}\n",
        count_findings(&analysis.diagnostics)
    );
    let Some(checked) = analysis.checked else {
        return EXIT_FAILURE;
    };
    let policy = checked.policy();
    println!(
        "calendar: {} school days in {} terms, register closes {} minutes after it opens\n",
        policy.calendar.school_days().len(),
        policy.calendar.terms().count(),
        policy
            .calendar
            .sessions
            .iter()
            .filter_map(|s| s.open_minutes())
            .max()
            .unwrap_or(0),
    );
    println!("$ attend compile policies/kings-cross-academy.policy\n");
    let (table, _) = table::compile(&checked);
    print!("{}", table::render_text(&table));
    outputs(policy, &table)
}

/// The bundled example register: 30 pupils, 2024-09-05 to 2025-02-14, made by
/// `scripts/gen_register.py --pupils 30 --seed 7`.
const DEMO_REGISTER: &[u8] = include_bytes!("../../examples/data/register.csv");
const DEMO_PUPILS: &[u8] = include_bytes!("../../examples/data/pupils.csv");

/// The bundled letter templates, by their path in the bundled policy.
const DEMO_LETTERS: &[(&str, &str)] = &[
    (
        "letters/concern.md",
        include_str!("../../policies/letters/concern.md"),
    ),
    (
        "letters/three-day.md",
        include_str!("../../policies/letters/three-day.md"),
    ),
    (
        "letters/five-day.md",
        include_str!("../../policies/letters/five-day.md"),
    ),
    (
        "letters/pa-sa.md",
        include_str!("../../policies/letters/pa-sa.md"),
    ),
    (
        "letters/parent-meeting.md",
        include_str!("../../policies/letters/parent-meeting.md"),
    ),
    (
        "letters/prosecution-warning.md",
        include_str!("../../policies/letters/prosecution-warning.md"),
    ),
    (
        "letters/stage-one-plan.md",
        include_str!("../../policies/letters/stage-one-plan.md"),
    ),
];

/// `attend demo`'s last step: the compiled example policy run on the example register, every
/// output written to one folder (actions, summary, letters, report), then the morning list
/// of the register's last day.
fn outputs(policy: &crate::model::Policy, table: &table::DecisionTable) -> u8 {
    let out = std::env::temp_dir().join("attend-demo");
    // The seed policy has the errors `check` just listed, so `attend run` refuses it unless
    // told otherwise: the demo says so and shows the flag, so a newcomer's copy of the command
    // does what the demo did.
    println!(
        "\nThe policy has errors, so `attend run` refuses it unless `--allow-errors` says to carry it out as written:"
    );
    println!(
        "\n$ attend run policies/kings-cross-academy.policy --calendar policies/calendars/camden-2024-25.calendar \\\n    \
         --register examples/data/register.csv --pupils examples/data/pupils.csv --out {} --no-ledger --allow-errors\n",
        out.display()
    );
    let days = SchoolDays::new(&table.calendar);
    let options = ReadOptions {
        max_errors: 20,
        ..ReadOptions::default()
    };
    let read = register::read_pupils(
        &Input::bytes("examples/data/pupils.csv", DEMO_PUPILS),
        options.limit(),
    )
    .and_then(|pupils| {
        let input = Input::bytes("examples/data/register.csv", DEMO_REGISTER);
        register::read_register(
            &input,
            &table.calendar,
            &days,
            Some(&pupils),
            None,
            &options,
        )
    });
    let register = match read {
        Ok(register) => register,
        Err(problems) => {
            print_problems(&problems, Some(options.limit()));
            return EXIT_FAILURE;
        }
    };
    let outcome = engine::run(table, &days, &register);
    let figures = crate::register::MarkFigures::of(
        &register,
        &days,
        engine::letter_days(table, &outcome.fired),
    );
    let run = super::streamed::Evaluated {
        register,
        outcome,
        looks: None,
        tallies: None,
        figures,
    };
    let (register, outcome, figures) = (&run.register, &run.outcome, &run.figures);
    let templates = policy
        .letters
        .iter()
        .map(|l| {
            let text = DEMO_LETTERS
                .iter()
                .find(|(path, _)| *path == l.template)
                .map(|(_, text)| (*text).to_string());
            (l.id.clone(), text)
        })
        .collect();
    let written = (|| {
        let staged = fs::Staged::new(&out).map_err(|e| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        })?;
        write_outputs(staged.path(), table, &days, register, outcome, None)?;
        let letters = super::letters::write(
            staged.path(),
            Path::new("policies/kings-cross-academy.policy"),
            policy,
            &templates,
            table,
            &days,
            register,
            figures,
            outcome,
            None,
        )?;
        write_report(staged.path(), &[], table, &days, &run)?;
        staged.commit().map_err(|e| {
            eprintln!("error: {e}");
            EXIT_FAILURE
        })?;
        Ok::<_, u8>(letters)
    })();
    let letters = match written {
        Ok(letters) => letters,
        Err(code) => return code,
    };
    print!(
        "{}",
        engine::terminal_summary(table, &days, register, figures, outcome)
    );
    println!(
        "wrote {} and {}",
        out.join("actions.csv").display(),
        out.join("summary.csv").display()
    );
    println!("wrote {}", out.join("report.html").display());
    if let Some(last) = letters.days.last() {
        println!(
            "wrote {} letters in {}; each day's letters to print: {}",
            letters.written,
            out.join("letters").display(),
            out.join("letters").join(last).join("all.html").display()
        );
    }
    let (_, last) = outcome.span;
    println!(
        "\n$ attend run ... --on {}      # the morning list: what the policy asks for today\n",
        days.date(last)
    );
    print!(
        "{}",
        engine::on_day_text(table, &days, register, outcome, last)
    );
    EXIT_OK
}
