//! Reading a feed: the structure checked line by line (so an unterminated `BEGIN` is reported
//! where it is), the `icalendar` crate's parser for the content lines, then each `VEVENT` as
//! one or more [`Event`]s in London clock time, its `RRULE` expanded by the `rrule` crate.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use icalendar::parser::{Component, Property};
use icalendar::{CalendarDateTime, DatePerhapsTime};

use super::error::IcsError;
use crate::diagnostic::{Diagnostic, Problem};
use crate::source::{Loc, Source, Span};

/// Components nest no deeper than this (VCALENDAR › VEVENT › VALARM is three).
const MAX_DEPTH: usize = 8;
/// Occurrences of one `RRULE` used: a year of school days is under 200.
pub const MAX_REPEATS: usize = 400;
/// Events in a feed, recurrences counted: a school year's term dates are a few dozen, and
/// the mapping's checks compare closures pairwise.
pub const MAX_EVENTS: usize = 10_000;
/// The years a date may fall in: a school's term dates, with room either side.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

fn in_range(m: Moment) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&m.date().year())
}

/// One occurrence of an event: its summary and when it starts and ends, in London clock time.
#[derive(Clone, Debug)]
pub struct Event {
    pub summary: String,
    pub start: Moment,
    /// Exclusive, as iCalendar's `DTEND`; `None` when the feed gives neither an end nor a
    /// duration.
    pub end: Option<Moment>,
    /// The event's `SUMMARY` line (its `BEGIN:VEVENT` line when it has none).
    pub loc: Loc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Moment {
    Date(NaiveDate),
    Time(NaiveDateTime),
}

impl Moment {
    pub fn date(self) -> NaiveDate {
        match self {
            Moment::Date(d) => d,
            Moment::Time(t) => t.date(),
        }
    }
}

/// The feed unfolded, with where each piece of the unfolded text was in the file.
struct Unfolded {
    text: String,
    /// `(offset in text, offset in the file)` at the start of each piece between folds.
    map: Vec<(usize, usize)>,
}

impl Unfolded {
    /// Written here rather than taken from `icalendar::parser::unfold` (which removes the same
    /// `CRLF SPACE` / `LF SPACE` / tab folds) because a located error needs the file offset
    /// of every unfolded byte.
    fn new(file: &str) -> Unfolded {
        let bytes = file.as_bytes();
        let mut text = String::with_capacity(file.len());
        let mut map = vec![(0, 0)];
        let (mut i, mut piece) = (0, 0);
        while i < bytes.len() {
            let fold = match bytes.get(i..i + 3) {
                Some([b'\r', b'\n', b' ' | b'\t']) => 3,
                _ => match bytes.get(i..i + 2) {
                    Some([b'\n', b' ' | b'\t']) => 2,
                    _ => 0,
                },
            };
            if fold > 0 {
                text.push_str(file.get(piece..i).unwrap_or(""));
                i += fold;
                piece = i;
                map.push((text.len(), i));
            } else {
                i += 1;
            }
        }
        text.push_str(file.get(piece..).unwrap_or(""));
        Unfolded { text, map }
    }

    fn file_offset(&self, at: usize) -> usize {
        let k = self.map.partition_point(|(u, _)| *u <= at);
        let (u, f) = self.map.get(k.saturating_sub(1)).copied().unwrap_or((0, 0));
        f + (at - u)
    }

