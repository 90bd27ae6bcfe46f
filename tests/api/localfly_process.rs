//! Machines as real child processes: env, exit codes through wait and
//! events, restart policy, stop escalation, and nothing left running.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use awc::http::StatusCode;
use fly_store::localfly::ProcessLauncher;
use serde_json::{Value, json};

use crate::localfly_helpers::{TestFly, spawn_fly};

fn shell_fly() -> TestFly {
    spawn_fly(Arc::new(ProcessLauncher::new("/bin/sh")), |_| {})
}

/// A one-off machine running `sh -c script` with `env`.
fn one_off(script: &str, env: Value, restart: Value) -> Value {
    json!({"config": {
        "image": "test:shell",
        "auto_destroy": true,
        "restart": restart,
        "env": env,
        "init": {"cmd": ["-c", script]},
    }})
}

async fn read_when_present(path: &Path) -> String {
    for _ in 0..250 {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} never appeared", path.display());
}

fn is_running(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

async fn gone(pid: i32) -> bool {
    for _ in 0..100 {
        if !is_running(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[actix_web::test]
async fn a_process_machine_reports_its_exit_code_and_is_destroyed() {
    let fly = shell_fly();
    let machine = fly
        .api
        .create(one_off("exit 3", json!({}), json!({"policy": "no"})))
        .await;
    let id = machine["id"].as_str().unwrap();

    let (status, waited) = fly
        .api
        .call("GET", &format!("/{id}/wait?state=stopped&timeout=10"), None)
        .await;
    let (_, events) = fly.api.call("GET", &format!("/{id}/events"), None).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (later, later_body) = fly
        .api
        .call("GET", &format!("/{id}/wait?state=stopped&timeout=1"), None)
        .await;

    assert_eq!(status, StatusCode::OK, "{waited}");
    assert_eq!(waited["exit_code"], 3);
    assert_eq!(later, StatusCode::OK, "{later_body}");
    assert_eq!(later_body["state"], "destroyed");
    assert_eq!(later_body["exit_code"], 3);
    let exit = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "exit")
        .unwrap();
    assert_eq!(exit["request"]["exit_event"]["exit_code"], 3);
}

#[actix_web::test]
async fn a_machine_sees_its_env_flys_variables_and_the_apps_secrets_only() {
    let fly = shell_fly();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("env");
    let script = format!("env > {}", file.display());
    let machine = fly
        .api
        .create(one_off(
            &script,
            json!({"GREETING": "hi"}),
            json!({"policy": "no"}),
        ))
        .await;
    let id = machine["id"].as_str().unwrap();

    let env = read_when_present(&file).await;

    let has = |pair: &str| env.lines().any(|line| line == pair);
    assert!(has("GREETING=hi"), "{env}");
    assert!(has("APP_SECRET=s3"), "{env}");
    assert!(has(&format!("FLY_MACHINE_ID={id}")), "{env}");
    assert!(has(&format!("FLY_ALLOC_ID={id}")), "{env}");
    assert!(
        has("FLY_APP_NAME=test-app") && has("FLY_REGION=tst"),
        "{env}"
    );
    assert!(
        has("FLY_IMAGE_REF=test:shell") && has("FLY_PROCESS_GROUP=app"),
        "{env}"
    );
    assert!(has(&format!(
        "FLY_MACHINE_VERSION={}",
        machine["instance_id"].as_str().unwrap()
    )));
    assert!(has(&format!(
        "FLY_PRIVATE_IP={}",
        machine["private_ip"].as_str().unwrap()
    )));
    assert!(
        !env.contains("CARGO_MANIFEST_DIR"),
        "the host env leaked: {env}"
    );
}

#[actix_web::test]
async fn a_failing_command_is_restarted_as_its_policy_says_then_destroyed() {
    let fly = shell_fly();
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let script = format!("echo run >> {}; exit 1", runs.display());
    let machine = fly
        .api
        .create(one_off(
            &script,
            json!({}),
            json!({"policy": "on-failure", "max_retries": 2}),
        ))
        .await;
    let id = machine["id"].as_str().unwrap();

    fly.api.wait_for(id, "destroyed").await;

    let text = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[actix_web::test]
async fn stop_kills_a_machine_that_ignores_its_signal_after_the_timeout() {
    let fly = shell_fly();
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!(
        "trap '' INT TERM; echo $$ > {}; while true; do sleep 1; done",
        pid_file.display()
    );
    let machine = fly
        .api
        .create(json!({"config": {"image": "test:shell", "init": {"cmd": ["-c", script]}}}))
        .await;
    let id = machine["id"].as_str().unwrap();
    let pid: i32 = read_when_present(&pid_file).await.trim().parse().unwrap();

    let (stopped, _) = fly
        .api
        .call(
            "POST",
            &format!("/{id}/stop"),
            Some(json!({"timeout": "1s"})),
        )
        .await;
    fly.api.wait_for(id, "stopped").await;

    assert_eq!(stopped, StatusCode::OK);
    assert!(gone(pid).await, "pid {pid} still runs");
    let (_, events) = fly.api.call("GET", &format!("/{id}/events"), None).await;
    let exit = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "exit")
        .unwrap();
    assert_eq!(exit["request"]["exit_event"]["signal"], 9);
}

#[actix_web::test]
async fn stopping_local_fly_leaves_no_machine_running() {
    let fly = shell_fly();
    let dir = tempfile::tempdir().unwrap();
    let mut pids = Vec::new();
    for n in 0..2 {
        let pid_file = dir.path().join(format!("pid{n}"));
        let script = format!("echo $$ > {}; exec sleep 1000", pid_file.display());
        fly.api
            .create(json!({"config": {"image": "test:shell", "init": {"cmd": ["-c", script]}}}))
            .await;
        pids.push(
            read_when_present(&pid_file)
                .await
                .trim()
                .parse::<i32>()
                .unwrap(),
        );
    }

    fly.local.stop().await;

    for pid in pids {
        assert!(gone(pid).await, "pid {pid} still runs");
    }
}

#[actix_web::test]
async fn restart_runs_the_command_again_in_a_new_process() {
    let fly = shell_fly();
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!("echo $$ > {}; exec sleep 1000", pid_file.display());
    let machine = fly
        .api
        .create(json!({"config": {"image": "test:shell", "init": {"cmd": ["-c", script]}}}))
        .await;
    let id = machine["id"].as_str().unwrap();
    let first: i32 = read_when_present(&pid_file).await.trim().parse().unwrap();
    std::fs::remove_file(&pid_file).unwrap();

    let (restarted, _) = fly
        .api
        .call("POST", &format!("/{id}/restart?timeout=2s"), None)
        .await;
    let second: i32 = read_when_present(&pid_file).await.trim().parse().unwrap();
    fly.api.wait_for(id, "started").await;

    assert_eq!(restarted, StatusCode::OK);
    assert_ne!(first, second);
    assert!(gone(first).await, "the old process {first} still runs");
    fly.local.stop().await;
}

#[actix_web::test]
async fn a_kill_signal_as_fly_go_sends_it_ends_a_machine_without_restarts() {
    let fly = shell_fly();
    let machine = fly
        .api
        .create(json!({"config": {
            "image": "test:shell",
            "restart": {"policy": "no"},
            "init": {"cmd": ["-c", "exec sleep 1000"]},
        }}))
        .await;
    let id = machine["id"].as_str().unwrap();
    fly.api.wait_for(id, "started").await;

    let (signalled, _) = fly
        .api
        .call("POST", &format!("/{id}/signal"), Some(json!({"signal": 9})))
        .await;
    fly.api.wait_for(id, "stopped").await;

    assert_eq!(signalled, StatusCode::OK);
    let (_, events) = fly.api.call("GET", &format!("/{id}/events"), None).await;
    let exit = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "exit")
        .unwrap();
    assert_eq!(exit["request"]["exit_event"]["signal"], 9);
    assert_eq!(exit["request"]["exit_event"]["requested_stop"], false);
}
