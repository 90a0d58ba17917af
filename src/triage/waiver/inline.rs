//! Waivers written in the scanned YAML files: `# plumbline:ignore …` comments and the
//! `plumbline.dev/ignore` annotation.
//!
//! The loader keeps no comments, so comments are found in the file text with a small line
//! lexer that knows what is *not* a comment: `#` inside quotes, inside a block scalar (`|`,
//! `>`), or not preceded by a space. Each waiver comment is then placed:
//!
//! - in the **header of a document** — comment lines between the `---` (or the start of the
//!   file) and the first key, a comment at the end of the first key's line, or comment lines
//!   right after the first key: it applies to every finding of that document, and to no other
//!   document, file or resource. At the top of an item of a `kind: List`, it applies to that
//!   item only;
//! - anywhere else, on the line of a finding (a trailing comment) or on the line(s) directly
//!   above it (comment lines only, no blank line between): it applies to findings that start
//!   on that line.
//!
//! The annotation `plumbline.dev/ignore` holds the grammar without the marker
//! (`RULE-ID[,RULE-ID] reason="…" [until=YYYY-MM-DD]`) and applies to the object that
//! carries it. On a workload, the annotation of its pod template
//! (`spec.template.metadata`, `spec.jobTemplate.spec.template.metadata` for a CronJob,
//! `template.metadata` for a PodTemplate) applies to the whole object too: charts often let
//! users set only pod annotations, and every pod-security finding is about the pod template.
//! Annotation values are never echoed in messages (they may sit on a Secret).

use super::grammar::{self, Directive, MARKER};
use super::{invalid, Target, Waiver};
use crate::load::Document;
use crate::model::{Notification, Pos, SuppressionKind};
use std::collections::BTreeMap;

/// The annotation that waives findings on a Kubernetes object.
pub const ANNOTATION: &str = "plumbline.dev/ignore";

/// Where, under a document, annotations that waive for the whole object may be.
const ANNOTATION_HOLDERS: [&[&str]; 4] = [
    &["metadata"],
    &["spec", "template", "metadata"],
    &["spec", "jobTemplate", "spec", "template", "metadata"],
    &["template", "metadata"],
];

/// The waivers written in one file (all `documents` come from the same file), and the
/// notifications for waivers that cannot be read.
pub fn collect(documents: &[Document]) -> (Vec<Waiver>, Vec<Notification>) {
    let mut waivers = Vec::new();
    let mut notes = Vec::new();
    // A group (a Terraform module, a rendered overlay) spans several files: each file's
    // comments are placed among the documents it declares.
    let mut by_file: BTreeMap<&str, Vec<&Document>> = BTreeMap::new();
    for doc in documents {
        if doc.subject.is_none() {
            annotations(doc, &mut waivers, &mut notes);
        }
        by_file.entry(doc.file.path.as_str()).or_default().push(doc);
    }
    // A resource of a module from outside the tree is reported at the `module` block that
    // calls it: the comments of that file waive it even when no resource is declared there.
    let mut callers: BTreeMap<&str, &std::sync::Arc<crate::model::SourceFile>> = BTreeMap::new();
    for o in documents.iter().filter_map(|d| d.module_origin.as_ref()) {
        if !by_file.contains_key(o.file.path.as_str()) && o.file.text.contains(MARKER) {
            callers.insert(o.file.path.as_str(), &o.file);
        }
    }
    for (path, file) in callers {
        code_comments(path, &file.text, &[], &mut waivers, &mut notes);
    }
    for (path, docs) in by_file {
        let file = &docs[0].file;
        if !file.text.contains(MARKER) {
            continue;
        }
        match crate::source::Format::of_path(path) {
            Some(crate::source::Format::Terraform | crate::source::Format::Dockerfile) => {
                code_comments(path, &file.text, &docs, &mut waivers, &mut notes)
            }
            _ if docs.iter().any(|d| d.subject.is_some()) => {
                // CloudFormation: resource blocks, and lines, as in Terraform.
                code_comments(path, &file.text, &docs, &mut waivers, &mut notes)
            }
            _ => comments_of(path, &file.text, &docs, &mut waivers, &mut notes),
        }
    }
    // The values files of rendered Helm objects: a waiver comment on (or directly above) the
    // values line that set a field covers the findings placed on that line.
    let own: std::collections::BTreeSet<&str> =
        documents.iter().map(|d| d.file.path.as_str()).collect();
    let mut values_files: BTreeMap<&str, &crate::model::SourceFile> = BTreeMap::new();
    for doc in documents {
        for (src, _) in &doc.emitted {
            let Some(f) = usize::from(*src)
                .checked_sub(1)
                .and_then(|i| doc.extra_files.get(i))
            else {
                continue;
            };
            if !own.contains(f.path.as_str()) {
                values_files.insert(f.path.as_str(), f);
            }
        }
    }
    for (path, f) in values_files {
        if f.text.contains(MARKER) {
            comments_of(path, &f.text, &[], &mut waivers, &mut notes);
        }
    }
    (waivers, notes)
}

