//! A real HTTP server on loopback for the client's tests: it records every request and
//! answers with whatever the test scripted.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the client sent JSON")
    }
}

/// A scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "application/json".into()),
                ("x-request-id", "req-0123456789abcdef".into()),
            ],
            body: body.to_string(),
        }
    }

    pub fn raw(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", content_type.into()),
                ("x-request-id", "req-raw".into()),
            ],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Clone)]
struct State {
    seen: Arc<Mutex<Vec<Seen>>>,
    replies: Arc<Mutex<Vec<Reply>>>,
}

/// The running server.
pub struct Server {
    pub url: String,
    state: State,
}

impl Server {
    /// Starts a server answering every request with `replies` in turn, repeating the
    /// last one.
    pub async fn start(replies: Vec<Reply>) -> Server {
        let state = State {
            seen: Arc::default(),
            replies: Arc::new(Mutex::new(replies)),
        };
        let app = axum::Router::new()
            .fallback(handler)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { url, state }
    }

    /// Answers success with a fixed ticket id.
    pub async fn ok() -> Server {
        Self::start(vec![Reply::json(
            200,
            serde_json::json!({"incident_id": "CS20261128000001"}),
        )])
        .await
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn only(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(seen.len(), 1, "expected exactly one request");
        seen.into_iter().next().unwrap()
    }
}

async fn handler(
    axum::extract::State(state): axum::extract::State<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.seen.lock().unwrap().push(Seen {
        method,
        uri,
        headers,
        body,
    });
    let reply = {
        let mut replies = state.replies.lock().unwrap();
        if replies.len() > 1 {
            replies.remove(0)
        } else {
            replies[0].clone()
        }
    };
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// A client with a token, no retries, pointed at `url`.
pub fn client(url: &str) -> huaweicloud_osm::Client {
    huaweicloud_osm::Client::builder()
        .endpoint(url)
        .credentials(huaweicloud_osm::Credentials::token("test-token-value"))
        .retry(huaweicloud_osm::RetryPolicy::none())
        .build()
        .unwrap()
}

/// A case with every body field set.
pub fn full_case() -> huaweicloud_osm::NewCase {
    let mut extends = serde_json::Map::new();
    extends.insert("channel".into(), serde_json::json!("alerting"));
    let mut extension = serde_json::Map::new();
    extension.insert("priority".into(), serde_json::json!(2));
    huaweicloud_osm::NewCase::new("5", "disk full on ecs-01")
        .incident_sub_type_id("sub-1")
        .product_category_id("ecs")
        .region_id("ap-southeast-3")
        .remind_mobile("13800000000")
        .remind_mail("ops@example.com")
        .remind_time("09:00-18:00")
        .project_id("0123456789abcdef0123456789abcdef")
        .accessory_ids(["att-1", "att-2"])
        .extends_map(extends)
        .extension_map(extension)
        .severity_id("2")
        .verify_code("123456")
        .area_code("86")
}

/// A client of the emulator at `base_url`, signing with `ak`/`sk` as the account `domain`
/// (`X-Domain-Id`): the emulator keeps each account's records apart.
pub fn account_client(base_url: &str, ak: &str, sk: &str, domain: &str) -> huaweicloud_osm::Client {
    huaweicloud_osm::Client::builder()
        .endpoint(base_url)
        .credentials(huaweicloud_osm::Credentials::ak_sk(ak, sk).with_domain_id(domain))
        .build()
        .unwrap()
}
