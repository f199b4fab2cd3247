//! Reading how far jobs have got, within the reader's scope: a job's counts and its users' outcomes for
//! the progress step and the live streams, the Users page's banner, the Activity page and the CSV.

use crate::server::auth::authz::{Actor, ManagedDomain};
use crate::server::bulk::waiting::{self, Asked};
use crate::server::bulk::{schedule, spreadsheet};
use crate::server::directory::domains;
use crate::server::entities::{bulk_job, bulk_job_item, domain};
use crate::server::settings::BulkLimits;
use crate::server::time;
use crate::shared::bulk::{
    ItemOutcome, ItemState, JobAction, JobCounts, JobProgress, JobState, JobStatus, JobSummary, Waiting, ITEMS_SHOWN,
};
use crate::shared::error::AppError;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};

/// How many jobs the Activity page lists.
const RECENT_JOBS: u64 = 50;

/// A job's counts as the browser shows them.
pub fn progress(job: &bulk_job::Model) -> Result<JobProgress, AppError> {
    Ok(JobProgress { id: job.id, action: action_of(job)?, counts: counts(job), schedule: schedule::of(job) })
}

/// The part of a job's progress that changes while it runs, as its row has it (why it waits is
/// `waiting_of`).
pub fn counts(job: &bulk_job::Model) -> JobCounts {
    JobCounts {
        state: job.state,
        total: job.total.unsigned_abs().into(),
        done: job.done_count.unsigned_abs().into(),
        failed: job.failed_count.unsigned_abs().into(),
        skipped: job.skipped_count.unsigned_abs().into(),
        waiting: None,
    }
}

/// Why `job` makes no progress for now, if it is running and waits.
pub(crate) async fn waiting_of(
    db: &DatabaseConnection,
    limits: BulkLimits,
    job: &bulk_job::Model,
) -> Result<Option<Waiting>, DbErr> {
    Ok(waiting::reasons(db, limits, job.domain_id, Asked::One(job)).await?.pop().flatten())
}

pub fn action_of(job: &bulk_job::Model) -> Result<JobAction, AppError> {
    serde_json::from_str(&job.params).map_err(|err| AppError::internal(format!("job {}: bad params: {err}", job.id)))
}

/// The job `id` and its domain, if the actor may see that domain.
pub(crate) async fn visible_job(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<(bulk_job::Model, domain::Model), AppError> {
    domains::row_in_scope::<bulk_job::Entity>(db, actor, id, "bulk action").await
}

/// The progress of job `id` (with why it waits, under `limits`) and its users' outcomes: every failure,
/// then the rest in extension order.
pub async fn status(
    db: &DatabaseConnection,
    actor: &Actor,
    limits: BulkLimits,
    id: i32,
) -> Result<JobStatus, AppError> {
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
    let mut progress = progress(&job)?;
    progress.counts.waiting = waiting_of(db, limits, &job).await?;
    Ok(JobStatus {
        email_recommended: domain.wants_email(),
        domain: domain.name,
        truncated: (items.len() as u64) < progress.counts.total,
        items: items.into_iter().map(outcome).collect(),
        progress,
    })
}

pub(crate) fn outcome(item: bulk_job_item::Model) -> ItemOutcome {
    ItemOutcome {
        user_id: item.user_id,
        extension: item.extension,
        name: item.name,
        state: item.state,
        error: item.error,
    }
}

/// The managed domain's unfinished jobs (running or scheduled), oldest first, with why each waits under
/// `limits`: what the Users page's banner shows.
pub async fn running(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    limits: BulkLimits,
) -> Result<Vec<JobProgress>, AppError> {
    Ok(unfinished(db, managed.domain().id, limits).await?)
}

/// `running`, for the banner's live feed (`live`), whose viewers were checked when they came.
pub(crate) async fn unfinished(
    db: &DatabaseConnection,
    domain_id: i32,
    limits: BulkLimits,
) -> Result<Vec<JobProgress>, DbErr> {
    let jobs = bulk_job::Entity::find()
        .filter(bulk_job::Column::DomainId.eq(domain_id))
        .filter(bulk_job::Column::State.is_in([JobState::Running, JobState::Scheduled]))
        .order_by_asc(bulk_job::Column::Id)
        .all(db)
        .await?;
    let reasons = waiting::reasons(db, limits, domain_id, Asked::EveryUnfinished(&jobs)).await?;
    // A job whose request cannot be read (logged) is left out of the banner rather than ending it.
    Ok(jobs
        .iter()
        .zip(reasons)
        .filter_map(|(job, waiting)| {
            let mut progress = progress(job).ok()?;
            progress.counts.waiting = waiting;
            Some(progress)
        })
        .collect())
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
