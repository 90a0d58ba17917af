//! The progress line on stderr while a scan runs on a terminal: files read of the total,
//! documents, findings so far (and live kinds read, once live readers feed that counter).
//!
//! The scan only bumps atomic counters; a separate thread redraws one line (`\r`, clear,
//! text) at most ten times a second, and erases it before the report is written. Nothing is
//! drawn unless stderr is a terminal, and never with `--quiet`, `TERM=dumb` or `CI` set, so
//! logs and pipes stay clean.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Time between two redraws: at most ten a second.
const INTERVAL: Duration = Duration::from_millis(100);
/// Back to the start of the line and clear it (ANSI erase-line).
const ERASE: &str = "\r\x1b[2K";

/// What the scan has done so far; shared between the workers and the display thread.
#[derive(Debug, Default)]
pub struct Counters {
    files_total: AtomicUsize,
    files_done: AtomicUsize,
    documents: AtomicUsize,
    findings: AtomicUsize,
    /// Kinds (resource types) read from live clusters and accounts; shown once non-zero.
    live_kinds: AtomicUsize,
}

impl Counters {
    /// Files listed for scanning (added up over the scans of one run: the gate scans twice).
    pub fn add_files(&self, n: usize) {
        self.files_total.fetch_add(n, Ordering::Relaxed);
    }

    /// One file read, parsed and evaluated.
    pub fn file_done(&self, documents: usize, findings: usize) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.documents.fetch_add(documents, Ordering::Relaxed);
        self.findings.fetch_add(findings, Ordering::Relaxed);
    }

    /// Live kinds read (for the live readers to come).
    pub fn live_kind_done(&self) {
        self.live_kinds.fetch_add(1, Ordering::Relaxed);
    }

    /// The progress line: `plumbline: 12/40 files, 30 documents, 5 findings`.
    pub fn line(&self) -> String {
        let n = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut line = format!(
            "plumbline: {}/{} files, {}, {}",
            n(&self.files_done),
            n(&self.files_total),
            plural(n(&self.documents), "document", "documents"),
            plural(n(&self.findings), "finding", "findings"),
        );
        let live = n(&self.live_kinds);
        if live > 0 {
            line.push_str(&format!(", {}", plural(live, "live kind", "live kinds")));
        }
        line
    }
}

/// Whether to draw progress: stderr is a terminal that understands `\r` and erase-line,
/// not `--quiet`, and not a CI job (whose log would keep every frame).
pub fn wanted(quiet: bool) -> bool {
    allowed(
        quiet,
        std::io::stderr().is_terminal(),
        std::env::var_os("TERM").as_deref(),
        std::env::var_os("CI").is_some(),
    )
}

fn allowed(quiet: bool, terminal: bool, term: Option<&std::ffi::OsStr>, ci: bool) -> bool {
    !quiet && terminal && !ci && term.is_none_or(|t| t != "dumb")
}

/// The display thread; [`Display::finish`] (or dropping it) stops it and erases the line.
pub struct Display {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Display {
    /// Starts redrawing `counters` on stderr.
    pub fn start(counters: Arc<Counters>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("plumbline-progress".into())
            .spawn(move || draw_until(&counters, &stopping))
            .ok();
        Self { stop, thread }
    }

    /// Stops the display and erases its line, so the report starts on a clean line.
    pub fn finish(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(t) = self.thread.take() {
            self.stop.store(true, Ordering::Relaxed);
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Redraws whenever the line changed, every [`INTERVAL`], until stopped. The last state is
/// drawn once more before the line is erased, so a recording of the terminal (`script`)
/// ends with the final counts.
fn draw_until(counters: &Counters, stop: &AtomicBool) {
    let mut shown = String::new();
    let mut draw = |line: String| {
        if line != shown {
            let mut err = std::io::stderr().lock();
            // Only counts today; escaped so that a name shown here later cannot draw.
            let _ = write!(err, "{ERASE}{}", crate::textsafe::escape(&line));
            let _ = err.flush();
            shown = line;
        }
    };
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        draw(counters.line());
        if stopping {
            break;
        }
        std::thread::park_timeout(INTERVAL);
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{ERASE}");
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn line_shows_live_kinds_only_when_there_are_some() {
        let c = Counters::default();
        c.add_files(3);
        c.file_done(2, 1);
        assert_eq!(c.line(), "plumbline: 1/3 files, 2 documents, 1 finding");
        c.live_kind_done();
        assert!(c.line().ends_with(", 1 live kind"), "{}", c.line());
    }

    #[test]
    fn only_on_a_capable_terminal_outside_ci() {
        let xterm = Some(OsStr::new("xterm"));
        assert!(allowed(false, true, xterm, false));
        assert!(allowed(false, true, None, false));
        assert!(!allowed(true, true, xterm, false), "--quiet");
        assert!(!allowed(false, false, xterm, false), "not a terminal");
        assert!(!allowed(false, true, Some(OsStr::new("dumb")), false));
        assert!(!allowed(false, true, xterm, true), "CI");
    }
}
