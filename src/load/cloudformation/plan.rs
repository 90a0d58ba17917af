//! Terraform plan JSON (`terraform show -json`).

use crate::load::tree::Node;
use crate::load::{Document, Files, LoadOptions, Loaded};

/// A plan: top-level `format_version` with `planned_values` or `resource_changes`.
pub fn is_plan(node: &Node) -> bool {
    node.get("format_version").is_some()
        && (node.get("planned_values").is_some() || node.get("resource_changes").is_some())
}

pub fn plan_documents(doc: Document, _opts: &LoadOptions, _files: &dyn Files, loaded: &mut Loaded) {
    loaded.documents.push(doc);
}
