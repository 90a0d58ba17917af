use super::*;
use crate::load::helm::chart::load;
use crate::load::helm::{ChartSource, MemSource};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::OnceLock;

fn mem(files: &[(&str, &str)]) -> MemSource {
    MemSource::new(
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec())),
    )
}

fn chart(files: &[(&str, &str)]) -> Chart {
    load(&mem(files), "c").unwrap_or_else(|e| panic!("{e}"))
}

fn prepare(files: &[(&str, &str)], user: &[Value]) -> Prepared {
    release_values(&chart(files), user).unwrap_or_else(|e| panic!("{e}"))
}

fn warnings(p: &Prepared) -> Vec<String> {
    p.notifications.iter().map(|n| n.message.clone()).collect()
}

fn names(c: &Chart) -> Vec<String> {
    c.dependencies
        .iter()
        .map(|d| d.name().to_string())
        .collect()
}

// --- coalescing ----------------------------------------------------------------------

const PARENT: &str = "apiVersion: v2\nname: parent\nversion: 1.0.0\n";

#[test]
fn user_values_over_defaults_tables_merged_lists_replaced() {
    let p = prepare(
        &[
            ("c/Chart.yaml", PARENT),
            (
                "c/values.yaml",
                "image: {repository: nginx, tag: \"1.0\", pullPolicy: IfNotPresent}\nports: [80, 443]\nreplicas: 1\n",
            ),
        ],
        &[
            json!({"image": {"tag": "2.0"}, "ports": [8080]}),
            json!({"replicas": 3, "extra": {"a": 1}}),
        ],
    );
    assert_eq!(
        p.values,
        json!({
            "image": {"repository": "nginx", "tag": "2.0", "pullPolicy": "IfNotPresent"},
            "ports": [8080],
            "replicas": 3,
            "extra": {"a": 1}
        })
    );
    assert!(p.notifications.is_empty(), "{:?}", warnings(&p));
}

#[test]
fn null_deletes_a_default() {
    let p = prepare(
        &[
            ("c/Chart.yaml", PARENT),
            ("c/values.yaml", "a: 1\nb: {x: 1, z: 2, w: null}\nc: {d: {e: 1}}\ngone: null\nt: {u: null, v: {w: null, x: 1}}\n"),
        ],
        &[json!({"a": null, "b": {"x": null, "new": null}, "c": null, "extra": null})],
    );
    // Helm 4.2 drops the nulls of the chart's own defaults; a user's null deletes a default
    // that has a value, and stays where the chart has none.
    assert_eq!(
        p.values,
        json!({"b": {"z": 2.0, "new": null}, "t": {"v": {"x": 1.0}}, "extra": null})
    );
}

#[test]
fn table_over_non_table_warns_without_the_value() {
    let p = prepare(
        &[
            ("c/Chart.yaml", PARENT),
            (
                "c/values.yaml",
                "controller:\n  securityContext: {runAsUser: 1000}\n  name: x\n",
            ),
        ],
        &[json!({"controller": {"securityContext": "secret-looking", "name": {"a": 1}}})],
    );
    // The user's value is kept in both cases.
    assert_eq!(
        p.values,
        json!({"controller": {"securityContext": "secret-looking", "name": {"a": 1}}})
    );
    let w = warnings(&p);
    assert!(
        w.contains(&"warning: cannot overwrite table with non table for parent.controller.securityContext (a table with keys runAsUser)".to_string()),
        "{w:?}"
    );
    assert!(
        w.contains(&"warning: destination for parent.controller.name is a table. Ignoring non-table value (a string)".to_string()),
        "{w:?}"
    );
    assert!(w.iter().all(|m| !m.contains("secret-looking")));
}

const SUB: &str = "apiVersion: v2\nname: sub\nversion: 0.1.0\n";

