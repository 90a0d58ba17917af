//! Normalisers: how a Terraform state value and an AWS API value are made comparable, and
//! how a live value is written back in Terraform's shape (for the policies run on the live
//! form of a resource).
//!
//! Each normaliser is named in `rules/aws/*.yaml` (`as: tags`). Values that Terraform and the
//! API both leave unset — absent, `null`, `""`, `false`, `0`, `[]`, `{}` — are equal: the
//! provider writes zero values for what the API omits.

use crate::drift::secret::{is_hash_token, json_bytes};
use crate::drift::HashKey;
use serde_json::{Map, Value as J};
use std::collections::{BTreeMap, BTreeSet};

/// A named normaliser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Norm {
    /// Scalars: `"5"` = `5`, `"true"` = `true`; unset values equal.
    Scalar,
    /// Booleans (`"true"` = `true`, absent = `false`).
    Bool,
    /// Case-insensitive strings (`default` = `Default`).
    Lower,
    /// Tags: a map (`tags`, or `tags_all` when the state has it) against `[{Key,Value}]`,
    /// `[{TagKey,TagValue}]` or a map; `aws:` tags (set by AWS itself) left out.
    Tags,
    /// IAM (and KMS, S3) policy documents, compared semantically.
    IamPolicy,
    /// A CIDR block in canonical form (`10.0.0.1/8` = `10.0.0.0/8`).
    Cidr,
    /// An IP protocol name or number (`-1` = `all`, `tcp` = `6`).
    Protocol,
    /// A port: `-1` (all ports, as the API writes it for all-protocol rules) is unset.
    Port,
    /// A list compared as a set of strings; the live path may project (`A[*].B`).
    Set,
    /// S3 versioning status: an API answer without `Status` is `Disabled`.
    VersioningStatus,
    /// Nested blocks (Terraform lists of objects, snake_case) against the API's nested
    /// structures (PascalCase): only what the state sets is compared.
    Blocks,
    /// A live ARN against the name Terraform keeps (`…:instance-profile/web` = `web`).
    ArnName,
    /// `enabled`/`disabled` (and `pending`) API states against a boolean.
    EnabledState,
    /// Security group permissions exploded into one rule per protocol, port range and source.
    SgPermissions,
    /// Route table routes other than the VPC's local route, as destination → target.
    Routes,
}

impl Norm {
    pub fn parse(name: &str) -> Option<Norm> {
        Some(match name {
            "scalar" => Norm::Scalar,
            "bool" => Norm::Bool,
            "lower" => Norm::Lower,
            "tags" => Norm::Tags,
            "iam_policy" => Norm::IamPolicy,
            "cidr" => Norm::Cidr,
            "protocol" => Norm::Protocol,
            "port" => Norm::Port,
            "set" => Norm::Set,
            "versioning_status" => Norm::VersioningStatus,
            "blocks" => Norm::Blocks,
            "arn_name" => Norm::ArnName,
            "enabled_state" => Norm::EnabledState,
            "sg_permissions" => Norm::SgPermissions,
            "routes" => Norm::Routes,
            _ => return None,
        })
    }

    pub const NAMES: &'static [&'static str] = &[
        "scalar",
        "bool",
        "lower",
        "tags",
        "iam_policy",
        "cidr",
        "protocol",
        "port",
        "set",
        "versioning_status",
        "blocks",
        "arn_name",
        "enabled_state",
        "sg_permissions",
        "routes",
    ];
}

/// What a comparison needs besides the two values.
#[derive(Debug, Default, Clone)]
pub struct Context<'a> {
    /// The resource's whole state attributes (tags read `tags_all` from there).
    pub attributes: Option<&'a J>,
    /// For security groups: the group's own id (`self = true` rules) and the rules other
    /// resources declare for it (`aws_security_group_rule`, `aws_vpc_security_group_*_rule`).
    pub group_id: Option<&'a str>,
    pub extra_rules: Option<&'a BTreeSet<String>>,
}

