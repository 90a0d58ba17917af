//! EC2 kinds: each one paged Describe call per region with the largest page the API allows.
//! VPC DNS attributes are the only per-resource calls (DescribeVpcAttribute has no list
//! form), read for the requested VPCs only.

use super::ctx::Ctx;
use super::json::{body, json_enum, json_struct};
use super::model::LiveResource;
use super::read::Job;
use aws_config::Region;
use aws_sdk_ec2::types::*;
use aws_sdk_ec2::Client;
use serde_json::Value;
use std::sync::Arc;

json_struct!(SecurityGroup {
    "GroupId" => group_id,
    "IpPermissionsEgress" => ip_permissions_egress,
    "Tags" => tags,
    "VpcId" => vpc_id,
    "SecurityGroupArn" => security_group_arn,
    "OwnerId" => owner_id,
    "GroupName" => group_name,
    "Description" => description,
    "IpPermissions" => ip_permissions,
});
json_struct!(SecurityGroupRule {
    "SecurityGroupRuleId" => security_group_rule_id,
    "GroupId" => group_id,
    "GroupOwnerId" => group_owner_id,
    "IsEgress" => is_egress,
    "IpProtocol" => ip_protocol,
    "FromPort" => from_port,
    "ToPort" => to_port,
    "CidrIpv4" => cidr_ipv4,
    "CidrIpv6" => cidr_ipv6,
    "PrefixListId" => prefix_list_id,
    "ReferencedGroupInfo" => referenced_group_info,
    "Description" => description,
    "Tags" => tags,
    "SecurityGroupRuleArn" => security_group_rule_arn,
});
json_struct!(Vpc {
    "OwnerId" => owner_id,
    "InstanceTenancy" => instance_tenancy,
    "Ipv6CidrBlockAssociationSet" => ipv6_cidr_block_association_set,
    "CidrBlockAssociationSet" => cidr_block_association_set,
    "IsDefault" => is_default,
    "EncryptionControl" => encryption_control,
    "Tags" => tags,
    "BlockPublicAccessStates" => block_public_access_states,
    "VpcId" => vpc_id,
    "State" => state,
    "CidrBlock" => cidr_block,
    "DhcpOptionsId" => dhcp_options_id,
});
json_struct!(Subnet {
    "AvailabilityZoneId" => availability_zone_id,
    "EnableLniAtDeviceIndex" => enable_lni_at_device_index,
    "MapCustomerOwnedIpOnLaunch" => map_customer_owned_ip_on_launch,
    "CustomerOwnedIpv4Pool" => customer_owned_ipv4_pool,
    "OwnerId" => owner_id,
    "AssignIpv6AddressOnCreation" => assign_ipv6_address_on_creation,
    "Ipv6CidrBlockAssociationSet" => ipv6_cidr_block_association_set,
    "Tags" => tags,
    "SubnetArn" => subnet_arn,
    "OutpostArn" => outpost_arn,
    "EnableDns64" => enable_dns64,
    "Ipv6Native" => ipv6_native,
    "PrivateDnsNameOptionsOnLaunch" => private_dns_name_options_on_launch,
    "BlockPublicAccessStates" => block_public_access_states,
    "SubnetId" => subnet_id,
    "State" => state,
    "VpcId" => vpc_id,
    "CidrBlock" => cidr_block,
    "AvailableIpAddressCount" => available_ip_address_count,
    "AvailabilityZone" => availability_zone,
    "DefaultForAz" => default_for_az,
    "MapPublicIpOnLaunch" => map_public_ip_on_launch,
});
json_struct!(RouteTable {
    "Associations" => associations,
    "PropagatingVgws" => propagating_vgws,
    "RouteTableId" => route_table_id,
    "Routes" => routes,
    "Tags" => tags,
    "VpcId" => vpc_id,
    "OwnerId" => owner_id,
});
json_struct!(InternetGateway {
    "Attachments" => attachments,
    "InternetGatewayId" => internet_gateway_id,
    "OwnerId" => owner_id,
    "Tags" => tags,
});
json_struct!(Instance {
    "Architecture" => architecture,
    "BlockDeviceMappings" => block_device_mappings,
    "ClientToken" => client_token,
    "EbsOptimized" => ebs_optimized,
    "EnaSupport" => ena_support,
    "Hypervisor" => hypervisor,
    "IamInstanceProfile" => iam_instance_profile,
    "InstanceLifecycle" => instance_lifecycle,
    "ElasticGpuAssociations" => elastic_gpu_associations,
    "ElasticInferenceAcceleratorAssociations" => elastic_inference_accelerator_associations,
    "NetworkInterfaces" => network_interfaces,
    "OutpostArn" => outpost_arn,
    "RootDeviceName" => root_device_name,
    "RootDeviceType" => root_device_type,
    "SecurityGroups" => security_groups,
    "SourceDestCheck" => source_dest_check,
    "SpotInstanceRequestId" => spot_instance_request_id,
    "SriovNetSupport" => sriov_net_support,
    "StateReason" => state_reason,
    "Tags" => tags,
    "VirtualizationType" => virtualization_type,
    "CpuOptions" => cpu_options,
    "CapacityBlockId" => capacity_block_id,
    "CapacityReservationId" => capacity_reservation_id,
    "CapacityReservationSpecification" => capacity_reservation_specification,
    "HibernationOptions" => hibernation_options,
    "Licenses" => licenses,
    "MetadataOptions" => metadata_options,
    "EnclaveOptions" => enclave_options,
    "BootMode" => boot_mode,
    "PlatformDetails" => platform_details,
    "UsageOperation" => usage_operation,
    "UsageOperationUpdateTime" => usage_operation_update_time,
    "PrivateDnsNameOptions" => private_dns_name_options,
    "Ipv6Address" => ipv6_address,
    "TpmSupport" => tpm_support,
    "MaintenanceOptions" => maintenance_options,
    "CurrentInstanceBootMode" => current_instance_boot_mode,
    "NetworkPerformanceOptions" => network_performance_options,
    "Operator" => operator,
    "SecondaryInterfaces" => secondary_interfaces,
    "InstanceId" => instance_id,
    "ImageId" => image_id,
    "State" => state,
    "PrivateDnsName" => private_dns_name,
    "PublicDnsName" => public_dns_name,
    "StateTransitionReason" => state_transition_reason,
    "KeyName" => key_name,
    "AmiLaunchIndex" => ami_launch_index,
    "ProductCodes" => product_codes,
    "InstanceType" => instance_type,
    "LaunchTime" => launch_time,
    "Placement" => placement,
    "KernelId" => kernel_id,
    "RamdiskId" => ramdisk_id,
    "Platform" => platform,
    "Monitoring" => monitoring,
    "SubnetId" => subnet_id,
    "VpcId" => vpc_id,
    "PrivateIpAddress" => private_ip_address,
    "PublicIpAddress" => public_ip_address,
});
json_struct!(Volume {
    "AvailabilityZoneId" => availability_zone_id,
    "OutpostArn" => outpost_arn,
    "SourceVolumeId" => source_volume_id,
    "Iops" => iops,
    "Tags" => tags,
    "VolumeType" => volume_type,
    "FastRestored" => fast_restored,
    "MultiAttachEnabled" => multi_attach_enabled,
    "Throughput" => throughput,
    "SseType" => sse_type,
    "Operator" => operator,
    "VolumeInitializationRate" => volume_initialization_rate,
    "VolumeArn" => volume_arn,
    "OwnerId" => owner_id,
    "VolumeId" => volume_id,
    "Size" => size,
    "SnapshotId" => snapshot_id,
    "AvailabilityZone" => availability_zone,
    "State" => state,
    "CreateTime" => create_time,
    "Attachments" => attachments,
    "Encrypted" => encrypted,
    "KmsKeyId" => kms_key_id,
});
json_struct!(IpPermission {
    "IpProtocol" => ip_protocol,
    "FromPort" => from_port,
    "ToPort" => to_port,
    "UserIdGroupPairs" => user_id_group_pairs,
    "IpRanges" => ip_ranges,
    "Ipv6Ranges" => ipv6_ranges,
    "PrefixListIds" => prefix_list_ids,
});
json_struct!(Tag { "Key" => key, "Value" => value });
json_struct!(ReferencedSecurityGroup {
    "GroupId" => group_id,
    "PeeringStatus" => peering_status,
    "UserId" => user_id,
    "VpcId" => vpc_id,
    "VpcPeeringConnectionId" => vpc_peering_connection_id,
});
json_enum!(Tenancy);
json_struct!(VpcIpv6CidrBlockAssociation {
    "AssociationId" => association_id,
    "Ipv6CidrBlock" => ipv6_cidr_block,
    "Ipv6CidrBlockState" => ipv6_cidr_block_state,
    "NetworkBorderGroup" => network_border_group,
    "Ipv6Pool" => ipv6_pool,
    "Ipv6AddressAttribute" => ipv6_address_attribute,
    "IpSource" => ip_source,
});
json_struct!(VpcCidrBlockAssociation {
    "AssociationId" => association_id,
    "CidrBlock" => cidr_block,
    "CidrBlockState" => cidr_block_state,
});
json_struct!(VpcEncryptionControl {
    "VpcId" => vpc_id,
    "VpcEncryptionControlId" => vpc_encryption_control_id,
    "Mode" => mode,
    "State" => state,
    "StateMessage" => state_message,
    "ResourceExclusions" => resource_exclusions,
    "Tags" => tags,
});
json_struct!(BlockPublicAccessStates { "InternetGatewayBlockMode" => internet_gateway_block_mode });
json_enum!(VpcState);
json_struct!(SubnetIpv6CidrBlockAssociation {
    "AssociationId" => association_id,
    "Ipv6CidrBlock" => ipv6_cidr_block,
    "Ipv6CidrBlockState" => ipv6_cidr_block_state,
    "Ipv6AddressAttribute" => ipv6_address_attribute,
    "IpSource" => ip_source,
});
json_struct!(PrivateDnsNameOptionsOnLaunch {
    "HostnameType" => hostname_type,
    "EnableResourceNameDnsARecord" => enable_resource_name_dns_a_record,
    "EnableResourceNameDnsAAAARecord" => enable_resource_name_dns_aaaa_record,
});
json_enum!(SubnetState);
json_struct!(RouteTableAssociation {
    "Main" => main,
    "RouteTableAssociationId" => route_table_association_id,
    "RouteTableId" => route_table_id,
    "SubnetId" => subnet_id,
    "GatewayId" => gateway_id,
    "PublicIpv4Pool" => public_ipv4_pool,
    "AssociationState" => association_state,
});
json_struct!(PropagatingVgw { "GatewayId" => gateway_id });
json_struct!(Route {
    "DestinationCidrBlock" => destination_cidr_block,
    "DestinationIpv6CidrBlock" => destination_ipv6_cidr_block,
    "DestinationPrefixListId" => destination_prefix_list_id,
    "EgressOnlyInternetGatewayId" => egress_only_internet_gateway_id,
    "GatewayId" => gateway_id,
    "InstanceId" => instance_id,
    "InstanceOwnerId" => instance_owner_id,
    "NatGatewayId" => nat_gateway_id,
    "TransitGatewayId" => transit_gateway_id,
    "LocalGatewayId" => local_gateway_id,
    "CarrierGatewayId" => carrier_gateway_id,
    "NetworkInterfaceId" => network_interface_id,
    "Origin" => origin,
    "State" => state,
    "VpcPeeringConnectionId" => vpc_peering_connection_id,
    "CoreNetworkArn" => core_network_arn,
    "OdbNetworkArn" => odb_network_arn,
    "IpAddress" => ip_address,
});
json_struct!(InternetGatewayAttachment { "State" => state, "VpcId" => vpc_id });
json_enum!(ArchitectureValues);
json_struct!(InstanceBlockDeviceMapping { "DeviceName" => device_name, "Ebs" => ebs });
json_enum!(HypervisorType);
json_struct!(IamInstanceProfile { "Arn" => arn, "Id" => id });
json_enum!(InstanceLifecycleType);
json_struct!(ElasticGpuAssociation {
    "ElasticGpuId" => elastic_gpu_id,
    "ElasticGpuAssociationId" => elastic_gpu_association_id,
    "ElasticGpuAssociationState" => elastic_gpu_association_state,
    "ElasticGpuAssociationTime" => elastic_gpu_association_time,
});
json_struct!(ElasticInferenceAcceleratorAssociation {
    "ElasticInferenceAcceleratorArn" => elastic_inference_accelerator_arn,
    "ElasticInferenceAcceleratorAssociationId" => elastic_inference_accelerator_association_id,
    "ElasticInferenceAcceleratorAssociationState" =>
        elastic_inference_accelerator_association_state,
    "ElasticInferenceAcceleratorAssociationTime" => elastic_inference_accelerator_association_time,
});
json_struct!(InstanceNetworkInterface {
    "Association" => association,
    "Attachment" => attachment,
    "Description" => description,
    "Groups" => groups,
    "Ipv6Addresses" => ipv6_addresses,
    "MacAddress" => mac_address,
    "NetworkInterfaceId" => network_interface_id,
    "OwnerId" => owner_id,
    "PrivateDnsName" => private_dns_name,
    "PrivateIpAddress" => private_ip_address,
    "PrivateIpAddresses" => private_ip_addresses,
    "SourceDestCheck" => source_dest_check,
    "Status" => status,
    "SubnetId" => subnet_id,
    "VpcId" => vpc_id,
    "InterfaceType" => interface_type,
    "Ipv4Prefixes" => ipv4_prefixes,
    "Ipv6Prefixes" => ipv6_prefixes,
    "ConnectionTrackingConfiguration" => connection_tracking_configuration,
    "Operator" => operator,
});
json_enum!(DeviceType);
json_struct!(GroupIdentifier { "GroupId" => group_id, "GroupName" => group_name });
json_struct!(StateReason { "Code" => code, "Message" => message });
json_enum!(VirtualizationType);
json_struct!(CpuOptions {
    "CoreCount" => core_count,
    "ThreadsPerCore" => threads_per_core,
    "AmdSevSnp" => amd_sev_snp,
    "NestedVirtualization" => nested_virtualization,
});
json_struct!(CapacityReservationSpecificationResponse {
    "CapacityReservationPreference" => capacity_reservation_preference,
    "CapacityReservationTarget" => capacity_reservation_target,
});
json_struct!(HibernationOptions { "Configured" => configured });
json_struct!(LicenseConfiguration { "LicenseConfigurationArn" => license_configuration_arn });
json_struct!(InstanceMetadataOptionsResponse {
    "State" => state,
    "HttpTokens" => http_tokens,
    "HttpPutResponseHopLimit" => http_put_response_hop_limit,
    "HttpEndpoint" => http_endpoint,
    "HttpProtocolIpv6" => http_protocol_ipv6,
    "InstanceMetadataTags" => instance_metadata_tags,
});
json_struct!(EnclaveOptions { "Enabled" => enabled });
json_enum!(BootModeValues);
json_struct!(PrivateDnsNameOptionsResponse {
    "HostnameType" => hostname_type,
    "EnableResourceNameDnsARecord" => enable_resource_name_dns_a_record,
    "EnableResourceNameDnsAAAARecord" => enable_resource_name_dns_aaaa_record,
});
json_struct!(InstanceMaintenanceOptions {
    "AutoRecovery" => auto_recovery,
    "RebootMigration" => reboot_migration,
});
json_enum!(InstanceBootModeValues);
json_struct!(InstanceNetworkPerformanceOptions { "BandwidthWeighting" => bandwidth_weighting });
json_struct!(OperatorResponse {
    "Managed" => managed,
    "Principal" => principal,
    "HiddenByDefault" => hidden_by_default,
});
json_struct!(InstanceSecondaryInterface {
    "Attachment" => attachment,
    "MacAddress" => mac_address,
    "SecondaryInterfaceId" => secondary_interface_id,
    "OwnerId" => owner_id,
    "PrivateIpAddresses" => private_ip_addresses,
    "SourceDestCheck" => source_dest_check,
    "Status" => status,
    "SecondarySubnetId" => secondary_subnet_id,
    "SecondaryNetworkId" => secondary_network_id,
    "InterfaceType" => interface_type,
});
json_struct!(InstanceState { "Code" => code, "Name" => name });
json_struct!(ProductCode {
    "ProductCodeId" => product_code_id,
    "ProductCodeType" => product_code_type,
});
json_enum!(InstanceType);
json_struct!(Placement {
    "AvailabilityZoneId" => availability_zone_id,
    "Affinity" => affinity,
    "GroupName" => group_name,
    "PartitionNumber" => partition_number,
    "HostId" => host_id,
    "Tenancy" => tenancy,
    "SpreadDomain" => spread_domain,
    "HostResourceGroupArn" => host_resource_group_arn,
    "GroupId" => group_id,
    "AvailabilityZone" => availability_zone,
});
json_enum!(PlatformValues);
json_struct!(Monitoring { "State" => state });
json_enum!(VolumeType);
json_enum!(SseType);
json_enum!(VolumeState);
json_struct!(VolumeAttachment {
    "DeleteOnTermination" => delete_on_termination,
    "AssociatedResource" => associated_resource,
    "InstanceOwningService" => instance_owning_service,
    "EbsCardIndex" => ebs_card_index,
    "VolumeId" => volume_id,
    "InstanceId" => instance_id,
    "Device" => device,
    "State" => state,
    "AttachTime" => attach_time,
});
json_struct!(UserIdGroupPair {
    "Description" => description,
    "UserId" => user_id,
    "GroupName" => group_name,
    "GroupId" => group_id,
    "VpcId" => vpc_id,
    "VpcPeeringConnectionId" => vpc_peering_connection_id,
    "PeeringStatus" => peering_status,
});
json_struct!(IpRange { "Description" => description, "CidrIp" => cidr_ip });
json_struct!(Ipv6Range { "Description" => description, "CidrIpv6" => cidr_ipv6 });
json_struct!(PrefixListId { "Description" => description, "PrefixListId" => prefix_list_id });
json_struct!(VpcCidrBlockState { "State" => state, "StatusMessage" => status_message });
json_enum!(Ipv6AddressAttribute);
json_enum!(IpSource);
json_enum!(VpcEncryptionControlMode);
json_enum!(VpcEncryptionControlState);
json_struct!(VpcEncryptionControlExclusions {
    "InternetGateway" => internet_gateway,
    "EgressOnlyInternetGateway" => egress_only_internet_gateway,
    "NatGateway" => nat_gateway,
    "VirtualPrivateGateway" => virtual_private_gateway,
    "VpcPeering" => vpc_peering,
    "Lambda" => lambda,
    "VpcLattice" => vpc_lattice,
    "ElasticFileSystem" => elastic_file_system,
});
json_enum!(BlockPublicAccessMode);
json_struct!(SubnetCidrBlockState { "State" => state, "StatusMessage" => status_message });
json_enum!(HostnameType);
json_struct!(RouteTableAssociationState { "State" => state, "StatusMessage" => status_message });
json_enum!(RouteOrigin);
json_enum!(RouteState);
json_enum!(AttachmentStatus);
json_struct!(EbsInstanceBlockDevice {
    "AttachTime" => attach_time,
    "DeleteOnTermination" => delete_on_termination,
    "Status" => status,
    "VolumeId" => volume_id,
    "AssociatedResource" => associated_resource,
    "VolumeOwnerId" => volume_owner_id,
    "Operator" => operator,
    "EbsCardIndex" => ebs_card_index,
});
json_struct!(InstanceNetworkInterfaceAssociation {
    "CarrierIp" => carrier_ip,
    "CustomerOwnedIp" => customer_owned_ip,
    "IpOwnerId" => ip_owner_id,
    "PublicDnsName" => public_dns_name,
    "PublicIp" => public_ip,
});
json_struct!(InstanceNetworkInterfaceAttachment {
    "AttachTime" => attach_time,
    "AttachmentId" => attachment_id,
    "DeleteOnTermination" => delete_on_termination,
    "DeviceIndex" => device_index,
    "Status" => status,
    "NetworkCardIndex" => network_card_index,
    "EnaSrdSpecification" => ena_srd_specification,
    "EnaQueueCount" => ena_queue_count,
});
json_struct!(InstanceIpv6Address {
    "Ipv6Address" => ipv6_address,
    "IsPrimaryIpv6" => is_primary_ipv6,
});
json_struct!(InstancePrivateIpAddress {
    "Association" => association,
    "Primary" => primary,
    "PrivateDnsName" => private_dns_name,
    "PrivateIpAddress" => private_ip_address,
});
json_enum!(NetworkInterfaceStatus);
json_struct!(InstanceIpv4Prefix { "Ipv4Prefix" => ipv4_prefix });
json_struct!(InstanceIpv6Prefix { "Ipv6Prefix" => ipv6_prefix });
json_struct!(ConnectionTrackingSpecificationResponse {
    "TcpEstablishedTimeout" => tcp_established_timeout,
    "UdpStreamTimeout" => udp_stream_timeout,
    "UdpTimeout" => udp_timeout,
});
json_enum!(AmdSevSnpSpecification);
json_enum!(NestedVirtualizationSpecification);
json_enum!(CapacityReservationPreference);
json_struct!(CapacityReservationTargetResponse {
    "CapacityReservationId" => capacity_reservation_id,
    "CapacityReservationResourceGroupArn" => capacity_reservation_resource_group_arn,
});
json_enum!(InstanceMetadataOptionsState);
json_enum!(HttpTokensState);
json_enum!(InstanceMetadataEndpointState);
json_enum!(InstanceMetadataProtocolState);
json_enum!(InstanceMetadataTagsState);
json_enum!(InstanceAutoRecoveryState);
json_enum!(InstanceRebootMigrationState);
json_enum!(InstanceBandwidthWeighting);
json_struct!(InstanceSecondaryInterfaceAttachment {
    "AttachTime" => attach_time,
    "AttachmentId" => attachment_id,
    "DeleteOnTermination" => delete_on_termination,
    "DeviceIndex" => device_index,
    "Status" => status,
    "NetworkCardIndex" => network_card_index,
});
json_struct!(InstanceSecondaryInterfacePrivateIpAddress {
    "PrivateIpAddress" => private_ip_address,
});
json_enum!(SecondaryInterfaceStatus);
json_enum!(SecondaryInterfaceType);
json_enum!(InstanceStateName);
json_enum!(ProductCodeValues);
json_enum!(MonitoringState);
json_enum!(VolumeAttachmentState);
json_enum!(VpcCidrBlockStateCode);
json_struct!(VpcEncryptionControlExclusion { "State" => state, "StateMessage" => state_message });
json_enum!(SubnetCidrBlockStateCode);
json_enum!(RouteTableAssociationStateCode);
json_struct!(InstanceAttachmentEnaSrdSpecification {
    "EnaSrdEnabled" => ena_srd_enabled,
    "EnaSrdUdpSpecification" => ena_srd_udp_specification,
});
json_enum!(VpcEncryptionControlExclusionState);
json_struct!(InstanceAttachmentEnaSrdUdpSpecification {
    "EnaSrdUdpEnabled" => ena_srd_udp_enabled,
});

