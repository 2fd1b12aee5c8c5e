//! The DSL surface: pest parse tree to AST (`text_to_ast`, in cedar's words). Also the entry
//! points the TOML surface uses to parse its condition, range and action strings with the
//! same grammar.

use chrono::NaiveDate;
use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ast::*;
use super::error::SyntaxError;
use super::grammar::{PolicyParser, Rule};
use crate::diagnostic::{Diagnostic, Problem};
use crate::source::{Loc, Source, Span};

mod bands;
mod conditions;
mod errors;
mod ladder;
mod rules;

use errors::{enable_error_detail, translate_error};

/// Conditions nested deeper than this are refused, which keeps every later recursive walk
/// (lowering, printing, dropping) far from the stack limit whatever the input.
pub const MAX_DEPTH: usize = 64;

/// A condition of more terms (comparisons and names) than this is refused, with the first term
/// past the limit pointed at: no school writes one, and every later stage can then afford to
/// look at a condition whole.
pub const MAX_TERMS: usize = 1_000;

type Pr<'a> = Pair<'a, Rule>;

mod local_authority;
mod schedule;
mod school_day;

/// Where the first term past [`MAX_TERMS`] is, in the order written; `None` within the limit.
/// Walks with its own stack, not by recursion.
fn term_past_limit(expr: &Sp<Expr>) -> Option<Loc> {
    let mut terms = 0;
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.node {
            Expr::Or(parts) | Expr::And(parts) => stack.extend(parts.iter().rev()),
            Expr::Not(inner) => stack.push(inner),
            Expr::Compare { .. } | Expr::Flag(_) | Expr::Judged(_) => {
                terms += 1;
                if terms > MAX_TERMS {
                    return Some(e.loc.clone());
                }
            }
        }
    }
    None
}

/// Parses a `.policy` or `.calendar` file.
pub fn parse_file(src: &Source) -> Result<File, Vec<Diagnostic>> {
    // Blank lines and comments alone hold no policy: say so rather than "expected `policy`".
    if first_word(src.text()).is_none() {
        return Err(vec![SyntaxError::Empty.at(&src.loc(Span::default()))]);
    }
    let calendar_only =
        src.name().ends_with(".calendar") || first_word(src.text()) == Some("calendar");
    let rule = if calendar_only {
        Rule::calendar_file
    } else {
        Rule::policy_file
    };
    let root = parse_rule(src, rule, src.text(), 0)?;
    let mut b = Builder::new(src, 0);
    let file = if calendar_only {
        let calendars = root
            .into_inner()
            .filter(|p| p.as_rule() == Rule::calendar)
            .map(|p| b.node(&p, |b, p| b.calendar(p)))
            .collect();
        File::Calendars(CalendarFile {
            calendars,
            trailing: Vec::new(),
        })
    } else {
        let Some(policy) = root.into_inner().find(|p| p.as_rule() == Rule::policy) else {
            return Err(vec![SyntaxError::Empty.at(&src.loc(Span::default()))]);
        };
        File::Policy(b.node(&policy, |b, p| b.policy(p)))
    };
    if !b.errors.is_empty() {
        return Err(b.errors);
    }
    let mut file = file;
    super::comments::attach(src, &mut file);
    Ok(file)
}

/// The first word that is not in a comment.
fn first_word(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .and_then(|line| {
            line.split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
        })
}

/// Which fragment of the language a TOML string holds.
#[derive(Clone, Copy, Debug)]
pub enum Fragment {
    Condition,
    Range,
    Actions,
    Codes,
    Window,
    Repeat,
    /// A band's limit on its entry actions: `once per ...` or `not again within ...`.
    BandRepeat,
    /// A band's day counts after `absence` (`8 - 20 days`), `absence` in TOML.
    BandDays,
    Time,
    Percent,
    /// A schedule row's value: a count (`3.5 days`) or a percentage.
    ScheduleValue,
    /// When a trigger is looked at: `at end of term`, `every 2 school_weeks`.
    LookedAt,
    /// A ladder stage's `held ...` (TOML `held = "until end of year"`).
    Held,
    /// A ladder's `in order ...` (TOML `order = "in order"`).
    Order,
    /// A school-day line (`lunch 12:00 to 13:00`), `[[calendar.day]]`'s `line`.
    DayLine,
    /// `years 1 to 2` after `for`, a session's or a school-day line's `for`.
    DayGroup,
    /// A penalty-notice threshold's count (`2.5 days`), `threshold_count` in TOML.
    ThresholdCount,
}

