//! Helm's value coalescing (`pkg/chart/common/util/coalesce.go`) and dependency processing
//! (`pkg/chart/v2/util/dependencies.go`), on values with Go's reference semantics.
//!
//! Helm's values are `map[string]interface{}`: maps are references, and the coalescing code
//! copies some of them shallowly (globals) and then merges into them, so a change made while
//! coalescing one subchart can be seen through another path (a subchart's nested `global`
//! defaults reach the parent's `global` tables). To give the same values in every case, the
//! functions here work on [`G`], whose maps are shared (`Rc<RefCell<…>>`) exactly where Go's
//! are, and follow Helm's code step by step; maps are iterated in key order (Go's order is
//! random, which only changes the order of warnings).

use super::super::chart::semver::is_compatible_range;
use super::super::chart::{Chart, Dependency};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

pub(super) type GMap = Rc<RefCell<BTreeMap<String, G>>>;

/// A Go value of Helm's values: `nil`, a scalar, a list or a map (shared).
#[derive(Debug, Clone)]
pub(super) enum G {
    Null,
    Leaf(Value),
    List(Rc<Vec<G>>),
    Map(GMap),
}

pub(super) fn new_map() -> GMap {
    Rc::new(RefCell::new(BTreeMap::new()))
}

/// A deep copy of a JSON value (Go's `copystructure.Copy`).
pub(super) fn from_json(v: &Value) -> G {
    match v {
        Value::Null => G::Null,
        Value::Array(items) => G::List(Rc::new(items.iter().map(from_json).collect())),
        Value::Object(m) => G::Map(map_from_json(m)),
        leaf => G::Leaf(leaf.clone()),
    }
}

pub(super) fn map_from_json(m: &serde_json::Map<String, Value>) -> GMap {
    Rc::new(RefCell::new(
        m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect(),
    ))
}

pub(super) fn to_json(g: &G) -> Value {
    match g {
        G::Null => Value::Null,
        G::Leaf(v) => v.clone(),
        G::List(items) => Value::Array(items.iter().map(to_json).collect()),
        G::Map(m) => Value::Object(map_to_json(m)),
    }
}

pub(super) fn map_to_json(m: &GMap) -> serde_json::Map<String, Value> {
    m.borrow()
        .iter()
        .map(|(k, v)| (k.clone(), to_json(v)))
        .collect()
}

fn get(m: &GMap, key: &str) -> Option<G> {
    m.borrow().get(key).cloned()
}

fn set(m: &GMap, key: &str, v: G) {
    m.borrow_mut().insert(key.to_string(), v);
}

/// The warnings Helm logs while it processes values (it prints them on stderr).
#[derive(Debug, Default)]
pub(super) struct Warnings {
    pub list: Vec<String>,
}

