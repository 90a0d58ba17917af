//! `configMapGenerator` and `secretGenerator`, and the name hash kustomize appends to what
//! they generate. Generated Secret values are handled like any Secret's: never printed,
//! logged or written (messages here name keys and files, never values).

use super::{join, scalar_string, seq, set_entry, within, At, Ctx, Kust, Res};
use crate::load::tree::{Entry, Node, Value};
use crate::model::{NoteLevel, Pos};
use std::collections::{HashMap, HashSet};

/// The ConfigMaps and Secrets among the objects, by kind and by current and original name
/// (what a generator with `behavior: merge` or `replace` looks for). Built once per
/// kustomization, so that each generator finds its object without walking all of them.
type ByName = HashMap<(String, String), Vec<usize>>;

fn index_by_name(acc: &[Res]) -> ByName {
    let mut index = ByName::new();
    for (i, r) in acc.iter().enumerate() {
        if matches!(r.kind(), "ConfigMap" | "Secret") {
            remember(&mut index, r, i);
        }
    }
    index
}

fn remember(index: &mut ByName, r: &Res, i: usize) {
    let kind = r.kind().to_string();
    index
        .entry((kind.clone(), r.name().to_string()))
        .or_default()
        .push(i);
    if r.orig_name != r.name() {
        index
            .entry((kind, r.orig_name.clone()))
            .or_default()
            .push(i);
    }
}

pub(super) fn run(cx: &mut Ctx, kust: &Kust, acc: &mut Vec<Res>) {
    let options = kust.get("generatorOptions");
    let mut index: Option<ByName> = None;
    for (field, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for (i, g) in seq(kust.get(field)).iter().enumerate() {
            let index = index.get_or_insert_with(|| index_by_name(acc));
            generate(cx, kust, g, kind, i, options, acc, index);
        }
    }
}

fn flag(node: Option<&Node>, key: &str) -> bool {
    node.and_then(|n| n.get(key))
        .is_some_and(|v| v.value == Value::Bool(true))
}

