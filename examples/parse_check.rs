//! Development aid: parse files and print them back in canonical form (or the diagnostics).
use attend::source::Source;
fn main() {
    let print = std::env::var("PRINT").is_ok();
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let src = Source::new(path.clone(), text);
        match attend::syntax::parse(&src) {
            Ok(file) => {
                if print {
                    print!("{}", attend::syntax::print_dsl::print_file(&file));
                } else {
                    println!("{path}: ok");
                }
            }
            Err(errors) => {
                for e in errors {
                    println!("{:?}", miette::Report::new(e));
                }
            }
        }
    }
}
