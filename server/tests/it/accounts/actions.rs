//! Send Welcome Email and Force Password Reset: their scope rules, what they skip, and the change and
//! its email in one transaction.

use super::*;
use crate::common::{self, TestApp, PASSWORD};
use crate::mail::*;
use crate::smtp::SmtpServer;
use app::server::accounts::links;
use app::shared::accounts::{AccountAction, AccountPreview, AccountRequest, NewPassword};
use app::shared::bulk::Targets;
use app::shared::bulk::{JobProgress, JobStatus, ResetOptions, ResetRequest, When};
use app::shared::error::{AppError, FieldError};
use app::shared::mail::{MessageKind, MessageState, OutboxRow};
use app::shared::model::{UserPage, UserQuery, UserStatus};
use app::ui::components::bulk_action::account_step::{PreviewAccountAction, StartAccountAction};
use app::ui::components::bulk_action::progress_step::BulkJobStatus;
use app::ui::components::bulk_action::reset_step::StartReset;
use app::ui::pages::outbox::OutboxMessages;
use app::ui::pages::users::ListUsers;
use app::ui::signed_in::ChangePassword;
use axum::http::{header, StatusCode};
use std::time::Duration;

#[test]
fn a_forced_password_reset_signs_the_user_out_and_blocks_all_but_change_password() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        app.user_without_password("a.example", "204", "Mia", "Noe").await;
        let target = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let boss = app.sign_in(&fixture.super_user, PASSWORD).await;
        let ids = vec![app.user_id(&fixture.office_manager).await, app.user_id("204@a.example").await];

        let (preview, job) =
            account_action(&app, &boss, AccountAction::ForcePasswordReset { revoke: false }, ids).await;
        assert_eq!(preview.users.len(), 2);
        assert!(preview.skipped.is_empty());
        assert_eq!(preview.without_email().map(|user| user.extension.as_str()).collect::<Vec<_>>(), ["204"]);
        assert_eq!(job.counts.total, 2);
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
            Err(AppError::Invalid(vec![FieldError {
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
fn account_actions_obey_the_scope_rules_and_skip_reset_users() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let liam = app.user_id("202@a.example").await;
        let request = |action| AccountRequest { action, targets: Targets::Ticked(vec![liam]) };
        for (login, expected) in
            [(&fixture.other_office_manager, StatusCode::FORBIDDEN), (&fixture.basic, StatusCode::FORBIDDEN)]
        {
            let session = app.sign_in(login, PASSWORD).await;
            for action in [AccountAction::SendWelcome, AccountAction::ForcePasswordReset { revoke: false }] {
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
            action: AccountAction::ForcePasswordReset { revoke: false },
            targets: Targets::Ticked(vec![app.user_id(&fixture.office_manager).await]),
        };
        let (code, answer) = app
            .call::<_, JobProgress>(StartAccountAction { domain: "a.example".into(), request: own }, Some(&manager))
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{answer:?}");
        let above = AccountRequest {
            action: AccountAction::SendWelcome,
            targets: Targets::Ticked(vec![app.user_id(&fixture.super_user).await]),
        };
        let (code, _) = app
            .call::<_, JobProgress>(StartAccountAction { domain: "a.example".into(), request: above }, Some(&manager))
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN);

        // A reset user (waiting to be recycled) is skipped by both; with nobody left, nothing starts.
        let reset = ResetRequest {
            targets: Targets::Ticked(vec![liam]),
            options: ResetOptions::defaults(),
            recycle: false,
            when: When::Now,
        };
        app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request: reset }, Some(&manager))
            .await
            .1
            .unwrap();
        app.run_jobs().await;
        for action in [AccountAction::SendWelcome, AccountAction::ForcePasswordReset { revoke: false }] {
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

        let (_, job) =
            account_action(&app, &boss, AccountAction::ForcePasswordReset { revoke: false }, vec![liam, noah]).await;
        let (_, status) = app.call::<_, JobStatus>(BulkJobStatus { job: job.id }, Some(&boss)).await;
        let status = status.unwrap();
        assert_eq!((status.progress.counts.done, status.progress.counts.failed), (1, 1));
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
fn revoking_stops_the_current_password_at_once_and_leaves_out_users_without_email() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        app.user_without_password("a.example", "204", "Mia", "Noe").await;
        let leaked = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let boss = app.sign_in(&fixture.super_user, PASSWORD).await;
        let olga = user_by_login(&app, &fixture.office_manager).await;
        let earlier_link = links::issue(&app.db, olga.id, olga.holding, MessageKind::Welcome).await.unwrap();
        let ids = vec![olga.id, app.user_id("204@a.example").await];

        let revoke = AccountAction::ForcePasswordReset { revoke: true };
        let (preview, job) = account_action(&app, &boss, revoke, ids).await;
        assert_eq!(preview.users.iter().map(|user| user.extension.as_str()).collect::<Vec<_>>(), ["200"]);
        assert_eq!(preview.skipped.len(), 1);
        assert_eq!(preview.skipped[0].user.extension, "204");
        assert!(preview.skipped[0].reason.starts_with("No email address"), "{}", preview.skipped[0].reason);
        assert_eq!(job.counts.total, 1);

        // Signed out everywhere, and the password that leaked opens nothing, not even Change Password.
        assert_eq!(me(&app, &leaked).await, None);
        let olga = user_by_login(&app, &fixture.office_manager).await;
        assert_eq!((olga.status, olga.password_hash.is_none()), (UserStatus::PasswordRequired, true));
        let login = app::ui::signed_in::Login { login: fixture.office_manager.clone(), password: PASSWORD.into() };
        let (code, _, _) = app.call_form(login, None).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
        // A link sent before no longer works either; the one queued now is the way back in.
        let (code, _, _) =
            set_password(&app, &earlier_link, new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!((message.kind, message.recipient.as_str()), (MessageKind::PasswordReset, "olga.manning@a.example"));
        let link = links::issue(&app.db, olga.id, olga.holding, MessageKind::PasswordReset).await.unwrap();
        let (code, answer, session) =
            set_password(&app, &link, new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
        assert_eq!(code, StatusCode::OK, "{answer:?}");
        assert!(me(&app, &session.unwrap()).await.is_some());
        // Mia, who has no email address, was left alone: told, not silently skipped.
        assert_eq!(user_by_login(&app, "204@a.example").await.status, UserStatus::PasswordRequired);
        let (_, status) = app.call::<_, JobStatus>(BulkJobStatus { job: job.id }, Some(&boss)).await;
        assert_eq!(status.unwrap().progress.action.describe(), "Force Password Reset, current password revoked");
    });
}
