//! One multi-document stream on standard input, e.g. `helm template … | plumbline scan -`.
//!
//! Helm writes `# Source: chart/templates/x.yaml` before each rendered document. Documents
//! are grouped by that path so that findings name the template that produced them; their
//! lines count within the rendered output of that template.

use super::{Candidate, Listing, Origin};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const STDIN_NAME: &str = "<stdin>";

/// Splits the stream by `# Source:` comments into one in-memory file per template.
pub fn list(bytes: Vec<u8>) -> Listing {
    let mut listing = Listing {
        description: "standard input".to_string(),
        ..Listing::default()
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // Not UTF-8: hand the raw bytes to the loader, which reports the encoding error.
            listing.candidates.push(Candidate {
                path: STDIN_NAME.to_string(),
                origin: Origin::Memory(Arc::new(e.into_bytes())),
                size: None,
            });
            return listing;
        }
    };
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for (source, doc) in split_documents(&text) {
        let buf = files
            .entry(source.unwrap_or_else(|| STDIN_NAME.to_string()))
            .or_default();
        if !buf.is_empty() {
            buf.push_str("---\n");
        }
        buf.push_str(doc);
        if !doc.ends_with('\n') {
            buf.push('\n');
        }
    }
    for (path, body) in files {
        let size = body.len() as u64;
        listing.candidates.push(Candidate {
            path,
            origin: Origin::Memory(Arc::new(body.into_bytes())),
            size: Some(size),
        });
    }
    listing
}

/// Splits a YAML stream at `---` lines, pairing each chunk with its `# Source:` path.
fn split_documents(text: &str) -> Vec<(Option<String>, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") {
            if offset > start {
                out.push(&text[start..offset]);
            }
            start = offset + line.len();
        }
        offset += line.len();
    }
    if offset > start {
        out.push(&text[start..offset]);
    }
    out.into_iter()
        .filter(|chunk| !chunk.trim().is_empty())
        .map(|chunk| (source_of(chunk), chunk))
        .collect()
}

fn source_of(chunk: &str) -> Option<String> {
    chunk.lines().find_map(|l| {
        l.trim()
            .strip_prefix("# Source:")
            .map(|s| confine(s.trim()))
            .filter(|s| !s.is_empty())
    })
}

/// A `# Source:` path as a path inside the scanned root: the stream is untrusted, and its
/// paths become report locations (SARIF URIs relative to `%SRCROOT%`, links in merge-request
/// comments), so `..` never climbs above the root, a leading `/` or drive is dropped, and
/// `.` and empty segments go.
fn confine(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_helm_output_by_source() {
        let stream = "---\n# Source: app/templates/a.yaml\nkind: A\n---\n# Source: app/templates/b.yaml\nkind: B\n---\n# Source: app/templates/a.yaml\nkind: A2\n";
        let l = list(stream.as_bytes().to_vec());
        let paths: Vec<_> = l.candidates.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["app/templates/a.yaml", "app/templates/b.yaml"]);
        let Origin::Memory(a) = &l.candidates[0].origin else {
            panic!()
        };
        let a = String::from_utf8(a.to_vec()).unwrap();
        assert!(a.contains("kind: A\n") && a.contains("kind: A2\n"));
    }

    #[test]
    fn source_paths_stay_inside_the_root() {
        let stream = "# Source: ../../etc/passwd\nkind: A\n---\n# Source: /abs/../x.yaml\nkind: B\n\
                      ---\n# Source: c/./d/../../../e.yaml\nkind: C\n---\n# Source: ..\\..\\w.yaml\nkind: D\n";
        let l = list(stream.as_bytes().to_vec());
        let paths: Vec<_> = l.candidates.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["e.yaml", "etc/passwd", "w.yaml", "x.yaml"]);
    }

    #[test]
    fn plain_stream_is_one_file() {
        let l = list(b"kind: A\n---\nkind: B\n".to_vec());
        assert_eq!(l.candidates.len(), 1);
        assert_eq!(l.candidates[0].path, STDIN_NAME);
    }
}
