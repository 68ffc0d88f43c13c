//! Where tickets are recorded: memory, and optionally a JSON-lines state file.
//!
//! With a state file, one writer thread owns the file. Handlers hand it their tickets
//! through a channel; it takes every ticket waiting, assigns sequence numbers and ids,
//! appends them as one write, calls `fsync` (`File::sync_data`) once for the batch
//! (group commit), and only then answers each handler, which then sends its `200`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use huaweicloud_signing::{format_sdk_date, parse_sdk_date};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// How a recorded request was authenticated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "snake_case")]
pub enum AuthScheme {
    /// An accepted `X-Auth-Token` (the token itself is never recorded).
    Token,
    /// A valid `SDK-HMAC-SHA256` signature.
    AkSk {
        /// The access key id that signed the request.
        access_key: String,
        /// Whether the request carried `X-Security-Token` (temporary credentials).
        temporary: bool,
    },
}

/// A ticket the emulator opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedTicket {
    /// Position in the order of recording, from 1; continues across restarts with a
    /// state file.
    pub seq: u64,
    /// The id answered to the client, `CS` + UTC date (`YYYYMMDD`) + the sequence number
    /// padded to six digits, such as `CS20261128000042`.
    pub incident_id: String,
    /// The `X-Request-Id` of the answer.
    pub request_id: String,
    /// When the request was received, by the emulator's clock (RFC 3339 in JSON).
    #[serde(with = "rfc3339")]
    pub received_at: SystemTime,
    /// How the request was authenticated.
    pub auth: AuthScheme,
    /// The request headers of interest, lower-case names: the spec's headers
    /// (`x-language`, `x-time-zone`, `x-phone-verifiedid`, `x-email-verifiedid`,
    /// `x-site`) and `x-domain-id`, `user-agent`, `content-type`. Never credentials.
    pub headers: BTreeMap<String, String>,
    /// The body as validated: the library's generated `CreateCaseRequest`, serialised
    /// back to JSON (absent and `null` members left out).
    pub body: Value,
}

/// A ticket before the store gives it a sequence number and an id.
pub(crate) struct PendingTicket {
    pub(crate) request_id: String,
    pub(crate) received_at: SystemTime,
    pub(crate) auth: AuthScheme,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Value,
}

impl PendingTicket {
    fn finish(self, seq: u64) -> RecordedTicket {
        // Kept to the millisecond, as the state file keeps it.
        let received_at = rfc3339::truncate(self.received_at);
        let date = format_sdk_date(received_at);
        RecordedTicket {
            seq,
            incident_id: format!("CS{}{seq:06}", &date[..8]),
            request_id: self.request_id,
            received_at,
            auth: self.auth,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// RFC 3339 times with milliseconds, UTC (`2026-11-28T08:38:54.123Z`).
pub(crate) mod rfc3339 {
    use super::*;

    /// Drops what is finer than a millisecond.
    pub(crate) fn truncate(t: SystemTime) -> SystemTime {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => UNIX_EPOCH + Duration::from_millis(d.as_millis() as u64),
            Err(_) => t,
        }
    }

    pub(crate) fn format(t: SystemTime) -> String {
        let d = format_sdk_date(t); // YYYYMMDDTHHMMSSZ
        let millis = t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_millis())
            .unwrap_or(0);
        format!(
            "{}-{}-{}T{}:{}:{}.{millis:03}Z",
            &d[0..4],
            &d[4..6],
            &d[6..8],
            &d[9..11],
            &d[11..13],
            &d[13..15]
        )
    }

    pub(crate) fn parse(s: &str) -> Option<SystemTime> {
        let b = s.as_bytes();
        if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if b[10] != b'T' || b[19] != b'.' || b[23] != b'Z' {
            return None;
        }
        let sdk = format!(
            "{}{}{}T{}{}{}Z",
            &s[0..4],
            &s[5..7],
            &s[8..10],
            &s[11..13],
            &s[14..16],
            &s[17..19]
        );
        let millis: u64 = s[20..23].parse().ok()?;
        Some(parse_sdk_date(&sdk)? + Duration::from_millis(millis))
    }

    pub(crate) fn serialize<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*t))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<SystemTime, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("{s:?} is not a time like 2026-11-28T08:38:54.123Z"))
        })
    }
}

