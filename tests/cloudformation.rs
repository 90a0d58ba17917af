//! CloudFormation templates: resources in the shared AWS model, intrinsic functions, tags.

use plumbline::load::tree::Node;
use plumbline::load::{load_single, LoadOptions, Loaded, MemFiles};

fn load(path: &str) -> Loaded {
    let full = format!(
        "{}/fixtures/cloudformation/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&full).unwrap();
    load_single(
        &format!("fixtures/cloudformation/{path}"),
        &bytes,
        &LoadOptions::default(),
        &MemFiles::default(),
    )
}

fn doc<'a>(loaded: &'a Loaded, ty: &str, address: &str) -> &'a Node {
    &loaded
        .documents
        .iter()
        .find(|d| {
            d.subject
                .as_ref()
                .is_some_and(|s| s.kind == ty && s.address == address)
        })
        .unwrap_or_else(|| panic!("no {ty} {address}"))
        .node
}

fn at<'a>(node: &'a Node, path: &str) -> &'a Node {
    let mut here = node;
    for seg in path.split('.') {
        here = match seg.parse::<usize>() {
            Ok(i) => match &here.value {
                plumbline::load::tree::Value::Seq(items) => &items[i],
                _ => panic!("{path}: not a list at {seg}"),
            },
            Err(_) => here
                .get(seg)
                .unwrap_or_else(|| panic!("{path}: no {seg} in {}", here.to_json())),
        };
    }
    here
}

fn line(node: &Node) -> u32 {
    node.start.line
}

