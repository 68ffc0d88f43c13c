//! The client against a real HTTP server on loopback: what goes on the wire, and what
//! the caller sees for every kind of answer.

mod support;

use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase, RetryPolicy, Site};
use serde_json::json;
use support::{Reply, Server, client, full_case};

/// Sends a minimal case to a server answering `reply`, and returns the error.
async fn fail_with(reply: Reply) -> huaweicloud_osm::Error {
    let server = Server::start(vec![reply]).await;
    client(&server.url)
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn success_returns_incident_and_request_id() {
    let server = Server::ok().await;
    let created = client(&server.url)
        .create_case(&NewCase::new("1", "disk full"))
        .await
        .unwrap();
    assert_eq!(created.incident_id, "CS20261128000001");
    assert_eq!(created.request_id.as_deref(), Some("req-0123456789abcdef"));
    assert_eq!(created.attempts, 1);
}

#[tokio::test]
async fn wire_headers_and_body() {
    let server = Server::ok().await;
    let client = Client::builder()
        .endpoint(format!("{}/", server.url))
        .credentials(Credentials::token("test-token-value"))
        .language("en-us")
        .time_zone("GMT+1")
        .site(Site::China)
        .build()
        .unwrap();
    let case = full_case()
        .phone_verified_id("pv-1")
        .email_verified_id("ev-1")
        .language("fr-fr");
    client.create_case(&case).await.unwrap();
    let seen = server.only();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri.path(), "/v2/servicerequest/cases");
    assert_eq!(seen.header("x-auth-token"), Some("test-token-value"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    // The case's own language overrides the client's.
    assert_eq!(
        seen.headers
            .get_all("x-language")
            .iter()
            .collect::<Vec<_>>(),
        ["fr-fr"]
    );
    assert_eq!(seen.header("x-time-zone"), Some("GMT+1"));
    assert_eq!(seen.header("x-site"), Some("0"));
    assert_eq!(seen.header("x-phone-verifiedid"), Some("pv-1"));
    assert_eq!(seen.header("x-email-verifiedid"), Some("ev-1"));
    assert!(
        seen.header("api-version").is_none(),
        "progenitor's api-version header leaks"
    );
    assert!(seen.header("authorization").is_none());
    assert!(
        seen.header("user-agent")
            .unwrap()
            .starts_with("huaweicloud-osm-rust/")
    );
    let body = seen.json();
    assert_eq!(body["source_id"], "83aeb0f2834c4df49826c781d32a963e");
    assert_eq!(body["business_type_id"], "5");
    assert_eq!(body["accessory_ids"], json!(["att-1", "att-2"]));
    assert_eq!(body["extends_map"], json!({"channel": "alerting"}));
    assert_eq!(body.as_object().unwrap().len(), 16);
}

#[tokio::test]
async fn ak_sk_requests_are_signed_and_carry_no_token() {
    let server = Server::ok().await;
    let client = Client::builder()
        .endpoint(&server.url)
        .credentials(
            Credentials::ak_sk("AKEXAMPLE", "sk-secret")
                .with_security_token("st")
                .with_domain_id("dom-1"),
        )
        .build()
        .unwrap();
    client
        .create_case(&NewCase::new("1", "disk full"))
        .await
        .unwrap();
    let seen = server.only();
    assert!(seen.header("x-auth-token").is_none());
    let auth = seen.header("authorization").unwrap();
    assert!(
        auth.starts_with("SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders="),
        "{auth}"
    );
    assert_eq!(seen.header("x-security-token"), Some("st"));
    assert_eq!(seen.header("x-domain-id"), Some("dom-1"));
    assert!(seen.header("x-sdk-date").is_some());
    // What the server received verifies with the key, so the signature covers the
    // bytes that were actually sent.
    let parts = huaweicloud_signing::RequestParts {
        method: seen.method.as_str(),
        path: seen.uri.path(),
        query: seen.uri.query(),
        headers: &seen.headers,
        body: &seen.body,
    };
    let ak = huaweicloud_signing::verify(
        &parts,
        |ak| (ak == "AKEXAMPLE").then(|| "sk-secret".to_owned().into()),
        std::time::SystemTime::now(),
    )
    .unwrap();
    assert_eq!(ak, "AKEXAMPLE");
}

#[tokio::test]
async fn service_error_4xx_is_mapped() {
    let err = fail_with(Reply::json(
        400,
        json!({"error_code": "OSM.0001", "error_msg": "Parameter check failed"}),
    ))
    .await;
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.error_code(), Some("OSM.0001"));
    assert_eq!(err.error_msg(), Some("Parameter check failed"));
    assert_eq!(err.request_id(), Some("req-0123456789abcdef"));
    assert!(!err.outcome_unknown());
    assert!(err.may_have_been_sent());
}

#[tokio::test]
async fn gateway_error_carries_its_own_request_id() {
    let err = fail_with(Reply::raw(
        401,
        "application/json",
        r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"gw-42"}"#,
    )).await;
    assert_eq!(err.error_code(), Some("APIGW.0301"));
    assert_eq!(err.request_id(), Some("gw-42"));
    assert_eq!(err.http_status(), Some(401));
}

