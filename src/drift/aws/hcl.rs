//! From a state resource back to its `resource` block, and attribute lines, in the `.tf`
//! files of the scanned revision.
//!
//! The root module of a state is the directory of `.tf` files whose resource blocks (and
//! module calls) match the most state addresses; a state file inside the tree prefers its own
//! directory. That root is then evaluated by the Terraform loader (variables, `count`,
//! `for_each`, local modules), so that each state instance finds its own instance document,
//! whose values point at the expressions that set them.

use crate::load::terraform::state::{StateFile, StateResource};
use crate::load::{Document, Files, IacOptions, LoadOptions};
use crate::model::PathSeg;
use crate::source::Format;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `module.a["x"].module.b[0]` → `module.a.module.b`; `aws_x.y[2]` → `aws_x.y`.
fn strip_keys(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '"' if depth > 0 && prev != '\\' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
        prev = c;
    }
    out
}

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// What one directory's `.tf` files declare at the top: resource blocks and module calls.
#[derive(Default)]
struct DirInfo {
    resources: BTreeSet<(String, String)>,
    modules: BTreeSet<String>,
}

/// The `.tf` side of every state of a scan, loaded once per root.
pub struct HclMapper<'f> {
    files: &'f dyn Files,
    dirs: BTreeMap<String, DirInfo>,
    roots: BTreeMap<String, Root>,
}

/// One evaluated root module.
pub struct Root {
    pub docs: Vec<Document>,
    by_address: HashMap<String, usize>,
    by_block: HashMap<String, usize>,
}

impl<'f> HclMapper<'f> {
    pub fn new(files: &'f dyn Files) -> Self {
        let mut dirs: BTreeMap<String, DirInfo> = BTreeMap::new();
        for p in files.paths() {
            if Format::of_path(p) != Some(Format::Terraform) {
                continue;
            }
            let info = dirs.entry(parent_dir(p).to_string()).or_default();
            let Some(Ok(file)) = files.read(p) else {
                continue;
            };
            if p.ends_with(".json") {
                // `.tf.json`: {"resource": {"type": {"name": {...}}}, "module": {"name": {...}}}
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&file.text) {
                    for (ty, names) in v
                        .get("resource")
                        .and_then(|r| r.as_object())
                        .into_iter()
                        .flatten()
                    {
                        for name in names.as_object().into_iter().flatten().map(|(n, _)| n) {
                            info.resources.insert((ty.clone(), name.clone()));
                        }
                    }
                    for name in v
                        .get("module")
                        .and_then(|m| m.as_object())
                        .into_iter()
                        .flatten()
                        .map(|(n, _)| n)
                    {
                        info.modules.insert(name.clone());
                    }
                }
                continue;
            }
            let Ok(body) = hcl_edit::parser::parse_body(&file.text) else {
                continue;
            };
            for b in body.iter().filter_map(|s| s.as_block()) {
                match (b.ident.as_str(), b.labels.len()) {
                    ("resource", 2) => {
                        info.resources.insert((
                            b.labels[0].as_str().to_string(),
                            b.labels[1].as_str().to_string(),
                        ));
                    }
                    ("module", 1) => {
                        info.modules.insert(b.labels[0].as_str().to_string());
                    }
                    _ => {}
                }
            }
        }
        Self {
            files,
            dirs,
            roots: BTreeMap::new(),
        }
    }

    /// The root directory of a state: its own directory when that matches any address, else
    /// the directory with the most matching addresses (the first in path order on a tie).
    /// `None`: no `.tf` file matches.
    pub fn root_of(&self, state: &StateFile) -> Option<String> {
        let own = parent_dir(&state.origin);
        let mut best: Option<(usize, bool, &String)> = None;
        for (dir, info) in &self.dirs {
            let score = state
                .resources
                .iter()
                .filter(|r| {
                    if r.module.is_empty() {
                        info.resources.contains(&(r.ty.clone(), r.name.clone()))
                    } else {
                        let first = strip_keys(&r.module);
                        let name = first
                            .strip_prefix("module.")
                            .and_then(|m| m.split('.').next())
                            .unwrap_or_default();
                        info.modules.contains(name)
                    }
                })
                .count();
            if score == 0 {
                continue;
            }
            let is_own = dir == own;
            // A state kept next to its configuration belongs to it whenever it matches at all.
            let better = match best {
                None => true,
                Some((s, o, _)) => !o && (is_own || score > s),
            };
            if better {
                best = Some((score, is_own, dir));
            }
        }
        best.map(|(_, _, d)| d.clone())
    }

    /// The evaluated root module in `dir` (loaded on first use).
    pub fn root(&mut self, dir: &str) -> &Root {
        let files = self.files;
        self.roots.entry(dir.to_string()).or_insert_with(|| {
            let loaded = crate::load::terraform::load_root(
                files,
                dir,
                &LoadOptions::default(),
                &IacOptions {
                    skip_related: true,
                    ..IacOptions::default()
                },
            );
            let mut by_address = HashMap::new();
            let mut by_block = HashMap::new();
            for (i, d) in loaded.documents.iter().enumerate() {
                if let Some(s) = &d.subject {
                    by_address.entry(s.address.clone()).or_insert(i);
                    by_block.entry(strip_keys(&s.address)).or_insert(i);
                }
            }
            Root {
                docs: loaded.documents,
                by_address,
                by_block,
            }
        })
    }
}

