//! Credential sources against real files and loopback servers: the profile file, the ECS
//! metadata service, IAM password tokens, the cache's refresh, and the default chain.
//!
//! No test contacts 169.254.169.254: every metadata provider here is pointed at a server
//! started by the test.

use std::collections::HashMap;
use std::error::Error as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use huaweicloud_osm::credentials::{
    ChainProvider, Clock, Credentials, CredentialsError, CredentialsErrorKind, CredentialsProvider,
    DEFAULT_METADATA_ENDPOINT, EcsMetadataProvider, IamPasswordProvider, MAX_METADATA_BODY,
    ProfileProvider,
};

// ---------------------------------------------------------------------------------------
// Helpers: secrets, clocks, a scripted loopback server.

const SK: &str = "SECRET-MARKER-sk-0001";
const ST: &str = "SECRET-MARKER-st-0002";
const SESSION: &str = "SECRET-MARKER-session";
const PASSWORD: &str = "SECRET-MARKER-password-0003";
const IAM_TOKEN: &str = "SECRET-MARKER-iam-token";

/// 2027-01-15T08:00:00Z.
const T0: u64 = 1_800_000_000;

fn at(secs_after_t0: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs_after_t0)
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    fn new(t: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }
    fn set(&self, t: SystemTime) {
        *self.0.lock().unwrap() = t;
    }
    fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || *me.0.lock().unwrap())
    }
}

/// Every form in which a secret could slip out: as is, hex, base64.
fn encodings(secret: &str) -> Vec<String> {
    let b = secret.as_bytes();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    vec![
        secret.to_owned(),
        hex.clone(),
        hex.to_uppercase(),
        base64::engine::general_purpose::STANDARD.encode(b),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(b),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b),
    ]
}

fn assert_hidden(text: &str, secrets: &[&str]) {
    assert!(!text.contains("SECRET-MARKER"), "a secret marker in {text}");
    for s in secrets {
        for form in encodings(s) {
            assert!(!text.contains(&form), "{s:?} (as {form:?}) in {text}");
        }
    }
}

/// Display, Debug and pretty Debug of an error and of every error in its source chain.
fn error_texts(e: &CredentialsError) -> Vec<String> {
    let mut texts = vec![e.to_string(), format!("{e:?}"), format!("{e:#?}")];
    let mut source = e.source();
    while let Some(s) = source {
        texts.push(s.to_string());
        texts.push(format!("{s:?}"));
        source = s.source();
    }
    texts
}

fn assert_error_hidden(e: &CredentialsError, secrets: &[&str]) {
    for text in error_texts(e) {
        assert_hidden(&text, secrets);
    }
}

#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Reply {
    fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    fn json(status: u16, body: serde_json::Value) -> Self {
        Self::new(status, body.to_string()).header("content-type", "application/json")
    }
    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct ServerState {
    seen: Mutex<Vec<Seen>>,
    /// Replies per "METHOD /path", in turn; the last one repeats.
    script: Mutex<HashMap<String, Vec<Reply>>>,
    /// Every answer waits for a permit, so a test can hold answers back.
    gate: tokio::sync::Semaphore,
}

struct Server {
    url: String,
    state: Arc<ServerState>,
}

impl Server {
    async fn start(script: Vec<(&str, Vec<Reply>)>) -> Server {
        Self::start_with_gate(script, tokio::sync::Semaphore::MAX_PERMITS).await
    }

    async fn start_with_gate(script: Vec<(&str, Vec<Reply>)>, permits: usize) -> Server {
        let state = Arc::new(ServerState {
            seen: Mutex::default(),
            script: Mutex::new(script.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
            gate: tokio::sync::Semaphore::new(permits),
        });
        let app = axum::Router::new()
            .fallback(handler)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { url, state }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn count(&self, method: &str, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method.as_str() == method && s.uri.path() == path)
            .count()
    }

    /// Lets up to `n` more answers out of a gated server.
    fn release(&self, n: usize) {
        self.state.gate.add_permits(n);
    }

    /// Holds back every answer from now on.
    fn hold(&self) {
        self.state.gate.forget_permits(usize::MAX);
    }
}

async fn handler(
    axum::extract::State(state): axum::extract::State<Arc<ServerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = format!("{} {}", method, uri.path());
    state.seen.lock().unwrap().push(Seen {
        method,
        uri,
        headers,
        body,
    });
    // Each answer uses up a permit.
    state.gate.acquire().await.unwrap().forget();
    let reply = {
        let mut script = state.script.lock().unwrap();
        match script.get_mut(&key) {
            Some(replies) if replies.len() > 1 => replies.remove(0),
            Some(replies) => replies[0].clone(),
            None => Reply::new(404, format!("no route {key}")),
        }
    };
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// A long timeout: the machine is slow, and success must not depend on speed.
const PATIENT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Profile file.

fn write_profile(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("credentials");
    std::fs::write(&path, text).unwrap();
    path
}

const FULL_PROFILE: &str = "\
# the vendor's profile file
[basic]
ak = AKREGIONAL000000000
sk = regional-secret

[global]
AK = AKGLOBAL00000000000
sk = SECRET-MARKER-sk-0001
security_token = SECRET-MARKER-st-0002
domain_id = domain-0042
iam_endpoint = https://iam.example.test
";

#[test]
fn profile_global_section_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), FULL_PROFILE);
    let profile = ProfileProvider::with_path(&path).load().unwrap();
    let c = profile.credentials();
    assert_eq!(c.access_key(), Some("AKGLOBAL00000000000"));
    assert_eq!(c.secrets(), [SK, ST]);
    assert_eq!(c.domain_id(), Some("domain-0042"));
    assert_eq!(c.expires_at(), None);
    assert_eq!(profile.iam_endpoint(), Some("https://iam.example.test"));
    assert_eq!(profile.path(), path);
    for text in [
        format!("{profile:?}"),
        format!("{c}"),
        format!("{:?}", ProfileProvider::with_path(&path)),
    ] {
        assert_hidden(&text, &[SK, ST]);
    }
}

