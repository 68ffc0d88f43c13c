//! insta snapshots: the JSON bytes on the wire and the text of every kind of error. (The
//! generated code is committed under `src/generated/`; its diff is the review, and
//! `xtask/tests/generated_fresh.rs` fails when it no longer matches the spec.) With `CI` set, insta writes nothing and fails on any drift;
//! locally, review changes with `cargo insta review` (or accept with
//! `INSTA_UPDATE=always cargo test`).

mod support;

use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
use serde_json::json;
use support::{Reply, Server};

async fn wire_body(case: NewCase) -> String {
    let server = Server::ok().await;
    support::client(&server.url)
        .create_case(&case)
        .await
        .unwrap();
    String::from_utf8(server.only().body.to_vec()).unwrap()
}

#[tokio::test]
async fn minimal_request_bytes() {
    insta::assert_snapshot!(wire_body(NewCase::new("1", "disk full on ecs-01")).await);
}

#[tokio::test]
async fn full_request_bytes() {
    let case = support::full_case();
    insta::assert_snapshot!(wire_body(case).await);
}

async fn error_text(replies: Vec<Reply>, case: NewCase, retry: RetryPolicy) -> String {
    let server = Server::start(replies).await;
    let client = Client::builder()
        .endpoint(&server.url)
        .credentials(Credentials::token("t"))
        .timeout(std::time::Duration::from_millis(500))
        .retry(retry)
        .build()
        .unwrap();
    client.create_case(&case).await.unwrap_err().to_string()
}

#[tokio::test]
async fn error_display() {
    let ok = || Reply::json(200, json!({"incident_id": "x"}));
    let mut lines = Vec::new();
    let none = RetryPolicy::none;
    lines.push((
        "validation",
        error_text(
            vec![ok()],
            // One character over the spec's limit (the snapshot shows the numbers as MAX).
            NewCase::new("1", "x".repeat(description_max() + 1)),
            none(),
        )
        .await
        .replace(&(description_max() + 1).to_string(), "MAX+1")
        .replace(&description_max().to_string(), "MAX"),
    ));
    lines.push((
        "service 4xx",
        error_text(
            vec![Reply::json(
                400,
                json!({"error_code": "OSM.0001", "error_msg": "Parameter check failed"}),
            )],
            NewCase::new("1", "x"),
            none(),
        )
        .await,
    ));
    lines.push((
        "service 5xx",
        error_text(
            vec![Reply::json(
                500,
                json!({"error_code": "OSM.0004", "error_msg": "Internal error"}),
            )],
            NewCase::new("1", "x"),
            none(),
        )
        .await,
    ));
    lines.push((
        "business error in a 200",
        error_text(
            vec![Reply::json(
                200,
                json!({"error_code": "OSM.01010005", "error_msg": "Severity not found"}),
            )],
            NewCase::new("1", "x"),
            none(),
        )
        .await,
    ));
    lines.push((
        "non-JSON 502",
        error_text(
            vec![Reply::raw(502, "text/html", "<h1>Bad Gateway</h1>")],
            NewCase::new("1", "x"),
            none(),
        )
        .await,
    ));
    lines.push((
        "invalid 200",
        error_text(
            vec![Reply::raw(200, "application/json", "{}")],
            NewCase::new("1", "x"),
            none(),
        )
        .await,
    ));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let connect = Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .credentials(Credentials::token("t"))
        .retry(none())
        .build()
        .unwrap()
        .create_case(&NewCase::new("1", "x"))
        .await
        .unwrap_err()
        .to_string();
    lines.push(("connect", connect));
    let creds = Credentials::from_lookup(|_| None).unwrap_err().to_string();
    lines.push(("credentials", creds));
    let text: String = lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
    insta::assert_snapshot!(text);
}

/// The spec's limit of a ticket's description.
fn description_max() -> usize {
    huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap()
}