#[test]
fn subchart_defaults_under_its_name_and_globals_copied_down() {
    let p = prepare(
        &[
            ("c/Chart.yaml", PARENT),
            (
                "c/values.yaml",
                "global: {registry: parent.io, labels: {team: a}}\nsub: {replicas: 2}\n",
            ),
            ("c/charts/sub/Chart.yaml", SUB),
            (
                "c/charts/sub/values.yaml",
                "replicas: 1\nport: 80\nglobal: {registry: sub.io, own: x, labels: {tier: b}}\n",
            ),
            (
                "c/charts/sub/charts/deep/Chart.yaml",
                "apiVersion: v2\nname: deep\nversion: 0.0.1\n",
            ),
            ("c/charts/sub/charts/deep/values.yaml", "z: 1\n"),
        ],
        &[json!({"global": {"user": true}})],
    );
    let v = &p.values;
    assert_eq!(v["sub"]["replicas"], json!(2.0), "the parent's values win");
    assert_eq!(v["sub"]["port"], json!(80.0));
    // The parent's globals win over the subchart's, the subchart keeps its own others.
    assert_eq!(
        v["sub"]["global"],
        json!({"registry": "parent.io", "own": "x", "user": true, "labels": {"team": "a", "tier": "b"}})
    );
    assert_eq!(v["sub"]["deep"]["global"]["registry"], "parent.io");
    assert_eq!(v["sub"]["deep"]["z"], json!(1.0));
    assert_eq!(
        v["global"],
        json!({"registry": "parent.io", "labels": {"team": "a"}, "user": true})
    );
}

#[test]
fn nested_global_tables_are_shared_as_in_go() {
    // Helm copies `global` one level deep: the tables under it stay shared, so merging a
    // subchart's nested global defaults into them shows in the parent's globals too.
    let p = prepare(
        &[
            ("c/Chart.yaml", PARENT),
            ("c/values.yaml", "global: {a: {b: {x: 1}}}\n"),
            ("c/charts/sub/Chart.yaml", SUB),
            ("c/charts/sub/values.yaml", "global: {a: {b: {z: 2}}}\n"),
        ],
        &[],
    );
    assert_eq!(
        p.values["sub"]["global"]["a"]["b"],
        json!({"x": 1.0, "z": 2.0})
    );
    assert_eq!(p.values["global"]["a"]["b"], json!({"x": 1.0, "z": 2.0}));
}

#[test]
fn null_in_a_subchart_section_deletes_the_subchart_default() {
    let p = prepare(
        &[
            ("c/Chart.yaml", PARENT),
            ("c/charts/sub/Chart.yaml", SUB),
            ("c/charts/sub/values.yaml", "a: 1\nb: {c: 1, d: 2}\n"),
        ],
        &[json!({"sub": {"a": null, "b": {"c": null}}})],
    );
    assert_eq!(p.values["sub"], json!({"b": {"d": 2.0}, "global": {}}));
}

#[test]
fn a_scalar_for_a_subchart_table_is_an_error() {
    let c = chart(&[("c/Chart.yaml", PARENT), ("c/charts/sub/Chart.yaml", SUB)]);
    let e = release_values(&c, &[json!({"sub": "off"})]).unwrap_err();
    assert!(e.message.starts_with("type mismatch on sub"), "{e}");
}

// --- dependencies --------------------------------------------------------------------

fn deps_chart(deps: &str, values: &str) -> Vec<(String, String)> {
    vec![
        (
            "c/Chart.yaml".into(),
            format!("{PARENT}dependencies:\n{deps}"),
        ),
        ("c/values.yaml".into(), values.into()),
        (
            "c/charts/a/Chart.yaml".into(),
            "apiVersion: v2\nname: a\nversion: 1.2.3\n".into(),
        ),
        (
            "c/charts/a/values.yaml".into(),
            "enabled: true\nport: 1\nexports: {data: {fromA: 1}}\nnested: {t: {k: v}}\n".into(),
        ),
        (
            "c/charts/b/Chart.yaml".into(),
            "apiVersion: v2\nname: b\nversion: 2.0.0\n".into(),
        ),
        ("c/charts/b/values.yaml".into(), "b: 1\n".into()),
    ]
}

fn prep_deps(deps: &str, values: &str, user: &[Value]) -> Result<Prepared, ValuesError> {
    let files = deps_chart(deps, values);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    release_values(&chart(&refs), user)
}

#[test]
fn conditions_first_path_that_resolves_wins() {
    let deps = "- {name: a, version: 1.x, condition: 'missing.enabled,a.enabled,b.enabled'}\n\
                - {name: b, version: '>=2', condition: 'nope.flag,x.flag'}\n";
    // a.enabled is false in the parent's values: a is disabled; b's paths do not resolve: kept.
    let p = prep_deps(deps, "a: {enabled: false}\nx: {flag: \"yes\"}\n", &[]).unwrap();
    assert_eq!(names(&p.chart), ["b"]);
    assert!(
        p.values.get("a").is_some(),
        "the parent's own section stays in the values"
    );
    assert!(
        warnings(&p)
            .iter()
            .any(|w| w.starts_with("returned non-bool value: condition \"x.flag\"")),
        "{:?}",
        warnings(&p)
    );
    // The user enables it back.
    let p = prep_deps(
        deps,
        "a: {enabled: false}\n",
        &[json!({"a": {"enabled": true}})],
    )
    .unwrap();
    assert_eq!(names(&p.chart), ["a", "b"]);
    // The subchart's own default (`enabled: true`) counts when the parent says nothing.
    let p = prep_deps(deps, "", &[]).unwrap();
    assert_eq!(names(&p.chart), ["a", "b"]);
    let md = p.chart.metadata.dependencies.as_ref().unwrap();
    assert!(md.iter().all(|d| d.enabled));
}

