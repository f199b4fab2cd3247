//! The sessions of a replica's open progress streams: how many streams each has open (at most
//! `StreamLimits::per_session`), and whom each belongs to as last looked at, all looked at together in
//! one query (`Viewers::check`) before news goes out and on a timer.

use crate::server::auth::authz::Actor;
use crate::server::auth::sessions;
use crate::server::settings::{SessionLimits, StreamLimits};
use crate::shared::error::AppError;
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;
use tokio::sync::watch;

/// The sessions watching streams on this replica, each with its number of open streams and the actor
/// it was last found to belong to (`None`: it has ended).
pub(super) struct Viewers {
    sessions: SessionLimits,
    streams: StreamLimits,
    open: Mutex<HashMap<String, Watching>>,
    /// The task that looks at every open session together, started with the first stream.
    checker: OnceLock<()>,
    /// When the last look at the sessions that has been told to the streams began.
    checked: Mutex<Option<Instant>>,
}

struct Watching {
    streams: usize,
    actor: watch::Sender<Option<Actor>>,
}

/// One open stream's place among its session's: given back when the stream ends.
pub(super) struct Pass {
    viewers: Arc<Viewers>,
    token: String,
    pub(super) session: watch::Receiver<Option<Actor>>,
}

impl Viewers {
    pub(super) fn new(sessions: SessionLimits, streams: StreamLimits) -> Self {
        Viewers { sessions, streams, open: Mutex::default(), checker: OnceLock::new(), checked: Mutex::default() }
    }

    /// A place for one more stream of the session `token` (whose user is `actor`), if it has one left.
    pub(super) fn enter(
        self: &Arc<Self>,
        db: &DatabaseConnection,
        token: String,
        actor: &Actor,
    ) -> Result<Pass, AppError> {
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

    /// Looks at the sessions of all open streams in one query, unless a look begun since `since` has
    /// been told already (the news of several feeds read at about the same time needs one look, not
    /// one each), and tells each stream whom its session belongs to now (no one: it has ended).
    pub(super) async fn check(&self, db: &DatabaseConnection, since: Instant) {
        if self.checked.lock().map_or(true, |checked| checked.is_some_and(|at| at >= since)) {
            return;
        }
        let began = Instant::now();
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
        let asked: HashSet<&String> = tokens.iter().collect();
        let Ok(open) = self.open.lock() else { return };
        for (token, watching) in open.iter() {
            // A session that came after the query is left as it was found when it came.
            let Some(now) = asked.contains(token).then(|| live.remove(token)) else { continue };
            watching.actor.send_if_modified(|was| {
                let changed = *was != now;
                *was = now;
                changed
            });
        }
        if let Ok(mut checked) = self.checked.lock() {
            *checked = (*checked).max(Some(began));
        }
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

/// Every `session_check`, looks at the sessions of all open streams (`Viewers::check`), news or not.
/// Ends with the hub.
async fn check_sessions(viewers: Weak<Viewers>, db: DatabaseConnection) {
    loop {
        let Some(every) = viewers.upgrade().map(|viewers| viewers.streams.session_check) else { return };
        tokio::time::sleep(every).await;
        let Some(viewers) = viewers.upgrade() else { return };
        viewers.check(&db, Instant::now()).await;
    }
}
