//! Reset Users: each option clears exactly its data, every rule refuses the whole request, and one
//! failing user fails alone.

use super::*;
use crate::common::{self, PASSWORD};
use app::server::entities::{bulk_job, bulk_job_item, call_queue, user};
use app::shared::bulk::{ItemState, JobProgress, JobState, ResetOption, ResetOptions, ResetPreview, ResetRequest};
use app::shared::model::UserStatus;
use app::ui::components::bulk_action::reset_step::{PreviewReset, StartReset};
use axum::http::{header, StatusCode};
use sea_orm::{prelude::*, ActiveValue::Set, ConnectionTrait, EntityTrait};

#[test]
fn each_option_alone_clears_exactly_its_data_and_nothing_of_anyone_else() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        let bystander = snapshot(&app, ids[2]).await;
        for option in ResetOption::ALL {
            // Data back in place and the user back to how they were, then reset with this one option.
            let target = ids[1];
            let tables = [
                "devices",
                "voicemail_messages",
                "voicemail_greetings",
                "answering_rules",
                "contacts",
                "call_history",
                "queue_memberships",
                "phone_numbers",
            ];
            for table in tables {
                app.db.execute_unprepared(&format!("DELETE FROM {table} WHERE user_id = {target}")).await.unwrap();
            }
            let queue = call_queue::Entity::find().one(&app.db).await.unwrap().unwrap().id;
            give_data(&app, target, queue, 50).await;
            let before = snapshot(&app, target).await;

            let done = reset(&app, &session, vec![target], [option].into_iter().collect()).await;
            assert_eq!((done.progress.counts.done, done.progress.counts.failed), (1, 0), "{option:?}");

            let after = snapshot(&app, target).await;
            for (kind, n) in &after.rows {
                let expected = if *kind == option { 0 } else { full_rows(*kind) };
                assert_eq!(*n, expected, "{kind:?} after resetting only {option:?}");
            }
            assert_eq!(after.phone_numbers, 1, "the DID stays with the extension");
            assert_eq!(after.user.status, UserStatus::SetupRequired);
            assert_eq!(after.user.extension, before.user.extension);
            let name_cleared = after.user.first_name.is_empty() && after.user.last_name.is_empty();
            assert_eq!(name_cleared, option == ResetOption::Name, "{option:?}");
            assert_eq!(after.user.email.is_none(), option == ResetOption::EmailAddress, "{option:?}");
            assert_eq!(after.user.password_hash.is_none(), option == ResetOption::Password, "{option:?}");
            assert_eq!(after.user.voicemail_pin_hash.is_none(), option == ResetOption::VoicemailPin, "{option:?}");

            // Put the fields back for the next round.
            user::ActiveModel::from(before.user.clone()).reset_all().update(&app.db).await.unwrap();
        }
        assert_eq!(snapshot(&app, ids[2]).await, bystander, "another user's data is untouched");
    })
}

#[test]
fn all_options_together_clear_everything_and_sign_the_users_out() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        let ava = app.sign_in("201@a.example", PASSWORD).await;
        let bystander = snapshot(&app, ids[2]).await;

        let (code, preview) = app
            .call::<_, ResetPreview>(
                PreviewReset { domain: "a.example".into(), request: request(ids[..2].to_vec(), ResetOptions::all()) },
                Some(&session),
            )
            .await;
        assert_eq!(code, StatusCode::OK);
        let preview = preview.unwrap();
        assert_eq!(
            preview.deletions().unwrap(),
            "4 devices, 6 voicemail messages, 2 voicemail greetings, 2 answering rules, 2 contacts, \
             2 call history entries and 2 call queue memberships will be deleted for 2 users."
        );
        assert_eq!(
            preview.clearings().unwrap(),
            "Name, Email Address, Password and Voicemail PIN will be cleared for 2 users."
        );

        let done = reset(&app, &session, ids[..2].to_vec(), ResetOptions::all()).await;
        assert_eq!(
            (done.progress.counts.state, done.progress.counts.done, done.progress.counts.total),
            (JobState::Finished, 2, 2)
        );
        assert!(done.items.iter().all(|item| item.state == ItemState::Done));
        assert_eq!(done.items[0].name, "Ava Smith", "the report keeps the name the user had");

        for id in &ids[..2] {
            let after = snapshot(&app, *id).await;
            assert!(after.rows.values().all(|n| *n == 0), "{:?}", after.rows);
            assert_eq!((after.phone_numbers, after.sessions), (1, 0));
            let user = after.user;
            assert_eq!((user.first_name.as_str(), user.last_name.as_str(), user.email), ("", "", None));
            assert_eq!((user.password_hash, user.voicemail_pin_hash), (None, None));
            assert_eq!(user.status, UserStatus::SetupRequired);
        }
        assert_eq!(call_queue::Entity::find().count(&app.db).await.unwrap(), 1, "the queue itself stays");
        assert_eq!(snapshot(&app, ids[2]).await, bystander);

        // Ava's open session ended with the reset.
        let (code, _, _) = app.get("/me", Some(&ava)).await;
        assert_eq!(code, StatusCode::FOUND);
        // The job and each user's outcome are in the audit log.
        let actions = app.audit_actions(&["bulk_job_started", "user_reset", "bulk_job_finished"]).await;
        assert_eq!(actions, ["bulk_job_started", "user_reset", "user_reset", "bulk_job_finished"]);
    })
}

