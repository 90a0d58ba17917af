//! The Rego engine: loading policies (built-in and the user's), `# METADATA`, extensions,
//! parallel evaluation and `policy test`.

pub mod admission;
pub mod calls;
pub mod eval;
pub mod extensions;
pub mod limits;
pub mod metadata;
pub mod namespace;
pub mod nesting;
pub mod pss;
pub mod test;

use crate::model::{FindingLevel, RuleMeta, Severity};
use metadata::Annotations;
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

/// Prefix of the display path of embedded policies.
pub const BUILTIN_PREFIX: &str = "builtin:policies/";

/// A policy problem found while loading (exit code 2): file, line and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

/// One policy source file.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// Shown in messages: the path given by the user, or `builtin:policies/…`.
    pub path: String,
    pub text: String,
}

/// Which policies to load and how to run them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub builtin: bool,
    pub dirs: Vec<PathBuf>,
    /// Parse the user's policies as Rego v0 (the built-in library is always v1).
    pub rego_v0: bool,
    /// Load `*_test.rego` files too (for `policy test`).
    pub include_tests: bool,
    /// Wall-clock limit for one policy rule on one document.
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            builtin: true,
            dirs: Vec::new(),
            rego_v0: false,
            include_tests: false,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A rule to query in a package: `deny`, `warn`, `violation` or a suffixed variant.
#[derive(Debug, Clone)]
pub struct Query {
    /// `data.<package>.<rule>`
    pub path: String,
    /// The rule name (`deny_run_as_root`).
    pub name: String,
    pub level: FindingLevel,
}

/// A package that produces findings, and the catalog entry it defines.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub meta: RuleMeta,
    /// Whether the severity came from `custom.severity` (else it depends on deny/warn).
    pub explicit_severity: bool,
    pub queries: Vec<Query>,
    /// `data.<package>.exception`, when the package declares exceptions.
    pub exception: Option<String>,
    pub builtin: bool,
    /// Whether the package's documents get `input.related` and `input.related_by_type` (see
    /// [`crate::load::Document::to_rego_for`]): a user's package when a file of it mentions
    /// `related`, a built-in one when its text reads `input.related`.
    pub reads_related: bool,
    /// Kinds the package applies to (`custom.kinds`); `None`: every document.
    pub kinds: Option<std::collections::BTreeSet<String>>,
    /// `custom.related_kinds`: a namespace rule, evaluated after the whole scan is loaded, on
    /// Kubernetes objects that see the other objects of these kinds in their namespace.
    pub related_kinds: Option<std::collections::BTreeSet<String>>,
    /// `custom.related_by`: the relation that narrows what a namespace rule's objects see.
    pub related_by: Option<metadata::RelatedBy>,
}

impl Package {
    /// Whether the package is evaluated on `doc`: `custom.kinds` narrows a package to the
    /// kinds (Kubernetes kinds, Terraform resource types, `Dockerfile`) it is written for, and
    /// `*` among them means every Kubernetes object, whatever its kind (for rules that read
    /// only `apiVersion`, `kind` and `metadata`, which every object keeps); a built-in package
    /// without it sees only Kubernetes objects; a user's package without it sees every
    /// document (as conftest does).
    pub fn applies_to(&self, doc: &crate::load::Document) -> bool {
        // A namespace rule sees only the documents of the namespace pass, and only it does.
        let namespace_pass = doc.related.as_ref().is_some_and(|r| r.namespace.is_some());
        self.applies(doc.kind(), doc.is_kubernetes(), namespace_pass)
    }

    /// [`Package::applies_to`] by kind alone.
    pub fn applies_to_kind(&self, doc: &crate::load::Document) -> bool {
        self.applies_to_kind_of(doc.kind(), doc.is_kubernetes())
    }

    /// [`Package::applies_to`] for a document of `kind` (a Kubernetes object or not), in
    /// the namespace pass or not.
    fn applies(&self, kind: Option<&str>, kubernetes: bool, namespace_pass: bool) -> bool {
        self.related_kinds.is_some() == namespace_pass && self.applies_to_kind_of(kind, kubernetes)
    }

