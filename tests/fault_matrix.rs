//! The fault matrix of the README's troubleshooting section: one test per row, each
//! against the emulator over real loopback sockets, with the client's **default** retry
//! policy, asserting what the caller sees and how many tickets the emulator recorded.
//! "Tickets recorded" is never 2.

use std::time::Duration;

use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase, RetryPolicy};
use osm_emulator::{Emulator, Fault, RunningEmulator};

const TOKEN: &str = "matrix-token";

async fn setup() -> (RunningEmulator, Client) {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        // Long enough for a loaded machine; the delay fault waits much longer.
        .timeout(Duration::from_millis(2000))
        // The default policy, with short waits so that the tests are quick.
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(1), Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    (emu, client)
}

fn case() -> NewCase {
    NewCase::new("1", "fault matrix")
}

/// What the caller saw.
struct Seen {
    kind: ErrorKind,
    status: Option<u16>,
    outcome_unknown: bool,
    attempts: u32,
    has_request_id: bool,
}

async fn fail_with(fault: Fault) -> (Seen, usize, u64) {
    let (emu, client) = setup().await;
    emu.faults().push(fault);
    let err = client
        .create_case(&case())
        .await
        .expect_err("the fault should fail the call");
    let seen = Seen {
        kind: err.kind(),
        status: err.http_status(),
        outcome_unknown: err.outcome_unknown(),
        attempts: err.attempts(),
        has_request_id: err.request_id().is_some(),
    };
    let (tickets, requests) = (emu.ticket_count(), emu.requests_seen());
    emu.shutdown().await;
    (seen, tickets, requests)
}

#[tokio::test]
async fn row_500_internal_error() {
    let (seen, tickets, requests) =
        fail_with(Fault::error(500, "OSM.0004", "internal error")).await;
    assert_eq!((seen.kind, seen.status), (ErrorKind::Service, Some(500)));
    assert!(seen.outcome_unknown, "a 5xx may have created the ticket");
    assert_eq!((seen.attempts, requests), (1, 1), "a 5xx is not retried");
    assert!(seen.has_request_id);
    assert_eq!(tickets, 0);
}

#[tokio::test]
async fn row_502_non_json_body() {
    let (seen, tickets, requests) =
        fail_with(Fault::respond(502, "<html><h1>502 Bad Gateway</h1></html>")).await;
    assert_eq!((seen.kind, seen.status), (ErrorKind::Service, Some(502)));
    assert!(seen.outcome_unknown);
    assert!(
        seen.has_request_id,
        "the request id survives a non-JSON body"
    );
    assert_eq!((seen.attempts, requests, tickets), (1, 1, 0));
}

#[tokio::test]
async fn row_503_with_retry_after() {
    let fault =
        Fault::error(503, "APIGW.0101", "service unavailable").with_header("Retry-After", "1");
    let (seen, tickets, requests) = fail_with(fault).await;
    assert_eq!((seen.kind, seen.status), (ErrorKind::Service, Some(503)));
    assert!(seen.outcome_unknown);
    assert_eq!(
        (seen.attempts, requests, tickets),
        (1, 1, 0),
        "a 503 is not retried by default"
    );
}

#[tokio::test]
async fn row_429_then_success() {
    let (emu, client) = setup().await;
    emu.faults()
        .push(Fault::error(429, "APIGW.0308", "throttled").with_header("Retry-After", "0"));
    let created = client.create_case(&case()).await.unwrap();
    assert_eq!(created.attempts, 2);
    assert_eq!(emu.requests_seen(), 2);
    assert_eq!(emu.ticket_count(), 1);
    assert_eq!(emu.tickets()[0].incident_id, created.incident_id);
    emu.shutdown().await;
}

#[tokio::test]
async fn row_connection_dropped_before_recording() {
    let (seen, tickets, requests) = fail_with(Fault::DropBeforeRecord).await;
    assert_eq!(seen.kind, ErrorKind::Transport);
    assert!(
        seen.outcome_unknown,
        "the client cannot tell whether the service recorded it"
    );
    assert_eq!((seen.attempts, requests, tickets), (1, 1, 0));
}

#[tokio::test]
async fn row_connection_dropped_after_recording() {
    let (seen, tickets, requests) = fail_with(Fault::DropAfterRecord).await;
    assert_eq!(seen.kind, ErrorKind::Transport);
    assert!(seen.outcome_unknown);
    assert_eq!(
        (seen.attempts, requests),
        (1, 1),
        "not retried: a retry would open a second ticket"
    );
    assert_eq!(tickets, 1);
}

#[tokio::test]
async fn row_response_delayed_past_the_timeout_after_recording() {
    let (seen, tickets, requests) =
        fail_with(Fault::DelayAfterRecord(Duration::from_secs(10))).await;
    assert_eq!(seen.kind, ErrorKind::Timeout);
    assert!(seen.outcome_unknown);
    assert_eq!((seen.attempts, requests), (1, 1));
    assert_eq!(tickets, 1);
}

#[tokio::test]
async fn row_truncated_body() {
    let (seen, tickets, requests) = fail_with(Fault::TruncatedBody).await;
    assert_eq!(
        (seen.kind, seen.status),
        (ErrorKind::InvalidResponse, Some(200))
    );
    assert!(seen.outcome_unknown);
    assert_eq!((seen.attempts, requests), (1, 1));
    assert_eq!(tickets, 1);
}

#[tokio::test]
async fn row_200_carrying_a_business_error() {
    let (seen, tickets, requests) =
        fail_with(Fault::business_error("OSM.01010003", "urged too often")).await;
    assert_eq!((seen.kind, seen.status), (ErrorKind::Service, Some(200)));
    assert!(
        !seen.outcome_unknown,
        "a business error is a definite refusal"
    );
    assert_eq!((seen.attempts, requests, tickets), (1, 1, 0));
}

#[tokio::test]
async fn row_invalid_json_in_a_200() {
    let (seen, tickets, requests) = fail_with(Fault::respond(200, "{\"incident_id\": ")).await;
    assert_eq!(
        (seen.kind, seen.status),
        (ErrorKind::InvalidResponse, Some(200))
    );
    assert!(seen.outcome_unknown);
    assert_eq!((seen.attempts, requests, tickets), (1, 1, 0));
}

#[tokio::test]
async fn row_connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .credentials(Credentials::token(TOKEN))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(4)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(!err.may_have_been_sent());
    assert!(!err.outcome_unknown());
    assert_eq!(
        err.attempts(),
        4,
        "nothing was sent, so it is retried up to the policy's attempts"
    );
}

#[tokio::test]
async fn opting_in_to_ambiguous_retries_can_duplicate() {
    // Why the opt-in is an opt-in: after a drop after recording, a retry opens a second
    // ticket. The default policy above records exactly one.
    let (emu, _) = setup().await;
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(1), Duration::from_millis(20))
                .retry_when_outcome_unknown(true),
        )
        .build()
        .unwrap();
    emu.faults().push(Fault::DropAfterRecord);
    let created = client.create_case(&case()).await.unwrap();
    assert_eq!(created.attempts, 2);
    assert_eq!(
        emu.ticket_count(),
        2,
        "the opt-in retried an ambiguous failure"
    );
    emu.shutdown().await;
}