#[allow(clippy::too_many_arguments)]
fn generate(
    cx: &mut Ctx,
    kust: &Kust,
    g: &Node,
    kind: &str,
    index: usize,
    options: Option<&Node>,
    acc: &mut Vec<Res>,
    by_name: &mut ByName,
) {
    let at = At::of(g);
    let Some(name_node) = g
        .get("name")
        .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
    else {
        cx.error(
            g.src,
            g.start,
            format!("a {kind} generator needs a `name`; add one"),
        );
        return;
    };
    let name = name_node.as_str().unwrap_or_default().to_string();
    let mut data: Vec<Entry> = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    let mut put = |cx: &mut Ctx, key: String, value: String, at: At| {
        if !keys.insert(key.clone()) {
            // kustomize refuses a key twice; keep the first and say so.
            cx.error(
                at.src,
                at.start,
                format!(
                    "{kind} {name}: key {key} is given twice; kustomize refuses this — keep one"
                ),
            );
            return;
        }
        let value = if kind == "Secret" {
            base64(value.as_bytes())
        } else {
            value
        };
        data.push(at.entry(&key, Value::Str(value)));
    };
    for lit in seq(g.get("literals")) {
        let text = scalar_string(lit).unwrap_or_default();
        match text.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                put(cx, k.to_string(), unquote(v).to_string(), At::of(lit))
            }
            _ => cx.error(
                lit.src,
                lit.start,
                format!("{kind} {name}: a literal must be KEY=VALUE"),
            ),
        }
    }
    for f in seq(g.get("files")) {
        let text = f.as_str().unwrap_or_default();
        let (key, rel) = match text.split_once('=') {
            Some((k, p)) => (k.to_string(), p),
            None => (text.rsplit('/').next().unwrap_or(text).to_string(), text),
        };
        let Some(fid) = source(cx, kust, f, rel) else {
            continue;
        };
        let content = cx.text(fid).to_string();
        put(cx, key, content, At::of(f));
    }
    let envs: Vec<&Node> = seq(g.get("envs"))
        .iter()
        .chain(g.get("env").filter(|n| n.as_str().is_some()))
        .collect();
    for e in envs {
        let rel = e.as_str().unwrap_or_default();
        let Some(fid) = source(cx, kust, e, rel) else {
            continue;
        };
        let text = cx.text(fid).to_string();
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = if n == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let pos = At {
                start: Pos::new(u32::try_from(n + 1).unwrap_or(u32::MAX), 1),
                end_byte: None,
                src: fid,
            };
            match line.split_once('=') {
                Some((k, v)) if !k.is_empty() && !k.contains(char::is_whitespace) => {
                    put(cx, k.to_string(), v.to_string(), pos);
                }
                Some(_) => cx.error(
                    fid,
                    pos.start,
                    format!("{kind} {name}: not a valid KEY=VALUE line; fix it"),
                ),
                None => cx.note(
                    NoteLevel::Warning,
                    "kustomize-env",
                    fid,
                    pos.start,
                    format!(
                        "{kind} {name}: a key without `=` takes its value from the environment \
                         of `kustomize build`; Plumbline does not read its own environment, so \
                         the value is empty here"
                    ),
                ),
            }
        }
    }
    let mut labels: Vec<Entry> = Vec::new();
    let mut annotations: Vec<Entry> = Vec::new();
    for opts in [options, g.get("options")].into_iter().flatten() {
        for (key, into) in [("labels", &mut labels), ("annotations", &mut annotations)] {
            if let Some(Value::Map(entries)) = opts.get(key).map(|n| &n.value) {
                for e in entries {
                    let value = Value::Str(scalar_string(&e.value).unwrap_or_default());
                    let entry = At::of(&e.value).entry(&e.key, value);
                    match into.iter_mut().find(|x| x.key == e.key) {
                        Some(x) => *x = entry,
                        None => into.push(entry),
                    }
                }
            }
        }
    }
    let hash = !(flag(options, "disableNameSuffixHash")
        || flag(g.get("options"), "disableNameSuffixHash"));
    let immutable = flag(options, "immutable") || flag(g.get("options"), "immutable");
    let namespace = g
        .get("namespace")
        .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
    let behavior = g.get("behavior").and_then(Node::as_str).unwrap_or("create");

    let mut meta = vec![At::of(name_node).entry("name", Value::Str(name.clone()))];
    if let Some(ns) = namespace {
        meta.push(At::of(ns).entry("namespace", ns.value.clone()));
    }
    if !labels.is_empty() {
        meta.push(at.entry("labels", Value::Map(labels.clone())));
    }
    if !annotations.is_empty() {
        meta.push(at.entry("annotations", Value::Map(annotations.clone())));
    }
    let mut body = vec![
        at.entry("apiVersion", Value::Str("v1".into())),
        at.entry("kind", Value::Str(kind.into())),
        At::of(name_node).entry("metadata", Value::Map(meta)),
    ];
    if kind == "Secret" {
        let ty = g.get("type").filter(|n| n.as_str().is_some());
        body.push(match ty {
            Some(t) => At::of(t).entry("type", t.value.clone()),
            None => at.entry("type", Value::Str("Opaque".into())),
        });
    }
    if !data.is_empty() {
        body.push(at.entry("data", Value::Map(data.clone())));
    }
    if immutable {
        body.push(at.entry("immutable", Value::Bool(true)));
    }
    let ns = namespace.and_then(Node::as_str);
    let existing = by_name
        .get(&(kind.to_string(), name.clone()))
        .into_iter()
        .flatten()
        .copied()
        .filter(|&i| {
            let r = &acc[i];
            r.kind() == kind
                && (r.name() == name || r.orig_name == name)
                && (ns.is_none() || r.namespace() == ns)
        })
        .min();
    match (behavior, existing) {
        ("create", None) => {
            if !cx.admit(acc.len(), g.src, g.start) {
                return;
            }
            let mut res = Res::new(at.node(Value::Map(body)), kust.fid, index);
            res.hash = hash;
            remember(by_name, &res, acc.len());
            acc.push(res);
        }
        ("create", Some(_)) => cx.error(
            g.src,
            g.start,
            format!(
                "{kind} {name} already exists (from a base); use `behavior: merge` or \
                 `behavior: replace`"
            ),
        ),
        ("merge" | "replace", Some(i)) => {
            let res = &mut acc[i];
            let target = super::map_at(&mut res.node, "data", at);
            if behavior == "replace" {
                *target = at.node(Value::Map(Vec::new()));
            }
            for e in data {
                set_entry(target, e);
            }
            for (key, extra) in [("labels", labels), ("annotations", annotations)] {
                if !extra.is_empty() {
                    let meta = super::map_at(&mut res.node, "metadata", at);
                    let into = super::map_at(meta, key, at);
                    for e in extra {
                        set_entry(into, e);
                    }
                }
            }
            res.hash = res.hash && hash;
        }
        ("merge" | "replace", None) => cx.error(
            g.src,
            g.start,
            format!(
                "{kind} {name} has `behavior: {behavior}` but no base declares it; use \
                 `behavior: create`"
            ),
        ),
        (other, _) => cx.error(
            g.src,
            g.start,
            format!("unknown generator behavior `{other}`; use create, merge or replace"),
        ),
    }
}

/// Reads a generator source file (relative to the kustomization, and inside its directory, as
/// kustomize's load restrictor requires).
fn source(cx: &mut Ctx, kust: &Kust, item: &Node, rel: &str) -> Option<u16> {
    let path = join(&kust.dir, rel).filter(|p| within(&kust.dir, p));
    let Some(path) = path else {
        cx.error(
            item.src,
            item.start,
            format!(
                "{rel} is outside this kustomization's directory; kustomize's load restrictor \
                 refuses it — move the file next to the kustomization"
            ),
        );
        return None;
    };
    cx.read_any(&path, (item.src, item.start))
}

