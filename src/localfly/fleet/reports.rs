//! The reports that come back from launches, exits and timers, and the
//! state each one moves a machine to.

use std::time::{Duration, Instant};

use serde_json::json;

use super::Fleet;
use super::effects::{Effect, destroyed, launch};
use super::machine::{MachineState, Runtime};
use crate::localfly::config::RestartPolicy;
use crate::localfly::launcher::{Exit, LaunchError, Launched, StopSignal};

/// Destroyed machines remembered for `include_deleted`.
const GONE_KEPT: usize = 100;

impl Fleet {
    pub(super) fn launched(
        &self,
        app: &str,
        id: &str,
        generation: u64,
        result: Result<Launched, LaunchError>,
    ) {
        let stop_timeout = self.inner.options.stop_timeout;
        let mut apps = self.lock();
        let closing = apps.closing;
        let machine = apps.machine(app, id).ok();
        let launched = match result {
            Ok(launched) => launched,
            Err(error) => {
                log::warn!("machine failed to launch machine_id={id} error={error}");
                if let Some(machine) = machine.filter(|m| m.generation == generation) {
                    machine.set_state(MachineState::Failed);
                    machine.record(
                        "launch",
                        "failed",
                        "flyd",
                        Some(json!({"error": error.to_string()})),
                    );
                }
                drop(apps);
                self.notify();
                return;
            }
        };
        let control = launched.control.clone();
        let Some(machine) = machine.filter(|m| m.generation == generation && !closing) else {
            drop(apps);
            control.kill();
            return;
        };
        machine.runtime = Some(Runtime {
            ports: launched.ports,
            control: control.clone(),
            generation,
            ready: false,
        });
        let mut effects = Vec::new();
        match machine.state {
            MachineState::Starting => {
                machine.set_state(MachineState::Started);
                machine.last_active = Instant::now();
                machine.record("start", "started", "flyd", None);
            }
            // A stop, update or destroy arrived while it was booting.
            MachineState::Stopping | MachineState::Replacing | MachineState::Destroying => {
                effects.push(Effect::Stop {
                    control,
                    signal: StopSignal::Term,
                    timeout: stop_timeout,
                });
            }
            _ => effects.push(Effect::Kill(control)),
        }
        drop(apps);
        self.run(effects);
    }

    /// A launched instance ended.
    pub(super) fn exited(&self, app: &str, id: &str, generation: u64, exit: Exit) {
        let mut apps = self.lock();
        let Ok(state) = apps.app(app) else { return };
        let secrets = state.secrets.clone();
        let Some(machine) = state.machines.get_mut(id) else {
            return;
        };
        if machine.generation != generation {
            return;
        }
        let requested = matches!(
            machine.state,
            MachineState::Stopping
                | MachineState::Destroying
                | MachineState::Replacing
                | MachineState::Suspending
        );
        machine.runtime = None;
        machine.last_exit = Some(exit);
        machine.record(
            "exit",
            "stopped",
            "flyd",
            Some(json!({"exit_event": {
                "exit_code": exit.code,
                "signal": exit.signal,
                "oom_killed": false,
                "requested_stop": requested,
                "exited_at": super::machine::timestamp(),
            }})),
        );
        log::info!(
            "machine exited machine_id={id} exit_code={} requested_stop={requested}",
            exit.code.map_or("none".to_owned(), |c| c.to_string())
        );

        let options = &self.inner.options;
        let mut effects = Vec::new();
        match machine.state {
            MachineState::Stopping if machine.config.auto_destroy() => {
                effects.push(destroyed(app, machine));
            }
            MachineState::Stopping => {
                machine.set_state(MachineState::Stopped);
                machine.record("stop", "stopped", "flyd", None);
            }
            MachineState::Destroying => effects.push(destroyed(app, machine)),
            MachineState::Replacing if machine.relaunch => {
                effects.push(launch(app, machine, &secrets, Duration::ZERO));
            }
            MachineState::Replacing => {
                machine.set_state(MachineState::Stopped);
                machine.record("update", "stopped", "flyd", None);
            }
            MachineState::Started
            | MachineState::Starting
            | MachineState::Suspended
            | MachineState::Suspending => {
                let restart = match machine.config.restart() {
                    RestartPolicy::Always => true,
                    RestartPolicy::OnFailure { max_retries } => {
                        !exit.success() && machine.retries < max_retries
                    }
                    RestartPolicy::No => false,
                };
                if restart {
                    machine.retries += 1;
                    effects.push(launch(app, machine, &secrets, options.restart_backoff));
                } else if machine.config.auto_destroy() {
                    effects.push(destroyed(app, machine));
                } else {
                    machine.set_state(MachineState::Stopped);
                }
            }
            _ => {}
        }
        drop(apps);
        self.run(effects);
    }

    pub(super) fn paused(&self, app: &str, id: &str) {
        if let Ok(machine) = self.lock().machine(app, id)
            && machine.state == MachineState::Suspending
        {
            machine.set_state(MachineState::Suspended);
            machine.record("suspension", "suspended", "flyd", None);
        }
        self.notify();
    }

    pub(super) fn finish_create(&self, app: &str, id: &str) {
        let mut apps = self.lock();
        let Ok(state) = apps.app(app) else { return };
        let secrets = state.secrets.clone();
        let Some(machine) = state.machines.get_mut(id) else {
            return;
        };
        if machine.state != MachineState::Created {
            return;
        }
        let mut effects = Vec::new();
        if machine.skip_launch {
            machine.set_state(MachineState::Stopped);
        } else {
            effects.push(launch(app, machine, &secrets, Duration::ZERO));
        }
        drop(apps);
        self.run(effects);
    }

    pub(super) fn purge(&self, app: &str, id: &str) {
        let mut apps = self.lock();
        let Ok(state) = apps.app(app) else { return };
        if state
            .machines
            .get(id)
            .is_some_and(|m| m.state == MachineState::Destroyed)
            && let Some(machine) = state.machines.remove(id)
        {
            state.gone.push(machine.to_json());
            let excess = state.gone.len().saturating_sub(GONE_KEPT);
            state.gone.drain(..excess);
        }
        drop(apps);
        self.notify();
    }
}
