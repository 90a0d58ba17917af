//! Per-Terraform-type drift rules for AWS, as data (`rules/aws/*.yaml`, compiled in).
//!
//! A rule says which live reader kind holds the resource, which state attribute is its live
//! key, which attributes are compared with which member of the API's body (and through
//! which normaliser), which are secret and which are deliberately not compared. The format
//! is documented in `rules/README.md`.

use super::normalise::Norm;
use crate::model::{parse_rendered_path, PathSeg};
use serde::Deserialize;
use std::collections::BTreeMap;

const BUILTIN: &[(&str, &str)] = &[
    (
        "rules/aws/s3.yaml",
        include_str!("../../../rules/aws/s3.yaml"),
    ),
    (
        "rules/aws/ec2.yaml",
        include_str!("../../../rules/aws/ec2.yaml"),
    ),
    (
        "rules/aws/iam.yaml",
        include_str!("../../../rules/aws/iam.yaml"),
    ),
    (
        "rules/aws/kms.yaml",
        include_str!("../../../rules/aws/kms.yaml"),
    ),
    (
        "rules/aws/rds.yaml",
        include_str!("../../../rules/aws/rds.yaml"),
    ),
    (
        "rules/aws/lambda.yaml",
        include_str!("../../../rules/aws/lambda.yaml"),
    ),
];

/// All AWS type rules, by Terraform type.
#[derive(Debug, Clone, Default)]
pub struct AwsRules {
    types: BTreeMap<String, TypeRule>,
}

/// How one Terraform type maps onto a live reader kind.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeRule {
    pub ty: String,
    /// Reader kind (`s3:bucket`).
    pub kind: String,
    /// State attributes holding the live key, first non-empty wins (`[bucket, id]`).
    pub key: Vec<String>,
    /// The resource is one member of a list in the parent's live body (an attachment, an
    /// inline policy, a rule of a security group), not a live resource of its own.
    pub member: Option<Member>,
    pub compare: Vec<Compare>,
    /// State attribute paths whose values are secret (besides the state's own
    /// `sensitive_attributes`), with why.
    pub sensitive: Vec<(Vec<PathSeg>, String)>,
    /// Attributes deliberately not compared, with why (documentation; never read).
    pub ignore: Vec<(String, String)>,
    /// Live resources of the kind that no state declares are reported under this type.
    pub unmanaged: bool,
    /// Live resources AWS creates itself (default VPC…), never reported as unmanaged.
    pub defaults: Vec<DefaultMatch>,
    /// Drift of this resource counts as drift of another live resource when policies are run
    /// (a rule resource and its security group): kind and the state attribute with its key.
    pub part_of: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    /// A list in the parent body whose item `live` equals state attribute `attr`.
    List {
        list: Vec<PathSeg>,
        attr: String,
        live: String,
        norm: Norm,
    },
    /// `aws_security_group_rule`: its atomic rules must all be in the group's permissions
    /// (`IpPermissions` for `type = ingress`, `IpPermissionsEgress` for egress).
    SecurityGroupRule,
    /// `aws_iam_policy_attachment` (exclusive): `roles`, `users` and `groups` are every
    /// entity whose `AttachedManagedPolicies` hold the policy.
    PolicyAttachment,
}

