//! What the criterion benches (`benches/client.rs`) and the timing binary behind
//! `cargo xtask bench` (`examples/bench_calls.rs`) share: the ticket, the two ways of
//! preparing a request (ours and the hand-written baseline), the minimal server and the
//! pre-built request that raw reqwest posts.
//!
//! The baseline is meant to be the least work that produces the same signed request:
//! it serialises the same JSON object with serde_json and signs a canonical request of
//! the very same shape (same headers, same lines, same hashes, same HMAC) with a few
//! `format!` calls. [`check_baseline_is_equivalent`] proves that, for the same body and
//! date, it yields the same `Authorization` value as the library, so the two sides differ
//! only by what the library does on top: validation, the typed conversion and its
//! general-purpose canonicalisation.

#![allow(dead_code)] // each includer uses a different part

use std::time::SystemTime;

use huaweicloud_osm::{DEFAULT_USER_AGENT, NewCase};
use huaweicloud_signing::{self as signing, SigningKey};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderValue};
use secrecy::SecretString;

/// The access key the benches sign with.
pub const AK: &str = "AKBENCH0000000000001";
/// Its secret key.
pub const SK: &str = "sk-bench-secret-0000000000000000000001";
/// The endpoint the prepare benches sign for (nothing is sent there).
pub const ENDPOINT: &str = "https://osm.ap-southeast-3.myhuaweicloud.com";
/// The operation's path.
pub const PATH: &str = "/v2/servicerequest/cases";

/// A realistic ticket: problem type 5 (so `region_id` is required), a severity, a mail
/// address to remind and two attachments.
pub fn case() -> NewCase {
    NewCase::new(
        "5",
        "ECS instance ecs-01 in ap-southeast-3 stopped answering on port 443 after a resize",
    )
    .region_id("ap-southeast-3")
    .severity_id("2")
    .remind_mail("ops@example.com")
    .accessory_ids(["att-1", "att-2"])
}

/// The headers the library's client puts on the request before signing it: the
/// generated code adds `Accept` and `Content-Type` (reqwest's `.json`), and the client
/// adds `X-Site: 1` for the International site, the default.
fn client_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert("x-site", HeaderValue::from_static("1"));
    headers
}

/// Ours: validate the case into the generated type, serialise it, sign it with the
/// library's signer. Returns the body and the headers to send.
pub fn client_prepare(
    case: &NewCase,
    key: &SigningKey<'_>,
    url: &reqwest::Url,
    now: SystemTime,
) -> (Vec<u8>, HeaderMap) {
    let typed = case.validate().expect("the bench case is valid");
    let body = serde_json::to_vec(&typed).expect("serialises");
    let mut headers = client_headers();
    signing::sign(key, "POST", url, &mut headers, &body, now).expect("signs");
    (body, headers)
}

/// The signed header list of [`client_headers`] once signed.
const BASELINE_SIGNED: &str = "accept;content-type;host;x-sdk-date;x-site";

/// The baseline: serialise the JSON object as it stands (no validation, no typed
/// conversion) and sign the same canonical request with hand-written `format!`s.
/// Returns the body, `X-Sdk-Date` and `Authorization`.
pub fn baseline_prepare(
    body: &serde_json::Map<String, serde_json::Value>,
    host: &str,
    now: SystemTime,
) -> (Vec<u8>, String, String) {
    let body = serde_json::to_vec(body).expect("serialises");
    let (date, auth) = baseline_sign(&body, host, now);
    (body, date, auth)
}

/// The baseline's signing: one canonical request (method, URI with its trailing `/`,
/// empty query, five canonical headers, the signed-header list, the body's SHA-256),
/// its SHA-256 in the string to sign, and the HMAC.
pub fn baseline_sign(body: &[u8], host: &str, now: SystemTime) -> (String, String) {
    let date = signing::format_sdk_date(now);
    let canonical = format!(
        "POST\n{PATH}/\n\naccept:application/json\ncontent-type:application/json\nhost:{host}\n\
         x-sdk-date:{date}\nx-site:1\n\n{BASELINE_SIGNED}\n{}",
        signing::hex_sha256(body)
    );
    let sts = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        signing::hex_sha256(canonical.as_bytes())
    );
    let sig = signing::signature(SK, &sts);
    let auth =
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={BASELINE_SIGNED}, Signature={sig}");
    (date, auth)
}

