//! AWS drift: what Terraform states record against what AWS holds, read-only.
//!
//! The declared side is Terraform state v4 ([`crate::load::terraform::state`]), each resource
//! instance mapped back to its `resource` block in the `.tf` files of the scanned revision
//! ([`hcl`]). The live side is an [`AwsAccount`] per set of credentials, in the API's own
//! shape (`live::aws::model`). Per Terraform type, [`rules`] (data in `rules/aws/*.yaml`) say
//! which live resource and which members to compare, through which [`normalise`]r. Anything
//! not read completely is not compared and becomes an error notification (`aws-not-read`),
//! never a silent "no drift".

mod compare;
mod declared;
mod escalate;
pub mod findings;
mod hcl;
mod index;
pub mod normalise;
mod notes;
mod place;
pub mod rules;
mod unmanaged;

use crate::drift::check::Outcome;
use crate::drift::HashKey;
use crate::live::aws::model::{reader, AwsAccount, AwsRequest, READ_BY_MEMBER};
use crate::live::aws::ReadPlan;
use crate::load::terraform::state::{StateFile, StateResource};
use crate::load::{Document, Files};
use crate::model::{Notification, PathSeg};
use crate::policy::PolicySet;
pub use rules::{AwsRules, Member, TypeRule};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// One entry of the unmanaged ignore list (`.plumbline.yaml`, `aws.unmanaged.ignore`): every
/// field given must match; `id` and `arn` take `*` and `?` wildcards; `tag` is `key=value`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    #[serde(default, rename = "type")]
    pub ty: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Why the resource is not managed by Terraform (required: shown in the scan's notes).
    pub reason: String,
}

/// `--aws-unmanaged`: which live resources that no state holds are reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsUnmanaged {
    /// Terraform types to look at (`--aws-unmanaged-type`); empty: the types the states hold.
    pub types: Vec<String>,
    /// `--aws-unmanaged-tag k=v`: every tag must match.
    pub tags: Vec<(String, String)>,
    pub ignore: Vec<IgnoreEntry>,
}

/// Everything the AWS drift check needs besides the scanned files.
pub struct AwsDriftOptions {
    pub states: Vec<StateFile>,
    /// Accounts read beforehand (a snapshot, tests).
    pub accounts: Vec<AwsAccount>,
    /// What to read from AWS (the states say which kinds, regions and resources): the scan
    /// starts the reading (`live::aws::start`) and gives the drift check what it read.
    pub read: Option<ReadPlan>,
    pub rules: AwsRules,
    /// The key live secret values were hashed with (Lambda environment values); declared
    /// secret values are hashed with it too before they are compared.
    pub key: HashKey,
    pub unmanaged: Option<AwsUnmanaged>,
    /// Problems met before the check (a state that could not be read or parsed), reported
    /// with its outcome.
    pub notifications: Vec<Notification>,
}

impl std::fmt::Debug for AwsDriftOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key, never attribute values.
        f.debug_struct("AwsDriftOptions")
            .field(
                "states",
                &self.states.iter().map(|s| &s.origin).collect::<Vec<_>>(),
            )
            .field(
                "accounts",
                &self.accounts.iter().map(|a| &a.name).collect::<Vec<_>>(),
            )
            .field("unmanaged", &self.unmanaged)
            .finish_non_exhaustive()
    }
}

/// The live key of a state resource: the first non-empty attribute the rule names.
fn live_key(r: &StateResource, rule: &TypeRule) -> Option<String> {
    rule.key.iter().find_map(|k| r.attr_str(k))
}

fn is_global(kind: &str) -> bool {
    reader(kind).is_some_and(|r| r.global)
}

/// The kinds a type's resources need read: its own, plus (exclusive policy attachments) the
/// roles, users and groups the attachment is checked against.
fn kinds_of(rule: &TypeRule) -> Vec<&str> {
    match rule.member {
        Some(Member::PolicyAttachment) => vec!["iam:role", "iam:user", "iam:group"],
        _ => vec![rule.kind.as_str()],
    }
}

