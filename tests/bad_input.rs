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
    assert_eq!(notification_codes(&r), ["budget-exceeded"]);
    let n = &r["notifications"][0];
    assert_eq!(n["file"], "bomb.yaml");
    assert_eq!(n["level"], "error");
    let msg = n["message"].as_str().unwrap();
    assert!(
        msg.starts_with("bomb.yaml:") && msg.contains("more than 100000 "),
        "the message names the file and the limit: {msg}"
    );
    assert!(msg.contains("alias bomb"), "{msg}");
}

/// `levels` levels of anchors, each a sequence of ten aliases of the level below, over
/// `bottom`: 10^levels copies of it.
fn nested_anchors(bottom: &str, levels: usize) -> String {
    let mut y = format!("l0: &l0 {bottom}\n");
    for i in 1..=levels {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        // The last level is not anchored: nothing refers to it.
        let anchor = if i < levels {
            format!("&l{i} ")
        } else {
            String::new()
        };
        y.push_str(&format!("l{i}: {anchor}[{refs}]\n"));
    }
    y
}

#[test]
fn few_aliases_of_a_big_scalar_are_refused_by_the_bytes_they_expand_to() {
    // 64 KiB aliased 1,110 times (70 MiB) with 30 aliases and about a thousand nodes: under
    // every count of events, nodes and aliases; only the expanded bytes show it.
    let dir = setup(
        "big-scalar.yaml",
        nested_anchors(&"x".repeat(64 * 1024), 3).as_bytes(),
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    assert_good_still_found(&r);
    assert_eq!(notification_codes(&r), ["budget-exceeded"]);
    let n = &r["notifications"][0];
    assert_eq!(n["file"], "big-scalar.yaml");
    let msg = n["message"].as_str().unwrap();
    assert!(msg.contains("bytes of text"), "{msg}");
    assert!(msg.contains("4194304"), "the limit is named: {msg}");
}

#[test]
fn an_aliased_sequence_is_refused_by_the_nodes_it_expands_to() {
    // 2,000 scalars × 10 × 10 = 200,000 nodes from 4 KB, with 20 aliases.
    let seq = format!("[{}]", vec!["1"; 2000].join(","));
    let dir = setup("big-seq.yaml", nested_anchors(&seq, 2).as_bytes());
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    assert_good_still_found(&r);
    assert_eq!(notification_codes(&r), ["budget-exceeded"]);
    assert_eq!(r["notifications"][0]["file"], "big-seq.yaml");
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
    assert_eq!(
        notification_codes(&r),
        ["budget-exceeded", "budget-exceeded"]
    );
    for n in r["notifications"].as_array().unwrap() {
        let msg = n["message"].as_str().unwrap();
        assert!(msg.contains("at most 128 levels"), "{msg}");
    }
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
    assert!(
        r["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["level"] == "error"),
        "content that could not be read was not checked: {}",
        r["notifications"]
    );
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
fn a_nul_byte_alone_makes_the_scan_incomplete() {
    let dir = setup(
        "nul.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\x00b\n",
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 3, "not checked, so incomplete: {}", run.stdout);
    let r = run.json();
    assert_good_still_found(&r);
    assert_eq!(notification_codes(&r), ["binary-file"]);
    let n = &r["notifications"][0];
    assert_eq!(
        (&n["level"], &n["file"]),
        (&"error".into(), &"nul.yaml".into())
    );
    assert_eq!(n["position"]["line"], 4);
}

/// The privileged Deployment with characters outside ASCII and outside the BMP before the
/// privileged value on its line (line 12).
const WIDE_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: wide
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.25
          securityContext: {\"é😀\": 1, privileged: true}
";

#[test]
fn utf16_and_utf32_are_read_as_yaml_detects_them_with_positions_in_characters() {
    let utf16 = |le: bool| -> Vec<u8> {
        WIDE_DEPLOYMENT
            .encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect()
    };
    let utf32_bom: Vec<u8> = std::iter::once(0xFEFF)
        .chain(WIDE_DEPLOYMENT.chars().map(u32::from))
        .flat_map(u32::to_le_bytes)
        .collect();
    let dir = setup("enc/utf8.yaml", WIDE_DEPLOYMENT.as_bytes());
    for (name, bytes) in [
        ("enc/utf16le.yaml", utf16(true)),
        ("enc/utf16be.yaml", utf16(false)),
        ("enc/utf32.yaml", utf32_bom),
    ] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1, "every file was read: {}", run.stdout);
    let r = run.json();
    assert_good_still_found(&r);
    let mut found: Vec<(String, u64, u64)> = locations(&r)
        .into_iter()
        .filter(|l| l.0.starts_with("enc/"))
        .map(|l| (l.0, l.1, l.2))
        .collect();
    found.sort();
    assert_eq!(
        found,
        ["utf16be", "utf16le", "utf32", "utf8"].map(|e| (format!("enc/{e}.yaml"), 12, 38))
    );
    // kubectl reads only UTF-8 and UTF-16 with a BOM: the others are checked, and warned about.
    let mut warned: Vec<(String, String)> = r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().into(),
                n["file"].as_str().unwrap().into(),
            )
        })
        .collect();
    warned.sort();
    assert_eq!(
        warned,
        ["enc/utf16be.yaml", "enc/utf16le.yaml", "enc/utf32.yaml"]
            .map(|f| ("encoding-not-kubectl".to_string(), f.to_string()))
    );
}

#[test]
fn lists_inside_lists_are_flattened_and_each_item_keeps_its_position() {
    let lists = "apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: List
    items:
      - apiVersion: v1
        kind: Pod
        metadata: {name: inner}
        spec:
          containers:
            - name: c
              image: x
              securityContext: {privileged: true}
  - apiVersion: v1
    kind: Pod
    metadata: {name: outer}
    spec:
      containers:
        - {name: d, image: y, securityContext: {privileged: true}}
";
    let dir = setup("lists.yaml", lists.as_bytes());
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let r = run.json();
    assert_good_still_found(&r);
    let mut found: Vec<(u64, u64)> = locations(&r)
        .into_iter()
        .filter(|l| l.0 == "lists.yaml")
        .map(|l| (l.1, l.2))
        .collect();
    found.sort();
    assert_eq!(found, [(14, 33), (20, 49)]);
    assert_eq!(notification_codes(&r), Vec::<String>::new());
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
