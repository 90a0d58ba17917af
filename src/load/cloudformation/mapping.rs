//! CloudFormation types and properties → Terraform types and attributes, driven by the data
//! table `mapping.yaml` (see its header for the rule language). Adding a type is adding data.

use crate::load::tree::{Entry, Node, Value};
use crate::load::LoadOptions;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("mapping.yaml");

/// How one CloudFormation type maps to Terraform.
#[derive(Debug, Default)]
pub struct TypeMap {
    pub tf_type: String,
    pub properties: BTreeMap<String, Rule>,
    /// Constant attributes (`type: ingress` for a security group rule).
    pub set: Vec<(String, String)>,
    /// Properties Terraform declares as a resource of their own.
    pub separate: Vec<Separate>,
}

/// A property emitted as its own Terraform resource (`PublicAccessBlockConfiguration` →
/// `aws_s3_bucket_public_access_block`).
#[derive(Debug, Default)]
pub struct Separate {
    pub property: String,
    pub tf_type: String,
    /// The attribute that refers back to the resource (`bucket`).
    pub ref_attr: String,
    pub fields: BTreeMap<String, Rule>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum As {
    #[default]
    Block,
    List,
    Map,
    Tags,
    Json,
    JsonCamel,
    Bool,
    Number,
    String,
    Raw,
}

/// How one property is converted.
#[derive(Debug, Default)]
pub struct Rule {
    pub to: Option<String>,
    pub to_by: Option<(String, BTreeMap<String, String>)>,
    pub as_: As,
    pub values: Vec<(String, Value)>,
    pub fields: BTreeMap<String, Rule>,
    pub flatten: bool,
    pub pick: Option<Vec<String>>,
    pub keyvalues: Option<BTreeMap<String, Rule>>,
    pub wrap: Option<String>,
}

/// The mapping of a CloudFormation type, when the table has one.
pub fn type_map(cfn_type: &str) -> Option<&'static TypeMap> {
    table().get(cfn_type)
}

/// Every CloudFormation type the table maps (for documentation and tests).
pub fn mapped_types() -> impl Iterator<Item = (&'static str, &'static str)> {
    table()
        .iter()
        .map(|(k, v)| (k.as_str(), v.tf_type.as_str()))
}

fn table() -> &'static BTreeMap<String, TypeMap> {
    static TABLE_MAP: OnceLock<BTreeMap<String, TypeMap>> = OnceLock::new();
    TABLE_MAP.get_or_init(|| {
        let nodes = crate::load::parse_documents(TABLE, &LoadOptions::default())
            .expect("mapping.yaml is valid YAML (checked by a unit test)");
        let mut out = BTreeMap::new();
        if let Some(Value::Map(entries)) = nodes.first().map(|n| &n.value) {
            for e in entries {
                out.insert(e.key.clone(), parse_type(&e.value));
            }
        }
        out
    })
}

