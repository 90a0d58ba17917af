//! Packaging: the GitHub Action (`action.yml`, `action/install.sh`, `action/run.sh`), its
//! example workflow, and the pre-commit hooks (`.pre-commit-hooks.yaml`).
//!
//! The scripts run here as the Action runs them: environment variables in, files, outputs
//! and exit codes out. `install.sh` downloads from a local `python3 -m http.server` that
//! serves a release made in the test from this build's binary; the pre-commit tests run the
//! real `pre-commit try-repo` (install it with `python3 -m pip install pre-commit`; `.ci/run`
//! does), and fail, saying so, when it is missing.

mod common;
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One YAML document, rejecting duplicate keys (GitHub and pre-commit do).
fn parse_yaml(path: &Path) -> Value {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    let mut docs = serde_saphyr::from_multiple_with_options::<Value>(&read(path), options)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{}: one document expected", path.display());
    docs.remove(0)
}

fn action() -> Value {
    parse_yaml(&root().join("action.yml"))
}

fn steps(action: &Value) -> &Vec<Value> {
    action["runs"]["steps"].as_array().expect("runs.steps")
}

/// Every `NAME.WORD` (e.g. `inputs.fail-on`) in `text`, as WORD.
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(&format!(r"\b{}\.([A-Za-z0-9_-]+)", regex::escape(prefix))).unwrap();
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// action.yml

#[test]
fn action_metadata_declares_what_it_uses() {
    let text = read(&root().join("action.yml"));
    let a = action();
    assert!(a["name"].is_string() && a["description"].is_string());
    assert_eq!(a["runs"]["using"], "composite");

    let inputs = a["inputs"].as_object().expect("inputs");
    let declared: BTreeSet<String> = inputs.keys().cloned().collect();
    for name in [
        "version",
        "args",
        "sarif-category",
        "fail-on",
        "base",
        "upload-sarif",
    ] {
        assert!(declared.contains(name), "input {name} is not declared");
    }
    for (name, input) in inputs {
        assert!(
            input["description"].is_string(),
            "input {name}: no description"
        );
        assert!(
            input["default"].is_string(),
            "input {name}: the default must be a string (what GitHub passes)"
        );
    }
    assert_eq!(inputs["version"]["default"], "latest");
    assert_eq!(
        inputs["args"]["default"],
        "scan . --format sarif --output plumbline.sarif"
    );
    assert_eq!(inputs["upload-sarif"]["default"], "true");
    // The default args parse with plumbline's real command line.
    let words: Vec<&str> = inputs["args"]["default"]
        .as_str()
        .unwrap()
        .split(' ')
        .collect();
    use clap::Parser;
    plumbline::cli::Cli::try_parse_from(std::iter::once("plumbline").chain(words))
        .expect("the default args parse");

    // Every input used is declared, and every declared input is used.
    let used = references(&text, "inputs");
    assert_eq!(used, declared, "inputs used vs declared");

    // Step ids: unique, and every `steps.ID.outputs.NAME` names one; outputs of the scripts
    // are written by them (`output NAME …`).
    let mut ids = BTreeMap::new();
    for step in steps(&a) {
        if let Some(id) = step["id"].as_str() {
            assert!(
                ids.insert(id.to_string(), step).is_none(),
                "step id {id} twice"
            );
        }
    }
    let re = regex::Regex::new(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)").unwrap();
    let mut checked = 0;
    for c in re.captures_iter(&text) {
        let (id, name) = (&c[1], &c[2]);
        let step = ids
            .get(id)
            .unwrap_or_else(|| panic!("steps.{id} is used but no step has that id"));
        let run = step["run"]
            .as_str()
            .unwrap_or_else(|| panic!("step {id} runs nothing"));
        let script = script_of(run);
        let source = read(&root().join(&script));
        assert!(
            source.contains(&format!("output {name} ")),
            "steps.{id}.outputs.{name}: {script} never writes output {name}"
        );
        checked += 1;
    }
    assert!(checked >= 6, "outputs referenced: {checked}");

    for step in steps(&a) {
        let label = step["name"].as_str().unwrap_or("?");
        if let Some(run) = step["run"].as_str() {
            assert_eq!(
                step["shell"], "bash",
                "{label}: composite run steps need a shell"
            );
            // Inputs reach the scripts as environment variables, never spliced into the
            // script text (where a value could run as code).
            assert!(!run.contains("${{"), "{label}: expression in run: {run}");
            let script = script_of(run);
            assert!(
                root().join(&script).is_file(),
                "{label}: {script} is missing"
            );
        }
        if let Some(uses) = step["uses"].as_str() {
            if uses.starts_with("./") {
                continue;
            }
            let (action_name, rev) = uses.split_once('@').expect("uses NAME@REV");
            assert!(
                rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
                "{action_name} is not pinned by a full commit SHA: {uses}"
            );
            // … with the version it is, as a comment on the same line.
            let line = text
                .lines()
                .find(|l| l.contains(uses))
                .expect("the uses line");
            let comment = line.split_once('#').map(|(_, c)| c.trim()).unwrap_or("");
            assert!(
                comment.starts_with('v') && comment[1..].starts_with(|c: char| c.is_ascii_digit()),
                "{uses}: no version comment (`# vX.Y.Z`): {line}"
            );
        }
    }

    // The cache is keyed on the resolved version and the runner, and caches the directory
    // the install step uses.
    let cache = steps(&a)
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("an actions/cache step");
    let key = cache["with"]["key"].as_str().unwrap();
    for part in ["steps.resolve.outputs.version", "runner.os", "runner.arch"] {
        assert!(key.contains(part), "cache key {key} lacks {part}");
    }
    assert_eq!(cache["with"]["path"], "${{ steps.resolve.outputs.dir }}");
    let install = steps(&a)
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.ends_with("install.sh\""))
        })
        .expect("the install step");
    assert_eq!(
        install["env"]["PLUMBLINE_INSTALL_DIR"],
        "${{ steps.resolve.outputs.dir }}"
    );

    // The run step may fail (findings) without skipping the upload; the last step gives
    // the verdict.
    let run = &ids["run"];
    assert_eq!(run["continue-on-error"], true);
    let upload = steps(&a)
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    let cond = upload["if"].as_str().unwrap();
    assert!(cond.contains("always()") && cond.contains("inputs.upload-sarif == 'true'"));
    assert_eq!(
        upload["with"]["sarif_file"],
        "${{ steps.run.outputs.sarif-file }}"
    );
    let last = steps(&a).last().unwrap();
    assert_eq!(last["if"], "always()");
    assert!(last["run"].as_str().unwrap().ends_with("run.sh\" verdict"));
    assert_eq!(
        last["env"]["EXIT_CODE"],
        "${{ steps.run.outputs.exit-code }}"
    );
}

