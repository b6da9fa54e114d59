//! Batch progress on stderr: one line rewritten in place on a terminal
//! (`[ 37/120] ok 35  errors 2  1.2s`), otherwise a plain line every few items.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::render::duration_ms;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Rewrite one line in place (stderr is a terminal).
    Live,
    /// Print a line every `every` items and at the end.
    Lines {
        every: usize,
    },
    Off,
}

impl Mode {
    /// Live on a terminal, else about ten lines over the whole batch.
    pub fn pick(is_terminal: bool, total: usize, quiet: bool) -> Self {
        if quiet {
            Mode::Off
        } else if is_terminal {
            Mode::Live
        } else {
            Mode::Lines {
                every: (total / 10).clamp(1, 1000),
            }
        }
    }
}

pub struct Progress {
    mode: Mode,
    total: usize,
    ok: usize,
    errors: usize,
    started: Instant,
    last_printed: usize,
}

impl Progress {
    pub fn new(mode: Mode, total: usize) -> Self {
        Progress {
            mode,
            total,
            ok: 0,
            errors: 0,
            started: Instant::now(),
            last_printed: 0,
        }
    }

    pub fn is_live(&self) -> bool {
        self.mode == Mode::Live
    }

    /// Counts one item result (answered or rejected) and shows progress as the mode wants.
    pub fn item(&mut self, ok: bool) {
        if ok {
            self.ok += 1;
        } else {
            self.errors += 1;
        }
        match self.mode {
            Mode::Live => self.redraw(),
            Mode::Lines { every } => {
                let done = self.done();
                if done.is_multiple_of(every) || done == self.total {
                    self.print_line();
                }
            }
            Mode::Off => {}
        }
    }

    /// Rewrites the live line (also called on a timer so the clock moves).
    pub fn redraw(&mut self) {
        if self.mode == Mode::Live {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\x1b[K", self.line());
            let _ = err.flush();
        }
    }

    /// Ends the progress display, leaving the final counts visible.
    pub fn finish(&mut self) {
        match self.mode {
            Mode::Live => {
                self.redraw();
                eprintln!();
            }
            Mode::Lines { .. } if self.last_printed != self.done() => self.print_line(),
            _ => {}
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn done(&self) -> usize {
        self.ok + self.errors
    }

    fn print_line(&mut self) {
        self.last_printed = self.done();
        eprintln!("{}", self.line());
    }

    fn line(&self) -> String {
        let elapsed = u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX);
        line(self.done(), self.total, self.ok, self.errors, elapsed)
    }
}

/// `[ 37/120] ok 35  errors 2  1.2s`, the count padded to the total's width.
pub fn line(done: usize, total: usize, ok: usize, errors: usize, elapsed_ms: u64) -> String {
    let width = total.to_string().len();
    format!(
        "[{done:>width$}/{total}] ok {ok}  errors {errors}  {}",
        duration_ms(elapsed_ms)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line() {
        assert_eq!(
            line(37, 120, 35, 2, 1234),
            "[ 37/120] ok 35  errors 2  1.2s"
        );
        assert_eq!(line(5, 5, 5, 0, 80), "[5/5] ok 5  errors 0  80ms");
    }

    #[test]
    fn mode_choice() {
        assert_eq!(Mode::pick(true, 10, false), Mode::Live);
        assert_eq!(Mode::pick(true, 10, true), Mode::Off);
        assert_eq!(Mode::pick(false, 5, false), Mode::Lines { every: 1 });
        assert_eq!(Mode::pick(false, 120, false), Mode::Lines { every: 12 });
        assert_eq!(
            Mode::pick(false, 1_000_000, false),
            Mode::Lines { every: 1000 }
        );
    }
}
