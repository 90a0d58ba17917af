//! A YAML/JSON value tree in which every node keeps where it came from.
//!
//! serde-saphyr gives each node's location through `Spanned`; we deserialize straight into
//! this tree (no intermediate value) and keep, per node, the start line/column and the byte
//! range, so that any field path a policy names maps back to `file:line:column`.

use crate::model::{PathSeg, Pos};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// A node of the tree: its value and where it starts and ends in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub start: Pos,
    /// Byte offset just past the node's text, when the parser knows it (scalars).
    pub end_byte: Option<u32>,
    /// Which file the node comes from: 0 is the document's own file, `n` is
    /// `Document::extra_files[n - 1]` (a rendered Kustomize object mixes a base and patches).
    pub src: u16,
}

/// One `key: value` entry of a mapping; the key keeps its own position.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_start: Pos,
    pub key_end_byte: Option<u32>,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

impl Node {
    /// A node of the document's own file.
    pub fn new(value: Value, start: Pos, end_byte: Option<u32>) -> Self {
        Self {
            value,
            start,
            end_byte,
            src: 0,
        }
    }

    /// Sets the source file index of this node and of every node under it.
    pub fn set_src(&mut self, src: u16) {
        self.src = src;
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.set_src(src)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| e.value.set_src(src)),
            _ => {}
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_scalar(&self) -> bool {
        !matches!(self.value, Value::Seq(_) | Value::Map(_))
    }

    /// Follows `path` as far as it exists. Returns the deepest node reached, the mapping
    /// entry that holds it (when the last step was a key) and how many steps matched.
    pub fn locate<'a>(&'a self, path: &[PathSeg]) -> Located<'a> {
        let mut here = Located {
            node: self,
            entry: None,
            depth: 0,
        };
        for seg in path {
            let next = match (seg, &here.node.value) {
                (PathSeg::Key(k), Value::Map(entries)) => entries
                    .iter()
                    .find(|e| &e.key == k)
                    .map(|e| (&e.value, Some(e))),
                (PathSeg::Index(i), Value::Seq(items)) => items.get(*i).map(|n| (n, None)),
                // Rego may hand an index as a string key or a key as a number.
                (PathSeg::Key(k), Value::Seq(items)) => k
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|n| (n, None)),
                (PathSeg::Index(i), Value::Map(entries)) => {
                    let k = i.to_string();
                    entries
                        .iter()
                        .find(|e| e.key == k)
                        .map(|e| (&e.value, Some(e)))
                }
                _ => None,
            };
            match next {
                Some((node, entry)) => {
                    here = Located {
                        node,
                        entry,
                        depth: here.depth + 1,
                    }
                }
                None => break,
            }
        }
        here
    }

    /// Converts the tree to a Rego value, directly (no JSON round trip).
    pub fn to_rego(&self) -> regorus::Value {
        use std::collections::BTreeMap;
        match &self.value {
            Value::Null => regorus::Value::Null,
            Value::Bool(b) => regorus::Value::Bool(*b),
            Value::Int(i) => regorus::Value::from(*i),
            Value::UInt(u) => regorus::Value::from(*u),
            Value::Float(f) => regorus::Value::from(*f),
            Value::Str(s) => regorus::Value::from(s.as_str()),
            Value::Seq(items) => {
                regorus::Value::from(items.iter().map(Node::to_rego).collect::<Vec<_>>())
            }
            Value::Map(entries) => {
                let mut map = BTreeMap::new();
                for e in entries {
                    map.insert(regorus::Value::from(e.key.as_str()), e.value.to_rego());
                }
                regorus::Value::from(map)
            }
        }
    }

    /// Converts the tree to JSON (used where a plain value is needed, e.g. rule metadata).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Result of [`Node::locate`].
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    pub node: &'a Node,
    pub entry: Option<&'a Entry>,
    pub depth: usize,
}

fn byte_end(loc: &serde_saphyr::Location) -> Option<u32> {
    let span = loc.span();
    let start = span.byte_offset()?;
    let len = span.byte_len()?;
    u32::try_from(start + len).ok()
}

fn pos_of(loc: &serde_saphyr::Location) -> Pos {
    Pos::new(
        u32::try_from(loc.line()).unwrap_or(u32::MAX),
        u32::try_from(loc.column()).unwrap_or(u32::MAX),
    )
}

