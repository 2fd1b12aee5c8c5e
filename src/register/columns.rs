//! Which column of a school's own CSV export holds what (`--columns pupil_id=UPN,date=Date,
//! session=Session,mark=Mark`), and the dates, sessions and times MIS exports write: UK dates
//! (`dd/mm/yyyy`), `AM`/`PM` in any case, or the time a register was taken.

use chrono::NaiveDate;

use crate::model::{Calendar, SessionName};

/// The columns of a mapped CSV, by their names in the file's header (compared without case).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub pupil_id: Option<String>,
    pub date: Option<String>,
    pub session: Option<String>,
    pub mark: Option<String>,
}

/// The keys `--columns` takes.
pub const KEYS: [&str; 4] = ["pupil_id", "date", "session", "mark"];

impl ColumnMap {
    /// Parses `pupil_id=UPN,date=Date,...`; the error says what is wrong and what is allowed.
    pub fn parse(text: &str) -> Result<ColumnMap, String> {
        let mut map = ColumnMap::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, column)) = pair.split_once('=') else {
                return Err(format!(
                    "`{pair}` is not `KEY=COLUMN` (for example `pupil_id=UPN`)"
                ));
            };
            let (key, column) = (key.trim().to_ascii_lowercase(), column.trim().to_string());
            if column.is_empty() {
                return Err(format!("`{key}=` names no column"));
            }
            let slot = match key.as_str() {
                "pupil_id" | "pupil" => &mut map.pupil_id,
                "date" => &mut map.date,
                "session" => &mut map.session,
                "mark" => &mut map.mark,
                _ => {
                    return Err(format!(
                        "unknown key `{key}`: the keys are {}",
                        KEYS.map(|k| format!("`{k}`")).join(", ")
                    ));
                }
            };
            if slot.replace(column).is_some() {
                return Err(format!("`{key}` is given twice"));
            }
        }
        Ok(map)
    }

    /// The header name for a key: the mapping's, else the key itself.
    pub fn name<'a>(&'a self, key: &'a str) -> &'a str {
        let given = match key {
            "pupil_id" => &self.pupil_id,
            "date" => &self.date,
            "session" => &self.session,
            "mark" => &self.mark,
            _ => &None,
        };
        given.as_deref().unwrap_or(key)
    }

    /// Whether the pupil column holds UPNs, which are pseudonymised like a CTF's.
    pub fn pupil_is_upn(&self) -> bool {
        self.name("pupil_id").eq_ignore_ascii_case("upn")
    }
}

/// Header names MIS reports use for each key, compared with case, spaces, dots and
/// underscores ignored: a header made only of these is read without `--columns`.
const ALIASES: [(&str, &[&str]); 4] = [
    (
        "pupil_id",
        &[
            "pupilid",
            "studentid",
            "personid",
            "adno",
            "admissionnumber",
        ],
    ),
    ("date", &["date", "attendancedate", "sessiondate"]),
    ("session", &["session", "sessionname", "ampm"]),
    (
        "mark",
        &[
            "mark",
            "sessionmark",
            "attendancemark",
            "code",
            "attendancecode",
        ],
    ),
];

