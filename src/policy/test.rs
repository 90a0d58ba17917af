//! `plumbline policy test`: runs every `test_*` rule, like `opa test`.

use super::PolicySet;
use regorus::Value;
use std::time::{Duration, Instant};

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
                let status = match engine.eval_rule(query) {
                    Ok(Value::Bool(true)) => Status::Pass,
                    Ok(_) => Status::Fail,
                    Err(e) => {
                        let p = super::split_rego_error(&e);
                        Status::Error(match (p.file, p.line) {
                            (Some(f), Some(l)) => format!("{f}:{l}: {}", p.message),
                            _ => p.message,
                        })
                    }
                };
                TestResult {
                    package: package.clone(),
                    name: name.clone(),
                    file: file.clone(),
                    status,
                    duration: started.elapsed(),
                    output: engine.take_prints().unwrap_or_default(),
                }
            },
        )
        .collect()
}
