//! Text from a scanned repository (file names, `metadata.name`, messages built from values)
//! is untrusted: it may hold escape sequences that clear a line of a CI log, move the
//! cursor, set the window title or write the clipboard (OSC 52), carriage returns and line
//! breaks that forge a line of output, or bidirectional overrides that make text read other
//! than it is. Every human-read output escapes it with [`escape`] before it is written, so
//! such characters are shown as visible text (`\x1b`, `\r`, `\u{202e}`) and never act.
//!
//! What is escaped ([`is_unsafe`]): every C0 control (line break and tab included), DEL,
//! every C1 control (U+0080–U+009F: an 8-bit CSI or OSC on some terminals), the line and
//! paragraph separators U+2028/U+2029, every invisible format character (Unicode category
//! Cf: the bidi marks, embeddings, overrides and isolates, zero-width spaces and joiners,
//! the byte order mark, the tag characters of "ASCII smuggling"), and the Hangul fillers,
//! which display as nothing. Everything else, backslashes included, is kept as it is, so
//! ordinary names, paths and messages read unchanged.

use std::borrow::Cow;
use std::fmt;

/// Unicode format characters (general category Cf, Unicode 15.1) and other characters that
/// show as nothing, as inclusive ranges. They are never needed to read a resource name, a
/// path or a message, and are what bidi and invisible-text spoofing is made of.
const INVISIBLE: [(char, char); 24] = [
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark (bidi)
    ('\u{06DD}', '\u{06DD}'),   // Arabic end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound and piastre marks above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{115F}', '\u{1160}'),   // Hangul choseong and jungseong fillers
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero-width space, non-joiner, joiner; LRM, RLM
    ('\u{2028}', '\u{2029}'),   // line and paragraph separators
    ('\u{202A}', '\u{202E}'),   // bidi embeddings and overrides (LRE … RLO)
    ('\u{2060}', '\u{2064}'),   // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'),   // bidi isolates (LRI … PDI), deprecated format characters
    ('\u{3164}', '\u{3164}'),   // Hangul filler
    ('\u{FEFF}', '\u{FEFF}'),   // zero-width no-break space (byte order mark)
    ('\u{FFA0}', '\u{FFA0}'),   // halfwidth Hangul filler
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol format controls
    ('\u{E0001}', '\u{E007F}'), // tag characters (invisible ASCII)
];

/// Whether `c` must not reach a terminal or a human-read report as it is.
pub fn is_unsafe(c: char) -> bool {
    // C0 controls, DEL and C1 controls are exactly Rust's `char::is_control`.
    c.is_control() || INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Appends the visible form of an unsafe character: `\n`, `\r`, `\t`, `\x1b` for the other
/// C0 controls and DEL, `\u{9b}`, `\u{202e}` for the rest (Rust's notation).
pub fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// Escapes untrusted text for one line of a terminal or log: every unsafe character, line
/// breaks included, becomes visible text. Borrows when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_except(s, |_| false)
}

/// Like [`escape`], but keeps line breaks (`\n` only: a `\r` is still escaped). For a block
/// of several lines that Plumbline assembled itself, as a last guard where it is written;
/// the untrusted parts of its lines must have been escaped with [`escape`] already, or a
/// line break in them would still start a line.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_except(s, |c| c == '\n')
}

fn escape_except(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| is_unsafe(c) && !keep(c);
    let Some(first) = s.find(unsafe_char) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if unsafe_char(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `format!("{}", Escaped(name))`: [`escape`] as a `Display`, for formatting without an
/// intermediate string.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<20}` still aligns.
        f.pad(&escape(self.0))
    }
}

/// A block of lines that may carry untrusted text but is meant to span lines (a Rego error
/// shows the policy line and a caret under it): [`escape_lines`], with every line after the
/// first indented by `indent`, so that none of them can pass for a line of its own.
pub fn indented_block(s: &str, indent: &str) -> String {
    escape_lines(s).replace('\n', &format!("\n{indent}"))
}

/// Writes one line to stderr, escaped as a whole (a line break in it included), followed by
/// a line break. For messages that may carry a file name or a value from a scanned file.
pub fn eprintln_escaped(line: &str) {
    eprintln!("{}", escape(line));
}

/// Writes a block of lines that Plumbline assembled to stderr, with [`escape_lines`]: its
/// line breaks are kept, any other control character is shown escaped.
pub fn eprint_block(text: &str) {
    eprint!("{}", escape_lines(text));
}