/// One compared attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Compare {
    /// State attribute path (`versioning_configuration[0].status`).
    pub attr: Vec<PathSeg>,
    /// Path in the live body (or in the member item): `Versioning.Status`, `A[*].B`.
    pub live: Vec<PathSeg>,
    pub norm: Norm,
    /// Not compared when the states hold a resource of one of these types for the same
    /// live resource (an inline block that a split resource manages).
    pub unless: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DefaultMatch {
    pub live: Vec<PathSeg>,
    pub test: DefaultTest,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefaultTest {
    Equals(serde_json::Value),
    Prefix(String),
    /// Some item of the list at `live` has member `field` equal to `value`.
    Any {
        field: String,
        value: serde_json::Value,
    },
    /// The value is the id of a default VPC of the same account.
    InDefaultVpc,
}

// --- the YAML ------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    types: Vec<TypeDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeDoc {
    #[serde(rename = "type")]
    ty: String,
    kind: String,
    key: OneOrMany,
    #[serde(default)]
    member: Option<MemberDoc>,
    #[serde(default)]
    compare: Vec<CompareDoc>,
    #[serde(default)]
    sensitive: Vec<SensitiveDoc>,
    #[serde(default)]
    ignore: Vec<IgnoreDoc>,
    #[serde(default)]
    unmanaged: bool,
    #[serde(default)]
    defaults: Vec<DefaultDoc>,
    #[serde(default)]
    part_of: Option<PartOfDoc>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberDoc {
    #[serde(default)]
    list: Option<String>,
    #[serde(default)]
    attr: Option<String>,
    #[serde(default)]
    live: Option<String>,
    #[serde(default, rename = "as")]
    norm: Option<String>,
    #[serde(default)]
    special: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareDoc {
    attr: String,
    live: String,
    #[serde(default, rename = "as")]
    norm: Option<String>,
    #[serde(default)]
    unless: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SensitiveDoc {
    attr: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreDoc {
    attr: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultDoc {
    live: String,
    #[serde(default)]
    equals: Option<serde_json::Value>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    any: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    in_default_vpc: bool,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartOfDoc {
    kind: String,
    attr: String,
}

fn norm_of(name: Option<&str>, origin: &str, ty: &str) -> Result<Norm, String> {
    match name {
        None => Ok(Norm::Scalar),
        Some(n) => Norm::parse(n).ok_or_else(|| {
            format!(
                "{origin}: type {ty}: unknown normaliser `{n}`; use one of: {}",
                Norm::NAMES.join(", ")
            )
        }),
    }
}

impl AwsRules {
    /// The rules compiled into the binary.
    pub fn builtin() -> AwsRules {
        let mut rules = AwsRules::default();
        for (origin, text) in BUILTIN {
            // The built-in files are tested to parse (`builtin_rules_parse`).
            if let Ok(r) = rules.clone().with_yaml(text, origin) {
                rules = r;
            }
        }
        rules
    }

    /// Adds (or replaces, per type) the rules of one YAML file.
    pub fn with_yaml(mut self, text: &str, origin: &str) -> Result<AwsRules, String> {
        let doc: FileDoc = serde_saphyr::from_str(text).map_err(|e| {
            let (line, msg) = crate::load::yaml_error(&e);
            match line {
                Some(l) => format!("{origin}:{l}: {msg}; see rules/README.md for the format"),
                None => format!("{origin}: {msg}; see rules/README.md for the format"),
            }
        })?;
        for t in doc.types {
            let rule = Self::type_rule(t, origin)?;
            if crate::live::aws::model::reader(&rule.kind).is_none() {
                return Err(format!(
                    "{origin}: type {}: no reader for kind `{}`; the kinds are: {}",
                    rule.ty,
                    rule.kind,
                    crate::live::aws::READERS
                        .iter()
                        .map(|r| r.kind)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            self.types.insert(rule.ty.clone(), rule);
        }
        Ok(self)
    }

    fn type_rule(t: TypeDoc, origin: &str) -> Result<TypeRule, String> {
        let ty = t.ty.clone();
        let member = match t.member {
            None => None,
            Some(m) => match (m.special.as_deref(), m.list, m.attr, m.live) {
                (Some("security_group_rule"), None, None, None) => Some(Member::SecurityGroupRule),
                (Some("policy_attachment"), None, None, None) => Some(Member::PolicyAttachment),
                (None, Some(list), Some(attr), Some(live)) => Some(Member::List {
                    list: parse_rendered_path(&list),
                    attr,
                    live,
                    norm: norm_of(m.norm.as_deref(), origin, &ty)?,
                }),
                _ => {
                    return Err(format!(
                        "{origin}: type {ty}: `member` takes `list`, `attr` and `live` (and \
                         optionally `as`), or `special: security_group_rule` / `special: policy_attachment`"
                    ))
                }
            },
        };
        let compare = t
            .compare
            .into_iter()
            .map(|c| {
                Ok(Compare {
                    attr: parse_rendered_path(&c.attr),
                    live: parse_rendered_path(&c.live),
                    norm: norm_of(c.norm.as_deref(), origin, &ty)?,
                    unless: c.unless,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let defaults = t
            .defaults
            .into_iter()
            .map(|d| {
                let test = match (d.equals, d.prefix, d.any) {
                    (None, None, None) if d.in_default_vpc => DefaultTest::InDefaultVpc,
                    (Some(v), None, None) => DefaultTest::Equals(v),
                    (None, Some(p), None) => DefaultTest::Prefix(p),
                    (None, None, Some(m)) if m.len() == 1 => {
                        let (field, value) = m.into_iter().next().unwrap_or_default();
                        DefaultTest::Any { field, value }
                    }
                    _ => {
                        return Err(format!(
                            "{origin}: type {ty}: a `defaults` entry takes one of `equals`, \
                             `prefix`, `any: {{field: value}}` or `in_default_vpc: true`"
                        ))
                    }
                };
                Ok(DefaultMatch {
                    live: parse_rendered_path(&d.live),
                    test,
                    reason: d.reason,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let key = match t.key {
            OneOrMany::One(k) => vec![k],
            OneOrMany::Many(k) => k,
        };
        if key.is_empty() {
            return Err(format!("{origin}: type {ty}: `key` names no attribute"));
        }
        Ok(TypeRule {
            ty: t.ty,
            kind: t.kind,
            key,
            member,
            compare,
            sensitive: t
                .sensitive
                .iter()
                .map(|s| (parse_rendered_path(&s.attr), s.reason.clone()))
                .collect(),
            ignore: t.ignore.into_iter().map(|i| (i.attr, i.reason)).collect(),
            unmanaged: t.unmanaged,
            defaults,
            part_of: t.part_of.map(|p| (p.kind, p.attr)),
        })
    }

    pub fn get(&self, ty: &str) -> Option<&TypeRule> {
        self.types.get(ty)
    }

    pub fn types(&self) -> impl Iterator<Item = &TypeRule> {
        self.types.values()
    }

    /// The type live resources of `kind` are reported under when unmanaged.
    pub fn unmanaged_type(&self, kind: &str) -> Option<&TypeRule> {
        self.types.values().find(|t| t.kind == kind && t.unmanaged)
    }
}

impl TypeRule {
    /// Whether a state path is secret by this rule.
    pub fn is_sensitive(&self, path: &[PathSeg]) -> bool {
        self.sensitive.iter().any(|(s, _)| path.starts_with(s))
    }

    /// Whether a live resource is one AWS created itself (`default_vpcs`: the ids of the
    /// account's default VPCs).
    pub fn is_default(
        &self,
        body: &serde_json::Value,
        default_vpcs: &std::collections::BTreeSet<String>,
    ) -> bool {
        self.defaults.iter().any(|d| {
            let v = crate::drift::secret::lookup(body, &d.live);
            match (&d.test, v) {
                (DefaultTest::InDefaultVpc, Some(serde_json::Value::String(s))) => {
                    default_vpcs.contains(s)
                }
                (DefaultTest::Equals(e), Some(v)) => v == e,
                (DefaultTest::Prefix(p), Some(serde_json::Value::String(s))) => s.starts_with(p),
                (DefaultTest::Any { field, value }, Some(serde_json::Value::Array(items))) => {
                    items.iter().any(|i| i.get(field) == Some(value))
                }
                _ => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type issue 6 names.
    const REQUIRED: &[&str] = &[
        "aws_s3_bucket",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_ownership_controls",
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc",
        "aws_subnet",
        "aws_route_table",
        "aws_internet_gateway",
        "aws_instance",
        "aws_ebs_volume",
        "aws_iam_role",
        "aws_iam_policy",
        "aws_iam_user",
        "aws_iam_group",
        "aws_iam_role_policy_attachment",
        "aws_iam_user_policy_attachment",
        "aws_iam_group_policy_attachment",
        "aws_iam_policy_attachment",
        "aws_iam_role_policy",
        "aws_kms_key",
        "aws_db_instance",
        "aws_lambda_function",
    ];

    #[test]
    fn builtin_rules_parse_and_cover_every_required_type() {
        let mut rules = AwsRules::default();
        for (origin, text) in BUILTIN {
            rules = rules
                .with_yaml(text, origin)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        for ty in REQUIRED {
            let r = rules.get(ty).unwrap_or_else(|| panic!("no rule for {ty}"));
            assert!(
                !r.compare.is_empty() || r.member.is_some(),
                "{ty} compares nothing"
            );
        }
        assert_eq!(AwsRules::builtin().types().count(), rules.types().count());
        // Exactly one type reports each kind's unmanaged resources.
        for r in crate::live::aws::READERS {
            let n = rules
                .types()
                .filter(|t| t.kind == r.kind && t.unmanaged)
                .count();
            assert!(n <= 1, "{} has {n} unmanaged types", r.kind);
        }
        assert_eq!(
            rules.unmanaged_type("s3:bucket").unwrap().ty,
            "aws_s3_bucket"
        );
        let lambda = rules.get("aws_lambda_function").unwrap();
        assert!(lambda.is_sensitive(&parse_rendered_path("environment[0].variables.TOKEN")));
    }

    /// The rules and the live readers meet only through `READERS[..].body`: every live member
    /// a rule reads must be one the registry says the body has.
    #[test]
    fn every_live_path_starts_with_a_member_the_reader_registry_describes() {
        let described = |kind: &str, member: &str| {
            let body = crate::live::aws::model::reader(kind).unwrap().body;
            body.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == member)
        };
        let first = |p: &[PathSeg]| match p.first() {
            Some(PathSeg::Key(k)) => k.clone(),
            other => panic!("a live path starts with a member, not {other:?}"),
        };
        for t in AwsRules::builtin().types() {
            let mut members: Vec<String> = t.defaults.iter().map(|d| first(&d.live)).collect();
            match &t.member {
                Some(Member::List { list, .. }) => members.push(first(list)),
                _ => members.extend(t.compare.iter().map(|c| first(&c.live))),
            }
            for m in members {
                assert!(
                    described(&t.kind, &m),
                    "{}: {} has no member {m}",
                    t.ty,
                    t.kind
                );
            }
        }
    }

    #[test]
    fn errors_name_the_file_and_what_to_write() {
        let e = AwsRules::default()
            .with_yaml(
                "types:\n  - type: x\n    kind: s3:nope\n    key: id\n",
                "my.yaml",
            )
            .unwrap_err();
        assert!(e.contains("my.yaml") && e.contains("s3:bucket"), "{e}");
        let e = AwsRules::default()
            .with_yaml(
                "types:\n  - type: x\n    kind: s3:bucket\n    key: id\n    compare:\n      - {attr: a, live: B, as: fuzzy}\n",
                "my.yaml",
            )
            .unwrap_err();
        assert!(e.contains("fuzzy") && e.contains("iam_policy"), "{e}");
        let e = AwsRules::default()
            .with_yaml("types:\n  - type: x\n    kidn: s3:bucket\n", "my.yaml")
            .unwrap_err();
        assert!(e.starts_with("my.yaml"), "{e}");
    }

    #[test]
    fn defaults_are_recognised() {
        let rules = AwsRules::builtin();
        let vpc = rules.get("aws_vpc").unwrap();
        let none = std::collections::BTreeSet::new();
        assert!(vpc.is_default(&serde_json::json!({"IsDefault": true}), &none));
        assert!(!vpc.is_default(&serde_json::json!({"IsDefault": false}), &none));
        let role = rules.get("aws_iam_role").unwrap();
        assert!(role.is_default(&serde_json::json!({"Path": "/aws-service-role/x/"}), &none));
        let rt = rules.get("aws_route_table").unwrap();
        assert!(rt.is_default(
            &serde_json::json!({"Associations": [{"Main": true}]}),
            &none
        ));
        let igw = rules.get("aws_internet_gateway").unwrap();
        let body = serde_json::json!({"Attachments": [{"VpcId": "vpc-d"}]});
        assert!(!igw.is_default(&body, &none));
        assert!(igw.is_default(&body, &["vpc-d".to_string()].into()));
    }
}
