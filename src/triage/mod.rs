//! Triage: what a finding becomes after a rule or the drift check made it. Waivers (inline
//! comments, `plumbline.dev/ignore` annotations, the waiver file) suppress it; the comparison
//! with a baseline or a merge base marks it new, known or fixed; the merge-request summary
//! tells the CI log what changed. Nothing here reads files of the scan or runs a stage:
//! the orchestration (`scan`) calls these on the findings it has.

pub mod baseline;
pub mod summary;
pub mod waiver;
