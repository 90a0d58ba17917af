//! A test Kubernetes API server built from real recordings (`shared/k8s-recorded/`).
//!
//! HTTP/1.1 on 127.0.0.1 (std sockets, one thread per connection, keep-alive). Discovery
//! bodies are served as recorded, with the recorded `Content-Type` (aggregated when the
//! `Accept` header asks for it). LIST responses are generated from an object set initialised
//! from the recorded cluster-wide lists, in the recorded format: items without
//! `apiVersion`/`kind`, `metadata.resourceVersion`, `continue` tokens shaped like the real
//! ones and `remainingItemCount`. Faults can be injected per kind; every request is recorded.
//!
//! OpenAPI v3: `/openapi/v3` answers the recorded index; the group-version documents it names
//! are served from `fixtures/openapi/` (real Kubernetes documents, trimmed: see the README
//! there) under the recorded `?hash=`, a stale hash being redirected (301) to the current one
//! as kube-openapi does; group-versions without a fixture answer 404.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "plumbline-test-token";

pub fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

pub fn recorded_dir() -> PathBuf {
    shared().join("k8s-recorded")
}

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The SelfSubjectAccessReview body's `spec.resourceAttributes` (POST only).
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct KindInfo {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
}

impl KindInfo {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

struct Doc {
    body: Vec<u8>,
    content_type: String,
}

/// (namespace or "", name) → raw item JSON.
type ObjectSet = BTreeMap<(String, String), String>;

struct State {
    kinds: Vec<KindInfo>,
    /// (group, version, resource) → (namespace or "", name) → raw item JSON.
    objects: BTreeMap<(String, String, String), ObjectSet>,
    resource_version: u64,
    plain: BTreeMap<String, Doc>,
    aggregated: BTreeMap<String, Doc>,
    aggregated_enabled: bool,
    /// Status answered to an `Accept` asking for aggregated discovery (406 or 404), if any.
    aggregated_refused: Option<u16>,
    review_api: bool,
    forbidden: BTreeSet<String>,
    /// Resources that may be listed per namespace only (a reader bound by Roles).
    forbidden_cluster_wide: BTreeSet<String>,
    fail_always: BTreeSet<String>,
    /// resource → how long its lists take to answer.
    slow: BTreeMap<String, std::time::Duration>,
    throttle_once: Option<u64>,
    gone_first_continue: bool,
    requests: Vec<Recorded>,
    /// OpenAPI v3 index key (`apis/apps/v1`) → (hash, document).
    openapi: BTreeMap<String, (String, Vec<u8>)>,
    /// Injected answer of `/openapi/v3`: a status, or 200 with unreadable JSON (`Some(200)`).
    openapi_index_fault: Option<u16>,
    status_403: Value,
    status_401: String,
    status_400_continue: String,
}

pub struct ApiServer {
    port: u16,
    state: Arc<Mutex<State>>,
}

/// Split the `"items":[...]` array of a recorded list into the raw text of each item.
fn split_items(text: &str) -> Vec<String> {
    let start = text.find("\"items\":[").expect("list has items") + "\"items\":[".len();
    let bytes = text.as_bytes();
    let (mut depth, mut in_str, mut esc, mut item_start) = (0i32, false, false, None);
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                if depth == 0 {
                    item_start = Some(i);
                }
                depth += 1;
            }
            b'}' | b']' => {
                if depth == 0 {
                    break; // end of items
                }
                depth -= 1;
                if depth == 0 {
                    out.push(text[item_start.take().unwrap()..=i].to_string());
                }
            }
            _ => {}
        }
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64url_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
        }
    }
    Some(out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl ApiServer {
    /// Start on 127.0.0.1:0 with the recorded discovery and objects.
    pub fn start() -> ApiServer {
        let dir = recorded_dir();
        let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv");
        let mut plain = BTreeMap::new();
        let mut aggregated = BTreeMap::new();
        let mut lists = Vec::new();
        for line in index.lines().skip(1) {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 7 || f[1] != "GET" || f[5] != "200" {
                continue;
            }
            let (file, path, accept, user, ctype) = (f[0], f[2], f[3], f[4], f[6]);
            let doc = || Doc {
                body: std::fs::read(dir.join(file)).expect("recorded file"),
                content_type: ctype.to_string(),
            };
            if file.starts_with("discovery/") {
                if accept.starts_with("application/json;g=apidiscovery.k8s.io;v=v2;") {
                    aggregated.insert(path.to_string(), doc());
                } else if accept == "application/json" {
                    plain.insert(path.to_string(), doc());
                }
            } else if file.starts_with("lists/")
                && user == "admin"
                && accept == "application/json"
                && !path.contains("/namespaces/")
                && path.ends_with("?limit=500")
            {
                lists.push((
                    path.trim_end_matches("?limit=500").to_string(),
                    file.to_string(),
                ));
            }
        }
        let mut kinds = Vec::new();
        for p in ["/api", "/apis"] {
            let v: Value = serde_json::from_slice(&aggregated[p].body).unwrap();
            for g in v["items"].as_array().unwrap() {
                let group = g["metadata"]["name"].as_str().unwrap_or("").to_string();
                for ver in g["versions"].as_array().unwrap() {
                    for r in ver["resources"].as_array().unwrap() {
                        kinds.push(KindInfo {
                            group: group.clone(),
                            version: ver["version"].as_str().unwrap().to_string(),
                            resource: r["resource"].as_str().unwrap().to_string(),
                            kind: r["responseKind"]["kind"].as_str().unwrap().to_string(),
                            namespaced: r["scope"] == "Namespaced",
                        });
                    }
                }
            }
        }
        let mut objects: BTreeMap<_, BTreeMap<_, _>> = BTreeMap::new();
        let mut resource_version = 0;
        for (path, file) in lists {
            let text = std::fs::read_to_string(dir.join(&file)).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            resource_version = resource_version.max(
                v["metadata"]["resourceVersion"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
            );
            let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            let key = match segs.as_slice() {
                ["api", v, r] => (String::new(), v.to_string(), r.to_string()),
                ["apis", g, v, r] => (g.to_string(), v.to_string(), r.to_string()),
                _ => continue,
            };
            let set = objects.entry(key).or_default();
            for raw in split_items(&text) {
                let item: Value = serde_json::from_str(&raw).unwrap();
                let ns = item["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let name = item["metadata"]["name"].as_str().unwrap().to_string();
                set.insert((ns, name), raw);
            }
        }
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let openapi_index: Value = serde_json::from_slice(&plain["/openapi/v3"].body).unwrap();
        let mut openapi = BTreeMap::new();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openapi");
        for e in std::fs::read_dir(&fixtures).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix("_openapi.json") else {
                continue;
            };
            let key = stem.replace("__", "/");
            let hash = openapi_hash(&openapi_index, &key);
            openapi.insert(key, (hash, std::fs::read(e.path()).unwrap()));
        }
        let state = State {
            kinds,
            objects,
            resource_version,
            plain,
            aggregated,
            aggregated_enabled: true,
            aggregated_refused: None,
            review_api: true,
            forbidden: BTreeSet::new(),
            forbidden_cluster_wide: BTreeSet::new(),
            fail_always: BTreeSet::new(),
            slow: BTreeMap::new(),
            throttle_once: None,
            gone_first_continue: false,
            requests: Vec::new(),
            openapi,
            openapi_index_fault: None,
            status_403: serde_json::from_str(&read("errors/403_readonly_create_configmap.json"))
                .unwrap(),
            status_401: read("errors/401_no_token_list_secrets.json"),
            status_400_continue: read("errors/400_bad_continue_token.json"),
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(state));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve_connection(conn, st));
            }
        });
        ApiServer { port, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Write a kubeconfig (token user) with one context; returns its path.
    pub fn write_kubeconfig(&self, dir: &Path, context: &str, namespace: Option<&str>) -> PathBuf {
        self.write_kubeconfig_with_token(dir, context, namespace, TOKEN)
    }

    pub fn write_kubeconfig_with_token(
        &self,
        dir: &Path,
        context: &str,
        namespace: Option<&str>,
        token: &str,
    ) -> PathBuf {
        let ns = namespace
            .map(|n| format!("    namespace: {n}\n"))
            .unwrap_or_default();
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test-cluster\n  cluster:\n    server: {}\nusers:\n- name: test-user\n  user:\n    token: {token}\ncontexts:\n- name: {context}\n  context:\n    cluster: test-cluster\n    user: test-user\n{ns}current-context: {context}\n",
            self.url()
        );
        let path = dir.join(format!("kubeconfig-{context}"));
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn kind(&self, api_version: &str, kind: &str) -> KindInfo {
        let st = self.state.lock().unwrap();
        st.kinds
            .iter()
            .find(|k| k.api_version() == api_version && k.kind == kind)
            .cloned()
            .unwrap_or_else(|| panic!("kind {api_version} {kind} not served"))
    }

    /// Insert or replace an object (its apiVersion/kind choose the set; they are not stored,
    /// as list items on a real server lack them).
    pub fn set_object(&self, mut obj: Value) {
        let k = self.kind(
            obj["apiVersion"].as_str().unwrap(),
            obj["kind"].as_str().unwrap(),
        );
        let map = obj.as_object_mut().unwrap();
        map.remove("apiVersion");
        map.remove("kind");
        let mut st = self.state.lock().unwrap();
        st.resource_version += 1;
        let rv = st.resource_version.to_string();
        obj["metadata"]["resourceVersion"] = Value::String(rv);
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        st.objects
            .entry((k.group, k.version, k.resource))
            .or_default()
            .insert((ns, name), obj.to_string());
    }

    pub fn remove_object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) {
        let k = self.kind(api_version, kind);
        let mut st = self.state.lock().unwrap();
        st.resource_version += 1;
        if let Some(set) = st.objects.get_mut(&(k.group, k.version, k.resource)) {
            set.remove(&(namespace.unwrap_or("").to_string(), name.to_string()));
        }
    }

    /// Remove every object of a kind.
    pub fn clear_kind(&self, api_version: &str, kind: &str) {
        let k = self.kind(api_version, kind);
        let mut st = self.state.lock().unwrap();
        st.objects.remove(&(k.group, k.version, k.resource));
    }

    /// Add `n` synthetic objects `<prefix>-00000`… of a kind (ConfigMap-like bodies).
    pub fn add_synthetic(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        prefix: &str,
        n: usize,
    ) {
        for i in 0..n {
            let mut meta = serde_json::json!({"name": format!("{prefix}-{i:05}"), "uid": format!("00000000-0000-0000-0000-{i:012}"), "creationTimestamp": "2026-11-22T12:06:59Z"});
            if let Some(ns) = namespace {
                meta["namespace"] = Value::String(ns.to_string());
            }
            self.set_object(serde_json::json!({
                "apiVersion": api_version,
                "kind": kind,
                "metadata": meta,
                "data": {"index": i.to_string()},
            }));
        }
    }

    /// Names (namespace, name) of the objects of a kind, in list order.
    pub fn names(&self, api_version: &str, kind: &str) -> Vec<(String, String)> {
        let k = self.kind(api_version, kind);
        let st = self.state.lock().unwrap();
        st.objects
            .get(&(k.group, k.version, k.resource))
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// 403 (recorded Status body) on the list and `allowed: false` in access reviews.
    pub fn forbid(&self, resource: &str) {
        self.state
            .lock()
            .unwrap()
            .forbidden
            .insert(resource.to_string());
    }

    /// 403 on lists of this resource across all namespaces (and `allowed: false` in reviews
    /// without a namespace); lists in one namespace are allowed.
    pub fn forbid_cluster_wide(&self, resource: &str) {
        self.state
            .lock()
            .unwrap()
            .forbidden_cluster_wide
            .insert(resource.to_string());
    }

    /// 500 on every list of this resource.
    pub fn fail_always(&self, resource: &str) {
        self.state
            .lock()
            .unwrap()
            .fail_always
            .insert(resource.to_string());
    }

    /// Every list of this resource is answered only after `delay`.
    pub fn slow(&self, resource: &str, delay: std::time::Duration) {
        self.state
            .lock()
            .unwrap()
            .slow
            .insert(resource.to_string(), delay);
    }

    /// The next list request is answered 429 with `Retry-After: secs`.
    pub fn throttle_once(&self, secs: u64) {
        self.state.lock().unwrap().throttle_once = Some(secs);
    }

    /// The first request carrying a continue token is answered 410 Gone.
    pub fn gone_on_first_continue(&self) {
        self.state.lock().unwrap().gone_first_continue = true;
    }

    /// Answer discovery with plain `APIVersions`/`APIGroupList` only.
    pub fn disable_aggregated_discovery(&self) {
        self.state.lock().unwrap().aggregated_enabled = false;
    }

    /// Answer `status` (406 Not Acceptable, or 404) to any request whose `Accept` asks for
    /// aggregated discovery, as a server or proxy that does not serve it may.
    pub fn refuse_aggregated_discovery(&self, status: u16) {
        self.state.lock().unwrap().aggregated_refused = Some(status);
    }

    /// The access-review API answers 404.
    pub fn disable_access_review(&self) {
        self.state.lock().unwrap().review_api = false;
    }

    /// Serve `doc` as the OpenAPI v3 document of `key` (`apis/example.com/v1`), under the
    /// hash the recorded index names for it.
    pub fn set_openapi_doc(&self, key: &str, doc: &Value) {
        let mut st = self.state.lock().unwrap();
        let index: Value = serde_json::from_slice(&st.plain["/openapi/v3"].body).unwrap();
        let hash = openapi_hash(&index, key);
        st.openapi
            .insert(key.to_string(), (hash, doc.to_string().into_bytes()));
    }

    /// Serve `doc` for `key` under another hash than the index names (as after the schema
    /// changed): a request with the index's hash is redirected to this one.
    pub fn set_openapi_doc_with_hash(&self, key: &str, doc: &Value, hash: &str) {
        self.state.lock().unwrap().openapi.insert(
            key.to_string(),
            (hash.to_string(), doc.to_string().into_bytes()),
        );
    }

    /// `/openapi/v3` answers `status` (404 as a server without OpenAPI v3, 403…); 200 means
    /// a body that is not JSON.
    pub fn fail_openapi_index(&self, status: u16) {
        self.state.lock().unwrap().openapi_index_fault = Some(status);
    }

    /// A raw GET (bypassing any client): status and body.
    pub fn raw_get(&self, path_and_query: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "GET {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        read_response(BufReader::new(s))
    }

    /// A raw POST of a JSON body (bypassing any client): status and body.
    pub fn raw_post(&self, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nContent-Type: application/json\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        read_response(BufReader::new(s))
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }
}

