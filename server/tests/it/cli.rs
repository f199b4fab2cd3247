//! The `switchboard` binary itself, against the test's database.

use crate::common;

use app::server::entities::user;
use common::TestApp;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn switchboard(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("DATABASE_URL", &app.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("switchboard ran")
}

/// `user create` for "A B" at extension 201 of `domain` with `scope`, plus `extra` arguments.
fn user_args<'a>(domain: &'a str, scope: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "user",
        "create",
        "--domain",
        domain,
        "--extension",
        "201",
        "--first",
        "A",
        "--last",
        "B",
        "--scope",
        scope,
    ];
    args.extend_from_slice(extra);
    args
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn user_count(app: &TestApp) -> u64 {
    user::Entity::find().count(&app.db).await.unwrap()
}

#[test]
fn help_names_every_command() {
    common::run(async {
        let app = TestApp::new().await;
        let output = switchboard(&app, &["--help"], "");
        assert!(output.status.success());
        let help = text(&output.stdout);
        for command in ["serve", "domain", "user", "demo", "scim"] {
            assert!(help.contains(command), "{command} missing from {help}");
        }
    })
}

#[test]
fn bad_arguments_exit_2_with_clap_explaining_why() {
    common::run(async {
        let app = TestApp::new().await;
        let missing = switchboard(&app, &["user", "create", "--domain", "a.example"], "");
        assert_eq!(missing.status.code(), Some(2));
        assert!(text(&missing.stderr).contains("--extension"), "{}", text(&missing.stderr));

        let scope = switchboard(&app, &user_args("a.example", "admin", &[]), "");
        assert_eq!(scope.status.code(), Some(2));
        assert!(text(&scope.stderr).contains("office-manager"), "{}", text(&scope.stderr));
    })
}

#[test]
fn a_user_created_with_a_password_on_stdin_can_sign_in() {
    common::run(async {
        let app = TestApp::new().await;
        let domain = switchboard(&app, &["domain", "create", "Acme.Example", "--reseller", "Acme Telecom"], "");
        assert!(domain.status.success(), "{}", text(&domain.stderr));
        assert_eq!(text(&domain.stdout).trim(), "Created domain acme.example (reseller Acme Telecom).");

        let args = [
            "user",
            "create",
            "--domain",
            "acme.example",
            "--extension",
            "200",
            "--first",
            "Olga",
            "--last",
            "Manning",
            "--email",
            "Olga@Acme.Example",
            "--scope",
            "office-manager",
            "--password-stdin",
        ];
        let created = switchboard(&app, &args, "a long enough password\n");
        assert!(created.status.success(), "{}", text(&created.stderr));
        assert_eq!(
            text(&created.stdout).trim(),
            "Created user 200@acme.example (Olga Manning, Office Manager, Active)."
        );
        app.sign_in("200@acme.example", "a long enough password").await;
        app.sign_in("olga@acme.example", "a long enough password").await;
    })
}

#[test]
fn a_duplicate_extension_is_one_line_of_error_and_changes_nothing() {
    common::run(async {
        let app = TestApp::new().await;
        assert!(switchboard(&app, &["domain", "create", "acme.example"], "").status.success());
        let args = user_args("acme.example", "basic-user", &[]);
        assert!(switchboard(&app, &args, "").status.success());
        let before = user_count(&app).await;

        let again = switchboard(&app, &args, "");
        assert_eq!(again.status.code(), Some(1));
        assert_eq!(text(&again.stderr), "error: The extension 201 already exists in acme.example.\n");
        assert_eq!(user_count(&app).await, before);

        let duplicate_domain = switchboard(&app, &["domain", "create", "acme.example"], "");
        assert_eq!(duplicate_domain.status.code(), Some(1));
        assert_eq!(text(&duplicate_domain.stderr), "error: The domain acme.example already exists.\n");
    })
}

#[test]
fn an_unknown_domain_or_bad_field_is_named_and_nothing_is_created() {
    common::run(async {
        let app = TestApp::new().await;
        let unknown = user_args("nope.example", "basic-user", &[]);
        let output = switchboard(&app, &unknown, "");
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(text(&output.stderr), "error: There is no domain named nope.example.\n");

        assert!(switchboard(&app, &["domain", "create", "acme.example"], "").status.success());
        let short = user_args("acme.example", "basic-user", &["--password-stdin"]);
        let output = switchboard(&app, &short, "short\n");
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(text(&output.stderr), "error: The password must be at least 10 characters.\n");
        assert_eq!(user_count(&app).await, 0);
    })
}

