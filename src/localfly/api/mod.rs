//! The Machines API stand-in: Fly's paths under `/v1/apps/{app}/machines`,
//! its JSON shapes and status codes, and bearer auth with one token.

mod auth;
mod error;
mod leases;
mod lifecycle;
mod machines;
mod metadata;
pub mod params;

use std::net::TcpListener;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpResponse, HttpServer, web};
use secrecy::SecretString;
use serde_json::json;

pub use auth::{ApiToken, token_of};
pub use error::ApiError;

use crate::localfly::fleet::Fleet;
use crate::localfly::ids;

/// Registers the API's routes (the app needs `Data<Fleet>` and `Data<ApiToken>`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1/apps/{app}/machines")
            .route("", web::get().to(machines::list))
            .route("", web::post().to(machines::create))
            .route("/{id}", web::get().to(machines::get))
            .route("/{id}", web::post().to(machines::update))
            .route("/{id}", web::delete().to(machines::destroy))
            .route("/{id}/start", web::post().to(lifecycle::start))
            .route("/{id}/stop", web::post().to(lifecycle::stop))
            .route("/{id}/suspend", web::post().to(lifecycle::suspend))
            .route("/{id}/restart", web::post().to(lifecycle::restart))
            .route("/{id}/signal", web::post().to(lifecycle::signal))
            .route("/{id}/wait", web::get().to(lifecycle::wait))
            .route("/{id}/cordon", web::post().to(lifecycle::cordon))
            .route("/{id}/uncordon", web::post().to(lifecycle::uncordon))
            .route("/{id}/lease", web::get().to(leases::show))
            .route("/{id}/lease", web::post().to(leases::acquire))
            .route("/{id}/lease", web::delete().to(leases::release))
            .route("/{id}/metadata", web::get().to(metadata::show))
            .route("/{id}/metadata/{key}", web::post().to(metadata::set))
            .route("/{id}/metadata/{key}", web::delete().to(metadata::delete))
            .route("/{id}/events", web::get().to(metadata::events)),
    );
}

/// Serves the API on `listener` for `fleet`, accepting `token`.
/// The server installs no signal handlers: its owner stops it.
pub fn serve(fleet: Fleet, token: SecretString, listener: TcpListener) -> std::io::Result<Server> {
    let region = fleet.options().region.clone();
    let fleet = web::Data::new(fleet);
    let token = web::Data::new(ApiToken(token));
    let server = HttpServer::new(move || {
        let region = region.clone();
        App::new()
            .app_data(fleet.clone())
            .app_data(token.clone())
            .configure(configure)
            .default_service(web::to(|| async {
                HttpResponse::NotFound().json(json!({"error": "not found"}))
            }))
            .wrap_fn(move |req, srv| {
                let (method, path) = (req.method().clone(), req.path().to_owned());
                let request_id = ids::request_id(&region);
                let response = srv.call(req);
                async move {
                    let mut response = response.await?;
                    let status = response.status().as_u16();
                    log::debug!("api {method} {path} status={status} request_id={request_id}");
                    if let Ok(value) = HeaderValue::from_str(&request_id) {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("fly-request-id"), value);
                    }
                    Ok(response)
                }
            })
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(2)
    .listen(listener)?
    .run();
    Ok(server)
}
