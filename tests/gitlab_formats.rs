//! `--format gitlab-sast` and `--format codeclimate` end to end: real scans validate against
//! the schemas in `tests/schemas/` (see its README for their sources), and carry exactly the
//! findings the JSON report counts as active — no waived one, no fixed one — with the same
//! severities, lines and fingerprints, byte for byte the same from run to run.

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs plumbline with `SOURCE_DATE_EPOCH` as given (unset by default), so the test does not
/// depend on the environment it runs in.
fn run(dir: &Path, args: &[&str], source_date_epoch: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(Stdio::null());
    if let Some(v) = source_date_epoch {
        cmd.env("SOURCE_DATE_EPOCH", v);
    }
    let out = cmd.output().expect("run plumbline");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("the schema is JSON")
}

fn errors(schema_name: &str, instance: &Value) -> Vec<String> {
    let schema = schema(schema_name);
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

const SAST: &str = "gitlab-sast-report-format-15.2.1.json";
const CODE_QUALITY: &str = "codeclimate-issues.json";

/// Every built-in rule's finding in `payments.yaml` is waived.
const WAIVERS: &str = "waivers:
  - rule: PL-*
    path: payments.yaml
    reason: The storefront is replaced next quarter
";

/// The demo in a Git repository, with an unparseable file (so the scan is incomplete) and a
/// waiver file, committed at a known time.
fn demo_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for entry in std::fs::read_dir(&demo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    write(dir.path(), "bad/broken.yaml", "a: [1, 2\n");
    write(dir.path(), ".plumbline/waivers.yaml", WAIVERS);
    git(dir.path(), &["init", "-q"]);
    commit_all_at(dir.path(), "demo", "2024-05-01T12:00:00Z");
    dir
}

fn scan(dir: &Path, format: &str) -> Run {
    let r = run(dir, &["scan", "--format", format], None);
    assert_eq!(
        r.code, 3,
        "the broken file makes the scan incomplete: {}",
        r.stderr
    );
    r
}

/// The JSON report's active findings: not waived, new or not compared.
fn active(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["suppressions"].as_array().is_none_or(|s| s.is_empty())
                && matches!(f["baselineState"].as_str(), None | Some("new"))
        })
        .collect()
}

fn gitlab_severity(s: &str) -> &'static str {
    match s {
        "CRITICAL" => "Critical",
        "HIGH" => "High",
        "MEDIUM" => "Medium",
        "LOW" => "Low",
        "INFO" => "Info",
        other => panic!("unknown severity {other}"),
    }
}

fn code_climate_severity(s: &str) -> &'static str {
    match s {
        "CRITICAL" => "blocker",
        "HIGH" => "critical",
        "MEDIUM" => "major",
        "LOW" => "minor",
        "INFO" => "info",
        other => panic!("unknown severity {other}"),
    }
}

