//! `fly-store machines …`: one-off command machines and a machine list.
//!
//! awc needs actix's single-threaded runtime, so [`run`] starts its own
//! actix `System` and is meant to be called from a plain `main`, outside
//! any runtime. Inside a runtime, await [`execute`] instead.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Subcommand;

use crate::fly::error::FlyError;
use crate::fly::machines::types::exit_code_in;
use crate::fly::machines::{ApiConfig, Machine, MachineState, MachinesClient};
use crate::fly::role::{ROLE_VARIABLE, Role};
use crate::fly::settings::FlySettings;
use crate::fly::worker::WorkerSpec;
use crate::fly::worker::spec::{ONEOFF_ROLE, ROLE_METADATA_KEY, WORKER_ROLE};

/// Longest a one-off command is waited for.
const RUN_LIMIT: Duration = Duration::from_secs(6 * 60 * 60);
/// Looks at a stopped machine before concluding it left no exit code.
const EXIT_LOOKS: u32 = 10;

/// The `machines` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum MachinesCommand {
    /// Run a command on a new machine from the current image (destroyed
    /// when the command exits, never restarted), wait for it, print its exit
    /// code and exit with it.
    Run {
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, num_args = 1..)]
        command: Vec<String>,
    },
    /// List the app's machines with role, state, image and region.
    List,
}

/// Runs `command` in its own actix `System` and returns the process exit
/// code: the remote command's for `run`, 0 for `list`.
pub fn run(command: MachinesCommand, settings: &FlySettings) -> Result<i32, FlyError> {
    let system = actix_web::rt::System::new();
    system.block_on(execute(command, settings, &mut std::io::stdout()))
}

/// Runs `command`, writing what it shows to `out`.
pub async fn execute(
    command: MachinesCommand,
    settings: &FlySettings,
    out: &mut dyn Write,
) -> Result<i32, FlyError> {
    let api = ApiConfig::from_settings(settings, None)?.ok_or(FlyError::Setting {
        key: "fly.api_token",
        reason: "FLY_APP_NAME and FLY_API_TOKEN must both be set".to_owned(),
    })?;
    let client = api.client();
    match command {
        MachinesCommand::Run { command } => run_oneoff(&client, settings, &command, out).await,
        MachinesCommand::List => list(&client, out).await.map(|()| 0),
    }
}

async fn run_oneoff(
    client: &MachinesClient,
    settings: &FlySettings,
    command: &[String],
    out: &mut dyn Write,
) -> Result<i32, FlyError> {
    let spec = WorkerSpec::new(settings, std::env::vars());
    let body = spec
        .oneoff_create_body(command)
        .ok_or_else(|| FlyError::Setting {
            key: "fly.image_ref",
            reason: "FLY_IMAGE_REF must be set to run a command".to_owned(),
        })?;
    let machine = client.create(&body).await?;
    log::info!("created one-off machine_id={}", machine.id);
    writeln!(out, "machine {} runs: {}", machine.id, command.join(" "))?;

    let code = wait_for_exit(client, &machine).await?;
    writeln!(out, "exit code: {code}")?;
    Ok(code)
}

/// Waits for the machine's command to exit and returns its exit code, read
/// from the wait answer or from the machine's `exit` event.
async fn wait_for_exit(client: &MachinesClient, machine: &Machine) -> Result<i32, FlyError> {
    let deadline = Instant::now() + RUN_LIMIT;
    let version = machine.instance_id.as_deref();
    while Instant::now() < deadline {
        match client
            .wait(&machine.id, "stopped", Duration::from_secs(60), version)
            .await
        {
            Ok(answer) => {
                if let Some(code) = exit_code_in(&answer) {
                    return Ok(code);
                }
            }
            Err(error) if error.status() == Some(408) => continue,
            Err(error) if matches!(error.status(), Some(400 | 404 | 412)) => {}
            Err(error) => return Err(error.into()),
        }
        if let Some(code) = exit_code_from_events(client, &machine.id).await? {
            return Ok(code);
        }
    }
    Err(FlyError::NoExitCode {
        machine_id: machine.id.clone(),
    })
}

/// The exit code in the machine's events, looking a few times while the
/// event may still be on its way; `None` while the machine still runs.
async fn exit_code_from_events(client: &MachinesClient, id: &str) -> Result<Option<i32>, FlyError> {
    for _ in 0..EXIT_LOOKS {
        let machine = match client.get(id).await {
            Ok(machine) => machine,
            Err(error) if error.is_not_found() => break,
            Err(error) => return Err(error.into()),
        };
        if let Some(code) = machine.exit_code() {
            return Ok(Some(code));
        }
        let finished = matches!(
            machine.state,
            MachineState::Stopped
                | MachineState::Destroying
                | MachineState::Destroyed
                | MachineState::Failed
        );
        if !finished {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(FlyError::NoExitCode {
        machine_id: id.to_owned(),
    })
}

async fn list(client: &MachinesClient, out: &mut dyn Write) -> Result<(), FlyError> {
    let machines = client.list(None).await?;
    writeln!(
        out,
        "{:<16} {:<8} {:<11} {:<8} IMAGE",
        "ID", "ROLE", "STATE", "REGION"
    )?;
    for machine in &machines {
        writeln!(
            out,
            "{:<16} {:<8} {:<11} {:<8} {}",
            machine.id,
            role_of(machine),
            machine.state.as_str(),
            machine.region.as_deref().unwrap_or("-"),
            machine.image().unwrap_or("-")
        )?;
    }
    Ok(())
}

/// `worker`, `oneoff` or `main`, from a machine's tags.
fn role_of(machine: &Machine) -> &'static str {
    let auto_destroy = machine
        .config
        .as_ref()
        .and_then(|config| config.auto_destroy)
        .unwrap_or(false);
    match machine.metadata(ROLE_METADATA_KEY) {
        Some(WORKER_ROLE) => "worker",
        Some(ONEOFF_ROLE) => "oneoff",
        _ if auto_destroy => "oneoff",
        _ if Role::from_marker(machine.env(ROLE_VARIABLE)).ok() == Some(Role::Worker) => "worker",
        _ => "main",
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: MachinesCommand,
    }

    #[test]
    fn run_takes_everything_after_the_double_dash_as_the_command() {
        let cli = Cli::parse_from(["machines", "run", "--", "fly-store", "migrate", "--x"]);

        assert_eq!(
            cli.command,
            MachinesCommand::Run {
                command: vec!["fly-store".into(), "migrate".into(), "--x".into()]
            }
        );
    }

    #[test]
    fn run_without_a_command_is_refused() {
        assert!(Cli::try_parse_from(["machines", "run"]).is_err());
    }
}
