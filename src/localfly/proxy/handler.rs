//! One request through the proxy: pick a machine, forward, and follow the
//! machine's `fly-replay` answers until one answers for real.

use std::time::Instant;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};

use super::Proxy;
use super::answer::{ReplayForm, read_json_replay, relay, replay_of};
use super::failure::Failure;
use super::forward::{Body, EdgeInfo, Outgoing, wait_listening};
use super::load::InFlight;
use super::replay::{Fallback, REPLAY_HEADER, Replay, source_header};
use super::target::Missed;
use crate::localfly::fleet::Route;
use crate::localfly::ids;

/// What came back from a machine, still to be streamed to the client.
pub(super) struct Answer {
    pub(super) response: awc::ClientResponse,
    pub(super) machine: String,
    pub(super) guard: InFlight,
}

/// A response header of the stand-in only (Fly sends no such header): the
/// machine that answered, or `-` when the proxy answered itself.
pub const MACHINE_HEADER: &str = "localfly-machine-id";
/// A response header of the stand-in only: how many replays the request took.
pub const REPLAYS_HEADER: &str = "localfly-replays";

/// The proxy's request handler.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    proxy: web::Data<Proxy>,
    client: web::Data<awc::Client>,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = ids::request_id(&proxy.options.region);
    let mut replays = 0;
    let outcome = deliver(&req, payload, &proxy, &client, &request_id, &mut replays).await;
    let (mut response, machine) = match outcome {
        Ok(answer) => {
            let machine = answer.machine.clone();
            (relay(answer, req.method() == Method::HEAD), machine)
        }
        Err(failure) => {
            log::warn!("proxy failed request_id={request_id} error={failure}");
            (failure.response(), "-".to_owned())
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("fly-request-id", request_id.clone()),
        (MACHINE_HEADER, machine.clone()),
        (REPLAYS_HEADER, replays.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    log::info!(
        "proxy {} {} machine_id={machine} status={} replays={replays} ms={} request_id={request_id}",
        req.method(),
        req.path(),
        response.status().as_u16(),
        started.elapsed().as_millis(),
    );
    response
}

async fn deliver(
    req: &HttpRequest,
    payload: web::Payload,
    proxy: &Proxy,
    client: &awc::Client,
    request_id: &str,
    replays: &mut usize,
) -> Result<Answer, Failure> {
    let options = &proxy.options;
    let body = Body::read(req, payload, options.body_limit).await?;
    let edge = EdgeInfo {
        client_ip: req
            .peer_addr()
            .map_or("127.0.0.1".to_owned(), |a| a.ip().to_string()),
        region: &options.region,
        public_port: options.public_port,
    };
    let mut outgoing = Outgoing::new(req, body, &edge);
    let mut app = options.app.clone();
    let (mut target, mut extra) = first_target(req, proxy, &app).await?;

    loop {
        let answer = send(proxy, client, &app, &target, &mut outgoing, &extra).await?;
        let Some(replay) = replay_of(answer.response.headers()) else {
            return Ok(answer);
        };
        let replay = match replay? {
            ReplayForm::Header(replay) => replay,
            ReplayForm::Json => read_json_replay(answer).await?,
        };
        if !outgoing.body.replayable() {
            return Err(Failure::body_too_large());
        }
        if *replays >= options.max_replays {
            return Err(Failure::new(
                StatusCode::BAD_GATEWAY,
                "PA02",
                format!(
                    "machine {} asked for a replay after {} replays already (the limit)",
                    target.id, options.max_replays
                ),
            ));
        }
        *replays += 1;
        log::info!(
            "proxy replay request_id={request_id} from={} fly-replay={replay}",
            target.id
        );
        let source = source_header(&target.id, &target.region, replay.state.as_deref());
        let replay_started = Instant::now();
        match resolve(proxy, &replay, &app, &target).await {
            Ok((next_app, next, unavailable)) => {
                log::info!(
                    "proxy replayed request_id={request_id} from={} to={} app={next_app}",
                    target.id,
                    next.id
                );
                extra = vec![("fly-replay-src", source)];
                if let Some(id) = unavailable {
                    extra.push(("fly-preferred-instance-unavailable", id));
                }
                app = next_app;
                target = next;
            }
            Err(missed) => {
                let Some(fallback) = replay.fallback else {
                    return Err(missed.failure);
                };
                let failed = format!(
                    "instance={};app={};region={};replay_source={};reason={};elapsed_ms={}",
                    replay.instance.as_deref().unwrap_or_default(),
                    replay.app.as_deref().unwrap_or(&app),
                    replay.regions.join(","),
                    target.id,
                    missed.reason,
                    replay_started.elapsed().as_millis()
                );
                log::info!(
                    "proxy replay failed request_id={request_id} from={} fallback={fallback:?} \
                     error={}",
                    target.id,
                    missed.failure
                );
                let back = fall_back(proxy, fallback, &app, &target, missed).await?;
                let extra = [("fly-replay-src", source), ("fly-replay-failed", failed)];
                let answer = send(proxy, client, &app, &back, &mut outgoing, &extra).await?;
                if answer.response.headers().contains_key(REPLAY_HEADER) {
                    return Err(Failure::new(
                        StatusCode::BAD_GATEWAY,
                        "PA03",
                        format!(
                            "machine {} asked for a replay on a fallback delivery",
                            back.id
                        ),
                    ));
                }
                return Ok(answer);
            }
        }
    }
}

/// The first machine: `fly-force-instance-id` / `fly-prefer-instance-id`
/// when the client names one, else the least loaded.
async fn first_target(
    req: &HttpRequest,
    proxy: &Proxy,
    app: &str,
) -> Result<(Route, Vec<(&'static str, String)>), Failure> {
    let timeout = proxy.options.wake_timeout;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(id) = header("fly-force-instance-id") {
        let route = proxy.wake(app, &id, timeout).await.map_err(|m| m.failure)?;
        return Ok((route, Vec::new()));
    }
    if let Some(id) = header("fly-prefer-instance-id") {
        if let Ok(route) = proxy.wake(app, &id, timeout).await {
            return Ok((route, Vec::new()));
        }
        let route = proxy
            .pick(app, |_| true, timeout)
            .await
            .map_err(|m| m.failure)?;
        return Ok((route, vec![("fly-preferred-instance-unavailable", id)]));
    }
    let route = proxy
        .pick(app, |_| true, timeout)
        .await
        .map_err(|m| m.failure)?;
    Ok((route, Vec::new()))
}

/// Where a replay goes: `(app, machine, preferred instance that was unavailable)`.
async fn resolve(
    proxy: &Proxy,
    replay: &Replay,
    app: &str,
    responder: &Route,
) -> Result<(String, Route, Option<String>), Missed> {
    let target_app = replay.app.clone().unwrap_or_else(|| app.to_owned());
    let timeout = replay.timeout.unwrap_or(proxy.options.wake_timeout);
    if let Some(id) = &replay.instance {
        let route = proxy.wake(&target_app, id, timeout).await?;
        return Ok((target_app, route, None));
    }
    let mut unavailable = None;
    if let Some(id) = &replay.prefer_instance {
        match proxy.wake(&target_app, id, timeout).await {
            Ok(route) => return Ok((target_app, route, None)),
            Err(_) => unavailable = Some(id.clone()),
        }
    }
    let excluded = (replay.elsewhere && target_app == app).then(|| responder.id.clone());
    let route = proxy
        .pick(
            &target_app,
            |r| replay.allows_region(&r.region) && Some(&r.id) != excluded.as_ref(),
            timeout,
        )
        .await?;
    Ok((target_app, route, unavailable))
}

/// The machine a failed replay falls back to.
async fn fall_back(
    proxy: &Proxy,
    fallback: Fallback,
    app: &str,
    responder: &Route,
    missed: Missed,
) -> Result<Route, Failure> {
    let timeout = proxy.options.wake_timeout;
    match proxy.wake(app, &responder.id, timeout).await {
        Ok(route) => Ok(route),
        Err(_) if fallback == Fallback::PreferSelf => proxy
            .pick(app, |_| true, timeout)
            .await
            .map_err(|m| m.failure),
        Err(_) => Err(missed.failure),
    }
}

/// Forwards to `target`, waiting first for a new instance to listen.
async fn send(
    proxy: &Proxy,
    client: &awc::Client,
    app: &str,
    target: &Route,
    outgoing: &mut Outgoing,
    extra: &[(&'static str, String)],
) -> Result<Answer, Failure> {
    let Some(addr) = target.addr else {
        return Err(Failure::new(
            StatusCode::BAD_GATEWAY,
            "PR04",
            format!("machine {} has no address", target.id),
        ));
    };
    if !target.ready {
        if !wait_listening(addr, proxy.options.wake_timeout).await {
            return Err(Failure::new(
                StatusCode::BAD_GATEWAY,
                "PR04",
                format!("machine {} is not listening on {addr}", target.id),
            ));
        }
        proxy.fleet.mark_ready(app, &target.id, target.generation);
    }
    let guard = proxy.loads.enter(&proxy.fleet, app, &target.id);
    let response = outgoing.send(client, addr, extra).await?;
    Ok(Answer {
        response,
        machine: target.id.clone(),
        guard,
    })
}
