//! Bulk reset and recycle through the server functions, on a real database, with the real worker:
//! exactly which rows go and which stay, every refusal, and a job interrupted part-way.

use crate::common::{self, Session, TestApp, PASSWORD};
use app::bulk::{
    FieldError, ItemState, JobProgress, JobState, JobStatus, JobSummary, RecycleEntry, RecycleField, RecycleOutcome,
    RecycleTargets, ResetOption, ResetOptions, ResetPreview, ResetRequest,
};
use app::error::AppError;
use app::model::UserStatus;
use app::pages::activity::RecentJobs;
use app::pages::users::bulk::progress::{BulkJobStatus, RunningJobs};
use app::pages::users::bulk::recycle::{RecycleForm, RecycleUsers};
use app::pages::users::bulk::reset::{PreviewReset, StartReset};
use app::server::entities::{
    answering_rule, audit_log, bulk_job, bulk_job_item, call_history, call_queue, contact, device, phone_number,
    queue_membership, session, user, voicemail_greeting, voicemail_message,
};
use app::server::worker::{self, Worker};
use axum::http::{header, StatusCode};
use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::time::Duration;

/// Rows of each kind the tests give a user.
const DEVICES: u64 = 2;
const MESSAGES: u64 = 3;
const OTHER_ROWS: u64 = 1;

