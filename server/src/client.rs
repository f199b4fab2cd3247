//! Works out once per request who the client is (`app::server::auth::client`): their address, and whether
//! they came over https, believing a proxy's headers only from a trusted proxy. Every later layer, page
//! and server function reads it from the request.

use app::server::auth::client::Client;
use app::server::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Response;
use axum::middleware::Next;
use std::net::SocketAddr;

pub async fn client(State(state): State<AppState>, mut request: Request, next: Next) -> Response<Body> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let tls = request.uri().scheme_str() == Some("https");
    let client = Client::of(&state.settings, peer, request.headers(), tls);
    request.extensions_mut().insert(client);
    next.run(request).await
}
