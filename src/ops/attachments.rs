//! Attachments: files uploaded before a ticket or a message refers to them by id.
//!
//! - [`crate::Client::upload_attachment`] and [`crate::Client::upload_attachment_file`]
//!   upload one file and answer its id; [`crate::Client::upload_attachment_with`] takes
//!   [`UploadOptions`] (multipart or Base64 in JSON, the purpose, the limits).
//! - [`crate::Client::create_case_with_attachments`] uploads files, then opens a ticket
//!   that names them, and deletes what it uploaded when the ticket is refused.
//! - [`AttachmentLimits`]: how many files, how large and of which types. Every upload is
//!   checked against them before a byte is sent: by default the limits the vendor
//!   documents ([`AttachmentLimits::documented`], read from the spec's
//!   `x-default-answer` of `show_attachment_limits`), or those the service reports
//!   ([`AttachmentLimits::fetch`]).
//!
//! - [`crate::Client::download_case_attachments`] saves every attachment of a ticket
//!   into a directory under a per-file and a total bound, each name made safe
//!   ([`download_all`]).
//!
//! The generated builders ([`crate::Client::upload_json_attachment`],
//! [`crate::Client::show_attachment_limits`], [`crate::Client::delete_attachment`],
//! [`crate::Client::download_attachment`], [`crate::Client::download_images`],
//! [`crate::Client::list_accessory_access_urls`],
//! [`crate::Client::show_download_accessory_url`]) stay available for raw calls.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use super::multipart::{self, Part};
use crate::case::{CreatedCase, NewCase};
use crate::error::{Error, ErrorKind};
use crate::exec::{Answer, Input, error_fields};
use crate::generated::types::{
    ShowAttachmentLimitsResponse, UploadAttachmentResponse, UploadJsonAttachmentResponse,
};
use crate::rules::{self, Location};
use crate::validation::{self, Problem, ValidationError};

include!("../generated/ops_attachments.rs");

pub mod download_all;

pub use download_all::{
    CaseAttachment, DownloadAllError, DownloadAllOptions, DownloadedAttachments, SavedAttachment,
    UnsavedAttachment, safe_file_name,
};

/// Bytes in the "MB" of `limit_size`. The vendor does not say whether it means 10^6 or
/// 2^20 bytes; the client and the emulator read it as 2^20 (a MiB), as services of this
/// kind count.
pub const BYTES_PER_MEGABYTE: u64 = 1024 * 1024;

/// Where a set of [`AttachmentLimits`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitsSource {
    /// The values the vendor documents (the spec's `x-default-answer`).
    Documented,
    /// What `show_attachment_limits` answered.
    Service,
    /// Set by the caller ([`AttachmentLimits::new`]).
    Custom,
}

/// How many files a ticket may carry, how large each may be and of which types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentLimits {
    max_count: usize,
    max_bytes: u64,
    file_types: Vec<String>,
    source: LimitsSource,
}

fn limits_error(message: String) -> Error {
    Error::new(ErrorKind::InvalidResponse, message).for_operation(rules::SHOW_ATTACHMENT_LIMITS)
}

/// Splits a list of file types as the service writes it (`jpg,jpeg,png`; the separator
/// is not documented, so commas, semicolons, bars, slashes and spaces all separate) into
/// lower-case extensions without dots.
fn file_types(text: &str) -> Vec<String> {
    let mut types: Vec<String> = text
        .split(|c: char| matches!(c, ',' | ';' | '|' | '/' | '、' | '，') || c.is_whitespace())
        .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    types.dedup();
    types
}

/// The extension of a file name, lower case, if it has one.
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The field name errors about one file use.
fn file_field(name: &str) -> String {
    let shown: String = name.chars().take(80).collect();
    if shown.len() < name.len() {
        format!("attachment {shown:?}…")
    } else {
        format!("attachment {shown:?}")
    }
}

