//! Requests per second of a plain view and of a serverless (replayed) route,
//! with the fly-replay middleware on and off, measured side by side in one
//! run, plus the Machines API calls made at steady state.
//!
//! Run: `cargo bench --bench replay` (optional args: seconds per sample,
//! rounds, connections; defaults 2 3 2).
//!
//! Two servers with the same routes run in this process, one wrapped in the
//! middleware (main role, a stand-in Machines API listing one worker) and
//! one not. A small keep-alive HTTP/1.1 load generator (one blocking thread
//! per connection) sends GETs for a fixed time; the cases are interleaved
//! round by round and the median of the rounds is reported, so background
//! load on a shared machine hits every case alike. The same four cases are
//! then timed in process (the app's service called without sockets), which
//! shows the middleware's own cost free of network noise.
//!
//! A run on the 2-core development machine under a load average of ~9
//! (`cargo bench --bench replay -- 1 15 2`, 2026-12-03):
//!
//! | case                                   | HTTP req/s (median) | in process ns/req (best) |
//! |----------------------------------------|--------------------:|-------------------------:|
//! | plain view, middleware off             | 21,630 | 812 |
//! | plain view, middleware on              | 21,118 | 1,024 |
//! | receipt route, middleware off (view)   | 20,389 | 3,287 |
//! | receipt route, middleware on (replay)  | 20,794 | 2,655 |
//!
//! Middleware cost: 213 ns per request, 0.7 % of the ~30.6 µs a plain view
//! takes over HTTP (2.4 % in the noisier HTTP medians; an A/A run with
//! `FLY_BENCH_AA=1` shows the two servers alone differ by up to ±25 % on
//! this shared machine). Machines API calls: 1 at warm-up, 0 at steady state.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, test, web};
use fly_store::fly::{Fly, FlySettings, Role, metrics_resource};
use fly_store::http::routing::{RouteInfo, append_slash, get_resource};
use prometheus::Registry;
use secrecy::SecretString;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ROUTES: &[RouteInfo] = &[
    RouteInfo {
        name: "store:storefront",
        methods: &["GET", "HEAD"],
    },
    RouteInfo {
        name: "store:machines_generate_receipt",
        methods: &["GET", "HEAD"],
    },
    RouteInfo {
        name: "store:machines_generate_receipts",
        methods: &["GET", "HEAD"],
    },
];

const PLAIN: &str = "/";
const RECEIPT: &str = "/purchases/serverless-receipts/5/";

struct CountingApi(Arc<AtomicUsize>);

impl Respond for CountingApi {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(serde_json::json!([{
            "id": "1781973c0e6d89", "state": "started",
            "config": {"image": "img:NEW", "metadata": {"role": "worker"}}
        }]))
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_resource(PLAIN, "store:storefront", storefront))
        .service(get_resource(
            "/purchases/serverless-receipts/",
            "store:machines_generate_receipts",
            receipt,
        ))
        .service(get_resource(
            "/purchases/serverless-receipts/{purchase_id:[0-9]+}/",
            "store:machines_generate_receipt",
            receipt,
        ));
}

async fn storefront() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html")
        .body("<html><body>storefront</body></html>")
}

async fn receipt() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .body("%PDF-1.3 stand-in")
}

