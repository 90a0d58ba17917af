//! Helm charts rendered during `plumbline scan`, end to end: real charts of the shared corpus
//! (`../shared/corpus/helm/`, skipped when absent) scanned as a working tree and at a Git
//! revision, and the small charts of `fixtures/helm/` for render failures, subcharts and
//! library charts, inline waivers in templates, and plain manifests beside a chart.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm")
}

/// The Helm corpus (`charts/`, `goldens/`, `INDEX.json`), when present.
fn corpus() -> Option<PathBuf> {
    let shared = std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("corpus/helm");
    dir.join("INDEX.json").exists().then_some(dir)
}

/// Copies fixture charts (`fixtures/helm/<name>`) into a new temporary directory, each under
/// its own name.
fn fixture_tree(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for n in names {
        copy_dir(&fixtures().join(n), &dir.path().join(n));
    }
    dir
}

/// Copies a corpus chart (`charts/<chart>` of `INDEX.json`) to `<dir>/<to>`.
fn copy_corpus_chart(corpus: &Path, chart: &str, dir: &Path, to: &str) {
    copy_dir(&corpus.join("charts").join(chart), &dir.join(to));
}

/// Scans `dir` (the working tree with `worktree`, else its checked-out revision) as JSON.
fn scan(dir: &Path, worktree: bool) -> Run {
    let mut args = vec!["scan", ".", "-f", "json"];
    if worktree {
        args.push("--worktree");
    }
    let run = plumbline(dir, &args);
    assert!(
        !run.stderr.contains("panicked"),
        "plumbline panicked:\n{}",
        run.stderr
    );
    assert!(
        [0, 1, 3].contains(&run.code),
        "exit {}:\n{}",
        run.code,
        run.stderr
    );
    run
}

/// Where the template emitted a finding's field: its related location when the finding is
/// at the values line that set the field, else the finding's own place.
fn emitted(f: &Value) -> (String, u64) {
    let at = match f["related"].get(0) {
        Some(r) => {
            let file = f["file"].as_str().unwrap();
            assert!(
                file.ends_with("values.yaml"),
                "placed on a values file: {f:#}"
            );
            r
        }
        None => f,
    };
    (
        at["file"].as_str().unwrap().to_string(),
        at["startLine"].as_u64().unwrap(),
    )
}

fn findings(r: &Value) -> &Vec<Value> {
    r["findings"].as_array().unwrap()
}

fn notes(r: &Value) -> &Vec<Value> {
    r["notifications"].as_array().unwrap()
}

fn documents(r: &Value) -> u64 {
    r["summary"]["documents"].as_u64().unwrap()
}

/// The document count `helm template` printed for a corpus chart with default values and
/// `--include-crds` (plumbline renders CRDs too): the `default-include-crds` case where the
/// chart has one, else `default`.
fn golden_documents(corpus: &Path, chart: &str) -> u64 {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("INDEX.json")).unwrap()).unwrap();
    let entry = index
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chart"] == chart)
        .unwrap_or_else(|| panic!("{chart} not in INDEX.json"));
    let cases = entry["cases"].as_array().unwrap();
    let case = |name: &str| cases.iter().find(|c| c["case"] == name);
    let case = case("default-include-crds")
        .or_else(|| case("default"))
        .unwrap();
    assert_eq!(case["exit_code"], 0, "{chart}: helm failed on defaults");
    case["documents"].as_u64().unwrap()
}

/// Line `n` (1-based) of a file.
fn line(path: &Path, n: u64) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .nth(n as usize - 1)
        .unwrap_or_else(|| panic!("{path:?} has no line {n}"))
        .to_string()
}

/// The 1-based line of `file` holding `text`.
fn line_of(path: &Path, text: &str) -> u64 {
    let body = std::fs::read_to_string(path).unwrap();
    body.lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} not in {path:?}")) as u64
        + 1
}

