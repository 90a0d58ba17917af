//! A policy may come from the scanned repository: Rego evaluation is bounded in stack, memory
//! and time, and a policy file that is not Rego is never quoted at length. Each test runs the
//! binary on a hostile policy next to the built-in library, for `scan` and `policy test`.

mod common;
use common::*;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:latest
";

/// What a fake secret looks like; it must never be printed.
const CANARY: &str = "AKIAPLUMBLINECANARY7Q";

fn assert_no_crash(run: &Run) {
    assert!(
        run.code >= 0 && !run.stderr.contains("overflowed its stack"),
        "the process crashed ({}): {}",
        run.code,
        run.stderr
    );
}

fn notifications(run: &Run) -> Vec<serde_json::Value> {
    run.json()["notifications"].as_array().unwrap().clone()
}

fn rule_ids(run: &Run) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["ruleId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_recursive_function_is_refused_at_load_naming_the_file_and_function() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "deploy.yaml", DEPLOYMENT);
    write(
        d,
        "policy/rec.rego",
        "package rec\n\nimport rego.v1\n\nf(x) := f(x + 1)\n\ndeny contains \"never\" if f(1)\n",
    );
    write(
        d,
        "policy/rec_test.rego",
        "package rec\n\nimport rego.v1\n\ntest_f if f(1)\n",
    );
    // Mutually recursive functions across two packages, through an import.
    write(
        d,
        "mutual/a.rego",
        "package a\n\nimport data.b\nimport rego.v1\n\nping(x) := b.pong(x)\n\n\
         deny contains \"never\" if ping(1)\n\ntest_ping if ping(1)\n",
    );
    write(
        d,
        "mutual/b.rego",
        "package b\n\npong(x) := data.a.ping(x + 1)\n",
    );

    for args in [
        &["scan", ".", "--policy", "policy", "-f", "json"][..],
        &["policy", "test", "policy"][..],
    ] {
        let run = plumbline(d, args);
        assert_no_crash(&run);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("policy/rec.rego:5")
                && run.stderr.contains("data.rec.f is recursive"),
            "{args:?}: {}",
            run.stderr
        );
    }
    for args in [
        &["scan", ".", "--policy", "mutual", "-f", "json"][..],
        &["policy", "test", "mutual"][..],
    ] {
        let run = plumbline(d, args);
        assert_no_crash(&run);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("mutual/a.rego:6")
                && run
                    .stderr
                    .contains("data.a.ping → data.b.pong → data.a.ping"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn an_expression_deeper_than_the_stack_allows_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "deploy.yaml", DEPLOYMENT);
    // `1 + 1 + … + 1` is a tree as deep as it is long: 50,000 levels overflow the parser and
    // the evaluator.
    let line = vec!["1"; 250].join(" + ");
    let sum = vec![line.as_str(); 200].join(" +\n");
    write(
        d,
        "deep/deep.rego",
        &format!("package deep\n\nimport rego.v1\n\nx := ({sum})\n\ndeny contains \"x\" if x > 0\n\ntest_x if x > 0\n"),
    );
    for args in [
        &["scan", ".", "--policy", "deep", "-f", "json"][..],
        &["policy", "test", "deep"][..],
    ] {
        let run = plumbline(d, args);
        assert_no_crash(&run);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("deep/deep.rego:5")
                && run.stderr.contains("data.deep.x could nest")
                && run.stderr.contains("limit of 1000 levels"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

/// Builtin calls whose result would be over a limit stop their rule with a `policy-error`
/// notification naming the policy file, the rule and the limit; the other rules still run.
#[test]
fn builtin_calls_over_the_memory_limits_stop_the_rule_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "deploy.yaml", DEPLOYMENT);
    // Twice the per-call element limit (enough to show the limit, small enough not to hurt
    // the machine should the limit ever be lost).
    let mut doubling = String::from("a0 := \"0123456789\"\n");
    for i in 1..=23 {
        doubling.push_str(&format!("a{i} := [a{}, a{}]\n", i - 1, i - 1));
    }
    write(
        d,
        "bomb/bomb.rego",
        &format!(
            "package bomb\n\nimport rego.v1\n\n\
             deny_range contains msg if {{\n  n := count(numbers.range(0, 2000000))\n  \
             msg := sprintf(\"%d\", [n])\n}}\n\n\
             deny_print contains msg if {{\n  msg := sprintf(\"%v\", [a23])\n}}\n\n\
             deny_fine contains \"this rule still runs\" if input.kind == \"Deployment\"\n\n\
             {doubling}"
        ),
    );
    write(
        d,
        "bomb/bomb_test.rego",
        "package bomb\n\nimport rego.v1\n\n\
         test_range if count(numbers.range(0, 2000000)) > 0\n\n\
         test_fine if count(numbers.range(0, 10)) == 11\n",
    );

    let run = plumbline(d, &["scan", ".", "--policy", "bomb", "-f", "json"]);
    assert_no_crash(&run);
    assert_eq!(run.code, 3, "incomplete: {}", run.stderr);
    let notes = notifications(&run);
    for (rule, limit) in [
        ("data.bomb.deny_range", "limit of 1000000 per call"),
        ("data.bomb.deny_print", "limit of 33554432 bytes per call"),
    ] {
        assert!(
            notes.iter().any(|n| {
                let m = n["message"].as_str().unwrap();
                n["code"] == "policy-error"
                    && m.contains(rule)
                    && m.contains("bomb/bomb.rego:")
                    && m.contains(limit)
            }),
            "{rule}: {notes:#?}"
        );
    }
    let ids = rule_ids(&run);
    assert!(ids.iter().any(|id| id == "bomb"), "{ids:?}");
    assert!(ids.iter().any(|id| id.starts_with("PL-")), "{ids:?}");

    let run = plumbline(d, &["policy", "test", "bomb"]);
    assert_no_crash(&run);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("data.bomb.test_range: ERROR: bomb/bomb_test.rego:5:")
            && run.stdout.contains("limit of 1000000 per call"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 passed, 1 failed"), "{}", run.stdout);
}

/// A policy parse error quotes a short, escaped excerpt of the line at most; a file that is
/// not Rego (no package, binary, not UTF-8) is not quoted at all.
#[test]
fn a_policy_that_is_not_rego_is_never_quoted_at_length() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "deploy.yaml", DEPLOYMENT);
    let padding = "x".repeat(150);
    write(
        d,
        "long/leak.rego",
        &format!("package leak\n\ndeny contains msg if {{\n  msg := 1 +* {padding} {CANARY}\n}}\n"),
    );
    write(
        d,
        "env/secrets.rego",
        &format!("AWS_SECRET_ACCESS_KEY={CANARY}\n"),
    );
    std::fs::create_dir_all(d.join("bin")).unwrap();
    std::fs::write(
        d.join("bin/key.rego"),
        format!("package key\n\u{1b}[2J{CANARY}\0\n"),
    )
    .unwrap();
    std::fs::create_dir_all(d.join("latin1")).unwrap();
    let mut latin1 = b"package l\n\nx := \"".to_vec();
    latin1.extend_from_slice(&[0xe9, 0xe8]);
    latin1.extend_from_slice(format!("{CANARY}\"\n").as_bytes());
    std::fs::write(d.join("latin1/l.rego"), latin1).unwrap();

    for (policy, expected) in [
        ("long", "long/leak.rego:4:"),
        ("env", "no `package` declaration"),
        ("bin", "not Rego source"),
        ("latin1", "not UTF-8"),
    ] {
        for args in [
            &["scan", ".", "--policy", policy, "-f", "json"][..],
            &["policy", "test", policy][..],
        ] {
            let run = plumbline(d, args);
            assert_no_crash(&run);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
            for out in [&run.stdout, &run.stderr] {
                assert!(!out.contains(CANARY), "{args:?} printed the canary: {out}");
                assert!(!out.contains('\u{1b}'), "{args:?} printed an escape: {out}");
                assert!(
                    out.lines().all(|l| l.chars().count() < 400),
                    "{args:?}: {out}"
                );
            }
        }
    }
}

/// `--policy /proc/self/environ` would quote every environment variable of the CI job as the
/// "line" of a parse error; `/dev/zero` would be read without end.
#[cfg(target_os = "linux")]
#[test]
fn process_files_and_devices_as_policies_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "deploy.yaml", DEPLOYMENT);
    for (policy, expected) in [
        ("/proc/self/environ", "not Rego source"),
        ("/dev/zero", "neither a file nor a directory"),
    ] {
        for args in [
            &["scan", ".", "--policy", policy, "-f", "json"][..],
            &["policy", "test", policy][..],
        ] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_plumbline"))
                .args(args)
                .current_dir(d)
                .env("PLUMBLINE_TEST_SECRET", CANARY)
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(expected), "{args:?}: {stderr}");
            assert!(
                !stdout.contains(CANARY) && !stderr.contains(CANARY),
                "{args:?} printed the environment: {stderr}"
            );
        }
    }
}
