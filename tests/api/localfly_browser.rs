//! The storefront in headless Chromium, through Local Fly's proxy: the page
//! lists the purchases, and its receipt link returns a PDF that the worker
//! rendered.

use std::process::Command;

use awc::http::StatusCode;
use fly_store::localfly::dev;

use crate::helpers::pdf_text;
use crate::localfly_e2e::{dev_options, seeded_database};

/// The page's DOM after its scripts ran, as headless Chromium sees it.
fn rendered_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=15000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .unwrap_or_else(|error| {
            panic!("chromium is needed (apt-get install chromium chromium-driver): {error}")
        });
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The `href` of every receipt link (`<a class="receipt" href="…">`).
fn receipt_links(dom: &str) -> Vec<String> {
    dom.split("<a ")
        .skip(1)
        .filter(|tag| tag.contains("class=\"receipt\""))
        .filter_map(|tag| {
            tag.split("href=\"")
                .nth(1)?
                .split('"')
                .next()
                .map(str::to_owned)
        })
        .collect()
}

#[actix_web::test]
async fn the_storefront_lists_purchases_and_its_receipt_link_is_served_by_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dev::start(dev_options(seeded_database(dir.path())))
        .await
        .unwrap();
    let proxy = dev.local.proxy_url();
    let client = awc::Client::default();

    let page_url = format!("{proxy}/");
    let dom = actix_web::rt::task::spawn_blocking(move || rendered_dom(&page_url))
        .await
        .unwrap();
    let links = receipt_links(&dom);
    let first = links.first().cloned().unwrap_or_default();
    let mut response = client.get(format!("{proxy}{first}")).send().await.unwrap();
    let served_by = response.headers().get("localfly-machine-id").cloned();
    let pdf = response.body().limit(8 << 20).await.unwrap().to_vec();
    let status = response.status();
    dev.local.stop().await;

    for id in 1..=3 {
        assert!(
            dom.contains(&format!("Purchase #{id}")),
            "purchase {id} missing from:\n{dom}"
        );
    }
    assert_eq!(links.len(), 3, "{links:?}");
    assert_eq!(first, "/purchases/serverless-receipts/1/");
    assert_eq!(status, StatusCode::OK);
    let served_by = served_by.expect("the proxy names the machine that answered");
    assert_ne!(
        served_by.to_str().unwrap(),
        dev.main_machine,
        "main rendered the PDF itself"
    );
    assert!(pdf_text(&pdf).contains("Receipt #1"));
}
