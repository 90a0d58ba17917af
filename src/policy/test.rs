//! `plumbline policy test`: runs every `test_*` rule, like `opa test`.

use super::limits::excerpt;
use super::PolicySet;
use regorus::Value;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

/// The most characters of one printed line shown.
const MAX_PRINT_CHARS: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Error(String),
}

#[derive(Debug, Clone)]
pub struct TestResult {
    pub package: String,
    pub name: String,
    pub file: String,
    pub status: Status,
    pub duration: Duration,
    /// What the test printed (shown for failures, as opa does).
    pub output: Vec<String>,
}

/// Runs the tests whose `data.<package>.<name>` matches `filter` (a substring), in parallel.
pub fn run(set: &PolicySet, filter: Option<&str>) -> Vec<TestResult> {
    use rayon::prelude::*;
    let selected: Vec<_> = set
        .tests
        .iter()
        .filter(|(p, n, _)| filter.is_none_or(|f| format!("data.{p}.{n}").contains(f)))
        .collect();
    selected
        .par_iter()
        .map_init(
            || set.engine.clone(),
            |engine, (package, name, file)| {
                let started = Instant::now();
                let query = format!("data.{package}.{name}");
                // A fresh resource budget per test; a panic in the engine fails this test only.
                super::limits::start_evaluation();
                let outcome =
                    std::panic::catch_unwind(AssertUnwindSafe(|| engine.eval_rule(query)));
                let status = match outcome {
                    Ok(Ok(Value::Bool(true))) => Status::Pass,
                    Ok(Ok(_)) => Status::Fail,
                    Ok(Err(e)) => {
                        let p = super::split_rego_error(&e);
                        let message = excerpt(&p.message, super::MAX_MESSAGE_CHARS);
                        Status::Error(match (p.file, p.line) {
                            (Some(f), Some(l)) => format!("{f}:{l}: {message}"),
                            _ => message,
                        })
                    }
                    Err(panic) => {
                        *engine = set.engine.clone();
                        Status::Error(format!(
                            "the Rego engine failed ({}); this is a bug in the engine, \
                             triggered by this test",
                            panic_text(&*panic)
                        ))
                    }
                };
                // What a test prints reaches the terminal: control characters escaped.
                let output = engine
                    .take_prints()
                    .unwrap_or_default()
                    .iter()
                    .map(|line| excerpt(line, MAX_PRINT_CHARS))
                    .collect();
                TestResult {
                    package: package.clone(),
                    name: name.clone(),
                    file: file.clone(),
                    status,
                    duration: started.elapsed(),
                    output,
                }
            },
        )
        .collect()
}

/// The message of a caught panic, short and escaped.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    excerpt(&text, super::MAX_MESSAGE_CHARS)
}
