//! AWS drift: what Terraform states record against what AWS holds, read-only.
//!
//! The declared side is Terraform state v4 ([`state`]), each resource instance mapped back to
//! its `resource` block in the `.tf` files of the scanned revision ([`hcl`]). The live side is
//! an [`AwsAccount`] per set of credentials, in the API's own shape (`live::aws::model`). Per
//! Terraform type, [`rules`] (data in `rules/aws/*.yaml`) say which live resource and which
//! members to compare, through which [`normalise`]r. Anything not read completely is not
//! compared and becomes an error notification (`aws-not-read`), never a silent "no drift".

pub mod findings;
mod hcl;
pub mod normalise;
pub mod rules;
pub mod state;

use crate::drift::check::Outcome;
use crate::drift::secret::{is_hash_token, json_bytes, lookup};
use crate::drift::HashKey;
use crate::live::aws::model::{reader, AwsAccount, AwsRequest, LiveResource, READ_BY_MEMBER};
use crate::load::{Document, Files, SourceFile};
use crate::model::{
    render_path, Finding, NoteLevel, Notification, PathSeg, Pos, Region, Severity, Subject,
};
use crate::policy::PolicySet;
use findings::{Declared, Place};
use normalise::{Compared, Context, Norm};
pub use rules::{AwsRules, Member, TypeRule};
use serde::Deserialize;
use serde_json::Value as J;
pub use state::{parse_state, StateFile, StateResource};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// One entry of the unmanaged ignore list (`.plumbline.yaml`, `aws.unmanaged.ignore`): every
/// field given must match; `id` and `arn` take `*` and `?` wildcards; `tag` is `key=value`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    #[serde(default, rename = "type")]
    pub ty: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Why the resource is not managed by Terraform (required: shown in the scan's notes).
    pub reason: String,
}

/// `--aws-unmanaged`: which live resources that no state holds are reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsUnmanaged {
    /// Terraform types to look at (`--aws-unmanaged-type`); empty: the types the states hold.
    pub types: Vec<String>,
    /// `--aws-unmanaged-tag k=v`: every tag must match.
    pub tags: Vec<(String, String)>,
    pub ignore: Vec<IgnoreEntry>,
}

/// Reads AWS once the states say which kinds, regions and resources to read (the CLI wires
/// it to `live::aws::read`; tests pass canned accounts). An account that could not be read
/// comes back with nothing complete and an error notification.
pub type AwsLiveRead = Box<dyn Fn(&[AwsRequest]) -> Vec<AwsAccount> + Send + Sync>;

/// Everything the AWS drift check needs besides the scanned files.
pub struct AwsDriftOptions {
    pub states: Vec<StateFile>,
    /// Accounts read beforehand (a snapshot, tests).
    pub accounts: Vec<AwsAccount>,
    /// Accounts to read once the states are known.
    pub live: Option<AwsLiveRead>,
    pub rules: AwsRules,
    /// The key live secret values were hashed with (Lambda environment values); declared
    /// secret values are hashed with it too before they are compared.
    pub key: HashKey,
    pub unmanaged: Option<AwsUnmanaged>,
    /// Problems met before the check (a state that could not be read or parsed), reported
    /// with its outcome.
    pub notifications: Vec<Notification>,
}

impl std::fmt::Debug for AwsDriftOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key, never attribute values.
        f.debug_struct("AwsDriftOptions")
            .field(
                "states",
                &self.states.iter().map(|s| &s.origin).collect::<Vec<_>>(),
            )
            .field(
                "accounts",
                &self.accounts.iter().map(|a| &a.name).collect::<Vec<_>>(),
            )
            .field("unmanaged", &self.unmanaged)
            .finish_non_exhaustive()
    }
}

/// The live key of a state resource: the first non-empty attribute the rule names.
fn live_key(r: &StateResource, rule: &TypeRule) -> Option<String> {
    rule.key.iter().find_map(|k| r.attr_str(k))
}

fn is_global(kind: &str) -> bool {
    reader(kind).is_some_and(|r| r.global)
}

/// The kinds a type's resources need read: its own, plus (exclusive policy attachments) the
/// roles, users and groups the attachment is checked against.
fn kinds_of(rule: &TypeRule) -> Vec<&str> {
    match rule.member {
        Some(Member::PolicyAttachment) => vec!["iam:role", "iam:user", "iam:group"],
        _ => vec![rule.kind.as_str()],
    }
}

/// What to read for `states` (and, with `unmanaged`, every resource of the watched kinds).
pub fn requests(
    states: &[StateFile],
    rules: &AwsRules,
    unmanaged: Option<&AwsUnmanaged>,
) -> Vec<AwsRequest> {
    let mut out: BTreeMap<String, AwsRequest> = BTreeMap::new();
    let mut any_region: BTreeSet<String> = BTreeSet::new();
    let mut declared_types: BTreeSet<&str> = BTreeSet::new();
    for r in states.iter().flat_map(|s| &s.resources) {
        let Some(rule) = rules.get(&r.ty) else {
            continue;
        };
        declared_types.insert(rule.ty.as_str());
        for kind in kinds_of(rule) {
            let req = out
                .entry(kind.to_string())
                .or_insert_with(|| new_request(kind));
            if kind == rule.kind {
                if let Some(k) = live_key(r, rule) {
                    req.ids.insert(k);
                }
                wanted_members(req, r, rule);
            }
            if !is_global(kind) {
                match &r.region {
                    Some(region) => {
                        req.regions.insert(region.clone());
                    }
                    None => {
                        any_region.insert(kind.to_string());
                    }
                }
            }
        }
    }
    if let Some(u) = unmanaged {
        let types: Vec<&str> = if u.types.is_empty() {
            declared_types.into_iter().collect()
        } else {
            u.types.iter().map(String::as_str).collect()
        };
        for ty in types {
            let Some(rule) = rules.get(ty) else {
                continue;
            };
            let Some(t) = rules.unmanaged_type(&rule.kind) else {
                continue;
            };
            let mut kinds = vec![t.kind.clone()];
            if t.defaults
                .iter()
                .any(|d| d.test == rules::DefaultTest::InDefaultVpc)
            {
                // Telling the default VPC's gateway apart needs the VPCs.
                kinds.push("ec2:vpc".to_string());
            }
            for (i, kind) in kinds.into_iter().enumerate() {
                let req = out
                    .entry(kind.clone())
                    .or_insert_with(|| new_request(&kind));
                req.all |= i == 0;
                // Unmanaged resources: their existence, and their tags for the filters.
                if let Some(m) = req.members.as_mut() {
                    m.insert("Tags".to_string());
                }
                // Every configured region: unmanaged resources may be anywhere.
                any_region.insert(kind);
            }
        }
    }
    for kind in any_region {
        if let Some(r) = out.get_mut(&kind) {
            r.regions.clear();
        }
    }
    out.into_values().collect()
}

