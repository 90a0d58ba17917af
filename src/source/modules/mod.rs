//! Terraform modules from outside the scanned tree, downloaded on request
//! (`--download-modules`): registry modules through the module registry protocol, and
//! module archives over HTTPS. Nothing here runs without that flag: a scan never reaches
//! the network on its own.
//!
//! - A **registry** source (`[host/]namespace/name/provider[//subdir]`): the host's service
//!   discovery (`/.well-known/terraform.json`, `modules.v1`), the module's version list, the
//!   newest version the call's `version` constraint selects (as Terraform selects it), and
//!   the version's download location (`X-Terraform-Get` header, or a JSON `location`), which
//!   is then fetched as below.
//! - An **archive** over HTTPS (`https://…/m.tar.gz`, `?archive=tar.gz`, a `//subdir`), or a
//!   URL that answers with an `X-Terraform-Get` header naming one.
//! - A **Git** source on GitHub (`git::https://github.com/org/repo?ref=…`, `github.com/org/repo`
//!   shorthand — and what the public registry's download locations are): fetched as GitHub's
//!   archive of that ref, which holds the same files as a checkout of it. Other Git hosts,
//!   SSH, Mercurial and buckets are not downloaded: the call is reported.
//!
//! Downloads go to a content cache (`--module-cache`, by default the user's cache directory):
//! a package is stored once under the SHA-256 of its archive, and each (source, version
//! constraint) records which version and package it resolved to, so a later scan reuses it
//! without any request (as `terraform init` keeps what it installed until `-upgrade`; remove
//! the cache directory to resolve again). Every fetch is bounded in time, in response and
//! archive size, and in unpacked size; HTTPS only.

mod archive;
mod http;
pub mod version;

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

/// The registry a source without a host is looked up in.
pub const DEFAULT_REGISTRY: &str = "registry.terraform.io";

/// Set to `1` to allow plain HTTP to loopback addresses (127.0.0.1, ::1, localhost): for
/// tests that serve a registry locally. Any other host stays HTTPS-only.
pub const LOOPBACK_HTTP_ENV: &str = "PLUMBLINE_MODULES_LOOPBACK_HTTP";

/// Where GitHub's archives of a ref are fetched from.
const GITHUB_ARCHIVES: &str = "https://codeload.github.com";

/// With [`LOOPBACK_HTTP_ENV`] set, a loopback URL standing in for GitHub's archive host
/// (tests serve repositories there); any other value is ignored.
pub const GITHUB_ARCHIVES_ENV: &str = "PLUMBLINE_MODULES_GITHUB_ARCHIVES";

/// A module source address, as Terraform reads a `module` block's `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceAddr {
    /// `./x`, `../x`.
    Local(String),
    Registry {
        host: Option<String>,
        namespace: String,
        name: String,
        provider: String,
        subdir: Option<String>,
    },
    /// A Git repository: the URL after `git::` (query included), and a subdirectory.
    Git { url: String, subdir: Option<String> },
    /// An HTTP(S) URL: an archive, or a page naming one.
    Http { url: String, subdir: Option<String> },
    /// Mercurial, S3, GCS, Bitbucket and other forms: recognised, not downloaded.
    Other { kind: &'static str, written: String },
}

