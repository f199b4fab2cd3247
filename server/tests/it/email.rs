//! Email and first sign-in, end to end on a real database with a real SMTP conversation: the Send
//! Welcome Email and Force Password Reset jobs write the outbox, the dispatcher sends it to the test's
//! SMTP server (down, refusing for now, refusing for good), and the links in the messages set passwords.

use crate::common::{self, Session, TestApp, PASSWORD};
use crate::smtp::{self, Answer, Received, SmtpServer};
use app::accounts::{AccountAction, AccountPreview, AccountRequest, LinkHolder, NewPassword};
use app::auth::CurrentUser;
use app::bulk::{JobProgress, JobStatus, RecycleEntry, RecycleOutcome, ResetOptions, ResetRequest};
use app::error::{AppError, FieldProblem};
use app::mail::{MessageKind, MessageState, OutboxRow};
use app::model::{Me, UserPage, UserQuery, UserStatus};
use app::pages::change_password::ChangePassword;
use app::pages::outbox::{OutboxMessages, RetryMessage};
use app::pages::set_password::{PasswordLink, SetPassword};
use app::pages::users::bulk::account::{PreviewAccountAction, StartAccountAction};
use app::pages::users::bulk::progress::BulkJobStatus;
use app::pages::users::bulk::recycle::RecycleUsers;
use app::pages::users::bulk::reset::StartReset;
use app::pages::users::ListUsers;
use app::server::entities::{outbox_message, password_link, session, user};
use app::server::mailer::{Config, Dispatcher, Transport};
use app::server::{links, mailer, tokens};
use axum::http::{header, StatusCode};
use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, ConnectionTrait, DatabaseBackend, QueryOrder};
use std::time::Duration;

pub(crate) const GOOD_PASSWORD: &str = "violet tractor sings";
pub(crate) const GOOD_PIN: &str = "2580";

/// A dispatcher sending to `smtp_url`; a failed attempt waits `retry` before the next.
pub(crate) fn dispatcher(app: &TestApp, smtp_url: &str, retry: Duration) -> Dispatcher {
    let transport = Transport::new(Some(smtp_url), std::path::Path::new("unused")).expect("an SMTP transport");
    let mut config =
        Config::new(transport, "Switchboard <switchboard@pbx.example>".parse().unwrap(), "http://pbx.example");
    config.first_retry = retry;
    Dispatcher::new(app.db.clone(), config)
}

pub(crate) async fn messages(app: &TestApp) -> Vec<outbox_message::Model> {
    outbox_message::Entity::find().order_by_asc(outbox_message::Column::Id).all(&app.db).await.unwrap()
}

