//! Every attachment of a ticket, downloaded into a directory in one call:
//! [`crate::Client::download_case_attachments`].
//!
//! The attachments are those the ticket's messages list (`accessory_list` of each
//! message in `show_case_detail`'s answer, then of every page of `list_messages`; the
//! ticket's own attachments are those of its first message), each once. Each is
//! downloaded with `download_attachment` under a per-file bound and what is left of a
//! total bound, into a temporary file in the directory, then renamed to its name.
//!
//! Every name comes from the service and is treated as hostile ([`safe_file_name`]): a
//! name is only ever one file name inside the directory (no separator, no `..`, no
//! absolute path, no control or invisible character, no name Windows reserves), equal
//! names (compared without case) get `-2`, `-3`… before their extension, and an existing
//! file is **never overwritten**: that attachment is reported as not saved and the file
//! is left as it was. A failed or interrupted download leaves no file behind, only
//! whole files are renamed into place.

use std::collections::HashSet;
use std::fmt;
use std::io::ErrorKind as IoKind;
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::error::{Error, ErrorKind};
use crate::rules::{self, Location};

/// How many attachments [`DownloadAllOptions::new`] allows unless told otherwise.
pub const DEFAULT_MAX_FILES: usize = 1000;

/// The longest file name made, in bytes (most file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// Bounds of [`crate::Client::download_case_attachments`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadAllOptions {
    max_file_bytes: u64,
    max_total_bytes: u64,
    max_files: usize,
    group_id: Option<String>,
}

impl DownloadAllOptions {
    /// At most `max_file_bytes` per file and `max_total_bytes` for all of them together;
    /// at most [`DEFAULT_MAX_FILES`] attachments.
    pub fn new(max_file_bytes: u64, max_total_bytes: u64) -> Self {
        Self {
            max_file_bytes,
            max_total_bytes,
            max_files: DEFAULT_MAX_FILES,
            group_id: None,
        }
    }

    /// The most attachments the ticket may list: more, and nothing is downloaded.
    pub fn max_files(mut self, n: usize) -> Self {
        self.max_files = n;
        self
    }

    /// The IAM user group id, for a ticket opened by another member of the group.
    pub fn group_id(mut self, id: impl Into<String>) -> Self {
        self.group_id = Some(id.into());
        self
    }

    /// The bound of one file, in bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// The bound of all files together, in bytes.
    pub fn max_total_bytes(&self) -> u64 {
        self.max_total_bytes
    }
}

/// An attachment of a ticket, as its messages list it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CaseAttachment {
    /// Its id.
    pub accessory_id: String,
    /// The file name the service gives it (`file_actual_name`), as given: not safe as a
    /// path, and possibly holding control characters.
    pub name: Option<String>,
}

/// An attachment saved in the directory.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SavedAttachment {
    /// The attachment.
    #[serde(flatten)]
    pub attachment: CaseAttachment,
    /// Where it was saved.
    pub path: PathBuf,
    /// How many bytes.
    pub bytes: u64,
}

/// An attachment that was not saved, and why.
#[derive(Debug)]
#[non_exhaustive]
pub struct UnsavedAttachment {
    /// The attachment.
    pub attachment: CaseAttachment,
    /// The name it was to have in the directory, when one was chosen.
    pub path: Option<PathBuf>,
    /// Why not.
    pub error: Error,
}

/// What [`crate::Client::download_case_attachments`] saved: every attachment of the
/// ticket, in the order its messages list them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct DownloadedAttachments {
    /// The ticket.
    pub case_id: String,
    /// The directory.
    pub dir: PathBuf,
    /// The attachments saved.
    pub saved: Vec<SavedAttachment>,
}

impl DownloadedAttachments {
    /// How many bytes were saved.
    pub fn bytes(&self) -> u64 {
        self.saved.iter().map(|s| s.bytes).sum()
    }
}

/// Why [`crate::Client::download_case_attachments`] did not save every attachment:
/// the listing failed or a bound refused the ticket (nothing saved), or some downloads
/// failed (the others saved, each whole).
#[derive(Debug)]
pub struct DownloadAllError {
    case_id: String,
    error: Option<Error>,
    saved: Vec<SavedAttachment>,
    unsaved: Vec<UnsavedAttachment>,
}

impl DownloadAllError {
    /// The attachments saved before or beside the failures, each whole.
    pub fn saved(&self) -> &[SavedAttachment] {
        &self.saved
    }

    /// The attachments not saved, each with its error.
    pub fn unsaved(&self) -> &[UnsavedAttachment] {
        &self.unsaved
    }

    /// The error that stopped the whole call before any download (the listing, a
    /// bound, the directory); `None` when only some files failed.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The error to act on: the one that stopped the call, else the first file's.
    pub fn first_error(&self) -> Option<&Error> {
        self.error
            .as_ref()
            .or_else(|| self.unsaved.first().map(|u| &u.error))
    }

