//! The examples in `examples/` are documentation that runs: every YAML file parses, every
//! `plumbline` command in the CI examples parses with the real command line, the
//! merge-request commands run end to end against a real repository with the real binary,
//! and the Kubernetes example passes the built-in policies with a read-only role.
//!
//! Commands are taken from the files themselves (GitHub `run:` steps, GitLab `script:`
//! entries, the CronJob's `command` and `args`), so changing an example changes what is
//! tested. CI variables are replaced with test values; a variable these tests do not know
//! is left in place and fails the test that meets it, so that a new one is a deliberate
//! change here too.

mod common;
use clap::Parser;
use common::*;
use plumbline::cli::Cli;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The build-from-source variant; `github-actions/plumbline.yml` (the Plumbline Action) is
/// tested by tests/packaging_action.rs.
const GITHUB: &str = "github-actions/plumbline-from-source.yml";
const GITHUB_ACTION: &str = "github-actions/plumbline.yml";
const GITLAB: &str = "gitlab-ci/.gitlab-ci.yml";
const KUBERNETES: &str = "kubernetes";

/// Test values of the CI variables the examples use.
const VARIABLES: &[(&str, &str)] = &[
    // GitHub Actions expressions (`${{ … }}`)
    ("github.base_ref", "main"),
    // GitLab CI predefined variables (`$NAME` or `${NAME}`)
    ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
    ("CI_PROJECT_NAME", "shop"),
];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

// ---------------------------------------------------------------------------------------
// YAML

/// Every document of a YAML file, rejecting duplicate keys (GitHub and GitLab do).
fn parse_yaml(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    serde_saphyr::from_multiple_with_options::<Value>(&text, options)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

fn one_document(rel: &str) -> Value {
    let mut docs = parse_yaml(&examples().join(rel));
    assert_eq!(docs.len(), 1, "{rel}: one document expected");
    docs.remove(0)
}

/// Every `.yml`/`.yaml` file below `dir`, hidden ones (`.gitlab-ci.yml`) included.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn every_example_yaml_parses() {
    let mut files = Vec::new();
    yaml_files(&examples(), &mut files);
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(examples()).unwrap().display().to_string())
        .collect();
    for expected in [
        GITHUB,
        GITHUB_ACTION,
        GITLAB,
        "kubernetes/cronjob.yaml",
        "kubernetes/rbac.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for file in &files {
        let docs = parse_yaml(file);
        assert!(!docs.is_empty(), "{}: no document", file.display());
        for doc in docs {
            assert!(doc.is_object(), "{}: not a mapping", file.display());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Commands in CI scripts

/// Replaces GitHub expressions (`${{ name }}`) and shell variables (`$NAME`, `${NAME}`)
/// that `vars` knows; others are left as they are.
fn substitute(script: &str, vars: &[(&str, &str)]) -> String {
    let mut out = script.to_string();
    for (name, value) in vars.iter().chain(VARIABLES) {
        if name.contains('.') {
            for spelled in [format!("${{{{ {name} }}}}"), format!("${{{{{name}}}}}")] {
                out = out.replace(&spelled, value);
            }
        } else {
            out = out.replace(&format!("${{{name}}}"), value);
            // `$NAME` only when the name ends there (`$CI_PROJECT_NAME` vs `$CI_PROJECT_NAMESPACE`).
            let spelled = format!("${name}");
            let mut rest = out.as_str();
            let mut replaced = String::new();
            while let Some(i) = rest.find(&spelled) {
                let after = &rest[i + spelled.len()..];
                let ends = !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
                replaced.push_str(&rest[..i]);
                replaced.push_str(if ends { value } else { &spelled });
                rest = after;
            }
            replaced.push_str(rest);
            out = replaced;
        }
    }
    out
}

/// Splits a shell script into simple commands, each a list of words: quotes (single,
/// double) and backslash escapes as in the shell, `\` + newline joins lines, `#` starts a
/// comment at the start of a word, and `;`, `&`, `|`, `<`, `>` and newlines end a command
/// (so `a || b`, `a && b` and redirections separate `a` from what follows).
fn simple_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = script.chars().peekable();
    let mut ended_by_operator = false;
    let end_word = |word: &mut Option<String>, words: &mut Vec<String>| {
        if let Some(w) = word.take() {
            words.push(w);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(next) => word.get_or_insert_with(String::new).push(next),
                None => {}
            },
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            w.push(chars.next().unwrap());
                        }
                        '\\' if chars.peek() == Some(&'\n') => {
                            chars.next();
                        }
                        _ => w.push(q),
                    }
                }
            }
            '#' if word.is_none() => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            ' ' | '\t' => end_word(&mut word, &mut words),
            '\n' | ';' | '&' | '|' | '<' | '>' => {
                end_word(&mut word, &mut words);
                if !words.is_empty() && !ended_by_operator {
                    commands.push(std::mem::take(&mut words));
                }
                words.clear();
                // After a redirection, the rest of the line is not a new command.
                ended_by_operator = matches!(c, '<' | '>');
                if c == '\n' {
                    ended_by_operator = false;
                }
            }
            _ => word.get_or_insert_with(String::new).push(c),
        }
    }
    end_word(&mut word, &mut words);
    if !words.is_empty() && !ended_by_operator {
        commands.push(words);
    }
    commands
}

