//! Terraform configuration (HCL and `.tf.json`) and variable files, evaluated in-process the
//! way Terraform would before apply: variables, `locals`, functions, `count`/`for_each`,
//! `dynamic` blocks and local modules. What only apply can know is unknown.
//!
//! Each root module gives one document per managed resource instance, in the shape README
//! "Input models → AWS resources" describes, every value pointing at the expression that
//! produced it.
//!
//! Terraform's JSON forms are read here too: plans and states as `terraform show -json` writes
//! them ([`plan`], recognised among the YAML/JSON files with CloudFormation templates), and
//! raw states as `terraform state pull` prints them ([`state`], for `--tfstate`).

mod budget;
mod config;
mod data;
mod eval;
mod funcs;
mod kubernetes;
mod modules;
pub mod plan;
mod policy_document;
pub mod state;
mod types;
mod value;

use super::tree::{Entry, Node, Value as NV};
use super::{Document, Files, Format, IacOptions, LoadOptions, Loaded, Plan, SourceFile};
use crate::model::{NoteLevel, Notification, Pos, Subject};
use crate::source::normalize_join as join;
use budget::{Budget, Exceeded, Limit};
use config::{Blk, Body, Ex, Loc, ModuleDef};
use eval::{At, Env, Evaluator, Res};
use hcl_edit::expr::Expression;
use hcl_edit::Span;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use types::TypeConstraint;
pub use value::V;

/// Module calls nested deeper than this are not followed (a notification says so).
const MAX_MODULE_DEPTH: usize = 32;

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// The `.tf` and `.tf.json` files of the scan, by directory.
fn config_dirs(files: &dyn Files) -> BTreeMap<String, Vec<String>> {
    let mut dirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in files.paths() {
        if Format::of_path(p) == Some(Format::Terraform) {
            dirs.entry(parent_dir(p).to_string())
                .or_default()
                .push(p.clone());
        }
    }
    dirs
}

/// The local module directories a directory's files call (literal `source` strings).
fn called_dirs(files: &dyn Files, dir: &str, paths: &[String], opts: &LoadOptions) -> Vec<String> {
    let mut out = Vec::new();
    for (idx, p) in paths.iter().enumerate() {
        let Some(Ok(file)) = files.read(p) else {
            continue;
        };
        // Only a file that mentions `module` can call one: the others (most, and the
        // largest) are not parsed twice.
        if !file.text.contains("module") {
            continue;
        }
        let Ok(blocks) = config::parse_file(&file, idx, opts) else {
            continue;
        };
        for b in blocks.iter().filter(|b| b.kind == "module") {
            if let Some(src) = literal_source(b) {
                if is_local_source(&src) {
                    if let Some(target) = join(dir, strip_subdir(&src)) {
                        out.push(target);
                    }
                }
            }
        }
    }
    out
}

/// `./modules/x//sub` → `./modules/x/sub` (the package/subdirectory syntax).
fn strip_subdir(src: &str) -> &str {
    src
}

fn literal_source(b: &Blk) -> Option<String> {
    match &b.body.attr("source")?.expr {
        Ex::Hcl(Expression::String(s)) => Some(s.value().clone()),
        Ex::Hcl(Expression::StringTemplate(t)) => {
            let mut out = String::new();
            for el in t.iter() {
                out.push_str(el.as_literal()?.value());
            }
            Some(out)
        }
        Ex::Json(n) => n.as_str().map(str::to_string),
        _ => None,
    }
}

/// Adds the Terraform root modules of the scan to `plan`, and marks every `.tf`, `.tf.json`
/// and `.tfvars` file as consumed: they are loaded through their root modules (variable files
/// not auto-loaded are used through `--var-file`).
pub fn plan(files: &dyn Files, plan: &mut Plan) {
    let opts = LoadOptions::default();
    let mut dirs = config_dirs(files);
    for p in files.paths() {
        if matches!(Format::of_path(p), Some(Format::Terraform | Format::TfVars)) {
            plan.consumed.insert(p.clone());
        }
    }
    // What `terraform init` installed under `.terraform` is loaded through the root module
    // beside it (`modules.json` says which call each directory is for), never as roots.
    let installed: Vec<String> = dirs
        .keys()
        .filter(|d| modules::in_terraform_dir(d))
        .cloned()
        .collect();
    for d in &installed {
        dirs.remove(d);
    }
    // The rest of `.terraform` (modules.json, the backend's state file, the YAML and JSON of
    // installed packages' examples) is Terraform's working data, not this repository's
    // declared infrastructure: never loaded on its own, as when `.gitignore` leaves it out.
    for p in files.paths() {
        if modules::in_terraform_dir(parent_dir(p)) {
            plan.consumed.insert(p.clone());
        }
    }
    let calls: BTreeMap<&String, Vec<String>> = dirs
        .iter()
        .map(|(d, paths)| {
            let mut c = called_dirs(files, d, paths, &opts);
            c.retain(|t| t != d && dirs.contains_key(t));
            c.sort();
            c.dedup();
            (d, c)
        })
        .collect();
    let called: HashSet<&String> = calls.values().flatten().collect();
    let mut roots: Vec<String> = dirs
        .keys()
        .filter(|d| !called.contains(d))
        .cloned()
        .collect();
    // Directories reached only through a cycle of module calls have no root: the first of
    // each such cycle becomes one, so its files are loaded and the cycle is reported. What
    // the roots reach only grows, so one pass over the directories finds them all.
    let mut reached: HashSet<String> = HashSet::new();
    for r in &roots {
        reach(&calls, r, &mut reached);
    }
    for d in dirs.keys() {
        if !reached.contains(d) {
            roots.push(d.clone());
            reach(&calls, d, &mut reached);
        }
    }
    // The Terraform and variable files of each directory, so that each group takes its own
    // directories' files without a pass over the whole listing.
    let mut by_dir: HashMap<&str, Vec<&String>> = HashMap::new();
    for p in files.paths() {
        if matches!(Format::of_path(p), Some(Format::Terraform | Format::TfVars)) {
            by_dir.entry(parent_dir(p)).or_default().push(p);
        }
    }
    for r in roots {
        // The group reads the files of every directory it reaches through module calls.
        let mut group_dirs: HashSet<String> = HashSet::new();
        reach(&calls, &r, &mut group_dirs);
        let mut members: Vec<&String> = group_dirs
            .iter()
            .filter_map(|d| by_dir.get(d.as_str()))
            .flatten()
            .copied()
            .collect();
        // The installed modules of the root listed in the scan (`.terraform` committed, or
        // not ignored) belong to it: a change to them rescans it.
        let terraform_dir = join(&r, ".terraform").unwrap_or_default();
        members.extend(
            installed
                .iter()
                .filter(|d| d.starts_with(&format!("{terraform_dir}/")))
                .filter_map(|d| by_dir.get(d.as_str()))
                .flatten()
                .copied(),
        );
        members.sort();
        let group = super::Group::TerraformRoot(r.clone());
        for p in members {
            plan.add_member(&group, p);
        }
        plan.groups.push(group);
    }
}

/// Adds to `reached` the directories `from` reaches through module calls, itself included.
fn reach(calls: &BTreeMap<&String, Vec<String>>, from: &str, reached: &mut HashSet<String>) {
    let mut stack: Vec<String> = vec![from.to_string()];
    while let Some(d) = stack.pop() {
        if !reached.contains(&d) {
            if let Some(c) = calls.get(&d) {
                stack.extend(c.iter().cloned());
            }
            reached.insert(d);
        }
    }
}

/// Loads the root module in `dir` with the local modules it calls, within the default
/// evaluation budget ([`budget::DEFAULT_LIMITS`]).
pub fn load_root(files: &dyn Files, dir: &str, opts: &LoadOptions, iac: &IacOptions) -> Loaded {
    load_root_within(files, dir, opts, iac, budget::DEFAULT_LIMITS)
}

fn load_root_within(
    files: &dyn Files,
    dir: &str,
    opts: &LoadOptions,
    iac: &IacOptions,
    limits: budget::Limits,
) -> Loaded {
    let root = Root {
        files,
        opts,
        dir: dir.to_string(),
        dirs: RefCell::default(),
        modules: RefCell::default(),
        notes: RefCell::default(),
        noted: RefCell::default(),
        parse_error: RefCell::default(),
        unknown_fns: RefCell::default(),
        documents: RefCell::default(),
        related: !iac.skip_related,
        budget: Budget::new(limits),
        read_cache: RefCell::default(),
        ext: modules::External::new(dir, iac.modules.as_deref()),
    };
    let Some(def) = root.module(dir) else {
        return root.finish();
    };
    let inputs = root.root_inputs(&def, iac);
    let inst = Inst::new(
        &root,
        def,
        String::new(),
        Vec::new(),
        vec![dir.to_string()],
        inputs,
        true,
    );
    inst.run();
    root.finish()
}

