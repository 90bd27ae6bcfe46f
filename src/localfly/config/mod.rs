//! A machine's `config` object: checked the way the Machines API checks it
//! (422 on anything unusable), kept as JSON so that fields the stand-in does
//! not act on are stored and echoed unchanged, and read through typed views.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use checks::{
    check_bool, check_command, check_guest, check_processes, check_restart, check_services,
    invalid, port_number, read_port, string_map,
};

mod checks;

/// Why a config was refused; the text is the 422 body's `error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid config: {0}")]
pub struct ConfigError(pub String);

/// A checked machine config.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineConfig(Map<String, Value>);

/// When the proxy may stop an idle machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autostop {
    Off,
    Stop,
    Suspend,
}

/// A public port of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPort {
    pub start: u16,
    pub end: u16,
    pub handlers: Vec<String>,
}

/// One `services[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub internal_port: u16,
    pub ports: Vec<PublicPort>,
    pub autostop: Autostop,
    /// Absent counts as allowed, as fly.toml's default does.
    pub autostart: bool,
    pub min_machines_running: u64,
}

/// What a machine runs, from `init` and the first `processes[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandSpec {
    /// `exec`: the whole command line, replacing the image's.
    pub exec: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `processes[0].env`, added to the machine's env.
    pub env: BTreeMap<String, String>,
}

/// `restart.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    No,
    Always,
    OnFailure { max_retries: u32 },
}

impl MachineConfig {
    /// Checks a `config` value from a create or update body.
    pub fn parse(value: Option<&Value>) -> Result<MachineConfig, ConfigError> {
        let Some(Value::Object(map)) = value else {
            return Err(invalid("`config` must be an object"));
        };
        let mut map = map.clone();
        match map.get("image") {
            Some(Value::String(image)) if !image.trim().is_empty() => {}
            _ => return Err(invalid("`image` is required")),
        }
        string_map(&map, "env")?;
        string_map(&map, "metadata")?;
        check_bool(&map, "auto_destroy")?;
        check_guest(&map)?;
        check_restart(&map)?;
        check_command(map.get("init"), "init")?;
        check_processes(&map)?;
        if let Some(services) = map.get_mut("services") {
            check_services(services)?;
        }
        Ok(MachineConfig(map))
    }

    /// The config as the API returns it.
    pub fn to_value(&self) -> Value {
        Value::Object(self.0.clone())
    }

    /// The image reference.
    pub fn image(&self) -> &str {
        self.0
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `env`, empty when absent or null.
    pub fn env(&self) -> BTreeMap<String, String> {
        read_string_map(self.0.get("env"))
    }

    /// `metadata`, empty when absent or null.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        read_string_map(self.0.get("metadata"))
    }

    /// Replaces `metadata`.
    pub fn set_metadata(&mut self, metadata: &BTreeMap<String, String>) {
        let object = metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        self.0.insert("metadata".to_owned(), Value::Object(object));
    }

    /// `auto_destroy`.
    pub fn auto_destroy(&self) -> bool {
        self.0.get("auto_destroy").and_then(Value::as_bool) == Some(true)
    }

    /// `restart`; Fly's default is on-failure with 10 retries.
    pub fn restart(&self) -> RestartPolicy {
        let restart = self.0.get("restart");
        let retries = restart
            .and_then(|r| r.get("max_retries"))
            .and_then(Value::as_u64)
            .map_or(10, |n| n.min(u32::MAX as u64) as u32);
        match restart
            .and_then(|r| r.get("policy"))
            .and_then(Value::as_str)
        {
            Some("no") => RestartPolicy::No,
            Some("always") => RestartPolicy::Always,
            _ => RestartPolicy::OnFailure {
                max_retries: retries,
            },
        }
    }

    /// `services`, as typed views.
    pub fn services(&self) -> Vec<Service> {
        let Some(Value::Array(services)) = self.0.get("services") else {
            return Vec::new();
        };
        services.iter().filter_map(read_service).collect()
    }