    fn applies_to_kind_of(&self, kind: Option<&str>, kubernetes: bool) -> bool {
        match (&self.kinds, kind) {
            (Some(kinds), Some(kind)) => {
                kinds.contains(kind) || (kinds.contains("*") && kubernetes)
            }
            (Some(_), None) => false,
            // A built-in package that names no kinds is written for Kubernetes objects.
            (None, Some(_)) => !self.builtin || kubernetes,
            (None, None) => !self.builtin,
        }
    }
}

/// The module of batch rules: for every set of packages that some document can see, one
/// rule whose value is the array of their results, so that a document is evaluated with one
/// `eval_rule` of a rule compiled once, not a query parsed and analysed per document.
pub const BATCH_PACKAGE: &str = "plumbline_internal_batch";

/// The batch rules' text and, per set of package indexes (in `packages` order, packages
/// with `exception` rules left out), the rule's path.
fn batch_rules(packages: &[Package]) -> (String, BTreeMap<Vec<usize>, String>) {
    // Every kind some package names, a kind none names (""), and no kind at all.
    let mut kinds: std::collections::BTreeSet<Option<&str>> = [None, Some("")].into();
    for p in packages {
        kinds.extend(p.kinds.iter().flatten().map(|k| Some(k.as_str())));
    }
    let mut rules: BTreeMap<Vec<usize>, String> = BTreeMap::new();
    let mut text = format!("package {BATCH_PACKAGE}\n\nimport rego.v1\n");
    for kind in kinds {
        for (kubernetes, namespace_pass) in [(true, false), (true, true), (false, false)] {
            let members: Vec<usize> = (0..packages.len())
                .filter(|&i| packages[i].exception.is_none())
                .filter(|&i| packages[i].applies(kind, kubernetes, namespace_pass))
                .collect();
            if members.is_empty() || rules.contains_key(&members) {
                continue;
            }
            let name = format!("b{}", rules.len());
            // One reference per line: regorus rejects lines longer than 1,024 columns.
            let refs: Vec<&str> = members
                .iter()
                .flat_map(|&i| packages[i].queries.iter().map(|q| q.path.as_str()))
                .collect();
            text.push_str(&format!("\n{name} := [\n{}\n]\n", refs.join(",\n")));
            rules.insert(members, format!("data.{BATCH_PACKAGE}.{name}"));
        }
    }
    (text, rules)
}

/// Loaded and compiled policies, ready to be cloned onto worker threads.
#[derive(Clone)]
pub struct PolicySet {
    pub engine: regorus::Engine,
    pub packages: Vec<Package>,
    /// Per set of package indexes a document can see (packages with `exception` rules left
    /// out), the batch rule that evaluates them together (see [`BATCH_PACKAGE`]).
    pub batches: BTreeMap<Vec<usize>, String>,
    /// `(package, rule)` of every `test_*` rule, for `policy test`.
    pub tests: Vec<(String, String, String)>,
    pub files: Vec<String>,
    /// The Pod Security Standards' level, version and admission configuration (see
    /// [`PolicySet::set_pss`]).
    pub pss: admission::Settings,
}

impl PolicySet {
    /// The kinds any package can apply to, when every package declares `custom.kinds`;
    /// `None` when some package reads every document (or none is loaded: a load-only scan
    /// parses everything).
    pub fn kinds_read(&self) -> Option<std::collections::BTreeSet<String>> {
        if self.packages.is_empty() {
            return None;
        }
        let mut all = std::collections::BTreeSet::new();
        for p in &self.packages {
            all.extend(p.kinds.as_ref()?.iter().cloned());
            all.extend(p.related_kinds.iter().flatten().cloned());
        }
        if admission::active(self) {
            // The admission pass reads the Namespaces' labels.
            all.insert("Namespace".to_string());
        }
        Some(all)
    }

