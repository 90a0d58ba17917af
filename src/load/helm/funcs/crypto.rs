//! Hashes and encodings (exact), and the random and key-generating functions (placeholders).
//!
//! Helm's random and crypto functions (`randAlphaNum`, `genCA`, ...) give different output
//! on every run; a scan must be deterministic, so here they give fixed, recognisable
//! placeholders of the right shape, derived only from their arguments (never from a counter,
//! so the result does not depend on the order templates render in):
//!
//! | function | placeholder |
//! |---|---|
//! | `randAlphaNum n`, `randAlpha n`, `randNumeric n`, `randAscii n` | `n` characters of the function's alphabet, a prefix of a fixed cycle (`PLHDR0placeholder1...`, `PLACEHOLDERplaceholder...`, `7357735773...`, `PLHD#placeholder!...`) |
//! | `randBytes n` | base64 of `n` bytes of the alphanumeric cycle |
//! | `uuidv4` | `00000000-0000-4000-8000-000000000000` |
//! | `shuffle s` | `s` unchanged |
//! | `genPrivateKey`, `genCA`, `genCAWithKey`, `genSelfSignedCert[WithKey]`, `genSignedCert[WithKey]` | PEM-shaped text (`-----BEGIN ...-----` / `-----END ...-----`) whose body is `PLUMBLINE PLACEHOLDER ...` with the subject; certificates are maps with `Cert` and `Key` |
//! | `bcrypt s`, `htpasswd u p` | `$2a$10$` and the fixed 53-character body `PlumblinePlaceholderBcrypt...` (`u:` before it) |
//! | `encryptAES k s` | base64 of `PLUMBLINE-PLACEHOLDER-AES:` and `s`'s SHA-256 (`decryptAES` of it gives `""`) |
//!
//! [`is_placeholder`] recognises these values, their base64 encodings, and the fixed `now`
//! (as Go prints it and in RFC 3339).

use std::sync::Arc;

use base64::Engine as _;
use gotmpl::{FuncMap, Result, Value};
use sha2::Digest as _;

use super::convert::{arg, arg_int, arg_list, arg_map, arg_str, arity, call_err, map, string, Map};
use super::reg;

/// The marker inside every PEM-shaped placeholder.
pub const PEM_MARKER: &str = "PLUMBLINE PLACEHOLDER";

const ALNUM_CYCLE: &str = "PLHDR0placeholder1PLACEHOLDER2plhdr3";
const ALPHA_CYCLE: &str = "PLACEHOLDERplaceholder";
const NUMERIC_CYCLE: &str = "7357";
const ASCII_CYCLE: &str = "PLHD#placeholder!";
const BCRYPT_BODY: &str = "PlumblinePlaceholderBcryptHashPlumblinePlaceholderBcr";
const AES_MARKER: &str = "PLUMBLINE-PLACEHOLDER-AES:";

/// The UUID `uuidv4` gives.
pub const PLACEHOLDER_UUID: &str = "00000000-0000-4000-8000-000000000000";

fn cycle(pattern: &str, n: usize) -> String {
    pattern.chars().cycle().take(n).collect()
}

/// Whether `s` is (or is the base64 of) one of the placeholders the random and crypto
/// functions give (see the module documentation): strings of at least 4 characters that are
/// a prefix of a placeholder cycle, the placeholder UUID, bcrypt and AES placeholders, and
/// any text holding the PEM placeholder marker.
pub fn is_placeholder(s: &str) -> bool {
    if is_placeholder_plain(s) {
        return true;
    }
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() >= 8 {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&compact) {
            if let Ok(text) = String::from_utf8(bytes) {
                return is_placeholder_plain(&text);
            }
        }
    }
    false
}

fn is_placeholder_plain(s: &str) -> bool {
    if s.contains(PEM_MARKER) || s.contains(AES_MARKER) || s.contains(BCRYPT_BODY) {
        return true;
    }
    if s == PLACEHOLDER_UUID
        || s == super::time::FIXED_NOW_TEXT
        || s == super::time::FIXED_NOW_RFC3339
    {
        return true;
    }
    let n = s.chars().count();
    n >= 4
        && [ALNUM_CYCLE, ALPHA_CYCLE, NUMERIC_CYCLE, ASCII_CYCLE]
            .iter()
            .any(|p| cycle(p, n) == s)
}