/// A job's items and the worker's audit entries are copied by the database from the users' rows: each
/// item holds its user's extension and full name as `full_name` makes it, blank names included (as a
/// reset leaves them), in extension order; each user reset has one entry on the job's actor's behalf.
#[test]
fn a_jobs_items_and_audit_entries_name_each_user_as_the_portal_does() {
    use app::server::entities::audit_log;
    use app::shared::model::full_name;
    use sea_orm::{sea_query::Expr, QueryOrder};
    common::run(async {
        let (app, fixture, session, ids) = world().await;
        // 202 without a first name, 203 without either.
        for (id, columns) in
            [(ids[1], vec![user::Column::FirstName]), (ids[2], vec![user::Column::FirstName, user::Column::LastName])]
        {
            let mut blank = user::Entity::update_many().filter(user::Column::Id.eq(id));
            for column in columns {
                blank = blank.col_expr(column, Expr::value(""));
            }
            blank.exec(&app.db).await.unwrap();
        }
        let (code, job) =
            start(&app, &session, "a.example", request(vec![ids[2], ids[0], ids[1]], ResetOptions::defaults())).await;
        assert_eq!(code, StatusCode::OK, "{job:?}");
        let job = job.unwrap();

        let items = bulk_job_item::Entity::find()
            .filter(bulk_job_item::Column::JobId.eq(job.id))
            .order_by_asc(bulk_job_item::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let mut expected = Vec::new();
        for id in &ids {
            let user = user::Entity::find_by_id(*id).one(&app.db).await.unwrap().unwrap();
            expected.push((Some(user.id), user.extension, full_name(&user.first_name, &user.last_name)));
        }
        let held: Vec<_> = items.into_iter().map(|item| (item.user_id, item.extension, item.name)).collect();
        assert_eq!(held, expected);
        assert_eq!(held[2].2, "", "no names: no stray space");

        app.run_jobs().await;
        let entries = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("user_reset"))
            .order_by_asc(audit_log::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let targets: Vec<Option<i32>> = entries.iter().map(|entry| entry.target_user_id).collect();
        assert_eq!(targets, ids.iter().map(|id| Some(*id)).collect::<Vec<_>>());
        let manager = app.user_id(&fixture.office_manager).await;
        for entry in &entries {
            let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap();
            assert_eq!(detail, serde_json::json!({ "job": job.id }));
            assert_eq!((entry.actor.as_str(), entry.actor_user_id), (fixture.office_manager.as_str(), Some(manager)));
        }
    })
}

/// A burst of starts for one user, split between two replicas: exactly one job gets the user, every other
/// start is refused as a conflict naming the bulk action, and the user has one pending item.
#[test]
fn a_burst_of_starts_for_one_user_on_two_replicas_makes_exactly_one_job() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        let replica = app.replica(Default::default()).await;
        let starts = (0..20).map(|n| {
            let server = if n % 2 == 0 { &app } else { &replica };
            start(server, &session, "a.example", request(vec![ids[0]], ResetOptions::defaults()))
        });
        let answers = futures::future::join_all(starts).await;
        let started = answers.iter().filter(|(code, _)| *code == StatusCode::OK).count();
        assert_eq!(started, 1, "{answers:?}");
        for (code, answer) in answers.iter().filter(|(code, _)| *code != StatusCode::OK) {
            assert_eq!(*code, StatusCode::CONFLICT, "{answer:?}");
            let refused = answer.as_ref().unwrap_err().to_string();
            assert!(refused.contains("bulk action"), "{refused}");
        }
        let pending = bulk_job_item::Entity::find()
            .filter(bulk_job_item::Column::UserId.eq(ids[0]))
            .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(pending, 1);
        assert_eq!(bulk_job::Entity::find().count(&app.db).await.unwrap(), 1, "refused starts leave no job");
    })
}

