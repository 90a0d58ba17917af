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
    let related = at(data, "related").to_json();
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
