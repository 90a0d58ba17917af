//! AWS drift end to end against a real AWS API emulator (moto): resources are created with
//! the SDK, the Terraform state that would describe them is written beside their `.tf`, and
//! the `plumbline` binary compares the two. Then changes are made behind Terraform's back and
//! each must come out as exactly the expected finding; only read calls may reach AWS; a
//! secret in the state never reaches any output; throttling and the call budget make the scan
//! incomplete (exit 3), never crash it.
#![cfg(feature = "aws")]

#[path = "common/moto.rs"]
mod moto;

use aws_config::SdkConfig;
use moto::{runtime, s3_client as s3, sdk, Moto, ThrottleProxy, REGION};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const ACCOUNT: &str = "123456789012";
const AMI: &str = "ami-12c6146b";

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// What the test created, by the ids AWS gave.
struct Created {
    vpc: String,
    sg: String,
    instance: String,
    subnet: String,
    access_key: String,
    secret: String,
}

async fn create(sdk: &SdkConfig) -> Created {
    use aws_sdk_ec2::types::{IpPermission, IpRange};
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
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
                .ip_ranges(IpRange::builder().cidr_ip("203.0.113.0/24").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instance = ec2
        .run_instances()
        .image_id(AMI)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .subnet_id(&subnet)
        .security_group_ids(&sg)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap()
        .instances
        .unwrap()[0]
        .instance_id
        .clone()
        .unwrap();
    let s3 = s3(sdk);
    s3.create_bucket().bucket("acme-data").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("acme-data")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    put_team_tag(&s3, "data").await;
    let iam = aws_sdk_iam::Client::new(sdk);
    iam.create_user().user_name("ci").send().await.unwrap();
    // A role as Terraform creates it: the default session duration, a description. Both are
    // in the state; the live side must read them (ListRoles) or every role would drift.
    iam.create_role()
        .role_name("app")
        .assume_role_policy_document(TRUST)
        .description("the app")
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("ci")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    Created {
        vpc,
        sg,
        instance,
        subnet,
        access_key: key.access_key_id,
        secret: key.secret_access_key,
    }
}

async fn put_team_tag(s3: &aws_sdk_s3::Client, team: &str) {
    s3.put_bucket_tagging()
        .bucket("acme-data")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("team")
                        .value(team)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

const MAIN_TF: &str = r#"resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_security_group" "web" {
  name        = "web"
  description = "web servers"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["203.0.113.0/24"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "web" {
  ami                    = "ami-12c6146b"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.a.id
  vpc_security_group_ids = [aws_security_group.web.id]
}

resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
  tags = {
    team = "data"
  }
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_iam_user" "ci" {
  name = "ci"
}

resource "aws_iam_role" "app" {
  name               = "app"
  description        = "the app"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}
"#;

fn resource(ty: &str, name: &str, attributes: Value) -> Value {
    json!({
        "mode": "managed", "type": ty, "name": name,
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"schema_version": 0, "attributes": attributes,
                       "sensitive_attributes": [], "private": "bnVsbA=="}]
    })
}