#[test]
fn profile_path_comes_from_the_variable_then_the_home_directory() {
    let dir = tempfile::tempdir().unwrap();
    let named = write_profile(dir.path(), FULL_PROFILE);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".huaweicloud")).unwrap();
    std::fs::write(
        home.path().join(".huaweicloud").join("credentials"),
        "[global]\nak = AKHOME\nsk = home-secret\n",
    )
    .unwrap();

    let by_home = ProfileProvider::from_lookup(|_| None, Some(home.path().to_owned()))
        .load()
        .unwrap();
    assert_eq!(by_home.credentials().access_key(), Some("AKHOME"));

    let named_str = named.to_str().unwrap().to_owned();
    let by_var = ProfileProvider::from_lookup(
        move |name| (name == "HUAWEICLOUD_SDK_CREDENTIALS_FILE").then(|| named_str.clone()),
        Some(home.path().to_owned()),
    )
    .load()
    .unwrap();
    assert_eq!(
        by_var.credentials().access_key(),
        Some("AKGLOBAL00000000000")
    );
}

#[test]
fn profile_missing_default_file_is_not_configured() {
    let home = tempfile::tempdir().unwrap();
    let e = ProfileProvider::from_lookup(|_| None, Some(home.path().to_owned()))
        .load()
        .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
    let expected = home.path().join(".huaweicloud").join("credentials");
    assert_eq!(
        e.to_string(),
        format!(
            "profile: {} not found (set HUAWEICLOUD_SDK_CREDENTIALS_FILE to read another file)",
            expected.display()
        )
    );
}

#[test]
fn profile_missing_named_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let missing_str = missing.to_str().unwrap().to_owned();
    let e = ProfileProvider::from_lookup(
        move |name| (name == "HUAWEICLOUD_SDK_CREDENTIALS_FILE").then(|| missing_str.clone()),
        None,
    )
    .load()
    .unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    assert_eq!(
        e.to_string(),
        format!(
            "profile: {}: not found (named by HUAWEICLOUD_SDK_CREDENTIALS_FILE)",
            missing.display()
        )
    );
}

#[test]
fn profile_errors_name_the_path_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[basic]\nak = AK\nsk = SECRET-MARKER-sk-0001\n",
            "no [global] section",
        ),
        (
            "[global]\nsk = SECRET-MARKER-sk-0001\nsecurity_token = SECRET-MARKER-st-0002\n",
            "[global] has no `ak`",
        ),
        ("[global]\nak = AKONLY\n", "[global] has no `sk`"),
        ("[global]\nak = AKONLY\nsk =\n", "[global] has no `sk`"),
        (
            "[global\nak = AK\nsk = SECRET-MARKER-sk-0001\n",
            "cannot be read as the vendor's SDKs read it (line 1: a line before the first \
             [section])",
        ),
        // Python's configparser takes an empty key as a key: `sk` is missing.
        (
            "[global]\nak = AK\n= SECRET-MARKER-sk-0001\n",
            "[global] has no `sk`",
        ),
        (
            "[global]\nak = AK\nSECRET-MARKER-sk-0001\n",
            "cannot be read as the vendor's SDKs read it (line 3: neither `key = value` nor a \
             [section] nor a comment)",
        ),
        // Item 10 of the hardening issue: what the vendor's Python SDK (configparser,
        // strict, UTF-8) refuses is refused, naming the line, whichever copy would win.
        (
            "\u{feff}[global]\nak = AK\nsk = SECRET-MARKER-sk-0001\n",
            "cannot be read as the vendor's SDKs read it (line 1: the file starts with a UTF-8 \
             byte-order mark, which the vendor's SDKs read as part of the first line (Python: \
             \"file contains no section headers\"); save it without one)",
        ),
        (
            "[global]\nak = AK\nsk = SECRET-MARKER-sk-0001\n[global]\nak = AK2\n",
            "cannot be read as the vendor's SDKs read it (line 4: section [global] appears a \
             second time (the vendor's SDKs refuse the file))",
        ),
        (
            "[global]\nak = AK\nsk = SECRET-MARKER-sk-0001\nAK = AK2\n",
            "cannot be read as the vendor's SDKs read it (line 4: `ak` appears a second time \
             in [global] (the vendor's SDKs refuse the file))",
        ),
        (
            "[global]\nak = AK\nsk = SECRET-MARKER-sk-0001%\n",
            "cannot be read as the vendor's SDKs read it (line 3: [global] `sk`: a `%` not \
             followed by `%` or `(` (write `%%` for a `%`))",
        ),
    ];
    for (text, why) in cases {
        let path = write_profile(dir.path(), text);
        let e = ProfileProvider::with_path(&path).load().unwrap_err();
        assert_eq!(
            e.kind(),
            CredentialsErrorKind::InvalidConfiguration,
            "{text}"
        );
        assert_eq!(e.to_string(), format!("profile: {}: {why}", path.display()));
        assert_error_hidden(&e, &[SK, ST]);
    }
}

