//! Large fleets and terminals, end to end: `scan --shard I/N` partitions the files, `merge`
//! puts shard (and other) reports back together exactly, and the progress line appears on a
//! real terminal (a pseudo-terminal made by `script`) and nowhere else.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SHARDS: u32 = 3;
const APPS: usize = 12;

/// Runs plumbline with a clean environment for stderr: no CI variable, a capable `TERM`.
fn run(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("CI")
        .stdin(Stdio::null())
        .output()
        .expect("run plumbline");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn app(i: usize, privileged: bool) -> String {
    let text = PRIV_DEPLOYMENT.replace("name: web", &format!("name: app-{i}"));
    if privileged {
        text
    } else {
        text.replace("privileged: true", "privileged: false")
    }
}

/// A repository of `APPS` deployments (each has pod-security findings; only app-0 is
/// privileged), with a waiver-file entry whose path covers every file but whose finding is
/// in app-0.yaml only: a shard without app-0 must not call it stale.
fn fleet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..APPS {
        write(dir.path(), &format!("apps/app-{i}.yaml"), &app(i, i == 0));
    }
    write(
        dir.path(),
        ".plumbline/waivers.yaml",
        "waivers:\n  - rule: PL-K8S-0003\n    path: apps/**\n    reason: reviewed (SEC-1)\n",
    );
    git(dir.path(), &["init", "-q"]);
    commit_all_at(dir.path(), "fleet", "2024-05-01T12:00:00Z");
    dir
}

fn scan_json(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", ".", "-f", "json"];
    args.extend_from_slice(extra);
    run(dir, &args)
}

fn shard_arg(i: u32) -> String {
    format!("{i}/{SHARDS}")
}

fn files_with_findings(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !is_namespace_rule(f))
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect()
}

/// A finding of a namespace rule (NetworkPolicy coverage): the first shard evaluates those
/// over every file.
fn is_namespace_rule(f: &Value) -> bool {
    f["ruleId"] == "PL-K8S-0038" || f["ruleId"] == "PL-K8S-0039"
}

