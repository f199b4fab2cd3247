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

use crate::bulk::{ItemOutcome, ItemState, JobCounts, JobEvent, JobProgress, JobState, ITEMS_SHOWN};
use crate::error::AppError;
use crate::server::auth::authz::Actor;
use crate::server::auth::request::{self, Identity};
use crate::server::entities::{bulk_job, bulk_job_item, domain};
use crate::server::settings::{SessionLimits, StreamLimits};
use crate::server::{auth::sessions, bulk::jobs, directory::domains, AppState};
use futures::stream::{self, Stream};
use http::HeaderMap;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::watch;

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
}

impl Hub {
    pub fn new(db: DatabaseConnection, sessions: SessionLimits, streams: StreamLimits) -> Self {
        let viewers = Arc::new(Viewers { sessions, streams, open: Mutex::default(), checker: OnceLock::new() });
        Hub { db, jobs: Feeds::default(), banners: Feeds::default(), viewers }
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

/// The sessions watching streams on this replica, each with its number of open streams and the actor
/// it was last found to belong to (`None`: it has ended).
struct Viewers {
    sessions: SessionLimits,
    streams: StreamLimits,
    open: Mutex<HashMap<String, Watching>>,
    /// The task that looks at every open session together, started with the first stream.
    checker: OnceLock<()>,
}

struct Watching {
    streams: usize,
    actor: watch::Sender<Option<Actor>>,
}

/// One open stream's place among its session's: given back when the stream ends.
struct Pass {
    viewers: Arc<Viewers>,
    token: String,
    session: watch::Receiver<Option<Actor>>,
}

impl Viewers {
    /// A place for one more stream of the session `token` (whose user is `actor`), if it has one left.
    fn enter(self: &Arc<Self>, db: &DatabaseConnection, token: String, actor: &Actor) -> Result<Pass, AppError> {
        self.checker.get_or_init(|| {
            tokio::spawn(check_sessions(Arc::downgrade(self), db.clone()));
        });
        let mut open = self.open.lock().map_err(AppError::internal)?;
        let watching = open
            .entry(token.clone())
            .or_insert_with(|| Watching { streams: 0, actor: watch::Sender::new(Some(actor.clone())) });
        if watching.streams >= self.streams.per_session {
            return Err(AppError::TooManyStreams);
        }
        watching.streams += 1;
        Ok(Pass { viewers: self.clone(), token, session: watching.actor.subscribe() })
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let Ok(mut open) = self.viewers.open.lock() else { return };
        if let Some(watching) = open.get_mut(&self.token) {
            watching.streams -= 1;
            if watching.streams == 0 {
                open.remove(&self.token);
            }
        }
    }
}

impl Viewers {
    /// Looks at the sessions of all open streams in one query, and tells each stream whom its session
    /// belongs to now (no one: it has ended).
    async fn check(&self, db: &DatabaseConnection) {
        let tokens: Vec<String> = match self.open.lock() {
            Ok(open) => open.keys().cloned().collect(),
            Err(_) => return,
        };
        if tokens.is_empty() {
            return;
        }
        let mut live = match sessions::actors(db, &tokens, &self.sessions).await {
            Ok(live) => live,
            Err(err) => {
                // Looked at again next time; meanwhile the streams go on as they were.
                tracing::warn!(%err, "cannot look at the progress streams' sessions");
                return;
            }
        };
        let Ok(open) = self.open.lock() else { return };
        for (token, watching) in open.iter() {
            // A session that came after the query is left as it was found when it came.
            let Some(now) = tokens.contains(token).then(|| live.remove(token)) else { continue };
            watching.actor.send_if_modified(|was| {
                let changed = *was != now;
                *was = now;
                changed
            });
        }
    }
}

/// Every `session_check`, looks at the sessions of all open streams (`Viewers::check`), news or not.
/// Ends with the hub.
async fn check_sessions(viewers: Weak<Viewers>, db: DatabaseConnection) {
    loop {
        let Some(every) = viewers.upgrade().map(|viewers| viewers.streams.session_check) else { return };
        tokio::time::sleep(every).await;
        let Some(viewers) = viewers.upgrade() else { return };
        viewers.check(&db).await;
    }
}

/// The feeds of one kind: a reader per key (a job, a domain) while anyone listens, and its latest news.
struct Feeds<K, T> {
    open: Arc<Mutex<HashMap<K, Arc<watch::Sender<Option<T>>>>>>,
}

impl<K, T> Default for Feeds<K, T> {
    fn default() -> Self {
        Feeds { open: Arc::default() }
    }
}

/// What a feed's reader does: reads the news of `key` (`None`: it is gone), says whether it is the last
/// there will be, and how long to wait before reading again.
trait Reader<K, T>: Send + Sync + 'static {
    fn read(&self, key: K) -> impl std::future::Future<Output = Result<Option<T>, DbErr>> + Send;
    fn is_last(&self, news: &T) -> bool;
    fn pause(&self, news: &T) -> Duration;
}

impl<K, T> Feeds<K, T>
where
    K: Copy + Eq + Hash + Send + Sync + std::fmt::Debug + 'static,
    T: Clone + PartialEq + Send + Sync + 'static,
{
    /// The news of `key`, from its reader, started here if nobody listens yet.
    fn listen(&self, hub: &Hub, key: K, reader: impl Reader<K, T>) -> Result<watch::Receiver<Option<T>>, AppError> {
        let mut open = self.open.lock().map_err(AppError::internal)?;
        if let Some(feed) = open.get(&key) {
            return Ok(feed.subscribe());
        }
        let feed = Arc::new(watch::Sender::new(None));
        let listener = feed.subscribe();
        open.insert(key, feed.clone());
        let watchers = (hub.viewers.clone(), hub.db.clone());
        tokio::spawn(read(self.open.clone(), key, feed, reader, watchers));
        Ok(listener)
    }
}

/// A feed's reader: reads `key`'s news and, when it has changed and once the sessions of the streams
/// have been looked at again, publishes it; until nobody listens or the news is the last.
async fn read<K, T>(
    open: Arc<Mutex<HashMap<K, Arc<watch::Sender<Option<T>>>>>>,
    key: K,
    feed: Arc<watch::Sender<Option<T>>>,
    reader: impl Reader<K, T>,
    (viewers, db): (Arc<Viewers>, DatabaseConnection),
) where
    K: Copy + Eq + Hash + std::fmt::Debug,
    T: Clone + PartialEq,
{
    loop {
        let pause = match reader.read(key).await {
            Ok(Some(news)) => {
                let (last, pause) = (reader.is_last(&news), reader.pause(&news));
                if feed.borrow().as_ref() != Some(&news) {
                    viewers.check(&db).await;
                    feed.send_replace(Some(news));
                }
                if last {
                    break;
                }
                pause
            }
            Ok(None) => break,
            Err(err) => {
                // The streams end; their browsers reconnect and start a new reader.
                tracing::warn!(%err, ?key, "a progress feed ended");
                break;
            }
        };
        tokio::time::sleep(pause).await;
        // Whether anyone still listens is decided under the lock new listeners take: none can join a
        // feed that has decided to stop.
        let Ok(mut listening) = open.lock() else { return };
        if feed.receiver_count() == 0 {
            listening.remove(&key);
            return;
        }
    }
    if let Ok(mut open) = open.lock() {
        if open.get(&key).is_some_and(|mine| Arc::ptr_eq(mine, &feed)) {
            open.remove(&key);
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
    /// The failures last read, and the count they were read at: read again only when it changes.
    failed: Mutex<Option<(u64, Failures)>>,
}

impl Reader<i32, JobNews> for JobReader {
    async fn read(&self, id: i32) -> Result<Option<JobNews>, DbErr> {
        let Some(job) = bulk_job::Entity::find_by_id(id).one(&self.db).await? else { return Ok(None) };
        let counts = jobs::counts(&job);
        let known = self.failed.lock().ok().and_then(|failed| failed.clone());
        let failed = match known {
            Some((count, failed)) if count == counts.failed => failed,
            _ => {
                let items = bulk_job_item::Entity::find()
                    .filter(bulk_job_item::Column::JobId.eq(id))
                    .filter(bulk_job_item::Column::State.eq(ItemState::Failed))
                    .order_by_asc(bulk_job_item::Column::Id)
                    .limit(ITEMS_SHOWN)
                    .all(&self.db)
                    .await?;
                let failed: Failures = Arc::new(items.into_iter().map(|item| (item.id, jobs::outcome(item))).collect());
                if let Ok(mut known) = self.failed.lock() {
                    *known = Some((counts.failed, failed.clone()));
                }
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
}

impl Reader<i32, Vec<JobProgress>> for BannerReader {
    async fn read(&self, domain_id: i32) -> Result<Option<Vec<JobProgress>>, DbErr> {
        jobs::unfinished(&self.db, domain_id).await.map(Some)
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
    let (job, domain) = jobs::visible_job(&hub.db, &viewer.actor, id).await?;
    let reader = JobReader { db: hub.db.clone(), failed: Mutex::new(None) };
    let news = hub.jobs.listen(hub, job.id, reader)?;
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
    let news = hub.banners.listen(hub, domain.id, BannerReader { db: hub.db.clone() })?;
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