    /// Where `part`, a slice of the unfolded text, was in the file; `None` for text the
    /// parser copied.
    fn offset_of(&self, part: &str) -> Option<usize> {
        let base = self.text.as_ptr() as usize;
        let at = (part.as_ptr() as usize).checked_sub(base)?;
        (at <= self.text.len()).then(|| self.file_offset(at))
    }
}

/// A file's line from `start` to its end, as a location.
fn line_loc(src: &Source, start: usize) -> Loc {
    let text = src.text();
    let start = start.min(text.len());
    let end = text
        .get(start..)
        .and_then(|rest| rest.find(['\r', '\n']))
        .map_or(text.len(), |n| start + n);
    src.loc(Span::new(start, end.max(start)))
}

/// True when `text` is an iCalendar file, whatever its name.
pub fn is_icalendar(text: &str) -> bool {
    let head = text.trim_start_matches('\u{feff}').trim_start();
    head.get(..15)
        .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
}

/// Every event of the feed, recurring ones expanded, with the warnings reading them gave.
pub fn events(src: &Source) -> Result<(Vec<Event>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let unfolded = Unfolded::new(src.text());
    structure(src, &unfolded)?;
    let components = match icalendar::parser::read_calendar_simple(&unfolded.text) {
        Ok(c) => c,
        Err(e) => {
            let at = unfolded.offset_of(e.input).unwrap_or(0);
            let line_start = src
                .text()
                .get(..at)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |n| n + 1);
            return Err(vec![IcsError::BadLine.at(&line_loc(src, line_start))]);
        }
    };
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    for root in &components {
        for event in root
            .components
            .iter()
            .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        {
            match read_event(src, &unfolded, event, &mut notes) {
                Ok(mut found) => out.append(&mut found),
                Err(e) => errors.push(*e),
            }
            if out.len() > MAX_EVENTS {
                let at = event
                    .properties
                    .first()
                    .and_then(|p| unfolded.offset_of(p.name.as_str()))
                    .unwrap_or(0);
                return Err(vec![
                    IcsError::TooManyEvents { limit: MAX_EVENTS }.at(&line_loc(src, at)),
                ]);
            }
        }
    }
    if errors.is_empty() {
        Ok((out, notes))
    } else {
        Err(errors)
    }
}

/// `BEGIN` and `END` lines paired, so a broken structure is reported at its line rather than
/// wherever the parser gave up.
fn structure(src: &Source, unfolded: &Unfolded) -> Result<(), Vec<Diagnostic>> {
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut first = true;
    let mut at = 0;
    for line in unfolded.text.split_inclusive('\n') {
        let here = unfolded.file_offset(at);
        at += line.len();
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        let upper = |n: usize| line.get(..n).map(str::to_ascii_uppercase);
        if first {
            first = false;
            if upper(15).as_deref() != Some("BEGIN:VCALENDAR") {
                return Err(vec![IcsError::NotICalendar.at(&line_loc(src, here))]);
            }
        }
        if upper(6).as_deref() == Some("BEGIN:") {
            let name = line.get(6..).unwrap_or("").trim();
            open.push((name, here));
            if open.len() > MAX_DEPTH {
                return Err(vec![
                    IcsError::TooDeep { limit: MAX_DEPTH }.at(&line_loc(src, here)),
                ]);
            }
        } else if upper(4).as_deref() == Some("END:") {
            let name = line.get(4..).unwrap_or("").trim();
            match open.pop() {
                None => {
                    return Err(vec![
                        IcsError::UnexpectedEnd { name: name.into() }.at(&line_loc(src, here)),
                    ]);
                }
                Some((begun, begun_at)) if !begun.eq_ignore_ascii_case(name) => {
                    return Err(vec![
                        IcsError::MismatchedEnd {
                            found: name.into(),
                            open: begun.into(),
                        }
                        .at(&line_loc(src, here))
                        .with_related(&line_loc(src, begun_at), "the component begins here"),
                    ]);
                }
                Some(_) => {}
            }
        } else if open.is_empty() || !content_line(line) {
            return Err(vec![IcsError::BadLine.at(&line_loc(src, here))]);
        }
    }
    if first {
        return Err(vec![IcsError::NotICalendar.at(&src.loc(Span::new(0, 0)))]);
    }
    if let Some((name, here)) = open.first() {
        let (name, here) = open.last().copied().unwrap_or((name, *here));
        return Err(vec![
            IcsError::Unterminated { name: name.into() }.at(&line_loc(src, here)),
        ]);
    }
    Ok(())
}

/// `NAME:value` or `NAME;PARAM=x:value`, the name of letters, digits and dashes.
fn content_line(line: &str) -> bool {
    let name_end = line.find([':', ';']).unwrap_or(0);
    name_end > 0
        && line.contains(':')
        && line
            .get(..name_end)
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

fn find<'a>(event: &'a Component<'a>, name: &str) -> Option<&'a Property<'a>> {
    event
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'a>(property: &'a Property<'a>, key: &str) -> Option<&'a str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str())
}

