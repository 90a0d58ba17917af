//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz) and for their regression tests.
//!
//! Each function takes the raw bytes a scanned repository (or a report file) could hold and
//! runs them through the code a scan runs on them, in memory: no file is read or written.
//! None of them returns anything: the targets look for panics, hangs and runaway memory, which
//! invariant 7 of DESIGN.md ("the scanned repository is untrusted") rules out.
//!
//! Several inputs are a small tree of files in one buffer ([`split_tree`]):
//!
//! ```text
//! ==> overlay/kustomization.yaml <==
//! resources: [../base]
//! ==> base/kustomization.yaml <==
//! resources: [pod.yaml]
//! ```
//!
//! Not a stable API: it exists for `fuzz/` and `tests/fuzz_regressions.rs`.

use crate::load::{self, Document, Files, Group, IacOptions, LoadOptions, Loaded, SourceFile};
use crate::source::Format;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

/// The stack a scan loads and evaluates on (the binary's rayon workers: `src/main.rs`), so
/// that the targets overflow where a scan would, and only there.
const SCAN_STACK_BYTES: usize = 16 << 20;

/// Runs `f` on a thread with the scan's stack; a panic in it is raised again here, where the
/// fuzzer sees it.
fn on_scan_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(SCAN_STACK_BYTES)
            .spawn_scoped(scope, f)
            .expect("spawn a fuzzing worker thread");
        match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The line that starts a file of a tree input: `==> path <==`.
const HEADER_START: &str = "==> ";
const HEADER_END: &str = " <==";

/// At most this many files in one tree input (more add nothing a fuzzer needs).
const MAX_FILES: usize = 64;

/// Splits a tree input into `(path, text)` pairs. Text before the first header (or the whole
/// input when there is none) is the file `default_path`. Paths are normalised as a listing
/// gives them: relative, `/`-separated, without `.`, `..` or empty parts. A later file of the
/// same path replaces an earlier one.
pub fn split_tree(data: &[u8], default_path: &str) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(data);
    let mut files = BTreeMap::new();
    let mut path = Some(default_path.to_string());
    let mut body = String::new();
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = bare
            .strip_prefix(HEADER_START)
            .and_then(|r| r.strip_suffix(HEADER_END))
        {
            if let Some(p) = path.take() {
                if !body.is_empty() || p != default_path {
                    files.insert(p, std::mem::take(&mut body));
                }
            }
            body.clear();
            path = normalise(name);
            if files.len() >= MAX_FILES {
                path = None;
                break;
            }
            continue;
        }
        body.push_str(line);
    }
    if let Some(p) = path {
        if !body.is_empty() || p != default_path {
            files.insert(p, body);
        }
    }
    files
}

