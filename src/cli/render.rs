//! `plumbline render`: the documents the policies see, as YAML (`# Source:` before each, as
//! `helm template` prints), or each document's whole policy input as JSON lines.

use super::args::RenderArgs;
use super::fail;
use crate::findings::exit;
use crate::model::NoteLevel;
use crate::scan::{self, ScanOptions, Target};
use crate::source::PathFilter;
use crate::textsafe;
use std::io::Write;
use std::path::PathBuf;

pub(super) fn run_render(args: RenderArgs) -> i32 {
    let filter = match PathFilter::new(&args.source.include, &args.source.exclude) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let today = match crate::date::Date::today() {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let modules = match args.modules.fetcher() {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let opts = ScanOptions {
        target: Target::Path(PathBuf::from(&args.path)),
        rev: args.source.rev.clone(),
        worktree: args.source.worktree,
        filter,
        load: crate::load::LoadOptions {
            max_file_bytes: args.max_file_size,
            ..Default::default()
        },
        profile_rules: false,
        waivers: crate::triage::waiver::Options {
            today,
            file: None,
            filtered: true,
        },
        shard: None,
        iac: crate::load::IacOptions {
            var_files: args.var_files.clone(),
            vars: args.vars.clone(),
            helm_values: args.helm_values.clone(),
            helm_set: args.helm_set.clone(),
            helm_charts: Default::default(),
            skip_related: false,
            modules,
        },
        progress: None,
        drift: None,
        aws: None,
    };
    let (documents, notifications, _) = match scan::load_documents(&opts) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut out = std::io::stdout().lock();
    for d in &documents {
        let text = if args.input_json {
            let input = d.to_rego();
            let json = serde_json::to_string(&input).unwrap_or_else(|_| "null".to_string());
            format!("{json}\n")
        } else {
            // The path comes from the scanned repository: escaped like every name a report
            // prints, so it cannot carry terminal controls or a line break of its own.
            format!(
                "---\n# Source: {}\n{}\n",
                textsafe::Escaped(&d.file.path),
                yaml(&d.node.to_json())
            )
        };
        if out.write_all(text.as_bytes()).is_err() {
            return exit::USAGE;
        }
    }
    let _ = out.flush();
    for n in &notifications {
        let level = match n.level {
            NoteLevel::Error => "error",
            NoteLevel::Warning => "warning",
            NoteLevel::Note => "note",
        };
        let place = match (&n.file, &n.position) {
            (Some(f), Some(p)) => format!("{f}:{}: ", p.line),
            (Some(f), None) => format!("{f}: "),
            _ => String::new(),
        };
        textsafe::eprintln_escaped(&format!("plumbline: {level}: {place}{}", n.message));
    }
    if notifications.iter().any(|n| n.level == NoteLevel::Error) {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// A JSON value as YAML, in the style `helm template` prints (keys sorted, as Helm's
/// `toYaml`).
fn yaml(v: &serde_json::Value) -> String {
    crate::load::helm::funcs::yaml::to_yaml(&crate::load::helm::funcs::to_value(v))
}
