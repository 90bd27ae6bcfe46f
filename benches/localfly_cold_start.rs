//! Cold start of the worker and idle memory of each role, with the real
//! binary, on this machine.
//!
//! Run: `cargo bench --bench localfly_cold_start` (optional arg: rounds,
//! default 10). Figures are medians over the rounds:
//!
//! 1. process launch → first complete PDF response, the worker serving
//!    directly (our process's share of a cold start);
//! 2. through the Local Fly proxy, a stopped worker machine → first byte of
//!    the PDF (autostart, boot, render);
//! 3. resident memory (VmRSS) of an idle main and an idle worker after one
//!    request each.
//!
//! Timing is only reported here, never asserted.
//!
//! Measured on 2026-12-03 on the shared 2-core machine (load average ~8
//! from other builds, so pessimistic), 10 rounds: direct cold start median
//! 25.2 ms (min 18.6 ms); through the proxy from a stopped worker median
//! 36.2 ms (min 19.3 ms); idle RSS main 12.2 MB, worker 14.4 MB.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fly_store::localfly::proxy::ProxyOptions;
use fly_store::localfly::{FleetOptions, LocalFly, ProcessLauncher, StackOptions};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_fly-store");
const RECEIPT: &str = "/purchases/serverless-receipts/1/";

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = dir.path().join("bench.db").display().to_string();
    let seeded = Command::new(BINARY)
        .args(["seed", "--purchases", "20"])
        .env("DATABASE_URL", &database)
        .env("RUST_LOG", "warn")
        .status()
        .expect("fly-store seed runs");
    assert!(seeded.success(), "seeding failed");

    let direct = (0..rounds)
        .map(|_| direct_cold_start(&database))
        .collect::<Vec<_>>();
    println!(
        "worker process launch -> first PDF response (direct): median {:.1} ms, min {:.1} ms ({rounds} rounds)",
        median_ms(&direct),
        min_ms(&direct)
    );

    for (role, marker) in [("main", "false"), ("worker", "true")] {
        let rss = idle_rss_kib(&database, marker);
        println!("idle RSS of {role}: {:.1} MB", rss as f64 / 1024.0);
    }

    let system = actix_web::rt::System::new();
    let proxied = system.block_on(through_proxy(&database, rounds));
    println!(
        "stopped worker -> first PDF byte through the proxy: median {:.1} ms, min {:.1} ms ({rounds} rounds)",
        median_ms(&proxied),
        min_ms(&proxied)
    );
}

fn serve(database: &str, marker: &str, port: u16) -> Child {
    Command::new(BINARY)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database)
        .env("IS_FLY_MACHINE_SERVERLESS", marker)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("fly-store serve starts")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One blocking GET; the whole response once it is complete.
fn get(addr: SocketAddr, path: &str) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    Some(response)
}

fn direct_cold_start(database: &str) -> Duration {
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    let mut child = serve(database, "true", port);
    let elapsed = loop {
        if let Some(response) = get(addr, RECEIPT) {
            assert!(
                response.starts_with(b"HTTP/1.1 200"),
                "the worker did not answer 200"
            );
            break started.elapsed();
        }
        std::thread::sleep(Duration::from_micros(200));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no answer in 10 s"
        );
    };
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

fn idle_rss_kib(database: &str, marker: &str) -> u64 {
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut child = serve(database, marker, port);
    let path = if marker == "true" { RECEIPT } else { "/" };
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(addr, path).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_secs(1));
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn through_proxy(database: &str, rounds: usize) -> Vec<Duration> {
    let mut proxy = ProxyOptions::new("bench");
    proxy.autostop_after = None;
    let secrets = BTreeMap::from([("DATABASE_URL".to_owned(), database.to_owned())]);
    let local = LocalFly::start(StackOptions {
        api_listener: TcpListener::bind("127.0.0.1:0").expect("a port"),
        proxy_listener: TcpListener::bind("127.0.0.1:0").expect("a port"),
        token: "bench".to_owned().into(),
        apps: vec![("bench".to_owned(), secrets)],
        fleet: FleetOptions {
            create_delay: Duration::ZERO,
            ..FleetOptions::default()
        },
        proxy,
        launcher: Arc::new(ProcessLauncher::new(BINARY)),
        shutdown_grace: Duration::from_secs(5),
    })
    .expect("Local Fly starts");
    let client = awc::Client::builder()
        .bearer_auth("bench")
        .timeout(Duration::from_secs(70))
        .finish();
    let machines = format!("{}/v1/apps/bench/machines", local.api_url());
    let config = json!({
        "image": "registry.fly.io/bench:deployment-1",
        "env": {"IS_FLY_MACHINE_SERVERLESS": "true", "RUST_LOG": "warn"},
        "services": [{"protocol": "tcp", "internal_port": 8000, "autostart": true,
                      "ports": [{"port": 80, "handlers": ["http"]}]}],
    });
    let created: Value = client
        .post(&machines)
        .send_json(&json!({"config": config}))
        .await
        .expect("create answers")
        .json()
        .await
        .expect("create JSON");
    let id = created["id"].as_str().expect("an id").to_owned();
    let proxy_url = local.proxy_url();
    let mut times = Vec::new();
    for _ in 0..rounds {
        let _ = client.post(format!("{machines}/{id}/stop")).send().await;
        let _ = client
            .get(format!("{machines}/{id}/wait?state=stopped&timeout=30"))
            .send()
            .await;
        let started = Instant::now();
        let mut response = client
            .get(format!("{proxy_url}{RECEIPT}"))
            .send()
            .await
            .expect("the proxy answers");
        let first_byte = started.elapsed();
        let body = response.body().limit(8 << 20).await.expect("a body");
        assert!(body.starts_with(b"%PDF-"), "not a PDF");
        times.push(first_byte);
    }
    local.stop().await;
    times
}

fn median_ms(times: &[Duration]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2].as_secs_f64() * 1000.0
}

fn min_ms(times: &[Duration]) -> f64 {
    times.iter().min().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}
