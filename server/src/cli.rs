//! The `switchboard` command line: serving, and the few administrative tasks that come before
//! anyone can sign in (creating domains and users, seeding the demo).

use app::server::audit::{self, Action};
use app::server::bulk::{actions::recycle, hold, worker};
use app::server::db::{self, backup, schema};
use app::server::directory::demo::{self, Outcome};
use app::server::directory::users::NewUser;
use app::server::provisioning::tokens;
use app::server::settings::{BulkLimits, ConnectionLimits, Limit, PublicUrl, SessionLimits, Settings, SigninLimits};
use app::server::{directory::domains, directory::users, mail::dispatcher, AppState};
use app::shared::bulk::new_hires;
use app::shared::error::AppError;
use app::shared::model::Scope;
use app::shared::words::count_of;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use ipnet::IpNet;
use sea_orm::DatabaseConnection;
use std::io::BufRead;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "Reset and recycle the users of a hosted phone service, in bulk.")]
pub struct Cli {
    /// Where the data lives: sqlite://FILE?mode=rwc (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = db::DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    #[command(flatten)]
    pub worker: WorkerArgs,

    #[command(flatten)]
    pub mail: MailArgs,

    #[command(flatten)]
    pub security: SecurityArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How the server's bulk job worker paces itself (serve only).
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Users reset per database transaction.
    #[arg(long, env = "BULK_BATCH_SIZE", default_value_t = worker::Config::default().batch_size, value_parser = clap::value_parser!(u64).range(1..=10_000), global = true)]
    pub batch_size: u64,
    /// A pause after each batch, in milliseconds, to spare a busy database.
    #[arg(long, env = "BULK_BATCH_PAUSE_MS", default_value_t = 0, global = true)]
    pub batch_pause_ms: u64,
    /// How long a worker holds a batch, in seconds: after a replica dies, its batch waits this long
    /// before another replica takes it over.
    #[arg(long, env = "BULK_LEASE_SECS", default_value_t = worker::Config::default().lease.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub lease_secs: u64,
    /// Jobs of one domain that make progress at once; its later jobs wait for one of them to finish.
    /// Domains share the worker's batches equally, whatever the size of their jobs.
    #[arg(long, env = "BULK_JOBS_PER_DOMAIN", default_value_t = BulkLimits::default().jobs_per_domain as u16, value_parser = clap::value_parser!(u16).range(1..=100), global = true)]
    pub jobs_per_domain: u16,
    /// Users of one domain processed in any hour, by all replicas together; beyond it the domain's
    /// jobs wait until users done more than an hour ago make room. Unset: no limit.
    #[arg(long, env = "BULK_USERS_PER_HOUR", value_parser = clap::value_parser!(u32).range(1..=10_000_000), global = true)]
    pub users_per_hour: Option<u32>,
}

impl WorkerArgs {
    fn limits(&self) -> BulkLimits {
        BulkLimits { jobs_per_domain: usize::from(self.jobs_per_domain), users_per_hour: self.users_per_hour }
    }

    fn config(&self) -> worker::Config {
        worker::Config {
            batch_size: self.batch_size,
            batch_pause: std::time::Duration::from_millis(self.batch_pause_ms),
            lease: std::time::Duration::from_secs(self.lease_secs),
            limits: self.limits(),
            ..worker::Config::default()
        }
    }
}

/// Where emails go (serve only).
#[derive(Debug, Args)]
pub struct MailArgs {
    /// The mail server: smtp://host:port, smtp://host:587?tls=required (STARTTLS) or
    /// smtps://user:password@host. Without it, each email is written to OUTBOX_DIR as an .eml file.
    #[arg(long, env = "SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// Where emails are written when there is no SMTP_URL.
    #[arg(long, env = "OUTBOX_DIR", default_value = "data/outbox", global = true)]
    pub outbox_dir: std::path::PathBuf,
    /// The sender of the emails.
    #[arg(long, env = "MAIL_FROM", default_value = "Switchboard <switchboard@localhost>", global = true)]
    pub mail_from: String,
}