impl From<Spanned<Value>> for Node {
    fn from(s: Spanned<Value>) -> Self {
        let end_byte = if matches!(s.value, Value::Seq(_) | Value::Map(_)) {
            None
        } else {
            byte_end(&s.referenced)
        };
        Node {
            start: pos_of(&s.referenced),
            end_byte,
            value: s.value,
            src: 0,
        }
    }
}

const NON_SCALAR_KEY: &str = "a mapping key must be a scalar, not a sequence or mapping";

/// A mapping key: any scalar, rendered as a string (YAML allows `80: x` or `true: y`).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Untagged::deserialize(d)?.0 {
            Value::Str(s) => Ok(Key(s)),
            Value::Int(i) => Ok(Key(i.to_string())),
            Value::UInt(u) => Ok(Key(u.to_string())),
            Value::Float(f) => Ok(Key(f.to_string())),
            Value::Bool(b) => Ok(Key(b.to_string())),
            Value::Null => Ok(Key("null".to_string())),
            Value::Seq(_) | Value::Map(_) => Err(de::Error::custom(NON_SCALAR_KEY)),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if CAPTURE_TAGS.with(std::cell::Cell::get) {
            d.deserialize_newtype_struct("__yaml_tagged", TaggedVisitor)
        } else {
            d.deserialize_any(ValueVisitor)
        }
    }
}

thread_local! {
    /// Whether local YAML tags (`!Ref x`) are kept; set by `parse_documents` only for texts
    /// that contain a `!`, so plain YAML and JSON pay nothing for it.
    static CAPTURE_TAGS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with local-tag capture on or off (see [`Value`]'s tagged forms).
pub fn with_tags<R>(capture: bool, f: impl FnOnce() -> R) -> R {
    let previous = CAPTURE_TAGS.with(|c| c.replace(capture));
    let out = f();
    CAPTURE_TAGS.with(|c| c.set(previous));
    out
}

/// CloudFormation's short-form intrinsic functions and the long form each stands for.
pub const CFN_SHORT_TAGS: &[(&str, &str)] = &[
    ("!Ref", "Ref"),
    ("!Condition", "Condition"),
    ("!Sub", "Fn::Sub"),
    ("!GetAtt", "Fn::GetAtt"),
    ("!If", "Fn::If"),
    ("!Join", "Fn::Join"),
    ("!Select", "Fn::Select"),
    ("!Split", "Fn::Split"),
    ("!FindInMap", "Fn::FindInMap"),
    ("!Base64", "Fn::Base64"),
    ("!Equals", "Fn::Equals"),
    ("!Not", "Fn::Not"),
    ("!And", "Fn::And"),
    ("!Or", "Fn::Or"),
    ("!ImportValue", "Fn::ImportValue"),
    ("!GetAZs", "Fn::GetAZs"),
    ("!Cidr", "Fn::Cidr"),
    ("!Transform", "Fn::Transform"),
    ("!Length", "Fn::Length"),
    ("!ToJsonString", "Fn::ToJsonString"),
];

/// The key a tagged node is wrapped under: the long form of a CloudFormation short tag
/// (`!Ref x` → `{"Ref": x}`), or the tag itself for any other local tag (`!include f` →
/// `{"!include": f}`) so that it stays visible. YAML core tags (`!!str`) keep the bare value.
fn tag_key(tag: &str) -> Option<String> {
    if tag.starts_with("tag:yaml.org,2002:") || tag.starts_with("!!") || !tag.starts_with('!') {
        return None;
    }
    Some(
        CFN_SHORT_TAGS
            .iter()
            .find(|(short, _)| *short == tag)
            .map_or_else(|| tag.to_string(), |(_, long)| (*long).to_string()),
    )
}

/// A value read without looking at its tag (the inside of a tagged node).
struct Untagged(Value);

impl<'de> Deserialize<'de> for Untagged {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(Untagged)
    }
}

struct TaggedVisitor;

impl<'de> Visitor<'de> for TaggedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML or JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner: Spanned<Untagged> = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("a tagged value without a value"))?;
        let tag: Option<String> = seq.next_element()?;
        let node = Node::from(Spanned::new(inner.value.0, inner.referenced, inner.defined));
        Ok(match tag.as_deref().and_then(tag_key) {
            Some(key) => Value::Map(vec![Entry {
                key,
                key_start: node.start,
                key_end_byte: None,
                value: node,
            }]),
            None => node.value,
        })
    }
    // Deserializers without tag support hand the value over directly.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML or JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::UInt(v), Value::Int))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or(Value::Float(v as f64), Value::UInt))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(Node::from(item));
        }
        // The parser gives no size hint, so a vector grows to at least four slots: without
        // this, a file of one-key maps (`[{a: 1}, …]`) takes four times the memory it needs.
        items.shrink_to_fit();
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            let value: Spanned<Value> = map.next_value()?;
            entries.push(Entry {
                key_start: pos_of(&key.referenced),
                key_end_byte: byte_end(&key.referenced),
                key: key.value.0,
                value: Node::from(value),
            });
        }
        entries.shrink_to_fit();
        Ok(Value::Map(entries))
    }
}

