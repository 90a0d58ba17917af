//! What AWS readers return, in a shape that needs no SDK: snapshots and the drift check use
//! it with or without the `aws` cargo feature.
//!
//! A reader *kind* (`s3:bucket`, `ec2:security-group`, `iam:role`…) is one kind of live
//! resource as one API lists it. Its `body` is the API's own shape, with the AWS API member
//! names (PascalCase, as in the API reference), so that the drift rules in `rules/aws/` map
//! Terraform attributes onto documented paths. What each kind's body holds is documented on
//! [`READERS`].

use crate::model::Notification;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Everything read from one AWS account (one set of credentials), across its regions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AwsAccount {
    /// The profile name (`--aws-profile`, `AWS_PROFILE`), or `default`.
    pub name: String,
    /// The account id from STS `GetCallerIdentity` (empty when it could not be read).
    pub account_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
    /// The endpoint URL override, when one was set (emulators, S3-compatible stores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Regions read, sorted.
    pub regions: Vec<String>,
    /// Kinds read completely, and where. Anything not here was not checked, and the scan
    /// must say so (a notification, exit 3), never report "no drift" for it.
    pub complete: Vec<AwsScope>,
    /// Resources read, sorted by (kind, region, id).
    pub resources: Vec<LiveResource>,
    /// What could not be read and why (access denied, throttled past the budget, errors).
    pub notifications: Vec<Notification>,
    /// API calls sent, by `service:Action` (for `--timings`, the benchmark and tests).
    pub calls: BTreeMap<String, u64>,
}

/// One reader kind read completely in one region (`global` for IAM, and for S3, whose
/// bucket listing is global; each bucket's own region is in its `LiveResource::region`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AwsScope {
    pub kind: String,
    pub region: String,
}

/// One live resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveResource {
    /// Reader kind, e.g. `ec2:security-group`.
    pub kind: String,
    /// The resource's live key (see [`ReaderInfo::key`]).
    pub id: String,
    /// Its ARN (built when the API does not return one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The region it lives in; `global` for IAM.
    pub region: String,
    /// The API's shape of it (see [`READERS`]). Sensitive values never enter it.
    pub body: serde_json::Value,
}

/// What a scan asks the AWS reader for.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct AwsRequest {
    /// Reader kind.
    pub kind: String,
    /// Regions to read it in (ignored for global kinds). Empty: the reader's configured
    /// regions.
    pub regions: BTreeSet<String>,
    /// The live keys the states declare. Kinds whose details cost one call per resource (S3
    /// buckets, KMS keys, Lambda tags) read details only for these, unless `all`.
    pub ids: BTreeSet<String>,
    /// Read details of every resource of the kind (for `unmanaged` reporting).
    pub all: bool,
    /// For the [`READ_BY_MEMBER`] kinds: the top-level body members to read. `None`: every
    /// member. Other readers read whole bodies.
    pub members: Option<BTreeSet<String>>,
}

/// Kinds whose body members each cost a call per resource (S3 bucket settings): their
/// readers read only the members a request names, and a body holds each member read
/// (`null` when unset), so an absent member was not read.
pub const READ_BY_MEMBER: &[&str] = &["s3:bucket"];

/// One reader kind in the registry: what it reads and which read-only IAM actions it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderInfo {
    pub kind: &'static str,
    /// Which body member is the live key (`LiveResource::id`).
    pub key: &'static str,
    /// Read once per account (IAM; S3's bucket listing), not once per region.
    pub global: bool,
    /// Every IAM action the reader may call (`s3:GetBucketVersioning`…), read-only.
    pub actions: &'static [&'static str],
    /// One line on what the body holds.
    pub body: &'static str,
}

