//! The storefront in headless Chromium through Local Fly: the page lists
//! the purchases, and its receipt link leads to a PDF the worker renders.
//! Chromium is driven over chromedriver's W3C WebDriver API (JSON over
//! HTTP on loopback), so no driver crate is needed; `.ci/setup` installs
//! `chromium` and `chromium-driver`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::localfly_e2e::{dev_options, seeded_database};
use crate::localfly_helpers::TestApi;
use fly_store::localfly::dev;

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver child process, killed on drop.
struct Driver {
    child: Child,
    base: String,
    client: awc::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium-driver)");
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(status) = driver.call("GET", "/status", None).await
                && status["value"]["ready"] == true
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not become ready");
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let request = self.client.request(method, format!("{}{path}", self.base));
        let sent = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        };
        let mut response = sent.map_err(|e| e.to_string())?;
        let value: Value = response
            .json()
            .limit(16 << 20)
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(value)
        } else {
            Err(value.to_string())
        }
    }

    async fn session(&self) -> String {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-proxy-server"],
            },
        }}});
        let created = self
            .call("POST", "/session", Some(capabilities))
            .await
            .unwrap();
        created["value"]["sessionId"].as_str().unwrap().to_owned()
    }

    /// Elements matching `css`, polling until at least one shows up.
    async fn wait_for_all(&self, session: &str, css: &str) -> Vec<String> {
        let query = json!({"using": "css selector", "value": css});
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found = self
                .call(
                    "POST",
                    &format!("/session/{session}/elements"),
                    Some(query.clone()),
                )
                .await
                .unwrap();
            let ids: Vec<String> = found["value"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                .collect();
            if !ids.is_empty() || Instant::now() > deadline {
                return ids;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn element_value(&self, session: &str, element: &str, what: &str) -> String {
        let value = self
            .call(
                "GET",
                &format!("/session/{session}/element/{element}/{what}"),
                None,
            )
            .await
            .unwrap();
        value["value"].as_str().unwrap_or_default().to_owned()
    }
}

#[actix_web::test]
async fn the_storefront_in_chromium_lists_purchases_and_links_to_a_pdf_from_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dev::start(dev_options(seeded_database(dir.path())))
        .await
        .unwrap();
    let proxy = dev.local.proxy_url();
    let api = TestApi::with_token(
        &format!("{}/v1/apps/fly-store/machines", dev.local.api_url()),
        "dev",
    );
    let driver = Driver::start().await;
    let session = driver.session().await;

    driver
        .call(
            "POST",
            &format!("/session/{session}/url"),
            Some(json!({"url": format!("{proxy}/")})),
        )
        .await
        .unwrap();
    let sections = driver.wait_for_all(&session, "section.purchase h2").await;
    let mut titles = Vec::new();
    for section in &sections {
        titles.push(driver.element_value(&session, section, "text").await);
    }
    let links = driver.wait_for_all(&session, "a.receipt").await;
    let href = driver
        .element_value(&session, &links[0], "property/href")
        .await;
    let _ = driver
        .call("DELETE", &format!("/session/{session}"), None)
        .await;
    let mut receipt = api.client.get(&href).send().await.unwrap();
    let pdf = receipt.body().limit(8 << 20).await.unwrap();
    let served_by = receipt
        .headers()
        .get("localfly-machine-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let (_, workers) = api.call("GET", "?metadata.role=worker", None).await;
    dev.local.stop().await;

    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(titles.iter().any(|t| t == "Purchase #1"), "{titles:?}");
    assert!(
        href.starts_with(&format!("{proxy}/purchases/serverless-receipts/")),
        "{href}"
    );
    assert_eq!(receipt.status(), StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(served_by.as_deref(), workers[0]["id"].as_str(), "{workers}");
}
