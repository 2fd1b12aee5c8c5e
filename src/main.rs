fn main() -> std::process::ExitCode {
    attend::cli::main()
}