/// `bash "$GITHUB_ACTION_PATH/action/X.sh" …` → `action/X.sh`.
fn script_of(run: &str) -> String {
    let re = regex::Regex::new(r#"^bash "\$GITHUB_ACTION_PATH/(action/[a-z_-]+\.sh)"( [a-z]+)?$"#)
        .unwrap();
    let c = re
        .captures(run.trim())
        .unwrap_or_else(|| panic!("run step is not one script of action/: {run}"));
    c[1].to_string()
}

// ---------------------------------------------------------------------------------------
// Running the scripts

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    path_entries: Vec<String>,
}

/// Runs `bash action/SCRIPT ARGS` in `dir` with `env`, as a GitHub runner would: without
/// this machine's GITHUB_*/RUNNER_*/INPUT_* variables, with fresh GITHUB_OUTPUT and
/// GITHUB_PATH files.
fn run_script(script: &str, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Ran {
    let files = tempfile::tempdir().unwrap();
    let output = files.path().join("output");
    let path = files.path().join("path");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&path, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("action").join(script))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null());
    for (var, _) in std::env::vars() {
        if [
            "GITHUB_",
            "RUNNER_",
            "INPUT_",
            "PLUMBLINE",
            "PULL_REQUEST_",
            "GIT_",
        ]
        .iter()
        .any(|p| var.starts_with(p))
            || var == "CI"
            || var == "EXIT_CODE"
        {
            cmd.env_remove(var);
        }
    }
    cmd.env("GITHUB_OUTPUT", &output)
        .env("GITHUB_PATH", &path)
        .env("RUNNER_TEMP", files.path())
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run bash");
    let mut outputs = BTreeMap::new();
    for line in read(&output).lines() {
        let (k, v) = line.split_once('=').expect("NAME=VALUE output");
        outputs.insert(k.to_string(), v.to_string());
    }
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
        path_entries: read(&path).lines().map(str::to_string).collect(),
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\noutputs {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.outputs, self.stdout, self.stderr
        )
    }
}