/// `"v"` and `'v'` lose their quotes, as in kustomize's literal sources.
fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// Standard base64 with padding, as Secret `data` holds it.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A string as Go's `encoding/json` writes it (HTML-safe escapes included), so the hash input
/// is byte-identical to kustomize's.
fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A field of the hash input: a string map (sorted, as Go sorts map keys), or `""` when the
/// object has no such field.
fn go_json_map(node: Option<&Node>, out: &mut String) {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => {
            let sorted: std::collections::BTreeMap<&str, &Node> =
                entries.iter().map(|e| (e.key.as_str(), &e.value)).collect();
            out.push('{');
            for (i, (k, v)) in sorted.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(k, out);
                out.push(':');
                go_json_scalar(v, out);
            }
            out.push('}');
        }
        Some(n) => go_json_string(
            &scalar_string(&Node::new(n.clone(), Pos::new(1, 1), None)).unwrap_or_default(),
            out,
        ),
        None => out.push_str("\"\""),
    }
}

/// A value of a data map as kustomize's JSON encoding writes it: numbers and booleans bare.
fn go_json_scalar(node: &Node, out: &mut String) {
    match &node.value {
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::UInt(u) => out.push_str(&u.to_string()),
        Value::Float(f) => out.push_str(&f.to_string()),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Null => out.push_str("null"),
        _ => go_json_string(&scalar_string(node).unwrap_or_default(), out),
    }
}

/// kustomize's name suffix for a ConfigMap or Secret: the SHA-256 of a JSON encoding of its
/// kind, name, data (and type, for a Secret), first ten hex digits with `0 1 3 a e` mapped to
/// `g h k m t` (so the suffix never reads as a number or a word).
pub(super) fn name_hash(node: &Node) -> String {
    use sha2::{Digest, Sha256};
    let kind = node.get("kind").and_then(Node::as_str).unwrap_or_default();
    let name = node
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(scalar_string)
        .unwrap_or_default();
    let mut json = String::from("{");
    if kind == "ConfigMap" {
        if let Some(b) = node
            .get("binaryData")
            .filter(|b| matches!(b.value, Value::Map(_)))
        {
            json.push_str("\"binaryData\":");
            go_json_map(Some(b), &mut json);
            json.push(',');
        }
        json.push_str("\"data\":");
        go_json_map(node.get("data"), &mut json);
        json.push_str(",\"kind\":\"ConfigMap\",\"name\":");
        go_json_string(&name, &mut json);
    } else {
        json.push_str("\"data\":");
        go_json_map(node.get("data"), &mut json);
        json.push_str(",\"kind\":\"Secret\",\"name\":");
        go_json_string(&name, &mut json);
        if let Some(s) = node
            .get("stringData")
            .filter(|b| matches!(b.value, Value::Map(_)))
        {
            json.push_str(",\"stringData\":");
            go_json_map(Some(s), &mut json);
        }
        json.push_str(",\"type\":");
        let ty = node.get("type").and_then(scalar_string).unwrap_or_default();
        go_json_string(&ty, &mut json);
    }
    json.push('}');
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    fn hash_of(yaml: &str) -> String {
        let node = crate::load::parse_documents(yaml, &crate::load::LoadOptions::default())
            .unwrap()
            .remove(0);
        name_hash(&node)
    }

    /// The expected values are those of kustomize's own hasher tests.
    #[test]
    fn hashes_like_kustomize() {
        assert_eq!(hash_of("apiVersion: v1\nkind: ConfigMap\n"), "6ct58987ht");
        assert_eq!(
            hash_of("apiVersion: v1\nkind: ConfigMap\ndata:\n  one: \"\"\n"),
            "9g67k2htb6"
        );
        assert_eq!(
            hash_of("apiVersion: v1\nkind: ConfigMap\ndata:\n  two: 2\n  one: \"\"\n  three: 3\n"),
            "7757f9kkct"
        );
        assert_eq!(
            hash_of("apiVersion: v1\nkind: ConfigMap\nbinaryData:\n  one: \"\"\n"),
            "6mtk2m274t"
        );
        assert_eq!(
            hash_of(
                "apiVersion: v1\nkind: ConfigMap\ndata:\n  one: \"\"\nbinaryData:\n  two: \"\"\n"
            ),
            "698h7c7t9m"
        );
        assert_eq!(
            hash_of("apiVersion: v1\nkind: Secret\ntype: my-type\n"),
            "5gmgkf8578"
        );
        assert_eq!(
            hash_of("apiVersion: v1\nkind: Secret\ntype: my-type\ndata:\n  one: \"\"\n"),
            "74bd68bm66"
        );
        assert_eq!(
            hash_of("apiVersion: v1\nkind: Secret\ntype: my-type\ndata:\n  one: \"\"\nstringData:\n  two: 2\n"),
            "c4h4264gdb"
        );
    }

    #[test]
    fn go_json_escapes_html() {
        let mut s = String::new();
        go_json_string("a<b>&\"\n", &mut s);
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\n""#);
    }
}
