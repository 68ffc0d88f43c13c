//! A local stand-in for Huawei Cloud's OSM "create a service ticket" endpoint,
//! `POST /v2/servicerequest/cases`, for tests and try-it-out runs.
//!
//! The emulator speaks the vendor's protocol over real HTTP/1.1 on a loopback socket:
//! it authenticates with an IAM token (`X-Auth-Token`) or an AK/SK signature
//! (`SDK-HMAC-SHA256`, checked by [`huaweicloud_signing::verify`]), validates headers
//! and body with the very rules the client library checks before sending
//! ([`huaweicloud_osm::validation`]), answers in the vendor's shapes, records every ticket
//! it opens (in memory, or durably in a JSON-lines state file), and can be told to
//! misbehave ([`Fault`]) so that a caller's error handling can be tested.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
//! use osm_emulator::{Emulator, Fault};
//!
//! let emulator = Emulator::builder().token("dev-token").start().await?;
//! let client = Client::builder()
//!     .endpoint(emulator.base_url())
//!     .credentials(Credentials::token("dev-token"))
//!     .retry(RetryPolicy::none())
//!     .build()?;
//!
//! let created = client.create_case(&NewCase::new("1", "disk full")).await?;
//! assert_eq!(emulator.tickets()[0].incident_id, created.incident_id);
//!
//! // The next create is refused with an internal error, and nothing is recorded.
//! emulator.faults().push(Fault::error(500, "OSM.0004", "internal error"));
//! let err = client.create_case(&NewCase::new("1", "disk full")).await.unwrap_err();
//! assert_eq!(err.error_code(), Some("OSM.0004"));
//! assert_eq!(emulator.ticket_count(), 1);
//!
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Crate organisation
//!
//! - [`Emulator`], [`EmulatorBuilder`], [`RunningEmulator`]: configuration, start,
//!   inspection and shutdown.
//! - [`Fault`], [`Faults`] (module `fault`): misbehaviour to inject into the next
//!   create requests, or into the requests a [`Matcher`] describes, from Rust or
//!   through the admin routes.
//! - [`RunningEmulator::reset`], [`RunningEmulator::requests`] ([`RecordedRequest`]),
//!   [`RunningEmulator::expect`] ([`Expectation`], [`ExpectationGuard`]) and
//!   [`RunningEmulator::verify`]: the emulator as a test double; [`testing`] is a
//!   prelude for tests.
//! - [`RecordedTicket`], [`AuthScheme`] (module `store`): what was recorded, and the
//!   state file.
//! - [`RunningEmulator::request_authorization`] ([`AuthorizationRequest`],
//!   [`SupportHost`]) and [`RunningEmulator::record_support_session`]
//!   ([`SupportSession`], [`SupportFileTransfer`]): support's side of the
//!   authorizations, which the service has no operation for.
//! - The HTTP server itself (hyper, one task per connection) and the request handling
//!   are private; the wire behaviour is described in the crate's README.
#![warn(missing_docs)]

mod admin;
mod auth;
mod body;
mod cases;
mod catalogue;
mod collections;
mod double;
mod durable;
mod expect;
mod fault;
mod files;
mod http;
mod inject;
mod journal;
mod matcher;
mod multipart;
mod ops;
mod router;
mod server;
mod store;
pub mod testing;
mod vendor;
mod verification;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use huaweicloud_osm::ops::attachments::BYTES_PER_MEGABYTE;
use huaweicloud_osm::{AttachmentLimits, Contact};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;

