//! The error type against real answers on loopback: `Display` says what failed without
//! its cause, the cause comes through `source()` (so a chain printer names it once), every
//! error-body shape the vendor's SDKs accept yields the code, and the status, the kept
//! headers and a bounded body snippet stay on the error.

mod support;

use std::error::Error as _;

use huaweicloud_osm::error::{KEPT_HEADERS, MAX_SNIPPET_CHARS};
use huaweicloud_osm::{
    Client, Credentials, CredentialsError, CredentialsProvider, ErrorKind, NewCase,
    ProvideCredentials, RetryPolicy,
};
use serde_json::json;
use support::{Reply, Server};

/// A loopback port that provably refuses connections for as long as the returned socket
/// lives: the socket is bound to it (so no other process can bind it, as it does not set
/// `SO_REUSEADDR`/`SO_REUSEPORT`) but never listens, so the kernel answers every
/// connection attempt with a reset, which is `ECONNREFUSED`.
fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

fn client(url: &str) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::token("t"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn connect_error_names_its_cause_once() {
    let (_held, port) = refusing_port();
    let err = client(&format!("http://127.0.0.1:{port}"))
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(!err.may_have_been_sent());
    // The message says what failed and what it means, without the cause's text.
    assert_eq!(
        err.to_string(),
        "could not connect to the service; nothing was sent"
    );
    // The cause is at the end of the chain, as the OS reported it.
    let mut root: &dyn std::error::Error = &err;
    while let Some(next) = root.source() {
        root = next;
    }
    let io = root
        .downcast_ref::<std::io::Error>()
        .expect("the root cause is the OS error");
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
    // A chain printer names it exactly once.
    let chain = format!("{:#}", anyhow::Error::from(err));
    println!("{chain}");
    assert!(chain.starts_with("could not connect to the service; nothing was sent: "));
    assert_eq!(
        chain.matches("Connection refused").count(),
        1,
        "the cause must appear once in {chain:?}"
    );
}

#[tokio::test]
async fn validation_error_is_its_own_message_not_a_source() {
    let max = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap();
    let err = client("http://127.0.0.1:9")
        .create_case(&NewCase::new("1", "x".repeat(max + 1)))
        .await
        .unwrap_err();
    assert!(err.is_validation());
    assert!(err.source().is_none());
    let chain = format!("{:#}", anyhow::Error::from(err));
    assert_eq!(
        chain,
        format!(
            "invalid request, nothing was sent: simple_description is {} characters long; \
             the maximum length is {max}",
            max + 1
        )
    );
}

/// A credentials source that always fails.
#[derive(Debug)]
struct Failing;

impl ProvideCredentials for Failing {
    fn provide(&self) -> huaweicloud_osm::credentials::ProvideFuture<'_> {
        Box::pin(async {
            Err(CredentialsError::new(
                huaweicloud_osm::credentials::CredentialsErrorKind::Unavailable,
                "vault",
                "sealed",
            ))
        })
    }
}

#[tokio::test]
async fn credentials_error_chains_the_provider_error() {
    let server = Server::ok().await;
    let err = Client::builder()
        .endpoint(&server.url)
        .credentials_provider(CredentialsProvider::new(Failing))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert_eq!(err.to_string(), "no usable credentials; nothing was sent");
    let source = err.source().expect("the provider's error is the source");
    assert!(source.downcast_ref::<CredentialsError>().is_some());
    let chain = format!("{:#}", anyhow::Error::from(err));
    assert_eq!(chain.matches("sealed").count(), 1, "{chain}");
    assert!(server.seen().is_empty(), "nothing was sent");
}

async fn refusal(reply: Reply) -> huaweicloud_osm::Error {
    let server = Server::start(vec![reply]).await;
    client(&server.url)
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn every_error_body_shape_yields_its_code() {
    let shapes = [
        (json!({"error_code": "OSM.0001"}), "OSM.0001", None),
        (
            json!({"error_code": "OSM.0001", "error_msg": "Parameter check failed"}),
            "OSM.0001",
            Some("Parameter check failed"),
        ),
        (
            json!({"errorCode": "APIGW.0301", "errorMsg": "Incorrect IAM authentication information"}),
            "APIGW.0301",
            Some("Incorrect IAM authentication information"),
        ),
        (
            json!({"code": "OSM.0002", "message": "token expired"}),
            "OSM.0002",
            Some("token expired"),
        ),
        (
            json!({"error": {"code": "APIGW.0101", "message": "The API does not exist"}}),
            "APIGW.0101",
            Some("The API does not exist"),
        ),
        (
            json!({"error": {"error_code": "OSM.0003", "error_msg": "forbidden"}}),
            "OSM.0003",
            Some("forbidden"),
        ),
    ];
    for (body, code, msg) in shapes {
        let err = refusal(Reply::json(400, body.clone())).await;
        assert_eq!(err.kind(), ErrorKind::Service, "{body}");
        assert_eq!(err.error_code(), Some(code), "{body}");
        assert_eq!(err.error_msg(), msg, "{body}");
        assert_eq!(err.http_status(), Some(400));
        assert!(err.to_string().contains(code), "{err}");
    }
}

#[tokio::test]
async fn status_headers_and_a_bounded_snippet_stay_on_the_error() {
    let page = format!("<html><body>{}</body></html>", "Bad Gateway ".repeat(200));
    let err = refusal(
        Reply::raw(502, "text/html", &page)
            .header("retry-after", "7")
            .header("server", "gateway-7")
            .header("set-cookie", "session=SECRET-MARKER"),
    )
    .await;
    assert_eq!(err.http_status(), Some(502));
    assert_eq!(err.header("Retry-After"), Some("7"));
    assert_eq!(err.header("server"), Some("gateway-7"));
    assert_eq!(err.header("content-type"), Some("text/html"));
    assert_eq!(err.request_id(), Some("req-raw"));
    assert_eq!(err.header("set-cookie"), None, "a cookie is not kept");
    assert!(err.headers().all(|(n, _)| KEPT_HEADERS.contains(&n)));
    let snippet = err.body_snippet().expect("the body's start is kept");
    assert!(snippet.starts_with("<html><body>Bad Gateway"));
    // MAX_SNIPPET_CHARS characters, then the mark that it was cut.
    assert_eq!(snippet.chars().count(), MAX_SNIPPET_CHARS + 1);
    assert!(snippet.ends_with('…'));
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("SECRET-MARKER"), "{text}");
    }
}
