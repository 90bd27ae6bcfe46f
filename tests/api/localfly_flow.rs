//! The two-role flow through Local Fly with the real binary: the decision
//! table of both roles, the worker's autostop and autostart, a deploy that
//! updates the worker, and a one-off command machine's exit code.

use std::time::Duration;

use awc::http::StatusCode;
use fly_store::fly::FlySettings;
use fly_store::fly::cli::{MachinesCommand, execute};
use fly_store::localfly::dev::{self, Dev, DevOptions};
use serde_json::{Value, json};

use crate::localfly_e2e::{dev_options, seeded_database};
use crate::localfly_helpers::TestApi;

const RECEIPT: &str = "/purchases/serverless-receipts/1/";

struct Flow {
    dev: Dev,
    api: TestApi,
    _dir: tempfile::TempDir,
}

/// What came back through the proxy.
struct Reply {
    status: StatusCode,
    machine: String,
    replays: String,
    kind: String,
    body: Vec<u8>,
}

async fn start_flow(tune: impl FnOnce(&mut DevOptions)) -> Flow {
    crate::helpers::init_logging();
    let dir = tempfile::tempdir().unwrap();
    let mut options = dev_options(seeded_database(dir.path()));
    tune(&mut options);
    let dev = dev::start(options).await.unwrap();
    let api = TestApi::with_token(
        &format!("{}/v1/apps/fly-store/machines", dev.local.api_url()),
        "dev",
    );
    Flow {
        dev,
        api,
        _dir: dir,
    }
}

impl Flow {
    async fn get(&self, path: &str, machine: Option<&str>) -> Reply {
        let mut request = self
            .api
            .client
            .get(format!("{}{path}", self.dev.local.proxy_url()));
        if let Some(id) = machine {
            request = request.insert_header(("fly-force-instance-id", id));
        }
        let mut response = request.send().await.unwrap();
        let body = response.body().limit(8 << 20).await.unwrap().to_vec();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        Reply {
            status: response.status(),
            machine: header("localfly-machine-id"),
            replays: header("localfly-replays"),
            kind: header("content-type"),
            body,
        }
    }

    async fn workers(&self) -> Vec<Value> {
        let (_, listed) = self.api.call("GET", "?metadata.role=worker", None).await;
        listed.as_array().unwrap().clone()
    }

    async fn worker_id(&self) -> String {
        let workers = self.workers().await;
        assert_eq!(workers.len(), 1, "{workers:?}");
        workers[0]["id"].as_str().unwrap().to_owned()
    }

    fn fly_settings(&self) -> FlySettings {
        FlySettings {
            api_hostname: self.dev.local.api_url(),
            api_token: Some("dev".to_owned().into()),
            app_name: Some("fly-store".to_owned()),
            image_ref: Some(self.dev.image_ref.clone()),
            ..FlySettings::default()
        }
    }
}

#[actix_web::test]
async fn both_roles_follow_the_decision_table_through_the_proxy() {
    let flow = start_flow(|_| {}).await;
    let main = flow.dev.main_machine.clone();

    let first = flow.get(RECEIPT, Some(&main)).await;
    let worker = flow.worker_id().await;
    let main_page = flow.get("/", Some(&main)).await;
    let worker_page = flow.get("/", Some(&worker)).await;
    let worker_receipt = flow.get(RECEIPT, Some(&worker)).await;
    let worker_health = flow.get("/healthz", Some(&worker)).await;
    let main_health = flow.get("/healthz", Some(&main)).await;
    flow.dev.local.stop().await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.kind, "application/pdf");
    assert_eq!(
        (first.machine.as_str(), first.replays.as_str()),
        (worker.as_str(), "1")
    );
    assert_eq!(main_page.status, StatusCode::OK);
    assert_eq!(
        (main_page.machine.as_str(), main_page.replays.as_str()),
        (main.as_str(), "0")
    );
    assert_eq!(worker_page.status, StatusCode::OK);
    assert_eq!(
        (worker_page.machine.as_str(), worker_page.replays.as_str()),
        (main.as_str(), "1")
    );
    assert_eq!(worker_receipt.status, StatusCode::OK);
    assert_eq!(worker_receipt.machine, worker);
    assert_eq!(worker_receipt.replays, "0");
    assert_eq!(
        (
            worker_health.machine.as_str(),
            worker_health.replays.as_str()
        ),
        (worker.as_str(), "0")
    );
    assert_eq!(
        (main_health.machine.as_str(), main_health.replays.as_str()),
        (main.as_str(), "0")
    );
}

#[actix_web::test]
async fn an_idle_worker_is_stopped_and_the_next_receipt_request_starts_it_again() {
    let flow = start_flow(|options| options.autostop_after = Duration::from_millis(800)).await;
    let first = flow.get(RECEIPT, None).await;
    let worker = flow.worker_id().await;

    flow.api.wait_for(&worker, "stopped").await;
    let second = flow.get(RECEIPT, None).await;
    let (_, machine) = flow.api.call("GET", &format!("/{worker}"), None).await;
    flow.dev.local.stop().await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.starts_with(b"%PDF-"));
    assert_eq!(second.machine, worker);
    assert_eq!(machine["state"], "started");
}

#[actix_web::test]
async fn a_deploy_with_a_new_image_updates_the_worker_and_one_worker_remains() {
    let flow = start_flow(|_| {}).await;
    let main = flow.dev.main_machine.clone();
    let first = flow.get(RECEIPT, None).await;
    let worker = flow.worker_id().await;
    let (_, current) = flow.api.call("GET", &format!("/{main}"), None).await;
    let mut config = current["config"].clone();
    let new_image = "registry.fly.io/fly-store:deployment-NEW";
    config["image"] = json!(new_image);

    let (deployed, _) = flow
        .api
        .call("POST", &format!("/{main}"), Some(json!({"config": config})))
        .await;
    flow.api.wait_for(&main, "started").await;
    let after = flow.get(RECEIPT, Some(&main)).await;
    let workers = flow.workers().await;
    flow.dev.local.stop().await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(deployed, StatusCode::OK);
    assert_eq!(
        after.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&after.body)
    );
    assert!(after.body.starts_with(b"%PDF-"));
    assert_eq!(workers.len(), 1, "{workers:?}");
    assert_eq!(workers[0]["id"], worker.as_str());
    assert_eq!(workers[0]["config"]["image"], new_image);
    assert_eq!(after.machine, worker);
}

#[actix_web::test]
async fn a_one_off_command_machine_reports_its_exit_code() {
    let flow = start_flow(|_| {}).await;
    let settings = flow.fly_settings();
    let mut out = Vec::new();

    let ok = execute(
        MachinesCommand::Run {
            command: vec!["migrate".to_owned()],
        },
        &settings,
        &mut out,
    )
    .await
    .unwrap();
    let failed = execute(
        MachinesCommand::Run {
            command: vec!["migrate".to_owned(), "--no-such-flag".to_owned()],
        },
        &settings,
        &mut out,
    )
    .await
    .unwrap();
    let (_, left) = flow.api.call("GET", "?metadata.role=oneoff", None).await;
    flow.dev.local.stop().await;

    assert_eq!(ok, 0);
    assert_eq!(failed, 2, "{}", String::from_utf8_lossy(&out));
    assert!(
        left.as_array()
            .unwrap()
            .iter()
            .all(|m| m["state"] == "destroyed"),
        "{left}"
    );
}
