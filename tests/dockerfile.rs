//! Dockerfiles: instructions with lines, stages, directives, heredocs, flags, JSON forms.

use plumbline::load::tree::{Node, Value};
use plumbline::load::{load_single, LoadOptions, Loaded, MemFiles};
use serde_json::json;
use std::path::{Path, PathBuf};

fn load_bytes(path: &str, bytes: &[u8]) -> Loaded {
    load_single(path, bytes, &LoadOptions::default(), &MemFiles::default())
}

fn load(name: &str) -> Loaded {
    let full = format!("{}/fixtures/dockerfile/{name}", env!("CARGO_MANIFEST_DIR"));
    load_bytes(
        &format!("fixtures/dockerfile/{name}"),
        &std::fs::read(full).unwrap(),
    )
}

fn item(node: &Node, key: &str, i: usize) -> Node {
    match &node.get(key).unwrap().value {
        Value::Seq(items) => items[i].clone(),
        _ => panic!("{key} is not a list"),
    }
}

#[test]
fn instructions_stages_and_directives_with_lines() {
    let l = load("Dockerfile");
    assert!(l.notifications.is_empty(), "{:?}", l.notifications);
    assert_eq!(l.documents.len(), 1);
    let d = &l.documents[0];
    let s = d.subject.as_ref().unwrap();
    assert_eq!(
        (s.source.as_str(), s.kind.as_str(), s.address.as_str()),
        ("dockerfile", "Dockerfile", "fixtures/dockerfile/Dockerfile")
    );
    let root = d.node.to_json();
    assert_eq!(root["type"], "Dockerfile");
    assert_eq!(
        root["directives"],
        json!({"syntax": "docker/dockerfile:1.6", "escape": "\\"})
    );
    assert_eq!(
        root["stages"],
        json!([
            {"name": "build", "base": "golang:1.22", "image": "golang", "tag": "1.22",
             "digest": "", "platform": "$BUILDPLATFORM", "line": 6},
            {"name": "", "base": "alpine:3.19@sha256:0123abcd", "image": "alpine", "tag": "3.19",
             "digest": "sha256:0123abcd", "platform": "", "line": 20}
        ])
    );
    let ins = root["instructions"].as_array().unwrap();
    let summary: Vec<(String, u64, i64)> = ins
        .iter()
        .map(|i| {
            (
                i["cmd"].as_str().unwrap().to_string(),
                i["line"].as_u64().unwrap(),
                i["stage"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, i64)> = [
        ("arg", 3, -1),
        ("arg", 4, -1),
        ("from", 6, 0),
        ("workdir", 7, 0),
        ("copy", 8, 0),
        ("run", 9, 0),
        ("run", 13, 0),
        ("env", 17, 0),
        ("env", 18, 0),
        ("from", 20, 1),
        ("label", 21, 1),
        ("copy", 22, 1),
        ("user", 23, 1),
        ("expose", 24, 1),
        ("healthcheck", 25, 1),
        ("entrypoint", 26, 1),
        ("cmd", 27, 1),
    ]
    .iter()
    .map(|(c, l, s)| (c.to_string(), *l, *s))
    .collect();
    assert_eq!(summary, expected);
    assert_eq!(
        ins[2]["value"],
        json!(["golang:${GO_VERSION}", "AS", "build"])
    );
    assert_eq!(ins[2]["flags"], json!(["--platform=$BUILDPLATFORM"]));
    assert_eq!(ins[4]["flags"], json!(["--chown=app:app"]));
    assert_eq!(ins[4]["value"], json!(["go.mod", "go.sum", "./"]));
    // Continuation joined, the comment inside it dropped.
    assert_eq!(
        ins[5]["value"],
        json!(["apt-get update     && apt-get install -y curl     && rm -rf /var/lib/apt/lists/*"])
    );
    assert!(ins[5]["original"]
        .as_str()
        .unwrap()
        .starts_with("RUN apt-get update \\\n"));
    // Heredoc body is part of the instruction.
    assert_eq!(
        ins[6]["value"],
        json!(["<<EOF\nset -e\ngo build -o /out/app .\nEOF"])
    );
    assert_eq!(
        ins[7]["value"],
        json!(["CGO_ENABLED=0", "GOFLAGS=-mod=vendor -trimpath"])
    );
    assert_eq!(ins[8]["value"], json!(["LEGACY=some value"]));
    assert_eq!(
        ins[14]["value"],
        json!(["CMD", "wget", "-qO-", "http://localhost:8080/health"])
    );
    assert_eq!(ins[14]["json"], true);
    assert_eq!(ins[15]["value"], json!(["/usr/local/bin/app"]));
    assert_eq!(ins[15]["json"], true);
    assert_eq!(ins[16]["value"], json!(["--serve"]));
    assert_eq!(ins[16]["json"], false);
    assert_eq!(
        root["comments"][0],
        json!({"text": "Build stage", "line": 5})
    );
    // Positions: each instruction node at its line.
    let user = item(&d.node, "instructions", 12);
    assert_eq!(user.start.line, 23);
    assert_eq!(user.get("value").unwrap().start.line, 23);
    assert_eq!(item(&d.node, "stages", 1).start.line, 20);
}

#[test]
fn escape_directive_heredoc_dash_and_unterminated_heredoc() {
    let l = load("windows.Dockerfile");
    let root = l.documents[0].node.to_json();
    let ins = root["instructions"].as_array().unwrap();
    assert_eq!(
        ins[1]["value"],
        json!(["powershell -Command     Write-Host hello"])
    );
    // `<<-` strips leading tabs from the body and the delimiter.
    assert_eq!(
        ins[2]["value"],
        json!(["<<-EOT", "/app/config", "key=value", "EOT"])
    );
    assert!(ins[2]["original"].as_str().unwrap().ends_with("\tEOT"));
    assert_eq!(ins[3]["line"], 8);
    assert_eq!(l.notifications.len(), 1, "{:?}", l.notifications);
    let n = &l.notifications[0];
    assert_eq!(n.position.map(|p| p.line), Some(8));
    assert!(n.message.contains("<<NEVER"), "{}", n.message);
}

#[test]
fn bad_input_is_reported_not_crashed() {
    let l = load_bytes("Dockerfile", b"FROM alpine\n\0\0\0binary");
    assert!(l.documents.is_empty());
    assert_eq!(l.notifications.len(), 1);
    assert!(l.notifications[0].message.contains("binary"));
    let l = load_bytes("empty.dockerfile", b"");
    assert_eq!(l.documents.len(), 1);
    assert_eq!(l.documents[0].node.to_json()["instructions"], json!([]));
    let l = load_bytes("Containerfile", b"RUN echo \\");
    assert_eq!(
        l.documents[0].node.to_json()["instructions"][0]["value"],
        json!(["echo"])
    );
}

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn labeled_dockerfiles_all_load() {
    let labeled = shared().join("corpus/labeled");
    let mut files = Vec::new();
    walk(&labeled.join("kics/assets/queries/dockerfile"), &mut files);
    walk(
        &labeled.join("trivy-checks/extracted/checks/docker"),
        &mut files,
    );
    let files: Vec<_> = files
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            plumbline::source::Format::of_path(&name) == Some(plumbline::source::Format::Dockerfile)
        })
        .collect();
    assert!(files.len() > 100, "{}", files.len());
    let mut from_seen = 0;
    for f in &files {
        let l = load_bytes(&f.to_string_lossy(), &std::fs::read(f).unwrap());
        assert!(
            l.documents.len() == 1 || !l.notifications.is_empty(),
            "{} neither loaded nor reported",
            f.display()
        );
        if let Some(d) = l.documents.first() {
            let root = d.node.to_json();
            let ins = root["instructions"].as_array().unwrap();
            // Every instruction's line holds its command word.
            let text = std::fs::read_to_string(f).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for i in ins {
                let line = lines[i["line"].as_u64().unwrap() as usize - 1];
                let cmd = i["cmd"].as_str().unwrap();
                assert!(
                    line.trim_start().to_ascii_lowercase().starts_with(cmd),
                    "{}:{}: {line} is not {cmd}",
                    f.display(),
                    i["line"]
                );
            }
            from_seen += usize::from(!root["stages"].as_array().unwrap().is_empty());
        }
    }
    assert!(
        from_seen * 10 >= files.len() * 9,
        "{from_seen} of {}",
        files.len()
    );
}
