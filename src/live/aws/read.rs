//! [`read`]: configuration, the account identity, and the concurrent dispatch of readers.

use super::ctx::{Ctx, Fault, FaultKind, Scope};
use super::model::{reader, AwsAccount, AwsRequest, AwsScope, LiveResource};
use super::{ec2, iam, kms, lambda, rds, s3, AwsOptions};
use crate::model::{NoteLevel, Notification};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Region name of global kinds (IAM, the S3 bucket listing).
pub(crate) const GLOBAL: &str = "global";

/// One reader task: the kinds and region it reads, and which resources need details.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub scope: Scope,
    pub ids: BTreeSet<String>,
    pub all: bool,
    /// The body members to read (`AwsRequest::members`); `None`: all.
    pub members: Option<BTreeSet<String>>,
}

impl Job {
    /// Are the details of resource `id` to be read?
    pub fn wants(&self, id: &str) -> bool {
        self.all || self.ids.contains(id)
    }
}

type Reading = Pin<Box<dyn Future<Output = Vec<LiveResource>> + Send>>;
type ReadFn = fn(Arc<Ctx>, Job) -> Reading;

/// The reader function of each kind: adding a kind is one function and one line here (plus
/// its [`super::model::READERS`] entry).
fn reader_fn(kind: &str) -> Option<ReadFn> {
    Some(match kind {
        "s3:bucket" => |c, j| Box::pin(s3::buckets(c, j)),
        "ec2:security-group" => |c, j| Box::pin(ec2::security_groups(c, j)),
        "ec2:security-group-rule" => |c, j| Box::pin(ec2::security_group_rules(c, j)),
        "ec2:vpc" => |c, j| Box::pin(ec2::vpcs(c, j)),
        "ec2:subnet" => |c, j| Box::pin(ec2::subnets(c, j)),
        "ec2:route-table" => |c, j| Box::pin(ec2::route_tables(c, j)),
        "ec2:internet-gateway" => |c, j| Box::pin(ec2::internet_gateways(c, j)),
        "ec2:instance" => |c, j| Box::pin(ec2::instances(c, j)),
        "ec2:volume" => |c, j| Box::pin(ec2::volumes(c, j)),
        // The four IAM kinds come from one paged GetAccountAuthorizationDetails: one job.
        "iam:role" | "iam:policy" | "iam:user" | "iam:group" => {
            |c, j| Box::pin(iam::authorization_details(c, j))
        }
        "kms:key" => |c, j| Box::pin(kms::keys(c, j)),
        "rds:db-instance" => |c, j| Box::pin(rds::db_instances(c, j)),
        "lambda:function" => |c, j| Box::pin(lambda::functions(c, j)),
        _ => return None,
    })
}

/// Reads what `requests` ask for from the account `opts` points at. Blocking: it runs its own
/// tokio runtime on its own thread (so it may be called from inside another runtime). Never
/// fails: what could not be read is in `notifications` and missing from `complete`.
pub fn read(opts: &AwsOptions, requests: &[AwsRequest]) -> AwsAccount {
    let name = profile_name(opts);
    let outcome = block_on(read_async(opts.clone(), requests.to_vec()));
    outcome.unwrap_or_else(|e| AwsAccount {
        name,
        notifications: vec![Notification::new(NoteLevel::Error, "aws-read-error", e)],
        ..AwsAccount::default()
    })
}

/// Runs `fut` to completion on a fresh runtime on a fresh thread.
pub(crate) fn block_on<T: Send>(fut: impl Future<Output = T> + Send) -> Result<T, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| format!("could not start the AWS reader's runtime: {e}"))?;
            Ok(rt.block_on(fut))
        })
        .join()
        .unwrap_or_else(|_| Err("the AWS reader stopped unexpectedly".to_string()))
    })
}

fn profile_name(opts: &AwsOptions) -> String {
    opts.profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string())
}

/// The SDK configuration as the AWS CLI would resolve it, with our retry mode and timeouts.
pub(crate) async fn sdk_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(opts.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    if let Some(r) = opts.regions.first() {
        loader = loader.region(Region::new(r.clone()));
    }
    loader.load().await
}

/// Is an endpoint overridden (flag, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, or the
/// profile's `endpoint_url`)? Then S3 is addressed path-style.
pub(crate) fn endpoint_overridden(opts: &AwsOptions, sdk: &SdkConfig) -> bool {
    opts.endpoint_url.is_some()
        || sdk.endpoint_url().is_some()
        || std::env::var("AWS_ENDPOINT_URL_S3").is_ok_and(|v| !v.is_empty())
}

