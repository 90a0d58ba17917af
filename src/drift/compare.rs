//! Declared vs live, field by field.
//!
//! Only what Git declares is compared: the walk follows the declared tree and looks each
//! field up in the live object, so server defaults and controller-written fields are never
//! drift. Lists with merge keys are matched by key, quantities by value, Secret values
//! through keyed hashes. Fields once declared (kubectl's last-applied annotation, or the
//! `Apply` entries of a GitOps field manager) that Git no longer declares but the cluster
//! still holds are reported as removed.

use super::quantity;
use super::rules::{ListKeys, Rules, Target};
use super::secret::{base64_decode, is_hash_token, is_secret, json_bytes, HashKey, LAST_APPLIED};
use super::{DiffKind, Difference, Manager, Shown};
use crate::load::tree::{Node, Value};
use crate::model::PathSeg;
use serde_json::{Map, Value as J};

/// What a comparison needs besides the two objects.
#[derive(Debug, Clone, Copy)]
pub struct CompareContext<'a> {
    pub rules: &'a Rules,
    pub key: &'a HashKey,
    /// An HorizontalPodAutoscaler targets this object (spec.replicas is then not drift).
    pub hpa_targets: bool,
}

/// One step of a path as `metadata.managedFields` (fieldsV1) spells it.
#[derive(Debug, Clone, PartialEq)]
enum FSeg {
    Field(String),
    Key(Map<String, J>),
    Value(J),
    Index(usize),
}

struct Found {
    diff: Difference,
    fpath: Vec<FSeg>,
    /// `diff.path` is a path in the live object (removed fields), not in the declared one.
    in_live: bool,
}

/// Compares a declared document with its live object.
///
/// `declared`: the declared document's tree (every node has its line/column). `live`: the
/// live object, possibly already redacted by `redact_live` (hash tokens: the declared value
/// is hashed with the same key and compared). Paths of `Changed`/`Absent` differences lead to
/// the declared node (`Node::locate`); paths of `Removed` ones are live paths, and their
/// `declared_parent` is the declared path to point at. Differences come in a stable order:
/// declared fields in document order, then removed fields.
pub fn compare(declared: &Node, live: &J, ctx: &CompareContext) -> Vec<Difference> {
    let field = |n: Option<&Node>| n.and_then(Node::as_str).unwrap_or("").to_string();
    let live_field = |k: &str| live.get(k).and_then(J::as_str).unwrap_or("").to_string();
    let mut api_version = field(declared.get("apiVersion"));
    if api_version.is_empty() {
        api_version = live_field("apiVersion");
    }
    let mut kind = field(declared.get("kind"));
    if kind.is_empty() {
        kind = live_field("kind");
    }
    let meta = declared.get("metadata");
    let name = field(meta.and_then(|m| m.get("name")));
    let namespace = field(meta.and_then(|m| m.get("namespace")));
    let declared_json = declared.to_json();
    let mut w = Walker {
        ctx,
        api_version: &api_version,
        kind: &kind,
        secret: is_secret(&api_version, &kind),
        declared_json: &declared_json,
        live,
        found: Vec::new(),
    };
    let (mut path, mut fpath) = (Vec::new(), Vec::new());
    if w.secret {
        w.secret_root(declared, live);
    } else {
        w.node(declared, live, &mut path, &mut fpath, false);
    }
    w.removed_fields(declared, live);

    let target = Target {
        api_version: &api_version,
        kind: &kind,
        name: &name,
        namespace: &namespace,
        hpa_targets: ctx.hpa_targets,
        declared: &declared_json,
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for f in w.found {
        let res = Some(if f.in_live { live } else { &declared_json });
        if ctx.rules.is_ignored(&target, &f.diff.path, res) {
            continue;
        }
        if !seen.insert((f.diff.path.clone(), f.diff.kind)) {
            continue;
        }
        let mut diff = f.diff;
        if diff.kind != DiffKind::Absent {
            diff.manager = owner(live, &f.fpath);
        }
        out.push(diff);
    }
    out
}

struct Walker<'a> {
    ctx: &'a CompareContext<'a>,
    api_version: &'a str,
    kind: &'a str,
    secret: bool,
    declared_json: &'a J,
    live: &'a J,
    found: Vec<Found>,
}

fn is_null(n: &Node) -> bool {
    matches!(n.value, Value::Null)
}

