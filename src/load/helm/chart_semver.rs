//! Chart and dependency versions. Helm checks them with the same semver library
//! (Masterminds v3) that sprig's `semverCompare` uses, so these are `funcs::semver`'s.

use super::super::funcs::semver::{parse_version, semver_compare};

/// A chart's `version` that Helm accepts (`semver.NewVersion`).
pub(crate) fn is_valid_version(version: &str) -> bool {
    parse_version(version).is_ok()
}

/// Helm's `IsCompatibleRange`: whether `version` satisfies `constraint`. `false` when either
/// does not parse (an empty constraint does not).
pub(crate) fn is_compatible_range(constraint: &str, version: &str) -> bool {
    semver_compare(constraint, version).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version_of(v: &str) -> Option<()> {
        is_valid_version(v).then_some(())
    }

    #[test]
    fn versions() {
        assert!(version_of("1.2.3").is_some());
        assert!(version_of("v0.0.0").is_some());
        assert!(version_of("1.2").is_some());
        assert!(version_of("1.2.3-rc.1+build.5").is_some());
        assert!(version_of("1.2.3-01").is_none());
        assert!(version_of("latest").is_none());
        assert!(version_of("1.2.3.4").is_none());
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
