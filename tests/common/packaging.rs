//! Helpers of the packaging tests (tests/packaging_release.rs): run the release scripts, serve
//! a directory over HTTP on 127.0.0.1, hash files, require the linters.
//!
//! Include it with `#[path = "common/packaging.rs"] mod packaging;`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a command with no standard input, the release scripts' own variables removed from its
/// environment, and the given variables added.
pub fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).current_dir(repo());
    for (k, _) in std::env::vars() {
        if k.starts_with("PLUMBLINE_") || k == "SOURCE_DATE_EPOCH" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `sh SCRIPT ARGS...`: the scripts are POSIX sh, and /bin/sh (dash on Debian) runs them.
pub fn sh(script: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let path = repo().join(script);
    let mut all = vec![path.to_str().unwrap()];
    all.extend_from_slice(args);
    run("/bin/sh", &all, env)
}

pub fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where `program` is on PATH, if anywhere.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The path of a tool the test needs. A missing tool fails the test with the way to install
/// it: these checks never pass by not running.
pub fn require_tool(program: &str, install_hint: &str) -> PathBuf {
    which(program).unwrap_or_else(|| {
        panic!("`{program}` is not installed, and this test needs it: {install_hint} (.ci/run installs it)")
    })
}

/// The release target that install.sh picks on this machine.
pub fn host_release_target() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => panic!("no release target for the {other} architecture"),
    };
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-musl"),
        "macos" => format!("{arch}-apple-darwin"),
        other => panic!("install.sh does not run on {other}"),
    }
}

/// `python3 -m http.server` on 127.0.0.1, on a port it picks; stopped when dropped.
pub struct HttpServer {
    child: Child,
    pub port: u16,
}

impl HttpServer {
    pub fn serve(dir: &Path) -> HttpServer {
        let python = require_tool("python3", "install Python 3");
        let mut child = Command::new(python)
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        // It prints "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..." once listening.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("python3 -m http.server did not start within 30 s");
            }
        };
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in the http.server line {line:?}"));
        HttpServer { child, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory of symbolic links to the named programs, to run a script with a PATH that
/// lacks some tool.
pub fn path_with_only(dir: &Path, programs: &[&str]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for p in programs {
        let target = which(p).unwrap_or_else(|| panic!("`{p}` is not installed"));
        std::os::unix::fs::symlink(target, dir.join(p)).unwrap();
    }
    dir.to_str().unwrap().to_string()
}

/// The instructions of a Dockerfile, one logical line each (continuations joined, comments
/// and blank lines dropped), as (KEYWORD, rest).
pub fn dockerfile_instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if !current.is_empty() && line.starts_with('#') {
            continue;
        }
        if let Some(body) = line.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        let (keyword, rest) = current
            .split_once(char::is_whitespace)
            .unwrap_or((&current, ""));
        out.push((keyword.to_ascii_uppercase(), rest.trim().to_string()));
        current.clear();
    }
    assert!(
        current.is_empty(),
        "the Dockerfile ends in a continuation line"
    );
    out
}
