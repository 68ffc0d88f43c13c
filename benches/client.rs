//! criterion benches, each against a baseline measured in the same run:
//!
//! - `prepare/*`: preparing one request (validate, serialise, sign) vs a hand-written
//!   baseline that only serialises with serde_json and signs with the same HMAC.
//! - `create_call/*`: one create over keep-alive loopback, our client (AK/SK signed,
//!   validated) vs raw reqwest posting identical pre-built bytes to the same server.
//!
//! `cargo xtask bench` runs these and prints the ratios; see the README's Performance
//! section.

use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use huaweicloud_osm::signing::{self, SigningKey};
use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

fn case() -> NewCase {
    NewCase::new(
        "5",
        "ECS instance ecs-01 in ap-southeast-3 stopped answering on port 443 after a resize",
    )
    .region_id("ap-southeast-3")
    .severity_id("2")
    .remind_mail("ops@example.com")
    .accessory_ids(["att-1", "att-2"])
}

fn prepare(c: &mut Criterion) {
    let sk = SecretString::from("sk-bench-secret".to_owned());
    let key = SigningKey {
        access_key: "AKBENCH",
        secret_key: &sk,
        security_token: None,
        domain_id: None,
    };
    let url =
        reqwest::Url::parse("https://osm.ap-southeast-3.myhuaweicloud.com/v2/servicerequest/cases")
            .unwrap();
    let case = case();
    let now = SystemTime::now();
    let mut group = c.benchmark_group("prepare");
    group.bench_function("client", |b| {
        b.iter(|| {
            let typed = case.validate().unwrap();
            let body = serde_json::to_vec(&typed).unwrap();
            let mut headers = HeaderMap::new();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            signing::sign(&key, "POST", &url, &mut headers, &body, now).unwrap();
            (body, headers)
        })
    });
    let raw = case.body().clone();
    group.bench_function("baseline_serde_hmac", |b| {
        b.iter(|| {
            let body = serde_json::to_vec(&raw).unwrap();
            let sts = format!(
                "SDK-HMAC-SHA256\n20261128T083000Z\n{}",
                signing::hex_sha256(&body)
            );
            (body, signing::signature("sk-bench-secret", &sts))
        })
    });
    group.finish();
}

/// A minimal server answering every POST with a fixed ticket.
async fn minimal_server() -> String {
    let app = axum::Router::new().fallback(|| async {
        (
            [
                ("content-type", "application/json"),
                ("x-request-id", "bench"),
            ],
            r#"{"incident_id":"CS-BENCH"}"#,
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn create_call(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = rt.block_on(minimal_server());
    let client = Client::builder()
        .endpoint(&url)
        .credentials(Credentials::ak_sk("AKBENCH", "sk-bench-secret"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let raw = reqwest::Client::new();
    let body = serde_json::to_vec(&case().validate().unwrap()).unwrap();
    let endpoint = format!("{url}/v2/servicerequest/cases");
    let case = case();
    let mut group = c.benchmark_group("create_call");
    group.bench_function("client", |b| {
        b.to_async(&rt)
            .iter(|| async { client.create_case(&case).await.unwrap() })
    });
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let r = raw
                .post(&endpoint)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            r.bytes().await.unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, prepare, create_call);
criterion_main!(benches);
