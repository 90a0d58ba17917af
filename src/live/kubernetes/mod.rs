//! Read-only reader of a live Kubernetes cluster.
//!
//! It discovers which resources the server serves (aggregated discovery, falling back to
//! per-group discovery), asks the server what the caller may list (`SelfSubjectAccessReview`),
//! then lists every requested kind with paged LISTs (`limit`/`continue`), per namespace or
//! across all namespaces, never one GET per object. A kind that may not be listed across all
//! namespaces (a reader bound by namespaced Roles) is listed in each requested namespace.
//!
//! **List keys.** The OpenAPI v3 documents of the declared kinds' group-versions are read
//! too (see [`openapi`]): the keyed lists their schemas declare go to
//! [`LiveCluster::list_keys`]; when they cannot be read, a Note/Warning says so and the
//! built-in list keys apply.
//!
//! **Requests sent.** Every request is a `GET`, except the `SelfSubjectAccessReview` POSTs to
//! `/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: a review is evaluated and
//! returned by the server, nothing is stored. No write, patch, delete or dry-run is ever sent.
//!
//! **Failures.** What could not be read becomes a [`Notification`] with level `Error`
//! (`live-forbidden`, `live-error`, `live-unknown-kind`) and its [`KindScope`] is absent from
//! [`LiveCluster::complete`]. Only an unusable cluster (unknown context, unreachable server,
//! rejected credentials) is an `Err`.
//!
//! **Retries.** 429 honours `Retry-After` (at most [`MAX_RETRY_AFTER`]); 5xx, timeouts and
//! transport errors are retried with exponential back-off, up to `max_retries` times; a LIST
//! whose continue token expired (410 Gone) restarts from the beginning, at most twice.
//!
//! Object bodies (Secrets among them) are never logged, printed or put in a message.

pub mod openapi;

use crate::live::{KindRequest, KindScope, LiveCluster, LiveObject};
use crate::model::{NoteLevel, Notification, ResourceId};
use kube::client::Body;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Which cluster to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterTarget {
    /// Kubeconfig context; `None`: the current context; `"in-cluster"`: the pod's service
    /// account (also used when no kubeconfig exists and a service-account token does).
    pub context: Option<String>,
    /// Kubeconfig file; `None`: `KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
}

/// How to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Requests in flight at once (per cluster).
    pub max_concurrency: usize,
    /// `limit` of each LIST page.
    pub page_size: u32,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// Retries of a request answered 429/5xx or timed out.
    pub max_retries: u32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_concurrency: 8,
            page_size: 500,
            request_timeout: Duration::from_secs(30),
            max_retries: 3,
        }
    }
}

/// Above this many requested namespaces, a namespaced kind is listed once across all
/// namespaces instead of once per namespace.
pub const ALL_NAMESPACES_THRESHOLD: usize = 10;
/// The longest `Retry-After` honoured; longer values are cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Restarts of one LIST after its continue token expired (410 Gone).
pub const MAX_LIST_RESTARTS: u32 = 2;

const AGGREGATED_ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const JSON: &str = "application/json";
const SSAR_PATH: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
const IN_CLUSTER: &str = "in-cluster";
const SA_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
const SA_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// Where the configuration came from.
enum Source {
    InCluster,
    Kubeconfig {
        config: Box<Kubeconfig>,
        origin: String,
        context: String,
    },
}

fn load_kubeconfig(target: &ClusterTarget) -> Result<Option<(Kubeconfig, String)>, String> {
    if let Some(p) = &target.kubeconfig {
        return read_kubeconfig(p)
            .map(|k| Some((k, p.display().to_string())))
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", p.display()));
    }
    if let Some(v) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let origin = format!("KUBECONFIG={}", v.to_string_lossy());
        return Kubeconfig::from_env()
            .map(|k| k.map(|k| (k, origin.clone())))
            .map_err(|e| format!("cannot read kubeconfig from {origin}: {e}"));
    }
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
        return Ok(None);
    };
    let p = home.join(".kube").join("config");
    if !p.exists() {
        return Ok(None);
    }
    Kubeconfig::read_from(&p)
        .map(|k| Some((k, p.display().to_string())))
        .map_err(|e| format!("cannot read kubeconfig {}: {e}", p.display()))
}

