//! Sign-in throttling through the real router and database: too many failures lock a login, or a client
//! address, for everyone and every replica, even against the right password; the lock runs out; a
//! proxy's word about the client's address counts only from a trusted proxy.

use crate::common::{self, TestApp, PASSWORD};
use app::server::entities::{audit_log, session, signin_count, signin_lock};
use app::server::settings::{Limit, Settings, SigninLimits};
use app::shared::error::AppError;
use app::shared::model::Scope;
use app::ui::signed_in::Login;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use sea_orm::{prelude::*, sea_query::Expr, QueryOrder};
use std::net::SocketAddr;
use std::time::Duration;

/// Signs in as a browser's form would, from `peer` if given; the status, the error if any, the headers.
async fn attempt(
    app: &TestApp,
    peer: Option<&str>,
    login: &str,
    password: &str,
) -> (StatusCode, Option<AppError>, HeaderMap) {
    attempt_with(app, peer, &[], login, password).await
}

async fn attempt_with(
    app: &TestApp,
    peer: Option<&str>,
    headers: &[(&str, &str)],
    login: &str,
    password: &str,
) -> (StatusCode, Option<AppError>, HeaderMap) {
    let body = serde_qs::to_string(&Login { login: login.into(), password: password.into() }).unwrap();
    let mut request = Request::post(<Login as leptos::server_fn::ServerFn>::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::from(body)).unwrap();
    let (status, headers, body) = match peer {
        Some(peer) => app.request_from(format!("{peer}:40000").parse::<SocketAddr>().unwrap(), request).await,
        None => app.request(request).await,
    };
    let error =
        (!status.is_success()).then(|| serde_json::from_str(&body).unwrap_or_else(|_| panic!("{status}: {body}")));
    (status, error, headers)
}

fn locked(minutes: u64) -> Option<AppError> {
    Some(AppError::TooManyAttempts { minutes })
}

async fn audited(app: &TestApp, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

fn limits(per_login: u32, per_addr: u32, lock: Duration) -> Settings {
    Settings {
        signin: SigninLimits {
            per_login: Limit { max_failures: per_login, lock },
            per_addr: Limit { max_failures: per_addr, lock },
            window: Duration::from_secs(900),
            ..SigninLimits::default()
        },
        ..Settings::default()
    }
}

/// Room in the sign-in queue for a whole burst: what is refused then is refused by the count alone.
fn roomy() -> Settings {
    Settings { signin: SigninLimits { queue: 256, ..SigninLimits::default() }, ..Settings::default() }
}

#[test]
fn ten_failures_lock_a_login_for_fifteen_minutes_even_against_the_right_password() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        for n in 1..=10 {
            let (status, error, _) = attempt(&app, None, &fixture.office_manager, "not the password").await;
            assert_eq!((status, error), (StatusCode::UNAUTHORIZED, Some(AppError::InvalidCredentials)), "failure {n}");
        }
        let (status, error, headers) = attempt(&app, None, &fixture.office_manager, PASSWORD).await;
        assert_eq!((status, error.clone()), (StatusCode::TOO_MANY_REQUESTS, locked(15)));
        assert_eq!(error.unwrap().to_string(), "Too many failed sign-ins. Try again in 15 minutes.");
        assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "900");
        // The same account by its email address is the same account; other accounts are untouched.
        assert_eq!(attempt(&app, None, "olga.manning@a.example", PASSWORD).await.1, locked(15));
        app.sign_in(&fixture.basic, PASSWORD).await;
        let locks = audited(&app, "sign_in_locked").await;
        assert_eq!(locks.len(), 1);
        assert_eq!(locks[0].actor, fixture.office_manager);
        // A login that does not exist locks the same way, so that locks tell nothing about accounts.
        for _ in 0..10 {
            attempt(&app, None, "999@a.example", "guess").await;
        }
        assert_eq!(attempt(&app, None, "999@a.example", "guess").await.1, locked(15));
    })
}

#[test]
fn a_successful_sign_in_starts_the_count_again() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        for _ in 0..9 {
            attempt(&app, None, &fixture.basic, "wrong password").await;
        }
        app.sign_in(&fixture.basic, PASSWORD).await;
        for _ in 0..9 {
            assert_eq!(attempt(&app, None, &fixture.basic, "wrong password").await.0, StatusCode::UNAUTHORIZED);
        }
        app.sign_in(&fixture.basic, PASSWORD).await;
        assert!(audited(&app, "sign_in_locked").await.is_empty());
    })
}

