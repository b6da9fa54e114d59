//! One check's result (PASS, FAIL with the reason, SKIP with the reason) and the whole run's
//! report: the table a person reads and the exit status a script reads. Owns presentation
//! only; what passes is decided by the checks.

use std::fmt::Write as _;

/// How one check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass(String),
    Fail(String),
    Skip(String),
}

impl Outcome {
    pub fn word(&self) -> &'static str {
        match self {
            Self::Pass(_) => "PASS",
            Self::Fail(_) => "FAIL",
            Self::Skip(_) => "SKIP",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Self::Pass(d) | Self::Fail(d) | Self::Skip(d) => d,
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self, Self::Fail(_))
    }
}

/// A check's name and outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub name: &'static str,
    pub outcome: Outcome,
}

/// Every check of one run, in the order run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub source: String,
    pub connector_type: String,
    pub results: Vec<CheckResult>,
}

impl Report {
    pub fn push(&mut self, name: &'static str, outcome: Outcome) {
        self.results.push(CheckResult { name, outcome });
    }

    /// Whether no check failed (skips do not fail a run).
    pub fn passed(&self) -> bool {
        !self.results.iter().any(|r| r.outcome.failed())
    }

    /// The outcome of check `name`, if it ran.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.results
            .iter()
            .find(|r| r.name == name)
            .map(|r| &r.outcome)
    }

    /// Names of the failed checks, in order.
    pub fn failed(&self) -> Vec<&'static str> {
        self.results
            .iter()
            .filter(|r| r.outcome.failed())
            .map(|r| r.name)
            .collect()
    }

    /// The table: one line per check (name, result, detail), then a summary line.
    pub fn table(&self) -> String {
        let width = self
            .results
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "conformance of source {} (type {})\n",
            self.source, self.connector_type
        );
        let _ = writeln!(out, "{:<width$}  {:<6}  detail", "check", "result");
        let _ = writeln!(out, "{:-<width$}  {:-<6}  {:-<40}", "", "", "");
        for r in &self.results {
            let mut lines = r.outcome.detail().lines();
            let first = lines.next().unwrap_or("");
            let _ = writeln!(out, "{:<width$}  {:<6}  {first}", r.name, r.outcome.word());
            for more in lines {
                let _ = writeln!(out, "{:<width$}  {:<6}  {more}", "", "");
            }
        }
        let count = |word: &str| {
            self.results
                .iter()
                .filter(|r| r.outcome.word() == word)
                .count()
        };
        let _ = writeln!(
            out,
            "\n{} passed, {} failed, {} skipped",
            count("PASS"),
            count("FAIL"),
            count("SKIP")
        );
        out
    }
}
