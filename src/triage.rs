//! The pass/fail decision: only active findings count (not waived, not already in a
//! baseline).

use crate::model::{Finding, Severity};

/// Process exit codes, documented in the README.
pub mod exit {
    /// Nothing at or above the threshold.
    pub const OK: i32 = 0;
    /// Findings at or above the threshold.
    pub const FINDINGS: i32 = 1;
    /// Usage or configuration error (bad flag, unknown revision, broken policy).
    pub const USAGE: i32 = 2;
    /// Some input or policy could not be processed: the result is incomplete.
    pub const INCOMPLETE: i32 = 3;
}

/// `--fail-on`: the lowest severity that fails the run, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("never") || s.eq_ignore_ascii_case("none") {
            return Ok(Self::Never);
        }
        Severity::parse(s).map(Self::Severity).ok_or_else(|| {
            format!("{s:?} is not a severity: use critical, high, medium, low, info or never")
        })
    }
}

/// The exit code: an incomplete scan (3) outranks findings (1), because a partial result
/// must never pass as a clean one.
pub fn exit_code(findings: &[Finding], incomplete: bool, fail_on: FailOn) -> i32 {
    if incomplete {
        return exit::INCOMPLETE;
    }
    let failing = match fail_on {
        FailOn::Never => false,
        FailOn::Severity(min) => findings.iter().any(|f| f.is_active() && f.severity >= min),
    };
    if failing {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
