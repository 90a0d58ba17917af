//! Dockerfiles and Containerfiles, in the shape of README "Input models → Dockerfiles".
//!
//! The parser follows BuildKit's rules: parser directives (`# syntax=`, `# escape=`) only at
//! the top, comment lines dropped (also inside a continuation), lines ending in the escape
//! character joined, heredocs (`<<EOF`, `<<-EOF`, quoted delimiters) read into the
//! instruction, leading `--flag=value` options split off, the JSON-array form recognised, and
//! `ARG`s declared before the first `FROM` substituted into base images.

use super::tree::{Entry, Node, Value};
use super::{decode_text, too_large, Document, LoadOptions, Loaded, SourceFile};
use crate::model::{NoteLevel, Notification, Pos, Subject};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Parses one Dockerfile into one document.
pub fn load(path: &str, bytes: &[u8], opts: &LoadOptions) -> Loaded {
    if bytes.len() as u64 > opts.max_file_bytes {
        return too_large(path, bytes.len() as u64, opts.max_file_bytes);
    }
    let mut out = Loaded::default();
    let text = match decode_text(path, bytes) {
        Ok(t) => t,
        Err(message) => {
            out.notifications.push(
                Notification::new(NoteLevel::Error, "encoding-error", message).at(path, None),
            );
            return out;
        }
    };
    let file = Arc::new(SourceFile::new(path.to_string(), text));
    let parsed = parse(&file.text);
    for (line, message) in &parsed.problems {
        out.notifications.push(
            Notification::new(
                NoteLevel::Warning,
                "dockerfile-syntax",
                format!("{path}:{line}: {message}"),
            )
            .at(path, Some(Pos::new(*line, 1))),
        );
    }
    let node = parsed.to_node(path);
    let mut doc = Document::new(Arc::clone(&file), 0, node);
    doc.subject = Some(Subject {
        source: "dockerfile".to_string(),
        kind: "Dockerfile".to_string(),
        address: path.to_string(),
        via: Vec::new(),
    });
    out.documents.push(doc);
    out
}

/// One instruction, continuations and heredocs joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Lower case (`from`, `run`).
    pub cmd: String,
    pub value: Vec<String>,
    pub flags: Vec<String>,
    /// The instruction as written, continuations joined (heredoc bodies on their own lines).
    pub original: String,
    /// Index of the stage it belongs to; -1 for `ARG`s before the first `FROM`.
    pub stage: i64,
    /// First line (1-based).
    pub line: u32,
    /// Written in the JSON-array form.
    pub json: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stage {
    pub name: String,
    pub base: String,
    pub image: String,
    pub tag: String,
    pub digest: String,
    pub platform: String,
    pub line: u32,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub directives: Vec<(String, String, u32)>,
    pub comments: Vec<(String, u32)>,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// Problems worth telling the user (line, message): an unterminated heredoc.
    pub problems: Vec<(u32, String)>,
}

