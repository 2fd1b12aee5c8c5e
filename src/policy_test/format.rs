//! The `.policy.test` file: optional `policy:` and `calendar:` lines, then tests, each a
//! `test:` line and `--- pupils` (a pupils CSV), `--- register` (a compact marks CSV) and
//! `--- expect` sections. The CSV sections are read by the register's own readers later.

use chrono::NaiveDate;

use crate::diagnostic::{Diagnostic, Problem, did_you_mean_help};
use crate::source::{Loc, Source, Span};

/// A parsed test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    pub source: Source,
    /// `policy: PATH`, relative to the test file; by default the file's name less `.test`.
    pub policy: Option<Word>,
    /// `calendar: PATH`, relative to the test file; by default the policy's own term dates,
    /// or the bundled calendar when it has none.
    pub calendar: Option<Word>,
    pub cases: Vec<Case>,
}

/// One test: a small register, its pupils and what the policy should ask for.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    /// The `test:` line.
    pub loc: Loc,
    pub pupils: Option<Section>,
    pub register: Option<Section>,
    pub expect: Vec<Expect>,
    /// `--- expect` (true): the pupils given dated lines get those actions and no other;
    /// `--- expect at least`: they get those, and may get more.
    pub exact: bool,
}

/// A CSV section: its lines as written (blank and `#` lines left out), each with the byte
/// offset where it starts in the test file, so a reader's line maps back to the file's.
#[derive(Clone, Debug)]
pub struct Section {
    pub header: Loc,
    pub text: String,
    pub starts: Vec<usize>,
}

impl Section {
    /// Where line `line` (1-based, of the section's text), column `column` (1-based, in
    /// characters), `width` characters wide, is in the test file.
    pub fn loc(&self, source: &Source, line: u64, column: u64, width: usize) -> Loc {
        let Some(&start) = usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| self.starts.get(l))
        else {
            return self.header.clone();
        };
        let rest = &source.text()[start..];
        let rest = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let skip = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
        let byte = |chars: usize| {
            rest.char_indices()
                .nth(chars)
                .map_or(rest.len(), |(i, _)| i)
        };
        let from = byte(skip);
        let to = byte(skip.saturating_add(width.max(1))).max(from);
        source.loc(Span::new(start + from, start + to))
    }
}

/// A word of an expectation line and where it is written.
#[derive(Clone, Debug)]
pub struct Word {
    pub text: String,
    pub loc: Loc,
}

/// One expectation.
#[derive(Clone, Debug)]
pub enum Expect {
    /// `2024-09-11 P1 home_visit, letter:three-day`: these actions for the pupil that day.
    On {
        date: NaiveDate,
        date_loc: Loc,
        pupil: Word,
        actions: Vec<Word>,
    },
    /// `never P1 letter:five-day` (that action on no day) or `never P1` (no action at all).
    Never {
        loc: Loc,
        pupil: Word,
        action: Option<Word>,
    },
    /// `end P1 stage formalise`: the pupil's stage on the register's last day.
    EndStage { pupil: Word, stage: Word },
}

impl Expect {
    pub fn pupil(&self) -> &Word {
        match self {
            Expect::On { pupil, .. }
            | Expect::Never { pupil, .. }
            | Expect::EndStage { pupil, .. } => pupil,
        }
    }
}

/// What is wrong with a test file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TestFileError {
    #[error("`{0}` is not a line a test file holds here")]
    UnknownLine(String),
    #[error("`{0}` is not a section of a test")]
    UnknownSection(String),
    #[error("a `--- {0}` section before any `test:` line")]
    SectionOutsideTest(String),
    #[error("this test has a second `--- {0}` section")]
    DuplicateSection(String),
    #[error("this test has no `--- register` section")]
    NoRegister,
    #[error("this test has no `--- expect` section")]
    NoExpectations,
    #[error("this file holds no tests")]
    NoTests,
    #[error("a test needs a name")]
    NoName,
    #[error("a second `{0}:` line")]
    DuplicateSetting(String),
    #[error("`{0}` is not an expectation")]
    BadExpect(String),
    #[error("`{0}` is not a date")]
    BadDate(String),
    #[error("no pupil `{pupil}` in this test's register")]
    UnknownPupil { pupil: String, help: Option<String> },
    #[error("the policy asks for no action `{action}`")]
    UnknownAction {
        action: String,
        help: Option<String>,
    },
    #[error("the policy has no stage `{stage}`")]
    UnknownStage { stage: String, help: Option<String> },
    #[error("{date} is not a school day in the calendar")]
    NotASchoolDay { date: NaiveDate },
    #[error("{date} is outside the register, which covers {first}..{last}")]
    OutsideRegister {
        date: NaiveDate,
        first: NaiveDate,
        last: NaiveDate,
    },
}