/// One of each kind of a user's data (two phones, a voicemail in each folder), and a DID.
async fn give_data(app: &TestApp, user_id: i32, queue_id: i32, n: i32) {
    let now = Utc::now();
    let db = &app.db;
    for n in 0..DEVICES as u8 {
        app.device(user_id, n).await;
    }
    for folder in ["new", "saved", "trash"] {
        voicemail_message::ActiveModel {
            user_id: Set(user_id),
            folder: Set(folder.into()),
            caller_id: Set("+15550000001".into()),
            duration_secs: Set(12),
            received_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    voicemail_greeting::ActiveModel {
        user_id: Set(user_id),
        name: Set("Unavailable".into()),
        duration_secs: Set(8),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    answering_rule::ActiveModel {
        user_id: Set(user_id),
        name: Set("After Hours".into()),
        priority: Set(0),
        forward_to: Set("voicemail".into()),
        enabled: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    contact::ActiveModel {
        user_id: Set(user_id),
        first_name: Set("Pat".into()),
        last_name: Set("Client".into()),
        phone: Set("+15550000002".into()),
        email: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    call_history::ActiveModel {
        user_id: Set(user_id),
        direction: Set("inbound".into()),
        remote_number: Set("+15550000003".into()),
        started_at: Set(now),
        duration_secs: Set(60),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    queue_membership::ActiveModel {
        user_id: Set(user_id),
        queue_id: Set(queue_id),
        priority: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let owner = user::Entity::find_by_id(user_id).one(db).await.unwrap().unwrap();
    let domain_id = owner.domain_id;
    let mut with_pin: user::ActiveModel = owner.into();
    with_pin.voicemail_pin_hash = Set(Some(app::server::passwords::hash("4321".into()).await.unwrap()));
    with_pin.update(db).await.unwrap();
    phone_number::ActiveModel {
        domain_id: Set(domain_id),
        number: Set(format!("+1555100{n:04}")),
        user_id: Set(Some(user_id)),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

async fn queue(app: &TestApp, domain: &str) -> i32 {
    let domain = app::server::domains::find(&app.db, domain).await.unwrap().unwrap();
    call_queue::ActiveModel {
        domain_id: Set(domain.id),
        name: Set("Sales".into()),
        extension: Set("700".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// How much of each kind of data a user has, and their account's fields.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    rows: BTreeMap<ResetOption, u64>,
    phone_numbers: u64,
    sessions: u64,
    user: user::Model,
}

async fn count<E: EntityTrait>(app: &TestApp, column: E::Column, user_id: i32) -> u64
where
    E::Model: Sync,
{
    E::find().filter(column.eq(user_id)).count(&app.db).await.unwrap()
}

async fn snapshot(app: &TestApp, user_id: i32) -> Snapshot {
    let rows = BTreeMap::from([
        (ResetOption::Devices, count::<device::Entity>(app, device::Column::UserId, user_id).await),
        (
            ResetOption::VoicemailMessages,
            count::<voicemail_message::Entity>(app, voicemail_message::Column::UserId, user_id).await,
        ),
        (
            ResetOption::VoicemailGreetings,
            count::<voicemail_greeting::Entity>(app, voicemail_greeting::Column::UserId, user_id).await,
        ),
        (
            ResetOption::AnsweringRules,
            count::<answering_rule::Entity>(app, answering_rule::Column::UserId, user_id).await,
        ),
        (ResetOption::Contacts, count::<contact::Entity>(app, contact::Column::UserId, user_id).await),
        (ResetOption::CallHistory, count::<call_history::Entity>(app, call_history::Column::UserId, user_id).await),
        (
            ResetOption::QueueMemberships,
            count::<queue_membership::Entity>(app, queue_membership::Column::UserId, user_id).await,
        ),
    ]);
    Snapshot {
        rows,
        phone_numbers: count::<phone_number::Entity>(app, phone_number::Column::UserId, user_id).await,
        sessions: count::<session::Entity>(app, session::Column::UserId, user_id).await,
        user: user::Entity::find_by_id(user_id).one(&app.db).await.unwrap().unwrap(),
    }
}

fn full_rows(option: ResetOption) -> u64 {
    match option {
        ResetOption::Devices => DEVICES,
        ResetOption::VoicemailMessages => MESSAGES,
        _ => OTHER_ROWS,
    }
}

fn request(user_ids: Vec<i32>, options: ResetOptions) -> ResetRequest {
    ResetRequest { user_ids, options, recycle: false }
}

async fn start(
    app: &TestApp,
    session: &Session,
    domain: &str,
    request: ResetRequest,
) -> (StatusCode, Result<JobProgress, AppError>) {
    app.call(StartReset { domain: domain.into(), request }, Some(session)).await
}

async fn status(app: &TestApp, session: &Session, job: i32) -> (StatusCode, Result<JobStatus, AppError>) {
    app.call(BulkJobStatus { job }, Some(session)).await
}

/// Resets `user_ids` with `options` as the fixture's Office Manager and runs the job to its end.
async fn reset(app: &TestApp, session: &Session, user_ids: Vec<i32>, options: ResetOptions) -> JobStatus {
    let (code, started) = start(app, session, "a.example", request(user_ids, options)).await;
    assert_eq!(code, StatusCode::OK, "{started:?}");
    let job = started.unwrap();
    assert_eq!(job.state, JobState::Running);
    app.run_jobs().await;
    status(app, session, job.id).await.1.unwrap()
}

/// A fixture with data for 201, 202 and 203 of a.example (ids in that order), signed in as its
/// Office Manager.
async fn world() -> (TestApp, common::Fixture, Session, Vec<i32>) {
    let (app, fixture) = TestApp::with_fixture().await;
    let queue = queue(&app, "a.example").await;
    let mut ids = Vec::new();
    for (n, extension) in ["201", "202", "203"].into_iter().enumerate() {
        let id = app.user_id(&format!("{extension}@a.example")).await;
        give_data(&app, id, queue, n as i32).await;
        ids.push(id);
    }
    let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
    (app, fixture, session, ids)
}

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
            assert_eq!((done.progress.done, done.progress.failed), (1, 0), "{option:?}");

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
        assert_eq!((done.progress.state, done.progress.done, done.progress.total), (JobState::Finished, 2, 2));
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
        let rejected: BTreeMap<i32, Vec<RecycleField>> = outcome
            .rejected
            .iter()
            .map(|(id, problems)| (*id, problems.iter().map(|problem: &FieldError| problem.field).collect()))
            .collect();
        assert_eq!(
            rejected,
            BTreeMap::from([
                (ids[1], vec![RecycleField::LastName, RecycleField::Email]),
                (ids[2], vec![RecycleField::Row]),
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
                "At most 10000 users can be handled at once; 10001 were selected.",
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

async fn snapshots(app: &TestApp, ids: &[i32]) -> Vec<Snapshot> {
    let mut snapshots = Vec::new();
    for id in ids {
        snapshots.push(snapshot(app, *id).await);
    }
    snapshots
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

/// Makes deleting one user's phones fail, as a real database fault would.
async fn break_user(app: &TestApp, user_id: i32) {
    app.refuse("DELETE", "devices", &format!("OLD.user_id = {user_id}"), "device is locked").await;
}

#[test]
fn one_failing_user_fails_alone_with_the_reason_and_keeps_all_their_data() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        break_user(&app, ids[1]).await;
        let before = snapshot(&app, ids[1]).await;

        let done = reset(&app, &session, ids.clone(), ResetOptions::all()).await;
        assert_eq!((done.progress.state, done.progress.done, done.progress.failed), (JobState::Finished, 2, 1));
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
fn a_job_interrupted_part_way_resumes_and_resets_each_user_exactly_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        for extension in 300..307 {
            app.user_without_password("a.example", &extension.to_string(), "Temp", "Worker").await;
        }
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let mut ids = Vec::new();
        for extension in 300..307 {
            ids.push(app.user_id(&format!("{extension}@a.example")).await);
        }
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();

        let config = worker::Config { batch_size: 2, lease: Duration::from_millis(300), ..worker::Config::default() };
        let first = Worker::new(app.db.clone(), config.clone());
        assert_eq!(first.run_once().await.unwrap(), 2);
        // The first worker claims its next batch and dies before committing it.
        let lost = first.claim().await.unwrap().expect("a second batch");
        assert_eq!(lost.items.len(), 2);
        drop(first);

        let progress = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((progress.done, progress.state), (2, JobState::Running));
        let (_, running) =
            app.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        assert_eq!(running.unwrap().len(), 1);

        // Another worker takes what nobody holds, then, once the dead worker's lease runs out, the rest.
        let second = Worker::new(app.db.clone(), config);
        assert_eq!(second.run_once().await.unwrap(), 2);
        assert_eq!(second.run_once().await.unwrap(), 1);
        assert_eq!(second.run_once().await.unwrap(), 0, "the dead worker's batch is still leased");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(second.run_once().await.unwrap(), 2);

        let done = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((done.state, done.done, done.failed, done.total), (JobState::Finished, 7, 0, 7));
        for id in &ids {
            let resets = audit_log::Entity::find()
                .filter(audit_log::Column::Action.eq("user_reset"))
                .filter(audit_log::Column::TargetUserId.eq(*id))
                .count(&app.db)
                .await
                .unwrap();
            assert_eq!(resets, 1, "user {id} was reset {resets} times");
            assert_eq!(snapshot(&app, *id).await.user.status, UserStatus::SetupRequired);
        }
        let finished = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("bulk_job_finished"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(finished, 1);
        let (_, running) =
            app.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        assert!(running.unwrap().is_empty());
    })
}

#[test]
fn the_background_worker_runs_a_job_and_the_activity_page_lists_it_in_scope() {
    common::run(async {
        let (app, fixture, session, ids) = world().await;
        let handle = worker::spawn(app.db.clone(), worker::Config::default()).await.unwrap();
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();
        let mut polls = 0;
        let done = loop {
            let now = status(&app, &session, job.id).await.1.unwrap();
            if now.progress.is_finished() {
                break now;
            }
            polls += 1;
            assert!(polls < 200, "the job did not finish: {now:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        handle.stop().await;
        assert_eq!(done.progress.summary(), "3 of 3 users reset");

        let (_, jobs) = app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&session)).await;
        let jobs = jobs.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!((jobs[0].domain.as_str(), jobs[0].actor.as_str()), ("a.example", fixture.office_manager.as_str()));

        // Another domain's Office Manager sees none of it.
        let other = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        assert!(app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&other)).await.1.unwrap().is_empty());
        // Its job is, to them, one that does not exist.
        assert_eq!(status(&app, &other, job.id).await.0, StatusCode::NOT_FOUND);
        let (code, _, _) = app.get(&format!("/activity/{}/results.csv", job.id), Some(&other)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        // A Basic User neither.
        let basic = app.sign_in("201@c.example", PASSWORD).await;
        assert_eq!(app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&basic)).await.0, StatusCode::FORBIDDEN);
        // The Super User sees it across domains.
        let root = app.sign_in(&fixture.super_user, PASSWORD).await;
        assert_eq!(app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&root)).await.1.unwrap().len(), 1);
    })
}

#[test]
fn workers_running_side_by_side_share_a_job_and_reset_each_user_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let mut ids = Vec::new();
        for extension in 500..620 {
            app.user_without_password("a.example", &extension.to_string(), "Lee", "Park").await;
            ids.push(app.user_id(&format!("{extension}@a.example")).await);
        }
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();

        // Three replicas' workers, small batches, all at once: on PostgreSQL they claim disjoint
        // batches (SKIP LOCKED); on SQLite they take turns at the write lock.
        let config = worker::Config { batch_size: 7, ..worker::Config::default() };
        let drain = |worker: Worker| async move {
            let mut handled = 0;
            loop {
                match worker.run_once().await.expect("the worker runs") {
                    0 => return handled,
                    n => handled += n,
                }
            }
        };
        let workers = [0, 1, 2].map(|_| Worker::new(app.db.clone(), config.clone()));
        let [a, b, c] = workers;
        let (a, b, c) = tokio::join!(tokio::spawn(drain(a)), tokio::spawn(drain(b)), tokio::spawn(drain(c)));
        let handled = [a.unwrap(), b.unwrap(), c.unwrap()];
        assert_eq!(handled.iter().sum::<usize>(), ids.len(), "each item claimed once: {handled:?}");

        let done = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((done.state, done.done, done.failed), (JobState::Finished, ids.len() as u64, 0));
        let resets =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("user_reset")).count(&app.db).await.unwrap();
        assert_eq!(resets, ids.len() as u64);
        let finished = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("bulk_job_finished"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(finished, 1, "exactly one worker finished the job");
    })
}

#[test]
fn a_worker_whose_lease_ran_out_leaves_taken_users_to_their_new_holder_and_does_the_rest() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        let job =
            start(&app, &session, "a.example", request(ids[..2].to_vec(), ResetOptions::defaults())).await.1.unwrap();
        let lease = Duration::from_millis(200);
        let slow = Worker::new(app.db.clone(), worker::Config { batch_size: 2, lease, ..worker::Config::default() });
        let held = slow.claim().await.unwrap().expect("both users");
        tokio::time::sleep(lease * 2).await;
        // The lease ran out; another worker takes the first user over.
        let quick = Worker::new(app.db.clone(), worker::Config { batch_size: 1, lease, ..worker::Config::default() });
        let taken = quick.claim().await.unwrap().expect("the first user");
        assert_eq!(taken.items[0].user_id, Some(ids[0]));

        // The slow worker wakes up: the first user is not its own any more, the second still is.
        slow.process(held).await.unwrap();
        let items = |state| {
            bulk_job_item::Entity::find()
                .filter(bulk_job_item::Column::JobId.eq(job.id))
                .filter(bulk_job_item::Column::State.eq(state))
                .all(&app.db)
        };
        let done: Vec<Option<i32>> =
            items(ItemState::Done).await.unwrap().into_iter().map(|item| item.user_id).collect();
        assert_eq!(done, [Some(ids[1])]);
        assert_eq!(snapshot(&app, ids[0]).await.user.status, UserStatus::Active, "not reset by the slow worker");

        quick.process(taken).await.unwrap();
        let progress = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((progress.state, progress.done, progress.failed), (JobState::Finished, 2, 0));
        let resets =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("user_reset")).count(&app.db).await.unwrap();
        assert_eq!(resets, 2);
    })
}