/// The file as the vendor's Python SDK reads it: values literal (quotes, `;`, `#`
/// kept), `:` as a delimiter, `[DEFAULT]` inherited, `%%` for `%`, continuation lines.
#[test]
fn profile_values_are_read_as_the_vendor_python_sdk_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(
        dir.path(),
        "[DEFAULT]\ndomain_id = dom-1\n[global]\nak: AK;1 # two\n  ; a comment\nsk = \"S%%K\"\n",
    );
    let profile = ProfileProvider::with_path(&path).load().unwrap();
    let c = profile.credentials();
    assert_eq!(c.access_key(), Some("AK;1 # two"));
    assert_eq!(c.secrets(), ["\"S%K\""]);
    assert_eq!(c.domain_id(), Some("dom-1"));
}

/// A FIFO (or any file that is not a regular one) is refused at once, naming the file,
/// instead of blocking until a writer comes.
#[cfg(unix)]
#[test]
fn profile_that_is_a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("credentials");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in [fifo.clone(), dir.path().to_owned()] {
        let e = ProfileProvider::with_path(&path).load().unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
        assert!(
            e.to_string()
                .starts_with(&format!("profile: {}: not a regular file", path.display())),
            "{e}"
        );
    }
}

#[test]
fn profile_larger_than_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("[global]\nak = AK\nsk = s\n");
    while text.len() <= 64 * 1024 {
        text.push_str("; padding padding padding padding padding padding padding\n");
    }
    let path = write_profile(dir.path(), &text);
    let e = ProfileProvider::with_path(&path).load().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "profile: {}: is larger than the limit of 65536 bytes",
            path.display()
        )
    );
}

// ---------------------------------------------------------------------------------------
// ECS metadata.

const TOKEN_ROUTE: &str = "PUT /meta-data/latest/api/token";
const KEY_ROUTE: &str = "GET /openstack/latest/securitykey";

fn security_key(ak: &str, expires_at: &str) -> Reply {
    Reply::json(
        200,
        serde_json::json!({"credential": {
            "access": ak,
            "secret": SK,
            "securitytoken": ST,
            "expires_at": expires_at,
        }}),
    )
}

fn sessions(n: usize) -> Vec<Reply> {
    (1..=n)
        .map(|i| Reply::new(200, format!("{SESSION}-{i}")))
        .collect()
}

fn metadata(server: &Server) -> EcsMetadataProvider {
    EcsMetadataProvider::new()
        .with_endpoint(&server.url)
        .unwrap()
        .with_timeout(PATIENT)
}

#[test]
fn metadata_default_endpoint_is_the_link_local_address() {
    // Only read, never contacted.
    assert_eq!(
        EcsMetadataProvider::new().endpoint(),
        "http://169.254.169.254"
    );
    assert_eq!(DEFAULT_METADATA_ENDPOINT, "http://169.254.169.254");
}

