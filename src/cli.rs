//! The command line: `serve`, `migrate`, `user create`, `demo`, `openapi`,
//! `rebuild-stats`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Settings, SettingsOverrides};
use crate::domain::auth::Secret;
use crate::domain::field::from_value;
use crate::domain::user::{NewUser, Role};
use crate::error::AppError;
use crate::startup::{Application, build_state, shutdown_signal};
use crate::{db, openapi, services, telemetry};

#[derive(Debug, Parser)]
#[command(name = "gemba", version, about = "Factory inspection backend")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (migrates the database first).
    Serve(#[command(flatten)] SettingsOverrides),
    /// Apply database migrations and exit.
    Migrate(#[command(flatten)] SettingsOverrides),
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load a realistic sample: factories in KR/VN/US, equipment, plans and 90 days of history.
    Demo(#[command(flatten)] SettingsOverrides),
    /// Print the OpenAPI document (JSON) to stdout.
    Openapi,
    /// Recompute the statistics blocks from the stored schedules and
    /// results (after rows were imported by SQL).
    RebuildStats(#[command(flatten)] SettingsOverrides),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from the terminal, or from stdin
    /// when stdin is not a terminal.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "admin")]
        role: Role,
        #[command(flatten)]
        settings: SettingsOverrides,
    },
}

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        Role::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(o) => serve(Settings::load(&o)?).await,
        Command::Migrate(o) => {
            let settings = Settings::load(&o)?;
            let _guard = telemetry::init(&settings)?;
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            println!(
                "migrations applied to {}",
                db::redact(&settings.database_url)
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    settings,
                },
        } => create_user(Settings::load(&settings)?, email, name, role).await,
        Command::Demo(o) => {
            let settings = Settings::load(&o)?;
            let _guard = telemetry::init(&settings)?;
            let state = build_state(settings).await?;
            crate::demo::load(&state).await
        }
        Command::RebuildStats(o) => {
            let settings = Settings::load(&o)?;
            let _guard = telemetry::init(&settings)?;
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            let txn = db::begin_write(&conn).await?;
            crate::repositories::stats::rebuild(&txn).await?;
            txn.commit().await?;
            println!("statistics rebuilt");
            Ok(())
        }
        Command::Openapi => {
            let doc = openapi::document()
                .to_pretty_json()
                .context("serializing the OpenAPI document")?;
            println!("{doc}");
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let _guard = telemetry::init(&settings)?;
    let app = Application::build(settings).await?;
    let addr = app.local_addr();
    let s = &app.state.settings;
    tracing::info!(
        %addr,
        database = %db::redact(&s.database_url),
        data_dir = %s.data_dir.display(),
        "gemba is listening"
    );
    // Not println!: a closed stdout (a supervisor that stopped reading) must
    // not bring the server down.
    let hint = if s.data_dir.as_os_str() == "./data" {
        String::new()
    } else {
        format!(" --data-dir {}", s.data_dir.display())
    };
    let banner = format!(
        "gemba listening on http://{addr}\n  API docs:    http://{addr}/docs\n  data dir:    {}\n  first admin: gemba user create --email you@example.com --role admin{hint}\n",
        s.data_dir.display()
    );
    let mut out = std::io::stdout();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    app.run_until(shutdown_signal()).await?;
    tracing::info!("gemba stopped");
    Ok(())
}

async fn create_user(
    settings: Settings,
    email: String,
    name: Option<String>,
    role: Role,
) -> anyhow::Result<()> {
    let _guard = telemetry::init(&settings)?;
    let password = read_password()?;
    let state = build_state(settings).await?;
    let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("admin").to_owned());
    let input = from_value::<NewUser>(serde_json::json!({
        "email": email, "name": name, "role": role, "password": password.expose()
    }))
    .map_err(AppError::from);
    match async { services::users::create_from_cli(&state, input?).await }.await {
        Ok(user) => {
            println!(
                "created {} user {} (id {})",
                user.role,
                user.email.as_str(),
                user.id
            );
            Ok(())
        }
        Err(AppError::Validation(errors)) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("  {}: {}", e.field, e.message))
                .collect();
            anyhow::bail!("the user was not created:\n{}", lines.join("\n"))
        }
        Err(AppError::Conflict(msg)) => anyhow::bail!("the user was not created: {msg}"),
        Err(other) => Err(anyhow::Error::new(other).context("creating the user")),
    }
}

fn read_password() -> anyhow::Result<Secret> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again =
            rpassword::prompt_password("Repeat password: ").context("reading the password")?;
        anyhow::ensure!(first == again, "the passwords do not match");
        Ok(Secret::new(first))
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
    }
}
