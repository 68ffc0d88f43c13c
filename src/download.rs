//! Operations whose answer is a file ([`crate::rules::AnswerKind::Bytes`], declared by a
//! non-JSON media type in the spec): the bytes stream from the connection to the
//! caller's writer, or to a file, under a bound the caller sets — never through the
//! JSON buffer ([`crate::exec::MAX_RESPONSE_BYTES`]).
//!
//! An error answer (a 4xx, a 5xx, a JSON body carrying `error_code`) is read and mapped
//! as any other operation's. A download is retried after the failures its operation's
//! idempotency allows, but only while nothing has been written: once bytes went to the
//! writer, a failure ends the call. [`save`](crate::ops) writes beside the target and
//! renames, so a failed download never leaves a partial file behind.

use std::path::Path;
use std::time::Instant;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::{Error, ErrorKind};
use crate::exec::{self, Input};
use crate::rules::AnswerKind;

/// A file that was downloaded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Download {
    /// How many bytes were written.
    pub bytes: u64,
    /// The media type the service answered with (`Content-Type`).
    pub content_type: Option<String>,
    /// The file name the service suggested (`Content-Disposition`), made safe: the last
    /// path component, without control characters; `None` when it gave none.
    pub file_name: Option<String>,
    /// The request id from the `X-Request-Id` response header, if there was one.
    pub request_id: Option<String>,
    /// How many attempts it took.
    pub attempts: u32,
}

/// Why an attempt failed, and whether it wrote anything.
struct Failed {
    error: Error,
    wrote: bool,
}

impl crate::Client {
    /// Sends `input` (an operation whose answer is a file) and streams the file into
    /// `writer`, refusing one longer than `limit` bytes.
    pub async fn download<W>(
        &self,
        input: Input,
        writer: &mut W,
        limit: u64,
    ) -> Result<Download, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let op = input.operation();
        if !matches!(op.answer, AnswerKind::Bytes { .. }) {
            return Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "{} answers {:?}, not a file; nothing was sent",
                    op.id, op.answer
                ),
            )
            .for_operation(op));
        }
        let prepared = input.prepare(self).map_err(|e| e.for_operation(op))?;
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failed = match self.download_once(&prepared, writer, limit).await {
                Ok(mut done) => {
                    done.attempts = attempt;
                    return Ok(done);
                }
                Err(f) => f,
            };
            let err = failed
                .error
                .for_operation(op)
                .with(|i| i.attempts = attempt);
            let wait = (!failed.wrote)
                .then(|| self.retry_policy().next_wait(attempt, started, &err))
                .flatten();
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(err),
            }
        }
    }

    /// Like [`Self::download`], into the file at `path`: written to a temporary file
    /// beside it, then renamed over it, so that a failed download leaves no file (and
    /// an existing one untouched).
    pub async fn download_to_file(
        &self,
        input: Input,
        path: &Path,
        limit: u64,
    ) -> Result<Download, Error> {
        let op = input.operation();
        let io = |what: &str, e: std::io::Error| {
            Error::new(
                ErrorKind::Configuration,
                format!("{what} {}: {e}", path.display()),
            )
            .for_operation(op)
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".osm-download-")
            .tempfile_in(&dir)
            .map_err(|e| io("cannot write beside", e))?;
        let (file, temp_path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let done = self.download(input, &mut file, limit).await?;
        file.flush().await.map_err(|e| io("cannot write", e))?;
        file.sync_all().await.map_err(|e| io("cannot write", e))?;
        drop(file);
        temp_path
            .persist(path)
            .map_err(|e| io("cannot write", e.error))?;
        Ok(done)
    }

    async fn download_once<W>(
        &self,
        p: &exec::Prepared,
        writer: &mut W,
        limit: u64,
    ) -> Result<Download, Failed>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let nothing_written = |error| Failed {
            error,
            wrote: false,
        };
        let mut response = self.send_request(p).await.map_err(nothing_written)?;
        let status = response.status().as_u16();
        let content_type = header(&response, reqwest::header::CONTENT_TYPE);
        let json = content_type.as_deref().is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
        if !(200..300).contains(&status) || json {
            // An error (or a JSON body where a file was expected): read and mapped as
            // any other answer.
            let raw = exec::read_answer(response).await.map_err(nothing_written)?;
            let error = match exec::map_answer::<serde_json::Value>(p.op, raw) {
                Err(e) => e,
                Ok(_) => Error::new(
                    ErrorKind::InvalidResponse,
                    "the service answered a JSON document where the spec says a file",
                )
                .with(|i| i.status = Some(status)),
            };
            return Err(nothing_written(error));
        }
        let headers = std::mem::take(response.headers_mut());
        let wire = exec::wire_of(status, &headers);
        if let Some(n) = response.content_length().filter(|n| *n > limit) {
            return Err(nothing_written(wire(Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "the file is {n} bytes long, more than the limit of {limit} bytes; nothing was written"
                ),
            ))));
        }
        let mut written: u64 = 0;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    let kind = if e.is_timeout() {
                        ErrorKind::Timeout
                    } else {
                        ErrorKind::Transport
                    };
                    return Err(Failed {
                        error: wire(
                            Error::new(kind, format!("the file was cut off after {written} bytes"))
                                .with_source(e),
                        ),
                        wrote: written > 0,
                    });
                }
            };
            if written + chunk.len() as u64 > limit {
                return Err(Failed {
                    error: wire(Error::new(
                        ErrorKind::InvalidResponse,
                        format!(
                            "the file is longer than the limit of {limit} bytes; {written} bytes were written"
                        ),
                    )),
                    wrote: written > 0,
                });
            }
            writer.write_all(&chunk).await.map_err(|e| Failed {
                error: Error::new(
                    ErrorKind::Configuration,
                    format!("the file could not be written after {written} bytes: {e}"),
                ),
                wrote: true,
            })?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(|e| Failed {
            error: Error::new(
                ErrorKind::Configuration,
                format!("the file could not be written: {e}"),
            ),
            wrote: true,
        })?;
        let request_id = headers
            .get(exec::REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let file_name = headers
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(file_name);
        Ok(Download {
            bytes: written,
            content_type,
            file_name,
            request_id,
            attempts: 0,
        })
    }
}

fn header(r: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(256).collect())
}

/// The `filename` of a `Content-Disposition`, reduced to a safe last path component.
fn file_name(disposition: &str) -> Option<String> {
    let raw = disposition.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("filename")).then(|| v.trim().trim_matches('"'))
    })?;
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    (!clean.is_empty() && clean != "." && clean != "..").then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn a_suggested_name_is_only_a_name() {
        assert_eq!(
            file_name("attachment; filename=\"log.txt\"").as_deref(),
            Some("log.txt")
        );
        assert_eq!(
            file_name("attachment; filename=../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            file_name("attachment; filename=\"x\u{1b}[2Jy\"").as_deref(),
            Some("x[2Jy")
        );
        assert_eq!(file_name("attachment; filename=\"..\""), None);
        assert_eq!(file_name("inline"), None);
    }
}
