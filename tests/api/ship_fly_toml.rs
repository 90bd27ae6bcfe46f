//! fly.toml, the Dockerfile and the settings baked into the image, checked
//! against the code, so that a deploy cannot drift from what the binary does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use fly_store::cli::{Cli, Command};
use fly_store::fly::Role;
use fly_store::settings::Settings;

use crate::helpers::spawn_app;

/// Variables with their own names that the binary reads: the settings'
/// conventional names, the role marker, and the logger's `RUST_LOG`.
const PLAIN_VARIABLES: &[&str] = &[
    "DATABASE_URL",
    "FLY_API_HOSTNAME",
    "FLY_API_TOKEN",
    "FLY_APP_NAME",
    "FLY_IMAGE_REF",
    "FLY_MACHINE_ID",
    "FLY_REGION",
    "IS_FLY_MACHINE_SERVERLESS",
    "RUST_LOG",
];

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn fly_toml() -> toml::Table {
    let text = std::fs::read_to_string(repo_file("fly.toml")).expect("fly.toml exists");
    text.parse().expect("fly.toml is valid TOML")
}

fn table<'a>(parent: &'a toml::Table, key: &str) -> &'a toml::Table {
    parent[key]
        .as_table()
        .unwrap_or_else(|| panic!("fly.toml has a [{key}] table"))
}

fn string<'a>(parent: &'a toml::Table, key: &str) -> &'a str {
    parent[key]
        .as_str()
        .unwrap_or_else(|| panic!("fly.toml's `{key}` is a string"))
}

fn integer(parent: &toml::Table, key: &str) -> u64 {
    parent[key]
        .as_integer()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or_else(|| panic!("fly.toml's `{key}` is a whole number"))
}

/// `[env]` as variables.
fn env_section(fly: &toml::Table) -> HashMap<String, String> {
    table(fly, "env")
        .iter()
        .map(|(key, value)| {
            let value = value.as_str().expect("[env] values are strings on Fly");
            (key.clone(), value.to_owned())
        })
        .collect()
}

/// What a main machine runs with: `[env]` plus the settings file baked into
/// the image (a placeholder Postgres URL stands in for the secret).
fn deployed_settings(fly: &toml::Table) -> Settings {
    let mut env = env_section(fly);
    env.insert(
        "DATABASE_URL".into(),
        "postgres://app@db.internal/app".into(),
    );
    Settings::load(&env, Some(&repo_file("deploy/fly-store.toml")))
        .expect("fly.toml's [env] and deploy/fly-store.toml load")
}

fn port_of(bind: &str) -> u64 {
    bind.rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .expect("a bind address ends in :port")
}

fn parse_command(line: &str) -> Command {
    let words = line.split_whitespace();
    Cli::try_parse_from(words)
        .unwrap_or_else(|error| panic!("`{line}` is not a fly-store command: {error}"))
        .command
        .unwrap_or_else(|| panic!("`{line}` names no subcommand"))
}

#[test]
fn the_internal_port_is_the_port_serve_binds_on_main_and_on_the_worker() {
    let fly = fly_toml();

    let internal_port = integer(table(&fly, "http_service"), "internal_port");
    let metrics_port = integer(table(&fly, "metrics"), "port");

    let deployed = deployed_settings(&fly);
    assert_eq!(internal_port, port_of(&Settings::default().server.bind));
    assert_eq!(internal_port, port_of(&deployed.server.bind));
    assert_eq!(internal_port, u64::from(deployed.fly.worker.internal_port));
    assert_eq!(metrics_port, internal_port);
}

#[test]
fn the_release_command_is_the_migrate_subcommand() {
    let fly = fly_toml();

    let command = parse_command(string(table(&fly, "deploy"), "release_command"));

    assert!(
        matches!(command, Command::Migrate { revert_all: false }),
        "{command:?}"
    );
}

#[test]
fn the_app_process_is_the_serve_subcommand_on_the_default_bind() {
    let fly = fly_toml();

    let command = parse_command(string(table(&fly, "processes"), "app"));

    assert!(
        matches!(command, Command::Serve { bind: None }),
        "{command:?}"
    );
}

#[test]
fn every_env_key_is_read_by_the_app_and_allowed_by_fly() {
    let fly = fly_toml();
    let env = env_section(&fly);

    for key in env.keys() {
        let known = PLAIN_VARIABLES.contains(&key.as_str()) || key.starts_with("FLY_STORE__");
        assert!(known, "[env] {key} is not a setting fly-store reads");
        assert!(
            !key.starts_with("FLY_"),
            "[env] {key}: Fly refuses names beginning with FLY_"
        );
    }
    assert_eq!(deployed_settings(&fly).role, Role::Main);
}

#[test]
fn the_kill_timeout_outlasts_the_graceful_stop() {
    let fly = fly_toml();

    let kill_timeout = integer(&fly, "kill_timeout");
    let kill_signal = string(&fly, "kill_signal");
    let shutdown = deployed_settings(&fly).server.shutdown_timeout_secs;

    assert!(
        kill_timeout > shutdown,
        "kill_timeout {kill_timeout} s must outlast shutdown_timeout_secs {shutdown} s"
    );
    assert!(kill_timeout <= 300, "Fly allows at most 300 s");
    assert!(
        ["SIGTERM", "SIGINT"].contains(&kill_signal),
        "serve stops gracefully on SIGTERM and SIGINT only, not {kill_signal}"
    );
}

#[test]
fn the_dockerfile_runs_serve_on_the_internal_port_with_the_baked_settings() {
    let dockerfile = std::fs::read_to_string(repo_file("Dockerfile")).unwrap();
    let fly = fly_toml();
    let internal_port = integer(table(&fly, "http_service"), "internal_port");

    let runtime = dockerfile
        .rsplit_once("\nFROM ")
        .map(|(_, last)| last)
        .expect("a final stage");

    assert!(runtime.contains(&format!("\nEXPOSE {internal_port}\n")));
    assert!(runtime.contains("\nCMD [\"fly-store\", \"serve\"]"));
    assert!(
        runtime.contains("\nUSER fly-store"),
        "runs as a non-root user"
    );
    assert!(runtime.contains("COPY deploy/fly-store.toml /app/fly-store.toml"));
    assert!(runtime.contains("\nWORKDIR /app\n"));
    for package in ["ca-certificates", "libpq5", "libsqlite3-0"] {
        assert!(runtime.contains(package), "the runtime lacks {package}");
    }
}

#[actix_web::test]
async fn the_health_check_and_metrics_paths_are_answered_by_the_app() {
    // Arrange
    let fly = fly_toml();
    let service = table(&fly, "http_service");
    let checks = service["checks"]
        .as_array()
        .expect("[[http_service.checks]]");
    let health_paths: Vec<&str> = checks
        .iter()
        .map(|check| check["path"].as_str().expect("an HTTP check has a path"))
        .collect();
    let metrics_path = string(table(&fly, "metrics"), "path");
    let app = spawn_app().await;

    // Act and assert
    assert!(!health_paths.is_empty());
    for path in health_paths.into_iter().chain([metrics_path]) {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
    }
}