fn normalise(path: &str) -> Option<String> {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// An in-memory tree as a scan sees it: the listing holds the files of a format the scan
/// loads; the others (a generator's `.env`, a chart's `.tpl` helpers) are reachable through
/// `read_unlisted` and `unlisted_under` only, and a `.tgz` through `read_bytes`.
struct TreeFiles {
    listed: Vec<String>,
    files: BTreeMap<String, Arc<SourceFile>>,
}

impl TreeFiles {
    fn new(tree: BTreeMap<String, String>) -> Self {
        let files: BTreeMap<String, Arc<SourceFile>> = tree
            .into_iter()
            .map(|(p, t)| (p.clone(), Arc::new(SourceFile::new(p, t))))
            .collect();
        let listed = files
            .keys()
            .filter(|p| Format::of_path(p).is_some())
            .cloned()
            .collect();
        Self { listed, files }
    }
}

impl Files for TreeFiles {
    fn paths(&self) -> &[String] {
        &self.listed
    }

    fn read(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        self.listed
            .binary_search_by(|p| p.as_str().cmp(path))
            .ok()
            .and_then(|_| self.files.get(path).cloned().map(Ok))
    }

    fn read_unlisted(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        self.files.get(path).cloned().map(Ok)
    }

    fn unlisted_under(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{dir}/");
        self.files
            .keys()
            .filter(|p| dir.is_empty() || p.starts_with(&prefix))
            .filter(|p| self.listed.binary_search(p).is_err())
            .cloned()
            .collect()
    }

    /// A `.tgz` (a packaged Helm subchart) is binary: its text in a tree input is its bytes
    /// in base64 (the text itself when it is not base64, so the fuzzer also reaches the
    /// archive reader with bytes of its own).
    fn read_bytes(&self, path: &str) -> Option<Result<Vec<u8>, String>> {
        use base64::Engine;
        let file = self.files.get(path)?;
        if !path.ends_with(".tgz") {
            return Some(Ok(file.text.as_bytes().to_vec()));
        }
        let compact: String = file.text.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .unwrap_or_else(|_| file.text.as_bytes().to_vec());
        Some(Ok(bytes))
    }
}

/// Load options: the defaults, and on inputs of odd length the skipping of bodies of kinds
/// no policy reads (as a scan with policies does), so both parser paths are exercised.
fn options(data: &[u8]) -> LoadOptions {
    let mut opts = LoadOptions::default();
    if data.len() % 2 == 1 {
        let kinds: BTreeSet<String> = ["Pod", "Deployment", "Namespace", "NetworkPolicy"]
            .into_iter()
            .map(str::to_string)
            .collect();
        opts.keep_kinds = Some(Arc::new(kinds));
    }
    opts
}

/// Everything a scan does with loaded documents short of evaluating policies: the inline
/// waivers of their files, and the policy input of each document.
fn use_loaded(loaded: &[Loaded]) -> Vec<&Document> {
    let docs: Vec<&Document> = loaded.iter().flat_map(|l| &l.documents).collect();
    for l in loaded {
        let _ = crate::triage::waiver::inline::collect(&l.documents);
    }
    // What a scan builds of each document: its policy input (with `input.related`).
    for doc in &docs {
        let _ = doc.to_rego();
        let _ = doc.kind();
    }
    docs
}

/// Loads a tree as a scan does: the groups (Terraform root modules, kustomizations), then
/// every listed file no group consumed, on its own.
fn load_tree(files: &TreeFiles, opts: &LoadOptions, iac: &IacOptions) -> Vec<Loaded> {
    let plan = load::plan(files);
    let mut out: Vec<Loaded> = plan
        .groups
        .iter()
        .map(|g| load::load_group(files, g, opts, iac))
        .collect();
    for path in files.paths() {
        if plan.consumed.contains(path) {
            continue;
        }
        if let Some(Ok(file)) = files.read(path) {
            out.push(load::load_single(path, file.text.as_bytes(), opts, files));
        }
    }
    out
}

/// One file on its own, as a scan loads a file that belongs to no group: `path` decides the
/// format (YAML, JSON, Dockerfile), and CloudFormation templates and Terraform plans are
/// recognised by content.
pub fn single_file(path: &str, data: &[u8]) {
    on_scan_stack(|| single_file_on_stack(path, data))
}

fn single_file_on_stack(path: &str, data: &[u8]) {
    let files = load::MemFiles::default();
    let loaded = load::load_single(path, data, &options(data), &files);
    use_loaded(std::slice::from_ref(&loaded));
}

/// A tree of files ([`split_tree`]; text before the first header is `default_path`), loaded
/// as a scan loads a repository: Terraform modules, kustomizations, Helm charts and single
/// files.
pub fn tree(data: &[u8], default_path: &str) {
    on_scan_stack(|| tree_on_stack(data, default_path))
}

fn tree_on_stack(data: &[u8], default_path: &str) {
    let files = TreeFiles::new(split_tree(data, default_path));
    let loaded = load_tree(&files, &options(data), &IacOptions::default());
    use_loaded(&loaded);
}

/// Terraform variable values: the input is `terraform.tfvars` (or, with `json`,
/// `terraform.tfvars.json`) of a root module whose `main.tf` declares variables of every
/// type and uses them; a tree input may replace or add files.
pub fn tfvars(data: &[u8], json: bool) {
    on_scan_stack(|| tfvars_on_stack(data, json))
}

fn tfvars_on_stack(data: &[u8], json: bool) {
    let name = if json {
        "terraform.tfvars.json"
    } else {
        "terraform.tfvars"
    };
    let mut tree = split_tree(data, name);
    tree.entry("main.tf".to_string())
        .or_insert_with(|| TFVARS_MODULE.to_string());
    let files = TreeFiles::new(tree);
    let iac = IacOptions {
        vars: vec![("name".into(), "cli".into())],
        ..IacOptions::default()
    };
    let loaded = load_tree(&files, &options(data), &iac);
    use_loaded(&loaded);
}

/// The module the tfvars target assigns variables of.
const TFVARS_MODULE: &str = r#"
variable "name" { type = string }
variable "count_n" {
  type    = number
  default = 1
}
variable "enabled" { type = bool }
variable "tags" { type = map(string) }
variable "zones" { type = list(string) }
variable "rules" {
  type = list(object({ port = number, cidr = optional(string, "0.0.0.0/0") }))
}
variable "anything" {}
resource "aws_s3_bucket" "b" {
  count  = var.enabled ? var.count_n : 0
  bucket = "${var.name}-${count.index}"
  tags   = merge(var.tags, { zones = join(",", var.zones) })
}
resource "aws_security_group" "sg" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      cidr_blocks = [ingress.value.cidr]
    }
  }
  description = jsonencode(var.anything)
}
"#;

