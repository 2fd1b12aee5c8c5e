//! Opening an input: a file (gzip recognised by its magic bytes, whatever its name) or bytes
//! in memory, and recognising which register format it holds from its first line. Register
//! files can be larger than memory, so readers stream them; the CLI only names them.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;

use super::error::{InputProblem, RegisterError};
use crate::progress::ProgressHandle;

/// The register formats of data-formats.md §6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `pupil_id,date,session,mark,...`: one row per pupil and session.
    Long,
    /// `pupil_id,start_date,marks`: one row per pupil and run of calendar days.
    Compact,
    /// CTF XML, `CTfile/CTFpupilData/Pupil/Attendance`.
    Ctf,
    /// SIMS XML, `SessionAttendances`: one element per pupil and session.
    Sims,
    /// JSON session records (Wonde, Arbor): an array, JSON lines or a `data` array.
    Json,
    /// Any CSV whose columns `--columns` (or its MIS header names) say which is which.
    Mapped,
    /// A grid report: one row per pupil, one column per session or day.
    Grid,
}

impl Format {
    /// The formats by the names `--format` takes.
    pub const NAMES: [(&'static str, Format); 7] = [
        ("long", Format::Long),
        ("compact", Format::Compact),
        ("ctf", Format::Ctf),
        ("sims", Format::Sims),
        ("json", Format::Json),
        ("mapped", Format::Mapped),
        ("grid", Format::Grid),
    ];

    pub fn name(self) -> &'static str {
        Format::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("long", |(n, _)| n)
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }
}

/// A named input that can be opened (more than once, for the rare second look an error
/// message needs).
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    Path(PathBuf),
    Bytes(Arc<[u8]>),
}

const BUFFER: usize = 1 << 20;

impl Input {
    pub fn path(path: impl Into<PathBuf>) -> Input {
        let path = path.into();
        Input {
            name: path.display().to_string(),
            source: Source::Path(path),
        }
    }

