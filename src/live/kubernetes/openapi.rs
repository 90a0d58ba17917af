//! List keys from the cluster's OpenAPI v3 documents.
//!
//! `GET /openapi/v3` answers an index: `paths` → `serverRelativeURL` per group-version
//! (`/openapi/v3/apis/apps/v1?hash=…`). Only the documents of the group-versions that Git
//! declares kinds of are fetched, each once per cluster and scan, with `GET` under the
//! reader's concurrency cap, timeout and retries. In each, the schema of every declared kind
//! (found by `x-kubernetes-group-version-kind`) is walked, following `$ref`s and `allOf`
//! wrappers, and every list that is keyed — `x-kubernetes-list-type: map` with
//! `x-kubernetes-list-map-keys`, or else an `x-kubernetes-patch-merge-key` with an
//! `x-kubernetes-patch-strategy` that includes `merge` — is recorded as rule path → keys.
//!
//! Nothing here can make a scan fail or incomplete: when the index or a document cannot be
//! read (404 on servers without OpenAPI v3, 403, timeouts, unreadable JSON) the kinds keep the
//! built-in list keys of `rules/kubernetes.yaml`, and one notification (level Note for a
//! server that does not serve OpenAPI v3, Warning otherwise) says so.

use super::{split_api_version, status_message, Reader, JSON};
use crate::live::{KindRequest, OpenApiListKeys};
use crate::model::{NoteLevel, Notification};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The index of the OpenAPI v3 documents.
pub const INDEX_PATH: &str = "/openapi/v3";
/// Deepest field nesting followed in a schema.
pub const MAX_DEPTH: usize = 24;
/// Schema nodes visited per kind at most (a guard against pathological documents).
pub const MAX_VISITS: usize = 100_000;

/// Rule path (`/spec/template/spec/containers`, `*` for list items and map values) → key
/// fields, for every keyed list reachable from `schema`. `$ref`s are resolved in `document`
/// (`#/components/schemas/…`); a `$ref` already being followed on the current path is not
/// followed again (recursive schemas such as `JSONSchemaProps`), and nesting deeper than
/// [`MAX_DEPTH`] fields is not walked.
pub fn list_keys_of(document: &Value, schema: &Value) -> BTreeMap<String, Vec<String>> {
    let mut w = Walk {
        document,
        path: Vec::new(),
        refs: Vec::new(),
        out: BTreeMap::new(),
        visits: 0,
    };
    w.schema(schema);
    w.out
}

/// The keyed lists of `kind` in `api_version`, when `document` has a schema for it.
pub fn kind_list_keys(
    document: &Value,
    api_version: &str,
    kind: &str,
) -> Option<BTreeMap<String, Vec<String>>> {
    let (group, version) = split_api_version(api_version);
    let schemas = document.pointer("/components/schemas")?.as_object()?;
    let schema = schemas.values().find(|s| {
        s.get("x-kubernetes-group-version-kind")
            .and_then(Value::as_array)
            .is_some_and(|gvks| {
                gvks.iter().any(|g| {
                    g.get("group").and_then(Value::as_str).unwrap_or("") == group
                        && g.get("version").and_then(Value::as_str) == Some(version.as_str())
                        && g.get("kind").and_then(Value::as_str) == Some(kind)
                })
            })
    })?;
    Some(list_keys_of(document, schema))
}

struct Walk<'a> {
    document: &'a Value,
    path: Vec<String>,
    refs: Vec<&'a str>,
    out: BTreeMap<String, Vec<String>>,
    visits: usize,
}

fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    let keys: Vec<String> = v?
        .as_array()?
        .iter()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    (!keys.is_empty()).then_some(keys)
}

