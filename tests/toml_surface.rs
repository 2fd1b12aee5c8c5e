//! The TOML surface: DSL → TOML → AST is the same policy, TOML → AST → TOML is byte-stable,
//! comments survive, and problems point at the right line and column of the TOML file.

use attend::diagnostic::Diagnostic;
use attend::source::Source;
use attend::syntax::ast::{File, Item, PenaltyItem, PlanEvent, PlanItem};
use attend::syntax::{self, dsl, print_dsl, print_toml, toml};

/// Every construct of the language, with comments in the places authors put them.
const RICH: &str = r#"# leading
policy "King's Cross Academy" {
  extends national
  urn 100000   # trailing
  phase primary
  type academy
  target 95%
  ratified 2024-12-01
  review 2027-12-01
  cites act "Education Act 1996"
  cites guidance "Working together to improve school attendance"
  # the school year
  calendar "2024-25" {
    session am opens 08:55 late_after 09:15 closes 09:30
    # afternoon register
    session pm closes 13:45
    term autumn 2024-09-04 .. 2024-12-20
    half_term 2024-10-28 .. 2024-11-01
    holiday 2024-12-23 .. 2025-01-03 "Christmas"
    bank_holiday 2025-05-05
    inset 2025-01-06 "training"
    closed 2025-03-10 "polling station"
  }
  # our names for the stages
  stages {
    aspire is expect "Aspire"
    monitor
    listen "x"
  }
  bands "table" attendance over year_to_date from 20 possible sessions {
    band expect "EXPECT" 100% - 96% stage expect
    # policy section 4.2
    band monitor 95.9% - 94% stage monitor on enter: letter concern by attendance_lead, meeting parent
    band pa below 90% stage facilitate on enter: refer early_help once per term
    band x 90% and below
    band y >= 96%
    band z 90% <..= 94%
    band w 80% .. 85% on enter: review by attendance_lead not again within 4 school_weeks
    band v more than 99%
  }
  define persistent_absence "miss 10% or more" when absence(year_to_date) >= 10%
  escalation "unexplained absence" days marked {N, O, #} {
    day 1: contact "first-day call" by office
    # safeguarding first
    day 1 when pupil.social_worker or pupil.child_protection_plan: notify social_worker
    day 3: home_visit, letter three-day
    day 10: notify local_authority "ACOS", contact "the parent's \"other\" number" by office
  }
  # the national threshold
  trigger "penalty" from 20 possible sessions when unauthorised(rolling 10 school_weeks) >= 10 sessions and not pupil.stage < formalise
    then consider penalty_notice by headteacher stage enforce once per term
  trigger "share" when attendance(year_to_date) < 95% and unauthorised(year_to_date) >= 10% of absent(year_to_date) then refer local_authority "PAS" repeat every 2 school_weeks
  trigger "late" when count(L, this_half_term) >= 5 and count({L, U}, last 10 school_days) > 2 then letter lateness once per half_term
  trigger "dip" when attendance(rolling 4 school_weeks) < 90% then contact by office not again within 4 school_weeks
  plan "stage one" at facilitate {
    review after 6 school_weeks
    target attendance(rolling 6 school_weeks) >= 90%
    escalate to formalise
    on open: meeting taf
    # if it does not work
    on miss: letter nti
    on met: letter improvement
  }
  letters { concern "letters/concern.md" three-day "letters/three-day.md" }
  meetings { parent "Parent meeting" }
  roles {
    # front desk
    office "School office"
    attendance_lead "Attendance Lead"
  }
  procedures { reporting_absence "Call us" }
  penalty_notices {
    threshold 10 sessions in rolling 10 school_weeks
    limit 2 in 3 years
    # first notice
    fine £80 within 21 days
    second_fine £160.50 within 28 days
  }
  limits { register_open 30 minutes sessions_per_year 380 }
}
# reviewed by governors
"#;

