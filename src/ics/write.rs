//! The `.calendar` text of an import: one `calendar` block per academic year, its terms and
//! closures in date order, with comments saying what a reviewer should confirm.

use std::fmt::Write;

use super::Imported;

/// A summary as a `.calendar` string's contents: quotes and backslashes dropped, so the text
/// always parses.
fn quoted(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
        .collect();
    format!("\"{}\"", clean.trim())
}

/// A summary in a comment: one line.
fn comment(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

pub fn calendar_text(imported: &Imported, file_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Term dates imported from `{}` by `attend calendar import`.",
        comment(file_name)
    );
    out.push_str(
        "# Check every date against the school's published term dates before relying on it.\n",
    );
    let mut years: Vec<&str> = imported.terms.iter().map(|t| t.year.as_str()).collect();
    years.dedup();
    for year in years {
        let _ = writeln!(out, "\ncalendar \"{year}\" {{");
        // Terms first on a day, then closures, each in date order.
        let mut items: Vec<(chrono::NaiveDate, u8, String)> = Vec::new();
        for t in imported.terms.iter().filter(|t| t.year == year) {
            items.push((
                t.start,
                0,
                format!("  term {} {} .. {}\n", t.name, t.start, t.end),
            ));
        }
        for c in imported.closures.iter().filter(|c| c.year == year) {
            let mut text = String::new();
            if c.filled {
                text.push_str("  # filled from England's bank holidays: not in the feed\n");
            }
            let dates = if c.start == c.end {
                c.start.to_string()
            } else {
                format!("{} .. {}", c.start, c.end)
            };
            let _ = writeln!(text, "  {} {dates} {}", c.kind.keyword(), quoted(&c.reason));
            items.push((c.start, 1, text));
        }
        for h in imported
            .half_days
            .iter()
            .filter(|h| super::build::academic_year(h.date) == year)
        {
            items.push((
                h.date,
                2,
                format!(
                    "  # {}: a half day, {} (`{}`); a school day\n",
                    h.date,
                    h.what,
                    comment(&h.summary)
                ),
            ));
        }
        items.sort();
        for (_, _, text) in items {
            out.push_str(&text);
        }
        out.push_str("}\n");
    }
    if !imported.unused.is_empty() {
        out.push_str("\n# Events not used:\n");
        for u in &imported.unused {
            let _ = writeln!(
                out,
                "#   {} {} ({}){}",
                u.date,
                comment(&u.summary),
                u.why,
                repeats(u.count)
            );
        }
    }
    out
}

/// `, and 11 more dates` for a recurring event.
pub fn repeats(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        2 => ", and 1 more date".into(),
        n => format!(", and {} more dates", n - 1),
    }
}
