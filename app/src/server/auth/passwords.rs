//! Hashing and checking secrets (web passwords, voicemail PINs) with Argon2id, and making random ones.
//! Hashing is slow on purpose, so it runs on the blocking pool, off the async workers, and at most as
//! many at once as there are cores: a burst of sign-ins queues here instead of starving the server.
//! Sign-ins, which anyone can send, also wait in a bounded queue (`Queue`): beyond it, a request is
//! refused at once as busy, rather than waiting behind thousands of others while its connection is held.

use crate::shared::error::AppError;
use crate::shared::validate::password_problems;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::seq::SliceRandom;
use std::sync::{LazyLock, OnceLock};
use tokio::sync::{Semaphore, SemaphorePermit};

/// One Argon2 computation per core at a time.
static CORES: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get())
}

/// Runs `work` on the blocking pool once a core is free.
async fn on_a_core<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let _permit = CORES.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(AppError::internal)
}

/// The places of a bounded queue in front of the cores, for work that anyone may ask for without
/// signing in (a sign-in): one is taken before anything else is done, and held until the checks are
/// over; when none is free, the request is refused at once as busy rather than held open behind
/// thousands of others. One per server process (`AppState`).
pub struct Queue {
    places: Semaphore,
}

impl Queue {
    /// How many may wait for a core, per core, by default: at about 50 ms a sign-in, under a second.
    pub const WAITING_PER_CORE: usize = 16;

    pub fn new(places: usize) -> Self {
        Queue { places: Semaphore::new(places) }
    }

    /// The places a server of this machine's cores has by default.
    pub fn default_places() -> usize {
        cores() * (1 + Queue::WAITING_PER_CORE)
    }

    /// A place in the queue, if one is free.
    pub fn admit(&self) -> Result<SemaphorePermit<'_>, AppError> {
        self.places.try_acquire().map_err(|_| AppError::Busy)
    }
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("free", &self.places.available_permits()).finish()
    }
}

/// Hashes `secret` into a self-describing PHC string (algorithm, parameters, salt, hash).
pub async fn hash(secret: String) -> Result<String, AppError> {
    on_a_core(move || hash_now(&secret)).await?
}

fn hash_now(secret: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(secret.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(AppError::internal)
}

/// Whether `secret` matches `stored`. With no stored hash (no password yet) it still spends the time
/// of one check.
pub async fn verify(secret: String, stored: Option<String>) -> Result<bool, AppError> {
    Ok(first_match(secret, vec![stored], 1).await? == Some(0))
}

/// Which of `stored` (the hashes of the accounts a login names, if any) `secret` matches first, after
/// exactly `checks` Argon2 checks whatever their number, so that the time taken tells nothing about
/// how many accounts there are or which one matched. Hashes past `checks` are not tried.
pub async fn first_match(
    secret: String,
    mut stored: Vec<Option<String>>,
    checks: usize,
) -> Result<Option<usize>, AppError> {
    stored.resize(checks, None);
    on_a_core(move || {
        // Every check runs, even after a match.
        stored
            .iter()
            .enumerate()
            .map(|(i, hash)| (i, check(&secret, hash.as_deref())))
            .fold(None, |found, (i, matched)| found.or(matched.then_some(i)))
    })
    .await
}

/// Whether `secret` matches `stored`, spending the time of a check even when there is nothing to
/// check against (then nothing matches, not even the dummy's own secret).
fn check(secret: &str, stored: Option<&str>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or_else(|| dummy_hash())) else { return false };
    Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok() && stored.is_some()
}

const DUMMY_SECRET: &str = "no user has this password";

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now(DUMMY_SECRET).unwrap_or_default())
}

/// Every rule a new password breaks, wherever it is chosen (the Set and Change Password forms, the
/// command line), one message each: the rules the browser checks too, then, if those pass, the list of
/// common passwords that only the server has.
pub fn problems(password: &str, login: &str, extension: &str) -> Vec<String> {
    let mut problems = password_problems(password, login, extension);
    if problems.is_empty() && is_common(password) {
        problems.push("This password is too common; choose one that is harder to guess.".to_string());
    }
    problems
}

/// Whether `password` is on the list of passwords too common to use (case does not matter).
fn is_common(password: &str) -> bool {
    passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(password.to_lowercase())
}

/// A random password that is easy to read aloud: no 0/O, 1/l/I.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16).map(|_| *ALPHABET.choose(&mut rng).unwrap_or(&b'x') as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_secret_only() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("correct horse batterY".into(), Some(stored)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
        assert!(!verify(DUMMY_SECRET.into(), None).await.unwrap());
    }

    #[test]
    fn beyond_its_places_the_queue_refuses_at_once() {
        // Two places: a third comer is told the server is busy, not made to wait.
        let queue = Queue::new(2);
        let (first, second) = (queue.admit().unwrap(), queue.admit().unwrap());
        assert!(matches!(queue.admit(), Err(AppError::Busy)));
        drop(first);
        let third = queue.admit().expect("a place freed");
        drop((second, third));
    }

    #[tokio::test]
    async fn every_candidate_is_checked_and_the_first_match_named() {
        let (a, b) =
            (hash("first fine phrase".into()).await.unwrap(), hash("second fine phrase".into()).await.unwrap());
        let both = || vec![Some(a.clone()), None, Some(b.clone())];
        let first = |secret: &str, checks| first_match(secret.into(), both(), checks);
        assert_eq!(first("second fine phrase", 3).await, Ok(Some(2)));
        assert_eq!(first("first fine phrase", 3).await, Ok(Some(0)));
        assert_eq!(first("neither", 3).await, Ok(None));
        // Past the number of checks, nothing is tried.
        assert_eq!(first("second fine phrase", 2).await, Ok(None));
    }

    #[test]
    fn the_server_adds_the_common_passwords_to_the_shared_rules() {
        assert_eq!(
            problems("password123", "201@a.example", "201"),
            ["This password is too common; choose one that is harder to guess."]
        );
        assert_eq!(problems("short", "201@a.example", "201"), ["The password must be at least 10 characters."]);
        assert!(problems("violet tractor sings", "201@a.example", "201").is_empty());
    }

    #[test]
    fn common_passwords_are_known_whatever_their_case() {
        for common in ["1234567890", "qwertyuiop", "password123", "Password123", "iloveyou123"] {
            assert!(is_common(common), "{common}");
        }
        assert!(!is_common("violet tractor sings"));
    }

    #[test]
    fn random_passwords_differ_and_avoid_ambiguous_characters() {
        let a = random_password();
        assert_eq!(a.len(), 16);
        assert_ne!(a, random_password());
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']), "{a}");
    }
}
