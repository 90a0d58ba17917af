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

// --- budgets: the scanned repository is untrusted ---------------------------------------

fn load_within(files: &[(&str, &str)], dir: &str, limits: budget::Limits) -> Loaded {
    let files = MemFiles::new(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    load_root_within(
        &files,
        dir,
        &LoadOptions::default(),
        &IacOptions::default(),
        limits,
    )
}

/// The notifications with `code`, as (level, file, message).
fn notes_of(l: &Loaded, code: &str) -> Vec<(NoteLevel, String, String)> {
    l.notifications
        .iter()
        .filter(|n| n.code == code)
        .map(|n| {
            (
                n.level,
                n.file.clone().unwrap_or_default(),
                n.message.clone(),
            )
        })
        .collect()
}

fn unknown() -> serde_json::Value {
    serde_json::json!({"$unknown": ""})
}

/// Runs `f` on a thread with the stack a loader worker has (rayon's threads are given 16 MiB
/// by main), so that deep nesting tests what a scan does, not the test harness's 2 MiB.
fn on_worker_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn_scoped(s, f)
            .unwrap()
            .join()
            .unwrap()
    })
}

/// `l0 = ["a", "b"]`, `l1 = concat(local.l0, local.l0)`, … and the same for a string: each
/// doubles, so a few dozen lines ask for gigabytes.
fn doubling_locals(n: usize) -> String {
    let mut text = String::from("locals {\n  l0 = [\"a\", \"b\"]\n  s0 = \"ab\"\n");
    for i in 1..=n {
        let p = i - 1;
        text.push_str(&format!(
            "  l{i} = concat(local.l{p}, local.l{p})\n  s{i} = \"${{local.s{p}}}${{local.s{p}}}\"\n"
        ));
    }
    text.push_str("}\n");
    text
}

#[test]
fn doubling_lists_and_strings_stop_at_the_value_limits_with_a_notification() {
    // 2^21 elements and 2^25 bytes: twice the default limits of one value.
    let locals = doubling_locals(24);
    let main = r#"
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
  tags = {
    items = length(local.l24)
  }
  policy = local.s24
}
resource "aws_s3_bucket" "small" {
  bucket = "small-${length(local.l10)}-${length(local.s10)}"
}
"#;
    let l = load(&[("app/locals.tf", &locals), ("app/main.tf", main)], "app");
    let d = doc(&l, "aws_s3_bucket.logs");
    assert_eq!(attr(d, "bucket"), serde_json::json!("logs"));
    assert_eq!(attr(d, "tags"), serde_json::json!({"items": unknown()}));
    assert_eq!(attr(d, "policy"), unknown());
    // Values below the limits are still evaluated.
    assert_eq!(
        attr(doc(&l, "aws_s3_bucket.small"), "bucket"),
        serde_json::json!("small-2048-2048")
    );
    let notes = notes_of(&l, "terraform-limit");
    // l_i (on line 2 + 2i) has 2^(i+1) elements; s_i (line 3 + 2i) 2^(i+1) bytes.
    let elements = notes
        .iter()
        .find(|(_, _, m)| m.contains("1000000 elements in one value"))
        .unwrap_or_else(|| panic!("{:#?}", l.notifications));
    assert_eq!(elements.0, NoteLevel::Error);
    assert_eq!(elements.1, "app/locals.tf");
    // l19 is the first with more than a million (2^20).
    assert!(
        elements.2.starts_with("app/locals.tf:40: concat()"),
        "{}",
        elements.2
    );
    let bytes = notes
        .iter()
        .find(|(_, _, m)| m.contains("bytes of text in one value"))
        .unwrap_or_else(|| panic!("{:#?}", l.notifications));
    // s24 is the first with more than 16 MiB (2^25 bytes).
    assert!(
        bytes.2.starts_with("app/locals.tf:51: this template"),
        "{}",
        bytes.2
    );
    assert!(bytes.2.contains("scan is incomplete"), "{}", bytes.2);
}

