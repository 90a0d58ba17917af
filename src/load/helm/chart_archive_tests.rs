//! Archives built in memory (with the `tar` and `flate2` crates, headers written by hand where
//! a test needs a name `tar` would refuse to write), read alone and as subcharts.

use super::*;
use crate::load::helm::chart::{load, Chart};
use crate::load::helm::{engine, values, MemSource};
use crate::model::NoteLevel;
use flate2::write::GzEncoder;
use std::io::Write;

/// One tar entry: its raw name, its type, its data and (for links) its target.
struct E<'a> {
    name: &'a str,
    kind: tar::EntryType,
    data: &'a [u8],
    link: &'a str,
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> E<'a> {
    E {
        name,
        kind: tar::EntryType::Regular,
        data,
        link: "",
    }
}

/// The uncompressed tar stream of `entries` (names written as they are, unchecked).
fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let old = h.as_old_mut();
        old.name[..e.name.len()].copy_from_slice(e.name.as_bytes());
        old.linkname[..e.link.len()].copy_from_slice(e.link.as_bytes());
        h.set_entry_type(e.kind);
        h.set_mode(0o644);
        h.set_size(e.data.len() as u64);
        h.set_cksum();
        b.append(&h, e.data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn tgz(entries: &[E]) -> Vec<u8> {
    gz(&tar_of(entries))
}

/// A chart archive of `(path inside the chart, text)` files under directory `dir`.
fn chart_tgz(dir: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let names: Vec<String> = files.iter().map(|(p, _)| format!("{dir}/{p}")).collect();
    let entries: Vec<E> = names
        .iter()
        .zip(files)
        .map(|(n, (_, t))| file(n, t.as_bytes()))
        .collect();
    tgz(&entries)
}

fn unpack_default(bytes: &[u8]) -> Result<Unpacked, ArchiveError> {
    unpack(bytes, &mut Budget::default())
}

const SUB: &[(&str, &str)] = &[
    (
        "Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 0.1.2\n",
    ),
    ("values.yaml", "name: from-sub\nprivileged: true\n"),
    (
        "templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}-{{ .Chart.Name }}\n  \
         labels: {{ .Values.global | toYaml | nindent 4 }}\nspec:\n  containers:\n    - name: \
         app\n      image: nginx\n      securityContext:\n        privileged: {{ \
         .Values.privileged }}\n",
    ),
    (
        "templates/_helpers.tpl",
        "{{ define \"sub.name\" }}{{ .Chart.Name }}{{ end }}",
    ),
    ("files/conf.ini", "\u{feff}k=v\n"),
    (
        "templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"sub.name\" . }}\ndata:\n  \
         conf: {{ .Files.Get \"files/conf.ini\" | quote }}\n",
    ),
];

const PARENT_CHART: &str = "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: \
                            sub\n    version: 0.1.x\n";

fn render(c: &Chart, user: &[serde_json::Value]) -> Vec<(String, String)> {
    let p = values::release_values(c, user).expect("values");
    engine::render(
        &p.render_chart(),
        &p.values,
        &engine::RenderOptions::default(),
    )
    .expect("renders")
    .into_iter()
    .map(|m| (m.source, m.content))
    .collect()
}

fn errors(c: &Chart) -> Vec<String> {
    c.all_notifications()
        .into_iter()
        .filter(|n| n.level == NoteLevel::Error)
        .map(|n| format!("{:?}: {}", n.file, n.message))
        .collect()
}

#[test]
fn an_archived_subchart_renders_exactly_as_the_same_subchart_as_a_directory() {
    let mut dir_files: Vec<(String, Vec<u8>)> = vec![
        ("r/app/Chart.yaml".into(), PARENT_CHART.into()),
        ("r/app/values.yaml".into(), "global: {team: a}\n".into()),
    ];
    let mut tgz_files = dir_files.clone();
    for (p, t) in SUB {
        dir_files.push((format!("r/app/charts/sub/{p}"), t.as_bytes().to_vec()));
    }
    tgz_files.push(("r/app/charts/sub-0.1.2.tgz".into(), chart_tgz("sub", SUB)));
    let from_dir = load(&MemSource::new(dir_files), "r/app").unwrap();
    let from_tgz = load(&MemSource::new(tgz_files), "r/app").unwrap();
    assert!(errors(&from_tgz).is_empty(), "{:?}", errors(&from_tgz));
    assert!(from_tgz.archives.is_empty());
    let sub = &from_tgz.dependencies[0];
    assert_eq!(sub.dir, "r/app/charts/sub-0.1.2.tgz");
    assert_eq!(sub.archive.as_deref(), Some("r/app/charts/sub-0.1.2.tgz"));
    assert_eq!(from_dir.dependencies[0].archive, None);
    // The same templates, values and files (the byte order mark stripped in both).
    assert_eq!(sub.templates, from_dir.dependencies[0].templates);
    assert_eq!(sub.values, from_dir.dependencies[0].values);
    assert_eq!(sub.files, from_dir.dependencies[0].files);
    let a = render(&from_dir, &[]);
    let b = render(&from_tgz, &[]);
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(a, b);
    assert!(b[1].1.contains("name: from-sub-sub"), "{}", b[1].1);
    assert!(b[1].1.contains("team: a"), "global reaches it: {}", b[1].1);
    assert!(b[0].1.contains("conf: \"k=v\\n\""), "{}", b[0].1);
}

#[test]
fn condition_and_alias_dependencies_are_satisfied_by_an_archive() {
    let chart_yaml =
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: sub\n    \
                      version: 0.1.x\n    alias: other\n    condition: other.enabled\n";
    let c = load(
        &MemSource::new(vec![
            ("app/Chart.yaml".to_string(), chart_yaml.as_bytes().to_vec()),
            (
                "app/values.yaml".into(),
                b"other:\n  enabled: false\n  name: aliased\n".to_vec(),
            ),
            ("app/charts/sub-0.1.2.tgz".into(), chart_tgz("sub", SUB)),
        ]),
        "app",
    )
    .unwrap();
    assert!(render(&c, &[]).is_empty(), "the condition turns it off");
    let on = render(&c, &[serde_json::json!({"other": {"enabled": true}})]);
    let sources: Vec<&str> = on.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        sources,
        [
            "app/charts/other/templates/cm.yaml",
            "app/charts/other/templates/pod.yaml"
        ]
    );
    assert!(
        on[1].1.contains("name: aliased-other"),
        "values under the alias, .Chart.Name is the alias: {}",
        on[1].1
    );
}

