//! CloudFormation and SAM templates; Terraform plan JSON is recognised here too, as both
//! arrive as YAML/JSON files.

use super::{Files, LoadOptions, Loaded};

/// Turns the documents of a YAML/JSON file that are CloudFormation templates (or Terraform
/// plans) into one document per resource, in the shared AWS resource model.
pub fn recognise(_loaded: &mut Loaded, _opts: &LoadOptions, _files: &dyn Files) {}
