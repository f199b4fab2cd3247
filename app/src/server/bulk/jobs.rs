//! Bulk jobs: starting one (a job row and one item row per user, in one transaction), and reading how
//! far jobs have got, for the status step, the Users page's banner, the Activity page and the CSV. The
//! work itself is done by `worker`.

use crate::bulk::{
    ItemOutcome, ItemState, JobAction, JobCounts, JobProgress, JobState, JobStatus, JobSummary, ResetPreview,
    ResetRequest, Targets, ITEMS_SHOWN,
};
use crate::error::AppError;
use crate::model::full_name;
use crate::server::audit::{self, Action};
use crate::server::auth::authz::{Actor, ManagedDomain};
use crate::server::db::{self, OnUnique};
use crate::server::directory::domains;
use crate::server::entities::{bulk_job, bulk_job_item, domain};
use crate::server::time;
use crate::server::{bulk::reset, bulk::schedule, bulk::spreadsheet, bulk::targets};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect, TransactionTrait};
use serde_json::json;

/// How many jobs the Activity page lists.
const RECENT_JOBS: u64 = 50;

fn require_options(request: &ResetRequest) -> Result<(), AppError> {
    if request.options.is_empty() {
        return Err(AppError::invalid("options", "Choose at least one kind of data to clear."));
    }
    Ok(())
}

/// What resetting the request's users would delete, counted in the database, after the same checks as
/// `start_reset`.
pub async fn preview_reset(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: &ResetRequest,
) -> Result<ResetPreview, AppError> {
    require_options(request)?;
    let run_at = schedule::parse(&request.when, Utc::now())?;
    let chosen = targets::choose(db, managed, &request.targets, "reset").await?;
    let ids: Vec<i32> = chosen.users.iter().map(|user| user.id).collect();
    let rows = reset::count(db, &ids, &request.options).await?;
    Ok(ResetPreview {
        users: ids.len() as u64,
        options: request.options.clone(),
        rows,
        excluded: chosen.excluded,
        schedule: run_at.map(|run_at| run_at.schedule()),
    })
}

/// Starts (or schedules, for the time the request names) a reset of the request's users in `domain`,
/// after checking every rule; returns its progress.
pub async fn start_reset(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: ResetRequest,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    require_options(&request)?;
    let run_at = schedule::parse(&request.when, Utc::now())?;
    let action = JobAction::Reset { options: request.options, recycle: request.recycle };
    start(db, managed, &request.targets, action, run_at, remote_addr).await
}

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
    let chosen = targets::choose(&txn, managed, targets, action.verb()).await?;
    if chosen.users.is_empty() {
        return Err(targets::none_left(&chosen.excluded));
    }
    let users = chosen.users;
    let items: Vec<_> = users
        .iter()
        .map(|user| bulk_job_item::ActiveModel {
            job_id: Set(job.id),
            user_id: Set(Some(user.id)),
            extension: Set(user.extension.clone()),
            name: Set(full_name(&user.first_name, &user.last_name)),
            state: Set(ItemState::Pending),
            ..Default::default()
        })
        .collect();
    // Another job may have taken one of these users between our check and our insert.
    db::insert_chunked(&txn, items).await.on_unique(|| {
        "Some of the selected users were just put in another bulk action; wait for it to finish.".into()
    })?;
    let total = i32::try_from(users.len()).map_err(AppError::internal)?;
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
            "left_out": chosen.excluded.len(),
            "run_at": job.run_at,
            "time_zone": job.time_zone,
        }))
        .from_addr(remote_addr)
        .record(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(job = job.id, users = total, action = action.slug(), run_at = ?job.run_at, "{said}");
    progress(&job)
}

/// A job's counts as the browser shows them.
pub fn progress(job: &bulk_job::Model) -> Result<JobProgress, AppError> {
    Ok(JobProgress::new(job.id, action_of(job)?, counts(job), schedule::of(job)))
}

/// The part of a job's progress that changes while it runs.
pub fn counts(job: &bulk_job::Model) -> JobCounts {
    JobCounts {
        state: job.state,
        total: job.total.unsigned_abs().into(),
        done: job.done_count.unsigned_abs().into(),
        failed: job.failed_count.unsigned_abs().into(),
        skipped: job.skipped_count.unsigned_abs().into(),
    }
}

pub fn action_of(job: &bulk_job::Model) -> Result<JobAction, AppError> {
    serde_json::from_str(&job.params).map_err(|err| AppError::internal(format!("job {}: bad params: {err}", job.id)))
}