/// Shared state of one root module's evaluation.
struct Root<'a> {
    files: &'a dyn Files,
    opts: &'a LoadOptions,
    dir: String,
    /// The configuration files of each directory looked at (`None`: it holds none), found
    /// when first needed.
    dirs: RefCell<HashMap<String, Option<Rc<[String]>>>>,
    modules: RefCell<HashMap<String, Rc<ModuleDef>>>,
    notes: RefCell<Vec<Notification>>,
    noted: RefCell<HashSet<String>>,
    parse_error: RefCell<Option<(String, Pos, String)>>,
    unknown_fns: RefCell<BTreeSet<String>>,
    documents: RefCell<Vec<Document>>,
    /// Build each resource's `related` (`IacOptions::skip_related` unset).
    related: bool,
    /// What the evaluation of this root module may still cost.
    budget: Budget,
    /// Files `file()` and `templatefile()` read, by path (`None`: not a file of the tree).
    read_cache: RefCell<HashMap<String, Option<Arc<SourceFile>>>>,
    /// Modules from outside the scanned tree: `.terraform/modules`, downloads.
    ext: modules::External<'a>,
}

impl Root<'_> {
    fn finish(self) -> Loaded {
        Loaded {
            documents: self.documents.into_inner(),
            notifications: self.notes.into_inner(),
            parse_error: self.parse_error.into_inner(),
            ..Loaded::default()
        }
    }

    /// Adds a notification once (the same module may be evaluated for several calls).
    fn note(&self, level: NoteLevel, code: &str, file: &str, pos: Option<Pos>, message: String) {
        let key = format!("{code}\0{file}\0{message}");
        if self.noted.borrow_mut().insert(key) {
            self.notes
                .borrow_mut()
                .push(Notification::new(level, code, message).at(file, pos));
        }
    }

    /// Reports (once) a `modules.json` that could not be read.
    fn manifest_problem(&self) {
        if let Some(problem) = self.ext.manifest_problem.borrow_mut().take() {
            let path = join(&self.dir, modules::MANIFEST).unwrap_or_default();
            self.note(
                NoteLevel::Warning,
                "terraform-modules-manifest",
                &path,
                None,
                problem,
            );
        }
    }

    /// The `.tf` and `.tf.json` files of the scan in `dir` (not in its subdirectories), from
    /// the sorted listing: only the paths under `dir/` are looked at.
    fn dir_files(&self, dir: &str) -> Option<Rc<[String]>> {
        if let Some(found) = self.dirs.borrow().get(dir) {
            return found.clone();
        }
        if self.ext.is_external(dir) {
            let found = self.ext.dir_files(self.files, dir);
            let found: Option<Rc<[String]>> = (!found.is_empty()).then(|| found.into());
            self.dirs
                .borrow_mut()
                .insert(dir.to_string(), found.clone());
            return found;
        }
        let paths = self.files.paths();
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let start = paths.partition_point(|p| p.as_str() < prefix.as_str());
        let found: Vec<String> = paths[start..]
            .iter()
            .take_while(|p| p.starts_with(&prefix))
            .filter(|p| {
                !p[prefix.len()..].contains('/') && Format::of_path(p) == Some(Format::Terraform)
            })
            .cloned()
            .collect();
        let found: Option<Rc<[String]>> = (!found.is_empty()).then(|| found.into());
        self.dirs
            .borrow_mut()
            .insert(dir.to_string(), found.clone());
        found
    }

    /// The parsed configuration of a directory (cached); `None` when it holds no
    /// configuration file of the scan.
    fn module(&self, dir: &str) -> Option<Rc<ModuleDef>> {
        if let Some(m) = self.modules.borrow().get(dir) {
            return Some(Rc::clone(m));
        }
        let paths = self.dir_files(dir)?;
        let mut def = ModuleDef {
            dir: dir.to_string(),
            ..ModuleDef::default()
        };
        for p in paths.iter() {
            let read = if self.ext.is_external(dir) {
                self.ext.read(self.files, p)
            } else {
                self.files.read(p)
            };
            let file = match read {
                Some(Ok(f)) => f,
                Some(Err(e)) => {
                    self.note(NoteLevel::Error, "read-error", p, None, e);
                    continue;
                }
                None => continue,
            };
            let idx = def.files.len();
            match config::parse_file(&file, idx, self.opts) {
                Ok(blocks) => {
                    def.files.push(file);
                    def.blocks.extend(blocks);
                }
                Err(e) => self.syntax_error(p, e.pos, &e.message),
            }
        }
        let def = Rc::new(def);
        self.modules
            .borrow_mut()
            .insert(dir.to_string(), Rc::clone(&def));
        Some(def)
    }

    /// A limit of the evaluation budget was reached at `path`/`pos`: an error notification
    /// (the scan is incomplete), once per place — and once per root module for the step
    /// budget, after which every evaluation of the module fails at once.
    fn limit_reached(&self, path: &str, pos: Option<Pos>, ex: &Exceeded, budget: &Budget) {
        let whole_module = ex.limit == Limit::Steps;
        if whole_module && budget.steps_reported.replace(true) {
            return;
        }
        let line = pos.map_or(String::new(), |p| format!(":{}", p.line));
        let consequence = if whole_module {
            format!(
                "evaluation of {} stopped here, and every value evaluated after this one is \
                 unknown to policies",
                display_dir(&self.dir)
            )
        } else {
            "its value is unknown to policies".to_string()
        };
        self.note(
            NoteLevel::Error,
            "terraform-limit",
            path,
            pos,
            format!(
                "{path}{line}: {} reached {}; {consequence}, and the scan is incomplete. Real \
                 modules stay far below this limit: look for a list or string that doubles, a \
                 huge range(), count or for_each, or locals that refer to each other without end",
                ex.what,
                ex.limit.describe(&budget.limits)
            ),
        );
    }

    /// A file `file()` or `templatefile()` names: a path relative to the root module (as
    /// Terraform reads it), else to the top of the scanned tree (`path.module` values are
    /// written that way). Any file of the tree may be read, template files included though
    /// the scan lists only the formats it loads; a path that leaves the tree is refused,
    /// whatever is there.
    fn read_in_tree(&self, path: &str) -> Result<Arc<SourceFile>, String> {
        let absolute = path.starts_with('/')
            || path.starts_with('\\')
            || path.starts_with('~')
            || path.as_bytes().get(1) == Some(&b':');
        let candidates: Vec<String> = if absolute {
            Vec::new()
        } else {
            let mut c: Vec<String> = [join(&self.dir, path), join("", path)]
                .into_iter()
                .flatten()
                .collect();
            c.dedup();
            c
        };
        if candidates.is_empty() {
            return Err(format!(
                "{path} is outside the scanned tree, and plumbline reads no file outside the \
                 repository it scans (the repository is untrusted); vendor the file into the \
                 repository if policies need its content"
            ));
        }
        for c in &candidates {
            if let Some(cached) = self.read_cache.borrow().get(c) {
                match cached {
                    Some(f) => return Ok(Arc::clone(f)),
                    None => continue,
                }
            }
            // A file of a downloaded module (`path.module` names its package).
            let read = match self.ext.read_downloaded(c) {
                Some(r) => Some(r),
                None => match self.files.read(c) {
                    Some(r) => Some(r),
                    None => self.files.read_unlisted(c),
                },
            };
            match read {
                Some(Ok(f)) => {
                    self.read_cache
                        .borrow_mut()
                        .insert(c.clone(), Some(Arc::clone(&f)));
                    return Ok(f);
                }
                Some(Err(e)) => return Err(e),
                None => {
                    self.read_cache.borrow_mut().insert(c.clone(), None);
                }
            }
        }
        Err(format!(
            "{path} is not a file of the scanned tree (looked for {}); check the path",
            candidates.join(" and ")
        ))
    }

    fn syntax_error(&self, path: &str, pos: Pos, message: &str) {
        self.note(
            NoteLevel::Error,
            "parse-error",
            path,
            Some(pos),
            format!(
                "{path}:{}:{}: {message} — fix the syntax (the other files of the module were \
                 loaded without this one), or exclude the file with --exclude",
                pos.line, pos.column
            ),
        );
        let mut pe = self.parse_error.borrow_mut();
        if pe.is_none() {
            *pe = Some((path.to_string(), pos, message.to_string()));
        }
    }

    /// Values of the root module's variables: `terraform.tfvars`, `*.auto.tfvars` (and their
    /// JSON forms), then `--var-file` in order, then `--var`.
    fn root_inputs(&self, def: &ModuleDef, iac: &IacOptions) -> HashMap<String, (V, Option<Loc>)> {
        let mut out = HashMap::new();
        let prefix = if self.dir.is_empty() {
            String::new()
        } else {
            format!("{}/", self.dir)
        };
        let paths = self.files.paths();
        let start = paths.partition_point(|p| p.as_str() < prefix.as_str());
        let mut auto: Vec<&String> = paths[start..]
            .iter()
            .take_while(|p| p.starts_with(&prefix))
            .filter(|p| {
                !p[prefix.len()..].contains('/') && {
                    let n = file_name(p);
                    n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                }
            })
            .collect();
        auto.sort();
        let mut ordered: Vec<String> = ["terraform.tfvars", "terraform.tfvars.json"]
            .iter()
            .map(|n| format!("{prefix}{n}"))
            .filter(|p| self.files.paths().binary_search(p).is_ok())
            .collect();
        ordered.extend(auto.into_iter().cloned());
        for p in ordered {
            match self.files.read(&p) {
                Some(Ok(f)) => self.read_tfvars(&f, &mut out),
                Some(Err(e)) => self.note(NoteLevel::Error, "read-error", &p, None, e),
                None => {}
            }
        }
        for p in &iac.var_files {
            let file = match self.files.read(p) {
                Some(Ok(f)) => f,
                Some(Err(e)) => {
                    self.note(NoteLevel::Error, "read-error", p, None, e);
                    continue;
                }
                None => match std::fs::read(p) {
                    Ok(bytes) => match super::decode_text(p, &bytes) {
                        Ok(text) => Arc::new(SourceFile::new(p.clone(), text)),
                        Err(e) => {
                            self.note(NoteLevel::Error, "read-error", p, None, e);
                            continue;
                        }
                    },
                    Err(e) => {
                        self.note(
                            NoteLevel::Error,
                            "var-file-error",
                            p,
                            None,
                            format!("--var-file {p}: cannot read it ({e}); check the path (it is read from the scan, else from the current directory)"),
                        );
                        continue;
                    }
                },
            };
            self.read_tfvars(&file, &mut out);
        }
        let types = variable_types(def);
        for (name, raw) in &iac.vars {
            out.insert(name.clone(), (cli_value(raw, types.get(name)), None));
        }
        out
    }

    fn read_tfvars(&self, file: &SourceFile, out: &mut HashMap<String, (V, Option<Loc>)>) {
        if file.path.ends_with(".json") {
            match serde_json::from_str::<serde_json::Value>(&file.text) {
                Ok(serde_json::Value::Object(o)) => {
                    for (k, v) in o {
                        out.insert(k, (V::from_json(&v), None));
                    }
                }
                Ok(_) => self.syntax_error(
                    &file.path,
                    Pos::new(1, 1),
                    "a variable file must hold an object",
                ),
                Err(e) => self.syntax_error(
                    &file.path,
                    Pos::new(e.line().max(1) as u32, e.column().max(1) as u32),
                    &format!("invalid JSON: {e}"),
                ),
            }
            return;
        }
        match hcl_edit::parser::parse_body(&file.text) {
            Ok(body) => {
                let env = NoRefs::default();
                for a in body.attributes() {
                    let name = a.key.value().as_str();
                    let mut ev = Evaluator::new(&env);
                    let result = ev.eval(&a.value);
                    let pos_of = |at: At| match at {
                        At::Byte(b) => Some(file.pos(b as u32)),
                        At::Pos(p) => Some(p),
                        At::Unknown => None,
                    };
                    let v = if let Some((ex, at)) = ev.exceeded.take() {
                        self.limit_reached(&file.path, pos_of(at), &ex, &env.budget);
                        V::unknown("")
                    } else {
                        result.unwrap_or_else(|e| {
                            let pos = a.value.span().map(|s| file.pos(s.start as u32));
                            let line = pos.map_or(String::new(), |p| format!(":{}", p.line));
                            self.note(
                                NoteLevel::Warning,
                                "terraform-eval-error",
                                &file.path,
                                pos,
                                format!(
                                    "{}{line}: variable {name} could not be evaluated ({e}); \
                                     policies see it as unknown",
                                    file.path
                                ),
                            );
                            V::unknown("")
                        })
                    };
                    out.insert(name.to_string(), (v, None));
                }
            }
            Err(e) => self.syntax_error(
                &file.path,
                Pos::new(
                    e.location().line().max(1) as u32,
                    e.location().column().max(1) as u32,
                ),
                e.message().lines().next().unwrap_or("syntax error"),
            ),
        }
    }
}

