fn main() -> std::process::ExitCode {
    // A closed pipe (`attend run ... | head`) ends the process quietly, as it does any other
    // command-line tool. Rust starts programs with SIGPIPE ignored, which turns the reader
    // going away into an error on the next `print!`, and `print!` panics on it.
    #[cfg(unix)]
    // SAFETY: the first thing the program does, before any thread starts; restoring a
    // signal's default action changes nothing else in the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    attend::cli::main()
}