fn pem(kind: &str, body: &str) -> String {
    let mut out = format!("-----BEGIN {kind}-----\n");
    let line = format!("{PEM_MARKER} {body}");
    for chunk in line.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

fn certificate(cert: String, key: String) -> Value {
    let mut m = Map::new();
    m.insert(Arc::from("Cert"), string(cert));
    m.insert(Arc::from("Key"), string(key));
    map(m)
}

fn key_placeholder(subject: &str) -> String {
    pem("RSA PRIVATE KEY", &format!("KEY {subject}"))
}

fn cert_placeholder(what: &str, cn: &str, days: i64, extra: &str) -> Value {
    let subject = format!("CN={cn} DAYS={days}{extra}");
    certificate(
        pem("CERTIFICATE", &format!("{what} {subject}")),
        key_placeholder(&subject),
    )
}

/// The `ips` and `alternateNames` arguments as text, checked as sprig checks them.
fn names(name: &str, a: &[Value], i: usize, what: &str) -> Result<String> {
    let mut out = Vec::new();
    if let Some(l) = arg_list(a, i)? {
        for v in l.iter() {
            match v {
                Value::String(s) => out.push(s.to_string()),
                other => {
                    return Err(call_err(
                        name,
                        format!(
                            "error {what}: {} is not a string",
                            super::convert::go_sprint(other)
                        ),
                    ))
                }
            }
        }
    }
    Ok(out.join(","))
}

/// sprig's check that a certificate argument is one (a map with `Cert` and `Key`).
fn ca_subject(name: &str, v: &Value) -> Result<String> {
    let Some(m) = arg_map(std::slice::from_ref(v), 0)? else {
        return Err(call_err(name, "unable to decode certificate"));
    };
    match m.get("Cert") {
        Some(Value::String(c)) if c.contains("-----BEGIN") => Ok(c
            .lines()
            .find(|l| l.starts_with(PEM_MARKER))
            .map(|l| l.trim_start_matches(PEM_MARKER).trim().to_string())
            .unwrap_or_else(|| "external CA".into())),
        _ => Err(call_err(name, "unable to decode certificate")),
    }
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go's `base64.StdEncoding.DecodeString` (`\r` and `\n` skipped, padding required), with
/// Go's error (`illegal base64 data at input byte N`).
pub(crate) fn b64_decode(s: &str) -> std::result::Result<Vec<u8>, String> {
    let src = s.as_bytes();
    let corrupt = |at: usize| format!("illegal base64 data at input byte {at}");
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    loop {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing: Option<usize> = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(corrupt(si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(corrupt(si - 1));
            }
            // Padding.
            if j < 2 {
                return Err(corrupt(si - 1));
            }
            if j == 2 {
                while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                    si += 1;
                }
                if si == src.len() {
                    return Err(corrupt(src.len()));
                }
                if src[si] != b'=' {
                    return Err(corrupt(si - 1));
                }
                si += 1;
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si);
            }
            dlen = j;
            break;
        }
        let val = u32::from(dbuf[0]) << 18
            | u32::from(dbuf[1]) << 12
            | u32::from(dbuf[2]) << 6
            | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing {
            return Err(corrupt(at));
        }
        if dlen < 4 {
            return Ok(out);
        }
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn b32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let n = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < n {
                out.push(B32[((bits >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b32_decode(s: &str) -> std::result::Result<Vec<u8>, String> {
    let clean: Vec<u8> = s.bytes().filter(|c| *c != b'\n' && *c != b'\r').collect();
    if !clean.len().is_multiple_of(8) {
        return Err(format!(
            "illegal base32 data at input byte {}",
            clean.len() / 8 * 8
        ));
    }
    let mut out = Vec::new();
    for (ci, chunk) in clean.chunks(8).enumerate() {
        let mut bits: u64 = 0;
        let mut n = 0;
        for (i, &c) in chunk.iter().enumerate() {
            if c == b'=' {
                break;
            }
            let Some(v) = B32.iter().position(|&x| x == c) else {
                return Err(format!("illegal base32 data at input byte {}", ci * 8 + i));
            };
            bits |= (v as u64) << (35 - i * 5);
            n += 1;
        }
        let bytes = match n {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            0 => 0,
            _ => return Err(format!("illegal base32 data at input byte {}", ci * 8 + n)),
        };
        for i in 0..bytes {
            out.push(((bits >> (32 - i * 8)) & 0xff) as u8);
        }
    }
    Ok(out)
}

/// SHA-1 (FIPS 180-4).
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (hv, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *hv = hv.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn count(name: &str, a: &[Value]) -> Result<usize> {
    arity(name, a, 1)?;
    let n = arg_int(a, 0)?.max(0) as u64;
    super::convert::within(name, n, super::convert::MAX_STRING_BYTES)?;
    Ok(n as usize)
}

fn bcrypt_placeholder() -> String {
    format!("$2a$10${BCRYPT_BODY}")
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "sha256sum", |n, a| {
        arity(n, a, 1)?;
        Ok(string(hex(&sha2::Sha256::digest(
            arg_str(a, 0)?.as_bytes(),
        ))))
    });
    reg(m, "sha1sum", |n, a| {
        arity(n, a, 1)?;
        Ok(string(hex(&sha1(arg_str(a, 0)?.as_bytes()))))
    });
    reg(m, "adler32sum", |n, a| {
        arity(n, a, 1)?;
        Ok(string(adler32(arg_str(a, 0)?.as_bytes()).to_string()))
    });
    reg(m, "b64enc", |n, a| {
        arity(n, a, 1)?;
        Ok(string(
            base64::engine::general_purpose::STANDARD.encode(arg_str(a, 0)?),
        ))
    });
    reg(m, "b64dec", |n, a| {
        arity(n, a, 1)?;
        Ok(string(match b64_decode(arg_str(a, 0)?) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => e,
        }))
    });
    reg(m, "b32enc", |n, a| {
        arity(n, a, 1)?;
        Ok(string(b32_encode(arg_str(a, 0)?.as_bytes())))
    });
    reg(m, "b32dec", |n, a| {
        arity(n, a, 1)?;
        Ok(string(match b32_decode(arg_str(a, 0)?) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => e,
        }))
    });

    // Placeholders.
    reg(m, "randAlphaNum", |n, a| {
        Ok(string(cycle(ALNUM_CYCLE, count(n, a)?)))
    });
    reg(m, "randAlpha", |n, a| {
        Ok(string(cycle(ALPHA_CYCLE, count(n, a)?)))
    });
    reg(m, "randNumeric", |n, a| {
        Ok(string(cycle(NUMERIC_CYCLE, count(n, a)?)))
    });
    reg(m, "randSeededNumeric", |n, a| {
        arity(n, a, 2)?;
        let _seed = arg_int(a, 0)?;
        let count = arg_int(a, 1)?.max(0) as usize;
        Ok(string(cycle(NUMERIC_CYCLE, count)))
    });
    reg(m, "randAscii", |n, a| {
        Ok(string(cycle(ASCII_CYCLE, count(n, a)?)))
    });
    reg(m, "randBytes", |n, a| {
        let bytes = cycle(ALNUM_CYCLE, count(n, a)?);
        Ok(string(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    });
    reg(m, "randInt", |n, a| {
        arity(n, a, 2)?;
        let (min, max) = (arg_int(a, 0)?, arg_int(a, 1)?);
        if max <= min {
            return Err(call_err(n, "invalid argument to Intn"));
        }
        Ok(Value::Int(min))
    });
    reg(m, "uuidv4", |n, a| {
        arity(n, a, 0)?;
        Ok(string(PLACEHOLDER_UUID))
    });
    reg(m, "shuffle", |n, a| {
        arity(n, a, 1)?;
        Ok(string(arg_str(a, 0)?))
    });
    reg(m, "bcrypt", |n, a| {
        arity(n, a, 1)?;
        arg_str(a, 0)?;
        Ok(string(bcrypt_placeholder()))
    });
    reg(m, "htpasswd", |n, a| {
        arity(n, a, 2)?;
        let user = arg_str(a, 0)?;
        arg_str(a, 1)?;
        if user.contains(':') {
            return Ok(string(format!("invalid username: {user}")));
        }
        Ok(string(format!("{user}:{}", bcrypt_placeholder())))
    });
    reg(m, "derivePassword", |n, a| {
        arity(n, a, 5)?;
        arg_int(a, 0)?;
        let kind = arg_str(a, 1)?;
        for i in 2..5 {
            arg_str(a, i)?;
        }
        let len = match kind {
            "maximum" => 20,
            "long" => 14,
            "medium" => 8,
            "short" | "pin" => 4,
            "basic" => 8,
            _ => return Ok(string(format!("cannot find password template {kind}"))),
        };
        Ok(string(cycle(ALNUM_CYCLE, len)))
    });
    reg(m, "genPrivateKey", |n, a| {
        arity(n, a, 1)?;
        let kind = arg_str(a, 0)?;
        let block = match kind {
            "" | "rsa" => "RSA PRIVATE KEY",
            "dsa" => "DSA PRIVATE KEY",
            "ecdsa" => "EC PRIVATE KEY",
            "ed25519" => "PRIVATE KEY",
            other => return Ok(string(format!("Unknown type {other}"))),
        };
        Ok(string(pem(
            block,
            &format!("KEY {}", if kind.is_empty() { "rsa" } else { kind }),
        )))
    });
    reg(m, "buildCustomCert", |n, a| {
        arity(n, a, 2)?;
        let cert = b64_decode(arg_str(a, 0)?)
            .map_err(|_| call_err(n, "unable to decode base64 certificate"))?;
        let key = b64_decode(arg_str(a, 1)?)
            .map_err(|_| call_err(n, "unable to decode base64 private key"))?;
        let cert = String::from_utf8_lossy(&cert).into_owned();
        let key = String::from_utf8_lossy(&key).into_owned();
        if !cert.contains("-----BEGIN") {
            return Err(call_err(n, "unable to decode certificate"));
        }
        if !key.contains("PRIVATE KEY-----") {
            return Err(call_err(
                n,
                "error parsing private key: no PEM data in input",
            ));
        }
        Ok(certificate(cert, key))
    });
    for name in ["genCA", "genCAWithKey"] {
        reg(m, name, |n, a| {
            arity(n, a, if n == "genCA" { 2 } else { 3 })?;
            let cn = arg_str(a, 0)?;
            let days = arg_int(a, 1)?;
            if n == "genCAWithKey" {
                arg_str(a, 2)?;
            }
            Ok(cert_placeholder("CA", cn, days, ""))
        });
    }
    for name in ["genSelfSignedCert", "genSelfSignedCertWithKey"] {
        reg(m, name, |n, a| {
            arity(n, a, if n == "genSelfSignedCert" { 4 } else { 5 })?;
            let cn = arg_str(a, 0)?;
            let ips = names(n, a, 1, "parsing ip")?;
            let dns = names(n, a, 2, "processing alternate dns name")?;
            let days = arg_int(a, 3)?;
            if n == "genSelfSignedCertWithKey" {
                arg_str(a, 4)?;
            }
            Ok(cert_placeholder(
                "SELF-SIGNED",
                cn,
                days,
                &format!(" IPS={ips} DNS={dns}"),
            ))
        });
    }
    for name in ["genSignedCert", "genSignedCertWithKey"] {
        reg(m, name, |n, a| {
            arity(n, a, if n == "genSignedCert" { 5 } else { 6 })?;
            let cn = arg_str(a, 0)?;
            let ips = names(n, a, 1, "parsing ip")?;
            let dns = names(n, a, 2, "processing alternate dns name")?;
            let days = arg_int(a, 3)?;
            let ca = ca_subject(n, arg(a, 4))?;
            if n == "genSignedCertWithKey" {
                arg_str(a, 5)?;
            }
            Ok(cert_placeholder(
                "SIGNED",
                cn,
                days,
                &format!(" IPS={ips} DNS={dns} ISSUER=({ca})"),
            ))
        });
    }
    reg(m, "encryptAES", |n, a| {
        arity(n, a, 2)?;
        arg_str(a, 0)?;
        let plain = arg_str(a, 1)?;
        if plain.is_empty() {
            return Ok(string(""));
        }
        let text = format!(
            "{AES_MARKER}{}",
            hex(&sha2::Sha256::digest(plain.as_bytes()))
        );
        Ok(string(
            base64::engine::general_purpose::STANDARD.encode(text),
        ))
    });
    reg(m, "decryptAES", |n, a| {
        arity(n, a, 2)?;
        arg_str(a, 0)?;
        let cipher = arg_str(a, 1)?;
        let bytes = b64_decode(cipher).map_err(|e| call_err(n, e))?;
        if bytes.len() < 16 {
            return Err(call_err(n, "crypto/cipher: input not full blocks"));
        }
        Ok(string(""))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_encodings() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(adler32(b"Wikipedia"), 300286872);
        assert_eq!(b32_encode(b"foobar"), "MZXW6YTBOI======");
        assert_eq!(b32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(b64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(
            b64_decode("aGVsbG8").unwrap_err(),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(b64_decode("aGVs\nbG8=").unwrap(), b"hel\x6co");
        assert_eq!(
            b64_decode("a!==").unwrap_err(),
            "illegal base64 data at input byte 1"
        );
        assert_eq!(
            b64_decode("aGk=x").unwrap_err(),
            "illegal base64 data at input byte 4"
        );
    }

    #[test]
    fn placeholders_are_recognised() {
        let s = cycle(ALNUM_CYCLE, 16);
        assert_eq!(s.len(), 16);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(is_placeholder(&s));
        assert!(is_placeholder(
            &base64::engine::general_purpose::STANDARD.encode(&s)
        ));
        assert!(is_placeholder(&cycle(NUMERIC_CYCLE, 6)));
        assert!(cycle(ASCII_CYCLE, 40).chars().all(|c| c.is_ascii_graphic()));
        assert!(is_placeholder(&pem("CERTIFICATE", "CA CN=x")));
        assert!(is_placeholder(PLACEHOLDER_UUID));
        assert!(is_placeholder(&bcrypt_placeholder()));
        assert_eq!(bcrypt_placeholder().len(), 60);
        assert!(!is_placeholder("my-password"));
        assert!(!is_placeholder("Plh"));
    }
}