/// A fragment parsed from part of a file (a TOML string whose text starts at `offset`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Condition(Sp<Expr>),
    Range(Sp<RangeAst>),
    Actions(Vec<Sp<ActionAst>>),
    Codes(Sp<Vec<Sp<String>>>),
    Window(Sp<WindowAst>),
    Repeat(Sp<RepeatAst>),
    Time(u16),
    Percent(Percent),
    Operand(Sp<Operand>),
    LookedAt(Sp<LookedAt>),
    Held(Sp<HeldAst>),
    Order(Sp<OrderAst>),
    DayLine(DayLine),
    BandDays(Sp<BandDays>),
    DayGroup(Sp<DayGroup>),
    /// The count in sessions, and how it was written.
    ThresholdCount(Sp<u32>, Option<ThresholdCount>),
}

/// Parses one fragment. `text` is the fragment as the parser should see it and `offset` the
/// byte offset in `src` where it starts, so spans and diagnostics point into the file.
pub fn parse_fragment(
    src: &Source,
    fragment: Fragment,
    text: &str,
    offset: usize,
) -> Result<Parsed, Vec<Diagnostic>> {
    let rule = match fragment {
        Fragment::Condition => Rule::condition_only,
        Fragment::Range => Rule::range_only,
        Fragment::Actions => Rule::actions_only,
        Fragment::Codes => Rule::codes_only,
        Fragment::Window => Rule::window_only,
        Fragment::Repeat => Rule::repeat_only,
        Fragment::BandRepeat => Rule::band_repeat_only,
        Fragment::BandDays => Rule::band_days_only,
        Fragment::Time => Rule::time_only,
        Fragment::Percent => Rule::percent_only,
        Fragment::ScheduleValue => Rule::schedule_value_only,
        Fragment::LookedAt => Rule::looked_at_only,
        Fragment::Held => Rule::held_only,
        Fragment::Order => Rule::order_only,
        Fragment::DayLine => Rule::day_line_only,
        Fragment::DayGroup => Rule::day_group_only,
        Fragment::ThresholdCount => Rule::threshold_count_only,
    };
    let root = parse_rule(src, rule, text, offset)?;
    let Some(inner) = root.into_inner().next() else {
        return Err(vec![
            SyntaxError::Empty.at(&src.loc(Span::new(offset, offset))),
        ]);
    };
    let mut b = Builder::new(src, offset);
    let parsed = match fragment {
        Fragment::Condition => Parsed::Condition(b.condition(inner)),
        Fragment::Range => Parsed::Range(b.range(inner)),
        Fragment::Actions => Parsed::Actions(b.actions(inner)),
        Fragment::Codes => Parsed::Codes(b.code_set(inner)),
        Fragment::Window => Parsed::Window(b.window(inner)),
        Fragment::Repeat | Fragment::BandRepeat => Parsed::Repeat(b.repeat(inner)),
        Fragment::Time => Parsed::Time(b.time(&inner)),
        Fragment::Percent => Parsed::Percent(b.percent(&inner)),
        Fragment::ScheduleValue => Parsed::Operand(b.schedule_value(inner)),
        Fragment::LookedAt => Parsed::LookedAt(b.looked_at(inner)),
        Fragment::Held => Parsed::Held(b.held_body(inner)),
        Fragment::Order => Parsed::Order(b.order(inner)),
        Fragment::DayLine => Parsed::DayLine(b.day_line(inner)),
        Fragment::BandDays => Parsed::BandDays(b.band_days(inner)),
        Fragment::DayGroup => Parsed::DayGroup(b.day_group(inner)),
        Fragment::ThresholdCount => {
            let (sessions, written) = b.threshold_count(&inner);
            Parsed::ThresholdCount(sessions, written)
        }
    };
    if b.errors.is_empty() {
        Ok(parsed)
    } else {
        Err(b.errors)
    }
}

fn parse_rule<'a>(
    src: &Source,
    rule: Rule,
    text: &'a str,
    offset: usize,
) -> Result<Pr<'a>, Vec<Diagnostic>> {
    enable_error_detail();
    match PolicyParser::parse(rule, text) {
        Ok(mut pairs) => pairs
            .next()
            .ok_or_else(|| vec![SyntaxError::Empty.at(&src.loc(Span::new(offset, offset)))]),
        Err(error) => Err(vec![translate_error(src, text, offset, &error)]),
    }
}

struct Builder<'s> {
    src: &'s Source,
    offset: usize,
    errors: Vec<Diagnostic>,
    /// Ends of the comments in the text, so spans can be trimmed of trailing trivia.
    comment_ends: std::collections::HashMap<usize, usize>,
}