/// A compared pair, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    pub equal: bool,
    /// The declared value as shown (Terraform shape).
    pub declared: J,
    /// The live value in Terraform's shape (shown, and used for the live document).
    pub live: J,
    /// For set-like values: what only the live side has, and what only the declared side has.
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// Compares a declared (state) value with a live (API) one. `sensitive`: both sides are
/// compared by keyed hash only.
pub fn compare(
    norm: Norm,
    declared: Option<&J>,
    live: Option<&J>,
    ctx: &Context,
    sensitive: Option<&HashKey>,
) -> Compared {
    let declared_v = match (norm, ctx.attributes) {
        (Norm::Tags, Some(attrs)) => match attrs.get("tags_all") {
            Some(all @ J::Object(_)) => Some(all),
            _ => declared,
        },
        _ => declared,
    };
    let null = J::Null;
    let d = declared_v.unwrap_or(&null);
    let live_state = to_state(norm, live, d, ctx);
    let (dc, lc) = (
        canonical(norm, d, ctx, true),
        canonical(norm, &live_state, ctx, false),
    );
    let (dc, lc) = match sensitive {
        Some(key) => (hash_leaves(dc, key), hash_leaves(lc, key)),
        None => (dc, lc),
    };
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let equal = match norm {
        Norm::Blocks => subset(&dc, &lc),
        Norm::Set | Norm::SgPermissions | Norm::Routes => {
            let set = |v: &J| -> BTreeSet<String> {
                v.as_array()
                    .map(|a| a.iter().map(render).collect())
                    .unwrap_or_default()
            };
            let (ds, ls) = (set(&dc), set(&lc));
            added = ls.difference(&ds).cloned().collect();
            removed = ds.difference(&ls).cloned().collect();
            if norm == Norm::SgPermissions {
                // A rule another resource declares is that resource's finding when it is gone.
                if let Some(extra) = ctx.extra_rules {
                    removed.retain(|a| !extra.contains(a));
                }
            }
            added.is_empty() && removed.is_empty()
        }
        _ => unset(&dc) && unset(&lc) || dc == lc,
    };
    Compared {
        equal,
        declared: d.clone(),
        live: live_state,
        added,
        removed,
    }
}

fn render(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Values Terraform and the API both use for "not set".
pub fn unset(v: &J) -> bool {
    match v {
        J::Null => true,
        J::String(s) => s.is_empty(),
        J::Bool(b) => !b,
        J::Number(n) => n.as_f64() == Some(0.0),
        J::Array(a) => a.is_empty(),
        J::Object(o) => o.is_empty(),
    }
}

fn hash_leaves(v: J, key: &HashKey) -> J {
    match v {
        J::Object(m) => J::Object(
            m.into_iter()
                .map(|(k, v)| (k, hash_leaves(v, key)))
                .collect(),
        ),
        J::Array(a) => J::Array(a.into_iter().map(|v| hash_leaves(v, key)).collect()),
        J::String(s) if is_hash_token(&s) => J::String(s),
        J::Null => J::Null,
        other => match json_bytes(&other) {
            Some(b) => J::String(key.hash(&b)),
            None => other,
        },
    }
}

/// A scalar's comparable form: strings, numbers and booleans as text.
fn scalar(v: &J) -> J {
    match v {
        J::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => J::String(format!("{}", f as i64)),
            _ => J::String(n.to_string()),
        },
        J::Bool(b) => J::String(b.to_string()),
        J::String(s) => J::String(s.clone()),
        J::Array(a) => J::Array(a.iter().map(scalar).collect()),
        J::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), scalar(v))).collect()),
        J::Null => J::Null,
    }
}