/// What to read for `states` (and, with `unmanaged`, every resource of the watched kinds).
pub fn requests(
    states: &[StateFile],
    rules: &AwsRules,
    unmanaged: Option<&AwsUnmanaged>,
) -> Vec<AwsRequest> {
    let mut out: BTreeMap<String, AwsRequest> = BTreeMap::new();
    let mut any_region: BTreeSet<String> = BTreeSet::new();
    let mut declared_types: BTreeSet<&str> = BTreeSet::new();
    for r in states.iter().flat_map(|s| &s.resources) {
        let Some(rule) = rules.get(&r.ty) else {
            continue;
        };
        declared_types.insert(rule.ty.as_str());
        for kind in kinds_of(rule) {
            let req = out
                .entry(kind.to_string())
                .or_insert_with(|| new_request(kind));
            if kind == rule.kind {
                if let Some(k) = live_key(r, rule) {
                    req.ids.insert(k);
                }
                wanted_members(req, r, rule);
            }
            if !is_global(kind) {
                match &r.region {
                    Some(region) => {
                        req.regions.insert(region.clone());
                    }
                    None => {
                        any_region.insert(kind.to_string());
                    }
                }
            }
        }
    }
    if let Some(u) = unmanaged {
        let types: Vec<&str> = if u.types.is_empty() {
            declared_types.into_iter().collect()
        } else {
            u.types.iter().map(String::as_str).collect()
        };
        for ty in types {
            let Some(rule) = rules.get(ty) else {
                continue;
            };
            let Some(t) = rules.unmanaged_type(&rule.kind) else {
                continue;
            };
            let mut kinds = vec![t.kind.clone()];
            if t.defaults
                .iter()
                .any(|d| d.test == rules::DefaultTest::InDefaultVpc)
            {
                // Telling the default VPC's gateway apart needs the VPCs.
                kinds.push("ec2:vpc".to_string());
            }
            for (i, kind) in kinds.into_iter().enumerate() {
                let req = out
                    .entry(kind.clone())
                    .or_insert_with(|| new_request(&kind));
                req.all |= i == 0;
                // Unmanaged resources: their existence, and their tags for the filters.
                if let Some(m) = req.members.as_mut() {
                    m.insert("Tags".to_string());
                }
                // Every configured region: unmanaged resources may be anywhere.
                any_region.insert(kind);
            }
        }
    }
    for kind in any_region {
        if let Some(r) = out.get_mut(&kind) {
            r.regions.clear();
        }
    }
    out.into_values().collect()
}

/// A request for `kind`: the [`READ_BY_MEMBER`] kinds (S3 buckets) start with no member to
/// read (`wanted_members` adds what the states compare); others read their whole bodies.
fn new_request(kind: &str) -> AwsRequest {
    AwsRequest {
        kind: kind.to_string(),
        members: READ_BY_MEMBER.contains(&kind).then(BTreeSet::new),
        ..AwsRequest::default()
    }
}

/// Adds to `req.members` the live body members `rule` compares for state resource `r`:
/// those of the compared attributes the state holds (an attribute the provider did not write
/// is not compared, so its member is not read). The S3 reader reads only these settings of a
/// bucket; a rule that matches members of a list in its body needs the whole body.
fn wanted_members(req: &mut AwsRequest, r: &StateResource, rule: &TypeRule) {
    if rule.member.is_some() {
        req.members = None;
        return;
    }
    let mut wanted = BTreeSet::new();
    for c in &rule.compare {
        if let (Some(PathSeg::Key(top)), Some(PathSeg::Key(live))) =
            (c.attr.first(), c.live.first())
        {
            if r.attributes.get(top.as_str()).is_some() {
                wanted.insert(live.clone());
            }
        }
    }
    if let Some(m) = req.members.as_mut() {
        m.extend(wanted);
    }
}