#[test]
fn short_tags_resolve_and_resources_map_to_terraform_shapes_with_positions() {
    let l = load("stack.yaml");
    let subjects: Vec<String> = l
        .documents
        .iter()
        .map(|d| {
            let s = d.subject.as_ref().unwrap();
            format!("{}:{}", s.kind, s.address)
        })
        .collect();
    // DevOnly is not created (IsDev is false with the defaults); the public access block is a
    // document of its own; the unmapped type keeps its CloudFormation name.
    assert_eq!(
        subjects,
        [
            "aws_s3_bucket:Logs",
            "aws_s3_bucket:Data",
            "aws_s3_bucket_public_access_block:Data",
            "aws_kms_key:Key",
            "aws_security_group:Web",
            "aws_db_instance:Db",
            "AWS::Foo::Bar:Custom",
        ]
    );
    let logs = doc(&l, "aws_s3_bucket", "Logs");
    assert_eq!(at(logs, "source").as_str(), Some("cloudformation"));
    assert_eq!(at(logs, "cfn_type").as_str(), Some("AWS::S3::Bucket"));
    assert_eq!(at(logs, "module").as_str(), Some(""));
    assert_eq!(line(logs), 24, "the document starts at the logical id");
    // !Sub with a pseudo parameter: unknown, naming it.
    assert_eq!(
        at(logs, "attributes.bucket").to_json(),
        serde_json::json!({"$unknown": "AWS::AccountId"})
    );
    assert_eq!(
        at(logs, "attributes.acl").as_str(),
        Some("log-delivery-write")
    );
    assert_eq!(
        at(logs, "attributes.versioning").to_json(),
        serde_json::json!([{"enabled": true}])
    );
    assert_eq!(line(at(logs, "attributes.versioning.0.enabled")), 30);

    let data = doc(&l, "aws_s3_bucket", "Data");
    assert_eq!(at(data, "attributes.bucket").as_str(), Some("prod-data"));
    assert_eq!(line(at(data, "attributes.bucket")), 34);
    assert_eq!(at(data, "attributes.acl").as_str(), Some("public-read"));
    assert_eq!(line(at(data, "attributes.acl")), 35);
    let sse = at(
        data,
        "attributes.server_side_encryption_configuration.0.rule.0.apply_server_side_encryption_by_default.0",
    );
    assert_eq!(
        at(sse, "sse_algorithm").as_str(),
        Some("aws:kms"),
        "!If on a known condition"
    );
    assert_eq!(line(at(sse, "sse_algorithm")), 39);
    assert_eq!(
        at(sse, "kms_master_key_id").to_json(),
        serde_json::json!({"$unknown": "Key.Arn"})
    );
    assert_eq!(
        at(data, "attributes.logging.0.target_bucket").to_json(),
        serde_json::json!({"$unknown": "Logs"})
    );
    assert_eq!(
        at(data, "attributes.logging.0.target_prefix").as_str(),
        Some("subnet-a/data/"),
        "!Sub with variables, !Select over a CommaDelimitedList default"
    );
    assert_eq!(at(data, "attributes.tags.team").as_str(), Some("data"));
    assert_eq!(
        at(data, "attributes.object_lock_configuration").to_json(),
        serde_json::json!({"$unknown": ""})
    );
    // The related resources: every other resource of the template, mapped.
    let related = l
        .documents
        .iter()
        .find(|d| std::ptr::eq(&d.node, data))
        .and_then(|d| d.related.as_ref())
        .unwrap()
        .to_json();
    let related = related.as_array().unwrap();
    assert_eq!(related.len(), 6);
    assert!(related
        .iter()
        .any(|r| r["type"] == "aws_s3_bucket_public_access_block" && r["address"] == "Data"));

    let pab = doc(&l, "aws_s3_bucket_public_access_block", "Data");
    assert_eq!(
        at(pab, "attributes.bucket").to_json(),
        serde_json::json!({"$unknown": "Data"})
    );
    assert_eq!(at(pab, "attributes.block_public_acls").to_json(), true);
    assert_eq!(at(pab, "attributes.block_public_policy").to_json(), false);
    assert_eq!(line(at(pab, "attributes.block_public_policy")), 48);

    let key = doc(&l, "aws_kms_key", "Key");
    assert_eq!(at(key, "attributes.enable_key_rotation").to_json(), false);
    let policy: serde_json::Value =
        serde_json::from_str(at(key, "attributes.policy").as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Action"], "kms:*");
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        serde_json::json!({"$unknown": "AWS::AccountId"})
    );

    let web = doc(&l, "aws_security_group", "Web");
    assert_eq!(
        at(web, "attributes.ingress").to_json(),
        serde_json::json!([
            {"cidr_blocks": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 22, "to_port": 22},
            {"ipv6_cidr_blocks": ["::/0"], "protocol": "-1"}
        ])
    );
    assert_eq!(line(at(web, "attributes.ingress.0.cidr_blocks.0")), 73);
    assert_eq!(at(web, "attributes.description").as_str(), Some("web"));
    assert_eq!(
        at(web, "attributes.vpc_id").to_json(),
        serde_json::json!({"$unknown": ""})
    );

    let db = doc(&l, "aws_db_instance", "Db");
    assert_eq!(
        at(db, "attributes.instance_class").as_str(),
        Some("db.m5.large")
    );
    assert_eq!(line(at(db, "attributes.instance_class")), 82);
    assert_eq!(
        at(db, "attributes.password").to_json(),
        serde_json::json!({"$unknown": "DbPassword"}),
        "a parameter without a default is unknown"
    );
    assert_eq!(at(db, "attributes.storage_encrypted").to_json(), false);
    assert_eq!(at(db, "attributes.publicly_accessible").to_json(), true);
    assert_eq!(at(db, "attributes.backup_retention_period").to_json(), 7);
    assert!(
        at(db, "attributes").get("db_subnet_group_name").is_none(),
        "AWS::NoValue removes the property"
    );

    let custom = doc(&l, "AWS::Foo::Bar", "Custom");
    assert_eq!(at(custom, "attributes.Anything").as_str(), Some("hello"));
}

#[test]
fn unknown_tags_are_reported_with_file_and_line() {
    let l = load("stack.yaml");
    let notes: Vec<_> = l
        .notifications
        .iter()
        .filter(|n| n.code == "cloudformation-unknown-tag")
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", l.notifications);
    let n = notes[0];
    assert_eq!(n.level, plumbline::model::NoteLevel::Warning);
    assert_eq!(
        n.file.as_deref(),
        Some("fixtures/cloudformation/stack.yaml")
    );
    assert_eq!(n.position.map(|p| p.line), Some(52));
    assert!(n.message.contains("!Vault"), "{}", n.message);
    assert!(n.message.contains("stack.yaml:52"), "{}", n.message);
}