/// Makes serialised JSON safe to show in a terminal without changing what it means:
/// serde_json already writes C0 controls as `\u001b` and the like, but writes DEL, C1
/// controls, bidi overrides and other invisible characters as they are. Each of those
/// becomes a `\uXXXX` escape (a surrogate pair above U+FFFF), which every JSON reader
/// decodes to the same string. Outside strings, JSON text is ASCII, and its only control
/// characters are the whitespace between tokens, which is kept; inside strings serde_json
/// has escaped every C0 control already.
pub fn escape_json_text(json: String) -> String {
    let needs = |c: char| is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t');
    if !json.contains(needs) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if needs(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No character that could start a control sequence, move the cursor or reorder text.
    fn inert(s: &str) -> bool {
        !s.contains(is_unsafe)
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in [
            "web-frontend",
            "k8s/apps/déploiement.yaml",
            "C:\\path\\to",
            "名前 — ✓",
            "",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(t) if t == s), "{s}");
        }
    }

    #[test]
    fn terminal_escape_sequences_become_visible() {
        assert_eq!(escape("a\x1b[2Kb"), "a\\x1b[2Kb");
        assert_eq!(
            escape("\x1b]52;c;aGVsbG8=\x07"),
            "\\x1b]52;c;aGVsbG8=\\x07",
            "OSC 52 clipboard write"
        );
        assert_eq!(
            escape("\x1b]0;title\x1b\\"),
            "\\x1b]0;title\\x1b\\",
            "OSC with ST"
        );
        assert_eq!(escape("x\u{9b}31m"), "x\\u{9b}31m", "8-bit CSI");
        assert_eq!(
            escape("\u{9d}8;;http://e\u{9c}"),
            "\\u{9d}8;;http://e\\u{9c}"
        );
        assert_eq!(escape("\0\x08\x7f"), "\\x00\\x08\\x7f");
        assert!(!escape("\x1b\x1b\x1b").contains('\x1b'));
    }

    #[test]
    fn line_breaks_and_carriage_returns_cannot_forge_lines() {
        assert_eq!(escape("web\r\nno findings\t!"), "web\\r\\nno findings\\t!");
        assert_eq!(escape("a\u{85}b"), "a\\u{85}b", "NEL");
        assert_eq!(escape("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
    }

    #[test]
    fn bidi_controls_and_invisible_characters_become_visible() {
        assert_eq!(escape("abc\u{202e}lmth.exe"), "abc\\u{202e}lmth.exe");
        let dangerous = "\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\
                         \u{200e}\u{200f}\u{061c}\u{200b}\u{200d}\u{2060}\u{feff}\u{e0041}\u{3164}\u{00ad}";
        for c in dangerous.chars() {
            let s = format!("a{c}b");
            let e = escape(&s);
            assert!(inert(&e), "{:?} -> {e:?}", c);
            assert_eq!(e, format!("a\\u{{{:x}}}b", c as u32));
        }
    }

    #[test]
    fn every_control_character_is_escaped() {
        for cp in (0..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(cp).unwrap();
            let e = escape(&c.to_string()).into_owned();
            assert!(inert(&e) && e.starts_with('\\'), "U+{cp:04X} -> {e:?}");
        }
    }

    #[test]
    fn escape_lines_keeps_only_line_breaks() {
        assert_eq!(
            escape_lines("one\ntwo\r\x1b[1Athree\n"),
            "one\ntwo\\r\\x1b[1Athree\n"
        );
    }

    #[test]
    fn escaped_displays_like_escape_and_pads() {
        assert_eq!(format!("[{}]", Escaped("a\x1b[31mb")), "[a\\x1b[31mb]");
        assert_eq!(format!("[{:<6}]", Escaped("a\rb")), "[a\\rb  ]");
    }

    #[test]
    fn an_indented_block_keeps_its_lines_apart_from_real_ones() {
        assert_eq!(
            indented_block(
                "bad rule\n--> p.rego:3\nplumbline: no findings\r\x1b[2K",
                "  "
            ),
            "bad rule\n  --> p.rego:3\n  plumbline: no findings\\r\\x1b[2K"
        );
    }

    #[test]
    fn json_keeps_its_meaning_and_loses_raw_controls() {
        let value = serde_json::json!({
            "name": "a\x1b[2K\r\u{7f}\u{9b}\u{202e}\u{e0041}b",
            "plain": "ünïcode ✓",
        });
        let raw = serde_json::to_string_pretty(&value).unwrap();
        assert!(raw.contains("\\u001b"), "serde_json escapes C0: {raw}");
        assert!(
            raw.contains('\u{202e}') && raw.contains('\u{9b}'),
            "but not bidi or C1"
        );
        let safe = escape_json_text(raw.clone());
        assert_eq!(
            safe.lines().count(),
            raw.lines().count(),
            "layout kept: {safe}"
        );
        assert!(!safe.contains(|c| is_unsafe(c) && c != '\n'), "{safe}");
        assert!(safe.contains("\\u202e") && safe.contains("\\u009b") && safe.contains("\\u007f"));
        assert!(safe.contains("\\udb40\\udc41"), "surrogate pair: {safe}");
        assert!(safe.contains("ünïcode ✓"));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
