//! The live AWS readers against a real AWS API emulator (moto): resources are created with
//! the SDK, then read back with `live::aws::read`, and the bodies, the completeness, the
//! calls sent and the fault handling are checked.
#![cfg(feature = "aws")]

#[path = "common/moto.rs"]
mod moto;

use aws_config::SdkConfig;
use moto::{runtime, s3_client, sdk, Moto, ThrottleProxy, REGION};
use plumbline::live::aws::{fetch_objects, read, AwsAccount, AwsOptions, AwsRequest, AwsScope};
use serde_json::Value;
use std::collections::BTreeSet;

fn options(url: &str) -> AwsOptions {
    AwsOptions {
        regions: vec![REGION.to_string()],
        endpoint_url: Some(url.to_string()),
        ..AwsOptions::default()
    }
}

fn request(kind: &str, ids: &[&str]) -> AwsRequest {
    AwsRequest {
        kind: kind.to_string(),
        ids: ids.iter().map(|s| s.to_string()).collect(),
        ..AwsRequest::default()
    }
}

fn resource<'a>(account: &'a AwsAccount, kind: &str, id: &str) -> &'a Value {
    &account
        .resources
        .iter()
        .find(|r| r.kind == kind && r.id == id)
        .unwrap_or_else(|| {
            panic!(
                "{kind} {id} was not read; read: {:?}; notifications: {:?}",
                account
                    .resources
                    .iter()
                    .map(|r| (&r.kind, &r.id))
                    .collect::<Vec<_>>(),
                account.notifications
            )
        })
        .body
}

fn ids(account: &AwsAccount, kind: &str) -> BTreeSet<String> {
    account
        .resources
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.id.clone())
        .collect()
}

fn complete(account: &AwsAccount, kind: &str, region: &str) -> bool {
    account.complete.contains(&AwsScope {
        kind: kind.to_string(),
        region: region.to_string(),
    })
}

fn assert_clean(account: &AwsAccount) {
    assert!(
        account.notifications.is_empty(),
        "unexpected notifications: {:#?}",
        account.notifications
    );
}

