//! Account actions and choosing a password: Send Welcome Email and Force Password Reset jobs, the
//! set-password links, and the forced change. The helpers here drive them as the browser does.

mod actions;
mod new_password;

use crate::common::{Session, TestApp};
use app::server::entities::user;
use app::shared::accounts::{AccountAction, AccountPreview, AccountRequest, NewPassword};
use app::shared::bulk::JobProgress;
use app::shared::bulk::Targets;
use app::shared::error::AppError;
use app::shared::model::Me;
use app::ui::components::bulk_action::account_step::{PreviewAccountAction, StartAccountAction};
use app::ui::signed_in::CurrentUser;
use app::ui::signed_in::SetPassword;
use axum::http::{header, StatusCode};
use sea_orm::prelude::*;

pub(crate) const GOOD_PASSWORD: &str = "violet tractor sings";
pub(crate) const GOOD_PIN: &str = "2580";

pub(crate) async fn account_action(
    app: &TestApp,
    session: &Session,
    action: AccountAction,
    user_ids: Vec<i32>,
) -> (AccountPreview, JobProgress) {
    account_action_in(app, session, "a.example", action, user_ids).await
}

/// `account_action` on the users of `domain`.
pub(crate) async fn account_action_in(
    app: &TestApp,
    session: &Session,
    domain: &str,
    action: AccountAction,
    user_ids: Vec<i32>,
) -> (AccountPreview, JobProgress) {
    let request = AccountRequest { action, targets: Targets::Ticked(user_ids) };
    let (code, preview) = app
        .call::<_, AccountPreview>(
            PreviewAccountAction { domain: domain.into(), request: request.clone() },
            Some(session),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{preview:?}");
    let (code, job) =
        app.call::<_, JobProgress>(StartAccountAction { domain: domain.into(), request }, Some(session)).await;
    assert_eq!(code, StatusCode::OK, "{job:?}");
    app.run_jobs().await;
    (preview.unwrap(), job.unwrap())
}

pub(crate) fn new_password(password: &str, confirmation: &str, pin: &str) -> NewPassword {
    NewPassword { password: password.into(), confirmation: confirmation.into(), pin: pin.into() }
}

/// Sets a password with the link's `token`; returns the answer and the new session, if one began.
pub(crate) async fn set_password(
    app: &TestApp,
    token: &str,
    new: NewPassword,
) -> (StatusCode, Result<(), AppError>, Option<Session>) {
    let body = serde_json::json!({ "token": token, "new": new }).to_string();
    let request = axum::http::Request::post(<SetPassword as leptos::server_fn::ServerFn>::PATH)
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    let (code, headers, body) = app.request(request).await;
    let session = headers.get(header::SET_COOKIE).map(|cookie| {
        let cookie = cookie.to_str().unwrap();
        Session { cookie: cookie.split(';').next().unwrap().to_string(), set_cookie: cookie.into() }
    });
    let answer = if code.is_success() { Ok(()) } else { Err(serde_json::from_str(&body).expect("an AppError")) };
    (code, answer, session)
}

pub(crate) async fn me(app: &TestApp, session: &Session) -> Option<Me> {
    app.call::<_, Option<Me>>(CurrentUser {}, Some(session)).await.1.unwrap()
}

pub(crate) async fn user_by_login(app: &TestApp, login: &str) -> user::Model {
    user::Entity::find().filter(user::Column::Login.eq(login)).one(&app.db).await.unwrap().unwrap()
}
