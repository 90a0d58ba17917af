//! The hostile-input suite: a generated tree of nasty files across every format, scanned as a
//! worktree and as a Git revision, in every output format. Whatever the files do, the scan
//! does not crash, names each bad file, still finds the good file's problem, reads and writes
//! nothing outside the tree, and never shows a planted canary (an environment variable of
//! the job, a file outside the tree) in any output. Time and memory are measured by
//! `bench/hostile.py`, not asserted here.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ENV_CANARY: &str = "CANARY-ENV-7f3a9c";
const FILE_CANARY: &str = "CANARY-FILE-51d2e8";

/// A scan of `dir` with the canary in the environment; `HOME` points at the outside
/// directory so that nothing of the real user's is reachable either.
fn run(dir: &Path, home: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("PLUMBLINE_TEST_SECRET", ENV_CANARY)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run plumbline");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `root` (not following links) with its size, for "nothing was written".
fn listing(root: &Path) -> BTreeMap<PathBuf, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p, meta.len());
        }
    }
    out
}

/// The files of the hostile tree: (path, bytes, part of the listing a revision holds).
fn hostile_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |p: &str, b: Vec<u8>| files.push((p.to_string(), b));

    // YAML: an alias bomb, deep nesting, a NUL byte, UTF-16 without a BOM, nested Lists, a
    // name full of terminal control sequences.
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!(
            "{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
            (b'a' + i as u8) as char,
            (b'a' + i as u8) as char,
            p = (b'a' + i as u8 - 1) as char
        ));
    }
    add("yaml/bomb.yaml", bomb.into_bytes());
    add(
        "yaml/deep.yaml",
        format!("{}x{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
    );
    add(
        "yaml/nul.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\x00b\n".to_vec(),
    );
    let utf16: Vec<u8> = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u16\n"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    add("yaml/utf16.yaml", utf16);
    add(
        "yaml/ansi.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"evil\\e[2K\\rPASS no findings\\e]52;c;Y2FuYXJ5\\a\"\nspec:\n  containers:\n  - name: \"c\\e[31m\"\n    image: nginx\n    securityContext:\n      privileged: true\n"
            .to_vec(),
    );

    // Terraform: a value doubled 40 times, a huge count, a for_each over a huge range,
    // locals that refer to each other.
    let mut tf = String::from("locals {\n  s0 = \"xxxxxxxxxxxxxxxx\"\n  l0 = [1, 2]\n");
    for i in 1..=40 {
        tf.push_str(&format!(
            "  s{i} = \"${{local.s{p}}}${{local.s{p}}}\"\n  l{i} = concat(local.l{p}, local.l{p})\n",
            p = i - 1
        ));
    }
    tf.push_str("  a = local.b\n  b = local.a\n}\n");
    tf.push_str(
        "resource \"aws_s3_bucket\" \"many\" {\n  count  = 100000000\n  bucket = \"b-${count.index}\"\n}\n\
         resource \"aws_s3_bucket\" \"each\" {\n  for_each = toset([for i in range(1000000) : tostring(i)])\n  bucket   = each.key\n}\n\
         resource \"aws_s3_bucket\" \"cyc\" {\n  bucket = local.a\n}\n",
    );
    add("tf/bomb/main.tf", tf.into_bytes());

    // CloudFormation: a mapping lookup that refers to itself, and conditions in a cycle.
    add(
        "cfn/recursive.yaml",
        b"AWSTemplateFormatVersion: '2010-09-09'\nMappings:\n  M:\n    k:\n      v: x\nConditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Condition: A\n    Properties:\n      BucketName: !FindInMap [M, !FindInMap [M, !FindInMap [M, k, v], v], v]\n"
            .to_vec(),
    );

    // Kustomize: a diamond, each level including the one below twice (2^19 objects at the
    // top, over the render budget).
    add(
        "kust/l0/kustomization.yaml",
        b"resources: [cm.yaml]\n".to_vec(),
    );
    add(
        "kust/l0/cm.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n".to_vec(),
    );
    for i in 1..=20 {
        for side in ["a", "b"] {
            add(
                &format!("kust/l{i}{side}/kustomization.yaml"),
                format!(
                    "resources: [../l{p}a, ../l{p}b]\nnamePrefix: {side}-\n",
                    p = if i == 1 {
                        "0".to_string()
                    } else {
                        (i - 1).to_string()
                    }
                )
                .replace("../l0a, ../l0b", "../l0")
                .into_bytes(),
            );
        }
    }

    // A Dockerfile of garbage, and a waiver file that is not YAML.
    add(
        "docker/Dockerfile",
        b"FROM \x1b[2Kalpine\nRUN \\\n\\\n\\\nUSER \"\nHEALTHCHECK --interval=\xff\n".to_vec(),
    );
    files
}

