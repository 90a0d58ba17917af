//! What every reader shares: the SDK configuration, the call budget, the per-service
//! semaphores, the call counts, and the faults that become notifications.
//!
//! Every API call goes through [`Ctx::call`]: it refuses calls past the budget, waits for a
//! permit of the service's semaphore, counts the call once (the SDK's retries inside it are
//! not counted again) and turns an error into a [`Fault`]. A fault never aborts the scan:
//! [`Ctx::report`] records it against the kinds and region being read, which are then left
//! out of `complete`.

use super::AwsOptions;
use crate::model::{NoteLevel, Notification};
use aws_config::SdkConfig;
use aws_sdk_sts::config::retry::RetryPartition;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Reads started in this process (see [`Ctx::retry_partition`]).
static READS: AtomicU64 = AtomicU64::new(0);

/// Services with their own concurrency limit.
const SERVICES: &[&str] = &["sts", "s3", "ec2", "iam", "kms", "rds", "lambda"];

/// Error codes AWS services answer when a caller is throttled.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes AWS services answer when the caller lacks a permission.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthFailure",
    "Forbidden",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AllAccessDisabled",
];

/// Why a call gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FaultKind {
    Throttled,
    Denied,
    Budget,
    Failed,
}

/// A call that gave no answer: why, the service's error code (if it sent one) and a message
/// (the service's own, or the SDK's for network and timeout errors; never a request or
/// response body).
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub kind: FaultKind,
    pub code: Option<String>,
    pub message: String,
    /// A successful (2xx) answer the SDK could not parse, kept for the one reader that
    /// understands an emulator's variant of it (S3 versioning). Never printed.
    pub unparsed: Option<Vec<u8>>,
}

impl Fault {
    /// Is this the service saying one of `codes` (e.g. `NoSuchBucketPolicy`)?
    pub fn is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }
}

/// What one reader task reads: one or more kinds (IAM reads four kinds with one paged call),
/// in one region (`global` for global kinds).
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub kinds: Vec<&'static str>,
    pub region: String,
}

/// Faults are grouped by (code, kinds, region, action): a permission missing for 500 buckets
/// is one notification that says how many calls it failed, not 500.
type FaultKey = (&'static str, String, String, String);

pub(crate) struct Ctx {
    pub sdk: SdkConfig,
    pub opts: AwsOptions,
    /// S3 addressing for emulators and S3-compatible stores (an endpoint is overridden).
    pub path_style: bool,
    pub partition: String,
    pub account_id: String,
    /// The first region read: where global calls (ListBuckets, STS) are sent.
    pub home_region: String,
    /// Distinguishes this read's retry partitions from other reads in the process.
    read_id: u64,
    started: AtomicU64,
    semaphores: HashMap<&'static str, Arc<Semaphore>>,
    calls: Mutex<BTreeMap<String, u64>>,
    faults: Mutex<BTreeMap<FaultKey, (String, u64)>>,
    failed: Mutex<BTreeSet<(String, String)>>,
}

impl Ctx {
    pub fn new(sdk: SdkConfig, opts: AwsOptions, path_style: bool) -> Ctx {
        let permits = opts.concurrency.max(1);
        Ctx {
            sdk,
            path_style,
            partition: "aws".to_string(),
            account_id: String::new(),
            home_region: "us-east-1".to_string(),
            read_id: READS.fetch_add(1, Ordering::Relaxed),
            started: AtomicU64::new(0),
            semaphores: SERVICES
                .iter()
                .map(|s| (*s, Arc::new(Semaphore::new(permits))))
                .collect(),
            calls: Mutex::new(BTreeMap::new()),
            faults: Mutex::new(BTreeMap::new()),
            failed: Mutex::new(BTreeSet::new()),
            opts,
        }
    }

    /// Sends one API call (`fut`, built but not yet awaited) within the budget and the
    /// service's concurrency limit. Retries happen inside the SDK (adaptive mode) and are
    /// not counted again.
    pub async fn call<T, E, Fut>(
        &self,
        service: &'static str,
        action: &'static str,
        fut: Fut,
    ) -> Result<T, Fault>
    where
        Fut: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if self.started.fetch_add(1, Ordering::SeqCst) >= self.opts.max_calls {
            return Err(Fault {
                kind: FaultKind::Budget,
                code: None,
                unparsed: None,
                message: format!(
                    "the call budget of {} calls for this scan is spent",
                    self.opts.max_calls
                ),
            });
        }
        let semaphore = self.semaphores.get(service).cloned();
        let _permit = match &semaphore {
            Some(s) => s.acquire().await.ok(),
            None => None,
        };
        *self
            .calls
            .lock()
            .expect("call counts")
            .entry(format!("{service}:{action}"))
            .or_default() += 1;
        fut.await.map_err(classify)
    }

    /// Records a fault of `action` while reading `scope`: the scope is not complete, and one
    /// notification (per code, scope and action) says what to do.
    pub fn report(&self, scope: &Scope, action: &str, fault: &Fault) {
        let mut failed = self.failed.lock().expect("failed scopes");
        for k in &scope.kinds {
            failed.insert((k.to_string(), scope.region.clone()));
        }
        drop(failed);
        let code = match fault.kind {
            FaultKind::Throttled => "aws-throttled",
            FaultKind::Denied => "aws-access-denied",
            FaultKind::Budget => "aws-budget-exhausted",
            FaultKind::Failed => "aws-read-error",
        };
        let key = (
            code,
            scope.kinds.join(", "),
            scope.region.clone(),
            action.to_string(),
        );
        let mut faults = self.faults.lock().expect("faults");
        let entry = faults
            .entry(key)
            .or_insert_with(|| (fault.message.clone(), 0));
        entry.1 += 1;
    }

    /// Marks `scope` incomplete with a notification that is not about one call.
    pub fn fail(&self, scope: &Scope, action: &str, message: String) {
        self.report(
            scope,
            action,
            &Fault {
                kind: FaultKind::Failed,
                code: None,
                unparsed: None,
                message,
            },
        );
    }

    pub fn is_failed(&self, kind: &str, region: &str) -> bool {
        self.failed
            .lock()
            .expect("failed scopes")
            .contains(&(kind.to_string(), region.to_string()))
    }

    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.lock().expect("call counts").clone()
    }

    /// The faults as notifications, sorted.
    pub fn notifications(&self) -> Vec<Notification> {
        let faults = self.faults.lock().expect("faults");
        faults
            .iter()
            .map(|((code, kinds, region, action), (message, count))| {
                Notification::new(
                    NoteLevel::Error,
                    code,
                    fault_message(code, kinds, region, action, message, *count, &self.opts),
                )
            })
            .collect()
    }
}

