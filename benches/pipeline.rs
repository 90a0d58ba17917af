//! Micro-benchmarks: the YAML loader (MB/s) and policy evaluation (documents × rules per
//! second), on the Kubernetes part of ../shared/corpus/bench (or fixtures/demo without it).
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
        } else if load::Format::of_path(&p.to_string_lossy()).is_some() {
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

criterion_group!(benches, loader, evaluation);
criterion_main!(benches);
