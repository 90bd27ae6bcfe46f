//! End to end through Local Fly with the real binary as the machine's
//! image: `dev` creates the main machine, the proxy serves the store from
//! it, autostop stops it when idle and the next request starts it again.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use awc::http::StatusCode;
use fly_store::localfly::dev::{self, DevOptions};

use crate::localfly_helpers::TestApi;

const BINARY: &str = env!("CARGO_BIN_EXE_fly-store");

/// A seeded SQLite database in `dir`.
pub fn seeded_database(dir: &Path) -> String {
    let path = dir.join("store.db").display().to_string();
    let status = Command::new(BINARY)
        .args(["seed", "--purchases", "3"])
        .env("DATABASE_URL", &path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

pub fn dev_options(database: String) -> DevOptions {
    let mut options = DevOptions::new(database);
    options.api_addr = "127.0.0.1:0".parse().unwrap();
    options.proxy_addr = "127.0.0.1:0".parse().unwrap();
    options.program = Some(BINARY.into());
    options.stop_timeout = Duration::from_secs(5);
    options
}

pub async fn get(client: &awc::Client, url: String) -> (StatusCode, String, Vec<u8>) {
    let mut response = client.get(url).send().await.unwrap();
    let body = response.body().limit(8 << 20).await.unwrap().to_vec();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), kind, body)
}

#[actix_web::test]
async fn the_store_runs_behind_the_proxy_and_wakes_up_after_autostop() {
    crate::helpers::init_logging();
    let dir = tempfile::tempdir().unwrap();
    let mut options = dev_options(seeded_database(dir.path()));
    options.autostop_after = Duration::from_millis(800);
    let dev = dev::start(options).await.unwrap();
    let proxy = dev.local.proxy_url();
    let api = TestApi::with_token(
        &format!("{}/v1/apps/fly-store/machines", dev.local.api_url()),
        "dev",
    );

    let (page, page_kind, _) = get(&api.client, format!("{proxy}/")).await;
    let (pdf, pdf_kind, pdf_body) = get(
        &api.client,
        format!("{proxy}/purchases/serverless-receipts/1/"),
    )
    .await;
    api.wait_for(&dev.main_machine, "stopped").await;
    let (woken, _, products) = get(&api.client, format!("{proxy}/api/products")).await;
    dev.local.stop().await;

    assert_eq!(page, StatusCode::OK);
    assert!(page_kind.starts_with("text/html"), "{page_kind}");
    assert_eq!(pdf, StatusCode::OK);
    assert_eq!(pdf_kind, "application/pdf");
    assert!(pdf_body.starts_with(b"%PDF-"));
    assert_eq!(woken, StatusCode::OK);
    let products: serde_json::Value = serde_json::from_slice(&products).unwrap();
    assert!(!products.as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn the_first_receipt_request_makes_main_create_the_worker_that_renders_it() {
    crate::helpers::init_logging();
    let dir = tempfile::tempdir().unwrap();
    let dev = dev::start(dev_options(seeded_database(dir.path())))
        .await
        .unwrap();
    let proxy = dev.local.proxy_url();
    let api = TestApi::with_token(
        &format!("{}/v1/apps/fly-store/machines", dev.local.api_url()),
        "dev",
    );
    let (_, before) = api.call("GET", "", None).await;

    let (pdf, pdf_kind, pdf_body) = get(
        &api.client,
        format!("{proxy}/purchases/serverless-receipts/1/"),
    )
    .await;
    let (_, after) = api.call("GET", "?metadata.role=worker", None).await;
    let (again, _, _) = get(
        &api.client,
        format!("{proxy}/purchases/serverless-receipts/"),
    )
    .await;
    let (page, _, _) = get(&api.client, format!("{proxy}/")).await;
    let (_, all) = api.call("GET", "", None).await;
    dev.local.stop().await;

    assert_eq!(before.as_array().unwrap().len(), 1);
    assert_eq!(pdf, StatusCode::OK);
    assert_eq!(pdf_kind, "application/pdf");
    assert!(pdf_body.starts_with(b"%PDF-"));
    let workers = after.as_array().unwrap();
    assert_eq!(workers.len(), 1, "{after}");
    assert_eq!(
        workers[0]["config"]["env"]["IS_FLY_MACHINE_SERVERLESS"],
        "true"
    );
    assert_eq!(again, StatusCode::OK);
    assert_eq!(page, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
}
