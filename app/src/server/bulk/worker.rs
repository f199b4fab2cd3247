//! The bulk job worker. Each server process runs one; several replicas on one PostgreSQL share the work.
//!
//! Each round divides a batch of pending job items fairly between the running jobs (`tasks::share`),
//! and each job's part is taken and done in one transaction: the transaction marks the items done
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas take disjoint items side by side), does the
//! job's action to their users (a reset, a welcome email queued in the outbox, a forced password reset)
//! and counts them on the job. After a crash, kill -9 or power cut, a user is either fully handled and
//! marked done, or untouched and still pending, never half.
//!
//! When that transaction fails (one user's fault) or the operator's hold lets fewer users through, it is
//! rolled back and the part goes the leased way: claimed under a lease (`leases`), then its users are
//! done one by one, each in a transaction of its own, so one bad user fails alone, with the reason. A
//! lease runs out on its own, so the items of a replica that dies holding them are taken over by another.
//!
//! A scheduled job's items are pending too, holding its users, but no worker takes them until the job
//! is running: each round first starts the scheduled jobs that are due (`jobs::start_due`).

use crate::server::audit::{self, Action};
use crate::server::bulk::actions::{self, Refusal};
use crate::server::bulk::{hold, jobs, progress, rate};
use crate::server::db::ids::AmongIds;
use crate::server::db::unwritable::Unwritable;
use crate::server::entities::{bulk_job, bulk_job_item};
use crate::server::settings::{span, BulkLimits};
use crate::server::tasks::leases::{self, Claimant};
use crate::server::tasks::runner::{self, Handle, Pacing, Rounds};
use crate::server::tasks::share::{self, Queue, Rotation, Turn};
use crate::shared::bulk::{ItemState, JobAction, JobState};
use chrono::Utc;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    prelude::*, Condition, DatabaseTransaction, QueryOrder, QuerySelect, QueryTrait, TransactionTrait, UpdateMany,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Config {
    /// Users per transaction.
    pub batch_size: u64,
    /// How long a claim holds its items; far longer than a batch takes.
    pub lease: Duration,
    /// A pause after each batch, to spare a busy database (and to watch a small job progress).
    pub batch_pause: Duration,
    /// How often an idle worker looks for new work.
    pub idle_wait: Duration,
    /// A domain's share: its jobs at once (`tasks::share`) and users per hour (`rate`).
    pub limits: BulkLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            batch_size: 1000,
            lease: Duration::from_secs(30),
            batch_pause: Duration::ZERO,
            idle_wait: Duration::from_millis(200),
            limits: BulkLimits::default(),
        }
    }
}

/// How a job item is leased.
const LEASE: leases::Columns<bulk_job_item::Column> = leases::Columns {
    id: bulk_job_item::Column::Id,
    owner: bulk_job_item::Column::LeaseOwner,
    until: bulk_job_item::Column::LeaseUntil,
};

pub struct Worker {
    db: DatabaseConnection,
    claimant: Claimant,
    config: Config,
    /// Domains take turns when more have jobs running than one round serves.
    rotation: Rotation,
}

/// Items this worker holds until `lease_until`, tagged with `token`.
#[derive(Debug)]
pub struct Claim {
    token: String,
    pub items: Vec<bulk_job_item::Model>,
}

/// An item a batch has taken: which, and whose (`None`: the user was deleted since the job began). All
/// that doing the batch needs of it.
#[derive(Clone, Copy, Debug)]
struct Taken {
    id: i32,
    user_id: Option<i32>,
}

impl From<&bulk_job_item::Model> for Taken {
    fn from(item: &bulk_job_item::Model) -> Self {
        Taken { id: item.id, user_id: item.user_id }
    }
}

/// Why a batch (or one user) was not processed.
#[derive(Debug)]
enum Failure {
    /// Our lease ran out and another worker holds the items now: theirs to process, not a failure.
    LeaseLost,
    /// The operator holds the domain's bulk work (`hold`) and lets fewer users through, or the domain
    /// has had its users for this hour (`rate`): they wait.
    Held,
    /// Something about a user prevents it; said in words for the admin.
    User(String),
    Database(DbErr),
}

