//! What the fuzz targets share: the pipeline a policy goes through in `attend check` and
//! `attend compile`, the bundled calendar the register readers check marks against, and the
//! scenario file the `run_scenario` target reads (the `--- name` sections of tests/scenarios).

use std::sync::OnceLock;

use attend::cli::{DiagnosticFormat, render_diagnostics};
use attend::engine;
use attend::model::Calendar;
use attend::register::{self, CodesMap, Format, Input, InputProblem, ReadOptions};
use attend::source::Source;
use attend::table::SchoolDays;
use attend::{analyse, table};
use libfuzzer_sys::Corpus;

/// Policies and calendars are text: `attend` refuses bytes that are not UTF-8 before parsing,
/// so the parsers never see them.
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `attend check` then `attend compile`: parse, lower, check, render the diagnostics as people
/// and programs read them, and compile and render the table when the policy is well-formed.
pub fn check_and_compile(src: &Source, calendar: Option<&Source>) {
    let analysis = analyse(src, calendar);
    render_diagnostics(&analysis.diagnostics, DiagnosticFormat::Human, false);
    render_diagnostics(&analysis.diagnostics, DiagnosticFormat::Json, false);
    if let Some(checked) = &analysis.checked {
        let (table, diagnostics) = table::compile(checked);
        render_diagnostics(&diagnostics, DiagnosticFormat::Human, false);
        table::render_text(&table);
        table::render_json(&table);
    }
}

/// The bundled Camden 2024-25 calendar, which every register target reads marks against.
pub fn camden() -> &'static (Calendar, SchoolDays) {
    static CAMDEN: OnceLock<(Calendar, SchoolDays)> = OnceLock::new();
    CAMDEN.get_or_init(|| {
        let src = Source::new(
            "policies/calendars/camden-2024-25.calendar",
            include_str!("../../policies/calendars/camden-2024-25.calendar"),
        );
        let Ok((calendar, _)) = attend::load_calendar(&src) else {
            panic!("the bundled calendar does not load");
        };
        let days = SchoolDays::new(&calendar);
        (calendar, days)
    })
}

/// How `attend run --keep-going` reads a register: every problem up to a limit, so the fuzzer
/// reaches the code that collects and locates many problems, not only the first.
pub fn read_options() -> ReadOptions {
    ReadOptions {
        keep_going: true,
        max_errors: 20,
        pseudonym_key: Some("fuzz".into()),
        ..ReadOptions::default()
    }
}

/// Renders problems as `attend run` prints them (each with its excerpt of the line).
pub fn render(problems: &[InputProblem]) {
    for problem in problems {
        std::hint::black_box(problem.to_string());
    }
}

/// Reads `data` as a register against the bundled calendar. Inputs of another format are
/// rejected from the corpus, so each register target stays on its own reader (the detection
/// itself is fuzzed by all three).
pub fn register_target(data: &[u8], format: Format) -> Corpus {
    let input = Input::bytes("register", data.to_vec());
    match input.open_detect() {
        Ok((found, _)) if found == format => {}
        Ok(_) => return Corpus::Reject,
        Err(problems) => {
            render(&problems);
            return Corpus::Keep;
        }
    }
    let (calendar, days) = camden();
    let whole = register::read_register(&input, calendar, days, None, None, &read_options());
    match &whole {
        Ok(register) => {
            render(&register.warnings);
            register.sessions();
        }
        Err(problems) => render(problems),
    }
    if format == Format::Compact {
        stream_agrees(&input, whole.as_ref().ok());
    }
    Corpus::Keep
}

/// A compact register the stream takes is one the whole reader takes, with the same pupils,
/// span and marks (the property `attend run` relies on when it streams), whether the first
/// pass keeps its decoded marks or the second decodes them again.
fn stream_agrees(input: &Input, whole: Option<&register::Register>) {
    let (calendar, days) = camden();
    let options = read_options();
    for kept_marks in [register::KEPT_MARKS, 0] {
        let register::Open::Opened(opened) =
            register::open_stream::<()>(input, calendar, days, None, None, &options, kept_marks)
        else {
            return;
        };
        let rows = std::sync::Mutex::new(Vec::new());
        let streamed = opened.blocks(&|block| {
            let mut rows = rows.lock().unwrap();
            for (i, g) in block.global.iter().enumerate() {
                rows.push((*g, block.register.marks_of(i).to_vec()));
            }
        });
        let register::Streamed::Read(streamed) = streamed else {
            return;
        };
        let whole = whole.expect("the stream took a register the whole reader refuses");
        assert_eq!(streamed.span, whole.span, "span");
        assert!(streamed.ids().eq(whole.ids()), "pupils");
        let mut rows = rows.into_inner().unwrap();
        rows.sort_by_key(|(g, _)| *g);
        assert_eq!(rows.len(), whole.len(), "every pupil in one block");
        for (g, marks) in rows {
            assert_eq!(marks, whole.marks_of(g), "marks of pupil {}", whole.id(g));
        }
    }
}

/// Reads `data` as a register of `format` (as `--format` names it; `columns` as `--columns`
/// gives them), against the bundled calendar: every input reaches that format's reader.
pub fn register_as(data: &[u8], format: Format, columns: Option<&str>) -> Corpus {
    let input = Input::bytes("register", data.to_vec());
    let mut options = read_options();
    options.format = Some(format);
    options.columns = columns.and_then(|c| register::ColumnMap::parse(c).ok());
    let (calendar, days) = camden();
    match register::read_register(&input, calendar, days, None, None, &options) {
        Ok(register) => {
            render(&register.warnings);
            register.sessions();
        }
        Err(problems) => render(&problems),
    }
    Corpus::Keep
}

