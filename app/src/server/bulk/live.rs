//! Live progress: the streams the progress step and the Users page's banner listen to (served as
//! server-sent events by the server's `events` routes). Each looks at the job rows a few times a
//! second and sends only what changed, so any replica can serve them, a browser that reconnects
//! (it does so by itself) picks up where it was, and a watched 10,000-user job costs the watcher a
//! few hundred bytes a second instead of its whole list of users. Nothing new is sent before the
//! watcher's session is looked at again: a stream ends within a tick of its session ending (signed
//! out, timed out, a forced password reset) or of its user losing the domain.

use crate::bulk::{ItemState, JobCounts, JobEvent, JobProgress, ITEMS_SHOWN};
use crate::error::AppError;
use crate::server::auth::authz::Actor;
use crate::server::auth::request::{self, Identity};
use crate::server::entities::{bulk_job, bulk_job_item, domain};
use crate::server::settings::SessionLimits;
use crate::server::{auth::sessions, bulk::jobs, directory::domains, AppState};
use futures::stream::{self, Stream};
use http::HeaderMap;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};
use std::collections::{HashSet, VecDeque};
use std::time::Duration;

/// How often a stream looks at the database: a dialog updates at least twice a second.
pub const TICK: Duration = Duration::from_millis(250);

/// Who watches a stream: the signed-in user, and the session they watch with.
pub struct Viewer {
    actor: Actor,
    token: String,
    limits: SessionLimits,
}

impl Viewer {
    /// The request's user, if they are signed in (and need not change their password first).
    pub fn of(state: &AppState, headers: &HeaderMap, identity: Identity) -> Result<Viewer, AppError> {
        let actor = identity.admitted()?;
        let token = request::session_token(state, headers).ok_or(AppError::NotSignedIn)?;
        Ok(Viewer { actor, token, limits: state.settings.sessions })
    }

    /// Whether the session is still theirs and still lets them see the domain's jobs.
    async fn still_sees(&self, db: &DatabaseConnection, domain: &domain::Model) -> Result<bool, AppError> {
        let Some(now) = sessions::actor(db, &self.token, &self.limits).await? else { return Ok(false) };
        Ok(now.user_id == self.actor.user_id
            && !now.must_change_password
            && now.manage(&domain.name, Some(domain.clone())).is_ok())
    }
}

/// One event of a job's stream, with the id the browser sends back (`Last-Event-ID`) when it
/// reconnects: the last failure it has seen.
pub type Numbered = (Option<i32>, JobEvent);

/// Job `id`'s stream, if the actor may see the job: its counts, then each failure after item
/// `after` (the browser's `Last-Event-ID`) once, and new counts whenever they change, until the job is
/// finished. A database error ends the stream; the browser then reconnects.
pub async fn job_events(
    db: DatabaseConnection,
    viewer: Viewer,
    id: i32,
    after: Option<i32>,
) -> Result<impl Stream<Item = Numbered> + Send + 'static, AppError> {
    let (job, domain) = jobs::visible_job(&db, &viewer.actor, id).await?;
    let watch = JobWatch {
        db,
        viewer,
        domain,
        job: job.id,
        shown: None,
        after: after.unwrap_or(0),
        sent: HashSet::new(),
        queue: VecDeque::new(),
    };
    Ok(stream::unfold((watch, false), |(mut watch, mut finished)| async move {
        loop {
            if let Some(event) = watch.queue.pop_front() {
                return Some((event, (watch, finished)));
            }
            if finished {
                return None;
            }
            if watch.shown.is_some() {
                tokio::time::sleep(TICK).await;
            }
            match watch.look().await {
                Ok(now) => finished = now,
                Err(err) => {
                    tracing::warn!(%err, job = watch.job, "job progress stream ended");
                    return None;
                }
            }
        }
    }))
}

/// What a job's stream has sent so far.
struct JobWatch {
    db: DatabaseConnection,
    viewer: Viewer,
    domain: domain::Model,
    job: i32,
    shown: Option<JobCounts>,
    /// Failed items up to this one were sent before the browser reconnected.
    after: i32,
    /// The failed items this stream has sent. Replicas finish batches out of order, so a failure may
    /// appear below one already sent.
    sent: HashSet<i32>,
    queue: VecDeque<Numbered>,
}

impl JobWatch {
    /// Queues what changed since the last look; true once the job is finished.
    async fn look(&mut self) -> Result<bool, AppError> {
        let job = bulk_job::Entity::find_by_id(self.job)
            .one(&self.db)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no bulk action number {}.", self.job)))?;
        let counts = jobs::counts(&job);
        // Failures before the counts that include them: the last counts close the stream.
        let room = ITEMS_SHOWN.saturating_sub(self.sent.len() as u64);
        if counts.failed > 0 && room > 0 && Some(counts.failed) != self.shown.map(|shown| shown.failed) {
            let failed = bulk_job_item::Entity::find()
                .filter(bulk_job_item::Column::JobId.eq(self.job))
                .filter(bulk_job_item::Column::State.eq(ItemState::Failed))
                .filter(bulk_job_item::Column::Id.gt(self.after))
                .order_by_asc(bulk_job_item::Column::Id)
                .limit(ITEMS_SHOWN)
                .all(&self.db)
                .await?;
            let new: Vec<_> =
                failed.into_iter().filter(|item| !self.sent.contains(&item.id)).take(room as usize).collect();
            for item in new {
                self.sent.insert(item.id);
                self.queue.push_back((Some(item.id), JobEvent::Failed(jobs::outcome(item))));
            }
        }
        if self.shown != Some(counts) {
            self.shown = Some(counts);
            self.queue.push_back((None, JobEvent::Counts(counts)));
        }
        if !self.queue.is_empty() && !self.viewer.still_sees(&self.db, &self.domain).await? {
            tracing::info!(job = self.job, "job progress stream ended: its viewer may no longer see it");
            self.queue.clear();
            return Ok(true);
        }
        Ok(job.state.is_over())
    }
}

/// The unfinished jobs of the domain `name`, if the viewer may manage it: the list whenever it changes
/// (first of all, as it is), until it is empty. The Users page's banner; the page opens it again when
/// it starts a job.
pub async fn running(
    db: DatabaseConnection,
    viewer: Viewer,
    name: &str,
) -> Result<impl Stream<Item = Vec<JobProgress>> + Send + 'static, AppError> {
    let managed = domains::managed(&db, &viewer.actor, name).await?;
    let viewer = std::sync::Arc::new(viewer);
    Ok(stream::unfold(Some(None::<Vec<JobProgress>>), move |seen| {
        let (db, managed, viewer) = (db.clone(), managed.clone(), viewer.clone());
        async move {
            let mut seen = seen?;
            let domain = managed.domain();
            loop {
                if seen.is_some() {
                    tokio::time::sleep(TICK).await;
                }
                let jobs = match jobs::running(&db, &managed).await {
                    Ok(jobs) => jobs,
                    Err(err) => {
                        tracing::warn!(%err, domain = domain.name, "running jobs stream ended");
                        return None;
                    }
                };
                if seen.as_ref() != Some(&jobs) {
                    if !viewer.still_sees(&db, domain).await.unwrap_or(false) {
                        tracing::info!(
                            domain = domain.name,
                            "running jobs stream ended: its viewer may no longer see it"
                        );
                        return None;
                    }
                    let next = (!jobs.is_empty()).then(|| Some(jobs.clone()));
                    return Some((jobs, next));
                }
                seen = Some(jobs);
            }
        }
    }))
}
