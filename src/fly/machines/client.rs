//! The Machines API client (awc, one per thread).
//!
//! Every call has explicit connect and request timeouts. A 429 waits for its
//! `Retry-After`; 408 and 5xx answers, time-outs and connection failures of
//! calls that are safe to repeat are retried with backoff; all retries of one
//! call fit in the retry budget. A create or update is never repeated after
//! an answer that may mean it happened.

use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode, header};
use awc::Client;
use serde::Deserialize;
use serde_json::Value;

use crate::fly::machines::config::ApiConfig;
use crate::fly::machines::error::{ApiError, checked_machine_id};
use crate::fly::machines::types::{Machine, parse_machine_list};

/// The header that carries a lease's nonce on calls to a leased machine.
pub const LEASE_NONCE_HEADER: &str = "fly-machine-lease-nonce";

/// Largest API answer read.
const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// A lease held on a machine.
#[derive(Debug, Clone)]
pub struct Lease {
    /// Sent as `fly-machine-lease-nonce` on calls made under the lease.
    pub nonce: String,
}

/// A Machines API client for one app. `!Send`: make one per thread with
/// [`ApiConfig::client`].
pub struct MachinesClient {
    http: Client,
    config: ApiConfig,
}

/// Whether a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// Reads and idempotent actions: retry 408, 5xx, time-outs.
    Safe,
    /// Creates and updates: only a 429 (refused, so not done) is retried.
    OnlyWhenRefused,
}

struct Call<'a> {
    endpoint: &'static str,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<&'a Value>,
    nonce: Option<&'a str>,
    timeout: Option<Duration>,
    repeat: Repeat,
}

impl MachinesClient {
    /// A client with its own connection pool.
    pub fn new(config: &ApiConfig) -> MachinesClient {
        let connector = awc::Connector::new()
            .rustls_0_23(config.tls.clone())
            .timeout(config.connect_timeout)
            .handshake_timeout(config.connect_timeout);
        let http = Client::builder()
            .connector(connector)
            .timeout(config.timeout)
            .disable_redirects()
            .finish();
        MachinesClient {
            http,
            config: config.clone(),
        }
    }

    /// Lists the app's machines that are not deleted, optionally only those
    /// whose metadata has `key=value`.
    pub async fn list(&self, metadata: Option<(&str, &str)>) -> Result<Vec<Machine>, ApiError> {
        let mut query = vec![("include_deleted".to_owned(), "false".to_owned())];
        if let Some((key, value)) = metadata {
            query.push((format!("metadata.{key}"), value.to_owned()));
        }
        let body = self
            .call(Call {
                query,
                ..Call::new("list", Method::GET, String::new())
            })
            .await?;
        parse_machine_list(&body).map_err(|error| decode_error("list", error))
    }

    /// One machine.
    pub async fn get(&self, id: &str) -> Result<Machine, ApiError> {
        let path = format!("/{}", checked_machine_id(id)?);
        let body = self.call(Call::new("get", Method::GET, path)).await?;
        parse_machine("get", &body)
    }

    /// Creates a machine from a full create body (`config`, `name`, …).
    pub async fn create(&self, request: &Value) -> Result<Machine, ApiError> {
        let body = self
            .call(Call {
                body: Some(request),
                repeat: Repeat::OnlyWhenRefused,
                ..Call::new("create", Method::POST, String::new())
            })
            .await?;
        parse_machine("create", &body)
    }

    /// Replaces a machine's config (`{"config": …}`), under `nonce` if leased.
    pub async fn update(
        &self,
        id: &str,
        request: &Value,
        nonce: Option<&str>,
    ) -> Result<Machine, ApiError> {
        let path = format!("/{}", checked_machine_id(id)?);
        let body = self
            .call(Call {
                body: Some(request),
                nonce,
                repeat: Repeat::OnlyWhenRefused,
                ..Call::new("update", Method::POST, path)
            })
            .await?;
        parse_machine("update", &body)
    }

    /// Starts a stopped or suspended machine.
    pub async fn start(&self, id: &str, nonce: Option<&str>) -> Result<(), ApiError> {
        let path = format!("/{}/start", checked_machine_id(id)?);
        self.call(Call {
            nonce,
            ..Call::new("start", Method::POST, path)
        })
        .await
        .map(drop)
    }

