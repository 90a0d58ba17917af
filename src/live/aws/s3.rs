//! `s3:bucket`: ListBuckets (global), then the settings of each requested bucket, read in the
//! bucket's own region. S3 has no list form for bucket settings: these are the only
//! per-resource calls, and they run only for the buckets the states declare (or all, for
//! `unmanaged`). A setting a bucket does not have ("not found" answers) is `null`.

use super::ctx::{Ctx, Fault, Scope};
use super::json::{body, json_enum, json_struct, Json};
use super::model::LiveResource;
use super::read::Job;
use aws_config::Region;
use aws_sdk_s3::types::*;
use aws_sdk_s3::Client;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

json_struct!(ServerSideEncryptionConfiguration { "Rules" => rules });
json_struct!(PublicAccessBlockConfiguration {
    "BlockPublicAcls" => block_public_acls,
    "IgnorePublicAcls" => ignore_public_acls,
    "BlockPublicPolicy" => block_public_policy,
    "RestrictPublicBuckets" => restrict_public_buckets,
});
json_struct!(LoggingEnabled {
    "TargetBucket" => target_bucket,
    "TargetGrants" => target_grants,
    "TargetPrefix" => target_prefix,
    "TargetObjectKeyFormat" => target_object_key_format,
});
json_struct!(LifecycleRule {
    "Expiration" => expiration,
    "ID" => id,
    "Prefix" => prefix,
    "Filter" => filter,
    "Status" => status,
    "Transitions" => transitions,
    "NoncurrentVersionTransitions" => noncurrent_version_transitions,
    "NoncurrentVersionExpiration" => noncurrent_version_expiration,
    "AbortIncompleteMultipartUpload" => abort_incomplete_multipart_upload,
});
json_struct!(OwnershipControls { "Rules" => rules });
json_struct!(Tag { "Key" => key, "Value" => value });
json_struct!(ServerSideEncryptionRule {
    "ApplyServerSideEncryptionByDefault" => apply_server_side_encryption_by_default,
    "BucketKeyEnabled" => bucket_key_enabled,
    "BlockedEncryptionTypes" => blocked_encryption_types,
});
json_struct!(TargetGrant { "Grantee" => grantee, "Permission" => permission });
json_struct!(LifecycleExpiration {
    "Date" => date,
    "Days" => days,
    "ExpiredObjectDeleteMarker" => expired_object_delete_marker,
});
json_struct!(LifecycleRuleFilter {
    "Prefix" => prefix,
    "Tag" => tag,
    "ObjectSizeGreaterThan" => object_size_greater_than,
    "ObjectSizeLessThan" => object_size_less_than,
    "And" => and,
});
json_enum!(ExpirationStatus);
json_struct!(Transition { "Date" => date, "Days" => days, "StorageClass" => storage_class });
json_struct!(NoncurrentVersionTransition {
    "NoncurrentDays" => noncurrent_days,
    "StorageClass" => storage_class,
    "NewerNoncurrentVersions" => newer_noncurrent_versions,
});
json_struct!(NoncurrentVersionExpiration {
    "NoncurrentDays" => noncurrent_days,
    "NewerNoncurrentVersions" => newer_noncurrent_versions,
});
json_struct!(AbortIncompleteMultipartUpload { "DaysAfterInitiation" => days_after_initiation });
json_struct!(OwnershipControlsRule { "ObjectOwnership" => object_ownership });
json_struct!(ServerSideEncryptionByDefault {
    "SSEAlgorithm" => sse_algorithm,
    "KMSMasterKeyID" => kms_master_key_id,
});
json_struct!(BlockedEncryptionTypes { "EncryptionType" => encryption_type });
json_struct!(Grantee {
    "DisplayName" => display_name,
    "EmailAddress" => email_address,
    "ID" => id,
    "URI" => uri,
});
json_enum!(BucketLogsPermission);
json_struct!(PartitionedPrefix { "PartitionDateSource" => partition_date_source });
json_struct!(LifecycleRuleAndOperator {
    "Prefix" => prefix,
    "Tags" => tags,
    "ObjectSizeGreaterThan" => object_size_greater_than,
    "ObjectSizeLessThan" => object_size_less_than,
});
json_enum!(TransitionStorageClass);
json_enum!(ObjectOwnership);
json_enum!(ServerSideEncryption);
json_enum!(EncryptionType);
json_enum!(PartitionDateSource);

json_struct!(TargetObjectKeyFormat {
    "SimplePrefix" => simple_prefix,
    "PartitionedPrefix" => partitioned_prefix,
});

impl Json for SimplePrefix {
    fn json(&self) -> Option<Value> {
        Some(json!({}))
    }
}

/// "Not found" answers for settings a bucket simply does not have.
const UNSET: &[&str] = &[
    "NoSuchBucketPolicy",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchLifecycleConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchTagSet",
];

