//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

pub const TOKEN: &str = "test-token";
pub const AK: &str = "AKTEST";
pub const SK: &str = "sk-test-secret";

/// An emulator accepting [`TOKEN`] and the pair [`AK`]/[`SK`].
pub async fn emulator() -> RunningEmulator {
    Emulator::builder()
        .token(TOKEN)
        .ak_sk(AK, SK)
        .start()
        .await
        .expect("emulator starts")
}

/// The library's client, no retries.
pub fn client(emulator: &RunningEmulator, credentials: Credentials) -> Client {
    client_at(&emulator.base_url(), credentials)
}

pub fn client_at(url: &str, credentials: Credentials) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(credentials)
        .retry(RetryPolicy::none())
        .build()
        .expect("client builds")
}

pub fn token_client(emulator: &RunningEmulator) -> Client {
    client(emulator, Credentials::token(TOKEN))
}

pub fn case() -> NewCase {
    NewCase::new("1", "disk full on ecs-01")
}

/// A raw HTTP client, for what the library would refuse to send.
pub fn raw() -> reqwest::Client {
    // The workspace's reqwest brings no crypto provider of its own; an error means one
    // is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client builds")
}

/// A valid body.
pub fn body() -> Value {
    serde_json::json!({
        "business_type_id": "1",
        "simple_description": "disk full on ecs-01",
        "source_id": "83aeb0f2834c4df49826c781d32a963e",
    })
}

/// What a raw call got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Self {
        Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body reads"),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn request_id(&self) -> String {
        let id = self
            .headers
            .get("x-request-id")
            .expect("every answer has X-Request-Id")
            .to_str()
            .unwrap()
            .to_owned();
        assert_is_request_id(&id);
        id
    }

    /// Asserts the vendor's error shape; `gateway` errors carry `request_id` in the body
    /// too, equal to the header. Returns `error_msg`.
    pub fn assert_error(&self, status: u16, code: &str, gateway: bool) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        let rid = self.request_id();
        let json = self.json();
        let obj = json.as_object().expect("error body is an object");
        assert_eq!(obj["error_code"], code, "{}", self.text);
        let msg = obj["error_msg"].as_str().expect("error_msg is a string");
        assert!(!msg.is_empty());
        if gateway {
            assert_eq!(obj["request_id"], rid.as_str());
            assert_eq!(obj.len(), 3, "{}", self.text);
        } else {
            assert_eq!(obj.len(), 2, "{}", self.text);
        }
        let ct = self.headers["content-type"].to_str().unwrap();
        assert!(ct.starts_with("application/json"), "{ct}");
        msg.to_owned()
    }
}

pub fn assert_is_request_id(id: &str) {
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}

/// Creates `total` tickets with `in_flight` calls at a time through one client;
/// returns the ids.
pub async fn create_many(client: &Client, total: usize, in_flight: usize) -> Vec<String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let client = client.clone();
        let next = next.clone();
        workers.spawn(async move {
            let mut ids = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let created = client.create_case(&case()).await.expect("create succeeds");
                ids.push(created.incident_id);
            }
            ids
        });
    }
    let mut ids = Vec::with_capacity(total);
    while let Some(batch) = workers.join_next().await {
        ids.extend(batch.expect("worker finishes"));
    }
    ids
}

/// The `osm-emulator` binary, killed when dropped.
pub struct Binary {
    pub child: Child,
    pub url: String,
}

impl Binary {
    /// Starts the binary with `RUST_LOG=warn`, its standard error inherited.
    pub fn spawn(args: &[&str]) -> Self {
        Self::spawn_with(args, &[("RUST_LOG", "warn")], Stdio::inherit())
    }

    /// Starts the binary with these environment variables and standard error, and
    /// reads its base URL from the first line of its standard output.
    pub fn spawn_with(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_osm-emulator"))
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_owned();
        if !url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            let _ = child.wait();
            panic!("first line: {line:?}");
        }
        Self { child, url }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
