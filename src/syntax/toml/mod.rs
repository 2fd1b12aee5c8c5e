//! The TOML surface: a `.toml` policy or calendar to the same AST the DSL gives, every value
//! with its real place in the file. Tables are read one at a time with serde so one run reports
//! every table's problems; strings in the condition language go through the DSL's own grammar.

mod calendar;
mod errors;
mod ladder;
mod schedule;
mod statements;
mod strings;
mod values;

use std::borrow::Cow;
use std::ops::Range;

use ::toml::Spanned;
use ::toml::de::{DeTable, DeValue, ValueDeserializer};
use chrono::NaiveDate;
use pest::Parser;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::ast::*;
use super::comments::{self, Dialect};
use super::dsl::{Fragment, Parsed, parse_fragment};
use super::error::SyntaxError;
use super::grammar::{PolicyParser, Rule};
use crate::diagnostic::{Diagnostic, MAX_PER_FILE, Problem, Severity, more_problems};
use crate::source::{Loc, Source, Span};

type Raw<'i> = Spanned<DeValue<'i>>;
type Str = Spanned<String>;
type Any = Spanned<::toml::Value>;

/// The keys a TOML policy or calendar file may have at the top level.
const TOP_KEYS: [&str; 16] = [
    "policy",
    "cite",
    "roles",
    "procedures",
    "letters",
    "meetings",
    "calendar",
    "stage",
    "define",
    "bands",
    "escalation",
    "trigger",
    "plan",
    "penalty_notices",
    "limits",
    "schedule",
];

/// Tables nest only a few levels in this schema; deeper junk is not walked (stack safety).
const MAX_WALK: usize = 16;

