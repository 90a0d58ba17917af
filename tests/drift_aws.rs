//! AWS drift: Terraform state v4 against canned live AWS accounts (fixtures/aws), and every
//! real state of the corpus.

use plumbline::load::terraform::state::parse_state;
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn state_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            state_files(&p, out);
        } else if p.to_string_lossy().contains(".tfstate") {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_state_parses_or_says_what_to_do() {
    let dir = shared().join("corpus/tfstate");
    assert!(
        dir.is_dir(),
        "{} is missing: the corpus is needed",
        dir.display()
    );
    let mut files = Vec::new();
    state_files(&dir, &mut files);
    files.sort();
    assert!(files.len() > 100, "only {} state files found", files.len());
    let (mut parsed, mut resources, mut sensitive_types) = (0, 0, 0);
    let mut errors = Vec::new();
    for f in &files {
        let origin = f.to_string_lossy().to_string();
        match parse_state(&std::fs::read(f).unwrap(), &origin) {
            Ok(s) => {
                parsed += 1;
                resources += s.resources.len();
                for r in &s.resources {
                    assert!(
                        r.address.ends_with(&r.name) || r.address.ends_with(']'),
                        "{}",
                        r.address
                    );
                    assert!(r.attributes.is_object());
                    if r.ty.starts_with("aws_")
                        && r.attributes.get("arn").is_some()
                        && r.ty != "aws_s3_bucket"
                    {
                        sensitive_types += usize::from(r.region.is_some());
                    }
                }
            }
            Err(e) => {
                // A clear error: it names the file and says what to do.
                assert!(e.starts_with(&origin), "{e}");
                assert!(e.contains("terraform state pull"), "{e}");
                errors.push(e);
            }
        }
    }
    assert!(
        parsed > 140,
        "only {parsed} of {} states parsed: {errors:#?}",
        files.len()
    );
    assert!(resources > 300, "{resources} resources");
    assert!(
        sensitive_types > 50,
        "regions found for only {sensitive_types} AWS resources"
    );
}

// --- the five drift scenarios against canned live accounts -----------------------------------

use plumbline::drift::aws::{self, AwsDriftOptions, AwsRules, AwsUnmanaged, IgnoreEntry};
use plumbline::drift::check::Outcome;
use plumbline::drift::HashKey;
use plumbline::live::aws::model::{AwsAccount, AwsScope};
use plumbline::load::MemFiles;
use plumbline::model::{render_path, Finding, NoteLevel, Severity};
use serde_json::{json, Value as J};

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/aws/drift")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The key the fixture's live Lambda environment values were hashed with.
fn key() -> HashKey {
    HashKey::from_hex(&fixture("hash-key.txt")).unwrap()
}

fn files() -> MemFiles {
    MemFiles::new([
        ("infra/main.tf", fixture("main.tf")),
        ("infra/terraform.tfstate", fixture("terraform.tfstate")),
    ])
}

fn live() -> AwsAccount {
    serde_json::from_str(&fixture("live.json")).unwrap()
}

fn options(account: AwsAccount, unmanaged: Option<AwsUnmanaged>) -> AwsDriftOptions {
    let state = parse_state(
        fixture("terraform.tfstate").as_bytes(),
        "infra/terraform.tfstate",
    )
    .unwrap();
    AwsDriftOptions {
        states: vec![state],
        accounts: vec![account],
        read: None,
        rules: AwsRules::builtin(),
        key: key(),
        unmanaged,
        notifications: Vec::new(),
    }
}

fn run(account: AwsAccount, unmanaged: Option<AwsUnmanaged>) -> Outcome {
    aws::check(&[], &files(), &options(account, unmanaged), &[], None)
}

fn run_with_policies(account: AwsAccount) -> Outcome {
    let policies = plumbline::policy::load(&plumbline::policy::Settings::default()).unwrap();
    aws::check(&[], &files(), &options(account, None), &[], Some(&policies))
}

fn body<'a>(a: &'a mut AwsAccount, kind: &str, id: &str) -> &'a mut J {
    &mut a
        .resources
        .iter_mut()
        .find(|r| r.kind == kind && r.id == id)
        .unwrap_or_else(|| panic!("{kind} {id} not in live.json"))
        .body
}

const SG: &str = "sg-0a1b2c3d4e5f60002";
const INSTANCE: &str = "i-0a1b2c3d4e5f60003";
const VPC: &str = "vpc-0a1b2c3d4e5f60001";

