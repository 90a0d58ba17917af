//! `kms:key`: ListKeys per region, then for each requested key DescribeKey (AWS managed keys
//! and keys pending deletion are left out), its rotation status, its default policy and its
//! tags. KMS has no list form for these: they are per key, and only for the requested keys.

use super::ctx::{Ctx, Fault};
use super::json::{body, json_enum, json_struct};
use super::model::LiveResource;
use super::read::Job;
use aws_config::Region;
use aws_sdk_kms::types::*;
use aws_sdk_kms::Client;
use serde_json::Value;
use std::sync::Arc;

json_struct!(KeyMetadata {
    "AWSAccountId" => aws_account_id,
    "KeyId" => key_id,
    "Arn" => arn,
    "CreationDate" => creation_date,
    "Enabled" => enabled,
    "Description" => description,
    "KeyUsage" => key_usage,
    "KeyState" => key_state,
    "DeletionDate" => deletion_date,
    "ValidTo" => valid_to,
    "Origin" => origin,
    "CustomKeyStoreId" => custom_key_store_id,
    "CloudHsmClusterId" => cloud_hsm_cluster_id,
    "ExpirationModel" => expiration_model,
    "KeyManager" => key_manager,
    "KeySpec" => key_spec,
    "EncryptionAlgorithms" => encryption_algorithms,
    "SigningAlgorithms" => signing_algorithms,
    "KeyAgreementAlgorithms" => key_agreement_algorithms,
    "EncapsulationAlgorithms" => encapsulation_algorithms,
    "MultiRegion" => multi_region,
    "MultiRegionConfiguration" => multi_region_configuration,
    "PendingDeletionWindowInDays" => pending_deletion_window_in_days,
    "MacAlgorithms" => mac_algorithms,
    "XksKeyConfiguration" => xks_key_configuration,
    "CurrentKeyMaterialId" => current_key_material_id,
});
json_struct!(Tag { "TagKey" => tag_key, "TagValue" => tag_value });
json_enum!(KeyUsageType);
json_enum!(KeyState);
json_enum!(OriginType);
json_enum!(ExpirationModelType);
json_enum!(KeyManagerType);

json_enum!(KeySpec);
json_enum!(EncryptionAlgorithmSpec);
json_enum!(SigningAlgorithmSpec);
json_enum!(KeyAgreementAlgorithmSpec);
json_enum!(EncapsulationAlgorithmSpec);
json_struct!(MultiRegionConfiguration {
    "MultiRegionKeyType" => multi_region_key_type,
    "PrimaryKey" => primary_key,
    "ReplicaKeys" => replica_keys,
});
json_enum!(MacAlgorithmSpec);
json_struct!(XksKeyConfigurationType { "Id" => id });
json_enum!(MultiRegionKeyType);
json_struct!(MultiRegionKey { "Arn" => arn, "Region" => region });

fn client(ctx: &Ctx, region: &str) -> Client {
    let conf = aws_sdk_kms::config::Builder::from(&ctx.sdk)
        .retry_partition(ctx.retry_partition("kms"))
        .region(Region::new(region.to_string()))
        .build();
    Client::from_conf(conf)
}

pub(crate) async fn keys(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let Some(listed) = ctx
        .pages(
            &job.scope,
            "kms",
            "ListKeys",
            |t| c.list_keys().limit(1000).set_marker(t).send(),
            |p| {
                (
                    p.keys.unwrap_or_default(),
                    p.next_marker.filter(|_| p.truncated),
                )
            },
        )
        .await
    else {
        return Vec::new();
    };
    let mut set = tokio::task::JoinSet::new();
    for k in listed {
        let (Some(id), arn) = (k.key_id.clone(), k.key_arn.clone()) else {
            continue;
        };
        if !(job.wants(&id) || arn.as_deref().is_some_and(|a| job.wants(a))) {
            continue;
        }
        let (ctx, job, c) = (ctx.clone(), job.clone(), c.clone());
        set.spawn(async move { key(&ctx, &job, &c, id).await });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => out.extend(r),
            Err(_) => ctx.fail(
                &job.scope,
                "kms:DescribeKey",
                "a key reader stopped unexpectedly".to_string(),
            ),
        }
    }
    out
}

/// Reports `f` unless the key is simply gone (deleted since it was listed).
fn gone_or_report(ctx: &Ctx, job: &Job, action: &str, f: &Fault) {
    if !f.is(&["NotFoundException"]) {
        ctx.report(&job.scope, action, f);
    }
}

async fn key(ctx: &Ctx, job: &Job, c: &Client, id: String) -> Option<LiveResource> {
    let meta = match ctx
        .call("kms", "DescribeKey", c.describe_key().key_id(&id).send())
        .await
    {
        Ok(d) => d.key_metadata?,
        Err(f) => {
            gone_or_report(ctx, job, "kms:DescribeKey", &f);
            return None;
        }
    };
    let customer = meta.key_manager == Some(KeyManagerType::Customer);
    let pending = matches!(
        meta.key_state,
        Some(KeyState::PendingDeletion) | Some(KeyState::PendingReplicaDeletion)
    );
    if !customer || pending {
        return None;
    }
    let (rotation, policy, tags) = tokio::join!(
        ctx.call(
            "kms",
            "GetKeyRotationStatus",
            c.get_key_rotation_status().key_id(&id).send()
        ),
        ctx.call(
            "kms",
            "GetKeyPolicy",
            c.get_key_policy().key_id(&id).policy_name("default").send()
        ),
        ctx.pages(
            &job.scope,
            "kms",
            "ListResourceTags",
            |t| c
                .list_resource_tags()
                .key_id(&id)
                .limit(50)
                .set_marker(t)
                .send(),
            |p| (
                p.tags.unwrap_or_default(),
                p.next_marker.filter(|_| p.truncated)
            ),
        ),
    );
    let rotation = match rotation {
        Ok(r) => r.key_rotation_enabled,
        // Asymmetric and HMAC keys do not rotate.
        Err(f) if f.is(&["UnsupportedOperationException"]) => false,
        Err(f) => {
            gone_or_report(ctx, job, "kms:GetKeyRotationStatus", &f);
            return None;
        }
    };
    let policy = match policy {
        Ok(p) => p.policy,
        Err(f) => {
            gone_or_report(ctx, job, "kms:GetKeyPolicy", &f);
            return None;
        }
    };
    let mut b = body(&meta);
    b["KeyRotationEnabled"] = Value::Bool(rotation);
    b["Policy"] = policy.map(Value::String).unwrap_or(Value::Null);
    b["Tags"] = body(&tags?);
    let region = job.scope.region.clone();
    Some(LiveResource {
        kind: "kms:key".to_string(),
        arn: meta
            .arn
            .clone()
            .or_else(|| Some(ctx.arn("kms", &region, None, &format!("key/{id}")))),
        id,
        region,
        body: b,
    })
}
