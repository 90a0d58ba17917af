//! Terraform modules from outside the scanned tree, end to end: what `terraform init` left in
//! `.terraform/modules` (as a working tree with `.terraform` ignored, and committed at a
//! revision), the warning for each call nothing holds, and `--download-modules` against a
//! module registry served on 127.0.0.1 (version selection, both download location forms,
//! subdirectories, the cache that spares a second run every request, the time limit).
//! Findings inside such a module are at the calling `module` block, with the module's own
//! file and line as a related location.

mod common;
use common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terraform/modules-installed")
}

/// Runs plumbline in `dir` with plain HTTP allowed to loopback addresses (the test registry).
fn run(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("PLUMBLINE_MODULES_LOOPBACK_HTTP", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run plumbline");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// The PL-AWS-0003 findings (public ACL) as (address, file, line, related file, related line).
fn acl_findings(report: &Value) -> Vec<(String, String, u64, String, u64)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-AWS-0003")
        .map(|f| {
            let related = &f["related"][0];
            (
                f["subject"]["address"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                related["file"].as_str().unwrap_or("").to_string(),
                related["startLine"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

fn notes_with_code<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == code)
        .collect()
}

/// What the fixture's installed modules give: every finding at its call in main.tf (vpc at
/// line 4, net at line 11), the module's own file and line related.
fn expected_installed(prefix: &str) -> Vec<(String, String, u64, String, u64)> {
    let m = |p: &str| format!("{prefix}.terraform/modules/{p}");
    let main = format!("{prefix}main.tf");
    let mut v = vec![
        (
            "module.net.aws_s3_bucket_acl.net".to_string(),
            main.clone(),
            11,
            m("net/main.tf"),
            3,
        ),
        (
            "module.vpc.aws_s3_bucket_acl.logs".to_string(),
            main.clone(),
            4,
            m("vpc/main.tf"),
            8,
        ),
        (
            "module.vpc.module.flow.aws_s3_bucket_acl.flow".to_string(),
            main.clone(),
            4,
            m("vpc.flow/main.tf"),
            3,
        ),
        (
            "module.vpc.module.subnets.aws_s3_bucket_acl.subnets".to_string(),
            main,
            4,
            m("vpc/modules/subnets/main.tf"),
            3,
        ),
    ];
    v.sort();
    v
}

#[test]
fn installed_modules_are_scanned_at_their_calls() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    // As in a real repository: `.terraform` is ignored, so the listing leaves it out and the
    // installed modules are read through modules.json.
    write(dir.path(), ".gitignore", ".terraform/\n");
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "json"]);
    let report = r.json();
    assert_eq!(
        acl_findings(&report),
        expected_installed(""),
        "{}",
        r.stdout
    );
    // The call added after `terraform init` is a warning naming it, where it is, its source
    // and what to do.
    let missing = notes_with_code(&report, "terraform-module-not-loaded");
    assert_eq!(missing.len(), 1, "{:#?}", report["notifications"]);
    let n = missing[0];
    assert_eq!(n["level"], "warning");
    assert_eq!(n["file"], "main.tf");
    assert_eq!(n["position"]["line"], 16);
    let msg = n["message"].as_str().unwrap();
    for part in [
        "main.tf:16",
        "module.eks",
        "terraform-aws-modules/eks/aws",
        "terraform init",
        "--download-modules",
    ] {
        assert!(msg.contains(part), "{part:?} not in {msg}");
    }
    // Installed files are not roots of their own: each resource once.
    let addresses: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["subject"]["address"].as_str())
        .filter(|a| !a.starts_with("module."))
        .collect();
    assert!(addresses.is_empty(), "{addresses:?}");
}

#[test]
fn sarif_has_the_call_as_location_and_the_module_line_as_related_location() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "sarif"]);
    let sarif = r.json();
    let run0 = &sarif["runs"][0];
    let result = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("module.vpc.module.subnets")
        })
        .expect("a result for the nested module");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "main.tf");
    assert_eq!(loc["region"]["startLine"], 4);
    let related = &result["relatedLocations"][0]["physicalLocation"];
    assert_eq!(
        related["artifactLocation"]["uri"],
        ".terraform/modules/vpc/modules/subnets/main.tf"
    );
    assert_eq!(related["region"]["startLine"], 3);
    // The warning is a tool execution notification of the run.
    let notes = run0["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["descriptor"]["id"] == "terraform-module-not-loaded"
                && n["level"] == "warning"),
        "{notes:#?}"
    );
}