impl Warnings {
    fn push(&mut self, msg: String) {
        if !self.list.contains(&msg) {
            self.list.push(msg);
        }
    }
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// A value described without its content (warnings must not print values: they may be
/// secrets). A table shows its keys.
pub(super) fn describe(g: &G) -> String {
    match g {
        G::Null => "null".into(),
        G::Leaf(Value::Bool(_)) => "a boolean".into(),
        G::Leaf(Value::Number(_)) => "a number".into(),
        G::Leaf(Value::String(_)) => "a string".into(),
        G::Leaf(_) => "a value".into(),
        G::List(items) => format!("a list of {} items", items.len()),
        G::Map(m) => {
            let m = m.borrow();
            if m.is_empty() {
                "an empty table".into()
            } else {
                let keys: Vec<&str> = m.keys().map(String::as_str).collect();
                format!(
                    "a table with keys {}",
                    crate::textsafe::escape(&keys.join(", "))
                )
            }
        }
    }
}

/// Helm's `coalesce`: the chart's values, then its dependencies', into `dest`.
pub(super) fn coalesce(
    w: &mut Warnings,
    ch: &Chart,
    dest: &GMap,
    prefix: &str,
    merge: bool,
) -> Result<(), String> {
    coalesce_values(w, ch, dest, prefix, merge);
    coalesce_deps(w, ch, dest, prefix, merge)
}

/// Helm's `coalesceDeps`.
fn coalesce_deps(
    w: &mut Warnings,
    ch: &Chart,
    dest: &GMap,
    prefix: &str,
    merge: bool,
) -> Result<(), String> {
    for sub in &ch.dependencies {
        let name = sub.name();
        let dvmap = match get(dest, name) {
            None => {
                let m = new_map();
                set(dest, name, G::Map(m.clone()));
                m
            }
            Some(G::Map(m)) => m,
            Some(other) => {
                return Err(format!(
                    "type mismatch on {name}: the values of subchart {name} must be a table, \
                     not {}",
                    describe(&other)
                ))
            }
        };
        let sub_prefix = concat_prefix(prefix, ch.name());
        coalesce_globals(w, &dvmap, dest, &sub_prefix);
        coalesce(w, sub, &dvmap, &sub_prefix, merge)?;
        set(dest, name, G::Map(dvmap));
    }
    Ok(())
}

/// Helm's `coalesceGlobals`: the parent's (`src`) `global` table into the subchart's
/// (`dest`), the parent's values winning.
fn coalesce_globals(w: &mut Warnings, dest: &GMap, src: &GMap, prefix: &str) {
    let dg = match get(dest, "global") {
        None => new_map(),
        Some(G::Map(m)) => m,
        Some(_) => {
            w.push("warning: skipping globals because destination global is not a table.".into());
            return;
        }
    };
    let sg = match get(src, "global") {
        None => new_map(),
        Some(G::Map(m)) => m,
        Some(_) => {
            w.push("warning: skipping globals because source global is not a table.".into());
            return;
        }
    };
    let entries: Vec<(String, G)> = sg
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, val) in entries {
        if let G::Map(vm) = &val {
            // A shallow copy: the nested tables stay shared with the parent's.
            let vv: GMap = Rc::new(RefCell::new(vm.borrow().clone()));
            match get(&dg, &key) {
                None => set(&dg, &key, G::Map(vv)),
                Some(G::Map(destvmap)) => {
                    coalesce_tables(w, &vv, &destvmap, &concat_prefix(prefix, &key), true);
                    set(&dg, &key, G::Map(vv));
                }
                Some(_) => w.push(format!(
                    "Conflict: cannot merge map onto non-map for {key:?}. Skipping."
                )),
            }
        } else if matches!(get(&dg, &key), Some(G::Map(_))) {
            w.push(format!("key {key} is table. Skipping"));
        } else {
            set(&dg, &key, val);
        }
    }
    set(dest, "global", G::Map(dg));
}

/// Helm's `coalesceValues` (helm 4.2): the chart's default values under the values `v` (the
/// values win; a null in `v` deletes the default, unless merging). When coalescing (not
/// merging), nulls of the chart's own defaults are dropped (Helm 4.2 cleans them so that a
/// subchart's `null` default does not print as `%!s(<nil>)`): a default that is null is not
/// copied, and a default table is copied without its null entries, at any depth.
fn coalesce_values(w: &mut Warnings, ch: &Chart, v: &GMap, prefix: &str, merge: bool) {
    let sub_prefix = concat_prefix(prefix, ch.name());
    let G::Map(vc) = from_json(&ch.values) else {
        return;
    };
    let entries: Vec<(String, G)> = vc
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, val) in entries {
        match get(v, &key) {
            Some(G::Null) if !merge => {
                v.borrow_mut().remove(&key);
            }
            Some(G::Map(dest)) => match &val {
                G::Map(src) => {
                    // A subchart's table is merged keeping nulls: they are removed when the
                    // subchart's own values are coalesced.
                    let merge = merge || ch.dependencies.iter().any(|d| d.name() == key);
                    if !merge {
                        clean_nil_values(src);
                    }
                    coalesce_tables(w, &dest, src, &concat_prefix(&sub_prefix, &key), merge);
                }
                G::Null => {}
                _ => w.push(format!(
                    "warning: skipped value for {sub_prefix}.{key}: Not a table."
                )),
            },
            Some(_) => {}
            None => {
                if !merge {
                    match &val {
                        G::Null => continue,
                        G::Map(m) => clean_nil_values(m),
                        _ => {}
                    }
                }
                set(v, &key, val);
            }
        }
    }
}