/// A request for `kind`: the [`READ_BY_MEMBER`] kinds (S3 buckets) start with no member to
/// read (`wanted_members` adds what the states compare); others read their whole bodies.
fn new_request(kind: &str) -> AwsRequest {
    AwsRequest {
        kind: kind.to_string(),
        members: READ_BY_MEMBER.contains(&kind).then(BTreeSet::new),
        ..AwsRequest::default()
    }
}

/// Adds to `req.members` the live body members `rule` compares for state resource `r`:
/// those of the compared attributes the state holds (an attribute the provider did not write
/// is not compared, so its member is not read). The S3 reader reads only these settings of a
/// bucket; a rule that matches members of a list in its body needs the whole body.
fn wanted_members(req: &mut AwsRequest, r: &StateResource, rule: &TypeRule) {
    if rule.member.is_some() {
        req.members = None;
        return;
    }
    let mut wanted = BTreeSet::new();
    for c in &rule.compare {
        if let (Some(PathSeg::Key(top)), Some(PathSeg::Key(live))) =
            (c.attr.first(), c.live.first())
        {
            if r.attributes.get(top.as_str()).is_some() {
                wanted.insert(live.clone());
            }
        }
    }
    if let Some(m) = req.members.as_mut() {
        m.extend(wanted);
    }
}

/// One account's live resources, by kind and key.
struct Index<'a> {
    account: &'a AwsAccount,
    by_key: HashMap<(&'a str, &'a str), Vec<&'a LiveResource>>,
    complete: HashSet<(&'a str, &'a str)>,
    default_vpcs: BTreeSet<String>,
}

impl<'a> Index<'a> {
    fn new(account: &'a AwsAccount) -> Self {
        let mut by_key: HashMap<(&str, &str), Vec<&LiveResource>> = HashMap::new();
        let mut default_vpcs = BTreeSet::new();
        for r in &account.resources {
            by_key
                .entry((r.kind.as_str(), r.id.as_str()))
                .or_default()
                .push(r);
            if r.kind == "ec2:vpc" && r.body.get("IsDefault") == Some(&J::Bool(true)) {
                default_vpcs.insert(r.id.clone());
            }
        }
        Self {
            account,
            by_key,
            complete: account
                .complete
                .iter()
                .map(|s| (s.kind.as_str(), s.region.as_str()))
                .collect(),
            default_vpcs,
        }
    }

    fn find(&self, kind: &str, id: &str, region: Option<&str>) -> Option<&'a LiveResource> {
        let found = self.by_key.get(&(kind, id))?;
        match region {
            Some(region) if !is_global(kind) => found.iter().find(|r| r.region == region).copied(),
            _ => found.first().copied(),
        }
    }

    /// The scopes a resource of `kind` in `region` (unknown: every region read) lives in.
    fn scopes(&self, kind: &str, region: Option<&str>) -> Vec<String> {
        if is_global(kind) {
            vec!["global".to_string()]
        } else {
            match region {
                Some(r) => vec![r.to_string()],
                None => self.account.regions.clone(),
            }
        }
    }

    fn is_complete(&self, kind: &str, region: Option<&str>) -> bool {
        let scopes = self.scopes(kind, region);
        !scopes.is_empty()
            && scopes
                .iter()
                .all(|s| self.complete.contains(&(kind, s.as_str())))
    }
}

/// A state resource with a rule, ready to compare.
struct Decl<'a> {
    state: usize,
    r: &'a StateResource,
    rule: &'a TypeRule,
    key: String,
    account: Option<usize>,
}

/// Follows a rule's live path; `*` projects over a list.
fn lookup_live(v: &J, path: &[PathSeg]) -> Option<J> {
    match path.split_first() {
        None => Some(v.clone()),
        Some((PathSeg::Key(k), rest)) if k == "*" => v
            .as_array()
            .map(|items| J::Array(items.iter().filter_map(|x| lookup_live(x, rest)).collect())),
        Some((PathSeg::Key(k), rest)) => lookup_live(v.get(k.as_str())?, rest),
        Some((PathSeg::Index(i), rest)) => lookup_live(v.get(*i)?, rest),
    }
}

/// Sets `path` in `root` (creating objects on the way; lists are not grown).
fn set_path(root: &mut J, path: &[PathSeg], value: J) {
    let Some((last, parents)) = path.split_last() else {
        *root = value;
        return;
    };
    let mut here = root;
    for seg in parents {
        here = match seg {
            PathSeg::Key(k) => {
                if !here.is_object() {
                    *here = J::Object(serde_json::Map::new());
                }
                here.as_object_mut()
                    .map(|o| o.entry(k.clone()).or_insert(J::Null))
                    .expect("an object")
            }
            PathSeg::Index(i) => match here.get_mut(*i) {
                Some(v) => v,
                None => return,
            },
        };
    }
    match (last, here) {
        (PathSeg::Key(k), J::Object(o)) => {
            o.insert(k.clone(), value);
        }
        (PathSeg::Index(i), J::Array(a)) if *i < a.len() => a[*i] = value,
        _ => {}
    }
}

/// Replaces every value under a sensitive path by its keyed hash (for documents the
/// policies read: nothing secret leaves this module, not even into a policy's message).
fn redact(attributes: &J, paths: &[Vec<PathSeg>], key: &HashKey) -> J {
    fn hash_all(v: &mut J, key: &HashKey) {
        match v {
            J::Object(m) => m.values_mut().for_each(|c| hash_all(c, key)),
            J::Array(a) => a.iter_mut().for_each(|c| hash_all(c, key)),
            J::String(s) if is_hash_token(s) => {}
            J::Null => {}
            other => {
                if let Some(b) = json_bytes(other) {
                    *other = J::String(key.hash(&b));
                }
            }
        }
    }
    let mut out = attributes.clone();
    for p in paths {
        let found = p.iter().try_fold(&mut out, |here, seg| match seg {
            PathSeg::Key(k) => here.get_mut(k.as_str()),
            PathSeg::Index(i) => here.get_mut(*i),
        });
        if let Some(v) = found {
            hash_all(v, key);
        }
    }
    out
}

fn sensitive_paths(r: &StateResource, rule: &TypeRule) -> Vec<Vec<PathSeg>> {
    r.sensitive
        .iter()
        .cloned()
        .chain(rule.sensitive.iter().map(|(p, _)| p.clone()))
        .collect()
}

