//! The TOML surface: a `.toml` policy or calendar to the same AST the DSL gives, every value
//! with its real place in the file. Tables are read one at a time with serde so one run reports
//! every table's problems; strings in the condition language go through the DSL's own grammar.

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
const TOP_KEYS: [&str; 15] = [
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionToml {
    name: Str,
    opens: Option<Any>,
    late_after: Option<Any>,
    closes: Option<Any>,
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
    #[serde(rename = "band")]
    _band: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandToml {
    id: Str,
    label: Option<Str>,
    range: Str,
    stage: Option<Str>,
    on_enter: Option<Str>,
    repeat: Option<Str>,
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
    when: Str,
    then: Str,
    stage: Option<Str>,
    repeat: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanToml {
    name: Str,
    at: Str,
    review_after: Option<Spanned<u32>>,
    target: Option<Str>,
    escalate_to: Option<Str>,
    on_open: Option<Str>,
    on_miss: Option<Str>,
    on_met: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PenaltyToml {
    threshold_sessions: Option<Spanned<u32>>,
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
            comments::attach_comments(src, comments::scan(src.text(), Dialect::Toml), &mut file);
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

    fn error(&mut self, range: Range<usize>, problem: SyntaxError) {
        let loc = self.loc(range);
        self.errors.push(problem.at(&loc));
    }

    fn syntax_error(&mut self, error: &::toml::de::Error) {
        let range = error.span().unwrap_or(0..0);
        let message = error.message();
        let text = self.src.text().get(range.clone()).unwrap_or("").to_string();
        // toml checks date and time literals itself; say it the way the DSL does.
        let problem = if message.starts_with("invalid date") || message.starts_with("invalid time")
        {
            if text.contains(':') && !text.contains('-') {
                SyntaxError::InvalidTime { text }
            } else {
                SyntaxError::InvalidDate { text }
            }
        } else {
            SyntaxError::Toml {
                message: message.to_string(),
            }
        };
        self.syntax.push(Span::new(range.start, range.end));
        self.syntax_shown += 1;
        self.error(range, problem);
    }

    /// Serde's messages, turned into the syntax stage's problems with the table named.
    fn de_error(&mut self, error: &::toml::de::Error, table: &str, fallback: Range<usize>) {
        let range = error.span().unwrap_or(fallback);
        let message = error.message();
        let problem = if let Some(rest) = message.strip_prefix("unknown field `") {
            let (key, expected) = rest
                .split_once("`, ")
                .unwrap_or((rest.trim_end_matches('`'), ""));
            SyntaxError::TomlUnknownKey {
                key: key.to_string(),
                table: table.to_string(),
                expected: backticked(expected),
            }
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            SyntaxError::TomlMissingKey {
                key: rest.trim_end_matches('`').to_string(),
                table: table.to_string(),
            }
        } else {
            SyntaxError::Toml {
                message: message.to_string(),
            }
        };
        self.error(range, problem);
    }

    fn de<T: DeserializeOwned>(&mut self, raw: &Raw<'_>, table: &str) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(raw.clone())) {
            Ok(value) => Some(value),
            Err(error) => {
                self.de_error(&error, table, raw.span());
                None
            }
        }
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        if !self.syntax.is_empty() {
            let syntax = Malformed::new(std::mem::take(&mut self.syntax));
            let count = self.syntax_shown;
            let mut kept: Vec<Diagnostic> = Vec::new();
            for (i, d) in self.errors.into_iter().enumerate() {
                let span = d.loc.as_ref().map(|l| l.span).unwrap_or_default();
                let consequence = d.code == "syntax::toml_missing_key"
                    || d.code == "syntax::toml_nothing"
                    || syntax.overlaps(span);
                // The first `count` diagnostics are the syntax errors themselves.
                if i < count || !consequence {
                    kept.push(d);
                }
            }
            self.errors = kept;
        }
        self.errors
            .sort_by_key(|d| d.loc.as_ref().map_or(0, |l| l.span.start));
        self.errors.dedup_by(|a, b| {
            a.code == b.code
                && a.message == b.message
                && a.loc.as_ref().map(|l| l.span) == b.loc.as_ref().map(|l| l.span)
        });
        self.errors
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

    // ------------------------------------------------------------ values

    fn string(&self, s: &Str) -> Sp<String> {
        Sp::new(s.get_ref().clone(), self.loc(s.span()))
    }

    /// A string that must be a name of the language (`attendance_lead`), so the DSL can print it.
    fn name(&mut self, s: &Str) -> Option<Sp<String>> {
        self.check_name(Rule::ident, s.get_ref(), s.span())
            .then(|| self.string(s))
    }

    /// Whether `text` is a name by `rule`: `ident` (no keyword) or `word` (where no keyword can
    /// be meant: an entry's id, a citation's kind); reports it if not.
    fn check_name(&mut self, rule: Rule, text: &str, range: Range<usize>) -> bool {
        let parsed = PolicyParser::parse(rule, text)
            .ok()
            .and_then(|mut pairs| pairs.next());
        if parsed.is_some_and(|p| p.as_str().len() == text.len()) {
            return true;
        }
        let shaped = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let message = if shaped {
            format!("`{text}` is a word the policy language uses, so it cannot be a name here")
        } else {
            format!(
                "`{text}` is not a name: a name starts with a letter and holds only letters, digits, `_` and `-`"
            )
        };
        self.error(range, SyntaxError::Toml { message });
        false
    }

    fn fragment(&mut self, fragment: Fragment, s: &Str) -> Option<Parsed> {
        let place = Placement::new(self.src.text(), s.span(), s.get_ref());
        match parse_fragment(self.src, fragment, s.get_ref(), place.base) {
            Ok(mut parsed) => {
                if place.map.is_some() {
                    place.fix_parsed(&mut parsed);
                }
                Some(parsed)
            }
            Err(diagnostics) => {
                for mut d in diagnostics {
                    if let Some(loc) = d.loc.as_mut() {
                        loc.span = place.fix(loc.span);
                    }
                    // The grammar sees the string as the whole input; its end is not the file's.
                    if d.message == "unexpected end of file" {
                        d.message = "unexpected end of the string".into();
                    }
                    self.errors.push(d);
                }
                None
            }
        }
    }

    fn expr(&mut self, s: &Str) -> Option<Sp<Expr>> {
        match self.fragment(Fragment::Condition, s)? {
            Parsed::Condition(e) => Some(e),
            _ => None,
        }
    }

    fn actions(&mut self, s: &Str) -> Option<Vec<Sp<ActionAst>>> {
        match self.fragment(Fragment::Actions, s)? {
            Parsed::Actions(a) => Some(a),
            _ => None,
        }
    }

    fn window(&mut self, s: &Str) -> Option<Sp<WindowAst>> {
        match self.fragment(Fragment::Window, s)? {
            Parsed::Window(w) => Some(w),
            _ => None,
        }
    }

    fn optional<T>(
        &mut self,
        s: &Option<Str>,
        read: impl FnOnce(&mut Self, &Str) -> Option<T>,
    ) -> Result<Option<T>, ()> {
        match s {
            None => Ok(None),
            Some(s) => read(self, s).map(Some).ok_or(()),
        }
    }

    fn date(&mut self, v: &Any) -> Option<Sp<NaiveDate>> {
        let date = match v.get_ref() {
            ::toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => {
                    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                }
                _ => None,
            },
            ::toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
            _ => None,
        };
        if date.is_none() {
            let text = self.src.text().get(v.span()).unwrap_or("").to_string();
            self.error(v.span(), SyntaxError::InvalidDate { text });
        }
        date.map(|d| Sp::new(d, self.loc(v.span())))
    }

    fn time(&mut self, v: &Any) -> Option<u16> {
        match v.get_ref() {
            ::toml::Value::String(s) => {
                let s = Spanned::new(v.span(), s.clone());
                match self.fragment(Fragment::Time, &s)? {
                    Parsed::Time(minutes) => Some(minutes),
                    _ => None,
                }
            }
            ::toml::Value::Datetime(dt) => {
                let minutes = match (dt.date, dt.time, dt.offset) {
                    (None, Some(t), None)
                        if t.second.unwrap_or(0) == 0 && t.nanosecond.unwrap_or(0) == 0 =>
                    {
                        Some(u16::from(t.hour) * 60 + u16::from(t.minute))
                    }
                    _ => None,
                };
                if minutes.is_none() {
                    let text = self.src.text().get(v.span()).unwrap_or("").to_string();
                    self.error(v.span(), SyntaxError::InvalidTime { text });
                }
                minutes
            }
            other => {
                let message = format!(
                    "expected a time such as \"08:55\", found {}",
                    other.type_str()
                );
                self.error(v.span(), SyntaxError::Toml { message });
                None
            }
        }
    }

    fn urn(&mut self, v: &Any) -> Option<Sp<u64>> {
        let urn = match v.get_ref() {
            ::toml::Value::Integer(i) => u64::try_from(*i).ok(),
            ::toml::Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        if urn.is_none() {
            let message = "a URN is a whole number, e.g. `urn = 100000`".to_string();
            self.error(v.span(), SyntaxError::Toml { message });
        }
        urn.map(|n| Sp::new(n, self.loc(v.span())))
    }

    /// `"£80"`, `"80"`, `"£80.50"` or a whole number of pounds, in pence.
    fn money(&mut self, v: &Any) -> Option<Sp<u64>> {
        let pence = match v.get_ref() {
            ::toml::Value::Integer(i) => u64::try_from(*i).ok().and_then(|p| p.checked_mul(100)),
            ::toml::Value::String(s) => pence(s),
            _ => None,
        };
        if pence.is_none() {
            let shown = self.src.text().get(v.span()).unwrap_or("").to_string();
            let message =
                format!("{shown} is not an amount: write pounds as \"£80\" or \"£80.50\"");
            self.error(v.span(), SyntaxError::Toml { message });
        }
        pence.map(|p| Sp::new(p, self.loc(v.span())))
    }

    fn key_value(&self, table: &DeTable<'_>, key: &str, value: Range<usize>) -> Loc {
        let start = key_span(table, key).map_or(value.start, |k| k.start.min(value.start));
        self.loc(start..value.end)
    }

    // ------------------------------------------------------------ policy

    /// The `[policy]` table: the name and the one-line statements (`urn`, `target`, ...).
    fn policy(&mut self, raw: &Raw<'_>, items: &mut Vec<Node<Item>>) -> Option<(Sp<String>, Loc)> {
        let t = self.table(raw, "[policy]")?;
        let p: PolicyToml = self.de(raw, "[policy]")?;
        let loc = self.loc(raw.span().start..extent(raw, 0));
        let mut push = |cx: &mut Self, key: &str, range: Range<usize>, item: Option<Item>| {
            if let Some(item) = item {
                items.push(Node::new(item, cx.key_value(t, key, range)));
            }
        };
        if let Some(v) = &p.extends {
            let item = self.name(v).map(Item::Extends);
            push(self, "extends", v.span(), item);
        }
        if let Some(v) = &p.urn {
            let item = self.urn(v).map(Item::Urn);
            push(self, "urn", v.span(), item);
        }
        if let Some(v) = &p.phase {
            let item = self.name(v).map(Item::Phase);
            push(self, "phase", v.span(), item);
        }
        if let Some(v) = &p.school_type {
            let item = self.name(v).map(Item::SchoolType);
            push(self, "type", v.span(), item);
        }
        if let Some(v) = &p.target {
            let item = match self.fragment(Fragment::Percent, v) {
                Some(Parsed::Percent(percent)) => {
                    Some(Item::Target(Sp::new(percent, self.loc(v.span()))))
                }
                _ => None,
            };
            push(self, "target", v.span(), item);
        }
        if let Some(v) = &p.ratified {
            let item = self.date(v).map(Item::Ratified);
            push(self, "ratified", v.span(), item);
        }
        if let Some(v) = &p.review {
            let item = self.date(v).map(Item::Review);
            push(self, "review", v.span(), item);
        }
        Some((self.string(&p.name), loc))
    }

    fn cite(&mut self, raw: &Raw<'_>, _: &DeTable<'_>) -> Option<Item> {
        let c: CiteToml = self.de(raw, "[[cite]]")?;
        self.check_name(Rule::word, c.kind.get_ref(), c.kind.span())
            .then_some(())?;
        Some(Item::Cites {
            kind: self.string(&c.kind),
            title: self.string(&c.title),
        })
    }

    /// `[roles]`, `[procedures]`, `[letters]`, `[meetings]`: `id = "text"` in the order written.
    fn entries(
        &mut self,
        raw: &Raw<'_>,
        table: &str,
        make: fn(Vec<Node<Entry>>) -> Item,
    ) -> Option<Node<Item>> {
        let t = self.table(raw, table)?;
        let mut entries = Vec::new();
        let mut ok = true;
        for (key, value) in t.iter() {
            let id: &str = key.get_ref().as_ref();
            let id_ok = self.check_name(Rule::word, id, key.span());
            let text: Option<Str> = self.de(value, table);
            match text {
                Some(text) if id_ok => {
                    let id = Sp::new(id.to_string(), self.loc(key.span()));
                    let loc = self.loc(key.span().start..value.span().end);
                    entries.push(Node::new(
                        Entry {
                            id,
                            text: self.string(&text),
                        },
                        loc,
                    ));
                }
                _ => ok = false,
            }
        }
        entries.sort_by_key(|e| e.loc.span.start);
        ok.then(|| Node::new(make(entries), self.loc(raw.span().start..extent(raw, 0))))
    }

    // ------------------------------------------------------------ calendars

    fn calendar(&mut self, raw: &Raw<'_>) -> Option<CalendarAst> {
        let DeValue::Table(t) = raw.get_ref() else {
            return None;
        };
        let header: Option<CalendarToml> = self.de(raw, "[[calendar]]");
        let mut items: Vec<Node<CalendarItem>> = Vec::new();
        let mut ok = header.is_some();
        for (key, table) in [
            ("session", "[[calendar.session]]"),
            ("term", "[[calendar.term]]"),
            ("closure", "[[calendar.closure]]"),
        ] {
            let Some(sub) = get(t, key) else { continue };
            for raw in self.elements(sub, table) {
                let item = match key {
                    "session" => self.session(raw),
                    "term" => self.term(raw),
                    _ => self.closure(raw),
                };
                match item {
                    Some(item) => {
                        items.push(Node::new(item, self.loc(raw.span().start..extent(raw, 0))))
                    }
                    None => ok = false,
                }
            }
        }
        items.sort_by_key(|i| i.loc.span.start);
        let label = header.and_then(|h| h.label).map(|l| self.string(&l));
        ok.then_some(CalendarAst { label, items })
    }

    fn session(&mut self, raw: &Raw<'_>) -> Option<CalendarItem> {
        let DeValue::Table(t) = raw.get_ref() else {
            return None;
        };
        let s: SessionToml = self.de(raw, "[[calendar.session]]")?;
        let name = self.name(&s.name);
        let mut times = Vec::new();
        let mut ok = true;
        for (kind, value) in [
            (SessionTimeKind::Opens, &s.opens),
            (SessionTimeKind::LateAfter, &s.late_after),
            (SessionTimeKind::Closes, &s.closes),
        ] {
            let Some(value) = value else { continue };
            match self.time(value) {
                Some(minutes) => {
                    let loc = self.key_value(t, kind.keyword(), value.span());
                    times.push(Sp::new(SessionTime { kind, minutes }, loc));
                }
                None => ok = false,
            }
        }
        times.sort_by_key(|t| t.loc.span.start);
        let name = name?;
        ok.then_some(CalendarItem::Session { name, times })
    }

    fn date_range(&mut self, from: &Any, to: &Option<Any>) -> Option<Sp<DateRange>> {
        let start = self.date(from);
        let end = match to {
            Some(to) => Some(self.date(to)?),
            None => None,
        };
        let start = start?;
        let last = to.as_ref().map_or(from.span().end, |t| t.span().end);
        let loc = self.loc(from.span().start..last);
        Some(Sp::new(DateRange { start, end }, loc))
    }

    fn term(&mut self, raw: &Raw<'_>) -> Option<CalendarItem> {
        let t: TermToml = self.de(raw, "[[calendar.term]]")?;
        let name = self.name(&t.name);
        let dates = self.date_range(&t.from, &t.to);
        Some(CalendarItem::Term {
            name: name?,
            dates: dates?,
        })
    }

    fn closure(&mut self, raw: &Raw<'_>) -> Option<CalendarItem> {
        let c: ClosureToml = self.de(raw, "[[calendar.closure]]")?;
        let kind = ClosureKind::from_keyword(c.kind.get_ref());
        if kind.is_none() {
            let problem = SyntaxError::Unexpected {
                found: format!("`{}`", c.kind.get_ref()),
                expected: ClosureKind::ALL
                    .iter()
                    .map(|k| format!("`{}`", k.keyword()))
                    .collect(),
            };
            self.error(c.kind.span(), problem);
        }
        let dates = self.date_range(&c.from, &c.to);
        let reason = c.reason.as_ref().map(|r| self.string(r));
        Some(CalendarItem::Closure {
            kind: kind?,
            dates: dates?,
            reason,
        })
    }

    // ------------------------------------------------------------ stages, definitions, bands

    /// Every `[[stage]]` table forms the one `stages` statement. TOML has no place for the
    /// statement itself, so its node is an empty span just after the first header: comments
    /// before a `[[stage]]` then belong to that stage, never to the statement.
    fn stages(&mut self, raw: &Raw<'_>) -> Option<Node<Item>> {
        let mut entries = Vec::new();
        let mut ok = true;
        // The block runs from the first `[[stage]]` header to the end of the last table, so a
        // comment before the first header is the block's (as `stages {` in the DSL) and one
        // under a header is its stage's.
        let mut first = None;
        let mut end = raw.span().end;
        for raw in self.elements(raw, "[[stage]]") {
            first = first.or(Some(raw.span().start));
            end = end.max(extent(raw, 0));
            let Some(s) = self.de::<StageToml>(raw, "[[stage]]") else {
                ok = false;
                continue;
            };
            let id = self.name(&s.id);
            let framework = self.optional(&s.is, |cx, v| cx.name(v));
            match (id, framework) {
                (Some(id), Ok(framework)) => {
                    let text = s.text.as_ref().map(|t| self.string(t));
                    let entry = StageEntry {
                        id,
                        framework,
                        text,
                    };
                    entries.push(Node::new(entry, self.loc(raw.span().start..extent(raw, 0))));
                }
                _ => ok = false,
            }
        }
        let start = first.unwrap_or(raw.span().start);
        (ok && !entries.is_empty()).then(|| Node::new(Item::Stages(entries), self.loc(start..end)))
    }

    fn define(&mut self, raw: &Raw<'_>) -> Option<Item> {
        let d: DefineToml = self.de(raw, "[[define]]")?;
        let name = self.name(&d.name);
        let when = self.expr(&d.when);
        let wording = d.wording.as_ref().map(|w| self.string(w));
        Some(Item::Define(DefineAst {
            name: name?,
            wording,
            when: when?,
        }))
    }

    fn bands(&mut self, raw: &Raw<'_>, t: &DeTable<'_>) -> Option<Item> {
        let head: Option<BandsToml> = self.de(raw, "[[bands]]");
        let mut bands = Vec::new();
        let mut ok = true;
        if let Some(sub) = get(t, "band") {
            for raw in self.elements(sub, "[[bands.band]]") {
                match self.band(raw) {
                    Some(band) => {
                        bands.push(Node::new(band, self.loc(raw.span().start..extent(raw, 0))))
                    }
                    None => ok = false,
                }
            }
        }
        let head = head?;
        let metric = self.name(&head.metric);
        let window = self.window(&head.over);
        let label = head.label.as_ref().map(|l| self.string(l));
        let min_possible = head
            .min_possible
            .as_ref()
            .map(|n| Sp::new(*n.get_ref(), self.loc(n.span())));
        let (metric, window) = (metric?, window?);
        ok.then_some(Item::Bands(BandsAst {
            label,
            metric,
            window,
            min_possible,
            bands,
        }))
    }

    fn band(&mut self, raw: &Raw<'_>) -> Option<BandAst> {
        let b: BandToml = self.de(raw, "[[bands.band]]")?;
        let id = self.name(&b.id);
        let range = match self.fragment(Fragment::Range, &b.range) {
            Some(Parsed::Range(r)) => Some(r),
            _ => None,
        };
        let stage = self.optional(&b.stage, |cx, v| cx.name(v));
        let on_enter = self.optional(&b.on_enter, |cx, v| cx.actions(v));
        let repeat = self.optional(&b.repeat, |cx, v| {
            match cx.fragment(Fragment::BandRepeat, v)? {
                Parsed::Repeat(r) => Some(r),
                _ => None,
            }
        });
        let label = b.label.as_ref().map(|l| self.string(l));
        Some(BandAst {
            id: id?,
            label,
            range: range?,
            stage: stage.ok()?,
            on_enter: on_enter.ok()?.unwrap_or_default(),
            repeat: repeat.ok()?,
        })
    }

    // ------------------------------------------------------------ escalation, triggers, plans

    fn escalation(&mut self, raw: &Raw<'_>, t: &DeTable<'_>) -> Option<Item> {
        let head: Option<EscalationToml> = self.de(raw, "[[escalation]]");
        let mut steps = Vec::new();
        let mut ok = true;
        if let Some(sub) = get(t, "step") {
            for raw in self.elements(sub, "[[escalation.step]]") {
                match self.step(raw) {
                    Some(step) => {
                        steps.push(Node::new(step, self.loc(raw.span().start..extent(raw, 0))))
                    }
                    None => ok = false,
                }
            }
        }
        let head = head?;
        let codes = match self.fragment(Fragment::Codes, &head.days_marked) {
            Some(Parsed::Codes(c)) => Some(c),
            _ => None,
        };
        let name = self.string(&head.name);
        let codes = codes?;
        ok.then_some(Item::Escalation(EscalationAst { name, codes, steps }))
    }

    fn step(&mut self, raw: &Raw<'_>) -> Option<StepAst> {
        let s: StepToml = self.de(raw, "[[escalation.step]]")?;
        let when = self.optional(&s.when, |cx, v| cx.expr(v));
        let actions = self.actions(&s.then);
        let day = Sp::new(*s.day.get_ref(), self.loc(s.day.span()));
        Some(StepAst {
            day,
            when: when.ok()?,
            actions: actions?,
        })
    }

    fn trigger(&mut self, raw: &Raw<'_>) -> Option<Item> {
        let t: TriggerToml = self.de(raw, "[[trigger]]")?;
        let when = self.expr(&t.when);
        let actions = self.actions(&t.then);
        let stage = self.optional(&t.stage, |cx, v| cx.name(v));
        let repeat = self.optional(&t.repeat, |cx, v| {
            match cx.fragment(Fragment::Repeat, v)? {
                Parsed::Repeat(r) => Some(r),
                _ => None,
            }
        });
        let min_possible = t
            .min_possible
            .as_ref()
            .map(|n| Sp::new(*n.get_ref(), self.loc(n.span())));
        Some(Item::Trigger(TriggerAst {
            name: self.string(&t.name),
            min_possible,
            when: when?,
            actions: actions?,
            stage: stage.ok()?,
            repeat: repeat.ok()?,
        }))
    }

    fn plan(&mut self, raw: &Raw<'_>, t: &DeTable<'_>) -> Option<Item> {
        let p: PlanToml = self.de(raw, "[[plan]]")?;
        let stage = self.name(&p.at);
        let mut items = Vec::new();
        let mut ok = true;
        if let Some(n) = &p.review_after {
            let school_weeks = Sp::new(*n.get_ref(), self.loc(n.span()));
            items.push(Node::new(
                PlanItem::Review { school_weeks },
                self.key_value(t, "review_after", n.span()),
            ));
        }
        if let Some(v) = &p.target {
            match self.expr(v) {
                Some(e) => items.push(Node::new(
                    PlanItem::Target(e),
                    self.key_value(t, "target", v.span()),
                )),
                None => ok = false,
            }
        }
        if let Some(v) = &p.escalate_to {
            match self.name(v) {
                Some(s) => items.push(Node::new(
                    PlanItem::EscalateTo(s),
                    self.key_value(t, "escalate_to", v.span()),
                )),
                None => ok = false,
            }
        }
        for (event, key, value) in [
            (PlanEvent::Open, "on_open", &p.on_open),
            (PlanEvent::Miss, "on_miss", &p.on_miss),
            (PlanEvent::Met, "on_met", &p.on_met),
        ] {
            let Some(v) = value else { continue };
            match self.actions(v) {
                Some(actions) => items.push(Node::new(
                    PlanItem::On { event, actions },
                    self.key_value(t, key, v.span()),
                )),
                None => ok = false,
            }
        }
        items.sort_by_key(|i| i.loc.span.start);
        let stage = stage?;
        ok.then(|| {
            Item::Plan(PlanAst {
                name: self.string(&p.name),
                stage,
                items,
            })
        })
    }

    // ------------------------------------------------------------ penalty notices and limits

    fn penalty_notices(&mut self, raw: &Raw<'_>) -> Option<Node<Item>> {
        let t = self.table(raw, "[penalty_notices]")?;
        let head: Option<PenaltyToml> = self.de(raw, "[penalty_notices]");
        let mut items: Vec<Node<PenaltyItem>> = Vec::new();
        let mut ok = head.is_some();
        for (key, second) in [("fine", false), ("second_fine", true)] {
            let Some(sub) = get(t, key) else { continue };
            let table = if second {
                "[[penalty_notices.second_fine]]"
            } else {
                "[[penalty_notices.fine]]"
            };
            for raw in self.elements(sub, table) {
                let Some(f) = self.de::<FineToml>(raw, table) else {
                    ok = false;
                    continue;
                };
                match self.money(&f.amount) {
                    Some(pence) => {
                        let within_days =
                            Sp::new(*f.within_days.get_ref(), self.loc(f.within_days.span()));
                        let item = PenaltyItem::Fine {
                            second,
                            pence,
                            within_days,
                        };
                        items.push(Node::new(item, self.loc(raw.span().start..extent(raw, 0))));
                    }
                    None => ok = false,
                }
            }
        }
        if let Some(head) = head {
            match (&head.threshold_sessions, &head.threshold_window) {
                (Some(n), Some(w)) => match self.window(w) {
                    Some(window) => {
                        let sessions = Sp::new(*n.get_ref(), self.loc(n.span()));
                        let start = self.key_value(t, "threshold_sessions", n.span()).span.start;
                        let loc = self.loc(
                            start.min(self.key_value(t, "threshold_window", w.span()).span.start)
                                ..n.span().end.max(w.span().end),
                        );
                        items.push(Node::new(PenaltyItem::Threshold { sessions, window }, loc));
                    }
                    None => ok = false,
                },
                (Some(n), None) => {
                    ok &= self.missing("threshold_window", "[penalty_notices]", n.span())
                }
                (None, Some(w)) => {
                    ok &= self.missing("threshold_sessions", "[penalty_notices]", w.span())
                }
                (None, None) => {}
            }
            match (&head.limit_notices, &head.limit_years) {
                (Some(n), Some(y)) => {
                    let notices = Sp::new(*n.get_ref(), self.loc(n.span()));
                    let years = Sp::new(*y.get_ref(), self.loc(y.span()));
                    let start = self.key_value(t, "limit_notices", n.span()).span.start;
                    let loc = self.loc(
                        start.min(self.key_value(t, "limit_years", y.span()).span.start)
                            ..n.span().end.max(y.span().end),
                    );
                    items.push(Node::new(PenaltyItem::Limit { notices, years }, loc));
                }
                (Some(n), None) => ok &= self.missing("limit_years", "[penalty_notices]", n.span()),
                (None, Some(y)) => {
                    ok &= self.missing("limit_notices", "[penalty_notices]", y.span())
                }
                (None, None) => {}
            }
        }
        items.sort_by_key(|i| i.loc.span.start);
        ok.then(|| {
            Node::new(
                Item::PenaltyNotices(items),
                self.loc(raw.span().start..extent(raw, 0)),
            )
        })
    }

    /// Reports a key that must come with another; always `false`, for `ok &= ...`.
    fn missing(&mut self, key: &str, table: &str, at: Range<usize>) -> bool {
        self.error(
            at,
            SyntaxError::TomlMissingKey {
                key: key.into(),
                table: table.into(),
            },
        );
        false
    }

    /// `[limits]`: `name = N` or `name = "N unit"`, in the order written.
    fn limits(&mut self, raw: &Raw<'_>) -> Option<Node<Item>> {
        let t = self.table(raw, "[limits]")?;
        let mut limits = Vec::new();
        let mut ok = true;
        for (key, value) in t.iter() {
            let name: &str = key.get_ref().as_ref();
            let name_ok = self.check_name(Rule::ident, name, key.span());
            let Some(v) = self.de::<Any>(value, "[limits]") else {
                ok = false;
                continue;
            };
            let limit = self.limit_value(&v);
            match limit {
                Some((value, unit)) if name_ok => {
                    let name = Sp::new(name.to_string(), self.loc(key.span()));
                    let loc = self.loc(key.span().start..v.span().end);
                    limits.push(Node::new(LimitAst { name, value, unit }, loc));
                }
                _ => ok = false,
            }
        }
        limits.sort_by_key(|l| l.loc.span.start);
        ok.then(|| {
            Node::new(
                Item::Limits(limits),
                self.loc(raw.span().start..extent(raw, 0)),
            )
        })
    }

    fn limit_value(&mut self, v: &Any) -> Option<(Sp<u32>, Option<Sp<String>>)> {
        let bad = |cx: &mut Self| {
            let message =
                "a limit is a whole number, or a number and a unit such as \"30 minutes\""
                    .to_string();
            cx.error(v.span(), SyntaxError::Toml { message });
            None
        };
        match v.get_ref() {
            ::toml::Value::Integer(i) => match u32::try_from(*i) {
                Ok(n) => Some((Sp::new(n, self.loc(v.span())), None)),
                Err(_) => bad(self),
            },
            ::toml::Value::String(s) => {
                let place = Placement::new(self.src.text(), v.span(), s);
                let words = words(s);
                let (number, unit) = match words.as_slice() {
                    [number] => (*number, None),
                    [number, unit] => (*number, Some(*unit)),
                    _ => return bad(self),
                };
                let Ok(n) = number.1.parse::<u32>() else {
                    return bad(self);
                };
                let at = |(start, word): (usize, &str)| place.range(start, start + word.len());
                let value = Sp::new(n, self.loc(at(number)));
                let unit = match unit {
                    Some(unit @ (_, "minutes" | "sessions")) => {
                        Some(Sp::new(unit.1.to_string(), self.loc(at(unit))))
                    }
                    Some(unit) => {
                        let problem = SyntaxError::Unexpected {
                            found: format!("`{}`", unit.1),
                            expected: vec!["`minutes` or `sessions`".into()],
                        };
                        self.error(at(unit), problem);
                        return None;
                    }
                    None => None,
                };
                Some((value, unit))
            }
            _ => bad(self),
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
            | Item::SchoolType(_)
            | Item::Target(_)
            | Item::Ratified(_)
            | Item::Review(_)
    )
}

/// The places where the TOML itself was malformed, sorted, so whether a later problem lies in
/// one is a binary search: ten thousand syntax errors must not cost ten thousand squared.
struct Malformed {
    /// `(start, end)` with `end` at least `start + 1`, sorted by start.
    spans: Vec<(usize, usize)>,
    /// The greatest end among `spans[..=i]`.
    reach: Vec<usize>,
}

impl Malformed {
    fn new(spans: Vec<Span>) -> Self {
        let mut spans: Vec<(usize, usize)> = spans
            .into_iter()
            .map(|s| (s.start, s.end.max(s.start + 1)))
            .collect();
        spans.sort_unstable();
        let reach = spans
            .iter()
            .scan(0, |most, &(_, end)| {
                *most = end.max(*most);
                Some(*most)
            })
            .collect();
        Malformed { spans, reach }
    }

    /// Whether `span` (at least one byte wide) meets a malformed place.
    fn overlaps(&self, span: Span) -> bool {
        let end = span.end.max(span.start + 1);
        // Places starting before `span` ends; one of them meets it if it reaches past its start.
        let before = self.spans.partition_point(|&(start, _)| start < end);
        before > 0
            && self
                .reach
                .get(before - 1)
                .is_some_and(|&most| most > span.start)
    }
}

/// The backticked words of serde's "expected one of `a`, `b`".
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, text.get(s..i).unwrap_or("")));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.get(s..).unwrap_or("")));
    }
    out
}