#[test]
fn a_lock_runs_out_and_its_start_and_end_are_audited() {
    common::run(async {
        let (app, login) = TestApp::with_one_user(limits(3, 50, Duration::from_secs(900)), Scope::BasicUser).await;
        for _ in 0..3 {
            attempt(&app, None, &login, "wrong password").await;
        }
        assert_eq!(attempt(&app, None, &login, PASSWORD).await.1, locked(15));
        // A second left is a minute, rounded up; then the lock runs out (brought forward, not waited for).
        let runs_out = |left: chrono::Duration| {
            signin_lock::Entity::update_many()
                .col_expr(signin_lock::Column::Until, Expr::value(chrono::Utc::now() + left))
                .exec(&app.db)
        };
        runs_out(chrono::Duration::seconds(30)).await.unwrap();
        assert_eq!(attempt(&app, None, &login, PASSWORD).await.1, locked(1));
        runs_out(chrono::Duration::seconds(-1)).await.unwrap();
        assert_eq!(attempt(&app, None, &login, PASSWORD).await.0, StatusCode::OK);
        let lock = audited(&app, "sign_in_locked").await;
        let unlock = audited(&app, "sign_in_unlocked").await;
        assert_eq!((lock.len(), unlock.len()), (1, 1));
        assert_eq!((lock[0].actor.as_str(), unlock[0].actor.as_str()), (login.as_str(), login.as_str()));
        assert!(lock[0].detail.contains("\"failures\":3"), "{}", lock[0].detail);
    })
}

#[test]
fn too_many_failures_from_one_address_lock_that_address_for_every_login() {
    common::run(async {
        let (app, login) = TestApp::with_one_user(limits(10, 5, Duration::from_secs(900)), Scope::BasicUser).await;
        // Five different logins tried from one address: no login is locked, the address is.
        for n in 0..5 {
            let (status, ..) = attempt(&app, Some("198.51.100.7"), &format!("30{n}@a.example"), "guess").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(attempt(&app, Some("198.51.100.7"), &login, PASSWORD).await.1, locked(15));
        assert_eq!(attempt(&app, Some("198.51.100.8"), &login, PASSWORD).await.0, StatusCode::OK);
        let lock = audited(&app, "sign_in_locked").await;
        assert_eq!(lock.len(), 1);
        assert_eq!(
            (lock[0].actor.as_str(), lock[0].remote_addr.as_deref()),
            ("address 198.51.100.7", Some("198.51.100.7"))
        );
    })
}

#[test]
fn replicas_count_together_and_honour_each_others_locks() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let other = app.replica(Settings::default()).await;
        for n in 0..10 {
            let replica = if n % 2 == 0 { &app } else { &other };
            assert_eq!(attempt(replica, None, &fixture.reseller, "wrong password").await.0, StatusCode::UNAUTHORIZED);
        }
        for replica in [&app, &other] {
            assert_eq!(attempt(replica, None, &fixture.reseller, PASSWORD).await.1, locked(15));
        }
        assert_eq!(audited(&app, "sign_in_locked").await.len(), 1);
    })
}

#[test]
fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
    common::run(async {
        let forwarded = [("x-forwarded-for", "203.0.113.9")];
        let keys = |app: &TestApp| {
            let db = app.db.clone();
            async move {
                let rows = signin_count::Entity::find().all(&db).await.unwrap();
                rows.into_iter().map(|row| row.key).filter(|key| key.starts_with("addr:")).collect::<Vec<_>>()
            }
        };
        let app = TestApp::new().await;
        attempt_with(&app, Some("10.0.0.5"), &forwarded, "201@a.example", "guess").await;
        assert_eq!(keys(&app).await, ["addr:10.0.0.5"], "anyone may write X-Forwarded-For");

        let behind = Settings { trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()], ..Settings::default() };
        let app = TestApp::with_settings(behind).await;
        attempt_with(&app, Some("10.0.0.5"), &forwarded, "201@a.example", "guess").await;
        assert_eq!(keys(&app).await, ["addr:203.0.113.9"]);
        let failure = audited(&app, "sign_in_failed").await;
        assert_eq!(failure[0].remote_addr.as_deref(), Some("203.0.113.9"));
    })
}

#[test]
fn an_over_long_login_or_password_is_refused_at_its_field_and_counts_for_nothing() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let (status, error, _) = attempt(&app, None, &format!("{}@a.example", "2".repeat(250)), PASSWORD).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(matches!(error, Some(error) if error.is_at("login")));
        let (status, error, _) = attempt(&app, None, &fixture.basic, &"x".repeat(257)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error, Some(AppError::invalid("password", "A password has at most 256 characters.")));
        assert_eq!(signin_count::Entity::find().count(&app.db).await.unwrap(), 0);
    })
}