impl AttachmentLimits {
    /// Limits set by the caller: at most `max_count` files of at most `max_bytes` bytes
    /// each, of the given types (file name extensions such as `log` or `png`; none means
    /// any type).
    pub fn new(
        max_count: usize,
        max_bytes: u64,
        file_types: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let types: Vec<String> = file_types.into_iter().map(Into::into).collect();
        Self {
            max_count,
            max_bytes,
            file_types: self::file_types(&types.join(",")),
            source: LimitsSource::Custom,
        }
    }

    /// The limits the vendor documents, from the spec (`x-default-answer` of
    /// `show_attachment_limits`): at most 5 files of 4 MB each, of the 16 types the
    /// Chinese page lists (jpg, jpeg, bmp, png, gif, txt, zip, docx, msg, eml, xlsx, pdf,
    /// log, ini, mp4, mov). The sources and the choice are in the spec's README.
    pub fn documented() -> Self {
        let (max_count, max_bytes, file_types) = DOCUMENTED_PARTS.get_or_init(documented_parts);
        Self {
            max_count: *max_count,
            max_bytes: *max_bytes,
            file_types: file_types.clone(),
            source: LimitsSource::Documented,
        }
    }

    /// Reads the answer of `show_attachment_limits`. A member the answer leaves out
    /// keeps its documented value; a member that is not a number is an error
    /// ([`ErrorKind::InvalidResponse`]).
    pub fn from_answer(answer: &ShowAttachmentLimitsResponse) -> Result<Self, Error> {
        let limit = answer.accessory_limit.as_ref();
        let count = match limit.and_then(|l| l.limit_count.as_ref()) {
            Some(text) => Some(text.0.trim().parse::<usize>().map_err(|_| {
                limits_error(format!(
                    "the service's limit_count {:?} is not a whole number",
                    text.0
                ))
            })?),
            None => None,
        };
        let bytes = match limit.and_then(|l| l.limit_size.as_ref()) {
            Some(text) => Some(megabytes(&text.0).ok_or_else(|| {
                limits_error(format!(
                    "the service's limit_size {:?} is not a number of MB",
                    text.0
                ))
            })?),
            None => None,
        };
        let types = limit
            .and_then(|l| l.limit_file_type.as_deref())
            .map(file_types);
        let documented = || DOCUMENTED_PARTS.get_or_init(documented_parts);
        Ok(Self {
            max_count: count.unwrap_or_else(|| documented().0),
            max_bytes: bytes.unwrap_or_else(|| documented().1),
            file_types: types.unwrap_or_else(|| documented().2.clone()),
            source: LimitsSource::Service,
        })
    }

    /// Asks the service (`show_attachment_limits`).
    pub async fn fetch(client: &crate::Client) -> Result<Self, Error> {
        let answer = client.show_attachment_limits().send().await?;
        Self::from_answer(answer.value())
    }

    /// The most files one ticket may carry.
    pub fn max_count(&self) -> usize {
        self.max_count
    }

    /// The largest file, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The accepted file types (lower-case extensions); empty means any.
    pub fn file_types(&self) -> &[String] {
        &self.file_types
    }

    /// Where these limits came from.
    pub fn source(&self) -> LimitsSource {
        self.source
    }

    /// Checks one file by its name and size: the name's length (the spec's rule of
    /// `accessory_name`), characters a multipart header cannot carry, its type and its
    /// size. The error names the file, the limit and the size.
    pub fn check(&self, name: &str, size: u64) -> Result<(), ValidationError> {
        let field = file_field(name);
        let fail = |problem| Err(ValidationError::new(field.clone(), Location::Body, problem));
        if let Some(rule) = rules::UPLOAD_JSON_ATTACHMENT.body_field("accessory_name")
            && let Err(problem) = validation::check_value(rule, &Value::String(name.to_owned()))
        {
            return fail(Problem::Member {
                name: "name",
                problem: Box::new(problem),
            });
        }
        if let Err(why) = multipart::check_file_name(name) {
            return fail(Problem::Malformed(why));
        }
        if !self.file_types.is_empty()
            && !extension(name).is_some_and(|ext| self.file_types.contains(&ext))
        {
            return fail(Problem::FileType {
                accepted: self.file_types.join(", "),
            });
        }
        if size > self.max_bytes {
            return fail(Problem::TooManyBytes {
                max: self.max_bytes,
                actual: size,
            });
        }
        if size == 0 {
            return fail(Problem::Malformed(
                "the file is empty; the service takes files of at least one byte".into(),
            ));
        }
        Ok(())
    }

