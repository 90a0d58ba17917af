//! CloudFormation and SAM templates; Terraform plan JSON is recognised here too, as both
//! arrive as YAML/JSON files (and read by `terraform::plan`).
//!
//! A template becomes one document per resource, in the shared AWS resource model (README,
//! "Input models → AWS resources"): intrinsic functions are resolved where the template alone
//! decides them (parameters with defaults, conditions, mappings) and are otherwise the unknown
//! value `{"$unknown": "<LogicalId>[.<Attr>]"}`; the types of `mapping.yaml` are presented
//! with their Terraform type and attribute names. Every value keeps its position in the
//! template.

pub mod intrinsics;
pub mod mapping;

use super::terraform::plan;
use super::tree::{Entry, Node, Value};
use super::{Document, Files, LoadOptions, Loaded};
use crate::model::{NoteLevel, Notification, Pos, Subject};
use std::sync::Arc;

/// Turns the documents of a YAML/JSON file that are CloudFormation templates (or Terraform
/// plans) into one document per resource, in the shared AWS resource model.
pub fn recognise(loaded: &mut Loaded, opts: &LoadOptions, files: &dyn Files) {
    if !loaded
        .documents
        .iter()
        .any(|d| d.resource.is_none() && (is_template(&d.node) || plan::is_plan(&d.node)))
    {
        return;
    }
    let documents = std::mem::take(&mut loaded.documents);
    for doc in documents {
        if doc.resource.is_some() {
            loaded.documents.push(doc);
        } else if is_template(&doc.node) {
            template_documents(doc, loaded);
        } else if plan::is_plan(&doc.node) {
            plan::plan_documents(doc, opts, files, loaded);
        } else {
            loaded.documents.push(doc);
        }
    }
}

/// A template: `AWSTemplateFormatVersion`, or `Resources` whose entries have an `AWS::` (or
/// `Alexa::`) type
/// (SAM: `Transform: AWS::Serverless…`).
pub fn is_template(node: &Node) -> bool {
    if node.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    let serverless = match node.get("Transform").map(|n| &n.value) {
        Some(Value::Str(s)) => s.starts_with("AWS::Serverless"),
        Some(Value::Seq(items)) => items
            .iter()
            .any(|i| i.as_str().is_some_and(|s| s.starts_with("AWS::Serverless"))),
        _ => false,
    };
    match node.get("Resources").map(|n| &n.value) {
        Some(Value::Map(entries)) => {
            serverless
                || entries.iter().any(|e| {
                    e.value
                        .get("Type")
                        .and_then(Node::as_str)
                        .is_some_and(|t| t.starts_with("AWS::") || t.starts_with("Alexa::"))
                })
        }
        _ => false,
    }
}

/// One mapped resource before it is wrapped into a document.
struct Resource {
    tf_type: String,
    cfn_type: String,
    name: String,
    start: Pos,
    attributes: Node,
}

fn template_documents(doc: Document, loaded: &mut Loaded) {
    let file = Arc::clone(&doc.file);
    let mut ctx = intrinsics::Context::new(&doc.node, &file.path);
    let mut resources = Vec::new();
    if let Some(Value::Map(entries)) = doc.node.get("Resources").map(|n| &n.value) {
        for e in entries {
            if e.value.get("Type").and_then(Node::as_str).is_none() {
                ctx.notifications.push(not_a_resource(&file.path, e));
                continue;
            }
            if let Some(cond) = e.value.get("Condition").and_then(Node::as_str) {
                if ctx.condition(cond) == Some(false) {
                    continue; // not created with the parameters' defaults
                }
            }
            map_resource(e, &mut ctx, &mut resources);
        }
    }
    ctx.check_conditions();
    loaded.notifications.append(&mut ctx.notifications);
    let related = crate::load::RelatedSet::new(resources.iter().map(summary).collect());
    for (i, r) in resources.iter().enumerate() {
        let entries = vec![
            str_entry("source", "cloudformation", r.start),
            str_entry("type", &r.tf_type, r.start),
            str_entry("name", &r.name, r.start),
            str_entry("address", &r.name, r.start),
            str_entry("module", "", r.start),
            str_entry("cfn_type", &r.cfn_type, r.start),
            entry("attributes", r.attributes.clone(), r.start),
        ];
        let mut out = Document::new(
            Arc::clone(&file),
            doc.index,
            Node::new(Value::Map(entries), r.start, None),
        );
        out.related = Some(crate::load::Related::new(&related, Some(i)));
        out.subject = Some(Subject {
            source: "cloudformation".to_string(),
            kind: r.tf_type.clone(),
            address: r.name.clone(),
            via: Vec::new(),
        });
        loaded.documents.push(out);
    }
}

