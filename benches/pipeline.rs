//! Micro-benchmarks: the YAML loader (MB/s), policy evaluation (documents × rules per
//! second) and drift comparison (declared documents compared per second), on the Kubernetes part of ../shared/corpus/bench (or fixtures/demo without it).
//!
//!     cargo bench --bench pipeline

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plumbline::load::{self, Document, LoadOptions};
use plumbline::policy::{self, eval::Mode};
use std::path::{Path, PathBuf};

fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    let bench = shared.join("corpus/bench");
    let dirs: Vec<PathBuf> = if bench.is_dir() {
        ["kubernetes", "GoogleCloudPlatform", "prometheus-operator"]
            .iter()
            .map(|d| bench.join(d))
            .collect()
    } else {
        vec![root.join("fixtures/demo")]
    };
    let mut files = Vec::new();
    for d in dirs {
        collect(&d, &mut files);
    }
    files.sort();
    files
}

fn collect(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if plumbline::source::Format::of_path(&p.to_string_lossy()).is_some() {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
}

fn loader(c: &mut Criterion) {
    let files = corpus_files();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let opts = LoadOptions::default();
    let mut g = c.benchmark_group("load");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function("yaml_json_full_trees", |b| {
        b.iter(|| {
            let mut docs = 0;
            for (path, data) in &files {
                docs += load::load_file(path, data, &opts).documents.len();
            }
            docs
        })
    });
    g.finish();
}

fn evaluation(c: &mut Criterion) {
    let set = policy::load(&policy::Settings::default()).expect("built-in policies");
    let opts = LoadOptions::default();
    let docs: Vec<Document> = corpus_files()
        .iter()
        .flat_map(|(p, d)| load::load_file(p, d, &opts).documents)
        .filter(|d| set.packages.iter().any(|p| p.applies_to(d)))
        .collect();
    let pairs = docs.len() * set.packages.len();
    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(pairs as u64));
    g.sample_size(10);
    for (name, mode) in [("batched", Mode::Batched), ("per_rule", Mode::PerRule)] {
        g.bench_function(format!("pod_spec_documents_x_rules/{name}"), |b| {
            let mut engine = set.engine.clone();
            b.iter(|| {
                let mut findings = 0;
                for doc in &docs {
                    findings += policy::eval::evaluate(&mut engine, &set, doc, mode)
                        .findings
                        .len();
                }
                findings
            })
        });
    }
    g.finish();
}

/// Every Kubernetes document compared with itself as the live object (nothing differs, so
/// every declared field is walked: the worst case), after redaction as a live reader does.
fn drift(c: &mut Criterion) {
    use plumbline::drift::{compare, redact_live, CompareContext, HashKey, Rules};
    let opts = LoadOptions::default();
    let docs: Vec<Document> = corpus_files()
        .iter()
        .flat_map(|(p, d)| load::load_file(p, d, &opts).documents)
        .filter(Document::is_kubernetes)
        .collect();
    let rules = Rules::builtin();
    let key = HashKey::random();
    let lives: Vec<serde_json::Value> = docs
        .iter()
        .map(|d| {
            let mut live = d.node.to_json();
            redact_live(&mut live, &rules, &key);
            live
        })
        .collect();
    let ctx = CompareContext {
        rules: &rules,
        key: &key,
        hpa_targets: false,
    };
    let mut g = c.benchmark_group("drift");
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.sample_size(10);
    g.bench_function("compare_documents_with_themselves", |b| {
        b.iter(|| {
            docs.iter()
                .zip(&lives)
                .map(|(d, live)| compare(&d.node, live, &ctx).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, loader, evaluation, drift);
criterion_main!(benches);