fn client(ctx: &Ctx, region: &str) -> Client {
    let conf = aws_sdk_ec2::config::Builder::from(&ctx.sdk)
        .retry_partition(ctx.retry_partition("ec2"))
        .region(Region::new(region.to_string()))
        .build();
    Client::from_conf(conf)
}

/// A resource of `kind` from an EC2 shape; its ARN built from `arn_type/id`.
fn resource(
    ctx: &Ctx,
    job: &Job,
    kind: &str,
    arn_type: &str,
    id: Option<&str>,
    owner: Option<&str>,
    body: Value,
) -> Option<LiveResource> {
    let id = id?.to_string();
    let region = &job.scope.region;
    Some(LiveResource {
        kind: kind.to_string(),
        arn: Some(ctx.arn("ec2", region, owner, &format!("{arn_type}/{id}"))),
        id,
        region: region.clone(),
        body,
    })
}

pub(crate) async fn security_groups(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let items = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeSecurityGroups",
            |t| {
                c.describe_security_groups()
                    .max_results(1000)
                    .set_next_token(t)
                    .send()
            },
            |p| (p.security_groups.unwrap_or_default(), p.next_token),
        )
        .await
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|g| {
            let id = g.group_id.as_deref();
            let mut r = resource(
                &ctx,
                &job,
                "ec2:security-group",
                "security-group",
                id,
                g.owner_id.as_deref(),
                body(g),
            )?;
            r.arn = g.security_group_arn.clone().or(r.arn);
            Some(r)
        })
        .collect()
}

