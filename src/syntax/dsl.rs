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

mod ladder;

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
            Expr::Compare { .. } | Expr::Flag(_) => {
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

/// pest's "expected" list names only the grammar's rules; with error detail on it also keeps
/// the literal words and brackets it tried (`}`, `then`, `and`), which are most often what an
/// author left out. The setting is process-wide and read when a parse starts, so it is turned
/// on once and never off: the same text always gets the same message.
fn enable_error_detail() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| pest::set_error_detail(true));
}

/// Literal tokens worth naming in "expected": brackets and the words that join a statement's
/// parts. Keywords that start a statement are left to the rule descriptions.
const GLUE: &[&str] = &[
    "{", "}", "(", ")", ":", ",", "then", "when", "and", "or", "of", "over", "at", "is", "by",
    "from", "in", "within", "after", "marked", "per", "every", "possible", "enter",
];

/// Turns pest's error into one a policy author can act on: where, what was found, and what
/// could have come there, in words rather than grammar-rule names.
fn translate_error(
    src: &Source,
    text: &str,
    offset: usize,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let mut pos = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    if let ErrorVariant::CustomError { message } = &error.variant
        && message.contains("stack")
    {
        return SyntaxError::TooDeep { limit: MAX_DEPTH }
            .at(&src.loc(Span::new(offset + pos, offset + pos + 1)));
    }
    let mut expected: Vec<String> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(|rule| describe(*rule))
            .map(String::from)
            .collect(),
        ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    if let Some(attempts) = error.parse_attempts() {
        let glue: Vec<String> = attempts
            .expected_tokens()
            .iter()
            .map(ToString::to_string)
            .filter(|token| GLUE.contains(&token.as_str()))
            .map(|token| format!("`{token}`"))
            .collect();
        // A keyword tried further on the same line (`review after 4-6 school_weeks` read `4`
        // and wanted `school_weeks` at `-6`): the author went wrong there, not where the
        // statement began.
        let keywords: Vec<String> = attempts
            .expected_tokens()
            .iter()
            .map(ToString::to_string)
            .filter(|token| {
                token.len() > 2
                    && token.starts_with(|c: char| c.is_ascii_alphabetic())
                    && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .map(|token| format!("`{token}`"))
            .collect();
        let same_line = text
            .get(pos..attempts.max_position)
            .is_some_and(|between| !between.contains('\n'));
        if attempts.max_position == pos {
            expected.extend(glue);
        } else if attempts.max_position > pos && !glue.is_empty() {
            // pest places its error where a rule last failed; when only brackets or joining
            // words were tried further on (`count(L, this_term >= 5` lacks a `)`), that later
            // place is where the author went wrong.
            pos = attempts.max_position;
            expected = glue;
        } else if attempts.max_position > pos && same_line && !keywords.is_empty() {
            pos = attempts.max_position;
            expected = keywords;
        }
    }
    // Inside a policy `calendar` is one of the statements; name it once.
    if expected.iter().any(|e| e.starts_with("a statement")) {
        expected.retain(|e| e != "`calendar`");
    }
    expected.sort();
    expected.dedup();
    let found_text = text.get(pos..).unwrap_or("");
    if let Some((found, at, len, what)) = describe_bad_string(found_text) {
        let span = Span::new(offset + pos + at, offset + pos + at + len);
        return SyntaxError::Unexpected {
            found,
            expected: vec![what],
        }
        .at(&src.loc(span));
    }
    let (found, len) = describe_found(found_text);
    SyntaxError::Unexpected { found, expected }
        .at(&src.loc(Span::new(offset + pos, offset + pos + len)))
}

/// A string that cannot be read fails at its opening quote; say what is wrong with it instead:
/// no closing quote on its line, or an escape the language does not have. Returns what was
/// found, where (offset and length from the quote) and what was expected.
fn describe_bad_string(rest: &str) -> Option<(String, usize, usize, String)> {
    let body = rest.strip_prefix('"')?;
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return None,
            '\\' => match chars.next() {
                Some((_, '"' | '\\' | 'n')) => {}
                Some((j, '\n')) => return Some(unclosed(j)),
                None => break,
                Some((_, other)) => {
                    let len = '\\'.len_utf8() + other.len_utf8();
                    return Some((
                        format!("escape `\\{other}` in a string"),
                        1 + i,
                        len,
                        "`\\\"`, `\\\\` or `\\n`".into(),
                    ));
                }
            },
            '\n' => return Some(unclosed(i)),
            _ => {}
        }
    }
    Some(unclosed(body.len()))
}