/// Values the API server leaves out when they are the zero value (`omitempty`): declared that
/// way and absent live is not drift.
fn is_empty_node(n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::UInt(u) => *u == 0,
        Value::Float(f) => *f == 0.0,
        Value::Str(s) => s.is_empty(),
        Value::Seq(items) => items.is_empty(),
        Value::Map(entries) => entries.is_empty(),
    }
}

fn is_empty_json(v: &J) -> bool {
    match v {
        J::Null => true,
        J::Object(m) => m.is_empty(),
        J::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The bytes a declared scalar stands for (as [`json_bytes`] for live values).
fn node_bytes(n: &Node) -> Vec<u8> {
    match &n.value {
        Value::Str(s) => s.as_bytes().to_vec(),
        _ => json_bytes(&n.to_json()).unwrap_or_default(),
    }
}

fn scalar_eq(d: &Node, l: &J) -> bool {
    match (&d.value, l) {
        (Value::Null, J::Null) => true,
        (Value::Bool(a), J::Bool(b)) => a == b,
        (Value::Str(a), J::String(b)) => a == b,
        (Value::Int(_) | Value::UInt(_) | Value::Float(_), J::Number(n)) => {
            let whole = |v: &Value| match v {
                Value::Int(i) => Some(i128::from(*i)),
                Value::UInt(u) => Some(i128::from(*u)),
                _ => None,
            };
            let live_whole = n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from));
            match (whole(&d.value), live_whole) {
                (Some(a), Some(b)) => a == b,
                _ => {
                    let a = match d.value {
                        Value::Int(i) => i as f64,
                        Value::UInt(u) => u as f64,
                        Value::Float(f) => f,
                        _ => f64::NAN,
                    };
                    n.as_f64() == Some(a)
                }
            }
        }
        _ => false,
    }
}

/// A live value redacted or not, compared with declared bytes.
fn sensitive_eq(key: &HashKey, declared: &[u8], live: &J) -> bool {
    match live {
        J::String(s) if is_hash_token(s) => key.hash(declared) == *s,
        other => json_bytes(other).is_some_and(|b| b == declared),
    }
}

fn quantity_of_node(n: &Node) -> Option<quantity::Quantity> {
    match &n.value {
        Value::Str(s) => quantity::parse(s),
        Value::Int(i) => quantity::parse(&i.to_string()),
        Value::UInt(u) => quantity::parse(&u.to_string()),
        Value::Float(f) => quantity::parse(&f.to_string()),
        _ => None,
    }
}

fn quantity_of_json(v: &J) -> Option<quantity::Quantity> {
    match v {
        J::String(s) => quantity::parse(s),
        J::Number(n) => quantity::parse(&n.to_string()),
        _ => None,
    }
}

/// The key of a list item: its key fields (with the server's defaults for missing ones).
fn key_of(item: &J, keys: &ListKeys) -> Option<Map<String, J>> {
    let obj = item.as_object()?;
    let mut out = Map::new();
    for k in &keys.keys {
        let v = obj
            .get(k)
            .filter(|v| !v.is_null())
            .or_else(|| keys.defaults.get(k))?;
        out.insert(k.clone(), v.clone());
    }
    Some(out)
}

fn key_matches(item: &J, key: &Map<String, J>, keys: Option<&ListKeys>) -> bool {
    key.iter().all(|(f, v)| {
        let got = item
            .get(f)
            .filter(|x| !x.is_null())
            .or_else(|| keys.and_then(|k| k.defaults.get(f)));
        got == Some(v)
    })
}

