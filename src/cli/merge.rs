//! `plumbline merge`: reports of shards, repositories or clusters joined into one.

use super::args::*;
use super::fail;
use crate::findings::{self, exit};
use crate::report::{self, Format};
use crate::textsafe;
use std::io::Write;

/// `shop: 3 report(s); active findings: 12 (2 high, 10 low); waived: 1`.
fn merge_summary(a: &report::merge::Analysis) -> String {
    let active = a.result.findings.iter().filter(|f| f.is_active());
    let waived = a
        .result
        .findings
        .iter()
        .filter(|f| f.is_suppressed())
        .count();
    format!(
        "{}: {} report(s); active findings: {}; waived: {waived}{}",
        a.category,
        a.reports,
        crate::findings::count_by_severity(active.map(|f| f.severity)),
        if a.result.incomplete() {
            "; INCOMPLETE (see the notifications)"
        } else {
            ""
        }
    )
}

pub(super) fn run_merge(args: MergeArgs) -> i32 {
    let format = match (
        args.format,
        args.output.as_deref().map(Format::from_extension),
    ) {
        (Some(f), _) => f,
        (None, Some(Some(Format::Json))) => MergeFormat::Json,
        (None, Some(Some(Format::Sarif)) | Some(None) | None) => MergeFormat::Sarif,
        (None, Some(Some(_))) => {
            return fail("merge writes json or sarif: give --format json or --format sarif")
        }
    };
    let mut reports = Vec::new();
    for file in &args.files {
        match report::read::read(file) {
            Ok(r) => reports.extend(r),
            Err(e) => return fail(e),
        }
    }
    let analyses = match report::merge::merge(reports, args.category.as_deref()) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if format == MergeFormat::Json && analyses.len() > 1 {
        let names: Vec<&str> = analyses.iter().map(|a| a.category.as_str()).collect();
        return fail(format!(
            "the reports hold {} analyses ({}), and a JSON report holds one: write SARIF \
             (--format sarif, one run per analysis), or merge them into one analysis with \
             --category NAME",
            analyses.len(),
            names.join(", ")
        ));
    }
    let rendered = match format {
        MergeFormat::Sarif => report::sarif::render_runs(
            &analyses
                .iter()
                .map(|a| (&a.result, a.category.as_str()))
                .collect::<Vec<_>>(),
        ),
        MergeFormat::Json => match analyses.first() {
            Some(a) => report::json::render(&a.result, &a.category),
            None => return fail("the reports hold no analysis (a SARIF log without runs)"),
        },
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = crate::bounded::write_atomic(path, rendered.as_bytes()) {
                return fail(format!("cannot write {}: {e}", path.display()));
            }
            if !args.quiet {
                eprintln!("plumbline: wrote {}", path.display());
                for a in &analyses {
                    textsafe::eprintln_escaped(&format!("  {}", merge_summary(a)));
                }
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(rendered.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return exit::USAGE;
            }
        }
    }
    // The most serious verdict of any analysis: incomplete (3) outranks findings (1).
    analyses
        .iter()
        .map(|a| findings::exit_code(&a.result.findings, a.result.incomplete(), args.fail_on))
        .max()
        .unwrap_or(exit::OK)
}
