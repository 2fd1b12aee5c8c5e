//! Events to academic years: term boundaries paired into terms, closures merged, INSET days
//! and half-terms checked, missing bank holidays filled, and the `.calendar` text written.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

use super::classify::{Kind, classify, season, some_year_groups};
use super::error::IcsError;
use super::read::{Event, Moment};
use super::{Closure, HalfDay, Imported, Term, Unused};
use crate::diagnostic::{Diagnostic, Problem};
use crate::source::Loc;

/// A term start within this many days of an open term's start is the same term starting for
/// other year groups; later, the open term never ended.
const STAGGERED_START_DAYS: i64 = 14;

fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)
}

fn next(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1)).unwrap_or(d)
}

fn prev(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(1)).unwrap_or(d)
}

fn weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// `2024-25` for any date from August 2024 to July 2025.
pub fn academic_year(d: NaiveDate) -> String {
    let y = if d.month() >= 8 {
        d.year()
    } else {
        d.year() - 1
    };
    format!("{y}-{:02}", (y + 1).rem_euclid(100))
}

fn range(first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first} .. {last}")
    }
}

/// The days an event touches, first and last, inclusive: an all-day `DTEND` is the day after
/// the last, a timed end at midnight ends the day before.
fn touched(e: &Event) -> (NaiveDate, NaiveDate) {
    let first = e.start.date();
    let last = match e.end {
        None => first,
        Some(Moment::Date(end)) => prev(end),
        Some(Moment::Time(end)) if end.time() == NaiveTime::MIN => prev(end.date()),
        Some(Moment::Time(end)) => end.date(),
    };
    (first, last.max(first))
}

/// The days a closure closes: a timed closure closes a day when it covers that day's noon, so
/// a half-term from 15:00 on a Friday leaves the Friday a school day (a half day) and an
/// INSET morning to 12:00 closes no day. Half days are noted.
fn closed(e: &Event, half_days: &mut Vec<HalfDay>) -> Option<(NaiveDate, NaiveDate)> {
    let (first, last) = match (e.start, e.end) {
        (Moment::Date(_), _) => touched(e),
        (Moment::Time(s), None) => (s.date(), s.date()),
        (Moment::Time(s), Some(end)) => {
            let first = if s.time() <= noon() {
                s.date()
            } else {
                next(s.date())
            };
            if s.time() > noon() && weekday(s.date()) {
                half_days.push(HalfDay {
                    date: s.date(),
                    summary: e.summary.clone(),
                    what: format!("the afternoon closed from {}", s.format("%H:%M")),
                    loc: e.loc.clone(),
                });
            }
            let last = match end {
                Moment::Date(d) => prev(d),
                Moment::Time(t) if t.time() > noon() => t.date(),
                Moment::Time(t) => {
                    if t.time() > NaiveTime::MIN && weekday(t.date()) && t > s {
                        half_days.push(HalfDay {
                            date: t.date(),
                            summary: e.summary.clone(),
                            what: format!("the morning closed until {}", t.format("%H:%M")),
                            loc: e.loc.clone(),
                        });
                    }
                    prev(t.date())
                }
            };
            (first, last)
        }
    };
    (first <= last).then_some((first, last))
}

struct Marker<'a> {
    date: NaiveDate,
    start: bool,
    event: &'a Event,
}

struct OpenTerm<'a> {
    start: NaiveDate,
    event: &'a Event,
}