// --- install.sh

/// `python3 -m http.server` on a free port of 127.0.0.1, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("python3 -m http.server ended: {status}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "python3 -m http.server did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            url: format!("http://127.0.0.1:{port}/releases"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The archive name's target for this machine, as install.sh detects it.
fn host_target() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => panic!("no release target for {other}"),
    };
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-musl"),
        "macos" => format!("{arch}-apple-darwin"),
        other => panic!("no release target for {other}"),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `plumbline-VERSION-TARGET.tar.gz` holding this build's binary at its root, in `dir`.
fn make_archive(dir: &Path, version: &str, target: &str) -> (String, Vec<u8>) {
    let stage = tempfile::tempdir().unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_plumbline"),
        stage.path().join("plumbline"),
    )
    .unwrap();
    let name = format!("plumbline-{version}-{target}.tar.gz");
    std::fs::create_dir_all(dir).unwrap();
    // gzip -1: the debug binary is large, and the level does not matter here.
    let status = Command::new("sh")
        .arg("-c")
        .arg("tar -cf - -C \"$1\" plumbline | gzip -1 > \"$2\"")
        .arg("sh")
        .arg(stage.path())
        .arg(dir.join(&name))
        .status()
        .unwrap();
    assert!(status.success(), "tar | gzip failed");
    let bytes = std::fs::read(dir.join(&name)).unwrap();
    (name, bytes)
}

#[test]
fn install_script_verifies_installs_and_caches() {
    let target = host_target();
    let site = tempfile::tempdir().unwrap();
    let releases = site.path().join("releases");

    // v0.9.0: a good release, also the latest one. Its SHA256SUMS names another target
    // first, in the `*FILE` (binary) form, to show the right line is read.
    let good = releases.join("download/v0.9.0");
    let (archive, bytes) = make_archive(&good, "0.9.0", &target);
    let sums = format!(
        "{}  plumbline-0.9.0-riscv64gc-unknown-linux-gnu.tar.gz\n{} *{archive}\n",
        "0".repeat(64),
        sha256_hex(&bytes)
    );
    write(&good, "SHA256SUMS", &sums);
    write(&releases, "latest/download/SHA256SUMS", &sums);

    // v0.9.1: SHA256SUMS does not match the archive (a tampered or truncated download).
    let bad = releases.join("download/v0.9.1");
    let (bad_archive, bad_bytes) = make_archive(&bad, "0.9.1", &target);
    let mut wrong = sha256_hex(&bad_bytes).into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    write(&bad, "SHA256SUMS", &format!("{wrong}  {bad_archive}\n"));

    let server = Server::start(site.path());
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let cache_s = cache.to_str().unwrap();
    let env = |version: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("PLUMBLINE_DOWNLOAD_URL", server.url.clone()),
            ("PLUMBLINE_VERSION", version.to_string()),
        ]
    };
    let run = |args: &[&str], env: &[(&str, String)]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_script("install.sh", args, work.path(), &env)
    };

    // `resolve`: the latest release's version, from its SHA256SUMS; this machine's target;
    // the cache directory under the runner's tool cache.
    let mut e = env("latest");
    e.push(("RUNNER_TOOL_CACHE", cache_s.to_string()));
    let r = run(&["resolve"], &e);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.outputs["version"], "0.9.0", "{r:?}");
    assert_eq!(r.outputs["target"], target);
    let dir = PathBuf::from(&r.outputs["dir"]);
    assert_eq!(dir, cache.join("plumbline/0.9.0").join(&target));
    assert!(!dir.exists(), "resolve downloads nothing");

    // Install: downloaded, verified, extracted, put on PATH.
    let mut e = env("latest");
    e.push(("PLUMBLINE_INSTALL_DIR", dir.to_str().unwrap().to_string()));
    let r = run(&[], &e);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("downloaded") && r.stdout.contains("checksum verified"),
        "{r:?}"
    );
    let bin = dir.join("bin/plumbline");
    assert_eq!(
        std::fs::metadata(&bin).unwrap().len(),
        std::fs::metadata(env!("CARGO_BIN_EXE_plumbline"))
            .unwrap()
            .len()
    );
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("plumbline "));
    assert_eq!(r.path_entries, [dir.join("bin").to_str().unwrap()]);
    assert_eq!(r.outputs["version"], "0.9.0");
    assert_eq!(r.outputs["path"], bin.to_str().unwrap());
    assert_eq!(
        std::fs::read(dir.join(&archive)).unwrap(),
        bytes,
        "the archive is kept for the cache"
    );

    // Again, as after a cache hit: the kept archive is verified and used.
    let r = run(&[], &e);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("using the cached"), "{r:?}");
    assert!(bin.is_file());

    // A kept archive that no longer matches (a poisoned or damaged cache) is replaced.
    let mut damaged = bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    std::fs::write(dir.join(&archive), &damaged).unwrap();
    let r = run(&[], &e);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("does not match SHA256SUMS"), "{r:?}");
    assert!(r.stdout.contains("downloaded"), "{r:?}");
    assert_eq!(std::fs::read(dir.join(&archive)).unwrap(), bytes);

    // A download that does not match SHA256SUMS is refused, clearly, and nothing is
    // installed. A `v` in the version is accepted.
    let bad_dir = work.path().join("bad");
    let mut e = env("v0.9.1");
    e.push((
        "PLUMBLINE_INSTALL_DIR",
        bad_dir.to_str().unwrap().to_string(),
    ));
    let r = run(&[], &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("checksum mismatch"), "{r:?}");
    assert!(r.stderr.contains(&bad_archive), "{r:?}");
    assert!(
        r.stderr.contains(&wrong),
        "names the expected checksum: {r:?}"
    );
    assert!(!bad_dir.join("bin/plumbline").exists(), "nothing installed");
    assert!(
        !bad_dir.join(&bad_archive).exists(),
        "nothing kept for the cache"
    );
    assert!(r.path_entries.is_empty());

    // In GitHub Actions, the error is an annotation.
    e.push(("GITHUB_ACTIONS", "true".to_string()));
    let r = run(&[], &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("::error title=plumbline install::checksum mismatch"),
        "{r:?}"
    );

    // A release that does not exist, and a version that is not one.
    let mut e = env("0.8.0");
    e.push((
        "PLUMBLINE_INSTALL_DIR",
        bad_dir.to_str().unwrap().to_string(),
    ));
    let r = run(&[], &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("is 0.8.0 a Plumbline release?"), "{r:?}");
    let r = run(&["resolve"], &env("main; rm -rf /"));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("is not a release version"), "{r:?}");
    // A target the release has no archive for.
    let mut e = env("0.9.0");
    e.push(("PLUMBLINE_TARGET", "sparc64-unknown-linux-gnu".to_string()));
    e.push((
        "PLUMBLINE_INSTALL_DIR",
        bad_dir.to_str().unwrap().to_string(),
    ));
    let r = run(&[], &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("has no line for plumbline-0.9.0-sparc64"),
        "{r:?}"
    );
}

