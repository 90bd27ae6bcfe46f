//! Settings of the Fly machinery. Variables keep Fly's own names.

use secrecy::SecretString;
use serde::Deserialize;

/// How to reach the Machines API and which routes run on the worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlySettings {
    /// Base URL of the Machines API (`FLY_API_HOSTNAME`).
    pub api_hostname: String,
    /// Machines API token (`FLY_API_TOKEN`, a secret). Without it replay is off.
    pub api_token: Option<SecretString>,
    /// The Fly app (`FLY_APP_NAME`). Without it replay is off.
    pub app_name: Option<String>,
    /// The image this machine runs (`FLY_IMAGE_REF`); workers are created from it.
    pub image_ref: Option<String>,
    /// This machine's id (`FLY_MACHINE_ID`), set by Fly.
    pub machine_id: Option<String>,
    /// This machine's region (`FLY_REGION`), set by Fly.
    pub region: Option<String>,
    /// The routes that run on the worker, by route name and methods.
    pub serverless_routes: Vec<ServerlessRoute>,
}

/// One serverless route: a named resource and the methods offloaded for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerlessRoute {
    /// A route name as registered with the app, e.g. `store:machines_generate_receipts`.
    pub name: String,
    /// HTTP methods, e.g. `["GET"]`. HEAD counts as GET.
    pub methods: Vec<String>,
}

impl Default for FlySettings {
    fn default() -> Self {
        FlySettings {
            api_hostname: "https://api.machines.dev".to_owned(),
            api_token: None,
            app_name: None,
            image_ref: None,
            machine_id: None,
            region: None,
            serverless_routes: [
                "store:machines_generate_receipts",
                "store:machines_generate_receipt",
            ]
            .into_iter()
            .map(|name| ServerlessRoute {
                name: name.to_owned(),
                methods: vec!["GET".to_owned()],
            })
            .collect(),
        }
    }
}