#[test]
fn installed_modules_committed_at_a_revision_are_used() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), &dir.path().join("infra"));
    git(dir.path(), &["init", "-q"]);
    commit_all(dir.path(), "infra with its installed modules");
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    let report = r.json();
    assert_eq!(
        acl_findings(&report),
        expected_installed("infra/"),
        "{}",
        r.stdout
    );
    // What `.terraform` holds is loaded through the root only: modules.json is not a
    // document of its own, and each installed resource is one document.
    assert_eq!(report["summary"]["documents"], 4, "{}", r.stdout);
}

#[test]
fn an_unreadable_modules_json_is_reported_and_the_calls_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    write(
        dir.path(),
        ".terraform/modules/modules.json",
        "{\"Modules\": [\n  {\"Key\": ",
    );
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "json"]);
    let report = r.json();
    let bad = notes_with_code(&report, "terraform-modules-manifest");
    assert_eq!(bad.len(), 1, "{:#?}", report["notifications"]);
    let msg = bad[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(".terraform/modules/modules.json:2:") && msg.contains("terraform init"),
        "{msg}"
    );
    assert!(acl_findings(&report).is_empty());
    assert_eq!(
        notes_with_code(&report, "terraform-module-not-loaded").len(),
        3
    );
}

#[test]
fn without_installed_modules_every_remote_call_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture().join("main.tf"), dir.path().join("main.tf")).unwrap();
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "json"]);
    let report = r.json();
    assert!(acl_findings(&report).is_empty());
    let missing = notes_with_code(&report, "terraform-module-not-loaded");
    let mut calls: Vec<(u64, String)> = missing
        .iter()
        .map(|n| {
            let msg = n["message"].as_str().unwrap();
            let call = msg.split_whitespace().nth(1).unwrap().to_string();
            (n["position"]["line"].as_u64().unwrap(), call)
        })
        .collect();
    calls.sort();
    assert_eq!(
        calls,
        [
            (4, "module.vpc".to_string()),
            (11, "module.net".to_string()),
            (16, "module.eks".to_string())
        ]
    );
    // Counted in the summary.
    assert_eq!(
        report["summary"]["notifications"].as_u64().unwrap() as usize,
        report["notifications"].as_array().unwrap().len()
    );
    assert!(report["summary"]["notifications"].as_u64().unwrap() >= 3);
}

#[test]
fn a_stale_installed_module_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    let main = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    // The constraint no longer admits what was installed (5.1.2).
    write(
        dir.path(),
        "main.tf",
        &main.replace("version = \"~> 5.0\"", "version = \">= 6.0\""),
    );
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "json"]);
    let report = r.json();
    let found = acl_findings(&report);
    assert!(
        found.iter().all(|f| !f.0.starts_with("module.vpc")),
        "{found:?}"
    );
    let msgs: Vec<&str> = notes_with_code(&report, "terraform-module-not-loaded")
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("module.vpc") && m.contains("5.1.2") && m.contains(">= 6.0")),
        "{msgs:#?}"
    );
}

// ---- A module registry on 127.0.0.1 ----

type Handler = dyn Fn(&str) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + Sync;

/// A small HTTP/1.1 server: each request's path is recorded and answered by `handler`.
struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    /// The request heads, as received.
    heads: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(handler: Box<Handler>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let seen_heads = Arc::clone(&heads);
        let handler: Arc<Handler> = Arc::from(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (seen, handler) = (Arc::clone(&seen), Arc::clone(&handler));
                let seen_heads = Arc::clone(&seen_heads);
                std::thread::spawn(move || serve(stream, &seen, &seen_heads, &*handler));
            }
        });
        Self {
            port,
            requests,
            heads,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    seen: &Mutex<Vec<String>>,
    heads: &Mutex<Vec<String>>,
    handler: &Handler,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    heads.lock().unwrap().push(head.to_string());
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    seen.lock().unwrap().push(path.clone());
    let (status, headers, body) = handler(&path);
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(&body);
}

fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, text.as_bytes()).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&b.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// A registry with acme/bucket/aws in five versions; 1.2.0 answers with an X-Terraform-Get
/// header, 1.0.0 with a JSON location.
fn registry() -> Server {
    let v120 = tar_gz(&[
        (
            "main.tf",
            // file() reads the package's own files through path.module.
            "resource \"aws_s3_bucket_acl\" \"this\" {\n  bucket = \"b\"\n  acl    = trimspace(file(\"${path.module}/acl.txt\"))\n}\n\nmodule \"inner\" {\n  source = \"./modules/extra\"\n}\n",
        ),
        ("acl.txt", "public-read\n"),
        (
            "modules/extra/main.tf",
            "resource \"aws_s3_bucket_acl\" \"extra\" {\n  bucket = \"e\"\n  acl    = \"public-read-write\"\n}\n",
        ),
    ]);
    let v100 = tar_gz(&[(
        "modules/extra/main.tf",
        "# 1.0.0\nresource \"aws_s3_bucket_acl\" \"extra\" {\n  bucket = \"old\"\n  acl    = \"authenticated-read\"\n}\n",
    )]);
    Server::start(Box::new(move |path| {
        let json = |v: &str| {
            (
                200,
                vec![("content-type".into(), "application/json".into())],
                v.as_bytes().to_vec(),
            )
        };
        match path {
            "/.well-known/terraform.json" => json(r#"{"modules.v1": "/api/modules/v1/"}"#),
            "/api/modules/v1/acme/bucket/aws/versions" => json(
                r#"{"modules":[{"versions":[{"version":"1.0.0"},{"version":"1.1.0"},{"version":"1.2.0"},{"version":"1.3.0-beta.1"},{"version":"2.0.0"}]}]}"#,
            ),
            "/api/modules/v1/acme/bucket/aws/1.2.0/download" => (
                204,
                vec![(
                    "x-terraform-get".into(),
                    "/archives/bucket-1.2.0?archive=tar.gz".into(),
                )],
                Vec::new(),
            ),
            "/api/modules/v1/acme/bucket/aws/1.0.0/download" => {
                json(r#"{"location": "../../../../../../../archives/bucket-1.0.0.tar.gz"}"#)
            }
            "/archives/bucket-1.2.0" => (200, Vec::new(), v120.clone()),
            "/archives/bucket-1.0.0.tar.gz" => (200, Vec::new(), v100.clone()),
            _ => (404, Vec::new(), b"not found".to_vec()),
        }
    }))
}

fn registry_root(dir: &Path, port: u16) -> String {
    let main = format!(
        "module \"bucket\" {{\n  source  = \"127.0.0.1:{port}/acme/bucket/aws\"\n  version = \"~> 1.1\"\n}}\n\nmodule \"extra\" {{\n  source  = \"127.0.0.1:{port}/acme/bucket/aws//modules/extra\"\n  version = \"1.0.0\"\n}}\n"
    );
    write(dir, "main.tf", &main);
    main
}

#[test]
fn registry_modules_are_downloaded_once_and_cached() {
    let server = registry();
    let port = server.port;
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    registry_root(dir.path(), port);
    // Without the flag: no request at all, and a warning per call.
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "json"]);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_eq!(
        notes_with_code(&r.json(), "terraform-module-not-loaded").len(),
        2
    );

    let cache_arg = cache.path().to_str().unwrap();
    let args = [
        "scan",
        ".",
        "--worktree",
        "-f",
        "json",
        "--download-modules",
        "--module-cache",
        cache_arg,
    ];
    let r = run(dir.path(), &args);
    let report = r.json();
    let pkg = |v: &str, f: &str| format!("127.0.0.1:{port}/acme/bucket/aws@{v}/{f}");
    let expected = vec![
        (
            "module.bucket.aws_s3_bucket_acl.this".to_string(),
            "main.tf".to_string(),
            1,
            pkg("1.2.0", "main.tf"),
            3,
        ),
        (
            "module.bucket.module.inner.aws_s3_bucket_acl.extra".to_string(),
            "main.tf".to_string(),
            1,
            pkg("1.2.0", "modules/extra/main.tf"),
            3,
        ),
        (
            "module.extra.aws_s3_bucket_acl.extra".to_string(),
            "main.tf".to_string(),
            6,
            pkg("1.0.0", "modules/extra/main.tf"),
            4,
        ),
    ];
    assert_eq!(
        acl_findings(&report),
        expected,
        "{:#?}",
        report["notifications"]
    );
    // The newest version `~> 1.1` selects is 1.2.0: not 2.0.0, not the 1.3.0 prerelease.
    let requests = server.requests();
    assert!(requests.contains(&"/api/modules/v1/acme/bucket/aws/1.2.0/download".to_string()));
    assert!(
        requests
            .iter()
            .all(|p| !p.contains("2.0.0") && !p.contains("1.3.0")),
        "{requests:?}"
    );
    // `?archive=` tells what the download is; it is not sent.
    assert!(
        requests.contains(&"/archives/bucket-1.2.0".to_string()),
        "{requests:?}"
    );
    let made = requests.len();

    // A second scan reuses the cache: no request, the same findings.
    let again = run(dir.path(), &args);
    assert_eq!(server.requests().len(), made, "{:?}", server.requests());
    assert_eq!(acl_findings(&again.json()), expected);
    assert_eq!(again.stdout, r.stdout, "the report is deterministic");
}

