//! The mail dispatcher: sends the outbox. Each server process runs one; like the bulk job worker, it
//! claims due messages under a lease (`leases`), so replicas share the outbox and a message is sent by
//! one of them at a time.
//!
//! A message is sent through SMTP (`SMTP_URL`) or, without a mail server, written as an `.eml` file.
//! Its set-password link is made just before sending, so the database never holds a usable link, in a
//! transaction that checks again that the message is for the extension's present holder. A
//! server that is down or answers 4xx is tried again later, waiting longer each time; a 5xx answer
//! fails the message with the server's reason. A message recorded as sent is never sent again (a crash
//! between the server's acceptance and that record is the one case where it is sent twice).

use crate::mail::MessageState;
use crate::server::entities::{domain, outbox_message, user};
use crate::server::mail::letters::Letter;
use crate::server::settings::span;
use crate::server::tasks::leases::{self, Claimant};
use crate::server::tasks::runner::{self, Handle, Pacing, Rounds};
use crate::server::{accounts::links, mail::outbox};
use chrono::Utc;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::LockType;
use sea_orm::{prelude::*, Condition, QueryTrait, TransactionTrait};
use std::path::{Path, PathBuf};
use std::time::Duration;
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
            batch: 20,
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
}

impl Dispatcher {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        Dispatcher { db, claimant: Claimant::new("mail-dispatcher"), config }
    }

    /// Claims the messages that are due and tries to send each; returns how many it tried.
    pub async fn run_once(&self) -> Result<usize, DbErr> {
        let token = self.claimant.next_token();
        let lease = span(self.config.lease);
        let due = Condition::all()
            .add(outbox_message::Column::State.eq(MessageState::Queued))
            .add(outbox_message::Column::NextAttemptAt.lte(Utc::now()));
        let messages =
            leases::claim::<outbox_message::Entity>(&self.db, &LEASE, due, self.config.batch, &token, lease).await?;
        for message in &messages {
            self.deliver(&token, message).await?;
        }
        Ok(messages.len())
    }

    /// Writes the message with a fresh link and sends it; records the outcome.
    async fn deliver(&self, token: &str, message: &outbox_message::Model) -> Result<(), DbErr> {
        let Made { user, domain, token: link } = match self.link_for(message).await? {
            Link::Made(made) => *made,
            Link::Stale(reason) => return self.record(token, message, Err(Refusal::Permanent(reason.into()))).await,
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
        if outcome.is_err() {
            // Nobody received this link: it must not work.
            links::withdraw(&self.db, &link).await?;
        }
        self.record(token, message, outcome).await
    }

    /// Makes the message's link for the holding the message was queued for, in a transaction that then
    /// reads the message's user, locked (on PostgreSQL; SQLite has one writer at a time), and keeps the
    /// link only if the message is still for them as they are: a reset either comes before and is seen
    /// here, or after and forgets the link.
    async fn link_for(&self, message: &outbox_message::Model) -> Result<Link, DbErr> {
        let Some(user_id) = message.user_id else { return Ok(Link::Stale("The user no longer exists.")) };
        let txn = self.db.begin().await?;
        // The write first: on SQLite it takes the write lock at the start of the transaction.
        let token = links::issue(&txn, user_id, message.holding, message.kind).await?;
        let mut read = user::Entity::find_by_id(user_id).find_also_related(domain::Entity);
        QueryTrait::query(&mut read).lock_with_tables(LockType::Update, [user::Entity]);
        let found = read.one(&txn).await?;
        if let Some(reason) = outbox::stale(message, found.as_ref().map(|(user, _)| user)) {
            return Ok(Link::Stale(reason));
        }
        let Some((user, domain)) = found else { return Ok(Link::Stale("The user no longer exists.")) };
        txn.commit().await?;
        Ok(Link::Made(Box::new(Made { user, domain, token })))
    }

    /// Records an attempt's outcome, if the message is still ours (our lease has not run out).
    async fn record(
        &self,
        token: &str,
        message: &outbox_message::Model,
        outcome: Result<(), Refusal>,
    ) -> Result<(), DbErr> {
        let now = Utc::now();
        let attempts = message.attempts.saturating_add(1);
        let mut update = outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::Attempts, Expr::value(attempts))
            .col_expr(outbox_message::Column::LeaseOwner, Expr::value(None::<String>))
            .col_expr(outbox_message::Column::LeaseUntil, Expr::value(None::<chrono::DateTime<Utc>>));
        let (state, error) = match outcome {
            Ok(()) => {
                update = update.col_expr(outbox_message::Column::SentAt, Expr::value(now));
                (MessageState::Sent, None)
            }
            Err(Refusal::Permanent(reason)) => (MessageState::Failed, Some(reason)),
            Err(Refusal::Transient(reason)) if attempts >= self.config.max_attempts => {
                (MessageState::Failed, Some(format!("Gave up after {attempts} attempts. {reason}")))
            }
            Err(Refusal::Transient(reason)) => {
                let wait = span(self.config.backoff(attempts));
                update = update.col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now + wait));
                (MessageState::Queued, Some(reason))
            }
        };
        match &error {
            None => tracing::info!(message = message.id, to = %message.recipient, "email sent"),
            Some(reason) => {
                tracing::warn!(message = message.id, to = %message.recipient, ?state, %reason, "email not sent")
            }
        }
        update
            .col_expr(outbox_message::Column::State, Expr::value(state))
            .col_expr(outbox_message::Column::LastError, Expr::value(error))
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::LeaseOwner.eq(token))
            .exec(&self.db)
            .await
            .map(|_| ())
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
