//! The AWS part of the command line: the Terraform states `--tfstate` names (local files,
//! globs, S3 objects), what the drift check reads from AWS, and `plumbline aws-policy`.

use crate::cli::{AwsArgs, AwsPolicyArgs};
use crate::drift::aws::{AwsDriftOptions, AwsRules, AwsUnmanaged, IgnoreEntry};
use crate::drift::HashKey;
use crate::live::aws::{AwsAccount, ReadPlan};
use crate::load::terraform::state::{parse_state, StateFile};
use crate::model::{NoteLevel, Notification};
use std::path::{Path, PathBuf};

/// The `aws:` section of `.plumbline.yaml`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    unmanaged: UnmanagedSection,
    /// Extra or replacing drift rules, in the format of `rules/aws/*.yaml` (`types: […]`).
    #[serde(default)]
    rules: Option<serde_json::Value>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UnmanagedSection {
    #[serde(default)]
    ignore: Vec<IgnoreEntry>,
}

/// Builds the AWS drift check of `scan --tfstate`: reads and parses the states, and (unless
/// `snapshot` holds AWS accounts) plans what to read from AWS (`AwsDriftOptions::read`,
/// which the scan starts at once, so that the reading overlaps it). `scanned` is the scanned
/// directory (state files inside it are named relative to it). `None` without `--tfstate`.
pub fn setup(
    args: &AwsArgs,
    section: Option<(String, String)>,
    scanned: Option<&Path>,
    snapshot: Option<Vec<AwsAccount>>,
    key: &HashKey,
) -> Result<Option<AwsDriftOptions>, String> {
    if args.tfstates.is_empty() {
        if args.aws_unmanaged
            || args.aws_profile.is_some()
            || !args.aws_regions.is_empty()
            || args.aws_endpoint_url.is_some()
        {
            return Err("the AWS options need --tfstate PATH: the Terraform states say what to compare with AWS"
                .into());
        }
        return Ok(None);
    }
    let mut section_parsed = Section::default();
    let mut rules = AwsRules::builtin();
    if let Some((text, origin)) = &section {
        section_parsed =
            serde_json::from_str(text).map_err(|e| format!("configuration {origin}: aws: {e}"))?;
        if let Some(r) = &section_parsed.rules {
            let yaml = serde_json::to_string(r).expect("JSON");
            rules = rules
                .with_yaml(&yaml, origin)
                .map_err(|e| format!("configuration {e}"))?;
        }
    }
    let unmanaged = if args.aws_unmanaged {
        Some(AwsUnmanaged {
            types: args.aws_unmanaged_type.clone(),
            tags: match &args.aws_unmanaged_tag {
                Some(t) => crate::drift::check::Unmanaged::parse_selector(t)
                    .map_err(|e| format!("--aws-unmanaged-tag: {e}"))?,
                None => Vec::new(),
            },
            ignore: section_parsed.unmanaged.ignore,
        })
    } else {
        None
    };
    let (states, notifications) = read_states(args, scanned, key)?;
    let requests = crate::drift::aws::requests(&states, &rules, unmanaged.as_ref());
    let (accounts, read) = match snapshot {
        Some(accounts) if !accounts.is_empty() => (accounts, None),
        _ => (Vec::new(), Some(read_plan(args, key, requests)?)),
    };
    Ok(Some(AwsDriftOptions {
        states,
        accounts,
        read,
        rules,
        key: key.clone(),
        unmanaged,
        notifications,
    }))
}

/// The reader options of the AWS flags.
#[cfg(feature = "aws")]
pub fn reader_options(args: &AwsArgs, key: &HashKey) -> crate::live::aws::AwsOptions {
    crate::live::aws::AwsOptions {
        profile: args.aws_profile.clone(),
        regions: args.aws_regions.clone(),
        endpoint_url: args.aws_endpoint_url.clone(),
        max_calls: args.aws_max_calls,
        hash_key: key.clone(),
        ..crate::live::aws::AwsOptions::default()
    }
}

/// What to read from AWS for `requests`, as the AWS flags say; an error (now, before the
/// scan) when this build cannot read AWS.
fn read_plan(
    args: &AwsArgs,
    key: &HashKey,
    requests: Vec<crate::live::aws::AwsRequest>,
) -> Result<ReadPlan, String> {
    crate::live::aws::available()?;
    #[cfg(not(feature = "aws"))]
    let _ = (args, key);
    Ok(ReadPlan {
        #[cfg(feature = "aws")]
        options: reader_options(args, key),
        requests,
    })
}