/// Parses a Dockerfile's text.
pub fn parse(text: &str) -> Parsed {
    let lines: Vec<&str> = text.lines().collect();
    let mut p = Parsed::default();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: `# key=value` lines at the very top.
    while i < lines.len() {
        let Some((k, v)) = directive(lines[i]) else {
            break;
        };
        if k == "escape" && (v == "`" || v == "\\") {
            escape = v.chars().next().unwrap_or('\\');
        }
        p.directives.push((k, v, i as u32 + 1));
        i += 1;
    }
    let mut stage: i64 = -1;
    let mut global_args: BTreeMap<String, String> = BTreeMap::new();
    while i < lines.len() {
        let raw = lines[i];
        let trimmed = raw.trim_start();
        if trimmed.is_empty() {
            i += 1;
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            p.comments.push((c.trim().to_string(), i as u32 + 1));
            i += 1;
            continue;
        }
        let first_line = i as u32 + 1;
        // Join continuation lines.
        let mut logical = String::new();
        let mut original = String::new();
        loop {
            let line = lines[i];
            i += 1;
            let body = line.trim_end();
            if !original.is_empty() {
                original.push('\n');
            }
            original.push_str(line.trim_end_matches('\r'));
            match body.strip_suffix(escape) {
                Some(rest) => {
                    logical.push_str(rest);
                    // Skip comment and empty lines inside the continuation.
                    while i < lines.len() {
                        let t = lines[i].trim_start();
                        if t.starts_with('#') || t.is_empty() {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    if i >= lines.len() {
                        break;
                    }
                }
                None => {
                    logical.push_str(body);
                    break;
                }
            }
        }
        let logical = logical.trim().to_string();
        let (word, rest) = split_first_word(&logical);
        let cmd = word.to_ascii_lowercase();
        let (flags, args) = if matches!(
            cmd.as_str(),
            "from" | "run" | "copy" | "add" | "healthcheck"
        ) {
            split_flags(rest)
        } else {
            (Vec::new(), rest.to_string())
        };
        // Heredocs: the lines up to each delimiter belong to the instruction.
        let mut args = args;
        if matches!(cmd.as_str(), "run" | "copy" | "add") {
            for (delim, strip_tabs) in heredoc_delimiters(&args) {
                let mut body = Vec::new();
                let mut closed = false;
                while i < lines.len() {
                    let l = lines[i].trim_end_matches('\r');
                    i += 1;
                    original.push('\n');
                    original.push_str(l);
                    let cmp = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if cmp == delim {
                        closed = true;
                        break;
                    }
                    body.push(if strip_tabs { cmp } else { l });
                }
                if !closed {
                    p.problems.push((
                        first_line,
                        format!(
                            "heredoc <<{delim} is not terminated; the rest of the file was read \
                             as its body"
                        ),
                    ));
                }
                args.push('\n');
                args.push_str(&body.join("\n"));
                args.push('\n');
                args.push_str(&delim);
            }
        }
        if cmd == "from" {
            stage += 1;
        }
        let (value, json) = instruction_value(&cmd, &args);
        if cmd == "arg" && stage < 0 {
            for kv in &value {
                let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
                global_args.insert(k.to_string(), v.to_string());
            }
        }
        if cmd == "from" {
            p.stages
                .push(stage_of(&value, &flags, &global_args, first_line));
        }
        p.instructions.push(Instruction {
            cmd,
            value,
            flags,
            original,
            stage,
            line: first_line,
            json,
        });
    }
    p
}

/// `# syntax=docker/dockerfile:1` → ("syntax", "docker/dockerfile:1").
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?;
    let (k, v) = rest.split_once('=')?;
    let k = k.trim();
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((k.to_ascii_lowercase(), v.trim().to_string()))
}

fn split_first_word(s: &str) -> (&str, &str) {
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Leading `--flag[=value]` options.
fn split_flags(args: &str) -> (Vec<String>, String) {
    let mut flags = Vec::new();
    let mut rest = args.trim_start();
    while rest.starts_with("--") {
        let (flag, after) = split_first_word(rest);
        flags.push(flag.to_string());
        rest = after;
    }
    (flags, rest.to_string())
}

/// Delimiters of the heredocs an instruction opens (`<<EOF`, `<<-EOF`, `<<"EOF"`).
fn heredoc_delimiters(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(i) = rest.find("<<") {
        let after = &rest[i + 2..];
        let (strip, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let word: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '&' | '|' | '>' | '<'))
            .collect();
        let delim = word.trim_matches(|c| c == '"' || c == '\'').to_string();
        rest = &after[word.len()..];
        if !delim.is_empty() && delim.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push((delim, strip));
        }
    }
    out
}

/// The arguments as the model presents them, and whether they were a JSON array.
fn instruction_value(cmd: &str, args: &str) -> (Vec<String>, bool) {
    let exec_form = matches!(
        cmd,
        "run" | "cmd" | "entrypoint" | "shell" | "copy" | "add" | "volume"
    );
    if exec_form && args.trim_start().starts_with('[') {
        if let Ok(items) = serde_json::from_str::<Vec<String>>(args.trim()) {
            return (items, true);
        }
    }
    match cmd {
        "run" | "cmd" | "entrypoint" | "shell" | "maintainer" | "onbuild" => {
            (vec![args.to_string()], false)
        }
        "env" | "label" | "arg" => (key_values(cmd, args), false),
        "healthcheck" => {
            let (first, rest) = split_first_word(args);
            if first.eq_ignore_ascii_case("cmd") {
                let rest = rest.trim();
                if rest.starts_with('[') {
                    if let Ok(items) = serde_json::from_str::<Vec<String>>(rest) {
                        let mut v = vec!["CMD".to_string()];
                        v.extend(items);
                        return (v, true);
                    }
                }
                (vec!["CMD".to_string(), rest.to_string()], false)
            } else {
                (words(args), false)
            }
        }
        _ => (words(args), false),
    }
}

/// Whitespace-separated words; quotes group and are removed.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `ENV A=1 B="x y"` → `["A=1", "B=x y"]`; the legacy `ENV A some value` → `["A=some value"]`.
fn key_values(cmd: &str, args: &str) -> Vec<String> {
    let ws = words(args);
    if cmd != "arg" && !ws.is_empty() && !ws[0].contains('=') {
        let (k, v) = split_first_word(args);
        let v: String = words(v).join(" ");
        return vec![format!("{k}={v}")];
    }
    ws
}

