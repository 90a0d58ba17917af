//! Charts rendered in-process against the real `helm template` (v4.2.3) output of the shared
//! corpus (`../shared/corpus/helm/`, see its README): for every case of `INDEX.json`, the
//! manifests plumbline renders are compared with the golden, document by document (the
//! `# Source` and the parsed YAML), and byte for byte where the case is deterministic.
//! Fields the README lists as random are masked on both sides.

use plumbline::load::helm::{chart, engine, values, MemSource};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let shared = std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("corpus/helm");
    dir.join("INDEX.json").exists().then_some(dir)
}

/// `---\n# Source: x\n<doc>` blocks: (source, content).
fn split_output(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in text.split("---\n# Source: ").skip(1) {
        let (source, rest) = block.split_once('\n').unwrap_or((block, ""));
        out.push((source.to_string(), rest.trim_end().to_string()));
    }
    out
}

fn parse(doc: &str) -> Value {
    serde_saphyr::from_str::<Value>(doc).unwrap_or(Value::Null)
}

/// Sets the value at a README path (`a.b[0]["c.d"]`) to a mask, when present.
fn mask(v: &mut Value, path: &str) {
    let mut segs: Vec<String> = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[\"") {
            let end = r.find("\"]").unwrap_or(r.len());
            segs.push(r[..end].to_string());
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            segs.push(format!("#{}", &r[..end]));
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            segs.push(r[..end].to_string());
            rest = &r[end..];
        }
    }
    let mut cur = v;
    for (i, s) in segs.iter().enumerate() {
        let next = if let Some(n) = s.strip_prefix('#') {
            n.parse::<usize>().ok().and_then(|n| cur.get_mut(n))
        } else {
            cur.get_mut(s.as_str())
        };
        match next {
            Some(n) if i + 1 == segs.len() => {
                *n = Value::String("<masked>".into());
                return;
            }
            Some(n) => cur = n,
            None => return,
        }
    }
}

struct Outcome {
    cases: usize,
    documents_equal: usize,
    bytes_equal: usize,
    expected_errors_met: usize,
    failures: Vec<String>,
}

#[test]
fn charts_render_like_helm_template() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: the shared Helm corpus is not here");
        return;
    };
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("INDEX.json")).unwrap()).unwrap();
    let source = MemSource::from_dir(&dir).unwrap();
    let mut o = Outcome {
        cases: 0,
        documents_equal: 0,
        bytes_equal: 0,
        expected_errors_met: 0,
        failures: Vec::new(),
    };
    for c in &index {
        let chart_path = c["chart"].as_str().unwrap();
        for case in c["cases"].as_array().unwrap() {
            o.cases += 1;
            let name = case["case"].as_str().unwrap();
            let label = format!("{chart_path} [{name}]");
            let args: Vec<&str> = case["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let mut user: Vec<Value> = Vec::new();
            let mut sets: Vec<String> = Vec::new();
            let mut include_crds = false;
            let mut skip_schema = false;
            let mut i = 0;
            while i < args.len() {
                match args[i] {
                    "-f" => {
                        let p = args[i + 1];
                        let text = std::fs::read_to_string(dir.join(p)).unwrap();
                        user.push(values::parse_values_file(p, &text).unwrap());
                        i += 1;
                    }
                    "--set" => {
                        sets.push(args[i + 1].to_string());
                        i += 1;
                    }
                    "--include-crds" => include_crds = true,
                    "--skip-schema-validation" => skip_schema = true,
                    _ => {}
                }
                i += 1;
            }
            if !sets.is_empty() {
                let mut merged = Value::Object(Default::default());
                for u in user.drain(..) {
                    merge(&mut merged, u);
                }
                for s in &sets {
                    values::parse_set_into(s, &mut merged).unwrap();
                }
                user.push(merged);
            }
            let rendered = chart::load(&source, &format!("charts/{chart_path}"))
                .map_err(|e| e.to_string())
                .and_then(|ch| {
                    values::release_values_with(
                        &ch,
                        &user,
                        &values::ValuesOptions {
                            skip_schema_validation: skip_schema,
                        },
                    )
                    .map_err(|e| e.to_string())
                })
                .and_then(|p| {
                    let opts = engine::RenderOptions {
                        include_crds,
                        ..Default::default()
                    };
                    engine::render(&p.render_chart(), &p.values, &opts).map_err(|e| e.to_string())
                });
            let golden_dir = dir.join("goldens").join(chart_path);
            if case["exit_code"].as_i64() != Some(0) {
                match rendered {
                    Err(_) => o.expected_errors_met += 1,
                    Ok(_) => o
                        .failures
                        .push(format!("{label}: helm fails here, plumbline rendered")),
                }
                continue;
            }
            let golden =
                std::fs::read_to_string(golden_dir.join(case["output"].as_str().unwrap())).unwrap();
            let ours = match rendered {
                Ok(m) => engine::template_output(&m),
                Err(e) => {
                    o.failures.push(format!("{label}: {e}"));
                    continue;
                }
            };
            if let Some(dump) = std::env::var_os("PLUMBLINE_HELM_DUMP") {
                let to = Path::new(&dump).join(chart_path);
                std::fs::create_dir_all(&to).unwrap();
                std::fs::write(to.join(case["output"].as_str().unwrap()), &ours).unwrap();
            }
            let random: Vec<(String, String, String)> = case["nondeterministic_fields"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| {
                            let mut parts = f.as_str()?.split('\t');
                            Some((
                                parts.next()?.to_string(),
                                parts.next()?.to_string(),
                                parts.next()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (g, w) = (split_output(&golden), split_output(&ours));
            let mut same = g.len() == w.len();
            let mut first_diff = String::new();
            for (k, ((gs, gd), (ws, wd))) in g.iter().zip(&w).enumerate() {
                let (mut gv, mut wv) = (parse(gd), parse(wd));
                for (t, _, p) in &random {
                    if t == gs {
                        mask(&mut gv, p);
                        mask(&mut wv, p);
                    }
                }
                if gs != ws || gv != wv {
                    same = false;
                    if first_diff.is_empty() {
                        first_diff = format!("document {k}: golden {gs} vs ours {ws}");
                    }
                }
            }
            if same {
                o.documents_equal += 1;
                if case["deterministic"].as_bool() == Some(true) && golden == ours {
                    o.bytes_equal += 1;
                }
            } else {
                o.failures.push(format!(
                    "{label}: {} documents in the golden, {} rendered; {first_diff}",
                    g.len(),
                    w.len()
                ));
            }
        }
    }
    eprintln!(
        "helm corpus: {} cases; {} render the same documents as helm template ({} byte for \
         byte), {} expected errors met; failures:\n{}",
        o.cases,
        o.documents_equal,
        o.bytes_equal,
        o.expected_errors_met,
        o.failures.join("\n")
    );
    // A ratchet: what this renderer matches today must keep matching.
    assert!(
        o.documents_equal + o.expected_errors_met >= MATCHING_AT_LEAST,
        "fewer cases match helm than before: {} of {}",
        o.documents_equal + o.expected_errors_met,
        o.cases
    );
    assert!(
        o.bytes_equal >= BYTE_IDENTICAL_AT_LEAST,
        "fewer cases are byte-identical to helm than before: {}",
        o.bytes_equal
    );
}

/// Cases matched (same documents, or the expected error) when this was last raised; raise
/// it as the renderer improves.
const MATCHING_AT_LEAST: usize = 48;
/// Deterministic cases printed byte for byte as `helm template` prints them.
const BYTE_IDENTICAL_AT_LEAST: usize = 32;

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}