fn prop_loc(src: &Source, unfolded: &Unfolded, property: &Property, fallback: &Loc) -> Loc {
    match unfolded.offset_of(property.name.as_str()) {
        Some(at) => line_loc(src, at),
        None => fallback.clone(),
    }
}

fn read_event(
    src: &Source,
    unfolded: &Unfolded,
    event: &Component,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Event>, Box<Diagnostic>> {
    let begin = event
        .properties
        .first()
        .map(|p| prop_loc(src, unfolded, p, &src.loc(Span::new(0, 0))))
        .unwrap_or_else(|| src.loc(Span::new(0, 0)));
    if find(event, "STATUS").is_some_and(|s| s.val.as_str().eq_ignore_ascii_case("CANCELLED")) {
        return Ok(Vec::new());
    }
    let summary_prop = find(event, "SUMMARY");
    let summary = summary_prop
        .map(|p| unescape(p.val.as_str()))
        .unwrap_or_default();
    let loc = summary_prop.map_or(begin.clone(), |p| prop_loc(src, unfolded, p, &begin));
    let Some(dtstart) = find(event, "DTSTART") else {
        return Err(Box::new(IcsError::NoStart { summary }.at(&loc)));
    };
    let start = moment(src, unfolded, dtstart, &loc, notes)?;
    let end = match (find(event, "DTEND"), find(event, "DURATION")) {
        (Some(p), _) => Some(moment(src, unfolded, p, &loc, notes)?),
        (None, Some(p)) => {
            let span = duration(p.val.as_str()).ok_or_else(|| {
                IcsError::BadDuration {
                    text: p.val.as_str().into(),
                }
                .at(&prop_loc(src, unfolded, p, &loc))
            })?;
            Some(add(start, span))
        }
        (None, None) => None,
    };
    for m in std::iter::once(start).chain(end) {
        if !in_range(m) {
            return Err(Box::new(
                IcsError::OutOfRange {
                    date: m.date().to_string(),
                    first: FIRST_YEAR,
                    last: LAST_YEAR,
                }
                .at(&loc),
            ));
        }
    }
    let first = Event {
        summary,
        start,
        end,
        loc,
    };
    match find(event, "RRULE") {
        None => Ok(vec![first]),
        Some(rule) => {
            let rule_loc = prop_loc(src, unfolded, rule, &first.loc);
            let mut exdates = Vec::new();
            for p in event
                .properties
                .iter()
                .filter(|p| p.name.as_str().eq_ignore_ascii_case("EXDATE"))
            {
                for value in p.val.as_str().split(',') {
                    let one = Property {
                        name: p.name.clone(),
                        val: value.trim().into(),
                        params: p.params.clone(),
                    };
                    exdates.push(moment(src, unfolded, &one, &first.loc, notes)?);
                }
            }
            repeat(&first, rule.val.as_str(), &exdates, &rule_loc, notes)
        }
    }
}

/// A DTSTART, DTEND or EXDATE value in London clock time.
fn moment(
    src: &Source,
    unfolded: &Unfolded,
    property: &Property,
    fallback: &Loc,
    notes: &mut Vec<Diagnostic>,
) -> Result<Moment, Box<Diagnostic>> {
    let here = || prop_loc(src, unfolded, property, fallback);
    let bad = || {
        Box::new(
            IcsError::BadDate {
                text: property.val.as_str().into(),
            }
            .at(&here()),
        )
    };
    let value = DatePerhapsTime::try_from(property).map_err(|_| bad())?;
    Ok(match value {
        DatePerhapsTime::Date(d) => Moment::Date(d),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(t)) => Moment::Time(t),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => Moment::Time(london(t.naive_utc())),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            let tz = tzid.trim_matches('"').to_ascii_lowercase();
            if matches!(tz.as_str(), "utc" | "etc/utc" | "z" | "gmt" | "etc/gmt") {
                Moment::Time(london(date_time))
            } else {
                // A school in England publishes London times; Outlook names the same zone
                // `GMT Standard Time`.
                if !(tz.contains("london")
                    || tz.contains("gmt standard")
                    || tz.contains("greenwich"))
                {
                    notes.push(IcsError::ForeignTimeZone { tzid }.at(&here()));
                }
                Moment::Time(date_time)
            }
        }
    })
    .and_then(|m| match param(property, "VALUE") {
        Some(v) if v.eq_ignore_ascii_case("DATE") && matches!(m, Moment::Time(_)) => Err(bad()),
        _ => Ok(m),
    })
}