pub(crate) async fn account_action(
    app: &TestApp,
    session: &Session,
    action: AccountAction,
    user_ids: Vec<i32>,
) -> (AccountPreview, JobProgress) {
    let request = AccountRequest { action, user_ids };
    let (code, preview) = app
        .call::<_, AccountPreview>(
            PreviewAccountAction { domain: "a.example".into(), request: request.clone() },
            Some(session),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{preview:?}");
    let (code, job) =
        app.call::<_, JobProgress>(StartAccountAction { domain: "a.example".into(), request }, Some(session)).await;
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

pub(crate) fn one_for(received: &[Received], address: &str) -> Received {
    let mine: Vec<&Received> = received.iter().filter(|message| message.to == [address]).collect();
    assert_eq!(mine.len(), 1, "messages to {address}: {received:?}");
    mine[0].clone()
}

#[test]
fn a_welcome_email_goes_out_over_smtp_and_its_link_sets_a_password_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        app.user_without_password("a.example", "204", "Mia", "Noe").await;
        let ids = [
            app.user_id("202@a.example").await,
            app.user_id("203@a.example").await,
            app.user_id("204@a.example").await,
        ];
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;

        let (preview, job) = account_action(&app, &manager, AccountAction::SendWelcome, ids.to_vec()).await;
        assert_eq!(preview.users.iter().map(|user| user.extension.as_str()).collect::<Vec<_>>(), ["202", "203"]);
        assert_eq!(preview.skipped.len(), 1);
        assert_eq!(
            (preview.skipped[0].user.extension.as_str(), preview.skipped[0].reason.as_str()),
            ("204", "No email address.")
        );
        assert_eq!(job.total, 2);
        let queued = messages(&app).await;
        assert_eq!(queued.len(), 2);
        assert!(queued
            .iter()
            .all(|message| message.state == MessageState::Queued && message.kind == MessageKind::Welcome));
        // Nothing usable is stored before sending: the link is made when the message is.
        assert_eq!(password_link::Entity::find().count(&app.db).await.unwrap(), 0);

        let server = SmtpServer::start().await;
        let sent = dispatcher(&app, &server.url(), Duration::from_secs(60)).run_once().await.unwrap();
        assert_eq!(sent, 2);
        let received = server.received();
        let liam = one_for(&received, "liam.jones@a.example");
        one_for(&received, "noah.brown@a.example");
        assert_eq!(liam.from, "switchboard@pbx.example");
        assert_eq!(liam.subject(), "Welcome to Switchboard: set your password");
        let token = liam.token();
        let link = format!("http://pbx.example/set-password?token={token}");
        for part in [liam.text(), liam.html()] {
            assert!(
                part.contains(&link) && part.contains("202@a.example") && part.contains("http://pbx.example"),
                "{part}"
            );
        }
        assert_eq!(token.len(), 43);
        assert!(messages(&app)
            .await
            .iter()
            .all(|message| message.state == MessageState::Sent && message.sent_at.is_some()));
        // Only the link's hash is kept.
        let link = password_link::Entity::find_by_id(tokens::digest(&token)).one(&app.db).await.unwrap().unwrap();
        assert!(link.expires_at > Utc::now() + chrono::Duration::hours(71));

        // The link's page greets its holder; its form sets the password and PIN and signs them in.
        let (code, _, page) = app.get(&format!("/set-password?token={token}"), None).await;
        assert_eq!(code, StatusCode::OK);
        assert!(page.contains("Set Password") && page.contains("202@a.example"), "{page}");
        let (code, holder) = app.call::<_, LinkHolder>(PasswordLink { token: token.clone() }, None).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(holder.unwrap().login, "202@a.example");
        let (code, answer, session) =
            set_password(&app, &token, new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
        assert_eq!(code, StatusCode::OK, "{answer:?}");
        let session = session.expect("a session cookie");
        assert_eq!(me(&app, &session).await.map(|me| me.login), Some("202@a.example".to_string()));
        let liam = user_by_login(&app, "202@a.example").await;
        assert_eq!(liam.status, UserStatus::Active);
        assert!(!liam.must_change_password);
        app.sign_in("202@a.example", GOOD_PASSWORD).await;

        // Single use.
        let (code, answer, session) =
            set_password(&app, &token, new_password("another fine phrase", "another fine phrase", "9024")).await;
        assert_eq!(code, StatusCode::GONE);
        assert!(
            matches!(&answer, Err(AppError::Gone(message)) if message.starts_with("This link has already been used.")),
            "{answer:?}"
        );
        assert!(session.is_none());
        app.sign_in("202@a.example", GOOD_PASSWORD).await;

        // Another message is never sent again once it is recorded as sent.
        assert_eq!(dispatcher(&app, &server.url(), Duration::from_secs(60)).run_once().await.unwrap(), 0);
        assert_eq!(server.received().len(), 2);
        let actions = app.audit_actions(&["welcome_email_queued", "password_set"]).await;
        assert_eq!(actions, ["welcome_email_queued", "welcome_email_queued", "password_set"]);
    });
}

