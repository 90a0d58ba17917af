use super::*;
use crate::load::{Group, MemFiles};

fn load(files: &[(&str, &str)], dir: &str) -> Loaded {
    load_with(files, dir, &IacOptions::default())
}

fn load_with(files: &[(&str, &str)], dir: &str, iac: &IacOptions) -> Loaded {
    let files = MemFiles::new(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    load_root(&files, dir, &LoadOptions::default(), iac)
}

fn doc<'a>(l: &'a Loaded, address: &str) -> &'a Document {
    l.documents
        .iter()
        .find(|d| d.subject.as_ref().unwrap().address == address)
        .unwrap_or_else(|| {
            panic!(
                "no document {address}; have {:?}",
                l.documents
                    .iter()
                    .map(|d| d.subject.as_ref().unwrap().address.clone())
                    .collect::<Vec<_>>()
            )
        })
}

fn attr(d: &Document, key: &str) -> serde_json::Value {
    d.node
        .get("attributes")
        .unwrap()
        .get(key)
        .map_or(serde_json::Value::Null, Node::to_json)
}

#[test]
fn variables_locals_functions_and_conditionals_are_evaluated() {
    let l = load(
        &[(
            "main.tf",
            r#"
variable "env" { default = "prod" }
variable "n" { type = number }
locals {
  name = "${var.env}-logs"
  tags = merge({ team = "data" }, { env = upper(var.env) })
}
resource "aws_s3_bucket" "logs" {
  bucket = local.name
  acl    = var.env == "prod" ? "private" : "public-read"
  tags   = local.tags
  subnet = cidrsubnet("10.0.0.0/16", 8, var.n)
  names  = [for s in ["a", "b"] : "${s}-${var.n}"]
  joined = join(",", split("-", local.name))
  versioning {
    enabled = true
  }
}
"#,
        )],
        "",
    );
    let iac = IacOptions::default();
    let _ = iac;
    let d = doc(&l, "aws_s3_bucket.logs");
    assert_eq!(attr(d, "bucket"), serde_json::json!("prod-logs"));
    assert_eq!(attr(d, "acl"), serde_json::json!("private"));
    assert_eq!(
        attr(d, "tags"),
        serde_json::json!({"team": "data", "env": "PROD"})
    );
    // `n` has no value: unknown, and a warning naming the variable.
    assert_eq!(attr(d, "subnet"), serde_json::json!({"$unknown": "var.n"}));
    assert!(l
        .notifications
        .iter()
        .any(|n| n.code == "terraform-undefined-variable"
            && n.message.contains("\"n\"")
            && n.message.contains("main.tf:3")
            && n.message.contains("--var")));
    assert_eq!(attr(d, "joined"), serde_json::json!("prod,logs"));
    assert_eq!(
        attr(d, "versioning"),
        serde_json::json!([{"enabled": true}])
    );
    // The value points at its expression's line.
    let acl = d.node.get("attributes").unwrap().get("acl").unwrap();
    assert_eq!(acl.start.line, 10);
    assert_eq!(d.file_of(acl).path, "main.tf");
}

#[test]
fn var_values_follow_terraform_precedence() {
    let files = [
        ("env/main.tf", "variable \"a\" {}\nvariable \"b\" {}\nvariable \"c\" { type = number }\nresource \"x_r\" \"r\" {\n  a = var.a\n  b = var.b\n  c = var.c\n}\n"),
        ("env/terraform.tfvars", "a = \"tfvars\"\nb = \"tfvars\"\n"),
        ("env/z.auto.tfvars", "b = \"auto\"\n"),
        ("env/extra.tfvars", "c = 5\n"),
    ];
    let iac = IacOptions {
        var_files: vec!["env/extra.tfvars".into()],
        vars: vec![("a".into(), "cli".into()), ("c".into(), "7".into())],
        ..IacOptions::default()
    };
    let l = load_with(&files, "env", &iac);
    let d = doc(&l, "x_r.r");
    assert_eq!(attr(d, "a"), serde_json::json!("cli"));
    assert_eq!(attr(d, "b"), serde_json::json!("auto"));
    assert_eq!(attr(d, "c"), serde_json::json!(7));
}