#[test]
fn a_dependency_neither_vendored_nor_archived_is_named() {
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                b"apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - {name: sub, \
                  version: 0.1.x}\n  - {name: gone, version: 2.x}\n"
                    .to_vec(),
            ),
            (
                "app/templates/cm.yaml".into(),
                b"kind: ConfigMap\n".to_vec(),
            ),
            ("app/charts/sub-0.1.2.tgz".into(), chart_tgz("sub", SUB)),
        ]),
        "app",
    )
    .unwrap();
    let e = values::release_values(&c, &[]).unwrap_err();
    assert!(
        e.message
            .starts_with("found in Chart.yaml, but missing in charts/ directory: gone ("),
        "only gone is missing, sub is in its archive: {e}"
    );
    assert!(e.message.contains("helm dependency build"), "{e}");
}

#[test]
fn a_file_named_tgz_that_is_not_gzip_is_a_notification_and_the_parent_still_renders() {
    let c = load(
        &MemSource::new([
            ("app/Chart.yaml", PARENT_CHART),
            ("app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\n"),
            ("app/charts/sub-0.1.2.tgz", "apiVersion: v2\nname: sub\n"),
        ]),
        "app",
    )
    .unwrap();
    assert_eq!(c.archives, ["charts/sub-0.1.2.tgz"]);
    let notes = c.all_notifications();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let n = &notes[0];
    assert_eq!(n.level, NoteLevel::Error);
    assert_eq!(n.code, "helm-subchart-archive");
    assert_eq!(n.file.as_deref(), Some("app/charts/sub-0.1.2.tgz"));
    assert!(n
        .message
        .starts_with("chart app: subchart archive app/charts/sub-0.1.2.tgz"));
    assert!(
        n.message.contains("not a gzip-compressed chart archive"),
        "{}",
        n.message
    );
    assert!(
        n.message.contains("helm package"),
        "says what to do: {}",
        n.message
    );
    // The dependency it held is not reported missing again: the rest renders.
    let out = render(&c, &[]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, "app/templates/cm.yaml");
}