/// The regions to read: the given ones, else the configured one.
pub(crate) fn regions(opts: &AwsOptions, sdk: &SdkConfig) -> Result<Vec<String>, String> {
    let mut regions: Vec<String> = opts
        .regions
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if regions.is_empty() {
        if let Some(r) = sdk.region() {
            regions.push(r.to_string());
        }
    }
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Err(
            "no AWS region is configured: pass --aws-region (repeatable), or set \
                    AWS_REGION or the profile's `region`"
                .to_string(),
        );
    }
    Ok(regions)
}

/// Fails early, with one clear message, when no credentials can be found at all.
pub(crate) async fn check_credentials(sdk: &SdkConfig) -> Result<(), String> {
    use aws_sdk_sts::config::ProvideCredentials;
    let Some(provider) = sdk.credentials_provider() else {
        return Err("no AWS credentials provider is configured".to_string());
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "no AWS credentials: {}. Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE \
             or --aws-profile, or log in (`aws sso login`)",
                aws_sdk_sts::error::DisplayErrorContext(&e)
            )
        })
}

async fn read_async(opts: AwsOptions, requests: Vec<AwsRequest>) -> AwsAccount {
    let name = profile_name(&opts);
    let sdk = sdk_config(&opts).await;
    let endpoint = opts
        .endpoint_url
        .clone()
        .or_else(|| sdk.endpoint_url().map(str::to_string));
    let mut account = AwsAccount {
        name,
        partition: "aws".to_string(),
        endpoint,
        ..AwsAccount::default()
    };
    let configured = match regions(&opts, &sdk) {
        Ok(r) => r,
        Err(e) => {
            account
                .notifications
                .push(Notification::new(NoteLevel::Error, "aws-read-error", e));
            return account;
        }
    };
    if let Err(e) = check_credentials(&sdk).await {
        account
            .notifications
            .push(Notification::new(NoteLevel::Error, "aws-read-error", e));
        return account;
    }
    let path_style = endpoint_overridden(&opts, &sdk);
    let mut ctx = Ctx::new(sdk, opts, path_style);
    ctx.home_region = configured[0].clone();
    match caller_identity(&ctx, &configured[0]).await {
        Ok((id, partition)) => {
            ctx.account_id = id;
            ctx.partition = partition;
        }
        Err(f) => account.notifications.push(Notification::new(
            NoteLevel::Warning,
            "aws-account-unknown",
            format!(
                "the AWS account id could not be read (sts:GetCallerIdentity: {}); findings \
                 carry no account id. Grant sts:GetCallerIdentity",
                f.message
            ),
        )),
    }
    account.account_id = ctx.account_id.clone();
    account.partition = ctx.partition.clone();
    let (jobs, unknown) = plan(&requests, &configured);
    for kind in unknown {
        account.notifications.push(Notification::new(
            NoteLevel::Error,
            "aws-read-error",
            format!("no AWS reader for kind `{kind}`; it is not checked"),
        ));
    }
    let ctx = Arc::new(ctx);
    let mut set = tokio::task::JoinSet::new();
    for job in &jobs {
        let f = reader_fn(job.scope.kinds[0]).expect("planned kinds have readers");
        set.spawn(f(ctx.clone(), job.clone()));
    }
    let mut resources = Vec::new();
    let mut crashed = false;
    while let Some(done) = set.join_next().await {
        match done {
            Ok(r) => resources.extend(r),
            Err(_) => crashed = true,
        }
    }
    let mut complete = BTreeSet::new();
    for job in &jobs {
        for kind in &job.scope.kinds {
            if !crashed && !ctx.is_failed(kind, &job.scope.region) {
                complete.insert(AwsScope {
                    kind: kind.to_string(),
                    region: job.scope.region.clone(),
                });
            }
        }
    }
    if crashed {
        account.notifications.push(Notification::new(
            NoteLevel::Error,
            "aws-read-error",
            "an AWS reader stopped unexpectedly; no AWS kind is reported as complete",
        ));
    }
    resources.sort_by(|a, b| (&a.kind, &a.region, &a.id).cmp(&(&b.kind, &b.region, &b.id)));
    resources.dedup_by(|a, b| (&a.kind, &a.region, &a.id) == (&b.kind, &b.region, &b.id));
    account.resources = resources;
    account.complete = complete.into_iter().collect();
    account.notifications.extend(ctx.notifications());
    account.calls = ctx.calls();
    account.regions = configured;
    account
}

