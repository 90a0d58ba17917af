//! What the labeled-case tests (tests/labeled_*.rs) share: where the corpus is, the KICS and
//! trivy-checks cases, scanning one case file, scanning many in parallel, the rule catalog,
//! the known disagreements, the verdicts and their tally and table.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared folder: `PLUMBLINE_SHARED`, else `../shared` beside the crate.
pub fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// `<shared>/corpus`, which must hold the labeled corpus (`labeled/`).
pub fn labeled_corpus() -> PathBuf {
    let corpus = shared().join("corpus");
    assert!(
        corpus.join("labeled").is_dir(),
        "{} is missing: the labeled corpus is needed (set PLUMBLINE_SHARED to the shared dir)",
        corpus.join("labeled").display()
    );
    corpus
}

/// A case where our verdict differs from the external label on purpose, with the reason.
pub struct Known {
    /// "kics" or "trivy".
    pub corpus: &'static str,
    /// The case's [`Case::case`].
    pub case: &'static str,
    pub rule: &'static str,
    pub reason: &'static str,
}

/// One labeled case for one of our rules; `X` is what a test adds to it.
pub struct Case<X = ()> {
    /// "kics" or "trivy".
    pub corpus: &'static str,
    /// Identifier used in the known disagreements and in messages. kics: `<query>/test/<file>`,
    /// the query's folder as the test names it; trivy: the INDEX.json `file`.
    pub case: String,
    pub path: PathBuf,
    pub rule: &'static str,
    pub must_flag: bool,
    pub extra: X,
}

impl<X> Case<X> {
    /// The KICS test file `file` of `query` (whose test folder is `test`): a positive* file
    /// must be flagged, a negative* one must not.
    pub fn kics(query: &str, test: &Path, file: &str, rule: &'static str, extra: X) -> Self {
        Case {
            corpus: "kics",
            case: format!("{query}/test/{file}"),
            path: test.join(file),
            rule,
            must_flag: file.starts_with("positive"),
            extra,
        }
    }

    pub fn label(&self) -> &'static str {
        if self.must_flag {
            "must flag"
        } else {
            "must pass"
        }
    }
}

/// The KICS query `root/<query>` (its metadata.json must exist): its test folder and the
/// names of its positive*/negative* test files, sorted.
pub fn kics_test_files(root: &Path, query: &str) -> (PathBuf, Vec<String>) {
    let dir = root.join(query);
    assert!(
        dir.join("metadata.json").is_file(),
        "KICS query {query} is missing"
    );
    let test = dir.join("test");
    let mut files: Vec<String> = std::fs::read_dir(&test)
        .unwrap_or_else(|e| panic!("{}: {e}", test.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            (n.starts_with("positive") || n.starts_with("negative"))
                && !n.starts_with("positive_expected_result")
        })
        .collect();
    files.sort();
    (test, files)
}

/// Keeps only the `only` test files of `query`, each of which must exist.
pub fn keep_only(files: &mut Vec<String>, only: &[&str], query: &str) {
    for f in only {
        assert!(files.iter().any(|x| x == f), "{query}/test/{f} is missing");
    }
    files.retain(|f| only.contains(&f.as_str()));
}

/// A KICS query (a directory under the platform's queries) that tests what `rule` checks.
/// `files`: restrict to these test files (None = every positive*/negative* file).
pub struct KicsQuery {
    pub rule: &'static str,
    pub query: &'static str,
    pub files: Option<&'static [&'static str]>,
}

/// A KICS query whose every positive*/negative* test file is a case.
pub const fn kics(rule: &'static str, query: &'static str) -> KicsQuery {
    KicsQuery {
        rule,
        query,
        files: None,
    }
}

/// The cases of `queries` under `root` (e.g. `<corpus>/labeled/kics/assets/queries/k8s`),
/// query after query; each query must keep a positive file.
pub fn kics_cases(root: &Path, queries: &[KicsQuery]) -> Vec<Case> {
    let mut out = Vec::new();
    for q in queries {
        let (test, mut files) = kics_test_files(root, q.query);
        if let Some(only) = q.files {
            keep_only(&mut files, only, q.query);
        }
        assert!(
            files.iter().any(|f| f.starts_with("positive")),
            "{}: no positive test file",
            q.query
        );
        out.extend(
            files
                .iter()
                .map(|f| Case::kics(q.query, &test, f, q.rule, ())),
        );
    }
    out
}

