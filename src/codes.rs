//! The national attendance register codes (REG24 Schedule; 2006 set before 19 Aug 2024),
//! versioned by date. `data/codes.csv` is the single source of truth; this module embeds it,
//! parses it once, and answers "what does this mark mean on this day".

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Serialize;

/// How a register mark counts towards attendance statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkClass {
    Present,
    /// Off-site but present for statistics (`K`, `V`, `P`, `W`, `B`).
    ApprovedActivity,
    Authorised,
    Unauthorised,
    /// Not a possible session at all (`X`, `Q`, `Y1`–`Y7`, `D`, `Z`, `#`).
    NotCounted,
}

impl MarkClass {
    /// Whether the session counts towards possible sessions, the denominator of attendance%.
    pub fn is_possible(self) -> bool {
        self != MarkClass::NotCounted
    }

    pub fn is_present(self) -> bool {
        matches!(self, MarkClass::Present | MarkClass::ApprovedActivity)
    }

    pub fn is_absent(self) -> bool {
        matches!(self, MarkClass::Authorised | MarkClass::Unauthorised)
    }

    /// The name used in `data/codes.csv` and in serialised output.
    pub fn as_str(self) -> &'static str {
        match self {
            MarkClass::Present => "present",
            MarkClass::ApprovedActivity => "approved_activity",
            MarkClass::Authorised => "authorised",
            MarkClass::Unauthorised => "unauthorised",
            MarkClass::NotCounted => "not_counted",
        }
    }

    fn from_name(name: &str) -> Option<MarkClass> {
        [
            MarkClass::Present,
            MarkClass::ApprovedActivity,
            MarkClass::Authorised,
            MarkClass::Unauthorised,
            MarkClass::NotCounted,
        ]
        .into_iter()
        .find(|class| class.as_str() == name)
    }
}

/// One version of a register code: its class and meaning over an inclusive date range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    pub code: &'static str,
    pub class: MarkClass,
    /// `None`: in force since before the table's history starts.
    pub valid_from: Option<NaiveDate>,
    /// `None`: still in force.
    pub valid_to: Option<NaiveDate>,
    pub meaning: String,
}

impl CodeInfo {
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }

    /// In the code set in force now, as opposed to a retired or superseded version.
    fn is_current(&self) -> bool {
        self.valid_to.is_none()
    }
}

/// A dense index of one row of the code table, for engines that keep per-code arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeId(u8);

impl CodeId {
    /// Position in [`CodeTable::rows`]; always `< table().rows().len()`.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// All versions of all codes, sorted by code then `valid_from`.
#[derive(Debug)]
pub struct CodeTable {
    rows: Vec<CodeInfo>,
}

static TABLE: LazyLock<CodeTable> = LazyLock::new(|| {
    let rows = parse(include_str!("../data/codes.csv"))
        // The file is compiled in and `table_parses` checks it, so a failure here is a build
        // defect, not an input error a user could fix.
        .expect("data/codes.csv is malformed");
    CodeTable { rows }
});

/// The national code table, parsed on first use.
pub fn table() -> &'static CodeTable {
    &TABLE
}

impl CodeTable {
    pub fn rows(&self) -> &[CodeInfo] {
        &self.rows
    }

    /// The version of `code` in force on `on`, if the code existed then.
    pub fn lookup(&self, code: &str, on: NaiveDate) -> Option<&CodeInfo> {
        self.versions(code).iter().find(|row| row.in_force_on(on))
    }

    /// The newest version of `code`, whatever the date.
    pub fn lookup_any(&self, code: &str) -> Option<&CodeInfo> {
        self.versions(code).last()
    }

    /// Whether `code` was a register code at any date.
    pub fn is_known(&self, code: &str) -> bool {
        !self.versions(code).is_empty()
    }

    pub fn codes_in_force(&self, on: NaiveDate) -> impl Iterator<Item = &CodeInfo> {
        self.rows.iter().filter(move |row| row.in_force_on(on))
    }

