//! `fly-store machines run|list` against the stand-in Machines API
//! (BC-12, BC-29).

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use fly_store::fly::cli::{self, MachinesCommand};

use crate::fly_fake_api::{Endpoint, FakeApi, machine};
use crate::fly_helpers::{IMAGE_NEW, IMAGE_OLD, on_fly};

const OLD_ONEOFF: &str = "4d89d1e5c63928";
const ONEOFF: &str = "e82d9a1f4b7c60";

fn exited(id: &str, code: i32) -> Value {
    json!({
        "id": id,
        "state": "destroyed",
        "config": {"image": IMAGE_NEW, "auto_destroy": true, "metadata": {"role": "oneoff"}},
        "events": [
            {"type": "destroy", "status": "destroyed", "source": "flyd"},
            {"type": "exit", "status": "stopped", "source": "flyd",
             "request": {"exit_event": {"exit_code": code, "oom_killed": false}}},
            {"type": "launch", "status": "created", "source": "user"}
        ]
    })
}

fn run(command: &[&str]) -> MachinesCommand {
    MachinesCommand::Run {
        command: command.iter().map(|s| s.to_string()).collect(),
    }
}

#[actix_web::test]
async fn machines_run_makes_a_fresh_machine_and_returns_the_commands_exit_code() {
    let api = FakeApi::start().await;
    let mut old = machine(OLD_ONEOFF, "stopped", IMAGE_OLD, "oneoff");
    old["config"]["auto_destroy"] = true.into();
    old["config"]["restart"] = json!({"policy": "no"});
    api.add_machine(old);
    api.state().create_ids.push_back(ONEOFF.to_owned());
    api.script(
        Endpoint::Get,
        None,
        ResponseTemplate::new(200).set_body_json(exited(ONEOFF, 1)),
    );
    let mut out = Vec::new();

    let code = cli::execute(run(&["fly-store", "migrate"]), &on_fly(&api), &mut out)
        .await
        .unwrap();

    assert_eq!(code, 1);
    let printed = String::from_utf8(out).unwrap();
    assert!(printed.contains("exit code: 1"), "{printed}");
    let created = api.calls(Endpoint::Create).await;
    assert_eq!(created.len(), 1);
    let body: Value = serde_json::from_slice(&created[0].body).unwrap();
    let config = &body["config"];
    assert_eq!(config["image"], IMAGE_NEW);
    assert_eq!(config["auto_destroy"], true);
    assert_eq!(config["restart"]["policy"], "no");
    assert_eq!(config["init"]["cmd"], json!(["fly-store", "migrate"]));
    assert!(config.get("services").is_none());
    let touched_old = api
        .requests()
        .await
        .iter()
        .any(|r| r.url.path().contains(OLD_ONEOFF));
    assert!(!touched_old, "an old one-off machine is never reused");
    assert!(api.calls(Endpoint::Update).await.is_empty());
}

#[actix_web::test]
async fn a_408_from_wait_is_waited_again() {
    let api = FakeApi::start().await;
    api.state().create_ids.push_back(ONEOFF.to_owned());
    api.script(
        Endpoint::Wait,
        Some(2),
        crate::fly_fake_api::error(408, "deadline exceeded"),
    );
    api.script(
        Endpoint::Get,
        None,
        ResponseTemplate::new(200).set_body_json(exited(ONEOFF, 0)),
    );
    let mut out = Vec::new();

    let code = cli::execute(run(&["true"]), &on_fly(&api), &mut out)
        .await
        .unwrap();

    assert_eq!(code, 0);
    assert_eq!(api.calls(Endpoint::Wait).await.len(), 3);
}

#[test]
fn machines_run_starts_its_own_actix_system_outside_any_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let api = runtime.block_on(FakeApi::start());
    api.state().create_ids.push_back(ONEOFF.to_owned());
    api.script(
        Endpoint::Get,
        None,
        ResponseTemplate::new(200).set_body_json(exited(ONEOFF, 3)),
    );
    let settings = on_fly(&api);

    let code = std::thread::spawn(move || cli::run(run(&["sh", "-c", "exit 3"]), &settings))
        .join()
        .expect("no panic")
        .unwrap();

    assert_eq!(code, 3);
}

#[actix_web::test]
async fn machines_list_shows_role_state_region_and_image() {
    let api = FakeApi::start().await;
    api.add_machine(machine("e784e90b1d3e68", "started", IMAGE_NEW, "app"));
    api.add_machine(machine("1781973c0e6d89", "suspended", IMAGE_OLD, "worker"));
    api.add_machine(json!({"id": "0badc0ffee0001", "state": "started", "config": null}));
    let mut out = Vec::new();

    let code = cli::execute(MachinesCommand::List, &on_fly(&api), &mut out)
        .await
        .unwrap();

    assert_eq!(code, 0);
    let printed = String::from_utf8(out).unwrap();
    let worker_line = printed
        .lines()
        .find(|l| l.starts_with("1781973c0e6d89"))
        .unwrap();
    for word in ["worker", "suspended", "iad", IMAGE_OLD] {
        assert!(worker_line.contains(word), "{worker_line}");
    }
    assert!(
        printed
            .lines()
            .any(|l| l.starts_with("e784e90b1d3e68") && l.contains("main"))
    );
    assert!(printed.lines().any(|l| l.starts_with("0badc0ffee0001")));
}
