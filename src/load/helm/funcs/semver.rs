//! `semver` and `semverCompare`: Masterminds/semver v3 (versions, constraints with
//! `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `~>`, `^`, `x`/`*` wildcards, `a - b` ranges,
//! `,`/space for AND, `||` for OR; a pre-release version only satisfies an AND group that has
//! a pre-release in one of its constraints, so `>=1.21-0` admits `1.27.3-eks-1`).

use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

use gotmpl::{FuncMap, Value};
use regex::Regex;

use super::convert::{arg_str, arity, call_err, map, string, Map};
use super::reg;

/// A parsed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub metadata: String,
    pub original: String,
}

const INVALID: &str = "Invalid Semantic Version";

static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
    )
    .expect("constant pattern")
});

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

static CONSTRAINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^\s*({OPS})\s*({CV})\s*$")).expect("constant pattern"));
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\s*({CV})\s+-\s+({CV})\s*")).expect("constant pattern"));
static FIND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"({OPS})\s*({CV})")).expect("constant pattern"));
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
    ))
    .expect("constant pattern")
});

/// semver's `NewVersion` (leading `v` allowed, missing minor/patch are 0, numeric
/// pre-release parts may not start with 0).
pub(crate) fn parse_version(v: &str) -> Result<Version, String> {
    let m = VERSION.captures(v).ok_or(INVALID)?;
    let seg = |i: usize| -> Result<u64, String> {
        match m.get(i) {
            Some(s) => s
                .as_str()
                .trim_start_matches('.')
                .parse::<u64>()
                .map_err(|e| format!("Error parsing version segment: {e}")),
            None => Ok(0),
        }
    };
    let pre = m.get(5).map_or("", |s| s.as_str()).to_string();
    for part in pre.split('.').filter(|_| !pre.is_empty()) {
        if part.len() > 1 && part.starts_with('0') && part.bytes().all(|c| c.is_ascii_digit()) {
            return Err("Version segment starts with 0".into());
        }
    }
    Ok(Version {
        major: seg(1)?,
        minor: seg(2)?,
        patch: seg(3)?,
        pre,
        metadata: m.get(8).map_or("", |s| s.as_str()).to_string(),
        original: v.to_string(),
    })
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        // o a string, s a number: numbers have lower precedence.
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(a), Ok(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

fn compare_prerelease(v: &str, o: &str) -> Ordering {
    let sp: Vec<&str> = v.split('.').collect();
    let op: Vec<&str> = o.split('.').collect();
    for i in 0..sp.len().max(op.len()) {
        let d = compare_pre_part(
            sp.get(i).copied().unwrap_or(""),
            op.get(i).copied().unwrap_or(""),
        );
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

impl Version {
    pub(crate) fn compare(&self, o: &Version) -> Ordering {
        let d = (self.major, self.minor, self.patch).cmp(&(o.major, o.minor, o.patch));
        if d != Ordering::Equal {
            return d;
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => compare_prerelease(&self.pre, &o.pre),
        }
    }

    fn less(&self, o: &Version) -> bool {
        self.compare(o) == Ordering::Less
    }
}

/// One comparison of a constraint.
#[derive(Debug, Clone)]
struct Constraint {
    con: Version,
    op: String,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

fn parse_constraint(c: &str) -> Result<Constraint, String> {
    let m = CONSTRAINT
        .captures(c)
        .ok_or_else(|| format!("improper constraint: {c}"))?;
    let get = |i: usize| m.get(i).map_or("", |s| s.as_str());
    let (op, orig) = (get(1), get(2));
    let (major, minor, patch, pre) = (get(3), get(4), get(5), get(6));
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        orig.to_string()
    };
    let con = parse_version(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        con,
        op: op.to_string(),
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            "!=" => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == Ordering::Greater
                }
            }
            "<" => v.compare(c) == Ordering::Less,
            ">=" | "=>" => v.compare(c) != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                if v.major > c.major {
                    return false;
                }
                !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            "~" | "~>" => self.tilde(v),
            "^" => self.caret(v),
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.less(c) {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.less(c) {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if c.major == 0 && v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if c.minor == 0 && v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

/// A constraint string: OR groups of AND constraints, and whether each group has a
/// pre-release.
pub(crate) struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
}

/// semver's `rewriteRange`: `a - b` becomes `>= a, <= b`.
fn rewrite_range(c: &str) -> String {
    let mut out = c.to_string();
    for m in RANGE.captures_iter(c) {
        let (Some(whole), Some(a), Some(b)) = (m.get(0), m.get(1), m.get(11)) else {
            continue;
        };
        let t = format!(">= {}, <= {}", a.as_str(), b.as_str());
        out = out.replacen(whole.as_str(), &t, 1);
    }
    out
}

/// semver's `NewConstraint`.
pub(crate) fn parse_constraints(c: &str) -> Result<Constraints, String> {
    let c = rewrite_range(c);
    let mut groups = Vec::new();
    for part in c.split("||") {
        if !VALID.is_match(part) {
            return Err(format!("improper constraint: {part}"));
        }
        let mut found: Vec<&str> = FIND.find_iter(part).map(|m| m.as_str()).collect();
        if found.is_empty() {
            found.push(part);
        }
        let mut cs = Vec::with_capacity(found.len());
        let mut has_pre = false;
        for s in found {
            let pc = parse_constraint(s)?;
            has_pre |= !pc.con.pre.is_empty();
            cs.push(pc);
        }
        groups.push((cs, has_pre));
    }
    Ok(Constraints { groups })
}

impl Constraints {
    pub(crate) fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|(cs, has_pre)| cs.iter().all(|c| c.check(v, *has_pre)))
    }
}

/// `semverCompare CONSTRAINT VERSION`.
pub(crate) fn semver_compare(constraint: &str, version: &str) -> Result<bool, String> {
    let c = parse_constraints(constraint)?;
    let v = parse_version(version)?;
    Ok(c.check(&v))
}

/// The map standing for a `*semver.Version`: its methods as fields.
fn version_value(v: &Version) -> Value {
    let mut m = Map::new();
    let s = |x: &str| string(x);
    m.insert(Arc::from("Major"), Value::Int(v.major as i64));
    m.insert(Arc::from("Minor"), Value::Int(v.minor as i64));
    m.insert(Arc::from("Patch"), Value::Int(v.patch as i64));
    m.insert(Arc::from("Prerelease"), s(&v.pre));
    m.insert(Arc::from("Metadata"), s(&v.metadata));
    m.insert(Arc::from("Original"), s(&v.original));
    let mut text = format!("{}.{}.{}", v.major, v.minor, v.patch);
    if !v.pre.is_empty() {
        text.push('-');
        text.push_str(&v.pre);
    }
    if !v.metadata.is_empty() {
        text.push('+');
        text.push_str(&v.metadata);
    }
    m.insert(Arc::from("String"), s(&text));
    map(m)
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "semverCompare", |n, a| {
        arity(n, a, 2)?;
        semver_compare(arg_str(a, 0)?, arg_str(a, 1)?)
            .map(Value::Bool)
            .map_err(|e| call_err(n, e))
    });
    reg(m, "semver", |n, a| {
        arity(n, a, 1)?;
        parse_version(arg_str(a, 0)?)
            .map(|v| version_value(&v))
            .map_err(|e| call_err(n, e))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(c: &str, v: &str) -> bool {
        match semver_compare(c, v) {
            Ok(b) => b,
            Err(e) => panic!("{c} {v}: {e}"),
        }
    }

    #[test]
    fn compare_with_prereleases() {
        assert!(ok(">=1.21-0", "v1.36.0"));
        assert!(ok(">=1.21-0", "1.27.3-eks-a5565ad"));
        assert!(!ok(">=1.21.0", "1.27.3-eks-a5565ad"));
        assert!(ok(">=1.21.0", "v1.27.3"));
        assert!(!ok(">=1.21-0", "1.20.15-gke.100"));
        assert!(ok("<1.25.0-0", "1.24.9"));
        assert!(!ok("<1.25.0-0", "v1.36.0"));
        assert!(ok(">= 1.19-0 < 1.25-0", "1.22.0"));
        assert!(ok(">=1.16.0-0 <1.22.0-0", "1.21.3-rc.1"));
        assert!(ok("1.2.3-alpha.10", "1.2.3-alpha.10"));
        assert!(ok(">1.2.3-alpha.2", "1.2.3-alpha.10"));
        assert!(ok(">1.2.3-alpha", "1.2.3-beta"));
    }

    #[test]
    fn operators_and_ranges() {
        assert!(ok("^1.2.3", "1.9.0"));
        assert!(!ok("^1.2.3", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.9"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok("~1.2.3", "1.2.9"));
        assert!(!ok("~1.2.3", "1.3.0"));
        assert!(ok("~1", "1.9.9"));
        assert!(ok("1.2.x", "1.2.7"));
        assert!(!ok("1.2.x", "1.3.0"));
        assert!(ok("*", "4.5.6"));
        assert!(ok("1.2 - 1.4.5", "1.3.0"));
        assert!(!ok("1.2 - 1.4.5", "1.4.6"));
        assert!(ok("<1.0 || >=2.0", "2.1.0"));
        assert!(!ok("<1.0 || >=2.0", "1.5.0"));
        assert!(ok(">=1.2, <2", "1.5.0"));
        assert!(ok("!=1.2.3", "1.2.4"));
        assert!(!ok("!=1.2.3", "1.2.3"));
        assert!(ok(">11", "12.0.0"));
        assert!(!ok(">11", "11.5.0"));
        assert!(ok("<=1.2", "1.2.9"));
        assert!(ok("=1.2.3", "v1.2.3"));
    }

    #[test]
    fn errors() {
        assert_eq!(semver_compare(">=1.0", "abc").unwrap_err(), INVALID);
        assert_eq!(
            semver_compare(">=a.b", "1.0.0").unwrap_err(),
            "improper constraint: >=a.b"
        );
        assert!(parse_version("1.2.3-01").is_err());
        let v = parse_version("v2.3.4-rc.1+b5").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (2, 3, 4));
        assert_eq!(v.pre, "rc.1");
        assert_eq!(v.metadata, "b5");
    }
}
