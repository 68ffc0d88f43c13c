//! Measures create throughput against an in-process emulator, through the library's
//! client over loopback: memory only, then with a state file (one fsync per batch).
//!
//! ```text
//! cargo run --release -p osm-emulator --example throughput [TOTAL] [IN_FLIGHT]
//! ```
//!
//! Defaults: 10000 creates, 64 in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
use osm_emulator::{Emulator, EmulatorBuilder};

async fn run(label: &str, builder: EmulatorBuilder, total: usize, in_flight: usize) {
    let emulator = builder
        .token("bench")
        .start()
        .await
        .expect("emulator starts");
    let client = Client::builder()
        .endpoint(emulator.base_url())
        .credentials(Credentials::token("bench"))
        .retry(RetryPolicy::none())
        .build()
        .expect("client builds");
    // Warm up the connection pool.
    client
        .create_case(&NewCase::new("1", "warm-up"))
        .await
        .expect("create succeeds");

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let client = client.clone();
        let next = next.clone();
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                client
                    .create_case(&NewCase::new("1", "disk full on ecs-01"))
                    .await
                    .expect("create succeeds");
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker finishes");
    }
    let elapsed = started.elapsed();
    assert_eq!(emulator.ticket_count(), total + 1);
    println!(
        "{label:<11} {total} creates, {in_flight} in flight: {:.2} s, {:.0} creates/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    emulator.shutdown().await;
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let in_flight: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);

    run("memory", Emulator::builder(), total, in_flight).await;

    let dir = tempfile::tempdir().expect("temporary directory");
    let state = dir.path().join("tickets.jsonl");
    run(
        "state file",
        Emulator::builder().state_file(&state),
        total,
        in_flight,
    )
    .await;
}
