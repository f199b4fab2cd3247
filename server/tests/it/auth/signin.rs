//! Signing in and out through the real router and database.

use crate::common;

use crate::common::{TestApp, PASSWORD};
use app::server::entities::{audit_log, session};
use app::server::settings::Settings;
use app::shared::error::AppError;
use app::shared::model::{Me, Scope};
use app::ui::signed_in::{CurrentUser, Login, Logout};
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[test]
fn signing_in_sets_a_strict_http_only_cookie_and_knows_the_user() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let attributes = session.set_cookie.to_lowercase();
        assert!(attributes.contains("httponly"), "{attributes}");
        assert!(attributes.contains("samesite=strict"), "{attributes}");
        assert!(!attributes.contains("secure"), "plain http must not get a Secure cookie: {attributes}");

        let (status, me) = app.call::<_, Option<Me>>(CurrentUser {}, Some(&session)).await;
        assert_eq!(status, StatusCode::OK);
        let me = me.unwrap().expect("signed in");
        assert_eq!(
            (me.login.as_str(), me.scope, me.domain.as_str()),
            ("200@a.example", Scope::OfficeManager, "a.example")
        );
        assert_eq!(me.home(), "/domains/a.example/users");
    })
}

/// A plain form post (no JavaScript) of the sign-in form from `peer`, saying it came over https.
async fn sign_in_over_https(app: &TestApp, peer: &str, login: &str) -> (axum::http::StatusCode, String) {
    let request = axum::http::Request::post(<Login as leptos::server_fn::ServerFn>::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("x-forwarded-proto", "https")
        .body(axum::body::Body::from(format!("login={login}&password={}", PASSWORD.replace(' ', "+"))))
        .unwrap();
    let (status, headers, _) = app.request_from(format!("{peer}:50000").parse().unwrap(), request).await;
    (status, headers.get("set-cookie").unwrap().to_str().unwrap().to_lowercase())
}

#[test]
fn the_cookie_is_secure_behind_a_trusted_https_proxy_and_only_then() {
    common::run(async {
        let behind = Settings { trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()], ..Settings::default() };
        let (app, login) = TestApp::with_one_user(behind, Scope::BasicUser).await;
        // Answered with a real redirect, as a browser without JavaScript needs.
        let (status, cookie) = sign_in_over_https(&app, "10.0.0.5", &login).await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(cookie.contains("; secure"), "{cookie}");
        // Anyone else saying "https" is not believed.
        let (_, cookie) = sign_in_over_https(&app, "198.51.100.1", &login).await;
        assert!(!cookie.contains("; secure"), "{cookie}");
    })
}

#[test]
fn one_can_sign_in_with_the_email_address_in_any_case() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let session = app.sign_in("Olga.Manning@A.example", PASSWORD).await;
        let (_, me) = app.call::<_, Option<Me>>(CurrentUser {}, Some(&session)).await;
        assert_eq!(me.unwrap().unwrap().extension, "200");
    })
}

#[test]
fn a_wrong_password_and_an_unknown_login_get_the_same_generic_answer() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let attempts = [
            Login { login: fixture.office_manager.clone(), password: "not the password".into() },
            Login { login: "999@a.example".into(), password: PASSWORD.into() },
            Login { login: String::new(), password: String::new() },
        ];
        for attempt in attempts {
            let (status, result) = app.call::<_, ()>(attempt, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            let error = result.unwrap_err();
            assert_eq!(error, AppError::InvalidCredentials);
            assert_eq!(error.to_string(), "Invalid login or password");
        }
        assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0, "no session was started");
        let failures = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("sign_in_failed"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(failures, 2, "the empty form is no attempt on anyone's account");
    })
}

#[test]
fn a_user_without_a_password_cannot_sign_in() {
    common::run(async {
        let app = TestApp::new().await;
        app.domain("a.example", "R1").await;
        app.user_without_password("a.example", "300", "New", "Hire").await;
        let (status, _) = app.call::<_, ()>(Login { login: "300@a.example".into(), password: "".into() }, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app
            .call::<_, ()>(Login { login: "300@a.example".into(), password: "no user has this password".into() }, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
}

#[test]
fn logging_out_ends_the_session_on_the_server() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.basic, PASSWORD).await;
        let (status, headers, _) = app.call_form(Logout {}, Some(&session)).await;
        assert!(status.is_success());
        assert_eq!(headers.get("location").unwrap(), "/login");
        let cleared = headers.get("set-cookie").unwrap().to_str().unwrap();
        assert!(cleared.contains("Max-Age=0") || cleared.contains("max-age=0"), "{cleared}");

        // The old cookie, replayed, no longer signs anyone in.
        let (_, me) = app.call::<_, Option<Me>>(CurrentUser {}, Some(&session)).await;
        assert_eq!(me.unwrap(), None);
        let entries = audit_log::Entity::find().all(&app.db).await.unwrap();
        let who_did = |action: &str| {
            entries.iter().find(|entry| entry.action == action).map(|entry| (entry.actor.clone(), entry.actor_user_id))
        };
        let basic = app::server::entities::user::Entity::find()
            .filter(app::server::entities::user::Column::Login.eq(&fixture.basic))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(who_did("sign_in"), Some((fixture.basic.clone(), Some(basic.id))));
        assert_eq!(who_did("sign_out"), Some((fixture.basic.clone(), Some(basic.id))));
    })
}

#[test]
fn without_a_cookie_nobody_is_signed_in() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let (status, me) = app.call::<_, Option<Me>>(CurrentUser {}, None).await;
        assert_eq!((status, me.unwrap()), (StatusCode::OK, None));
    })
}

/// An admin gives three other extensions someone's email address (as recycling lets them): that
/// person still signs in with their email, to their own account, wherever its row happens to be.
#[test]
fn extensions_given_someones_email_cannot_crowd_out_their_own_account() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        // Vic's account is the newest of the four; the three recycled extensions were made before it.
        app.user("a.example", "204", "Vic", "Tim", Scope::BasicUser).await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let mut decoys = Vec::new();
        for extension in ["201", "202", "203"] {
            decoys.push(app.user_id(&format!("{extension}@a.example")).await);
        }
        app.reset_users(&manager, decoys.clone()).await;
        for id in decoys {
            app.recycle_user(&manager, id, "Not", "Vic", "vic.tim@a.example").await;
        }
        let session = app.sign_in("vic.tim@a.example", PASSWORD).await;
        let (_, me) = app.call::<_, Option<Me>>(CurrentUser {}, Some(&session)).await;
        assert_eq!(me.unwrap().unwrap().extension, "204");
    })
}
