//! A school's local codes (data-formats.md §6.e): `local,national`, or
//! `mis,mis_mark,mark,valid_from,valid_to` with dated rows. A local code is translated before
//! the national table is consulted; a mapping that loses information (`C1` to `C`) is refused.

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::error::{InputProblem, RegisterError};
use super::input::Input;
use super::parse_date;
use crate::codes;

#[derive(Clone, Debug, Default)]
pub struct CodesMap {
    map: FxHashMap<Vec<u8>, Vec<Mapping>>,
}

#[derive(Clone, Debug)]
struct Mapping {
    national: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl CodesMap {
    /// The national code for a local one on `date`; `None` when the map does not name it.
    pub fn translate(&self, local: &[u8], date: NaiveDate) -> Result<Option<&str>, RegisterError> {
        let Some(versions) = self.map.get(local) else {
            return Ok(None);
        };
        versions
            .iter()
            .find(|m| m.from.is_none_or(|f| f <= date) && m.to.is_none_or(|t| date <= t))
            .map(|m| Some(m.national.as_str()))
            .ok_or_else(|| RegisterError::CodeNotInForce {
                code: String::from_utf8_lossy(local).into_owned(),
                date: date.to_string(),
            })
    }

    /// The local codes the map names, sorted (so that suggestions do not depend on hashing).
    pub fn locals(&self) -> Vec<&str> {
        let mut locals: Vec<&str> = self
            .map
            .keys()
            .filter_map(|k| std::str::from_utf8(k).ok())
            .collect();
        locals.sort_unstable();
        locals
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Reads a codes map.
    pub fn read(input: &Input) -> Result<CodesMap, Vec<InputProblem>> {
        let name = &input.name;
        let reader = input.open().map_err(|p| vec![p])?;
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|_| vec![InputProblem::new(RegisterError::NotText, name, 1, 1)])?
            .clone();
        let columns: Vec<String> = headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let find = |n: &str| columns.iter().position(|c| c == n);
        let (local_col, national_col) = match (
            find("local"),
            find("national"),
            find("mis_mark"),
            find("mark"),
        ) {
            (Some(l), Some(n), _, _) | (_, _, Some(l), Some(n)) => (l, n),
            _ => {
                let error = RegisterError::MissingColumn {
                    column: "national".into(),
                    expected: "`local,national` or `mis_mark,mark`",
                };
                return Err(vec![InputProblem::new(error, name, 1, 1)]);
            }
        };
        let (from_col, to_col) = (find("valid_from"), find("valid_to"));
        let mut map = CodesMap::default();
        let mut problems = Vec::new();
        for record in csv.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    problems.push(InputProblem::new(RegisterError::NotText, name, line, 1));
                    break;
                }
            };
            let line = record.position().map_or(0, csv::Position::line);
            let text = record.iter().collect::<Vec<_>>().join(",");
            let column = |field: usize| {
                record
                    .iter()
                    .take(field)
                    .map(|f| f.chars().count() + 1)
                    .sum::<usize>() as u64
                    + 1
            };
            let field =
                |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
            let (local, national) = (field(Some(local_col)), field(Some(national_col)));
            let mut date = |i: Option<usize>| -> Option<NaiveDate> {
                let t = field(i);
                if t.is_empty() {
                    return None;
                }
                let parsed = parse_date(t.as_bytes());
                if parsed.is_none() {
                    let error = RegisterError::BadDate {
                        text: t.to_string(),
                    };
                    problems.push(
                        InputProblem::new(error, name, line, column(i.unwrap_or(0)))
                            .with_text(&text, t.len()),
                    );
                }
                parsed
            };
            let (from, to) = (date(from_col), date(to_col));
            if !codes::table().is_known(national) {
                let suggestion = codes::table().suggest(national).map(str::to_string);
                let error = RegisterError::UnknownCode {
                    code: national.to_string(),
                    suggestion,
                };
                problems.push(
                    InputProblem::new(error, name, line, column(national_col))
                        .with_text(&text, national.len()),
                );
                continue;
            }
            let lossy =
                local != national && codes::table().is_known(local) && local.starts_with(national);
            if lossy {
                let error = RegisterError::LossyMapping {
                    local: local.to_string(),
                    national: national.to_string(),
                };
                problems.push(
                    InputProblem::new(error, name, line, column(national_col))
                        .with_text(&text, national.len()),
                );
                continue;
            }
            map.map
                .entry(local.as_bytes().to_vec())
                .or_default()
                .push(Mapping {
                    national: national.to_string(),
                    from,
                    to,
                });
        }
        if problems.is_empty() {
            Ok(map)
        } else {
            Err(problems)
        }
    }
}
