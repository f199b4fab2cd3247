//! A job's life: starting one (a job row and one item row per user, in one transaction), starting a
//! scheduled one when its time comes (by whichever worker looks first, exactly once) or at "Run now",
//! cancelling one, and the bookkeeping every job action shares (its audit entries, its counters, and
//! finishing it once no user is pending). Each action's own work is in `actions`, run by `worker`.
//!
//! A scheduled job holds its users from the start (their items are pending, so no other job can take
//! them), but the rules are checked again when it starts: a user who no longer qualifies then is
//! skipped, with the reason, and nothing is done to them.

use crate::server::audit::{self, Action};
use crate::server::auth::authz::{Actor, ManagedDomain};
use crate::server::bulk::{hold, progress, reach, schedule};
use crate::server::db::ids::AmongIds;
use crate::server::db::OnUnique;
use crate::server::directory::users;
use crate::server::entities::{bulk_job, bulk_job_item, domain, user};
use crate::shared::bulk::{ItemState, JobAction, JobProgress, JobState, Targets};
use crate::shared::error::AppError;
use crate::shared::model::UserStatus;
use chrono::Utc;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    prelude::*, ActiveValue::Set, DatabaseTransaction, DbBackend, QueryOrder, QuerySelect, QueryTrait, Statement,
    TransactionTrait,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// How many due jobs a worker starts in one look.
const DUE_PER_LOOK: u64 = 10;

