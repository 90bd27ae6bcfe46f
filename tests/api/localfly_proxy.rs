//! The proxy stand-in with small backend apps as machines: routing and
//! Fly's headers, every `fly-replay` form, the replay and body limits, and
//! autostop followed by autostart.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::HttpResponse;
use awc::http::StatusCode;
use fly_store::localfly::StaticLauncher;
use serde_json::{Value, json};

use crate::localfly_helpers::{Behaviour, OTHER_APP, echo, echo_body, spawn_backend, spawn_fly};

/// A backend that answers `fly-replay: <replay()>` to requests that were
/// not replayed yet, and echoes the others.
fn replaying(name: &'static str, replay: Arc<Mutex<String>>) -> Behaviour {
    Arc::new(move |req, body| {
        if req.headers().contains_key("fly-replay-src")
            || req.headers().contains_key("fly-replay-failed")
        {
            return HttpResponse::Ok().json(echo_body(name, req, body));
        }
        let value = replay.lock().unwrap().clone();
        HttpResponse::Conflict()
            .insert_header(("fly-replay", value))
            .body("replaying")
    })
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
}

#[actix_web::test]
async fn a_request_reaches_a_started_machine_with_flys_headers() {
    let a = spawn_backend(echo("a"));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |_| {},
    );
    fly.machine("test:a").await;

    let (status, headers, body) = fly.get("/hello?x=1", &[]).await;

    assert_eq!(status, StatusCode::OK);
    let seen = json_of(&body);
    assert_eq!(seen["served_by"], "a");
    assert_eq!(seen["headers"]["fly-client-ip"], "127.0.0.1");
    assert_eq!(seen["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen["headers"]["x-forwarded-proto"], "http");
    assert_eq!(seen["headers"]["fly-region"], "dev");
    let request_id = headers.get("fly-request-id").unwrap().to_str().unwrap();
    assert!(
        request_id.ends_with("-dev") && request_id.len() == 30,
        "{request_id}"
    );
}

#[actix_web::test]
async fn replay_to_an_instance_delivers_there_with_the_replay_source() {
    let target = Arc::new(Mutex::new(String::new()));
    let a = spawn_backend(replaying("a", target.clone()));
    let b = spawn_backend(echo("b"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    let b_id = fly.machine("test:b").await;
    *target.lock().unwrap() = format!("instance={b_id};state=abc");

    let (status, headers, body) = fly.get("/x", &[("fly-force-instance-id", &a_id)]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers
            .get("localfly-machine-id")
            .unwrap()
            .to_str()
            .unwrap(),
        b_id
    );
    assert_eq!(headers.get("localfly-replays").unwrap(), "1");
    let seen = json_of(&body);
    assert_eq!(seen["served_by"], "b");
    let source = seen["headers"]["fly-replay-src"].as_str().unwrap();
    assert!(
        source.starts_with(&format!("instance={a_id};region=tst;t=")),
        "{source}"
    );
    assert!(source.ends_with(";state=abc"), "{source}");
}

#[actix_web::test]
async fn replay_elsewhere_goes_to_another_machine() {
    let a = spawn_backend(replaying(
        "a",
        Arc::new(Mutex::new("elsewhere=true".into())),
    ));
    let b = spawn_backend(echo("b"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    fly.machine("test:b").await;

    let (status, _, body) = fly.get("/x", &[("fly-force-instance-id", &a_id)]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["served_by"], "b");
}

#[actix_web::test]
async fn a_failed_replay_falls_back_to_the_replaying_machine_with_the_reason() {
    let replay = "instance=00000000000000;timeout=200ms;fallback=prefer_self";
    let a = spawn_backend(replaying("a", Arc::new(Mutex::new(replay.into()))));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |_| {},
    );
    fly.machine("test:a").await;

    let (status, _, body) = fly.get("/x", &[]).await;

    assert_eq!(status, StatusCode::OK);
    let seen = json_of(&body);
    assert_eq!(seen["served_by"], "a");
    let failed = seen["headers"]["fly-replay-failed"].as_str().unwrap();
    assert!(failed.contains("instance=00000000000000"), "{failed}");
    assert!(failed.contains("reason="), "{failed}");
}

#[actix_web::test]
async fn a_replay_to_a_missing_machine_without_fallback_is_a_visible_error() {
    let a = spawn_backend(replaying(
        "a",
        Arc::new(Mutex::new("instance=00000000000000".into())),
    ));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |_| {},
    );
    fly.machine("test:a").await;

    let (status, _, body) = fly.get("/x", &[]).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("00000000000000") && text.contains("not found"),
        "{text}"
    );
}

#[actix_web::test]
async fn a_replay_loop_stops_at_ten_replays() {
    let own_id = Arc::new(Mutex::new(String::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let (id, count) = (own_id.clone(), hits.clone());
    let a = spawn_backend(Arc::new(move |_, _| {
        count.fetch_add(1, Ordering::SeqCst);
        HttpResponse::Ok()
            .insert_header(("fly-replay", format!("instance={}", id.lock().unwrap())))
            .finish()
    }));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |_| {},
    );
    *own_id.lock().unwrap() = fly.machine("test:a").await;

    let (status, _, body) = fly.get("/x", &[]).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(String::from_utf8_lossy(&body).contains("PA02"));
    assert_eq!(hits.load(Ordering::SeqCst), 11);
}

#[actix_web::test]
async fn an_unknown_replay_field_is_an_error_that_names_it() {
    let a = spawn_backend(replaying(
        "a",
        Arc::new(Mutex::new("instance_id=abc".into())),
    ));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |_| {},
    );
    fly.machine("test:a").await;

    let (status, _, body) = fly.get("/x", &[]).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("PA03") && text.contains("instance_id"),
        "{text}"
    );
}

#[actix_web::test]
async fn a_body_over_one_mib_passes_through_but_cannot_be_replayed() {
    let a = spawn_backend(replaying(
        "a",
        Arc::new(Mutex::new("elsewhere=true".into())),
    ));
    let b = spawn_backend(echo("b"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    let b_id = fly.machine("test:b").await;
    let big = vec![b'x'; 2 * 1024 * 1024];
    let post = |id: String, body: Vec<u8>| {
        let request = fly
            .api
            .client
            .post(format!("{}/upload", fly.proxy))
            .insert_header(("fly-force-instance-id", id));
        async move {
            let mut response = request.send_body(body).await.unwrap();
            let bytes = response.body().limit(1 << 20).await.unwrap();
            (response.status(), bytes)
        }
    };

    let (direct, direct_body) = post(b_id, big.clone()).await;
    let (replayed, replayed_body) = post(a_id, big).await;

    assert_eq!(direct, StatusCode::OK);
    assert_eq!(json_of(&direct_body)["body_len"], 2 * 1024 * 1024);
    assert_eq!(replayed, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(String::from_utf8_lossy(&replayed_body).contains("PA01"));
}

#[actix_web::test]
async fn an_idle_machine_is_stopped_and_the_next_request_starts_it() {
    let a = spawn_backend(echo("a"));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |proxy| proxy.autostop_after = Some(Duration::from_millis(300)),
    );
    let id = fly.machine("test:a").await;
    let (first, _, _) = fly.get("/x", &[]).await;

    fly.api.wait_for(&id, "stopped").await;
    let (second, _, body) = fly.get("/x", &[]).await;

    assert_eq!(first, StatusCode::OK);
    assert_eq!(second, StatusCode::OK);
    assert_eq!(json_of(&body)["served_by"], "a");
    let (_, machine) = fly.api.call("GET", &format!("/{id}"), None).await;
    assert_eq!(machine["state"], "started");
    let statuses: Vec<&str> = machine["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"stopped") && statuses[0] == "started",
        "{statuses:?}"
    );
}

#[actix_web::test]
async fn with_no_machine_to_serve_the_answer_is_503_with_retry_after() {
    let fly = spawn_fly(Arc::new(StaticLauncher::new()), |_| {});

    let (status, headers, body) = fly.get("/", &[]).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.contains_key("retry-after"));
    assert!(String::from_utf8_lossy(&body).contains("PR01"));
}

/// Two backends: `a` replays with `replay`, `b` echoes.
fn pair(replay: &str) -> (std::net::SocketAddr, std::net::SocketAddr) {
    let a = spawn_backend(replaying("a", Arc::new(Mutex::new(replay.to_owned()))));
    (a, spawn_backend(echo("b")))
}

#[actix_web::test]
async fn a_replay_to_a_stopped_machine_starts_it_first() {
    let target = Arc::new(Mutex::new(String::new()));
    let a = spawn_backend(replaying("a", target.clone()));
    let b = spawn_backend(echo("b"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    let b_id = fly.machine("test:b").await;
    fly.api.call("POST", &format!("/{b_id}/stop"), None).await;
    fly.api.wait_for(&b_id, "stopped").await;
    *target.lock().unwrap() = format!("instance={b_id}");

    let (status, _, body) = fly.get("/x", &[("fly-force-instance-id", &a_id)]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["served_by"], "b");
    let (_, machine) = fly.api.call("GET", &format!("/{b_id}"), None).await;
    assert_eq!(machine["state"], "started");
}

#[actix_web::test]
async fn a_stopped_machine_whose_service_forbids_autostart_is_not_started() {
    let target = Arc::new(Mutex::new(String::new()));
    let a = spawn_backend(replaying("a", target.clone()));
    let b = spawn_backend(echo("b"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    let mut config = crate::localfly_helpers::config_for("test:b");
    config["services"][0]["autostart"] = json!(false);
    let b_id = fly.machine_with(json!({"config": config})).await;
    fly.api.call("POST", &format!("/{b_id}/stop"), None).await;
    fly.api.wait_for(&b_id, "stopped").await;
    *target.lock().unwrap() = format!("instance={b_id};fallback=force_self");

    let (status, _, body) = fly.get("/x", &[("fly-force-instance-id", &a_id)]).await;

    assert_eq!(status, StatusCode::OK);
    let seen = json_of(&body);
    assert_eq!(seen["served_by"], "a");
    assert!(
        seen["headers"]["fly-replay-failed"].as_str().is_some(),
        "{seen}"
    );
    let (_, machine) = fly.api.call("GET", &format!("/{b_id}"), None).await;
    assert_eq!(machine["state"], "stopped");
}

#[actix_web::test]
async fn an_unavailable_preferred_instance_gives_way_to_another_machine() {
    let (a, b) = pair("prefer_instance=00000000000000;elsewhere=true");
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    fly.machine("test:b").await;

    let (status, _, body) = fly.get("/x", &[("fly-force-instance-id", &a_id)]).await;

    assert_eq!(status, StatusCode::OK);
    let seen = json_of(&body);
    assert_eq!(seen["served_by"], "b");
    assert_eq!(
        seen["headers"]["fly-preferred-instance-unavailable"],
        "00000000000000"
    );
}

#[actix_web::test]
async fn a_region_replay_goes_to_a_machine_in_that_region() {
    let (a, b) = pair("region=iad");
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let config = crate::localfly_helpers::config_for;
    let a_id = fly
        .machine_with(json!({"config": config("test:a"), "region": "ams"}))
        .await;
    fly.machine_with(json!({"config": config("test:b"), "region": "iad"}))
        .await;

    let (status, _, body) = fly.get("/x", &[("fly-force-instance-id", &a_id)]).await;

    assert_eq!(status, StatusCode::OK);
    let seen = json_of(&body);
    assert_eq!(seen["served_by"], "b");
    let source = seen["headers"]["fly-replay-src"].as_str().unwrap();
    assert!(source.contains("region=ams"), "{source}");
}

#[actix_web::test]
async fn an_app_replay_goes_to_the_other_apps_machine() {
    let (a, c) = pair(&format!("app={OTHER_APP}"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:c", c);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    fly.machine("test:a").await;
    let other = fly.other_app();
    let created = other
        .create(json!({"config": crate::localfly_helpers::config_for("test:c")}))
        .await;
    other
        .wait_for(created["id"].as_str().unwrap(), "started")
        .await;

    let (status, _, body) = fly.get("/x", &[]).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["served_by"], "b");
}

#[actix_web::test]
async fn a_cordoned_machine_gets_no_requests() {
    let a = spawn_backend(echo("a"));
    let b = spawn_backend(echo("b"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    fly.machine("test:b").await;

    let (cordoned, _) = fly.api.call("POST", &format!("/{a_id}/cordon"), None).await;
    let mut served = Vec::new();
    for _ in 0..4 {
        let (_, _, body) = fly.get("/x", &[]).await;
        served.push(json_of(&body)["served_by"].clone());
    }

    assert_eq!(cordoned, StatusCode::OK);
    assert!(served.iter().all(|name| name == "b"), "{served:?}");
}

#[actix_web::test]
async fn head_requests_pass_through_with_the_length_and_no_body() {
    let a = spawn_backend(Arc::new(|_, _| {
        HttpResponse::Ok()
            .content_type("application/pdf")
            .body(vec![b'%'; 1234])
    }));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |_| {},
    );
    fly.machine("test:a").await;

    let mut response = fly
        .api
        .client
        .head(format!("{}/receipt.pdf", fly.proxy))
        .send()
        .await
        .unwrap();
    let body = response.body().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-length").unwrap(), "1234");
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    assert!(body.is_empty());
}

#[actix_web::test]
async fn the_json_replay_form_is_followed_like_the_header() {
    let a = spawn_backend(Arc::new(|_, _| {
        HttpResponse::Ok()
            .content_type("application/vnd.fly.replay+json")
            .body(r#"{"elsewhere": true, "state": "from-json"}"#)
    }));
    let b = spawn_backend(echo("b"));
    let launcher = StaticLauncher::new()
        .with_image("test:a", a)
        .with_image("test:b", b);
    let fly = spawn_fly(Arc::new(launcher), |_| {});
    let a_id = fly.machine("test:a").await;
    fly.machine("test:b").await;

    let (status, _, body) = fly.get("/x", &[("fly-force-instance-id", &a_id)]).await;

    assert_eq!(status, StatusCode::OK);
    let seen = json_of(&body);
    assert_eq!(seen["served_by"], "b");
    let source = seen["headers"]["fly-replay-src"].as_str().unwrap();
    assert!(source.ends_with(";state=from-json"), "{source}");
}

#[actix_web::test]
async fn client_copies_of_proxy_headers_are_replaced_and_forwarded_for_is_appended() {
    let a = spawn_backend(echo("a"));
    let fly = spawn_fly(
        Arc::new(StaticLauncher::new().with_image("test:a", a)),
        |_| {},
    );
    fly.machine("test:a").await;

    let (_, _, body) = fly
        .get(
            "/x",
            &[
                ("fly-client-ip", "6.6.6.6"),
                ("fly-replay-src", "instance=forged;region=xxx;t=1"),
                ("x-forwarded-for", "10.0.0.1"),
            ],
        )
        .await;

    let seen = json_of(&body);
    assert_eq!(seen["headers"]["fly-client-ip"], "127.0.0.1");
    assert!(seen["headers"].get("fly-replay-src").is_none(), "{seen}");
    assert_eq!(seen["headers"]["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
}