#[tokio::test]
async fn metadata_token_dance() {
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(1)),
        (
            KEY_ROUTE,
            vec![security_key("AKTEMP0001", "2027-01-15T09:00:00.000000Z")],
        ),
    ])
    .await;
    let provider = metadata(&server).with_domain_id("domain-0042");
    let c = provider.fetch().await.unwrap();
    assert_eq!(c.access_key(), Some("AKTEMP0001"));
    assert_eq!(c.secrets(), [SK, ST]);
    assert_eq!(c.domain_id(), Some("domain-0042"));
    assert_eq!(c.expires_at(), Some(at(3600)));

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, Method::PUT);
    assert_eq!(seen[0].uri.path(), "/meta-data/latest/api/token");
    assert_eq!(
        seen[0].header("x-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert_eq!(seen[1].method, Method::GET);
    assert_eq!(seen[1].uri.path(), "/openstack/latest/securitykey");
    assert_eq!(
        seen[1].header("x-metadata-token"),
        Some(format!("{SESSION}-1").as_str())
    );

    // The session token is kept for the next fetch.
    provider.fetch().await.unwrap();
    assert_eq!(server.count("PUT", "/meta-data/latest/api/token"), 1);
    assert_eq!(server.count("GET", "/openstack/latest/securitykey"), 2);

    for text in [format!("{provider:?}"), format!("{c:?}"), format!("{c}")] {
        assert_hidden(&text, &[SK, ST, &format!("{SESSION}-1")]);
    }
}

#[tokio::test]
async fn metadata_401_gets_a_new_session_token_and_one_more_try() {
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(2)),
        (
            KEY_ROUTE,
            vec![
                Reply::new(401, "token expired"),
                security_key("AKTEMP0002", "2027-01-15T09:00:00Z"),
            ],
        ),
    ])
    .await;
    let c = metadata(&server).fetch().await.unwrap();
    assert_eq!(c.access_key(), Some("AKTEMP0002"));
    let tokens: Vec<String> = server
        .seen()
        .iter()
        .filter(|s| s.method == Method::GET)
        .map(|s| s.header("x-metadata-token").unwrap().to_owned())
        .collect();
    assert_eq!(tokens, [format!("{SESSION}-1"), format!("{SESSION}-2")]);
    assert_eq!(server.count("PUT", "/meta-data/latest/api/token"), 2);
}

#[tokio::test]
async fn metadata_401_twice_is_reported_after_exactly_one_retry() {
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(3)),
        (KEY_ROUTE, vec![Reply::new(401, "token expired")]),
    ])
    .await;
    let e = metadata(&server).fetch().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::Rejected);
    assert_eq!(
        e.to_string(),
        "ECS metadata: GET /openstack/latest/securitykey answered HTTP 401 twice, the second \
         time to a new session token"
    );
    assert_eq!(server.count("GET", "/openstack/latest/securitykey"), 2);
    assert_eq!(server.count("PUT", "/meta-data/latest/api/token"), 2);
    assert_error_hidden(&e, &[&format!("{SESSION}-1"), &format!("{SESSION}-2")]);
}

#[tokio::test]
async fn metadata_without_an_agency_is_not_retried() {
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(2)),
        (
            KEY_ROUTE,
            vec![Reply::new(
                401,
                r#"{"error": "Please configure Cloud Service Agency first"}"#,
            )],
        ),
    ])
    .await;
    let e = metadata(&server).fetch().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::Rejected);
    assert!(e.to_string().contains("no agency is bound"), "{e}");
    assert_eq!(server.count("GET", "/openstack/latest/securitykey"), 1);
    assert_eq!(server.count("PUT", "/meta-data/latest/api/token"), 1);
}

#[tokio::test]
async fn metadata_alternative_spellings() {
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(1)),
        (
            KEY_ROUTE,
            vec![Reply::json(
                200,
                serde_json::json!({"credentials": {
                    "accessKeyId": "AKCAMEL0001",
                    "secretAccessKey": SK,
                    "securityToken": ST,
                    "expiration": "2027-01-15T10:00:00Z",
                }}),
            )],
        ),
    ])
    .await;
    let c = metadata(&server).fetch().await.unwrap();
    assert_eq!(c.access_key(), Some("AKCAMEL0001"));
    assert_eq!(c.secrets(), [SK, ST]);
    assert_eq!(c.expires_at(), Some(at(7200)));
}

#[tokio::test]
async fn metadata_bad_answers_name_the_field_and_hide_the_secrets() {
    let cases = [
        (
            serde_json::json!({"credential": {"access": "AK", "secret": 12345,
                "securitytoken": ST, "expires_at": "2027-01-15T09:00:00Z"}}),
            "`credential.secret` is not a non-empty string",
        ),
        (
            serde_json::json!({"credential": {"access": "AK", "secret": SK,
                "securitytoken": ST}}),
            "`credential` has no `expires_at` or `expiration`",
        ),
        (
            serde_json::json!({"credential": {"access": "AK", "secret": SK,
                "securitytoken": ST, "expires_at": "tomorrow"}}),
            "`credential.expires_at` \"tomorrow\" is not an RFC 3339 time",
        ),
        (
            serde_json::json!({"access": "AK", "secret": SK}),
            "the security key answer has no `credential` object",
        ),
    ];
    for (body, why) in cases {
        let server = Server::start(vec![
            (TOKEN_ROUTE, sessions(1)),
            (KEY_ROUTE, vec![Reply::json(200, body)]),
        ])
        .await;
        let e = metadata(&server).fetch().await.unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidResponse);
        assert_eq!(e.to_string(), format!("ECS metadata: {why}"));
        assert_error_hidden(&e, &[SK, ST, &format!("{SESSION}-1")]);
    }

    // Not JSON at all: the body is not echoed.
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(1)),
        (KEY_ROUTE, vec![Reply::new(200, format!("secret={SK}"))]),
    ])
    .await;
    let e = metadata(&server).fetch().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "ECS metadata: the security key answer is not JSON (line 1, column 1)"
    );
    assert_error_hidden(&e, &[SK]);
}

