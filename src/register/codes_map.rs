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

    /// Reads a codes map: CSV, or an MIS's code list as JSON.
    pub fn read(input: &Input) -> Result<CodesMap, Vec<InputProblem>> {
        let name = &input.name;
        let mut reader = input.open().map_err(|p| vec![p])?;
        let head = std::io::BufRead::fill_buf(&mut reader).unwrap_or(&[]);
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        if matches!(head.trim_ascii_start().first(), Some(b'[' | b'{')) {
            return read_code_list(name, reader);
        }
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

/// An MIS's code list as JSON (Wonde's `attendance-codes`, Arbor's `AttendanceMark`s): an
/// array, or an object whose `data` is one, of objects with an `id` and the national `code`
/// it stands for. Records that name a code by id are read through it. A code list is a few
/// dozen rows, so it is read whole.
fn read_code_list(
    name: &str,
    mut reader: Box<dyn std::io::BufRead + Send>,
) -> Result<CodesMap, Vec<InputProblem>> {
    let mut text = Vec::new();
    let limit = 1 << 20;
    let read = std::io::Read::read_to_end(&mut std::io::Read::take(&mut reader, limit), &mut text);
    let bad = |line: u64, column: u64, reason: String| {
        let error = RegisterError::BadRecord {
            format: "JSON code list",
            reason,
        };
        vec![InputProblem::new(error, name, line, column)]
    };
    if read.is_err() || text.len() as u64 >= limit {
        return Err(bad(0, 0, "not a code list under 1 MiB".into()));
    }
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        let reason = e.to_string();
        let reason = reason
            .split(" at line ")
            .next()
            .unwrap_or(&reason)
            .to_string();
        bad(e.line() as u64, e.column() as u64, reason)
    })?;
    let rows = match &value {
        serde_json::Value::Array(rows) => rows,
        serde_json::Value::Object(o) => match o.get("data") {
            Some(serde_json::Value::Array(rows)) => rows,
            _ => return Err(bad(1, 1, "an object with no `data` array".into())),
        },
        _ => return Err(bad(1, 1, "neither an array nor an object".into())),
    };
    let text_of = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s.trim().to_string()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut map = CodesMap::default();
    let mut problems = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (Some(id), Some(code)) = (text_of(row.get("id")), text_of(row.get("code"))) else {
            problems.extend(bad(0, 0, format!("code {} has no `id` and `code`", i + 1)));
            continue;
        };
        if !codes::table().is_known(&code) {
            let suggestion = codes::table().suggest(&code).map(str::to_string);
            problems.push(InputProblem::whole_file(
                RegisterError::UnknownCode { code, suggestion },
                name,
            ));
            continue;
        }
        map.map.entry(id.into_bytes()).or_default().push(Mapping {
            national: code,
            from: None,
            to: None,
        });
    }
    if problems.is_empty() {
        Ok(map)
    } else {
        Err(problems)
    }
}