// --- run.sh

const BAD_POD: &str = "apiVersion: v1
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

/// A repository whose first commit has k8s/legacy.yaml (a privileged Deployment) and whose
/// second adds k8s/debug.yaml (a privileged Pod); returns it and the first commit.
fn repo_with_change() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "k8s/legacy.yaml", PRIV_DEPLOYMENT);
    commit_all(d, "legacy");
    let base = git(d, &["rev-parse", "HEAD"]);
    write(d, "k8s/debug.yaml", BAD_POD);
    commit_all(d, "debug pod");
    (dir, base)
}

fn run_action(dir: &Path, env: &[(&str, &str)]) -> Ran {
    let mut all = vec![("PLUMBLINE", env!("CARGO_BIN_EXE_plumbline"))];
    all.extend_from_slice(env);
    run_script("run.sh", &[], dir, &all)
}

/// (ruleId, file) of the SARIF file's results, and its category.
fn sarif(path: &Path) -> (BTreeSet<(String, String)>, String) {
    let v: Value = serde_json::from_str(&read(path)).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let results = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let category = run["automationDetails"]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (results, category)
}

fn files_of(results: &BTreeSet<(String, String)>) -> BTreeSet<&str> {
    results.iter().map(|(_, f)| f.as_str()).collect()
}

