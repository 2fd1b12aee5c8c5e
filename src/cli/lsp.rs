//! `attend lsp`: serves the Language Server Protocol on standard input and output, with the
//! findings `attend check` adds to the pipeline's (letter templates, suppressions).

use lsp_server::Connection;

use super::{EXIT_FAILURE, EXIT_OK};

pub fn run() -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let served = crate::lsp::serve(&connection, super::findings);
    drop(connection);
    let joined = io_threads.join();
    match (served, joined) {
        (Ok(()), Ok(())) => EXIT_OK,
        (Err(e), _) => {
            eprintln!("error: attend lsp: {e}");
            EXIT_FAILURE
        }
        (_, Err(e)) => {
            eprintln!("error: attend lsp: {e}");
            EXIT_FAILURE
        }
    }
}
