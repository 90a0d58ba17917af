//! Terraform state v4, read schema-less: no Terraform binary, no provider schema, no lock.
//!
//! What a backend stores (`terraform state pull` prints it): `{"version": 4, "resources":
//! [{"mode", "type", "name", "module"?, "provider", "instances": [{"index_key"?,
//! "attributes", "sensitive_attributes"?, ...}]}]}`. Only managed resources are kept (data
//! sources describe things Terraform reads, not what it manages).
//!
//! An instance that cannot be read as it is never disappears silently: one still in the
//! legacy flat form (`attributes_flat`, kept from a Terraform 0.11 state until its provider
//! rewrites it) is unflattened and read, with a warning; one with no attributes, or
//! attributes that are not an object, is an error notification (it is not compared, so the
//! scan is incomplete); a deposed object (being replaced) is a warning.

use crate::model::{NoteLevel, Notification, PathSeg};
use serde_json::Value as J;
use std::collections::BTreeMap;

/// One state file.
#[derive(Debug, Clone, PartialEq)]
pub struct StateFile {
    /// Where it was read from: a path (repository-relative when it is inside the scanned
    /// tree) or an `s3://` URL.
    pub origin: String,
    pub terraform_version: String,
    pub serial: u64,
    pub lineage: String,
    /// Managed resource instances, in state order.
    pub resources: Vec<StateResource>,
    /// What could not be read as it is (legacy flat attributes, missing attributes…).
    pub notifications: Vec<Notification>,
}

/// One instance of a managed resource.
#[derive(Debug, Clone, PartialEq)]
pub struct StateResource {
    /// The Terraform address: `module.net.aws_subnet.private["a"]`.
    pub address: String,
    /// `aws_s3_bucket`.
    pub ty: String,
    pub name: String,
    /// Module path (`module.net`, `module.a[0].module.b`), empty at the root.
    pub module: String,
    /// The provider configuration address as the state writes it.
    pub provider: String,
    /// The attributes as the provider last wrote them.
    pub attributes: J,
    /// Attribute paths Terraform marks sensitive (values never shown).
    pub sensitive: Vec<Vec<PathSeg>>,
    /// The region, from the `arn` attribute, else `region`, else `availability_zone`;
    /// `None` when unknown (the resource is looked for in every region read).
    pub region: Option<String>,
    /// The account id from the `arn` attribute (or `owner_id`), when there is one.
    pub account: Option<String>,
}

