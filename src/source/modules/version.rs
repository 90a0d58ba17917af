//! Module versions and version constraints as Terraform applies them to registry modules:
//! `=`, `!=`, `>`, `>=`, `<`, `<=`, `~>` (and a bare version, which is `=`), joined by commas;
//! versions compare numerically segment by segment, a prerelease sorts before its release,
//! and a prerelease is selected only by a constraint that names exactly that version.

use std::cmp::Ordering;

/// A version: numeric segments (padded to three), an optional prerelease; build metadata is
/// kept for display and ignored in comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    segments: Vec<u64>,
    /// How many segments were written (`~> 1.2` differs from `~> 1.2.0`).
    written: usize,
    pre: String,
    text: String,
}

impl Version {
    pub fn parse(s: &str) -> Option<Self> {
        let text = s.trim();
        let v = text.strip_prefix('v').unwrap_or(text);
        let (v, _meta) = v.split_once('+').unwrap_or((v, ""));
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, p.to_string()),
            Some(_) => return None,
            None => (v, String::new()),
        };
        let mut segments = Vec::new();
        for part in core.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            segments.push(part.parse().ok()?);
        }
        if segments.is_empty() || segments.len() > 8 {
            return None;
        }
        let written = segments.len();
        while segments.len() < 3 {
            segments.push(0);
        }
        Some(Self {
            segments,
            written,
            pre,
            text: text.to_string(),
        })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Prerelease identifiers compare as SemVer orders them: numbers numerically and below
/// names, names in ASCII order, a shorter list first when one is a prefix of the other.
fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let ord = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => p.cmp(q),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.segments.len().max(other.segments.len());
        for i in 0..n {
            let a = self.segments.get(i).copied().unwrap_or(0);
            let b = other.segments.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        compare_pre(&self.pre, &other.pre)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

/// One constraint of a list.
#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    version: Version,
}

impl Constraint {
    fn allows(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.op {
            Op::Eq => v == c || v.cmp(c) == Ordering::Equal,
            Op::Ne => v.cmp(c) != Ordering::Equal,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                // A prerelease constraint allows only prereleases, and a release one only
                // releases; then at least the constraint, and the same leading segments (all
                // but the last written one).
                if c.is_prerelease() != v.is_prerelease() || v < c {
                    return false;
                }
                let fixed = c.written.saturating_sub(1);
                v.segments[..fixed] == c.segments[..fixed]
            }
        }
    }
}

/// A version constraint string: constraints joined by commas, all of which must hold.
#[derive(Debug, Clone)]
pub struct Constraints {
    list: Vec<Constraint>,
}

impl Constraints {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut list = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!("{s:?} has an empty constraint"));
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(p, op)| part.strip_prefix(p).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, part));
            let version = Version::parse(rest).ok_or_else(|| {
                format!(
                    "{part:?} is not a version constraint (like \"~> 1.2\" or \">= 1.0, < 2.0\")"
                )
            })?;
            list.push(Constraint { op, version });
        }
        Ok(Self { list })
    }

    /// Whether `v` may be selected: every constraint allows it, and a prerelease only when
    /// a constraint asks for exactly it.
    pub fn selects(&self, v: &Version) -> bool {
        if v.is_prerelease()
            && !self
                .list
                .iter()
                .any(|c| c.op == Op::Eq && c.version.cmp(v) == Ordering::Equal)
        {
            return false;
        }
        self.list.iter().all(|c| c.allows(v))
    }
}

/// The newest of `available` that `constraints` selects (any release when there are none).
pub fn newest<'v>(
    available: &'v [Version],
    constraints: Option<&Constraints>,
) -> Option<&'v Version> {
    available
        .iter()
        .filter(|v| match constraints {
            Some(c) => c.selects(v),
            None => !v.is_prerelease(),
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(available: &[&str], constraint: &str) -> Option<String> {
        let vs: Vec<Version> = available
            .iter()
            .map(|s| Version::parse(s).unwrap())
            .collect();
        let c = Constraints::parse(constraint).unwrap();
        newest(&vs, Some(&c)).map(|v| v.as_str().to_string())
    }

    const AVAILABLE: &[&str] = &[
        "0.9.0",
        "1.0.0",
        "1.1.0",
        "1.2.0",
        "1.2.5",
        "1.3.0-beta.1",
        "1.3.0",
        "2.0.0",
        "2.1.0-rc.1",
    ];

    #[test]
    fn constraints_select_as_terraform_does() {
        assert_eq!(pick(AVAILABLE, "~> 1.2").as_deref(), Some("1.3.0"));
        assert_eq!(pick(AVAILABLE, "~> 1.2.0").as_deref(), Some("1.2.5"));
        assert_eq!(pick(AVAILABLE, "~> 1").as_deref(), Some("2.0.0"));
        assert_eq!(pick(AVAILABLE, ">= 1.0, < 2.0").as_deref(), Some("1.3.0"));
        assert_eq!(
            pick(AVAILABLE, ">= 1.0, < 2.0, != 1.3.0").as_deref(),
            Some("1.2.5")
        );
        assert_eq!(pick(AVAILABLE, "1.1.0").as_deref(), Some("1.1.0"));
        assert_eq!(pick(AVAILABLE, "= v1.1.0").as_deref(), Some("1.1.0"));
        assert_eq!(pick(AVAILABLE, "> 2.0.0").as_deref(), None);
        assert_eq!(pick(AVAILABLE, "<= 0.9").as_deref(), Some("0.9.0"));
    }

    #[test]
    fn prereleases_only_by_exact_request() {
        // A range never selects a prerelease, even one inside it.
        assert_eq!(pick(AVAILABLE, ">= 2.0.0").as_deref(), Some("2.0.0"));
        assert_eq!(pick(AVAILABLE, "<= 2.1.0-rc.1").as_deref(), Some("2.0.0"));
        assert_eq!(pick(AVAILABLE, "2.1.0-rc.1").as_deref(), Some("2.1.0-rc.1"));
        assert_eq!(
            pick(AVAILABLE, "=1.3.0-beta.1").as_deref(),
            Some("1.3.0-beta.1")
        );
        assert!(newest(&[Version::parse("1.0.0-alpha").unwrap()], None).is_none());
    }

    #[test]
    fn versions_order_numerically_with_prereleases_first() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("1.10.0") > v("1.9.0"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert!(v("1.0.0-alpha.2") < v("1.0.0-alpha.10"));
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert_eq!(v("1.2").cmp(&v("1.2.0")), Ordering::Equal);
        assert!(Version::parse("1.x").is_none());
        assert!(Constraints::parse("~> banana").is_err());
        assert!(Constraints::parse(">= 1.0,").is_err());
    }
}
