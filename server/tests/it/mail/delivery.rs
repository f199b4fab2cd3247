//! The dispatcher delivering the outbox: over SMTP exactly once (down, refusing for now, refusing for
//! good, then retried by an admin), to .eml files without SMTP, and after a crash.

use super::*;
use crate::accounts::*;
use crate::common::{self, TestApp, PASSWORD};
use crate::smtp::{self, Answer, SmtpServer};
use app::server::entities::{outbox_message, password_link};
use app::server::mail::dispatcher::{Config, Dispatcher, Transport};
use app::server::{auth::tokens, mail::dispatcher};
use app::shared::accounts::{AccountAction, LinkHolder};
use app::shared::error::AppError;
use app::shared::mail::{MessageKind, MessageState, OutboxRow};
use app::shared::model::UserStatus;
use app::ui::pages::outbox::{OutboxMessages, RetryMessage};
use app::ui::pages::set_password::PasswordLink;
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, ConnectionTrait, DatabaseBackend};
use std::time::Duration;

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
        assert_eq!(job.counts.total, 2);
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
        let running = dispatcher::spawn(app.db.clone(), config).await.unwrap();
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

#[test]
fn a_domains_few_emails_go_out_in_the_first_round_beside_another_domains_many() {
    use app::server::entities::user;
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let welcome = |domain: &'static str, count: u32| {
            let app = &app;
            async move {
                let mut ids = Vec::new();
                for extension in 400..400 + count {
                    app.user_without_password(domain, &extension.to_string(), "Wil", "Come").await;
                    ids.push(app.user_id(&format!("{extension}@{domain}")).await);
                }
                user::Entity::update_many()
                    .col_expr(user::Column::Email, Expr::cust("'x' || extension || '@example.com'"))
                    .filter(user::Column::Id.is_in(ids.clone()))
                    .exec(&app.db)
                    .await
                    .unwrap();
                ids
            }
        };
        let many = welcome("a.example", 12).await;
        let few = welcome("c.example", 2).await;
        let a = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let c = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        account_action(&app, &a, AccountAction::SendWelcome, many).await;
        account_action_in(&app, &c, "c.example", AccountAction::SendWelcome, few).await;
        app.run_jobs().await;
        assert_eq!(messages(&app).await.len(), 14);

        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::new(None, dir.path()).unwrap();
        let mut config = Config::new(transport, "switchboard@pbx.example".parse().unwrap(), "http://pbx.example");
        config.batch = 4;
        let mailer = Dispatcher::new(app.db.clone(), config);
        // Before fair share: the first domain's first four, queued first.
        assert_eq!(mailer.run_once().await.unwrap(), 4);
        let c_example = app.user_id("200@c.example").await;
        let c_domain = user::Entity::find_by_id(c_example).one(&app.db).await.unwrap().unwrap().domain_id;
        let sent: Vec<(i32, MessageState)> =
            messages(&app).await.iter().map(|message| (message.domain_id, message.state)).collect();
        let sent_of = |domain_is_c: bool| {
            sent.iter()
                .filter(|(domain, state)| (*domain == c_domain) == domain_is_c && *state == MessageState::Sent)
                .count()
        };
        assert_eq!((sent_of(true), sent_of(false)), (2, 2), "{sent:?}");
        common::until_idle(sent.len(), || async { mailer.run_once().await.unwrap() }).await;
        assert!(messages(&app).await.iter().all(|message| message.state == MessageState::Sent));
    });
}