/// A Terraform state, as `--tfstate` reads it for the AWS drift check, and as a scan loads it
/// when it is named `.json` (the `terraform show -json` form).
pub fn tfstate(data: &[u8]) {
    on_scan_stack(|| tfstate_on_stack(data))
}

fn tfstate_on_stack(data: &[u8]) {
    let _ = crate::load::terraform::state::parse_state(data, "terraform.tfstate");
    single_file_on_stack("state.json", data);
}

/// The waiver file (`.plumbline/waivers.yaml`), applied to findings. After a line
/// `==> findings <==`, each line `rule<TAB>file<TAB>address<TAB>Kind/ns/name` is a finding
/// (the selectors' globs and address patterns are matched against them).
pub fn waiver_file(data: &[u8]) {
    on_scan_stack(|| waiver_file_on_stack(data))
}

fn waiver_file_on_stack(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (yaml, findings) = match text.split_once("\n==> findings <==\n") {
        Some((y, f)) => (y, f),
        None => (
            &*text,
            "PL-K8S-0001\tdeploy/app.yaml\tmodule.a.aws_s3_bucket.b[0]\tDeployment/shop/web",
        ),
    };
    let Ok(mut waivers) = crate::triage::waiver::file::parse(".plumbline/waivers.yaml", yaml)
    else {
        return;
    };
    let mut findings: Vec<crate::model::Finding> = findings.lines().map(finding).collect();
    let paths: Vec<&str> = findings.iter().map(|f| f.file.as_str()).collect();
    crate::triage::waiver::file::set_scope(&mut waivers, &paths, &[], true);
    let today = crate::date::Date {
        year: 2025,
        month: 1,
        day: 1,
    };
    let _ = crate::triage::waiver::apply(&mut findings, &waivers, today, &[]);
}

fn finding(line: &str) -> crate::model::Finding {
    use crate::model::{Finding, FindingLevel, Pos, Region, ResourceId, Severity, Subject};
    let mut parts = line.split('\t');
    let mut next = || parts.next().unwrap_or_default().to_string();
    let (rule_id, file, address, resource) = (next(), next(), next(), next());
    let mut id = resource.splitn(3, '/');
    let kind = id.next().unwrap_or_default().to_string();
    let namespace = id.next().map(str::to_string);
    let name = id.next().unwrap_or_default().to_string();
    let at = Pos::new(1, 1);
    Finding {
        rule_id,
        severity: Severity::High,
        level: FindingLevel::Error,
        message: String::new(),
        file,
        region: Region { start: at, end: at },
        resource: Some(ResourceId {
            api_version: "v1".into(),
            kind,
            namespace,
            name,
        }),
        subject: Some(Subject {
            source: "terraform".into(),
            kind: "aws_s3_bucket".into(),
            address,
            via: Vec::new(),
        }),
        document: 0,
        field_path: Vec::new(),
        fingerprint: String::new(),
        live: None,
        suppressions: Vec::new(),
        related: Vec::new(),
        baseline_state: None,
    }
}

/// One waiver comment (`# plumbline:ignore RULE reason`), through its grammar.
pub fn waiver_comment(data: &[u8]) {
    on_scan_stack(|| waiver_comment_on_stack(data))
}

fn waiver_comment_on_stack(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::triage::waiver::grammar::parse_comment(&text);
    let _ = crate::triage::waiver::grammar::parse_spec(&text);
}

/// Inline waivers (comments, and the `plumbline.dev/ignore` annotation): the first byte picks
/// the kind of file the rest is (YAML, Terraform, Dockerfile, CloudFormation), which is loaded
/// and its waivers collected; each line also goes through the comment grammar alone.
pub fn inline_waivers(data: &[u8]) {
    on_scan_stack(|| inline_waivers_on_stack(data))
}

fn inline_waivers_on_stack(data: &[u8]) {
    const PATHS: [&str; 4] = ["deploy.yaml", "main.tf", "Dockerfile", "template.yaml"];
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    tree_on_stack(rest, PATHS[usize::from(*first) % PATHS.len()]);
    for line in String::from_utf8_lossy(rest).lines() {
        waiver_comment_on_stack(line.as_bytes());
    }
}

/// `.plumbline.yaml`, read and checked as `config::load` does (without the disk).
pub fn config(data: &[u8]) {
    on_scan_stack(|| config_on_stack(data))
}

fn config_on_stack(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(config) = serde_saphyr::from_str::<Option<crate::config::Config>>(&text) else {
        return;
    };
    let config = config.unwrap_or_default();
    let _ = config.severity_overrides();
    let _ = config.aws_section();
    let _ = config.drift_rules();
}

/// A report file as `report`, `merge` and `--baseline` read it (JSON or SARIF), then merged,
/// compared as a baseline, and written again in every format those commands write.
pub fn report(data: &[u8]) {
    on_scan_stack(|| report_on_stack(data))
}

