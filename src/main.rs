//! `msi-hub`: serve the GraphQL API, migrate, load the demo network, import reports, issue
//! development tokens.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use msi_hub::app::App;
use msi_hub::auth::{Principal, Role};
use msi_hub::config::{LogFormat, Settings};
use msi_hub::domain::Month;
use msi_hub::generator::Spec;

mod cli;

/// mimalloc: many short-lived allocations (rows, GraphQL values) fragment glibc's arenas.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "msi-hub",
    version,
    about = "MSI Hub: dealers' monthly MSI reports and KPIs over GraphQL"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (pending migrations run first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "MSI_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Load the demo network first if the database holds no dealers.
        #[arg(long, env = "MSI_DEMO")]
        demo: bool,
    },
    /// Run pending migrations and exit.
    Migrate,
    /// Load the demo network: 8 regions, ~240 dealers, 24 months ending last month (idempotent).
    Demo,
    /// Fill the database with a generated network of any size (benchmarks).
    Generate {
        #[arg(long, default_value_t = 10_000)]
        dealers: usize,
        #[arg(long, default_value_t = 36)]
        months: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 8)]
        regions: usize,
        /// Last month with reports (default: last month).
        #[arg(long)]
        end: Option<Month>,
    },
    /// Print a signed development token (HS256, with the configured or development secret).
    Token {
        /// oem_admin, regional_manager, dealer or bi_reader.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Dealer code (role dealer).
        #[arg(long)]
        dealer: Option<String>,
        /// Region codes, comma-separated (role regional_manager).
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        /// Subject; defaults to the role (and dealer) name.
        #[arg(long)]
        sub: Option<String>,
        /// Validity, e.g. 30m, 8h, 7d.
        #[arg(long, default_value = "8h", value_parser = parse_ttl)]
        ttl: Duration,
    },
    /// Import reports from a CSV file as the OEM (a feed of dealer management systems).
    /// Exits with 2 when rows were refused (see FILE.rejected.csv).
    Import(cli::import::ImportArgs),
    /// Print the GraphQL schema (SDL), as kept in schema.graphql.
    Schema,
}

/// A development token is signed with the secret kept in the database: a SQLite file that
/// does not exist (the command run from another directory, say) would get a secret of its
/// own that no running service knows, so the command stops instead.
fn refuse_a_new_database(settings: &Settings) -> anyhow::Result<()> {
    if settings.jwt_secret.is_some() {
        return Ok(());
    }
    match settings.sqlite_file() {
        Some(file) if !file.exists() => anyhow::bail!(
            "no database at {} ({}): a token signed here would carry a new development secret that no running service knows. Run `msi-hub token` where the service runs (the directory holding msi-hub.db), pass the service's --database-url, or set MSI_JWT_SECRET on both",
            file.display(),
            settings.redacted_database_url()
        ),
        _ => Ok(()),
    }
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        format!("unknown role `{s}`: use oem_admin, regional_manager, dealer or bi_reader")
    })
}

fn parse_ttl(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30m, 8h or 7d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: the unit must be s, m, h or d")),
    };
    Ok(Duration::from_secs(n * secs))
}