#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    // A member of 5 MiB of zeros (a file at Helm's per-file limit) compresses to a few KiB;
    // the same member repeated is one long stream (gzip members concatenate) of 21 files:
    // 105 MiB decompressed from about 100 KiB.
    let zeros = vec![0u8; MAX_FILE_BYTES as usize];
    let member = gz(&tar_of(&[file("sub/files/zero", &zeros)])[..512 + zeros.len()]);
    let mut bomb = gz(&tar_of(&[file("sub/Chart.yaml", SUB[0].1.as_bytes())])[..1024]);
    for _ in 0..21 {
        bomb.extend_from_slice(&member);
    }
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let e = unpack_default(&bomb).unwrap_err();
    assert!(
        e.message
            .contains("larger than the maximum size 104857600 bytes"),
        "{e:?}"
    );
    // As a subchart: a notification on the archive; the parent still loads.
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                b"apiVersion: v2\nname: app\nversion: 1.0.0\n".to_vec(),
            ),
            ("app/charts/sub-0.1.2.tgz".into(), bomb),
        ]),
        "app",
    )
    .unwrap();
    assert!(c.dependencies.is_empty());
    let errs = errors(&c);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("larger than the maximum size"), "{errs:?}");
    assert!(
        errs[0].contains("vendor the subchart as a directory"),
        "{errs:?}"
    );
}

#[test]
fn the_stream_is_bounded_even_where_no_file_is_read() {
    // A link entry carrying data: the data is never kept, but decompressing it counts.
    let data = vec![0u8; 2 * 1024 * 1024];
    let bytes = tgz(&[
        file("sub/Chart.yaml", b"x"),
        E {
            name: "sub/templates/l.yaml",
            kind: tar::EntryType::Symlink,
            data: &data,
            link: "x",
        },
    ]);
    let mut small = Budget {
        bytes: 1024 * 1024,
        entries: 8,
    };
    let e = unpack(&bytes, &mut small).unwrap_err();
    assert!(e.message.contains("larger than the maximum size"), "{e:?}");
    // Entries are bounded too.
    let many: Vec<String> = (0..10).map(|i| format!("sub/f{i}")).collect();
    let entries: Vec<E> = many.iter().map(|n| file(n, b"")).collect();
    let mut few = Budget {
        bytes: 1024,
        entries: 5,
    };
    let e = unpack(&tgz(&entries), &mut few).unwrap_err();
    assert!(e.message.contains("more than 20000 entries"), "{e:?}");
}

#[test]
fn paths_that_leave_the_chart_are_refused_as_helm_refuses_them() {
    let cases = [
        ("sub/../../etc/passwd", "refers to a parent directory"),
        ("sub/templates/../../../x", "refers to a parent directory"),
        ("sub//etc/passwd", "has an absolute path"),
        ("sub\\..\\..\\x", "refers to a parent directory"),
        ("README.md", "is outside the chart's directory"),
        ("sub/c:/windows/x", "is a Windows drive path"),
        ("Chart.yaml", "outside the chart's directory"),
    ];
    for (name, want) in cases {
        let bytes = tgz(&[file("sub/Chart.yaml", b"a"), file(name, b"x")]);
        let e = unpack_default(&bytes).unwrap_err();
        assert!(e.message.contains(want), "{name}: {e:?}");
        assert!(e.fix.contains("helm package"), "{name}: {e:?}");
    }
    // What Helm accepts: `..` that stays inside, Windows separators, a leading `/` (the
    // first element, empty, is the chart's directory).
    let ok = unpack_default(&tgz(&[
        file("sub/templates/../values.yaml", b"a: 1"),
        file("sub\\templates\\x.yaml", b"x"),
        file("/etc/passwd", b"p"),
    ]))
    .unwrap();
    let names: Vec<&str> = ok.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["values.yaml", "templates/x.yaml", "etc/passwd"]);
    // Through the loader: a notification naming the entry; nothing of the archive loaded.
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                b"apiVersion: v2\nname: app\nversion: 1.0.0\n".to_vec(),
            ),
            (
                "app/charts/evil-1.0.0.tgz".into(),
                tgz(&[
                    file(
                        "evil/Chart.yaml",
                        b"apiVersion: v2\nname: evil\nversion: 1.0.0\n",
                    ),
                    file("evil/../../../../tmp/x", b"x"),
                ]),
            ),
        ]),
        "app",
    )
    .unwrap();
    assert!(c.dependencies.is_empty());
    let errs = errors(&c);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("evil/../../../../tmp/x"), "{errs:?}");
}