/// Writes the tree, the good file and the outside canary; returns (repo, outside).
fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let repo = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "canary.yaml",
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {FILE_CANARY}\n"),
    );
    write(
        outside.path(),
        ".kube/config",
        &format!("# {FILE_CANARY}\n"),
    );
    write(repo.path(), "good/deploy.yaml", PRIV_DEPLOYMENT);
    write(repo.path(), "pol/priv.rego", PRIV_POLICY);
    for (p, bytes) in hostile_files() {
        let full = repo.path().join(&p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(
            outside.path().join("canary.yaml"),
            repo.path().join("links/out.yaml"),
        )
        .or_else(|_| {
            std::fs::create_dir_all(repo.path().join("links")).unwrap();
            symlink(
                outside.path().join("canary.yaml"),
                repo.path().join("links/out.yaml"),
            )
        })
        .unwrap();
        symlink(outside.path(), repo.path().join("links/outdir")).unwrap();
        symlink("loop-b.yaml", repo.path().join("links/loop-a.yaml")).unwrap();
        symlink("loop-a.yaml", repo.path().join("links/loop-b.yaml")).unwrap();
    }
    (repo, outside)
}

fn assert_clean_outputs(run: &Run, what: &str) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(ENV_CANARY),
            "{what}: the environment canary is in {name}"
        );
        assert!(
            !text.contains(FILE_CANARY),
            "{what}: the outside file's canary is in {name}"
        );
        for (c, label) in [('\u{1b}', "ESC"), ('\u{7}', "BEL"), ('\u{202e}', "RLO")] {
            assert!(!text.contains(c), "{what}: a raw {label} in {name}");
        }
    }
    assert!(
        run.code == 1 || run.code == 3,
        "{what}: exit {} (a crash or a usage error):\n{}",
        run.code,
        run.stderr
    );
}

#[test]
fn a_hostile_tree_is_scanned_whole_and_safely() {
    let (repo, outside) = setup();
    let before_outside = listing(outside.path());
    let before_repo = listing(repo.path());
    let base = ["scan", ".", "--worktree", "--no-builtin", "--policy", "pol"];

    let mut args = base.to_vec();
    args.extend(["-f", "json"]);
    let r = run(repo.path(), outside.path(), &args);
    assert_clean_outputs(&r, "json");
    assert_eq!(r.code, 3, "the scan is incomplete: {}", r.stderr);
    let report = r.json();
    assert!(
        locations(&report)
            .iter()
            .any(|(f, l, _, rule)| f == "good/deploy.yaml" && *l == 13 && rule == "TEST-PRIV"),
        "the good file's finding is missing: {:?}",
        locations(&report)
    );
    let noted: Vec<String> = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["file"].as_str().map(str::to_string))
        .collect();
    for bad in [
        "yaml/bomb.yaml",
        "yaml/deep.yaml",
        "yaml/nul.yaml",
        "tf/bomb/main.tf",
        "cfn/recursive.yaml",
        "links/out.yaml",
        "links/outdir",
        "links/loop-a.yaml",
    ] {
        assert!(
            noted.iter().any(|f| f.starts_with(bad)),
            "{bad} is not named by any notification: {noted:?}"
        );
    }
    assert!(
        noted.iter().any(|f| f.starts_with("kust/")),
        "the Kustomize diamond is not reported: {noted:?}"
    );

    // The other formats (the diamond, slow by design, is left out of these runs).
    for format in ["text", "sarif", "markdown", "gitlab-sast", "codeclimate"] {
        let mut args = base.to_vec();
        args.extend(["-f", format, "--exclude", "kust/**"]);
        let r = run(repo.path(), outside.path(), &args);
        assert_clean_outputs(&r, format);
    }
    assert_eq!(
        listing(outside.path()),
        before_outside,
        "something outside changed"
    );
    assert_eq!(
        listing(repo.path()),
        before_repo,
        "something in the tree changed"
    );
}

#[test]
fn a_hostile_revision_is_scanned_whole_and_safely() {
    let (repo, outside) = setup();
    git(repo.path(), &["init", "-q"]);
    commit_all(repo.path(), "hostile");
    let r = run(
        repo.path(),
        outside.path(),
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "pol",
            "-f",
            "json",
            "--exclude",
            "kust/**",
        ],
    );
    assert_clean_outputs(&r, "revision json");
    assert_eq!(r.code, 3, "{}", r.stderr);
    let report = r.json();
    assert!(locations(&report)
        .iter()
        .any(|(f, _, _, rule)| f == "good/deploy.yaml" && rule == "TEST-PRIV"));
    let noted: Vec<String> = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["file"].as_str().map(str::to_string))
        .collect();
    for bad in [
        "links/out.yaml",
        "links/outdir",
        "links/loop-a.yaml",
        "tf/bomb/main.tf",
    ] {
        assert!(
            noted.iter().any(|f| f.starts_with(bad)),
            "{bad} is not named by any notification: {noted:?}"
        );
    }
}