#[tokio::test]
async fn metadata_body_is_bounded() {
    let huge = "x".repeat(MAX_METADATA_BODY + 1);
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(1)),
        (KEY_ROUTE, vec![Reply::new(200, huge)]),
    ])
    .await;
    let e = metadata(&server).fetch().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidResponse);
    assert_eq!(
        e.to_string(),
        "ECS metadata: GET /openstack/latest/securitykey: the answer is larger than the limit \
         of 65536 bytes"
    );
}

#[tokio::test]
async fn metadata_credentials_are_refreshed_before_they_expire() {
    let server = Server::start(vec![
        (TOKEN_ROUTE, sessions(1)),
        (
            KEY_ROUTE,
            vec![
                security_key("AKFIRST", "2027-01-15T09:00:00Z"),
                security_key("AKSECOND", "2027-01-15T10:00:00Z"),
            ],
        ),
    ])
    .await;
    let clock = TestClock::new(at(0));
    let provider = CredentialsProvider::builder(metadata(&server))
        .clock(clock.clock())
        .build();
    let gets = || server.count("GET", "/openstack/latest/securitykey");

    assert_eq!(
        provider.current().await.unwrap().access_key(),
        Some("AKFIRST")
    );
    assert_eq!(gets(), 1);
    // Half an hour later: still fresh, nothing asked.
    clock.set(at(1800));
    assert_eq!(
        provider.current().await.unwrap().access_key(),
        Some("AKFIRST")
    );
    assert_eq!(gets(), 1);
    // Six minutes before expiry: outside the five-minute window.
    clock.set(at(3600 - 360));
    assert_eq!(
        provider.current().await.unwrap().access_key(),
        Some("AKFIRST")
    );
    assert_eq!(gets(), 1);
    // Four minutes before expiry: refreshed while the old ones still work.
    clock.set(at(3600 - 240));
    assert_eq!(
        provider.current().await.unwrap().access_key(),
        Some("AKSECOND")
    );
    assert_eq!(gets(), 2);
    assert_eq!(
        provider.current().await.unwrap().access_key(),
        Some("AKSECOND")
    );
    assert_eq!(gets(), 2);
    assert_hidden(&format!("{provider:?}"), &[SK, ST, &format!("{SESSION}-1")]);
}

// ---------------------------------------------------------------------------------------
// IAM password tokens.

const IAM_ROUTE: &str = "POST /v3/auth/tokens";

fn token_reply(token: &str, expires_at: &str) -> Reply {
    Reply::json(
        201,
        serde_json::json!({"token": {
            "expires_at": expires_at,
            "issued_at": "2027-01-15T08:00:00.000000Z",
            "methods": ["password"],
            "domain": {"name": "acme", "id": "domain-0042"},
            "user": {"name": "ops-bot", "id": "user-1", "domain": {"name": "acme", "id": "domain-0042"}},
        }}),
    )
    .header("x-subject-token", token)
}

fn iam(server: &Server) -> IamPasswordProvider {
    IamPasswordProvider::new("ops-bot", PASSWORD, "acme")
        .with_endpoint(&server.url)
        .unwrap()
        .with_timeout(PATIENT)
}

#[tokio::test]
async fn iam_token_from_the_subject_token_header() {
    let server = Server::start(vec![(
        IAM_ROUTE,
        vec![token_reply(
            &format!("{IAM_TOKEN}-1"),
            "2027-01-16T08:00:00.000000Z",
        )],
    )])
    .await;
    let provider = iam(&server);
    let c = provider.fetch().await.unwrap();
    assert_eq!(c.scheme(), "token");
    assert_eq!(c.secrets(), [format!("{IAM_TOKEN}-1").as_str()]);
    assert_eq!(c.expires_at(), Some(at(86_400)));

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.uri.path(), "/v3/auth/tokens");
    assert_eq!(request.uri.query(), Some("nocatalog=true"));
    assert_eq!(
        request.header("content-type"),
        Some("application/json;charset=utf8")
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {
                    "name": "ops-bot",
                    "password": PASSWORD,
                    "domain": {"name": "acme"},
                }},
            },
            "scope": {"domain": {"name": "acme"}},
        }})
    );
    for text in [format!("{provider:?}"), format!("{c:?}"), format!("{c}")] {
        assert_hidden(&text, &[PASSWORD, &format!("{IAM_TOKEN}-1")]);
    }
}