/// What the chart loading must never give: a parse finding, or a parse or render error.
fn assert_rendered_cleanly(r: &Value, what: &str) {
    let parse: Vec<&Value> = findings(r)
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-PARSE"))
        .collect();
    assert!(parse.is_empty(), "{what}: parse findings {parse:#?}");
    let errors: Vec<&Value> = notes(r)
        .iter()
        .filter(|n| {
            n["level"] == "error"
                || n["code"].as_str().unwrap().contains("parse")
                || n["code"].as_str().unwrap().starts_with("helm-")
        })
        .collect();
    assert!(errors.is_empty(), "{what}: notifications {errors:#?}");
    assert_eq!(r["summary"]["incomplete"], false, "{what}");
}

/// Findings without the run-specific parts, in report order: everything a reader compares
/// between two scans of the same content.
fn comparable(r: &Value) -> Vec<Value> {
    findings(r)
        .iter()
        .map(|f| {
            serde_json::json!([
                f["ruleId"],
                f["file"],
                f["startLine"],
                f["startColumn"],
                f["endLine"],
                f["fieldPath"],
                f["resource"],
                f["message"],
                f["fingerprint"],
            ])
        })
        .collect()
}

const METRICS_SERVER: &str = "kubernetes-sigs/metrics-server/charts/metrics-server";
/// Where the tests put metrics-server in their temporary trees.
const MS: &str = "metrics-server";

// ---------------------------------------------------------------------------------------------
// 1. A real chart as a working tree.

#[test]
fn a_real_chart_in_a_working_tree_loads_what_helm_renders_at_its_template_lines() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: no ../shared/corpus/helm");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_corpus_chart(&corpus, METRICS_SERVER, dir.path(), MS);
    let run = scan(dir.path(), true);
    assert_eq!(run.code, 1, "findings and complete: {}", run.stderr);
    let r = run.json();
    assert_rendered_cleanly(&r, "metrics-server");
    assert_eq!(
        documents(&r),
        golden_documents(&corpus, METRICS_SERVER),
        "the documents helm template renders"
    );

    // Every finding is on a template of the chart, on a line that exists there.
    let templates = format!("{MS}/templates/");
    assert!(!findings(&r).is_empty());
    for f in findings(&r) {
        let (file, at) = emitted(f);
        assert!(file.starts_with(&templates), "{file} is not a template");
        assert!(file.ends_with(".yaml"), "{file}");
        line(&dir.path().join(&file), at);
    }

    // Findings on a field land on the template line that holds the field's key.
    let deployment = dir.path().join(MS).join("templates/deployment.yaml");
    let at = |rule: &str| -> Vec<(String, u64)> {
        findings(&r)
            .iter()
            .filter(|f| f["ruleId"] == rule)
            .map(emitted)
            .collect()
    };
    let dep = format!("{MS}/templates/deployment.yaml");
    for (rule, key) in [
        ("PL-K8S-0020", "resources:"),
        ("PL-K8S-0021", "resources:"),
        ("PL-K8S-0025", "image:"),
    ] {
        let hits = at(rule);
        assert_eq!(hits.len(), 1, "{rule}: {hits:?}");
        assert_eq!(hits[0].0, dep, "{rule}");
        let text = line(&deployment, hits[0].1);
        assert!(
            text.trim_start().starts_with(key),
            "{rule} at line {} `{text}`, expected the `{key}` line",
            hits[0].1
        );
    }
    // The exact lines, so a shifted map fails too.
    assert_eq!(
        at("PL-K8S-0020")[0].1,
        line_of(&deployment, "          resources:")
    );
    assert_eq!(
        at("PL-K8S-0025")[0].1,
        line_of(&deployment, "image: {{ include \"metrics-server.image\"")
    );
    // The default-namespace finding of the Deployment points at its `namespace:` line.
    let ns = findings(&r)
        .iter()
        .find(|f| f["ruleId"] == "PL-K8S-0026" && emitted(f).0 == dep.as_str())
        .expect("default-namespace finding on the Deployment");
    assert_eq!(
        ns["startLine"].as_u64().unwrap(),
        line_of(&deployment, "  namespace: {{ include")
    );
    // Resource names come from the `.tpl` helpers, rendered with release-name.
    assert!(findings(&r)
        .iter()
        .any(|f| f["resource"]["name"] == "release-name-metrics-server"));
}

