//! criterion benches, each against a baseline measured in the same run:
//!
//! - `prepare/*`: preparing one request (validate, serialise, sign) vs a hand-written
//!   baseline that serialises the same JSON object with serde_json and signs the same
//!   canonical request with the same HMAC (checked to produce the same `Authorization`
//!   before anything is timed).
//! - `create_call/*`: one create over keep-alive loopback, our client (AK/SK signed,
//!   validated) vs raw reqwest posting identical pre-built bytes (body, headers and
//!   signature) to the same minimal server.
//! - `emulator/*`: the emulator's create handler, as one request over keep-alive
//!   loopback: raw reqwest posting the same pre-signed request to the emulator (which
//!   verifies the signature, validates and records) vs to the minimal server.
//!
//! The servers run on a runtime of their own (one worker thread), the callers on a
//! current-thread runtime, as two processes would. `cargo xtask bench` measures the
//! same comparisons with interleaved rounds and prints the ratios; see the README's
//! Performance section.

mod common;

use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use huaweicloud_osm::{Client, Credentials, RetryPolicy};

fn prepare(c: &mut Criterion) {
    common::check_baseline_is_equivalent();
    let url = common::url(common::ENDPOINT);
    let host = url.host_str().expect("a host").to_owned();
    let case = common::case();
    let now = SystemTime::now();
    let mut group = c.benchmark_group("prepare");
    common::with_key(|key| {
        group.bench_function("client", |b| {
            b.iter(|| common::client_prepare(&case, key, &url, now))
        });
    });
    let raw = case.body().clone();
    group.bench_function("baseline_serde_hmac", |b| {
        b.iter(|| common::baseline_prepare(&raw, &host, now))
    });
    group.finish();
}

fn create_call(c: &mut Criterion) {
    let servers = common::server_runtime();
    let rt = common::client_runtime();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = servers.block_on(common::minimal_server());
    let client = Client::builder()
        .endpoint(&url)
        .credentials(Credentials::ak_sk(common::AK, common::SK))
        .retry(RetryPolicy::none())
        .build()
        .expect("builds");
    let raw = reqwest::Client::new();
    let (body, headers) = common::prebuilt_request(&url);
    let endpoint = format!("{url}{}", common::PATH);
    let case = common::case();
    let mut group = c.benchmark_group("create_call");
    group.bench_function("client", |b| {
        b.to_async(&rt)
            .iter(|| async { client.create_case(&case).await.expect("created") })
    });
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&rt)
            .iter(|| common::post(&raw, &endpoint, &body, &headers))
    });
    group.finish();
}

fn emulator(c: &mut Criterion) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let servers = common::server_runtime();
    let rt = common::client_runtime();
    let minimal = servers.block_on(common::minimal_server());
    let emulator = servers
        .block_on(
            osm_emulator::Emulator::builder()
                .ak_sk(common::AK, common::SK)
                // The bench's ticket names made-up attachments and an unverified address.
                .check_references(false)
                .start(),
        )
        .expect("the emulator starts");
    let emulated = emulator.base_url().trim_end_matches('/').to_owned();
    let raw = reqwest::Client::new();
    let mut group = c.benchmark_group("emulator");
    for (name, base) in [("minimal_server", &minimal), ("emulator", &emulated)] {
        let (body, headers) = common::prebuilt_request(base);
        let endpoint = format!("{base}{}", common::PATH);
        group.bench_function(name, |b| {
            b.to_async(&rt)
                .iter(|| common::post(&raw, &endpoint, &body, &headers))
        });
    }
    group.finish();
    drop(emulator);
}

criterion_group!(benches, prepare, create_call, emulator);
criterion_main!(benches);
