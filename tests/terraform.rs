//! Terraform HCL end to end: modules, count/for_each, unknown values and bad input, through
//! the binary with small Rego policies; and the loader over the bench Terraform repositories.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const ACL_POLICY: &str = r#"# METADATA
# title: Public ACL
# custom:
#   id: TEST-ACL
#   kinds: [aws_s3_bucket]
package test.acl

import rego.v1

deny contains {"msg": sprintf("%s is public", [input.attributes.bucket]), "path": ["attributes", "acl"]} if {
  input.attributes.acl == "public-read"
}
"#;

const UNKNOWN_POLICY: &str = r#"# METADATA
# title: ACL must be known
# custom:
#   id: TEST-UNKNOWN
#   kinds: [aws_s3_bucket]
package test.unknown

import rego.v1

known(v) if not is_object(v)

known(v) if {
  is_object(v)
  not v["$unknown"]
}

deny contains {"msg": "acl is unknown", "path": ["attributes", "acl"]} if {
  not known(input.attributes.acl)
}
"#;

fn copy_fixture(to: &Path) {
    fn walk(from: &Path, rel: &Path, to: &Path) {
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let p = e.path();
            let r = rel.join(e.file_name());
            if p.is_dir() {
                walk(&p, &r, to);
            } else {
                write(
                    to,
                    r.to_str().unwrap(),
                    &std::fs::read_to_string(&p).unwrap(),
                );
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terraform");
    walk(&src, Path::new(""), to);
}

fn scan(dir: &Path) -> Run {
    let pol = dir.join("pol");
    write(&pol, "acl.rego", ACL_POLICY);
    write(&pol, "unknown.rego", UNKNOWN_POLICY);
    plumbline(
        dir,
        &[
            "scan",
            "code",
            "--worktree",
            "-f",
            "json",
            "--no-builtin",
            "--policy",
            pol.to_str().unwrap(),
        ],
    )
}

fn findings(r: &serde_json::Value, rule: &str) -> Vec<serde_json::Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule)
        .cloned()
        .collect()
}

#[test]
fn findings_point_into_modules_with_call_chains_and_instance_addresses() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(&dir.path().join("code"));
    let run = scan(dir.path());
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    let acl = findings(&r, "TEST-ACL");
    let mut seen: Vec<(String, u64, String, Vec<String>, String)> = acl
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                f["subject"]["address"].as_str().unwrap().to_string(),
                f["subject"]["via"]
                    .as_array()
                    .map(|v| v.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    let expected = vec![
        (
            "live/main.tf".to_string(),
            15,
            "aws_s3_bucket.web[0]".to_string(),
            vec![],
            "web-0 is public".to_string(),
        ),
        (
            "live/main.tf".to_string(),
            15,
            "aws_s3_bucket.web[1]".to_string(),
            vec![],
            "web-1 is public".to_string(),
        ),
        (
            "modules/bucket/main.tf".to_string(),
            3,
            "module.store[\"eu\"].aws_s3_bucket.this".to_string(),
            vec!["live/main.tf:5 module.store[\"eu\"]".to_string()],
            // terraform.tfvars sets env = "stage".
            "stage-eu is public".to_string(),
        ),
        (
            "modules/bucket/main.tf".to_string(),
            3,
            "module.store[\"us\"].aws_s3_bucket.this".to_string(),
            vec!["live/main.tf:5 module.store[\"us\"]".to_string()],
            "stage-us is public".to_string(),
        ),
    ];
    assert_eq!(seen, expected, "{}", run.stdout);
    // The unknown acl does not fire the acl rule, and `not known` sees it.
    let unknown = findings(&r, "TEST-UNKNOWN");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(
        unknown[0]["subject"]["address"],
        "aws_s3_bucket.unknown_acl"
    );
    assert_eq!(unknown[0]["file"], "live/main.tf");
    assert_eq!(unknown[0]["startLine"], 20);
}

#[test]
fn var_and_var_file_override_tfvars() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(&dir.path().join("code"));
    write(dir.path(), "extra.tfvars", "env = \"qa\"\n");
    let pol = dir.path().join("pol");
    write(&pol, "acl.rego", ACL_POLICY);
    let base = [
        "scan",
        "code",
        "--worktree",
        "-f",
        "json",
        "--no-builtin",
        "--policy",
        pol.to_str().unwrap(),
    ];
    let mut args = base.to_vec();
    args.extend(["--var-file", "extra.tfvars"]);
    let r = plumbline(dir.path(), &args).json();
    let msgs: Vec<String> = findings(&r, "TEST-ACL")
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(msgs.contains(&"qa-eu is public".to_string()), "{msgs:?}");
    args.extend(["--var", "env=cli"]);
    let r = plumbline(dir.path(), &args).json();
    let msgs: Vec<String> = findings(&r, "TEST-ACL")
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(msgs.contains(&"cli-us is public".to_string()), "{msgs:?}");
}