/// Starts both servers on their own actix System thread.
fn start_servers() -> (SocketAddr, SocketAddr, Arc<AtomicUsize>) {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let calls = Arc::new(AtomicUsize::new(0));
            let api = MockServer::start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(CountingApi(calls.clone()))
                .mount(&api)
                .await;
            let settings = FlySettings {
                api_hostname: api.uri(),
                api_token: Some(SecretString::from("bench-token")),
                app_name: Some("receipts-app".into()),
                image_ref: Some("img:NEW".into()),
                machine_id: Some("e784e90b1d3e68".into()),
                refresh_interval_secs: 0,
                ..FlySettings::default()
            };
            let registry = Registry::new();
            let fly = Fly::from_settings(&settings, Role::Main, &registry, ROUTES).unwrap();

            let on_listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let off_listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let on_addr = on_listener.local_addr().unwrap();
            let off_addr = off_listener.local_addr().unwrap();
            // FLY_BENCH_AA=1 leaves the middleware off on both servers: an
            // A/A run that shows how much the two servers differ by themselves.
            let aa = std::env::var_os("FLY_BENCH_AA").is_some();
            let with_replay = HttpServer::new(move || {
                App::new()
                    .wrap(actix_web::middleware::Condition::new(!aa, fly.replay()))
                    .service(metrics_resource(registry.clone()))
                    .configure(routes)
                    .default_service(web::to(append_slash))
            })
            .workers(1)
            .disable_signals()
            .listen(on_listener)
            .unwrap()
            .run();
            let plain_registry = Registry::new();
            let without = HttpServer::new(move || {
                App::new()
                    .service(metrics_resource(plain_registry.clone()))
                    .configure(routes)
                    .default_service(web::to(append_slash))
            })
            .workers(1)
            .disable_signals()
            .listen(off_listener)
            .unwrap()
            .run();
            actix_web::rt::spawn(with_replay);
            actix_web::rt::spawn(without);
            sender.send((on_addr, off_addr, calls)).unwrap();
            std::future::pending::<()>().await;
        });
    });
    receiver.recv().unwrap()
}

/// One keep-alive GET; returns the status.
fn request(stream: &mut TcpStream, path: &str, buffer: &mut Vec<u8>) -> u16 {
    let head = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("write");
    buffer.clear();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).expect("read");
        assert!(n > 0, "server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_ascii_lowercase();
    let status = head[9..12].parse().expect("status");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map(|value| value.trim().parse().expect("length"))
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).expect("read body");
        assert!(n > 0, "server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    }
    status
}

/// Requests per second over `duration` with `connections` connections.
fn measure(addr: SocketAddr, path: &'static str, connections: usize, duration: Duration) -> f64 {
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.set_nodelay(true).unwrap();
                let mut buffer = Vec::with_capacity(8192);
                let mut done = 0u64;
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline {
                    let status = request(&mut stream, path, &mut buffer);
                    assert!(status == 200 || status == 409, "status {status}");
                    done += 1;
                }
                done
            })
        })
        .collect();
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let seconds = arg(0, 2);
    let rounds = arg(1, 3) as usize;
    let connections = arg(2, 2) as usize;
    let duration = Duration::from_secs(seconds);

    let (on, off, api_calls) = start_servers();
    let mut warm = Vec::new();
    for addr in [on, off] {
        let mut stream = TcpStream::connect(addr).unwrap();
        warm.push(request(&mut stream, RECEIPT, &mut Vec::new()));
        request(&mut stream, PLAIN, &mut Vec::new());
    }
    if std::env::var_os("FLY_BENCH_AA").is_some() {
        println!("A/A run: the middleware is off on both servers");
    } else {
        assert_eq!(
            warm,
            [409, 200],
            "the replayed route replays, the plain one renders"
        );
    }
    let warm_up_calls = api_calls.load(Ordering::SeqCst);

    let cases: [(&str, SocketAddr, &'static str); 4] = [
        ("plain view, middleware off", off, PLAIN),
        ("plain view, middleware on", on, PLAIN),
        ("receipt route, middleware off (view runs)", off, RECEIPT),
        ("receipt route, middleware on (replayed)", on, RECEIPT),
    ];
    let mut samples = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for (i, (_, addr, path)) in cases.iter().enumerate() {
            samples[i].push(measure(*addr, path, connections, duration));
        }
    }
    let steady_calls = api_calls.load(Ordering::SeqCst) - warm_up_calls;

    println!(
        "fly-replay benchmark: {rounds} rounds x {seconds} s, {connections} connections, \
         1 server worker each"
    );
    let medians: Vec<f64> = samples.iter().cloned().map(median).collect();
    let bests: Vec<f64> = samples
        .iter()
        .map(|s| s.iter().copied().fold(0.0, f64::max))
        .collect();
    println!(
        "  {:<44} {:>10} {:>10}",
        "over loopback HTTP (req/s)", "median", "best"
    );
    for (i, (name, _, _)) in cases.iter().enumerate() {
        println!("  {name:<44} {:>10.0} {:>10.0}", medians[i], bests[i]);
    }
    let plain_cost = (1.0 - medians[1] / medians[0]) * 100.0;
    let replay_cost = (1.0 - medians[3] / medians[2]) * 100.0;
    println!("  middleware cost on the plain view:        {plain_cost:>6.1} %");
    println!("  replay answer vs running the view:        {replay_cost:>6.1} %");
    println!("  Machines API calls: warm-up {warm_up_calls}, steady state {steady_calls}");

    let in_process = in_process(rounds * 2);
    // One server worker handles the requests one after another, so its time
    // per request is the inverse of its throughput; the least disturbed
    // figure is the best round of the plain view without the middleware.
    let server_ns = 1e9 / bests[0];
    let added_ns = in_process[1] - in_process[0];
    println!(
        "  middleware cost per request: {added_ns:.0} ns in process = {:.1} % of the \
         {server_ns:.0} ns a plain view takes over HTTP",
        added_ns / server_ns * 100.0
    );
}

