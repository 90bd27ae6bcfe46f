//! Reading what clients send: query pairs, booleans, durations, JSON bodies
//! that may be empty, and the lease nonce header.

use std::time::Duration;

use actix_web::{HttpRequest, web};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The header that proves a lease.
pub const NONCE_HEADER: &str = "fly-machine-lease-nonce";

/// The query string as ordered pairs (keys may repeat).
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|error| ApiError::BadRequest(format!("malformed query string: {error}")))
}

/// The last value of `key`, if any.
pub fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A boolean parameter: `true`/`1` or `false`/`0`; absent is false.
pub fn flag(pairs: &[(String, String)], key: &str) -> Result<bool, ApiError> {
    match last(pairs, key).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!(
            "`{key}` must be true or false, not {other:?}"
        ))),
    }
}

/// Seconds as a number, or a Go-style duration (`800ms`, `10s`, `1m`).
pub fn duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// A JSON body, or `T::default()` when the body is empty.
pub fn json_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|error| ApiError::BadRequest(format!("malformed JSON body: {error}")))
}

/// The lease nonce the caller sent.
pub fn nonce(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(NONCE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::duration;

    #[test]
    fn durations_read_as_seconds_or_go_strings() {
        assert_eq!(duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(duration("800ms"), Some(Duration::from_millis(800)));
        assert_eq!(duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(duration("soon"), None);
    }
}
