//! The module index (`input.module`: which resources of a module refer to which) gives the
//! built-in library exactly the answers that walking the module's resource list gives, on
//! real modules and on a layout shaped like a data platform's: the same findings with the
//! index and without it (`PLUMBLINE_NO_MODULE_INDEX=1`, where the library reads
//! `input.related`).

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

/// (rule, file, line, message) of each finding of a JSON report.
fn findings(report: &serde_json::Value) -> BTreeSet<(String, String, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Scans `dir` (working tree, built-in library) with or without the index.
fn scan(dir: &Path, index: bool) -> serde_json::Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    cmd.args(["scan", ".", "--worktree", "--no-config", "-q", "-f", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    if index {
        cmd.env_remove("PLUMBLINE_NO_MODULE_INDEX");
    } else {
        cmd.env("PLUMBLINE_NO_MODULE_INDEX", "1");
    }
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code <= 3 && code != 2,
        "{}: exit {code}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Rules whose answer depends on other resources of the module (the index's users).
const CROSS_RESOURCE_RULES: &[&str] = &[
    "PL-AWS-0001", // public access block attached to the bucket
    "PL-AWS-0004", // encryption configuration attached
    "PL-AWS-0005", // versioning attached
    "PL-AWS-0006", // logging attached, or the bucket is a log target
];

#[test]
fn real_modules_give_the_same_findings_with_and_without_the_index() {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/bench");
    let mut cross = 0;
    for module in [
        "terraform-aws-modules/terraform-aws-s3-bucket",
        "terraform-aws-modules/terraform-aws-alb",
        "terraform-aws-modules/terraform-aws-ec2-instance",
        "terraform-aws-modules/terraform-aws-vpc",
        "bridgecrewio/terragoat",
    ] {
        let dir = bench.join(module);
        let with = findings(&scan(&dir, true));
        let without = findings(&scan(&dir, false));
        assert_eq!(with, without, "{module}");
        cross += with
            .iter()
            .filter(|f| CROSS_RESOURCE_RULES.contains(&f.0.as_str()))
            .count();
    }
    assert!(
        cross >= 10,
        "the modules exercise the cross-resource rules ({cross} findings)"
    );
}

/// A data platform's layout: a root module that calls a local bucket module with
/// `for_each`, a log bucket that the others log to through nested `logging` blocks, an
/// account-wide resource that takes a bucket from a variable, snapshots of volumes and
/// listeners of load balancers.
fn platform() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "live/main.tf",
        r#"
locals {
  buckets = {
    raw     = { versioned = true }
    curated = { versioned = false }
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "platform-access-logs"
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

module "data" {
  source     = "../modules/bucket"
  for_each   = local.buckets
  name       = "platform-${each.key}"
  versioned  = each.value.versioned
  log_bucket = aws_s3_bucket.logs.id
}

resource "aws_s3_bucket" "legacy" {
  bucket = "platform-legacy"
  logging {
    target_bucket = aws_s3_bucket.logs.id
    target_prefix = "legacy/"
  }
}

resource "aws_s3_bucket_versioning" "by_name" {
  bucket = "platform-legacy"
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_ebs_volume" "plain" {
  availability_zone = "eu-west-1a"
  size              = 10
}

resource "aws_ebs_volume" "sealed" {
  availability_zone = "eu-west-1a"
  size              = 10
  encrypted         = true
}

resource "aws_ebs_snapshot" "plain" {
  volume_id = aws_ebs_volume.plain.id
}

resource "aws_ebs_snapshot" "sealed" {
  volume_id = aws_ebs_volume.sealed.id
}
"#,
    );
    write(
        d,
        "modules/bucket/main.tf",
        r#"
variable "name" {}
variable "versioned" {}
variable "log_bucket" {}

resource "aws_s3_bucket" "this" {
  bucket = var.name
}

resource "aws_s3_bucket_versioning" "this" {
  count  = var.versioned ? 1 : 0
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.id
  target_bucket = var.log_bucket
  target_prefix = "${var.name}/"
}
"#,
    );
    dir
}

#[test]
fn a_platform_layout_is_judged_across_its_resources_and_alike_without_the_index() {
    let dir = platform();
    let with = scan(dir.path(), true);
    let found = findings(&with);
    assert_eq!(found, findings(&scan(dir.path(), false)));
    let has = |rule: &str, needle: &str| found.iter().any(|f| f.0 == rule && f.3.contains(needle));
    // Versioning: attached by reference (count = 1), by literal name, or not at all.
    assert!(has(
        "PL-AWS-0005",
        "module.data[\"curated\"].aws_s3_bucket.this"
    ));
    assert!(!has(
        "PL-AWS-0005",
        "module.data[\"raw\"].aws_s3_bucket.this"
    ));
    assert!(!has("PL-AWS-0005", "aws_s3_bucket.legacy"));
    assert!(has("PL-AWS-0005", "aws_s3_bucket.logs"));
    // Logging: the module's buckets log through an aws_s3_bucket_logging, the legacy bucket
    // through its block, and the log bucket receives the logs (so it need not log itself).
    for bucket in [
        "module.data[\"raw\"].aws_s3_bucket.this",
        "aws_s3_bucket.legacy",
        "aws_s3_bucket.logs",
    ] {
        assert!(!has("PL-AWS-0006", bucket), "{bucket}: {found:#?}");
    }
    // Public access block: only the log bucket has one.
    assert!(!has("PL-AWS-0001", "aws_s3_bucket.logs"));
    assert!(has("PL-AWS-0001", "aws_s3_bucket.legacy"));
    // A snapshot is judged by the volume its volume_id names.
    assert!(found
        .iter()
        .any(|f| f.3.contains("aws_ebs_snapshot.plain") && f.3.contains("aws_ebs_volume.plain")));
    assert!(!found
        .iter()
        .any(|f| f.3.contains("aws_ebs_snapshot.sealed") && f.3.contains("unencrypted")));
}