impl<'s> Builder<'s> {
    fn new(src: &'s Source, offset: usize) -> Self {
        let comment_ends = if offset == 0 {
            super::comments::scan(src.text(), super::comments::Dialect::Dsl)
                .into_iter()
                .map(|c| (c.span.end, c.span.start))
                .collect()
        } else {
            Default::default()
        };
        Builder {
            src,
            offset,
            errors: Vec::new(),
            comment_ends,
        }
    }

    /// A pair's location, without the whitespace and comments pest may include after its
    /// last token (a rule ending in an optional part), so comments attach to the right node.
    fn loc(&self, pair: &Pr<'_>) -> Loc {
        let span = pair.as_span();
        let start = self.offset + span.start();
        let mut end = self.offset + span.end();
        let text = self.src.text();
        loop {
            let trimmed = text.get(start..end).map_or(0, |t| t.trim_end().len());
            end = start + trimmed;
            match self.comment_ends.get(&end) {
                Some(&comment_start) if comment_start >= start => end = comment_start,
                _ => break,
            }
        }
        self.src.loc(Span::new(start, end))
    }

    fn sp<T>(&self, pair: &Pr<'_>, node: T) -> Sp<T> {
        Sp::new(node, self.loc(pair))
    }

    fn node<T>(&mut self, pair: &Pr<'_>, build: impl FnOnce(&mut Self, Pr<'_>) -> T) -> Node<T> {
        let loc = self.loc(pair);
        Node::new(build(self, pair.clone()), loc)
    }

    fn error(&mut self, pair: &Pr<'_>, problem: SyntaxError) {
        let loc = self.loc(pair);
        self.errors.push(problem.at(&loc));
    }

    // ------------------------------------------------------------ tokens

    fn ident(&self, pair: &Pr<'_>) -> Sp<String> {
        self.sp(pair, pair.as_str().to_string())
    }

    fn string(&self, pair: &Pr<'_>) -> Sp<String> {
        // Exactly one quote off each end: a string may end in an escaped quote (`"say \"hi\""`).
        let text = pair.as_str();
        let inner = text
            .strip_prefix('"')
            .or_else(|| text.strip_prefix('\u{201c}'))
            .unwrap_or(text);
        let inner = inner
            .strip_suffix('"')
            .or_else(|| inner.strip_suffix('\u{201d}'))
            .unwrap_or(inner);
        self.sp(pair, unescape(inner))
    }

    fn u32(&mut self, pair: &Pr<'_>) -> Sp<u32> {
        let value = pair.as_str().parse::<u32>().unwrap_or_else(|_| {
            self.error(
                pair,
                SyntaxError::NumberTooLarge {
                    text: pair.as_str().into(),
                },
            );
            0
        });
        self.sp(pair, value)
    }

    fn u32_or_zero(&mut self, pair: Option<&Pr<'_>>, fallback: &Pr<'_>) -> Sp<u32> {
        match pair {
            Some(p) => self.u32(p),
            None => self.sp(fallback, 0),
        }
    }

    fn u64(&mut self, pair: &Pr<'_>) -> Sp<u64> {
        let value = pair.as_str().parse::<u64>().unwrap_or_else(|_| {
            self.error(
                pair,
                SyntaxError::NumberTooLarge {
                    text: pair.as_str().into(),
                },
            );
            0
        });
        self.sp(pair, value)
    }

    fn percent(&mut self, pair: &Pr<'_>) -> Percent {
        match parse_percent(pair.as_str()) {
            Ok(p) => p,
            Err(problem) => {
                self.error(pair, problem);
                Percent::ZERO
            }
        }
    }

    fn date(&mut self, pair: &Pr<'_>) -> Sp<NaiveDate> {
        let date = NaiveDate::parse_from_str(pair.as_str(), "%Y-%m-%d").unwrap_or_else(|_| {
            self.error(
                pair,
                SyntaxError::InvalidDate {
                    text: pair.as_str().into(),
                },
            );
            NaiveDate::default()
        });
        self.sp(pair, date)
    }

    fn time(&mut self, pair: &Pr<'_>) -> u16 {
        match parse_time(pair.as_str()) {
            Some(minutes) => minutes,
            None => {
                self.error(
                    pair,
                    SyntaxError::InvalidTime {
                        text: pair.as_str().into(),
                    },
                );
                0
            }
        }
    }

    // ------------------------------------------------------------ policy

    fn policy(&mut self, pair: Pr<'_>) -> PolicyAst {
        let mut inner = pair.into_inner();
        let name = match inner.next() {
            Some(p) => self.string(&p),
            None => Sp::new(String::new(), self.src.loc(Span::default())),
        };
        let items = inner.map(|p| self.node(&p, |b, p| b.item(p))).collect();
        PolicyAst {
            name,
            items,
            trailing: Vec::new(),
        }
    }

    fn item(&mut self, pair: Pr<'_>) -> Item {
        let rule = pair.as_rule();
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        let first = children.first().cloned();
        match (rule, first) {
            (Rule::extends, Some(p)) => Item::Extends(self.ident(&p)),
            (Rule::urn, Some(p)) => Item::Urn(self.u64(&p)),
            (Rule::phase, Some(p)) => Item::Phase(self.ident(&p)),
            (Rule::document, Some(p)) => Item::Document(self.ident(&p)),
            (Rule::school_type, Some(p)) => Item::SchoolType(self.ident(&p)),
            (Rule::target, Some(p)) => Item::Target(Sp::new(self.percent(&p), self.loc(&p))),
            (Rule::ratified, Some(p)) => Item::Ratified(self.date(&p)),
            (Rule::review, Some(p)) => Item::Review(self.date(&p)),
            (Rule::cites, Some(kind)) => {
                let title = children
                    .get(1)
                    .map_or_else(|| self.ident(&kind), |t| self.string(t));
                Item::Cites {
                    kind: self.ident(&kind),
                    title,
                }
            }
            (Rule::roles, _) => Item::Roles(self.entries(children)),
            (Rule::procedures, _) => Item::Procedures(self.entries(children)),
            (Rule::letters, _) => Item::Letters(self.entries(children)),
            (Rule::meetings, _) => Item::Meetings(self.entries(children)),
            (Rule::calendar, _) => Item::Calendar(self.calendar(pair)),
            (Rule::stages, _) => Item::Stages(
                children
                    .iter()
                    .map(|p| self.node(p, |b, p| b.stage_entry(p)))
                    .collect(),
            ),
            (Rule::define, _) => Item::Define(self.define(children)),
            (Rule::bands, _) => Item::Bands(self.bands(children)),
            (Rule::escalation, _) => Item::Escalation(self.escalation(children)),
            (Rule::trigger, _) => Item::Trigger(self.trigger(children)),
            (Rule::schedule, _) => Item::Schedule(self.schedule(children)),
            (Rule::plan, _) => Item::Plan(self.plan(children)),
            (Rule::penalty_notices, _) => Item::PenaltyNotices(
                children
                    .iter()
                    .map(|p| self.node(p, |b, p| b.penalty_item(p)))
                    .collect(),
            ),
            (Rule::limits, _) => Item::Limits(
                children
                    .iter()
                    .map(|p| self.node(p, |b, p| b.limit(p)))
                    .collect(),
            ),
            // The grammar makes every other shape impossible; report rather than panic.
            _ => {
                self.error(
                    &pair,
                    SyntaxError::Unexpected {
                        found: "statement".into(),
                        expected: vec![],
                    },
                );
                Item::Extends(self.ident(&pair))
            }
        }
    }

    fn entries(&mut self, children: Vec<Pr<'_>>) -> Vec<Node<Entry>> {
        children
            .iter()
            .map(|p| {
                self.node(p, |b, p| {
                    let mut inner = p.clone().into_inner();
                    let id = inner.next().map_or_else(|| b.ident(&p), |i| b.ident(&i));
                    let text = inner
                        .next()
                        .map_or_else(|| b.sp(&p, String::new()), |t| b.string(&t));
                    Entry { id, text }
                })
            })
            .collect()
    }

    fn calendar(&mut self, pair: Pr<'_>) -> CalendarAst {
        let mut label = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            if p.as_rule() == Rule::string {
                label = Some(self.string(&p));
            } else {
                items.push(self.node(&p, |b, p| b.calendar_item(p)));
            }
        }
        CalendarAst {
            label,
            items,
            trailing: Vec::new(),
        }
    }

    fn calendar_item(&mut self, pair: Pr<'_>) -> CalendarItem {
        let rule = pair.as_rule();
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        match rule {
            Rule::session => {
                let name = children
                    .first()
                    .map_or_else(|| self.ident(&pair), |p| self.ident(p));
                let group = children
                    .iter()
                    .find(|p| p.as_rule() == Rule::day_group)
                    .map(|p| self.day_group(p.clone()));
                let times = children
                    .iter()
                    .skip(1)
                    .filter(|p| p.as_rule() == Rule::session_time)
                    .map(|t| {
                        let mut inner = t.clone().into_inner();
                        let kind = match inner.next().map(|k| k.as_str().to_string()).as_deref() {
                            Some("late_after") => SessionTimeKind::LateAfter,
                            Some("closes") => SessionTimeKind::Closes,
                            _ => SessionTimeKind::Opens,
                        };
                        let minutes = inner.next().map_or(0, |m| self.time(&m));
                        self.sp(t, SessionTime { kind, minutes })
                    })
                    .collect();
                CalendarItem::Session { name, times, group }
            }
            Rule::day_line => CalendarItem::Day(self.day_line(pair)),
            Rule::term => {
                let name = children
                    .first()
                    .map_or_else(|| self.ident(&pair), |p| self.ident(p));
                let dates = match children.get(1) {
                    Some(d) => self.date_range(d),
                    None => self.sp(&pair, self.empty_range(&pair)),
                };
                CalendarItem::Term { name, dates }
            }
            _ => {
                let kind = match rule {
                    Rule::half_term => ClosureKind::HalfTerm,
                    Rule::holiday => ClosureKind::Holiday,
                    Rule::bank_holiday => ClosureKind::BankHoliday,
                    Rule::inset => ClosureKind::Inset,
                    _ => ClosureKind::Closed,
                };
                let dates = match children.first() {
                    Some(d) => self.date_range(d),
                    None => self.sp(&pair, self.empty_range(&pair)),
                };
                let reason = children.get(1).map(|r| self.string(r));
                CalendarItem::Closure {
                    kind,
                    dates,
                    reason,
                }
            }
        }
    }

    fn empty_range(&self, pair: &Pr<'_>) -> DateRange {
        DateRange {
            start: self.sp(pair, NaiveDate::default()),
            end: None,
        }
    }

    fn date_range(&mut self, pair: &Pr<'_>) -> Sp<DateRange> {
        let dates: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        let start = match dates.first() {
            Some(d) => self.date(d),
            None => self.sp(pair, NaiveDate::default()),
        };
        let end = dates.get(1).map(|d| self.date(d));
        self.sp(pair, DateRange { start, end })
    }

    fn stage_entry(&mut self, pair: Pr<'_>) -> StageEntry {
        let mut id = None;
        let mut framework = None;
        let mut text = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::ident if id.is_none() => id = Some(self.ident(&p)),
                Rule::ident => framework = Some(self.ident(&p)),
                _ => text = Some(self.string(&p)),
            }
        }
        StageEntry {
            id: id.unwrap_or_else(|| self.ident(&pair)),
            framework,
            text,
        }
    }

    fn define(&mut self, children: Vec<Pr<'_>>) -> DefineAst {
        let mut name = None;
        let mut wording = None;
        let mut when = None;
        for p in children {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(&p)),
                Rule::string => wording = Some(self.string(&p)),
                _ => when = Some(self.condition(p)),
            }
        }
        let fallback = self.src.loc(Span::default());
        DefineAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            wording,
            when: when.unwrap_or_else(|| Sp::new(Expr::Flag(String::new()), fallback)),
        }
    }
}