/// Compares every state of `opts` with the accounts: those of `opts.accounts`, then those
/// `read` (what the scan read from AWS for `opts.read`). `documents` are the scan's loaded
/// documents; the `.tf` side of each state is evaluated from `files` (its root module is
/// found among them). `policies`, when given, are run on the declared and the live form of
/// each drifted resource: a policy only the live form violates raises its drift findings to
/// that policy's severity.
pub fn check(
    _documents: &[Document],
    files: &dyn Files,
    opts: &AwsDriftOptions,
    read: &[AwsAccount],
    policies: Option<&PolicySet>,
) -> Outcome {
    let accounts = all_accounts(opts, read);
    let accounts: &[AwsAccount] = &accounts;
    let mut out = Outcome::default();
    out.notifications.extend(opts.notifications.iter().cloned());
    for a in accounts {
        out.notifications.extend(a.notifications.iter().cloned());
    }
    let indexes: Vec<index::Index> = accounts.iter().map(index::Index::new).collect();
    let (decls, skipped) = declared::collect(opts, accounts, &indexes);
    let ids = declared::Identities::of(&decls);
    let mut places = place::Places::new(files, &opts.states);
    let mut unread = compare::Unread::default();
    let mut checked: Vec<compare::Checked> = decls
        .iter()
        .enumerate()
        .filter_map(|(di, d)| {
            compare::compare_declared(di, d, &indexes, &ids, &opts.key, &mut places, &mut unread)
        })
        .collect();
    if let Some(p) = policies {
        escalate::escalate(&mut checked, &decls, &opts.key, p);
    }
    for c in checked {
        out.findings.extend(c.findings);
    }
    if let Some(u) = &opts.unmanaged {
        unmanaged::unmanaged(
            u,
            &opts.rules,
            &indexes,
            &ids.declared,
            &decls,
            &mut out,
            &mut unread.scopes,
        );
    }
    out.notifications.extend(
        notes::not_read(unread.scopes, accounts)
            .into_iter()
            .chain(notes::skipped(&skipped))
            .chain(notes::unmapped(&places.unmapped, files))
            .chain(notes::settings_unread(unread.settings)),
    );
    out.rules = rules_run(opts);
    out.files = places.files_out.into_values().collect();
    out
}

/// The drift rules a check runs, for the report's rule list.
fn rules_run(opts: &AwsDriftOptions) -> Vec<crate::model::RuleMeta> {
    [findings::MISSING, findings::CHANGED]
        .into_iter()
        .chain(opts.unmanaged.is_some().then_some(findings::UNMANAGED))
        .filter_map(findings::rule_meta)
        .collect()
}

/// The accounts read beforehand, then those read now.
fn all_accounts<'a>(opts: &'a AwsDriftOptions, read: &'a [AwsAccount]) -> Cow<'a, [AwsAccount]> {
    if read.is_empty() {
        Cow::Borrowed(&opts.accounts)
    } else if opts.accounts.is_empty() {
        Cow::Borrowed(read)
    } else {
        Cow::Owned([opts.accounts.as_slice(), read].concat())
    }
}

#[cfg(test)]
mod tests {
    use super::escalate::{redact, set_path};
    use super::*;
    use crate::load::terraform::state::parse_state;