async fn make_buckets(s3: &aws_sdk_s3::Client) {
    use aws_sdk_s3::types::*;
    for b in ["declared", "plain", "other", "logs"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    let b = "declared";
    s3.put_bucket_versioning()
        .bucket(b)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(b)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket(b)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::declared/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    s3.put_bucket_policy()
        .bucket(b)
        .policy(policy)
        .send()
        .await
        .unwrap();
    s3.put_bucket_tagging()
        .bucket(b)
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("team").value("web").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(b)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("expire-tmp")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
                        .expiration(LifecycleExpiration::builder().days(7).build())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_ownership_controls()
        .bucket(b)
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_acl()
        .bucket("logs")
        .acl(BucketCannedAcl::from("log-delivery-write"))
        .send()
        .await
        .unwrap();
    s3.put_bucket_logging()
        .bucket(b)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket("logs")
                        .target_prefix("declared/")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[test]
fn s3_buckets_are_read_with_their_settings_path_style_and_only_for_declared_ids() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let sdk = sdk(&moto.url).await;
        make_buckets(&s3_client(&sdk)).await;
    });

    let account = read(
        &options(&moto.url),
        &[request("s3:bucket", &["declared", "plain", "gone"])],
    );
    assert_clean(&account);
    assert_eq!(account.account_id, "123456789012");
    assert_eq!(account.partition, "aws");
    assert_eq!(account.endpoint.as_deref(), Some(moto.url.as_str()));
    assert!(complete(&account, "s3:bucket", "global"));
    // Details only for declared buckets that exist: "other" and "logs" are not read.
    assert_eq!(
        ids(&account, "s3:bucket"),
        BTreeSet::from(["declared".to_string(), "plain".to_string()])
    );
    let d = resource(&account, "s3:bucket", "declared");
    assert_eq!(d["Name"], "declared");
    assert_eq!(d["Region"], REGION);
    assert_eq!(d["Versioning"]["Status"], "Enabled");
    assert_eq!(
        d["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
            ["SSEAlgorithm"],
        "AES256"
    );
    let pab = &d["PublicAccessBlockConfiguration"];
    assert_eq!(pab["BlockPublicAcls"], true);
    assert_eq!(pab["RestrictPublicBuckets"], false);
    let policy: Value = serde_json::from_str(d["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Effect"], "Deny");
    assert_eq!(
        d["Tags"],
        serde_json::json!([{"Key": "team", "Value": "web"}])
    );
    assert_eq!(d["LifecycleRules"][0]["ID"], "expire-tmp");
    assert_eq!(d["LifecycleRules"][0]["Expiration"]["Days"], 7);
    assert_eq!(
        d["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    assert_eq!(d["LoggingEnabled"]["TargetBucket"], "logs");
    assert!(d["CreationDate"].is_string());
    let arn = account
        .resources
        .iter()
        .find(|r| r.id == "declared")
        .and_then(|r| r.arn.clone());
    assert_eq!(arn.as_deref(), Some("arn:aws:s3:::declared"));

    // A bucket with no settings: "not found" answers are null members, not errors.
    let p = resource(&account, "s3:bucket", "plain");
    for member in [
        "PublicAccessBlockConfiguration",
        "Policy",
        "LoggingEnabled",
        "LifecycleRules",
        "OwnershipControls",
    ] {
        assert!(p[member].is_null(), "{member}: {}", p[member]);
    }
    assert_eq!(p["Tags"], serde_json::json!([]));
    assert!(p["Versioning"].get("Status").is_none());

    // One listing, and eight settings calls per declared bucket: constant per bucket.
    assert_eq!(account.calls["s3:ListBuckets"], 1);
    assert_eq!(account.calls["s3:GetBucketVersioning"], 2);
    assert_eq!(account.calls["s3:GetBucketPolicy"], 2);

    // `all` reads every bucket.
    let all = read(
        &options(&moto.url),
        &[AwsRequest {
            all: true,
            ..request("s3:bucket", &[])
        }],
    );
    assert_clean(&all);
    assert_eq!(ids(&all, "s3:bucket").len(), 4);

    // Only the settings asked for: tags alone cost one call per bucket.
    let tags_only = read(
        &options(&moto.url),
        &[AwsRequest {
            all: true,
            members: Some(["Tags".to_string()].into()),
            ..request("s3:bucket", &[])
        }],
    );
    assert_clean(&tags_only);
    let settings: Vec<&String> = tags_only
        .calls
        .keys()
        // (GetBucketLocation finds a bucket's region when the listing does not name it.)
        .filter(|k| k.starts_with("s3:Get") && *k != "s3:GetBucketLocation")
        .collect();
    assert_eq!(settings, ["s3:GetBucketTagging"], "{:?}", tags_only.calls);
    assert_eq!(tags_only.calls["s3:GetBucketTagging"], 4);
    for r in tags_only.resources.iter().filter(|r| r.kind == "s3:bucket") {
        assert!(r.body.get("Tags").is_some(), "{}", r.body);
        assert!(r.body.get("Versioning").is_none(), "{}", r.body);
    }
}

#[test]
fn iam_is_read_through_one_authorization_details_listing_with_decoded_documents() {
    let moto = Moto::start();
    let rt = runtime();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::declared/*"}]}"#;
    let policy_arn = rt.block_on(async {
        let sdk = sdk(&moto.url).await;
        let iam = aws_sdk_iam::Client::new(&sdk);
        iam.create_role()
            .role_name("app")
            .assume_role_policy_document(trust)
            .description("the app's role")
            .max_session_duration(7200)
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("team")
                    .value("web")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name("app")
            .policy_name("inline")
            .policy_document(doc)
            .send()
            .await
            .unwrap();
        let arn = iam
            .create_policy()
            .policy_name("read-declared")
            .policy_document(doc)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap()
            .arn
            .unwrap();
        iam.attach_role_policy()
            .role_name("app")
            .policy_arn(&arn)
            .send()
            .await
            .unwrap();
        iam.create_group().group_name("devs").send().await.unwrap();
        iam.create_user().user_name("alice").send().await.unwrap();
        iam.add_user_to_group()
            .group_name("devs")
            .user_name("alice")
            .send()
            .await
            .unwrap();
        iam.attach_group_policy()
            .group_name("devs")
            .policy_arn(&arn)
            .send()
            .await
            .unwrap();
        arn
    });

    let account = read(
        &options(&moto.url),
        &[
            request("iam:role", &["app"]),
            request("iam:policy", &[]),
            request("iam:user", &[]),
            request("iam:group", &[]),
        ],
    );
    assert_clean(&account);
    for kind in ["iam:role", "iam:policy", "iam:user", "iam:group"] {
        assert!(complete(&account, kind, "global"), "{kind} incomplete");
    }
    // The whole account in one paged call, not one per entity; plus one paged ListRoles for
    // what the authorization details leave out of roles.
    let iam_calls: Vec<_> = account
        .calls
        .keys()
        .filter(|k| k.starts_with("iam:"))
        .collect();
    assert_eq!(
        iam_calls,
        vec!["iam:GetAccountAuthorizationDetails", "iam:ListRoles"]
    );
    assert_eq!(account.calls["iam:GetAccountAuthorizationDetails"], 1);
    assert_eq!(account.calls["iam:ListRoles"], 1);

    let role = resource(&account, "iam:role", "app");
    assert_eq!(role["Arn"], "arn:aws:iam::123456789012:role/app");
    assert_eq!(role["Description"], "the app's role");
    assert_eq!(role["MaxSessionDuration"], 7200);
    let trust_read: Value =
        serde_json::from_str(role["AssumeRolePolicyDocument"].as_str().unwrap()).unwrap();
    assert_eq!(
        trust_read["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
    assert_eq!(role["RolePolicyList"][0]["PolicyName"], "inline");
    let inline: Value = serde_json::from_str(
        role["RolePolicyList"][0]["PolicyDocument"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(inline["Statement"][0]["Action"][0], "s3:GetObject");
    assert_eq!(role["AttachedManagedPolicies"][0]["PolicyArn"], policy_arn);
    assert_eq!(
        role["Tags"],
        serde_json::json!([{"Key": "team", "Value": "web"}])
    );

    let policy = resource(&account, "iam:policy", &policy_arn);
    assert_eq!(policy["PolicyName"], "read-declared");
    assert_eq!(policy["DefaultVersionId"], "v1");
    let document: Value = serde_json::from_str(policy["Document"].as_str().unwrap()).unwrap();
    assert_eq!(
        document["Statement"][0]["Resource"],
        "arn:aws:s3:::declared/*"
    );
    assert!(policy.get("PolicyVersionList").is_none());
    // Only customer managed policies (LocalManagedPolicy), not the AWS managed ones.
    assert_eq!(ids(&account, "iam:policy").len(), 1);

    let user = resource(&account, "iam:user", "alice");
    assert_eq!(user["GroupList"], serde_json::json!(["devs"]));
    let group = resource(&account, "iam:group", "devs");
    assert_eq!(
        group["AttachedManagedPolicies"][0]["PolicyArn"], policy_arn,
        "{group}"
    );
    assert!(account
        .resources
        .iter()
        .filter(|r| r.kind.starts_with("iam:"))
        .all(|r| r.region == "global"));
}

#[test]
fn state_objects_are_fetched_by_key_and_by_glob() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let s3 = s3_client(&sdk(&moto.url).await);
        s3.create_bucket().bucket("tf-state").send().await.unwrap();
        for (k, v) in [
            ("env/prod/terraform.tfstate", "prod"),
            ("env/dev/terraform.tfstate", "dev"),
            ("env/dev/notes.txt", "notes"),
            ("env/dev/nested/deeper/terraform.tfstate", "deep"),
        ] {
            s3.put_object()
                .bucket("tf-state")
                .key(k)
                .body(v.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap();
        }
    });
    let opts = options(&moto.url);
    let got = fetch_objects(&opts, "s3://tf-state/env/*/terraform.tfstate").unwrap();
    assert_eq!(
        got,
        vec![
            (
                "s3://tf-state/env/dev/terraform.tfstate".to_string(),
                b"dev".to_vec()
            ),
            (
                "s3://tf-state/env/prod/terraform.tfstate".to_string(),
                b"prod".to_vec()
            ),
        ]
    );
    let deep = fetch_objects(&opts, "s3://tf-state/env/**/terraform.tfstate").unwrap();
    assert_eq!(deep.len(), 3);
    let one = fetch_objects(&opts, "s3://tf-state/env/dev/notes.txt").unwrap();
    assert_eq!(one[0].1, b"notes".to_vec());
    let missing = fetch_objects(&opts, "s3://tf-state/env/qa/terraform.tfstate").unwrap_err();
    assert!(missing.contains("no such object"), "{missing}");
    let none = fetch_objects(&opts, "s3://tf-state/nothing/*.tfstate").unwrap_err();
    assert!(none.contains("no object matches"), "{none}");
}

#[test]
fn a_missing_region_or_an_unknown_kind_is_a_notification_not_a_crash() {
    let moto = Moto::start();
    let no_region = read(
        &AwsOptions {
            regions: Vec::new(),
            ..options(&moto.url)
        },
        &[request("ec2:vpc", &[])],
    );
    assert!(no_region.complete.is_empty());
    assert_eq!(no_region.notifications.len(), 1);
    assert!(no_region.notifications[0].message.contains("--aws-region"));

    let unknown = read(&options(&moto.url), &[request("ec2:teleporter", &[])]);
    assert!(unknown.complete.is_empty());
    assert!(unknown.notifications[0].message.contains("ec2:teleporter"));
}

/// Ids of the EC2 resources [`make_network`] creates.
struct Network {
    vpc: String,
    subnet: String,
    igw: String,
    route_table: String,
    sg: String,
    instance: String,
    terminated: String,
    volume: String,
}

async fn make_network(sdk: &SdkConfig) -> Network {
    use aws_sdk_ec2::types::*;
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(tag("Name", "main"))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway
        .unwrap()
        .internet_gateway_id
        .unwrap();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let route_table = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .route_table
        .unwrap()
        .route_table_id
        .unwrap();
    ec2.create_route()
        .route_table_id(&route_table)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    let sg = ec2
        .create_security_group()
        .group_name("web")
        .description("web servers")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let image = ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images
        .unwrap()
        .into_iter()
        .find_map(|i| i.image_id)
        .expect("moto serves default AMIs");
    let run = |name: &'static str| {
        ec2.run_instances()
            .image_id(&image)
            .instance_type(InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .subnet_id(&subnet)
            .security_group_ids(&sg)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(tag("Name", name))
                    .build(),
            )
            .send()
    };
    let instance = run("app").await.unwrap().instances.unwrap()[0]
        .instance_id
        .clone()
        .unwrap();
    let terminated = run("old").await.unwrap().instances.unwrap()[0]
        .instance_id
        .clone()
        .unwrap();
    ec2.terminate_instances()
        .instance_ids(&terminated)
        .send()
        .await
        .unwrap();
    let volume = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(20)
        .volume_type(VolumeType::Gp3)
        .encrypted(true)
        .send()
        .await
        .unwrap()
        .volume_id
        .unwrap();
    Network {
        vpc,
        subnet,
        igw,
        route_table,
        sg,
        instance,
        terminated,
        volume,
    }
}

const EC2_KINDS: &[&str] = &[
    "ec2:security-group",
    "ec2:security-group-rule",
    "ec2:vpc",
    "ec2:subnet",
    "ec2:route-table",
    "ec2:internet-gateway",
    "ec2:instance",
    "ec2:volume",
];

#[test]
fn ec2_kinds_are_read_per_region_with_the_api_shapes() {
    let moto = Moto::start();
    let rt = runtime();
    let net = rt.block_on(async { make_network(&sdk(&moto.url).await).await });
    let requests: Vec<AwsRequest> = EC2_KINDS
        .iter()
        .map(|k| {
            let mut r = request(k, &[&net.vpc]);
            // A second region: each regional kind is read (and complete) there too.
            r.regions = BTreeSet::from([REGION.to_string(), "eu-west-1".to_string()]);
            r
        })
        .collect();
    let account = read(&options(&moto.url), &requests);
    assert_clean(&account);
    for kind in EC2_KINDS {
        for region in [REGION, "eu-west-1"] {
            assert!(complete(&account, kind, region), "{kind} {region}");
        }
        // One list call per region (everything fits in one page).
        let action = match *kind {
            "ec2:security-group" => "ec2:DescribeSecurityGroups",
            "ec2:security-group-rule" => "ec2:DescribeSecurityGroupRules",
            "ec2:vpc" => "ec2:DescribeVpcs",
            "ec2:subnet" => "ec2:DescribeSubnets",
            "ec2:route-table" => "ec2:DescribeRouteTables",
            "ec2:internet-gateway" => "ec2:DescribeInternetGateways",
            "ec2:instance" => "ec2:DescribeInstances",
            _ => "ec2:DescribeVolumes",
        };
        assert_eq!(account.calls[action], 2, "{action}");
    }
    // Two attributes of the one requested VPC (not of the default VPCs).
    assert_eq!(account.calls["ec2:DescribeVpcAttribute"], 2);

    let vpc = resource(&account, "ec2:vpc", &net.vpc);
    assert_eq!(vpc["CidrBlock"], "10.0.0.0/16");
    assert_eq!(vpc["IsDefault"], false);
    assert_eq!(vpc["EnableDnsHostnames"], true);
    assert_eq!(vpc["EnableDnsSupport"], true);
    assert_eq!(
        vpc["Tags"],
        serde_json::json!([{"Key": "Name", "Value": "main"}])
    );
    // VPCs whose attributes were not asked for are left out rather than half-filled.
    assert_eq!(ids(&account, "ec2:vpc"), BTreeSet::from([net.vpc.clone()]));

    let sg = resource(&account, "ec2:security-group", &net.sg);
    assert_eq!(sg["GroupName"], "web");
    assert_eq!(sg["VpcId"], net.vpc);
    let ingress = &sg["IpPermissions"][0];
    assert_eq!(ingress["IpProtocol"], "tcp");
    assert_eq!(ingress["FromPort"], 443);
    assert_eq!(ingress["IpRanges"][0]["CidrIp"], "0.0.0.0/0");
    assert!(sg["IpPermissionsEgress"].is_array());
    let sg_arn = account
        .resources
        .iter()
        .find(|r| r.id == net.sg)
        .and_then(|r| r.arn.clone())
        .unwrap();
    assert_eq!(
        sg_arn,
        format!(
            "arn:aws:ec2:us-east-1:123456789012:security-group/{}",
            net.sg
        )
    );

    let rule = account
        .resources
        .iter()
        .find(|r| {
            r.kind == "ec2:security-group-rule"
                && r.body["GroupId"] == net.sg.as_str()
                && r.body["IsEgress"] == false
        })
        .expect("the ingress rule is read as a security group rule");
    assert_eq!(rule.body["CidrIpv4"], "0.0.0.0/0");
    assert_eq!(rule.body["FromPort"], 443);
    assert_eq!(rule.id, rule.body["SecurityGroupRuleId"]);

    let subnet = resource(&account, "ec2:subnet", &net.subnet);
    assert_eq!(subnet["CidrBlock"], "10.0.1.0/24");
    assert_eq!(subnet["AvailabilityZone"], "us-east-1a");
    assert_eq!(subnet["VpcId"], net.vpc);

    let rt_body = resource(&account, "ec2:route-table", &net.route_table);
    let routes = rt_body["Routes"].as_array().unwrap();
    assert!(routes
        .iter()
        .any(|r| r["DestinationCidrBlock"] == "0.0.0.0/0" && r["GatewayId"] == net.igw.as_str()));

    let igw = resource(&account, "ec2:internet-gateway", &net.igw);
    assert_eq!(igw["Attachments"][0]["VpcId"], net.vpc);

    let instance = resource(&account, "ec2:instance", &net.instance);
    assert_eq!(instance["InstanceType"], "t3.micro");
    assert_eq!(instance["SubnetId"], net.subnet);
    assert_eq!(instance["SecurityGroups"][0]["GroupId"], net.sg);
    assert_eq!(instance["State"]["Name"], "running");
    assert_eq!(instance["Tags"][0]["Value"], "app");
    // Terminated instances are gone.
    assert!(!ids(&account, "ec2:instance").contains(&net.terminated));

    let volume = resource(&account, "ec2:volume", &net.volume);
    assert_eq!(volume["Size"], 20);
    assert_eq!(volume["VolumeType"], "gp3");
    assert_eq!(volume["Encrypted"], true);

    // Nothing from us-east-1 is reported in eu-west-1.
    assert!(account
        .resources
        .iter()
        .filter(|r| r.region == "eu-west-1")
        .all(|r| r.id != net.sg && r.id != net.instance));
}

#[test]
fn kms_rds_and_lambda_are_read_and_lambda_environment_values_never_leave_the_reader() {
    let moto = Moto::start();
    let rt = runtime();
    let secret = "hunter2-very-secret-value";
    let (key_id, other_key) = rt.block_on(async {
        let sdk = sdk(&moto.url).await;
        let kms = aws_sdk_kms::Client::new(&sdk);
        let create = |description: &'static str| {
            kms.create_key()
                .description(description)
                .tags(
                    aws_sdk_kms::types::Tag::builder()
                        .tag_key("team")
                        .tag_value("web")
                        .build()
                        .unwrap(),
                )
                .send()
        };
        let key_id = create("state bucket key")
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .key_id;
        let other = create("someone else's key")
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .key_id;
        kms.enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .unwrap();

        let rds = aws_sdk_rds::Client::new(&sdk);
        rds.create_db_instance()
            .db_instance_identifier("orders")
            .db_instance_class("db.t3.micro")
            .engine("postgres")
            .master_username("admin")
            .master_user_password("not-in-any-output")
            .allocated_storage(20)
            .storage_encrypted(true)
            .tags(
                aws_sdk_rds::types::Tag::builder()
                    .key("team")
                    .value("data")
                    .build(),
            )
            .send()
            .await
            .unwrap();

        let iam = aws_sdk_iam::Client::new(&sdk);
        let role = iam
            .create_role()
            .role_name("lambda-exec")
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .unwrap()
            .role
            .unwrap()
            .arn;
        let lambda = aws_sdk_lambda::Client::new(&sdk);
        // The smallest valid zip archive: an empty one.
        let mut zip = b"PK\x05\x06".to_vec();
        zip.extend([0u8; 18]);
        lambda
            .create_function()
            .function_name("resize")
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .role(role)
            .handler("app.handler")
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                    .build(),
            )
            .environment(
                aws_sdk_lambda::types::Environment::builder()
                    .variables("API_TOKEN", secret)
                    .variables("STAGE", "prod")
                    .build(),
            )
            .tags("team", "media")
            .send()
            .await
            .unwrap();
        (key_id, other)
    });

    let opts = options(&moto.url);
    let account = read(
        &opts,
        &[
            request("kms:key", &[&key_id]),
            request("rds:db-instance", &[]),
            request("lambda:function", &["resize"]),
        ],
    );
    assert_clean(&account);
    for kind in ["kms:key", "rds:db-instance", "lambda:function"] {
        assert!(complete(&account, kind, REGION), "{kind}");
    }

    let key = resource(&account, "kms:key", &key_id);
    assert_eq!(key["Description"], "state bucket key");
    assert_eq!(key["KeyManager"], "CUSTOMER");
    assert_eq!(key["KeyRotationEnabled"], true);
    assert_eq!(
        key["Tags"],
        serde_json::json!([{"TagKey": "team", "TagValue": "web"}])
    );
    let policy: Value = serde_json::from_str(key["Policy"].as_str().unwrap()).unwrap();
    assert!(policy["Statement"].is_array());
    // Details only for the declared key: one DescribeKey, and the other key is not read.
    assert_eq!(account.calls["kms:DescribeKey"], 1);
    assert!(!ids(&account, "kms:key").contains(&other_key));

    let db = resource(&account, "rds:db-instance", "orders");
    assert_eq!(db["Engine"], "postgres");
    assert_eq!(db["DBInstanceClass"], "db.t3.micro");
    assert_eq!(db["AllocatedStorage"], 20);
    assert_eq!(db["StorageEncrypted"], true);
    assert_eq!(
        db["TagList"],
        serde_json::json!([{"Key": "team", "Value": "data"}])
    );

    let f = resource(&account, "lambda:function", "resize");
    assert_eq!(f["Runtime"], "python3.12");
    assert_eq!(f["Handler"], "app.handler");
    assert_eq!(f["Tags"], serde_json::json!({"team": "media"}));
    let token = f["Environment"]["Variables"]["API_TOKEN"].as_str().unwrap();
    assert_eq!(token, opts.hash_key.hash(secret.as_bytes()));
    assert!(plumbline::drift::secret::is_hash_token(token));
    assert_eq!(
        f["Environment"]["Variables"]["STAGE"],
        opts.hash_key.hash(b"prod")
    );
    let everything = serde_json::to_string(&account).unwrap();
    assert!(!everything.contains(secret));
    assert!(!everything.contains("not-in-any-output"));
}

