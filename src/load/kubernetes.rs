//! Recognising Kubernetes objects among YAML/JSON documents, and their identity.

use super::tree::{Node, Value};
use super::{Document, SourceFile};
use crate::model::{NoteLevel, Notification, ResourceId};
use std::sync::Arc;

/// How many `*List` objects may nest inside one another (a List is level 1, a List among its
/// items level 2…). kubectl flattens any depth; real manifests never go past two or three, and
/// the parser's nesting limit (two levels of YAML per List) stops a deeper file anyway. A List
/// nested deeper is kept as one object, unflattened, with an error notification.
pub const MAX_LIST_NESTING: usize = 32;

/// Pushes the document(s) one YAML document gives: a `*List` is flattened into its items, and
/// a List among the items into its own, depth first, so the objects keep the order of the file
/// (kubectl accepts Lists of Lists); anything else is one document. Every object keeps its own
/// position and the index of the YAML document it is in.
///
/// Returns what the caller must report: a List nested deeper than [`MAX_LIST_NESTING`] (an
/// error: its items were not flattened) and List items that are not Kubernetes objects (a
/// warning: kubectl would refuse the List).
pub fn push_documents(
    file: &Arc<SourceFile>,
    index: usize,
    node: Node,
    out: &mut Vec<Document>,
) -> Vec<Notification> {
    let mut notes = Vec::new();
    // Each entry: a node to push and how many Lists enclose it. A stack of iterators keeps
    // the file's order without recursion.
    let mut stack: Vec<(std::vec::IntoIter<Node>, usize)> = vec![(vec![node].into_iter(), 0)];
    while let Some((items, outer)) = stack.last_mut() {
        let outer = *outer;
        let Some(node) = items.next() else {
            stack.pop();
            continue;
        };
        if outer > 0 && identity(&node).is_none() {
            notes.push(not_an_object(file, &node));
        }
        if !is_list(&node) {
            out.push(document(file, index, node));
            continue;
        }
        if outer + 1 > MAX_LIST_NESTING {
            notes.push(list_too_deep(file, &node));
            out.push(document(file, index, node));
            continue;
        }
        stack.push((list_items(node).into_iter(), outer + 1));
    }
    notes
}

/// The items of a List (checked by [`is_list`]).
fn list_items(node: Node) -> Vec<Node> {
    let Value::Map(entries) = node.value else {
        return Vec::new();
    };
    entries
        .into_iter()
        .find(|e| e.key == "items")
        .and_then(|e| match e.value.value {
            Value::Seq(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default()
}

fn not_an_object(file: &SourceFile, node: &Node) -> Notification {
    let p = node.start;
    Notification::new(
        NoteLevel::Warning,
        "list-item-not-object",
        format!(
            "{}:{}:{}: an item of a List is not a Kubernetes object (it has no apiVersion and \
             kind), so no Kubernetes policy checks it and kubectl would refuse the List; fix \
             the item",
            file.path, p.line, p.column
        ),
    )
    .at(file.path.clone(), Some(p))
}

fn list_too_deep(file: &SourceFile, node: &Node) -> Notification {
    let p = node.start;
    Notification::new(
        NoteLevel::Error,
        "list-too-deep",
        format!(
            "{}:{}:{}: a List nested more than {MAX_LIST_NESTING} Lists deep; its items were not \
             checked — flatten the Lists",
            file.path, p.line, p.column
        ),
    )
    .at(file.path.clone(), Some(p))
}

fn document(file: &Arc<SourceFile>, index: usize, node: Node) -> Document {
    let mut doc = Document::new(Arc::clone(file), index, node);
    doc.resource = identity(&doc.node);
    doc
}

/// `kind: List` (or any `*List` kind with `items`) as kubectl accepts it.
fn is_list(node: &Node) -> bool {
    let kind = node.get("kind").and_then(Node::as_str).unwrap_or_default();
    node.get("apiVersion").and_then(Node::as_str).is_some()
        && kind.ends_with("List")
        && matches!(node.get("items").map(|n| &n.value), Some(Value::Seq(_)))
}

/// The identity of a Kubernetes object, or `None` when the document is not one.
pub fn identity(node: &Node) -> Option<ResourceId> {
    let api_version = node.get("apiVersion")?.as_str()?;
    let kind = node.get("kind")?.as_str()?;
    if api_version.is_empty() || kind.is_empty() {
        return None;
    }
    let meta = node.get("metadata");
    let field = |k: &str| meta.and_then(|m| m.get(k)).and_then(Node::as_str);
    Some(ResourceId {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: field("namespace")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        name: field("name")
            .or_else(|| field("generateName"))
            .unwrap_or_default()
            .to_string(),
    })
}
