//! Work that runs beside the web server until it is asked to stop: the bulk job worker and the mail
//! dispatcher. Each finishes what it has in hand before it stops.

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

/// Waits `pause`, or less if a stop is asked for meanwhile.
pub async fn pause(stop: &mut watch::Receiver<bool>, pause: Duration) {
    if pause.is_zero() {
        return;
    }
    tokio::select! {
        _ = stop.changed() => {}
        _ = tokio::time::sleep(pause) => {}
    }
}