/// Every chart of the corpus that `helm template` renders with its defaults loads as many
/// documents as helm printed (with CRDs), without parse or render errors. The charts of the
/// bugs below are left out here and tested on their own.
#[test]
fn real_charts_load_as_many_documents_as_helm_renders() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: no ../shared/corpus/helm");
        return;
    };
    for chart in [
        METRICS_SERVER,
        "kubernetes/ingress-nginx/charts/ingress-nginx",
        "cert-manager/cert-manager/deploy/charts/cert-manager",
        // subcharts under charts/ (alertmanager, kube-state-metrics, node-exporter, ...)
        "prometheus-community/helm-charts/charts/prometheus",
        // CRDs in a `crds` subchart, rendered with --include-crds
        "prometheus-community/helm-charts/charts/kube-prometheus-stack",
        "grafana-community/helm-charts/charts/grafana",
        "fluent/helm-charts/charts/fluent-bit",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let name = chart.rsplit('/').next().unwrap();
        copy_corpus_chart(&corpus, chart, dir.path(), name);
        let r = scan(dir.path(), true).json();
        assert_rendered_cleanly(&r, chart);
        assert_eq!(
            documents(&r),
            golden_documents(&corpus, chart),
            "{chart}: documents"
        );
        for f in findings(&r) {
            let (file, _) = emitted(f);
            assert!(
                file.starts_with(&format!("{name}/")) && file.contains("/templates/"),
                "{chart}: finding outside the chart's templates: {file}"
            );
        }
    }
}

/// A chart whose `crds/` also holds a `kustomization.yaml` (traefik, and
/// aws-load-balancer-controller) is loaded once: the kustomization is the chart's file, not
/// a Kustomization group of its own that would load every CRD a second time.
#[test]
fn a_kustomization_inside_a_chart_does_not_load_its_crds_a_second_time() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: no ../shared/corpus/helm");
        return;
    };
    let chart = "traefik/traefik-helm-chart/traefik";
    let dir = tempfile::tempdir().unwrap();
    copy_corpus_chart(&corpus, chart, dir.path(), "traefik");
    assert!(dir.path().join("traefik/crds/kustomization.yaml").exists());
    let r = scan(dir.path(), true).json();
    assert_rendered_cleanly(&r, chart);
    assert_eq!(documents(&r), golden_documents(&corpus, chart));
}