#[test]
fn smtp_down_then_up_delivers_the_message_exactly_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        account_action(&app, &manager, AccountAction::SendWelcome, vec![app.user_id("202@a.example").await]).await;

        let addr = smtp::free_addr();
        let retry = Duration::from_millis(300);
        let first = dispatcher(&app, &format!("smtp://{addr}"), retry);
        assert_eq!(first.run_once().await.unwrap(), 1);
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!((message.state, message.attempts), (MessageState::Queued, 1));
        assert!(
            message.last_error.as_deref().unwrap_or("").starts_with("The mail server could not take it"),
            "{message:?}"
        );
        assert!(message.next_attempt_at > Utc::now(), "it waits before the next attempt");
        // The link of the message that was not sent does not work.
        assert_eq!(password_link::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(first.run_once().await.unwrap(), 0, "not due yet");

        let server = SmtpServer::start_at(addr).await;
        tokio::time::sleep(retry).await;
        // Two replicas' dispatchers look at once; the message goes out once.
        let second = dispatcher(&app, &format!("smtp://{addr}"), retry);
        let (a, b) = tokio::join!(first.run_once(), second.run_once());
        assert_eq!(a.unwrap() + b.unwrap(), 1);
        for _ in 0..3 {
            assert_eq!(first.run_once().await.unwrap() + second.run_once().await.unwrap(), 0);
        }
        assert_eq!(server.received().len(), 1);
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!((message.state, message.attempts, message.last_error), (MessageState::Sent, 2, None));
        assert_eq!(password_link::Entity::find().count(&app.db).await.unwrap(), 1);
    });
}

#[test]
fn a_4xx_is_tried_again_and_a_5xx_fails_with_the_reason_until_an_admin_retries() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        account_action(&app, &manager, AccountAction::SendWelcome, vec![app.user_id("202@a.example").await]).await;
        let server = SmtpServer::start().await;
        let retry = Duration::from_millis(200);
        let mailer = dispatcher(&app, &server.url(), retry);

        server.answer(Answer::TryLater);
        mailer.run_once().await.unwrap();
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!(message.state, MessageState::Queued);
        assert!(message.last_error.as_deref().unwrap_or("").contains("451"), "{message:?}");

        server.answer(Answer::Reject);
        tokio::time::sleep(retry).await;
        mailer.run_once().await.unwrap();
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!(message.state, MessageState::Failed);
        let reason = message.last_error.clone().unwrap_or_default();
        assert!(reason.starts_with("The mail server refused it") && reason.contains("550"), "{reason}");
        assert_eq!(mailer.run_once().await.unwrap(), 0, "a failed message stays failed");
        assert!(server.received().is_empty());

        // The Outbox page shows it, with the reason, to the domain's admins only.
        let (code, rows) = app.call::<_, Vec<OutboxRow>>(OutboxMessages {}, Some(&manager)).await;
        assert_eq!(code, StatusCode::OK);
        let rows = rows.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].state, rows[0].extension.as_deref()), (MessageState::Failed, Some("202")));
        assert_eq!(rows[0].last_error.as_deref(), Some(reason.as_str()));
        let reseller = app.sign_in(&fixture.reseller, PASSWORD).await;
        assert_eq!(app.call::<_, Vec<OutboxRow>>(OutboxMessages {}, Some(&reseller)).await.1.unwrap(), rows);
        let other = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        assert!(app.call::<_, Vec<OutboxRow>>(OutboxMessages {}, Some(&other)).await.1.unwrap().is_empty());
        let (code, _) = app.call::<_, ()>(RetryMessage { id: message.id }, Some(&other)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let basic = app.sign_in(&fixture.basic, PASSWORD).await;
        let (code, _) = app.call::<_, Vec<OutboxRow>>(OutboxMessages {}, Some(&basic)).await;
        assert_eq!(code, StatusCode::FORBIDDEN);

        // Retry puts it back; sent once the server takes it.
        server.answer(Answer::Accept);
        let (code, answer) = app.call::<_, ()>(RetryMessage { id: message.id }, Some(&manager)).await;
        assert_eq!(code, StatusCode::OK, "{answer:?}");
        let (code, answer) = app.call::<_, ()>(RetryMessage { id: message.id }, Some(&manager)).await;
        assert_eq!(code, StatusCode::CONFLICT, "only a failed message can be retried: {answer:?}");
        assert_eq!(mailer.run_once().await.unwrap(), 1);
        assert_eq!(server.received().len(), 1);
        assert_eq!(messages(&app).await[0].state, MessageState::Sent);
    });
}

