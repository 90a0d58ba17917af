//! The YAML/JSON loader against hostile input: parse budgets that count what aliases expand
//! to, encodings detected as YAML 1.2 says, nested Lists flattened.

use super::tree::Value;
use super::*;

fn parse(text: &str) -> Result<Vec<Node>, ParseError> {
    parse_documents(text, &LoadOptions::default())
}

/// Runs `f` on a stack as big as a scan's worker threads have (`src/main.rs`): the parser
/// recurses once per level of nesting, and a debug build's frames are large.
fn on_scan_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn_scoped(scope, f)
            .expect("spawn a thread")
            .join()
            .expect("no panic")
    })
}

/// `levels` levels of anchors, each a sequence of `fan` aliases of the level below, over
/// `bottom`: `fan^levels` copies of `bottom` from a few hundred bytes.
fn nested_anchors(bottom: &str, fan: usize, levels: usize) -> String {
    let mut y = format!("l0: &l0 {bottom}\n");
    for i in 1..=levels {
        let refs = vec![format!("*l{}", i - 1); fan].join(", ");
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
fn budget_scales_with_the_size_and_has_floors_and_caps() {
    let small = ParseBudget::for_len(100);
    assert_eq!(small.nodes, ParseBudget::MIN_NODES);
    assert_eq!(small.scalar_bytes, ParseBudget::MIN_SCALAR_BYTES);
    let mid = ParseBudget::for_len(2_000_000);
    assert_eq!(mid.nodes, 2_000_000 * ParseBudget::NODES_PER_BYTE);
    assert_eq!(
        mid.scalar_bytes,
        2_000_000 * ParseBudget::SCALAR_BYTES_PER_BYTE
    );
    let huge = ParseBudget::for_len(500_000_000);
    assert_eq!(huge.nodes, ParseBudget::MAX_NODES);
    assert_eq!(huge.scalar_bytes, ParseBudget::MAX_SCALAR_BYTES);
    assert!(huge.events > huge.nodes, "nodes run out before events");
    assert!(huge.anchor_events <= ParseBudget::MAX_ANCHOR_EVENTS);
}

#[test]
fn a_big_scalar_aliased_a_thousand_times_is_refused_by_its_expanded_bytes() {
    // 64 KiB × 10³ = 64 MiB of text from 64 KiB, with only 30 aliases and 1,111 nodes: no
    // count of events, aliases or nodes sees it, only the expanded bytes.
    let y = nested_anchors(&"x".repeat(64 * 1024), 10, 3);
    let err = parse(&y).expect_err("the expansion must be refused");
    assert!(err.over_budget, "{err:?}");
    assert!(err.message.contains("bytes of text"), "{}", err.message);
    assert!(
        err.message
            .contains(&ParseBudget::MIN_SCALAR_BYTES.to_string()),
        "the message names the limit: {}",
        err.message
    );
}

#[test]
fn an_aliased_sequence_is_refused_by_its_expanded_nodes() {
    // 1,000 scalars × 20 × 20 = 400,000 nodes from 2 KB, with 40 aliases.
    let y = nested_anchors(&format!("[{}]", vec!["1"; 1000].join(",")), 20, 2);
    let err = parse(&y).expect_err("the expansion must be refused");
    assert!(err.over_budget, "{err:?}");
    assert!(err.message.contains("nodes"), "{}", err.message);
    assert!(
        err.message.contains(&ParseBudget::MIN_NODES.to_string()),
        "{}",
        err.message
    );
}

#[test]
fn merge_keys_that_double_at_each_level_are_refused() {
    let mut y = String::from("l0: &l0 {k0: v, j0: v}\n");
    for i in 1..25 {
        y.push_str(&format!(
            "l{i}: &l{i} {{<<: [*l{p}, *l{p}], k{i}: v}}\n",
            p = i - 1
        ));
    }
    let err = parse(&y).expect_err("the expansion must be refused");
    assert!(err.over_budget, "{err:?}");
}

#[test]
fn one_anchor_used_many_times_is_ordinary_yaml() {
    // The library's alias/anchor ratio heuristic refused this (200 aliases of 1 anchor).
    let mut y = String::from("defaults: &d {cpu: 100m, memory: 64Mi}\nitems:\n");
    for i in 0..200 {
        y.push_str(&format!("  - name: c{i}\n    <<: *d\n"));
    }
    let docs = parse(&y).expect("ordinary anchors are accepted");
    let items = docs[0].get("items").unwrap();
    let Value::Seq(items) = &items.value else {
        panic!("items is a sequence")
    };
    assert_eq!(items.len(), 200);
    assert_eq!(
        items[199].get("memory").and_then(Node::as_str),
        Some("64Mi")
    );
}

#[test]
fn too_many_documents_and_too_deep_nesting_name_their_limits() {
    let docs = "---\na: 1\n".repeat(ParseBudget::MAX_DOCUMENTS + 1);
    let err = parse(&docs).expect_err("too many documents");
    assert!(err.over_budget);
    assert!(
        err.message
            .contains(&ParseBudget::MAX_DOCUMENTS.to_string()),
        "{}",
        err.message
    );
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let err = on_scan_stack(|| parse(&deep)).expect_err("too deep");
    assert!(err.over_budget);
    assert!(
        err.message.contains("at most 128 levels"),
        "{}",
        err.message
    );
}

#[test]
fn a_syntax_error_is_not_a_budget() {
    let err = parse("a: [1, 2\n").expect_err("unclosed");
    assert!(!err.over_budget, "{err:?}");
}

#[test]
fn a_budget_breach_in_a_file_is_a_budget_exceeded_error_naming_the_file() {
    let y = nested_anchors(&"x".repeat(64 * 1024), 10, 3);
    let loaded = load_file("k8s/bomb.yaml", y.as_bytes(), &LoadOptions::default());
    assert!(loaded.documents.is_empty());
    let [n] = &loaded.notifications[..] else {
        panic!("{:?}", loaded.notifications)
    };
    assert_eq!(n.level, NoteLevel::Error);
    assert_eq!(n.code, "budget-exceeded");
    assert_eq!(n.file.as_deref(), Some("k8s/bomb.yaml"));
    assert!(n.message.starts_with("k8s/bomb.yaml:"), "{}", n.message);
    assert!(loaded.parse_error.is_some());
}

// ---------------------------------------------------------------- encodings

/// Characters outside ASCII and outside the BMP before a value on its line: its column counts
/// characters, the same whatever the encoding.
const DEPLOY: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"é😀\"\ndata: {\"😀\": x, k: v}\n";

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    units
        .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
        .collect()
}

fn utf32(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let chars = bom
        .then_some(0xFEFF)
        .into_iter()
        .chain(text.chars().map(u32::from));
    chars
        .flat_map(|c| if le { c.to_le_bytes() } else { c.to_be_bytes() })
        .collect()
}

#[test]
fn encodings_are_detected_as_yaml_1_2_says() {
    let cases: [(Vec<u8>, Encoding, bool); 9] = [
        (DEPLOY.as_bytes().to_vec(), Encoding::Utf8, false),
        (
            [&[0xEF, 0xBB, 0xBF][..], DEPLOY.as_bytes()].concat(),
            Encoding::Utf8,
            true,
        ),
        (utf16(DEPLOY, true, true), Encoding::Utf16Le, true),
        (utf16(DEPLOY, true, false), Encoding::Utf16Le, false),
        (utf16(DEPLOY, false, true), Encoding::Utf16Be, true),
        (utf16(DEPLOY, false, false), Encoding::Utf16Be, false),
        (utf32(DEPLOY, true, true), Encoding::Utf32Le, true),
        (utf32(DEPLOY, false, false), Encoding::Utf32Be, false),
        (utf32(DEPLOY, true, false), Encoding::Utf32Le, false),
    ];
    for (bytes, encoding, bom) in cases {
        let Ok(decoded) = decode(&bytes) else {
            panic!("{encoding:?} (BOM: {bom}) not decoded");
        };
        assert_eq!(decoded.encoding, encoding);
        assert_eq!(decoded.bom, bom, "{encoding:?}");
        assert_eq!(decoded.text, DEPLOY, "{encoding:?} (BOM: {bom})");
    }
}

#[test]
fn a_re_encoded_file_keeps_its_positions_in_characters() {
    let positions = |bytes: &[u8]| {
        let loaded = load_file("f.yaml", bytes, &LoadOptions::default());
        let doc = &loaded.documents[0];
        let name = doc.node.get("metadata").unwrap().get("name").unwrap();
        let data = doc.node.get("data").unwrap().get("k").unwrap();
        (name.start, data.start, loaded.notifications)
    };
    let (name, data, notes) = positions(DEPLOY.as_bytes());
    assert!(notes.is_empty());
    assert_eq!((name.line, name.column), (4, 9));
    assert_eq!((data.line, data.column), (5, 19));
    for bytes in [
        utf16(DEPLOY, true, false),
        utf16(DEPLOY, false, true),
        utf32(DEPLOY, true, true),
    ] {
        let (n, d, _) = positions(&bytes);
        assert_eq!((n, d), (name, data));
    }
}

#[test]
fn kubectl_s_encodings_pass_quietly_and_the_others_are_warned_about() {
    let codes = |bytes: &[u8]| -> Vec<(NoteLevel, String)> {
        load_file("f.yaml", bytes, &LoadOptions::default())
            .notifications
            .into_iter()
            .map(|n| (n.level, n.code))
            .collect()
    };
    assert!(codes(&utf16(DEPLOY, true, true)).is_empty());
    assert!(codes(&utf16(DEPLOY, false, true)).is_empty());
    let warned = vec![(NoteLevel::Warning, "encoding-not-kubectl".to_string())];
    assert_eq!(codes(&utf16(DEPLOY, true, false)), warned);
    assert_eq!(codes(&utf32(DEPLOY, false, true)), warned);
}

#[test]
fn text_that_cannot_be_decoded_is_an_error_at_its_line() {
    let problem = |bytes: &[u8]| {
        let loaded = load_file("f.yaml", bytes, &LoadOptions::default());
        assert!(loaded.documents.is_empty());
        let n = loaded.notifications[0].clone();
        assert_eq!(n.level, NoteLevel::Error, "{n:?}");
        (n.code, n.position.map(|p| p.line))
    };
    // A NUL byte after the first 8 KiB, which the old check did not look at.
    let late_nul = format!("# {}\na: 1\nb: \"\0\"\n", "x".repeat(10_000));
    assert_eq!(
        problem(late_nul.as_bytes()),
        ("binary-file".to_string(), Some(3))
    );
    assert_eq!(
        problem(b"a: 1\n\0\0\0\0"),
        ("binary-file".to_string(), Some(2))
    );
    // Binary data whose first bytes look like UTF-16BE (`00 x`): control characters.
    assert_eq!(
        problem(b"\x00\x01\x02\x03binary"),
        ("binary-file".to_string(), Some(1))
    );
    // An unpaired surrogate on line 2 of UTF-16LE text.
    let mut bad = utf16("a: 1\nb: ", true, false);
    bad.extend_from_slice(&0xD800u16.to_le_bytes());
    bad.extend_from_slice(&utf16("x\n", true, false));
    assert_eq!(problem(&bad), ("encoding-error".to_string(), Some(2)));
    // UTF-16 with an odd number of bytes.
    let mut odd = utf16(DEPLOY, true, true);
    odd.push(b'x');
    assert_eq!(problem(&odd), ("encoding-error".to_string(), Some(6)));
    assert_eq!(
        problem(b"a: caf\xe9\n"),
        ("encoding-error".to_string(), Some(1))
    );
}

// ---------------------------------------------------------------- Kubernetes Lists

fn pod(name: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!("{pad}- apiVersion: v1\n{pad}  kind: Pod\n{pad}  metadata: {{name: {name}}}\n")
}

fn flatten(text: &str) -> (Vec<Document>, Vec<Notification>) {
    let file = Arc::new(SourceFile::new("l.yaml".into(), text.to_string()));
    let mut docs = Vec::new();
    let mut notes = Vec::new();
    for (i, node) in parse(text).unwrap().into_iter().enumerate() {
        notes.extend(kubernetes::push_documents(&file, i, node, &mut docs));
    }
    (docs, notes)
}

#[test]
fn a_list_inside_a_list_is_flattened_in_file_order_with_positions() {
    let text = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}  - apiVersion: v1\n    kind: List\n    items:\n{}{}{}",
        pod("a", 2),
        pod("b", 4),
        pod("c", 4),
        pod("d", 2)
    );
    let (docs, notes) = flatten(&text);
    assert!(notes.is_empty(), "{notes:?}");
    let got: Vec<(String, String, u32)> = docs
        .iter()
        .map(|d| {
            let r = d.resource.as_ref().unwrap();
            (r.kind.clone(), r.name.clone(), d.node.start.line)
        })
        .collect();
    let want = [("a", 4), ("b", 10), ("c", 13), ("d", 16)];
    assert_eq!(
        got,
        want.map(|(n, l)| ("Pod".to_string(), n.to_string(), l))
            .to_vec()
    );
    assert!(docs.iter().all(|d| d.index == 0));
}

