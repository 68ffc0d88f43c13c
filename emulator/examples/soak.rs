//! Soak test: many creates through ONE library client, 64 in flight, against the real
//! `osm-emulator` binary running as a separate process with a state file, so that its
//! memory can be read from `/proc/<pid>/status` on its own.
//!
//! ```text
//! cargo build --release -p osm-emulator --bin osm-emulator --example soak
//! target/release/examples/soak N STATEFILE [--emulator PATH] [--in-flight K] [--summary PATH]
//! ```
//!
//! `cargo xtask soak [N]` does both. The emulator binary defaults to `osm-emulator` next
//! to the `examples/` directory this program lives in (the same Cargo profile).
//!
//! It asserts: no create fails (the client retries nothing, so every failure shows);
//! N distinct incident ids; the emulator counts N tickets (`GET /__emulator/status`);
//! the state file holds exactly N lines, with the same ids; after the emulator is
//! killed (SIGKILL, as a crash) and started again on the same file, it loads N tickets
//! and the next ticket gets a new id; the emulator's memory grows by less than
//! [`MAX_BYTES_PER_TICKET`] per ticket, and by less than [`MAX_BYTES_PER_REFUSED`] per
//! request over [`REFUSED`] requests refused for a wrong token (they store nothing, so
//! this tells a leak per request from the cost of the tickets). It reports the emulator's resident set size
//! every 10,000 creates, its peak, the growth per ticket and the throughput. There is no
//! timing threshold. Without the emulator's memory (not Linux) the soak fails; with
//! fewer than 20,000 creates the check per ticket has too few samples to run, and the
//! soak says so on standard error and in its summary.

use std::collections::HashSet;
use std::error::Error;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};

type Result<T, E = Box<dyn Error + Send + Sync>> = std::result::Result<T, E>;

const TOKEN: &str = "soak-token";
/// Creates between two memory samples.
const SAMPLE_EVERY: usize = 10_000;
/// More growth than this per ticket is a leak, not the ticket itself (which costs a few
/// hundred bytes in memory).
const MAX_BYTES_PER_TICKET: f64 = 10.0 * 1024.0;
/// Requests refused after the creates, to show that memory grows with tickets only.
const REFUSED: usize = 10_000;
/// A refused request stores nothing; more growth than this per request is a leak.
const MAX_BYTES_PER_REFUSED: f64 = 1024.0;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+).into());
        }
    };
}

struct Args {
    total: usize,
    state: PathBuf,
    emulator: PathBuf,
    in_flight: usize,
    summary: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let usage = "usage: soak N STATEFILE [--emulator PATH] [--in-flight K] [--summary PATH]";
    let mut positional = Vec::new();
    let mut emulator = None;
    let mut in_flight = 64;
    let mut summary = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--emulator" => emulator = Some(PathBuf::from(it.next().ok_or(usage)?)),
            "--in-flight" => in_flight = it.next().ok_or(usage)?.parse()?,
            "--summary" => summary = Some(PathBuf::from(it.next().ok_or(usage)?)),
            _ if a.starts_with("--") => return Err(format!("{usage}\nunknown option {a}").into()),
            _ => positional.push(a),
        }
    }
    let [total, state] = <[String; 2]>::try_from(positional).map_err(|_| usage)?;
    let total: usize = total.replace(['_', ','], "").parse()?;
    ensure!(
        total > 0 && in_flight > 0,
        "{usage}\nN and K must be positive"
    );
    let emulator = match emulator {
        Some(e) => e,
        None => {
            let exe = std::env::current_exe()?;
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .ok_or("cannot locate the target directory")?;
            profile_dir.join(format!("osm-emulator{}", std::env::consts::EXE_SUFFIX))
        }
    };
    ensure!(
        emulator.exists(),
        "{} does not exist; build it with `cargo build --release -p osm-emulator` or pass --emulator",
        emulator.display()
    );
    Ok(Args {
        total,
        state: PathBuf::from(state),
        emulator,
        in_flight,
        summary,
    })
}

/// The `osm-emulator` binary as a child process, killed when dropped.
struct EmulatorProcess {
    child: Child,
    base_url: String,
}