#[test]
fn without_smtp_each_message_is_written_as_an_eml_file() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        account_action(&app, &manager, AccountAction::SendWelcome, vec![app.user_id("203@a.example").await]).await;
        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::new(None, &dir.path().join("outbox")).unwrap();
        let config = Config::new(transport, "switchboard@pbx.example".parse().unwrap(), "http://pbx.example");
        assert_eq!(Dispatcher::new(app.db.clone(), config).run_once().await.unwrap(), 1);
        let files: Vec<_> =
            std::fs::read_dir(dir.path().join("outbox")).unwrap().map(|entry| entry.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().and_then(|ext| ext.to_str()), Some("eml"));
        let eml = std::fs::read(&files[0]).unwrap();
        let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
        assert_eq!(message.to().and_then(|to| to.first()).and_then(|to| to.address()), Some("noah.brown@a.example"));
        assert!(message.body_text(0).unwrap().contains("http://pbx.example/set-password?token="));
        assert_eq!(messages(&app).await[0].state, MessageState::Sent);
    });
}

#[test]
fn a_forced_password_reset_signs_the_user_out_and_blocks_all_but_change_password() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        app.user_without_password("a.example", "204", "Mia", "Noe").await;
        let target = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let boss = app.sign_in(&fixture.super_user, PASSWORD).await;
        let ids = vec![app.user_id(&fixture.office_manager).await, app.user_id("204@a.example").await];

        let (preview, job) = account_action(&app, &boss, AccountAction::ForcePasswordReset, ids).await;
        assert_eq!(preview.users.len(), 2);
        assert!(preview.skipped.is_empty());
        assert_eq!(preview.without_email().map(|user| user.extension.as_str()).collect::<Vec<_>>(), ["204"]);
        assert_eq!(job.total, 2);
        // Signed out at once; "Password Required" on the Users page; a link queued where there is an address.
        assert_eq!(me(&app, &target).await, None);
        let olga = user_by_login(&app, &fixture.office_manager).await;
        assert_eq!((olga.status, olga.must_change_password), (UserStatus::PasswordRequired, true));
        let (_, page) = app
            .call::<_, UserPage>(ListUsers { domain: "a.example".into(), query: UserQuery::default() }, Some(&boss))
            .await;
        let page = page.unwrap();
        let row = page.rows.iter().find(|row| row.extension == "200").unwrap();
        assert_eq!(row.status, UserStatus::PasswordRequired);
        let queued = messages(&app).await;
        assert_eq!(queued.len(), 1);
        assert_eq!(
            (queued[0].kind, queued[0].recipient.as_str()),
            (MessageKind::PasswordReset, "olga.manning@a.example")
        );

        // Signing in again with the old password leads only to Change Password.
        let forced = app.sign_in(&fixture.office_manager, PASSWORD).await;
        assert!(me(&app, &forced).await.unwrap().must_change_password);
        let list = ListUsers { domain: "a.example".into(), query: UserQuery::default() };
        let (code, refused) = app.call::<_, UserPage>(list.clone(), Some(&forced)).await;
        assert_eq!((code, refused), (StatusCode::FORBIDDEN, Err(AppError::PasswordChangeRequired)));
        let (code, refused) = app.call::<_, Vec<OutboxRow>>(OutboxMessages {}, Some(&forced)).await;
        assert_eq!((code, refused), (StatusCode::FORBIDDEN, Err(AppError::PasswordChangeRequired)));
        let (code, headers, _) = app.get("/domains/a.example/users", Some(&forced)).await;
        assert_eq!(code, StatusCode::FOUND);
        assert_eq!(headers.get(header::LOCATION).unwrap(), "/change-password");
        let (code, _, page) = app.get("/change-password", Some(&forced)).await;
        assert_eq!(code, StatusCode::OK);
        assert!(page.contains("Change Password"), "{page}");

        let change = |new: NewPassword| ChangePassword { new };
        let (code, refused) = app.call::<_, ()>(change(new_password(PASSWORD, PASSWORD, "")), Some(&forced)).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            refused,
            Err(AppError::Fields(vec![FieldProblem {
                field: "password".into(),
                message: "Choose a password different from your current one.".into()
            }]))
        );
        let (code, answer) =
            app.call::<_, ()>(change(new_password(GOOD_PASSWORD, GOOD_PASSWORD, "")), Some(&forced)).await;
        assert_eq!(code, StatusCode::OK, "{answer:?}");
        assert_eq!(app.call::<_, UserPage>(list, Some(&forced)).await.0, StatusCode::OK);
        let olga = user_by_login(&app, &fixture.office_manager).await;
        assert_eq!((olga.status, olga.must_change_password), (UserStatus::Active, false));
        let (code, _, _) = app.get("/change-password", Some(&forced)).await;
        assert_eq!(code, StatusCode::FOUND, "Change Password is only for those who must");

        // The reset email queued before the change is no longer needed, and is not sent.
        let server = SmtpServer::start().await;
        dispatcher(&app, &server.url(), Duration::from_secs(60)).run_once().await.unwrap();
        assert!(server.received().is_empty());
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!(message.state, MessageState::Failed);
        assert_eq!(message.last_error.as_deref(), Some("Not needed any more: the user has chosen a new password."));
    });
}