/// A burst of 30 starts across two replicas, each naming a user in reach beside one out of it (the
/// admin's own account, someone above their scope, another domain's user): every one is refused whole,
/// and no job or item is left.
#[test]
fn a_burst_of_starts_naming_users_out_of_reach_on_two_replicas_is_refused_whole() {
    common::run(async {
        let (app, fixture, session, ids) = world().await;
        let replica = app.replica(Default::default()).await;
        let out_of_reach = [
            app.user_id(&fixture.office_manager).await,
            app.user_id(&fixture.super_user).await,
            app.user_id("201@c.example").await,
        ];
        let starts = (0..30).map(|n| {
            let server = if n % 2 == 0 { &app } else { &replica };
            let users = vec![ids[n % ids.len()], out_of_reach[n % out_of_reach.len()]];
            start(server, &session, "a.example", request(users, ResetOptions::defaults()))
        });
        let answers = futures::future::join_all(starts).await;
        for (code, answer) in &answers {
            assert_eq!(*code, StatusCode::FORBIDDEN, "{answer:?}");
        }
        assert_eq!(bulk_job::Entity::find().count(&app.db).await.unwrap(), 0, "refused starts leave no job");
        assert_eq!(bulk_job_item::Entity::find().count(&app.db).await.unwrap(), 0);
    })
}

#[test]
fn every_rule_refuses_the_whole_request_and_changes_nothing() {
    common::run(async {
        let (app, fixture, session, ids) = world().await;
        let basic = app.sign_in(&fixture.basic, PASSWORD).await;
        let before: Vec<Snapshot> = snapshots(&app, &ids).await;
        let other_domain_user = app.user_id("201@c.example").await;
        let manager_id = app.user_id(&fixture.office_manager).await;
        let super_id = app.user_id(&fixture.super_user).await;
        let defaults = ResetOptions::defaults;

        let cases: Vec<(&str, ResetRequest, StatusCode, &str)> = vec![
            ("empty", request(vec![], defaults()), StatusCode::UNPROCESSABLE_ENTITY, "Select at least one user."),
            (
                "no option",
                request(vec![ids[0]], ResetOptions::default()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose at least one kind of data to clear.",
            ),
            (
                "another domain's user",
                request(vec![ids[0], other_domain_user], defaults()),
                StatusCode::FORBIDDEN,
                "Some of the selected users are not users of a.example; nothing was changed.",
            ),
            (
                "no such user",
                request(vec![ids[0], 999_999], defaults()),
                StatusCode::FORBIDDEN,
                "Some of the selected users are not users of a.example; nothing was changed.",
            ),
            (
                "own account",
                request(vec![ids[0], manager_id], defaults()),
                StatusCode::FORBIDDEN,
                "You cannot reset your own account (200).",
            ),
            (
                "higher scope",
                request(vec![ids[0], super_id], defaults()),
                StatusCode::FORBIDDEN,
                "You cannot reset 100 (Sue Per): a Super User is above your scope.",
            ),
            (
                "too many",
                request((1..=10_001).collect(), defaults()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "At most 10,000 users can be handled at once; 10,001 were selected.",
            ),
        ];
        for (case, request, code, message) in cases {
            let (got, result) = start(&app, &session, "a.example", request).await;
            assert_eq!(got, code, "{case}");
            assert_eq!(result.unwrap_err().to_string(), message, "{case}");
        }

        // A Basic User, another domain's Office Manager naming their own domain, and nobody at all.
        assert_eq!(start(&app, &basic, "a.example", request(vec![ids[1]], defaults())).await.0, StatusCode::FORBIDDEN);
        let other = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        let (code, result) = start(&app, &other, "c.example", request(vec![ids[1]], defaults())).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{result:?}");
        assert_eq!(start(&app, &other, "a.example", request(vec![ids[1]], defaults())).await.0, StatusCode::FORBIDDEN);
        let (code, _) = app
            .call::<_, JobProgress>(
                StartReset { domain: "a.example".into(), request: request(vec![ids[1]], defaults()) },
                None,
            )
            .await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);

        // Nothing above started a job or changed a user.
        assert_eq!(bulk_job::Entity::find().count(&app.db).await.unwrap(), 0);
        assert_eq!(snapshots(&app, &ids).await, before);

        // A user already in an unfinished job is refused by extension.
        let (code, _) = start(&app, &session, "a.example", request(vec![ids[0], ids[1]], defaults())).await;
        assert_eq!(code, StatusCode::OK);
        let (code, result) = start(&app, &session, "a.example", request(vec![ids[1], ids[2]], defaults())).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(
            result.unwrap_err().to_string(),
            "Extension 202 is already in a bulk action that has not finished; wait for it to finish."
        );
        // Once it has finished, they can be reset again.
        app.run_jobs().await;
        assert_eq!(
            start(&app, &session, "a.example", request(vec![ids[1], ids[2]], defaults())).await.0,
            StatusCode::OK
        );
    })
}

#[test]
fn the_database_refuses_two_unfinished_jobs_for_one_user() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        start(&app, &session, "a.example", request(vec![ids[0]], ResetOptions::defaults())).await.1.unwrap();
        let job = bulk_job::Entity::find().one(&app.db).await.unwrap().unwrap();
        // Past the application's check, the unique index still holds.
        let second = bulk_job_item::ActiveModel {
            job_id: Set(job.id),
            user_id: Set(Some(ids[0])),
            extension: Set("201".into()),
            name: Set("Ava Smith".into()),
            state: Set(ItemState::Pending),
            ..Default::default()
        }
        .insert(&app.db)
        .await;
        assert!(second.is_err(), "a second pending item for one user was stored");
    })
}

