//! The real app (`startup.rs`) with the replay middleware wired in: both
//! roles over a real database, `/metrics`, and start-up validation of the
//! serverless routes.

use actix_web::http::StatusCode;
use fly_store::fly::ServerlessRoute;
use fly_store::startup::Application;

use crate::fly_fake_api::{APP, FakeApi, TOKEN, machine};
use crate::fly_helpers::{IMAGE_NEW, MAIN_ID};
use crate::fly_replay::{WORKER_ID, get};
use crate::helpers::{TestDatabase, spawn_app_with, test_settings};

fn on_fly<'a>(api: &'a str, role: &'a str, id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("FLY_API_HOSTNAME", api),
        ("FLY_API_TOKEN", TOKEN),
        ("FLY_APP_NAME", APP),
        ("FLY_IMAGE_REF", IMAGE_NEW),
        ("FLY_MACHINE_ID", id),
        ("FLY_REGION", "iad"),
        ("IS_FLY_MACHINE_SERVERLESS", role),
    ]
}

#[actix_web::test]
async fn the_app_replays_receipts_on_main_and_renders_them_on_the_worker() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    let uri = api.uri();
    let main = spawn_app_with(&on_fly(&uri, "false", MAIN_ID)).await;
    let worker = spawn_app_with(&on_fly(&uri, "true", WORKER_ID)).await;

    let replayed = get(&main.url("/purchases/serverless-receipts/"), &[]).await;
    let storefront = get(&main.url("/"), &[]).await;
    let rendered = get(&worker.url("/purchases/serverless-receipts/"), &[]).await;
    let elsewhere = get(&worker.url("/"), &[]).await;
    let health = get(&worker.url("/healthz"), &[]).await;
    let metrics = get(&main.url("/metrics"), &[]).await;

    assert!(
        replayed
            .replay()
            .unwrap()
            .starts_with("instance=1781973c0e6d89;")
    );
    assert_eq!(storefront.status, StatusCode::OK);
    assert_eq!(storefront.replay(), None);
    assert_eq!(rendered.status, StatusCode::OK);
    assert_eq!(rendered.header("content-type"), Some("application/pdf"));
    assert!(rendered.body.starts_with("%PDF-"));
    assert!(elsewhere.replay().unwrap().starts_with("elsewhere=true;"));
    assert_eq!((health.status, health.replay()), (StatusCode::OK, None));
    assert!(
        metrics
            .body
            .contains("fly_replays_total{kind=\"instance\"} 1")
    );
}

#[test]
fn an_unknown_serverless_route_stops_start_up_naming_it() {
    let db = TestDatabase::new();
    let mut settings = test_settings(&db, &[]);
    settings.fly.serverless_routes = vec![ServerlessRoute {
        name: "store:machines_generate_reciepts".to_owned(),
        methods: vec!["GET".to_owned()],
    }];

    let error = Application::build(&settings, "127.0.0.1:0").err().unwrap();

    assert!(
        error
            .to_string()
            .contains("store:machines_generate_reciepts"),
        "{error}"
    );
}
