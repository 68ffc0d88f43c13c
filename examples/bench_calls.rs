//! The timing loops behind `cargo xtask bench`. Each mode prints one JSON object on
//! standard output; times are in microseconds.
//!
//! ```text
//! cargo run --release --example bench_calls -- MODE [OPTIONS]
//!
//! prepare    [--rounds R] [--iters N]   validate+serialise+sign vs the baseline
//! create     [--rounds R] [--calls N]   our client vs raw reqwest, in-process minimal server
//! emulator   [--rounds R] [--calls N]   pre-signed request: in-process emulator vs minimal server
//! sequential --endpoint URL [--calls N]   our client (and raw reqwest), one call at a time
//! concurrent --endpoint URL [--total N] [--in-flight K]  our client, K calls in flight
//! ```
//!
//! A/B comparisons alternate rounds (A then B, then B then A, …) so that noise on the
//! machine falls on both sides; per-call times are pooled and their medians compared.
//! `sequential` and `concurrent` sign with the bench key pair (`AKBENCH…`), so the
//! emulator they talk to must accept it.

#[path = "../benches/common/mod.rs"]
mod common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use huaweicloud_osm::{Client, Credentials, RetryPolicy};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

struct Args {
    rest: Vec<String>,
}

impl Args {
    fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        self.rest
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.rest.get(i + 1))
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name}: cannot parse {v:?}"))
            })
            .unwrap_or(default)
    }

    fn endpoint(&self) -> String {
        let e: String = self.get("--endpoint", String::new());
        assert!(!e.is_empty(), "--endpoint URL is required");
        e.trim_end_matches('/').to_owned()
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn percentile(xs: &[f64], p: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Summary of one side of a comparison.
fn side(samples: &[f64]) -> Value {
    json!({
        "median_us": median(samples),
        "p10_us": percentile(samples, 0.10),
        "p90_us": percentile(samples, 0.90),
        "samples": samples.len(),
    })
}

/// Runs `rounds` interleaved rounds of `calls` timed calls of `a` and `b` (after
/// `calls` untimed warm-up calls of each) and returns the per-call times of each.
async fn interleave<A, FA, B, FB>(
    rounds: usize,
    calls: usize,
    mut a: A,
    mut b: B,
) -> (Vec<f64>, Vec<f64>)
where
    A: FnMut() -> FA,
    FA: Future<Output = ()>,
    B: FnMut() -> FB,
    FB: Future<Output = ()>,
{
    for _ in 0..calls {
        a().await;
        b().await;
    }
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for first in [round % 2 == 0, round % 2 == 1] {
            for _ in 0..calls {
                let t0 = Instant::now();
                if first {
                    a().await;
                } else {
                    b().await;
                }
                let t = us(t0.elapsed());
                if first { &mut ta } else { &mut tb }.push(t);
            }
        }
    }
    (ta, tb)
}

/// Batches of `iters` preparations, timed per batch, alternating sides.
fn prepare(args: &Args) -> Value {
    common::check_baseline_is_equivalent();
    let rounds = args.get("--rounds", 200);
    let iters = args.get("--iters", 500);
    let url = common::url(common::ENDPOINT);
    let host = url.host_str().expect("a host").to_owned();
    let case = common::case();
    let raw = case.body().clone();
    let now = SystemTime::now();
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    common::with_key(|key| {
        let client = || {
            let t0 = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(common::client_prepare(
                    std::hint::black_box(&case),
                    key,
                    &url,
                    now,
                ));
            }
            us(t0.elapsed()) / iters as f64
        };
        let baseline = || {
            let t0 = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(common::baseline_prepare(
                    std::hint::black_box(&raw),
                    &host,
                    now,
                ));
            }
            us(t0.elapsed()) / iters as f64
        };
        client();
        baseline();
        for round in 0..rounds {
            if round % 2 == 0 {
                ta.push(client());
                tb.push(baseline());
            } else {
                tb.push(baseline());
                ta.push(client());
            }
        }
    });
    json!({
        "mode": "prepare",
        "client": side(&ta),
        "baseline": side(&tb),
        "ratio": median(&ta) / median(&tb),
        "iters_per_sample": iters,
    })
}

/// Our client vs raw reqwest, same minimal server, same run.
fn create(args: &Args) -> Value {
    let rounds = args.get("--rounds", 20);
    let calls = args.get("--calls", 250);
    let servers = common::server_runtime();
    let url = servers.block_on(common::minimal_server());
    let rt = common::client_runtime();
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
    let (client, case, raw, endpoint, body, headers) =
        (&client, &case, &raw, &endpoint, &body, &headers);
    let (ta, tb) = rt.block_on(interleave(
        rounds,
        calls,
        move || async move {
            client.create_case(case).await.expect("created");
        },
        move || common::post(raw, endpoint, body, headers),
    ));
    json!({
        "mode": "create",
        "client": side(&ta),
        "raw_reqwest": side(&tb),
        "ratio": median(&ta) / median(&tb),
    })
}

