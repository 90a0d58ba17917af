//! Terraform plan JSON (`terraform show -json` of a plan, or of a state).
//!
//! One document per managed resource, in the shared AWS resource model: `change.after` with
//! `after_unknown` merged in as unknown values (naming the reference the configuration gives,
//! when it gives one). When the `.tf` files that produced the plan are part of the same scan
//! (the plan's directory is the root module; local module calls are followed), each resource
//! and attribute points at its line there; otherwise at the plan file's own lines.

use crate::load::cloudformation::intrinsics;
use crate::load::cloudformation::{entry, str_entry};
use crate::load::tree::{Entry, Node, Value};
use crate::load::{Document, Files, LoadOptions, Loaded, SourceFile};
use crate::model::{NoteLevel, Notification, Pos, Subject};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A plan or a state as `terraform show -json` writes them: top-level `format_version` with
/// `planned_values`/`resource_changes` (plan) or `values` (state).
pub fn is_plan(node: &Node) -> bool {
    node.get("format_version").is_some()
        && (node.get("planned_values").is_some()
            || node.get("resource_changes").is_some()
            || node
                .get("values")
                .is_some_and(|v| v.get("root_module").is_some()))
}

/// One managed resource of the plan.
struct PlanResource {
    address: String,
    module: String,
    ty: String,
    name: String,
    start: Pos,
    attributes: Node,
}

pub fn plan_documents(doc: Document, _opts: &LoadOptions, files: &dyn Files, loaded: &mut Loaded) {
    let plan = &doc.node;
    let is_state = plan.get("planned_values").is_none() && plan.get("resource_changes").is_none();
    let source = if is_state {
        "terraform-state"
    } else {
        "terraform-plan"
    };
    let config = Config::of(plan);
    let mut resources = Vec::new();
    match plan.get("resource_changes").map(|n| &n.value) {
        Some(Value::Seq(changes)) => {
            for c in changes {
                if let Some(r) = from_change(c, &config) {
                    resources.push(r);
                }
            }
        }
        _ => {
            let values = plan.get("planned_values").or_else(|| plan.get("values"));
            if let Some(root) = values.and_then(|v| v.get("root_module")) {
                from_module_values(root, &mut resources);
            }
        }
    }
    let plan_dir = parent_dir(&doc.file.path).to_string();
    let mut hcl = HclIndex::new(files, &plan_dir, &config);
    let mut by_module: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in resources.iter().enumerate() {
        by_module.entry(r.module.clone()).or_default().push(i);
    }
    // `related`: per module, its resources (each document sees the others); `slot`: each
    // resource's place in its module's set.
    let mut slot = vec![0; resources.len()];
    for members in by_module.values() {
        for (k, &j) in members.iter().enumerate() {
            slot[j] = k;
        }
    }
    let related: BTreeMap<&str, Arc<crate::load::RelatedSet>> = by_module
        .iter()
        .map(|(module, members)| {
            let items = members
                .iter()
                .map(|&j| {
                    let o = &resources[j];
                    let start = o.start;
                    Node::new(
                        Value::Map(vec![
                            str_entry("type", &o.ty, start),
                            str_entry("name", &o.name, start),
                            str_entry("address", &o.address, start),
                            entry("attributes", o.attributes.clone(), start),
                        ]),
                        start,
                        None,
                    )
                })
                .collect();
            (module.as_str(), crate::load::RelatedSet::new(items))
        })
        .collect();
    let mut out = Vec::with_capacity(resources.len());
    for (i, r) in resources.iter().enumerate() {
        let mut d = Document::new(
            Arc::clone(&doc.file),
            doc.index,
            Node::new(Value::Null, r.start, None),
        );
        let mut attributes = r.attributes.clone();
        let mut start = r.start;
        let mut src = 0u16;
        if let Some((file, block_start, body)) = hcl.resource(&r.module, &r.ty, &r.name) {
            d.extra_files.push(Arc::clone(&file));
            src = d.extra_files.len() as u16;
            start = block_start;
            attributes.start = block_start;
            attributes.src = src;
            place(&mut attributes, &body, &file, src);
        }
        let via = hcl.via(&r.module);
        let mut root = Node::new(
            Value::Map(vec![
                str_entry("source", source, start),
                str_entry("type", &r.ty, start),
                str_entry("name", &r.name, start),
                str_entry("address", &r.address, start),
                str_entry("module", &r.module, start),
                entry("attributes", attributes, start),
            ]),
            start,
            None,
        );
        if src != 0 {
            // The wrapper points at the resource block; attributes keep their own files.
            root.src = src;
            if let Value::Map(entries) = &mut root.value {
                for e in entries.iter_mut().filter(|e| e.key != "attributes") {
                    e.value.set_src(src);
                }
            }
        }
        d.node = root;
        d.related = Some(crate::load::Related::new(
            &related[r.module.as_str()],
            Some(slot[i]),
        ));
        d.subject = Some(Subject {
            source: source.to_string(),
            kind: r.ty.clone(),
            address: r.address.clone(),
            via,
        });
        out.push(d);
    }
    loaded.notifications.append(&mut hcl.notifications);
    if out.is_empty() {
        // A plan that creates nothing: nothing to check, but say so rather than go quiet.
        loaded.notifications.push(
            Notification::new(
                NoteLevel::Note,
                "terraform-plan-empty",
                format!(
                    "{}: the Terraform plan has no managed resources to check",
                    doc.file.path
                ),
            )
            .at(doc.file.path.clone(), Some(Pos::new(1, 1))),
        );
    }
    loaded.documents.extend(out);
}

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn str_of<'a>(node: &'a Node, key: &str) -> &'a str {
    node.get(key).and_then(Node::as_str).unwrap_or_default()
}

