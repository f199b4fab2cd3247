//! The headers every response carries: the Content-Security-Policy (with the nonce of the page's own
//! inline script), no sniffing, no framing, the Referer kept home, HSTS over https, nothing personal
//! cached; compression where the browser accepts it; and the session cookie's attributes, which follow
//! PUBLIC_URL rather than request headers.

use crate::common::{self, TestApp, PASSWORD};
use app::server::settings::{PublicUrl, Settings};
use app::shared::model::{Me, Scope};
use app::ui::signed_in::CurrentUser;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use leptos::server_fn::ServerFn;

fn value(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers.get(&name).unwrap_or_else(|| panic!("no {name}")).to_str().unwrap()
}

/// The nonce a page's policy allows, checked to be on every script of the page and on nothing else.
fn nonce_of_page(headers: &HeaderMap, html: &str) -> String {
    let policy = value(headers, header::CONTENT_SECURITY_POLICY);
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce").to_string();
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "{html}");
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), html.matches(" nonce=\"").count());
    assert!(html.split("<script").skip(1).all(|tag| tag.split('>').next().unwrap().contains(&nonce)), "{html}");
    nonce
}

#[test]
fn every_page_has_a_policy_of_its_own_and_every_other_answer_the_strictest() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let (status, headers, html) = app.get("/login", None).await;
        assert_eq!(status, StatusCode::OK);
        let first = nonce_of_page(&headers, &html);
        let (_, headers, html) = app.get("/login", None).await;
        assert_ne!(nonce_of_page(&headers, &html), first, "a nonce is used once");
        assert_eq!(value(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(value(&headers, header::X_FRAME_OPTIONS), "DENY");
        assert_eq!(value(&headers, header::REFERRER_POLICY), "same-origin");
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "plain http has no HSTS");

        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        for path in ["/domains/a.example/users", "/activity", "/outbox", "/no/such/page"] {
            let (_, headers, html) = app.get(path, Some(&manager)).await;
            nonce_of_page(&headers, &html);
        }
        // The Set Password page's address holds a token: no Referer at all leaves it.
        let (_, headers, _) = app.get("/set-password?token=abc", None).await;
        assert_eq!(value(&headers, header::REFERRER_POLICY), "no-referrer");

        let request = Request::post(CurrentUser::PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (_, headers, _) = app.request(request).await;
        assert_eq!(value(&headers, header::CONTENT_SECURITY_POLICY), app::server::csp::NOT_A_PAGE);
        assert_eq!(value(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    })
}

#[test]
fn nothing_personal_is_kept_in_a_cache() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        app.reset_users(&manager, vec![app.user_id("202@a.example").await]).await;
        for path in ["/domains/a.example/users", "/activity", "/me", "/activity/1/results.csv"] {
            let (status, headers, _) = app.get(path, Some(&manager)).await;
            assert_eq!((status, value(&headers, header::CACHE_CONTROL)), (StatusCode::OK, "no-store"), "{path}");
        }
        let request = Request::post(CurrentUser::PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &manager.cookie)
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(value(&app.request(request).await.1, header::CACHE_CONTROL), "no-store");
    })
}

#[test]
fn over_https_the_cookie_is_secure_and_host_bound_whatever_the_request_says() {
    common::run(async {
        let settings =
            Settings { public_url: Some(PublicUrl::parse("https://pbx.example.com").unwrap()), ..Settings::default() };
        let (app, login) = TestApp::with_one_user(settings, Scope::BasicUser).await;
        // A plain-http request behind a proxy that says nothing: still Secure, by the operator's word.
        let session = app.sign_in(&login, PASSWORD).await;
        assert!(session.cookie.starts_with("__Host-switchboard_session="), "{}", session.set_cookie);
        let attributes = session.set_cookie.to_lowercase();
        for attribute in ["; secure", "; httponly", "; samesite=strict", "; path=/"] {
            assert!(attributes.contains(attribute), "{attribute} in {attributes}");
        }
        assert!(!attributes.contains("domain="), "{attributes}");
        let (_, me) = app.call::<_, Option<Me>>(CurrentUser {}, Some(&session)).await;
        assert!(me.unwrap().is_some());
        let (_, headers, _) = app.get("/login", None).await;
        assert_eq!(value(&headers, header::STRICT_TRANSPORT_SECURITY), "max-age=31536000");
    })
}

#[test]
fn pages_come_compressed_to_browsers_that_accept_it_and_event_streams_never() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let page = |encoding: Option<&'static str>| {
            let mut request = Request::get("/domains/a.example/users").header(header::COOKIE, &session.cookie);
            if let Some(encoding) = encoding {
                request = request.header(header::ACCEPT_ENCODING, encoding);
            }
            request.body(Body::empty()).unwrap()
        };
        let (status, headers, plain) = app.request(page(None)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        for encoding in ["br", "gzip"] {
            let response = app.send(page(Some(encoding))).await;
            assert_eq!(value(response.headers(), header::CONTENT_ENCODING), encoding);
            let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
            assert!(body.len() * 3 < plain.len(), "{encoding}: {} bytes of {}", body.len(), plain.len());
        }

        let events = Request::get(app::shared::routes::running_jobs("a.example"))
            .header(header::COOKIE, &session.cookie)
            .header(header::ACCEPT_ENCODING, "br, gzip")
            .body(Body::empty())
            .unwrap();
        let response = app.send(events).await;
        assert_eq!(value(response.headers(), header::CONTENT_TYPE), "text/event-stream");
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none(), "each event must leave at once");
    })
}