#[test]
fn run_script_defaults_write_sarif_and_fail_on_findings() {
    let (dir, _) = repo_with_change();
    let d = dir.path();
    let r = run_action(d, &[]);
    assert_eq!(r.code, 1, "findings at or above low: {r:?}");
    assert_eq!(r.outputs["exit-code"], "1");
    assert_eq!(r.outputs["sarif-file"], "plumbline.sarif");
    assert_eq!(r.outputs["category"], "");
    assert!(
        r.stderr
            .contains("found problems at or above the fail-on severity"),
        "{r:?}"
    );
    let (results, category) = sarif(&d.join("plumbline.sarif"));
    assert!(
        results.contains(&("PL-K8S-0003".into(), "k8s/debug.yaml".into())),
        "{results:?}"
    );
    assert!(
        results.contains(&("PL-K8S-0003".into(), "k8s/legacy.yaml".into())),
        "{results:?}"
    );
    assert_eq!(category, "plumbline/");
}

#[test]
fn run_script_fail_on_decides_the_exit_code() {
    let (dir, _) = repo_with_change();
    let d = dir.path();
    // The worst finding is HIGH (privileged containers).
    for (fail_on, code) in [("critical", 0), ("high", 1), ("never", 0), ("info", 1)] {
        std::fs::remove_file(d.join("plumbline.sarif")).ok();
        let r = run_action(d, &[("INPUT_FAIL_ON", fail_on)]);
        assert_eq!(r.code, code, "fail-on {fail_on}: {r:?}");
        assert_eq!(r.outputs["exit-code"], code.to_string());
        // The report is written either way, for the upload.
        assert_eq!(r.outputs["sarif-file"], "plumbline.sarif", "{r:?}");
        let (results, _) = sarif(&d.join("plumbline.sarif"));
        assert!(!results.is_empty());
        if code == 0 {
            assert!(r.stderr.contains("no finding at or above"), "{r:?}");
        }
    }
}

