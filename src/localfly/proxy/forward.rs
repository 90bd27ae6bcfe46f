//! Sending one request to one machine: the request's head and body as the
//! proxy holds them, the headers Fly adds, and a readiness probe for a
//! machine that has just started.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{Bytes, Payload};
use futures_util::StreamExt;
use futures_util::stream::LocalBoxStream;

use super::failure::Failure;

/// Request headers that belong to one connection, never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Headers only the proxy may set; a client's copies are dropped.
const PROXY_OWNED: &[&str] = &[
    "fly-client-ip",
    "fly-region",
    "fly-forwarded-port",
    "fly-replay-src",
    "fly-replay-failed",
    "fly-preferred-instance-unavailable",
];

/// A streamed request body.
pub type BodyStream = LocalBoxStream<'static, Result<Bytes, actix_web::error::PayloadError>>;

/// The request body: buffered when it fits the replay limit, otherwise
/// streamed through once (and then it cannot be replayed).
pub enum Body {
    Full(Bytes),
    Streaming(Option<BodyStream>),
}

impl Body {
    /// Reads up to `limit` bytes; past that, the rest streams.
    pub async fn read(
        req: &HttpRequest,
        mut payload: Payload,
        limit: usize,
    ) -> Result<Body, Failure> {
        let declared = req
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut buffer = Vec::new();
        if declared.is_none_or(|len| len <= limit) {
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| Failure::bad_request(format!("body: {e}")))?;
                buffer.extend_from_slice(&chunk);
                if buffer.len() > limit {
                    break;
                }
            }
            if buffer.len() <= limit {
                return Ok(Body::Full(Bytes::from(buffer)));
            }
        }
        let prefix = futures_util::stream::once(async move { Ok(Bytes::from(buffer)) });
        Ok(Body::Streaming(Some(prefix.chain(payload).boxed_local())))
    }

    /// Whether the body can be sent again.
    pub fn replayable(&self) -> bool {
        matches!(self, Body::Full(_))
    }
}

/// The parts of the client's request that every attempt resends.
pub struct Outgoing {
    pub method: Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Body,
}

/// What the proxy adds about the client and the edge.
pub struct EdgeInfo<'a> {
    pub client_ip: String,
    pub region: &'a str,
    pub public_port: u16,
}

impl Outgoing {
    /// The client's request with hop-by-hop and proxy-owned headers
    /// removed and Fly's request headers added.
    pub fn new(req: &HttpRequest, body: Body, edge: &EdgeInfo<'_>) -> Outgoing {
        let mut headers = HeaderMap::new();
        for (name, value) in req.headers() {
            let name_text = name.as_str();
            if HOP_BY_HOP.contains(&name_text) || PROXY_OWNED.contains(&name_text) {
                continue;
            }
            headers.append(name.clone(), value.clone());
        }
        let forwarded_for = match req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            Some(earlier) => format!("{earlier}, {}", edge.client_ip),
            None => edge.client_ip.clone(),
        };
        let port = edge.public_port.to_string();
        for (name, value) in [
            ("fly-client-ip", edge.client_ip.as_str()),
            ("x-forwarded-for", forwarded_for.as_str()),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-ssl", "off"),
            ("x-forwarded-port", port.as_str()),
            ("fly-forwarded-port", port.as_str()),
            ("fly-region", edge.region),
            ("via", "2 fly.io"),
        ] {
            set(&mut headers, name, value);
        }
        let path_and_query = req
            .uri()
            .path_and_query()
            .map_or("/".to_owned(), |pq| pq.as_str().to_owned());
        Outgoing {
            method: req.method().clone(),
            path_and_query,
            headers,
            body,
        }
    }

    /// Sends the request to `addr` with `extra` headers.
    pub async fn send(
        &mut self,
        client: &awc::Client,
        addr: SocketAddr,
        extra: &[(&'static str, String)],
    ) -> Result<awc::ClientResponse, Failure> {
        let url = format!("http://{addr}{}", self.path_and_query);
        let mut request = client.request(self.method.clone(), url);
        for (name, value) in &self.headers {
            request.headers_mut().append(name.clone(), value.clone());
        }
        for (name, value) in extra {
            if let Ok(value) = HeaderValue::from_str(value) {
                request
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
        }
        let sent = match &mut self.body {
            Body::Full(bytes) => request.send_body(bytes.clone()).await,
            Body::Streaming(stream) => match stream.take() {
                Some(stream) => {
                    request.headers_mut().remove("content-length");
                    request.send_stream(stream).await
                }
                None => return Err(Failure::body_too_large()),
            },
        };
        sent.map_err(|error| {
            Failure::new(
                StatusCode::BAD_GATEWAY,
                "PR04",
                format!("the machine at {addr} did not answer: {error}"),
            )
        })
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// Waits until something accepts connections at `addr`.
pub async fn wait_listening(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