fn from_change(c: &Node, config: &Config) -> Option<PlanResource> {
    if str_of(c, "mode") != "managed" {
        return None;
    }
    let change = c.get("change")?;
    let after = change.get("after")?;
    if !matches!(after.value, Value::Map(_)) {
        return None; // deleted: nothing will exist to check
    }
    let address = str_of(c, "address").to_string();
    let module = str_of(c, "module_address").to_string();
    let ty = str_of(c, "type").to_string();
    let name = str_of(c, "name").to_string();
    let mut attributes = after.clone();
    if let Some(unknown) = change.get("after_unknown") {
        let expressions = config.expressions(&module, &ty, &name);
        merge_unknown(&mut attributes, unknown, expressions, true);
    }
    Some(PlanResource {
        address,
        module,
        ty,
        name,
        start: c.start,
        attributes,
    })
}

fn from_module_values(module: &Node, out: &mut Vec<PlanResource>) {
    let module_address = str_of(module, "address").to_string();
    if let Some(Value::Seq(rs)) = module.get("resources").map(|n| &n.value) {
        for r in rs {
            if str_of(r, "mode") != "managed" {
                continue;
            }
            let Some(values) = r.get("values") else {
                continue;
            };
            out.push(PlanResource {
                address: str_of(r, "address").to_string(),
                module: module_address.clone(),
                ty: str_of(r, "type").to_string(),
                name: str_of(r, "name").to_string(),
                start: r.start,
                attributes: values.clone(),
            });
        }
    }
    if let Some(Value::Seq(children)) = module.get("child_modules").map(|n| &n.value) {
        for c in children {
            from_module_values(c, out);
        }
    }
}

/// Sets `{"$unknown": reference}` wherever `after_unknown` says the value is known only
/// after apply.
fn merge_unknown(value: &mut Node, unknown: &Node, expressions: Option<&Node>, top: bool) {
    match (&mut value.value, &unknown.value) {
        (Value::Map(entries), Value::Map(unknowns)) => {
            for u in unknowns {
                let expr = expressions.and_then(|e| e.get(&u.key));
                let reference = || {
                    expr.and_then(|e| e.get("references"))
                        .and_then(|r| match &r.value {
                            Value::Seq(items) => items.first().and_then(Node::as_str),
                            _ => None,
                        })
                        .unwrap_or_default()
                        .to_string()
                };
                match (&u.value.value, entries.iter_mut().find(|e| e.key == u.key)) {
                    (Value::Bool(true), Some(e)) => {
                        let at = e.value.start;
                        e.value = intrinsics::unknown(&reference(), at);
                    }
                    (Value::Bool(true), None) => {
                        let at = unknown.start;
                        entries.push(entry(&u.key, intrinsics::unknown(&reference(), at), at));
                    }
                    (Value::Map(_) | Value::Seq(_), Some(e)) => {
                        // Nested blocks: the expressions of the first block, if any.
                        let nested = expr.and_then(|x| match &x.value {
                            Value::Seq(items) => items.first(),
                            _ => Some(x),
                        });
                        merge_unknown(&mut e.value, &u.value, nested, false);
                    }
                    _ => {}
                }
            }
        }
        (Value::Seq(items), Value::Seq(unknowns)) => {
            for (item, u) in items.iter_mut().zip(unknowns) {
                if matches!(u.value, Value::Bool(true)) {
                    let at = item.start;
                    *item = intrinsics::unknown("", at);
                } else {
                    merge_unknown(item, u, expressions, false);
                }
            }
        }
        _ => {}
    }
    let _ = top;
}