/// The emulator's handler: the same pre-signed request to the emulator and to the
/// minimal server, one at a time, then 64 at a time.
fn emulator(args: &Args) -> Value {
    let rounds = args.get("--rounds", 20);
    let calls = args.get("--calls", 250);
    let servers = common::server_runtime();
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
    let rt = common::client_runtime();
    let raw = reqwest::Client::new();
    let (mbody, mheaders) = common::prebuilt_request(&minimal);
    let (ebody, eheaders) = common::prebuilt_request(&emulated);
    let mend = format!("{minimal}{}", common::PATH);
    let eend = format!("{emulated}{}", common::PATH);
    let (te, tm) = {
        let (raw, eend, ebody, eheaders) = (&raw, &eend, &ebody, &eheaders);
        let (mend, mbody, mheaders) = (&mend, &mbody, &mheaders);
        rt.block_on(interleave(
            rounds,
            calls,
            move || common::post(raw, eend, ebody, eheaders),
            move || common::post(raw, mend, mbody, mheaders),
        ))
    };
    // Throughput, 64 in flight, same requests; alternate and keep the best of three.
    let burst = |endpoint: String, body: Vec<u8>, headers: HeaderMap| {
        let raw = raw.clone();
        async move {
            let total = 5_000;
            let next = Arc::new(AtomicUsize::new(0));
            let t0 = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..64 {
                let (raw, next) = (raw.clone(), next.clone());
                let (endpoint, body, headers) = (endpoint.clone(), body.clone(), headers.clone());
                set.spawn(async move {
                    while next.fetch_add(1, Ordering::Relaxed) < total {
                        common::post(&raw, &endpoint, &body, &headers).await;
                    }
                });
            }
            while let Some(r) = set.join_next().await {
                r.expect("worker");
            }
            total as f64 / t0.elapsed().as_secs_f64()
        }
    };
    let (mut re, mut rm) = (0f64, 0f64);
    for _ in 0..3 {
        re = re.max(rt.block_on(burst(eend.clone(), ebody.clone(), eheaders.clone())));
        rm = rm.max(rt.block_on(burst(mend.clone(), mbody.clone(), mheaders.clone())));
    }
    let recorded = emulator.ticket_count();
    drop(emulator);
    json!({
        "mode": "emulator",
        "emulator": side(&te),
        "minimal_server": side(&tm),
        "handler_overhead_us": median(&te) - median(&tm),
        "sequential_rps": { "emulator": 1e6 / median(&te), "minimal_server": 1e6 / median(&tm) },
        "concurrent64_rps": { "emulator": re, "minimal_server": rm },
        "tickets_recorded": recorded,
    })
}

fn ak_sk_client(endpoint: &str) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::ak_sk(common::AK, common::SK))
        .retry(RetryPolicy::none())
        .build()
        .expect("builds")
}

/// Our client, one call at a time, against an emulator of someone else's; and, in
/// alternating blocks, raw reqwest posting a pre-signed copy of the same request, which
/// is the floor that loopback and the emulator set for any client.
fn sequential(args: &Args) -> Value {
    let endpoint = args.endpoint();
    let calls: usize = args.get("--calls", 200);
    let block = 50.min(calls.max(1));
    let rt = common::client_runtime();
    let client = ak_sk_client(&endpoint);
    let case = common::case();
    let raw = reqwest::Client::new();
    let (body, headers) = common::prebuilt_request(&endpoint);
    let url = format!("{endpoint}{}", common::PATH);
    let (client, case, raw, url, body, headers) = (&client, &case, &raw, &url, &body, &headers);
    let (ours, floor) = rt.block_on(interleave(
        calls.div_ceil(block),
        block,
        move || async move {
            client.create_case(case).await.expect("created");
        },
        move || common::post(raw, url, body, headers),
    ));
    json!({
        "mode": "sequential",
        "client": side(&ours),
        "raw_reqwest": side(&floor),
        "samples_us": ours,
        "raw_samples_us": floor,
    })
}

/// `total` creates with `in_flight` in flight through one client; errors are counted,
/// not fatal.
fn concurrent(args: &Args) -> Value {
    let endpoint = args.endpoint();
    let total: usize = args.get("--total", 10_000);
    let in_flight: usize = args.get("--in-flight", 64);
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let client = ak_sk_client(&endpoint);
    rt.block_on(async {
        client
            .create_case(&common::case())
            .await
            .expect("warm-up create");
        let next = Arc::new(AtomicUsize::new(0));
        let errors = Arc::new(AtomicUsize::new(0));
        let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
        let t0 = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..in_flight {
            let (client, next, errors, first_error) = (
                client.clone(),
                next.clone(),
                errors.clone(),
                first_error.clone(),
            );
            set.spawn(async move {
                let case = common::case();
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    if let Err(e) = client.create_case(&case).await {
                        errors.fetch_add(1, Ordering::Relaxed);
                        let mut first = first_error.lock().unwrap_or_else(|p| p.into_inner());
                        first.get_or_insert_with(|| e.to_string());
                    }
                }
            });
        }
        while let Some(r) = set.join_next().await {
            r.expect("worker");
        }
        let elapsed = t0.elapsed().as_secs_f64();
        let errors = errors.load(Ordering::Relaxed);
        let first_error = first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        json!({
            "mode": "concurrent",
            "total": total,
            "in_flight": in_flight,
            "errors": errors,
            "first_error": first_error,
            "elapsed_s": elapsed,
            "creates_per_s": (total - errors) as f64 / elapsed,
        })
    })
}

fn main() {
    // reqwest is built without a crypto provider; the library installs ring when it
    // builds its own client, and raw reqwest needs one as well.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut argv = std::env::args().skip(1);
    let mode = argv.next().unwrap_or_default();
    let args = Args {
        rest: argv.collect(),
    };
    let out = match mode.as_str() {
        "prepare" => prepare(&args),
        "create" => create(&args),
        "emulator" => emulator(&args),
        "sequential" => sequential(&args),
        "concurrent" => concurrent(&args),
        other => {
            eprintln!(
                "bench_calls: unknown mode {other:?}; one of prepare, create, emulator, sequential, concurrent"
            );
            std::process::exit(2);
        }
    };
    println!("{out}");
}
