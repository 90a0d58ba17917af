//! Bad input never crashes the scan nor loses the other files' findings.

mod common;
use common::*;

/// A directory holding one good (privileged) manifest, the policy, and `bad`.
fn setup(bad_name: &str, bad: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good/deploy.yaml", PRIV_DEPLOYMENT);
    write(dir.path(), "pol/priv.rego", PRIV_POLICY);
    let p = dir.path().join(bad_name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bad).unwrap();
    dir
}

fn scan(dir: &std::path::Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", ".", "--no-builtin", "--policy", "pol", "-f", "json"];
    args.extend_from_slice(extra);
    plumbline(dir, &args)
}

fn assert_good_still_found(report: &serde_json::Value) {
    let locs = locations(report);
    assert!(
        locs.contains(&("good/deploy.yaml".into(), 13, 13, "TEST-PRIV".into())),
        "the good file's finding is missing: {locs:?}"
    );
}

#[test]
fn invalid_yaml_names_file_line_column_and_others_are_scanned() {
    let dir = setup(
        "bad.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   oops: [\n",
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    assert_good_still_found(&r);
    let n = &r["notifications"][0];
    assert_eq!(n["code"], "parse-error");
    assert_eq!(n["file"], "bad.yaml");
    assert!(n["position"]["line"].as_u64().unwrap() >= 5, "{n}");
    assert!(
        n["message"].as_str().unwrap().starts_with("bad.yaml:"),
        "{n}"
    );
    let parse = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "PL-PARSE-0001")
        .expect("a parse-error finding");
    assert_eq!(parse["file"], "bad.yaml");
    assert_eq!(r["summary"]["incomplete"], true);
}

#[test]
fn alias_bomb_is_refused() {
    let mut y = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        y.push_str(&format!(
            "{n}: &{n} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
        prev = n;
    }
    let dir = setup("bomb.yaml", y.as_bytes());
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3);
    let r = run.json();
    assert_good_still_found(&r);
    assert_eq!(notification_codes(&r), ["parse-error"]);
    assert_eq!(r["notifications"][0]["file"], "bomb.yaml");
}

#[test]
fn ten_thousand_deep_nesting_is_refused() {
    let flow = format!("{}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    // Block nesting without a 100 MB file: 10,000 nested sequences on one line.
    let block = format!("{}x\n", "- ".repeat(10_000));
    let dir = setup("deep-flow.yaml", flow.as_bytes());
    std::fs::write(dir.path().join("deep-block.yaml"), block).unwrap();
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    assert_good_still_found(&r);
    assert_eq!(notification_codes(&r), ["parse-error", "parse-error"]);
}

#[test]
fn huge_file_is_skipped_with_a_notification_without_reading_it() {
    let dir = setup("small.yaml", b"a: 1\n");
    // 200 MB, sparse on disk: skipped from its size alone.
    let f = std::fs::File::create(dir.path().join("huge.yaml")).unwrap();
    f.set_len(200 * 1024 * 1024).unwrap();
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3);
    let r = run.json();
    assert_good_still_found(&r);
    let n = &r["notifications"][0];
    assert_eq!(n["code"], "file-too-large");
    assert_eq!(n["file"], "huge.yaml");
    assert!(n["message"].as_str().unwrap().contains("--max-file-size"));
    // The limit is configurable: a lower one skips the good file (not the 5-byte one).
    let run = scan(
        dir.path(),
        &["--max-file-size", "10", "--exclude", "huge.yaml"],
    );
    let r = run.json();
    assert_eq!(notification_codes(&r), ["file-too-large"]);
    assert_eq!(r["notifications"][0]["file"], "good/deploy.yaml");
}