/// Waiver comments in Terraform (`#`, `//`), Dockerfiles and CloudFormation: on the first
/// line of a resource block or on the comment lines directly above it, a waiver covers the
/// whole resource (every instance); on any other line, or directly above it, it covers the
/// findings that start on that line.
fn code_comments(
    path: &str,
    text: &str,
    docs: &[&Document],
    waivers: &mut Vec<Waiver>,
    notes: &mut Vec<Notification>,
) {
    let lines: Vec<&str> = text.lines().collect();
    let comment_of = |line: &str| -> Option<(u32, usize)> {
        // The first `#` or `//` outside double quotes.
        let bytes = line.as_bytes();
        let mut quoted = false;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b'#' if !quoted => return Some((char_col(line, i), i + 1)),
                b'/' if !quoted && bytes.get(i + 1) == Some(&b'/') => {
                    return Some((char_col(line, i), i + 2))
                }
                _ => {}
            }
            i += 1;
        }
        None
    };
    let only_comment = |n: usize| -> bool {
        lines.get(n).is_some_and(|l| {
            let t = l.trim_start();
            t.starts_with('#') || t.starts_with("//")
        })
    };
    // First line of each resource block declared in this file → its block target.
    let mut blocks: BTreeMap<u32, Target> = BTreeMap::new();
    for d in docs {
        if let Some(s) = &d.subject {
            let target = Target::Block {
                file: path.to_string(),
                local: super::local_address(&s.address).to_string(),
            };
            let first = d.node.start.line;
            blocks.entry(first).or_insert_with(|| target.clone());
            let mut above = first.saturating_sub(1);
            while above >= 1 && only_comment(above as usize - 1) {
                blocks.entry(above).or_insert_with(|| target.clone());
                above -= 1;
            }
        }
    }
    let mut heredoc: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        if let Some(at) = line.find("<<") {
            let tag: String = line[at + 2..]
                .trim_start_matches(['-', '~', '\'', '"'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !tag.is_empty() && !line[..at].contains('#') {
                heredoc = Some(tag);
            }
        }
        let Some((col, from)) = comment_of(line) else {
            continue;
        };
        let Some(parsed) = grammar::parse_comment(&line[from..]) else {
            continue;
        };
        let number = i as u32 + 1;
        let pos = Pos::new(number, col);
        let directive = match parsed {
            Ok(d) => d,
            Err(e) => {
                notes.push(invalid(path, pos, &e.to_string()));
                continue;
            }
        };
        let target = if let Some(t) = blocks.get(&number) {
            t.clone()
        } else if !only_comment(i) {
            Target::Line {
                file: path.to_string(),
                line: number,
            }
        } else {
            let mut next = i + 1;
            while only_comment(next) {
                next += 1;
            }
            match lines.get(next) {
                Some(l) if !l.trim().is_empty() => match blocks.get(&(next as u32 + 1)) {
                    Some(t) => t.clone(),
                    None => Target::Line {
                        file: path.to_string(),
                        line: next as u32 + 1,
                    },
                },
                _ => {
                    notes.push(invalid(
                        path,
                        pos,
                        "a waiver comment applies to the line it ends, or to the line directly \
                         below it, and nothing follows this one; move it onto or above the line \
                         of the finding, or above the resource block",
                    ));
                    continue;
                }
            }
        };
        push(waivers, notes, directive, target, path, pos);
    }
}