impl SourceAddr {
    pub fn parse(source: &str) -> Self {
        let s = source.trim();
        if s.starts_with("./") || s.starts_with("../") || s == "." || s == ".." {
            return Self::Local(s.to_string());
        }
        let (addr, subdir) = split_subdir(s);
        let addr = addr.as_str();
        if let Some(r) = parse_registry(addr, subdir.clone()) {
            return r;
        }
        if let Some(rest) = addr.strip_prefix("git::") {
            return Self::Git {
                url: rest.to_string(),
                subdir,
            };
        }
        if let Some(rest) = addr.strip_prefix("github.com/") {
            // GitHub shorthand: the first two parts are the repository, the rest a
            // subdirectory.
            let (path, query) = rest.split_once('?').map_or((rest, ""), |(p, q)| (p, q));
            let parts: Vec<&str> = path.split('/').collect();
            if parts.len() >= 2 {
                let repo = parts[1].trim_end_matches(".git");
                let mut url = format!("https://github.com/{}/{repo}.git", parts[0]);
                if !query.is_empty() {
                    url = format!("{url}?{query}");
                }
                let extra = parts[2..].join("/");
                let subdir = match (extra.is_empty(), subdir) {
                    (true, s) => s,
                    (false, None) => Some(extra),
                    (false, Some(s)) => Some(format!("{extra}/{s}")),
                };
                return Self::Git { url, subdir };
            }
        }
        if let Some(rest) = addr.strip_prefix("git@") {
            if let Some((host, path)) = rest.split_once(':') {
                return Self::Git {
                    url: format!("ssh://git@{host}/{path}"),
                    subdir,
                };
            }
        }
        if addr.starts_with("https://") || addr.starts_with("http://") {
            return Self::Http {
                url: addr.to_string(),
                subdir,
            };
        }
        let kind = if addr.starts_with("hg::") {
            "a Mercurial repository"
        } else if addr.starts_with("s3::") || addr.contains(".amazonaws.com/") {
            "an S3 bucket"
        } else if addr.starts_with("gcs::") || addr.starts_with("www.googleapis.com/storage/") {
            "a Google Cloud Storage bucket"
        } else if addr.starts_with("bitbucket.org/") {
            "a Bitbucket repository"
        } else {
            "not a form plumbline recognises"
        };
        Self::Other {
            kind,
            written: s.to_string(),
        }
    }

    /// The form Terraform records in `modules.json` (the registry's host added, GitHub
    /// shorthand as a Git URL), to tell whether an installed module is the call's.
    pub fn normalized(&self) -> String {
        let with_sub = |base: String, subdir: &Option<String>| match subdir {
            Some(s) => match base.split_once('?') {
                Some((b, q)) => format!("{b}//{s}?{q}"),
                None => format!("{base}//{s}"),
            },
            None => base,
        };
        match self {
            Self::Local(p) => p.clone(),
            Self::Registry {
                host,
                namespace,
                name,
                provider,
                subdir,
            } => with_sub(
                format!(
                    "{}/{namespace}/{name}/{provider}",
                    host.as_deref()
                        .unwrap_or(DEFAULT_REGISTRY)
                        .to_ascii_lowercase()
                ),
                subdir,
            ),
            Self::Git { url, subdir } => with_sub(format!("git::{url}"), subdir),
            Self::Http { url, subdir } => with_sub(url.clone(), subdir),
            Self::Other { written, .. } => written.clone(),
        }
    }

    /// The source as messages show it: without credentials or query values other than
    /// `ref` (a URL may carry a token).
    pub fn display(&self) -> String {
        display_source(&self.normalized())
    }

    /// What kind of place the source is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Local(_) => "a local directory",
            Self::Registry { .. } => "a registry module",
            Self::Git { .. } => "a Git repository",
            Self::Http { .. } => "an HTTP archive",
            Self::Other { kind, .. } => kind,
        }
    }
}

/// A source as messages show it, quoted: as written, without credentials or query values
/// other than `ref` (a URL may carry a token).
pub fn display_source(source: &str) -> String {
    let (prefix, rest) = match source.split_once("::") {
        Some((p, r)) if !p.contains('/') => (format!("{p}::"), r),
        _ => (String::new(), source),
    };
    match Url::parse(rest) {
        Ok(u) if u.has_host() => {
            let mut shown = u.clone();
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            let q: Vec<String> = u
                .query_pairs()
                .map(|(k, v)| {
                    if k == "ref" {
                        format!("{k}={v}")
                    } else {
                        format!("{k}=…")
                    }
                })
                .collect();
            shown.set_query((!q.is_empty()).then(|| q.join("&")).as_deref());
            format!("{:?}", format!("{prefix}{shown}"))
        }
        _ => format!("{:?}", source.split('?').next().unwrap_or(source)),
    }
}

/// `source//sub` → (`source`, `sub`): the `//` of a scheme is not a subdirectory, and a query
/// after the subdirectory belongs to the source (`repo.git//sub?ref=v1` → `repo.git?ref=v1`,
/// `sub`).
fn split_subdir(source: &str) -> (String, Option<String>) {
    let start = source.find("://").map_or(0, |i| i + 3);
    let Some(i) = source[start..].find("//") else {
        return (source.to_string(), None);
    };
    let (addr, sub) = (&source[..start + i], &source[start + i + 2..]);
    match sub.split_once('?') {
        Some((s, q)) if !addr.contains('?') => (format!("{addr}?{q}"), Some(s.to_string())),
        _ => (addr.to_string(), Some(sub.to_string())),
    }
}

