//! Shell completions and manual pages are generated from the command-line definition: every
//! command and flag a user can type is in them, and the scripts are valid for their shell.

mod common;
use common::*;

fn run(args: &[&str]) -> Run {
    plumbline(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

#[test]
fn completion_scripts_name_every_command_and_the_flags_of_scan() {
    let bash = run(&["completions", "bash"]);
    assert_eq!(bash.code, 0, "{}", bash.stderr);
    for word in [
        "scan",
        "policy",
        "report",
        "merge",
        "snapshot",
        "aws-policy",
        "completions",
    ] {
        assert!(bash.stdout.contains(word), "bash completion lacks {word}");
    }
    for flag in ["--fail-on", "--live-snapshot", "--baseline", "--worktree"] {
        assert!(bash.stdout.contains(flag), "bash completion lacks {flag}");
    }
    // The script is valid bash (parsed, not run).
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("plumbline.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );

    let zsh = run(&["completions", "zsh"]);
    assert!(
        zsh.stdout.starts_with("#compdef plumbline"),
        "{}",
        zsh.stdout
    );
    assert!(zsh.stdout.contains("--fail-on"));
    let fish = run(&["completions", "fish"]);
    assert!(
        fish.stdout.contains("complete -c plumbline"),
        "{}",
        fish.stdout
    );
    assert!(fish.stdout.contains("live-snapshot"));
    let ps = run(&["completions", "powershell"]);
    assert!(
        ps.stdout.contains("Register-ArgumentCompleter"),
        "{}",
        ps.stdout
    );

    let bad = run(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("possible values"), "{}", bad.stderr);
}

#[test]
fn the_manual_page_documents_the_commands_and_one_page_per_command_can_be_written() {
    let man = run(&["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.contains(".TH plumbline 1"), "{}", man.stdout);
    assert!(man.stdout.contains(".SH SYNOPSIS"));
    assert!(man.stdout.contains("aws\\-policy") || man.stdout.contains("aws-policy"));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let run = run(&["man", "--out-dir", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for page in [
        "plumbline.1",
        "plumbline-scan.1",
        "plumbline-policy.1",
        "plumbline-policy-test.1",
        "plumbline-policy-list.1",
        "plumbline-completions.1",
    ] {
        let text = std::fs::read_to_string(out.join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}; wrote: {}", run.stderr));
        assert!(text.contains(".TH"), "{page}");
    }
    let scan = std::fs::read_to_string(out.join("plumbline-scan.1")).unwrap();
    assert!(
        scan.contains("fail\\-on"),
        "the scan page documents --fail-on"
    );
    assert!(!out.join("plumbline-help.1").exists(), "no page for `help`");
}