/// `--kubeconfig FILE`, within [`crate::bounded::KUBECONFIG_BYTES`]: a regular file through
/// kube (which makes the certificate paths in it relative to its directory), anything else
/// (a process substitution, a FIFO, a device) read into memory first.
fn read_kubeconfig(p: &std::path::Path) -> Result<Kubeconfig, String> {
    let limit = crate::bounded::KUBECONFIG_BYTES;
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() && m.len() > limit => {
            Err(crate::bounded::ReadError::TooLarge(limit).to_string())
        }
        Ok(m) if m.is_file() => Kubeconfig::read_from(p).map_err(|e| e.to_string()),
        _ => {
            let text = crate::bounded::read_to_string(p, limit).map_err(|e| e.to_string())?;
            Kubeconfig::from_yaml(&text).map_err(|e| e.to_string())
        }
    }
}

fn resolve(target: &ClusterTarget) -> Result<Source, String> {
    if target.context.as_deref() == Some(IN_CLUSTER) {
        return Ok(Source::InCluster);
    }
    let Some((config, origin)) = load_kubeconfig(target)? else {
        if target.context.is_none() && std::path::Path::new(SA_TOKEN).exists() {
            return Ok(Source::InCluster);
        }
        return Err(match &target.context {
            Some(c) => format!(
                "cluster context \"{c}\": no kubeconfig found (set KUBECONFIG or pass a kubeconfig file)"
            ),
            None => "no kubeconfig found (set KUBECONFIG, pass a kubeconfig file, or run inside a pod with a service account)".to_string(),
        });
    };
    let context = match target
        .context
        .clone()
        .or_else(|| config.current_context.clone())
    {
        Some(c) => c,
        None => {
            return Err(format!(
                "kubeconfig {origin} has no current context: name one (contexts: {})",
                context_names(&config)
            ))
        }
    };
    if !config.contexts.iter().any(|c| c.name == context) {
        return Err(format!(
            "kubeconfig {origin} has no context \"{context}\" (contexts: {}); pick one of them or run `kubectl config get-contexts`",
            context_names(&config)
        ));
    }
    Ok(Source::Kubeconfig {
        config: Box::new(config),
        origin,
        context,
    })
}

fn context_names(k: &Kubeconfig) -> String {
    let names: Vec<&str> = k.contexts.iter().map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The namespace of the selected context (kubeconfig `context.namespace`, the service
/// account's namespace in-cluster), else `default`: namespaced objects declared without a
/// namespace go there.
pub fn context_namespace(target: &ClusterTarget) -> Result<String, String> {
    match resolve(target)? {
        Source::InCluster => Ok(std::fs::read_to_string(SA_NAMESPACE)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_string())),
        Source::Kubeconfig {
            config, context, ..
        } => Ok(config
            .contexts
            .iter()
            .find(|c| c.name == context)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.namespace.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "default".to_string())),
    }
}

async fn client_for(
    target: &ClusterTarget,
    opts: &ReadOptions,
) -> Result<(kube::Client, String, String), String> {
    let (mut config, name) = match resolve(target)? {
        Source::InCluster => (
            kube::Config::incluster().map_err(|e| {
                format!("in-cluster configuration unusable: {e} (is this running in a pod with a service account?)")
            })?,
            IN_CLUSTER.to_string(),
        ),
        Source::Kubeconfig {
            config,
            origin,
            context,
        } => {
            let options = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            let c = kube::Config::from_custom_kubeconfig(*config, &options)
                .await
                .map_err(|e| {
                    format!("cluster context \"{context}\" in {origin} is unusable: {e}")
                })?;
            (c, context)
        }
    };
    config.read_timeout = Some(opts.request_timeout);
    config.connect_timeout = Some(opts.request_timeout.min(Duration::from_secs(10)));
    config.write_timeout = Some(opts.request_timeout);
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config)
        .map_err(|e| format!("cluster context \"{name}\": cannot build a client: {e}"))?;
    Ok((client, name, server))
}

