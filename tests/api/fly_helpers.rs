//! A small app with the store's route names, wrapped in the replay
//! middleware and served on 127.0.0.1:0, plus a log capture.
//!
//! The views are stand-ins: a receipt route answers `application/pdf` with
//! `receipt <id>`, so a test sees which machine rendered what.

use std::sync::{Mutex, OnceLock};

use actix_web::{App, HttpResponse, HttpServer, web};
use fly_store::fly::{Fly, FlySettings, Role, metrics_resource};
use fly_store::http::routing::{RouteInfo, append_slash, get_resource};
use prometheus::Registry;
use secrecy::SecretString;

use crate::fly_fake_api::{APP, FakeApi, TOKEN};

/// The main machine's id.
pub const MAIN_ID: &str = "e784e90b1d3e68";
/// The current image.
pub const IMAGE_NEW: &str = "registry.fly.io/receipts-app:deployment-NEW";
/// The previous image.
pub const IMAGE_OLD: &str = "registry.fly.io/receipts-app:deployment-OLD";

const GET_HEAD: &[&str] = &["GET", "HEAD"];

/// The route table of the test app, as the store exposes it.
pub const ROUTES: &[RouteInfo] = &[
    RouteInfo {
        name: "store:storefront",
        methods: GET_HEAD,
    },
    RouteInfo {
        name: "store:purchase_list",
        methods: GET_HEAD,
    },
    RouteInfo {
        name: "store:api_products",
        methods: GET_HEAD,
    },
    RouteInfo {
        name: "store:machines_generate_receipts",
        methods: GET_HEAD,
    },
    RouteInfo {
        name: "store:machines_generate_receipt",
        methods: GET_HEAD,
    },
    RouteInfo {
        name: "ops:healthz",
        methods: GET_HEAD,
    },
    RouteInfo {
        name: "ops:metrics",
        methods: GET_HEAD,
    },
];

/// A running test app.
pub struct FlyApp {
    pub address: String,
    pub fly: Fly,
}

impl FlyApp {
    /// A full URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

/// Settings of a main machine on Fly, talking to `api`.
pub fn on_fly(api: &FakeApi) -> FlySettings {
    FlySettings {
        api_hostname: api.uri(),
        api_token: Some(SecretString::from(TOKEN)),
        app_name: Some(APP.to_owned()),
        image_ref: Some(IMAGE_NEW.to_owned()),
        machine_id: Some(MAIN_ID.to_owned()),
        region: Some("iad".to_owned()),
        api_timeout_ms: 2_000,
        api_retry_budget_ms: 3_000,
        lookup_timeout_ms: 8_000,
        cooldown_secs: 30,
        refresh_interval_secs: 0,
        ..FlySettings::default()
    }
}

/// Serves the test app with `role` and `settings` on a free loopback port.
pub async fn spawn_fly_app(role: Role, settings: FlySettings) -> FlyApp {
    let registry = Registry::new();
    let fly = Fly::from_settings(&settings, role, &registry, ROUTES).expect("fly set-up");
    let shared = fly.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(shared.replay())
            .service(metrics_resource(registry.clone()))
            .configure(store_routes)
            .default_service(web::to(append_slash))
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    actix_web::rt::spawn(server);
    FlyApp {
        address: format!("http://127.0.0.1:{port}"),
        fly,
    }
}

fn store_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_resource("/", "store:storefront", storefront))
        .service(get_resource(
            "/purchases/serverless-receipts/",
            "store:machines_generate_receipts",
            all_receipts,
        ))
        .service(get_resource(
            "/purchases/serverless-receipts/{purchase_id:[0-9]+}/",
            "store:machines_generate_receipt",
            one_receipt,
        ))
        .service(get_resource(
            "/purchases/",
            "store:purchase_list",
            storefront,
        ))
        .service(get_resource(
            "/api/products",
            "store:api_products",
            storefront,
        ))
        .service(get_resource("/healthz", "ops:healthz", healthz));
}

async fn storefront() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html")
        .body("storefront")
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn all_receipts() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .body("receipts all")
}

async fn one_receipt(id: web::Path<String>) -> HttpResponse {
    match id.parse::<i64>() {
        Ok(id) => HttpResponse::Ok()
            .content_type("application/pdf")
            .body(format!("receipt {id}")),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// Log lines captured from the `log` facade, for the whole test binary.
/// Every record is kept; those `RUST_LOG` enables are also printed the way
/// `env_logger` prints in tests.
pub struct CapturedLogs {
    lines: Mutex<Vec<String>>,
    printer: env_logger::Logger,
}

impl log::Log for CapturedLogs {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        self.lines.lock().unwrap().push(line);
        if self.printer.enabled(record.metadata()) {
            self.printer.log(record);
        }
    }

    fn flush(&self) {}
}

impl CapturedLogs {
    /// Every line captured so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

/// Installs the capturing logger (once) and returns it. It must be the
/// binary's only logger: a test that reads logs fails loudly, rather than
/// passing without having captured anything, if another was installed first.
pub fn capture_logs() -> &'static CapturedLogs {
    static LOGS: OnceLock<&'static CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: &'static CapturedLogs = Box::leak(Box::new(CapturedLogs {
            lines: Mutex::new(Vec::new()),
            printer: env_logger::Builder::from_default_env()
                .is_test(true)
                .build(),
        }));
        log::set_logger(logs).expect("the capturing logger is the test binary's only logger");
        log::set_max_level(log::LevelFilter::Debug);
        logs
    })
}
