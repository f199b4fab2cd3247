//! Why a running job makes no progress for now, found as the worker decides it (`worker::claim`), from
//! the same rows, so that every replica tells it alike: the operator holds the domain's bulk work
//! (`hold`), the domain has had its users for this hour (`rate`), or its earlier jobs have each of the
//! places it has (`BulkLimits::jobs_per_domain`).

use crate::server::bulk::{hold, rate};
use crate::server::entities::bulk_job;
use crate::server::settings::BulkLimits;
use crate::shared::bulk::{JobState, Waiting};
use chrono::Utc;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};

/// The jobs a caller asks about, and whether they are all the domain has: then which of its running
/// jobs have a place is read off them rather than asked of the database again.
#[derive(Clone, Copy)]
pub enum Asked<'a> {
    /// One job of the domain (the progress dialog).
    One(&'a bulk_job::Model),
    /// Every unfinished job of the domain, oldest first (the Users page's banner).
    EveryUnfinished(&'a [bulk_job::Model]),
}

impl<'a> Asked<'a> {
    fn jobs(self) -> &'a [bulk_job::Model] {
        match self {
            Asked::One(job) => std::slice::from_ref(job),
            Asked::EveryUnfinished(jobs) => jobs,
        }
    }
}

/// Why each of the `asked` jobs of the domain `domain_id` waits: none for one that is not running, or
/// goes ahead.
pub async fn reasons(
    db: &impl ConnectionTrait,
    limits: BulkLimits,
    domain_id: i32,
    asked: Asked<'_>,
) -> Result<Vec<Option<Waiting>>, DbErr> {
    let jobs = asked.jobs();
    let running = |job: &bulk_job::Model| job.state == JobState::Running;
    if !jobs.iter().any(running) {
        return Ok(vec![None; jobs.len()]);
    }
    if let Some(reason) = domain_reason(db, limits, domain_id).await? {
        return Ok(jobs.iter().map(|job| running(job).then_some(reason)).collect());
    }
    let placed = match asked {
        Asked::One(_) => placed(db, limits, domain_id).await?,
        Asked::EveryUnfinished(jobs) => {
            jobs.iter().filter(|job| running(job)).take(limits.jobs_per_domain).map(|job| job.id).collect()
        }
    };
    let at_once = u32::try_from(limits.jobs_per_domain).unwrap_or(u32::MAX);
    Ok(jobs
        .iter()
        .map(|job| (running(job) && !placed.contains(&job.id)).then_some(Waiting::EarlierJobs { at_once }))
        .collect())
}

/// What holds back every running job of the domain, if anything does: the operator's hold, then the
/// hourly limit.
async fn domain_reason(
    db: &impl ConnectionTrait,
    limits: BulkLimits,
    domain_id: i32,
) -> Result<Option<Waiting>, DbErr> {
    if hold::allowance(db, domain_id).await?.is_some_and(|users| users <= 0) {
        return Ok(Some(Waiting::Held));
    }
    let Some(per_hour) = limits.users_per_hour else { return Ok(None) };
    let Some(room) = rate::room_again(db, domain_id, per_hour).await? else { return Ok(None) };
    // Whole minutes, rounded up: "in about 0 minutes" tells nobody anything.
    let seconds = (room - Utc::now()).num_seconds().max(1);
    let minutes = u32::try_from(seconds.unsigned_abs().div_ceil(60)).unwrap_or(u32::MAX);
    Ok(Some(Waiting::HourlyLimit { per_hour, minutes }))
}

/// The domain's running jobs that have a place, as the worker gives them: the oldest ones.
async fn placed(db: &impl ConnectionTrait, limits: BulkLimits, domain_id: i32) -> Result<Vec<i32>, DbErr> {
    bulk_job::Entity::find()
        .select_only()
        .column(bulk_job::Column::Id)
        .filter(bulk_job::Column::DomainId.eq(domain_id))
        .filter(bulk_job::Column::State.eq(JobState::Running))
        .order_by_asc(bulk_job::Column::Id)
        .limit(u64::try_from(limits.jobs_per_domain).unwrap_or(u64::MAX))
        .into_tuple()
        .all(db)
        .await
}