/// An S3 client for `region`, path-style when an endpoint is overridden.
pub(crate) fn client(ctx: &Ctx, region: &str) -> Client {
    let conf = aws_sdk_s3::config::Builder::from(&ctx.sdk)
        .retry_partition(ctx.retry_partition("s3"))
        .region(Region::new(region.to_string()))
        .force_path_style(ctx.path_style)
        .build();
    Client::from_conf(conf)
}

/// The region a `GetBucketLocation` answer names (empty means us-east-1, `EU` eu-west-1).
pub(crate) fn location_region(constraint: Option<&BucketLocationConstraint>) -> String {
    match constraint.map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    }
}

pub(crate) async fn buckets(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let scope = &job.scope;
    let home = client(&ctx, &ctx.home_region);
    let mut listed = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .call(
                "s3",
                "ListBuckets",
                home.list_buckets()
                    .max_buckets(10_000)
                    .set_continuation_token(token.clone())
                    .send(),
            )
            .await;
        let page = match page {
            Ok(p) => p,
            Err(f) => {
                ctx.report(scope, "s3:ListAllMyBuckets", &f);
                return Vec::new();
            }
        };
        listed.extend(page.buckets.unwrap_or_default());
        match page.continuation_token {
            Some(t) if !t.is_empty() && Some(&t) != token.as_ref() => token = Some(t),
            _ => break,
        }
    }
    let mut set = tokio::task::JoinSet::new();
    let clients: Arc<tokio::sync::Mutex<HashMap<String, Client>>> = Arc::default();
    for b in listed {
        let Some(name) = b.name.clone() else { continue };
        if !job.wants(&name) {
            continue;
        }
        let (ctx, scope, clients) = (ctx.clone(), scope.clone(), clients.clone());
        let members = job.members.clone();
        set.spawn(async move {
            let home = home_of(&ctx, &scope, &clients, &b).await?;
            bucket(&ctx, &scope, &home, members.as_ref(), b).await
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err(_) => ctx.fail(
                scope,
                "s3",
                "a bucket reader stopped unexpectedly".to_string(),
            ),
        }
    }
    out
}

/// A bucket's region (from the listing, else GetBucketLocation) and a client there.
async fn home_of(
    ctx: &Ctx,
    scope: &Scope,
    clients: &tokio::sync::Mutex<HashMap<String, Client>>,
    b: &Bucket,
) -> Option<(String, Client)> {
    let name = b.name.as_deref()?;
    let region = match b.bucket_region.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => r.to_string(),
        None => {
            let home = client(ctx, &ctx.home_region);
            match ctx
                .call(
                    "s3",
                    "GetBucketLocation",
                    home.get_bucket_location().bucket(name).send(),
                )
                .await
            {
                Ok(l) => location_region(l.location_constraint()),
                Err(f) if f.is(&["NoSuchBucket"]) => return None,
                Err(f) => {
                    ctx.report(scope, "s3:GetBucketLocation", &f);
                    return None;
                }
            }
        }
    };
    let mut cache = clients.lock().await;
    let c = cache
        .entry(region.clone())
        .or_insert_with(|| client(ctx, &region))
        .clone();
    Some((region, c))
}

/// A setting's value, `null` when the bucket does not have it; `Err` (already reported)
/// when it could not be read.
fn setting<T>(
    ctx: &Ctx,
    scope: &Scope,
    action: &str,
    r: Result<T, Fault>,
    value: impl FnOnce(T) -> Value,
) -> Result<Value, ()> {
    match r {
        Ok(v) => Ok(value(v)),
        Err(f) if f.is(UNSET) => Ok(Value::Null),
        // Deleted since it was listed: it is simply not there.
        Err(f) if f.is(&["NoSuchBucket"]) => Err(()),
        Err(f) => {
            ctx.report(scope, action, &f);
            Err(())
        }
    }
}

/// Runs `call` only when its member is wanted.
async fn when<T>(wanted: bool, call: impl std::future::Future<Output = T>) -> Option<T> {
    if wanted {
        Some(call.await)
    } else {
        None
    }
}