fn is_identifier(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= max
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// `[host/]namespace/name/provider`, as the registry address syntax has it.
fn parse_registry(addr: &str, subdir: Option<String>) -> Option<SourceAddr> {
    if addr.contains("::") || addr.contains("://") || addr.contains('?') {
        return None;
    }
    let parts: Vec<&str> = addr.split('/').collect();
    let (host, rest) = match parts.len() {
        3 => (None, &parts[..]),
        4 => {
            let h = parts[0];
            let lower = h.to_ascii_lowercase();
            let valid = (h.contains('.') || h.contains(':') || lower == "localhost")
                && h.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b".-:".contains(&c))
                && lower != "github.com"
                && lower != "bitbucket.org";
            if !valid {
                return None;
            }
            (Some(h.to_string()), &parts[1..])
        }
        _ => return None,
    };
    let (namespace, name, provider) = (rest[0], rest[1], rest[2]);
    if !is_identifier(namespace, 64)
        || !is_identifier(name, 64)
        || provider.is_empty()
        || provider.len() > 64
        || !provider
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return None;
    }
    Some(SourceAddr::Registry {
        host,
        namespace: namespace.to_string(),
        name: name.to_string(),
        provider: provider.to_string(),
        subdir,
    })
}

/// How downloads are made.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Where packages and resolutions are kept.
    pub cache_dir: PathBuf,
    /// The time one module's download may take, from discovery to the unpacked archive.
    pub timeout: Duration,
    /// Plain HTTP to loopback addresses ([`LOOPBACK_HTTP_ENV`]; tests only).
    pub allow_loopback_http: bool,
    /// GitHub's archive host (a loopback stand-in in tests: [`GITHUB_ARCHIVES_ENV`]).
    pub github_archives: String,
    /// Bytes of one API response (discovery, versions, download location).
    pub max_response_bytes: u64,
    /// Bytes of one downloaded archive.
    pub max_archive_bytes: u64,
    /// Bytes of one unpacked module, in all.
    pub max_unpacked_bytes: u64,
    /// Bytes of one file of a module.
    pub max_file_bytes: u64,
    /// Entries of one archive.
    pub max_entries: usize,
    /// Modules one run downloads at most (a repository is untrusted: its calls must not
    /// make the scan unbounded).
    pub max_downloads: usize,
    /// Bytes one run downloads at most, in all.
    pub max_total_bytes: u64,
    /// Time all the downloads of one run may take, in all.
    pub total_timeout: Duration,
}

impl FetchOptions {
    pub fn new(cache_dir: PathBuf, timeout: Duration) -> Self {
        let allow_loopback_http = std::env::var(LOOPBACK_HTTP_ENV).is_ok_and(|v| v == "1");
        let github_archives = std::env::var(GITHUB_ARCHIVES_ENV)
            .ok()
            .filter(|_| allow_loopback_http)
            .filter(|v| {
                Url::parse(v)
                    .ok()
                    .and_then(|u| u.host_str().map(is_loopback_host))
                    .unwrap_or(false)
            })
            .unwrap_or_else(|| GITHUB_ARCHIVES.to_string());
        Self {
            cache_dir,
            timeout,
            allow_loopback_http,
            github_archives,
            max_response_bytes: 4 << 20,
            max_archive_bytes: 64 << 20,
            max_unpacked_bytes: 256 << 20,
            max_file_bytes: 16 << 20,
            max_entries: 20_000,
            max_downloads: 200,
            max_total_bytes: 1 << 30,
            total_timeout: timeout.saturating_mul(10).max(Duration::from_secs(600)),
        }
    }

    /// The default cache directory: `$XDG_CACHE_HOME/plumbline/modules`, else
    /// `~/.cache/plumbline/modules` (`%LOCALAPPDATA%` on Windows).
    pub fn default_cache_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("plumbline").join("modules"))
    }
}