pub(crate) async fn security_group_rules(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let items = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeSecurityGroupRules",
            |t| {
                c.describe_security_group_rules()
                    .max_results(1000)
                    .set_next_token(t)
                    .send()
            },
            |p| (p.security_group_rules.unwrap_or_default(), p.next_token),
        )
        .await
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|g| {
            let id = g.security_group_rule_id.as_deref();
            let mut r = resource(
                &ctx,
                &job,
                "ec2:security-group-rule",
                "security-group-rule",
                id,
                g.group_owner_id.as_deref(),
                body(g),
            )?;
            r.arn = g.security_group_rule_arn.clone().or(r.arn);
            Some(r)
        })
        .collect()
}

pub(crate) async fn vpcs(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let Some(items) = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeVpcs",
            |t| c.describe_vpcs().max_results(1000).set_next_token(t).send(),
            |p| (p.vpcs.unwrap_or_default(), p.next_token),
        )
        .await
    else {
        return Vec::new();
    };
    let mut set = tokio::task::JoinSet::new();
    for v in items {
        let Some(id) = v.vpc_id.clone().filter(|id| job.wants(id)) else {
            continue;
        };
        let (ctx, job, c) = (ctx.clone(), job.clone(), c.clone());
        set.spawn(async move {
            let attribute =
                |a: VpcAttributeName| c.describe_vpc_attribute().vpc_id(&id).attribute(a).send();
            let (support, hostnames) = tokio::join!(
                ctx.call(
                    "ec2",
                    "DescribeVpcAttribute",
                    attribute(VpcAttributeName::EnableDnsSupport)
                ),
                ctx.call(
                    "ec2",
                    "DescribeVpcAttribute",
                    attribute(VpcAttributeName::EnableDnsHostnames)
                ),
            );
            let mut b = body(&v);
            match (support, hostnames) {
                (Ok(s), Ok(h)) => {
                    let value = |a: Option<AttributeBooleanValue>| a.and_then(|a| a.value);
                    b["EnableDnsSupport"] = value(s.enable_dns_support).into();
                    b["EnableDnsHostnames"] = value(h.enable_dns_hostnames).into();
                }
                (Err(f), _) | (_, Err(f)) => {
                    // Deleted since it was listed: it is simply not there.
                    if !f.is(&["InvalidVpcID.NotFound"]) {
                        ctx.report(&job.scope, "ec2:DescribeVpcAttribute", &f);
                    }
                    return None;
                }
            }
            resource(
                &ctx,
                &job,
                "ec2:vpc",
                "vpc",
                Some(&id),
                v.owner_id.as_deref(),
                b,
            )
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => out.extend(r),
            Err(_) => ctx.fail(
                &job.scope,
                "ec2:DescribeVpcAttribute",
                "a VPC reader stopped unexpectedly".to_string(),
            ),
        }
    }
    out
}