struct Memory {
    tickets: Vec<RecordedTicket>,
    next_seq: u64,
}

type Ack = oneshot::Sender<Result<RecordedTicket, String>>;

struct Job {
    ticket: PendingTicket,
    ack: Ack,
}

/// The ticket store of one emulator.
pub(crate) struct Store {
    durable: bool,
    memory: Arc<Mutex<Memory>>,
    writer: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent, even if it panics.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a state file: the tickets of its complete lines, and the length of the
/// complete part (a torn last line, with no newline, is not part of it).
fn read_state(path: &Path, data: &[u8]) -> io::Result<(Vec<RecordedTicket>, usize)> {
    let complete = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut tickets = Vec::new();
    for (n, line) in data[..complete].split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let ticket: RecordedTicket = serde_json::from_slice(line).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} line {} is not a recorded ticket: {e}",
                    path.display(),
                    n + 1
                ),
            )
        })?;
        tickets.push(ticket);
    }
    Ok((tickets, complete))
}

impl Store {
    /// A store that keeps tickets in memory only.
    pub(crate) fn memory() -> Self {
        Self {
            durable: false,
            memory: Arc::new(Mutex::new(Memory {
                tickets: Vec::new(),
                next_seq: 1,
            })),
            writer: Mutex::new(None),
            thread: Mutex::new(None),
        }
    }