#[tokio::test]
async fn iam_refusal_is_clear_and_never_shows_the_password() {
    // A server that echoes the password in its error message.
    let server = Server::start(vec![(
        IAM_ROUTE,
        vec![Reply::json(
            401,
            serde_json::json!({"error": {
                "code": 401,
                "message": format!("The username or password is wrong: {PASSWORD}"),
                "title": "Unauthorized",
            }}),
        )],
    )])
    .await;
    let e = iam(&server).fetch().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::Rejected);
    assert_eq!(
        e.to_string(),
        format!(
            "IAM: {} refused the password of user \"ops-bot\" in account \"acme\" (HTTP 401): \
             The username or password is wrong: [REDACTED]",
            server.url
        )
    );
    assert_error_hidden(&e, &[PASSWORD]);

    // Through the cache the same error comes back, and is not kept.
    let provider = CredentialsProvider::new(iam(&server));
    let e = provider.current().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::Rejected);
    assert_error_hidden(&e, &[PASSWORD]);
    provider.current().await.unwrap_err();
    assert_eq!(server.count("POST", "/v3/auth/tokens"), 3);
}

#[tokio::test]
async fn iam_answer_without_subject_token_is_invalid() {
    let mut reply = token_reply("x", "2027-01-16T08:00:00Z");
    reply.headers.retain(|(n, _)| *n != "x-subject-token");
    let server = Server::start(vec![(IAM_ROUTE, vec![reply])]).await;
    let e = iam(&server).fetch().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidResponse);
    assert_eq!(
        e.to_string(),
        "IAM: POST /v3/auth/tokens answered HTTP 201 without an X-Subject-Token header"
    );
}

#[tokio::test]
async fn iam_token_is_renewed_before_it_expires() {
    let server = Server::start(vec![(
        IAM_ROUTE,
        vec![
            token_reply(&format!("{IAM_TOKEN}-1"), "2027-01-16T08:00:00Z"),
            token_reply(&format!("{IAM_TOKEN}-2"), "2027-01-17T08:00:00Z"),
        ],
    )])
    .await;
    let clock = TestClock::new(at(0));
    let provider = CredentialsProvider::builder(iam(&server))
        .clock(clock.clock())
        .build();
    let posts = || server.count("POST", "/v3/auth/tokens");
    let token = |c: Credentials| c.secrets()[0].to_owned();

    assert_eq!(
        token(provider.current().await.unwrap()),
        format!("{IAM_TOKEN}-1")
    );
    clock.set(at(23 * 3600));
    assert_eq!(
        token(provider.current().await.unwrap()),
        format!("{IAM_TOKEN}-1")
    );
    clock.set(at(86_400 - 301));
    assert_eq!(
        token(provider.current().await.unwrap()),
        format!("{IAM_TOKEN}-1")
    );
    assert_eq!(posts(), 1);
    clock.set(at(86_400 - 299));
    assert_eq!(
        token(provider.current().await.unwrap()),
        format!("{IAM_TOKEN}-2")
    );
    assert_eq!(posts(), 2);
    assert_hidden(
        &format!("{provider:?}"),
        &[
            PASSWORD,
            &format!("{IAM_TOKEN}-1"),
            &format!("{IAM_TOKEN}-2"),
        ],
    );
}