impl StateResource {
    /// A string attribute (numbers and booleans rendered), `None` when absent, null or empty.
    pub fn attr_str(&self, name: &str) -> Option<String> {
        match self.attributes.get(name)? {
            J::String(s) if !s.is_empty() => Some(s.clone()),
            J::Number(n) => Some(n.to_string()),
            J::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Parses a raw state. `origin` names the file in errors.
pub fn parse_state(bytes: &[u8], origin: &str) -> Result<StateFile, String> {
    let root = state_root(bytes, origin)?;
    let mut out = StateFile {
        origin: origin.to_string(),
        terraform_version: str_of(&root, "terraform_version").to_string(),
        serial: root.get("serial").and_then(J::as_u64).unwrap_or(0),
        lineage: str_of(&root, "lineage").to_string(),
        resources: Vec::new(),
        notifications: Vec::new(),
    };
    let resources = match root.get("resources") {
        None | Some(J::Null) => return Ok(out),
        Some(J::Array(rs)) => rs,
        Some(_) => {
            return Err(format!(
                "{origin}: `resources` is not a list; the state is damaged (pull it again with \
                 `terraform state pull`)"
            ))
        }
    };
    for (i, r) in resources.iter().enumerate() {
        if str_of(r, "mode") != "managed" {
            continue;
        }
        let ty = str_of(r, "type");
        let name = str_of(r, "name");
        if ty.is_empty() || name.is_empty() {
            return Err(format!(
                "{origin}: resources[{i}] has no type or name; the state is damaged (pull it \
                 again with `terraform state pull`)"
            ));
        }
        let module = str_of(r, "module").to_string();
        let provider = str_of(r, "provider").to_string();
        let resource_address = if module.is_empty() {
            format!("{ty}.{name}")
        } else {
            format!("{module}.{ty}.{name}")
        };
        let mut note = |level: NoteLevel, code: &str, message: String| {
            out.notifications.push(
                Notification::new(level, code, format!("{origin}: {message}"))
                    .at(origin.to_string(), None),
            );
        };
        let Some(instances) = r.get("instances").and_then(J::as_array) else {
            note(
                NoteLevel::Error,
                "tfstate-instance-unreadable",
                format!(
                    "{resource_address} (resources[{i}]) has no list of instances, so it was \
                     not compared with AWS; the state is damaged (pull it again with \
                     `terraform state pull`)"
                ),
            );
            continue;
        };
        for inst in instances {
            let key = index_key(inst.get("index_key"));
            let local = format!("{ty}.{name}{key}");
            let address = if module.is_empty() {
                local
            } else {
                format!("{module}.{local}")
            };
            if let Some(deposed) = inst.get("deposed") {
                note(
                    NoteLevel::Warning,
                    "tfstate-deposed",
                    format!(
                        "{address} has a deposed object ({}) that Terraform is replacing; it \
                         was not compared with AWS (the current object, if any, was)",
                        deposed.as_str().unwrap_or("?")
                    ),
                );
                continue;
            }
            let Some(attributes) = instance_attributes(inst, &address, &mut note) else {
                continue;
            };
            let (region, account) = place_of(&attributes);
            out.resources.push(StateResource {
                address,
                ty: ty.to_string(),
                name: name.to_string(),
                module: module.clone(),
                provider: provider.clone(),
                sensitive: sensitive_paths(inst.get("sensitive_attributes")),
                attributes,
                region,
                account,
            });
        }
    }
    Ok(out)
}

/// The top level of a raw state of version 4: `Err` (saying what to pass instead) for what is
/// not one.
fn state_root(bytes: &[u8], origin: &str) -> Result<J, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        format!("{origin}: not a Terraform state (not UTF-8 text); pass the file `terraform state pull` prints")
    })?;
    if text.trim().is_empty() {
        return Err(format!(
            "{origin}: the file is empty, not a Terraform state; pass the file `terraform state \
             pull` prints"
        ));
    }
    let root: J = serde_json::from_str(text).map_err(|e| {
        format!(
            "{origin}:{}:{}: not a Terraform state (invalid JSON: {e}); pass the file \
             `terraform state pull` prints",
            e.line(),
            e.column()
        )
    })?;
    let Some(obj) = root.as_object() else {
        return Err(format!(
            "{origin}: not a Terraform state (the top level is not a JSON object)"
        ));
    };
    if obj.contains_key("format_version") {
        return Err(format!(
            "{origin}: this is `terraform show -json` output, not a raw state; pass the file \
             `terraform state pull` prints (or scan the JSON as a plan)"
        ));
    }
    match obj.get("version").and_then(J::as_u64) {
        Some(4) => {}
        Some(v) => {
            return Err(format!(
                "{origin}: Terraform state version {v} is not supported (only version 4, written \
                 by Terraform 0.12 and later); run `terraform state pull` with a current \
                 Terraform to upgrade it"
            ))
        }
        None => {
            return Err(format!(
                "{origin}: not a Terraform state (no `version` member); pass the file \
                 `terraform state pull` prints"
            ))
        }
    }
    Ok(root)
}