/// The forms an expectation line takes, for help texts.
const FORMS: &str = "expectations are `YYYY-MM-DD PUPIL ACTION[, ACTION...]`, `never PUPIL [ACTION]` or `end PUPIL stage STAGE`";

impl Problem for TestFileError {
    fn code(&self) -> &'static str {
        match self {
            TestFileError::UnknownLine(_) => "test::unknown_line",
            TestFileError::UnknownSection(_) => "test::unknown_section",
            TestFileError::SectionOutsideTest(_) => "test::section_outside_test",
            TestFileError::DuplicateSection(_) => "test::duplicate_section",
            TestFileError::NoRegister => "test::no_register",
            TestFileError::NoExpectations => "test::no_expectations",
            TestFileError::NoTests => "test::no_tests",
            TestFileError::NoName => "test::no_name",
            TestFileError::DuplicateSetting(_) => "test::duplicate_setting",
            TestFileError::BadExpect(_) => "test::bad_expect",
            TestFileError::BadDate(_) => "test::bad_date",
            TestFileError::UnknownPupil { .. } => "test::unknown_pupil",
            TestFileError::UnknownAction { .. } => "test::unknown_action",
            TestFileError::UnknownStage { .. } => "test::unknown_stage",
            TestFileError::NotASchoolDay { .. } => "test::not_a_school_day",
            TestFileError::OutsideRegister { .. } => "test::outside_register",
        }
    }

    fn help(&self) -> Option<String> {
        Some(match self {
            TestFileError::UnknownLine(word) => {
                let key = word.trim_end_matches(':');
                match did_you_mean_help(key, ["policy", "calendar", "test"]) {
                    Some(h) if word.ends_with(':') => h,
                    _ => "a test file holds `policy: PATH`, `calendar: PATH`, then tests: `test: NAME` and its `--- pupils`, `--- register` and `--- expect` sections (`#` starts a comment)".into(),
                }
            }
            TestFileError::UnknownSection(name) => {
                did_you_mean_help(name, ["pupils", "register", "expect", "expect at least"])
                    .unwrap_or_else(|| {
                        "the sections are `--- pupils`, `--- register`, `--- expect` and `--- expect at least`".into()
                    })
            }
            TestFileError::SectionOutsideTest(_) => {
                "start the test with `test: NAME` on the line before".into()
            }
            TestFileError::DuplicateSection(_) => {
                "put all its lines in one section, or start a new test with `test: NAME`".into()
            }
            TestFileError::NoRegister => {
                "add `--- register` and a compact marks CSV: `pupil_id,start_date,marks`".into()
            }
            TestFileError::NoExpectations => format!("add `--- expect` and its lines: {FORMS}"),
            TestFileError::NoTests => "start a test with `test: NAME` (docs/testing.md)".into(),
            TestFileError::NoName => "write what the test shows: `test: day 3 brings the three-day letter`".into(),
            TestFileError::DuplicateSetting(key) => format!("a test file names one {key}"),
            TestFileError::BadExpect(_) => FORMS.into(),
            TestFileError::BadDate(_) => "dates are ISO 8601: `YYYY-MM-DD`".into(),
            TestFileError::UnknownPupil { help, .. }
            | TestFileError::UnknownAction { help, .. }
            | TestFileError::UnknownStage { help, .. } => help.clone()?,
            TestFileError::NotASchoolDay { .. } => {
                "no action is ever due on a day without school: check the date against the calendar".into()
            }
            TestFileError::OutsideRegister { .. } => {
                "the run ends with the register's last mark: lengthen the marks, or move the date".into()
            }
        })
    }
}