#[tokio::test]
async fn server_error_5xx_leaves_the_outcome_unknown() {
    let err = fail_with(Reply::json(
        500,
        json!({"error_code": "OSM.0004", "error_msg": "Internal error"}),
    ))
    .await;
    assert_eq!(err.error_code(), Some("OSM.0004"));
    assert!(err.outcome_unknown());
    assert!(
        err.to_string().contains("may or may not have been created"),
        "{err}"
    );
}

#[tokio::test]
async fn non_json_502_keeps_status_and_request_id() {
    let err = fail_with(Reply::raw(502, "text/html", "<html>Bad Gateway</html>")).await;
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(502));
    assert_eq!(err.request_id(), Some("req-raw"));
    assert_eq!(err.error_code(), None);
    assert!(err.to_string().contains("Bad Gateway"), "{err}");
    assert!(err.outcome_unknown());
}

#[tokio::test]
async fn http_200_with_error_code_is_an_error() {
    let err = fail_with(Reply::json(
        200,
        json!({"error_code": "OSM.01010003", "error_msg": "Urged too often"}),
    ))
    .await;
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(err.error_code(), Some("OSM.01010003"));
    assert_eq!(err.error_msg(), Some("Urged too often"));
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn http_200_without_id_or_with_bad_json_is_ambiguous() {
    for body in ["{}", "not json at all"] {
        let server = Server::start(vec![Reply::raw(200, "application/json", body)]).await;
        let err = client(&server.url)
            .create_case(&NewCase::new("1", "x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{body}");
        assert!(err.outcome_unknown(), "{body}");
        assert_eq!(err.request_id(), Some("req-raw"));
    }
}

#[tokio::test]
async fn too_long_description_is_refused_before_sending() {
    let server = Server::ok().await;
    let max = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap();
    let case = NewCase::new("1", "x".repeat(max + 1));
    let err = client(&server.url).create_case(&case).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(!err.may_have_been_sent());
    assert_eq!(err.attempts(), 0);
    assert_eq!(
        err.to_string(),
        format!(
            "invalid request, nothing was sent: simple_description is {} characters long; the maximum length is {max}",
            max + 1
        )
    );
    assert_eq!(err.validation().unwrap().field(), "simple_description");
    assert!(server.seen().is_empty(), "the server saw a request");
}

#[tokio::test]
async fn lengths_count_characters_not_bytes() {
    let server = Server::ok().await;
    // As many three-byte characters as the limit allows: three times as many bytes, but
    // within the limit.
    let max = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap();
    client(&server.url)
        .create_case(&NewCase::new("1", "工".repeat(max)))
        .await
        .unwrap();
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn invalid_header_is_refused_before_sending() {
    let server = Server::ok().await;
    let case = NewCase::new("1", "x").phone_verified_id("p".repeat(33));
    let err = client(&server.url).create_case(&case).await.unwrap_err();
    assert_eq!(
        err.validation().unwrap().to_string(),
        "header x-phone-verifiedid is 33 characters long; the maximum length is 32"
    );
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn connection_refused_is_not_sent_and_is_retried() {
    // Bind then drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .credentials(Credentials::token("t"))
        .retry(RetryPolicy::default().with_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        ))
        .build()
        .unwrap();
    let err = client
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(!err.may_have_been_sent());
    assert!(!err.outcome_unknown());
    assert_eq!(err.attempts(), 3);
}

#[tokio::test]
async fn throttled_429_is_retried_then_succeeds() {
    let server = Server::start(vec![
        Reply::json(
            429,
            json!({"error_code": "APIGW.0308", "error_msg": "throttled"}),
        )
        .header("retry-after", "0"),
        Reply::json(200, json!({"incident_id": "CS-after-429"})),
    ])
    .await;
    let client = Client::builder()
        .endpoint(&server.url)
        .credentials(Credentials::token("t"))
        .retry(RetryPolicy::default().with_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        ))
        .build()
        .unwrap();
    let created = client.create_case(&NewCase::new("1", "x")).await.unwrap();
    assert_eq!(created.incident_id, "CS-after-429");
    assert_eq!(created.attempts, 2);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_5xx_is_never_retried_by_default() {
    let server = Server::start(vec![
        Reply::json(503, json!({"error_code": "OSM.0004", "error_msg": "busy"}))
            .header("retry-after", "0"),
    ])
    .await;
    let client = Client::builder()
        .endpoint(&server.url)
        .credentials(Credentials::token("t"))
        .retry(RetryPolicy::default().with_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        ))
        .build()
        .unwrap();
    let err = client
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn bad_endpoint_and_missing_credentials_are_configuration_errors() {
    let err = Client::builder()
        .endpoint("not a url")
        .credentials(Credentials::token("t"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    let err = Client::builder()
        .endpoint("ftp://example.com")
        .credentials(Credentials::token("t"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    let err = Client::builder()
        .language("x".repeat(33))
        .credentials(Credentials::token("t"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);

    // No credentials anywhere (an empty environment, a home without a profile file):
    // the first call fails before sending, naming the sources it tried.
    let server = Server::ok().await;
    let home = tempfile::tempdir().unwrap();
    let chain = huaweicloud_osm::credentials::ChainProvider::default_chain_from(
        |_| None,
        Some(home.path().to_path_buf()),
    );
    let err = Client::builder()
        .endpoint(&server.url)
        .credentials_source(chain)
        .build()
        .unwrap()
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(!err.may_have_been_sent());
    // Display is the message; the sources tried are its cause.
    let chain: Vec<String> = std::iter::successors(std::error::Error::source(&err), |c| c.source())
        .map(ToString::to_string)
        .collect();
    let chain = chain.join(": ");
    for source in ["environment", "profile", "ECS metadata"] {
        assert!(chain.contains(source), "{source}: {err}: {chain}");
    }
    assert!(server.seen().is_empty());
}

#[test]
fn sites_have_the_vendors_endpoints() {
    assert_eq!(
        Site::China.endpoint(),
        "https://osm.cn-south-1.myhuaweicloud.com"
    );
    assert_eq!(
        Site::International.endpoint(),
        "https://osm.ap-southeast-3.myhuaweicloud.com"
    );
    assert_eq!(
        Site::Europe.endpoint(),
        "https://osm.eu-west-101.myhuaweicloud.eu"
    );
    assert_eq!(Site::China.x_site(), Some(0));
    assert_eq!(Site::International.x_site(), Some(1));
}

#[test]
fn client_debug_shows_no_token() {
    let client = Client::builder()
        .endpoint("http://127.0.0.1:1")
        .credentials(Credentials::token("super-secret-token-value"))
        .build()
        .unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("super-secret-token-value"), "{debug}");
    assert!(debug.contains("[REDACTED]"), "{debug}");
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let target = Server::ok().await;
    let server = Server::start(vec![Reply::raw(302, "text/plain", "moved").header(
        "location",
        &format!("{}/v2/servicerequest/cases", target.url),
    )])
    .await;
    let err = client(&server.url)
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(302));
    assert!(
        target.seen().is_empty(),
        "the POST was replayed to the redirect target"
    );
}

#[test]
fn https_sites_build_with_the_platform_roots() {
    for site in [Site::China, Site::International, Site::Europe] {
        let client = Client::builder()
            .site(site)
            .credentials(Credentials::token("t"))
            .build()
            .unwrap();
        assert_eq!(client.endpoint(), site.endpoint());
    }
    // The platform verifier the HTTPS configuration uses has roots to verify with: the
    // machine's store (or the bundled roots) is not empty.
    let roots = rustls_native_certs::load_native_certs();
    assert!(
        !roots.certs.is_empty(),
        "no root certificates on this machine: HTTPS could not be verified ({:?})",
        roots.errors
    );
}
