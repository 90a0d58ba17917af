//! The functions as templates call them, through `gotmpl`.

use gotmpl::Template;
use serde_json::json;

use super::*;

/// Renders `src` with `values` as `.Values` (numbers as Helm reads them: floats).
fn render(src: &str, values: serde_json::Value) -> String {
    try_render(src, values).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn try_render(src: &str, values: serde_json::Value) -> std::result::Result<String, String> {
    let data = to_value(&json!({ "Values": values }));
    Template::new("t")
        .funcs(function_map())
        .parse(src)
        .map_err(|e| e.to_string())?
        .execute_to_string(&data)
        .map_err(|e| e.to_string())
}

#[test]
fn default_and_empty_on_each_kind() {
    let v = json!({"s": "", "z": 0, "f": false, "l": [], "m": {}, "n": null, "x": "set", "one": 1});
    for key in ["s", "z", "f", "l", "m", "n", "missing"] {
        assert_eq!(
            render(
                &format!("{{{{ .Values.{key} | default \"d\" }}}}"),
                v.clone()
            ),
            "d",
            "{key}"
        );
        assert_eq!(
            render(&format!("{{{{ empty .Values.{key} }}}}"), v.clone()),
            "true",
            "{key}"
        );
    }
    assert_eq!(render("{{ .Values.x | default \"d\" }}", v.clone()), "set");
    assert_eq!(render("{{ .Values.one | default 5 }}", v.clone()), "1");
    assert_eq!(render("{{ default \"d\" }}", v.clone()), "d");
    assert_eq!(render("{{ empty .Values.one }}", v.clone()), "false");
    assert_eq!(
        render("{{ coalesce .Values.s .Values.z .Values.x }}", v.clone()),
        "set"
    );
    assert_eq!(render("{{ ternary \"a\" \"b\" true }}", v.clone()), "a");
    assert_eq!(render("{{ ternary \"a\" \"b\" (eq 1 2) }}", v), "b");
}

#[test]
fn numbers_print_as_go_does_through_functions() {
    let v = json!({"r": 3, "big": 10000000, "f": 1.5, "ratio": 0.00001});
    assert_eq!(render("{{ toString .Values.big }}", v.clone()), "1e+07");
    assert_eq!(render("{{ .Values.big | int }}", v.clone()), "10000000");
    assert_eq!(render("{{ .Values.r | quote }}", v.clone()), "\"3\"");
    assert_eq!(render("{{ .Values.big | quote }}", v.clone()), "\"1e+07\"");
    assert_eq!(render("{{ toString .Values.ratio }}", v.clone()), "1e-05");
    assert_eq!(
        render("{{ list 1 .Values.f \"a\" | join \",\" }}", v.clone()),
        "1,1.5,a"
    );
    assert_eq!(render("{{ add .Values.r 2 }}", v.clone()), "5");
    assert_eq!(render("{{ mulf .Values.f 3 }}", v.clone()), "4.5");
    assert_eq!(
        render("{{ div 7 2 }} {{ mod 7 2 }} {{ sub 1 3 }}", v.clone()),
        "3 1 -2"
    );
    assert_eq!(render("{{ max 1 5 3 }} {{ min 4 2 }}", v.clone()), "5 2");
    assert_eq!(
        render(
            "{{ floor 1.7 }} {{ ceil 1.2 }} {{ round 2.567 2 }}",
            v.clone()
        ),
        "1 2 2.57"
    );
    assert_eq!(
        render("{{ atoi \"42\" }} {{ atoi \"x\" }}", v.clone()),
        "42 0"
    );
    assert_eq!(
        render(
            "{{ int \"0x10\" }} {{ int64 \"3\" }} {{ float64 \"1.5\" }}",
            v.clone()
        ),
        "16 3 1.5"
    );
    assert_eq!(
        render(
            "{{ typeOf .Values.r }} {{ typeOf (int .Values.r) }}",
            v.clone()
        ),
        "float64 int"
    );
    assert_eq!(
        render(
            "{{ kindOf .Values }} {{ kindOf .Values.nope }} {{ typeOf .Values.nope }}",
            v.clone()
        ),
        "map invalid <nil>"
    );
    assert_eq!(
        render(
            "{{ kindIs \"float64\" .Values.r }} {{ typeIs \"string\" \"x\" }}",
            v
        ),
        "true true"
    );
}

#[test]
fn argument_types_are_checked_like_go() {
    let v = json!({"n": 4, "s": "x"});
    assert_eq!(
        try_render("{{ indent .Values.n \"x\" }}", v.clone()).unwrap_err(),
        "execution error: wrong type for value; expected int; got float64"
    );
    assert_eq!(
        try_render("{{ trimSuffix \"-\" .Values.missing }}", v.clone()).unwrap_err(),
        "execution error: invalid value; expected string"
    );
    assert_eq!(
        try_render("{{ upper .Values.n }}", v.clone()).unwrap_err(),
        "execution error: wrong type for value; expected string; got float64"
    );
    assert_eq!(
        try_render("{{ append \"x\" 1 }}", v.clone()).unwrap_err(),
        "execution error: error calling append: Cannot push on type string"
    );
    assert_eq!(
        render("{{ indent (int .Values.n) \"a\\nb\" }}", v),
        "    a\n    b"
    );
}

#[test]
fn strings() {
    let v = json!({});
    assert_eq!(
        render(
            "{{ trunc 3 \"abcdef\" }}|{{ trunc -2 \"abcdef\" }}|{{ trunc 10 \"ab\" }}",
            v.clone()
        ),
        "abc|ef|ab"
    );
    assert_eq!(
        render("{{ \"a\\nb\" | nindent 2 }}", v.clone()),
        "\n  a\n  b"
    );
    assert_eq!(render("{{ \"\" | indent 2 }}|", v.clone()), "  |");
    assert_eq!(
        render("{{ quote \"a\\\"b\" 1 }}", v.clone()),
        "\"a\\\"b\" \"1\""
    );
    assert_eq!(render("{{ squote \"a\" }}", v.clone()), "'a'");
    assert_eq!(render("{{ quote .Values.nil }}|", v.clone()), "|");
    assert_eq!(
        render(
            "{{ upper \"abc\" }} {{ lower \"ABC\" }} {{ title \"hello world\" }}",
            v.clone()
        ),
        "ABC abc Hello World"
    );
    assert_eq!(render("{{ trim \"  x \" }}|{{ trimAll \"$\" \"$x$\" }}|{{ trimPrefix \"a\" \"abc\" }}|{{ trimSuffix \"c\" \"abc\" }}", v.clone()), "x|x|bc|ab");
    assert_eq!(render("{{ replace \"a\" \"b\" \"aaa\" }} {{ contains \"b\" \"abc\" }} {{ hasPrefix \"a\" \"abc\" }} {{ hasSuffix \"x\" \"abc\" }}", v.clone()), "bbb true true false");
    assert_eq!(
        render("{{ $p := split \"/\" \"a/b/c\" }}{{ $p._1 }}", v.clone()),
        "b"
    );
    assert_eq!(
        render("{{ $p := splitn \"/\" 2 \"a/b/c\" }}{{ $p._1 }}", v.clone()),
        "b/c"
    );
    assert_eq!(render("{{ splitList \",\" \"a,b\" }}", v.clone()), "[a b]");
    assert_eq!(
        render("{{ list \"b\" \"a\" 3 | sortAlpha }}", v.clone()),
        "[3 a b]"
    );
    assert_eq!(render("{{ cat \"a\" 1 nil \"b\" }}", v.clone()), "a 1 b");
    assert_eq!(
        render(
            "{{ nospace \" a b \" }} {{ substr 1 3 \"abcd\" }} {{ repeat 3 \"x\" }}",
            v.clone()
        ),
        "ab bc xxx"
    );
    assert_eq!(
        render(
            "{{ b64enc \"hello\" }} {{ b64dec \"aGVsbG8=\" }}",
            v.clone()
        ),
        "aGVsbG8= hello"
    );
    assert_eq!(
        render("{{ sha256sum \"abc\" }}", v.clone()),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        render("{{ sha1sum \"abc\" }}", v.clone()),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        render(
            "{{ regexReplaceAll \"[^a-z]\" \"a.B-c\" \"-\" }}",
            v.clone()
        ),
        "a---c"
    );
    assert_eq!(
        render(
            "{{ regexFind \"[0-9]+\" \"ab12cd34\" }} {{ regexMatch \"^v[0-9]\" \"v1\" }}",
            v.clone()
        ),
        "12 true"
    );
    assert_eq!(
        render("{{ regexSplit \",\\\\s*\" \"a, b,c\" -1 }}", v.clone()),
        "[a b c]"
    );
    assert_eq!(
        render(
            "{{ base \"/a/b.yaml\" }} {{ dir \"/a/b.yaml\" }} {{ ext \"b.yaml\" }}",
            v.clone()
        ),
        "b.yaml /a .yaml"
    );
    assert_eq!(
        render(
            "{{ (urlParse \"https://h:80/p?q=1\").hostname }}",
            v.clone()
        ),
        "h"
    );
    assert_eq!(
        render("{{ toString true }} {{ toString nil }}", v),
        "true <nil>"
    );
}

#[test]
fn lists_and_dicts() {
    let v = json!({"m": {"a": {"b": {"c": "deep"}}, "l": [1, 2]}, "l": ["x", "y", "x", ""]});
    assert_eq!(
        render("{{ dig \"a\" \"b\" \"c\" \"none\" .Values.m }}", v.clone()),
        "deep"
    );
    assert_eq!(
        render("{{ dig \"a\" \"x\" \"c\" \"none\" .Values.m }}", v.clone()),
        "none"
    );
    assert_eq!(
        render(
            "{{ $d := dict \"a\" 1 \"b\" }}{{ $d.a }}-{{ $d.b }}-{{ hasKey $d \"b\" }}",
            v.clone()
        ),
        "1--true"
    );
    assert_eq!(
        render(
            "{{ get .Values.m \"nope\" }}|{{ hasKey .Values.m \"l\" }}",
            v.clone()
        ),
        "|true"
    );
    assert_eq!(
        render(
            "{{ uniq .Values.l }} {{ compact .Values.l }} {{ without .Values.l \"x\" }}",
            v.clone()
        ),
        "[x y ] [x y x] [y ]"
    );
    assert_eq!(
        render(
            "{{ has \"y\" .Values.l }} {{ has \"q\" .Values.l }} {{ has 1 nil }}",
            v.clone()
        ),
        "true false false"
    );
    assert_eq!(render("{{ first .Values.l }} {{ last .Values.l | quote }} {{ rest (list 1 2 3) }} {{ initial (list 1 2 3) }}", v.clone()), "x \"\" [2 3] [1 2]");
    assert_eq!(render("{{ append (list 1) 2 }} {{ prepend (list 1) 0 }} {{ concat (list 1) (list 2 3) }} {{ reverse (list 1 2) }}", v.clone()), "[1 2] [0 1] [1 2 3] [2 1]");
    assert_eq!(
        render(
            "{{ until 3 }} {{ untilStep 0 10 3 }} {{ seq 3 }}",
            v.clone()
        ),
        "[0 1 2] [0 3 6 9] 1 2 3"
    );
    assert_eq!(
        render(
            "{{ keys (dict \"b\" 1 \"a\" 2) | sortAlpha }} {{ values (dict \"b\" 1 \"a\" 2) }}",
            v.clone()
        ),
        "[a b] [2 1]"
    );
    assert_eq!(
        render(
            "{{ pick (dict \"a\" 1 \"b\" 2) \"a\" }} {{ omit (dict \"a\" 1 \"b\" 2) \"a\" }}",
            v.clone()
        ),
        "map[a:1] map[b:2]"
    );
    assert_eq!(
        render(
            "{{ pluck \"a\" (dict \"a\" 1) (dict \"b\" 2) (dict \"a\" 3) }}",
            v.clone()
        ),
        "[1 3]"
    );
    assert_eq!(
        render(
            "{{ $d := set (dict) \"k\" \"v\" }}{{ $d.k }}{{ $e := unset $d \"k\" }}{{ len $e }}",
            v.clone()
        ),
        "v0"
    );
    assert_eq!(
        render(
            "{{ merge (dict \"a\" 1 \"b\" \"\") (dict \"a\" 2 \"b\" 3 \"c\" 4) }}",
            v.clone()
        ),
        "map[a:1 b:3 c:4]"
    );
    assert_eq!(
        render("{{ mergeOverwrite (dict \"a\" 1 \"n\" (dict \"x\" 1 \"y\" 2)) (dict \"a\" 2 \"n\" (dict \"y\" 3)) }}", v.clone()),
        "map[a:2 n:map[x:1 y:3]]"
    );
    assert_eq!(
        render(
            "{{ slice (list 1 2 3) 1 }} {{ chunk 2 (list 1 2 3) }}",
            v.clone()
        ),
        "[2 3] [[1 2] [3]]"
    );
    assert_eq!(
        render("{{ tuple 1 \"a\" | len }} {{ deepCopy .Values.m.l }}", v),
        "2 [1 2]"
    );
}

#[test]
fn semver_functions() {
    let v = json!({"kube": "v1.27.3-eks-a5565ad"});
    assert_eq!(
        render("{{ semverCompare \">=1.21-0\" .Values.kube }}", v.clone()),
        "true"
    );
    assert_eq!(
        render("{{ semverCompare \">=1.21.0\" .Values.kube }}", v.clone()),
        "false"
    );
    assert_eq!(
        render("{{ semverCompare \"<1.19-0\" \"v1.36.0\" }}", v.clone()),
        "false"
    );
    assert_eq!(render("{{ (semver \"2.3.4\").Major }}", v.clone()), "2");
    assert_eq!(render("{{ add1 (int (semver \"2.3.4\").Major) }}", v), "3");
}

#[test]
fn yaml_json_toml() {
    let v = json!({"res": {"limits": {"cpu": "100m", "memory": 128}}, "args": ["--a=1", "true"], "s": "a\nb"});
    assert_eq!(
        render("{{ toYaml .Values.res | nindent 2 }}", v.clone()),
        "\n  limits:\n    cpu: 100m\n    memory: 128"
    );
    assert_eq!(
        render("{{ toYaml .Values.args }}", v.clone()),
        "- --a=1\n- \"true\""
    );
    assert_eq!(render("{{ toYaml .Values.s }}", v.clone()), "|-\n  a\n  b");
    assert_eq!(render("{{ toYaml .Values.missing }}", v.clone()), "null");
    assert_eq!(
        render("{{ toJson .Values.res }}", v.clone()),
        "{\"limits\":{\"cpu\":\"100m\",\"memory\":128}}"
    );
    assert_eq!(render("{{ (fromYaml \"a: {b: 1}\").a.b }}", v.clone()), "1");
    assert_eq!(
        render("{{ (fromJson \"{\\\"a\\\": [1, 2]}\").a }}", v.clone()),
        "[1 2]"
    );
    assert_eq!(
        render("{{ fromYamlArray \"- a\\n- b\" }}", v.clone()),
        "[a b]"
    );
    assert_eq!(
        render("{{ .Values.res | toToml }}", v),
        "[limits]\n  cpu = \"100m\"\n  memory = 128.0\n"
    );
}

#[test]
fn placeholders_and_clock() {
    let v = json!({});
    let p = render("{{ randAlphaNum 16 }}", v.clone());
    assert_eq!(p.len(), 16);
    assert!(is_placeholder(&p));
    assert_eq!(
        render("{{ randAlphaNum 16 }}", v.clone()),
        p,
        "stable between calls"
    );
    assert!(is_placeholder(&render(
        "{{ randAlphaNum 16 | b64enc }}",
        v.clone()
    )));
    let ca = render("{{ $ca := genCA \"my-ca\" 365 }}{{ $ca.Cert }}", v.clone());
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----\n"), "{ca}");
    assert!(is_placeholder(&ca));
    let signed = render(
        "{{ $ca := genCA \"ca\" 365 }}{{ $c := genSignedCert \"svc\" (list \"10.0.0.1\") (list \"svc.ns\") 365 $ca }}{{ $c.Key }}",
        v.clone(),
    );
    assert!(signed.contains("PRIVATE KEY-----"), "{signed}");
    assert_eq!(
        render("{{ now | unixEpoch }}", v.clone()),
        FIXED_NOW_UNIX.to_string()
    );
    assert_eq!(
        render(
            "{{ dateInZone \"2006-01-02T15:04:05Z\" (now) \"UTC\" }}",
            v.clone()
        ),
        "2000-01-01T00:00:00Z"
    );
    assert_eq!(render("{{ now | date \"2006\" }}", v.clone()), "2000");
    assert_eq!(
        render(
            "{{ now | dateModify \"24h\" | date \"2006-01-02\" }}",
            v.clone()
        ),
        "2000-01-02"
    );
    assert_eq!(render("{{ uuidv4 }}", v.clone()), PLACEHOLDER_UUID);
    assert!(is_placeholder(&render("{{ htpasswd \"u\" \"p\" }}", v)));
}

/// `toYaml` of values taken from the corpus charts' `values.yaml`, against what helm
/// v4.2.3 printed for them (`shared/corpus/helm/goldens`).
mod goldens {
    use super::*;

    /// The values text as Helm reads it, then `toYaml | nindent n` as the template does.
    fn to_yaml_nindent(values_yaml: &str, n: usize) -> String {
        let v = yaml::parse(values_yaml).unwrap();
        let src = format!("{{{{ toYaml . | nindent {n} }}}}");
        Template::new("t")
            .funcs(function_map())
            .parse(&src)
            .unwrap()
            .execute_to_string(&v)
            .unwrap()
    }

    #[test]
    fn prometheus_scrape_config_relabelings() {
        // charts/prometheus: `toYaml (omit $scrapeValue "enabled" "job_name") | nindent 6`.
        let values = r#"
honor_labels: true
kubernetes_sd_configs:
  - role: pod
relabel_configs:
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
    action: keep
    regex: true
  - source_labels:
    - __meta_kubernetes_pod_annotation_prometheus_io_port
    - __meta_kubernetes_pod_ip
    action: replace
    regex: (\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})
    replacement: '[$2]:$1'
    target_label: __address__
  - action: labelmap
    regex: __meta_kubernetes_pod_annotation_prometheus_io_param_(.+)
    replacement: __param_$1
  - source_labels: [__meta_kubernetes_pod_phase]
    regex: Pending|Succeeded|Failed|Completed
    action: drop
"#;
        let golden = "
      honor_labels: true
      kubernetes_sd_configs:
      - role: pod
      relabel_configs:
      - action: keep
        regex: true
        source_labels:
        - __meta_kubernetes_pod_annotation_prometheus_io_scrape
      - action: replace
        regex: (\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})
        replacement: '[$2]:$1'
        source_labels:
        - __meta_kubernetes_pod_annotation_prometheus_io_port
        - __meta_kubernetes_pod_ip
        target_label: __address__
      - action: labelmap
        regex: __meta_kubernetes_pod_annotation_prometheus_io_param_(.+)
        replacement: __param_$1
      - action: drop
        regex: Pending|Succeeded|Failed|Completed
        source_labels:
        - __meta_kubernetes_pod_phase";
        assert_eq!(to_yaml_nindent(values, 6), golden);
    }

    #[test]
    fn opentelemetry_operator_env_quotes_numeric_strings() {
        let values = r#"
- name: CERT_MANAGER_CLUSTERIP
  value: "cert-manager-webhook.cert-manager"
- name: CERT_MANAGER_PORT
  value: "443"
"#;
        let golden = "
- name: CERT_MANAGER_CLUSTERIP
  value: cert-manager-webhook.cert-manager
- name: CERT_MANAGER_PORT
  value: \"443\"";
        assert_eq!(to_yaml_nindent(values, 0), golden);
    }

    #[test]
    fn argo_cd_cm_multiline_string_is_a_literal_block() {
        // charts/argo-cd `argo-cd.config.cm`: `{{ $key }}: {{ $fmted | toYaml }}`, then
        // `nindent 2`.
        let v = yaml::parse(
            r#"
resource.customizations.ignoreResourceUpdates.ConfigMap: |
  jqPathExpressions:
    # Ignore the cluster-autoscaler status
    - '.metadata.annotations."cluster-autoscaler.kubernetes.io/last-updated"'
admin.enabled: true
"#,
        )
        .unwrap();
        let src = "{{- range $key, $value := . }}\n{{ $key }}: {{ $value | toString | toYaml }}\n{{- end }}";
        let out = Template::new("t")
            .funcs(function_map())
            .parse(src)
            .unwrap()
            .execute_to_string(&v)
            .unwrap();
        assert_eq!(
            out,
            "\nadmin.enabled: \"true\"\nresource.customizations.ignoreResourceUpdates.ConfigMap: |\n  jqPathExpressions:\n    # Ignore the cluster-autoscaler status\n    - '.metadata.annotations.\"cluster-autoscaler.kubernetes.io/last-updated\"'"
        );
    }

    #[test]
    fn kube_prometheus_stack_long_regex_is_not_folded() {
        let values = r#"
- action: drop
  regex: container_fs_(io_current|io_time_seconds_total|io_time_weighted_seconds_total|reads_merged_total|sector_reads_total|sector_writes_total|writes_merged_total)
  sourceLabels:
  - __name__
"#;
        let golden = "
    - action: drop
      regex: container_fs_(io_current|io_time_seconds_total|io_time_weighted_seconds_total|reads_merged_total|sector_reads_total|sector_writes_total|writes_merged_total)
      sourceLabels:
      - __name__";
        assert_eq!(to_yaml_nindent(values, 4), golden);
    }

    #[test]
    fn security_context_from_values() {
        // charts/promtail `containerSecurityContext`, `toYaml | nindent 12` (seen at 8 after
        // the include's own indentation).
        let values = r#"
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
allowPrivilegeEscalation: false
"#;
        assert_eq!(
            to_yaml_nindent(values, 2),
            "\n  allowPrivilegeEscalation: false\n  capabilities:\n    drop:\n    - ALL\n  readOnlyRootFilesystem: true"
        );
    }
}

