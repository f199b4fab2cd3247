//! Taking connections: the router served over HTTP/1.1 by hyper, as `axum::serve` does, with what
//! `axum::serve` leaves out. A client must send a whole request head within `header_read` of
//! connecting, or of its last answer on a kept-alive connection: a client that sends its headers a
//! byte at a time, or nothing at all, cannot hold a connection open for ever. (HTTP/1.1 only: browsers
//! speak HTTP/2 only over TLS, which a proxy in front of the portal ends; and telling the two apart
//! would mean waiting for a client's first bytes with no time limit.) (A request's body has a
//! time limit of its own, `guard`; a progress stream, once answered, goes on as long as its job.) On
//! shutdown the connections are asked to finish and given `DRAIN` to do so.

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long the connections still open at shutdown get to finish their requests.
const DRAIN: Duration = Duration::from_secs(10);

/// A failed accept (too many open files, say) is tried again after this pause, not in a busy loop.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `shutdown` completes, each request carrying its client's
/// address (`ConnectInfo`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_read: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_read);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router.clone().map_request(move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away, or too slowly, ends its own connection; nothing to report.
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!(drain = ?DRAIN, "connections still open at shutdown were closed");
    }
    Ok(())
}