#[test]
fn huge_count_and_for_each_are_cut_to_the_instance_limits() {
    let main = r#"
variable "zones" {
  default = 100000000
}
resource "aws_instance" "web" {
  count = var.zones
  ami   = "ami-${count.index}"
}
resource "aws_route53_record" "r" {
  for_each = { for i in range(200) : format("r%03d", i) => i }
  name     = "r${each.value}"
}
resource "aws_s3_bucket" "after" {
  count  = 40
  bucket = "after-${count.index}"
}
"#;
    let limits = budget::Limits {
        max_block_instances: 50,
        max_root_instances: 120,
        ..budget::DEFAULT_LIMITS
    };
    let l = load_within(&[("main.tf", main)], "", limits);
    let count_of = |prefix: &str| {
        l.documents
            .iter()
            .filter(|d| d.subject.as_ref().unwrap().address.starts_with(prefix))
            .count()
    };
    assert_eq!(count_of("aws_instance.web["), 50);
    assert_eq!(count_of("aws_route53_record.r["), 50);
    // The first ones by key, evaluated as usual.
    assert_eq!(
        attr(doc(&l, "aws_route53_record.r[\"r049\"]"), "name"),
        serde_json::json!("r49")
    );
    // 100 taken by the first two blocks: 20 left of the root module's 120.
    assert_eq!(count_of("aws_s3_bucket.after["), 20);
    let notes = notes_of(&l, "terraform-limit");
    assert_eq!(notes.len(), 3, "{notes:#?}");
    assert!(notes
        .iter()
        .all(|(level, file, _)| *level == NoteLevel::Error && file == "main.tf"));
    let has = |text: &str| notes.iter().any(|(_, _, m)| m.contains(text));
    assert!(has("main.tf:6: resource aws_instance.web: count = 100000000 asks for more than the limit of 50 instances"), "{notes:#?}");
    assert!(
        has("main.tf:10: resource aws_route53_record.r: for_each over 200 elements"),
        "{notes:#?}"
    );
    assert!(
        has("main.tf:13: resource aws_s3_bucket.after and what follows it were not loaded"),
        "{notes:#?}"
    );
}

