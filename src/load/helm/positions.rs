//! Which values line set a rendered value. A rendered field placed on a template line that
//! reads `.Values` (directly, through `toYaml`, or as `.` inside `with .Values.x`) is looked
//! up in the values the release was rendered with, highest precedence first (the release's
//! values, then the chart's `values.yaml`); when a values entry at that path holds the same
//! value, the field is placed on the values line, and the template line is kept as the place
//! that emitted it (a related location of the findings on the field).
//!
//! A field the template writes itself, or that comes from a helper (`include`), stays on its
//! template line.

use crate::load::tree::{Entry, Node, Value};
use crate::load::Document;
use crate::model::{PathSeg, SourceFile};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The most fields of one document placed on values lines (each takes a file slot).
const MAX_PLACED: usize = 4096;

/// Values the chart was rendered with, as written in a file: the tree of the values, where
/// it is, and the path of the chart's `.Values` it stands for (`[]` for the chart's own,
/// `["sub"]` for a parent's values of subchart `sub`).
#[derive(Debug, Clone)]
pub struct ValuesSource {
    pub file: Arc<SourceFile>,
    pub root: Node,
    /// The chart (the `# Source` prefix: `web`, `web/charts/sub`) whose `.Values` this
    /// source is for, once `prefix` is removed.
    pub chart: String,
    pub prefix: Vec<String>,
}

/// Places the fields of `doc` (rendered from template `template_text` of chart `chart`) that
/// came from values on their values lines. `sources` is in precedence order, highest first.
pub fn place_values(
    doc: &mut Document,
    template_text: &str,
    chart: &str,
    sources: &[ValuesSource],
) {
    let sources: Vec<&ValuesSource> = sources.iter().filter(|s| s.chart == chart).collect();
    if sources.is_empty() || !template_text.contains(".Values") && !template_text.contains("with ")
    {
        return;
    }
    let lines: Vec<&str> = template_text.lines().collect();
    let mut bases: BTreeMap<u32, Vec<Vec<String>>> = BTreeMap::new();
    let mut ctx = Ctx {
        lines: &lines,
        bases: &mut bases,
        sources: &sources,
        files: Vec::new(),
        emitted: Vec::new(),
    };
    let mut path = Vec::new();
    walk(&mut doc.node, &mut path, &mut ctx);
    let first = doc.extra_files.len();
    for (i, (file, line)) in ctx.files.into_iter().zip(ctx.emitted).enumerate() {
        doc.extra_files.push(file);
        doc.emitted.push(((first + i + 1) as u16, line));
    }
}

struct Ctx<'a> {
    lines: &'a [&'a str],
    bases: &'a mut BTreeMap<u32, Vec<Vec<String>>>,
    sources: &'a [&'a ValuesSource],
    /// The file of each placed field (one slot each), and its template line.
    files: Vec<Arc<SourceFile>>,
    emitted: Vec<u32>,
}