    /// The command, from `processes[0]` over `init`.
    pub fn command(&self) -> CommandSpec {
        let init = self.0.get("init");
        let process = self
            .0
            .get("processes")
            .and_then(Value::as_array)
            .and_then(|list| list.first());
        let pick = |key: &str| {
            let from_process = strings(process.and_then(|p| p.get(key)));
            if from_process.is_empty() {
                strings(init.and_then(|i| i.get(key)))
            } else {
                from_process
            }
        };
        CommandSpec {
            exec: pick("exec"),
            entrypoint: pick("entrypoint"),
            cmd: pick("cmd"),
            env: read_string_map(process.and_then(|p| p.get("env"))),
        }
    }
}

impl Service {
    /// Whether a public `port` reaches this service with the `http` handler.
    pub fn serves_http_on(&self, port: u16) -> bool {
        self.ports
            .iter()
            .any(|p| p.start <= port && port <= p.end && p.handlers.iter().any(|h| h == "http"))
    }
}

fn read_service(value: &Value) -> Option<Service> {
    let autostop = match value.get("autostop") {
        Some(Value::Bool(true)) => Autostop::Stop,
        Some(Value::String(s)) if s == "suspend" => Autostop::Suspend,
        _ => Autostop::Off,
    };
    Some(Service {
        internal_port: port_number(value.get("internal_port"))?,
        ports: value
            .get("ports")
            .and_then(Value::as_array)
            .map(|ports| ports.iter().filter_map(read_port).collect())
            .unwrap_or_default(),
        autostop,
        autostart: value.get("autostart").and_then(Value::as_bool) != Some(false),
        min_machines_running: value
            .get("min_machines_running")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    })
}

fn read_string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Result<MachineConfig, ConfigError> {
        MachineConfig::parse(Some(&value))
    }

    #[test]
    fn a_config_without_an_image_is_refused() {
        let error = parse(json!({"env": {}})).unwrap_err();

        assert!(error.to_string().contains("image"), "{error}");
    }

    #[test]
    fn memory_that_is_not_a_multiple_of_256_is_refused() {
        let error = parse(json!({"image": "x", "guest": {"memory_mb": 300}})).unwrap_err();

        assert!(error.to_string().contains("memory_mb"), "{error}");
    }

    #[test]
    fn a_string_autostart_is_refused_and_autostop_words_become_booleans() {
        let refused = parse(json!({"image": "x", "services": [
            {"protocol": "tcp", "internal_port": 8000, "autostart": "true"}
        ]}));
        let accepted = parse(json!({"image": "x", "services": [
            {"protocol": "tcp", "internal_port": 8000, "autostop": "stop",
             "ports": [{"port": 80, "handlers": ["http"]}]}
        ]}))
        .unwrap();

        assert!(refused.unwrap_err().to_string().contains("autostart"));
        assert_eq!(accepted.to_value()["services"][0]["autostop"], json!(true));
        let service = &accepted.services()[0];
        assert_eq!(service.autostop, Autostop::Stop);
        assert!(service.autostart);
        assert!(service.serves_http_on(80) && !service.serves_http_on(443));
    }

    #[test]
    fn null_env_and_metadata_read_as_empty() {
        let config = parse(json!({"image": "x", "env": null, "metadata": null})).unwrap();

        assert!(config.env().is_empty() && config.metadata().is_empty());
    }

    #[test]
    fn the_first_process_command_wins_over_init() {
        let config = parse(json!({"image": "x", "init": {"cmd": ["a"]},
            "processes": [{"cmd": ["b", "c"], "env": {"K": "V"}}]}))
        .unwrap();

        let command = config.command();
        assert_eq!(command.cmd, ["b", "c"]);
        assert_eq!(command.env.get("K").map(String::as_str), Some("V"));
    }

    #[test]
    fn the_default_restart_policy_is_on_failure_with_ten_retries() {
        let config = parse(json!({"image": "x"})).unwrap();

        assert_eq!(
            config.restart(),
            RestartPolicy::OnFailure { max_retries: 10 }
        );
    }
}
