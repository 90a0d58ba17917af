//! sprig's reflection (`typeOf`, `kindIs`, ...), paths (Go's `path` package; `filepath` is
//! the same on Linux), URLs (`net/url`), and the encoding functions Helm adds (`toYaml`,
//! `toJson`, `toToml`, `fromYaml`, `fromJson` and their variants).

use std::fmt::Write as _;
use std::sync::Arc;

use gotmpl::{FuncMap, Value};

use super::convert::{
    arg_map, arg_str, arity, call_err, go_kind_name, go_quote, go_type_name, map, string, Map,
};
use super::reg;

/// Go's `path.Clean`.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`.
pub(crate) fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go's `path.Dir`.
pub(crate) fn dir(p: &str) -> String {
    let d = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean(d)
}

/// Go's `path.Ext`.
pub(crate) fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}

// ---------------------------------------------------------------------------------------
// net/url

/// The parts of a URL `urlParse` reports.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Url {
    pub scheme: String,
    pub opaque: String,
    pub user: Option<(String, Option<String>)>,
    pub host: String,
    pub path: String,
    pub raw_query: String,
    pub fragment: String,
}

fn unhex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Go's `url.unescape` (path mode: `+` stays).
fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = b.get(i + 1).copied().and_then(unhex);
            let lo = b.get(i + 2).copied().and_then(unhex);
            match (hi, lo) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    let bad: String = s[i..].chars().take(3).collect();
                    return Err(format!("invalid URL escape {}", go_quote(&bad)));
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `shouldEscape` for paths, user info and fragments.
fn escape(s: &str, mode: u8) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        let keep = c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'_' | b'.' | b'~')
            || match mode {
                b'p' => matches!(
                    c,
                    b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@'
                ),
                b'u' => matches!(c, b'$' | b'&' | b'+' | b',' | b';' | b'='),
                b'f' => matches!(
                    c,
                    b'$' | b'&'
                        | b'+'
                        | b','
                        | b'/'
                        | b':'
                        | b';'
                        | b'='
                        | b'?'
                        | b'@'
                        | b'!'
                        | b'('
                        | b')'
                        | b'*'
                ),
                _ => false,
            };
        if keep {
            out.push(c as char);
        } else {
            let _ = write!(out, "%{c:02X}");
        }
    }
    out
}

/// Go's `url.Parse`.
pub(crate) fn parse_url(raw: &str) -> Result<Url, String> {
    let wrap = |e: String| format!("parse {}: {e}", go_quote(raw));
    if raw.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err(wrap("net/url: invalid control character in URL".into()));
    }
    let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
    let mut url = Url::default();
    if u == "*" {
        url.path = "*".into();
    } else {
        // Scheme.
        let mut rest = u;
        for (i, c) in u.char_indices() {
            if c.is_ascii_alphabetic() {
                continue;
            }
            if c.is_ascii_digit() || c == '+' || c == '-' || c == '.' {
                if i == 0 {
                    break;
                }
                continue;
            }
            if c == ':' {
                if i == 0 {
                    return Err(wrap("missing protocol scheme".into()));
                }
                url.scheme = u[..i].to_ascii_lowercase();
                rest = &u[i + 1..];
            }
            break;
        }
        if rest.ends_with('?') && rest.matches('?').count() == 1 {
            rest = &rest[..rest.len() - 1];
        } else if let Some((r, q)) = rest.split_once('?') {
            url.raw_query = q.to_string();
            rest = r;
        }
        if !rest.starts_with('/') {
            if !url.scheme.is_empty() {
                url.opaque = rest.to_string();
                url.fragment = unescape(frag).map_err(wrap)?;
                return Ok(url);
            }
            let segment = rest.split('/').next().unwrap_or("");
            if segment.contains(':') {
                return Err(wrap(
                    "first path segment in URL cannot contain colon".into(),
                ));
            }
        }
        if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let authority = &rest[2..];
            let (auth, path) = match authority.find('/') {
                Some(i) => (&authority[..i], &authority[i..]),
                None => (authority, ""),
            };
            let (user, host) = match auth.rfind('@') {
                Some(i) => (Some(&auth[..i]), &auth[i + 1..]),
                None => (None, auth),
            };
            if let Some(info) = user {
                let (name, pass) = match info.split_once(':') {
                    Some((n, p)) => (n, Some(p)),
                    None => (info, None),
                };
                url.user = Some((
                    unescape(name).map_err(wrap)?,
                    pass.map(unescape).transpose().map_err(wrap)?,
                ));
            }
            url.host = unescape(host).map_err(wrap)?;
            rest = path;
        }
        url.path = unescape(rest).map_err(wrap)?;
    }
    url.fragment = unescape(frag).map_err(wrap)?;
    Ok(url)
}