    /// Sets the level and version the PSS controls evaluate (their data,
    /// `data.plumbline_settings.pss`) and the admission configuration of the admission pass.
    pub fn set_pss(&mut self, settings: admission::Settings) {
        self.engine.clear_data();
        self.engine
            .add_data(settings.profile().data(pss::Version::Latest))
            .expect("an object into empty data");
        self.pss = settings;
    }

    /// Whether any package is a namespace rule (`custom.related_kinds`).
    pub fn has_namespace_rules(&self) -> bool {
        self.packages.iter().any(|p| p.related_kinds.is_some())
    }

    /// The rule ids of the namespace rules.
    pub fn namespace_rule_ids(&self) -> Vec<&str> {
        self.packages
            .iter()
            .filter(|p| p.related_kinds.is_some())
            .map(|p| p.meta.id.as_str())
            .collect()
    }

    /// The rule catalog, sorted by id.
    pub fn rules(&self) -> Vec<RuleMeta> {
        let mut rules: Vec<RuleMeta> = self.packages.iter().map(|p| p.meta.clone()).collect();
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        rules
    }
}

fn is_test_file(path: &str) -> bool {
    path.ends_with("_test.rego")
}

/// The embedded library, test files included or not.
pub fn builtin_files(include_tests: bool) -> Vec<PolicyFile> {
    BUILTIN_POLICIES
        .iter()
        .filter(|(p, _)| include_tests || !is_test_file(p))
        .map(|(p, t)| PolicyFile {
            path: format!("{BUILTIN_PREFIX}{p}"),
            text: (*t).to_string(),
        })
        .collect()
}

/// Reads every `.rego` file under `dir` (or `dir` itself if it is a file), sorted.
pub fn read_dir(dir: &Path, include_tests: bool) -> Result<Vec<PolicyFile>, PolicyError> {
    let display = limits::excerpt(&dir.display().to_string(), usize::MAX);
    let meta = std::fs::metadata(dir).map_err(|e| PolicyError {
        file: display.clone(),
        line: None,
        message: format!("cannot read the policy path: {e}; check the --policy argument"),
    })?;
    let mut paths = Vec::new();
    if meta.is_file() {
        paths.push(dir.to_path_buf());
    } else if !meta.is_dir() {
        // A device or a pipe (`/dev/zero`) is not read at all.
        return Err(PolicyError {
            file: display,
            line: None,
            message: "the policy path is neither a file nor a directory; check the --policy \
                      argument"
                .into(),
        });
    } else {
        for entry in ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .follow_links(false)
            .build()
        {
            let entry = entry.map_err(|e| PolicyError {
                file: display.clone(),
                line: None,
                message: format!("cannot walk the policy directory: {e}"),
            })?;
            let p = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file())
                && p.extension().is_some_and(|e| e == "rego")
            {
                paths.push(p.to_path_buf());
            }
        }
    }
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        // A path from the scanned repository may hold any character: escape it for messages.
        let path = limits::excerpt(&p.display().to_string(), usize::MAX);
        if !include_tests && is_test_file(&path) {
            continue;
        }
        let text = read_policy_text(&p).map_err(|message| PolicyError {
            file: path.clone(),
            line: None,
            message,
        })?;
        files.push(PolicyFile { path, text });
    }
    Ok(files)
}

/// The largest policy file read: regorus refuses larger sources anyway (its default
/// `PolicyLengthConfig`), and reading no more keeps `/dev/zero` or a huge file from growing
/// memory.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// Reads one policy file: at most [`MAX_POLICY_BYTES`], and only if it is UTF-8 text (a
/// binary file, `/proc/self/environ` say, is refused without quoting any of it).
fn read_policy_text(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read the policy file: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the policy file: {e}"))?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(format!(
            "the policy file is larger than {MAX_POLICY_BYTES} bytes, the most plumbline (and \
             its Rego engine) reads; check the --policy argument"
        ));
    }
    if looks_binary(&bytes) {
        return Err(
            "the file is not Rego source (it holds NUL or other control bytes); check \
                    the --policy argument"
                .into(),
        );
    }
    String::from_utf8(bytes).map_err(|_| {
        "the file is not UTF-8 text, so not Rego source; check the --policy argument".into()
    })
}