pub fn build(
    events: &[Event],
    file_name: &str,
    first_loc: &Loc,
) -> Result<Imported, Vec<Diagnostic>> {
    let mut notes: Vec<Diagnostic> = Vec::new();
    let mut half_days = Vec::new();
    let mut unused = Vec::new();
    // Duplicates: the same wording on the same days, as when two calendars are merged.
    let mut seen = BTreeSet::new();
    let mut kept: Vec<(&Event, Kind)> = Vec::new();
    for e in events {
        let kind = classify(&e.summary);
        let (first, last) = touched(e);
        if kind == Kind::Other {
            unused.push(Unused {
                date: first,
                count: 1,
                summary: e.summary.clone(),
                why: "not about term dates",
            });
            continue;
        }
        if !seen.insert((kind, e.summary.to_lowercase(), e.start, e.end)) {
            notes.push(
                IcsError::Duplicate {
                    summary: e.summary.clone(),
                    dates: range(first, last),
                }
                .at(&e.loc),
            );
            continue;
        }
        kept.push((e, kind));
    }

    // Terms: boundaries in date order, each start paired with the next end.
    let mut markers: Vec<Marker> = Vec::new();
    for (e, kind) in &kept {
        let (first, last) = touched(e);
        match kind {
            Kind::TermStart => markers.push(Marker {
                date: first,
                start: true,
                event: e,
            }),
            Kind::TermEnd => markers.push(Marker {
                date: last,
                start: false,
                event: e,
            }),
            Kind::TermSpan => {
                markers.push(Marker {
                    date: first,
                    start: true,
                    event: e,
                });
                markers.push(Marker {
                    date: last,
                    start: false,
                    event: e,
                });
            }
            _ => {}
        }
        if *kind == Kind::TermStart && some_year_groups(&e.summary) {
            notes.push(
                IcsError::SomeYearGroups {
                    summary: e.summary.clone(),
                    date: first.to_string(),
                }
                .at(&e.loc),
            );
        }
    }
    markers.sort_by_key(|m| (m.date, !m.start));
    let mut terms: Vec<(NaiveDate, NaiveDate, &Event, &Event)> = Vec::new();
    let mut open: Option<OpenTerm> = None;
    // Term boundaries left unpaired: reported once the feed's academic years are known.
    let mut unpaired: Vec<(&Event, NaiveDate, bool)> = Vec::new();
    for m in &markers {
        if m.start {
            match &open {
                Some(o) if (m.date - o.start).num_days() <= STAGGERED_START_DAYS => {}
                Some(o) => {
                    unpaired.push((o.event, o.start, true));
                    open = Some(OpenTerm {
                        start: m.date,
                        event: m.event,
                    });
                }
                None if terms.last().is_some_and(|t| m.date <= t.1) => {}
                None => {
                    open = Some(OpenTerm {
                        start: m.date,
                        event: m.event,
                    })
                }
            }
        } else if let Some(o) = open.take() {
            terms.push((o.start, m.date, o.event, m.event));
        } else {
            match terms.last_mut() {
                // A second end soon after the first (one for some year groups, one for all):
                // the term ends on the later.
                Some(t) if (m.date - t.1).num_days() <= STAGGERED_START_DAYS => {
                    t.1 = t.1.max(m.date);
                }
                _ => unpaired.push((m.event, m.date, false)),
            }
        }
    }
    if let Some(o) = open {
        unpaired.push((o.event, o.start, true));
    }
    if terms.is_empty() {
        let mut errors = vec![IcsError::NoTerms.at(first_loc)];
        errors.extend(notes.into_iter().filter(Diagnostic::is_error));
        return Err(errors);
    }
    let years: BTreeSet<String> = terms.iter().map(|t| academic_year(t.0)).collect();
    for (e, date, starts) in unpaired {
        let (summary, at) = (e.summary.clone(), date.to_string());
        let problem = if !years.contains(&academic_year(date)) {
            unused.push(Unused {
                date,
                count: 1,
                summary: e.summary.clone(),
                why: "in an academic year with no term in the feed",
            });
            IcsError::WrongAcademicYear {
                summary,
                date: at,
                year: academic_year(date),
            }
        } else if starts {
            IcsError::TermWithoutEnd { summary, date: at }
        } else {
            IcsError::EndWithoutTerm { summary, date: at }
        };
        notes.push(problem.at(&e.loc));
    }

    // Term names: the season the feed names, else the one its start month falls in.
    let mut out_terms: Vec<Term> = Vec::new();
    for (start, end, from, to) in &terms {
        let base = season(&from.summary)
            .or_else(|| season(&to.summary))
            .unwrap_or(match start.month() {
                8..=12 => "autumn",
                1..=3 => "spring",
                _ => "summer",
            });
        let year = academic_year(*start);
        let mut name = base.to_string();
        let mut n = 1;
        while out_terms.iter().any(|t| t.year == year && t.name == name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        out_terms.push(Term {
            year,
            name,
            start: *start,
            end: *end,
            loc: from.loc.clone(),
        });
    }

    // Closures: the days each closes, checked, then those of one kind that overlap merged.
    let mut closures: Vec<Closure> = Vec::new();
    let mut by_date: Vec<&(&Event, Kind)> = kept.iter().collect();
    by_date.sort_by_key(|(e, _)| touched(e));
    for (e, kind) in by_date {
        if !kind.closes() {
            continue;
        }
        let Some((first, last)) = closed(e, &mut half_days) else {
            continue;
        };
        let year = [first, last]
            .into_iter()
            .map(academic_year)
            .find(|y| years.contains(y));
        let Some(year) = year else {
            notes.push(
                IcsError::WrongAcademicYear {
                    summary: e.summary.clone(),
                    date: range(first, last),
                    year: academic_year(first),
                }
                .at(&e.loc),
            );
            unused.push(Unused {
                date: first,
                count: 1,
                summary: e.summary.clone(),
                why: "in an academic year with no term in the feed",
            });
            continue;
        };
        // One kind's closures that overlap or meet (a half-term given one day at a time by an
        // RRULE) are one closure.
        // In date order, a closure can only meet the latest of its kind.
        let latest = closures.iter_mut().rev().find(|c| c.kind == *kind);
        match latest.filter(|c| c.start <= next(last) && first <= next(c.end)) {
            Some(c) if c.start > last || first > c.end => {
                c.start = c.start.min(first);
                c.end = c.end.max(last);
            }
            Some(c) => {
                notes.push(
                    IcsError::Overlap {
                        summary: e.summary.clone(),
                        dates: range(first, last),
                        other: c.reason.clone(),
                        kind: kind.words().into(),
                    }
                    .at(&e.loc)
                    .with_related(&c.loc, "the other event"),
                );
                c.start = c.start.min(first);
                c.end = c.end.max(last);
            }
            None => closures.push(Closure {
                year,
                kind: *kind,
                start: first,
                end: last,
                reason: e.summary.clone(),
                filled: false,
                loc: e.loc.clone(),
            }),
        }
    }

    for c in closures.iter().filter(|c| c.kind == Kind::HalfTerm) {
        if !matches!(
            c.start.weekday(),
            Weekday::Mon | Weekday::Sat | Weekday::Sun
        ) {
            notes.push(
                IcsError::HalfTermMidWeek {
                    summary: c.reason.clone(),
                    date: c.start.to_string(),
                    weekday: format!("{}", c.start.format("%A")),
                }
                .at(&c.loc),
            );
        }
    }

    // INSET days that close no school day: inside a holiday, or outside every term.
    for c in closures.iter().filter(|c| c.kind == Kind::Inset) {
        let why = if let Some(h) = closures.iter().find(|h| {
            matches!(h.kind, Kind::Holiday | Kind::HalfTerm) && h.start <= c.start && c.end <= h.end
        }) {
            Some(format!(
                "falls inside `{}` ({})",
                h.reason,
                range(h.start, h.end)
            ))
        } else if !out_terms
            .iter()
            .any(|t| t.start <= c.end && c.start <= t.end)
        {
            Some(match out_terms.iter().rev().find(|t| t.end < c.start) {
                Some(t) => format!("is after term `{}` ended ({})", t.name, t.end),
                None => "is outside every term".into(),
            })
        } else {
            None
        };
        if let Some(why) = why {
            notes.push(
                IcsError::InsetOutsideTerm {
                    summary: c.reason.clone(),
                    date: range(c.start, c.end),
                    why,
                }
                .at(&c.loc),
            );
        }
    }

    // Bank holidays in term that no closure covers: England's never are school days.
    let mut filled = Vec::new();
    for t in &out_terms {
        let mut in_years = vec![t.start.year(), t.end.year()];
        in_years.dedup();
        for (day, name) in in_years
            .into_iter()
            .flat_map(crate::holidays::bank_holidays)
        {
            if day < t.start || day > t.end || !weekday(day) {
                continue;
            }
            if closures.iter().any(|c| c.start <= day && day <= c.end) {
                continue;
            }
            notes.push(
                IcsError::BankHolidayFilled {
                    date: day.to_string(),
                    name: name.into(),
                }
                .at(&t.loc),
            );
            filled.push(Closure {
                year: t.year.clone(),
                kind: Kind::BankHoliday,
                start: day,
                end: day,
                reason: capitalised(name),
                filled: true,
                loc: t.loc.clone(),
            });
        }
    }
    closures.extend(filled);
    closures.sort_by_key(|c| (c.start, c.end, c.kind));
    half_days.sort_by_key(|h| h.date);
    half_days.dedup_by_key(|h| h.date);
    for h in &half_days {
        notes.push(
            IcsError::HalfDay {
                summary: h.summary.clone(),
                date: h.date.to_string(),
                what: h.what.clone(),
            }
            .at(&h.loc),
        );
    }
    // A recurring event not used is listed once, at its first date.
    unused.sort_by(|a, b| (&a.summary, a.why, a.date).cmp(&(&b.summary, b.why, b.date)));
    unused.dedup_by(|later, first| {
        let same = later.summary == first.summary && later.why == first.why;
        if same {
            first.count += later.count;
        }
        same
    });
    unused.sort_by(|a, b| (a.date, &a.summary).cmp(&(b.date, &b.summary)));
    notes.sort_by_cached_key(Diagnostic::sort_key);
    let mut imported = Imported {
        text: String::new(),
        terms: out_terms,
        closures,
        half_days,
        unused,
        diagnostics: notes,
    };
    imported.text = super::write::calendar_text(&imported, file_name);
    Ok(imported)
}

fn capitalised(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
