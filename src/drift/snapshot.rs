//! Snapshots: what live readers read, written to a file so that a scan can compare Git with
//! it later, offline (`plumbline scan --live-snapshot FILE`).
//!
//! ```json
//! {"plumblineSnapshot": 1, "createdAt": "2026-11-22T12:06:15Z", "hashKey": "<64 hex>",
//!  "clusters": [{"name": …, "server": …, "complete": […], "objects": […], …}],
//!  "aws": [{"name": …, "accountId": …, "complete": […], "resources": […], …}]}
//! ```
//!
//! `aws` (written by `plumbline snapshot --tfstate …`) holds what the AWS readers read; it is
//! absent when no AWS account was read.
//!
//! Every sensitive value (Secret `data`/`stringData`, anything the drift rules call
//! sensitive) is replaced by its keyed hash before the file is written; the key is stored
//! beside them so that a later comparison hashes declared values the same way. The key only
//! lets someone confirm a guess of a value; treat the file like a list of password hashes.

use super::rules::Rules;
use super::secret::{redact_live, HashKey};
use crate::live::aws::AwsAccount;
use crate::live::LiveCluster;
use crate::model::{render_path, PathSeg};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The format version this build writes and reads.
pub const VERSION: u64 = 1;

/// The prefix every redacted value has.
const HASH_PREFIX: &str = "hmac-sha256:";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    plumbline_snapshot: u64,
    created_at: String,
    hash_key: String,
    clusters: Vec<LiveCluster>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aws: Vec<AwsAccount>,
}

/// Everything a snapshot holds.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub clusters: Vec<LiveCluster>,
    pub aws: Vec<AwsAccount>,
    pub key: HashKey,
}

/// Redacts every cluster's objects with `key` and the built-in rules (idempotent: values
/// already hashed stay as they are).
pub fn redact(clusters: &mut [LiveCluster], key: &HashKey) {
    let rules = Rules::builtin();
    for c in clusters {
        for o in &mut c.objects {
            redact_live(&mut o.body, &rules, key);
        }
    }
}

/// The snapshot's JSON text: clusters redacted, objects sorted, pretty-printed.
pub fn render(clusters: Vec<LiveCluster>, key: &HashKey, created_at: &str) -> String {
    render_all(clusters, Vec::new(), key, created_at)
}

/// The snapshot's JSON text with AWS accounts too (their sensitive values were hashed by the
/// readers with the same key; resources and scopes sorted).
pub fn render_all(
    mut clusters: Vec<LiveCluster>,
    mut aws: Vec<AwsAccount>,
    key: &HashKey,
    created_at: &str,
) -> String {
    redact(&mut clusters, key);
    for a in &mut aws {
        a.resources
            .sort_by(|x, y| (&x.kind, &x.region, &x.id).cmp(&(&y.kind, &y.region, &y.id)));
        a.complete.sort();
        a.notifications.sort();
    }
    for c in &mut clusters {
        c.objects.sort_by(|a, b| a.id.cmp(&b.id));
        c.complete.sort();
        c.notifications.sort();
    }
    let file = File {
        plumbline_snapshot: VERSION,
        created_at: created_at.to_string(),
        hash_key: key.to_hex(),
        clusters,
        aws,
    };
    let mut out = serde_json::to_string_pretty(&file).expect("snapshot JSON");
    out.push('\n');
    out
}

/// Writes a snapshot atomically; `createdAt` is now (or `SOURCE_DATE_EPOCH`).
pub fn write(path: &Path, clusters: Vec<LiveCluster>, key: &HashKey) -> Result<(), String> {
    write_all(path, clusters, Vec::new(), key)
}

/// Writes a snapshot of clusters and AWS accounts atomically.
pub fn write_all(
    path: &Path,
    clusters: Vec<LiveCluster>,
    aws: Vec<AwsAccount>,
    key: &HashKey,
) -> Result<(), String> {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let text = render_all(clusters, aws, key, &crate::date::iso8601_utc(secs));
    crate::bounded::write_atomic(path, text.as_bytes())
        .map_err(|e| format!("cannot write the snapshot {}: {e}", path.display()))
}

/// Reads a snapshot: its clusters and the key its sensitive values were hashed with.
pub fn read(path: &Path) -> Result<(Vec<LiveCluster>, HashKey), String> {
    read_all(path).map(|s| (s.clusters, s.key))
}

