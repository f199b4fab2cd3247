//! What the portal refuses before it reads a request: changes sent by another site's page, server
//! function bodies of the wrong type, bodies larger than any request of ours, and clients too slow to
//! send their request at all.

use crate::common::{self, Session, TestApp, PASSWORD};
use app::server::entities::{bulk_job, session};
use app::server::settings::{ConnectionLimits, PublicUrl, Settings};
use app::shared::bulk::Targets;
use app::shared::bulk::{JobProgress, ResetOptions, ResetRequest, When};
use app::shared::error::AppError;
use app::shared::model::{Me, Scope};
use app::ui::components::bulk_action::reset_step::StartReset;
use app::ui::signed_in::{CurrentUser, Login};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures::StreamExt;
use leptos::server_fn::ServerFn;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::time::Duration;

fn login_form(login: &str) -> String {
    serde_qs::to_string(&Login { login: login.into(), password: PASSWORD.into() }).unwrap()
}

/// A post of `body` to `path` as `content_type`, with the extra `headers`, as the browser of `session`.
fn post(
    path: &str,
    content_type: &str,
    body: String,
    headers: &[(&str, &str)],
    session: Option<&Session>,
) -> Request<Body> {
    let mut request = Request::post(path).header(header::HOST, "portal.test");
    if !content_type.is_empty() {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(session) = session {
        request = request.header(header::COOKIE, &session.cookie);
    }
    request.body(Body::from(body)).unwrap()
}

const FORM: &str = "application/x-www-form-urlencoded";

fn error(body: &str) -> AppError {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not an AppError: {body}"))
}

fn reset_body(user_id: i32) -> String {
    let request = ResetRequest {
        targets: Targets::Ticked(vec![user_id]),
        options: ResetOptions::defaults(),
        recycle: false,
        when: When::Now,
    };
    serde_json::to_string(&StartReset { domain: "a.example".into(), request }).unwrap()
}

#[test]
fn a_change_sent_from_another_sites_page_is_refused_and_from_our_own_taken() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        // Login CSRF: another site's form signing the victim in as the attacker.
        for headers in [
            vec![("origin", "http://evil.example")],
            vec![("origin", "null")],
            vec![("origin", "https://portal.test")],
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
        ] {
            let (status, _, body) =
                app.request(post(Login::PATH, FORM, login_form(&fixture.basic), &headers, None)).await;
            assert_eq!((status, error(&body)), (StatusCode::FORBIDDEN, AppError::CrossSite), "{headers:?}");
        }
        assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0);
        // The same post from the portal's own page, and from no page at all (curl), is taken.
        for headers in [vec![("origin", "http://portal.test")], vec![("sec-fetch-site", "same-origin")], vec![]] {
            let (status, _, body) =
                app.request(post(Login::PATH, FORM, login_form(&fixture.basic), &headers, None)).await;
            assert!(status.is_success(), "{headers:?}: {status} {body}");
        }

        // A server function that changes users, from another site with the admin's cookie: refused,
        // nothing started.
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let liam = app.user_id("202@a.example").await;
        let forged = post(
            StartReset::PATH,
            "application/json",
            reset_body(liam),
            &[("origin", "http://evil.example")],
            Some(&manager),
        );
        let (status, _, body) = app.request(forged).await;
        assert_eq!((status, error(&body)), (StatusCode::FORBIDDEN, AppError::CrossSite));
        assert_eq!(bulk_job::Entity::find().count(&app.db).await.unwrap(), 0);
        let own = post(
            StartReset::PATH,
            "application/json",
            reset_body(liam),
            &[("origin", "http://portal.test")],
            Some(&manager),
        );
        assert_eq!(app.request(own).await.0, StatusCode::OK);
    })
}

#[test]
fn with_a_public_url_only_its_origin_may_send_changes() {
    common::run(async {
        let settings =
            Settings { public_url: Some(PublicUrl::parse("https://pbx.example.com").unwrap()), ..Settings::default() };
        let (app, login) = TestApp::with_one_user(settings, Scope::BasicUser).await;
        // The Host header is the attacker's to choose when the portal is reached by address.
        let spoofed = post(Login::PATH, FORM, login_form(&login), &[("origin", "http://portal.test")], None);
        assert_eq!(app.request(spoofed).await.0, StatusCode::FORBIDDEN);
        let own = post(Login::PATH, FORM, login_form(&login), &[("origin", "https://pbx.example.com")], None);
        assert!(app.request(own).await.0.is_success());
    })
}