#[test]
fn tags_disable_unless_a_tag_is_true_and_conditions_override() {
    let deps = "- {name: a, version: 1.2.3, tags: [front, web]}\n- {name: b, version: 2.0.0, tags: [back], condition: b.on}\n";
    let p = prep_deps(deps, "tags: {front: false, web: false, back: false}\n", &[]).unwrap();
    assert!(names(&p.chart).is_empty());
    assert!(
        p.chart.metadata.dependencies.is_none(),
        "an empty dependency list is nil in Helm"
    );
    let p = prep_deps(
        deps,
        "tags: {front: false, web: true, back: false}\nb: {on: true}\n",
        &[],
    );
    // `on` is a YAML 1.1 boolean, also as a key: the condition `b.on` finds nothing.
    assert_eq!(names(&p.unwrap().chart), ["a"]);
    let deps = "- {name: a, version: 1.2.3, tags: [front, web]}\n- {name: b, version: 2.0.0, tags: [back], condition: b.yes_}\n";
    let p = prep_deps(
        deps,
        "tags: {front: false, web: true, back: false}\nb: {yes_: true}\n",
        &[],
    )
    .unwrap();
    assert_eq!(names(&p.chart), ["a", "b"]);
    let p = prep_deps(deps, "", &[json!({"tags": {"front": false}})]).unwrap();
    assert_eq!(names(&p.chart), ["b"]);
}

#[test]
fn alias_renders_a_subchart_under_the_alias() {
    let deps = "- {name: a, version: 1.x, alias: first}\n- {name: a, version: '^1', alias: second, condition: second.enabled}\n";
    let p = prep_deps(deps, "first: {port: 10}\nsecond: {enabled: true}\n", &[]).unwrap();
    // b is vendored but not declared: Helm keeps it.
    assert_eq!(names(&p.chart), ["b", "first", "second"]);
    let first = &p.chart.dependencies[1];
    assert_eq!(first.metadata.name, "first");
    assert_eq!(first.metadata_value()["Name"], "first");
    assert_eq!(first.dir, "c/charts/a");
    assert_eq!(p.values["first"]["port"], json!(10.0));
    assert_eq!(p.values["second"]["port"], json!(1.0));
    assert!(p.values.get("a").is_none());
    let md = p.chart.metadata.dependencies.as_ref().unwrap();
    assert_eq!(
        md[0].name, "first",
        "the dependency is renamed to its alias"
    );
    // Disabled by its condition under the alias.
    let p = prep_deps(deps, "second: {enabled: false}\n", &[]).unwrap();
    assert_eq!(names(&p.chart), ["b", "first"]);
}

#[test]
fn a_version_that_does_not_match_keeps_the_chart_unaliased() {
    let deps = "- {name: a, version: 9.x, alias: other}\n";
    let p = prep_deps(deps, "", &[]).unwrap();
    assert_eq!(names(&p.chart), ["a", "b"]);
}

#[test]
fn import_values_both_forms() {
    let deps = "- name: a\n  version: 1.2.3\n  import-values:\n    - data\n    - child: nested.t\n      parent: imported.here\n    - child: nowhere\n      parent: x\n";
    let p = prep_deps(deps, "fromA: 0\n", &[]).unwrap();
    // The parent's own value wins over the imported one.
    assert_eq!(p.values["fromA"], json!(0.0));
    assert_eq!(p.values["imported"], json!({"here": {"k": "v"}}));
    let md = p.chart.metadata.dependencies.as_ref().unwrap();
    assert_eq!(
        md[0].import_values,
        [
            json!({"child": "exports.data", "parent": "."}),
            json!({"child": "nested.t", "parent": "imported.here"}),
            json!({"child": "nowhere", "parent": "x"}),
        ]
    );
    assert!(
        warnings(&p)
            .iter()
            .any(|w| w.contains("ImportValues missing table from chart \"a\"")),
        "{:?}",
        warnings(&p)
    );
    let p = prep_deps(deps, "", &[]).unwrap();
    assert_eq!(p.values["fromA"], json!(1.0));
}

