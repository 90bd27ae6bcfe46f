//! One access-log line per request: client IP, method, path, status, bytes,
//! time.
//!
//! Behind Fly's proxy the peer is the proxy; the client is in
//! `Fly-Client-IP`, which the proxy sets and clients cannot forge.

use actix_web::dev::ServiceRequest;
use actix_web::middleware::Logger;

/// The access-log middleware.
pub fn access_log() -> Logger {
    Logger::new(r#"client=%{client}xi "%r" status=%s bytes=%b time_ms=%D"#)
        .log_target("fly_store::access")
        .custom_request_replace("client", client_ip)
}

fn client_ip(req: &ServiceRequest) -> String {
    req.headers()
        .get("fly-client-ip")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.peer_addr().map(|addr| addr.ip().to_string()))
        .unwrap_or_else(|| "-".to_owned())
}