/// The reader registry. Bodies are the AWS API shapes named here, members PascalCase as in
/// the API reference; a member the API did not return is absent (or `null` where said).
pub const READERS: &[ReaderInfo] = &[
    ReaderInfo {
        kind: "s3:bucket",
        key: "Name",
        global: true,
        actions: &[
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:GetBucketVersioning",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketPolicy",
            "s3:GetBucketLogging",
            "s3:GetLifecycleConfiguration",
            "s3:GetBucketOwnershipControls",
        ],
        body: "{Name, Region, CreationDate, Tags:[{Key,Value}], Versioning:{Status?,MFADelete?}, \
               ServerSideEncryptionConfiguration:{Rules:[…]}|null, \
               PublicAccessBlockConfiguration:{BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,\
               RestrictPublicBuckets}|null, Policy:string|null, \
               LoggingEnabled:{TargetBucket,TargetPrefix}|null, LifecycleRules:[Rule]|null, \
               OwnershipControls:{Rules:[{ObjectOwnership}]}|null}",
    },
    ReaderInfo {
        kind: "ec2:security-group",
        key: "GroupId",
        global: false,
        actions: &["ec2:DescribeSecurityGroups"],
        body: "EC2 SecurityGroup: {GroupId, GroupName, Description, VpcId, OwnerId, \
               IpPermissions:[IpPermission], IpPermissionsEgress:[IpPermission], \
               Tags:[{Key,Value}]}",
    },
    ReaderInfo {
        kind: "ec2:security-group-rule",
        key: "SecurityGroupRuleId",
        global: false,
        actions: &["ec2:DescribeSecurityGroupRules"],
        body: "EC2 SecurityGroupRule: {SecurityGroupRuleId, GroupId, GroupOwnerId, IsEgress, \
               IpProtocol, FromPort, ToPort, CidrIpv4?, CidrIpv6?, PrefixListId?, \
               ReferencedGroupInfo:{GroupId,UserId}?, Description?, Tags:[{Key,Value}]}",
    },
    ReaderInfo {
        kind: "ec2:vpc",
        key: "VpcId",
        global: false,
        actions: &["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"],
        body: "EC2 Vpc plus EnableDnsSupport and EnableDnsHostnames (booleans, from \
               DescribeVpcAttribute): {VpcId, CidrBlock, InstanceTenancy, IsDefault, \
               DhcpOptionsId, CidrBlockAssociationSet, Ipv6CidrBlockAssociationSet, Tags}",
    },
    ReaderInfo {
        kind: "ec2:subnet",
        key: "SubnetId",
        global: false,
        actions: &["ec2:DescribeSubnets"],
        body: "EC2 Subnet: {SubnetId, VpcId, CidrBlock, AvailabilityZone, MapPublicIpOnLaunch, \
               DefaultForAz, Ipv6CidrBlockAssociationSet, Tags}",
    },
    ReaderInfo {
        kind: "ec2:route-table",
        key: "RouteTableId",
        global: false,
        actions: &["ec2:DescribeRouteTables"],
        body: "EC2 RouteTable: {RouteTableId, VpcId, Routes:[Route], \
               Associations:[{Main,…}], Tags}",
    },
    ReaderInfo {
        kind: "ec2:internet-gateway",
        key: "InternetGatewayId",
        global: false,
        actions: &["ec2:DescribeInternetGateways"],
        body: "EC2 InternetGateway: {InternetGatewayId, Attachments:[{VpcId,State}], Tags}",
    },
    ReaderInfo {
        kind: "ec2:instance",
        key: "InstanceId",
        global: false,
        actions: &["ec2:DescribeInstances"],
        body: "EC2 Instance (terminated ones left out): {InstanceId, ImageId, InstanceType, \
               SubnetId, VpcId, KeyName, SecurityGroups:[{GroupId,GroupName}], \
               IamInstanceProfile:{Arn}, MetadataOptions:{HttpTokens,…}, Monitoring:{State}, \
               EbsOptimized, PublicIpAddress?, BlockDeviceMappings, State:{Name}, Tags}",
    },
    ReaderInfo {
        kind: "ec2:volume",
        key: "VolumeId",
        global: false,
        actions: &["ec2:DescribeVolumes"],
        body: "EC2 Volume: {VolumeId, AvailabilityZone, Size, VolumeType, Iops, Throughput, \
               Encrypted, KmsKeyId, SnapshotId, Tags}",
    },
    ReaderInfo {
        kind: "iam:role",
        key: "RoleName",
        global: true,
        actions: &["iam:GetAccountAuthorizationDetails", "iam:ListRoles"],
        body: "IAM RoleDetail from GetAccountAuthorizationDetails, policy documents URL-decoded \
               to their JSON text, with Description and MaxSessionDuration from ListRoles: \
               {RoleName, RoleId, Arn, Path, AssumeRolePolicyDocument, \
               Description?, MaxSessionDuration?, PermissionsBoundary?, \
               RolePolicyList:[{PolicyName,PolicyDocument}], \
               AttachedManagedPolicies:[{PolicyName,PolicyArn}], Tags}",
    },
    ReaderInfo {
        kind: "iam:policy",
        key: "Arn",
        global: true,
        actions: &["iam:GetAccountAuthorizationDetails"],
        body: "IAM ManagedPolicyDetail (customer managed only) plus Document, the default \
               version's document URL-decoded to JSON text: {PolicyName, PolicyId, Arn, Path, \
               Description?, DefaultVersionId, AttachmentCount, Document, Tags?}",
    },
    ReaderInfo {
        kind: "iam:user",
        key: "UserName",
        global: true,
        actions: &["iam:GetAccountAuthorizationDetails"],
        body: "IAM UserDetail: {UserName, UserId, Arn, Path, PermissionsBoundary?, \
               UserPolicyList:[{PolicyName,PolicyDocument}], GroupList:[name], \
               AttachedManagedPolicies:[{PolicyName,PolicyArn}], Tags}",
    },
    ReaderInfo {
        kind: "iam:group",
        key: "GroupName",
        global: true,
        actions: &["iam:GetAccountAuthorizationDetails"],
        body: "IAM GroupDetail: {GroupName, GroupId, Arn, Path, \
               GroupPolicyList:[{PolicyName,PolicyDocument}], \
               AttachedManagedPolicies:[{PolicyName,PolicyArn}]}",
    },
    ReaderInfo {
        kind: "kms:key",
        key: "KeyId",
        global: false,
        actions: &[
            "kms:ListKeys",
            "kms:DescribeKey",
            "kms:GetKeyRotationStatus",
            "kms:GetKeyPolicy",
            "kms:ListResourceTags",
        ],
        body: "KMS KeyMetadata (customer managed keys only; pending deletion left out) plus \
               KeyRotationEnabled (bool), Policy (the default policy's JSON text) and \
               Tags:[{TagKey,TagValue}]: {KeyId, Arn, Description, KeyUsage, \
               KeySpec, KeyState, Enabled, MultiRegion, …}",
    },
    ReaderInfo {
        kind: "rds:db-instance",
        key: "DBInstanceIdentifier",
        global: false,
        actions: &["rds:DescribeDBInstances"],
        body: "RDS DBInstance: {DBInstanceIdentifier, DbiResourceId, DBInstanceArn, \
               DBInstanceClass, Engine, EngineVersion, AllocatedStorage, StorageType, \
               StorageEncrypted, KmsKeyId?, PubliclyAccessible, MultiAZ, \
               BackupRetentionPeriod, DeletionProtection, IAMDatabaseAuthenticationEnabled, \
               VpcSecurityGroups:[{VpcSecurityGroupId,Status}], DBSubnetGroup:{…}?, \
               TagList:[{Key,Value}]} (MasterUserPassword is never in the API)",
    },
    ReaderInfo {
        kind: "lambda:function",
        key: "FunctionName",
        global: false,
        actions: &["lambda:ListFunctions", "lambda:ListTags"],
        body: "Lambda FunctionConfiguration plus Tags (a map, from ListTags): {FunctionName, \
               FunctionArn, Runtime, Role, Handler, MemorySize, Timeout, \
               Environment:{Variables:{…hashed…}}, TracingConfig:{Mode}, VpcConfig, \
               KMSKeyArn?, Architectures, PackageType, Tags:{…}} (environment variable values \
               are replaced by keyed hashes before they leave the reader)",
    },
];

