//! A stop signal during a slow receipt: the server stops accepting, finishes
//! the request in flight and exits 0. And `serve` never migrates.

use diesel::r2d2::ManageConnection;
use fly_store::store::db::connection::Manager;
use fly_store::store::db::migrations;

use crate::ship_helpers::{RawConnection, ServeProcess, seed};

/// Purchases seeded so that the all-receipts PDF takes seconds to render in
/// a debug build, far longer than a signal takes to arrive.
const PURCHASES: usize = 10_000;

const ALL_RECEIPTS: &str = "/purchases/serverless-receipts/";

/// Seeds a fresh SQLite file, starts `serve` on it, puts the all-receipts
/// request in flight, sends `signal`, and checks what comes back.
fn stop_during_a_slow_receipt(signal: &str, logged_name: &str) {
    // Arrange: a big database and a server with one request already served
    // on a kept-alive connection, so the server owns that connection before
    // the signal and the next request on it cannot be lost in a backlog.
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("store.db").display().to_string();
    seed(dir.path(), &database, PURCHASES);
    let mut server = ServeProcess::start(dir.path(), &database, &[]);
    let mut connection = RawConnection::open(server.addr);
    connection.send_get("/healthz", false);
    assert_eq!(connection.read_response().status, 200);

    // Act: ask for every receipt, then signal at once.
    connection.send_get(ALL_RECEIPTS, true);
    server.signal(signal);
    let response = connection.read_response();
    let status = server.wait_for_exit();

    // Assert: the whole PDF, a clean exit, and proof that the signal came
    // while the PDF was still being made.
    let logs = server.log_lines();
    assert_eq!(response.status, 200, "{logs:#?}");
    assert_eq!(response.header("content-type"), Some("application/pdf"));
    let length: usize = response.header("content-length").unwrap().parse().unwrap();
    assert_eq!(response.body.len(), length);
    assert!(response.body.starts_with(b"%PDF-"));
    assert!(
        response.body.trim_ascii_end().ends_with(b"%%EOF"),
        "the PDF is cut short"
    );
    assert_eq!(status.code(), Some(0), "{logs:#?}");
    let stopping = server
        .log_position(&format!(
            "signal={logged_name} received; stopping gracefully"
        ))
        .unwrap_or_else(|| panic!("no graceful stop logged: {logs:#?}"));
    let served = server
        .log_position(&format!("\"GET {ALL_RECEIPTS} HTTP/1.1\" status=200"))
        .unwrap_or_else(|| panic!("the receipts request was not logged: {logs:#?}"));
    assert!(
        stopping < served,
        "the PDF was done before the signal, so nothing was tested: {logs:#?}"
    );
    let accepting_stopped = server
        .log_position("accept thread stopped")
        .unwrap_or_else(|| panic!("the listener was never closed: {logs:#?}"));
    assert!(accepting_stopped < served, "still accepting: {logs:#?}");
    let exited = server.log_position("fly_store::commands] stopped").unwrap();
    assert!(exited > served, "{logs:#?}");
}

#[test]
fn sigterm_during_a_slow_receipt_still_delivers_the_whole_pdf_and_exits_zero() {
    stop_during_a_slow_receipt("TERM", "SIGTERM");
}

#[test]
fn sigint_during_a_slow_receipt_still_delivers_the_whole_pdf_and_exits_zero() {
    stop_during_a_slow_receipt("INT", "SIGINT");
}

/// Serves an SQLite file with no tables from an empty directory with the
/// role marker set to `role`, asks for two pages, stops it, and returns the
/// storefront's status.
fn serve_an_empty_database(role: &str) -> u16 {
    // Arrange: an SQLite file with no tables at all.
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("empty.db").display().to_string();

    // Act: serve it, ask for two pages, stop.
    let env = [("IS_FLY_MACHINE_SERVERLESS", role)];
    let mut server = ServeProcess::start(dir.path(), &database, &env);
    let mut connection = RawConnection::open(server.addr);
    connection.send_get("/", false);
    let storefront = connection.read_response();
    connection.send_get("/api/products", true);
    let products = connection.read_response();
    server.signal("TERM");
    let status = server.wait_for_exit();

    // Assert: no table was made, so every migration is still pending.
    assert_ne!(products.status, 200, "products listed from no table");
    assert_eq!(status.code(), Some(0), "{:#?}", server.log_lines());
    let mut conn = Manager::new(&database).connect().unwrap();
    let applied_now = migrations::run_pending(&mut conn).unwrap();
    assert!(!applied_now.is_empty(), "serve had migrated the database");
    storefront.status
}

#[test]
fn serve_on_main_needs_no_source_tree_and_never_migrates() {
    let storefront = serve_an_empty_database("false");

    assert_eq!(storefront, 200, "the page is compiled into the binary");
}

#[test]
fn serve_on_the_worker_never_migrates() {
    serve_an_empty_database("true");
}