/// A UTC clock time as London's (GMT in winter, BST in summer).
fn london(utc: NaiveDateTime) -> NaiveDateTime {
    rrule::Tz::Europe__London
        .from_utc_datetime(&utc)
        .naive_local()
}

/// An iCalendar duration (`P1D`, `P2W`, `PT6H30M`, `P1DT2H`) as whole days and minutes.
fn duration(text: &str) -> Option<(u64, u64)> {
    let body = text.trim().strip_prefix('+').unwrap_or(text.trim());
    let body = body.strip_prefix('P')?;
    let (mut days, mut minutes, mut in_time, mut number) = (0u64, 0u64, false, None::<u64>);
    for c in body.chars() {
        match c {
            '0'..='9' => {
                let digit = u64::from(c.to_digit(10)?);
                number = Some(number.unwrap_or(0).checked_mul(10)?.checked_add(digit)?);
            }
            'T' if !in_time && number.is_none() => in_time = true,
            'W' if !in_time => days = days.checked_add(number.take()?.checked_mul(7)?)?,
            'D' if !in_time => days = days.checked_add(number.take()?)?,
            'H' if in_time => minutes = minutes.checked_add(number.take()?.checked_mul(60)?)?,
            'M' if in_time => minutes = minutes.checked_add(number.take()?)?,
            'S' if in_time => {
                number.take()?;
            }
            _ => return None,
        }
    }
    (number.is_none() && days <= 3660).then_some((days, minutes))
}

fn add(start: Moment, (days, minutes): (u64, u64)) -> Moment {
    match start {
        Moment::Date(d) => Moment::Date(d.checked_add_days(Days::new(days)).unwrap_or(d)),
        Moment::Time(t) => Moment::Time(
            t.checked_add_days(Days::new(days))
                .and_then(|t| {
                    t.checked_add_signed(chrono::Duration::minutes(i64::try_from(minutes).ok()?))
                })
                .unwrap_or(t),
        ),
    }
}