#[test]
fn the_command_line_holds_a_password_to_the_rules_of_the_web_forms() {
    common::run(async {
        let app = TestApp::new().await;
        assert!(switchboard(&app, &["domain", "create", "acme.example"], "").status.success());
        let args = user_args("acme.example", "basic-user", &["--password-stdin"]);
        for (password, message) in [
            ("password123", "This password is too common; choose one that is harder to guess."),
            ("201@acme.example", "The password must not be your login."),
            (&"a very long passphrase ".repeat(12), "The password must be at most 256 characters."),
        ] {
            let output = switchboard(&app, &args, &format!("{password}\n"));
            assert_eq!(output.status.code(), Some(1), "{password}");
            assert_eq!(text(&output.stderr), format!("error: {message}\n"));
        }
        assert_eq!(user_count(&app).await, 0);
    })
}

#[test]
fn the_demo_seed_prints_logins_that_work_and_runs_once() {
    common::run(async {
        let app = TestApp::new().await;
        let seeded = switchboard(&app, &["demo", "seed", "--users", "5"], "");
        assert!(seeded.status.success(), "{}", text(&seeded.stderr));
        let stdout = text(&seeded.stdout);
        assert_eq!(user_count(&app).await, 7, "5 subscribers and 2 admins");
        // "  Super User:     100@demo.example  password: XXXX"
        let logins: Vec<(String, String)> = stdout
            .lines()
            .filter_map(|line| line.split_once("password: "))
            .map(|(who, password)| (who.split_whitespace().last().unwrap().to_string(), password.trim().to_string()))
            .collect();
        assert_eq!(logins.len(), 2, "{stdout}");
        for (login, password) in &logins {
            app.sign_in(login, password).await;
        }

        let again = switchboard(&app, &["demo", "seed", "--if-empty"], "");
        assert!(again.status.success());
        assert!(text(&again.stdout).contains("already has users"));
        let refused = switchboard(&app, &["demo", "seed"], "");
        assert_eq!(refused.status.code(), Some(1));
        assert_eq!(text(&refused.stderr), "error: The domain demo.example already exists.\n");
        assert_eq!(user_count(&app).await, 7);
    })
}

#[test]
fn a_database_that_cannot_be_opened_is_named_as_such() {
    common::run(async {
        let app = TestApp::new().await;
        let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["domain", "create", "acme.example"])
            .env("DATABASE_URL", "sqlite:///proc/switchboard/none.db?mode=rwc")
            .env("RUST_LOG", "off")
            .output()
            .expect("switchboard ran");
        assert_eq!(output.status.code(), Some(1));
        let stderr = text(&output.stderr);
        assert!(stderr.starts_with("error: cannot open the database: "), "{stderr}");
        assert!(!stderr.contains("Something went wrong"), "{stderr}");
        assert_eq!(user_count(&app).await, 0);
    })
}

