//! The database: constraints it enforces, deterministic seeds, and what the
//! app answers while it is down.

use std::net::ToSocketAddrs;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use diesel::RunQueryDsl;
use diesel::r2d2::ManageConnection;
use fly_store::store::db::connection::Manager;
use fly_store::store::db::models::NewProduct;
use fly_store::store::db::{migrations, queries};
use fly_store::store::seed::SeedPlan;

use crate::db_switch::DbSwitch;
use crate::helpers::{TestApp, TestDatabase, spawn_app, spawn_with_settings, test_settings};

#[actix_web::test]
async fn the_database_rejects_empty_names_negative_prices_and_zero_quantities() {
    let db = TestDatabase::new();
    let mut conn = db.connect();

    let empty = queries::insert_product(
        &mut conn,
        &NewProduct {
            name: "  ",
            price_cents: 1,
        },
    );
    let negative = queries::insert_product(
        &mut conn,
        &NewProduct {
            name: "Mug",
            price_cents: -1,
        },
    );
    let mug = queries::insert_product(
        &mut conn,
        &NewProduct {
            name: "Mug",
            price_cents: 0,
        },
    )
    .unwrap();
    let zero = diesel::sql_query(format!(
        "INSERT INTO purchase_items (purchase_id, product_id, quantity) VALUES (1, {mug}, 0)"
    ))
    .execute(&mut conn);
    let orphan = diesel::sql_query(format!(
        "INSERT INTO purchase_items (purchase_id, product_id, quantity) VALUES (999, {mug}, 1)"
    ))
    .execute(&mut conn);

    assert!(empty.is_err(), "empty name accepted");
    assert!(negative.is_err(), "negative price accepted");
    assert!(zero.is_err(), "zero quantity accepted");
    assert!(orphan.is_err(), "item of a missing purchase accepted");
}

#[actix_web::test]
async fn the_same_seed_gives_the_same_store() {
    let plan = SeedPlan {
        products: 15,
        purchases: 20,
        items_per_purchase: None,
        seed: 7,
    };
    let first = spawn_app().await;
    let second = spawn_app().await;
    first.db.seed(plan);
    second.db.seed(plan);

    let a = first.get_bytes("/api/purchases?limit=1000").await;
    let b = second.get_bytes("/api/purchases?limit=1000").await;
    let products = first.get_bytes("/api/products").await;

    assert_eq!(a, b);
    let products = String::from_utf8(products).unwrap();
    for name in [
        "Crème brûlée",
        "Größe XL – Jacke",
        "Пельмени",
        "Σουβλάκι",
        "寿司セット",
    ] {
        assert!(products.contains(name), "{name} missing from {products}");
    }
}

#[actix_web::test]
async fn migrations_revert_and_apply_again() {
    let db = TestDatabase::new();
    let mut conn = db.connect();

    let reverted = migrations::revert_all(&mut conn).unwrap();
    let applied = migrations::run_pending(&mut conn).unwrap();

    assert!(!reverted.is_empty());
    assert_eq!(reverted, applied);
    assert_eq!(queries::count_purchases(&mut conn).unwrap(), 0);
}

#[actix_web::test]
async fn the_api_lists_purchases_in_pages() {
    let app = spawn_app().await;
    app.db.seed(SeedPlan {
        products: 3,
        purchases: 5,
        items_per_purchase: Some(1),
        seed: 3,
    });

    let first = app.get_json("/api/purchases?limit=2").await;
    let last = app.get_json("/api/purchases?limit=2&after=4").await;
    let one = app.get_json("/api/purchases/3").await;

    assert_eq!(first["purchases"].as_array().unwrap().len(), 2);
    assert_eq!(first["next"], 2);
    assert_eq!(last["purchases"].as_array().unwrap().len(), 1);
    assert!(last["next"].is_null());
    assert_eq!(one["id"], 3);
    assert_eq!(one["receipt_url"], "/purchases/serverless-receipts/3/");
}

