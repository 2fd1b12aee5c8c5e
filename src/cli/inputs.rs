//! Reading a run's inputs: the pupils file, the codes map and the register (whole, or
//! handed to the stream), with the key that pseudonymises UPNs, and how their problems are
//! printed.

use std::path::{Path, PathBuf};

use super::EXIT_FAILURE;
use super::progress::{Bar, Unit};
use crate::register::{self, CodesMap, Input, InputProblem, ReadOptions};
use crate::table::SchoolDays;

/// Prints the problems and a closing line; `limit` is where the reader stopped looking,
/// so reaching it means there may be more.
pub(super) fn print_problems(problems: &[InputProblem], limit: Option<usize>) {
    for p in problems {
        eprint!("{p}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.is_error() && !matches!(p.error, register::RegisterError::TooMany { .. }))
        .count();
    let more = problems
        .iter()
        .any(|p| matches!(p.error, register::RegisterError::TooMany { .. }));
    if errors > 0 {
        let stopped = match limit {
            Some(1) if !more => " (stopped at the first; `--keep-going` reports more)".to_string(),
            Some(n) if n == errors && !more => {
                format!(" (stopped at the `--max-errors` limit of {n}; there may be more)")
            }
            _ => String::new(),
        };
        eprintln!(
            "{errors} {} in the input{stopped}; nothing was written",
            if errors == 1 { "problem" } else { "problems" }
        );
    }
}

/// The register and what it is read with, as `run` and `export` take them.
pub(super) struct Inputs<'a> {
    pub register: &'a Path,
    pub pupils: Option<&'a Path>,
    pub codes_map: Option<&'a Path>,
    pub format: Option<register::Format>,
    pub columns: Option<register::ColumnMap>,
    pub keep_going: bool,
    pub max_errors: usize,
    pub allow_missing: bool,
    pub keep_upn: bool,
}

/// Reads the pupils file, the codes map and the register over `days`, printing any problems
/// (and the register's warnings); the exit status when one cannot be read.
pub(super) fn read_inputs(
    inputs: &Inputs<'_>,
    calendar: &crate::model::Calendar,
    days: &SchoolDays,
) -> Result<register::Register, u8> {
    let side = read_side(inputs)?;
    read_whole(inputs, side, calendar, days)
}

/// What a register is read with: the pupils file, the codes map and the options.
pub(super) struct Side {
    pub pupils: Option<register::Pupils>,
    pub codes_map: Option<CodesMap>,
    pub options: ReadOptions,
}

/// Reads the pupils file and the codes map, printing any problems.
pub(super) fn read_side(inputs: &Inputs<'_>) -> Result<Side, u8> {
    let options = read_options(inputs);
    let pupils = read_pupils(inputs, &options)?;
    let codes_map = read_codes_map(inputs)?;
    Ok(Side {
        pupils,
        codes_map,
        options,
    })
}

/// How the register is read, as the command line says.
pub(super) fn read_options(inputs: &Inputs<'_>) -> ReadOptions {
    let mut options = ReadOptions {
        keep_going: inputs.keep_going,
        max_errors: inputs.max_errors,
        allow_missing: inputs.allow_missing,
        keep_upn: inputs.keep_upn,
        pseudonym_key: None,
        progress: Bar::new("reading register", Unit::Bytes).handle(),
        format: inputs.format,
        columns: inputs.columns.clone(),
    };
    options.pseudonym_key = pseudonym_key(&Input::path(inputs.register), &options);
    options
}

/// Reads the pupils file, if there is one, printing its problems and warnings.
pub(super) fn read_pupils(
    inputs: &Inputs<'_>,
    options: &ReadOptions,
) -> Result<Option<register::Pupils>, u8> {
    let Some(path) = inputs.pupils else {
        return Ok(None);
    };
    register::read_pupils(&Input::path(path), options.limit())
        .map_err(|p| {
            print_problems(&p, Some(options.limit()));
            EXIT_FAILURE
        })
        .inspect(|p| print_problems(&p.warnings, None))
        .map(Some)
}

/// Reads the codes map, if there is one, printing its problems.
pub(super) fn read_codes_map(inputs: &Inputs<'_>) -> Result<Option<CodesMap>, u8> {
    let Some(path) = inputs.codes_map else {
        return Ok(None);
    };
    CodesMap::read(&Input::path(path)).map(Some).map_err(|p| {
        print_problems(&p, None);
        EXIT_FAILURE
    })
}

/// Reads the whole register, printing any problems (and its warnings).
pub(super) fn read_whole(
    inputs: &Inputs<'_>,
    side: Side,
    calendar: &crate::model::Calendar,
    days: &SchoolDays,
) -> Result<register::Register, u8> {
    let Side {
        pupils,
        codes_map,
        options,
    } = side;
    let register = register::read_register(
        &Input::path(inputs.register),
        calendar,
        days,
        pupils.as_ref(),
        codes_map.as_ref(),
        &options,
    )
    .map_err(|p| {
        print_problems(&p, Some(options.limit()));
        EXIT_FAILURE
    })?;
    print_problems(&register.warnings, None);
    Ok(register)
}

/// The key that pseudonymises CTF UPNs: `ATTEND_PSEUDONYM_KEY`, or else a random key kept in
/// the user's configuration directory (made on first use, readable by them alone), so a
/// pupil's pseudonym is the same in every run on this machine and cannot be recovered by
/// hashing every possible UPN with a key everyone knows. Only a CTF register needs one.
fn pseudonym_key(register: &Input, options: &ReadOptions) -> Option<String> {
    if let Ok(key) = std::env::var("ATTEND_PSEUDONYM_KEY") {
        return Some(key);
    }
    if options.keep_upn || !register::upn_keyed(register, options) {
        return None;
    }
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?
        .join("attend");
    let path = dir.join("pseudonym-key");
    if let Ok(key) = std::fs::read_to_string(&path) {
        return Some(key.trim().to_string());
    }
    let made = (|| -> std::io::Result<String> {
        use std::io::{Read, Write};
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::create_dir_all(&dir)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path)?.write_all(key.as_bytes())?;
        Ok(key)
    })();
    // Another run may have made the key at the same moment: then use theirs.
    let made = made.or_else(|e| {
        std::fs::read_to_string(&path)
            .map(|k| k.trim().to_string())
            .map_err(|_| e)
    });
    match made {
        Ok(key) => {
            eprintln!(
                "note: CTF UPNs are pseudonymised with a new key kept in {}; keep it to get the same ids next time",
                path.display()
            );
            Some(key)
        }
        Err(e) => {
            eprintln!(
                "warning: cannot keep a pseudonym key in {} ({e}); set ATTEND_PSEUDONYM_KEY, or the ids use a built-in key",
                path.display()
            );
            None
        }
    }
}
