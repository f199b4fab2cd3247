//! Jobs scheduled for a time: the time an admin chose in their own time zone, checked and kept in UTC;
//! starting a job when its time comes, by whichever worker looks first and exactly once; and "Run now".
//!
//! A scheduled job holds its users from the start (their items are pending, so no other job can take
//! them), but the rules are checked again when it starts: a user who no longer qualifies then is
//! skipped, with the reason, and nothing is done to them.

use crate::bulk::{ItemState, JobProgress, JobState, Schedule, When};
use crate::error::AppError;
use crate::model::UserStatus;
use crate::server::audit::{self, Action};
use crate::server::auth::authz::Actor;
use crate::server::entities::{bulk_job, bulk_job_item, domain, user};
use crate::server::{bulk::hold, bulk::jobs, bulk::targets, bulk::worker};
use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, QueryOrder, QuerySelect, TransactionTrait};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// A job may be scheduled at most this far ahead.
const MAX_DAYS_AHEAD: i64 = 366;

/// The longest time zone name and date-time text read.
const MAX_ZONE_LEN: usize = 64;
const MAX_LOCAL_LEN: usize = 32;

/// How many due jobs a worker starts in one look.
const DUE_PER_LOOK: u64 = 10;

/// A time a job is to start, and the zone it was chosen in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunAt {
    pub at: DateTime<Utc>,
    pub zone: Tz,
}

impl RunAt {
    pub fn schedule(&self) -> Schedule {
        describe(self.at, self.zone)
    }
}

/// The time `when` names, if it names one, after checking it: a real time in a known zone, in the
/// future (after `now`) and within a year. Each refusal is at the time field and says why.
pub fn parse(when: &When, now: DateTime<Utc>) -> Result<Option<RunAt>, AppError> {
    let (local, zone) = match when {
        When::Now => return Ok(None),
        When::At { local, zone } => (local.trim(), zone.trim()),
    };
    let refuse = |message: String| AppError::invalid(When::FIELD, message);
    // Zone names are short ("America/Argentina/ComodRivadavia" is among the longest): a longer one is
    // not read, nor repeated back.
    let zone: Tz = Some(zone)
        .filter(|zone| zone.len() <= MAX_ZONE_LEN)
        .and_then(|zone| zone.parse().ok())
        .ok_or_else(|| refuse("Your browser's time zone is not one this server knows; choose Now instead.".into()))?;
    if local.is_empty() {
        return Err(refuse("Choose the date and time of the reset.".into()));
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .filter(|_| local.len() <= MAX_LOCAL_LEN)
        .find_map(|format| NaiveDateTime::parse_from_str(local, format).ok())
        .ok_or_else(|| refuse("Enter the date and time like 2026-12-04 18:00.".into()))?;
    let at = match zone.from_local_datetime(&naive) {
        LocalResult::Single(at) => at,
        // The hour the clocks go back happens twice: the first one.
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => {
            return Err(refuse(format!(
                "{} does not exist in {} (the clocks go forward then); choose another time.",
                naive.format("%H:%M on %-d %B"),
                zone.name()
            )))
        }
    }
    .with_timezone(&Utc);
    if at <= now {
        let now_there = now.with_timezone(&zone);
        return Err(refuse(format!(
            "Choose a time in the future: it is already {} in {}.",
            now_there.format("%H:%M on %-d %B"),
            zone.name()
        )));
    }
    if at > now + chrono::Duration::days(MAX_DAYS_AHEAD) {
        return Err(refuse("Choose a time within a year from now.".into()));
    }
    Ok(Some(RunAt { at, zone }))
}

/// `at` as people in `zone` read it: "Friday 4 December at 18:00", "Fri 4 Dec 18:00" (with the year
/// when it is not this year's).
pub fn describe(at: DateTime<Utc>, zone: Tz) -> Schedule {
    let local = at.with_timezone(&zone);
    let this_year = Utc::now().with_timezone(&zone).year() == local.year();
    let (long, short) = if this_year {
        ("%A %-d %B at %H:%M", "%a %-d %b %H:%M")
    } else {
        ("%A %-d %B %Y at %H:%M", "%a %-d %b %Y %H:%M")
    };
    Schedule { long: local.format(long).to_string(), short: local.format(short).to_string(), zone: zone.name().into() }
}

/// When job `job` is to start, if it was scheduled.
pub fn of(job: &bulk_job::Model) -> Option<Schedule> {
    let zone = job.time_zone.as_deref().and_then(|zone| zone.parse().ok()).unwrap_or(Tz::UTC);
    job.run_at.map(|at| describe(at, zone))
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
/// within their reach (`targets::require_reach`).
pub async fn run_now(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    let (job, _) = jobs::visible_job(db, actor, id).await?;
    targets::require_reach(db, actor, &job, "run").await?;
    if !begin(db, &job, Some((actor, remote_addr))).await? {
        return Err(AppError::Conflict(
            "This bulk action is not scheduled any more: it has started, finished or been cancelled.".into(),
        ));
    }
    let job = bulk_job::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::internal("job gone"))?;
    jobs::progress(&job)
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
                .filter(bulk_job_item::Column::Id.is_in(ids.to_vec()))
                .exec(&txn)
                .await?;
        }
    }
    let entries = skipped.iter().map(|(item, reason)| {
        worker::entry(job, Action::BulkItemSkipped, item, json!({ "job": job.id, "reason": reason }))
    });
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
        None => worker::on_behalf(job, Action::BulkJobStarted, detail),
    };
    entry.record(&txn).await?;
    worker::finish_if_complete(&txn, job).await?;
    txn.commit().await?;
    tracing::info!(job = job.id, skipped = skipped.len(), "scheduled bulk job started");
    Ok(true)
}