struct Resp {
    status: u16,
    content_type: String,
    retry_after: Option<Duration>,
    /// `Location` of a redirect (the OpenAPI v3 handler redirects a stale `?hash=`).
    location: Option<String>,
    body: Vec<u8>,
}

/// The shared state of one cluster read.
struct Reader {
    client: kube::Client,
    sem: Semaphore,
    requests: AtomicUsize,
    opts: ReadOptions,
    name: String,
    server: String,
    /// The review API answered 404/403: the preflight is skipped, LISTs decide.
    review_off: AtomicBool,
    /// Answers of reviews already sent (the probe sent before the others).
    reviewed: std::sync::Mutex<BTreeMap<KindScope, bool>>,
}

impl Reader {
    /// One HTTP request, under the concurrency cap and the per-request timeout.
    async fn send(
        &self,
        method: http::Method,
        path: &str,
        accept: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Resp, String> {
        let _permit = self.sem.acquire().await.map_err(|e| e.to_string())?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut b = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::ACCEPT, accept);
        if body.is_some() {
            b = b.header(http::header::CONTENT_TYPE, JSON);
        }
        let req = b
            .body(Body::from(body.unwrap_or_default()))
            .map_err(|e| e.to_string())?;
        let fut = async {
            let res = self.client.send(req).await.map_err(|e| e.to_string())?;
            let status = res.status().as_u16();
            let (content_type, retry_after, location) = {
                let h = res.headers();
                let get = |n: http::header::HeaderName| {
                    h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string)
                };
                (
                    get(http::header::CONTENT_TYPE).unwrap_or_default(),
                    get(http::header::RETRY_AFTER)
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs),
                    get(http::header::LOCATION),
                )
            };
            let body = res
                .into_body()
                .collect_bytes()
                .await
                .map_err(|e| e.to_string())?
                .to_vec();
            Ok::<_, String>(Resp {
                status,
                content_type,
                retry_after,
                location,
                body,
            })
        };
        match tokio::time::timeout(self.opts.request_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "no answer within {} s",
                self.opts.request_timeout.as_secs_f64()
            )),
        }
    }

    /// A request retried on 429 (after `Retry-After`), 5xx, timeouts and transport errors.
    /// `Err` describes the last failure once the retries are spent.
    async fn send_retried(
        &self,
        method: http::Method,
        path: &str,
        accept: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Resp, String> {
        let mut attempt = 0u32;
        loop {
            let outcome = self.send(method.clone(), path, accept, body.clone()).await;
            let (failure, wait) = match outcome {
                Ok(r) if r.status == 429 => (
                    "HTTP 429 Too Many Requests".to_string(),
                    r.retry_after
                        .unwrap_or(Duration::from_secs(1))
                        .min(MAX_RETRY_AFTER),
                ),
                Ok(r) if r.status >= 500 => (
                    format!("HTTP {}{}", r.status, status_message(&r.body)),
                    backoff(attempt),
                ),
                Ok(r) => return Ok(r),
                Err(e) => (e, backoff(attempt)),
            };
            if attempt >= self.opts.max_retries {
                return Err(format!(
                    "{failure} (after {} attempt{})",
                    attempt + 1,
                    if attempt == 0 { "" } else { "s" }
                ));
            }
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64 << attempt.min(6)).min(Duration::from_secs(5))
}

/// `: message` of a `Status` body, if the body is one (never anything else of a body).
fn status_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(|v| v.get("kind").and_then(Value::as_str) == Some("Status"))
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

/// A served resource.
#[derive(Debug, Clone)]
struct Served {
    resource: String,
    namespaced: bool,
}

/// (group, version, kind) → resource.
type Discovered = BTreeMap<(String, String, String), Served>;

fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

fn is_aggregated(r: &Resp) -> bool {
    r.status == 200
        && (r.content_type.contains("as=APIGroupDiscoveryList")
            || serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_string))
                .as_deref()
                == Some("APIGroupDiscoveryList"))
}

