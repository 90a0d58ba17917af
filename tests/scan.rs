//! The scan command end to end: Git revisions, working trees, stdin, locations,
//! fingerprints, formats and exit codes.

mod common;
use common::*;
use std::path::Path;

fn repo_with_history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "pol/priv.rego", PRIV_POLICY);
    write(
        d,
        "k8s/web.yaml",
        &PRIV_DEPLOYMENT.replace("privileged: true", "privileged: false"),
    );
    commit_all(d, "clean");
    write(d, "k8s/web.yaml", PRIV_DEPLOYMENT);
    commit_all(d, "privileged");
    dir
}

fn scan_json(d: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", ".", "--no-builtin", "--policy", "pol", "-f", "json"];
    args.extend_from_slice(extra);
    plumbline(d, &args)
}

#[test]
fn reads_revisions_from_the_object_database() {
    let dir = repo_with_history();
    let d = dir.path();
    // Uncommitted: the working tree differs from HEAD.
    std::fs::remove_file(d.join("k8s/web.yaml")).unwrap();

    let head = scan_json(d, &[]);
    assert_eq!(head.code, 1, "{}", head.stderr);
    let r = head.json();
    assert_eq!(
        locations(&r),
        [("k8s/web.yaml".to_string(), 13, 13, "TEST-PRIV".to_string())]
    );
    assert!(r["target"]["commit"].as_str().unwrap().len() == 40);

    let prev = scan_json(d, &["--rev", "HEAD~1"]);
    assert_eq!(prev.code, 0, "{}", prev.stdout);
    assert_eq!(prev.json()["summary"]["files"], 1);

    let sha = git(d, &["rev-parse", "HEAD~1"]);
    git(d, &["tag", "v1", &sha]);
    for rev in [sha.as_str(), "v1", "main~1"] {
        let run = scan_json(d, &["--rev", rev]);
        assert_eq!(run.code, 0, "{rev}: {}", run.stderr);
    }

    let wt = scan_json(d, &["--worktree"]);
    assert_eq!(wt.code, 0, "the file is deleted on disk: {}", wt.stdout);
    assert_eq!(wt.json()["summary"]["files"], 0);
}

