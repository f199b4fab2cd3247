//! Recycle Users after a reset: valid rows saved, bad rows back with their field errors, and a welcome
//! email queued in the same transaction as the new holder's name.

use super::*;
use crate::accounts::*;
use crate::common::{self, TestApp, PASSWORD};
use crate::mail::*;
use crate::smtp::SmtpServer;
use app::shared::bulk::{
    JobProgress, RecycleEntry, RecycleField, RecycleOutcome, RecycleTargets, ResetOptions, ResetRequest, When,
};
use app::shared::model::UserStatus;
use app::ui::components::bulk_action::recycle_step::{RecycleForm, RecycleUsers};
use app::ui::components::bulk_action::reset_step::StartReset;
use axum::http::StatusCode;
use std::collections::BTreeMap;
use std::time::Duration;

#[test]
fn reset_users_are_recycled_and_bad_rows_come_back_with_their_field_errors() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        reset(&app, &session, ids[..2].to_vec(), ResetOptions::defaults()).await;

        let entries = vec![
            RecycleEntry {
                user_id: ids[0],
                first_name: " Nina ".into(),
                last_name: "Park".into(),
                email: "Nina.Park@A.example".into(),
                send_welcome: false,
            },
            RecycleEntry {
                user_id: ids[1],
                first_name: "Omar".into(),
                last_name: String::new(),
                email: "omar@".into(),
                send_welcome: false,
            },
            // 203 was not reset: it cannot be recycled.
            RecycleEntry {
                user_id: ids[2],
                first_name: "Pia".into(),
                last_name: "Quinn".into(),
                email: String::new(),
                send_welcome: false,
            },
        ];
        let (code, outcome) =
            app.call::<_, RecycleOutcome>(RecycleUsers { domain: "a.example".into(), entries }, Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.saved, [ids[0]]);
        let rejected: BTreeMap<i32, Vec<&str>> = outcome
            .rejected
            .iter()
            .map(|(id, problems)| (*id, problems.iter().map(|problem| problem.field.as_str()).collect()))
            .collect();
        assert_eq!(
            rejected,
            BTreeMap::from([
                (ids[1], vec![RecycleField::LastName.name(), RecycleField::Email.name()]),
                (ids[2], vec![RecycleField::Row.name()]),
            ])
        );

        // Reset users ticked later get the form too; anyone not reset is named and refused.
        let form = |user_ids: Vec<i32>| RecycleForm { domain: "a.example".into(), user_ids };
        let (code, refused) = app.call::<_, RecycleTargets>(form(vec![ids[1], ids[2]]), Some(&session)).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(
            refused.unwrap_err().to_string(),
            "Only reset users (Setup Required) can be recycled; reset 203 first."
        );
        let (code, targets) = app.call::<_, RecycleTargets>(form(vec![ids[1]]), Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(targets.unwrap(), RecycleTargets { users: vec![(ids[1], "202".into())], email_recommended: false });
        let other = app.user_id("201@c.example").await;
        assert_eq!(app.call::<_, RecycleTargets>(form(vec![other]), Some(&session)).await.0, StatusCode::FORBIDDEN);

        let nina = snapshot(&app, ids[0]).await.user;
        assert_eq!((nina.first_name.as_str(), nina.last_name.as_str()), ("Nina", "Park"));
        assert_eq!(nina.email.as_deref(), Some("nina.park@a.example"));
        assert_eq!((nina.password_hash, nina.voicemail_pin_hash), (None, None));
        assert_eq!(nina.status, UserStatus::PasswordRequired);
        // The rejected rows changed nothing.
        assert_eq!(snapshot(&app, ids[1]).await.user.status, UserStatus::SetupRequired);
        assert_eq!(snapshot(&app, ids[2]).await.user.first_name, "Noah");
    })
}

#[test]
fn recycling_with_send_welcome_email_queues_it_in_the_same_transaction() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let ids = vec![app.user_id("202@a.example").await, app.user_id("203@a.example").await];
        let request = ResetRequest {
            targets: Targets::Ticked(ids.clone()),
            options: ResetOptions::defaults(),
            recycle: true,
            when: When::Now,
        };
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