#[tokio::test]
async fn failed_renewal_keeps_the_valid_token_until_it_expires() {
    let server = Server::start(vec![(
        IAM_ROUTE,
        vec![
            token_reply(&format!("{IAM_TOKEN}-1"), "2027-01-16T08:00:00Z"),
            Reply::json(503, serde_json::json!({"error_msg": "busy"})),
        ],
    )])
    .await;
    let clock = TestClock::new(at(0));
    let provider = CredentialsProvider::builder(iam(&server))
        .clock(clock.clock())
        .build();
    let posts = || server.count("POST", "/v3/auth/tokens");
    provider.current().await.unwrap();

    // Inside the window the renewal fails: the token held still works and is answered.
    clock.set(at(86_400 - 120));
    let c = provider.current().await.unwrap();
    assert_eq!(c.secrets(), [format!("{IAM_TOKEN}-1").as_str()]);
    assert_eq!(posts(), 2);
    // Not asked again at once...
    provider.current().await.unwrap();
    assert_eq!(posts(), 2);
    // ...but a little later.
    clock.set(at(86_400 - 100));
    provider.current().await.unwrap();
    assert_eq!(posts(), 3);
    // Once expired, the failure is the answer.
    clock.set(at(86_400));
    let e = provider.current().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::Unavailable);
    assert_eq!(
        e.to_string(),
        format!("IAM: {} answered HTTP 503: busy", server.url)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_callers_share_one_token_request() {
    let server = Server::start_with_gate(
        vec![(
            IAM_ROUTE,
            vec![
                token_reply(&format!("{IAM_TOKEN}-1"), "2027-01-16T08:00:00Z"),
                token_reply(&format!("{IAM_TOKEN}-2"), "2027-01-17T08:00:00Z"),
            ],
        )],
        0,
    )
    .await;
    let clock = TestClock::new(at(0));
    let provider = CredentialsProvider::builder(iam(&server))
        .clock(clock.clock())
        .build();

    for (round, expected, posts) in [(0, 1, 1), (1, 2, 2)] {
        if round == 1 {
            // Inside the refresh window of the first token.
            clock.set(at(86_400 - 60));
        }
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let p = provider.clone();
                tokio::spawn(async move { p.current().await })
            })
            .collect();
        // Hold the answer back until the request has arrived, so that the callers pile up.
        tokio::time::timeout(PATIENT, async {
            while server.count("POST", "/v3/auth/tokens") < posts {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the token request arrives");
        // Enough answers for every caller, should they each ask.
        server.release(50);
        for t in tasks {
            let c = t.await.unwrap().unwrap();
            assert_eq!(c.secrets(), [format!("{IAM_TOKEN}-{expected}").as_str()]);
        }
        assert_eq!(server.count("POST", "/v3/auth/tokens"), posts);
        server.hold();
    }
}

// ---------------------------------------------------------------------------------------
// The default chain.

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[tokio::test]
async fn chain_error_names_every_source() {
    let home = tempfile::tempdir().unwrap();
    let chain = ChainProvider::default_chain_from(vars(&[]), Some(home.path().to_owned()));
    let e = CredentialsProvider::new(chain).current().await.unwrap_err();
    println!("{e}");
    assert_eq!(e.kind(), CredentialsErrorKind::NoneFound);
    let file = home.path().join(".huaweicloud").join("credentials");
    assert_eq!(
        e.to_string(),
        format!(
            "no credentials found; tried environment: HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK and \
             HUAWEICLOUD_AUTH_TOKEN not set; IAM password: HUAWEICLOUD_IAM_USER, \
             HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN not set; profile: {} not found \
             (set HUAWEICLOUD_SDK_CREDENTIALS_FILE to read another file); ECS metadata: not \
             enabled (set HUAWEICLOUD_ECS_METADATA=true on an ECS instance with an agency to ask \
             http://169.254.169.254)",
            file.display()
        )
    );
    let names: Vec<&str> = e.tried().iter().map(|t| t.source_name()).collect();
    assert_eq!(
        names,
        ["environment", "IAM password", "profile", "ECS metadata"]
    );
    assert!(e.tried().iter().all(CredentialsError::is_not_configured));
    // The source chain leads to the last source tried.
    assert_eq!(
        e.source().unwrap().to_string(),
        e.tried().last().unwrap().to_string()
    );
}

#[tokio::test]
async fn chain_order_environment_then_iam_then_profile_then_metadata() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".huaweicloud")).unwrap();
    write_profile(&home.path().join(".huaweicloud"), FULL_PROFILE);
    let iam_server = Server::start(vec![(
        IAM_ROUTE,
        vec![token_reply(
            &format!("{IAM_TOKEN}-1"),
            "2027-01-16T08:00:00Z",
        )],
    )])
    .await;
    let meta = Server::start(vec![
        (TOKEN_ROUTE, sessions(1)),
        (
            KEY_ROUTE,
            vec![security_key("AKFROMECS", "2027-01-15T09:00:00Z")],
        ),
    ])
    .await;
    let ecs = [
        ("HUAWEICLOUD_ECS_METADATA", "true"),
        ("HUAWEICLOUD_ECS_METADATA_ENDPOINT", meta.url.as_str()),
    ];
    let iam_vars = [
        ("HUAWEICLOUD_IAM_USER", "ops-bot"),
        ("HUAWEICLOUD_IAM_PASSWORD", PASSWORD),
        ("HUAWEICLOUD_IAM_DOMAIN", "acme"),
        ("HUAWEICLOUD_IAM_ENDPOINT", iam_server.url.as_str()),
    ];
    let first = |pairs: Vec<(&str, &str)>, home: Option<&Path>| {
        let chain = ChainProvider::default_chain_from(vars(&pairs), home.map(Path::to_owned));
        async move { chain.provide_now().await }
    };

    let env_pair = [
        ("HUAWEICLOUD_SDK_AK", "AKFROMENV"),
        ("HUAWEICLOUD_SDK_SK", SK),
    ];
    let all: Vec<_> = env_pair
        .iter()
        .chain(&iam_vars)
        .chain(&ecs)
        .copied()
        .collect();
    let c = first(all, Some(home.path())).await.unwrap();
    assert_eq!(c.access_key(), Some("AKFROMENV"));

    let no_env: Vec<_> = iam_vars.iter().chain(&ecs).copied().collect();
    let c = first(no_env, Some(home.path())).await.unwrap();
    assert_eq!(c.scheme(), "token");

    let c = first(ecs.to_vec(), Some(home.path())).await.unwrap();
    assert_eq!(c.access_key(), Some("AKGLOBAL00000000000"));

    let c = first(ecs.to_vec(), None).await.unwrap();
    assert_eq!(c.access_key(), Some("AKFROMECS"));
    assert_eq!(c.expires_at(), Some(at(3600)));

    // Explicit credentials come before everything.
    let chain = ChainProvider::default_chain_from(vars(&env_pair), None)
        .with_explicit(Credentials::token("explicit-token"));
    let c = CredentialsProvider::new(chain).current().await.unwrap();
    assert_eq!(c.secrets(), ["explicit-token"]);

    // Each source was asked only when those before it had nothing.
    assert_eq!(iam_server.count("POST", "/v3/auth/tokens"), 1);
    assert_eq!(meta.count("GET", "/openstack/latest/securitykey"), 1);
}

