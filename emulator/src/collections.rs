//! The emulator's generic state: named collections of records, each a key and a JSON
//! value, plus named sequences that hand out ids. A stateful operation's handler keeps
//! what it needs here and wires nothing else: the store is opened with the state file,
//! cleared by the one reset ([`crate::double::reset`]) and bounded as a whole.
//!
//! Every change is a transaction ([`Collections::update`]): it runs under one lock, so
//! concurrent requests never lose each other's writes, and with a state file it is one
//! line of the journal beside it (`<state>.collections`, JSON lines), appended and
//! `fsync`ed before the change takes effect — a change that cannot be saved is undone
//! and refused. On start the journal is replayed; a torn last line (a crash mid-write,
//! never answered) is cut off. When the journal holds many more lines than records it
//! is rewritten as a snapshot through a temporary file of its own, renamed over it.
//! The state file's lock covers the journal.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most records the store holds by default, over every collection
/// ([`crate::EmulatorBuilder::max_records`]).
pub const DEFAULT_MAX_RECORDS: usize = 100_000;

/// The largest record, as JSON.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// The largest journal line (one transaction) written or read back.
const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// The journal is rewritten as a snapshot once it holds more lines than this and more
/// than twice as many lines as there are records.
const COMPACT_AFTER_LINES: usize = 1024;

/// Why a transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// The store holds as many records as it may, or a record is too large.
    Full(String),
    /// The change could not be saved to the journal, and was not made.
    Unsaved(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full(m) | Self::Unsaved(m) => f.write_str(m),
        }
    }
}

/// One change of a transaction, as the journal holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    /// `collection[key] = value`.
    Put { c: String, k: String, v: Value },
    /// Removes `collection[key]`.
    Remove { c: String, k: String },
    /// Sets the last id `sequence` handed out.
    Seq { s: String, n: u64 },
}

/// The records and sequences.
#[derive(Default)]
pub(crate) struct Data {
    collections: BTreeMap<String, BTreeMap<String, Value>>,
    sequences: BTreeMap<String, u64>,
    records: usize,
}

impl Data {
    /// The record `key` of `collection`.
    pub(crate) fn get(&self, collection: &str, key: &str) -> Option<&Value> {
        self.collections.get(collection)?.get(key)
    }

    /// Every record of `collection`, in the order of their keys.
    pub(crate) fn iter(&self, collection: &str) -> impl Iterator<Item = (&String, &Value)> {
        self.collections.get(collection).into_iter().flatten()
    }

    /// How many records `collection` holds.
    #[cfg(test)]
    pub(crate) fn len(&self, collection: &str) -> usize {
        self.collections.get(collection).map_or(0, BTreeMap::len)
    }

    /// Applies `op`, returning the op that undoes it.
    fn apply(&mut self, op: Op) -> Op {
        match op {
            Op::Put { c, k, v } => {
                let old = self
                    .collections
                    .entry(c.clone())
                    .or_default()
                    .insert(k.clone(), v);
                match old {
                    Some(v) => Op::Put { c, k, v },
                    None => {
                        self.records += 1;
                        Op::Remove { c, k }
                    }
                }
            }
            Op::Remove { c, k } => {
                let old = self.collections.get_mut(&c).and_then(|m| m.remove(&k));
                if self.collections.get(&c).is_some_and(BTreeMap::is_empty) {
                    self.collections.remove(&c);
                }
                match old {
                    Some(v) => {
                        self.records -= 1;
                        Op::Put { c, k, v }
                    }
                    None => Op::Remove { c, k },
                }
            }
            Op::Seq { s, n } => {
                let old = self.sequences.insert(s.clone(), n).unwrap_or(0);
                Op::Seq { s, n: old }
            }
        }
    }
}

/// A transaction in progress: reads see its own writes; it is saved and kept only if
/// the closure given to [`Collections::update`] returns `Ok`.
pub(crate) struct Tx<'a> {
    data: &'a mut Data,
    max_records: usize,
    done: Vec<Op>,
    undo: Vec<Op>,
}