/// The account id and partition of the caller.
async fn caller_identity(ctx: &Ctx, region: &str) -> Result<(String, String), Fault> {
    let conf = aws_sdk_sts::config::Builder::from(&ctx.sdk)
        .retry_partition(ctx.retry_partition("sts"))
        .region(Region::new(region.to_string()))
        .build();
    let client = aws_sdk_sts::Client::from_conf(conf);
    let out = ctx
        .call(
            "sts",
            "GetCallerIdentity",
            client.get_caller_identity().send(),
        )
        .await?;
    let partition = out
        .arn()
        .and_then(|a| a.split(':').nth(1))
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_string();
    match out.account() {
        Some(a) => Ok((a.to_string(), partition)),
        None => Err(Fault {
            kind: FaultKind::Failed,
            code: None,
            unparsed: None,
            message: "the answer named no account".to_string(),
        }),
    }
}

/// One job per (kind, region); all IAM kinds in one job; unknown kinds returned apart.
fn plan(requests: &[AwsRequest], configured: &[String]) -> (Vec<Job>, Vec<String>) {
    struct Want {
        regions: BTreeSet<String>,
        ids: BTreeSet<String>,
        all: bool,
        /// `None` once any request wants every member.
        members: Option<BTreeSet<String>>,
    }
    let mut wants: BTreeMap<&'static str, Want> = BTreeMap::new();
    let mut unknown = BTreeSet::new();
    for r in requests {
        let Some(info) = reader(&r.kind).filter(|i| reader_fn(i.kind).is_some()) else {
            unknown.insert(r.kind.clone());
            continue;
        };
        let first = !wants.contains_key(info.kind);
        let w = wants.entry(info.kind).or_insert(Want {
            regions: BTreeSet::new(),
            ids: BTreeSet::new(),
            all: false,
            members: Some(BTreeSet::new()),
        });
        w.members = match (first, w.members.take(), &r.members) {
            (_, _, None) => None,
            (true, _, Some(m)) => Some(m.clone()),
            (false, Some(mut have), Some(m)) => {
                have.extend(m.iter().cloned());
                Some(have)
            }
            (false, None, Some(_)) => None,
        };
        if info.global {
            w.regions.insert(GLOBAL.to_string());
        } else if r.regions.is_empty() {
            w.regions.extend(configured.iter().cloned());
        } else {
            w.regions.extend(r.regions.iter().cloned());
        }
        w.ids.extend(r.ids.iter().cloned());
        w.all |= r.all;
    }
    let mut jobs = Vec::new();
    let mut iam_job: Option<Job> = None;
    for (kind, w) in wants {
        if kind.starts_with("iam:") {
            let job = iam_job.get_or_insert_with(|| Job {
                scope: Scope {
                    kinds: Vec::new(),
                    region: GLOBAL.to_string(),
                },
                ids: BTreeSet::new(),
                all: false,
                members: None,
            });
            job.scope.kinds.push(kind);
            continue;
        }
        for region in w.regions {
            jobs.push(Job {
                scope: Scope {
                    kinds: vec![kind],
                    region,
                },
                ids: w.ids.clone(),
                all: w.all,
                members: w.members.clone(),
            });
        }
    }
    jobs.extend(iam_job);
    (jobs, unknown.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str, regions: &[&str], ids: &[&str]) -> AwsRequest {
        AwsRequest {
            kind: kind.to_string(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            all: false,
            members: None,
        }
    }

    #[test]
    fn global_kinds_are_read_once_and_iam_kinds_share_one_job() {
        let configured = vec!["eu-west-1".to_string(), "us-east-1".to_string()];
        let (jobs, unknown) = plan(
            &[
                req("iam:role", &[], &["r"]),
                req("iam:user", &["eu-west-1"], &[]),
                req("s3:bucket", &["eu-west-1"], &["b1"]),
                req("s3:bucket", &["us-east-1"], &["b2"]),
                req("ec2:vpc", &[], &[]),
                req("ec2:subnet", &["ap-south-1"], &[]),
                req("nope:thing", &[], &[]),
            ],
            &configured,
        );
        assert_eq!(unknown, vec!["nope:thing".to_string()]);
        let shape: Vec<(Vec<&str>, &str)> = jobs
            .iter()
            .map(|j| (j.scope.kinds.clone(), j.scope.region.as_str()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (vec!["ec2:subnet"], "ap-south-1"),
                (vec!["ec2:vpc"], "eu-west-1"),
                (vec!["ec2:vpc"], "us-east-1"),
                (vec!["s3:bucket"], GLOBAL),
                (vec!["iam:role", "iam:user"], GLOBAL),
            ]
        );
        let s3 = jobs
            .iter()
            .find(|j| j.scope.kinds == ["s3:bucket"])
            .unwrap();
        assert!(s3.wants("b1") && s3.wants("b2") && !s3.wants("b3"));
    }

    #[test]
    fn every_registered_kind_has_a_reader() {
        for r in super::super::READERS {
            assert!(reader_fn(r.kind).is_some(), "{} has no reader", r.kind);
        }
    }
}