#[test]
fn a_failure_inside_is_told_in_the_command_lines_words_with_its_cause_in_the_log() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("switchboard.db");
    let run = |mode: &str, domain: &str| {
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["domain", "create", domain])
            .env("DATABASE_URL", format!("sqlite://{}?mode={mode}", file.display()))
            .env("RUST_LOG", "error")
            .output()
            .expect("switchboard ran")
    };
    assert!(run("rwc", "a.example").status.success());
    // Read-only: the schema is there, but the insert is refused by the database.
    let output = run("ro", "b.example");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("readonly database"), "the cause is logged: {stderr}");
    assert!(
        stderr.ends_with(
            "error: the database cannot take changes: it is full or read-only (the log line above says which). \
             Nothing was changed.\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("Something went wrong"), "{stderr}");
}

#[test]
fn recycle_from_a_file_saves_the_good_rows_and_refuses_each_bad_one_with_why() {
    use app::server::entities::{audit_log, outbox_message};
    use app::shared::model::{Scope, UserStatus};
    use sea_orm::{ColumnTrait, QueryFilter};
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.office_manager, common::PASSWORD).await;
        let mut ids = Vec::new();
        for extension in ["201", "202", "203"] {
            ids.push(app.user_id(&format!("{extension}@a.example")).await);
        }
        app.reset_users(&session, ids.clone()).await;
        app.user("a.example", "204", "Ivy", "Active", Scope::BasicUser).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new-hires.csv");
        std::fs::write(
            &file,
            "\u{feff}Extension,First Name,Last Name,Email\r\n201,Nia,New,nia@a.example\r\n202,Oli,,\r\n\
             203,Pat,Park,pat@a.example\r\n204,Quin,Q,\r\n999,Rae,R,\r\n201,Dup,D,\r\nabc,X,Y,\r\n",
        )
        .unwrap();
        let path = file.to_str().unwrap();

        let output =
            switchboard(&app, &["users", "recycle", "--domain", "a.example", "--file", path, "--send-welcome"], "");
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        assert!(stdout.contains("Recycled 2 users of a.example: 201 and 203."), "{stdout}");
        assert!(stdout.contains("Welcome emails queued for 2 users"), "{stdout}");
        let refused: Vec<&str> = stderr.lines().filter(|line| line.starts_with("refused: ")).collect();
        assert_eq!(
            refused,
            [
                "refused: Line 3: extension 202: Last Name is required.",
                "refused: Line 5: extension 204: Extension 204 is not waiting to be recycled (its status is Active).",
                "refused: Line 6: extension 999 is not a user of a.example.",
                "refused: Line 7: extension 201 is already on line 2; only that row is used.",
                "refused: Line 8: \u{201c}abc\u{201d} is not an extension (2 to 10 digits).",
            ],
            "{stderr}"
        );
        assert!(stderr.contains("error: 5 rows were refused (listed above); nothing was saved for them"), "{stderr}");

        let users = |extension: &'static str| {
            let db = app.db.clone();
            async move {
                user::Entity::find()
                    .filter(user::Column::Login.eq(format!("{extension}@a.example")))
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let nia = users("201").await;
        assert_eq!((nia.first_name.as_str(), nia.status), ("Nia", UserStatus::PasswordRequired));
        assert_eq!(users("203").await.email.as_deref(), Some("pat@a.example"));
        assert_eq!(users("202").await.status, UserStatus::SetupRequired, "a refused row saves nothing");
        assert_eq!(users("204").await.first_name, "Ivy");
        assert_eq!(outbox_message::Entity::find().count(&app.db).await.unwrap(), 2);
        let recycled =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("user_recycled")).all(&app.db).await.unwrap();
        assert_eq!(recycled.len(), 2);
        assert!(recycled.iter().all(|entry| entry.actor == "command line" && entry.actor_user_id.is_none()));

        // The refused row, mended, on its own: nothing refused, exit 0.
        std::fs::write(&file, "202\tOli\tOwens\t\n").unwrap();
        let mended = switchboard(&app, &["user", "recycle", "--domain", "a.example", "--file", path], "");
        assert!(mended.status.success(), "{}{}", text(&mended.stdout), text(&mended.stderr));
        assert!(text(&mended.stdout).contains("Recycled 1 user of a.example: 202."));
        assert_eq!(users("202").await.status, UserStatus::PasswordRequired);

        let unknown = switchboard(&app, &["users", "recycle", "--domain", "nope.example", "--file", path], "");
        assert_eq!(unknown.status.code(), Some(1));
        assert!(text(&unknown.stderr).contains("There is no domain named nope.example."), "{}", text(&unknown.stderr));
    })
}

#[test]
fn recycle_prints_a_refused_row_without_the_control_characters_the_file_holds() {
    common::run(async {
        let (app, _fixture) = TestApp::with_fixture().await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new-hires.csv");
        // An escape sequence that would clear the operator's screen, in the extension's cell.
        std::fs::write(&file, "\u{1b}[2J,Eve,Evil,\n").unwrap();
        let output =
            switchboard(&app, &["users", "recycle", "--domain", "a.example", "--file", file.to_str().unwrap()], "");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
        assert!(stderr.contains("refused: Line 1: \u{201c}\\u{1b}[2J\u{201d} is not an extension"), "{stderr:?}");
    })
}