#[test]
fn a_chart_yaml_at_the_top_of_the_archive_is_refused() {
    let e = unpack_default(&tgz(&[file("Chart.yaml", b"name: x")])).unwrap_err();
    // Helm's own order of checks: the path is nothing once the first element is stripped.
    assert!(e.message.contains("outside the chart's directory"), "{e:?}");
    let e = unpack_default(&tgz(&[file("Chart.yaml/x", b"name: x")])).unwrap_err();
    assert!(
        e.message
            .contains("Chart.yaml is not in the chart's directory"),
        "{e:?}"
    );
}

#[test]
fn links_and_devices_are_not_followed() {
    let bytes = tgz(&[
        file("sub/Chart.yaml", SUB[0].1.as_bytes()),
        E {
            name: "sub/templates/pod.yaml",
            kind: tar::EntryType::Symlink,
            data: b"",
            link: "../../../../../etc/passwd",
        },
        E {
            name: "sub/files/hard",
            kind: tar::EntryType::Link,
            data: b"",
            link: "sub/Chart.yaml",
        },
        E {
            name: "sub/files/dev",
            kind: tar::EntryType::Char,
            data: b"",
            link: "",
        },
    ]);
    let u = unpack_default(&bytes).unwrap();
    let got: Vec<(&str, usize)> = u.files.iter().map(|(n, d)| (n.as_str(), d.len())).collect();
    assert_eq!(
        got,
        [
            ("Chart.yaml", SUB[0].1.len()),
            ("templates/pod.yaml", 0),
            ("files/hard", 0),
            ("files/dev", 0)
        ]
    );
    assert_eq!(u.warnings.len(), 3, "{:?}", u.warnings);
    assert!(u.warnings[0].contains("templates/pod.yaml is a symbolic link"));
    // As a subchart: it loads, the link is an empty template, and a warning names it.
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                PARENT_CHART.as_bytes().to_vec(),
            ),
            ("app/charts/sub-0.1.2.tgz".into(), bytes),
        ]),
        "app",
    )
    .unwrap();
    assert_eq!(c.dependencies.len(), 1);
    assert!(c.dependencies[0].templates[0].bytes.is_empty());
    let warns: Vec<_> = c
        .all_notifications()
        .into_iter()
        .filter(|n| n.level == NoteLevel::Warning)
        .collect();
    assert_eq!(warns.len(), 3, "{warns:?}");
    assert_eq!(warns[0].file.as_deref(), Some("app/charts/sub-0.1.2.tgz"));
    assert!(render(&c, &[]).is_empty());
}

#[test]
fn truncated_and_empty_archives_are_refused() {
    let good = chart_tgz("sub", SUB);
    let e = unpack_default(&good[..good.len() / 2]).unwrap_err();
    assert!(e.message.contains("truncated"), "{e:?}");
    let e = unpack_default(&tgz(&[])).unwrap_err();
    assert_eq!(e.message, "no files in chart archive");
    let e = unpack_default(b"").unwrap_err();
    assert!(e.message.contains("it is empty"), "{e:?}");
    let e = unpack_default(&tar_of(&[file("sub/Chart.yaml", b"x")])).unwrap_err();
    assert!(
        e.message.contains("tar archive that is not compressed"),
        "{e:?}"
    );
}

#[test]
fn a_file_over_the_per_file_limit_is_refused() {
    let big = vec![b'a'; MAX_FILE_BYTES as usize + 1];
    let e = unpack_default(&tgz(&[file("sub/files/big", &big)])).unwrap_err();
    assert!(e.message.contains("\"files/big\""), "{e:?}");
    assert!(e.message.contains("maximum file size 5242880"), "{e:?}");
}