/// The kinds of the documents `levels` nested Lists around a Pod give, and the notifications.
fn nested_lists(levels: usize) -> (Vec<String>, Vec<Notification>) {
    let mut node =
        serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
    for _ in 0..levels {
        node = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [node]});
    }
    let text = node.to_string();
    on_scan_stack(move || {
        let (docs, notes) = flatten(&text);
        let kinds = docs
            .iter()
            .map(|d| d.resource.as_ref().unwrap().kind.clone())
            .collect();
        (kinds, notes)
    })
}

#[test]
fn lists_nested_beyond_the_budget_are_kept_whole_and_reported() {
    let (kinds, notes) = nested_lists(kubernetes::MAX_LIST_NESTING + 1);
    assert_eq!(kinds, ["List"]);
    let [n] = &notes[..] else { panic!("{notes:?}") };
    assert_eq!(
        (n.level, n.code.as_str()),
        (NoteLevel::Error, "list-too-deep")
    );
    // At the budget, everything is flattened.
    let (kinds, notes) = nested_lists(kubernetes::MAX_LIST_NESTING);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(kinds, ["Pod"]);
}

#[test]
fn a_list_item_that_is_not_an_object_is_warned_about() {
    let text = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}  - just a string\n  - {{name: no-kind}}\n",
        pod("a", 2)
    );
    let (docs, notes) = flatten(&text);
    assert_eq!(docs.len(), 3);
    let got: Vec<(NoteLevel, &str, u32)> = notes
        .iter()
        .map(|n| (n.level, n.code.as_str(), n.position.unwrap().line))
        .collect();
    assert_eq!(
        got,
        [
            (NoteLevel::Warning, "list-item-not-object", 7),
            (NoteLevel::Warning, "list-item-not-object", 8)
        ]
    );
}
