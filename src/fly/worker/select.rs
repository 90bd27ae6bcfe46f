//! Which listed machine is the worker.
//!
//! A worker is tagged `role=worker` in its metadata, or carries
//! `IS_FLY_MACHINE_SERVERLESS=true` in its env with no other role tag. Never
//! chosen: the calling machine itself; machines destroyed, destroying,
//! replaced, failed or in a state this code does not know; machines with no
//! config; one-off command machines (`auto_destroy` or `role=oneoff`).
//! A stopped or suspended worker is chosen: the proxy starts it on replay.

use crate::fly::machines::{Machine, MachineState};
use crate::fly::role::{ROLE_VARIABLE, Role};
use crate::fly::worker::spec::{ROLE_METADATA_KEY, WORKER_ROLE};

/// True when `machine` may serve as the worker for the machine `own_id`.
pub fn is_worker(machine: &Machine, own_id: Option<&str>) -> bool {
    if own_id == Some(machine.id.as_str()) || !machine.state.is_usable() {
        return false;
    }
    let Some(config) = &machine.config else {
        return false;
    };
    if config.auto_destroy == Some(true) {
        return false;
    }
    match machine.metadata(ROLE_METADATA_KEY) {
        Some(role) => role == WORKER_ROLE,
        None => {
            let marker = machine.env(ROLE_VARIABLE);
            marker.is_some() && Role::from_marker(marker).ok() == Some(Role::Worker)
        }
    }
}

/// The best worker among `machines` and how many other workers there are:
/// the one with the worker's fixed name first, then a started one, then the
/// oldest.
pub fn choose_worker<'a>(
    machines: &'a [Machine],
    own_id: Option<&str>,
    name: &str,
) -> (Option<&'a Machine>, usize) {
    let mut workers: Vec<&Machine> = machines
        .iter()
        .filter(|machine| is_worker(machine, own_id))
        .collect();
    workers.sort_by_key(|machine| {
        (
            machine.name.as_deref() != Some(name),
            machine.state != MachineState::Started,
            machine.created_at.clone().unwrap_or_default(),
            machine.id.clone(),
        )
    });
    let surplus = workers.len().saturating_sub(1);
    (workers.first().copied(), surplus)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fly::machines::types::parse_machine_list;

    const MAIN: &str = "e784e90b1d3e68";

    fn machines(json: &str) -> Vec<Machine> {
        parse_machine_list(json.as_bytes()).unwrap()
    }

    #[test]
    fn the_calling_machine_is_never_its_own_worker() {
        let list = machines(
            r#"[{"id":"e784e90b1d3e68","state":"started","config":{"metadata":{"role":"worker"}}}]"#,
        );

        let (chosen, _) = choose_worker(&list, Some(MAIN), "serverless-worker");

        assert!(chosen.is_none());
    }

    #[test]
    fn dead_unknown_oneoff_and_configless_machines_are_skipped() {
        let list = machines(
            r#"[
            {"id":"a1","state":"destroyed","config":{"metadata":{"role":"worker"}}},
            {"id":"a2","state":"destroying","config":{"metadata":{"role":"worker"}}},
            {"id":"a3","state":"replaced","config":{"metadata":{"role":"worker"}}},
            {"id":"a4","state":"failed","config":{"metadata":{"role":"worker"}}},
            {"id":"a5","state":"quantum","config":{"metadata":{"role":"worker"}}},
            {"id":"a6","state":"started","config":null},
            {"id":"a7","state":"stopped","config":{"auto_destroy":true,"metadata":{"role":"worker"}}},
            {"id":"a8","state":"stopped","config":{"metadata":{"role":"oneoff"},
                "env":{"IS_FLY_MACHINE_SERVERLESS":"true"}}},
            {"id":"a9","state":"started","config":{"env":null,"metadata":null}}
        ]"#,
        );

        let (chosen, _) = choose_worker(&list, Some(MAIN), "serverless-worker");

        assert!(chosen.is_none(), "{chosen:?}");
    }

    #[test]
    fn a_stopped_or_suspended_worker_is_reused_and_the_named_one_wins() {
        let list = machines(
            r#"[
            {"id":"b1","state":"started","created_at":"2024-01-01T00:00:00Z",
             "config":{"env":{"IS_FLY_MACHINE_SERVERLESS":"TRUE"}}},
            {"id":"b2","name":"serverless-worker","state":"suspended",
             "config":{"metadata":{"role":"worker"}}}
        ]"#,
        );

        let (chosen, surplus) = choose_worker(&list, Some(MAIN), "serverless-worker");

        assert_eq!(chosen.unwrap().id, "b2");
        assert_eq!(surplus, 1);
    }
}