#[test]
fn nested_for_over_huge_ranges_spends_the_step_budget_and_try_does_not_hide_it() {
    let main = r#"
locals {
  grid  = [for i in range(100000) : [for j in range(100000) : i * j]]
  big   = try(range(1000000000), [])
  fine  = [for i in range(10) : i * 2]
}
resource "aws_s3_bucket" "a" {
  bucket = "a"
  fine   = local.fine
  big    = local.big
}
resource "aws_s3_bucket" "b" {
  cells = local.grid
}
resource "aws_s3_bucket" "c" {
  bucket = "c"
}
"#;
    let limits = budget::Limits {
        max_steps: 200_000,
        ..budget::DEFAULT_LIMITS
    };
    let l = load_within(&[("main.tf", main)], "", limits);
    let a = doc(&l, "aws_s3_bucket.a");
    assert_eq!(
        attr(a, "fine"),
        serde_json::json!([0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    );
    // try() does not turn a limit into its fallback.
    assert_eq!(attr(a, "big"), unknown());
    assert_eq!(attr(doc(&l, "aws_s3_bucket.b"), "cells"), unknown());
    // Once the module's steps are spent, what is evaluated after is unknown, and the
    // resources are still documents.
    assert_eq!(attr(doc(&l, "aws_s3_bucket.c"), "bucket"), unknown());
    let notes = notes_of(&l, "terraform-limit");
    let has = |text: &str| notes.iter().any(|(_, _, m)| m.contains(text));
    assert!(
        has("main.tf:4: range() reached the limit of 100000 elements for range()"),
        "{notes:#?}"
    );
    assert!(
        has("reached the evaluation budget of 200000 steps for one root module; evaluation of the top directory stopped here"),
        "{notes:#?}"
    );
    // The step budget is reported once, however many values it made unknown.
    assert_eq!(
        notes.iter().filter(|(_, _, m)| m.contains("steps")).count(),
        1
    );
}

#[test]
fn limits_in_variable_files_are_reported_too() {
    let l = load(
        &[
            (
                "env/main.tf",
                "variable \"ids\" {}\nresource \"x_r\" \"r\" {\n  ids = var.ids\n}\n",
            ),
            ("env/terraform.tfvars", "\nids = range(5000000)\n"),
        ],
        "env",
    );
    assert_eq!(attr(doc(&l, "x_r.r"), "ids"), unknown());
    let notes = notes_of(&l, "terraform-limit");
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(notes[0].1, "env/terraform.tfvars");
    assert!(
        notes[0].2.starts_with("env/terraform.tfvars:2: range()"),
        "{}",
        notes[0].2
    );
}

#[test]
fn a_long_chain_of_locals_stops_at_the_nesting_limit() {
    // local.c1999 → local.c1998 → … → local.c0: each link nests the evaluation deeper.
    let mut text = String::from("locals {\n  c0 = \"x\"\n");
    for i in 1..2000 {
        text.push_str(&format!("  c{i} = \"${{local.c{}}}y\"\n", i - 1));
    }
    text.push_str("}\nresource \"x_r\" \"top\" {\n  v = local.c1999\n}\nresource \"x_r\" \"low\" {\n  v = length(local.c100)\n}\n");
    let l = on_worker_stack(|| load(&[("main.tf", &text)], ""));
    assert_eq!(attr(doc(&l, "x_r.top"), "v"), unknown());
    // A short chain is evaluated.
    assert_eq!(attr(doc(&l, "x_r.low"), "v"), serde_json::json!(101));
    let notes = notes_of(&l, "terraform-limit");
    assert!(
        notes
            .iter()
            .any(|(level, _, m)| *level == NoteLevel::Error
                && m.contains("the nesting limit of 400")),
        "{notes:#?}"
    );
}

#[test]
fn recursive_locals_are_a_named_cycle_not_a_silent_unknown() {
    let l = load(
        &[(
            "net/main.tf",
            r#"
locals {
  name   = "${local.prefix}-vpc"
  prefix = "${local.env}-net"
  env    = local.name
  ok     = "fine"
}
resource "aws_vpc" "main" {
  tags = {
    Name = local.name
    Ok   = local.ok
  }
}
"#,
        )],
        "net",
    );
    let d = doc(&l, "aws_vpc.main");
    assert_eq!(
        attr(d, "tags"),
        serde_json::json!({"Name": {"$unknown": "local.name"}, "Ok": "fine"})
    );
    let notes = notes_of(&l, "terraform-local-cycle");
    assert_eq!(notes.len(), 1, "{:#?}", l.notifications);
    let (level, file, message) = &notes[0];
    assert_eq!(*level, NoteLevel::Error);
    assert_eq!(file, "net/main.tf");
    // It points at `env`, whose expression closes the cycle.
    assert!(
        message.starts_with(
            "net/main.tf:5: locals refer to each other in a cycle (local.name → local.prefix → local.env → local.name)"
        ),
        "{message}"
    );
}

/// Files as a scan gives them: only the formats it loads are listed; others (templates)
/// are read on request, as long as they are in the tree.
struct ScanLike {
    listed: MemFiles,
    unlisted: BTreeMap<String, String>,
}

impl Files for ScanLike {
    fn paths(&self) -> &[String] {
        self.listed.paths()
    }
    fn read(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        self.listed.read(path)
    }
    fn read_unlisted(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        self.unlisted
            .get(path)
            .map(|t| Ok(Arc::new(SourceFile::new(path.to_string(), t.clone()))))
    }
}

#[test]
fn templatefile_reads_module_files_and_refuses_paths_outside_the_tree() {
    let files = ScanLike {
        listed: MemFiles::new([
            (
                "live/main.tf",
                "module \"web\" {\n  source = \"../modules/web\"\n  name   = \"shop\"\n}\n",
            ),
            (
                "modules/web/main.tf",
                r#"variable "name" {}
resource "aws_instance" "web" {
  user_data = templatefile("${path.module}/user_data.tftpl", { name = var.name, ports = [80, 443] })
  policy    = file("${path.module}/policy.json")
  exists    = fileexists("${path.module}/user_data.tftpl")
  outside   = file("../../../etc/passwd")
  absolute  = file("/etc/passwd")
  missing   = file("${path.module}/nope.txt")
}
"#,
            ),
        ]),
        unlisted: [
            (
                "modules/web/user_data.tftpl".to_string(),
                "name=${name}\n%{ for p in ports }port=${p};%{ endfor }\n".to_string(),
            ),
            (
                "modules/web/policy.json".to_string(),
                "{\"Version\": \"2012-10-17\"}".to_string(),
            ),
        ]
        .into(),
    };
    let l = load_root(
        &files,
        "live",
        &LoadOptions::default(),
        &IacOptions::default(),
    );
    let d = doc(&l, "module.web.aws_instance.web");
    assert_eq!(
        attr(d, "user_data"),
        serde_json::json!("name=shop\nport=80;port=443;\n")
    );
    assert_eq!(
        attr(d, "policy"),
        serde_json::json!("{\"Version\": \"2012-10-17\"}")
    );
    assert_eq!(attr(d, "exists"), serde_json::json!(true));
    for a in ["outside", "absolute", "missing"] {
        assert_eq!(attr(d, a), unknown(), "{a}");
    }
    let errors: Vec<&str> = l
        .notifications
        .iter()
        .filter(|n| n.code == "terraform-eval-error")
        .map(|n| n.message.as_str())
        .collect();
    let has = |text: &str| errors.iter().any(|m| m.contains(text));
    assert!(has("modules/web/main.tf:6: attribute outside could not be evaluated (../../../etc/passwd is outside the scanned tree"), "{errors:#?}");
    assert!(has("modules/web/main.tf:7: attribute absolute could not be evaluated (/etc/passwd is outside the scanned tree"), "{errors:#?}");
    assert!(
        has("modules/web/nope.txt is not a file of the scanned tree"),
        "{errors:#?}"
    );
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn sets_and_distinct_keep_terraform_semantics() {
    let l = load(
        &[(
            "main.tf",
            r#"
locals {
  ids = [for i in range(3000) : "id-${i % 1000}"]
}
resource "x_r" "r" {
  n_set      = length(toset(local.ids))
  n_distinct = length(distinct(local.ids))
  first      = distinct(local.ids)[0]
  mixed      = distinct([1, "1", 1, 0, -0, { a = 1 }, { a = 1 }])
  inter      = setintersection(["a", "b", "c"], ["c", "a"])
  minus      = setsubtract(["a", "b", "c"], ["b"])
}
"#,
        )],
        "",
    );
    let d = doc(&l, "x_r.r");
    assert_eq!(attr(d, "n_set"), serde_json::json!(1000));
    assert_eq!(attr(d, "n_distinct"), serde_json::json!(1000));
    assert_eq!(attr(d, "first"), serde_json::json!("id-0"));
    assert_eq!(attr(d, "mixed"), serde_json::json!([1, "1", 0, {"a": 1}]));
    assert_eq!(attr(d, "inter"), serde_json::json!(["a", "c"]));
    assert_eq!(attr(d, "minus"), serde_json::json!(["a", "c"]));
}

#[test]
fn a_module_of_many_files_does_not_copy_its_file_list_into_every_document() {
    let files: Vec<(String, String)> = (0..100)
        .map(|i| {
            (
                format!("big/r{i:03}.tf"),
                format!("resource \"aws_s3_bucket\" \"b{i:03}\" {{\n  bucket = \"b-{i}\"\n}}\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let l = load(&files, "big");
    assert_eq!(l.documents.len(), 100);
    let d = doc(&l, "aws_s3_bucket.b042");
    // 100 files × 100 documents would be 10,000 copies; each document keeps its own file.
    assert!(d.extra_files.is_empty());
    let bucket = d.node.get("attributes").unwrap().get("bucket").unwrap();
    assert_eq!(d.file_of(bucket).path, "big/r042.tf");
    assert_eq!(bucket.start.line, 2);
    assert_eq!(d.related.as_ref().unwrap().nodes().count(), 99);
}

#[test]
fn nested_module_calls_are_made_once_not_once_per_use() {
    // m0 calls m1 … calls m15; each level reads its child's output and has a resource: the
    // calls must be instantiated once each, not again for every module.NAME.
    let mut files = vec![(
        "live/main.tf".to_string(),
        "module \"m\" {\n  source = \"../m0\"\n}\nresource \"x_r\" \"top\" {\n  v = module.m.v\n}\n"
            .to_string(),
    )];
    for i in 0..16 {
        let body = if i < 15 {
            format!(
                "module \"next\" {{\n  source = \"../m{}\"\n}}\nresource \"x_r\" \"r\" {{\n  v = module.next.v\n}}\noutput \"v\" {{\n  value = \"${{module.next.v}}+\"\n}}\n",
                i + 1
            )
        } else {
            "resource \"x_r\" \"r\" {\n  v = \"leaf\"\n}\noutput \"v\" {\n  value = \"leaf\"\n}\n"
                .to_string()
        };
        files.push((format!("m{i}/main.tf"), body));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    // 2^16 instantiations would spend this budget many times over; 17 do not.
    let limits = budget::Limits {
        max_steps: 20_000,
        ..budget::DEFAULT_LIMITS
    };
    let l = load_within(&files, "live", limits);
    assert!(l.notifications.is_empty(), "{:#?}", l.notifications);
    assert_eq!(
        attr(doc(&l, "x_r.top"), "v"),
        serde_json::json!(format!("leaf{}", "+".repeat(15)))
    );
    assert_eq!(l.documents.len(), 17);
}
