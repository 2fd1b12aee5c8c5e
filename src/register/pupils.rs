//! The pupils file (data-formats.md §6.d): who the pupils are, as far as rules need to know.
//! An empty cell means unknown, which is not `false`: the engine treats a rule on an unknown
//! attribute as not holding, whichever way round it is written.

use std::borrow::Cow;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::error::{InputProblem, RegisterError};
use super::ids::{IdHasher, IdIndex, MAX_PUPILS};
use super::input::Input;
use super::rows::{RowLimit, overlong_problem};
use super::{parse_date, valid_pupil_id};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sen {
    /// `N`: no special educational need.
    None,
    /// `K`: SEN support.
    Support,
    /// `E`: an education, health and care plan.
    EhcPlan,
}

/// A national-curriculum year group: `N1`, `N2`, `R`, `1`–`14`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearGroup {
    Nursery(u8),
    Reception,
    Year(u8),
}

impl YearGroup {
    /// The number rules compare: reception is 0; nursery has none.
    pub fn number(self) -> Option<u32> {
        match self {
            YearGroup::Nursery(_) => None,
            YearGroup::Reception => Some(0),
            YearGroup::Year(n) => Some(u32::from(n)),
        }
    }

    /// A year group as MIS write it (`Year 5`, `Rec`, `N1`); see `year_group.rs`.
    pub fn parse(text: &str) -> Option<YearGroup> {
        super::year_group::parse(text).map(|(g, _)| g)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pupil {
    pub id: String,
    pub dob: Option<NaiveDate>,
    pub year_group: Option<YearGroup>,
    pub admission: Option<NaiveDate>,
    pub leaving: Option<NaiveDate>,
    pub sen: Option<Sen>,
    pub fsm: Option<bool>,
    pub social_worker: Option<bool>,
    pub looked_after: Option<bool>,
    pub child_protection_plan: Option<bool>,
    /// Who to write to, when the pupils file says: boxed, so a million pupils with none
    /// cost a word each here, not five empty strings and lists.
    pub contact: Option<Box<Contact>>,
}

/// The optional columns of a pupils file that address letters, never printed in messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    pub contact_ids: Vec<String>,
    /// `first_name` and `last_name`.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `carer_name` and `carer_address` (lines separated by `;`).
    pub carer_name: Option<String>,
    pub carer_address: Vec<String>,
}

impl Pupil {
    /// A pupil known only by the id the register gives.
    pub fn unknown(id: String) -> Pupil {
        Pupil {
            id,
            dob: None,
            year_group: None,
            admission: None,
            leaving: None,
            sen: None,
            fsm: None,
            social_worker: None,
            looked_after: None,
            child_protection_plan: None,
            contact: None,
        }
    }
}

/// The pupils of a pupils file, by id.
#[derive(Clone, Debug, Default)]
pub struct Pupils {
    pub(crate) list: Vec<Pupil>,
    /// Finds a pupil of `list` by id: indices into the list, not a second copy of each id
    /// (which cost a pupils file's read as much again, to make and to free). `None` while
    /// the list is in strict id order, as most files are: a binary search finds a pupil,
    /// and no id can come twice.
    index: Option<IdIndex>,
    hasher: IdHasher,
    /// UPN (upper-case) → pupil, from the `upn` column.
    pub(crate) upns: FxHashMap<String, usize>,
    /// Findings that do not stop the run (a year group that could mean two things).
    pub warnings: Vec<InputProblem>,
}

impl Pupils {
    pub fn get(&self, id: &str) -> Option<&Pupil> {
        self.position(id).and_then(|i| self.list.get(i))
    }

    /// Where pupil `id` is in the list.
    fn position(&self, id: &str) -> Option<usize> {
        match &self.index {
            None => self.list.binary_search_by(|p| p.id.as_str().cmp(id)).ok(),
            Some(index) => self.find(index, id, self.hasher.hash(id.as_bytes())),
        }
    }

    /// Where pupil `id`, whose hash is `hash`, is in the list, found by `index`.
    fn find(&self, index: &IdIndex, id: &str, hash: u32) -> Option<usize> {
        index.find_by(hash, |i| self.list.get(i).is_some_and(|p| p.id == id))
    }

    /// The pupils of `list`, indexed by id (of an id listed twice, the last is found).
    pub(crate) fn of(
        list: Vec<Pupil>,
        upns: FxHashMap<String, usize>,
        warnings: Vec<InputProblem>,
    ) -> Pupils {
        let mut pupils = Pupils {
            list,
            index: None,
            hasher: IdHasher::default(),
            upns,
            warnings,
        };
        if !pupils.list.is_sorted_by(|a, b| a.id < b.id) {
            pupils.index = Some(pupils.indexed());
        }
        pupils
    }