impl Root {
    /// The document of a state instance: same address, else the same block (an instance
    /// whose key the loader could not know before apply).
    pub fn doc(&self, r: &StateResource) -> Option<&Document> {
        self.by_address
            .get(&r.address)
            .or_else(|| self.by_block.get(&strip_keys(&r.address)))
            .map(|&i| &self.docs[i])
    }
}

/// Where an attribute of a declared resource is: the deepest node of `attributes.<path>` the
/// `.tf` document has (the resource block when the attribute is not written there).
pub fn place(
    doc: &Document,
    path: &[PathSeg],
) -> (
    std::sync::Arc<crate::load::SourceFile>,
    crate::model::Region,
) {
    let mut full = vec![PathSeg::Key("attributes".into())];
    full.extend(path.iter().cloned());
    let located = doc.node.locate(&full);
    if located.depth <= 1 && located.entry.is_none_or(|e| e.key == "attributes") {
        // Not written in the block: the block's first line.
        let file = doc.file_of(&doc.node);
        let start = doc.node.start;
        let len = file
            .lines
            .line_text(&file.text, start.line)
            .map_or(0, |l| l.trim_end().chars().count() as u32);
        let end = crate::model::Pos::new(start.line, (len + 1).max(start.column + 1));
        return (
            std::sync::Arc::clone(file),
            crate::model::Region { start, end },
        );
    }
    let (file, region) = crate::policy::eval::place_of(doc, &full);
    (std::sync::Arc::clone(file), region)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(origin: &str, resources: &[(&str, &str)]) -> StateFile {
        StateFile {
            origin: origin.into(),
            terraform_version: String::new(),
            serial: 0,
            lineage: String::new(),
            resources: resources
                .iter()
                .map(|(ty, name)| StateResource {
                    address: format!("{ty}.{name}"),
                    ty: ty.to_string(),
                    name: name.to_string(),
                    module: String::new(),
                    provider: String::new(),
                    attributes: serde_json::json!({}),
                    sensitive: Vec::new(),
                    region: None,
                    account: None,
                })
                .collect(),
            notifications: Vec::new(),
        }
    }

    #[test]
    fn the_root_is_the_states_own_directory_else_the_best_match() {
        let files = crate::load::MemFiles::new([
            (
                "a/main.tf",
                "resource \"aws_vpc\" \"main\" {}\nresource \"aws_subnet\" \"a\" {}\n",
            ),
            ("b/main.tf", "resource \"aws_vpc\" \"main\" {}\n"),
            ("c/main.tf", "module \"net\" {\n  source = \"../a\"\n}\n"),
            (
                "d/main.tf.json",
                r#"{"resource": {"aws_iam_role": {"r": {"name": "r"}}}}"#,
            ),
        ]);
        let m = HclMapper::new(&files);
        let both = [("aws_vpc", "main"), ("aws_subnet", "a")];
        assert_eq!(
            m.root_of(&state("s3://x/y.tfstate", &both)).as_deref(),
            Some("a")
        );
        assert_eq!(
            m.root_of(&state("b/terraform.tfstate", &both)).as_deref(),
            Some("b")
        );
        assert_eq!(
            m.root_of(&state("x.tfstate", &[("aws_iam_role", "x")])),
            None
        );
        assert_eq!(
            m.root_of(&state("x.tfstate", &[("aws_iam_role", "r")]))
                .as_deref(),
            Some("d"),
            "a .tf.json root"
        );
        let mut in_module = state("s.tfstate", &both);
        for r in &mut in_module.resources {
            r.module = "module.net".into();
        }
        assert_eq!(m.root_of(&in_module).as_deref(), Some("c"));
    }

    #[test]
    fn keys_are_stripped_outside_quotes() {
        assert_eq!(
            strip_keys("module.a[\"x]\"].aws_s3_bucket.b[0]"),
            "module.a.aws_s3_bucket.b"
        );
        assert_eq!(strip_keys("aws_vpc.main"), "aws_vpc.main");
    }
}
