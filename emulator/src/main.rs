//! `osm-emulator`: serves the emulated OSM endpoint until SIGINT or SIGTERM.
//!
//! The first line on standard output is the base URL (`http://127.0.0.1:PORT`), so
//! that a script or a test can start it on port 0 and read where it listens. Logs go
//! to standard error (`RUST_LOG` filters them; `info` by default) through a writer
//! thread and a bounded buffer, so that a standard error nobody reads never stops the
//! server: when the buffer is full, log lines are dropped (and counted). Credentials are
//! never logged.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use osm_emulator::{
    DEFAULT_BINARY_LISTEN, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES, Emulator,
};

/// Log lines held for standard error at most; more are dropped while it is not read.
const LOG_BUFFER_LINES: usize = 8192;

/// A local stand-in for Huawei Cloud's OSM "create a service ticket" endpoint
/// (POST /v2/servicerequest/cases), for tests and try-it-out runs.
///
/// Prints its base URL as the first line of standard output, then serves until
/// SIGINT or SIGTERM. Admin routes (open, unless --admin-token is given):
/// GET /__emulator/tickets, GET /__emulator/status, GET|POST|DELETE /__emulator/faults,
/// POST /__emulator/reset, GET /__emulator/requests, GET|POST|DELETE
/// /__emulator/expectations, GET /__emulator/attachments[/ID], GET
/// /__emulator/verification-codes (emulator/README.md describes each).
#[derive(Debug, Parser)]
#[command(name = "osm-emulator", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_BINARY_LISTEN)]
    listen: SocketAddr,

    /// Accept this IAM token in X-Auth-Token (repeatable).
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,

    /// Accept requests signed with this access key (repeatable; paired in order with --sk).
    #[arg(long = "ak", value_name = "AK")]
    access_keys: Vec<String>,

    /// The secret key of the --ak at the same position (repeatable).
    #[arg(long = "sk", value_name = "SK")]
    secret_keys: Vec<String>,

    /// Try-it-out mode: accept any X-Auth-Token of a valid length (1 to 5000 characters).
    #[arg(long)]
    accept_any_token: bool,

    /// Record tickets durably in this JSON-lines file (loaded on start, fsync'd before
    /// each answer). Without it, tickets live in memory only.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,

    /// Largest request body accepted, in bytes; larger ones get HTTP 413.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,

    /// Answer the look-ups from the ten JSON files in DIR instead of the built-in
    /// catalogue (format: emulator/data/catalogue/README.md).
    #[arg(long, value_name = "DIR")]
    catalogue: Option<PathBuf>,
    /// Seconds a client has to send a request's headers before the connection is closed.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,

    /// Seconds a client has to send a request's body once its headers arrived; then
    /// the request is answered with HTTP 400 and the connection closed.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_BODY_READ_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,

    /// Require `Authorization: Bearer TOKEN` on the admin routes (/__emulator/…).
    /// Without it they are open, which is fine on loopback only.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "OSM_EMULATOR_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,

    /// Largest attachment accepted, in MB of 2^20 bytes [default: the documented 4].
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u32).range(1..=99))]
    attachment_max_mb: Option<u32>,

    /// A contact registered with the account, which tickets may notify without
    /// verification: email:ADDRESS, phone:AREA_CODE:NUMBER or phone:NUMBER (repeatable).
    #[arg(long = "registered-contact", value_name = "CONTACT", value_parser = osm_emulator::parse_contact)]
    registered_contacts: Vec<huaweicloud_osm::Contact>,

    /// How long a verification code stays valid, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = osm_emulator::DEFAULT_CODE_TTL.as_secs())]
    code_ttl: u64,

    /// Accept tickets naming attachments nobody uploaded and notifying unverified contacts.
    #[arg(long)]
    no_check_references: bool,

    /// The most tickets held; a create beyond is refused (500 OSM.0004, saying so).
    #[arg(long, value_name = "N", default_value_t = osm_emulator::DEFAULT_MAX_TICKETS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_tickets: u64,

    /// The most records the stateful operations keep (labels, the labels on tickets, …);
    /// a change beyond is refused (500 OSM.0004, saying so).
    #[arg(long, value_name = "N", default_value_t = osm_emulator::DEFAULT_MAX_RECORDS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_records: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.access_keys.len() != args.secret_keys.len() {
        Args::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "--ak and --sk come in pairs: got {} --ak and {} --sk",
                    args.access_keys.len(),
                    args.secret_keys.len()
                ),
            )
            .exit();
    }
    if args.tokens.is_empty() && args.access_keys.is_empty() && !args.accept_any_token {
        Args::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "no credentials to accept: give --token, --ak with --sk, or --accept-any-token",
            )
            .exit();
    }
    // Never block on standard error: a full pipe would stop every request that logs.
    let (log_writer, log_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .thread_name("osm-emulator-log")
        .finish(std::io::stderr());
    let dropped = log_writer.error_counter();
    tracing_subscriber::fmt()
        .with_writer(log_writer)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let mut builder = Emulator::builder()
        .listen(args.listen)
        .accept_any_token(args.accept_any_token)
        .max_body_bytes(args.max_body_bytes)
        .header_read_timeout(Duration::from_secs(args.header_timeout))
        .body_read_timeout(Duration::from_secs(args.body_timeout));
    if let Some(token) = args.admin_token {
        builder = builder.admin_token(token);
    }
    for token in args.tokens {
        builder = builder.token(token);
    }
    for (ak, sk) in args.access_keys.into_iter().zip(args.secret_keys) {
        builder = builder.ak_sk(ak, sk);
    }
    if let Some(mb) = args.attachment_max_mb {
        builder = builder.attachment_max_mb(mb);
    }
    for contact in args.registered_contacts {
        builder = builder.registered_contact(contact);
    }
    builder = builder
        .verification_code_ttl(std::time::Duration::from_secs(args.code_ttl))
        .check_references(!args.no_check_references)
        .max_tickets(usize::try_from(args.max_tickets).unwrap_or(usize::MAX))
        .max_records(usize::try_from(args.max_records).unwrap_or(usize::MAX));
    if let Some(state) = args.state {
        builder = builder.state_file(state);
    }
    if let Some(dir) = &args.catalogue {
        match osm_emulator::Catalogue::from_dir(dir) {
            Ok(c) => builder = builder.catalogue(c),
            Err(e) => {
                eprintln!("osm-emulator: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(e) => {
            // Let the log lines queued so far out first, so that the error comes last.
            drop(log_guard);
            eprintln!("osm-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", emulator.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // Whoever started us is gone; serve anyway, the logs still go to stderr.
        tracing::warn!("cannot write the base URL to standard output");
    }
    drop(stdout);

    wait_for_signal().await;
    tracing::info!("stopping");
    emulator.shutdown().await;
    let dropped = dropped.dropped_lines();
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "log lines were dropped because standard error was not being read"
        );
    }
    // Waits a moment (at most about a second) for the last lines to be written.
    drop(log_guard);
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for SIGTERM"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