fn shared() -> std::path::PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) && !p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("expected_result")
            && p.file_name().unwrap() != "metadata.json"
        {
            out.push(p);
        }
    }
}

/// Every CloudFormation case of the labeled corpus loads into resource documents, or is
/// reported with its file (some KICS negatives are deliberately malformed).
#[test]
fn labeled_cloudformation_cases_load_or_are_reported() {
    let labeled = shared().join("corpus/labeled");
    let mut files = Vec::new();
    walk(
        &labeled.join("kics/assets/queries/cloudFormation/aws"),
        &mut files,
    );
    let trivy = labeled.join("trivy-checks/extracted/checks/cloud/aws");
    for service in std::fs::read_dir(&trivy).unwrap().flatten() {
        for check in std::fs::read_dir(service.path()).unwrap().flatten() {
            let cfn = check.path().join("cloudformation");
            if cfn.is_dir() {
                walk(&cfn, &mut files);
            }
        }
    }
    assert!(files.len() > 500, "{}", files.len());
    let (mut templates, mut reported, mut resources) = (0, 0, 0);
    let mut other = Vec::new();
    for f in &files {
        let path = f.to_string_lossy().to_string();
        let l = load_single(
            &path,
            &std::fs::read(f).unwrap(),
            &LoadOptions::default(),
            &MemFiles::default(),
        );
        let subjects = l.documents.iter().filter(|d| d.subject.is_some()).count();
        if subjects > 0 {
            templates += 1;
            resources += subjects;
            for d in &l.documents {
                let s = d.subject.as_ref().unwrap();
                assert_eq!(s.source, "cloudformation");
                assert_eq!(
                    d.node.get("address").and_then(Node::as_str),
                    Some(s.address.as_str())
                );
                assert!(d.node.start.line >= 1, "{path}: {}", s.address);
            }
        } else if !l.notifications.is_empty() {
            reported += 1;
            for n in &l.notifications {
                assert_eq!(n.file.as_deref(), Some(path.as_str()), "{n:?}");
            }
        } else {
            other.push(path);
        }
    }
    // A file that is neither a template nor reported must not look like one.
    for p in &other {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        // KICS keeps some cases in its own `{"document": [template]}` payload: not a template.
        let kics_payload = text.trim_start().starts_with('{') && text.contains("\"document\"");
        assert!(
            kics_payload
                || (!text.contains("AWSTemplateFormatVersion")
                    && !text.contains("Type: AWS::")
                    && !text.contains("Type: \"Alexa::")),
            "{p} looks like a template but gave no resource and no notification"
        );
    }
    eprintln!(
        "{} files: {templates} templates ({resources} resources), {reported} reported, {} other",
        files.len(),
        other.len()
    );
    assert!(
        templates * 10 >= files.len() * 9,
        "{templates} of {}",
        files.len()
    );
}

#[test]
fn json_templates_use_long_form_functions() {
    let l = load("template.json");
    let trail = doc(&l, "aws_cloudtrail", "Trail");
    assert_eq!(at(trail, "attributes.enable_logging").to_json(), true);
    assert_eq!(
        at(trail, "attributes.is_multi_region_trail").to_json(),
        false
    );
    assert_eq!(line(at(trail, "attributes.is_multi_region_trail")), 13);
    assert_eq!(
        at(trail, "attributes.s3_bucket_name").as_str(),
        Some("trail-dev")
    );
    assert_eq!(
        at(trail, "attributes.kms_key_id").to_json(),
        serde_json::json!({"$unknown": "TrailKey.Arn"})
    );
    let eks = doc(&l, "aws_eks_cluster", "Cluster");
    assert_eq!(
        at(eks, "attributes.vpc_config").to_json(),
        serde_json::json!([{"endpoint_public_access": true, "subnet_ids": ["a"]}])
    );
    assert_eq!(
        at(eks, "attributes.enabled_cluster_log_types").to_json(),
        serde_json::json!(["api", "audit"])
    );
    let lb = doc(&l, "aws_lb", "Lb");
    assert_eq!(at(lb, "attributes.internal").to_json(), false);
    assert_eq!(
        at(lb, "attributes.drop_invalid_header_fields").to_json(),
        false
    );
    assert_eq!(line(at(lb, "attributes.drop_invalid_header_fields")), 30);
}

