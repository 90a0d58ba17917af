//! `plumbline policy test` and `plumbline policy list`.

use super::args::*;
use super::{fail, fail_lines, policy_settings};
use crate::findings::exit;
use crate::policy::{self, test::Status};
use crate::textsafe;
use std::time::Duration;

pub(super) fn run_policy_test(args: TestArgs) -> i32 {
    let settings = policy::Settings {
        builtin: args.dirs.is_empty(),
        dirs: args.dirs.clone(),
        rego_v0: args.rego_v0,
        include_tests: true,
        ..policy::Settings::default()
    };
    let set = match policy::load(&settings) {
        Ok(s) => s,
        Err(e) => return fail_lines(format!("policy {e}")),
    };
    if set.tests.is_empty() {
        return fail("no test_* rules found: name test rules `test_…` in *_test.rego files");
    }
    let results = policy::test::run(&set, args.run.as_deref());
    let mut passed = 0;
    let mut failed = 0;
    let mut current_file = "";
    for r in &results {
        let ok = r.status == Status::Pass;
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        if !ok || args.verbose {
            if r.file != current_file {
                println!("{}:", textsafe::Escaped(&r.file));
                current_file = &r.file;
            }
            let status = match &r.status {
                Status::Pass => "PASS".to_string(),
                Status::Fail => "FAIL".to_string(),
                Status::Error(e) => format!("ERROR: {}", textsafe::indented_block(e, "    ")),
            };
            println!(
                "data.{}.{}: {status} ({:.1}ms)",
                textsafe::Escaped(&r.package),
                textsafe::Escaped(&r.name),
                r.duration.as_secs_f64() * 1000.0
            );
            if !ok {
                for line in &r.output {
                    println!("    {}", textsafe::Escaped(line));
                }
            }
        }
    }
    println!("{}", "-".repeat(80));
    if failed == 0 {
        println!("PASS: {passed}/{}", results.len());
    } else {
        println!("FAIL: {failed}/{}", results.len());
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        exit::OK
    } else {
        exit::FINDINGS
    }
}

pub(super) fn run_policy_list(args: ListArgs) -> i32 {
    let set = match policy::load(&policy_settings(&args.policies, Duration::from_secs(5))) {
        Ok(s) => s,
        Err(e) => return fail_lines(format!("policy {e}")),
    };
    let rules = set.rules();
    match args.format {
        ListFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&rules).expect("JSON"));
        }
        ListFormat::Text => {
            for r in &rules {
                println!(
                    "{:<14} {:<8} {:<55} {}",
                    textsafe::Escaped(&r.id),
                    r.severity.as_str(),
                    textsafe::Escaped(&r.title),
                    textsafe::Escaped(&r.frameworks.join(","))
                );
            }
            println!("{} rules", rules.len());
        }
    }
    exit::OK
}