/// Resolves and maps one resource (and the separate resources some properties become).
fn map_resource(e: &Entry, ctx: &mut intrinsics::Context, out: &mut Vec<Resource>) {
    let cfn_type = e
        .value
        .get("Type")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    let props_at = e.value.get("Properties").map_or(e.key_start, |p| p.start);
    // An absent or empty `Properties` is an empty object.
    let props = e
        .value
        .get("Properties")
        .and_then(|p| ctx.resolve(p))
        .filter(|p| !matches!(p.value, Value::Null))
        .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), props_at, None));
    let Some(map) = mapping::type_map(&cfn_type) else {
        out.push(Resource {
            tf_type: cfn_type.clone(),
            cfn_type,
            name: e.key.clone(),
            start: e.key_start,
            attributes: props,
        });
        return;
    };
    let mut attrs = mapping::convert_properties(&props, &map.properties);
    for (k, v) in &map.set {
        attrs.push(str_entry(k, v, e.key_start));
    }
    out.push(Resource {
        tf_type: map.tf_type.clone(),
        cfn_type: cfn_type.clone(),
        name: e.key.clone(),
        start: e.key_start,
        attributes: Node::new(Value::Map(attrs), props_at, None),
    });
    for sep in &map.separate {
        let Some(value) = props.get(&sep.property) else {
            continue;
        };
        let mut sep_attrs = vec![entry(
            &sep.ref_attr,
            intrinsics::unknown(&e.key, e.key_start),
            e.key_start,
        )];
        sep_attrs.extend(mapping::convert_properties(value, &sep.fields));
        out.push(Resource {
            tf_type: sep.tf_type.clone(),
            cfn_type: cfn_type.clone(),
            name: e.key.clone(),
            start: value.start,
            attributes: Node::new(Value::Map(sep_attrs), value.start, None),
        });
    }
}

/// A `Resources` entry without a `Type` (often mis-indented YAML): reported, not loaded.
fn not_a_resource(path: &str, e: &Entry) -> Notification {
    let at = e.key_start;
    Notification::new(
        NoteLevel::Warning,
        "cloudformation-not-a-resource",
        format!(
            "{path}:{}:{}: Resources.{} has no Type, so it is not a resource and was not \
             scanned; check the indentation of the template",
            at.line, at.column, e.key
        ),
    )
    .at(path, Some(at))
}

/// A resource as `related` lists it.
fn summary(r: &Resource) -> Node {
    Node::new(
        Value::Map(vec![
            str_entry("type", &r.tf_type, r.start),
            str_entry("name", &r.name, r.start),
            str_entry("address", &r.name, r.start),
            str_entry("cfn_type", &r.cfn_type, r.start),
            entry("attributes", r.attributes.clone(), r.start),
        ]),
        r.start,
        None,
    )
}

pub(crate) fn entry(key: &str, value: Node, at: Pos) -> Entry {
    Entry {
        key: key.to_string(),
        key_start: at,
        key_end_byte: None,
        value,
    }
}

pub(crate) fn str_entry(key: &str, value: &str, at: Pos) -> Entry {
    entry(key, Node::new(Value::Str(value.to_string()), at, None), at)
}