/// Reads and parses every state `--tfstate` names. A state that cannot be read or parsed is
/// an error notification (the scan goes on and is incomplete); a flag that names nothing is
/// a usage error.
fn read_states(
    args: &AwsArgs,
    scanned: Option<&Path>,
    key: &HashKey,
) -> Result<(Vec<StateFile>, Vec<Notification>), String> {
    let mut blobs: Vec<(String, Result<Vec<u8>, String>)> = Vec::new();
    for source in &args.tfstates {
        if source.starts_with("s3://") {
            for (url, bytes) in fetch_s3(args, key, source)? {
                blobs.push((url, Ok(bytes)));
            }
        } else {
            for path in local_states(source)? {
                let bytes = crate::bounded::read(&path, crate::bounded::DATA_BYTES)
                    .map_err(|e| e.to_string());
                blobs.push((origin_of(&path, scanned), bytes));
            }
        }
    }
    let mut states = Vec::new();
    let mut notes = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (origin, bytes) in blobs {
        if !seen.insert(origin.clone()) {
            continue;
        }
        match bytes.and_then(|b| parse_state(&b, &origin)) {
            Ok(s) => {
                // What the state holds but could not be read as it is (legacy flat
                // attributes, missing attributes): never skipped silently.
                notes.extend(s.notifications.iter().cloned());
                states.push(s);
            }
            Err(e) => notes.push(
                Notification::new(
                    NoteLevel::Error,
                    "tfstate-error",
                    format!("{origin}: {e}; its resources were not compared with AWS"),
                )
                .at(origin.clone(), None),
            ),
        }
    }
    Ok((states, notes))
}

#[cfg(feature = "aws")]
fn fetch_s3(args: &AwsArgs, key: &HashKey, url: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    crate::live::aws::fetch_objects(&reader_options(args, key), url)
        .map_err(|e| format!("--tfstate {url}: {e}"))
}

#[cfg(not(feature = "aws"))]
fn fetch_s3(_: &AwsArgs, _: &HashKey, url: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    Err(format!(
        "--tfstate {url}: this plumbline was built without the `aws` feature and cannot read S3; copy the state to a local file (`terraform state pull > FILE`)"
    ))
}

/// A state's name in reports: relative to the scanned directory when it is inside it (so
/// that it maps to the `.tf` files beside it), else as given.
fn origin_of(path: &Path, scanned: Option<&Path>) -> String {
    let inside = scanned.and_then(|root| {
        let root = root.canonicalize().ok()?;
        let p = path.canonicalize().ok()?;
        p.strip_prefix(&root).ok().map(|r| {
            r.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
    });
    inside.unwrap_or_else(|| path.display().to_string())
}

/// An S3 bucket name as S3 allows it (3–63 of `a-z`, `0-9`, `.`, `-`, starting and ending
/// with a letter or digit); in particular no `*`, `?` or `[`.
fn is_bucket_name(s: &str) -> bool {
    let ok_end = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && ok_end(s.chars().next())
        && ok_end(s.chars().last())
}

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
            crate::textsafe::eprintln_escaped(&format!("plumbline: error: {e}"));
            return crate::findings::exit::USAGE;
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&policy).expect("policy JSON")
    );
    crate::findings::exit::OK
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
        // The bucket goes into a resource ARN as written: a wildcard there would grant
        // reading every bucket that matches, so only a plain bucket name is accepted.
        if !is_bucket_name(bucket) {
            return Err(format!(
                "--tfstate {url:?}: {bucket:?} is not an S3 bucket name (3 to 63 lowercase \
                 letters, digits, dots and hyphens; no wildcard): name the state's bucket \
                 exactly (wildcards are allowed in the key only)"
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
    let rules = AwsRules::builtin();
    let mut kinds = std::collections::BTreeSet::new();
    for ty in types {
        let Some(rule) = rules.get(ty) else {
            let known: Vec<&str> = rules.types().map(|t| t.ty.as_str()).collect();
            return Err(format!(
                "--type {ty}: plumbline does not read this type; it reads: {}",
                known.join(", ")
            ));
        };
        kinds.insert(rule.kind.clone());
        if matches!(
            rule.member,
            Some(crate::drift::aws::Member::PolicyAttachment)
        ) {
            kinds.extend(["iam:role", "iam:user", "iam:group"].map(String::from));
        }
    }
    Ok(kinds.into_iter().collect())
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

    #[test]
    fn a_wildcard_bucket_never_reaches_the_policy() {
        for url in [
            "s3://*/terraform.tfstate",
            "s3://tf-*/terraform.tfstate",
            "s3://tf-stat?/x",
            "s3://[a-z]x/x",
            "s3://Upper/x",
            "s3://ab/x",
        ] {
            let e = aws_policy(&AwsPolicyArgs {
                types: Vec::new(),
                tfstates: vec![url.into()],
            })
            .unwrap_err();
            assert!(e.contains("not an S3 bucket name"), "{url}: {e}");
        }
        assert!(is_bucket_name("my.tf-state-2"));
    }
}