/// The `plumbline` commands of a script, after substituting `vars`.
fn plumbline_commands(script: &str, vars: &[(&str, &str)]) -> Vec<Vec<String>> {
    simple_commands(&substitute(script, vars))
        .into_iter()
        .filter(|words| words[0] == "plumbline")
        .collect()
}

#[test]
fn shell_splitting_handles_quotes_continuations_and_operators() {
    let script = "plumbline scan . --base \"origin/$X\" \\\n  -o 'a b.sarif' || [ $? -eq 1 ]\n\
                  # plumbline comment\ncat x >> \"$Y\"; plumbline report a.json -o r.html";
    assert_eq!(
        plumbline_commands(script, &[("X", "main")]),
        [
            vec![
                "plumbline",
                "scan",
                ".",
                "--base",
                "origin/main",
                "-o",
                "a b.sarif"
            ],
            vec!["plumbline", "report", "a.json", "-o", "r.html"],
        ]
    );
    assert_eq!(
        substitute("${{ github.base_ref }} $CI_PROJECT_NAMESPACE", &[]),
        "main $CI_PROJECT_NAMESPACE"
    );
}

/// Parses a command with the real command line, and says which example it came from when
/// it does not parse or still holds a variable.
fn parse_cli(words: &[String], origin: &str) -> Cli {
    for w in words {
        assert!(
            !w.contains('$'),
            "{origin}: `{}` uses a variable these tests do not know: {w:?}; add a test \
             value to VARIABLES",
            words.join(" ")
        );
    }
    Cli::try_parse_from(words).unwrap_or_else(|e| {
        panic!(
            "{origin}: `{}` does not parse with plumbline's command line:\n{e}",
            words.join(" ")
        )
    })
}

fn flag_value<'a>(words: &'a [String], names: &[&str]) -> Option<&'a str> {
    words
        .windows(2)
        .find(|w| names.contains(&w[0].as_str()))
        .map(|w| w[1].as_str())
}

fn output_of(words: &[String]) -> Option<&str> {
    flag_value(words, &["-o", "--output"])
}

fn has_flag(words: &[String], flag: &str, value: &str) -> bool {
    words.windows(2).any(|w| w[0] == flag && w[1] == value)
}

// --- GitHub Actions

fn github_workflow() -> Value {
    one_document(GITHUB)
}

fn github_job<'a>(workflow: &'a Value, job: &str) -> &'a Value {
    let j = &workflow["jobs"][job];
    assert!(j.is_object(), "{GITHUB}: no job {job}");
    j
}

fn github_steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_array().expect("steps")
}

/// The `plumbline` commands of a job's `run:` steps, in order.
fn github_commands(workflow: &Value, job: &str, vars: &[(&str, &str)]) -> Vec<Vec<String>> {
    github_steps(github_job(workflow, job))
        .iter()
        .filter_map(|s| s["run"].as_str())
        .flat_map(|run| plumbline_commands(run, vars))
        .collect()
}

