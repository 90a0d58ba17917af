//! AWS drift: Terraform state v4 against live AWS resources.

pub mod findings;
mod hcl;
pub mod normalise;
pub mod rules;
pub mod state;
