//! `fly-replay`: reading an app's replay instruction (header or JSON body)
//! and writing the headers the proxy adds to the replayed request.

use std::time::Duration;

use serde_json::Value;

use crate::localfly::api::params::duration;
use crate::localfly::ids;

/// The response header an app replays with.
pub const REPLAY_HEADER: &str = "fly-replay";
/// The content type of the JSON form.
pub const REPLAY_JSON: &str = "application/vnd.fly.replay+json";

/// Where a failed replay goes instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Back to the machine that replayed, or an error.
    ForceSelf,
    /// Back to that machine, else any machine of the original app.
    PreferSelf,
}

/// One replay instruction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    pub instance: Option<String>,
    pub prefer_instance: Option<String>,
    pub app: Option<String>,
    /// Region codes in order of preference; `any` matches every region.
    pub regions: Vec<String>,
    pub elsewhere: bool,
    pub state: Option<String>,
    pub timeout: Option<Duration>,
    pub fallback: Option<Fallback>,
}

/// Why a replay instruction is unusable (the proxy's PA03).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("unknown field {0:?}")]
    UnknownField(String),
    #[error("field {0:?} has an invalid value {1:?}")]
    BadValue(String, String),
    #[error("{0}")]
    Malformed(String),
}

impl Replay {
    /// Reads a `fly-replay` header: `key=value` pairs separated by `;`
    /// (a quoted value may hold commas, e.g. `region="ams,any"`).
    pub fn parse_header(header: &str) -> Result<Replay, ReplayError> {
        let mut replay = Replay::default();
        for part in split_fields(header) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| ReplayError::Malformed(format!("{part:?} is not key=value")))?;
            let value = value.trim().trim_matches('"');
            replay.set(key.trim(), value)?;
        }
        replay.check()?;
        Ok(replay)
    }

    /// Reads the JSON form's body.
    pub fn parse_json(body: &[u8]) -> Result<Replay, ReplayError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| ReplayError::Malformed(format!("invalid JSON: {error}")))?;
        let Value::Object(fields) = value else {
            return Err(ReplayError::Malformed(
                "the body is not an object".to_owned(),
            ));
        };
        let mut replay = Replay::default();
        for (key, value) in fields {
            let text = match value {
                Value::String(text) => text,
                Value::Bool(flag) => flag.to_string(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            replay.set(&key, &text)?;
        }
        replay.check()?;
        Ok(replay)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), ReplayError> {
        let bad = || ReplayError::BadValue(key.to_owned(), value.to_owned());
        let text = || Some(value.to_owned()).filter(|v| !v.is_empty());
        match key {
            "instance" => self.instance = Some(text().ok_or_else(bad)?),
            "prefer_instance" => self.prefer_instance = Some(text().ok_or_else(bad)?),
            "app" => self.app = Some(text().ok_or_else(bad)?),
            "state" => self.state = Some(value.to_owned()),
            "region" => {
                self.regions = value
                    .split(',')
                    .map(|r| r.trim().to_ascii_lowercase())
                    .filter(|r| !r.is_empty())
                    .collect();
                if self.regions.is_empty() {
                    return Err(bad());
                }
            }
            "elsewhere" => {
                self.elsewhere = match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad()),
                }
            }
            "timeout" => self.timeout = Some(duration(value).ok_or_else(bad)?),
            "fallback" => {
                self.fallback = Some(match value {
                    "force_self" => Fallback::ForceSelf,
                    "prefer_self" => Fallback::PreferSelf,
                    _ => return Err(bad()),
                })
            }
            other => return Err(ReplayError::UnknownField(other.to_owned())),
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ReplayError> {
        let targets = self.instance.is_some()
            || self.prefer_instance.is_some()
            || self.app.is_some()
            || !self.regions.is_empty()
            || self.elsewhere;
        if targets {
            Ok(())
        } else {
            Err(ReplayError::Malformed(
                "names no target (instance, prefer_instance, app, region or elsewhere)".to_owned(),
            ))
        }
    }

    /// Whether `region` satisfies the region list (empty or `any` = all).
    pub fn allows_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| r == "any" || r == region)
    }
}

