//! Machines as child processes: each launch runs a local command mapped from
//! the machine's image, in its own process group, with the machine's env and
//! its internal ports mapped to free local ports.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, mpsc};

use control::{Exited, ProcessControl};

use crate::localfly::launcher::{Exit, ExitReport, LaunchError, LaunchSpec, Launched, Launcher};

mod control;

/// Variables of this process that machines inherit (a machine on Fly sees
/// only its own env; these keep a local one usable and its logs readable).
const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "RUST_LOG",
    "RUST_BACKTRACE",
];

/// Runs machines as child processes.
#[derive(Debug, Clone)]
pub struct ProcessLauncher {
    default_program: PathBuf,
    images: HashMap<String, PathBuf>,
}

impl ProcessLauncher {
    /// Runs every image as `program`.
    pub fn new(program: impl Into<PathBuf>) -> ProcessLauncher {
        ProcessLauncher {
            default_program: program.into(),
            images: HashMap::new(),
        }
    }

    /// Runs every image as this same binary.
    pub fn current_exe() -> std::io::Result<ProcessLauncher> {
        Ok(ProcessLauncher::new(std::env::current_exe()?))
    }

    /// Runs machines of `image` as `program` instead.
    pub fn with_image(mut self, image: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        self.images.insert(image.into(), program.into());
        self
    }

    /// The command line for `spec` given its first local port: `init.exec`
    /// as is, else the image's program with entrypoint and cmd (without a
    /// leading program name), else `serve --bind 127.0.0.1:<port>`.
    fn command_line(&self, spec: &LaunchSpec, port: u16) -> (PathBuf, Vec<String>) {
        if let Some((program, args)) = spec.command.exec.split_first() {
            return (PathBuf::from(program), args.to_vec());
        }
        let program = self
            .images
            .get(&spec.image)
            .unwrap_or(&self.default_program)
            .clone();
        let mut args: Vec<String> = spec.command.entrypoint.clone();
        args.extend(spec.command.cmd.iter().cloned());
        // An image's command names its binary (`["fly-store", "migrate"]`);
        // locally that binary is `program` itself.
        let names_program = args
            .first()
            .is_some_and(|first| Some(std::ffi::OsStr::new(first)) == program.file_name());
        if names_program {
            args.remove(0);
        }
        if args.is_empty() {
            args = vec![
                "serve".to_owned(),
                "--bind".to_owned(),
                format!("127.0.0.1:{port}"),
            ];
        }
        (program, args)
    }
}

impl Launcher for ProcessLauncher {
    fn launch(&self, spec: LaunchSpec, on_exit: ExitReport) -> Result<Launched, LaunchError> {
        let mut ports = BTreeMap::new();
        for internal in &spec.internal_ports {
            ports.insert(*internal, free_local_port().map_err(LaunchError::Port)?);
        }
        let first_port = match ports.values().next() {
            Some(addr) => addr.port(),
            None => free_local_port().map_err(LaunchError::Port)?.port(),
        };
        let (program, args) = self.command_line(&spec, first_port);

        let mut command = Command::new(&program);
        command
            .args(&args)
            .env_clear()
            .envs(
                INHERITED
                    .iter()
                    .filter_map(|k| Some((*k, std::env::var(k).ok()?))),
            )
            .envs(&spec.env)
            .env("PORT", first_port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        die_with_parent(&mut command);

        let exited = Arc::new(Exited::default());
        let (pid_tx, pid_rx) = mpsc::channel();
        let label = spec.machine_id.clone();
        let watcher_exited = exited.clone();
        // The thread that spawns the child also waits for it: the kernel's
        // parent-death signal is tied to the spawning thread.
        std::thread::Builder::new()
            .name(format!("machine-{label}"))
            .spawn(move || run_child(command, label, pid_tx, watcher_exited, on_exit))
            .map_err(|source| spawn_error(&program, source))?;
        let pid = pid_rx
            .recv()
            .map_err(|_| spawn_error(&program, std::io::Error::other("launcher thread died")))?
            .map_err(|source| spawn_error(&program, source))?;

        log::info!(
            "machine started machine_id={} pid={pid} command={} {}",
            spec.machine_id,
            program.display(),
            args.join(" ")
        );
        Ok(Launched {
            ports,
            control: Arc::new(ProcessControl { pid, exited }),
        })
    }
}

fn spawn_error(program: &std::path::Path, source: std::io::Error) -> LaunchError {
    LaunchError::Spawn {
        program: program.display().to_string(),
        source,
    }
}

fn run_child(
    mut command: Command,
    label: String,
    pid_tx: mpsc::Sender<std::io::Result<i32>>,
    exited: Arc<Exited>,
    on_exit: ExitReport,
) {
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let _ = pid_tx.send(Err(error));
            return;
        }
    };
    let _ = pid_tx.send(Ok(child.id() as i32));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let label = label.clone();
        std::thread::spawn(move || relay_lines(stream, &label))
    })
    .collect();

    let exit = match child.wait() {
        Ok(status) => Exit {
            code: status.code(),
            signal: status.signal(),
        },
        Err(_) => Exit {
            code: None,
            signal: None,
        },
    };
    exited.mark();
    for reader in readers {
        let _ = reader.join();
    }
    on_exit(exit);
}

/// Prints a machine's output line by line, tagged with its id.
fn relay_lines(stream: Box<dyn Read + Send>, label: &str) {
    for line in BufReader::new(stream).lines() {
        match line {
            Ok(line) => log::info!(target: "localfly::machine", "[{label}] {line}"),
            Err(_) => break,
        }
    }
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// A free port on 127.0.0.1. Known limit: another process may take it
/// between this check and the machine binding it, because the port is
/// handed over by number, not as an open socket.
pub fn free_local_port() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.local_addr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localfly::config::CommandSpec;

    fn spec(cmd: &[&str], exec: &[&str]) -> LaunchSpec {
        LaunchSpec {
            machine_id: "m".to_owned(),
            image: "registry.fly.io/app:deployment-1".to_owned(),
            command: CommandSpec {
                exec: exec.iter().map(|s| s.to_string()).collect(),
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                ..CommandSpec::default()
            },
            env: BTreeMap::new(),
            internal_ports: vec![8000],
        }
    }

    #[test]
    fn no_command_means_serve_on_the_mapped_port() {
        let launcher = ProcessLauncher::new("/opt/fly-store");

        let (program, args) = launcher.command_line(&spec(&[], &[]), 4321);

        assert_eq!(program, PathBuf::from("/opt/fly-store"));
        assert_eq!(args, ["serve", "--bind", "127.0.0.1:4321"]);
    }

    #[test]
    fn a_command_that_names_the_binary_runs_the_local_binary() {
        let launcher = ProcessLauncher::new("/opt/fly-store");

        let (_, named) = launcher.command_line(&spec(&["fly-store", "migrate"], &[]), 1);
        let (_, bare) = launcher.command_line(&spec(&["migrate"], &[]), 1);

        assert_eq!(named, ["migrate"]);
        assert_eq!(bare, ["migrate"]);
    }

    #[test]
    fn exec_runs_exactly_what_it_says() {
        let launcher = ProcessLauncher::new("/opt/fly-store");

        let (program, args) = launcher.command_line(&spec(&["x"], &["/bin/sh", "-c", "true"]), 1);

        assert_eq!(program, PathBuf::from("/bin/sh"));
        assert_eq!(args, ["-c", "true"]);
    }
}