#[test]
fn sam_templates_load_without_a_format_version() {
    let l = load("sam.yaml");
    let f = doc(&l, "aws_lambda_function", "Fn");
    assert_eq!(
        at(f, "cfn_type").as_str(),
        Some("AWS::Serverless::Function")
    );
    assert_eq!(
        at(f, "attributes.tracing_config").to_json(),
        serde_json::json!([{"mode": "Active"}])
    );
    assert_eq!(
        at(f, "attributes.environment.0.variables.TABLE_NAME").to_json(),
        serde_json::json!({"$unknown": "Table"})
    );
    doc(&l, "AWS::Serverless::SimpleTable", "Table");
}

#[test]
fn entries_without_a_type_are_reported_and_plain_yaml_is_left_alone() {
    let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Version: \"2012-10-17\"\n";
    let l = load_single(
        "t.yaml",
        text.as_bytes(),
        &LoadOptions::default(),
        &MemFiles::default(),
    );
    assert_eq!(l.documents.len(), 1);
    assert_eq!(l.notifications.len(), 1);
    assert_eq!(l.notifications[0].position.map(|p| p.line), Some(4));
    assert!(l.notifications[0]
        .message
        .contains("Resources.Version has no Type"));
    // Not a template: untouched, and a stray tag is kept visible under its own name.
    let text = "key: !Secret value\nResources: {}\n";
    let l = load_single(
        "t.yaml",
        text.as_bytes(),
        &LoadOptions::default(),
        &MemFiles::default(),
    );
    assert_eq!(l.documents.len(), 1);
    assert!(l.documents[0].subject.is_none());
    assert_eq!(
        l.documents[0].node.to_json(),
        serde_json::json!({"key": {"!Secret": "value"}, "Resources": {}})
    );
}

#[test]
fn network_acl_entries_subnets_launch_configurations_and_repositories_map_to_terraform() {
    let l = load("network.yaml");
    let entry = doc(&l, "aws_network_acl_rule", "Ssh");
    // PortRange {From, To} becomes the rule's own from_port/to_port.
    assert_eq!(
        at(entry, "attributes.from_port").to_json(),
        serde_json::json!(22)
    );
    assert_eq!(
        at(entry, "attributes.to_port").to_json(),
        serde_json::json!(22)
    );
    assert_eq!(line(at(entry, "attributes.from_port")), 16);
    assert_eq!(at(entry, "attributes.protocol").as_str(), Some("6"));
    assert_eq!(at(entry, "attributes.rule_action").as_str(), Some("allow"));
    assert_eq!(
        at(entry, "attributes.cidr_block").as_str(),
        Some("0.0.0.0/0")
    );
    doc(&l, "aws_network_acl", "Acl");
    let subnet = doc(&l, "aws_subnet", "Public");
    assert_eq!(
        at(subnet, "attributes.map_public_ip_on_launch").to_json(),
        serde_json::json!(true)
    );
    let launch = doc(&l, "aws_launch_configuration", "Launch");
    assert_eq!(
        at(launch, "attributes.metadata_options.0.http_tokens").as_str(),
        Some("optional")
    );
    assert_eq!(
        at(launch, "attributes.ebs_block_device.0.encrypted").to_json(),
        serde_json::json!(false)
    );
    let repo = doc(&l, "aws_ecr_repository", "Repo");
    assert_eq!(
        at(
            repo,
            "attributes.image_scanning_configuration.0.scan_on_push"
        )
        .to_json(),
        serde_json::json!(true)
    );
}

#[test]
fn log_deliveries_map_and_a_sub_refers_to_its_resource_not_a_pseudo_parameter() {
    let l = load("logdelivery/template.yaml");
    let source = doc(&l, "aws_cloudwatch_log_delivery_source", "AccessLogSource");
    // `!Sub "arn:…::${AWS::AccountId}:distribution/${Logged}"` depends on the distribution;
    // the pseudo parameter before it names nothing of the template.
    let arn = at(source, "attributes.resource_arn").to_json();
    let reference = arn["$unknown"].as_str().unwrap_or_else(|| panic!("{arn}"));
    assert!(
        reference.contains("Logged"),
        "the ARN must refer to the distribution Logged: {arn}"
    );
    let delivery = doc(&l, "aws_cloudwatch_log_delivery", "AccessLogDelivery");
    assert!(
        at(delivery, "attributes.delivery_source_name")
            .to_json()
            .to_string()
            .contains("AccessLogSource"),
        "{}",
        delivery.to_json()
    );

    // End to end: only the distribution without a delivery of its access logs is reported.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["scan", "template.yaml", "--worktree", "-f", "json"])
        .args(["--fail-on", "never"])
        .current_dir(format!(
            "{}/fixtures/cloudformation/logdelivery",
            env!("CARGO_MANIFEST_DIR")
        ))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let logging: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-AWS-0067")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(logging, ["Distribution Unlogged does not log requests"]);
}