/// The state `terraform apply` of MAIN_TF would have written for what `create` made.
fn state(c: &Created) -> Value {
    let rule = |ports: (i64, i64), protocol: &str, cidr: &str| {
        json!({"cidr_blocks": [cidr], "description": "", "from_port": ports.0,
               "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": protocol,
               "security_groups": [], "self": false, "to_port": ports.1})
    };
    json!({
        "version": 4, "terraform_version": "1.9.8", "serial": 7,
        "lineage": "0b8e3c3e-4a4e-4f55-9d0e-6f8c2e1d2a10", "outputs": {},
        "resources": [
            resource("aws_vpc", "main", json!({
                "id": c.vpc, "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{}", c.vpc),
                "cidr_block": "10.0.0.0/16", "instance_tenancy": "default",
                "enable_dns_support": true, "enable_dns_hostnames": false,
                "tags": {}, "tags_all": {}})),
            resource("aws_subnet", "a", json!({
                "id": c.subnet,
                "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{}", c.subnet),
                "vpc_id": c.vpc, "cidr_block": "10.0.1.0/24",
                "availability_zone": "us-east-1a", "map_public_ip_on_launch": false,
                "tags": {}, "tags_all": {}})),
            resource("aws_security_group", "web", json!({
                "id": c.sg,
                "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{}", c.sg),
                "name": "web", "description": "web servers", "vpc_id": c.vpc,
                "ingress": [rule((443, 443), "tcp", "203.0.113.0/24")],
                "egress": [rule((0, 0), "-1", "0.0.0.0/0")],
                "revoke_rules_on_delete": false, "tags": {}, "tags_all": {}})),
            resource("aws_instance", "web", json!({
                "id": c.instance,
                "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{}", c.instance),
                "ami": AMI, "instance_type": "t3.micro", "subnet_id": c.subnet,
                "vpc_security_group_ids": [c.sg], "availability_zone": "us-east-1a",
                "tags": {}, "tags_all": {}})),
            resource("aws_s3_bucket", "data", json!({
                "id": "acme-data", "bucket": "acme-data", "arn": "arn:aws:s3:::acme-data",
                "region": REGION, "tags": {"team": "data"}, "tags_all": {"team": "data"}})),
            resource("aws_s3_bucket_versioning", "data", json!({
                "id": "acme-data", "bucket": "acme-data", "expected_bucket_owner": "",
                "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]})),
            resource("aws_iam_user", "ci", json!({
                "id": "ci", "name": "ci", "arn": format!("arn:aws:iam::{ACCOUNT}:user/ci"),
                "path": "/", "permissions_boundary": "", "force_destroy": false,
                "tags": {}, "tags_all": {}})),
            resource("aws_iam_role", "app", json!({
                "id": "app", "name": "app", "arn": format!("arn:aws:iam::{ACCOUNT}:role/app"),
                "assume_role_policy": TRUST, "description": "the app",
                "max_session_duration": 3600, "path": "/", "permissions_boundary": "",
                "force_detach_policies": false, "inline_policy": [], "managed_policy_arns": [],
                "name_prefix": "", "unique_id": "AROAAPP", "create_date": "2026-11-23T00:00:00Z",
                "tags": {}, "tags_all": {}})),
            resource("aws_iam_access_key", "ci", json!({
                "id": c.access_key, "user": "ci", "secret": c.secret,
                "ses_smtp_password_v4": format!("smtp-{}", c.secret), "status": "Active"})),
        ]
    })
}

fn workspace(c: &Created) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), MAIN_TF).unwrap();
    std::fs::write(
        dir.path().join("terraform.tfstate"),
        serde_json::to_vec_pretty(&state(c)).unwrap(),
    )
    .unwrap();
    dir
}

/// Runs `plumbline scan DIR --tfstate DIR/terraform.tfstate` against `endpoint`.
fn scan(dir: &Path, endpoint: &str, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("scan")
        .arg(dir)
        .args(["--worktree", "--no-config", "-q", "--tfstate"])
        .arg(dir.join("terraform.tfstate"))
        .args(["--aws-endpoint-url", endpoint, "--aws-region", REGION])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_scan(dir: &Path, endpoint: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--format", "json", "--fail-on", "never"];
    args.extend_from_slice(extra);
    let (code, out, err) = scan(dir, endpoint, &args);
    let report: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}); exit {code}; stderr: {err}"));
    (code, report)
}

