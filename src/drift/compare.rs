//! TEMPORARY: replaced by the feat/drift engine at merge.
//!
//! A deliberately simple comparison: walks what Git declares (mapping keys; lists by
//! index), compares scalars by equality, and Secret values through keyed hashes. No
//! normalisation beyond that; `metadata` is compared for labels and annotations only.

use super::rules::Rules;
use super::secret::{value_bytes, HashKey, PREFIX};
use super::{DiffKind, Difference, Manager, Shown};
use crate::load::tree::{Node, Value};
use crate::model::PathSeg;

pub struct CompareContext<'a> {
    pub rules: &'a Rules,
    pub key: &'a HashKey,
    /// A HorizontalPodAutoscaler scales the object: `spec.replicas` is not compared.
    pub hpa_targets: bool,
}

pub fn compare(declared: &Node, live: &serde_json::Value, ctx: &CompareContext) -> Vec<Difference> {
    let api_version = live
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let kind = live
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let mut w = Walker {
        ctx,
        api_version,
        kind,
        live_root: live,
        out: Vec::new(),
    };
    let Value::Map(entries) = &declared.value else {
        return Vec::new();
    };
    for e in entries {
        let path = vec![PathSeg::Key(e.key.clone())];
        match e.key.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                for sub in ["labels", "annotations"] {
                    if let Some(n) = e.value.get(sub) {
                        let mut p = path.clone();
                        p.push(PathSeg::Key(sub.to_string()));
                        let l = live.get("metadata").and_then(|m| m.get(sub));
                        w.node(n, l, &mut p);
                    }
                }
            }
            // The API server returns `stringData` merged into `data`.
            "stringData" if kind == "Secret" => {
                if let Value::Map(items) = &e.value.value {
                    for item in items {
                        let mut p = vec![
                            PathSeg::Key("stringData".into()),
                            PathSeg::Key(item.key.clone()),
                        ];
                        let l = live.get("data").and_then(|d| d.get(&item.key));
                        w.secret(&item.value, l, &mut p);
                    }
                }
            }
            _ => {
                let mut p = path;
                w.node(&e.value, live.get(&e.key), &mut p);
            }
        }
    }
    w.out
}

struct Walker<'a> {
    ctx: &'a CompareContext<'a>,
    api_version: &'a str,
    kind: &'a str,
    live_root: &'a serde_json::Value,
    out: Vec<Difference>,
}

impl Walker<'_> {
    fn node(&mut self, d: &Node, l: Option<&serde_json::Value>, path: &mut Vec<PathSeg>) {
        if self.ctx.rules.is_ignored(self.kind, path) {
            return;
        }
        if self.ctx.hpa_targets
            && path == &[PathSeg::Key("spec".into()), PathSeg::Key("replicas".into())]
        {
            return;
        }
        if self
            .ctx
            .rules
            .is_sensitive(self.api_version, self.kind, path)
        {
            return self.secret(d, l, path);
        }
        match (&d.value, l) {
            (_, None) | (_, Some(serde_json::Value::Null)) if !matches!(d.value, Value::Null) => {
                self.push(
                    path,
                    DiffKind::Absent,
                    Shown::Value(d.to_json()),
                    Shown::Absent,
                )
            }
            (Value::Map(entries), Some(serde_json::Value::Object(_))) => {
                for e in entries {
                    path.push(PathSeg::Key(e.key.clone()));
                    self.node(&e.value, l.and_then(|l| l.get(&e.key)), path);
                    path.pop();
                }
            }
            (Value::Seq(items), Some(serde_json::Value::Array(live_items))) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    self.node(item, live_items.get(i), path);
                    path.pop();
                }
            }
            (_, Some(lv)) => {
                let dv = d.to_json();
                if !same_scalar(&dv, lv) {
                    self.push(
                        path,
                        DiffKind::Changed,
                        Shown::Value(dv),
                        Shown::Value(lv.clone()),
                    );
                }
            }
            _ => {}
        }
    }

    fn secret(&mut self, d: &Node, l: Option<&serde_json::Value>, path: &mut [PathSeg]) {
        let declared = match &d.value {
            Value::Str(s) => value_bytes(path, s),
            _ => d.to_json().to_string().into_bytes(),
        };
        let want = self.ctx.key.hash(&declared);
        let live_path: Vec<PathSeg> = match path.first() {
            Some(PathSeg::Key(k)) if k == "stringData" => {
                let mut p = path.to_vec();
                p[0] = PathSeg::Key("data".into());
                p
            }
            _ => path.to_vec(),
        };
        let got = match l {
            None | Some(serde_json::Value::Null) => {
                return self.push(path, DiffKind::Absent, Shown::Redacted, Shown::Absent);
            }
            Some(serde_json::Value::String(s)) if s.starts_with(PREFIX) => s.clone(),
            Some(serde_json::Value::String(s)) => self.ctx.key.hash(&value_bytes(&live_path, s)),
            Some(other) => self.ctx.key.hash(other.to_string().as_bytes()),
        };
        if got != want {
            self.push(path, DiffKind::Changed, Shown::Redacted, Shown::Redacted);
        }
    }

    fn push(&mut self, path: &[PathSeg], kind: DiffKind, declared: Shown, live: Shown) {
        let manager = manager_of(self.live_root, path);
        self.out.push(Difference {
            path: path.to_vec(),
            kind,
            declared,
            live,
            manager,
        });
    }
}

fn same_scalar(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a, b) {
        (serde_json::Value::Number(x), serde_json::Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The most recent `managedFields` entry whose field set holds `path` (lists: any element).
fn manager_of(live: &serde_json::Value, path: &[PathSeg]) -> Option<Manager> {
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    let mut best: Option<Manager> = None;
    for e in entries {
        let Some(fields) = e.get("fieldsV1") else {
            continue;
        };
        if !holds(fields, path) {
            continue;
        }
        let m = Manager {
            manager: e.get("manager")?.as_str()?.to_string(),
            operation: e
                .get("operation")
                .and_then(|o| o.as_str())
                .unwrap_or("")
                .to_string(),
            time: e.get("time").and_then(|t| t.as_str()).map(str::to_string),
        };
        if best.as_ref().is_none_or(|b| m.time >= b.time) {
            best = Some(m);
        }
    }
    best
}

fn holds(fields: &serde_json::Value, path: &[PathSeg]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    let Some(map) = fields.as_object() else {
        return false;
    };
    match first {
        PathSeg::Key(k) => {
            let key = if k == "stringData" {
                "f:data".to_string()
            } else {
                format!("f:{k}")
            };
            map.get(&key).is_some_and(|f| holds(f, rest))
        }
        PathSeg::Index(_) => map
            .iter()
            .filter(|(k, _)| k.starts_with("k:") || k.starts_with("i:") || k.starts_with("v:"))
            .any(|(_, f)| holds(f, rest)),
    }
}