fn fingerprints(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["fingerprint"]
                .as_str()
                .or_else(|| f["partialFingerprints"]["plumbline/v1"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Writes each shard's report into `out` and returns their paths.
fn shard_reports(dir: &Path, out: &Path, format: &str) -> Vec<PathBuf> {
    (1..=SHARDS)
        .map(|i| {
            let path = out.join(format!("shard-{i}.{format}"));
            let r = run(
                dir,
                &[
                    "scan",
                    ".",
                    "--shard",
                    &shard_arg(i),
                    "-o",
                    path.to_str().unwrap(),
                ],
            );
            assert!(r.code <= 1, "shard {i}: {}", r.stderr);
            path
        })
        .collect()
}

fn merge(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["merge"];
    all.extend_from_slice(args);
    run(dir, &all)
}

fn json_schema_errors(instance: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/json.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The OASIS SARIF 2.1.0 schema from ../shared/corpus (as CI's validate_sarif.py uses).
fn sarif_schema_errors(instance: &Value) -> Vec<String> {
    let shared = std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path =
        shared.join("corpus/sarif/oasis-tcs-sarif-spec/sarif-2.1/schema/sarif-schema-2.1.0.json");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: the corpus is needed", path.display()));
    let schema: Value = serde_json::from_slice(&bytes).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn shards_partition_the_files_by_path() {
    let repo = fleet();
    let all = scan_json(repo.path(), &[]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    let all = all.json();
    assert_eq!(
        files_with_findings(&all).len(),
        APPS,
        "every file has findings"
    );
    assert!(all["target"].get("shard").is_none(), "{}", all["target"]);

    let mut union = BTreeSet::new();
    let mut files = 0;
    let mut owner: BTreeMap<String, u32> = BTreeMap::new();
    for i in 1..=SHARDS {
        let run1 = scan_json(repo.path(), &["--shard", &shard_arg(i)]);
        let run2 = scan_json(repo.path(), &["--shard", &shard_arg(i)]);
        assert!(run1.code <= 1, "{}", run1.stderr);
        assert_eq!(run1.stdout, run2.stdout, "shard {i} is deterministic");
        let report = run1.json();
        assert_eq!(json_schema_errors(&report), Vec::<String>::new());
        assert_eq!(report["target"]["shard"], shard_arg(i));
        let mine = files_with_findings(&report);
        assert!(!mine.is_empty(), "shard {i} of {APPS} files is empty");
        let namespace_findings = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| is_namespace_rule(f))
            .count();
        let namespace_rules = report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| is_namespace_rule(&serde_json::json!({"ruleId": r["id"]})))
            .count();
        if i == 1 {
            // Every app's Deployment lacks a NetworkPolicy, in every shard's files.
            assert_eq!(namespace_findings, APPS, "{}", report["findings"]);
            assert_eq!(namespace_rules, 2);
        } else {
            assert_eq!((namespace_findings, namespace_rules), (0, 0));
        }
        assert!(union.is_disjoint(&mine), "shard {i} overlaps: {mine:?}");
        files += report["summary"]["files"].as_u64().unwrap();
        for f in &mine {
            owner.insert(f.clone(), i);
        }
        union.extend(mine);
        // No shard calls the waiver stale: its path also covers files of other shards.
        assert!(
            !notification_codes(&report).contains(&"waiver-stale".to_string()),
            "shard {i}: {:?}",
            report["notifications"]
        );
    }
    assert_eq!(union, files_with_findings(&all), "union = unsharded");
    assert_eq!(files, all["summary"]["files"].as_u64().unwrap());

    // SARIF names the shard too.
    let sarif = run(repo.path(), &["scan", ".", "--shard", "2/3", "-f", "sarif"]);
    assert_eq!(sarif.json()["runs"][0]["properties"]["shard"], "2/3");

    // Assignment is by path, not by position: adding files moves none of the others.
    for i in 0..5 {
        write(
            repo.path(),
            &format!("apps/aaa-new-{i}.yaml"),
            &app(100 + i, false),
        );
    }
    commit_all(repo.path(), "more");
    for i in 1..=SHARDS {
        let report = scan_json(repo.path(), &["--shard", &shard_arg(i)]).json();
        for f in files_with_findings(&report) {
            if let Some(&was) = owner.get(&f) {
                assert_eq!(was, i, "{f} moved from shard {was} to {i}");
            }
        }
    }
}

#[test]
fn bad_shard_values_are_usage_errors() {
    let repo = fleet();
    for bad in ["0/3", "4/3", "x", "3", "1/0"] {
        let r = scan_json(repo.path(), &["--shard", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("is not a shard"), "{bad}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    // From the configuration file, with its line.
    let config = repo.path().join("conf.yaml");
    std::fs::write(&config, "fail_on: never\nshard: 4/3\n").unwrap();
    let r = scan_json(repo.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("conf.yaml:2: shard:"), "{}", r.stderr);
    // A good one applies.
    std::fs::write(&config, "shard: 1/3\n").unwrap();
    let r = scan_json(repo.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(r.json()["target"]["shard"], "1/3", "{}", r.stderr);
}

#[test]
fn merged_shards_equal_the_unsharded_scan() {
    let repo = fleet();
    let out = tempfile::tempdir().unwrap();
    let all = scan_json(repo.path(), &[]).json();

    // JSON shards → JSON: the same findings (all fields), rules, notifications and summary.
    let shards = shard_reports(repo.path(), out.path(), "json");
    let mut args: Vec<&str> = shards.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["-f", "json"]);
    let merged = merge(out.path(), &args);
    assert_eq!(merged.code, 0, "default --fail-on never: {}", merged.stderr);
    let merged = merged.json();
    assert_eq!(json_schema_errors(&merged), Vec::<String>::new());
    assert_eq!(
        fingerprints(&merged["findings"]),
        fingerprints(&all["findings"])
    );
    assert_eq!(merged["findings"], all["findings"]);
    assert_eq!(merged["summary"], all["summary"]);
    assert_eq!(merged["rules"], all["rules"]);
    assert_eq!(merged["notifications"], all["notifications"]);
    assert_eq!(
        merged["target"], all["target"],
        "the shard is gone: it is whole"
    );
    assert!(
        all["summary"]["suppressed"].as_u64().unwrap() > 0,
        "the waiver applied"
    );

    // SARIF shards → SARIF: one run, the same results as the unsharded SARIF, and valid.
    let all_sarif = run(repo.path(), &["scan", ".", "-f", "sarif"]).json();
    let shards = shard_reports(repo.path(), out.path(), "sarif");
    let mut args: Vec<&str> = shards.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["-o", "merged.sarif"]);
    let r = merge(out.path(), &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = format!(
        "plumbline: 3 report(s); active findings: {} (",
        all["summary"]["active"]
    );
    assert!(
        r.stderr.contains(&line),
        "the summary with -o: {}",
        r.stderr
    );
    let merged: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("merged.sarif")).unwrap()).unwrap();
    assert_eq!(merged["runs"].as_array().unwrap().len(), 1);
    assert_eq!(
        merged["runs"][0]["results"],
        all_sarif["runs"][0]["results"]
    );
    assert_eq!(
        merged["runs"][0]["automationDetails"],
        all_sarif["runs"][0]["automationDetails"]
    );
    assert_eq!(sarif_schema_errors(&merged), Vec::<String>::new());

    // A missing shard is not a smaller clean report: it is incomplete (exit 3).
    let r = merge(
        out.path(),
        &[
            shards[0].to_str().unwrap(),
            shards[1].to_str().unwrap(),
            "-f",
            "json",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let report = r.json();
    assert!(report["summary"]["incomplete"].as_bool().unwrap());
    assert!(
        notification_codes(&report).contains(&"shard-missing".to_string()),
        "{:?}",
        report["notifications"]
    );
    assert!(report["notifications"].to_string().contains("3/3"));
}

#[test]
fn shards_of_a_gate_scan_merge_to_the_gate_scan() {
    let repo = fleet();
    for i in 0..APPS {
        // A change that makes every other app privileged.
        if i % 2 == 1 {
            write(repo.path(), &format!("apps/app-{i}.yaml"), &app(i, true));
        }
    }
    commit_all(repo.path(), "privileged");
    let gate = scan_json(repo.path(), &["--base", "HEAD~1"]).json();
    // One new (waived) privileged finding per changed file.
    assert_eq!(
        gate["summary"]["findings"],
        (APPS / 2) as u64,
        "{}",
        gate["summary"]
    );
    let mut fps = Vec::new();
    let mut changed = 0;
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 1..=SHARDS {
        let r = scan_json(repo.path(), &["--base", "HEAD~1", "--shard", &shard_arg(i)]);
        assert!(r.code <= 1, "{}", r.stderr);
        let report = r.json();
        changed += report["summary"]["baseline"]["changedFiles"]
            .as_u64()
            .unwrap();
        fps.extend(fingerprints(&report["findings"]));
        let path = out.path().join(format!("gate-{i}.json"));
        std::fs::write(&path, &r.stdout).unwrap();
        files.push(path.to_str().unwrap().to_string());
    }
    fps.sort();
    let mut expected = fingerprints(&gate["findings"]);
    expected.sort();
    assert_eq!(fps, expected);
    assert_eq!(changed, (APPS / 2) as u64, "each changed file in one shard");
    // Merged, the shards give the gate's report, its comparison summary included.
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend(["-f", "json"]);
    let merged = merge(out.path(), &args).json();
    assert_eq!(merged["findings"], gate["findings"]);
    assert_eq!(merged["summary"], gate["summary"]);
}

#[test]
fn merge_deduplicates_by_fingerprint() {
    let repo = fleet();
    let out = tempfile::tempdir().unwrap();
    let r = scan_json(repo.path(), &["--fail-on", "never"]);
    let original = r.json();
    std::fs::write(out.path().join("a.json"), &r.stdout).unwrap();

    // The same report twice: nothing doubles, not even the file counts.
    let twice = merge(out.path(), &["a.json", "a.json", "-f", "json"]).json();
    assert_eq!(twice["findings"], original["findings"]);
    assert_eq!(twice["summary"], original["summary"]);

    // A copy where one finding is more severe and another is waived: the merge keeps the
    // more severe copy and the waiver.
    let mut copy = original.clone();
    let active = |v: &Value| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .position(|f| f["suppressions"].as_array().unwrap().is_empty())
            .unwrap()
    };
    let i = active(&copy);
    let raised = copy["findings"][i]["fingerprint"].clone();
    copy["findings"][i]["severity"] = "CRITICAL".into();
    let j = i + 1;
    let waived = copy["findings"][j]["fingerprint"].clone();
    copy["findings"][j]["suppressions"] =
        serde_json::json!([{ "kind": "external", "justification": "accepted in the copy" }]);
    std::fs::write(out.path().join("b.json"), copy.to_string()).unwrap();
    for order in [["a.json", "b.json"], ["b.json", "a.json"]] {
        let r = merge(out.path(), &[order[0], order[1], "-f", "json"]);
        let merged = r.json();
        assert_eq!(
            merged["findings"].as_array().unwrap().len(),
            original["findings"].as_array().unwrap().len(),
            "{order:?}"
        );
        let by_fp = |fp: &Value| {
            merged["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| &f["fingerprint"] == fp)
                .unwrap()
                .clone()
        };
        assert_eq!(by_fp(&raised)["severity"], "CRITICAL", "{order:?}");
        assert_eq!(
            by_fp(&waived)["suppressions"][0]["justification"],
            "accepted in the copy"
        );
        assert_eq!(
            merged["summary"]["suppressed"].as_u64().unwrap(),
            original["summary"]["suppressed"].as_u64().unwrap() + 1
        );
        assert_eq!(merged["summary"]["bySeverity"]["CRITICAL"], 1);
    }
    // Byte-identical whatever the order of the inputs.
    let ab = merge(out.path(), &["a.json", "b.json", "-f", "json"]).stdout;
    let ba = merge(out.path(), &["b.json", "a.json", "-f", "json"]).stdout;
    assert_eq!(ab, ba);
}

#[test]
fn categories_stay_separate_runs() {
    let repo = fleet();
    let out = tempfile::tempdir().unwrap();
    for (cat, file) in [("cluster-b", "b.sarif"), ("cluster-a", "a.json")] {
        let path = out.path().join(file);
        let r = run(
            repo.path(),
            &["scan", ".", "--category", cat, "-o", path.to_str().unwrap()],
        );
        assert!(r.code <= 1, "{}", r.stderr);
    }
    let r = merge(out.path(), &["b.sarif", "a.json", "-f", "sarif"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = r.json();
    let ids: Vec<&str> = log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["cluster-a/", "cluster-b/"],
        "one run per category, sorted"
    );
    assert_eq!(sarif_schema_errors(&log), Vec::<String>::new());
    assert_eq!(
        fingerprints(&log["runs"][0]["results"]),
        fingerprints(&log["runs"][1]["results"])
    );

    // JSON holds one analysis: a clear usage error, unless --category joins them.
    let r = merge(out.path(), &["b.sarif", "a.json", "-f", "json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("2 analyses (cluster-a, cluster-b)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--category"), "{}", r.stderr);
    let r = merge(
        out.path(),
        &["b.sarif", "a.json", "-f", "json", "--category", "fleet"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let joined = r.json();
    assert_eq!(joined["category"], "fleet");
    assert_eq!(
        fingerprints(&joined["findings"]),
        fingerprints(&log["runs"][0]["results"])
    );
}

#[test]
fn merge_exit_codes() {
    let repo = fleet();
    let out = tempfile::tempdir().unwrap();
    let r = scan_json(repo.path(), &[]);
    std::fs::write(out.path().join("a.json"), &r.stdout).unwrap();
    assert_eq!(
        merge(out.path(), &["a.json"]).code,
        0,
        "never fails by default"
    );
    assert_eq!(
        merge(out.path(), &["a.json", "--fail-on", "high"]).code,
        0,
        "the only high finding (privileged) is waived"
    );
    let r = merge(out.path(), &["a.json", "--fail-on", "low"]);
    assert_eq!(r.code, 1, "{}", r.stderr);

    // Incomplete input: 3, which outranks 1.
    write(repo.path(), "apps/broken.yaml", "a: [1, 2\n");
    commit_all(repo.path(), "broken");
    let r = scan_json(repo.path(), &[]);
    assert_eq!(r.code, 3);
    std::fs::write(out.path().join("broken.json"), &r.stdout).unwrap();
    let r = merge(out.path(), &["a.json", "broken.json", "--fail-on", "low"]);
    assert_eq!(r.code, 3, "{}", r.stderr);

    // Unreadable inputs: 2, naming the file.
    let r = merge(out.path(), &["a.json", "missing.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.json"), "{}", r.stderr);
    std::fs::write(out.path().join("garbage.sarif"), "{ not json").unwrap();
    let r = merge(out.path(), &["garbage.sarif", "a.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("garbage.sarif"), "{}", r.stderr);
    // Another tool's SARIF.
    std::fs::write(
        out.path().join("other.sarif"),
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"trivy"}},"results":[]}]}"#,
    )
    .unwrap();
    let r = merge(out.path(), &["other.sarif"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("other.sarif"), "{}", r.stderr);
}

/// Runs the scan under a pseudo-terminal (`script` from util-linux) and returns what the
/// terminal received: stderr and stdout together.
fn on_terminal(dir: &Path, args: &str, env: &[(&str, &str)]) -> String {
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_plumbline"));
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .env_remove("CI")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) is needed for the terminal tests");
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What only the progress line shows: files done of the total (`3/12 files`).
fn progress() -> String {
    format!("/{APPS} files")
}

#[test]
fn progress_is_drawn_on_a_terminal_and_erased() {
    let repo = fleet();
    let tty = on_terminal(repo.path(), "scan . -f json -o out.json", &[]);
    let last = format!("plumbline: {APPS}/{APPS} files, {APPS} documents, ");
    assert!(tty.contains(&last), "{tty:?}");
    // Every frame starts with a carriage return and erase-line; the last one is erased
    // before the summary line.
    let erased_then_summary = tty
        .rsplit_once("\r\x1b[2K")
        .is_some_and(|(_, after)| after.contains("findings") && !after.contains(&progress()));
    assert!(erased_then_summary, "{tty:?}");
    assert!(tty.find("plumbline: ").unwrap() < tty.find("waived").unwrap());
}

#[test]
fn progress_is_silent_without_a_terminal_with_quiet_or_in_ci() {
    let repo = fleet();
    // Not a terminal: stderr is a pipe.
    let r = run(repo.path(), &["scan", ".", "-f", "json", "-o", "out.json"]);
    assert!(!r.stderr.contains(&progress()), "{:?}", r.stderr);
    assert!(!r.stderr.contains('\r'), "{:?}", r.stderr);
    assert!(
        r.stderr.contains("findings"),
        "the summary line: {:?}",
        r.stderr
    );
    // --quiet on a terminal: nothing at all, not even the summary.
    let tty = on_terminal(repo.path(), "scan . -q -f json -o out.json", &[]);
    assert_eq!(tty, "", "--quiet");
    // CI and TERM=dumb on a terminal: the summary, no progress.
    for env in [("CI", "true"), ("TERM", "dumb")] {
        let tty = on_terminal(repo.path(), "scan . -f json -o out.json", &[env]);
        assert!(!tty.contains(&progress()), "{env:?}: {tty:?}");
        assert!(tty.contains("findings"), "{env:?}: {tty:?}");
    }
}

#[test]
fn quiet_silences_warnings_but_not_errors() {
    let repo = fleet();
    let r = run(repo.path(), &["scan", ".", "--no-builtin", "-f", "json"]);
    assert!(
        r.stderr.contains("warning: no policy rules"),
        "{}",
        r.stderr
    );
    let r = run(
        repo.path(),
        &["scan", ".", "--no-builtin", "-f", "json", "-q"],
    );
    assert_eq!(r.stderr, "", "quiet");
    assert_eq!(r.code, 0);
    // The merge-request summary goes to stderr with JSON, except with --quiet.
    write(repo.path(), "apps/app-1.yaml", &app(1, true));
    commit_all(repo.path(), "privileged");
    let loud = scan_json(repo.path(), &["--base", "HEAD~1"]);
    assert!(loud.stderr.contains("Plumbline gate"), "{}", loud.stderr);
    let r = scan_json(repo.path(), &["--base", "HEAD~1", "--quiet"]);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout, loud.stdout, "the report is unchanged");
    assert_eq!(r.code, loud.code, "the exit code is unchanged");
    // Errors are never silenced.
    let r = scan_json(repo.path(), &["--quiet", "--rev", "no-such-rev"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("error"), "{}", r.stderr);
    // The configuration key.
    let config = repo.path().join("conf.yaml");
    std::fs::write(&config, "quiet: true\nbuiltin: false\n").unwrap();
    let r = scan_json(repo.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(r.stderr, "", "quiet from the file");
}