#[test]
fn a_download_that_does_not_answer_stops_at_the_time_limit() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!("module \"slow\" {{\n  source = \"127.0.0.1:{port}/acme/slow/aws\"\n}}\n\nresource \"aws_s3_bucket_acl\" \"own\" {{\n  bucket = \"x\"\n  acl    = \"public-read\"\n}}\n"),
    );
    let started = Instant::now();
    let r = run(
        dir.path(),
        &[
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--download-modules",
            "--module-cache",
            cache.path().to_str().unwrap(),
            "--module-timeout",
            "1",
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let report = r.json();
    let notes = notes_with_code(&report, "terraform-module-download");
    assert_eq!(notes.len(), 1, "{:#?}", report["notifications"]);
    let msg = notes[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("module.slow") && msg.contains("time limit"),
        "{msg}"
    );
    // A download that failed leaves the scan incomplete: an error, exit 3.
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(r.code, 3, "{}", r.stderr);
    // The rest of the scan went on.
    assert_eq!(acl_findings(&report).len(), 1);
}

#[test]
fn an_inline_waiver_at_the_module_block_waives_what_the_module_declares() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    let main = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    write(
        dir.path(),
        "main.tf",
        &main.replace(
            "module \"net\" {",
            "# plumbline:ignore PL-AWS-0003 reason=\"vendor module, fixed upstream\"\nmodule \"net\" {",
        ),
    );
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "json"]);
    let report = r.json();
    let waived: Vec<(&str, usize)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-AWS-0003")
        .map(|f| {
            (
                f["subject"]["address"].as_str().unwrap(),
                f["suppressions"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert!(
        waived.contains(&("module.net.aws_s3_bucket_acl.net", 1)),
        "{waived:?}"
    );
    assert!(
        waived.contains(&("module.vpc.aws_s3_bucket_acl.logs", 0)),
        "{waived:?}"
    );
}

#[test]
fn github_sources_are_downloaded_as_the_archive_of_their_ref() {
    // GitHub's archive of a ref holds one top directory, which is not part of the module.
    let archive = tar_gz(&[
        ("net-1.0.0/README.md", "net\n"),
        (
            "net-1.0.0/modules/acl/main.tf",
            "resource \"aws_s3_bucket_acl\" \"gh\" {\n  bucket = \"gh\"\n  acl    = \"public-read\"\n}\n",
        ),
    ]);
    let server = Server::start(Box::new(move |path| match path {
        "/acme/net/tar.gz/v1.0.0" => (200, Vec::new(), archive.clone()),
        _ => (404, Vec::new(), Vec::new()),
    }));
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "module \"gh\" {\n  source = \"github.com/acme/net//modules/acl?ref=v1.0.0\"\n}\n\nmodule \"other\" {\n  source = \"git::https://git.example.com/acme/net.git?ref=v1.0.0\"\n}\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--download-modules",
            "--module-cache",
            cache.path().to_str().unwrap(),
        ])
        .current_dir(dir.path())
        .env("PLUMBLINE_MODULES_LOOPBACK_HTTP", "1")
        .env(
            "PLUMBLINE_MODULES_GITHUB_ARCHIVES",
            format!("http://127.0.0.1:{}", server.port),
        )
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        acl_findings(&report),
        [(
            "module.gh.aws_s3_bucket_acl.gh".to_string(),
            "main.tf".to_string(),
            1,
            "github.com/acme/net@v1.0.0/modules/acl/main.tf".to_string(),
            3
        )],
        "{:#?}",
        report["notifications"]
    );
    assert_eq!(server.requests(), ["/acme/net/tar.gz/v1.0.0"]);
    // A Git host other than GitHub is not downloaded: said, with what to do.
    let other = notes_with_code(&report, "terraform-module-download");
    assert_eq!(other.len(), 1, "{:#?}", report["notifications"]);
    let msg = other[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("module.other") && msg.contains("terraform init"),
        "{msg}"
    );
    // Deliberately not downloaded: a warning.
    assert_eq!(other[0]["level"], "warning");
}

