//! Semantic versions and version constraints as Helm checks them (Masterminds/semver v3,
//! the 3.4 rules): a chart's `version` must parse as a version, and a dependency's
//! `version` in `Chart.yaml` is a constraint (`4.38.0`, `1.42.*`, `^1.2`, `>0.0.0-0`,
//! `>= 1, < 2 || 3.x`) that the vendored chart's version must satisfy for the dependency to
//! bind to it.

use regex::Regex;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// A parsed version (`v` prefix, missing minor or patch and leading zeros accepted, as
/// Masterminds' `NewVersion` accepts them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
}

impl Version {
    pub fn parse(v: &str) -> Option<Version> {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(
                r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
            )
            .expect("version regex")
        });
        let m = re.captures(v)?;
        let num = |i: usize| -> Option<u64> {
            match m.get(i) {
                None => Some(0),
                Some(g) => g.as_str().trim_start_matches('.').parse().ok(),
            }
        };
        let pre = m.get(5).map_or("", |g| g.as_str()).to_string();
        // A numeric prerelease identifier may not have a leading zero.
        if pre
            .split('.')
            .any(|p| p.len() > 1 && p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        Some(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre,
        })
    }

    fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }

    fn less_than(&self, o: &Version) -> bool {
        self.compare(o) == Ordering::Less
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let sa: Vec<&str> = a.split('.').collect();
    let sb: Vec<&str> = b.split('.').collect();
    for i in 0..sa.len().max(sb.len()) {
        let d = compare_pre_part(
            sa.get(i).copied().unwrap_or(""),
            sb.get(i).copied().unwrap_or(""),
        );
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
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

/// Helm's `IsCompatibleRange`: whether `version` satisfies `constraint`. `false` when either
/// does not parse (an empty constraint does not).
pub(crate) fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let Some(v) = Version::parse(version) else {
        return false;
    };
    match Constraints::parse(constraint) {
        Some(c) => c.check(&v),
        None => false,
    }
}

const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

struct Regexes {
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn regexes() -> &'static Regexes {
    static RE: OnceLock<Regexes> = OnceLock::new();
    RE.get_or_init(|| Regexes {
        constraint: Regex::new(&format!(r"^\s*({OPS})\s*({CV})\s*$")).expect("constraint regex"),
        range: Regex::new(&format!(r"\s*({CV})\s+-\s+({CV})\s*")).expect("range regex"),
        find: Regex::new(&format!(r"({OPS})\s*({CV})")).expect("find regex"),
        valid: Regex::new(&format!(
            r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
        ))
        .expect("valid regex"),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// `||`-separated groups of constraints that must all hold.
#[derive(Debug, Clone)]
pub(crate) struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
}

impl Constraints {
    pub fn parse(c: &str) -> Option<Constraints> {
        let re = regexes();
        // `1.2 - 1.4` ranges become `>= 1.2, <= 1.4`.
        let mut c = c.to_string();
        let found: Vec<(String, String, String)> = re
            .range
            .captures_iter(&c)
            .map(|m| {
                (
                    m[0].to_string(),
                    m.get(1).map_or("", |g| g.as_str()).to_string(),
                    m.get(11).map_or("", |g| g.as_str()).to_string(),
                )
            })
            .collect();
        for (whole, lo, hi) in found {
            c = c.replacen(&whole, &format!(">= {lo}, <= {hi} "), 1);
        }
        let mut groups = Vec::new();
        for part in c.split("||") {
            if !re.valid.is_match(part) {
                return None;
            }
            let mut found: Vec<&str> = re.find.find_iter(part).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(part);
            }
            let mut list = Vec::new();
            let mut has_pre = false;
            for s in found {
                let pc = parse_constraint(s)?;
                if !pc.con.pre.is_empty() {
                    has_pre = true;
                }
                list.push(pc);
            }
            groups.push((list, has_pre));
        }
        Some(Constraints { groups })
    }

    pub fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|(list, has_pre)| list.iter().all(|c| c.check(v, *has_pre)))
    }
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn parse_constraint(c: &str) -> Option<Constraint> {
    let m = regexes().constraint.captures(c)?;
    let g = |i: usize| m.get(i).map_or("", |g| g.as_str());
    let op = match g(1) {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        _ => return None,
    };
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(g(3)) || g(3).is_empty() {
        dirty = true;
        format!("0.0.0{}", g(6))
    } else if is_x(g(4).trim_start_matches('.')) || g(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{}.0.0{}", g(3), g(6))
    } else if is_x(g(5).trim_start_matches('.')) || g(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{}{}.0{}", g(3), g(4), g(6))
    } else {
        g(2).to_string()
    };
    let con = Version::parse(&ver)?;
    Some(Constraint {
        op,
        con,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        // A prerelease version satisfies a group only if the group names a prerelease.
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::NotEqual => {
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
            Op::Greater => {
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
            Op::Less => v.compare(c) == Ordering::Less,
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => {
                if v.less_than(c) {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.less_than(c) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(Version::parse("1.2.3").is_some());
        assert!(Version::parse("v0.0.0").is_some());
        assert!(Version::parse("1.2").is_some());
        assert!(Version::parse("1.2.3-rc.1+build.5").is_some());
        assert!(Version::parse("1.2.3-01").is_none());
        assert!(Version::parse("latest").is_none());
        assert!(Version::parse("1.2.3.4").is_none());
    }

    #[test]
    fn constraints() {
        let ok = |c: &str, v: &str| is_compatible_range(c, v);
        assert!(ok("4.38.0", "4.38.0"));
        assert!(!ok("4.38.0", "4.38.1"));
        assert!(ok("1.42.*", "1.42.0"));
        assert!(!ok("1.42.*", "1.43.0"));
        assert!(ok("0.12.*", "0.12.8"));
        assert!(ok(">0.0.0-0", "4.1.1"));
        assert!(ok(">0.0.0-0", "4.1.1-rc.1"));
        assert!(!ok(">0.0.0", "4.1.1-rc.1"));
        assert!(ok("^1.2", "1.9.0"));
        assert!(!ok("^1.2", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.9"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok("~1.2.3", "1.2.9"));
        assert!(!ok("~1.2.3", "1.3.0"));
        assert!(ok(">= 1.0, < 2.0", "1.5.0"));
        assert!(ok(">=1.0 <2.0", "1.5.0"));
        assert!(!ok(">= 1.0, < 2.0", "2.0.0"));
        assert!(ok("1.0 - 2.0", "1.5.0"));
        assert!(ok("< 1.0 || >= 3", "3.1.0"));
        assert!(ok("*", "3.1.0"));
        assert!(ok("x", "0.0.1"));
        assert!(!ok("", "1.0.0"));
        assert!(!ok("1.0.0", "not-a-version"));
        assert!(ok("0.0.0", "0.0.0"));
        assert!(ok("1.2", "1.2.5"));
    }
}
