//! `.helmignore`, as Helm's `pkg/ignore` reads it: not gitignore. One rule a line (blank
//! lines and `#` comments skipped, surrounding spaces trimmed); the glob is Go's
//! `filepath.Match` (`*`, `?`, `[...]` with `^` negation, `\` escapes; no `**`, which is an
//! error); a rule without `/` tests the base name only, a rule with `/` the whole path
//! relative to the chart, a leading `/` is dropped; a trailing `/` makes the rule apply to
//! directories only. A rule starting with `!` is Helm's negation, which is not gitignore's
//! either: a path that does *not* match it is ignored (and evaluation stops), one that
//! matches goes on to the next rule. Rules are tried in order and the first match wins.
//! Helm adds `templates/.?*` (dotfiles directly in `templates/`) after the file's rules.
//!
//! Helm walks the chart directory and tests every directory before its contents: an ignored
//! directory hides everything under it (`charts/` included: only the top chart's
//! `.helmignore` is read, and it applies to the subcharts' files too).

/// The rules of one `.helmignore`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    glob: String,
    negate: bool,
    must_dir: bool,
    /// `Base`: the rule has no `/`, so only the base name is tested.
    scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Base,
    Path,
}

/// A `.helmignore` line Helm refuses (it fails to load the chart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleError {
    pub line: u32,
    pub message: String,
}

impl Rules {
    /// Parses a `.helmignore` file's text.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let mut rules = Rules::default();
        // Go's bufio.Scanner splits on `\n` and drops a trailing `\r`.
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            rules.add(line).map_err(|message| RuleError {
                line: u32::try_from(n + 1).unwrap_or(u32::MAX),
                message,
            })?;
        }
        Ok(rules)
    }

    /// Helm's default rule, added after the file's: dotfiles directly in `templates/`.
    pub fn add_defaults(&mut self) {
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, rule: &str) -> Result<(), String> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err(format!(
                "double-star (**) syntax is not supported in .helmignore (rule `{}`): use `*` \
                 within one directory level, or name the directory with a trailing `/`",
                crate::textsafe::escape(rule)
            ));
        }
        if glob_match(rule, "abc").is_err() {
            return Err(format!(
                "syntax error in pattern `{}` (an unclosed `[`, or a `\\` at the end)",
                crate::textsafe::escape(rule)
            ));
        }
        let mut glob = rule;
        let negate = glob.starts_with('!');
        if negate {
            glob = &glob[1..];
        }
        let must_dir = glob.ends_with('/');
        if must_dir {
            glob = &glob[..glob.len() - 1];
        }
        let scope = if glob.starts_with('/') {
            glob = &glob[1..];
            Scope::Path
        } else if glob.contains('/') {
            Scope::Path
        } else {
            Scope::Base
        };
        self.patterns.push(Pattern {
            glob: glob.to_string(),
            negate,
            must_dir,
            scope,
        });
        Ok(())
    }

    /// Whether `path` (relative to the chart, `/`-separated) is ignored, `is_dir` telling a
    /// directory from a file.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let matches = || {
                let subject = match p.scope {
                    Scope::Base => go_base(path),
                    Scope::Path => path,
                };
                glob_match(&p.glob, subject).unwrap_or(false)
            };
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matches() {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matches() {
                return true;
            }
        }
        false
    }

    /// Whether a file is ignored, testing each of its directories first (as Helm's walk
    /// does: an ignored directory is not entered).
    pub fn ignore_file(&self, path: &str) -> bool {
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            let dir = &path[..end + i];
            if self.ignore(dir, true) {
                return true;
            }
            end += i + 1;
        }
        self.ignore(path, false)
    }
}

