//! The `fly-replay` answer header and the headers Fly's proxy adds to a
//! replayed request (`fly-replay-src`, `fly-replay-failed`).

use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName};

/// Header of a replay answer.
pub const FLY_REPLAY: &str = "fly-replay";
/// Added by the proxy to a replayed request: who replayed it.
pub const FLY_REPLAY_SRC: &str = "fly-replay-src";
/// Added by the proxy when a replay failed and the request came back.
pub const FLY_REPLAY_FAILED: &str = "fly-replay-failed";

/// Where a replay answer sends the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `instance=<id>`: that machine.
    Instance(String),
    /// `elsewhere=true`: any machine but this one.
    Elsewhere,
}

/// The value of a `fly-replay` header. `state` carries the number of
/// replays so far, which the proxy echoes back in `fly-replay-src`; with
/// `fallback=prefer_self` a replay that fails within `timeout` comes back to
/// this machine with `fly-replay-failed` instead of hanging.
pub fn replay_value(target: &Target, hops: u32, timeout: Duration) -> String {
    let target = match target {
        Target::Instance(id) => format!("instance={id}"),
        Target::Elsewhere => "elsewhere=true".to_owned(),
    };
    format!(
        "{target};state={hops};timeout={}ms;fallback=prefer_self",
        timeout.as_millis()
    )
}

// Parsed once: a lookup by `&str` would parse and copy the name each time.
const SRC_NAME: HeaderName = HeaderName::from_static(FLY_REPLAY_SRC);
const FAILED_NAME: HeaderName = HeaderName::from_static(FLY_REPLAY_FAILED);

/// What a request says about replays it has been through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayTrail {
    /// `fly-replay-src` was present.
    pub replayed: bool,
    /// Its `instance`: the machine that replayed the request here.
    pub source_instance: Option<String>,
    /// Replays so far: our `state` counter, or 1 for a replay that is not ours.
    pub hops: u32,
    /// `fly-replay-failed` was present: a replay failed and came back.
    pub failed: bool,
    /// Its `instance`: the machine the failed replay was meant for.
    pub failed_instance: Option<String>,
}

impl ReplayTrail {
    /// Reads the replay headers of a request.
    pub fn from_headers(headers: &HeaderMap) -> ReplayTrail {
        let mut trail = ReplayTrail::default();
        if let Some(src) = header_text(headers, &SRC_NAME) {
            trail.replayed = true;
            trail.source_instance = field(src, "instance").map(str::to_owned);
            trail.hops = field(src, "state")
                .and_then(|state| state.parse().ok())
                .unwrap_or(1)
                .max(1);
        }
        if let Some(failed) = header_text(headers, &FAILED_NAME) {
            trail.failed = true;
            trail.failed_instance = field(failed, "instance").map(str::to_owned);
        }
        trail
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).map(|value| value.to_str().unwrap_or(""))
}

/// The value of `key` in a `k=v;k=v` header, unquoted.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    header
        .split([';', ','])
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(key))
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn a_replay_answer_names_its_target_hops_timeout_and_fallback() {
        let value = replay_value(
            &Target::Instance("148ed193b95389".into()),
            1,
            Duration::from_secs(5),
        );

        assert_eq!(
            value,
            "instance=148ed193b95389;state=1;timeout=5000ms;fallback=prefer_self"
        );
    }

    #[test]
    fn the_source_and_our_hop_counter_are_read_back() {
        let trail = ReplayTrail::from_headers(&headers(&[(
            "fly-replay-src",
            "instance=e784e90b1d3e68;region=iad;t=1700000000000000;state=2",
        )]));

        assert!(trail.replayed);
        assert_eq!(trail.source_instance.as_deref(), Some("e784e90b1d3e68"));
        assert_eq!(trail.hops, 2);
        assert!(!trail.failed);
    }

    #[test]
    fn a_foreign_replay_counts_as_one_hop_and_a_failure_names_its_target() {
        let trail = ReplayTrail::from_headers(&headers(&[
            ("fly-replay-src", "instance=e784e90b1d3e68;region=iad"),
            (
                "fly-replay-failed",
                "instance=1781973c0e6d89;reason=no_candidate;elapsed_ms=12",
            ),
        ]));

        assert_eq!(trail.hops, 1);
        assert!(trail.failed);
        assert_eq!(trail.failed_instance.as_deref(), Some("1781973c0e6d89"));
    }
}