    #[test]
    fn live_paths_project_and_set_paths_write() {
        let body =
            serde_json::json!({"SecurityGroups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}]});
        let p = crate::model::parse_rendered_path("SecurityGroups[*].GroupId");
        assert_eq!(
            compare::lookup_live(&body, &p),
            Some(serde_json::json!(["sg-1", "sg-2"]))
        );
        let mut a = serde_json::json!({"versioning_configuration": [{"status": "Enabled"}]});
        set_path(
            &mut a,
            &crate::model::parse_rendered_path("versioning_configuration[0].status"),
            "Suspended".into(),
        );
        assert_eq!(a["versioning_configuration"][0]["status"], "Suspended");
        let key = HashKey::random();
        let r = redact(
            &serde_json::json!({"password": "pw", "x": 1}),
            &[vec![PathSeg::Key("password".into())]],
            &key,
        );
        assert_eq!(r["password"], key.hash(b"pw"));
        assert_eq!(r["x"], 1);
    }

    #[test]
    fn requests_name_kinds_ids_and_regions() {
        let s = parse_state(
            br#"{"version":4,"resources":[
              {"mode":"managed","type":"aws_instance","name":"a","provider":"p","instances":[{"attributes":{"id":"i-1","arn":"arn:aws:ec2:eu-west-1:1:instance/i-1"}}]},
              {"mode":"managed","type":"aws_s3_bucket_versioning","name":"v","provider":"p","instances":[{"attributes":{"id":"b","bucket":"b"}}]},
              {"mode":"managed","type":"aws_iam_access_key","name":"k","provider":"p","instances":[{"attributes":{"id":"AK","secret":"s"}}]}
            ]}"#,
            "s.tfstate",
        )
        .unwrap();
        let rules = AwsRules::builtin();
        let r = requests(std::slice::from_ref(&s), &rules, None);
        let kinds: Vec<&str> = r.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["ec2:instance", "s3:bucket"]);
        assert_eq!(r[0].regions, ["eu-west-1".to_string()].into());
        assert_eq!(r[1].ids, ["b".to_string()].into());
        assert!(!r[1].all);
        let u = AwsUnmanaged::default();
        let r = requests(&[s], &rules, Some(&u));
        assert!(r.iter().all(|r| r.all && r.regions.is_empty()), "{r:?}");
    }

    #[test]
    fn buckets_are_read_for_the_settings_the_states_compare() {
        let s = parse_state(
            br#"{"version":4,"resources":[
              {"mode":"managed","type":"aws_s3_bucket","name":"a","provider":"p","instances":[{"attributes":{"id":"a","bucket":"a","tags":{"t":"1"}}}]},
              {"mode":"managed","type":"aws_s3_bucket","name":"b","provider":"p","instances":[{"attributes":{"id":"b","bucket":"b","tags":{},"policy":""}}]},
              {"mode":"managed","type":"aws_s3_bucket_versioning","name":"v","provider":"p","instances":[{"attributes":{"id":"a","bucket":"a","versioning_configuration":[{"status":"Enabled"}]}}]},
              {"mode":"managed","type":"aws_iam_role","name":"r","provider":"p","instances":[{"attributes":{"id":"r","name":"r","path":"/"}}]}
            ]}"#,
            "s.tfstate",
        )
        .unwrap();
        let rules = AwsRules::builtin();
        let r = requests(std::slice::from_ref(&s), &rules, None);
        let bucket = r.iter().find(|r| r.kind == "s3:bucket").unwrap();
        let members = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
        // Tags (both buckets), Policy (b writes it), Versioning (the split resource); not
        // encryption, logging, lifecycle or ownership, which no state holds.
        assert_eq!(bucket.members, members(&["Policy", "Tags", "Versioning"]));
        // Other kinds read whole bodies.
        let role = r.iter().find(|r| r.kind == "iam:role").unwrap();
        assert_eq!(role.members, None);

        // A state with only a bucket's name: nothing but its existence; unmanaged buckets
        // need their tags for the tag filter.
        let bare = parse_state(
            br#"{"version":4,"resources":[
              {"mode":"managed","type":"aws_s3_bucket","name":"a","provider":"p","instances":[{"attributes":{"id":"a","bucket":"a"}}]}
            ]}"#,
            "bare.tfstate",
        )
        .unwrap();
        let r = requests(std::slice::from_ref(&bare), &rules, None);
        assert_eq!(r[0].members, members(&[]));
        let r = requests(&[bare], &rules, Some(&AwsUnmanaged::default()));
        assert_eq!(r[0].members, members(&["Tags"]));
    }
}

#[cfg(test)]
mod rule_resources {
    use super::*;
    use crate::live::aws::model::{AwsScope, LiveResource};
    use crate::load::terraform::state::parse_state;
    use serde_json::json;
    use serde_json::Value as J;