    /// "Did you mean" for a mark that is not a code: a case-insensitive match (`n` → `N`), else
    /// the first current code within one edit. Single-character input gets no edit-distance
    /// suggestion, because one substitution reaches every single-character code.
    pub fn suggest(&self, unknown: &str) -> Option<&'static str> {
        if let Some(row) = self
            .rows
            .iter()
            .find(|row| row.code.eq_ignore_ascii_case(unknown))
        {
            return Some(row.code);
        }
        if unknown.chars().count() < 2 {
            return None;
        }
        self.rows
            .iter()
            .filter(|row| row.is_current())
            .map(|row| (strsim::levenshtein(row.code, unknown), row.code))
            .filter(|&(distance, _)| distance <= 1)
            // `min_by_key` keeps the first of equal keys, so ties go to table order.
            .min_by_key(|&(distance, _)| distance)
            .map(|(_, code)| code)
    }

    /// The id of the version of `code` in force on `on`.
    pub fn id(&self, code: &str, on: NaiveDate) -> Option<CodeId> {
        let start = self.first_version(code);
        self.versions(code)
            .iter()
            .position(|row| row.in_force_on(on))
            .map(|offset| CodeId(Self::narrow(start + offset)))
    }

    pub fn info(&self, id: CodeId) -> &CodeInfo {
        &self.rows[id.index()]
    }

    pub fn class(&self, id: CodeId) -> MarkClass {
        self.info(id).class
    }

    fn first_version(&self, code: &str) -> usize {
        self.rows.partition_point(|row| row.code < code)
    }

    /// The contiguous run of rows for `code`, oldest first (the rows are sorted by code).
    fn versions(&self, code: &str) -> &[CodeInfo] {
        let start = self.first_version(code);
        let len = self.rows[start..].partition_point(|row| row.code == code);
        &self.rows[start..start + len]
    }

    fn narrow(index: usize) -> u8 {
        // `parse` rejects tables with more rows than a `CodeId` can address.
        u8::try_from(index).unwrap_or(u8::MAX)
    }
}

/// Parses the embedded table and checks the invariants the lookups rely on: sorted by
/// (code, valid_from), each code's versions non-overlapping, and few enough rows for `CodeId`.
fn parse(text: &'static str) -> Result<Vec<CodeInfo>, String> {
    const HEADER: &str = "code,class,valid_from,valid_to,meaning";
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header == HEADER => {}
        other => return Err(format!("expected header {HEADER:?}, found {other:?}")),
    }

    let mut rows: Vec<CodeInfo> = Vec::new();
    for (index, line) in lines.filter(|(_, line)| !line.is_empty()) {
        let at = |message: String| format!("line {}: {message}", index + 1);
        let fields = split_fields(line).map_err(at)?;
        let [code, class, valid_from, valid_to, meaning] = <[_; 5]>::try_from(fields)
            .map_err(|fields| at(format!("expected 5 fields, found {}", fields.len())))?;
        let code = match code {
            Field::Plain(code) if !code.is_empty() => code,
            _ => return Err(at("code must be non-empty and unquoted".into())),
        };
        let class = MarkClass::from_name(class.as_str())
            .ok_or_else(|| at(format!("unknown class {:?}", class.as_str())))?;
        let date = |field: &Field| -> Result<Option<NaiveDate>, String> {
            match field.as_str() {
                "" => Ok(None),
                text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|error| at(format!("bad date {text:?}: {error}"))),
            }
        };
        let row = CodeInfo {
            code,
            class,
            valid_from: date(&valid_from)?,
            valid_to: date(&valid_to)?,
            meaning: meaning.into_string(),
        };
        if let (Some(from), Some(to)) = (row.valid_from, row.valid_to)
            && from > to
        {
            return Err(at(format!(
                "{code}: valid_from {from} is after valid_to {to}"
            )));
        }
        if let Some(previous) = rows.last() {
            if (previous.code, previous.valid_from) >= (row.code, row.valid_from) {
                return Err(at(format!("{code}: not sorted by (code, valid_from)")));
            }
            if previous.code == row.code && overlaps(previous, &row) {
                return Err(at(format!("{code}: overlaps the previous version")));
            }
        }
        rows.push(row);
    }

    if rows.len() > usize::from(u8::MAX) + 1 {
        return Err(format!("{} rows do not fit a CodeId", rows.len()));
    }
    Ok(rows)
}

/// Whether two versions, `earlier` starting no later than `later`, share a day.
fn overlaps(earlier: &CodeInfo, later: &CodeInfo) -> bool {
    match (earlier.valid_to, later.valid_from) {
        (Some(to), Some(from)) => from <= to,
        // An open end or an open start always meets the other version.
        _ => true,
    }
}

/// A CSV field: borrowed when plain, owned when it was quoted (to undo `""` escapes).
enum Field {
    Plain(&'static str),
    Quoted(String),
}

impl Field {
    fn as_str(&self) -> &str {
        match self {
            Field::Plain(text) => text,
            Field::Quoted(text) => text,
        }
    }

