use super::*;
use crate::load::helm::MemSource;
use serde_json::json;

fn values_of(text: &str) -> serde_json::Value {
    serde_json::Value::Object(yaml::parse_values(text).expect("values parse"))
}

#[test]
fn yaml_scalars_resolve_as_go_yaml_v2() {
    let v = values_of(
        "a: yes\nb: No\nc: on\nd: \"yes\"\ne: 'on'\nf: 0777\ng: 1_000\nh: 0x1F\ni: 1e3\n\
         j: 10000000\nk: 1.10\nl: ~\nm:\nnn: 2024-01-02\no: \"2024-01-02\"\np: 08\nq: yES\n\
         r: .5\ns: |\n  yes\nt: -0b101\nu: 2001-12-14t21:59:43.10-05:00\nv: 2001-12-14 21:59:43.10\n\
         w: +12\nx: 0o17\nyy: null\nz: NULL\n",
    );
    assert_eq!(
        v,
        json!({
            "a": true, "b": false, "c": true, "d": "yes", "e": "on", "f": 511.0, "g": 1000.0,
            "h": 31.0, "i": 1000.0, "j": 10000000.0, "k": 1.1, "l": null, "m": null,
            "nn": "2024-01-02T00:00:00Z", "o": "2024-01-02", "p": 8.0, "q": "yES", "r": 0.5,
            "s": "yes\n", "t": -5.0, "u": "2001-12-14T21:59:43.1-05:00",
            "v": "2001-12-14T21:59:43.1Z", "w": 12.0, "x": 15.0, "yy": null, "z": null
        })
    );
    // Every number is a float: the engine prints 10000000 as Go does (1e+07).
    assert!(v["j"].is_f64());
}

#[test]
fn yaml_keys_become_strings_as_sigs_yaml_makes_them() {
    let v = values_of("80: a\ntrue: b\n1.10: c\non: d\n0x10: e\n\"q\": f\n");
    assert_eq!(
        v,
        json!({"80": "a", "true": "b", "1.1": "c", "16": "e", "q": "f"})
            .as_object()
            .map(|m| {
                let mut m = m.clone();
                // `on` is the boolean true too: the last of the two keys wins.
                m.insert("true".into(), json!("d"));
                serde_json::Value::Object(m)
            })
            .unwrap()
    );
}

#[test]
fn yaml_anchors_tags_and_flow() {
    let v = values_of(
        "base: &b {x: 1, z: on}\ncopy: *b\ns: !!str 12\nl: [a, 'b', 3]\nm: &m yes\nmm: *m\n\
         t: &t !!str 13\nu: !!str &u 14\nv: ! 15\n",
    );
    assert_eq!(
        v,
        json!({"base": {"x": 1.0, "z": true}, "copy": {"x": 1.0, "z": true}, "s": "12",
               "l": ["a", "b", 3.0], "m": true, "mm": true, "t": "13", "u": "14", "v": "15"})
    );
    // Spellings go-yaml v2 does not know stay strings; quoted keys stay as written.
    assert_eq!(
        values_of("a: NuLl\nb: TrUe\nc: one\n  two\n\"yes\": q\nd: |-\n  x\n"),
        json!({"a": "NuLl", "b": "TrUe", "c": "one two", "yes": "q", "d": "x"})
    );
    // go-yaml v2 resolves plain keys like values: `y` and `n` are the booleans.
    assert_eq!(
        values_of("y: 1\nn: 2\n"),
        json!({"true": 1.0, "false": 2.0})
    );
}

#[test]
fn values_documents_are_merged() {
    let v = values_of("a: 1\nb: {x: 1, w: 2}\n---\n# only a comment\n---\nb: {w: 3}\nc: [1]\n");
    assert_eq!(v, json!({"a": 1.0, "b": {"x": 1.0, "w": 3.0}, "c": [1.0]}));
    let e = yaml::parse_values("a: 1\n--- x\n").unwrap_err();
    assert_eq!(e.line, Some(2));
    let e = yaml::parse_values("a: 1\n---\n- x\n").unwrap_err();
    assert_eq!(e.line, Some(3));
}

#[test]
fn go_float_formatting() {
    assert_eq!(yaml::go_format_float(1e7, 64), "1e+07");
    assert_eq!(yaml::go_format_float(100000.0, 64), "100000");
    assert_eq!(yaml::go_format_float(123456789.0, 64), "1.23456789e+08");
    assert_eq!(yaml::go_format_float(0.0001, 64), "0.0001");
    assert_eq!(yaml::go_format_float(0.00001, 64), "1e-05");
    assert_eq!(yaml::go_format_float(1.5, 64), "1.5");
    assert_eq!(yaml::go_format_float(-2.0, 64), "-2");
    assert_eq!(yaml::go_format_float(1.1, 32), "1.1");
    assert_eq!(yaml::go_format_float(1.10, 32), "1.1");
}

