use std::process::ExitCode;

use fly_store::fly;

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
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; returns the process's exit code.
fn run(cli: Cli) -> Result<u8, commands::CommandError> {
    let settings = Settings::from_process_env()?;
    let system = || actix_web::rt::System::new();
    match cli.command.unwrap_or(Command::Dev(DevArgs::defaults())) {
        Command::Serve { bind } => system().block_on(commands::serve(settings, bind))?,
        Command::Migrate { revert_all } => commands::migrate(&settings, revert_all)?,
        Command::Seed(args) => commands::seed(&settings, &args)?,
        Command::Dev(args) => system().block_on(commands::dev(settings, &args))?,
        // The command's own exit code, clamped into a process exit status.
        Command::Machines(command) => {
            let code = fly::cli::run(command, &settings.fly)?;
            return Ok(u8::try_from(code).unwrap_or(1));
        }
    }
    Ok(0)
}
