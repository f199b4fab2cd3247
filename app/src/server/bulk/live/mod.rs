//! Live progress: the streams the progress step and the Users page's banner listen to (served as
//! server-sent events by the server's `events` routes). Any replica can serve them: what they send is
//! read from the job rows, and a browser that reconnects (it does so by itself) picks up where it was.
//!
//! One replica may have hundreds of streams open on one job (a provider's admins all watching the
//! Monday reset). So each replica has one `Hub`:
//! - one reader per job, and one per domain's banner, looks at the database a few times a second
//!   while anyone watches, and every stream of that job or banner is fed from it;
//! - the sessions of every open stream are looked at again together, in one query: before any news
//!   is handed to the streams (nothing new reaches a session that has ended: signed out, timed out,
//!   reset, a forced password reset, or a user who lost the domain), and on a timer,
//!   `StreamLimits::session_check`, so that a stream with no news (a job scheduled for next week)
//!   ends within that time of its session, and costs nothing meanwhile;
//! - one session may have only `StreamLimits::per_session` streams open on a replica.

mod feeds;
mod viewers;

use crate::server::auth::authz::Actor;
use crate::server::auth::request::{self, Identity};
use crate::server::entities::{bulk_job, bulk_job_item, domain};
use crate::server::settings::{BulkLimits, Settings};
use crate::server::{bulk::progress, directory::domains, AppState};
use crate::shared::bulk::{ItemOutcome, ItemState, JobCounts, JobEvent, JobProgress, JobState, ITEMS_SHOWN};
use crate::shared::error::AppError;
use feeds::{Feeds, Reader};
use futures::stream::{self, Stream};
use http::HeaderMap;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use viewers::{Pass, Viewers};

/// How often a reader looks at a running job: a dialog updates at least twice a second.
pub const TICK: Duration = Duration::from_millis(250);
/// How often it looks at a job waiting for its time: only an admin's Run now or Cancel changes it.
const SCHEDULED_TICK: Duration = Duration::from_secs(1);

/// A replica's open progress streams and the readers that feed them.
pub struct Hub {
    db: DatabaseConnection,
    jobs: Feeds<i32, JobNews>,
    banners: Feeds<i32, Vec<JobProgress>>,
    viewers: Arc<Viewers>,
    /// What the worker holds domains to, to say why a job waits.
    limits: BulkLimits,
}

