//! The command line: parse it, set up logging, run the command (the
//! binary, `src/main.rs`, calls [`main`]).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

use crate::auth::{self, Role};
use crate::config::{Cli, Command, DemoCommand, LogFormat, TokenCommand};

/// Logs to stderr as `format`, filtered by `RUST_LOG`. A filter of targets
/// and levels only (the usual case: `info`, `relgate::sql=trace`) is a static
/// [`Targets`] filter. `EnvFilter`, needed only for span and field
/// directives, takes a lock and a map look-up each time any span is entered
/// or left, and a request's span is entered at every poll of the request: in
/// a profile of the fan-out query that was about a tenth of relgate's CPU
/// time.
///
/// The filter is a layer over the whole stack, so it also decides which
/// spans `otel` (OpenTelemetry export, [`crate::telemetry`]) sees.
fn init_logs(format: LogFormat, otel: Option<OtelLayer>) {
    let spec = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "info,sqlx=warn,sea_orm=warn".to_owned());
    let json = format == LogFormat::Json;
    let registry = tracing_subscriber::registry().with(otel);
    match spec.parse::<Targets>() {
        Ok(targets) if json => registry.with(targets).with(fmt::layer().json()).init(),
        Ok(targets) => registry.with(targets).with(fmt::layer()).init(),
        Err(_) if json => registry
            .with(EnvFilter::new(spec))
            .with(fmt::layer().json())
            .init(),
        Err(_) => registry
            .with(EnvFilter::new(spec))
            .with(fmt::layer())
            .init(),
    }
}

#[cfg(feature = "otel")]
type OtelLayer = crate::telemetry::Layer;
#[cfg(feature = "otel")]
use crate::telemetry::Telemetry;
/// Without the `otel` feature there is no exporter: a layer that does
/// nothing, and nothing to shut down.
#[cfg(not(feature = "otel"))]
type OtelLayer = tracing_subscriber::layer::Identity;
#[cfg(not(feature = "otel"))]
struct Telemetry;
#[cfg(not(feature = "otel"))]
impl Telemetry {
    fn shutdown(self) {}
}

/// OpenTelemetry export, when this build has it and the environment asks
/// for it; a build without it says so once instead of ignoring the setting.
#[cfg(feature = "otel")]
fn otel(runtime: &tokio::runtime::Runtime) -> Result<Option<(OtelLayer, Telemetry)>, String> {
    crate::telemetry::layer(runtime.handle().clone())
}

#[cfg(not(feature = "otel"))]
fn otel(_: &tokio::runtime::Runtime) -> Result<Option<(OtelLayer, Telemetry)>, String> {
    if std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.trim().is_empty()) {
        eprintln!(
            "relgate: OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build has no OpenTelemetry export (build with --features otel)"
        );
    }
    Ok(None)
}

/// Runs the command line's command on a new multi-threaded runtime.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("relgate: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (layer, telemetry) = match otel(&runtime) {
        Ok(Some((layer, telemetry))) => (Some(layer), Some(telemetry)),
        Ok(None) => (None, None),
        Err(err) => {
            eprintln!("relgate: {err}");
            return ExitCode::FAILURE;
        }
    };
    init_logs(cli.log_format, layer);
    let code = match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("relgate: {err}");
            ExitCode::FAILURE
        }
    };
    // The spans still queued go out before the runtime that sends them stops.
    if let Some(telemetry) = telemetry {
        telemetry.shutdown();
    }
    code
}

/// An error for the command line, which (unlike API clients) may see
/// internal causes.
fn cli_error(e: crate::error::AppError) -> String {
    match e {
        crate::error::AppError::Internal(cause) => cause.to_string(),
        other => other.public_message(),
    }
}

/// Draws `done` of `total` as a bar on a terminal's stderr.
fn progress_bar(done: u64, total: u64) {
    if !std::io::stderr().is_terminal() || total == 0 {
        return;
    }
    let width = 40;
    let filled = (done.min(total) * width / total) as usize;
    eprint!(
        "\r[{}{}] {:>3}% {done}/{total} rows",
        "#".repeat(filled),
        " ".repeat(width as usize - filled),
        done.min(total) * 100 / total
    );
}

async fn run(cli: Cli) -> Result<(), crate::StartError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = crate::Application::build(&cli.database, &cli.serve).await?;
            let addr = app.local_addr()?;
            tracing::info!(
                "relgate listening on http://{addr} (GraphQL at /graphql, playground at /playground)"
            );
            app.run_until(crate::shutdown_signal()).await?;
        }
        Command::Migrate => {
            crate::open_service(&cli.database).await?;
            tracing::info!("database migrated");
        }
        Command::Schema => print!("{}", crate::graphql::sdl()),
        Command::Openapi => print!("{}", crate::dialects::openapi_json()),
        Command::Token { command } => {
            let service = crate::open_service(&cli.database).await?;
            let store = service.store();
            let fail = cli_error;
            match command {
                TokenCommand::Create {
                    role,
                    name,
                    expires_in,
                    email,
                } => {
                    let role = Role::parse(&role).ok_or("unknown role")?;
                    let (token, _) = auth::create_token(store, &name, role, expires_in, email)
                        .await
                        .map_err(fail)?;
                    eprintln!(
                        "token {name:?} ({}) created; it is shown only once:",
                        role.as_str()
                    );
                    println!("{token}");
                }
                TokenCommand::List => {
                    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                        t.map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
                    };
                    println!(
                        "{:<24} {:<6} {:<17} {:<17} {:<17} {:<17}",
                        "NAME", "ROLE", "CREATED", "LAST USED", "EXPIRES", "REVOKED"
                    );
                    for t in auth::list_tokens(store).await.map_err(fail)? {
                        println!(
                            "{:<24} {:<6} {:<17} {:<17} {:<17} {:<17}",
                            t.name,
                            t.role.as_str(),
                            time(Some(t.created_at)),
                            time(t.last_used_at),
                            time(t.expires_at),
                            time(t.revoked_at)
                        );
                    }
                }
                TokenCommand::Revoke { name } => {
                    auth::revoke_token(store, &name).await.map_err(fail)?;
                    println!("token {name:?} revoked");
                }
            }
        }
        Command::Demo {
            command:
                DemoCommand::Seed {
                    entities,
                    relations,
                },
        } => {
            let service = crate::open_service(&cli.database).await?;
            let summary = match (entities, relations) {
                (Some(entities), Some(relations)) => {
                    let started = std::time::Instant::now();
                    let scale = crate::demo::Scale {
                        entities,
                        relations,
                    };
                    let out = crate::demo::seed_at_scale(&service, scale, progress_bar).await;
                    if std::io::stderr().is_terminal() {
                        eprintln!();
                    }
                    out.map(|s| format!("{s} in {:.1} s", started.elapsed().as_secs_f64()))
                }
                _ => crate::demo::seed(&service).await,
            }
            .map_err(cli_error)?;
            println!("{summary}");
        }
    }
    Ok(())
}
