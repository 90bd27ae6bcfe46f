//! Finding or creating the worker through the stand-in Machines API:
//! single-flight, steady state, failures and cooldown, image drift, two main
//! processes, the create body, and the token kept out of logs (BC-05, BC-07,
//! BC-08, BC-10, BC-11).

use std::collections::HashMap;
use std::time::Duration;

use actix_web::http::StatusCode;
use fly_store::fly::{FlySettings, Role};
use fly_store::settings::Settings;
use futures_util::future::join_all;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::fly_fake_api::{Endpoint, FakeApi, TOKEN, error, machine};
use crate::fly_helpers::{IMAGE_NEW, IMAGE_OLD, MAIN_ID, capture_logs, on_fly, spawn_fly_app};
use crate::fly_replay::{NEW_WORKER_ID, WORKER_ID, get};

const RECEIPTS: &str = "/purchases/serverless-receipts/";

#[actix_web::test]
async fn fifty_concurrent_first_requests_make_one_list_and_one_create() {
    let api = FakeApi::start().await;
    api.state().create_ids.push_back(NEW_WORKER_ID.to_owned());
    api.state().create_delay = Duration::from_millis(500);
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let url = app.url(RECEIPTS);

    let answers = join_all((0..50).map(|_| get(&url, &[]))).await;

    for answer in &answers {
        let replay = answer.replay().expect("every request is replayed");
        assert!(replay.starts_with("instance=148ed193b95389;"), "{replay}");
    }
    assert_eq!(api.calls(Endpoint::List).await.len(), 1);
    assert_eq!(api.calls(Endpoint::Create).await.len(), 1);
    assert_eq!(api.live_workers().len(), 1);
}

#[actix_web::test]
async fn a_thousand_replayed_requests_make_at_most_two_api_calls() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "stopped", IMAGE_NEW, "worker"));
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let url = app.url("/purchases/serverless-receipts/7/");

    let mut replayed = 0;
    for _ in 0..20 {
        let answers = join_all((0..50).map(|_| get(&url, &[]))).await;
        replayed += answers.iter().filter(|a| a.replay().is_some()).count();
    }

    assert_eq!(replayed, 1000);
    assert!(api.requests().await.len() <= 2);
    assert!(app.fly.metrics().api_call_count() <= 2);
}

#[actix_web::test]
async fn a_spurious_empty_list_leads_to_no_second_worker() {
    let api = FakeApi::start().await;
    let mut worker = machine(WORKER_ID, "started", IMAGE_NEW, "worker");
    worker["name"] = "serverless-worker".into();
    api.add_machine(worker);
    api.script(
        Endpoint::List,
        Some(1),
        ResponseTemplate::new(200).set_body_json(json!([])),
    );
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;

    let answer = get(&app.url(RECEIPTS), &[]).await;

    assert!(
        answer
            .replay()
            .unwrap()
            .starts_with("instance=1781973c0e6d89;")
    );
    assert_eq!(api.live_workers().len(), 1);
}

#[actix_web::test]
async fn null_configs_and_unknown_states_are_skipped_when_choosing_the_worker() {
    let api = FakeApi::start().await;
    for listed in [
        json!({"id": "aaaaaaaaaaaaa1", "state": "started", "config": null}),
        json!({"id": "aaaaaaaaaaaaa2", "state": "started",
               "config": {"env": null, "metadata": {"role": "worker"}, "image": IMAGE_NEW},
               "extra_field": {"nested": [1, 2]}}),
        json!({"id": "aaaaaaaaaaaaa3", "state": "warp-drive",
               "config": {"metadata": {"role": "worker"}, "image": IMAGE_NEW}}),
        json!({"id": "aaaaaaaaaaaaa4", "state": null,
               "config": {"metadata": {"role": "worker"}, "image": IMAGE_NEW}}),
    ] {
        api.add_machine(listed);
    }
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;

    let answer = get(&app.url(RECEIPTS), &[]).await;

    assert!(
        answer
            .replay()
            .unwrap()
            .starts_with("instance=aaaaaaaaaaaaa2;")
    );
    assert!(api.calls(Endpoint::Create).await.is_empty());
}

#[actix_web::test]
async fn a_rejected_create_answers_503_then_waits_for_the_cooldown() {
    let logs = capture_logs();
    let api = FakeApi::start().await;
    let rejection = format!("you have reached the machine limit (token {TOKEN})");
    api.script(Endpoint::Create, None, error(422, &rejection));
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let url = app.url("/purchases/serverless-receipts/5/");

    let first = get(&url, &[]).await;
    let second = get(&url, &[]).await;

    for answer in [&first, &second] {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.replay(), None);
        let retry_after: u64 = answer.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=30).contains(&retry_after), "{retry_after}");
    }
    assert_eq!(api.calls(Endpoint::Create).await.len(), 1);
    assert!(app.fly.cached_worker().is_none());
    let lines = logs.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("machine limit") && l.starts_with("WARN")),
        "the API's reason is logged once: {lines:#?}"
    );
    assert!(lines.iter().all(|l| !l.contains(TOKEN)), "token leaked");
}

