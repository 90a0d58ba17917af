//! Inputs the fuzz targets (`fuzz/`) found to crash, hang or exhaust memory, each run through
//! the same library entry point as its target (`plumbline::fuzzing`), within a time limit.
//! A new finding: minimise it (`cargo +nightly fuzz tmin -s none <target> <artifact>`), add
//! it here with the target's name, then fix it.

use std::sync::mpsc;
use std::time::Duration;

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
        assert!(!plumbline::waiver::file::address_matches(&pattern, &long));
        assert!(plumbline::waiver::file::address_matches(
            "*a*a*a*",
            "xaxaxa[1]"
        ));
    });
}

/// The matcher after its rewrite agrees with the rules its documentation gives.
#[test]
fn waiver_address_patterns_still_match_as_documented() {
    use plumbline::waiver::file::address_matches as m;
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
