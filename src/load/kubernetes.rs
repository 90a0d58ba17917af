//! Recognising Kubernetes objects among YAML/JSON documents, and their identity.

use super::tree::{Node, Value};
use super::{Document, SourceFile};
use crate::model::ResourceId;
use std::sync::Arc;

/// Pushes the document(s) one YAML document gives: a `kind: List` is flattened into its
/// items; anything else is one document (Kubernetes or not).
pub fn push_documents(file: &Arc<SourceFile>, index: usize, node: Node, out: &mut Vec<Document>) {
    if is_list(&node) {
        if let Value::Map(entries) = node.value {
            for entry in entries {
                if entry.key == "items" {
                    if let Value::Seq(items) = entry.value.value {
                        for item in items {
                            out.push(document(file, index, item));
                        }
                    }
                }
            }
        }
        return;
    }
    out.push(document(file, index, node));
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