/// The key fields of a list schema, if it is keyed.
fn keys_of(schema: &Value) -> Option<Vec<String>> {
    let list_type = schema.get("x-kubernetes-list-type").and_then(Value::as_str);
    if list_type == Some("map") {
        if let Some(keys) = strings(schema.get("x-kubernetes-list-map-keys")) {
            return Some(keys);
        }
    }
    // `atomic` and `set` lists have no key, whatever a patch strategy says.
    if matches!(list_type, Some("atomic") | Some("set")) {
        return None;
    }
    let merge = schema
        .get("x-kubernetes-patch-strategy")
        .and_then(Value::as_str)
        .is_some_and(|s| s.split(',').any(|p| p.trim() == "merge"));
    let key = schema
        .get("x-kubernetes-patch-merge-key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())?;
    merge.then(|| vec![key.to_string()])
}

impl<'a> Walk<'a> {
    fn schema(&mut self, schema: &'a Value) {
        self.visits += 1;
        if self.visits > MAX_VISITS || self.path.len() > MAX_DEPTH {
            return;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            self.follow(r);
        }
        for sub in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.schema(sub);
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, child) in props {
                self.path.push(escape(name));
                self.schema(child);
                self.path.pop();
            }
        }
        if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
            if let Some(keys) = keys_of(schema) {
                if !self.path.is_empty() {
                    self.out.insert(format!("/{}", self.path.join("/")), keys);
                }
            }
            self.path.push("*".to_string());
            self.schema(items);
            self.path.pop();
        }
        if let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object()) {
            self.path.push("*".to_string());
            self.schema(extra);
            self.path.pop();
        }
    }

    fn follow(&mut self, r: &'a str) {
        if self.refs.contains(&r) {
            return;
        }
        let Some(target) = r
            .strip_prefix('#')
            .and_then(|pointer| self.document.pointer(pointer))
        else {
            return;
        };
        self.refs.push(r);
        self.schema(target);
        self.refs.pop();
    }
}

/// Why a document could not be used.
enum Failure {
    /// Not served (404): expected of servers older than OpenAPI v3.
    NotServed(String),
    Other(String),
}

impl Failure {
    fn text(&self) -> &str {
        match self {
            Failure::NotServed(s) | Failure::Other(s) => s,
        }
    }
}

/// GET of an OpenAPI path, following one redirect (a stale `?hash=` is redirected to the
/// current one), parsed as JSON.
async fn get_json(reader: &Reader, path: &str) -> Result<Value, Failure> {
    let mut path = path.to_string();
    for _ in 0..2 {
        let r = reader
            .send_retried(http::Method::GET, &path, JSON, None)
            .await
            .map_err(|e| Failure::Other(format!("GET {path} failed: {e}")))?;
        match r.status {
            200 => {
                return serde_json::from_slice(&r.body).map_err(|e| {
                    Failure::Other(format!("GET {path} answered unreadable JSON: {e}"))
                })
            }
            301 | 302 | 307 | 308 => match r.location.as_deref() {
                Some(l) if l.starts_with('/') => path = l.to_string(),
                _ => {
                    return Err(Failure::Other(format!(
                        "GET {path} redirected without a server-relative Location"
                    )))
                }
            },
            404 => return Err(Failure::NotServed(format!("GET {path} answered HTTP 404"))),
            s => {
                return Err(Failure::Other(format!(
                    "GET {path} answered HTTP {s}{}",
                    status_message(&r.body)
                )))
            }
        }
    }
    Err(Failure::Other(format!("GET {path} redirected twice")))
}

/// The index key of a group-version: `api/v1`, `apis/apps/v1`.
fn index_key(api_version: &str) -> String {
    if api_version.contains('/') {
        format!("apis/{api_version}")
    } else {
        format!("api/{api_version}")
    }
}