impl EmulatorProcess {
    fn start(binary: &Path, state: &Path) -> Result<Self> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--token", TOKEN, "--state"])
            .arg(state)
            // One log line per request would cost the emulator more than the requests.
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = tx.send(reader.read_line(&mut line).map(|_| line));
            let _ = std::io::copy(&mut reader.take(u64::MAX), &mut std::io::sink());
        });
        let mut process = EmulatorProcess {
            child,
            base_url: String::new(),
        };
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| "the emulator printed no base URL within 120 s")??;
        let url = line.trim();
        ensure!(
            url.starts_with("http://"),
            "the emulator did not print its base URL: {url:?} (exit status {:?})",
            process.child.try_wait()
        );
        process.base_url = url.to_owned();
        Ok(process)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash would: an answered ticket must be in the file regardless.
    fn kill(mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            return Err(format!("the emulator exited on its own ({status})").into());
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Memory of a process, from `/proc/<pid>/status` (Linux), in bytes.
#[derive(Clone, Copy, Debug, Default)]
struct Memory {
    rss: u64,
    hwm: u64,
}

fn memory(pid: &str) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    };
    Some(Memory {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:")?,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

async fn status(http: &reqwest::Client, base_url: &str) -> Result<serde_json::Value> {
    let response = http
        .get(format!("{base_url}/__emulator/status"))
        .send()
        .await?;
    ensure!(
        response.status() == 200,
        "GET /__emulator/status answered {}",
        response.status()
    );
    Ok(response.json().await?)
}

fn ticket_count(status: &serde_json::Value) -> Result<u64> {
    status["ticket_count"]
        .as_u64()
        .ok_or_else(|| format!("no ticket_count in {status}").into())
}

fn case(i: usize) -> NewCase {
    NewCase::new("1", format!("soak ticket {i}: disk full on ecs-01"))
        .severity_id("2")
        .region_id("ap-southeast-3")
}

/// Sends `total` creates with a wrong token, `in_flight` at a time, through one client;
/// returns how many were refused with 401 `OSM.0002`.
async fn refuse_many(base_url: &str, total: usize, in_flight: usize) -> Result<usize> {
    let client = Client::builder()
        .endpoint(base_url)
        .credentials(Credentials::token("not-the-soak-token"))
        .retry(RetryPolicy::none())
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (client, next) = (client.clone(), next.clone());
        workers.spawn(async move {
            let mut refused = 0;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                if let Err(e) = client.create_case(&case(0)).await
                    && e.http_status() == Some(401)
                    && e.error_code() == Some("OSM.0002")
                {
                    refused += 1;
                }
            }
            refused
        });
    }
    let mut refused = 0;
    while let Some(n) = workers.join_next().await {
        refused += n?;
    }
    Ok(refused)
}

