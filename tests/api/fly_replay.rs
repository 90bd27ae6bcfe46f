//! The replay decision table on both roles, against a real server and a
//! stand-in Machines API: routes, slash forms, HEAD, percent-escapes, loops,
//! failed replays and body limits (BC-01, BC-02, BC-11, BC-13, BC-14, BC-15).

use actix_web::http::StatusCode;
use fly_store::fly::{FlySettings, Role};

use crate::fly_fake_api::{Endpoint, FakeApi, machine};
use crate::fly_helpers::{IMAGE_NEW, MAIN_ID, on_fly, spawn_fly_app};

pub const WORKER_ID: &str = "1781973c0e6d89";
pub const NEW_WORKER_ID: &str = "148ed193b95389";

/// A response, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn replay(&self) -> Option<&str> {
        self.header("fly-replay")
    }
}

/// Sends `method path` with `headers` and reads the answer.
pub async fn send(url: &str, method: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let client = awc::Client::builder()
        .disable_redirects()
        .timeout(std::time::Duration::from_secs(30))
        .finish();
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, url);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let mut response = request.send_body(body).await.expect("request");
    let body = response.body().limit(16 * 1024 * 1024).await.expect("body");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// `GET url` with `headers`.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
    send(url, "GET", headers, Vec::new()).await
}

fn worker_on_fly(api: &FakeApi) -> FlySettings {
    FlySettings {
        machine_id: Some(WORKER_ID.to_owned()),
        ..on_fly(api)
    }
}

#[actix_web::test]
async fn main_replays_serverless_routes_to_the_worker_and_serves_the_rest() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;

    let receipt = get(&app.url("/purchases/serverless-receipts/5/"), &[]).await;
    let all = get(&app.url("/purchases/serverless-receipts/"), &[]).await;
    let storefront = get(&app.url("/"), &[]).await;
    let health = get(&app.url("/healthz"), &[]).await;
    let metrics = get(&app.url("/metrics"), &[]).await;

    let expected = format!("instance={WORKER_ID};state=1;timeout=5000ms;fallback=prefer_self");
    for replayed in [&receipt, &all] {
        assert_eq!(replayed.replay(), Some(expected.as_str()));
        assert!(replayed.body.is_empty());
    }
    assert_eq!(storefront.body, "storefront");
    assert_eq!(storefront.replay(), None);
    assert_eq!((health.status, health.replay()), (StatusCode::OK, None));
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .body
            .contains("fly_replays_total{kind=\"instance\"} 2")
    );
    assert!(
        metrics
            .body
            .contains("fly_api_calls_total{endpoint=\"list\",status=\"200\"} 1")
    );
}

#[actix_web::test]
async fn the_worker_runs_serverless_views_and_sends_everything_else_elsewhere() {
    let api = FakeApi::start().await;
    let app = spawn_fly_app(Role::Worker, worker_on_fly(&api)).await;

    let receipt = get(&app.url("/purchases/serverless-receipts/5/"), &[]).await;
    let storefront = get(&app.url("/"), &[]).await;
    let list = get(&app.url("/purchases/"), &[]).await;
    let health = get(&app.url("/healthz"), &[]).await;
    let metrics = get(&app.url("/metrics"), &[]).await;
    let missing = get(&app.url("/nope"), &[]).await;

    assert_eq!(receipt.status, StatusCode::OK);
    assert_eq!(receipt.header("content-type"), Some("application/pdf"));
    assert_eq!(receipt.body, "receipt 5");
    for other in [&storefront, &list] {
        assert_eq!(
            other.replay(),
            Some("elsewhere=true;state=1;timeout=5000ms;fallback=prefer_self")
        );
        assert!(other.body.is_empty());
    }
    assert_eq!((health.status, health.replay()), (StatusCode::OK, None));
    assert_eq!((metrics.status, metrics.replay()), (StatusCode::OK, None));
    assert_eq!(
        (missing.status, missing.replay()),
        (StatusCode::NOT_FOUND, None)
    );
    assert!(api.requests().await.is_empty(), "the worker calls no API");
}

