use std::process::ExitCode;

use clap::Parser;
use fly_store::cli::{Cli, Command, DevArgs};
use fly_store::commands;
use fly_store::settings::Settings;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // awc's rustls needs a process-wide crypto provider; ignore "already set".
    let _ = rustls::crypto::ring::default_provider().install_default();

    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), commands::CommandError> {
    let settings = Settings::from_process_env()?;
    match cli.command.unwrap_or(Command::Dev(DevArgs::default_port())) {
        Command::Serve { bind } => {
            actix_web::rt::System::new().block_on(commands::serve(settings, bind))
        }
        Command::Migrate { revert_all } => commands::migrate(&settings, revert_all),
        Command::Seed(args) => commands::seed(&settings, &args),
        Command::Dev(args) => actix_web::rt::System::new().block_on(commands::dev(settings, &args)),
    }
}