struct Sample {
    creates: usize,
    emulator: Option<Memory>,
    client_rss: Option<u64>,
    elapsed: Duration,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("soak: FAILED: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let args = parse_args()?;
    ensure!(
        !args.state.exists() || std::fs::metadata(&args.state)?.len() == 0,
        "{} exists and is not empty; the soak needs a fresh state file",
        args.state.display()
    );
    let total = args.total;

    let emulator = EmulatorProcess::start(&args.emulator, &args.state)?;
    let pid = emulator.pid().to_string();
    println!(
        "soak: {total} creates, {} in flight, one client, emulator pid {pid} at {} with state file {}",
        args.in_flight,
        emulator.base_url,
        args.state.display()
    );
    let client = Client::builder()
        .endpoint(&emulator.base_url)
        .credentials(Credentials::token(TOKEN))
        .retry(RetryPolicy::none())
        .build()?;
    // The library's builder installed the crypto provider reqwest needs; make sure.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;

    let started = Instant::now();
    let samples = Arc::new(Mutex::new(vec![Sample {
        creates: 0,
        emulator: memory(&pid),
        client_rss: memory("self").map(|m| m.rss),
        elapsed: Duration::ZERO,
    }]));
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.in_flight {
        let (client, next, done, errors, first_errors, samples, pid) = (
            client.clone(),
            next.clone(),
            done.clone(),
            errors.clone(),
            first_errors.clone(),
            samples.clone(),
            pid.clone(),
        );
        workers.spawn(async move {
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                match client.create_case(&case(i)).await {
                    Ok(created) => ids.push(created.incident_id),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        let mut first = first_errors.lock().unwrap_or_else(|e| e.into_inner());
                        if first.len() < 5 {
                            first.push(format!("create #{i}: {e} ({e:?})"));
                        }
                    }
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % SAMPLE_EVERY == 0 || n == total {
                    let sample = Sample {
                        creates: n,
                        emulator: memory(&pid),
                        client_rss: memory("self").map(|m| m.rss),
                        elapsed: started.elapsed(),
                    };
                    samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(sample);
                }
            }
            ids
        });
    }
    let mut ids = HashSet::with_capacity(total);
    let mut answered = 0usize;
    while let Some(batch) = workers.join_next().await {
        let batch = batch?;
        answered += batch.len();
        ids.extend(batch);
    }
    let elapsed = started.elapsed();
    let errors = errors.load(Ordering::Relaxed);
    let mut samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner()));
    samples.sort_by_key(|s| s.creates);
    samples.dedup_by_key(|s| s.creates);

    println!("  creates  elapsed   emulator RSS   growth/10k   peak (VmHWM)   client RSS");
    let mut previous: Option<u64> = None;
    for s in &samples {
        let rss = s.emulator.map(|m| m.rss);
        let growth = match (rss, previous) {
            (Some(now), Some(before)) => format!("{:+9.2} MiB", mib(now) - mib(before)),
            _ => format!("{:>13}", "-"),
        };
        println!(
            "  {:>7}  {:>6.1} s  {:>9.1} MiB  {growth}  {:>9.1} MiB  {:>7.1} MiB",
            s.creates,
            s.elapsed.as_secs_f64(),
            rss.map_or(f64::NAN, mib),
            s.emulator.map_or(f64::NAN, |m| mib(m.hwm)),
            s.client_rss.map_or(f64::NAN, mib),
        );
        previous = rss.or(previous);
    }

    let first_errors = first_errors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    ensure!(
        errors == 0,
        "{errors} of {total} creates failed; the first: {}",
        first_errors.join("; ")
    );
    ensure!(answered == total, "{answered} answers for {total} creates");
    ensure!(
        ids.len() == total,
        "{} distinct incident ids for {total} tickets",
        ids.len()
    );
    let count = ticket_count(&status(&http, &emulator.base_url).await?)?;
    ensure!(
        count == total as u64,
        "the emulator counts {count} tickets, {total} were created"
    );
    let final_memory = memory(&pid);
    // The leak checks need the emulator's memory: never pass without them.
    ensure!(
        final_memory.is_some() && samples.iter().all(|s| s.emulator.is_some()),
        "cannot read the emulator's memory from /proc/{pid}/status, so the leak checks \
         cannot run (they need Linux)"
    );

    // Refused requests store nothing, so they must not grow the emulator's memory:
    // this separates a leak per request from the cost of the tickets themselves.
    let refused_total = total.min(REFUSED);
    let refused = refuse_many(&emulator.base_url, refused_total, args.in_flight).await?;
    let after_refused = memory(&pid);
    let per_refused = match (final_memory, after_refused) {
        (Some(m0), Some(m1)) => (m1.rss as f64 - m0.rss as f64) / refused_total as f64,
        _ => {
            return Err(format!(
                "cannot read the emulator's memory from /proc/{pid}/status after the refused \
                 requests, so the leak check per request cannot run"
            )
            .into());
        }
    };
    println!(
        "  {refused_total} refused requests (401 OSM.0002, wrong token): emulator RSS {} -> {}, {per_refused:+.0} bytes per request",
        final_memory.map_or("n/a".into(), |m| format!("{:.1} MiB", mib(m.rss))),
        after_refused.map_or("n/a".into(), |m| format!("{:.1} MiB", mib(m.rss))),
    );
    ensure!(
        refused == refused_total,
        "{} of {refused_total} requests with a wrong token were not refused with 401 OSM.0002",
        refused_total - refused
    );
    let count = ticket_count(&status(&http, &emulator.base_url).await?)?;
    ensure!(
        count == total as u64,
        "refused requests changed the ticket count to {count}"
    );
    if per_refused > MAX_BYTES_PER_REFUSED {
        return Err(format!(
            "the emulator grew by {per_refused:.0} bytes per refused request (more than {MAX_BYTES_PER_REFUSED:.0}): a leak"
        ).into());
    }

    // The emulator crashes; what it answered must be on disk.
    emulator.kill()?;
    let text = std::fs::read_to_string(&args.state)?;
    ensure!(
        text.ends_with('\n'),
        "the state file does not end with a newline"
    );
    let lines = text.lines().count();
    ensure!(
        lines == total,
        "the state file holds {lines} lines for {total} tickets"
    );
    let mut in_file = HashSet::with_capacity(total);
    for (n, line) in text.lines().enumerate() {
        let ticket: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("state file line {}: {e}", n + 1))?;
        let id = ticket["incident_id"]
            .as_str()
            .ok_or_else(|| format!("state file line {} has no incident_id", n + 1))?;
        in_file.insert(id.to_owned());
    }
    ensure!(
        in_file == ids,
        "the state file's incident ids differ from the ids the client got ({} in the file)",
        in_file.len()
    );
    let state_bytes = text.len();
    drop(text);
    drop(in_file);

    let restart_started = Instant::now();
    let emulator = EmulatorProcess::start(&args.emulator, &args.state)?;
    let reloaded = ticket_count(&status(&http, &emulator.base_url).await?)?;
    let restart = restart_started.elapsed();
    ensure!(
        reloaded == total as u64,
        "after the restart the emulator loaded {reloaded} tickets, not {total}"
    );
    let restarted_memory = memory(&emulator.pid().to_string());
    let client = Client::builder()
        .endpoint(&emulator.base_url)
        .credentials(Credentials::token(TOKEN))
        .retry(RetryPolicy::none())
        .build()?;
    let after = client.create_case(&case(total)).await?;
    ensure!(
        !ids.contains(&after.incident_id),
        "after the restart the emulator reused the id {}",
        after.incident_id
    );
    emulator.kill()?;

    // Growth per ticket: from the first sample after the start-up costs (connections,
    // buffers, allocator arenas) to the last; from the start if there is no such sample.
    let with_memory: Vec<(usize, Memory)> = samples
        .iter()
        .filter_map(|s| Some((s.creates, s.emulator?)))
        .collect();
    let per_ticket = match (
        with_memory.get(1).or(with_memory.first()),
        with_memory.last(),
    ) {
        (Some(&(c0, m0)), Some(&(c1, m1))) if c1 > c0 => {
            Some((m1.rss as f64 - m0.rss as f64) / (c1 - c0) as f64)
        }
        _ => None,
    };
    // Too few samples (fewer than two after the start-up one, so fewer than
    // 2 x SAMPLE_EVERY creates) leave the check per ticket without a measure: say so
    // loudly, in the summary too, rather than pass in silence.
    let per_ticket_skipped = per_ticket.is_none().then(|| {
        format!(
            "the leak check per ticket did NOT run: it needs memory samples after the first \
             {SAMPLE_EVERY} creates (one every {SAMPLE_EVERY}), so at least {} creates; this \
             run made {total}",
            2 * SAMPLE_EVERY
        )
    });
    if let Some(why) = &per_ticket_skipped {
        eprintln!("soak: WARNING: {why}");
    }
    let peak = after_refused
        .or(final_memory)
        .or(with_memory.last().map(|s| s.1));
    let throughput = total as f64 / elapsed.as_secs_f64();
    println!(
        "  state file: {lines} lines, {:.1} MiB ({:.0} bytes/ticket); restart loaded {reloaded} tickets in {:.2} s{}; next id {}",
        mib(state_bytes as u64),
        state_bytes as f64 / total as f64,
        restart.as_secs_f64(),
        restarted_memory.map_or(String::new(), |m| format!(" (RSS {:.1} MiB)", mib(m.rss))),
        after.incident_id
    );
    let summary = format!(
        "soak: {total} creates, {} in flight, 0 errors, {:.1} s, {throughput:.0} creates/s; emulator RSS {} -> {}, peak {}, {} per ticket; {total} distinct ids, ticket_count {count}, state file {lines} lines, restart loaded {reloaded}",
        args.in_flight,
        elapsed.as_secs_f64(),
        with_memory
            .first()
            .map_or("n/a".into(), |s| format!("{:.1} MiB", mib(s.1.rss))),
        with_memory
            .last()
            .map_or("n/a".into(), |s| format!("{:.1} MiB", mib(s.1.rss))),
        peak.map_or("n/a".into(), |m| format!("{:.1} MiB", mib(m.hwm))),
        per_ticket.map_or("NOT MEASURED".into(), |b| format!("{b:.0} bytes")),
    );
    let summary = match &per_ticket_skipped {
        Some(why) => format!("{summary}; WARNING: {why}"),
        None => summary,
    };
    if let Some(path) = &args.summary {
        let json = serde_json::json!({
            "creates": total,
            "in_flight": args.in_flight,
            "errors": 0,
            "elapsed_s": elapsed.as_secs_f64(),
            "creates_per_s": throughput,
            "refused_requests": refused_total,
            "emulator_bytes_per_refused_request": per_refused,
            "emulator_peak_rss_bytes": peak.map(|m| m.hwm),
            "emulator_bytes_per_ticket": per_ticket,
            "leak_check_per_ticket_skipped": per_ticket_skipped,
            "state_file_bytes": state_bytes,
            "restart_s": restart.as_secs_f64(),
            "samples": samples.iter().map(|s| serde_json::json!({
                "creates": s.creates,
                "elapsed_s": s.elapsed.as_secs_f64(),
                "emulator_rss_bytes": s.emulator.map(|m| m.rss),
                "emulator_hwm_bytes": s.emulator.map(|m| m.hwm),
                "client_rss_bytes": s.client_rss,
            })).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&json)? + "\n")?;
    }
    if let Some(b) = per_ticket
        && b > MAX_BYTES_PER_TICKET
    {
        return Err(format!(
            "the emulator grew by {b:.0} bytes per ticket (more than {MAX_BYTES_PER_TICKET:.0}): a leak\n{summary}"
        ).into());
    }
    println!("{summary}");
    Ok(())
}