/// `set` on the root context (`$_ := set . "injectorEnabled" …`, vault's helpers) changes `.`
/// for what follows, as in Helm: the templates gated on such a flag render (before the fix, the
/// chart loaded no document and nothing said so).
#[test]
fn set_on_the_root_context_persists_as_in_helm() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "c/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(d, "c/values.yaml", "{}\n");
    write(
        d,
        "c/templates/_helpers.tpl",
        "{{- define \"c.enabled\" -}}\n{{- $_ := set . \"cEnabled\" true -}}\n{{- end -}}\n",
    );
    write(
        d,
        "c/templates/service.yaml",
        "{{- template \"c.enabled\" . -}}\n{{- if .cEnabled -}}\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n{{- end }}\n",
    );
    let r = scan(d, true).json();
    assert_eq!(documents(&r), 1, "the Service gated on .cEnabled");

    if let Some(corpus) = corpus() {
        let chart = "hashicorp/vault-helm";
        let dir = tempfile::tempdir().unwrap();
        copy_corpus_chart(&corpus, chart, dir.path(), "vault-helm");
        let r = scan(dir.path(), true).json();
        assert_rendered_cleanly(&r, chart);
        assert_eq!(documents(&r), golden_documents(&corpus, chart));
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The same chart at a Git revision.

#[test]
fn a_real_chart_at_a_revision_reads_its_helpers_from_the_commit_and_equals_the_worktree() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: no ../shared/corpus/helm");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    copy_corpus_chart(&corpus, METRICS_SERVER, d, MS);
    commit_all(d, "metrics-server");

    let worktree = scan(d, true);
    let committed = scan(d, false);
    assert_eq!(committed.code, worktree.code, "{}", committed.stderr);
    let (w, c) = (worktree.json(), committed.json());
    assert!(c["target"]["commit"].is_string(), "a revision scan");
    assert_rendered_cleanly(&c, "metrics-server at HEAD");
    assert_eq!(documents(&c), golden_documents(&corpus, METRICS_SERVER));
    assert_eq!(documents(&c), documents(&w));
    assert_eq!(comparable(&c), comparable(&w));
    assert_eq!(notes(&c), notes(&w));

    // The helpers are read from the commit, not from the disk: with `_helpers.tpl` gone from
    // the working tree, the revision still renders the same, and the working tree cannot.
    let helpers = d.join(MS).join("templates/_helpers.tpl");
    std::fs::remove_file(&helpers).unwrap();
    let again = scan(d, false).json();
    assert_eq!(comparable(&again), comparable(&w));
    assert_eq!(documents(&again), documents(&w));
    let broken = scan(d, true);
    assert_eq!(broken.code, 3, "the working tree lacks the helpers");
    let b = broken.json();
    assert!(
        notes(&b).iter().any(|n| n["code"] == "helm-render"),
        "{:#?}",
        notes(&b)
    );

    // A helper changed in a new commit changes what that revision renders.
    copy_corpus_chart(&corpus, METRICS_SERVER, d, MS);
    let text = std::fs::read_to_string(&helpers).unwrap();
    let define = "{{- define \"metrics-server.fullname\" -}}";
    assert!(text.contains(define));
    std::fs::write(
        &helpers,
        text.replace(define, &format!("{define}\n{{{{- \"committed-\" }}}}")),
    )
    .unwrap();
    commit_all(d, "prefix the full name");
    let changed = scan(d, false).json();
    assert_rendered_cleanly(&changed, "metrics-server at the second commit");
    assert!(findings(&changed)
        .iter()
        .any(|f| f["resource"]["name"] == "committed-release-name-metrics-server"));
    assert!(!findings(&changed)
        .iter()
        .any(|f| f["resource"]["name"] == "release-name-metrics-server"));
}

// ---------------------------------------------------------------------------------------------
// 3. `required` with default values.

#[test]
fn a_required_value_missing_from_the_defaults_is_an_error_at_its_line_and_other_charts_scan() {
    let dir = fixture_tree(&["needs-value", "mixed"]);
    let d = dir.path();
    let run = scan(d, true);
    assert_eq!(run.code, 3, "incomplete: {}", run.stderr);
    let r = run.json();
    assert_eq!(r["summary"]["incomplete"], true);
    let template = "needs-value/templates/deployment.yaml";
    let errors: Vec<&Value> = notes(&r).iter().filter(|n| n["level"] == "error").collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = errors[0];
    assert_eq!(e["code"], "helm-render");
    assert_eq!(e["file"], template);
    let path = d.join(template);
    let req_line = line_of(&path, "{{ required ");
    assert_eq!(e["position"]["line"].as_u64().unwrap(), req_line);
    let col = line(&path, req_line).find("required").unwrap() as u64 + 1;
    assert_eq!(e["position"]["column"].as_u64().unwrap(), col);
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("image.tag is required: give the gateway's release tag"),
        "{msg}"
    );
    // Nothing of the failed chart is reported as if it had been checked.
    assert!(findings(&r)
        .iter()
        .all(|f| !f["file"].as_str().unwrap().starts_with("needs-value/")));
    // The other chart and the plain manifest of the same scan are checked.
    let files: std::collections::BTreeSet<&str> = findings(&r)
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(
        files.contains("mixed/chart/templates/deployment.yaml"),
        "{files:?}"
    );
    assert!(files.contains("mixed/manifests/job.yaml"), "{files:?}");
}

