//! Choosing a password through a link or after a forced reset: every rule named at its field, and
//! links that are used, expired or replaced refused with a clear page.

use super::*;
use crate::common::{self, TestApp, PASSWORD};
use app::server::entities::{password_link, session};
use app::server::{accounts::links, auth::tokens};
use app::shared::accounts::{LinkHolder, NewPassword};
use app::shared::bulk::Targets;
use app::shared::bulk::{JobProgress, ResetOptions, ResetRequest, When};
use app::shared::error::{AppError, FieldError};
use app::shared::mail::MessageKind;
use app::shared::model::UserStatus;
use app::ui::components::bulk_action::reset_step::StartReset;
use app::ui::pages::set_password::PasswordLink;
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set};

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
            let expected: Vec<FieldError> = expected
                .into_iter()
                .map(|(field, message)| FieldError { field: field.into(), message: message.into() })
                .collect();
            assert_eq!(answer, Err(AppError::Invalid(expected)), "{new:?}");
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
        let request = ResetRequest {
            targets: Targets::Ticked(vec![liam.id]),
            options: ResetOptions::defaults(),
            recycle: false,
            when: When::Now,
        };
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