/// One module call to download.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleRequest {
    pub source: String,
    /// The call's `version` constraint (registry modules).
    pub version: Option<String>,
}

/// A downloaded module: its package on disk and the module's directory in it.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The unpacked package (read-only once stored).
    pub root: PathBuf,
    /// The module's directory within the package (`""`: its top).
    pub subdir: String,
    /// How reports name the package: `namespace/name/provider@1.2.0`, `host/path`.
    pub label: String,
}

/// Why a module was not downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The source is of a kind plumbline does not download (deliberately not processed),
    /// rather than a download that failed.
    pub unsupported: bool,
    /// A sentence that names no secret.
    pub message: String,
}

impl FetchError {
    fn unsupported(message: String) -> Self {
        Self {
            unsupported: true,
            message,
        }
    }
}

impl From<String> for FetchError {
    fn from(message: String) -> Self {
        Self {
            unsupported: false,
            message,
        }
    }
}

impl From<&str> for FetchError {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Downloads modules for the scans of one run, each at most once.
#[derive(Debug)]
pub struct Fetcher {
    opts: FetchOptions,
    done: Mutex<HashMap<ModuleRequest, Result<Fetched, FetchError>>>,
    requests: AtomicUsize,
    /// What this run has spent: downloads started, bytes received, and when the first began.
    spent: Mutex<Spent>,
}

#[derive(Debug, Default)]
struct Spent {
    downloads: usize,
    bytes: u64,
    since: Option<Instant>,
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Self {
        Self {
            opts,
            done: Mutex::default(),
            requests: AtomicUsize::new(0),
            spent: Mutex::default(),
        }
    }

    /// Starts one download within the run's budget: its deadline, or why there is none left.
    fn start_download(&self) -> Result<Instant, FetchError> {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let since = *spent.since.get_or_insert(now);
        let run_deadline = since + self.opts.total_timeout;
        let limit = |what: String| {
            FetchError::from(format!(
                "{what}, the limit for one run, so it was not downloaded; run `terraform init` \
                 and scan the working tree for the rest"
            ))
        };
        if spent.downloads >= self.opts.max_downloads {
            return Err(limit(format!(
                "this scan already downloaded {} modules",
                self.opts.max_downloads
            )));
        }
        if spent.bytes >= self.opts.max_total_bytes {
            return Err(limit(format!(
                "this scan already downloaded {} bytes of modules",
                self.opts.max_total_bytes
            )));
        }
        if now >= run_deadline {
            return Err(limit(format!(
                "this scan's module downloads already took {} seconds",
                self.opts.total_timeout.as_secs()
            )));
        }
        spent.downloads += 1;
        Ok((now + self.opts.timeout).min(run_deadline))
    }

    /// Counts bytes received against the run's budget.
    fn count_bytes(&self, n: usize) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        spent.bytes = spent.bytes.saturating_add(n as u64);
    }

    /// HTTP requests made so far (tests check that the cache spares them).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// The module of `req`, from the cache or downloaded; an error says why not, in a
    /// sentence that names no secret.
    pub fn fetch(&self, req: &ModuleRequest) -> Result<Fetched, FetchError> {
        // One download per request at a time: the lock is held while fetching, which
        // serialises downloads (they are few, and the cache makes each happen once).
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = done.get(req) {
            return r.clone();
        }
        let result = self.fetch_uncached(req);
        done.insert(req.clone(), result.clone());
        result
    }

    fn fetch_uncached(&self, req: &ModuleRequest) -> Result<Fetched, FetchError> {
        let addr = SourceAddr::parse(&req.source);
        if req.version.is_some() && !matches!(addr, SourceAddr::Registry { .. }) {
            return Err(format!(
                "a version constraint applies only to registry modules, and {} is {}; put \
                 the version in the source (a Git ref, an archive URL) and remove `version`",
                addr.display(),
                addr.kind()
            )
            .into());
        }
        match &addr {
            SourceAddr::Registry { .. } | SourceAddr::Http { .. } => {}
            SourceAddr::Git { url, .. } if github_repo(url).is_some() => {}
            other => {
                return Err(FetchError::unsupported(format!(
                    "{} is {}, which plumbline does not download (registry modules, HTTPS \
                     archives and GitHub repositories only); run `terraform init` and scan the \
                     working tree",
                    other.display(),
                    other.kind()
                )))
            }
        }
        let record_path = self.record_path(&addr, req.version.as_deref());
        if let Some(found) = self.cached(&record_path) {
            return Ok(found);
        }
        let deadline = self.start_download()?;
        let (package, label, subdir) =
            self.run(async { self.download(&addr, req, deadline).await })?;
        let record = serde_json::json!({
            "source": addr.normalized(),
            "version_constraint": req.version,
            "label": label,
            "package": package,
            "subdir": subdir,
        });
        write_atomic(&record_path, record.to_string().as_bytes()).map_err(|e| {
            format!(
                "cannot write the module cache at {}: {e}",
                self.opts.cache_dir.display()
            )
        })?;
        Ok(Fetched {
            root: self.package_dir(&package),
            subdir,
            label,
        })
    }

