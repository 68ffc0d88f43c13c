//! The timing loops behind `cargo xtask bench`. Each mode prints one JSON object on
//! standard output; times are in microseconds.
//!
//! ```text
//! cargo run --release --example bench_calls -- MODE [OPTIONS]
//!
//! prepare    [--rounds R] [--iters N]   validate+serialise+sign vs the baseline
//! create     [--rounds R] [--calls N]   our client vs raw reqwest, in-process minimal server
//! lookup     [--rounds R] [--calls N]   list_problem_types: our client vs raw reqwest, same bytes
//! emulator   [--rounds R] [--calls N]   pre-signed request: in-process emulator vs minimal server
//! sequential --endpoint URL [--calls N]   our client (and raw reqwest), one call at a time
//! concurrent --endpoint URL [--total N] [--in-flight K]  our client, K calls in flight
//! minimal-server                       serve the minimal server until killed; print its URL
//! load       --endpoint URL [--total N] [--in-flight K]  pre-signed creates, K in flight
//! cpu        --endpoint URL --side client|raw [--calls N] [--warmup W]
//!                                      CPU time (user+sys, getrusage) per sequential create
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

/// A GET look-up (list_problem_types) through our client vs raw reqwest sending the
/// very request the client sent (its headers captured by the server, signature
/// included), both against a server answering the emulator's own problem-type list.
fn lookup(args: &Args) -> Value {
    let rounds = args.get("--rounds", 20);
    let calls = args.get("--calls", 250);
    let servers = common::server_runtime();
    let rt = common::client_runtime();
    // The answer: what the emulator says, in the client's language.
    let emulator = servers
        .block_on(
            osm_emulator::Emulator::builder()
                .ak_sk(common::AK, common::SK)
                .start(),
        )
        .expect("the emulator starts");
    let answer = rt
        .block_on(
            ak_sk_client(&emulator.base_url())
                .list_problem_types()
                .send(),
        )
        .expect("the emulator lists problem types");
    let body = answer.raw_json().to_vec();
    drop(emulator);
    let seen = Arc::new(std::sync::Mutex::new(None));
    let url = servers.block_on(common::fixed_server(body.clone(), seen.clone()));
    let client = ak_sk_client(&url);
    let first = rt
        .block_on(client.list_problem_types().send())
        .expect("listed");
    assert_eq!(
        first.raw_json(),
        &body[..],
        "the server answers the emulator's list"
    );
    let headers = seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .expect("the server saw the client's request");
    let path = huaweicloud_osm::rules::operation("list_problem_types")
        .expect("in the spec")
        .path;
    let endpoint = format!("{url}{path}");
    let raw = reqwest::Client::new();
    let (client, raw, endpoint, headers) = (&client, &raw, &endpoint, &headers);
    let (ta, tb) = rt.block_on(interleave(
        rounds,
        calls,
        move || async move {
            client.list_problem_types().send().await.expect("listed");
        },
        move || common::get(raw, endpoint, headers),
    ));
    json!({
        "mode": "lookup",
        "operation": "list_problem_types",
        "answer_bytes": body.len(),
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

/// The minimal server of the create comparisons, in a process of its own (on the
/// runtime `osm-emulator` uses, `#[tokio::main]`'s), until killed: prints its base URL.
fn minimal_server_process() -> ! {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let url = rt.block_on(common::minimal_server());
    println!("{url}");
    rt.block_on(std::future::pending::<()>());
    unreachable!("the server runs until the process is killed")
}

/// The load generator that compares two servers: `total` pre-signed creates (raw
/// reqwest, the bytes our client sends) with `in_flight` in flight, on the calling
/// thread, against whatever server is at `--endpoint`.
fn load(args: &Args) -> Value {
    let endpoint = args.endpoint();
    let total: usize = args.get("--total", 20_000);
    let in_flight: usize = args.get("--in-flight", 64);
    let rt = common::client_runtime();
    let raw = reqwest::Client::new();
    let (body, headers) = common::prebuilt_request(&endpoint);
    let url = format!("{endpoint}{}", common::PATH);
    rt.block_on(async {
        common::post(&raw, &url, &body, &headers).await;
        let next = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let t0 = Instant::now();
        let workers = (0..in_flight).map(|_| {
            let (raw, url, body, headers, next) = (&raw, &url, &body, &headers, next.clone());
            async move {
                while next.get() < total {
                    next.set(next.get() + 1);
                    common::post(raw, url, body, headers).await;
                }
            }
        });
        futures_util::future::join_all(workers).await;
        let elapsed = t0.elapsed().as_secs_f64();
        json!({
            "mode": "load",
            "total": total,
            "in_flight": in_flight,
            "elapsed_s": elapsed,
            "requests_per_s": total as f64 / elapsed,
        })
    })
}

/// User plus system CPU time this process has used so far, from the OS, and its
/// voluntary and involuntary context switches.
fn cpu_time() -> (Duration, Duration, u64) {
    // SAFETY: getrusage writes into the struct it is given and nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    (
        tv(usage.ru_utime),
        tv(usage.ru_stime),
        (usage.ru_nvcsw + usage.ru_nivcsw) as u64,
    )
}

/// CPU time per sequential create of one side in this process: `client` (our client,
/// signing each call) or `raw` (raw reqwest posting a pre-signed copy), `warmup`
/// untimed calls first. The emulator runs in another process, so only the caller's
/// work is counted.
fn cpu(args: &Args) -> Value {
    let endpoint = args.endpoint();
    let side: String = args.get("--side", String::new());
    let calls: usize = args.get("--calls", 4000);
    let warmup: usize = args.get("--warmup", 200);
    let rt = common::client_runtime();
    let client = ak_sk_client(&endpoint);
    let case = common::case();
    let raw = reqwest::Client::new();
    let (body, headers) = common::prebuilt_request(&endpoint);
    let url = format!("{endpoint}{}", common::PATH);
    let one = || async {
        match side.as_str() {
            "client" => {
                client.create_case(&case).await.expect("created");
            }
            "raw" => common::post(&raw, &url, &body, &headers).await,
            other => panic!("--side: {other:?} is not client or raw"),
        }
    };
    rt.block_on(async {
        for _ in 0..warmup {
            one().await;
        }
        let (u0, s0, c0) = cpu_time();
        let t0 = Instant::now();
        for _ in 0..calls {
            one().await;
        }
        let wall = t0.elapsed();
        let (u1, s1, c1) = cpu_time();
        let per = |d: Duration| us(d) / calls as f64;
        json!({
            "mode": "cpu",
            "side": side,
            "calls": calls,
            "cpu_us_per_call": per((u1 - u0) + (s1 - s0)),
            "user_us_per_call": per(u1 - u0),
            "sys_us_per_call": per(s1 - s0),
            "wall_us_per_call": per(wall),
            "context_switches_per_call": (c1 - c0) as f64 / calls as f64,
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
        "lookup" => lookup(&args),
        "emulator" => emulator(&args),
        "sequential" => sequential(&args),
        "concurrent" => concurrent(&args),
        "cpu" => cpu(&args),
        "load" => load(&args),
        "minimal-server" => minimal_server_process(),
        other => {
            eprintln!(
                "bench_calls: unknown mode {other:?}; one of prepare, create, lookup, emulator, sequential, concurrent, cpu, load, minimal-server"
            );
            std::process::exit(2);
        }
    };
    println!("{out}");
}