/// The declared `type` of each variable of a module that has a valid one.
fn variable_types(def: &ModuleDef) -> HashMap<String, TypeConstraint> {
    def.of_kind("variable")
        .filter_map(|b| {
            let name = b.labels.first()?.clone();
            let ty = TypeConstraint::from_ex(&b.body.attr("type")?.expr, &NoRefs::default())?;
            Some((name, ty))
        })
        .collect()
}

/// A `--var` value: a string for variables of a primitive type (converted to it later, as
/// Terraform does), else an HCL literal when it looks like one (number, bool, list, map),
/// else a string.
fn cli_value(raw: &str, ty: Option<&TypeConstraint>) -> V {
    if ty.is_some_and(TypeConstraint::is_primitive) {
        return V::Str(raw.to_string());
    }
    let t = raw.trim();
    let looks_literal = t == "true"
        || t == "false"
        || t == "null"
        || t.starts_with('[')
        || t.starts_with('{')
        || t.parse::<f64>().is_ok();
    if looks_literal {
        if let Ok(e) = hcl_edit::parser::parse_expr(t) {
            if let Ok(v) = Evaluator::new(&NoRefs::default()).eval(&e) {
                return v;
            }
        }
    }
    V::Str(raw.to_string())
}

/// Converts a variable's value to its declared type, as Terraform does (no type: as it is).
fn convert(v: V, ty: Option<&TypeConstraint>) -> V {
    match ty {
        Some(t) => t.convert(v),
        None => v,
    }
}

/// An environment without references: variable files, `--var` values and type expressions,
/// each with a budget of its own.
#[derive(Default)]
struct NoRefs {
    budget: Budget,
}

impl Env for NoRefs {
    fn resolve(&self, _root: &str, _attr: Option<&str>) -> Res {
        Res::Unknown
    }
    fn call_io(&self, _: &mut Evaluator, _: &str, _: &[V], _: At) -> Option<Result<V, String>> {
        None
    }
    fn unknown_function(&self, _: &str, _: At) {}
    fn undeclared(&self, _: &str, _: At) {}
    fn budget(&self) -> &Budget {
        &self.budget
    }
}

/// One instance of a module: the root, or one call (one `count`/`for_each` instance of it).
struct Inst<'r> {
    root: &'r Root<'r>,
    def: Rc<ModuleDef>,
    /// `module.a.module.b` (empty at the root).
    prefix: String,
    via: Vec<String>,
    /// Directories of the calls from the root to here (cycle detection).
    chain: Vec<String>,
    vars: HashMap<String, V>,
    declared: HashSet<String>,
    locals: RefCell<HashMap<String, Option<V>>>,
    /// Where each local is declared: its block in `def.blocks` and its attribute there.
    local_decls: HashMap<String, (usize, usize)>,
    /// The locals being evaluated, innermost last (to name a cycle between them).
    local_stack: RefCell<Vec<String>>,
    /// `module.NAME` values, computed on first use (`None`: not followed, or being computed).
    module_values: RefCell<HashMap<String, Option<V>>>,
    /// The instances of each `module` block, made once and shared by `module.NAME` and the
    /// run (`None`: not followed, or being made). Made again for each use, nested module
    /// calls would cost twice as much per level of nesting.
    children_of: RefCell<HashMap<String, Option<Children<'r>>>>,
    /// The call's key in `.terraform/modules/modules.json`: module names from the root,
    /// dot-joined, without instance keys (empty at the root).
    key: String,
    /// Set in a module from outside the scanned tree: the call in the tree that brings it.
    origin: Option<Arc<crate::load::ModuleOrigin>>,
    /// `data.TYPE.NAME` values computed in-process (`data.rs`), by `TYPE.NAME` (`None`: being
    /// computed).
    data_values: RefCell<HashMap<String, Option<V>>>,
}

/// The instances of one `module` block: address suffix and instance.
type Children<'r> = Rc<Vec<(String, Inst<'r>)>>;

/// A resource instance evaluated, before it becomes a document.
struct Evaluated {
    ty: String,
    name: String,
    address: String,
    file: usize,
    loc: Loc,
    attributes: Node,
}

