//! The HTTP/1.1 server: an accept loop and one task per connection.
//!
//! hyper is used directly (not through a framework) because two faults need control of
//! the connection itself: closing it without an answer, and cutting an answer short.
//! Each connection task can be told to drop its connection; the request handler runs
//! in a task of its own, so a handler that panics becomes a vendor-shaped `500`, and a
//! handler whose client went away still finishes recording its ticket.
//!
//! Bounds: a request's headers must arrive within the header read timeout (hyper's
//! `header_read_timeout`, also the wait for the next request on a kept-alive
//! connection), its body within the body read timeout (see the handler's body reader).
//! The answers hyper writes on its own (400, 414 and 431 for requests it cannot parse)
//! get an `X-Request-Id` on the way out, like every other answer (see [`Io`]). When an
//! admin token is set, the admin routes are refused without it before the handler runs.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http::StatusCode;
use http::header::{self, HeaderMap, HeaderValue};

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::body::ResBody;
use crate::http::{REQUEST_ID, Reply};
use crate::{ADMIN_PREFIX, Shared, journal, router, vendor};

/// How long a graceful shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

async fn shutting_down(rx: &mut watch::Receiver<bool>) {
    // A dropped sender also means "stop".
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Accepts connections until shutdown, then waits for them to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    if shared.faults.take_reset() {
                        // A reset (RST) rather than an orderly close (fault reset_on_accept).
                        let _ = stream.set_zero_linger();
                        tracing::info!("connection reset on accept (fault)");
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    conns.spawn(connection(stream, shared.clone(), shutdown.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off a little.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = shutting_down(&mut shutdown) => break,
        }
    }
    drop(listener);
    let grace = tokio::time::sleep(SHUTDOWN_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            next = conns.join_next() => if next.is_none() { break },
            () = &mut grace => {
                tracing::warn!(connections = conns.len(), "shutdown grace period over, dropping connections");
                conns.abort_all();
                while conns.join_next().await.is_some() {}
                break;
            }
        }
    }
}

/// Serves one connection until it closes, a fault drops it, or shutdown.
async fn connection(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let header_timeout = shared.header_read_timeout;
    let kill = Arc::new(Notify::new());
    let service = {
        let kill = kill.clone();
        service_fn(move |req: Request<Incoming>| {
            let shared = shared.clone();
            let kill = kill.clone();
            async move { Ok::<_, Infallible>(respond(shared, kill, req).await) }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        // One contiguous buffer per write, so that `Io` sees hyper's own answers whole.
        .writev(false)
        .serve_connection(TokioIo::new(Io::new(stream)), service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            // Dropping `conn` closes the socket with no answer.
            () = kill.notified() => return,
            () = shutting_down(&mut shutdown), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Runs the handler in a task of its own and turns its reply into a response.
async fn respond(
    shared: Arc<Shared>,
    kill: Arc<Notify>,
    mut req: Request<Incoming>,
) -> Response<ResBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    if path.starts_with(ADMIN_PREFIX) {
        if let Some(token) = &shared.admin_token
            && !bearer_matches(req.headers(), token)
        {
            let response = admin_unauthorized();
            tracing::info!(%method, %path, status = 401, "admin request without the admin token");
            return response;
        }
        return answer(shared, kill, req, method, path, started).await;
    }
    // Every request to the service's paths is recorded, here where every answer passes.
    let record = shared.journal.open(
        (shared.clock)(),
        &method,
        &path,
        req.uri().query(),
        req.headers(),
    );
    req.extensions_mut().insert(record);
    let journal = shared.clone();
    let finish = move |response: Option<&Response<ResBody>>| {
        let (status, code, rid) = match response {
            Some(r) => (
                Some(r.status().as_u16()),
                r.body().peek().and_then(|b| journal::error_code_of(b)),
                r.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()),
            ),
            None => (None, None, None),
        };
        journal.journal.finish(record, status, code.as_deref(), rid);
    };
    let response = handled(shared, req, &method, &path, started).await;
    finish(response.as_ref());
    match response {
        Some(r) => r,
        None => {
            kill.notify_one();
            std::future::pending().await
        }
    }
}

/// An admin request: not recorded.
async fn answer(
    shared: Arc<Shared>,
    kill: Arc<Notify>,
    req: Request<Incoming>,
    method: http::Method,
    path: String,
    started: std::time::Instant,
) -> Response<ResBody> {
    match handled(shared, req, &method, &path, started).await {
        Some(r) => r,
        None => {
            kill.notify_one();
            std::future::pending().await
        }
    }
}

/// Polls `fut` to its end, turning a panic in it into `Err` with the panic's message.
async fn catch_panic<F: Future>(fut: F) -> Result<F::Output, String> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => {
                let why = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                std::task::Poll::Ready(Err(why))
            }
        }
    })
    .await
}