fn as_bool(v: &J) -> bool {
    match v {
        J::Bool(b) => *b,
        J::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The comparable form of a value already in Terraform's shape.
fn canonical(norm: Norm, v: &J, ctx: &Context, declared: bool) -> J {
    match norm {
        Norm::Scalar | Norm::ArnName | Norm::VersioningStatus => {
            if unset(v) {
                J::Null
            } else {
                scalar(v)
            }
        }
        Norm::Bool | Norm::EnabledState => J::Bool(as_bool(v)),
        Norm::Port => match scalar(v) {
            J::String(s) if s == "-1" || s == "0" => J::Null,
            other => other,
        },
        Norm::Lower => match v {
            J::String(s) => J::String(s.to_ascii_lowercase()),
            other => scalar(other),
        },
        Norm::Tags => J::Object(
            tag_map(v)
                .into_iter()
                .map(|(k, v)| (k, J::String(v)))
                .collect(),
        ),
        Norm::IamPolicy => match policy_value(v) {
            Some(doc) => canonical_policy(&doc),
            None => J::Null,
        },
        Norm::Cidr => match v.as_str() {
            Some(s) if !s.is_empty() => J::String(cidr(s)),
            _ => J::Null,
        },
        Norm::Protocol => match v {
            J::Null => J::Null,
            other => J::String(protocol(&render(other))),
        },
        Norm::Set => {
            let mut items: Vec<String> = v
                .as_array()
                .map(|a| a.iter().filter(|x| !unset(x)).map(render).collect())
                .unwrap_or_default();
            items.sort();
            items.dedup();
            J::Array(items.into_iter().map(J::String).collect())
        }
        Norm::Blocks => strip_unset(v),
        Norm::SgPermissions => {
            let mut atoms = sg_atoms(v, ctx.group_id);
            if declared {
                if let Some(extra) = ctx.extra_rules {
                    atoms.extend(extra.iter().cloned());
                }
            }
            J::Array(atoms.into_iter().map(J::String).collect())
        }
        Norm::Routes => J::Array(route_atoms(v).into_iter().map(J::String).collect()),
    }
}

/// A live value (API shape) in Terraform's shape. `declared` guides the shape where the API
/// is ambiguous.
fn to_state(norm: Norm, live: Option<&J>, declared: &J, ctx: &Context) -> J {
    let Some(v) = live else {
        return match norm {
            Norm::VersioningStatus => J::String("Disabled".into()),
            Norm::Tags => J::Object(Map::new()),
            Norm::Bool | Norm::EnabledState => J::Bool(false),
            _ => J::Null,
        };
    };
    match norm {
        Norm::Scalar | Norm::Lower | Norm::Cidr | Norm::Protocol | Norm::Port => {
            match (v, declared) {
                // Keep the declared scalar type (numbers stay numbers, "5" stays a string).
                (J::String(s), J::Number(_)) => s
                    .parse::<serde_json::Number>()
                    .map(J::Number)
                    .unwrap_or_else(|_| v.clone()),
                (J::Number(n), J::String(_)) => J::String(n.to_string()),
                _ => v.clone(),
            }
        }
        Norm::Bool => J::Bool(as_bool(v)),
        Norm::EnabledState => J::Bool(
            matches!(
                v.as_str().map(str::to_ascii_lowercase).as_deref(),
                Some("enabled" | "pending")
            ) || v.as_bool() == Some(true),
        ),
        Norm::VersioningStatus => match v {
            J::String(s) if !s.is_empty() => v.clone(),
            J::Object(o) => o
                .get("Status")
                .cloned()
                .unwrap_or_else(|| J::String("Disabled".into())),
            _ => J::String("Disabled".into()),
        },
        Norm::ArnName => match v.as_str() {
            Some(arn) => J::String(arn.rsplit('/').next().unwrap_or(arn).to_string()),
            None => v.clone(),
        },
        Norm::Tags => J::Object(
            tag_map(v)
                .into_iter()
                .map(|(k, v)| (k, J::String(v)))
                .collect(),
        ),
        Norm::IamPolicy => match policy_value(v) {
            Some(doc) => J::String(doc.to_string()),
            None => J::Null,
        },
        Norm::Set => match v {
            J::Array(_) => v.clone(),
            J::Null => J::Array(Vec::new()),
            other => J::Array(vec![other.clone()]),
        },
        Norm::Blocks => blocks_of(v),
        Norm::SgPermissions => sg_to_state(v, ctx.group_id),
        Norm::Routes => routes_to_state(v),
    }
}

// ---------------------------------------------------------------------------------------
// Tags

fn tag_map(v: &J) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match v {
        J::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone(), render(v));
            }
        }
        J::Array(items) => {
            for t in items {
                let k = t
                    .get("Key")
                    .or_else(|| t.get("TagKey"))
                    .or_else(|| t.get("key"));
                let v = t
                    .get("Value")
                    .or_else(|| t.get("TagValue"))
                    .or_else(|| t.get("value"));
                if let Some(k) = k.and_then(J::as_str) {
                    out.insert(k.to_string(), v.map(render).unwrap_or_default());
                }
            }
        }
        _ => {}
    }
    // Tags under the reserved `aws:` prefix are written by AWS (CloudFormation, Service
    // Catalog…), never by Terraform.
    out.retain(|k, _| !k.starts_with("aws:"));
    out
}

// ---------------------------------------------------------------------------------------
// Policy documents

