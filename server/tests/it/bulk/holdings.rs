//! Nothing made for one holder of an extension ever reaches, or works for, the next: every reset and
//! recycle starts a new holding, a reset withdraws the former holder's emails, and the dispatcher,
//! Retry and Set Password each refuse what belongs to an earlier holding or to another address.

use crate::accounts::{account_action, new_password, set_password, user_by_login, GOOD_PASSWORD, GOOD_PIN};
use crate::common::{self, Session, TestApp, PASSWORD};
use crate::mail::{dispatcher, messages};
use crate::smtp::{Answer, SmtpServer};
use app::server::accounts::links;
use app::server::entities::{outbox_message, password_link, user};
use app::shared::accounts::{AccountAction, LinkHolder};
use app::shared::error::AppError;
use app::shared::mail::{MessageKind, MessageState, OutboxRow};
use app::shared::model::UserStatus;
use app::ui::pages::outbox::{OutboxMessages, RetryMessage};
use app::ui::pages::set_password::PasswordLink;
use axum::http::StatusCode;
use sea_orm::{prelude::*, ActiveValue::Set};
use std::time::Duration;

const WITHDRAWN: &str = "The extension was reset.";

/// The fixture, its Office Manager's session, and Liam (202), to whom a welcome email is queued.
async fn welcome_queued_for_liam() -> (TestApp, Session, i32) {
    let (app, fixture) = TestApp::with_fixture().await;
    let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
    let liam = app.user_id("202@a.example").await;
    account_action(&app, &manager, AccountAction::SendWelcome, vec![liam]).await;
    (app, manager, liam)
}

#[test]
fn a_queued_welcome_is_withdrawn_by_a_reset_and_never_sent() {
    common::run(async {
        let (app, manager, liam) = welcome_queued_for_liam().await;
        app.reset_users(&manager, vec![liam]).await;

        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!((message.state, message.last_error.as_deref()), (MessageState::Withdrawn, Some(WITHDRAWN)));
        let server = SmtpServer::start().await;
        assert_eq!(dispatcher(&app, &server.url(), Duration::from_secs(60)).run_once().await.unwrap(), 0);
        assert!(server.received().is_empty());
        assert_eq!(password_link::Entity::find().count(&app.db).await.unwrap(), 0);

        // The Outbox page says so, and offers no Retry.
        let (_, rows) = app.call::<_, Vec<OutboxRow>>(OutboxMessages {}, Some(&manager)).await;
        let rows = rows.unwrap();
        assert_eq!((rows[0].state, rows[0].last_error.as_deref()), (MessageState::Withdrawn, Some(WITHDRAWN)));
        let (code, refused) = app.call::<_, ()>(RetryMessage { id: message.id }, Some(&manager)).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(
            refused,
            Err(AppError::Conflict("Only a failed message can be retried; this one is withdrawn.".into()))
        );
    })
}