pub use catalogue::{Catalogue, CatalogueError};
pub use collections::{DEFAULT_MAX_RECORDS, MAX_RECORD_BYTES};
pub use double::ResetReport;
pub use expect::{Expectation, ExpectationGuard, ExpectationReport};
pub use fault::{AimError, Fault, Faults};
pub use files::{MAX_STORED_ATTACHMENTS, MAX_STORED_BYTES, RecordedAttachment};
pub use journal::{DEFAULT_RECORD_BODY_BYTES, DEFAULT_RECORD_LIMIT, REDACTED, RecordedRequest};
pub use matcher::Matcher;
pub use ops::authorizations::{
    AuthorizationRequest, MAX_SESSION_ENTRIES, MAX_SUPPORT_TEXT, RequestedAuthorization,
    SupportFileTransfer, SupportHost, SupportSession,
};
pub use ops::served as served_operations;
pub use store::DEFAULT_MAX_TICKETS;
pub use store::{AuthScheme, RecordedTicket};
pub use verification::{
    DEFAULT_CODE_TTL, MAX_FAILED_CHECKS, MAX_SENDS_PER_CONTACT, SEND_WINDOW, SentCode,
    VerifiedRecord, parse_contact,
};

/// The path of the one operation the emulator serves.
pub const CASES_PATH: &str = "/v2/servicerequest/cases";

/// The prefix of the emulator's own admin routes (they do not exist on the real
/// service). They need no credentials unless an admin token is set
/// ([`EmulatorBuilder::admin_token`]).
pub const ADMIN_PREFIX: &str = "/__emulator/";

/// The default largest request body accepted, 64 KiB. Larger bodies are refused with
/// HTTP 413 and `APIGW.0201`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// The default longest wait for a request's headers, 10 s, counted from the moment the
/// emulator waits for them (a new connection, or the end of the previous answer on a
/// kept-alive one). A connection that has not sent them whole by then is closed.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default longest wait for a request's body, 10 s, counted from the end of its
/// headers. A body that has not arrived whole by then (it stalls, or a chunked body
/// never ends) is answered with HTTP 400 `OSM.0001`, and the connection is closed.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The address the `osm-emulator` binary listens on unless told otherwise. The library
/// defaults to `127.0.0.1:0` (an ephemeral port) instead.
pub const DEFAULT_BINARY_LISTEN: &str = "127.0.0.1:8086";

/// A source of the current time: dates signatures are checked against, ticket times
/// and the date part of ticket ids.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Every file and folder an emulator keeps for the state file `state`: the file itself,
/// its lock note (`<file>.lock`), the ticket journal (`<file>.cases`), the records of
/// the stateful operations (`<file>.collections`), the attachments
/// (`<file>.attachments/`), the verified contacts (`<file>.verified.json`) and the
/// verification codes sent (`<file>.codes.json`). For a tool
/// that starts afresh by removing them (none is used while an emulator runs on it).
pub fn state_paths(state: &std::path::Path) -> Vec<PathBuf> {
    let mut lock = state.as_os_str().to_owned();
    lock.push(".lock");
    vec![
        state.to_path_buf(),
        PathBuf::from(lock),
        cases::journal_path(state),
        collections::journal_path(state),
        files::dir_for(state),
        verification::file_for(state),
        verification::codes_file_for(state),
    ]
}

/// The verification codes an emulator on the state file `state` sent, as
/// [`RunningEmulator::verification_codes`] would give them (oldest first), read from
/// the file kept beside it (`<file>.codes.json`); none if there is no such file. Each
/// save replaces that file whole, so it can be read while an emulator runs on `state`.
pub fn saved_verification_codes(state: &std::path::Path) -> std::io::Result<Vec<SentCode>> {
    verification::saved_codes(state)
}

/// Entry point: see [`Emulator::builder`].
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// Starts configuring an emulator: no credentials, memory only, a 64 KiB body limit,
    /// 10 s to send headers and 10 s to send a body, admin routes open (no admin
    /// token), the system clock, listening on `127.0.0.1:0`.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            tokens: HashSet::new(),
            keys: HashMap::new(),
            accept_any_token: false,
            state_file: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            admin_token: None,
            clock: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            catalogue: None,
            attachment_max_mb: None,
            registered: Vec::new(),
            code_ttl: DEFAULT_CODE_TTL,
            check_references: true,
            record_limit: DEFAULT_RECORD_LIMIT,
            record_body_bytes: DEFAULT_RECORD_BODY_BYTES,
            max_tickets: DEFAULT_MAX_TICKETS,
            max_records: DEFAULT_MAX_RECORDS,
        }
    }
}