fn annotations(doc: &Document, waivers: &mut Vec<Waiver>, notes: &mut Vec<Notification>) {
    let path = &doc.file.path;
    for holder in ANNOTATION_HOLDERS {
        let mut node = Some(&doc.node);
        for key in holder {
            node = node.and_then(|n| n.get(key));
        }
        let Some(value) = node
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(ANNOTATION))
        else {
            continue;
        };
        let pos = value.start;
        let Some(text) = value.as_str() else {
            notes.push(invalid(
                path,
                pos,
                &format!("the {ANNOTATION} annotation must be a string"),
            ));
            continue;
        };
        match grammar::parse_spec(text) {
            Ok(d) => push(
                waivers,
                notes,
                d,
                Target::Resource {
                    file: path.clone(),
                    document: doc.index,
                    resource: doc.resource.clone(),
                },
                path,
                pos,
            ),
            Err(e) => notes.push(invalid(
                path,
                pos,
                &format!("annotation {ANNOTATION}: {e}")
                    .replace("write `plumbline:ignore RULE-ID", "write `RULE-ID"),
            )),
        }
    }
}

fn push(
    waivers: &mut Vec<Waiver>,
    notes: &mut Vec<Notification>,
    d: Directive,
    target: Target,
    file: &str,
    pos: Pos,
) {
    match Waiver::new(
        d.rules,
        target,
        d.reason,
        SuppressionKind::InSource,
        file.to_string(),
        pos,
    ) {
        Ok(mut w) => {
            w.expires = d.until;
            waivers.push(w);
        }
        Err(e) => notes.push(invalid(file, pos, &e)),
    }
}

/// What a line of YAML is, for placing comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    /// Only a comment.
    Comment,
    /// A key, a value or a sequence item (maybe with a trailing comment).
    Content,
    /// `---` or `...` at column 1.
    Separator,
    /// `%YAML`, `%TAG`.
    Directive,
    /// Inside a block scalar: text, never a comment.
    BlockText,
}

#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    kind: Kind,
    /// A comment on the line: its 1-based column and its text after `#`.
    comment: Option<(u32, &'t str)>,
}

/// Classifies every line (index 0 is line 1).
fn lex(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    // Lines more indented than this belong to the open block scalar.
    let mut block: Option<usize> = None;
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let trimmed = line.trim_start();
        if let Some(parent) = block {
            if trimmed.is_empty() || indent > parent {
                out.push(Line {
                    kind: Kind::BlockText,
                    comment: None,
                });
                continue;
            }
            block = None;
        }
        let kind;
        let mut comment = None;
        if trimmed.is_empty() {
            kind = Kind::Blank;
        } else if is_separator(line) {
            kind = Kind::Separator;
            comment = comment_in(line, 3);
        } else if line.starts_with('%') {
            kind = Kind::Directive;
        } else if let Some(body) = trimmed.strip_prefix('#') {
            kind = Kind::Comment;
            comment = Some((char_col(line, indent), body));
        } else {
            kind = Kind::Content;
            comment = comment_in(line, indent);
            let content = match comment {
                Some((col, _)) => {
                    let byte = line
                        .char_indices()
                        .nth(col as usize - 1)
                        .map_or(0, |(b, _)| b);
                    &line[..byte]
                }
                None => line,
            };
            block = block_scalar_parent(content, indent);
        }
        out.push(Line { kind, comment });
    }
    out
}