    /// [`Self::first_error`], owned.
    pub fn into_first_error(self) -> Option<Error> {
        self.error
            .or_else(|| self.unsaved.into_iter().next().map(|u| u.error))
    }
}

impl fmt::Display for DownloadAllError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.error {
            return write!(
                f,
                "the attachments of ticket {} were not downloaded: {e}",
                self.case_id
            );
        }
        write!(
            f,
            "{} of the {} attachments of ticket {} were not saved",
            self.unsaved.len(),
            self.unsaved.len() + self.saved.len(),
            self.case_id
        )?;
        if let Some(u) = self.unsaved.first() {
            write!(f, " ({}: {})", u.attachment.accessory_id, u.error)?;
        }
        Ok(())
    }
}

impl std::error::Error for DownloadAllError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.first_error().map(|e| e as _)
    }
}

/// Whether `c` may stand in a file name made here: not a control character, not a
/// separator or a character Windows refuses, not an invisible formatting character
/// (bidirectional overrides, zero-width characters) that would hide the real name.
fn allowed(c: char) -> bool {
    !(c.is_control()
        || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'))
}

/// Whether `name` is one Windows keeps for a device (`CON`, `nul.txt`, `COM1.log`…).
fn reserved_on_windows(name: &str) -> bool {
    let base = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_ascii_uppercase();
    match base.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let head: String = base.chars().take(3).collect();
            let tail: String = base.chars().skip(3).collect();
            matches!(head.as_str(), "COM" | "LPT")
                && tail.chars().count() == 1
                && tail
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '¹' | '²' | '³'))
        }
    }
}

/// `raw` made into one file name safe to create inside a directory on any common
/// system, or `None` when nothing usable is left: characters that are not
/// [allowed](self) become `_`; leading dots (`..`, hidden files), leading and trailing
/// spaces and trailing dots go; a name Windows reserves gets a leading `_`; a name longer
/// than 200 bytes is shortened, keeping its extension.
pub fn safe_file_name(raw: &str) -> Option<String> {
    let replaced: String = raw
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .collect();
    let trimmed = replaced
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .trim_start();
    if trimmed.is_empty() {
        return None;
    }
    let mut name = trimmed.to_owned();
    if reserved_on_windows(&name) {
        name.insert(0, '_');
    }
    if name.len() > MAX_NAME_BYTES {
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() && e.len() <= 16 => (s.to_owned(), format!(".{e}")),
            _ => (name.clone(), String::new()),
        };
        let mut cut = MAX_NAME_BYTES - ext.len();
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        name = format!("{}{ext}", stem[..cut].trim_end_matches(['.', ' ']));
    }
    Some(name)
}

/// `name` with `-n` before its extension (`dmesg.log` → `dmesg-2.log`).
fn numbered(name: &str, n: usize) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{n}.{ext}"),
        _ => format!("{name}-{n}"),
    }
}

/// The names given in one run, compared without case (as Windows and macOS do).
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    /// `name`, or the first of `name-2`, `name-3`… not given yet; taken.
    fn take(&mut self, name: &str) -> String {
        let mut candidate = name.to_owned();
        let mut n = 1;
        while self.0.contains(&candidate.to_lowercase()) {
            n += 1;
            candidate = numbered(name, n);
        }
        self.0.insert(candidate.to_lowercase());
        candidate
    }
}

fn stop(op: &'static rules::OperationRules, kind: ErrorKind, message: String) -> Error {
    Error::new(kind, message).for_operation(op)
}