#[test]
fn count_for_each_and_dynamic_blocks_expand() {
    let l = load(
        &[(
            "main.tf",
            r#"
resource "aws_instance" "web" {
  count = 2
  name  = "web-${count.index}"
}
resource "aws_s3_bucket" "b" {
  for_each = { eu = "eu-west-1", us = "us-east-1" }
  bucket   = "${each.key}-${each.value}"
}
resource "aws_security_group" "sg" {
  dynamic "ingress" {
    for_each = [22, 443]
    content {
      from_port = ingress.value
    }
  }
}
resource "aws_s3_bucket" "off" {
  count = 0
}
"#,
        )],
        "",
    );
    assert_eq!(
        attr(doc(&l, "aws_instance.web[1]"), "name"),
        serde_json::json!("web-1")
    );
    assert_eq!(
        attr(doc(&l, "aws_s3_bucket.b[\"us\"]"), "bucket"),
        serde_json::json!("us-us-east-1")
    );
    assert_eq!(
        attr(doc(&l, "aws_security_group.sg"), "ingress"),
        serde_json::json!([{"from_port": 22}, {"from_port": 443}])
    );
    assert_eq!(l.documents.len(), 5);
    // `related` holds the other instances of the module.
    let related = doc(&l, "aws_security_group.sg")
        .related
        .as_ref()
        .unwrap()
        .to_json();
    assert_eq!(related.as_array().unwrap().len(), 4);
    assert!(related[0].get("related").is_none());
    // The policy input also groups them by type; a document is not among its own type's.
    let count = |input: &regorus::Value, ty: &str| {
        input["related_by_type"][ty]
            .as_array()
            .map_or(0, |a| a.len())
    };
    let web0 = doc(&l, "aws_instance.web[0]").to_rego();
    assert_eq!(count(&web0, "aws_instance"), 1);
    assert_eq!(count(&web0, "aws_s3_bucket"), 2);
    assert_eq!(count(&web0, "aws_security_group"), 1);
    let sg = doc(&l, "aws_security_group.sg").to_rego();
    assert_eq!(count(&sg, "aws_instance"), 2);
    assert_eq!(count(&sg, "aws_security_group"), 0);
    assert_eq!(sg["related"].as_array().unwrap().len(), 4);
}

#[test]
fn resource_references_and_unknown_functions_are_unknown() {
    let l = load(
        &[(
            "main.tf",
            r#"
resource "aws_s3_bucket" "logs" { bucket = "x" }
resource "aws_s3_bucket_public_access_block" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.p.json
  a = timestamp()
  b = timestamp()
  c = "${aws_s3_bucket.logs.arn}/*"
  d = var.nope
}
"#,
        )],
        "",
    );
    let d = doc(&l, "aws_s3_bucket_public_access_block.logs");
    assert_eq!(
        attr(d, "bucket"),
        serde_json::json!({"$unknown": "aws_s3_bucket.logs.id"})
    );
    assert_eq!(
        attr(d, "policy"),
        serde_json::json!({"$unknown": "data.aws_iam_policy_document.p.json"})
    );
    assert_eq!(attr(d, "a"), serde_json::json!({"$unknown": ""}));
    assert_eq!(
        attr(d, "c"),
        serde_json::json!({"$unknown": "aws_s3_bucket.logs.arn"})
    );
    let fns: Vec<_> = l
        .notifications
        .iter()
        .filter(|n| n.code == "terraform-unknown-function")
        .collect();
    assert_eq!(fns.len(), 1, "{:?}", l.notifications);
    assert!(fns[0].message.contains("timestamp()") && fns[0].message.contains("main.tf:6"));
    let undeclared = l
        .notifications
        .iter()
        .find(|n| n.code == "terraform-undeclared-reference")
        .expect("undeclared variable reported");
    assert_eq!(undeclared.level, NoteLevel::Error);
    assert!(
        undeclared.message.starts_with("main.tf:9:"),
        "{}",
        undeclared.message
    );
}