    /// Checks how many files one ticket is to carry.
    pub fn check_count(&self, count: usize) -> Result<(), ValidationError> {
        if count > self.max_count {
            return Err(ValidationError::new(
                "attachments",
                Location::Body,
                Problem::TooManyItems {
                    max: self.max_count,
                    actual: count,
                },
            ));
        }
        Ok(())
    }

    /// Checks a file on disk by its name and size, without reading it.
    pub fn check_path(&self, path: impl AsRef<Path>) -> Result<u64, Error> {
        let path = path.as_ref();
        let name = file_name(path)?;
        let meta = std::fs::metadata(path).map_err(|e| unreadable(path, e.to_string()))?;
        if !meta.is_file() {
            return Err(unreadable(path, "it is not a regular file".into()));
        }
        self.check(&name, meta.len())?;
        Ok(meta.len())
    }
}

/// `limit_size` (MB, possibly with decimals) in bytes.
fn megabytes(text: &str) -> Option<u64> {
    let mb = text
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|mb| mb.is_finite() && *mb >= 0.0)?;
    Some((mb * BYTES_PER_MEGABYTE as f64).floor() as u64)
}

static DOCUMENTED_PARTS: OnceLock<(usize, u64, Vec<String>)> = OnceLock::new();

/// The documented values: count, bytes, types. A spec without readable values fails
/// closed (no file passes), which the library's tests catch.
fn documented_parts() -> (usize, u64, Vec<String>) {
    let answer: Value = rules::SHOW_ATTACHMENT_LIMITS
        .default_answer
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null);
    let limit = &answer["accessory_limit"];
    let text = |key: &str| match &limit[key] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let count = text("limit_count")
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    let bytes = text("limit_size").and_then(|t| megabytes(&t)).unwrap_or(0);
    let types = text("limit_file_type")
        .map(|t| file_types(&t))
        .unwrap_or_else(|| vec!["-".into()]);
    (count, bytes, types)
}

fn unreadable(path: &Path, why: String) -> Error {
    ValidationError::new(
        format!("attachment {:?}", path.display().to_string()),
        Location::Body,
        Problem::Unreadable(why),
    )
    .into()
}

fn file_name(path: &Path) -> Result<String, Error> {
    match path.file_name().map(|n| n.to_str()) {
        Some(Some(name)) => Ok(name.to_owned()),
        Some(None) => Err(unreadable(path, "its file name is not valid UTF-8".into())),
        None => Err(unreadable(path, "the path names no file".into())),
    }
}

/// What an attachment is for (`accessory_from`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// For a ticket being opened (`incident`).
    #[default]
    Incident,
    /// For a message on a ticket (`message`).
    Message,
}

impl Purpose {
    /// The value on the wire: one of the spec's values of `accessory_from`.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Incident => "incident",
            Purpose::Message => "message",
        }
    }
}

/// How the file travels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// A `multipart/form-data` form (`upload_attachment`): the file as it is.
    #[default]
    Multipart,
    /// Base64 in a JSON body (`upload_json_attachment`): a third larger on the wire.
    Json,
}

/// A file to upload: its name and its content.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    name: String,
    data: Bytes,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The content may be anything, logs with secrets included: never shown.
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("len", &self.data.len())
            .finish()
    }
}

impl Attachment {
    /// A file named `name` (the name alone, such as `dmesg.log`) holding `data`.
    pub fn new(name: impl Into<String>, data: impl Into<Bytes>) -> Self {
        Self {
            name: name.into(),
            data: data.into(),
        }
    }