/// Runs the handler; `None` when the connection is to be dropped without an answer.
async fn handled(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    method: &http::Method,
    path: &str,
    started: std::time::Instant,
) -> Option<Response<ResBody>> {
    // Run in place (a task of its own per request would cost a wake-up of another
    // worker each time); a panic still becomes a 500, not a dropped connection.
    match catch_panic(router::handle(shared, req)).await {
        Ok(Reply::Response(response)) => {
            tracing::info!(
                %method,
                %path,
                status = response.status().as_u16(),
                request_id = response
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "request"
            );
            Some(response)
        }
        Ok(Reply::Drop) => {
            tracing::info!(%method, %path, "connection dropped without an answer (fault)");
            None
        }
        Err(why) => {
            tracing::error!(%method, %path, error = %why, "the request handler panicked");
            Some(vendor::internal_error(
                "the emulator failed while handling the request",
            ))
        }
    }
}

/// Whether `Authorization` is `Bearer <token>` (the scheme in any case), compared in
/// constant time.
fn bearer_matches(headers: &HeaderMap, token: &SecretString) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let value = value.as_bytes();
    let Some((scheme, given)) = value.split_at_checked(7) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return false;
    }
    let expected = token.expose_secret().as_bytes();
    // Only the length can be learnt from the timing, never a matching prefix.
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// 401 `EMULATOR.0002` for an admin request without the admin token.
fn admin_unauthorized() -> Response<ResBody> {
    let rid = crate::http::new_request_id();
    let body = serde_json::json!({
        "error_code": "EMULATOR.0002",
        "error_msg": "the admin routes need the admin token: send Authorization: Bearer <token>",
    })
    .to_string();
    let mut r = Response::new(ResBody::full(body));
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    if let Ok(v) = HeaderValue::from_str(&rid) {
        h.insert(REQUEST_ID, v);
    }
    r
}

/// The heads of the answers hyper writes on its own, for requests it cannot parse: the
/// status line, then exactly these headers (the date's value is 29 characters).
const AUTOMATIC_STATUS_LINES: [&[u8]; 3] = [
    b"HTTP/1.1 400 Bad Request\r\n",
    b"HTTP/1.1 414 URI Too Long\r\n",
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
];
const AUTOMATIC_HEADERS: &[u8] = b"connection: close\r\ncontent-length: 0\r\ndate: ";
const DATE_LEN: usize = 29;

/// Where an automatic answer starts in `buf`, and where its status line ends.
fn find_automatic_head(buf: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(i) = buf[from..].iter().position(|&b| b == b'H') {
        let at = from + i;
        let rest = &buf[at..];
        for line in AUTOMATIC_STATUS_LINES {
            let Some(after) = rest.strip_prefix(line) else {
                continue;
            };
            let Some(date) = after.strip_prefix(AUTOMATIC_HEADERS) else {
                continue;
            };
            if date.len() >= DATE_LEN + 4 && &date[DATE_LEN..DATE_LEN + 4] == b"\r\n\r\n" {
                return Some((at, at + line.len()));
            }
        }
        from = at + 1;
    }
    None
}