/// The UUID the SAST report derives from a 32-hex-digit fingerprint (version 8 bits set).
fn uuid_of(fp: &str) -> String {
    let mut b: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&fp[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[test]
fn the_sast_report_carries_exactly_the_active_findings() {
    let dir = demo_repo();
    let report = scan(dir.path(), "json").json();
    let active = active(&report);
    let waived = report["findings"].as_array().unwrap().len() - active.len();
    assert!(active.len() > 10, "{report}");
    assert!(waived > 0, "the waiver file applies: {report}");

    let run1 = scan(dir.path(), "gitlab-sast");
    let sast = run1.json();
    assert_eq!(errors(SAST, &sast), Vec::<String>::new());
    assert_eq!(sast["version"], "15.2.1");

    // One vulnerability per active finding: same rule, file, lines, severity; the id comes
    // from the fingerprint.
    let expected: BTreeSet<(String, String, u64, u64, String, String)> = active
        .iter()
        .map(|f| {
            (
                uuid_of(f["fingerprint"].as_str().unwrap()),
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                f["endLine"].as_u64().unwrap(),
                gitlab_severity(f["severity"].as_str().unwrap()).to_string(),
                f["ruleId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let vulns = sast["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), active.len());
    let got: BTreeSet<(String, String, u64, u64, String, String)> = vulns
        .iter()
        .map(|v| {
            let primary = &v["identifiers"][0];
            assert_eq!(primary["type"], "plumbline_rule_id");
            assert_eq!(primary["name"], primary["value"]);
            (
                v["id"].as_str().unwrap().to_string(),
                v["location"]["file"].as_str().unwrap().to_string(),
                v["location"]["start_line"].as_u64().unwrap(),
                v["location"]["end_line"].as_u64().unwrap(),
                v["severity"].as_str().unwrap().to_string(),
                primary["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), vulns.len(), "the ids are unique");
    assert!(
        vulns
            .iter()
            .all(|v| v["location"]["file"] != "payments.yaml"),
        "waived findings are not written"
    );

    // Rule metadata: the title is the name, the message the description, the remediation
    // the solution.
    let rules = report["rules"].as_array().unwrap();
    for v in vulns {
        let id = &v["identifiers"][0]["value"];
        let rule = rules.iter().find(|r| &r["id"] == id).unwrap();
        assert_eq!(v["name"], rule["title"]);
        assert_eq!(v["solution"], rule["remediation"]);
        let msgs: Vec<&Value> = active
            .iter()
            .filter(|f| uuid_of(f["fingerprint"].as_str().unwrap()) == v["id"])
            .map(|f| &f["message"])
            .collect();
        assert_eq!(msgs, [&v["description"]]);
    }

    // The incomplete scan: status failure, and the broken file is named in a message.
    let s = &sast["scan"];
    assert_eq!(s["status"], "failure");
    assert_eq!(s["type"], "sast");
    assert_eq!(s["analyzer"]["id"], "plumbline");
    assert_eq!(s["scanner"]["version"], env!("CARGO_PKG_VERSION"));
    let messages = s["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m["level"] == "warn"
                && m["value"].as_str().unwrap().contains("bad/broken.yaml")),
        "{messages:?}"
    );
    // Deterministic: the time is the commit's, and a second run is byte-identical.
    assert_eq!(s["start_time"], "2024-05-01T12:00:00");
    assert_eq!(s["end_time"], "2024-05-01T12:00:00");
    assert_eq!(scan(dir.path(), "gitlab-sast").stdout, run1.stdout);
}

#[test]
fn the_code_quality_report_carries_exactly_the_active_findings() {
    let dir = demo_repo();
    let report = scan(dir.path(), "json").json();
    let active = active(&report);

    let run1 = scan(dir.path(), "codeclimate");
    assert!(!run1.stdout.starts_with('\u{feff}'), "GitLab rejects a BOM");
    let issues = run1.json();
    assert_eq!(errors(CODE_QUALITY, &issues), Vec::<String>::new());
    let issues = issues.as_array().unwrap();

    let expected: BTreeSet<(String, String, u64, u64, String, String)> = active
        .iter()
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                f["endLine"].as_u64().unwrap(),
                code_climate_severity(f["severity"].as_str().unwrap()).to_string(),
                f["ruleId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let got: BTreeSet<(String, String, u64, u64, String, String)> = issues
        .iter()
        .map(|i| {
            (
                i["fingerprint"].as_str().unwrap().to_string(),
                i["location"]["path"].as_str().unwrap().to_string(),
                i["location"]["lines"]["begin"].as_u64().unwrap(),
                i["location"]["lines"]["end"].as_u64().unwrap(),
                i["severity"].as_str().unwrap().to_string(),
                i["check_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(issues.len(), active.len());
    assert_eq!(got, expected);
    assert!(issues
        .iter()
        .all(|i| i["location"]["path"] != "payments.yaml"));
    assert!(issues
        .iter()
        .all(|i| i["categories"] == json!(["Security"])));

    // The file that could not be parsed is a finding, and so an issue GitLab shows.
    assert!(
        issues
            .iter()
            .any(|i| i["check_name"] == "PL-PARSE-0001"
                && i["location"]["path"] == "bad/broken.yaml"),
        "{issues:?}"
    );

    let fingerprints: BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(
        fingerprints.len(),
        issues.len(),
        "GitLab needs unique fingerprints"
    );
    assert_eq!(scan(dir.path(), "codeclimate").stdout, run1.stdout);
}

#[test]
fn a_complete_scan_and_the_report_time() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let args = ["scan", "--worktree", ".", "--format", "gitlab-sast"];
    let r = run(&demo, &args, Some("1714566896"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sast = r.json();
    assert_eq!(errors(SAST, &sast), Vec::<String>::new());
    assert_eq!(sast["scan"]["status"], "success");
    assert_eq!(sast["scan"]["start_time"], "2024-05-01T12:34:56");
    assert_eq!(run(&demo, &args, Some("1714566896")).stdout, r.stdout);

    // No commit and no SOURCE_DATE_EPOCH: the current time, still in the schema's form.
    let now = run(&demo, &args, None);
    assert_eq!(errors(SAST, &now.json()), Vec::<String>::new());

    let bad = run(&demo, &args, Some("yesterday"));
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("SOURCE_DATE_EPOCH"), "{}", bad.stderr);
}

/// State A reported as JSON; then `fixed` is fixed and `web` is new: against the baseline,
/// `legacy` is unchanged, `fixed` absent.
fn baseline_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "pol/priv.rego", PRIV_POLICY);
    let privileged = |name: &str| PRIV_DEPLOYMENT.replace("name: web", &format!("name: {name}"));
    write(d, "k8s/legacy.yaml", &privileged("legacy"));
    write(d, "k8s/fixed.yaml", &privileged("fixed"));
    let base = run(
        d,
        &[
            "scan",
            "k8s",
            "--no-builtin",
            "-p",
            "pol",
            "-o",
            "base.json",
        ],
        None,
    );
    assert_eq!(base.code, 1, "{}", base.stderr);
    write(
        d,
        "k8s/fixed.yaml",
        &privileged("fixed").replace("privileged: true", "privileged: false"),
    );
    write(d, "k8s/web.yaml", &privileged("web"));
    dir
}

#[test]
fn against_a_baseline_fixed_findings_are_left_out() {
    let dir = baseline_dir();
    let d = dir.path();
    let args = |format| {
        [
            "scan",
            "k8s",
            "--no-builtin",
            "-p",
            "pol",
            "--baseline",
            "base.json",
            "--format",
            format,
        ]
    };
    let report = run(d, &args("json"), Some("0")).json();
    let states: BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["baselineState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("fixed.yaml".into(), "absent".into())),
        "{states:?}"
    );

    let sast = run(d, &args("gitlab-sast"), Some("0")).json();
    assert_eq!(errors(SAST, &sast), Vec::<String>::new());
    let files: Vec<&str> = sast["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["legacy.yaml", "web.yaml"]);

    let quality = run(d, &args("codeclimate"), Some("0")).json();
    assert_eq!(errors(CODE_QUALITY, &quality), Vec::<String>::new());
    let files: Vec<&str> = quality
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["legacy.yaml", "web.yaml"]);
}

#[test]
fn only_the_format_flag_or_the_configuration_selects_them() {
    let dir = baseline_dir();
    let d = dir.path();
    // A .json output is the JSON report, whatever its name.
    let r = run(
        d,
        &[
            "scan",
            "k8s",
            "--no-builtin",
            "-p",
            "pol",
            "-o",
            "gl-sast-report.json",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let written: Value =
        serde_json::from_slice(&std::fs::read(d.join("gl-sast-report.json")).unwrap()).unwrap();
    assert_eq!(written["schemaVersion"], "1");

    // The configuration file is read at the root of the scanned directory.
    write(d, "k8s/.plumbline.yaml", "format: codeclimate\n");
    let r = run(d, &["scan", "k8s", "--no-builtin", "-p", "pol"], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let issues = r.json();
    assert_eq!(errors(CODE_QUALITY, &issues), Vec::<String>::new());
    assert_eq!(issues.as_array().unwrap().len(), 2);
}

#[test]
fn the_schemas_reject_broken_reports() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let scan = |format| {
        run(
            &demo,
            &["scan", "--worktree", ".", "--format", format],
            Some("0"),
        )
        .json()
    };
    let sast = scan("gitlab-sast");
    let broken = [
        ("/vulnerabilities/0/severity", json!("Severe")),
        ("/vulnerabilities/0/identifiers", json!([])),
        ("/scan/start_time", json!("2024-05-01T12:00:00Z")),
        ("/scan/status", json!("incomplete")),
        (
            "/scan/messages",
            json!([{ "level": "error", "value": "x" }]),
        ),
    ];
    for (pointer, value) in broken {
        let mut bad = sast.clone();
        *bad.pointer_mut(pointer).unwrap() = value;
        assert!(
            !errors(SAST, &bad).is_empty(),
            "{pointer} should be invalid"
        );
    }
    let quality = scan("codeclimate");
    let broken = [
        ("/0/severity", json!("high")),
        ("/0/categories", json!(["Kubernetes"])),
        ("/0/description", json!("two\nlines")),
        ("/0/location/lines", json!({ "end": 3 })),
    ];
    for (pointer, value) in broken {
        let mut bad = quality.clone();
        *bad.pointer_mut(pointer).unwrap() = value;
        assert!(
            !errors(CODE_QUALITY, &bad).is_empty(),
            "{pointer} should be invalid"
        );
    }
    let mut missing = quality.clone();
    missing[0].as_object_mut().unwrap().remove("fingerprint");
    assert!(!errors(CODE_QUALITY, &missing).is_empty());
}