fn squeeze(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '_' | '-' | '/'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The mapping a header's MIS names give, when each key has exactly one column.
pub(crate) fn infer(names: &[String]) -> Option<ColumnMap> {
    let mut map = ColumnMap::default();
    for (key, aliases) in ALIASES {
        let mut found = names
            .iter()
            .filter(|n| aliases.contains(&squeeze(n).as_str()));
        let first = found.next()?;
        if found.next().is_some() {
            return None;
        }
        let slot = match key {
            "pupil_id" => &mut map.pupil_id,
            "date" => &mut map.date,
            "session" => &mut map.session,
            _ => &mut map.mark,
        };
        *slot = Some(first.clone());
    }
    Some(map)
}

/// A date as MIS exports write it: ISO `YYYY-MM-DD` or UK `dd/mm/yyyy` (one-digit day and
/// month allowed), optionally followed by a time (`T08:45:00`, ` 08:45`), whose minutes after
/// midnight come back too. US `mm/dd/yyyy` is never guessed: `05/09/2024` is 5 September.
pub fn parse_uk_date(text: &[u8]) -> Option<(NaiveDate, Option<u16>)> {
    let text = text.trim_ascii();
    let split = text
        .iter()
        .position(|b| *b == b'T' || *b == b' ')
        .unwrap_or(text.len());
    let (day, rest) = text.split_at(split);
    let date = super::parse_date(day).or_else(|| dmy(day))?;
    let rest = rest.get(1..).unwrap_or(&[]).trim_ascii();
    if rest.is_empty() {
        return Some((date, None));
    }
    Some((date, Some(parse_time(rest)?)))
}

fn dmy(text: &[u8]) -> Option<NaiveDate> {
    let mut parts = text.split(|b| *b == b'/');
    let number = |p: Option<&[u8]>, max: usize| -> Option<u32> {
        let p = p?;
        if p.is_empty() || p.len() > max || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        p.iter()
            .try_fold(0u32, |a, b| Some(a * 10 + u32::from(b - b'0')))
    };
    let (d, m) = (number(parts.next(), 2)?, number(parts.next(), 2)?);
    let y = parts.next()?;
    if y.len() != 4 || parts.next().is_some() {
        return None;
    }
    let y = i32::try_from(number(Some(y), 4)?).ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `HH:MM` or `HH:MM:SS` (a trailing `Z` or offset is ignored: registers are local time);
/// minutes after midnight.
pub fn parse_time(text: &[u8]) -> Option<u16> {
    let text = text.trim_ascii();
    let end = text
        .iter()
        .position(|b| matches!(b, b'Z' | b'+' | b'.'))
        .unwrap_or(text.len());
    let mut parts = text[..end].split(|b| *b == b':');
    let number = |p: Option<&[u8]>| -> Option<u16> {
        let p = p?;
        if p.is_empty() || p.len() > 2 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        p.iter()
            .try_fold(0u16, |a, b| Some(a * 10 + u16::from(b - b'0')))
    };
    let (h, m) = (number(parts.next())?, number(parts.next())?);
    if let Some(s) = parts.next() {
        number(Some(s)).filter(|s| *s < 60)?;
    }
    if h > 23 || m > 59 || parts.next().is_some() {
        return None;
    }
    Some(h * 60 + m)
}

/// The session a register taken at `minutes` after midnight belongs to: the afternoon from
/// half-way between the calendar's two register opening times, or from noon when the
/// calendar does not give both.
pub fn session_at(calendar: &Calendar, minutes: u16) -> usize {
    let opens = |name: SessionName| {
        calendar
            .sessions
            .iter()
            .find(|s| s.session == name)
            .and_then(|s| s.opens)
    };
    let noon = match (opens(SessionName::Am), opens(SessionName::Pm)) {
        (Some(am), Some(pm)) if am < pm => am + (pm - am) / 2,
        _ => 12 * 60,
    };
    usize::from(minutes >= noon)
}

/// A session as exports write it: `AM`/`PM` in any case, `Morning`/`Afternoon`, or a time.
pub fn parse_session_text(calendar: &Calendar, text: &[u8]) -> Option<usize> {
    let text = text.trim_ascii();
    if let Some(s) = super::parse_session(text) {
        return Some(s);
    }
    if text.eq_ignore_ascii_case(b"morning") {
        return Some(0);
    }
    if text.eq_ignore_ascii_case(b"afternoon") {
        return Some(1);
    }
    parse_time(text).map(|m| session_at(calendar, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_names_each_key_once() {
        let map = ColumnMap::parse("pupil_id=UPN, date=Date,session=Session,mark=Mark");
        assert_eq!(map.as_ref().map(|m| m.name("mark")), Ok("Mark"));
        assert!(map.is_ok_and(|m| m.pupil_is_upn()));
        assert!(ColumnMap::parse("pupil=A,pupil_id=B").is_err());
        assert!(ColumnMap::parse("colour=Red").is_err());
        assert!(ColumnMap::parse("date").is_err());
        assert_eq!(
            ColumnMap::parse("date=When").map(|m| m.name("session").to_string()),
            Ok("session".into())
        );
    }

    #[test]
    fn uk_dates_are_day_first_and_never_guessed() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(
            parse_uk_date(b"05/09/2024"),
            d(2024, 9, 5).map(|d| (d, None))
        );
        assert_eq!(parse_uk_date(b"5/9/2024"), d(2024, 9, 5).map(|d| (d, None)));
        assert_eq!(
            parse_uk_date(b"2024-09-05"),
            d(2024, 9, 5).map(|d| (d, None))
        );
        // 8 * 60 + 45 = 525 minutes after midnight.
        assert_eq!(
            parse_uk_date(b"2024-09-05T08:45:00"),
            d(2024, 9, 5).map(|d| (d, Some(525)))
        );
        assert_eq!(
            parse_uk_date(b"05/09/2024 13:10"),
            d(2024, 9, 5).map(|d| (d, Some(790)))
        );
        // Month 13 is not a month, whichever way round.
        assert_eq!(parse_uk_date(b"09/13/2024"), None);
        assert_eq!(parse_uk_date(b"05/09/24"), None);
        assert_eq!(parse_uk_date(b"2024-09-05T25:00"), None);
    }

    #[test]
    fn sessions_by_name_or_time() {
        let calendar = Calendar {
            sessions: Vec::new(),
            years: Vec::new(),
            ..Default::default()
        };
        assert_eq!(parse_session_text(&calendar, b"am"), Some(0));
        assert_eq!(parse_session_text(&calendar, b"Afternoon"), Some(1));
        // Without register times, noon (720) splits the day.
        assert_eq!(parse_session_text(&calendar, b"08:45"), Some(0));
        assert_eq!(parse_session_text(&calendar, b"12:00"), Some(1));
        assert_eq!(parse_session_text(&calendar, b"XM"), None);
    }

    #[test]
    fn mis_headers_map_themselves() {
        let names: Vec<String> = ["Adno", "Surname", "Session Date", "AM/PM", "Mark"]
            .map(String::from)
            .to_vec();
        let map = infer(&names);
        assert_eq!(map.as_ref().map(|m| m.name("session")), Some("AM/PM"));
        assert_eq!(map.as_ref().map(|m| m.name("date")), Some("Session Date"));
        // Two candidate mark columns: ambiguous, so nothing is inferred.
        let two: Vec<String> = ["Adno", "Date", "Session", "Mark", "Code"]
            .map(String::from)
            .to_vec();
        assert_eq!(infer(&two), None);
    }
}