/// The same with a real chart: aws-load-balancer-controller requires `clusterName`, and helm
/// fails at `deployment.yaml:67:28` (0-based column); metrics-server beside it is scanned.
#[test]
fn a_real_chart_that_requires_a_value_is_reported_where_helm_reports_it() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: no ../shared/corpus/helm");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let alb = "aws-load-balancer-controller";
    copy_corpus_chart(
        &corpus,
        "aws/eks-charts/stable/aws-load-balancer-controller",
        d,
        alb,
    );
    copy_corpus_chart(&corpus, METRICS_SERVER, d, MS);
    let run = scan(d, true);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    let render: Vec<&Value> = notes(&r)
        .iter()
        .filter(|n| n["code"] == "helm-render")
        .collect();
    assert_eq!(render.len(), 1, "{render:#?}");
    assert_eq!(render[0]["level"], "error");
    assert_eq!(
        render[0]["file"],
        format!("{alb}/templates/deployment.yaml")
    );
    assert_eq!(render[0]["position"]["line"], 67);
    assert_eq!(render[0]["position"]["column"], 29);
    assert!(render[0]["message"]
        .as_str()
        .unwrap()
        .contains("Chart cannot be installed without a valid clusterName!"));
    assert!(findings(&r)
        .iter()
        .all(|f| !f["file"].as_str().unwrap().starts_with(&format!("{alb}/"))));
    let ms_findings = findings(&r)
        .iter()
        .filter(|f| emitted(f).0.starts_with(&format!("{MS}/templates/")))
        .count();
    assert!(ms_findings > 0, "metrics-server is still scanned");
}

// ---------------------------------------------------------------------------------------------
// 4. A function that neither Helm nor plumbline has.

#[test]
fn an_unknown_function_is_an_error_naming_the_template_not_a_crash() {
    let dir = fixture_tree(&["unknown-function", "mixed"]);
    let run = scan(dir.path(), true);
    assert_eq!(run.code, 3, "incomplete: {}", run.stderr);
    let r = run.json();
    let errors: Vec<&Value> = notes(&r).iter().filter(|n| n["level"] == "error").collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = errors[0];
    assert_eq!(e["code"], "helm-render");
    assert_eq!(e["file"], "unknown-function/templates/configmap.yaml");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("notAFunction"), "{msg}");
    assert!(msg.contains("function"), "{msg}");
    // The rest of the scan goes on.
    assert!(findings(&r)
        .iter()
        .any(|f| f["file"] == "mixed/manifests/job.yaml"));
}