/// The `hash` the OpenAPI v3 index names for `key`.
fn openapi_hash(index: &Value, key: &str) -> String {
    let url = index["paths"][key]["serverRelativeURL"]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not in the recorded OpenAPI v3 index"));
    url.split_once("?hash=").unwrap().1.to_string()
}

fn read_response(mut r: BufReader<TcpStream>) -> (u16, String) {
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let code = status.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut len = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (code, String::from_utf8(body).unwrap())
}

struct Reply {
    /// Wait this long before answering (the state lock is not held meanwhile).
    delay: Option<std::time::Duration>,
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        delay: None,
        status,
        content_type: content_type.to_string(),
        headers: Vec::new(),
        body: body.into(),
    }
}

fn status_body(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":message,"reason":reason,"code":code}).to_string()
}

fn serve_connection(conn: TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut writer = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = match (parts.next(), parts.next()) {
            (Some(m), Some(t)) => (m.to_string(), t.to_string()),
            _ => return,
        };
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let mut body = Vec::new();
        if let Some(n) = headers
            .get("content-length")
            .and_then(|v| v.parse::<usize>().ok())
        {
            body.resize(n, 0);
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        } else if headers
            .get("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).ok();
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                if reader.read_exact(&mut chunk).is_err() {
                    return;
                }
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        let r = handle(&state, &method, &target, &headers, &body);
        if let Some(d) = r.delay {
            std::thread::sleep(d);
        }
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nCache-Control: no-cache, private\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            r.status,
            reason(r.status),
            r.content_type,
            r.body.len()
        );
        for (k, v) in &r.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&r.body).is_err() {
            return;
        }
        let _ = writer.flush();
    }
}

