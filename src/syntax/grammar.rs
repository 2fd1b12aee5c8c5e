//! The pest parser generated from `grammar/policy.pest`; the one grammar both surfaces use.

use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../grammar/policy.pest"]
pub struct PolicyParser;