/// The registry entry of a reader kind.
pub fn reader(kind: &str) -> Option<&'static ReaderInfo> {
    READERS.iter().find(|r| r.kind == kind)
}

/// The IAM policy a scan needs to read every kind in `kinds` (all kinds when empty), plus
/// `sts:GetCallerIdentity`; read-only actions only, sorted.
pub fn required_policy(kinds: &[&str]) -> serde_json::Value {
    let mut actions: BTreeSet<&str> = BTreeSet::from(["sts:GetCallerIdentity"]);
    for r in READERS
        .iter()
        .filter(|r| kinds.is_empty() || kinds.contains(&r.kind))
    {
        actions.extend(r.actions.iter().copied());
    }
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PlumblineReadOnly",
            "Effect": "Allow",
            "Action": actions.into_iter().collect::<Vec<_>>(),
            "Resource": "*"
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_required_policy_holds_only_read_actions_of_the_registry() {
        let p = required_policy(&[]);
        let actions = p["Statement"][0]["Action"].as_array().unwrap();
        assert!(actions.len() > 20);
        for a in actions {
            let a = a.as_str().unwrap();
            let verb = a.split_once(':').unwrap().1;
            assert!(
                ["List", "Get", "Describe"]
                    .iter()
                    .any(|p| verb.starts_with(p)),
                "{a} is not a read action"
            );
        }
        let s3_only = required_policy(&["s3:bucket"]);
        let n = s3_only["Statement"][0]["Action"].as_array().unwrap().len();
        assert_eq!(n, reader("s3:bucket").unwrap().actions.len() + 1);
    }

    #[test]
    fn kinds_are_unique() {
        let kinds: BTreeSet<_> = READERS.iter().map(|r| r.kind).collect();
        assert_eq!(kinds.len(), READERS.len());
    }
}