/// Helm reports the line of the call (`configmap.yaml:7: function "notAFunction" not
/// defined`); the notification should carry it as the `required` one does.
#[test]
fn an_unknown_function_is_reported_at_its_line() {
    let dir = fixture_tree(&["unknown-function"]);
    let r = scan(dir.path(), true).json();
    let e = notes(&r)
        .iter()
        .find(|n| n["code"] == "helm-render")
        .expect("a helm-render notification");
    let path = dir.path().join("unknown-function/templates/configmap.yaml");
    assert_eq!(
        e["position"]["line"].as_u64(),
        Some(line_of(&path, "notAFunction"))
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Subcharts and library charts.

#[test]
fn subchart_objects_point_at_the_subchart_and_library_templates_render_through_the_parent() {
    let dir = fixture_tree(&["umbrella"]);
    let d = dir.path();
    let run = scan(d, true);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_rendered_cleanly(&r, "umbrella");
    // worker (library template through the parent), the parent's ServiceAccount, web.
    assert_eq!(documents(&r), 3);

    let web = "umbrella/charts/web/templates/deployment.yaml";
    let web_path = d.join(web);
    let of = |name: &str| -> Vec<&Value> {
        findings(&r)
            .iter()
            .filter(|f| f["resource"]["name"] == name)
            .collect()
    };
    let web_findings = of("release-name-web");
    assert!(!web_findings.is_empty());
    for f in &web_findings {
        assert_eq!(emitted(f).0, web, "{f:#}");
    }
    // The subchart's own values (privileged: true) reach its template, at the toYaml line
    // under `securityContext:`; the finding is at the subchart's values line.
    let privileged = web_findings
        .iter()
        .find(|f| f["ruleId"] == "PL-K8S-0003")
        .expect("the subchart's privileged container");
    assert_eq!(privileged["file"], "umbrella/charts/web/values.yaml");
    let values = std::fs::read_to_string(d.join("umbrella/charts/web/values.yaml")).unwrap();
    let vline = privileged["startLine"].as_u64().unwrap() as usize;
    assert!(values
        .lines()
        .nth(vline - 1)
        .unwrap()
        .contains("privileged: true"));
    let at = emitted(privileged).1;
    assert_eq!(
        at,
        line_of(&web_path, "{{- toYaml . | nindent 12 }}"),
        "`{}`",
        line(&web_path, at)
    );
    // The subchart's helpers (`web.image`, from its own `_helpers.tpl`) render.
    let image = web_findings
        .iter()
        .find(|f| f["ruleId"] == "PL-K8S-0025")
        .expect("image finding");
    assert_eq!(
        image["startLine"].as_u64().unwrap(),
        line_of(&web_path, "image: {{ include \"web.image\"")
    );
    // A missing CPU limit sits on the container's first line: the subchart's `- name:`.
    let cpu = web_findings
        .iter()
        .find(|f| f["ruleId"] == "PL-K8S-0020")
        .expect("no CPU limit");
    assert!(line(&web_path, cpu["startLine"].as_u64().unwrap()).contains("- name: storefront"));

    // The library chart renders nothing of its own; what its named templates build is on
    // the parent's template that includes them.
    for f in findings(&r) {
        let file = f["file"].as_str().unwrap();
        assert!(!file.contains("charts/common/"), "library file {file}");
    }
    for f in of("release-name-worker") {
        // Emitted by the one line that includes the library's template (fields the include
        // passed from values are at their values lines).
        assert_eq!(
            emitted(f),
            ("umbrella/templates/worker.yaml".to_string(), 1)
        );
    }
    assert!(of("release-name-worker")
        .iter()
        .any(|f| f["ruleId"] == "PL-K8S-0020"));
    // The library's labels helper ran in the parent's ServiceAccount.
    assert!(of("release-name-shop")
        .iter()
        .all(|f| f["file"] == "umbrella/templates/serviceaccount.yaml"));
    assert!(!of("release-name-shop").is_empty());

    // The subchart's condition is honoured: disabled, it renders nothing.
    let values = d.join("umbrella/values.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    std::fs::write(
        &values,
        text.replace("web:\n  enabled: true", "web:\n  enabled: false"),
    )
    .unwrap();
    let r = scan(d, true).json();
    assert_rendered_cleanly(&r, "umbrella without web");
    assert_eq!(documents(&r), 2);
    assert!(of_name(&r, "release-name-web").is_empty());
}

fn of_name<'a>(r: &'a Value, name: &str) -> Vec<&'a Value> {
    findings(r)
        .iter()
        .filter(|f| f["resource"]["name"] == name)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 6. Inline waivers in templates.

#[test]
fn inline_waivers_in_a_template_apply_to_the_rendered_findings() {
    let dir = fixture_tree(&["waived"]);
    let d = dir.path();
    let r = scan(d, true).json();
    assert_rendered_cleanly(&r, "waived");
    let template = "waived/templates/daemonset.yaml";
    let path = d.join(template);
    let by_rule = |rule: &str| -> &Value {
        findings(&r)
            .iter()
            .find(|f| f["ruleId"] == rule)
            .unwrap_or_else(|| panic!("{rule} missing"))
    };
    let waived_at = |rule: &str| -> (String, String) {
        let f = by_rule(rule);
        assert_eq!(emitted(f).0, template);
        let s = f["suppressions"].as_array().unwrap();
        assert_eq!(s.len(), 1, "{rule} waived: {f:#}");
        assert_eq!(s[0]["kind"], "inSource");
        (
            s[0]["location"].as_str().unwrap().to_string(),
            s[0]["justification"].as_str().unwrap().to_string(),
        )
    };
    // On the line above `resources:` (inside a `with`), covering both limit rules.
    let comment = line_of(&path, "plumbline:ignore PL-K8S-0020,PL-K8S-0021");
    for rule in ["PL-K8S-0020", "PL-K8S-0021"] {
        assert_eq!(
            emitted(by_rule(rule)).1,
            line_of(&path, "          resources:")
        );
        let (loc, why) = waived_at(rule);
        assert_eq!(loc, format!("{template}:{comment}"));
        assert_eq!(
            why,
            "the agent is sized by the node; limits would throttle it"
        );
    }
    // At the end of the line (`hostNetwork: true  # plumbline:ignore …`).
    let (loc, _) = waived_at("PL-K8S-0002");
    assert_eq!(
        loc,
        format!("{template}:{}", line_of(&path, "hostNetwork: true"))
    );
    // At the top of the template: the whole object, for that rule only.
    let (loc, _) = waived_at("PL-K8S-0038");
    assert_eq!(loc, format!("{template}:1"));
    // Others are not waived.
    let open: Vec<&str> = findings(&r)
        .iter()
        .filter(|f| f["suppressions"].as_array().unwrap().is_empty())
        .map(|f| f["ruleId"].as_str().unwrap())
        .collect();
    assert!(open.contains(&"PL-K8S-0025"), "{open:?}");
    assert!(!open
        .iter()
        .any(|r| ["PL-K8S-0020", "PL-K8S-0021", "PL-K8S-0002", "PL-K8S-0038"].contains(r)));
    assert_eq!(r["summary"]["suppressed"], 4);
}

// ---------------------------------------------------------------------------------------------
// 7. Plain manifests beside a chart.

#[test]
fn a_plain_manifest_beside_a_chart_is_scanned_as_without_the_chart() {
    let with_chart = fixture_tree(&["mixed"]);
    let r = scan(with_chart.path(), true).json();
    assert_rendered_cleanly(&r, "mixed");
    // The chart's Deployment and the Job.
    assert_eq!(documents(&r), 2);

    let alone = tempfile::tempdir().unwrap();
    copy_dir(
        &fixtures().join("mixed/manifests"),
        &alone.path().join("mixed/manifests"),
    );
    let a = scan(alone.path(), true).json();
    assert_eq!(documents(&a), 1);
    let job = |r: &Value| -> Vec<Value> {
        comparable(r)
            .into_iter()
            .filter(|f| f[1] == "mixed/manifests/job.yaml")
            .collect()
    };
    assert!(!job(&a).is_empty());
    assert_eq!(job(&r), job(&a), "the Job's findings do not change");
    let job_path = fixtures().join("mixed/manifests/job.yaml");
    let privileged = findings(&r)
        .iter()
        .find(|f| f["ruleId"] == "PL-K8S-0003")
        .expect("the Job's privileged container");
    assert_eq!(privileged["file"], "mixed/manifests/job.yaml");
    assert_eq!(
        privileged["startLine"].as_u64().unwrap(),
        line_of(&job_path, "privileged: true")
    );
    // And the chart's templates are not read as plain YAML.
    assert!(findings(&r)
        .iter()
        .filter(|f| f["file"] == "mixed/chart/templates/deployment.yaml")
        .all(|f| f["resource"]["name"] == "release-name-cache"));
}