fn parse_aggregated(body: &[u8], out: &mut Discovered) -> Result<(), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    for group in v
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let gname = group
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        for ver in group
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let version = ver.get("version").and_then(Value::as_str).unwrap_or("");
            for r in ver
                .get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(resource), Some(kind)) = (
                    r.get("resource").and_then(Value::as_str),
                    r.pointer("/responseKind/kind").and_then(Value::as_str),
                ) else {
                    continue;
                };
                out.entry((gname.to_string(), version.to_string(), kind.to_string()))
                    .or_insert(Served {
                        resource: resource.to_string(),
                        namespaced: r.get("scope").and_then(Value::as_str) == Some("Namespaced"),
                    });
            }
        }
    }
    Ok(())
}

fn parse_resource_list(
    body: &[u8],
    group: &str,
    version: &str,
    out: &mut Discovered,
) -> Result<(), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    for r in v
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(kind)) = (
            r.get("name").and_then(Value::as_str),
            r.get("kind").and_then(Value::as_str),
        ) else {
            continue;
        };
        if name.contains('/') {
            continue; // a subresource
        }
        out.entry((group.to_string(), version.to_string(), kind.to_string()))
            .or_insert(Served {
                resource: name.to_string(),
                namespaced: r
                    .get("namespaced")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            });
    }
    Ok(())
}

fn unusable(reader: &Reader, what: &str) -> String {
    format!(
        "cluster context \"{}\" ({}) is unusable: {what}; check the context, the network and the credentials (kubectl --context {} get --raw /version)",
        reader.name, reader.server, reader.name
    )
}

fn discovery_failure(reader: &Reader, path: &str, r: &Resp) -> String {
    match r.status {
        401 => unusable(
            reader,
            &format!("the server rejected the credentials (HTTP 401 on {path}); refresh the token or log in again"),
        ),
        s => unusable(reader, &format!("GET {path} answered HTTP {s}{}", status_message(&r.body))),
    }
}

/// Discovery: aggregated when the server offers it, else per group-version of the requested
/// kinds. Returns what was found plus notifications for group-versions that could not be read.
async fn discover(
    reader: &Reader,
    requests: &[KindRequest],
) -> Result<(Discovered, BTreeMap<String, String>), String> {
    let mut found = Discovered::new();
    let mut failed_gv: BTreeMap<String, String> = BTreeMap::new();
    let core = reader
        .send_retried(http::Method::GET, "/api", AGGREGATED_ACCEPT, None)
        .await
        .map_err(|e| unusable(reader, &format!("GET /api failed: {e}")))?;
    // A server without aggregated discovery answers plain `APIVersions`; one that refuses the
    // aggregated media types answers 406 (or 404 on some proxies): per-group discovery then.
    if !matches!(core.status, 200 | 404 | 406) {
        return Err(discovery_failure(reader, "/api", &core));
    }
    if is_aggregated(&core) {
        let groups = reader
            .send_retried(http::Method::GET, "/apis", AGGREGATED_ACCEPT, None)
            .await
            .map_err(|e| unusable(reader, &format!("GET /apis failed: {e}")))?;
        if is_aggregated(&groups) {
            parse_aggregated(&core.body, &mut found)
                .map_err(|e| unusable(reader, &format!("unreadable /api discovery: {e}")))?;
            parse_aggregated(&groups.body, &mut found)
                .map_err(|e| unusable(reader, &format!("unreadable /apis discovery: {e}")))?;
            return Ok((found, failed_gv));
        }
        if !matches!(groups.status, 200 | 404 | 406) {
            return Err(discovery_failure(reader, "/apis", &groups));
        }
    }
    // Per-group discovery, only for the group-versions asked for.
    let gvs: BTreeSet<&str> = requests.iter().map(|r| r.api_version.as_str()).collect();
    for gv in gvs {
        let path = if gv.contains('/') {
            format!("/apis/{gv}")
        } else {
            format!("/api/{gv}")
        };
        let (g, v) = split_api_version(gv);
        match reader
            .send_retried(http::Method::GET, &path, JSON, None)
            .await
        {
            Ok(r) if r.status == 200 => {
                if let Err(e) = parse_resource_list(&r.body, &g, &v, &mut found) {
                    failed_gv.insert(gv.to_string(), format!("unreadable discovery {path}: {e}"));
                }
            }
            Ok(r) if r.status == 404 => {} // not served: the kinds become unknown
            Ok(r) if r.status == 401 => return Err(discovery_failure(reader, &path, &r)),
            Ok(r) => {
                failed_gv.insert(
                    gv.to_string(),
                    format!(
                        "GET {path} answered HTTP {}{}",
                        r.status,
                        status_message(&r.body)
                    ),
                );
            }
            Err(e) => {
                failed_gv.insert(gv.to_string(), format!("GET {path} failed: {e}"));
            }
        }
    }
    Ok((found, failed_gv))
}