#[test]
fn missing_dependency_and_library_charts_are_refused() {
    let c = chart(&[(
        "c/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- {name: gone, version: 1.0.0}\n",
    )]);
    let e = release_values(&c, &[]).unwrap_err();
    assert!(
        e.message
            .starts_with("found in Chart.yaml, but missing in charts/ directory: gone"),
        "{e}"
    );
    let c = chart(&[(
        "c/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\ntype: library\n",
    )]);
    let e = release_values(&c, &[]).unwrap_err();
    assert!(
        e.message.starts_with("library charts are not installable"),
        "{e}"
    );
}

// --- schema --------------------------------------------------------------------------

fn schema_error(schema: &str, values: &str, user: &[Value]) -> String {
    let c = chart(&[
        ("c/Chart.yaml", PARENT),
        ("c/values.yaml", values),
        ("c/values.schema.json", schema),
    ]);
    release_values(&c, user)
        .map(|_| "ok".to_string())
        .unwrap_or_else(|e| e.message)
}

const HEAD: &str =
    "values don't meet the specifications of the schema(s) in the following chart(s):\nparent:\n";

#[test]
fn schema_errors_read_as_helm_prints_them() {
    let schema = r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
        "required": ["a", "b"],
        "properties": {"replicas": {"type": "integer", "minimum": 1},
                       "image": {"type": "object", "properties": {"tag": {"type": "string"}, "pull": {"enum": ["Always", "Never"]}},
                                 "additionalProperties": false}}}"#;
    assert_eq!(
        schema_error(schema, "a: 1\n", &[]),
        format!("{HEAD}- at '': missing property 'b'\n")
    );
    assert_eq!(schema_error(schema, "a: 1\nb: 2\nreplicas: 3\n", &[]), "ok");
    assert_eq!(
        schema_error(schema, "a: 1\nb: 2\nreplicas: 0\n", &[]),
        format!("{HEAD}- at '/replicas': minimum: got 0, want 1\n")
    );
    assert_eq!(
        schema_error(schema, "a: 1\nb: 2\nimage: {tag: 1, pull: Sometimes, extra: x}\n", &[]),
        // santhosh-tekuri reports the properties (in Go's map order, sorted here) before
        // `additionalProperties`.
        format!(
            "{HEAD}- at '/image': validation failed\n  - at '/image/pull': value must be one of 'Always', 'Never'\n  \
             - at '/image/tag': got number, want string\n  - at '/image': additional properties 'extra' not allowed\n"
        )
    );
    assert_eq!(
        schema_error(schema, "", &[]),
        format!("{HEAD}- at '': missing properties 'a', 'b'\n")
    );
    // A whole float is an integer (Helm's values are float64).
    assert_eq!(
        schema_error(schema, "a: 1\nb: 2\nreplicas: 2.0\n", &[]),
        "ok"
    );
    assert_eq!(
        schema_error(schema, "a: 1\nb: 2\nreplicas: 2.5\n", &[]),
        format!("{HEAD}- at '/replicas': got number, want integer\n")
    );
}

#[test]
fn schema_any_of_and_refs() {
    let schema = r##"{"$defs": {"port": {"type": "integer"}},
        "properties": {"p": {"$ref": "#/$defs/port"},
                       "q": {"anyOf": [{"type": "string"}, {"type": "boolean"}]}}}"##;
    assert_eq!(
        schema_error(schema, "p: x\n", &[]),
        format!("{HEAD}- at '/p': got string, want integer\n")
    );
    assert_eq!(
        schema_error(schema, "q: 1\n", &[]),
        format!(
            "{HEAD}- at '/q': anyOf failed\n  - at '/q': got number, want string\n  - at '/q': got number, want boolean\n"
        )
    );
}

#[test]
fn schema_refs_to_urls_are_not_fetched() {
    let schema = r#"{"properties": {"a": {"$ref": "https://example.com/a.schema.json"}}}"#;
    let c = chart(&[
        ("c/Chart.yaml", PARENT),
        ("c/values.yaml", "a: 1\n"),
        ("c/values.schema.json", schema),
    ]);
    let p = release_values(&c, &[]).unwrap();
    let w = warnings(&p);
    assert!(
        w.iter()
            .any(|m| m.contains("https://example.com/a.schema.json")),
        "{w:?}"
    );
}