/// Removes the null entries of a table and of the tables under it (not inside lists).
fn clean_nil_values(m: &GMap) {
    m.borrow_mut().retain(|_, v| !matches!(v, G::Null));
    let children: Vec<GMap> = m
        .borrow()
        .values()
        .filter_map(|v| match v {
            G::Map(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    for c in children {
        if !Rc::ptr_eq(&c, m) {
            clean_nil_values(&c);
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `src` into `dst`, `dst` winning. A null in `dst` deletes
/// the key (when coalescing) only where `src` had a value that is not null.
pub(super) fn coalesce_tables(w: &mut Warnings, dst: &GMap, src: &GMap, prefix: &str, merge: bool) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    let src_non_nil: Vec<String> = src
        .borrow()
        .iter()
        .filter(|(_, v)| !matches!(v, G::Null))
        .map(|(k, _)| k.clone())
        .collect();
    // A null in dst is written into src (Go does this, and src may be shared).
    let nulls: Vec<String> = dst
        .borrow()
        .iter()
        .filter(|(_, v)| matches!(v, G::Null))
        .map(|(k, _)| k.clone())
        .collect();
    for k in nulls {
        set(src, &k, G::Null);
    }
    let entries: Vec<(String, G)> = src
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, val) in entries {
        let fullkey = concat_prefix(prefix, &key);
        match get(dst, &key) {
            Some(G::Null) if !merge && src_non_nil.contains(&key) => {
                dst.borrow_mut().remove(&key);
            }
            None => set(dst, &key, val),
            Some(dv) => match (&val, &dv) {
                (G::Map(sv), G::Map(dm)) => coalesce_tables(w, dm, sv, &fullkey, merge),
                (G::Map(_), _) => w.push(format!(
                    "warning: cannot overwrite table with non table for {fullkey} ({})",
                    describe(&val)
                )),
                (G::Null, _) => {}
                (_, G::Map(_)) => w.push(format!(
                    "warning: destination for {fullkey} is a table. Ignoring non-table value ({})",
                    describe(&val)
                )),
                _ => {}
            },
        }
    }
}

/// Helm's `CoalesceValues`: the release values of `ch` with `vals` given (a deep copy of
/// `vals` is coalesced).
pub(super) fn coalesce_values_of(
    w: &mut Warnings,
    ch: &Chart,
    vals: &serde_json::Map<String, Value>,
) -> Result<GMap, String> {
    let dest = map_from_json(vals);
    coalesce(w, ch, &dest, "", false)?;
    Ok(dest)
}

/// Helm's `MergeValues(ch, nil)`: like coalescing, nulls kept.
fn merge_values_of(w: &mut Warnings, ch: &Chart) -> Result<GMap, String> {
    let dest = new_map();
    coalesce(w, ch, &dest, "", true)?;
    Ok(dest)
}

/// `Values.Table`: the table at a dotted path, shared.
fn table(v: &GMap, path: &str) -> Result<GMap, String> {
    let mut t = v.clone();
    for seg in path.split('.') {
        let next = match get(&t, seg) {
            Some(G::Map(m)) => m,
            _ => return Err(format!("{seg:?} is not a table")),
        };
        t = next;
    }
    Ok(t)
}

/// `Values.PathValue`: the non-table value at a dotted path.
fn path_value(v: &GMap, path: &str) -> Option<G> {
    let segs: Vec<&str> = path.split('.').collect();
    let (key, parents) = segs.split_last()?;
    let t = if parents.is_empty() {
        v.clone()
    } else {
        table(v, &parents.join(".")).ok()?
    };
    match get(&t, key) {
        Some(G::Map(_)) | None => None,
        Some(val) => Some(val),
    }
}

/// Helm's `ProcessDependencies`: drops the disabled dependencies (conditions and tags),
/// applies aliases, then imports values from children into parents (`import-values`).
pub(super) fn process_dependencies(
    w: &mut Warnings,
    c: &mut Chart,
    user: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    process_dependency_enabled(w, c, user, "")?;
    process_dependency_import_values(w, c)
}

fn get_alias_dependency(charts: &[Chart], dep: &Dependency) -> Option<Chart> {
    let c = charts
        .iter()
        .find(|c| c.name() == dep.name && is_compatible_range(&dep.version, &c.metadata.version))?;
    let mut out = c.clone();
    if !dep.alias.is_empty() {
        out.metadata.name = dep.alias.clone();
    }
    Some(out)
}

fn process_dependency_enabled(
    w: &mut Warnings,
    c: &mut Chart,
    v: &serde_json::Map<String, Value>,
    path: &str,
) -> Result<(), String> {
    let Some(mut reqs) = c.metadata.dependencies.clone() else {
        return Ok(());
    };
    // Vendored charts no dependency names (by name and version) are kept as they are.
    let mut chart_deps: Vec<Chart> = c
        .dependencies
        .iter()
        .filter(|existing| {
            !reqs.iter().any(|req| {
                existing.name() == req.name
                    && is_compatible_range(&req.version, &existing.metadata.version)
            })
        })
        .cloned()
        .collect();
    for req in &mut reqs {
        if let Some(d) = get_alias_dependency(&c.dependencies, req) {
            chart_deps.push(d);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    c.dependencies = chart_deps;
    for r in &mut reqs {
        r.enabled = true;
    }
    c.metadata.dependencies = Some(reqs.clone());
    let cvals = coalesce_values_of(w, c, v)?;
    process_dependency_tags(w, &mut reqs, &cvals);
    process_dependency_conditions(w, &mut reqs, &cvals, path);
    let removed: Vec<String> = reqs
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    let mut kept: Vec<Chart> = std::mem::take(&mut c.dependencies)
        .into_iter()
        .filter(|d| !removed.iter().any(|n| n == d.name()))
        .collect();
    let kept_meta: Vec<Dependency> = reqs
        .into_iter()
        .filter(|r| !removed.contains(&r.name))
        .collect();
    let cvals_json = map_to_json(&cvals);
    for t in &mut kept {
        let subpath = format!("{path}{}.", t.name());
        process_dependency_enabled(w, t, &cvals_json, &subpath)?;
    }
    c.metadata.dependencies = if kept_meta.is_empty() {
        None
    } else {
        Some(kept_meta)
    };
    c.dependencies = kept;
    Ok(())
}

/// Tags: a dependency is disabled when one of its tags is false and none is true.
fn process_dependency_tags(w: &mut Warnings, reqs: &mut [Dependency], cvals: &GMap) {
    let Ok(vt) = table(cvals, "tags") else {
        return;
    };
    for r in reqs {
        let (mut has_true, mut has_false) = (false, false);
        for k in &r.tags {
            match get(&vt, k) {
                Some(G::Leaf(Value::Bool(true))) => has_true = true,
                Some(G::Leaf(Value::Bool(false))) => has_false = true,
                Some(_) => w.push(format!(
                    "returned non-bool value: tag {k:?} of chart {:?} (a tag must be true or false)",
                    r.name
                )),
                None => {}
            }
        }
        if !has_true && has_false {
            r.enabled = false;
        } else if has_true || !has_false {
            r.enabled = true;
        }
    }
}

/// Conditions: the first path of a dependency's `condition` that holds a boolean decides.
fn process_dependency_conditions(
    w: &mut Warnings,
    reqs: &mut [Dependency],
    cvals: &GMap,
    cpath: &str,
) {
    for r in reqs {
        let condition = r.condition.trim().to_string();
        for c in condition.split(',') {
            if c.is_empty() {
                continue;
            }
            match path_value(cvals, &format!("{cpath}{c}")) {
                Some(G::Leaf(Value::Bool(b))) => {
                    r.enabled = b;
                    break;
                }
                Some(_) => w.push(format!(
                    "returned non-bool value: condition {c:?} of chart {:?} (a condition must \
                     name a true or false value)",
                    r.name
                )),
                None => {}
            }
        }
    }
}

fn process_dependency_import_values(w: &mut Warnings, c: &mut Chart) -> Result<(), String> {
    for d in &mut c.dependencies {
        process_dependency_import_values(w, d)?;
    }
    process_import_values(w, c)
}

/// `fmt.Sprintf("%v", v)` of a JSON value (a `child`/`parent` of `import-values`).
fn go_sprint(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<nil>".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if n.is_f64() => super::super::chart::yaml::go_format_float(f, 64),
            _ => n.to_string(),
        },
        Some(Value::Array(items)) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| go_sprint(Some(i)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Some(Value::Object(m)) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", go_sprint(Some(v))))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// Helm's `pathToMap`: `data` under the dotted path `parent` (`.` is the top).
fn path_to_map(parent: &str, data: GMap) -> GMap {
    if parent == "." {
        return data;
    }
    let mut cur = data;
    for seg in parent.split('.').rev() {
        let m = new_map();
        set(&m, seg, G::Map(cur));
        cur = m;
    }
    cur
}

/// `Values.AsMap`: an empty table is replaced by a new one.
fn as_map(m: GMap) -> GMap {
    if m.borrow().is_empty() {
        new_map()
    } else {
        m
    }
}

/// Helm's `processImportValues` (with merging, as Helm 4 does): the tables a parent imports
/// from its dependencies, under the parent's own values (the parent's values win).
fn process_import_values(w: &mut Warnings, c: &mut Chart) -> Result<(), String> {
    if c.metadata.dependencies.is_none() {
        return Ok(());
    }
    let cvals = merge_values_of(w, c)?;
    let b = new_map();
    let Some(reqs) = c.metadata.dependencies.as_mut() else {
        return Ok(());
    };
    for r in reqs.iter_mut() {
        let mut outiv = Vec::new();
        for riv in &r.import_values {
            match riv {
                Value::Object(iv) => {
                    let child = go_sprint(iv.get("child"));
                    let parent = go_sprint(iv.get("parent"));
                    outiv.push(serde_json::json!({"child": child, "parent": parent}));
                    match table(&cvals, &format!("{}.{child}", r.name)) {
                        Err(e) => w.push(format!(
                            "ImportValues missing table from chart {:?}: {e}",
                            r.name
                        )),
                        Ok(vv) => {
                            coalesce_tables(w, &b, &path_to_map(&parent, as_map(vv)), "", true);
                        }
                    }
                }
                Value::String(iv) => {
                    let child = format!("exports.{iv}");
                    outiv.push(serde_json::json!({"child": child, "parent": "."}));
                    match table(&cvals, &format!("{}.{child}", r.name)) {
                        Err(e) => w.push(format!(
                            "ImportValues missing table: {e} (chart {:?} exports no {iv:?})",
                            r.name
                        )),
                        Ok(vm) => coalesce_tables(w, &b, &as_map(vm), "", true),
                    }
                }
                _ => {}
            }
        }
        r.import_values = outiv;
    }
    // The parent's values (deep-copied) win over what it imports.
    let merged = map_from_json(&map_to_json(&cvals));
    coalesce_tables(w, &merged, &b, "", true);
    c.values = Value::Object(map_to_json(&merged));
    Ok(())
}
