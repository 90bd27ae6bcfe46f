//! The slow half of state changes: launching, signalling and timers, run
//! on their own threads once the fleet's lock is released (their reports
//! come back through `reports`), and the launch spec of a machine.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::machine::{Machine, MachineState};
use super::{AppState, Fleet};
use crate::localfly::launcher::{Control, LaunchSpec, StopSignal};

/// Work to do after the lock is released.
pub(super) enum Effect {
    Launch {
        app: String,
        id: String,
        generation: u64,
        spec: LaunchSpec,
        delay: Duration,
    },
    Stop {
        control: Arc<dyn Control>,
        signal: StopSignal,
        timeout: Duration,
    },
    Kill(Arc<dyn Control>),
    Pause {
        app: String,
        id: String,
        control: Arc<dyn Control>,
    },
    Resume(Arc<dyn Control>),
    FinishCreate {
        app: String,
        id: String,
    },
    Purge {
        app: String,
        id: String,
    },
}

impl Fleet {
    pub(super) fn run(&self, effects: Vec<Effect>) {
        self.notify();
        for effect in effects {
            self.run_one(effect);
        }
    }

    fn run_one(&self, effect: Effect) {
        let fleet = self.clone();
        match effect {
            Effect::Launch {
                app,
                id,
                generation,
                spec,
                delay,
            } => spawn(move || {
                std::thread::sleep(delay);
                fleet.launch_now(app, id, generation, spec);
            }),
            Effect::Stop {
                control,
                signal,
                timeout,
            } => spawn(move || {
                control.signal(signal);
                if !control.wait_exit(timeout) {
                    control.kill();
                }
            }),
            Effect::Kill(control) => control.kill(),
            Effect::Pause { app, id, control } => {
                control.pause();
                fleet.paused(&app, &id);
            }
            Effect::Resume(control) => control.resume(),
            Effect::FinishCreate { app, id } => {
                let delay = self.inner.options.create_delay;
                spawn(move || {
                    std::thread::sleep(delay);
                    fleet.finish_create(&app, &id);
                });
            }
            Effect::Purge { app, id } => {
                let delay = self.inner.options.destroyed_grace;
                spawn(move || {
                    std::thread::sleep(delay);
                    fleet.purge(&app, &id);
                });
            }
        }
    }

    fn launch_now(&self, app: String, id: String, generation: u64, spec: LaunchSpec) {
        if self.lock().closing {
            return;
        }
        let fleet = self.clone();
        let (exit_app, exit_id) = (app.clone(), id.clone());
        let result = self.inner.launcher.launch(
            spec,
            Box::new(move |exit| fleet.exited(&exit_app, &exit_id, generation, exit)),
        );
        self.launched(&app, &id, generation, result);
    }
}

/// Moves `machine` to `starting` and returns the launch to run.
pub(super) fn launch(
    app: &str,
    machine: &mut Machine,
    secrets: &BTreeMap<String, String>,
    delay: Duration,
) -> Effect {
    machine.generation += 1;
    machine.relaunch = false;
    machine.set_state(MachineState::Starting);
    machine.record("start", "starting", "user", None);
    Effect::Launch {
        app: app.to_owned(),
        id: machine.id.clone(),
        generation: machine.generation,
        spec: launch_spec(app, machine, secrets),
        delay,
    }
}

/// Moves `machine` to `destroyed` and returns the purge timer.
pub(super) fn destroyed(app: &str, machine: &mut Machine) -> Effect {
    machine.set_state(MachineState::Destroyed);
    machine.destroyed_at = Some(Instant::now());
    machine.record("destroy", "destroyed", "user", None);
    Effect::Purge {
        app: app.to_owned(),
        id: machine.id.clone(),
    }
}

/// The env a machine runs with: its config env, its process env, the app's
/// secrets, then what Fly itself sets.
fn launch_spec(app: &str, machine: &Machine, secrets: &BTreeMap<String, String>) -> LaunchSpec {
    let command = machine.config.command();
    let mut env = machine.config.env();
    env.extend(command.env.clone());
    env.extend(secrets.clone());
    let metadata = machine.config.metadata();
    let group = metadata
        .get("fly_process_group")
        .cloned()
        .unwrap_or_else(|| "app".to_owned());
    let memory = machine
        .config
        .to_value()
        .pointer("/guest/memory_mb")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(256);
    for (key, value) in [
        ("FLY_APP_NAME", app.to_owned()),
        ("FLY_MACHINE_ID", machine.id.clone()),
        ("FLY_ALLOC_ID", machine.id.clone()),
        ("FLY_REGION", machine.region.clone()),
        ("FLY_IMAGE_REF", machine.config.image().to_owned()),
        ("FLY_MACHINE_VERSION", machine.instance_id.clone()),
        ("FLY_PRIVATE_IP", machine.private_ip.clone()),
        ("FLY_PROCESS_GROUP", group),
        ("FLY_VM_MEMORY_MB", memory.to_string()),
    ] {
        env.insert(key.to_owned(), value);
    }
    let mut internal_ports: Vec<u16> = machine
        .config
        .services()
        .iter()
        .map(|s| s.internal_port)
        .collect();
    internal_ports.sort_unstable();
    internal_ports.dedup();
    LaunchSpec {
        machine_id: machine.id.clone(),
        image: machine.config.image().to_owned(),
        command,
        env,
        internal_ports,
    }
}

/// Secrets of `state`, for launches started from outside this module.
pub(super) fn secrets_of(state: &AppState) -> BTreeMap<String, String> {
    state.secrets.clone()
}

fn spawn(work: impl FnOnce() + Send + 'static) {
    if let Err(error) = std::thread::Builder::new()
        .name("localfly-fleet".to_owned())
        .spawn(work)
    {
        log::error!("cannot start a fleet thread error={error}");
    }
}