#[test]
fn scans_a_bare_clone() {
    let dir = repo_with_history();
    let bare = tempfile::tempdir().unwrap();
    git(
        bare.path(),
        &[
            "clone",
            "-q",
            "--bare",
            dir.path().to_str().unwrap(),
            "repo.git",
        ],
    );
    let run = plumbline(
        &bare.path().join("repo.git"),
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            &dir.path().join("pol").display().to_string(),
            "-f",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(locations(&run.json())[0].0, "k8s/web.yaml");
}

#[test]
fn subdirectory_paths_stay_repository_relative() {
    let dir = repo_with_history();
    let run = plumbline(
        &dir.path().join("k8s"),
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "../pol",
            "-f",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(locations(&run.json())[0].0, "k8s/web.yaml");
    let wt = plumbline(
        &dir.path().join("k8s"),
        &[
            "scan",
            ".",
            "--worktree",
            "--no-builtin",
            "--policy",
            "../pol",
            "-f",
            "json",
        ],
    );
    assert_eq!(
        run.json()["findings"][0]["fingerprint"],
        wt.json()["findings"][0]["fingerprint"],
        "revision and worktree scans give the same fingerprint"
    );
}

#[test]
fn unknown_revision_is_a_usage_error() {
    let dir = repo_with_history();
    let run = scan_json(dir.path(), &["--rev", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown revision \"no-such-branch\""),
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clone_missing_the_revision_says_to_fetch() {
    let dir = repo_with_history();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    git(clone.path(), &["clone", "-q", "--depth", "1", &url, "c"]);
    let c = clone.path().join("c");
    let ok = scan_json(&c, &[]);
    assert_eq!(ok.code, 1, "HEAD is in the shallow clone: {}", ok.stderr);
    let run = scan_json(&c, &["--rev", "HEAD~1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);
}

#[test]
fn empty_repository_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "pol/priv.rego", PRIV_POLICY);
    write(dir.path(), "a.yaml", PRIV_DEPLOYMENT);
    let run = scan_json(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no commits yet"), "{}", run.stderr);
    assert!(run.stderr.contains("--worktree"), "{}", run.stderr);
    let wt = scan_json(dir.path(), &["--worktree"]);
    assert_eq!(wt.code, 1);
}

#[test]
fn worktree_respects_gitignore_and_globs() {
    let dir = repo_with_history();
    let d = dir.path();
    write(d, ".gitignore", "ignored/\n");
    write(d, "ignored/x.yaml", PRIV_DEPLOYMENT);
    write(d, "other/y.yaml", PRIV_DEPLOYMENT);
    let files = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--worktree"];
        args.extend_from_slice(extra);
        let r = scan_json(d, &args).json();
        let mut f: Vec<String> = locations(&r).into_iter().map(|l| l.0).collect();
        f.sort();
        f
    };
    assert_eq!(files(&[]), ["k8s/web.yaml", "other/y.yaml"]);
    assert_eq!(files(&["--include", "k8s/**"]), ["k8s/web.yaml"]);
    assert_eq!(files(&["--exclude", "k8s"]), ["other/y.yaml"]);
}

#[test]
fn stdin_maps_findings_to_helm_templates() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pol/priv.rego", PRIV_POLICY);
    let stream = format!(
        "---\n# Source: shop/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n# Source: shop/templates/deployment.yaml\n{PRIV_DEPLOYMENT}"
    );
    let run = plumbline_stdin(
        dir.path(),
        &["scan", "-", "--no-builtin", "--policy", "pol", "-f", "json"],
        stream.as_bytes(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["summary"]["documents"], 2);
    assert_eq!(
        locations(&r),
        [(
            "shop/templates/deployment.yaml".to_string(),
            14,
            13,
            "TEST-PRIV".to_string()
        )]
    );
}

#[test]
fn lists_flattened_and_non_kubernetes_yaml_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "pol/priv.rego", PRIV_POLICY);
    write(d, "list.yaml", "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p1}\n    spec:\n      containers:\n        - name: c\n          image: x\n          securityContext: {privileged: true}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: cm}\n");
    write(
        d,
        "values.yaml",
        "replicaCount: 2\nimage:\n  repository: nginx\n",
    );
    write(
        d,
        "package.json",
        "{\"name\": \"x\", \"version\": \"1.0.0\"}\n",
    );
    write(d, "pod.json", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"j\"},\n  \"spec\": {\"containers\": [\n    {\"name\": \"c\", \"securityContext\": {\"privileged\": true}}\n  ]}\n}\n");
    let r = scan_json(d, &[]).json();
    assert_eq!(r["summary"]["resources"], 3);
    assert_eq!(r["summary"]["documents"], 5);
    let locs = locations(&r);
    assert_eq!(
        locs,
        [
            ("list.yaml".to_string(), 11, 29, "TEST-PRIV".to_string()),
            ("pod.json".to_string(), 6, 39, "TEST-PRIV".to_string()),
        ]
    );
    assert_eq!(r["findings"][0]["resource"]["name"], "p1");
    assert_eq!(
        r["findings"][0]["fieldPath"],
        "spec.containers[0].securityContext.privileged"
    );
}

#[test]
fn fingerprints_survive_moved_lines_and_reports_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "pol/priv.rego", PRIV_POLICY);
    write(d, "a.yaml", PRIV_DEPLOYMENT);
    let sarif = |d: &Path| {
        plumbline(
            d,
            &[
                "scan",
                ".",
                "--no-builtin",
                "--policy",
                "pol",
                "-f",
                "sarif",
            ],
        )
        .stdout
    };
    let first = sarif(d);
    assert_eq!(first, sarif(d), "byte-identical SARIF");
    let json1 = scan_json(d, &[]).stdout;
    assert_eq!(json1, scan_json(d, &[]).stdout, "byte-identical JSON");
    write(
        d,
        "a.yaml",
        &format!("# a comment\n\n# moved down\n{PRIV_DEPLOYMENT}"),
    );
    let moved = sarif(d);
    let fp = |s: &str| {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        let res = &v["runs"][0]["results"][0];
        (
            res["partialFingerprints"]["plumbline/v1"]
                .as_str()
                .unwrap()
                .to_string(),
            res["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap(),
        )
    };
    let (fp1, line1) = fp(&first);
    let (fp2, line2) = fp(&moved);
    assert_eq!((line1, line2), (13, 16));
    assert_eq!(fp1, fp2);
}

#[test]
fn sarif_has_rules_locations_and_notifications() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "pol/priv.rego", PRIV_POLICY);
    write(d, "a.yaml", PRIV_DEPLOYMENT);
    write(d, "broken.yaml", "a: [\n");
    let run = plumbline(
        d,
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "pol",
            "-f",
            "sarif",
            "--category",
            "k8s",
        ],
    );
    assert_eq!(run.code, 3);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // serde-sarif's typed model reads it back.
    let typed: serde_sarif::sarif::Sarif = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(typed.runs.len(), 1);
    let run0 = &v["runs"][0];
    assert_eq!(run0["automationDetails"]["id"], "k8s/");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["PL-PARSE-0001", "TEST-PRIV"]);
    assert_eq!(rules[1]["properties"]["security-severity"], "8.0");
    let priv_result = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "TEST-PRIV")
        .unwrap();
    assert_eq!(priv_result["ruleIndex"], 1);
    assert_eq!(priv_result["level"], "error");
    let loc = &priv_result["locations"][0];
    assert_eq!(loc["physicalLocation"]["artifactLocation"]["uri"], "a.yaml");
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 13);
    assert_eq!(loc["physicalLocation"]["region"]["startColumn"], 13);
    assert_eq!(loc["physicalLocation"]["region"]["endColumn"], 29);
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "apps/v1/Deployment/shop/web"
    );
    let inv = &run0["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(
        inv["toolExecutionNotifications"][0]["descriptor"]["id"],
        "parse-error"
    );
}