/// NUL, or control bytes other than tab, newline, carriage return and form feed.
fn looks_binary(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
}

/// Loads policies according to `settings`.
pub fn load(settings: &Settings) -> Result<PolicySet, PolicyError> {
    let builtin = if settings.builtin {
        builtin_files(settings.include_tests)
    } else {
        Vec::new()
    };
    let mut user = Vec::new();
    for dir in &settings.dirs {
        user.extend(read_dir(dir, settings.include_tests)?);
    }
    compile(builtin, user, settings)
}

/// The stack of the thread that parses and checks policies. regorus's parser and checker
/// recurse once per operator of an expression like `1 + 1 + … + 1`, which a 1 MiB policy can
/// make half a million deep; [`nesting::check`] refuses such a policy, but only after it is
/// parsed. Only the pages used are committed.
const LOAD_STACK_BYTES: usize = 1 << 30;

/// Compiles policy files into one engine and the package catalog (on a thread with a stack
/// deep enough for any policy regorus accepts, see [`LOAD_STACK_BYTES`]).
pub fn compile(
    builtin: Vec<PolicyFile>,
    user: Vec<PolicyFile>,
    settings: &Settings,
) -> Result<PolicySet, PolicyError> {
    // The files move into the loader thread; should it not start (no address space for its
    // stack), they are taken back and compiled here.
    let files = std::sync::Mutex::new(Some((builtin, user)));
    let take = || files.lock().ok().and_then(|mut f| f.take());
    let spawned = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("plumbline-policy-load".into())
            .stack_size(LOAD_STACK_BYTES)
            .spawn_scoped(scope, || {
                let (builtin, user) = take().expect("the policy files");
                compile_here(builtin, user, settings)
            })
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
    });
    match spawned {
        Ok(result) => result,
        Err(_) => {
            let (builtin, user) = take().expect("the policy files, not moved");
            compile_here(builtin, user, settings)
        }
    }
}