fn matrix_values(workflow: &Value, job: &str, key: &str) -> Vec<String> {
    github_job(workflow, job)["strategy"]["matrix"][key]
        .as_array()
        .unwrap_or_else(|| panic!("{GITHUB}: job {job} has no matrix.{key}"))
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The `with:` of the job's steps that use `action` (`owner/repo/path`, any version).
fn uses<'a>(job: &'a Value, action: &str) -> Vec<&'a Value> {
    github_steps(job)
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.split('@').next() == Some(action))
        })
        .map(|s| &s["with"])
        .collect()
}

/// Each upload-sarif step uploads a file a `plumbline` command of the job writes, under the
/// category that command gives it.
fn assert_sarif_uploads_match(job_name: &str, job: &Value, commands: &[Vec<String>]) {
    let uploads = uses(job, "github/codeql-action/upload-sarif");
    assert!(!uploads.is_empty(), "{job_name}: no upload-sarif step");
    for with in uploads {
        let file = with["sarif_file"].as_str().expect("sarif_file");
        let category = with["category"].as_str().expect("category");
        let writer = commands
            .iter()
            .find(|c| output_of(c) == Some(file))
            .unwrap_or_else(|| panic!("{job_name}: no plumbline command writes {file}"));
        // A merged report keeps the category its shards were scanned with.
        let scanned_with = match flag_value(writer, &["--category"]) {
            Some(c) => c.to_string(),
            None => commands
                .iter()
                .filter_map(|c| flag_value(c, &["--category"]))
                .next()
                .expect("a --category")
                .to_string(),
        };
        assert_eq!(
            scanned_with, category,
            "{job_name}: {file} is uploaded as {category} but scanned as {scanned_with}"
        );
    }
}

#[test]
fn github_workflow_is_wired() {
    let wf = github_workflow();
    // serde-saphyr reads YAML 1.2: `on` is a string key, as GitHub reads it.
    assert!(wf["on"]["pull_request"].is_null() || wf["on"]["pull_request"].is_object());
    assert!(
        wf["on"].get("pull_request").is_some(),
        "triggered by pull_request"
    );
    assert!(wf["on"]["schedule"].is_array(), "triggered by a schedule");
    let gate = github_job(&wf, "gate");
    assert_eq!(gate["permissions"]["security-events"], "write");
    let checkout = uses(gate, "actions/checkout");
    assert_eq!(
        checkout[0]["fetch-depth"], 0,
        "the merge base must be fetched"
    );
    let publish = github_job(&wf, "publish");
    assert_eq!(publish["permissions"]["security-events"], "write");
    // Plumbline is built from source from a URL the user sets, never from an invented one.
    let build = github_steps(github_job(&wf, "build"))
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<String>();
    assert!(
        build.contains("cargo install --locked --git \"$PLUMBLINE_GIT_URL\""),
        "{build}"
    );
    assert_eq!(
        wf["env"]["PLUMBLINE_GIT_URL"],
        "${{ vars.PLUMBLINE_GIT_URL }}"
    );
}

#[test]
fn github_pull_request_commands_parse() {
    let wf = github_workflow();
    let commands = github_commands(&wf, "gate", &[]);
    assert!(commands.len() >= 2, "{commands:?}");
    for c in &commands {
        parse_cli(c, "github gate");
        assert!(has_flag(c, "--base", "origin/main"), "{c:?}");
    }
    assert!(
        commands
            .iter()
            .any(|c| output_of(c) == Some("plumbline.md")),
        "a Markdown report for the comment"
    );
    assert_sarif_uploads_match("github gate", github_job(&wf, "gate"), &commands);
}

