//! TEMPORARY: replaced by the feat/drift engine at merge.
//!
//! Keyed hashes of sensitive values (HMAC-SHA256), so that a snapshot never holds a secret
//! and a declared value can still be compared with it.

use super::rules::Rules;
use crate::model::PathSeg;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "hmac-sha256:";

pub struct HashKey([u8; 32]);

impl HashKey {
    pub fn random() -> HashKey {
        // Stand-in randomness: time, process id and stack address through SHA-256.
        let mut h = Sha256::new();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.update(now.to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        let local = 0u8;
        h.update((&local as *const u8 as usize).to_le_bytes());
        HashKey(h.finalize().into())
    }

    pub fn from_hex(s: &str) -> Result<HashKey, String> {
        let s = s.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a hash key is 64 hexadecimal digits".to_string());
        }
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(HashKey(k))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `hmac-sha256:<hex>` of `value`.
    pub fn hash(&self, value: &[u8]) -> String {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for i in 0..32 {
            ipad[i] ^= self.0[i];
            opad[i] ^= self.0[i];
        }
        let inner = Sha256::new()
            .chain_update(ipad)
            .chain_update(value)
            .finalize();
        let outer = Sha256::new()
            .chain_update(opad)
            .chain_update(inner)
            .finalize();
        let hex: String = outer.iter().map(|b| format!("{b:02x}")).collect();
        format!("{PREFIX}{hex}")
    }
}

/// Decodes standard base64 (what the API server returns for Secret `data`).
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// The bytes a sensitive value stands for: `data` is base64, anything else as written.
pub(crate) fn value_bytes(path: &[PathSeg], value: &str) -> Vec<u8> {
    match path.first() {
        Some(PathSeg::Key(k)) if k == "data" => {
            base64_decode(value).unwrap_or_else(|| value.as_bytes().to_vec())
        }
        _ => value.as_bytes().to_vec(),
    }
}

/// Replaces every sensitive value of a live object by its keyed hash (idempotent).
pub fn redact_live(body: &mut serde_json::Value, rules: &Rules, key: &HashKey) {
    let api_version = body
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let kind = body
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let mut path = Vec::new();
    walk(body, &mut path, &mut |p, v| {
        if rules.is_sensitive(&api_version, &kind, p) {
            let replaced = match &*v {
                serde_json::Value::String(s) if s.starts_with(PREFIX) => None,
                serde_json::Value::String(s) => Some(key.hash(&value_bytes(p, s))),
                serde_json::Value::Null => None,
                other => Some(key.hash(other.to_string().as_bytes())),
            };
            if let Some(r) = replaced {
                *v = serde_json::Value::String(r);
            }
        }
    });
}

fn walk(
    v: &mut serde_json::Value,
    path: &mut Vec<PathSeg>,
    f: &mut dyn FnMut(&[PathSeg], &mut serde_json::Value),
) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                path.push(PathSeg::Key(k.clone()));
                walk(child, path, f);
                path.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                path.push(PathSeg::Index(i));
                walk(child, path, f);
                path.pop();
            }
        }
        _ => f(path, v),
    }
}