    /// Reads the file at `path`, checked against `limits` first (its name, type and size
    /// from the file system, so that a file too large is never read), then read with a
    /// bound of the largest size allowed. The file is read on Tokio's blocking pool, so
    /// the call does not block the async task; outside async code, see
    /// [`Attachment::read_blocking`].
    pub async fn read(path: impl AsRef<Path>, limits: &AttachmentLimits) -> Result<Self, Error> {
        let path = path.as_ref().to_owned();
        let limits = limits.clone();
        tokio::task::spawn_blocking(move || Self::read_blocking(path, &limits))
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Configuration,
                    format!("reading the file failed: {e}"),
                )
            })?
    }

    /// [`Attachment::read`] for code that is not async: blocks the calling thread while
    /// the file is read.
    pub fn read_blocking(path: impl AsRef<Path>, limits: &AttachmentLimits) -> Result<Self, Error> {
        let path = path.as_ref();
        limits.check_path(path)?;
        let name = file_name(path)?;
        let file = std::fs::File::open(path).map_err(|e| unreadable(path, e.to_string()))?;
        let mut data = Vec::new();
        file.take(limits.max_bytes.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| unreadable(path, e.to_string()))?;
        // The file may have grown since it was checked.
        limits.check(&name, data.len() as u64)?;
        Ok(Self::new(name, data))
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The content.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// Whether the file is empty (the service refuses empty files).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// How to upload: the encoding, the purpose, markdown mode and the limits to check.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UploadOptions {
    /// Multipart (the default) or Base64 in JSON.
    pub encoding: Encoding,
    /// For a ticket (the default) or a message.
    pub purpose: Purpose,
    /// `upload_type` 1, markdown mode (default: 0, an ordinary upload).
    pub markdown: bool,
    /// The limits checked before sending (default: [`AttachmentLimits::documented`]).
    pub limits: AttachmentLimits,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            encoding: Encoding::default(),
            purpose: Purpose::default(),
            markdown: false,
            limits: AttachmentLimits::documented(),
        }
    }
}

impl UploadOptions {
    /// The encoding.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The purpose.
    pub fn purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = purpose;
        self
    }

    /// Markdown mode.
    pub fn markdown(mut self, yes: bool) -> Self {
        self.markdown = yes;
        self
    }

    /// The limits to check against.
    pub fn limits(mut self, limits: AttachmentLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// An attachment the service stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct UploadedAttachment {
    /// The file name.
    pub name: String,
    /// The attachment id, to name in `accessory_ids`.
    pub id: String,
    /// The size in bytes.
    pub size: u64,
}

/// A ticket opened with attachments.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CaseWithAttachments {
    /// The ticket.
    #[serde(flatten)]
    pub case: CreatedCase,
    /// Its attachments, in the order given.
    pub attachments: Vec<UploadedAttachment>,
}

/// A step of [`crate::Client::create_case_with_attachments`], for progress displays.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// File `index` (from 0) of `total` is being uploaded.
    Uploading {
        /// Position, from 0.
        index: usize,
        /// How many files.
        total: usize,
        /// File name.
        name: &'a str,
        /// Size in bytes.
        size: u64,
    },
    /// File `index` was stored as `id`.
    Uploaded {
        /// Position, from 0.
        index: usize,
        /// How many files.
        total: usize,
        /// File name.
        name: &'a str,
        /// Its attachment id.
        id: &'a str,
    },
    /// The ticket is being created.
    Creating,
    /// An attachment is being deleted after a refusal.
    Deleting {
        /// Its attachment id.
        id: &'a str,
    },
}

