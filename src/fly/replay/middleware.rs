//! [`FlyReplayMiddleware`]: resolves each request to a route name exactly as
//! the router will (slash forms included), applies the decision table, and
//! either passes the request on or answers it without running a view.
//!
//! On main, a serverless request whose worker is cached is answered at once,
//! with no API call and no await. Only the first requests (or those after
//! the cache was dropped) wait for the single-flight find-or-create.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, forward_ready};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{Error, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::fly::machines::MachinesClient;
use crate::fly::replay::decision::{BodySize, Decision, Facts, Local, RouteKind, decide};
use crate::fly::replay::header::{ReplayTrail, Target};
use crate::fly::replay::response;
use crate::fly::role::Role;
use crate::fly::routes::{RouteClass, ServerlessTable};
use crate::fly::setup::ReplayConfig;
use crate::http::routing::{Resolution, resolve, resolve_path};

/// The fly-replay Service wrapping the app.
pub struct FlyReplayMiddleware<S> {
    service: Rc<S>,
    config: Arc<ReplayConfig>,
    client: Option<Rc<MachinesClient>>,
    /// This thread's `fly-replay` value for the cached worker, with the
    /// directory generation and hop count it was made for.
    prepared: RefCell<Option<(u64, u32, HeaderValue)>>,
}

impl<S> FlyReplayMiddleware<S> {
    pub(crate) fn new(
        service: Rc<S>,
        config: Arc<ReplayConfig>,
        client: Option<Rc<MachinesClient>>,
    ) -> Self {
        FlyReplayMiddleware {
            service,
            config,
            client,
            prepared: RefCell::new(None),
        }
    }
}

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, Error>;

impl<S, B> Service<ServiceRequest> for FlyReplayMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Answer<B>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let config = &self.config;
        if !config.enabled {
            return self.pass(req);
        }

        let trail = ReplayTrail::from_headers(req.headers());
        let (route, offloaded) = route_kind(&req, &config.table);
        let decision = decide(&Facts {
            role: config.role,
            route,
            method: req.method(),
            offloaded,
            body: body_size(&req),
            max_body: config.max_body,
            trail: &trail,
            own_id: config.own_id.as_deref(),
        });
        log::debug!("fly-replay decision={decision:?} path={}", req.path());

        let counters = &config.counters;
        match decision {
            Decision::Serve(local) => {
                self.count_local(local, &trail);
                self.pass(req)
            }
            Decision::ReplayElsewhere { hops } => {
                counters.replay_elsewhere.inc();
                let timeout = config.replay_timeout;
                answer(req, response::replay(&Target::Elsewhere, hops, timeout))
            }
            Decision::MethodNotAllowed => {
                counters.refused_405.inc();
                let allowed = response::method_not_allowed(offloaded);
                answer(req, allowed)
            }
            Decision::TooLarge => {
                counters.refused_413.inc();
                answer(req, response::too_large(config.max_body))
            }
            Decision::LengthRequired => {
                counters.refused_411.inc();
                answer(req, response::length_required())
            }
            Decision::ReplayToWorker { hops } => self.replay_to_worker(req, hops),
        }
    }
}