fn compile_here(
    builtin: Vec<PolicyFile>,
    user: Vec<PolicyFile>,
    settings: &Settings,
) -> Result<PolicySet, PolicyError> {
    let mut engine = regorus::Engine::new();
    extensions::register(&mut engine)
        .and_then(|()| limits::register(&mut engine))
        .map_err(|e| PolicyError {
            file: "<extensions>".into(),
            line: None,
            message: e.to_string(),
        })?;
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: settings.timeout,
        check_interval: NonZeroU32::new(32).expect("non-zero"),
    });
    engine.set_gather_prints(true);

    // Collected per package across files: annotations, rule names, and the first file.
    struct Acc {
        annotations: Option<(Annotations, String)>,
        rules: Vec<String>,
        file: String,
        builtin: bool,
        reads_related: bool,
    }
    let mut packages: BTreeMap<String, Acc> = BTreeMap::new();
    let mut tests = Vec::new();
    let mut files = Vec::new();
    let mut declared = std::collections::BTreeSet::new();
    let user_files = user.clone();
    let all = builtin
        .into_iter()
        .map(|f| (f, true))
        .chain(user.into_iter().map(|f| (f, false)));
    for (file, is_builtin) in all {
        let info = metadata::scan_file(&file.text).map_err(|e| PolicyError {
            file: file.path.clone(),
            line: Some(e.line),
            message: limits::excerpt(&e.message, MAX_MESSAGE_CHARS),
        })?;
        // Before parsing: a file that is not Rego at all (a `.env`, a key) gets no parse error
        // quoting its first line.
        let Some(package) = info.package.clone() else {
            return Err(PolicyError {
                file: file.path.clone(),
                line: None,
                message: "no `package` declaration: this is not a Rego policy file; check the \
                          --policy argument"
                    .into(),
            });
        };
        engine.set_rego_v0(settings.rego_v0 && !is_builtin);
        engine
            .add_policy(file.path.clone(), file.text.clone())
            .map_err(|e| rego_error(&file.path, &e))?;
        files.push(file.path.clone());
        declared.extend(info.rules.iter().cloned());
        for rule in info.rules.iter().filter(|r| r.starts_with("test_")) {
            tests.push((package.clone(), rule.clone(), file.path.clone()));
        }
        let acc = packages.entry(package.clone()).or_insert_with(|| Acc {
            annotations: None,
            rules: Vec::new(),
            file: file.path.clone(),
            builtin: is_builtin,
            reads_related: false,
        });
        // Giving a document the lists costs the module's size for each of its resources: only
        // the packages that may read them get them (a user's file that mentions `related` at
        // all, a built-in one that reads `input.related`).
        acc.reads_related |= if is_builtin {
            file.text.contains("input.related")
        } else {
            file.text.contains("related")
        };
        if let Some(a) = info.annotations {
            if let Some((_, first)) = &acc.annotations {
                return Err(PolicyError {
                    file: file.path.clone(),
                    line: Some(info.package_line),
                    message: format!(
                        "package {package} already has package-level METADATA in {first}; \
                         keep one METADATA block per package"
                    ),
                });
            }
            acc.annotations = Some((a, file.path.clone()));
        }
        for r in info.rules {
            if !acc.rules.contains(&r) {
                acc.rules.push(r);
            }
        }
    }

    // Before anything evaluates: no recursive function, no nesting deeper than the evaluation
    // threads' stacks allow.
    nesting::check(engine.get_modules())?;

    // Compile now, so an unsafe variable or a bad reference is a load-time error, and check
    // that every function the user's policies call exists (the library is tested in CI).
    engine
        .eval_query("data.plumbline_load_check_undefined".to_string(), false)
        .map_err(|e| rego_error("<policies>", &e))?;
    calls::check(&user_files, &declared, &engine)?;

    let mut out = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (name, acc) in packages {
        let queries: Vec<Query> = acc
            .rules
            .iter()
            .filter_map(|r| {
                let level = finding_rule_level(r)?;
                Some(Query {
                    path: format!("data.{name}.{r}"),
                    name: r.clone(),
                    level,
                })
            })
            .collect();
        if queries.is_empty() {
            continue;
        }
        let has_deny = queries.iter().any(|q| q.level == FindingLevel::Error);
        let (ann, file) = match acc.annotations {
            Some((a, f)) => (a, f),
            None => (Annotations::default(), acc.file.clone()),
        };
        let id = ann.id.clone().unwrap_or_else(|| name.clone());
        if let Some(other) = ids.insert(id.clone(), name.clone()) {
            return Err(PolicyError {
                file,
                line: None,
                message: format!(
                    "rule id {id} is used by packages {other} and {name}; give each package \
                     its own custom.id"
                ),
            });
        }
        let default_severity = if has_deny {
            Severity::High
        } else {
            Severity::Low
        };
        let meta = RuleMeta {
            id,
            title: ann.title.clone().unwrap_or_else(|| name.clone()),
            description: ann.description.clone().unwrap_or_else(|| {
                format!("Results of the `deny`/`warn`/`violation` rules of Rego package `{name}`.")
            }),
            severity: ann.severity.unwrap_or(default_severity),
            remediation: ann.remediation.clone(),
            frameworks: ann.frameworks.clone(),
            related_resources: ann.related_resources.clone(),
            package: name.clone(),
            source: file,
        };
        out.push(Package {
            exception: acc
                .rules
                .iter()
                .any(|r| r == "exception")
                .then(|| format!("data.{name}.exception")),
            explicit_severity: ann.severity.is_some(),
            kinds: (!ann.kinds.is_empty()).then(|| ann.kinds.iter().cloned().collect()),
            related_kinds: (!ann.related_kinds.is_empty())
                .then(|| ann.related_kinds.iter().cloned().collect()),
            related_by: ann.related_by,
            queries,
            meta,
            builtin: acc.builtin,
            reads_related: acc.reads_related,
            name,
        });
    }
    tests.sort();
    // The batch rules only speed evaluation up: should they not compile, every document is
    // evaluated with a query instead.
    let (text, rules) = batch_rules(&out);
    let mut with_batches = engine.clone();
    let batches = match with_batches
        .add_policy(format!("<{BATCH_PACKAGE}>"), text)
        .and_then(|_| with_batches.eval_query("data.plumbline_load_check_undefined".into(), false))
    {
        Ok(_) => {
            engine = with_batches;
            rules
        }
        Err(_) => BTreeMap::new(),
    };
    Ok(PolicySet {
        engine,
        batches,
        packages: out,
        tests,
        files,
        pss: admission::Settings::default(),
    })
}