/// Needs `--shard` and `plumbline merge`.
#[test]
fn github_scheduled_commands_parse() {
    let wf = github_workflow();
    let shards = matrix_values(&wf, "scan", "shard");
    assert!(shards.len() > 1);
    let mut all = Vec::new();
    for shard in &shards {
        let commands = github_commands(&wf, "scan", &[("matrix.shard", shard)]);
        assert_eq!(commands.len(), 1, "{commands:?}");
        assert!(has_flag(
            &commands[0],
            "--shard",
            &format!("{shard}/{}", shards.len())
        ));
        all.extend(commands);
    }
    let publish = github_commands(&wf, "publish", &[]);
    assert!(publish.iter().any(|c| c[1] == "merge"));
    assert!(publish.iter().any(|c| c[1] == "report"));
    all.extend(publish);
    for c in &all {
        parse_cli(c, "github schedule");
    }
    assert_sarif_uploads_match("github publish", github_job(&wf, "publish"), &all);
}

// --- GitLab CI

fn gitlab_pipeline() -> Value {
    one_document(GITLAB)
}

fn gitlab_job<'a>(pipeline: &'a Value, job: &str) -> &'a Value {
    let j = &pipeline[job];
    assert!(j.is_object(), "{GITLAB}: no job {job}");
    j
}

/// The `plumbline` commands of a job's `before_script` and `script`, in order.
fn gitlab_commands(pipeline: &Value, job: &str) -> Vec<Vec<String>> {
    let j = gitlab_job(pipeline, job);
    ["before_script", "script"]
        .iter()
        .filter_map(|k| j[k].as_array())
        .flatten()
        .map(|line| line.as_str().expect("script lines are strings"))
        .flat_map(|line| plumbline_commands(line, &[]))
        .collect()
}

const GITLAB_MR: &str = "plumbline:merge-request";
const GITLAB_SCHEDULED: &str = "plumbline:scheduled";

fn gitlab_rule(job: &Value) -> &str {
    job["rules"][0]["if"].as_str().expect("rules[0].if")
}