fn walk(node: &mut Node, path: &mut Vec<PathSeg>, ctx: &mut Ctx) {
    match &mut node.value {
        Value::Map(entries) => {
            for e in entries.iter_mut() {
                path.push(PathSeg::Key(e.key.clone()));
                if let Some((ventry, vnode, file)) = find(ctx, &e.value, path) {
                    // The template line of the key: where a reader of the template sees the
                    // field (a mapping printed by `toYaml` starts on the next line).
                    if let Some(src) = slot(ctx, file, e.key_start.line) {
                        if let Some(ve) = ventry {
                            e.key_start = ve.key_start;
                            e.key_end_byte = ve.key_end_byte;
                        }
                        e.value.start = vnode.start;
                        e.value.end_byte = vnode.end_byte;
                        e.value.src = src;
                    }
                }
                walk(&mut e.value, path, ctx);
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(PathSeg::Index(i));
                if item.is_scalar() {
                    if let Some((_, vnode, file)) = find(ctx, item, path) {
                        if let Some(src) = slot(ctx, file, item.start.line) {
                            item.start = vnode.start;
                            item.end_byte = vnode.end_byte;
                            item.src = src;
                        }
                    }
                }
                walk(item, path, ctx);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A file slot for one placed field (`Node::src`), remembering its template line.
fn slot(ctx: &mut Ctx, file: Arc<SourceFile>, template_line: u32) -> Option<u16> {
    if ctx.files.len() >= MAX_PLACED {
        return None;
    }
    ctx.files.push(file);
    ctx.emitted.push(template_line);
    Some(ctx.files.len() as u16)
}

type Found<'s> = (Option<Entry>, Node, Arc<SourceFile>);

/// The values entry that set the rendered `node` at `path`, if its template line reads
/// values and one of them holds the same value.
fn find<'s>(ctx: &mut Ctx<'s>, node: &Node, path: &[PathSeg]) -> Option<Found<'s>> {
    if node.src != 0 {
        return None;
    }
    let line = node.start.line;
    let lines = ctx.lines;
    let bases: &Vec<Vec<String>> = ctx
        .bases
        .entry(line)
        .or_insert_with(|| bases_of(lines, line as usize));
    if bases.is_empty() {
        return None;
    }
    let keys: Vec<&PathSeg> = path.iter().collect();
    for base in bases {
        // The base itself, then the base with the rendered path's last steps (`toYaml
        // .Values.sc` printed `privileged` under it).
        for k in 0..=keys.len().min(8) {
            let tail = &keys[keys.len() - k..];
            for s in ctx.sources {
                let Some(rest) = base_in(s, base) else {
                    continue;
                };
                let Some((entry, vnode)) = lookup(&s.root, &rest, tail) else {
                    continue;
                };
                if same(node, vnode, bases.len() > 1 || k == 0)
                    || merged_map(node, ctx.sources, base, tail)
                {
                    return Some((entry.cloned(), vnode.clone(), Arc::clone(&s.file)));
                }
                // A higher-precedence source that has the path with another value decides:
                // the rendered value did not come from a lower one.
                break;
            }
        }
    }
    None
}

/// `base` (a path of the chart's `.Values`) within source `s`: the source's own path.
fn base_in(s: &ValuesSource, base: &[String]) -> Option<Vec<String>> {
    let mut out = s.prefix.clone();
    out.extend(base.iter().cloned());
    Some(out)
}

fn lookup<'a>(
    root: &'a Node,
    base: &[String],
    tail: &[&PathSeg],
) -> Option<(Option<&'a Entry>, &'a Node)> {
    let mut node = root;
    let mut entry = None;
    let steps = base
        .iter()
        .map(|k| PathSeg::Key(k.clone()))
        .chain(tail.iter().map(|s| (*s).clone()));
    for step in steps {
        match (&step, &node.value) {
            (PathSeg::Key(k), Value::Map(entries)) => {
                let e = entries.iter().find(|e| &e.key == k)?;
                entry = Some(e);
                node = &e.value;
            }
            (PathSeg::Index(i), Value::Seq(items)) => {
                node = items.get(*i)?;
                entry = None;
            }
            _ => return None,
        }
    }
    Some((entry, node))
}

/// Whether the rendered mapping's keys all come from the mappings the sources hold at the
/// path (Helm merged them: the release set some keys, `values.yaml` the others).
fn merged_map(node: &Node, sources: &[&ValuesSource], base: &[String], tail: &[&PathSeg]) -> bool {
    let Value::Map(rendered) = &node.value else {
        return false;
    };
    let mut keys: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for s in sources {
        let Some(rest) = base_in(s, base) else {
            continue;
        };
        if let Some((
            _,
            Node {
                value: Value::Map(m),
                ..
            },
        )) = lookup(&s.root, &rest, tail)
        {
            keys.extend(m.iter().map(|e| e.key.as_str()));
        }
    }
    !rendered.is_empty() && rendered.iter().all(|e| keys.contains(e.key.as_str()))
}

/// Whether the rendered node holds what the values node holds: the same scalar (or, when
/// the template line prints several values into one string, a part of it), or a mapping
/// whose keys all come from the values mapping.
fn same(rendered: &Node, values: &Node, partial: bool) -> bool {
    match (&rendered.value, &values.value) {
        (Value::Map(r), Value::Map(v)) => {
            !r.is_empty() && r.iter().all(|e| v.iter().any(|x| x.key == e.key))
        }
        (Value::Seq(r), Value::Seq(v)) => !r.is_empty() && r.len() == v.len(),
        (a, b) => match (scalar_text(a), scalar_text(b)) {
            (Some(a), Some(b)) => a == b || (partial && b.len() >= 2 && a.contains(&b)),
            _ => false,
        },
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null | Value::Seq(_) | Value::Map(_) => return None,
    })
}

