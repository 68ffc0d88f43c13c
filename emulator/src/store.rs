//! Where tickets are recorded: memory, and optionally a JSON-lines state file.
//!
//! With a state file, one writer thread owns the file. Handlers hand it their tickets
//! through a channel; it takes every ticket waiting, assigns sequence numbers and ids,
//! appends them as one write, calls `fsync` (`File::sync_data`) once for the batch
//! (group commit), and only then answers each handler, which then sends its `200`.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, Write};
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
    /// The most tickets recorded; a create beyond is refused ([`full`]).
    max: usize,
    tickets: Vec<RecordedTicket>,
    /// The position in `tickets` of each ticket id.
    index: HashMap<String, usize>,
    /// The next sequence number; `None` once they are used up.
    next_seq: Option<u64>,
}

impl Memory {
    fn new(tickets: Vec<RecordedTicket>, next_seq: Option<u64>) -> Self {
        let mut m = Self {
            max: DEFAULT_MAX_TICKETS,
            tickets: Vec::with_capacity(tickets.len()),
            index: HashMap::with_capacity(tickets.len()),
            next_seq,
        };
        m.extend(tickets);
        m
    }

    fn extend(&mut self, tickets: impl IntoIterator<Item = RecordedTicket>) {
        for t in tickets {
            self.index.insert(t.incident_id.clone(), self.tickets.len());
            self.tickets.push(t);
        }
    }
}

type Ack = oneshot::Sender<Result<Recorded, String>>;

/// What recording a ticket tells its handler: its number and id (the ticket itself
/// stays in the store, uncopied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) seq: u64,
    pub(crate) incident_id: String,
}

impl From<&RecordedTicket> for Recorded {
    fn from(t: &RecordedTicket) -> Self {
        Self {
            seq: t.seq,
            incident_id: t.incident_id.clone(),
        }
    }
}

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

/// The deepest nesting of objects and arrays a state-file line may have. A line is a
/// ticket (one level) holding the validated body (one more), and the library's
/// validator accepts bodies up to serde_json's recursion limit of 128 levels, so every
/// ticket the emulator opens loads back; a deeper line is refused before it is parsed,
/// so that a corrupt file cannot exhaust the stack.
pub(crate) const MAX_LINE_DEPTH: usize = 256;

/// How every line the store writes begins: `seq` is the first member of a ticket.
const LINE_START: &[u8] = br#"{"seq":"#;

/// The message of a refusal to use a state file.
fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// What a scan of a line (without its newline) finds outside strings.
struct Shape {
    /// It nests deeper than [`MAX_LINE_DEPTH`].
    too_deep: bool,
    /// It has no whitespace outside strings, as the store writes lines.
    compact: bool,
}

fn shape(line: &[u8]) -> Shape {
    let (mut depth, mut in_string, mut escaped, mut compact) = (0usize, false, false, true);
    for &b in line {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_LINE_DEPTH {
                    return Shape {
                        too_deep: true,
                        compact,
                    };
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b' ' | b'\t' | b'\r' | b'\n' => compact = false,
            _ => {}
        }
    }
    Shape {
        too_deep: false,
        compact,
    }
}

/// Why a line is not a ticket.
struct LineError {
    msg: String,
    /// The line could be the beginning of one the store wrote, cut short by a crash.
    torn: bool,
}