fn pence(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_prefix('£').unwrap_or(text);
    let (pounds, pence) = text.split_once('.').unwrap_or((text, "00"));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(pounds) || !digits(pence) || pence.len() != 2 {
        return None;
    }
    pounds
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(pence.parse::<u64>().ok()?)
}

/// Where a TOML string's characters sit in the file. A fragment is parsed from the decoded
/// string as if it started at `base`; where escapes (`\"`, `\u00e9`) or a line continuation
/// make the decoded text shorter than the written one, `map` moves positions back onto the
/// written characters so diagnostics and spans point at what the author typed.
struct Placement {
    base: usize,
    end: usize,
    /// File offset of each decoded byte, and of the end; `None` when they line up one to one.
    map: Option<Vec<usize>>,
}

impl Placement {
    fn new(text: &str, span: Range<usize>, decoded: &str) -> Placement {
        let raw = text.get(span.clone()).unwrap_or("");
        let (open, close, escapes) = if raw.starts_with("\"\"\"") {
            (3, 3, true)
        } else if raw.starts_with("'''") {
            (3, 3, false)
        } else if raw.starts_with('"') {
            (1, 1, true)
        } else if raw.starts_with('\'') {
            (1, 1, false)
        } else {
            (0, 0, false)
        };
        let mut body_start = open;
        if open == 3 {
            // A newline straight after the opening quotes is not part of the string.
            let after = raw.get(3..).unwrap_or("");
            if after.starts_with("\r\n") {
                body_start += 2;
            } else if after.starts_with('\n') {
                body_start += 1;
            }
        }
        let body_end = raw.len().saturating_sub(close).max(body_start);
        let body = raw.get(body_start..body_end).unwrap_or("");
        let base = span.start + body_start;
        let end = base + body.len();
        let map = if body == decoded {
            None
        } else {
            walk(body, decoded, base, escapes, open == 3)
        };
        // Without a map, a decoded text that differs from the written one can only drift;
        // `fix` clamps it into the string.
        Placement { base, end, map }
    }