// ---------------------------------------------------------------- hostile templates

fn load_text(path: &str, text: &str) -> Loaded {
    load_single(
        path,
        text.as_bytes(),
        &LoadOptions::default(),
        &MemFiles::default(),
    )
}

fn notes_with<'a>(l: &'a Loaded, code: &str) -> Vec<&'a plumbline::model::Notification> {
    l.notifications.iter().filter(|n| n.code == code).collect()
}

/// Runs `f` on a thread with the stack a test thread has by default (2 MiB), so that a
/// recursion the budgets failed to stop overflows here rather than passing on a larger stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the loader must not overflow its stack")
}

#[test]
fn mappings_and_parameters_that_refer_to_themselves_become_unknown_with_an_error() {
    let text = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Loop:
    Type: String
    Default: !Ref Loop
  Env:
    Type: String
    Default: prod
Mappings:
  M:
    self:
      x: !FindInMap [M, self, x]
    ping:
      x: !FindInMap [M, pong, x]
    pong:
      x: !FindInMap [M, ping, x]
    keys:
      k: !FindInMap [M, !FindInMap [M, keys, k], !Ref Loop]
Resources:
  Selfish:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !FindInMap [M, self, x]
  Mutual:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !FindInMap [M, ping, x]
  ByKey:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !FindInMap [M, keys, k]
  ByParameter:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${Loop}-bucket'
  Fine:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${Env}-bucket'
";
    let l = on_small_stack(move || load_text("loops.yaml", text));
    for name in ["Selfish", "Mutual", "ByKey", "ByParameter"] {
        let bucket = at(doc(&l, "aws_s3_bucket", name), "attributes.bucket");
        assert!(
            bucket.get("$unknown").is_some(),
            "{name}: {}",
            bucket.to_json()
        );
    }
    // The rest of the template is evaluated as before.
    let fine = doc(&l, "aws_s3_bucket", "Fine");
    assert_eq!(at(fine, "attributes.bucket").as_str(), Some("prod-bucket"));
    let depth = notes_with(&l, "cloudformation-intrinsic-depth");
    assert_eq!(depth.len(), 1, "{:#?}", l.notifications);
    let n = depth[0];
    assert_eq!(n.level, plumbline::model::NoteLevel::Error);
    assert_eq!(n.file.as_deref(), Some("loops.yaml"));
    // It points at the first call in Resources that started the endless evaluation.
    assert_eq!(n.position.map(|p| p.line), Some(23));
    assert!(n.message.contains("loops.yaml:23:"), "{}", n.message);
    assert!(
        n.message
            .contains(&plumbline::load::cloudformation::intrinsics::MAX_DEPTH.to_string()),
        "{}",
        n.message
    );
}

#[test]
fn mappings_that_multiply_stop_at_the_inlining_budget() {
    // Each entry is two calls of the next: 2^40 values if nothing stopped it.
    let mut text = String::from("Mappings:\n  M:\n");
    for i in 0..40 {
        text.push_str(&format!(
            "    l{i}:\n      x: [!FindInMap [M, l{n}, x], !FindInMap [M, l{n}, x]]\n",
            n = i + 1
        ));
    }
    text.push_str("    l40:\n      x: leaf\n");
    text.push_str(
        "Resources:\n  Big:\n    Type: AWS::SNS::Topic\n    Properties:\n      \
         Things: !FindInMap [M, l0, x]\n  Other:\n    Type: AWS::S3::Bucket\n    \
         Properties:\n      BucketName: plain\n",
    );
    let l = on_small_stack(move || load_text("bomb.yaml", &text));
    let budget = notes_with(&l, "cloudformation-intrinsic-budget");
    assert_eq!(budget.len(), 1, "{:#?}", l.notifications);
    assert_eq!(budget[0].level, plumbline::model::NoteLevel::Error);
    assert_eq!(budget[0].position.map(|p| p.line), Some(89));
    assert!(
        budget[0].message.contains("64 MiB"),
        "{}",
        budget[0].message
    );
    let other = doc(&l, "aws_s3_bucket", "Other");
    assert_eq!(at(other, "attributes.bucket").as_str(), Some("plain"));
}