    pub fn bytes(name: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Input {
        Input {
            name: name.into(),
            source: Source::Bytes(bytes.into()),
        }
    }

    fn unreadable(&self, e: &std::io::Error) -> InputProblem {
        InputProblem::whole_file(
            RegisterError::Unreadable {
                file: self.name.clone(),
                reason: e.to_string(),
            },
            &self.name,
        )
    }

    /// The size of the input in bytes (compressed, for gzip), when it can be known.
    pub fn size(&self) -> Option<u64> {
        match &self.source {
            Source::Path(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            Source::Bytes(bytes) => Some(bytes.len() as u64),
        }
    }

    /// Opens the input, decompressing gzip.
    pub fn open(&self) -> Result<Box<dyn BufRead + Send>, InputProblem> {
        self.open_with(None)
    }

    /// [`Input::open`], telling `progress` of each block of bytes read from the input.
    pub fn open_with(
        &self,
        progress: Option<&ProgressHandle>,
    ) -> Result<Box<dyn BufRead + Send>, InputProblem> {
        let mut raw: Box<dyn Read + Send> = match &self.source {
            Source::Path(path) => Box::new(File::open(path).map_err(|e| self.unreadable(&e))?),
            Source::Bytes(bytes) => Box::new(std::io::Cursor::new(Arc::clone(bytes))),
        };
        if let Some(progress) = progress {
            raw = Box::new(Counting {
                inner: raw,
                progress: progress.clone(),
            });
        }
        let mut raw = BufReader::with_capacity(BUFFER, raw);
        let head = raw.fill_buf().map_err(|e| self.unreadable(&e))?;
        if head.starts_with(&[0x1f, 0x8b]) {
            Ok(Box::new(BufReader::with_capacity(
                BUFFER,
                flate2::bufread::MultiGzDecoder::new(raw),
            )))
        } else {
            Ok(Box::new(raw))
        }
    }

    /// Opens the input and tells its format from the first line.
    pub fn open_detect(&self) -> Result<(Format, Box<dyn BufRead + Send>), Vec<InputProblem>> {
        self.open_detect_with(None)
    }

    /// [`Input::open_detect`], the format `--format` names or a CSV that `--columns` maps
    /// taking the place of what the content says.
    pub fn open_as(
        &self,
        format: Option<Format>,
        mapped: bool,
        progress: Option<&ProgressHandle>,
    ) -> Result<(Format, Box<dyn BufRead + Send>), Vec<InputProblem>> {
        if let Some(format) = format {
            return Ok((format, self.open_with(progress).map_err(|p| vec![p])?));
        }
        match self.open_detect_with(progress) {
            Ok((Format::Long, reader)) if mapped => Ok((Format::Mapped, reader)),
            Err(problems)
                if mapped
                    && problems.iter().any(|p| {
                        matches!(
                            p.error,
                            RegisterError::UnknownFormat { .. }
                                | RegisterError::UnmappedColumns { .. }
                                | RegisterError::MissingColumn { .. }
                        )
                    }) =>
            {
                Ok((
                    Format::Mapped,
                    self.open_with(progress).map_err(|p| vec![p])?,
                ))
            }
            other => other,
        }
    }

    /// [`Input::open_detect`], telling `progress` of each block of bytes read.
    pub fn open_detect_with(
        &self,
        progress: Option<&ProgressHandle>,
    ) -> Result<(Format, Box<dyn BufRead + Send>), Vec<InputProblem>> {
        let mut reader = self.open_with(progress).map_err(|p| vec![p])?;
        let head = reader.fill_buf().map_err(|e| vec![self.unreadable(&e)])?;
        let format = detect(head).map_err(|error| {
            let line = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
            let text = String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned();
            let problem = InputProblem::new(error, &self.name, 1, 1);
            vec![if text
                .chars()
                .all(|c| !c.is_control() || c == '\r' || c == '\t')
            {
                problem.with_text(&text, 1)
            } else {
                problem
            }]
        })?;
        Ok((format, reader))
    }
}

/// A reader that reports how many bytes it has read.
struct Counting {
    inner: Box<dyn Read + Send>,
    progress: ProgressHandle,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

fn detect(head: &[u8]) -> Result<Format, RegisterError> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let line = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if head.is_empty() {
        return Err(RegisterError::Empty);
    }
    if line.contains(&0) || std::str::from_utf8(&line[..line.len().min(4096)]).is_err() {
        return Err(RegisterError::NotText);
    }
    let start = head.trim_ascii_start();
    if start.starts_with(b"<") {
        return match root_element(start) {
            Some(b"CTfile") => Ok(Format::Ctf),
            Some(b"SessionAttendances") => Ok(Format::Sims),
            _ if memchr::memmem::find(head, b"<PersonID").is_some()
                && memchr::memmem::find(head, b"<AttendanceMark").is_some() =>
            {
                Ok(Format::Sims)
            }
            Some(root) => Err(RegisterError::UnknownFormat {
                found: format!(
                    "an XML file whose root element is `<{}>`",
                    String::from_utf8_lossy(root)
                        .chars()
                        .take(60)
                        .collect::<String>()
                ),
            }),
            None => Err(RegisterError::UnknownFormat {
                found: "an XML file with no root element".into(),
            }),
        };
    }
    if start.starts_with(b"[") || start.starts_with(b"{") {
        return Ok(Format::Json);
    }
    let columns = header_names(line);
    let has = |name: &str| columns.iter().any(|c| c == name);
    if has("start_date") && has("marks") {
        if has("pupil_id") {
            return Ok(Format::Compact);
        }
        return Err(RegisterError::MissingColumn {
            column: "pupil_id".into(),
            expected: "`pupil_id,start_date,marks`",
        });
    }
    let required = ["pupil_id", "date", "session", "mark"];
    let found = required.iter().filter(|c| has(c)).count();
    let text: String = String::from_utf8_lossy(line)
        .trim_end()
        .chars()
        .take(80)
        .collect();
    match required.iter().find(|c| !has(c)) {
        None => Ok(Format::Long),
        Some(_)
            if columns
                .iter()
                .filter(|c| super::grid::session_column(c).is_some())
                .count()
                >= 2 =>
        {
            Ok(Format::Grid)
        }
        Some(_) if super::columns::infer(&columns).is_some() => Ok(Format::Mapped),
        Some(missing) if found >= 2 => Err(RegisterError::UnmappedColumns {
            column: (*missing).to_string(),
            header: text,
        }),
        Some(_) => Err(RegisterError::UnknownFormat {
            found: format!("its header is `{text}`"),
        }),
    }
}

/// The name of an XML document's root element: the first tag that is not a declaration,
/// processing instruction, comment or doctype.
fn root_element(mut xml: &[u8]) -> Option<&[u8]> {
    loop {
        let at = memchr::memchr(b'<', xml)?;
        xml = &xml[at + 1..];
        match xml.first()? {
            b'?' | b'!' => {
                let end = if xml.starts_with(b"!--") {
                    memchr::memmem::find(xml, b"-->")?
                } else {
                    memchr::memchr(b'>', xml)?
                };
                xml = &xml[end..];
            }
            _ => {
                let end = xml
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
                    .unwrap_or(xml.len());
                let name = &xml[..end];
                // A namespace prefix is not part of the name.
                let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
                return (!local.is_empty()).then_some(local);
            }
        }
    }
}

/// The column names of a CSV header line, lower-cased, quotes and spaces removed.
pub(crate) fn header_names(line: &[u8]) -> Vec<String> {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    String::from_utf8_lossy(line)
        .trim_end_matches(['\r', '\n'])
        .split(',')
        .map(|c| c.trim().trim_matches('"').trim().to_ascii_lowercase())
        .collect()
}
