//! The checks a config must pass, each a 422 with a message naming the
//! field, and the normalising of `autostop` words to what the API echoes.

use serde_json::{Map, Value};

use super::{ConfigError, PublicPort};

pub(super) const HANDLERS: &[&str] = &["http", "tls", "pg_tls", "proxy_proto", "edge"];

pub(super) fn invalid(reason: impl Into<String>) -> ConfigError {
    ConfigError(reason.into())
}

pub(super) fn string_map(map: &Map<String, Value>, key: &str) -> Result<(), ConfigError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(entries)) if entries.values().all(Value::is_string) => Ok(()),
        Some(_) => Err(invalid(format!(
            "`{key}` must be an object of string values"
        ))),
    }
}

pub(super) fn check_bool(map: &Map<String, Value>, key: &str) -> Result<(), ConfigError> {
    match map.get(key) {
        None | Some(Value::Null) | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(invalid(format!("`{key}` must be a boolean"))),
    }
}

pub(super) fn check_guest(map: &Map<String, Value>) -> Result<(), ConfigError> {
    let Some(guest) = map.get("guest").filter(|g| !g.is_null()) else {
        return Ok(());
    };
    let Value::Object(guest) = guest else {
        return Err(invalid("`guest` must be an object"));
    };
    if let Some(memory) = guest.get("memory_mb").filter(|m| !m.is_null()) {
        match memory.as_u64() {
            Some(mb) if mb > 0 && mb % 256 == 0 => {}
            _ => {
                return Err(invalid(
                    "`guest.memory_mb` must be a positive multiple of 256",
                ));
            }
        }
    }
    if let Some(cpus) = guest.get("cpus").filter(|c| !c.is_null())
        && !matches!(cpus.as_u64(), Some(n) if n > 0)
    {
        return Err(invalid("`guest.cpus` must be a positive integer"));
    }
    match guest.get("cpu_kind") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(kind)) if kind == "shared" || kind == "performance" => Ok(()),
        Some(_) => Err(invalid(
            "`guest.cpu_kind` must be `shared` or `performance`",
        )),
    }
}

pub(super) fn check_restart(map: &Map<String, Value>) -> Result<(), ConfigError> {
    let Some(restart) = map.get("restart").filter(|r| !r.is_null()) else {
        return Ok(());
    };
    match restart.get("policy") {
        None | Some(Value::Null) => {}
        Some(Value::String(p)) if ["no", "always", "on-failure", ""].contains(&p.as_str()) => {}
        Some(_) => {
            return Err(invalid(
                "`restart.policy` must be `no`, `always` or `on-failure`",
            ));
        }
    }
    match restart.get("max_retries") {
        None | Some(Value::Null) => Ok(()),
        Some(n) if n.as_u64().is_some() => Ok(()),
        Some(_) => Err(invalid(
            "`restart.max_retries` must be a non-negative integer",
        )),
    }
}

pub(super) fn check_command(value: Option<&Value>, at: &str) -> Result<(), ConfigError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let Value::Object(fields) = value else {
        return Err(invalid(format!("`{at}` must be an object")));
    };
    for key in ["exec", "entrypoint", "cmd"] {
        match fields.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
            Some(_) => {
                return Err(invalid(format!("`{at}.{key}` must be a list of strings")));
            }
        }
    }
    string_map(fields, "env").map_err(|_| invalid(format!("`{at}.env` must map to strings")))
}

pub(super) fn check_processes(map: &Map<String, Value>) -> Result<(), ConfigError> {
    match map.get("processes") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .try_for_each(|(i, p)| check_command(Some(p), &format!("processes[{i}]"))),
        Some(_) => Err(invalid("`processes` must be a list")),
    }
}

pub(super) fn check_services(services: &mut Value) -> Result<(), ConfigError> {
    let list = match services {
        Value::Null => return Ok(()),
        Value::Array(list) => list,
        _ => return Err(invalid("`services` must be a list")),
    };
    for (i, service) in list.iter_mut().enumerate() {
        let Value::Object(service) = service else {
            return Err(invalid(format!("`services[{i}]` must be an object")));
        };
        match service.get("protocol").and_then(Value::as_str) {
            Some("tcp" | "udp") => {}
            _ => {
                return Err(invalid(format!(
                    "`services[{i}].protocol` must be tcp or udp"
                )));
            }
        }
        if port_number(service.get("internal_port")).is_none() {
            return Err(invalid(format!(
                "`services[{i}].internal_port` must be a port number"
            )));
        }
        match service.get("autostart") {
            None | Some(Value::Null) | Some(Value::Bool(_)) => {}
            Some(_) => {
                return Err(invalid(format!(
                    "`services[{i}].autostart` must be a boolean"
                )));
            }
        }
        let autostop = match service.get("autostop") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(Value::Bool(*b)),
            Some(Value::String(s)) if s == "off" => Some(Value::Bool(false)),
            Some(Value::String(s)) if s == "stop" => Some(Value::Bool(true)),
            Some(Value::String(s)) if s == "suspend" => Some(Value::String(s.clone())),
            Some(_) => {
                return Err(invalid(format!(
                    "`services[{i}].autostop` must be a boolean, `off`, `stop` or `suspend`"
                )));
            }
        };
        if let Some(autostop) = autostop {
            service.insert("autostop".to_owned(), autostop);
        }
        check_ports(service.get("ports"), i)?;
    }
    Ok(())
}

pub(super) fn check_ports(ports: Option<&Value>, i: usize) -> Result<(), ConfigError> {
    let ports = match ports {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(ports)) => ports,
        Some(_) => return Err(invalid(format!("`services[{i}].ports` must be a list"))),
    };
    for port in ports {
        if read_port(port).is_none() {
            return Err(invalid(format!(
                "`services[{i}].ports` entries need `port` or `start_port`..`end_port`, \
                 and handlers among {HANDLERS:?}"
            )));
        }
    }
    Ok(())
}

pub(super) fn port_number(value: Option<&Value>) -> Option<u16> {
    value
        .and_then(Value::as_u64)
        .filter(|p| (1..=65_535).contains(p))
        .map(|p| p as u16)
}

pub(super) fn read_port(value: &Value) -> Option<PublicPort> {
    let (start, end) = match port_number(value.get("port")) {
        Some(port) => (port, port),
        None => (
            port_number(value.get("start_port"))?,
            port_number(value.get("end_port"))?,
        ),
    };
    let handlers = match value.get("handlers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|h| {
                h.as_str()
                    .filter(|h| HANDLERS.contains(h))
                    .map(str::to_owned)
            })
            .collect::<Option<Vec<_>>>()?,
        Some(_) => return None,
    };
    (start <= end).then_some(PublicPort {
        start,
        end,
        handlers,
    })
}
