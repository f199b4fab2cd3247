//! What the portal writes for other programs and people to read: CSV that no spreadsheet runs as a
//! formula, names without control characters or direction marks, private email files, and ids of
//! other domains' jobs and messages that tell nothing.

use crate::accounts::account_action;
use crate::common::{self, TestApp, PASSWORD};
use crate::mail::messages;
use crate::smtp::{Answer, SmtpServer};
use app::server::directory::users::{self, NewUser};
use app::server::mail::dispatcher::{Config, Dispatcher, Transport};
use app::shared::accounts::AccountAction;
use app::shared::bulk::{JobStatus, RecycleEntry, RecycleField, RecycleOutcome};
use app::shared::error::AppError;
use app::shared::model::Scope;
use app::ui::components::bulk_action::progress_step::BulkJobStatus;
use app::ui::components::bulk_action::recycle_step::RecycleUsers;
use app::ui::pages::outbox::RetryMessage;
use axum::http::StatusCode;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

#[test]
fn a_name_typed_as_a_formula_reaches_the_results_csv_as_text() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let formula = "=HYPERLINK(\"http://evil.example\",\"Open\")";
        let new = NewUser {
            domain: "a.example".into(),
            extension: "204".into(),
            first_name: formula.into(),
            last_name: "+Lee".into(),
            email: None,
            scope: Scope::BasicUser,
            password: None,
        };
        let sneaky = users::create(&app.db, new).await.unwrap();
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        app.reset_users(&manager, vec![sneaky.id]).await;
        let (code, headers, csv) = app.get("/activity/1/results.csv", Some(&manager)).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(headers.get("content-type").unwrap(), "text/csv; charset=utf-8");
        let row = csv.lines().nth(1).unwrap();
        assert!(row.starts_with("204,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Open\"\") +Lee\",Done"), "{row}");
    })
}

#[test]
fn names_with_control_characters_or_direction_marks_are_refused_at_their_field() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let liam = app.user_id("202@a.example").await;
        app.reset_users(&manager, vec![liam]).await;
        let entry = RecycleEntry {
            user_id: liam,
            // Would show as "Nina moc.elpmaxe@" reversed: an address that is not hers.
            first_name: "Nina\u{202E}".into(),
            last_name: "Park\u{0007}".into(),
            email: String::new(),
            send_welcome: false,
        };
        let (code, outcome) = app
            .call::<_, RecycleOutcome>(
                RecycleUsers { domain: "a.example".into(), entries: vec![entry] },
                Some(&manager),
            )
            .await;
        assert_eq!(code, StatusCode::OK);
        let outcome = outcome.unwrap();
        assert!(outcome.saved.is_empty());
        let fields: Vec<(&str, &str)> =
            outcome.rejected[0].1.iter().map(|problem| (problem.field.as_str(), problem.message.as_str())).collect();
        assert_eq!(
            fields,
            [
                (
                    RecycleField::FirstName.name(),
                    "First Name must not contain control characters or text-direction marks."
                ),
                (
                    RecycleField::LastName.name(),
                    "Last Name must not contain control characters or text-direction marks."
                ),
            ]
        );
    })
}

#[test]
fn emails_written_as_files_are_for_the_servers_user_alone() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        account_action(&app, &manager, AccountAction::SendWelcome, vec![app.user_id("203@a.example").await]).await;
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let transport = Transport::new(None, &outbox).unwrap();
        let config = Config::new(transport, "switchboard@pbx.example".parse().unwrap(), "http://pbx.example");
        assert_eq!(Dispatcher::new(app.db.clone(), config).run_once().await.unwrap(), 1);
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&outbox), 0o700);
        let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|entry| entry.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        assert_eq!(mode(&files[0]), 0o600);
    })
}

#[test]
fn another_domains_job_or_message_is_answered_as_one_that_does_not_exist() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        app.reset_users(&manager, vec![app.user_id("203@a.example").await]).await;
        account_action(&app, &manager, AccountAction::SendWelcome, vec![app.user_id("202@a.example").await]).await;
        let server = SmtpServer::start().await;
        server.answer(Answer::Reject);
        crate::mail::dispatcher(&app, &server.url(), Duration::from_secs(60)).run_once().await.unwrap();
        let message = messages(&app).await[0].id;

        let other = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        for (job, exists) in [(1, true), (999, false)] {
            let (code, answer) = app.call::<_, JobStatus>(BulkJobStatus { job }, Some(&other)).await;
            assert_eq!(code, StatusCode::NOT_FOUND, "job {job} exists: {exists}");
            assert_eq!(answer.unwrap_err(), AppError::NotFound(format!("There is no bulk action number {job}.")));
            let (code, _, text) = app.get(&format!("/activity/{job}/results.csv"), Some(&other)).await;
            let refusal: AppError = serde_json::from_str(&text).expect("the refusal, as every route gives it");
            assert_eq!(code, StatusCode::NOT_FOUND);
            assert_eq!(refusal, AppError::NotFound(format!("There is no bulk action number {job}.")));
        }
        for (id, exists) in [(message, true), (999, false)] {
            let (code, answer) = app.call::<_, ()>(RetryMessage { id }, Some(&other)).await;
            assert_eq!(code, StatusCode::NOT_FOUND, "message {id} exists: {exists}");
            assert_eq!(answer.unwrap_err(), AppError::NotFound(format!("There is no message number {id}.")));
        }
        // Its own admin still sees both.
        assert_eq!(app.call::<_, JobStatus>(BulkJobStatus { job: 1 }, Some(&manager)).await.0, StatusCode::OK);
        assert_eq!(app.call::<_, ()>(RetryMessage { id: message }, Some(&manager)).await.0, StatusCode::OK);
    })
}