type ProgressFn = Arc<dyn Fn(&Progress<'_>) + Send + Sync>;

/// Options of [`crate::Client::create_case_with_attachments`].
#[derive(Clone, Default)]
pub struct AttachOptions {
    upload: UploadOptions,
    progress: Option<ProgressFn>,
}

impl fmt::Debug for AttachOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachOptions")
            .field("upload", &self.upload)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl AttachOptions {
    /// Default options: multipart uploads checked against the documented limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// How each file is uploaded (its purpose is always `incident`).
    pub fn upload(mut self, upload: UploadOptions) -> Self {
        self.upload = upload;
        self
    }

    /// Called at each step, for a progress display.
    pub fn on_progress(mut self, f: impl Fn(&Progress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    fn report(&self, p: Progress<'_>) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }
}

/// Where [`crate::Client::create_case_with_attachments`] stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachStage {
    /// Checking the ticket and the files; nothing was sent.
    Check,
    /// Uploading file `index` (from 0).
    Upload {
        /// Position, from 0.
        index: usize,
        /// File name.
        name: String,
    },
    /// Creating the ticket.
    Create,
}

/// Why [`crate::Client::create_case_with_attachments`] failed, with what it had
/// uploaded and what it deleted again.
#[derive(Debug)]
pub struct AttachError {
    error: Error,
    stage: AttachStage,
    uploaded: Vec<UploadedAttachment>,
    deleted: Vec<String>,
    not_deleted: Vec<(String, Error)>,
}

impl AttachError {
    /// The error of the step that failed.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The error of the step that failed.
    pub fn into_error(self) -> Error {
        self.error
    }

    /// Where it stopped.
    pub fn stage(&self) -> &AttachStage {
        &self.stage
    }

    /// The attachments uploaded before the failure.
    pub fn uploaded(&self) -> &[UploadedAttachment] {
        &self.uploaded
    }

    /// The ids of the uploaded attachments deleted again.
    pub fn deleted(&self) -> &[String] {
        &self.deleted
    }

    /// The ids of the uploaded attachments still stored: kept because the ticket may
    /// exist and name them (the create's outcome is unknown), or because deleting them
    /// failed ([`AttachError::delete_failures`]).
    pub fn kept(&self) -> Vec<&str> {
        self.uploaded
            .iter()
            .map(|u| u.id.as_str())
            .filter(|id| !self.deleted.iter().any(|d| d == id))
            .collect()
    }

    /// The deletions that failed, with their errors.
    pub fn delete_failures(&self) -> &[(String, Error)] {
        &self.not_deleted
    }
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let AttachStage::Upload { name, .. } = &self.stage {
            write!(f, "uploading {name:?}: ")?;
        }
        write!(f, "{}", self.error)?;
        let kept = self.kept();
        if !self.deleted.is_empty() {
            write!(
                f,
                "; the attachments uploaded for it were deleted again ({})",
                self.deleted.join(", ")
            )?;
        }
        if !kept.is_empty() {
            if self.not_deleted.is_empty() {
                write!(
                    f,
                    "; the attachments {} were kept, since the ticket may exist and name them",
                    kept.join(", ")
                )?;
            } else {
                write!(
                    f,
                    "; the attachments {} could not be deleted",
                    kept.join(", ")
                )?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for AttachError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The id in an upload's answer, or the error the answer carries instead.
fn uploaded_id<T>(
    op: &'static rules::OperationRules,
    answer: &Answer<T>,
    id: Option<&str>,
) -> Result<String, Error> {
    let wire = |e: Error| {
        e.for_operation(op).with(|i| {
            i.status = Some(answer.status());
            i.request_id = answer.request_id().map(str::to_owned);
            i.attempts = answer.attempts();
        })
    };
    match id {
        Some(id) if !id.is_empty() && !id.chars().any(char::is_control) => Ok(id.to_owned()),
        Some(id) if !id.is_empty() => Err(wire(Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "the service answered success with an attachment id that holds control characters: {:?}",
                id.escape_debug().to_string()
            ),
        ))),
        _ => {
            // A 200 with error_code in place of the id (OSM.01010005, today's upload
            // limit reached) is a refusal.
            if let (Some(code), msg, _) = error_fields(answer.raw_json()) {
                return Err(wire(Error::new(ErrorKind::Service, String::new()).with(
                    |i| {
                        i.error_code = Some(code);
                        i.error_msg = msg;
                    },
                )));
            }
            Err(wire(Error::new(
                ErrorKind::InvalidResponse,
                "the service answered success without an attachment id",
            )))
        }
    }
}

impl crate::Client {
    /// Uploads one file as a multipart form, for a ticket being opened, checked against
    /// the documented limits ([`AttachmentLimits::documented`]) before a byte is sent.
    /// Answers the attachment id, to name in `accessory_ids`.
    pub async fn upload_attachment(
        &self,
        name: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Result<String, Error> {
        self.upload_attachment_with(&Attachment::new(name, data), &UploadOptions::default())
            .await
    }

    /// Uploads the file at `path` as [`crate::Client::upload_attachment`] does; a file
    /// too large is refused without being read.
    pub async fn upload_attachment_file(&self, path: impl AsRef<Path>) -> Result<String, Error> {
        let options = UploadOptions::default();
        let file = Attachment::read(path, &options.limits).await?;
        self.upload_attachment_with(&file, &options).await
    }

    /// Uploads one file as `options` say. The name, type and size are checked against
    /// `options.limits` first; nothing is sent if they break them.
    pub async fn upload_attachment_with(
        &self,
        file: &Attachment,
        options: &UploadOptions,
    ) -> Result<String, Error> {
        let op = match options.encoding {
            Encoding::Multipart => rules::UPLOAD_ATTACHMENT,
            Encoding::Json => rules::UPLOAD_JSON_ATTACHMENT,
        };
        options
            .limits
            .check(file.name(), file.len())
            .map_err(|e| Error::from(e).for_operation(op))?;
        let upload_type = i64::from(options.markdown);
        match options.encoding {
            Encoding::Json => {
                let mut request = self
                    .upload_json_attachment()
                    .accessory_name(file.name())
                    .accessory_from(options.purpose.as_str())
                    .accessory_data(base64::engine::general_purpose::STANDARD.encode(file.data()));
                if options.markdown {
                    request = request.upload_type(upload_type);
                }
                let answer: Answer<UploadJsonAttachmentResponse> = request.send().await?;
                uploaded_id(op, &answer, answer.value().accessory_id.as_deref())
            }
            Encoding::Multipart => {
                let part = |name: &str| {
                    op.body_field(name).map(|r| r.name).ok_or_else(|| {
                        Error::new(
                            ErrorKind::Configuration,
                            format!("the spec's upload_attachment has no part {name}"),
                        )
                    })
                };
                let (file_part, form_part) = (part("file")?, part("form_data")?);
                // The keys of the eu page's example; spec/README.md says why.
                let form_data = json!({
                    "accessoryFrom": options.purpose.as_str(),
                    "fileName": file.name(),
                    "uploadType": upload_type,
                })
                .to_string();
                if let Some(rule) = op.body_field(form_part)
                    && let Err(problem) =
                        validation::check_value(rule, &Value::String(form_data.clone()))
                {
                    return Err(Error::from(ValidationError::new(
                        form_part,
                        Location::Body,
                        problem,
                    ))
                    .for_operation(op));
                }
                let form = multipart::build(&[
                    Part::File {
                        name: file_part,
                        file_name: file.name(),
                        content_type: "application/octet-stream",
                        data: file.data(),
                    },
                    Part::Text {
                        name: form_part,
                        value: &form_data,
                    },
                ])
                .map_err(|why| Error::new(ErrorKind::Configuration, why).for_operation(op))?;
                let answer: Answer<UploadAttachmentResponse> = self
                    .execute_with_body(Input::new(op), form.body, &form.content_type)
                    .await?;
                uploaded_id(op, &answer, answer.value().accessory_id.as_deref())
            }
        }
    }

    /// Opens a ticket with files attached: checks the ticket and every file first
    /// (nothing is sent if one breaks a limit), uploads the files one by one, then
    /// creates the ticket with their ids added to its `accessory_ids`.
    ///
    /// When the ticket is refused definitively (or an upload fails), the attachments
    /// uploaded for it are deleted again. When the create's outcome is unknown (see
    /// [`Error::outcome_unknown`]) they are kept, since the ticket may exist and name
    /// them; [`AttachError::kept`] lists them.
    pub async fn create_case_with_attachments(
        &self,
        case: &NewCase,
        files: &[Attachment],
        options: &AttachOptions,
    ) -> Result<CaseWithAttachments, AttachError> {
        let fail = |error: Error, stage| AttachError {
            error,
            stage,
            uploaded: Vec::new(),
            deleted: Vec::new(),
            not_deleted: Vec::new(),
        };
        let upload = options.upload.clone().purpose(Purpose::Incident);
        let existing: Vec<Value> = case
            .body()
            .get("accessory_ids")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // Every check before anything is sent: the count, each file, and the ticket with
        // as many ids as it will carry.
        let check = || -> Result<(), Error> {
            upload.limits.check_count(files.len())?;
            for f in files {
                upload.limits.check(f.name(), f.len())?;
            }
            let mut ids = existing.clone();
            ids.extend(files.iter().map(|_| Value::String("0".into())));
            case.clone()
                .set("accessory_ids", Value::Array(ids))
                .validate()?;
            Ok(())
        };
        if let Err(e) = check() {
            return Err(fail(
                e.for_operation(rules::CREATE_CASE),
                AttachStage::Check,
            ));
        }
        if let Err(e) = self.check_required_lookups(case).await {
            return Err(fail(e, AttachStage::Check));
        }
        let total = files.len();
        let mut uploaded: Vec<UploadedAttachment> = Vec::with_capacity(total);
        for (index, f) in files.iter().enumerate() {
            options.report(Progress::Uploading {
                index,
                total,
                name: f.name(),
                size: f.len(),
            });
            match self.upload_attachment_with(f, &upload).await {
                Ok(id) => {
                    options.report(Progress::Uploaded {
                        index,
                        total,
                        name: f.name(),
                        id: &id,
                    });
                    uploaded.push(UploadedAttachment {
                        name: f.name().to_owned(),
                        id,
                        size: f.len(),
                    });
                }
                Err(error) => {
                    // No ticket will name the files uploaded so far.
                    let stage = AttachStage::Upload {
                        index,
                        name: f.name().to_owned(),
                    };
                    return Err(self.clean_up(error, stage, uploaded, options).await);
                }
            }
        }
        let mut ids = existing;
        ids.extend(uploaded.iter().map(|u| Value::String(u.id.clone())));
        let with_ids = case.clone().set("accessory_ids", Value::Array(ids));
        options.report(Progress::Creating);
        match self.create_case(&with_ids).await {
            Ok(created) => Ok(CaseWithAttachments {
                case: created,
                attachments: uploaded,
            }),
            Err(error) if error.outcome_unknown() => Err(AttachError {
                error,
                stage: AttachStage::Create,
                uploaded,
                deleted: Vec::new(),
                not_deleted: Vec::new(),
            }),
            Err(error) => Err(self
                .clean_up(error, AttachStage::Create, uploaded, options)
                .await),
        }
    }

    /// Deletes the attachments uploaded for a ticket that will not be opened.
    async fn clean_up(
        &self,
        error: Error,
        stage: AttachStage,
        uploaded: Vec<UploadedAttachment>,
        options: &AttachOptions,
    ) -> AttachError {
        let mut deleted = Vec::new();
        let mut not_deleted = Vec::new();
        for u in &uploaded {
            options.report(Progress::Deleting { id: &u.id });
            match self
                .delete_attachment()
                .accessory_id(u.id.clone())
                .send()
                .await
            {
                Ok(_) => deleted.push(u.id.clone()),
                Err(e) => not_deleted.push((u.id.clone(), e)),
            }
        }
        AttachError {
            error,
            stage,
            uploaded,
            deleted,
            not_deleted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_limits_come_from_the_spec() {
        let limits = AttachmentLimits::documented();
        assert_eq!(limits.source(), LimitsSource::Documented);
        assert_eq!(limits.max_count(), 5);
        assert_eq!(limits.max_bytes(), 4 * 1024 * 1024);
        assert_eq!(limits.file_types().len(), 16);
        assert!(limits.file_types().iter().any(|t| t == "log"));
        // A ticket takes as many ids as a limits answer allows files.
        let ids = rules::CREATE_CASE.body_field("accessory_ids").unwrap();
        assert_eq!(ids.max_items, Some(limits.max_count()));
    }

    #[test]
    fn the_documented_answer_reads_as_the_generated_type() {
        let text = rules::SHOW_ATTACHMENT_LIMITS.default_answer.unwrap();
        let answer: ShowAttachmentLimitsResponse = serde_json::from_str(text).unwrap();
        let read = AttachmentLimits::from_answer(&answer).unwrap();
        let documented = AttachmentLimits::documented();
        assert_eq!(
            (read.max_count(), read.max_bytes(), read.file_types()),
            (
                documented.max_count(),
                documented.max_bytes(),
                documented.file_types()
            )
        );
    }

    #[test]
    fn purposes_are_the_specs_values() {
        let rule = rules::UPLOAD_JSON_ATTACHMENT
            .body_field("accessory_from")
            .unwrap();
        for p in [Purpose::Incident, Purpose::Message] {
            assert!(rule.allowed.contains(&p.as_str()), "{p:?}");
        }
        assert_eq!(rule.allowed.len(), 2);
    }

    #[test]
    fn file_type_lists_split_on_any_separator() {
        assert_eq!(
            file_types("jpg, .PNG;log|txt  zip/mp4"),
            ["jpg", "png", "log", "txt", "zip", "mp4"]
        );
        assert!(file_types("  ").is_empty());
    }

    #[test]
    fn checks_name_each_limit() {
        let limits = AttachmentLimits::new(2, 10, ["log"]);
        let err = limits.check("a.log", 11).unwrap_err();
        assert_eq!(
            err.to_string(),
            "attachment \"a.log\" is 11 bytes (11 bytes); the largest allowed is 10 bytes (10 bytes)"
        );
        let err = limits.check("a.exe", 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "attachment \"a.exe\" is not of an accepted file type; the accepted types are log"
        );
        assert!(limits.check("noext", 1).is_err());
        assert!(limits.check("A.LOG", 10).is_ok());
        assert!(limits.check("a.log", 0).is_err());
        assert!(limits.check("a\".log", 1).is_err());
        let long = format!("{}.log", "n".repeat(509));
        assert!(limits.check(&long, 1).is_err());
        assert!(limits.check(&long[1..], 1).is_ok());
        assert_eq!(
            limits.check_count(3).unwrap_err().to_string(),
            "attachments has 3 items; at most 2 are allowed"
        );
        assert!(
            AttachmentLimits::new(1, 1, Vec::<String>::new())
                .check("any", 1)
                .is_ok()
        );
    }

    #[test]
    fn the_services_answer_is_read_leniently() {
        let answer: ShowAttachmentLimitsResponse = serde_json::from_value(json!({
            "accessory_limit": {"limit_count": 3, "limit_size": "10", "limit_file_type": "png"}
        }))
        .unwrap();
        let limits = AttachmentLimits::from_answer(&answer).unwrap();
        assert_eq!(limits.source(), LimitsSource::Service);
        assert_eq!((limits.max_count(), limits.max_bytes()), (3, 10 << 20));
        assert_eq!(limits.file_types(), ["png"]);
        // Absent members keep the documented values.
        let empty: ShowAttachmentLimitsResponse = serde_json::from_value(json!({})).unwrap();
        let limits = AttachmentLimits::from_answer(&empty).unwrap();
        assert_eq!(
            limits.max_bytes(),
            AttachmentLimits::documented().max_bytes()
        );
        let bad: ShowAttachmentLimitsResponse = serde_json::from_value(json!({
            "accessory_limit": {"limit_size": "big"}
        }))
        .unwrap();
        let err = AttachmentLimits::from_answer(&bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse);
        assert!(err.to_string().contains("\"big\""), "{err}");
    }

    #[test]
    fn an_attachment_never_shows_its_content() {
        let a = Attachment::new("secret.txt", &b"password=hunter2"[..]);
        let shown = format!("{a:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("secret.txt") && shown.contains("16"),
            "{shown}"
        );
    }
}