fn overlaps(a: &[PathSeg], b: &[PathSeg]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The line of a resource in a state file's text, for findings that can only point there.
fn state_line(file: &SourceFile, r: &StateResource) -> Region {
    let ty = format!("\"type\": \"{}\"", r.ty);
    let name = format!("\"name\": \"{}\"", r.name);
    let text = &file.text;
    let mut at = 0usize;
    let mut found = None;
    while let Some(i) = text[at..].find(&ty) {
        let start = at + i;
        // The name follows the type within the same resource object.
        let window_end = text[start..]
            .find("\"instances\"")
            .map_or(text.len(), |j| start + j);
        if text[start..window_end].contains(&name)
            || text[..start].rfind(&name).is_some_and(|n| start - n < 200)
        {
            found = Some(start);
            break;
        }
        at = start + ty.len();
    }
    let start = file.pos(found.unwrap_or(0) as u32);
    let start = if found.is_some() {
        start
    } else {
        Pos::new(1, 1)
    };
    Region {
        start,
        end: Pos::new(start.line, start.column + 1),
    }
}

/// Matches `*` and `?` wildcards.
fn wildcard(pattern: &str, text: &str) -> bool {
    crate::drift::rules::glob(pattern, text)
}

fn tags_of(body: &J) -> BTreeMap<String, String> {
    let tags = body.get("Tags").or_else(|| body.get("TagList"));
    let mut out = BTreeMap::new();
    match tags {
        Some(J::Object(m)) => {
            for (k, v) in m {
                out.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
        }
        Some(J::Array(items)) => {
            for t in items {
                let k = t.get("Key").or_else(|| t.get("TagKey")).and_then(J::as_str);
                let v = t
                    .get("Value")
                    .or_else(|| t.get("TagValue"))
                    .and_then(J::as_str);
                if let Some(k) = k {
                    out.insert(k.to_string(), v.unwrap_or_default().to_string());
                }
            }
        }
        _ => {}
    }
    out
}

fn ignore_matches(
    e: &IgnoreEntry,
    ty: &str,
    r: &LiveResource,
    tags: &BTreeMap<String, String>,
) -> bool {
    e.ty.as_deref().is_none_or(|t| t == ty)
        && e.id.as_deref().is_none_or(|p| wildcard(p, &r.id))
        && e.arn
            .as_deref()
            .is_none_or(|p| r.arn.as_deref().is_some_and(|a| wildcard(p, a)))
        && e.tag.as_deref().is_none_or(|t| match t.split_once('=') {
            Some((k, v)) => tags.get(k).is_some_and(|x| x == v),
            None => tags.contains_key(t),
        })
}

/// The result of comparing one declared resource.
struct Checked {
    decl: usize,
    findings: Vec<Finding>,
    /// Drifted attributes and their live values in Terraform's shape.
    live_values: Vec<(Vec<PathSeg>, J)>,
    missing: bool,
}

/// Compares every state of `opts` with the accounts (read now through `opts.live`, or given).
/// `documents` are the scan's loaded documents; the `.tf` side of each state is evaluated
/// from `files` (its root module is found among them). `policies`, when given, are run on
/// the declared and the live form of each drifted resource: a policy only the live form
/// violates raises its drift findings to that policy's severity.
pub fn check(
    _documents: &[Document],
    files: &dyn Files,
    opts: &AwsDriftOptions,
    policies: Option<&PolicySet>,
) -> Outcome {
    let read_now;
    let accounts: &[AwsAccount] = match &opts.live {
        None => &opts.accounts,
        Some(read) => {
            let mut all = opts.accounts.clone();
            all.extend(read(&requests(
                &opts.states,
                &opts.rules,
                opts.unmanaged.as_ref(),
            )));
            read_now = all;
            &read_now
        }
    };
    let mut out = Outcome::default();
    out.notifications.extend(opts.notifications.iter().cloned());
    for a in accounts {
        out.notifications.extend(a.notifications.iter().cloned());
    }
    let indexes: Vec<Index> = accounts.iter().map(Index::new).collect();

    // The declared resources, and what cannot be compared at all.
    let mut not_checked: BTreeMap<String, usize> = BTreeMap::new();
    let mut keyless: BTreeMap<String, usize> = BTreeMap::new();
    let mut no_account: BTreeMap<String, usize> = BTreeMap::new();
    let mut decls: Vec<Decl> = Vec::new();
    for (si, s) in opts.states.iter().enumerate() {
        for r in &s.resources {
            let Some(rule) = opts.rules.get(&r.ty) else {
                *not_checked.entry(r.ty.clone()).or_default() += 1;
                continue;
            };
            let Some(key) = live_key(r, rule) else {
                *keyless.entry(r.ty.clone()).or_default() += 1;
                continue;
            };
            let account = r
                .account
                .as_deref()
                .and_then(|a| accounts.iter().position(|x| x.account_id == a))
                .or_else(|| (accounts.len() == 1).then_some(0))
                .or_else(|| {
                    indexes
                        .iter()
                        .position(|i| i.find(&rule.kind, &key, r.region.as_deref()).is_some())
                });
            if account.is_none() {
                *no_account.entry(r.ty.clone()).or_default() += 1;
            }
            decls.push(Decl {
                state: si,
                r,
                rule,
                key,
                account,
            });
        }
    }
    // What the states declare, per account-independent live identity.
    let declared_ids: HashSet<(&str, &str)> = decls
        .iter()
        .filter(|d| d.rule.member.is_none())
        .map(|d| (d.rule.kind.as_str(), d.key.as_str()))
        .collect();
    let present: HashSet<(&str, &str)> = decls
        .iter()
        .map(|d| (d.rule.ty.as_str(), d.key.as_str()))
        .collect();
    // Rules declared outside a security group, as atomic rules per (group, egress).
    let mut extra_rules: HashMap<(String, bool), BTreeSet<String>> = HashMap::new();
    for d in &decls {
        let (group, egress) = match d.r.ty.as_str() {
            "aws_security_group_rule" => (
                d.key.clone(),
                d.r.attr_str("type").as_deref() == Some("egress"),
            ),
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                match d.r.attr_str("security_group_id") {
                    Some(g) => (g, d.r.ty.ends_with("egress_rule")),
                    None => continue,
                }
            }
            _ => continue,
        };
        let atoms = normalise::sg_atoms(&d.r.attributes, Some(&group));
        extra_rules
            .entry((group, egress))
            .or_default()
            .extend(atoms);
    }

    // The `.tf` files are parsed only when a finding needs a place.
    let mut mapper: Option<hcl::HclMapper> = None;
    let mut roots: BTreeMap<usize, Option<String>> = BTreeMap::new();
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut files_out: BTreeMap<String, Arc<SourceFile>> = BTreeMap::new();
    // Compared attributes whose live setting the reading (a snapshot) did not read.
    let mut settings_unread: BTreeSet<String> = BTreeSet::new();
    // Where a finding about (decl, attribute path) points.
    let mut place_for =
        |d: &Decl, path: &[PathSeg], files_out: &mut BTreeMap<String, Arc<SourceFile>>| -> Place {
            let state = &opts.states[d.state];
            let mapper = mapper.get_or_insert_with(|| hcl::HclMapper::new(files));
            let root = roots
                .entry(d.state)
                .or_insert_with(|| mapper.root_of(state))
                .clone();
            if let Some(dir) = root {
                let root = mapper.root(&dir);
                if let Some(doc) = root.doc(d.r) {
                    let (file, region) = hcl::place(doc, path);
                    files_out.insert(file.path.clone(), Arc::clone(&file));
                    return Place {
                        file: file.path.clone(),
                        region,
                        via: doc
                            .subject
                            .as_ref()
                            .map(|s| s.via.clone())
                            .unwrap_or_default(),
                    };
                }
            }
            *unmapped.entry(state.origin.clone()).or_default() += 1;
            if let Some(Ok(file)) = files.read(&state.origin) {
                let region = state_line(&file, d.r);
                files_out.insert(file.path.clone(), Arc::clone(&file));
                return Place {
                    file: file.path.clone(),
                    region,
                    via: Vec::new(),
                };
            }
            Place {
                file: String::new(),
                region: Region {
                    start: Pos::new(1, 1),
                    end: Pos::new(1, 2),
                },
                via: Vec::new(),
            }
        };

    let mut not_read: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut checked: Vec<Checked> = Vec::new();
    for (di, d) in decls.iter().enumerate() {
        let Some(ai) = d.account else {
            continue;
        };
        let idx = &indexes[ai];
        let region = d.r.region.as_deref();
        let mut c = Checked {
            decl: di,
            findings: Vec::new(),
            live_values: Vec::new(),
            missing: false,
        };
        // Kinds that must have been read completely for this resource to be judged.
        let needed: Vec<&str> = kinds_of(d.rule);
        let incomplete: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|k| !idx.is_complete(k, region))
            .collect();
        let live = if matches!(d.rule.member, Some(Member::PolicyAttachment)) {
            None
        } else {
            idx.find(&d.rule.kind, &d.key, region)
        };
        let live_arn = live
            .and_then(|l| l.arn.clone())
            .or_else(|| d.r.attr_str("arn"))
            .unwrap_or_else(|| {
                format!(
                    "{}:{}/{}",
                    d.rule.kind,
                    live.map(|l| l.region.as_str()).or(region).unwrap_or("?"),
                    d.key
                )
            });
        let declared = Declared {
            ty: &d.r.ty,
            address: &d.r.address,
            account: &idx.account.account_id,
            live_key: &d.key,
            live: live_arn,
        };
        let ctx_group = (d.rule.kind == "ec2:security-group").then_some(d.key.as_str());
        let mut diffs: Vec<(Vec<PathSeg>, Compared, bool, bool)> = Vec::new();
        let mut missing_detail: Option<String> = None;
        let mut is_missing = false;
        match (&d.rule.member, live) {
            (Some(Member::PolicyAttachment), _) => {
                if !incomplete.is_empty() {
                    for k in incomplete {
                        for s in idx.scopes(k, region) {
                            *not_read
                                .entry((idx.account.name.clone(), k.to_string(), s))
                                .or_default() += 1;
                        }
                    }
                    continue;
                }
                for (attr, kind) in [
                    ("roles", "iam:role"),
                    ("users", "iam:user"),
                    ("groups", "iam:group"),
                ] {
                    if d.r.attributes.get(attr).is_none() {
                        continue;
                    }
                    let mut holders: Vec<J> = idx
                        .account
                        .resources
                        .iter()
                        .filter(|l| l.kind == kind)
                        .filter(|l| {
                            l.body
                                .get("AttachedManagedPolicies")
                                .and_then(J::as_array)
                                .is_some_and(|a| {
                                    a.iter().any(|p| {
                                        p.get("PolicyArn").and_then(J::as_str)
                                            == Some(d.key.as_str())
                                    })
                                })
                        })
                        .map(|l| J::String(l.id.clone()))
                        .collect();
                    holders.sort_by_key(|v| v.to_string());
                    let live_v = J::Array(holders);
                    let cmp = normalise::compare(
                        Norm::Set,
                        d.r.attributes.get(attr),
                        Some(&live_v),
                        &Context::default(),
                        None,
                    );
                    if !cmp.equal {
                        diffs.push((vec![PathSeg::Key(attr.to_string())], cmp, false, true));
                    }
                }
            }
            (_, None) => {
                // A member whose parent the states declare (and miss) is covered by the
                // parent's own finding.
                let parent_declared = d.rule.member.is_some()
                    && declared_ids.contains(&(d.rule.kind.as_str(), d.key.as_str()));
                if parent_declared && idx.is_complete(&d.rule.kind, region) {
                    continue;
                }
                if incomplete.is_empty() {
                    is_missing = true;
                    if d.rule.member.is_some() {
                        missing_detail = Some(format!("its {} {} is gone", d.rule.kind, d.key));
                    }
                } else {
                    for k in incomplete {
                        for s in idx.scopes(k, region) {
                            *not_read
                                .entry((idx.account.name.clone(), k.to_string(), s))
                                .or_default() += 1;
                        }
                    }
                    continue;
                }
            }
            (Some(Member::SecurityGroupRule), Some(l)) => {
                let egress = d.r.attr_str("type").as_deref() == Some("egress");
                let perms = l
                    .body
                    .get(if egress {
                        "IpPermissionsEgress"
                    } else {
                        "IpPermissions"
                    })
                    .cloned()
                    .unwrap_or(J::Null);
                let live_atoms = normalise::sg_live_atoms(&perms, Some(&d.key));
                let mine = normalise::sg_atoms(&d.r.attributes, Some(&d.key));
                let absent: Vec<String> = mine.difference(&live_atoms).cloned().collect();
                if !absent.is_empty() {
                    is_missing = true;
                    missing_detail = Some(format!(
                        "security group {} has no {} rule {}",
                        d.key,
                        if egress { "egress" } else { "ingress" },
                        absent.join(", ")
                    ));
                }
            }
            (
                Some(Member::List {
                    list,
                    attr,
                    live: field,
                    norm,
                }),
                Some(l),
            ) => {
                let items = lookup_live(&l.body, list).unwrap_or(J::Null);
                let wanted = d.r.attributes.get(attr.as_str());
                let item = items.as_array().into_iter().flatten().find(|i| {
                    normalise::compare(
                        *norm,
                        wanted,
                        i.get(field.as_str()),
                        &Context::default(),
                        None,
                    )
                    .equal
                });
                match item {
                    None => {
                        is_missing = true;
                        missing_detail = Some(format!(
                            "{} {} has no {} entry {}",
                            d.rule.kind,
                            d.key,
                            crate::model::render_path(list),
                            wanted.map(|w| w.to_string()).unwrap_or_default()
                        ));
                    }
                    Some(item) => diffs.extend(compare_attributes(
                        d,
                        item,
                        &present,
                        &extra_rules,
                        ctx_group,
                        &opts.key,
                        None,
                    )),
                }
            }
            (None, Some(l)) => {
                // A bucket body holds each setting that was read (`null` when unset): one
                // that is absent was not read, because no state compared it when the
                // snapshot was taken.
                let unread = READ_BY_MEMBER
                    .contains(&d.rule.kind.as_str())
                    .then_some(&mut settings_unread);
                diffs.extend(compare_attributes(
                    d,
                    &l.body,
                    &present,
                    &extra_rules,
                    ctx_group,
                    &opts.key,
                    unread,
                ));
            }
        }
        if is_missing {
            let place = place_for(d, &[], &mut files_out);
            c.findings.push(findings::missing(
                &declared,
                &place,
                missing_detail.as_deref(),
            ));
            c.missing = true;
        }
        for (path, cmp, sensitive, report) in diffs {
            if report {
                let place = place_for(d, &path, &mut files_out);
                c.findings
                    .push(findings::changed(&declared, &place, &path, &cmp, sensitive));
            }
            c.live_values.push((path, cmp.live));
        }
        checked.push(c);
    }

    if let Some(p) = policies {
        escalate(&mut checked, &decls, opts, p);
    }
    for c in checked {
        out.findings.extend(c.findings);
    }

    if let Some(u) = &opts.unmanaged {
        unmanaged(
            u,
            opts,
            &indexes,
            &declared_ids,
            &decls,
            &mut out,
            &mut not_read,
        );
    }

    for ((account, kind, region), n) in not_read {
        let what = if n > 0 {
            format!("{n} resource(s) of the Terraform states there were not compared")
        } else {
            "resources there that no state manages could not be looked for".to_string()
        };
        let actions = reader(&kind)
            .map(|r| r.actions.join(", "))
            .unwrap_or_default();
        let read_there = region == "global"
            || accounts
                .iter()
                .any(|a| a.name == account && a.regions.contains(&region));
        let todo = if read_there {
            format!(
                "Scan again with permission for {actions} (`plumbline aws-policy` prints the \
                 policy); the reader's own notifications say why it could not"
            )
        } else {
            format!("{region} is not among the regions read: add --aws-region {region}")
        };
        out.notifications.push(Notification::new(
            NoteLevel::Error,
            "aws-not-read",
            format!(
                "AWS account {account}: {kind} was not read completely in {region}, so {what}: \
                 drift there is unknown, not absent. {todo}"
            ),
        ));
    }
    if !not_checked.is_empty() {
        let list: Vec<String> = not_checked
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        out.notifications.push(Notification::new(
            NoteLevel::Note,
            "aws-type-not-checked",
            format!(
                "{} state resource(s) of types with no AWS drift rule were not compared with \
                 AWS: {}. A rule in rules/aws/ adds a type",
                not_checked.values().sum::<usize>(),
                list.join(", ")
            ),
        ));
    }
    if !keyless.is_empty() {
        let list: Vec<String> = keyless.iter().map(|(t, n)| format!("{t} ({n})")).collect();
        out.notifications.push(Notification::new(
            NoteLevel::Warning,
            "aws-no-live-key",
            format!(
                "state resource(s) without the attribute that identifies them in AWS were not \
                 compared: {}. Refresh the state (`terraform apply -refresh-only`)",
                list.join(", ")
            ),
        ));
    }
    if !no_account.is_empty() {
        let list: Vec<String> = no_account
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        out.notifications.push(Notification::new(
            NoteLevel::Error,
            "aws-no-account",
            format!(
                "state resource(s) whose AWS account is none of the accounts read were not \
                 compared: {}. Read the account that holds them (--aws-profile)",
                list.join(", ")
            ),
        ));
    }
    for (origin, n) in unmapped {
        let inside = files.read(&origin).is_some();
        let to = if inside {
            format!("point at {origin} instead")
        } else {
            "carry only the resource's address and ARN".to_string()
        };
        out.notifications.push(
            Notification::new(
                NoteLevel::Note,
                "aws-not-mapped",
                format!(
                    "{origin}: {n} finding(s) about resources with no matching `resource` block \
                     in the scanned .tf files {to}; scan the Terraform root module the state \
                     belongs to"
                ),
            )
            .at(origin.clone(), None),
        );
    }
    if !settings_unread.is_empty() {
        out.notifications.push(Notification::new(
            NoteLevel::Error,
            "aws-not-read",
            format!(
                "attributes not compared, because the live reading (a snapshot taken for other \
                 states) did not read their settings: {}. Drift there is unknown, not absent: \
                 take the snapshot again with these states",
                settings_unread.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    out.rules = [findings::MISSING, findings::CHANGED]
        .into_iter()
        .chain(opts.unmanaged.is_some().then_some(findings::UNMANAGED))
        .filter_map(findings::rule_meta)
        .collect();
    out.files = files_out.into_values().collect();
    out
}

/// The compared attributes of one resource that differ: (state path, comparison,
/// sensitive, reported). An attribute another resource of the states manages (`unless`) is
/// not reported, but its live value still goes into the live form the policies read.
fn compare_attributes(
    d: &Decl,
    base: &J,
    present: &HashSet<(&str, &str)>,
    extra_rules: &HashMap<(String, bool), BTreeSet<String>>,
    group: Option<&str>,
    key: &HashKey,
    mut unread: Option<&mut BTreeSet<String>>,
) -> Vec<(Vec<PathSeg>, Compared, bool, bool)> {
    let mut out = Vec::new();
    for c in &d.rule.compare {
        let report = !c
            .unless
            .iter()
            .any(|t| present.contains(&(t.as_str(), d.key.as_str())));
        // An attribute the provider did not write (older provider versions) says nothing.
        let Some(PathSeg::Key(top)) = c.attr.first() else {
            continue;
        };
        if d.r.attributes.get(top.as_str()).is_none() {
            continue;
        }
        if let (Some(unread), Some(PathSeg::Key(member))) = (unread.as_deref_mut(), c.live.first())
        {
            if base.get(member.as_str()).is_none() {
                unread.insert(format!("{}.{}", d.r.ty, render_path(&c.attr)));
                continue;
            }
        }
        let declared = lookup(&d.r.attributes, &c.attr);
        let live = lookup_live(base, &c.live);
        let sensitive =
            d.rule.is_sensitive(&c.attr) || d.r.sensitive.iter().any(|s| overlaps(s, &c.attr));
        let egress = matches!(c.attr.as_slice(), [PathSeg::Key(k)] if k == "egress");
        let ctx = Context {
            attributes: Some(&d.r.attributes),
            group_id: group,
            extra_rules: group.and_then(|g| extra_rules.get(&(g.to_string(), egress))),
        };
        let cmp = normalise::compare(
            c.norm,
            declared,
            live.as_ref(),
            &ctx,
            sensitive.then_some(key),
        );
        if !cmp.equal {
            out.push((c.attr.clone(), cmp, sensitive, report));
        }
    }
    out
}

/// A resource as the AWS policies read it (`plan_documents`' shape), as a document.
fn policy_doc(r: &StateResource, attributes: J, related: Vec<J>) -> Option<Document> {
    let body = serde_json::json!({
        "source": "terraform-state",
        "type": r.ty,
        "name": r.name,
        "address": r.address,
        "module": r.module,
        "attributes": attributes,
        "related": related,
    });
    let text = serde_json::to_string_pretty(&body).ok()?;
    let mut loaded = crate::load::load_file(
        &format!("aws-drift/{}.json", r.address),
        text.as_bytes(),
        &crate::load::LoadOptions::default(),
    );
    if loaded.documents.is_empty() {
        return None;
    }
    let mut doc = loaded.documents.remove(0);
    doc.subject = Some(Subject {
        source: "terraform-state".to_string(),
        kind: r.ty.clone(),
        address: r.address.clone(),
        via: Vec::new(),
    });
    Some(doc)
}

/// Runs the policies on the declared and the live form of every group of resources that
/// drifted (a live resource and the state resources that are parts of it: a bucket and its
/// split resources, a security group and its rules); a policy only the live forms violate
/// raises the group's drift findings to its severity and is named in their messages.
fn escalate(checked: &mut [Checked], decls: &[Decl], opts: &AwsDriftOptions, policies: &PolicySet) {
    use crate::policy::eval::{evaluate, Mode};
    let group_of = |d: &Decl| -> (Option<usize>, String, String) {
        match &d.rule.part_of {
            Some((kind, attr)) => (
                d.account,
                kind.clone(),
                d.r.attr_str(attr).unwrap_or_else(|| d.key.clone()),
            ),
            None => (d.account, d.rule.kind.clone(), d.key.clone()),
        }
    };
    let mut members: BTreeMap<(Option<usize>, String, String), Vec<usize>> = BTreeMap::new();
    for (i, d) in decls.iter().enumerate() {
        members.entry(group_of(d)).or_default().push(i);
    }
    let by_decl: HashMap<usize, usize> = checked
        .iter()
        .enumerate()
        .map(|(ci, c)| (c.decl, ci))
        .collect();
    let mut groups: BTreeMap<(Option<usize>, String, String), Vec<usize>> = BTreeMap::new();
    for (ci, c) in checked.iter().enumerate() {
        if !c.findings.is_empty() {
            groups.entry(group_of(&decls[c.decl])).or_default().push(ci);
        }
    }
    let mut engine = policies.engine.clone();
    for (g, drifted) in groups {
        let ids = &members[&g];
        let declared_attrs: Vec<J> = ids
            .iter()
            .map(|&i| {
                redact(
                    &decls[i].r.attributes,
                    &sensitive_paths(decls[i].r, decls[i].rule),
                    &opts.key,
                )
            })
            .collect();
        let mut live_attrs: Vec<Option<J>> = Vec::new();
        for (n, &i) in ids.iter().enumerate() {
            let c = by_decl.get(&i).map(|&ci| &checked[ci]);
            if c.is_some_and(|c| c.missing) {
                live_attrs.push(None);
                continue;
            }
            let mut a = declared_attrs[n].clone();
            for (path, v) in c.map(|c| c.live_values.as_slice()).unwrap_or_default() {
                let sensitive = decls[i].rule.is_sensitive(path)
                    || decls[i].r.sensitive.iter().any(|s| overlaps(s, path));
                if !sensitive {
                    set_path(&mut a, path, v.clone());
                }
            }
            live_attrs.push(Some(a));
        }
        let related = |attrs: &[Option<J>], me: usize| -> Vec<J> {
            ids.iter()
                .enumerate()
                .filter(|(n, _)| *n != me)
                .filter_map(|(n, &i)| {
                    attrs[n].as_ref().map(|a| {
                        serde_json::json!({
                            "type": decls[i].r.ty, "name": decls[i].r.name,
                            "address": decls[i].r.address, "attributes": a
                        })
                    })
                })
                .collect()
        };
        let declared_opt: Vec<Option<J>> = declared_attrs.iter().cloned().map(Some).collect();
        let mut declared_rules: BTreeSet<String> = BTreeSet::new();
        let mut live_rules: Vec<(Severity, String)> = Vec::new();
        for (n, &i) in ids.iter().enumerate() {
            if let Some(doc) = policy_doc(
                decls[i].r,
                declared_attrs[n].clone(),
                related(&declared_opt, n),
            ) {
                declared_rules.extend(
                    evaluate(&mut engine, policies, &doc, Mode::Batched)
                        .findings
                        .into_iter()
                        .map(|f| f.rule_id),
                );
            }
            if let Some(a) = &live_attrs[n] {
                if let Some(doc) = policy_doc(decls[i].r, a.clone(), related(&live_attrs, n)) {
                    live_rules.extend(
                        evaluate(&mut engine, policies, &doc, Mode::Batched)
                            .findings
                            .into_iter()
                            .map(|f| (f.severity, f.rule_id)),
                    );
                }
            }
        }
        let Some((severity, rule_id)) = live_rules
            .into_iter()
            .filter(|(_, id)| !declared_rules.contains(id))
            .max()
        else {
            continue;
        };
        let title = policies
            .packages
            .iter()
            .find(|p| p.meta.id == rule_id)
            .map(|p| format!(" ({})", p.meta.title))
            .unwrap_or_default();
        for ci in drifted {
            for f in &mut checked[ci].findings {
                if severity > f.severity {
                    f.severity = severity;
                }
                f.message.push_str(&format!(
                    ". The live resource now violates {rule_id}{title}, which the declared one does not"
                ));
            }
        }
    }
}

/// `PL-DRIFT-0103`: live resources of the watched kinds that no state holds.
fn unmanaged(
    u: &AwsUnmanaged,
    opts: &AwsDriftOptions,
    indexes: &[Index],
    declared_ids: &HashSet<(&str, &str)>,
    decls: &[Decl],
    out: &mut Outcome,
    not_read: &mut BTreeMap<(String, String, String), usize>,
) {
    let types: BTreeSet<&str> = if u.types.is_empty() {
        decls.iter().map(|d| d.rule.ty.as_str()).collect()
    } else {
        u.types.iter().map(String::as_str).collect()
    };
    let watched: BTreeMap<&str, &TypeRule> = types
        .iter()
        .filter_map(|t| opts.rules.get(t))
        .filter_map(|r| opts.rules.unmanaged_type(&r.kind))
        .map(|t| (t.kind.as_str(), t))
        .collect();
    let mut ignored: BTreeMap<String, usize> = BTreeMap::new();
    for idx in indexes {
        for kind in watched.keys() {
            for scope in idx.scopes(kind, None) {
                if !idx.complete.contains(&(kind, scope.as_str())) {
                    not_read
                        .entry((idx.account.name.clone(), kind.to_string(), scope))
                        .or_default();
                }
            }
        }
        for r in &idx.account.resources {
            let Some(rule) = watched.get(r.kind.as_str()) else {
                continue;
            };
            if declared_ids.contains(&(r.kind.as_str(), r.id.as_str()))
                || rule.is_default(&r.body, &idx.default_vpcs)
            {
                continue;
            }
            let tags = tags_of(&r.body);
            if !u
                .tags
                .iter()
                .all(|(k, v)| tags.get(k).is_some_and(|x| x == v))
            {
                continue;
            }
            if let Some(e) = u
                .ignore
                .iter()
                .find(|e| ignore_matches(e, &rule.ty, r, &tags))
            {
                *ignored.entry(e.reason.clone()).or_default() += 1;
                continue;
            }
            let live = r
                .arn
                .clone()
                .unwrap_or_else(|| format!("{}:{}/{}", r.kind, r.region, r.id));
            out.findings.push(findings::unmanaged(
                &rule.ty,
                &r.kind,
                &idx.account.account_id,
                &r.region,
                &r.id,
                &live,
            ));
        }
    }
    for (reason, n) in ignored {
        out.notifications.push(Notification::new(
            NoteLevel::Note,
            "aws-unmanaged-ignored",
            format!(
                "{n} unmanaged AWS resource(s) not reported, as the ignore list says: {reason}"
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_paths_project_and_set_paths_write() {
        let body =
            serde_json::json!({"SecurityGroups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}]});
        let p = crate::model::parse_rendered_path("SecurityGroups[*].GroupId");
        assert_eq!(
            lookup_live(&body, &p),
            Some(serde_json::json!(["sg-1", "sg-2"]))
        );
        let mut a = serde_json::json!({"versioning_configuration": [{"status": "Enabled"}]});
        set_path(
            &mut a,
            &crate::model::parse_rendered_path("versioning_configuration[0].status"),
            "Suspended".into(),
        );
        assert_eq!(a["versioning_configuration"][0]["status"], "Suspended");
        let key = HashKey::random();
        let r = redact(
            &serde_json::json!({"password": "pw", "x": 1}),
            &[vec![PathSeg::Key("password".into())]],
            &key,
        );
        assert_eq!(r["password"], key.hash(b"pw"));
        assert_eq!(r["x"], 1);
    }

    #[test]
    fn requests_name_kinds_ids_and_regions() {
        let s = parse_state(
            br#"{"version":4,"resources":[
              {"mode":"managed","type":"aws_instance","name":"a","provider":"p","instances":[{"attributes":{"id":"i-1","arn":"arn:aws:ec2:eu-west-1:1:instance/i-1"}}]},
              {"mode":"managed","type":"aws_s3_bucket_versioning","name":"v","provider":"p","instances":[{"attributes":{"id":"b","bucket":"b"}}]},
              {"mode":"managed","type":"aws_iam_access_key","name":"k","provider":"p","instances":[{"attributes":{"id":"AK","secret":"s"}}]}
            ]}"#,
            "s.tfstate",
        )
        .unwrap();
        let rules = AwsRules::builtin();
        let r = requests(std::slice::from_ref(&s), &rules, None);
        let kinds: Vec<&str> = r.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["ec2:instance", "s3:bucket"]);
        assert_eq!(r[0].regions, ["eu-west-1".to_string()].into());
        assert_eq!(r[1].ids, ["b".to_string()].into());
        assert!(!r[1].all);
        let u = AwsUnmanaged::default();
        let r = requests(&[s], &rules, Some(&u));
        assert!(r.iter().all(|r| r.all && r.regions.is_empty()), "{r:?}");
    }

    #[test]
    fn buckets_are_read_for_the_settings_the_states_compare() {
        let s = parse_state(
            br#"{"version":4,"resources":[
              {"mode":"managed","type":"aws_s3_bucket","name":"a","provider":"p","instances":[{"attributes":{"id":"a","bucket":"a","tags":{"t":"1"}}}]},
              {"mode":"managed","type":"aws_s3_bucket","name":"b","provider":"p","instances":[{"attributes":{"id":"b","bucket":"b","tags":{},"policy":""}}]},
              {"mode":"managed","type":"aws_s3_bucket_versioning","name":"v","provider":"p","instances":[{"attributes":{"id":"a","bucket":"a","versioning_configuration":[{"status":"Enabled"}]}}]},
              {"mode":"managed","type":"aws_iam_role","name":"r","provider":"p","instances":[{"attributes":{"id":"r","name":"r","path":"/"}}]}
            ]}"#,
            "s.tfstate",
        )
        .unwrap();
        let rules = AwsRules::builtin();
        let r = requests(std::slice::from_ref(&s), &rules, None);
        let bucket = r.iter().find(|r| r.kind == "s3:bucket").unwrap();
        let members = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
        // Tags (both buckets), Policy (b writes it), Versioning (the split resource); not
        // encryption, logging, lifecycle or ownership, which no state holds.
        assert_eq!(bucket.members, members(&["Policy", "Tags", "Versioning"]));
        // Other kinds read whole bodies.
        let role = r.iter().find(|r| r.kind == "iam:role").unwrap();
        assert_eq!(role.members, None);

        // A state with only a bucket's name: nothing but its existence; unmanaged buckets
        // need their tags for the tag filter.
        let bare = parse_state(
            br#"{"version":4,"resources":[
              {"mode":"managed","type":"aws_s3_bucket","name":"a","provider":"p","instances":[{"attributes":{"id":"a","bucket":"a"}}]}
            ]}"#,
            "bare.tfstate",
        )
        .unwrap();
        let r = requests(std::slice::from_ref(&bare), &rules, None);
        assert_eq!(r[0].members, members(&[]));
        let r = requests(&[bare], &rules, Some(&AwsUnmanaged::default()));
        assert_eq!(r[0].members, members(&["Tags"]));
    }
}

#[cfg(test)]
mod rule_resources {
    use super::*;
    use crate::live::aws::model::AwsScope;
    use serde_json::json;

    const STATE: &str = r#"{"version":4,"resources":[
      {"mode":"managed","type":"aws_security_group","name":"db","provider":"p","instances":[{"attributes":{
        "id":"sg-db","arn":"arn:aws:ec2:eu-west-1:111111111111:security-group/sg-db","name":"db","description":"d","vpc_id":"vpc-1",
        "ingress":[{"cidr_blocks":["10.0.0.0/8"],"description":"","from_port":5432,"to_port":5432,"protocol":"tcp","ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":[],"self":false},
                   {"cidr_blocks":[],"description":"","from_port":5432,"to_port":5432,"protocol":"tcp","ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":["sg-app"],"self":false}],
        "egress":[],"tags":{}}}]},
      {"mode":"managed","type":"aws_security_group_rule","name":"app","provider":"p","instances":[{"attributes":{
        "id":"sgrule-1","type":"ingress","security_group_id":"sg-db","from_port":5432,"to_port":5432,"protocol":"tcp",
        "source_security_group_id":"sg-app","cidr_blocks":null,"self":false}}]},
      {"mode":"managed","type":"aws_vpc_security_group_ingress_rule","name":"office","provider":"p","instances":[{"attributes":{
        "id":"sgr-1","security_group_rule_id":"sgr-1","arn":"arn:aws:ec2:eu-west-1:111111111111:security-group-rule/sgr-1",
        "security_group_id":"sg-db","ip_protocol":"tcp","from_port":5432,"to_port":5432,"cidr_ipv4":"192.0.2.0/24","tags":null}}]},
      {"mode":"managed","type":"aws_iam_policy_attachment","name":"ro","provider":"p","instances":[{"attributes":{
        "id":"ro","name":"ro","policy_arn":"arn:aws:iam::aws:policy/ReadOnlyAccess","roles":["a"],"users":[],"groups":[]}}]}
    ]}"#;

    fn account(db_perms: J, roles: &[(&str, bool)]) -> AwsAccount {
        let mut resources = vec![
            LiveResource {
                kind: "ec2:security-group".into(),
                id: "sg-db".into(),
                arn: None,
                region: "eu-west-1".into(),
                body: json!({"GroupId": "sg-db", "GroupName": "db", "Description": "d", "VpcId": "vpc-1",
                             "IpPermissions": db_perms, "IpPermissionsEgress": [], "Tags": []}),
            },
            LiveResource {
                kind: "ec2:security-group-rule".into(),
                id: "sgr-1".into(),
                arn: None,
                region: "eu-west-1".into(),
                body: json!({"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-db", "IsEgress": false,
                             "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIpv4": "192.0.2.0/24", "Tags": []}),
            },
        ];
        for (name, attached) in roles {
            let policies = if *attached {
                json!([{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])
            } else {
                json!([])
            };
            resources.push(LiveResource {
                kind: "iam:role".into(),
                id: name.to_string(),
                arn: None,
                region: "global".into(),
                body: json!({"RoleName": name, "Path": "/", "AttachedManagedPolicies": policies}),
            });
        }
        let scope = |k: &str, r: &str| AwsScope {
            kind: k.into(),
            region: r.into(),
        };
        AwsAccount {
            name: "test".into(),
            account_id: "111111111111".into(),
            regions: vec!["eu-west-1".into()],
            complete: vec![
                scope("ec2:security-group", "eu-west-1"),
                scope("ec2:security-group-rule", "eu-west-1"),
                scope("iam:role", "global"),
                scope("iam:user", "global"),
                scope("iam:group", "global"),
            ],
            resources,
            ..AwsAccount::default()
        }
    }

    fn run(a: AwsAccount) -> Outcome {
        let opts = AwsDriftOptions {
            states: vec![parse_state(STATE.as_bytes(), "s.tfstate").unwrap()],
            accounts: vec![a],
            live: None,
            rules: AwsRules::builtin(),
            key: HashKey::random(),
            unmanaged: None,
            notifications: Vec::new(),
        };
        check(&[], &crate::load::MemFiles::default(), &opts, None)
    }

    fn perm(source: J) -> J {
        let mut p = json!({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432});
        p.as_object_mut()
            .unwrap()
            .extend(source.as_object().unwrap().clone());
        p
    }

    #[test]
    fn rule_resources_count_for_their_group_and_are_missing_alone() {
        let all = json!([
            perm(json!({"IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.0.2.0/24"}]})),
            perm(json!({"UserIdGroupPairs": [{"GroupId": "sg-app", "UserId": "111111111111"}]}))
        ]);
        let o = run(account(all, &[("a", true), ("b", false)]));
        assert!(o.findings.is_empty(), "{:#?}", o.findings);
        // The rule from sg-app revoked: the rule resource is missing; the group says nothing.
        let without = json!([perm(
            json!({"IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.0.2.0/24"}]})
        )]);
        let o = run(account(without, &[("a", true)]));
        assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
        let f = &o.findings[0];
        assert_eq!(f.rule_id, findings::MISSING);
        assert_eq!(
            f.subject.as_ref().unwrap().address,
            "aws_security_group_rule.app"
        );
        assert!(
            f.message.contains("tcp 5432-5432 sg sg-app"),
            "{}",
            f.message
        );
        // Findings with no .tf and no state file in the scan still say where they live.
        assert_eq!(f.file, "");
        assert!(o.notifications.iter().any(|n| n.code == "aws-not-mapped"));
    }

    #[test]
    fn an_exclusive_policy_attachment_sees_every_holder() {
        let all = json!([
            perm(json!({"IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.0.2.0/24"}]})),
            perm(json!({"UserIdGroupPairs": [{"GroupId": "sg-app"}]}))
        ]);
        let o = run(account(all, &[("a", true), ("b", true)]));
        assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
        assert!(
            o.findings[0].message.contains("roles: AWS has b"),
            "{}",
            o.findings[0].message
        );
    }
}