fn api_version_of(scope: &KindScope) -> String {
    if scope.group.is_empty() {
        scope.version.clone()
    } else {
        format!("{}/{}", scope.group, scope.version)
    }
}

fn describe(scope: &KindScope) -> String {
    match &scope.namespace {
        Some(ns) => format!("{} {} in namespace {ns}", api_version_of(scope), scope.kind),
        None if scope.namespaced => {
            format!("{} {} in all namespaces", api_version_of(scope), scope.kind)
        }
        None => format!("{} {}", api_version_of(scope), scope.kind),
    }
}

fn forbidden(reader: &Reader, scope: &KindScope, why: &str) -> Notification {
    let group = if scope.group.is_empty() {
        "\"\" (core)".to_string()
    } else {
        scope.group.clone()
    };
    let rule_scope = match &scope.namespace {
        Some(ns) => format!("a Role in namespace {ns} (or a ClusterRole)"),
        None => "a ClusterRole".to_string(),
    };
    Notification::new(
        NoteLevel::Error,
        "live-forbidden",
        format!(
            "cluster {}: not allowed to list {} ({why}); not checked. Grant {rule_scope} with verbs get,list on apiGroups {group}, resources {}",
            reader.name,
            describe(scope),
            scope.resource
        ),
    )
}

enum Review {
    Allowed,
    Denied,
    /// The review API is not available (404/403) or failed: rely on the LIST.
    Unavailable,
}

/// `SelfSubjectAccessReview`: may the caller list this kind here? The only non-GET request.
/// When the review API itself answers 404 or 403, the preflight is skipped from then on.
async fn review(reader: &Reader, scope: &KindScope) -> Review {
    if reader.review_off.load(Ordering::Relaxed) {
        return Review::Unavailable;
    }
    let known = reader
        .reviewed
        .lock()
        .ok()
        .and_then(|mut m| m.remove(scope));
    match known {
        Some(true) => return Review::Allowed,
        Some(false) => return Review::Denied,
        None => {}
    }
    let mut attrs = serde_json::json!({
        "group": scope.group,
        "resource": scope.resource,
        "verb": "list",
    });
    if let Some(ns) = &scope.namespace {
        attrs["namespace"] = Value::String(ns.clone());
    }
    let body = serde_json::json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs},
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    match reader
        .send_retried(http::Method::POST, SSAR_PATH, JSON, Some(bytes))
        .await
    {
        Ok(r) if r.status == 200 || r.status == 201 => {
            match serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|v| v.pointer("/status/allowed").and_then(Value::as_bool))
            {
                Some(true) => Review::Allowed,
                Some(false) => Review::Denied,
                None => Review::Unavailable,
            }
        }
        Ok(r) if r.status == 404 || r.status == 403 => {
            reader.review_off.store(true, Ordering::Relaxed);
            Review::Unavailable
        }
        _ => Review::Unavailable,
    }
}

fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn list_path(scope: &KindScope) -> String {
    let base = if scope.group.is_empty() {
        format!("/api/{}", scope.version)
    } else {
        format!("/apis/{}/{}", scope.group, scope.version)
    };
    match &scope.namespace {
        Some(ns) => format!("{base}/namespaces/{}/{}", encode_query(ns), scope.resource),
        None => format!("{base}/{}", scope.resource),
    }
}

/// A paged LIST of one scope; 410 Gone on a continue token restarts it from the beginning.
async fn list_scope(reader: &Reader, scope: &KindScope) -> Result<Vec<LiveObject>, Notification> {
    let path = list_path(scope);
    let api_version = api_version_of(scope);
    let error = |msg: String| {
        Notification::new(
            NoteLevel::Error,
            "live-error",
            format!(
                "cluster {}: cannot list {}: {msg}; not checked",
                reader.name,
                describe(scope)
            ),
        )
    };
    let mut restarts = 0;
    'restart: loop {
        let mut objects = Vec::new();
        let mut cont: Option<String> = None;
        loop {
            let mut url = format!("{path}?limit={}", reader.opts.page_size);
            if let Some(c) = &cont {
                url.push_str("&continue=");
                url.push_str(&encode_query(c));
            }
            let r = reader
                .send_retried(http::Method::GET, &url, JSON, None)
                .await
                .map_err(error)?;
            match r.status {
                200 => {}
                410 if cont.is_some() && restarts < MAX_LIST_RESTARTS => {
                    restarts += 1;
                    continue 'restart;
                }
                403 => {
                    return Err(forbidden(
                        reader,
                        scope,
                        &format!("HTTP 403 on the list{}", status_message(&r.body)),
                    ))
                }
                s => return Err(error(format!("HTTP {s}{}", status_message(&r.body)))),
            }
            let page: Value = serde_json::from_slice(&r.body)
                .map_err(|e| error(format!("unreadable list response: {e}")))?;
            let Some(Value::Array(items)) = page.get("items").cloned() else {
                return Err(error("list response without items".to_string()));
            };
            for mut item in items {
                let Value::Object(map) = &mut item else {
                    return Err(error("list item is not an object".to_string()));
                };
                map.insert("apiVersion".to_string(), Value::String(api_version.clone()));
                map.insert("kind".to_string(), Value::String(scope.kind.clone()));
                let meta = |k: &str| {
                    item.pointer(&format!("/metadata/{k}"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                let Some(name) = meta("name") else {
                    return Err(error("list item without metadata.name".to_string()));
                };
                let namespace = meta("namespace");
                objects.push(LiveObject {
                    id: ResourceId {
                        api_version: api_version.clone(),
                        kind: scope.kind.clone(),
                        namespace,
                        name,
                    },
                    body: item,
                });
            }
            cont = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            if cont.is_none() {
                return Ok(objects);
            }
        }
    }
}

/// Preflight review, then the LIST. `Err((forbidden, notification))`.
async fn read_scope(
    reader: &Reader,
    scope: &KindScope,
) -> Result<Vec<LiveObject>, (bool, Notification)> {
    match review(reader, scope).await {
        Review::Denied => Err((
            true,
            forbidden(reader, scope, "denied by SelfSubjectAccessReview"),
        )),
        Review::Allowed | Review::Unavailable => list_scope(reader, scope)
            .await
            .map_err(|n| (n.code == "live-forbidden", n)),
    }
}

/// The scopes a request is read in.
fn scopes_of(req: &KindRequest, group: &str, version: &str, served: &Served) -> Vec<KindScope> {
    let scope = |namespace: Option<String>| KindScope {
        group: group.to_string(),
        version: version.to_string(),
        kind: req.kind.clone(),
        resource: served.resource.clone(),
        namespaced: served.namespaced,
        namespace,
    };
    if !served.namespaced
        || req.namespaces.is_empty()
        || req.namespaces.len() > ALL_NAMESPACES_THRESHOLD
    {
        vec![scope(None)]
    } else {
        req.namespaces
            .iter()
            .map(|ns| scope(Some(ns.clone())))
            .collect()
    }
}

/// Read the requested kinds from one cluster. Only `GET` requests are sent, plus the
/// `SelfSubjectAccessReview` POSTs of the preflight (which create nothing).
///
/// What could not be read becomes a Notification (level Error, codes `live-forbidden`,
/// `live-error`, `live-unknown-kind`) and is absent from `complete`. Only an unusable cluster
/// (no such context, unreachable, 401) is `Err`, with a message naming the context and what
/// to do.
pub async fn read_cluster(
    target: &ClusterTarget,
    requests: &[KindRequest],
    opts: &ReadOptions,
) -> Result<LiveCluster, String> {
    let (client, name, server) = client_for(target, opts).await?;
    let reader = Arc::new(Reader {
        client,
        sem: Semaphore::new(opts.max_concurrency.max(1)),
        requests: AtomicUsize::new(0),
        review_off: AtomicBool::new(false),
        reviewed: std::sync::Mutex::new(BTreeMap::new()),
        opts: opts.clone(),
        name,
        server,
    });
    let mut notifications = Vec::new();
    let (found, failed_gv) = discover(&reader, requests).await?;

    // Each scope to read, with the namespaces to fall back to when listing across all
    // namespaces is not allowed (a reader bound by namespaced Roles only).
    let mut scopes: BTreeMap<KindScope, BTreeSet<String>> = BTreeMap::new();
    for req in requests {
        let (g, v) = split_api_version(&req.api_version);
        match found.get(&(g.clone(), v.clone(), req.kind.clone())) {
            Some(served) => {
                for scope in scopes_of(req, &g, &v, served) {
                    let fallback = if scope.namespaced && scope.namespace.is_none() {
                        req.namespaces.clone()
                    } else {
                        BTreeSet::new()
                    };
                    scopes.entry(scope).or_default().extend(fallback);
                }
            }
            None => match failed_gv.get(&req.api_version) {
                Some(why) => notifications.push(Notification::new(
                    NoteLevel::Error,
                    "live-error",
                    format!(
                        "cluster {}: cannot discover {} {}: {why}; not checked",
                        reader.name, req.api_version, req.kind
                    ),
                )),
                None => notifications.push(Notification::new(
                    NoteLevel::Error,
                    "live-unknown-kind",
                    format!(
                        "cluster {}: the server does not serve {} {} (is the CRD installed, or the apiVersion removed?); not checked",
                        reader.name, req.api_version, req.kind
                    ),
                )),
            },
        }
    }

    // List keys from the cluster's OpenAPI v3 documents, read alongside the lists (under
    // the same concurrency cap), for the declared kinds the server serves.
    let served: Vec<KindRequest> = requests
        .iter()
        .filter(|r| {
            let (g, v) = split_api_version(&r.api_version);
            found.contains_key(&(g, v, r.kind.clone()))
        })
        .cloned()
        .collect();
    let openapi = tokio::spawn(openapi::read_list_keys(reader.clone(), served));

    // One review first: if the review API is not served (404) or not allowed (403), the
    // other scopes skip the preflight instead of each sending a review that fails.
    if let Some(first) = scopes.keys().next() {
        let answer = match review(&reader, first).await {
            Review::Allowed => Some(true),
            Review::Denied => Some(false),
            Review::Unavailable => None,
        };
        if let (Some(a), Ok(mut m)) = (answer, reader.reviewed.lock()) {
            m.insert(first.clone(), a);
        }
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (scope, fallback) in scopes {
        let reader = reader.clone();
        tasks.spawn(async move {
            let first = read_scope(&reader, &scope).await;
            match first {
                // Not allowed across all namespaces: try each requested namespace.
                // The namespaces are read concurrently, under the same cap.
                Err((true, _)) if !fallback.is_empty() => {
                    let mut set = tokio::task::JoinSet::new();
                    for ns in fallback {
                        let reader = reader.clone();
                        let s = KindScope {
                            namespace: Some(ns),
                            ..scope.clone()
                        };
                        set.spawn(async move {
                            let r = read_scope(&reader, &s).await.map_err(|(_, n)| n);
                            (s, r)
                        });
                    }
                    let mut out = Vec::new();
                    while let Some(j) = set.join_next().await {
                        out.push(j.map_err(|e| e.to_string())?);
                    }
                    Ok::<_, String>(out)
                }
                r => Ok(vec![(scope, r.map_err(|(_, n)| n))]),
            }
        });
    }
    let mut complete = Vec::new();
    let mut objects = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(results)) => {
                for (scope, r) in results {
                    match r {
                        Ok(objs) => {
                            complete.push(scope);
                            objects.extend(objs);
                        }
                        Err(n) => notifications.push(n),
                    }
                }
            }
            Ok(Err(e)) => notifications.push(Notification::new(
                NoteLevel::Error,
                "live-error",
                format!("cluster {}: a list task failed: {e}", reader.name),
            )),
            Err(e) => notifications.push(Notification::new(
                NoteLevel::Error,
                "live-error",
                format!("cluster {}: a list task failed: {e}", reader.name),
            )),
        }
    }
    let list_keys = match openapi.await {
        Ok((keys, note)) => {
            notifications.extend(note);
            keys
        }
        Err(e) => {
            notifications.push(Notification::new(
                NoteLevel::Warning,
                "live-openapi",
                format!(
                    "cluster {}: reading list keys from OpenAPI v3 failed ({e}); lists are \
                     matched with the built-in list keys of rules/kubernetes.yaml",
                    reader.name
                ),
            ));
            Vec::new()
        }
    };
    complete.sort();
    objects.sort_by(|a, b| {
        (&a.id.api_version, &a.id.kind, &a.id.namespace, &a.id.name).cmp(&(
            &b.id.api_version,
            &b.id.kind,
            &b.id.namespace,
            &b.id.name,
        ))
    });
    objects.dedup_by(|a, b| a.id == b.id);
    notifications.sort_by(|a, b| (&a.code, &a.message).cmp(&(&b.code, &b.message)));
    Ok(LiveCluster {
        name: reader.name.clone(),
        server: reader.server.clone(),
        complete,
        objects,
        notifications,
        requests: reader.requests.load(Ordering::Relaxed),
        list_keys,
    })
}

/// Blocking: several clusters concurrently, on a tokio runtime created here. Results are in
/// the order of `targets`.
pub fn read_clusters(
    targets: &[ClusterTarget],
    requests: &[KindRequest],
    opts: &ReadOptions,
) -> Vec<Result<LiveCluster, String>> {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return targets
                .iter()
                .map(|_| Err(format!("cannot start the async runtime: {e}")))
                .collect()
        }
    };
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, t) in targets.iter().enumerate() {
            let (t, reqs, opts) = (t.clone(), requests.to_vec(), opts.clone());
            set.spawn(async move { (i, read_cluster(&t, &reqs, &opts).await) });
        }
        let mut out: Vec<Option<Result<LiveCluster, String>>> = vec![None; targets.len()];
        while let Some(j) = set.join_next().await {
            if let Ok((i, r)) = j {
                out[i] = Some(r);
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err("cluster read task failed".to_string())))
            .collect()
    })
}
