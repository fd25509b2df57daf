//! Step times on stderr when `LMSCOPE_TIMINGS` is set: where a publish or an import
//! spends its time, for the bench scripts.

use std::time::Instant;

/// A stopwatch that prints each step's time when `LMSCOPE_TIMINGS` is set, else nothing.
pub struct Timings {
    what: &'static str,
    since: Option<Instant>,
}

impl Timings {
    /// Timings of `what` (`publish`, `import log`), on only when `LMSCOPE_TIMINGS` is set.
    pub fn from_env(what: &'static str) -> Self {
        Self {
            what,
            since: std::env::var_os("LMSCOPE_TIMINGS").map(|_| Instant::now()),
        }
    }

    /// Print the time since the last step, naming this one.
    pub fn step(&mut self, step: &str) {
        if let Some(since) = &mut self.since {
            eprintln!(
                "{}: {step}: {:.2} s",
                self.what,
                since.elapsed().as_secs_f64()
            );
            *since = Instant::now();
        }
    }
}
