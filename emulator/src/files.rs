//! Where uploaded attachments are kept: in memory, or with a state file as files in a
//! directory beside it (`<state>.attachments/`: `<id>.bin` holds the bytes, `<id>.json`
//! the metadata), written and flushed to disk before the upload is answered.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::store::rfc3339;

/// The most bytes the emulator keeps for all attachments together; an upload beyond it
/// is refused with the vendor's "upload limit reached" business error (`OSM.01010005`).
pub const MAX_STORED_BYTES: u64 = 1024 * 1024 * 1024;

/// The most attachments kept at once.
pub const MAX_STORED_ATTACHMENTS: usize = 100_000;

/// An attachment the emulator stored: its metadata, never its bytes (see
/// [`crate::RunningEmulator::attachment_bytes`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedAttachment {
    /// Position in the order of uploads, from 1.
    pub seq: u64,
    /// The id answered (32 hex digits).
    pub id: String,
    /// The file name given.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// `accessory_from`: `incident` or `message`.
    pub from: String,
    /// `upload_type`: 0 ordinary, 1 markdown mode.
    pub upload_type: i64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// `multipart` (upload_attachment) or `json` (upload_json_attachment).
    pub encoding: String,
    /// When it was received, by the emulator's clock (RFC 3339 in JSON).
    #[serde(with = "rfc3339")]
    pub uploaded_at: SystemTime,
}

/// An attachment before the store gives it an id.
pub(crate) struct NewAttachment {
    pub(crate) name: String,
    pub(crate) from: String,
    pub(crate) upload_type: i64,
    pub(crate) encoding: &'static str,
    pub(crate) uploaded_at: SystemTime,
    pub(crate) data: Bytes,
}

/// Why an attachment could not be stored.
pub(crate) enum StoreError {
    /// The store is full.
    Full(String),
    /// The disk failed.
    Io(String),
}

struct Inner {
    list: Vec<RecordedAttachment>,
    /// The bytes, in memory mode.
    bytes: HashMap<String, Bytes>,
    total: u64,
    next_seq: u64,
}

/// The attachment store of one emulator.
pub(crate) struct Files {
    dir: Option<PathBuf>,
    inner: Mutex<Inner>,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The directory that holds the attachments of the state file `state`.
pub(crate) fn dir_for(state: &Path) -> PathBuf {
    let mut name = state
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".attachments");
    state.with_file_name(name)
}