/// The plan's `configuration`: module call sources and resource expressions.
struct Config<'p> {
    /// Module address (`module.a.module.b`) → its configuration module.
    modules: BTreeMap<String, &'p Node>,
    /// Module address → (call name, source) of the call that instantiates it.
    calls: BTreeMap<String, (String, String)>,
}

impl<'p> Config<'p> {
    fn of(plan: &'p Node) -> Self {
        let mut c = Config {
            modules: BTreeMap::new(),
            calls: BTreeMap::new(),
        };
        if let Some(root) = plan.get("configuration").and_then(|c| c.get("root_module")) {
            c.walk(String::new(), root);
        }
        c
    }

    fn walk(&mut self, address: String, module: &'p Node) {
        self.modules.insert(address.clone(), module);
        if let Some(Value::Map(calls)) = module.get("module_calls").map(|n| &n.value) {
            for call in calls {
                let child = if address.is_empty() {
                    format!("module.{}", call.key)
                } else {
                    format!("{address}.module.{}", call.key)
                };
                self.calls.insert(
                    child.clone(),
                    (call.key.clone(), str_of(&call.value, "source").to_string()),
                );
                if let Some(m) = call.value.get("module") {
                    self.walk(child, m);
                }
            }
        }
    }

    /// Module address of a resource (`module.a["x"].module.b[0]`) without instance keys.
    fn module_key(module: &str) -> String {
        let mut out = String::new();
        let mut depth = 0;
        for c in module.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out
    }

    fn expressions(&self, module: &str, ty: &str, name: &str) -> Option<&'p Node> {
        let m = self.modules.get(&Self::module_key(module))?;
        let Value::Seq(rs) = &m.get("resources")?.value else {
            return None;
        };
        rs.iter()
            .find(|r| {
                str_of(r, "type") == ty && str_of(r, "name") == name && str_of(r, "mode") != "data"
            })
            .and_then(|r| r.get("expressions"))
    }
}

/// The `.tf` files of the scan, parsed on demand, per module directory.
struct HclIndex<'f> {
    files: &'f dyn Files,
    root_dir: String,
    calls: BTreeMap<String, (String, String)>,
    parsed: BTreeMap<String, Vec<(Arc<SourceFile>, hcl_edit::structure::Body)>>,
    notifications: Vec<Notification>,
}

impl<'f> HclIndex<'f> {
    fn new(files: &'f dyn Files, root_dir: &str, config: &Config) -> Self {
        Self {
            files,
            root_dir: root_dir.to_string(),
            calls: config.calls.clone(),
            parsed: BTreeMap::new(),
            notifications: Vec::new(),
        }
    }

    /// The directory of a module (`""` root → the plan's directory), for local sources.
    fn dir_of(&self, module: &str) -> Option<String> {
        let key = Config::module_key(module);
        if key.is_empty() {
            return Some(self.root_dir.clone());
        }
        let (_, source) = self.calls.get(&key)?;
        if !(source.starts_with("./") || source.starts_with("../")) {
            return None; // a registry or remote module: not in the repository
        }
        let parent = match key.rfind(".module.") {
            Some(i) => self.dir_of(&key[..i])?,
            None => self.root_dir.clone(),
        };
        crate::source::normalize_join(&parent, source)
    }

    fn bodies(&mut self, dir: &str) -> &[(Arc<SourceFile>, hcl_edit::structure::Body)] {
        if !self.parsed.contains_key(dir) {
            let mut out = Vec::new();
            for p in self.files.paths() {
                if parent_dir(p) != dir || !p.ends_with(".tf") {
                    continue;
                }
                let Some(Ok(file)) = self.files.read(p) else {
                    continue;
                };
                match hcl_edit::parser::parse_body(&file.text) {
                    Ok(body) => out.push((file, body)),
                    Err(e) => self.notifications.push(
                        Notification::new(
                            NoteLevel::Warning,
                            "terraform-plan-source",
                            format!(
                                "{p}: could not be parsed ({}), so plan resources it declares \
                                 point at the plan file instead",
                                e.message()
                            ),
                        )
                        .at(p.clone(), None),
                    ),
                }
            }
            self.parsed.insert(dir.to_string(), out);
        }
        &self.parsed[dir]
    }

