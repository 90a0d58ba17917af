//! Which resources of a module refer to which, computed once per module.
//!
//! Rules such as "a bucket without a public access block" ask, for every resource, which
//! other resources of the module point at it. Answered by walking the module for each
//! resource, that question costs the square of the module's size (10,000 buckets: 10^8
//! Rego function calls). This index answers it for every resource in one pass over the
//! module's attributes, with the same meaning as the library's `refers_to` and
//! `may_refer_to` (`policies/lib/aws.rego`):
//!
//! - a value *refers to* resource `r` when it is an unknown value whose reference names `r`
//!   (its address, its address without module prefix, or `type.name`, optionally followed by
//!   `.attribute` or `[key]`; an instance address also matches without its key), or a
//!   non-blank string equal to one of `r`'s literal names (`bucket`, `id`, `name`, `arn`,
//!   `function_name`, `cluster_name`, `identifier`);
//! - a value *may refer to* `r` when it refers to `r`, or when it is an unknown value that
//!   names no managed resource (`var.x`, `module.y.z`) and refers to no resource of the
//!   module at all: it could be any of them.
//!
//! The fields indexed are each top-level attribute (`bucket`) and each attribute of a nested
//! block list (`logging.target_bucket`, as `blocks()` reads them).

use super::tree::{Node, Value as NV};
use std::collections::{BTreeMap, HashMap};

/// The references among the items of one [`super::RelatedSet`].
#[derive(Debug, Default)]
pub struct References {
    /// For each item: the items whose field refers to it, by the referrer's type and field,
    /// in item order.
    pub referrers: Vec<BTreeMap<String, BTreeMap<String, Vec<usize>>>>,
    /// For each item: the other items each of its fields refers to, in item order.
    pub refers: Vec<BTreeMap<String, Vec<usize>>>,
    /// Items with a field that may refer to any item (an unknown value naming no resource of
    /// the module), by type and field, in item order.
    pub unknown: BTreeMap<String, BTreeMap<String, Vec<usize>>>,
}

/// `{"$unknown": …}`: a value the scan could not evaluate.
fn is_unknown(n: &Node) -> bool {
    matches!(&n.value, NV::Map(entries) if entries.iter().any(|e| e.key == "$unknown"))
}

/// The reference an unknown value depends on (`""` when it names nothing).
fn unknown_ref(n: &Node) -> &str {
    n.get("$unknown").and_then(Node::as_str).unwrap_or("")
}

fn non_blank(n: &Node) -> Option<&str> {
    n.as_str().filter(|s| !s.trim().is_empty())
}