/// The same four cases without sockets: the app's service called directly,
/// so the figure is the CPU cost of one request through actix with and
/// without the middleware. The fastest round is the least disturbed by
/// other load on the machine.
fn in_process(rounds: usize) -> [f64; 4] {
    const CALLS: u32 = 20_000;
    actix_web::rt::System::new().block_on(async move {
        let api = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(CountingApi(Arc::new(AtomicUsize::new(0))))
            .mount(&api)
            .await;
        let settings = FlySettings {
            api_hostname: api.uri(),
            api_token: Some(SecretString::from("bench-token")),
            app_name: Some("receipts-app".into()),
            image_ref: Some("img:NEW".into()),
            machine_id: Some("e784e90b1d3e68".into()),
            refresh_interval_secs: 0,
            ..FlySettings::default()
        };
        let fly = Fly::from_settings(&settings, Role::Main, &Registry::new(), ROUTES).unwrap();
        let on = test::init_service(
            App::new()
                .wrap(fly.replay())
                .configure(routes)
                .default_service(web::to(append_slash)),
        )
        .await;
        let off = test::init_service(
            App::new()
                .configure(routes)
                .default_service(web::to(append_slash)),
        )
        .await;
        let warm =
            test::call_service(&on, test::TestRequest::get().uri(RECEIPT).to_request()).await;
        assert_eq!(warm.status().as_u16(), 409);

        let mut best = [f64::MAX; 4];
        for _ in 0..rounds {
            for (i, (with_replay, path)) in [
                (false, PLAIN),
                (true, PLAIN),
                (false, RECEIPT),
                (true, RECEIPT),
            ]
            .into_iter()
            .enumerate()
            {
                let started = Instant::now();
                for _ in 0..CALLS {
                    let request = test::TestRequest::get().uri(path).to_request();
                    let response = if with_replay {
                        test::call_service(&on, request).await.map_into_boxed_body()
                    } else {
                        test::call_service(&off, request)
                            .await
                            .map_into_boxed_body()
                    };
                    std::hint::black_box(response);
                }
                let nanos = started.elapsed().as_nanos() as f64 / f64::from(CALLS);
                best[i] = best[i].min(nanos);
            }
        }
        println!(
            "  {:<44} {:>10}",
            "in process, no sockets (ns/request)", "best"
        );
        let names = [
            "plain view, middleware off",
            "plain view, middleware on",
            "receipt route, middleware off (view runs)",
            "receipt route, middleware on (replayed)",
        ];
        for (name, nanos) in names.iter().zip(best) {
            println!("  {name:<44} {nanos:>10.0}");
        }
        println!(
            "  middleware cost on the plain view:        {:>6.1} %",
            (best[1] / best[0] - 1.0) * 100.0
        );
        best
    })
}
