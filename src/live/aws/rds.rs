//! `rds:db-instance`: one paged DescribeDBInstances per region (the master password is never
//! in the API; pending modifications, which can name it, are left out).

use super::ctx::Ctx;
use super::json::{body, json_enum, json_struct};
use super::model::LiveResource;
use super::read::Job;
use aws_config::Region;
use aws_sdk_rds::types::*;
use std::sync::Arc;

json_struct!(DbInstance {
    "DBInstanceIdentifier" => db_instance_identifier,
    "DBInstanceClass" => db_instance_class,
    "Engine" => engine,
    "DBInstanceStatus" => db_instance_status,
    "MasterUsername" => master_username,
    "DBName" => db_name,
    "Endpoint" => endpoint,
    "AllocatedStorage" => allocated_storage,
    "InstanceCreateTime" => instance_create_time,
    "PreferredBackupWindow" => preferred_backup_window,
    "BackupRetentionPeriod" => backup_retention_period,
    "DBSecurityGroups" => db_security_groups,
    "VpcSecurityGroups" => vpc_security_groups,
    "DBParameterGroups" => db_parameter_groups,
    "AvailabilityZone" => availability_zone,
    "DBSubnetGroup" => db_subnet_group,
    "PreferredMaintenanceWindow" => preferred_maintenance_window,
    "UpgradeRolloutOrder" => upgrade_rollout_order,
    "LatestRestorableTime" => latest_restorable_time,
    "MultiAZ" => multi_az,
    "EngineVersion" => engine_version,
    "AutoMinorVersionUpgrade" => auto_minor_version_upgrade,
    "ReadReplicaSourceDBInstanceIdentifier" => read_replica_source_db_instance_identifier,
    "ReadReplicaDBInstanceIdentifiers" => read_replica_db_instance_identifiers,
    "ReadReplicaDBClusterIdentifiers" => read_replica_db_cluster_identifiers,
    "ReplicaMode" => replica_mode,
    "LicenseModel" => license_model,
    "Iops" => iops,
    "StorageThroughput" => storage_throughput,
    "OptionGroupMemberships" => option_group_memberships,
    "CharacterSetName" => character_set_name,
    "NcharCharacterSetName" => nchar_character_set_name,
    "SecondaryAvailabilityZone" => secondary_availability_zone,
    "PubliclyAccessible" => publicly_accessible,
    "StatusInfos" => status_infos,
    "StorageType" => storage_type,
    "StorageEncryptionType" => storage_encryption_type,
    "TdeCredentialArn" => tde_credential_arn,
    "DbInstancePort" => db_instance_port,
    "DBClusterIdentifier" => db_cluster_identifier,
    "StorageEncrypted" => storage_encrypted,
    "KmsKeyId" => kms_key_id,
    "DbiResourceId" => dbi_resource_id,
    "CACertificateIdentifier" => ca_certificate_identifier,
    "DomainMemberships" => domain_memberships,
    "CopyTagsToSnapshot" => copy_tags_to_snapshot,
    "MonitoringInterval" => monitoring_interval,
    "EnhancedMonitoringResourceArn" => enhanced_monitoring_resource_arn,
    "MonitoringRoleArn" => monitoring_role_arn,
    "PromotionTier" => promotion_tier,
    "DBInstanceArn" => db_instance_arn,
    "Timezone" => timezone,
    "IAMDatabaseAuthenticationEnabled" => iam_database_authentication_enabled,
    "DatabaseInsightsMode" => database_insights_mode,
    "PerformanceInsightsEnabled" => performance_insights_enabled,
    "PerformanceInsightsKMSKeyId" => performance_insights_kms_key_id,
    "PerformanceInsightsRetentionPeriod" => performance_insights_retention_period,
    "EnabledCloudwatchLogsExports" => enabled_cloudwatch_logs_exports,
    "ProcessorFeatures" => processor_features,
    "DeletionProtection" => deletion_protection,
    "AssociatedRoles" => associated_roles,
    "ListenerEndpoint" => listener_endpoint,
    "MaxAllocatedStorage" => max_allocated_storage,
    "TagList" => tag_list,
    "AutomationMode" => automation_mode,
    "ResumeFullAutomationModeTime" => resume_full_automation_mode_time,
    "CustomerOwnedIpEnabled" => customer_owned_ip_enabled,
    "NetworkType" => network_type,
    "ActivityStreamStatus" => activity_stream_status,
    "ActivityStreamKmsKeyId" => activity_stream_kms_key_id,
    "ActivityStreamKinesisStreamName" => activity_stream_kinesis_stream_name,
    "ActivityStreamMode" => activity_stream_mode,
    "ActivityStreamEngineNativeAuditFieldsIncluded" =>
        activity_stream_engine_native_audit_fields_included,
    "AwsBackupRecoveryPointArn" => aws_backup_recovery_point_arn,
    "DBInstanceAutomatedBackupsReplications" => db_instance_automated_backups_replications,
    "BackupTarget" => backup_target,
    "AutomaticRestartTime" => automatic_restart_time,
    "CustomIamInstanceProfile" => custom_iam_instance_profile,
    "ActivityStreamPolicyStatus" => activity_stream_policy_status,
    "CertificateDetails" => certificate_details,
    "DBSystemId" => db_system_id,
    "MasterUserSecret" => master_user_secret,
    "ReadReplicaSourceDBClusterIdentifier" => read_replica_source_db_cluster_identifier,
    "PercentProgress" => percent_progress,
    "MultiTenant" => multi_tenant,
    "DedicatedLogVolume" => dedicated_log_volume,
    "IsStorageConfigUpgradeAvailable" => is_storage_config_upgrade_available,
    "EngineLifecycleSupport" => engine_lifecycle_support,
    "AdditionalStorageVolumes" => additional_storage_volumes,
    "StorageVolumeStatus" => storage_volume_status,
    "StorageOperationStatus" => storage_operation_status,
    "StorageOperationPercentProgress" => storage_operation_percent_progress,
    "DBCapacityReservationIdentifier" => db_capacity_reservation_identifier,
});
json_struct!(Endpoint { "Address" => address, "Port" => port, "HostedZoneId" => hosted_zone_id });
json_struct!(DbSecurityGroupMembership {
    "DBSecurityGroupName" => db_security_group_name,
    "Status" => status,
});
json_struct!(VpcSecurityGroupMembership {
    "VpcSecurityGroupId" => vpc_security_group_id,
    "Status" => status,
});
json_struct!(DbParameterGroupStatus {
    "DBParameterGroupName" => db_parameter_group_name,
    "ParameterApplyStatus" => parameter_apply_status,
});
json_struct!(DbSubnetGroup {
    "DBSubnetGroupName" => db_subnet_group_name,
    "DBSubnetGroupDescription" => db_subnet_group_description,
    "VpcId" => vpc_id,
    "SubnetGroupStatus" => subnet_group_status,
    "Subnets" => subnets,
    "DBSubnetGroupArn" => db_subnet_group_arn,
    "SupportedNetworkTypes" => supported_network_types,
});
json_enum!(UpgradeRolloutOrder);
json_enum!(ReplicaMode);
json_struct!(OptionGroupMembership { "OptionGroupName" => option_group_name, "Status" => status });
json_struct!(DbInstanceStatusInfo {
    "StatusType" => status_type,
    "Normal" => normal,
    "Status" => status,
    "Message" => message,
});
json_enum!(StorageEncryptionType);
json_struct!(DomainMembership {
    "Domain" => domain,
    "Status" => status,
    "FQDN" => fqdn,
    "IAMRoleName" => iam_role_name,
    "OU" => ou,
    "AuthSecretArn" => auth_secret_arn,
    "DnsIps" => dns_ips,
});
json_enum!(DatabaseInsightsMode);
json_struct!(ProcessorFeature { "Name" => name, "Value" => value });
json_struct!(DbInstanceRole {
    "RoleArn" => role_arn,
    "FeatureName" => feature_name,
    "Status" => status,
});
json_struct!(Tag { "Key" => key, "Value" => value });
json_enum!(AutomationMode);
json_enum!(ActivityStreamStatus);
json_enum!(ActivityStreamMode);
json_struct!(DbInstanceAutomatedBackupsReplication {
    "DBInstanceAutomatedBackupsArn" => db_instance_automated_backups_arn,
});
json_enum!(ActivityStreamPolicyStatus);
json_struct!(CertificateDetails { "CAIdentifier" => ca_identifier, "ValidTill" => valid_till });
json_struct!(MasterUserSecret {
    "SecretArn" => secret_arn,
    "SecretStatus" => secret_status,
    "KmsKeyId" => kms_key_id,
});
json_struct!(AdditionalStorageVolumeOutput {
    "VolumeName" => volume_name,
    "StorageVolumeStatus" => storage_volume_status,
    "StorageOperationStatus" => storage_operation_status,
    "StorageOperationPercentProgress" => storage_operation_percent_progress,
    "AllocatedStorage" => allocated_storage,
    "IOPS" => iops,
    "MaxAllocatedStorage" => max_allocated_storage,
    "StorageThroughput" => storage_throughput,
    "StorageType" => storage_type,
});
json_struct!(Subnet {
    "SubnetIdentifier" => subnet_identifier,
    "SubnetAvailabilityZone" => subnet_availability_zone,
    "SubnetOutpost" => subnet_outpost,
    "SubnetStatus" => subnet_status,
});
json_struct!(PendingCloudwatchLogsExports {
    "LogTypesToEnable" => log_types_to_enable,
    "LogTypesToDisable" => log_types_to_disable,
});
json_struct!(AdditionalStorageVolume {
    "VolumeName" => volume_name,
    "AllocatedStorage" => allocated_storage,
    "IOPS" => iops,
    "MaxAllocatedStorage" => max_allocated_storage,
    "StorageThroughput" => storage_throughput,
    "StorageType" => storage_type,
});
json_struct!(AvailabilityZone { "Name" => name });
json_struct!(Outpost { "Arn" => arn });

pub(crate) async fn db_instances(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let conf = aws_sdk_rds::config::Builder::from(&ctx.sdk)
        .retry_partition(ctx.retry_partition("rds"))
        .region(Region::new(job.scope.region.clone()))
        .build();
    let c = aws_sdk_rds::Client::from_conf(conf);
    let items = ctx
        .pages(
            &job.scope,
            "rds",
            "DescribeDBInstances",
            |t| {
                c.describe_db_instances()
                    .max_records(100)
                    .set_marker(t)
                    .send()
            },
            |p| (p.db_instances.unwrap_or_default(), p.marker),
        )
        .await
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|d| {
            let id = d.db_instance_identifier.clone()?;
            Some(LiveResource {
                kind: "rds:db-instance".to_string(),
                arn: d
                    .db_instance_arn
                    .clone()
                    .or_else(|| Some(ctx.arn("rds", &job.scope.region, None, &format!("db:{id}")))),
                id,
                region: job.scope.region.clone(),
                body: body(d),
            })
        })
        .collect()
}