    /// Runs the download on a fresh single-threaded runtime on its own thread (the caller
    /// may be a worker of another pool, or inside another runtime).
    fn run<T: Send>(
        &self,
        fut: impl std::future::Future<Output = Result<T, FetchError>> + Send,
    ) -> Result<T, FetchError> {
        std::thread::scope(|s| {
            s.spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| FetchError::from(format!("could not start the download: {e}")))?;
                rt.block_on(fut)
            })
            .join()
            .unwrap_or_else(|_| Err("the download stopped unexpectedly".into()))
        })
    }

    fn record_path(&self, addr: &SourceAddr, constraint: Option<&str>) -> PathBuf {
        let mut h = Sha256::new();
        h.update(b"plumbline-module-v1\0");
        h.update(addr.normalized().as_bytes());
        h.update([0]);
        h.update(constraint.unwrap_or("").trim().as_bytes());
        let key = hex(&h.finalize()[..16]);
        self.opts
            .cache_dir
            .join("resolved")
            .join(format!("{key}.json"))
    }

    fn package_dir(&self, package: &str) -> PathBuf {
        self.opts.cache_dir.join("packages").join(package)
    }

    /// A resolution kept by an earlier run, when its package is still there.
    fn cached(&self, record_path: &Path) -> Option<Fetched> {
        let text = std::fs::read_to_string(record_path).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let package = v.get("package")?.as_str()?;
        if package.len() != 64 || !package.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let root = self.package_dir(package);
        if !root.is_dir() {
            return None;
        }
        Some(Fetched {
            root,
            subdir: v.get("subdir")?.as_str()?.to_string(),
            label: v.get("label")?.as_str()?.to_string(),
        })
    }

    /// Resolves and downloads: the package's hash, its label and the module's subdirectory.
    async fn download(
        &self,
        addr: &SourceAddr,
        req: &ModuleRequest,
        deadline: Instant,
    ) -> Result<(String, String, String), FetchError> {
        let http = http::Http::new(self.opts.allow_loopback_http)?;
        match addr {
            SourceAddr::Registry {
                host,
                namespace,
                name,
                provider,
                subdir,
            } => {
                let host_name = host.as_deref().unwrap_or(DEFAULT_REGISTRY);
                let (version, location) = self
                    .registry_location(&http, host_name, [namespace, name, provider], req, deadline)
                    .await?;
                let written = match host {
                    Some(h) => format!("{h}/{namespace}/{name}/{provider}"),
                    None => format!("{namespace}/{name}/{provider}"),
                };
                let label = format!("{written}@{version}");
                let (package, inner) = self.fetch_location(&http, &location, deadline, 0).await?;
                let sub = join_subdirs(&inner, subdir.as_deref());
                Ok((package, label, sub))
            }
            SourceAddr::Http { url, subdir } => {
                let u =
                    Url::parse(url).map_err(|e| format!("{}: not a URL: {e}", addr.display()))?;
                let label = format!("{}{}", u.host_str().unwrap_or(""), u.path());
                let (package, inner) = self.fetch_location(&http, &u, deadline, 0).await?;
                Ok((package, label, join_subdirs(&inner, subdir.as_deref())))
            }
            SourceAddr::Git { url, subdir } => {
                let (package, label) = self.fetch_github(&http, url, deadline).await?;
                Ok((package, label, subdir.clone().unwrap_or_default()))
            }
            _ => Err(format!("{} is not downloaded", addr.display()).into()),
        }
    }

    async fn get(
        &self,
        http: &http::Http,
        url: &Url,
        headers: &[(&str, String)],
        limit: u64,
        deadline: Instant,
    ) -> Result<http::Response, String> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = http.get(url, headers, limit, deadline).await?;
        self.count_bytes(resp.body.len());
        Ok(resp)
    }

    /// Service discovery, the version list, the selected version's download location.
    async fn registry_location(
        &self,
        http: &http::Http,
        host: &str,
        [namespace, name, provider]: [&String; 3],
        req: &ModuleRequest,
        deadline: Instant,
    ) -> Result<(String, Url), String> {
        let scheme = if self.opts.allow_loopback_http && is_loopback_host(host) {
            "http"
        } else {
            "https"
        };
        let base = Url::parse(&format!("{scheme}://{host}/"))
            .map_err(|e| format!("{host:?} is not a registry host name: {e}"))?;
        let token = token_for(host);
        let limit = self.opts.max_response_bytes;
        let discovery = base
            .join(".well-known/terraform.json")
            .expect("static path");
        let resp = self.get(http, &discovery, &[], limit, deadline).await?;
        if resp.status != 200 {
            return Err(format!(
                "the registry at {host} answered {} to service discovery; is it a Terraform \
                 module registry?",
                resp.status
            ));
        }
        let services: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|e| {
            format!("the registry at {host} sent service discovery that is not JSON: {e}")
        })?;
        let modules = services
            .get("modules.v1")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("the registry at {host} offers no modules (no modules.v1 in its service discovery)"))?;
        let mut api = resp
            .url
            .join(modules)
            .map_err(|e| format!("the registry at {host} gave a bad modules.v1 address: {e}"))?;
        if !api.path().ends_with('/') {
            api.set_path(&format!("{}/", api.path()));
        }
        // The host's token goes only to the host itself: service discovery may name an API
        // elsewhere, which gets none.
        let auth = match &token {
            Some(t) if authority(&api) == authority(&base) => {
                vec![("authorization", format!("Bearer {t}"))]
            }
            _ => Vec::new(),
        };
        let module_path = format!("{namespace}/{name}/{provider}/");
        let versions_url = api
            .join(&format!("{module_path}versions"))
            .map_err(|e| format!("bad module address: {e}"))?;
        let resp = self
            .get(http, &versions_url, &auth, limit, deadline)
            .await?;
        match resp.status {
            200 => {}
            404 => {
                return Err(format!(
                    "the registry at {host} has no module {namespace}/{name}/{provider}; check \
                     the source"
                ))
            }
            401 | 403 => {
                return Err(format!(
                    "the registry at {host} refused access ({}); set its token in \
                     TF_TOKEN_{} as for terraform",
                    resp.status,
                    token_var_suffix(host)
                ))
            }
            s => {
                return Err(format!(
                    "the registry at {host} answered {s} to the version list"
                ))
            }
        }
        let list: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|e| {
            format!("the registry at {host} sent a version list that is not JSON: {e}")
        })?;
        let available: Vec<version::Version> = list
            .pointer("/modules/0/versions")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.get("version")?.as_str())
                    .filter_map(version::Version::parse)
                    .collect()
            })
            .unwrap_or_default();
        let constraints = match &req.version {
            Some(c) => Some(version::Constraints::parse(c)?),
            None => None,
        };
        let chosen =
            version::newest(&available, constraints.as_ref()).ok_or_else(|| {
                let mut all: Vec<&version::Version> = available.iter().collect();
                all.sort();
                let listed: Vec<&str> = all.iter().rev().take(10).map(|v| v.as_str()).collect();
                format!(
                "no version of {namespace}/{name}/{provider} matches {} (the registry has {}); \
                 change the version constraint",
                req.version.as_deref().map_or("any release".to_string(), |c| format!("{c:?}")),
                if listed.is_empty() { "none".to_string() } else { listed.join(", ") }
            )
            })?;
        let version = chosen.as_str().trim_start_matches('v').to_string();
        let download_url = api
            .join(&format!("{module_path}{}/download", chosen.as_str()))
            .map_err(|e| format!("bad module address: {e}"))?;
        let resp = self
            .get(http, &download_url, &auth, limit, deadline)
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(format!(
                "the registry at {host} answered {} to the download of {version}",
                resp.status
            ));
        }
        let location = resp
            .headers
            .get("x-terraform-get")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&resp.body)
                    .ok()?
                    .get("location")?
                    .as_str()
                    .map(str::to_string)
            })
            .ok_or_else(|| {
                format!(
                    "the registry at {host} gave no download location for {version} (no \
                     X-Terraform-Get header, no JSON location)"
                )
            })?;
        let url = resolve_location(&resp.url, &location)?;
        Ok((version, url))
    }

    /// Fetches a download location: an archive (stored, its hash returned with the
    /// subdirectory the location names), a GitHub repository, or a page that names the
    /// location in `X-Terraform-Get`.
    async fn fetch_location(
        &self,
        http: &http::Http,
        location: &Url,
        deadline: Instant,
        depth: usize,
    ) -> Result<(String, String), FetchError> {
        // A location may be written as a module address: `git::…`, `…//subdir`.
        let text = location.as_str();
        if let Some(git) = text.strip_prefix("git::") {
            let (url, subdir) = split_subdir(git);
            let (package, _) = self.fetch_github(http, &url, deadline).await?;
            return Ok((package, subdir.unwrap_or_default()));
        }
        let (mut url, subdir) = split_url_subdir(location);
        // `?archive=tar.gz` says what the download is; it is not sent.
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "archive")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if url.query_pairs().any(|(k, _)| k == "archive") {
            if pairs.is_empty() {
                url.set_query(None);
            } else {
                url.query_pairs_mut().clear().extend_pairs(pairs);
            }
        }
        let resp = self
            .get(http, &url, &[], self.opts.max_archive_bytes, deadline)
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(format!("{} answered {}", http::redact(&url), resp.status).into());
        }
        if archive::kind_of(&resp.body) == archive::Kind::Unknown {
            if let Some(next) = resp
                .headers
                .get("x-terraform-get")
                .and_then(|v| v.to_str().ok())
            {
                if depth >= 3 {
                    return Err("download locations refer to each other more than 3 times".into());
                }
                let next = resolve_location(&resp.url, next)?;
                let (package, inner) =
                    Box::pin(self.fetch_location(http, &next, deadline, depth + 1)).await?;
                return Ok((package, join_subdirs(&inner, subdir.as_deref())));
            }
        }
        let package = self.store(&resp.body, 0)?;
        Ok((package, subdir.unwrap_or_default()))
    }

    /// A GitHub repository at a ref, as GitHub's archive of it (one top directory, dropped).
    async fn fetch_github(
        &self,
        http: &http::Http,
        git_url: &str,
        deadline: Instant,
    ) -> Result<(String, String), FetchError> {
        let Some((owner, repo, reference)) = github_repo(git_url) else {
            return Err(FetchError::unsupported(format!(
                "\"git::{}\" is a Git repository outside GitHub, which plumbline does not \
                 download; run `terraform init` and scan the working tree",
                redact_text(git_url)
            )));
        };
        let reference = reference.unwrap_or_else(|| "HEAD".to_string());
        let url = Url::parse(&format!(
            "{}/{owner}/{repo}/tar.gz/{reference}",
            self.opts.github_archives.trim_end_matches('/')
        ))
        .map_err(|e| format!("bad GitHub address: {e}"))?;
        let resp = self
            .get(http, &url, &[], self.opts.max_archive_bytes, deadline)
            .await?;
        if resp.status != 200 {
            return Err(format!(
                "GitHub answered {} for {owner}/{repo} at {reference:?} (a private repository \
                 is not downloaded: run `terraform init` and scan the working tree)",
                resp.status
            )
            .into());
        }
        let package = self.store(&resp.body, 1)?;
        Ok((package, format!("github.com/{owner}/{repo}@{reference}")))
    }

    /// Unpacks an archive into the cache under the SHA-256 of its bytes (once: an existing
    /// package is kept); returns the hash.
    fn store(&self, bytes: &[u8], strip: usize) -> Result<String, FetchError> {
        if archive::kind_of(bytes) == archive::Kind::Zip {
            return Err(FetchError::unsupported(
                "the download is a zip archive, which plumbline does not unpack; run \
                 `terraform init` and scan the working tree"
                    .to_string(),
            ));
        }
        let hash = hex(&Sha256::digest(bytes));
        let dest = self.package_dir(&hash);
        if dest.is_dir() {
            return Ok(hash);
        }
        let parent = dest.parent().expect("packages directory");
        std::fs::create_dir_all(parent).map_err(|e| {
            format!(
                "cannot create the module cache at {}: {e}",
                parent.display()
            )
        })?;
        let temp = tempfile::Builder::new()
            .prefix(".unpacking-")
            .tempdir_in(parent)
            .map_err(|e| format!("cannot write the module cache at {}: {e}", parent.display()))?;
        archive::unpack(
            bytes,
            temp.path(),
            strip,
            archive::Limits {
                max_entries: self.opts.max_entries,
                max_file_bytes: self.opts.max_file_bytes,
                max_total_bytes: self.opts.max_unpacked_bytes,
            },
        )?;
        let kept = temp.keep();
        if let Err(e) = std::fs::rename(&kept, &dest) {
            let _ = std::fs::remove_dir_all(&kept);
            // Another process stored the same package meanwhile: that one is as good.
            if !dest.is_dir() {
                return Err(format!("cannot write the module cache: {e}").into());
            }
        }
        Ok(hash)
    }
}

