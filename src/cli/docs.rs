//! `plumbline completions SHELL` and `plumbline man`: shell completion scripts and manual
//! pages, generated from the command-line definition itself so they never drift from it.

use super::{fail, Cli};
use clap::{Args, CommandFactory, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

impl Shell {
    fn generator(self) -> clap_complete::Shell {
        match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
            Shell::Elvish => clap_complete::Shell::Elvish,
        }
    }
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `plumbline.1` and one page per command (`plumbline-scan.1`, …) into DIR instead
    /// of printing `plumbline.1` to stdout.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Prints the completion script for `args.shell` on stdout.
pub fn run_completions(args: &CompletionsArgs) -> i32 {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell.generator(), &mut cmd, "plumbline", &mut out);
    write_stdout(&out)
}

/// Prints `plumbline.1`, or writes every page into `--out-dir`.
pub fn run_man(args: &ManArgs) -> i32 {
    let cmd = Cli::command();
    match &args.out_dir {
        None => match render(&cmd) {
            Ok(page) => write_stdout(&page),
            Err(e) => fail(format!("cannot render the manual page: {e}")),
        },
        Some(dir) => match write_pages(&cmd, dir) {
            Ok(written) => {
                for path in written {
                    eprintln!(
                        "wrote {}",
                        crate::textsafe::Escaped(&path.display().to_string())
                    );
                }
                0
            }
            Err(e) => fail(e),
        },
    }
}

fn render(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    Ok(page)
}

/// The top page and one per subcommand (nested ones as `plumbline-policy-test.1`).
fn write_pages(cmd: &clap::Command, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut cmd = cmd.clone();
    cmd.build();
    let mut written = Vec::new();
    write_tree(&cmd, "plumbline", dir, &mut written)?;
    Ok(written)
}

fn write_tree(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let cmd = cmd.clone().name(name.to_string());
    let page = render(&cmd).map_err(|e| format!("cannot render the page of {name}: {e}"))?;
    let path = dir.join(format!("{name}.1"));
    crate::bounded::write_atomic(&path, &page)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        write_tree(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

fn write_stdout(bytes: &[u8]) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => 0,
        // A closed pipe (`plumbline man | head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => fail(format!("cannot write to stdout: {e}")),
    }
}
