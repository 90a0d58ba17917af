//! `plumbline report`: one HTML page from JSON and SARIF reports.

use super::args::*;
use super::fail;
use crate::findings::exit;
use crate::report::{self};
use std::io::Write;

pub(super) fn run_report(args: ReportArgs) -> i32 {
    let loaded = match report::html::load(&args.files, &args.dates) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let page = report::html::render(&loaded.reports);
    match &args.output {
        Some(path) => {
            if let Err(e) = crate::bounded::write_atomic(path, page.as_bytes()) {
                return fail(format!("cannot write {}: {e}", path.display()));
            }
            eprintln!(
                "plumbline: wrote {} from {} report(s)",
                path.display(),
                loaded.reports.len()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(page.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return exit::USAGE;
            }
        }
    }
    exit::OK
}
