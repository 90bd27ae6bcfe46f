//! Prometheus metrics of the Fly machinery, and the `GET /metrics` route
//! (`ops:metrics`) that serves a registry as Prometheus text.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, Resource, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::http::routing::get_resource;

/// Counters and histograms the middleware and the API client update.
/// Cheap to clone: every metric is shared.
#[derive(Clone)]
pub struct FlyMetrics {
    /// Replay answers, by `kind` (`instance`, `elsewhere`).
    pub replays: IntCounterVec,
    /// Requests this machine served although replay was on, by `reason`.
    pub local_views: IntCounterVec,
    /// Requests the middleware refused, by `status` (405, 411, 413, 503).
    pub refused: IntCounterVec,
    /// Machines API calls by `endpoint` and `status` (a code, `timeout` or
    /// `unreachable`).
    pub api_calls: IntCounterVec,
    /// Machines API latency by `endpoint`, in seconds.
    pub api_latency: HistogramVec,
    /// Workers created.
    pub worker_creations: IntCounter,
    /// Workers updated to the current image.
    pub worker_updates: IntCounter,
}

impl FlyMetrics {
    /// Creates the metrics and registers them with `registry`.
    pub fn register(registry: &Registry) -> Result<FlyMetrics, prometheus::Error> {
        let metrics = FlyMetrics {
            replays: IntCounterVec::new(
                Opts::new("fly_replays_total", "fly-replay answers by kind"),
                &["kind"],
            )?,
            local_views: IntCounterVec::new(
                Opts::new(
                    "fly_local_views_total",
                    "Requests served on this machine while replay is on, by reason",
                ),
                &["reason"],
            )?,
            refused: IntCounterVec::new(
                Opts::new(
                    "fly_refused_total",
                    "Requests the replay middleware answered itself, by status",
                ),
                &["status"],
            )?,
            api_calls: IntCounterVec::new(
                Opts::new(
                    "fly_api_calls_total",
                    "Machines API calls by endpoint and status",
                ),
                &["endpoint", "status"],
            )?,
            api_latency: HistogramVec::new(
                HistogramOpts::new(
                    "fly_api_latency_seconds",
                    "Machines API call latency by endpoint",
                )
                .buckets(vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ]),
                &["endpoint"],
            )?,
            worker_creations: IntCounter::new(
                "fly_worker_creations_total",
                "Worker machines created",
            )?,
            worker_updates: IntCounter::new(
                "fly_worker_updates_total",
                "Worker machines updated to the current image",
            )?,
        };
        registry.register(Box::new(metrics.replays.clone()))?;
        registry.register(Box::new(metrics.local_views.clone()))?;
        registry.register(Box::new(metrics.refused.clone()))?;
        registry.register(Box::new(metrics.api_calls.clone()))?;
        registry.register(Box::new(metrics.api_latency.clone()))?;
        registry.register(Box::new(metrics.worker_creations.clone()))?;
        registry.register(Box::new(metrics.worker_updates.clone()))?;
        Ok(metrics)
    }

    /// Total Machines API calls so far, all endpoints and statuses.
    pub fn api_call_count(&self) -> u64 {
        use prometheus::core::Collector;
        self.api_calls
            .collect()
            .iter()
            .flat_map(|family| family.get_metric())
            .map(|metric| metric.get_counter().get_value() as u64)
            .sum()
    }
}

/// `GET /metrics` (and HEAD), named `ops:metrics`: `registry` as Prometheus
/// text. Every machine answers it itself.
pub fn metrics_resource(registry: Registry) -> Resource {
    get_resource("/metrics", "ops:metrics", render_metrics).app_data(web::Data::new(registry))
}

async fn render_metrics(registry: web::Data<Registry>) -> HttpResponse {
    let mut buffer = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(error) = encoder.encode(&registry.gather(), &mut buffer) {
        log::error!("metrics could not be encoded: {error}");
        return HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "10"))
            .content_type(ContentType::plaintext())
            .body("Metrics unavailable\n");
    }
    HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buffer)
}
