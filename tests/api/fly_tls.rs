//! The Machines API client over HTTPS: a local TLS stand-in with a CA and a
//! leaf certificate made in the test, trusted through `fly.api_ca_file`
//! (BC-28).

use std::io::Write;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

use fly_store::fly::FlySettings;
use fly_store::fly::cli::{self, MachinesCommand};

use crate::fly_fake_api::{APP, TOKEN};
use crate::fly_helpers::on_fly;

struct TlsStub {
    url: String,
    ca_pem: String,
    heads: Arc<Mutex<Vec<String>>>,
}

/// Serves one canned machine list over HTTPS on 127.0.0.1, recording the
/// request heads.
async fn start_tls_stub() -> TlsStub {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fly-store test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let certs: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = heads.clone();
    actix_web::rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let Ok(mut tls) = acceptor.accept(stream).await else {
                continue;
            };
            let mut head = Vec::new();
            let mut buffer = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buffer[..n]),
                }
            }
            recorded
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let body = r#"[{"id":"1781973c0e6d89","state":"started","region":"iad",
                "config":{"image":"img","metadata":{"role":"worker"}}}]"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(answer.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    });
    TlsStub {
        url,
        ca_pem: ca.pem(),
        heads,
    }
}

fn settings_for(url: &str) -> FlySettings {
    FlySettings {
        api_hostname: url.to_owned(),
        api_token: Some(secrecy::SecretString::from(TOKEN)),
        app_name: Some(APP.to_owned()),
        api_retry_budget_ms: 0,
        ..FlySettings::default()
    }
}

#[actix_web::test]
async fn the_client_speaks_https_to_a_stand_in_whose_ca_it_is_told_to_trust() {
    let stub = start_tls_stub().await;
    let mut ca_file = tempfile::NamedTempFile::new().unwrap();
    ca_file.write_all(stub.ca_pem.as_bytes()).unwrap();
    let settings = FlySettings {
        api_ca_file: Some(ca_file.path().to_owned()),
        ..settings_for(&stub.url)
    };
    let mut out = Vec::new();

    let code = cli::execute(MachinesCommand::List, &settings, &mut out)
        .await
        .unwrap();

    assert_eq!(code, 0);
    let printed = String::from_utf8(out).unwrap();
    assert!(printed.contains("1781973c0e6d89"), "{printed}");
    let heads = stub.heads.lock().unwrap().clone();
    assert!(heads[0].starts_with(&format!("GET /v1/apps/{APP}/machines?")));
    let authorization = format!("authorization: Bearer {TOKEN}");
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains(&authorization.to_ascii_lowercase())
    );
}

#[actix_web::test]
async fn an_untrusted_certificate_is_an_error_that_names_no_token_and_does_not_panic() {
    let stub = start_tls_stub().await;
    let settings = settings_for(&stub.url);
    let mut out = Vec::new();

    let error = cli::execute(MachinesCommand::List, &settings, &mut out)
        .await
        .unwrap_err();

    let shown = format!("{error} {error:?}");
    assert!(shown.contains("unreachable"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[actix_web::test]
async fn a_missing_ca_file_stops_start_up_with_its_name() {
    let settings = FlySettings {
        api_ca_file: Some("/nonexistent/fly-ca.pem".into()),
        ..on_fly(&crate::fly_fake_api::FakeApi::start().await)
    };
    let mut out = Vec::new();

    let error = cli::execute(MachinesCommand::List, &settings, &mut out)
        .await
        .unwrap_err();

    assert!(
        error.to_string().contains("/nonexistent/fly-ca.pem"),
        "{error}"
    );
}