impl<'r> Inst<'r> {
    fn new(
        root: &'r Root<'r>,
        def: Rc<ModuleDef>,
        prefix: String,
        via: Vec<String>,
        chain: Vec<String>,
        inputs: HashMap<String, (V, Option<Loc>)>,
        is_root: bool,
    ) -> Self {
        let mut local_decls = HashMap::new();
        for (bi, b) in def.blocks.iter().enumerate() {
            if b.kind == "locals" {
                for (ai, a) in b.body.attrs.iter().enumerate() {
                    local_decls.insert(a.name.clone(), (bi, ai));
                }
            }
        }
        let mut inst = Inst {
            root,
            def: Rc::clone(&def),
            prefix,
            via,
            chain,
            vars: HashMap::new(),
            declared: HashSet::new(),
            locals: RefCell::default(),
            local_decls,
            local_stack: RefCell::default(),
            module_values: RefCell::default(),
            children_of: RefCell::default(),
            key: String::new(),
            origin: None,
            data_values: RefCell::default(),
        };
        let types = variable_types(&def);
        inst.declared = def
            .of_kind("variable")
            .filter_map(|b| b.labels.first().cloned())
            .collect();
        let mut vars = HashMap::new();
        for b in def.of_kind("variable") {
            let Some(name) = b.labels.first() else {
                continue;
            };
            let ty = types.get(name);
            let value = match inputs.get(name) {
                Some((v, _)) => Some(v.clone()),
                None => b.body.attr("default").map(|d| {
                    let scope = Scope::new(&inst, b.file);
                    scope
                        .eval_ex(&d.expr, &mut Vec::new())
                        .unwrap_or(V::unknown(""))
                }),
            };
            let value = match value {
                Some(v) => convert(v, ty),
                None => {
                    let file = &def.files[b.file].path;
                    let line = b.loc.pos.line;
                    let how = if is_root {
                        format!("set it with --var {name}=VALUE or in a --var-file (or a terraform.tfvars)")
                    } else {
                        format!(
                            "pass it in the module call ({})",
                            inst.via.last().map_or("", String::as_str)
                        )
                    };
                    root.note(
                        NoteLevel::Warning,
                        "terraform-undefined-variable",
                        file,
                        Some(b.loc.pos),
                        format!(
                            "{file}:{line}: variable \"{name}\" has no default and no value, so \
                             the values that use it are unknown to policies; {how}"
                        ),
                    );
                    V::unknown(format!("var.{name}"))
                }
            };
            vars.insert(name.clone(), value);
        }
        inst.vars = vars;
        inst
    }

    fn file_path(&self, file: usize) -> &str {
        self.def
            .files
            .get(file)
            .map_or(self.def.dir.as_str(), |f| f.path.as_str())
    }

    fn at_pos(&self, file: usize, at: At) -> Option<Pos> {
        match at {
            At::Byte(b) => self.def.files.get(file).map(|f| f.pos(b as u32)),
            At::Pos(p) => Some(p),
            At::Unknown => None,
        }
    }

    fn local(&self, name: &str) -> Res {
        if let Some(state) = self.locals.borrow().get(name) {
            return match state {
                Some(v) => Res::Val(v.clone(), 1),
                // Being evaluated: a cycle between locals.
                None => {
                    self.local_cycle(name);
                    Res::Unknown
                }
            };
        }
        let Some(&(bi, ai)) = self.local_decls.get(name) else {
            return Res::Undeclared(format!(
                "local.{name} is not declared in {}: add it to a locals block or fix the reference",
                display_dir(&self.def.dir)
            ));
        };
        let (file, attr) = (
            self.def.blocks[bi].file,
            &self.def.blocks[bi].body.attrs[ai],
        );
        self.locals.borrow_mut().insert(name.to_string(), None);
        self.local_stack.borrow_mut().push(name.to_string());
        let scope = Scope::new(self, file);
        let v = match scope.eval_ex(&attr.expr, &mut Vec::new()) {
            Ok(v) => v,
            Err(e) => {
                self.eval_error(file, attr.loc.pos, &format!("local.{name}"), &e);
                V::unknown("")
            }
        };
        self.local_stack.borrow_mut().pop();
        self.locals
            .borrow_mut()
            .insert(name.to_string(), Some(v.clone()));
        Res::Val(v, 1)
    }

    /// `local.NAME` was referred to while it is being evaluated: the locals refer to each
    /// other in a cycle, which Terraform rejects. An error notification names the cycle and
    /// points at the local whose expression closes it; the values in it are unknown.
    fn local_cycle(&self, name: &str) {
        let stack = self.local_stack.borrow();
        let start = stack.iter().rposition(|n| n == name).unwrap_or(0);
        let mut cycle: Vec<String> = stack[start..]
            .iter()
            .map(|n| format!("local.{n}"))
            .collect();
        cycle.push(format!("local.{name}"));
        let closing = stack.last().map_or(name, String::as_str);
        let Some(&(bi, ai)) = self.local_decls.get(closing) else {
            return;
        };
        let b = &self.def.blocks[bi];
        let attr = &b.body.attrs[ai];
        let path = self.file_path(b.file).to_string();
        let line = attr.key.pos.line;
        self.root.note(
            NoteLevel::Error,
            "terraform-local-cycle",
            &path,
            Some(attr.key.pos),
            format!(
                "{path}:{line}: locals refer to each other in a cycle ({}); Terraform rejects \
                 this, so their values are unknown to policies and the scan is incomplete — \
                 break the cycle",
                cycle.join(" → ")
            ),
        );
    }

    fn eval_error(&self, file: usize, pos: Pos, what: &str, e: &str) {
        let path = self.file_path(file).to_string();
        self.root.note(
            NoteLevel::Warning,
            "terraform-eval-error",
            &path,
            Some(pos),
            format!(
                "{path}:{}: {what} could not be evaluated ({e}); policies see it as unknown",
                pos.line
            ),
        );
    }

    /// Evaluates the module's resources into documents, then the modules it calls.
    fn run(&self) {
        let mut evaluated = Vec::new();
        for b in self.def.of_kind("resource") {
            if b.labels.len() != 2 {
                continue;
            }
            let mut instances = self.instances(b, &Scope::new(self, b.file));
            let granted = self.take_instances(b, instances.len());
            instances.truncate(granted);
            for (suffix, count, each) in instances {
                let mut scope = Scope::new(self, b.file);
                scope.count = count;
                scope.each = each;
                let src = src_of(b.file);
                let attributes = scope.body_node(&b.body, &mut Vec::new(), true, src, b.loc);
                let local = format!("{}.{}{suffix}", b.labels[0], b.labels[1]);
                evaluated.push(Evaluated {
                    ty: b.labels[0].clone(),
                    name: b.labels[1].clone(),
                    address: if self.prefix.is_empty() {
                        local
                    } else {
                        format!("{}.{local}", self.prefix)
                    },
                    file: b.file,
                    loc: b.loc,
                    attributes,
                });
            }
        }
        self.emit(evaluated);
        for b in self.def.of_kind("module") {
            self.call(b);
        }
    }

    /// The instances of a resource or module call: address suffix, `count.index`, `each`.
    /// At most the budget's `max_block_instances` (the first ones: by index, or by key); a
    /// cut is reported.
    #[allow(clippy::type_complexity)]
    fn instances(&self, b: &Blk, scope: &Scope) -> Vec<(String, Option<V>, Option<(V, V)>)> {
        let max = self.root.budget.limits.max_block_instances;
        if let Some(c) = b.body.attr("count") {
            let v = scope.eval_ex(&c.expr, &mut Vec::new()).unwrap_or_else(|e| {
                self.eval_error(b.file, c.loc.pos, "count", &e);
                V::unknown("")
            });
            return match v.to_num() {
                Some(n) => {
                    let n = n.max(0.0);
                    if n > max as f64 {
                        self.instances_cut(b, c.loc.pos, &format!("count = {}", fmt_count(n)));
                    }
                    (0..n.min(max as f64) as usize)
                        .map(|i| (format!("[{i}]"), Some(V::Num(i as f64)), None))
                        .collect()
                }
                // Unknown before apply: one instance stands for all of them.
                None => vec![("[*]".to_string(), Some(V::unknown("count.index")), None)],
            };
        }
        if let Some(f) = b.body.attr("for_each") {
            let v = scope.eval_ex(&f.expr, &mut Vec::new()).unwrap_or_else(|e| {
                self.eval_error(b.file, f.loc.pos, "for_each", &e);
                V::unknown("")
            });
            let key = |k: &str| format!("[{}]", serde_json::Value::from(k));
            let mut out: Vec<(String, Option<V>, Option<(V, V)>)> = match v {
                V::Map(m) => m
                    .into_iter()
                    .map(|(k, v)| (key(&k), None, Some((V::Str(k), v))))
                    .collect(),
                V::List(items) => {
                    let mut out = Vec::new();
                    let mut seen = HashSet::new();
                    for item in items {
                        let k = item.to_str().unwrap_or_default();
                        if seen.insert(k.clone()) {
                            out.push((key(&k), None, Some((V::Str(k), item))));
                        }
                    }
                    out.sort_by(|a, b| a.0.cmp(&b.0));
                    out
                }
                V::Null => Vec::new(),
                _ => vec![(
                    "[*]".to_string(),
                    None,
                    Some((V::unknown("each.key"), V::unknown("each.value"))),
                )],
            };
            if out.len() > max {
                let what = format!("for_each over {} elements", out.len());
                self.instances_cut(b, f.loc.pos, &what);
                out.truncate(max);
            }
            return out;
        }
        vec![(String::new(), None, None)]
    }

