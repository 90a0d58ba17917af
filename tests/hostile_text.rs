//! Text from the scanned repository never reaches a terminal raw: a `metadata.name`, a
//! container name (in a policy message) and a committed file name full of terminal escape
//! sequences (erase line, OSC 52 clipboard write, an 8-bit CSI), carriage returns, line
//! breaks, a bidi override and markup are shown escaped in the text report, the Markdown
//! comment, the HTML page and on stderr, and JSON and SARIF carry them only as `\u` escapes.

mod common;
use common::*;
use std::path::Path;

/// Erases the line, returns to its start and writes a forged verdict, writes the
/// clipboard (OSC 52), starts an 8-bit CSI, reverses what follows, and forges a new line
/// and a Markdown table row, with some HTML.
const NAME_YAML: &str = r#""web\e[2K\rno findings\e]52;c;SGVsbG8=\a\x9b31m\u202Egpj.exe<img src=x onerror=alert(1)>\n| CRITICAL | FORGED |""#;
const NAME: &str = "web\x1b[2K\rno findings\x1b]52;c;SGVsbG8=\x07\u{9b}31m\u{202e}gpj.exe<img src=x onerror=alert(1)>\n| CRITICAL | FORGED |";
/// A file name may hold any byte but `/` and NUL.
const FILE: &str = "k8s/\x1b[2Kevil\r\x1b]52;c;SGk=\x07\u{202e}lmay.x.yaml";

/// Characters that must never come out raw.
const RAW: [char; 7] = [
    '\x1b', '\r', '\x07', '\u{9b}', '\u{202e}', '\u{2066}', '\u{200f}',
];

fn manifest() -> String {
    PRIV_DEPLOYMENT
        .replace("name: web", &format!("name: {NAME_YAML}"))
        .replace("- name: app", &format!("- name: {NAME_YAML}"))
}

/// A repository whose second commit adds the hostile manifest; the first has no finding.
fn hostile_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "pol/priv.rego", PRIV_POLICY);
    commit_all(d, "policy");
    write(d, FILE, &manifest());
    // Also a file that cannot be parsed, for a notification that names it.
    write(d, "k8s/\x1b]52;c;YnJva2Vu\x07broken.yaml", "a: [1\n");
    commit_all(d, "hostile");
    dir
}

fn scan(d: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", ".", "--no-builtin", "--policy", "pol"];
    args.extend_from_slice(extra);
    plumbline(d, &args)
}

#[track_caller]
fn assert_inert(what: &str, out: &str) {
    for c in RAW {
        assert!(
            !out.contains(c),
            "{what} holds a raw {c:?}:\n{}",
            out.escape_debug()
        );
    }
}

#[test]
fn the_manifest_really_is_hostile() {
    // The YAML above decodes to the raw name, so the checks below test something.
    let dir = hostile_repo();
    let r = scan(dir.path(), &["-f", "json"]);
    let report = r.json();
    let finding = &report["findings"][0];
    assert_eq!(finding["resource"]["name"], NAME, "{}", r.stdout);
    assert_eq!(finding["file"], FILE);
    assert!(finding["message"].as_str().unwrap().contains(NAME));
}

#[test]
fn text_report_shows_escapes_not_control_sequences() {
    let dir = hostile_repo();
    let r = scan(dir.path(), &[]);
    assert_eq!(r.code, 3, "a finding and an unparsable file: {}", r.stderr);
    assert_inert("text report", &r.stdout);
    assert_inert("stderr", &r.stderr);
    for visible in [
        "\\x1b[2K",
        "\\rno findings",
        "\\x1b]52;c;SGVsbG8=\\x07",
        "\\u{9b}31m",
        "\\u{202e}gpj.exe",
        "\\n| CRITICAL | FORGED |",
        "k8s/\\x1b[2Kevil\\r\\x1b]52;c;SGk=\\x07\\u{202e}lmay.x.yaml",
        "\\x1b]52;c;YnJva2Vu\\x07broken.yaml",
    ] {
        assert!(
            r.stdout.contains(visible),
            "{visible} is not shown:\n{}",
            r.stdout
        );
    }
    // No line break from the name: every line is the report's own.
    for line in r.stdout.lines() {
        assert!(
            !line.starts_with("no findings") && !line.starts_with("| CRITICAL"),
            "forged line: {line}"
        );
    }
}