/// `(owner, repo, ref)` of a GitHub HTTPS Git URL.
fn github_repo(git_url: &str) -> Option<(String, String, Option<String>)> {
    let u = Url::parse(git_url).ok()?;
    if u.scheme() != "https" || u.host_str()? != "github.com" {
        return None;
    }
    let mut parts = u.path().trim_start_matches('/').split('/');
    let owner = parts.next().filter(|s| !s.is_empty())?.to_string();
    let repo = parts.next()?.trim_end_matches(".git").to_string();
    if repo.is_empty() || parts.next().is_some_and(|p| !p.is_empty()) {
        return None;
    }
    let reference = u
        .query_pairs()
        .find(|(k, _)| k == "ref")
        .map(|(_, v)| v.into_owned());
    Some((owner, repo, reference))
}

/// A location relative to the URL it came from (a registry may answer `./archive.tgz`).
fn resolve_location(base: &Url, location: &str) -> Result<Url, String> {
    if location.starts_with("git::") {
        // Kept whole: `Url` parses `git::https://…` as the scheme `git`.
        return Url::parse(location).map_err(|e| format!("bad download location: {e}"));
    }
    base.join(location)
        .map_err(|e| format!("the download location is not a URL: {e}"))
}

/// `https://host/a.tgz//sub?x` → (`https://host/a.tgz?x`, `sub`).
fn split_url_subdir(url: &Url) -> (Url, Option<String>) {
    let path = url.path().to_string();
    match path.get(1..).and_then(|p| p.find("//")) {
        Some(i) => {
            let mut u = url.clone();
            u.set_path(&path[..i + 1]);
            (u, Some(path[i + 3..].to_string()))
        }
        None => (url.clone(), None),
    }
}

fn join_subdirs(a: &str, b: Option<&str>) -> String {
    let parts: Vec<&str> = a
        .split('/')
        .chain(b.unwrap_or("").split('/'))
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    parts.join("/")
}

fn is_loopback_host(host: &str) -> bool {
    // `host`, `host:port`, `v6`, `[v6]`, `[v6]:port`.
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.split(':').next().unwrap_or(host),
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host[:port]` of a URL, lowercase.
fn authority(u: &Url) -> String {
    let host = u.host_str().unwrap_or("").to_ascii_lowercase();
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// `TF_TOKEN_<host>` as Terraform names it: dots as `_`, hyphens as `__`.
fn token_var_suffix(host: &str) -> String {
    host.replace('-', "__").replace('.', "_")
}

/// The token for a registry host from `TF_TOKEN_<host>`, as terraform reads it.
fn token_for(host: &str) -> Option<String> {
    std::env::var(format!("TF_TOKEN_{}", token_var_suffix(host)))
        .ok()
        .filter(|t| !t.is_empty())
}

/// A URL in a message, without credentials or query values.
fn redact_text(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => http::redact(&u),
        Err(_) => url.split('?').next().unwrap_or(url).to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests;