/// Reads the list keys of the requested kinds. Never fails: what could not be read is the
/// notification returned (the built-in list keys apply to those kinds).
pub(super) async fn read_list_keys(
    reader: Arc<Reader>,
    requests: Vec<KindRequest>,
) -> (Vec<OpenApiListKeys>, Option<Notification>) {
    let fallback = "their lists are matched with the built-in list keys of rules/kubernetes.yaml \
                    (drift is still compared)";
    let index = match get_json(&reader, INDEX_PATH).await {
        Ok(v) => v,
        Err(f) => {
            let (level, what) = match &f {
                Failure::NotServed(_) => (
                    NoteLevel::Note,
                    "the server does not serve OpenAPI v3 (Kubernetes before 1.24, or disabled)",
                ),
                Failure::Other(_) => (NoteLevel::Warning, "its OpenAPI v3 index is unusable"),
            };
            return (
                Vec::new(),
                Some(Notification::new(
                    level,
                    "live-openapi",
                    format!(
                        "cluster {}: {what} ({}); list keys were not read from the cluster, \
                         {fallback}",
                        reader.name,
                        f.text()
                    ),
                )),
            );
        }
    };
    // group-version → kinds declared in it.
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &requests {
        wanted
            .entry(r.api_version.clone())
            .or_default()
            .insert(r.kind.clone());
    }
    let mut failures: Vec<(bool, String)> = Vec::new();
    let mut set = tokio::task::JoinSet::new();
    for (gv, kinds) in wanted {
        let url = index
            .get("paths")
            .and_then(|p| p.get(index_key(&gv)))
            .and_then(|p| p.get("serverRelativeURL"))
            .and_then(Value::as_str)
            .filter(|u| u.starts_with('/'))
            .map(str::to_string);
        let Some(url) = url else {
            // Not in the index: a group-version the server does not serve (its kinds are
            // reported by discovery) or one without a published schema.
            continue;
        };
        let reader = reader.clone();
        set.spawn(async move {
            let doc = get_json(&reader, &url).await;
            let out = doc.map(|doc| {
                kinds
                    .iter()
                    .filter_map(|k| {
                        kind_list_keys(&doc, &gv, k).map(|lists| OpenApiListKeys {
                            api_version: gv.clone(),
                            kind: k.clone(),
                            lists,
                        })
                    })
                    .collect::<Vec<_>>()
            });
            (gv, out)
        });
    }
    let mut keys = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, Ok(found))) => keys.extend(found),
            Ok((gv, Err(f))) => failures.push((
                matches!(f, Failure::NotServed(_)),
                format!("{gv}: {}", f.text()),
            )),
            Err(e) => failures.push((false, format!("a document task failed: {e}"))),
        }
    }
    keys.sort();
    failures.sort();
    let note = (!failures.is_empty()).then(|| {
        let level = if failures.iter().all(|(not_served, _)| *not_served) {
            NoteLevel::Note
        } else {
            NoteLevel::Warning
        };
        Notification::new(
            level,
            "live-openapi",
            format!(
                "cluster {}: OpenAPI v3 documents could not be read ({}); for the kinds of \
                 these group-versions {fallback}",
                reader.name,
                failures
                    .iter()
                    .map(|(_, s)| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    });
    (keys, note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_all_of_items_and_recursion() {
        let doc = json!({"components": {"schemas": {
            "W": {"x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "W"}],
                  "properties": {"spec": {"allOf": [{"$ref": "#/components/schemas/S"}], "default": {}}}},
            "S": {"properties": {
                "self": {"$ref": "#/components/schemas/S"},
                "rules": {"type": "array", "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["host", "port"],
                          "items": {"properties": {"paths": {"type": "array",
                              "x-kubernetes-patch-merge-key": "path",
                              "x-kubernetes-patch-strategy": "merge,retainKeys",
                              "items": {"type": "object"}}}}},
                "tags": {"type": "array", "x-kubernetes-list-type": "atomic",
                         "x-kubernetes-patch-merge-key": "name",
                         "x-kubernetes-patch-strategy": "merge", "items": {"type": "object"}},
                "plain": {"type": "array", "x-kubernetes-patch-merge-key": "name",
                          "items": {"type": "object"}},
                "a/b": {"additionalProperties": {"type": "array", "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["id"], "items": {"type": "object"}}}
            }}
        }}});
        let keys = kind_list_keys(&doc, "example.com/v1", "W").unwrap();
        let expected: BTreeMap<String, Vec<String>> = [
            ("/spec/rules", vec!["host", "port"]),
            ("/spec/rules/*/paths", vec!["path"]),
            ("/spec/a~1b/*", vec!["id"]),
        ]
        .into_iter()
        .map(|(p, k)| (p.to_string(), k.into_iter().map(String::from).collect()))
        .collect();
        // `self` refers to the schema being walked: not followed again.
        assert_eq!(keys, expected);
        assert!(kind_list_keys(&doc, "example.com/v2", "W").is_none());
        assert!(kind_list_keys(&doc, "v1", "W").is_none());
    }

    #[test]
    fn a_schema_that_refers_to_itself_is_walked_once_per_path() {
        let doc = json!({"components": {"schemas": {
            "P": {"properties": {
                "properties": {"additionalProperties": {"$ref": "#/components/schemas/P"}},
                "items": {"allOf": [{"$ref": "#/components/schemas/P"}]},
                "allOf": {"type": "array", "items": {"$ref": "#/components/schemas/P"}}
            }}
        }}});
        let keys = list_keys_of(&doc, &doc["components"]["schemas"]["P"]);
        assert!(keys.is_empty());
    }
}