#[test]
fn schema_refs_not_fetched_are_named_in_one_order() {
    // The validator asks for remote schemas in an order that changes from run to run; the
    // note names them sorted, so two scans of one commit give the same report.
    let names = ["m", "c", "x", "a", "q", "b", "z", "k"];
    let props: Vec<String> = names
        .iter()
        .map(|n| format!(r#""{n}": {{"$ref": "https://example.com/{n}.json"}}"#))
        .collect();
    let schema = format!(r#"{{"properties": {{{}}}}}"#, props.join(", "));
    let c = chart(&[
        ("c/Chart.yaml", PARENT),
        ("c/values.yaml", "a: 1\n"),
        ("c/values.schema.json", &schema),
    ]);
    let w = warnings(&release_values(&c, &[]).unwrap());
    let note = w
        .iter()
        .find(|m| m.contains("https://example.com/"))
        .expect("a note naming the references");
    let at = |n: &str| note.find(&format!("https://example.com/{n}.json")).unwrap();
    let mut sorted = names;
    sorted.sort();
    for pair in sorted.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{note}");
    }
}

#[test]
fn subchart_schemas_are_checked_with_their_table() {
    let c = chart(&[
        ("c/Chart.yaml", PARENT),
        ("c/charts/sub/Chart.yaml", SUB),
        ("c/charts/sub/values.yaml", "port: 80\n"),
        (
            "c/charts/sub/values.schema.json",
            r#"{"properties": {"port": {"type": "integer", "maximum": 100}}}"#,
        ),
    ]);
    let e = release_values(&c, &[json!({"sub": {"port": 8080}})]).unwrap_err();
    assert_eq!(
        e.message,
        "values don't meet the specifications of the schema(s) in the following chart(s):\nsub:\n- at '/port': maximum: got 8080, want 100\n"
    );
    assert!(release_values(&c, &[]).is_ok());
}

// --- --set ---------------------------------------------------------------------------

#[test]
fn set_expressions_parse_as_strvals() {
    let ok = |s: &str| parse_set(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    let err = |s: &str| {
        parse_set(s)
            .err()
            .unwrap_or_else(|| panic!("{s}: expected an error"))
    };
    assert_eq!(
        ok("name1=null,f=false,t=true"),
        json!({"name1": null, "f": false, "t": true})
    );
    assert_eq!(ok("a=TRUE,b=Null"), json!({"a": true, "b": null}));
    assert_eq!(
        ok("name1=value1,name2=value2,"),
        json!({"name1": "value1", "name2": "value2"})
    );
    assert!(err("name1=value1,,,,name2=value2,").contains("has no value"));
    assert_eq!(
        ok("name1=,name2=value2"),
        json!({"name1": "", "name2": "value2"})
    );
    assert_eq!(ok("leading_zeros=00009"), json!({"leading_zeros": "00009"}));
    assert_eq!(
        ok("zero_int=0,long_int=1234567890,neg=-5,f=1.5"),
        json!({"zero_int": 0, "long_int": 1234567890, "neg": -5, "f": "1.5"})
    );
    assert!(
        ok("long_int=1234567890")["long_int"].is_i64(),
        "--set integers are int64"
    );
    assert_eq!(
        err("name1,name2="),
        "key \"name1\" has no value (cannot end with ,)"
    );
    assert!(parse_set("name1,name2").is_err());
    assert_eq!(
        ok("name1=one\\,two,name2=three\\,four"),
        json!({"name1": "one,two", "name2": "three,four"})
    );
    assert_eq!(ok("name1=one\\=two"), json!({"name1": "one=two"}));
    assert_eq!(ok("a\\.b=1"), json!({"a.b": 1}));
    assert_eq!(
        ok("outer.inner1=value,outer.middle.inner=value"),
        json!({"outer": {"inner1": "value", "middle": {"inner": "value"}}})
    );
    assert_eq!(err("name1.name2"), "key \"name2\" has no value");
    assert_eq!(ok("name1.name2="), json!({"name1": {"name2": ""}}));
    assert_eq!(err("name1.=name2"), "key map \"name1\" has no value");
    assert_eq!(
        ok("name1={value1,value2},n={1021,902}"),
        json!({"name1": ["value1", "value2"], "n": [1021, 902]})
    );
    assert_eq!(err("name1={1021,902"), "list must terminate with '}'");
    assert_eq!(
        ok("list[0]=foo,list[1]=bar,"),
        json!({"list": ["foo", "bar"]})
    );
    assert_eq!(
        ok("list[0]=foo,list[3]=bar"),
        json!({"list": ["foo", null, null, "bar"]})
    );
    assert_eq!(
        ok("list[0].foo=bar,list[0].hello=world"),
        json!({"list": [{"foo": "bar", "hello": "world"}]})
    );
    assert_eq!(
        err("list[0]=foo,list[-20]=bar"),
        "negative -20 index not allowed"
    );
    assert!(err("illegal[0]name.foo=bar").starts_with("unexpected data at end of array index"));
    assert_eq!(ok("noval[0]"), json!({"noval": []}));
    assert_eq!(ok("noval[0]="), json!({"noval": [""]}));
    assert_eq!(ok("nested[1][1]=1"), json!({"nested": [null, [null, 1]]}));
    assert_eq!(
        ok("name1.name2[1].foo=bar,name1.name2[0].foo=bar"),
        json!({"name1": {"name2": [{"foo": "bar"}, {"foo": "bar"}]}})
    );
    assert!(err("list[65537]=x").contains("greater than maximum supported index of 65536"));
    assert!(err(&format!("{}=1", vec!["a"; 32].join(".")))
        .contains("maximum supported nested level of 30"));
    assert_eq!(
        parse_set_string("long_int_string=1234567890,boolean=true,is_null=null,zero=0").unwrap(),
        json!({"long_int_string": "1234567890", "boolean": "true", "is_null": "null", "zero": "0"})
    );
}

#[test]
fn set_into_existing_values() {
    let mut base =
        json!({"outer": {"inner1": "overwrite", "inner2": "value2"}, "list": ["a", "b"]});
    parse_set_into(
        "outer.inner1=value1,outer.inner3=value3,outer.inner4=4,list[1]=c",
        &mut base,
    )
    .unwrap();
    assert_eq!(
        base,
        json!({"outer": {"inner1": "value1", "inner2": "value2", "inner3": "value3", "inner4": 4}, "list": ["a", "c"]})
    );
    let mut base = json!({});
    parse_set_into("listOuter[0][0].type=listValue", &mut base).unwrap();
    parse_set_into("listOuter[0][0].status=alive", &mut base).unwrap();
    assert_eq!(
        base,
        json!({"listOuter": [[{"type": "listValue", "status": "alive"}]]})
    );
    let mut base = json!({"outer": {"inner1": "overwrite"}});
    parse_set_string_into("outer.inner1=1,outer.inner3=3", &mut base).unwrap();
    assert_eq!(base, json!({"outer": {"inner1": "1", "inner3": "3"}}));
    let mut base = json!({"s": "text"});
    let e = parse_set_into("s.x=1", &mut base).unwrap_err();
    assert!(
        e.contains("interface {} is string, not map[string]interface {}"),
        "{e}"
    );
}

// --- the corpus ----------------------------------------------------------------------

const CORPUS: &str = "/work/shared/corpus/helm";

fn corpus() -> &'static MemSource {
    static SRC: OnceLock<MemSource> = OnceLock::new();
    SRC.get_or_init(|| {
        MemSource::from_dir(&std::path::Path::new(CORPUS).join("charts")).expect("corpus")
    })
}

/// A case of `INDEX.json`: the chart, its `-f` files and `--set` expressions, whether the
/// schema check is skipped.
struct Case {
    chart: String,
    name: String,
    files: Vec<String>,
    sets: Vec<String>,
    skip_schema: bool,
}

fn cases() -> Vec<Case> {
    let index: Value =
        serde_json::from_slice(&std::fs::read(format!("{CORPUS}/INDEX.json")).expect("index"))
            .expect("json");
    let mut out = Vec::new();
    for c in index.as_array().expect("charts") {
        for case in c["cases"].as_array().expect("cases") {
            let args: Vec<String> = case["args"]
                .as_array()
                .expect("args")
                .iter()
                .map(|a| a.as_str().unwrap_or_default().to_string())
                .collect();
            let mut files = Vec::new();
            let mut sets = Vec::new();
            let mut it = args.iter().skip(3);
            while let Some(a) = it.next() {
                match a.as_str() {
                    "-f" => files.push(
                        it.next()
                            .expect("file")
                            .trim_start_matches("charts/")
                            .to_string(),
                    ),
                    "--set" => sets.push(it.next().expect("set").clone()),
                    _ => {}
                }
            }
            out.push(Case {
                chart: c["chart"].as_str().expect("chart").to_string(),
                name: case["case"].as_str().expect("case").to_string(),
                files,
                sets,
                skip_schema: args.iter().any(|a| a == "--skip-schema-validation"),
            });
        }
    }
    out
}

fn run(case: &Case) -> Result<Prepared, ValuesError> {
    let src = corpus();
    let chart = load(src, &case.chart).unwrap_or_else(|e| panic!("{}: {e}", case.chart));
    let mut merged = json!({});
    for f in &case.files {
        let text = String::from_utf8_lossy(&src.read(f).expect("values file")).into_owned();
        let doc = parse_values_file(f, &text).unwrap_or_else(|e| panic!("{e}"));
        let m = yaml::merge_maps(
            merged.as_object().cloned().unwrap_or_default(),
            doc.as_object().cloned().unwrap_or_default(),
        );
        merged = Value::Object(m);
    }
    for s in &case.sets {
        parse_set_into(s, &mut merged).expect("--set");
    }
    release_values_with(
        &chart,
        &[merged],
        &ValuesOptions {
            skip_schema_validation: case.skip_schema,
        },
    )
}

/// The subcharts (`parent/charts/sub` paths) of an enabled tree.
fn enabled_paths(c: &Chart, prefix: &str, out: &mut BTreeSet<String>) {
    for d in &c.dependencies {
        let p = format!("{prefix}/charts/{}", d.name());
        out.insert(p.clone());
        enabled_paths(d, &p, out);
    }
}

/// The chart at a `parent/charts/sub` path of a prepared tree.
fn find<'a>(c: &'a Chart, path: &str) -> Option<&'a Chart> {
    let mut parts = path.split("/charts/");
    if parts.next()? != c.name() {
        return None;
    }
    let mut cur = c;
    for name in parts {
        cur = cur.dependencies.iter().find(|d| d.name() == name)?;
    }
    Some(cur)
}

