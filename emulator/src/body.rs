//! The response body type: whole, cut short on purpose, or sent slowly (faults).

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// A response body: whole, or cut short on purpose.
pub(crate) enum ResBody {
    /// The whole body (`None` once sent).
    Full(Option<Bytes>),
    /// Sends `part`, pauses so that it is flushed, then fails, which makes hyper close
    /// the connection short of the declared `Content-Length`.
    Truncated {
        part: Option<Bytes>,
        pause: Pin<Box<tokio::time::Sleep>>,
    },
    /// The whole body, `chunk` bytes at a time with `interval` between them.
    Slow {
        data: Bytes,
        chunk: usize,
        interval: Duration,
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
    },
}

impl ResBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        ResBody::Full(Some(bytes.into()))
    }

    /// The whole of `data` at about `bytes_per_second` (at least 1): a twentieth of a
    /// second's worth at a time, or a byte at a time below 20 bytes a second.
    pub(crate) fn slow(data: Bytes, bytes_per_second: u32) -> Self {
        let rate = u64::from(bytes_per_second.max(1));
        let chunk = (rate / 20).max(1);
        ResBody::Slow {
            data,
            chunk: chunk as usize,
            interval: Duration::from_micros(chunk * 1_000_000 / rate),
            pause: None,
        }
    }

    /// The bytes of a whole body, if this is one (not yet sent).
    pub(crate) fn peek(&self) -> Option<&Bytes> {
        match self {
            ResBody::Full(b) => b.as_ref(),
            ResBody::Slow { data, .. } => Some(data),
            ResBody::Truncated { .. } => None,
        }
    }

    pub(crate) fn truncated(part: impl Into<Bytes>) -> Self {
        ResBody::Truncated {
            part: Some(part.into()),
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(50))),
        }
    }
}

impl http_body::Body for ResBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ResBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResBody::Truncated { part, pause } => {
                if let Some(part) = part.take() {
                    return Poll::Ready(Some(Ok(Frame::data(part))));
                }
                ready!(pause.as_mut().poll(cx));
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "answer cut short on purpose (fault truncated_body)",
                ))))
            }
            ResBody::Slow {
                data,
                chunk,
                interval,
                pause,
            } => {
                if data.is_empty() {
                    return Poll::Ready(None);
                }
                if let Some(p) = pause.as_mut() {
                    ready!(p.as_mut().poll(cx));
                }
                *pause = Some(Box::pin(tokio::time::sleep(*interval)));
                let n = (*chunk).min(data.len());
                Poll::Ready(Some(Ok(Frame::data(data.split_to(n)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResBody::Full(None) => true,
            ResBody::Slow { data, .. } => data.is_empty(),
            _ => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResBody::Full(None) => SizeHint::with_exact(0),
            ResBody::Slow { data, .. } => SizeHint::with_exact(data.len() as u64),
            // Unknown, so that hyper sends the Content-Length header the handler set.
            ResBody::Truncated { .. } => SizeHint::default(),
        }
    }
}