    /// The `resource "type" "name"` block of a resource: its file, position and body.
    fn resource(
        &mut self,
        module: &str,
        ty: &str,
        name: &str,
    ) -> Option<(Arc<SourceFile>, Pos, hcl_edit::structure::Body)> {
        let dir = self.dir_of(module)?;
        for (file, body) in self.bodies(&dir) {
            for b in body.iter().filter_map(|s| s.as_block()) {
                if b.ident.as_str() == "resource"
                    && b.labels.len() == 2
                    && b.labels[0].as_str() == ty
                    && b.labels[1].as_str() == name
                {
                    let at = span_pos(file, b)?;
                    return Some((Arc::clone(file), at, b.body.clone()));
                }
            }
        }
        None
    }

    /// `file:line module.name` for each module call from the root to `module`.
    fn via(&mut self, module: &str) -> Vec<String> {
        let key = Config::module_key(module);
        if key.is_empty() {
            return Vec::new();
        }
        let (parent, name) = match key.rfind(".module.") {
            Some(i) => (key[..i].to_string(), key[i + 8..].to_string()),
            None => (String::new(), key.trim_start_matches("module.").to_string()),
        };
        let mut out = self.via(&parent);
        let mut here = format!("module.{name}");
        if let Some(dir) = self.dir_of(&parent) {
            'files: for (file, body) in self.bodies(&dir) {
                for b in body.iter().filter_map(|s| s.as_block()) {
                    if b.ident.as_str() == "module"
                        && b.labels.first().is_some_and(|l| l.as_str() == name)
                    {
                        if let Some(at) = span_pos(file, b) {
                            here = format!("{}:{} module.{name}", file.path, at.line);
                        }
                        break 'files;
                    }
                }
            }
        }
        out.push(here);
        out
    }
}

fn span_pos(file: &SourceFile, item: &impl hcl_edit::Span) -> Option<Pos> {
    let span = item.span()?;
    Some(file.pos(u32::try_from(span.start).ok()?))
}

/// Moves the positions of plan values to the `.tf` lines that set them.
fn place(value: &mut Node, body: &hcl_edit::structure::Body, file: &SourceFile, src: u16) {
    let Value::Map(entries) = &mut value.value else {
        return;
    };
    let mut blocks: BTreeMap<&str, Vec<&hcl_edit::structure::Block>> = BTreeMap::new();
    for s in body.iter() {
        match s {
            hcl_edit::structure::Structure::Attribute(a) => {
                if let Some(e) = entries.iter_mut().find(|e| e.key == a.key.as_str()) {
                    if let Some(at) = span_pos(file, a) {
                        e.key_start = at;
                        e.key_end_byte = None;
                        e.value.set_src(src);
                        set_start(&mut e.value, at);
                    }
                }
            }
            hcl_edit::structure::Structure::Block(b) => {
                blocks.entry(b.ident.as_str()).or_default().push(b);
            }
        }
    }
    for (ident, bs) in blocks {
        let Some(e) = entries.iter_mut().find(|e| e.key == ident) else {
            continue;
        };
        let Some(first) = bs.first().and_then(|b| span_pos(file, *b)) else {
            continue;
        };
        e.key_start = first;
        e.value.start = first;
        e.value.src = src;
        if let Value::Seq(items) = &mut e.value.value {
            for (item, b) in items.iter_mut().zip(&bs) {
                if let Some(at) = span_pos(file, *b) {
                    item.start = at;
                    item.end_byte = None;
                    item.src = src;
                    place(item, &b.body, file, src);
                }
            }
        }
    }
}

/// A value set by one HCL attribute: it and everything in it point at that line.
fn set_start(node: &mut Node, at: Pos) {
    node.start = at;
    node.end_byte = None;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| set_start(n, at)),
        Value::Map(entries) => entries.iter_mut().for_each(|e: &mut Entry| {
            e.key_start = at;
            set_start(&mut e.value, at);
        }),
        _ => {}
    }
}