    /// A `count` or `for_each` asked for more instances than one block may have.
    fn instances_cut(&self, b: &Blk, pos: Pos, what: &str) {
        let path = self.file_path(b.file).to_string();
        let max = self.root.budget.limits.max_block_instances;
        self.root.note(
            NoteLevel::Error,
            "terraform-limit",
            &path,
            Some(pos),
            format!(
                "{path}:{}: {} {}: {what} asks for more than the limit of {max} instances of \
                 one resource or module call; only the first {max} were loaded, so the scan is \
                 incomplete",
                pos.line,
                b.kind,
                b.labels.join(".")
            ),
        );
    }

    /// Takes `n` instances of `b` from the root module's instance budget: how many may be
    /// loaded. The first block that finds the budget spent reports it.
    fn take_instances(&self, b: &Blk, n: usize) -> usize {
        let granted = self.root.budget.take_instances(n);
        if granted < n {
            self.instances_over_budget(b);
        }
        granted
    }

    /// Reports (once per root) that `b` expands past the root's instance budget.
    fn instances_over_budget(&self, b: &Blk) {
        if !self.root.budget.instances_reported.replace(true) {
            let path = self.file_path(b.file).to_string();
            let max = self.root.budget.limits.max_root_instances;
            self.root.note(
                NoteLevel::Error,
                "terraform-limit",
                &path,
                Some(b.loc.pos),
                format!(
                    "{path}:{}: {} {} and what follows it were not loaded: {} expands to more \
                     than the limit of {max} resource and module instances, so the scan is \
                     incomplete",
                    b.loc.pos.line,
                    b.kind,
                    b.labels.join("."),
                    display_dir(&self.root.dir)
                ),
            );
        }
    }

    /// Documents for the resources of this module instance, each with the others as
    /// `related`.
    fn emit(&self, evaluated: Vec<Evaluated>) {
        let mut docs = self.root.documents.borrow_mut();
        let related = self.root.related.then(|| {
            crate::load::RelatedSet::new(evaluated.iter().map(|o| self.resource_node(o)).collect())
        });
        // Every document lists the module's files (so that a related resource points into its
        // own file) unless there are many: that list would grow with files × resources.
        let share_files = self.def.files.len() <= MAX_FILES_PER_DOCUMENT;
        for (i, r) in evaluated.iter().enumerate() {
            let node = self.resource_node(r);
            let mut doc = Document::new(Arc::clone(&self.def.files[r.file]), 0, node);
            if share_files {
                doc.extra_files = self.def.files.clone();
            } else {
                // All of a resource's nodes are of its own file: the document's.
                set_src_deep(&mut doc.node, 0);
            }
            doc.related = related
                .as_ref()
                .map(|set| crate::load::Related::new(set, Some(i)));
            doc.subject = Some(Subject {
                source: "terraform".into(),
                kind: r.ty.clone(),
                address: r.address.clone(),
                via: self.via.clone(),
            });
            doc.module_origin = self.origin.clone();
            docs.push(doc);
            self.emit_kubernetes(r, &evaluated, &mut docs);
        }
    }

    fn resource_node(&self, r: &Evaluated) -> Node {
        let src = src_of(r.file);
        let s = |v: &str| {
            let mut n = Node::new(NV::Str(v.to_string()), r.loc.pos, None);
            n.src = src;
            n
        };
        let entry = |k: &str, value: Node| Entry {
            key: k.to_string(),
            key_start: r.loc.pos,
            key_end_byte: None,
            value,
        };
        let entries = vec![
            entry("source", s("terraform")),
            entry("type", s(&r.ty)),
            entry("name", s(&r.name)),
            entry("address", s(&r.address)),
            entry("module", s(&self.prefix)),
            entry("attributes", r.attributes.clone()),
        ];
        let mut n = Node::new(NV::Map(entries), r.loc.pos, None);
        n.src = src;
        n
    }

    /// A `module` block: a local module is loaded and evaluated with the call's inputs; a
    /// remote one is not part of the scan (its outputs are unknown).
    fn call(&self, b: &Blk) {
        let Some(children) = self.children(b) else {
            return;
        };
        let granted = self.take_instances(b, children.len());
        for (_, child) in children.iter().take(granted) {
            child.run();
        }
    }