impl MailArgs {
    /// Links in emails point at `portal_url`.
    fn config(&self, portal_url: &str) -> Result<dispatcher::Config, CliError> {
        let from = self
            .mail_from
            .parse()
            .map_err(|err| CliError::Mail(format!("MAIL_FROM {:?} is not an address: {err}", self.mail_from)))?;
        let transport =
            dispatcher::Transport::new(self.smtp_url.as_deref(), &self.outbox_dir).map_err(CliError::Mail)?;
        Ok(dispatcher::Config::new(transport, from, portal_url))
    }
}

/// Who the portal believes, and how it limits sign-ins and sessions (serve only). The README's
/// Security section says what each one changes.
#[derive(Debug, Args)]
pub struct SecurityArgs {
    /// The portal's address as users reach it, e.g. https://pbx.example.com: the links in emails
    /// point there, only pages from there may send it changes, and https here makes the session
    /// cookie Secure and __Host- and turns on HSTS. By default, http:// and the address it serves at.
    #[arg(long, env = "PUBLIC_URL", value_parser = PublicUrl::parse, global = true)]
    pub public_url: Option<PublicUrl>,
    /// Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and
    /// X-Forwarded-Proto are believed. By default none: the client is whoever connects.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = proxy, global = true)]
    pub trusted_proxies: Vec<IpNet>,
    /// Failed sign-ins of one login, within SIGNIN_WINDOW_SECS, that lock it.
    #[arg(long, env = "SIGNIN_MAX_FAILURES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000), global = true)]
    pub signin_max_failures: u32,
    /// How long a locked login stays locked, in seconds.
    #[arg(long, env = "SIGNIN_LOCK_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub signin_lock_secs: u64,
    /// Failed sign-ins from one client address, within SIGNIN_WINDOW_SECS, that lock it.
    #[arg(long, env = "SIGNIN_ADDR_MAX_FAILURES", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000), global = true)]
    pub signin_addr_max_failures: u32,
    /// How long a locked client address stays locked, in seconds.
    #[arg(long, env = "SIGNIN_ADDR_LOCK_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub signin_addr_lock_secs: u64,
    /// How far back failed sign-ins count, in seconds.
    #[arg(long, env = "SIGNIN_WINDOW_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub signin_window_secs: u64,
    /// A session ends after this many seconds unused.
    #[arg(long, env = "SESSION_IDLE_SECS", default_value_t = 1_800, value_parser = clap::value_parser!(u64).range(1..=604_800), global = true)]
    pub session_idle_secs: u64,
    /// A session ends this many seconds after sign-in, used or not.
    #[arg(long, env = "SESSION_MAX_SECS", default_value_t = 43_200, value_parser = clap::value_parser!(u64).range(1..=2_592_000), global = true)]
    pub session_max_secs: u64,
    /// A client has this many seconds to send a request's headers, from connecting or from the last
    /// answer on its connection; then the connection is closed.
    #[arg(long, env = "HTTP_HEADER_TIMEOUT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3_600), global = true)]
    pub http_header_timeout_secs: u64,
    /// A client has this many seconds to send a request's body; then it gets 408.
    #[arg(long, env = "HTTP_BODY_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3_600), global = true)]
    pub http_body_timeout_secs: u64,
}

/// A trusted proxy: one address, or a network like 10.0.0.0/8.
fn proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an address nor a network like 10.0.0.0/8"))
}

