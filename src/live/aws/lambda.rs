//! `lambda:function`: one paged ListFunctions per region, then ListTags for each requested
//! function (Lambda lists no tags). Environment variable values are replaced by keyed hashes
//! here, before anything else sees them.

use super::ctx::Ctx;
use super::json::{body, json_enum, json_struct};
use super::model::LiveResource;
use super::read::Job;
use aws_config::Region;
use aws_sdk_lambda::types::*;
use aws_sdk_lambda::Client;
use serde_json::{json, Map, Value};
use std::sync::Arc;

json_struct!(FunctionConfiguration {
    "FunctionName" => function_name,
    "FunctionArn" => function_arn,
    "Runtime" => runtime,
    "Role" => role,
    "Handler" => handler,
    "CodeSize" => code_size,
    "Description" => description,
    "Timeout" => timeout,
    "MemorySize" => memory_size,
    "LastModified" => last_modified,
    "CodeSha256" => code_sha256,
    "Version" => version,
    "VpcConfig" => vpc_config,
    "DeadLetterConfig" => dead_letter_config,
    "KMSKeyArn" => kms_key_arn,
    "TracingConfig" => tracing_config,
    "MasterArn" => master_arn,
    "RevisionId" => revision_id,
    "Layers" => layers,
    "State" => state,
    "StateReason" => state_reason,
    "StateReasonCode" => state_reason_code,
    "LastUpdateStatus" => last_update_status,
    "LastUpdateStatusReason" => last_update_status_reason,
    "LastUpdateStatusReasonCode" => last_update_status_reason_code,
    "FileSystemConfigs" => file_system_configs,
    "SigningProfileVersionArn" => signing_profile_version_arn,
    "SigningJobArn" => signing_job_arn,
    "PackageType" => package_type,
    "ImageConfigResponse" => image_config_response,
    "Architectures" => architectures,
    "EphemeralStorage" => ephemeral_storage,
    "SnapStart" => snap_start,
    "RuntimeVersionConfig" => runtime_version_config,
    "LoggingConfig" => logging_config,
    "TenancyConfig" => tenancy_config,
    "CapacityProviderConfig" => capacity_provider_config,
    "ConfigSha256" => config_sha256,
    "DurableConfig" => durable_config,
});
json_enum!(Runtime);
json_struct!(VpcConfigResponse {
    "SubnetIds" => subnet_ids,
    "SecurityGroupIds" => security_group_ids,
    "VpcId" => vpc_id,
});
json_struct!(DeadLetterConfig { "TargetArn" => target_arn });
json_struct!(TracingConfigResponse { "Mode" => mode });
json_struct!(Layer {
    "Arn" => arn,
    "CodeSize" => code_size,
    "SigningProfileVersionArn" => signing_profile_version_arn,
    "SigningJobArn" => signing_job_arn,
});
json_enum!(State);
json_enum!(StateReasonCode);
json_enum!(LastUpdateStatus);
json_enum!(LastUpdateStatusReasonCode);
json_struct!(FileSystemConfig {
    "Arn" => arn,
    "LocalMountPath" => local_mount_path,
    "S3FilesConfig" => s3_files_config,
});
json_enum!(PackageType);
json_struct!(ImageConfigResponse { "Error" => error });
json_enum!(Architecture);
json_struct!(EphemeralStorage { "Size" => size });
json_struct!(SnapStartResponse {
    "ApplyOn" => apply_on,
    "OptimizationStatus" => optimization_status,
});
json_struct!(RuntimeVersionConfig { "RuntimeVersionArn" => runtime_version_arn, "Error" => error });
json_struct!(LoggingConfig {
    "LogFormat" => log_format,
    "ApplicationLogLevel" => application_log_level,
    "SystemLogLevel" => system_log_level,
    "LogGroup" => log_group,
});
json_struct!(TenancyConfig { "TenantIsolationMode" => tenant_isolation_mode });
json_struct!(CapacityProviderConfig {
    "LambdaManagedInstancesCapacityProviderConfig" =>
        lambda_managed_instances_capacity_provider_config,
});
json_struct!(DurableConfig {
    "KMSKeyArn" => kms_key_arn,
    "RetentionPeriodInDays" => retention_period_in_days,
    "ExecutionTimeout" => execution_timeout,
});
json_enum!(TracingMode);
json_struct!(S3FilesConfig { "DirectS3Read" => direct_s3_read });
json_struct!(ImageConfigError { "ErrorCode" => error_code, "Message" => message });
json_enum!(SnapStartApplyOn);
json_enum!(SnapStartOptimizationStatus);
json_struct!(RuntimeVersionError { "ErrorCode" => error_code, "Message" => message });
json_enum!(LogFormat);
json_enum!(ApplicationLogLevel);
json_enum!(SystemLogLevel);
json_enum!(TenantIsolationMode);
json_struct!(LambdaManagedInstancesCapacityProviderConfig {
    "CapacityProviderArn" => capacity_provider_arn,
    "PerExecutionEnvironmentMaxConcurrency" => per_execution_environment_max_concurrency,
    "ExecutionEnvironmentMemoryGiBPerVCpu" => execution_environment_memory_gib_per_v_cpu,
});
json_enum!(DirectS3Read);