/// The job `id` and its domain, if the actor may see that domain.
pub(super) async fn visible_job(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<(bulk_job::Model, domain::Model), AppError> {
    domains::row_in_scope::<bulk_job::Entity>(db, actor, id, "bulk action").await
}

/// The progress of job `id` and its users' outcomes: every failure, then the rest in extension order.
pub async fn status(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<JobStatus, AppError> {
    let (job, domain) = visible_job(db, actor, id).await?;
    let of_job = || bulk_job_item::Entity::find().filter(bulk_job_item::Column::JobId.eq(job.id));
    let mut items = of_job()
        .filter(bulk_job_item::Column::State.eq(ItemState::Failed))
        .order_by_asc(bulk_job_item::Column::Id)
        .limit(ITEMS_SHOWN)
        .all(db)
        .await?;
    let room = ITEMS_SHOWN.saturating_sub(items.len() as u64);
    items.extend(
        of_job()
            .filter(bulk_job_item::Column::State.ne(ItemState::Failed))
            .order_by_asc(bulk_job_item::Column::Id)
            .limit(room)
            .all(db)
            .await?,
    );
    let progress = progress(&job)?;
    Ok(JobStatus {
        email_recommended: domain.wants_email(),
        domain: domain.name,
        truncated: (items.len() as u64) < progress.total,
        items: items.into_iter().map(outcome).collect(),
        progress,
    })
}

pub(super) fn outcome(item: bulk_job_item::Model) -> ItemOutcome {
    ItemOutcome {
        user_id: item.user_id,
        extension: item.extension,
        name: item.name,
        state: item.state,
        error: item.error,
    }
}

/// The managed domain's unfinished jobs (running or scheduled), oldest first: what the Users page's
/// banner shows.
pub async fn running(db: &DatabaseConnection, managed: &ManagedDomain) -> Result<Vec<JobProgress>, AppError> {
    Ok(unfinished(db, managed.domain().id).await?)
}

/// `running`, for the banner's live feed (`live`), whose viewers were checked when they came.
pub(super) async fn unfinished(db: &DatabaseConnection, domain_id: i32) -> Result<Vec<JobProgress>, DbErr> {
    let jobs = bulk_job::Entity::find()
        .filter(bulk_job::Column::DomainId.eq(domain_id))
        .filter(bulk_job::Column::State.is_in([JobState::Running, JobState::Scheduled]))
        .order_by_asc(bulk_job::Column::Id)
        .all(db)
        .await?;
    // A job whose request cannot be read (logged) is left out of the banner rather than ending it.
    Ok(jobs.iter().filter_map(|job| progress(job).ok()).collect())
}

/// The most recent jobs in the actor's scope, newest first.
pub async fn recent(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<JobSummary>, AppError> {
    actor.require_admin()?;
    let Some(in_scope) = actor.domain_scope().condition(bulk_job::Column::DomainId) else { return Ok(Vec::new()) };
    bulk_job::Entity::find()
        .find_also_related(domain::Entity)
        .filter(in_scope)
        .order_by_desc(bulk_job::Column::Id)
        .limit(RECENT_JOBS)
        .all(db)
        .await?
        .into_iter()
        .map(|(job, domain)| {
            Ok(JobSummary {
                progress: progress(&job)?,
                domain: domain.map(|domain| domain.name).unwrap_or_default(),
                actor: job.actor,
                started: job.started_at.map(time::to_minute),
                finished: job.finished_at.map(time::to_minute),
            })
        })
        .collect()
}

/// Cancels running or scheduled job `id`, if every one of its users is within the actor's reach
/// (`targets::require_reach`): its users still waiting are marked "Cancelled" and left as they are; those
/// done stay done (a reset cannot be undone). A batch a worker holds at that moment either finished
/// first (its users are done) or finds its users cancelled and leaves them (the worker marks a user done
/// only while its item is still pending), so no user is half done.
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    let (job, domain) = visible_job(db, actor, id).await?;
    targets::require_reach(db, actor, &job, "cancel").await?;
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
    progress(&job)
}

/// Job `id`'s per-user results as CSV: a file name and its text.
pub async fn results_csv(db: &DatabaseConnection, actor: &Actor, id: i32) -> Result<(String, String), AppError> {
    let (job, domain) = visible_job(db, actor, id).await?;
    let items = bulk_job_item::Entity::find()
        .filter(bulk_job_item::Column::JobId.eq(job.id))
        .order_by_asc(bulk_job_item::Column::Id)
        .all(db)
        .await?;
    let mut csv = spreadsheet::Csv::new(["extension", "name", "outcome", "error", "finished_at"])?;
    for item in items {
        let finished = item.finished_at.map(|at| at.to_rfc3339()).unwrap_or_default();
        let outcome = item.state.label();
        csv.row([item.extension.as_str(), &item.name, outcome, item.error.as_deref().unwrap_or(""), &finished])?;
    }
    Ok((format!("switchboard-{}-job-{}.csv", domain.name, job.id), csv.finish()?))
}
