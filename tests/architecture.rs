//! The import rule of ARCHITECTURE.md: a stage of the pipeline may use the stages below it,
//! never one above it or beside it. Each top-level module of `src/` has a rank; a `crate::…`
//! path in a module may name only modules of a lower rank (or the module itself).
//! There is no exception list: an import against the pipeline's direction fails the test,
//! and the fix is to move the code to the stage it belongs to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Ranks, bottom first. A module may use the modules of lower ranks.
const RANKS: &[(&str, u8)] = &[
    // Shared vocabulary and utilities: no stage of its own.
    ("model", 0),
    ("date", 0),
    ("textsafe", 0),
    ("bounded", 0),
    ("keyed_hash", 0),
    // The result of a scan, the baseline comparison's counts, exit codes.
    ("findings", 1),
    ("progress", 1),
    // The pipeline's stages, in order.
    ("source", 2),
    ("load", 3),
    ("policy", 4),
    ("live", 5),
    ("drift", 6),
    ("triage", 7),
    ("report", 8),
    // The orchestration: runs the stages in order, the merge-request gate as a mode.
    ("scan", 9),
    // The command line and its configuration.
    ("config", 10),
    ("cli", 11),
    // Test harness for the fuzz targets: drives every stage.
    ("fuzzing", 12),
];

/// The top-level modules named by `crate::NAME` paths in `text`, `use crate::{a, b::c}`
/// groups included.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        // `$crate::` in macros is not ours; a `crate::` inside an identifier is not a path.
        let before = rest[..i].chars().next_back();
        rest = after;
        if matches!(before, Some(c) if c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if depth == 0 && at_start && (c.is_alphanumeric() || c == '_') => {
                        item.push(c)
                    }
                    _ if depth == 0 && at_start && !item.is_empty() => {
                        out.insert(std::mem::take(&mut item));
                        at_start = false;
                    }
                    _ => {}
                }
            }
            if !item.is_empty() {
                out.insert(item);
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every (module → module) use between top-level modules of `src/`, with a file that
/// makes it.
fn uses() -> BTreeMap<(String, String), String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for to in crate_paths(&text) {
            if to != top {
                out.entry((top.clone(), to))
                    .or_insert_with(|| rel.display().to_string());
            }
        }
    }
    out
}

#[test]
fn stages_use_only_the_stages_below_them() {
    let rank: BTreeMap<&str, u8> = RANKS.iter().copied().collect();
    let mut unranked = BTreeSet::new();
    let mut new = Vec::new();
    for ((from, to), file) in uses() {
        let (Some(&rf), Some(&rt)) = (rank.get(from.as_str()), rank.get(to.as_str())) else {
            for m in [&from, &to] {
                if !rank.contains_key(m.as_str()) {
                    unranked.insert(m.clone());
                }
            }
            continue;
        };
        if rt < rf {
            continue;
        }
        new.push(format!("{file}: {from} (rank {rf}) uses {to} (rank {rt})"));
    }
    assert!(
        unranked.is_empty(),
        "modules without a rank (add them to RANKS and to ARCHITECTURE.md): {unranked:?}"
    );
    assert!(
        new.is_empty(),
        "imports against the pipeline's direction (move the code to the stage it belongs \
         to; see ARCHITECTURE.md):\n{}",
        new.join("\n")
    );
}

#[test]
fn the_path_reader_sees_groups_and_skips_macro_paths() {
    let found = crate_paths(
        "use crate::{load::{self, Document}, model::Pos};\n\
         let x = crate::policy::eval(); // $crate::report is a macro's\n\
         macro_rules! m { () => { $crate::report::x() } }",
    );
    assert_eq!(
        found,
        ["load", "model", "policy"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>()
    );
}
