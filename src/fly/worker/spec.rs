//! The machine configs main sends: the worker's create and update bodies and
//! the one-off command machine's.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fly::machines::Machine;
use crate::fly::role::ROLE_VARIABLE;
use crate::fly::settings::{FlySettings, WorkerSettings};

/// Metadata key that tags the machines this app makes.
pub const ROLE_METADATA_KEY: &str = "role";
/// [`ROLE_METADATA_KEY`] value of the serverless worker.
pub const WORKER_ROLE: &str = "worker";
/// [`ROLE_METADATA_KEY`] value of a one-off command machine.
pub const ONEOFF_ROLE: &str = "oneoff";

/// Everything needed to describe the worker and one-off machines.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    /// `FLY_IMAGE_REF`: what new machines run and what the worker must run.
    pub image_ref: Option<String>,
    /// `FLY_REGION`: where new machines go.
    pub region: Option<String>,
    /// `FLY_MACHINE_ID`: never chosen as the worker, never replayed to.
    pub own_id: Option<String>,
    /// Name, size and services of the worker.
    pub worker: WorkerSettings,
    /// Variables passed on to new machines, already read from the environment.
    pub env: BTreeMap<String, String>,
}

impl WorkerSpec {
    /// The spec for this process, passing on variables from `environment`.
    pub fn new(
        settings: &FlySettings,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> WorkerSpec {
        WorkerSpec {
            image_ref: settings.image_ref.clone().filter(|image| !image.is_empty()),
            region: settings.region.clone().filter(|region| !region.is_empty()),
            own_id: settings.machine_id.clone().filter(|id| !id.is_empty()),
            worker: settings.worker.clone(),
            env: passed_env(&settings.worker.pass_env, environment),
        }
    }

    /// The create body of the worker; `None` without an image reference.
    pub fn worker_create_body(&self) -> Option<Value> {
        let image = self.image_ref.as_ref()?;
        let mut env = self.env.clone();
        env.insert(ROLE_VARIABLE.to_owned(), "true".to_owned());
        let worker = &self.worker;
        let config = json!({
            "image": image,
            "env": env,
            "metadata": { ROLE_METADATA_KEY: WORKER_ROLE },
            "services": [{
                "protocol": "tcp",
                "internal_port": worker.internal_port,
                "autostop": worker.autostop,
                "autostart": true,
                "min_machines_running": 0,
                "ports": [
                    { "port": 443, "handlers": ["tls", "http"] },
                    { "port": 80, "handlers": ["http"] }
                ]
            }],
            "guest": {
                "cpu_kind": worker.cpu_kind,
                "cpus": worker.cpus,
                "memory_mb": worker.memory_mb
            },
            // fly.toml's `[metrics]` reaches only the machines a deploy
            // makes; without this Fly would never scrape the worker.
            "metrics": { "port": worker.internal_port, "path": "/metrics" }
        });
        Some(self.with_placement(json!({ "name": worker.name, "config": config })))
    }

    /// The update body that moves `machine` to the current image, keeping
    /// every other part of its config; `None` without an image reference.
    pub fn worker_update_body(&self, machine: &Machine) -> Option<Value> {
        let image = self.image_ref.as_ref()?;
        let mut config = machine.config.clone().unwrap_or_default();
        config.image = Some(image.clone());
        config
            .env
            .insert(ROLE_VARIABLE.to_owned(), "true".to_owned());
        config
            .metadata
            .insert(ROLE_METADATA_KEY.to_owned(), WORKER_ROLE.to_owned());
        let mut body = json!({ "config": config });
        if let Some(version) = &machine.instance_id {
            body["current_version"] = json!(version);
        }
        Some(body)
    }

    /// The create body of a one-off machine running `command`: destroyed
    /// when it exits, never restarted, no services (the proxy never sends it
    /// traffic). The command replaces the image's `CMD`.
    pub fn oneoff_create_body(&self, command: &[String]) -> Option<Value> {
        let image = self.image_ref.as_ref()?;
        let mut env = self.env.clone();
        env.insert(ROLE_VARIABLE.to_owned(), "false".to_owned());
        let config = json!({
            "image": image,
            "env": env,
            "metadata": { ROLE_METADATA_KEY: ONEOFF_ROLE },
            "auto_destroy": true,
            "restart": { "policy": "no" },
            "init": { "cmd": command },
            "guest": {
                "cpu_kind": self.worker.cpu_kind,
                "cpus": self.worker.cpus,
                "memory_mb": self.worker.memory_mb
            }
        });
        Some(self.with_placement(json!({ "config": config })))
    }

    fn with_placement(&self, mut body: Value) -> Value {
        if let Some(region) = &self.region {
            body["region"] = json!(region);
        }
        body
    }
}

/// The variables of `environment` named by `patterns` (`NAME` or `PREFIX*`),
/// less anything that looks secret and Fly's own `FLY_*` variables.
pub fn passed_env(
    patterns: &[String],
    environment: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    environment
        .into_iter()
        .filter(|(name, _)| {
            patterns
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name == pattern,
                })
        })
        .filter(|(name, _)| !looks_secret(name) && !is_fly_own(name) && name != ROLE_VARIABLE)
        .collect()
}

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "DATABASE_URL",
        "DATABASE__URL",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