/// Writes `data` to `path` durably: a temporary file, `fsync`, then a rename.
fn write_durably(path: &Path, data: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_data()?;
    drop(f);
    fs::rename(&tmp, path)
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Files {
    /// Forgets every attachment of a memory-only store, returning how many there were;
    /// a store on disk is left alone (the emulator refuses a reset before this).
    pub(crate) fn clear(&self) -> usize {
        if self.dir.is_some() {
            return 0;
        }
        let mut inner = lock(&self.inner);
        let n = inner.list.len();
        inner.list.clear();
        inner.bytes.clear();
        inner.total = 0;
        n
    }

    /// A store in memory only.
    pub(crate) fn memory() -> Self {
        Self {
            dir: None,
            inner: Mutex::new(Inner {
                list: Vec::new(),
                bytes: HashMap::new(),
                total: 0,
                next_seq: 1,
            }),
        }
    }

    /// A store in `dir`, loading what it holds (creating it if need be). Blocking.
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut list = Vec::new();
        let mut bins = Vec::new();
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            match path.extension().and_then(|e| e.to_str()) {
                // A write that failed or was killed before its rename: never answered.
                Some("tmp") => {
                    tracing::info!(path = %path.display(), "removing an unfinished write");
                    fs::remove_file(&path)?;
                    continue;
                }
                Some("bin") => bins.push(path.clone()),
                _ => {}
            }
            let Some(id) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| valid_id(s))
            else {
                continue;
            };
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let meta: RecordedAttachment =
                serde_json::from_slice(&fs::read(&path)?).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} is not an attachment's metadata: {e}", path.display()),
                    )
                })?;
            let bin = dir.join(format!("{id}.bin"));
            match fs::metadata(&bin) {
                Ok(m) if m.len() == meta.size && meta.id == id => list.push(meta),
                // Metadata is written after the bytes; metadata without matching bytes
                // was never answered.
                _ => {
                    tracing::warn!(path = %path.display(), "ignoring an attachment without its bytes")
                }
            }
        }
        // Bytes without metadata (the metadata is written after them) were never
        // answered either.
        for bin in bins {
            let id = bin.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            if valid_id(id) && !list.iter().any(|a| a.id == id) {
                tracing::info!(path = %bin.display(), "removing bytes without metadata");
                fs::remove_file(&bin)?;
            }
        }
        list.sort_by_key(|a| a.seq);
        let total = list.iter().map(|a| a.size).sum();
        let next_seq = list.last().map_or(1, |a| a.seq + 1);
        Ok(Self {
            dir: Some(dir.to_owned()),
            inner: Mutex::new(Inner {
                list,
                bytes: HashMap::new(),
                total,
                next_seq,
            }),
        })
    }

    /// Stores an attachment; with a directory, returns once it is on disk.
    pub(crate) async fn store(&self, new: NewAttachment) -> Result<RecordedAttachment, StoreError> {
        let size = new.data.len() as u64;
        let meta = {
            let mut inner = lock(&self.inner);
            if inner.total + size > MAX_STORED_BYTES || inner.list.len() >= MAX_STORED_ATTACHMENTS {
                return Err(StoreError::Full(format!(
                    "the upload limit has been reached: the emulator keeps at most {MAX_STORED_BYTES} bytes in {MAX_STORED_ATTACHMENTS} attachments"
                )));
            }
            let seq = inner.next_seq;
            inner.next_seq += 1;
            // Reserved now, so that concurrent uploads cannot overshoot the bound.
            inner.total += size;
            RecordedAttachment {
                seq,
                id: format!("{:032x}", fastrand::u128(..)),
                name: new.name,
                size,
                from: new.from,
                upload_type: new.upload_type,
                sha256: huaweicloud_signing::hex_sha256(&new.data),
                encoding: new.encoding.to_owned(),
                uploaded_at: rfc3339::truncate(new.uploaded_at),
            }
        };
        if let Some(dir) = &self.dir {
            let (dir, m, data) = (dir.clone(), meta.clone(), new.data.clone());
            let written = tokio::task::spawn_blocking(move || -> io::Result<()> {
                write_durably(&dir.join(format!("{}.bin", m.id)), &data)?;
                let json = serde_json::to_vec(&m).map_err(io::Error::other)?;
                write_durably(&dir.join(format!("{}.json", m.id)), &json)?;
                sync_dir(&dir);
                Ok(())
            })
            .await
            .map_err(|e| io::Error::other(e.to_string()))
            .and_then(|r| r);
            if let Err(e) = written {
                lock(&self.inner).total -= size;
                tracing::error!(error = %e, "cannot write an attachment");
                return Err(StoreError::Io(format!(
                    "the attachment could not be stored: {e}"
                )));
            }
        }
        let mut inner = lock(&self.inner);
        if self.dir.is_none() {
            inner.bytes.insert(meta.id.clone(), new.data);
        }
        inner.list.push(meta.clone());
        Ok(meta)
    }

    /// Every attachment kept, in the order uploaded.
    pub(crate) fn list(&self) -> Vec<RecordedAttachment> {
        lock(&self.inner).list.clone()
    }

    /// The metadata of attachment `id`, if it is kept.
    pub(crate) fn get(&self, id: &str) -> Option<RecordedAttachment> {
        lock(&self.inner).list.iter().find(|a| a.id == id).cloned()
    }

    /// Whether `id` names a kept attachment.
    pub(crate) fn contains(&self, id: &str) -> bool {
        lock(&self.inner).list.iter().any(|a| a.id == id)
    }

    /// The bytes of attachment `id`. Blocking with a directory.
    pub(crate) fn bytes(&self, id: &str) -> Option<Bytes> {
        if !self.contains(id) {
            return None;
        }
        match &self.dir {
            None => lock(&self.inner).bytes.get(id).cloned(),
            Some(dir) => fs::read(dir.join(format!("{id}.bin")))
                .ok()
                .map(Bytes::from),
        }
    }

    /// Deletes attachment `id`; `false` if there is none.
    pub(crate) async fn delete(&self, id: &str) -> Result<bool, String> {
        let removed = {
            let mut inner = lock(&self.inner);
            let Some(pos) = inner.list.iter().position(|a| a.id == id) else {
                return Ok(false);
            };
            let removed = inner.list.remove(pos);
            inner.total -= removed.size;
            inner.bytes.remove(id);
            removed
        };
        if let Some(dir) = &self.dir {
            let dir = dir.clone();
            let id = removed.id.clone();
            tokio::task::spawn_blocking(move || {
                // The metadata first: bytes without metadata are ignored on load.
                let _ = fs::remove_file(dir.join(format!("{id}.json")));
                let _ = fs::remove_file(dir.join(format!("{id}.bin")));
                sync_dir(&dir);
            })
            .await
            .map_err(|e| e.to_string())?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(data: &'static [u8]) -> NewAttachment {
        NewAttachment {
            name: "dmesg.log".into(),
            from: "incident".into(),
            upload_type: 0,
            encoding: "multipart",
            uploaded_at: SystemTime::now(),
            data: Bytes::from_static(data),
        }
    }

    #[test]
    fn the_directory_sits_beside_the_state_file() {
        assert_eq!(
            dir_for(Path::new("/x/state.jsonl")),
            Path::new("/x/state.jsonl.attachments")
        );
    }

    #[tokio::test]
    async fn attachments_survive_a_restart_and_deletion_is_durable() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s.attachments");
        let files = Files::open(&dir).unwrap();
        let a = files.store(new(b"one")).await.ok().unwrap();
        let b = files.store(new(b"two!")).await.ok().unwrap();
        assert_eq!(a.sha256, huaweicloud_signing::hex_sha256(b"one"));
        assert!(files.delete(&a.id).await.unwrap());
        assert!(!files.delete(&a.id).await.unwrap());
        // A torn upload: bytes written, metadata not.
        fs::write(dir.join(format!("{:032x}.bin", 7)), b"x").unwrap();
        let files = Files::open(&dir).unwrap();
        assert_eq!(files.list(), std::slice::from_ref(&b));
        assert_eq!(files.bytes(&b.id).unwrap(), &b"two!"[..]);
        assert!(files.bytes(&a.id).is_none());
        let c = files.store(new(b"3")).await.ok().unwrap();
        assert_eq!(c.seq, b.seq + 1);
    }
}