fn drift_findings(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-01"))
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["subject"]["address"]
                    .as_str()
                    .or(f["live"].as_str())
                    .unwrap_or("")
                    .to_string(),
                f["fieldPath"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn errors(report: &Value) -> Vec<String> {
    report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["level"] == "error")
        .map(|n| format!("{}: {}", n["code"], n["message"]))
        .collect()
}

#[test]
fn zero_drift_then_each_change_behind_terraforms_back_is_exactly_one_finding() {
    let moto = Moto::start();
    let rt = runtime();
    let created = rt.block_on(async { create(&sdk(&moto.url).await).await });
    let dir = workspace(&created);

    // Nothing changed: no drift, nothing incomplete, and only read calls were sent.
    moto.start_recording();
    let (code, report) = json_scan(dir.path(), &moto.url, &[]);
    let recorded = moto.recording();
    assert_eq!(drift_findings(&report), Vec::new(), "{report:#}");
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(code, 0);
    assert!(recorded.len() > 5, "{} calls recorded", recorded.len());
    let writes: Vec<String> = recorded
        .iter()
        .filter(|r| !r.is_read())
        .map(|r| format!("{r:?}"))
        .collect();
    assert!(writes.is_empty(), "non-read calls sent: {writes:#?}");

    // Behind Terraform's back: SSH opened to the world, versioning suspended, a tag
    // changed, the instance terminated, a bucket created outside Terraform.
    rt.block_on(async {
        use aws_sdk_ec2::types::{IpPermission, IpRange};
        let sdk = sdk(&moto.url).await;
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        ec2.authorize_security_group_ingress()
            .group_id(&created.sg)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ec2.terminate_instances()
            .instance_ids(&created.instance)
            .send()
            .await
            .unwrap();
        let s3 = s3(&sdk);
        s3.put_bucket_versioning()
            .bucket("acme-data")
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        put_team_tag(&s3, "platform").await;
        s3.create_bucket().bucket("shadow-it").send().await.unwrap();
    });

    // Without --aws-unmanaged the new bucket is not reported.
    let (code, report) = json_scan(dir.path(), &moto.url, &[]);
    assert_eq!(code, 0, "{:?}", errors(&report));
    let found = drift_findings(&report);
    assert!(!found.iter().any(|f| f.0 == "PL-DRIFT-0103"), "{found:#?}");

    let (code, report) = json_scan(
        dir.path(),
        &moto.url,
        &["--aws-unmanaged", "--aws-unmanaged-type", "aws_s3_bucket"],
    );
    assert_eq!(code, 0, "{:?}", errors(&report));
    let found = drift_findings(&report);
    let summary: Vec<(&str, &str)> = found
        .iter()
        .map(|(rule, address, _)| (rule.as_str(), address.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("PL-DRIFT-0101", "aws_instance.web"),
            ("PL-DRIFT-0102", "aws_s3_bucket.data"),
            ("PL-DRIFT-0102", "aws_s3_bucket_versioning.data"),
            ("PL-DRIFT-0102", "aws_security_group.web"),
            ("PL-DRIFT-0103", "arn:aws:s3:::shadow-it"),
        ],
        "{found:#?}"
    );
    let by_address = |a: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["subject"]["address"] == a
                    && matches!(
                        f["ruleId"].as_str(),
                        Some("PL-DRIFT-0101" | "PL-DRIFT-0102")
                    )
            })
            .unwrap_or_else(|| panic!("no finding for {a}"))
            .clone()
    };
    // Each points at its line in main.tf.
    let line_of = |needle: &str| {
        MAIN_TF
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| i as u64 + 1)
            .unwrap()
    };
    let sg = by_address("aws_security_group.web");
    assert_eq!(sg["file"], "main.tf");
    assert_eq!(sg["startLine"], line_of("ingress {"), "{sg:#}");
    // SSH from anywhere is security-relevant: raised above the drift rule's MEDIUM.
    assert!(
        matches!(sg["severity"].as_str(), Some("HIGH" | "CRITICAL")),
        "{sg:#}"
    );
    let versioning = by_address("aws_s3_bucket_versioning.data");
    assert_eq!(versioning["startLine"], line_of("status = \"Enabled\""));
    assert!(versioning["message"]
        .as_str()
        .unwrap()
        .contains("Suspended"));
    let tags = by_address("aws_s3_bucket.data");
    assert!(
        tags["message"].as_str().unwrap().contains("platform"),
        "{tags:#}"
    );
    let instance = by_address("aws_instance.web");
    assert_eq!(instance["startLine"], line_of("resource \"aws_instance\""));
    assert!(instance["live"]
        .as_str()
        .unwrap()
        .contains(&created.instance));

    // The access key's secret, in the state, never reaches any output format.
    for format in ["json", "sarif", "text"] {
        let (_, out, err) = scan(
            dir.path(),
            &moto.url,
            &["--format", format, "--aws-unmanaged", "--color", "never"],
        );
        assert!(out.len() > 100, "{format}: {out}");
        for secret in [created.secret.as_str(), &format!("smtp-{}", created.secret)] {
            assert!(!out.contains(secret), "{format} output holds the secret");
            assert!(!err.contains(secret), "{format} stderr holds the secret");
        }
    }

    // Read once, compare anywhere: a snapshot of the account gives the same findings
    // offline, without a single AWS call, and holds no secret.
    let snap = dir.path().join("aws.snapshot.json");
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("snapshot")
        .arg(dir.path())
        .args(["--worktree", "-q", "--tfstate"])
        .arg(dir.path().join("terraform.tfstate"))
        .args(["--aws-endpoint-url", &moto.url, "--aws-region", REGION])
        .args([
            "--aws-unmanaged",
            "--aws-unmanaged-type",
            "aws_s3_bucket",
            "-o",
        ])
        .arg(&snap)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&snap).unwrap();
    assert!(written.contains("\"aws\""), "{written}");
    assert!(!written.contains(created.secret.as_str()));
    let fingerprints = |report: &Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-01"))
            .map(|f| {
                (
                    f["fingerprint"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let unmanaged = ["--aws-unmanaged", "--aws-unmanaged-type", "aws_s3_bucket"];
    let (_, live) = json_scan(dir.path(), &moto.url, &unmanaged);
    moto.start_recording();
    let mut offline_args = unmanaged.to_vec();
    offline_args.extend(["--live-snapshot", snap.to_str().unwrap()]);
    // An endpoint nothing listens on: the offline scan must not need one.
    let (code, offline) = json_scan(dir.path(), "http://127.0.0.1:9", &offline_args);
    assert_eq!(code, 0, "{:?}", errors(&offline));
    assert_eq!(fingerprints(&offline), fingerprints(&live));
    assert_eq!(fingerprints(&live).len(), 5);
    assert!(moto.recording().is_empty(), "the offline scan called AWS");
}

#[test]
fn throttling_is_retried_and_past_the_attempts_or_the_budget_the_scan_is_incomplete() {
    let moto = Moto::start();
    let rt = runtime();
    let created = rt.block_on(async { create(&sdk(&moto.url).await).await });
    let dir = workspace(&created);
    let proxy = ThrottleProxy::start(&moto);

    // A few throttled answers: retried, and the result is the same as without them.
    proxy.throttle("ec2", "DescribeSecurityGroups", 2);
    let (code, report) = json_scan(dir.path(), &proxy.url, &[]);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(drift_findings(&report), Vec::new());
    assert_eq!(code, 0);
    assert!(proxy.seen("ec2", "DescribeSecurityGroups") >= 3);

    // Throttled on every attempt: the security groups are not compared, the scan says so
    // and exits 3; everything else is still compared.
    proxy.throttle("ec2", "DescribeSecurityGroups", 1000);
    let (code, report) = json_scan(dir.path(), &proxy.url, &[]);
    assert_eq!(code, 3, "{report:#}");
    let errs = errors(&report);
    assert!(
        errs.iter().any(|e| e.contains("aws-throttled")),
        "{errs:#?}"
    );
    assert!(
        !drift_findings(&report)
            .iter()
            .any(|f| f.1 == "aws_security_group.web"),
        "an unread group must not be reported missing"
    );
    proxy.throttle("ec2", "DescribeSecurityGroups", 0);

    // A call budget too small for the scan: incomplete, not a crash.
    let (code, report) = json_scan(dir.path(), &moto.url, &["--aws-max-calls", "3"]);
    assert_eq!(code, 3, "{report:#}");
    assert!(
        errors(&report)
            .iter()
            .any(|e| e.contains("aws-budget-exhausted")),
        "{:#?}",
        errors(&report)
    );
}
