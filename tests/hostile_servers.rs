//! The client against servers that misbehave on purpose: small raw TCP servers on
//! loopback that read one request and answer with whatever bytes the test chose. Every
//! loop is bounded.

use std::time::{Duration, Instant};

use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a hostile server sends after reading a request's headers.
#[derive(Clone)]
enum Answer {
    /// These bytes, then close.
    Bytes(Vec<u8>),
    /// These headers, then body chunks forever (until the client goes away or a
    /// minute passes).
    Endless(Vec<u8>),
}

/// Serves `answer` to every connection; returns the base URL.
async fn hostile(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                // Read the request head and body (bounded); the body's length is known
                // from Content-Length, which the client always sends.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let deadline = Instant::now() + Duration::from_secs(10);
                while buf.len() < 1 << 20 && Instant::now() < deadline {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                match answer {
                    Answer::Bytes(b) => {
                        let _ = sock.write_all(&b).await;
                        let _ = sock.shutdown().await;
                    }
                    Answer::Endless(head) => {
                        if sock.write_all(&head).await.is_err() {
                            return;
                        }
                        let block = vec![b'x'; 64 * 1024];
                        let chunk = [
                            format!("{:x}\r\n", block.len()).into_bytes(),
                            block,
                            b"\r\n".to_vec(),
                        ]
                        .concat();
                        let stop = Instant::now() + Duration::from_secs(60);
                        while Instant::now() < stop {
                            if sock.write_all(&chunk).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    url
}

fn response(status: &str, headers: &[&str], body: &[u8]) -> Answer {
    let mut out = format!("HTTP/1.1 {status}\r\nx-request-id: hostile-1\r\nconnection: close\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    if !headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("content-length"))
    {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Answer::Bytes(bytes)
}

fn client(url: &str) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::token("t"))
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn case() -> NewCase {
    NewCase::new("1", "x")
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_limit_and_the_outcome_is_unknown() {
    let url = hostile(Answer::Endless(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
    ))
    .await;
    let err = client(&url).create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    assert!(err.outcome_unknown());
    assert!(
        err.to_string()
            .contains(&huaweicloud_osm::exec::MAX_RESPONSE_BYTES.to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn a_huge_content_length_is_refused_before_reading() {
    let url = hostile(response(
        "200 OK",
        &[
            "content-type: application/json",
            "content-length: 2147483648",
        ],
        b"{",
    ))
    .await;
    let started = Instant::now();
    let err = client(&url).create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("2147483648 bytes"), "{err}");
    assert!(err.outcome_unknown());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "not read whole"
    );
}

#[tokio::test]
async fn a_huge_retry_after_neither_panics_nor_sleeps() {
    let url = hostile(response(
        "429 Too Many Requests",
        &[
            "content-type: application/json",
            "retry-after: 18446744073709551615",
        ],
        br#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
    ))
    .await;
    let client = Client::builder()
        .endpoint(&url)
        .credentials(Credentials::token("t"))
        // Retrying 429s is allowed; no deadline, so only the cap stops a long wait.
        .retry(RetryPolicy::default().with_deadline(None))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.attempts(), 1, "a wait past the cap is not made");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(u64::MAX)));
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn a_201_or_204_is_not_a_refusal() {
    for status in ["201 Created", "204 No Content"] {
        let body: &[u8] = if status.starts_with("204") {
            b""
        } else {
            br#"{"incident_id":"CS1"}"#
        };
        let url = hostile(response(status, &["content-type: application/json"], body)).await;
        let err = client(&url).create_case(&case()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{status}: {err}");
        assert!(err.outcome_unknown(), "{status}: the ticket may exist");
    }
}

#[tokio::test]
async fn an_empty_or_forged_ticket_id_is_not_a_ticket() {
    for (body, words) in [
        (r#"{"incident_id":""}"#, "empty ticket id"),
        (
            "{\"incident_id\":\"CS1\\u001b[31m\\nforged line\"}",
            "control characters",
        ),
    ] {
        let url = hostile(response(
            "200 OK",
            &["content-type: application/json"],
            body.as_bytes(),
        ))
        .await;
        let err = client(&url).create_case(&case()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{body}");
        assert!(err.outcome_unknown());
        assert!(err.to_string().contains(words), "{err}");
        assert!(
            !err.to_string().contains('\u{1b}'),
            "no raw escape in the message"
        );
    }
}

#[tokio::test]
async fn a_compressed_answer_is_refused_clearly() {
    let url = hostile(response(
        "200 OK",
        &["content-type: application/json", "content-encoding: gzip"],
        &[0x1f, 0x8b, 0x08, 0x00, 0x00],
    ))
    .await;
    let err = client(&url).create_case(&case()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("gzip"), "{err}");
}

#[tokio::test]
async fn an_endpoint_with_a_path_prefix_keeps_the_operation_path() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let n = sock.read(&mut buf).await.unwrap();
        let line = String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        let body = br#"{"incident_id":"CS1"}"#;
        let _ = sock
            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes())
            .await;
        let _ = sock.write_all(body).await;
        line
    });
    client(&format!("http://{addr}/prefix/"))
        .create_case(&case())
        .await
        .unwrap();
    assert_eq!(
        seen.await.unwrap(),
        "POST /prefix/v2/servicerequest/cases HTTP/1.1"
    );
}

#[test]
fn endpoints_with_a_query_fragment_or_user_are_refused() {
    for endpoint in [
        "http://h/prefix?x=1",
        "http://h/prefix#f",
        "http://user:s3cr3t-marker@h",
    ] {
        let err = Client::builder()
            .endpoint(endpoint)
            .credentials(Credentials::token("t"))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration, "{endpoint}");
        assert!(!err.to_string().contains("s3cr3t-marker"), "{err}");
    }
}

#[tokio::test]
async fn an_empty_token_is_refused_before_sending() {
    let err = Client::builder()
        .endpoint("http://127.0.0.1:9")
        .credentials(Credentials::token(""))
        .build()
        .unwrap()
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(!err.may_have_been_sent());
}