#[test]
fn an_operator_holds_a_domains_jobs_lets_a_few_users_through_and_releases_them() {
    use app::server::entities::audit_log;
    use sea_orm::{ColumnTrait, QueryFilter};
    common::run(async {
        let (app, _fixture) = TestApp::with_fixture().await;
        let allowance = || async {
            app::server::directory::domains::find(&app.db, "a.example").await.unwrap().unwrap().bulk_allowance
        };
        let held = switchboard(&app, &["jobs", "hold", "--domain", "a.example"], "");
        assert!(held.status.success(), "{}", text(&held.stderr));
        assert!(text(&held.stdout).contains("The bulk jobs of a.example are held"), "{}", text(&held.stdout));
        assert_eq!(allowance().await, Some(0));
        let some = switchboard(&app, &["jobs", "release", "--domain", "a.example", "--users", "2"], "");
        assert!(text(&some.stdout).contains("go on for 2 more users, then wait"), "{}", text(&some.stdout));
        assert_eq!(allowance().await, Some(2));
        let all = switchboard(&app, &["jobs", "release", "--domain", "A.Example"], "");
        assert!(text(&all.stdout).contains("The bulk jobs of a.example go on."), "{}", text(&all.stdout));
        assert_eq!(allowance().await, None);
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.is_in(["bulk_work_held", "bulk_work_released"]))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(audited, 3);
        let unknown = switchboard(&app, &["jobs", "hold", "--domain", "nope.example"], "");
        assert_eq!(unknown.status.code(), Some(1));
        assert!(text(&unknown.stderr).contains("There is no domain named nope.example."), "{}", text(&unknown.stderr));
    })
}

#[test]
fn scim_token_create_prints_the_token_alone_list_names_it_and_revoke_shuts_it_out() {
    common::run(async {
        let app = TestApp::new().await;
        app.domain("a.example", "R1").await;
        let made = switchboard(&app, &["scim", "token", "create", "--domain", "a.example", "--name", "Okta"], "");
        assert!(made.status.success(), "{}", text(&made.stderr));
        let stdout = text(&made.stdout);
        let token = stdout.trim_end_matches('\n');
        assert!(!token.contains('\n'), "more than the token on stdout: {stdout:?}");
        assert!(token.starts_with("sbscim_") && token.len() == "sbscim_".len() + 43, "{token:?}");
        let listed = switchboard(&app, &["scim", "token", "list", "--domain", "a.example"], "");
        assert!(text(&listed.stdout).starts_with("Okta\tmade "), "{}", text(&listed.stdout));
        assert!(text(&listed.stdout).contains("never used"), "{}", text(&listed.stdout));
        let domain = app::server::directory::domains::find(&app.db, "a.example").await.unwrap().unwrap();
        let holder = app::server::provisioning::tokens::authenticate(&app.db, token).await.unwrap();
        assert_eq!(holder.map(|holder| holder.domain.id), Some(domain.id));

        let twice = switchboard(&app, &["scim", "token", "create", "--domain", "a.example", "--name", "Okta"], "");
        assert_eq!(twice.status.code(), Some(1));
        assert!(text(&twice.stderr).contains("already has a token named Okta"), "{}", text(&twice.stderr));
        let used = switchboard(&app, &["scim", "token", "list", "--domain", "a.example"], "");
        assert!(text(&used.stdout).contains("last used "), "{}", text(&used.stdout));

        let revoked = switchboard(&app, &["scim", "token", "revoke", "--domain", "a.example", "--name", "Okta"], "");
        assert!(revoked.status.success(), "{}", text(&revoked.stderr));
        assert!(app::server::provisioning::tokens::authenticate(&app.db, token).await.unwrap().is_none());
        let unknown = switchboard(&app, &["scim", "token", "revoke", "--domain", "a.example", "--name", "Okta"], "");
        assert_eq!(unknown.status.code(), Some(1));
        let nowhere = switchboard(&app, &["scim", "token", "create", "--domain", "nowhere.example", "--name", "X"], "");
        assert_eq!(nowhere.status.code(), Some(1));
        assert!(
            text(&nowhere.stderr).contains("There is no domain named nowhere.example"),
            "{}",
            text(&nowhere.stderr)
        );
    })
}

/// `switchboard args…` on the database at `url`; a server that should have refused to start is
/// stopped after a minute rather than hanging the test.
fn switchboard_at(url: &str, args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "off")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .expect("switchboard ran")
}

