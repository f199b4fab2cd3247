//! The news a replica's progress streams are fed: one reader per key (a job, a domain's banner) while
//! anyone listens, which publishes what it reads whenever it changes, once the streams' sessions have
//! been looked at again.

use super::viewers::Viewers;
use crate::shared::error::AppError;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The feeds of one kind: a reader per key (a job, a domain) while anyone listens, and its latest news.
/// Each key's feed: where its reader publishes, and where listeners subscribe.
type Open<K, T> = Arc<Mutex<HashMap<K, Arc<watch::Sender<Option<T>>>>>>;

pub(super) struct Feeds<K, T> {
    open: Open<K, T>,
}

impl<K, T> Default for Feeds<K, T> {
    fn default() -> Self {
        Feeds { open: Arc::default() }
    }
}

/// What a feed's reader does: reads the news of `key` (`None`: it is gone), says whether it is the last
/// there will be, and how long to wait before reading again.
pub(super) trait Reader<K, T>: Send + 'static {
    fn read(&mut self, key: K) -> impl std::future::Future<Output = Result<Option<T>, DbErr>> + Send;
    fn is_last(&self, news: &T) -> bool;
    fn pause(&self, news: &T) -> Duration;
}

impl<K, T> Feeds<K, T>
where
    K: Copy + Eq + Hash + Send + Sync + std::fmt::Debug + 'static,
    T: Clone + PartialEq + Send + Sync + 'static,
{
    /// The news of `key`, from its reader, started here if nobody listens yet.
    pub(super) fn listen(
        &self,
        (viewers, db): (&Arc<Viewers>, &DatabaseConnection),
        key: K,
        reader: impl Reader<K, T>,
    ) -> Result<watch::Receiver<Option<T>>, AppError> {
        let mut open = self.open.lock().map_err(AppError::internal)?;
        if let Some(feed) = open.get(&key) {
            return Ok(feed.subscribe());
        }
        let feed = Arc::new(watch::Sender::new(None));
        let listener = feed.subscribe();
        open.insert(key, feed.clone());
        let watchers = (viewers.clone(), db.clone());
        tokio::spawn(read(self.open.clone(), key, feed, reader, watchers));
        Ok(listener)
    }
}

/// A feed's reader: reads `key`'s news and, when it has changed and once the sessions of the streams
/// have been looked at again, publishes it; until nobody listens or the news is the last.
async fn read<K, T>(
    open: Open<K, T>,
    key: K,
    feed: Arc<watch::Sender<Option<T>>>,
    mut reader: impl Reader<K, T>,
    (viewers, db): (Arc<Viewers>, DatabaseConnection),
) where
    K: Copy + Eq + Hash + std::fmt::Debug,
    T: Clone + PartialEq,
{
    loop {
        let read_at = Instant::now();
        let pause = match reader.read(key).await {
            Ok(Some(news)) => {
                let (last, pause) = (reader.is_last(&news), reader.pause(&news));
                let changed = feed.borrow().as_ref() != Some(&news);
                if changed {
                    viewers.check(&db, read_at).await;
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
