//! Plumbline: reads declared infrastructure from Git, checks it against Rego policies, and
//! reports every finding at its file and line as SARIF. See DESIGN.md for the pipeline.

pub mod bounded;
pub mod cli;
pub mod config;
pub mod date;
pub mod drift;
pub mod findings;
#[doc(hidden)]
pub mod fuzzing;
pub mod keyed_hash;
pub mod live;
pub mod load;
pub mod model;
pub mod policy;
pub mod progress;
pub mod report;
pub mod scan;
pub mod source;
pub mod textsafe;
pub mod triage;