/// A burst of 199 wrong passwords sent together, half by the account's extension login and half by its
/// email address, spread over `replicas`; then, once the limit's worth of them have been checked, the
/// right password. Returns how many passwords were checked (each checked failure is audited), the
/// right one's answer, and how many sessions the account has.
async fn burst(replicas: &[&TestApp], login: &str, alias: &str) -> (usize, Option<AppError>, u64) {
    let limit = Settings::default().signin.per_login.max_failures as usize;
    let first = replicas[0];
    let wrong = (0..199).map(|n| {
        let replica = replicas[n % replicas.len()];
        let login = if n % 2 == 0 { login } else { alias };
        attempt(replica, None, login, "not the password")
    });
    let right = async {
        while audited(first, "sign_in_failed").await.len() < limit {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        attempt(replicas[replicas.len() - 1], None, login, PASSWORD).await
    };
    let (answers, (_, right, _)) = futures::join!(futures::future::join_all(wrong), right);
    for (status, error, _) in &answers {
        assert!(matches!(status, &StatusCode::UNAUTHORIZED | &StatusCode::TOO_MANY_REQUESTS), "{status}: {error:?}");
    }
    let user_id = first.user_id(login).await;
    let sessions = session::Entity::find().filter(session::Column::UserId.eq(user_id)).count(&first.db).await.unwrap();
    let checked = audited(first, "sign_in_failed").await.len() + audited(first, "sign_in").await.len();
    (checked, right, sessions)
}

#[test]
fn a_burst_of_wrong_passwords_checks_at_most_the_limit_and_the_right_one_after_it_is_refused() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let one = app.replica(roomy()).await;
        let (checked, right, sessions) = burst(&[&one], &fixture.office_manager, "olga.manning@a.example").await;
        assert_eq!(checked, 10, "passwords checked: exactly the limit's worth");
        assert_eq!((right, sessions), (locked(15), 0));
    })
}

#[test]
fn a_burst_spread_over_two_replicas_checks_at_most_the_limit_between_them() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let (one, other) = (app.replica(roomy()).await, app.replica(roomy()).await);
        let (checked, right, sessions) =
            burst(&[&one, &other], &fixture.office_manager, "olga.manning@a.example").await;
        assert_eq!(checked, 10, "passwords checked: exactly the limit's worth");
        assert_eq!((right, sessions), (locked(15), 0));
    })
}

#[test]
fn an_ipv6_client_is_one_address_for_its_whole_64() {
    common::run(async {
        let (app, login) = TestApp::with_one_user(limits(10, 5, Duration::from_secs(900)), Scope::BasicUser).await;
        // Five guesses, each from another address of one /64, as a client given a /64 may send them.
        for n in 1..=5 {
            let (status, ..) = attempt(&app, Some(&format!("[2001:db8:7:8::{n:x}]")), "300@a.example", "guess").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(attempt(&app, Some("[2001:db8:7:8:ffff::1]"), &login, PASSWORD).await.1, locked(15));
        assert_eq!(attempt(&app, Some("[2001:db8:7:9::1]"), &login, PASSWORD).await.0, StatusCode::OK);
        let lock = audited(&app, "sign_in_locked").await;
        assert_eq!(lock[0].actor, "address 2001:db8:7:8::/64");
    })
}

/// A log line the throttle writes names the login tried: a line break in that login is written
/// escaped, so that it cannot start a forged line of its own. (The real server's log.)
#[test]
fn a_login_with_a_line_break_is_logged_escaped() {
    common::run(async {
        let app = TestApp::new().await;
        let server = app.serve(&[("SIGNIN_MAX_FAILURES", "2")]).await;
        let forged = "x@a.example\nWARN sign-in of 100@a.example succeeded";
        let body = serde_qs::to_string(&Login { login: forged.into(), password: "guess".into() }).unwrap();
        for _ in 0..2 {
            let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
            let request = format!(
                "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                <Login as leptos::server_fn::ServerFn>::PATH,
                server.addr,
                body.len()
            );
            tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer).await.unwrap();
            assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        }
        let written = server.log();
        assert!(written.contains("sign-in locked"), "{written}");
        // (Logins are read in lower case.)
        assert!(written.contains("x@a.example\\nwarn sign-in"), "{written}");
        assert!(!written.lines().any(|line| line.starts_with("warn sign-in of")), "{written}");
    })
}