/// Configures and starts an emulator. See [`Emulator::builder`].
#[must_use]
pub struct EmulatorBuilder {
    tokens: HashSet<String>,
    keys: HashMap<String, String>,
    accept_any_token: bool,
    state_file: Option<PathBuf>,
    max_body_bytes: usize,
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    admin_token: Option<SecretString>,
    clock: Option<Clock>,
    listen: SocketAddr,
    catalogue: Option<Catalogue>,
    attachment_max_mb: Option<u32>,
    registered: Vec<Contact>,
    code_ttl: Duration,
    check_references: bool,
    record_limit: usize,
    record_body_bytes: usize,
    max_tickets: usize,
    max_records: usize,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&String> = self.keys.keys().collect();
        keys.sort();
        f.debug_struct("EmulatorBuilder")
            .field("tokens", &format_args!("[{} REDACTED]", self.tokens.len()))
            .field("access_keys", &keys)
            .field("accept_any_token", &self.accept_any_token)
            .field("state_file", &self.state_file)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "REDACTED"),
            )
            .field("listen", &self.listen)
            .field("attachment_max_mb", &self.attachment_max_mb)
            .field("registered_contacts", &self.registered.len())
            .field("code_ttl", &self.code_ttl)
            .field("check_references", &self.check_references)
            .finish_non_exhaustive()
    }
}