/// The occurrences of a recurring event, by the `rrule` crate (RFC 5545's expansion has
/// enough corners, BYDAY with ordinals and UNTIL among them, that a maintained crate is
/// safer than a hand-written loop). Expanded in London time so a weekly 09:00 stays 09:00
/// across the clocks changing.
fn repeat(
    first: &Event,
    text: &str,
    exdates: &[Moment],
    loc: &Loc,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Event>, Box<Diagnostic>> {
    let fail = |reason: String| {
        Box::new(
            IcsError::BadRule {
                text: text.into(),
                reason,
            }
            .at(loc),
        )
    };
    // RFC 5545's recur grammar is ASCII, and the crate reads a weekday as its last two bytes
    // unchecked: a no-break space pasted from a web page made `TH\u{a0}R` panic and `TH\u{a0}FR`
    // read as `FR`, the Thursday lost without a word.
    if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
        let named = if c == '\u{a0}' {
            " (a no-break space)"
        } else {
            ""
        };
        return Err(fail(format!(
            "it holds the character U+{:04X}{named}, and a rule is plain ASCII",
            u32::from(c)
        )));
    }
    let naive = match first.start {
        Moment::Date(d) => d.and_time(NaiveTime::MIN),
        Moment::Time(t) => t,
    };
    let tz = rrule::Tz::Europe__London;
    let dtstart = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| fail("its start is not a London clock time".into()))?;
    // The crate wants UNTIL in UTC when DTSTART has a zone; feeds write a date (the end of
    // that day, for all-day events) or a London clock time.
    let until_utc = |v: &str| -> Option<String> {
        let local = match v.len() {
            8 => NaiveDate::parse_from_str(v, "%Y%m%d")
                .ok()?
                .and_hms_opt(23, 59, 59)?,
            15 => NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok()?,
            _ => return None,
        };
        let utc = tz.from_local_datetime(&local).earliest()?.naive_utc();
        Some(utc.format("%Y%m%dT%H%M%SZ").to_string())
    };
    let rule_text: String = text
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("UNTIL") => match until_utc(v) {
                Some(utc) => format!("UNTIL={utc}"),
                None => part.to_string(),
            },
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";");
    let rule: rrule::RRule<rrule::Unvalidated> = rule_text
        .parse()
        .map_err(|e: rrule::RRuleError| fail(e.to_string()))?;
    let set = rule.build(dtstart).map_err(|e| fail(e.to_string()))?;
    let limit = u16::try_from(MAX_REPEATS + 1).unwrap_or(u16::MAX);
    let found = set.all(limit);
    // Only an event about term dates is worth a warning: a weekly club may run for ever.
    if found.dates.len() > MAX_REPEATS
        && super::classify::classify(&first.summary) != super::Kind::Other
    {
        notes.push(
            IcsError::TooManyRepeats {
                summary: first.summary.clone(),
                limit: MAX_REPEATS,
            }
            .at(loc),
        );
    }
    // Each occurrence lasts as long as the first; an end past the calendar's range is dropped.
    let shift = |m: Option<Moment>, to: NaiveDateTime| -> Option<Moment> {
        let m = m?;
        Some(match (first.start, m) {
            (Moment::Date(s), Moment::Date(e)) => {
                Moment::Date(to.date().checked_add_signed(e - s)?)
            }
            (Moment::Time(s), Moment::Time(e)) => Moment::Time(to.checked_add_signed(e - s)?),
            (Moment::Date(s), Moment::Time(e)) => {
                Moment::Time(to.checked_add_signed(e - s.and_time(NaiveTime::MIN))?)
            }
            (Moment::Time(s), Moment::Date(e)) => {
                Moment::Date(to.date().checked_add_signed(e - s.date())?)
            }
        })
    };
    Ok(found
        .dates
        .iter()
        .take(MAX_REPEATS)
        .map(|d| d.naive_local())
        .filter(|t| {
            !exdates.iter().any(|x| match x {
                Moment::Date(d) => *d == t.date(),
                Moment::Time(x) => x == t,
            })
        })
        .map(|t| Event {
            summary: first.summary.clone(),
            start: match first.start {
                Moment::Date(_) => Moment::Date(t.date()),
                Moment::Time(_) => Moment::Time(t),
            },
            end: shift(first.end, t),
            loc: first.loc.clone(),
        })
        .filter(|e| in_range(e.start) && e.end.is_none_or(in_range))
        .collect())
}

/// A TEXT value with its escapes (`\,`, `\;`, `\n`, `\\`) undone.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolding_keeps_file_offsets() {
        let file = "BEGIN:VCALENDAR\r\nSUMMARY:Autumn \r\n term\r\nEND:VCALENDAR";
        let u = Unfolded::new(file);
        assert_eq!(
            u.text,
            "BEGIN:VCALENDAR\r\nSUMMARY:Autumn term\r\nEND:VCALENDAR"
        );
        // `term` is at 32 in the unfolded text and 35 in the file (after `\r\n `).
        let at = u.text.find("term").unwrap_or(0);
        assert_eq!(u.file_offset(at), file.find("term").unwrap_or(0));
    }

    #[test]
    fn durations() {
        assert_eq!(duration("P1D"), Some((1, 0)));
        assert_eq!(duration("P2W"), Some((14, 0)));
        assert_eq!(duration("PT6H30M"), Some((0, 390)));
        assert_eq!(duration("P1DT1H"), Some((1, 60)));
        assert_eq!(duration("P"), Some((0, 0)));
        assert_eq!(duration("1D"), None);
        assert_eq!(duration("PD"), None);
    }

    #[test]
    fn utc_is_london_time() {
        // 14:00 UTC on 25 October 2024 is 15:00 BST; on 1 November it is 14:00 GMT.
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").ok();
        assert_eq!(
            Some(london(t("2024-10-25 14:00").unwrap_or_default())),
            t("2024-10-25 15:00")
        );
        assert_eq!(
            Some(london(t("2024-11-01 14:00").unwrap_or_default())),
            t("2024-11-01 14:00")
        );
    }
}