    const STATE: &str = r#"{"version":4,"resources":[
      {"mode":"managed","type":"aws_security_group","name":"db","provider":"p","instances":[{"attributes":{
        "id":"sg-db","arn":"arn:aws:ec2:eu-west-1:111111111111:security-group/sg-db","name":"db","description":"d","vpc_id":"vpc-1",
        "ingress":[{"cidr_blocks":["10.0.0.0/8"],"description":"","from_port":5432,"to_port":5432,"protocol":"tcp","ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":[],"self":false},
                   {"cidr_blocks":[],"description":"","from_port":5432,"to_port":5432,"protocol":"tcp","ipv6_cidr_blocks":[],"prefix_list_ids":[],"security_groups":["sg-app"],"self":false}],
        "egress":[],"tags":{}}}]},
      {"mode":"managed","type":"aws_security_group_rule","name":"app","provider":"p","instances":[{"attributes":{
        "id":"sgrule-1","type":"ingress","security_group_id":"sg-db","from_port":5432,"to_port":5432,"protocol":"tcp",
        "source_security_group_id":"sg-app","cidr_blocks":null,"self":false}}]},
      {"mode":"managed","type":"aws_vpc_security_group_ingress_rule","name":"office","provider":"p","instances":[{"attributes":{
        "id":"sgr-1","security_group_rule_id":"sgr-1","arn":"arn:aws:ec2:eu-west-1:111111111111:security-group-rule/sgr-1",
        "security_group_id":"sg-db","ip_protocol":"tcp","from_port":5432,"to_port":5432,"cidr_ipv4":"192.0.2.0/24","tags":null}}]},
      {"mode":"managed","type":"aws_iam_policy_attachment","name":"ro","provider":"p","instances":[{"attributes":{
        "id":"ro","name":"ro","policy_arn":"arn:aws:iam::aws:policy/ReadOnlyAccess","roles":["a"],"users":[],"groups":[]}}]}
    ]}"#;

    fn account(db_perms: J, roles: &[(&str, bool)]) -> AwsAccount {
        let mut resources = vec![
            LiveResource {
                kind: "ec2:security-group".into(),
                id: "sg-db".into(),
                arn: None,
                region: "eu-west-1".into(),
                body: json!({"GroupId": "sg-db", "GroupName": "db", "Description": "d", "VpcId": "vpc-1",
                             "IpPermissions": db_perms, "IpPermissionsEgress": [], "Tags": []}),
            },
            LiveResource {
                kind: "ec2:security-group-rule".into(),
                id: "sgr-1".into(),
                arn: None,
                region: "eu-west-1".into(),
                body: json!({"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-db", "IsEgress": false,
                             "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIpv4": "192.0.2.0/24", "Tags": []}),
            },
        ];
        for (name, attached) in roles {
            let policies = if *attached {
                json!([{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])
            } else {
                json!([])
            };
            resources.push(LiveResource {
                kind: "iam:role".into(),
                id: name.to_string(),
                arn: None,
                region: "global".into(),
                body: json!({"RoleName": name, "Path": "/", "AttachedManagedPolicies": policies}),
            });
        }
        let scope = |k: &str, r: &str| AwsScope {
            kind: k.into(),
            region: r.into(),
        };
        AwsAccount {
            name: "test".into(),
            account_id: "111111111111".into(),
            regions: vec!["eu-west-1".into()],
            complete: vec![
                scope("ec2:security-group", "eu-west-1"),
                scope("ec2:security-group-rule", "eu-west-1"),
                scope("iam:role", "global"),
                scope("iam:user", "global"),
                scope("iam:group", "global"),
            ],
            resources,
            ..AwsAccount::default()
        }
    }

    fn run(a: AwsAccount) -> Outcome {
        let opts = AwsDriftOptions {
            states: vec![parse_state(STATE.as_bytes(), "s.tfstate").unwrap()],
            accounts: vec![a],
            read: None,
            rules: AwsRules::builtin(),
            key: HashKey::random(),
            unmanaged: None,
            notifications: Vec::new(),
        };
        check(&[], &crate::load::MemFiles::default(), &opts, &[], None)
    }

    fn perm(source: J) -> J {
        let mut p = json!({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432});
        p.as_object_mut()
            .unwrap()
            .extend(source.as_object().unwrap().clone());
        p
    }

    #[test]
    fn rule_resources_count_for_their_group_and_are_missing_alone() {
        let all = json!([
            perm(json!({"IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.0.2.0/24"}]})),
            perm(json!({"UserIdGroupPairs": [{"GroupId": "sg-app", "UserId": "111111111111"}]}))
        ]);
        let o = run(account(all, &[("a", true), ("b", false)]));
        assert!(o.findings.is_empty(), "{:#?}", o.findings);
        // The rule from sg-app revoked: the rule resource is missing; the group says nothing.
        let without = json!([perm(
            json!({"IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.0.2.0/24"}]})
        )]);
        let o = run(account(without, &[("a", true)]));
        assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
        let f = &o.findings[0];
        assert_eq!(f.rule_id, findings::MISSING);
        assert_eq!(
            f.subject.as_ref().unwrap().address,
            "aws_security_group_rule.app"
        );
        assert!(
            f.message.contains("tcp 5432-5432 sg sg-app"),
            "{}",
            f.message
        );
        // Findings with no .tf and no state file in the scan still say where they live.
        assert_eq!(f.file, "");
        assert!(o.notifications.iter().any(|n| n.code == "aws-not-mapped"));
    }

    #[test]
    fn an_exclusive_policy_attachment_sees_every_holder() {
        let all = json!([
            perm(json!({"IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.0.2.0/24"}]})),
            perm(json!({"UserIdGroupPairs": [{"GroupId": "sg-app"}]}))
        ]);
        let o = run(account(all, &[("a", true), ("b", true)]));
        assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
        assert!(
            o.findings[0].message.contains("roles: AWS has b"),
            "{}",
            o.findings[0].message
        );
    }
}