#[actix_web::test]
async fn off_fly_main_serves_every_route_itself() {
    let settings = FlySettings::default();
    let app = spawn_fly_app(Role::Main, settings).await;

    let receipt = get(&app.url("/purchases/serverless-receipts/5/"), &[]).await;

    assert!(!app.fly.is_replay_on());
    assert_eq!(receipt.status, StatusCode::OK);
    assert_eq!(receipt.body, "receipt 5");
    assert_eq!(receipt.replay(), None);
}

#[actix_web::test]
async fn head_slash_forms_and_query_strings_resolve_as_the_router_does_on_both_roles() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    let main = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let worker = spawn_fly_app(Role::Worker, worker_on_fly(&api)).await;

    let head = send(
        &main.url("/purchases/serverless-receipts/5/"),
        "HEAD",
        &[],
        vec![],
    )
    .await;
    let query = get(
        &main.url("/purchases/serverless-receipts/5/?download=1"),
        &[],
    )
    .await;
    let worker_head = send(
        &worker.url("/purchases/serverless-receipts/5/"),
        "HEAD",
        &[],
        vec![],
    )
    .await;
    let worker_query = get(
        &worker.url("/purchases/serverless-receipts/5/?download=1"),
        &[],
    )
    .await;

    assert!(
        head.replay()
            .unwrap()
            .starts_with("instance=1781973c0e6d89;")
    );
    assert!(
        query
            .replay()
            .unwrap()
            .starts_with("instance=1781973c0e6d89;")
    );
    assert_eq!(worker_head.status, StatusCode::OK);
    assert_eq!(worker_head.header("content-type"), Some("application/pdf"));
    assert!(worker_head.body.is_empty());
    assert_eq!(worker_query.body, "receipt 5");
    for app in [&main, &worker] {
        let all = get(&app.url("/purchases/serverless-receipts"), &[]).await;
        let one = get(&app.url("/purchases/serverless-receipts/5?download=1"), &[]).await;
        let doubled = get(&app.url("/purchases/serverless-receipts//5//"), &[]).await;

        assert_eq!(all.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(
            all.header("location"),
            Some("/purchases/serverless-receipts/")
        );
        assert_eq!(one.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(
            one.header("location"),
            Some("/purchases/serverless-receipts/5/?download=1")
        );
        assert_eq!(doubled.status, StatusCode::NOT_FOUND);
        for answer in [&all, &one, &doubled] {
            assert_eq!(answer.replay(), None);
        }
    }
}

#[actix_web::test]
async fn percent_escapes_decide_like_the_router_and_odd_paths_are_404_without_api_calls() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    let main = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let worker = spawn_fly_app(Role::Worker, worker_on_fly(&api)).await;

    for path in [
        "/purchases/serverless%2Dreceipts/5/",
        "/purchases/serverless-receipts/%35/",
    ] {
        let replayed = get(&main.url(path), &[]).await;
        let served = get(&worker.url(path), &[]).await;

        assert!(
            replayed
                .replay()
                .unwrap()
                .starts_with("instance=1781973c0e6d89;"),
            "{path}"
        );
        assert_eq!(served.body, "receipt 5", "{path}");
    }
    let calls_before = api.requests().await.len();
    for path in [
        "/purchases/serverless-receipts/5%2F/",
        "/purchases/serverless-receipts/..%2F..%2Fetc%2Fpasswd/",
        "/purchases/serverless-receipts/+5/",
        "/purchases/serverless-receipts/%D9%A3/",
    ] {
        for app in [&main, &worker] {
            let answer = get(&app.url(path), &[]).await;

            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(answer.replay(), None, "{path}");
        }
    }
    assert_eq!(api.requests().await.len(), calls_before);
}

#[actix_web::test]
async fn main_never_replays_to_itself_even_when_listed_as_a_worker() {
    let api = FakeApi::start().await;
    api.add_machine(machine(MAIN_ID, "started", IMAGE_NEW, "worker"));
    api.state().create_ids.push_back(NEW_WORKER_ID.to_owned());
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;

    let answer = get(&app.url("/purchases/serverless-receipts/5/"), &[]).await;

    let replay = answer.replay().unwrap();
    assert!(replay.starts_with("instance=148ed193b95389;"), "{replay}");
    assert!(!replay.contains(MAIN_ID));
    assert_eq!(api.calls(Endpoint::Create).await.len(), 1);
}