impl Url {
    fn hostname(&self) -> String {
        let h = &self.host;
        if let Some(r) = h.strip_prefix('[') {
            return r.split(']').next().unwrap_or("").to_string();
        }
        match h.rfind(':') {
            Some(i) if h[i + 1..].bytes().all(|c| c.is_ascii_digit()) => h[..i].to_string(),
            _ => h.clone(),
        }
    }

    fn userinfo(&self) -> String {
        match &self.user {
            None => String::new(),
            Some((n, None)) => escape(n, b'u'),
            Some((n, Some(p))) => format!("{}:{}", escape(n, b'u'), escape(p, b'u')),
        }
    }

    /// Go's `URL.String`.
    fn to_go_string(&self) -> String {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.push_str("//");
                }
                if self.user.is_some() {
                    buf.push_str(&self.userinfo());
                    buf.push('@');
                }
                buf.push_str(&self.host);
            }
            let path = escape(&self.path, b'p');
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                buf.push('/');
            }
            if buf.is_empty() && path.split('/').next().unwrap_or("").contains(':') {
                buf.push_str("./");
            }
            buf.push_str(&path);
        }
        if !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push('#');
            buf.push_str(&escape(&self.fragment, b'f'));
        }
        buf
    }
}

fn url_value(u: &Url) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: String| {
        m.insert(Arc::from(k), string(v));
    };
    put("scheme", u.scheme.clone());
    put("host", u.host.clone());
    put("hostname", u.hostname());
    put("path", u.path.clone());
    put("query", u.raw_query.clone());
    put("opaque", u.opaque.clone());
    put("fragment", u.fragment.clone());
    put("userinfo", u.userinfo());
    map(m)
}

