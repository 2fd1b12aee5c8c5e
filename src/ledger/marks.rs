//! A pupil's marks as the ledger keeps them: the register's codes written one after another
//! (the compact form's tokens: a letter or symbol, then an optional digit, `-` for none), AM
//! then PM for each school day from a first date; and the sessions two such texts disagree on.

use chrono::NaiveDate;

use crate::table::SchoolDays;

/// The code of a mark, `-` when there is none.
fn code(mark: u8) -> &'static str {
    crate::codes::table()
        .rows()
        .get(usize::from(mark))
        .map_or("-", |r| r.code)
}

/// `marks` (AM, PM for each school day from `first`) as one text.
pub fn text(marks: &[u8]) -> String {
    let mut out = String::with_capacity(marks.len() + marks.len() / 8);
    for m in marks {
        out.push_str(code(*m));
    }
    out
}

/// The tokens of a text made by [`text`].
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len());
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() && start.is_some() {
            continue;
        }
        if let Some(s) = start {
            out.push(text.get(s..i).unwrap_or(""));
        }
        start = Some(i);
    }
    if let Some(s) = start {
        out.push(text.get(s..).unwrap_or(""));
    }
    out
}

/// The sessions up to and including `until` where the marks `before` and `after` differ, as
/// two lists (`2024-09-05 AM N` and `2024-09-05 AM I`), at most `limit` of each with a count
/// of the rest. Each text starts on its own first date.
pub fn differences(
    days: &SchoolDays,
    before: (NaiveDate, &str),
    after: (NaiveDate, &str),
    until: NaiveDate,
    limit: usize,
) -> (String, String) {
    let (Some(b0), Some(a0)) = (days.index(before.0), days.index(after.0)) else {
        return (String::new(), String::new());
    };
    let (b, a) = (tokens(before.1), tokens(after.1));
    let last = days.dates().iter().rposition(|d| *d <= until).unwrap_or(0);
    let mut was = Vec::new();
    let mut now = Vec::new();
    let mut more = 0;
    for day in b0.max(a0)..=last {
        for half in 0..2 {
            let old = b.get((day - b0) * 2 + half).copied().unwrap_or("-");
            let new = a.get((day - a0) * 2 + half).copied().unwrap_or("-");
            if old == new {
                continue;
            }
            if was.len() == limit {
                more += 1;
                continue;
            }
            let session = format!("{} {}", days.date(day), ["AM", "PM"][half]);
            was.push(format!("{session} {old}"));
            now.push(format!("{session} {new}"));
        }
    }
    let tail = if more > 0 {
        format!(" (and {more} more)")
    } else {
        String::new()
    };
    (
        format!("{}{tail}", was.join("; ")),
        format!("{}{tail}", now.join("; ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_codes_with_digits() {
        assert_eq!(tokens("/\\NC1Y7-L"), ["/", "\\", "N", "C1", "Y7", "-", "L"]);
        assert!(tokens("").is_empty());
    }
}
