//! Policy tests (`attend test`): small hand-written registers beside a policy, with the actions
//! the school expects on which days, run through the engine and compared per pupil and day.
//! `format.rs` reads a `.policy.test` file, `run.rs` runs its tests, `render.rs` prints a diff.

mod format;
mod render;
mod run;

pub use format::{Case, Expect, Section, TestFile, TestFileError, Word, parse};
pub use render::failure_text;
pub use run::{CaseResult, DayDiff, PupilDiff, run_case};

/// A test file's name ends with this, after the policy's own file name
/// (`kings-cross-academy.policy.test` tests `kings-cross-academy.policy`).
pub const EXTENSION: &str = ".test";