#[test]
fn the_helmignore_inside_an_archive_is_not_applied() {
    let u = unpack_default(&chart_tgz(
        "sub",
        &[
            ("Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.2\n"),
            (".helmignore", "*.txt\n"),
            ("files/a.txt", "kept"),
        ],
    ))
    .unwrap();
    assert_eq!(u.files.len(), 3);
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                PARENT_CHART.as_bytes().to_vec(),
            ),
            (
                "app/charts/sub-0.1.2.tgz".into(),
                chart_tgz(
                    "sub",
                    &[
                        ("Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.2\n"),
                        (".helmignore", "*.txt\n"),
                        ("files/a.txt", "kept"),
                    ],
                ),
            ),
        ]),
        "app",
    )
    .unwrap();
    let files: Vec<&str> = c.dependencies[0]
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(files, [".helmignore", "files/a.txt"]);
}

/// An archive of chart `name` holding `inner` (an archive) as `charts/<inner name>.tgz`.
fn nest(name: &str, inner: Option<(&str, Vec<u8>)>) -> Vec<u8> {
    let chart_yaml = format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n");
    let template = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    let cy = format!("{name}/Chart.yaml");
    let tp = format!("{name}/templates/cm.yaml");
    let mut entries = vec![
        file(&cy, chart_yaml.as_bytes()),
        file(&tp, template.as_bytes()),
    ];
    let ip;
    if let Some((inner_name, bytes)) = &inner {
        ip = format!("{name}/charts/{inner_name}-1.0.0.tgz");
        entries.push(file(&ip, bytes));
    }
    tgz(&entries)
}

#[test]
fn archives_inside_archives_load_recursively_to_a_bounded_depth() {
    let c3 = nest("c3", None);
    let c2 = nest("c2", Some(("c3", c3)));
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                b"apiVersion: v2\nname: app\nversion: 1.0.0\n".to_vec(),
            ),
            ("app/charts/c2-1.0.0.tgz".into(), c2),
        ]),
        "app",
    )
    .unwrap();
    assert!(errors(&c).is_empty(), "{:?}", errors(&c));
    let c3 = &c.dependencies[0].dependencies[0];
    assert_eq!(c3.dir, "app/charts/c2-1.0.0.tgz/charts/c3-1.0.0.tgz");
    assert_eq!(c3.archive.as_deref(), Some("app/charts/c2-1.0.0.tgz"));
    let sources: Vec<String> = render(&c, &[]).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        sources,
        [
            "app/charts/c2/charts/c3/templates/cm.yaml",
            "app/charts/c2/templates/cm.yaml"
        ]
    );
    // Nine deep: the ninth is refused, the eight above it load.
    let mut bytes = nest("n9", None);
    for i in (1..9).rev() {
        bytes = nest(&format!("n{i}"), Some((&format!("n{}", i + 1), bytes)));
    }
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                b"apiVersion: v2\nname: app\nversion: 1.0.0\n".to_vec(),
            ),
            ("app/charts/n1-1.0.0.tgz".into(), bytes),
        ]),
        "app",
    )
    .unwrap();
    let errs = errors(&c);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("nest more than 8 deep"), "{errs:?}");
    assert!(
        errs[0].starts_with("Some(\"app/charts/n1-1.0.0.tgz\")"),
        "on the archive in the repository: {errs:?}"
    );
    assert_eq!(render(&c, &[]).len(), 8);
}

#[test]
fn a_chart_that_does_not_load_inside_an_archive_is_a_notification_on_the_archive() {
    let c = load(
        &MemSource::new(vec![
            (
                "app/Chart.yaml".to_string(),
                PARENT_CHART.as_bytes().to_vec(),
            ),
            (
                "app/templates/cm.yaml".into(),
                b"kind: ConfigMap\n".to_vec(),
            ),
            (
                "app/charts/sub-0.1.2.tgz".into(),
                chart_tgz(
                    "sub",
                    &[("Chart.yaml", "apiVersion: v2\nname: sub\nversion: [\n")],
                ),
            ),
        ]),
        "app",
    )
    .unwrap();
    let notes = c.all_notifications();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].file.as_deref(), Some("app/charts/sub-0.1.2.tgz"));
    assert!(
        notes[0]
            .message
            .contains("cannot be loaded: Chart.yaml:3: cannot load Chart.yaml"),
        "{}",
        notes[0].message
    );
    assert_eq!(render(&c, &[]).len(), 1, "the parent still renders");
}