/// `aws_vpc.main.id`: a reference to a managed resource, which names it exactly.
pub fn names_managed_resource(reference: &str) -> bool {
    let mut parts = reference.split('.');
    let (Some(first), Some(_)) = (parts.next(), parts.next()) else {
        return false;
    };
    let b = first.as_bytes();
    let Some(us) = first.find('_') else {
        return false;
    };
    b[0].is_ascii_lowercase()
        && first[..us]
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && us + 1 < first.len()
        && first[us + 1..]
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// The address without its `module.NAME[KEY].` prefixes; `None` when the address starts with
/// `module.` but has no such prefix (the library's `strip_module` is undefined there).
fn strip_module(address: &str) -> Option<&str> {
    let mut rest = address;
    if !rest.starts_with("module.") {
        return Some(rest);
    }
    while let Some(after) = rest.strip_prefix("module.") {
        // NAME: up to the first `.` or `[`, at least one character.
        let name_len = after.find(['.', '[']).unwrap_or(after.len());
        if name_len == 0 {
            break;
        }
        let mut tail = &after[name_len..];
        if tail.starts_with('[') {
            match tail.find(']') {
                Some(close) => tail = &tail[close + 1..],
                None => break,
            }
        }
        match tail.strip_prefix('.') {
            Some(t) => rest = t,
            None => break,
        }
    }
    (rest.len() < address.len()).then_some(rest)
}

/// An address without its instance key: `aws_s3_bucket.logs["eu"]` → `aws_s3_bucket.logs`.
fn strip_key(a: &str) -> &str {
    match a.find('[') {
        Some(i) if i > 0 => &a[..i],
        _ => a,
    }
}

/// The names by which a reference can name `item` (the library's `ref_names`): none when
/// the item lacks an address, type or name.
fn ref_names(item: &Node) -> Vec<String> {
    let (Some(address), Some(ty), Some(name)) = (
        item.get("address").and_then(Node::as_str),
        item.get("type").and_then(Node::as_str),
        item.get("name").and_then(Node::as_str),
    ) else {
        return Vec::new();
    };
    let Some(stripped) = strip_module(address) else {
        return Vec::new();
    };
    let mut names = vec![
        address.to_string(),
        stripped.to_string(),
        format!("{ty}.{name}"),
    ];
    names.retain(|n| !n.is_empty());
    names.sort();
    names.dedup();
    names
}

const LITERAL_KEYS: [&str; 7] = [
    "bucket",
    "id",
    "name",
    "arn",
    "function_name",
    "cluster_name",
    "identifier",
];

/// How to find the items a value refers to.
#[derive(Default)]
struct Lookup {
    /// A name that matches a reference equal to it or followed by `.` or `[`.
    names: HashMap<String, Vec<usize>>,
    /// A name without its instance key, which matches a reference equal to it or followed
    /// by `.`.
    keyless: HashMap<String, Vec<usize>>,
    /// Literal names (`bucket`, `arn`…) of the items.
    literals: HashMap<String, Vec<usize>>,
}

impl Lookup {
    fn new(items: &[Node]) -> Self {
        let mut l = Lookup::default();
        for (i, item) in items.iter().enumerate() {
            for n in ref_names(item) {
                let k = strip_key(&n);
                if k != n {
                    push_once(l.keyless.entry(k.to_string()).or_default(), i);
                }
                push_once(l.names.entry(n).or_default(), i);
            }
            if let Some(attrs) = item.get("attributes") {
                for key in LITERAL_KEYS {
                    if let Some(s) = attrs.get(key).and_then(non_blank) {
                        push_once(l.literals.entry(s.to_string()).or_default(), i);
                    }
                }
            }
        }
        l
    }

    /// The items `v` refers to, ascending.
    fn refers(&self, v: &Node) -> Vec<usize> {
        let mut out = Vec::new();
        if is_unknown(v) {
            let r = unknown_ref(v);
            if !r.is_empty() {
                let cuts = r
                    .char_indices()
                    .filter(|&(_, c)| c == '.' || c == '[')
                    .map(|(i, _)| i)
                    .chain(std::iter::once(r.len()));
                for cut in cuts {
                    let prefix = &r[..cut];
                    if let Some(items) = self.names.get(prefix) {
                        out.extend_from_slice(items);
                    }
                    if cut == r.len() || r.as_bytes()[cut] == b'.' {
                        if let Some(items) = self.keyless.get(prefix) {
                            out.extend_from_slice(items);
                        }
                    }
                }
            }
        } else if let Some(s) = non_blank(v) {
            if let Some(items) = self.literals.get(s) {
                out.extend_from_slice(items);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn push_once(list: &mut Vec<usize>, i: usize) {
    if list.last() != Some(&i) {
        list.push(i);
    }
}

/// The indexed fields of an item: each attribute, and each attribute of a block list.
fn fields(item: &Node) -> Vec<(String, &Node)> {
    let mut out = Vec::new();
    let Some(NV::Map(attrs)) = item.get("attributes").map(|a| &a.value) else {
        return out;
    };
    for e in attrs {
        out.push((e.key.clone(), &e.value));
        if let NV::Seq(blocks) = &e.value.value {
            for b in blocks {
                if let NV::Map(inner) = &b.value {
                    for f in inner {
                        out.push((format!("{}.{}", e.key, f.key), &f.value));
                    }
                }
            }
        }
    }
    out
}

impl References {
    pub fn new(items: &[Node]) -> Self {
        let lookup = Lookup::new(items);
        let mut out = References {
            referrers: vec![BTreeMap::new(); items.len()],
            refers: vec![BTreeMap::new(); items.len()],
            unknown: BTreeMap::new(),
        };
        for (o, item) in items.iter().enumerate() {
            let ty = item.get("type").and_then(Node::as_str).unwrap_or("");
            for (field, v) in fields(item) {
                let targets = lookup.refers(v);
                if targets.is_empty() && is_unknown(v) && !names_managed_resource(unknown_ref(v)) {
                    let list = out
                        .unknown
                        .entry(ty.to_string())
                        .or_default()
                        .entry(field.clone())
                        .or_default();
                    push_once(list, o);
                }
                for &x in targets.iter().filter(|&&x| x != o) {
                    let list = out.referrers[x]
                        .entry(ty.to_string())
                        .or_default()
                        .entry(field.clone())
                        .or_default();
                    push_once(list, o);
                    out.refers[o].entry(field.clone()).or_default().push(x);
                }
            }
        }
        // A block field (`logging.target_bucket`) may name the same item from several blocks.
        for lists in &mut out.refers {
            for list in lists.values_mut() {
                list.sort_unstable();
                list.dedup();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: serde_json::Value) -> Node {
        let pos = crate::model::Pos { line: 1, column: 1 };
        let value = match json {
            serde_json::Value::String(s) => NV::Str(s),
            serde_json::Value::Array(a) => NV::Seq(a.into_iter().map(item).collect()),
            serde_json::Value::Object(o) => NV::Map(
                o.into_iter()
                    .map(|(key, v)| super::super::tree::Entry {
                        key,
                        key_start: pos,
                        key_end_byte: None,
                        value: item(v),
                    })
                    .collect(),
            ),
            other => panic!("not used here: {other}"),
        };
        Node::new(value, pos, None)
    }

    #[test]
    fn strip_module_and_managed_names_follow_the_library() {
        assert_eq!(strip_module("aws_s3_bucket.a"), Some("aws_s3_bucket.a"));
        assert_eq!(
            strip_module("module.a.module.b[\"x\"].aws_s3_bucket.a"),
            Some("aws_s3_bucket.a")
        );
        assert_eq!(
            strip_module("module.a[0].aws_s3_bucket.a"),
            Some("aws_s3_bucket.a")
        );
        assert_eq!(strip_module("module.a"), None);
        assert!(names_managed_resource("aws_vpc.main.id"));
        assert!(!names_managed_resource("var.vpc"));
        assert!(!names_managed_resource("module.net.vpc_id"));
        assert!(!names_managed_resource("aws_vpc"));
        assert!(!names_managed_resource("Aws_vpc.x"));
    }

    #[test]
    fn references_literals_and_unknowns_are_indexed_like_the_library_reads_them() {
        let items = vec![
            item(
                serde_json::json!({"address": "aws_s3_bucket.logs[\"eu\"]", "type": "aws_s3_bucket",
                "name": "logs", "attributes": {"bucket": "logs-eu"}}),
            ),
            item(
                serde_json::json!({"address": "aws_s3_bucket.data", "type": "aws_s3_bucket",
                "name": "data", "attributes": {"bucket": "data",
                "logging": [{"target_bucket": {"$unknown": "aws_s3_bucket.logs[\"eu\"].id"}}]}}),
            ),
            item(
                serde_json::json!({"address": "aws_s3_bucket_public_access_block.p", "type":
                "aws_s3_bucket_public_access_block", "name": "p", "attributes": {"bucket": "data"}}),
            ),
            item(
                serde_json::json!({"address": "aws_s3_bucket_versioning.v", "type":
                "aws_s3_bucket_versioning", "name": "v", "attributes": {"bucket": {"$unknown": "var.bucket"}}}),
            ),
            item(
                serde_json::json!({"address": "aws_s3_bucket_policy.q", "type": "aws_s3_bucket_policy",
                "name": "q", "attributes": {"bucket": {"$unknown": "aws_s3_bucket.logs.id"}}}),
            ),
        ];
        let r = References::new(&items);
        // The keyless reference names the keyed instance, and the nested block is a field.
        assert_eq!(
            r.referrers[0]["aws_s3_bucket"]["logging.target_bucket"],
            [1]
        );
        assert_eq!(r.referrers[0]["aws_s3_bucket_policy"]["bucket"], [4]);
        assert_eq!(
            r.referrers[1]["aws_s3_bucket_public_access_block"]["bucket"],
            [2]
        );
        assert_eq!(r.refers[1]["logging.target_bucket"], [0]);
        // A variable could be any bucket; a reference to a managed resource never is.
        assert_eq!(r.unknown["aws_s3_bucket_versioning"]["bucket"], [3]);
        assert_eq!(r.unknown.len(), 1);
    }
}

#[cfg(test)]
mod input_tests {
    use super::super::tree::{Entry, Node, Value as NV};
    use super::super::{Related, RelatedSet};
    use crate::model::Pos;

    fn bucket(i: usize) -> Node {
        let pos = Pos { line: 1, column: 1 };
        let s = |v: String| Node::new(NV::Str(v), pos, None);
        let entry = |key: &str, value: Node| Entry {
            key: key.to_string(),
            key_start: pos,
            key_end_byte: None,
            value,
        };
        let attrs = Node::new(
            NV::Map(vec![entry("bucket", s(format!("b{i}")))]),
            pos,
            None,
        );
        Node::new(
            NV::Map(vec![
                entry("address", s(format!("aws_s3_bucket.b{i}"))),
                entry("type", s("aws_s3_bucket".into())),
                entry("name", s(format!("b{i}"))),
                entry("attributes", attrs),
            ]),
            pos,
            None,
        )
    }

    /// What makes a module of N resources cost N², not N: a list of the module built for each
    /// of its documents. `input.module` shares its module-wide parts between documents.
    #[test]
    fn documents_share_the_module_wide_parts_of_their_input() {
        let set = RelatedSet::new((0..50).map(bucket).collect());
        let a = Related::new(&set, Some(0)).module_to_rego().unwrap();
        let b = Related::new(&set, Some(7)).module_to_rego().unwrap();
        for part in ["by_type", "unknown_referrers"] {
            match (&a[part], &b[part]) {
                (regorus::Value::Object(x), regorus::Value::Object(y)) => {
                    assert!(std::sync::Arc::ptr_eq(x, y), "{part} is shared")
                }
                other => panic!("{part}: {other:?}"),
            }
        }
        match &a["by_type"]["aws_s3_bucket"] {
            regorus::Value::Array(all) => assert_eq!(all.len(), 50),
            other => panic!("{other:?}"),
        }
        // Literal names that no other bucket uses: no references.
        assert_eq!(a["referrers"], regorus::Value::new_object());
        // The namespace pass (Kubernetes objects) has no module index.
        let mut k = Related::new(&set, Some(0));
        k.namespace = Some("default".into());
        assert!(k.module_to_rego().is_none());
    }
}