#[test]
fn one_failing_user_fails_alone_with_the_reason_and_keeps_all_their_data() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        break_user(&app, ids[1]).await;
        let before = snapshot(&app, ids[1]).await;

        let done = reset(&app, &session, ids.clone(), ResetOptions::all()).await;
        assert_eq!(
            (done.progress.counts.state, done.progress.counts.done, done.progress.counts.failed),
            (JobState::Finished, 2, 1)
        );
        assert_eq!(done.items[0].extension, "202", "failures are listed first");
        assert_eq!(done.items[0].state, ItemState::Failed);
        assert_eq!(
            done.items[0].error.as_deref(),
            Some("The database refused the change; the server log has the details.")
        );
        assert_eq!(snapshot(&app, ids[1]).await, before, "the failed user is untouched, not half reset");
        for id in [ids[0], ids[2]] {
            assert_eq!(snapshot(&app, id).await.user.status, UserStatus::SetupRequired);
        }

        // The per-user results as CSV, through the router.
        let (code, headers, csv) =
            app.get(&format!("/activity/{}/results.csv", done.progress.id), Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "extension,name,outcome,error,finished_at");
        assert!(lines[1].starts_with("201,Ava Smith,Done,,"), "{}", lines[1]);
        assert!(lines[2].starts_with("202,Liam Jones,Failed,The database refused the change"), "{}", lines[2]);
        assert_eq!(lines.len(), 4);
    })
}

#[test]
fn a_user_moved_to_another_domain_after_the_start_fails_alone_and_keeps_all_their_data() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        let (code, started) = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::all())).await;
        assert_eq!(code, StatusCode::OK, "{started:?}");
        // The operator moves 202 to c.example before the worker reaches it.
        let elsewhere = app::server::entities::domain::Entity::find()
            .filter(app::server::entities::domain::Column::Name.eq("c.example"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        user::Entity::update_many()
            .col_expr(user::Column::DomainId, Expr::value(elsewhere.id))
            .filter(user::Column::Id.eq(ids[1]))
            .exec(&app.db)
            .await
            .unwrap();
        let before = snapshot(&app, ids[1]).await;

        app.run_jobs().await;
        let done = status(&app, &session, started.unwrap().id).await.1.unwrap();
        assert_eq!(
            (done.progress.counts.state, done.progress.counts.done, done.progress.counts.failed),
            (JobState::Finished, 2, 1)
        );
        assert_eq!((done.items[0].extension.as_str(), done.items[0].state), ("202", ItemState::Failed));
        assert_eq!(done.items[0].error.as_deref(), Some("The user is no longer in this domain."));
        assert_eq!(snapshot(&app, ids[1]).await, before, "the moved user is untouched, not half reset");
        for id in [ids[0], ids[2]] {
            let reset = snapshot(&app, id).await;
            assert_eq!(reset.user.status, UserStatus::SetupRequired);
            assert!(reset.rows.values().all(|rows| *rows == 0), "{:?}", reset.rows);
        }
    })
}
