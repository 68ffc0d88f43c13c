//! The emulator under abuse: standard error that nobody reads, connections that stall
//! while sending a request, oversized headers, and the admin routes.

mod common;

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use huaweicloud_osm::Credentials;
use osm_emulator::{CASES_PATH, Emulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_keeps_answering_with_its_standard_error_unread() {
    // Standard error is a pipe that this test holds open and never reads, like a test
    // harness or `| head` that stopped reading: once the pipe is full, a write to it
    // blocks. A log line for every request fills a 64 KiB pipe in a few hundred.
    let bin = Binary::spawn_with(
        &["--listen", "127.0.0.1:0", "--token", TOKEN],
        &[("RUST_LOG", "debug")],
        Stdio::piped(),
    );
    let client = client_at(&bin.url, Credentials::token(TOKEN));
    let ids = create_many(&client, 2000, 8).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 2000);
    let status: serde_json::Value = raw()
        .get(format!("{}/__emulator/status", bin.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["ticket_count"], 2000);
    // The pipe was never read, so it is still full.
    assert!(bin.child.stderr.is_some());
}

/// How a stalled connection stops sending.
#[derive(Clone, Copy, Debug)]
enum Stall {
    /// Connects and sends nothing.
    Silent,
    /// Sends part of the headers.
    InHeaders,
    /// Sends the headers and part of a `Content-Length` body.
    InBody,
    /// Sends the headers and one chunk of a chunked body that never ends.
    InChunks,
}

const STALLS: [Stall; 4] = [
    Stall::Silent,
    Stall::InHeaders,
    Stall::InBody,
    Stall::InChunks,
];

fn stalled_request(stall: Stall) -> String {
    let head = format!(
        "POST {CASES_PATH} HTTP/1.1\r\nhost: x\r\nx-auth-token: {TOKEN}\r\ncontent-type: application/json\r\n"
    );
    match stall {
        Stall::Silent => String::new(),
        Stall::InHeaders => format!("POST {CASES_PATH} HTTP/1.1\r\nhost: x\r\nx-auth"),
        Stall::InBody => format!("{head}content-length: 100\r\n\r\n{{\"business_type"),
        Stall::InChunks => format!("{head}transfer-encoding: chunked\r\n\r\n5\r\n{{\"bus\r\n"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed_and_good_clients_are_served() {
    // Default timeouts: the emulator's own, as the README states them.
    let emu = emulator().await;
    let addr = emu.local_addr();
    const STALLED: usize = 300;
    let mut conns = Vec::with_capacity(STALLED);
    for i in 0..STALLED {
        let stall = STALLS[i % STALLS.len()];
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(stalled_request(stall).as_bytes())
            .await
            .unwrap();
        conns.push((stall, s));
    }

    // While they are all open, a good client is served.
    let client = token_client(&emu);
    for _ in 0..5 {
        client.create_case(&case()).await.unwrap();
    }

    // The emulator answers or closes every stalled connection, without help from the
    // client (which keeps its side open).
    let mut reads = tokio::task::JoinSet::new();
    for (stall, mut s) in conns {
        reads.spawn(async move {
            let mut out = Vec::new();
            let read = (&mut s).take(64 * 1024).read_to_end(&mut out).await;
            (
                stall,
                read.map(|_| String::from_utf8_lossy(&out).into_owned()),
            )
        });
    }
    let answers = tokio::time::timeout(Duration::from_secs(60), async {
        let mut answers = Vec::new();
        while let Some(done) = reads.join_next().await {
            answers.push(done.unwrap());
        }
        answers
    })
    .await
    .expect("the emulator closes stalled connections within its timeouts");
    assert_eq!(answers.len(), STALLED);
    for (stall, answer) in answers {
        let Ok(text) = answer else { continue }; // reset: closed as well
        if matches!(stall, Stall::InBody | Stall::InChunks) {
            // Headers arrived, so the emulator answers, with a request id.
            assert!(text.starts_with("HTTP/1.1 400 "), "{stall:?}: {text}");
            let lower = text.to_ascii_lowercase();
            assert!(lower.contains("x-request-id: "), "{stall:?}: {text}");
            assert!(text.contains("\"OSM.0001\""), "{stall:?}: {text}");
        }
    }
    assert_eq!(emu.ticket_count(), 5);
    // And still served afterwards, on a new connection: the pooled one of `client` has
    // been idle as long as the stalled ones, and the emulator may close it just as a
    // reuse starts (a create is not resent on such a failure).
    token_client(&emu).create_case(&case()).await.unwrap();
    emu.shutdown().await;
}

/// Sends raw bytes and reads the answer until the emulator closes the connection.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(60),
        (&mut s).take(64 * 1024).read_to_end(&mut out),
    )
    .await
    .expect("answered")
    .expect("reads");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn oversized_headers_are_answered_with_a_request_id() {
    let emu = emulator().await;
    // More header fields than the server parses: HTTP's own 431, from hyper.
    let many: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
    let text = exchange(
        emu.local_addr(),
        format!("POST {CASES_PATH} HTTP/1.1\r\nhost: x\r\n{many}\r\n").as_bytes(),
    )
    .await;
    assert!(
        text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{text}"
    );
    let id = text
        .split("\r\n")
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no X-Request-Id: {text}"));
    assert_is_request_id(&id);
    // Exactly one, and the answer is otherwise intact.
    assert_eq!(text.to_ascii_lowercase().matches("x-request-id").count(), 1);
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    assert_eq!(emu.requests_seen(), 0);

    // The server still serves, on a new connection.
    token_client(&emu).create_case(&case()).await.unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn a_request_id_is_added_only_where_it_is_missing() {
    let emu = emulator().await;
    // An answer of the emulator's own, whose body holds what hyper's 431 starts with:
    // left as it is.
    emu.faults().push(osm_emulator::Fault::respond(
        400,
        "HTTP/1.1 431 Request Header Fields Too Large\r\n",
    ));
    let body = body().to_string();
    let text = exchange(
        emu.local_addr(),
        format!(
            "POST {CASES_PATH} HTTP/1.1\r\nhost: x\r\nx-auth-token: {TOKEN}\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert_eq!(
        text.to_ascii_lowercase().matches("x-request-id").count(),
        1,
        "{text}"
    );
    assert!(
        text.ends_with("\r\n\r\nHTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{text:?}"
    );
    emu.shutdown().await;
}

const ADMIN_TOKEN: &str = "admin-token-MARKER-7f3c91";

async fn admin_get(url: &str, route: &str, authorization: Option<&str>) -> Answer {
    let mut request = raw().get(format!("{url}/__emulator/{route}"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    Answer::from(request.send().await.unwrap()).await
}

#[tokio::test]
async fn with_an_admin_token_the_admin_routes_need_it() {
    let emu = Emulator::builder()
        .token(TOKEN)
        .admin_token(ADMIN_TOKEN)
        .start()
        .await
        .unwrap();
    let url = emu.base_url();
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some(ADMIN_TOKEN),
        Some(&format!("Basic {ADMIN_TOKEN}")),
        Some(&format!("Bearer {ADMIN_TOKEN}x")),
    ] {
        for route in ["status", "tickets", "faults", "nope"] {
            let a = admin_get(&url, route, authorization).await;
            let msg = a.assert_error(401, "EMULATOR.0002", false);
            assert!(!msg.contains(ADMIN_TOKEN), "{msg}");
            assert_eq!(a.headers["www-authenticate"], "Bearer");
        }
    }
    // Faults cannot be queued without it either.
    let a = Answer::from(
        raw()
            .post(format!("{url}/__emulator/faults"))
            .body(r#"{"fault": "drop_after_record"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(401, "EMULATOR.0002", false);
    assert!(emu.faults().is_empty());

    // The service itself does not need it; the admin routes answer with it.
    token_client(&emu).create_case(&case()).await.unwrap();
    let a = admin_get(&url, "status", Some(&bearer)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["ticket_count"], 1);
    assert_eq!(
        a.json()["requests_seen"],
        1,
        "admin requests are not counted"
    );
    let a = admin_get(&url, "tickets", Some(&format!("bearer {ADMIN_TOKEN}"))).await;
    assert_eq!(a.status, 200, "the scheme is case-insensitive: {}", a.text);
    emu.shutdown().await;
}

#[tokio::test]
async fn without_an_admin_token_the_admin_routes_stay_open() {
    let emu = emulator().await;
    let a = admin_get(&emu.base_url(), "status", None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    emu.shutdown().await;
}

/// Lower-case hex of `s`.
fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_takes_the_admin_token_from_a_flag_or_the_environment_and_never_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = "wrong-admin-MARKER-51a0";
    for from_env in [false, true] {
        let log_path = dir.path().join(format!("stderr-{from_env}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let mut args = vec!["--listen", "127.0.0.1:0", "--token", TOKEN];
        let mut env = vec![("RUST_LOG", "trace")];
        if from_env {
            env.push(("OSM_EMULATOR_ADMIN_TOKEN", ADMIN_TOKEN));
        } else {
            args.extend(["--admin-token", ADMIN_TOKEN]);
        }
        let mut bin = Binary::spawn_with(&args, &env, Stdio::from(log));
        let url = bin.url.clone();
        admin_get(&url, "status", None)
            .await
            .assert_error(401, "EMULATOR.0002", false);
        admin_get(&url, "status", Some(&format!("Bearer {wrong}")))
            .await
            .assert_error(401, "EMULATOR.0002", false);
        let a = admin_get(&url, "tickets", Some(&format!("Bearer {ADMIN_TOKEN}"))).await;
        assert_eq!(a.status, 200, "{}", a.text);
        client_at(&url, Credentials::token(TOKEN))
            .create_case(&case())
            .await
            .unwrap();

        let killed = std::process::Command::new("kill")
            .args(["-TERM", &bin.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        assert!(bin.child.wait().unwrap().success());
        let log = std::fs::read_to_string(&log_path).unwrap();
        // The log is there, and says what happened...
        assert!(
            log.contains("admin request without the admin token"),
            "{log}"
        );
        assert!(log.contains("/__emulator/tickets"), "{log}");
        // ...but holds neither the admin token nor the wrong one, in any form.
        for secret in [ADMIN_TOKEN, wrong] {
            for form in [secret.to_owned(), hex(secret), "MARKER".to_owned()] {
                assert!(!log.contains(&form), "{form} in the log:\n{log}");
            }
        }
    }
}