/// Logs to standard error, filtered by `MSI_LOG`: text (coloured only on a terminal, so that
/// files and collectors get no escape codes) or JSON lines.
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("MSI_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logs(cli.settings.log_format);
    if let Command::Schema = cli.command {
        print!("{}", msi_hub::graphql::sdl());
        return Ok(());
    }
    if let Command::Token { .. } = cli.command {
        refuse_a_new_database(&cli.settings)?;
    }
    tracing::info!(database = %cli.settings.redacted_database_url(), "opening database");
    let app = Arc::new(
        App::open(cli.settings)
            .await
            .context("cannot open the database")?,
    );
    match cli.command {
        Command::Serve { listen, demo } => {
            if demo {
                if let Some(s) = app.load_demo(true).await? {
                    tracing::info!(
                        dealers = s.dealers,
                        reports = s.reports_inserted,
                        "demo network loaded"
                    );
                }
            }
            // Months whose close has passed are published to dealer users; then every minute.
            let scheduler = app.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    if let Err(e) = scheduler.publish_due().await {
                        tracing::warn!(error = %e, "publishing due months failed; trying again in a minute");
                    }
                }
            });
            if app.settings.warm_months > 0 {
                app.ready.store(false, std::sync::atomic::Ordering::SeqCst);
                let warm = app.clone();
                let task = tokio::spawn(async move { warm.warm_kpis().await });
                // A warm-up that panics must not leave the replica unready for good.
                let watch = app.clone();
                tokio::spawn(async move {
                    if task.await.is_err() {
                        tracing::error!("KPI cache warm-up failed; months load on first use");
                        watch.ready.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, "MSI Hub listening: GraphiQL at /graphql");
            msi_hub::http::serve(app.clone(), listener, msi_hub::http::shutdown_signal()).await?;
        }
        Command::Migrate => tracing::info!("migrations are up to date"),
        Command::Demo => match app.load_demo(false).await? {
            Some(s) => println!(
                "demo network: {} dealers, {} months, {} reports, {} targets and {} action items inserted",
                s.dealers, s.months, s.reports_inserted, s.targets_inserted, s.actions_created
            ),
            None => unreachable!("load_demo(false) always loads"),
        },
        Command::Generate {
            dealers,
            months,
            seed,
            regions,
            end,
        } => {
            let end = end.unwrap_or_else(|| app.current_month().plus(-1));
            let spec = Spec {
                dealers,
                months,
                seed,
                regions,
                end,
                now_ms: app.now_ms(),
                deadline_day: app.settings.deadline_day,
            };
            let s = app
                .load_generated(&spec, |done, all, reports| {
                    eprintln!("generate: month {done}/{all}, {reports} reports inserted");
                })
                .await?;
            println!(
                "generated: {} dealers, {} months, {} reports, {} targets and {} action items inserted",
                s.dealers, s.months, s.reports_inserted, s.targets_inserted, s.actions_created
            );
        }
        Command::Token {
            role,
            dealer,
            regions,
            sub,
            ttl,
        } => {
            match role {
                Role::RegionalManager if regions.is_empty() => {
                    anyhow::bail!("a regional_manager token needs --regions")
                }
                Role::Dealer if dealer.is_none() => anyhow::bail!("a dealer token needs --dealer"),
                _ => {}
            }
            let issuer = app.issuer().context("tokens are RS256 here (MSI_JWT_PUBLIC_KEY or MSI_JWT_JWKS): get them from the identity provider, or set MSI_JWT_SECRET")?;
            let sub = sub.unwrap_or_else(|| {
                dealer.as_ref().map_or(role.as_str().to_string(), |d| {
                    format!("{}:{d}", role.as_str())
                })
            });
            let principal = Principal {
                sub,
                role,
                regions,
                dealer,
            };
            println!("{}", issuer.issue(&principal, ttl.as_secs() as i64));
            // On standard error, so that `TOKEN=$(msi-hub token ...)` keeps the token alone.
            match app.settings.jwt_secret {
                Some(_) => eprintln!("signed with MSI_JWT_SECRET: a service with the same secret accepts it"),
                None => eprintln!(
                    "signed with the development secret kept in the database {}: only a service on this database (and without MSI_JWT_SECRET) accepts it",
                    app.settings.redacted_database_url()
                ),
            }
        }
        Command::Import(args) => {
            let summary = cli::import::run(&app, args).await?;
            app.events_sent().await;
            if summary.rejected + summary.conflict > 0 {
                std::process::exit(2);
            }
        }
        Command::Schema => unreachable!("handled above"),
    }
    // The submission events of what a command stored reach the other replicas.
    app.events_sent().await;
    Ok(())
}