pub(crate) fn register(m: &mut FuncMap) {
    // Reflection.
    reg(m, "typeOf", |n, a| {
        arity(n, a, 1)?;
        Ok(string(go_type_name(&a[0])))
    });
    reg(m, "typeIs", |n, a| {
        arity(n, a, 2)?;
        Ok(Value::Bool(arg_str(a, 0)? == go_type_name(&a[1])))
    });
    reg(m, "typeIsLike", |n, a| {
        arity(n, a, 2)?;
        let t = go_type_name(&a[1]);
        let want = arg_str(a, 0)?;
        Ok(Value::Bool(want == t || format!("*{want}") == t))
    });
    reg(m, "kindOf", |n, a| {
        arity(n, a, 1)?;
        Ok(string(go_kind_name(&a[0])))
    });
    reg(m, "kindIs", |n, a| {
        arity(n, a, 2)?;
        Ok(Value::Bool(arg_str(a, 0)? == go_kind_name(&a[1])))
    });
    reg(m, "deepEqual", |n, a| {
        arity(n, a, 2)?;
        Ok(Value::Bool(a[0] == a[1]))
    });

    // Paths.
    for name in ["base", "osBase"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            Ok(string(base(arg_str(a, 0)?)))
        });
    }
    for name in ["dir", "osDir"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            Ok(string(dir(arg_str(a, 0)?)))
        });
    }
    for name in ["clean", "osClean"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            Ok(string(clean(arg_str(a, 0)?)))
        });
    }
    for name in ["ext", "osExt"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            Ok(string(ext(arg_str(a, 0)?)))
        });
    }
    for name in ["isAbs", "osIsAbs"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            Ok(Value::Bool(arg_str(a, 0)?.starts_with('/')))
        });
    }

    // URLs.
    reg(m, "urlParse", |n, a| {
        arity(n, a, 1)?;
        parse_url(arg_str(a, 0)?)
            .map(|u| url_value(&u))
            .map_err(|e| call_err(n, format!("unable to parse url: {e}")))
    });
    reg(m, "urlJoin", |n, a| {
        arity(n, a, 1)?;
        let d = arg_map(a, 0)?;
        let get = |k: &str| -> gotmpl::Result<String> {
            match d.and_then(|d| d.get(k)) {
                None => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.to_string()),
                Some(other) => Err(call_err(
                    n,
                    format!(
                        "unable to parse {k} key, must be of type string, but {} found",
                        go_kind_name(other)
                    ),
                )),
            }
        };
        let userinfo = get("userinfo")?;
        let user = if userinfo.is_empty() {
            None
        } else {
            let probe = parse_url(&format!("proto://{userinfo}@host"))
                .map_err(|e| call_err(n, format!("unable to parse userinfo in dict: {e}")))?;
            probe.user
        };
        let u = Url {
            scheme: get("scheme")?,
            host: get("host")?,
            path: get("path")?,
            raw_query: get("query")?,
            opaque: get("opaque")?,
            fragment: get("fragment")?,
            user,
        };
        Ok(string(u.to_go_string()))
    });
    reg(m, "getHostByName", |n, a| {
        arity(n, a, 1)?;
        arg_str(a, 0)?;
        // No network: a scan never resolves names.
        Ok(string(""))
    });

    // Helm's encoders.
    reg(m, "toYaml", |n, a| {
        arity(n, a, 1)?;
        Ok(string(super::yaml::to_yaml(&a[0])))
    });
    reg(m, "mustToYaml", |n, a| {
        arity(n, a, 1)?;
        match super::yaml::encode(&a[0]) {
            Some(s) => Ok(string(s.strip_suffix('\n').unwrap_or(&s))),
            None => Err(call_err(
                n,
                "error marshaling into JSON: json: unsupported value",
            )),
        }
    });
    reg(m, "toYamlPretty", |n, a| {
        arity(n, a, 1)?;
        Ok(string(super::yaml::to_yaml_pretty(&a[0])))
    });
    reg(m, "fromToml", |n, a| {
        arity(n, a, 1)?;
        arg_str(a, 0)?;
        Err(call_err(n, "fromToml is not supported by this renderer"))
    });
    reg(m, "fromYaml", |n, a| {
        arity(n, a, 1)?;
        Ok(super::yaml::from_yaml(arg_str(a, 0)?))
    });
    reg(m, "fromYamlArray", |n, a| {
        arity(n, a, 1)?;
        Ok(super::yaml::from_yaml_array(arg_str(a, 0)?))
    });
    reg(m, "toJson", |n, a| {
        arity(n, a, 1)?;
        Ok(string(super::json::marshal(&a[0]).unwrap_or_default()))
    });
    reg(m, "mustToJson", |n, a| {
        arity(n, a, 1)?;
        super::json::marshal(&a[0])
            .map(string)
            .map_err(|e| call_err(n, e.0))
    });
    reg(m, "toRawJson", |n, a| {
        arity(n, a, 1)?;
        Ok(string(super::json::marshal_raw(&a[0]).unwrap_or_default()))
    });
    reg(m, "mustToRawJson", |n, a| {
        arity(n, a, 1)?;
        super::json::marshal_raw(&a[0])
            .map(string)
            .map_err(|e| call_err(n, e.0))
    });
    reg(m, "toPrettyJson", |n, a| {
        arity(n, a, 1)?;
        Ok(string(
            super::json::marshal_pretty(&a[0]).unwrap_or_default(),
        ))
    });
    reg(m, "mustToPrettyJson", |n, a| {
        arity(n, a, 1)?;
        super::json::marshal_pretty(&a[0])
            .map(string)
            .map_err(|e| call_err(n, e.0))
    });
    reg(m, "fromJson", |n, a| {
        arity(n, a, 1)?;
        Ok(super::json::from_json(arg_str(a, 0)?))
    });
    reg(m, "fromJsonArray", |n, a| {
        arity(n, a, 1)?;
        Ok(super::json::from_json_array(arg_str(a, 0)?))
    });
    reg(m, "mustFromJson", |n, a| {
        arity(n, a, 1)?;
        super::json::unmarshal(arg_str(a, 0)?).map_err(|e| call_err(n, e))
    });
    reg(m, "toToml", |n, a| {
        arity(n, a, 1)?;
        Ok(string(super::toml::to_toml(&a[0])))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_like_go() {
        assert_eq!(base("/a/b.txt"), "b.txt");
        assert_eq!(base("a/b/"), "b");
        assert_eq!(base(""), ".");
        assert_eq!(base("///"), "/");
        assert_eq!(dir("/a/b/c"), "/a/b");
        assert_eq!(dir("a"), ".");
        assert_eq!(dir("/"), "/");
        assert_eq!(ext("a/b.tar.gz"), ".gz");
        assert_eq!(ext("a.b/c"), "");
        assert_eq!(clean("a/../../b/./c//"), "../b/c");
        assert_eq!(clean("/../a"), "/a");
    }

    #[test]
    fn urls_like_go() {
        let u = parse_url("https://user:pw@example.com:8443/p/a%20t?q=1&r=2#frag").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "example.com:8443");
        assert_eq!(u.hostname(), "example.com");
        assert_eq!(u.path, "/p/a t");
        assert_eq!(u.raw_query, "q=1&r=2");
        assert_eq!(u.fragment, "frag");
        assert_eq!(u.userinfo(), "user:pw");
        assert_eq!(
            u.to_go_string(),
            "https://user:pw@example.com:8443/p/a%20t?q=1&r=2#frag"
        );
        let o = parse_url("mailto:x@y").unwrap();
        assert_eq!(o.opaque, "x@y");
        assert!(parse_url(":x").is_err());
        let r = parse_url("redis://[::1]:6379/0").unwrap();
        assert_eq!(r.hostname(), "::1");
    }
}
