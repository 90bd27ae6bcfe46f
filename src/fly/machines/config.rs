//! What every Machines API client of this process shares: where the API is,
//! the token, TLS trust and timeouts. Built once (it is `Send + Sync`); each
//! server worker thread makes its own [`MachinesClient`] from it, because
//! awc's client is `!Send`.

use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};

use crate::fly::error::FlyError;
use crate::fly::machines::MachinesClient;
use crate::fly::metrics::FlyMetrics;
use crate::fly::settings::FlySettings;

/// Shared, thread-safe configuration of the Machines API client.
#[derive(Clone)]
pub struct ApiConfig {
    pub(crate) machines_url: String,
    pub(crate) token: SecretString,
    pub(crate) tls: Arc<ClientConfig>,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) retry_budget: Duration,
    pub(crate) metrics: Option<FlyMetrics>,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("machines_url", &self.machines_url)
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl ApiConfig {
    /// The API client config, or `None` off Fly (no app name or no token).
    pub fn from_settings(
        settings: &FlySettings,
        metrics: Option<FlyMetrics>,
    ) -> Result<Option<ApiConfig>, FlyError> {
        let (Some(app), Some(token)) = (&settings.app_name, &settings.api_token) else {
            return Ok(None);
        };
        if app.is_empty() || !app.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(FlyError::Setting {
                key: "fly.app_name",
                reason: "an app name is letters, digits and dashes".to_owned(),
            });
        }
        if token.expose_secret().trim().is_empty() {
            return Ok(None);
        }
        let base = settings.api_hostname.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(FlyError::Setting {
                key: "fly.api_hostname",
                reason: "must start with https:// or http://".to_owned(),
            });
        }
        Ok(Some(ApiConfig {
            machines_url: format!("{base}/v1/apps/{app}/machines"),
            token: token.clone(),
            tls: Arc::new(tls_config(settings)?),
            connect_timeout: settings.api_connect_timeout(),
            timeout: settings.api_timeout(),
            retry_budget: settings.api_retry_budget(),
            metrics,
        }))
    }

    /// A client for the current thread.
    pub fn client(&self) -> MachinesClient {
        MachinesClient::new(self)
    }

    /// The `Authorization` value: the token as given when it already names
    /// its scheme (`FlyV1 …`, `Bearer …`), else `Bearer <token>`.
    pub(crate) fn authorization(&self) -> String {
        let token = self.token.expose_secret().trim();
        if token.starts_with("FlyV1 ") || token.starts_with("Bearer ") {
            token.to_owned()
        } else {
            format!("Bearer {token}")
        }
    }

    /// `text` with every occurrence of the token replaced.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let token = self.token.expose_secret().trim();
        let bare = token
            .strip_prefix("FlyV1 ")
            .or_else(|| token.strip_prefix("Bearer "))
            .unwrap_or(token);
        let mut text = text.to_owned();
        for secret in [token, bare] {
            if !secret.is_empty() {
                text = text.replace(secret, "[redacted]");
            }
        }
        text
    }
}

/// Bundled Mozilla roots, plus the CAs in `api_ca_file` if set, with ring as
/// the crypto provider and HTTP/1.1 only.
fn tls_config(settings: &FlySettings) -> Result<ClientConfig, FlyError> {
    let mut roots = actix_tls::connect::rustls_0_23::webpki_roots_cert_store();
    if let Some(path) = &settings.api_ca_file {
        let ca_error = |reason: String| FlyError::Setting {
            key: "fly.api_ca_file",
            reason: format!("{}: {reason}", path.display()),
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|error| ca_error(error.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|error| ca_error(error.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no certificate in the file".to_owned()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|error| ca_error(error.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| FlyError::Setting {
            key: "fly.api_hostname",
            reason: format!("TLS set-up failed: {error}"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(token: &str) -> ApiConfig {
        let settings = FlySettings {
            app_name: Some("receipts-app".to_owned()),
            api_token: Some(SecretString::from(token)),
            ..FlySettings::default()
        };
        ApiConfig::from_settings(&settings, None).unwrap().unwrap()
    }

    #[test]
    fn the_token_is_scrubbed_from_text_and_absent_from_debug_output() {
        let api = config("FlyV1 fm2_sekrit");

        let scrubbed = api.scrub("denied for FlyV1 fm2_sekrit and for fm2_sekrit");
        let debug = format!("{api:?}");

        assert_eq!(scrubbed, "denied for [redacted] and for [redacted]");
        assert!(!debug.contains("sekrit"), "{debug}");
        assert_eq!(api.authorization(), "FlyV1 fm2_sekrit");
        assert_eq!(config("abc").authorization(), "Bearer abc");
    }

    #[test]
    fn without_an_app_name_or_a_token_there_is_no_client() {
        let no_token = FlySettings {
            app_name: Some("receipts-app".to_owned()),
            ..FlySettings::default()
        };
        let no_app = FlySettings {
            api_token: Some(SecretString::from("t")),
            ..FlySettings::default()
        };

        assert!(ApiConfig::from_settings(&no_token, None).unwrap().is_none());
        assert!(ApiConfig::from_settings(&no_app, None).unwrap().is_none());
    }
}