#[test]
fn binary_and_non_utf8_files_are_reported() {
    let dir = setup("bin.yaml", b"\x00\x01\x02\x03binary");
    std::fs::write(
        dir.path().join("latin1.yaml"),
        b"kind: Pod\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    // UTF-16 with a BOM is valid YAML and is scanned.
    let utf16: Vec<u8> = std::iter::once(0xFEFFu16)
        .chain(
            PRIV_DEPLOYMENT
                .replace("name: web", "name: web16")
                .encode_utf16(),
        )
        .flat_map(|u| u.to_le_bytes())
        .collect();
    std::fs::write(dir.path().join("utf16.yaml"), utf16).unwrap();
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3);
    let r = run.json();
    assert_good_still_found(&r);
    let codes = notification_codes(&r);
    assert!(codes.contains(&"binary-file".to_string()), "{codes:?}");
    assert!(codes.contains(&"encoding-error".to_string()), "{codes:?}");
    let enc = r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "encoding-error")
        .unwrap();
    assert_eq!(enc["position"]["line"], 3);
    assert!(locations(&r)
        .iter()
        .any(|l| l.0 == "utf16.yaml" && l.1 == 13));
}

#[test]
fn duplicate_keys_are_an_error_at_their_line() {
    let dir = setup(
        "dup.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3);
    let r = run.json();
    assert_good_still_found(&r);
    let n = &r["notifications"][0];
    assert_eq!(n["code"], "parse-error");
    assert_eq!(n["position"]["line"], 5);
    assert!(n["message"].as_str().unwrap().contains("duplicate"), "{n}");
}

#[test]
fn symlink_outside_the_tree_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.yaml", PRIV_DEPLOYMENT);
    let dir = setup("inside.yaml", b"a: 1\n");
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("link.yaml"),
    )
    .unwrap();
    // A link to a file inside the tree is fine (the target is scanned once, at its path).
    std::os::unix::fs::symlink("good/deploy.yaml", dir.path().join("alias.yaml")).unwrap();
    let run = scan(dir.path(), &[]);
    let r = run.json();
    assert_eq!(
        run.code, 1,
        "a warning does not make the scan incomplete: {}",
        run.stdout
    );
    assert_good_still_found(&r);
    assert_eq!(
        locations(&r).len(),
        1,
        "the outside file must not be scanned"
    );
    assert_eq!(notification_codes(&r), ["symlink-outside"]);
    assert_eq!(r["notifications"][0]["file"], "link.yaml");
}

#[test]
fn policy_with_syntax_error_is_a_load_error_with_file_and_line() {
    let dir = setup("x.yaml", b"a: 1\n");
    write(
        dir.path(),
        "pol/broken.rego",
        "package broken\n\ndeny contains msg if {\n  msg := \"x\" +\n}\n",
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pol/broken.rego:4:"), "{}", run.stderr);
}

#[test]
fn policy_calling_unknown_builtin_is_a_load_error() {
    let dir = setup("x.yaml", b"a: 1\n");
    write(dir.path(), "pol/unknown.rego", "package unknown\n\ndeny contains msg if {\n  input.kind == \"Never\"\n  msg := crypto.frobnicate(input)\n}\n");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("pol/unknown.rego:5:"), "{}", run.stderr);
    assert!(run.stderr.contains("crypto.frobnicate"), "{}", run.stderr);
}

#[test]
fn runaway_policy_times_out_and_the_scan_goes_on() {
    let dir = setup("x.yaml", b"a: 1\n");
    write(
        dir.path(),
        "pol/loop.rego",
        "package loop\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  some i in numbers.range(1, 100000)\n  some j in numbers.range(1, 100000)\n  i + j < 0\n  msg := \"never\"\n}\n",
    );
    let run = scan(dir.path(), &["--policy-timeout", "0.5"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    assert_good_still_found(&r);
    let n = r["notifications"].as_array().unwrap();
    assert!(
        n.iter().any(|n| n["code"] == "policy-timeout"
            && n["message"].as_str().unwrap().contains("data.loop.deny")),
        "{n:?}"
    );
}

#[test]
fn failing_policy_becomes_a_notification() {
    let dir = setup("x.yaml", b"a: 1\n");
    write(dir.path(), "pol/fails.rego", "package fails\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  msg := sprintf(\"%d\", [to_number(input.metadata.name)])\n}\n");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let r = run.json();
    assert_good_still_found(&r);
    assert!(notification_codes(&r).contains(&"policy-error".to_string()));
}