    /// The module instances a `module` block makes (address suffix, instance), when its
    /// source is a local module of the scan (made once: see `children_of`).
    fn children(&self, b: &Blk) -> Option<Children<'r>> {
        let name = b.labels.first()?;
        if let Some(made) = self.children_of.borrow().get(name) {
            return made.clone();
        }
        // Marked while they are made: an input that refers back to the call is unknown.
        self.children_of.borrow_mut().insert(name.clone(), None);
        let made = self.make_children(b).map(Rc::new);
        self.children_of
            .borrow_mut()
            .insert(name.clone(), made.clone());
        made
    }

    /// Makes the instances of a module call, or says why it cannot be followed.
    fn make_children(&self, b: &Blk) -> Option<Vec<(String, Inst<'r>)>> {
        let name = b.labels.first()?;
        let path = self.file_path(b.file).to_string();
        let scope = Scope::new(self, b.file);
        let note = |level, code: &str, message: String| {
            self.root.note(level, code, &path, Some(b.loc.pos), message);
        };
        let line = b.loc.pos.line;
        let source = match scope.eval_ex(&b.body.attr("source")?.expr, &mut Vec::new()) {
            Ok(V::Str(s)) => s,
            _ => {
                note(
                    NoteLevel::Warning,
                    "terraform-module-not-loaded",
                    format!(
                        "{path}:{line}: module.{name} was not loaded: its source is not a \
                         string known before apply (Terraform takes a literal, or a value of \
                         constant variables); write the source as a literal, or give its \
                         variables with --var"
                    ),
                );
                return None;
            }
        };
        let key = if self.key.is_empty() {
            name.clone()
        } else {
            format!("{}.{name}", self.key)
        };
        // A module from outside the tree (a registry, Git, an archive; or any module inside
        // one): where `terraform init` installed it, or a download.
        let mut origin = self.origin.clone();
        let external = if !is_local_source(&source) || self.origin.is_some() {
            let version = b.body.attr("version").and_then(|a| {
                match scope.eval_ex(&a.expr, &mut Vec::new()) {
                    Ok(V::Str(s)) => Some(s),
                    _ => None,
                }
            });
            let resolved = self.root.ext.resolve(
                self.root.files,
                &key,
                &self.def.dir,
                &source,
                version.as_deref(),
                is_local_source(&source),
            );
            self.root.manifest_problem();
            match resolved {
                Ok(r) => {
                    if origin.is_none() {
                        origin = Some(Arc::new(crate::load::ModuleOrigin {
                            file: Arc::clone(&self.def.files[b.file]),
                            pos: b.loc.pos,
                            call: format!("module.{name}"),
                            label: r.label.clone(),
                        }));
                    }
                    Some(r.dir)
                }
                Err(why) => {
                    note(
                        why.level,
                        why.code,
                        format!(
                            "{path}:{line}: module.{name} was not loaded: {}",
                            why.message
                        ),
                    );
                    return None;
                }
            }
        } else {
            None
        };
        let installed = external.is_some();
        let Some(target) = external.or_else(|| join(&self.def.dir, strip_subdir(&source))) else {
            note(
                NoteLevel::Error,
                "terraform-module-outside",
                format!(
                    "{path}:{line}: module \"{name}\" has source \"{source}\", which is outside \
                     the scanned tree, so it was not loaded; scan the directory that holds it \
                     (or vendor the module into the repository)"
                ),
            );
            return None;
        };
        if installed && self.root.dir_files(&target).is_none() {
            note(
                NoteLevel::Warning,
                "terraform-module-not-loaded",
                format!(
                    "{path}:{line}: module.{name} was not loaded: {} holds no .tf or .tf.json \
                     file, though it is where its source {source:?} was installed or \
                     downloaded; run `terraform init` again and scan the working tree",
                    display_dir(&target)
                ),
            );
            return None;
        }
        if self.root.dir_files(&target).is_none() {
            note(
                NoteLevel::Error,
                "terraform-module-missing",
                format!(
                    "{path}:{line}: module \"{name}\" has source \"{source}\", but {} holds no \
                     .tf or .tf.json file in this scan, so its resources were not checked; fix \
                     the source path, or include the directory in the scan",
                    display_dir(&target)
                ),
            );
            return None;
        }
        if self.chain.contains(&target) {
            let mut cycle = self.chain.clone();
            cycle.push(target.clone());
            let cycle: Vec<String> = cycle.iter().map(|d| display_dir(d)).collect();
            note(
                NoteLevel::Error,
                "terraform-module-cycle",
                format!(
                    "{path}:{line}: module \"{name}\" makes a cycle of module calls ({}); it was \
                     not followed — remove the call that closes the cycle",
                    cycle.join(" → ")
                ),
            );
            return None;
        }
        if self.chain.len() >= MAX_MODULE_DEPTH {
            note(
                NoteLevel::Error,
                "terraform-module-depth",
                format!("{path}:{line}: module calls are nested more than {MAX_MODULE_DEPTH} deep; module \"{name}\" was not loaded"),
            );
            return None;
        }
        let def = self.root.module(&target)?;
        let mut out = Vec::new();
        // Instances past what the root's budget has left would never run: they are not made
        // (a module called with a large count from each of many instances would otherwise
        // hold the product of the counts in memory).
        let mut instances = self.instances(b, &scope);
        let left = self.root.budget.instances_left();
        if instances.len() > left {
            self.instances_over_budget(b);
            instances.truncate(left);
        }
        for (suffix, count, each) in instances {
            let mut scope = Scope::new(self, b.file);
            scope.count = count;
            scope.each = each;
            let mut inputs = HashMap::new();
            for a in &b.body.attrs {
                if matches!(
                    a.name.as_str(),
                    "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
                ) {
                    continue;
                }
                let v = scope.eval_ex(&a.expr, &mut Vec::new()).unwrap_or_else(|e| {
                    self.eval_error(b.file, a.loc.pos, &format!("module input {}", a.name), &e);
                    V::unknown("")
                });
                inputs.insert(a.name.clone(), (v, Some(a.loc)));
            }
            let call = format!("module.{name}{suffix}");
            let prefix = if self.prefix.is_empty() {
                call.clone()
            } else {
                format!("{}.{call}", self.prefix)
            };
            let mut via = self.via.clone();
            via.push(format!("{path}:{line} {call}"));
            let mut chain = self.chain.clone();
            chain.push(target.clone());
            let mut child = Inst::new(
                self.root,
                Rc::clone(&def),
                prefix,
                via,
                chain,
                inputs,
                false,
            );
            child.key = key.clone();
            child.origin = origin.clone();
            out.push((suffix, child));
        }
        Some(out)
    }

    /// `module.NAME`: the outputs of that module call, as Terraform gives them to the caller
    /// (an object of outputs; a list of them with `count`, a map with `for_each`). An output
    /// whose value is not wholly known stays unknown under the caller's reference
    /// (`module.NAME.OUTPUT`), never under a name inside the module. Computed once per call;
    /// `None` when the call cannot be followed (remote source, missing directory…).
    fn module_value(&self, name: &str) -> Option<V> {
        if let Some(v) = self.module_values.borrow().get(name) {
            return v.clone();
        }
        // Mark it while it is computed: a reference back to it is unknown.
        self.module_values
            .borrow_mut()
            .insert(name.to_string(), None);
        let b = self
            .def
            .of_kind("module")
            .find(|b| b.labels.first().map(String::as_str) == Some(name));
        let value = b.and_then(|b| {
            let keyed = b.body.attr("for_each").is_some();
            let counted = b.body.attr("count").is_some();
            let children = self.children(b)?;
            let mut by_key = BTreeMap::new();
            let mut list = Vec::new();
            for (suffix, child) in children.iter() {
                if suffix == "[*]" {
                    return Some(V::unknown(format!("module.{name}")));
                }
                let outputs: BTreeMap<String, V> = child
                    .def
                    .of_kind("output")
                    .filter_map(|o| {
                        let oname = o.labels.first()?;
                        let scope = Scope::new(child, o.file);
                        let reference = format!("module.{name}{suffix}.{oname}");
                        let v = match o.body.attr("value") {
                            Some(a) => scope
                                .eval_ex(&a.expr, &mut Vec::new())
                                .ok()
                                .filter(|v| !v.has_unknown())
                                .unwrap_or(V::unknown(reference)),
                            None => V::unknown(reference),
                        };
                        Some((oname.clone(), v))
                    })
                    .collect();
                if keyed {
                    let key: String =
                        serde_json::from_str(&suffix[1..suffix.len() - 1]).unwrap_or_default();
                    by_key.insert(key, V::Map(outputs));
                } else {
                    list.push(V::Map(outputs));
                }
            }
            Some(if keyed {
                V::Map(by_key)
            } else if counted {
                V::List(list)
            } else {
                list.pop().unwrap_or(V::Map(BTreeMap::new()))
            })
        });
        self.module_values
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        value
    }
}

/// A count as written in a notification (`1e+300` stays readable).
fn fmt_count(n: f64) -> String {
    if n < 1e15 {
        format!("{}", n as u64)
    } else {
        format!("{n:e}")
    }
}

fn display_dir(d: &str) -> String {
    if d.is_empty() {
        "the top directory".to_string()
    } else {
        format!("{d}/")
    }
}

/// The `Node::src` of a module file: documents list all the module's files in `extra_files`.
fn src_of(file: usize) -> u16 {
    u16::try_from(file + 1).unwrap_or(0)
}

/// A module with more files than this gives each document only its own file (see
/// [`Inst::emit`]); real modules have a few dozen at most.
const MAX_FILES_PER_DOCUMENT: usize = 64;

fn set_src_deep(n: &mut Node, src: u16) {
    n.src = src;
    match &mut n.value {
        NV::Seq(items) => items.iter_mut().for_each(|i| set_src_deep(i, src)),
        NV::Map(entries) => entries
            .iter_mut()
            .for_each(|e| set_src_deep(&mut e.value, src)),
        _ => {}
    }
}

/// The names visible while evaluating one expression of a module instance.
struct Scope<'i, 'r> {
    inst: &'i Inst<'r>,
    file: usize,
    count: Option<V>,
    each: Option<(V, V)>,
}

/// Attributes whose object value is a map, not a nested block (for `.tf.json`, where both are
/// JSON objects).
const MAP_ATTRS: &[&str] = &[
    "tags",
    "tags_all",
    "labels",
    "variables",
    "parameters",
    "triggers",
    "metadata",
    "annotations",
    "attributes",
    "dimensions",
    "context",
    "properties",
    "environment_variables",
    "default_tags",
];

impl<'i, 'r> Scope<'i, 'r> {
    fn new(inst: &'i Inst<'r>, file: usize) -> Self {
        Self {
            inst,
            file,
            count: None,
            each: None,
        }
    }

    fn file(&self) -> Option<&Arc<SourceFile>> {
        self.inst.def.files.get(self.file)
    }

    /// The value of an expression of this scope's file. A limit of the evaluation budget
    /// reached on the way is reported here, and the value is unknown.
    fn eval_ex(&self, ex: &Ex, bound: &mut Vec<(String, V)>) -> Result<V, String> {
        let mut ev = Evaluator::new(self);
        ev.bound = std::mem::take(bound);
        let out = match ex {
            Ex::Hcl(e) => ev.eval(e),
            Ex::Json(n) => json_value(&mut ev, n),
        };
        *bound = std::mem::take(&mut ev.bound);
        if let Some((exceeded, at)) = ev.exceeded.take() {
            let inst = self.inst;
            let path = inst.file_path(self.file).to_string();
            let pos = inst.at_pos(self.file, at);
            inst.root
                .limit_reached(&path, pos, &exceeded, &inst.root.budget);
            return Ok(V::unknown(""));
        }
        out
    }

