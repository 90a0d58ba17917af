//! Load-time check that every function a policy calls exists.
//!
//! regorus reports an unknown builtin only when evaluation reaches the call, which may be
//! never (or only on some input). We find the calls in the source, set aside the functions
//! the policies declare, and ask the engine about each remaining name once.

use super::{PolicyError, PolicyFile};
use std::collections::{BTreeMap, BTreeSet};

/// `name(` call sites (dotted names) with their line, outside comments and strings.
pub fn call_sites(text: &str) -> Vec<(String, u32)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
                let name = &text[start..i];
                let preceded_by_dot = start > 0 && bytes[start - 1] == b'.';
                if !preceded_by_dot && bytes.get(i) == Some(&b'(') && !name.ends_with('.') {
                    out.push((name.to_string(), line));
                }
            }
            _ => i += 1,
        }
    }
    out
}

const KEYWORDS: [&str; 12] = [
    "if", "not", "some", "every", "in", "with", "as", "else", "contains", "default", "package",
    "import",
];

/// Errors on the first call to a function that is neither declared nor known to the engine.
pub fn check(
    files: &[PolicyFile],
    declared: &BTreeSet<String>,
    engine: &regorus::Engine,
) -> Result<(), PolicyError> {
    let mut unknown_cache: BTreeMap<String, bool> = BTreeMap::new();
    for file in files {
        for (name, line) in call_sites(&file.text) {
            let last = name.rsplit('.').next().unwrap_or(&name);
            if KEYWORDS.contains(&name.as_str())
                || name.starts_with("data.")
                || name.starts_with("input.")
                || declared.contains(last)
            {
                continue;
            }
            let unknown = *unknown_cache
                .entry(name.clone())
                .or_insert_with(|| is_unknown(engine, &name));
            if unknown {
                return Err(PolicyError {
                    file: file.path.clone(),
                    line: Some(line),
                    message: format!(
                        "unknown function {name}: it is not a builtin of plumbline's Rego \
                         engine, an extension, or a function declared in the loaded policies; \
                         fix the name, load the policy that declares it, or use a supported \
                         builtin (README, \"Writing policies\")"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Asks a clone of the engine to call `name` with no argument: an unknown function says so;
/// a known one fails differently (wrong arity) or succeeds.
fn is_unknown(engine: &regorus::Engine, name: &str) -> bool {
    let mut probe = engine.clone();
    match probe.eval_query(format!("{name}()"), false) {
        Ok(_) => false,
        Err(e) => format!("{e:#}").contains("could not find function"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_calls_outside_comments_and_strings() {
        let text = "package a\n# not(this)\nx := sprintf(\"f(%v)\", [1]) if {\n  lib.k8s.helper(input)\n  y := `raw(x)`\n}\n";
        let calls: Vec<_> = call_sites(text)
            .into_iter()
            .map(|(n, l)| format!("{n}@{l}"))
            .collect();
        assert_eq!(calls, ["sprintf@3", "lib.k8s.helper@4"]);
    }

    #[test]
    fn unknown_builtin_is_an_error_with_its_line() {
        let engine = regorus::Engine::new();
        let files = vec![PolicyFile {
            path: "p.rego".into(),
            text: "package p\n\ndeny contains m if {\n  m := foo.bar(input.kind)\n}\n".into(),
        }];
        let err = check(&files, &BTreeSet::new(), &engine).unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.contains("foo.bar"));
        let ok = vec![PolicyFile {
            path: "q.rego".into(),
            text: "package q\nx := count([1]) + to_number(\"2\")\n".into(),
        }];
        check(&ok, &BTreeSet::new(), &engine).unwrap();
    }
}
