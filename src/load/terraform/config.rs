//! The configuration of one module directory, from HCL (`.tf`) and JSON (`.tf.json`) files, in
//! one shape: blocks with labels, attributes with their expressions and positions.

use crate::load::tree::{Node, Value as NV};
use crate::load::{LoadOptions, SourceFile};
use crate::model::Pos;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{BlockLabel, Structure};
use hcl_edit::Span;
use std::sync::Arc;

/// Where something is in its file: start position and end byte (scalars).
#[derive(Debug, Clone, Copy)]
pub struct Loc {
    pub pos: Pos,
    pub end: Option<u32>,
}

/// An expression of either syntax.
#[derive(Debug, Clone)]
pub enum Ex {
    Hcl(Expression),
    /// A value of a `.tf.json` file: strings are templates.
    Json(Node),
}

#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub key: Loc,
    pub expr: Ex,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Blk {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub loc: Loc,
    /// Index of the file in [`ModuleDef::files`].
    pub file: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Body {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Blk>,
}

impl Body {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
}

/// The files of one module directory and their top-level blocks, in file order.
#[derive(Debug, Default)]
pub struct ModuleDef {
    pub dir: String,
    pub files: Vec<Arc<SourceFile>>,
    pub blocks: Vec<Blk>,
}

impl ModuleDef {
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Blk> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

/// A file that could not be parsed: where and why.
#[derive(Debug)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

fn loc_of(file: &SourceFile, span: Option<std::ops::Range<usize>>, fallback: Loc) -> Loc {
    match span {
        Some(s) => Loc {
            pos: file.pos(s.start as u32),
            end: Some(s.end as u32),
        },
        None => fallback,
    }
}

pub fn span_loc(file: &SourceFile, e: &Expression, fallback: Loc) -> Loc {
    loc_of(file, e.span(), fallback)
}

/// Parses one `.tf` or `.tf.json` file into top-level blocks (file index `idx`).
pub fn parse_file(
    file: &SourceFile,
    idx: usize,
    opts: &LoadOptions,
) -> Result<Vec<Blk>, SyntaxError> {
    if file.path.to_ascii_lowercase().ends_with(".json") {
        parse_json(file, idx, opts)
    } else {
        parse_hcl(file, idx)
    }
}

fn parse_hcl(file: &SourceFile, idx: usize) -> Result<Vec<Blk>, SyntaxError> {
    let body = hcl_edit::parser::parse_body(&file.text).map_err(|e| SyntaxError {
        pos: Pos::new(
            u32::try_from(e.location().line()).unwrap_or(1).max(1),
            u32::try_from(e.location().column()).unwrap_or(1).max(1),
        ),
        message: e
            .message()
            .lines()
            .next()
            .unwrap_or("syntax error")
            .to_string(),
    })?;
    let top = Loc {
        pos: Pos::new(1, 1),
        end: None,
    };
    Ok(hcl_body(file, idx, &body, top).blocks)
}

fn hcl_body(file: &SourceFile, idx: usize, body: &hcl_edit::structure::Body, parent: Loc) -> Body {
    let mut out = Body::default();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => out.attrs.push(Attr {
                name: a.key.value().as_str().to_string(),
                key: loc_of(file, a.key.span(), parent),
                loc: span_loc(file, &a.value, parent),
                expr: Ex::Hcl(a.value.clone()),
            }),
            Structure::Block(b) => {
                let loc = loc_of(file, b.ident.span(), parent);
                out.blocks.push(Blk {
                    kind: b.ident.value().as_str().to_string(),
                    labels: b
                        .labels
                        .iter()
                        .map(|l| match l {
                            BlockLabel::Ident(i) => i.value().as_str().to_string(),
                            BlockLabel::String(s) => s.value().clone(),
                        })
                        .collect(),
                    body: hcl_body(file, idx, &b.body, loc),
                    loc,
                    file: idx,
                })
            }
        }
    }
    out
}

/// How many labels each top-level block type of the JSON syntax has.
fn json_labels(kind: &str) -> Option<usize> {
    Some(match kind {
        "resource" | "data" => 2,
        "variable" | "module" | "output" | "provider" => 1,
        "locals" | "terraform" | "moved" | "import" | "check" | "removed" => 0,
        _ => return None,
    })
}