/// One bucket's settings: one call per body member, only for the `members` asked for (all
/// when `None`): a state that declares only tags costs one call per bucket, not eight.
async fn bucket(
    ctx: &Ctx,
    scope: &Scope,
    (region, c): &(String, Client),
    members: Option<&BTreeSet<String>>,
    b: Bucket,
) -> Option<LiveResource> {
    let name = b.name.clone()?;
    let n = name.as_str();
    let reads = |m: &str| members.is_none_or(|s| s.contains(m));
    let (tags, versioning, encryption, pab, policy, logging, lifecycle, ownership) = tokio::join!(
        when(
            reads("Tags"),
            ctx.call(
                "s3",
                "GetBucketTagging",
                c.get_bucket_tagging().bucket(n).send()
            )
        ),
        when(
            reads("Versioning"),
            ctx.call(
                "s3",
                "GetBucketVersioning",
                c.get_bucket_versioning().bucket(n).send()
            )
        ),
        when(
            reads("ServerSideEncryptionConfiguration"),
            ctx.call(
                "s3",
                "GetBucketEncryption",
                c.get_bucket_encryption().bucket(n).send()
            )
        ),
        when(
            reads("PublicAccessBlockConfiguration"),
            ctx.call(
                "s3",
                "GetPublicAccessBlock",
                c.get_public_access_block().bucket(n).send()
            )
        ),
        when(
            reads("Policy"),
            ctx.call(
                "s3",
                "GetBucketPolicy",
                c.get_bucket_policy().bucket(n).send()
            )
        ),
        when(
            reads("LoggingEnabled"),
            ctx.call(
                "s3",
                "GetBucketLogging",
                c.get_bucket_logging().bucket(n).send()
            )
        ),
        when(
            reads("LifecycleRules"),
            ctx.call(
                "s3",
                "GetBucketLifecycleConfiguration",
                c.get_bucket_lifecycle_configuration().bucket(n).send()
            )
        ),
        when(
            reads("OwnershipControls"),
            ctx.call(
                "s3",
                "GetBucketOwnershipControls",
                c.get_bucket_ownership_controls().bucket(n).send()
            )
        ),
    );
    let tags = tags.map(|tags| {
        setting(ctx, scope, "s3:GetBucketTagging", tags, |t| {
            body(&t.tag_set)
        })
    });
    let versioning = versioning.map(|versioning| match versioning {
        // moto answers `<GetBucketVersioningResponse>` where S3 answers
        // `<VersioningConfiguration>`; the SDK rejects the root, the members are the same.
        Err(f) if f.unparsed.is_some() => {
            let xml = String::from_utf8_lossy(f.unparsed.as_deref().unwrap_or_default());
            let member = |name: &str| {
                let open = format!("<{name}>");
                let start = xml.find(&open)? + open.len();
                let len = xml[start..].find('<')?;
                Some(xml[start..start + len].to_string())
            };
            Ok(
                aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput::builder()
                    .set_status(member("Status").map(|s| BucketVersioningStatus::from(s.as_str())))
                    .set_mfa_delete(member("MfaDelete").map(|s| MfaDeleteStatus::from(s.as_str())))
                    .build(),
            )
        }
        r => r,
    });
    let versioning = versioning.map(|versioning| {
        setting(ctx, scope, "s3:GetBucketVersioning", versioning, |v| {
            let mut m = serde_json::Map::new();
            if let Some(s) = v.status() {
                m.insert("Status".into(), json!(s.as_str()));
            }
            if let Some(s) = v.mfa_delete() {
                m.insert("MFADelete".into(), json!(s.as_str()));
            }
            Value::Object(m)
        })
    });
    let encryption = encryption.map(|encryption| {
        setting(
            ctx,
            scope,
            "s3:GetEncryptionConfiguration",
            encryption,
            |e| body(&e.server_side_encryption_configuration),
        )
    });
    let pab = pab.map(|pab| {
        setting(ctx, scope, "s3:GetBucketPublicAccessBlock", pab, |p| {
            p.public_access_block_configuration
                .json()
                .unwrap_or(Value::Null)
        })
    });
    let policy = policy.map(|policy| {
        setting(ctx, scope, "s3:GetBucketPolicy", policy, |p| {
            p.policy.map(Value::String).unwrap_or(Value::Null)
        })
    });
    let logging = logging.map(|logging| {
        setting(ctx, scope, "s3:GetBucketLogging", logging, |l| {
            l.logging_enabled.json().unwrap_or(Value::Null)
        })
    });
    let lifecycle = lifecycle.map(|lifecycle| {
        setting(ctx, scope, "s3:GetLifecycleConfiguration", lifecycle, |l| {
            l.rules.json().unwrap_or(Value::Null)
        })
    });
    let ownership = ownership.map(|ownership| {
        setting(
            ctx,
            scope,
            "s3:GetBucketOwnershipControls",
            ownership,
            |o| o.ownership_controls.json().unwrap_or(Value::Null),
        )
    });
    let mut body = json!({ "Name": name, "Region": region });
    for (member, value) in [
        ("Tags", tags),
        ("Versioning", versioning),
        ("ServerSideEncryptionConfiguration", encryption),
        ("PublicAccessBlockConfiguration", pab),
        ("Policy", policy),
        ("LoggingEnabled", logging),
        ("LifecycleRules", lifecycle),
        ("OwnershipControls", ownership),
    ] {
        // A setting that could not be read was reported; the bucket is then not complete.
        if let Some(v) = value {
            body[member] = match (member, v.ok()?) {
                ("Tags", Value::Null) => json!([]),
                (_, v) => v,
            };
        }
    }
    if let Some(d) = b.creation_date.json() {
        body["CreationDate"] = d;
    }
    Some(LiveResource {
        kind: "s3:bucket".to_string(),
        arn: Some(format!("arn:{}:s3:::{name}", ctx.partition)),
        id: name,
        region: region.clone(),
        body,
    })
}