/// The signing key of [`AK`] and [`SK`].
pub fn with_key<T>(f: impl FnOnce(&SigningKey<'_>) -> T) -> T {
    let sk = SecretString::from(SK.to_owned());
    f(&SigningKey {
        access_key: AK,
        secret_key: &sk,
        security_token: None,
        domain_id: None,
    })
}

/// The URL of the operation at `endpoint`.
pub fn url(endpoint: &str) -> reqwest::Url {
    reqwest::Url::parse(&format!("{endpoint}{PATH}")).expect("a URL")
}

fn host_of(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => String::new(),
    }
}

/// Panics unless the baseline signs exactly what the library signs: for the library's
/// body and date, the same `Authorization` value. Also checks that both bodies have the
/// same size (they hold the same members, perhaps in another order).
pub fn check_baseline_is_equivalent() {
    let case = case();
    let url = url(ENDPOINT);
    let now = SystemTime::now();
    let (body, headers) = with_key(|key| client_prepare(&case, key, &url, now));
    let (_, auth) = baseline_sign(&body, &host_of(&url), now);
    assert_eq!(
        headers[AUTHORIZATION].to_str().expect("text"),
        auth,
        "the baseline must sign the same canonical request as the library"
    );
    let (baseline_body, _, _) = baseline_prepare(case.body(), &host_of(&url), now);
    assert_eq!(
        baseline_body.len(),
        body.len(),
        "the baseline must serialise the same body"
    );
}

/// The request the library's client sends to `endpoint`, built and signed once: raw
/// reqwest posts these very bytes (same body, same headers, same signature, same
/// `User-Agent`) on every call. The signature stays valid for the 15 minutes an
/// emulator allows.
pub fn prebuilt_request(endpoint: &str) -> (Vec<u8>, HeaderMap) {
    let url = url(endpoint);
    let (body, mut headers) = with_key(|key| client_prepare(&case(), key, &url, SystemTime::now()));
    headers.insert(
        reqwest::header::USER_AGENT,
        HeaderValue::from_static(DEFAULT_USER_AGENT),
    );
    debug_assert!(headers.contains_key(HOST));
    (body, headers)
}

/// A minimal server: reads the body and answers every request with a fixed ticket and
/// request id, the shape of the service's success answer. Returns its base URL.
pub async fn minimal_server() -> String {
    let app = axum::Router::new().fallback(|_body: axum::body::Bytes| async {
        (
            [
                ("content-type", "application/json"),
                ("x-request-id", "0123456789abcdef0123456789abcdef"),
            ],
            r#"{"incident_id":"CS20261128000001"}"#,
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("has an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A server that answers every request with `body` (a JSON answer, HTTP 200) and keeps
/// the headers of the first request it sees in `seen`, so that raw reqwest can send
/// the very request a client sent. Returns its base URL.
pub async fn fixed_server(
    body: Vec<u8>,
    seen: std::sync::Arc<std::sync::Mutex<Option<HeaderMap>>>,
) -> String {
    let body = axum::body::Bytes::from(body);
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let (body, seen) = (body.clone(), seen.clone());
        async move {
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(headers);
            (
                [
                    ("content-type", "application/json"),
                    ("x-request-id", "0123456789abcdef0123456789abcdef"),
                ],
                body,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("has an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The raw side of a look-up comparison: sends a GET with the given headers and reads
/// the answer.
pub async fn get(raw: &reqwest::Client, endpoint: &str, headers: &HeaderMap) {
    let r = raw
        .get(endpoint)
        .headers(headers.clone())
        .send()
        .await
        .expect("sent");
    assert!(r.status().is_success(), "HTTP {}", r.status());
    r.bytes().await.expect("read");
}

/// The servers' runtime: one worker thread of its own.
pub fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The client's runtime: the calling thread.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The raw side of a create comparison: posts pre-built bytes and reads the answer.
pub async fn post(raw: &reqwest::Client, endpoint: &str, body: &[u8], headers: &HeaderMap) {
    let r = raw
        .post(endpoint)
        .headers(headers.clone())
        .body(body.to_vec())
        .send()
        .await
        .expect("sent");
    assert!(r.status().is_success(), "HTTP {}", r.status());
    r.bytes().await.expect("read");
}
