//! The response body type: whole, or cut short on purpose (a fault).

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
}

impl ResBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        ResBody::Full(Some(bytes.into()))
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
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResBody::Full(None) => SizeHint::with_exact(0),
            // Unknown, so that hyper sends the Content-Length header the handler set.
            ResBody::Truncated { .. } => SizeHint::default(),
        }
    }
}