thread_local! {
    /// Kinds whose bodies are kept, for the document being parsed on this thread (see
    /// [`Document`]); `None` keeps everything. Set by `parse_documents`.
    static KEEP_KINDS: std::cell::RefCell<Option<std::sync::Arc<std::collections::BTreeSet<String>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with the kinds whose bodies top-level documents keep.
pub fn with_kept_kinds<R>(
    kinds: Option<std::sync::Arc<std::collections::BTreeSet<String>>>,
    f: impl FnOnce() -> R,
) -> R {
    let previous = KEEP_KINDS.with(|k| k.replace(kinds));
    let out = f();
    KEEP_KINDS.with(|k| *k.borrow_mut() = previous);
    out
}

/// A top-level document. When only some kinds are of interest, a Kubernetes object of another
/// kind keeps its identity (`apiVersion`, `kind`, `metadata`) and its body is skipped without
/// building a tree: most of a real repository's bytes are CRDs no policy reads.
pub struct Document(pub Value);

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match KEEP_KINDS.with(|k| k.borrow().clone()) {
            None => Value::deserialize(d).map(Document),
            Some(kinds) => d.deserialize_any(DocumentVisitor { kinds }).map(Document),
        }
    }
}

struct DocumentVisitor {
    kinds: std::sync::Arc<std::collections::BTreeSet<String>>,
}

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML or JSON document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        let mut skip_body = false;
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            let name = key.value.0;
            if skip_body && !matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
                map.next_value::<Skipped>()?;
                continue;
            }
            let value = Node::from(map.next_value::<Spanned<Value>>()?);
            if name == "kind" {
                if let Value::Str(kind) = &value.value {
                    // `*List` kinds carry items of any kind: always kept.
                    skip_body = !self.kinds.contains(kind) && !kind.ends_with("List");
                }
            }
            entries.push(Entry {
                key_start: pos_of(&key.referenced),
                key_end_byte: byte_end(&key.referenced),
                key: name,
                value,
            });
        }
        Ok(Value::Map(entries))
    }
    // Anything but a mapping is not a Kubernetes object: kept whole.
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        ValueVisitor.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        ValueVisitor.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        ValueVisitor.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        ValueVisitor.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        ValueVisitor.visit_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        ValueVisitor.visit_string(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        ValueVisitor.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        ValueVisitor.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        ValueVisitor.visit_seq(seq)
    }
}

/// A value parsed and checked like [`Value`] (mapping keys must be scalars) but not kept.
struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor { key: false })
    }
}

/// A skipped mapping key: any scalar.
struct SkippedKey;

impl<'de> Deserialize<'de> for SkippedKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor { key: true })
            .map(|_| SkippedKey)
    }
}

struct SkipVisitor {
    key: bool,
}

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skipped;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML or JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_i128<E>(self, _: i128) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_u128<E>(self, _: u128) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_unit<E>(self) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_none<E>(self) -> Result<Skipped, E> {
        Ok(Skipped)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skipped, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skipped, A::Error> {
        if self.key {
            return Err(de::Error::custom(NON_SCALAR_KEY));
        }
        while seq.next_element::<Skipped>()?.is_some() {}
        Ok(Skipped)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skipped, A::Error> {
        if self.key {
            return Err(de::Error::custom(NON_SCALAR_KEY));
        }
        while map.next_key::<SkippedKey>()?.is_some() {
            map.next_value::<Skipped>()?;
        }
        Ok(Skipped)
    }
}

impl From<Spanned<Document>> for Node {
    fn from(s: Spanned<Document>) -> Self {
        Node::from(Spanned::new(s.value.0, s.referenced, s.defined))
    }
}
