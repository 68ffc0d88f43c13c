//! The retry policy's decisions, pinned against a real server on loopback: how many
//! attempts a policy allows, that no attempt starts after the deadline, that
//! `Retry-After` is a minimum wait, and that the backoff grows and stays under its cap.
//! Timing enters only as lower bounds a sleep guarantees, never as an upper threshold.

mod support;

use std::time::{Duration, Instant};

use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
use serde_json::json;
use support::{Reply, Server};

fn client(url: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::token("retry-token"))
        .retry(retry)
        .build()
        .unwrap()
}

fn throttled() -> Reply {
    Reply::json(
        429,
        json!({"error_code": "APIGW.0308", "error_msg": "throttled"}),
    )
}

fn case() -> NewCase {
    NewCase::new("1", "retry policy")
}

#[tokio::test]
async fn none_is_one_attempt() {
    assert_eq!(RetryPolicy::none().max_attempts(), 1);
    // A failure every policy may retry (throttling), for a create and for a look-up.
    let server = Server::start(vec![throttled()]).await;
    let c = client(&server.url, RetryPolicy::none());
    let err = c.create_case(&case()).await.unwrap_err();
    assert_eq!(err.attempts(), 1);
    let err = c.list_problem_types().send().await.unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.seen().len(), 2, "one request per call");
}

#[tokio::test]
async fn max_attempts_is_the_number_of_requests() {
    let server = Server::start(vec![throttled()]).await;
    let retry = RetryPolicy::default()
        .with_max_attempts(5)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(2));
    assert_eq!(retry.max_attempts(), 5);
    let err = client(&server.url, retry)
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!((err.attempts(), server.seen().len()), (5, 5));
}

#[tokio::test]
async fn no_attempt_starts_after_the_deadline() {
    let server = Server::start(vec![throttled()]).await;
    let retry = RetryPolicy::default()
        .with_max_attempts(50)
        .with_backoff(Duration::from_millis(5), Duration::from_millis(5))
        .with_deadline(Some(Duration::ZERO));
    assert_eq!(retry.deadline(), Some(Duration::ZERO));
    let err = client(&server.url, retry)
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(
        (err.attempts(), server.seen().len()),
        (1, 1),
        "the first attempt only: any retry would start after the deadline"
    );
    // Without a deadline the same policy uses every attempt.
    let server = Server::start(vec![throttled()]).await;
    let retry = RetryPolicy::default()
        .with_max_attempts(6)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .with_deadline(None);
    assert_eq!(retry.deadline(), None);
    let err = client(&server.url, retry)
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 6);
}

#[tokio::test]
async fn retry_after_is_a_minimum_wait() {
    let retry =
        RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2));
    for n in 2..8 {
        assert!(retry.backoff(n, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
    }
    let server = Server::start(vec![
        throttled().header("retry-after", "1"),
        Reply::json(200, json!({"incident_id": "CS1"})),
    ])
    .await;
    let started = Instant::now();
    let created = client(&server.url, retry)
        .create_case(&case())
        .await
        .unwrap();
    assert_eq!(created.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the second attempt waited for Retry-After"
    );
}

#[test]
fn the_backoff_grows_and_stays_under_its_cap() {
    let initial = Duration::from_millis(100);
    let cap = Duration::from_millis(1000);
    let retry = RetryPolicy::default().with_backoff(initial, cap);
    const SAMPLES: usize = 400;
    let mut largest = Vec::new();
    for next in 2..=12u32 {
        let bound = initial.saturating_mul(1 << (next - 2)).min(cap);
        let waits: Vec<Duration> = (0..SAMPLES).map(|_| retry.backoff(next, None)).collect();
        assert!(
            waits.iter().all(|w| *w <= bound),
            "attempt {next}: every wait is at most {bound:?} (full jitter under the grown, capped bound)"
        );
        assert!(
            waits.iter().any(|w| !w.is_zero()),
            "attempt {next}: the waits are not all zero"
        );
        largest.push(*waits.iter().max().unwrap());
    }
    // Full jitter draws from [0, bound]: over 400 draws the largest is past half the
    // bound (the chance it is not is 2^-400), so the waits grow with the attempt.
    assert!(
        largest[3] > initial.saturating_mul(4),
        "attempt 5 waits longer than attempt 4 may: {largest:?}"
    );
    assert!(
        largest[8] > cap / 2,
        "late attempts wait close to the cap: {largest:?}"
    );
    // A cap below the initial wait is raised to it.
    let flat = RetryPolicy::default().with_backoff(initial, Duration::from_millis(1));
    assert!((0..SAMPLES).all(|_| flat.backoff(9, None) <= initial));
}
