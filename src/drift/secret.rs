//! Keyed hashes of sensitive values, and the redaction of live objects before they are kept.
//!
//! A sensitive live value is replaced by `hmac-sha256:<hex>` (HMAC-SHA256 under a key that is
//! random per run unless the user gives one): equal values still compare equal, nothing of the
//! value can be read back or guessed offline without the key.

use super::rules::Rules;
pub use crate::keyed_hash::{is_hash_token, HashKey, HASH_PREFIX};
use crate::model::PathSeg;
use serde_json::Value as J;

pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Standard base64 (padding optional), as Secret `data` holds it.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    // Go's decoder, which the API server and kubectl use, skips line breaks.
    let s: String = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

/// The bytes a scalar stands for when hashed (strings as they are, other scalars as JSON).
pub(crate) fn json_bytes(v: &J) -> Option<Vec<u8>> {
    match v {
        J::String(s) => Some(s.as_bytes().to_vec()),
        J::Number(n) => Some(n.to_string().into_bytes()),
        J::Bool(b) => Some(b.to_string().into_bytes()),
        _ => None,
    }
}

/// Core `Secret` (list items may lack `apiVersion`/`kind`: a `type` next to `data` or
/// `stringData` is taken for a Secret, erring on the side of redaction).
pub(crate) fn is_secret(api_version: &str, kind: &str) -> bool {
    kind == "Secret" && (api_version == "v1" || api_version.is_empty())
}

fn identity(body: &J) -> (String, String) {
    let s = |k: &str| body.get(k).and_then(J::as_str).unwrap_or("").to_string();
    let (api_version, mut kind) = (s("apiVersion"), s("kind"));
    if kind.is_empty()
        && body.get("type").is_some_and(J::is_string)
        && (body.get("data").is_some() || body.get("stringData").is_some())
    {
        kind = "Secret".to_string();
    }
    (api_version, kind)
}

/// Replaces every sensitive value of a live object (Secret data/stringData values, the
/// last-applied-configuration annotation of a Secret — keep its structure, hash its values —
/// and the paths the rules mark sensitive) by keyed hashes. Idempotent.
///
/// Secret `data` values are hashed decoded (the hash of the value, not of its base64), so that
/// a declared `stringData` value compares with them.
pub fn redact_live(body: &mut J, rules: &Rules, key: &HashKey) {
    let (api_version, kind) = identity(body);
    redact_live_as(body, &api_version, &kind, rules, key);
}

/// As [`redact_live`], for a body whose `apiVersion` and `kind` are known from elsewhere
/// (items of a list response carry neither).
pub fn redact_live_as(body: &mut J, api_version: &str, kind: &str, rules: &Rules, key: &HashKey) {
    redact_object(body, api_version, kind, rules, key);
    let secret = is_secret(api_version, kind);
    let Some(annotation) = body
        .pointer_mut("/metadata/annotations")
        .and_then(|a| a.get_mut(LAST_APPLIED))
    else {
        return;
    };
    let J::String(text) = annotation else {
        return;
    };
    if is_hash_token(text) || !(secret || rules.has_sensitive(api_version, kind)) {
        return;
    }
    match serde_json::from_str::<J>(text) {
        Ok(mut inner) => {
            let before = inner.clone();
            redact_object(&mut inner, api_version, kind, rules, key);
            if inner != before {
                *text = format!("{inner}\n");
            }
        }
        // Not JSON: nothing can be kept of it.
        Err(_) => *text = key.hash(text.as_bytes()),
    }
}

