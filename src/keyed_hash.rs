//! Keyed hashes of sensitive values: HMAC-SHA256 under a key that is random per run unless
//! the user gives one. Live readers hash a secret as they read it and drift compares the
//! hashes, so equal values still compare equal while nothing of a value can be read back or
//! guessed offline without the key.

use sha2::{Digest, Sha256};

/// Prefix of every keyed hash token.
pub const HASH_PREFIX: &str = "hmac-sha256:";

/// The key of the keyed hash (HMAC-SHA256).
#[derive(Clone, PartialEq, Eq)]
pub struct HashKey([u8; 32]);

impl std::fmt::Debug for HashKey {
    // The key never appears in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashKey(..)")
    }
}

impl HashKey {
    /// A fresh key from the operating system's random source.
    pub fn random() -> HashKey {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).expect("the operating system's random source failed");
        HashKey(k)
    }

    /// A key written as 64 hexadecimal digits.
    pub fn from_hex(s: &str) -> Result<HashKey, String> {
        let s = s.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "a hash key is 64 hexadecimal digits (32 bytes); got {} characters",
                s.len()
            ));
        }
        let mut k = [0u8; 32];
        for (i, byte) in k.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)
                .map_err(|e| format!("a hash key is hexadecimal: {e}"))?;
        }
        Ok(HashKey(k))
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// "hmac-sha256:<hex>"
    pub fn hash(&self, value: &[u8]) -> String {
        format!("{HASH_PREFIX}{}", hex(&hmac_sha256(&self.0, value)))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC (RFC 2104) over SHA-256.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| block.iter().map(|k| k ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Is this string a keyed hash token (a value that drift redacted with `redact_live`)?
pub fn is_hash_token(s: &str) -> bool {
    s.strip_prefix(HASH_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn keys_round_trip_and_differ() {
        let k = HashKey::random();
        assert_eq!(HashKey::from_hex(&k.to_hex()).unwrap(), k);
        assert_ne!(HashKey::random(), k);
        assert!(HashKey::from_hex("abc")
            .unwrap_err()
            .contains("64 hexadecimal"));
        let t = k.hash(b"x");
        assert!(is_hash_token(&t));
        assert_eq!(t, k.hash(b"x"));
        assert_ne!(t, k.hash(b"y"));
        assert!(!format!("{k:?}").contains(&k.to_hex()));
    }
}
