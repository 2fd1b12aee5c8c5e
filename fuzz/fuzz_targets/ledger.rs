//! The SQLite ledger: the same bytes as an edited actions.csv for `attend done --import`
//! (its requests applied to a ledger a run has just written), and as the ledger file itself,
//! which a run records into and `attend done` marks. A corrupt or foreign file must be a clear
//! error, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use attend::cli::done::read_import_from;
use attend::diagnostic::Problem;
use attend::ledger::{DoneRequest, Ledger, LedgerError, RunInfo};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 10, 1).unwrap_or_default()
}

/// Where this process writes each input as a ledger file.
fn ledger_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("attend-fuzz-ledger-{}.sqlite", std::process::id()))
    })
}

/// Removes the ledger file and what SQLite keeps beside it (a hostile header can ask for a
/// write-ahead log), so each input starts from nothing.
fn clear(path: &PathBuf) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

fn render(e: &LedgerError) {
    std::hint::black_box((e.to_string(), e.code(), e.help()));
}

/// Records the bundled scenario's run into `ledger`, then marks `requests` done.
fn record_and_mark(ledger: &mut Ledger, requests: &[DoneRequest]) {
    let scenario = attend_fuzz::ledger_scenario();
    let info = RunInfo {
        at: "2024-10-01T08:00:00Z".into(),
        policy: "fuzz.policy".into(),
        register: "fuzz.csv".into(),
    };
    match ledger.begin() {
        Ok(mut run) => {
            match run.record(
                &scenario.table,
                &scenario.days,
                &scenario.register,
                &scenario.outcome,
                &info,
            ) {
                Ok(recorded) => {
                    std::hint::black_box(attend::ledger::withdrawn_csv(&recorded.withdrawn));
                    if let Err(e) = run.commit() {
                        render(&e);
                    }
                }
                Err(e) => render(&e),
            }
        }
        Err(e) => render(&e),
    }
    match ledger.mark_done(requests) {
        Ok(done) => {
            std::hint::black_box(done);
        }
        Err((_, e)) => render(&e),
    }
}

fuzz_target!(|data: &[u8]| {
    // The bytes as an edited actions.csv, imported into a ledger a run has just written.
    let requests = match read_import_from(data, "actions.csv", today()) {
        Ok(found) => found.into_iter().map(|(_, r)| r).collect(),
        Err(message) => {
            std::hint::black_box(message);
            Vec::new()
        }
    };
    match rusqlite::Connection::open_in_memory() {
        Ok(conn) => match Ledger::new(conn) {
            Ok(mut ledger) => record_and_mark(&mut ledger, &requests),
            Err(e) => render(&e),
        },
        Err(e) => render(&e.into()),
    }
    // The bytes as the ledger file.
    let path = ledger_path();
    clear(path);
    if std::fs::write(path, data).is_err() {
        return;
    }
    let opened = rusqlite::Connection::open(path)
        .map_err(LedgerError::from)
        .and_then(Ledger::new);
    match opened {
        Ok(mut ledger) => {
            let prefix = DoneRequest {
                id: "000000".into(),
                on: today(),
                note: Some("fuzz".into()),
            };
            record_and_mark(&mut ledger, &[prefix]);
            record_and_mark(&mut ledger, &requests);
        }
        Err(e) => render(&e),
    }
    clear(path);
});
