//! The mail dispatcher: sends the outbox. Each server process runs one; like the bulk job worker, it
//! claims due messages under a lease (`leases`), so replicas share the outbox and a message is sent by
//! one of them at a time.
//!
//! A message is sent through SMTP (`SMTP_URL`) or, without a mail server, written as an `.eml` file.
//! Its set-password link is made just before sending, so the database never holds a usable link, in a
//! transaction that checks again that the message is for the extension's present holder. A
//! server that is down or answers 4xx is tried again later, waiting longer each time; a 5xx answer
//! fails the message with the server's reason. A message recorded as sent is never sent again (a crash
//! between the server's acceptance and that record, at most `RECORD_EVERY` later, is the one case where
//! it is sent twice).

use crate::server::db::ids::AmongIds;
use crate::server::entities::{domain, outbox_message, user};
use crate::server::mail::letters::Letter;
use crate::server::settings::span;
use crate::server::tasks::leases::{self, Claimant};
use crate::server::tasks::runner::{self, Handle, Pacing, Rounds};
use crate::server::tasks::share::{self, Queue, Rotation};
use crate::server::{accounts::links, mail::outbox};
use crate::shared::mail::MessageState;
use chrono::Utc;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::LockType;
use sea_orm::{prelude::*, Condition, QueryOrder, QuerySelect, QueryTrait, TransactionTrait, UpdateMany};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Where messages go.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message in the folder: for `make run` and tests, with no mail server. The
    /// files hold working links, so only the server's own user may read them (0600, in a 0700 folder).
    Files(PathBuf),
}

/// How long one SMTP conversation may take; well inside a claim's lease.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Transport {
    /// SMTP when `smtp_url` is given (`smtp://host:port`, `smtp://host?tls=required` for STARTTLS,
    /// `smtps://user:password@host`), otherwise files in `dir` (created if missing).
    pub fn new(smtp_url: Option<&str>, dir: &Path) -> Result<Transport, String> {
        match smtp_url.filter(|url| !url.is_empty()) {
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| format!("SMTP_URL is not a usable SMTP address: {err}"))?;
                Ok(Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
            }
            None => {
                use std::os::unix::fs::PermissionsExt;
                let private = |err: std::io::Error| format!("cannot make {} a private folder: {err}", dir.display());
                std::fs::create_dir_all(dir).map_err(private)?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(private)?;
                Ok(Transport::Files(dir.to_path_buf()))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), Refusal> {
        match self {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(err) if err.is_permanent() => Err(Refusal::Permanent(format!("The mail server refused it: {err}"))),
                Err(err) => Err(Refusal::Transient(format!("The mail server could not take it: {err}"))),
            },
            Transport::Files(dir) => match write_eml(dir, &message).await {
                Ok(path) => {
                    tracing::info!(path = %path.display(), "email written (no SMTP_URL set)");
                    Ok(())
                }
                Err(err) => Err(Refusal::Transient(format!("The message file could not be written: {err}"))),
            },
        }
    }
}

/// Writes `message` as a new `.eml` file in `dir`, created readable and writable by this user only.
/// Names start with the time, so that a folder listing is in the order the messages went out.
async fn write_eml(dir: &Path, message: &Message) -> std::io::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let name = format!("{}-{:016x}.eml", Utc::now().format("%Y%m%dT%H%M%S%.6fZ"), rand::random::<u64>());
    let path = dir.join(name);
    let bytes = message.formatted();
    // One trip to the blocking pool for the whole file.
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
        file.write_all(&bytes)?;
        Ok(path)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// What `link_for` found.
enum Link {
    Made(Box<Made>),
    /// The message must not go out, for this reason.
    Stale(&'static str),
}

/// A message's link, and the user and domain it was made for.
struct Made {
    user: user::Model,
    domain: Option<domain::Model>,
    token: String,
}

/// Why a message was not sent this time.
#[derive(Debug)]
enum Refusal {
    /// Try again later.
    Transient(String),
    /// It will never be sent as it is.
    Permanent(String),
}

/// One message's attempt, waiting to be recorded.
struct Attempt<'a> {
    message: &'a outbox_message::Model,
    outcome: Result<(), Refusal>,
    /// The link made for a message that did not go out, to withdraw.
    unsent_link: Option<String>,
}

/// The update recording an attempt of messages still held under `token`: one more attempt, no holder.
fn attempted(token: &str) -> UpdateMany<outbox_message::Entity> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Attempts, Expr::col(outbox_message::Column::Attempts).add(1))
        .col_expr(outbox_message::Column::LeaseOwner, Expr::value(None::<String>))
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(None::<chrono::DateTime<Utc>>))
        .filter(outbox_message::Column::LeaseOwner.eq(token))
}

/// The longest a sent message waits to be recorded as sent. Recording many at once spares a commit per
/// message; a crash before the record means those messages are sent again, so it must not wait long.
const RECORD_EVERY: Duration = Duration::from_secs(1);

