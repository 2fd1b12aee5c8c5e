//! pest's errors in an author's words: where, what was found (an unclosed string, a stray
//! word), and what could have come there, named by what the grammar rules mean.

use super::*;

/// pest's "expected" list names only the grammar's rules; with error detail on it also keeps
/// the literal words and brackets it tried (`}`, `then`, `and`), which are most often what an
/// author left out. The setting is process-wide and read when a parse starts, so it is turned
/// on once and never off: the same text always gets the same message.
pub(super) fn enable_error_detail() {
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
pub(super) fn translate_error(
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
        Rule::on_enter | Rule::enter_also => "`on enter:`",
        Rule::day_session => "`am` or `pm`",
        Rule::band_at_once => "`at once when CONDITION`",
        Rule::plan_every => "`every school_week: ACTIONS` or `every N school_weeks: ACTIONS`",
        Rule::band_days | Rule::band_days_body => "`absence N days` or `absence N - M days`",
        Rule::band_days_sep => "`-` or `to`",
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
        | Rule::band_days_only
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
