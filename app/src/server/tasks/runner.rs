//! Work that runs beside the web server until it is asked to stop: the bulk job worker and the mail
//! dispatcher. Each finishes what it has in hand before it stops.

use sea_orm::DbErr;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running background task; `stop` asks it to stop and waits for it.
pub struct Handle {
    name: &'static str,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Handle {
    /// Starts `run`, which must return soon after its receiver says `true`.
    pub fn spawn<F, Fut>(name: &'static str, run: F) -> Handle
    where
        F: FnOnce(watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        Handle { name, stop, task: tokio::spawn(run(stopped)) }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(err) = self.task.await {
            tracing::error!(%err, task = self.name, "a background task ended abnormally");
        }
    }
}

/// How a repeated task paces itself.
pub struct Pacing {
    /// The wait after a round that found nothing to do.
    pub idle: Duration,
    /// The wait after a round that did some work (zero: go straight on).
    pub after_work: Duration,
}

/// After a database error a task waits this long before it tries again.
const ERROR_WAIT: Duration = Duration::from_secs(2);

/// A task done in rounds: claim what is due, do it, say how much there was.
pub trait Rounds: Sync {
    fn round(&self) -> impl Future<Output = Result<usize, DbErr>> + Send;
}

/// Runs `task`'s rounds until `stop` says so, pausing as `pacing` says, and longer after a database
/// error.
pub async fn repeat(name: &str, task: &impl Rounds, pacing: Pacing, mut stop: watch::Receiver<bool>) {
    tracing::info!(task = name, "started");
    while !*stop.borrow() {
        let wait = match task.round().await {
            Ok(0) => pacing.idle,
            Ok(_) => pacing.after_work,
            Err(err) => {
                tracing::error!(task = name, %err, "database error; trying again shortly");
                ERROR_WAIT
            }
        };
        pause(&mut stop, wait).await;
    }
    tracing::info!(task = name, "stopped");
}

/// Waits `pause`, or less if a stop is asked for meanwhile.
async fn pause(stop: &mut watch::Receiver<bool>, pause: Duration) {
    if pause.is_zero() {
        return;
    }
    tokio::select! {
        _ = stop.changed() => {}
        _ = tokio::time::sleep(pause) => {}
    }
}