fn reason(s: u16) -> &'static str {
    match s {
        200 => "OK",
        201 => "Created",
        301 => "Moved Permanently",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        406 => "Not Acceptable",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    }
}

fn handle(
    state: &Mutex<State>,
    method: &str,
    target: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut st = state.lock().unwrap();
    let attrs = if method == "POST" {
        serde_json::from_slice::<Value>(body)
            .map(|v| v["spec"]["resourceAttributes"].to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    st.requests.push(Recorded {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        body: attrs,
    });
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return reply(401, "application/json", st.status_401.clone());
    }
    let accept = headers.get("accept").cloned().unwrap_or_default();
    if method == "POST" && path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" {
        if !st.review_api {
            return reply(404, "text/plain; charset=utf-8", "404 page not found\n");
        }
        let mut review: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let resource = review["spec"]["resourceAttributes"]["resource"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let namespaced = review["spec"]["resourceAttributes"]["namespace"]
            .as_str()
            .is_some_and(|n| !n.is_empty());
        let allowed = !st.forbidden.contains(&resource)
            && (namespaced || !st.forbidden_cluster_wide.contains(&resource));
        review["metadata"] = serde_json::json!({"creationTimestamp": null});
        review["status"] = if allowed {
            serde_json::json!({"allowed": true, "reason": "RBAC: allowed"})
        } else {
            serde_json::json!({"allowed": false})
        };
        return reply(201, "application/json", review.to_string());
    }
    if method == "POST" && path == "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews" {
        if !st.review_api {
            return reply(404, "text/plain; charset=utf-8", "404 page not found\n");
        }
        let mut review: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let mut by_group: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for k in &st.kinds {
            if !st.forbidden.contains(&k.resource) {
                by_group.entry(&k.group).or_default().insert(&k.resource);
            }
        }
        let rules: Vec<Value> = by_group
            .iter()
            .map(|(g, rs)| serde_json::json!({"verbs": ["get", "list", "watch"], "apiGroups": [g], "resources": rs}))
            .collect();
        review["metadata"] = serde_json::json!({"creationTimestamp": null});
        review["status"] = serde_json::json!({"resourceRules": rules, "nonResourceRules": [], "incomplete": false});
        return reply(201, "application/json", review.to_string());
    }
    if method != "GET" {
        return reply(
            405,
            "application/json",
            status_body(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ),
        );
    }
    if let Some(code) = st.aggregated_refused {
        if accept.contains("as=APIGroupDiscoveryList") {
            return reply(
                code,
                "application/json",
                status_body(code, "NotAcceptable", "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"),
            );
        }
    }
    if path == "/openapi/v3" {
        match st.openapi_index_fault {
            None => {}
            Some(200) => return reply(200, "application/json", "{\"paths\": {\"api/v1\""),
            Some(403) => {
                let mut s = st.status_403.clone();
                s["message"] = Value::String(
                    "forbidden: User \"realk8s-readonly\" cannot get path \"/openapi/v3\"".into(),
                );
                return reply(403, "application/json", s.to_string());
            }
            Some(code) => return reply(code, "text/plain; charset=utf-8", "404 page not found\n"),
        }
    }
    if let Some(key) = path.strip_prefix("/openapi/v3/") {
        let Some((hash, body)) = st.openapi.get(key) else {
            return reply(404, "text/plain; charset=utf-8", "404 page not found\n");
        };
        let asked = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("hash="))
            .unwrap_or("");
        if !asked.is_empty() && asked != hash {
            let mut r = reply(301, "text/html; charset=utf-8", "");
            r.headers
                .push(("Location".into(), format!("/openapi/v3/{key}?hash={hash}")));
            return r;
        }
        return reply(200, "application/json", body.clone());
    }
    if path == "/api" || path == "/apis" {
        if st.aggregated_enabled && accept.contains("as=APIGroupDiscoveryList") {
            let d = &st.aggregated[path];
            return reply(200, &d.content_type, d.body.clone());
        }
        let d = &st.plain[path];
        return reply(200, &d.content_type, d.body.clone());
    }
    if let Some(d) = st.plain.get(path) {
        return reply(200, &d.content_type, d.body.clone());
    }
    // LIST paths.
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, version, ns, resource) = match segs.as_slice() {
        ["api", v, r] => ("", *v, None, *r),
        ["api", v, "namespaces", ns, r] => ("", *v, Some(*ns), *r),
        ["apis", g, v, r] => (*g, *v, None, *r),
        ["apis", g, v, "namespaces", ns, r] => (*g, *v, Some(*ns), *r),
        _ => return reply(404, "text/plain; charset=utf-8", "404 page not found\n"),
    };
    let Some(kind) = st
        .kinds
        .iter()
        .find(|k| k.group == group && k.version == version && k.resource == resource)
        .cloned()
    else {
        return reply(404, "text/plain; charset=utf-8", "404 page not found\n");
    };
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    if let Some(secs) = st.throttle_once.take() {
        let mut r = reply(429, "application/json", serde_json::json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":secs},"code":429}).to_string());
        r.headers
            .push(("Retry-After".to_string(), secs.to_string()));
        return r;
    }
    if st.forbidden.contains(resource)
        || (ns.is_none() && st.forbidden_cluster_wide.contains(resource))
    {
        let mut s = st.status_403.clone();
        let g = group;
        s["message"] = Value::String(match ns {
            Some(ns) => format!("{resource} is forbidden: User \"realk8s-readonly\" cannot list resource \"{resource}\" in API group \"{g}\" in the namespace \"{ns}\""),
            None => format!("{resource} is forbidden: User \"realk8s-readonly\" cannot list resource \"{resource}\" in API group \"{g}\" at the cluster scope"),
        });
        s["details"]["kind"] = Value::String(resource.to_string());
        return reply(403, "application/json", s.to_string());
    }
    if let Some(d) = st.slow.get(resource).copied() {
        let mut r = reply(200, "application/json", "{\"kind\":\"Status\"}");
        r.delay = Some(d);
        return r;
    }
    if st.fail_always.contains(resource) {
        return reply(
            500,
            "application/json",
            status_body(
                500,
                "InternalError",
                "Internal error occurred: injected failure",
            ),
        );
    }
    let cont = params.get("continue").cloned();
    if cont.is_some() && st.gone_first_continue {
        st.gone_first_continue = false;
        return reply(410, "application/json", status_body(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."));
    }
    let start = match &cont {
        None => String::new(),
        Some(tok) => {
            let parsed = b64url_decode(tok)
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v["start"].as_str().map(str::to_string));
            match parsed {
                Some(s) => s,
                None => return reply(400, "application/json", st.status_400_continue.clone()),
            }
        }
    };
    let limit: usize = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let empty = BTreeMap::new();
    let set = st
        .objects
        .get(&(
            kind.group.clone(),
            kind.version.clone(),
            kind.resource.clone(),
        ))
        .unwrap_or(&empty);
    // etcd key order: `name` within a namespace, `namespace/name` across namespaces.
    let mut keyed: Vec<(String, &String)> = set
        .iter()
        .filter(|((ons, _), _)| ns.is_none_or(|n| n == ons))
        .map(|((ons, name), raw)| {
            let key = if ns.is_none() && kind.namespaced {
                format!("{ons}/{name}")
            } else {
                name.clone()
            };
            (key, raw)
        })
        .filter(|(k, _)| *k >= start)
        .collect();
    keyed.sort();
    let rv = st.resource_version;
    let take = if limit == 0 {
        keyed.len()
    } else {
        limit.min(keyed.len())
    };
    let mut meta = format!("{{\"resourceVersion\":\"{rv}\"");
    if take < keyed.len() {
        let last = &keyed[take - 1].0;
        let token = format!(
            "{{\"v\":\"meta.k8s.io/v1\",\"rv\":{rv},\"start\":{}}}",
            serde_json::to_string(&format!("{last}\u{0}")).unwrap()
        );
        meta.push_str(&format!(
            ",\"continue\":\"{}\",\"remainingItemCount\":{}",
            b64url_encode(token.as_bytes()),
            keyed.len() - take
        ));
    }
    meta.push('}');
    let items: Vec<&str> = keyed[..take].iter().map(|(_, raw)| raw.as_str()).collect();
    let api_version = kind.api_version();
    let text = format!(
        "{{\"kind\":\"{}List\",\"apiVersion\":\"{api_version}\",\"metadata\":{meta},\"items\":[{}]}}\n",
        kind.kind,
        items.join(",")
    );
    reply(200, "application/json", text)
}