/// The labeled cases of trivy-checks (`labeled/trivy-checks/extracted/INDEX.json`).
pub struct TrivyIndex {
    dir: PathBuf,
    cases: Vec<Value>,
}

impl TrivyIndex {
    pub fn load(corpus: &Path) -> Self {
        let dir = corpus.join("labeled/trivy-checks");
        let index = dir.join("extracted/INDEX.json");
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(&index).unwrap_or_else(|e| panic!("{}: {e}", index.display())),
        )
        .unwrap();
        let cases = v["cases"].as_array().expect("cases").clone();
        TrivyIndex { dir, cases }
    }

    /// The cases of `check` in one of `formats` (there must be one), for `rule`: a "fail"
    /// case must be flagged, a "pass" one must not.
    pub fn cases<X: Clone>(
        &self,
        rule: &'static str,
        check: &str,
        formats: &[&str],
        extra: X,
    ) -> Vec<Case<X>> {
        let dir = &self.dir;
        let mut out = Vec::new();
        for c in &self.cases {
            if c["check_id"] != check || !formats.contains(&c["format"].as_str().unwrap_or("")) {
                continue;
            }
            let file = c["file"].as_str().unwrap();
            // INDEX.json names files from the trivy-checks directory ("extracted/...");
            // accept paths relative to extracted/ too.
            let path = [dir.join(file), dir.join("extracted").join(file)]
                .into_iter()
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("trivy case {file} not found under {}", dir.display()));
            let must_flag = match c["label"].as_str() {
                Some("fail") => true,
                Some("pass") => false,
                l => panic!("{file}: unknown label {l:?}"),
            };
            out.push(Case {
                corpus: "trivy",
                case: file.to_string(),
                path,
                rule,
                must_flag,
                extra: extra.clone(),
            });
        }
        assert!(
            !out.is_empty(),
            "no {} case for {check} in INDEX.json",
            formats.join("/")
        );
        out
    }
}

