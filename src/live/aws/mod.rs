//! Read-only readers of live AWS resources (`--aws`): only List/Get/Describe calls.
//!
//! [`model`] is the SDK-free shape of what they read (snapshots and the drift check use it
//! in every build); the readers themselves need the `aws` cargo feature (on by default).

pub mod model;

pub use model::{AwsAccount, AwsRequest, AwsScope, LiveResource, ReaderInfo, READERS};
