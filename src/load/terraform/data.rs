//! Data sources that need no account to read: their values are computed in-process, as the
//! provider computes them, so the resources that refer to them see known values. Today that is
//! `aws_iam_policy_document` ([`super::policy_document`]); every other data source is known
//! only after apply.

use super::budget::{Exceeded, Limit};
use super::{policy_document, src_of, Inst, Scope, V};
use crate::load::tree::{Node, Value as NV};
use std::collections::BTreeMap;

/// The data sources evaluated in-process.
fn computed(ty: &str) -> bool {
    ty == "aws_iam_policy_document"
}

impl Inst<'_> {
    /// `data.TYPE.NAME` of this module instance, as the resource that refers to it sees it
    /// (an object; a list of them with `count`, a map with `for_each`), computed once.
    /// `None` when plumbline does not compute that data source or it is not declared: the
    /// reference is unknown.
    pub(super) fn data_value(&self, ty: &str, name: &str) -> Option<V> {
        if !computed(ty) {
            return None;
        }
        let key = format!("{ty}.{name}");
        if let Some(done) = self.data_values.borrow().get(&key) {
            // `None`: being computed, so the data source refers to itself (Terraform rejects
            // that); unknown.
            return Some(
                done.clone()
                    .unwrap_or_else(|| V::unknown(format!("data.{key}"))),
            );
        }
        let b = self
            .def
            .of_kind("data")
            .find(|b| b.labels.len() == 2 && b.labels[0] == ty && b.labels[1] == name)?;
        self.data_values.borrow_mut().insert(key.clone(), None);
        let keyed = b.body.attr("for_each").is_some();
        let counted = b.body.attr("count").is_some();
        let instances = self.instances(b, &Scope::new(self, b.file));
        let mut list = Vec::new();
        let mut by_key = BTreeMap::new();
        let mut unknown = false;
        for (suffix, count, each) in instances {
            if suffix == "[*]" {
                unknown = true;
                break;
            }
            let mut scope = Scope::new(self, b.file);
            scope.count = count;
            scope.each = each.clone();
            let body = scope.body_node(&b.body, &mut Vec::new(), true, src_of(b.file), b.loc);
            let reference = format!("data.{key}{suffix}");
            let value = match policy_document::render(&value_of(&body), &reference) {
                Ok(v) => self.within_limits(v, b, &reference),
                Err(e) => {
                    self.eval_error(b.file, b.loc.pos, &reference, &e);
                    V::unknown(reference)
                }
            };
            match each {
                Some((V::Str(k), _)) if keyed => {
                    by_key.insert(k, value);
                }
                _ => list.push(value),
            }
        }
        let value = if unknown {
            V::unknown(format!("data.{key}"))
        } else if keyed {
            V::Map(by_key)
        } else if counted {
            V::List(list)
        } else {
            list.pop().unwrap_or(V::Null)
        };
        self.data_values
            .borrow_mut()
            .insert(key, Some(value.clone()));
        Some(value)
    }

    /// A computed document within the limits of one value, and charged to the step budget:
    /// documents that merge each other's statements twice over grow exponentially.
    fn within_limits(&self, v: V, b: &super::config::Blk, reference: &str) -> V {
        let json_len = match &v {
            V::Map(m) => m.get("json").and_then(V::to_str).map_or(0, |s| s.len()),
            _ => 0,
        };
        let budget = &self.root.budget;
        let limit = if json_len > budget.limits.max_value_bytes {
            Some(Limit::ValueBytes)
        } else if !budget.charge(json_len as u64 / 16 + 1) {
            Some(Limit::Steps)
        } else {
            None
        };
        match limit {
            None => v,
            Some(limit) => {
                let path = self.file_path(b.file).to_string();
                let exceeded = Exceeded {
                    limit,
                    what: reference.to_string(),
                };
                self.root
                    .limit_reached(&path, Some(b.loc.pos), &exceeded, budget);
                V::unknown(reference)
            }
        }
    }
}