fn mem(files: &[(&str, &str)]) -> MemSource {
    MemSource::new(
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())),
    )
}

#[test]
fn loads_a_chart_with_files_templates_crds_and_subcharts() {
    let src = mem(&[
        ("repo/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\nappVersion: 1.10\ndependencies:\n  - name: sub\n    version: 0.1.x\n    alias: other\n    import-values: [data]\n"),
        ("repo/app/values.yaml", "\u{feff}replicas: 3\n"),
        ("repo/app/values.schema.json", "{}"),
        ("repo/app/.helmignore", "*.md\nsecret/\n"),
        ("repo/app/README.md", "x"),
        ("repo/app/secret/a.txt", "x"),
        ("repo/app/files/conf.ini", "k=v"),
        ("repo/app/crds/crd.yaml", "kind: CustomResourceDefinition"),
        ("repo/app/crds/notes.txt", "x"),
        ("repo/app/templates/deploy.yaml", "kind: Deployment"),
        ("repo/app/templates/.hidden.yaml", "x"),
        ("repo/app/templates/_helpers.tpl", "{{/* */}}"),
        ("repo/app/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.2\n"),
        ("repo/app/charts/sub/templates/cm.yaml", "kind: ConfigMap"),
        ("repo/app/charts/sub/README.md", "ignored by the top .helmignore"),
        ("repo/app/charts/pkg-1.0.0.tgz", "not read"),
        ("repo/app/charts/_skipped/Chart.yaml", "broken: ["),
        ("repo/app/charts/sub-1.0.0.prov", "sig"),
        ("repo/app/Chart.lock", "dependencies:\n- name: sub\n  version: 0.1.2\ndigest: sha256:abc\ngenerated: \"2024-01-01T00:00:00Z\"\n"),
    ]);
    let c = load(&src, "repo/app").expect("loads");
    assert_eq!(c.dir, "repo/app");
    assert_eq!(c.name(), "app");
    assert_eq!(
        c.metadata.app_version, "1.1",
        "a float appVersion is printed with 32-bit precision"
    );
    assert_eq!(c.values, json!({"replicas": 3.0}));
    assert!(c.schema.is_some());
    let paths = |v: &[ChartFile]| v.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    assert_eq!(
        paths(&c.templates),
        ["templates/_helpers.tpl", "templates/deploy.yaml"]
    );
    assert_eq!(paths(&c.crds), ["crds/crd.yaml"]);
    assert_eq!(
        paths(&c.files),
        [
            ".helmignore",
            "charts/sub-1.0.0.prov",
            "crds/crd.yaml",
            "crds/notes.txt",
            "files/conf.ini"
        ]
    );
    assert_eq!(c.dependencies.len(), 1);
    let sub = &c.dependencies[0];
    assert_eq!(sub.dir, "repo/app/charts/sub");
    assert_eq!(paths(&sub.templates), ["templates/cm.yaml"]);
    assert!(sub.files.is_empty(), "{:?}", paths(&sub.files));
    assert_eq!(c.archives, ["charts/pkg-1.0.0.tgz"]);
    assert_eq!(c.notifications.len(), 1);
    assert_eq!(c.notifications[0].code, "helm-subchart-archive");
    let lock = c.lock.as_ref().expect("lock");
    assert_eq!(lock.digest, "sha256:abc");
    assert_eq!(lock.dependencies[0].name, "sub");
    let deps = c.metadata.dependencies.as_ref().expect("deps");
    assert_eq!(deps[0].alias, "other");
    assert_eq!(deps[0].import_values, [json!("data")]);
}

#[test]
fn metadata_value_has_go_field_names() {
    let src = mem(&[(
        "c/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\nkeywords: [a]\nmaintainers:\n  - name: m\n    email: e\ndependencies:\n  - name: d\n    version: 1.x\n    tags: [t]\n",
    )]);
    let c = load(&src, "c").unwrap();
    let v = c.metadata_value();
    assert_eq!(v["Name"], "c");
    assert_eq!(v["APIVersion"], "v2");
    assert_eq!(v["AppVersion"], "");
    assert_eq!(v["Sources"], json!([]));
    assert_eq!(v["Keywords"], json!(["a"]));
    assert_eq!(v["Annotations"], json!({}));
    assert_eq!(v["Deprecated"], json!(false));
    assert_eq!(
        v["Maintainers"],
        json!([{"Name": "m", "Email": "e", "URL": ""}])
    );
    assert_eq!(
        v["Dependencies"],
        json!([{"Name": "d", "Version": "1.x", "Repository": "", "Condition": "", "Tags": ["t"],
                "Enabled": false, "ImportValues": [], "Alias": ""}])
    );
    assert_eq!(v.as_object().unwrap().len(), 17);
}

