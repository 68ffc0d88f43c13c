//! The HTTP/1.1 server: an accept loop and one task per connection.
//!
//! hyper is used directly (not through a framework) because two faults need control of
//! the connection itself: closing it without an answer, and cutting an answer short.
//! Each connection task can be told to drop its connection; the request handler runs
//! in a task of its own, so a handler that panics becomes a vendor-shaped `500`, and a
//! handler whose client went away still finishes recording its ticket.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::Shared;
use crate::body::ResBody;
use crate::http::{REQUEST_ID, Reply};
use crate::{router, vendor};

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
        .serve_connection(TokioIo::new(stream), service);
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
    req: Request<Incoming>,
) -> Response<ResBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    match tokio::spawn(router::handle(shared, req)).await {
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
            response
        }
        Ok(Reply::Drop) => {
            tracing::info!(%method, %path, "connection dropped without an answer (fault)");
            kill.notify_one();
            std::future::pending().await
        }
        Err(e) => {
            tracing::error!(%method, %path, error = %e, "the request handler failed");
            vendor::internal_error("the emulator failed while handling the request")
        }
    }
}