#[test]
fn every_password_and_pin_rule_is_named_at_its_field_and_nothing_changes() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        app.user_without_password("a.example", "2014", "Mia", "Noe").await;
        let mia = user_by_login(&app, "2014@a.example").await;
        let token = links::issue(&app.db, mia.id, mia.holding, MessageKind::Welcome).await.unwrap();

        let cases: [(NewPassword, Vec<(&str, &str)>); 6] = [
            (
                new_password("short", "shorter", "12a4"),
                vec![
                    ("password", "The password must be at least 10 characters."),
                    ("confirmation", "The passwords do not match."),
                    ("pin", "The voicemail PIN must be 4 to 10 digits, and digits only."),
                ],
            ),
            (
                new_password("password123", "password123", GOOD_PIN),
                vec![("password", "This password is too common; choose one that is harder to guess.")],
            ),
            (
                new_password("2014@a.example", "2014@a.example", GOOD_PIN),
                vec![("password", "The password must not be your login.")],
            ),
            (
                new_password(GOOD_PASSWORD, GOOD_PASSWORD, "7777"),
                vec![("pin", "The voicemail PIN must not be one digit repeated, like 1111.")],
            ),
            (
                new_password(GOOD_PASSWORD, GOOD_PASSWORD, "4321"),
                vec![("pin", "The voicemail PIN must not be a run of digits, like 1234 or 4321.")],
            ),
            (
                new_password(GOOD_PASSWORD, GOOD_PASSWORD, "2014"),
                vec![("pin", "The voicemail PIN must not be your extension.")],
            ),
        ];
        for (new, expected) in cases {
            let (code, answer, session) = set_password(&app, &token, new.clone()).await;
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{new:?}");
            let expected: Vec<FieldProblem> = expected
                .into_iter()
                .map(|(field, message)| FieldProblem { field: field.into(), message: message.into() })
                .collect();
            assert_eq!(answer, Err(AppError::Fields(expected)), "{new:?}");
            assert!(session.is_none());
        }
        // Nothing changed, and the link still works.
        assert_eq!(user_by_login(&app, "2014@a.example").await, mia);
        let (code, answer, _) = set_password(&app, &token, new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
        assert_eq!(code, StatusCode::OK, "{answer:?}");
        let mia = user_by_login(&app, "2014@a.example").await;
        assert_eq!(mia.status, UserStatus::Active);
        assert!(mia.voicemail_pin_hash.is_some());
    });
}

#[test]
fn expired_wrong_and_reset_links_are_refused_with_a_clear_page() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let liam = user_by_login(&app, "202@a.example").await;
        let token = links::issue(&app.db, liam.id, liam.holding, MessageKind::PasswordReset).await.unwrap();
        password_link::ActiveModel {
            id: Set(tokens::digest(&token)),
            expires_at: Set(Utc::now() - chrono::Duration::minutes(1)),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .unwrap();
        let (code, answer) = app.call::<_, LinkHolder>(PasswordLink { token: token.clone() }, None).await;
        assert_eq!(code, StatusCode::GONE);
        assert!(
            matches!(&answer, Err(AppError::Gone(message)) if message.starts_with("This link has expired")),
            "{answer:?}"
        );
        let (code, answer, _) = set_password(&app, &token, new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
        assert_eq!(code, StatusCode::GONE, "{answer:?}");

        let wrong = tokens::new_token();
        let (code, answer) = app.call::<_, LinkHolder>(PasswordLink { token: wrong.clone() }, None).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(matches!(&answer, Err(AppError::NotFound(message)) if message.starts_with("This link is not valid")));
        // The page says so to a visitor who is not signed in, with the way to a new link (and the status).
        let (code, _, page) = app.get(&format!("/set-password?token={wrong}"), None).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(page.contains("This link is not valid") && page.contains("Ask your administrator"), "{page}");

        // A reset of the extension forgets the links sent to its former holder.
        let token = links::issue(&app.db, liam.id, liam.holding, MessageKind::Welcome).await.unwrap();
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let request = ResetRequest { user_ids: vec![liam.id], options: ResetOptions::defaults(), recycle: false };
        let (code, _) =
            app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request }, Some(&manager)).await;
        assert_eq!(code, StatusCode::OK);
        app.run_jobs().await;
        let (code, _) = app.call::<_, LinkHolder>(PasswordLink { token }, None).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert_eq!(user_by_login(&app, "202@a.example").await.password_hash, None);
        assert_eq!(
            session::Entity::find().filter(session::Column::UserId.eq(liam.id)).count(&app.db).await.unwrap(),
            0
        );
    });
}