fn is_fly_own(name: &str) -> bool {
    name.starts_with("FLY_") && !name.starts_with("FLY_STORE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_named_non_secret_variables_are_passed_on() {
        let patterns = ["RUST_LOG".to_owned(), "FLY_STORE__*".to_owned()];
        let environment = vars(&[
            ("RUST_LOG", "debug"),
            ("FLY_STORE__STORE__NAME", "Shop"),
            ("FLY_STORE__DATABASE__URL", "postgres://u:pw@db/x"),
            ("FLY_STORE__FLY__API_TOKEN", "t"),
            ("FLY_MACHINE_ID", "e784e90b1d3e68"),
            ("HOME", "/root"),
        ]);

        let passed = passed_env(&patterns, environment);

        assert_eq!(
            passed.into_iter().collect::<Vec<_>>(),
            vars(&[("FLY_STORE__STORE__NAME", "Shop"), ("RUST_LOG", "debug")])
        );
    }

    #[test]
    fn the_oneoff_body_never_restarts_and_has_no_services() {
        let settings = FlySettings {
            image_ref: Some("registry.fly.io/receipts-app:deployment-NEW".into()),
            ..FlySettings::default()
        };
        let spec = WorkerSpec::new(&settings, Vec::new());

        let body = spec
            .oneoff_create_body(&["fly-store".into(), "migrate".into()])
            .unwrap();

        let config = &body["config"];
        assert_eq!(config["auto_destroy"], true);
        assert_eq!(config["restart"]["policy"], "no");
        assert_eq!(config["init"]["cmd"], json!(["fly-store", "migrate"]));
        assert!(config.get("services").is_none());
        assert_eq!(config["metadata"]["role"], "oneoff");
    }

    #[test]
    fn the_worker_body_serves_ports_443_and_80_and_is_scraped_for_metrics() {
        let settings = FlySettings {
            image_ref: Some("registry.fly.io/receipts-app:deployment-NEW".into()),
            ..FlySettings::default()
        };
        let spec = WorkerSpec::new(&settings, Vec::new());

        let body = spec.worker_create_body().unwrap();

        let config = &body["config"];
        let service = &config["services"][0];
        assert_eq!(service["autostart"], true);
        let ports: Vec<_> = service["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["port"].clone())
            .collect();
        assert_eq!(ports, vec![json!(443), json!(80)]);
        assert_eq!(config["env"]["IS_FLY_MACHINE_SERVERLESS"], "true");
        assert_eq!(config["metrics"]["path"], "/metrics");
        assert_eq!(config["metrics"]["port"], service["internal_port"]);
    }
}