    fn into_string(self) -> String {
        match self {
            Field::Plain(text) => text.to_owned(),
            Field::Quoted(text) => text,
        }
    }
}

/// Splits one RFC 4180 line. Quoted fields may hold commas and `""`; line breaks inside
/// fields are not supported, and the table has none.
fn split_fields(line: &'static str) -> Result<Vec<Field>, String> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    Some((i, '"')) => {
                        if quoted[i + 1..].starts_with('"') {
                            value.push('"');
                            chars.next();
                        } else {
                            break &quoted[i + 1..];
                        }
                    }
                    Some((_, c)) => value.push(c),
                    None => return Err("unterminated quoted field".into()),
                }
            };
            fields.push(Field::Quoted(value));
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err("text after a closing quote".into()),
            }
        } else {
            match rest.split_once(',') {
                Some((field, next)) => {
                    fields.push(Field::Plain(field));
                    rest = next;
                }
                None => {
                    fields.push(Field::Plain(rest));
                    return Ok(fields);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test dates are well formed")
    }

    /// First full school week under REG24.
    fn term_2024() -> NaiveDate {
        day("2024-09-02")
    }

    /// Summer term 2024, under the 2006 code set.
    fn summer_2024() -> NaiveDate {
        day("2024-07-01")
    }

    #[test]
    fn table_parses() {
        let rows = parse(include_str!("../data/codes.csv")).expect("embedded table parses");
        assert_eq!(rows, table().rows());
        assert!(rows.len() > 40);
    }

    #[test]
    fn rows_sorted_and_versions_do_not_overlap() {
        for pair in table().rows().windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(
                (a.code, a.valid_from) < (b.code, b.valid_from),
                "{a:?} before {b:?}"
            );
            if a.code == b.code {
                let (Some(to), Some(from)) = (a.valid_to, b.valid_from) else {
                    panic!("{} has an open-ended version followed by another", a.code);
                };
                assert!(to < from, "{} versions overlap", a.code);
                // A gap would leave the code undefined for some days.
                assert_eq!(to.succ_opt(), Some(from), "{} versions leave a gap", a.code);
            }
        }
    }

    #[test]
    fn every_2024_code_in_force_with_its_national_class() {
        use MarkClass::*;
        let expected = [
            ("/", Present),
            ("\\", Present),
            ("L", Present),
            ("K", ApprovedActivity),
            ("V", ApprovedActivity),
            ("P", ApprovedActivity),
            ("W", ApprovedActivity),
            ("B", ApprovedActivity),
            ("C1", Authorised),
            ("M", Authorised),
            ("J1", Authorised),
            ("S", Authorised),
            ("C2", Authorised),
            ("C", Authorised),
            ("T", Authorised),
            ("R", Authorised),
            ("I", Authorised),
            ("E", Authorised),
            ("G", Unauthorised),
            ("N", Unauthorised),
            ("O", Unauthorised),
            ("U", Unauthorised),
            ("X", NotCounted),
            ("Q", NotCounted),
            ("Y1", NotCounted),
            ("Y2", NotCounted),
            ("Y3", NotCounted),
            ("Y4", NotCounted),
            ("Y5", NotCounted),
            ("Y6", NotCounted),
            ("Y7", NotCounted),
            ("D", NotCounted),
            ("Z", NotCounted),
            ("#", NotCounted),
        ];
        for (code, class) in expected {
            let info = table()
                .lookup(code, term_2024())
                .unwrap_or_else(|| panic!("{code} not in force on 2024-09-02"));
            assert_eq!(info.class, class, "{code}");
            // The first day of REG24 is covered too, not just a later term date.
            assert!(table().lookup(code, day("2024-08-19")).is_some(), "{code}");
        }
        let in_force: BTreeSet<_> = table()
            .codes_in_force(term_2024())
            .map(|row| row.code)
            .collect();
        let listed: BTreeSet<_> = expected.iter().map(|&(code, _)| code).collect();
        assert_eq!(
            in_force, listed,
            "no code in force in 2024 beyond the national table"
        );
    }

    #[test]
    fn not_counted_set_in_2024() {
        let not_counted: BTreeSet<_> = table()
            .codes_in_force(term_2024())
            .filter(|row| !row.class.is_possible())
            .map(|row| row.code)
            .collect();
        let expected: BTreeSet<_> = [
            "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "D", "Z", "#",
        ]
        .into();
        assert_eq!(not_counted, expected);
    }

    #[test]
    fn retired_codes_end_with_the_2006_set() {
        for code in ["H", "J", "Y"] {
            assert!(
                table().lookup(code, summer_2024()).is_some(),
                "{code} in force before"
            );
            assert!(
                table().lookup(code, day("2024-08-18")).is_some(),
                "{code} on last day"
            );
            assert!(
                table().lookup(code, term_2024()).is_none(),
                "{code} retired"
            );
            assert!(table().is_known(code));
        }
        assert_eq!(
            table().lookup("J", summer_2024()).map(|row| row.class),
            Some(MarkClass::ApprovedActivity)
        );
        assert!(table().lookup("F", day("2013-07-01")).is_some());
        assert!(table().lookup("F", day("2013-09-02")).is_none());
        for code in ["K", "Q", "C1", "C2", "J1", "Y1", "Y7"] {
            assert!(
                table().lookup(code, summer_2024()).is_none(),
                "{code} is new in 2024"
            );
        }
    }

    #[test]
    fn changed_codes_have_dated_versions() {
        for code in ["B", "C", "T"] {
            let before = table().lookup(code, summer_2024()).expect("2006 version");
            let after = table().lookup(code, term_2024()).expect("2024 version");
            assert_ne!(before.meaning, after.meaning, "{code}");
            assert_eq!(
                table().lookup_any(code),
                Some(after),
                "{code}: newest is the 2024 one"
            );
        }
        assert_eq!(
            table()
                .lookup("C", term_2024())
                .map(|row| row.meaning.as_str()),
            Some("leave: exceptional circumstances")
        );
        assert_eq!(
            table()
                .lookup("T", summer_2024())
                .map(|row| row.meaning.as_str()),
            Some("traveller absence (2006 set; to confirm)")
        );
    }

    #[test]
    fn quoted_meanings_keep_their_commas() {
        assert_eq!(
            table().lookup_any("L").map(|row| row.meaning.as_str()),
            Some("late, arrived before the register closed")
        );
    }

    #[test]
    fn unknown_codes() {
        assert!(!table().is_known("A"));
        assert!(!table().is_known("n"), "codes are case-sensitive");
        assert_eq!(table().lookup("A", term_2024()), None);
        assert_eq!(table().lookup_any("Y8"), None);
        assert_eq!(table().id("Y8", term_2024()), None);
    }

    #[test]
    fn suggestions() {
        let suggest = |text| table().suggest(text);
        assert_eq!(suggest("n"), Some("N"));
        assert_eq!(suggest("y1"), Some("Y1"));
        assert_eq!(suggest("j1"), Some("J1"));
        // Every Y1..Y7 is one edit from Y8, and the retired Y is not offered; the first
        // current code in table order wins.
        assert_eq!(suggest("Y8"), Some("Y1"));
        assert_eq!(suggest("C3"), Some("C"));
        assert_eq!(suggest("ZZZ"), None);
        assert_eq!(
            suggest("A"),
            None,
            "one substitution away from every 1-char code"
        );
        assert_eq!(suggest(""), None);
    }

    #[test]
    fn ids_are_dense_and_versioned() {
        let t = table();
        for (index, row) in t.rows().iter().enumerate() {
            let on = row.valid_from.or(row.valid_to).unwrap_or_else(term_2024);
            let id = t
                .id(row.code, on)
                .expect("every row is in force on its own bounds");
            assert_eq!(id.index(), index);
            assert_eq!(t.info(id), row);
            assert_eq!(t.class(id), row.class);
        }
        let old_c = t.id("C", summer_2024()).expect("2006 C");
        let new_c = t.id("C", term_2024()).expect("2024 C");
        assert_ne!(old_c, new_c, "one id per row, not per code");
        assert_eq!(t.id("H", term_2024()), None);
    }

    #[test]
    fn mark_class_predicates() {
        use MarkClass::*;
        for class in [
            Present,
            ApprovedActivity,
            Authorised,
            Unauthorised,
            NotCounted,
        ] {
            assert_eq!(MarkClass::from_name(class.as_str()), Some(class));
            assert_eq!(
                class.is_possible(),
                class.is_present() || class.is_absent(),
                "{class:?}"
            );
            assert!(!(class.is_present() && class.is_absent()));
            let json = serde_json::to_string(&class).expect("a unit variant serialises");
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
    }

    #[test]
    fn csv_fields() {
        let fields = split_fields(r#"a,"b, ""c""",,d"#).expect("valid line");
        let texts: Vec<_> = fields.iter().map(Field::as_str).collect();
        assert_eq!(texts, ["a", "b, \"c\"", "", "d"]);
        assert!(split_fields(r#"a,"b"#).is_err());
        assert!(split_fields(r#""a"b"#).is_err());
    }
}