impl std::fmt::Display for Replay {
    /// The instruction as a `fly-replay` header would write it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut fields = Vec::new();
        let mut text = |key: &str, value: Option<&String>| {
            if let Some(value) = value {
                fields.push(format!("{key}={value}"));
            }
        };
        text("instance", self.instance.as_ref());
        text("prefer_instance", self.prefer_instance.as_ref());
        text("app", self.app.as_ref());
        text("state", self.state.as_ref());
        if !self.regions.is_empty() {
            fields.push(format!("region=\"{}\"", self.regions.join(",")));
        }
        if self.elsewhere {
            fields.push("elsewhere=true".to_owned());
        }
        if let Some(timeout) = self.timeout {
            fields.push(format!("timeout={}ms", timeout.as_millis()));
        }
        match self.fallback {
            Some(Fallback::ForceSelf) => fields.push("fallback=force_self".to_owned()),
            Some(Fallback::PreferSelf) => fields.push("fallback=prefer_self".to_owned()),
            None => {}
        }
        f.write_str(&fields.join(";"))
    }
}

fn split_fields(header: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in header.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts
}

/// The `fly-replay-src` value for a request replayed by `instance`.
pub fn source_header(instance: &str, region: &str, state: Option<&str>) -> String {
    let mut value = format!(
        "instance={instance};region={region};t={}",
        ids::micros_now()
    );
    if let Some(state) = state {
        value.push_str(&format!(";state={state}"));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_with_every_field_is_read() {
        let replay = Replay::parse_header(
            "instance=abc;prefer_instance=def;app=other;region=\"ams,any\";elsewhere=true;\
             state=s1;timeout=800ms;fallback=prefer_self",
        )
        .unwrap();

        assert_eq!(replay.instance.as_deref(), Some("abc"));
        assert_eq!(replay.regions, ["ams", "any"]);
        assert!(replay.elsewhere);
        assert_eq!(replay.timeout, Some(Duration::from_millis(800)));
        assert_eq!(replay.fallback, Some(Fallback::PreferSelf));
        assert!(replay.allows_region("syd"));
    }

    #[test]
    fn an_instruction_prints_back_as_a_header_that_reads_the_same() {
        let replay =
            Replay::parse_header("instance=abc;region=\"ams,iad\";timeout=2s;fallback=force_self")
                .unwrap();

        let printed = replay.to_string();

        assert_eq!(Replay::parse_header(&printed).unwrap(), replay, "{printed}");
    }

    #[test]
    fn an_unknown_field_is_an_error_naming_it() {
        let error = Replay::parse_header("instance_id=abc").unwrap_err();

        assert_eq!(error, ReplayError::UnknownField("instance_id".to_owned()));
    }

    #[test]
    fn bad_values_and_empty_instructions_are_errors() {
        assert!(Replay::parse_header("elsewhere=yes").is_err());
        assert!(Replay::parse_header("fallback=somewhere").is_err());
        assert!(Replay::parse_header("state=x").is_err());
    }

    #[test]
    fn the_json_form_reads_the_same_fields() {
        let replay =
            Replay::parse_json(br#"{"instance": "abc", "elsewhere": false, "timeout": "2s"}"#)
                .unwrap();

        assert_eq!(replay.instance.as_deref(), Some("abc"));
        assert_eq!(replay.timeout, Some(Duration::from_secs(2)));
    }

    #[test]
    fn the_source_header_carries_instance_region_time_and_state() {
        let value = source_header("abc", "ams", Some("s1"));

        assert!(value.starts_with("instance=abc;region=ams;t="), "{value}");
        assert!(value.ends_with(";state=s1"), "{value}");
    }
}
