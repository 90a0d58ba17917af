//! JSON text with holes: a heredoc, a template or an `Fn::Sub` that writes a JSON document
//! (a policy, container definitions) and interpolates values known only after apply.
//!
//! The text is first built with a [`hole`] marker where each unknown value goes; [`fill`]
//! then reads it as JSON and puts the unknown value of the input model,
//! `{"$unknown": "<reference>"}`, in place of the smallest JSON value that holds a marker: a
//! whole string literal (`"arn:aws:s3:::${var.bucket}/*"`), or the value itself where the
//! interpolation stands alone (`"Resource": ${local.arns}`). Everything else of the document
//! stays known, so a statement with `"Principal": "*"` and an unknown `Resource` is still
//! seen by policies. Text that is not a JSON object or array once filled is not a document:
//! the caller keeps the whole value unknown.

/// Opens and closes a marker: characters of Unicode's private use area, which no JSON
/// document of a configuration uses (one that does only risks being read as unknown).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
/// [`OPEN`] in UTF-8: a leading byte, so text sliced where it starts is at a character.
const OPEN_BYTES: &[u8] = "\u{E000}".as_bytes();

/// The marker of the `index`-th unknown value of a text.
pub fn hole(index: usize) -> String {
    format!("{OPEN}{index}{CLOSE}")
}

/// Whether `text` holds a marker (a cheap test before [`fill`]).
pub fn has_hole(text: &str) -> bool {
    text.contains(OPEN)
}

/// The unknown value of the input model as JSON text.
pub fn unknown_json(reference: &str) -> String {
    format!(
        "{{\"$unknown\":{}}}",
        serde_json::Value::String(reference.to_string())
    )
}

/// The marker starting at `rest` (which starts with [`OPEN`]): its index and its length in
/// bytes.
fn marker_at(rest: &str) -> Option<(usize, usize)> {
    let body = &rest[OPEN.len_utf8()..];
    let end = body.find(CLOSE)?;
    let index = body[..end].parse().ok()?;
    Some((index, OPEN.len_utf8() + end + CLOSE.len_utf8()))
}

/// `text` with every marker replaced as the module says, `references[i]` naming the `i`-th
/// unknown value; `None` when the result is not a JSON object or array (a marker in an
/// object key, text that is not JSON at all).
pub fn fill(text: &str, references: &[String]) -> Option<String> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next()?;
        if c == OPEN {
            if let Some((index, len)) = marker_at(rest) {
                out.push_str(&unknown_json(references.get(index)?));
                i += len;
                continue;
            }
        }
        if c == '"' {
            // A string literal: copied as it is, unless it holds a marker.
            let mut j = i + 1;
            let mut first_hole: Option<usize> = None;
            let bytes = text.as_bytes();
            while j < text.len() && bytes[j] != b'"' {
                if bytes[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if first_hole.is_none() && bytes[j..].starts_with(OPEN_BYTES) {
                    first_hole = marker_at(&text[j..]).map(|(index, _)| index);
                }
                j += 1;
            }
            let end = (j + 1).min(text.len());
            match first_hole {
                Some(index) => out.push_str(&unknown_json(references.get(index)?)),
                None => out.push_str(&text[i..end]),
            }
            i = end;
            continue;
        }
        out.push(c);
        i += c.len_utf8();
    }
    match serde_json::from_str::<serde_json::Value>(&out) {
        Ok(serde_json::Value::Object(_) | serde_json::Value::Array(_)) => Some(out),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_marker_in_a_string_makes_the_whole_string_unknown_and_the_rest_stays() {
        let text = format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Principal": "*", "Resource": "arn:aws:s3:::{}/*"}}]}}"#,
            hole(0)
        );
        let filled = fill(&text, &refs(&["aws_s3_bucket.b.id"])).unwrap();
        let v: serde_json::Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(v["Statement"][0]["Principal"], "*");
        assert_eq!(v["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            v["Statement"][0]["Resource"],
            serde_json::json!({"$unknown": "aws_s3_bucket.b.id"})
        );
    }

    #[test]
    fn a_bare_marker_is_an_unknown_value_and_quotes_in_references_are_escaped() {
        let text = format!(r#"{{"Resource": {}, "Action": "s3:*"}}"#, hole(0));
        let filled = fill(&text, &refs(&[r#"aws_s3_bucket.b["x"].arn"#])).unwrap();
        let v: serde_json::Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(v["Resource"]["$unknown"], r#"aws_s3_bucket.b["x"].arn"#);
        assert_eq!(v["Action"], "s3:*");
    }

    #[test]
    fn escaped_quotes_do_not_end_a_string_early() {
        let text = format!(r#"{{"a": "say \"{}\"", "b": "x"}}"#, hole(0));
        let filled = fill(&text, &refs(&["var.x"])).unwrap();
        let v: serde_json::Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(v["a"]["$unknown"], "var.x");
        assert_eq!(v["b"], "x");
    }

    #[test]
    fn what_is_not_a_json_document_is_refused() {
        assert_eq!(
            fill(&format!("#!/bin/sh\necho {}", hole(0)), &refs(&["v"])),
            None
        );
        assert_eq!(
            fill(&format!("{{\"{}\": 1}}", hole(0)), &refs(&["v"])),
            None
        );
        assert_eq!(
            fill(
                &format!("{{\"a\": {} {}}}", hole(0), hole(1)),
                &refs(&["v", "w"])
            ),
            None
        );
        assert_eq!(
            fill(&format!("{{\"a\": \"{}\"}}", hole(3)), &refs(&["v"])),
            None
        );
        assert!(!has_hole("{}"));
    }
}