#[test]
fn recycling_with_send_welcome_email_queues_it_in_the_same_transaction() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let ids = vec![app.user_id("202@a.example").await, app.user_id("203@a.example").await];
        let request = ResetRequest { user_ids: ids.clone(), options: ResetOptions::defaults(), recycle: true };
        app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request }, Some(&manager)).await.1.unwrap();
        app.run_jobs().await;

        let entry = |user_id: i32, email: &str, send_welcome: bool| RecycleEntry {
            user_id,
            first_name: "Nina".into(),
            last_name: "Park".into(),
            email: email.into(),
            send_welcome,
        };
        // A welcome without an address is refused at the Email field, and nothing is queued for it.
        let entries = vec![entry(ids[0], "Nina.Park@a.example", true), entry(ids[1], "", true)];
        let (code, outcome) =
            app.call::<_, RecycleOutcome>(RecycleUsers { domain: "a.example".into(), entries }, Some(&manager)).await;
        assert_eq!(code, StatusCode::OK);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.saved, [ids[0]]);
        assert_eq!(outcome.rejected[0].1[0].message, "Enter an email address to send the welcome email.");
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!((message.user_id, message.recipient.as_str()), (Some(ids[0]), "nina.park@a.example"));

        // Sent to the new holder, whose link makes them Active and signed in.
        let server = SmtpServer::start().await;
        dispatcher(&app, &server.url(), Duration::from_secs(60)).run_once().await.unwrap();
        let nina = one_for(&server.received(), "nina.park@a.example");
        assert!(nina.text().starts_with("Hello Nina Park,"), "{}", nina.text());
        let (code, answer, session) =
            set_password(&app, &nina.token(), new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
        assert_eq!(code, StatusCode::OK, "{answer:?}");
        let me = me(&app, &session.unwrap()).await.unwrap();
        assert_eq!(
            (me.extension.as_str(), me.display_name(), me.status),
            ("202", "Nina Park".to_string(), UserStatus::Active)
        );
    });
}

#[test]
fn account_actions_obey_the_scope_rules_and_skip_reset_users() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let liam = app.user_id("202@a.example").await;
        let request = |action| AccountRequest { action, user_ids: vec![liam] };
        for (login, expected) in
            [(&fixture.other_office_manager, StatusCode::FORBIDDEN), (&fixture.basic, StatusCode::FORBIDDEN)]
        {
            let session = app.sign_in(login, PASSWORD).await;
            for action in [AccountAction::SendWelcome, AccountAction::ForcePasswordReset] {
                let (code, _) = app
                    .call::<_, JobProgress>(
                        StartAccountAction { domain: "a.example".into(), request: request(action) },
                        Some(&session),
                    )
                    .await;
                assert_eq!(code, expected, "{login} {action:?}");
            }
        }
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let own = AccountRequest {
            action: AccountAction::ForcePasswordReset,
            user_ids: vec![app.user_id(&fixture.office_manager).await],
        };
        let (code, answer) = app
            .call::<_, JobProgress>(StartAccountAction { domain: "a.example".into(), request: own }, Some(&manager))
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{answer:?}");
        let above = AccountRequest {
            action: AccountAction::SendWelcome,
            user_ids: vec![app.user_id(&fixture.super_user).await],
        };
        let (code, _) = app
            .call::<_, JobProgress>(StartAccountAction { domain: "a.example".into(), request: above }, Some(&manager))
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN);

        // A reset user (waiting to be recycled) is skipped by both; with nobody left, nothing starts.
        let reset = ResetRequest { user_ids: vec![liam], options: ResetOptions::defaults(), recycle: false };
        app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request: reset }, Some(&manager))
            .await
            .1
            .unwrap();
        app.run_jobs().await;
        for action in [AccountAction::SendWelcome, AccountAction::ForcePasswordReset] {
            let (_, preview) = app
                .call::<_, AccountPreview>(
                    PreviewAccountAction { domain: "a.example".into(), request: request(action) },
                    Some(&manager),
                )
                .await;
            let preview = preview.unwrap();
            assert!(preview.users.is_empty());
            assert_eq!(preview.skipped[0].reason, "Reset and waiting for a new holder: recycle the extension first.");
            let (code, answer) = app
                .call::<_, JobProgress>(
                    StartAccountAction { domain: "a.example".into(), request: request(action) },
                    Some(&manager),
                )
                .await;
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
        }
        assert!(messages(&app).await.is_empty());
    });
}