/// `deny`, `violation`, `warn` and their `_suffix` forms, as conftest reads them.
fn finding_rule_level(rule: &str) -> Option<FindingLevel> {
    let matches = |prefix: &str| {
        rule == prefix
            || rule
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('_') && rest.len() > 1)
    };
    if matches("deny") || matches("violation") {
        Some(FindingLevel::Error)
    } else if matches("warn") {
        Some(FindingLevel::Warning)
    } else {
        None
    }
}

/// The parts of a regorus error: `\n--> file:line:col\n<excerpt>\nerror: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegoErrorParts {
    pub file: Option<String>,
    pub line: Option<u32>,
    /// The message without the source excerpt.
    pub message: String,
    /// The excerpt regorus renders (policy source with a caret), if any.
    pub excerpt: String,
}

pub fn split_rego_error(err: &anyhow::Error) -> RegoErrorParts {
    let text = format!("{err:#}");
    let mut parts = RegoErrorParts {
        file: None,
        line: None,
        message: String::new(),
        excerpt: String::new(),
    };
    let mut excerpt = Vec::new();
    let mut message = Vec::new();
    for line in text.lines() {
        if let Some(loc) = line.trim_start().strip_prefix("--> ") {
            let mut it = loc.rsplitn(3, ':');
            let (_col, l, f) = (it.next(), it.next(), it.next());
            parts.line = l.and_then(|l| l.trim().parse().ok());
            parts.file = f.map(str::to_string);
        } else if let Some(m) = line.strip_prefix("error: ") {
            message.push(m.trim().to_string());
        } else if line.contains('|') && parts.file.is_some() && message.is_empty() {
            excerpt.push(line.to_string());
        } else if !line.trim().is_empty() {
            message.push(line.trim().to_string());
        }
    }
    parts.message = message.join(" ");
    parts.excerpt = excerpt.join("\n");
    parts
}

/// The most characters of an engine message we repeat (it may quote policy text).
pub const MAX_MESSAGE_CHARS: usize = 300;
/// The most characters of a policy line an error quotes.
pub const MAX_EXCERPT_CHARS: usize = 120;

/// Turns a regorus load or compile error into ours, with file, line and a short excerpt: the
/// policy may be any file (`--policy /proc/self/environ`), so the quoted line is cut short
/// and its control characters escaped.
pub fn rego_error(default_file: &str, err: &anyhow::Error) -> PolicyError {
    let parts = split_rego_error(err);
    let mut message = explain(&limits::excerpt(&parts.message, MAX_MESSAGE_CHARS));
    for line in parts.excerpt.lines().take(4) {
        // `12 | text`: the gutter is regorus's, the text the policy's.
        let (gutter, text) = line.split_once('|').unwrap_or(("", line));
        message.push('\n');
        message.push_str(gutter);
        message.push('|');
        message.push_str(&limits::excerpt(text, MAX_EXCERPT_CHARS));
    }
    PolicyError {
        file: parts.file.unwrap_or_else(|| default_file.to_string()),
        line: parts.line,
        message,
    }
}

/// Adds what to do next to the engine's messages we know.
fn explain(msg: &str) -> String {
    if msg.contains("could not find function") || msg.contains("unknown function") {
        format!(
            "{msg} — the builtin is not available in plumbline's Rego engine; use a supported \
             builtin (see README, \"Writing policies\")"
        )
    } else {
        msg.to_string()
    }
}