/// Reads a test file. Every problem is reported, each at its line and column.
pub fn parse(source: &Source) -> Result<TestFile, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut file = TestFile {
        source: source.clone(),
        policy: None,
        calendar: None,
        cases: Vec::new(),
    };
    // Which section the lines are in: none, a CSV section, or the expectations.
    #[derive(PartialEq)]
    enum In {
        Top,
        Test,
        Pupils,
        Register,
        Expect,
        /// After a section with a name it does not know: its lines are not looked at.
        Unknown,
    }
    // Whether each test has an `--- expect` section, though all its lines be wrong.
    let mut expects: Vec<bool> = Vec::new();
    let mut at = In::Top;
    let text = source.text();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let lead = line.len() - line.trim_start().len();
        let span =
            |from: usize, len: usize| source.loc(Span::new(start + from, start + from + len));
        let whole = span(lead, trimmed.len());
        if let Some(name) = trimmed.strip_prefix("---") {
            // A `#` after the section's name starts a comment.
            let name = name.split(" #").next().unwrap_or_default().trim();
            let name_at = span(line.find(name).unwrap_or(lead), name.len().max(1));
            let Some(case) = file.cases.last_mut() else {
                errors.push(TestFileError::SectionOutsideTest(name.into()).at(&whole));
                at = In::Top;
                continue;
            };
            let section = || Section {
                header: whole.clone(),
                text: String::new(),
                starts: Vec::new(),
            };
            let (next, taken) = match name {
                "pupils" => (In::Pupils, case.pupils.replace(section()).is_some()),
                "register" => (In::Register, case.register.replace(section()).is_some()),
                "expect" | "expect at least" => {
                    let again = expects.last().copied().unwrap_or(false);
                    if let Some(seen) = expects.last_mut() {
                        *seen = true;
                    }
                    case.exact = name == "expect";
                    (In::Expect, again)
                }
                _ => {
                    errors.push(TestFileError::UnknownSection(name.into()).at(&name_at));
                    at = In::Unknown;
                    continue;
                }
            };
            if taken {
                errors.push(TestFileError::DuplicateSection(name.into()).at(&whole));
            }
            at = next;
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("test:") {
            let name = name.trim();
            if name.is_empty() {
                errors.push(TestFileError::NoName.at(&whole));
            }
            file.cases.push(Case {
                name: name.to_string(),
                loc: whole,
                pupils: None,
                register: None,
                expect: Vec::new(),
                exact: true,
            });
            expects.push(false);
            at = In::Test;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match at {
            In::Unknown => {}
            In::Pupils | In::Register => {
                if let Some(case) = file.cases.last_mut() {
                    let section = if at == In::Pupils {
                        case.pupils.as_mut()
                    } else {
                        case.register.as_mut()
                    };
                    if let Some(section) = section {
                        section.starts.push(start);
                        section.text.push_str(line);
                        section.text.push('\n');
                    }
                }
            }
            In::Expect => {
                // A `#` after the words starts a comment (no action, pupil or date holds one).
                let words = line.find(" #").map_or(line, |i| &line[..i]);
                match expectation(source, start, words) {
                    Ok(e) => {
                        if let Some(case) = file.cases.last_mut() {
                            case.expect.push(e);
                        }
                    }
                    Err(d) => errors.push(*d),
                }
            }
            In::Top | In::Test => {
                let mut setting = |file: &mut TestFile, key: &str| -> Option<Word> {
                    let value = trimmed.strip_prefix(key)?.strip_prefix(':')?;
                    // A `#` after the value starts a comment.
                    let value = value.split(" #").next().unwrap_or_default().trim();
                    let value = value.trim_matches('"');
                    let from = line.find(value).unwrap_or(lead);
                    let word = Word {
                        text: value.to_string(),
                        loc: span(from, value.len().max(1)),
                    };
                    let slot = if key == "policy" {
                        &mut file.policy
                    } else {
                        &mut file.calendar
                    };
                    if slot.is_some() {
                        errors.push(TestFileError::DuplicateSetting(key.into()).at(&whole));
                    }
                    *slot = Some(word.clone());
                    Some(word)
                };
                if at == In::Top
                    && (setting(&mut file, "policy").is_some()
                        || setting(&mut file, "calendar").is_some())
                {
                    continue;
                }
                let first = trimmed.split_whitespace().next().unwrap_or(trimmed);
                errors.push(TestFileError::UnknownLine(first.into()).at(&span(lead, first.len())));
            }
        }
    }
    if file.cases.is_empty() && errors.is_empty() {
        errors.push(TestFileError::NoTests.at(&source.loc(Span::new(0, 0))));
    }
    for (case, expects) in file.cases.iter().zip(expects) {
        if case.register.is_none() {
            errors.push(TestFileError::NoRegister.at(&case.loc));
        }
        if !expects {
            errors.push(TestFileError::NoExpectations.at(&case.loc));
        }
    }
    if errors.is_empty() {
        Ok(file)
    } else {
        errors.sort_by_key(Diagnostic::sort_key);
        Err(errors)
    }
}