fn parse_line(line: &[u8]) -> Result<RecordedTicket, LineError> {
    if shape(line).too_deep {
        return Err(LineError {
            msg: format!("it nests more than {MAX_LINE_DEPTH} levels deep"),
            torn: false,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(line);
    // Bounded by the scan above.
    de.disable_recursion_limit();
    let parsed = RecordedTicket::deserialize(&mut de).and_then(|t| de.end().map(|()| t));
    // A line appended after blank space starts with that space.
    let start = line.trim_ascii_start();
    parsed.map_err(|e| LineError {
        torn: e.classify() == serde_json::error::Category::Eof
            && shape(start).compact
            && (start.starts_with(LINE_START) || LINE_START.starts_with(start)),
        msg: e.to_string(),
    })
}

/// A state file, loaded.
struct Loaded {
    tickets: Vec<RecordedTicket>,
    next_seq: u64,
    /// What to do with the last line, which has no newline.
    tail: Tail,
    /// The length of the file up to the tail.
    complete: u64,
}

enum Tail {
    /// The file ends with a newline (or is empty).
    None,
    /// Blank: left as it is (a line appended after it still parses).
    Blank,
    /// A whole ticket that lost only its newline: kept, and the newline added.
    Unterminated,
    /// The beginning of a line cut short by a crash mid-write (never answered): cut.
    Torn(u64),
}

/// Reads a state file. Every non-blank line must be a recorded ticket, except that the
/// last one, if it has no newline, may be the beginning of one the store wrote (which
/// is cut off, by the caller); sequence numbers must be distinct, and leave room for
/// one more.
fn load(file: &mut File) -> io::Result<Loaded> {
    let mut reader = io::BufReader::new(file);
    let mut line = Vec::new();
    let mut tickets = Vec::new();
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut highest: Option<(u64, usize)> = None;
    let (mut complete, mut tail, mut n) = (0u64, Tail::None, 0usize);
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)? as u64;
        if read == 0 {
            break;
        }
        n += 1;
        let terminated = line.last() == Some(&b'\n');
        let content = if terminated {
            &line[..line.len() - 1]
        } else {
            &line[..]
        };
        if content.iter().all(u8::is_ascii_whitespace) {
            if terminated {
                complete += read;
            } else {
                tail = Tail::Blank;
            }
            continue;
        }
        let ticket = match parse_line(content) {
            Ok(ticket) => ticket,
            Err(e) if !terminated && e.torn => {
                tail = Tail::Torn(read);
                break;
            }
            Err(e) if n == 1 => {
                return Err(invalid(format!(
                    "it is not an osm-emulator state file: line 1 is not a recorded ticket ({}); \
                     it is left as it is (give a new or an empty file)",
                    e.msg
                )));
            }
            Err(e) if !terminated => {
                return Err(invalid(format!(
                    "its last line ({n}, without a final newline) is neither a recorded ticket \
                     nor the beginning of one cut short by a crash ({}); it is left as it is",
                    e.msg
                )));
            }
            Err(e) => {
                return Err(invalid(format!(
                    "line {n} is not a recorded ticket: {}",
                    e.msg
                )));
            }
        };
        if let Some(first) = seen.insert(ticket.seq, n) {
            return Err(invalid(format!(
                "it holds seq {} twice, on lines {first} and {n} (were two emulators writing \
                 to it at once?); ticket ids would repeat, so it is not loaded",
                ticket.seq
            )));
        }
        if highest.is_none_or(|(seq, _)| ticket.seq > seq) {
            highest = Some((ticket.seq, n));
        }
        tickets.push(ticket);
        if terminated {
            complete += read;
        } else {
            tail = Tail::Unterminated;
        }
    }
    let next_seq = match highest {
        None => 1,
        Some((seq, line)) => seq.checked_add(1).ok_or_else(|| {
            invalid(format!(
                "line {line} holds seq {seq}, the largest sequence number there is: no \
                 sequence number is left for a new ticket"
            ))
        })?,
    };
    Ok(Loaded {
        tickets,
        next_seq,
        tail,
        complete,
    })
}

/// `<state file>.lock`, where the emulator holding the state file writes its pid.
fn lock_note_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Who holds the lock on a state file, as its lock note says.
fn holder(path: &Path) -> String {
    let note = lock_note_path(path);
    match std::fs::read_to_string(&note)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
    {
        Some(pid) => format!("pid {pid}, as {} records", note.display()),
        None => format!(
            "its pid is unknown: {} is missing or unreadable",
            note.display()
        ),
    }
}

/// The lock note of a state file this process holds; removed when dropped (while the
/// lock is still held).
struct LockNote {
    path: PathBuf,
    pid: String,
}

impl LockNote {
    fn write(state: &Path) -> Self {
        let note = LockNote {
            path: lock_note_path(state),
            pid: std::process::id().to_string(),
        };
        // Only informative (the lock itself is on the state file): never fatal.
        if let Err(e) = std::fs::write(&note.path, format!("{}\n", note.pid)) {
            tracing::warn!(path = %note.path.display(), error = %e, "cannot write the lock note");
        }
        note
    }
}

impl Drop for LockNote {
    fn drop(&mut self) {
        if std::fs::read_to_string(&self.path).is_ok_and(|s| s.trim() == self.pid) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Store {
    /// A store that keeps tickets in memory only.
    pub(crate) fn memory() -> Self {
        Self {
            durable: false,
            memory: Arc::new(Mutex::new(Memory::new(Vec::new(), Some(1)))),
            writer: Mutex::new(None),
            thread: Mutex::new(None),
        }
    }

    /// A durable store on `path`, loading what it holds. Blocking.
    ///
    /// The file is locked (`flock`, exclusive) for as long as the store is open, and the
    /// pid of this process is written to `<path>.lock`, so that a second emulator on
    /// the same file refuses to start and says who holds it.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "another osm-emulator holds it ({}); two emulators must not share a \
                         state file",
                        holder(path)
                    ),
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(io::Error::new(e.kind(), format!("cannot lock it: {e}")));
            }
        }
        let note = LockNote::write(path);
        let loaded = load(&mut file)?;
        let good_len = match loaded.tail {
            Tail::None | Tail::Blank => file.metadata()?.len(),
            Tail::Unterminated => {
                tracing::warn!(
                    path = %path.display(),
                    "the last line of the state file has no newline; adding it"
                );
                file.write_all(b"\n")?;
                file.sync_data()?;
                file.metadata()?.len()
            }
            Tail::Torn(bytes) => {
                tracing::warn!(
                    path = %path.display(),
                    bytes,
                    "cutting off a torn last line of the state file (left by a crash mid-write)"
                );
                file.set_len(loaded.complete)?;
                file.sync_data()?;
                loaded.complete
            }
        };
        if !existed {
            sync_parent_dir(path);
        }
        let memory = Arc::new(Mutex::new(Memory::new(
            loaded.tickets,
            Some(loaded.next_seq),
        )));
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = {
            let memory = memory.clone();
            let path = path.to_owned();
            std::thread::Builder::new()
                .name("osm-emulator-writer".into())
                .spawn(move || writer(path, file, note, good_len, memory, rx))?
        };
        Ok(Self {
            durable: true,
            memory,
            writer: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Sets the most tickets the store holds (at least 1).
    pub(crate) fn set_max_tickets(&self, max: usize) {
        lock(&self.memory).max = max.max(1);
    }

    /// Records a ticket; with a state file, returns once it is on disk.
    pub(crate) async fn record(&self, ticket: PendingTicket) -> Result<Recorded, String> {
        if !self.durable {
            let mut m = lock(&self.memory);
            if m.tickets.len() >= m.max {
                return Err(full(m.max));
            }
            let seq = m.next_seq.ok_or_else(exhausted)?;
            let t = ticket.finish(seq);
            let recorded = Recorded::from(&t);
            m.next_seq = seq.checked_add(1);
            m.extend([t]);
            return Ok(recorded);
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

    /// Every ticket, in the order recorded (a copy: for inspection, not for handlers).
    pub(crate) fn tickets(&self) -> Vec<RecordedTicket> {
        lock(&self.memory).tickets.clone()
    }

    /// The ticket `incident_id`, if recorded.
    pub(crate) fn find(&self, incident_id: &str) -> Option<RecordedTicket> {
        let m = lock(&self.memory);
        m.index.get(incident_id).map(|&i| m.tickets[i].clone())
    }

    /// Whether ticket `incident_id` is recorded.
    pub(crate) fn contains(&self, incident_id: &str) -> bool {
        lock(&self.memory).index.contains_key(incident_id)
    }

    /// The tickets `keep` selects, in the order recorded: only those are copied.
    pub(crate) fn select(
        &self,
        mut keep: impl FnMut(&RecordedTicket) -> bool,
    ) -> Vec<RecordedTicket> {
        lock(&self.memory)
            .tickets
            .iter()
            .filter(|t| keep(t))
            .cloned()
            .collect()
    }

    pub(crate) fn count(&self) -> usize {
        lock(&self.memory).tickets.len()
    }

    /// Whether tickets go to a state file.
    pub(crate) fn is_durable(&self) -> bool {
        self.durable
    }

    /// Forgets every ticket of a memory-only store (a state file's are never
    /// forgotten); returns how many. Sequence numbers go on, so ids are not reused.
    pub(crate) fn clear(&self) -> Result<usize, String> {
        if self.durable {
            return Err("the tickets of a state file cannot be cleared".into());
        }
        let mut m = lock(&self.memory);
        let n = m.tickets.len();
        m.tickets.clear();
        m.index.clear();
        Ok(n)
    }

    /// Stops the writer thread (after the tickets it holds are written) and closes the
    /// file, which releases its lock.
    pub(crate) async fn close(&self) {
        drop(lock(&self.writer).take());
        let thread = lock(&self.thread).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

fn exhausted() -> String {
    format!(
        "the ticket could not be stored: no sequence number is left (the last one, {}, is taken)",
        u64::MAX
    )
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

/// The most tickets an emulator holds unless told otherwise
/// ([`EmulatorBuilder::max_tickets`](crate::EmulatorBuilder::max_tickets)): a bound on
/// its memory (a ticket takes one to two KiB), far above what a test opens.
pub const DEFAULT_MAX_TICKETS: usize = 200_000;

/// Why a create is refused once the store holds `max` tickets.
fn full(max: usize) -> String {
    format!(
        "the ticket could not be stored: the emulator has reached its limit of {max} \
         tickets (osm-emulator --max-tickets, EmulatorBuilder::max_tickets); a memory-only \
         emulator forgets its tickets with DELETE /__emulator/tickets"
    )
}

/// Most tickets written with one `fsync`.
const MAX_BATCH: usize = 4096;

fn writer(
    path: PathBuf,
    mut file: File,
    note: LockNote,
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
        let (held, max) = {
            let m = lock(&memory);
            (m.tickets.len(), m.max)
        };
        for job in batch.drain(..) {
            if held + done.len() >= max {
                let _ = job.ack.send(Err(full(max)));
                continue;
            }
            let Some(seq) = next_seq else {
                let _ = job.ack.send(Err(exhausted()));
                continue;
            };
            next_seq = seq.checked_add(1);
            let ticket = job.ticket.finish(seq);
            // Serialising plain data into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut buf, &ticket);
            buf.push(b'\n');
            done.push(ticket);
            acks.push(job.ack);
        }
        if done.is_empty() {
            continue;
        }
        match file.write_all(&buf).and_then(|()| file.sync_data()) {
            Ok(()) => {
                good_len += buf.len() as u64;
                let recorded: Vec<Recorded> = done.iter().map(Recorded::from).collect();
                {
                    let mut m = lock(&memory);
                    m.extend(done);
                    m.next_seq = next_seq;
                }
                for (ack, recorded) in acks.into_iter().zip(recorded) {
                    let _ = ack.send(Ok(recorded));
                }
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot write the state file");
                // Cut off whatever part of the batch reached the file, so that the next
                // batch starts on a line of its own. Sequence numbers are not reused.
                let _ = file.set_len(good_len);
                lock(&memory).next_seq = next_seq;
                let msg = format!("the ticket could not be stored: {e}");
                for ack in acks {
                    let _ = ack.send(Err(msg.clone()));
                }
            }
        }
    }
    let _ = file.sync_all();
    // The note goes first, while the lock is still held; closing the file releases it.
    drop(note);
    drop(file);
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
        assert_eq!(Recorded::from(&store.tickets()[3]), t);
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

    /// A line as the writer writes it, with strings that need escapes and multi-byte
    /// characters, and some nesting.
    fn written_line() -> Vec<u8> {
        let mut p = pending(SystemTime::now());
        p.body = serde_json::json!({
            "business_type_id": "1",
            "simple_description": "disk \"full\" \\ on ecs-01, 票 🎫 é\n{\"seq\":",
            "extends_map": {"a": {"b": [1, 2.5, {"c": null}]}},
        });
        let mut line = serde_json::to_vec(&p.finish(7)).unwrap();
        line.push(b'\n');
        line
    }

    #[test]
    fn every_line_starts_as_the_torn_rule_expects() {
        assert!(written_line().starts_with(LINE_START));
        assert!(shape(&written_line()[..written_line().len() - 1]).compact);
    }

    #[test]
    fn every_prefix_of_a_written_line_is_recognised_as_torn() {
        let line = written_line();
        let content = &line[..line.len() - 1];
        assert!(parse_line(content).is_ok());
        for cut in 1..content.len() {
            let e = parse_line(&content[..cut])
                .err()
                .unwrap_or_else(|| panic!("a prefix of {cut} bytes parses as a ticket"));
            assert!(e.torn, "{cut} bytes: {}", e.msg);
        }
    }

    #[test]
    fn what_the_store_could_not_have_written_is_not_torn() {
        for text in [
            r#"{"business_type_id":"1""#,
            r#"{"seq": 1, "note": "mine""#,
            r#"{"seq":1,"incident_id":"CS"}"#,
            r#"{"seq":1,"incident_id":"CS"}}"#,
            "hello",
            "[1,2",
        ] {
            let e = parse_line(text.as_bytes()).err().unwrap();
            assert!(!e.torn, "{text}");
        }
    }

    #[tokio::test]
    async fn a_full_store_refuses_the_next_ticket_and_says_how_to_go_on() {
        let now = SystemTime::now();
        let store = Store::memory();
        store.set_max_tickets(2);
        store.record(pending(now)).await.unwrap();
        store.record(pending(now)).await.unwrap();
        let err = store.record(pending(now)).await.unwrap_err();
        assert!(err.contains("reached its limit of 2 tickets"), "{err}");
        assert!(err.contains("--max-tickets"), "{err}");
        assert_eq!(store.count(), 2);
        assert_eq!(store.clear().unwrap(), 2);
        assert_eq!(store.record(pending(now)).await.unwrap().seq, 3);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.jsonl");
        let store = Store::open(&path).unwrap();
        store.set_max_tickets(1);
        store.record(pending(now)).await.unwrap();
        let err = store.record(pending(now)).await.unwrap_err();
        assert!(err.contains("reached its limit of 1 tickets"), "{err}");
        store.close().await;
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().count(),
            1,
            "the refused ticket is not in the file"
        );
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
