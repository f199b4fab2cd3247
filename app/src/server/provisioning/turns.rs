//! One domain's provisioning changes take turns in this replica: they queue here, in arrival order, and
//! each wakes the next as it ends. The database serialises them too (`people::serialise`), across
//! replicas; but SQLite's waiting writers sleep and retry (up to 100 ms a time), so eight identity
//! provider clients at once would wait on each other in sleeps rather than in a queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OwnedMutexGuard;

#[derive(Debug, Default)]
pub struct Turns(Mutex<HashMap<i32, Arc<tokio::sync::Mutex<()>>>>);

impl Turns {
    /// Waits for domain `domain_id`'s turn; it lasts as long as the guard.
    pub async fn take(&self, domain_id: i32) -> OwnedMutexGuard<()> {
        let queue = self.0.lock().unwrap_or_else(PoisonError::into_inner).entry(domain_id).or_default().clone();
        queue.lock_owned().await
    }
}
