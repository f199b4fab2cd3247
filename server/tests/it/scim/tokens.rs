//! API tokens: made, listed and revoked at the command line as on the Provisioning page; wrong ones
//! throttled per client address like sign-ins.

use super::{error_of, token};
use crate::common::{self, TestApp};
use app::server::settings::{Limit, Settings, SigninLimits};
use app::shared::model::Scope;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::net::SocketAddr;

#[test]
fn wrong_tokens_from_one_address_lock_it_even_in_a_burst_while_others_go_on() {
    common::run(async {
        let signin = SigninLimits {
            per_addr: Limit { max_failures: 5, lock: std::time::Duration::from_secs(600) },
            ..SigninLimits::default()
        };
        let (app, _) = TestApp::with_one_user(Settings { signin, ..Settings::default() }, Scope::OfficeManager).await;
        let good = token(&app, "a.example").await;
        let knock = |token: String, peer: &'static str| {
            let app = &app;
            async move {
                let request = Request::get("/scim/v2/Users")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap();
                app.request_from(peer.parse::<SocketAddr>().unwrap(), request).await
            }
        };
        let burst = (0..100).map(|n| knock(format!("sbscim_guess{n}"), "203.0.113.9:4000"));
        let statuses: Vec<StatusCode> =
            futures::future::join_all(burst).await.into_iter().map(|(status, _, _)| status).collect();
        let unauthorized = statuses.iter().filter(|status| **status == StatusCode::UNAUTHORIZED).count();
        assert_eq!(unauthorized, 5, "{statuses:?}");
        // Locked now: even the right token from that address waits.
        let (status, headers, body) = knock(good.clone(), "203.0.113.9:4001").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert!(headers.contains_key(header::RETRY_AFTER));
        assert_eq!(error_of(&serde_json::from_str(&body).unwrap()).0, "429");
        let (status, _, _) = knock(good, "198.51.100.7:4000").await;
        assert_eq!(status, StatusCode::OK);
    })
}