/// Starts a job doing `action` to the users `targets` names in the managed domain, after checking every
/// rule of `targets`; with `run_at`, schedules it for then, holding its users until then. A filter is
/// evaluated here, in the job's transaction: the job is for the users it matches now, which may
/// differ from those the confirmation counted a moment ago.
pub async fn start(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    targets: &Targets,
    action: JobAction,
    run_at: Option<schedule::RunAt>,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    let (actor, domain) = (managed.actor(), managed.domain());
    let params = serde_json::to_string(&action).map_err(AppError::internal)?;
    let now = Utc::now();
    let txn = db.begin().await?;
    // The job row is written first: on SQLite that takes the write lock at the start of the
    // transaction, so it cannot fail half-way to upgrade a read lock while the worker writes.
    let job = bulk_job::ActiveModel {
        domain_id: Set(domain.id),
        actor: Set(actor.login.clone()),
        actor_user_id: Set(Some(actor.user_id)),
        actor_holding: Set(Some(actor.holding)),
        action: Set(action.slug().to_string()),
        params: Set(params),
        state: Set(if run_at.is_some() { JobState::Scheduled } else { JobState::Running }),
        total: Set(0),
        done_count: Set(0),
        failed_count: Set(0),
        skipped_count: Set(0),
        created_at: Set(now),
        started_at: Set(run_at.is_none().then_some(now)),
        run_at: Set(run_at.map(|run_at| run_at.at)),
        time_zone: Set(run_at.map(|run_at| run_at.zone.name().to_string())),
        finished_at: Set(None),
        remote_addr: Set(remote_addr.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let (user_ids, left_out) = match targets {
        // Checked by the database as their items are made: a start of 10,000 ticked users does not read
        // them.
        Targets::Ticked(ids) => (reach::ticked(&txn, managed, ids, action.verb()).await?, 0),
        Targets::Matching(_) => {
            let chosen = reach::choose(&txn, managed, targets, action.verb()).await?;
            if chosen.users.is_empty() {
                return Err(reach::none_left(&chosen.excluded));
            }
            (chosen.users.iter().map(|user| user.id).collect(), chosen.excluded.len())
        }
    };
    let total = i32::try_from(user_ids.len()).map_err(AppError::internal)?;
    // Another job may have taken one of these users between our check and our insert.
    let made = txn.execute(items(txn.get_database_backend(), job.id, managed, &user_ids)?).await.on_unique(|| {
        "Some of the selected users were just put in another bulk action; wait for it to finish.".into()
    })?;
    if made.rows_affected() != user_ids.len() as u64 {
        // Someone is out of reach: the job goes with the transaction.
        return Err(reach::refusal(&txn, managed, &user_ids, action.verb()).await);
    }
    let job = bulk_job::ActiveModel { id: Set(job.id), total: Set(total), ..Default::default() }.update(&txn).await?;
    let (audited, said) = match run_at {
        Some(_) => (Action::BulkJobScheduled, "bulk job scheduled"),
        None => (Action::BulkJobStarted, "bulk job started"),
    };
    audit::Entry::by(actor, audited)
        .domain(domain.id)
        .detail(json!({
            "job": job.id,
            "request": action,
            "users": total,
            "left_out": left_out,
            "run_at": job.run_at,
            "time_zone": job.time_zone,
        }))
        .from_addr(remote_addr)
        .record(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(job = job.id, users = total, action = action.slug(), run_at = ?job.run_at, "{said}");
    progress::progress(&job)
}

/// The INSERT, for `backend`, of job `job_id`'s items, one per user of `user_ids` within the reach of
/// `managed`'s actor (`reach::within_reach`), in extension order (the order the worker takes them in),
/// copied from the users' rows by the database rather than sent as bound values.
fn items(backend: DbBackend, job_id: i32, managed: &ManagedDomain, user_ids: &[i32]) -> Result<Statement, DbErr> {
    use bulk_job_item::Column;
    let copied = user::Entity::find()
        .select_only()
        .expr(Expr::val(job_id))
        .column(user::Column::Id)
        .column(user::Column::Extension)
        .expr(users::full_name())
        .expr(Expr::val(ItemState::Pending))
        .filter(user::Column::Id.among(backend, user_ids.iter().copied()))
        .filter(reach::within_reach(managed));
    Query::insert()
        .into_table(bulk_job_item::Entity)
        .columns([Column::JobId, Column::UserId, Column::Extension, Column::Name, Column::State])
        .select_from(users::in_extension_order(copied).into_query())
        .map(|insert| backend.build(insert))
        .map_err(|err| DbErr::Custom(format!("a job's items: {err}")))
}

/// Starts the scheduled jobs whose time has come; returns how many this call started (another
/// worker may have started some of them first).
pub async fn start_due(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let due = bulk_job::Entity::find()
        .filter(bulk_job::Column::State.eq(JobState::Scheduled))
        .filter(bulk_job::Column::RunAt.lte(Utc::now()))
        // A held domain's jobs wait past their time, for the operator.
        .filter(bulk_job::Column::DomainId.not_in_subquery(hold::standing_still()))
        .order_by_asc(bulk_job::Column::RunAt)
        .limit(DUE_PER_LOOK)
        .all(db)
        .await?;
    let mut started = 0;
    for job in due {
        started += usize::from(begin(db, &job, None).await?);
    }
    Ok(started)
}

/// "Run now": starts scheduled job `id` at once, if the actor may see it and every one of its users is
/// within their reach (`reach::require`).
pub async fn run_now(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    let (job, _) = progress::visible_job(db, actor, id).await?;
    reach::require(db, actor, &job, "run").await?;
    if !begin(db, &job, Some((actor, remote_addr))).await? {
        return Err(AppError::Conflict(
            "This bulk action is not scheduled any more: it has started, finished or been cancelled.".into(),
        ));
    }
    let job = bulk_job::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::internal("job gone"))?;
    progress::progress(&job)
}

/// Starts scheduled job `job` if it is still scheduled (false: another worker started it, or an admin
/// cancelled or ran it, first), in one transaction: the job becomes running, the users who no longer
/// qualify are skipped with the reason, and the start is recorded, on the job's actor's behalf or, for
/// "Run now", by the admin who asked.
async fn begin(
    db: &DatabaseConnection,
    job: &bulk_job::Model,
    run_now_by: Option<(&Actor, Option<String>)>,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    // The state changes only where it is still "scheduled": of two workers (or a worker and Run now),
    // exactly one changes it; the other's update waits for the first to commit, then finds nothing.
    let now = Utc::now();
    let started = bulk_job::Entity::update_many()
        .col_expr(bulk_job::Column::State, Expr::value(JobState::Running))
        .col_expr(bulk_job::Column::StartedAt, Expr::value(now))
        .filter(bulk_job::Column::Id.eq(job.id))
        .filter(bulk_job::Column::State.eq(JobState::Scheduled))
        .exec(&txn)
        .await?;
    if started.rows_affected == 0 {
        return Ok(false);
    }
    let items = bulk_job_item::Entity::find()
        .filter(bulk_job_item::Column::JobId.eq(job.id))
        .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
        .all(&txn)
        .await?;
    let skipped = no_longer_qualify(&txn, job, &items).await?;
    let mut by_reason: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (item, reason) in &skipped {
        by_reason.entry(reason.as_str()).or_default().push(item.id);
    }
    for (reason, ids) in by_reason {
        for ids in ids.chunks(1000) {
            bulk_job_item::Entity::update_many()
                .col_expr(bulk_job_item::Column::State, Expr::value(ItemState::Skipped))
                .col_expr(bulk_job_item::Column::Error, Expr::value(reason))
                .col_expr(bulk_job_item::Column::FinishedAt, Expr::value(now))
                .filter(bulk_job_item::Column::Id.among(txn.get_database_backend(), ids.iter().copied()))
                .exec(&txn)
                .await?;
        }
    }
    let entries = skipped
        .iter()
        .map(|(item, reason)| entry(job, Action::BulkItemSkipped, item, json!({ "job": job.id, "reason": reason })));
    audit::record_many(&txn, entries).await?;
    let skipped_count = i32::try_from(skipped.len()).unwrap_or(i32::MAX);
    bulk_job::Entity::update_many()
        .col_expr(bulk_job::Column::SkippedCount, Expr::value(skipped_count))
        .filter(bulk_job::Column::Id.eq(job.id))
        .exec(&txn)
        .await?;
    let detail = json!({
        "job": job.id,
        "scheduled_for": job.run_at,
        "users": job.total,
        "skipped": skipped_count,
        "run_now": run_now_by.is_some(),
    });
    let entry = match run_now_by {
        Some((admin, addr)) => {
            audit::Entry::by(admin, Action::BulkJobStarted).domain(job.domain_id).from_addr(addr).detail(detail)
        }
        None => on_behalf(job, Action::BulkJobStarted, detail),
    };
    entry.record(&txn).await?;
    finish_if_complete(&txn, job).await?;
    txn.commit().await?;
    tracing::info!(job = job.id, skipped = skipped.len(), "scheduled bulk job started");
    Ok(true)
}

/// The job's items whose users no longer qualify, each with why: the rules of `reach::check`, as they
/// stand now, for the admin who scheduled it as they stand now (reset since, they have no authority).
/// (Nobody can be in another unfinished job: this job's pending items have held them since it was
/// scheduled; and the job holds at most `MAX_JOB_USERS` users since then too.)
async fn no_longer_qualify<'a>(
    txn: &impl ConnectionTrait,
    job: &bulk_job::Model,
    items: &'a [bulk_job_item::Model],
) -> Result<Vec<(&'a bulk_job_item::Model, String)>, DbErr> {
    let Some(domain) = domain::Entity::find_by_id(job.domain_id).one(txn).await? else { return Ok(Vec::new()) };
    let admin = match job.actor_user_id {
        Some(id) => user::Entity::find_by_id(id).find_also_related(domain::Entity).one(txn).await?,
        None => None,
    };
    let admin = match admin {
        // Reset (and perhaps handed to someone else) since: the holder who scheduled it has left.
        Some((user, _))
            if user.status == UserStatus::SetupRequired
                || job.actor_holding.is_some_and(|holding| holding != user.holding) =>
        {
            Err(format!("{}, who scheduled it, has been reset since and has no authority left.", job.actor))
        }
        Some((user, Some(home))) => Ok(Actor::of(&user, &home)),
        _ => Err(format!("{} no longer has an account.", job.actor)),
    }
    .and_then(|actor| match actor.manage(&domain.name, Some(domain.clone())) {
        Ok(_) => Ok(actor),
        Err(_) => Err(format!("{} may no longer manage {}.", job.actor, domain.name)),
    });
    let ids: Vec<i32> = items.iter().filter_map(|item| item.user_id).collect();
    let users: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::Id.among(txn.get_database_backend(), ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|user| (user.id, user))
        .collect();
    let reason = |item: &bulk_job_item::Model| -> Option<String> {
        let actor = match &admin {
            Ok(actor) => actor,
            Err(everyone) => return Some(everyone.clone()),
        };
        let Some(user) = item.user_id.and_then(|id| users.get(&id)) else {
            return Some("The user no longer exists.".into());
        };
        if user.domain_id != domain.id {
            Some(format!("No longer a user of {}.", domain.name))
        } else if user.id == actor.user_id {
            Some(format!("The account of {}, who scheduled the reset.", actor.login))
        } else if user.scope > actor.scope {
            Some(format!("Now a {}, above the scope of {}.", user.scope.label(), actor.login))
        } else {
            None
        }
    };
    Ok(items.iter().filter_map(|item| reason(item).map(|why| (item, why))).collect())
}

/// Cancels running or scheduled job `id`, if every one of its users is within the actor's reach
/// (`reach::require`): its users still waiting are marked "Cancelled" and left as they are; those
/// done stay done (a reset cannot be undone). A batch a worker holds at that moment either finished
/// first (its users are done) or finds its users cancelled and leaves them (the worker marks a user done
/// only while its item is still pending), so no user is half done.
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    let (job, domain) = progress::visible_job(db, actor, id).await?;
    reach::require(db, actor, &job, "cancel").await?;
    let txn = db.begin().await?;
    // The items first, as the worker's transactions take them (items, then the job): no deadlock.
    let cancelled = bulk_job_item::Entity::update_many()
        .col_expr(bulk_job_item::Column::State, Expr::value(ItemState::Cancelled))
        .col_expr(bulk_job_item::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(bulk_job_item::Column::LeaseOwner, Expr::value(None::<String>))
        .col_expr(bulk_job_item::Column::LeaseUntil, Expr::value(None::<chrono::DateTime<Utc>>))
        .filter(bulk_job_item::Column::JobId.eq(job.id))
        .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
        .exec(&txn)
        .await?
        .rows_affected;
    let stopped = bulk_job::Entity::update_many()
        .col_expr(bulk_job::Column::State, Expr::value(JobState::Cancelled))
        .col_expr(bulk_job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(bulk_job::Column::Id.eq(job.id))
        .filter(bulk_job::Column::State.is_in([JobState::Running, JobState::Scheduled]))
        .exec(&txn)
        .await?;
    if stopped.rows_affected == 0 {
        return Err(AppError::Conflict("This bulk action has already ended; there is nothing left to cancel.".into()));
    }
    let job = bulk_job::Entity::find_by_id(job.id).one(&txn).await?.ok_or_else(|| AppError::internal("job gone"))?;
    audit::Entry::by(actor, Action::BulkJobCancelled)
        .domain(domain.id)
        .detail(json!({ "job": job.id, "done": job.done_count, "failed": job.failed_count, "cancelled": cancelled }))
        .from_addr(remote_addr)
        .record(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(job = job.id, cancelled, "bulk job cancelled");
    progress::progress(&job)
}

/// An audit entry for work done on behalf of the job's actor, in the job's domain.
pub fn on_behalf(job: &bulk_job::Model, action: Action, detail: serde_json::Value) -> audit::Entry {
    audit::Entry::new(job.actor.clone(), job.actor_user_id, action).domain(job.domain_id).detail(detail)
}

/// The audit entry for one item's outcome.
pub fn entry(
    job: &bulk_job::Model,
    action: Action,
    item: &bulk_job_item::Model,
    detail: serde_json::Value,
) -> audit::Entry {
    let entry = on_behalf(job, action, detail);
    match item.user_id {
        Some(user_id) => entry.target(user_id),
        None => entry,
    }
}

/// The audit entries for the outcome of the items `item_ids`, one per item's user in the items' order,
/// all alike but for their target, written with one statement.
pub async fn record_each(
    txn: &DatabaseTransaction,
    job: &bulk_job::Model,
    action: Action,
    item_ids: &[i32],
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    let users = Query::select()
        .column(bulk_job_item::Column::UserId)
        .from(bulk_job_item::Entity)
        .and_where(bulk_job_item::Column::Id.among(txn.get_database_backend(), item_ids.iter().copied()))
        .and_where(bulk_job_item::Column::UserId.is_not_null())
        .order_by(bulk_job_item::Column::Id, sea_orm::Order::Asc)
        .to_owned();
    on_behalf(job, action, detail).record_for_each(txn, users).await
}

/// Adds `n` to one of the job's counters. Updating the job row also serialises the transactions that
/// finish the job's last items, so exactly one of them sees none pending and finishes the job.
pub async fn count_on_job(
    txn: &DatabaseTransaction,
    job_id: i32,
    counter: bulk_job::Column,
    n: usize,
) -> Result<(), DbErr> {
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    bulk_job::Entity::update_many()
        .col_expr(counter, Expr::col(counter).add(n))
        .filter(bulk_job::Column::Id.eq(job_id))
        .exec(txn)
        .await
        .map(|_| ())
}

/// Marks the job finished if none of its items is pending any more, and records that once.
pub async fn finish_if_complete(txn: &DatabaseTransaction, job: &bulk_job::Model) -> Result<(), DbErr> {
    let pending = Query::select()
        .expr(Expr::val(1))
        .from(bulk_job_item::Entity)
        .and_where(bulk_job_item::Column::JobId.eq(job.id))
        .and_where(bulk_job_item::Column::State.eq(ItemState::Pending))
        .to_owned();
    let finished = bulk_job::Entity::update_many()
        .col_expr(bulk_job::Column::State, Expr::value(JobState::Finished))
        .col_expr(bulk_job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(bulk_job::Column::Id.eq(job.id))
        .filter(bulk_job::Column::State.eq(JobState::Running))
        .filter(Expr::exists(pending).not())
        .exec(txn)
        .await?;
    if finished.rows_affected == 0 {
        return Ok(());
    }
    let Some(done) = bulk_job::Entity::find_by_id(job.id).one(txn).await? else { return Ok(()) };
    tracing::info!(job = job.id, done = done.done_count, failed = done.failed_count, "bulk job finished");
    let detail = json!({ "job": job.id, "done": done.done_count, "failed": done.failed_count });
    on_behalf(job, Action::BulkJobFinished, detail).record(txn).await
}