pub(crate) async fn subnets(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let items = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeSubnets",
            |t| {
                c.describe_subnets()
                    .max_results(1000)
                    .set_next_token(t)
                    .send()
            },
            |p| (p.subnets.unwrap_or_default(), p.next_token),
        )
        .await
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|s| {
            let mut r = resource(
                &ctx,
                &job,
                "ec2:subnet",
                "subnet",
                s.subnet_id.as_deref(),
                s.owner_id.as_deref(),
                body(s),
            )?;
            r.arn = s.subnet_arn.clone().or(r.arn);
            Some(r)
        })
        .collect()
}

pub(crate) async fn route_tables(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let items = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeRouteTables",
            |t| {
                c.describe_route_tables()
                    .max_results(100)
                    .set_next_token(t)
                    .send()
            },
            |p| (p.route_tables.unwrap_or_default(), p.next_token),
        )
        .await
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|t| {
            resource(
                &ctx,
                &job,
                "ec2:route-table",
                "route-table",
                t.route_table_id.as_deref(),
                t.owner_id.as_deref(),
                body(t),
            )
        })
        .collect()
}

pub(crate) async fn internet_gateways(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let items = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeInternetGateways",
            |t| {
                c.describe_internet_gateways()
                    .max_results(1000)
                    .set_next_token(t)
                    .send()
            },
            |p| (p.internet_gateways.unwrap_or_default(), p.next_token),
        )
        .await
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|g| {
            resource(
                &ctx,
                &job,
                "ec2:internet-gateway",
                "internet-gateway",
                g.internet_gateway_id.as_deref(),
                g.owner_id.as_deref(),
                body(g),
            )
        })
        .collect()
}