/// The attributes of instance `inst` (at `address`): the current form, or the legacy flat
/// form unflattened (with a warning); `None`, with an error, when it has neither.
fn instance_attributes(
    inst: &J,
    address: &str,
    note: &mut impl FnMut(NoteLevel, &str, String),
) -> Option<J> {
    match (inst.get("attributes"), inst.get("attributes_flat")) {
        (Some(a @ J::Object(_)), _) => Some(a.clone()),
        (None | Some(J::Null), Some(J::Object(flat))) => {
            note(
                NoteLevel::Warning,
                "tfstate-attributes-flat",
                format!(
                    "{address} is stored in the legacy flat form (`attributes_flat`, \
                     from a Terraform 0.11 state); it was read from it, but that form \
                     keeps every value as a string, so a number or a bool may show as \
                     drift — a `terraform apply` with a current Terraform rewrites it"
                ),
            );
            Some(unflatten(flat))
        }
        (attributes, flat) => {
            let what = match (attributes, flat) {
                (Some(J::Null), None) => "`\"attributes\": null`".to_string(),
                (None, None) => "no `attributes`".to_string(),
                (None | Some(J::Null), Some(f)) => {
                    format!("`attributes_flat` that is {}", json_kind(f))
                }
                (Some(a), _) => format!("`attributes` that is {}", json_kind(a)),
            };
            note(
                NoteLevel::Error,
                "tfstate-instance-unreadable",
                format!(
                    "{address} has {what}, so it was not compared with AWS; the state \
                     is damaged or written by a tool plumbline does not know (pull it \
                     again with `terraform state pull`)"
                ),
            );
            None
        }
    }
}

/// "a string", "a list"… for messages.
fn json_kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a bool",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "an object",
    }
}

/// Keys of the flat form nest at most this deep; deeper keys are kept whole.
const MAX_FLAT_DEPTH: usize = 32;

/// The attributes of the legacy flat form (Terraform's `flatmap`) as the nested object the
/// current form has: `tags.% = "2"` and `tags.Name = "x"` make a map (whose keys may hold
/// dots), `ingress.# = "1"` and `ingress.123.port = "80"` a list of objects (indexes, or set
/// hashes, in numeric order), `name = "x"` a string. Values stay strings: the flat form
/// keeps no types.
fn unflatten(flat: &serde_json::Map<String, J>) -> J {
    let entries: Vec<(&str, &J)> = flat.iter().map(|(k, v)| (k.as_str(), v)).collect();
    flat_object(&entries, 0)
}

fn flat_object(entries: &[(&str, &J)], depth: usize) -> J {
    // Entries by their first key segment: (the whole key, what follows the first dot).
    let mut groups: BTreeMap<&str, Vec<(Option<&str>, &J)>> = BTreeMap::new();
    for &(k, v) in entries {
        match k.split_once('.') {
            Some((head, rest)) if depth < MAX_FLAT_DEPTH => {
                groups.entry(head).or_default().push((Some(rest), v))
            }
            _ => groups.entry(k).or_default().push((None, v)),
        }
    }
    let mut out = serde_json::Map::new();
    for (name, members) in groups {
        let is_list = members.iter().any(|(r, _)| *r == Some("#"));
        let is_map = members.iter().any(|(r, _)| *r == Some("%"));
        let value = if is_list {
            flat_list(&members, depth)
        } else if is_map {
            J::Object(
                members
                    .iter()
                    .filter_map(|(r, v)| Some(((*r)?, *v)))
                    .filter(|(r, _)| *r != "%")
                    .map(|(r, v)| (r.to_string(), v.clone()))
                    .collect(),
            )
        } else if let Some((_, v)) = members.iter().find(|(r, _)| r.is_none()) {
            (*v).clone()
        } else {
            let nested: Vec<(&str, &J)> = members
                .iter()
                .filter_map(|(r, v)| Some(((*r)?, *v)))
                .collect();
            flat_object(&nested, depth + 1)
        };
        out.insert(name.to_string(), value);
    }
    J::Object(out)
}

/// Flat members of one attribute: what follows its name (`None` for the value itself).
type FlatMembers<'a> = Vec<(Option<&'a str>, &'a J)>;