impl SecurityArgs {
    pub fn settings(&self) -> Settings {
        let limit = |max_failures, secs| Limit { max_failures, lock: Duration::from_secs(secs) };
        Settings {
            public_url: self.public_url.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            signin: SigninLimits {
                per_login: limit(self.signin_max_failures, self.signin_lock_secs),
                per_addr: limit(self.signin_addr_max_failures, self.signin_addr_lock_secs),
                window: Duration::from_secs(self.signin_window_secs),
                ..SigninLimits::default()
            },
            sessions: SessionLimits {
                idle: Duration::from_secs(self.session_idle_secs),
                max: Duration::from_secs(self.session_max_secs),
            },
            connections: ConnectionLimits {
                header_read: Duration::from_secs(self.http_header_timeout_secs),
                body_read: Duration::from_secs(self.http_body_timeout_secs),
            },
            ..Settings::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal (the default). The address comes from LEPTOS_SITE_ADDR (127.0.0.1:3000).
    Serve,
    /// Look after the directory: domains, users, jobs, the demo, SCIM tokens.
    #[command(flatten)]
    Manage(ManageCommand),
    /// The database itself: its migrations, backups and restores.
    #[command(flatten)]
    Store(StoreCommand),
}

#[derive(Debug, Subcommand)]
pub enum ManageCommand {
    /// Manage domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Manage users.
    #[command(subcommand, visible_alias = "users")]
    User(UserCommand),
    /// Hold or release a domain's bulk jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// The demo data set.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Provisioning from an identity provider over SCIM.
    #[command(subcommand)]
    Scim(ScimCommand),
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Bring the database's schema up to date (serve does it at start-up too).
    Migrate {
        /// Only say which migrations the database has had and which are pending; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Copy the SQLite database to a new file while the portal serves, and check the copy.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup in place of the SQLite database (the portal must be stopped); the database it
    /// replaces is kept beside it.
    Restore {
        /// A file made by `switchboard backup`.
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScimCommand {
    /// A domain's API tokens, which an identity provider (Okta, Entra ID) sends with each request.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token: printed alone on standard output, this once (only its digest is kept).
    Create {
        #[arg(long)]
        domain: String,
        /// What to call it, e.g. after the identity provider that will use it.
        #[arg(long)]
        name: String,
    },
    /// The domain's tokens in use: name, made by and when, last used.
    List {
        #[arg(long)]
        domain: String,
    },
    /// Revoke a token: refused from the next request on.
    Revoke {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Stop the domain's bulk work where it is: no more of its users are processed and its scheduled
    /// jobs wait past their time, until `release`. Admins can still start, schedule and cancel jobs.
    Hold {
        #[arg(long)]
        domain: String,
    },
    /// Let the domain's bulk work go on; with --users N, only N more users, then hold it again (to try
    /// a large job on a few users first).
    Release {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        users: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Create a domain, e.g. `switchboard domain create acme.example --reseller "Acme Telecom"`.
    Create {
        /// The domain name, like acme.example.
        name: String,
        /// The reseller that owns it; created if new.
        #[arg(long, default_value = domains::DEFAULT_RESELLER)]
        reseller: String,
        #[arg(long, default_value = "")]
        description: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (subscriber) in an existing domain.
    Create(UserCreate),
    /// Hand reset extensions to new people, from a CSV file with the columns Extension, First Name,
    /// Last Name and Email (the portal's "Download template"). Each row is checked as in the portal's
    /// form; refused rows are listed with why, nothing is saved for them, and the exit code is 1.
    Recycle(UserRecycle),
}

#[derive(Debug, Args)]
pub struct UserRecycle {
    #[arg(long)]
    pub domain: String,
    /// The CSV (or tab-separated) file; a header row sets the order of its columns.
    #[arg(long)]
    pub file: std::path::PathBuf,
    /// Queue a welcome email, with a link to set a password, for each recycled user with an email
    /// address (the running server sends it).
    #[arg(long)]
    pub send_welcome: bool,
}

#[derive(Debug, Args)]
pub struct UserCreate {
    #[arg(long)]
    pub domain: String,
    #[arg(long)]
    pub extension: String,
    #[arg(long)]
    pub first: String,
    #[arg(long)]
    pub last: String,
    #[arg(long)]
    pub email: Option<String>,
    /// basic-user, office-manager, reseller or super-user.
    #[arg(long, value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<Scope>()))]
    pub scope: Scope,
    /// Read the user's web password from the first line of standard input. Without it the user is
    /// created as "Password Required".
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Create demo.example with N users and their data, a Super User and an Office Manager.
    Seed {
        #[arg(long, default_value_t = demo::DEFAULT_USERS)]
        users: u32,
        /// Do nothing if the database already has users (for start-up scripts).
        #[arg(long)]
        if_empty: bool,
    },
}

/// A failure the command line reports in one line and exits 1 for, in its own words: the operator
/// has a terminal and the log, not a browser.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// What the shared operations refuse (a duplicate, a bad field, an unknown domain) reads the same as
    /// in the browser; an internal failure has already been logged above with its cause.
    #[error("{}", in_words(.0))]
    App(#[from] AppError),
    #[error("cannot open the database: {0}")]
    Open(#[from] schema::SchemaError),
    #[error("{0}")]
    Backup(#[from] backup::BackupError),
    #[error("the database failed: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot read the password from standard input: {0}")]
    Stdin(std::io::Error),
    #[error("no password on standard input")]
    NoPassword,
    #[error("cannot serve: {0}")]
    Serve(std::io::Error),
    #[error("invalid Leptos configuration: {0}")]
    Config(String),
    #[error("cannot send email: {0}")]
    Mail(String),
    #[error("cannot read {0}: {1}")]
    File(std::path::PathBuf, String),
    #[error("{} refused (listed above); nothing was saved for {}", rows(*.0), if *.0 == 1 { "it" } else { "them" })]
    Refused(usize),
}

fn rows(n: usize) -> String {
    app::shared::words::count_of(n as u64, "row was", "rows were")
}

/// The browser's "Something went wrong on the server…" would send the operator to an administrator:
/// they are the administrator, and the cause is in the log line just above.
fn in_words(err: &AppError) -> String {
    match err {
        AppError::Internal => "the command failed; the log line above says why.".to_string(),
        AppError::CannotSave => {
            "the database cannot take changes: it is full or read-only (the log line above says which). Nothing was \
             changed."
                .to_string()
        }
        other => other.to_string(),
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let url = cli.database_url.as_str();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            // A SQLite database is served by one process, which a restore must wait for.
            let _serving = backup::sqlite_file(url).map(|file| backup::ServeLock::take(&file)).transpose()?;
            // The worker keeps the domains' limits, and progress says when a job waits for them.
            let settings = Settings { bulk: cli.worker.limits(), ..cli.security.settings() };
            serve(db::connect(url).await?, cli.worker.config(), &cli.mail, settings).await
        }
        Command::Manage(command) => manage(&db::connect(url).await?, command).await,
        // The store's own commands take the database as it is, before any migration: a backup taken
        // before an upgrade must hold the old schema, and a restore must not open what it replaces.
        Command::Store(command) => store(url, command).await,
    }
}

async fn manage(db: &DatabaseConnection, command: ManageCommand) -> Result<(), CliError> {
    match command {
        ManageCommand::Domain(DomainCommand::Create { name, reseller, description }) => {
            let domain = domains::create(db, &name, &reseller, &description).await?;
            audit::Entry::cli(Action::DomainCreated)
                .domain(domain.id)
                .detail(serde_json::json!({ "reseller": reseller }))
                .record(db)
                .await?;
            println!("Created domain {} (reseller {reseller}).", domain.name);
            Ok(())
        }
        ManageCommand::User(UserCommand::Create(args)) => create_user(db, args).await,
        ManageCommand::User(UserCommand::Recycle(args)) => recycle_users(db, args).await,
        ManageCommand::Jobs(command) => pace_jobs(db, command).await,
        ManageCommand::Demo(DemoCommand::Seed { users, if_empty }) => seed_demo(db, users, if_empty).await,
        ManageCommand::Scim(ScimCommand::Token(command)) => api_tokens(db, command).await,
    }
}

async fn store(url: &str, command: StoreCommand) -> Result<(), CliError> {
    match command {
        StoreCommand::Migrate { status: true } => migration_status(url).await,
        StoreCommand::Migrate { status: false } => {
            let db = db::connect(url).await?;
            let applied = schema::status(&db).await?.applied.len() as u64;
            println!("The database is up to date: {} applied.", count_of(applied, "migration", "migrations"));
            Ok(())
        }
        StoreCommand::Backup { to } => back_up(url, &to).await,
        StoreCommand::Restore { from } => restore(url, &from).await,
    }
}

async fn migration_status(url: &str) -> Result<(), CliError> {
    let db = db::open(url).await.map_err(schema::SchemaError::from)?;
    let status = schema::status(&db).await?;
    let list = |title: &str, names: &[String]| {
        println!("{title} ({}):", names.len());
        for name in names {
            println!("  {name}");
        }
    };
    list("Applied", &status.applied);
    list("Pending (serve or `switchboard migrate` applies them)", &status.pending);
    if !status.unknown.is_empty() {
        list("Made by a newer version of Switchboard (serve refuses this database)", &status.unknown);
    }
    Ok(())
}

async fn back_up(url: &str, to: &std::path::Path) -> Result<(), CliError> {
    let db = db::open(url).await.map_err(schema::SchemaError::from)?;
    let counts = backup::backup(&db, to).await?;
    println!("Backed up to {}: {counts}.", to.display());
    Ok(())
}

async fn restore(url: &str, from: &std::path::Path) -> Result<(), CliError> {
    let (counts, kept) = backup::restore(url, from).await?;
    println!("Restored {}: {counts}.", from.display());
    if let Some(kept) = kept {
        println!("The database it replaced is kept as {}.", kept.display());
    }
    Ok(())
}

async fn api_tokens(db: &DatabaseConnection, command: TokenCommand) -> Result<(), CliError> {
    let find = |name: String| async move {
        let name = domains::normalize_name(&name)?;
        domains::find(db, &name).await?.ok_or_else(|| AppError::NotFound(format!("There is no domain named {name}.")))
    };
    match command {
        TokenCommand::Create { domain, name } => {
            let domain = find(domain).await?;
            let token = tokens::create(db, &domain, &name, tokens::Maker::CommandLine).await?;
            // The token alone on standard output, for a script to capture; the words on standard error.
            eprintln!(
                "Made the API token {:?} for {}. It is shown this once; keep it in the identity provider:",
                name.trim(),
                domain.name
            );
            println!("{token}");
        }
        TokenCommand::List { domain } => {
            let domain = find(domain).await?;
            let tokens = tokens::list(db, &domain).await?;
            if tokens.is_empty() {
                println!("{} has no API tokens.", domain.name);
            }
            for token in tokens {
                let used = token.last_used.map_or_else(|| "never used".to_string(), |at| format!("last used {at}"));
                println!(
                    "{}\tmade {} by {}\t{used}",
                    printable(&token.name),
                    token.created,
                    printable(&token.created_by)
                );
            }
        }
        TokenCommand::Revoke { domain, name } => {
            let domain = find(domain).await?;
            tokens::revoke(db, &domain, &name, tokens::Maker::CommandLine).await?;
            println!("Revoked the API token {:?} of {}.", name.trim(), domain.name);
        }
    }
    Ok(())
}

async fn create_user(db: &DatabaseConnection, args: UserCreate) -> Result<(), CliError> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(CliError::Stdin)?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if password.is_empty() {
            return Err(CliError::NoPassword);
        }
        Some(password)
    } else {
        None
    };
    let scope = args.scope;
    let user = users::create(
        db,
        NewUser {
            domain: args.domain,
            extension: args.extension,
            first_name: args.first,
            last_name: args.last,
            email: args.email,
            scope,
            password,
        },
    )
    .await?;
    audit::Entry::cli(Action::UserCreated)
        .domain(user.domain_id)
        .target(user.id)
        .detail(serde_json::json!({ "scope": scope.slug() }))
        .record(db)
        .await?;
    println!(
        "Created user {} ({} {}, {}, {}).",
        user.login,
        user.first_name,
        user.last_name,
        scope.label(),
        user.status.label()
    );
    Ok(())
}

async fn recycle_users(db: &DatabaseConnection, args: UserRecycle) -> Result<(), CliError> {
    let unreadable = |why: String| CliError::File(args.file.clone(), why);
    let size = std::fs::metadata(&args.file).map_err(|err| unreadable(err.to_string()))?.len();
    if size > new_hires::MAX_TEXT_BYTES as u64 {
        return Err(unreadable(format!("it is larger than {} MB", new_hires::MAX_TEXT_BYTES / (1024 * 1024))));
    }
    let bytes = std::fs::read(&args.file).map_err(|err| unreadable(err.to_string()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| unreadable("it is not UTF-8 text (save it as \"CSV UTF-8\")".into()))?;
    let name = domains::normalize_name(&args.domain)?;
    let domain = domains::find(db, &name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no domain named {name}.")))?;
    let outcome = recycle::from_sheet(db, &domain, &text, args.send_welcome).await?;
    for problem in &outcome.refused {
        eprintln!("refused: {}", printable(&problem.to_string()));
    }
    let recycled = outcome.recycled.len() as u64;
    match recycled {
        0 => println!("No users of {} were recycled.", domain.name),
        _ => println!(
            "Recycled {} of {}: {}.",
            app::shared::words::count_of(recycled, "user", "users"),
            domain.name,
            app::shared::words::join_and(outcome.recycled)
        ),
    }
    if outcome.welcomed > 0 {
        println!(
            "Welcome emails queued for {} (the running server sends them).",
            app::shared::words::count_of(outcome.welcomed as u64, "user", "users")
        );
    }
    match outcome.refused.len() {
        0 => Ok(()),
        refused => Err(CliError::Refused(refused)),
    }
}

/// `text` safe to print on a terminal: a control character read from a file (an escape sequence that
/// would recolour or clear the operator's screen, a line break that would fake a second line) is
/// shown escaped, as `\u{1b}`.
fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

async fn pace_jobs(db: &DatabaseConnection, command: JobsCommand) -> Result<(), CliError> {
    let (domain, pace) = match command {
        JobsCommand::Hold { domain } => (domain, hold::Pace::HeldAfter(0)),
        JobsCommand::Release { domain, users: Some(users) } => (domain, hold::Pace::HeldAfter(users)),
        JobsCommand::Release { domain, users: None } => (domain, hold::Pace::Free),
    };
    let domain = hold::set(db, &domain, pace).await?;
    match pace {
        hold::Pace::Free => println!("The bulk jobs of {} go on.", domain.name),
        hold::Pace::HeldAfter(0) => println!(
            "The bulk jobs of {} are held: no more of its users are processed until `switchboard jobs release`.",
            domain.name
        ),
        hold::Pace::HeldAfter(users) => println!(
            "The bulk jobs of {} go on for {}, then wait for `switchboard jobs release`.",
            domain.name,
            app::shared::words::count_of(u64::from(users), "more user", "more users")
        ),
    }
    Ok(())
}

async fn seed_demo(db: &DatabaseConnection, users: u32, if_empty: bool) -> Result<(), CliError> {
    let bar = ProgressBar::new(u64::from(users)).with_message("demo users");
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {bar:30} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let outcome = demo::seed(db, users, if_empty, |done| bar.set_position(u64::from(done))).await;
    bar.finish_and_clear();
    match outcome? {
        Outcome::AlreadyHasUsers => println!("The database already has users; the demo was not seeded."),
        Outcome::Seeded(logins) => {
            println!("Seeded {} with {} users. Demo logins (shown only now):", demo::DEMO_DOMAIN, logins.subscribers);
            println!("  Super User:     {}  password: {}", logins.super_user.0, logins.super_user.1);
            println!("  Office Manager: {}  password: {}", logins.office_manager.0, logins.office_manager.1);
        }
    }
    Ok(())
}

async fn serve(
    db: DatabaseConnection,
    worker: worker::Config,
    mail: &MailArgs,
    settings: Settings,
) -> Result<(), CliError> {
    let config = leptos::config::get_configuration(None).map_err(|err| CliError::Config(err.to_string()))?;
    let mut leptos_options = config.leptos_options;
    leptos_options.hash_files = crate::assets::hashed(&leptos_options);
    let addr = leptos_options.site_addr;
    let portal_url =
        settings.public_url.as_ref().map_or_else(|| format!("http://{addr}"), |url| url.base().to_string());
    let mail = mail.config(&portal_url)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(CliError::Serve)?;
    let header_read = settings.connections.header_read;
    // Unfinished jobs and unsent emails (from before a restart or a crash) are picked up here.
    let worker = worker::spawn(db.clone(), worker).await?;
    let mailer = dispatcher::spawn(db.clone(), mail).await?;
    let app = crate::router(AppState::new(leptos_options, db, settings));
    tracing::info!(%addr, "listening");
    println!("Switchboard is serving at http://{addr}  (Ctrl-C stops it)");
    let served = crate::listen::serve(listener, app, header_read, shutdown_signal()).await.map_err(CliError::Serve);
    // The batch in hand is finished (or, if we are killed, rolled back): never half a user.
    worker.stop().await;
    mailer.stop().await;
    served
}

/// Ctrl-C or SIGTERM: stop taking requests and let the ones in flight finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