    fn at(&self, offset: usize) -> usize {
        let relative = offset.saturating_sub(self.base);
        match &self.map {
            Some(map) => map.get(relative).copied().unwrap_or(self.end),
            None => (self.base + relative).min(self.end),
        }
    }

    fn fix(&self, span: Span) -> Span {
        Span::new(self.at(span.start), self.at(span.end))
    }

    /// The file range of decoded bytes `start..end`.
    fn range(&self, start: usize, end: usize) -> Range<usize> {
        self.at(self.base + start)..self.at(self.base + end)
    }

    fn fix_loc(&self, loc: &mut Loc) {
        loc.span = self.fix(loc.span);
    }

    fn fix_parsed(&self, parsed: &mut Parsed) {
        match parsed {
            Parsed::Condition(e) => self.fix_expr(e),
            Parsed::Range(r) => self.fix_loc(&mut r.loc),
            Parsed::Actions(actions) => actions.iter_mut().for_each(|a| self.fix_action(a)),
            Parsed::Codes(codes) => self.fix_codes(codes),
            Parsed::Window(w) => self.fix_loc(&mut w.loc),
            Parsed::Repeat(r) => self.fix_loc(&mut r.loc),
            Parsed::Time(_) | Parsed::Percent(_) => {}
        }
    }