#[test]
fn migrate_status_says_what_is_applied_and_pending_and_a_newer_database_is_refused_untouched() {
    use app::server::db::schema;
    use sea_orm::{ConnectionTrait, Statement};
    common::run(async {
        let known = schema::known();
        // A new database: everything pending, and asking writes nothing.
        let (url, _store) = common::fresh_database().await;
        let output = switchboard_at(&url, &["migrate", "--status"]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let said = text(&output.stdout);
        assert!(said.starts_with("Applied (0):\nPending (serve or `switchboard migrate` applies them) ("), "{said}");
        assert!(said.contains(&format!("({}):\n  {}\n", known.len(), known[0])), "{said}");
        let untouched = app::server::db::open(&url).await.unwrap();
        assert_eq!(schema::status(&untouched).await.unwrap().applied, Vec::<String>::new());

        let output = switchboard_at(&url, &["migrate"]);
        assert_eq!(text(&output.stdout), format!("The database is up to date: {} migrations applied.\n", known.len()));
        let said = text(&switchboard_at(&url, &["migrate", "--status"]).stdout);
        assert!(said.contains(&format!("Applied ({}):\n", known.len())), "{said}");
        assert!(said.contains("applies them) (0):\n"), "{said}");

        // A newer version's migration, and one of ours undone as if it were to come: serve and migrate
        // refuse the database, and apply nothing.
        let last = known.last().unwrap();
        for sql in [
            format!("DELETE FROM seaql_migrations WHERE version = '{last}'"),
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)"
                .to_string(),
        ] {
            untouched.execute(Statement::from_string(untouched.get_database_backend(), sql)).await.unwrap();
        }
        for command in [&["serve"][..], &["migrate"], &["domain", "create", "acme.example"]] {
            let output = switchboard_at(&url, command);
            assert_eq!(output.status.code(), Some(1), "{command:?}");
            let stderr = text(&output.stderr);
            assert!(
                stderr.starts_with(
                    "error: cannot open the database: this database was migrated by a newer version of Switchboard \
                     (it has a migration that this version does not know: m20991231_000001_from_the_future); \
                     nothing was changed."
                ),
                "{stderr}"
            );
        }
        let status = schema::status(&untouched).await.unwrap();
        assert_eq!(status.pending, std::slice::from_ref(last), "nothing was migrated");
        let said = text(&switchboard_at(&url, &["migrate", "--status"]).stdout);
        assert!(said.ends_with("(serve refuses this database) (1):\n  m20991231_000001_from_the_future\n"), "{said}");
    })
}

#[test]
fn backup_writes_a_checked_copy_and_never_overwrites_one() {
    common::run(async {
        let app = TestApp::new().await;
        app.domain("a.example", "R1").await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("monday.db");
        let to = file.to_str().unwrap();
        let output = switchboard_at(&app.url, &["backup", "--to", to]);
        if !app.url.starts_with("sqlite:") {
            assert_eq!(output.status.code(), Some(1));
            assert!(text(&output.stderr).contains("on PostgreSQL use pg_dump"), "{}", text(&output.stderr));
            return;
        }
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(
            text(&output.stdout),
            format!("Backed up to {to}: 0 users, 0 bulk jobs, 0 emails, 0 audit entries.\n")
        );
        let output = switchboard_at(&app.url, &["backup", "--to", to]);
        assert_eq!(output.status.code(), Some(1));
        assert!(text(&output.stderr).contains("already exists"), "{}", text(&output.stderr));
        let output = switchboard_at(&app.url, &["backup", "--to", "/proc/none/monday.db"]);
        assert_eq!(output.status.code(), Some(1));
        assert!(
            text(&output.stderr).starts_with("error: cannot write the backup in /proc/none"),
            "{}",
            text(&output.stderr)
        );

        // Restored over a database nobody serves: the one replaced is kept beside it.
        let target = dir.path().join("restored.db");
        std::fs::write(&target, "").unwrap();
        let url = format!("sqlite://{}?mode=rwc", target.display());
        let output = switchboard_at(&url, &["restore", "--from", to]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let said = text(&output.stdout);
        assert!(said.starts_with(&format!("Restored {to}: 0 users")), "{said}");
        assert!(said.contains("The database it replaced is kept as "), "{said}");
        let domains = app::server::db::connect(&url).await.unwrap();
        assert_eq!(app::server::entities::domain::Entity::find().count(&domains).await.unwrap(), 1);
    })
}