async fn wait_for(app: &TestApp, path: &str, status: StatusCode) -> bool {
    for _ in 0..40 {
        let response = app.client.get(app.url(path)).send().await;
        if response.is_ok_and(|r| r.status() == status) {
            return true;
        }
        actix_web::rt::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

async fn assert_unavailable_within(app: &TestApp, path: &str, limit: Duration) {
    let started = Instant::now();
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
    assert!(response.headers().contains_key("retry-after"), "{path}");
    assert!(
        started.elapsed() < limit,
        "{path} took {:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn a_dead_database_answers_503_with_retry_after_and_the_app_recovers() {
    let db = TestDatabase::new();
    db.seed(SeedPlan {
        products: 2,
        purchases: 2,
        items_per_purchase: Some(1),
        seed: 9,
    });
    let timeouts = [("FLY_STORE__DATABASE__CHECKOUT_TIMEOUT_MS", "800")];

    if db.is_postgres() {
        let target = url_host_port(&db.url);
        let switch = DbSwitch::start(target).await;
        let mut settings = test_settings(&db, &timeouts);
        let through_switch = db
            .url
            .replacen(&target_text(&db.url), &switch.addr.to_string(), 1);
        settings.database.url = through_switch.into();
        let app = spawn_with_settings(db, &settings);
        assert!(wait_for(&app, "/purchases/serverless-receipts/1/", StatusCode::OK).await);

        switch.down();
        assert_unavailable_within(
            &app,
            "/purchases/serverless-receipts/1/",
            Duration::from_secs(5),
        )
        .await;
        assert_unavailable_within(&app, "/healthz", Duration::from_secs(5)).await;

        switch.up();
        assert!(wait_for(&app, "/purchases/serverless-receipts/1/", StatusCode::OK).await);
        assert!(wait_for(&app, "/healthz", StatusCode::OK).await);
    } else {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not-yet").join("store.db");
        let mut settings = test_settings(&db, &timeouts);
        settings.database.url = missing.display().to_string().into();
        let app = spawn_with_settings(db, &settings);

        assert_unavailable_within(
            &app,
            "/purchases/serverless-receipts/1/",
            Duration::from_secs(5),
        )
        .await;
        assert_unavailable_within(&app, "/healthz", Duration::from_secs(5)).await;

        std::fs::create_dir(missing.parent().unwrap()).unwrap();
        let manager = Manager::new(&missing.display().to_string());
        let mut conn = manager.connect().unwrap();
        migrations::run_pending(&mut conn).unwrap();
        assert!(wait_for(&app, "/healthz", StatusCode::OK).await);
        assert!(wait_for(&app, "/purchases/serverless-receipts/", StatusCode::OK).await);
    }
}

fn target_text(url: &str) -> String {
    let after_at = url.rsplit_once('@').map_or(url, |(_, rest)| rest);
    let after_scheme = after_at
        .split_once("://")
        .map_or(after_at, |(_, rest)| rest);
    after_scheme.split('/').next().unwrap().to_owned()
}

fn url_host_port(url: &str) -> std::net::SocketAddr {
    let text = target_text(url);
    let text = if text.contains(':') {
        text
    } else {
        format!("{text}:5432")
    };
    text.to_socket_addrs().unwrap().next().unwrap()
}

#[actix_web::test]
async fn an_exhausted_pool_answers_503_while_other_routes_keep_answering() {
    let db = TestDatabase::new();
    if !db.is_postgres() {
        eprintln!("skipped: needs TEST_DATABASE_URL (a table lock holds Postgres queries)");
        return;
    }
    db.seed(SeedPlan {
        products: 2,
        purchases: 3,
        items_per_purchase: Some(1),
        seed: 5,
    });
    let settings = test_settings(
        &db,
        &[
            ("FLY_STORE__DATABASE__POOL_SIZE", "2"),
            ("FLY_STORE__DATABASE__CHECKOUT_TIMEOUT_MS", "500"),
        ],
    );
    let mut locker = db.connect();
    let app = spawn_with_settings(db, &settings);
    diesel::sql_query("BEGIN").execute(&mut locker).unwrap();
    diesel::sql_query("LOCK TABLE purchases IN ACCESS EXCLUSIVE MODE")
        .execute(&mut locker)
        .unwrap();

    let held: Vec<_> = (1..=2)
        .map(|id| {
            let request = app
                .client
                .get(app.url(&format!("/purchases/serverless-receipts/{id}/")));
            actix_web::rt::spawn(async move { request.send().await.map(|r| r.status()) })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let starved = app
        .client
        .get(app.url("/purchases/serverless-receipts/3/"))
        .send()
        .await
        .unwrap();
    let storefront = app.client.get(app.url("/")).send().await.unwrap();
    let still_held = held.iter().all(|task| !task.is_finished());
    diesel::sql_query("COMMIT").execute(&mut locker).unwrap();

    assert_eq!(starved.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(starved.headers().contains_key("retry-after"));
    assert_eq!(storefront.status(), StatusCode::OK);
    assert!(
        still_held,
        "the locked queries finished before the lock was released"
    );
    for task in held {
        assert_eq!(task.await.unwrap().unwrap(), StatusCode::OK);
    }
}

#[actix_web::test]
async fn healthz_is_503_on_a_database_that_was_never_migrated() {
    let app = spawn_app().await;
    migrations::revert_all(&mut app.db.connect()).unwrap();

    let response = app.client.get(app.url("/healthz")).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
}