#[test]
fn json_server_functions_take_json_and_the_sign_in_form_a_form_and_nothing_else() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let liam = app.user_id("202@a.example").await;
        for content_type in ["text/plain", FORM, "multipart/form-data; boundary=x", "application/jsonp", ""] {
            let request = post(StartReset::PATH, content_type, reset_body(liam), &[], Some(&manager));
            let (status, _, body) = app.request(request).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
            assert_eq!(
                error(&body),
                AppError::UnsupportedMediaType("This request must be sent as application/json.".into())
            );
        }
        assert_eq!(bulk_job::Entity::find().count(&app.db).await.unwrap(), 0);
        let request = post(StartReset::PATH, "application/json; charset=utf-8", reset_body(liam), &[], Some(&manager));
        let (status, _, body) = app.request(request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_str::<JobProgress>(&body).unwrap();

        let json_login = serde_json::json!({ "login": fixture.basic, "password": PASSWORD }).to_string();
        let (status, _, body) = app.request(post(Login::PATH, "application/json", json_login, &[], None)).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(error(&body), AppError::UnsupportedMediaType(format!("This request must be sent as {FORM}.")));
        let (status, _, _) = app.request(post(CurrentUser::PATH, "text/plain", "{}".into(), &[], None)).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    })
}

#[test]
fn a_body_over_a_mebibyte_is_refused_whether_declared_or_streamed() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let huge = format!("{{\"padding\":\"{}\"}}", "x".repeat(1024 * 1024));
        let declared = post(CurrentUser::PATH, "application/json", huge.clone(), &[], Some(&manager));
        let (status, _, body) = app.request(declared).await;
        assert_eq!((status, error(&body)), (StatusCode::PAYLOAD_TOO_LARGE, AppError::TooLarge));

        // Without a length up front, in chunks: refused once it passes the limit.
        let chunks: Vec<Result<String, std::io::Error>> =
            huge.as_bytes().chunks(64 * 1024).map(|chunk| Ok(String::from_utf8_lossy(chunk).into_owned())).collect();
        let streamed = Request::post(CurrentUser::PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &manager.cookie)
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .unwrap();
        let (status, _, _) = app.request(streamed).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

        // Just under the limit is an ordinary request.
        let (status, me) = app.call::<_, Option<Me>>(CurrentUser {}, Some(&manager)).await;
        assert_eq!((status, me.unwrap().is_some()), (StatusCode::OK, true));
    })
}

#[test]
fn a_body_that_stops_arriving_is_answered_408_once_its_time_is_up() {
    common::run(async {
        let connections = ConnectionLimits { body_read: Duration::from_millis(500), ..ConnectionLimits::default() };
        let app = TestApp::with_settings(Settings { connections, ..Settings::default() }).await;
        // A first piece of the body, then nothing, ever: a client holding the request open.
        let trickle = futures::stream::once(async { Ok::<_, std::io::Error>("{\"a\":".to_string()) })
            .chain(futures::stream::pending());
        let request = Request::post(CurrentUser::PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(trickle))
            .unwrap();
        let (status, _, body) = app.request(request).await;
        assert_eq!((status, error(&body)), (StatusCode::REQUEST_TIMEOUT, AppError::TooSlow));
    })
}

/// Reads from `stream` until the server closes it (or 30 s, the guard against a test that never ends);
/// returns what came.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server kept the connection open: {}", String::from_utf8_lossy(&received));
    String::from_utf8_lossy(&received).into_owned()
}

#[test]
fn a_client_that_sends_its_headers_too_slowly_or_goes_quiet_is_disconnected() {
    common::run(async {
        use tokio::io::AsyncWriteExt;
        let app = TestApp::new().await;
        let server = app.serve(&[("HTTP_HEADER_TIMEOUT_SECS", "1")]).await;
        let addr = server.addr;
        // Half a request head, then silence.
        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /login HTTP/1.1\r\nHost: portal.test\r\n").await.unwrap();
        // A whole request answered, then the kept-alive connection left idle.
        let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET /login HTTP/1.1\r\nHost: portal.test\r\n\r\n").await.unwrap();
        // Connected and never a byte sent.
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(!until_closed(&mut slow).await.starts_with("HTTP/1.1 200"));
        assert!(until_closed(&mut idle).await.starts_with("HTTP/1.1 200"));
        until_closed(&mut silent).await;
    })
}
