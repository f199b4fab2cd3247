//! "Select all users that match": the browser sends the search and filter, and the server finds the
//! users when the job starts, leaving out (with the reason) whom the rules do not allow.

use super::*;
use crate::common;
use app::server::db;
use app::server::entities::{bulk_job_item, user};
use app::shared::accounts::{AccountAction, AccountPreview, AccountRequest};
use app::shared::bulk::{JobProgress, ResetOptions, ResetPreview, ResetRequest, Targets, UserFilter, When};
use app::shared::error::AppError;
use app::shared::model::{Scope, UserStatus};
use app::shared::words::number;
use app::ui::components::bulk_action::account_step::PreviewAccountAction;
use app::ui::components::bulk_action::reset_step::{PreviewReset, StartReset};
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryFilter};

fn matching(search: &str) -> ResetRequest {
    let filter = UserFilter { search: search.into(), status: None };
    ResetRequest {
        targets: Targets::Matching(filter),
        options: ResetOptions::defaults(),
        recycle: false,
        when: When::Now,
    }
}

#[test]
fn a_filter_takes_the_users_it_matches_when_the_job_starts() {
    common::run(async {
        let (app, _, session, _) = world().await;
        for extension in 600..606 {
            app.user_without_password("a.example", &extension.to_string(), "Sam", "Sales").await;
        }
        app.user_without_password("a.example", "610", "Nia", "Other").await;

        let preview = |request| PreviewReset { domain: "a.example".into(), request };
        let (code, counted) = app.call::<_, ResetPreview>(preview(matching("sales")), Some(&session)).await;
        assert_eq!(code, StatusCode::OK, "{counted:?}");
        let counted = counted.unwrap();
        assert_eq!((counted.users, counted.excluded.len()), (6, 0));

        // One more match between the confirmation and the start: the job is for the matches at its start.
        app.user_without_password("a.example", "606", "Sal", "Sales").await;
        let start = StartReset { domain: "a.example".into(), request: matching("sales") };
        let (code, job) = app.call::<_, JobProgress>(start, Some(&session)).await;
        assert_eq!(code, StatusCode::OK, "{job:?}");
        assert_eq!(job.unwrap().counts.total, 7);
        app.run_jobs().await;

        let reset =
            user::Entity::find().filter(user::Column::Status.eq(UserStatus::SetupRequired)).all(&app.db).await.unwrap();
        let mut extensions: Vec<_> = reset.into_iter().map(|user| user.extension).collect();
        extensions.sort();
        assert_eq!(extensions, ["600", "601", "602", "603", "604", "605", "606"]);
    })
}

#[test]
fn the_rules_leave_matching_users_out_with_their_reasons_instead_of_refusing() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        // 201 is in a job that has not run yet.
        start(&app, &session, "a.example", request(vec![ids[0]], ResetOptions::defaults())).await.1.unwrap();

        let everyone = PreviewReset { domain: "a.example".into(), request: matching("") };
        let (code, preview) = app.call::<_, ResetPreview>(everyone, Some(&session)).await;
        assert_eq!(code, StatusCode::OK, "{preview:?}");
        let preview = preview.unwrap();
        let left_out: Vec<(&str, &str)> =
            preview.excluded.iter().map(|left| (left.user.extension.as_str(), left.reason.as_str())).collect();
        assert_eq!(
            left_out,
            [
                ("100", "A Super User is above your scope."),
                ("150", "A Reseller is above your scope."),
                ("200", "Your own account: you cannot reset it."),
                ("201", "Already in a bulk action that has not finished."),
            ]
        );
        assert_eq!(preview.users, 2, "202 and 203");

        // The account actions leave them out the same way, with their own skips beside.
        let request =
            AccountRequest { action: AccountAction::SendWelcome, targets: Targets::Matching(UserFilter::default()) };
        let welcome = PreviewAccountAction { domain: "a.example".into(), request };
        let (_, preview) = app.call::<_, AccountPreview>(welcome, Some(&session)).await;
        let skipped: Vec<String> = preview.unwrap().skipped.into_iter().map(|left| left.user.extension).collect();
        assert_eq!(skipped, ["100", "150", "200", "201"]);
    })
}

#[test]
fn more_matches_than_one_job_takes_are_refused_with_their_number() {
    common::run(async {
        let (app, _, session, _) = world().await;
        let domain = app::server::directory::domains::find(&app.db, "a.example").await.unwrap().unwrap();
        let now = Utc::now();
        let many: Vec<user::ActiveModel> = (0..10_000)
            .map(|n| user::ActiveModel {
                domain_id: Set(domain.id),
                login: Set(format!("{}@a.example", 20_000 + n)),
                extension: Set((20_000 + n).to_string()),
                first_name: Set("Bulk".into()),
                last_name: Set("Many".into()),
                email: Set(None),
                password_hash: Set(None),
                voicemail_pin_hash: Set(None),
                scope: Set(Scope::BasicUser),
                status: Set(UserStatus::Active),
                must_change_password: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        db::insert_chunked(&app.db, many).await.unwrap();
        let total = user::Entity::find().filter(user::Column::DomainId.eq(domain.id)).count(&app.db).await.unwrap();
        assert!(total > 10_000);

        let start = StartReset { domain: "a.example".into(), request: matching("") };
        let (code, refused) = app.call::<_, JobProgress>(start, Some(&session)).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            refused.unwrap_err(),
            AppError::invalid(
                "users",
                format!("{} users match; at most 10,000 can be handled at once. Narrow the search.", number(total))
            )
        );
        assert_eq!(bulk_job_item::Entity::find().count(&app.db).await.unwrap(), 0, "nothing was started");
        // A narrower search is fine.
        let narrow = StartReset { domain: "a.example".into(), request: matching("20001") };
        assert_eq!(app.call::<_, JobProgress>(narrow, Some(&session)).await.0, StatusCode::OK);
    })
}