#[actix_web::test]
async fn a_429_is_waited_out_within_the_budget_and_a_long_one_becomes_retry_after() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    let busy = error(429, "rate limited").insert_header("retry-after", "1");
    api.script(Endpoint::List, Some(1), busy);
    let patient = spawn_fly_app(Role::Main, on_fly(&api)).await;

    let answer = get(&patient.url(RECEIPTS), &[]).await;

    assert!(
        answer
            .replay()
            .unwrap()
            .starts_with("instance=1781973c0e6d89;")
    );
    assert_eq!(api.calls(Endpoint::List).await.len(), 2);

    let slow_api = FakeApi::start().await;
    let long = error(429, "rate limited").insert_header("retry-after", "60");
    slow_api.script(Endpoint::List, None, long);
    let app = spawn_fly_app(Role::Main, on_fly(&slow_api)).await;

    let refused = get(&app.url(RECEIPTS), &[]).await;

    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 60, "{retry_after}");
    assert_eq!(slow_api.calls(Endpoint::List).await.len(), 1);
}

#[actix_web::test]
async fn a_5xx_is_retried_with_backoff_inside_the_budget() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    api.script(
        Endpoint::List,
        Some(2),
        error(503, "flaps is having a moment"),
    );
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;

    let answer = get(&app.url(RECEIPTS), &[]).await;

    assert!(
        answer
            .replay()
            .unwrap()
            .starts_with("instance=1781973c0e6d89;")
    );
    assert_eq!(api.calls(Endpoint::List).await.len(), 3);
}

#[actix_web::test]
async fn a_hanging_api_answers_503_within_the_configured_time() {
    let api = FakeApi::start().await;
    let hang = ResponseTemplate::new(200)
        .set_body_json(json!([]))
        .set_delay(Duration::from_secs(60));
    api.script(Endpoint::List, None, hang);
    let settings = FlySettings {
        api_timeout_ms: 200,
        api_retry_budget_ms: 300,
        lookup_timeout_ms: 1_000,
        ..on_fly(&api)
    };
    let app = spawn_fly_app(Role::Main, settings).await;

    let answer = get(&app.url(RECEIPTS), &[]).await;

    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.header("retry-after").is_some());
    assert_eq!(answer.replay(), None);
}

#[actix_web::test]
async fn an_unreachable_api_answers_503_or_serves_locally_when_configured() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let api = FakeApi::start().await;
    let strict = FlySettings {
        api_hostname: address.clone(),
        api_retry_budget_ms: 200,
        ..on_fly(&api)
    };
    let lenient = FlySettings {
        serve_locally_on_api_failure: true,
        ..strict.clone()
    };
    let strict_app = spawn_fly_app(Role::Main, strict).await;
    let lenient_app = spawn_fly_app(Role::Main, lenient).await;

    let refused = get(&strict_app.url("/purchases/serverless-receipts/5/"), &[]).await;
    let served = get(&lenient_app.url("/purchases/serverless-receipts/5/"), &[]).await;

    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.header("retry-after").is_some());
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, "receipt 5");
}

#[actix_web::test]
async fn a_404_right_after_create_is_retried_and_never_causes_a_second_create() {
    let api = FakeApi::start().await;
    api.state().create_ids.push_back(NEW_WORKER_ID.to_owned());
    api.state().missing_after_create = 3;
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;

    let first = get(&app.url(RECEIPTS), &[]).await;
    let second = get(&app.url(RECEIPTS), &[]).await;

    for answer in [&first, &second] {
        assert!(
            answer
                .replay()
                .unwrap()
                .starts_with("instance=148ed193b95389;")
        );
    }
    assert_eq!(api.calls(Endpoint::Create).await.len(), 1);
    assert!(api.calls(Endpoint::Wait).await.len() >= 4);
}

#[actix_web::test]
async fn a_worker_on_an_old_image_is_updated_once_under_a_lease_before_any_replay() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "stopped", IMAGE_OLD, "worker"));
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let url = app.url(RECEIPTS);

    let answers = join_all((0..10).map(|_| get(&url, &[]))).await;

    for answer in &answers {
        assert!(
            answer
                .replay()
                .unwrap()
                .starts_with("instance=1781973c0e6d89;")
        );
    }
    let updates = api.calls(Endpoint::Update).await;
    assert_eq!(updates.len(), 1);
    let body: Value = serde_json::from_slice(&updates[0].body).unwrap();
    assert_eq!(body["config"]["image"], IMAGE_NEW);
    assert_eq!(body["config"]["metadata"]["role"], "worker");
    let nonce = updates[0].headers.get("fly-machine-lease-nonce").unwrap();
    assert_eq!(nonce.to_str().unwrap(), "nonce-1");
    assert_eq!(api.calls(Endpoint::LeaseRelease).await.len(), 1);
    assert!(api.calls(Endpoint::Create).await.is_empty());
    assert_eq!(api.live_workers().len(), 1);
    assert_eq!(api.live_workers()[0]["config"]["image"], IMAGE_NEW);
}

