//! Drift rules as data: what is ignored, how list items are keyed, which fields are
//! quantities and which are sensitive. The built-in rules live in `rules/kubernetes.yaml`;
//! users add theirs with the same syntax. The syntax is documented at the top of that file.

use crate::load::tree::{Node, Value};
use crate::model::PathSeg;
use std::collections::BTreeMap;

const BUILTIN: &str = include_str!("../../rules/kubernetes.yaml");
const BUILTIN_ORIGIN: &str = "rules/kubernetes.yaml";

/// The drift rules in force: built-in ones plus the user's.
#[derive(Debug, Clone)]
pub struct Rules {
    ignore: Vec<IgnoreRule>,
    list_keys: Vec<ListKeyRule>,
    quantities: Vec<Scoped>,
    sensitive: Vec<Scoped>,
    managers: Vec<String>,
}

/// When an ignore rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Always,
    HpaTargets,
}

#[derive(Debug, Clone)]
struct IgnoreRule {
    kind: String,
    name: String,
    namespace: String,
    path: Pattern,
    when: When,
    /// Only when the declared object has a field at this path.
    if_declared: Option<Pattern>,
    /// Required of every rule; shown in `Debug` output (and the rules file) for people.
    #[allow(dead_code)]
    reason: String,
}

#[derive(Debug, Clone)]
struct ListKeyRule {
    kind: String,
    path: Pattern,
    keys: Vec<String>,
    defaults: BTreeMap<String, serde_json::Value>,
    origin: KeyOrigin,
}

/// Where a list-key rule comes from, in increasing precedence (see [`Rules::list_keys`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KeyOrigin {
    /// A built-in rule for any kind (`kind: "*"`): a guess from the field name
    /// (`/**/containers`), which a server's schema corrects.
    BuiltinGeneric,
    /// Read from the cluster's OpenAPI v3 (or given with [`Rules::add_list_keys`]).
    Server,
    /// A built-in rule naming a kind: a deliberate statement about that kind.
    BuiltinKind,
    /// The user's configuration.
    User,
}

#[derive(Debug, Clone)]
struct Scoped {
    kind: String,
    path: Pattern,
}

/// The keys a list's items are matched by, and the values the server fills in for missing
/// key fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ListKeys {
    pub keys: Vec<String>,
    pub defaults: BTreeMap<String, serde_json::Value>,
}

/// The object a rule is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
    pub hpa_targets: bool,
    /// The declared object, as JSON.
    pub declared: &'a serde_json::Value,
}

/// The object a path leads into (for `[field=glob]` segments), when known.
pub(crate) type Resolver<'a> = Option<&'a serde_json::Value>;

/// How a pattern relates to a path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Match {
    /// The pattern matches the path exactly.
    pub exact: bool,
    /// The pattern matches the path or one of its ancestors.
    pub covers: bool,
    /// The path is consumed and the pattern goes on: it may match a descendant.
    pub below: bool,
}