    /// An index of the list (of an id listed twice, the last is found).
    fn indexed(&self) -> IdIndex {
        let mut index = IdIndex::with_capacity(self.list.len());
        for (i, pupil) in self.list.iter().enumerate() {
            let hash = self.hasher.hash(pupil.id.as_bytes());
            match self.find(&index, &pupil.id, hash) {
                Some(j) => index.replace(j, narrow(i), hash),
                None => index.insert(narrow(i), hash),
            }
        }
        index
    }

    /// Adds `pupil` to the list, unless its id is listed already: then where it is, and
    /// the pupil back.
    fn push(&mut self, pupil: Pupil) -> Result<(), (usize, Pupil)> {
        let in_order = self.list.last().is_none_or(|last| last.id < pupil.id);
        if in_order && self.index.is_none() {
            self.list.push(pupil);
            return Ok(());
        }
        // The first id out of order: every id before it is listed once.
        let index = self.index.take().unwrap_or_else(|| self.indexed());
        let hash = self.hasher.hash(pupil.id.as_bytes());
        let seen = self.find(&index, &pupil.id, hash);
        let index = self.index.insert(index);
        if let Some(first) = seen {
            return Err((first, pupil));
        }
        index.insert(narrow(self.list.len()), hash);
        self.list.push(pupil);
        Ok(())
    }