#[test]
fn chart_yaml_errors_name_the_file_line_and_fix() {
    let e = load(
        &mem(&[("c/Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n")]),
        "c",
    )
    .unwrap_err();
    assert_eq!(e.file, "c/Chart.yaml");
    assert!(e.message.contains("chart.metadata.name is required"), "{e}");
    let e = load(&mem(&[("c/Chart.yaml", "apiVersion: v2\nname: c\n")]), "c").unwrap_err();
    assert!(
        e.message.contains("chart.metadata.version is required"),
        "{e}"
    );
    let e = load(
        &mem(&[("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: latest\n")]),
        "c",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("\"latest\" is invalid"), "{e}");
    let e = load(
        &mem(&[(
            "c/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 1.0.0\ntype: app\n",
        )]),
        "c",
    )
    .unwrap_err();
    assert!(e.message.contains("must be application or library"), "{e}");
    let e = load(
        &mem(&[(
            "c/Chart.yaml",
            "apiVersion: v2\nname: [c]\nversion: 1.0.0\n",
        )]),
        "c",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("`name` must be a string"), "{e}");
    let e = load(
        &mem(&[("c/Chart.yaml", "name: c\n  version: 1.0.0\n bad")]),
        "c",
    )
    .unwrap_err();
    assert!(e.line.is_some(), "{e}");
    assert!(e.message.starts_with("cannot load Chart.yaml"), "{e}");
    let e = load(
        &mem(&[("c/Chart.yaml", "apiVersion: v9\nname: c\nversion: 1.0.0\n")]),
        "c",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("unsupported chart apiVersion"), "{e}");
    let e = load(&mem(&[("c/values.yaml", "a: 1\n")]), "c").unwrap_err();
    assert!(e.message.contains("Chart.yaml file is missing"), "{e}");
    let e = load(
        &mem(&[
            ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
            ("c/charts/s/Chart.yaml", "apiVersion: v2\nname: s\n"),
        ]),
        "c",
    )
    .unwrap_err();
    assert_eq!(e.file, "c/charts/s/Chart.yaml");
    assert!(e.message.contains("error unpacking subchart s in c"), "{e}");
    let e = load(
        &mem(&[(
            "c/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: a\n  alias: b.c\n",
        )]),
        "c",
    )
    .unwrap_err();
    assert!(
        e.message.contains("disallowed characters in the alias"),
        "{e}"
    );
    let e = load(
        &mem(&[
            ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
            ("c/.helmignore", "a/**\n"),
        ]),
        "c",
    )
    .unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("c/.helmignore", Some(1)));
}

#[test]
fn v1_chart_reads_requirements() {
    let src = mem(&[
        ("c/Chart.yaml", "name: c\nversion: 1.0.0\n"),
        (
            "c/requirements.yaml",
            "dependencies:\n- name: s\n  version: '*'\n  condition: s.enabled\n",
        ),
        ("c/charts/s/Chart.yaml", "name: s\nversion: 2.0.0\n"),
    ]);
    let c = load(&src, "c").unwrap();
    assert_eq!(c.metadata.api_version, "v1");
    assert_eq!(
        c.metadata.dependencies.as_ref().unwrap()[0].condition,
        "s.enabled"
    );
    assert_eq!(
        c.files.len(),
        1,
        "a v1 chart's requirements.yaml is in .Files"
    );
    assert!(c.notifications.is_empty());
}

/// Every chart of the corpus loads, with its vendored subcharts.
#[test]
fn corpus_charts_load() {
    let root = std::path::Path::new(CORPUS);
    let src = MemSource::from_dir(root).expect("corpus");
    let mut dirs: Vec<String> = src
        .files
        .keys()
        .filter_map(|p| p.strip_suffix("/Chart.yaml"))
        .filter(|d| !d.contains("/charts/") || !is_vendored(d))
        .map(str::to_string)
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 26, "{dirs:?}");
    for dir in &dirs {
        let c = load(&src, dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert!(!c.name().is_empty());
        assert!(!c.templates.is_empty() || c.is_library(), "{dir}");
    }
}

pub(crate) const CORPUS: &str = "/work/shared/corpus/helm/charts";

/// A chart directory vendored into another chart's `charts/`.
pub(crate) fn is_vendored(dir: &str) -> bool {
    let parts: Vec<&str> = dir.split('/').collect();
    parts.windows(2).enumerate().any(|(i, w)| {
        w[0] == "charts" && i + 2 == parts.len() && {
            // `<chart>/charts/<sub>`: the parent has a Chart.yaml.
            let parent = parts[..i].join("/");
            std::path::Path::new(CORPUS)
                .join(parent)
                .join("Chart.yaml")
                .exists()
        }
    })
}