impl Walker<'_> {
    fn sensitive_below(&self, path: &[PathSeg], in_live: bool) -> super::rules::Match {
        let root = if in_live {
            self.live
        } else {
            self.declared_json
        };
        self.ctx
            .rules
            .sensitive_match(self.api_version, self.kind, path, Some(root))
    }

    fn push(&mut self, path: &[PathSeg], fpath: &[FSeg], kind: DiffKind, d: Shown, l: Shown) {
        self.found.push(Found {
            diff: Difference {
                path: path.to_vec(),
                kind,
                declared: d,
                live: l,
                manager: None,
                declared_parent: None,
            },
            fpath: fpath.to_vec(),
            in_live: kind == DiffKind::Removed,
        });
    }

    fn absent(&mut self, d: &Node, path: &[PathSeg], fpath: &[FSeg], sens: bool) {
        let m = self.sensitive_below(path, false);
        let shown = if sens || m.covers || m.below {
            Shown::Redacted
        } else {
            Shown::Value(d.to_json())
        };
        self.push(path, fpath, DiffKind::Absent, shown, Shown::Absent);
    }

    fn changed(&mut self, d: &Node, l: &J, path: &[PathSeg], fpath: &[FSeg], sens: bool) {
        let m = self.sensitive_below(path, false);
        let (ds, ls) = if sens || m.covers || m.below {
            (Shown::Redacted, Shown::Redacted)
        } else {
            (Shown::Value(d.to_json()), Shown::Value(l.clone()))
        };
        self.push(path, fpath, DiffKind::Changed, ds, ls);
    }

    fn removed(&mut self, l: &J, path: &[PathSeg], fpath: &[FSeg], dpath: &[PathSeg]) {
        let m = self.sensitive_below(path, true);
        let shown = if self.secret_value_path(path) || m.covers || m.below {
            Shown::Redacted
        } else {
            Shown::Value(l.clone())
        };
        self.push(path, fpath, DiffKind::Removed, Shown::Absent, shown);
        if let Some(last) = self.found.last_mut() {
            last.diff.declared_parent = Some(dpath.to_vec());
        }
    }

    fn secret_value_path(&self, path: &[PathSeg]) -> bool {
        self.secret
            && matches!(path.first(), Some(PathSeg::Key(k)) if k == "data" || k == "stringData")
    }

    fn node(
        &mut self,
        d: &Node,
        l: &J,
        path: &mut Vec<PathSeg>,
        fpath: &mut Vec<FSeg>,
        sens: bool,
    ) {
        if is_null(d) {
            return;
        }
        let sens = sens || (!path.is_empty() && self.sensitive_below(path, false).covers);
        if !sens
            && d.is_scalar()
            && self
                .ctx
                .rules
                .is_quantity(self.api_version, self.kind, path)
        {
            if let (Some(a), Some(b)) = (quantity_of_node(d), quantity_of_json(l)) {
                if a != b {
                    self.changed(d, l, path, fpath, sens);
                }
                return;
            }
        }
        match (&d.value, l) {
            (Value::Map(entries), J::Object(live_map)) => {
                for e in entries {
                    if is_null(&e.value) {
                        continue;
                    }
                    path.push(PathSeg::Key(e.key.clone()));
                    fpath.push(FSeg::Field(e.key.clone()));
                    match live_map.get(&e.key).filter(|v| !v.is_null()) {
                        Some(lv) => self.node(&e.value, lv, path, fpath, sens),
                        None if is_empty_node(&e.value) => {}
                        None => self.absent(&e.value, path, fpath, sens),
                    }
                    path.pop();
                    fpath.pop();
                }
            }
            (Value::Seq(items), J::Array(live_items)) => {
                self.list(items, live_items, path, fpath, sens)
            }
            (Value::Map(_) | Value::Seq(_), _) => self.changed(d, l, path, fpath, sens),
            _ => {
                let equal = if sens {
                    sensitive_eq(self.ctx.key, &node_bytes(d), l)
                } else {
                    scalar_eq(d, l)
                };
                if !equal {
                    self.changed(d, l, path, fpath, sens);
                }
            }
        }
    }

    fn list(
        &mut self,
        items: &[Node],
        live_items: &[J],
        path: &mut Vec<PathSeg>,
        fpath: &mut Vec<FSeg>,
        sens: bool,
    ) {
        let keys = self.ctx.rules.list_keys(self.api_version, self.kind, path);
        if let Some(keys) = keys {
            let declared_keys: Option<Vec<_>> =
                items.iter().map(|n| key_of(&n.to_json(), &keys)).collect();
            if let Some(declared_keys) = declared_keys {
                let live_keys: Vec<_> = live_items.iter().map(|v| key_of(v, &keys)).collect();
                for (i, (item, key)) in items.iter().zip(declared_keys).enumerate() {
                    path.push(PathSeg::Index(i));
                    match live_keys.iter().position(|lk| lk.as_ref() == Some(&key)) {
                        Some(j) => {
                            fpath.push(FSeg::Key(key));
                            self.node(item, &live_items[j], path, fpath, sens);
                        }
                        None => {
                            fpath.push(FSeg::Key(key));
                            self.absent(item, path, fpath, sens);
                        }
                    }
                    path.pop();
                    fpath.pop();
                }
                return;
            }
        }
        if items.len() != live_items.len() {
            self.changed(
                &Node {
                    value: Value::Seq(items.to_vec()),
                    start: items
                        .first()
                        .map_or(crate::model::Pos::new(1, 1), |n| n.start),
                    end_byte: None,
                    src: items.first().map_or(0, |n| n.src),
                },
                &J::Array(live_items.to_vec()),
                path,
                fpath,
                sens,
            );
            return;
        }
        for (i, (item, lv)) in items.iter().zip(live_items).enumerate() {
            path.push(PathSeg::Index(i));
            fpath.push(FSeg::Index(i));
            self.node(item, lv, path, fpath, sens);
            path.pop();
            fpath.pop();
        }
    }

    /// A Secret: `stringData` and `data` compare with the live `data` (base64), by value.
    fn secret_root(&mut self, declared: &Node, live: &J) {
        let Value::Map(entries) = &declared.value else {
            return;
        };
        let live_map = live.as_object();
        for e in entries {
            if matches!(e.key.as_str(), "data" | "stringData") || is_null(&e.value) {
                continue;
            }
            let mut path = vec![PathSeg::Key(e.key.clone())];
            let mut fpath = vec![FSeg::Field(e.key.clone())];
            match live_map
                .and_then(|m| m.get(&e.key))
                .filter(|v| !v.is_null())
            {
                Some(lv) => self.node(&e.value, lv, &mut path, &mut fpath, false),
                None if is_empty_node(&e.value) => {}
                None => self.absent(&e.value, &path, &fpath, false),
            }
        }
        let string_data = declared.get("stringData");
        let live_data = live.get("data").and_then(J::as_object);
        for section in ["stringData", "data"] {
            let Some(Value::Map(values)) = declared.get(section).map(|n| &n.value) else {
                continue;
            };
            for e in values {
                if section == "data" && string_data.and_then(|s| s.get(&e.key)).is_some() {
                    // stringData wins over data for the same key, as on the server.
                    continue;
                }
                let raw = node_bytes(&e.value);
                let bytes = if section == "data" {
                    base64_decode(&String::from_utf8_lossy(&raw)).unwrap_or(raw)
                } else {
                    raw
                };
                let path = [PathSeg::Key(section.into()), PathSeg::Key(e.key.clone())];
                let fpath = [FSeg::Field("data".into()), FSeg::Field(e.key.clone())];
                match live_data
                    .and_then(|m| m.get(&e.key))
                    .filter(|v| !v.is_null())
                {
                    None => self.push(
                        &path,
                        &fpath,
                        DiffKind::Absent,
                        Shown::Redacted,
                        Shown::Absent,
                    ),
                    Some(lv) => {
                        let equal = match lv {
                            J::String(s) if is_hash_token(s) => self.ctx.key.hash(&bytes) == *s,
                            J::String(s) => {
                                base64_decode(s).unwrap_or_else(|| s.as_bytes().to_vec()) == bytes
                            }
                            _ => false,
                        };
                        if !equal {
                            self.push(
                                &path,
                                &fpath,
                                DiffKind::Changed,
                                Shown::Redacted,
                                Shown::Redacted,
                            );
                        }
                    }
                }
            }
        }
    }

    /// Fields once declared that Git no longer declares but the cluster still holds.
    fn removed_fields(&mut self, declared: &Node, live: &J) {
        let annotation = live
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(LAST_APPLIED))
            .and_then(J::as_str);
        if let Some(text) = annotation {
            if let Ok(last) = serde_json::from_str::<J>(text) {
                if self.secret {
                    self.removed_secret_keys(
                        declared,
                        live,
                        last.as_object().map(|m| {
                            ["stringData", "data"]
                                .iter()
                                .filter_map(|s| m.get(*s).and_then(J::as_object))
                                .flat_map(|o| o.keys().cloned())
                                .collect()
                        }),
                    );
                }
                self.last_applied(&last, Some(declared), live, &mut Trail::default());
            }
            // A redacted (hashed) or unreadable annotation tells nothing more.
            return;
        }
        let Some(entries) = live
            .pointer("/metadata/managedFields")
            .and_then(J::as_array)
        else {
            return;
        };
        for entry in entries {
            let manager = entry.get("manager").and_then(J::as_str).unwrap_or("");
            let apply = entry.get("operation").and_then(J::as_str) == Some("Apply");
            if !apply
                || !self
                    .ctx
                    .rules
                    .gitops_managers()
                    .iter()
                    .any(|m| m == manager)
            {
                continue;
            }
            if let Some(fields) = entry.get("fieldsV1").and_then(J::as_object) {
                if self.secret {
                    let keys = fields.get("f:data").and_then(J::as_object).map(|m| {
                        m.keys()
                            .filter_map(|k| k.strip_prefix("f:"))
                            .map(str::to_string)
                            .collect()
                    });
                    self.removed_secret_keys(declared, live, keys);
                }
                self.managed(fields, Some(declared), live, &mut Trail::default());
            }
        }
    }

    fn removed_secret_keys(&mut self, declared: &Node, live: &J, keys: Option<Vec<String>>) {
        for k in keys.unwrap_or_default() {
            let declared_has = ["stringData", "data"]
                .iter()
                .any(|s| declared.get(s).and_then(|m| m.get(&k)).is_some());
            if declared_has {
                continue;
            }
            if let Some(lv) = live.get("data").and_then(|d| d.get(&k)) {
                let parent: Vec<PathSeg> = ["stringData", "data"]
                    .iter()
                    .find(|s| declared.get(s).is_some())
                    .map(|s| PathSeg::Key(s.to_string()))
                    .into_iter()
                    .collect();
                self.removed(
                    lv,
                    &[PathSeg::Key("data".into()), PathSeg::Key(k.clone())],
                    &[FSeg::Field("data".into()), FSeg::Field(k.clone())],
                    &parent,
                );
            }
        }
    }

    /// Skipped while looking for removed fields: server-owned, or handled elsewhere.
    fn skip_removed(&self, path: &[PathSeg], name: &str) -> bool {
        match path {
            [] => {
                matches!(name, "status" | "apiVersion" | "kind")
                    || (self.secret && matches!(name, "data" | "stringData"))
            }
            [PathSeg::Key(m)] if m == "metadata" => {
                // kubectl records the namespace it applied to even when the file has none.
                matches!(
                    name,
                    "name"
                        | "namespace"
                        | "generateName"
                        | "managedFields"
                        | "resourceVersion"
                        | "uid"
                        | "generation"
                        | "creationTimestamp"
                )
            }
            [PathSeg::Key(m), PathSeg::Key(a)] if m == "metadata" && a == "annotations" => {
                name == LAST_APPLIED
            }
            _ => false,
        }
    }

    fn last_applied(&mut self, last: &J, d: Option<&Node>, l: &J, t: &mut Trail) {
        match (last, l) {
            (J::Object(last_map), J::Object(live_map)) => {
                for (k, lav) in last_map {
                    if self.skip_removed(&t.path, k) {
                        continue;
                    }
                    let Some(lv) = live_map.get(k).filter(|v| !v.is_null()) else {
                        continue;
                    };
                    let dv = d.and_then(|d| d.get(k)).filter(|n| !is_null(n));
                    t.enter(
                        PathSeg::Key(k.clone()),
                        FSeg::Field(k.clone()),
                        dv.map(|_| PathSeg::Key(k.clone())),
                    );
                    match dv {
                        Some(dv) => self.last_applied(lav, Some(dv), lv, t),
                        None if lav.is_object() && lv.is_object() => {
                            self.last_applied(lav, None, lv, t)
                        }
                        None if is_empty_json(lav) => {}
                        None => self.removed(lv, &t.path, &t.fpath, &t.dpath),
                    }
                    t.leave();
                }
            }
            (J::Array(last_items), J::Array(live_items)) => {
                let d_items = match d.map(|n| &n.value) {
                    Some(Value::Seq(items)) => Some(items.as_slice()),
                    _ => None,
                };
                let keys = self
                    .ctx
                    .rules
                    .list_keys(self.api_version, self.kind, &t.path);
                if let Some(keys) = keys {
                    for item in last_items {
                        let Some(key) = key_of(item, &keys) else {
                            continue;
                        };
                        let Some(j) = live_items
                            .iter()
                            .position(|v| key_of(v, &keys).as_ref() == Some(&key))
                        else {
                            continue;
                        };
                        let dn = d_items.and_then(|items| {
                            items
                                .iter()
                                .position(|n| key_of(&n.to_json(), &keys).as_ref() == Some(&key))
                                .map(|i| (i, &items[i]))
                        });
                        t.enter(
                            PathSeg::Index(j),
                            FSeg::Key(key),
                            dn.map(|(i, _)| PathSeg::Index(i)),
                        );
                        match dn {
                            Some((_, dn)) => self.last_applied(item, Some(dn), &live_items[j], t),
                            None => self.removed(&live_items[j], &t.path, &t.fpath, &t.dpath),
                        }
                        t.leave();
                    }
                } else if let Some(d_items) = d_items {
                    if d_items.len() == last_items.len() && last_items.len() == live_items.len() {
                        for (i, ((item, dn), lv)) in
                            last_items.iter().zip(d_items).zip(live_items).enumerate()
                        {
                            t.enter(PathSeg::Index(i), FSeg::Index(i), Some(PathSeg::Index(i)));
                            self.last_applied(item, Some(dn), lv, t);
                            t.leave();
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Walks the fieldsV1 set of a GitOps manager's `Apply` entry.
    fn managed(&mut self, fields: &Map<String, J>, d: Option<&Node>, l: &J, t: &mut Trail) {
        for (k, child) in fields {
            let child_map = child.as_object();
            let has_children = child_map.is_some_and(|m| m.keys().any(|k| k != "."));
            if let Some(name) = k.strip_prefix("f:") {
                if self.skip_removed(&t.path, name) {
                    continue;
                }
                let Some(lv) = l.get(name).filter(|v| !v.is_null()) else {
                    continue;
                };
                let dv = d.and_then(|d| d.get(name)).filter(|n| !is_null(n));
                t.enter(
                    PathSeg::Key(name.to_string()),
                    FSeg::Field(name.to_string()),
                    dv.map(|_| PathSeg::Key(name.to_string())),
                );
                match (dv, child_map) {
                    (Some(dv), Some(cm)) if has_children => self.managed(cm, Some(dv), lv, t),
                    (Some(_), _) => {}
                    (None, Some(cm)) if has_children && lv.is_object() => {
                        self.managed(cm, None, lv, t)
                    }
                    (None, _) => self.removed(lv, &t.path, &t.fpath, &t.dpath),
                }
                t.leave();
            } else if let Some(raw) = k.strip_prefix("k:") {
                let Ok(J::Object(key)) = serde_json::from_str::<J>(raw) else {
                    continue;
                };
                let Some(live_items) = l.as_array() else {
                    continue;
                };
                let keys = self
                    .ctx
                    .rules
                    .list_keys(self.api_version, self.kind, &t.path);
                let Some(j) = live_items
                    .iter()
                    .position(|v| key_matches(v, &key, keys.as_ref()))
                else {
                    continue;
                };
                let dn = match d.map(|n| &n.value) {
                    Some(Value::Seq(items)) => items
                        .iter()
                        .position(|n| key_matches(&n.to_json(), &key, keys.as_ref()))
                        .map(|i| (i, &items[i])),
                    _ => None,
                };
                t.enter(
                    PathSeg::Index(j),
                    FSeg::Key(key),
                    dn.map(|(i, _)| PathSeg::Index(i)),
                );
                match (dn, child_map) {
                    (Some((_, dn)), Some(cm)) if has_children => {
                        self.managed(cm, Some(dn), &live_items[j], t)
                    }
                    (Some(_), _) => {}
                    (None, _) => self.removed(&live_items[j], &t.path, &t.fpath, &t.dpath),
                }
                t.leave();
            } else if let Some(raw) = k.strip_prefix("v:") {
                let Ok(value) = serde_json::from_str::<J>(raw) else {
                    continue;
                };
                let Some(j) = l
                    .as_array()
                    .and_then(|a| a.iter().position(|v| *v == value))
                else {
                    continue;
                };
                let declared_has = match d.map(|n| &n.value) {
                    Some(Value::Seq(items)) => items.iter().any(|n| n.to_json() == value),
                    _ => false,
                };
                if !declared_has {
                    t.enter(PathSeg::Index(j), FSeg::Value(value), None);
                    self.removed(&l[j], &t.path, &t.fpath, &t.dpath);
                    t.leave();
                }
            }
        }
    }
}

/// Where a walk for removed fields is: the live path, the same in fieldsV1 terms, and the
/// declared path of the deepest declared node on the way.
#[derive(Default)]
struct Trail {
    path: Vec<PathSeg>,
    fpath: Vec<FSeg>,
    dpath: Vec<PathSeg>,
    declared_steps: Vec<bool>,
}

impl Trail {
    fn enter(&mut self, seg: PathSeg, fseg: FSeg, declared: Option<PathSeg>) {
        self.path.push(seg);
        self.fpath.push(fseg);
        // Once off the declared tree, the declared path stays at the last declared parent.
        let on_declared = self.declared_steps.iter().all(|b| *b) && declared.is_some();
        if let (true, Some(d)) = (on_declared, declared) {
            self.dpath.push(d);
        }
        self.declared_steps.push(on_declared);
    }

    fn leave(&mut self) {
        self.path.pop();
        self.fpath.pop();
        if self.declared_steps.pop() == Some(true) {
            self.dpath.pop();
        }
    }
}

/// Who owns a live field, from `metadata.managedFields`: the entry whose field set reaches
/// deepest along the path (an empty set `{}` owns its whole subtree); the latest on a tie.
fn owner(live: &J, fpath: &[FSeg]) -> Option<Manager> {
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    let mut best: Option<(usize, &str, &J)> = None;
    for entry in entries {
        let Some(fields) = entry.get("fieldsV1") else {
            continue;
        };
        let Some(depth) = owned_depth(fields, fpath) else {
            continue;
        };
        if depth == 0 {
            continue;
        }
        let time = entry.get("time").and_then(J::as_str).unwrap_or("");
        let better = match best {
            None => true,
            Some((d, t, _)) => depth > d || (depth == d && time > t),
        };
        if better {
            best = Some((depth, time, entry));
        }
    }
    let (_, _, entry) = best?;
    let s = |k: &str| entry.get(k).and_then(J::as_str).map(str::to_string);
    Some(Manager {
        manager: s("manager").unwrap_or_default(),
        operation: s("operation").unwrap_or_default(),
        time: s("time"),
    })
}

fn owned_depth(fields: &J, fpath: &[FSeg]) -> Option<usize> {
    let mut node = fields;
    for (i, seg) in fpath.iter().enumerate() {
        let obj = node.as_object()?;
        if i > 0 && obj.is_empty() {
            return Some(i);
        }
        let child = match seg {
            FSeg::Field(name) => obj.get(&format!("f:{name}")),
            FSeg::Index(idx) => obj.get(&format!("i:{idx}")),
            FSeg::Value(v) => obj.get(&format!("v:{v}")),
            FSeg::Key(key) => obj.iter().find_map(|(k, c)| {
                let raw = k.strip_prefix("k:")?;
                let parsed: Map<String, J> = serde_json::from_str(raw).ok()?;
                (parsed == *key).then_some(c)
            }),
        };
        node = child?;
    }
    Some(fpath.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_follows_keys_and_atomic_leaves() {
        let live = serde_json::json!({"metadata": {"managedFields": [
            {"manager": "a", "operation": "Update", "time": "2026-01-01T00:00:00Z",
             "fieldsV1": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {"f:image": {}, "f:envFrom": {}}}}}},
            {"manager": "b", "operation": "Apply", "time": "2026-01-02T00:00:00Z",
             "fieldsV1": {"f:spec": {"f:replicas": {}}}}
        ]}});
        let mut key = Map::new();
        key.insert("name".into(), "web".into());
        let f = |s: &str| FSeg::Field(s.into());
        let image = [
            f("spec"),
            f("containers"),
            FSeg::Key(key.clone()),
            f("image"),
        ];
        assert_eq!(owner(&live, &image).unwrap().manager, "a");
        let deep = [
            f("spec"),
            f("containers"),
            FSeg::Key(key),
            f("envFrom"),
            FSeg::Index(0),
        ];
        assert_eq!(owner(&live, &deep).unwrap().manager, "a");
        let replicas = owner(&live, &[f("spec"), f("replicas")]).unwrap();
        assert_eq!(
            (replicas.manager.as_str(), replicas.operation.as_str()),
            ("b", "Apply")
        );
        assert!(owner(&live, &[f("spec"), f("paused")]).is_none());
    }
}
