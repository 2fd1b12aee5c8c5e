//! How a long piece of work (reading a register, running the engine) reports how far it has
//! got. Cross-cutting like [`crate::source`]: the register and the engine report through it,
//! and only the command line draws.

/// Where a long piece of work says how far it has got. The library never draws anything:
/// the command line implements this with a progress bar, and everything else passes
/// [`NoProgress`]. Calls may come from several threads at once.
pub trait Progress: Send + Sync {
    /// How many units the work has in all (bytes of a file, pupils).
    fn set_len(&self, _len: u64) {}
    /// `n` more units are done.
    fn inc(&self, _n: u64) {}
    /// The work is over.
    fn finish(&self) {}
}

/// Progress that nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// A shared [`Progress`], as [`crate::register::ReadOptions`] carries it; no progress by
/// default.
#[derive(Clone)]
pub struct ProgressHandle(pub std::sync::Arc<dyn Progress>);

impl Default for ProgressHandle {
    fn default() -> Self {
        ProgressHandle(std::sync::Arc::new(NoProgress))
    }
}

impl std::fmt::Debug for ProgressHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHandle")
    }
}

impl std::ops::Deref for ProgressHandle {
    type Target = dyn Progress;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