/// `buf` with an `X-Request-Id` header in the automatic answer it holds, if any.
fn with_request_id(buf: &[u8]) -> Option<Vec<u8>> {
    let (_, status_end) = find_automatic_head(buf)?;
    let id = crate::http::new_request_id();
    let mut out = Vec::with_capacity(buf.len() + 48);
    out.extend_from_slice(&buf[..status_end]);
    out.extend_from_slice(REQUEST_ID.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&buf[status_end..]);
    Some(out)
}

/// The socket of a connection, as hyper sees it: reads pass through; writes too, except
/// that an answer hyper makes on its own (see [`AUTOMATIC_STATUS_LINES`]) gets an
/// `X-Request-Id` header, as every answer of the emulator has one.
pub(crate) struct Io {
    inner: TcpStream,
    /// A rewritten write in progress: the bytes, how many are written, and how many of
    /// hyper's bytes it stands for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl Io {
    fn new(inner: TcpStream) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            match with_request_id(buf) {
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
                Some(bytes) => this.pending = Some((bytes, 0, buf.len())),
            }
        }
        // hyper retries a write that is pending with the same bytes (and answers
        // nothing after an automatic answer), so the rewritten copy stands for them.
        let Some((bytes, written, stands_for)) = this.pending.as_mut() else {
            unreachable!("set above");
        };
        while *written < bytes.len() {
            match ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..])) {
                Ok(0) => {
                    this.pending = None;
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => *written += n,
                Err(e) => {
                    this.pending = None;
                    return Poll::Ready(Err(e));
                }
            }
        }
        let consumed = *stands_for;
        this.pending = None;
        Poll::Ready(Ok(consumed))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_in_a_handler_is_caught_with_its_message() {
        assert_eq!(catch_panic(async { 7 }).await, Ok(7));
        let caught = catch_panic(async {
            tokio::task::yield_now().await;
            panic!("handler broke on {}", "purpose")
        })
        .await;
        assert_eq!(caught, Err("handler broke on purpose".to_owned()));
    }

    const HYPER_431: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 21:25:07 GMT\r\n\r\n";

    #[test]
    fn automatic_answers_get_a_request_id_and_nothing_else_changes() {
        let out = with_request_id(HYPER_431).expect("rewritten");
        let text = String::from_utf8(out).unwrap();
        let (status, rest) = text.split_once("\r\n").unwrap();
        assert_eq!(status, "HTTP/1.1 431 Request Header Fields Too Large");
        let (id_line, rest) = rest.split_once("\r\n").unwrap();
        let id = id_line.strip_prefix("x-request-id: ").unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(rest.as_bytes(), &HYPER_431[46..]);

        // Behind the end of an earlier answer in the same buffer.
        let mut two = br#"{"incident_id":"CS20261128000001"}"#.to_vec();
        two.extend_from_slice(HYPER_431);
        let out = with_request_id(&two).unwrap();
        assert!(out.starts_with(br#"{"incident_id":"CS20261128000001"}HTTP/1.1 431"#));
        assert_eq!(out.len(), two.len() + "x-request-id: \r\n".len() + 32);
    }

    #[test]
    fn other_answers_pass_unchanged() {
        for buf in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-request-id: 0123\r\n\r\n{}"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
            &HYPER_431[..HYPER_431.len() - 1],
            b"",
            b"HHHH",
        ] {
            assert_eq!(with_request_id(buf), None, "{}", String::from_utf8_lossy(buf));
        }
    }

    #[test]
    fn the_admin_token_is_checked_whole() {
        let token = SecretString::from("s3cret".to_owned());
        let with = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            bearer_matches(&h, &token)
        };
        assert!(with("Bearer s3cret"));
        assert!(with("bearer s3cret"));
        for wrong in [
            "Bearer s3cre",
            "Bearer s3crett",
            "Bearer",
            "Bearer ",
            "Basic s3cret",
            "s3cret",
            "Bearer  s3cret",
        ] {
            assert!(!with(wrong), "{wrong}");
        }
        assert!(!bearer_matches(&HeaderMap::new(), &token));
    }
}