/// Every kind of the registry, with the resources of the other tests.
fn every_kind() -> Vec<AwsRequest> {
    plumbline::live::aws::READERS
        .iter()
        .map(|r| AwsRequest {
            all: true,
            ..request(r.kind, &[])
        })
        .collect()
}

#[test]
fn a_full_read_sends_only_list_get_and_describe_calls() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let sdk = sdk(&moto.url).await;
        make_buckets(&s3_client(&sdk)).await;
        make_network(&sdk).await;
        let kms = aws_sdk_kms::Client::new(&sdk);
        kms.create_key().send().await.unwrap();
        let iam = aws_sdk_iam::Client::new(&sdk);
        iam.create_user().user_name("bob").send().await.unwrap();
    });
    moto.start_recording();
    let account = read(&options(&moto.url), &every_kind());
    let recorded = moto.recording();
    assert_clean(&account);
    assert_eq!(account.complete.len(), plumbline::live::aws::READERS.len());
    // Everything the reader sent was recorded, and it was all reads.
    let sent: u64 = account.calls.values().sum();
    assert_eq!(recorded.len() as u64, sent, "{recorded:#?}");
    let writes: Vec<_> = recorded.iter().filter(|r| !r.is_read()).collect();
    assert!(writes.is_empty(), "write calls sent: {writes:#?}");
    let services: BTreeSet<&str> = recorded.iter().map(|r| r.service.as_str()).collect();
    assert_eq!(
        services,
        BTreeSet::from(["ec2", "iam", "kms", "lambda", "rds", "s3", "sts"])
    );
}

