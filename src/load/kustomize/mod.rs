//! Kustomize, rendered in-process.

use super::{Files, LoadOptions, Loaded, Plan};

/// Adds the top-level kustomizations of the scan to `plan`, and marks the files they render
/// as consumed.
pub fn plan(_files: &dyn Files, _plan: &mut Plan) {}

/// Renders the kustomization in `dir`.
pub fn render(_files: &dyn Files, _dir: &str, _opts: &LoadOptions) -> Loaded {
    Loaded::default()
}
