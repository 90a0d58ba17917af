//! What the labeled-case tests (tests/labeled_*.rs) share: where the corpus is, scanning one
//! case file, scanning many in parallel, the rule catalog, and the tally of agreements.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared folder: `PLUMBLINE_SHARED`, else `../shared` beside the crate.
pub fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// Rule id → start lines of its findings in one scanned file.
pub type Findings = BTreeMap<String, Vec<u64>>;

/// Scans one case file alone (`scan <file> --worktree -f json --fail-on never`, which must
/// exit 0) and returns its findings by rule. With `require_documents`, a file that loads to
/// zero documents is an error rather than a clean case.
pub fn scan(path: &Path, require_documents: bool) -> Result<Findings, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("scan")
        .arg(path.file_name().unwrap())
        .args(["--worktree", "-f", "json", "--fail-on", "never"])
        .current_dir(path.parent().unwrap())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("run plumbline: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() != Some(0) {
        return Err(format!(
            "exit {:?} (the scan must be complete):\n{}\n{stdout}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: Value =
        serde_json::from_str(&stdout).map_err(|e| format!("not JSON ({e}): {stdout}"))?;
    if require_documents && v["summary"]["documents"].as_u64() == Some(0) {
        return Err("the file loaded to zero documents".to_string());
    }
    let mut f = Findings::new();
    for x in v["findings"].as_array().ok_or("no findings array")? {
        let rule = x["ruleId"].as_str().ok_or("finding without ruleId")?;
        let line = x["startLine"].as_u64().ok_or("finding without startLine")?;
        f.entry(rule.to_string()).or_default().push(line);
    }
    Ok(f)
}

/// Runs `work(index, path)` for every path on a few threads; results by path.
pub fn run_all<T: Send>(
    paths: &[PathBuf],
    work: impl Fn(usize, &Path) -> T + Sync,
) -> HashMap<PathBuf, T> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = paths.get(i) else { break };
                        done.push((p.clone(), work(i, p)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// The rule catalog (`policy list`): id → title.
pub fn catalog() -> BTreeMap<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["policy", "list", "--format", "json"])
        .stdin(Stdio::null())
        .output()
        .expect("run plumbline policy list");
    assert!(out.status.success(), "policy list failed");
    let v: Value = serde_json::from_slice(&out.stdout).expect("policy list JSON");
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["title"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Agreement counts over (rule, case) pairs: positives detected, negatives left clean, and
/// how many of each were known disagreements.
#[derive(Default)]
pub struct Tally {
    pub pos: usize,
    pub pos_hit: usize,
    pub neg: usize,
    pub neg_ok: usize,
    pub known: usize,
    pub known_pos: usize,
    pub known_neg: usize,
}

impl Tally {
    pub fn add(&mut self, must_flag: bool, flagged: bool, known: bool) {
        if must_flag {
            self.pos += 1;
            self.pos_hit += usize::from(flagged);
            self.known_pos += usize::from(known);
        } else {
            self.neg += 1;
            self.neg_ok += usize::from(!flagged);
            self.known_neg += usize::from(known);
        }
        self.known += usize::from(known);
    }
}

/// `a/b (p%)`, or `-` when there is nothing to count.
pub fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "-".to_string()
    } else {
        format!("{a}/{b} ({:.0}%)", 100.0 * a as f64 / b as f64)
    }
}