impl Tx<'_> {
    /// The records as they stand, this transaction's changes included.
    pub(crate) fn data(&self) -> &Data {
        self.data
    }

    fn apply(&mut self, op: Op) {
        self.done.push(op.clone());
        self.undo.push(self.data.apply(op));
    }

    /// Sets the record `key` of `collection`; refused when the value is larger than
    /// [`MAX_RECORD_BYTES`] or a new record would exceed the store's bound.
    pub(crate) fn put(
        &mut self,
        collection: &str,
        key: &str,
        value: Value,
    ) -> Result<(), StoreError> {
        let size = serde_json::to_vec(&value).map_or(usize::MAX, |b| b.len());
        if size > MAX_RECORD_BYTES {
            return Err(StoreError::Full(format!(
                "a record of {collection} is {size} bytes, more than the {MAX_RECORD_BYTES} the emulator keeps"
            )));
        }
        if self.data.get(collection, key).is_none() && self.data.records >= self.max_records {
            return Err(StoreError::Full(format!(
                "the emulator holds {} records, the most it keeps (max_records)",
                self.max_records
            )));
        }
        self.apply(Op::Put {
            c: collection.into(),
            k: key.into(),
            v: value,
        });
        Ok(())
    }

    /// Removes the record `key` of `collection`, returning it.
    pub(crate) fn remove(&mut self, collection: &str, key: &str) -> Option<Value> {
        let old = self.data.get(collection, key).cloned()?;
        self.apply(Op::Remove {
            c: collection.into(),
            k: key.into(),
        });
        Some(old)
    }

    /// The next id of `sequence` (1 first), or `None` past `max`. Ids are never handed
    /// out twice, not even after the record that had one is removed (until a reset).
    pub(crate) fn next_id(&mut self, sequence: &str, max: u64) -> Option<u64> {
        let n = self.data.sequences.get(sequence).copied().unwrap_or(0) + 1;
        if n > max {
            return None;
        }
        self.apply(Op::Seq {
            s: sequence.into(),
            n,
        });
        Some(n)
    }
}

/// The journal of a store with a state file.
struct Journal {
    path: PathBuf,
    file: File,
    lines: usize,
}

struct Inner {
    data: Data,
    journal: Option<Journal>,
}

/// The store: named collections of JSON records, journaled with a state file.
pub(crate) struct Collections {
    inner: Mutex<Inner>,
    max_records: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The journal beside the state file `state`.
pub(crate) fn journal_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".collections");
    PathBuf::from(name)
}

impl Collections {
    /// In memory only.
    pub(crate) fn memory(max_records: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                data: Data::default(),
                journal: None,
            }),
            max_records: AtomicUsize::new(max_records.max(1)),
        }
    }

    /// With the journal at `path`, replayed. Blocking; to be called under the state
    /// file's lock. A torn last line is cut off; any other bad line refuses the file.
    /// Records beyond `max_records` are kept (they were answered), but no new one is
    /// taken until enough are removed.
    pub(crate) fn open(path: &Path, max_records: usize) -> io::Result<Self> {
        crate::durable::remove_unfinished(path)?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut data = Data::default();
        let (mut good, mut lines) = (0u64, 0usize);
        let mut reader = io::BufReader::new(&mut file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = (&mut reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            if read > MAX_LINE_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {} of {} is longer than {MAX_LINE_BYTES} bytes",
                        lines + 1,
                        path.display()
                    ),
                ));
            }
            if line.last() != Some(&b'\n') {
                break;
            }
            lines += 1;
            let ops: Vec<Op> = serde_json::from_slice(line.trim_ascii()).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {lines} of {} is not a change of records: {e}",
                        path.display()
                    ),
                )
            })?;
            for op in ops {
                data.apply(op);
            }
            good += read as u64;
        }
        drop(reader);
        if file.metadata()?.len() != good {
            tracing::warn!(path = %path.display(), "cutting off a torn last line of the records journal");
            file.set_len(good)?;
            file.sync_data()?;
        }
        let mut inner = Inner {
            data,
            journal: Some(Journal {
                path: path.to_path_buf(),
                file,
                lines,
            }),
        };
        compact_if_long(&mut inner);
        Ok(Self {
            inner: Mutex::new(inner),
            max_records: AtomicUsize::new(max_records.max(1)),
        })
    }

    /// Reads the records under the lock.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Data) -> R) -> R {
        f(&lock(&self.inner).data)
    }

    /// Runs the transaction `f` under the lock. If it returns `Ok`, its changes are
    /// saved (a journal line, `fsync`ed) and kept; if it returns `Err`, or the save
    /// fails, they are undone and the store is as before.
    pub(crate) fn update<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut guard = lock(&self.inner);
        let inner = &mut *guard;
        let mut tx = Tx {
            data: &mut inner.data,
            max_records: self.max_records.load(Ordering::Relaxed),
            done: Vec::new(),
            undo: Vec::new(),
        };
        let result = f(&mut tx);
        let Tx { done, undo, .. } = tx;
        let saved = match (&result, inner.journal.as_mut()) {
            (Ok(_), Some(journal)) if !done.is_empty() => append(journal, &done),
            _ => Ok(()),
        };
        if result.is_err() || saved.is_err() {
            for op in undo.into_iter().rev() {
                inner.data.apply(op);
            }
        }
        saved?;
        if result.is_ok() {
            compact_if_long(inner);
        }
        result
    }

    /// Forgets every record and sequence of a memory-only store; returns how many
    /// records there were. Refused with a journal: it is the durable record.
    pub(crate) fn clear(&self) -> Result<usize, String> {
        let mut inner = lock(&self.inner);
        if inner.journal.is_some() {
            return Err("the records journal cannot be cleared".into());
        }
        let n = inner.data.records;
        inner.data = Data::default();
        Ok(n)
    }
}

