//! Progress bars for long runs, drawn on standard error with indicatif, and only when standard
//! error is a terminal and `--quiet` was not given: piped or redirected, a run prints no bar,
//! no carriage return and no escape code. The library reports progress through
//! [`crate::progress::Progress`]; this is the one implementation that draws.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::{Progress, ProgressHandle};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Records the global `--quiet` flag (set once, in `main`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given: no progress bars and no closing "wrote …" lines.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether bars are drawn at all.
fn shown() -> bool {
    !quiet() && std::io::stderr().is_terminal()
}

/// What a bar counts.
#[derive(Clone, Copy, Debug)]
pub enum Unit {
    Bytes,
    Pupils,
    Letters,
}

/// A bar (hidden when bars are not shown) for the step `what`, e.g. "reading register".
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(what: &'static str, unit: Unit) -> Bar {
        if !shown() {
            return Bar(ProgressBar::hidden());
        }
        let counts = match unit {
            Unit::Bytes => "{bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            Unit::Pupils => "{human_pos}/{human_len} pupils ({eta})",
            Unit::Letters => "{human_pos}/{human_len} letters ({eta})",
        };
        let template = format!("{{prefix:>18}} [{{bar:40}}] {counts}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10))
            .with_style(style)
            .with_prefix(what);
        Bar(bar)
    }

    /// A spinner for a step whose size is not known, ticking on its own until finished.
    pub fn spinner(what: &'static str) -> Bar {
        if !shown() {
            return Bar(ProgressBar::hidden());
        }
        let style = ProgressStyle::with_template("{prefix:>18} {spinner} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10))
            .with_style(style)
            .with_prefix(what);
        bar.enable_steady_tick(Duration::from_millis(100));
        Bar(bar)
    }

    /// Prints a line on standard error without breaking the bar.
    pub fn eprintln(&self, line: &str) {
        self.0.suspend(|| eprintln!("{line}"));
    }

    /// The bar as the library's progress hook.
    pub fn handle(self) -> ProgressHandle {
        ProgressHandle(Arc::new(self))
    }
}

impl Progress for Bar {
    fn set_len(&self, len: u64) {
        self.0.set_length(len);
    }

    fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    fn finish(&self) {
        // The bar goes; what the step produced is printed after it.
        self.0.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        // A step that fails part-way leaves no half-drawn bar behind its error message.
        if !self.0.is_finished() {
            self.0.finish_and_clear();
        }
    }
}