#[test]
fn fail_on_threshold_and_atomic_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "pol/priv.rego",
        &PRIV_POLICY.replace("severity: HIGH", "severity: MEDIUM"),
    );
    write(d, "a.yaml", PRIV_DEPLOYMENT);
    let code = |fail_on: &str| {
        plumbline(
            d,
            &[
                "scan",
                ".",
                "--no-builtin",
                "--policy",
                "pol",
                "--fail-on",
                fail_on,
            ],
        )
        .code
    };
    assert_eq!(code("high"), 0);
    assert_eq!(code("medium"), 1);
    assert_eq!(code("never"), 0);
    assert_eq!(code("bogus"), 2);
    let run = plumbline(
        d,
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "pol",
            "-o",
            "out/report.sarif",
        ],
    );
    assert_eq!(
        run.code, 2,
        "missing output directory is an error: {}",
        run.stderr
    );
    std::fs::create_dir(d.join("out")).unwrap();
    let run = plumbline(
        d,
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "pol",
            "-o",
            "out/report.sarif",
        ],
    );
    assert_eq!(run.code, 1);
    let text = std::fs::read_to_string(d.join("out/report.sarif")).unwrap();
    assert!(
        text.contains("\"version\": \"2.1.0\""),
        "format follows the extension"
    );
    assert!(
        run.stderr.contains("1 finding"),
        "summary on stderr: {}",
        run.stderr
    );
}

#[test]
fn text_output_groups_by_file_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "pol/secret.rego", "package secretcheck\n\ndeny contains {\"msg\": \"literal password\", \"path\": [\"stringData\", \"password\"]} if {\n  input.kind == \"Secret\"\n  input.stringData.password\n}\n");
    write(d, "s.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2-very-secret\n");
    for format in ["text", "json", "sarif"] {
        let run = plumbline(
            d,
            &["scan", ".", "--no-builtin", "--policy", "pol", "-f", format],
        );
        assert_eq!(run.code, 1);
        assert!(
            !run.stdout.contains("hunter2"),
            "{format} leaks the secret:\n{}",
            run.stdout
        );
        assert!(!run.stderr.contains("hunter2"));
    }
    let text = plumbline(d, &["scan", ".", "--no-builtin", "--policy", "pol"]).stdout;
    assert!(text.starts_with("s.yaml\n"), "{text}");
    assert!(text.contains("6:3"), "{text}");
    assert!(text.contains("password: ****"), "{text}");
}

#[test]
fn committed_symlink_out_of_the_repository_is_reported_not_followed() {
    let dir = repo_with_history();
    let d = dir.path();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "x.yaml", PRIV_DEPLOYMENT);
    std::os::unix::fs::symlink(outside.path().join("x.yaml"), d.join("abs-link.yaml")).unwrap();
    std::os::unix::fs::symlink("../../x.yaml", d.join("k8s/rel-link.yaml")).unwrap();
    std::os::unix::fs::symlink("web.yaml", d.join("k8s/inside-link.yaml")).unwrap();
    commit_all(d, "links");
    let r = scan_json(d, &[]).json();
    assert_eq!(locations(&r).len(), 1, "only k8s/web.yaml: {r}");
    let files: Vec<&str> = r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == "symlink-outside")
        .map(|n| n["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["abs-link.yaml", "k8s/rel-link.yaml"]);
}

/// A built-in rule whose `custom.kinds` is `*` (PL-K8S-0026) sees every Kubernetes object,
/// custom resources included, also when the bodies of kinds no rule names are skipped.
#[test]
fn default_namespace_rule_sees_custom_resources() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "app.yaml",
        "apiVersion: serving.knative.dev/v1\nkind: Configuration\nmetadata:\n  name: web\n  namespace: default\nspec:\n  template:\n    spec:\n      containers:\n        - image: nginx:1.27\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: default\nrules: []\n---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: api\n  namespace: shop\n",
    );
    let r = plumbline(
        d,
        &[
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--fail-on",
            "never",
        ],
    )
    .json();
    let hits: Vec<(String, u64)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0026")
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        hits,
        [(
            "Configuration \"web\" is in the default namespace".to_string(),
            5
        )],
        "{r}"
    );
}