/// Reads one expectation line, whose text starts at byte `start` of the file.
fn expectation(source: &Source, start: usize, line: &str) -> Result<Expect, Box<Diagnostic>> {
    // Words split at spaces and commas, each with its place.
    let mut words: Vec<Word> = Vec::new();
    let mut from = None;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        let gap = c.is_whitespace() || c == ',';
        match (from, gap) {
            (None, false) => from = Some(i),
            (Some(f), true) => {
                words.push(Word {
                    text: line[f..i].to_string(),
                    loc: source.loc(Span::new(start + f, start + i)),
                });
                from = None;
            }
            _ => {}
        }
    }
    let bad = |w: &Word| Box::new(TestFileError::BadExpect(w.text.clone()).at(&w.loc));
    let Some(first) = words.first() else {
        return Err(Box::new(
            TestFileError::BadExpect(String::new()).at(&source.loc(Span::new(start, start))),
        ));
    };
    let whole = first.loc.to(&words[words.len() - 1].loc);
    let pupil = |i: usize| {
        words
            .get(i)
            .cloned()
            .ok_or_else(|| Box::new(TestFileError::BadExpect(line.trim().into()).at(&whole)))
    };
    match first.text.as_str() {
        "never" => {
            if words.len() > 3 {
                return Err(bad(&words[3]));
            }
            Ok(Expect::Never {
                loc: whole.clone(),
                pupil: pupil(1)?,
                action: words.get(2).cloned(),
            })
        }
        "end" => {
            let pupil = pupil(1)?;
            match words.get(2) {
                Some(w) if w.text == "stage" => {}
                Some(w) => return Err(bad(w)),
                None => {
                    return Err(Box::new(
                        TestFileError::BadExpect(line.trim().into()).at(&whole),
                    ));
                }
            }
            if words.len() != 4 {
                return Err(Box::new(
                    TestFileError::BadExpect(line.trim().into()).at(&whole),
                ));
            }
            Ok(Expect::EndStage {
                pupil,
                stage: words[3].clone(),
            })
        }
        text if text.starts_with(|c: char| c.is_ascii_digit()) => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| Box::new(TestFileError::BadDate(text.into()).at(&first.loc)))?;
            let pupil = pupil(1)?;
            if words.len() < 3 {
                return Err(Box::new(
                    TestFileError::BadExpect(line.trim().into()).at(&whole),
                ));
            }
            Ok(Expect::On {
                date,
                date_loc: first.loc.clone(),
                pupil,
                actions: words[2..].to_vec(),
            })
        }
        _ => Err(bad(first)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "policy: school.policy   # beside it\n\
        calendar: \"terms.calendar\"\n\
        # a comment\n\
        test: day one\n\
        --- pupils\n\
        pupil_id,date_of_birth,year_group\n\
        \n\
        P1,2015-05-01,4\n\
        --- register\n\
        pupil_id,start_date,marks\n\
        # a comment inside a section is not a row\n\
        P1,2024-09-09,\"NN /\\\"\n\
        --- expect # exactly\n\
        2024-09-09 P1 contact, notify:dsl  # the DSL too\n\
        never P1 letter:five-day\n\
        never P1\n\
        end P1 stage expect\n\
        test: second\n\
        --- register\n\
        pupil_id,start_date,marks\n\
        --- expect at least\n\
        never P2\n";

    fn codes(text: &str) -> Vec<String> {
        match parse(&Source::new("t.policy.test", text)) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|d| d.code).collect(),
        }
    }

    #[test]
    fn a_file_is_read_into_its_settings_tests_sections_and_expectations() {
        let source = Source::new("t.policy.test", FILE);
        let file = parse(&source).expect("well formed");
        assert_eq!(
            file.policy.as_ref().map(|w| w.text.as_str()),
            Some("school.policy")
        );
        assert_eq!(
            file.calendar.as_ref().map(|w| w.text.as_str()),
            Some("terms.calendar")
        );
        assert_eq!(file.cases.len(), 2);
        let case = &file.cases[0];
        assert_eq!(case.name, "day one");
        assert!(case.exact);
        assert!(!file.cases[1].exact);
        // Blank and comment lines are left out of the CSV; each row keeps its file line.
        let register = case.register.as_ref().expect("a register");
        assert_eq!(
            register.text,
            "pupil_id,start_date,marks\nP1,2024-09-09,\"NN /\\\"\n"
        );
        let lines: Vec<usize> = register
            .starts
            .iter()
            .map(|s| source.line_col(*s).0)
            .collect();
        assert_eq!(lines, [10, 12]);
        assert_eq!(case.pupils.as_ref().map(|p| p.starts.len()), Some(2));
        match &case.expect[..] {
            [
                Expect::On {
                    date,
                    pupil,
                    actions,
                    ..
                },
                Expect::Never {
                    action: Some(five), ..
                },
                Expect::Never { action: None, .. },
                Expect::EndStage { stage, .. },
            ] => {
                assert_eq!(date.to_string(), "2024-09-09");
                assert_eq!(pupil.text, "P1");
                let names: Vec<&str> = actions.iter().map(|a| a.text.as_str()).collect();
                // The comment after `#` is not an action.
                assert_eq!(names, ["contact", "notify:dsl"]);
                assert_eq!(five.text, "letter:five-day");
                assert_eq!(stage.text, "expect");
                // `notify:dsl` is at line 14, column 24.
                assert_eq!(actions[1].loc.line_col(), (14, 24));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_reader_problem_is_placed_at_its_line_and_column_in_the_test_file() {
        let source = Source::new("t.policy.test", FILE);
        let file = parse(&source).expect("well formed");
        let register = file.cases[0].register.as_ref().expect("a register");
        // Line 2 of the CSV, column 15 (the first `N`), is line 12 of the file.
        let loc = register.loc(&source, 2, 15, 2);
        assert_eq!(loc.line_col(), (12, 15));
        assert_eq!(loc.text(), "\"N");
        // A problem about the whole input is placed at the section's header.
        assert_eq!(register.loc(&source, 0, 0, 1).line_col(), (9, 1));
    }

    #[test]
    fn each_slip_has_its_code() {
        assert_eq!(codes(""), ["test::no_tests"]);
        assert_eq!(codes("polcy: x\n"), ["test::unknown_line"]);
        assert_eq!(codes("--- pupils\n"), ["test::section_outside_test"]);
        let case = "test: t\n--- register\npupil_id,start_date,marks\n";
        assert_eq!(codes(case), ["test::no_expectations"]);
        assert_eq!(
            codes("test: t\n--- expect\nnever P1\n"),
            ["test::no_register"]
        );
        assert_eq!(
            codes(&format!(
                "{case}--- expect\nnever P1\n--- expect\nnever P1\n"
            )),
            ["test::duplicate_section"]
        );
        assert_eq!(
            codes(&format!("{case}--- expectations\nnever P1\n")),
            ["test::no_expectations", "test::unknown_section"]
        );
        assert_eq!(
            codes(&format!("{case}--- expect\n2024-02-30 P1 x\n")),
            ["test::bad_date"]
        );
        assert_eq!(
            codes(&format!("{case}--- expect\n2024-02-03 P1\n")),
            ["test::bad_expect"]
        );
        assert_eq!(
            codes(&format!("{case}--- expect\nnever\n")),
            ["test::bad_expect"]
        );
        assert_eq!(
            codes(&format!("{case}--- expect\nend P1 band x\n")),
            ["test::bad_expect"]
        );
        assert_eq!(
            codes(&format!("{case}--- expect\nnever P1 a b\n")),
            ["test::bad_expect"]
        );
        assert_eq!(
            codes(&format!(
                "policy: a\npolicy: b\n{case}--- expect\nnever P1\n"
            )),
            ["test::duplicate_setting"]
        );
        assert_eq!(
            codes("test:\n--- register\n--- expect\nnever P1\n"),
            ["test::no_name"]
        );
    }

    #[test]
    fn an_unknown_setting_gets_its_nearest_name() {
        let errors = parse(&Source::new("t", "calender: x\n")).expect_err("a slip");
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `calendar`?"));
    }
}