/// Strips the colour sequences the text report itself writes (`ESC [ digits ; m`).
fn strip_own_colours(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[len..].starts_with('m') {
            rest = &after[len + 1..];
        } else {
            // Not a colour of ours: keep it, so that the check below sees it.
            out.push('\x1b');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn colours_are_the_only_escape_sequences_in_coloured_text() {
    let dir = hostile_repo();
    let r = scan(dir.path(), &["--color", "always"]);
    assert!(r.stdout.contains("\x1b[1;31m"), "coloured: {:?}", r.stdout);
    let plain = strip_own_colours(&r.stdout);
    assert_inert("coloured text report", &plain);
    assert!(plain.contains("\\x1b]52;c;SGVsbG8=\\x07"), "{plain}");
}

#[test]
fn markdown_shows_escapes_and_forges_no_row_or_markup() {
    let dir = hostile_repo();
    let r = scan(
        dir.path(),
        &[
            "-f",
            "markdown",
            "--link-base",
            "https://git.example.com/r/blob/{commit}",
        ],
    );
    assert_inert("markdown", &r.stdout);
    assert_inert("stderr", &r.stderr);
    // `\x1b` with its backslash escaped, so that it shows once rendered.
    assert!(r.stdout.contains("\\\\x1b\\[2K"), "{}", r.stdout);
    assert!(r.stdout.contains("\\\\u{202e}gpj.exe"), "{}", r.stdout);
    assert!(!r.stdout.contains("<img"), "{}", r.stdout);
    for line in r.stdout.lines() {
        assert!(
            !line.starts_with("| CRITICAL | FORGED"),
            "forged row: {line}"
        );
    }
    // The one table row per finding keeps its four cells.
    let rows: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("| HIGH |"))
        .collect();
    assert_eq!(rows.len(), 1, "{}", r.stdout);
    let unescaped_pipes = rows[0].matches('|').count() - rows[0].matches("\\|").count();
    assert_eq!(unescaped_pipes, 5, "{}", rows[0]);
}

#[test]
fn stderr_gate_summary_shows_escapes() {
    let dir = hostile_repo();
    let d = dir.path();
    // A baseline without findings: the hostile finding is new and listed on stderr.
    let outside = tempfile::tempdir().unwrap();
    let base = outside.path().join("base.json");
    let clean = scan(d, &["--rev", "HEAD~1", "-o", base.to_str().unwrap()]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    let r = scan(d, &["--baseline", base.to_str().unwrap(), "-f", "sarif"]);
    assert!(r.stderr.contains("New findings:"), "{}", r.stderr);
    assert_inert("stderr", &r.stderr);
    assert!(r.stderr.contains("\\x1b[2Kevil\\r"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("\\x1b]52;c;SGVsbG8=\\x07\\u{9b}31m\\u{202e}gpj.exe"),
        "{}",
        r.stderr
    );
    for line in r.stderr.lines() {
        assert!(
            !line.starts_with("| CRITICAL") && !line.starts_with("no findings"),
            "forged line: {line}"
        );
    }
    // With the text report, the same summary follows it on stdout.
    let text = scan(d, &["--baseline", base.to_str().unwrap()]);
    assert!(text.stdout.contains("New findings:"), "{}", text.stdout);
    assert_inert("text report with the gate summary", &text.stdout);
}

#[test]
fn errors_on_stderr_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A policy directory named by the operator, but a name is a name: never raw.
    let bad = "pol\x1b]52;c;SGk=\x07\u{202e}";
    let r = plumbline(d, &["scan", ".", "--no-builtin", "--policy", bad]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_inert("stderr", &r.stderr);
    assert!(
        r.stderr.contains("pol\\x1b]52;c;SGk=") || r.stderr.contains("pol\\u{1b}]52;c;SGk="),
        "{}",
        r.stderr
    );
}

#[test]
fn merge_summary_on_stderr_shows_a_hostile_category_escaped() {
    // A report is an artifact, perhaps of another repository's job: its analysis name is
    // printed on stderr by `merge`.
    let dir = hostile_repo();
    let d = dir.path();
    let r = scan(d, &["-f", "json"]);
    let mut report = r.json();
    report["category"] = "shop\x1b[2K\rall clear\x1b]52;c;SGk=\x07\u{202e}".into();
    let out = tempfile::tempdir().unwrap();
    let input = out.path().join("in.json");
    std::fs::write(&input, report.to_string()).unwrap();
    let merged = out.path().join("merged.sarif");
    let m = plumbline(
        d,
        &[
            "merge",
            input.to_str().unwrap(),
            "-o",
            merged.to_str().unwrap(),
        ],
    );
    assert!(m.stderr.contains("report(s)"), "{}", m.stderr);
    assert_inert("merge stderr", &m.stderr);
    assert!(
        m.stderr
            .contains("shop\\x1b[2K\\rall clear\\x1b]52;c;SGk=\\x07\\u{202e}"),
        "{}",
        m.stderr
    );
    assert_inert("merged SARIF", &std::fs::read_to_string(&merged).unwrap());
}

#[test]
fn json_and_sarif_carry_controls_only_as_escapes() {
    let dir = hostile_repo();
    for format in ["json", "sarif", "gitlab-sast", "codeclimate"] {
        let r = scan(dir.path(), &["-f", format]);
        assert_inert(format, &r.stdout);
        assert!(
            r.stdout.contains("\\u001b[2K") && r.stdout.contains("\\u202e"),
            "{format}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("\\u009b31m"), "{format}: {}", r.stdout);
        // The same strings for a JSON reader.
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(v.to_string().contains("SGVsbG8="), "{format}");
    }
}

#[test]
fn html_report_escapes_names_and_shows_controls() {
    let dir = hostile_repo();
    let d = dir.path();
    let r = scan(d, &["-f", "json"]);
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("scan.json");
    std::fs::write(&json, &r.stdout).unwrap();
    let html = out.path().join("report.html");
    let page = plumbline(
        d,
        &[
            "report",
            json.to_str().unwrap(),
            "-o",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert_inert("stderr", &page.stderr);
    let text = std::fs::read_to_string(&html).unwrap();
    assert_inert("HTML report", &text);
    assert!(!text.contains("<img src=x"), "markup from a name");
    assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(text.contains("\\x1b]52;c;SGVsbG8=\\x07"));
    assert!(text.contains("\\u{202e}gpj.exe"));
}