fn substitute(s: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, default, len) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    let body = &inner[..end];
                    let (n, d) = match body.split_once(":-") {
                        Some((n, d)) => (n, Some(d)),
                        None => (body, None),
                    };
                    (n.to_string(), d.map(str::to_string), end + 2)
                }
                None => (String::new(), None, 0),
            }
        } else {
            let n: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let len = n.len();
            (n, None, len)
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        match (args.get(&name).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(v),
            (None, Some(d)) => out.push_str(&d),
            // Declared without a value: empty, as the builder does.
            (None, None) if args.contains_key(&name) => {}
            // Not declared before FROM (`$BUILDPLATFORM`): known only to the builder.
            (None, None) => out.push_str(&rest[i..i + 1 + len]),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

fn stage_of(
    value: &[String],
    flags: &[String],
    args: &BTreeMap<String, String>,
    line: u32,
) -> Stage {
    let base = value
        .first()
        .map(|b| substitute(b, args))
        .unwrap_or_default();
    let name = match value {
        [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => name.clone(),
        _ => String::new(),
    };
    let platform = flags
        .iter()
        .find_map(|f| f.strip_prefix("--platform="))
        .map(|p| substitute(p, args))
        .unwrap_or_default();
    let (rest, digest) = match base.split_once('@') {
        Some((r, d)) => (r.to_string(), d.to_string()),
        None => (base.clone(), String::new()),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (image, tag) = match rest[slash..].rfind(':') {
        Some(c) => (
            rest[..slash + c].to_string(),
            rest[slash + c + 1..].to_string(),
        ),
        None => (rest.clone(), String::new()),
    };
    Stage {
        name,
        base,
        image,
        tag,
        digest,
        platform,
        line,
    }
}

impl Parsed {
    /// The document of the model, each instruction and stage at its line.
    pub fn to_node(&self, path: &str) -> Node {
        let top = Pos::new(1, 1);
        let s = |v: &str, at: Pos| Node::new(Value::Str(v.to_string()), at, None);
        let strs = |vs: &[String], at: Pos| {
            Node::new(Value::Seq(vs.iter().map(|v| s(v, at)).collect()), at, None)
        };
        let map = |entries: Vec<(&str, Node)>, at: Pos| {
            Node::new(
                Value::Map(
                    entries
                        .into_iter()
                        .map(|(k, v)| Entry {
                            key: k.to_string(),
                            key_start: at,
                            key_end_byte: None,
                            value: v,
                        })
                        .collect(),
                ),
                at,
                None,
            )
        };
        let stages = self
            .stages
            .iter()
            .map(|st| {
                let at = Pos::new(st.line, 1);
                map(
                    vec![
                        ("name", s(&st.name, at)),
                        ("base", s(&st.base, at)),
                        ("image", s(&st.image, at)),
                        ("tag", s(&st.tag, at)),
                        ("digest", s(&st.digest, at)),
                        ("platform", s(&st.platform, at)),
                        ("line", Node::new(Value::Int(i64::from(st.line)), at, None)),
                    ],
                    at,
                )
            })
            .collect();
        let instructions = self
            .instructions
            .iter()
            .map(|ins| {
                let at = Pos::new(ins.line, 1);
                map(
                    vec![
                        ("cmd", s(&ins.cmd, at)),
                        ("value", strs(&ins.value, at)),
                        ("flags", strs(&ins.flags, at)),
                        ("original", s(&ins.original, at)),
                        ("stage", Node::new(Value::Int(ins.stage), at, None)),
                        ("line", Node::new(Value::Int(i64::from(ins.line)), at, None)),
                        ("json", Node::new(Value::Bool(ins.json), at, None)),
                    ],
                    at,
                )
            })
            .collect();
        let directives = self
            .directives
            .iter()
            .map(|(k, v, line)| {
                let at = Pos::new(*line, 1);
                (k.as_str(), s(v, at))
            })
            .collect();
        let comments = self
            .comments
            .iter()
            .map(|(text, line)| {
                let at = Pos::new(*line, 1);
                map(
                    vec![
                        ("text", s(text, at)),
                        ("line", Node::new(Value::Int(i64::from(*line)), at, None)),
                    ],
                    at,
                )
            })
            .collect();
        map(
            vec![
                ("source", s("dockerfile", top)),
                ("type", s("Dockerfile", top)),
                ("address", s(path, top)),
                ("directives", map(directives, top)),
                ("stages", Node::new(Value::Seq(stages), top, None)),
                (
                    "instructions",
                    Node::new(Value::Seq(instructions), top, None),
                ),
                ("comments", Node::new(Value::Seq(comments), top, None)),
            ],
            top,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_quoted_groups() {
        assert_eq!(words(r#"A=1 B="x y" 'c d'"#), ["A=1", "B=x y", "c d"]);
    }

    #[test]
    fn image_references_split_into_parts() {
        let st = stage_of(
            &["registry:5000/team/app:1.2@sha256:abc".to_string()],
            &[],
            &BTreeMap::new(),
            1,
        );
        assert_eq!(
            (st.image.as_str(), st.tag.as_str(), st.digest.as_str()),
            ("registry:5000/team/app", "1.2", "sha256:abc")
        );
        let st = stage_of(
            &["registry:5000/team/app".to_string()],
            &[],
            &BTreeMap::new(),
            1,
        );
        assert_eq!(
            (st.image.as_str(), st.tag.as_str()),
            ("registry:5000/team/app", "")
        );
    }
}