impl crate::Client {
    /// Downloads every attachment of ticket `case_id` into `dir` (created if missing):
    /// those its messages list, each once, under the bounds of `options`. See the
    /// [module](self) for how names are made safe; an existing file is never
    /// overwritten (that attachment is reported as not saved).
    ///
    /// `Ok` when every attachment was saved. Otherwise [`DownloadAllError`] says which
    /// were saved and which not, and why: nothing is downloaded when the listing fails or
    /// the ticket lists more than [`DownloadAllOptions::max_files`] attachments; a file
    /// longer than the per-file bound or than what the total bound leaves is not saved,
    /// and the others still are. No partial file is ever left in `dir`.
    pub async fn download_case_attachments(
        &self,
        case_id: &str,
        dir: impl AsRef<Path>,
        options: &DownloadAllOptions,
    ) -> Result<DownloadedAttachments, DownloadAllError> {
        let dir = dir.as_ref();
        let fail = |error: Error| DownloadAllError {
            case_id: case_id.to_owned(),
            error: Some(error),
            saved: Vec::new(),
            unsaved: Vec::new(),
        };
        let list = self
            .case_attachments(case_id, options)
            .await
            .map_err(fail)?;
        let op = rules::DOWNLOAD_ATTACHMENT;
        tokio::fs::create_dir_all(dir).await.map_err(|e| {
            fail(stop(
                op,
                ErrorKind::Configuration,
                format!("cannot create the directory {}: {e}", dir.display()),
            ))
        })?;
        let mut names = Names::default();
        let mut saved = Vec::new();
        let mut unsaved = Vec::new();
        let mut total: u64 = 0;
        for (index, attachment) in list.into_iter().enumerate() {
            let left = options.max_total_bytes.saturating_sub(total);
            match self
                .save_one(dir, &attachment, index, options, left, &mut names)
                .await
            {
                Ok((path, bytes)) => {
                    total += bytes;
                    saved.push(SavedAttachment {
                        attachment,
                        path,
                        bytes,
                    });
                }
                Err((path, error)) => unsaved.push(UnsavedAttachment {
                    attachment,
                    path,
                    error,
                }),
            }
        }
        if unsaved.is_empty() {
            Ok(DownloadedAttachments {
                case_id: case_id.to_owned(),
                dir: dir.to_path_buf(),
                saved,
            })
        } else {
            Err(DownloadAllError {
                case_id: case_id.to_owned(),
                error: None,
                saved,
                unsaved,
            })
        }
    }

    /// The attachments of ticket `case_id`, as its messages list them, each once, in the
    /// order first listed: `show_case_detail`'s messages, then every page of
    /// `list_messages`. More than `options.max_files` is an error.
    pub async fn case_attachments(
        &self,
        case_id: &str,
        options: &DownloadAllOptions,
    ) -> Result<Vec<CaseAttachment>, Error> {
        let mut found: Vec<CaseAttachment> = Vec::new();
        let mut add = |refs: &[crate::generated::types::AttachmentRef]| -> Result<(), Error> {
            for r in refs {
                let id = r.accessory_id.clone().unwrap_or_default();
                if let Some(known) = found.iter_mut().find(|a| a.accessory_id == id) {
                    if known.name.is_none() {
                        known.name.clone_from(&r.file_actual_name);
                    }
                    continue;
                }
                if found.len() == options.max_files {
                    return Err(stop(
                        rules::DOWNLOAD_ATTACHMENT,
                        ErrorKind::InvalidResponse,
                        format!(
                            "ticket {case_id} lists more than {} attachments, the bound set; \
                             nothing was downloaded",
                            options.max_files
                        ),
                    ));
                }
                found.push(CaseAttachment {
                    accessory_id: id,
                    name: r.file_actual_name.clone(),
                });
            }
            Ok(())
        };
        let mut detail = self.show_case_detail().case_id(case_id);
        if let Some(g) = &options.group_id {
            detail = detail.group_id(g);
        }
        let detail = detail.send().await?;
        for m in detail
            .value()
            .incident_detail_info
            .iter()
            .flat_map(|d| d.message_list.iter())
        {
            add(&m.accessory_list)?;
        }
        // Every page of list_messages, within the spec's bounds of offset and limit.
        let page = rules::LIST_MESSAGES
            .param(Location::Query, "limit")
            .and_then(|r| r.maximum)
            .unwrap_or(100)
            .max(1);
        let last_offset = rules::LIST_MESSAGES
            .param(Location::Query, "offset")
            .and_then(|r| r.maximum)
            .unwrap_or(65_535);
        let mut offset: i64 = 0;
        while offset <= last_offset {
            let mut request = self
                .list_messages()
                .case_id(case_id)
                .offset(offset)
                .limit(page);
            if let Some(g) = &options.group_id {
                request = request.group_id(g);
            }
            let answer = request.send().await?;
            let messages = &answer.value().message_list;
            for m in messages {
                add(&m.accessory_list)?;
            }
            offset += page;
            let count = answer.value().count.unwrap_or(i64::MAX);
            if messages.is_empty() || offset >= count {
                break;
            }
        }
        Ok(found)
    }