/// Go's `filepath.Base` for a `/`-separated relative path.
fn go_base(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "." } else { "/" };
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Go's `path/filepath.Match` on Unix: `*` is any run of non-`/` characters, `?` one
/// non-`/` character, `[...]` a class (`^` negates, ranges `a-z`, `\` escapes), `\` escapes
/// the next character. `Err` for a malformed pattern (Go's `ErrBadPattern`), which Go reports
/// even when the part of the pattern before the error already failed to match.
pub(crate) fn glob_match(pattern: &str, name: &str) -> Result<bool, ()> {
    let pat: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let mut p = &pat[..];
    let mut n = &name[..];
    'pattern: while !p.is_empty() {
        let (star, chunk, rest) = scan_chunk(p);
        p = rest;
        if star && chunk.is_empty() {
            // A trailing `*` matches the rest unless it has a `/`.
            return Ok(!n.contains(&'/'));
        }
        // Look for a match at the current position.
        let (t, ok) = match_chunk(chunk, n)?;
        if ok && (t.is_empty() || !p.is_empty()) {
            n = t;
            continue;
        }
        if star {
            // Look for a match skipping i+1 characters (never a `/`).
            let mut i = 0;
            while i < n.len() && n[i] != '/' {
                let (t, ok) = match_chunk(chunk, &n[i + 1..])?;
                if ok {
                    // Last chunk: it must consume the whole name.
                    if p.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    n = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // The match failed: check the rest of the pattern is well-formed, as Go does.
        while !p.is_empty() {
            let (_, chunk, rest) = scan_chunk(p);
            p = rest;
            match_chunk(chunk, &[])?;
        }
        return Ok(false);
    }
    Ok(n.is_empty())
}

/// Splits off the next `*`-run and the chunk after it (up to the next unescaped, unbracketed
/// `*`).
fn scan_chunk(mut p: &[char]) -> (bool, &[char], &[char]) {
    let mut star = false;
    while p.first() == Some(&'*') {
        p = &p[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 < p.len() => i += 1,
            '[' => in_range = true,
            ']' => in_range = false,
            '*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &p[..i], &p[i..])
}

/// Matches `chunk` against the start of `s`: the rest of `s` and whether it matched, or
/// `Err` for a malformed chunk.
fn match_chunk<'a>(mut chunk: &[char], mut s: &'a [char]) -> Result<(&'a [char], bool), ()> {
    // After a failed match, keep going to report a bad pattern.
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk[0] {
            '[' => {
                let r = if failed { '\0' } else { s[0] };
                if !failed {
                    s = &s[1..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if !chunk.is_empty() && chunk[0] == ']' && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&'-') {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    if s[0] == '/' {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            '\\' => {
                chunk = &chunk[1..];
                if chunk.is_empty() {
                    return Err(());
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            c => {
                if !failed {
                    if c != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        return Ok((&[], false));
    }
    Ok((s, true))
}

/// One possibly escaped character of a class.
fn get_esc(chunk: &[char]) -> Result<(char, &[char]), ()> {
    if chunk.is_empty() || chunk[0] == '-' || chunk[0] == ']' {
        return Err(());
    }
    let (mut r, mut rest) = (chunk[0], &chunk[1..]);
    if r == '\\' {
        if rest.is_empty() {
            return Err(());
        }
        r = rest[0];
        rest = &rest[1..];
    }
    if rest.is_empty() {
        return Err(());
    }
    Ok((r, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_glob_semantics() {
        assert_eq!(glob_match("*.txt", "a.txt"), Ok(true));
        assert_eq!(glob_match("*.txt", "dir/a.txt"), Ok(false));
        assert_eq!(glob_match("a/*", "a/b"), Ok(true));
        assert_eq!(glob_match("a/*", "a/b/c"), Ok(false));
        assert_eq!(glob_match("a?c", "abc"), Ok(true));
        assert_eq!(glob_match("a?c", "a/c"), Ok(false));
        assert_eq!(glob_match("a[b-d].txt", "ac.txt"), Ok(true));
        assert_eq!(glob_match("a[^b-d].txt", "ac.txt"), Ok(false));
        assert_eq!(glob_match("a[^b-d].txt", "ae.txt"), Ok(true));
        assert_eq!(glob_match("\\*", "*"), Ok(true));
        assert_eq!(glob_match("[", "a"), Err(()));
        assert_eq!(glob_match("a[", "b"), Err(()));
        assert_eq!(glob_match("templates/.?*", "templates/.hidden"), Ok(true));
        assert_eq!(glob_match("templates/.?*", "templates/."), Ok(false));
        assert_eq!(glob_match("templates/.?*", "templates/x.yaml"), Ok(false));
        assert_eq!(glob_match("*", ""), Ok(true));
        assert_eq!(glob_match("*x", "xxx"), Ok(true));
    }

    #[test]
    fn helmignore_rules() {
        let mut r =
            Rules::parse("# comment\n\n.git/\n*.swp\n/top.txt\nsub/*.md\n  spaced  \n").unwrap();
        r.add_defaults();
        assert!(r.ignore_file(".git/config"));
        assert!(r.ignore_file("a/b.swp"));
        assert!(r.ignore_file("top.txt"));
        assert!(!r.ignore_file("x/top.txt"));
        assert!(r.ignore_file("sub/a.md"));
        assert!(!r.ignore_file("other/a.md"));
        assert!(r.ignore_file("spaced"));
        assert!(r.ignore_file("templates/.hidden.yaml"));
        assert!(!r.ignore_file("templates/deploy.yaml"));
        // `.git/` applies to directories only: a file named .git is kept.
        assert!(!r.ignore_file(".git"));
        assert!(Rules::parse("docs/**").is_err());
        assert!(Rules::parse("[").is_err());
    }

    #[test]
    fn helm_negation_ignores_what_does_not_match() {
        // Helm's `!` is not gitignore's: everything that does not match is ignored.
        let r = Rules::parse("!*.yaml").unwrap();
        assert!(!r.ignore_file("values.yaml"));
        assert!(r.ignore_file("README.md"));
        // A file under a directory: the directory is tested first and does not match.
        assert!(r.ignore_file("templates/deploy.yaml"));
    }
}