pub struct Config {
    pub transport: Transport,
    pub from: Mailbox,
    /// The portal's address as its users reach it, for the links (no trailing slash).
    pub portal_url: String,
    /// The wait after the first failed attempt; each further failure doubles it, up to `max_retry`.
    pub first_retry: Duration,
    pub max_retry: Duration,
    /// After this many failed attempts a message is given up on (an admin may retry it).
    pub max_attempts: i32,
    pub lease: Duration,
    pub idle_wait: Duration,
    /// Messages claimed at a time.
    pub batch: u64,
}

impl Config {
    pub fn new(transport: Transport, from: Mailbox, portal_url: &str) -> Self {
        Config {
            transport,
            from,
            portal_url: portal_url.trim_end_matches('/').to_string(),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(30 * 60),
            max_attempts: 12,
            lease: Duration::from_secs(120),
            idle_wait: Duration::from_millis(500),
            batch: 50,
        }
    }

    /// How long to wait after the `attempts`-th failed attempt.
    fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
        self.first_retry.saturating_mul(1 << doublings).min(self.max_retry)
    }
}

/// How a message is leased.
const LEASE: leases::Columns<outbox_message::Column> = leases::Columns {
    id: outbox_message::Column::Id,
    owner: outbox_message::Column::LeaseOwner,
    until: outbox_message::Column::LeaseUntil,
};

pub struct Dispatcher {
    db: DatabaseConnection,
    claimant: Claimant,
    config: Config,
    /// Domains take turns when more have mail waiting than one round serves.
    rotation: Rotation,
}