fn unclosed(body_len: usize) -> (String, usize, usize, String) {
    (
        "string with no closing quote".into(),
        0,
        1 + body_len,
        "`\"` before the end of the line".into(),
    )
}

fn describe_found(rest: &str) -> (String, usize) {
    let Some(first) = rest.chars().next() else {
        return ("end of file".into(), 0);
    };
    if first == '\n' || first == '\r' {
        return ("end of line".into(), 0);
    }
    if first.is_alphanumeric() || first == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .take(40)
            .collect();
        return (format!("`{word}`"), word.len());
    }
    // A range's second half (`-6` of `4-6`) is shown whole.
    if first == '-' && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
        let len = 1 + rest[1..]
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len() - 1);
        return (format!("`{}`", &rest[..len]), len);
    }
    if first.is_control() || first == '\u{fffd}' {
        return (
            format!("character U+{:04X}", u32::from(first)),
            first.len_utf8(),
        );
    }
    (format!("`{first}`"), first.len_utf8())
}

/// Plain words for the grammar's rules; `None` hides a rule from "expected" lists because a
/// more useful neighbour already says it.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::policy => "`policy \"Name\" {`",
        Rule::calendar => "`calendar`",
        Rule::extends
        | Rule::urn
        | Rule::phase
        | Rule::document
        | Rule::school_type
        | Rule::target
        | Rule::ratified
        | Rule::review
        | Rule::cites
        | Rule::stages
        | Rule::bands
        | Rule::bands_word
        | Rule::ladder_word
        | Rule::define
        | Rule::escalation
        | Rule::trigger
        | Rule::plan
        | Rule::letters
        | Rule::meetings
        | Rule::roles
        | Rule::procedures
        | Rule::penalty_notices
        | Rule::limits => "a statement (`urn`, `calendar`, `bands`, `trigger`, ...)",
        Rule::session
        | Rule::term
        | Rule::half_term
        | Rule::holiday
        | Rule::bank_holiday
        | Rule::inset
        | Rule::closed => {
            "a calendar line (`session`, `term`, `half_term`, `holiday`, `bank_holiday`, `inset`, `closed`)"
        }
        Rule::session_time | Rule::session_time_kind => "`opens`, `late_after` or `closes`",
        Rule::day_line | Rule::day_time | Rule::day_time_kind | Rule::day_span | Rule::day_week => {
            "a school-day line (`gates_open`, `lunch`, `day_ends`, `registers_due`, `school_week`)"
        }
        Rule::day_group | Rule::group_who | Rule::group_phase | Rule::group_years => {
            "`for years 1 to 2` or `for phase primary`"
        }
        Rule::year_number => "a year group (`R`, `1` ... `14`)",
        Rule::date_range => "a date range",
        Rule::stage_entry => "a stage (`name [is framework_stage] [\"text\"]`)",
        Rule::evidence => "`from N possible sessions` (or `days`)",
        Rule::band => "`band`",
        Rule::stage_ref => "`stage`",
        Rule::on_enter => "`on enter:`",
        Rule::range
        | Rule::range_between
        | Rule::range_both
        | Rule::range_one
        | Rule::endpoint
        | Rule::range_below
        | Rule::range_at_most
        | Rule::range_above
        | Rule::range_at_least => "a range of percentages (`90% - 92%`, `below 90%`)",
        Rule::range_op => "a range operator (`-`, `to`, `..`, `..=`, `<..`, `<..=`)",
        Rule::range_and => "`and`",
        Rule::bare_number => "a number (`98`)",
        Rule::endpoint_word | Rule::below_word | Rule::at_most_word => "`below`",
        Rule::above_word | Rule::at_least_word => "`above`",
        Rule::and_or => "`and below` or `or below`",
        Rule::at_most_suffix => "`below`, `under` or `less`",
        Rule::at_least_suffix => "`above`, `over` or `more`",
        Rule::reading => "`read as RANGE`",
        Rule::band_defines => "`defines NAME`",
        Rule::band_or => "`or CONDITION`",
        Rule::band_weekly => "`every school_week: ACTIONS` or `every N school_weeks: ACTIONS`",
        Rule::ladder_order => "`in order` (or `in order after N school_weeks`)",
        Rule::band_held
        | Rule::held_body
        | Rule::held_until_end
        | Rule::held_for
        | Rule::held_until => {
            "`held until end of half_term|term|year`, `held for N school_weeks` or `held until CONDITION`"
        }
        Rule::held_unit => "`school_weeks` or `school_days`",
        Rule::step => "a step (`day N: action`)",
        Rule::when_clause => "`when`",
        Rule::repeat | Rule::repeat_once | Rule::repeat_every | Rule::repeat_not_within => {
            "`once per ...`, `repeat every N school_weeks` or `not again within N school_weeks`"
        }
        Rule::band_repeat => "`once per ...` or `not again within N school_weeks`",
        Rule::period => "`half_term`, `term` or `year`",
        Rule::plan_review | Rule::plan_target | Rule::plan_escalate | Rule::plan_on => {
            "a plan line (`review after`, `target`, `escalate to`, `on open|miss|met:`)"
        }
        Rule::plan_event => "`open`, `miss` or `met`",
        Rule::on_each => "`on each CODE`",
        Rule::schedule => "a statement (`urn`, `calendar`, `bands`, `trigger`, ...)",
        Rule::schedule_row => "a schedule row (`1: 3.5 days`)",
        Rule::schedule_value => "a count or percentage (`3.5 days`, `96%`)",
        Rule::looked_at | Rule::looked_end | Rule::looked_every => {
            "`at end of half_term|term|year` or `every N school_weeks`"
        }
        Rule::review_until => "`to N` (a range of weeks)",
        Rule::judged => "`judged \"criterion\" by ROLE`",
        Rule::actions | Rule::action => "an action (`letter ID`, `meeting ID`, `contact`, ...)",
        Rule::action_target => "an action target",
        Rule::responsible => "`by ROLE`",
        Rule::entry => "an entry (`name \"text\"`)",
        Rule::penalty_threshold | Rule::penalty_limit | Rule::penalty_fine => {
            "a penalty notice line (`threshold`, `limit`, `fine`, `second_fine`)"
        }
        Rule::fine_kind => "`fine` or `second_fine`",
        Rule::threshold_count => "a count (`10 sessions`, `5 days`)",
        Rule::threshold_codes => "`counting {G, N, O, U}`",
        Rule::money => "an amount (`£80`)",
        Rule::limit => "a limit (`register_open 30 minutes`)",
        Rule::limit_unit => "`minutes` or `sessions`",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::negation
        | Rule::comparison
        | Rule::flag => "a condition",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not => "`not`",
        Rule::cmp_op => "a comparison (`<`, `<=`, `>`, `>=`, `==`, `!=`)",
        Rule::operand | Rule::share | Rule::count | Rule::call => "a value or metric",
        Rule::count_unit => "a unit (`sessions`, `days`, `half_days`)",
        Rule::fraction => "a half (`3.5 days`)",
        Rule::argument => "a window or register code",
        Rule::years => "a number of years (`3 years`)",
        Rule::path => "a name",
        Rule::window
        | Rule::year_to_date
        | Rule::this_term
        | Rule::this_half_term
        | Rule::rolling
        | Rule::last => {
            "a window (`year_to_date`, `this_term`, `this_half_term`, `rolling N school_weeks`, `last N school_days`)"
        }
        Rule::code_set => "a set of codes (`{N, O}`)",
        Rule::code => "a register code",
        Rule::ident | Rule::keyword | Rule::word => "a name",
        Rule::string | Rule::string_inner | Rule::curly_inner => "a quoted string",
        Rule::integer => "a whole number",
        Rule::percent => "a percentage (`90%`)",
        Rule::date => "a date (`2024-09-04`)",
        Rule::time => "a time (`09:30`)",
        Rule::EOI => "end of file",
        Rule::policy_file
        | Rule::calendar_file
        | Rule::condition_only
        | Rule::range_only
        | Rule::actions_only
        | Rule::codes_only
        | Rule::window_only
        | Rule::repeat_only
        | Rule::band_repeat_only
        | Rule::time_only
        | Rule::percent_only
        | Rule::schedule_value_only
        | Rule::looked_at_only
        | Rule::held_only
        | Rule::order_only
        | Rule::day_line_only
        | Rule::day_group_only
        | Rule::threshold_count_only
        | Rule::item
        | Rule::calendar_item
        | Rule::plan_item
        | Rule::penalty_item
        | Rule::primary
        | Rule::inline_space
        | Rule::ident_char
        | Rule::WHITESPACE
        | Rule::COMMENT => return None,
    })
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

    fn bands(&mut self, children: Vec<Pr<'_>>) -> BandsAst {
        let fallback = self.src.loc(Span::default());
        let mut label = None;
        let mut metric = None;
        let mut window = None;
        let mut min_possible = None;
        let mut min_possible_written = None;
        let mut bands = Vec::new();
        let mut ladder = None;
        let mut order = None;
        for p in children {
            match p.as_rule() {
                Rule::string => label = Some(self.string(&p)),
                Rule::ident => metric = Some(self.ident(&p)),
                Rule::window => window = Some(self.window(p)),
                Rule::bands_word => {
                    if p.into_inner().next().is_some() {
                        ladder.get_or_insert(LadderAst { order: None });
                    }
                }
                Rule::ladder_order => order = Some(self.order(p)),
                Rule::evidence => {
                    let (n, written) = self.threshold_count(&p);
                    min_possible = Some(n);
                    min_possible_written = written;
                }
                _ => bands.push(self.node(&p, |b, p| b.band(p))),
            }
        }
        BandsAst {
            label,
            metric: metric.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            window: window.unwrap_or_else(|| Sp::new(WindowAst::YearToDate, fallback)),
            min_possible,
            min_possible_written,
            bands,
            trailing: Vec::new(),
            ladder: self.ladder_head(ladder, order),
        }
    }

    fn band(&mut self, pair: Pr<'_>) -> BandAst {
        let mut id = None;
        let mut label = None;
        let mut range = None;
        let mut reading = None;
        let mut or_when = None;
        let mut defines = None;
        let mut stage = None;
        let mut on_enter = Vec::new();
        let mut enter_when = None;
        let mut repeat = None;
        let mut weekly = Vec::new();
        let mut weekly_every = None;
        let mut held = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::ident => id = Some(self.ident(&p)),
                Rule::string => label = Some(self.string(&p)),
                Rule::range => range = Some(self.range(p)),
                Rule::reading => reading = p.into_inner().next().map(|r| self.range(r)),
                Rule::band_or => {
                    or_when = p
                        .into_inner()
                        .find(|e| e.as_rule() == Rule::expr)
                        .map(|e| self.condition(e))
                }
                Rule::band_defines => defines = p.into_inner().next().map(|n| self.ident(&n)),
                Rule::stage_ref => stage = p.into_inner().next().map(|s| self.ident(&s)),
                Rule::band_held => held = Some(self.held(p)),
                Rule::band_weekly => {
                    for a in p.into_inner() {
                        if a.as_rule() == Rule::integer {
                            weekly_every = Some(self.u32(&a));
                        } else {
                            weekly = self.actions(a);
                        }
                    }
                }
                _ => {
                    for part in p.into_inner() {
                        match part.as_rule() {
                            Rule::band_repeat => repeat = Some(self.repeat(part)),
                            Rule::when_clause => {
                                enter_when = part.into_inner().next().map(|e| self.condition(e))
                            }
                            _ => on_enter = self.actions(part),
                        }
                    }
                }
            }
        }
        BandAst {
            id: id.unwrap_or_else(|| self.ident(&pair)),
            label,
            range: range.unwrap_or_else(|| self.sp(&pair, empty_range())),
            reading,
            or_when,
            defines,
            stage,
            enter_when,
            on_enter,
            repeat,
            weekly,
            weekly_every,
            held,
        }
    }

    fn range(&mut self, pair: Pr<'_>) -> Sp<RangeAst> {
        let loc = self.loc(&pair);
        let written = RangeAst::written_text(pair.as_str());
        let Some(shape) = pair.into_inner().next() else {
            return Sp::new(empty_range(), loc);
        };
        let form = match shape.as_rule() {
            Rule::range_between => {
                let mut ends = Vec::new();
                let mut op = RangeOp::Dash;
                for part in shape.into_inner() {
                    if part.as_rule() == Rule::range_op {
                        op = match part.as_str() {
                            ".." => RangeOp::HalfOpen,
                            "..=" => RangeOp::Closed,
                            "<.." => RangeOp::Open,
                            "<..=" => RangeOp::OpenClosed,
                            t if t.eq_ignore_ascii_case("to") => RangeOp::To,
                            _ => RangeOp::Dash,
                        };
                    } else {
                        ends.push(self.endpoint(part));
                    }
                }
                let first = ends.first().copied().unwrap_or(ZERO_END);
                let second = ends.get(1).copied().unwrap_or(ZERO_END);
                RangeForm::Between { first, op, second }
            }
            Rule::range_both => {
                let sides: Vec<OneSided> = shape
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::range_one)
                    .map(|p| self.one_sided(p))
                    .collect();
                let first = sides
                    .first()
                    .copied()
                    .unwrap_or(OneSided::AtLeast(Percent::ZERO));
                let second = sides.get(1).copied().unwrap_or(first);
                RangeForm::Both(first, second)
            }
            _ => RangeForm::One(self.one_sided(shape)),
        };
        Sp::new(RangeAst { written, form }, loc)
    }

    /// `below 90%`, `90% or less`, `at least 96%`, ... (a `range_one`).
    fn one_sided(&mut self, pair: Pr<'_>) -> OneSided {
        let Some(shape) = pair.into_inner().next() else {
            return OneSided::AtLeast(Percent::ZERO);
        };
        let rule = shape.as_rule();
        let value = shape
            .into_inner()
            .find(|p| p.as_rule() == Rule::percent)
            .map_or(Percent::ZERO, |p| self.percent(&p));
        match rule {
            Rule::range_below => OneSided::Below(value),
            Rule::range_at_most => OneSided::AtMost(value),
            Rule::range_above => OneSided::Above(value),
            _ => OneSided::AtLeast(value),
        }
    }

    fn endpoint(&mut self, pair: Pr<'_>) -> Endpoint {
        let mut end = ZERO_END;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::endpoint_word => {
                    let below = part
                        .into_inner()
                        .next()
                        .is_some_and(|w| w.as_rule() == Rule::below_word);
                    end.word = Some(if below {
                        EndWord::Below
                    } else {
                        EndWord::Above
                    });
                }
                Rule::percent => {
                    end.value = self.percent(&part);
                    end.percent_sign = true;
                }
                _ => {
                    end.value = self.percent(&part);
                    end.percent_sign = false;
                }
            }
        }
        end
    }

    fn escalation(&mut self, children: Vec<Pr<'_>>) -> EscalationAst {
        let fallback = self.src.loc(Span::default());
        let mut name = None;
        let mut codes = None;
        let mut steps = Vec::new();
        for p in children {
            match p.as_rule() {
                Rule::string => name = Some(self.string(&p)),
                Rule::code_set => codes = Some(self.code_set(p)),
                _ => steps.push(self.node(&p, |b, p| b.step(p))),
            }
        }
        EscalationAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            codes: codes.unwrap_or_else(|| Sp::new(Vec::new(), fallback)),
            steps,
        }
    }

    fn step(&mut self, pair: Pr<'_>) -> StepAst {
        let mut day = None;
        let mut when = None;
        let mut actions = Vec::new();
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::integer => day = Some(self.u32(&p)),
                Rule::when_clause => when = p.into_inner().next().map(|e| self.condition(e)),
                _ => actions = self.actions(p),
            }
        }
        StepAst {
            day: day.unwrap_or_else(|| self.sp(&pair, 0)),
            when,
            actions,
        }
    }

    fn trigger(&mut self, children: Vec<Pr<'_>>) -> TriggerAst {
        let fallback = self.src.loc(Span::default());
        let mut name = None;
        let mut min_possible = None;
        let mut min_possible_written = None;
        let mut when = None;
        let mut each = None;
        let mut actions = Vec::new();
        let mut stage = None;
        let mut repeat = None;
        let mut looked_at = None;
        for p in children {
            match p.as_rule() {
                Rule::string => name = Some(self.string(&p)),
                Rule::looked_at => looked_at = Some(self.looked_at(p)),
                Rule::on_each => {
                    each = p.into_inner().next().map(|c| {
                        if c.as_rule() == Rule::code_set {
                            self.code_set(c)
                        } else {
                            let code = self.ident(&c);
                            Sp::new(vec![code.clone()], code.loc)
                        }
                    })
                }
                Rule::evidence => {
                    let (n, written) = self.threshold_count(&p);
                    min_possible = Some(n);
                    min_possible_written = written;
                }
                Rule::expr => when = Some(self.condition(p)),
                Rule::actions => actions = self.actions(p),
                Rule::stage_ref => stage = p.into_inner().next().map(|s| self.ident(&s)),
                _ => repeat = Some(self.repeat(p)),
            }
        }
        TriggerAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            min_possible,
            min_possible_written,
            when: when.or_else(|| {
                each.is_none()
                    .then(|| Sp::new(Expr::Flag(String::new()), fallback))
            }),
            each,
            actions,
            stage,
            repeat,
            looked_at,
        }
    }

    fn repeat(&mut self, pair: Pr<'_>) -> Sp<RepeatAst> {
        let loc = self.loc(&pair);
        let inner = pair.into_inner().next();
        let node = match inner {
            Some(p) if p.as_rule() == Rule::repeat_every => {
                let n = p.into_inner().next().map_or(1, |n| self.u32(&n).node);
                RepeatAst::Every { school_weeks: n }
            }
            Some(p) if p.as_rule() == Rule::repeat_not_within => {
                let n = p.into_inner().next().map_or(1, |n| self.u32(&n).node);
                RepeatAst::NotWithin { school_weeks: n }
            }
            Some(p) => {
                let period = match p
                    .into_inner()
                    .next()
                    .map(|w| w.as_str().to_string())
                    .as_deref()
                {
                    Some("half_term") => Period::HalfTerm,
                    Some("year") => Period::Year,
                    _ => Period::Term,
                };
                RepeatAst::OncePer(period)
            }
            None => RepeatAst::OncePer(Period::Term),
        };
        Sp::new(node, loc)
    }

    fn plan(&mut self, children: Vec<Pr<'_>>) -> PlanAst {
        let fallback = self.src.loc(Span::default());
        let mut name = None;
        let mut stage = None;
        let mut items = Vec::new();
        for p in children {
            match p.as_rule() {
                Rule::string => name = Some(self.string(&p)),
                Rule::ident => stage = Some(self.ident(&p)),
                _ => items.push(self.node(&p, |b, p| b.plan_item(p))),
            }
        }
        PlanAst {
            name: name.unwrap_or_else(|| Sp::new(String::new(), fallback.clone())),
            stage: stage.unwrap_or_else(|| Sp::new(String::new(), fallback)),
            items,
        }
    }

    fn plan_item(&mut self, pair: Pr<'_>) -> PlanItem {
        let rule = pair.as_rule();
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        let first = children.first().cloned();
        match (rule, first) {
            (Rule::plan_review, Some(n)) => PlanItem::Review {
                school_weeks: self.u32(&n),
                until: children
                    .get(1)
                    .and_then(|u| u.clone().into_inner().next())
                    .map(|n| self.u32(&n)),
            },
            (Rule::plan_target, Some(j)) if j.as_rule() == Rule::judged => {
                let mut parts = j.clone().into_inner();
                let criterion = parts
                    .next()
                    .map_or_else(|| self.sp(&j, String::new()), |c| self.string(&c));
                let by = parts
                    .next()
                    .map_or_else(|| self.sp(&j, String::new()), |r| self.ident(&r));
                PlanItem::Judged { criterion, by }
            }
            (Rule::plan_target, Some(e)) => PlanItem::Target(self.condition(e)),
            (Rule::plan_escalate, Some(s)) => PlanItem::EscalateTo(self.ident(&s)),
            (_, Some(event)) => {
                let event_kind = match event.as_str() {
                    "open" => PlanEvent::Open,
                    "met" => PlanEvent::Met,
                    _ => PlanEvent::Miss,
                };
                let actions = children
                    .get(1)
                    .map(|a| self.actions(a.clone()))
                    .unwrap_or_default();
                PlanItem::On {
                    event: event_kind,
                    actions,
                }
            }
            (_, None) => PlanItem::Review {
                until: None,
                school_weeks: self.sp(&pair, 0),
            },
        }
    }

    fn penalty_item(&mut self, pair: Pr<'_>) -> PenaltyItem {
        let rule = pair.as_rule();
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        match rule {
            Rule::penalty_threshold => self.penalty_threshold(&pair, &children),
            Rule::penalty_limit => PenaltyItem::Limit {
                notices: self.u32_or_zero(children.first(), &pair),
                years: self.u32_or_zero(children.get(1), &pair),
            },
            _ => {
                let second = children
                    .first()
                    .is_some_and(|k| k.as_str() == "second_fine");
                let pence = match children.get(1) {
                    Some(m) => self.money(m),
                    None => self.sp(&pair, 0),
                };
                let within_days = self.u32_or_zero(children.get(2), &pair);
                PenaltyItem::Fine {
                    second,
                    pence,
                    within_days,
                }
            }
        }
    }

    fn money(&mut self, pair: &Pr<'_>) -> Sp<u64> {
        let text = pair.as_str().trim_start_matches('£');
        let (pounds, pence) = text.split_once('.').unwrap_or((text, "0"));
        let value = pounds
            .parse::<u64>()
            .ok()
            .and_then(|p| p.checked_mul(100))
            .and_then(|p| p.checked_add(pence.parse::<u64>().ok()?));
        let value = value.unwrap_or_else(|| {
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

    fn limit(&mut self, pair: Pr<'_>) -> LimitAst {
        let children: Vec<Pr<'_>> = pair.clone().into_inner().collect();
        LimitAst {
            name: children
                .first()
                .map_or_else(|| self.ident(&pair), |n| self.ident(n)),
            value: self.u32_or_zero(children.get(1), &pair),
            unit: children.get(2).map(|u| self.ident(u)),
        }
    }

    // ------------------------------------------------------------ actions

    fn actions(&mut self, pair: Pr<'_>) -> Vec<Sp<ActionAst>> {
        pair.into_inner().map(|a| self.action(a)).collect()
    }

    fn action(&mut self, pair: Pr<'_>) -> Sp<ActionAst> {
        let loc = self.loc(&pair);
        let mut verb = None;
        let mut target = None;
        let mut note = None;
        let mut by = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::word => verb = Some(self.ident(&p)),
                Rule::action_target => target = p.into_inner().next().map(|t| self.ident(&t)),
                Rule::string => note = Some(self.string(&p)),
                _ => by = p.into_inner().next().map(|r| self.ident(&r)),
            }
        }
        let verb = verb.unwrap_or_else(|| Sp::new(String::new(), loc.clone()));
        Sp::new(
            ActionAst {
                verb,
                target,
                note,
                by,
            },
            loc,
        )
    }

    // ------------------------------------------------------------ conditions

    /// A whole condition (a `when`, a plan's `target`): an expression of at most
    /// [`MAX_TERMS`] terms.
    fn condition(&mut self, pair: Pr<'_>) -> Sp<Expr> {
        let expr = self.expr(pair, 0);
        if let Some(loc) = term_past_limit(&expr) {
            self.errors
                .push(SyntaxError::TooManyTerms { limit: MAX_TERMS }.at(&loc));
        }
        expr
    }

    fn expr(&mut self, pair: Pr<'_>, depth: usize) -> Sp<Expr> {
        let loc = self.loc(&pair);
        if depth > MAX_DEPTH {
            if !self.errors.iter().any(|e| e.code == "syntax::too_deep") {
                self.error(&pair, SyntaxError::TooDeep { limit: MAX_DEPTH });
            }
            return Sp::new(Expr::Flag(String::new()), loc);
        }
        // `depth` counts what an author sees as nesting, parentheses and `not`, so the limit in
        // the message is one they can count; each level is a few grammar rules deep. A nested
        // `expr` is a parenthesised one (the silent `primary` rule leaves no pair of its own).
        let nested = |p: &Pr<'_>| depth + usize::from(p.as_rule() == Rule::expr);
        match pair.as_rule() {
            Rule::expr => match pair.into_inner().next() {
                Some(inner) => self.expr(inner, depth),
                None => Sp::new(Expr::Flag(String::new()), loc),
            },
            Rule::or_expr | Rule::and_expr => {
                let is_or = pair.as_rule() == Rule::or_expr;
                let mut parts: Vec<Sp<Expr>> = pair
                    .into_inner()
                    .filter(|p| !is_keyword_token(p))
                    .map(|p| {
                        let depth = nested(&p);
                        self.expr(p, depth)
                    })
                    .collect();
                if parts.len() == 1
                    && let Some(only) = parts.pop()
                {
                    return only;
                }
                Sp::new(
                    if is_or {
                        Expr::Or(parts)
                    } else {
                        Expr::And(parts)
                    },
                    loc,
                )
            }
            Rule::not_expr => match pair.into_inner().next() {
                Some(inner) => {
                    let depth = nested(&inner);
                    self.expr(inner, depth)
                }
                None => Sp::new(Expr::Flag(String::new()), loc),
            },
            Rule::negation => match pair.into_inner().find(|p| !is_keyword_token(p)) {
                Some(inner) => {
                    let operand = self.expr(inner, depth + 1);
                    Sp::new(Expr::Not(Box::new(operand)), loc)
                }
                None => Sp::new(Expr::Flag(String::new()), loc),
            },
            Rule::comparison => {
                let parts: Vec<Pr<'_>> = pair.into_inner().collect();
                match parts.as_slice() {
                    [lhs, op, rhs] => {
                        let op = match op.as_str() {
                            "<" => CmpOp::Lt,
                            "<=" | "\u{2264}" => CmpOp::Le,
                            ">" => CmpOp::Gt,
                            "==" => CmpOp::Eq,
                            "!=" | "\u{2260}" => CmpOp::Ne,
                            _ => CmpOp::Ge,
                        };
                        let lhs = self.operand(lhs.clone());
                        let rhs = self.operand(rhs.clone());
                        Sp::new(Expr::Compare { lhs, op, rhs }, loc)
                    }
                    _ => Sp::new(Expr::Flag(String::new()), loc),
                }
            }
            Rule::flag => Sp::new(Expr::Flag(pair.as_str().to_string()), loc),
            // `( expr )` arrives as the inner expr itself.
            _ => Sp::new(Expr::Flag(pair.as_str().to_string()), loc),
        }
    }

    fn operand(&mut self, pair: Pr<'_>) -> Sp<Operand> {
        let loc = self.loc(&pair);
        let inner = if pair.as_rule() == Rule::operand {
            pair.into_inner().next()
        } else {
            Some(pair)
        };
        let Some(inner) = inner else {
            return Sp::new(Operand::Path(String::new()), loc);
        };
        let node = match inner.as_rule() {
            Rule::percent => Operand::Percent(self.percent(&inner)),
            Rule::count => {
                let mut value = 0;
                let mut half = false;
                let mut unit = None;
                let written = inner.clone();
                for part in inner.into_inner() {
                    match part.as_rule() {
                        Rule::integer => value = self.u32(&part).node,
                        Rule::fraction => {
                            // A half is the only fraction of a count: half a day is a session.
                            let digits = part.as_str().trim_start_matches('.');
                            if digits.trim_end_matches('0') == "5" {
                                half = true;
                            } else if !digits.bytes().all(|b| b == b'0') {
                                self.error(
                                    &written,
                                    SyntaxError::NotWholeOrHalf {
                                        text: format!("{value}{}", part.as_str()),
                                    },
                                );
                            }
                        }
                        _ => {
                            unit = Some(match part.as_str() {
                                "sessions" => CountUnit::Sessions,
                                "session" => CountUnit::Session,
                                "school_days" => CountUnit::SchoolDays,
                                "half_days" => CountUnit::HalfDays,
                                "half_day" => CountUnit::HalfDay,
                                "day" => CountUnit::Day,
                                _ => CountUnit::Days,
                            })
                        }
                    }
                }
                Operand::Count { value, half, unit }
            }
            Rule::share => {
                let mut parts = inner.into_inner();
                let percent = parts.next().map_or(Percent::ZERO, |p| self.percent(&p));
                let of = match parts.next() {
                    Some(call) => self.operand(call),
                    None => Sp::new(Operand::Path(String::new()), loc.clone()),
                };
                Operand::Share {
                    percent,
                    of: Box::new(of),
                }
            }
            Rule::call => {
                let mut parts = inner.into_inner();
                let name = match parts.next() {
                    Some(n) => self.ident(&n),
                    None => Sp::new(String::new(), loc.clone()),
                };
                let args = parts.map(|a| self.argument(a)).collect();
                Operand::Call { name, args }
            }
            _ => Operand::Path(inner.as_str().to_string()),
        };
        Sp::new(node, loc)
    }

    fn argument(&mut self, pair: Pr<'_>) -> Sp<Argument> {
        let loc = self.loc(&pair);
        let node = match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::window => Argument::Window(self.window(p).node),
            Some(p) if p.as_rule() == Rule::code_set => Argument::Codes(self.code_set(p).node),
            Some(p) if p.as_rule() == Rule::years => {
                Argument::Years(p.into_inner().next().map_or(0, |n| self.u32(&n).node))
            }
            Some(p) => Argument::Code(p.as_str().to_string()),
            None => Argument::Codes(Vec::new()),
        };
        Sp::new(node, loc)
    }

    fn window(&mut self, pair: Pr<'_>) -> Sp<WindowAst> {
        let loc = self.loc(&pair);
        let inner = if pair.as_rule() == Rule::window {
            pair.into_inner().next()
        } else {
            Some(pair)
        };
        let node = match inner {
            Some(p) => match p.as_rule() {
                Rule::this_term => WindowAst::ThisTerm,
                Rule::this_half_term => WindowAst::ThisHalfTerm,
                Rule::rolling => WindowAst::Rolling {
                    school_weeks: p.into_inner().next().map_or(0, |n| self.u32(&n).node),
                },
                Rule::last => WindowAst::Last {
                    school_days: p.into_inner().next().map_or(0, |n| self.u32(&n).node),
                },
                _ => WindowAst::YearToDate,
            },
            None => WindowAst::YearToDate,
        };
        Sp::new(node, loc)
    }

    fn code_set(&mut self, pair: Pr<'_>) -> Sp<Vec<Sp<String>>> {
        let loc = self.loc(&pair);
        let codes = pair.into_inner().map(|c| self.ident(&c)).collect();
        Sp::new(codes, loc)
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