impl Match {
    fn or(self, o: Match) -> Match {
        Match {
            exact: self.exact || o.exact,
            covers: self.covers || o.covers,
            below: self.below || o.below,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum PatSeg {
    Any,
    AnyDepth,
    Lit(String),
    Select(String, String),
}

/// A parsed rule path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern(Vec<PatSeg>);

impl Pattern {
    pub(crate) fn parse(s: &str) -> Result<Pattern, String> {
        let rest = s.strip_prefix('/').ok_or_else(|| {
            format!("path `{s}` must start with `/` (JSON-pointer-like, e.g. `/spec/replicas`)")
        })?;
        if rest.is_empty() {
            return Err(format!("path `{s}` names no field"));
        }
        let mut segs = Vec::new();
        for raw in rest.split('/') {
            if raw.is_empty() {
                return Err(format!(
                    "path `{s}` has an empty segment (`//` or a trailing `/`)"
                ));
            }
            let seg = raw.replace("~1", "/").replace("~0", "~");
            segs.push(match seg.as_str() {
                "*" => PatSeg::Any,
                "**" => PatSeg::AnyDepth,
                _ if seg.starts_with('[') => {
                    let inner = seg
                        .strip_prefix('[')
                        .and_then(|x| x.strip_suffix(']'))
                        .and_then(|x| x.split_once('='))
                        .filter(|(f, _)| !f.is_empty())
                        .ok_or_else(|| {
                            format!(
                                "path `{s}`: segment `{raw}` must be `[field=glob]`, \
                                 e.g. `[name=istio-proxy]`"
                            )
                        })?;
                    PatSeg::Select(inner.0.to_string(), inner.1.to_string())
                }
                _ => PatSeg::Lit(seg),
            });
        }
        Ok(Pattern(segs))
    }

    /// A path learnt from a schema (`/spec/a~1b/*/ports`): every segment is a field name,
    /// except `*` (any list item or map value).
    pub(crate) fn learnt(s: &str) -> Pattern {
        Pattern(
            s.trim_start_matches('/')
                .split('/')
                .filter(|seg| !seg.is_empty())
                .map(|seg| match seg {
                    "*" => PatSeg::Any,
                    _ => PatSeg::Lit(seg.replace("~1", "/").replace("~0", "~")),
                })
                .collect(),
        )
    }

    /// Does some field of `root` match this pattern exactly?
    fn exists_in(&self, root: &serde_json::Value) -> bool {
        fn walk(
            p: &Pattern,
            root: &serde_json::Value,
            v: &serde_json::Value,
            path: &mut Vec<PathSeg>,
        ) -> bool {
            if !path.is_empty() {
                let m = p.matches(path, Some(root));
                if m.exact && !v.is_null() {
                    return true;
                }
                if !m.below {
                    return false;
                }
            }
            let children: Vec<(PathSeg, &serde_json::Value)> = match v {
                serde_json::Value::Object(m) => m
                    .iter()
                    .map(|(k, c)| (PathSeg::Key(k.clone()), c))
                    .collect(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (PathSeg::Index(i), c))
                    .collect(),
                _ => return false,
            };
            children.into_iter().any(|(seg, c)| {
                path.push(seg);
                let found = walk(p, root, c, path);
                path.pop();
                found
            })
        }
        walk(self, root, root, &mut Vec::new())
    }

    pub(crate) fn matches(&self, path: &[PathSeg], res: Resolver) -> Match {
        match_from(&self.0, path, 0, res)
    }
}

fn match_from(pat: &[PatSeg], path: &[PathSeg], pos: usize, res: Resolver) -> Match {
    if pat.is_empty() {
        return Match {
            exact: pos == path.len(),
            covers: true,
            below: false,
        };
    }
    if pos == path.len() {
        let rest_any = pat.iter().all(|p| *p == PatSeg::AnyDepth);
        return Match {
            exact: rest_any,
            covers: rest_any,
            below: true,
        };
    }
    match &pat[0] {
        PatSeg::AnyDepth => {
            match_from(&pat[1..], path, pos, res).or(match_from(pat, path, pos + 1, res))
        }
        PatSeg::Any => match_from(&pat[1..], path, pos + 1, res),
        PatSeg::Lit(s) => {
            let ok = match &path[pos] {
                PathSeg::Key(k) => k == s,
                PathSeg::Index(i) => s.parse::<usize>().ok() == Some(*i),
            };
            if ok {
                match_from(&pat[1..], path, pos + 1, res)
            } else {
                Match::default()
            }
        }
        PatSeg::Select(field, glob_pat) => {
            let ok = matches!(path[pos], PathSeg::Index(_))
                && res
                    .and_then(|root| super::secret::lookup(root, &path[..=pos]))
                    .and_then(|v| v.get(field))
                    .is_some_and(|v| match v {
                        serde_json::Value::String(s) => glob(glob_pat, s),
                        other => glob(glob_pat, &other.to_string()),
                    });
            if ok {
                match_from(&pat[1..], path, pos + 1, res)
            } else {
                Match::default()
            }
        }
    }
}

/// `*` (any run of characters) and `?` (one character) wildcards.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Does a kind selector (`Kind`, `group/Kind`, globs) select this object?
fn kind_matches(selector: &str, api_version: &str, kind: &str) -> bool {
    if selector == "*" {
        return true;
    }
    match selector.split_once('/') {
        None => glob(selector, kind),
        Some((group_sel, kind_sel)) => {
            let group = match api_version.rsplit_once('/') {
                Some((g, _)) => g,
                None => "core",
            };
            glob(group_sel, group) && glob(kind_sel, kind)
        }
    }
}

const NO_RESOLVER: Resolver<'static> = None;

impl Rules {
    /// The built-in rules of `rules/kubernetes.yaml`.
    pub fn builtin() -> Rules {
        static BUILTIN_RULES: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();
        BUILTIN_RULES.get_or_init(Rules::parse_builtin).clone()
    }

    fn parse_builtin() -> Rules {
        let empty = Rules {
            ignore: Vec::new(),
            list_keys: Vec::new(),
            quantities: Vec::new(),
            sensitive: Vec::new(),
            managers: Vec::new(),
        };
        let mut rules = empty
            .with_user_yaml(BUILTIN, BUILTIN_ORIGIN)
            .unwrap_or_else(|e| panic!("built-in drift rules are invalid: {e}"));
        for r in &mut rules.list_keys {
            r.origin = if r.kind == "*" {
                KeyOrigin::BuiltinGeneric
            } else {
                KeyOrigin::BuiltinKind
            };
        }
        rules
    }

    /// User rules from the configuration (same syntax as rules/kubernetes.yaml entries);
    /// `origin` names the file for error messages.
    pub fn with_user_yaml(mut self, yaml: &str, origin: &str) -> Result<Rules, String> {
        let docs = crate::load::parse_documents(yaml, &crate::load::LoadOptions::default())
            .map_err(|e| {
                let at = e
                    .pos
                    .map_or_else(String::new, |p| format!(":{}:{}", p.line, p.column));
                format!("{origin}{at}: not valid YAML: {}", e.message)
            })?;
        for doc in &docs {
            self.add_document(doc, origin)?;
        }
        Ok(self)
    }

    /// Adds list keys learnt elsewhere (e.g. from the OpenAPI document's
    /// `x-kubernetes-list-map-keys`): `kind` is a kind selector, `path` a rule path.
    pub fn add_list_keys(
        &mut self,
        kind: &str,
        path: &str,
        keys: &[&str],
        defaults: &[(&str, serde_json::Value)],
    ) -> Result<(), String> {
        if keys.is_empty() {
            return Err(format!("list keys for `{path}`: no key field given"));
        }
        self.list_keys.push(ListKeyRule {
            kind: kind.to_string(),
            path: Pattern::parse(path)?,
            keys: keys.iter().map(|k| k.to_string()).collect(),
            defaults: defaults
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            origin: KeyOrigin::Server,
        });
        Ok(())
    }

    /// These rules plus the list keys a cluster's OpenAPI v3 declares (what the live reader
    /// put in [`LiveCluster::list_keys`](crate::live::LiveCluster::list_keys)).
    pub fn with_cluster_keys(&self, keys: &[crate::live::OpenApiListKeys]) -> Rules {
        let mut rules = self.clone();
        for k in keys {
            let group = match k.api_version.rsplit_once('/') {
                Some((g, _)) => g,
                None => "core",
            };
            let selector = format!("{group}/{}", k.kind);
            for (path, keys) in &k.lists {
                if keys.is_empty() {
                    continue;
                }
                rules.list_keys.push(ListKeyRule {
                    kind: selector.clone(),
                    path: Pattern::learnt(path),
                    keys: keys.clone(),
                    defaults: BTreeMap::new(),
                    origin: KeyOrigin::Server,
                });
            }
        }
        rules
    }

    /// Is this path of this kind sensitive (never shown, compared by keyed hash)?
    pub fn is_sensitive(&self, api_version: &str, kind: &str, path: &[PathSeg]) -> bool {
        self.sensitive_match(api_version, kind, path, NO_RESOLVER)
            .covers
    }

    /// Field managers whose `Apply` entries record what Git declared.
    pub fn gitops_managers(&self) -> &[String] {
        &self.managers
    }

    pub(crate) fn sensitive_match(
        &self,
        api_version: &str,
        kind: &str,
        path: &[PathSeg],
        res: Resolver,
    ) -> Match {
        self.sensitive
            .iter()
            .filter(|r| kind_matches(&r.kind, api_version, kind))
            .fold(Match::default(), |m, r| m.or(r.path.matches(path, res)))
    }

    pub(crate) fn has_sensitive(&self, api_version: &str, kind: &str) -> bool {
        self.sensitive
            .iter()
            .any(|r| kind_matches(&r.kind, api_version, kind))
    }

    pub(crate) fn is_ignored(&self, t: &Target, path: &[PathSeg], res: Resolver) -> bool {
        self.ignore.iter().any(|r| {
            (r.when == When::Always || t.hpa_targets)
                && r.if_declared
                    .as_ref()
                    .is_none_or(|p| p.exists_in(t.declared))
                && kind_matches(&r.kind, t.api_version, t.kind)
                && glob(&r.name, t.name)
                && glob(&r.namespace, t.namespace)
                && r.path.matches(path, res).covers
        })
    }

    pub(crate) fn is_quantity(&self, api_version: &str, kind: &str, path: &[PathSeg]) -> bool {
        self.quantities.iter().any(|r| {
            kind_matches(&r.kind, api_version, kind) && r.path.matches(path, NO_RESOLVER).exact
        })
    }

    /// The keys of the list at `path`. Of the matching rules, the one of highest precedence
    /// wins — user rules, then built-in rules that name the kind, then keys read from the
    /// cluster's OpenAPI v3, then built-in rules for any kind (`/**/containers`…) — and among
    /// rules of the same precedence the last one. A list the server declares without keys
    /// (`atomic`) adds no rule, so built-in keys still apply to it. Key defaults are merged
    /// from every matching rule, so keys learnt without defaults still get the server's
    /// (`protocol: TCP`).
    pub(crate) fn list_keys(
        &self,
        api_version: &str,
        kind: &str,
        path: &[PathSeg],
    ) -> Option<ListKeys> {
        let mut found: Option<(KeyOrigin, ListKeys)> = None;
        let mut defaults = BTreeMap::new();
        for r in &self.list_keys {
            if kind_matches(&r.kind, api_version, kind) && r.path.matches(path, NO_RESOLVER).exact {
                defaults.extend(r.defaults.iter().map(|(k, v)| (k.clone(), v.clone())));
                if found.as_ref().is_none_or(|(o, _)| r.origin >= *o) {
                    found = Some((
                        r.origin,
                        ListKeys {
                            keys: r.keys.clone(),
                            defaults: BTreeMap::new(),
                        },
                    ));
                }
            }
        }
        let found = found.map(|(_, k)| k);
        found.map(|mut f| {
            f.defaults = defaults;
            f
        })
    }

    /// Learns list keys from an OpenAPI v3 document: every array reached from `schema`
    /// (following `$ref`s into `document`'s `components.schemas`) that carries
    /// `x-kubernetes-list-map-keys` (with `x-kubernetes-list-type: map`) or else
    /// `x-kubernetes-patch-merge-key` (with a `merge` patch strategy) gets a list-key rule for
    /// objects selected by `kind`, with the precedence of keys read from a cluster.
    /// Returns how many rules were added.
    pub fn add_openapi_list_keys(
        &mut self,
        kind: &str,
        document: &serde_json::Value,
        schema: &serde_json::Value,
    ) -> usize {
        let found = crate::live::kubernetes::openapi::list_keys_of(document, schema);
        let n = found.len();
        for (path, keys) in found {
            self.list_keys.push(ListKeyRule {
                kind: kind.to_string(),
                path: Pattern::learnt(&path),
                keys,
                defaults: BTreeMap::new(),
                origin: KeyOrigin::Server,
            });
        }
        n
    }

    fn add_document(&mut self, doc: &Node, origin: &str) -> Result<(), String> {
        let at = |n: &Node| format!("{origin}:{}:{}", n.start.line, n.start.column);
        let entries = match &doc.value {
            Value::Map(entries) => entries,
            Value::Null => return Ok(()),
            _ => {
                return Err(format!(
                    "{}: drift rules must be a mapping with sections `ignore`, `listKeys`, \
                     `quantities`, `sensitive`, `gitopsManagers`",
                    at(doc)
                ))
            }
        };
        for e in entries {
            let items = || -> Result<&[Node], String> {
                match &e.value.value {
                    Value::Seq(items) => Ok(items),
                    Value::Null => Ok(&[]),
                    _ => Err(format!(
                        "{}: `{}` must be a list of rules",
                        at(&e.value),
                        e.key
                    )),
                }
            };
            match e.key.as_str() {
                "ignore" => {
                    for item in items()? {
                        let f = Fields::of(
                            item,
                            origin,
                            &[
                                "kind",
                                "name",
                                "namespace",
                                "path",
                                "when",
                                "ifDeclared",
                                "reason",
                            ],
                        )?;
                        let when = match f.string("when")?.as_deref() {
                            None | Some("always") => When::Always,
                            Some("hpaTargets") => When::HpaTargets,
                            Some(other) => {
                                return Err(format!(
                                    "{}: unknown `when: {other}` (known: `hpaTargets`)",
                                    at(item)
                                ))
                            }
                        };
                        let reason = f.required("reason", "why this difference is not drift")?;
                        if reason.trim().is_empty() {
                            return Err(format!(
                                "{}: `reason` is empty; say why this difference is not drift",
                                at(item)
                            ));
                        }
                        self.ignore.push(IgnoreRule {
                            kind: f.kind()?,
                            name: f.string("name")?.unwrap_or_else(|| "*".into()),
                            namespace: f.string("namespace")?.unwrap_or_else(|| "*".into()),
                            path: f.path()?,
                            when,
                            if_declared: match f.string("ifDeclared")? {
                                None => None,
                                Some(raw) => Some(
                                    Pattern::parse(&raw)
                                        .map_err(|e| format!("{}: ifDeclared: {e}", at(item)))?,
                                ),
                            },
                            reason,
                        });
                    }
                }
                "listKeys" => {
                    for item in items()? {
                        let f = Fields::of(item, origin, &["kind", "path", "keys", "defaults"])?;
                        let keys = f.string_list("keys")?;
                        if keys.is_empty() {
                            return Err(format!(
                                "{}: `keys` must list at least one key field, e.g. `keys: [name]`",
                                at(item)
                            ));
                        }
                        let defaults = match f.node("defaults") {
                            None => BTreeMap::new(),
                            Some(n) => match n.to_json() {
                                serde_json::Value::Object(m) => m.into_iter().collect(),
                                serde_json::Value::Null => BTreeMap::new(),
                                _ => {
                                    return Err(format!(
                                    "{}: `defaults` must be a mapping, e.g. `{{protocol: TCP}}`",
                                    at(n)
                                ))
                                }
                            },
                        };
                        self.list_keys.push(ListKeyRule {
                            kind: f.kind()?,
                            path: f.path()?,
                            keys,
                            defaults,
                            origin: KeyOrigin::User,
                        });
                    }
                }
                "quantities" | "sensitive" => {
                    let allowed: &[&str] = if e.key == "sensitive" {
                        &["kind", "path", "reason"]
                    } else {
                        &["kind", "path"]
                    };
                    for item in items()? {
                        let f = Fields::of(item, origin, allowed)?;
                        let rule = Scoped {
                            kind: f.kind()?,
                            path: f.path()?,
                        };
                        if e.key == "sensitive" {
                            self.sensitive.push(rule);
                        } else {
                            self.quantities.push(rule);
                        }
                    }
                }
                "gitopsManagers" => {
                    for item in items()? {
                        match item.as_str() {
                            Some(s) if !s.is_empty() => self.managers.push(s.to_string()),
                            _ => {
                                return Err(format!(
                                    "{}: a GitOps manager is a field manager name (a string)",
                                    at(item)
                                ))
                            }
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "{}: unknown section `{other}` (known: `ignore`, `listKeys`, \
                         `quantities`, `sensitive`, `gitopsManagers`)",
                        at_entry(origin, e)
                    ))
                }
            }
        }
        Ok(())
    }
}

fn at_entry(origin: &str, e: &crate::load::tree::Entry) -> String {
    format!("{origin}:{}:{}", e.key_start.line, e.key_start.column)
}

/// The fields of one rule, checked against the allowed names.
struct Fields<'a> {
    node: &'a Node,
    origin: &'a str,
}

impl<'a> Fields<'a> {
    fn of(node: &'a Node, origin: &'a str, allowed: &[&str]) -> Result<Fields<'a>, String> {
        let at = format!("{origin}:{}:{}", node.start.line, node.start.column);
        let Value::Map(entries) = &node.value else {
            return Err(format!(
                "{at}: a rule must be a mapping with {}",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        for e in entries {
            if !allowed.contains(&e.key.as_str()) {
                return Err(format!(
                    "{}: unknown field `{}` in this rule (allowed: {})",
                    at_entry(origin, e),
                    e.key,
                    allowed.join(", ")
                ));
            }
        }
        Ok(Fields { node, origin })
    }

    fn at(&self, n: &Node) -> String {
        format!("{}:{}:{}", self.origin, n.start.line, n.start.column)
    }

    fn node(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key).filter(|n| n.value != Value::Null)
    }

    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.node(key) {
            None => Ok(None),
            Some(n) => match &n.value {
                Value::Str(s) => Ok(Some(s.clone())),
                _ => Err(format!("{}: `{key}` must be a string", self.at(n))),
            },
        }
    }

    fn required(&self, key: &str, what: &str) -> Result<String, String> {
        self.string(key)?.ok_or_else(|| {
            format!(
                "{}: this rule has no `{key}`; add one ({what})",
                self.at(self.node)
            )
        })
    }

    fn string_list(&self, key: &str) -> Result<Vec<String>, String> {
        match self.node(key).map(|n| (n, &n.value)) {
            None => Ok(Vec::new()),
            Some((_, Value::Seq(items))) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("{}: `{key}` items must be strings", self.at(i)))
                })
                .collect(),
            Some((n, _)) => Err(format!("{}: `{key}` must be a list", self.at(n))),
        }
    }

    /// A kind selector: `Kind`, `group/Kind` or `*` (not an apiVersion).
    fn kind(&self) -> Result<String, String> {
        let Some(kind) = self.string("kind")? else {
            return Ok("*".into());
        };
        let n = self.node("kind").unwrap_or(self.node);
        let looks_like_version = |g: &str| {
            g.strip_prefix('v').is_some_and(|rest| {
                rest.starts_with(|c: char| c.is_ascii_digit())
                    && rest.chars().all(|c| c.is_ascii_alphanumeric())
            })
        };
        match kind.split('/').collect::<Vec<_>>().as_slice() {
            [k] if !k.is_empty() => Ok(kind),
            [g, k] if !g.is_empty() && !k.is_empty() && !looks_like_version(g) => Ok(kind),
            _ => Err(format!(
                "{}: kind `{kind}` must be `Kind`, `group/Kind` or `*` — the API group, not the \
                 apiVersion (`apps/Deployment`; core kinds: `core/Service` or `Service`)",
                self.at(n)
            )),
        }
    }

    fn path(&self) -> Result<Pattern, String> {
        let raw = self.required("path", "e.g. `path: /spec/replicas`")?;
        let n = self.node("path").unwrap_or(self.node);
        Pattern::parse(&raw).map_err(|e| format!("{}: {e}", self.at(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<PathSeg> {
        crate::model::parse_rendered_path(s)
    }

    #[test]
    fn builtin_rules_parse_and_say_sensible_things() {
        let r = Rules::builtin();
        assert!(r.is_sensitive("v1", "Secret", &p("data.password")));
        assert!(r.is_sensitive("v1", "Secret", &p("stringData.token")));
        assert!(!r.is_sensitive("v1", "ConfigMap", &p("data.password")));
        assert!(!r.is_sensitive("v1", "Secret", &p("metadata.name")));
        assert!(r
            .gitops_managers()
            .iter()
            .any(|m| m == "kustomize-controller"));
        let keys = r
            .list_keys(
                "apps/v1",
                "Deployment",
                &p("spec.template.spec.containers[0].ports"),
            )
            .unwrap();
        assert_eq!(keys.keys, ["containerPort", "protocol"]);
        assert_eq!(keys.defaults["protocol"], "TCP");
        assert_eq!(
            r.list_keys("v1", "Service", &p("spec.ports")).unwrap().keys,
            ["port", "protocol"]
        );
        assert!(r.list_keys("v1", "Pod", &p("spec.tolerations")).is_none());
        assert!(r.is_quantity("v1", "Pod", &p("spec.containers[1].resources.limits.cpu")));
        assert!(!r.is_quantity("v1", "Pod", &p("spec.containers[1].image")));
    }

    #[test]
    fn patterns_match_keys_indices_wildcards_and_selectors() {
        let pat = Pattern::parse("/**/containers/[name=istio-*]").unwrap();
        let doc =
            serde_json::json!({"spec": {"containers": [{"name": "web"}, {"name": "istio-proxy"}]}});
        assert!(
            pat.matches(&p("spec.containers[1].image"), Some(&doc))
                .covers
        );
        assert!(
            !pat.matches(&p("spec.containers[0].image"), Some(&doc))
                .covers
        );
        let ann = Pattern::parse("/metadata/annotations/a.io~1b").unwrap();
        let key = vec![
            PathSeg::Key("metadata".into()),
            PathSeg::Key("annotations".into()),
            PathSeg::Key("a.io/b".into()),
        ];
        assert!(ann.matches(&key, NO_RESOLVER).exact);
        assert!(ann.matches(&key[..2], NO_RESOLVER).below);
        assert!(Pattern::parse("spec").is_err());
        assert!(Pattern::parse("/a//b").is_err());
        assert!(Pattern::parse("/a/[name]").is_err());
    }

    #[test]
    fn list_keys_learnt_from_openapi_keep_builtin_defaults() {
        let doc = serde_json::json!({"components": {"schemas": {
            "Deployment": {"properties": {"spec": {"allOf": [{"$ref": "#/components/schemas/Spec"}]}}},
            "Spec": {"properties": {
                "template": {"properties": {"spec": {"$ref": "#/components/schemas/PodSpec"}}},
                "self": {"$ref": "#/components/schemas/Spec"}
            }},
            "PodSpec": {"properties": {
                "containers": {"type": "array", "x-kubernetes-patch-merge-key": "name",
                    "x-kubernetes-patch-strategy": "merge",
                    "items": {"$ref": "#/components/schemas/Container"}},
                "gadgets": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["id", "zone"], "items": {"type": "object"}}
            }},
            "Container": {"properties": {"ports": {"type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
                "x-kubernetes-patch-merge-key": "containerPort",
                "items": {"type": "object"}}}}
        }}});
        let mut r = Rules::builtin();
        let schema = &doc["components"]["schemas"]["Deployment"];
        assert_eq!(r.add_openapi_list_keys("apps/Deployment", &doc, schema), 3);
        let gadgets = r
            .list_keys("apps/v1", "Deployment", &p("spec.template.spec.gadgets"))
            .unwrap();
        assert_eq!(gadgets.keys, ["id", "zone"]);
        assert!(r
            .list_keys("v1", "Pod", &p("spec.template.spec.gadgets"))
            .is_none());
        let ports = r
            .list_keys(
                "apps/v1",
                "Deployment",
                &p("spec.template.spec.containers[0].ports"),
            )
            .unwrap();
        assert_eq!(ports.keys, ["containerPort", "protocol"]);
        assert_eq!(ports.defaults["protocol"], "TCP");
    }

    #[test]
    fn cluster_keys_replace_generic_builtin_keys_only() {
        let learnt = |api_version: &str, kind: &str, path: &str, keys: &[&str]| {
            crate::live::OpenApiListKeys {
                api_version: api_version.into(),
                kind: kind.into(),
                lists: [(
                    path.to_string(),
                    keys.iter().map(|k| k.to_string()).collect(),
                )]
                .into_iter()
                .collect(),
            }
        };
        let cluster = [
            learnt(
                "apps/v1",
                "Deployment",
                "/spec/template/spec/containers",
                &["image"],
            ),
            learnt(
                "apps/v1",
                "Deployment",
                "/spec/template/spec/volumes/*/sources",
                &["id"],
            ),
            learnt("v1", "Service", "/spec/ports", &["port"]),
            learnt("example.com/v1", "Widget", "/spec/a~1b/*/env", &["key"]),
        ];
        let r = Rules::builtin().with_cluster_keys(&cluster);
        let keys =
            |av: &str, kind: &str, path: &str| r.list_keys(av, kind, &p(path)).map(|k| k.keys);
        // A generic built-in guess (`/**/containers` by name) gives way to the server's.
        assert_eq!(
            keys("apps/v1", "Deployment", "spec.template.spec.containers").unwrap(),
            ["image"]
        );
        // Only for the kind the server described.
        assert_eq!(
            keys("apps/v1", "StatefulSet", "spec.template.spec.containers").unwrap(),
            ["name"]
        );
        assert_eq!(
            keys(
                "apps/v1",
                "Deployment",
                "spec.template.spec.volumes[3].sources"
            )
            .unwrap(),
            ["id"]
        );
        // A built-in rule naming the kind is deliberate and stays.
        assert_eq!(
            keys("v1", "Service", "spec.ports").unwrap(),
            ["port", "protocol"]
        );
        // Escaped field names are literal; `*` is any item or value.
        let mut key_path = p("spec");
        key_path.push(PathSeg::Key("a/b".into()));
        key_path.extend(p("x.env"));
        assert_eq!(
            r.list_keys("example.com/v1", "Widget", &key_path)
                .unwrap()
                .keys,
            ["key"]
        );
        // User rules win over everything.
        let user = Rules::builtin()
            .with_user_yaml(
                "listKeys:\n  - kind: apps/Deployment\n    path: /spec/template/spec/containers\n    keys: [name]\n",
                "cfg.yaml",
            )
            .unwrap()
            .with_cluster_keys(&cluster);
        assert_eq!(
            user.list_keys("apps/v1", "Deployment", &p("spec.template.spec.containers"))
                .unwrap()
                .keys,
            ["name"]
        );
    }

    #[test]
    fn globs_and_kind_selectors() {
        assert!(glob("web-*", "web-1"));
        assert!(!glob("web-*", "api"));
        assert!(glob("a?c", "abc"));
        assert!(kind_matches("apps/Deployment", "apps/v1", "Deployment"));
        assert!(!kind_matches("apps/Deployment", "v1", "Deployment"));
        assert!(kind_matches("core/Service", "v1", "Service"));
        assert!(kind_matches("Service", "v1", "Service"));
        assert!(kind_matches(
            "*.k8s.io/*",
            "rbac.authorization.k8s.io/v1",
            "Role"
        ));
    }

    #[test]
    fn user_rules_report_origin_and_problem() {
        let err = Rules::builtin()
            .with_user_yaml("ignore:\n  - path: /spec/replicas\n", "plumbline.yaml")
            .unwrap_err();
        assert!(err.starts_with("plumbline.yaml:2:"), "{err}");
        assert!(err.contains("reason"), "{err}");
        let err = Rules::builtin()
            .with_user_yaml("ignore:\n  - path: spec\n    reason: x\n", "cfg.yaml")
            .unwrap_err();
        assert!(
            err.contains("cfg.yaml:2:") && err.contains("must start with `/`"),
            "{err}"
        );
        for kind in ["apps/v1/Deployment", "v1/Service", "/Service", ""] {
            let yaml = format!("sensitive:\n  - kind: \"{kind}\"\n    path: /a\n");
            let err = Rules::builtin()
                .with_user_yaml(&yaml, "cfg.yaml")
                .unwrap_err();
            assert!(
                err.contains("cfg.yaml:2:") && err.contains("group/Kind"),
                "{err}"
            );
        }
        let err = Rules::builtin()
            .with_user_yaml("ignored: []\n", "cfg.yaml")
            .unwrap_err();
        assert!(err.contains("unknown section `ignored`"), "{err}");
    }
}