    /// Downloads one attachment into a temporary file in `dir`, then renames it to its
    /// safe name there without replacing anything. `left` is what the total bound leaves.
    async fn save_one(
        &self,
        dir: &Path,
        attachment: &CaseAttachment,
        index: usize,
        options: &DownloadAllOptions,
        left: u64,
        names: &mut Names,
    ) -> Result<(PathBuf, u64), (Option<PathBuf>, Error)> {
        let op = rules::DOWNLOAD_ATTACHMENT;
        let io = |what: String, e: std::io::Error| {
            stop(op, ErrorKind::Configuration, format!("{what}: {e}"))
        };
        let given = attachment.name.as_deref().and_then(safe_file_name);
        // A name known before the download: an existing file is refused before a byte
        // is fetched.
        let planned = given.as_deref().map(|n| names.take(n));
        if let Some(name) = &planned {
            let path = dir.join(name);
            if tokio::fs::symlink_metadata(&path).await.is_ok() {
                return Err((Some(path.clone()), exists(op, &path)));
            }
        }
        if left == 0 {
            return Err((
                planned.map(|n| dir.join(n)),
                stop(
                    op,
                    ErrorKind::InvalidResponse,
                    format!(
                        "the total bound of {} bytes is used up; not downloaded",
                        options.max_total_bytes
                    ),
                ),
            ));
        }
        let limit = options.max_file_bytes.min(left);
        let temp = tempfile::Builder::new()
            .prefix(".osm-download-")
            .tempfile_in(dir)
            .map_err(|e| (None, io(format!("cannot write in {}", dir.display()), e)))?;
        let (file, temp_path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut request = self
            .download_attachment()
            .accessory_id(attachment.accessory_id.as_str());
        if let Some(g) = &options.group_id {
            request = request.group_id(g);
        }
        let done = match request.send_to(&mut file, limit).await {
            Ok(done) => done,
            Err(e) if limit < options.max_file_bytes && e.kind() == ErrorKind::InvalidResponse => {
                let e = stop(
                    op,
                    ErrorKind::InvalidResponse,
                    format!(
                        "{e} (what the total bound of {} bytes left for it)",
                        options.max_total_bytes
                    ),
                );
                return Err((planned.map(|n| dir.join(n)), e));
            }
            Err(e) => return Err((planned.map(|n| dir.join(n)), e)),
        };
        let written = |e| (None, io("cannot write the file".into(), e));
        file.flush().await.map_err(written)?;
        file.sync_all().await.map_err(written)?;
        drop(file);
        let name = match planned {
            Some(n) => n,
            None => {
                let fallback = done
                    .file_name
                    .as_deref()
                    .and_then(safe_file_name)
                    .or_else(|| safe_file_name(&format!("attachment-{}", attachment.accessory_id)))
                    .unwrap_or_else(|| format!("attachment-{}", index + 1));
                names.take(&fallback)
            }
        };
        let path = dir.join(&name);
        // Renamed only if nothing has that name: a file there is never replaced, and the
        // temporary file goes when its handle drops.
        match temp_path.persist_noclobber(&path) {
            Ok(()) => Ok((path, done.bytes)),
            Err(e) if e.error.kind() == IoKind::AlreadyExists => {
                Err((Some(path.clone()), exists(op, &path)))
            }
            Err(e) => Err((
                Some(path.clone()),
                io(format!("cannot save {}", path.display()), e.error),
            )),
        }
    }
}

fn exists(op: &'static rules::OperationRules, path: &Path) -> Error {
    stop(
        op,
        ErrorKind::Configuration,
        format!(
            "{} exists; it is not overwritten (choose an empty directory, or move it away)",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_name_becomes_one_safe_file_name() {
        for (raw, want) in [
            ("dmesg.log", Some("dmesg.log")),
            ("../../etc/passwd", Some("_.._etc_passwd")),
            ("/etc/passwd", Some("_etc_passwd")),
            ("C:\\Windows\\win.ini", Some("C__Windows_win.ini")),
            ("..", None),
            (".", None),
            ("   ", None),
            ("", None),
            (".bashrc", Some("bashrc")),
            ("a\0b.txt", Some("a_b.txt")),
            ("x\u{1b}[2Jy.txt", Some("x_[2Jy.txt")),
            ("invoice\u{202E}gpj.exe", Some("invoice_gpj.exe")),
            ("CON", Some("_CON")),
            ("nul.txt", Some("_nul.txt")),
            ("com1.log", Some("_com1.log")),
            ("LPT9", Some("_LPT9")),
            ("COM10.log", Some("COM10.log")),
            ("console.log", Some("console.log")),
            ("report. ", Some("report")),
            ("a|b?c*.txt", Some("a_b_c_.txt")),
            ("日志.txt", Some("日志.txt")),
        ] {
            assert_eq!(safe_file_name(raw).as_deref(), want, "{raw:?}");
        }
        let long = format!("{}.log", "é".repeat(300));
        let safe = safe_file_name(&long).unwrap();
        assert!(
            safe.len() <= MAX_NAME_BYTES && safe.ends_with(".log"),
            "{safe}"
        );
    }

    #[test]
    fn equal_names_are_numbered_without_regard_to_case() {
        let mut names = Names::default();
        assert_eq!(names.take("a.log"), "a.log");
        assert_eq!(names.take("A.LOG"), "A-2.LOG");
        assert_eq!(names.take("a.log"), "a-3.log");
        assert_eq!(names.take("a-2.log"), "a-2-2.log");
        assert_eq!(names.take("README"), "README");
        assert_eq!(names.take("readme"), "readme-2");
    }
}