fn values_ref() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)").expect("regex")
    })
}

fn relative_ref() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?:^|[\s(|])\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)?(?:[\s)|]|$)",
        )
        .expect("regex")
    })
}

/// The actions of one template line (`{{ … }}`, without delimiters and trim markers).
fn actions(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        out.push(after[..j].trim_matches(|c: char| c == '-' || c.is_whitespace()));
        rest = &after[j + 2..];
    }
    out
}

/// The `.Values` paths template line `line` (1-based) reads: `.Values.a.b` written there,
/// and `.`/`.x` inside an enclosing `with .Values.w`.
fn bases_of(lines: &[&str], line: usize) -> Vec<Vec<String>> {
    let Some(text) = lines.get(line.wrapping_sub(1)) else {
        return Vec::new();
    };
    let acts = actions(text);
    if acts.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for a in &acts {
        for c in values_ref().captures_iter(a) {
            out.push(split(&c[1]));
        }
    }
    if let Some(with) = enclosing_with(lines, line - 1) {
        for a in &acts {
            if a.starts_with("end") || a.starts_with("with ") {
                continue;
            }
            for c in relative_ref().captures_iter(a) {
                let rel = c.get(1).map_or("", |m| m.as_str());
                let first = rel.split('.').next().unwrap_or("");
                if matches!(
                    first,
                    "Values" | "Release" | "Chart" | "Capabilities" | "Template" | "Files"
                ) {
                    continue;
                }
                let mut p = with.clone();
                p.extend(split(&format!(".{rel}")));
                out.push(p);
            }
        }
    }
    out.dedup();
    out
}

fn split(dotted: &str) -> Vec<String> {
    dotted
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `.Values` path of the innermost `with` block enclosing the line at index `before`
/// (0-based; the lines above it are searched), when nothing between rebinds `.`.
fn enclosing_with(lines: &[&str], before: usize) -> Option<Vec<String>> {
    let mut depth = 0usize;
    for i in (0..before).rev() {
        for a in actions(lines[i]).into_iter().rev() {
            let word = a.split_whitespace().next().unwrap_or("");
            match word {
                "end" => depth += 1,
                "if" | "with" | "range" | "define" | "block" => {
                    if depth > 0 {
                        depth -= 1;
                        continue;
                    }
                    match word {
                        "if" => {}
                        "with" => {
                            let arg = a["with".len()..].trim();
                            // `with $x := .Values.y` binds `.` too.
                            let arg = arg.rsplit(":=").next().unwrap_or(arg).trim();
                            let c = values_ref().captures(arg)?;
                            if c.get(0)?.start() != 0 {
                                return None;
                            }
                            return Some(split(&c[1]));
                        }
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_the_values_it_names_and_its_with_block() {
        let t = "spec:\n  {{- with .Values.podSecurityContext }}\n  securityContext:\n    {{- toYaml . | nindent 8 }}\n  {{- end }}\n  image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n  {{- if .Values.x }}\n  a: {{ .y }}\n  {{- end }}\n";
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            bases_of(&lines, 4),
            vec![vec!["podSecurityContext".to_string()]]
        );
        assert_eq!(
            bases_of(&lines, 6),
            vec![
                vec!["image".to_string(), "repository".to_string()],
                vec!["image".to_string(), "tag".to_string()]
            ]
        );
        // After the `with` block ends, `.` is the top again.
        assert!(bases_of(&lines, 8).is_empty());
        assert!(bases_of(&lines, 3).is_empty());
    }
}