    /// A durable store on `path`, loading what it holds. Blocking.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        let (tickets, complete) = read_state(path, &data)?;
        if complete < data.len() {
            tracing::warn!(
                path = %path.display(),
                bytes = data.len() - complete,
                "cutting off a torn last line of the state file (left by a crash mid-write)"
            );
            file.set_len(complete as u64)?;
            file.sync_data()?;
        }
        if !existed {
            sync_parent_dir(path);
        }
        let next_seq = tickets.iter().map(|t| t.seq).max().unwrap_or(0) + 1;
        let memory = Arc::new(Mutex::new(Memory { tickets, next_seq }));
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = {
            let memory = memory.clone();
            let path = path.to_owned();
            std::thread::Builder::new()
                .name("osm-emulator-writer".into())
                .spawn(move || writer(path, file, complete as u64, memory, rx))?
        };
        Ok(Self {
            durable: true,
            memory,
            writer: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Records a ticket; with a state file, returns once it is on disk.
    pub(crate) async fn record(&self, ticket: PendingTicket) -> Result<RecordedTicket, String> {
        if !self.durable {
            let mut m = lock(&self.memory);
            let t = ticket.finish(m.next_seq);
            m.next_seq += 1;
            m.tickets.push(t.clone());
            return Ok(t);
        }
        let (ack, done) = oneshot::channel();
        lock(&self.writer)
            .as_ref()
            .ok_or_else(|| "the state file is closed".to_owned())?
            .send(Job { ticket, ack })
            .map_err(|_| "the state file is closed".to_owned())?;
        done.await
            .map_err(|_| "the state file writer stopped".to_owned())?
    }

    pub(crate) fn tickets(&self) -> Vec<RecordedTicket> {
        lock(&self.memory).tickets.clone()
    }

    pub(crate) fn count(&self) -> usize {
        lock(&self.memory).tickets.len()
    }

    /// Stops the writer thread (after the tickets it holds are written) and closes the
    /// file.
    pub(crate) async fn close(&self) {
        drop(lock(&self.writer).take());
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// Makes the creation of a new file durable (best effort).
fn sync_parent_dir(path: &Path) {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Most tickets written with one `fsync`.
const MAX_BATCH: usize = 4096;

fn writer(
    path: PathBuf,
    mut file: File,
    mut good_len: u64,
    memory: Arc<Mutex<Memory>>,
    mut rx: mpsc::UnboundedReceiver<Job>,
) {
    let mut next_seq = lock(&memory).next_seq;
    let mut batch: Vec<Job> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    while let Some(job) = rx.blocking_recv() {
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        buf.clear();
        let mut done = Vec::with_capacity(batch.len());
        let mut acks = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            let ticket = job.ticket.finish(next_seq);
            next_seq += 1;
            // Serialising plain data into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut buf, &ticket);
            buf.push(b'\n');
            done.push(ticket);
            acks.push(job.ack);
        }
        match file.write_all(&buf).and_then(|()| file.sync_data()) {
            Ok(()) => {
                good_len += buf.len() as u64;
                {
                    let mut m = lock(&memory);
                    m.tickets.extend(done.iter().cloned());
                    m.next_seq = next_seq;
                }
                for (ack, ticket) in acks.into_iter().zip(done) {
                    let _ = ack.send(Ok(ticket));
                }
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot write the state file");
                // Cut off whatever part of the batch reached the file, so that the next
                // batch starts on a line of its own. Sequence numbers are not reused.
                let _ = file.set_len(good_len);
                let msg = format!("the ticket could not be stored: {e}");
                for ack in acks {
                    let _ = ack.send(Err(msg.clone()));
                }
            }
        }
    }
    let _ = file.sync_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(at: SystemTime) -> PendingTicket {
        PendingTicket {
            request_id: "0123456789abcdef0123456789abcdef".into(),
            received_at: at,
            auth: AuthScheme::AkSk {
                access_key: "AK".into(),
                temporary: false,
            },
            headers: BTreeMap::from([("x-language".to_owned(), "en-us".to_owned())]),
            body: serde_json::json!({"business_type_id": "1"}),
        }
    }

    #[test]
    fn times_round_trip() {
        let t = parse_sdk_date("20261128T083854Z").unwrap() + Duration::from_millis(123);
        let s = rfc3339::format(t);
        assert_eq!(s, "2026-11-28T08:38:54.123Z");
        assert_eq!(rfc3339::parse(&s), Some(t));
        assert_eq!(rfc3339::parse("2026-11-28 08:38:54.123Z"), None);
    }

    #[test]
    fn ids_carry_the_date_and_the_sequence() {
        let t = parse_sdk_date("20261128T083854Z").unwrap();
        assert_eq!(pending(t).finish(42).incident_id, "CS20261128000042");
        assert_eq!(
            pending(t).finish(1_234_567).incident_id,
            "CS202611281234567"
        );
    }

    #[tokio::test]
    async fn state_file_survives_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.jsonl");
        let now = SystemTime::now();
        let store = Store::open(&path).unwrap();
        for _ in 0..3 {
            store.record(pending(now)).await.unwrap();
        }
        store.close().await;
        // A crash mid-write leaves part of a line behind.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"seq":4,"incident_id":"CS2026"#).unwrap();
        drop(f);

        let store = Store::open(&path).unwrap();
        assert_eq!(store.count(), 3);
        let t = store.record(pending(now)).await.unwrap();
        assert_eq!(t.seq, 4);
        store.close().await;
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4);
        assert!(text.ends_with('\n'));
        let store = Store::open(&path).unwrap();
        let seqs: Vec<u64> = store.tickets().iter().map(|t| t.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4]);
        assert_eq!(store.tickets()[3], t);
        store.close().await;
    }

    #[test]
    fn a_corrupt_complete_line_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.jsonl");
        std::fs::write(&path, "not json\n").unwrap();
        let err = Store::open(&path).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[tokio::test]
    async fn memory_store_numbers_tickets_in_order() {
        let store = Store::memory();
        let now = SystemTime::now();
        let a = store.record(pending(now)).await.unwrap();
        let b = store.record(pending(now)).await.unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_ne!(a.incident_id, b.incident_id);
        assert_eq!(store.count(), 2);
    }
}