#[test]
fn run_script_category_and_quoted_args() {
    let (dir, _) = repo_with_change();
    let d = dir.path();
    let r = run_action(
        d,
        &[
            (
                "INPUT_ARGS",
                "scan k8s --format sarif --output 'my report.sarif' --fail-on=never",
            ),
            ("INPUT_SARIF_CATEGORY", "iac"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.outputs["sarif-file"], "my report.sarif");
    assert_eq!(r.outputs["category"], "iac");
    let (results, category) = sarif(&d.join("my report.sarif"));
    assert_eq!(category, "iac/");
    assert!(!results.is_empty());

    // The category may come from args instead; nothing in args is expanded.
    let r = run_action(
        d,
        &[
            (
                "INPUT_ARGS",
                "scan . -f sarif -o \"$HOME.sarif\" --category=k8s",
            ),
            ("INPUT_FAIL_ON", "never"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.outputs["category"], "k8s");
    assert_eq!(r.outputs["sarif-file"], "$HOME.sarif");
    assert!(d.join("$HOME.sarif").is_file());

    // A format other than SARIF leaves nothing to upload.
    let r = run_action(
        d,
        &[
            ("INPUT_ARGS", "scan . -o report.json"),
            ("INPUT_FAIL_ON", "never"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(d.join("report.json").is_file());
    assert!(!r.outputs.contains_key("sarif-file"), "{r:?}");
}

#[test]
fn run_script_pull_request_compares_with_its_base() {
    let (dir, base) = repo_with_change();
    let d = dir.path();
    // A pull request: only what the change introduces.
    let r = run_action(d, &[("PULL_REQUEST_BASE_SHA", &base)]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains(&format!("--base {base}")), "{r:?}");
    let (results, _) = sarif(&d.join("plumbline.sarif"));
    assert_eq!(
        files_of(&results),
        BTreeSet::from(["k8s/debug.yaml"]),
        "{results:?}"
    );

    // An explicit base, the same.
    std::fs::remove_file(d.join("plumbline.sarif")).unwrap();
    let r = run_action(d, &[("INPUT_BASE", &base)]);
    assert_eq!(r.code, 1, "{r:?}");
    let (results, _) = sarif(&d.join("plumbline.sarif"));
    assert_eq!(files_of(&results), BTreeSet::from(["k8s/debug.yaml"]));

    // `none`: the whole tree, even on a pull request.
    let r = run_action(
        d,
        &[("PULL_REQUEST_BASE_SHA", &base), ("INPUT_BASE", "none")],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let (results, _) = sarif(&d.join("plumbline.sarif"));
    assert_eq!(
        files_of(&results),
        BTreeSet::from(["k8s/debug.yaml", "k8s/legacy.yaml"])
    );

    // Args that compare with a baseline already are left alone on a pull request.
    let r = run_action(
        d,
        &[
            ("PULL_REQUEST_BASE_SHA", &base),
            (
                "INPUT_ARGS",
                "scan . -o all.sarif --baseline plumbline.sarif",
            ),
        ],
    );
    assert_eq!(r.code, 0, "nothing new since the full report: {r:?}");
    assert!(!r.stderr.contains("--base "), "{r:?}");

    // A base that is not in the clone: plumbline's usage error, explained.
    let r = run_action(d, &[("INPUT_BASE", &"f".repeat(40))]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.outputs["exit-code"], "2");
    assert!(r.stderr.contains("usage or configuration error"), "{r:?}");
}

#[test]
fn run_script_refuses_bad_inputs() {
    let (dir, _) = repo_with_change();
    let d = dir.path();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("INPUT_FAIL_ON", "high"),
                ("INPUT_ARGS", "scan . --fail-on low"),
            ],
            "input fail-on and --fail-on in args both set it",
        ),
        (
            &[
                ("INPUT_SARIF_CATEGORY", "a"),
                ("INPUT_ARGS", "scan . --category=b"),
            ],
            "input sarif-category and --category in args both set it",
        ),
        (
            &[("INPUT_BASE", "main"), ("INPUT_ARGS", "policy list")],
            "input base adds --base, which 'plumbline policy' does not take",
        ),
        (
            &[("INPUT_UPLOAD_SARIF", "yes")],
            "upload-sarif must be 'true' or 'false'",
        ),
        (&[("INPUT_ARGS", "  ")], "args is empty"),
        (&[("INPUT_ARGS", "scan 'unclosed")], "cannot split args"),
    ];
    for (env, message) in cases {
        let r = run_action(d, env);
        assert_eq!(r.code, 2, "{env:?}: {r:?}");
        assert!(
            r.stderr.contains(message),
            "{env:?}: expected {message:?}: {r:?}"
        );
        assert!(
            !r.outputs.contains_key("exit-code"),
            "plumbline did not run: {r:?}"
        );
    }
    // In GitHub Actions, as an error annotation.
    let r = run_action(
        d,
        &[("INPUT_UPLOAD_SARIF", "yes"), ("GITHUB_ACTIONS", "true")],
    );
    assert!(
        r.stderr.contains("::error title=plumbline::upload-sarif"),
        "{r:?}"
    );
}

#[test]
fn verdict_fails_unless_plumbline_passed() {
    let d = tempfile::tempdir().unwrap();
    for (code, expected, message) in [
        ("0", 0, ""),
        ("1", 1, "found problems"),
        ("2", 2, "usage or configuration error"),
        ("3", 3, "the scan is incomplete"),
        ("", 1, "plumbline did not run"),
    ] {
        let r = run_script("run.sh", &["verdict"], d.path(), &[("EXIT_CODE", code)]);
        assert_eq!(r.code, expected, "EXIT_CODE={code:?}: {r:?}");
        assert!(r.stderr.contains(message), "EXIT_CODE={code:?}: {r:?}");
    }
}

// ---------------------------------------------------------------------------------------
// The example workflow that uses the Action

const ACTION_REF: &str = "plumbline-dev/plumbline@";

#[test]
fn action_example_runs_with_its_inputs() {
    let wf = parse_yaml(&root().join("examples/github-actions/plumbline.yml"));
    let a = action();
    let declared: BTreeSet<&str> = a["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let (dir, base) = repo_with_change();
    let d = dir.path();
    let mut jobs_run = 0;
    for (job_name, job) in wf["jobs"].as_object().expect("jobs") {
        for step in job["steps"].as_array().expect("steps") {
            let uses = step["uses"].as_str().unwrap_or("");
            if uses.is_empty() {
                continue;
            }
            if !uses.starts_with(ACTION_REF) {
                let rev = uses.split_once('@').map(|(_, r)| r).unwrap_or("");
                assert!(
                    rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
                    "{job_name}: {uses} is not pinned by a full commit SHA"
                );
                continue;
            }
            // Every input given is one the Action declares; the binary's version is pinned.
            let with = step["with"].as_object().expect("with");
            for key in with.keys() {
                assert!(
                    declared.contains(key.as_str()),
                    "{job_name}: unknown input {key}"
                );
            }
            let version = with["version"].as_str().expect("version");
            assert!(
                version.starts_with(|c: char| c.is_ascii_digit()),
                "{version}"
            );

            // Run it as the Action would, on a pull request for the gate.
            let pull_request = job["if"].as_str() == Some("github.event_name == 'pull_request'");
            let mut env: Vec<(String, String)> = with
                .iter()
                .map(|(k, v)| {
                    let v = v.as_str().expect("string input");
                    // An expression (the fork check) is true for this repository's own PRs.
                    let v = if v.starts_with("${{") { "true" } else { v };
                    (
                        format!("INPUT_{}", k.replace('-', "_").to_uppercase()),
                        v.to_string(),
                    )
                })
                .collect();
            if pull_request {
                env.push(("PULL_REQUEST_BASE_SHA".into(), base.clone()));
            }
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            std::fs::remove_file(d.join("plumbline.sarif")).ok();
            let r = run_action(d, &env);
            let (results, category) = sarif(&d.join(r.outputs["sarif-file"].as_str()));
            assert_eq!(
                category,
                format!("{}/", with["sarif-category"].as_str().unwrap())
            );
            if pull_request {
                assert_eq!(
                    r.code, 1,
                    "{job_name}: the gate fails on the new finding: {r:?}"
                );
                assert_eq!(files_of(&results), BTreeSet::from(["k8s/debug.yaml"]));
                let checkout = &job["steps"][0];
                assert!(checkout["uses"]
                    .as_str()
                    .unwrap()
                    .starts_with("actions/checkout@"));
                assert_eq!(
                    checkout["with"]["fetch-depth"], 0,
                    "the merge base must be fetched"
                );
            } else {
                assert_eq!(r.code, 0, "{job_name}: the full scan reports: {r:?}");
                assert_eq!(
                    files_of(&results),
                    BTreeSet::from(["k8s/debug.yaml", "k8s/legacy.yaml"])
                );
            }
            assert_eq!(
                job["permissions"]["security-events"], "write",
                "{job_name}: upload-sarif needs security-events: write"
            );
            jobs_run += 1;
        }
    }
    assert_eq!(
        jobs_run, 2,
        "the gate and the scheduled scan use the Action"
    );
}

// ---------------------------------------------------------------------------------------
// pre-commit

fn hooks() -> Vec<Value> {
    let v = parse_yaml(&root().join(".pre-commit-hooks.yaml"));
    v.as_array().expect("a list of hooks").clone()
}

#[test]
fn pre_commit_manifest_declares_both_hooks() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["plumbline", "plumbline-rust"]);
    assert_eq!(hooks[0]["language"], "system");
    assert_eq!(hooks[1]["language"], "rust");
    // The same command and files, whichever way plumbline was installed.
    assert_eq!(hooks[0]["entry"], hooks[1]["entry"]);
    assert_eq!(hooks[0]["files"], hooks[1]["files"]);
    let entry = hooks[0]["entry"].as_str().unwrap();
    assert!(
        entry.contains("exec plumbline scan . --worktree"),
        "staged files are on disk, not in HEAD: {entry}"
    );

    // `files` selects exactly what plumbline reads (Python and Rust regexes agree on this
    // syntax).
    let files = regex::Regex::new(hooks[0]["files"].as_str().unwrap()).unwrap();
    for name in [
        "k8s/app.yaml",
        "a/b.YML",
        "plan.json",
        "main.tf",
        "m/x.tf.json",
        "prod.tfvars",
        "p.tfvars.json",
        "Kustomization",
        "kustomize/Kustomization",
        "kustomization",
        "Dockerfile",
        "img/Dockerfile.prod",
        "dockerfile",
        "app.dockerfile",
        "Containerfile",
        "README.md",
        "src/main.rs",
        "Makefile",
        "x.yaml.bak",
    ] {
        assert_eq!(
            files.is_match(name),
            plumbline::source::Format::of_path(name).is_some(),
            "{name}: the hook's `files` and plumbline disagree"
        );
    }

    let pre_commit = pre_commit_or_fail();
    let out = Command::new(&pre_commit)
        .arg("validate-manifest")
        .arg(root().join(".pre-commit-hooks.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pre-commit validate-manifest: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `pre-commit` program; a test that needs it fails (never skips) without it.
fn pre_commit_or_fail() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("pre-commit"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "pre-commit is not on PATH: install it with `python3 -m pip install pre-commit` \
             (.ci/run does) to run the pre-commit hook tests"
        )
    })
}

/// A throwaway hook repository holding this checkout's .pre-commit-hooks.yaml, committed,
/// as `pre-commit try-repo` reads it.
fn hook_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        dir.path().join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    commit_all(dir.path(), "hooks");
    dir
}

/// `pre-commit try-repo HOOKS plumbline` in `work` (on the staged files), with this build's
/// plumbline first on PATH.
fn try_hook(hooks: &Path, work: &Path, bin: &Path) -> Run {
    let pre_commit = pre_commit_or_fail();
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut cmd = Command::new(pre_commit);
    cmd.args(["try-repo", "--color", "never", "--verbose"])
        .arg(hooks)
        .arg("plumbline")
        .current_dir(work)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", bin.join("pre-commit-home"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (var, _) in std::env::vars() {
        if var.starts_with("GIT_") && var != "GIT_CONFIG_NOSYSTEM" {
            cmd.env_remove(var);
        }
    }
    let out = cmd.output().expect("run pre-commit");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const CLEAN_POD: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
    - ports:
        - port: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: web
      image: registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000
      ports:
        - containerPort: 8080
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {cpu: 500m, memory: 128Mi}
      livenessProbe:
        httpGet: {path: /healthz, port: 8080}
      readinessProbe:
        httpGet: {path: /ready, port: 8080}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: [ALL]
";

#[test]
fn pre_commit_hook_checks_the_staged_files() {
    let hooks = hook_repo();
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_plumbline"),
        bin.path().join("plumbline"),
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    git(w, &["init", "-q"]);
    // The clean manifest is clean to plumbline itself (else the test below proves nothing).
    write(w, "k8s/web.yaml", CLEAN_POD);
    let direct = plumbline(w, &["scan", ".", "--worktree", "-f", "json"]);
    assert_eq!(direct.code, 0, "{}{}", direct.stdout, direct.stderr);
    commit_all(w, "clean");

    // A staged bad manifest, with glob characters in its name: the hook fails and names
    // the finding and the file.
    write(w, "k8s/debug [v2].yaml", BAD_POD);
    git(w, &["add", "k8s/debug [v2].yaml"]);
    let r = try_hook(hooks.path(), w, bin.path());
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 1, "{all}");
    assert!(all.contains("PL-K8S-0003"), "names the finding: {all}");
    assert!(all.contains("k8s/debug [v2].yaml"), "names the file: {all}");
    assert!(all.contains("Failed"), "{all}");
    git(w, &["rm", "-q", "--cached", "k8s/debug [v2].yaml"]);
    std::fs::remove_file(w.join("k8s/debug [v2].yaml")).unwrap();

    // A staged clean change passes, although the same file on disk has an unstaged bad
    // change (pre-commit sets it aside: the scan reads the staged content), and an
    // untracked bad manifest lies beside it (not being committed, not scanned).
    write(
        w,
        "k8s/web.yaml",
        &CLEAN_POD.replace("name: web\n  namespace", "name: web2\n  namespace"),
    );
    git(w, &["add", "k8s/web.yaml"]);
    write(w, "k8s/web.yaml", BAD_POD);
    write(w, "k8s/untracked.yaml", BAD_POD);
    let r = try_hook(hooks.path(), w, bin.path());
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 0, "{all}");
    assert!(all.contains("Passed"), "{all}");
    assert!(!all.contains("PL-K8S-0003"), "{all}");
    assert_eq!(
        read(&w.join("k8s/web.yaml")),
        BAD_POD,
        "the unstaged change is put back"
    );
    std::fs::remove_file(w.join("k8s/untracked.yaml")).unwrap();
    write(
        w,
        "k8s/web.yaml",
        &CLEAN_POD.replace("name: web\n  namespace", "name: web2\n  namespace"),
    );
    commit_all(w, "web2");

    // Terraform is read per module, and modules call each other: a staged main.tf is
    // scanned with its committed variables, so the finding its variable causes is seen
    // and the scan is complete.
    write(
        w,
        "infra/variables.tf",
        "variable \"acl\" {\n  default = \"public-read\"\n}\n",
    );
    commit_all(w, "variables");
    write(
        w,
        "infra/main.tf",
        "resource \"aws_s3_bucket_acl\" \"b\" {\n  bucket = \"logs\"\n  acl    = var.acl\n}\n",
    );
    git(w, &["add", "infra/main.tf"]);
    let r = try_hook(hooks.path(), w, bin.path());
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 1, "{all}");
    assert!(
        all.contains("PL-AWS-0003"),
        "the public ACL from variables.tf: {all}"
    );
    assert!(!all.contains("incomplete"), "{all}");
}