    /// The attributes and nested blocks of a body; `top` for a resource's own body (its
    /// meta-arguments are left out).
    fn body_node(
        &self,
        body: &Body,
        bound: &mut Vec<(String, V)>,
        top: bool,
        src: u16,
        at: Loc,
    ) -> Node {
        let mut entries: Vec<Entry> = Vec::new();
        for a in &body.attrs {
            if top
                && matches!(
                    a.name.as_str(),
                    "count"
                        | "for_each"
                        | "provider"
                        | "depends_on"
                        | "lifecycle"
                        | "provisioner"
                        | "connection"
                )
            {
                continue;
            }
            let v = self.eval_ex(&a.expr, bound).unwrap_or_else(|e| {
                self.inst
                    .eval_error(self.file, a.loc.pos, &format!("attribute {}", a.name), &e);
                V::unknown("")
            });
            let mut node = self.to_node(&v, &a.expr, a.loc, src);
            if matches!(a.expr, Ex::Json(_)) {
                node = json_blockify(node, &a.name);
            }
            entries.push(Entry {
                key: a.name.clone(),
                key_start: a.key.pos,
                key_end_byte: a.key.end,
                value: node,
            });
        }
        // Nested blocks by kind, in the order kinds first appear (found through an index:
        // a body may hold thousands of blocks).
        let mut groups: Vec<(String, Loc, Vec<Node>)> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        let mut push = |kind: &str, loc: Loc, n: Node| match group_of.get(kind) {
            Some(&g) => groups[g].2.push(n),
            None => {
                group_of.insert(kind.to_string(), groups.len());
                groups.push((kind.to_string(), loc, vec![n]));
            }
        };
        for b in &body.blocks {
            if top && matches!(b.kind.as_str(), "lifecycle" | "provisioner" | "connection") {
                continue;
            }
            if b.kind == "dynamic" {
                let Some(kind) = b.labels.first() else {
                    continue;
                };
                for n in self.dynamic(b, kind, bound, src) {
                    push(kind, b.loc, n);
                }
                continue;
            }
            let n = self.body_node(&b.body, bound, false, src, b.loc);
            push(&b.kind, b.loc, n);
        }
        let entry_of: HashMap<String, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .rev()
            .collect();
        for (kind, loc, nodes) in groups {
            if let Some(&i) = entry_of.get(&kind) {
                if let NV::Seq(items) = &mut entries[i].value.value {
                    items.extend(nodes);
                }
                continue;
            }
            let mut seq = Node::new(NV::Seq(nodes), loc.pos, None);
            seq.src = src;
            entries.push(Entry {
                key: kind,
                key_start: loc.pos,
                key_end_byte: loc.end,
                value: seq,
            });
        }
        let mut n = Node::new(NV::Map(entries), at.pos, None);
        n.src = src;
        n
    }

    /// A `dynamic "kind"` block: one block per element of its `for_each`.
    fn dynamic(&self, b: &Blk, kind: &str, bound: &mut Vec<(String, V)>, src: u16) -> Vec<Node> {
        let Some(content) = b.body.blocks.iter().find(|c| c.kind == "content") else {
            return Vec::new();
        };
        let iterator = match b.body.attr("iterator").map(|a| &a.expr) {
            Some(Ex::Hcl(Expression::Variable(i))) => i.value().as_str().to_string(),
            Some(Ex::Json(n)) => n.as_str().unwrap_or(kind).to_string(),
            _ => kind.to_string(),
        };
        let coll = match b.body.attr("for_each") {
            Some(f) => self.eval_ex(&f.expr, bound).unwrap_or_else(|e| {
                self.inst.eval_error(
                    self.file,
                    f.loc.pos,
                    &format!("dynamic \"{kind}\" for_each"),
                    &e,
                );
                V::unknown("")
            }),
            None => return Vec::new(),
        };
        let pairs = match eval::iter_pairs(coll) {
            Ok(Ok(p)) => p,
            Ok(Err(r)) => vec![(V::unknown(r.clone()), V::unknown(r))],
            Err(_) => Vec::new(),
        };
        let mut out = Vec::new();
        for (k, v) in pairs {
            let it: BTreeMap<String, V> = [("key".to_string(), k), ("value".to_string(), v)].into();
            bound.push((iterator.clone(), V::Map(it)));
            out.push(self.body_node(&content.body, bound, false, src, content.loc));
            bound.pop();
        }
        out
    }

    /// The node of a value, placed at the expression that produced it (the items of object
    /// and list literals at their own expressions).
    fn to_node(&self, v: &V, ex: &Ex, loc: Loc, src: u16) -> Node {
        match ex {
            Ex::Hcl(e) => match self.file() {
                Some(f) => {
                    let f = Arc::clone(f);
                    hcl_node(v, e, loc, src, &f)
                }
                None => plain_node(v, loc, src),
            },
            Ex::Json(n) => json_node(v, n, src),
        }
    }
}

fn num_value(n: f64) -> NV {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        NV::Int(n as i64)
    } else {
        NV::Float(n)
    }
}

/// A value whose nodes are all placed at `loc`.
fn plain_node(v: &V, loc: Loc, src: u16) -> Node {
    let scalar_end = loc.end;
    let value = match v {
        V::Null => NV::Null,
        V::Bool(b) => NV::Bool(*b),
        V::Num(n) => num_value(*n),
        V::Str(s) => NV::Str(s.clone()),
        V::List(items) => NV::Seq(items.iter().map(|i| plain_node(i, loc, src)).collect()),
        V::Map(m) => NV::Map(
            m.iter()
                .map(|(k, v)| Entry {
                    key: k.clone(),
                    key_start: loc.pos,
                    key_end_byte: None,
                    value: plain_node(v, loc, src),
                })
                .collect(),
        ),
        V::Unknown(r) => NV::Map(vec![Entry {
            key: "$unknown".into(),
            key_start: loc.pos,
            key_end_byte: None,
            value: {
                let mut n = Node::new(NV::Str(r.clone()), loc.pos, scalar_end);
                n.src = src;
                n
            },
        }]),
    };
    let end = if matches!(value, NV::Seq(_) | NV::Map(_)) {
        None
    } else {
        scalar_end
    };
    let mut n = Node::new(value, loc.pos, end);
    n.src = src;
    n
}

fn hcl_node(v: &V, e: &Expression, loc: Loc, src: u16, file: &SourceFile) -> Node {
    let here = config::span_loc(file, e, loc);
    match (v, e) {
        (_, Expression::Parenthesis(p)) => hcl_node(v, p.inner(), here, src, file),
        (V::List(items), Expression::Array(a)) if a.len() == items.len() => {
            let nodes = items
                .iter()
                .zip(a.iter())
                .map(|(v, e)| hcl_node(v, e, here, src, file))
                .collect();
            let mut n = Node::new(NV::Seq(nodes), here.pos, None);
            n.src = src;
            n
        }
        (V::Map(m), Expression::Object(o)) => {
            let mut by_key: HashMap<String, (&Expression, Loc)> = HashMap::new();
            for (k, ov) in o.iter() {
                let (name, kloc) = match k {
                    hcl_edit::expr::ObjectKey::Ident(i) => (
                        i.value().as_str().to_string(),
                        loc_of_span(file, hcl_edit::Span::span(i), here),
                    ),
                    hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => (
                        s.value().clone(),
                        loc_of_span(file, hcl_edit::Span::span(s), here),
                    ),
                    hcl_edit::expr::ObjectKey::Expression(Expression::Variable(i)) => (
                        i.value().as_str().to_string(),
                        loc_of_span(file, hcl_edit::Span::span(i), here),
                    ),
                    _ => continue,
                };
                by_key.insert(name, (ov.expr(), kloc));
            }
            let entries = m
                .iter()
                .map(|(k, v)| match by_key.get(k) {
                    Some((ve, kloc)) => Entry {
                        key: k.clone(),
                        key_start: kloc.pos,
                        key_end_byte: kloc.end,
                        value: hcl_node(v, ve, here, src, file),
                    },
                    None => Entry {
                        key: k.clone(),
                        key_start: here.pos,
                        key_end_byte: None,
                        value: plain_node(v, here, src),
                    },
                })
                .collect();
            let mut n = Node::new(NV::Map(entries), here.pos, None);
            n.src = src;
            n
        }
        _ => plain_node(v, here, src),
    }
}

fn loc_of_span(file: &SourceFile, span: Option<std::ops::Range<usize>>, fallback: Loc) -> Loc {
    match span {
        Some(s) => Loc {
            pos: file.pos(s.start as u32),
            end: Some(s.end as u32),
        },
        None => fallback,
    }
}