#[test]
fn a_failed_welcome_is_not_sent_to_the_former_holder_after_a_reset_and_a_recycle() {
    common::run(async {
        let (app, manager, liam) = welcome_queued_for_liam().await;
        let server = SmtpServer::start().await;
        server.answer(Answer::Reject);
        let mailer = dispatcher(&app, &server.url(), Duration::from_millis(10));
        mailer.run_once().await.unwrap();
        let [failed] = messages(&app).await.try_into().unwrap();
        assert_eq!((failed.state, failed.recipient.as_str()), (MessageState::Failed, "liam.jones@a.example"));

        // Liam leaves; Nina gets his extension.
        app.reset_users(&manager, vec![liam]).await;
        app.recycle_user(&manager, liam, "Nina", "Park", "nina.park@a.example").await;
        assert_eq!(user_by_login(&app, "202@a.example").await.status, UserStatus::PasswordRequired);

        server.answer(Answer::Accept);
        let (code, refused) = app.call::<_, ()>(RetryMessage { id: failed.id }, Some(&manager)).await;
        assert_eq!(code, StatusCode::CONFLICT, "{refused:?}");
        assert_eq!(mailer.run_once().await.unwrap(), 0);

        // Even put back in the queue by hand (as an older version could have left it), it is refused
        // by Retry and by the dispatcher, for the holding it was made for.
        let failed_again = || outbox_message::ActiveModel {
            id: Set(failed.id),
            state: Set(MessageState::Failed),
            ..Default::default()
        };
        failed_again().update(&app.db).await.unwrap();
        let (code, refused) = app.call::<_, ()>(RetryMessage { id: failed.id }, Some(&manager)).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(
            refused,
            Err(AppError::Conflict(
                "This message cannot be sent any more. The extension has changed hands since the message was queued."
                    .into()
            ))
        );
        outbox_message::ActiveModel { state: Set(MessageState::Queued), ..failed_again() }
            .update(&app.db)
            .await
            .unwrap();
        assert_eq!(mailer.run_once().await.unwrap(), 1);
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!(
            (message.state, message.last_error.as_deref()),
            (MessageState::Failed, Some("The extension has changed hands since the message was queued."))
        );
        assert!(server.received().is_empty(), "Liam got mail about Nina's extension");
        assert_eq!(password_link::Entity::find().count(&app.db).await.unwrap(), 0);
    })
}

#[test]
fn a_link_made_before_a_reset_sets_no_password_after_it_nor_after_the_recycle() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let liam = user_by_login(&app, "202@a.example").await;
        app.reset_users(&manager, vec![liam.id]).await;
        // A dispatcher that read Liam just before the reset makes his link just after it.
        let stale = links::issue(&app.db, liam.id, liam.holding, MessageKind::Welcome).await.unwrap();
        // And a link made now, for the reset extension, is no better: nobody holds it.
        let reset = user_by_login(&app, "202@a.example").await;
        assert_eq!((reset.holding, reset.status), (liam.holding + 1, UserStatus::SetupRequired));
        let unheld = links::issue(&app.db, reset.id, reset.holding, MessageKind::Welcome).await.unwrap();

        for token in [&stale, &unheld] {
            let (code, answer) = app.call::<_, LinkHolder>(PasswordLink { token: token.clone() }, None).await;
            assert_eq!(code, StatusCode::NOT_FOUND, "{answer:?}");
            let (code, answer, session) =
                set_password(&app, token, new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
            assert_eq!(code, StatusCode::NOT_FOUND, "{answer:?}");
            assert!(
                matches!(answer, Err(AppError::NotFound(message)) if message.starts_with("This link is not valid."))
            );
            assert!(session.is_none());
        }
        let still = user_by_login(&app, "202@a.example").await;
        assert_eq!((still.status, still.password_hash), (UserStatus::SetupRequired, None));

        // Nina gets the extension: Liam's link does not open her account either.
        app.recycle_user(&manager, liam.id, "Nina", "Park", "nina.park@a.example").await;
        let (code, _, session) = set_password(&app, &stale, new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(session.is_none());
        let nina = user_by_login(&app, "202@a.example").await;
        assert_eq!(
            (nina.status, nina.password_hash, nina.holding),
            (UserStatus::PasswordRequired, None, liam.holding + 2)
        );
    })
}

#[test]
fn a_message_whose_address_is_no_longer_the_users_is_not_sent() {
    common::run(async {
        let (app, manager, liam) = welcome_queued_for_liam().await;
        user::ActiveModel { id: Set(liam), email: Set(Some("liam@elsewhere.example".into())), ..Default::default() }
            .update(&app.db)
            .await
            .unwrap();
        let server = SmtpServer::start().await;
        dispatcher(&app, &server.url(), Duration::from_secs(60)).run_once().await.unwrap();
        assert!(server.received().is_empty());
        let [message] = messages(&app).await.try_into().unwrap();
        assert_eq!(
            (message.state, message.last_error.as_deref()),
            (MessageState::Failed, Some("The address is no longer the user's email address."))
        );
        let (code, _) = app.call::<_, ()>(RetryMessage { id: message.id }, Some(&manager)).await;
        assert_eq!(code, StatusCode::CONFLICT);
    })
}