impl Hub {
    pub fn new(db: DatabaseConnection, settings: &Settings) -> Self {
        let viewers = Arc::new(Viewers::new(settings.sessions, settings.streams));
        Hub { db, jobs: Feeds::default(), banners: Feeds::default(), viewers, limits: settings.bulk }
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

/// Who watches a stream: the signed-in user and their session, admitted by the hub.
pub struct Viewer {
    actor: Actor,
    pass: Pass,
}

impl Viewer {
    /// The request's user, if they are signed in (and need not change their password first), and their
    /// session has a stream to spare on this replica.
    pub fn of(state: &AppState, headers: &HeaderMap, identity: Identity) -> Result<Viewer, AppError> {
        let actor = identity.admitted()?;
        let token = request::session_token(state, headers).ok_or(AppError::NotSignedIn)?;
        let pass = state.live.viewers.enter(&state.live.db, token, &actor)?;
        Ok(Viewer { actor, pass })
    }

    /// Whether the session, as last looked at, is still theirs and still lets them see `domain`'s jobs.
    fn still_sees(&mut self, domain: &domain::Model) -> bool {
        match &*self.pass.session.borrow_and_update() {
            Some(now) => {
                now.user_id == self.actor.user_id
                    && !now.must_change_password
                    && now.manage(&domain.name, Some(domain.clone())).is_ok()
            }
            None => false,
        }
    }
}

/// What a job's reader publishes: its counts and its first failures, each with its item's id.
#[derive(Clone, Debug, PartialEq)]
struct JobNews {
    counts: JobCounts,
    failed: Failures,
}

type Failures = Arc<Vec<(i32, ItemOutcome)>>;

struct JobReader {
    db: DatabaseConnection,
    limits: BulkLimits,
    /// The counts last read: a job whose counts have moved since is not waiting, and why it waits is
    /// not asked (two or more queries a tick, saved while it runs).
    last: Option<JobCounts>,
    /// The failures last read, and the count they were read at: read again only when it changes.
    failed: Option<(u64, Failures)>,
}

impl Reader<i32, JobNews> for JobReader {
    async fn read(&mut self, id: i32) -> Result<Option<JobNews>, DbErr> {
        let Some(job) = bulk_job::Entity::find_by_id(id).one(&self.db).await? else { return Ok(None) };
        let counts = progress::counts(&job);
        let moved = self.last.replace(counts).is_some_and(|last| last != counts);
        let waiting = if moved { None } else { progress::waiting_of(&self.db, self.limits, &job).await? };
        let counts = JobCounts { waiting, ..counts };
        let failed = match &self.failed {
            Some((count, failed)) if *count == counts.failed => failed.clone(),
            _ => {
                let items = bulk_job_item::Entity::find()
                    .filter(bulk_job_item::Column::JobId.eq(id))
                    .filter(bulk_job_item::Column::State.eq(ItemState::Failed))
                    .order_by_asc(bulk_job_item::Column::Id)
                    .limit(ITEMS_SHOWN)
                    .all(&self.db)
                    .await?;
                let failed: Failures =
                    Arc::new(items.into_iter().map(|item| (item.id, progress::outcome(item))).collect());
                self.failed = Some((counts.failed, failed.clone()));
                failed
            }
        };
        Ok(Some(JobNews { counts, failed }))
    }

    fn is_last(&self, news: &JobNews) -> bool {
        news.counts.state.is_over()
    }

    fn pause(&self, news: &JobNews) -> Duration {
        if news.counts.state == JobState::Scheduled {
            SCHEDULED_TICK
        } else {
            TICK
        }
    }
}

struct BannerReader {
    db: DatabaseConnection,
    limits: BulkLimits,
}

impl Reader<i32, Vec<JobProgress>> for BannerReader {
    async fn read(&mut self, domain_id: i32) -> Result<Option<Vec<JobProgress>>, DbErr> {
        progress::unfinished(&self.db, domain_id, self.limits).await.map(Some)
    }

    fn is_last(&self, _: &Vec<JobProgress>) -> bool {
        // Jobs may start in the domain at any time: the banner's reader goes on while anyone watches.
        false
    }

    fn pause(&self, _: &Vec<JobProgress>) -> Duration {
        TICK
    }
}

/// One event of a job's stream, with the id the browser sends back (`Last-Event-ID`) when it
/// reconnects: the last failure it has seen.
pub type Numbered = (Option<i32>, JobEvent);

/// Job `id`'s stream, if the viewer may see the job: its counts, then each failure after item `after`
/// (the browser's `Last-Event-ID`) once, and new counts whenever they change, until the job is
/// finished.
pub async fn job_events(
    hub: &Hub,
    viewer: Viewer,
    id: i32,
    after: Option<i32>,
) -> Result<impl Stream<Item = Numbered> + Send + 'static, AppError> {
    let (job, domain) = progress::visible_job(&hub.db, &viewer.actor, id).await?;
    let reader = JobReader { db: hub.db.clone(), limits: hub.limits, last: None, failed: None };
    let news = hub.jobs.listen((&hub.viewers, &hub.db), job.id, reader)?;
    let watch = JobWatch { news, viewer, domain, shown: None, after: after.unwrap_or(0), sent: HashSet::new() };
    Ok(stream::unfold((watch, VecDeque::new(), false), |(mut watch, mut queue, mut over)| async move {
        loop {
            if let Some(event) = queue.pop_front() {
                return Some((event, (watch, queue, over)));
            }
            if over || !watch.viewer.still_sees(&watch.domain) {
                return None;
            }
            let news = watch.news.borrow_and_update().clone();
            if let Some(news) = news {
                over = watch.catch_up(&news, &mut queue);
                if !queue.is_empty() || over {
                    continue;
                }
            }
            // A feed that ends before the job does (the job deleted, a database error) ends the stream;
            // the browser reconnects.
            tokio::select! {
                changed = watch.news.changed() => if changed.is_err() { return None },
                changed = watch.viewer.pass.session.changed() => if changed.is_err() { return None },
            }
        }
    }))
}

/// What a job's stream has sent so far.
struct JobWatch {
    news: watch::Receiver<Option<JobNews>>,
    viewer: Viewer,
    domain: domain::Model,
    shown: Option<JobCounts>,
    /// Failed items up to this one were sent before the browser reconnected.
    after: i32,
    /// The failed items this stream has sent.
    sent: HashSet<i32>,
}

impl JobWatch {
    /// Queues what `news` has that this stream has not sent; true once the job is over.
    fn catch_up(&mut self, news: &JobNews, queue: &mut VecDeque<Numbered>) -> bool {
        // Failures before the counts that include them: the last counts close the stream.
        for (id, outcome) in news.failed.iter() {
            if *id > self.after && self.sent.insert(*id) {
                queue.push_back((Some(*id), JobEvent::Failed(outcome.clone())));
            }
        }
        if self.shown != Some(news.counts) {
            self.shown = Some(news.counts);
            queue.push_back((None, JobEvent::Counts(news.counts)));
        }
        news.counts.state.is_over()
    }
}

/// The unfinished jobs of the domain `name`, if the viewer may manage it: the list whenever it changes
/// (first of all, as it is), until it is empty. The Users page's banner; the page opens it again when
/// it starts a job.
pub async fn running(
    hub: &Hub,
    viewer: Viewer,
    name: &str,
) -> Result<impl Stream<Item = Vec<JobProgress>> + Send + 'static, AppError> {
    let managed = domains::managed(&hub.db, &viewer.actor, name).await?;
    let domain = managed.domain().clone();
    let news = hub.banners.listen(
        (&hub.viewers, &hub.db),
        domain.id,
        BannerReader { db: hub.db.clone(), limits: hub.limits },
    )?;
    let state = (news, viewer, domain, None::<Vec<JobProgress>>, false);
    Ok(stream::unfold(state, |(mut news, mut viewer, domain, mut shown, done)| async move {
        loop {
            if done || !viewer.still_sees(&domain) {
                return None;
            }
            let now = news.borrow_and_update().clone();
            if let Some(jobs) = now.filter(|jobs| shown.as_ref() != Some(jobs)) {
                shown = Some(jobs.clone());
                let done = jobs.is_empty();
                return Some((jobs, (news, viewer, domain, shown, done)));
            }
            tokio::select! {
                changed = news.changed() => if changed.is_err() { return None },
                changed = viewer.pass.session.changed() => if changed.is_err() { return None },
            }
        }
    }))
}