/// Appends one transaction to the journal, durably.
fn append(journal: &mut Journal, ops: &[Op]) -> Result<(), StoreError> {
    let mut line = serde_json::to_vec(ops).map_err(|e| StoreError::Unsaved(e.to_string()))?;
    if line.len() >= MAX_LINE_BYTES {
        return Err(StoreError::Full(format!(
            "a change of {} bytes is more than the {MAX_LINE_BYTES} the emulator saves at once",
            line.len()
        )));
    }
    line.push(b'\n');
    journal
        .file
        .write_all(&line)
        .and_then(|()| journal.file.sync_data())
        .map_err(|e| {
            tracing::error!(path = %journal.path.display(), error = %e, "cannot write the records journal");
            StoreError::Unsaved(format!("the change could not be recorded ({e}); try again"))
        })?;
    journal.lines += 1;
    Ok(())
}

/// Rewrites the journal as a snapshot when it holds many more lines than records. A
/// failure leaves the old journal, which is complete, in place.
fn compact_if_long(inner: &mut Inner) {
    let Some(journal) = inner.journal.as_mut() else {
        return;
    };
    let records = inner.data.records;
    if journal.lines <= COMPACT_AFTER_LINES || journal.lines <= records.saturating_mul(2) {
        return;
    }
    match snapshot(&journal.path, &inner.data) {
        Ok((file, lines)) => {
            journal.file = file;
            journal.lines = lines;
        }
        Err(e) => {
            tracing::warn!(path = %journal.path.display(), error = %e, "cannot compact the records journal");
        }
    }
}

/// Writes `data` to a temporary file of its own beside `path`, one line per record
/// and one for the sequences, renames it over `path` and reopens it for appending.
fn snapshot(path: &Path, data: &Data) -> io::Result<(File, usize)> {
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        ".{}-{}.tmp",
        std::process::id(),
        SAVES.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(name);
    let mut lines = 0;
    let written = (|| {
        let mut out = io::BufWriter::new(File::create_new(&tmp)?);
        let mut line = |ops: &[Op]| -> io::Result<()> {
            serde_json::to_writer(&mut out, ops).map_err(io::Error::other)?;
            out.write_all(b"\n")?;
            lines += 1;
            Ok(())
        };
        let seqs: Vec<Op> = data
            .sequences
            .iter()
            .map(|(s, n)| Op::Seq {
                s: s.clone(),
                n: *n,
            })
            .collect();
        if !seqs.is_empty() {
            line(&seqs)?;
        }
        for (c, records) in &data.collections {
            for (k, v) in records {
                line(&[Op::Put {
                    c: c.clone(),
                    k: k.clone(),
                    v: v.clone(),
                }])?;
            }
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_data()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    let file = OpenOptions::new().read(true).append(true).open(path)?;
    Ok((file, lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(store: &Collections, c: &str, k: &str, v: Value) -> Result<(), StoreError> {
        store.update(|tx| tx.put(c, k, v))
    }

    #[test]
    fn a_refused_transaction_changes_nothing() {
        let store = Collections::memory(2);
        put(&store, "a", "1", json!(1)).unwrap();
        let r: Result<(), StoreError> = store.update(|tx| {
            tx.remove("a", "1");
            tx.put("a", "2", json!(2))?;
            tx.put("a", "3", json!(3))?;
            tx.next_id("ids", 9);
            tx.put("a", "4", json!(4))
        });
        assert!(matches!(r, Err(StoreError::Full(_))), "{r:?}");
        store.read(|d| {
            assert_eq!(d.get("a", "1"), Some(&json!(1)));
            assert_eq!(d.len("a"), 1);
        });
        assert_eq!(
            store.update(|tx| Ok::<_, StoreError>(tx.next_id("ids", 9))),
            Ok(Some(1)),
            "the refused transaction's id was given back"
        );
    }

    #[test]
    fn the_journal_replays_compacts_and_cuts_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.collections");
        {
            let store = Collections::open(&path, 10).unwrap();
            // Many changes of one record: the journal is compacted on the way.
            for i in 0..(COMPACT_AFTER_LINES * 2) {
                put(&store, "a", "k", json!(i)).unwrap();
            }
            store
                .update(|tx| {
                    let id = tx.next_id("ids", 5).unwrap();
                    tx.put("b", &id.to_string(), json!("x"))
                })
                .unwrap();
        }
        let lines = fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines <= COMPACT_AFTER_LINES + 1, "{lines} lines");
        // A torn line, as a crash mid-write leaves it.
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"[{\"put\":{\"c\":\"a\"")
            .unwrap();
        let store = Collections::open(&path, 10).unwrap();
        store.read(|d| {
            assert_eq!(d.get("a", "k"), Some(&json!(COMPACT_AFTER_LINES * 2 - 1)));
            assert_eq!(d.get("b", "1"), Some(&json!("x")));
        });
        // The sequence goes on where it was.
        assert_eq!(
            store.update(|tx| Ok::<_, StoreError>(tx.next_id("ids", 5))),
            Ok(Some(2))
        );
        assert!(store.clear().is_err());
    }
}