#[actix_web::test]
async fn two_main_processes_starting_together_end_with_one_worker() {
    let api = FakeApi::start().await;
    api.state().create_delay = Duration::from_millis(300);
    let first = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let other_main = FlySettings {
        machine_id: Some("0e1f2a3b4c5d6e".to_owned()),
        ..on_fly(&api)
    };
    let second = spawn_fly_app(Role::Main, other_main).await;

    let (first_url, second_url) = (first.url(RECEIPTS), second.url(RECEIPTS));

    let (a, b) = futures_util::join!(get(&first_url, &[]), get(&second_url, &[]));

    let workers = api.live_workers();
    assert_eq!(workers.len(), 1, "{workers:#?}");
    let expected = format!("instance={};", workers[0]["id"].as_str().unwrap());
    assert!(a.replay().unwrap().starts_with(&expected));
    assert!(b.replay().unwrap().starts_with(&expected));
}

#[actix_web::test]
async fn the_create_body_makes_a_machine_that_boots_as_the_worker() {
    let api = FakeApi::start().await;
    api.state().create_ids.push_back(NEW_WORKER_ID.to_owned());
    let settings = FlySettings {
        worker: fly_store::fly::WorkerSettings {
            pass_env: vec!["CARGO_PKG_NAME".to_owned()],
            ..Default::default()
        },
        ..on_fly(&api)
    };
    let main = spawn_fly_app(Role::Main, settings).await;
    get(&main.url(RECEIPTS), &[]).await;
    let created = api.calls(Endpoint::Create).await;
    let body: Value = serde_json::from_slice(&created[0].body).unwrap();
    let config = &body["config"];

    assert_eq!(body["name"], "serverless-worker");
    assert_eq!(body["region"], "iad");
    assert_eq!(config["image"], IMAGE_NEW);
    assert_eq!(config["env"]["IS_FLY_MACHINE_SERVERLESS"], "true");
    assert_eq!(config["env"]["CARGO_PKG_NAME"], "fly-store");
    assert_eq!(config["metadata"]["role"], "worker");
    let service = &config["services"][0];
    assert_eq!(service["internal_port"], 8000);
    assert_eq!(service["autostart"], true);
    assert_eq!(service["autostop"], "stop");
    assert_eq!(
        service["ports"][0],
        json!({"port": 443, "handlers": ["tls", "http"]})
    );
    assert_eq!(
        service["ports"][1],
        json!({"port": 80, "handlers": ["http"]})
    );
    assert_eq!(config["guest"]["memory_mb"], 256);

    // Boot a machine from exactly that env plus the app's secrets.
    let mut env: HashMap<String, String> = config["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    env.insert("FLY_API_TOKEN".into(), TOKEN.into());
    env.insert("FLY_APP_NAME".into(), "receipts-app".into());
    env.insert("FLY_MACHINE_ID".into(), NEW_WORKER_ID.into());
    env.insert("FLY_API_HOSTNAME".into(), api.uri());
    let booted = Settings::load(&env, None).unwrap();
    let worker = spawn_fly_app(booted.role, booted.fly).await;
    let src = format!("instance={MAIN_ID};region=iad;t=1700000000000000");

    let answer = get(
        &worker.url("/purchases/serverless-receipts/5/"),
        &[("fly-replay-src", &src)],
    )
    .await;

    assert_eq!(booted.role, Role::Worker);
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), Some("application/pdf"));
    assert_eq!(answer.body, "receipt 5");
}

#[actix_web::test]
async fn the_token_travels_only_in_the_authorization_header() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "stopped", IMAGE_OLD, "worker"));
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;

    get(&app.url(RECEIPTS), &[]).await;

    let requests = api.requests().await;
    assert!(requests.len() >= 3);
    for request in requests {
        for (name, value) in request.headers.iter() {
            let value = value.to_str().unwrap_or_default();
            if name.as_str() == "authorization" {
                assert_eq!(value, format!("Bearer {TOKEN}"));
            } else {
                assert!(!value.contains(TOKEN), "token in {name}");
            }
        }
        assert!(!request.url.as_str().contains(TOKEN));
        assert!(!String::from_utf8_lossy(&request.body).contains(TOKEN));
    }
}