/// `.Chart | toYaml` of the corpus probe chart (`goldens/_oracle/capabilities`): a long
/// description is folded at the first space past column 80, its continuation indented.
#[test]
fn golden_probe_chart_description_folds_at_80() {
    let chart = json!({
        "APIVersion": "v2",
        "Annotations": null,
        "AppVersion": "",
        "Dependencies": [],
        "Description": "Probe chart written for this corpus (not from a public repository). Prints the built-in objects that `helm template` supplies without a cluster.",
        "IsRoot": true,
        "Icon": "",
        "Version": "0.1.0"
    });
    let out = render("{{ .Values | toYaml | nindent 4 }}", chart);
    assert_eq!(
        out,
        "
    APIVersion: v2
    Annotations: null
    AppVersion: \"\"
    Dependencies: []
    Description: Probe chart written for this corpus (not from a public repository). Prints
      the built-in objects that `helm template` supplies without a cluster.
    Icon: \"\"
    IsRoot: true
    Version: 0.1.0"
    );
}

#[test]
fn go_structs_print_and_marshal_their_own_forms() {
    let s = go_struct(
        vec![("A", Value::String("x".into())), ("B", Value::Int(1))],
        Some("{x 1}"),
        to_value(&json!({"a": "x"})),
    );
    let data = Value::Map(std::sync::Arc::new(
        [(std::sync::Arc::from("S"), s)].into_iter().collect(),
    ));
    let run = |src: &str| {
        Template::new("t")
            .funcs(function_map())
            .parse(src)
            .and_then(|t| t.execute_to_string(&data))
            .unwrap_or_else(|e| panic!("{src}: {e}"))
    };
    assert_eq!(run("{{ .S.A }} {{ .S.B }}"), "x 1");
    assert_eq!(
        run("{{ .S | toString }} {{ .S | quote }}"),
        "{x 1} \"{x 1}\""
    );
    assert_eq!(run("{{ list .S | toJson }}"), "[{\"a\":\"x\"}]");
    assert_eq!(run("{{ dict \"k\" .S | toYaml }}"), "k:\n  a: x");
    assert_eq!(from_value(&data), json!({"S": {"a": "x"}}));
    // Without a printed form: printed as the map of its fields.
    let plain = go_struct(vec![("A", Value::Int(2))], None, Value::Nil);
    assert_eq!(go_sprint(&plain), "map[A:2]");
}