fn redact_object(body: &mut J, api_version: &str, kind: &str, rules: &Rules, key: &HashKey) {
    if is_secret(api_version, kind) {
        if let Some(J::Object(data)) = body.get_mut("data") {
            for v in data.values_mut() {
                let bytes = match &*v {
                    J::String(s) if is_hash_token(s) => continue,
                    J::String(s) => base64_decode(s).unwrap_or_else(|| s.as_bytes().to_vec()),
                    other => match json_bytes(other) {
                        Some(b) => b,
                        None => continue,
                    },
                };
                *v = J::String(key.hash(&bytes));
            }
        }
    }
    if !rules.has_sensitive(api_version, kind) {
        return;
    }
    let mut found = Vec::new();
    collect_sensitive(
        body,
        body,
        &mut Vec::new(),
        rules,
        api_version,
        kind,
        &mut found,
    );
    for path in found {
        if let Some(v) = lookup_mut(body, &path) {
            hash_leaves(v, key);
        }
    }
}

fn collect_sensitive(
    root: &J,
    v: &J,
    path: &mut Vec<PathSeg>,
    rules: &Rules,
    api_version: &str,
    kind: &str,
    out: &mut Vec<Vec<PathSeg>>,
) {
    if !path.is_empty() {
        let m = rules.sensitive_match(api_version, kind, path, Some(root));
        if m.covers {
            out.push(path.clone());
            return;
        }
        if !m.below {
            return;
        }
    }
    match v {
        J::Object(map) => {
            for (k, child) in map {
                path.push(PathSeg::Key(k.clone()));
                collect_sensitive(root, child, path, rules, api_version, kind, out);
                path.pop();
            }
        }
        J::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                collect_sensitive(root, child, path, rules, api_version, kind, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn hash_leaves(v: &mut J, key: &HashKey) {
    match v {
        J::Object(map) => map.values_mut().for_each(|c| hash_leaves(c, key)),
        J::Array(items) => items.iter_mut().for_each(|c| hash_leaves(c, key)),
        J::String(s) if is_hash_token(s) => {}
        other => {
            if let Some(bytes) = json_bytes(other) {
                *other = J::String(key.hash(&bytes));
            }
        }
    }
}

pub(crate) fn lookup<'a>(root: &'a J, path: &[PathSeg]) -> Option<&'a J> {
    path.iter().try_fold(root, |v, seg| match seg {
        PathSeg::Key(k) => v.get(k.as_str()),
        PathSeg::Index(i) => v.get(*i),
    })
}

fn lookup_mut<'a>(root: &'a mut J, path: &[PathSeg]) -> Option<&'a mut J> {
    path.iter().try_fold(root, |v, seg| match seg {
        PathSeg::Key(k) => v.get_mut(k.as_str()),
        PathSeg::Index(i) => v.get_mut(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(
            base64_decode("bm90LWEtcmVhbC1wYXNzd29yZA==").unwrap(),
            b"not-a-real-password"
        );
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert_eq!(
            base64_decode("bm90LWEt\ncmVhbA==\n").unwrap(),
            b"not-a-real"
        );
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a:b").is_none());
    }

    #[test]
    fn rule_marked_paths_of_other_kinds_are_hashed_also_in_last_applied() {
        let rules = Rules::builtin()
            .with_user_yaml(
                "sensitive:\n  - kind: example.com/Widget\n    path: /spec/token\n    reason: x\n",
                "cfg",
            )
            .unwrap();
        let key = HashKey::random();
        let la =
            r#"{"apiVersion":"example.com/v1","kind":"Widget","spec":{"token":"s3cret","size":1}}"#;
        let mut body = serde_json::json!({
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"annotations": {LAST_APPLIED: la}},
            "spec": {"token": "s3cret", "size": 1}
        });
        redact_live(&mut body, &rules, &key);
        let text = body.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert_eq!(body["spec"]["token"], key.hash(b"s3cret"));
        assert_eq!(body["spec"]["size"], 1);
        let again = body.clone();
        redact_live(&mut body, &rules, &key);
        assert_eq!(body, again);
        // A list item without apiVersion/kind, its kind given by the caller.
        let mut item = serde_json::json!({"metadata": {"name": "w"}, "spec": {"token": "s3cret"}});
        redact_live_as(&mut item, "example.com/v1", "Widget", &rules, &key);
        assert_eq!(item["spec"]["token"], key.hash(b"s3cret"));
    }
}
