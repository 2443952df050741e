//! Serving the local router over HTTP/1 within limits (docs/architecture.md §8): a header read
//! timeout, a cap on open connections, and a graceful shutdown that waits a bounded time.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Limits of the local server's connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this, also on an idle keep-alive connection
    /// (hyper starts the clock when it waits for the next request), so idle connections close.
    pub header_read_timeout: Duration,
    /// Connections open at once; the next one is accepted when one closes (the rest wait in
    /// the kernel's backlog, costing this process nothing).
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// A vendor request's whole handling, its body upload included, must finish within this
    /// (408 otherwise): the vendors send a few kilobytes at once and give up after 5 s
    /// (HubSpot) or 10 s (Intuit) anyway (docs/hubspot.md §5.4).
    pub vendor_request_timeout: Duration,
    /// Any request body (the admin API's too) that sends nothing for this long is cut off.
    pub body_idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 256,
            shutdown_grace: Duration::from_secs(10),
            vendor_request_timeout: Duration::from_secs(15),
            body_idle_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, each request told its peer's
/// address as `ConnectInfo<SocketAddr>`. Hand-written around hyper because `axum::serve`
/// gives hyper no timer, so hyper's header read timeout cannot be set through it.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                Ok::<_, Infallible>(
                    router
                        .oneshot(request.map(axum::body::Body::new))
                        .await
                        .unwrap_or_else(|never| match never {}),
                )
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown grace period");
    }
}