fn is_separator(line: &str) -> bool {
    ["---", "..."].iter().any(|m| {
        line.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

fn char_col(line: &str, byte: usize) -> u32 {
    line[..byte].chars().count() as u32 + 1
}

/// The comment of a content line: a `#` outside quotes, at the start or after a space.
fn comment_in(line: &str, from: usize) -> Option<(u32, &str)> {
    let mut quote: Option<char> = None;
    let mut prev: Option<char> = if from == 0 {
        None
    } else {
        line[..from].chars().last()
    };
    let mut escaped = false;
    for (i, c) in line[from..].char_indices() {
        let i = i + from;
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => {
                let at_token_start = prev.is_none_or(|p| p.is_whitespace() || "[{,".contains(p));
                if (c == '"' || c == '\'') && at_token_start {
                    quote = Some(c);
                } else if c == '#' && prev.is_none_or(char::is_whitespace) {
                    return Some((char_col(line, i), &line[i + 1..]));
                }
            }
        }
        prev = Some(c);
    }
    None
}

/// When a content line opens a block scalar (`key: |`, `- >-`), the indentation its text
/// must exceed.
fn block_scalar_parent(content: &str, indent: usize) -> Option<usize> {
    let body = content.trim_end();
    let token = body.rsplit([' ', '\t']).next()?;
    let is_indicator = token.starts_with(['|', '>'])
        && token[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == '-');
    if !is_indicator {
        return None;
    }
    // The parent node starts after any `- ` of sequence items on this line.
    let mut pos = indent;
    let mut rest = &body[indent..];
    while let Some(after) = rest.strip_prefix('-') {
        if !(after.starts_with(' ') || after.is_empty()) {
            break;
        }
        let spaces = after.len() - after.trim_start_matches(' ').len();
        if after.trim_start() == token {
            // `- |`: the scalar is the item itself; its text is indented past the dash.
            return Some(pos);
        }
        pos += 1 + spaces;
        rest = &after[spaces..];
    }
    Some(pos)
}

/// Finds the waiver comments of a file and decides what each one covers.
fn comments_of(
    path: &str,
    text: &str,
    documents: &[&Document],
    waivers: &mut Vec<Waiver>,
    notes: &mut Vec<Notification>,
) {
    let lines = lex(text);
    let kind_of = |line: u32| -> Kind {
        (line as usize)
            .checked_sub(1)
            .and_then(|i| lines.get(i))
            .map_or(Kind::Blank, |l| l.kind)
    };
    // Header comments: line → target.
    let mut header: BTreeMap<u32, Target> = BTreeMap::new();
    let mut by_index: BTreeMap<usize, Vec<&Document>> = BTreeMap::new();
    for d in documents {
        by_index.entry(d.index).or_default().push(d);
    }
    for (index, docs) in &by_index {
        let first_known = docs.iter().map(|d| d.node.start.line).min().unwrap_or(1);
        // The document starts after the last separator above its first node.
        let sep = (1..first_known)
            .rev()
            .find(|&l| kind_of(l) == Kind::Separator)
            .unwrap_or(0);
        let Some(first) = (sep + 1..=first_known).find(|&l| kind_of(l) == Kind::Content) else {
            continue;
        };
        let doc_target = || Target::Document {
            file: path.to_string(),
            document: *index,
        };
        if sep > 0 {
            header.insert(sep, doc_target());
            // Comments above the first `---` of a file belong to the first document.
            let preamble = 1..sep;
            if preamble
                .clone()
                .all(|l| matches!(kind_of(l), Kind::Comment | Kind::Blank | Kind::Directive))
            {
                for l in preamble {
                    header.insert(l, doc_target());
                }
            }
        }
        for l in sep + 1..first {
            header.insert(l, doc_target());
        }
        mark_around(&mut header, first, &kind_of, doc_target);
        // Items of a `kind: List`: their own headers, directly around their first line.
        for d in docs.iter().filter(|d| d.node.start.line > first) {
            let item = d.node.start.line;
            let item_target = || Target::Resource {
                file: path.to_string(),
                document: *index,
                resource: d.resource.clone(),
            };
            let mut above = item - 1;
            while above > first && kind_of(above) == Kind::Comment {
                header.entry(above).or_insert_with(item_target);
                above -= 1;
            }
            mark_around(&mut header, item, &kind_of, item_target);
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let Some((col, body)) = line.comment else {
            continue;
        };
        let Some(parsed) = grammar::parse_comment(body) else {
            continue;
        };
        let number = i as u32 + 1;
        let pos = Pos::new(number, col);
        let directive = match parsed {
            Ok(d) => d,
            Err(e) => {
                notes.push(invalid(path, pos, &e.to_string()));
                continue;
            }
        };
        let target = if let Some(t) = header.get(&number) {
            t.clone()
        } else if line.kind == Kind::Content {
            Target::Line {
                file: path.to_string(),
                line: number,
            }
        } else {
            // A comment line applies to the next line that is not a comment.
            let mut next = number + 1;
            while kind_of(next) == Kind::Comment && (next as usize) <= lines.len() {
                next += 1;
            }
            if kind_of(next) != Kind::Content {
                notes.push(invalid(
                    path,
                    pos,
                    "a waiver comment applies to the line it ends, or to the line directly \
                     below it, and no YAML follows this one; move it onto or above the line of \
                     the finding, or to the top of the resource",
                ));
                continue;
            }
            Target::Line {
                file: path.to_string(),
                line: next,
            }
        };
        push(waivers, notes, directive, target, path, pos);
    }
}

/// The first line of a resource, and the comment lines right after it, belong to its header.
fn mark_around(
    header: &mut BTreeMap<u32, Target>,
    first: u32,
    kind_of: &impl Fn(u32) -> Kind,
    target: impl Fn() -> Target,
) {
    header.entry(first).or_insert_with(&target);
    let mut next = first + 1;
    while kind_of(next) == Kind::Comment {
        header.entry(next).or_insert_with(&target);
        next += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        lex(text).iter().map(|l| l.kind).collect()
    }

    fn terraform_docs(text: &str) -> Vec<Document> {
        use crate::load::tree::{Node, Value};
        let file = std::sync::Arc::new(crate::load::SourceFile::new("main.tf".into(), text.into()));
        // Two resource blocks, starting on the lines where `resource` is written.
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("resource"))
            .map(|(i, l)| {
                let mut parts = l.split('"');
                let (ty, name) = (parts.nth(1).unwrap(), parts.nth(1).unwrap());
                let mut d = Document::new(
                    file.clone(),
                    0,
                    Node::new(Value::Null, Pos::new(i as u32 + 1, 1), None),
                );
                d.subject = Some(crate::model::Subject {
                    source: "terraform".into(),
                    kind: ty.into(),
                    address: format!("module.m[\"a.b\"].{ty}.{name}[0]"),
                    via: Vec::new(),
                });
                d
            })
            .collect()
    }

    #[test]
    fn terraform_comments_cover_blocks_and_lines() {
        let text = "# plumbline:ignore PL-AWS-0001 reason=\"public site\"\n\
                    resource \"aws_s3_bucket\" \"site\" {\n\
                    \x20 acl = \"public-read\" // plumbline:ignore PL-AWS-0002 reason=\"ok\"\n\
                    \x20 tags = { a = \"# not a comment\" }\n\
                    }\n\
                    resource \"aws_s3_bucket\" \"logs\" {\n\
                    \x20 # plumbline:ignore PL-AWS-0003 reason=\"next line\"\n\
                    \x20 bucket = \"x\"\n\
                    }\n";
        let docs = terraform_docs(text);
        let (waivers, notes) = collect(&docs);
        assert!(notes.is_empty(), "{notes:?}");
        let got: Vec<(String, String)> = waivers
            .iter()
            .map(|w| {
                let t = match &w.target {
                    Target::Block { local, .. } => format!("block {local}"),
                    Target::Line { line, .. } => format!("line {line}"),
                    other => format!("{other:?}"),
                };
                (w.rules.join(","), t)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("PL-AWS-0001".into(), "block aws_s3_bucket.site".into()),
                ("PL-AWS-0002".into(), "line 3".into()),
                ("PL-AWS-0003".into(), "line 8".into()),
            ]
        );
    }

    #[test]
    fn local_addresses_drop_module_paths_and_keys() {
        use crate::triage::waiver::local_address;
        assert_eq!(local_address("aws_s3_bucket.b"), "aws_s3_bucket.b");
        assert_eq!(local_address("aws_s3_bucket.b[0]"), "aws_s3_bucket.b");
        assert_eq!(
            local_address("module.a[\"x.y\"].module.c.aws_s3_bucket.b[\"k\"]"),
            "aws_s3_bucket.b"
        );
        assert_eq!(local_address("Bucket"), "Bucket");
        assert_eq!(local_address("images/Dockerfile"), "images/Dockerfile");
    }

    #[test]
    fn block_scalars_hide_comments() {
        let text = "data:\n  run.sh: |\n    # plumbline:ignore X reason=y\n    echo\n  k: v # c\n";
        assert_eq!(
            kinds(text),
            [
                Kind::Content,
                Kind::Content,
                Kind::BlockText,
                Kind::BlockText,
                Kind::Content,
                Kind::Blank
            ]
        );
        let seq = "args:\n  - >-\n    # x\n  - b\n";
        assert_eq!(kinds(seq)[2], Kind::BlockText);
        assert_eq!(kinds(seq)[3], Kind::Content);
        let item = "- run: |\n    # x\n  name: y\n";
        assert_eq!(kinds(item)[1], Kind::BlockText);
        assert_eq!(kinds(item)[2], Kind::Content);
    }

    /// (line written, what it covers) of every waiver in `text`, and the invalid ones' lines.
    fn placed(text: &str) -> (Vec<(u32, String)>, Vec<u32>) {
        let loaded = crate::load::load_file("f.yaml", text.as_bytes(), &Default::default());
        let (waivers, notes) = collect(&loaded.documents);
        let covers = waivers
            .iter()
            .map(|w| {
                let t = match &w.target {
                    Target::Line { line, .. } => format!("line {line}"),
                    Target::Document { document, .. } => format!("doc {document}"),
                    Target::Resource { resource, .. } => {
                        format!("resource {}", resource.as_ref().unwrap().name)
                    }
                    Target::Selector(_) | Target::Block { .. } => unreachable!(),
                };
                (w.pos.line, t)
            })
            .collect();
        (
            covers,
            notes.iter().map(|n| n.position.unwrap().line).collect(),
        )
    }

    #[test]
    fn comments_are_placed_on_lines_documents_and_items() {
        let text = "# plumbline:ignore A reason=x
---
apiVersion: v1 # plumbline:ignore B reason=x
# plumbline:ignore C reason=x
kind: Pod
metadata:
  # plumbline:ignore D reason=x
  # plumbline:ignore E reason=x
  name: p # plumbline:ignore F reason=x
  # plumbline:ignore G reason=x

---
apiVersion: v1
kind: List
items:
  # plumbline:ignore H reason=x
  - apiVersion: v1
    kind: Pod
    metadata:
      name: q
      annotations:
        plumbline.dev/ignore: I reason=x
  - apiVersion: v1
    kind: Pod
    metadata: {name: r}
";
        let (covers, invalid) = placed(text);
        let expected = [
            (1, "doc 0"),
            (3, "doc 0"),
            (4, "doc 0"),
            (7, "line 9"),
            (8, "line 9"),
            (9, "line 9"),
            (16, "resource q"),
            (22, "resource q"),
        ];
        let mut got = covers;
        got.sort();
        assert_eq!(
            got,
            expected.map(|(l, t)| (l, t.to_string())).to_vec(),
            "invalid: {invalid:?}"
        );
        assert_eq!(invalid, [10], "G is followed by a blank line");
    }

    #[test]
    fn quotes_and_fragments_are_not_comments() {
        assert!(comment_in("url: http://x#frag", 0).is_none());
        assert!(comment_in("msg: \"a # b\"", 0).is_none());
        assert!(comment_in("msg: 'a # b'", 0).is_none());
        assert_eq!(comment_in("msg: it's # c", 0), Some((11, " c")));
        assert_eq!(comment_in("x: \"q\" # c", 0), Some((8, " c")));
    }
}