    /// The list, the UPNs' places in it and the warnings.
    pub(crate) fn into_parts(self) -> (Vec<Pupil>, FxHashMap<String, usize>, Vec<InputProblem>) {
        (self.list, self.upns, self.warnings)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Pupil> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// A pupil's place in the list as the index holds it (the list holds at most
/// [`MAX_PUPILS`]).
fn narrow(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

const EXPECTED: &str = "`pupil_id,date_of_birth,year_group`";

/// A cell holding a list: items separated by `;`, blank ones dropped.
fn list(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Reads a pupils CSV; `limit` is how many problems to collect before stopping.
pub fn read_pupils(input: &Input, limit: usize) -> Result<Pupils, Vec<InputProblem>> {
    let reader = input.open().map_err(|p| vec![p])?;
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(RowLimit::new(reader));
    let name = &input.name;
    let headers = match csv.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let problem = overlong_problem(&e, name)
                .unwrap_or_else(|| InputProblem::new(RegisterError::NotText, name, 1, 1));
            return Err(vec![problem]);
        }
    };
    let columns: Vec<String> = headers
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    let col = |names: &[&str]| columns.iter().position(|c| names.contains(&c.as_str()));
    let id_col = col(&["pupil_id"]);
    let dob_col = col(&["date_of_birth", "dob"]);
    let year_col = col(&["year_group"]);
    let (Some(id_col), Some(dob_col), Some(year_col)) = (id_col, dob_col, year_col) else {
        let missing = if id_col.is_none() {
            "pupil_id"
        } else if dob_col.is_none() {
            "date_of_birth"
        } else {
            "year_group"
        };
        let error = RegisterError::MissingColumn {
            column: missing.into(),
            expected: EXPECTED,
        };
        return Err(vec![InputProblem::new(error, name, 1, 1)]);
    };
    let optional = |n: &str| col(&[n]);
    let upn_col = optional("upn");
    let (adm, leave, sen, fsm, sw, lac, cpp, contacts) = (
        optional("admission_date"),
        optional("leaving_date"),
        optional("sen"),
        optional("fsm"),
        optional("social_worker"),
        optional("looked_after"),
        optional("child_protection_plan"),
        optional("contact_ids"),
    );
    let (first_name_col, last_name_col) = (optional("first_name"), optional("last_name"));
    let (carer_col, address_col) = (optional("carer_name"), optional("carer_address"));
    // Room for the pupils a file of this size likely holds (a line is rarely under 40
    // bytes), so a large file is not copied as its lists grow; no more than a large
    // school's, whatever a file claims.
    let likely = input
        .size()
        .map_or(0, |bytes| usize::try_from(bytes / 40).unwrap_or(usize::MAX))
        .min(1 << 17);
    let mut pupils = Pupils {
        list: Vec::with_capacity(likely),
        index: None,
        hasher: IdHasher::default(),
        upns: FxHashMap::default(),
        warnings: Vec::new(),
    };
    // The line of each pupil in the list, for a later row with the same id.
    let mut lines: Vec<u64> = Vec::with_capacity(likely);
    let mut problems = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.push(
                    overlong_problem(&e, name).unwrap_or_else(|| {
                        InputProblem::new(RegisterError::NotText, name, line, 1)
                    }),
                );
                break;
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        // UPNs, contact ids and names are never shown.
        let hidden = [
            upn_col,
            contacts,
            first_name_col,
            last_name_col,
            carer_col,
            address_col,
        ];
        // The row as a message shows it, and where field `field` starts in it: made only for
        // a row with a problem (most rows have none, and this is most of reading one).
        let shown = |field: usize| -> (String, u64) {
            let shown: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    if hidden.contains(&Some(i)) && !f.is_empty() {
                        "…".to_string()
                    } else {
                        String::from_utf8_lossy(f).into_owned()
                    }
                })
                .collect();
            let before: usize = shown
                .iter()
                .take(field)
                .map(|f| f.chars().count() + 1)
                .sum();
            (shown.join(","), before as u64 + 1)
        };
        let mut problem = |error: RegisterError, field: usize| {
            let (joined, column) = shown(field);
            let width = record
                .get(field)
                .map_or(1, |f| String::from_utf8_lossy(f).chars().count());
            problems.push(InputProblem::new(error, name, line, column).with_text(&joined, width));
        };
        if record.len() != columns.len() {
            problem(
                RegisterError::FieldCount {
                    expected: columns.len(),
                    found: record.len(),
                },
                0,
            );
            continue;
        }
        // A field's text, trimmed; borrowed from the record unless it is not UTF-8.
        let field = |i: usize| -> Cow<'_, str> {
            // `from_utf8` checks eight bytes at a time where `from_utf8_lossy` goes byte by
            // byte, and nearly every field is plain text.
            let bytes = record.get(i).unwrap_or_default();
            match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text.trim()),
                Err(_) => Cow::Owned(String::from_utf8_lossy(bytes).trim().to_string()),
            }
        };
        let id = field(id_col).into_owned();
        if !valid_pupil_id(id.as_bytes()) {
            problem(RegisterError::BadPupilId { text: id }, id_col);
            continue;
        }
        let date = |i: Option<usize>,
                    required: bool,
                    problem: &mut dyn FnMut(RegisterError, usize)|
         -> Option<NaiveDate> {
            let i = i?;
            let text = field(i);
            if text.is_empty() && !required {
                return None;
            }
            let parsed = parse_date(text.as_bytes());
            if parsed.is_none() {
                problem(
                    RegisterError::BadDate {
                        text: text.into_owned(),
                    },
                    i,
                );
            }
            parsed
        };
        let dob = date(Some(dob_col), true, &mut problem);
        let admission = date(adm, false, &mut problem);
        let leaving = date(leave, false, &mut problem);
        let year_text = field(year_col);
        let year_group = if year_text.is_empty() {
            None
        } else {
            match super::year_group::parse(&year_text) {
                Some((group, ambiguous)) => {
                    if let Some(read_as) = ambiguous {
                        let error = RegisterError::AmbiguousYearGroup {
                            text: year_text.into_owned(),
                            read_as,
                        };
                        let (joined, column) = shown(year_col);
                        let warning =
                            InputProblem::new(error, name, line, column).with_text(&joined, 1);
                        if pupils.warnings.len() < limit {
                            pupils.warnings.push(warning);
                        }
                    }
                    Some(group)
                }
                None => {
                    let error = RegisterError::BadValue {
                        column: "year_group".into(),
                        text: year_text.into_owned(),
                        expected: "`N1`, `N2`, `R` (or `Rec`, `Reception`) or `1` to `14` (or `Year 5`, `Y5`)",
                    };
                    problem(error, year_col);
                    None
                }
            }
        };
        let sen_value = sen.and_then(|i| {
            let text = field(i);
            match text.as_bytes() {
                [] => None,
                [b'N' | b'n'] => Some(Sen::None),
                [b'K' | b'k'] => Some(Sen::Support),
                [b'E' | b'e'] => Some(Sen::EhcPlan),
                _ => {
                    let error = RegisterError::BadValue {
                        column: "sen".into(),
                        text: text.into_owned(),
                        expected: "`N`, `K` or `E`",
                    };
                    problem(error, i);
                    None
                }
            }
        });
        let mut flag = |i: Option<usize>, column: &str| -> Option<bool> {
            let i = i?;
            let text = field(i);
            let is = |words: &[&str]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
            if text.is_empty() {
                None
            } else if is(&["true", "y", "yes", "1"]) {
                Some(true)
            } else if is(&["false", "n", "no", "0"]) {
                Some(false)
            } else {
                let error = RegisterError::BadValue {
                    column: column.into(),
                    text: text.into_owned(),
                    expected: "`true` or `false`",
                };
                problem(error, i);
                None
            }
        };
        let pupil = Pupil {
            dob,
            year_group,
            admission,
            leaving,
            sen: sen_value,
            fsm: flag(fsm, "fsm"),
            social_worker: flag(sw, "social_worker"),
            looked_after: flag(lac, "looked_after"),
            child_protection_plan: flag(cpp, "child_protection_plan"),
            contact: Some(Contact {
                contact_ids: contacts.map(|i| list(&field(i))).unwrap_or_default(),
                first_name: first_name_col
                    .map(|i| field(i).into_owned())
                    .filter(|s| !s.is_empty()),
                last_name: last_name_col
                    .map(|i| field(i).into_owned())
                    .filter(|s| !s.is_empty()),
                carer_name: carer_col
                    .map(|i| field(i).into_owned())
                    .filter(|s| !s.is_empty()),
                carer_address: address_col.map(|i| list(&field(i))).unwrap_or_default(),
            })
            .filter(|c| *c != Contact::default())
            .map(Box::new),
            id,
        };
        let next = pupils.list.len();
        if next >= MAX_PUPILS {
            problem(RegisterError::TooManyPupils { limit: MAX_PUPILS }, id_col);
            break;
        }
        if let Err((first, pupil)) = pupils.push(pupil) {
            problem(
                RegisterError::DuplicatePupil {
                    pupil: pupil.id,
                    first_line: lines.get(first).copied().unwrap_or(0),
                },
                id_col,
            );
            continue;
        }
        lines.push(line);
        if let Some(upn) = upn_col.map(field).filter(|u| !u.is_empty()) {
            pupils.upns.insert(upn.to_ascii_uppercase(), next);
        }
        if problems.len() >= limit {
            break;
        }
    }
    if problems.is_empty() {
        Ok(pupils)
    } else {
        problems.truncate(limit);
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Pupils, Vec<InputProblem>> {
        read_pupils(&Input::bytes("pupils.csv", text.as_bytes().to_vec()), 20)
    }

    fn file(ids: &[&str]) -> String {
        let rows: String = ids
            .iter()
            .map(|id| format!("{id},2014-03-01,5\n"))
            .collect();
        format!("pupil_id,date_of_birth,year_group\n{rows}")
    }

    #[test]
    fn pupils_are_found_by_id_in_any_order() {
        // In id order (no index: found by halving), then one out of order (`P10` sorts
        // before `P9`: the index is made there), then both kinds read back.
        for ids in [
            &["A1", "B2", "C3", "D4"][..],
            &["P8", "P9", "P10", "P11"],
            &["Z", "Y", "X"],
        ] {
            let pupils = read(&file(ids)).unwrap_or_default();
            assert_eq!(pupils.len(), ids.len(), "{ids:?}");
            for (i, id) in ids.iter().enumerate() {
                let found = pupils.get(id).map(|p| p.id.as_str());
                assert_eq!(found, Some(*id), "{ids:?}");
                assert_eq!(pupils.position(id), Some(i), "{ids:?}");
            }
            assert!(pupils.get("P1").is_none() && pupils.get("").is_none());
        }
    }

    #[test]
    fn an_id_twice_is_reported_at_its_second_row_with_the_first_row_s_line() {
        // Twice while the file is in order, and twice after it left it: the header is line
        // 1, so pupil `i` is on line `i + 2`.
        for (ids, twice, first_line, line) in [
            (&["A1", "A1", "B2"][..], "A1", 2, 3),
            (&["B2", "A1", "C3", "A1"], "A1", 3, 5),
            (&["B2", "A1", "C3", "B2"], "B2", 2, 5),
        ] {
            let problems = read(&file(ids)).err().unwrap_or_default();
            let [problem] = &problems[..] else {
                panic!("{ids:?}: {problems:?}");
            };
            assert_eq!(problem.at.line, line, "{ids:?}");
            let expected = RegisterError::DuplicatePupil {
                pupil: twice.into(),
                first_line,
            };
            assert_eq!(problem.error, expected, "{ids:?}");
        }
    }

    #[test]
    fn a_list_given_whole_finds_the_last_of_an_id_twice() {
        let pupil = |id: &str, dob: u32| Pupil {
            dob: NaiveDate::from_ymd_opt(2014, 1, dob),
            ..Pupil::unknown(id.into())
        };
        let list = vec![pupil("B", 1), pupil("A", 2), pupil("B", 3)];
        let pupils = Pupils::of(list, FxHashMap::default(), Vec::new());
        assert_eq!(pupils.position("B"), Some(2));
        assert_eq!(pupils.position("A"), Some(1));
        let sorted = Pupils::of(
            vec![pupil("A", 1), pupil("B", 2)],
            FxHashMap::default(),
            Vec::new(),
        );
        assert!(sorted.index.is_none());
        assert_eq!(sorted.position("B"), Some(1));
    }
}
