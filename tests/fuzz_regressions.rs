//! Inputs the fuzz targets (`fuzz/`) found to crash, hang or exhaust memory, each run through
//! the same library entry point as its target (`plumbline::fuzzing`), within a time limit.
//! A new finding: minimise it (`cargo +nightly fuzz tmin -s none <target> <artifact>`), add
//! it here with the target's name, then fix it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `f` on its own thread and fails the test if it panics or takes longer than `limit`
/// (a hang would otherwise stall the whole test run).
fn within(limit: Duration, what: &str, f: impl FnOnce() + Send + 'static) {
    let (done, wait) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match wait.recv_timeout(limit) {
        Ok(()) => worker.join().expect("the worker finished"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The worker panicked: show its panic.
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {limit:?} (fuzz regression: unbounded time)")
        }
    }
}

/// waiver_file: an `address` pattern with many `*`s against a long address took time
/// exponential in the number of `*`s (recursive backtracking in `address_matches`); both come
/// from the scanned repository (the waiver file, and the Terraform addresses).
#[test]
fn waiver_address_pattern_with_many_stars_is_linear() {
    let pattern = "*a".repeat(14) + "*b";
    let address = "a".repeat(60);
    let input = format!(
        "waivers:\n  - rule: PL-X-0001\n    address: \"{pattern}\"\n    reason: r\n\
         ==> findings <==\nPL-X-0001\tmain.tf\t{address}\t\n"
    );
    within(Duration::from_secs(10), "waiver_file", move || {
        plumbline::fuzzing::waiver_file(input.as_bytes())
    });
    // The same through the matcher itself, with the instance-key fallback.
    within(Duration::from_secs(10), "address_matches", move || {
        let long = format!("{}[0]", "a".repeat(60));
        assert!(!plumbline::triage::waiver::file::address_matches(
            &pattern, &long
        ));
        assert!(plumbline::triage::waiver::file::address_matches(
            "*a*a*a*",
            "xaxaxa[1]"
        ));
    });
}

/// The matcher after its rewrite agrees with the rules its documentation gives.
#[test]
fn waiver_address_patterns_still_match_as_documented() {
    use plumbline::triage::waiver::file::address_matches as m;
    assert!(m("*", ""));
    assert!(m("*", "module.a.aws_s3_bucket.b"));
    assert!(m("module.*.aws_s3_bucket.b", "module.a.aws_s3_bucket.b"));
    assert!(m("module.*.b", "module.a.aws_s3_bucket.b[\"eu\"]"));
    assert!(m("aws_s3_bucket.b", "aws_s3_bucket.b[0]"));
    assert!(!m("aws_s3_bucket.b[1]", "aws_s3_bucket.b[0]"));
    assert!(m("a*b*c", "aXbYbZc"));
    assert!(!m("a*b*c", "aXbYbZ"));
    assert!(m("**a", "ba"));
    assert!(!m("", "a"));
}

/// Scans `files` (path, text) as a working tree with the binary, and fails if the scan takes
/// longer than `limit`, grows past `max_rss_mib` of resident memory, or dies of a signal.
/// For inputs whose cost is the whole scan's (loading and policy input together).
fn scan_within(files: &[(&str, &str)], extra: &[&str], limit: Duration, max_rss_mib: u64) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("create the directory");
        std::fs::write(&p, text).expect("write the file");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--no-config",
            "--fail-on",
            "never",
        ])
        .args(extra)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run plumbline");
    let started = Instant::now();
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().expect("wait for plumbline") {
            assert!(
                status.code().is_some(),
                "the scan died of a signal ({status}) after {:?}",
                started.elapsed()
            );
            return;
        }
        peak = peak.max(rss_mib(child.id()).unwrap_or(0));
        let too_long = started.elapsed() > limit;
        if too_long || peak > max_rss_mib {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the scan was stopped after {:?} at {peak} MiB resident (limits: {limit:?}, \
                 {max_rss_mib} MiB): fuzz regression, unbounded {}",
                started.elapsed(),
                if too_long { "time" } else { "memory" }
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Resident memory of a process, from /proc (Linux); `None` elsewhere or once it is gone.
fn rss_mib(pid: u32) -> Option<u64> {
    let status =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// terraform: a module called with `count = 100000` that calls another with the same count
/// exhausted memory (over 4 GiB in the fuzz build) before the root instance budget stopped
/// it: every call made all its instances first. Instances past the budget are now not made.
#[test]
fn terraform_nested_module_count_is_bounded_in_memory() {
    scan_within(
        &[
            (
                "main.tf",
                "module \"a\" {\n  source = \"./m\"\n  count  = 100000\n}\n",
            ),
            (
                "m/main.tf",
                "module \"b\" {\n  source = \"./n\"\n  count  = 100000\n}\n",
            ),
            ("m/n/main.tf", "resource \"aws_s3_bucket\" \"x\" {}\n"),
        ],
        // The loader's memory is the point; policies would only add time.
        &["--no-builtin"],
        Duration::from_secs(600),
        2048,
    );
}