impl From<DbErr> for Failure {
    fn from(err: DbErr) -> Self {
        Failure::Database(err)
    }
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::User(reason) => Failure::User(reason),
            Refusal::Database(err) => Failure::Database(err),
        }
    }
}

/// Errors that say the database is out of reach, or cannot take writes for now (a full disk, say),
/// rather than that it refused this change: the items stay pending and are tried again, instead of
/// being marked failed.
fn is_unavailable(err: &DbErr) -> bool {
    matches!(err, DbErr::Conn(_) | DbErr::ConnectionAcquire(_)) || Unwritable::of(err).is_some()
}

impl Worker {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        Worker { db, claimant: Claimant::new("bulk-worker"), config, rotation: Rotation::default() }
    }

    /// Claims, under a lease, up to a batch of pending items that nobody holds (or whose holder's lease
    /// ran out), shared as a round is (`turns`). The leased way, for a part that cannot be done in one
    /// transaction; tests use it to stand for a worker that dies between claiming and processing.
    pub async fn claim(&self) -> Result<Option<Claim>, DbErr> {
        let token = self.claimant.next_token();
        let turns = self.turns().await?;
        let claim = |job, users| self.claim_of(job, users, &token);
        let items = share::claim(&turns, self.config.batch_size, claim).await?;
        if items.is_empty() {
            return Ok(None);
        }
        Ok(Some(Claim { token, items }))
    }

    /// This round's parts of the batch: shared fairly between the domains with running jobs and between
    /// a domain's jobs (`tasks::share`).
    async fn turns(&self) -> Result<Vec<Turn>, DbErr> {
        // Running jobs only: a scheduled job's items wait, pending, for its time, and a held domain's
        // for the operator.
        let running: Vec<(i32, i32)> = bulk_job::Entity::find()
            .select_only()
            .column(bulk_job::Column::Id)
            .column(bulk_job::Column::DomainId)
            .filter(bulk_job::Column::State.eq(JobState::Running))
            .filter(bulk_job::Column::DomainId.not_in_subquery(hold::standing_still()))
            .order_by_asc(bulk_job::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut running: Vec<Queue> = running.into_iter().map(|(id, domain)| Queue { id, domain }).collect();
        // A domain that had its users for this hour is not offered a turn (its batch would wait anyway).
        if let Some(limit) = self.config.limits.users_per_hour {
            let domains: Vec<i32> = running.iter().map(|queue| queue.domain).collect();
            let used = rate::used(&self.db, &domains).await?;
            running.retain(|queue| used.get(&queue.domain).copied().unwrap_or(0) < u64::from(limit));
        }
        Ok(self.rotation.next(&running, self.config.limits.jobs_per_domain, self.config.batch_size))
    }

    /// Takes up to `users` pending items of job `job` under `token`.
    async fn claim_of(&self, job: i32, users: u64, token: &str) -> Result<Vec<bulk_job_item::Model>, DbErr> {
        let lease = span(self.config.lease);
        leases::claim::<bulk_job_item::Entity>(&self.db, &LEASE, pending_of(job), users, token, lease).await
    }

    /// Starts the scheduled jobs that are due, then takes and does one batch, each job's part in one
    /// transaction; returns how many jobs it started and items it took (0: nothing to do).
    pub async fn run_once(&self) -> Result<usize, DbErr> {
        let started = jobs::start_due(&self.db).await?;
        let turns = self.turns().await?;
        let taken = share::claim(&turns, self.config.batch_size, |job, users| self.take(job, users)).await?;
        Ok(started + taken.len())
    }

    /// Takes up to `users` pending items of job `job` and does them in one transaction; when that fails
    /// (it is rolled back), the leased way. Returns the ids of the items taken.
    async fn take(&self, job: i32, users: u64) -> Result<Vec<i32>, DbErr> {
        // Items are deleted with their job, so the job is there while its items are.
        let Some(job) = bulk_job::Entity::find_by_id(job).one(&self.db).await? else { return Ok(Vec::new()) };
        if let Ok(action) = progress::action_of(&job) {
            match self.take_and_apply(&job, &action, users).await {
                Ok(taken) => return Ok(taken),
                Err(Failure::Database(err)) if is_unavailable(&err) => return Err(err),
                Err(failure) => {
                    tracing::debug!(job = job.id, ?failure, "a part failed whole; taking it the leased way")
                }
            }
        }
        let token = self.claimant.next_token();
        let items = self.claim_of(job.id, users, &token).await?;
        self.process_batch(&job, &token, &items).await?;
        Ok(items.iter().map(|item| item.id).collect())
    }

    /// Marks up to `users` pending items of `job` done and does its action to their users, in one
    /// transaction, committed only if all of it succeeds.
    async fn take_and_apply(&self, job: &bulk_job::Model, action: &JobAction, users: u64) -> Result<Vec<i32>, Failure> {
        let txn = self.db.begin().await?;
        let taken = async {
            // First a write, so that on SQLite the transaction holds the write lock from the start.
            let mut take = finishing(ItemState::Done, None)
                .filter(bulk_job_item::Column::Id.in_subquery(leases::free::<bulk_job_item::Entity>(
                    &LEASE,
                    pending_of(job.id),
                    users,
                )))
                .into_query();
            take.returning(Query::returning().columns([bulk_job_item::Column::Id, bulk_job_item::Column::UserId]));
            // Only what the batch needs of its items: decoding whole rows (names, extensions, leases) of
            // 10,000 items was a tenth of a reset's time on SQLite.
            let items = txn
                .query_all(txn.get_database_backend().build(&take))
                .await?
                .iter()
                .map(|row| Ok(Taken { id: row.try_get_by_index(0)?, user_id: row.try_get_by_index(1)? }))
                .collect::<Result<Vec<Taken>, DbErr>>()?;
            if !items.is_empty() {
                self.act(&txn, job, action, &items).await?;
            }
            Ok(items.iter().map(|item| item.id).collect())
        }
        .await;
        conclude(txn, taken).await
    }

    /// Processes a claim made by `claim`, job by job, the smallest part first: a small job is done (and
    /// its admin told) before the large one beside it takes its part of the batch.
    pub async fn process(&self, claim: Claim) -> Result<(), DbErr> {
        let mut by_job: BTreeMap<i32, Vec<bulk_job_item::Model>> = BTreeMap::new();
        for item in claim.items {
            by_job.entry(item.job_id).or_default().push(item);
        }
        let mut by_job: Vec<(i32, Vec<bulk_job_item::Model>)> = by_job.into_iter().collect();
        by_job.sort_by_key(|(_, items)| items.len());
        for (job_id, items) in by_job {
            // Items are deleted with their job, so the job is there while its items are.
            let Some(job) = bulk_job::Entity::find_by_id(job_id).one(&self.db).await? else { continue };
            self.process_batch(&job, &claim.token, &items).await?;
        }
        Ok(())
    }

    async fn process_batch(
        &self,
        job: &bulk_job::Model,
        token: &str,
        items: &[bulk_job_item::Model],
    ) -> Result<(), DbErr> {
        let action = match progress::action_of(job) {
            Ok(action) => action,
            Err(_) => {
                for item in items {
                    self.fail(job, token, item, Failure::User("The job's request cannot be read.".into())).await?;
                }
                return Ok(());
            }
        };
        match self.apply(job, &action, token, items).await {
            Ok(()) => Ok(()),
            Err(Failure::Database(err)) if is_unavailable(&err) => Err(err),
            // The operator lets fewer through than the batch: as many as they allow, one by one.
            Err(Failure::Held) => self.one_by_one(job, &action, token, items).await,
            Err(failure) if items.len() == 1 => self.fail(job, token, &items[0], failure).await,
            // One user's fault, or a lease lost on part of the batch: each user on their own, so that
            // the others are still done now.
            Err(failure) => {
                tracing::warn!(
                    job = job.id,
                    users = items.len(),
                    ?failure,
                    "batch failed; retrying its users one by one"
                );
                self.one_by_one(job, &action, token, items).await
            }
        }
    }

    /// Each of `items` in a transaction of its own; once the operator's hold stops one, the rest are
    /// let go at once, to wait for them.
    async fn one_by_one(
        &self,
        job: &bulk_job::Model,
        action: &JobAction,
        token: &str,
        items: &[bulk_job_item::Model],
    ) -> Result<(), DbErr> {
        for (n, item) in items.iter().enumerate() {
            match self.apply(job, action, token, std::slice::from_ref(item)).await {
                Ok(()) => {}
                Err(Failure::Database(err)) if is_unavailable(&err) => return Err(err),
                Err(Failure::Held) => {
                    let waiting: Vec<i32> = items[n..].iter().map(|item| item.id).collect();
                    return leases::release::<bulk_job_item::Entity>(&self.db, &LEASE, token, &waiting).await;
                }
                Err(failure) => self.fail(job, token, item, failure).await?,
            }
        }
        Ok(())
    }

    /// Marks `items`, held under `token`, done and does the job's action for them, all in one
    /// transaction.
    async fn apply(
        &self,
        job: &bulk_job::Model,
        action: &JobAction,
        token: &str,
        items: &[bulk_job_item::Model],
    ) -> Result<(), Failure> {
        let txn = self.db.begin().await?;
        let applied = async {
            // First a write, so that on SQLite the transaction holds the write lock from the start.
            let n = settle(&txn, token, items, ItemState::Done, None).await?;
            if n != items.len() {
                return Err(Failure::LeaseLost);
            }
            let taken: Vec<Taken> = items.iter().map(Taken::from).collect();
            self.act(&txn, job, action, &taken).await
        }
        .await;
        conclude(txn, applied).await
    }

    /// In `txn`, where `items` were just marked done: does the job's action to their users, if the
    /// operator's hold and the domain's hourly limit let them through, and counts them on the job.
    async fn act(
        &self,
        txn: &DatabaseTransaction,
        job: &bulk_job::Model,
        action: &JobAction,
        items: &[Taken],
    ) -> Result<(), Failure> {
        let n = items.len();
        if !hold::take(txn, job.domain_id, n).await? {
            return Err(Failure::Held);
        }
        if let Some(limit) = self.config.limits.users_per_hour {
            if !rate::within(txn, job.domain_id, limit).await? {
                return Err(Failure::Held);
            }
        }
        let user_ids: Vec<i32> = items.iter().filter_map(|item| item.user_id).collect();
        if user_ids.len() != n {
            return Err(Failure::User("The user no longer exists.".into()));
        }
        let done = actions::apply(txn, job, action, &user_ids).await?;
        let item_ids: Vec<i32> = items.iter().map(|item| item.id).collect();
        jobs::record_each(txn, job, done, &item_ids, json!({ "job": job.id })).await?;
        jobs::count_on_job(txn, job.id, bulk_job::Column::DoneCount, n).await?;
        jobs::finish_if_complete(txn, job).await?;
        Ok(())
    }

    /// Marks one item failed, with the reason, unless another worker holds it now; an item the
    /// operator holds back is let go, to be claimed again once they let it through.
    async fn fail(
        &self,
        job: &bulk_job::Model,
        token: &str,
        item: &bulk_job_item::Model,
        failure: Failure,
    ) -> Result<(), DbErr> {
        let reason = match failure {
            Failure::LeaseLost => return Ok(()),
            Failure::Held => {
                return leases::release::<bulk_job_item::Entity>(&self.db, &LEASE, token, &[item.id]).await
            }
            Failure::Database(err) if is_unavailable(&err) => return Err(err),
            Failure::User(reason) => reason,
            Failure::Database(err) => {
                tracing::error!(job = job.id, extension = %item.extension, %err, "a bulk job's user failed");
                "The database refused the change; the server log has the details.".to_string()
            }
        };
        let txn = self.db.begin().await?;
        if settle(&txn, token, std::slice::from_ref(item), ItemState::Failed, Some(&reason)).await? == 0 {
            // Another worker holds it now. Ended at once, not dropped, for the reason `conclude` gives.
            return txn.rollback().await;
        }
        let detail = json!({ "job": job.id, "error": reason });
        audit::record_many(&txn, [jobs::entry(job, Action::BulkItemFailed, item, detail)]).await?;
        jobs::count_on_job(&txn, job.id, bulk_job::Column::FailedCount, 1).await?;
        jobs::finish_if_complete(&txn, job).await?;
        txn.commit().await
    }

    /// Works until `stop` says so, finishing the batch in hand first.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let pacing = Pacing { idle: self.config.idle_wait, after_work: self.config.batch_pause };
        runner::repeat(self.claimant.name(), &self, pacing, stop).await
    }
}

