//! How a started machine comes to life: a [`Launcher`] turns a machine's
//! config into something running, and reports when it exits.
//!
//! [`ProcessLauncher`](crate::localfly::process::ProcessLauncher) runs child
//! processes; [`StaticLauncher`] points machines at servers that already run
//! (tests use it to put small in-process apps behind the proxy).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::localfly::config::CommandSpec;

/// Called once when a launched machine's command ends.
pub type ExitReport = Box<dyn FnOnce(Exit) + Send>;

/// How a machine's command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// The exit code, when it exited by itself.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
}

impl Exit {
    /// Whether the command succeeded.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// What to launch.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub machine_id: String,
    pub image: String,
    pub command: CommandSpec,
    /// The complete environment of the machine.
    pub env: BTreeMap<String, String>,
    /// The ports the machine's services listen on inside the machine.
    pub internal_ports: Vec<u16>,
}

/// A launched machine.
pub struct Launched {
    /// Where each internal port is reachable on this host.
    pub ports: BTreeMap<u16, SocketAddr>,
    pub control: Arc<dyn Control>,
}

/// Signals a stop can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Int,
    Term,
    Quit,
    Kill,
}

impl StopSignal {
    /// Reads `SIGINT`, `INT`, `2` and the like; `None` for anything else.
    pub fn parse(text: &str) -> Option<StopSignal> {
        let upper = text.trim().to_ascii_uppercase();
        match upper.trim_start_matches("SIG") {
            "INT" | "2" => Some(StopSignal::Int),
            "TERM" | "15" => Some(StopSignal::Term),
            "QUIT" | "3" => Some(StopSignal::Quit),
            "KILL" | "9" => Some(StopSignal::Kill),
            _ => None,
        }
    }
}

/// Control over a launched machine.
pub trait Control: Send + Sync {
    /// Sends a stop signal.
    fn signal(&self, signal: StopSignal);
    /// Ends it at once.
    fn kill(&self);
    /// Freezes it (suspend).
    fn pause(&self);
    /// Thaws it (resume from suspend).
    fn resume(&self);
    /// Waits up to `timeout` for it to exit; true when it has.
    fn wait_exit(&self, timeout: Duration) -> bool;
}

/// Why a machine could not be launched.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The command could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// No free local port could be had.
    #[error("no free local port: {0}")]
    Port(std::io::Error),
    /// The launcher knows no way to run this image.
    #[error("no local command for image `{0}`")]
    UnknownImage(String),
}

/// Turns machines into running things.
pub trait Launcher: Send + Sync {
    /// Starts `spec`; `on_exit` is called once when it ends, from another thread.
    fn launch(&self, spec: LaunchSpec, on_exit: ExitReport) -> Result<Launched, LaunchError>;
}

/// Maps images to servers that already run: "starting" such a machine
/// routes its ports to that address, "stopping" it only marks it exited.
#[derive(Default)]
pub struct StaticLauncher {
    images: HashMap<String, SocketAddr>,
    fallback: Option<Arc<dyn Launcher>>,
}

impl StaticLauncher {
    /// No images yet.
    pub fn new() -> StaticLauncher {
        StaticLauncher::default()
    }

    /// Serves machines of `image` from `addr` (every internal port).
    pub fn with_image(mut self, image: impl Into<String>, addr: SocketAddr) -> StaticLauncher {
        self.images.insert(image.into(), addr);
        self
    }

    /// Launches images it does not know with `fallback`.
    pub fn with_fallback(mut self, fallback: Arc<dyn Launcher>) -> StaticLauncher {
        self.fallback = Some(fallback);
        self
    }
}

impl Launcher for StaticLauncher {
    fn launch(&self, spec: LaunchSpec, on_exit: ExitReport) -> Result<Launched, LaunchError> {
        let Some(addr) = self.images.get(&spec.image) else {
            return match &self.fallback {
                Some(fallback) => fallback.launch(spec, on_exit),
                None => Err(LaunchError::UnknownImage(spec.image)),
            };
        };
        let ports = spec.internal_ports.iter().map(|p| (*p, *addr)).collect();
        Ok(Launched {
            ports,
            control: Arc::new(StaticControl {
                on_exit: Mutex::new(Some(on_exit)),
            }),
        })
    }
}

struct StaticControl {
    on_exit: Mutex<Option<ExitReport>>,
}

impl StaticControl {
    fn exit(&self, exit: Exit) {
        let report = self.on_exit.lock().ok().and_then(|mut slot| slot.take());
        if let Some(report) = report {
            std::thread::spawn(move || report(exit));
        }
    }
}

impl Control for StaticControl {
    fn signal(&self, _signal: StopSignal) {
        self.exit(Exit {
            code: Some(0),
            signal: None,
        });
    }

    fn kill(&self) {
        self.exit(Exit {
            code: None,
            signal: Some(9),
        });
    }

    fn pause(&self) {}

    fn resume(&self) {}

    fn wait_exit(&self, _timeout: Duration) -> bool {
        self.on_exit
            .lock()
            .map(|slot| slot.is_none())
            .unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::StopSignal;

    #[test]
    fn signals_read_by_name_short_name_or_number() {
        assert_eq!(StopSignal::parse("SIGINT"), Some(StopSignal::Int));
        assert_eq!(StopSignal::parse("term"), Some(StopSignal::Term));
        assert_eq!(StopSignal::parse("9"), Some(StopSignal::Kill));
        assert_eq!(StopSignal::parse("SIGHUPX"), None);
    }
}
