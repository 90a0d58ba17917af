//! Reading AWS as a stage of the scan: a [`ReadPlan`] says how to reach AWS and what to read
//! (the Terraform states decide it); [`start`] reads it on its own thread, so that the reading
//! overlaps the static scan, and [`Pending::wait`] collects what was read.

use super::{AwsAccount, AwsRequest};
use crate::model::{NoteLevel, Notification};

/// What to read from AWS, and how to reach it.
#[derive(Debug, Clone)]
pub struct ReadPlan {
    /// Profile, regions, endpoint, call budget and hash key of the reader.
    #[cfg(feature = "aws")]
    pub options: super::AwsOptions,
    /// The kinds, regions and resources to read.
    pub requests: Vec<AwsRequest>,
}

/// A reading [`start`] began; [`Pending::wait`] waits for it.
#[derive(Debug)]
pub struct Pending {
    reader: std::thread::JoinHandle<AwsAccount>,
}

/// Without the `aws` feature nothing can read AWS: what to do instead.
const NOT_BUILT: &str = "this plumbline was built without the `aws` feature: it cannot read AWS; compare with a snapshot (--live-snapshot FILE written by `plumbline snapshot --tfstate`), or use a build with default features";

/// Whether this build can read AWS (`Err`, saying what to do instead, without the `aws`
/// feature), to be asked before anything else starts.
pub fn available() -> Result<(), String> {
    if cfg!(feature = "aws") {
        Ok(())
    } else {
        Err(NOT_BUILT.into())
    }
}

/// Starts reading `plan` on its own thread (`aws-read`).
#[cfg(feature = "aws")]
pub fn start(plan: ReadPlan) -> Result<Pending, String> {
    let ReadPlan { options, requests } = plan;
    let reader = std::thread::Builder::new()
        .name("aws-read".into())
        .spawn(move || super::read(&options, &requests))
        .map_err(|e| format!("cannot start the AWS reader: {e}"))?;
    Ok(Pending { reader })
}

/// Starts reading `plan`: never, without the `aws` feature.
#[cfg(not(feature = "aws"))]
pub fn start(_plan: ReadPlan) -> Result<Pending, String> {
    Err(NOT_BUILT.into())
}

impl Pending {
    /// Waits for the reading to end: the account read, or (the reader stopped unexpectedly)
    /// an account with nothing complete and an error saying so.
    pub fn wait(self) -> Vec<AwsAccount> {
        match self.reader.join() {
            Ok(account) => vec![account],
            Err(_) => vec![unread_account(
                "the AWS reader stopped unexpectedly; nothing was compared: run again, and report it if it repeats",
            )],
        }
    }
}

/// An account that could not be read at all: nothing complete, one error.
fn unread_account(message: &str) -> AwsAccount {
    AwsAccount {
        name: "default".into(),
        notifications: vec![Notification::new(
            NoteLevel::Error,
            "aws-read-error",
            message,
        )],
        ..AwsAccount::default()
    }
}