#[test]
fn gitlab_jobs_are_wired() {
    let p = gitlab_pipeline();
    let mr = gitlab_job(&p, GITLAB_MR);
    assert_eq!(
        gitlab_rule(mr),
        "$CI_PIPELINE_SOURCE == \"merge_request_event\""
    );
    assert_eq!(mr["variables"]["GIT_DEPTH"], "0");
    let script: Vec<&str> = mr["script"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let fetch = script.iter().position(|l| l.starts_with("git fetch"));
    let scan = script.iter().position(|l| l.starts_with("plumbline"));
    assert!(
        fetch < scan && fetch.is_some(),
        "fetch the target branch first"
    );
    for report in ["sast", "codequality"] {
        assert!(mr["artifacts"]["reports"][report].is_string(), "{report}");
    }
    let scheduled = gitlab_job(&p, GITLAB_SCHEDULED);
    assert_eq!(
        gitlab_rule(scheduled),
        "$CI_PIPELINE_SOURCE == \"schedule\""
    );
    let template = gitlab_job(&p, ".plumbline");
    let install = template["before_script"].to_string();
    assert!(
        install.contains("cargo install --locked --git \\\"$PLUMBLINE_GIT_URL\\\""),
        "{install}"
    );
}

/// The GitLab report files of the merge-request job, and the commands that write them.
fn gitlab_report_writers(p: &Value, commands: &[Vec<String>]) -> Vec<(String, String)> {
    let reports = &gitlab_job(p, GITLAB_MR)["artifacts"]["reports"];
    [("sast", "gitlab-sast"), ("codequality", "codeclimate")]
        .iter()
        .map(|(report, format)| {
            let file = reports[report].as_str().unwrap().to_string();
            let writer = commands
                .iter()
                .find(|c| output_of(c) == Some(file.as_str()))
                .unwrap_or_else(|| panic!("no plumbline command writes {file}"));
            assert!(
                has_flag(writer, "--format", format) || has_flag(writer, "-f", format),
                "{file} must be written with --format {format}: {writer:?}"
            );
            (report.to_string(), file)
        })
        .collect()
}

/// Needs `--format gitlab-sast` and `--format codeclimate`.
#[test]
fn gitlab_merge_request_commands_parse() {
    let p = gitlab_pipeline();
    let commands = gitlab_commands(&p, GITLAB_MR);
    assert!(commands.len() >= 3, "{commands:?}");
    for c in &commands {
        parse_cli(c, "gitlab merge request");
        assert!(has_flag(c, "--base", "origin/main"), "{c:?}");
    }
    gitlab_report_writers(&p, &commands);
}

#[test]
fn gitlab_scheduled_commands_parse() {
    let p = gitlab_pipeline();
    let commands = gitlab_commands(&p, GITLAB_SCHEDULED);
    assert!(commands.len() >= 2, "{commands:?}");
    for c in &commands {
        parse_cli(c, "gitlab schedule");
    }
    let artifacts: Vec<&str> = gitlab_job(&p, GITLAB_SCHEDULED)["artifacts"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for file in ["plumbline.sarif", "plumbline-report.html"] {
        assert!(artifacts.contains(&file), "{file} in {artifacts:?}");
        assert!(
            commands.iter().any(|c| output_of(c) == Some(file)),
            "{file}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// End to end: the commands against a real repository

const HARDENED_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
";

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  containers:
    - name: shell
      image: busybox:1.36
      securityContext:
        privileged: true
";

/// `main` with a hardened deployment and a pre-existing problem (a root container), and the
/// checked-out branch `feature` that adds a privileged pod; `origin/main` as a CI clone has it.
fn merge_request_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "k8s/web.yaml", HARDENED_DEPLOYMENT);
    write(
        d,
        "k8s/legacy.yaml",
        &HARDENED_DEPLOYMENT
            .replace("name: web\n", "name: legacy\n")
            .replace("runAsUser: 10001", "runAsUser: 0"),
    );
    commit_all(d, "main");
    git(d, &["update-ref", "refs/remotes/origin/main", "main"]);
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(d, "k8s/debug.yaml", PRIVILEGED_POD);
    commit_all(d, "a debug pod");
    dir
}

/// Expands a `dir/*.ext`-style word against `cwd`, as the shell would (sorted).
fn expand_glob(cwd: &Path, word: &str) -> Vec<String> {
    let Some(star) = word.find('*') else {
        return vec![word.to_string()];
    };
    let slash = word[..star].rfind('/').map_or(0, |i| i + 1);
    let (dir, pattern) = word.split_at(slash);
    let (prefix, suffix) = pattern.split_once('*').unwrap();
    assert!(!suffix.contains('*'), "one * per word: {word}");
    let mut matches: Vec<String> = std::fs::read_dir(cwd.join(dir))
        .unwrap_or_else(|e| panic!("{word}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .map(|n| format!("{dir}{n}"))
        .collect();
    matches.sort();
    assert!(!matches.is_empty(), "{word} matches nothing");
    matches
}

/// What a CI runner would get from the command: exit 1 from a gate (a scan that does not
/// say `--fail-on never`) that meets the change's findings, 0 from everything else.
fn expected_exit(words: &[String]) -> i32 {
    if words[1] == "scan" && !has_flag(words, "--fail-on", "never") {
        1
    } else {
        0
    }
}

/// Runs `plumbline …` commands in `dir` as a CI job would, in order, checking each exit
/// code; without the runner's variables, so reports do not depend on where tests run.
fn run_commands(dir: &Path, commands: &[Vec<String>], origin: &str) {
    for words in commands {
        let args: Vec<String> = words[1..]
            .iter()
            .flat_map(|w| expand_glob(dir, w))
            .collect();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumbline"));
        cmd.args(&args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (var, _) in std::env::vars() {
            if var.starts_with("GITHUB_") || var.starts_with("CI_") || var == "CI" {
                cmd.env_remove(var);
            }
        }
        let out = cmd.output().expect("run plumbline");
        let code = out.status.code().unwrap_or(-1);
        assert_eq!(
            code,
            expected_exit(words),
            "{origin}: `{}` exited {code}:\n{}{}",
            words.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// (ruleId, file) of every SARIF result.
fn sarif_results(sarif: &Value) -> BTreeSet<(String, String)> {
    assert_eq!(sarif["version"], "2.1.0");
    sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|run| run["results"].as_array().unwrap().iter())
        .map(|r| {
            let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                uri.as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn github_pull_request_gate_end_to_end() {
    let wf = github_workflow();
    let commands = github_commands(&wf, "gate", &[]);
    let dir = merge_request_repo();
    let d = dir.path();
    run_commands(d, &commands, "github gate");
    assert!(
        commands.iter().any(|c| expected_exit(c) == 1),
        "the job has a gate that fails"
    );

    let with = uses(github_job(&wf, "gate"), "github/codeql-action/upload-sarif")[0];
    let sarif = read_json(&d.join(with["sarif_file"].as_str().unwrap()));
    let results = sarif_results(&sarif);
    assert!(
        results.contains(&("PL-K8S-0003".to_string(), "k8s/debug.yaml".to_string())),
        "the new privileged pod: {results:?}"
    );
    assert!(
        results.iter().all(|(_, file)| file == "k8s/debug.yaml"),
        "only what the change introduces (not legacy.yaml's root user): {results:?}"
    );
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        format!("{}/", with["category"].as_str().unwrap())
    );

    let markdown = std::fs::read_to_string(d.join("plumbline.md")).expect("plumbline.md");
    assert!(markdown.contains("k8s/debug.yaml"), "{markdown}");
    assert!(markdown.contains("PL-K8S-0003"), "{markdown}");
}

/// Needs `--format gitlab-sast` and `--format codeclimate`.
#[test]
fn gitlab_merge_request_gate_end_to_end() {
    let p = gitlab_pipeline();
    let commands = gitlab_commands(&p, GITLAB_MR);
    let reports = gitlab_report_writers(&p, &commands);
    let dir = merge_request_repo();
    let d = dir.path();
    run_commands(d, &commands, "gitlab merge request");
    assert!(commands.iter().any(|c| expected_exit(c) == 1));

    for (report, file) in reports {
        let value = read_json(&d.join(&file));
        let items = match report.as_str() {
            // GitLab's security report: an object with its vulnerabilities.
            "sast" => value["vulnerabilities"].clone(),
            // Code Climate issues: an array.
            _ => value.clone(),
        };
        let items = items
            .as_array()
            .unwrap_or_else(|| panic!("{file}: unexpected shape: {value}"));
        assert!(!items.is_empty(), "{file}: no findings");
        let text = value.to_string();
        assert!(text.contains("k8s/debug.yaml"), "{file}: {text}");
        assert!(
            !text.contains("k8s/legacy.yaml"),
            "{file}: only new findings"
        );
    }
    for file in gitlab_job(&p, GITLAB_MR)["artifacts"]["paths"]
        .as_array()
        .unwrap()
    {
        let file = file.as_str().unwrap();
        assert!(d.join(file).is_file(), "{file} was not written");
    }
}

#[test]
fn gitlab_scheduled_scan_end_to_end() {
    let p = gitlab_pipeline();
    let commands = gitlab_commands(&p, GITLAB_SCHEDULED);
    let dir = merge_request_repo();
    let d = dir.path();
    run_commands(d, &commands, "gitlab schedule");
    let results = sarif_results(&read_json(&d.join("plumbline.sarif")));
    // The full scan sees the pre-existing problem too.
    assert!(results.iter().any(|(_, f)| f == "k8s/legacy.yaml"));
    assert!(results.iter().any(|(_, f)| f == "k8s/debug.yaml"));
    let html = std::fs::read_to_string(d.join("plumbline-report.html")).expect("HTML report");
    assert!(html.contains("PL-K8S-0003"));
}

/// Needs `--shard` and `plumbline merge`.
#[test]
fn github_scheduled_scan_end_to_end() {
    let wf = github_workflow();
    let dir = merge_request_repo();
    let d = dir.path();
    // Each matrix job writes its shard; the publish job finds them in `shards/`.
    let shards = matrix_values(&wf, "scan", "shard");
    for shard in &shards {
        let commands = github_commands(&wf, "scan", &[("matrix.shard", shard)]);
        run_commands(d, &commands, "github scan shard");
        let file = output_of(&commands[0]).unwrap();
        std::fs::create_dir_all(d.join("shards")).unwrap();
        std::fs::rename(d.join(file), d.join("shards").join(file)).unwrap();
    }
    let publish = github_commands(&wf, "publish", &[]);
    run_commands(d, &publish, "github publish");

    // The merged shards are the full scan: nothing lost, nothing twice.
    let merged = read_json(&d.join("plumbline.sarif"));
    let full = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["scan", ".", "-f", "sarif", "--category", "k8s"])
        .current_dir(d)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let full: Value = serde_json::from_slice(&full.stdout).unwrap();
    assert_eq!(sarif_results(&merged), sarif_results(&full));
    let count = |s: &Value| s["runs"][0]["results"].as_array().unwrap().len();
    assert_eq!(count(&merged), count(&full));
    assert!(d.join("plumbline-report.html").is_file());
}

// ---------------------------------------------------------------------------------------
// Kubernetes

fn kubernetes_objects() -> Vec<Value> {
    let mut files = Vec::new();
    yaml_files(&examples().join(KUBERNETES), &mut files);
    files.sort();
    files.iter().flat_map(|f| parse_yaml(f)).collect()
}

fn object<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {KUBERNETES}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn kubernetes_role_is_read_only() {
    let objects = kubernetes_objects();
    let role = object(&objects, "ClusterRole");
    let rules = role["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for rule in rules {
        // The one `create`: access reviews, which store nothing.
        if strings(&rule["apiGroups"]) == ["authorization.k8s.io"] {
            assert_eq!(strings(&rule["resources"]), ["selfsubjectaccessreviews"]);
            assert_eq!(strings(&rule["verbs"]), ["create"]);
            continue;
        }
        for verb in strings(&rule["verbs"]) {
            assert!(["get", "list"].contains(&verb), "verb {verb} in {rule}");
        }
        let resources = strings(&rule["resources"]);
        assert!(!resources.is_empty(), "{rule}");
        for resource in resources {
            assert_ne!(resource, "*", "{rule}");
            assert!(!resource.starts_with("secrets"), "no Secrets: {rule}");
        }
        assert!(!strings(&rule["apiGroups"]).contains(&"*"), "{rule}");
        assert!(rule.get("nonResourceURLs").is_none(), "{rule}");
    }
    assert!(objects.iter().all(|o| o["kind"] != "Role"));

    let binding = object(&objects, "ClusterRoleBinding");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    let account = object(&objects, "ServiceAccount");
    assert_eq!(binding["subjects"][0]["name"], account["metadata"]["name"]);
    assert_eq!(
        binding["subjects"][0]["namespace"],
        account["metadata"]["namespace"]
    );
    let pod = &object(&objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], account["metadata"]["name"]);
}

/// What the built-in rules do not check, but the example promises.
#[test]
fn kubernetes_cronjob_is_hardened() {
    let objects = kubernetes_objects();
    let cronjob = object(&objects, "CronJob");
    assert_eq!(cronjob["spec"]["concurrencyPolicy"], "Forbid");
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    // The scan reads the cluster with the pod's token; the account itself mounts none.
    assert_eq!(pod["automountServiceAccountToken"], true);
    let account = object(&objects, "ServiceAccount");
    assert_eq!(account["automountServiceAccountToken"], false);
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        assert_ne!(pod[host], true, "{host}");
    }
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .filter_map(|k| pod[k].as_array())
        .flatten()
        .collect();
    assert_eq!(containers.len(), 2, "a git clone and the scan");
    for c in containers {
        let name = c["name"].as_str().unwrap();
        let image = c["image"].as_str().unwrap();
        let tag = image.rsplit('/').next().unwrap();
        assert!(
            image.contains("@sha256:") || (tag.contains(':') && !tag.ends_with(":latest")),
            "{name}: image {image} is not pinned by tag or digest"
        );
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
        assert_eq!(strings(&sc["capabilities"]["drop"]), ["ALL"], "{name}");
        for limit in ["cpu", "memory"] {
            assert!(
                c["resources"]["limits"][limit].is_string(),
                "{name}: {limit}"
            );
        }
    }
}

#[test]
fn kubernetes_cronjob_command_parses() {
    let objects = kubernetes_objects();
    let pod = &object(&objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let scan = &pod["containers"][0];
    let program = strings(&scan["command"]);
    assert_eq!(program.len(), 1);
    assert!(program[0].ends_with("/plumbline"), "{program:?}");
    let mut words = vec!["plumbline".to_string()];
    words.extend(strings(&scan["args"]).iter().map(|s| s.to_string()));
    parse_cli(&words, "kubernetes cronjob");
    assert_eq!(words[1..3], ["scan", "/repo"]);
    assert!(has_flag(&words, "--rev", "origin/main"), "{words:?}");
    assert!(has_flag(&words, "--cluster", "in-cluster"), "{words:?}");
    // The scan reads the clone the init container writes.
    let mounts = |c: &Value| -> Vec<String> {
        c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{}={}", m["name"], m["mountPath"]))
            .collect()
    };
    let clone = &pod["initContainers"][0];
    assert!(strings(&clone["command"]) == ["git"], "{clone}");
    assert!(strings(&clone["args"]).contains(&"/repo"));
    let shared = "\"repo\"=\"/repo\"".to_string();
    assert!(mounts(clone).contains(&shared) && mounts(scan).contains(&shared));
    let report = output_of(&words).unwrap();
    assert!(mounts(scan)
        .iter()
        .any(|m| report.starts_with(m.split('=').nth(1).unwrap().trim_matches('"'))));
}

/// Runs the real binary on a directory of this repository, as it is on disk.
fn scan_worktree(rel: &str) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = plumbline(root, &["scan", rel, "--worktree", "-f", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r.json()
}

#[test]
fn kubernetes_example_passes_the_builtin_policies() {
    let report = scan_worktree("examples/kubernetes");
    let summary = &report["summary"];
    // Findings the example accepts on purpose are waived in place, with their reason.
    assert_eq!(summary["active"], 0, "{report}");
    for f in report["findings"].as_array().unwrap() {
        assert!(!f["suppressions"].as_array().unwrap().is_empty(), "{f}");
    }
    assert_eq!(summary["notifications"], 0, "{report}");
    assert!(
        summary["rules"].as_u64().unwrap() >= 17,
        "built-in rules ran"
    );
    let kinds: BTreeSet<String> = kubernetes_objects()
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains("CronJob"), "{kinds:?}");
    // The rendered objects (the kustomization itself is rendered, not scanned) and
    // examples/kubernetes/Dockerfile (one Dockerfile subject).
    assert_eq!(
        summary["resources"].as_u64().unwrap() as usize,
        kubernetes_objects()
            .iter()
            .filter(|o| o["kind"] != "Kustomization")
            .count()
            + 1
    );
}

/// The CI files are YAML but not Kubernetes objects: read, and left alone.
#[test]
fn ci_examples_are_not_kubernetes_objects() {
    let report = scan_worktree("examples");
    let summary = &report["summary"];
    // Findings the example accepts on purpose are waived in place, with their reason.
    assert_eq!(summary["active"], 0, "{report}");
    for f in report["findings"].as_array().unwrap() {
        assert!(!f["suppressions"].as_array().unwrap().is_empty(), "{f}");
    }
    assert_eq!(summary["notifications"], 0, "{report}");
    let mut files = Vec::new();
    yaml_files(&examples(), &mut files);
    // The YAML files and examples/kubernetes/Dockerfile (read for the Dockerfile rules).
    assert!(examples().join("kubernetes/Dockerfile").is_file());
    assert_eq!(
        summary["files"],
        files.len() + 1,
        "every example was read: {summary}"
    );
    let documents = summary["documents"].as_u64().unwrap() as usize;
    let resources = summary["resources"].as_u64().unwrap() as usize;
    // The rendered Kubernetes objects (the kustomization is rendered, not scanned itself)
    // and examples/kubernetes/Dockerfile (one Dockerfile subject).
    let rendered = kubernetes_objects()
        .iter()
        .filter(|o| o["kind"] != "Kustomization")
        .count();
    assert_eq!(resources, rendered + 1);
    assert_eq!(documents - resources, 3, "the three CI files: {summary}");
}