/// "what failed, why, and what to do" for one group of faults.
fn fault_message(
    code: &str,
    kinds: &str,
    region: &str,
    action: &str,
    message: &str,
    count: u64,
    opts: &AwsOptions,
) -> String {
    let calls = if count == 1 {
        String::new()
    } else {
        format!(" ({count} calls)")
    };
    let what = format!("AWS {kinds} in {region} was not read completely: {action}{calls}");
    let todo = match code {
        "aws-throttled" => format!(
            "was still throttled after {} attempts; drift for it is not checked. Run the scan \
             again later, or lower the concurrency",
            opts.max_attempts
        ),
        "aws-access-denied" => format!(
            "was denied ({message}); drift for it is not checked. Grant {action} to the \
             scanning identity (`plumbline aws-policy` prints the whole read-only policy)"
        ),
        "aws-budget-exhausted" => format!(
            "was not sent: {message}; drift for it is not checked. Raise --aws-max-calls, or \
             scan fewer regions or kinds"
        ),
        _ => format!(
            "failed ({message}); drift for it is not checked. Check the credentials, the \
             region and the endpoint"
        ),
    };
    format!("{what} {todo}.")
}

fn classify<E>(e: SdkError<E>) -> Fault
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_string);
    let status = e.raw_response().map(|r| r.status().as_u16());
    // Messages name what went wrong, never the request or the answer's body (an SDK error's
    // full display includes the raw response).
    let message = match (&code, e.message(), &e) {
        (Some(c), Some(m), _) => format!("{c}: {m}"),
        (Some(c), None, _) => c.clone(),
        (None, _, SdkError::DispatchFailure(d)) => match d.as_connector_error() {
            Some(c) => format!("the request could not be sent: {}", DisplayErrorContext(c)),
            None => "the request could not be sent".to_string(),
        },
        (None, _, SdkError::TimeoutError(_)) => "the call timed out".to_string(),
        (None, _, SdkError::ConstructionFailure(_)) => {
            format!(
                "the request could not be built: {}",
                DisplayErrorContext(&e)
            )
        }
        (None, _, _) => match status {
            Some(s) => format!("HTTP {s} with an answer that could not be read"),
            None => "an answer that could not be read".to_string(),
        },
    };
    let kind = match code.as_deref() {
        Some(c) if THROTTLED.contains(&c) => FaultKind::Throttled,
        Some(c) if DENIED.contains(&c) || c.starts_with("AccessDenied") => FaultKind::Denied,
        _ if status == Some(429) => FaultKind::Throttled,
        _ if status == Some(403) && code.is_none() => FaultKind::Denied,
        _ => FaultKind::Failed,
    };
    let unparsed = match (&code, status) {
        (None, Some(200..=299)) => e
            .raw_response()
            .and_then(|r| r.body().bytes())
            .map(<[u8]>::to_vec),
        _ => None,
    };
    Fault {
        kind,
        code,
        message,
        unparsed,
    }
}

impl Ctx {
    /// Every page of a paged list call: `send(token)` sends one page, `split(page)` gives its
    /// items and the next token. `None` (already reported) when a page could not be read.
    pub async fn pages<P, T, E, Fut>(
        &self,
        scope: &Scope,
        service: &'static str,
        action: &'static str,
        mut send: impl FnMut(Option<String>) -> Fut,
        split: impl Fn(P) -> (Vec<T>, Option<String>),
    ) -> Option<Vec<T>>
    where
        Fut: Future<Output = Result<P, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            match self.call(service, action, send(token.clone())).await {
                Ok(page) => {
                    let (mut page_items, next) = split(page);
                    items.append(&mut page_items);
                    match next {
                        // A token that repeats would loop forever (seen on emulators).
                        Some(t) if !t.is_empty() && Some(&t) != token.as_ref() => token = Some(t),
                        _ => return Some(items),
                    }
                }
                Err(f) => {
                    self.report(scope, &format!("{service}:{action}"), &f);
                    return None;
                }
            }
        }
    }

    /// The retry partition of `service` for this read. The SDK keeps the adaptive mode's
    /// client-side rate limiter and the retry quota per partition for the whole process;
    /// without our own, one read (or account) slowed down by throttling would slow every
    /// later one.
    pub fn retry_partition(&self, service: &str) -> RetryPartition {
        RetryPartition::new(format!("plumbline-{}-{service}", self.read_id))
    }

    /// The ARN of a regional resource the API returns none for.
    pub fn arn(&self, service: &str, region: &str, owner: Option<&str>, resource: &str) -> String {
        let account = owner.filter(|o| !o.is_empty()).unwrap_or(&self.account_id);
        format!(
            "arn:{}:{service}:{region}:{account}:{resource}",
            self.partition
        )
    }
}