#[test]
fn calls_that_cannot_be_followed_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    // The installed directory of one call is gone; another call's source is not known.
    std::fs::remove_file(dir.path().join(".terraform/modules/net/main.tf")).unwrap();
    let main = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!("{main}\nvariable \"src\" {{}}\n\nmodule \"dyn\" {{\n  source = var.src\n}}\n"),
    );
    let r = run(dir.path(), &["scan", ".", "--worktree", "-f", "json"]);
    let report = r.json();
    let msgs: Vec<&str> = notes_with_code(&report, "terraform-module-not-loaded")
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter().any(|m| m.starts_with("main.tf:11: module.net")
            && m.contains(".terraform/modules/net")
            && m.contains("terraform init")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("main.tf:23: module.dyn") && m.contains("literal")),
        "{msgs:#?}"
    );
}

#[test]
fn downloads_go_through_the_https_proxy_the_environment_names() {
    // A proxy that refuses every tunnel, recording what it was asked for.
    let proxy = Server::start(Box::new(|_| (403, Vec::new(), Vec::new())));
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "module \"m\" {\n  source = \"registry.example.com/acme/m/aws\"\n}\n",
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "no_proxy",
        "https_proxy",
    ] {
        cmd.env_remove(v);
    }
    let out = cmd
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--download-modules",
            "--module-cache",
            cache.path().to_str().unwrap(),
            "--module-timeout",
            "10",
        ])
        .current_dir(dir.path())
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .env("NO_PROXY", "")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(proxy.requests(), ["registry.example.com:443"]);
    let notes = notes_with_code(&report, "terraform-module-download");
    assert_eq!(notes.len(), 1, "{:#?}", report["notifications"]);
    assert_eq!(notes[0]["level"], "error");
}

#[test]
fn a_registry_token_goes_to_its_host_only() {
    let port_cell = Arc::new(Mutex::new(0u16));
    let port_in = Arc::clone(&port_cell);
    let archive = tar_gz(&[("main.tf", "# empty\n")]);
    let server = Server::start(Box::new(move |path| {
        let port = *port_in.lock().unwrap();
        let json = |v: String| (200, Vec::new(), v.into_bytes());
        match path {
            "/.well-known/terraform.json" => json(r#"{"modules.v1": "/v1/"}"#.to_string()),
            "/v1/acme/a/aws/versions" => {
                json(r#"{"modules":[{"versions":[{"version":"1.0.0"}]}]}"#.to_string())
            }
            "/v1/acme/a/aws/1.0.0/download" => json(format!(
                r#"{{"location": "http://127.0.0.1:{port}/a.tgz"}}"#
            )),
            "/a.tgz" => (200, Vec::new(), archive.clone()),
            _ => (404, Vec::new(), Vec::new()),
        }
    }));
    *port_cell.lock().unwrap() = server.port;
    let port = server.port;
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        &format!("module \"a\" {{\n  source = \"127.0.0.1:{port}/acme/a/aws\"\n}}\n"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--download-modules",
            "--module-cache",
        ])
        .arg(cache.path())
        .current_dir(dir.path())
        .env("PLUMBLINE_MODULES_LOOPBACK_HTTP", "1")
        .env(format!("TF_TOKEN_127_0_0_1:{port}"), "s3cret-token")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["notifications"].as_array().unwrap().is_empty(),
        "{report:#?}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("s3cret"));
    let heads = server.heads.lock().unwrap().clone();
    let with_token = |p: &str| {
        let asked: Vec<&String> = heads
            .iter()
            .filter(|h| h.split_whitespace().nth(1) == Some(p))
            .collect();
        !asked.is_empty()
            && asked.iter().all(|h| {
                h.to_ascii_lowercase()
                    .contains("authorization: bearer s3cret-token")
            })
    };
    // The registry's API calls carry it; the archive, fetched from a location, does not.
    assert!(with_token("/v1/acme/a/aws/versions"), "{heads:#?}");
    assert!(with_token("/v1/acme/a/aws/1.0.0/download"), "{heads:#?}");
    let archive_head = heads.iter().find(|h| h.starts_with("GET /a.tgz")).unwrap();
    assert!(
        !archive_head.to_ascii_lowercase().contains("authorization"),
        "{archive_head}"
    );
}