/// The elements of a flat list (`name.#` and `name.<index>[.rest]`).
fn flat_list(members: &[(Option<&str>, &J)], depth: usize) -> J {
    let mut elements: BTreeMap<(u64, &str), FlatMembers> = BTreeMap::new();
    for &(rest, v) in members {
        let Some(rest) = rest.filter(|r| *r != "#") else {
            continue;
        };
        let (index, inner) = match rest.split_once('.') {
            Some((i, r)) => (i, Some(r)),
            None => (rest, None),
        };
        let order = index.parse::<u64>().unwrap_or(u64::MAX);
        elements.entry((order, index)).or_default().push((inner, v));
    }
    J::Array(
        elements
            .into_values()
            .map(|parts| match parts.iter().find(|(r, _)| r.is_none()) {
                Some((_, v)) => (*v).clone(),
                None => {
                    let nested: Vec<(&str, &J)> = parts
                        .iter()
                        .filter_map(|(r, v)| Some(((*r)?, *v)))
                        .collect();
                    flat_object(&nested, depth + 1)
                }
            })
            .collect(),
    )
}

fn str_of<'a>(v: &'a J, key: &str) -> &'a str {
    v.get(key).and_then(J::as_str).unwrap_or_default()
}

/// `[0]`, `["eu"]` — as Terraform renders instance keys.
fn index_key(k: Option<&J>) -> String {
    match k {
        Some(J::Number(n)) => format!("[{n}]"),
        Some(J::String(s)) => format!("[{}]", J::String(s.clone())),
        _ => String::new(),
    }
}

/// The paths of `sensitive_attributes`: the list-of-steps form Terraform 0.15+ writes
/// (`[[{"type":"get_attr","value":"password"}]]`, `index` steps with a number or string
/// value), and plain strings (`"password"`, `"a.b[0]"`) as some tools write them.
fn sensitive_paths(v: Option<&J>) -> Vec<Vec<PathSeg>> {
    let Some(J::Array(paths)) = v else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in paths {
        match p {
            J::Array(steps) => {
                let mut path = Vec::new();
                for s in steps {
                    let value = s.get("value");
                    match (str_of(s, "type"), value) {
                        ("get_attr", Some(J::String(k))) => path.push(PathSeg::Key(k.clone())),
                        ("index", Some(J::Number(n))) => match n.as_u64() {
                            Some(i) => path.push(PathSeg::Index(i as usize)),
                            None => break,
                        },
                        ("index", Some(J::String(k))) => path.push(PathSeg::Key(k.clone())),
                        // `{"type":"index","value":{"value":0,"type":"number"}}` (cty JSON).
                        ("index", Some(J::Object(o))) => match o.get("value") {
                            Some(J::Number(n)) if n.as_u64().is_some() => {
                                path.push(PathSeg::Index(n.as_u64().unwrap_or(0) as usize))
                            }
                            Some(J::String(k)) => path.push(PathSeg::Key(k.clone())),
                            _ => break,
                        },
                        _ => break,
                    }
                }
                if !path.is_empty() {
                    out.push(path);
                }
            }
            J::String(s) if !s.is_empty() => out.push(crate::model::parse_rendered_path(s)),
            _ => {}
        }
    }
    out
}

/// Region and account of a resource, from what its attributes say.
fn place_of(attributes: &J) -> (Option<String>, Option<String>) {
    let s = |k: &str| {
        attributes
            .get(k)
            .and_then(J::as_str)
            .filter(|s| !s.is_empty())
    };
    let (mut region, mut account) = (None, None);
    if let Some(arn) = s("arn") {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        if parts.len() == 6 && parts[0] == "arn" {
            region = Some(parts[3].to_string()).filter(|r| !r.is_empty());
            account = Some(parts[4].to_string()).filter(|a| !a.is_empty());
        }
    }
    if region.is_none() {
        region = s("region").map(str::to_string);
    }
    if region.is_none() {
        region = s("availability_zone").map(region_of_zone);
    }
    if account.is_none() {
        account = s("owner_id")
            .filter(|o| o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string);
    }
    (region, account)
}