impl EmulatorBuilder {
    /// Accepts this IAM token in `X-Auth-Token`. Repeat for more tokens.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.tokens.insert(token.into());
        self
    }

    /// Accepts requests signed with this access key pair. Repeat for more pairs; a
    /// repeated access key replaces the earlier secret.
    pub fn ak_sk(mut self, access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        self.keys.insert(access_key.into(), secret_key.into());
        self
    }

    /// Try-it-out mode: accept any `X-Auth-Token` whose length the spec allows (1 to
    /// 5000 characters), besides the configured ones. AK/SK-signed requests still need a
    /// configured pair, since a signature cannot be checked without its secret key.
    pub fn accept_any_token(mut self, yes: bool) -> Self {
        self.accept_any_token = yes;
        self
    }

    /// Records tickets durably in this file, one JSON object a line. Each ticket is
    /// written and flushed to disk (`fsync`) before its `200` is sent. An existing file
    /// is loaded on start, and ticket ids continue after the highest sequence number
    /// found, so they never repeat.
    ///
    /// [`start`](Self::start) refuses, leaving the file as it is, a file that is not a
    /// state file (a line that is not a recorded ticket), a file holding a sequence
    /// number twice or the largest one there is, and a file another emulator holds: the
    /// file is locked while the emulator runs, and its pid is written to `<file>.lock`
    /// so that the refusal can name it. A last line without its newline is kept (and
    /// the newline added) if it is a whole ticket, and cut off only if it is the
    /// beginning of a line the emulator writes, left by a crash mid-write.
    ///
    /// The rest of the state is kept beside the file, each change on disk before it is
    /// answered: ticket statuses and messages, attachments, verified contacts and the
    /// verification codes sent (see [`state_paths`]).
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// The largest request body accepted, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The longest wait for a request's headers (default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`], 10 s); the connection is closed after it. Must
    /// be more than zero.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// The longest wait for a request's body once its headers arrived (default
    /// [`DEFAULT_BODY_READ_TIMEOUT`], 10 s); the request is then answered with 400
    /// `OSM.0001` and the connection closed. Must be more than zero.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Requires this token on the admin routes under [`ADMIN_PREFIX`], as
    /// `Authorization: Bearer <token>`; other requests there are refused with 401
    /// `EMULATOR.0002`. Without it (the default) the admin routes need no credentials,
    /// which is fine on a loopback address; on any other, [`start`](Self::start) warns.
    /// The token is never logged nor shown by `Debug`.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(SecretString::from(token.into()));
        self
    }

    /// The clock to check `X-Sdk-Date` against and to date tickets with (the system
    /// clock by default). Handy to replay a signed request recorded earlier.
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The catalogue the look-ups answer from (default: the built-in one,
    /// [`Catalogue::built_in`]). Load your own with [`Catalogue::from_dir`].
    pub fn catalogue(mut self, catalogue: Catalogue) -> Self {
        self.catalogue = Some(catalogue);
        self
    }

    /// The largest attachment accepted, in MB of 2^20 bytes (default: the documented
    /// limit, [`AttachmentLimits::documented`], 4 MB). `show_attachment_limits` answers
    /// it, and an upload over it is refused with `400 OSM.0001` naming the size and the
    /// limit. The request bodies of the two uploads may be as large as a Base64 copy of
    /// such a file, whatever [`EmulatorBuilder::max_body_bytes`] says.
    pub fn attachment_max_mb(mut self, mb: u32) -> Self {
        self.attachment_max_mb = Some(mb);
        self
    }

    /// A contact registered with the account: tickets may notify it without
    /// verification, and `check_need_verify` says it needs none. Repeat for more.
    pub fn registered_contact(mut self, contact: Contact) -> Self {
        self.registered.push(contact);
        self
    }

    /// How long a verification code stays valid, by the emulator's clock (default
    /// [`DEFAULT_CODE_TTL`], 10 minutes).
    pub fn verification_code_ttl(mut self, ttl: Duration) -> Self {
        self.code_ttl = ttl;
        self
    }

    /// Whether a ticket must name only uploaded attachments and notify only registered
    /// or verified contacts (default `true`). `false` accepts any `accessory_ids`,
    /// `remind_mail` and `remind_mobile`, as the emulator did before it knew attachments.
    pub fn check_references(mut self, yes: bool) -> Self {
        self.check_references = yes;
        self
    }

    /// How many requests the request record keeps ([`RunningEmulator::requests`]),
    /// the oldest forgotten first (default [`DEFAULT_RECORD_LIMIT`], 10,000; 0
    /// is taken as 1: expectations count the requests the record holds as they finish).
    pub fn record_limit(mut self, requests: usize) -> Self {
        self.record_limit = requests;
        self
    }

    /// The most tickets the emulator holds (default [`DEFAULT_MAX_TICKETS`], 200,000;
    /// 0 is taken as 1): a create beyond is answered `500 OSM.0004` saying so, and
    /// records nothing. A memory-only emulator forgets its tickets with
    /// [`RunningEmulator::reset`] or `DELETE /__emulator/tickets`.
    pub fn max_tickets(mut self, tickets: usize) -> Self {
        self.max_tickets = tickets;
        self
    }

    /// The most records the emulator's stateful operations keep, over every collection
    /// (labels, the labels on each ticket, …; default [`DEFAULT_MAX_RECORDS`], 100,000;
    /// 0 is taken as 1): a change that would add one beyond is answered `500 OSM.0004`
    /// saying so, and changes nothing. A memory-only emulator forgets them with
    /// [`RunningEmulator::reset`].
    pub fn max_records(mut self, records: usize) -> Self {
        self.max_records = records;
        self
    }

    /// How many bytes of each request body the request record keeps (default
    /// [`DEFAULT_RECORD_BODY_BYTES`], 16 KiB); the rest is counted, not kept.
    pub fn record_body_bytes(mut self, bytes: usize) -> Self {
        self.record_body_bytes = bytes;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`: loopback, an ephemeral port).
    pub fn listen(mut self, addr: impl Into<SocketAddr>) -> Self {
        self.listen = addr.into();
        self
    }

    /// Binds the socket, loads the state file if any, and starts serving in the
    /// background on the current Tokio runtime.
    pub async fn start(self) -> Result<RunningEmulator, StartError> {
        if self.tokens.is_empty() && self.keys.is_empty() && !self.accept_any_token {
            tracing::warn!(
                "no tokens or access keys configured: every create request will be refused with 401"
            );
        }
        for (name, timeout) in [
            ("header_read_timeout", self.header_read_timeout),
            ("body_read_timeout", self.body_read_timeout),
        ] {
            if timeout.is_zero() {
                return Err(StartError::new(
                    "invalid configuration",
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("{name} must be more than zero"),
                    ),
                ));
            }
        }
        if self
            .admin_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().is_empty())
        {
            return Err(StartError::new(
                "invalid configuration",
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the admin token must not be empty",
                ),
            ));
        }
        let store = match &self.state_file {
            Some(path) => {
                let what = format!("cannot use the state file {}", path.display());
                let path = path.clone();
                tokio::task::spawn_blocking(move || store::Store::open(&path))
                    .await
                    .map_err(|e| StartError::new(what.clone(), e.into()))?
                    .map_err(|e| StartError::new(what, e))?
            }
            None => store::Store::memory(),
        };
        store.set_max_tickets(self.max_tickets);
        // Opened after the store, whose lock on the state file covers the journal.
        let cases = match &self.state_file {
            Some(path) => {
                let journal = cases::journal_path(path);
                let what = format!("cannot use the ticket journal {}", journal.display());
                tokio::task::spawn_blocking(move || cases::Cases::open(&journal))
                    .await
                    .map_err(|e| StartError::new(what.clone(), e.into()))?
                    .map_err(|e| StartError::new(what, e))?
            }
            None => cases::Cases::memory(),
        };
        // The generic store of the stateful operations (`ops::*`), under the same lock.
        let collections = match &self.state_file {
            Some(path) => {
                let journal = collections::journal_path(path);
                let what = format!("cannot use the records journal {}", journal.display());
                let max = self.max_records;
                tokio::task::spawn_blocking(move || collections::Collections::open(&journal, max))
                    .await
                    .map_err(|e| StartError::new(what.clone(), e.into()))?
                    .map_err(|e| StartError::new(what, e))?
            }
            None => collections::Collections::memory(self.max_records),
        };
        let side = self.state_file.clone();
        let (registered, ttl) = (self.registered, self.code_ttl);
        let (files, verification) = tokio::task::spawn_blocking(move || {
            let files = match &side {
                Some(state) => files::Files::open(&files::dir_for(state)).map_err(|e| {
                    let dir = files::dir_for(state);
                    StartError::new(
                        format!("cannot open the attachments in {}", dir.display()),
                        e,
                    )
                })?,
                None => files::Files::memory(),
            };
            let verification = verification::Verification::open(registered, ttl, side.as_deref())
                .map_err(|e| {
                let shown = side
                    .as_deref()
                    .map(|s| s.display().to_string())
                    .unwrap_or_default();
                StartError::new(format!("cannot load the verification state of {shown}"), e)
            })?;
            Ok::<_, StartError>((files, verification))
        })
        .await
        .map_err(|e| StartError::new("cannot load the attachments", e.into()))??;
        let documented = AttachmentLimits::documented();
        let attachment_max_mb = self
            .attachment_max_mb
            .unwrap_or((documented.max_bytes() / BYTES_PER_MEGABYTE) as u32);
        let attachment_limits = AttachmentLimits::new(
            documented.max_count(),
            u64::from(attachment_max_mb) * BYTES_PER_MEGABYTE,
            documented.file_types().to_vec(),
        );
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|e| StartError::new(format!("cannot listen on {}", self.listen), e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| StartError::new("cannot read the listening address", e))?;
        if let Some(warning) = exposure_warning(local_addr, self.admin_token.is_some()) {
            tracing::warn!("{warning}");
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            tokens: self.tokens,
            keys: self.keys,
            accept_any_token: self.accept_any_token,
            max_body_bytes: self.max_body_bytes,
            header_read_timeout: self.header_read_timeout,
            body_read_timeout: self.body_read_timeout,
            admin_token: self.admin_token,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            store,
            faults: Faults::default(),
            requests_seen: AtomicU64::new(0),
            shutdown: shutdown_rx.clone(),
            catalogue: Arc::new(self.catalogue.unwrap_or_default()),
            cases,
            collections,
            files,
            verification,
            attachment_max_mb,
            attachment_limits,
            check_references: self.check_references,
            journal: journal::Journal::new(self.record_limit, self.record_body_bytes),
        });
        tracing::info!(
            addr = %local_addr,
            tickets = shared.store.count(),
            state_file = ?self.state_file,
            "emulator listening"
        );
        let task = tokio::spawn(server::serve(listener, shared.clone(), shutdown_rx));
        Ok(RunningEmulator {
            local_addr,
            shared,
            shutdown_tx,
            task: Some(task),
        })
    }
}

/// What to warn of when listening on `addr`: nothing on a loopback address.
fn exposure_warning(addr: SocketAddr, admin_token: bool) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    Some(if admin_token {
        format!(
            "LISTENING ON {addr}, NOT A LOOPBACK ADDRESS: anyone who can reach it can send \
             requests; the admin routes under {ADMIN_PREFIX} need the admin token"
        )
    } else {
        format!(
            "LISTENING ON {addr}, NOT A LOOPBACK ADDRESS, WITH NO ADMIN TOKEN: anyone who can \
             reach it can read every ticket and queue faults through the admin routes under \
             {ADMIN_PREFIX}; set an admin token (--admin-token) or listen on 127.0.0.1"
        )
    })
}

/// Everything the request handlers share.
pub(crate) struct Shared {
    pub(crate) tokens: HashSet<String>,
    pub(crate) keys: HashMap<String, String>,
    pub(crate) accept_any_token: bool,
    pub(crate) max_body_bytes: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) admin_token: Option<SecretString>,
    pub(crate) clock: Clock,
    pub(crate) store: store::Store,
    pub(crate) faults: Faults,
    pub(crate) requests_seen: AtomicU64,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) catalogue: Arc<Catalogue>,
    pub(crate) cases: cases::Cases,
    /// The generic store of the stateful operations: named collections of records.
    pub(crate) collections: collections::Collections,
    pub(crate) files: files::Files,
    pub(crate) verification: verification::Verification,
    pub(crate) attachment_max_mb: u32,
    pub(crate) attachment_limits: AttachmentLimits,
    pub(crate) check_references: bool,
    /// The request record, and the expectations counted against it.
    pub(crate) journal: journal::Journal,
}

impl Shared {
    /// The largest request body of an upload: a Base64 copy of the largest attachment
    /// allowed, with room for the JSON or multipart around it.
    pub(crate) fn upload_body_limit(&self) -> usize {
        let file = self.attachment_limits.max_bytes();
        let limit = file.saturating_mul(4) / 3 + 64 * 1024;
        usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .max(self.max_body_bytes)
    }
}

/// A running emulator. Dropping it stops the server too (without waiting); prefer
/// [`RunningEmulator::shutdown`], which waits until the state file is closed.
pub struct RunningEmulator {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("base_url", &self.base_url())
            .field("ticket_count", &self.ticket_count())
            .field("requests_seen", &self.requests_seen())
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The URL to point a client at, such as `http://127.0.0.1:40123` (no trailing `/`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Every ticket recorded so far (including those loaded from the state file), in
    /// the order they were recorded.
    pub fn tickets(&self) -> Vec<RecordedTicket> {
        self.shared.store.tickets()
    }

    /// How many tickets are recorded.
    pub fn ticket_count(&self) -> usize {
        self.shared.store.count()
    }

    /// How many HTTP requests arrived, refused ones included, except those to the admin
    /// routes under [`ADMIN_PREFIX`]. A test can use it to prove that nothing was sent.
    pub fn requests_seen(&self) -> u64 {
        self.shared.requests_seen.load(Ordering::Relaxed)
    }

    /// The status of ticket `incident_id` (0, pending acceptance, until something
    /// changes it), or `None` if the emulator holds no such ticket.
    pub fn case_status(&self, incident_id: &str) -> Option<i64> {
        self.has_ticket(incident_id)
            .then(|| self.shared.cases.get(incident_id).status)
    }

    /// Plays the support engineer: sets the status of ticket `incident_id` (one of the
    /// vendor's values: 0, 1, 2, 3, 4, 5, 12, 13, 17).
    pub fn set_case_status(&self, incident_id: &str, status: i64) -> Result<(), String> {
        self.check_case(incident_id, Some(status))?;
        self.shared
            .cases
            .set_status(incident_id, status, (self.shared.clock)())
            .map(|_| ())
    }

    /// Plays the support engineer: adds a reply to ticket `incident_id`, and sets its
    /// status if `status` is given (17, waiting for the customer's feedback, is usual).
    pub fn reply(
        &self,
        incident_id: &str,
        content: &str,
        status: Option<i64>,
    ) -> Result<(), String> {
        self.check_case(incident_id, status)?;
        let message = cases::CaseMessage {
            kind: 1,
            replier: "huawei-support".into(),
            content: content.to_owned(),
            at: (self.shared.clock)(),
            accessory_ids: Vec::new(),
        };
        self.shared
            .cases
            .add_message(incident_id, message, status)
            .map(|_| ())
    }

    /// Plays support: asks the account `request.account` for access to its console (no
    /// host named) or to the hosts named, on a ticket. The authorization is pending
    /// (state 0) until the customer grants it (`confirm_authorizations`), rejects or
    /// cancels it (`update_authorizations`); `POST /__emulator/authorizations` does the
    /// same over HTTP.
    pub fn request_authorization(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<RequestedAuthorization, String> {
        ops::authorizations::request(&self.shared, request)
    }

    /// Plays support: records a session held on a host (an authorization detail) of
    /// the granted authorization `authorization_id`, with the commands run and the files
    /// moved, and answers its id (`list_history_sessions`, `list_history_operate_logs`
    /// and `list_transport_histories` list them). Refused unless the authorization is
    /// granted and not expired; `POST /__emulator/authorizations/{id}/sessions` does the
    /// same over HTTP.
    pub fn record_support_session(
        &self,
        authorization_id: &str,
        session: &SupportSession,
    ) -> Result<i64, String> {
        ops::authorizations::record_session(&self.shared, authorization_id, session)
    }

    fn has_ticket(&self, incident_id: &str) -> bool {
        self.shared.store.contains(incident_id)
    }

    fn check_case(&self, incident_id: &str, status: Option<i64>) -> Result<(), String> {
        if !self.has_ticket(incident_id) {
            return Err(format!("there is no ticket {incident_id:?}"));
        }
        if let Some(s) = status.filter(|s| !cases::STATUSES.contains(s)) {
            return Err(format!(
                "{s} is not a status of the vendor's (0, 1, 2, 3, 4, 5, 12, 13, 17)"
            ));
        }
        Ok(())
    }

    /// Every attachment stored (metadata only), in the order uploaded.
    pub fn attachments(&self) -> Vec<RecordedAttachment> {
        self.shared.files.list()
    }

    /// The bytes of a stored attachment, as the emulator received them.
    pub fn attachment_bytes(&self, id: &str) -> Option<Vec<u8>> {
        self.shared.files.bytes(id).map(|b| b.to_vec())
    }

    /// Every verification code sent, in the order sent (what the contacts received).
    pub fn verification_codes(&self) -> Vec<SentCode> {
        self.shared.verification.codes()
    }

    /// Every contact verified, in the order verified.
    pub fn verified_contacts(&self) -> Vec<VerifiedRecord> {
        self.shared.verification.verified_list()
    }

    /// The fault queue: what the next create requests, or the requests a fault is
    /// aimed at, will suffer.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Clears the emulator's state, as if it had just started: tickets, ticket states,
    /// faults, the request record, the count of [`requests_seen`](Self::requests_seen),
    /// and the expectations registered over HTTP (those of Rust guards stay: their
    /// guards scope them). Ticket ids are not reused: numbering goes on. Says how much
    /// of each part was cleared.
    ///
    /// Refused, clearing nothing, for an emulator with a state file.
    pub fn reset(&self) -> Result<ResetReport, String> {
        double::reset(&self.shared)
    }

    /// The request record: every request to the service's paths (not the admin
    /// routes), refused and unknown ones included, oldest first, the last
    /// [`EmulatorBuilder::record_limit`] of them. A request still being handled is
    /// there with `finished: false`.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.journal.requests()
    }

    /// Registers an expectation, checked when the guard returned is dropped (it panics
    /// with the report if the expectation is not met), or with
    /// [`verify`](Self::verify) and [`ExpectationGuard::verify`]. Requests are counted
    /// from now on, as they are answered.
    pub fn expect(&self, expectation: Expectation) -> ExpectationGuard {
        ExpectationGuard::new(self.shared.clone(), expectation)
    }

    /// Checks every expectation registered (from Rust or over HTTP): `Err` holds a
    /// readable report of those not met, with the closest requests seen.
    pub fn verify(&self) -> Result<(), ExpectationReport> {
        expect::verify_all(&self.shared)
    }

    /// Stops the server gracefully: no new connections, requests in flight finish
    /// (delays are cut short; after 5 s the rest are dropped), then the state file is
    /// closed.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared.store.close().await;
        tracing::info!(addr = %self.local_addr, "emulator stopped");
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// Why an emulator could not start. Its message says what failed and why, such as
/// `cannot use the state file tickets.jsonl: another osm-emulator holds it (pid 4242, as
/// tickets.jsonl.lock records); two emulators must not share a state file`.
#[derive(Debug)]
pub struct StartError {
    what: String,
    source: std::io::Error,
}

impl StartError {
    fn new(what: impl Into<String>, source: std::io::Error) -> Self {
        Self {
            what: what.into(),
            source,
        }
    }
}

impl StartError {
    /// The kind of the underlying I/O error (`WouldBlock` for a state file another
    /// emulator holds, `InvalidData` for one that cannot be loaded, `AddrInUse`, …).
    pub fn kind(&self) -> std::io::ErrorKind {
        self.source.kind()
    }
}

/// The whole story in one message (callers print `Display` alone), so no `source()`.
impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for StartError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_beyond_loopback_is_warned_of() {
        let loopback: [SocketAddr; 3] = [
            "127.0.0.1:8086".parse().unwrap(),
            "127.1.2.3:0".parse().unwrap(),
            "[::1]:8086".parse().unwrap(),
        ];
        for addr in loopback {
            assert_eq!(exposure_warning(addr, false), None, "{addr}");
        }
        for addr in ["0.0.0.0:8086", "[::]:8086", "192.0.2.7:8086"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let open = exposure_warning(addr, false).expect("a warning");
            assert!(open.contains(&addr.to_string()), "{open}");
            assert!(open.contains("NO ADMIN TOKEN"), "{open}");
            assert!(open.contains("--admin-token"), "{open}");
            let guarded = exposure_warning(addr, true).expect("a warning");
            assert!(guarded.contains("need the admin token"), "{guarded}");
        }
    }

    #[test]
    fn the_admin_token_never_shows_in_debug() {
        let builder = Emulator::builder().admin_token("admin-secret-marker");
        let debug = format!("{builder:?}");
        assert!(!debug.contains("admin-secret-marker"), "{debug}");
        assert!(debug.contains("REDACTED"), "{debug}");
    }
}
