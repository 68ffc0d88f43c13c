//! Every fault kind, and what the library's client makes of it.

mod common;

use std::time::Duration;

use common::*;
use huaweicloud_osm::{Client, Credentials, ErrorKind, RetryPolicy};
use osm_emulator::Fault;

#[tokio::test]
async fn canned_responses() {
    let emu = emulator().await;
    let client = token_client(&emu);

    // 500 OSM.0004: a service error after which the ticket may exist.
    emu.faults()
        .push(Fault::error(500, "OSM.0004", "internal error"));
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(err.error_code(), Some("OSM.0004"));
    assert_eq!(err.error_msg(), Some("internal error"));
    assert!(err.outcome_unknown());
    assert_is_request_id(err.request_id().unwrap());

    // 502 with an HTML page from a proxy.
    emu.faults().push(Fault::respond(
        502,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
    ));
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(502));
    assert_eq!(err.error_code(), None);
    assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
    assert!(err.outcome_unknown());

    // 503 and 429 with Retry-After.
    emu.faults().push(
        Fault::error(503, "APIGW.0201", "Backend unavailable").with_header("Retry-After", "3"),
    );
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert!(err.outcome_unknown());
    emu.faults().push(
        Fault::error(
            429,
            "APIGW.0308",
            "The throttling threshold has been reached",
        )
        .with_header("Retry-After", "2"),
    );
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.error_code(), Some("APIGW.0308"));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    assert!(!err.outcome_unknown());

    // A business error carried by HTTP 200.
    emu.faults()
        .push(Fault::business_error("OSM.01010003", "urged too often"));
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(err.error_code(), Some("OSM.01010003"));
    assert_eq!(err.error_msg(), Some("urged too often"));
    assert!(!err.outcome_unknown());

    // A 200 whose body is not JSON.
    emu.faults().push(Fault::respond(200, "{\"incident_id\": "));
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.outcome_unknown());

    assert_eq!(emu.ticket_count(), 0, "canned answers record nothing");
    assert_eq!(emu.requests_seen(), 6);
    // Back to normal.
    client.create_case(&case()).await.unwrap();
    assert_eq!(emu.ticket_count(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn throttled_call_is_retried_by_the_default_policy() {
    let emu = emulator().await;
    emu.faults().push(
        Fault::error(
            429,
            "APIGW.0308",
            "The throttling threshold has been reached",
        )
        .with_header("Retry-After", "0"),
    );
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let created = client.create_case(&case()).await.unwrap();
    assert_eq!(created.attempts, 2);
    assert_eq!(emu.ticket_count(), 1);
    assert_eq!(emu.requests_seen(), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn delay_after_record_makes_the_client_time_out() {
    let emu = emulator().await;
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .retry(RetryPolicy::none())
        // Long enough for the request to arrive and be recorded on a loaded machine,
        // far shorter than the delay.
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    emu.faults()
        .push(Fault::DelayAfterRecord(Duration::from_secs(30)));
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.outcome_unknown());
    assert_eq!(emu.ticket_count(), 1, "the ticket exists all the same");
    // Shutdown does not wait for the 30 s delay.
    let started = std::time::Instant::now();
    emu.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn delay_before_record_opens_the_ticket_after_the_client_gave_up() {
    let emu = emulator().await;
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    emu.faults()
        .push(Fault::DelayBeforeRecord(Duration::from_millis(1200)));
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.outcome_unknown());
    // The client has closed its connection; the emulator goes on and opens the ticket.
    let mut waited = 0;
    while emu.ticket_count() == 0 && waited < 200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(
        emu.ticket_count(),
        1,
        "the ticket appears after the timeout"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn dropped_connections() {
    let emu = emulator().await;
    let client = token_client(&emu);

    emu.faults().push(Fault::DropBeforeRecord);
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(err.outcome_unknown());
    assert_eq!(err.http_status(), None);
    assert_eq!(emu.ticket_count(), 0);

    emu.faults().push(Fault::DropAfterRecord);
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(err.outcome_unknown());
    assert_eq!(emu.ticket_count(), 1);

    assert_eq!(emu.requests_seen(), 2);
    client.create_case(&case()).await.unwrap();
    assert_eq!(emu.ticket_count(), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn truncated_body() {
    let emu = emulator().await;
    let client = token_client(&emu);
    emu.faults().push(Fault::TruncatedBody);
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err:?}");
    assert!(err.outcome_unknown());
    assert_eq!(err.http_status(), Some(200));
    assert_is_request_id(err.request_id().unwrap());
    assert_eq!(emu.ticket_count(), 1);

    // On the wire: the declared length is more than what comes before the close.
    emu.faults().push(Fault::TruncatedBody);
    let response = raw()
        .post(format!("{}/v2/servicerequest/cases", emu.base_url()))
        .header("x-auth-token", TOKEN)
        .header("content-type", "application/json")
        .body(body().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let declared = response.content_length().unwrap();
    assert!(declared > 20);
    assert!(response.bytes().await.is_err());
    assert_eq!(emu.ticket_count(), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_apply_in_order_to_valid_requests_only() {
    let emu = emulator().await;
    let good = token_client(&emu);
    emu.faults()
        .push_times(Fault::error(500, "OSM.0004", "internal error"), 2);
    emu.faults()
        .push(Fault::business_error("OSM.01010001", "validation failed"));

    // A refused request does not take a fault.
    let err = client(&emu, Credentials::token("wrong"))
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.0002"));
    assert_eq!(emu.faults().remaining(), 3);

    for expected in ["OSM.0004", "OSM.0004", "OSM.01010001"] {
        let err = good.create_case(&case()).await.unwrap_err();
        assert_eq!(err.error_code(), Some(expected));
    }
    assert!(emu.faults().is_empty());
    good.create_case(&case()).await.unwrap();
    assert_eq!(emu.ticket_count(), 1);
    emu.shutdown().await;
}