pub(crate) async fn instances(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let reservations = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeInstances",
            |t| {
                c.describe_instances()
                    .max_results(1000)
                    .set_next_token(t)
                    .send()
            },
            |p| (p.reservations.unwrap_or_default(), p.next_token),
        )
        .await
        .unwrap_or_default();
    let mut out = Vec::new();
    for r in &reservations {
        for i in r.instances.as_deref().unwrap_or_default() {
            // A terminated instance lingers in the listing for a while; it is gone.
            let state = i.state.as_ref().and_then(|s| s.name.as_ref());
            if state == Some(&InstanceStateName::Terminated) {
                continue;
            }
            out.extend(resource(
                &ctx,
                &job,
                "ec2:instance",
                "instance",
                i.instance_id.as_deref(),
                r.owner_id.as_deref(),
                body(i),
            ));
        }
    }
    out
}

pub(crate) async fn volumes(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let c = client(&ctx, &job.scope.region);
    let items = ctx
        .pages(
            &job.scope,
            "ec2",
            "DescribeVolumes",
            |t| {
                c.describe_volumes()
                    .max_results(500)
                    .set_next_token(t)
                    .send()
            },
            |p| (p.volumes.unwrap_or_default(), p.next_token),
        )
        .await
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|v| {
            resource(
                &ctx,
                &job,
                "ec2:volume",
                "volume",
                v.volume_id.as_deref(),
                None,
                body(v),
            )
        })
        .collect()
}