/// Commits `txn` if `outcome` is a success, else rolls it back now. A transaction that is only dropped
/// is rolled back later, in the background, once its connection is back in the pool; until then it
/// keeps its locks, and the leased or one-by-one retry that follows at once would find the part's rows
/// skipped (PostgreSQL's `SKIP LOCKED`: nothing pending, the part left undone this round) or wait on them.
async fn conclude<T>(txn: DatabaseTransaction, outcome: Result<T, Failure>) -> Result<T, Failure> {
    match outcome {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(failure) => {
            // The failure is what counts. A rollback that fails too found the transaction already
            // ended (SQLite ends it itself on some errors, a full disk among them) or its connection
            // gone, which ends it on the server.
            if let Err(err) = txn.rollback().await {
                tracing::debug!(%err, "the rollback after a failed batch failed too");
            }
            Err(failure)
        }
    }
}

/// The pending items of job `job`.
fn pending_of(job: i32) -> Condition {
    Condition::all().add(bulk_job_item::Column::JobId.eq(job)).add(bulk_job_item::Column::State.eq(ItemState::Pending))
}

/// An update that marks items `state` (finished now, with `error` if they failed) and lets go of any
/// lease on them; the caller says which items.
fn finishing(state: ItemState, error: Option<&str>) -> UpdateMany<bulk_job_item::Entity> {
    bulk_job_item::Entity::update_many()
        .col_expr(bulk_job_item::Column::State, Expr::value(state))
        .col_expr(bulk_job_item::Column::Error, Expr::value(error.map(str::to_string)))
        .col_expr(bulk_job_item::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(bulk_job_item::Column::LeaseOwner, Expr::value(None::<String>))
        .col_expr(bulk_job_item::Column::LeaseUntil, Expr::value(None::<chrono::DateTime<Utc>>))
}

/// Marks the items `state` if they are still pending and held under `token`; returns how many were.
async fn settle(
    txn: &DatabaseTransaction,
    token: &str,
    items: &[bulk_job_item::Model],
    state: ItemState,
    error: Option<&str>,
) -> Result<usize, DbErr> {
    let ids: Vec<i32> = items.iter().map(|item| item.id).collect();
    let result = finishing(state, error)
        .filter(bulk_job_item::Column::Id.among(txn.get_database_backend(), ids))
        .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
        .filter(bulk_job_item::Column::LeaseOwner.eq(token))
        .exec(txn)
        .await?;
    Ok(usize::try_from(result.rows_affected).unwrap_or(usize::MAX))
}

impl Rounds for Worker {
    fn round(&self) -> impl std::future::Future<Output = Result<usize, DbErr>> + Send {
        self.run_once()
    }
}

/// Starts this process's worker.
pub async fn spawn(db: DatabaseConnection, config: Config) -> Result<Handle, DbErr> {
    leases::release_stale::<bulk_job_item::Entity>(&db, &LEASE).await?;
    let worker = Worker::new(db, config);
    Ok(Handle::spawn("bulk job worker", move |stop| worker.run(stop)))
}