fn report_on_stack(data: &[u8]) {
    let Ok(reports) = crate::report::read::parse(data, "report.json") else {
        return;
    };
    for r in &reports {
        let mut current = r.findings.clone();
        crate::triage::baseline::compare(&mut current, &r.findings);
    }
    if let Ok(analyses) = crate::report::merge::merge(reports.clone(), None) {
        for a in &analyses {
            let _ = crate::report::sarif::render(&a.result, &a.category);
            let _ = crate::report::json::render(&a.result, &a.category);
            let _ = crate::report::text::render(&a.result, false);
        }
    }
    let dated: Vec<crate::report::html::DatedReport> = reports
        .into_iter()
        .map(|report| {
            let time = report.end_time.clone().or(report.commit_time.clone());
            let date = time
                .as_deref()
                .and_then(crate::date::Date::parse)
                .unwrap_or(crate::date::Date::from_unix(0));
            crate::report::html::DatedReport {
                report,
                date,
                date_source: crate::report::html::DateSource::CommitTime,
                time,
            }
        })
        .collect();
    let _ = crate::report::html::render(&dated);
}

/// The built-in policies, compiled once per process.
fn builtin_policies() -> &'static crate::policy::PolicySet {
    static SET: OnceLock<crate::policy::PolicySet> = OnceLock::new();
    SET.get_or_init(|| {
        crate::policy::load(&crate::policy::Settings::default())
            .expect("the built-in policies compile")
    })
}

/// A tree loaded as a scan loads it, then every document evaluated against the built-in
/// policies, and the namespace rules run over all of them.
pub fn policies(data: &[u8], default_path: &str) {
    on_scan_stack(|| policies_on_stack(data, default_path))
}

fn policies_on_stack(data: &[u8], default_path: &str) {
    let set = builtin_policies();
    let files = TreeFiles::new(split_tree(data, default_path));
    let opts = LoadOptions {
        keep_kinds: set.kinds_read().map(Arc::new),
        ..LoadOptions::default()
    };
    let loaded = load_tree(&files, &opts, &IacOptions::default());
    use_loaded(&loaded);
    let mut engine = set.engine.clone();
    for doc in loaded.iter().flat_map(|l| &l.documents) {
        let _ = crate::policy::eval::evaluate(
            &mut engine,
            set,
            doc,
            crate::policy::eval::Mode::Batched,
        );
    }
    let mut documents: Vec<Document> = loaded.into_iter().flat_map(|l| l.documents).collect();
    let _ = crate::policy::namespace::run(&mut documents, set);
}

/// The groups a tree input forms (for tests of the tree format).
pub fn groups(data: &[u8], default_path: &str) -> Vec<Group> {
    load::plan(&TreeFiles::new(split_tree(data, default_path))).groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_input_names_its_files() {
        let tree = split_tree(
            b"top: 1\n==> a/./b/../c.yaml <==\nx: 1\n==> /k/kustomization.yaml <==\nresources: []\n",
            "root.yaml",
        );
        let names: Vec<&str> = tree.keys().map(String::as_str).collect();
        assert_eq!(names, ["a/b/c.yaml", "k/kustomization.yaml", "root.yaml"]);
        assert_eq!(tree["a/b/c.yaml"], "x: 1\n");
    }

    #[test]
    fn a_kustomization_in_a_tree_is_a_group() {
        let data =
            b"==> k/kustomization.yaml <==\nresources: [pod.yaml]\n==> k/pod.yaml <==\nkind: Pod\n";
        assert_eq!(groups(data, "x.yaml"), [Group::Kustomization("k".into())]);
        tree(data, "x.yaml");
    }

    #[test]
    fn a_packaged_subchart_in_a_tree_is_read_from_its_base64() {
        use base64::Engine;
        use std::io::Write;
        let mut b = tar::Builder::new(Vec::new());
        for (p, t) in [
            (
                "web/Chart.yaml",
                "apiVersion: v2\nname: web\nversion: 0.2.1\n",
            ),
            (
                "web/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
            ),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(t.len() as u64);
            b.append_data(&mut h, p, t.as_bytes()).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b.into_inner().unwrap()).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        let data = format!(
            "apiVersion: v2\nname: app\nversion: 1.0.0\n==> charts/web-0.2.1.tgz <==\n{b64}\n"
        );
        let files = TreeFiles::new(split_tree(data.as_bytes(), "Chart.yaml"));
        let loaded = load_tree(&files, &LoadOptions::default(), &IacOptions::default());
        let from_archive: Vec<&str> = loaded
            .iter()
            .flat_map(|l| &l.documents)
            .map(|d| d.file.path.as_str())
            .collect();
        assert_eq!(from_archive, ["charts/web-0.2.1.tgz"]);
        tree(data.as_bytes(), "Chart.yaml");
    }
}