fn dsl_file(text: &str) -> File {
    match dsl::parse_file(&Source::new("rich.policy", text)) {
        Ok(file) => file,
        Err(errors) => panic!("DSL does not parse: {}", describe(&errors)),
    }
}

fn toml_file(text: &str) -> File {
    match toml::parse_file(&Source::new("policy.toml", text)) {
        Ok(file) => file,
        Err(errors) => panic!("TOML does not parse: {}\n{text}", describe(&errors)),
    }
}

fn toml_errors(text: &str) -> Vec<Diagnostic> {
    match toml::parse_file(&Source::new("policy.toml", text)) {
        Ok(_) => panic!("expected errors from\n{text}"),
        Err(errors) => errors,
    }
}

fn describe(errors: &[Diagnostic]) -> String {
    errors
        .iter()
        .map(|d| {
            format!(
                "{:?} {} ({})",
                d.position(),
                d.message,
                d.help.clone().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The one-line statements, which TOML keeps together in `[policy]`.
fn is_metadata(item: &Item) -> bool {
    matches!(
        item,
        Item::Extends(_)
            | Item::Urn(_)
            | Item::Phase(_)
            | Item::SchoolType(_)
            | Item::Target(_)
            | Item::Ratified(_)
            | Item::Review(_)
    )
}

/// What TOML cannot keep of a DSL file: one-line statements move into `[policy]` (ahead of the
/// rest, in their order), and a `stages` block's comments go to its first stage, since TOML has
/// no place for the block itself. Everything else keeps its order.
fn normalise(mut file: File) -> File {
    if let File::Policy(policy) = &mut file {
        policy
            .node
            .items
            .sort_by_key(|item| !is_metadata(&item.node));
        for item in &mut policy.node.items {
            if let Item::Stages(entries) = &mut item.node
                && let Some(first) = entries.first_mut()
            {
                let mut comments = std::mem::take(&mut item.comments);
                comments.append(&mut first.comments);
                first.comments = comments;
            }
        }
    }
    file
}

fn line_col(d: &Diagnostic) -> (usize, usize) {
    let (_, line, col) = d.position().unwrap_or(("", 0, 0));
    (line, col)
}

/// 1-based line and column of the first `needle` in `text`.
fn find(text: &str, needle: &str) -> (usize, usize) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

// ---------------------------------------------------------------- round trips

#[test]
fn dsl_to_toml_is_the_same_policy() {
    let from_dsl = dsl_file(RICH);
    let toml_text = print_toml::print_file(&from_dsl);
    let from_toml = toml_file(&toml_text);
    assert_eq!(normalise(from_toml.clone()), normalise(from_dsl.clone()));
    assert_eq!(
        print_dsl::print_file(&normalise(from_toml)),
        print_dsl::print_file(&normalise(from_dsl)),
    );
}

#[test]
fn toml_printing_is_stable() {
    let toml_text = print_toml::print_file(&dsl_file(RICH));
    let again = print_toml::print_file(&toml_file(&toml_text));
    assert_eq!(again, toml_text);
}

#[test]
fn comments_survive_as_toml_comments() {
    let toml_text = print_toml::print_file(&dsl_file(RICH));
    for comment in [
        "# leading\n[policy]",
        "# trailing\nurn = 100000",
        "# the school year\n[[calendar]]",
        "# afternoon register\n[[calendar.session]]",
        "# our names for the stages\n[[stage]]",
        "# policy section 4.2\n[[bands.band]]",
        "# safeguarding first\n[[escalation.step]]",
        "# the national threshold\n[[trigger]]",
        "# if it does not work\non_miss",
        "# front desk\noffice = ",
        "# first notice\n[[penalty_notices.fine]]",
    ] {
        assert!(
            toml_text.contains(comment),
            "`{comment}` missing from\n{toml_text}"
        );
    }
    assert!(
        toml_text.trim_end().ends_with("# reviewed by governors"),
        "{toml_text}"
    );

    let File::Policy(policy) = toml_file(&toml_text) else {
        panic!("not a policy")
    };
    assert_eq!(policy.comments, vec!["leading".to_string()]);
    assert_eq!(
        policy.node.trailing,
        vec!["reviewed by governors".to_string()]
    );
    let urn = policy
        .node
        .items
        .iter()
        .find(|i| matches!(i.node, Item::Urn(_)))
        .expect("urn");
    assert_eq!(urn.comments, vec!["trailing".to_string()]);
    let plan = policy.node.items.iter().find_map(|i| match &i.node {
        Item::Plan(p) => Some(p),
        _ => None,
    });
    let on_miss = plan
        .and_then(|p| {
            p.items.iter().find(|i| {
                matches!(
                    i.node,
                    PlanItem::On {
                        event: PlanEvent::Miss,
                        ..
                    }
                )
            })
        })
        .expect("on miss");
    assert_eq!(on_miss.comments, vec!["if it does not work".to_string()]);
}

#[test]
fn escaped_strings_keep_their_meaning_and_places() {
    let toml_text = print_toml::print_file(&dsl_file(RICH));
    let src = Source::new("policy.toml", toml_text.clone());
    let Ok(File::Policy(policy)) = toml::parse_file(&src) else {
        panic!("not a policy")
    };
    let ladder = policy.node.items.iter().find_map(|i| match &i.node {
        Item::Escalation(e) => Some(e),
        _ => None,
    });
    let step = ladder.and_then(|e| e.steps.last()).expect("day 10");
    let contact = step.node.actions.get(1).expect("second action");
    assert_eq!(
        contact.node.note.as_ref().map(|n| n.node.as_str()),
        Some("the parent's \"other\" number")
    );
    // However toml_edit chose to quote the string, `by office` is found where it is written.
    let by = contact.node.by.as_ref().expect("by");
    assert_eq!(by.loc.text(), "office");
}

#[test]
fn several_blocks_of_a_kind_merge() {
    let text = r#"policy "P" {
  roles { office "Office" }
  plan "p" at facilitate {
    on miss: letter a
    on miss: letter b by office
  }
  roles { head "Head" }
}
"#;
    let toml_text = print_toml::print_file(&dsl_file(text));
    assert_eq!(toml_text.matches("[roles]").count(), 1, "{toml_text}");
    assert!(
        toml_text.contains("on_miss = \"letter a, letter b by office\""),
        "{toml_text}"
    );
    let File::Policy(policy) = toml_file(&toml_text) else {
        panic!("not a policy")
    };
    let roles: Vec<_> = policy
        .node
        .items
        .iter()
        .filter(|i| matches!(i.node, Item::Roles(_)))
        .collect();
    assert_eq!(roles.len(), 1);
    let Some(Item::Roles(entries)) = roles.first().map(|r| &r.node) else {
        panic!()
    };
    let ids: Vec<_> = entries.iter().map(|e| e.node.id.node.as_str()).collect();
    assert_eq!(ids, ["office", "head"]);
}

#[test]
fn the_documented_schema_parses() {
    let text = r#"# comments anywhere
[policy]
name = "King's Cross Academy"
extends = "national"
urn = 100000
phase = "primary"
type = "academy"
target = "95%"
ratified = 2024-12-01
review = "2027-12-01"

[[cite]]
kind = "act"
title = "Education Act 1996"

[roles]
attendance_lead = "Attendance Lead"

[[stage]]
id = "aspire"
is = "expect"

[[define]]
name = "persistent_absence"
when = "absence(year_to_date) >= 10%"

[[bands]]
metric = "attendance"
over = "year_to_date"
[[bands.band]]
id = "expect"
range = "100% - 96%"
on_enter = "letter concern by attendance_lead, meeting parent"

[[escalation]]
name = "unexplained absence"
days_marked = "{N, O}"
[[escalation.step]]
day = 1
then = "contact \"first-day call\" by office"

[[trigger]]
name = "penalty threshold"
when = "unauthorised(rolling 10 school_weeks) >= 10"
then = "consider penalty_notice"

[[plan]]
name = "stage one"
at = "facilitate"
review_after = 6
on_open = "meeting taf"

[penalty_notices]
threshold_sessions = 10
threshold_window = "rolling 10 school_weeks"
[[penalty_notices.fine]]
amount = 80
within_days = 21
[[penalty_notices.second_fine]]
amount = "£80.50"
within_days = 28

[limits]
register_open = "30 minutes"
sessions_per_year = 380
"#;
    let File::Policy(policy) = toml_file(text) else {
        panic!("not a policy")
    };
    assert_eq!(policy.node.name.node, "King's Cross Academy");
    let fines: Vec<u64> = policy
        .node
        .items
        .iter()
        .filter_map(|i| match &i.node {
            Item::PenaltyNotices(p) => Some(p),
            _ => None,
        })
        .flatten()
        .filter_map(|p| match &p.node {
            PenaltyItem::Fine { pence, .. } => Some(pence.node),
            _ => None,
        })
        .collect();
    assert_eq!(fines, [8000, 8050]);
    // The first-day call's `by office` points inside the escaped string, at `office`.
    let src = Source::new("policy.toml", text);
    let Ok(File::Policy(policy)) = toml::parse_file(&src) else {
        panic!()
    };
    let step = policy
        .node
        .items
        .iter()
        .find_map(|i| match &i.node {
            Item::Escalation(e) => e.steps.first(),
            _ => None,
        })
        .expect("a step");
    let action = step.node.actions.first().expect("an action");
    assert_eq!(
        action.node.by.as_ref().map(|b| b.loc.text()),
        Some("office")
    );
    assert_eq!(
        action.node.note.as_ref().map(|n| n.loc.text()),
        Some("\\\"first-day call\\\"")
    );
}

#[test]
fn toml_files_are_routed_to_the_toml_surface() {
    let src = Source::new("p.toml", "[policy]\nname = \"P\"\nurn = 5\n");
    let Ok(File::Policy(policy)) = syntax::parse(&src) else {
        panic!("not parsed as TOML")
    };
    assert_eq!(policy.node.name.node, "P");
}

// ---------------------------------------------------------------- calendars

const CALENDAR_TOML: &str = r#"# Camden 2024-25
[[calendar]]
label = "2024-25"

[[calendar.session]]
name = "am"
opens = "08:55"
closes = 09:30:00

[[calendar.term]]
name = "autumn"
from = 2024-09-04
to = 2024-12-20

# INSET
[[calendar.closure]]
kind = "inset"
from = "2025-01-06"
"#;

#[test]
fn a_calendar_only_toml_is_a_calendar_file() {
    let file = toml_file(CALENDAR_TOML);
    let File::Calendars(cals) = &file else {
        panic!("not a calendar file")
    };
    assert_eq!(cals.calendars.len(), 1);
    let dsl = dsl::parse_file(&Source::new(
        "camden.calendar",
        r#"# Camden 2024-25
calendar "2024-25" {
  session am opens 08:55 closes 09:30
  term autumn 2024-09-04 .. 2024-12-20
  # INSET
  inset 2025-01-06
}
"#,
    ));
    assert_eq!(Ok(file.clone()), dsl.map_err(|e| describe(&e)));
    let printed = print_toml::print_file(&file);
    assert_eq!(toml_file(&printed), file);
    assert_eq!(print_toml::print_file(&toml_file(&printed)), printed);
}

// ---------------------------------------------------------------- problems

#[test]
fn unknown_keys_say_what_was_meant() {
    let text = "[policy]\nname = \"P\"\nnmae = \"Q\"\n\n[[bands]]\nmetric = \"attendance\"\nover = \"year_to_date\"\n[[bands.band]]\nid = \"a\"\nrnage = \"below 90%\"\n\n[polciy]\n";
    let errors = toml_errors(text);
    assert_eq!(errors.len(), 3, "{}", describe(&errors));
    let first = &errors[0];
    assert_eq!(first.code, "syntax::toml_unknown_key");
    assert_eq!(line_col(first), (3, 1));
    assert_eq!(first.help.as_deref(), Some("did you mean `name`?"));
    assert!(first.message.contains("[policy]"), "{}", first.message);
    let band = &errors[1];
    assert_eq!(line_col(band), find(text, "rnage"));
    assert_eq!(band.help.as_deref(), Some("did you mean `range`?"));
    let top = &errors[2];
    assert_eq!(line_col(top), find(text, "polciy"));
    assert_eq!(top.help.as_deref(), Some("did you mean `policy`?"));
}

#[test]
fn a_band_limits_its_entry_actions_once_per_period_or_not_again_within_weeks_only() {
    // `repeat every` keeps firing while a condition holds; a band's entry happens once per
    // entry, so it is not a band's limit: the TOML string says where, as the DSL does.
    let text = "[policy]\nname = \"P\"\n\n[[bands]]\nmetric = \"attendance\"\nover = \"year_to_date\"\n[[bands.band]]\nid = \"a\"\nrange = \"below 90%\"\non_enter = \"contact\"\nrepeat = \"repeat every 2 school_weeks\"\n";
    let errors = toml_errors(text);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(errors[0].code, "syntax::unexpected");
    assert_eq!(line_col(&errors[0]), find(text, "repeat every"));
    assert!(
        errors[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("`once per ...` or `not again within N school_weeks`")),
        "{}",
        describe(&errors)
    );
    let dsl = "policy \"P\" {\n  bands attendance over year_to_date {\n    band a below 90% on enter: contact repeat every 2 school_weeks\n  }\n}\n";
    let errors = match dsl::parse_file(&Source::new("p.policy", dsl)) {
        Ok(_) => panic!("`repeat every` on a band parses"),
        Err(errors) => errors,
    };
    assert_eq!(
        line_col(&errors[0]),
        find(dsl, "repeat every"),
        "{}",
        describe(&errors)
    );
    // The two limits a band takes parse in both surfaces (the rich policy above has both).
    let printed = print_toml::print_file(&dsl_file(RICH));
    assert!(printed.contains("repeat = \"once per term\""), "{printed}");
    assert!(
        printed.contains("repeat = \"not again within 4 school_weeks\""),
        "{printed}"
    );
}

#[test]
fn a_bad_condition_points_inside_the_string() {
    let text = r#"[policy]
name = "P"

[[trigger]]
name = "one"
when = "absence(year_to_date) >= 10% xor pupil.fsm"
then = "letter concern"

[[trigger]]
name = "two"
when = "pupil.fsm"
then = "contact \"a call\" by office ???"
"#;
    let errors = toml_errors(text);
    assert_eq!(
        errors.len(),
        2,
        "both strings are checked: {}",
        describe(&errors)
    );
    assert_eq!(errors[0].code, "syntax::unexpected");
    assert_eq!(line_col(&errors[0]), find(text, "xor"));
    // After the escaped quotes the column still matches the file.
    assert_eq!(line_col(&errors[1]), find(text, "???"));
}

#[test]
fn bad_dates_are_invalid_dates() {
    let text = "[policy]\nname = \"P\"\nratified = 2024-02-30\nreview = \"2024-13-01\"\n";
    let errors = toml_errors(text);
    assert_eq!(errors.len(), 2, "{}", describe(&errors));
    assert!(
        errors.iter().all(|e| e.code == "syntax::invalid_date"),
        "{}",
        describe(&errors)
    );
    assert_eq!(line_col(&errors[0]), (3, 12));
    assert_eq!(line_col(&errors[1]), (4, 10));
}

#[test]
fn a_missing_name_is_reported_at_its_table() {
    let text = "[policy]\nname = \"P\"\n\n[[trigger]]\nwhen = \"pupil.fsm\"\nthen = \"letter a\"\n";
    let errors = toml_errors(text);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(errors[0].code, "syntax::toml_missing_key");
    assert_eq!(line_col(&errors[0]), (4, 1));
    assert!(
        errors[0].message.contains("`name`"),
        "{}",
        errors[0].message
    );

    let errors = toml_errors("# no name\n[policy]\nurn = 1\n");
    assert_eq!(errors[0].code, "syntax::toml_missing_key");
    assert_eq!(line_col(&errors[0]), (2, 1));
}

#[test]
fn no_policy_and_no_calendar_is_nothing() {
    for text in [
        "",
        "# only a comment\n",
        "[[trigger]]\nname = \"t\"\nwhen = \"a\"\nthen = \"letter a\"\n",
    ] {
        let errors = toml_errors(text);
        assert_eq!(errors[0].code, "syntax::toml_nothing", "{text}");
    }
}

#[test]
fn junk_never_panics() {
    let mut cases: Vec<String> = vec![
        "\0\0\0\u{1}".into(),
        "[[[[".into(),
        "policy = 5".into(),
        "[policy]\nname = 5\n".into(),
        "[[policy]]\nname = \"x\"\n".into(),
        "[policy]\nname = \"x\"\n[roles]\n1st = \"a\"\nand = \"b\"\nx = { y = 1 }\n".into(),
        "[policy]\nname = \"x\"\n[[trigger]]\nname = \"t\"\nwhen = \"\u{0}\\u0000(\"\nthen = \"\"\"\n\\\n  letter\"\"\"\n".into(),
        "[policy]\nname = \"x\"\n[limits]\na = -1\nb = \"3 hours\"\nc = \"1 2 3\"\n[[penalty_notices.fine]]\n".into(),
        "[policy]\nname = \"x\"\ncite = [1, 2]\nstage = \"s\"\n".into(),
        format!("a = {}", "[".repeat(5000)),
        format!("[policy]\nname = \"x\"\n[[define]]\nname = \"d\"\nwhen = \"{}a{}\"\n", "(".repeat(500), ")".repeat(500)),
        "[policy]\nname = \"x\"\n[[calendar]]\n[[calendar.session]]\nname = \"am\"\nopens = 1979-05-27T07:32:00Z\ncloses = 25:00:00\n".into(),
        "\u{feff}[policy]\nname = '''\n\u{e9}'''\n".into(),
    ];
    // A deterministic stream of TOML-ish noise.
    let alphabet: Vec<char> = "[]{}=\"'#\n .,:-_abcnpoliyzr0123456789%£\\\t\r\u{0}é"
        .chars()
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..300 {
        let mut s = String::from("[policy]\nname = \"x\"\n");
        for _ in 0..(state % 120) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        cases.push(s);
    }
    for case in cases {
        let src = Source::new("junk.toml", case.clone());
        if let Ok(file) = toml::parse_file(&src) {
            // Whatever parses must print and parse back.
            let printed = print_toml::print_file(&file);
            assert!(
                toml::parse_file(&Source::new("again.toml", printed.clone())).is_ok(),
                "{case:?}\n{printed}"
            );
        }
    }
}

#[test]
fn seed_policies_survive_the_trip() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .chain(
            std::fs::read_dir(root.join("calendars"))
                .into_iter()
                .flatten(),
        )
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "policy" || e == "calendar")
        })
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok(from_dsl) = dsl::parse_file(&Source::new(path.display().to_string(), text)) else {
            continue;
        };
        let toml_text = print_toml::print_file(&from_dsl);
        let from_toml = toml_file(&toml_text);
        assert_eq!(
            normalise(from_toml.clone()),
            normalise(from_dsl),
            "{}",
            path.display()
        );
        assert_eq!(
            print_toml::print_file(&from_toml),
            toml_text,
            "{}",
            path.display()
        );
    }
}