#[test]
fn local_modules_nest_with_their_inputs_and_call_chain() {
    let files = [
        ("live/main.tf", "module \"store\" {\n  source = \"../modules/store\"\n  for_each = toset([\"eu\", \"us\"])\n  region = each.key\n}\n"),
        ("modules/store/main.tf", "variable \"region\" {}\nmodule \"logs\" {\n  source = \"./logs\"\n  name = \"logs-${var.region}\"\n}\n"),
        ("modules/store/logs/bucket.tf", "variable \"name\" {}\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = var.name\n}\n"),
        ("modules/store/logs/other.tf", "resource \"aws_s3_bucket_versioning\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n}\n"),
    ];
    let mem = MemFiles::new(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    let mut plan = Plan::default();
    super::plan(&mem, &mut plan);
    assert_eq!(plan.groups, vec![Group::TerraformRoot("live".into())]);
    assert_eq!(plan.consumed.len(), 4);
    let l = load(&files, "live");
    let d = doc(&l, "module.store[\"us\"].module.logs.aws_s3_bucket.this");
    assert_eq!(attr(d, "bucket"), serde_json::json!("logs-us"));
    assert_eq!(d.file.path, "modules/store/logs/bucket.tf");
    let s = d.subject.as_ref().unwrap();
    assert_eq!(
        s.via,
        vec![
            "live/main.tf:1 module.store[\"us\"]".to_string(),
            "modules/store/main.tf:2 module.logs".to_string()
        ]
    );
    assert_eq!(
        d.node.get("module").unwrap().as_str(),
        Some("module.store[\"us\"].module.logs")
    );
    let bucket = d.node.get("attributes").unwrap().get("bucket").unwrap();
    assert_eq!(d.file_of(bucket).path, "modules/store/logs/bucket.tf");
    assert_eq!(bucket.start.line, 3);
    // The related resource from the other file points into that file.
    let rel = d.related.as_ref().unwrap().nodes().next().unwrap();
    assert_eq!(d.file_of(rel).path, "modules/store/logs/other.tf");
    assert_eq!(l.documents.len(), 4);
}

#[test]
fn bad_module_sources_are_reported_not_fatal() {
    let files = [
        ("a/main.tf", "module \"b\" {\n  source = \"../b\"\n}\nmodule \"gone\" {\n  source = \"./missing\"\n}\nmodule \"up\" {\n  source = \"../../etc\"\n}\nresource \"x_r\" \"a\" {}\n"),
        ("b/main.tf", "module \"a\" {\n  source = \"../a\"\n}\nresource \"x_r\" \"b\" {}\n"),
    ];
    let mem = MemFiles::new(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    let mut plan = Plan::default();
    super::plan(&mem, &mut plan);
    assert_eq!(plan.groups, vec![Group::TerraformRoot("a".into())]);
    let l = load(&files, "a");
    let codes: BTreeSet<&str> = l.notifications.iter().map(|n| n.code.as_str()).collect();
    for c in [
        "terraform-module-cycle",
        "terraform-module-missing",
        "terraform-module-outside",
    ] {
        assert!(codes.contains(c), "{c} missing: {:?}", l.notifications);
    }
    let cycle = l
        .notifications
        .iter()
        .find(|n| n.code == "terraform-module-cycle")
        .unwrap();
    assert!(
        cycle.message.starts_with("b/main.tf:1:"),
        "{}",
        cycle.message
    );
    assert_eq!(l.documents.len(), 2);
}

#[test]
fn syntax_errors_skip_the_file_only() {
    let l = load(
        &[
            ("m/bad.tf", "resource \"x\" \"y\" {\n  a = \n}\n"),
            ("m/good.tf", "resource \"x_r\" \"ok\" { a = 1 }\n"),
        ],
        "m",
    );
    let (file, pos, _) = l.parse_error.as_ref().expect("parse error");
    assert_eq!(file, "m/bad.tf");
    assert!(pos.line >= 2);
    assert!(l
        .notifications
        .iter()
        .any(|n| n.code == "parse-error" && n.level == NoteLevel::Error));
    assert_eq!(l.documents.len(), 1);
}

#[test]
fn json_syntax_loads_with_positions() {
    let l = load(
        &[(
            "main.tf.json",
            r#"{
  "variable": { "env": { "default": "dev" } },
  "resource": {
    "aws_s3_bucket": {
      "b": {
        "bucket": "logs-${var.env}",
        "tags": { "a": "b" },
        "versioning": { "enabled": true }
      }
    }
  }
}"#,
        )],
        "",
    );
    let d = doc(&l, "aws_s3_bucket.b");
    assert_eq!(attr(d, "bucket"), serde_json::json!("logs-dev"));
    assert_eq!(attr(d, "tags"), serde_json::json!({"a": "b"}));
    assert_eq!(
        attr(d, "versioning"),
        serde_json::json!([{"enabled": true}])
    );
    assert_eq!(
        d.node
            .get("attributes")
            .unwrap()
            .get("bucket")
            .unwrap()
            .start
            .line,
        6
    );
}

#[test]
fn expressions_cover_splats_templates_and_try() {
    let l = load(
        &[(
            "main.tf",
            r#"
locals {
  objs = [{ n = "a" }, { n = "b" }]
  m    = { for o in local.objs : o.n => upper(o.n) }
}
resource "x_r" "r" {
  names = local.objs[*].n
  m     = local.m
  t     = try(local.objs[5].n, "fallback")
  c     = can(local.objs[5])
  h     = <<-EOT
    hello %{ for o in local.objs }${o.n}%{ endfor }
  EOT
  j     = jsondecode(jsonencode({ a = [1, 2] }))
  l     = length(flatten([[1], [2, 3]]))
  k     = keys(local.m)
  p     = format("%s:%d", "x", 3)
  e     = element(concat(["a"], ["b"]), 1)
  lk    = lookup({ a = 1 }, "b", 2)
}
"#,
        )],
        "",
    );
    let d = doc(&l, "x_r.r");
    assert_eq!(attr(d, "names"), serde_json::json!(["a", "b"]));
    assert_eq!(attr(d, "m"), serde_json::json!({"a": "A", "b": "B"}));
    assert_eq!(attr(d, "t"), serde_json::json!("fallback"));
    assert_eq!(attr(d, "c"), serde_json::json!(false));
    assert_eq!(attr(d, "h"), serde_json::json!("hello ab\n"));
    assert_eq!(attr(d, "j"), serde_json::json!({"a": [1, 2]}));
    assert_eq!(attr(d, "l"), serde_json::json!(3));
    assert_eq!(attr(d, "k"), serde_json::json!(["a", "b"]));
    assert_eq!(attr(d, "p"), serde_json::json!("x:3"));
    assert_eq!(attr(d, "e"), serde_json::json!("b"));
    assert_eq!(attr(d, "lk"), serde_json::json!(2));
    assert!(l.notifications.is_empty(), "{:?}", l.notifications);
}

#[test]
fn module_outputs_reach_the_caller_known_values_only() {
    let l = load(
        &[
            (
                "modules/names/main.tf",
                r#"
variable "prefix" { type = string }
resource "aws_kms_key" "k" {}
output "bucket" { value = "${var.prefix}-logs" }
output "versioned" { value = var.prefix == "prod" }
output "key" { value = aws_kms_key.k.arn }
"#,
            ),
            (
                "live/main.tf",
                r#"
module "names" {
  source = "../modules/names//"
  prefix = "prod"
}
module "each" {
  source   = "../modules/names"
  for_each = toset(["eu", "us"])
  prefix   = each.key
}
module "counted" {
  source = "../modules/names"
  count  = 2
  prefix = "n${count.index}"
}
resource "aws_s3_bucket" "b" {
  bucket = module.names.bucket
  tags = {
    versioned = module.names.versioned ? "yes" : "no"
    eu        = module.each["eu"].bucket
    second    = module.counted[1].bucket
  }
  kms = module.names.key
}
"#,
            ),
        ],
        "live",
    );
    let d = doc(&l, "aws_s3_bucket.b");
    assert_eq!(attr(d, "bucket"), serde_json::json!("prod-logs"));
    assert_eq!(
        attr(d, "tags"),
        serde_json::json!({"versioned": "yes", "eu": "eu-logs", "second": "n1-logs"})
    );
    // A value known only after apply stays unknown, under the caller's name for it.
    assert_eq!(
        attr(d, "kms"),
        serde_json::json!({"$unknown": "module.names.key"})
    );
    // The module's own resources are still documents, once per instance.
    doc(&l, "module.names.aws_kms_key.k");
    doc(&l, "module.each[\"us\"].aws_kms_key.k");
    doc(&l, "module.counted[1].aws_kms_key.k");
    assert!(l.notifications.is_empty(), "{:?}", l.notifications);
}

#[test]
fn variable_collection_types_convert_their_elements() {
    let l = load(
        &[(
            "main.tf",
            r#"
variable "ports" {
  type    = list(number)
  default = ["1", "2"]
}
variable "labels" {
  type    = map(string)
  default = { a = 1, b = true, c = "x" }
}
variable "zones" {
  type    = set(string)
  default = ["b", "a", "b"]
}
variable "sizes" {
  type    = set(number)
  default = [3, "1", 3, 2]
}
variable "pair" {
  type    = tuple([string, number, bool])
  default = [1, "2", "true"]
}
variable "loose" {
  type    = any
  default = ["1", 2]
}
variable "bad" {
  type    = list(number)
  default = ["1", "x"]
}
resource "x_r" "r" {
  ports  = var.ports
  labels = var.labels
  zones  = var.zones
  sizes  = var.sizes
  pair   = var.pair
  loose  = var.loose
  bad    = var.bad
}
"#,
        )],
        "",
    );
    let d = doc(&l, "x_r.r");
    assert_eq!(attr(d, "ports"), serde_json::json!([1, 2]));
    assert_eq!(
        attr(d, "labels"),
        serde_json::json!({"a": "1", "b": "true", "c": "x"})
    );
    assert_eq!(attr(d, "zones"), serde_json::json!(["a", "b"]));
    assert_eq!(attr(d, "sizes"), serde_json::json!([1, 2, 3]));
    assert_eq!(attr(d, "pair"), serde_json::json!(["1", 2, true]));
    assert_eq!(attr(d, "loose"), serde_json::json!(["1", 2]));
    // Not convertible (Terraform would reject it): kept as written.
    assert_eq!(attr(d, "bad"), serde_json::json!(["1", "x"]));
}

#[test]
fn object_types_fill_optional_defaults_and_drop_undeclared_attributes() {
    let l = load(
        &[(
            "main.tf",
            r#"
variable "cfg" {
  type = object({
    name = string
    size = optional(number, 10)
    tier = optional(string, "std")
    note = optional(string)
    log = optional(object({
      enabled = optional(bool, true)
      days    = optional(number, 30)
    }), {})
  })
  default = { name = "n", tier = "premium", bogus = "dropped" }
}
variable "given" {
  type = list(object({
    name = string
    log = optional(object({
      enabled = optional(bool, true)
      days    = optional(number, 30)
    }), {})
  }))
  default = [{ name = 1, log = { days = "7", extra = 1 } }, { name = "b", log = null }]
}
resource "x_r" "r" {
  cfg   = var.cfg
  given = var.given
}
"#,
        )],
        "",
    );
    let d = doc(&l, "x_r.r");
    assert_eq!(
        attr(d, "cfg"),
        serde_json::json!({
            "name": "n",
            "size": 10,
            "tier": "premium",
            "note": null,
            "log": {"enabled": true, "days": 30}
        })
    );
    assert_eq!(
        attr(d, "given"),
        serde_json::json!([
            {"name": "1", "log": {"enabled": true, "days": 7}},
            {"name": "b", "log": {"enabled": true, "days": 30}}
        ])
    );
}

#[test]
fn tfvars_and_cli_values_convert_through_object_types() {
    let files = [
        (
            "env/main.tf",
            r#"
variable "db" {
  type = object({
    port      = number
    encrypted = optional(bool, true)
    tags      = optional(map(string), {})
  })
}
variable "ids" { type = set(number) }
resource "x_r" "r" {
  db  = var.db
  ids = var.ids
}
"#,
        ),
        (
            "env/terraform.tfvars",
            "db = { port = \"5432\", tags = { n = 1 }, junk = true }\n",
        ),
    ];
    let iac = IacOptions {
        vars: vec![("ids".into(), "[\"2\", 1, 2]".into())],
        ..IacOptions::default()
    };
    let l = load_with(&files, "env", &iac);
    let d = doc(&l, "x_r.r");
    assert_eq!(
        attr(d, "db"),
        serde_json::json!({"port": 5432, "encrypted": true, "tags": {"n": "1"}})
    );
    assert_eq!(attr(d, "ids"), serde_json::json!([1, 2]));
}

#[test]
fn module_inputs_convert_to_the_module_variable_types() {
    let files = [
        (
            "live/main.tf",
            r#"
resource "x_r" "src" {}
module "m" {
  source  = "../mod"
  ports   = ["80", 443]
  cfg     = { name = "a", extra = 1 }
  unknown = x_r.src.id
}
"#,
        ),
        (
            "mod/main.tf",
            r#"
variable "ports" { type = list(number) }
variable "cfg" {
  type = object({
    name    = string
    private = optional(bool, true)
  })
}
variable "unknown" { type = list(string) }
resource "x_r" "m" {
  ports   = var.ports
  cfg     = var.cfg
  unknown = var.unknown
}
"#,
        ),
    ];
    let l = load(&files, "live");
    let d = doc(&l, "module.m.x_r.m");
    assert_eq!(attr(d, "ports"), serde_json::json!([80, 443]));
    assert_eq!(
        attr(d, "cfg"),
        serde_json::json!({"name": "a", "private": true})
    );
    assert_eq!(
        attr(d, "unknown"),
        serde_json::json!({"$unknown": "x_r.src.id"})
    );
}

#[test]
fn json_variable_types_are_parsed_from_strings() {
    let l = load(
        &[(
            "main.tf.json",
            r#"{
  "variable": {
    "ports": { "type": "list(number)", "default": ["1", "2"] },
    "cfg": {
      "type": "object({ name = string, size = optional(number, 3) })",
      "default": { "name": "n" }
    }
  },
  "resource": { "x_r": { "r": { "ports": "${var.ports}", "size": "${var.cfg.size}" } } }
}"#,
        )],
        "",
    );
    let d = doc(&l, "x_r.r");
    assert_eq!(attr(d, "ports"), serde_json::json!([1, 2]));
    assert_eq!(attr(d, "size"), serde_json::json!(3));
}