/// The job's items whose users no longer qualify, each with why: the rules of `targets::check`, as they
/// stand now, for the admin who scheduled it as they stand now (reset since, they have no authority). (Nobody can be in another unfinished job: this job's pending items have held them since
/// it was scheduled; and the job holds at most `MAX_JOB_USERS` users since then too.)
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
        .filter(user::Column::Id.is_in(ids))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(local: &str, zone: &str) -> When {
        When::At { local: local.into(), zone: zone.into() }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).expect("a valid time")
    }

    fn message(result: Result<Option<RunAt>, AppError>) -> String {
        match result {
            Err(AppError::Invalid(problems)) => {
                assert_eq!(problems[0].field, When::FIELD);
                problems[0].message.clone()
            }
            other => panic!("expected a refusal at the time field, got {other:?}"),
        }
    }

    #[test]
    fn a_local_time_is_kept_in_utc_and_shown_in_its_zone() {
        let now = utc("2026-12-01T09:00:00Z");
        let run_at = parse(&at("2026-12-04T18:00", "Europe/Berlin"), now).unwrap().unwrap();
        assert_eq!(run_at.at, utc("2026-12-04T17:00:00Z"));
        let schedule = describe(run_at.at, run_at.zone);
        assert_eq!(schedule.zone, "Europe/Berlin");
        assert!(schedule.long.starts_with("Friday 4 December"), "{schedule:?}");
        assert!(schedule.short.starts_with("Fri 4 Dec") && schedule.short.ends_with("18:00"), "{schedule:?}");
        assert_eq!(parse(&When::Now, now).unwrap(), None);
        let with_seconds = parse(&at("2026-12-01T10:00:30", "Europe/Berlin"), now).unwrap().unwrap();
        assert_eq!(with_seconds.at, utc("2026-12-01T09:00:30Z"));
    }

    #[test]
    fn each_bad_time_is_refused_at_the_field_with_why() {
        let now = utc("2026-12-01T09:00:00Z");
        assert_eq!(message(parse(&at("", "Europe/Berlin"), now)), "Choose the date and time of the reset.");
        assert!(message(parse(&at("2026-12-01T09:59", "Europe/Berlin"), now))
            .starts_with("Choose a time in the future: it is already 10:00"));
        assert!(message(parse(&at("2026-03-29T02:30", "Europe/Berlin"), utc("2026-01-01T00:00:00Z")))
            .contains("does not exist in Europe/Berlin"));
        assert_eq!(
            message(parse(&at("2028-01-01T00:00", "Europe/Berlin"), now)),
            "Choose a time within a year from now."
        );
        assert!(message(parse(&at("tomorrow", "Europe/Berlin"), now)).starts_with("Enter the date and time like"));
        assert!(message(parse(&at("2026-12-04T18:00", "Mars/Olympus"), now)).contains("time zone is not one"));
    }
}