/// A scenario's `--- name` sections, in order: `policy`, `calendar`, `pupils`, `codes_map`
/// and `register`, as in tests/scenarios/*.scenario. Lines before the first section are
/// comments.
pub fn sections(text: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("--- ") {
            out.push((name.trim(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// `attend run` on one scenario, through the same library calls the command makes, up to the
/// bytes of every output (`actions.csv`, `summary.csv`, the report, the day's list and a
/// pupil's timeline); only writing the files is left out.
pub fn run_scenario(text: &str) {
    let parts = sections(text);
    let get = |name: &str| parts.iter().find(|(n, _)| *n == name).map(|(_, b)| b);
    let policy = Source::new(
        "scenario.policy",
        get("policy").cloned().unwrap_or_default(),
    );
    let calendar = get("calendar").map(|c| Source::new("scenario.calendar", c.clone()));
    let analysis = analyse(&policy, calendar.as_ref());
    let Some(checked) = analysis.checked else {
        render_diagnostics(&analysis.diagnostics, DiagnosticFormat::Human, false);
        return;
    };
    let (table, diagnostics) = table::compile(&checked);
    if diagnostics.iter().any(|d| d.is_error()) || !table.calendar.has_dates() {
        return;
    }
    let days = SchoolDays::new(&table.calendar);
    let options = read_options();
    let pupils = match get("pupils") {
        Some(body) => {
            let input = Input::bytes("pupils.csv", body.as_bytes().to_vec());
            match register::read_pupils(&input, options.limit()) {
                Ok(pupils) => Some(pupils),
                Err(problems) => {
                    render(&problems);
                    return;
                }
            }
        }
        None => None,
    };
    let codes_map = match get("codes_map") {
        Some(body) => match CodesMap::read(&Input::bytes("codes.csv", body.as_bytes().to_vec())) {
            Ok(map) => Some(map),
            Err(problems) => {
                render(&problems);
                return;
            }
        },
        None => None,
    };
    let register_text = get("register").cloned().unwrap_or_default();
    let input = Input::bytes("register.csv", register_text.into_bytes());
    let register = match register::read_register(
        &input,
        &table.calendar,
        &days,
        pupils.as_ref(),
        codes_map.as_ref(),
        &options,
    ) {
        Ok(register) => register,
        Err(problems) => {
            render(&problems);
            return;
        }
    };
    let outcome = engine::run(&table, &days, &register);
    engine::actions_csv(&table, &days, &register, &outcome);
    engine::summary_csv(&table, &register, &outcome);
    let figures = register::MarkFigures::of(
        &register,
        &days,
        engine::letter_days(&table, &outcome.fired),
    );
    engine::terminal_summary(&table, &days, &register, &figures, &outcome);
    let tables = std::slice::from_ref(&table);
    let sim = attend::simulate::compare(
        tables,
        std::slice::from_ref(&outcome),
        &days,
        &register,
        &attend::simulate::Minutes::default(),
    );
    attend::report::html(&attend::report::Report {
        title: "Attendance policy report",
        cohort: "fuzz",
        sim: &sim,
        tables,
        days: &days,
        warnings: &["a policy run with `--allow-errors`".to_string()],
    });
    if let Some((first, last)) = register.span {
        for day in [first, (first + last) / 2, last] {
            engine::on_day_text(&table, &days, &register, &outcome, day);
        }
    }
    if !register.is_empty() {
        let (trace, fired) = engine::explain(&table, &days, &register, 0);
        engine::explain_text(&table, &days, &register, 0, &trace, &fired);
    }
}

/// A run the `ledger` target records into each ledger it opens: a policy, its table, a
/// register and what the engine found in it.
pub struct LedgerScenario {
    pub table: table::DecisionTable,
    pub days: SchoolDays,
    pub register: register::Register,
    pub outcome: engine::Outcome,
}

/// The run of tests/scenarios/same_action_from_two_rules_is_one_row.scenario (a pupil with
/// several actions on several days), made once.
pub fn ledger_scenario() -> &'static LedgerScenario {
    static SCENARIO: OnceLock<LedgerScenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let text =
            include_str!("../../tests/scenarios/same_action_from_two_rules_is_one_row.scenario");
        let parts = sections(text);
        let get = |name: &str| {
            parts
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| b.clone())
                .unwrap_or_default()
        };
        let policy = Source::new("scenario.policy", get("policy"));
        let calendar = Source::new("scenario.calendar", get("calendar"));
        let Some(checked) = analyse(&policy, Some(&calendar)).checked else {
            panic!("the ledger scenario's policy does not check");
        };
        let (table, _) = table::compile(&checked);
        let days = SchoolDays::new(&table.calendar);
        let input = Input::bytes("register.csv", get("register").into_bytes());
        let options = ReadOptions {
            allow_missing: true,
            ..read_options()
        };
        let Ok(register) =
            register::read_register(&input, &table.calendar, &days, None, None, &options)
        else {
            panic!("the ledger scenario's register does not read");
        };
        let outcome = engine::run(&table, &days, &register);
        LedgerScenario {
            table,
            days,
            register,
            outcome,
        }
    })
}