fn json_node(v: &V, n: &Node, src: u16) -> Node {
    let here = Loc {
        pos: n.start,
        end: n.end_byte,
    };
    match (v, &n.value) {
        (V::List(items), NV::Seq(nodes)) if items.len() == nodes.len() => {
            let mut out = Node::new(
                NV::Seq(
                    items
                        .iter()
                        .zip(nodes)
                        .map(|(v, n)| json_node(v, n, src))
                        .collect(),
                ),
                n.start,
                None,
            );
            out.src = src;
            out
        }
        (V::Map(m), NV::Map(entries)) => {
            // The first entry of each key (a JSON object may repeat one), by key.
            let by_key: HashMap<&str, &Entry> =
                entries.iter().rev().map(|e| (e.key.as_str(), e)).collect();
            let mapped = m
                .iter()
                .map(|(k, v)| match by_key.get(k.as_str()) {
                    Some(e) => Entry {
                        key: k.clone(),
                        key_start: e.key_start,
                        key_end_byte: e.key_end_byte,
                        value: json_node(v, &e.value, src),
                    },
                    None => Entry {
                        key: k.clone(),
                        key_start: n.start,
                        key_end_byte: None,
                        value: plain_node(v, here, src),
                    },
                })
                .collect();
            let mut out = Node::new(NV::Map(mapped), n.start, None);
            out.src = src;
            out
        }
        _ => plain_node(v, here, src),
    }
}

/// In `.tf.json`, a nested block is a JSON object (or a list of them): made a list of objects
/// as in HCL, unless the attribute is a map (`tags`…).
fn json_blockify(mut node: Node, name: &str) -> Node {
    if MAP_ATTRS.contains(&name) || node.get("$unknown").is_some() {
        return node;
    }
    match &mut node.value {
        NV::Map(entries) => {
            for e in entries.iter_mut() {
                let inner = std::mem::replace(&mut e.value, Node::new(NV::Null, e.key_start, None));
                e.value = json_blockify(inner, &e.key);
            }
            let start = node.start;
            let src = node.src;
            let mut seq = Node::new(NV::Seq(vec![node]), start, None);
            seq.src = src;
            seq
        }
        NV::Seq(items) if items.iter().all(|i| matches!(i.value, NV::Map(_))) => {
            for item in items.iter_mut() {
                if let NV::Map(entries) = &mut item.value {
                    for e in entries.iter_mut() {
                        let inner =
                            std::mem::replace(&mut e.value, Node::new(NV::Null, e.key_start, None));
                        e.value = json_blockify(inner, &e.key);
                    }
                }
            }
            node
        }
        _ => node,
    }
}

/// The value of a `.tf.json` expression: strings are templates.
fn json_value(ev: &mut Evaluator, n: &Node) -> Result<V, String> {
    Ok(match &n.value {
        NV::Null => V::Null,
        NV::Bool(b) => V::Bool(*b),
        NV::Int(i) => V::Num(*i as f64),
        NV::UInt(u) => V::Num(*u as f64),
        NV::Float(f) => V::Num(*f),
        NV::Str(s) => {
            if !s.contains("${") && !s.contains("%{") {
                return Ok(V::Str(s.clone()));
            }
            match hcl_edit::parser::parse_template(s) {
                Ok(t) => {
                    let saved = ev.at.replace(n.start);
                    let v = ev.eval_template(&t);
                    ev.at = saved;
                    v?
                }
                Err(_) => V::Str(s.clone()),
            }
        }
        NV::Seq(items) => V::List(
            items
                .iter()
                .map(|i| json_value(ev, i))
                .collect::<Result<_, _>>()?,
        ),
        NV::Map(entries) => V::Map(
            entries
                .iter()
                .map(|e| Ok((e.key.clone(), json_value(ev, &e.value)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

impl Env for Scope<'_, '_> {
    fn resolve(&self, root: &str, attr: Option<&str>) -> Res {
        let inst = self.inst;
        match (root, attr) {
            ("var", Some(name)) => {
                if !inst.declared.contains(name) {
                    return Res::Undeclared(format!(
                        "var.{name} is not declared in {}: add a variable \"{name}\" block, or \
                         fix the reference",
                        display_dir(&inst.def.dir)
                    ));
                }
                match inst.vars.get(name) {
                    Some(v) => Res::Val(v.clone(), 1),
                    None => Res::Unknown,
                }
            }
            ("local", Some(name)) => inst.local(name),
            ("count", Some("index")) => match &self.count {
                Some(v) => Res::Val(v.clone(), 1),
                None => Res::Undeclared("count.index is used where there is no count".into()),
            },
            ("each", Some(k @ ("key" | "value"))) => match &self.each {
                Some((key, value)) => Res::Val(
                    if k == "key" {
                        key.clone()
                    } else {
                        value.clone()
                    },
                    1,
                ),
                None => Res::Undeclared(format!("each.{k} is used where there is no for_each")),
            },
            ("path", Some("module")) => Res::Val(V::Str(dot(&inst.def.dir)), 1),
            ("path", Some("root" | "cwd")) => Res::Val(V::Str(dot(&inst.root.dir)), 1),
            ("terraform", Some("workspace")) => Res::Val(V::Str("default".into()), 1),
            ("module", Some(name)) => match inst.module_value(name) {
                Some(v) => Res::Val(v, 1),
                None => Res::Unknown,
            },
            _ => Res::Unknown,
        }
    }

    fn resolve_data(&self, ty: &str, name: &str) -> Res {
        match self.inst.data_value(ty, name) {
            Some(v) => Res::Val(v, 2),
            None => Res::Unknown,
        }
    }

    fn call_io(
        &self,
        ev: &mut Evaluator,
        name: &str,
        args: &[V],
        at: At,
    ) -> Option<Result<V, String>> {
        if !matches!(name, "file" | "templatefile" | "fileexists") {
            return None;
        }
        let path = match args.first() {
            Some(V::Unknown(r)) => return Some(Ok(V::Unknown(r.clone()))),
            Some(v) => match v.to_str() {
                Some(p) => p,
                None => return Some(Err(format!("{name}() takes a path"))),
            },
            None => return Some(Err(format!("{name}() takes a path"))),
        };
        let file = match self.inst.root.read_in_tree(&path) {
            Ok(f) => f,
            Err(_) if name == "fileexists" => return Some(Ok(V::Bool(false))),
            Err(e) => return Some(Err(e)),
        };
        if name == "fileexists" {
            return Some(Ok(V::Bool(true)));
        }
        // Reading (and parsing) the file costs what it weighs, each time it is used.
        if let Err(e) = ev.charge(file.text.len() as u64 / 64, at, &format!("{name}()")) {
            return Some(Err(e));
        }
        if name == "file" {
            return Some(Ok(V::Str(file.text.clone())));
        }
        let vars = match args.get(1) {
            Some(V::Map(m)) => m.clone(),
            Some(V::Unknown(r)) => return Some(Ok(V::Unknown(r.clone()))),
            _ => BTreeMap::new(),
        };
        let t = match hcl_edit::parser::parse_template(&file.text) {
            Ok(t) => t,
            Err(e) => return Some(Err(format!("{path}: {}", e.message()))),
        };
        let mut inner = Evaluator::new(self);
        // The template's own byte offsets are not of this file: what it reports points at
        // the call.
        inner.at = ev.at.or_else(|| self.inst.at_pos(self.file, at));
        inner.bound = vars.into_iter().collect();
        let out = inner.eval_template(&t);
        ev.adopt_exceeded(inner.exceeded.take());
        Some(out.map(|v| match v {
            V::Str(s) => V::Str(s),
            other => V::Str(other.to_str().unwrap_or_default()),
        }))
    }

    fn budget(&self) -> &Budget {
        &self.inst.root.budget
    }

    fn unknown_function(&self, name: &str, at: At) {
        let root = self.inst.root;
        if !root.unknown_fns.borrow_mut().insert(name.to_string()) {
            return;
        }
        let path = self.inst.file_path(self.file).to_string();
        let pos = self.inst.at_pos(self.file, at);
        let line = pos.map_or(String::new(), |p| format!(":{}", p.line));
        root.note(
            NoteLevel::Warning,
            "terraform-unknown-function",
            &path,
            pos,
            format!(
                "{path}{line}: function {name}() is not implemented by plumbline; the values \
                 that use it are unknown to policies (reported once per root module)"
            ),
        );
    }

    fn undeclared(&self, message: &str, at: At) {
        let path = self.inst.file_path(self.file).to_string();
        let pos = self.inst.at_pos(self.file, at);
        let line = pos.map_or(String::new(), |p| format!(":{}", p.line));
        self.inst.root.note(
            NoteLevel::Error,
            "terraform-undeclared-reference",
            &path,
            pos,
            format!("{path}{line}: {message}"),
        );
    }
}

fn dot(dir: &str) -> String {
    if dir.is_empty() {
        ".".into()
    } else {
        dir.to_string()
    }
}

#[cfg(test)]
mod tests;