#[actix_web::test]
async fn a_request_replayed_to_main_is_served_there_without_api_calls() {
    let api = FakeApi::start().await;
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let from_itself = "instance=e784e90b1d3e68;region=iad;t=1700000000000000";

    let answer = get(
        &app.url("/purchases/serverless-receipts/5/"),
        &[("fly-replay-src", from_itself)],
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "receipt 5");
    assert_eq!(answer.replay(), None);
    assert!(api.requests().await.is_empty());
}

#[actix_web::test]
async fn a_machine_booted_without_the_role_marker_serves_replayed_receipts_and_creates_nothing() {
    let api = FakeApi::start().await;
    let unmarked_worker = FlySettings {
        machine_id: Some(NEW_WORKER_ID.to_owned()),
        ..on_fly(&api)
    };
    let app = spawn_fly_app(Role::Main, unmarked_worker).await;
    let from_main = "instance=e784e90b1d3e68;region=iad;t=1700000000000000";

    let answer = get(
        &app.url("/purchases/serverless-receipts/5/"),
        &[("fly-replay-src", from_main)],
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "receipt 5");
    assert_eq!(answer.replay(), None);
    assert!(api.requests().await.is_empty());
}

#[actix_web::test]
async fn a_failed_replay_is_served_here_and_the_dead_worker_is_never_named_again() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    api.state().create_ids.push_back(NEW_WORKER_ID.to_owned());
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let url = app.url("/purchases/serverless-receipts/");
    let first = get(&url, &[]).await;
    api.state().machines[0]["state"] = "destroyed".into();
    let failed = "instance=1781973c0e6d89;reason=no_candidate;elapsed_ms=12";

    let fallback = get(&url, &[("fly-replay-failed", failed)]).await;
    let next = get(&url, &[]).await;

    assert!(
        first
            .replay()
            .unwrap()
            .starts_with("instance=1781973c0e6d89;")
    );
    assert_eq!(fallback.status, StatusCode::OK);
    assert_eq!(fallback.body, "receipts all");
    assert!(
        next.replay()
            .unwrap()
            .starts_with("instance=148ed193b95389;")
    );
    assert_eq!(api.calls(Endpoint::Create).await.len(), 1);
}

#[actix_web::test]
async fn a_destroyed_worker_is_noticed_off_the_request_path() {
    let api = FakeApi::start().await;
    api.add_machine(machine(WORKER_ID, "started", IMAGE_NEW, "worker"));
    let settings = FlySettings {
        refresh_interval_secs: 1,
        ..on_fly(&api)
    };
    let app = spawn_fly_app(Role::Main, settings).await;
    let url = app.url("/purchases/serverless-receipts/");
    get(&url, &[]).await;
    api.state().machines.clear();

    let mut forgotten = false;
    for _ in 0..100 {
        if app.fly.cached_worker().is_none() {
            forgotten = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let next = get(&url, &[]).await;

    assert!(forgotten, "the cached worker was never checked");
    assert!(!api.calls(Endpoint::Get).await.is_empty());
    assert!(next.replay().unwrap().starts_with("instance="));
    assert!(!next.replay().unwrap().contains(WORKER_ID));
}

#[actix_web::test]
async fn the_worker_replays_a_replayed_request_once_more_then_serves_it() {
    let api = FakeApi::start().await;
    let app = spawn_fly_app(Role::Worker, worker_on_fly(&api)).await;

    let once = get(&app.url("/"), &[("fly-replay-src", "instance=aaa;state=1")]).await;
    let twice = get(&app.url("/"), &[("fly-replay-src", "instance=aaa;state=2")]).await;

    assert!(
        once.replay()
            .unwrap()
            .starts_with("elsewhere=true;state=2;")
    );
    assert_eq!(twice.status, StatusCode::OK);
    assert_eq!(twice.body, "storefront");
}

#[actix_web::test]
async fn a_large_body_gets_413_and_an_unoffloaded_method_405_without_api_calls() {
    let api = FakeApi::start().await;
    let app = spawn_fly_app(Role::Main, on_fly(&api)).await;
    let url = app.url("/purchases/serverless-receipts/5/");

    let large = send(&url, "GET", &[], vec![b'x'; 2 * 1024 * 1024]).await;
    let post = send(&url, "POST", &[], b"{}".to_vec()).await;

    assert_eq!(large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(large.replay(), None);
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert!(api.requests().await.is_empty());
}
