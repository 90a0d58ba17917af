//! GET over HTTPS for module downloads: rustls with the system's roots (the crypto provider
//! kube and the AWS SDK already link), through the proxy `HTTPS_PROXY` names (CONNECT; hosts
//! in `NO_PROXY` go direct), redirects followed by hand so that every hop is checked
//! (HTTPS only; plain HTTP only to a loopback address, and only when the caller allows it —
//! tests do), every body read with a size limit, and every request within the fetch's
//! deadline.

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioExecutor;
use std::time::Instant;
use url::Url;

/// Redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// A response: the status, the headers wanted, the body and the URL it finally came from.
pub struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    pub url: Url,
}

pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    tls: rustls::ClientConfig,
    /// `HTTPS_PROXY`, `NO_PROXY` (and their lowercase forms), as curl reads them.
    proxies: Matcher,
    allow_loopback_http: bool,
}

type Proxied = Client<hyper_rustls::HttpsConnector<Tunnel<HttpConnector>>, Empty<Bytes>>;

impl Http {
    pub fn new(allow_loopback_http: bool) -> Result<Self, String> {
        use hyper_rustls::ConfigBuilderExt;
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_native_roots()
            .map_err(|e| format!("cannot set up TLS (the system's certificate roots): {e}"))?
            .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Self {
            client,
            tls,
            proxies: Matcher::from_env(),
            allow_loopback_http,
        })
    }

    /// A client that reaches `url` through the proxy the environment names for it, if any
    /// (HTTPS only: plain HTTP goes to loopback addresses, directly).
    fn proxied_for(&self, url: &Url) -> Result<Option<Proxied>, String> {
        if url.scheme() != "https" {
            return Ok(None);
        }
        let uri: http::Uri = url
            .as_str()
            .parse()
            .map_err(|e| format!("{}: {e}", redact(url)))?;
        let Some(intercept) = self.proxies.intercept(&uri) else {
            return Ok(None);
        };
        let mut tunnel = Tunnel::new(intercept.uri().clone(), HttpConnector::new());
        if let Some(auth) = intercept.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(self.tls.clone())
            .https_only()
            .enable_http1()
            .wrap_connector(tunnel);
        Ok(Some(Client::builder(TokioExecutor::new()).build(https)))
    }

    /// Whether `url` may be fetched: HTTPS, or HTTP to a loopback address when allowed.
    pub fn check_scheme(&self, url: &Url) -> Result<(), String> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.allow_loopback_http && is_loopback(url) => Ok(()),
            "http" => Err(format!(
                "{} is plain HTTP; modules are downloaded over HTTPS only",
                redact(url)
            )),
            other => Err(format!(
                "{} uses {other}:, which plumbline does not download from",
                redact(url)
            )),
        }
    }

    /// GETs `url` with `headers` (sent to the first host only: a redirect to another host
    /// never carries them), following redirects; the body is read up to `limit` bytes.
    pub async fn get(
        &self,
        url: &Url,
        headers: &[(&str, String)],
        limit: u64,
        deadline: Instant,
    ) -> Result<Response, String> {
        let mut url = url.clone();
        let first_host = url.host_str().map(str::to_string);
        for _ in 0..=MAX_REDIRECTS {
            self.check_scheme(&url)?;
            let mut req = http::Request::get(url.as_str());
            if url.host_str().map(str::to_string) == first_host {
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
            }
            req = req.header(
                "user-agent",
                concat!("plumbline/", env!("CARGO_PKG_VERSION")),
            );
            let req = req
                .body(Empty::<Bytes>::new())
                .map_err(|e| format!("{}: cannot make the request: {e}", redact(&url)))?;
            let left = deadline.saturating_duration_since(Instant::now());
            let sent = match self.proxied_for(&url)? {
                Some(proxied) => proxied.request(req),
                None => self.client.request(req),
            };
            let resp = tokio::time::timeout(left, sent)
                .await
                .map_err(|_| format!("{}: no answer within the time limit", redact(&url)))?
                .map_err(|e| format!("{}: {}", redact(&url), describe_error(&e)))?;
            let status = resp.status().as_u16();
            if (300..400).contains(&status) && status != 304 {
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| format!("{}: redirect without a location", redact(&url)))?;
                url = url
                    .join(location)
                    .map_err(|e| format!("{}: bad redirect: {e}", redact(&url)))?;
                continue;
            }
            let headers = resp.headers().clone();
            let body = Limited::new(resp.into_body(), limit as usize);
            let left = deadline.saturating_duration_since(Instant::now());
            let collected = tokio::time::timeout(left, body.collect())
                .await
                .map_err(|_| {
                    format!(
                        "{}: the download did not finish within the time limit",
                        redact(&url)
                    )
                })?
                .map_err(|e| {
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        format!(
                            "{}: the response is larger than the {limit}-byte limit",
                            redact(&url)
                        )
                    } else {
                        format!("{}: the download failed: {e}", redact(&url))
                    }
                })?;
            return Ok(Response {
                status,
                headers,
                body: collected.to_bytes().to_vec(),
                url,
            });
        }
        Err(format!(
            "{}: more than {MAX_REDIRECTS} redirects",
            redact(&url)
        ))
    }
}

fn describe_error(e: &hyper_util::client::legacy::Error) -> String {
    use std::error::Error;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// A URL as messages may show it: no user or password, and no query values (a download
/// location often carries a signed token there).
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let names: Vec<String> = shown.query_pairs().map(|(k, _)| k.into_owned()).collect();
    if names.is_empty() {
        shown.set_query(None);
    } else {
        let q = names
            .iter()
            .map(|k| format!("{k}=…"))
            .collect::<Vec<_>>()
            .join("&");
        shown.set_query(Some(&q));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_keep_no_secret() {
        let u = Url::parse("https://user:pw@example.com/m.tgz?X-Amz-Signature=abc&archive=tgz")
            .unwrap();
        let shown = redact(&u);
        assert!(!shown.contains("pw") && !shown.contains("abc") && !shown.contains("user"));
        assert!(shown.contains("example.com/m.tgz"), "{shown}");
    }

    #[test]
    fn plain_http_only_to_loopback_when_allowed() {
        let strict = Http::new(false).unwrap();
        let tests = Http::new(true).unwrap();
        let local = Url::parse("http://127.0.0.1:8080/x").unwrap();
        let remote = Url::parse("http://example.com/x").unwrap();
        assert!(strict.check_scheme(&local).is_err());
        assert!(tests.check_scheme(&local).is_ok());
        assert!(tests.check_scheme(&remote).is_err());
        assert!(strict
            .check_scheme(&Url::parse("https://example.com/x").unwrap())
            .is_ok());
        assert!(strict
            .check_scheme(&Url::parse("file:///etc/passwd").unwrap())
            .is_err());
    }
}