/// `eu-west-3a` → `eu-west-3`; local zones (`us-west-2-lax-1a`) keep their parent region's
/// first three parts.
fn region_of_zone(zone: &str) -> String {
    let parts: Vec<&str> = zone.split('-').collect();
    if parts.len() >= 3 {
        let third: String = parts[2]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if !third.is_empty() {
            return format!("{}-{}-{third}", parts[0], parts[1]);
        }
    }
    zone.trim_end_matches(|c: char| c.is_ascii_lowercase())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_regions_and_sensitive_paths() {
        let text = r#"{"version":4,"terraform_version":"1.5.7","serial":3,"lineage":"l",
          "resources":[
            {"mode":"data","type":"aws_caller_identity","name":"me","provider":"p","instances":[{"attributes":{}}]},
            {"mode":"managed","type":"aws_instance","name":"web","module":"module.app","provider":"p",
             "instances":[{"index_key":0,"attributes":{"id":"i-1","arn":"arn:aws:ec2:eu-west-1:123456789012:instance/i-1"}},
                          {"index_key":1,"attributes":{"id":"i-2","availability_zone":"eu-west-3b"}}]},
            {"mode":"managed","type":"aws_db_instance","name":"db","provider":"p",
             "instances":[{"index_key":"eu","attributes":{"password":"pw"},
               "sensitive_attributes":[[{"type":"get_attr","value":"password"}],
                                       [{"type":"get_attr","value":"env"},{"type":"index","value":{"value":"K","type":"string"}}]]}]}
          ]}"#;
        let s = parse_state(text.as_bytes(), "prod.tfstate").unwrap();
        let addrs: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addrs,
            [
                "module.app.aws_instance.web[0]",
                "module.app.aws_instance.web[1]",
                "aws_db_instance.db[\"eu\"]"
            ]
        );
        assert_eq!(s.resources[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.resources[0].account.as_deref(), Some("123456789012"));
        assert_eq!(s.resources[1].region.as_deref(), Some("eu-west-3"));
        assert_eq!(s.resources[2].region, None);
        assert_eq!(
            s.resources[2].sensitive,
            vec![
                vec![PathSeg::Key("password".into())],
                vec![PathSeg::Key("env".into()), PathSeg::Key("K".into())]
            ]
        );
        assert_eq!(region_of_zone("us-west-2-lax-1a"), "us-west-2");
    }

    #[test]
    fn flat_null_and_deposed_instances_are_reported_never_skipped_silently() {
        // A state upgraded from Terraform 0.11 whose security group provider has not
        // rewritten it yet, a bucket whose attributes were lost, and an instance being
        // replaced (create_before_destroy) with its deposed object.
        let text = r#"{"version":4,"terraform_version":"0.12.31","serial":9,"lineage":"l",
          "resources":[
            {"mode":"managed","type":"aws_security_group","name":"web","provider":"p",
             "instances":[{"schema_version":1,"attributes_flat":{
               "id":"sg-1","name":"web","arn":"arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1",
               "tags.%":"2","tags.Name":"web","tags.kubernetes.io/cluster/x":"owned",
               "ingress.#":"2",
               "ingress.2541437006.from_port":"443",
               "ingress.2541437006.cidr_blocks.#":"2",
               "ingress.2541437006.cidr_blocks.0":"10.0.0.0/8",
               "ingress.2541437006.cidr_blocks.1":"192.168.0.0/16",
               "ingress.753360330.from_port":"22",
               "ingress.753360330.cidr_blocks.#":"0",
               "egress.#":"0"}}]},
            {"mode":"managed","type":"aws_s3_bucket","name":"gone","provider":"p",
             "instances":[{"attributes":null}]},
            {"mode":"managed","type":"aws_instance","name":"app","module":"module.svc","provider":"p",
             "instances":[{"deposed":"8b1a2c3d","attributes":{"id":"i-old"}},{"attributes":{"id":"i-new"}}]},
            {"mode":"managed","type":"aws_iam_role","name":"odd","provider":"p",
             "instances":[{"attributes":["not","an","object"]}]}
          ]}"#;
        let s = parse_state(text.as_bytes(), "legacy.tfstate").unwrap();
        let addrs: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addrs,
            ["aws_security_group.web", "module.svc.aws_instance.app"]
        );
        let sg = &s.resources[0];
        assert_eq!(
            sg.attributes,
            serde_json::json!({
                "id": "sg-1",
                "name": "web",
                "arn": "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1",
                "tags": {"Name": "web", "kubernetes.io/cluster/x": "owned"},
                "ingress": [
                    {"from_port": "22", "cidr_blocks": []},
                    {"from_port": "443", "cidr_blocks": ["10.0.0.0/8", "192.168.0.0/16"]}
                ],
                "egress": []
            })
        );
        assert_eq!(sg.region.as_deref(), Some("eu-west-1"));
        assert_eq!(sg.attr_str("name").as_deref(), Some("web"));
        assert_eq!(s.resources[1].attr_str("id").as_deref(), Some("i-new"));
        let notes: Vec<(NoteLevel, &str, &str)> = s
            .notifications
            .iter()
            .map(|n| (n.level, n.code.as_str(), n.message.as_str()))
            .collect();
        assert_eq!(notes.len(), 4, "{notes:#?}");
        assert!(s
            .notifications
            .iter()
            .all(|n| n.file.as_deref() == Some("legacy.tfstate")));
        assert_eq!(notes[0].0, NoteLevel::Warning);
        assert_eq!(notes[0].1, "tfstate-attributes-flat");
        assert!(
            notes[0].2.starts_with(
                "legacy.tfstate: aws_security_group.web is stored in the legacy flat form"
            ),
            "{}",
            notes[0].2
        );
        assert_eq!(notes[1].0, NoteLevel::Error);
        assert_eq!(notes[1].1, "tfstate-instance-unreadable");
        assert!(
            notes[1]
                .2
                .contains("aws_s3_bucket.gone has `\"attributes\": null`, so it was not compared"),
            "{}",
            notes[1].2
        );
        assert_eq!(notes[2].0, NoteLevel::Warning);
        assert_eq!(notes[2].1, "tfstate-deposed");
        assert!(
            notes[2]
                .2
                .contains("module.svc.aws_instance.app has a deposed object (8b1a2c3d)"),
            "{}",
            notes[2].2
        );
        assert_eq!(notes[3].0, NoteLevel::Error);
        assert!(
            notes[3]
                .2
                .contains("aws_iam_role.odd has `attributes` that is a list"),
            "{}",
            notes[3].2
        );
    }

    #[test]
    fn flat_keys_nest_only_so_deep() {
        let deep = (0..200)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(".");
        let flat: serde_json::Map<String, J> = [(deep.clone(), J::String("v".into()))]
            .into_iter()
            .collect();
        let mut v = &unflatten(&flat);
        let mut levels = 0;
        while let J::Object(o) = v {
            assert_eq!(o.len(), 1);
            v = o.values().next().unwrap();
            levels += 1;
        }
        // The first 32 dots nest; the rest of the key is kept whole.
        assert_eq!(levels, MAX_FLAT_DEPTH + 1);
        assert_eq!(v, &J::String("v".into()));
    }

    #[test]
    fn other_versions_and_formats_say_what_to_do() {
        let e = parse_state(br#"{"version":3,"modules":[]}"#, "old.tfstate").unwrap_err();
        assert!(
            e.contains("old.tfstate") && e.contains("terraform state pull"),
            "{e}"
        );
        let e = parse_state(br#"{"format_version":"1.0","values":{}}"#, "x.json").unwrap_err();
        assert!(e.contains("terraform show -json"), "{e}");
        let e = parse_state(b"", "empty.tfstate").unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = parse_state(b"{", "bad.tfstate").unwrap_err();
        assert!(e.starts_with("bad.tfstate:1:"), "{e}");
    }
}