    /// Stops a machine.
    pub async fn stop(&self, id: &str, nonce: Option<&str>) -> Result<(), ApiError> {
        let path = format!("/{}/stop", checked_machine_id(id)?);
        self.call(Call {
            nonce,
            ..Call::new("stop", Method::POST, path)
        })
        .await
        .map(drop)
    }

    /// One long poll of `GET …/wait` for `state`, up to `timeout` (the API
    /// caps it at 60 s and answers 408 when the state is not reached).
    pub async fn wait(
        &self,
        id: &str,
        state: &str,
        timeout: Duration,
        instance_id: Option<&str>,
    ) -> Result<Value, ApiError> {
        let secs = timeout.as_secs().clamp(1, 60);
        let mut query = vec![
            ("state".to_owned(), state.to_owned()),
            ("timeout".to_owned(), secs.to_string()),
        ];
        if let Some(instance_id) = instance_id {
            query.push(("instance_id".to_owned(), instance_id.to_owned()));
        }
        let path = format!("/{}/wait", checked_machine_id(id)?);
        let body = self
            .call(Call {
                query,
                timeout: Some(Duration::from_secs(secs) + self.config.timeout),
                ..Call::new("wait", Method::GET, path)
            })
            .await?;
        Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// Waits until the machine reaches `state`, repeating the long poll on
    /// 408 until `within` has passed.
    pub async fn wait_for(
        &self,
        id: &str,
        state: &str,
        within: Duration,
        instance_id: Option<&str>,
    ) -> Result<Value, ApiError> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.wait(id, state, left, instance_id).await {
                Err(error) if error.status() == Some(408) && Instant::now() < deadline => {}
                other => return other,
            }
        }
    }

    /// Destroys a machine (`force` stops it first).
    pub async fn destroy(
        &self,
        id: &str,
        force: bool,
        nonce: Option<&str>,
    ) -> Result<(), ApiError> {
        let path = format!("/{}", checked_machine_id(id)?);
        self.call(Call {
            query: vec![("force".to_owned(), force.to_string())],
            nonce,
            ..Call::new("destroy", Method::DELETE, path)
        })
        .await
        .map(drop)
    }

    /// Takes a lease on a machine for `ttl`. A 409 means someone else holds it.
    pub async fn acquire_lease(&self, id: &str, ttl: Duration) -> Result<Lease, ApiError> {
        let path = format!("/{}/lease", checked_machine_id(id)?);
        let request = serde_json::json!({
            "description": "fly-store worker update",
            "ttl": ttl.as_secs().max(1),
        });
        let body = self
            .call(Call {
                body: Some(&request),
                repeat: Repeat::OnlyWhenRefused,
                ..Call::new("lease_acquire", Method::POST, path)
            })
            .await?;
        let answer: Value =
            serde_json::from_slice(&body).map_err(|e| decode_error("lease_acquire", e))?;
        let nonce = answer
            .pointer("/data/nonce")
            .or_else(|| answer.get("nonce"))
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::Decode {
                endpoint: "lease_acquire",
                reason: "no nonce in the answer".to_owned(),
            })?;
        Ok(Lease {
            nonce: nonce.to_owned(),
        })
    }

    /// Releases a lease.
    pub async fn release_lease(&self, id: &str, lease: &Lease) -> Result<(), ApiError> {
        let path = format!("/{}/lease", checked_machine_id(id)?);
        self.call(Call {
            nonce: Some(&lease.nonce),
            ..Call::new("lease_release", Method::DELETE, path)
        })
        .await
        .map(drop)
    }

    async fn call(&self, call: Call<'_>) -> Result<Vec<u8>, ApiError> {
        let deadline = Instant::now() + self.config.retry_budget;
        let mut attempt: u32 = 0;
        loop {
            let started = Instant::now();
            let outcome = self.send_once(&call).await;
            self.observe(call.endpoint, &outcome, started.elapsed());

            let error = match outcome {
                Ok((status, _, body)) if status.is_success() => return Ok(body),
                Ok((status, retry_after, body)) => {
                    self.status_error(call.endpoint, status, retry_after, &body)
                }
                Err(error) => error,
            };
            let Some(pause) = retry_pause(&error, call.repeat, attempt) else {
                return Err(error);
            };
            if Instant::now() + pause > deadline {
                return Err(error);
            }
            log::debug!(
                "retrying Machines API {} in {pause:?} after: {error}",
                call.endpoint
            );
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
    ) -> Result<(StatusCode, Option<Duration>, Vec<u8>), ApiError> {
        let url = format!("{}{}", self.config.machines_url, call.path);
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .insert_header((header::AUTHORIZATION, self.config.authorization()))
            .insert_header((header::ACCEPT, "application/json"));
        if !call.query.is_empty() {
            request = request
                .query(&call.query)
                .map_err(|error| decode_error(call.endpoint, error))?;
        }
        if let Some(nonce) = call.nonce {
            request = request.insert_header((LEASE_NONCE_HEADER, nonce));
        }
        if let Some(timeout) = call.timeout {
            request = request.timeout(timeout);
        }
        let sent = match call.body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        };
        let mut response = sent.map_err(|error| self.transport_error(call.endpoint, error))?;
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response
            .body()
            .limit(BODY_LIMIT)
            .await
            .map_err(|error| ApiError::Decode {
                endpoint: call.endpoint,
                reason: self.config.scrub(&error.to_string()),
            })?;
        Ok((response.status(), retry_after, body.to_vec()))
    }

    fn transport_error(
        &self,
        endpoint: &'static str,
        error: awc::error::SendRequestError,
    ) -> ApiError {
        use awc::error::SendRequestError;
        match error {
            SendRequestError::Timeout => ApiError::Timeout { endpoint },
            SendRequestError::Connect(awc::error::ConnectError::Timeout) => {
                ApiError::Timeout { endpoint }
            }
            other => ApiError::Unreachable {
                endpoint,
                reason: self.config.scrub(&other.to_string()),
            },
        }
    }

    fn status_error(
        &self,
        endpoint: &'static str,
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> ApiError {
        #[derive(Deserialize)]
        struct ErrorBody {
            error: Option<String>,
            message: Option<String>,
        }
        let message = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .and_then(|body| body.message.or(body.error))
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                text.chars().take(200).collect()
            });
        ApiError::Status {
            endpoint,
            status: status.as_u16(),
            message: self.config.scrub(&message),
            retry_after,
        }
    }

    fn observe(
        &self,
        endpoint: &'static str,
        outcome: &Result<(StatusCode, Option<Duration>, Vec<u8>), ApiError>,
        elapsed: Duration,
    ) {
        let Some(metrics) = &self.config.metrics else {
            return;
        };
        let status = match outcome {
            Ok((status, _, _)) => status.as_str().to_owned(),
            Err(ApiError::Timeout { .. }) => "timeout".to_owned(),
            Err(_) => "unreachable".to_owned(),
        };
        metrics
            .api_calls
            .with_label_values(&[endpoint, status.as_str()])
            .inc();
        metrics
            .api_latency
            .with_label_values(&[endpoint])
            .observe(elapsed.as_secs_f64());
    }
}