impl Dispatcher {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        Dispatcher { db, claimant: Claimant::new("mail-dispatcher"), config, rotation: Rotation::default() }
    }

    /// Claims the messages that are due, shared fairly between the domains that have some
    /// (`tasks::share`: one domain's 10,000 welcome emails do not hold another's one behind them), and
    /// tries to send each; returns how many it tried. The bookkeeping is batched: one transaction makes
    /// the links of every claimed message, and outcomes are recorded together, at least every
    /// `RECORD_EVERY`.
    pub async fn run_once(&self) -> Result<usize, DbErr> {
        let token = self.claimant.next_token();
        let lease = span(self.config.lease);
        let now = Utc::now();
        let due = || {
            Condition::all()
                .add(outbox_message::Column::State.eq(MessageState::Queued))
                .add(outbox_message::Column::NextAttemptAt.lte(now))
        };
        let waiting: Vec<i32> = outbox_message::Entity::find()
            .select_only()
            .column(outbox_message::Column::DomainId)
            .distinct()
            .filter(due())
            .filter(
                Condition::any()
                    .add(outbox_message::Column::LeaseUntil.is_null())
                    .add(outbox_message::Column::LeaseUntil.lt(now)),
            )
            .order_by_asc(outbox_message::Column::DomainId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let queues: Vec<Queue> = waiting.into_iter().map(|domain| Queue { id: domain, domain }).collect();
        let turns = self.rotation.next(&queues, 1, self.config.batch);
        let held_by: &str = &token;
        let claim = move |domain: i32, messages| {
            let wanted = due().add(outbox_message::Column::DomainId.eq(domain));
            leases::claim::<outbox_message::Entity>(&self.db, &LEASE, wanted, messages, held_by, lease)
        };
        let messages = share::claim(&turns, self.config.batch, claim).await?;
        if messages.is_empty() {
            return Ok(0);
        }
        let links = self.links_for(&messages).await?;
        let mut attempts = Vec::with_capacity(messages.len());
        let mut recorded = Instant::now();
        for (message, link) in messages.iter().zip(links) {
            attempts.push(self.deliver(message, link).await);
            if recorded.elapsed() >= RECORD_EVERY {
                self.record(&token, std::mem::take(&mut attempts)).await?;
                recorded = Instant::now();
            }
        }
        self.record(&token, attempts).await?;
        Ok(messages.len())
    }

    /// Writes the message with its link and sends it.
    async fn deliver<'a>(&self, message: &'a outbox_message::Model, link: Link) -> Attempt<'a> {
        let Made { user, domain, token: link } = match link {
            Link::Made(made) => *made,
            Link::Stale(reason) => {
                return Attempt { message, outcome: Err(Refusal::Permanent(reason.into())), unsent_link: None }
            }
        };
        let letter = Letter {
            kind: message.kind,
            from: &self.config.from,
            to: &message.recipient,
            first_name: &user.first_name,
            last_name: &user.last_name,
            login: &user.login,
            extension: &user.extension,
            domain: domain.as_ref().map_or("", |domain| domain.name.as_str()),
            portal_url: &self.config.portal_url,
            token: &link,
        };
        let outcome = match letter.build() {
            Ok(email) => self.config.transport.send(email).await,
            Err(reason) => Err(Refusal::Permanent(reason)),
        };
        // Nobody received the link of a message that did not go out: it must not work.
        let unsent_link = outcome.is_err().then_some(link);
        Attempt { message, outcome, unsent_link }
    }

    /// Makes each message's link for the holding the message was queued for, in one transaction that
    /// then reads the messages' users, locked (on PostgreSQL; SQLite has one writer at a time), and
    /// keeps a link only if its message is still for them as they are: a reset either comes before and
    /// is seen here, or after and forgets the link.
    async fn links_for(&self, messages: &[outbox_message::Model]) -> Result<Vec<Link>, DbErr> {
        let txn = self.db.begin().await?;
        // The writes first: on SQLite they take the write lock at the start of the transaction.
        let mut tokens = Vec::with_capacity(messages.len());
        for message in messages {
            tokens.push(match message.user_id {
                Some(user_id) => Some(links::issue(&txn, user_id, message.holding, message.kind).await?),
                None => None,
            });
        }
        let user_ids: Vec<i32> = messages.iter().filter_map(|message| message.user_id).collect();
        let mut read = user::Entity::find()
            .filter(user::Column::Id.among(txn.get_database_backend(), user_ids))
            .find_also_related(domain::Entity);
        QueryTrait::query(&mut read).lock_with_tables(LockType::Update, [user::Entity]);
        let users: HashMap<i32, (user::Model, Option<domain::Model>)> =
            read.all(&txn).await?.into_iter().map(|(user, domain)| (user.id, (user, domain))).collect();
        let mut links = Vec::with_capacity(messages.len());
        for (message, token) in messages.iter().zip(tokens) {
            let found = message.user_id.and_then(|user_id| users.get(&user_id));
            let stale = outbox::stale(message, found.map(|(user, _)| user));
            links.push(match (stale, found, token) {
                (None, Some((user, domain)), Some(token)) => {
                    Link::Made(Box::new(Made { user: user.clone(), domain: domain.clone(), token }))
                }
                (reason, _, token) => {
                    if let Some(token) = token {
                        links::withdraw(&txn, &token).await?;
                    }
                    Link::Stale(reason.unwrap_or("The user no longer exists."))
                }
            });
        }
        txn.commit().await?;
        Ok(links)
    }

    /// Records the attempts' outcomes in one transaction, each only if the message is still ours (our
    /// lease has not run out), and withdraws the links of messages that did not go out.
    async fn record(&self, token: &str, attempts: Vec<Attempt<'_>>) -> Result<(), DbErr> {
        if attempts.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let mut sent = Vec::new();
        for Attempt { message, outcome, unsent_link } in attempts {
            let tries = message.attempts.saturating_add(1);
            let (state, error, next_attempt) = match outcome {
                Ok(()) => {
                    tracing::info!(message = message.id, to = ?message.recipient, "email sent");
                    sent.push(message.id);
                    continue;
                }
                Err(Refusal::Permanent(reason)) => (MessageState::Failed, reason, None),
                Err(Refusal::Transient(reason)) if tries >= self.config.max_attempts => {
                    (MessageState::Failed, format!("Gave up after {tries} attempts. {reason}"), None)
                }
                Err(Refusal::Transient(reason)) => {
                    (MessageState::Queued, reason, Some(now + span(self.config.backoff(tries))))
                }
            };
            tracing::warn!(message = message.id, to = ?message.recipient, ?state, reason = ?error, "email not sent");
            let mut update = attempted(token)
                .col_expr(outbox_message::Column::State, Expr::value(state))
                .col_expr(outbox_message::Column::LastError, Expr::value(error))
                .filter(outbox_message::Column::Id.eq(message.id));
            if let Some(at) = next_attempt {
                update = update.col_expr(outbox_message::Column::NextAttemptAt, Expr::value(at));
            }
            update.exec(&txn).await?;
            if let Some(link) = unsent_link {
                links::withdraw(&txn, &link).await?;
            }
        }
        if !sent.is_empty() {
            attempted(token)
                .col_expr(outbox_message::Column::State, Expr::value(MessageState::Sent))
                .col_expr(outbox_message::Column::LastError, Expr::value(None::<String>))
                .col_expr(outbox_message::Column::SentAt, Expr::value(now))
                .filter(outbox_message::Column::Id.among(txn.get_database_backend(), sent))
                .exec(&txn)
                .await?;
        }
        txn.commit().await
    }

    /// Sends until `stop` says so.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let pacing = Pacing { idle: self.config.idle_wait, after_work: Duration::ZERO };
        runner::repeat(self.claimant.name(), &self, pacing, stop).await
    }
}

impl Rounds for Dispatcher {
    fn round(&self) -> impl std::future::Future<Output = Result<usize, DbErr>> + Send {
        self.run_once()
    }
}

/// Starts this process's dispatcher.
pub async fn spawn(db: DatabaseConnection, config: Config) -> Result<Handle, DbErr> {
    leases::release_stale::<outbox_message::Entity>(&db, &LEASE).await?;
    let dispatcher = Dispatcher::new(db, config);
    Ok(Handle::spawn("mail dispatcher", move |stop| dispatcher.run(stop)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn retries_wait_twice_as_long_each_time_up_to_a_limit() {
        let from: Mailbox = "switchboard@pbx.example".parse().unwrap();
        let transport = Transport::new(Some("smtp://127.0.0.1:2525"), Path::new("unused")).unwrap();
        let config = Config::new(transport, from, "http://pbx.example/");
        assert_eq!(config.portal_url, "http://pbx.example");
        let waits: Vec<u64> = (1..=8).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1800, 1800]);
    }
}