// The SDK's adaptive retry mode slows a partition down after a throttle (a retry waits for
// its rate limiter's tokens, about ten seconds at first): these tests retry once per call.

#[test]
fn throttled_calls_are_retried_within_the_attempts() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let sdk = sdk(&moto.url).await;
        make_buckets(&s3_client(&sdk)).await;
        make_network(&sdk).await;
    });
    let proxy = ThrottleProxy::start(&moto);
    // One throttle of each error family: EC2's 503 RequestLimitExceeded, S3's 503 SlowDown,
    // the query protocol's 400 Throttling, the JSON protocol's ThrottlingException.
    proxy.throttle("ec2", "DescribeSecurityGroups", 1);
    proxy.throttle("s3", "GET /", 1);
    proxy.throttle("iam", "GetAccountAuthorizationDetails", 1);
    proxy.throttle("kms", "ListKeys", 1);
    let account = read(
        &AwsOptions {
            max_attempts: 2,
            ..options(&proxy.url)
        },
        &[
            request("ec2:security-group", &[]),
            request("s3:bucket", &[]),
            request("iam:user", &[]),
            request("kms:key", &[]),
        ],
    );
    assert_clean(&account);
    assert!(complete(&account, "ec2:security-group", REGION));
    assert!(complete(&account, "s3:bucket", "global"));
    assert!(complete(&account, "iam:user", "global"));
    assert!(complete(&account, "kms:key", REGION));
    for (service, action) in [
        ("ec2", "DescribeSecurityGroups"),
        ("s3", "GET /"),
        ("iam", "GetAccountAuthorizationDetails"),
        ("kms", "ListKeys"),
    ] {
        assert_eq!(proxy.seen(service, action), 2, "{service} {action}");
    }
    // A call's retries are inside it: counted once.
    assert_eq!(account.calls["ec2:DescribeSecurityGroups"], 1);
    assert!(!ids(&account, "ec2:security-group").is_empty());
}