/// A policy document from a JSON string (URL-encoded as IAM returns it, or not) or an object.
fn policy_value(v: &J) -> Option<J> {
    match v {
        J::String(s) if s.trim().is_empty() => None,
        J::String(s) => {
            let text = if s.trim_start().starts_with('%') {
                url_decode(s)
            } else {
                s.clone()
            };
            Some(serde_json::from_str(&text).unwrap_or_else(|_| J::String(s.clone())))
        }
        J::Object(_) => Some(v.clone()),
        _ => None,
    }
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Members whose values are sets: a single value and a one-element list are the same.
const SET_MEMBERS: &[&str] = &["Action", "NotAction", "Resource", "NotResource"];

/// A policy document in canonical form: statements as a sorted list; Action/Resource (and
/// their Not forms), Principal values and Condition values as sorted, de-duplicated lists;
/// empty `Sid`s dropped.
pub fn canonical_policy(doc: &J) -> J {
    let Some(obj) = doc.as_object() else {
        return doc.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        if k == "Statement" {
            let list = match v {
                J::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let mut stmts: Vec<J> = list.iter().map(canonical_statement).collect();
            stmts.sort_by_key(|s| s.to_string());
            stmts.dedup();
            out.insert(k.clone(), J::Array(stmts));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    J::Object(out)
}

fn string_set(v: &J) -> J {
    let mut items: Vec<String> = match v {
        J::Array(a) => a.iter().map(render).collect(),
        other => vec![render(other)],
    };
    items.sort();
    items.dedup();
    J::Array(items.into_iter().map(J::String).collect())
}

fn canonical_statement(s: &J) -> J {
    let Some(obj) = s.as_object() else {
        return s.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        let v = match k.as_str() {
            "Sid" if unset(v) => continue,
            k if SET_MEMBERS.contains(&k) => string_set(v),
            "Principal" | "NotPrincipal" => match v {
                J::Object(m) => {
                    J::Object(m.iter().map(|(k, v)| (k.clone(), string_set(v))).collect())
                }
                // `"*"` is the same as `{"AWS": "*"}`.
                J::String(s) if s == "*" => {
                    let mut m = Map::new();
                    m.insert("AWS".into(), string_set(v));
                    J::Object(m)
                }
                other => other.clone(),
            },
            "Condition" => match v {
                J::Object(ops) => J::Object(
                    ops.iter()
                        .map(|(op, kv)| {
                            let kv = match kv {
                                J::Object(m) => J::Object(
                                    m.iter()
                                        .map(|(k, v)| (k.clone(), string_set(&scalar(v))))
                                        .collect(),
                                ),
                                other => other.clone(),
                            };
                            (op.clone(), kv)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    J::Object(out)
}

// ---------------------------------------------------------------------------------------
// Network forms

/// `10.0.0.1/8` → `10.0.0.0/8`; IPv6 lower-cased and compressed. Unparsable text is kept.
pub fn cidr(s: &str) -> String {
    match s.trim().parse::<ipnet::IpNet>() {
        Ok(net) => net.trunc().to_string(),
        Err(_) => s.trim().to_ascii_lowercase(),
    }
}

/// `all`/`-1` → `-1`; protocol numbers of the named protocols → their names.
pub fn protocol(p: &str) -> String {
    match p.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" => "-1".into(),
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "58" | "icmpv6" => "icmpv6".into(),
        other => other.into(),
    }
}

fn port(v: Option<&J>) -> i64 {
    match v {
        Some(J::Number(n)) => n.as_i64().unwrap_or(0),
        Some(J::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

/// One atomic rule: `tcp 22-22 cidr 0.0.0.0/0`. All-protocol rules carry no ports.
pub fn sg_atom(protocol_name: &str, from: i64, to: i64, source: &str) -> String {
    let p = protocol(protocol_name);
    if p == "-1" {
        format!("all {source}")
    } else {
        format!("{p} {from}-{to} {source}")
    }
}

fn group_source(g: &str, own: Option<&str>) -> String {
    // Cross-account references are `account/sg-…`; the group id identifies the group.
    let id = g.rsplit('/').next().unwrap_or(g);
    match own {
        Some(o) if o == id => "self".to_string(),
        _ => format!("sg {id}"),
    }
}

fn strs(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .map(|a| a.iter().filter_map(J::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Atomic rules of a Terraform `ingress`/`egress` list, or of an `aws_security_group_rule`
/// / `aws_vpc_security_group_*_rule` (one object).
pub fn sg_atoms(v: &J, own: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let items: Vec<&J> = match v {
        J::Array(a) => a.iter().collect(),
        J::Object(_) => vec![v],
        _ => Vec::new(),
    };
    for r in items {
        // Terraform's names, or the VPC rule resource's (`ip_protocol`, `cidr_ipv4`…).
        let proto = r
            .get("protocol")
            .or_else(|| r.get("ip_protocol"))
            .map(render)
            .unwrap_or_default();
        let (from, to) = (port(r.get("from_port")), port(r.get("to_port")));
        let mut sources = Vec::new();
        for c in strs(r.get("cidr_blocks")) {
            sources.push(format!("cidr {}", cidr(&c)));
        }
        for c in strs(r.get("ipv6_cidr_blocks")) {
            sources.push(format!("cidr {}", cidr(&c)));
        }
        for p in strs(r.get("prefix_list_ids")) {
            sources.push(format!("prefix-list {p}"));
        }
        for g in strs(r.get("security_groups")) {
            sources.push(group_source(&g, own));
        }
        for k in ["cidr_ipv4", "cidr_ipv6"] {
            if let Some(c) = r.get(k).and_then(J::as_str).filter(|s| !s.is_empty()) {
                sources.push(format!("cidr {}", cidr(c)));
            }
        }
        if let Some(p) = r
            .get("prefix_list_id")
            .and_then(J::as_str)
            .filter(|s| !s.is_empty())
        {
            sources.push(format!("prefix-list {p}"));
        }
        for k in ["source_security_group_id", "referenced_security_group_id"] {
            if let Some(g) = r.get(k).and_then(J::as_str).filter(|s| !s.is_empty()) {
                sources.push(group_source(g, own));
            }
        }
        if r.get("self").is_some_and(as_bool) {
            sources.push("self".to_string());
        }
        for s in sources {
            out.insert(sg_atom(&proto, from, to, &s));
        }
    }
    out
}

/// Atomic rules of API `IpPermissions`.
pub fn sg_live_atoms(perms: &J, own: Option<&str>) -> BTreeSet<String> {
    sg_atoms(&sg_to_state(perms, own), own)
}

/// API `IpPermissions` → Terraform `ingress`/`egress` (one block per permission).
fn sg_to_state(v: &J, own: Option<&str>) -> J {
    let Some(perms) = v.as_array() else {
        return J::Array(Vec::new());
    };
    let mut out = Vec::new();
    for p in perms {
        let proto = p.get("IpProtocol").map(render).unwrap_or_default();
        let all = protocol(&proto) == "-1";
        let list = |k: &str, f: &str| -> Vec<J> {
            p.get(k)
                .and_then(J::as_array)
                .map(|a| a.iter().filter_map(|x| x.get(f).cloned()).collect())
                .unwrap_or_default()
        };
        let groups: Vec<J> = list("UserIdGroupPairs", "GroupId")
            .into_iter()
            .filter(|g| g.as_str() != own)
            .collect();
        let is_self = own.is_some()
            && list("UserIdGroupPairs", "GroupId")
                .iter()
                .any(|g| g.as_str() == own);
        let mut m = Map::new();
        m.insert(
            "protocol".into(),
            J::String(if all { "-1".into() } else { proto.clone() }),
        );
        m.insert(
            "from_port".into(),
            J::from(if all { 0 } else { port(p.get("FromPort")) }),
        );
        m.insert(
            "to_port".into(),
            J::from(if all { 0 } else { port(p.get("ToPort")) }),
        );
        m.insert("cidr_blocks".into(), J::Array(list("IpRanges", "CidrIp")));
        m.insert(
            "ipv6_cidr_blocks".into(),
            J::Array(list("Ipv6Ranges", "CidrIpv6")),
        );
        m.insert(
            "prefix_list_ids".into(),
            J::Array(list("PrefixListIds", "PrefixListId")),
        );
        m.insert("security_groups".into(), J::Array(groups));
        m.insert("self".into(), J::Bool(is_self));
        m.insert("description".into(), J::String(String::new()));
        out.push(J::Object(m));
    }
    J::Array(out)
}

/// A `ec2:security-group-rule` body as the atomic rule it is.
pub fn sg_rule_atom(body: &J) -> Option<(bool, String)> {
    let egress = body.get("IsEgress").is_some_and(as_bool);
    let proto = body.get("IpProtocol").map(render).unwrap_or_default();
    let (from, to) = (port(body.get("FromPort")), port(body.get("ToPort")));
    let own = body.get("GroupId").and_then(J::as_str);
    let source = if let Some(c) = body
        .get("CidrIpv4")
        .or_else(|| body.get("CidrIpv6"))
        .and_then(J::as_str)
    {
        format!("cidr {}", cidr(c))
    } else if let Some(p) = body.get("PrefixListId").and_then(J::as_str) {
        format!("prefix-list {p}")
    } else if let Some(g) = body
        .pointer("/ReferencedGroupInfo/GroupId")
        .and_then(J::as_str)
    {
        group_source(g, own)
    } else {
        return None;
    };
    Some((egress, sg_atom(&proto, from, to, &source)))
}

// ---------------------------------------------------------------------------------------
// Routes

const ROUTE_TARGETS: &[(&str, &str)] = &[
    ("gateway_id", "GatewayId"),
    ("nat_gateway_id", "NatGatewayId"),
    ("transit_gateway_id", "TransitGatewayId"),
    ("vpc_peering_connection_id", "VpcPeeringConnectionId"),
    ("network_interface_id", "NetworkInterfaceId"),
    ("egress_only_gateway_id", "EgressOnlyInternetGatewayId"),
    ("vpc_endpoint_id", "VpcEndpointId"),
    ("carrier_gateway_id", "CarrierGatewayId"),
    ("local_gateway_id", "LocalGatewayId"),
    ("core_network_arn", "CoreNetworkArn"),
];

const ROUTE_DESTINATIONS: &[(&str, &str)] = &[
    ("cidr_block", "DestinationCidrBlock"),
    ("ipv6_cidr_block", "DestinationIpv6CidrBlock"),
    ("destination_prefix_list_id", "DestinationPrefixListId"),
];

fn route_atoms(v: &J) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in v.as_array().into_iter().flatten() {
        let dest = ROUTE_DESTINATIONS
            .iter()
            .find_map(|(k, _)| r.get(*k).and_then(J::as_str).filter(|s| !s.is_empty()))
            .map(|d| {
                if d.contains('/') {
                    cidr(d)
                } else {
                    d.to_string()
                }
            });
        let target = ROUTE_TARGETS
            .iter()
            .find_map(|(k, _)| r.get(*k).and_then(J::as_str).filter(|s| !s.is_empty()));
        if let (Some(d), Some(t)) = (dest, target) {
            out.insert(format!("{d} -> {t}"));
        }
    }
    out
}

/// API `Routes` → Terraform `route` blocks; the local route and routes AWS adds itself
/// (`Origin: CreateRouteTable`, VPC endpoints) are not Terraform's.
fn routes_to_state(v: &J) -> J {
    let mut out = Vec::new();
    for r in v.as_array().into_iter().flatten() {
        if r.get("GatewayId").and_then(J::as_str) == Some("local")
            || r.get("Origin").and_then(J::as_str) == Some("CreateRouteTable")
        {
            continue;
        }
        let mut m = Map::new();
        for (tf, api) in ROUTE_DESTINATIONS.iter().chain(ROUTE_TARGETS) {
            m.insert(
                (*tf).to_string(),
                r.get(*api).cloned().unwrap_or(J::String(String::new())),
            );
        }
        out.push(J::Object(m));
    }
    J::Array(out)
}

// ---------------------------------------------------------------------------------------
// Blocks

/// `KMSMasterKeyID` → `kms_master_key_id`, `SSEAlgorithm` → `sse_algorithm`, `ID` → `id`.
pub fn snake_case(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An API structure in Terraform's block shape: keys snake_cased, nested objects as
/// one-element lists (Terraform writes nested blocks as lists).
fn blocks_of(v: &J) -> J {
    match v {
        J::Object(m) => J::Array(vec![object_block(m)]),
        J::Array(a) => J::Array(
            a.iter()
                .map(|x| match x {
                    J::Object(m) => object_block(m),
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn object_block(m: &Map<String, J>) -> J {
    J::Object(
        m.iter()
            .map(|(k, v)| {
                let v = match v {
                    J::Object(_) => blocks_of(v),
                    J::Array(a) if a.iter().all(J::is_object) => blocks_of(v),
                    other => other.clone(),
                };
                (block_name(k), v)
            })
            .collect(),
    )
}

/// Terraform names repeated blocks in the singular where the API's list is plural.
fn block_name(api: &str) -> String {
    let s = snake_case(api);
    match s.as_str() {
        "transitions" => "transition".into(),
        "noncurrent_version_transitions" => "noncurrent_version_transition".into(),
        _ => s,
    }
}

fn strip_unset(v: &J) -> J {
    match v {
        J::Object(m) => J::Object(
            m.iter()
                .filter(|(_, v)| !unset(v))
                .map(|(k, v)| (k.clone(), strip_unset(v)))
                .collect(),
        ),
        J::Array(a) => J::Array(a.iter().map(strip_unset).collect()),
        other => scalar(other),
    }
}

fn sort_key(v: &J) -> String {
    v.get("id").map(render).unwrap_or_else(|| v.to_string())
}

/// Whether everything `declared` sets is in `live` (lists: same length, items matched by
/// their `id` when they have one, else in order).
fn subset(declared: &J, live: &J) -> bool {
    match (declared, live) {
        (J::Object(d), J::Object(l)) => d.iter().all(|(k, dv)| match l.get(k) {
            Some(lv) => subset(dv, lv),
            None => unset(dv),
        }),
        (J::Array(d), J::Array(l)) => {
            if d.len() != l.len() {
                return false;
            }
            let mut d: Vec<&J> = d.iter().collect();
            let mut l: Vec<&J> = l.iter().collect();
            d.sort_by_key(|v| sort_key(v));
            l.sort_by_key(|v| sort_key(v));
            d.iter().zip(&l).all(|(a, b)| subset(a, b))
        }
        (d, J::Null) => unset(d),
        (d, l) => unset(d) && unset(l) || d == l,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eq(norm: Norm, d: J, l: J) -> bool {
        compare(norm, Some(&d), Some(&l), &Context::default(), None).equal
    }

    #[test]
    fn scalars_and_unset_values() {
        assert!(eq(Norm::Scalar, json!(5), json!("5")));
        assert!(eq(Norm::Scalar, json!(""), J::Null));
        assert!(!eq(Norm::Scalar, json!("t2.micro"), json!("t3.micro")));
        assert!(eq(Norm::Bool, json!("true"), json!(true)));
        assert!(!eq(Norm::Bool, json!(true), json!(false)));
        assert!(
            compare(
                Norm::Bool,
                Some(&json!(false)),
                None,
                &Context::default(),
                None
            )
            .equal
        );
        assert!(eq(Norm::Lower, json!("Default"), json!("default")));
        assert!(eq(
            Norm::ArnName,
            json!("web"),
            json!("arn:aws:iam::1:instance-profile/web")
        ));
        assert!(eq(Norm::EnabledState, json!(true), json!("enabled")));
        assert!(!eq(Norm::EnabledState, json!(true), json!("disabled")));
    }

    #[test]
    fn tags_compare_maps_with_tag_lists_and_prefer_tags_all() {
        assert!(eq(
            Norm::Tags,
            json!({"Env": "prod", "Team": "web"}),
            json!([{"Key": "Team", "Value": "web"}, {"Key": "Env", "Value": "prod"},
                   {"Key": "aws:cloudformation:stack-name", "Value": "x"}])
        ));
        assert!(eq(
            Norm::Tags,
            json!({"a": "1"}),
            json!([{"TagKey": "a", "TagValue": "1"}])
        ));
        assert!(eq(Norm::Tags, J::Null, json!([])));
        let c = compare(
            Norm::Tags,
            Some(&json!({"Env": "prod"})),
            Some(&json!([{"Key": "Env", "Value": "dev"}])),
            &Context::default(),
            None,
        );
        assert!(!c.equal);
        assert_eq!(c.live, json!({"Env": "dev"}));
        let attrs = json!({"tags": {"a": "1"}, "tags_all": {"a": "1", "owner": "platform"}});
        let ctx = Context {
            attributes: Some(&attrs),
            ..Context::default()
        };
        let live = json!([{"Key": "a", "Value": "1"}, {"Key": "owner", "Value": "platform"}]);
        assert!(compare(Norm::Tags, attrs.get("tags"), Some(&live), &ctx, None).equal);
    }

    #[test]
    fn policies_compare_semantically() {
        let declared = json!(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*","Principal":{"Service":"ec2.amazonaws.com"}}]}"#
        );
        let live = json!(
            r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Resource":["*"],"Action":["s3:ListBucket","s3:GetObject","s3:GetObject"]},"Version":"2012-10-17"}"#
        );
        assert!(eq(Norm::IamPolicy, declared.clone(), live));
        let encoded = json!("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22s3%3AGetObject%22%2C%22s3%3AListBucket%22%5D%2C%22Resource%22%3A%22%2A%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%7D%5D%7D");
        assert!(eq(Norm::IamPolicy, declared.clone(), encoded));
        let wider = json!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"Service":"ec2.amazonaws.com"}}]}"#
        );
        assert!(!eq(Norm::IamPolicy, declared, wider));
        // Statement order does not matter.
        let a = json!(
            r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"},{"Effect":"Deny","Action":"c:d","Resource":"*"}]}"#
        );
        let b = json!(
            r#"{"Statement":[{"Effect":"Deny","Action":["c:d"],"Resource":"*"},{"Effect":"Allow","Action":"a:b","Resource":["*"]}]}"#
        );
        assert!(eq(Norm::IamPolicy, a, b));
        assert!(eq(Norm::IamPolicy, json!(""), J::Null));
        assert!(eq(
            Norm::IamPolicy,
            json!(
                r#"{"Statement":[{"Principal":"*","Effect":"Allow","Action":"x:y","Resource":"*"}]}"#
            ),
            json!(
                r#"{"Statement":[{"Principal":{"AWS":"*"},"Effect":"Allow","Action":"x:y","Resource":"*"}]}"#
            )
        ));
    }

    #[test]
    fn cidrs_protocols_and_sets() {
        assert_eq!(cidr("10.0.0.1/8"), "10.0.0.0/8");
        assert_eq!(cidr("2001:DB8::/32"), "2001:db8::/32");
        assert!(eq(Norm::Cidr, json!("10.1.0.0/16"), json!("10.1.0.0/16")));
        assert!(!eq(Norm::Cidr, json!("10.1.0.0/16"), json!("10.2.0.0/16")));
        assert_eq!(protocol("all"), "-1");
        assert_eq!(protocol("6"), "tcp");
        assert!(eq(Norm::Protocol, json!("tcp"), json!("6")));
        let c = compare(
            Norm::Set,
            Some(&json!(["sg-2", "sg-1"])),
            Some(&json!(["sg-1", "sg-2", "sg-3"])),
            &Context::default(),
            None,
        );
        assert!(!c.equal);
        assert_eq!(c.added, vec!["sg-3".to_string()]);
        assert!(eq(Norm::Set, json!(["a", "b"]), json!(["b", "a"])));
    }

    #[test]
    fn security_group_permissions_explode_to_atomic_rules() {
        let declared = json!([{"cidr_blocks": ["10.0.0.0/8", "192.168.0.0/16"], "description": "x",
            "from_port": 22, "to_port": 22, "protocol": "tcp", "ipv6_cidr_blocks": [],
            "prefix_list_ids": [], "security_groups": [], "self": true}]);
        let live_same = json!([
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "192.168.0.0/16"}],
             "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "123"}]},
            {"IpProtocol": "6", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "y"}]}
        ]);
        let ctx = Context {
            group_id: Some("sg-1"),
            ..Context::default()
        };
        let c = compare(
            Norm::SgPermissions,
            Some(&declared),
            Some(&live_same),
            &ctx,
            None,
        );
        assert!(c.equal, "{c:?}");
        let mut opened = live_same.clone();
        opened
            .as_array_mut()
            .unwrap()
            .push(json!({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}));
        let c = compare(
            Norm::SgPermissions,
            Some(&declared),
            Some(&opened),
            &ctx,
            None,
        );
        assert!(!c.equal);
        assert_eq!(c.added, vec!["all cidr 0.0.0.0/0".to_string()]);
        assert!(c.removed.is_empty());
        // The live value in Terraform's shape, for the policies.
        assert_eq!(c.live[2]["cidr_blocks"], json!(["0.0.0.0/0"]));
        assert_eq!(c.live[2]["protocol"], "-1");
        // A rule declared by another resource counts as declared.
        let extra: BTreeSet<String> = ["all cidr 0.0.0.0/0".to_string()].into();
        let ctx = Context {
            group_id: Some("sg-1"),
            extra_rules: Some(&extra),
            ..Context::default()
        };
        assert!(
            compare(
                Norm::SgPermissions,
                Some(&declared),
                Some(&opened),
                &ctx,
                None
            )
            .equal
        );
        let rule = json!({"GroupId": "sg-1", "IsEgress": false, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "0.0.0.0/0"});
        assert_eq!(
            sg_rule_atom(&rule),
            Some((false, "tcp 443-443 cidr 0.0.0.0/0".to_string()))
        );
        let vpc_rule = json!({"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"});
        assert_eq!(
            sg_atoms(&vpc_rule, None).into_iter().collect::<Vec<_>>(),
            ["tcp 443-443 cidr 0.0.0.0/0"]
        );
    }

    #[test]
    fn blocks_compare_what_the_state_sets() {
        let declared = json!([{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": "aws:kms"}], "bucket_key_enabled": false}]);
        let live = json!([{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:k"}, "BucketKeyEnabled": false}]);
        assert!(eq(Norm::Blocks, declared.clone(), live));
        let live = json!([{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]);
        assert!(!eq(Norm::Blocks, declared.clone(), live));
        assert!(
            !compare(
                Norm::Blocks,
                Some(&declared),
                None,
                &Context::default(),
                None
            )
            .equal
        );
        assert_eq!(snake_case("KMSMasterKeyID"), "kms_master_key_id");
        assert_eq!(snake_case("SSEAlgorithm"), "sse_algorithm");
        assert_eq!(snake_case("NoncurrentDays"), "noncurrent_days");
        assert_eq!(snake_case("ID"), "id");
    }

    #[test]
    fn versioning_and_routes() {
        assert!(
            compare(
                Norm::VersioningStatus,
                Some(&json!("Disabled")),
                None,
                &Context::default(),
                None
            )
            .equal
        );
        assert!(!eq(
            Norm::VersioningStatus,
            json!("Enabled"),
            json!("Suspended")
        ));
        let declared =
            json!([{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-1", "nat_gateway_id": ""}]);
        let live = json!([{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                          {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "Origin": "CreateRoute"}]);
        assert!(eq(Norm::Routes, declared.clone(), live));
        let live = json!([{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}]);
        let c = compare(
            Norm::Routes,
            Some(&declared),
            Some(&live),
            &Context::default(),
            None,
        );
        assert_eq!(
            (c.added, c.removed),
            (
                vec!["0.0.0.0/0 -> nat-1".to_string()],
                vec!["0.0.0.0/0 -> igw-1".to_string()]
            )
        );
    }

    #[test]
    fn sensitive_values_compare_by_hash() {
        let key = HashKey::random();
        let d = json!({"DB_PASSWORD": "hunter2"});
        let l = json!({"DB_PASSWORD": key.hash(b"hunter2")});
        // Blocks treats maps structurally; Scalar compares whole values.
        assert!(
            compare(
                Norm::Scalar,
                Some(&d),
                Some(&l),
                &Context::default(),
                Some(&key)
            )
            .equal
        );
        let l2 = json!({"DB_PASSWORD": key.hash(b"other")});
        assert!(
            !compare(
                Norm::Scalar,
                Some(&d),
                Some(&l2),
                &Context::default(),
                Some(&key)
            )
            .equal
        );
    }
}