// ---------------------------------------------------------------- the schema, table by table

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyToml {
    name: Str,
    extends: Option<Str>,
    urn: Option<Any>,
    phase: Option<Str>,
    document: Option<Str>,
    #[serde(rename = "type")]
    school_type: Option<Str>,
    target: Option<Str>,
    ratified: Option<Any>,
    review: Option<Any>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CiteToml {
    kind: Str,
    title: Str,
}

// Sub-tables (`[[calendar.session]]`, ...) are read by hand from the parsed table so that each
// element is checked on its own; `IgnoredAny` only admits the key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarToml {
    label: Option<Str>,
    #[serde(rename = "session")]
    _session: Option<IgnoredAny>,
    #[serde(rename = "term")]
    _term: Option<IgnoredAny>,
    #[serde(rename = "closure")]
    _closure: Option<IgnoredAny>,
    #[serde(rename = "day")]
    _day: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionToml {
    name: Str,
    opens: Option<Any>,
    late_after: Option<Any>,
    closes: Option<Any>,
    /// `for = "years 1 to 2"`: one group's register times.
    #[serde(rename = "for")]
    group: Option<Str>,
}

/// `[[calendar.day]]`: one school-day line, in the DSL's words (`line = "lunch 12:00 to
/// 13:00"`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DayToml {
    line: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermToml {
    name: Str,
    from: Any,
    to: Option<Any>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosureToml {
    kind: Str,
    from: Any,
    to: Option<Any>,
    reason: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageToml {
    id: Str,
    is: Option<Str>,
    text: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefineToml {
    name: Str,
    wording: Option<Str>,
    when: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandsToml {
    label: Option<Str>,
    metric: Str,
    over: Str,
    min_possible: Option<Spanned<u32>>,
    ladder: Option<Spanned<bool>>,
    order: Option<Str>,
    /// `"10 days"`: an evidence guard written in days, in place of `min_possible`.
    min_possible_count: Option<Str>,
    #[serde(rename = "band")]
    _band: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandToml {
    id: Str,
    label: Option<Str>,
    range: Str,
    read_as: Option<Str>,
    /// `"8 - 20 days"`: the day counts beside the percentages.
    absence: Option<Str>,
    or_when: Option<Str>,
    defines: Option<Str>,
    stage: Option<Str>,
    held: Option<Str>,
    /// `at once when CONDITION`: the condition.
    at_once_when: Option<Str>,
    on_enter_when: Option<Str>,
    on_enter: Option<Str>,
    repeat: Option<Str>,
    every_school_week: Option<Str>,
    /// With `every_school_week`: every Nth school week in the band instead.
    weekly_every: Option<Spanned<u32>>,
    /// Further `on enter [when CONDITION]:` clauses, `{ when = "...", then = "..." }`.
    on_enter_also: Option<Vec<EnterToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnterToml {
    when: Option<Str>,
    then: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationToml {
    name: Str,
    days_marked: Str,
    #[serde(rename = "step")]
    _step: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepToml {
    day: Spanned<u32>,
    when: Option<Str>,
    then: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerToml {
    name: Str,
    min_possible: Option<Spanned<u32>>,
    /// `"10 days"`: an evidence guard written in days, in place of `min_possible`.
    min_possible_count: Option<Str>,
    on_each: Option<Str>,
    when: Option<Str>,
    then: Str,
    stage: Option<Str>,
    repeat: Option<Str>,
    looked_at: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanToml {
    name: Str,
    at: Str,
    review_after: Option<Spanned<u32>>,
    review_until: Option<Spanned<u32>>,
    target: Option<Str>,
    judged: Option<Str>,
    judged_by: Option<Str>,
    escalate_to: Option<Str>,
    on_open: Option<Str>,
    on_miss: Option<Str>,
    on_met: Option<Str>,
    /// `every N school_weeks:` while the plan is open: the actions, and N (1 when absent).
    every_school_week: Option<Str>,
    weekly_every: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PenaltyToml {
    threshold_sessions: Option<Spanned<u32>>,
    /// `"2.5 days"`: a threshold written in days or half days, in place of the sessions.
    threshold_count: Option<Str>,
    /// `"{G, O}"`: the codes the threshold counts.
    threshold_codes: Option<Str>,
    threshold_window: Option<Str>,
    limit_notices: Option<Spanned<u32>>,
    limit_years: Option<Spanned<u32>>,
    #[serde(rename = "fine")]
    _fine: Option<IgnoredAny>,
    #[serde(rename = "second_fine")]
    _second_fine: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FineToml {
    amount: Any,
    within_days: Spanned<u32>,
}

// ---------------------------------------------------------------- entry point

/// Parses a `.toml` policy (a `[policy]` table) or calendar file (only `[[calendar]]` tables).
pub fn parse_file(src: &Source) -> Result<File, Vec<Diagnostic>> {
    let (mut root, mut syntax) = DeTable::parse_recoverable(src.text());
    if !syntax.is_empty() {
        for (_, value) in root.get_mut().iter_mut() {
            repair(value, src.text(), 0);
        }
    }
    let mut cx = Cx {
        src,
        errors: Vec::new(),
        syntax: Vec::new(),
        syntax_shown: 0,
    };
    // Broken TOML can hold an error every few bytes. Only the first ones in the file can be
    // shown, so only they become diagnostics; the rest are counted, and every place is kept
    // so that problems there are still known to be consequences.
    syntax.sort_by_key(|e| e.span().map_or(0, |r| r.start));
    syntax.dedup_by(|a, b| a.span() == b.span() && a.message() == b.message());
    let shown = MAX_PER_FILE + 1;
    for error in syntax.iter().take(shown) {
        cx.syntax_error(error);
    }
    let unshown = syntax.len().saturating_sub(shown);
    cx.syntax.extend(syntax.iter().skip(shown).map(|e| {
        e.span()
            .map_or(Span::default(), |r| Span::new(r.start, r.end))
    }));
    drop(syntax);
    let file = cx.file(root.get_ref());
    let mut errors = cx.finish();
    if errors.len() + unshown > MAX_PER_FILE {
        let left = errors.split_off(MAX_PER_FILE.min(errors.len()));
        let first = left.first().and_then(|d| d.loc.clone());
        errors.push(more_problems(left.len() + unshown, first, Severity::Error));
    }
    match file {
        Some(mut file) if errors.is_empty() => {
            comments::attach_comments(
                src,
                comments::scan(src.text(), Dialect::Toml),
                Dialect::Toml,
                &mut file,
            );
            Ok(file)
        }
        _ if errors.is_empty() => Err(vec![SyntaxError::TomlNothing.at(&src.loc(Span::default()))]),
        _ => Err(errors),
    }
}

struct Cx<'s> {
    src: &'s Source,
    errors: Vec<Diagnostic>,
    /// Where the TOML itself was malformed; later problems there are consequences, not news.
    syntax: Vec<Span>,
    /// How many of those are diagnostics, the first ones in `errors`.
    syntax_shown: usize,
}

impl Cx<'_> {
    fn loc(&self, range: Range<usize>) -> Loc {
        self.src.loc(Span::new(range.start, range.end))
    }

    // ------------------------------------------------------------ files

    fn file(&mut self, root: &DeTable<'_>) -> Option<File> {
        let mut items: Vec<Node<Item>> = Vec::new();
        let mut policy = None;
        let mut calendars = Vec::new();
        let mut only_calendars = true;
        for (key, raw) in root.iter() {
            let name: &str = key.get_ref().as_ref();
            if name != "calendar" {
                only_calendars = false;
            }
            match name {
                "policy" => policy = Some(self.policy(raw, &mut items)),
                "cite" => self.each(raw, "[[cite]]", &mut items, |cx, raw, t| cx.cite(raw, t)),
                "roles" => items.extend(self.entries(raw, "[roles]", Item::Roles)),
                "procedures" => items.extend(self.entries(raw, "[procedures]", Item::Procedures)),
                "letters" => items.extend(self.entries(raw, "[letters]", Item::Letters)),
                "meetings" => items.extend(self.entries(raw, "[meetings]", Item::Meetings)),
                "calendar" => {
                    for raw in self.elements(raw, "[[calendar]]") {
                        if let Some(cal) = self.calendar(raw) {
                            calendars
                                .push(Node::new(cal, self.loc(raw.span().start..extent(raw, 0))));
                        }
                    }
                }
                "stage" => items.extend(self.stages(raw)),
                "define" => self.each(raw, "[[define]]", &mut items, |cx, raw, _| cx.define(raw)),
                "bands" => self.each(raw, "[[bands]]", &mut items, |cx, raw, t| cx.bands(raw, t)),
                "escalation" => self.each(raw, "[[escalation]]", &mut items, |cx, raw, t| {
                    cx.escalation(raw, t)
                }),
                "trigger" => {
                    self.each(raw, "[[trigger]]", &mut items, |cx, raw, _| cx.trigger(raw))
                }
                "plan" => self.each(raw, "[[plan]]", &mut items, |cx, raw, t| cx.plan(raw, t)),
                "schedule" => self.each(raw, "[[schedule]]", &mut items, |cx, raw, t| {
                    cx.schedule(raw, t)
                }),
                "penalty_notices" => items.extend(self.penalty_notices(raw)),
                "limits" => items.extend(self.limits(raw)),
                other => {
                    let problem = SyntaxError::TomlUnknownKey {
                        key: other.to_string(),
                        table: "the top level".into(),
                        expected: TOP_KEYS.iter().map(|k| k.to_string()).collect(),
                    };
                    self.error(key.span(), problem);
                }
            }
        }
        match policy {
            Some(Some((name, loc))) => {
                // Calendars inside a policy are policy items like any other.
                items.extend(
                    calendars
                        .into_iter()
                        .map(|c| Node::new(Item::Calendar(c.node), c.loc)),
                );
                // The model does not care about order across kinds; keep the order written,
                // except that the one-line statements (all in `[policy]`, wherever that table
                // stands) come first, as `attend fmt` prints them: the order read from a TOML
                // file does not depend on whether it was formatted.
                items.sort_by_key(|item| (!is_policy_key(&item.node), item.loc.span.start));
                let policy = PolicyAst {
                    name,
                    items,
                    trailing: Vec::new(),
                };
                Some(File::Policy(Node::new(policy, loc)))
            }
            Some(None) => None,
            None if only_calendars && !calendars.is_empty() => {
                calendars.sort_by_key(|c| c.loc.span.start);
                Some(File::Calendars(CalendarFile {
                    calendars,
                    trailing: Vec::new(),
                }))
            }
            None => {
                if self.errors.is_empty() {
                    self.error(0..0, SyntaxError::TomlNothing);
                }
                None
            }
        }
    }

    /// Reads every table of an array of tables (`[[trigger]]`) into items.
    fn each(
        &mut self,
        raw: &Raw<'_>,
        table: &str,
        items: &mut Vec<Node<Item>>,
        mut read: impl FnMut(&mut Self, &Raw<'_>, &DeTable<'_>) -> Option<Item>,
    ) {
        for raw in self.elements(raw, table) {
            let DeValue::Table(t) = raw.get_ref() else {
                continue;
            };
            if let Some(item) = read(self, raw, t) {
                items.push(Node::new(item, self.loc(raw.span().start..extent(raw, 0))));
            }
        }
    }

    /// The tables of an array of tables; a lone table counts as a list of one.
    fn elements<'r, 'i>(&mut self, raw: &'r Raw<'i>, table: &str) -> Vec<&'r Raw<'i>> {
        let candidates: Vec<&Raw<'i>> = match raw.get_ref() {
            DeValue::Array(array) => array.iter().collect(),
            _ => vec![raw],
        };
        let mut tables = Vec::new();
        for raw in candidates {
            if matches!(raw.get_ref(), DeValue::Table(_)) {
                tables.push(raw);
            } else {
                let message = format!("expected a table here (write it as `{table}`)");
                self.error(raw.span(), SyntaxError::Toml { message });
            }
        }
        tables
    }

    /// A plain table (`[roles]`), or `None` with a diagnostic.
    fn table<'r, 'i>(&mut self, raw: &'r Raw<'i>, table: &str) -> Option<&'r DeTable<'i>> {
        match raw.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                let message = format!("expected a table here (write it as `{table}`)");
                self.error(raw.span(), SyntaxError::Toml { message });
                None
            }
        }
    }
}

// ---------------------------------------------------------------- helpers

fn get<'r, 'i>(table: &'r DeTable<'i>, key: &str) -> Option<&'r Raw<'i>> {
    table
        .iter()
        .find(|(k, _)| {
            let name: &str = k.get_ref().as_ref();
            name == key
        })
        .map(|(_, v)| v)
}

fn key_span(table: &DeTable<'_>, key: &str) -> Option<Range<usize>> {
    table
        .iter()
        .find(|(k, _)| {
            let name: &str = k.get_ref().as_ref();
            name == key
        })
        .map(|(k, _)| k.span())
}

/// Where a table ends: a header's span covers only `[[bands]]`, but comments inside the table
/// belong to it, so its node spans every key and sub-table under it.
fn extent(raw: &Raw<'_>, depth: usize) -> usize {
    let mut end = raw.span().end;
    if depth > MAX_WALK {
        return end;
    }
    match raw.get_ref() {
        DeValue::Table(t) => {
            for (k, v) in t.iter() {
                end = end.max(k.span().end).max(extent(v, depth + 1));
            }
        }
        DeValue::Array(a) => {
            for v in a.iter() {
                end = end.max(extent(v, depth + 1));
            }
        }
        _ => {}
    }
    end
}

/// toml keeps a malformed date or time as an empty datetime, which serde refuses, losing the
/// whole table; the written text put back as a string lets the rest of the table be read and
/// the value itself be reported once, as an invalid date.
fn repair<'i>(value: &mut Raw<'i>, text: &'i str, depth: usize) {
    if depth > MAX_WALK {
        return;
    }
    let span = value.span();
    let broken =
        matches!(value.get_ref(), DeValue::Datetime(dt) if dt.date.is_none() && dt.time.is_none());
    if broken {
        *value.get_mut() = DeValue::String(Cow::Borrowed(text.get(span).unwrap_or("")));
        return;
    }
    match value.get_mut() {
        DeValue::Table(t) => t.iter_mut().for_each(|(_, v)| repair(v, text, depth + 1)),
        DeValue::Array(a) => a.iter_mut().for_each(|v| repair(v, text, depth + 1)),
        _ => {}
    }
}

/// The statements a TOML policy writes as keys of `[policy]`.
fn is_policy_key(item: &Item) -> bool {
    matches!(
        item,
        Item::Extends(_)
            | Item::Urn(_)
            | Item::Phase(_)
            | Item::Document(_)
            | Item::SchoolType(_)
            | Item::Target(_)
            | Item::Ratified(_)
            | Item::Review(_)
    )
}