fn notes(r: &serde_json::Value) -> Vec<(String, String, String, String)> {
    r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["level"].as_str().unwrap_or_default().to_lowercase(),
                n["code"].as_str().unwrap().to_string(),
                n["file"].as_str().unwrap_or_default().to_string(),
                n["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn bad_terraform_is_reported_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code");
    copy_fixture(&code);
    // A syntax error in a file of the root module: that file only is skipped.
    write(
        &code,
        "live/broken.tf",
        "resource \"aws_s3_bucket\" \"x\" {\n  acl = \n}\n",
    );
    // Module problems in another root.
    write(
        &code,
        "other/main.tf",
        "variable \"required\" {}\n\
         module \"gone\" {\n  source = \"./missing\"\n}\n\
         module \"up\" {\n  source = \"../../../etc\"\n}\n\
         module \"loop\" {\n  source = \"../loop\"\n}\n\
         resource \"aws_s3_bucket\" \"o\" {\n  bucket = \"o\"\n  acl = \"public-read\"\n  a = timestamp()\n  b = timestamp()\n  c = var.required\n}\n",
    );
    write(
        &code,
        "loop/main.tf",
        "module \"back\" {\n  source = \"../loop2\"\n}\n",
    );
    write(
        &code,
        "loop2/main.tf",
        "module \"back\" {\n  source = \"../loop\"\n}\n",
    );
    let run = scan(dir.path());
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    let n = notes(&r);
    let has = |code: &str, file: &str, text: &str| {
        n.iter()
            .any(|(_, c, f, m)| c == code && f == file && m.contains(text))
    };
    assert!(
        has("parse-error", "live/broken.tf", "live/broken.tf:"),
        "{n:#?}"
    );
    assert!(
        has(
            "terraform-module-missing",
            "other/main.tf",
            "other/main.tf:2"
        ),
        "{n:#?}"
    );
    assert!(
        has(
            "terraform-module-outside",
            "other/main.tf",
            "other/main.tf:5"
        ),
        "{n:#?}"
    );
    assert!(
        has("terraform-module-cycle", "loop2/main.tf", "loop2/main.tf:1"),
        "{n:#?}"
    );
    assert!(
        has(
            "terraform-undefined-variable",
            "other/main.tf",
            "\"required\""
        ),
        "{n:#?}"
    );
    let fns: Vec<_> = n
        .iter()
        .filter(|(_, c, _, _)| c == "terraform-unknown-function")
        .collect();
    assert_eq!(fns.len(), 1, "{fns:?}");
    assert_eq!(fns[0].0, "warning");
    // The parse error is a finding too, and the other resources are still checked.
    assert!(findings(&r, "PL-PARSE-0001")
        .iter()
        .any(|f| f["file"] == "live/broken.tf"));
    let acl = findings(&r, "TEST-ACL");
    assert_eq!(acl.len(), 5, "{acl:?}");
    assert!(acl
        .iter()
        .any(|f| f["subject"]["address"] == "aws_s3_bucket.o"));
}

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn tf_files(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        let r = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if p.is_dir() {
            tf_files(&p, &r, out);
        } else if name.ends_with(".tf") || name.ends_with(".tf.json") || name.contains(".tfvars") {
            out.push((r, p));
        }
    }
}

#[test]
fn bench_terraform_loads_without_panic_and_accounts_for_every_file() {
    use plumbline::load::{self, Files, Group, IacOptions, LoadOptions, MemFiles};
    let bench = shared().join("corpus/bench");
    assert!(
        bench.is_dir(),
        "{} is missing: the corpus is needed",
        bench.display()
    );
    let mut all = Vec::new();
    tf_files(&bench, "", &mut all);
    assert!(
        all.len() > 500,
        "only {} Terraform files under {}",
        all.len(),
        bench.display()
    );
    let files = MemFiles::new(all.iter().map(|(r, p)| {
        (
            r.clone(),
            String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned(),
        )
    }));
    let plan = load::plan(&files);
    let roots: Vec<&str> = plan
        .groups
        .iter()
        .filter_map(|g| match g {
            Group::TerraformRoot(d) => Some(d.as_str()),
            _ => None,
        })
        .collect();
    assert!(roots.len() > 50, "{} roots", roots.len());
    let mut covered = std::collections::BTreeSet::new();
    let mut documents = 0;
    for g in &plan.groups {
        let loaded = load::load_group(&files, g, &LoadOptions::default(), &IacOptions::default());
        documents += loaded.documents.len();
        for d in &loaded.documents {
            covered.insert(d.file.path.clone());
            for f in &d.extra_files {
                covered.insert(f.path.clone());
            }
            let s = d.subject.as_ref().expect("a Terraform subject");
            assert_eq!(s.source, "terraform");
        }
        for n in &loaded.notifications {
            if let Some(f) = &n.file {
                covered.insert(f.clone());
            }
            // The evaluation budgets' defaults are far above what real modules use.
            assert!(
                !matches!(n.code.as_str(), "terraform-limit" | "terraform-local-cycle"),
                "{n:?}"
            );
        }
    }
    assert!(documents > 500, "{documents} documents");
    for p in files.paths() {
        assert!(
            plan.consumed.contains(p),
            "{p} is neither consumed by Terraform nor loaded"
        );
        let dir = p.rfind('/').map_or("", |i| &p[..i]);
        let is_config = p.ends_with(".tf") || p.ends_with(".tf.json");
        // Every configuration file is loaded (its module's documents carry it), reported, in
        // a root module, or in a module that a local `source` calls (whose resources may all
        // have `count = 0` there, as Terraform would).
        if is_config && !covered.contains(p) && !roots.contains(&dir) {
            let last = dir.rsplit('/').next().unwrap_or(dir);
            let called = files.paths().iter().any(|q| {
                files.read(q).unwrap().unwrap().text.lines().any(|l| {
                    l.trim_start().starts_with("source") && l.contains('.') && l.contains(last)
                })
            });
            assert!(
                called || !files.read(p).unwrap().unwrap().text.contains("resource \""),
                "{p} declares resources but was neither loaded, reported, nor called"
            );
        }
    }
}

