//! Terraform plan JSON: resources in the shared AWS model, mapped back to their `.tf` lines.

use plumbline::load::tree::{Node, Value};
use plumbline::load::{load_single, Document, LoadOptions, Loaded, MemFiles};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn tfstate() -> PathBuf {
    shared().join("corpus/tfstate")
}

/// The text files of a directory, as a scan under `prefix/` would see them.
fn files_of(dir: &Path, prefix: &str) -> MemFiles {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let rel = format!("{rel}/{name}");
            if e.path().is_dir() {
                walk(&e.path(), &rel, out);
            } else if let Ok(text) = std::fs::read_to_string(e.path()) {
                out.push((rel, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, prefix, &mut out);
    MemFiles::new(out)
}

fn load(path: &str, bytes: &[u8], files: &MemFiles) -> Loaded {
    load_single(path, bytes, &LoadOptions::default(), files)
}

fn doc<'a>(l: &'a Loaded, address: &str) -> &'a Document {
    l.documents
        .iter()
        .find(|d| d.subject.as_ref().is_some_and(|s| s.address == address))
        .unwrap_or_else(|| panic!("no {address}"))
}

fn at<'a>(node: &'a Node, path: &str) -> &'a Node {
    let mut here = node;
    for seg in path.split('.') {
        here = match (seg.parse::<usize>(), &here.value) {
            (Ok(i), Value::Seq(items)) => &items[i],
            _ => here.get(seg).unwrap_or_else(|| panic!("{path}: no {seg}")),
        };
    }
    here
}

/// `file:line` of a node of a document.
fn place(d: &Document, node: &Node) -> String {
    format!("{}:{}", d.file_of(node).path, node.start.line)
}

#[test]
fn plan_resources_map_back_to_their_tf_lines_through_module_calls() {
    let case = tfstate().join("terraform-compliance/tests/functional/actions_modules");
    let files = files_of(&case, "infra");
    let l = load(
        "infra/plan.out.json",
        &std::fs::read(case.join("plan.out.json")).unwrap(),
        &files,
    );
    assert!(
        l.notifications
            .iter()
            .all(|n| n.level != plumbline::model::NoteLevel::Error),
        "{:?}",
        l.notifications
    );
    let addresses: Vec<&str> = l
        .documents
        .iter()
        .map(|d| d.subject.as_ref().unwrap().address.as_str())
        .collect();
    assert_eq!(
        addresses,
        [
            "aws_iam_role.test_iam_role",
            "module.ecr_repository.aws_ecr_repository.ecr_repository",
            "module.ecr_repository.aws_instance.ecr_repository",
        ]
    );
    let role = doc(&l, "aws_iam_role.test_iam_role");
    let s = role.subject.as_ref().unwrap();
    assert_eq!(
        (s.source.as_str(), s.kind.as_str()),
        ("terraform-plan", "aws_iam_role")
    );
    assert!(s.via.is_empty());
    assert_eq!(place(role, &role.node), "infra/main.tf:8");
    assert_eq!(
        place(role, at(&role.node, "attributes.assume_role_policy")),
        "infra/main.tf:10"
    );
    // Known after apply: unknown, naming the reference of the configuration.
    assert_eq!(
        at(&role.node, "attributes.name").to_json(),
        json!({"$unknown": "module.ecr_repository.ecr_name"})
    );
    assert_eq!(
        at(&role.node, "attributes.arn").to_json(),
        json!({"$unknown": ""})
    );
    assert_eq!(at(&role.node, "attributes.path").as_str(), Some("/"));
    // A value the .tf does not set stays at its line in the plan.
    assert!(place(role, at(&role.node, "attributes.path")).starts_with("infra/plan.out.json:"));

    let ecr = doc(
        &l,
        "module.ecr_repository.aws_ecr_repository.ecr_repository",
    );
    let s = ecr.subject.as_ref().unwrap();
    assert_eq!(s.via, ["infra/main.tf:1 module.ecr_repository"]);
    assert_eq!(
        at(&ecr.node, "module").as_str(),
        Some("module.ecr_repository")
    );
    assert_eq!(place(ecr, &ecr.node), "infra/modules/ecr_module/main.tf:10");
    assert_eq!(
        place(ecr, at(&ecr.node, "attributes.image_tag_mutability")),
        "infra/modules/ecr_module/main.tf:12"
    );
    assert_eq!(
        at(&ecr.node, "attributes.image_scanning_configuration").to_json(),
        json!([{"scan_on_push": true}])
    );
    assert_eq!(
        place(
            ecr,
            at(
                &ecr.node,
                "attributes.image_scanning_configuration.0.scan_on_push"
            )
        ),
        "infra/modules/ecr_module/main.tf:15"
    );
    // related: the other resources of the same module.
    let related = ecr.related.as_ref().unwrap().to_json();
    assert_eq!(related.as_array().unwrap().len(), 1);
    assert_eq!(related[0]["type"], "aws_instance");
}

#[test]
fn without_the_tf_files_positions_are_the_plan_files() {
    let case = tfstate().join("terraform-compliance/tests/functional/actions_modules");
    let bytes = std::fs::read(case.join("plan.out.json")).unwrap();
    let l = load("plan.out.json", &bytes, &MemFiles::default());
    let role = doc(&l, "aws_iam_role.test_iam_role");
    let p = place(role, at(&role.node, "attributes.assume_role_policy"));
    let line: usize = p.strip_prefix("plan.out.json:").unwrap().parse().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains("\"assume_role_policy\""));
}