#[test]
fn a_long_chain_of_conditions_stops_at_the_depth_budget() {
    let mut text = String::from("Conditions:\n");
    for i in 0..5000 {
        text.push_str(&format!("  C{i}: !Not [!Condition C{}]\n", i + 1));
    }
    text.push_str("  C5000: !Equals [a, a]\n");
    text.push_str(
        "Resources:\n  Maybe:\n    Type: AWS::S3::Bucket\n    Condition: C0\n    \
         Properties:\n      BucketName: !If [C0, yes, no]\n",
    );
    let l = on_small_stack(move || load_text("chain.yaml", &text));
    // Unknown: the resource is kept (it may be created) and its name is unknown.
    let maybe = doc(&l, "aws_s3_bucket", "Maybe");
    assert!(at(maybe, "attributes.bucket").get("$unknown").is_some());
    let depth = notes_with(&l, "cloudformation-intrinsic-depth");
    assert_eq!(depth.len(), 1, "{:#?}", l.notifications);
    assert_eq!(depth[0].level, plumbline::model::NoteLevel::Error);
}

#[test]
fn condition_cycles_are_reported_with_the_cycle_and_its_line() {
    let text = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env:
    Type: String
    Default: prod
Conditions:
  A: !Condition B
  B: !Condition A
  C: !And [!Condition D, !Equals [!Ref Env, prod]]
  D: !Or [!Not [!Condition C], !Equals [x, y]]
  E: !Equals [!If [E, on, off], on]
  Unused1: !Condition Unused2
  Unused2: !Or [!Condition Unused1, true]
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  InA:
    Type: AWS::S3::Bucket
    Condition: A
  InE:
    Type: AWS::S3::Bucket
    Condition: E
    Properties:
      BucketName: !If [C, c, not-c]
  Prod:
    Type: AWS::S3::Bucket
    Condition: IsProd
  Dev:
    Type: AWS::S3::Bucket
    Condition: NotProd
";
    let l = load_text("conds.yaml", text);
    let cycles = notes_with(&l, "cloudformation-condition-cycle");
    let found: Vec<(u32, &str)> = cycles
        .iter()
        .map(|n| (n.position.unwrap().line, n.message.as_str()))
        .collect();
    assert_eq!(cycles.len(), 4, "{found:#?}");
    for n in &cycles {
        assert_eq!(n.level, plumbline::model::NoteLevel::Error);
        assert_eq!(n.file.as_deref(), Some("conds.yaml"));
    }
    let at_line = |line: u32| {
        found
            .iter()
            .find(|(l, _)| *l == line)
            .unwrap_or_else(|| panic!("no cycle reported at line {line}: {found:#?}"))
            .1
    };
    assert!(at_line(7).contains("A -> B -> A"), "{}", at_line(7));
    assert!(at_line(9).contains("C -> D -> C"), "{}", at_line(9));
    assert!(at_line(11).contains("E -> E"), "{}", at_line(11));
    assert!(
        at_line(12).contains("Unused1 -> Unused2 -> Unused1"),
        "{}",
        at_line(12)
    );
    assert!(at_line(7).contains("conds.yaml:7:"), "{}", at_line(7));
    // Unknown conditions keep their resources (they may be created); known ones still decide.
    let names: Vec<&str> = l
        .documents
        .iter()
        .map(|d| d.subject.as_ref().unwrap().address.as_str())
        .collect();
    assert_eq!(names, ["InA", "InE", "Prod"]);
    let in_e = doc(&l, "aws_s3_bucket", "InE");
    assert!(at(in_e, "attributes.bucket").get("$unknown").is_some());
}