/// What a range that failed to build stands for; the parse error is reported already.
fn empty_range() -> RangeAst {
    RangeAst {
        written: String::new(),
        form: RangeForm::One(OneSided::AtLeast(Percent::ZERO)),
    }
}

const ZERO_END: Endpoint = Endpoint {
    value: Percent::ZERO,
    percent_sign: true,
    word: None,
};

fn is_keyword_token(pair: &Pr<'_>) -> bool {
    matches!(pair.as_rule(), Rule::kw_and | Rule::kw_or | Rule::kw_not)
}

pub fn parse_percent(text: &str) -> Result<Percent, SyntaxError> {
    let digits = text.trim().trim_end_matches('%');
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if frac.len() > 4 {
        return Err(SyntaxError::PercentTooPrecise { text: text.into() });
    }
    let whole: u32 = whole
        .parse()
        .map_err(|_| SyntaxError::NumberTooLarge { text: text.into() })?;
    let frac_value: u32 = if frac.is_empty() {
        0
    } else {
        let padded = format!("{frac:0<4}");
        padded
            .parse()
            .map_err(|_| SyntaxError::NumberTooLarge { text: text.into() })?
    };
    whole
        .checked_mul(Percent::SCALE / 100)
        .and_then(|w| w.checked_add(frac_value))
        .map(Percent)
        .ok_or(SyntaxError::NumberTooLarge { text: text.into() })
}

pub fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    (h < 24 && m < 60 && m.to_string().len() <= 2).then_some(h * 60 + m)
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Quotes a string for the DSL, escaping what `unescape` reads back.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}