#[test]
fn a_change_and_its_email_are_one_transaction_neither_happens_without_the_other() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let boss = app.sign_in(&fixture.super_user, PASSWORD).await;
        let (liam, noah) = (app.user_id("202@a.example").await, app.user_id("203@a.example").await);
        let noahs_session = app.sign_in("203@a.example", PASSWORD).await;
        // The outbox refuses Noah's email, as a real database fault would.
        app.refuse("INSERT", "outbox_messages", "NEW.recipient = 'noah.brown@a.example'", "outbox is full").await;

        let (_, job) = account_action(&app, &boss, AccountAction::ForcePasswordReset, vec![liam, noah]).await;
        let (_, status) = app.call::<_, JobStatus>(BulkJobStatus { job: job.id }, Some(&boss)).await;
        let status = status.unwrap();
        assert_eq!((status.progress.done, status.progress.failed), (1, 1));
        assert_eq!(status.items[0].extension, "203");
        assert_eq!(
            status.items[0].error.as_deref(),
            Some("The database refused the change; the server log has the details.")
        );
        // Liam: forced, with his email queued. Noah: his email could not be queued, so nothing happened
        // to him either: still Active, still signed in.
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!(message.user_id, Some(liam));
        assert!(user_by_login(&app, "202@a.example").await.must_change_password);
        let noah = user_by_login(&app, "203@a.example").await;
        assert_eq!((noah.status, noah.must_change_password), (UserStatus::Active, false));
        assert!(me(&app, &noahs_session).await.is_some());
    });
}

#[test]
fn a_restarted_server_takes_up_the_messages_a_dead_process_held_at_once_on_sqlite_only() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        account_action(&app, &manager, AccountAction::SendWelcome, vec![app.user_id("202@a.example").await]).await;
        // A dispatcher claimed it and died: its lease has an hour to run.
        let [message] = messages(&app).await.try_into().unwrap();
        outbox_message::ActiveModel {
            id: Set(message.id),
            lease_owner: Set(Some("dead#0".into())),
            lease_until: Set(Some(Utc::now() + chrono::Duration::hours(1))),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .unwrap();

        let server = SmtpServer::start().await;
        let transport = Transport::new(Some(&server.url()), std::path::Path::new("unused")).unwrap();
        let config = Config::new(transport, "switchboard@pbx.example".parse().unwrap(), "http://pbx.example");
        let running = mailer::spawn(app.db.clone(), config).await.unwrap();
        let sqlite = app.db.get_database_backend() == DatabaseBackend::Sqlite;
        let deadline = std::time::Instant::now() + Duration::from_secs(if sqlite { 10 } else { 2 });
        while server.received().is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        running.stop().await;
        // SQLite has one server process, so the lease was a dead one's; on PostgreSQL it may be another
        // replica's, busy sending it: it is left alone until the lease runs out.
        assert_eq!(server.received().len(), usize::from(sqlite));
        let expected = if sqlite { MessageState::Sent } else { MessageState::Queued };
        assert_eq!(messages(&app).await[0].state, expected);
    });
}
