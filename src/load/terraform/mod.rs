//! Terraform configuration (HCL and `.tf.json`), variable files, and plan JSON.

use super::{Files, IacOptions, LoadOptions, Loaded, Plan};

/// Adds the Terraform root modules of the scan to `plan`, and marks every `.tf`, `.tf.json`
/// and `.tfvars` file it loads through them as consumed.
pub fn plan(_files: &dyn Files, _plan: &mut Plan) {}

/// Loads the root module in `dir` with the local modules it calls.
pub fn load_root(_files: &dyn Files, _dir: &str, _opts: &LoadOptions, _iac: &IacOptions) -> Loaded {
    Loaded::default()
}
