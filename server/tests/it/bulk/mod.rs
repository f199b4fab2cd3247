//! Bulk jobs through the server functions, on a real database, with the real worker. The helpers here
//! give users data of every kind and read back exactly which rows went and which stayed.

mod backup;
mod cancel;
mod crash;
mod holdings;
mod live;
mod matching;
mod recycle;
mod reset;
mod schedule;
mod worker;

use crate::common::{self, Session, TestApp, PASSWORD};
use app::server::entities::{
    answering_rule, call_history, call_queue, contact, device, phone_number, queue_membership, session, user,
    voicemail_greeting, voicemail_message,
};
use app::shared::bulk::Targets;
use app::shared::bulk::{JobProgress, JobState, JobStatus, ResetOption, ResetOptions, ResetRequest, When};
use app::shared::error::AppError;
use app::ui::components::bulk_action::progress_step::BulkJobStatus;
use app::ui::components::bulk_action::reset_step::StartReset;
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

/// Rows of each kind the tests give a user.
pub(crate) const DEVICES: u64 = 2;
pub(crate) const MESSAGES: u64 = 3;
pub(crate) const OTHER_ROWS: u64 = 1;

/// One of each kind of a user's data (two phones, a voicemail in each folder), and a DID.
pub(crate) async fn give_data(app: &TestApp, user_id: i32, queue_id: i32, n: i32) {
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
    with_pin.voicemail_pin_hash = Set(Some(app::server::auth::passwords::hash("4321".into()).await.unwrap()));
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

pub(crate) async fn queue(app: &TestApp, domain: &str) -> i32 {
    let domain = app::server::directory::domains::find(&app.db, domain).await.unwrap().unwrap();
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
pub(crate) struct Snapshot {
    pub(crate) rows: BTreeMap<ResetOption, u64>,
    pub(crate) phone_numbers: u64,
    pub(crate) sessions: u64,
    pub(crate) user: user::Model,
}

pub(crate) async fn count<E: EntityTrait>(app: &TestApp, column: E::Column, user_id: i32) -> u64
where
    E::Model: Sync,
{
    E::find().filter(column.eq(user_id)).count(&app.db).await.unwrap()
}

pub(crate) async fn snapshot(app: &TestApp, user_id: i32) -> Snapshot {
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

pub(crate) fn full_rows(option: ResetOption) -> u64 {
    match option {
        ResetOption::Devices => DEVICES,
        ResetOption::VoicemailMessages => MESSAGES,
        _ => OTHER_ROWS,
    }
}

pub(crate) fn request(user_ids: Vec<i32>, options: ResetOptions) -> ResetRequest {
    ResetRequest { targets: Targets::Ticked(user_ids), options, recycle: false, when: When::Now }
}

pub(crate) async fn start(
    app: &TestApp,
    session: &Session,
    domain: &str,
    request: ResetRequest,
) -> (StatusCode, Result<JobProgress, AppError>) {
    app.call(StartReset { domain: domain.into(), request }, Some(session)).await
}

pub(crate) async fn status(app: &TestApp, session: &Session, job: i32) -> (StatusCode, Result<JobStatus, AppError>) {
    app.call(BulkJobStatus { job }, Some(session)).await
}

/// Resets `user_ids` with `options` as the fixture's Office Manager and runs the job to its end.
pub(crate) async fn reset(app: &TestApp, session: &Session, user_ids: Vec<i32>, options: ResetOptions) -> JobStatus {
    let (code, started) = start(app, session, "a.example", request(user_ids, options)).await;
    assert_eq!(code, StatusCode::OK, "{started:?}");
    let job = started.unwrap();
    assert_eq!(job.counts.state, JobState::Running);
    app.run_jobs().await;
    status(app, session, job.id).await.1.unwrap()
}

/// A fixture with data for 201, 202 and 203 of a.example (ids in that order), signed in as its
/// Office Manager.
pub(crate) async fn world() -> (TestApp, common::Fixture, Session, Vec<i32>) {
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

pub(crate) async fn snapshots(app: &TestApp, ids: &[i32]) -> Vec<Snapshot> {
    let mut snapshots = Vec::new();
    for id in ids {
        snapshots.push(snapshot(app, *id).await);
    }
    snapshots
}

/// Makes deleting one user's phones fail, as a real database fault would.
pub(crate) async fn break_user(app: &TestApp, user_id: i32) {
    app.refuse("DELETE", "devices", &format!("OLD.user_id = {user_id}"), "device is locked").await;
}