#[test]
fn module_templates_are_read_and_files_outside_the_tree_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Beside the scanned tree, not in it: nothing of it may reach the report.
    write(dir.path(), "secret.txt", "TOPSECRET-7f3a");
    let code = dir.path().join("code");
    write(
        &code,
        "live/main.tf",
        "module \"site\" {\n  source = \"../modules/site\"\n  name   = \"docs\"\n}\n",
    );
    write(
        &code,
        "modules/site/main.tf",
        r#"variable "name" {}
resource "aws_s3_bucket" "site" {
  bucket  = var.name
  acl     = templatefile("${path.module}/acl.tftpl", { public = true })
  policy  = file("../../secret.txt")
  website = file("${path.module}/link.txt")
}
"#,
    );
    write(
        &code,
        "modules/site/acl.tftpl",
        "%{ if public }public-read%{ else }private%{ endif }",
    );
    // A link inside the module to the file outside the tree.
    std::os::unix::fs::symlink(
        dir.path().join("secret.txt"),
        code.join("modules/site/link.txt"),
    )
    .unwrap();
    let run = scan(dir.path());
    assert!(!run.stdout.contains("TOPSECRET"), "{}", run.stdout);
    assert!(!run.stderr.contains("TOPSECRET"), "{}", run.stderr);
    let r = run.json();
    // The template (not a format the scan lists) was read: its acl is public.
    let acl = findings(&r, "TEST-ACL");
    assert_eq!(acl.len(), 1, "{}", run.stdout);
    assert_eq!(acl[0]["message"], "docs is public");
    assert_eq!(acl[0]["file"], "modules/site/main.tf");
    let n = notes(&r);
    assert!(
        n.iter().any(|(_, c, f, m)| c == "terraform-eval-error"
            && f == "modules/site/main.tf"
            && m.starts_with("modules/site/main.tf:5:")
            && m.contains("../../secret.txt is outside the scanned tree")),
        "{n:#?}"
    );
    assert!(
        n.iter().any(|(_, c, _, m)| c == "terraform-eval-error"
            && m.starts_with("modules/site/main.tf:6:")
            && m.contains("link.txt leads outside the repository")),
        "{n:#?}"
    );
}

#[test]
fn evaluation_limits_and_cycles_make_the_scan_incomplete_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code");
    write(
        &code,
        "hostile/main.tf",
        r#"locals {
  ids  = range(1000000000)
  a    = local.b
  b    = local.a
}
resource "aws_s3_bucket" "h" {
  bucket = "h-${length(local.ids)}"
  acl    = local.a
}
"#,
    );
    write(
        &code,
        "fine/main.tf",
        "resource \"aws_s3_bucket\" \"f\" {\n  bucket = \"f\"\n  acl    = \"public-read\"\n}\n",
    );
    let run = scan(dir.path());
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    let n = notes(&r);
    assert!(
        n.iter().any(|(level, c, f, m)| level == "error"
            && c == "terraform-limit"
            && f == "hostile/main.tf"
            && m.starts_with("hostile/main.tf:2: range() reached the limit of 100000 elements")),
        "{n:#?}"
    );
    assert!(
        n.iter().any(|(level, c, f, m)| level == "error"
            && c == "terraform-local-cycle"
            && f == "hostile/main.tf"
            && m.contains("(local.a → local.b → local.a)")),
        "{n:#?}"
    );
    // The other root module is checked as usual; the hostile one's bucket is still a
    // document, its unknown acl seen as such.
    let acl = findings(&r, "TEST-ACL");
    assert_eq!(acl.len(), 1, "{acl:?}");
    assert_eq!(acl[0]["file"], "fine/main.tf");
    let unknown = findings(&r, "TEST-UNKNOWN");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0]["subject"]["address"], "aws_s3_bucket.h");
}