#[test]
fn every_paired_compliance_plan_loads() {
    let root = tfstate().join("terraform-compliance/tests/functional");
    let (mut plans, mut mapped, mut resources) = (0, 0, 0);
    for case in std::fs::read_dir(&root).unwrap().flatten() {
        let plan = case.path().join("plan.out.json");
        if !plan.is_file() {
            continue;
        }
        plans += 1;
        let files = files_of(&case.path(), "c");
        let l = load("c/plan.out.json", &std::fs::read(&plan).unwrap(), &files);
        for n in &l.notifications {
            assert_ne!(
                n.level,
                plumbline::model::NoteLevel::Error,
                "{}: {n:?}",
                plan.display()
            );
        }
        for d in &l.documents {
            let s = d
                .subject
                .as_ref()
                .unwrap_or_else(|| panic!("{}", plan.display()));
            // A few of them are `terraform show -json` of a state.
            assert!(
                s.source == "terraform-plan" || s.source == "terraform-state",
                "{}",
                s.source
            );
            resources += 1;
            if d.file_of(&d.node).path.ends_with(".tf") {
                mapped += 1;
            }
        }
    }
    eprintln!("{plans} plans, {resources} resources, {mapped} mapped to .tf");
    assert!(plans > 100);
    // Resources of registry modules (not in the repository) keep the plan's positions; 413
    // of 668 were mapped when this was written.
    assert!(
        mapped * 10 >= resources * 6,
        "{mapped} of {resources} mapped to their .tf"
    );
}

#[test]
fn utf16_and_state_form_plans_load_and_a_truncated_plan_is_reported() {
    let checkov = tfstate().join("checkov/tests/terraform");
    let utf16 = checkov.join("parser/resources/plan_encodings/tfplan_win_utf16.json");
    let bytes = std::fs::read(&utf16).unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
    let l = load("tfplan_win_utf16.json", &bytes, &MemFiles::default());
    assert!(!l.documents.is_empty(), "{:?}", l.notifications);
    assert!(l
        .documents
        .iter()
        .all(|d| d.subject.as_ref().unwrap().source == "terraform-plan"));

    // Checkov's "corrupted" plan is the `terraform show -json` form of a state.
    let corrupt = checkov.join("runner/resources/plan/corrupted-tfplan.json");
    let l = load(
        "corrupted-tfplan.json",
        &std::fs::read(&corrupt).unwrap(),
        &MemFiles::default(),
    );
    assert_eq!(l.documents.len(), 1, "{:?}", l.notifications);
    let s = l.documents[0].subject.as_ref().unwrap();
    assert_eq!(
        (s.source.as_str(), s.address.as_str()),
        ("terraform-state", "test_instance.test")
    );
    assert_eq!(
        at(&l.documents[0].node, "attributes.ami").as_str(),
        Some("abc")
    );

    // Cut in the middle: a parse error with its line, no documents, no crash.
    let text = std::fs::read_to_string(&corrupt).unwrap();
    let cut = &text[..text
        .find("\"values\": {\n                        \"id\"")
        .unwrap()
        + 30];
    let l = load("cut.json", cut.as_bytes(), &MemFiles::default());
    assert!(l.documents.is_empty());
    assert_eq!(l.notifications.len(), 1);
    assert_eq!(l.notifications[0].code, "parse-error");
    assert!(l.notifications[0].position.is_some_and(|p| p.line >= 14));
}

#[test]
fn a_ten_megabyte_plan_loads() {
    let mut changes = Vec::new();
    let mut i = 0;
    let mut size = 0;
    while size < 10 * 1024 * 1024 {
        let service = ["s3_bucket", "instance", "iam_role", "security_group"][i % 4];
        let change = json!({
            "address": format!("aws_{service}.r{i}"),
            "mode": "managed",
            "type": format!("aws_{service}"),
            "name": format!("r{i}"),
            "change": {
                "actions": ["create"],
                "after": {"bucket": format!("b-{i}"), "tags": {"team": "x".repeat(1500)}},
                "after_unknown": {"id": true, "arn": true}
            }
        });
        size += change.to_string().len();
        changes.push(change);
        i += 1;
    }
    let plan = json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
    });
    let text = serde_json::to_string_pretty(&plan).unwrap();
    assert!(text.len() > 10 * 1024 * 1024);
    let l = load("big/plan.json", text.as_bytes(), &MemFiles::default());
    assert_eq!(l.documents.len(), i, "{:?}", l.notifications);
    let last = &l.documents[i - 1];
    assert_eq!(
        at(&last.node, "attributes.id").to_json(),
        json!({"$unknown": ""})
    );
    // Many resources in one module: each sees all the others, through one shared set.
    let related = last.related.as_ref().unwrap();
    assert_eq!(related.nodes().count(), i - 1);
    assert!(Arc::ptr_eq(
        &related.set,
        &l.documents[0].related.as_ref().unwrap().set
    ));
    let input = last.to_rego();
    assert_eq!(input["related"].as_array().unwrap().len(), i - 1);
}
