//! Read-only readers of live AWS resources (`--aws`): only List/Get/Describe calls.
//!
//! [`model`] is the SDK-free shape of what they read (snapshots and the drift check use it
//! in every build); the readers themselves need the `aws` cargo feature (on by default).
//!
//! **Configuration.** Credentials, profile and region are resolved by `aws-config` exactly as
//! the AWS CLI resolves them (environment, shared config and credentials files, SSO,
//! assume-role, `credential_process`). `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
//! work; [`AwsOptions::endpoint_url`] overrides them; whenever an endpoint is overridden, S3
//! is addressed path-style (emulators and S3-compatible stores have no bucket subdomains).
//!
//! **Speed.** Every kind in every region is read concurrently; lists are paged with the
//! largest page the API allows; the few per-resource detail calls (S3 bucket settings, KMS
//! key details, Lambda tags, VPC attributes) run concurrently and only for the resources the
//! states declare ([`AwsRequest::ids`]), or for all with [`AwsRequest::all`]. A kind with
//! detail calls returns only the resources whose details were read, so a body is never
//! half-filled. IAM is read with `GetAccountAuthorizationDetails`, one paged call for the
//! whole account.
//!
//! **Faults.** The SDK retries in adaptive mode (client-side rate limiting after a throttle);
//! each service has its own concurrency limit; the scan has a call budget. A call that is
//! throttled past its attempts, denied, over the budget or failing never aborts the read: it
//! becomes an `Error` notification (`aws-throttled`, `aws-access-denied`,
//! `aws-budget-exhausted`, `aws-read-error`) and the kind is not listed in
//! [`AwsAccount::complete`] for that region.

pub mod model;
mod pending;

pub use model::{AwsAccount, AwsRequest, AwsScope, LiveResource, ReaderInfo, READERS};
pub use pending::{available, start, Pending, ReadPlan};

#[cfg(feature = "aws")]
mod ctx;
#[cfg(feature = "aws")]
mod ec2;
#[cfg(feature = "aws")]
mod iam;
#[cfg(feature = "aws")]
mod json;
#[cfg(feature = "aws")]
mod kms;
#[cfg(feature = "aws")]
mod lambda;
#[cfg(feature = "aws")]
mod objects;
#[cfg(feature = "aws")]
mod rds;
#[cfg(feature = "aws")]
mod read;
#[cfg(feature = "aws")]
mod s3;

#[cfg(feature = "aws")]
pub use objects::fetch_objects;
#[cfg(feature = "aws")]
pub use read::read;

/// How to reach AWS, and how hard to try.
#[cfg(feature = "aws")]
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// A profile of the shared config files (`--aws-profile`); else `AWS_PROFILE`, else
    /// `default`.
    pub profile: Option<String>,
    /// Regions to read regional kinds in; empty: the profile's or environment's region.
    pub regions: Vec<String>,
    /// Endpoint for every service (`--aws-endpoint-url`), overriding `AWS_ENDPOINT_URL*`.
    pub endpoint_url: Option<String>,
    /// Calls the whole scan may send (retries of one call count once).
    pub max_calls: u64,
    /// Calls in flight at once, per service.
    pub concurrency: usize,
    /// Attempts per call, the first included (adaptive retry mode).
    pub max_attempts: u32,
    /// Key of the keyed hashes that replace secret values (Lambda environment variables).
    pub hash_key: crate::keyed_hash::HashKey,
}

#[cfg(feature = "aws")]
impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            regions: Vec::new(),
            endpoint_url: None,
            max_calls: 20_000,
            concurrency: 8,
            max_attempts: 5,
            hash_key: crate::keyed_hash::HashKey::random(),
        }
    }
}