/// The value of an evaluated block body (nested blocks as lists of objects), the input
/// model's unknown value being unknown again.
fn value_of(n: &Node) -> V {
    match &n.value {
        NV::Null => V::Null,
        NV::Bool(b) => V::Bool(*b),
        NV::Int(i) => V::Num(*i as f64),
        NV::UInt(u) => V::Num(*u as f64),
        NV::Float(f) => V::Num(*f),
        NV::Str(s) => V::Str(s.clone()),
        NV::Seq(items) => V::List(items.iter().map(value_of).collect()),
        NV::Map(entries) => {
            if let [e] = entries.as_slice() {
                if e.key == "$unknown" {
                    if let NV::Str(r) = &e.value.value {
                        return V::Unknown(r.clone());
                    }
                }
            }
            V::Map(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), value_of(&e.value)))
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::load::terraform::load_root;
    use crate::load::{IacOptions, LoadOptions, Loaded, MemFiles};
    use crate::model::NoteLevel;

    fn load(main_tf: &str) -> Loaded {
        let files = MemFiles::new([("main.tf".to_string(), main_tf.to_string())]);
        load_root(&files, "", &LoadOptions::default(), &IacOptions::default())
    }

    /// The `policy` attribute of resource `address`, as the policies see it.
    fn policy(l: &Loaded, address: &str) -> serde_json::Value {
        let d = l
            .documents
            .iter()
            .find(|d| d.subject.as_ref().unwrap().address == address)
            .unwrap_or_else(|| panic!("no {address}"));
        d.node
            .get("attributes")
            .unwrap()
            .get("policy")
            .unwrap()
            .to_json()
    }

    fn text(v: &serde_json::Value) -> &str {
        v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
    }

    fn parsed(v: &serde_json::Value) -> serde_json::Value {
        serde_json::from_str(text(v)).unwrap()
    }

    // The provider's acceptance test `basic` (internal/service/iam, policy document data
    // source), with the partition written out; the expected text is the provider's, whose
    // current model leaves an empty Sid out.
    #[test]
    fn a_policy_document_renders_byte_for_byte_as_the_provider_writes_it() {
        let l = load(
            r#"
data "aws_iam_policy_document" "test" {
  policy_id = "policy_id"
  statement {
    sid = "1"
    actions = ["s3:ListAllMyBuckets", "s3:GetBucketLocation"]
    resources = ["arn:aws:s3:::*"]
  }
  statement {
    actions = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::foo"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["home/", "", "home/&{aws:username}/"]
    }
    not_principals {
      type        = "AWS"
      identifiers = ["arn:blahblah:example"]
    }
  }
  statement {
    actions = ["s3:*"]
    resources = [
      "arn:aws:s3:::foo/home/&{aws:username}",
      "arn:aws:s3:::foo/home/&{aws:username}/*",
    ]
    principals {
      type        = "AWS"
      identifiers = ["arn:blahblah:example"]
    }
  }
  statement {
    effect        = "Deny"
    not_actions   = ["s3:*"]
    not_resources = ["arn:aws:s3:::*"]
  }
  statement {
    effect  = "Allow"
    actions = ["kinesis:*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
  statement {
    effect  = "Allow"
    actions = ["firehose:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
resource "aws_iam_policy" "p" {
  policy = data.aws_iam_policy_document.test.json
}
resource "aws_iam_policy" "min" {
  policy = data.aws_iam_policy_document.test.minified_json
}
"#,
        );
        let expected = r#"{
  "Version": "2012-10-17",
  "Id": "policy_id",
  "Statement": [
    {
      "Sid": "1",
      "Effect": "Allow",
      "Action": [
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation"
      ],
      "Resource": "arn:aws:s3:::*"
    },
    {
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::foo",
      "NotPrincipal": {
        "AWS": "arn:blahblah:example"
      },
      "Condition": {
        "StringLike": {
          "s3:prefix": [
            "home/",
            "",
            "home/${aws:username}/"
          ]
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::foo/home/${aws:username}/*",
        "arn:aws:s3:::foo/home/${aws:username}"
      ],
      "Principal": {
        "AWS": "arn:blahblah:example"
      }
    },
    {
      "Effect": "Deny",
      "NotAction": "s3:*",
      "NotResource": "arn:aws:s3:::*"
    },
    {
      "Effect": "Allow",
      "Action": "kinesis:*",
      "Principal": {
        "AWS": "*"
      }
    },
    {
      "Effect": "Allow",
      "Action": "firehose:*",
      "Principal": "*"
    }
  ]
}"#;
        assert_eq!(text(&policy(&l, "aws_iam_policy.p")), expected);
        // minified_json: the same document without any space.
        let min = policy(&l, "aws_iam_policy.min");
        let compact: serde_json::Value = serde_json::from_str(expected).unwrap();
        assert_eq!(parsed(&min), compact);
        assert!(!text(&min).contains(' ') && !text(&min).contains('\n'));
        assert!(l.notifications.is_empty(), "{:?}", l.notifications);
    }

    // The provider's `sourceList`, `overrideList` and `statementPrincipalIdentifiers` cases.
    #[test]
    fn source_and_override_documents_merge_by_sid_and_principals_group_by_type() {
        let l = load(
            r#"
data "aws_iam_policy_document" "policy_a" {
  statement {
    sid     = ""
    effect  = "Allow"
    actions = ["foo:ActionOne"]
  }
  statement {
    sid     = "validSidOne"
    effect  = "Allow"
    actions = ["bar:ActionOne"]
  }
}
data "aws_iam_policy_document" "policy_b" {
  statement {
    sid     = "validSidTwo"
    effect  = "Deny"
    actions = ["foo:ActionTwo"]
  }
}
data "aws_iam_policy_document" "policy_c" {
  statement {
    sid     = "validSidOne"
    effect  = "Deny"
    actions = ["bar:ActionOne"]
  }
}
data "aws_iam_policy_document" "sources" {
  source_policy_documents = [
    data.aws_iam_policy_document.policy_a.json,
    data.aws_iam_policy_document.policy_b.json,
  ]
  statement {
    sid       = "validSidTwo"
    actions   = ["*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111111111111:root"]
    }
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]
    }
  }
}
data "aws_iam_policy_document" "overrides" {
  override_policy_documents = [
    data.aws_iam_policy_document.policy_a.json,
    data.aws_iam_policy_document.policy_b.json,
    data.aws_iam_policy_document.policy_c.json,
  ]
}
resource "aws_iam_policy" "sources" {
  policy = data.aws_iam_policy_document.sources.json
}
resource "aws_iam_policy" "overrides" {
  policy = data.aws_iam_policy_document.overrides.json
}
"#,
        );
        assert_eq!(
            parsed(&policy(&l, "aws_iam_policy.sources")),
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "foo:ActionOne"},
                    {"Sid": "validSidOne", "Effect": "Allow", "Action": "bar:ActionOne"},
                    // The block's statement replaces the source's with the same Sid, in place.
                    {"Sid": "validSidTwo", "Effect": "Allow", "Action": "*", "Resource": "*",
                     "Principal": {"AWS": [
                        "arn:aws:iam::111111111111:root",
                        "arn:aws:iam::333333333333:root",
                        "arn:aws:iam::222222222222:root"
                     ]}}
                ]
            })
        );
        assert_eq!(
            text(&policy(&l, "aws_iam_policy.overrides")),
            r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "foo:ActionOne"
    },
    {
      "Sid": "validSidOne",
      "Effect": "Deny",
      "Action": "bar:ActionOne"
    },
    {
      "Sid": "validSidTwo",
      "Effect": "Deny",
      "Action": "foo:ActionTwo"
    }
  ]
}"#
        );
    }

    #[test]
    fn terraform_errors_of_the_data_source_are_reported_at_its_line_and_leave_it_unknown() {
        let l = load(
            r#"
data "aws_iam_policy_document" "a" {
  statement {
    sid     = "same"
    actions = ["s3:GetObject"]
  }
}
data "aws_iam_policy_document" "b" {
  statement {
    sid     = "same"
    actions = ["s3:PutObject"]
  }
}
data "aws_iam_policy_document" "dup" {
  source_policy_documents = [
    data.aws_iam_policy_document.a.json,
    data.aws_iam_policy_document.b.json,
  ]
}
data "aws_iam_policy_document" "old" {
  version = "2008-10-17"
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b/&{aws:username}"]
  }
}
resource "aws_iam_policy" "dup" {
  policy = data.aws_iam_policy_document.dup.json
}
resource "aws_iam_policy" "old" {
  policy = data.aws_iam_policy_document.old.json
}
"#,
        );
        assert_eq!(
            policy(&l, "aws_iam_policy.dup"),
            serde_json::json!({"$unknown": "data.aws_iam_policy_document.dup"})
        );
        assert_eq!(
            policy(&l, "aws_iam_policy.old"),
            serde_json::json!({"$unknown": "data.aws_iam_policy_document.old"})
        );
        let notes: Vec<(NoteLevel, String)> = l
            .notifications
            .iter()
            .map(|n| (n.level, n.message.clone()))
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0]
            .1
            .starts_with("main.tf:14: data.aws_iam_policy_document.dup"));
        assert!(notes[0].1.contains("duplicate Sid (same)"), "{notes:?}");
        assert!(notes[1]
            .1
            .starts_with("main.tf:20: data.aws_iam_policy_document.old"));
        assert!(notes[1]
            .1
            .contains("not supported in document version 2008-10-17"));
    }

    // Shaped like the terraform-aws-modules s3-bucket module: a document per optional policy
    // (with count), combined through `source_policy_documents`, with `dynamic` statements and
    // conditions, and resources known only after apply.
    #[test]
    fn module_shaped_documents_keep_what_is_known_and_mark_the_rest_unknown() {
        let l = load(
            r#"
variable "attach_deny_insecure_transport_policy" { default = true }
variable "attach_public_policy" { default = true }
variable "extra_statements" {
  default = {
    read = {
      sid        = "PublicRead"
      actions    = ["s3:GetObject"]
      principals = [{ type = "*", identifiers = ["*"] }]
      conditions = [{ test = "StringEquals", variable = "aws:SourceVpce", values = ["vpce-1"] }]
    }
    list = {
      sid        = "PublicList"
      actions    = ["s3:ListBucket"]
      principals = [{ type = "AWS", identifiers = ["*"] }]
      conditions = []
    }
  }
}
resource "aws_s3_bucket" "this" {
  bucket = "b"
}
data "aws_iam_policy_document" "deny_insecure_transport" {
  count = var.attach_deny_insecure_transport_policy ? 1 : 0
  statement {
    sid     = "denyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
data "aws_iam_policy_document" "public" {
  count = var.attach_public_policy ? 1 : 0
  dynamic "statement" {
    for_each = var.extra_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = ["${aws_s3_bucket.this.arn}/*"]
      dynamic "principals" {
        for_each = statement.value.principals
        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }
      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}
data "aws_iam_policy_document" "combined" {
  source_policy_documents = compact([
    var.attach_deny_insecure_transport_policy ? data.aws_iam_policy_document.deny_insecure_transport[0].json : "",
    var.attach_public_policy ? data.aws_iam_policy_document.public[0].json : "",
  ])
}
resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.combined.json
}
"#,
        );
        let doc = parsed(&policy(&l, "aws_s3_bucket_policy.this"));
        let arn = serde_json::json!({"$unknown": "aws_s3_bucket.this.arn"});
        assert_eq!(
            doc,
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "denyInsecureTransport", "Effect": "Deny", "Action": "s3:*",
                     "Resource": [arn, arn], "Principal": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                    // for_each over a map: by key, so `list` before `read`.
                    {"Sid": "PublicList", "Effect": "Allow", "Action": "s3:ListBucket",
                     "Resource": arn, "Principal": {"AWS": "*"}},
                    {"Sid": "PublicRead", "Effect": "Allow", "Action": "s3:GetObject",
                     "Resource": arn, "Principal": "*",
                     "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
                ]
            })
        );
        assert!(l.notifications.is_empty(), "{:?}", l.notifications);
    }

    #[test]
    fn unknown_inputs_stay_in_place_and_an_unknown_override_may_replace_any_sid() {
        let l = load(
            r#"
variable "override" {}
variable "principals" {}
data "aws_iam_policy_document" "d" {
  override_policy_documents = [var.override]
  statement {
    sid       = "Named"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
  statement {
    actions   = ["s3:PutObject"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = var.principals
    }
  }
}
data "aws_iam_policy_document" "each" {
  for_each = toset(["a", "b"])
  statement {
    actions   = ["s3:${each.key}"]
    resources = ["*"]
  }
}
resource "aws_iam_policy" "d" {
  policy = data.aws_iam_policy_document.d.json
}
resource "aws_iam_policy" "b" {
  policy = data.aws_iam_policy_document.each["b"].minified_json
}
"#,
        );
        assert_eq!(
            parsed(&policy(&l, "aws_iam_policy.d")),
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"$unknown": "var.override"},
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
                     "Principal": {"AWS": {"$unknown": "var.principals"}}},
                    {"$unknown": "var.override"}
                ]
            })
        );
        assert_eq!(
            text(&policy(&l, "aws_iam_policy.b")),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:b","Resource":"*"}]}"#
        );
    }
}

#[cfg(test)]
mod template_tests {
    use crate::load::terraform::load_root;
    use crate::load::{IacOptions, LoadOptions, MemFiles};

    #[test]
    fn json_templates_keep_their_known_parts_and_other_text_stays_unknown() {
        let files = MemFiles::new([(
            "main.tf".to_string(),
            r##"
resource "aws_s3_bucket" "b" {
  bucket = "b"
}
locals {
  statement = jsondecode(<<-EOT
    {"Effect": "Allow", "Principal": "*", "Resource": "${aws_s3_bucket.b.arn}/*"}
  EOT
  )
}
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = <<POLICY
{
  "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::${aws_s3_bucket.b.id}/*"},
    ${jsonencode(local.statement)}
  ]
}
POLICY
}
resource "aws_instance" "i" {
  user_data = "#!/bin/sh\necho ${aws_s3_bucket.b.arn}"
}
"##
            .to_string(),
        )]);
        let l = load_root(&files, "", &LoadOptions::default(), &IacOptions::default());
        let attr = |address: &str, key: &str| {
            l.documents
                .iter()
                .find(|d| d.subject.as_ref().unwrap().address == address)
                .unwrap()
                .node
                .get("attributes")
                .unwrap()
                .get(key)
                .unwrap()
                .to_json()
        };
        let policy: serde_json::Value =
            serde_json::from_str(attr("aws_s3_bucket_policy.b", "policy").as_str().unwrap())
                .unwrap();
        assert_eq!(
            policy,
            serde_json::json!({"Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": {"$unknown": "aws_s3_bucket.b.id"}},
                // Decoded and encoded again: the unknown part is unknown in between too.
                {"Effect": "Allow", "Principal": "*",
                 "Resource": {"$unknown": "aws_s3_bucket.b.arn"}}
            ]})
        );
        assert_eq!(
            attr("aws_instance.i", "user_data"),
            serde_json::json!({"$unknown": "aws_s3_bucket.b.arn"})
        );
        assert!(l.notifications.is_empty(), "{:?}", l.notifications);
    }
}