/// The cases of the trivy-checks `check_id`s of one `format` that test each rule, as
/// (rule, check), check after check.
pub fn trivy_cases<X: Clone>(
    corpus: &Path,
    checks: &[(&'static str, &str)],
    format: &str,
    extra: X,
) -> Vec<Case<X>> {
    let index = TrivyIndex::load(corpus);
    checks
        .iter()
        .flat_map(|&(rule, check)| index.cases(rule, check, &[format], extra.clone()))
        .collect()
}

/// The files of `cases`, each once, sorted.
pub fn case_files<X>(cases: &[Case<X>]) -> Vec<PathBuf> {
    cases
        .iter()
        .map(|c| c.path.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Rule id → start lines of its findings in one scanned file.
pub type Findings = BTreeMap<String, Vec<u64>>;

/// Runs `scan <name> --worktree -f json --fail-on never` in `dir` and returns the JSON
/// report. The exit must be 0 (a complete scan), or also 3 (a file could not be loaded)
/// with `allow_unloadable`.
pub fn scan_report(
    dir: &Path,
    name: impl AsRef<OsStr>,
    allow_unloadable: bool,
) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("scan")
        .arg(name)
        .args(["--worktree", "-f", "json", "--fail-on", "never"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("run plumbline: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let complete = match out.status.code() {
        Some(0) => true,
        Some(3) if allow_unloadable => true,
        _ => false,
    };
    if !complete {
        return Err(format!(
            "exit {:?}{}:\n{}\n{stdout}",
            out.status.code(),
            if allow_unloadable {
                ""
            } else {
                " (the scan must be complete)"
            },
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_str(&stdout).map_err(|e| format!("not JSON ({e}): {stdout}"))
}

/// Scans one case file alone (`scan <file> --worktree -f json --fail-on never`, which must
/// exit 0) and returns its findings by rule. With `require_documents`, a file that loads to
/// zero documents is an error rather than a clean case.
pub fn scan(path: &Path, require_documents: bool) -> Result<Findings, String> {
    let v = scan_report(path.parent().unwrap(), path.file_name().unwrap(), false)?;
    if require_documents && v["summary"]["documents"].as_u64() == Some(0) {
        return Err("the file loaded to zero documents".to_string());
    }
    let mut f = Findings::new();
    for x in v["findings"].as_array().ok_or("no findings array")? {
        let rule = x["ruleId"].as_str().ok_or("finding without ruleId")?;
        let line = x["startLine"].as_u64().ok_or("finding without startLine")?;
        f.entry(rule.to_string()).or_default().push(line);
    }
    Ok(f)
}

/// Runs `work(index, path)` for every path on a few threads; results by path.
pub fn run_all<T: Send>(
    paths: &[PathBuf],
    work: impl Fn(usize, &Path) -> T + Sync,
) -> HashMap<PathBuf, T> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = paths.get(i) else { break };
                        done.push((p.clone(), work(i, p)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// The rule catalog (`policy list`): id → title.
pub fn catalog() -> BTreeMap<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["policy", "list", "--format", "json"])
        .stdin(Stdio::null())
        .output()
        .expect("run plumbline policy list");
    assert!(out.status.success(), "policy list failed");
    let v: Value = serde_json::from_slice(&out.stdout).expect("policy list JSON");
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["title"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Asserts that every one of `rules` is in the catalog.
pub fn assert_in_catalog<'a>(
    catalog: &BTreeMap<String, String>,
    rules: impl IntoIterator<Item = &'a str>,
) {
    for id in rules {
        assert!(catalog.contains_key(id), "{id} is not in the rule catalog");
    }
}

/// Agreement counts over (rule, case) pairs: positives detected, negatives left clean, and
/// how many of each were known disagreements.
#[derive(Default)]
pub struct Tally {
    pub pos: usize,
    pub pos_hit: usize,
    pub neg: usize,
    pub neg_ok: usize,
    pub known: usize,
    pub known_pos: usize,
    pub known_neg: usize,
}

impl Tally {
    pub fn add(&mut self, must_flag: bool, flagged: bool, known: bool) {
        if must_flag {
            self.pos += 1;
            self.pos_hit += usize::from(flagged);
            self.known_pos += usize::from(known);
        } else {
            self.neg += 1;
            self.neg_ok += usize::from(!flagged);
            self.known_neg += usize::from(known);
        }
        self.known += usize::from(known);
    }

    /// The rates without the known disagreements (cases where the documented behaviour
    /// wins): the positives detected, the negatives flagged.
    pub fn accepted_rates(&self) -> (f64, f64) {
        let pos_rate = self.pos_hit as f64 / (self.pos - self.known_pos).max(1) as f64;
        let neg_flagged = (self.neg - self.neg_ok - self.known_neg) as f64 / self.neg.max(1) as f64;
        (pos_rate, neg_flagged)
    }

    pub fn print_accepted_rates(&self) {
        let (pos_rate, neg_flagged) = self.accepted_rates();
        println!(
            "excluding known disagreements: positives detected {:.0}%, negatives flagged {:.0}%",
            100.0 * pos_rate,
            100.0 * neg_flagged
        );
    }

    /// The targets, on the cases whose label we accept: at least 90% of the positives
    /// detected, at most 5% of the negatives flagged.
    #[track_caller]
    pub fn assert_accepted_targets(&self) {
        let (pos_rate, neg_flagged) = self.accepted_rates();
        assert!(
            pos_rate >= 0.90,
            "only {:.0}% of the positives detected (target 90%)",
            100.0 * pos_rate
        );
        assert!(
            neg_flagged <= 0.05,
            "{:.0}% of the negatives flagged (target at most 5%)",
            100.0 * neg_flagged
        );
    }
}

/// `a/b (p%)`, or `-` when there is nothing to count.
pub fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "-".to_string()
    } else {
        format!("{a}/{b} ({:.0}%)", 100.0 * a as f64 / b as f64)
    }
}

/// The verdicts of a labeled test: the agreement tallies per rule, per group of cases and in
/// total, and the problems found.
pub struct Verdicts {
    known: &'static [Known],
    /// The file name of the document that lists the known disagreements.
    doc_name: String,
    pub per_rule: BTreeMap<&'static str, Tally>,
    pub per_corpus: BTreeMap<String, Tally>,
    pub total: Tally,
    pub failures: Vec<String>,
}

impl Verdicts {
    /// Starts the verdicts of `cases`, whose known disagreements are `known`: each must be a
    /// mapped case and be listed in `doc` (a path under the crate), or it is a problem.
    pub fn new<X>(cases: &[Case<X>], known: &'static [Known], doc: &str) -> Self {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).expect(doc);
        let doc_name = Path::new(doc)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut failures = Vec::new();
        for k in known {
            if !cases
                .iter()
                .any(|c| c.corpus == k.corpus && c.case == k.case && c.rule == k.rule)
            {
                failures.push(format!(
                    "known disagreement {} {} {} is not a mapped case",
                    k.corpus, k.case, k.rule
                ));
            }
            if !text.contains(k.case) {
                failures.push(format!(
                    "{doc_name} does not list the known disagreement {} {}",
                    k.corpus, k.case
                ));
            }
        }
        Verdicts {
            known,
            doc_name,
            per_rule: BTreeMap::new(),
            per_corpus: BTreeMap::new(),
            total: Tally::default(),
            failures,
        }
    }

    /// The result of the scan of `c`'s file; a failed scan is a problem (and None).
    pub fn scanned<'r, T, X>(
        &mut self,
        c: &Case<X>,
        results: &'r HashMap<PathBuf, Result<T, String>>,
    ) -> Option<&'r T> {
        match &results[&c.path] {
            Ok(r) => Some(r),
            Err(e) => {
                self.failures
                    .push(format!("{} {}: scan failed: {e}", c.corpus, c.case));
                None
            }
        }
    }

    /// Records the verdict on `c` (`flagged`: we report it) in the tallies of its rule, of
    /// `group` and in the total. A known disagreement that agrees is a problem. True when
    /// the verdict disagrees with the label and no known disagreement explains it.
    pub fn record<X>(&mut self, c: &Case<X>, group: &str, flagged: bool) -> bool {
        let known = self
            .known
            .iter()
            .find(|k| k.corpus == c.corpus && k.case == c.case && k.rule == c.rule);
        let unexplained = match (flagged == c.must_flag, known) {
            (true, None) | (false, Some(_)) => false,
            (false, None) => true,
            (true, Some(k)) => {
                self.failures.push(format!(
                    "{} {} {} now agrees with the external label ({}); remove it from KNOWN_DISAGREEMENTS and {} (was: {})",
                    c.corpus, c.case, c.rule, c.label(), self.doc_name, k.reason
                ));
                false
            }
        };
        for t in [
            self.per_rule.entry(c.rule).or_default(),
            self.per_corpus.entry(group.to_string()).or_default(),
            &mut self.total,
        ] {
            t.add(c.must_flag, flagged, known.is_some());
        }
        unexplained
    }

    /// [`Verdicts::record`] from the findings of `c`'s file, grouped by corpus: a
    /// disagreement that is not known is a REGRESSION. Our findings' lines of the case's rule.
    pub fn record_findings<'f, X>(
        &mut self,
        c: &Case<X>,
        findings: &'f Findings,
    ) -> Option<&'f Vec<u64>> {
        let ours = findings.get(c.rule);
        let flagged = ours.is_some();
        if self.record(c, c.corpus, flagged) {
            self.failures.push(format!(
                "REGRESSION {} {} {}: {}, but {} (lines {:?})",
                c.corpus,
                c.case,
                c.rule,
                c.label(),
                if flagged { "flagged" } else { "not flagged" },
                ours.cloned().unwrap_or_default()
            ));
        }
        ours
    }

    /// Prints the table: `heading`, a row per rule (id, title; `-` for a rule without a case),
    /// then a row per group and the total. `title` and `rate` are the widths of the title and
    /// of the two rate columns.
    pub fn print_table<'a>(
        &self,
        heading: &str,
        rules: impl IntoIterator<Item = (&'a str, String)>,
        title: usize,
        rate: usize,
    ) {
        println!();
        println!("{heading}");
        println!(
            "{:<12} {:<title$} {:>rate$} {:>rate$} {:>6}",
            "rule", "title", "positives hit", "negatives pass", "known"
        );
        for (id, name) in rules {
            match self.per_rule.get(id) {
                Some(t) => println!(
                    "{id:<12} {name:<title$} {:>rate$} {:>rate$} {:>6}",
                    ratio(t.pos_hit, t.pos),
                    ratio(t.neg_ok, t.neg),
                    t.known
                ),
                None => println!(
                    "{id:<12} {name:<title$} {:>rate$} {:>rate$} {:>6}",
                    "-", "-", "-"
                ),
            }
        }
        let width = 12 + 1 + title;
        for (name, t) in self
            .per_corpus
            .iter()
            .map(|(k, t)| (format!("all ({k})"), t))
            .chain([("all".to_string(), &self.total)])
        {
            println!(
                "{name:<width$} {:>rate$} {:>rate$} {:>6}",
                ratio(t.pos_hit, t.pos),
                ratio(t.neg_ok, t.neg),
                t.known
            );
        }
    }

    /// Prints `heading` and the known disagreements with their reasons.
    pub fn print_known(&self, heading: &str) {
        println!("{heading}");
        for k in self.known {
            println!("  {} {} {}: {}", k.rule, k.corpus, k.case, k.reason);
        }
    }

    #[track_caller]
    pub fn assert_no_problems(&self) {
        assert!(
            self.failures.is_empty(),
            "{} problem(s):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// Scans `file` in `dir` in each report format (text, JSON, SARIF), which must exit 0 and
/// neither show nor log any of `secrets`; the output of each format.
pub fn scan_hiding_secrets(
    dir: &Path,
    file: &str,
    secrets: &[&str],
) -> BTreeMap<&'static str, String> {
    let mut outputs = BTreeMap::new();
    for format in ["text", "json", "sarif"] {
        let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
            .args([
                "scan",
                file,
                "--worktree",
                "--fail-on",
                "never",
                "-f",
                format,
            ])
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        for secret in secrets {
            assert!(
                !stdout.contains(secret),
                "{format} shows {secret}:\n{stdout}"
            );
            assert!(
                !stderr.contains(secret),
                "{format} logs {secret}:\n{stderr}"
            );
        }
        outputs.insert(format, stdout.into_owned());
    }
    outputs
}

/// A labeled test whose cases are whole KICS queries and the trivy-checks cases of one format.
pub struct Suite {
    /// Our rules covered by the test, in table order.
    pub rules: &'static [&'static str],
    /// The KICS platform folder under `labeled/kics/assets/queries`.
    pub kics_platform: &'static str,
    pub kics: &'static [KicsQuery],
    pub trivy_format: &'static str,
    /// trivy-checks `check_id`s testing each rule, as (rule, check).
    pub trivy: &'static [(&'static str, &'static str)],
    pub known: &'static [Known],
    /// The document (a path under the crate) that lists the known disagreements.
    pub doc: &'static str,
    /// A case file that loads to zero documents is a failed scan.
    pub require_documents: bool,
    /// The table's heading.
    pub heading: &'static str,
}

impl Suite {
    /// Maps and scans the cases, prints the table, the rates without the known disagreements
    /// and the known disagreements, and asserts that there is no problem. The total tally,
    /// for the test's targets.
    pub fn run(&self) -> Tally {
        let started = std::time::Instant::now();
        let corpus = labeled_corpus();
        let catalog = catalog();
        assert_in_catalog(&catalog, self.rules.iter().copied());

        let root = corpus
            .join("labeled/kics/assets/queries")
            .join(self.kics_platform);
        let mut cases = kics_cases(&root, self.kics);
        cases.extend(trivy_cases(&corpus, self.trivy, self.trivy_format, ()));
        let mut v = Verdicts::new(&cases, self.known, self.doc);

        let files = case_files(&cases);
        let results = run_all(&files, |_, p| scan(p, self.require_documents));
        for c in &cases {
            if let Some(findings) = v.scanned(c, &results) {
                v.record_findings(c, findings);
            }
        }

        let rows = self.rules.iter().map(|id| (*id, catalog[*id].clone()));
        v.print_table(self.heading, rows, 44, 16);
        println!(
            "{} (rule, case) pairs over {} files; {:.1?}",
            cases.len(),
            files.len(),
            started.elapsed()
        );
        v.total.print_accepted_rates();
        v.print_known("Known disagreements:");
        v.assert_no_problems();
        v.total
    }
}
