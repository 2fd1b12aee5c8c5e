//! The model stage's problems: names that resolve to nothing, codes not in the national table,
//! dates and ranges that cannot be, values of the wrong kind.

use thiserror::Error;

use crate::diagnostic::{Problem, Severity, did_you_mean, did_you_mean_help};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ModelError {
    #[error("unknown {what} `{name}`")]
    Unknown {
        what: &'static str,
        name: String,
        candidates: Vec<String>,
    },
    #[error("`{name}` is declared twice as {what}")]
    Duplicate { what: &'static str, name: String },
    #[error("the policy states `{what}` twice")]
    DuplicateStatement { what: &'static str },
    #[error("unknown register code `{code}`")]
    UnknownCode {
        code: String,
        suggestion: Option<String>,
    },
    #[error("register code `{code}` was retired on 19 August 2024")]
    RetiredCode { code: String },
    #[error("{what} ends before it starts: {start} is after {end}")]
    ReversedDates {
        what: &'static str,
        start: String,
        end: String,
    },
    #[error("the `{session}` register {time} {later} here, but {earlier} in an earlier calendar")]
    SessionTimesDiffer {
        session: String,
        /// `opens at`, `marks late after` or `closes at`.
        time: &'static str,
        earlier: String,
        later: String,
    },
    #[error("the `{session}` register times are out of order")]
    TimesOutOfOrder { session: String },
    #[error("`{value}` is more than 100%")]
    PercentOverHundred { value: String },
    #[error("the range `{written}` holds no percentage")]
    EmptyRange { written: String },
    #[error("the range `{written}` gives no `%`")]
    RangeWithoutPercent { written: String },
    #[error("the range `{written}` gives two {side} bounds")]
    BoundsOnOneSide { written: String, side: &'static str },
    #[error("the range `{written}` does not say whether {at} is in the band")]
    AmbiguousEndpoint {
        written: String,
        at: String,
        readings: [String; 2],
    },
    #[error("`read as {reading}` is not a reading of `{written}`")]
    ReadingDisagrees {
        written: String,
        reading: String,
        readings: [String; 2],
    },
    #[error("the range `{written}` says exactly which percentages it holds")]
    ReadingNotNeeded { written: String },
    #[error("{left} cannot be compared with {right}")]
    TypeMismatch { left: String, right: String },
    #[error("`{name}` takes {expected}")]
    WrongArguments {
        name: String,
        expected: &'static str,
    },
    #[error("`{name}` is a number, not a condition")]
    NotACondition { name: String },
    #[error("a window of zero {unit}")]
    EmptyWindow { unit: &'static str },
    #[error("`{verb}` needs {what}")]
    MissingTarget { verb: String, what: &'static str },
    #[error("`{verb}` takes no target, but `{target}` was given")]
    UnexpectedTarget { verb: String, target: String },
    #[error("escalation steps count from day 1")]
    DayZero,
    #[error("the plan `{plan}` has no `{what}`")]
    PlanIncomplete { plan: String, what: &'static str },
    #[error("the definition `{name}` refers to itself")]
    DefinitionCycle { name: String },
    #[error("an escalation needs at least one register code")]
    EmptyCodeSet,
    #[error("`{name}` is measured in {expected}, not `{unit}`")]
    WrongUnit {
        name: String,
        expected: &'static str,
        unit: String,
    },
    #[error("`{written}` is not a whole number of {unit}")]
    HalfNotWhole { written: String, unit: &'static str },
    #[error("an `on each` trigger fires on every marked day, so it takes no limit")]
    EachWithRepeat,
    #[error("`held` keeps a pupil on a ladder's stage, and `{band}` is in a table of bands")]
    HeldOutsideLadder { band: String },
    #[error(
        "`at once` enters `{band}` without waiting for the order, and its set has no `in order`"
    )]
    AtOnceWithoutOrder { band: String },
    #[error("`{what}` is a time for the whole day: only `registers_due` is stated per session")]
    SessionOnlyForRegisters { what: &'static str },
    #[error("`held for 0 {unit}` holds the pupil for no time at all")]
    HeldForNothing { unit: &'static str },
    #[error("`extends {name}`: only `national` can be extended")]
    UnknownBase { name: String },
    #[error("the stage `{stage}` has no stage after it to escalate to")]
    NoNextStage { stage: String },
    #[error("the built-in national policy has a problem: {message}")]
    NationalBroken { message: String },
    /// A `judged` term where it is not a plain `and` part of a rule's condition.
    #[error("`judged \"{criterion}\"` {place}")]
    JudgedMisplaced {
        criterion: String,
        /// Where it was written, in words (`is under \`not\``, `is in a definition`).
        place: &'static str,
    },
    #[error("{}", .0.message())]
    Schedule(super::schedule::ScheduleProblem),
}

impl Problem for ModelError {
    fn code(&self) -> &'static str {
        match self {
            ModelError::Unknown { what, .. } => match *what {
                "letter" => "model::unknown_letter",
                "meeting" => "model::unknown_meeting",
                "role" => "model::unknown_role",
                "stage" => "model::unknown_stage",
                "framework stage" => "model::unknown_framework_stage",
                "metric" => "model::unknown_metric",
                "pupil attribute" => "model::unknown_pupil_attribute",
                "definition" => "model::unknown_definition",
                "action" => "model::unknown_action",
                "recipient" => "model::unknown_recipient",
                "matter to consider" => "model::unknown_matter",
                "phase" => "model::unknown_phase",
                "document kind" => "model::unknown_document_kind",
                "school type" => "model::unknown_school_type",
                "citation kind" => "model::unknown_citation_kind",
                "procedure topic" => "model::unknown_procedure",
                "session" => "model::unknown_session",
                "band metric" => "model::unknown_band_metric",
                "limit" => "model::unknown_limit",
                _ => "model::unknown_name",
            },
            ModelError::Duplicate { .. } => "model::duplicate_name",
            ModelError::DuplicateStatement { .. } => "model::duplicate_statement",
            ModelError::UnknownCode { .. } => "model::unknown_code",
            ModelError::RetiredCode { .. } => "model::retired_code",
            ModelError::ReversedDates { .. } => "model::reversed_dates",
            ModelError::TimesOutOfOrder { .. } => "model::times_out_of_order",
            ModelError::SessionTimesDiffer { .. } => "model::session_times_differ",
            ModelError::PercentOverHundred { .. } => "model::percent_over_hundred",
            ModelError::EmptyRange { .. } => "model::empty_range",
            ModelError::RangeWithoutPercent { .. } => "model::range_without_percent",
            ModelError::BoundsOnOneSide { .. } => "model::bounds_on_one_side",
            ModelError::AmbiguousEndpoint { .. } => "model::ambiguous_endpoint",
            ModelError::ReadingDisagrees { .. } => "model::reading_disagrees",
            ModelError::ReadingNotNeeded { .. } => "model::reading_not_needed",
            ModelError::TypeMismatch { .. } => "model::type_mismatch",
            ModelError::WrongArguments { .. } => "model::wrong_arguments",
            ModelError::NotACondition { .. } => "model::not_a_condition",
            ModelError::EmptyWindow { .. } => "model::empty_window",
            ModelError::MissingTarget { .. } => "model::missing_target",
            ModelError::UnexpectedTarget { .. } => "model::unexpected_target",
            ModelError::DayZero => "model::day_zero",
            ModelError::PlanIncomplete { .. } => "model::plan_incomplete",
            ModelError::DefinitionCycle { .. } => "model::definition_cycle",
            ModelError::EmptyCodeSet => "model::empty_code_set",
            ModelError::WrongUnit { .. } => "model::wrong_unit",
            ModelError::HalfNotWhole { .. } => "model::half_not_whole",
            ModelError::EachWithRepeat => "model::each_with_repeat",
            ModelError::HeldOutsideLadder { .. } => "model::held_outside_ladder",
            ModelError::AtOnceWithoutOrder { .. } => "model::at_once_without_order",
            ModelError::SessionOnlyForRegisters { .. } => "model::session_only_for_registers",
            ModelError::HeldForNothing { .. } => "model::held_for_nothing",
            ModelError::UnknownBase { .. } => "model::unknown_base",
            ModelError::NoNextStage { .. } => "model::no_next_stage",
            ModelError::NationalBroken { .. } => "model::national_broken",
            ModelError::JudgedMisplaced { .. } => "model::judged_misplaced",
            ModelError::Schedule(p) => p.code(),
        }
    }

    fn severity(&self) -> Severity {
        match self {
            ModelError::RetiredCode { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    fn replacement(&self) -> Option<(&str, String)> {
        match self {
            ModelError::Unknown {
                name, candidates, ..
            } => did_you_mean(name, candidates.iter().map(String::as_str))
                .map(|s| (name.as_str(), s.to_string())),
            ModelError::UnknownCode {
                code,
                suggestion: Some(s),
            } => Some((code.as_str(), s.clone())),
            _ => None,
        }
    }

    fn help(&self) -> Option<String> {
        match self {
            ModelError::Unknown { what, name, candidates } => {
                did_you_mean_help(name, candidates.iter().map(String::as_str)).or_else(|| {
                    if candidates.is_empty() {
                        match *what {
                            "letter" => Some("declare it in `letters { id \"path\" }`".into()),
                            "meeting" => Some("declare it in `meetings { id \"text\" }`".into()),
                            "role" => Some("declare it in `roles { id \"text\" }`".into()),
                            _ => None,
                        }
                    } else if candidates.len() <= 12 || *what == "action" {
                        Some(format!("expected one of {}", quoted_list(candidates)))
                    } else {
                        None
                    }
                })
            }
            ModelError::Duplicate { .. } => Some("give each one its own name".into()),
            ModelError::DuplicateStatement { .. } => Some("keep one of them".into()),
            ModelError::UnknownCode { suggestion, .. } => match suggestion {
                Some(s) => Some(format!("did you mean `{s}`?")),
                None => Some("use a national register code (see `data/codes.csv`)".into()),
            },
            ModelError::RetiredCode { .. } => {
                Some("use the 2024 code that replaced it (see `data/codes.csv`)".into())
            }
            ModelError::ReversedDates { what, .. } if *what == "the review period" => {
                Some("write the shorter period first: `review after 4 to 6 school_weeks`".into())
            }
            ModelError::ReversedDates { .. } => Some("write the earlier date first".into()),
            ModelError::TimesOutOfOrder { .. } => {
                Some("a register opens, then marks late, then closes".into())
            }
            ModelError::SessionTimesDiffer { .. } => Some(
                "state the register times once, or the same in every calendar (a calendar may \
                 leave out a time another states)"
                    .into(),
            ),
            ModelError::PercentOverHundred { .. } => Some("attendance runs from 0% to 100%".into()),
            ModelError::EmptyRange { .. } => Some("check the bounds; `a - b` includes both ends".into()),
            ModelError::RangeWithoutPercent { .. } => {
                Some("write `%` after either number, as in `98 - 100%`".into())
            }
            ModelError::BoundsOnOneSide { .. } => Some(
                "give one lower and one upper bound, as in `>= 95% and < 98%`".into(),
            ),
            ModelError::AmbiguousEndpoint { readings, .. }
            | ModelError::ReadingDisagrees { readings, .. } => Some(format!(
                "say which reading the policy takes: `read as {}` or `read as {}`",
                readings[0], readings[1]
            )),
            ModelError::ReadingNotNeeded { .. } => {
                Some("remove `read as ...`: it is for a range whose words leave an end open".into())
            }
            ModelError::TypeMismatch { .. } => Some(
                "compare `attendance(...)`/`absence(...)` with a percentage and counts with a number \
                 or `N% of` another count"
                    .into(),
            ),
            ModelError::WrongArguments { .. } => None,
            ModelError::NotACondition { .. } => Some("compare it with something, e.g. `>= 10`".into()),
            ModelError::EmptyWindow { .. } => Some("a window covers at least one".into()),
            ModelError::MissingTarget { verb, .. } => Some(format!("e.g. `{verb} name`")),
            ModelError::UnexpectedTarget { .. } => Some("put a description in quotes instead".into()),
            ModelError::DayZero => Some("the first day of absence is `day 1`".into()),
            ModelError::PlanIncomplete { what, .. } => Some(match *what {
                "review" => "add `review after N school_weeks`".into(),
                _ => "add `target CONDITION`, e.g. `target attendance(rolling 6 school_weeks) >= 90%`".into(),
            }),
            ModelError::DefinitionCycle { .. } => {
                Some("define it in terms of metrics and pupil attributes".into())
            }
            ModelError::EmptyCodeSet => Some("e.g. `days marked {N, O}`".into()),
            ModelError::WrongUnit { expected, .. } => Some(format!("write the value in {expected}")),
            ModelError::HalfNotWhole { .. } => Some(
                "a half is a half day of absence: `3.5 days` is 7 sessions, `7 half_days` the same"
                    .into(),
            ),
            ModelError::EachWithRepeat => Some(
                "remove the limit, or write the trigger with `when count(L, this_term) >= N`".into(),
            ),
            ModelError::JudgedMisplaced { .. } => Some(
                "a judged term can only be one of the `and` parts of a trigger's or step's `when`, \
                 a band's `on enter when`, or a ladder's `in order when`: staff judge it where the \
                 rest of the rule holds (write it there, or state the criterion as a condition)"
                    .into(),
            ),
            ModelError::HeldOutsideLadder { .. } => Some(
                "write the set as `ladder` in place of `bands` (its stages nested: `under 96%`, `under 94%`, ...), or drop `held`".into(),
            ),
            ModelError::SessionOnlyForRegisters { what } => {
                Some(format!("drop `am` or `pm`: `{what} 08:40`"))
            }
            ModelError::AtOnceWithoutOrder { .. } => Some(
                "write the set as `ladder ... in order` (each stage only from the one before), or drop `at once when ...`: without an order the deepest stage that holds applies at once".into(),
            ),
            ModelError::HeldForNothing { .. } => {
                Some("give a number of school days or weeks of at least 1, or drop `held`".into())
            }
            ModelError::UnknownBase { .. } => Some("write `extends national`".into()),
            ModelError::NoNextStage { .. } => Some("say `escalate to STAGE`".into()),
            ModelError::NationalBroken { .. } => Some("this is a bug in attend; please report it".into()),
            ModelError::Schedule(p) => Some(p.help()),
        }
    }
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    crate::syntax::error::one_of(&quoted)
}