/// The subcharts whose templates or CRDs the golden prints.
fn golden_paths(golden: &str) -> BTreeSet<String> {
    golden
        .lines()
        .filter_map(|l| l.strip_prefix("# Source: "))
        .filter_map(|s| {
            let cut = s.rfind("/templates/").or_else(|| s.rfind("/crds/"))?;
            let owner = &s[..cut];
            owner.contains("/charts/").then(|| owner.to_string())
        })
        .collect()
}

#[test]
fn corpus_cases_select_the_subcharts_helm_renders() {
    let mut checked = 0;
    for case in cases() {
        let dir = format!("{CORPUS}/goldens/{}", case.chart);
        let golden = std::fs::read_to_string(format!("{dir}/{}.yaml", case.name)).ok();
        let error = std::fs::read_to_string(format!("{dir}/{}.error.txt", case.name)).ok();
        let result = run(&case);
        match (&result, &error) {
            (Err(e), Some(expected)) => {
                let expected = expected.strip_prefix("Error: ").unwrap_or(expected);
                assert!(
                    expected.starts_with(&e.message),
                    "{} {}: {e}\nexpected: {expected}",
                    case.chart,
                    case.name
                );
            }
            (Err(e), None) => panic!("{} {}: {e}", case.chart, case.name),
            // Render errors (`fail`, `required`) come after the values.
            (Ok(p), Some(expected)) => assert!(
                expected.contains("execution error"),
                "{} {}: values passed, Helm said {expected} ({:?})",
                case.chart,
                case.name,
                p.notifications
            ),
            (Ok(p), None) => {
                let golden = golden.expect("golden");
                let mut enabled = BTreeSet::new();
                enabled_paths(&p.chart, p.chart.name(), &mut enabled);
                let rendered = golden_paths(&golden);
                assert!(
                    rendered.is_subset(&enabled),
                    "{} {}: rendered {rendered:?}, enabled {enabled:?}",
                    case.chart,
                    case.name
                );
                // What is enabled but prints nothing is a library, or a CRD chart whose
                // templates are off by default (kube-prometheus-stack's `crds`).
                for path in enabled.difference(&rendered) {
                    let c = find(&p.chart, path).expect("enabled chart");
                    let printable = c.templates.iter().any(|t| {
                        !t.path
                            .rsplit('/')
                            .next()
                            .unwrap_or_default()
                            .starts_with('_')
                    });
                    assert!(
                        c.is_library() || !printable || !c.crds.is_empty(),
                        "{} {}: {path} is enabled but Helm rendered nothing of it",
                        case.chart,
                        case.name
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 48, "{checked}");
}

fn run_named(chart: &str, name: &str) -> Result<Prepared, ValuesError> {
    let case = cases()
        .into_iter()
        .find(|c| c.chart.ends_with(&format!("/{chart}")) && c.name == name)
        .unwrap_or_else(|| panic!("{chart} {name}"));
    run(&case)
}

#[test]
fn kube_prometheus_stack_subcharts_and_globals() {
    let p = run_named("kube-prometheus-stack", "default").unwrap();
    // windows-exporter is off by default (windowsMonitoring.enabled: false).
    assert_eq!(
        names(&p.chart),
        [
            "crds",
            "kube-state-metrics",
            "prometheus-node-exporter",
            "grafana"
        ]
    );
    // The parent's globals reach every subchart, over the subchart's own defaults.
    let g = &p.values["grafana"]["global"];
    assert_eq!(g["imageRegistry"], "", "{g}");
    assert_eq!(g["rbac"]["create"], true);
    assert_eq!(
        p.values["kube-state-metrics"]["global"]["rbac"]["create"],
        true
    );
    // A subchart's defaults are under its name.
    assert!(p.values["grafana"]["image"]["repository"].is_string());
    let p = run_named("kube-prometheus-stack", "ci-03-non-defaults-values").unwrap();
    assert!(names(&p.chart).contains(&"grafana".to_string()));
}

#[test]
fn argo_cd_redis_ha_off_by_default_on_in_ha_values() {
    let p = run_named("argo-cd", "default").unwrap();
    assert!(names(&p.chart).is_empty(), "{:?}", names(&p.chart));
    assert_eq!(p.values["redis-ha"]["enabled"], false);
    let p = run_named("argo-cd", "ci-ha-autoscaling-values").unwrap();
    assert_eq!(names(&p.chart), ["redis-ha"]);
    assert_eq!(p.values["redis-ha"]["enabled"], true);
    assert_eq!(p.values["redis-ha"]["exporter"]["enabled"], true);
    // The subchart's own defaults fill in what argo-cd does not set.
    assert!(p.values["redis-ha"]["haproxy"].is_object());
}

#[test]
fn external_dns_default_values_fail_its_schema_as_in_helm() {
    let e = run_named("external-dns", "default").unwrap_err();
    let golden = std::fs::read_to_string(format!(
        "{CORPUS}/goldens/kubernetes-sigs/external-dns/charts/external-dns/default.error.txt"
    ))
    .unwrap();
    assert_eq!(format!("Error: {}\n", e.message), golden);
    assert!(run_named("external-dns", "ci-ci-values").is_ok());
}

#[test]
fn app_template_keeps_its_library_dependency() {
    let p = run_named("app-template", "default").unwrap();
    assert_eq!(names(&p.chart), ["common"]);
    let common = &p.chart.dependencies[0];
    assert!(common.is_library());
    assert_eq!(common.metadata_value()["Type"], "library");
    assert!(
        common
            .templates
            .iter()
            .all(|t| t.path.rsplit('/').next().unwrap().starts_with('_')
                || !t.path.ends_with(".yaml"))
    );
    // The library's defaults are the values of its section.
    assert!(p.values["common"].is_object());
    let rc = p.render_chart();
    assert_eq!(rc.subcharts.len(), 1);
    assert!(rc.subcharts[0].library);
    // With the schema check (the golden skips it: Helm would download the sub-schemas the
    // library's schema refers to), the references are reported, not fetched.
    let chart = load(corpus(), "bjw-s-labs/helm-charts/charts/other/app-template").unwrap();
    let p = release_values(&chart, &[]).unwrap();
    let w = warnings(&p);
    assert!(
        w.iter()
            .any(|m| m.contains("https://raw.githubusercontent.com/bjw-s-labs/helm-charts/")),
        "{w:?}"
    );
}

#[test]
fn prometheus_vendored_subcharts_and_deprecated_promtail() {
    let p = run_named("prometheus", "default").unwrap();
    assert_eq!(
        names(&p.chart),
        [
            "alertmanager",
            "kube-state-metrics",
            "prometheus-node-exporter",
            "prometheus-pushgateway"
        ]
    );
    let p = run_named("promtail", "default").unwrap();
    assert!(warnings(&p).contains(&"this chart is deprecated".to_string()));
}

#[test]
fn jenkins_warns_like_helm() {
    let p = run_named("jenkins", "ci-other-values").unwrap();
    let w = warnings(&p);
    assert!(
        w.iter().any(|m| m.starts_with(
            "warning: cannot overwrite table with non table for jenkins.controller.containerSecurityContext ("
        )),
        "{w:?}"
    );
}