/// `Environment` with each variable's value replaced by its keyed hash: drift compares
/// hashes, and no value leaves the reader.
fn environment(ctx: &Ctx, env: &EnvironmentResponse) -> Value {
    let mut out = Map::new();
    if let Some(vars) = &env.variables {
        let hashed: Map<String, Value> = vars
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::String(ctx.opts.hash_key.hash(v.as_bytes())),
                )
            })
            .collect();
        out.insert("Variables".into(), Value::Object(hashed));
    }
    if let Some(e) = &env.error {
        out.insert(
            "Error".into(),
            json!({"ErrorCode": e.error_code, "Message": e.message}),
        );
    }
    Value::Object(out)
}

pub(crate) async fn functions(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let conf = aws_sdk_lambda::config::Builder::from(&ctx.sdk)
        .retry_partition(ctx.retry_partition("lambda"))
        .region(Region::new(job.scope.region.clone()))
        .build();
    let c = Client::from_conf(conf);
    let Some(listed) = ctx
        .pages(
            &job.scope,
            "lambda",
            "ListFunctions",
            |t| c.list_functions().max_items(50).set_marker(t).send(),
            |p| (p.functions.unwrap_or_default(), p.next_marker),
        )
        .await
    else {
        return Vec::new();
    };
    let mut set = tokio::task::JoinSet::new();
    for f in listed {
        let (Some(name), Some(arn)) = (f.function_name.clone(), f.function_arn.clone()) else {
            continue;
        };
        if !job.wants(&name) {
            continue;
        }
        let (ctx, job, c) = (ctx.clone(), job.clone(), c.clone());
        set.spawn(async move {
            let tags = match ctx
                .call("lambda", "ListTags", c.list_tags().resource(&arn).send())
                .await
            {
                Ok(t) => t.tags.unwrap_or_default(),
                Err(e) if e.is(&["ResourceNotFoundException"]) => return None,
                Err(e) => {
                    ctx.report(&job.scope, "lambda:ListTags", &e);
                    return None;
                }
            };
            let mut b = body(&f);
            if let Some(env) = &f.environment {
                b["Environment"] = environment(&ctx, env);
            }
            b["Tags"] = body(&tags);
            Some(LiveResource {
                kind: "lambda:function".to_string(),
                id: name,
                arn: Some(arn),
                region: job.scope.region.clone(),
                body: b,
            })
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => out.extend(r),
            Err(_) => ctx.fail(
                &job.scope,
                "lambda:ListTags",
                "a function reader stopped unexpectedly".to_string(),
            ),
        }
    }
    out
}