#[test]
fn throttled_past_the_attempts_the_kind_is_incomplete_and_the_rest_is_read() {
    let moto = Moto::start();
    let proxy = ThrottleProxy::start(&moto);
    proxy.throttle("ec2", "DescribeVpcs", 100);
    let account = read(
        &AwsOptions {
            max_attempts: 2,
            ..options(&proxy.url)
        },
        &[request("ec2:vpc", &[]), request("ec2:subnet", &[])],
    );
    assert_eq!(proxy.seen("ec2", "DescribeVpcs"), 2);
    assert!(!complete(&account, "ec2:vpc", REGION));
    assert!(complete(&account, "ec2:subnet", REGION));
    assert!(ids(&account, "ec2:vpc").is_empty());
    assert!(!ids(&account, "ec2:subnet").is_empty());
    assert_eq!(
        account.notifications.len(),
        1,
        "{:#?}",
        account.notifications
    );
    let n = &account.notifications[0];
    assert_eq!(n.code, "aws-throttled");
    assert_eq!(n.level, plumbline::model::NoteLevel::Error);
    for part in ["ec2:vpc", "us-east-1", "ec2:DescribeVpcs", "2 attempts"] {
        assert!(n.message.contains(part), "{part}: {}", n.message);
    }
}

#[test]
fn past_the_call_budget_kinds_are_incomplete_not_fatal() {
    let moto = Moto::start();
    let account = read(
        &AwsOptions {
            // STS and one list call fit; the next calls are refused.
            max_calls: 2,
            ..options(&moto.url)
        },
        &[
            request("ec2:vpc", &[]),
            request("ec2:subnet", &[]),
            request("ec2:volume", &[]),
        ],
    );
    assert_eq!(account.calls.values().sum::<u64>(), 2);
    assert_eq!(account.complete.len(), 1, "{:?}", account.complete);
    let budget: Vec<_> = account
        .notifications
        .iter()
        .filter(|n| n.code == "aws-budget-exhausted")
        .collect();
    assert_eq!(budget.len(), 2, "{:#?}", account.notifications);
    assert!(budget[0].message.contains("--aws-max-calls"));
}

#[test]
fn denied_calls_are_notifications_that_name_the_permission() {
    let moto = Moto::start();
    let proxy = ThrottleProxy::start(&moto);
    proxy.deny("rds", "DescribeDBInstances", 100);
    let account = read(
        &options(&proxy.url),
        &[request("rds:db-instance", &[]), request("ec2:vpc", &[])],
    );
    assert!(!complete(&account, "rds:db-instance", REGION));
    assert!(complete(&account, "ec2:vpc", REGION));
    let n = &account.notifications[0];
    assert_eq!(n.code, "aws-access-denied", "{n:?}");
    assert!(
        n.message.contains("rds:DescribeDBInstances"),
        "{}",
        n.message
    );
    assert!(n.message.contains("aws-policy"), "{}", n.message);
}
