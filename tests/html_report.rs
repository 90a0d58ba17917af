//! `plumbline report`: the HTML page built from reports of two dates, checked as a file (escaped,
//! self-contained, deterministic) and in headless Chromium (the numbers a person sees, a real
//! screenshot, and no request leaving the page).
//!
//! The browser tests need Chromium (`apt-get install -y --no-install-recommends chromium`;
//! `.ci/run` installs it). Without it they fail, unless PLUMBLINE_SKIP_BROWSER_TESTS=1.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HOSTILE: &str = "<script>alert(\"pwned\")</script><img src=x onerror=alert(1)>";

const HOST_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: ops
spec:
  hostNetwork: true
  containers:
    - name: shell
      image: busybox:1.36
";

/// Two reports of one analysis: the commit of 2024-03-01 and the one of 2024-04-15, the
/// second with two waived findings (one expired on its date) and a hostile message.
struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    first: Value,
    second: Value,
    html: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    write(&repo, "deploy/web.yaml", PRIV_DEPLOYMENT);
    commit_all_at(&repo, "web", "2024-03-01T09:00:00Z");
    write(&repo, "deploy/debug.yaml", HOST_POD);
    commit_all_at(&repo, "debug pod", "2024-04-15T09:00:00Z");
    let scan = |rev: &str, out: &str| {
        let path = dir.join(out);
        let run = plumbline(
            &repo,
            &[
                "scan",
                "--rev",
                rev,
                "--fail-on",
                "never",
                "--category",
                "shop",
                "-o",
                path.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap()).unwrap()
    };
    let first = scan("HEAD~1", "first.json");
    let mut second = scan("HEAD", "second.json");
    let findings = second["findings"].as_array_mut().unwrap();
    assert!(
        findings.len() >= 4,
        "the fixture needs findings: {findings:?}"
    );
    findings[0]["suppressions"] = json!([{
        "kind": "external", "justification": "legacy <b>app</b>, replaced in Q2",
        "owner": "team-web", "expires": "2024-04-01", "location": "waivers.yaml:3"
    }]);
    findings[1]["suppressions"] = json!([{
        "kind": "inSource", "justification": "needed by the CNI", "owner": "team-net",
        "expires": "2024-12-31"
    }]);
    findings[2]["message"] = json!(HOSTILE);
    std::fs::write(
        dir.join("second.json"),
        serde_json::to_vec_pretty(&second).unwrap(),
    )
    .unwrap();
    let html = dir.join("report.html");
    let run = plumbline(
        &dir,
        &["report", "first.json", "second.json", "-o", "report.html"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    Fixture {
        _dir: tmp,
        dir,
        first,
        second,
        html,
    }
}

const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"];

/// Open (not waived) findings of a JSON report per severity, in [`SEVERITIES`] order.
fn open_counts(report: &Value) -> [usize; 5] {
    let mut out = [0; 5];
    for f in report["findings"].as_array().unwrap() {
        let waived = f
            .get("suppressions")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        if !waived {
            let sev = f["severity"].as_str().unwrap();
            out[SEVERITIES.iter().position(|s| *s == sev).unwrap()] += 1;
        }
    }
    out
}

/// The text of the element with this id (first text up to the next tag).
fn text_of_id<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no element with id {id}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = start + rest[start..].find('<').unwrap();
    rest[start..end].trim()
}

fn number_of_id(html: &str, id: &str) -> usize {
    let t = text_of_id(html, id);
    t.parse()
        .unwrap_or_else(|_| panic!("#{id} is {t:?}, not a number"))
}

/// The per-severity and total cells of the trend table's row for `date`.
fn trend_row(html: &str, date: &str) -> ([usize; 5], usize) {
    let marker = format!("<tr data-date=\"{date}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no trend point for {date}"));
    let row = &html[at..at + html[at..].find("</tr>").unwrap()];
    let cell = |attr: &str| -> usize {
        let i = row.find(attr).unwrap_or_else(|| panic!("{attr} in {row}"));
        let s = i + row[i..].find('>').unwrap() + 1;
        let e = s + row[s..].find('<').unwrap();
        row[s..e].parse().unwrap()
    };
    let mut counts = [0; 5];
    for (i, sev) in SEVERITIES.iter().enumerate() {
        counts[i] = cell(&format!("data-severity=\"{sev}\""));
    }
    (counts, cell("data-total="))
}

