//! A moto server (AWS API emulator) for the AWS tests, its request recorder, and a small
//! proxy in front of it that answers chosen actions with throttling errors.
//!
//! Include it with `#[path = "common/moto.rs"] mod moto;`. CI installs `moto[server]`; when
//! `moto_server` is missing the tests fail and say how to install it (never skipped).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// The region the tests create resources in and read.
pub const REGION: &str = "us-east-1";

/// A runtime for the SDK calls that create resources.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The SDK configuration the tests create resources with (the emulator at `url`).
pub async fn sdk(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(url)
        .load()
        .await
}

/// An S3 client for the emulator (path-style addressing).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// The static test credentials and no shared config files, set once per test process before
/// any SDK call (every test starts a server first).
fn test_environment() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let none = std::env::temp_dir().join("plumbline-no-aws-config");
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", none.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", none.to_str().unwrap()),
        ] {
            std::env::set_var(k, v);
        }
        for k in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
        ] {
            std::env::remove_var(k);
        }
    });
}

/// One moto server on a free 127.0.0.1 port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    recording: tempfile::TempDir,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p <free port>` and waits until it answers.
    pub fn start() -> Moto {
        test_environment();
        let port = free_port();
        let recording = tempfile::tempdir().expect("a temporary directory");
        // `moto_server` when it is on PATH, else the module through `python3 -m` (a pip
        // install whose scripts directory is not on PATH).
        let spawn = |program: &str, prefix: &[&str]| {
            Command::new(program)
                .args(prefix)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env(
                    "MOTO_RECORDER_FILEPATH",
                    recording.path().join("requests.jsonl"),
                )
                .current_dir(recording.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        };
        let child = spawn("moto_server", &[])
            .or_else(|_| spawn("python3", &["-m", "moto.server"]))
            .unwrap_or_else(|e| {
                panic!(
                    "could not start `moto_server` nor `python3 -m moto.server` ({e}): the AWS \
                     tests need the moto emulator. Install it with `pip install 'moto[server]'`"
                )
            });
        let moto = Moto {
            child,
            port,
            url: format!("http://127.0.0.1:{port}"),
            recording,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = http(port, "GET", "/moto-api/data.json", "") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server on port {port} did not answer within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto.reset();
        moto
    }

    /// Forgets every resource (`/moto-api/reset`).
    pub fn reset(&self) {
        let (status, body) = http(self.port, "POST", "/moto-api/reset", "").expect("moto reset");
        assert_eq!(status, 200, "moto reset: {body}");
    }

    /// Starts recording every request (`/moto-api/recorder/start-recording`), after clearing
    /// what was recorded before.
    pub fn start_recording(&self) {
        for path in [
            "/moto-api/recorder/reset-recording",
            "/moto-api/recorder/start-recording",
        ] {
            let (status, body) = http(self.port, "POST", path, "").expect("moto recorder");
            assert_eq!(status, 200, "{path}: {body}");
        }
    }

    /// The requests recorded since [`Moto::start_recording`].
    pub fn recording(&self) -> Vec<Recorded> {
        let (status, body) = http(
            self.port,
            "GET",
            "/moto-api/recorder/download-recording",
            "",
        )
        .expect("moto recorder");
        assert_eq!(status, 200, "download-recording: {body}");
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(Recorded::parse)
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One recorded request: its service (from the signature's credential scope) and action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub service: String,
    pub method: String,
    pub url: String,
    /// Query/JSON protocols: the action name. REST protocols (S3, Lambda): `METHOD path`.
    pub action: String,
}

impl Recorded {
    fn parse(line: &str) -> Recorded {
        let v: serde_json::Value = serde_json::from_str(line).expect("a recorded request");
        let headers: BTreeMap<String, String> = v["headers"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let mut body = v["body"].as_str().unwrap_or("").to_string();
        if v["body_encoded"].as_bool() == Some(true) {
            use base64::Engine;
            body = base64::engine::general_purpose::STANDARD
                .decode(&body)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
        }
        let method = v["method"].as_str().unwrap_or("").to_string();
        let url = v["url"].as_str().unwrap_or("").to_string();
        let path = url
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_else(|| "/".to_string());
        let service = service_of(headers.get("authorization").map(String::as_str));
        let action = action_of(&method, &path, &headers, &body);
        Recorded {
            service,
            method,
            url,
            action,
        }
    }

    /// Is this a read: a List/Get/Describe action, or a GET/HEAD of a REST API?
    pub fn is_read(&self) -> bool {
        if self.action.starts_with("GET ") || self.action.starts_with("HEAD ") {
            return true;
        }
        ["List", "Get", "Describe"]
            .iter()
            .any(|p| self.action.starts_with(p))
    }
}

/// The service of a SigV4-signed request: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`.
fn service_of(authorization: Option<&str>) -> String {
    authorization
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("")
        .to_string()
}

/// The action of a request: `Action=` of a query-protocol body, the `X-Amz-Target` of a JSON
/// protocol, else `METHOD path` (REST protocols; `GET /` is S3's ListBuckets).
fn action_of(method: &str, path: &str, headers: &BTreeMap<String, String>, body: &str) -> String {
    if let Some(t) = headers.get("x-amz-target") {
        return t.rsplit('.').next().unwrap_or(t).to_string();
    }
    let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
    for part in body.split('&').chain(query.split('&')) {
        if let Some(a) = part.strip_prefix("Action=") {
            return a.to_string();
        }
    }
    // REST protocols: the path, and the query's sub-resource flags (`?versioning`), not its
    // parameters (`max-buckets=…`).
    let (path, _) = path.split_once('?').unwrap_or((path, ""));
    let flags: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.contains('='))
        .collect();
    if flags.is_empty() {
        format!("{method} {path}")
    } else {
        format!("{method} {path}?{}", flags.join("&"))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A plain HTTP/1.1 request to 127.0.0.1:`port` (no keep-alive): (status, body).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn unchunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A proxy in front of moto that answers the first N requests of chosen actions with the
/// service's throttling error (`400 Throttling`/`ThrottlingException` for query and JSON
/// protocols, EC2's `503 RequestLimitExceeded`, `429 TooManyRequestsException` for Lambda,
/// `503 SlowDown` for S3) and forwards everything else.
///
/// It can also deny chosen actions ([`ThrottleProxy::deny`]), as a missing permission would.
pub struct ThrottleProxy {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    rules: Arc<Mutex<BTreeMap<(String, String), usize>>>,
    denied: Arc<Mutex<BTreeMap<(String, String), usize>>>,
    seen: Arc<Mutex<BTreeMap<(String, String), usize>>>,
}

impl ThrottleProxy {
    pub fn start(moto: &Moto) -> ThrottleProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a proxy port");
        let port = listener.local_addr().unwrap().port();
        let upstream = moto.port;
        let rules: Arc<Counts> = Arc::default();
        let denied: Arc<Counts> = Arc::default();
        let seen: Arc<Counts> = Arc::default();
        let (r, d, s) = (rules.clone(), denied.clone(), seen.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (r, d, s) = (r.clone(), d.clone(), s.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &r, &d, &s);
                });
            }
        });
        ThrottleProxy {
            url: format!("http://127.0.0.1:{port}"),
            rules,
            denied,
            seen,
        }
    }

    /// Throttle the next `n` requests of `service` `action` (see [`Recorded::action`]).
    pub fn throttle(&self, service: &str, action: &str, n: usize) {
        self.rules
            .lock()
            .unwrap()
            .insert((service.to_string(), action.to_string()), n);
    }

    /// Deny the next `n` requests of `service` `action` (`AccessDenied`,
    /// `UnauthorizedOperation` for EC2).
    pub fn deny(&self, service: &str, action: &str, n: usize) {
        self.denied
            .lock()
            .unwrap()
            .insert((service.to_string(), action.to_string()), n);
    }

    /// Requests of `service` `action` that reached the proxy (throttled or forwarded).
    pub fn seen(&self, service: &str, action: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .get(&(service.to_string(), action.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

type Counts = Mutex<BTreeMap<(String, String), usize>>;

/// Serves one client connection, one request at a time, until the client closes it.
fn serve(
    conn: TcpStream,
    upstream: u16,
    rules: &Counts,
    denied: &Counts,
    seen: &Counts,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let (k, v) = (k.trim().to_string(), v.trim().to_string());
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("/").to_string();
        let lower: BTreeMap<String, String> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        let service = service_of(lower.get("authorization").map(String::as_str));
        let action = action_of(&method, &path, &lower, &String::from_utf8_lossy(&body));
        let key = (service.clone(), action);
        *seen.lock().unwrap().entry(key.clone()).or_default() += 1;
        let take = |counts: &Counts| {
            let mut counts = counts.lock().unwrap();
            match counts.get_mut(&key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            }
        };
        let json = lower.contains_key("x-amz-target");
        let response = if take(rules) {
            throttling_response(&service, json)
        } else if take(denied) {
            denied_response(&service, &key.1, json)
        } else {
            forward(upstream, &method, &path, &headers, &body)?
        };
        out.write_all(&response)?;
        out.flush()?;
    }
}

/// The service's own throttling answer.
fn throttling_response(service: &str, json_protocol: bool) -> Vec<u8> {
    let (status, content_type, extra, body) = match service {
        "s3" => (
            "503 Slow Down",
            "application/xml",
            "",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
             <Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>"
                .to_string(),
        ),
        "ec2" => (
            "503 Service Unavailable",
            "text/xml",
            "",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>\
             <Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>\
             </Error></Errors><RequestID>1</RequestID></Response>"
                .to_string(),
        ),
        "lambda" => (
            "429 Too Many Requests",
            "application/json",
            "x-amzn-ErrorType: TooManyRequestsException\r\n",
            r#"{"message":"Rate exceeded","Type":"User","Reason":"CallerRateLimitExceeded"}"#
                .to_string(),
        ),
        _ if json_protocol => (
            "400 Bad Request",
            "application/x-amz-json-1.1",
            "",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        ),
        _ => (
            "400 Bad Request",
            "text/xml",
            "",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
             <Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"
                .to_string(),
        ),
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The service's answer to a caller without the permission.
fn denied_response(service: &str, action: &str, json_protocol: bool) -> Vec<u8> {
    let message = format!(
        "User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: \
         {service}:{action}"
    );
    let (content_type, body) = match service {
        "ec2" => (
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>UnauthorizedOperation</Code>\
                 <Message>{message}</Message></Error></Errors><RequestID>1</RequestID></Response>"
            ),
        ),
        "s3" => (
            "application/xml",
            format!("<Error><Code>AccessDenied</Code><Message>{message}</Message></Error>"),
        ),
        _ if json_protocol => (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"AccessDeniedException","message":"{message}"}}"#),
        ),
        _ => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                 <Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
            ),
        ),
    };
    format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends the request to moto on a fresh connection and returns its whole answer, re-framed
/// with a Content-Length so the client's connection can be kept alive.
fn forward(
    upstream: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", upstream))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("connection") {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("Connection: close\r\n\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut payload = raw.get(split + 4..).unwrap_or_default().to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines
        .next()
        .unwrap_or("HTTP/1.1 502 Bad Gateway")
        .to_string();
    let mut out_head = format!("{status_line}\r\n");
    let mut chunked = false;
    for line in lines {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("transfer-encoding:") {
            chunked = lower.contains("chunked");
            continue;
        }
        let length = lower.starts_with("content-length:") && method != "HEAD";
        if length || lower.starts_with("connection:") {
            continue;
        }
        out_head.push_str(line);
        out_head.push_str("\r\n");
    }
    if chunked {
        payload = unchunk_bytes(&payload);
    }
    // HEAD answers carry the length of the body they do not send.
    if method != "HEAD" {
        out_head.push_str(&format!("Content-Length: {}\r\n", payload.len()));
    }
    out_head.push_str("\r\n");
    let mut out = out_head.into_bytes();
    out.extend(payload);
    Ok(out)
}

fn unchunk_bytes(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&s[..eol]).trim(), 16).unwrap_or(0);
        let start = eol + 2;
        if n == 0 || s.len() < start + n {
            break;
        }
        out.extend_from_slice(&s[start..start + n]);
        s = &s[(start + n + 2).min(s.len())..];
    }
    out
}
