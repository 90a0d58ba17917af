//! AWS drift: Terraform state v4 against canned live AWS accounts (fixtures/aws), and every
//! real state of the corpus.

use plumbline::drift::aws::state::parse_state;
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn state_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            state_files(&p, out);
        } else if p.to_string_lossy().contains(".tfstate") {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_state_parses_or_says_what_to_do() {
    let dir = shared().join("corpus/tfstate");
    assert!(
        dir.is_dir(),
        "{} is missing: the corpus is needed",
        dir.display()
    );
    let mut files = Vec::new();
    state_files(&dir, &mut files);
    files.sort();
    assert!(files.len() > 100, "only {} state files found", files.len());
    let (mut parsed, mut resources, mut sensitive_types) = (0, 0, 0);
    let mut errors = Vec::new();
    for f in &files {
        let origin = f.to_string_lossy().to_string();
        match parse_state(&std::fs::read(f).unwrap(), &origin) {
            Ok(s) => {
                parsed += 1;
                resources += s.resources.len();
                for r in &s.resources {
                    assert!(
                        r.address.ends_with(&r.name) || r.address.ends_with(']'),
                        "{}",
                        r.address
                    );
                    assert!(r.attributes.is_object());
                    if r.ty.starts_with("aws_")
                        && r.attributes.get("arn").is_some()
                        && r.ty != "aws_s3_bucket"
                    {
                        sensitive_types += usize::from(r.region.is_some());
                    }
                }
            }
            Err(e) => {
                // A clear error: it names the file and says what to do.
                assert!(e.starts_with(&origin), "{e}");
                assert!(e.contains("terraform state pull"), "{e}");
                errors.push(e);
            }
        }
    }
    assert!(
        parsed > 140,
        "only {parsed} of {} states parsed: {errors:#?}",
        files.len()
    );
    assert!(resources > 300, "{resources} resources");
    assert!(
        sensitive_types > 50,
        "regions found for only {sensitive_types} AWS resources"
    );
}