impl<S, B> FlyReplayMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    fn pass(&self, req: ServiceRequest) -> LocalBoxFuture<'static, Answer<B>> {
        let future = self.service.call(req);
        Box::pin(async move { Ok(future.await?.map_into_left_body()) })
    }

    fn count_local(&self, local: Local, trail: &ReplayTrail) {
        let counters = &self.config.counters;
        let counter = match local {
            Local::Home => &counters.local_home,
            Local::Operational => &counters.local_operational,
            Local::Routing => &counters.local_routing,
            Local::AlreadyReplayed => &counters.local_already_replayed,
            Local::ReplayFailed => {
                if self.config.role == Role::Main {
                    self.config
                        .directory
                        .forget(trail.failed_instance.as_deref());
                }
                &counters.local_replay_failed
            }
        };
        counter.inc();
    }

    fn replay_to_worker(
        &self,
        req: ServiceRequest,
        hops: u32,
    ) -> LocalBoxFuture<'static, Answer<B>> {
        if let Some(value) = self.prepared_replay(hops) {
            self.config.counters.replay_instance.inc();
            return answer(req, response::replay_with(value));
        }
        let config = self.config.clone();
        let Some(client) = self.client.clone() else {
            return self.pass(req);
        };
        self.start_refresher(&client);

        let service = self.service.clone();
        Box::pin(async move {
            match config.directory.worker(&client).await {
                Ok(id) => {
                    let replay = replay_to(&config, &id, hops);
                    Ok(into_answer(req, replay))
                }
                Err(_) if config.serve_locally_on_api_failure => {
                    config.counters.local_api_failure.inc();
                    Ok(service.call(req).await?.map_into_left_body())
                }
                Err(unavailable) => {
                    config.counters.refused_503.inc();
                    let unavailable = response::unavailable(unavailable.retry_after);
                    Ok(into_answer(req, unavailable))
                }
            }
        })
    }

    /// The `fly-replay` value for the cached worker, made once per thread
    /// and worker: the steady state costs one atomic load and no lock.
    fn prepared_replay(&self, hops: u32) -> Option<HeaderValue> {
        let directory = &self.config.directory;
        if let Some((generation, prepared_hops, value)) = &*self.prepared.borrow()
            && *generation == directory.generation()
            && *prepared_hops == hops
        {
            return Some(value.clone());
        }
        let (cached, generation) = directory.cached_with_generation();
        let target = Target::Instance(cached?);
        let value = response::replay_header(&target, hops, self.config.replay_timeout)?;
        *self.prepared.borrow_mut() = Some((generation, hops, value.clone()));
        Some(value)
    }

    /// Starts this process's background check of the cached worker, once,
    /// on this thread.
    fn start_refresher(&self, client: &Rc<MachinesClient>) {
        let config = &self.config;
        let Some(interval) = config.refresh_interval else {
            return;
        };
        if !config.directory.claim_refresher() {
            return;
        }
        let directory = config.directory.clone();
        let client = client.clone();
        actix_web::rt::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                directory.refresh(&client).await;
            }
        });
    }
}

fn replay_to(config: &ReplayConfig, id: &str, hops: u32) -> HttpResponse {
    config.counters.replay_instance.inc();
    log::debug!("fly-replay instance={id}");
    response::replay(
        &Target::Instance(id.to_owned()),
        hops,
        config.replay_timeout,
    )
}

fn answer<B: 'static>(
    req: ServiceRequest,
    response: HttpResponse,
) -> LocalBoxFuture<'static, Answer<B>> {
    let answer = into_answer(req, response);
    Box::pin(async move { Ok(answer) })
}

fn into_answer<B>(req: ServiceRequest, response: HttpResponse) -> ServiceResponse<EitherBody<B>> {
    let (request, _payload) = req.into_parts();
    ServiceResponse::new(request, response).map_into_right_body()
}

/// The route `req` resolves to, as the router sees it, and the methods
/// offloaded for it. A named route is found with one lookup, the same one
/// [`resolve`] starts with; everything else goes through [`resolve`].
fn route_kind<'t>(req: &ServiceRequest, table: &'t ServerlessTable) -> (RouteKind, &'t [Method]) {
    let path = req.match_info().as_str();
    if let Some(name) = req.resource_map().match_name(path) {
        return (RouteKind::Route(table.classify(name)), table.methods(name));
    }
    let none: &[Method] = &[];
    match resolve(req) {
        Resolution::Named(name) => (
            RouteKind::Route(table.classify(&name)),
            table.methods(&name),
        ),
        Resolution::Unnamed => (RouteKind::Route(RouteClass::Other), none),
        Resolution::AppendSlash { location } => {
            let path = location.split('?').next().unwrap_or_default();
            let class = match resolve_path(req.resource_map(), path, "") {
                Resolution::Named(name) => table.classify(&name),
                _ => RouteClass::Other,
            };
            (RouteKind::Redirect(class), none)
        }
        Resolution::NotFound => (RouteKind::NotFound, none),
    }
}

fn body_size(req: &ServiceRequest) -> BodySize {
    let headers = req.headers();
    if let Some(length) = headers.get(header::CONTENT_LENGTH) {
        return match length.to_str().ok().and_then(|l| l.trim().parse().ok()) {
            Some(length) => BodySize::Known(length),
            None => BodySize::Unknown,
        };
    }
    let chunked = headers
        .get(header::TRANSFER_ENCODING)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"chunked"));
    if chunked {
        BodySize::Unknown
    } else {
        BodySize::Known(0)
    }
}
