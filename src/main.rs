//! The `relgate` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use relgate::config::{Cli, Command, DemoCommand, LogFormat};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("relgate: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), relgate::StartError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = relgate::Application::build(&cli.database, &cli.serve).await?;
            let addr = app.local_addr()?;
            tracing::info!(
                "relgate listening on http://{addr} (GraphQL at /graphql, playground at /playground)"
            );
            app.run_until(relgate::shutdown_signal()).await?;
        }
        Command::Migrate => {
            relgate::open_service(&cli.database).await?;
            tracing::info!("database migrated");
        }
        Command::Schema => print!("{}", relgate::graphql::sdl()),
        Command::Demo {
            command: DemoCommand::Seed,
        } => {
            let service = relgate::open_service(&cli.database).await?;
            let summary = relgate::demo::seed(&service)
                .await
                .map_err(|e| e.public_message())?;
            println!("{summary}");
        }
    }
    Ok(())
}
