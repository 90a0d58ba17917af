//! The command line: the arguments (`args.rs`), one file per command (`scan.rs`,
//! `policy.rs`, `report.rs`, `merge.rs`, `snapshot.rs`, `aws.rs` for `aws-policy` and the
//! `--tfstate` setup, `docs.rs` for completions and manual pages), and the configuration
//! file merged under the flags (`settings.rs`). `main` maps the result to the exit code.

pub mod args;
pub mod aws;
pub mod docs;
mod merge;
mod policy;
mod render;
mod report;
mod scan;
mod settings;
mod snapshot;

pub use args::*;

use crate::findings::exit;
use crate::policy as policy_stage;
use crate::textsafe;
use std::time::Duration;

/// Prints an error the way every command does, and returns the usage exit code. Escaped on
/// one line: errors name files and values from the scanned repository.
fn fail(msg: impl std::fmt::Display) -> i32 {
    textsafe::eprintln_escaped(&format!("plumbline: error: {msg}"));
    exit::USAGE
}

/// [`fail`] for an error that spans lines by design (a Rego error shows the policy line and
/// a caret): its lines are kept, indented, and escaped otherwise.
fn fail_lines(msg: impl std::fmt::Display) -> i32 {
    let text = textsafe::indented_block(&msg.to_string(), "  ");
    eprintln!("plumbline: error: {text}");
    exit::USAGE
}

/// Parses the command line, keeping clap's matches: the configuration file needs them to
/// tell a flag given on the command line from its default.
pub fn parse() -> (Cli, clap::ArgMatches) {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => (cli, matches),
        Err(e) => e.exit(),
    }
}

pub fn run(cli: Cli, matches: &clap::ArgMatches) -> i32 {
    match cli.command {
        Command::Scan(args) => match matches.subcommand_matches("scan") {
            Some(m) => scan::run_scan(*args, m),
            None => fail("internal: scan arguments without their matches"),
        },
        Command::Policy(PolicyCommand::Test(args)) => policy::run_policy_test(args),
        Command::Policy(PolicyCommand::List(args)) => policy::run_policy_list(args),
        Command::Render(args) => render::run_render(*args),
        Command::Report(args) => report::run_report(args),
        Command::Merge(args) => merge::run_merge(args),
        Command::Snapshot(args) => snapshot::run_snapshot(*args),
        Command::AwsPolicy(args) => crate::cli::aws::run_aws_policy(&args),
        Command::Completions(args) => crate::cli::docs::run_completions(&args),
        Command::Man(args) => crate::cli::docs::run_man(&args),
    }
}

fn policy_settings(args: &PolicyArgs, timeout: Duration) -> policy_stage::Settings {
    policy_stage::Settings {
        builtin: !args.no_builtin,
        dirs: args.policy.clone(),
        rego_v0: args.rego_v0,
        include_tests: false,
        timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