    fn fix_codes(&self, codes: &mut Sp<Vec<Sp<String>>>) {
        self.fix_loc(&mut codes.loc);
        for code in &mut codes.node {
            self.fix_loc(&mut code.loc);
        }
    }

    fn fix_action(&self, action: &mut Sp<ActionAst>) {
        self.fix_loc(&mut action.loc);
        let a = &mut action.node;
        self.fix_loc(&mut a.verb.loc);
        for part in [&mut a.target, &mut a.note, &mut a.by]
            .into_iter()
            .flatten()
        {
            self.fix_loc(&mut part.loc);
        }
    }

    fn fix_expr(&self, e: &mut Sp<Expr>) {
        self.fix_loc(&mut e.loc);
        match &mut e.node {
            Expr::Or(parts) | Expr::And(parts) => parts.iter_mut().for_each(|p| self.fix_expr(p)),
            Expr::Not(inner) => self.fix_expr(inner),
            Expr::Compare { lhs, rhs, .. } => {
                self.fix_operand(lhs);
                self.fix_operand(rhs);
            }
            Expr::Flag(_) => {}
        }
    }

    fn fix_operand(&self, o: &mut Sp<Operand>) {
        self.fix_loc(&mut o.loc);
        match &mut o.node {
            Operand::Share { of, .. } => self.fix_operand(of),
            Operand::Call { name, args } => {
                self.fix_loc(&mut name.loc);
                for arg in args {
                    self.fix_loc(&mut arg.loc);
                    if let Argument::Codes(codes) = &mut arg.node {
                        codes.iter_mut().for_each(|c| self.fix_loc(&mut c.loc));
                    }
                }
            }
            Operand::Percent(_) | Operand::Count { .. } | Operand::Path(_) => {}
        }
    }
}