fn node_loc(n: &Node) -> Loc {
    Loc {
        pos: n.start,
        end: n.end_byte,
    }
}

fn parse_json(file: &SourceFile, idx: usize, opts: &LoadOptions) -> Result<Vec<Blk>, SyntaxError> {
    let nodes = crate::load::parse_documents(&file.text, opts).map_err(|e| SyntaxError {
        pos: e.pos.unwrap_or(Pos::new(1, 1)),
        message: e.message,
    })?;
    let root = nodes.into_iter().next().ok_or_else(|| SyntaxError {
        pos: Pos::new(1, 1),
        message: "the file is empty".into(),
    })?;
    let NV::Map(entries) = root.value else {
        return Err(SyntaxError {
            pos: root.start,
            message: "a Terraform JSON file must hold an object".into(),
        });
    };
    let mut out = Vec::new();
    for e in entries {
        let Some(n) = json_labels(&e.key) else {
            continue;
        };
        let loc = Loc {
            pos: e.key_start,
            end: e.key_end_byte,
        };
        json_blocks(&e.key, n, Vec::new(), &e.value, loc, idx, &mut out);
    }
    Ok(out)
}

/// Unwraps `labels` levels of objects, then reads the block body (or each body of an array).
fn json_blocks(
    kind: &str,
    labels_left: usize,
    labels: Vec<String>,
    node: &Node,
    loc: Loc,
    idx: usize,
    out: &mut Vec<Blk>,
) {
    if labels_left == 0 {
        match &node.value {
            NV::Seq(items) => {
                for item in items {
                    json_blocks(kind, 0, labels.clone(), item, node_loc(item), idx, out);
                }
            }
            _ => out.push(Blk {
                kind: kind.to_string(),
                labels,
                body: json_body(node, loc),
                loc,
                file: idx,
            }),
        }
        return;
    }
    match &node.value {
        NV::Map(entries) => {
            for e in entries {
                let mut l = labels.clone();
                l.push(e.key.clone());
                let loc = Loc {
                    pos: e.key_start,
                    end: e.key_end_byte,
                };
                json_blocks(kind, labels_left - 1, l, &e.value, loc, idx, out);
            }
        }
        NV::Seq(items) => {
            for item in items {
                json_blocks(
                    kind,
                    labels_left,
                    labels.clone(),
                    item,
                    node_loc(item),
                    idx,
                    out,
                );
            }
        }
        _ => {}
    }
}

/// A JSON block body: `dynamic` holds blocks; every other key is an attribute (nested blocks
/// are told apart later, when the resource's attributes are built).
fn json_body(node: &Node, parent: Loc) -> Body {
    let mut body = Body::default();
    let NV::Map(entries) = &node.value else {
        return body;
    };
    for e in entries {
        let key = Loc {
            pos: e.key_start,
            end: e.key_end_byte,
        };
        if e.key == "//" {
            continue;
        }
        if e.key == "dynamic" {
            if let NV::Map(dyns) = &e.value.value {
                for d in dyns {
                    let dloc = Loc {
                        pos: d.key_start,
                        end: d.key_end_byte,
                    };
                    let mut inner = json_body(&d.value, dloc);
                    // `content` is a block in HCL; in JSON it is an object.
                    if let Some(pos) = inner.attrs.iter().position(|a| a.name == "content") {
                        let c = inner.attrs.remove(pos);
                        if let Ex::Json(n) = &c.expr {
                            inner.blocks.push(Blk {
                                kind: "content".into(),
                                labels: Vec::new(),
                                body: json_body(n, c.loc),
                                loc: c.loc,
                                file: 0,
                            });
                        }
                    }
                    body.blocks.push(Blk {
                        kind: "dynamic".into(),
                        labels: vec![d.key.clone()],
                        body: inner,
                        loc: dloc,
                        file: 0,
                    });
                }
            }
            continue;
        }
        let _ = parent;
        body.attrs.push(Attr {
            name: e.key.clone(),
            key,
            loc: node_loc(&e.value),
            expr: Ex::Json(e.value.clone()),
        });
    }
    body
}
