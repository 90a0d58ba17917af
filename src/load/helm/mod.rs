//! Helm charts, rendered in-process as `helm template` renders them (helm v4): a directory
//! with a `Chart.yaml` is a chart; its templates are Go templates (`gotmpl`, with the sprig
//! and Helm functions of `funcs/`), rendered with the chart's values merged as Helm merges
//! them (`values.rs`) into manifests that the Kubernetes loader then reads.
//!
//! The parts:
//! - `chart.rs`: loading a chart and its subcharts from the scanned tree (`Chart.yaml`,
//!   `values.yaml`, `values.schema.json`, `templates/`, `crds/`, other files for `.Files`,
//!   `charts/` (subchart directories, and `.tgz` archives read in memory by
//!   `chart_archive.rs`), `.helmignore`, dependencies).
//! - `values.rs`: the values a release renders with: defaults, subchart sections, globals,
//!   dependency conditions and tags, aliases, `import-values`, user values files and
//!   `--set`, and the schema check.
//! - `funcs/`: the template functions (Go's builtins come with `gotmpl`; sprig's and Helm's
//!   pure functions here), and the conversions between JSON values and template values.
//! - `engine.rs`: the render: the template set of a chart and its subcharts, `include`,
//!   `tpl`, `required`, `fail`, `lookup`, the objects templates see (`.Values`, `.Chart`,
//!   `.Release`, `.Capabilities`, `.Template`, `.Files`), and the manifests in Helm's order.

pub mod chart;
pub mod engine;
pub mod funcs;
pub mod group;
pub mod positions;
pub mod release;
pub mod values;

use std::sync::Arc;

/// A file of a chart: its path relative to the chart's directory (`templates/deploy.yaml`,
/// `files/conf.ini`), with `/` separators, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    pub path: String,
    pub bytes: Arc<[u8]>,
}

impl ChartFile {
    /// The file as text (lossy for invalid UTF-8, as Go's string conversion keeps bytes).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

/// Where a chart's files come from: the scanned tree (a Git revision or a working tree), or
/// memory in tests. Paths are repository-relative with `/` separators.
pub trait ChartSource: Sync {
    /// Every file under `dir` (recursively), sorted; directories are not listed.
    fn list(&self, dir: &str) -> Vec<String>;
    /// The bytes of one file, `None` when there is no such file.
    fn read(&self, path: &str) -> Option<Arc<[u8]>>;
}

/// Files held in memory (tests).
#[derive(Debug, Default, Clone)]
pub struct MemSource {
    pub files: std::collections::BTreeMap<String, Arc<[u8]>>,
}

impl MemSource {
    pub fn new<P: Into<String>, B: AsRef<[u8]>>(files: impl IntoIterator<Item = (P, B)>) -> Self {
        Self {
            files: files
                .into_iter()
                .map(|(p, b)| (p.into(), Arc::from(b.as_ref())))
                .collect(),
        }
    }

    /// The files under a directory of the disk, with paths relative to `root` (tests).
    pub fn from_dir(root: &std::path::Path) -> std::io::Result<Self> {
        fn walk(
            root: &std::path::Path,
            dir: &std::path::Path,
            out: &mut std::collections::BTreeMap<String, Arc<[u8]>>,
        ) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    walk(root, &path, out)?;
                } else if path.is_file() {
                    let rel = path
                        .strip_prefix(root)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.insert(rel, Arc::from(std::fs::read(&path)?));
                }
            }
            Ok(())
        }
        let mut files = std::collections::BTreeMap::new();
        walk(root, root, &mut files)?;
        Ok(Self { files })
    }
}

impl ChartSource for MemSource {
    fn list(&self, dir: &str) -> Vec<String> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{}/", dir.trim_end_matches('/'))
        };
        self.files
            .keys()
            .filter(|p| p.starts_with(&prefix))
            .cloned()
            .collect()
    }

    fn read(&self, path: &str) -> Option<Arc<[u8]>> {
        self.files.get(path).cloned()
    }
}