#[tokio::test]
async fn chain_stops_at_a_broken_source_and_says_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_profile(dir.path(), "[global]\nak = AKONLY\n");
    let meta = Server::start(vec![
        (TOKEN_ROUTE, sessions(1)),
        (
            KEY_ROUTE,
            vec![security_key("AKFROMECS", "2027-01-15T09:00:00Z")],
        ),
    ])
    .await;
    let chain = ChainProvider::default_chain_from(
        vars(&[
            ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", path.to_str().unwrap()),
            ("HUAWEICLOUD_ECS_METADATA", "1"),
            ("HUAWEICLOUD_ECS_METADATA_ENDPOINT", &meta.url),
        ]),
        None,
    );
    let e = chain.provide_now().await.unwrap_err();
    assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
    assert_eq!(
        e.to_string(),
        format!(
            "profile: {}: [global] has no `sk` (skipped before it: environment: \
             HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK and HUAWEICLOUD_AUTH_TOKEN not set; IAM \
             password: HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN \
             not set)",
            path.display()
        )
    );
    assert!(meta.seen().is_empty(), "the metadata service was asked");
}

#[tokio::test]
async fn chain_configuration_mistakes_hide_secrets() {
    let home = tempfile::tempdir().unwrap();
    let cases: [(Vec<(&str, &str)>, &str); 4] = [
        (
            vec![
                ("HUAWEICLOUD_SDK_SK", SK),
                ("HUAWEICLOUD_SDK_SECURITY_TOKEN", ST),
            ],
            "environment: HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not: set both to \
             sign requests with an access key pair",
        ),
        (
            vec![
                ("HUAWEICLOUD_IAM_PASSWORD", PASSWORD),
                ("HUAWEICLOUD_IAM_DOMAIN", "acme"),
            ],
            "IAM password: HUAWEICLOUD_IAM_USER not set: a password login needs \
             HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN",
        ),
        (
            vec![
                ("HUAWEICLOUD_IAM_USER", "ops-bot"),
                ("HUAWEICLOUD_IAM_PASSWORD", PASSWORD),
                ("HUAWEICLOUD_IAM_DOMAIN", "acme"),
                (
                    "HUAWEICLOUD_IAM_ENDPOINT",
                    "https://ops-bot:SECRET-MARKER-password-0003@iam.example.test",
                ),
            ],
            "IAM password: HUAWEICLOUD_IAM_ENDPOINT: the IAM endpoint must not hold a user name \
             or password",
        ),
        (
            vec![("HUAWEICLOUD_ECS_METADATA", "maybe")],
            "ECS metadata: HUAWEICLOUD_ECS_METADATA must be true or false, not \"maybe\"",
        ),
    ];
    for (pairs, message) in cases {
        let chain = ChainProvider::default_chain_from(vars(&pairs), Some(home.path().to_owned()));
        let e = chain.provide_now().await.unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration, "{e}");
        assert!(e.to_string().starts_with(message), "{e}");
        assert_error_hidden(&e, &[SK, ST, PASSWORD]);
        assert_hidden(&format!("{chain:?}"), &[SK, ST, PASSWORD]);
    }
}

/// Asks a chain directly, without a cache.
trait ProvideNow {
    async fn provide_now(&self) -> Result<Credentials, CredentialsError>;
}

impl ProvideNow for ChainProvider {
    async fn provide_now(&self) -> Result<Credentials, CredentialsError> {
        use huaweicloud_osm::credentials::ProvideCredentials;
        self.provide().await
    }
}