/// Lines the written body of a string up with its decoded text, byte by byte; `None` when they
/// cannot be matched (then positions only drift).
fn walk(
    body: &str,
    decoded: &str,
    base: usize,
    escapes: bool,
    multiline: bool,
) -> Option<Vec<usize>> {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(decoded.len() + 1);
    let mut chars = decoded.chars();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if escapes && b == b'\\' {
            let next = bytes.get(i + 1).copied();
            if multiline && matches!(next, Some(b' ' | b'\t' | b'\r' | b'\n')) {
                // A line-ending backslash swallows the whitespace and newlines after it.
                i += 1;
                while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    i += 1;
                }
                continue;
            }
            let written = match next {
                Some(b'x') => 4,
                Some(b'u') => 6,
                Some(b'U') => 10,
                _ => 2,
            };
            let c = chars.next()?;
            out.extend(std::iter::repeat_n(base + i, c.len_utf8()));
            i += written;
            continue;
        }
        let c = chars.next()?;
        if c == '\n' && b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            out.push(base + i);
            i += 2;
            continue;
        }
        let written = body.get(i..).and_then(|s| s.chars().next())?;
        if written != c {
            return None;
        }
        for k in 0..c.len_utf8() {
            out.push(base + i + k);
        }
        i += c.len_utf8();
    }
    if chars.next().is_some() {
        return None;
    }
    out.push(base + body.len());
    (out.len() == decoded.len() + 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_follows_escapes() {
        let text = r#"x = "a\"b\u00e9c""#;
        let decoded = "a\"béc";
        let place = Placement::new(text, 4..text.len(), decoded);
        assert_eq!(place.base, 5);
        // `c` is decoded byte 5 (é is two bytes) and written at offset 15.
        assert_eq!(place.at(place.base + 5), 15);
        assert_eq!(
            place.at(place.base + 1),
            6,
            "the escaped quote starts at its backslash"
        );
    }

    #[test]
    fn placement_skips_leading_newline_of_multiline() {
        let text = "x = '''\nab'''";
        let place = Placement::new(text, 4..text.len(), "ab");
        assert_eq!(place.base, 8);
        assert!(place.map.is_none());
    }

    #[test]
    fn pence_reads_pounds() {
        assert_eq!(pence("£80"), Some(8000));
        assert_eq!(pence("80"), Some(8000));
        assert_eq!(pence("£80.50"), Some(8050));
        assert_eq!(pence("£80.5"), None);
        assert_eq!(pence("£"), None);
    }
}
