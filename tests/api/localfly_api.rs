//! Conformance of the Machines API stand-in, endpoint by endpoint, with
//! requests shaped the way fly-go and the docs' curl examples send them.

use std::sync::Arc;
use std::time::Duration;

use awc::http::StatusCode;
use serde_json::json;

use crate::localfly_helpers::{
    TOKEN, config, fast_options, nowhere_launcher, spawn_api, spawn_api_with,
};

#[actix_web::test]
async fn create_answers_a_machine_in_fly_shape_that_then_starts() {
    let api = spawn_api();

    let machine = api
        .create(json!({"config": config(), "name": "web-1", "region": "ams"}))
        .await;

    let id = machine["id"].as_str().unwrap();
    assert_eq!(id.len(), 14);
    assert!(id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
    assert_eq!(machine["state"], "created");
    assert_eq!(machine["name"], "web-1");
    assert_eq!(machine["region"], "ams");
    assert_eq!(machine["instance_id"].as_str().unwrap().len(), 26);
    assert!(machine["private_ip"].as_str().unwrap().starts_with("fdaa:"));
    assert_eq!(machine["config"]["image"], "test:app");
    assert_eq!(machine["config"]["services"][0]["autostop"], json!(true));
    assert_eq!(machine["image_ref"]["repository"], "test");
    assert!(machine["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(machine["events"][0]["type"], "launch");
    api.wait_for(id, "started").await;
    let (_, fetched) = api.call("GET", &format!("/{id}"), None).await;
    assert_eq!(fetched["state"], "started");
}

#[actix_web::test]
async fn every_token_form_fly_clients_send_is_accepted_and_others_get_401() {
    let api = spawn_api();
    let bearer_flyv1 = format!("Bearer FlyV1 {TOKEN}");
    let flyv1 = format!("FlyV1 {TOKEN}");

    let (missing, body) = api.call_with("GET", "", None, &[]).await;
    let (wrong, _) = api
        .call_with("GET", "", None, &[("authorization", "Bearer nope")])
        .await;
    let (both, _) = api
        .call_with("GET", "", None, &[("authorization", &bearer_flyv1)])
        .await;
    let (macaroon, _) = api
        .call_with("GET", "", None, &[("authorization", &flyv1)])
        .await;

    assert_eq!(missing, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
    assert_eq!(wrong, StatusCode::UNAUTHORIZED);
    assert_eq!(both, StatusCode::OK);
    assert_eq!(macaroon, StatusCode::OK);
}

#[actix_web::test]
async fn invalid_configs_are_refused_with_422_and_an_error_text() {
    let api = spawn_api();
    let cases = [
        json!({"config": {"env": {}}}),
        json!({"config": {"image": "test:app", "guest": {"memory_mb": 300}}}),
        json!({"config": {"image": "test:app", "services": [
            {"protocol": "tcp", "internal_port": 8000, "autostart": "true"}]}}),
    ];

    for body in cases {
        let (status, answer) = api.call("POST", "", Some(body.clone())).await;

        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            answer["error"].as_str().unwrap().contains("invalid config"),
            "{answer}"
        );
    }
    let (_, listed) = api.call("GET", "", None).await;
    assert_eq!(listed, json!([]));
}

#[actix_web::test]
async fn starting_a_machine_that_is_still_created_is_412() {
    let mut options = fast_options();
    options.create_delay = Duration::from_secs(30);
    let api = spawn_api_with(Arc::new(nowhere_launcher()), options);
    let machine = api.create(json!({"config": config()})).await;
    let id = machine["id"].as_str().unwrap();

    let (status, body) = api.call("POST", &format!("/{id}/start"), None).await;

    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert!(
        body["error"].as_str().unwrap().contains("'created'"),
        "{body}"
    );
}

#[actix_web::test]
async fn wait_answers_408_when_the_state_is_not_reached_in_time() {
    let api = spawn_api();
    let machine = api
        .create(json!({"config": config(), "skip_launch": true}))
        .await;
    let id = machine["id"].as_str().unwrap();
    api.wait_for(id, "stopped").await;

    let (status, body) = api
        .call("GET", &format!("/{id}/wait?state=started&timeout=1"), None)
        .await;

    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    assert!(body["error"].as_str().is_some(), "{body}");
}

#[actix_web::test]
async fn stop_start_and_update_move_states_and_versions_as_on_fly() {
    let api = spawn_api();
    let id = api.started_machine().await;
    let (_, before) = api.call("GET", &format!("/{id}"), None).await;

    let (stopped, _) = api
        .call(
            "POST",
            &format!("/{id}/stop"),
            Some(json!({"signal": "SIGTERM", "timeout": "5s"})),
        )
        .await;
    api.wait_for(&id, "stopped").await;
    let (started, start_body) = api.call("POST", &format!("/{id}/start"), None).await;
    api.wait_for(&id, "started").await;
    let mut new_config = config();
    new_config["env"] = json!({"RELEASE": "2"});
    let (updated, update_body) = api
        .call(
            "POST",
            &format!("/{id}"),
            Some(json!({"config": new_config})),
        )
        .await;
    api.wait_for(&id, "started").await;

    assert_eq!(stopped, StatusCode::OK);
    assert_eq!(started, StatusCode::OK);
    assert_eq!(start_body["previous_state"], "stopped");
    assert_eq!(updated, StatusCode::OK);
    assert_eq!(update_body["config"]["env"]["RELEASE"], "2");
    assert_ne!(update_body["instance_id"], before["instance_id"]);
    let (_, events) = api
        .call("GET", &format!("/{id}/events?limit=50"), None)
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for kind in ["launch", "start", "stop", "exit", "update"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
}

#[actix_web::test]
async fn suspend_then_start_resumes_the_machine() {
    let api = spawn_api();
    let id = api.started_machine().await;

    let (suspended, _) = api.call("POST", &format!("/{id}/suspend"), None).await;
    api.wait_for(&id, "suspended").await;
    let (started, body) = api.call("POST", &format!("/{id}/start"), None).await;

    assert_eq!(suspended, StatusCode::OK);
    assert_eq!(started, StatusCode::OK);
    assert_eq!(body["previous_state"], "suspended");
    api.wait_for(&id, "started").await;
}

#[actix_web::test]
async fn list_filters_by_region_metadata_and_deleted() {
    let api = spawn_api();
    let mut worker = config();
    worker["metadata"] = json!({"role": "worker"});
    let a = api.create(json!({"config": worker, "region": "ams"})).await;
    let b = api
        .create(json!({"config": config(), "region": "iad"}))
        .await;
    let b_id = b["id"].as_str().unwrap();
    api.wait_for(b_id, "started").await;
    let (destroyed, _) = api
        .call("DELETE", &format!("/{b_id}?force=true"), None)
        .await;
    api.wait_for(b_id, "destroyed").await;
    tokio::time::sleep(Duration::from_millis(600)).await;

    let (_, by_region) = api.call("GET", "?region=ams", None).await;
    let (_, by_metadata) = api.call("GET", "?metadata.role=worker", None).await;
    let (_, other_metadata) = api.call("GET", "?metadata.role=main", None).await;
    let (_, live) = api.call("GET", "", None).await;
    let (_, all) = api.call("GET", "?include_deleted=true", None).await;

    assert_eq!(destroyed, StatusCode::OK);
    assert_eq!(by_region.as_array().unwrap().len(), 1);
    assert_eq!(by_region[0]["id"], a["id"]);
    assert_eq!(by_metadata[0]["id"], a["id"]);
    assert_eq!(other_metadata, json!([]));
    assert_eq!(live.as_array().unwrap().len(), 1);
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|m| m["state"] == "destroyed")
    );
}

#[actix_web::test]
async fn destroy_refuses_a_running_machine_without_force_and_then_404s() {
    let api = spawn_api();
    let id = api.started_machine().await;

    let (refused, refusal) = api.call("DELETE", &format!("/{id}"), None).await;
    let (killed, _) = api.call("DELETE", &format!("/{id}?kill=true"), None).await;
    api.wait_for(&id, "destroyed").await;
    let (shown, shown_body) = api.call("GET", &format!("/{id}"), None).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (gone, gone_body) = api.call("GET", &format!("/{id}"), None).await;

    assert_eq!(refused, StatusCode::PRECONDITION_FAILED, "{refusal}");
    assert_eq!(killed, StatusCode::OK);
    assert_eq!(shown, StatusCode::OK);
    assert_eq!(shown_body["state"], "destroyed");
    assert_eq!(gone, StatusCode::NOT_FOUND);
    assert!(gone_body["error"].as_str().is_some());
}

#[actix_web::test]
async fn a_lease_blocks_other_holders_with_409_until_released() {
    let api = spawn_api();
    let id = api.started_machine().await;

    let (taken, lease) = api
        .call(
            "POST",
            &format!("/{id}/lease"),
            Some(json!({"ttl": 30, "description": "deploy"})),
        )
        .await;
    let nonce = lease["data"]["nonce"].as_str().unwrap().to_owned();
    let (second, conflict) = api.call("POST", &format!("/{id}/lease?ttl=30"), None).await;
    let (unproven_stop, _) = api.call("POST", &format!("/{id}/stop"), None).await;
    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("fly-machine-lease-nonce", &nonce),
    ];
    let (refreshed, _) = api
        .call_with("POST", &format!("/{id}/lease?ttl=60"), None, &headers)
        .await;
    let (proven_stop, _) = api
        .call_with("POST", &format!("/{id}/stop"), None, &headers)
        .await;
    let (released, _) = api
        .call_with("DELETE", &format!("/{id}/lease"), None, &headers)
        .await;
    let (after, _) = api.call("GET", &format!("/{id}/lease"), None).await;
    let (fly_go, fly_go_lease) = api.call("POST", &format!("/{id}/lease?ttl=5"), None).await;

    assert_eq!(taken, StatusCode::CREATED);
    assert_eq!(lease["status"], "success");
    assert!(lease["data"]["expires_at"].as_i64().is_some());
    assert_eq!(second, StatusCode::CONFLICT);
    assert!(
        conflict["error"].as_str().unwrap().contains("lease"),
        "{conflict}"
    );
    assert_eq!(unproven_stop, StatusCode::CONFLICT);
    assert_eq!(refreshed, StatusCode::CREATED);
    assert_eq!(proven_stop, StatusCode::OK);
    assert_eq!(released, StatusCode::OK);
    assert_eq!(after, StatusCode::NOT_FOUND);
    assert_eq!(fly_go, StatusCode::CREATED);
    assert_ne!(fly_go_lease["data"]["nonce"], nonce);
}

#[actix_web::test]
async fn create_with_lease_ttl_answers_the_nonce() {
    let api = spawn_api();

    let machine = api
        .create(json!({"config": config(), "lease_ttl": 30}))
        .await;

    let id = machine["id"].as_str().unwrap();
    let nonce = machine["nonce"].as_str().unwrap();
    let (held, lease) = api.call("GET", &format!("/{id}/lease"), None).await;
    assert_eq!(held, StatusCode::OK);
    assert_eq!(lease["data"]["nonce"], nonce);
}

#[actix_web::test]
async fn metadata_is_set_read_and_deleted_without_a_new_version() {
    let api = spawn_api();
    let id = api.started_machine().await;
    let (_, before) = api.call("GET", &format!("/{id}"), None).await;

    let (set, _) = api
        .call(
            "POST",
            &format!("/{id}/metadata/role"),
            Some(json!({"value": "worker"})),
        )
        .await;
    let (_, read) = api.call("GET", &format!("/{id}/metadata"), None).await;
    let (_, listed) = api.call("GET", "?metadata.role=worker", None).await;
    let (deleted, _) = api
        .call("DELETE", &format!("/{id}/metadata/role"), None)
        .await;
    let (_, after) = api.call("GET", &format!("/{id}"), None).await;

    assert_eq!(set, StatusCode::NO_CONTENT);
    assert_eq!(read["role"], "worker");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(deleted, StatusCode::NO_CONTENT);
    assert!(after["config"]["metadata"].get("role").is_none());
    assert_eq!(after["instance_id"], before["instance_id"]);
}

#[actix_web::test]
async fn unknown_machines_are_404_bad_parameters_400_and_an_empty_create_422() {
    let api = spawn_api();

    let (machine, _) = api.call("GET", "/00000000000000", None).await;
    let (wait, _) = api.call("GET", "/00000000000000/wait", None).await;
    let id = api.started_machine().await;
    let (bad_state, _) = api
        .call("GET", &format!("/{id}/wait?state=running"), None)
        .await;
    let (bad_flag, _) = api.call("DELETE", &format!("/{id}?force=yes"), None).await;
    let (empty_create, _) = api
        .call_with(
            "POST",
            "",
            None,
            &[
                ("authorization", &format!("Bearer {TOKEN}")),
                ("content-type", "application/json"),
            ],
        )
        .await;

    assert_eq!(machine, StatusCode::NOT_FOUND);
    assert_eq!(wait, StatusCode::NOT_FOUND);
    assert_eq!(bad_state, StatusCode::BAD_REQUEST);
    assert_eq!(bad_flag, StatusCode::BAD_REQUEST);
    assert_eq!(empty_create, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn wait_accepts_the_version_fly_go_sends_and_the_instance_id_the_docs_name() {
    let api = spawn_api();
    let id = api.started_machine().await;
    let (_, machine) = api.call("GET", &format!("/{id}"), None).await;
    let version = machine["instance_id"].as_str().unwrap();

    let (by_version, body) = api
        .call(
            "GET",
            &format!("/{id}/wait?state=started&version={version}&timeout=5"),
            None,
        )
        .await;
    api.call("POST", &format!("/{id}/stop"), None).await;
    let (by_instance, _) = api
        .call(
            "GET",
            &format!("/{id}/wait?state=stopped&instance_id={version}&timeout=5"),
            None,
        )
        .await;
    let (settled, settled_body) = api
        .call("GET", &format!("/{id}/wait?state=settled&timeout=5"), None)
        .await;

    assert_eq!(by_version, StatusCode::OK);
    assert_eq!(body["ok"], true);
    assert_eq!(body["version"], version);
    assert_eq!(by_instance, StatusCode::OK);
    assert_eq!(settled, StatusCode::OK);
    assert_eq!(settled_body["state"], "stopped");
}

#[actix_web::test]
async fn a_second_machine_with_a_taken_name_is_a_conflict() {
    let api = spawn_api();
    api.create(json!({"config": config(), "name": "worker"}))
        .await;

    let (status, body) = api
        .call(
            "POST",
            "",
            Some(json!({"config": config(), "name": "worker"})),
        )
        .await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("worker"), "{body}");
}