/// Checks the numbers a reader sees against the input reports.
fn assert_numbers(html: &str, fx: &Fixture) {
    let open = open_counts(&fx.second);
    assert_eq!(text_of_id(html, "as-of"), "2024-04-15");
    assert_eq!(number_of_id(html, "count-open"), open.iter().sum::<usize>());
    for (i, sev) in SEVERITIES.iter().enumerate() {
        assert_eq!(
            number_of_id(html, &format!("count-{sev}")),
            open[i],
            "{sev}"
        );
    }
    assert_eq!(number_of_id(html, "count-waived"), 2);
    assert_eq!(number_of_id(html, "count-waivers"), 2);
    assert_eq!(number_of_id(html, "count-expired"), 1);
    assert_eq!(
        number_of_id(html, "count-findings"),
        fx.second["findings"].as_array().unwrap().len()
    );
    for (date, report) in [("2024-03-01", &fx.first), ("2024-04-15", &fx.second)] {
        let want = open_counts(report);
        assert_eq!(
            trend_row(html, date),
            (want, want.iter().sum()),
            "trend point {date}"
        );
        // The chart's point carries the same number.
        let title = format!("{date} TOTAL: {}<", want.iter().sum::<usize>());
        assert!(html.contains(&title), "no chart point {title}");
    }
    assert!(
        number_of_id(html, "count-open") > open_counts(&fx.first).iter().sum::<usize>(),
        "the fixture's second commit adds findings"
    );
}

/// No attribute or CSS value points outside the page.
fn assert_no_external_reference(html: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in ["src=", "href=", "url(", "@import", "action="] {
        for (i, _) in lower.match_indices(needle) {
            let value = lower[i + needle.len()..].trim_start_matches(['"', '\'', ' ']);
            for bad in ["http:", "https:", "//", "ftp:"] {
                assert!(
                    !value.starts_with(bad),
                    "external reference at byte {i}: {}",
                    &html[i..(i + 80).min(html.len())]
                );
            }
        }
    }
    for tag in [
        "<link", "<iframe", "<img", "<object", "<embed", "<base", "<form",
    ] {
        assert!(!lower.contains(tag), "the page has a {tag} element");
    }
}

#[test]
fn the_page_is_escaped_self_contained_and_deterministic() {
    let fx = fixture();
    let html = std::fs::read_to_string(&fx.html).unwrap();
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'"
    ));
    assert_no_external_reference(&html);
    // The hostile message is text, not markup.
    assert!(!html.contains("<script>alert"), "unescaped input");
    assert!(html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"));
    assert!(html.contains("legacy &lt;b&gt;app&lt;/b&gt;"));
    // Exactly one script element: ours.
    assert_eq!(html.matches("<script").count(), 1);
    assert_numbers(&html, &fx);
    // Same reports, same bytes.
    let again = plumbline(
        &fx.dir,
        &["report", "first.json", "second.json", "-o", "again.html"],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        std::fs::read(&fx.html).unwrap(),
        std::fs::read(fx.dir.join("again.html")).unwrap()
    );
}