/// Reads a snapshot: clusters, AWS accounts and the key.
pub fn read_all(path: &Path) -> Result<Snapshot, String> {
    let shown = path.display().to_string();
    let bytes = crate::bounded::read(path, crate::bounded::DATA_BYTES).map_err(|e| {
        format!(
            "cannot read the snapshot {shown}: {e}; give a file written by `plumbline snapshot`"
        )
    })?;
    parse_all(&bytes, &shown)
}

/// Parses snapshot bytes; `source` names them in errors.
pub fn parse(bytes: &[u8], source: &str) -> Result<(Vec<LiveCluster>, HashKey), String> {
    parse_all(bytes, source).map(|s| (s.clusters, s.key))
}

/// Parses snapshot bytes, AWS accounts included.
pub fn parse_all(bytes: &[u8], source: &str) -> Result<Snapshot, String> {
    let retake = "take it again with `plumbline snapshot`";
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{source}:{}:{}: the snapshot is not valid JSON ({e}): the file is damaged or \
             truncated; {retake}",
            e.line(),
            e.column()
        )
    })?;
    match doc.get("plumblineSnapshot").map(|v| v.as_u64()) {
        None => {
            return Err(format!(
                "{source}: not a plumbline snapshot (no `plumblineSnapshot` version field); \
                 give a file written by `plumbline snapshot`"
            ))
        }
        Some(Some(VERSION)) => {}
        Some(v) => {
            return Err(format!(
                "{source}: snapshot format version {} is not supported (this plumbline reads \
                 version {VERSION}); {retake} with this version of plumbline",
                v.map_or_else(|| doc["plumblineSnapshot"].to_string(), |n| n.to_string())
            ))
        }
    }
    let file: File = serde_json::from_value(doc).map_err(|e| {
        format!("{source}: the snapshot does not have the expected shape ({e}); {retake}")
    })?;
    let key = HashKey::from_hex(&file.hash_key)
        .map_err(|e| format!("{source}: hashKey is not usable ({e}); {retake}"))?;
    for c in &file.clusters {
        for o in &c.objects {
            if let Some(path) = unredacted(&o.body) {
                return Err(format!(
                    "{source}: cluster {}: {} {} holds a value that was not redacted at {}: \
                     this file was not written by `plumbline snapshot` (or was edited), and a \
                     secret may be in it; delete it and {retake}",
                    c.name,
                    o.id.kind,
                    o.id.namespace
                        .as_deref()
                        .map_or_else(|| o.id.name.clone(), |ns| format!("{ns}/{}", o.id.name)),
                    render_path(&path)
                ));
            }
        }
    }
    for a in &file.aws {
        for r in &a.resources {
            if let Some(path) = unredacted_aws(r) {
                return Err(format!(
                    "{source}: AWS account {}: {} {} holds a value that was not redacted at {}: \
                     this file was not written by `plumbline snapshot` (or was edited), and a \
                     secret may be in it; delete it and {retake}",
                    a.name,
                    r.kind,
                    r.id,
                    render_path(&path)
                ));
            }
        }
    }
    Ok(Snapshot {
        clusters: file.clusters,
        aws: file.aws,
        key,
    })
}

/// The first value of an AWS resource that its reader hashes (Lambda environment
/// variables) and that is not a keyed hash.
fn unredacted_aws(r: &crate::live::aws::LiveResource) -> Option<Vec<PathSeg>> {
    if r.kind != "lambda:function" {
        return None;
    }
    let vars = r.body.pointer("/Environment/Variables")?.as_object()?;
    vars.iter()
        .find(|(_, v)| !v.as_str().is_some_and(|s| s.starts_with(HASH_PREFIX)))
        .map(|(k, _)| {
            ["Environment", "Variables", k.as_str()]
                .iter()
                .map(|s| PathSeg::Key((*s).to_string()))
                .collect()
        })
}

/// The first sensitive path of `body` whose value is not a keyed hash.
fn unredacted(body: &serde_json::Value) -> Option<Vec<PathSeg>> {
    let rules = Rules::builtin();
    let api_version = body
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let kind = body.get("kind").and_then(|v| v.as_str()).unwrap_or("");
    let mut path = Vec::new();
    first_unredacted(body, &mut path, &|p| {
        rules.is_sensitive(api_version, kind, p)
    })
}

fn first_unredacted(
    v: &serde_json::Value,
    path: &mut Vec<PathSeg>,
    sensitive: &dyn Fn(&[PathSeg]) -> bool,
) -> Option<Vec<PathSeg>> {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                path.push(PathSeg::Key(k.clone()));
                let found = first_unredacted(child, path, sensitive);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                let found = first_unredacted(child, path, sensitive);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.starts_with(HASH_PREFIX) => None,
        _ => sensitive(path).then(|| path.clone()),
    }
}