fn parse_type(node: &Node) -> TypeMap {
    let str_of = |k: &str| node.get(k).and_then(Node::as_str).unwrap_or_default();
    let mut t = TypeMap {
        tf_type: str_of("type").to_string(),
        properties: parse_rules(node.get("properties")),
        ..TypeMap::default()
    };
    if let Some(Value::Map(set)) = node.get("set").map(|n| &n.value) {
        t.set = set
            .iter()
            .filter_map(|e| Some((e.key.clone(), e.value.as_str()?.to_string())))
            .collect();
    }
    if let Some(Value::Map(sep)) = node.get("separate").map(|n| &n.value) {
        for e in sep {
            let s = |k: &str| {
                e.value
                    .get(k)
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            t.separate.push(Separate {
                property: e.key.clone(),
                tf_type: s("type"),
                ref_attr: s("ref"),
                fields: parse_rules(e.value.get("fields")),
            });
        }
    }
    t
}

fn parse_rules(node: Option<&Node>) -> BTreeMap<String, Rule> {
    let mut out = BTreeMap::new();
    if let Some(Value::Map(entries)) = node.map(|n| &n.value) {
        for e in entries {
            out.insert(e.key.clone(), parse_rule(&e.value));
        }
    }
    out
}

fn parse_rule(node: &Node) -> Rule {
    if let Some(name) = node.as_str() {
        return Rule {
            to: Some(name.to_string()),
            ..Rule::default()
        };
    }
    let s = |k: &str| node.get(k).and_then(Node::as_str).map(str::to_string);
    let as_ = match s("as").as_deref() {
        Some("list") => As::List,
        Some("map") => As::Map,
        Some("tags") => As::Tags,
        Some("json") => As::Json,
        Some("json_camel") => As::JsonCamel,
        Some("bool") => As::Bool,
        Some("number") => As::Number,
        Some("string") => As::String,
        Some("raw") => As::Raw,
        _ => As::Block,
    };
    let to_by = node.get("to_by").and_then(|tb| {
        let field = tb.get("field")?.as_str()?.to_string();
        let mut values = BTreeMap::new();
        if let Some(Value::Map(vs)) = tb.get("values").map(|n| &n.value) {
            for v in vs {
                if let Some(name) = v.value.as_str() {
                    values.insert(v.key.clone(), name.to_string());
                }
            }
        }
        Some((field, values))
    });
    let values = match node.get("values").map(|n| &n.value) {
        Some(Value::Map(vs)) => vs
            .iter()
            .map(|v| (v.key.clone(), v.value.value.clone()))
            .collect(),
        _ => Vec::new(),
    };
    Rule {
        to: s("to"),
        to_by,
        as_,
        values,
        fields: parse_rules(node.get("fields")),
        flatten: matches!(
            node.get("flatten").map(|n| &n.value),
            Some(Value::Bool(true))
        ),
        pick: s("pick").map(|p| {
            p.split('.')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        }),
        keyvalues: node.get("keyvalues").map(|kv| parse_rules(Some(kv))),
        wrap: s("wrap"),
    }
}

/// `StorageEncrypted` → `storage_encrypted`, `KMSKeyId` → `kms_key_id`, `MultiAZ` → `multi_az`,
/// `S3BucketName` → `s3_bucket_name`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `ReadonlyRootFilesystem` → `readonlyRootFilesystem` (ECS container definitions in JSON).
fn lower_camel(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// `{"$unknown": …}`: a value known only after deployment.
pub fn is_unknown(node: &Node) -> bool {
    matches!(&node.value, Value::Map(e) if e.len() == 1 && e[0].key == "$unknown")
}

/// Converts a resource's (resolved) `Properties` into Terraform attributes.
pub fn convert_properties(props: &Node, rules: &BTreeMap<String, Rule>) -> Vec<Entry> {
    let mut out = Vec::new();
    let Value::Map(entries) = &props.value else {
        return out;
    };
    for e in entries {
        let rule = rules.get(&e.key);
        if let Some(keys) = rule.and_then(|r| r.keyvalues.as_ref()) {
            key_values(&e.value, keys, &mut out);
            continue;
        }
        let name = match rule.and_then(|r| r.to_by.as_ref()) {
            Some((field, by)) => props
                .get(field)
                .and_then(Node::as_str)
                .and_then(|v| by.get(v))
                .cloned()
                .unwrap_or_else(|| snake(&e.key)),
            None => rule
                .and_then(|r| r.to.clone())
                .unwrap_or_else(|| snake(&e.key)),
        };
        let value = convert_value(&e.value, rule, &e.key);
        if name.is_empty() || rule.is_some_and(|r| r.flatten) {
            match value.value {
                Value::Map(inner) => out.extend(inner),
                Value::Seq(mut items) if items.len() == 1 => {
                    if let Value::Map(inner) = items.remove(0).value {
                        out.extend(inner);
                    }
                }
                _ => {}
            }
            continue;
        }
        // Several CloudFormation properties can feed one Terraform list (`SourceSecurityGroupId`
        // and `SourceSecurityGroupName` → `security_groups`): append.
        if let Some(existing) = out.iter_mut().find(|x| x.key == name) {
            if let (Value::Seq(a), Value::Seq(b)) = (&mut existing.value.value, value.value) {
                a.extend(b);
            }
            continue;
        }
        out.push(Entry {
            key: name,
            key_start: e.key_start,
            key_end_byte: e.key_end_byte,
            value,
        });
    }
    out
}

/// `[{Key: k, Value: v}]` attribute lists: each key the table knows becomes an attribute.
fn key_values(list: &Node, keys: &BTreeMap<String, Rule>, out: &mut Vec<Entry>) {
    let Value::Seq(items) = &list.value else {
        return;
    };
    for item in items {
        let (Some(k), Some(v)) = (item.get("Key").and_then(Node::as_str), item.get("Value")) else {
            continue;
        };
        if let Some(rule) = keys.get(k) {
            out.push(Entry {
                key: rule.to.clone().unwrap_or_else(|| k.replace('.', "_")),
                key_start: item.start,
                key_end_byte: None,
                value: convert_value(v, Some(rule), k),
            });
        }
    }
}

fn convert_value(node: &Node, rule: Option<&Rule>, key: &str) -> Node {
    if is_unknown(node) {
        return node.clone();
    }
    let as_ = match rule {
        Some(r) => r.as_,
        None if key == "Tags" => As::Tags,
        None => As::Block,
    };
    let fields_default = BTreeMap::new();
    let fields = rule.map_or(&fields_default, |r| &r.fields);
    let mut node = match rule.and_then(|r| r.pick.as_ref()) {
        Some(path) => pick(node, path),
        None => node.clone(),
    };
    if let Some(r) = rule {
        rename_value(&mut node, &r.values);
    }
    if let (Some(name), true) = (rule.and_then(|r| r.wrap.as_ref()), node.is_scalar()) {
        let start = node.start;
        return Node::new(
            Value::Seq(vec![Node::new(
                Value::Map(vec![Entry {
                    key: name.clone(),
                    key_start: start,
                    key_end_byte: None,
                    value: node,
                }]),
                start,
                None,
            )]),
            start,
            None,
        );
    }
    match as_ {
        As::Raw | As::Map => node,
        As::Tags => tags(node),
        As::Json => json_string(&node, false),
        As::JsonCamel => json_string(&node, true),
        As::Bool => {
            if let Value::Str(s) = &node.value {
                match s.to_ascii_lowercase().as_str() {
                    "true" => node.value = Value::Bool(true),
                    "false" => node.value = Value::Bool(false),
                    _ => {}
                }
            }
            node
        }
        As::Number => {
            if let Value::Str(s) = &node.value {
                if let Ok(i) = s.trim().parse::<i64>() {
                    node.value = Value::Int(i);
                } else if let Ok(f) = s.trim().parse::<f64>() {
                    node.value = Value::Float(f);
                }
            }
            node
        }
        As::String => {
            match &node.value {
                Value::Int(i) => node.value = Value::Str(i.to_string()),
                Value::UInt(i) => node.value = Value::Str(i.to_string()),
                _ => {}
            }
            node
        }
        As::List => match node.value {
            Value::Seq(_) => node,
            _ => {
                let start = node.start;
                Node::new(Value::Seq(vec![node]), start, None)
            }
        },
        As::Block => match &node.value {
            Value::Map(_) => {
                let start = node.start;
                let obj = Node::new(Value::Map(convert_properties(&node, fields)), start, None);
                Node::new(Value::Seq(vec![obj]), start, None)
            }
            Value::Seq(items) => {
                let items = items
                    .iter()
                    .map(|item| match &item.value {
                        Value::Map(_) if !is_unknown(item) => Node::new(
                            Value::Map(convert_properties(item, fields)),
                            item.start,
                            None,
                        ),
                        _ => item.clone(),
                    })
                    .collect();
                Node::new(Value::Seq(items), node.start, None)
            }
            _ => node,
        },
    }
}

fn rename_value(node: &mut Node, values: &[(String, Value)]) {
    if values.is_empty() {
        return;
    }
    if let Value::Str(s) = &node.value {
        if let Some((_, v)) = values.iter().find(|(k, _)| k == s) {
            node.value = v.clone();
        }
    }
}

/// Follows `A.B[].C` through the value, collecting what it reaches into a list.
fn pick(node: &Node, path: &[String]) -> Node {
    let mut here = vec![node.clone()];
    for seg in path {
        let (key, each) = match seg.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (seg.as_str(), false),
        };
        let mut next = Vec::new();
        for n in &here {
            if let Some(v) = n.get(key) {
                match (&v.value, each) {
                    (Value::Seq(items), true) => next.extend(items.iter().cloned()),
                    _ => next.push(v.clone()),
                }
            }
        }
        here = next;
    }
    Node::new(Value::Seq(here), node.start, None)
}

/// CloudFormation tags `[{Key: k, Value: v}]` → Terraform's `{k: v}`.
fn tags(node: Node) -> Node {
    let Value::Seq(items) = &node.value else {
        return node;
    };
    let mut entries = Vec::new();
    for item in items {
        if let (Some(k), Some(v)) = (item.get("Key"), item.get("Value")) {
            let key = match &k.value {
                Value::Str(s) => s.clone(),
                _ => continue,
            };
            entries.push(Entry {
                key,
                key_start: k.start,
                key_end_byte: k.end_byte,
                value: v.clone(),
            });
        }
    }
    Node::new(Value::Map(entries), node.start, None)
}

/// A policy document or container definitions as the JSON string Terraform's `jsonencode`
/// gives (keys sorted); unknown parts stay `{"$unknown": …}` objects inside the JSON.
fn json_string(node: &Node, camel: bool) -> Node {
    if let Value::Str(_) = node.value {
        return node.clone();
    }
    let mut json = node.to_json();
    if camel {
        camel_keys(&mut json);
    }
    Node::new(
        Value::Str(serde_json::to_string(&json).unwrap_or_default()),
        node.start,
        None,
    )
}

fn camel_keys(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut val) in old {
                camel_keys(&mut val);
                let key = if k == "$unknown" { k } else { lower_camel(&k) };
                map.insert(key, val);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(camel_keys),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_type_has_a_terraform_type() {
        let types: Vec<_> = mapped_types().collect();
        assert!(types.len() >= 30, "{}", types.len());
        for (cfn, tf) in types {
            assert!(tf.starts_with("aws_"), "{cfn} → {tf}");
        }
        let bucket = type_map("AWS::S3::Bucket").unwrap();
        assert_eq!(
            bucket.separate[0].tf_type,
            "aws_s3_bucket_public_access_block"
        );
        let sg = type_map("AWS::EC2::SecurityGroup").unwrap();
        assert_eq!(
            sg.properties["SecurityGroupEgress"].fields["CidrIp"].as_,
            As::List
        );
    }

    #[test]
    fn snake_case_follows_terraform_names() {
        assert_eq!(snake("StorageEncrypted"), "storage_encrypted");
        assert_eq!(snake("KMSKeyId"), "kms_key_id");
        assert_eq!(snake("MultiAZ"), "multi_az");
        assert_eq!(snake("S3BucketName"), "s3_bucket_name");
        assert_eq!(snake("WebACLId"), "web_acl_id");
        assert_eq!(snake("Ipv6CidrBlock"), "ipv6_cidr_block");
    }
}