#[test]
fn an_unreadable_report_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "broken.json", "{ \"schemaVersion\": ");
    let run = plumbline(dir.path(), &["report", "broken.json", "-o", "r.html"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("broken.json"), "{}", run.stderr);
    assert!(!dir.path().join("r.html").exists());
    let run = plumbline(dir.path(), &["report", "missing.sarif"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.sarif"), "{}", run.stderr);
}

#[test]
fn dates_come_from_end_time_then_commit_time_then_date_flag_then_file_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "m/web.yaml", PRIV_DEPLOYMENT);
    // A working-tree scan carries no date of its own.
    let run = plumbline(
        d,
        &[
            "scan",
            "m",
            "--worktree",
            "--fail-on",
            "never",
            "-o",
            "wt.json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::copy(d.join("wt.json"), d.join("old.json")).unwrap();
    let old = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000); // 2023-11-14
    std::fs::File::options()
        .write(true)
        .open(d.join("old.json"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    // Another tool's SARIF with the end of its analysis.
    let sarif = json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "othertool", "rules": []}},
        "automationDetails": {"id": "other/"},
        "invocations": [{"executionSuccessful": true, "endTimeUtc": "2024-01-31T23:59:59Z"}],
        "results": [],
    }]});
    write(d, "other.sarif", &sarif.to_string());
    write(d, "end.sarif", &sarif.to_string());
    let run = plumbline(
        d,
        &[
            "report",
            "wt.json",
            "old.json",
            "other.sarif",
            "end.sarif",
            "--date",
            "wt.json=2024-02-10",
            "--date",
            "other.sarif=2020-01-01",
            "-o",
            "r.html",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let row = |file: &str| {
        let at = html.find(&format!("<code>{file}</code>")).unwrap();
        html[at..at + html[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(row("wt.json").contains("<td>2024-02-10</td><td>--date</td>"));
    assert!(row("old.json").contains("<td>2023-11-14</td><td>file modification time</td>"));
    // An explicit --date outranks the date the report carries.
    assert!(row("other.sarif").contains("<td>2020-01-01</td><td>--date</td>"));
    assert!(row("end.sarif").contains("<td>2024-01-31</td><td>end of the analysis"));
    // wt.json and old.json are one analysis: the later one is shown, the other is trend.
    assert!(row("wt.json").contains("latest of its analysis"));
    assert!(row("old.json").contains("trend only"));
    let run = plumbline(d, &["report", "wt.json", "--date", "wt.json=10/02/2024"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("YYYY-MM-DD"), "{}", run.stderr);
}

// ---- in a real browser ----

/// Chromium, or `None` when the browser tests are explicitly skipped.
fn chromium() -> Option<PathBuf> {
    let candidates = std::env::var_os("PLUMBLINE_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from));
    for c in candidates {
        if c.is_file() {
            return Some(c);
        }
    }
    if std::env::var("PLUMBLINE_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!(
            "\n!!!!!!!! SKIPPED: the HTML report's browser test did not run \
             (PLUMBLINE_SKIP_BROWSER_TESTS=1 and no Chromium) !!!!!!!!\n"
        );
        return None;
    }
    panic!(
        "Chromium is needed for the HTML report's browser test and is not installed: install \
         it (Debian: `apt-get install -y --no-install-recommends chromium`, which .ci/run \
         does), point PLUMBLINE_CHROMIUM at the binary, or set PLUMBLINE_SKIP_BROWSER_TESTS=1 \
         to skip this test"
    );
}

/// Runs headless Chromium on `url` with `extra` arguments; returns its stdout. Every
/// request is sent to a closed port on this machine (a proxy that does not exist), so even
/// the browser's own background requests never leave it; the net log still names them.
fn run_chromium(bin: &Path, work: &Path, url: &str, extra: &[String]) -> String {
    let profile = tempfile::tempdir_in(work).unwrap();
    let stdout_path = work.join(format!("chromium-{}.out", extra.len()));
    let stdout = std::fs::File::create(&stdout_path).unwrap();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-pings",
            "--disable-domain-reliability",
            "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed on {url}: {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(&stdout_path).unwrap()
}

/// URLs of the requests the page itself made, from a Chromium net log: URL requests with an
/// initiator (the browser's own requests have "not an origin").
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log).unwrap();
    // Chromium closes the JSON on exit; tolerate a log cut short after the last event.
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("net log is JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("net log constants");
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_page_renders_in_chromium_with_the_input_numbers_and_requests_nothing() {
    let Some(bin) = chromium() else {
        return;
    };
    let fx = fixture();
    let url = format!("file://{}", fx.html.canonicalize().unwrap().display());
    let work = fx.dir.as_path();

    // (a) The DOM after load: the numbers, the escaped message, the script ran.
    let net_log = work.join("net.json");
    let dom = run_chromium(
        &bin,
        work,
        &url,
        &[
            "--dump-dom".to_string(),
            format!("--log-net-log={}", net_log.display()),
        ],
    );
    assert!(dom.contains("Plumbline security report"), "{dom}");
    assert_numbers(&dom, &fx);
    assert!(dom.contains("&lt;script&gt;alert(\"pwned\")&lt;/script&gt;"));
    assert!(!dom.contains("<script>alert"), "the message became markup");
    assert!(
        !dom.contains("onerror=\"alert"),
        "the message became markup"
    );
    assert!(
        dom.contains("type=\"search\""),
        "the inline script did not run (CSP?): no filter box"
    );

    // (c) No request other than the page itself (file:// and data: are not network).
    let requests = page_requests(&net_log);
    let external: Vec<_> = requests
        .iter()
        .filter(|u| !(u.starts_with("data:") || *u == &url))
        .collect();
    assert!(external.is_empty(), "the page requested {external:?}");
    assert_no_external_reference(&std::fs::read_to_string(&fx.html).unwrap());

    // The net-log check can see a page's request: a control page with one image on this
    // machine's closed port 9 shows up.
    let control = write(
        work,
        "control.html",
        "<!DOCTYPE html><p>control</p><img src=\"http://127.0.0.1:9/probe.png\">",
    );
    let control_log = work.join("control-net.json");
    run_chromium(
        &bin,
        work,
        &format!("file://{}", control.canonicalize().unwrap().display()),
        &[
            "--dump-dom".to_string(),
            format!("--log-net-log={}", control_log.display()),
        ],
    );
    assert!(
        page_requests(&control_log)
            .iter()
            .any(|u| u == "http://127.0.0.1:9/probe.png"),
        "the net log does not show a page's request: the check above proves nothing"
    );

    // (b) A real picture of the page.
    let png = work.join("report.png");
    run_chromium(
        &bin,
        work,
        &url,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2400".to_string(),
        ],
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 20_000,
        "the screenshot is {} bytes: the page looks empty",
        bytes.len()
    );
}
