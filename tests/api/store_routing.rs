//! The routing table: ids, slashes, HEAD, methods and percent-escapes behave
//! as the original Django design's `<int:…>` routes with `APPEND_SLASH`.

use actix_web::http::{Method, StatusCode};
use fly_store::store::seed::SeedPlan;

use crate::helpers::{TestApp, spawn_app};

async fn seeded_app() -> TestApp {
    let app = spawn_app().await;
    app.db.seed(SeedPlan {
        products: 4,
        purchases: 6,
        items_per_purchase: Some(2),
        seed: 1,
    });
    app
}

async fn status_of(app: &TestApp, method: Method, path: &str) -> StatusCode {
    app.client
        .request(method, app.url(path))
        .send()
        .await
        .expect("the app answers")
        .status()
}

#[actix_web::test]
async fn ids_are_ascii_digits_only() {
    let app = seeded_app().await;

    for path in [
        "/purchases/serverless-receipts/+5/",
        "/purchases/serverless-receipts/-1/",
        "/purchases/serverless-receipts/%D9%A3/",
        "/purchases/serverless-receipts/1_000/",
        "/purchases/serverless-receipts/5abc/",
        "/purchases/serverless-receipts/99999999999999999999999/",
        "/purchases/serverless-receipts/0/",
        "/purchases/serverless-receipts/5%2F/",
        "/purchases/serverless-receipts/..%2F..%2Fetc%2Fpasswd/",
        "/api/purchases/5abc",
        "/api/purchases/99999999999999999999999",
    ] {
        assert_eq!(
            status_of(&app, Method::GET, path).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn leading_zeros_and_percent_escaped_digits_name_the_same_purchase() {
    let app = seeded_app().await;

    for path in [
        "/purchases/serverless-receipts/5/",
        "/purchases/serverless-receipts/05/",
        "/purchases/serverless-receipts/%35/",
        "/purchases/serverless%2Dreceipts/5/",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let disposition = response.headers().get("content-disposition").unwrap();
        assert_eq!(disposition, "inline; filename=\"receipt-5.pdf\"", "{path}");
    }
}

#[actix_web::test]
async fn slash_less_forms_redirect_to_the_slash_form_keeping_the_query() {
    let app = seeded_app().await;

    for (path, location) in [
        (
            "/purchases/serverless-receipts",
            "/purchases/serverless-receipts/",
        ),
        (
            "/purchases/serverless-receipts/5",
            "/purchases/serverless-receipts/5/",
        ),
        (
            "/purchases/serverless-receipts/5?download=1",
            "/purchases/serverless-receipts/5/?download=1",
        ),
        ("/purchases", "/purchases/"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY, "{path}");
        assert_eq!(
            response.headers().get("location").unwrap(),
            location,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn doubled_slashes_and_unknown_paths_are_not_found() {
    let app = seeded_app().await;

    for path in [
        "/purchases/serverless-receipts//5//",
        "/nope",
        "/nope/",
        "/api/products/",
    ] {
        assert_eq!(
            status_of(&app, Method::GET, path).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn a_query_string_does_not_change_the_route() {
    let app = seeded_app().await;

    let response = app
        .client
        .get(app.url("/purchases/serverless-receipts/5/?download=1"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/pdf"
    );
}

#[actix_web::test]
async fn head_is_answered_like_get_without_a_body() {
    let app = seeded_app().await;

    for path in [
        "/purchases/serverless-receipts/5/",
        "/purchases/serverless-receipts/",
        "/",
        "/healthz",
    ] {
        let get = app
            .client
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .body()
            .limit(1 << 26)
            .await
            .unwrap();
        let mut head = app.client.head(app.url(path)).send().await.unwrap();

        assert_eq!(head.status(), StatusCode::OK, "{path}");
        let length = head
            .headers()
            .get("content-length")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(length, get.len().to_string(), "{path}");
        assert!(head.body().await.unwrap().is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn other_methods_are_405_with_allow() {
    let app = seeded_app().await;

    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        for path in [
            "/purchases/serverless-receipts/5/",
            "/purchases/serverless-receipts/",
            "/api/products",
            "/",
        ] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(
                response.headers().get("allow").unwrap(),
                "GET, HEAD",
                "{method} {path}"
            );
        }
    }
}

#[actix_web::test]
async fn the_storefront_and_the_purchase_list_are_html() {
    let app = seeded_app().await;

    let mut page = app.client.get(app.url("/")).send().await.unwrap();
    let list = app
        .client
        .get(app.url("/purchases/"))
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();

    assert_eq!(page.status(), StatusCode::OK);
    let page = String::from_utf8(page.body().await.unwrap().to_vec()).unwrap();
    assert!(
        page.contains("/api/purchases"),
        "the storefront reads the API"
    );
    assert!(page.contains("/purchases/serverless-receipts/"));
    let list = String::from_utf8(list.to_vec()).unwrap();
    assert!(list.contains("Purchase #6"), "{list}");
    assert!(
        list.contains("href=\"/purchases/serverless-receipts/6/\""),
        "{list}"
    );
}
