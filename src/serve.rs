//! The accept loop, instead of `axum::serve`: HTTP/1 connections served by hyper, plus what
//! a slow or greedy client must not get past. From the moment it connects, a client has a
//! bounded time to send each request's headers (a silent socket or a slowloris is closed),
//! and a bounded number of header bytes (431 beyond); a whole request has a deadline (a body
//! trickled a byte at a time too); a client that accepts no bytes of its answer for a while
//! is dropped, with what was waiting for it; and the number of open connections is capped:
//! beyond it, new connections wait in the kernel's backlog instead of costing memory here.
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode},
    Router,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

/// What one client may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From the connection (or the end of the previous request) to the end of the headers.
    pub header_timeout: Duration,
    /// For a whole request, its body included: answered 408 beyond it.
    pub request_timeout: Duration,
    /// How long a client may accept none of the bytes of its answer before it is dropped.
    pub write_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// After the shutdown signal, how long requests in flight may take to finish.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Sends each write at once. A page is rendered as a stream of chunks; with Nagle's
/// algorithm a chunk written while the previous one is unacknowledged waits for that
/// acknowledgement, which the client delays by up to 40 ms.
fn no_delay(stream: &tokio::net::TcpStream) {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(error = %err, "could not set TCP_NODELAY");
    }
}

/// Bytes a connection may buffer while reading a request's head: a request line and
/// headers beyond it are answered 431, so a thousand unfinished heads cost tens of MB, not
/// hyper's default of about 400 KB each. Browsers' largest cookies fit in it.
pub const HEAD_BYTES_MAX: usize = 32 * 1024;

/// `stream`, failing a write that makes no progress for `timeout`: hyper then drops the
/// connection and the answer it was sending.
fn with_write_deadline<S>(stream: S, timeout: Duration) -> std::pin::Pin<Box<TimeoutStream<S>>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite,
{
    let mut stream = TimeoutStream::new(stream);
    stream.set_write_timeout(Some(timeout));
    Box::pin(stream)
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish (at most `limits.drain_timeout`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let router = router.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ));
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    // hyper starts this timer when the connection opens, not at its first byte.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(HEAD_BYTES_MAX);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        no_delay(&stream);
        let service = router
            .clone()
            .map_request(move |request: Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let stream = with_write_deadline(stream, limits.write_timeout);
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain timeout were cut off");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    /// On the test's clock: a peer that reads nothing fails the write after the deadline,
    /// and one that reads keeps it going.
    #[tokio::test(start_paused = true)]
    async fn a_peer_that_accepts_no_bytes_fails_the_write_at_the_deadline() {
        let (server, _silent) = tokio::io::duplex(1024);
        let mut server = super::with_write_deadline(server, Duration::from_secs(30));
        let answer = vec![b'x'; 64 * 1024];
        let started = tokio::time::Instant::now();
        let err = server.write_all(&answer).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(30));

        let (server, mut reader) = tokio::io::duplex(1024);
        let mut server = super::with_write_deadline(server, Duration::from_secs(30));
        let read = tokio::spawn(async move {
            let mut all = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut all)
                .await
                .unwrap();
            all.len()
        });
        server.write_all(&answer).await.unwrap();
        server.shutdown().await.unwrap();
        drop(server);
        assert_eq!(read.await.unwrap(), answer.len());
    }

    #[tokio::test]
    async fn an_accepted_connection_sends_each_write_at_once() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        super::no_delay(&stream);
        assert!(stream.nodelay().unwrap());
    }
}
