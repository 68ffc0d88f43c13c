//! `Error`'s public constructors, as an application's unit tests use them: no server,
//! and every question answered as for the client's own errors.

use std::error::Error as _;
use std::time::Duration;

use huaweicloud_osm::error::{MAX_HEADER_CHARS, MAX_SNIPPET_CHARS};
use huaweicloud_osm::{Error, ErrorKind, rules};

#[test]
fn service_errors_answer_like_the_clients_own() {
    let e = Error::service(400, "OSM.0001", "Parameter check failed").with_request_id("req-1");
    assert_eq!(e.kind(), ErrorKind::Service);
    assert_eq!(e.http_status(), Some(400));
    assert_eq!(e.error_code(), Some("OSM.0001"));
    assert_eq!(e.error_msg(), Some("Parameter check failed"));
    assert!(!e.is_auth() && !e.is_retryable() && !e.outcome_unknown());
    assert_eq!(
        e.to_string(),
        "the service refused the request: OSM.0001 (HTTP 400): Parameter check failed (request id req-1)"
    );

    let e = Error::service(403, "", "");
    assert_eq!(e.error_code(), None);
    assert!(e.is_auth());
    assert_eq!(e.to_string(), "the service refused the request: HTTP 403");

    let e = Error::service(500, "OSM.0004", "Internal error").with_operation(rules::CREATE_CASE);
    assert!(e.outcome_unknown());
    assert_eq!(e.operation(), Some("create_case"));
    assert!(
        e.to_string()
            .ends_with("; the ticket may or may not have been created")
    );

    let e = Error::service(429, "", "").with_retry_after(Duration::from_secs(5));
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(5)));
}

#[test]
fn transport_errors_depend_on_the_operation() {
    let create = Error::timeout()
        .with_operation(rules::CREATE_CASE)
        .with_attempts(1);
    assert!(create.is_timeout() && create.outcome_unknown() && !create.is_retryable());
    assert_eq!(create.attempts(), 1);
    let list = Error::transport().with_operation(rules::LIST_CASES);
    assert!(!list.outcome_unknown() && list.is_retryable());
    let connect = Error::connect().with_operation(rules::CREATE_CASE);
    assert!(!connect.may_have_been_sent() && connect.is_retryable());
    assert_eq!(
        connect.to_string(),
        "could not connect to the service; nothing was sent"
    );
}

#[test]
fn a_source_is_chained_not_printed() {
    let cause = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused here");
    let e = Error::connect().with_source(cause);
    assert!(!e.to_string().contains("refused here"));
    assert_eq!(e.source().unwrap().to_string(), "refused here");
    assert_eq!(
        format!("{:#}", anyhow::Error::from(e)),
        "could not connect to the service; nothing was sent: refused here"
    );
}

#[test]
fn headers_and_body_are_kept_within_bounds() {
    let e = Error::service(502, "", "")
        .with_header("Retry-After", "9")
        .with_header("Set-Cookie", "session=1")
        .with_header("Server", &"s".repeat(MAX_HEADER_CHARS + 10))
        .with_body("x\n".repeat(MAX_SNIPPET_CHARS * 3).as_bytes());
    assert_eq!(e.header("retry-after"), Some("9"));
    assert_eq!(e.header("set-cookie"), None);
    assert_eq!(e.header("server").unwrap().len(), MAX_HEADER_CHARS);
    let snippet = e.body_snippet().unwrap();
    assert_eq!(snippet.chars().count(), MAX_SNIPPET_CHARS + 1);
    assert!(!snippet.contains('\n'));
    assert_eq!(Error::invalid_response("odd").body_snippet(), None);
}

#[test]
fn other_kinds() {
    assert_eq!(Error::credentials("expired").kind(), ErrorKind::Credentials);
    assert_eq!(Error::configuration("bad").kind(), ErrorKind::Configuration);
    let e = Error::invalid_response("no ticket id").with_operation(rules::CREATE_CASE);
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.outcome_unknown());
}