/// What a repository's `.plumbline.yaml` may not do: each attempt is refused with an error
/// naming the key, before anything is read, run or written.
#[test]
fn repository_configuration_has_no_authority() {
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("ran");
    write(outside.path(), "secret.txt", &format!("{FILE_CANARY}\n"));
    let attacks = [
        // A cluster whose kubeconfig user runs a command.
        "clusters: [evil]\nkubeconfig: kc.yaml\n".to_string(),
        // Any file as a bearer token to a server of the repository's choosing.
        "kubeconfig: kc-token.yaml\nclusters: [evil]\n".to_string(),
        // The job's environment through a policy parse error.
        "policy: [/proc/self/environ]\n".to_string(),
        format!(
            "policy: [{}]\n",
            outside.path().join("secret.txt").display()
        ),
        // A report written outside the tree.
        format!("output: {}\n", outside.path().join("pwned.sarif").display()),
        "output: ../../pwned.sarif\n".to_string(),
        // Reading a device until memory runs out.
        "var_files: [/dev/zero]\n".to_string(),
        // Hiding findings by moving the gate.
        "base: HEAD\n".to_string(),
        "rev: HEAD~1\n".to_string(),
        "max_file_size: 100G\n".to_string(),
        "aws_endpoint_url: http://127.0.0.1:9\ntfstate: [s3://b/k]\n".to_string(),
    ];
    for attack in attacks {
        let repo = tempfile::tempdir().unwrap();
        write(repo.path(), "good/deploy.yaml", PRIV_DEPLOYMENT);
        write(
            repo.path(),
            "kc.yaml",
            &format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: evil\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: evil\n  context: {{cluster: c, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [-c, 'touch {}']\n",
                marker.display()
            ),
        );
        write(
            repo.path(),
            "kc-token.yaml",
            &format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: evil\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: evil\n  context: {{cluster: c, user: u}}\nusers:\n- name: u\n  user:\n    tokenFile: {}\n",
                outside.path().join("secret.txt").display()
            ),
        );
        write(repo.path(), ".plumbline.yaml", &attack);
        let before = listing(outside.path());
        let r = run(
            repo.path(),
            outside.path(),
            &["scan", ".", "--worktree", "-f", "json"],
        );
        assert_eq!(
            r.code, 2,
            "{attack}: refused as a usage error: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(".plumbline.yaml:1"),
            "{attack}: the error names the file and line: {}",
            r.stderr
        );
        assert!(!marker.exists(), "{attack}: a command ran");
        assert!(!r.stderr.contains(ENV_CANARY) && !r.stdout.contains(ENV_CANARY));
        assert!(!r.stderr.contains(FILE_CANARY) && !r.stdout.contains(FILE_CANARY));
        assert_eq!(listing(outside.path()), before, "{attack}: wrote outside");
        assert!(!repo.path().join("../../pwned.sarif").exists());
    }
}

/// The operator may still do all of it, from the command line or `--config`.
#[test]
fn the_operator_config_keeps_its_keys() {
    let repo = tempfile::tempdir().unwrap();
    let op = tempfile::tempdir().unwrap();
    write(repo.path(), "good/deploy.yaml", PRIV_DEPLOYMENT);
    let out = op.path().join("report.json");
    write(
        op.path(),
        "ops.yaml",
        &format!("output: {}\nformat: json\n", out.display()),
    );
    let r = run(
        repo.path(),
        op.path(),
        &[
            "scan",
            ".",
            "--worktree",
            "--config",
            op.path().join("ops.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(!report["findings"].as_array().unwrap().is_empty());
}

/// Files named on the command line and standard input are read within a limit.
#[cfg(unix)]
#[test]
fn command_line_files_and_stdin_are_bounded() {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "good/deploy.yaml", PRIV_DEPLOYMENT);
    for flag in ["--waivers", "--baseline", "--live-snapshot", "--config"] {
        let r = run(
            repo.path(),
            repo.path(),
            &["scan", ".", "--worktree", flag, "/dev/zero", "-f", "json"],
        );
        assert_eq!(r.code, 2, "{flag} /dev/zero: {}", r.stderr);
        assert!(
            r.stderr.contains("more than"),
            "{flag}: says the limit: {}",
            r.stderr
        );
    }
    // Standard input from /dev/zero.
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["scan", "-", "--max-file-size", "1M", "-f", "json"])
        .current_dir(repo.path())
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than 1 MiB"));
}

/// `-o /dev/stdout` (a link to the job's stdout) writes through it.
#[cfg(target_os = "linux")]
#[test]
fn output_to_dev_stdout_writes_through() {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "good/deploy.yaml", PRIV_DEPLOYMENT);
    let captured = repo.path().join("captured.json");
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            "good",
            "--worktree",
            "-f",
            "json",
            "-o",
            "/dev/stdout",
        ])
        .current_dir(repo.path())
        .stdout(std::fs::File::create(&captured).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&captured).unwrap()).unwrap();
    assert!(!report["findings"].as_array().unwrap().is_empty());
    assert!(std::fs::symlink_metadata("/dev/stdout")
        .unwrap()
        .file_type()
        .is_symlink());
}