impl<'a> Call<'a> {
    fn new(endpoint: &'static str, method: Method, path: String) -> Call<'a> {
        Call {
            endpoint,
            method,
            path,
            query: Vec::new(),
            body: None,
            nonce: None,
            timeout: None,
            repeat: Repeat::Safe,
        }
    }
}

/// How long to wait before repeating a failed call, or `None` when it must
/// not be repeated.
fn retry_pause(error: &ApiError, repeat: Repeat, attempt: u32) -> Option<Duration> {
    let backoff = Duration::from_millis(100 * 2u64.pow(attempt.min(4)));
    match error {
        ApiError::Status { status: 429, .. } => Some(
            error
                .retry_after()
                .unwrap_or(backoff)
                .max(Duration::from_millis(50)),
        ),
        _ if repeat == Repeat::OnlyWhenRefused => None,
        ApiError::Status { status, .. } if *status == 408 || *status >= 500 => Some(backoff),
        ApiError::Timeout { .. } | ApiError::Unreachable { .. } => Some(backoff),
        _ => None,
    }
}

fn parse_machine(endpoint: &'static str, body: &[u8]) -> Result<Machine, ApiError> {
    let machine: Machine = serde_json::from_slice(body).map_err(|e| decode_error(endpoint, e))?;
    checked_machine_id(&machine.id)?;
    Ok(machine)
}

fn decode_error(endpoint: &'static str, error: impl std::fmt::Display) -> ApiError {
    ApiError::Decode {
        endpoint,
        reason: error.to_string(),
    }
}