fn only(o: &Outcome) -> &Finding {
    assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
    &o.findings[0]
}

fn errors(o: &Outcome) -> Vec<&str> {
    o.notifications
        .iter()
        .filter(|n| n.level == NoteLevel::Error)
        .map(|n| n.message.as_str())
        .collect()
}

#[test]
fn zero_findings_when_aws_matches_the_state() {
    let o = run(live(), None);
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    assert!(errors(&o).is_empty(), "{:#?}", o.notifications);
    // The access key has no rule: counted, never shown.
    let note = o
        .notifications
        .iter()
        .find(|n| n.code == "aws-type-not-checked")
        .expect("a note on types not checked");
    assert!(
        note.message.contains("aws_iam_access_key (1)"),
        "{}",
        note.message
    );
    assert_eq!(
        o.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["PL-DRIFT-0101", "PL-DRIFT-0102"]
    );
    // Unmanaged on: the default VPC, default security groups and the service-linked role
    // are AWS's own, not reported.
    let o = run(live(), Some(AwsUnmanaged::default()));
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
}

#[test]
fn an_ingress_rule_added_to_a_security_group() {
    let mut a = live();
    body(&mut a, "ec2:security-group", SG)["IpPermissions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                     "PrefixListIds": [], "UserIdGroupPairs": []}));
    let o = run(a, None);
    let f = only(&o);
    assert_eq!(f.rule_id, "PL-DRIFT-0102");
    assert_eq!(render_path(&f.field_path), "attributes.ingress");
    assert_eq!(f.file, "infra/main.tf");
    assert_eq!(f.region.start.line, 18, "the ingress block");
    assert!(
        f.message
            .contains("AWS has tcp 22-22 cidr 0.0.0.0/0 that the state does not declare"),
        "{}",
        f.message
    );
    let subject = f.subject.as_ref().unwrap();
    assert_eq!(
        (
            subject.source.as_str(),
            subject.kind.as_str(),
            subject.address.as_str()
        ),
        (
            "terraform-state",
            "aws_security_group",
            "aws_security_group.web"
        )
    );
    assert_eq!(
        f.live.as_deref(),
        Some(format!("arn:aws:ec2:eu-west-1:123456789012:security-group/{SG}").as_str())
    );
    assert_eq!(f.severity, Severity::Medium);
}

#[test]
fn versioning_suspended() {
    let mut a = live();
    body(&mut a, "s3:bucket", "acme-prod-logs")["Versioning"] = json!({"Status": "Suspended"});
    let o = run(a, None);
    let f = only(&o);
    assert_eq!(f.rule_id, "PL-DRIFT-0102");
    assert_eq!(
        f.subject.as_ref().unwrap().address,
        "aws_s3_bucket_versioning.logs"
    );
    assert_eq!(
        render_path(&f.field_path),
        "attributes.versioning_configuration[0].status"
    );
    assert_eq!(f.region.start.line, 53, "status = \"Enabled\"");
    assert!(
        f.message
            .contains("declared \"Enabled\", live \"Suspended\""),
        "{}",
        f.message
    );
}

#[test]
fn a_tag_changed() {
    let mut a = live();
    body(&mut a, "ec2:vpc", VPC)["Tags"] =
        json!([{"Key": "Name", "Value": "main"}, {"Key": "Env", "Value": "dev"}]);
    let o = run(a, None);
    let f = only(&o);
    assert_eq!(f.subject.as_ref().unwrap().address, "aws_vpc.main");
    assert_eq!(render_path(&f.field_path), "attributes.tags");
    assert_eq!(f.region.start.line, 7, "tags = {{");
    assert!(
        f.message.contains(r#"live {"Env":"dev","Name":"main"}"#),
        "{}",
        f.message
    );
}

#[test]
fn an_instance_deleted() {
    let mut a = live();
    a.resources.retain(|r| r.id != INSTANCE);
    let o = run(a, None);
    let f = only(&o);
    assert_eq!(f.rule_id, "PL-DRIFT-0101");
    assert_eq!(f.subject.as_ref().unwrap().address, "aws_instance.web");
    assert_eq!(
        (f.file.as_str(), f.region.start.line),
        ("infra/main.tf", 34)
    );
    assert!(
        f.message
            .contains("does not exist in AWS account 123456789012"),
        "{}",
        f.message
    );
    assert!(f.field_path.is_empty());
}

#[test]
fn an_unmanaged_bucket_only_with_unmanaged_on() {
    let mut a = live();
    let mut extra = a
        .resources
        .iter()
        .find(|r| r.kind == "s3:bucket")
        .unwrap()
        .clone();
    extra.id = "shadow-it-exports".into();
    extra.arn = Some("arn:aws:s3:::shadow-it-exports".into());
    extra.body["Name"] = json!("shadow-it-exports");
    extra.body["Tags"] = json!([{"Key": "team", "Value": "data"}]);
    a.resources.push(extra);
    assert!(run(a.clone(), None).findings.is_empty());
    let o = run(a.clone(), Some(AwsUnmanaged::default()));
    let f = only(&o);
    assert_eq!(f.rule_id, "PL-DRIFT-0103");
    assert_eq!(f.file, "");
    assert_eq!(f.live.as_deref(), Some("arn:aws:s3:::shadow-it-exports"));
    assert!(o.rules.iter().any(|r| r.id == "PL-DRIFT-0103"));
    // Filtered by type and by tag.
    let only_vpcs = AwsUnmanaged {
        types: vec!["aws_vpc".into()],
        ..Default::default()
    };
    assert!(run(a.clone(), Some(only_vpcs)).findings.is_empty());
    let other_team = AwsUnmanaged {
        tags: vec![("team".into(), "web".into())],
        ..Default::default()
    };
    assert!(run(a.clone(), Some(other_team)).findings.is_empty());
    let data_team = AwsUnmanaged {
        tags: vec![("team".into(), "data".into())],
        ..Default::default()
    };
    assert_eq!(run(a.clone(), Some(data_team)).findings.len(), 1);
    // The ignore list: not reported, and the reason is said.
    let ignored = AwsUnmanaged {
        ignore: vec![IgnoreEntry {
            ty: Some("aws_s3_bucket".into()),
            id: Some("shadow-it-*".into()),
            reason: "exports owned by the data team's own Terraform".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let o = run(a, Some(ignored));
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    assert!(o
        .notifications
        .iter()
        .any(|n| n.code == "aws-unmanaged-ignored"
            && n.message.contains("data team's own Terraform")));
}

#[test]
fn an_incomplete_kind_is_a_notification_never_a_missing_finding() {
    let mut a = live();
    a.resources.retain(|r| r.id != INSTANCE);
    a.complete.retain(|s| s.kind != "ec2:instance");
    let o = run(a, None);
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    let e = errors(&o);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].contains("ec2:instance was not read completely in eu-west-1"),
        "{}",
        e[0]
    );
    assert!(e[0].contains("ec2:DescribeInstances"), "{}", e[0]);
    // Unmanaged resources of a kind not read completely: said too.
    let mut a = live();
    a.complete.retain(|s| {
        s != &AwsScope {
            kind: "s3:bucket".into(),
            region: "global".into(),
        }
    });
    let o = run(a, Some(AwsUnmanaged::default()));
    assert!(
        errors(&o).iter().any(|m| m.contains("s3:bucket")),
        "{:#?}",
        o.notifications
    );
}

#[test]
fn fingerprints_are_stable_across_moves_and_depend_on_the_attribute() {
    let mut a = live();
    body(&mut a, "ec2:vpc", VPC)["Tags"] = json!([]);
    body(&mut a, "ec2:vpc", VPC)["EnableDnsHostnames"] = json!(false);
    let o = run(a.clone(), None);
    assert_eq!(o.findings.len(), 2, "{:#?}", o.findings);
    assert_ne!(o.findings[0].fingerprint, o.findings[1].fingerprint);
    // The same drift with the resource moved down the file: same fingerprints.
    let moved = format!("\n\n# moved\n{}", fixture("main.tf"));
    let files = MemFiles::new([
        ("infra/main.tf", moved),
        ("infra/terraform.tfstate", fixture("terraform.tfstate")),
    ]);
    let o2 = aws::check(&[], &files, &options(a, None), &[], None);
    assert_eq!(
        o2.findings[0].region.start.line,
        o.findings[0].region.start.line + 3
    );
    let fp = |o: &Outcome| {
        o.findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(fp(&o), fp(&o2));
}

#[test]
fn security_relevant_drift_takes_the_severity_of_the_policy_the_live_resource_violates() {
    // A security group opened to the internet on SSH.
    let mut a = live();
    body(&mut a, "ec2:security-group", SG)["IpPermissions"]
        .as_array_mut()
        .unwrap()
        .push(json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}));
    let o = run_with_policies(a);
    let f = only(&o);
    assert_eq!(f.severity, Severity::High, "{}", f.message);
    assert!(
        f.message.contains("now violates PL-AWS-0009"),
        "{}",
        f.message
    );
    // Versioning suspended: the bucket's versioning policy, through its split resource.
    let mut a = live();
    body(&mut a, "s3:bucket", "acme-prod-logs")["Versioning"] = json!({"Status": "Suspended"});
    let f = run_with_policies(a).findings.remove(0);
    assert!(
        f.message.contains("now violates PL-AWS-0005"),
        "{}",
        f.message
    );
    // The public access block turned off.
    let mut a = live();
    body(&mut a, "s3:bucket", "acme-prod-logs")["PublicAccessBlockConfiguration"] = J::Null;
    let o = run_with_policies(a);
    assert_eq!(o.findings.len(), 4, "{:#?}", o.findings);
    for f in &o.findings {
        assert!(f.severity >= Severity::High, "{}", f.message);
        assert!(f.message.contains("now violates PL-AWS-"), "{}", f.message);
    }
    // A tag changed: not security relevant, severity unchanged.
    let mut a = live();
    body(&mut a, "ec2:vpc", VPC)["Tags"] = json!([]);
    let f = run_with_policies(a).findings.remove(0);
    assert_eq!(f.severity, Severity::Medium);
    assert!(!f.message.contains("violates"), "{}", f.message);
}

/// Every secret value the fixture's state holds.
const SECRETS: &[&str] = &[
    "s3cr3t-Db-Pa55-fixture",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "BNoSmTpFixture/Xx",
];

fn rendered(o: Outcome) -> Vec<(&'static str, String)> {
    let result = plumbline::findings::ScanResult {
        description: "fixtures/aws/drift".into(),
        commit: None,
        commit_time: None,
        shard: None,
        rules: o.rules,
        findings: o.findings,
        notifications: o.notifications,
        stats: Default::default(),
        sources: o.files.into_iter().map(|f| (f.path.clone(), f)).collect(),
    };
    vec![
        ("json", plumbline::report::json::render(&result, "aws")),
        ("sarif", plumbline::report::sarif::render(&result, "aws")),
        ("text", plumbline::report::text::render(&result, false)),
    ]
}

#[test]
fn no_secret_value_is_ever_printed() {
    // The Lambda's secret environment variable changed behind Terraform's back (the reader
    // hashed the new value), and the state holds an access key's secret (a type with no rule).
    let mut a = live();
    body(&mut a, "lambda:function", "api")["Environment"]["Variables"]["DB_PASSWORD"] =
        json!(key().hash(b"rotated-by-hand"));
    let policies = plumbline::policy::load(&plumbline::policy::Settings::default()).unwrap();
    let o = aws::check(
        &[],
        &files(),
        &options(a.clone(), None),
        &[],
        Some(&policies),
    );
    let f = only(&o);
    assert_eq!(
        f.subject.as_ref().unwrap().address,
        "aws_lambda_function.api"
    );
    assert_eq!(
        render_path(&f.field_path),
        "attributes.environment[0].variables"
    );
    assert!(
        f.message.contains("(sensitive value) differs"),
        "{}",
        f.message
    );
    assert_eq!(f.region.start.line, 89, "variables = {{");
    // Also when the findings can only point into the state file itself (no .tf scanned).
    let state_only = MemFiles::new([("infra/terraform.tfstate", fixture("terraform.tfstate"))]);
    let o2 = aws::check(&[], &state_only, &options(a, None), &[], Some(&policies));
    assert_eq!(o2.findings.len(), 1);
    assert_eq!(o2.findings[0].file, "infra/terraform.tfstate");
    assert!(o2.notifications.iter().any(|n| n.code == "aws-not-mapped"));
    for o in [o, o2] {
        for (format, text) in rendered(o) {
            assert!(
                text.contains("sensitive value"),
                "{format}: the finding is missing"
            );
            for s in SECRETS {
                assert!(!text.contains(s), "{format} output shows a secret: {text}");
            }
        }
    }
}

#[test]
fn a_widened_trust_policy_and_a_detached_policy() {
    let mut a = live();
    body(&mut a, "iam:role", "app")["AssumeRolePolicyDocument"] = json!(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#
    );
    let o = run_with_policies(a);
    let f = only(&o);
    assert_eq!(render_path(&f.field_path), "attributes.assume_role_policy");
    assert_eq!(f.region.start.line, 67, "assume_role_policy = jsonencode(");
    assert!(f.message.contains("now violates PL-AWS-"), "{}", f.message);
    assert!(f.severity >= Severity::High, "{}", f.message);
    // The same document, reordered and with single values as lists: no drift.
    let mut a = live();
    body(&mut a, "iam:role", "app")["AssumeRolePolicyDocument"] = json!(
        r#"{"Statement":[{"Action":["sts:AssumeRole"],"Principal":{"Service":["lambda.amazonaws.com"]},"Effect":"Allow"}],"Version":"2012-10-17"}"#
    );
    assert!(run(a, None).findings.is_empty());
    // The managed policy detached from the role: the attachment is missing.
    let mut a = live();
    body(&mut a, "iam:role", "app")["AttachedManagedPolicies"] = json!([]);
    let o = run(a, None);
    let f = only(&o);
    assert_eq!(f.rule_id, "PL-DRIFT-0101");
    assert_eq!(
        f.subject.as_ref().unwrap().address,
        "aws_iam_role_policy_attachment.app_logs"
    );
    assert!(
        f.message.contains("AttachedManagedPolicies"),
        "{}",
        f.message
    );
    assert_eq!(f.region.start.line, 77);
}

#[test]
fn a_region_not_read_says_which_flag_to_add() {
    let mut a = live();
    a.regions = vec!["us-east-1".into()];
    a.complete.retain(|s| s.region == "global");
    a.resources
        .retain(|r| r.region == "global" || r.kind == "s3:bucket");
    let o = run(a, None);
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    let e = errors(&o);
    assert!(
        e.iter().all(|m| m.contains("add --aws-region eu-west-1")),
        "{e:#?}"
    );
    assert!(e.iter().any(|m| m.contains("ec2:instance")), "{e:#?}");
}

#[test]
fn corpus_states_against_an_empty_account_give_only_missing_findings() {
    let dir = shared().join("corpus/tfstate/driftctl");
    assert!(
        dir.is_dir(),
        "{} is missing: the corpus is needed",
        dir.display()
    );
    let mut paths = Vec::new();
    state_files(&dir, &mut paths);
    paths.sort();
    let states: Vec<_> = paths
        .iter()
        .filter_map(|p| parse_state(&std::fs::read(p).unwrap(), &p.to_string_lossy()).ok())
        .collect();
    let rules = AwsRules::builtin();
    let mut regions: Vec<String> = states
        .iter()
        .flat_map(|s| &s.resources)
        .filter_map(|r| r.region.clone())
        .collect();
    regions.sort();
    regions.dedup();
    let complete: Vec<AwsScope> = plumbline::live::aws::READERS
        .iter()
        .flat_map(|r| {
            let scopes: Vec<String> = if r.global {
                vec!["global".into()]
            } else {
                regions.clone()
            };
            scopes.into_iter().map(move |region| AwsScope {
                kind: r.kind.into(),
                region,
            })
        })
        .collect();
    let checked: usize = states
        .iter()
        .flat_map(|s| &s.resources)
        .filter(|r| rules.get(&r.ty).is_some())
        .count();
    assert!(checked > 50, "only {checked} corpus resources have a rule");
    for state in states {
        let origin = state.origin.clone();
        let opts = AwsDriftOptions {
            states: vec![state],
            accounts: vec![AwsAccount {
                name: "empty".into(),
                account_id: "000000000000".into(),
                regions: regions.clone(),
                complete: complete.clone(),
                ..Default::default()
            }],
            read: None,
            rules: AwsRules::builtin(),
            key: HashKey::random(),
            unmanaged: Some(AwsUnmanaged::default()),
            notifications: Vec::new(),
        };
        let o = aws::check(&[], &MemFiles::default(), &opts, &[], None);
        for f in &o.findings {
            assert_eq!(f.rule_id, "PL-DRIFT-0101", "{origin}: {}", f.message);
            assert!(f.live.is_some() && f.subject.is_some(), "{origin}: {f:?}");
        }
    }
}
